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
#include "worker/backend.h"
#include "worker/lb.h"

struct runtime rt;

static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;

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
		call_rcu(&f->head, snap_free_cb);
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

/* Creates the runtime servers of backend <be>. */
static void build_servers(struct be_rt *be)
{
	const struct proxy *px = be->conf;
	be->nsrv = px->nb_servers;
	be->srv = xcalloc((size_t)be->nsrv + 1, sizeof(*be->srv));
	int i = 0;
	for (const struct server *s = px->servers; s; s = s->next, i++) {
		struct srv_rt *r = &be->srv[i];
		r->conf = s;
		r->be = be;
		r->idx = i;
		atomic_init(&r->uweight, s->cfg.weight);
		atomic_init(&r->admin, s->cfg.disabled ? SRV_ADMIN_MAINT : 0);
		atomic_init(&r->oper_up, 1);
		atomic_init(&r->oper_nolb, 0);
		r->maxconn = s->cfg.maxconn;
		r->maxqueue = s->cfg.maxqueue;
		r->backup = s->cfg.backup;
	}
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
	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		if (px->disabled || !(px->cap & PX_CAP_BE))
			continue;
		struct be_rt *be = &rt.bes[rt.nbe];
		be->conf = px;
		be->idx = rt.nbe++;
		build_servers(be);
		be->lb = lb_snapshot_build(be);
	}
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
