/* Passive health observation and server state side effects.
 *
 * "observe layer4|layer7" makes live traffic count as health evidence: each
 * connection attempt (layer4) or HTTP response (layer7) to a server is
 * classified as good, bad or irrelevant. "error-limit" bad results in a row
 * trigger the server's "on-error" reaction, which its health check applies
 * on its own thread (worker/check.c). A good result clears the run.
 *
 * "on-marked-down shutdown-sessions" and "on-marked-up
 * shutdown-backup-sessions" end streams when a server changes state; every
 * worker thread ends its own streams, told through its mailbox.
 */
#pragma once
#include "worker/server-t.h"

/* What a stream saw of a server, HAProxy's classification. */
enum obs_event {
	OBS_L4_OK = 0,         /* connection established */
	OBS_L4_ERR,            /* connection refused, failed or timed out */
	OBS_HTTP_OK,           /* a status that is not the server's fault */
	OBS_HTTP_STS,          /* 5xx except 501 and 505 */
	OBS_HTTP_HDRRSP,       /* unparsable or too large response head */
	OBS_HTTP_RSP,          /* invalid response */
	OBS_HTTP_READ_ERROR,   /* read error before the response head */
	OBS_HTTP_READ_TIMEOUT, /* server timeout before the response head */
	OBS_HTTP_BROKEN_PIPE,  /* server closed before the response head */
	OBS_NB_EVENTS
};

/* Sets up the observation mail of every server; once, before the worker
 * threads start.
 */
void observe_init(void);
/* Sets up the observation of server <s> added at run time. */
void observe_srv_init(struct srv_rt *s);

/* Reports <ev> seen on server <s> (NULL is ignored), from any thread. Does
 * nothing unless <s> observes the layer of <ev> and has a health check.
 */
void observe_report(struct srv_rt *s, enum obs_event ev);

/* The event reported for HTTP status <status> received from a server. */
enum obs_event observe_http_status(int status);

/* The "error-limit" of a server configuration (10 when not set). */
int observe_error_limit(const struct server_cfg *c);

/* HAProxy's description of <ev> ("Wrong http response"). */
const char *observe_event_desc(enum obs_event ev);

/* Side effects of <s> going DOWN / coming UP (any thread): its own streams
 * end with on-marked-down, the streams of the backup servers of its backend
 * with on-marked-up on a usable active server.
 */
void observe_marked_down(struct srv_rt *s);
void observe_marked_up(struct srv_rt *s);

/* Ends every stream connected to <s> on every thread ("shutdown sessions
 * server"); any thread.
 */
void srv_shutdown_sessions(struct srv_rt *s);
