/* The master CLI (-S): supervision commands served by the master, and
 * forwarding of "@N command" to a worker's CLI through a socketpair whose
 * other end is handed to the worker with SCM_RIGHTS. Every session is
 * non-blocking: a slow client or a slow worker never holds up the others,
 * and a forwarded command gives up after FWD_TIMEOUT_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/addr.h"
#include "common/mem.h"
#include "common/msg.h"
#include "common/version.h"
#include "master/mworker.h"

#define MCLI_MAX_LISTENERS 16
#define MCLI_MAX_INPUT 65536
#define FWD_TIMEOUT_MS 10000

struct mcli_lst {
	int fd;
	int level;
};

struct mconn {
	int fd;
	int level;
	int prompt;
	int target;      /* 0: master, else a worker pid */
	char flags[4];   /* expert/experimental/debug modes shown in the prompt */
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	char **queue;    /* commands waiting to run */
	int qlen, qhead;
	int fwd_fd;      /* answer of a forwarded command, -1 */
	int tunnel;      /* "@@": bytes relayed both ways with the worker */
	int eof;         /* the client closed its side */
	int hold;        /* an "@@" is queued: later input is the worker's */
	long long fwd_deadline;
	int closing;
};

static struct mcli_lst lsts[MCLI_MAX_LISTENERS];
static int nlsts;
static struct mconn **conns; /* grows as needed: no session cap */
static int nconns, conns_cap;

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static void out(struct mconn *c, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	c->out = xrealloc(c->out, c->out_len + (size_t)n + 1);
	memcpy(c->out + c->out_len, s, (size_t)n);
	c->out_len += (size_t)n;
	free(s);
}

/* Applies one "-S" option pair (mode, uid, gid, user, group, level). */
static int apply_opt(const char *k, const char *v, struct stats_socket_cfg *sc)
{
	if (!strcmp(k, "level")) {
		sc->level = !strcmp(v, "user") ? CLI_LEVEL_USER
			    : !strcmp(v, "operator") ? CLI_LEVEL_OPER
			    : !strcmp(v, "admin")    ? CLI_LEVEL_ADMIN
						     : -1;
		return sc->level < 0 ? -1 : 0;
	}
	if (!strcmp(k, "mode")) {
		sc->bind.ux_mode = (int)strtol(v, NULL, 8);
		return 0;
	}
	if (!strcmp(k, "uid") || !strcmp(k, "user")) {
		struct passwd *pw = k[0] == 'u' && k[1] == 's' ? getpwnam(v) : NULL;
		sc->bind.ux_uid = pw ? pw->pw_uid : (uid_t)atoi(v);
		sc->bind.ux_uid_set = pw || k[1] == 'i';
		return sc->bind.ux_uid_set ? 0 : -1;
	}
	if (!strcmp(k, "gid") || !strcmp(k, "group")) {
		struct group *gr = k[0] == 'g' && k[1] == 'r' ? getgrnam(v) : NULL;
		sc->bind.ux_gid = gr ? gr->gr_gid : (gid_t)atoi(v);
		sc->bind.ux_gid_set = gr || k[1] == 'i';
		return sc->bind.ux_gid_set ? 0 : -1;
	}
	return -1;
}

