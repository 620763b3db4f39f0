#include "master/mworker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/daemon.h"
#include "common/mem.h"
#include "common/msg.h"
#include "master/sdnotify.h"
#include "worker/inherit.h"
#include "worker/listener.h"
#include "worker/process.h"
#include "worker/runtime.h"

#define READY_TIMEOUT_MS 30000

struct mw_state mw = {.reload_fd = -1};

static int sig_fd = -1;
static int master_stopping; /* SIGTERM/SIGINT/SIGUSR1 received: workers end on purpose */
static const struct config *cur_cfg;
static int systemd_mode;

/* Parses HALYARD_MW_PROCS. */
static void restore_procs(const char *env)
{
	char *copy = xstrdup(env), *save = NULL;
	for (char *t = strtok_r(copy, ";", &save); t && mw.nprocs < MW_MAX_PROCS;
	     t = strtok_r(NULL, ";", &save)) {
		struct mw_proc *p = &mw.procs[mw.nprocs];
		if (sscanf(t, "%d:%d:%d:%ld:%d", &p->pid, &p->ctl_fd, &p->reloads, &p->start,
			   &p->current) == 5) {
			p->ready = 1;
			fcntl(p->ctl_fd, F_SETFD, FD_CLOEXEC);
			mw.nprocs++;
		}
	}
	free(copy);
}

int mworker_restore_state(char **argv, const char *exe_path)
{
	mw.argv = argv;
	snprintf(mw.exe, sizeof(mw.exe), "%s", exe_path);
	const char *st = getenv("HALYARD_MW_STATE");
	if (!st)
		return 0;
	mw.reexec = 1;
	if (sscanf(st, "%d,%d,%ld", &mw.reloads, &mw.failed, &mw.start) != 3)
		mw.start = (long)time(NULL);
	const char *procs = getenv("HALYARD_MW_PROCS");
	if (procs)
		restore_procs(procs);
	const char *lst = getenv("HALYARD_LISTEN_FDS");
	mw.listen_env = lst ? xstrdup(lst) : NULL;
	const char *rfd = getenv("HALYARD_RELOAD_FD");
	mw.reload_fd = rfd ? atoi(rfd) : -1;
	mw.reload_hard = getenv("HALYARD_RELOAD_HARD") != NULL;
	if (mw.reload_fd >= 0)
		fcntl(mw.reload_fd, F_SETFD, FD_CLOEXEC);
	inherit_load();
	unsetenv("HALYARD_MW_STATE");
	unsetenv("HALYARD_MW_PROCS");
	unsetenv("HALYARD_RELOAD_FD");
	unsetenv("HALYARD_RELOAD_HARD");
	return 1;
}

static struct mw_proc *proc_by_pid(int pid)
{
	for (int i = 0; i < mw.nprocs; i++)
		if (mw.procs[i].pid == pid)
			return &mw.procs[i];
	return NULL;
}

static void proc_remove(struct mw_proc *p)
{
	if (p->ctl_fd >= 0)
		close(p->ctl_fd);
	*p = mw.procs[--mw.nprocs];
}

