/* HTTP stream glue: transaction state allocation, the HTTP branch of the
 * stream state machine, error and local replies, graceful close (flush the
 * reply, shut the write side, drain until the client closes), and reuse of
 * the stream's idle server connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/mem.h"
#include "conf/http.h"
#include "worker/backend.h"
#include "worker/counters.h"
#include "worker/http-pool.h"
#include "worker/capture.h"
#include "worker/http-rules.h"
#include "worker/http-txn.h"
#include "worker/observe.h"
#include "worker/pool.h"
#include "worker/tls-srv.h"
#include "worker/tls.h"

#define LINGER_MS 1000 /* how long a closing connection waits for the client's FIN */

static void park_idle_conn(struct stream *s);

static const char *case_lookup(const void *map, const char *lname, size_t len)
{
	return h1_case_adjust_lookup(map, lname, len);
}

h1_case_fn http_case_fn(const struct stream *s, int to_server)
{
	unsigned f = to_server ? (s->be ? s->be->conf->http.flags : 0) & PXH_CASE_BOGUS_SRV
	                       : s->fe->conf->http.flags & PXH_CASE_BOGUS_CLI;
	return f && rt.cfg->global.h1_case_adjust ? case_lookup : NULL;
}

int http_client_closes(const struct http_txn *t)
{
	unsigned f = t->req.flags;
	return (f & HMF_CONN_CLOSE) || (!(f & HMF_VER11) && !(f & HMF_CONN_KAL));
}

char *http_rw_alloc(struct http_txn *t, size_t len)
{
	if (!t->rw) {
		uint32_t size = rt.cfg->global.tune_maxrewrite * 2;
		t->rw = malloc(size ? size : 2048);
		if (!t->rw)
			return NULL;
		t->rw_size = size ? size : 2048;
	}
	if (len > t->rw_size - t->rw_len)
		return NULL;
	char *p = t->rw + t->rw_len;
	t->rw_len += (uint32_t)len;
	return p;
}

/* Header slot areas given back by idle transactions, per thread. */
#define SLOTS_CACHED 64
static __thread struct http_hdr *slots_cache[SLOTS_CACHED];
static __thread int slots_cached;

int http_txn_take_slots(struct http_txn *t)
{
	if (t->hdrs)
		return 0;
	t->hdrs = slots_cached ? slots_cache[--slots_cached]
	                       : malloc(2 * (size_t)t->slots * sizeof(struct http_hdr));
	if (!t->hdrs)
		return -1;
	t->req.hdrs = t->hdrs;
	t->rsp.hdrs = t->hdrs + t->slots;
	return 0;
}

/* Gives the header slots back (to the thread's cache, else freed). */
static void put_slots(struct http_txn *t)
{
	if (!t->hdrs)
		return;
	if (slots_cached < SLOTS_CACHED)
		slots_cache[slots_cached++] = t->hdrs;
	else
		free(t->hdrs);
	t->hdrs = t->req.hdrs = t->rsp.hdrs = NULL;
}

void http_txn_idle(struct http_txn *t)
{
	if (t->cin.tail != t->cin.head || t->req_valid || t->rsp_valid)
		return; /* a pipelined request, or messages still read */
	put_slots(t);
	t->req.nhdrs = t->rsp.nhdrs = 0;
	sbuf_release_if_empty(&t->cin);
	sbuf_release_if_empty(&t->sin);
	free(t->rw);
	t->rw = NULL;
	t->rw_len = t->rw_size = 0;
}

/* Whether the transaction of <s> holds nothing the next request needs:
 * no bytes received or to send, no message still read, no reply pending,
 * no closing decided.
 */
static int txn_parkable(const struct stream *s)
{
	const struct http_txn *t = s->txn;
	return s->state == ST_HTTP_REQ && s->kal.nb_txn && !t->cin.data && !t->sin.data &&
	       !t->hdrs && !t->rw && !t->lout && !t->eh && !t->req_valid && !t->rsp_valid &&
	       !t->cli_close && !t->discarding && !t->tunnel && !t->lingering && !t->waiting_body &&
	       !t->stats_wait && !t->caps[0] && !t->caps[1] && !t->cookie_cap[0] &&
	       !t->cookie_cap[1] && (!s->rsp.data || s->rsp.tail == s->rsp.head);
}

/* Transaction states given back by parked or ended streams, per thread:
 * a keep-alive connection takes one per request, the cache spares the
 * allocator that round trip.
 */
#define TXN_CACHED 16
static __thread struct http_txn *txn_cache[TXN_CACHED];
static __thread int txn_cached;

