/* Per-thread pools of idle server connections (see http-pool.h). */
#include "worker/http-pool.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/mem.h"
#include "worker/counters.h"
#include "worker/runtime.h"

struct idle_conn {
	struct ev_handler h;
	int fd;
	uint32_t uses;
	struct srv_rt *srv;
	struct idle_conn *prev, *next;
};

struct idle_list {
	struct idle_conn *first, *last; /* most recently parked last */
	int n;
};

struct idle_pools {
	struct idle_list *srv; /* [srv_total_count()] */
	int nsrv;
	struct timer purge;
};

static __thread struct idle_pools *pools;
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

static struct idle_list *list_of(const struct srv_rt *srv)
{
	int i = srv_global_index(srv);
	return pools && i < pools->nsrv ? &pools->srv[i] : NULL;
}

/* Closes and frees <c> (after the current batch of events). */
static void drop_conn(struct idle_conn *c)
{
	unlink_conn(list_of(c->srv), c);
	close(c->fd);
	c->fd = -1;
	loop_defer_free(c);
}

/* Any event on an idle connection means it is closing or misbehaving. */
static void idle_event(struct ev_handler *h, uint32_t ev)
{
	struct idle_conn *c = caa_container_of(h, struct idle_conn, h);
	(void)ev;
	if (c->fd >= 0)
		drop_conn(c);
}

static uint32_t purge_delay(const struct srv_rt *srv)
{
	return srv->conf->cfg.pool_purge_delay;
}

/* Every purge delay: closes half of each server's idle connections, the
 * oldest first (HAProxy's pool-purge-delay behaviour).
 */
static void purge_cb(struct timer *t)
{
	uint64_t next = 0;
	for (int i = 0; i < pools->nsrv; i++) {
		struct idle_list *l = &pools->srv[i];
		if (!l->n)
			continue;
		int drop = (l->n + 1) / 2;
		uint32_t d = purge_delay(l->first->srv);
		if (!d)
			continue;
		while (drop-- > 0 && l->first)
			drop_conn(l->first);
		if (l->n && (!next || curthr->now_ms + d < next))
			next = curthr->now_ms + d;
	}
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
	timer_init(&pools->purge, purge_cb);
	return 0;
}

int http_pool_take(struct srv_rt *srv, int proven_only, uint32_t *uses)
{
	struct idle_list *l = list_of(srv);
	struct idle_conn *c = l ? l->last : NULL; /* the warmest one */
	for (int n = 0; c && proven_only && c->uses < 2 && n < 8; n++)
		c = c->prev;
	if (!c || (proven_only && c->uses < 2))
		return -1;
	int fd = c->fd;
	*uses = c->uses;
	unlink_conn(l, c);
	c->fd = -1;
	loop_defer_free(c);
	return fd;
}

void http_pool_put(struct srv_rt *srv, int fd, uint32_t uses)
{
	int max = srv->conf->cfg.pool_max_conn;
	if (atomic_load(&rt.stopping) || max == 0 || atomic_load(&idle_total) >= idle_limit() ||
	    pools_init() < 0 || (max > 0 && atomic_load(&srv->idle_conns) >= max)) {
		close(fd);
		return;
	}
	struct idle_list *l = list_of(srv);
	struct idle_conn *c = l ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	c->h.cb = idle_event;
	c->fd = fd;
	c->uses = uses;
	c->srv = srv;
	if (loop_mod(fd, EPOLLIN | EPOLLRDHUP | EPOLLET, &c->h) < 0) {
		close(fd);
		free(c);
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
	uint32_t d = purge_delay(srv);
	if (d && !pools->purge.expire)
		timer_set(&pools->purge, curthr->now_ms + d);
}

void http_pool_flush(void)
{
	if (!pools)
		return;
	for (int i = 0; i < pools->nsrv; i++)
		while (pools->srv[i].first)
			drop_conn(pools->srv[i].first);
	timer_set(&pools->purge, 0);
}