/* Binds one "-S addr[,opt,val...]"; returns the fd or -1 (alerted). */
static int bind_spec(const char *spec, int *level)
{
	struct stats_socket_cfg sc = {.level = CLI_LEVEL_ADMIN, .bind.ux_mode = -1};
	char *copy = xstrdup(spec), *save = NULL, *err = NULL;
	char *addr = strtok_r(copy, ",", &save);
	int fd = -1;
	if (!addr || addr_parse(addr, PA_PORT_MANDATORY | PA_NO_FD, &sc.bind.addr, &err) < 0) {
		ha_alert("-S '%s': %s\n", spec, err ? err : "missing address");
		goto out;
	}
	for (char *k = strtok_r(NULL, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		char *v = strtok_r(NULL, ",", &save);
		if (!v || apply_opt(k, v, &sc) < 0) {
			ha_alert("-S '%s': invalid or unsupported option '%s'.\n", spec, k);
			goto out;
		}
	}
	const struct hl_addr *a = &sc.bind.addr;
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd >= 0 && a->kind != ADDR_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->kind == ADDR_UNIX)
		unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
	if (fd < 0 || bind(fd, (const struct sockaddr *)&a->ss, a->sslen) < 0 ||
	    listen(fd, 64) < 0) {
		ha_alert("-S '%s': cannot bind the master CLI: %s.\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
		goto out;
	}
	if (a->kind == ADDR_UNIX) {
		const char *path = ((const struct sockaddr_un *)&a->ss)->sun_path;
		if (sc.bind.ux_mode >= 0)
			chmod(path, (mode_t)sc.bind.ux_mode);
		if ((sc.bind.ux_uid_set || sc.bind.ux_gid_set) &&
		    chown(path, sc.bind.ux_uid_set ? sc.bind.ux_uid : (uid_t)-1,
			  sc.bind.ux_gid_set ? sc.bind.ux_gid : (gid_t)-1) < 0)
			ha_warning("-S '%s': cannot change the socket owner.\n", spec);
	}
	*level = sc.level;
out:
	addr_release(&sc.bind.addr);
	free(err);
	free(copy);
	return fd;
}

int mcli_bind(const struct cmdline *cl)
{
	const char *env = getenv("HALYARD_MCLI_FDS");
	char *inherited = env ? xstrdup(env) : NULL, *save = NULL;
	char *tok = inherited ? strtok_r(inherited, ";", &save) : NULL;
	int ret = 0;

	unsetenv("HALYARD_MCLI_FDS");
	for (int i = 0; i < cl->nb_master_cli && nlsts < MCLI_MAX_LISTENERS; i++) {
		int level = CLI_LEVEL_ADMIN, fd;
		if (tok) {
			/* reload: the same -S sockets, in order, with their levels */
			if (sscanf(tok, "%d/%d", &fd, &level) != 2)
				fd = -1;
			else
				fcntl(fd, F_SETFD, FD_CLOEXEC);
			tok = strtok_r(NULL, ";", &save);
		} else {
			fd = bind_spec(cl->master_cli[i], &level);
		}
		if (fd < 0) {
			ret = -1;
			continue;
		}
		lsts[nlsts].fd = fd;
		lsts[nlsts++].level = level;
	}
	free(inherited);
	return ret;
}

void mcli_export_env(void)
{
	char buf[1024];
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < nlsts; i++) {
		int n = snprintf(buf + off, sizeof(buf) - off, "%s%d/%d", off ? ";" : "",
				 lsts[i].fd, lsts[i].level);
		if (n > 0 && (size_t)n < sizeof(buf) - off)
			off += (size_t)n;
		fcntl(lsts[i].fd, F_SETFD, 0);
	}
	setenv("HALYARD_MCLI_FDS", buf, 1);
}

void mcli_close_all_in_child(void)
{
	for (int i = 0; i < nlsts; i++)
		close(lsts[i].fd);
	for (int i = 0; i < nconns; i++) {
		close(conns[i]->fd);
		if (conns[i]->fwd_fd >= 0)
			close(conns[i]->fwd_fd);
	}
}

void mcli_reload_answer(int fd, int success)
{
	const char *logs = startup_logs();
	char head[32];
	int n = snprintf(head, sizeof(head), "Success=%d\n--\n", success);
	ssize_t r = write(fd, head, (size_t)n);
	r = write(fd, logs, strlen(logs));
	(void)r;
	close(fd);
}