int mworker_open_session(const struct mw_proc *p)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte = 'F';
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
	ssize_t r = sendmsg(p->ctl_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(sv[1]);
	if (r != 1) {
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

/* Forks a worker serving <cfg>; returns its pid or -1. */
static int fork_worker(struct config *cfg, const struct cmdline *cl)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* worker: keep the listeners and its end of the link only */
		close(sv[0]);
		if (sig_fd >= 0)
			close(sig_fd);
		for (int i = 0; i < mw.nprocs; i++)
			close(mw.procs[i].ctl_fd);
		if (mw.reload_fd >= 0)
			close(mw.reload_fd);
		mcli_close_all_in_child();
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setenv("HAPROXY_MWORKER", "1", 1);
		_exit(process_serve(cfg, cl, sv[1]));
	}
	close(sv[1]);
	struct mw_proc *p = &mw.procs[mw.nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ctl_fd = sv[0];
	p->start = (long)time(NULL);
	return pid;
}

/* Waits for "READY" from worker <p>; 0 when ready, -1 on death or timeout. */
static int wait_ready(struct mw_proc *p)
{
	char buf[16];
	struct pollfd pfd = {.fd = p->ctl_fd, .events = POLLIN};
	int r = poll(&pfd, 1, READY_TIMEOUT_MS);
	if (r <= 0)
		return -1;
	ssize_t n = recv(p->ctl_fd, buf, sizeof(buf), 0);
	if (n < 5 || memcmp(buf, "READY", 5) != 0)
		return -1;
	p->ready = 1;
	return 0;
}

/* Stops the workers of previous configurations (soft or hard). */
static void stop_old_workers(int hard)
{
	int max = cur_cfg ? cur_cfg->global.mworker_max_reloads : 0;
	for (int i = 0; i < mw.nprocs; i++) {
		struct mw_proc *p = &mw.procs[i];
		if (p->current)
			continue;
		if (p->reloads == 1)
			kill(p->pid, hard ? SIGTERM : SIGUSR1);
		else if (max && p->reloads > max)
			kill(p->pid, SIGTERM);
	}
}

/* Starts a new worker for the freshly loaded configuration. */
static int start_new_worker(struct config *cfg, const struct cmdline *cl)
{
	int pid = fork_worker(cfg, cl);
	if (pid < 0) {
		ha_alert("[%s.main()] Cannot fork a worker: %s.\n", "halyard", strerror(errno));
		return -1;
	}
	struct mw_proc *p = proc_by_pid(pid);
	if (wait_ready(p) < 0) {
		ha_alert("New worker (%d) did not become ready.\n", pid);
		kill(pid, SIGTERM);
		return -1;
	}
	for (int i = 0; i < mw.nprocs; i++)
		if (mw.procs[i].pid != pid && mw.procs[i].current && mw.procs[i].ready) {
			mworker_carry_servers(&mw.procs[i], p);
			mworker_carry_maps(&mw.procs[i], p);
		}
	for (int i = 0; i < mw.nprocs; i++) {
		if (mw.procs[i].pid == pid)
			continue;
		if (mw.procs[i].current)
			mw.procs[i].current = 0;
		mw.procs[i].reloads++;
	}
	p->current = 1;
	ha_notice("New worker (%d) forked\n", pid);
	return 0;
}

/* Re-executes the master with its state in the environment. */
void mworker_reload(int cli_fd, int hard)
{
	char buf[65536], tmp[64];
	size_t off = 0;

	ha_notice("Reloading Halyard\n");
	sd_notify_status("RELOADING=1");
	snprintf(buf, sizeof(buf), "%d,%d,%ld", mw.reloads + 1, mw.failed, mw.start);
	setenv("HALYARD_MW_STATE", buf, 1);
	buf[0] = 0;
	for (int i = 0; i < mw.nprocs; i++) {
		struct mw_proc *p = &mw.procs[i];
		int n = snprintf(buf + off, sizeof(buf) - off, "%s%d:%d:%d:%ld:%d", off ? ";" : "",
				 p->pid, p->ctl_fd, p->reloads, p->start, p->current);
		if (n > 0 && (size_t)n < sizeof(buf) - off)
			off += (size_t)n;
		fcntl(p->ctl_fd, F_SETFD, 0);
	}
	setenv("HALYARD_MW_PROCS", buf, 1);
	if (rt.nlst && listeners_export(buf, sizeof(buf)) == 0)
		setenv("HALYARD_LISTEN_FDS", buf, 1);
	else if (mw.listen_env)
		setenv("HALYARD_LISTEN_FDS", mw.listen_env, 1); /* kept from a failed reload */
	mcli_export_env();
	if (cli_fd >= 0) {
		fcntl(cli_fd, F_SETFD, 0);
		snprintf(tmp, sizeof(tmp), "%d", cli_fd);
		setenv("HALYARD_RELOAD_FD", tmp, 1);
	}
	if (hard)
		setenv("HALYARD_RELOAD_HARD", "1", 1);
	/* the file now at the start-up path: a new binary takes effect */
	execv(mw.exe, mw.argv);
	ha_alert("Cannot re-execute the master: %s.\n", strerror(errno));
	unsetenv("HALYARD_MW_STATE");
}

/* Handles the death of child <pid> with wait status <st>. Returns -1 when
 * the master must exit.
 */
static int child_exited(int pid, int st, const struct config *cfg)
{
	struct mw_proc *p = proc_by_pid(pid);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	const char *how = WIFEXITED(st) ? "Exit" : strsignal(WTERMSIG(st));
	if (!p)
		return 0;
	int current = p->current;
	proc_remove(p);
	if (!current) {
		ha_notice("Former worker (%d) exited with code %d (%s)\n", pid, code, how);
		return 0;
	}
	if (master_stopping) {
		ha_notice("Current worker (%d) exited with code %d (%s)\n", pid, code, how);
		return 0;
	}
	ha_alert("Current worker (%d) exited with code %d (%s)\n", pid, code, how);
	if (cfg && cfg->global.mworker_no_exit_on_failure)
		return 0;
	ha_alert("exit-on-failure: killing every process with SIGTERM\n");
	for (int i = 0; i < mw.nprocs; i++)
		kill(mw.procs[i].pid, SIGTERM);
	return -1;
}

/* Reaps children; returns -1 when the master must exit. */
static int reap_children(const struct config *cfg)
{
	int st, pid, ret = 0;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (child_exited(pid, st, cfg) < 0)
			ret = -1;
	return ret;
}

/* Handles one signal; returns 1 to leave the loop. */
static int handle_signal(int sig, const struct config *cfg, int *exit_code)
{
	switch (sig) {
	case SIGCHLD:
		if (reap_children(cfg) < 0) {
			*exit_code = 1;
			return 1;
		}
		if (mw.nprocs == 0 && *exit_code >= 0)
			return 1;
		return 0;
	case SIGUSR2:
	case SIGHUP:
		mworker_reload(-1, 0);
		return 0;
	case SIGTTOU:
	case SIGTTIN:
		for (int i = 0; i < mw.nprocs; i++)
			if (mw.procs[i].current)
				kill(mw.procs[i].pid, sig);
		return 0;
	case SIGTERM:
	case SIGINT:
	case SIGUSR1:
		master_stopping = 1;
		for (int i = 0; i < mw.nprocs; i++)
			kill(mw.procs[i].pid, sig == SIGUSR1 ? SIGUSR1 : SIGTERM);
		*exit_code = 0;
		return mw.nprocs == 0;
	}
	return 0;
}

/* The master's event loop: signals, master CLI, worker links. */
static int master_loop(const struct config *cfg)
{
	struct pollfd *pfds = NULL;
	int cap = 0, exit_code = -1;
	for (;;) {
		int want = 1 + mcli_pollfd_count();
		if (want > cap) {
			cap = want * 2;
			pfds = xrealloc(pfds, sizeof(*pfds) * (size_t)cap);
		}
		pfds[0].fd = sig_fd;
		pfds[0].events = POLLIN;
		int n = 1 + mcli_fill_pollfds(pfds + 1, cap - 1);
		if (poll(pfds, (nfds_t)n, 1000) < 0 && errno != EINTR) {
			free(pfds);
			return 1;
		}
		int done = 0;
		if (pfds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (!done && read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				done = handle_signal((int)si.ssi_signo, cfg, &exit_code);
		}
		if (done) {
			free(pfds);
			return exit_code < 0 ? 0 : exit_code;
		}
		mcli_handle_pollfds(pfds + 1, n - 1);
		if (exit_code >= 0 && mw.nprocs == 0) {
			free(pfds);
			return exit_code;
		}
	}
}

static void setup_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTTOU);
	sigaddset(&set, SIGTTIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
}

/* After a reload: answer the CLI, stop old workers, or keep them on failure. */
static void finish_reload(int ok)
{
	if (ok) {
		mw.last_failed = 0;
		stop_old_workers(mw.reload_hard);
		ha_notice("Loading success.\n");
	} else {
		mw.failed++;
		mw.last_failed = 1;
		ha_warning("Loading failure!\n");
	}
	if (mw.reload_fd >= 0) {
		mcli_reload_answer(mw.reload_fd, ok);
		mw.reload_fd = -1;
	}
	sd_notify_status(ok ? "READY=1" : "READY=1\nSTATUS=Reload failed");
}

int mworker_run(struct config *cfg, const struct cmdline *cl, int cfg_ok)
{
	systemd_mode = cl->systemd;
	sd_notify_init(systemd_mode);
	if (!mw.reexec) {
		mw.start = (long)time(NULL);
		if (!cfg_ok)
			return 1;
	}
	setup_signals();
	if (mcli_bind(cl) < 0 && !mw.reexec)
		return 1;
	int ok = cfg_ok;
	if (ok) {
		cur_cfg = cfg;
		ok = process_prepare(cfg, cl) == 0;
		if (ok) {
			free(mw.listen_env);
			mw.listen_env = NULL;
		}
	}
	if (!mw.reexec && (!ok || daemon_start(cfg->global.daemon, cfg->global.pidfile) < 0))
		return 1;
	if (ok)
		ok = start_new_worker(cfg, cl) == 0;
	if (!mw.reexec && !ok)
		return 1;
	if (mw.reexec)
		finish_reload(ok);
	else
		sd_notify_status("READY=1");
	if (!ok)
		cur_cfg = NULL; /* failed reload: old workers keep their configuration */
	return master_loop(cur_cfg);
}