/* Gives <t> (its own allocations freed) back to the thread's cache. */
static void txn_put(struct http_txn *t)
{
	if (txn_cached < TXN_CACHED)
		txn_cache[txn_cached++] = t;
	else
		free(t);
}

void http_txn_park(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (!t || !txn_parkable(s))
		return;
	free(t->req_copy); /* only for a retry of the request that is over */
	txn_put(t);
	s->txn = NULL;
}

int http_txn_new(struct stream *s)
{
	if (s->txn)
		return 0;
	int maxhdrs = rt.cfg->global.tune_http_maxhdr > 0 ? rt.cfg->global.tune_http_maxhdr : 101;
	struct http_txn *t = txn_cached ? txn_cache[--txn_cached] : malloc(sizeof(*t));
	if (!t)
		return -1;
	memset(t, 0, sizeof(*t));
	t->maxhdrs = maxhdrs - 1; /* the limit counts the end of the head, as HAProxy does */
	t->slots = maxhdrs + HTTP_EXTRA_HDRS;
	s->txn = t;
	return 0;
}

void http_txn_free(struct stream *s)
{
	struct http_txn *t = s->txn;
	park_idle_conn(s);
	if (!t)
		return;
	free(t->req_copy);
	free(t->rw);
	capture_free(t, s->fe->conf);
	free(t->eh);
	free(t->lout);
	pool_buf_put(t->cin.data);
	pool_buf_put(t->sin.data);
	put_slots(t);
	txn_put(t);
	s->txn = NULL;
}

/* Drops whatever was prepared for the server and closes its connection. */
static void forget_server_side(struct stream *s)
{
	stream_close_server(s);
	s->kal.idle_srv = NULL;
	backend_dequeue_stream(s);
	s->conn_exp = s->srv_exp = s->queue_exp = 0;
	s->pp_hdr_len = 0;
	if (s->req.data) {
		s->req.head = s->req.tail = 0;
		sbuf_release_if_empty(&s->req);
	}
	if (s->txn->sin.data) { /* what that server sent is of no use now */
		s->txn->sin.head = s->txn->sin.tail = 0;
		sbuf_release_if_empty(&s->txn->sin);
	}
	s->txn->rscan_from = 0;
	s->txn->rsp_valid = 0;
}

/* Whether the head of reply <r> carries "Connection: close". */
static int reply_says_close(const struct http_reply *r)
{
	static const char name[] = "\nconnection:";
	for (size_t i = 0; i + sizeof(name) < r->len; i++) {
		if (r->raw[i] == '\n' && (r->raw[i + 1] == '\r' || r->raw[i + 1] == '\n'))
			return 0; /* end of the head */
		if (strncasecmp(r->raw + i, name, sizeof(name) - 1) != 0)
			continue;
		const char *v = r->raw + i + sizeof(name) - 1;
		size_t left = r->len - (size_t)(v - r->raw);
		while (left && (*v == ' ' || *v == '\t'))
			v++, left--;
		return left >= 5 && strncasecmp(v, "close", 5) == 0;
	}
	return 0;
}

/* Appends error reply <r> to s->rsp, with "connection: close" after its
 * status line when the transaction asks for it.
 */
static int append_reply(struct stream *s, const struct http_reply *r)
{
	static const char hdr[] = "connection: close\r\n";
	const char *eol = memchr(r->raw, '\n', r->len);
	if (!s->txn->close_hdr || !eol)
		return http_append_local_reply(s, r->raw, r->len);
	size_t first = (size_t)(eol - r->raw) + 1;
	if (sbuf_room(&s->rsp) < r->len + sizeof(hdr) - 1)
		return -1;
	sbuf_append(&s->rsp, r->raw, first);
	sbuf_append(&s->rsp, hdr, sizeof(hdr) - 1);
	return sbuf_append(&s->rsp, r->raw + first, r->len - first);
}

