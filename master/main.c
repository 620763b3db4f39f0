/* halyard: command line, configuration loading and start-up. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/pattern.h"
#include "common/version.h"
#include "conf/cond.h"
#include "conf/log.h"
#include "conf/parser.h"
#include "conf/tokenize.h"
#include "master/cmdline.h"
#include "master/mworker.h"
#include "worker/process.h"

static char exe_path[PATH_MAX];

/* Shown before the first warning or alert, as operators expect. */
static void print_preamble(void)
{
	ha_notice("halyard version is %s\n", halyard_version());
	ha_notice("path to executable is %s\n", exe_path);
}

/* Sets the variables the configuration may reference. */
static void set_startup_env(const struct cmdline *cl)
{
	char host[256] = "";
	char branch[16];

	snprintf(branch, sizeof(branch), "%s", halyard_compat_branch());
	setenv("HAPROXY_STARTUP_VERSION", halyard_compat_version(), 1);
	setenv("HAPROXY_BRANCH", branch, 1);
	setenv("HALYARD_VERSION", halyard_version(), 1);
	if (cl->localpeer)
		setenv("HAPROXY_LOCALPEER", cl->localpeer, 1);
	else if (gethostname(host, sizeof(host) - 1) == 0)
		setenv("HAPROXY_LOCALPEER", host, 1);
	if (cl->master_worker)
		setenv("HAPROXY_MWORKER", "1", 1);
}

/* Publishes the list of loaded files in HAPROXY_CFGFILES. */
static void set_cfgfiles_env(const struct config *cfg)
{
	size_t len = 1;
	for (int i = 0; i < cfg->nb_files; i++)
		len += strlen(cfg->files[i]) + 1;
	char *v = xcalloc(1, len);
	for (int i = 0; i < cfg->nb_files; i++) {
		if (i)
			strcat(v, ";");
		strcat(v, cfg->files[i]);
	}
	setenv("HAPROXY_CFGFILES", v, 1);
	free(v);
}

/* -cc: evaluates a condition; exit 0 true, 1 false, 2 error. */
static int check_condition(const char *text)
{
	struct cfg_tokens toks = {0};
	size_t errpos = 0;
	char *err = NULL;
	int ret;

	if (cfg_tokenize(text, strlen(text), NULL, &toks, &errpos, &err) != TOK_OK) {
		ha_alert("Failed to tokenize the condition: %s at position %zu.\n",
			 err ? err : "error", errpos + 1);
		ret = 2;
	} else {
		int r = cfg_eval_cond(toks.args, toks.nargs, &err);
		if (r < 0)
			ha_alert("Failed to evaluate the condition: %s\n", err ? err : "error");
		ret = r < 0 ? 2 : r ? 0 : 1;
	}
	free(err);
	cfg_tokens_free(&toks);
	return ret;
}

/* Command-line settings take precedence over the configuration. */
static void apply_cmdline(struct config *cfg, const struct cmdline *cl)
{
	struct global_cfg *g = &cfg->global;
	if (cl->maxconn)
		g->maxconn = cl->maxconn;
	if (cl->daemon)
		g->daemon = 1;
	if (cl->debug || cl->foreground)
		g->daemon = 0;
	if (cl->master_worker)
		g->master_worker = 1;
	if (cl->zero_warning)
		g->zero_warning = 1;
	if (cl->no_splice)
		g->nosplice = 1;
	if (cl->no_reuseport)
		g->noreuseport = 1;
	if (cl->insecure_fork)
		g->insecure_fork_wanted = 1;
	if (cl->pidfile) {
		free(g->pidfile);
		g->pidfile = xstrdup(cl->pidfile);
	}
	if (cl->px_maxconn) {
		for (struct proxy *px = cfg->proxies; px; px = px->next)
			if (!px->maxconn)
				px->maxconn = cl->px_maxconn;
	}
}

/* Returns 1 if at least one enabled frontend has a listener. */
/* Whether the process would listen on anything: a proxy's bind, a stats
 * socket or a log-forward listener, as HAProxy counts them.
 */
static int has_listeners(const struct config *cfg)
{
	for (const struct proxy *px = cfg->proxies; px; px = px->next)
		if (!px->disabled && px->binds)
			return 1;
	for (const struct log_fwd_cfg *f = log_fwd_cfgs; f; f = f->next)
		if (f->binds)
			return 1;
	return cfg->global.stats_sockets != NULL;
}

/* Loads and validates the configuration; returns 0 when usable, -1 after
 * alerts, or -2 after printing the usage because no file was given (or only
 * empty directories), as HAProxy does.
 */
static int load_config(struct config *cfg, const struct cmdline *cl, const char *progname)
{
	cfg_init(cfg);
	pat_set_name_resolution(1);
	int err = cl->nb_cfgfiles ? cfg_load(cfg, cl->cfgfiles, cl->nb_cfgfiles) : 0;
	if (err == 0 && cfg->nb_files == 0) {
		cmdline_usage(progname);
		return -2;
	}
	set_cfgfiles_env(cfg);
	if (cfg->global.quiet && !cl->verbose)
		msg_state.quiet = 1;
	apply_cmdline(cfg, cl);
	if (err == 0 && cfg_validate(cfg) < 0)
		err = -1;
	pat_set_name_resolution(0);
	if (err < 0) {
		ha_alert("config : Fatal errors found in configuration.\n");
		return -1;
	}
	if (cfg->global.zero_warning && msg_state.warnings) {
		ha_alert("config : Some warnings were found and 'zero-warning' is set. "
			 "Aborting.\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct cmdline cl;
	static struct config cfg;

	if (!realpath("/proc/self/exe", exe_path))
		snprintf(exe_path, sizeof(exe_path), "%s", argv[0]);
	msg_state.preamble = print_preamble;

	int r = cmdline_parse(&cl, argc, argv);
	if (r != 0)
		return 1;
	if (cl.show_version) {
		if (cl.show_version > 1)
			print_build_options();
		else
			print_version();
		return 0;
	}
	msg_state.quiet = cl.quiet;
	msg_state.diag = cl.diag;
	if (cl.chdir_to && chdir(cl.chdir_to) != 0) {
		ha_alert("Cannot change to directory '%s'.\n", cl.chdir_to);
		return 1;
	}
	set_startup_env(&cl);
	if (cl.check_cond)
		return check_condition(cl.check_cond);
	int reexec = !cl.check && mworker_restore_state(argv, exe_path);
	int cfg_ok = load_config(&cfg, &cl, argv[0]) == 0;
	if (!cl.check && (reexec || cl.master_worker || (cfg_ok && cfg.global.master_worker)))
		return mworker_run(&cfg, &cl, cfg_ok && has_listeners(&cfg));
	if (!cfg_ok)
		return 1;
	if (cl.check) {
		if (!has_listeners(&cfg)) {
			if (!cl.quiet)
				printf("Configuration file has no error but will not start (no "
				       "listener) => exit(2).\n");
			return 2;
		}
		if (!cl.quiet) {
			if (msg_state.warnings)
				printf("Warnings were found.\n");
			printf("Configuration file is valid\n");
		}
		return 0;
	}
	if (!has_listeners(&cfg)) {
		ha_alert("[%s.main()] No enabled listener found (check for 'bind' directives) ! "
			 "Exiting.\n", "halyard");
		return 1;
	}
	return process_run(&cfg, &cl);
}
