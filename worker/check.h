/* Active health checks, layer 4: a TCP connection to the server (or to its
 * "addr"/"port") every "inter"; "fall" consecutive failures take an UP
 * server DOWN, "rise" consecutive successes bring a DOWN server back UP.
 * While a state change is under way the interval is "fastinter" (going
 * down) or "downinter" (down). A state change sets srv_rt.oper_up and
 * publishes a new LB snapshot through RCU; it is logged in HAProxy's words.
 * Each server's check runs on one worker thread, spread by server index.
 */
#pragma once
#include <stdint.h>

#include "conf/chk-status.h"
#include "common/addr.h"
#include "worker/server-t.h"

/* The state of a health or agent check. Each check keeps a working copy
 * that only its thread touches, and publishes an immutable copy of it
 * through RCU after each change (check_state_publish()): the statistics,
 * read on any thread, only ever see published copies.
 */
struct check_state {
	enum check_result last; /* result of the last check */
	uint32_t duration_ms;   /* duration of the last check */
	int consecutive;        /* results in a row pointing to the other state */
	uint64_t checks_failed; /* chkfail */
	uint64_t downs;         /* chkdown: UP -> DOWN transitions */
	long last_change;       /* epoch seconds of the last state change */
	long down_since;        /* epoch seconds, while down */
	uint64_t downtime_s;    /* accumulated time spent down */
	int code;               /* status code of the last check (HTTP, SMTP...) */
	char info[128];         /* details of the last result, at most 127 bytes as HAProxy */
	const char *changed_by; /* a state change asked for ("CLI"), not a result */
};

/* Whether a health check of <s> is under way (HAProxy's "* " mark). */
int check_in_progress(const struct srv_rt *s);

/* The n of HAProxy's "UP n/fall" and "DOWN n/rise" while a change is under
 * way: the checks left before going down, or those passed towards up.
 */
static inline int check_fall_of(const struct server_cfg *c)
{
	return c->fall ? c->fall : 3;
}

static inline int check_rise_of(const struct server_cfg *c)
{
	return c->rise ? c->rise : 2;
}

static inline int check_health_shown(const struct check_state *ck, const struct server_cfg *c,
                                     int up)
{
	return up ? check_fall_of(c) - ck->consecutive : ck->consecutive;
}

/* Publishes a copy of <st> in *<slot> (the check's thread only), unless
 * the one there holds the same state; the copy it replaces is freed after
 * a grace period. Readers get the copy with hl_rcu_deref(*slot) and may use
 * it until the end of their current event callback (QSBR).
 */
void check_state_publish(struct check_state **slot, const struct check_state *st);
/* Frees the copy in *<slot> at once: only when no reader can hold it any
 * more (from a call_rcu() callback).
 */
void check_state_release(struct check_state **slot);

/* What the runtime API asks of a server's checks (worker/cli-health.c). */
enum check_ctl {
	CHK_CTL_HEALTH_UP,       /* set server health up */
	CHK_CTL_HEALTH_STOPPING, /* set server health stopping */
	CHK_CTL_HEALTH_DOWN,     /* set server health down */
	CHK_CTL_AGENT_UP,        /* set server agent up */
	CHK_CTL_AGENT_DOWN,      /* set server agent down */
	CHK_CTL_HEALTH_DISABLE,  /* disable health */
	CHK_CTL_HEALTH_ENABLE,   /* enable health */
	CHK_CTL_AGENT_DISABLE,   /* disable agent */
	CHK_CTL_AGENT_ENABLE,    /* enable agent */
	CHK_CTL_CHECK_PORT,      /* set server check-port <port> */
	CHK_CTL_CHECK_ADDR,      /* set server check-addr <ip> [port <port>] */
	CHK_CTL_AGENT_ADDR,      /* set server agent-addr <ip> [port <port>] */
	CHK_CTL_AGENT_PORT,      /* set server agent-port <port> */
	CHK_CTL_AGENT_SEND,      /* set server agent-send <text> (check_control_text()) */
};

/* Applies <op> to the checks of <s> on the thread that runs them (at once
 * when called there, else at its next loop turn), logging state changes
 * as "changed from CLI". <addr> (CHK_CTL_CHECK_ADDR, NULL otherwise) and
 * <port> (0: unchanged) are its arguments.
 */
void check_control(struct srv_rt *s, enum check_ctl op, const struct hl_addr *addr, int port);
/* The same for an operation whose argument is a text (CHK_CTL_AGENT_SEND). */
void check_control_text(struct srv_rt *s, enum check_ctl op, const char *text);

/* The same for the statistics page's admin form: state changes are logged
 * as "changed from Web interface". No address or port operations.
 */
void check_control_web(struct srv_rt *s, enum check_ctl op);

/* Whether <s> has a health check, and an agent check. */
int check_configured(const struct srv_rt *s);
int agent_configured(const struct srv_rt *s);

/* The agent side of check_control(): up (1) or down (0) as if the agent
 * said so, or paused (<pause> 1) / resumed (0). Check's thread only.
 */