void http_reply_error(struct stream *s, int status, enum term_cause why)
{
	struct http_txn *t = s->txn;
	if (why != TERM_NONE)
		log_set_term_cause(s, why);
	int routed = s->state != ST_HTTP_REQ && s->state != ST_HTTP_FLUSH;
	struct be_rt *be = routed ? s->be : NULL;
	/* an error about a complete request leaves the connection usable */
	int keep = routed && !t->close_hdr && !t->cli_close && t->req_state == HRQ_DONE &&
	           !atomic_load(&rt.stopping);
	forget_server_side(s);
	const struct http_reply *r;
	if (t->close_hdr) /* the parser's own errors: always the built-in pages */
		r = http_builtin_reply(status);
	else if (!be || !(r = http_error_override(be->conf, status)))
		r = http_error_reply(s->fe->conf, status); /* backend's, then frontend's */
	if (r && reply_says_close(r))
		keep = 0;
	t->status = status;
	/* not behind the rest of a large local reply: it would land inside it */
	if (!t->rsp_started && !t->lout && r && append_reply(s, r) == 0) {
		t->rsp_started = 1;
		counters_http_status(s->fe, be, status);
	} else {
		keep = 0;
	}
	if (keep) {
		http_next_transaction(s);
		return;
	}
	if (s->term == TERM_NONE)
		s->term = why;
	t->cli_close = 1;
	s->state = ST_HTTP_FLUSH;
	s->cli_exp = deadline(stream_to_client(s));
	http_flush(s);
}

void http_reply_raw(struct stream *s, const char *raw, size_t len, int status)
{
	struct http_txn *t = s->txn;
	int routed = s->state != ST_HTTP_REQ && s->state != ST_HTTP_FLUSH;
	struct be_rt *be = routed ? s->be : NULL;
	int keep =
	    !t->cli_close && !atomic_load(&rt.stopping) && (!routed || t->req_state == HRQ_DONE);
	if (routed)
		forget_server_side(s);
	t->status = status;
	if (!t->rsp_started && http_append_local_reply(s, raw, len) == 0) {
		t->rsp_started = 1;
		counters_http_status(s->fe, be, status);
	} else {
		keep = 0;
	}
	if (keep) {
		http_next_transaction(s);
		return;
	}
	t->cli_close = 1;
	s->state = ST_HTTP_FLUSH;
	http_flush(s);
}

/* After a local reply is queued: closes once it is sent (<close>), or
 * waits for the next request.
 */
static void finish_local_reply(struct stream *s, int close)
{
	if (close) {
		s->txn->cli_close = 1;
		s->state = ST_HTTP_FLUSH;
		http_flush(s);
		return;
	}
	http_next_transaction(s);
}

void http_reply_local(struct stream *s, const char *raw, size_t len, int close)
{
	struct http_txn *t = s->txn;
	if (sbuf_append(&s->rsp, raw, len) < 0) {
		http_reply_error(s, 500, TERM_NONE);
		return;
	}
	t->status = 200;
	finish_local_reply(s, close);
}

/* Reads and drops what the client still sends. Returns 1 once it closed. */
static int drain_client(struct stream *s)
{
	char junk[4096];
	for (int i = 0; i < 16; i++) {
		ssize_t n = side_recv(&s->cli, junk, sizeof(junk));
		if (n > 0)
			continue;
		return n == 0 || errno != EAGAIN;
	}
	return 0;
}

void http_reply_local_owned(struct stream *s, int status, char *raw, size_t len, int close)
{
	struct http_txn *t = s->txn;
	free(t->lout);
	t->lout = raw;
	t->lout_len = (uint32_t)len;
	t->lout_off = 0;
	t->status = status;
	finish_local_reply(s, close);
}

/* Moves what fits of the pending local reply into s->rsp. */
static void refill_local(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (!t->lout)
		return;
	uint32_t room = sbuf_room(&s->rsp);
	uint32_t n = t->lout_len - t->lout_off < room ? t->lout_len - t->lout_off : room;
	if (n && sbuf_append(&s->rsp, t->lout + t->lout_off, n) == 0)
		t->lout_off += n;
	if (t->lout_off == t->lout_len) {
		free(t->lout);
		t->lout = NULL;
	}
}

int http_send_pending(struct stream *s, int *wrote)
{
	for (;;) {
		refill_local(s);
		int w = sbuf_send(&s->cli, &s->rsp);
		if (w < 0)
			return -1;
		*wrote |= w;
		if (s->rsp.data && s->rsp.tail > s->rsp.head)
			return 0;
		if (!s->txn->lout)
			return 1;
	}
}

void http_flush(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (!t->lingering) {
		int w = 0;
		int r = http_send_pending(s, &w);
		if (r < 0) {
			stream_end_cause(s, TERM_CLI_ERR);
			return;
		}
		if (!r) {
			if (w)
				s->cli_exp = deadline(stream_to_client(s));
			stream_arm_timer(s);
			return;
		}
		side_shutw(&s->cli);
		s->cli.shutw = 1;
		t->lingering = 1;
		uint32_t to = stream_to_client(s);
		s->cli_exp = deadline(to && to < LINGER_MS ? to : LINGER_MS);
	}
	if (drain_client(s)) {
		stream_end_cause(s, t->pending_term);
		return;
	}
	stream_arm_timer(s);
}

