/* "wait { -h | <delay> } [<condition> [<args>...]]" on the runtime API.
 *
 * HAProxy 2.6 has no such command; this follows the syntax of later
 * versions. Without a condition the session pauses for <delay>. With
 * "srv-removable <backend>/<server>" it ends as soon as the server could be
 * deleted ("del server"), at once with the reason when it never will be
 * (not in maintenance, tracked...), or after <delay> with the reason it
 * still cannot be. The session is suspended meanwhile (cli_wait()); other
 * sessions and the traffic of the thread go on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "common/units.h"
#include "worker/runtime.h"
#include "worker/srv-dyn.h"
#include "worker/srv-list.h"

enum wait_cond { WAIT_NONE, WAIT_SRV_REMOVABLE };

struct wait_arg {
	enum wait_cond cond;
	char name[]; /* "backend/server" (looked up again each time) */
};

static const char wait_usage[] =
    "Usage: wait { -h | <delay> } [<condition> [<args>...]]\n"
    "  Waits <delay> (milliseconds unless a unit is given), or until <condition>\n"
    "  holds, whichever comes first. Conditions:\n"
    "    srv-removable <backend>/<server> : the server can be deleted\n";

/* Checks "srv-removable" once; 1 when the wait is over (outcome printed). */
static int srv_removable_poll(struct cli_conn *c, const char *name, int expired)
{
	const char *slash = strchr(name, '/');
	struct be_rt *be = slash ? runtime_backend_by_name(name, (size_t)(slash - name)) : NULL;
	struct srv_rt *s = be ? be_find_server(be, slash + 1) : NULL;
	if (!be || !s) {
		cli_printf(c, be ? "No such server." : "No such backend.");
		return 1;
	}
	const char *why = srv_not_removable(s);
	if (!why)
		return 1; /* removable: success, nothing to say */
	/* connections may still end; any other reason is final */
	if (!expired && !strncmp(why, "Server still has connections", 28))
		return 0;
	cli_printf(c, "%s", why);
	return 1;
}

static int wait_poll(struct cli_conn *c, void *varg, int expired)
{
	struct wait_arg *a = varg;
	if (a->cond == WAIT_SRV_REMOVABLE)
		return srv_removable_poll(c, a->name, expired);
	return expired;
}

static void cmd_wait(struct cli_conn *c, char **args, int nargs)
{
	uint64_t ms = 0;
	if (nargs < 2 || !strcmp(args[1], "-h") || (nargs > 2 && !strcmp(args[2], "-h"))) {
		cli_printf(c, "%s", wait_usage);
		return;
	}
	if (parse_time(args[1], TIME_BASE_MS, TIME_MAX_MS, &ms, NULL) != PARSE_OK) {
		cli_printf(c, "Invalid duration '%s'.\n", args[1]);
		return;
	}
	enum wait_cond cond = WAIT_NONE;
	const char *name = "";
	if (nargs > 2) {
		if (strcmp(args[2], "srv-removable") != 0) {
			cli_printf(c, "Unsupported condition '%s'.\n%s", args[2], wait_usage);
			return;
		}
		if (nargs < 4 || !strchr(args[3], '/')) {
			cli_printf(c, "Missing server name (<backend>/<server>).\n");
			return;
		}
		cond = WAIT_SRV_REMOVABLE;
		name = args[3];
	}
	struct wait_arg *a = xcalloc(1, sizeof(*a) + strlen(name) + 1);
	a->cond = cond;
	memcpy(a->name, name, strlen(name) + 1);
	cli_wait(c, (uint32_t)ms, wait_poll, a);
}

static const struct cli_cmd wait_cmds[] = {
    {{"wait"},
     "wait {-h|<delay>} [cond [args...]]",
     "wait the specified delay or condition (-h to see list)",
     CLI_LEVEL_USER,
     cmd_wait},
};
CLI_REGISTER(wait_cmds)
