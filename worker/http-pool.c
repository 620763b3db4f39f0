/* Per-thread pools of idle server connections (see http-pool.h). */
#include "worker/http-pool.h"

#include <pthread.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include <urcu-qsbr.h>

#include "common/mem.h"
#include "common/rcu.h"
#include "worker/counters.h"
#include "worker/runtime.h"

struct idle_conn {
	struct ev_handler h;
	int fd;             /* -1 once taken or closed; written under the pool lock */
	struct ssl_st *ssl; /* TLS session of the connection, NULL: plain */
	uint32_t uses;
	uint32_t addr_gen; /* the server's address generation when parked */
	struct srv_rt *srv;
	struct idle_conn *prev, *next;
	struct rcu_head rcu; /* freed after a grace period once stolen */
};

struct idle_list {
	struct idle_conn *first, *last; /* most recently parked last */
	int n;
};

/* One thread's pools. The owner parks, purges and drops under <lock>;
 * other threads take the lock only to steal a connection.
 */
struct idle_pools {
	pthread_mutex_t lock;
	struct idle_list *srv; /* [srv_total_count()] */
	int nsrv;
	int epfd; /* the owner's epoll instance */
	struct timer purge;
};

static __thread struct idle_pools *pools;
static struct idle_pools *_Atomic all_pools[MAX_THREADS];
/* connections unlinked as stale by unlink_warmest(), closed by the caller */
static __thread struct idle_conn *stale_conns;
static _Atomic int idle_total; /* idle connections of every thread */

#define POOL_LOW_FD_RATIO 20 /* % of the fds idle connections may hold */

/* How many idle connections the process keeps at most, like HAProxy's
 * default tune.pool-low-fd-ratio: a fifth of the file descriptors.
 */
static int idle_limit(void)
{
	long maxsock = rt.ulimit_n ? rt.ulimit_n : (long)rt.maxconn * 2 + rt.nlst + 200;
	return (int)(maxsock * POOL_LOW_FD_RATIO / 100);
}

/* Closes the connection of <c> and frees its TLS session (no close_notify:
 * the socket is not waited for).
 */
static void conn_close(struct idle_conn *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
	http_conn_close_idle(c->fd);
}

