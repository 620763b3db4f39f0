/* TCP-mode streams: accept, optional PROXY header, server assignment and
 * connection (worker/backend.c), bidirectional forwarding with half-close,
 * timeouts and teardown.
 */
#include "worker/stream.h"
#include "worker/rules.h"
#include "worker/tcp-rules.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/mem.h"
#include "worker/backend.h"
#include "worker/counters.h"
#include "worker/http-pool.h"
#include "worker/http-txn.h"
#include "worker/listener.h"
#include "worker/pool.h"
#include "worker/tls-hs.h"
#include "worker/tls.h"

/* An idle keep-alive connection costs its stream: it must stay within
 * jemalloc's 896-byte class (the next one is 1,024 bytes). A field added
 * here has to make room elsewhere (docs/architecture.md, memory layout).
 */
_Static_assert(sizeof(struct stream) <= 896, "struct stream left its allocation class");

#define MAX_IO_ROUNDS 16
#define PIPE_SIZE (64 * 1024)

static void stream_process(struct stream *s);

static __thread struct stream *thr_streams; /* every stream of this thread */

static void thr_link(struct stream *s)
{
	s->tnext = thr_streams;
	if (thr_streams)
		thr_streams->tprev = s;
	thr_streams = s;
}

static void thr_unlink(struct stream *s)
{
	if (s->tprev)
		s->tprev->tnext = s->tnext;
	else if (thr_streams == s)
		thr_streams = s->tnext;
	if (s->tnext)
		s->tnext->tprev = s->tprev;
	s->tprev = s->tnext = NULL;
}

void streams_soft_stop(void)
{
	for (struct stream *s = thr_streams, *next; s; s = next) {
		next = s->tnext;
		if (stream_is_http(s))
			http_soft_stop(s);
	}
	http_pool_flush();
}

static void stream_end(struct stream *s, enum term_cause why);

/* Whether the server connection of <s> matches the selection of
 * streams_kill().
 */
static int kill_matches(const struct stream *s, const struct be_rt *be, const struct srv_rt *srv)
{
	if (!s->server || s->state == ST_CLOSED)
		return 0;
	return srv ? s->server == srv : s->server->be == be && s->server->backup;
}

void streams_kill(const struct be_rt *be, const struct srv_rt *srv, enum term_cause why)
{
	for (struct stream *s = thr_streams, *next; s; s = next) {
		next = s->tnext;
		if (kill_matches(s, be, srv))
			stream_end(s, why);
	}
}

void streams_foreach(void (*fn)(const struct stream *s, void *arg), void *arg)
{
	for (const struct stream *s = thr_streams; s; s = s->tnext)
		if (s->state != ST_CLOSED)
			fn(s, arg);
}

int stream_kill_ptr(uintptr_t ptr)
{
	for (struct stream *s = thr_streams; s; s = s->tnext)
		if ((uintptr_t)s == ptr && s->state != ST_CLOSED) {
			stream_end(s, TERM_KILLED);
			return 1;
		}
	return 0;
}

uint64_t deadline(uint32_t to_ms)
{
	return to_ms ? curthr->now_ms + to_ms : 0;
}

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* Inactivity timeouts of both sides, per the proxy settings and states. */
static uint32_t cli_timeout(const struct stream *s)
{
	const struct px_timeouts *fto = &s->fe->conf->to;
	const struct px_timeouts *bto = s->be ? &s->be->conf->to : fto;
	uint32_t tunnel = s->to_tunnel ? s->to_tunnel : bto->tunnel;
	if (s->state == ST_ESTABLISHED && tunnel)
		return tunnel;
	if ((s->cli.shutr || s->cli.shutw) && fto->client_fin)
		return fto->client_fin;
	return stream_to_client(s);
}

static uint32_t srv_timeout(const struct stream *s)
{
	const struct px_timeouts *bto = &s->be->conf->to;
	uint32_t tunnel = s->to_tunnel ? s->to_tunnel : bto->tunnel;
	if (tunnel)
		return tunnel;
	if ((s->srv.shutr || s->srv.shutw) && bto->server_fin)
		return bto->server_fin;
	return stream_to_server(s);
}

