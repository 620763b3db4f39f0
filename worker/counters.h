/* Per-thread traffic counters, summed when read (no shared atomic per
 * request). Arrays are indexed by frontend, backend and global server index.
 */
#pragma once
#include <stdint.h>

#include "worker/runtime.h"

struct px_counters {
	uint64_t sess;      /* sessions accepted (frontend) or assigned (backend) */
	uint64_t bytes_in;  /* from clients */
	uint64_t bytes_out; /* to clients */
	uint64_t errors;    /* backend: no server / queue timeout */
	uint64_t req_tot;   /* HTTP requests (frontend: received, refused ones too;
	                     * backend: transactions that got a final status) */
	uint64_t req_accepted; /* frontend: HTTP request heads accepted (each one a
	                        * stream in HAProxy, counted in show info CumReq) */
	uint64_t hrsp[6];   /* HTTP responses by class: 1xx..5xx, other */
	uint64_t ereq;      /* frontend: invalid requests */
	uint64_t eresp;     /* backend: invalid or aborted responses */
	uint64_t intercepted; /* frontend: answered locally (monitor-uri) */
	uint64_t dreq;        /* requests denied by rules */
	uint64_t dresp;       /* responses denied by rules */
	uint64_t wrew;        /* failed header rewrites */
	uint64_t dcon;        /* connections refused by tcp-request connection */
	uint64_t dses;        /* sessions refused by tcp-request session */
};

/* One server's counters on one thread: what every request adds to comes
 * first, in the struct's first cache line (2xx responses included), so that
 * a backend of 1,000 servers costs a request one line of them. Aligned on
 * 64 bytes (arrays of them come from xcalloc_lines()), uint64_t only.
 */
struct srv_counters {
	_Alignas(64) uint64_t conns; /* connection attempts */
	uint64_t req_tot; /* HTTP response heads received (HAProxy counts these) */
	uint64_t bytes_in, bytes_out;
	uint64_t hrsp[6]; /* HTTP response heads received by class: 1xx..5xx, other */
	uint64_t econ;    /* connection errors */
	uint64_t retries;
	uint64_t redisp;
	uint64_t eresp;
	uint64_t spare[2]; /* the size stays two lines, without padding */
};

_Static_assert(sizeof(struct srv_counters) == 128, "struct srv_counters: two cache lines");

struct thr_counters {
	struct px_counters *fe; /* [rt.nfe] */
	struct px_counters *be; /* [rt.nbe] */
	struct srv_counters *srv; /* [total servers] */
};

struct stream;

/* Allocates the counters of thread <t>. */
void counters_init_thread(struct wthread *t);

void counters_fe_accept(struct fe_rt *fe);
void counters_be_error(struct be_rt *be);
void counters_srv_connect(struct srv_rt *srv);
void counters_srv_conn_error(struct srv_rt *srv);
void counters_srv_retry(struct srv_rt *srv);
void counters_srv_redispatch(struct srv_rt *srv);
/* HTTP: a request was received (once per transaction; <accepted> when its
 * head was valid), refused, or answered locally.
 */
void counters_http_req(struct fe_rt *fe, int accepted);
void counters_http_bad_req(struct fe_rt *fe);
void counters_http_intercepted(struct fe_rt *fe);
/* A request (<resp> 0) or response denied by a rule of <fe> / <be>. */
void counters_http_denied(struct fe_rt *fe, struct be_rt *be, int resp);
/* A connection (<kind> 0), session (1) or request (2) refused by a TCP
 * rule of <fe>.
 */
void counters_tcp_denied(struct fe_rt *fe, int kind);
/* A rule failed to rewrite a message. */
void counters_http_rewrite_failed(struct fe_rt *fe, struct be_rt *be);
/* HTTP: the final response of a transaction, with <status>, went to the
 * client; <be> is the backend it was routed to, if any.
 */
void counters_http_status(struct fe_rt *fe, struct be_rt *be, int status);
/* HTTP: server <srv> sent a valid response head (interim ones too). */
void counters_http_srv_rsp(struct srv_rt *srv, int status);
/* HTTP: a server sent an invalid response or aborted it. */
void counters_http_bad_rsp(struct be_rt *be, struct srv_rt *srv);
/* Adds the stream's byte counts to its frontend, backend and server. */
void counters_add_bytes(struct stream *s);

/* Sums over threads. */
struct px_counters counters_fe_sum(int fe_idx);
struct px_counters counters_be_sum(int be_idx);
struct srv_counters counters_srv_sum(const struct srv_rt *srv);

/* Streams started since the start, as HAProxy's CumReq counts them: TCP
 * sessions and accepted HTTP request heads ("clear counters" keeps them).
 */
uint64_t counters_cum_streams(void);

/* Resets the peak values ("clear counters"): req_rate_max. */
void counters_clear_max(void);

/* Resets every counter above to zero as seen by the sums (CLI thread). */
void counters_clear_all(void);

/* Makes the counters of <srv> read zero from now on: a server added at run
 * time in a slot a deleted one used (CLI thread, as the sums).
 */
void counters_srv_reset(const struct srv_rt *srv);

/* Global index of a server across all backends. */
int srv_global_index(const struct srv_rt *srv);
/* Asks the CPU to load this thread's counters of <srv> (a coming request). */
void counters_prefetch_srv(const struct srv_rt *srv);
/* Number of server slots (once a thread's counters exist). */
int srv_total_count(void);
