/* Command line of halyard, the same options as HAProxy's (management guide,
 * "Starting HAProxy"). Options whose behaviour is not implemented yet are
 * refused by name.
 */
#pragma once

struct cmdline {
	char **cfgfiles; /* -f and -- arguments, in order */
	int nb_cfgfiles;
	int check;       /* -c */
	char *check_cond; /* -cc <condition> */
	int verbose;     /* -V */
	int quiet;       /* -q */
	int daemon;      /* -D */
	int debug;       /* -d */
	int foreground;  /* -db */
	int master_worker; /* -W / -Ws */
	int systemd;     /* -Ws */
	char **master_cli; /* -S, may repeat */
	int nb_master_cli;
	char *pidfile;   /* -p */
	int *old_pids;   /* -sf / -st */
	int nb_old_pids;
	int terminate_old; /* -st */
	char *xfer_sock; /* -x */
	char *localpeer; /* -L */
	int maxconn;     /* -n */
	int px_maxconn;  /* -N */
	char *chdir_to;  /* -C */
	int diag;        /* -dD */
	int zero_warning; /* -dW */
	int no_splice;   /* -dS */
	int no_reuseport; /* -dR */
	int ignore_resolve_err; /* -dr */
	int insecure_fork; /* -dI */
	int show_version; /* 1: -v, 2: -vv */
};

/* Parses argv into <cl>. Returns 0 when the program should continue, 1 when
 * it printed something final (usage), or -1 after an alert (bad option).
 */
int cmdline_parse(struct cmdline *cl, int argc, char **argv);

/* Prints the version banner (stdout) and the usage (stderr), as HAProxy
 * does when it cannot start with the arguments given.
 */
void cmdline_usage(const char *progname);
