/* Traffic logs: what a stream records for its log line (dates, timers,
 * termination state) and when the line is emitted: at the end of each HTTP
 * transaction, at the end of a TCP stream, or at accept for the "Connect
 * from" line of a frontend with log targets but no log format.
 *
 * Timer stamps are thread milliseconds (curthr->now_ms); 0 means "did not
 * happen", which the log shows as -1 as HAProxy does.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct stream;
struct srv_rt;

struct strm_log {
	struct timeval accept_date; /* wall clock at accept */
	struct timeval req_date;    /* wall clock at the start of the request */
	uint64_t t_hs;              /* handshakes done (PROXY header read) */
	uint64_t t_idle;            /* start of the idle time before this request */
	uint64_t t_req;             /* first byte of this request (HTTP) */
	uint64_t t_hdr;             /* request head complete (HTTP) */
	uint64_t t_ready;           /* ready for a server (queue time starts) */
	uint64_t t_conn;            /* first connection attempt */
	uint64_t t_est;             /* server connection established */
	uint64_t t_rsp;             /* response head received (HTTP) */
	uint64_t base_in, base_out; /* byte counters at the start of the transaction */
	const struct srv_rt *srv;   /* server of this transaction */
	uint32_t id;                /* request counter (%rt) */
	int retries;                /* connection attempts beyond the first */
	int redispatched;
	int srv_queue, be_queue; /* queue positions when queued */
	char term[2];            /* termination state, 0 until known */
	char *reqline;           /* HTTP request line, for %r */
	char *uid;               /* unique id of the transaction, once built */
	int logged;              /* the transaction's line went out */
	int asap;                /* it went out early (option logasap) */
	int first_txn;           /* the first transaction of the connection */
	int level;               /* set-log-level: 0 none, -1 silent, else level + 1 */
};

/* Bytes sent or queued to the client so far (a local reply may still be
 * on its way when its transaction is logged).
 */
uint64_t log_bytes_to_client(const struct stream *s);

/* A stream was accepted: dates and counters; "Connect from" line. */
void log_stream_accept(struct stream *s);

/* The handshakes (PROXY header) are done. */
void log_handshake_done(struct stream *s);

/* A new HTTP transaction begins (not the first one). */
void log_txn_begin(struct stream *s);

/* The first bytes of an HTTP request arrived. */
void log_request_start(struct stream *s);

/* The request head is complete: keeps the request line for %r. */
void log_request_head(struct stream *s, const char *line, size_t len);

/* Records why the stream or transaction ends, once: the first call wins.
 * <cause> and <state> are HAProxy's termination letters ('-' for none).
 */
void log_set_term(struct stream *s, char cause, char state);

/* Same for a rule answering locally with <cause>: on the request side
 * ('R') or, once the response head came, on the response side ('H').
 */
void log_set_term_rule(struct stream *s, char cause);

/* Records the termination state that HAProxy reports for ending <s> with
 * <why> (enum term_cause) in its current state.
 */
void log_set_term_cause(struct stream *s, int why);

/* option logasap: emits the line now, before the data transfer (TCP: the
 * server connection is established; HTTP: the response head went out).
 * Timers and byte counts still running are marked with '+'.
 */
void log_asap(struct stream *s);

/* The HTTP transaction is over: emits its line (once). */
void log_txn_end(struct stream *s);

/* The stream ends: emits the TCP line, or the unfinished HTTP one. */
void log_stream_end(struct stream *s);

/* Frees what the log state owns (request line, unique id). */
void log_stream_free(struct stream *s);

/* The unique id of the current transaction, built on first use from
 * unique-id-format; NULL when the frontend has none.
 */
const char *log_unique_id(struct stream *s);