int http_end_hook(struct stream *s, enum term_cause why)
{
	struct http_txn *t = s->txn;
	if (!t)
		return 0; /* idle between requests (http_txn_park()): closes silently */
	int status = 0;
	switch (s->state) {
	case ST_HTTP_REQ:
		/* a request under way, or none yet: 408; idle between requests: silence */
		if (why == TERM_CLI_TO &&
		    (t->cin.tail > t->cin.head ||
		     (!s->kal.nb_txn && !(s->fe->conf->http.flags & PXH_IGNORE_PROBES)))) {
			status = 408;
			t->close_hdr = !t->waiting_body; /* the parser's own timeout */
			if (t->close_hdr) /* an invalid request for HAProxy's counters */
				counters_http_bad_req(s->fe);
			http_count_request(s, 0);
		}
		break;
	case ST_ASSIGN:
	case ST_QUEUED:
	case ST_TURNAROUND:
	case ST_CONNECTING:
		if (why != TERM_CLI_ERR && why != TERM_CLI_TO && !term_is_kill(why))
			status = 503;
		break;
	case ST_ESTABLISHED:
		if (t->tunnel || t->rsp_started)
			break;
		if (why == TERM_SRV_ERR && http_retry_on_new_conn(s))
			return 1;
		if (why == TERM_SRV_TO || why == TERM_SRV_ERR) /* no response head yet */
			observe_report(s->server, why == TERM_SRV_TO ? OBS_HTTP_READ_TIMEOUT
			                                             : OBS_HTTP_READ_ERROR);
		if (why == TERM_SRV_TO)
			status = 504;
		else if (why == TERM_SRV_ERR)
			status = 502;
		break;
	default:
		break;
	}
	if (!status)
		return 0;
	http_reply_error(s, status, why);
	return 1;
}

/* Whether the idle server connection of <s> is worth keeping for other
 * streams: not with "never"; in "safe" mode, where only later requests of
 * other clients may take it, when it comes from a client that made more
 * than one request (one-request clients would fill the pools with
 * connections nobody takes).
 */
static int worth_parking(const struct stream *s)
{
	if (s->srv.shutr || s->srv.err)
		return 0;
	switch (s->kal.idle_srv->be->conf->http.reuse) {
	case HTTP_REUSE_NEVER:
		return 0;
	case HTTP_REUSE_SAFE:
		return s->kal.nb_txn > 1 || s->state != ST_CLOSED;
	default:
		return 1;
	}
}

/* Gives the stream's idle server connection, if any, to the thread pool,
 * or closes it when reuse is disabled. The server slot held by s->server
 * (a new request's) is not touched.
 */
static void park_idle_conn(struct stream *s)
{
	if (!s->kal.idle_srv || s->srv.fd < 0)
		return;
	if (worth_parking(s)) {
		http_pool_put(s->kal.idle_srv, s->srv.fd, s->srv.ssl, s->kal.conn_uses,
		              STREAM_IO_EVENTS, !s->srv.rd_ready);
		s->srv.ssl = NULL; /* the pool's now */
	} else {
		tls_side_free(&s->srv);
		http_conn_close_idle(s->srv.fd);
	}
	s->srv.fd = -1;
	s->srv.rd_ready = s->srv.wr_ready = s->srv.shutr = s->srv.shutw = s->srv.err = 0;
	s->kal.idle_srv = NULL;
}

void http_share_idle_conn(struct stream *s)
{
	if (!s->kal.idle_srv)
		return;
	int reuse = s->kal.idle_srv->be->conf->http.reuse;
	if (reuse == HTTP_REUSE_ALWAYS || reuse == HTTP_REUSE_AGGRESSIVE)
		park_idle_conn(s);
}

/* Whether this request may use a connection another stream left idle. */
static int may_take_shared(const struct stream *s, const struct srv_rt *srv)
{
	switch (srv->be->conf->http.reuse) {
	case HTTP_REUSE_NEVER:
		return 0;
	case HTTP_REUSE_SAFE:
		return s->kal.nb_txn > 0; /* never for the first request */
	default:
		return 1; /* pooled connections have all served requests already */
	}
}

/* A request without body sent over a reused connection is kept, so that
 * it can be sent again on a new connection if the server had just closed
 * the idle one (the usual race with server-side keep-alive timeouts).
 */