void http_conn_close_idle(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void unlink_conn(struct idle_list *l, struct idle_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->first = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->last = c->prev;
	c->prev = c->next = NULL;
	l->n--;
	atomic_fetch_sub(&idle_total, 1);
	atomic_fetch_sub(&c->srv->idle_conns, 1);
}

static struct idle_list *list_in(struct idle_pools *p, const struct srv_rt *srv)
{
	int i = srv_global_index(srv);
	return p && i < p->nsrv ? &p->srv[i] : NULL;
}

/* Closes and frees <c>, parked on the current thread (after the current
 * batch of events). The caller holds the current thread's pool lock.
 */
static void drop_conn(struct idle_conn *c)
{
	unlink_conn(list_in(pools, c->srv), c);
	conn_close(c);
	c->fd = -1;
	loop_defer_free(c);
}

/* Any event on an idle connection means it is closing or misbehaving;
 * unless another thread took the connection in the meantime.
 */
static void idle_event(struct ev_handler *h, uint32_t ev)
{
	struct idle_conn *c = caa_container_of(h, struct idle_conn, h);
	if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return; /* writable: nothing to say for an idle connection */
	pthread_mutex_lock(&pools->lock);
	if (c->fd >= 0)
		drop_conn(c);
	pthread_mutex_unlock(&pools->lock);
}

static uint32_t purge_delay(const struct srv_rt *srv)
{
	return srv->conf->cfg.pool_purge_delay;
}

/* Updates <srv>'s estimate of the connections it needs, once per purge
 * delay <d> whichever thread purges first (HAProxy's rule): the estimate
 * moves halfway to the most connections used at once since the last
 * update, and never stays below that.
 */
static void update_need_estimate(struct srv_rt *srv, uint32_t d)
{
	uint64_t now = curthr->now_ms, last = atomic_load(&srv->est_update_ms);
	if (now - last < d / 2 || !atomic_compare_exchange_strong(&srv->est_update_ms, &last, now))
		return;
	int max_used = atomic_load(&srv->max_used_conns);
	int est = (atomic_load(&srv->est_need_conns) + max_used) / 2;
	atomic_store(&srv->est_need_conns, est < max_used ? max_used : est);
	atomic_store(&srv->max_used_conns, atomic_load(&srv->cur_conns));
}

/* How many of the <local> idle connections to <srv> parked on this thread
 * a purge closes: half (rounded up) of what the server holds beyond its
 * estimated need, spread over the threads by their share of its idle
 * connections. Connections a steady load keeps using are not closed.
 */
static int purge_count(struct srv_rt *srv, int local, uint32_t d)
{
	int idle = atomic_load(&srv->idle_conns);
	int max_used = atomic_load(&srv->max_used_conns);
	int need = atomic_load(&srv->est_need_conns);
	int exceed = atomic_load(&srv->cur_conns) + idle - (max_used > need ? max_used : need);
	update_need_estimate(srv, d);
	if (exceed <= 0 || idle <= 0)
		return 0;
	int kill = exceed / 2 + (exceed & 1);
	int share = (int)(((long long)kill * local + idle - 1) / idle);
	return share < local ? share : local;
}

/* Every purge delay: closes the idle connections purge_count() finds in
 * excess, the oldest first.
 */
static void purge_cb(struct timer *t)
{
	uint64_t next = 0;
	pthread_mutex_lock(&pools->lock);
	for (int i = 0; i < pools->nsrv; i++) {
		struct idle_list *l = &pools->srv[i];
		if (!l->n)
			continue;
		struct srv_rt *srv = l->first->srv;
		uint32_t d = purge_delay(srv);
		int drop = purge_count(srv, l->n, d);
		while (drop-- > 0 && l->first)
			drop_conn(l->first);
		if (l->n && (!next || curthr->now_ms + d < next))
			next = curthr->now_ms + d;
	}
	pthread_mutex_unlock(&pools->lock);
	timer_set(t, next);
}

static int pools_init(void)
{
	if (pools)
		return 0;
	int n = srv_total_count();
	pools = calloc(1, sizeof(*pools));
	if (!pools)
		return -1;
	pools->srv = calloc((size_t)(n ? n : 1), sizeof(*pools->srv));
	if (!pools->srv) {
		free(pools);
		pools = NULL;
		return -1;
	}
	pools->nsrv = n;
	pools->epfd = curthr->epfd;
	pthread_mutex_init(&pools->lock, NULL);
	timer_init(&pools->purge, purge_cb);
	atomic_store(&all_pools[curthr->id], pools);
	return 0;
}

/* Unlinks from <l> the warmest connection that suits <proven_only>, or
 * returns NULL. The caller holds the lock of the pools owning <l>.
 */
static struct idle_conn *unlink_warmest(struct idle_list *l, int proven_only)
{
	struct idle_conn *c = l ? l->last : NULL;
	/* connections made to an address the server no longer has are not reused */
	while (c && c->addr_gen != atomic_load(&c->srv->addr_gen)) {
		struct idle_conn *prev = c->prev;
		unlink_conn(l, c);
		c->prev = stale_conns;
		stale_conns = c;
		c = prev;
	}
	for (int n = 0; c && proven_only && c->uses < 2 && n < 8; n++)
		c = c->prev;
	if (!c || (proven_only && c->uses < 2))
		return NULL;
	unlink_conn(l, c);
	return c;
}

static void free_stolen(struct rcu_head *h)
{
	free(caa_container_of(h, struct idle_conn, rcu));
}

/* Closes the connections unlink_warmest() found stale in pools <p>, whose
 * lock the caller holds. Those of another thread (<foreign>) leave its
 * epoll first and are freed after a grace period, as stolen ones.
 */
static void close_stale(struct idle_pools *p, int foreign)
{
	while (stale_conns) {
		struct idle_conn *c = stale_conns;
		stale_conns = c->prev;
		c->prev = NULL;
		if (foreign)
			epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		conn_close(c);
		c->fd = -1;
		if (foreign)
			hl_call_rcu(&c->rcu, free_stolen);
		else
			loop_defer_free(c);
	}
}

/* Takes a connection to <srv> parked by another thread: removes it from
 * that thread's epoll and hands it over. The owner may still hold an event
 * for it in its current batch, so the entry is freed after a grace period
 * (every loop turn is a quiescent state) and marked taken (fd -1) for
 * idle_event(). Returns the fd or -1.
 */
static int steal_conn(struct srv_rt *srv, int proven_only, uint32_t *uses, struct ssl_st **ssl)
{
	for (int i = 0; i < rt.nbthread; i++) {
		struct idle_pools *p = atomic_load(&all_pools[i]);
		if (!p || p == pools)
			continue;
		pthread_mutex_lock(&p->lock);
		struct idle_conn *c = unlink_warmest(list_in(p, srv), proven_only);
		int fd = c ? c->fd : -1;
		if (c) {
			epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
			c->fd = -1;
			*uses = c->uses;
			*ssl = c->ssl;
			c->ssl = NULL;
		}
		close_stale(p, 1);
		pthread_mutex_unlock(&p->lock);
		if (c) {
			hl_call_rcu(&c->rcu, free_stolen);
			return fd;
		}
	}
	return -1;
}

/* Takes a connection from the current thread's pool, with its TLS state
 * in *<ssl>; *<local> is how many it held for <srv> before (read under the
 * lock: other threads steal).
 */
static int take_local(struct srv_rt *srv, int proven_only, uint32_t *uses, struct ssl_st **ssl,
                      int *local)
{
	*local = 0;
	if (!pools)
		return -1;
	pthread_mutex_lock(&pools->lock);
	struct idle_list *l = list_in(pools, srv);
	*local = l ? l->n : 0;
	struct idle_conn *c = unlink_warmest(l, proven_only);
	int fd = c ? c->fd : -1;
	if (c) {
		*uses = c->uses;
		*ssl = c->ssl;
		c->ssl = NULL;
		c->fd = -1;
		loop_defer_free(c);
	}
	close_stale(pools, 0);
	pthread_mutex_unlock(&pools->lock);
	return fd;
}

/* Closes a connection that could not be handed over or parked. */
static void close_with(int fd, struct ssl_st *ssl)
{
	SSL_free(ssl);
	http_conn_close_idle(fd);
}

int http_pool_take(struct srv_rt *srv, int proven_only, uint32_t *uses, uint32_t events,
                   struct ev_handler *h, struct ssl_st **ssl)
{
	*ssl = NULL;
	int local;
	int fd = take_local(srv, proven_only, uses, ssl, &local);
	if (fd >= 0) {
		if (loop_mod(fd, events, h) == 0)
			return fd;
		close_with(fd, *ssl);
		*ssl = NULL;
		return -1;
	}
	/* Other threads hold idle connections to this server: steal one,
	 * unless the server has fewer idle connections than pool-low-conn.
	 */
	int all = atomic_load(&srv->idle_conns), low = srv->conf->cfg.pool_low_conn;
	if (all <= local || (low > 0 && all < low))
		return -1;
	fd = steal_conn(srv, proven_only, uses, ssl);
	if (fd >= 0 && loop_add(fd, events, h) < 0) {
		close_with(fd, *ssl);
		*ssl = NULL;
		return -1;
	}
	return fd;
}

void http_pool_put(struct srv_rt *srv, int fd, struct ssl_st *ssl, uint32_t uses, uint32_t events,
                   int drained)
{
	int max = srv->conf->cfg.pool_max_conn;
	/* a server in maintenance keeps none, so that it can be deleted */
	if (atomic_load(&rt.stopping) || max == 0 || !purge_delay(srv) ||
	    (atomic_load(&srv->admin) & SRV_ADMIN_MAINT) ||
	    atomic_load(&idle_total) >= idle_limit() || pools_init() < 0 ||
	    (max > 0 && atomic_load(&srv->idle_conns) >= max)) {
		close_with(fd, ssl);
		return;
	}
	struct idle_list *l = list_in(pools, srv);
	struct idle_conn *c = l ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close_with(fd, ssl);
		return;
	}
	c->h.cb = idle_event;
	c->fd = fd;
	c->ssl = ssl;
	c->uses = uses;
	c->addr_gen = atomic_load(&srv->addr_gen);
	c->srv = srv;
	if ((drained && !ssl ? loop_mod(fd, events, &c->h) : loop_rearm(fd, events, &c->h)) < 0) {
		close_with(fd, ssl);
		free(c);
		return;
	}
	pthread_mutex_lock(&pools->lock);
	/* checked again under the lock: "set server ... state maint" drops
	 * the server's idle connections under this lock once MAINT is set, so
	 * a connection parked meanwhile would outlive a "del server"
	 */
	if (atomic_load(&srv->admin) & SRV_ADMIN_MAINT) {
		pthread_mutex_unlock(&pools->lock);
		c->fd = -1;
		close_with(fd, ssl);
		loop_defer_free(c);
		return;
	}
	c->prev = l->last;
	if (l->last)
		l->last->next = c;
	else
		l->first = c;
	l->last = c;
	l->n++;
	atomic_fetch_add(&idle_total, 1);
	atomic_fetch_add(&srv->idle_conns, 1);
	pthread_mutex_unlock(&pools->lock);
	if (!pools->purge.expire)
		timer_set(&pools->purge, curthr->now_ms + purge_delay(srv));
}

