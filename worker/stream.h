/* A TCP-mode stream: one client connection, at most one server connection,
 * and one buffer (or pipe, with splice) per direction.
 *
 * Invariants:
 *  - a stream lives on the thread that accepted it (s->thr);
 *  - a side's shutr means EOF was read from it, shutw that we sent FIN to it;
 *  - the stream ends when data can no longer move in either direction;
 *  - s->server holds one slot of srv->cur_conns from the connection attempt
 *    until the server side is closed (srv_release()).
 */
#pragma once
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "common/vars.h"
#include "worker/log-stream.h"
#include "worker/loop.h"
#include "worker/proxy-proto.h"
#include "worker/runtime.h"

/* The epoll mask of both sides of a stream, kept by server connections
 * while they wait in an idle pool (worker/http-pool.c).
 */
#define STREAM_IO_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

struct http_txn;

enum { SPLICE_OFF = 0, SPLICE_AUTO, SPLICE_ON };

struct sbuf {
	char *data;
	uint32_t head, tail, size;
};

struct ssl_st;

/* The HTTP state of a client connection that outlives its transactions. */
struct http_keep {
	struct srv_rt *idle_srv; /* server of the idle connection in s->srv */
	int nb_txn;              /* transactions completed on this connection */
	uint32_t conn_uses;      /* transactions the server connection in s->srv completed */
};

struct side {
	int fd;
	unsigned rd_ready : 1, wr_ready : 1, shutr : 1, shutw : 1, err : 1;
	unsigned rdhup : 1; /* the peer's FIN was signalled: read until 0 */
	/* TLS (worker/tls.h): handshake done, close_notify sent, a read that
	 * waits for writability / a write that waits for readability, a write
	 * held by OpenSSL that must be retried
	 */
	unsigned tls_hs_done : 1, tls_closed : 1, tls_rd_wants_wr : 1, tls_wr_wants_rd : 1;
	unsigned tls_wpend : 1, tls_counted : 1;
	/* 0-RTT (worker/tls.c): early data to try, the session started on
	 * early data before the handshake ended, early data were received,
	 * OpenSSL reported their end
	 */
	unsigned tls_try_early : 1, tls_early : 1, tls_early_rcvd : 1, tls_early_fin : 1;
	struct ssl_st *ssl; /* NULL: plain socket */
	char *tls_ebuf;     /* early data read aside, [tls_eoff, tls_elen) unread */
	uint32_t tls_eoff, tls_elen;
	const char *tls_static;  /* committed static message not fully sent */
	uint32_t tls_static_len; /* (32 bits: the stream keeps to its allocation class) */
	uint32_t pipe_len;       /* bytes in the pipe, at most PIPE_SIZE */
	int pipe[2];             /* splice pipe toward the other side, -1 when unused */
	uint64_t sent;           /* bytes written to this side */
};

enum stream_state {
	ST_PROXY_HDR,  /* waiting for the PROXY protocol header */
	ST_TLS_HS,     /* TLS handshake with the client */
	ST_INSPECT,    /* TCP: content rules wait for data (tcp-request inspect-delay) */
	ST_ASSIGN,     /* choosing a server */
	ST_QUEUED,     /* waiting for a server slot */
	ST_TURNAROUND, /* waiting before retrying the same server */
	ST_CONNECTING,
	ST_ESTABLISHED,
	ST_HTTP_REQ,   /* HTTP: waiting for (the head of) the next request */
	ST_HTTP_FLUSH, /* HTTP: sending a reply before closing */
	ST_TARPIT,     /* HTTP: a tarpitted request waits for its error reply */
	ST_CLOSED,
};

/* Termination causes, first letter of HAProxy's termination states. */
enum term_cause {
	TERM_NONE = 0,
	TERM_CLI_TO,
	TERM_SRV_TO,
	TERM_CLI_ERR,
	TERM_SRV_ERR,
	TERM_CONN_FAIL,
	TERM_NO_SRV,
	TERM_QUEUE_TO,
	TERM_PROXY_HDR,
	TERM_TLS_HS, /* TLS handshake failed or timed out */
	TERM_KILLED,
	TERM_DOWN, /* its server went down (on-marked-down shutdown-sessions) */
	TERM_UP    /* an active server came up (on-marked-up shutdown-backup-sessions) */
};

/* Whether <why> ends a stream from the outside: no error reply is due. */
static inline int term_is_kill(enum term_cause why)
{
	return why == TERM_KILLED || why == TERM_DOWN || why == TERM_UP;
}

