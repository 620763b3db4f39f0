/* "show sess" and "shutdown session <id>".
 *
 * Streams belong to their thread, so the CLI thread asks every other
 * thread by mail for the lines of its streams and waits for the answers
 * (a bounded wait, RCU-offline); a thread that does not answer in time is
 * left out. A stream's id is its address, as in HAProxy; "shutdown
 * session" only compares it with the streams of each thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "common/strbuf.h"
#include "worker/runtime.h"
#include "worker/server-t.h"
#include "worker/stream.h"

#define GATHER_WAIT_MS 1000

/* HAProxy's short durations: at most two units, "0s" for zero. */
static void human_time(struct strbuf *b, long t)
{
	int cnt = 2;
	if (t < 0) {
		sb_puts(b, "?");
		return;
	}
	if (t >= 86400) {
		sb_printf(b, "%ldd", t / 86400);
		cnt--;
	}
	if (cnt && t % 86400 / 3600) {
		sb_printf(b, "%ldh", t % 86400 / 3600);
		cnt--;
	}
	if (cnt && t % 3600 / 60) {
		sb_printf(b, "%ldm", t % 3600 / 60);
		cnt--;
	}
	if ((cnt && t % 60) || !t)
		sb_printf(b, "%lds", t % 60);
}

/* The listener's number within its frontend, from 1 (HAProxy's luid). */
static int listener_num(const struct listener *l)
{
	int n = 0;
	for (int i = 0; i < rt.nlst; i++) {
		if (rt.lsts[i].fe == l->fe)
			n++;
		if (&rt.lsts[i] == l)
			return n;
	}
	return 0;
}

/* "proto=... src=..." as HAProxy words them. */
static void put_origin(struct strbuf *b, const struct stream *s)
{
	const struct sockaddr_storage *ss = &s->cli_addr;
	char ip[INET6_ADDRSTRLEN] = "?";
	int unix_bind = s->lst && s->lst->bind && s->lst->bind->addr.kind == ADDR_UNIX;
	int v6 = s->lst && s->lst->bind && s->lst->bind->addr.ss.ss_family == AF_INET6;
	sb_printf(b, " proto=%s", unix_bind ? "unix_stream" : v6 ? "tcpv6" : "tcpv4");
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		sb_printf(b, " src=%s:%d", ip, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		sb_printf(b, " src=%s:%d", ip, ntohs(a->sin6_port));
	} else if (ss->ss_family == AF_UNIX && s->lst) {
		sb_printf(b, " src=unix:%d", listener_num(s->lst));
	}
}

/* One "show sess" line: the fields HAProxy prints first, no others. */
static void sess_line(const struct stream *s, void *arg)
{
	struct strbuf *b = arg;
	sb_printf(b, "%p:", (const void *)s);
	put_origin(b, s);
	sb_printf(b, " fe=%s be=%s srv=%s age=", s->fe->conf->id,
	          s->be ? s->be->conf->id : "<NONE>", s->server ? s->server->conf->id : "<none>");
	human_time(b, (long)((curthr->now_ms - s->accept_ms) / 1000));
	sb_puts(b, "\n");
}

/* Answers of the threads to one request; freed by the last holder. */
struct gather {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending; /* threads yet to answer */
	int refs;
	uintptr_t kill; /* "shutdown session": the stream to end, 0 for "show sess" */
	int killed;
	struct strbuf out[MAX_THREADS];
	struct gather_mail {
		struct mail m;
		struct gather *g;
	} mails[MAX_THREADS];
};

static void gather_unref(struct gather *g)
{
	pthread_mutex_lock(&g->lock);
	int last = --g->refs == 0;
	pthread_mutex_unlock(&g->lock);
	if (!last)
		return;
	for (int i = 0; i < MAX_THREADS; i++)
		sb_free(&g->out[i]);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
	free(g);
}

/* The work of one thread: its lines, or ending the stream asked for. */
static void gather_here(struct gather *g)
{
	if (g->kill) {
		if (stream_kill_ptr(g->kill)) {
			pthread_mutex_lock(&g->lock);
			g->killed = 1;
			pthread_mutex_unlock(&g->lock);
		}
		return;
	}
	struct strbuf b = {0};
	streams_foreach(sess_line, &b);
	pthread_mutex_lock(&g->lock); /* the CLI thread may be reading already */
	g->out[curthr->id] = b;
	pthread_mutex_unlock(&g->lock);
}

static void gather_mail_cb(struct mail *m)
{
	struct gather *g = caa_container_of(m, struct gather_mail, m)->g;
	gather_here(g);
	pthread_mutex_lock(&g->lock);
	g->pending--;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	gather_unref(g);
}

/* Runs the request on every thread (this one directly) and waits for the
 * others at most GATHER_WAIT_MS. Returns the request, to be unreferenced.
 */
static struct gather *gather_run(uintptr_t kill)
{
	struct gather *g = xcalloc(1, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->kill = kill;
	g->refs = 1;
	for (int i = 0; i < rt.nbthread; i++) {
		if (i == curthr->id)
			continue;
		g->mails[i].g = g;
		g->mails[i].m.cb = gather_mail_cb;
		g->pending++;
		g->refs++;
	}
	for (int i = 0; i < rt.nbthread; i++)
		if (i != curthr->id)
			mail_post(&rt.threads[i], &g->mails[i].m);
	gather_here(g);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += GATHER_WAIT_MS / 1000;
	rcu_thread_offline(); /* no grace period waits for us meanwhile */
	pthread_mutex_lock(&g->lock);
	while (g->pending > 0)
		if (pthread_cond_timedwait(&g->cond, &g->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&g->lock);
	rcu_thread_online();
	return g;
}

/* "show sess": one line per stream of every thread. */
static void cmd_show_sess(struct cli_conn *c, char **args, int nargs)
{
	if (nargs > 2) {
		cli_printf(c,
		           "'show sess %s' is not supported: only the list of streams "
		           "('show sess' alone) is.\n",
		           args[2]);
		return;
	}
	struct gather *g = gather_run(0);
	struct strbuf all = {0};
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < rt.nbthread; i++)
		if (g->out[i].p)
			sb_put(&all, g->out[i].p, g->out[i].len);
	pthread_mutex_unlock(&g->lock);
	gather_unref(g);
	/* the lines are a copy taken at one instant: sent in pieces */
	if (all.failed)
		cli_printf(c, "Out of memory.\n");
	if (all.len && !all.failed)
		cli_dump_text(c, all.p, all.len);
	else
		sb_free(&all);
}

/* "shutdown session <id>": ends the stream with that id, if any. */
static void cmd_shutdown_session(struct cli_conn *c, char **args, int nargs)
{
	uintptr_t ptr = nargs > 2 ? (uintptr_t)strtoul(args[2], NULL, 0) : 0;
	if (!ptr) {
		cli_printf(c, "Session pointer expected (use 'show sess').\n");
		return;
	}
	struct gather *g = gather_run(ptr);
	pthread_mutex_lock(&g->lock);
	int killed = g->killed;
	pthread_mutex_unlock(&g->lock);
	gather_unref(g);
	if (!killed)
		cli_printf(c, "No such session (use 'show sess').\n");
}

static const struct cli_cmd sess_cmds[] = {
    {{"show", "sess"},
     "show sess [id]",
     "report the list of current sessions or dump this exact session",
     CLI_LEVEL_OPER,
     cmd_show_sess},
    {{"shutdown", "session"},
     "shutdown session [id]",
     "kill a specific session",
     CLI_LEVEL_ADMIN,
     cmd_shutdown_session},
};

CLI_REGISTER(sess_cmds)
