#include "master/cmdline.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/version.h"

void cmdline_usage(const char *progname)
{
	print_version();
	fflush(stdout);
	fprintf(stderr,
		"Usage : %s [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]\n"
		"        [ -p <pidfile> ] [ -C <dir> ] [-- <cfgfile>*]\n"
		"        -v displays version ; -vv shows known build options.\n"
		"        -d enters debug mode ; -db only disables background mode.\n"
		"        -V enters verbose mode (disables quiet mode)\n"
		"        -D goes daemon ; -C changes to <dir> before loading files.\n"
		"        -W master-worker mode.\n"
		"        -Ws master-worker mode with systemd notify support.\n"
		"        -q quiet mode : don't display messages\n"
		"        -c check mode : only check config files and exit\n"
		"        -cc check condition : evaluate a condition and exit\n"
		"        -n sets the maximum total # of connections\n"
		"        -N sets the default, per-proxy maximum # of connections\n"
		"        -L set local peer name (default to hostname)\n"
		"        -p writes pids of all children to this file\n"
		"        -de disables epoll() usage even when available\n"
		"        -dS disables splice usage\n"
		"        -dG disables getaddrinfo() usage\n"
		"        -dR disables SO_REUSEPORT usage\n"
		"        -dr ignores server address resolution failures\n"
		"        -dW fails if any warning is emitted\n"
		"        -dD diagnostic mode : warn about suspicious configuration statements\n"
		"        -sf/-st [pid ]* finishes/terminates old pids.\n"
		"        -x <unix_socket> get listening sockets from a unix socket\n"
		"        -S <bind>[,<bind options>...] new master CLI\n",
		progname);
}

static void add_cfgfile(struct cmdline *cl, char *path)
{
	cl->cfgfiles = xrealloc(cl->cfgfiles, sizeof(char *) * (cl->nb_cfgfiles + 1));
	cl->cfgfiles[cl->nb_cfgfiles++] = path;
}