void http_pool_prefetch(const struct srv_rt *srv)
{
	struct idle_list *l = list_in(pools, srv);
	if (l)
		__builtin_prefetch(l, 1);
}

void http_pool_drop_server(struct srv_rt *srv)
{
	for (int i = 0; i < rt.nbthread; i++) {
		struct idle_pools *p = atomic_load(&all_pools[i]);
		if (!p)
			continue;
		pthread_mutex_lock(&p->lock);
		struct idle_list *l = list_in(p, srv);
		while (l && l->first) {
			struct idle_conn *c = l->first;
			unlink_conn(l, c);
			c->prev = stale_conns;
			stale_conns = c;
		}
		close_stale(p, p != pools);
		pthread_mutex_unlock(&p->lock);
	}
}

void http_pool_flush(void)
{
	if (!pools)
		return;
	pthread_mutex_lock(&pools->lock);
	for (int i = 0; i < pools->nsrv; i++)
		while (pools->srv[i].first)
			drop_conn(pools->srv[i].first);
	pthread_mutex_unlock(&pools->lock);
	timer_set(&pools->purge, 0);
}

void http_pool_idle_on(const struct srv_rt *srv, int thread, int *safe, int *unsafe)
{
	struct idle_pools *p = atomic_load(&all_pools[thread]);
	*safe = *unsafe = 0;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	struct idle_list *l = list_in(p, srv);
	for (struct idle_conn *c = l ? l->first : NULL; c; c = c->next)
		(*(c->uses >= 2 ? safe : unsafe))++;
	pthread_mutex_unlock(&p->lock);
}
