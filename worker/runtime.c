/* Builds the runtime state from the configuration and publishes LB
 * snapshots. Writers (runtime API, health checks) serialise on
 * publish_lock, swap the snapshot pointer and free the old version after an
 * RCU grace period; readers only use hl_rcu_deref() (common/rcu.h) inside the
 * QSBR read side of their event loop.
 */
#include "worker/runtime.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <urcu-qsbr.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/rcu.h"
#include "conf/kw.h"
#include "conf/ssl-server.h"
#include "worker/backend.h"
#include "worker/lb.h"
#include "worker/srv-list.h"

struct runtime rt;

static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t servers_lock = PTHREAD_MUTEX_INITIALIZER;

struct snap_free {
	struct rcu_head head;
	struct lb_snapshot *snap;
};

static void snap_free_cb(struct rcu_head *h)
{
	struct snap_free *f = caa_container_of(h, struct snap_free, head);
	lb_snapshot_free(f->snap);
	free(f);
}

void backend_publish(struct be_rt *be)
{
	pthread_mutex_lock(&publish_lock);
	struct lb_snapshot *snap = lb_snapshot_build(be);
	struct lb_snapshot *old = hl_rcu_xchg(be->lb, snap);
	pthread_mutex_unlock(&publish_lock);
	if (old) {
		struct snap_free *f = xcalloc(1, sizeof(*f));
		f->snap = old;
		hl_call_rcu(&f->head, snap_free_cb);
	}
}

struct be_rt *runtime_backend_of(const struct proxy *px)
{
	for (int i = 0; px && i < rt.nbe; i++)
		if (rt.bes[i].conf == px)
			return &rt.bes[i];
	return NULL;
}

struct be_rt *runtime_backend_by_name(const char *name, size_t len)
{
	for (int i = 0; i < rt.nbe; i++) {
		const char *id = rt.bes[i].conf->id;
		if (strlen(id) == len && strncmp(id, name, len) == 0)
			return &rt.bes[i];
	}
	return NULL;
}

struct srv_rt *be_find_server(const struct be_rt *be, const char *name)
{
	const struct srv_list *l = be_servers(be);
	for (int i = 0; l && i < l->n; i++)
		if (!strcmp(l->v[i]->conf->id, name))
			return l->v[i];
	return NULL;
}

struct srv_list *srv_list_new(struct srv_rt *const *v, int n)
{
	struct srv_list *l = xcalloc(1, sizeof(*l) + (size_t)(n + 1) * sizeof(l->v[0]));
	l->n = n;
	if (n)
		memcpy(l->v, v, (size_t)n * sizeof(l->v[0]));
	return l;
}

struct srv_list *srv_list_of_array(struct srv_rt *arr, int n)
{
	struct srv_list *l = srv_list_new(NULL, 0);
	l = xrealloc(l, sizeof(*l) + (size_t)(n + 1) * sizeof(l->v[0]));
	l->n = n;
	for (int i = 0; i < n; i++)
		l->v[i] = &arr[i];
	return l;
}

void srv_rt_init(struct srv_rt *r, const struct server *s, struct be_rt *be)
{
	r->conf = s;
	r->be = be;
	atomic_init(&r->uweight, s->cfg.weight);
	atomic_init(&r->admin, s->cfg.disabled ? SRV_ADMIN_MAINT : 0);
	atomic_init(&r->oper_up, 1);
	atomic_init(&r->oper_nolb, 0);
	r->maxconn = s->cfg.maxconn;
	r->maxqueue = s->cfg.maxqueue;
	r->backup = s->cfg.backup;
}

/* Creates the runtime servers of backend <be>; <gidx> is the slot of the
 * first one and moves past the last.
 */
static void build_servers(struct be_rt *be, int *gidx)
{
	const struct proxy *px = be->conf;
	be->ncfg_srv = px->nb_servers;
	be->cfg_srv = xcalloc_lines((size_t)be->ncfg_srv + 1, sizeof(*be->cfg_srv));
	int i = 0;
	for (const struct server *s = px->servers; s; s = s->next, i++) {
		struct srv_rt *r = &be->cfg_srv[i];
		srv_rt_init(r, s, be);
		r->idx = i;
		r->gidx = (*gidx)++;
		if (!be->sni_tls && s->cfg.tls && s->cfg.tls->sni)
			be->sni_tls = s->cfg.tls;
	}
	be->srvs = srv_list_of_array(be->cfg_srv, be->ncfg_srv);
}

/* Pins the configured servers that others track (they cannot be deleted). */
static void pin_tracked(void)
{
	for (int b = 0; b < rt.nbe; b++)
		for (int i = 0; i < rt.bes[b].ncfg_srv; i++) {
			const struct server *t = rt.bes[b].cfg_srv[i].conf->tracked;
			for (int b2 = 0; t && b2 < rt.nbe; b2++)
				for (int j = 0; j < rt.bes[b2].ncfg_srv; j++)
					if (rt.bes[b2].cfg_srv[j].conf == t)
						atomic_store(&rt.bes[b2].cfg_srv[j].pinned, 1);
		}
}

/* Server slots: the configured servers take the first ones in order; the
 * DYN_SRV_SLOTS after them go to servers added at run time, a slot being
 * given again only once the server that held it has been freed.
 */
