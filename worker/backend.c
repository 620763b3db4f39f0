#include "worker/backend.h"
#include "worker/use-server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "common/mem.h"
#include "common/rcu.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "worker/counters.h"
#include "worker/http-pool.h"
#include "worker/http-txn.h"
#include "worker/lb.h"
#include "worker/observe.h"
#include "worker/pool.h"
#include "worker/srv-addr.h"
#include "worker/srv-list.h"
#include "worker/tls-srv.h"

#define TURNAROUND_MS 1000

/* One lock per process for the backend queues: only taken when servers are
 * saturated, never on the normal request path.
 */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
struct be_queue {
	struct stream *head, *tail;
};
static struct be_queue *queues; /* one per backend */

static struct be_queue *queue_of(struct be_rt *be)
{
	if (!queues)
		return NULL;
	return &queues[be->idx];
}

void backend_queues_init(int nbe)
{
	queues = calloc((size_t)(nbe ? nbe : 1), sizeof(*queues));
}

int srv_dynamic_maxconn(const struct srv_rt *s)
{
	const struct server_cfg *c = &s->conf->cfg;
	int max = atomic_load_explicit(&s->maxconn, memory_order_relaxed);
	if (!c->minconn || !s->be->fullconn)
		return max;
	int be_conns = atomic_load_explicit(&s->be->cur_conns, memory_order_relaxed);
	long dyn = (long)max * be_conns / s->be->fullconn;
	if (dyn < c->minconn)
		dyn = c->minconn;
	if (max && dyn > max)
		dyn = max;
	return (int)dyn;
}

/* Maximum number of streams the backend queue may hold (0 = unlimited). */
static int queue_limit(const struct be_rt *be)
{
	long sum = 0;
	const struct srv_list *l = be_servers(be);
	for (int i = 0; i < l->n; i++) {
		if (!l->v[i]->maxqueue)
			return 0;
		sum += l->v[i]->maxqueue;
	}
	return sum > 0x7fffffff ? 0 : (int)sum;
}

/* Queues <s> at the tail (or head when <front>); 0, or -1 if full. */
static int enqueue(struct stream *s, int front)
{
	struct be_queue *q = queue_of(s->be);
	int limit = queue_limit(s->be);
	if (!q)
		return -1;
	if (!front && limit && atomic_load(&s->be->queued) >= limit)
		return -1;
	pthread_mutex_lock(&queue_lock);
	s->qprev = s->qnext = NULL;
	if (front) {
		s->qnext = q->head;
		if (q->head)
			q->head->qprev = s;
		q->head = s;
		if (!q->tail)
			q->tail = s;
	} else {
		s->qprev = q->tail;
		if (q->tail)
			q->tail->qnext = s;
		q->tail = s;
		if (!q->head)
			q->head = s;
	}
	s->in_queue = 1;
	atomic_fetch_add(&s->be->queued, 1);
	pthread_mutex_unlock(&queue_lock);
	return 0;
}

/* Unlinks <s>; queue_lock held. */
static void unlink_locked(struct be_queue *q, struct stream *s)
{
	if (s->qprev)
		s->qprev->qnext = s->qnext;
	else
		q->head = s->qnext;
	if (s->qnext)
		s->qnext->qprev = s->qprev;
	else
		q->tail = s->qprev;
	s->qprev = s->qnext = NULL;
	s->in_queue = 0;
	atomic_fetch_sub(&s->be->queued, 1);
}

int backend_dequeue_stream(struct stream *s)
{
	int pending;
	pthread_mutex_lock(&queue_lock);
	if (s->in_queue)
		unlink_locked(queue_of(s->be), s);
	pending = s->mail_pending;
	pthread_mutex_unlock(&queue_lock);
	return pending;
}

/* Runs on the stream's thread after it was popped from the queue. */
static void queued_wakeup_cb(struct mail *m)
{
	struct stream *s = caa_container_of(m, struct stream, mail);
	pthread_mutex_lock(&queue_lock);
	s->mail_pending = 0;
	pthread_mutex_unlock(&queue_lock);
	if (s->zombie) {
		stream_release_zombie(s);
		return;
	}
	if (s->state != ST_QUEUED)
		return;
	s->state = ST_ASSIGN;
	s->queue_exp = 0;
	stream_wakeup(s);
}

