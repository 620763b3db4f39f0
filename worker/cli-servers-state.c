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
#include <string.h>
#include <time.h>

#include "cli/cli.h"
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

/* Writes the IP of <a> without port, or "-" for other kinds of address. */
static const char *addr_ip(const struct hl_addr *a, char *buf, size_t len)
{
	const void *ip = NULL;
	if (a->ss.ss_family == AF_INET)
		ip = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else if (a->ss.ss_family == AF_INET6)
		ip = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (!ip || !inet_ntop(a->ss.ss_family, ip, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

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

	cli_printf(c, "%d %s %d %s %s %d %u %d %d %ld %d %d %d %d %d %d %d %s %u %s %d %d %s %s %d\n",
		   s->be->conf->uuid, s->be->conf->id, sc->puid, sc->id, addr_ip(srv_addr(s), ip, sizeof(ip)),
		   op, admf, atomic_load(&s->uweight), cfg->weight, since < 0 ? 0 : since,
		   1 /* check status: not run */, 0 /* check result: unknown */, health,
		   cfg->disabled ? CHK_ST_PAUSED : 0, 0 /* agent state */, s->be->conf->uuid_set ? 1 : 0,
		   sc->puid_set ? 1 : 0, "-" /* fqdn */,
		   (srv_addr(s)->flags & ADDR_F_PORT_SET) ? (unsigned)srv_addr(s)->port_lo : 0u, "-" /* srvrecord */,
		   0 /* use_ssl */, cfg->check_port,
		   cfg->check_addr_set ? addr_ip(&cfg->check_addr, chk, sizeof(chk)) : "-",
		   "-" /* agent addr */, 0 /* agent port */);
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
	for (const struct proxy *px = rt.cfg->proxies; px; px = px->next)
		for (int b = 0; b < rt.nbe; b++) {
			const struct be_rt *be = &rt.bes[b];
			if (be->conf != px || (only && be != only))
				continue;
			const struct srv_list *l = be_servers(be);
			for (int i = 0; i < l->n; i++)
				server_state_line(c, l->v[i]);
		}
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
	{{"show", "servers", "state"}, "show servers state [<backend>]",
	 "dump volatile server information (all or for a single backend)", CLI_LEVEL_USER,
	 show_servers_state},
	{{"show", "backend"}, "show backend", "list backends in the current running config",
	 CLI_LEVEL_USER, show_backend},
};
CLI_REGISTER(servers_state_cmds)
