/* Runtime API: "disable frontend <name>" makes the frontend's sockets stop
 * listening (they stay bound, so the frontend can resume; meanwhile new
 * connections are refused, or reach another process listening on the same
 * port) and "enable frontend <name>" makes them listen again, as HAProxy's
 * pause and resume.
 */
#include <stdatomic.h>
#include <string.h>

#include "cli/cli.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "worker/listener.h"
#include "worker/log.h"
#include "worker/runtime.h"

/* The frontend named by args[2], or NULL after HAProxy's message. */
static struct fe_rt *cli_lookup_frontend(struct cli_conn *c, char **args, int nargs)
{
	if (nargs < 3 || !*args[2]) {
		cli_printf(c, "A frontend name is expected.\n");
		return NULL;
	}
	for (int i = 0; i < rt.nfe; i++)
		if (!strcmp(rt.fes[i].conf->id, args[2]))
			return &rt.fes[i];
	cli_printf(c, "No such frontend.\n");
	return NULL;
}

static const char *proxy_kind(const struct proxy *px)
{
	return (px->cap & PX_CAP_BE) ? "proxy" : "frontend";
}

/* Pauses (<pause> 1) or resumes frontend <fe>: each thread re-evaluates
 * its listeners on its own loop; the change is logged as HAProxy does.
 */
static void set_frontend_paused(struct cli_conn *c, struct fe_rt *fe, int pause)
{
	if (atomic_load(&rt.stopping)) {
		cli_printf(c, "Frontend was previously shut down, cannot %s.\n",
		           pause ? "disable" : "enable");
		return;
	}
	if (atomic_load(&fe->paused) == pause) {
		cli_printf(c, pause ? "All sockets are already disabled.\n"
		                    : "All sockets are already enabled.\n");
		return;
	}
	if (pause)
		atomic_store(&fe->paused, 1); /* before the sockets stop listening */
	listeners_set_frontend_listening(fe, !pause);
	atomic_store(&fe->paused, pause);
	listeners_resume_all(); /* each thread polls or unpolls them */
	log_event(fe->conf, LOG_LVL_WARNING, MSG_WARNING, "%s %s %s.\n",
	          pause ? "Paused" : "Resumed", proxy_kind(fe->conf), fe->conf->id);
}

static void cmd_disable_frontend(struct cli_conn *c, char **args, int nargs)
{
	struct fe_rt *fe = cli_lookup_frontend(c, args, nargs);
	if (fe)
		set_frontend_paused(c, fe, 1);
}

static void cmd_enable_frontend(struct cli_conn *c, char **args, int nargs)
{
	struct fe_rt *fe = cli_lookup_frontend(c, args, nargs);
	if (fe)
		set_frontend_paused(c, fe, 0);
}

static const struct cli_cmd frontend_cmds[] = {
    {{"disable", "frontend"}, "disable frontend <frontend>",
     "temporarily disable specific frontend", CLI_LEVEL_ADMIN, cmd_disable_frontend},
    {{"enable", "frontend"}, "enable frontend <frontend>", "re-enable specific frontend",
     CLI_LEVEL_ADMIN, cmd_enable_frontend},
};
CLI_REGISTER(frontend_cmds)