static void conn_free(int idx)
{
	struct mconn *c = conns[idx];
	close(c->fd);
	if (c->fwd_fd >= 0)
		close(c->fwd_fd);
	for (int i = c->qhead; i < c->qlen; i++)
		free(c->queue[i]);
	free(c->queue);
	free(c->in);
	free(c->out);
	free(c);
	conns[idx] = conns[--nconns];
}

/* The prompt shown in interactive mode. */
static void print_prompt(struct mconn *c)
{
	char fl[8] = "";
	if (c->flags[0] || c->flags[1] || c->flags[2])
		snprintf(fl, sizeof(fl), "(%s%s%s)", c->flags[1] ? "x" : "", c->flags[0] ? "e" : "",
			 c->flags[2] ? "d" : "");
	if (c->target)
		out(c, "%d%s> ", c->target, fl);
	else
		out(c, "master%s%s> ", mw.last_failed ? "[ReloadFailed]" : "", fl);
}

static void fmt_uptime(long start, char *buf, size_t len)
{
	long up = (long)time(NULL) - start;
	if (up < 0)
		up = 0;
	snprintf(buf, len, "%ldd%02ldh%02ldm%02lds", up / 86400, up % 86400 / 3600,
		 up % 3600 / 60, up % 60);
}

/* One "show proc" row per worker that is (or is not) current; <debug>
 * adds the master's end of the worker link.
 */
static void show_workers(struct mconn *c, int current, int debug)
{
	char up[32], rel[32];
	for (int i = 0; i < mw.nprocs; i++) {
		struct mw_proc *p = &mw.procs[i];
		if (p->current != current)
			continue;
		fmt_uptime(p->start, up, sizeof(up));
		snprintf(rel, sizeof(rel), "%d", p->reloads);
		out(c, "%-15d %-15s %-15s %-15s %s", p->pid, "worker", rel, up, halyard_version());
		if (debug)
			out(c, "  [ipc_fd=%d ready=%d]", p->ctl_fd, p->ready);
		out(c, "\n");
	}
}

/* "show proc": the master, current workers, then old workers. */
static void show_proc(struct mconn *c, int debug)
{
	char up[32], rel[32];
	int old = 0;
	out(c, "#%-14s %-15s %-15s %-15s %-15s\n", "<PID>", "<type>", "<reloads>", "<uptime>",
	    "<version>");
	fmt_uptime(mw.start, up, sizeof(up));
	snprintf(rel, sizeof(rel), "%d [failed: %d]", mw.reloads, mw.failed);
	out(c, "%-15d %-15s %-15s %-15s %s\n", (int)getpid(), "master", rel, up,
	    halyard_version());
	out(c, "# workers\n");
	show_workers(c, 1, debug);
	for (int i = 0; i < mw.nprocs; i++)
		old |= !mw.procs[i].current;
	if (old) {
		out(c, "# old workers\n");
		show_workers(c, 0, debug);
	}
	out(c, "# programs\n");
}

/* "show proc json": the same information as a JSON array (beyond HAProxy). */
static void show_proc_json(struct mconn *c)
{
	out(c, "[{\"pid\":%d,\"type\":\"master\",\"reloads\":%d,\"failed_reloads\":%d,"
	       "\"start\":%ld,\"version\":\"%s\"}",
	    (int)getpid(), mw.reloads, mw.failed, mw.start, halyard_version());
	for (int i = 0; i < mw.nprocs; i++) {
		struct mw_proc *p = &mw.procs[i];
		out(c, ",{\"pid\":%d,\"type\":\"worker\",\"current\":%s,\"reloads\":%d,"
		       "\"start\":%ld,\"version\":\"%s\"}",
		    p->pid, p->current ? "true" : "false", p->reloads, p->start,
		    halyard_version());
	}
	out(c, "]\n");
}