/* Re-arms the stream's single timer at the earliest of its deadlines. */
void stream_arm_timer(struct stream *s)
{
	uint64_t e = 0;
	e = min_nonzero(e, s->cli_exp);
	e = min_nonzero(e, s->srv_exp);
	e = min_nonzero(e, s->conn_exp);
	e = min_nonzero(e, s->queue_exp);
	e = min_nonzero(e, s->res_exp);
	timer_set(&s->tmo, e);
}

/* Makes sure <b> has storage; returns -1 on memory exhaustion. */
int sbuf_take(struct sbuf *b)
{
	if (b->data)
		return 0;
	b->data = pool_buf_get();
	if (!b->data)
		return -1;
	b->size = (uint32_t)pool_buf_size();
	b->head = b->tail = 0;
	return 0;
}

/* Gives the storage of <b> back to the pool once it holds no data. */
void sbuf_release_if_empty(struct sbuf *b)
{
	if (b->data && b->head == b->tail) {
		pool_buf_put(b->data);
		b->data = NULL;
		b->head = b->tail = 0;
	}
}

static void side_close(struct side *sd)
{
	tls_side_uncount(sd);
	tls_side_free(sd);
	if (sd->fd >= 0) {
		/* never duplicated, so close() also removes it from epoll */
		close(sd->fd);
		sd->fd = -1;
	}
	for (int i = 0; i < 2; i++) {
		if (sd->pipe[i] >= 0)
			close(sd->pipe[i]);
		sd->pipe[i] = -1;
	}
	sd->pipe_len = 0;
}

/* Releases the server connection and its slot. */
void stream_close_server(struct stream *s)
{
	side_close(&s->srv);
	s->srv.rd_ready = s->srv.wr_ready = s->srv.shutr = s->srv.shutw = s->srv.err = 0;
	if (s->server) {
		srv_release(s->server);
		s->server = NULL;
	}
}

/* Frees everything; the stream must not be used afterwards. */
static void stream_free(struct stream *s)
{
	int keep = backend_dequeue_stream(s);
	task_cancel(&s->task);
	timer_set(&s->tmo, 0);
	thr_unlink(s);
	log_stream_end(s);
	http_txn_free(s); /* may keep an idle server connection for others */
	stream_vars_txn_end(s);
	vars_prune(&s->vars_sess);
	stream_close_server(s);
	side_close(&s->cli);
	pool_buf_put(s->req.data);
	pool_buf_put(s->rsp.data);
	atomic_fetch_sub(&s->fe->cur_conns, 1);
	atomic_fetch_sub(&s->lst->cur_conns, 1);
	atomic_fetch_sub(&rt.cur_conns, 1);
	counters_add_bytes(s);
	log_stream_free(s);
	stream_set_acct_srv(s, NULL);
	free(s->addrs);
	free(s->dst_addr);
	free(s->sni);
	curthr->cur_conns--;
	if (atomic_load(&rt.paused))
		listeners_resume_all();
	if (keep) {
		s->zombie = 1;
		return;
	}
	loop_defer_free(s);
}

void stream_release_zombie(struct stream *s)
{
	loop_defer_free(s);
}

static void stream_end(struct stream *s, enum term_cause why)
{
	if (stream_is_http(s) && s->state != ST_CLOSED && http_end_hook(s, why))
		return; /* answering the client first (or retrying) */
	if (s->state == ST_TLS_HS)
		tls_hs_aborted(s, why);
	if (s->state != ST_CLOSED)
		log_set_term_cause(s, why);
	if (s->term == TERM_NONE)
		s->term = why;
	s->state = ST_CLOSED;
	stream_free(s);
}

/* Sets readiness flags of a side from epoll events. */
static void side_events(struct side *sd, uint32_t ev)
{
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		sd->rd_ready = 1;
	if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		sd->rdhup = 1;
	if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		sd->wr_ready = 1;
	if (sd->tls_rd_wants_wr && sd->wr_ready) {
		sd->tls_rd_wants_wr = 0;
		sd->rd_ready = 1;
	}
	if (sd->tls_wr_wants_rd && sd->rd_ready) {
		sd->tls_wr_wants_rd = 0;
		sd->wr_ready = 1;
	}
}

