/* Runtime API: "set rate-limit connections|sessions global <value>", the
 * process-wide maxconnrate and maxsessrate (0: no limit). A raised limit
 * takes effect within the listeners' retry delay.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "worker/listener.h"
#include "worker/runtime.h"

static void usage(struct cli_conn *c)
{
	cli_printf(c, "'set rate-limit' only supports :\n"
	              "   - 'connections global' to set the per-process maximum connection rate\n"
	              "   - 'sessions global' to set the per-process maximum session rate\n"
	              "   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n"
	              "   - 'http-compression global' to set the per-process maximum compression "
	              "speed in kB/s\n");
}

static void cmd_set_rate_limit(struct cli_conn *c, char **args, int nargs)
{
	const char *what = nargs > 2 ? args[2] : "";
	int known = !strcmp(what, "connections") || !strcmp(what, "sessions") ||
	            !strcmp(what, "ssl-sessions") || !strcmp(what, "http-compression");
	if (!known || nargs < 4 || strcmp(args[3], "global")) {
		usage(c);
		return;
	}
	if (nargs < 5 || !*args[4]) {
		cli_printf(c, "Expects an integer value.\n");
		return;
	}
	if (!strcmp(what, "ssl-sessions") || !strcmp(what, "http-compression")) {
		cli_printf(c, "'set rate-limit %s' is not supported yet.\n", what);
		return;
	}
	long v = strtol(args[4], NULL, 10); /* as HAProxy: garbage reads as 0 */
	if (v < 0 || v > 0x7fffffffL) {
		cli_printf(c, "Value out of range.\n");
		return;
	}
	atomic_store(what[0] == 'c' ? &rt.conn_rate_lim : &rt.sess_rate_lim, (uint32_t)v);
	listeners_resume_all(); /* a lower limit is seen at the next accept */
}

static const struct cli_cmd rate_cmds[] = {
    {{"set", "rate-limit"}, "set rate-limit <setting> <value>", "change a rate limiting value",
     CLI_LEVEL_ADMIN, cmd_set_rate_limit},
};
CLI_REGISTER(rate_cmds)
