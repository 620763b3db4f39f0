/* "show servers state [<backend>]" (HAProxy's version 1 state file format,
 * as "load-server-state-from-file" reads it) and "show backend".
 *
 * Halyard keeps fewer server states than HAProxy: the administrative bits
 * are derived from SRV_ADMIN_* and the configuration's "disabled", and the
 * columns about checks, agents and DNS show what HAProxy prints for a
 * server without those features.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "worker/http-pool.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/srv-addr.h"

/* HAProxy's server administrative flags (SRV_ADMF_*) and check state. */
#define ADMF_FMAINT 0x01 /* forced maintenance (CLI or configuration) */
#define ADMF_CMAINT 0x04 /* "disabled" in the configuration */
#define ADMF_FDRAIN 0x08 /* forced drain */
#define CHK_ST_PAUSED 0x08
/* HAProxy's operational states (SRV_ST_*). */
#define ST_STOPPED 0
#define ST_RUNNING 2

static void server_state_line(struct cli_conn *c, const struct srv_rt *s)
{
	const struct server *sc = s->conf;
	const struct server_cfg *cfg = &sc->cfg;
	unsigned admin = atomic_load(&s->admin);
	unsigned admf = 0;
	char ip[INET6_ADDRSTRLEN + 1], chk[INET6_ADDRSTRLEN + 1];

	if (admin & SRV_ADMIN_MAINT)
		admf |= ADMF_FMAINT;
	if (cfg->disabled)
		admf |= ADMF_CMAINT;
	if (admin & SRV_ADMIN_DRAIN)
		admf |= ADMF_FDRAIN;
	int op = !(admin & SRV_ADMIN_MAINT) && atomic_load(&s->oper_up) ? ST_RUNNING : ST_STOPPED;
	/* without checks, nothing gives back the health a maintenance took */
	int health = op == ST_RUNNING && !cfg->disabled && !atomic_load(&s->maint_seen)
	                 ? (cfg->rise ? cfg->rise : 2)
	                 : 0;
	long changed = atomic_load(&s->last_change);
	long since = (long)time(NULL) - (changed ? changed : rt.start_time);

	cli_printf(c,
	           "%d %s %d %s %s %d %u %d %d %ld %d %d %d %d %d %d %d %s %u %s %d %d %s %s %d\n",
	           s->be->conf->uuid, s->be->conf->id, sc->puid, sc->id,
	           addr_ip_str(srv_addr(s), ip, sizeof(ip)), op, admf, atomic_load(&s->uweight),
	           cfg->weight, since < 0 ? 0 : since, 1 /* check status: not run */,
	           0 /* check result: unknown */, health, cfg->disabled ? CHK_ST_PAUSED : 0,
	           0 /* agent state */, s->be->conf->uuid_set ? 1 : 0, sc->puid_set ? 1 : 0,
	           "-" /* fqdn */,
	           (srv_addr(s)->flags & ADDR_F_PORT_SET) ? (unsigned)srv_addr(s)->port_lo : 0u,
	           "-" /* srvrecord */, 0 /* use_ssl */, cfg->check_port,
	           cfg->check_addr_set ? addr_ip_str(&cfg->check_addr, chk, sizeof(chk)) : "-",
	           "-" /* agent addr */, 0 /* agent port */);
}

/* Where a "show servers state" dump stands: a backend and a server index
 * (runtime arrays that live as long as the process, see
 * docs/architecture.md).
 */
struct state_dump {
	const struct be_rt *only; /* NULL for every backend */
	const struct proxy *px;   /* configuration order, NULL at the end */
	int b, i;
};

/* The next server of <d>, or NULL at the end. */
static const struct srv_rt *state_next(struct state_dump *d)
{
	while (d->px) {
		if (d->b >= rt.nbe) {
			d->px = d->px->next;
			d->b = d->i = 0;
			continue;
		}
		/* the list is read again at each step (QSBR: valid for this
		 * loop turn only); servers added or deleted between two steps
		 * may be missed or shown twice, as the position is an index
		 */
		const struct be_rt *be = &rt.bes[d->b];
		const struct srv_list *l = be_servers(be);
		if (be->conf != d->px || (d->only && be != d->only) || !l || d->i >= l->n) {
			d->b++;
			d->i = 0;
			continue;
		}
		return l->v[d->i++];
	}
	return NULL;
}

