/* Master-worker mode: the master parses the configuration, binds the
 * listeners while privileged, forks one worker, supervises it, serves the
 * master CLI and reloads by re-executing itself.
 *
 * State that must survive the re-exec travels in environment variables:
 *   HALYARD_MW_STATE  "reloads,failed,start_epoch"
 *   HALYARD_MW_PROCS  "pid:ctl_fd:reloads:start_epoch:current;..."
 *   HALYARD_LISTEN_FDS the listening sockets (worker/inherit.h)
 *   HALYARD_MCLI_FDS  master CLI listening sockets, in -S order
 *   HALYARD_RELOAD_FD the master CLI session waiting for the reload status
 * The listening sockets stay open in the master, so a socket whose address
 * is still configured is never closed by a reload.
 */
#pragma once
#include "conf/model-t.h"
#include "master/cmdline.h"

struct mw_proc {
	int pid;
	int ctl_fd;   /* master's end of the socketpair */
	int reloads;  /* reloads survived */
	long start;   /* epoch seconds */
	int current;  /* the worker of the running configuration */
	int ready;
};

#define MW_MAX_PROCS 64

struct mw_state {
	int reexec;       /* this master was started by a reload */
	int reloads, failed;
	long start;
	int last_failed;  /* the last reload failed */
	struct mw_proc procs[MW_MAX_PROCS];
	int nprocs;
	int reload_fd;    /* CLI session waiting for the reload status, -1 */
	int reload_hard;
	char *listen_env; /* inherited listener list when the config failed */
	char **argv;      /* to re-execute */
	char exe[4096];   /* path of the binary at start-up: an upgrade replaces it */
};

extern struct mw_state mw;

/* Reads the state a previous master left in the environment; returns 1 if
 * this process is a re-executed master.
 */
int mworker_restore_state(char **argv, const char *exe_path);

/* Runs the master. <cfg_ok> tells whether the configuration loaded. Never
 * returns on success; returns the exit status on failure.
 */
int mworker_run(struct config *cfg, const struct cmdline *cl, int cfg_ok);

/* Starts a reload (re-exec); <cli_fd> receives the status, or -1. */
void mworker_reload(int cli_fd, int hard);

/* Master CLI (master/mcli.c). */
int mcli_bind(const struct cmdline *cl);
void mcli_export_env(void);
int mcli_pollfd_count(void);
int mcli_fill_pollfds(void *pfds, int max);
void mcli_handle_pollfds(void *pfds, int n);
void mcli_close_all_in_child(void);
void mcli_reload_answer(int fd, int success);

/* Hands a new CLI session to worker <p> (admin level) over its control
 * socket; returns the master's end of it, or -1.
 */
int mworker_open_session(const struct mw_proc *p);

/* Re-creates in worker <to> the servers added at run time to worker
 * <from> (master/mw-carry.c), in their current state; what cannot be
 * carried is reported as a warning.
 */
void mworker_carry_servers(const struct mw_proc *from, const struct mw_proc *to);
/* Replays in worker <to> the map and ACL changes made at run time in
 * worker <from> (see master/mw-carry.c).
 */
void mworker_carry_maps(const struct mw_proc *from, const struct mw_proc *to);
