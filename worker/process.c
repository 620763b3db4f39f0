#include "worker/process.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/daemon.h"
#include "common/mem.h"
#include "common/msg.h"
#include "common/rcu.h"
#include "conf/kw.h"
#include "worker/check.h"
#include "worker/counters.h"
#include "worker/cpu-map.h"
#include "worker/lb.h"
#include "worker/listener.h"
#include "worker/mwlink.h"
#include "worker/inherit.h"
#include "worker/xfer.h"
#include "worker/log-forward.h"
#include "worker/log.h"
#include "worker/ring.h"
#include "worker/runtime.h"
#include "worker/stream.h"
#include "worker/srv-state.h"

/* Raises RLIMIT_NOFILE to what maxconn needs (or to ulimit-n). */
static int set_fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = cfg->global.ulimit_n ? (rlim_t)cfg->global.ulimit_n
					   : (rlim_t)rt.maxconn * 2 + (rlim_t)rt.nlst + 200;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur >= want && !cfg->global.ulimit_n)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rt.ulimit_n = (int)want;
		return 0;
	}
	if (cfg->global.ulimit_n) {
		ha_alert("[%s.main()] Cannot raise FD limit to %lu: %s.\n", "halyard",
			 (unsigned long)want, strerror(errno));
		return -1;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	ha_warning("[%s.main()] Cannot raise FD limit to %lu, limit is %lu; maxconn lowered.\n",
		   "halyard", (unsigned long)want, (unsigned long)rl.rlim_cur);
	rt.maxconn = ((int)rl.rlim_cur - 200) / 2 > 1 ? ((int)rl.rlim_cur - 200) / 2 : 1;
	rt.ulimit_n = (int)rl.rlim_cur;
	return 0;
}

/* Creates an empty directory, enters it and unlinks it, so that it has no
 * name and nothing can ever be created in it ("chroot auto"). Returns 0 with
 * the process inside it (cwd), or -1.
 */
static int enter_anonymous_dir(void)
{
	char tmpl[] = "/tmp/halyard-chroot-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	if (chmod(tmpl, 0555) < 0 || chdir(tmpl) < 0 || rmdir(tmpl) < 0) {
		rmdir(tmpl);
		return -1;
	}
	return 0;
}

/* chroot() to the current directory, from a new user namespace when we lack
 * the privilege (unprivileged start on Linux).
 */
static int chroot_here(void)
{
	if (chroot(".") == 0)
		return chdir("/");
	if (errno != EPERM || unshare(CLONE_NEWUSER) < 0)
		return -1;
	if (chroot(".") < 0)
		return -1;
	return chdir("/");
}

/* chroot (a directory, or "auto"), then setgid/setuid, then
 * no-new-privileges, in that order.
 */
static int drop_privileges(const struct global_cfg *g)
{
	if (g->chroot) {
		int is_auto = strcmp(g->chroot, "auto") == 0;
		int r = is_auto ? enter_anonymous_dir() : chdir(g->chroot);
		if (r == 0)
			r = chroot_here();
		if (r < 0) {
			ha_alert("[%s.main()] Cannot chroot(%s): %s.\n", "halyard",
				 is_auto ? "auto" : g->chroot, strerror(errno));
			return -1;
		}
	}
	if (g->gid_set) {
		if ((geteuid() == 0 && setgroups(0, NULL) < 0) || setgid(g->gid) < 0) {
			ha_alert("[%s.main()] Cannot set gid %d: %s.\n", "halyard", (int)g->gid,
				 strerror(errno));
			return -1;
		}
	}
	if (g->uid_set && setuid(g->uid) < 0) {
		ha_alert("[%s.main()] Cannot set uid %d: %s.\n", "halyard", (int)g->uid,
			 strerror(errno));
		return -1;
	}
	if (!g->insecure_setuid_wanted && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ha_warning("Failed to disable setuid: %s.\n", strerror(errno));
	return 0;
}

/* Number of threads: configured, else the CPUs we may run on. */
static int choose_nbthread(const struct global_cfg *g)
{
	if (g->nbthread)
		return g->nbthread;
	cpu_set_t set;
	int n = 1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = 1;
	return n > MAX_THREADS ? MAX_THREADS : n;
}

static _Atomic int threads_started;

static void *thread_main(void *arg)
{
	struct wthread *t = arg;
	curthr = t;
	cpu_map_apply(t->id);
	t->now_ms = now_ms();
	t->lb_state = xcalloc((size_t)rt.nbe + 1, sizeof(struct lb_thread_state));
	listeners_enable_thread();
	if (t->id == 0) {
		cli_enable_thread();
		mwlink_enable_thread();
		rings_start_thread();
		log_forward_start_thread();
	}
	checks_start_thread();
	atomic_fetch_add(&threads_started, 1);
	loop_run(t);
	return NULL;
}

static struct mail stop_mails[MAX_THREADS];
static _Atomic int stop_acks;

static void stop_accepting_cb(struct mail *m)
{
	(void)m;
	listeners_disable_thread();
	cli_disable_thread();
	streams_soft_stop();
	atomic_fetch_add(&stop_acks, 1);
}

/* Waits <ms> milliseconds, or less when SIGTERM or SIGINT comes (every
 * thread blocks them): returns 1 then, as either ends a soft stop at once.
 */
static int hard_stop_asked(uint32_t ms)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	return sigtimedwait(&set, NULL, &ts) > 0;
}