struct stream {
	struct ev_handler ch, sh;
	struct task task;
	struct timer tmo;
	struct mail mail;
	struct wthread *thr;
	enum stream_state state;
	enum term_cause term;
	struct side cli, srv;
	struct sbuf req, rsp;
	struct listener *lst;
	struct fe_rt *fe;
	struct be_rt *be;
	struct srv_rt *server;   /* assigned server, holds one of its slots */
	struct srv_rt *acct_srv; /* last server used, for byte accounting */
	const struct srv_rt *failed_srv;
	struct sockaddr_storage cli_addr;
	struct sockaddr_storage *dst_addr; /* NULL until needed: see stream_dst_addr() */
	int retries_left;
	int attempts;
	uint64_t cli_exp, srv_exp, conn_exp, queue_exp;
	uint64_t accept_ms;
	uint64_t bytes_in, bytes_out;
	struct stream *qprev, *qnext; /* backend queue links */
	/* small fields together, so that the stream fits a smaller
	 * allocation class (bytes, not bit-fields: they are written apart)
	 */
	uint8_t in_queue;
	uint8_t mail_pending;           /* popped from the queue, wake-up mail not run yet */
	uint8_t zombie;                 /* ended while mail_pending: the mail frees it */
	uint8_t inspect_final;          /* the inspect delay expired */
	uint8_t inspect_be;             /* the backend's content rules are inspecting */
	uint8_t res_inspect;            /* tcp-response content rules still to decide */
	uint8_t res_final;              /* the response inspect delay expired */
	uint8_t http;                   /* an HTTP stream (its frontend is in HTTP mode) */
	uint8_t splice_req, splice_rsp; /* SPLICE_OFF, SPLICE_AUTO or SPLICE_ON */
	int tls_hs_why;                 /* TLS_HS_* reason of a failed handshake */
	uint32_t pp_hdr_len;            /* PROXY header bytes at the head of req, not yet sent */
	uint32_t to_server, to_tunnel, to_client; /* set-timeout overrides, 0: none */
	struct srv_rt *retry_srv;                 /* server to retry after the turn-around */
	/* HTTP mode: the current transaction, NULL in TCP mode and between
	 * transactions (allocated when the next request starts, see
	 * http_txn_park()); what lasts from one transaction to the next is in
	 * <kal>
	 */
	struct http_txn *txn;
	struct http_keep kal;
	struct var_store vars_sess, vars_txn, vars_req, vars_res;
	const struct act_rule *resume_rule; /* rule that yielded, to run again */
	uint64_t res_exp;                   /* end of the response inspect delay, 0: none */
	struct srv_rt *use_srv;             /* chosen by a use-server rule (HTTP) */
	struct stream_addrs *addrs;         /* set-src/set-dst only (NULL until then) */
	struct stream *tprev, *tnext;       /* streams of the thread */
	struct strm_log log;                /* timers and states of the log line (log-stream.h) */
	/* HTTP: the server SNI computed from the request before its head went
	 * out (worker/tls-srv.c), NULL: none computed
	 */
	struct sni_memo *sni;
};

/* An SNI computed ahead for servers using expression <expr>: <val> when
 * <has>, else no SNI (the expression gave no usable name).
 */
struct sni_memo {
	const struct sample_expr *expr;
	int has;
	char val[];
};

/* Whether <s> is an HTTP stream (s->txn may be NULL between requests). */
static inline int stream_is_http(const struct stream *s)
{
	return s->http;
}

/* Addresses kept aside by set-src/set-dst, allocated on first use so that
 * streams without such rules stay small.
 */
struct stream_addrs {
	/* HTTP: the connection's addresses before set-src/set-dst changed them
	 * for the current transaction (restored for the next one)
	 */
	struct sockaddr_storage saved_cli, saved_dst;
	int addr_saved;
	/* the client connection's own addresses (fc_src, fc_dst), kept when a
	 * rule after "tcp-request connection" first changes cli_addr/dst_addr
	 */
	struct sockaddr_storage conn_cli, conn_dst;
	int conn_addr_saved;
};

struct act_rule;

/* Ends the variables of a transaction (txn, req, res scopes). */
void stream_vars_txn_end(struct stream *s);

/* Soft stop on the current thread: idle HTTP connections are closed, busy
 * ones close after their current transaction; idle server connections are
 * released.
 */