static void master_help(struct mconn *c)
{
	static const char *const lines[][2] = {
		{"@!<pid>", "send a command to the <pid> process"},
		{"@<relative pid>", "send a command to the <relative pid> process"},
		{"@master", "send a command to the master process"},
		{"@@<relative pid> [commands]", "open a session on a worker (until it closes)"},
		{"operator", "lower the level of the current CLI session to operator"},
		{"reload", "reload the configuration (new worker, old ones finish)"},
		{"hard-reload", "reload and stop the old workers at once"},
		{"show proc [debug|json]", "show processes status"},
		{"show startup-logs", "show the messages of the last start or reload"},
		{"show version", "show version of the current process"},
		{"user", "lower the level of the current CLI session to user"},
		{"expert-mode [on|off]", "enable the expert mode for workers"},
		{"experimental-mode [on|off]", "enable the experimental mode for workers"},
		{"mcli-debug-mode [on|off]", "enable the debug mode of the master CLI"},
		{"help", "list the commands"},
		{"prompt", "toggle interactive mode with prompt"},
		{"quit", "disconnect"},
	};
	out(c, "The following commands are valid at this level:\n");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		out(c, "  %-39s : %s\n", lines[i][0], lines[i][1]);
}

/* Resolves "@<n>" (n-th current worker) or "@!<pid>" to a pid; 0 = master,
 * -1 when no such process.
 */
static int resolve_target(const char *spec)
{
	if (!*spec || !strcmp(spec, "master"))
		return 0;
	if (spec[0] == '!') {
		int pid = atoi(spec + 1);
		for (int i = 0; i < mw.nprocs; i++)
			if (mw.procs[i].pid == pid)
				return pid;
		return -1;
	}
	char *end = NULL;
	long n = strtol(spec, &end, 10);
	if (*end || n < 1)
		return -1;
	for (int i = 0, k = 0; i < mw.nprocs; i++)
		if (mw.procs[i].current && ++k == n)
			return mw.procs[i].pid;
	return -1;
}

/* Hands a new CLI session to worker <pid> and sends it <cmd>. */
static int forward_start(struct mconn *c, int pid, const char *cmd, int keep_open)
{
	struct mw_proc *p = NULL;
	int sv[2];
	for (int i = 0; i < mw.nprocs; i++)
		if (mw.procs[i].pid == pid)
			p = &mw.procs[i];
	if (!p || (sv[0] = mworker_open_session(p)) < 0)
		return -1;
	size_t len = strlen(cmd) - strspn(cmd, " \t");
	cmd += strspn(cmd, " \t");
	/* a bare "@@N" sends nothing: the worker waits for the client's lines */
	if (len && (write(sv[0], cmd, len) != (ssize_t)len || write(sv[0], "\n", 1) != 1)) {
		close(sv[0]);
		return -1;
	}
	if (!keep_open)
		shutdown(sv[0], SHUT_WR);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	c->fwd_fd = sv[0];
	c->tunnel = keep_open;
	c->fwd_deadline = keep_open ? 0 : mono_ms() + FWD_TIMEOUT_MS;
	return 0;
}

/* Sets a mode flag from "on"/"off"/toggle. */
static void set_mode(struct mconn *c, int idx, const char *arg)
{
	c->flags[idx] = arg && !strcmp(arg, "off") ? 0 : arg && !strcmp(arg, "on") ? 1 : !c->flags[idx];
}