/* Soft stop: stop accepting, wait for streams to end or hard-stop-after. */
static int soft_stop(const struct global_cfg *g)
{
	/* keep serving new connections for a while (e.g. while a load
	 * balancer in front notices the stop)
	 */
	if (g->grace && hard_stop_asked(g->grace))
		return 0;
	atomic_store(&rt.stopping, 1);
	for (int i = 0; i < rt.nbthread; i++) {
		stop_mails[i].cb = stop_accepting_cb;
		mail_post(&rt.threads[i], &stop_mails[i]);
	}
	uint64_t start = now_ms();
	/* once no thread polls them, release the listening sockets so that new
	 * connections are refused (or go to a new process) instead of waiting
	 * in a backlog nobody serves
	 */
	while (atomic_load(&stop_acks) < rt.nbthread) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	listeners_close_all();
	for (;;) {
		if (atomic_load(&rt.cur_conns) == 0)
			return 0;
		if (g->hard_stop_after && now_ms() - start >= g->hard_stop_after) {
			ha_warning("Proxy stopped after 'hard-stop-after' with %d connections left.\n",
				   atomic_load(&rt.cur_conns));
			return 0;
		}
		if (hard_stop_asked(50))
			return 0;
	}
}

/* Runs <fn> on every worker thread and waits until all have run it. */
static void (*all_threads_fn)(void);
static _Atomic int all_threads_acks;
static struct mail all_threads_mails[MAX_THREADS];

static void all_threads_cb(struct mail *m)
{
	(void)m;
	all_threads_fn();
	atomic_fetch_add(&all_threads_acks, 1);
}

static void run_on_all_threads(void (*fn)(void))
{
	all_threads_fn = fn;
	atomic_store(&all_threads_acks, 0);
	for (int i = 0; i < rt.nbthread; i++) {
		all_threads_mails[i].cb = all_threads_cb;
		mail_post(&rt.threads[i], &all_threads_mails[i]);
	}
	while (atomic_load(&all_threads_acks) < rt.nbthread) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* Before the process exits: has every worker thread send the log lines it
 * still batches (a stream that ended just before the last turn ended), each
 * in its loop, waiting at most 500 ms for them.
 */
static struct mail flush_mails[MAX_THREADS];
static _Atomic int flush_acks;

static void flush_logs_cb(struct mail *m)
{
	(void)m;
	log_flush_thread();
	atomic_fetch_add(&flush_acks, 1);
}

static void flush_logs_all_threads(void)
{
	atomic_store(&flush_acks, 0);
	for (int i = 0; i < rt.nbthread; i++) {
		flush_mails[i].cb = flush_logs_cb;
		mail_post(&rt.threads[i], &flush_mails[i]);
	}
	for (int waited = 0; atomic_load(&flush_acks) < rt.nbthread && waited < 500; waited++) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* SIGTTOU: stop listening (the ports may be taken by another process);
 * SIGTTIN: listen again. Connections in progress are not affected.
 */
static void pause_listening(int pause)
{
	if (pause) {
		run_on_all_threads(listeners_disable_thread);
		listeners_set_listening(0);
		ha_notice("Listeners paused (SIGTTOU).\n");
	} else {
		if (listeners_set_listening(1) < 0)
			ha_warning("Some listeners could not listen again (SIGTTIN).\n");
		run_on_all_threads(listeners_enable_thread);
		ha_notice("Listeners resumed (SIGTTIN).\n");
	}
}

/* Signals old processes given with -sf/-st. */
static void signal_old_pids(const struct cmdline *cl)
{
	for (int i = 0; i < cl->nb_old_pids; i++)
		kill(cl->old_pids[i], cl->terminate_old ? SIGTERM : SIGUSR1);
}

/* Waits for signals on the main thread until the process must exit. */
static int signal_loop(const struct global_cfg *g)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTTOU);
	sigaddset(&set, SIGTTIN);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			return 0;
		if (sig == SIGUSR1)
			return soft_stop(g);
		if (sig == SIGTTOU || sig == SIGTTIN)
			pause_listening(sig == SIGTTOU);
		/* SIGHUP: nothing to dump yet */
	}
}