/* Pops the oldest queued stream of <be> and wakes it on its thread. */
static void wake_one_queued(struct be_rt *be)
{
	struct be_queue *q = queue_of(be);
	struct stream *s = NULL;
	if (!q || !atomic_load(&be->queued))
		return;
	pthread_mutex_lock(&queue_lock);
	s = q->head;
	if (s) {
		unlink_locked(q, s);
		s->mail_pending = 1;
		s->mail.cb = queued_wakeup_cb;
		/* the stream cannot be freed before its mail runs: it is owned by
		 * its thread, which either processes the mail or dequeues itself
		 * under the lock first (then s->in_queue was already 0 here).
		 */
		mail_post(s->thr, &s->mail);
	}
	pthread_mutex_unlock(&queue_lock);
}

void backend_wake_queued(struct be_rt *be, int n)
{
	while (n-- > 0 && atomic_load(&be->queued))
		wake_one_queued(be);
}

void stream_set_acct_srv(struct stream *s, struct srv_rt *srv)
{
	if (s->acct_srv == srv)
		return;
	if (srv)
		atomic_fetch_add(&srv->refs, 1);
	if (s->acct_srv)
		atomic_fetch_sub(&s->acct_srv->refs, 1);
	s->acct_srv = srv;
}

void srv_release(struct srv_rt *srv)
{
	atomic_fetch_sub(&srv->cur_conns, 1);
	atomic_fetch_sub(&srv->be->cur_conns, 1);
	wake_one_queued(srv->be);
}

/* Fills <ss> with the address to connect to for <s> on server <srv>. */
static socklen_t server_target(struct stream *s, const struct srv_rt *srv,
			       struct sockaddr_storage *ss)
{
	const struct hl_addr *a = srv_addr(srv);
	if (a->kind != ADDR_INET4 && a->kind != ADDR_INET6) {
		*ss = a->ss;
		return a->sslen;
	}
	uint16_t port = a->port_lo;
	if (!(a->flags & ADDR_F_PORT_SET)) {
		uint16_t dport = 0;
		const struct sockaddr_storage *dst = stream_dst_addr(s);
		if (dst->ss_family == AF_INET)
			dport = ntohs(((const struct sockaddr_in *)dst)->sin_port);
		else if (dst->ss_family == AF_INET6)
			dport = ntohs(((const struct sockaddr_in6 *)dst)->sin6_port);
		port = (uint16_t)(dport + ((a->flags & ADDR_F_PORT_OFFSET) ? a->port_offset : 0));
	}
	return addr_sockaddr_port(a, port, ss);
}

/* Rotating algorithms pick snap->srv[ts->pos] next: the request after this
 * one will touch that server's state, counters, configuration and idle
 * list, cold in a large backend. Their loads are started now, in two steps
 * so that none waits for another: the server's own line was asked for at
 * the previous pick (it gives the slots of the others), the next one's now.
 */
static void prefetch_next_server(const struct lb_snapshot *snap, const struct lb_thread_state *ts)
{
	unsigned n = (unsigned)snap->nsrv;
	if (n < 8) /* small backends stay in the cache */
		return;
	const struct srv_rt *next = snap->srv[ts->pos % n];
	__builtin_prefetch(snap->srv[(ts->pos + 1) % n]);
	__builtin_prefetch(&next->conf->cfg);
	counters_prefetch_srv(next);
	http_pool_prefetch(next);
}

/* Picks a server with the backend's algorithm; NULL when none has room. */
static struct srv_rt *pick_server(struct stream *s)
{
	struct be_rt *be = s->be;
	struct lb_thread_state *ts = &((struct lb_thread_state *)curthr->lb_state)[be->idx];
	struct lb_pick req = {.avoid = s->failed_srv};
	struct srv_rt *srv = NULL;

	rcu_read_lock();
	struct lb_snapshot *snap = hl_rcu_deref(be->lb);
	if (snap && snap->nsrv) {
		if (snap->ops->needs_hash && s->txn && s->txn->has_hash) {
			req.hash = s->txn->lb_hash;
			req.has_hash = 1;
		} else if (snap->ops->needs_hash && snap->ops->hash_on_source) {
			const void *key = NULL;
			size_t len = 0;
			if (s->cli_addr.ss_family == AF_INET) {
				key = &((struct sockaddr_in *)&s->cli_addr)->sin_addr;
				len = 4;
			} else if (s->cli_addr.ss_family == AF_INET6) {
				key = &((struct sockaddr_in6 *)&s->cli_addr)->sin6_addr;
				len = 16;
			}
			if (key) {
				req.hash = lb_hash(&be->conf->lb, key, len);
				req.has_hash = 1;
			}
		}
		srv = snap->ops->pick(&be->conf->lb, snap, ts, &req);
		if (srv && snap->ops->rotates)
			prefetch_next_server(snap, ts);
	}
	rcu_read_unlock();
	return srv;
}