/* Runs a command on the master itself. Returns 1 when the session ends. */
static int master_command(struct mconn *c, char **w, int n)
{
	if (!strcmp(w[0], "help"))
		master_help(c);
	else if (!strcmp(w[0], "prompt"))
		c->prompt = !c->prompt;
	else if (!strcmp(w[0], "quit"))
		return 1;
	else if (!strcmp(w[0], "show") && n > 1 && !strcmp(w[1], "proc")) {
		if (n > 2 && !strcmp(w[2], "json"))
			show_proc_json(c);
		else if (n > 2 && strcmp(w[2], "debug"))
			out(c, "'show proc' only accepts 'debug' or 'json'.\n");
		else
			show_proc(c, n > 2);
	}
	else if (!strcmp(w[0], "show") && n > 1 && !strcmp(w[1], "startup-logs"))
		out(c, "%s", startup_logs());
	else if (!strcmp(w[0], "show") && n > 1 && !strcmp(w[1], "version"))
		out(c, "%s\n", halyard_version());
	else if (!strcmp(w[0], "reload") || !strcmp(w[0], "hard-reload")) {
		if (c->level < CLI_LEVEL_OPER) {
			out(c, "Permission denied\n");
			return 0;
		}
		mworker_reload(c->fd, w[0][0] == 'h');
		out(c, "Reload failed: the master could not re-execute itself.\n");
	} else if (!strcmp(w[0], "user"))
		c->level = CLI_LEVEL_USER;
	else if (!strcmp(w[0], "operator"))
		c->level = c->level > CLI_LEVEL_OPER ? CLI_LEVEL_OPER : c->level;
	else if (!strcmp(w[0], "expert-mode"))
		set_mode(c, 0, n > 1 ? w[1] : NULL);
	else if (!strcmp(w[0], "experimental-mode"))
		set_mode(c, 1, n > 1 ? w[1] : NULL);
	else if (!strcmp(w[0], "mcli-debug-mode"))
		set_mode(c, 2, n > 1 ? w[1] : NULL);
	else
		out(c, "Unknown command: '%s'. Type 'help' for the list of commands.\n", w[0]);
	return 0;
}

/* Runs one command of the queue. Returns 1 when the session must end. */
static int run_command(struct mconn *c, char *cmd)
{
	char *copy = xstrdup(cmd), *w[64], *save = NULL;
	int n = 0, ret = 0;
	for (char *t = strtok_r(copy, " \t\r", &save); t && n < 64; t = strtok_r(NULL, " \t\r", &save))
		w[n++] = t;
	if (n == 0)
		goto done;
	if (w[0][0] == '@') {
		if (w[0][1] == '@') {
			/* "@@<n> [commands]": a session on the worker, kept open */
			int tpid = resolve_target(w[0] + 2);
			const char *rest = strstr(cmd, w[0]) + strlen(w[0]);
			int bare = !rest[strspn(rest, " \t")];
			char *first = xasprintf("%s%s", c->prompt ? (bare ? "prompt" : "prompt;") : "",
						rest);
			if (tpid <= 0)
				out(c, "Can't find the target PID matching the prefix '%s'\n", w[0]);
			else if (forward_start(c, tpid, first, 1) < 0)
				out(c, "Cannot reach process %d.\n", tpid);
			if (!c->tunnel)
				c->hold = 0;
			free(first);
			goto done;
		}
		int pid = resolve_target(w[0] + 1);
		if (pid < 0) {
			out(c, "Can't find the target PID matching the prefix '%s'\n", w[0]);
			goto done;
		}
		if (n == 1) {
			c->target = pid; /* switch the session's default target */
			goto done;
		}
		const char *rest = cmd + (strstr(cmd, w[0]) - cmd) + strlen(w[0]);
		if (!pid) {
			ret = master_command(c, w + 1, n - 1);
		} else if (forward_start(c, pid, rest, 0) < 0)
			out(c, "Cannot reach process %d.\n", pid);
		goto done;
	}
	if (c->target) {
		if (forward_start(c, c->target, cmd, 0) < 0)
			out(c, "Cannot reach process %d.\n", c->target);
		goto done;
	}
	ret = master_command(c, w, n);
done:
	free(copy);
	return ret;
}

