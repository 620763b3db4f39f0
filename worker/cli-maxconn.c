/* "set maxconn frontend|server|global": runtime connection limits.
 *
 * The limits are atomics read by the listeners (worker/listener.c), the
 * load balancers (srv_is_full()) and the queue (worker/backend.c). Raising
 * one resumes paused listeners and wakes streams queued for a server.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "worker/backend.h"
#include "worker/listener.h"
#include "worker/runtime.h"
#include "worker/srv-cmds.h"

static void resume_listeners(void)
{
	if (!atomic_load(&rt.stopping))
		listeners_resume_all();
}

static void set_maxconn_frontend(struct cli_conn *c, char **args, int nargs)
{
	struct fe_rt *fe = NULL;
	if (nargs < 4) {
		cli_printf(c, "A frontend name is expected.\n");
		return;
	}
	for (int f = 0; f < rt.nfe && !fe; f++)
		if (!strcmp(rt.fes[f].conf->id, args[3]))
			fe = &rt.fes[f];
	if (!fe) {
		cli_printf(c, "No such frontend.\n");
		return;
	}
	if (nargs < 5) {
		cli_printf(c, "Integer value expected.\n");
		return;
	}
	int v = atoi(args[4]);
	if (v < 0) {
		cli_printf(c, "Value out of range.\n");
		return;
	}
	atomic_store(&fe->maxconn, v);
	resume_listeners();
}

static void set_maxconn_server(struct cli_conn *c, char **args, int nargs)
{
	struct srv_rt *s = cli_lookup_server(c, nargs > 3 ? args[3] : NULL);
	if (!s)
		return;
	if (nargs < 5) {
		cli_printf(c, "Require <maxconn>.\n");
		return;
	}
	char *end;
	long v = strtol(args[4], &end, 10);
	if (end == args[4]) {
		cli_printf(c, "maxconn string empty or preceded by garbage");
		return;
	}
	if (*end) {
		cli_printf(c, "Trailing garbage in maxconn string");
		return;
	}
	int old = atomic_exchange(&s->maxconn, (int)v);
	/* streams queued while the server was full may take the new slots */
	int queued = atomic_load(&s->be->queued);
	if (queued > 0 && (old > 0 || old < 0) && (v == 0 || v > old)) {
		int room = v ? (int)v - atomic_load(&s->cur_conns) : queued;
		backend_wake_queued(s->be, room < queued ? room : queued);
	}
}

static void set_maxconn_global(struct cli_conn *c, char **args, int nargs)
{
	static int hard; /* the limit at start-up, also HAProxy's "hard" maxconn */
	if (!hard)
		hard = atomic_load(&rt.maxconn);
	if (nargs < 4) {
		cli_printf(c, "Expects an integer value.\n");
		return;
	}
	int v = atoi(args[3]);
	if (hard && v > hard) {
		cli_printf(c, "Value out of range.\n");
		return;
	}
	if (v <= 0)
		v = hard;
	atomic_store(&rt.maxconn, v);
	resume_listeners();
}

static const struct cli_cmd maxconn_cmds[] = {
	{{"set", "maxconn", "frontend"}, "set maxconn frontend <frontend> <value>",
	 "change a frontend's maxconn setting", CLI_LEVEL_ADMIN, set_maxconn_frontend},
	{{"set", "maxconn", "server"}, "set maxconn server <bk>/<srv>",
	 "change a server's maxconn setting", CLI_LEVEL_ADMIN, set_maxconn_server},
	{{"set", "maxconn", "global"}, "set maxconn global <value>",
	 "change the per-process maxconn setting", CLI_LEVEL_ADMIN, set_maxconn_global},
};
CLI_REGISTER(maxconn_cmds)