static void cli_cb(struct ev_handler *h, uint32_t ev)
{
	struct stream *s = caa_container_of(h, struct stream, ch);
	if (s->state == ST_CLOSED)
		return; /* ended earlier in this batch */
	side_events(&s->cli, ev);
	if (s->cli.tls_static && s->cli.wr_ready && tls_flush_static(&s->cli) < 0) {
		stream_end(s, TERM_CLI_ERR);
		return;
	}
	stream_process(s);
}

static void srv_cb(struct ev_handler *h, uint32_t ev)
{
	struct stream *s = caa_container_of(h, struct stream, sh);
	if (s->state == ST_CLOSED)
		return; /* ended earlier in this batch */
	side_events(&s->srv, ev);
	stream_process(s);
}

static void task_cb(struct task *t)
{
	stream_process(caa_container_of(t, struct stream, task));
}

/* Timer: a deadline passed; decide which one. */
static void tmo_cb(struct timer *t)
{
	struct stream *s = caa_container_of(t, struct stream, tmo);
	uint64_t now = curthr->now_ms;

	if (s->queue_exp && now >= s->queue_exp) {
		backend_dequeue_stream(s);
		s->queue_exp = 0;
		counters_be_error(s->be);
		stream_end(s, TERM_QUEUE_TO);
		return;
	}
	if (s->conn_exp && now >= s->conn_exp) {
		s->conn_exp = 0;
		if (s->state == ST_TARPIT) {
			http_tarpit_expired(s);
		} else if (s->state == ST_HTTP_REQ) { /* wait-for-body: the delay is over */
			stream_process(s);
		} else if (s->state == ST_INSPECT) { /* the inspect delay is over: decide */
			s->inspect_final = 1;
			stream_process(s);
		} else if (s->state == ST_TURNAROUND) {
			s->state = ST_ASSIGN;
			stream_process(s);
		} else if (backend_connect_failed(s, TERM_SRV_TO) == 0) {
			stream_process(s);
		}
		return;
	}
	if (s->res_exp && now >= s->res_exp) { /* the response inspect delay is over */
		s->res_exp = 0;
		s->res_final = 1;
		stream_process(s);
		return;
	}
	if (s->cli_exp && now >= s->cli_exp) {
		stream_end(s, TERM_CLI_TO);
		return;
	}
	if (s->srv_exp && now >= s->srv_exp) {
		stream_end(s, TERM_SRV_TO);
		return;
	}
	stream_arm_timer(s);
}

void stream_wakeup(struct stream *s)
{
	task_wakeup(&s->task);
}

/* Reads a PROXY protocol header without consuming payload bytes. Returns 1
 * when done, 0 to wait, -1 on error.
 */
static int read_proxy_header(struct stream *s)
{
	uint8_t buf[536];
	struct pp_info pp;
	size_t used = 0;

	ssize_t n = recv(s->cli.fd, buf, sizeof(buf), MSG_PEEK);
	if (n < 0)
		return errno == EAGAIN ? (s->cli.rd_ready = 0, 0) : -1;
	if (n == 0)
		return -1;
	enum pp_status st = pp_parse(buf, (size_t)n, &pp, &used);
	if (st == PP_INVALID)
		return -1;
	if (st == PP_NEED_MORE) {
		if ((size_t)n == sizeof(buf))
			return -1;
		s->cli.rd_ready = 0;
		return 0;
	}
	if (recv(s->cli.fd, buf, used, 0) != (ssize_t)used)
		return -1;
	if (!pp.local && pp.src.ss_family != AF_UNSPEC) {
		if (!s->dst_addr && !(s->dst_addr = malloc(sizeof(*s->dst_addr))))
			return -1;
		s->cli_addr = pp.src;
		*s->dst_addr = pp.dst;
	}
	return 1;
}

/* Compacts and returns the free room at the tail of <b> (0 when it has no
 * storage and none can be had).
 */
uint32_t sbuf_room(struct sbuf *b)
{
	if (sbuf_take(b) < 0)
		return 0;
	if (b->head == b->tail)
		b->head = b->tail = 0;
	if (b->tail == b->size && b->head) {
		memmove(b->data, b->data + b->head, b->tail - b->head);
		b->tail -= b->head;
		b->head = 0;
	}
	return b->size - b->tail;
}

