/* Runtime API commands that change servers: "disable/enable server",
 * "set server <b>/<s> state|weight", "set weight", "get weight". Every change
 * writes the server's atomic fields and publishes a new LB snapshot of its
 * backend through RCU (backend_publish()); readers never lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "worker/cli-health.h"
#include "worker/http-pool.h"
#include "worker/lb.h"
#include "worker/observe.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/slowstart.h"
#include "worker/srv-addr.h"
#include "worker/srv-cmds.h"

struct srv_rt *cli_lookup_server(struct cli_conn *c, const char *arg)
{
	const char *slash = arg ? strchr(arg, '/') : NULL;
	if (!slash) {
		cli_printf(c, "Require 'backend/server'.\n");
		return NULL;
	}
	struct be_rt *be = runtime_backend_by_name(arg, (size_t)(slash - arg));
	if (!be) {
		cli_printf(c, "No such backend.\n");
		return NULL;
	}
	struct srv_rt *s = be_find_server(be, slash + 1);
	if (s)
		return s;
	cli_printf(c, "No such server.\n");
	return NULL;
}

/* Sets or clears administrative bits, then publishes the backend; a server
 * leaving maintenance starts its slow start. Entering or leaving maintenance
 * has the side effects of on-marked-down / on-marked-up.
 */
void srv_set_admin(struct srv_rt *s, unsigned set, unsigned clear)
{
	unsigned cur = atomic_load(&s->admin);
	unsigned next = (cur & ~clear) | set;
	atomic_store(&s->admin, next);
	if (next != cur)
		atomic_store(&s->last_change, (long)time(NULL));
	if (next & SRV_ADMIN_MAINT)
		atomic_store(&s->maint_seen, 1);
	if ((cur & SRV_ADMIN_MAINT) && !(next & SRV_ADMIN_MAINT))
		slowstart_begin(s);
	backend_publish(s->be);
	/* entering or leaving maintenance counts as going down or coming up */
	if (!(cur & SRV_ADMIN_MAINT) && (next & SRV_ADMIN_MAINT)) {
		observe_marked_down(s);
		http_pool_drop_server(s); /* as HAProxy, idle connections go */
	}
	else if ((cur & SRV_ADMIN_MAINT) && !(next & SRV_ADMIN_MAINT))
		observe_marked_up(s);
}

static void cmd_disable_server(struct cli_conn *c, char **args, int nargs)
{
	struct srv_rt *s = cli_lookup_server(c, nargs > 2 ? args[2] : NULL);
	if (s)
		srv_set_admin(s, SRV_ADMIN_MAINT, 0);
}

static void cmd_enable_server(struct cli_conn *c, char **args, int nargs)
{
	struct srv_rt *s = cli_lookup_server(c, nargs > 2 ? args[2] : NULL);
	if (s)
		srv_set_admin(s, 0, SRV_ADMIN_MAINT);
}

/* Applies "<n>" (absolute, 0..256) or "<n>%" (of the configured weight). */
static void apply_weight(struct cli_conn *c, struct srv_rt *s, const char *arg)
{
	char *end = NULL;
	long v = arg ? strtol(arg, &end, 10) : -1;
	if (!arg || end == arg || (*end && strcmp(end, "%") != 0) || v < 0) {
		cli_printf(c, "Require <weight> or <weight%%>.\n");
		return;
	}
	if (*end == '%') {
		v = (long)s->conf->cfg.weight * v / 100;
		if (v > 256)
			v = 256;
	} else if (v > 256) {
		cli_printf(c, "Absolute weight can only be between 0 and 256 inclusive.\n");
		return;
	}
	atomic_store(&s->uweight, (int)v);
	backend_publish(s->be);
}

static void cmd_set_weight(struct cli_conn *c, char **args, int nargs)
{
	struct srv_rt *s = cli_lookup_server(c, nargs > 2 ? args[2] : NULL);
	if (s)
		apply_weight(c, s, nargs > 3 ? args[3] : NULL);
}