/* Refuses options this process model does not implement. */
static int check_unsupported(const struct config *cfg, const struct cmdline *cl)
{
	if (cl->nb_master_cli && !(cl->master_worker || cfg->global.master_worker)) {
		ha_alert("The master CLI (-S) requires the master-worker mode (-W).\n");
		return -1;
	}
	return 0;
}

int process_prepare(struct config *cfg, const struct cmdline *cl)
{
	if (check_unsupported(cfg, cl) < 0 || runtime_build(cfg) < 0)
		return -1;
	srv_state_load();
	signal(SIGPIPE, SIG_IGN);
	if (cl->xfer_sock && xfer_fetch(cl->xfer_sock) < 0)
		return -1;
	int r = listeners_bind_all();
	inherit_close_unclaimed();
	return r;
}

/* Waits until every worker thread polls its listeners. */
static void wait_threads_started(void)
{
	while (atomic_load(&threads_started) < rt.nbthread) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

int process_serve(struct config *cfg, const struct cmdline *cl, int ctl_fd)
{
	struct global_cfg *g = &cfg->global;
	sigset_t set;
	int is_worker = ctl_fd >= 0;

	if (cli_bind_all(cfg) < 0 || log_forward_bind_all() < 0)
		return 1;
	if (set_fd_limit(cfg) < 0 || drop_privileges(g) < 0)
		return 1;
	if (!is_worker && daemon_start(g->daemon, g->pidfile) < 0)
		return 1;
	rt.nbthread = choose_nbthread(g);
	rt.start_ms = now_ms();
	rt.start_time = (long)time(NULL);
	for (int i = 0; i < rt.nbthread; i++) {
		if (loop_init(&rt.threads[i], i) < 0) {
			ha_alert("Cannot create the event loop of thread %d: %s.\n", i,
				 strerror(errno));
			return 1;
		}
		counters_init_thread(&rt.threads[i]);
	}
	checks_init();
	rings_create();
	if (is_worker)
		mwlink_init(ctl_fd);
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGABRT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	hl_rcu_readers_start(); /* frees are deferred from now on */
	for (int i = 0; i < rt.nbthread; i++)
		pthread_create(&rt.threads[i].tid, NULL, thread_main, &rt.threads[i]);
	wait_threads_started();
	if (is_worker)
		mwlink_send_ready();
	signal_old_pids(cl);
	int status = signal_loop(g);
	flush_logs_all_threads();
	if (!is_worker && g->pidfile && !g->daemon)
		unlink(g->pidfile);
	fflush(NULL);
	_exit(status);
}

int process_run(struct config *cfg, const struct cmdline *cl)
{
	if (process_prepare(cfg, cl) < 0)
		return 1;
	return process_serve(cfg, cl, -1);
}

static const struct cfg_kw process_kws[] = {
	/* delay between SIGUSR1 and the actual soft stop */
	{.name = "grace",
	 .sections = SECT_GLOBAL,
	 .type = KWT_UINT_TIME,
	 .offset = offsetof(struct global_cfg, grace)},
};
CFG_REGISTER_KEYWORDS(process_kws)