/* Runs queued commands until one is forwarded (its answer is awaited). */
static void run_queue(struct mconn *c)
{
	while (!c->closing && c->fwd_fd < 0 && c->qhead < c->qlen) {
		char *cmd = c->queue[c->qhead++];
		int was_prompt = c->prompt;
		if (run_command(c, cmd))
			c->closing = 1;
		free(cmd);
		if (c->tunnel) {
			/* input already received goes to the worker session */
			if (c->in_len && write(c->fwd_fd, c->in, c->in_len) != (ssize_t)c->in_len)
				c->closing = 1;
			c->in_len = 0;
			if (c->eof)
				shutdown(c->fwd_fd, SHUT_WR);
		}
		if (c->fwd_fd >= 0)
			return;
		if (!c->closing && c->prompt && was_prompt)
			print_prompt(c);
		else if (!c->closing && !c->prompt && !was_prompt)
			out(c, "\n");
		else if (!c->closing && c->prompt)
			print_prompt(c);
	}
	if (c->fwd_fd < 0 && c->qhead >= c->qlen && !c->prompt)
		c->closing = 1;
}

/* Whether command line <line> ends with the word "<<": its payload, the
 * lines up to an empty one, follows and goes to the worker with it.
 */
static int has_payload_mark(const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		n--;
	return n >= 2 && !strncmp(line + n - 2, "<<", 2) &&
	       (n == 2 || line[n - 3] == ' ' || line[n - 3] == '\t');
}

/* Appends to queued command *<cmd> a line feed and the payload lines from
 * <p> to <end> (each ended by its line feed): forward_start() then adds
 * the empty line that ends the payload.
 */
static void attach_payload(char **cmd, const char *p, const char *end)
{
	size_t cl = strlen(*cmd), pl = end >= p ? (size_t)(end - p) + 1 : 0;
	*cmd = xrealloc(*cmd, cl + 1 + pl + 1);
	(*cmd)[cl] = '\n';
	memcpy(*cmd + cl + 1, p, pl);
	(*cmd)[cl + 1 + pl] = 0;
}

/* Splits complete input lines into queued commands (a command line with a
 * payload waits for the whole payload).
 */
static void parse_input(struct mconn *c)
{
	char *nl;
	while (!c->hold && c->in && (nl = memchr(c->in, '\n', c->in_len))) {
		*nl = 0;
		char *save = NULL, *start = c->in + strspn(c->in, " \t");
		if (!strncmp(start, "@@", 2)) {
			/* delivered as-is, semicolons included */
			c->queue = xrealloc(c->queue, sizeof(char *) * (size_t)(c->qlen + 1));
			c->queue[c->qlen++] = xstrdup(start);
			size_t used = (size_t)(nl - c->in) + 1;
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			c->hold = 1; /* what follows belongs to the worker session */
			break;
		}
		char *pl_end = NULL;
		if (has_payload_mark(c->in)) {
			*nl = '\n';
			pl_end = memmem(nl, c->in_len - (size_t)(nl - c->in), "\n\n", 2);
			if (!pl_end)
				break; /* the payload is not complete yet */
			*nl = 0;
		}
		int first = c->qlen;
		for (char *t = strtok_r(c->in, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
			c->queue = xrealloc(c->queue, sizeof(char *) * (size_t)(c->qlen + 1));
			c->queue[c->qlen++] = xstrdup(t);
		}
		if (pl_end && c->qlen > first) /* the payload goes with the last command */
			attach_payload(&c->queue[c->qlen - 1], nl + 1, pl_end);
		size_t used = (size_t)((pl_end ? pl_end + 1 : nl) - c->in) + 1;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
}

static void conn_read(struct mconn *c)
{
	char buf[4096];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			if (c->in_len + (size_t)n > MCLI_MAX_INPUT) {
				c->closing = 1;
				return;
			}
			c->in = xrealloc(c->in, c->in_len + (size_t)n + 1);
			memcpy(c->in + c->in_len, buf, (size_t)n);
			c->in_len += (size_t)n;
			continue;
		}
		if (n == 0) {
			c->eof = 1;
			if (c->in_len) {
				c->in = xrealloc(c->in, c->in_len + 2);
				c->in[c->in_len++] = '\n';
			}
			parse_input(c);
			c->prompt = 0; /* the client is gone: finish the queue, then close */
			if (c->qhead >= c->qlen && c->fwd_fd < 0)
				c->closing = 1;
			return;
		}
		if (errno != EAGAIN)
			c->closing = 1;
		return;
	}
}

