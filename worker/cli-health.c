/* Runtime API control of health and agent checks, with HAProxy 2.6's
 * answers: "set server <b>/<s> health up|stopping|down", "agent up|down",
 * "check-port <port>", "check-addr <ip> [port <port>]", "agent-addr <ip>
 * [port <port>]", "agent-port <port>", "agent-send <text>", and
 * "enable|disable health|agent <b>/<s>". The changes are applied on the thread that runs
 * the server's checks (check_control()).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "worker/check.h"
#include "worker/cli-health.h"
#include "worker/srv-addr.h"
#include "worker/srv-cmds.h"

void cli_set_server_health(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	const char *v = nargs > 4 ? args[4] : "";
	if (check_tracked(s)) {
		cli_printf(c, "cannot change health on a tracking server.\n");
		return;
	}
	if (!strcmp(v, "up"))
		check_control(s, CHK_CTL_HEALTH_UP, NULL, 0);
	else if (!strcmp(v, "stopping"))
		check_control(s, CHK_CTL_HEALTH_STOPPING, NULL, 0);
	else if (!strcmp(v, "down"))
		check_control(s, CHK_CTL_HEALTH_DOWN, NULL, 0);
	else
		cli_printf(c, "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n");
}

void cli_set_server_agent(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	const char *v = nargs > 4 ? args[4] : "";
	if (!agent_configured(s))
		cli_printf(c, "agent checks are not enabled on this server.\n");
	else if (!strcmp(v, "up"))
		check_control(s, CHK_CTL_AGENT_UP, NULL, 0);
	else if (!strcmp(v, "down"))
		check_control(s, CHK_CTL_AGENT_DOWN, NULL, 0);
	else
		cli_printf(c, "'set server <srv> agent' expects 'up' or 'down'.\n");
}

/* Reads port <txt> as HAProxy does (its messages lack the final newline,
 * the CLI's own ends the answer). 0..65535, or -1 after a message.
 */
static int read_port(struct cli_conn *c, const char *txt)
{
	char *end = NULL;
	long v = strtol(txt, &end, 10);
	if (!*txt || *end) {
		cli_printf(c, "provided port is not an integer");
		return -1;
	}
	if (v < 0 || v > 65535) {
		cli_printf(c, "provided port is invalid");
		return -1;
	}
	return (int)v;
}

void cli_set_server_check_port(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	if (nargs < 5) {
		cli_printf(c, "set server <b>/<s> check-port requires a port.\n");
		return;
	}
	if (!check_configured(s)) {
		cli_printf(c, "health checks are not enabled on this server");
		return;
	}
	int port = read_port(c, args[4]);
	if (port > 0)
		check_control(s, CHK_CTL_CHECK_PORT, NULL, port);
}

void cli_set_server_check_addr(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	if (nargs < 5) {
		cli_printf(c, "set server <b>/<s> check-addr requires an address and optionally a "
		              "port.\n");
		return;
	}
	if (!check_configured(s)) {
		cli_printf(c, "health checks are not enabled on this server");
		return;
	}
	struct hl_addr a = *srv_addr(s);
	if (!srv_addr_set_ip(&a, args[4])) {
		cli_printf(c, "invalid addr '%s'", args[4]);
		return;
	}
	int port = 0;
	if (nargs > 5 && !strcmp(args[5], "port") &&
	    (port = read_port(c, nargs > 6 ? args[6] : "")) < 0)
		return;
	check_control(s, CHK_CTL_CHECK_ADDR, &a, port);
}

/* enable|disable health|agent <b>/<s> */
static void cmd_toggle_check(struct cli_conn *c, char **args, int nargs)
{
	struct srv_rt *s = cli_lookup_server(c, nargs > 2 ? args[2] : NULL);
	if (!s)
		return;
	int enable = !strcmp(args[0], "enable"), agent = !strcmp(args[1], "agent");
	if (enable && !(agent ? agent_configured(s) : check_configured(s))) {
		cli_printf(c, agent ? "Agent was not configured on this server, cannot enable.\n"
		                    : "Health check was not configured on this server, cannot "
		                      "enable.\n");
		return;
	}
	if (!(agent ? agent_configured(s) : check_configured(s)))
		return; /* disabling what does not run: nothing to do */
	enum check_ctl op = agent ? (enable ? CHK_CTL_AGENT_ENABLE : CHK_CTL_AGENT_DISABLE)
	                          : (enable ? CHK_CTL_HEALTH_ENABLE : CHK_CTL_HEALTH_DISABLE);
	check_control(s, op, NULL, 0);
}

static const struct cli_cmd health_cmds[] = {
    {{"disable", "agent"}, "disable agent", "disable agent checks", CLI_LEVEL_ADMIN,
     cmd_toggle_check},
    {{"enable", "agent"}, "enable agent", "enable agent checks", CLI_LEVEL_ADMIN,
     cmd_toggle_check},
    {{"disable", "health"}, "disable health", "disable health checks", CLI_LEVEL_ADMIN,
     cmd_toggle_check},
    {{"enable", "health"}, "enable health", "enable health checks", CLI_LEVEL_ADMIN,
     cmd_toggle_check},
};
CLI_REGISTER(health_cmds)

/* HAProxy's answer for agent-addr and agent-port on a server without agent
 * (no final newline: the CLI's own ends it).
 */
static int agent_or_say(struct cli_conn *c, const struct srv_rt *s)
{
	if (agent_configured(s))
		return 1;
	cli_printf(c, "agent checks are not enabled on this server");
	return 0;
}

/* set server <b>/<s> agent-addr <ip> [port <port>]: an IPv4 or IPv6
 * address; HAProxy also resolves a host name there, which Halyard does not
 * do yet (it has no resolvers).
 */
void cli_set_server_agent_addr(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	if (nargs < 5) {
		cli_printf(c, "set server <b>/<s> agent-addr requires an address and optionally a "
		              "port.\n");
		return;
	}
	if (!agent_or_say(c, s))
		return;
	struct hl_addr a = *srv_addr(s);
	if (!srv_addr_set_ip(&a, args[4])) {
		if (strspn(args[4], "0123456789.:") == strlen(args[4]))
			cli_printf(c, "invalid addr '%s'", args[4]);
		else
			cli_printf(c, "'set server <srv> agent-addr %s': host names are not supported "
			              "yet, an IPv4 or IPv6 address is expected.\n",
			           args[4]);
		return;
	}
	int port = 0;
	if (nargs > 5 && !strcmp(args[5], "port") &&
	    (port = read_port(c, nargs > 6 ? args[6] : "")) < 0)
		return;
	check_control(s, CHK_CTL_AGENT_ADDR, &a, port);
}

/* set server <b>/<s> agent-port <port> (0 is taken, as HAProxy does) */
void cli_set_server_agent_port(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	if (nargs < 5) {
		cli_printf(c, "set server <b>/<s> agent-port requires a port.\n");
		return;
	}
	if (!agent_or_say(c, s))
		return;
	int port = read_port(c, args[4]);
	if (port >= 0)
		check_control(s, CHK_CTL_AGENT_PORT, NULL, port);
}

/* set server <b>/<s> agent-send [<text>]: nothing is sent without text */
void cli_set_server_agent_send(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	if (!agent_configured(s)) {
		cli_printf(c, "agent checks are not enabled on this server.\n");
		return;
	}
	check_control_text(s, CHK_CTL_AGENT_SEND, nargs > 4 ? args[4] : "");
}