static int servers_state_step(struct cli_conn *c, void *ctx)
{
	struct state_dump *d = ctx;
	do {
		const struct srv_rt *s = state_next(d);
		if (!s)
			return 1;
		server_state_line(c, s);
	} while (!cli_chunk_full(c));
	return 0;
}

static void show_servers_state(struct cli_conn *c, char **args, int nargs)
{
	const struct be_rt *only = NULL;
	if (nargs > 3) {
		only = runtime_backend_by_name(args[3], strlen(args[3]));
		if (!only) {
			cli_printf(c, "Can't find backend.\n");
			return;
		}
	}
	cli_printf(c, "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
	              "srv_uweight srv_iweight srv_time_since_last_change srv_check_status "
	              "srv_check_result srv_check_health srv_check_state srv_agent_state "
	              "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
	              "srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n");
	struct state_dump *d = xcalloc(1, sizeof(*d));
	d->only = only;
	d->px = rt.cfg->proxies;
	cli_dump(c, servers_state_step, free, d);
}

/* One "show servers conn" line: HAProxy 2.6's columns; used_max and
 * need_est are the estimates the pool purges work from.
 */
static void server_conn_line(struct cli_conn *c, const struct srv_rt *s)
{
	const struct hl_addr *a = srv_addr(s);
	const struct server_cfg *cfg = &s->conf->cfg;
	char ip[INET6_ADDRSTRLEN + 1];
	int safe_nb = 0, unsafe_nb = 0, per[MAX_THREADS];
	for (int t = 0; t < rt.nbthread; t++) {
		int sf, us;
		http_pool_idle_on(s, t, &sf, &us);
		safe_nb += sf;
		unsafe_nb += us;
		per[t] = sf + us;
	}
	cli_printf(c, "%s/%s %d/%d %s %u - %u %d %d %d %d %d %d %d", s->be->conf->id, s->conf->id,
	           s->be->conf->uuid, s->conf->puid, addr_ip_str(a, ip, sizeof(ip)),
	           (a->flags & ADDR_F_PORT_SET) ? (unsigned)a->port_lo : 0u, cfg->pool_purge_delay,
	           atomic_load(&s->cur_conns), atomic_load(&s->max_used_conns),
	           atomic_load(&s->est_need_conns), unsafe_nb, safe_nb, cfg->pool_max_conn,
	           atomic_load(&s->idle_conns));
	for (int t = 0; t < rt.nbthread; t++)
		cli_printf(c, " %d", per[t]);
	cli_printf(c, "\n");
}

static int servers_conn_step(struct cli_conn *c, void *ctx)
{
	struct state_dump *d = ctx;
	do {
		const struct srv_rt *s = state_next(d);
		if (!s)
			return 1;
		server_conn_line(c, s);
	} while (!cli_chunk_full(c));
	return 0;
}

/* "show servers conn [<backend>]": by name only, as HAProxy 2.6 does (its
 * manual also mentions numeric ids, which 2.6 does not find)
 */
static void show_servers_conn(struct cli_conn *c, char **args, int nargs)
{
	const struct be_rt *only = NULL;
	if (nargs > 3 && !(only = runtime_backend_by_name(args[3], strlen(args[3])))) {
		cli_printf(c, "Can't find backend.\n");
		return;
	}
	cli_printf(c,
	           "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max "
	           "need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[%d]\n",
	           rt.nbthread);
	struct state_dump *d = xcalloc(1, sizeof(*d));
	d->only = only;
	d->px = rt.cfg->proxies;
	cli_dump(c, servers_conn_step, free, d);
}

static void show_backend(struct cli_conn *c, char **args, int nargs)
{
	cli_printf(c, "# name\n");
	for (const struct proxy *px = rt.cfg->proxies; px; px = px->next)
		for (int b = 0; b < rt.nbe; b++)
			if (rt.bes[b].conf == px)
				cli_printf(c, "%s\n", px->id);
}

static const struct cli_cmd servers_state_cmds[] = {
    {{"show", "servers", "state"},
     "show servers state [<backend>]",
     "dump volatile server information (all or for a single backend)",
     CLI_LEVEL_USER,
     show_servers_state},
    {{"show", "servers", "conn"},
     "show servers conn [<backend>]",
     "dump server connections status (all or for a single backend)",
     CLI_LEVEL_USER,
     show_servers_conn},
    {{"show", "backend"},
     "show backend",
     "list backends in the current running config",
     CLI_LEVEL_USER,
     show_backend},
};
CLI_REGISTER(servers_state_cmds)