int sbuf_append(struct sbuf *out, const char *p, size_t len)
{
	if (sbuf_room(out) < len)
		return -1;
	memcpy(out->data + out->tail, p, len);
	out->tail += (uint32_t)len;
	return 0;
}

ssize_t side_recv(struct side *sd, void *buf, size_t len)
{
	if (sd->ssl)
		return tls_recv(sd, buf, len);
	return recv(sd->fd, buf, len, MSG_DONTWAIT);
}

ssize_t side_send(struct side *sd, const void *buf, size_t len)
{
	if (sd->ssl)
		return tls_send(sd, buf, len);
	return send(sd->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

int side_send_interim(struct side *sd, const char *p, size_t len)
{
	if (sd->ssl)
		return tls_send_static(sd, p, len) > 0;
	return send(sd->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len;
}

void side_shutw(struct side *sd)
{
	tls_shutw(sd);
	shutdown(sd->fd, SHUT_WR);
}

int side_has_input(struct side *sd)
{
	char c;
	return tls_pending(sd) || recv(sd->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

int sbuf_send(struct side *to, struct sbuf *b)
{
	if (b->tail <= b->head || !to->wr_ready || to->shutw)
		return 0;
	ssize_t n = side_send(to, b->data + b->head, b->tail - b->head);
	if (n > 0) {
		b->head += (uint32_t)n;
		to->sent += (uint64_t)n;
		sbuf_release_if_empty(b);
		return 1;
	}
	if (n < 0 && errno == EAGAIN) {
		to->wr_ready = 0;
		return 0;
	}
	to->err = 1;
	return -1;
}

int sbuf_recv(struct side *from, struct sbuf *b, uint64_t *count)
{
	if (from->shutr || !from->rd_ready || !sbuf_room(b))
		return 0;
	int moved = 0;
	size_t room = b->size - b->tail;
	ssize_t n = side_recv(from, b->data + b->tail, room);
	if (n > 0) {
		b->tail += (uint32_t)n;
		*count += (uint64_t)n;
		moved = 1;
		/* edge-triggered: a short read drained the socket, and new
		 * data raises a new event; a signalled FIN is read to 0. TLS
		 * returns one record at a time: only EAGAIN means drained.
		 */
		if ((size_t)n < room && !from->rdhup && !from->ssl)
			from->rd_ready = 0;
	} else if (n == 0) {
		from->shutr = 1;
		moved = 1;
	} else if (errno == EAGAIN) {
		from->rd_ready = 0;
	} else {
		from->err = 1;
		return -1;
	}
	sbuf_release_if_empty(b);
	return moved;
}

/* One round of buffered forwarding from <from> to <to>. Returns 1 if
 * something moved, 0 if not, -1 on a fatal error of either side.
 */
static int fwd_buffer(struct side *from, struct side *to, struct sbuf *b, int to_ready,
                      uint64_t *count)
{
	int moved = 0;
	if (to_ready) {
		moved = sbuf_send(to, b);
		if (moved < 0)
			return -1;
	}
	int r = sbuf_recv(from, b, count);
	if (r < 0)
		return -1;
	return moved | r;
}

/* One round of spliced forwarding through from->pipe. Same returns. */
static int fwd_splice(struct side *from, struct side *to, uint64_t *count, uint64_t limit)
{
	int moved = 0;
	if (from->pipe_len && to->wr_ready && !to->shutw) {
		ssize_t n = splice(from->pipe[0], NULL, to->fd, NULL, from->pipe_len,
		                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			from->pipe_len -= (size_t)n;
			to->sent += (uint64_t)n;
			moved = 1;
		} else if (n < 0 && errno == EAGAIN) {
			to->wr_ready = 0;
		} else if (n < 0) {
			to->err = 1;
			return -1;
		}
	}
	if (!from->shutr && from->rd_ready && from->pipe_len < PIPE_SIZE && limit) {
		size_t want = PIPE_SIZE - from->pipe_len;
		if (want > limit)
			want = (size_t)limit;
		ssize_t n = splice(from->fd, NULL, from->pipe[1], NULL, want,
		                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			from->pipe_len += (size_t)n;
			*count += (uint64_t)n;
			moved = 1;
		} else if (n == 0) {
			from->shutr = 1;
			moved = 1;
		} else if (errno == EAGAIN) {
			/* an empty pipe means an empty socket; otherwise the pipe
			 * may be full: keep the readiness and retry once drained
			 */
			if (from->pipe_len == 0)
				from->rd_ready = 0;
		} else {
			from->err = 1;
			return -1;
		}
	}
	return moved;
}

/* Opens the splice pipe of <sd> if splicing is wanted; 0 when usable. */
static int side_want_splice(struct side *sd)
{
	if (sd->pipe[0] >= 0)
		return 0;
	if (pipe2(sd->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		sd->pipe[0] = sd->pipe[1] = -1;
		return -1;
	}
	fcntl(sd->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
	return 0;
}

/* Forwards one direction; sends FIN downstream once the upstream EOF has
 * been fully relayed. Returns 1 on progress, 0, or -1 on error.
 */
static int forward_dir(struct side *from, struct side *to, struct sbuf *b, uint8_t *splice_mode,
                       uint64_t *count)
{
	/* the opposite direction is over: once this one ends, the stream
	 * closes both sockets and close() sends the FIN (nothing is left
	 * unread on <to>, whose end of stream was already read)
	 */
	int last = to->shutr && from->shutw;
	int progress = 0;
	for (int round = 0; round < MAX_IO_ROUNDS; round++) {
		int r;
		if (*splice_mode == SPLICE_ON && b->head == b->tail && side_want_splice(from) == 0)
			r = fwd_splice(from, to, count, UINT64_MAX);
		else
			r = fwd_buffer(from, to, b, 1, count);
		/* splice-auto: a full buffer means bulk data, worth splicing */
		if (*splice_mode == SPLICE_AUTO && b->data && b->tail - b->head == b->size)
			*splice_mode = SPLICE_ON;
		if (r < 0)
			return -1;
		if (!r)
			break;
		progress = 1;
	}
	if (from->shutr && b->head == b->tail && !from->pipe_len && !to->shutw) {
		if (!last)
			side_shutw(to);
		to->shutw = 1;
		progress = 1;
	}
	return progress;
}

int stream_splice(struct side *from, struct side *to, uint64_t limit, uint64_t *count)
{
	if (side_want_splice(from) < 0)
		return -1;
	return fwd_splice(from, to, count, limit);
}

int stream_buffer_request(struct stream *s)
{
	struct side none = {.fd = -1};
	int r = fwd_buffer(&s->cli, &none, &s->req, 0, &s->bytes_in);
	if (r < 0)
		return -1;
	if (r > 0)
		s->cli_exp = deadline(cli_timeout(s));
	return 0;
}

/* While "tcp-response content" rules inspect the response, it is held and
 * only the request moves (<up>: it progressed). Returns 1 when the caller
 * must stop there (waiting, or the stream was ended), 0 once the rules let
 * the response go.
 */
static int response_held(struct stream *s, int up)
{
	int r = tcp_res_inspect(s);
	if (r < 0)
		return 1; /* ended */
	if (r > 0)
		return 0;
	if (up)
		s->cli_exp = deadline(cli_timeout(s));
	if (up && s->cli.rd_ready && !s->cli.shutr)
		task_wakeup(&s->task); /* more to read, after other streams */
	stream_arm_timer(s);
	return 1;
}

/* Forwarding in both directions once the server is connected. */
void stream_forward(struct stream *s)
{
	int up = forward_dir(&s->cli, &s->srv, &s->req, &s->splice_req, &s->bytes_in);
	if (up >= 0 && s->res_inspect && response_held(s, up))
		return;
	int down =
	    up < 0 ? 0 : forward_dir(&s->srv, &s->cli, &s->rsp, &s->splice_rsp, &s->bytes_out);
	if (up < 0 || down < 0) {
		stream_end(s, s->cli.err ? TERM_CLI_ERR : TERM_SRV_ERR);
		return;
	}
	/* both directions relayed their end of stream: nothing can move anymore */
	if (s->cli.shutw && s->srv.shutw) {
		stream_end(s, TERM_NONE);
		return;
	}
	if (up)
		s->cli_exp = deadline(cli_timeout(s));
	if (up || down)
		s->srv_exp = deadline(srv_timeout(s));
	if (down)
		s->cli_exp = deadline(cli_timeout(s));
	if ((s->cli.rd_ready && !s->cli.shutr) || (s->srv.rd_ready && !s->srv.shutr)) {
		/* more to do but yield to other streams first */
		if ((up || down))
			task_wakeup(&s->task);
	}
	stream_arm_timer(s);
}

/* The state machine. May free <s>. */
static void stream_process(struct stream *s)
{
	if (stream_is_http(s) && (s->state == ST_HTTP_REQ || s->state == ST_HTTP_FLUSH)) {
		http_process(s);
		if (s->state != ST_ASSIGN)
			return; /* waiting, answered, or freed (ST_CLOSED) */
	}
	if (s->state == ST_TARPIT) { /* nothing to do before the delay ends */
		stream_arm_timer(s);
		return;
	}
	switch (s->state) {
	case ST_PROXY_HDR: {
		int r = read_proxy_header(s);
		if (r < 0) {
			stream_end(s, TERM_PROXY_HDR);
			return;
		}
		if (r == 0) {
			stream_arm_timer(s);
			return;
		}
		if (s->cli.ssl) {
			s->state = ST_TLS_HS;
			stream_process(s);
			return;
		}
	}
		/* fall through */
	case ST_TLS_HS: {
		if (s->state == ST_TLS_HS && tls_hs_step(s) <= 0)
			return; /* waiting, or ended */
		if (tcp_session_rules(s) < 0) {
			stream_end(s, TERM_NONE);
			return;
		}
		log_handshake_done(s);
		if (stream_is_http(s)) {
			s->state = ST_HTTP_REQ;
			stream_process(s);
			return;
		}
		if (s->fe->conf->switching_rules) /* the addresses may have changed */
			s->be = rules_select_backend(s);
		if (tcp_wants_inspection(s)) {
			tcp_inspect_start(s);
			stream_process(s);
			return;
		}
		s->state = ST_ASSIGN;
	}
		/* fall through */
	case ST_INSPECT:
		if (s->state == ST_INSPECT && tcp_inspect(s) <= 0)
			return; /* waiting, or ended */
		                /* fall through */
	case ST_ASSIGN:
		if (backend_assign_and_connect(s) < 0)
			return; /* stream freed */
		if (s->state != ST_CONNECTING && s->state != ST_ESTABLISHED) {
			stream_arm_timer(s);
			return;
		}
		break;
	case ST_QUEUED:
	case ST_TURNAROUND:
		/* a half-closed client still gets its answer (no abortonclose) */
		if (!stream_is_http(s) && stream_buffer_request(s) < 0) {
			stream_end(s, TERM_CLI_ERR);
			return;
		}
		stream_arm_timer(s);
		return;
	default:
		break;
	}
	if (s->state == ST_CONNECTING) {
		if (!stream_is_http(s) && stream_buffer_request(s) < 0) {
			stream_end(s, TERM_CLI_ERR);
			return;
		}
		if (!s->srv.wr_ready && !s->srv.ssl) {
			stream_arm_timer(s);
			return;
		}
		int r = backend_connect_check(s);
		if (r < 0)
			return; /* freed */
		if (r == 2) { /* TLS handshake with the server under way */
			stream_arm_timer(s);
			return;
		}
		if (r == 0) {
			stream_process(s); /* retry path changed the state */
			return;
		}
	}
	if (s->state == ST_ESTABLISHED) {
		if (stream_is_http(s))
			http_forward(s);
		else
			stream_forward(s);
	}
}

/* Called by the backend once the server connection is established. */
void stream_established(struct stream *s)
{
	s->state = ST_ESTABLISHED;
	if (!s->log.t_est)
		s->log.t_est = curthr->now_ms;
	if (!stream_is_http(s))
		log_asap(s);
	s->conn_exp = 0;
	s->pp_hdr_len = 0;
	if (s->srv.ssl) /* no splicing through TLS */
		s->splice_req = s->splice_rsp = SPLICE_OFF;
	s->srv_exp = deadline(srv_timeout(s));
	s->cli_exp = deadline(cli_timeout(s));
	tcp_res_inspect_start(s);
}

/* Splice mode of one direction: forced by splice-request/response, else
 * automatic (on bulk data) with splice-auto, never with nosplice or -dS.
 */
static int splice_mode(unsigned opts, unsigned forced_bit)
{
	if (rt.cfg->global.nosplice)
		return SPLICE_OFF;
	if (opts & forced_bit)
		return SPLICE_ON;
	return (opts & PXO_SPLICE_AUTO) ? SPLICE_AUTO : SPLICE_OFF;
}

void stream_accept(struct listener *l, int fd, const struct sockaddr_storage *addr)
{
	struct stream *s = xcalloc(1, sizeof(*s));

	s->thr = curthr;
	thr_link(s);
	s->lst = l;
	s->fe = l->fe;
	s->cli.fd = fd;
	s->srv.fd = -1;
	s->cli.pipe[0] = s->cli.pipe[1] = s->srv.pipe[0] = s->srv.pipe[1] = -1;
	s->cli_addr = *addr;
	s->ch.cb = cli_cb;
	s->sh.cb = srv_cb;
	s->task.cb = task_cb;
	timer_init(&s->tmo, tmo_cb);
	s->accept_ms = curthr->now_ms;
	log_stream_accept(s);
	s->be = s->fe->default_be;
	curthr->cur_conns++;
	if (s->fe->conf->options & PXO_CLITCPKA) {
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	s->cli.rd_ready = 1;
	s->cli.wr_ready = 1;
	if (loop_add(fd, STREAM_IO_EVENTS, &s->ch) < 0) {
		stream_end(s, TERM_CLI_ERR);
		return;
	}
	s->cli_exp = deadline(s->fe->conf->to.client);
	if (tcp_connection_rules(s) < 0) {
		stream_end(s, TERM_NONE);
		return;
	}
	counters_fe_accept(s->fe);
	int deferred = l->bind->accept_proxy || l->tls; /* session once PROXY/TLS are done */
	if (!deferred && tcp_session_rules(s) < 0) {
		stream_end(s, TERM_NONE);
		return;
	}
	if (!deferred)
		log_handshake_done(s);
	s->state = l->bind->accept_proxy ? ST_PROXY_HDR : ST_ASSIGN;
	if (tls_hs_start(s) < 0) {
		stream_end(s, TERM_CLI_ERR);
		return;
	}
	if (s->fe->conf->mode == PX_MODE_HTTP) {
		s->http = 1;
		if (http_txn_new(s) < 0) {
			stream_end(s, TERM_CLI_ERR);
			return;
		}
		if (s->state == ST_ASSIGN)
			s->state = ST_HTTP_REQ;
		if (s->fe->conf->to.http_request && !deferred)
			s->cli_exp = deadline(s->fe->conf->to.http_request);
	}
	if (!stream_is_http(s) && s->fe->conf->switching_rules)
		s->be = rules_select_backend(s);
	if (s->state == ST_ASSIGN && tcp_wants_inspection(s))
		tcp_inspect_start(s);
	if (!s->be && !stream_is_http(s) && s->state != ST_INSPECT) {
		stream_end(s, TERM_NO_SRV);
		return;
	}
	s->retries_left = s->be ? s->be->conf->retries : 0;
	unsigned opts = s->fe->conf->options | (s->be ? s->be->conf->options : 0);
	s->splice_req = l->tls ? SPLICE_OFF : splice_mode(opts, PXO_SPLICE_REQ);
	s->splice_rsp = l->tls ? SPLICE_OFF : splice_mode(opts, PXO_SPLICE_RSP);
	stream_process(s);
}

struct sockaddr_storage *stream_dst_addr_rw(struct stream *s)
{
	if (!s->dst_addr && !(s->dst_addr = calloc(1, sizeof(*s->dst_addr))))
		return NULL;
	if (s->dst_addr->ss_family == AF_UNSPEC) {
		socklen_t sl = sizeof(*s->dst_addr);
		if (getsockname(s->cli.fd, (struct sockaddr *)s->dst_addr, &sl) < 0)
			s->dst_addr->ss_family = AF_UNSPEC;
	}
	return s->dst_addr;
}

const struct sockaddr_storage *stream_dst_addr(struct stream *s)
{
	static const struct sockaddr_storage unknown; /* AF_UNSPEC */
	const struct sockaddr_storage *d = stream_dst_addr_rw(s);
	return d ? d : &unknown;
}

void stream_end_cause(struct stream *s, enum term_cause why)
{
	stream_end(s, why);
}