/* Reads a strictly positive integer option value. */
static int int_arg(const char *opt, const char *val, int *out)
{
	char *end = NULL;
	long v = val ? strtol(val, &end, 10) : 0;
	if (!val || !*val || *end || v <= 0 || v > 100000000) {
		ha_alert("Option '%s' expects a positive integer argument.\n", opt);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Collects the pids following -sf/-st up to the next option. */
static int collect_pids(struct cmdline *cl, int argc, char **argv, int i)
{
	while (i + 1 < argc && argv[i + 1][0] != '-') {
		char *end = NULL;
		long pid = strtol(argv[i + 1], &end, 10);
		if (*end || pid <= 0) {
			ha_alert("-sf/-st expects pids, got '%s'.\n", argv[i + 1]);
			return -1;
		}
		cl->old_pids = xrealloc(cl->old_pids, sizeof(int) * (cl->nb_old_pids + 1));
		cl->old_pids[cl->nb_old_pids++] = (int)pid;
		i++;
	}
	return i;
}

/* Flags that take no argument: option text -> field. */
static int parse_flag(struct cmdline *cl, const char *opt)
{
	static const struct {
		const char *opt;
		size_t off;
	} flags[] = {
		{"-c", offsetof(struct cmdline, check)},
		{"-V", offsetof(struct cmdline, verbose)},
		{"-q", offsetof(struct cmdline, quiet)},
		{"-D", offsetof(struct cmdline, daemon)},
		{"-d", offsetof(struct cmdline, debug)},
		{"-db", offsetof(struct cmdline, foreground)},
		{"-W", offsetof(struct cmdline, master_worker)},
		{"-dD", offsetof(struct cmdline, diag)},
		{"-dW", offsetof(struct cmdline, zero_warning)},
		{"-dS", offsetof(struct cmdline, no_splice)},
		{"-dR", offsetof(struct cmdline, no_reuseport)},
		{"-dr", offsetof(struct cmdline, ignore_resolve_err)},
		{"-dI", offsetof(struct cmdline, insecure_fork)},
	};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		if (strcmp(flags[i].opt, opt) == 0) {
			*(int *)((char *)cl + flags[i].off) = 1;
			return 1;
		}
	}
	if (strcmp(opt, "-Ws") == 0) {
		cl->master_worker = cl->systemd = 1;
		return 1;
	}
	return 0;
}

/* Options we know from HAProxy but do not implement yet. */
static int is_pending_option(const char *opt)
{
	static const char *const pending[] = {"-m", "-4", "-dM", "-dA", "-dC", "-dF", "-dK",
					      "-dL", "-dV", "-dZ", "-dc", "-dk", "-dp", "-dt",
					      "-dv", "-dT", "-de", "-dG"};
	for (size_t i = 0; i < ARRAY_SIZE(pending); i++)
		if (strncmp(opt, pending[i], strlen(pending[i])) == 0)
			return 1;
	return 0;
}

/* Options taking a value in the next argument. */
static int is_valued_option(const char *opt)
{
	static const char *const valued[] = {"-f", "-cc", "-p", "-x", "-L", "-C", "-n", "-N", "-S"};
	for (size_t i = 0; i < ARRAY_SIZE(valued); i++)
		if (strcmp(opt, valued[i]) == 0)
			return 1;
	return 0;
}

/* Stores value <val> of valued option <opt>; returns 0, or -1 after an
 * alert.
 */
static int set_valued(struct cmdline *cl, const char *opt, char *val)
{
	if (!strcmp(opt, "-f"))
		add_cfgfile(cl, val);
	else if (!strcmp(opt, "-cc"))
		cl->check_cond = val;
	else if (!strcmp(opt, "-p"))
		cl->pidfile = val;
	else if (!strcmp(opt, "-x"))
		cl->xfer_sock = val;
	else if (!strcmp(opt, "-L"))
		cl->localpeer = val;
	else if (!strcmp(opt, "-C"))
		cl->chdir_to = val;
	else if (!strcmp(opt, "-n"))
		return int_arg(opt, val, &cl->maxconn);
	else if (!strcmp(opt, "-N"))
		return int_arg(opt, val, &cl->px_maxconn);
	else {
		cl->master_cli = xrealloc(cl->master_cli, sizeof(char *) * (cl->nb_master_cli + 1));
		cl->master_cli[cl->nb_master_cli++] = val;
	}
	return 0;
}

/* Handles the option at argv[i] that is neither a flag nor -v: returns the
 * index of the last argument it used, -1 after an alert, or -2 when it is
 * not an option taking a value (only those consume the next argument).
 */
static int parse_valued(struct cmdline *cl, int argc, char **argv, int i)
{
	const char *opt = argv[i];

	if (!strcmp(opt, "-sf") || !strcmp(opt, "-st")) {
		cl->terminate_old = opt[2] == 't';
		return collect_pids(cl, argc, argv, i);
	}
	if (!is_valued_option(opt))
		return -2;
	if (i + 1 >= argc) {
		ha_alert("Option '%s' expects an argument.\n", opt);
		return -1;
	}
	return set_valued(cl, opt, argv[i + 1]) < 0 ? -1 : i + 1;
}

int cmdline_parse(struct cmdline *cl, int argc, char **argv)
{
	memset(cl, 0, sizeof(*cl));
	if (argc < 2) {
		cmdline_usage(argv[0]);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		if (!strcmp(opt, "--")) {
			while (++i < argc)
				add_cfgfile(cl, argv[i]);
			break;
		}
		if (opt[0] != '-' || !opt[1]) {
			ha_alert("Unexpected argument '%s' (configuration files need -f).\n", opt);
			return -1;
		}
		if (!strcmp(opt, "-v") || !strcmp(opt, "-vv")) {
			cl->show_version = (int)strlen(opt) - 1;
			continue;
		}
		if (parse_flag(cl, opt))
			continue;
		int next = parse_valued(cl, argc, argv, i);
		if (next >= 0) {
			i = next;
			continue;
		}
		if (next == -1)
			return -1;
		if (is_pending_option(opt)) {
			ha_alert("Option '%s' is not supported yet.\n", opt);
			return -1;
		}
		ha_alert("Unknown option '%s'.\n", opt);
		cmdline_usage(argv[0]);
		return -1;
	}
	return 0;
}