static void cmd_get_weight(struct cli_conn *c, char **args, int nargs)
{
	struct srv_rt *s = cli_lookup_server(c, nargs > 2 ? args[2] : NULL);
	if (s)
		cli_printf(c, "%d (initial %d)\n", atomic_load(&s->uweight), s->conf->cfg.weight);
}

static void set_server_weight(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	apply_weight(c, s, nargs > 4 ? args[4] : NULL);
}

static void set_server_state(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	const char *val = nargs > 4 ? args[4] : "";
	if (!strcmp(val, "ready"))
		srv_set_admin(s, 0, SRV_ADMIN_MAINT | SRV_ADMIN_DRAIN);
	else if (!strcmp(val, "drain"))
		srv_set_admin(s, SRV_ADMIN_DRAIN, SRV_ADMIN_MAINT);
	else if (!strcmp(val, "maint"))
		srv_set_admin(s, SRV_ADMIN_MAINT, SRV_ADMIN_DRAIN);
	else
		cli_printf(c, "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
}

/* The "set server" subcommands; NULL handler: known to HAProxy, not here yet. */
static const struct {
	const char *word;
	void (*fn)(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);
} set_server_subcmds[] = {
    {"addr", cli_set_server_addr},
    {"agent", cli_set_server_agent},
    {"agent-addr", cli_set_server_agent_addr},
    {"agent-port", cli_set_server_agent_port},
    {"agent-send", cli_set_server_agent_send},
    {"check-addr", cli_set_server_check_addr},
    {"check-port", cli_set_server_check_port},
    {"fqdn", NULL},
    {"health", cli_set_server_health},
    {"ssl", NULL},
    {"state", set_server_state},
    {"weight", set_server_weight},
};

/* set server <b>/<s> <subcommand> ...: HAProxy's usage line lists them */
static void cmd_set_server(struct cli_conn *c, char **args, int nargs)
{
	struct srv_rt *s = cli_lookup_server(c, nargs > 2 ? args[2] : NULL);
	const char *what = nargs > 3 ? args[3] : "";
	if (!s)
		return;
	for (size_t i = 0; i < sizeof(set_server_subcmds) / sizeof(set_server_subcmds[0]); i++) {
		if (strcmp(what, set_server_subcmds[i].word))
			continue;
		if (set_server_subcmds[i].fn)
			set_server_subcmds[i].fn(c, s, args, nargs);
		else
			cli_printf(c, "'set server <srv> %s' is not supported yet.\n", what);
		return;
	}
	cli_printf(c, "usage: set server <backend>/<server> addr | agent | agent-addr | "
	              "agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | "
	              "state | weight\n");
}

/* shutdown sessions server <b>/<s>: ends the server's streams on every
 * thread.
 */
static void cmd_shutdown_sessions(struct cli_conn *c, char **args, int nargs)
{
	struct srv_rt *s = cli_lookup_server(c, nargs > 3 ? args[3] : NULL);
	if (s)
		srv_shutdown_sessions(s);
}

static const struct cli_cmd srv_cmds[] = {
	{{"disable", "server"}, "disable server <bk>/<srv>", "disable a server for maintenance",
	 CLI_LEVEL_ADMIN, cmd_disable_server},
	{{"enable", "server"}, "enable server <bk>/<srv>", "enable a disabled server",
	 CLI_LEVEL_ADMIN, cmd_enable_server},
	{{"set", "weight"}, "set weight <bk>/<srv> (DEPRECATED)", "change a server's weight",
	 CLI_LEVEL_ADMIN, cmd_set_weight},
	{{"get", "weight"}, "get weight <bk>/<srv>", "report a server's current weight",
	 CLI_LEVEL_USER, cmd_get_weight},
	{{"set", "server"}, "set server <bk>/<srv> [opts]", "change a server's state, weight, address or ssl",
	 CLI_LEVEL_ADMIN, cmd_set_server},
	{{"shutdown", "sessions", "server"}, "shutdown sessions server <bk>/<srv>",
	 "kill sessions on a server", CLI_LEVEL_ADMIN, cmd_shutdown_sessions},
};
CLI_REGISTER(srv_cmds)