void streams_soft_stop(void);

/* Ends, with <why>, the streams of the current thread connected to server
 * <srv>, or with <srv> NULL, to any backup server of backend <be>.
 */
void streams_kill(const struct be_rt *be, const struct srv_rt *srv, enum term_cause why);

/* Calls <fn> for every stream of the current thread that is not over. */
void streams_foreach(void (*fn)(const struct stream *s, void *arg), void *arg);

/* Ends with TERM_KILLED the stream at address <ptr> if the current thread
 * owns it ("shutdown session"; <ptr> is only compared). Returns 1 if so.
 */
int stream_kill_ptr(uintptr_t ptr);

/* Creates a stream for the accepted client <fd> on the current thread. */
void stream_accept(struct listener *l, int fd, const struct sockaddr_storage *addr);

/* Re-runs the stream state machine (used by the queue and timers). */
void stream_wakeup(struct stream *s);

/* The address the client connected to (from the PROXY header, else read
 * from the socket on first use).
 */
const struct sockaddr_storage *stream_dst_addr(struct stream *s);

/* Like stream_dst_addr(), writable (set-dst); NULL on memory exhaustion.
 * The address is allocated on first use: most streams never need it.
 */
struct sockaddr_storage *stream_dst_addr_rw(struct stream *s);

/* Marks the server connection established (backend.c). */
void stream_established(struct stream *s);

/* Closes the server side and releases its slot (backend.c retries). */
void stream_close_server(struct stream *s);

/* Ends the stream with <why> and frees it. */
void stream_end_cause(struct stream *s, enum term_cause why);

/* Building blocks shared with the HTTP layer (worker/http-*.c). */

/* The server and client timeouts of <s>: set-timeout's, else the
 * backend's / frontend's.
 */
static inline uint32_t stream_to_server(const struct stream *s)
{
	return s->to_server ? s->to_server : s->be->conf->to.server;
}

static inline uint32_t stream_to_client(const struct stream *s)
{
	return s->to_client ? s->to_client : s->fe->conf->to.client;
}

/* Absolute deadline <to_ms> from now, 0 when <to_ms> is 0 (no timeout). */
uint64_t deadline(uint32_t to_ms);
void stream_arm_timer(struct stream *s);
/* Gets storage for <b> from the pool; -1 on memory exhaustion. */
int sbuf_take(struct sbuf *b);
void sbuf_release_if_empty(struct sbuf *b);
/* Compacts <b> and returns its free room at the tail (0: no storage). */
uint32_t sbuf_room(struct sbuf *b);
/* Appends <len> bytes to <out> (taking storage if needed); -1 when they
 * do not fit.
 */
int sbuf_append(struct sbuf *out, const char *p, size_t len);
/* Like recv(MSG_DONTWAIT) / send(MSG_NOSIGNAL | MSG_DONTWAIT) on <sd>,
 * through TLS when it has it.
 */
ssize_t side_recv(struct side *sd, void *buf, size_t len);
ssize_t side_send(struct side *sd, const void *buf, size_t len);
/* Sends an interim message (100-continue) ahead of buffered data: 1 once
 * it is on its way, 0 to retry later.
 */
int side_send_interim(struct side *sd, const char *p, size_t len);
/* Half-closes <sd> for writing (close_notify first on TLS). */
void side_shutw(struct side *sd);
/* Whether bytes may be read from <sd> right now (peeks at the socket). */
int side_has_input(struct side *sd);
/* Sends what <b> holds to <to>: 1 on progress, 0, -1 on error. */
int sbuf_send(struct side *to, struct sbuf *b);
/* Reads from <from> into <b>, adding to *count: 1 on progress (data or
 * EOF, then from->shutr is set), 0, -1 on error.
 */
int sbuf_recv(struct side *from, struct sbuf *b, uint64_t *count);
/* One round of kernel-side forwarding from <from> to <to> through
 * from->pipe, reading at most <limit> bytes (added to *count). Returns 1 on
 * progress, 0, or -1 on error or when no pipe can be had (errno is kept).
 */
int stream_splice(struct side *from, struct side *to, uint64_t limit, uint64_t *count);
/* Reads early client data into s->req while no server is connected.
 * Returns -1 on error.
 */
int stream_buffer_request(struct stream *s);
/* Raw forwarding in both directions (TCP mode, HTTP tunnels). */
void stream_forward(struct stream *s);