/* Sends the PROXY header requested by the server ahead of client data. */
static int prepend_proxy_header(struct stream *s, int version)
{
	uint8_t hdr[536];
	const struct sockaddr_storage *dst = stream_dst_addr(s);
	size_t len = version == 2 ? pp_build_v2(&s->cli_addr, dst, NULL, 0, hdr, sizeof(hdr))
				  : pp_build_v1(&s->cli_addr, dst, (char *)hdr, sizeof(hdr));
	struct sbuf *b = &s->req;
	if (!b->data) {
		b->data = pool_buf_get();
		if (!b->data)
			return -1;
		b->size = (uint32_t)pool_buf_size();
		b->head = b->tail = 0;
	}
	if (!len || (b->tail - b->head) + len > b->size)
		return -1;
	memmove(b->data + len, b->data + b->head, b->tail - b->head);
	b->tail = (uint32_t)(b->tail - b->head + len);
	b->head = 0;
	memcpy(b->data, hdr, len);
	s->pp_hdr_len = (uint32_t)len;
	return 0;
}

/* Binds the local address chosen by "source" if any. */
static int bind_source(int fd, const struct srv_rt *srv)
{
	const struct hl_addr *src = NULL;
	if (srv->conf->cfg.source_set)
		src = &srv->conf->cfg.source;
	else if (srv->be->conf->source_set)
		src = &srv->be->conf->source;
	if (!src)
		return 0;
	int one = 1;
	setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (const struct sockaddr *)&src->ss, src->sslen);
}

/* Starts a non-blocking connect to <srv>; 0 on success (in progress or
 * done), -1 on immediate failure (slot released by the caller's path).
 */
static int start_connect(struct stream *s, struct srv_rt *srv)
{
	struct sockaddr_storage ss;
	socklen_t sl = server_target(s, srv, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (ss.ss_family != AF_UNIX) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (s->be->conf->options & PXO_SRVTCPKA)
			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		if (bind_source(fd, srv) < 0) {
			close(fd);
			return -1;
		}
	}
	s->srv.fd = fd;
	s->srv.rd_ready = s->srv.wr_ready = 0;
	/* registered only after connect(): an unconnected socket reports HUP */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		return -1;
	if (loop_add(fd, STREAM_IO_EVENTS, &s->sh) < 0)
		return -1;
	return 0;
}

int backend_assign_and_connect(struct stream *s)
{
	struct be_rt *be = s->be;
	struct srv_rt *srv = s->retry_srv;

	s->retry_srv = NULL;
	if (!s->log.t_ready)
		s->log.t_ready = curthr->now_ms;
	if (srv && (srv_is_full(srv) || !srv_effective_weight(srv)))
		srv = NULL;
	if (!srv && s->use_srv && !s->attempts) /* HTTP: chosen with the request */
		srv = srv_is_full(s->use_srv) ? NULL : s->use_srv;
	else if (!srv && !stream_is_http(s) && be->conf->server_rules && !s->attempts)
		srv = use_server_pick(s);
	s->use_srv = NULL;
	if (!srv)
		srv = pick_server(s);

	if (!srv) {
		/* all usable servers full: wait in the queue, else give up */
		int usable = 0;
		rcu_read_lock();
		struct lb_snapshot *snap = hl_rcu_deref(be->lb);
		usable = snap && snap->nsrv;
		rcu_read_unlock();
		if (usable && enqueue(s, s->attempts > 0) == 0) {
			uint32_t qto = be->conf->to.queue ? be->conf->to.queue : be->conf->to.connect;
			s->state = ST_QUEUED;
			s->log.be_queue = atomic_load(&be->queued);
			s->queue_exp = qto ? curthr->now_ms + qto : 0;
			/* a slot may have been freed between the pick and the enqueue */
			if (atomic_load(&be->cur_conns) == 0)
				wake_one_queued(be);
			return 0;
		}
		counters_be_error(be);
		stream_end_cause(s, TERM_NO_SRV);
		return -1;
	}
	int used = atomic_fetch_add(&srv->cur_conns, 1) + 1;
	if (used > atomic_load_explicit(&srv->max_used_conns, memory_order_relaxed))
		atomic_store_explicit(&srv->max_used_conns, used, memory_order_relaxed);
	atomic_fetch_add(&be->cur_conns, 1);
	s->server = srv;
	stream_set_acct_srv(s, srv);
	s->log.srv = srv;
	s->attempts++;
	counters_srv_connect(srv);
	if (stream_is_http(s) && http_use_idle_conn(s, srv)) {
		if (!s->log.t_conn)
			s->log.t_conn = curthr->now_ms;
		stream_established(s);
		return 0;
	}
	if (srv->conf->cfg.send_proxy && prepend_proxy_header(s, srv->conf->cfg.send_proxy) < 0) {
		stream_end_cause(s, TERM_SRV_ERR);
		return -1;
	}
	s->state = ST_CONNECTING;
	if (!s->log.t_conn)
		s->log.t_conn = curthr->now_ms;
	s->conn_exp = be->conf->to.connect ? curthr->now_ms + be->conf->to.connect : 0;
	if (start_connect(s, srv) < 0)
		return backend_connect_failed(s, TERM_CONN_FAIL);
	return 0;
}