/* "@@" session: relays what the client sends to the worker; the client's
 * end of input ends the worker session's input too.
 */
static void tunnel_from_client(struct mconn *c)
{
	char buf[4096];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			if (write(c->fwd_fd, buf, (size_t)n) != n) {
				c->closing = 1;
				return;
			}
			continue;
		}
		if (n == 0 || errno != EAGAIN) {
			shutdown(c->fwd_fd, SHUT_WR);
			c->prompt = 0;
		}
		return;
	}
}

/* Relays a forwarded command's answer; ends it on EOF or timeout. */
static void fwd_read(struct mconn *c)
{
	char buf[16384];
	for (;;) {
		ssize_t n = recv(c->fwd_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			c->out = xrealloc(c->out, c->out_len + (size_t)n + 1);
			memcpy(c->out + c->out_len, buf, (size_t)n);
			c->out_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN && (c->tunnel || mono_ms() < c->fwd_deadline))
			return;
		if (n < 0 && errno == EAGAIN)
			out(c, "Timeout while waiting for the worker's answer.\n");
		close(c->fwd_fd);
		c->fwd_fd = -1;
		c->tunnel = 0;
		c->hold = 0;
		if (c->prompt)
			print_prompt(c);
		run_queue(c);
		return;
	}
}

static int conn_flush(struct mconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

static void accept_conns(struct mcli_lst *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (nconns == conns_cap) {
			conns_cap = conns_cap ? conns_cap * 2 : 16;
			conns = xrealloc(conns, sizeof(*conns) * (size_t)conns_cap);
		}
		struct mconn *c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->level = l->level;
		c->fwd_fd = -1;
		conns[nconns++] = c;
	}
}

int mcli_pollfd_count(void)
{
	return nlsts + 2 * nconns;
}

/* pollfd layout: listeners, then per session its socket and its forward. */
int mcli_fill_pollfds(void *vp, int max)
{
	struct pollfd *p = vp;
	int n = 0;
	for (int i = 0; i < nlsts && n < max; i++)
		p[n++] = (struct pollfd){.fd = lsts[i].fd, .events = POLLIN};
	for (int i = 0; i < nconns && n + 2 <= max; i++) {
		struct mconn *c = conns[i];
		p[n++] = (struct pollfd){.fd = c->fd,
					 .events = (short)(POLLIN | (c->out_len ? POLLOUT : 0))};
		p[n++] = (struct pollfd){.fd = c->fwd_fd, .events = POLLIN};
	}
	return n;
}

void mcli_handle_pollfds(void *vp, int n)
{
	struct pollfd *p = vp;
	int k = 0;
	for (int i = 0; i < nlsts && k < n; i++, k++)
		if (p[k].revents & POLLIN)
			accept_conns(&lsts[i]);
	int limit = nconns;
	for (int i = 0; i < limit && k + 1 < n; i++, k += 2) {
		struct mconn *c = conns[i];
		if (p[k].fd != c->fd)
			break; /* a session was added while polling: handled next turn */
		if (p[k].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (c->tunnel)
				tunnel_from_client(c);
			else {
				conn_read(c);
				parse_input(c);
				run_queue(c);
			}
		}
		if (c->fwd_fd >= 0 &&
		    (p[k + 1].revents || (!c->tunnel && mono_ms() >= c->fwd_deadline)))
			fwd_read(c);
	}
	for (int i = 0; i < nconns;) {
		struct mconn *c = conns[i];
		if (conn_flush(conns[i]) < 0 || (c->closing && !c->out_len && c->fwd_fd < 0))
			conn_free(i);
		else
			i++;
	}
}