static int nb_cfg_slots;
static int *free_slots; /* stack of free dynamic slots */
static int nb_free_slots;
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

int srv_slots_total(void)
{
	return nb_cfg_slots + DYN_SRV_SLOTS;
}

int srv_slot_alloc(void)
{
	int g = -1;
	pthread_mutex_lock(&slot_lock);
	if (nb_free_slots)
		g = free_slots[--nb_free_slots];
	pthread_mutex_unlock(&slot_lock);
	return g;
}

void srv_slot_release(int g)
{
	pthread_mutex_lock(&slot_lock);
	free_slots[nb_free_slots++] = g;
	pthread_mutex_unlock(&slot_lock);
}

/* Fills the free slot stack, lowest slot on top. */
static void slots_init(int ncfg)
{
	nb_cfg_slots = ncfg;
	free_slots = xcalloc(DYN_SRV_SLOTS, sizeof(*free_slots));
	for (int i = 0; i < DYN_SRV_SLOTS; i++)
		free_slots[i] = ncfg + DYN_SRV_SLOTS - 1 - i;
	nb_free_slots = DYN_SRV_SLOTS;
}

void backend_set_servers(struct be_rt *be, struct srv_list *l, struct srv_list **old)
{
	pthread_mutex_lock(&publish_lock);
	*old = hl_rcu_xchg(be->srvs, l);
	struct lb_snapshot *snap = lb_snapshot_build(be);
	struct lb_snapshot *prev = hl_rcu_xchg(be->lb, snap);
	pthread_mutex_unlock(&publish_lock);
	if (prev) {
		struct snap_free *f = xcalloc(1, sizeof(*f));
		f->snap = prev;
		hl_call_rcu(&f->head, snap_free_cb);
	}
}

void backend_servers_lock(void)
{
	pthread_mutex_lock(&servers_lock);
}

void backend_servers_unlock(void)
{
	pthread_mutex_unlock(&servers_lock);
}

/* Default maxconn when none is configured: what the fd limit allows. */
static int default_maxconn(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY) {
		long m = ((long)rl.rlim_max - 512) / 2;
		if (m > 100000)
			m = 100000;
		if (m > 100)
			return (int)m;
	}
	return 4096;
}

/* Whether frontend <fe> may send traffic to backend <be>. */
static int fe_routes_to(const struct fe_rt *fe, const struct be_rt *be)
{
	const struct proxy *px = fe->conf;
	if (px == be->conf || px->default_backend == be->conf)
		return 1;
	for (const struct switching_rule *r = px->switching_rules; r; r = r->next)
		if (r->be == be->conf)
			return 1;
	return 0;
}

/* Sets each backend's fullconn: configured, else 10% of the sum of the
 * maxconn of the frontends that may route to it (at least 1).
 */
static void compute_fullconn(void)
{
	for (int b = 0; b < rt.nbe; b++) {
		struct be_rt *be = &rt.bes[b];
		long sum = 0;
		if (be->conf->fullconn) {
			be->fullconn = be->conf->fullconn;
			continue;
		}
		for (int f = 0; f < rt.nfe; f++)
			if (fe_routes_to(&rt.fes[f], be))
				sum += rt.fes[f].maxconn;
		be->fullconn = sum / 10 > 0 ? (int)(sum / 10) : 1;
	}
}

int runtime_build(struct config *cfg)
{
	int nfe = 0, nbe = 0;
	rt.cfg = cfg;
	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		if (px->disabled)
			continue;
		nfe += !!(px->cap & PX_CAP_FE);
		nbe += !!(px->cap & PX_CAP_BE);
	}
	rt.fes = xcalloc((size_t)nfe + 1, sizeof(*rt.fes));
	rt.bes = xcalloc((size_t)nbe + 1, sizeof(*rt.bes));
	int gidx = 0;
	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		if (px->disabled || !(px->cap & PX_CAP_BE))
			continue;
		struct be_rt *be = &rt.bes[rt.nbe];
		be->conf = px;
		be->idx = rt.nbe++;
		build_servers(be, &gidx);
		be->lb = lb_snapshot_build(be);
	}
	slots_init(gidx);
	pin_tracked();
	backend_queues_init(rt.nbe);
	rt.maxconn = cfg->global.maxconn ? cfg->global.maxconn : default_maxconn();
	atomic_store(&rt.conn_rate_lim, (uint32_t)cfg->global.maxconnrate);
	atomic_store(&rt.sess_rate_lim, (uint32_t)cfg->global.maxsessrate);
	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		if (px->disabled || !(px->cap & PX_CAP_FE))
			continue;
		struct fe_rt *fe = &rt.fes[rt.nfe];
		fe->conf = px;
		fe->idx = rt.nfe++;
		fe->maxconn = px->maxconn ? px->maxconn : rt.maxconn;
		fe->sess_rate_lim = (uint32_t)px->sess_rate_lim;
		if (px->default_backend)
			fe->default_be = runtime_backend_of(px->default_backend);
		else if (px->cap & PX_CAP_BE)
			fe->default_be = runtime_backend_of(px);
	}
	compute_fullconn();
	return 0;
}