int backend_connect_check(struct stream *s)
{
	if (!s->srv.ssl) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(s->srv.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err || (tls_srv_wanted(s) && tls_srv_start(s) < 0))
			return backend_connect_failed(s, TERM_CONN_FAIL) < 0 ? -1 : 0;
	}
	if (s->srv.ssl) { /* TLS server: the handshake is part of connecting */
		int r = tls_srv_step(s);
		if (r == 0)
			return 2;
		if (r < 0)
			return backend_connect_failed(s, TERM_CONN_FAIL) < 0 ? -1 : 0;
	}
	observe_report(s->server, OBS_L4_OK);
	stream_established(s);
	return 1;
}

/* Whether retry number <n> (1-based) of <be> must go to another server. */
static int must_redispatch(const struct be_rt *be, int n, int retries)
{
	const struct proxy *px = be->conf;
	if (!(px->options & PXO_REDISPATCH))
		return 0;
	int iv = px->redispatch_interval ? px->redispatch_interval : -1;
	if (iv > 0)
		return n % iv == 0;
	/* negative: the |iv|-th retry before the last one (-1: the last) */
	return n == retries + 1 + iv;
}

int backend_connect_failed(struct stream *s, enum term_cause why)
{
	struct srv_rt *srv = s->server;
	int retries = s->be->conf->retries;

	if (srv)
		counters_srv_conn_error(srv);
	observe_report(srv, OBS_L4_ERR);
	stream_close_server(s);
	/* nothing was sent: the next attempt builds its own PROXY header */
	s->req.head += s->pp_hdr_len;
	s->pp_hdr_len = 0;
	s->conn_exp = 0;
	if (s->retries_left <= 0) {
		stream_end_cause(s, why);
		return -1;
	}
	s->retries_left--;
	int n = retries - s->retries_left;
	if (srv)
		counters_srv_retry(srv);
	if (must_redispatch(s->be, n, retries) && be_nsrv(s->be) > 1) {
		s->failed_srv = srv;
		if (srv)
			counters_srv_redispatch(srv);
		s->state = ST_ASSIGN;
		stream_wakeup(s);
		return 0;
	}
	/* retry the same server after a short turn-around delay */
	s->failed_srv = NULL;
	uint32_t delay = s->be->conf->to.connect && s->be->conf->to.connect < TURNAROUND_MS
				 ? s->be->conf->to.connect
				 : TURNAROUND_MS;
	s->state = ST_TURNAROUND;
	s->conn_exp = curthr->now_ms + delay;
	s->retry_srv = srv;
	return 0;
}

/* source <addr>[:<port>] in defaults/backend/listen: local address of the
 * connections to every server that has no "source" of its own.
 */
static int parse_px_source(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct hl_addr a;

	if (nargs < 2) {
		memprintf(err, "'source' expects <addr>[:<port>] as argument.");
		return CFG_ALERT;
	}
	if (nargs > 2) {
		memprintf(err, "'source %s': option '%s' is not supported yet.", args[1], args[2]);
		return CFG_ALERT;
	}
	if (cfg_parse_source(args[1], &a, err) != CFG_OK)
		return CFG_ALERT;
	addr_release(&ctx->px->source);
	ctx->px->source = a;
	ctx->px->source_set = 1;
	return CFG_OK;
}

static const struct cfg_kw backend_kws[] = {
	{.name = "source",
	 .sections = SECT_PROXY,
	 .cap = PX_CAP_DEF | PX_CAP_BE,
	 .parse = parse_px_source,
	 .flags = KWF_CAP_WARN},
};
CFG_REGISTER_KEYWORDS(backend_kws)