static void keep_request_copy(struct stream *s)
{
	struct http_txn *t = s->txn;
	free(t->req_copy);
	t->req_copy = NULL;
	uint32_t len = s->req.data ? s->req.tail - s->req.head : 0;
	if (t->req_state != HRQ_DONE || t->req.body.mode != HB_NONE || !len)
		return;
	t->req_copy = malloc(len);
	if (!t->req_copy)
		return;
	memcpy(t->req_copy, s->req.data + s->req.head, len);
	t->req_copy_len = len;
}

int http_use_idle_conn(struct stream *s, struct srv_rt *srv)
{
	struct http_txn *t = s->txn;
	t->reused = 0;
	if (s->srv.fd >= 0 && s->kal.idle_srv == srv && !s->srv.shutr && !s->srv.err) {
		s->kal.idle_srv = NULL;
		t->reused = 1;
		keep_request_copy(s);
		return 1;
	}
	park_idle_conn(s);
	s->kal.conn_uses = 0;
	if (!may_take_shared(s, srv))
		return 0;
	int proven_only = srv->be->conf->http.reuse == HTTP_REUSE_AGGRESSIVE && !s->kal.nb_txn;
	struct ssl_st *ssl = NULL;
	int fd = http_pool_take(srv, proven_only, &s->kal.conn_uses, STREAM_IO_EVENTS, &s->sh, &ssl);
	if (fd < 0) {
		s->kal.conn_uses = 0; /* a new connection */
		return 0;
	}
	s->srv.fd = fd;
	tls_side_adopt(&s->srv, ssl);
	s->srv.rd_ready = s->srv.shutr = s->srv.shutw = s->srv.err = s->srv.rdhup = 0;
	s->srv.wr_ready = 1;
	t->reused = 1;
	keep_request_copy(s);
	return 1;
}

int http_retry_on_new_conn(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (!t->reused || !t->req_copy || t->rsp_started || t->sin.tail != t->sin.head ||
	    s->state != ST_ESTABLISHED || sbuf_room(&s->req) < t->req_copy_len)
		return 0;
	struct srv_rt *srv = s->server; /* the same server again, on a new connection */
	stream_close_server(s);
	s->req.head = s->req.tail = 0;
	memcpy(s->req.data, t->req_copy, t->req_copy_len);
	s->req.tail = t->req_copy_len;
	free(t->req_copy);
	t->req_copy = NULL;
	t->reused = 0;
	t->rscan_from = 0;
	s->srv_exp = 0;
	s->state = ST_ASSIGN;
	s->retry_srv = srv;
	stream_wakeup(s);
	return 1;
}

/* Between transactions: the idle server connection may only report its
 * close; anything else is unexpected and closes it too.
 */
static void watch_idle_server(struct stream *s)
{
	char c;
	if (s->srv.fd < 0 || !s->srv.rd_ready)
		return;
	ssize_t n = recv(s->srv.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN) {
		s->srv.rd_ready = 0;
		return;
	}
	stream_close_server(s);
	s->kal.idle_srv = NULL;
}

void http_process(struct stream *s)
{
	switch (s->state) {
	case ST_HTTP_FLUSH:
		http_flush(s);
		return;
	case ST_HTTP_REQ:
		watch_idle_server(s);
		if (http_txn_new(s) < 0) { /* the next request may be starting */
			stream_end_cause(s, TERM_CLI_ERR);
			return;
		}
		if (http_wait_request(s) <= 0) {
			if (s->state == ST_HTTP_REQ) {
				http_txn_park(s); /* nothing came after all */
				stream_arm_timer(s);
			}
			return;
		}
		s->state = ST_ASSIGN;
		s->retries_left = s->be->conf->retries;
		return;
	case ST_ESTABLISHED:
		http_forward(s);
		return;
	default:
		return;
	}
}

void http_soft_stop(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (t)
		t->cli_close = 1;
	if (s->state != ST_HTTP_REQ || (t && t->cin.tail != t->cin.head) ||
	    (s->rsp.data && s->rsp.tail != s->rsp.head))
		return;
	/* a request may already wait in the socket: then it is served first */
	if (side_has_input(&s->cli)) {
		if (!t && http_txn_new(s) < 0) {
			stream_end_cause(s, TERM_CLI_ERR);
			return;
		}
		s->txn->cli_close = 1; /* the last one */
		s->cli.rd_ready = 1;
		stream_wakeup(s);
		return;
	}
	stream_end_cause(s, TERM_NONE);
}
