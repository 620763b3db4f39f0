/* "show env [<name>]" and "clear counters [all]". */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "worker/counters.h"

extern char **environ;

/* The whole environment, or the one variable named <args[2]>. */
static void show_env(struct cli_conn *c, char **args, int nargs)
{
	if (nargs > 2) {
		size_t len = strlen(args[2]);
		for (char **v = environ; v && *v; v++)
			if (!strncmp(*v, args[2], len) && (*v)[len] == '=') {
				cli_printf(c, "%s\n", *v);
				return;
			}
		cli_printf(c, "Variable not found\n");
		return;
	}
	for (char **v = environ; v && *v; v++)
		cli_printf(c, "%s\n", *v);
}

/* Without "all", only the maximum values are reset (the ones Halyard
 * measures: the request, session and connection rate maxima).
 */
static void clear_counters(struct cli_conn *c, char **args, int nargs)
{
	counters_clear_max();
}

static void clear_counters_all(struct cli_conn *c, char **args, int nargs)
{
	counters_clear_all();
}

static const struct cli_cmd misc_cmds[] = {
	{{"show", "env"}, "show env [var]", "dump environment variables known to the process",
	 CLI_LEVEL_OPER, show_env},
	{{"clear", "counters"}, "clear counters [all]", "clear max statistics counters (or all)",
	 CLI_LEVEL_OPER, clear_counters},
	{{"clear", "counters", "all"}, NULL, NULL, CLI_LEVEL_ADMIN, clear_counters_all},
};
CLI_REGISTER(misc_cmds)