void agent_force(struct srv_rt *s, int up, const struct check_state *why);
void agent_pause(struct srv_rt *s, int pause);
/* Runtime changes of the agent's target, used from its next connection:
 * address (<addr> non-NULL), port (<port> >= 0), and text sent once
 * connected (<send> non-NULL). Check's thread only.
 */
void agent_retarget(struct srv_rt *s, const struct hl_addr *addr, int port, const char *send);

/* Sizes the check table; call once before the worker threads start. */
void checks_init(void);

/* Interval <inter> with the random jitter of "spread-checks" (up to that
 * percentage of it, either way).
 */
uint32_t check_spread(uint32_t inter);

/* Delay before the first run of a check of the server of global index <g>
 * whose interval is <inter>: its health check, or its agent check (then
 * <second> tells it also has a health check, which comes first):
 * the checks start one after the other, spread over the smallest interval
 * of a second or more among them (or their own, when longer), bounded by
 * "max-spread-checks", as HAProxy does. Valid after checks_init().
 */
uint32_t check_first_delay(int g, int second, uint32_t inter);

/* Starts the checks that belong to the current thread. */
void checks_start_thread(void);

/* Check state of <s> (for statistics), NULL when it has no check: its
 * last published copy, valid until the end of the current callback.
 */
const struct check_state *check_of(const struct srv_rt *s);
/* The same, NULL while paused ("disable health", or an added server's
 * check before "enable health"): the statistics then show no check, as
 * HAProxy's do.
 */
const struct check_state *check_running_of(const struct srv_rt *s);

/* Counts the usable active and backup servers of <be> (UP, not NOLB, not
 * in maintenance nor draining).
 */
void check_count_usable(const struct be_rt *be, int *act, int *bck);

/* "Backup " for a backup server, else "": HAProxy's lines about a backup
 * server start with "Backup Server".
 */
/* The last usable server of <be> went away: says it on stderr and in the
 * backend's logs, as HAProxy does.
 */
void check_report_no_server(const struct be_rt *be);

const char *check_srv_kind(const struct srv_rt *s);

/* " Running on backup." when only backup servers are usable, else "". */
const char *check_backup_note(int act, int bck);

/* Agent checks (worker/check-agent.c), run on the thread of the server's
 * health check. The agent's verdict <agent_up> combines with the health
 * check's: the server is UP only when both agree; a change is logged with
 * the agent's result <why>.
 */
void check_agent_verdict(struct srv_rt *s, int agent_up, const struct check_state *why);

/* Whether the agent of <s> reported it down (0 without agent). */
int agent_holds_down(const struct srv_rt *s);

/* Sizes the agent table (from checks_init), then starts the agent checks
 * of the current thread (from checks_start_thread).
 */
void agents_init(void);
void agents_start_thread(void);

/* Interval of the agent checks of a server configured as <c>. */
uint32_t agent_interval(const struct server_cfg *c);

/* Whether <s> has an agent check that runs (not stopped by "disable
 * agent"); any thread.
 */
int agent_enabled(const struct srv_rt *s);

/* Agent state of <s> (for statistics), NULL without agent check: its
 * last published copy, valid until the end of the current callback. The
 * health is 0 (down) or 1.
 */
const struct check_state *agent_of(const struct srv_rt *s, int *health);
/* The same, NULL while paused ("disable agent"). */
const struct check_state *agent_running_of(const struct srv_rt *s, int *health);

/* The worker thread running the health check of <s>, NULL without one. */
struct wthread *check_thread_of(const struct srv_rt *s);

/* A server added at run time: creates its health and agent checks, paused
 * until "enable health" / "enable agent" (CLI thread).
 */
void check_server_added(struct srv_rt *s);
/* A server taken out of its backend: stops and frees its checks on their
 * thread, then calls <done>(s) there (e.g. to free the server after a grace
 * period).
 */
void check_server_removed(struct srv_rt *s, void (*done)(struct srv_rt *s));
/* Agent side of the above (check's thread). */
void agent_new(struct srv_rt *s, int paused);
void agent_destroy(struct srv_rt *s);

/* Passive observation (worker/observe.c) saw "error-limit" errors in a row
 * <n> times on <s>, the last being <last>: applies its "on-error" reaction
 * that many times. Runs on the check's thread.
 */
void check_observed_errors(struct srv_rt *s, int n, const char *last);

/* Tracking (worker/check-track.c): the server <s> tracks, NULL if none. */
const struct srv_rt *check_tracked(const struct srv_rt *s);

/* Passes the operational state of <s> on to the servers tracking it. */
void check_propagate(const struct srv_rt *s);

/* Resolves the "track" of server <s> being added to <be> at run time: the
 * target must be a configured server with a check, an agent or a track of
 * its own. Returns 0, or -1 with *err set (HAProxy's words).
 */
int check_track_dynamic(struct server *s, struct be_rt *be, char **err);
/* Whether another server tracks <s>. */
int check_has_trackers(const struct srv_rt *s);

/* Whether HAProxy shows a status code with result <r> (show stat column
 * check_code, ", code: N" in state-change lines): layer 7 data results.
 */
int check_result_has_code(enum check_result r);

/* HAProxy's description of a check result ("Layer7 wrong status"). */
const char *check_result_desc(enum check_result r);
