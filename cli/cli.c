#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/units.h"
#include "worker/loop.h"

#define CLI_MAX_LINE 65536
#define CLI_MAX_WORDS 64
#define CLI_MAX_PAYLOAD (64u << 20)

static struct cli_cmd_list *cmd_lists;

void cli_register(struct cli_cmd_list *l)
{
	l->next = cmd_lists;
	cmd_lists = l;
}

struct cli_conn {
	struct ev_handler h;
	int fd;
	int level;
	int prompt;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_cap, out_off;
	int closing;
	int expose_fd;       /* "_getsocks" allowed (expose-fd listeners) */
	int counted;         /* accepted on a stats socket (counts toward stats maxconn) */
	struct timer idle;   /* "stats timeout" */
	uint32_t timeout_ms; /* idle timeout: "stats timeout", or "set timeout cli" */
	/* A command line ending with "<<" waits for its payload: the lines up
	 * to an empty one.
	 */
	char *pending_cmd;
	char *pend_payload;
	size_t pend_len, pend_cap;
	int pend_lines;
	int pend_too_big;    /* the payload passed CLI_MAX_PAYLOAD: refused */
	const char *payload; /* while a command runs: its payload or NULL */
	int no_end;          /* the running command's answer has no empty line after it */
	/* The line being run: its commands left (cut by next_command()) and
	 * the payload of its last command. A line is paused while a dump of
	 * one of its commands is in progress; no other input is read then.
	 */
	int line_on;
	char *line, *line_rest, *line_payload;
	int line_was_prompt, line_had_payload, line_quit;
	/* the dump in progress (cli_dump()), and where its current step began */
	cli_step_fn step;
	void (*step_release)(void *ctx);
	void *step_ctx;
	size_t step_mark;
	struct task resume; /* runs the next step once the output went out */
	int eof;            /* the peer closed its side: close after the last line */
	/* a dump step asked to run again only after a delay (cli_wait()) */
	uint32_t step_delay_ms;
	struct timer wait_t;
};

#define CLI_WAIT_POLL_MS 10

#define CLI_DEFAULT_TIMEOUT_MS 10000
#define CLI_DEFAULT_MAXCONN 10

static uint32_t cli_timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
static int cli_maxconn = CLI_DEFAULT_MAXCONN;
static int cli_active; /* sessions accepted on stats sockets (thread 0 only) */
static void cli_listeners_poll(int on);

int (*cli_getsocks_hook)(int fd);

void cli_printf(struct cli_conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (c->out_len + (size_t)n + 1 > c->out_cap) {
		c->out_cap = (c->out_len + (size_t)n + 1) * 2;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, s, (size_t)n);
	c->out_len += (size_t)n;
	c->out[c->out_len] = 0;
	free(s);
}

void cli_put(struct cli_conn *c, const char *s, size_t len)
{
	if (c->out_len + len + 1 > c->out_cap) {
		c->out_cap = (c->out_len + len + 1) * 2;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, s, len);
	c->out_len += len;
	c->out[c->out_len] = 0;
}

void cli_dump(struct cli_conn *c, cli_step_fn step, void (*release)(void *ctx), void *ctx)
{
	c->step = step;
	c->step_release = release;
	c->step_ctx = ctx;
}

int cli_chunk_full(const struct cli_conn *c)
{
	return c->out_len - c->step_mark >= CLI_CHUNK;
}

struct text_dump {
	char *text;
	size_t len, off;
};

static int text_step(struct cli_conn *c, void *ctx)
{
	struct text_dump *t = ctx;
	size_t n = t->len - t->off < CLI_CHUNK ? t->len - t->off : CLI_CHUNK;
	cli_put(c, t->text + t->off, n);
	t->off += n;
	return t->off == t->len;
}

static void text_release(void *ctx)
{
	struct text_dump *t = ctx;
	free(t->text);
	free(t);
}

void cli_dump_text(struct cli_conn *c, char *text, size_t len)
{
	struct text_dump *t = xcalloc(1, sizeof(*t));
	t->text = text;
	t->len = len;
	cli_dump(c, text_step, text_release, t);
}

/* A waiting command (cli_wait()): its condition, polled as a dump step. */
struct wait_dump {
	cli_wait_fn fn;
	void *arg;
	uint64_t until; /* monotonic ms */
};

/* Polls the condition; a scratch session (no socket, cli_execute_line())
 * cannot wait: the delay counts as expired at once.
 */
static int wait_step(struct cli_conn *c, void *ctx)
{
	struct wait_dump *w = ctx;
	int expired = c->fd < 0 || curthr->now_ms >= w->until;
	if (w->fn(c, w->arg, expired))
		return 1;
	uint64_t left = w->until - curthr->now_ms;
	c->step_delay_ms = left < CLI_WAIT_POLL_MS ? (uint32_t)left : CLI_WAIT_POLL_MS;
	return 0;
}

static void wait_release(void *ctx)
{
	struct wait_dump *w = ctx;
	free(w->arg);
	free(w);
}

void cli_wait(struct cli_conn *c, uint32_t delay_ms, cli_wait_fn fn, void *arg)
{
	struct wait_dump *w = xcalloc(1, sizeof(*w));
	w->fn = fn;
	w->arg = arg;
	w->until = curthr->now_ms + delay_ms;
	cli_dump(c, wait_step, wait_release, w);
}

/* Runs one step of the dump in progress; returns 1 when it ended. */
static int dump_step(struct cli_conn *c)
{
	c->step_mark = c->out_len;
	if (!c->step(c, c->step_ctx))
		return 0;
	if (c->step_release)
		c->step_release(c->step_ctx);
	c->step = NULL;
	c->step_release = NULL;
	c->step_ctx = NULL;
	return 1;
}

/* Ends a dump in the middle (the session goes away). */
static void dump_abort(struct cli_conn *c)
{
	if (c->step && c->step_release)
		c->step_release(c->step_ctx);
	c->step = NULL;
}

/* Finds the command whose words prefix <args>. */
static const struct cli_cmd *find_cmd(char **args, int nargs)
{
	const struct cli_cmd *best = NULL;
	int best_w = 0;
	for (struct cli_cmd_list *l = cmd_lists; l; l = l->next) {
		for (size_t i = 0; i < l->count; i++) {
			const struct cli_cmd *cmd = &l->cmds[i];
			int w = 0;
			while (w < 4 && cmd->words[w] && w < nargs &&
			       !strcmp(cmd->words[w], args[w]))
				w++;
			if (w < 4 && cmd->words[w])
				continue;
			if (w > best_w) {
				best = cmd;
				best_w = w;
			}
		}
	}
	return best;
}

/* Lists the commands usable at the connection's level. */
static void print_help(struct cli_conn *c, int unknown)
{
	if (unknown)
		cli_printf(c,
		           "Unknown command. Please enter one of the following commands only :\n");
	else
		cli_printf(c, "The following commands are valid at this level:\n");
	for (struct cli_cmd_list *l = cmd_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++)
			if (l->cmds[i].level <= c->level && l->cmds[i].usage)
				cli_printf(c, "  %-39s : %s\n", l->cmds[i].usage, l->cmds[i].help);
}

/* Removes the backslashes of word <w> in place: "\\" stands for one
 * backslash, "\x" for "x".
 */
static void unescape_word(char *w)
{
	size_t j = 0;
	for (size_t k = 0; w[k]; k++) {
		if (w[k] == '\\' && w[k + 1])
			k++;
		else if (w[k] == '\\')
			continue;
		w[j++] = w[k];
	}
	w[j] = 0;
}

/* Splits <line> on blanks into <args> as HAProxy does: a backslash
 * protects the next character (a blank stays in the word). Returns the
 * word count.
 */
static int split_words(char *line, char **args)
{
	int n = 0;
	char *p = line;
	while (n < CLI_MAX_WORDS) {
		p += strspn(p, " \t\r");
		if (!*p)
			break;
		args[n++] = p;
		for (;;) {
			p += strcspn(p, " \t\r\\");
			if (*p != '\\')
				break;
			if (!*++p || !*++p)
				break;
		}
		int last = !*p;
		*p = 0;
		unescape_word(args[n - 1]);
		if (last)
			break;
		p++;
	}
	return n;
}

/* The next command of <*pp>, up to an unescaped ';' (cut there), or NULL
 * at the end.
 */
static char *next_command(char **pp)
{
	char *start = *pp, *p = start;
	if (!start)
		return NULL;
	while (*p && *p != ';')
		p += (*p == '\\' && p[1]) ? 2 : 1;
	*pp = *p ? p + 1 : NULL;
	*p = 0;
	return start;
}

/* Runs one command; returns 1 when the connection must close. */
static int run_command(struct cli_conn *c, char *text)
{
	char *args[CLI_MAX_WORDS + 1];
	int nargs = split_words(text, args);
	if (!nargs)
		return 0;
	if (!strcmp(args[0], "quit"))
		return 1;
	if (!strcmp(args[0], "prompt")) {
		c->prompt = !c->prompt;
		return 0;
	}
	if (!strcmp(args[0], "help")) {
		print_help(c, 0);
		return 0;
	}
	const struct cli_cmd *cmd = find_cmd(args, nargs);
	if (!cmd) {
		print_help(c, 1);
		return 0;
	}
	if (cmd->level > c->level) {
		cli_printf(c, "Permission denied\n");
		return 0;
	}
	cmd->fn(c, args, nargs);
	return 0;
}

void cli_no_end_line(struct cli_conn *c)
{
	c->no_end = 1;
}

const char *cli_payload(const struct cli_conn *c)
{
	return c->payload;
}

int cli_execute_line(const char *line, int level, int *prompt, char **out)
{
	/* commands write to a scratch session whose prompt mode is copied back */
	struct cli_conn c = {.fd = -1, .level = level, .prompt = prompt ? *prompt : 0};
	char *copy = xstrdup(line);
	char *rest = copy, *cmd;
	int quit = 0;
	while (!quit && (cmd = next_command(&rest))) {
		c.no_end = 0;
		quit = run_command(&c, cmd);
		while (c.step && !dump_step(&c))
			; /* no session to wait for: the dump runs whole */
		if (!quit && !c.prompt && !c.no_end)
			cli_printf(&c, "\n");
	}
	free(copy);
	if (prompt)
		*prompt = c.prompt;
	*out = c.out ? c.out : xstrdup("");
	return quit;
}

static void line_clear(struct cli_conn *c)
{
	free(c->line);
	free(c->line_payload);
	c->line = c->line_rest = c->line_payload = NULL;
	c->line_on = 0;
}

static void cli_conn_free(struct cli_conn *c)
{
	timer_set(&c->idle, 0);
	task_cancel(&c->resume);
	timer_set(&c->wait_t, 0);
	dump_abort(c);
	line_clear(c);
	if (c->counted && cli_active-- >= cli_maxconn)
		cli_listeners_poll(1); /* below the limit again */
	loop_del(c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c->pending_cmd);
	free(c->pend_payload);
	free(c);
}

/* Sends pending output; returns -1 on error. */
static int cli_flush(struct cli_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

/* Whether <line> ends with the word "<<"; if so cuts it off. */
static int cut_payload_mark(char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		n--;
	if (n < 2 || strncmp(line + n - 2, "<<", 2) != 0)
		return 0;
	if (n > 2 && line[n - 3] != ' ' && line[n - 3] != '\t')
		return 0;
	line[n - 2] = 0;
	return 1;
}

/* Appends <line> to the pending payload, a line feed before it unless it
 * is the first line. Past CLI_MAX_PAYLOAD the payload is only counted.
 */
static void payload_append(struct cli_conn *c, const char *line, size_t n)
{
	size_t need = c->pend_len + n + 2;
	if (need > CLI_MAX_PAYLOAD) {
		c->pend_too_big = 1;
		return;
	}
	if (need > c->pend_cap) {
		c->pend_cap = need * 2;
		c->pend_payload = xrealloc(c->pend_payload, c->pend_cap);
	}
	if (c->pend_lines)
		c->pend_payload[c->pend_len++] = '\n';
	memcpy(c->pend_payload + c->pend_len, line, n);
	c->pend_len += n;
	c->pend_payload[c->pend_len] = 0;
}

/* Feeds one received <line> through the payload logic. Returns 1 when a
 * command is ready to run: the line itself (*had_payload = 0) or a
 * pending command whose payload ended with this empty line (1). Returns
 * 0 when the line was kept (a command starting a payload, or a payload
 * line).
 */
static int collect_payload(struct cli_conn *c, char *line, int *had_payload)
{
	if (!c->pending_cmd) {
		if (!cut_payload_mark(line))
			return 1;
		c->pending_cmd = xstrdup(line);
		c->pend_payload = xstrdup("");
		c->pend_len = c->pend_cap = 0;
		c->pend_lines = c->pend_too_big = 0;
		return 0;
	}
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[--n] = 0;
	if (!n) {
		if (!c->pend_lines) { /* HAProxy hands a lone line feed then */
			free(c->pend_payload);
			c->pend_payload = xstrdup("\n");
		}
		*had_payload = 1;
		return 1;
	}
	payload_append(c, line, n);
	c->pend_lines++;
	return 0;
}

/* The line of <c> ran to its end: decides whether the session goes on. */
static void line_end(struct cli_conn *c)
{
	line_clear(c);
	/* as in HAProxy, a session goes on after a command with a payload */
	if (c->line_quit || (!c->line_was_prompt && !c->prompt && !c->line_had_payload))
		c->closing = 1;
	else if (c->prompt)
		cli_printf(c, "\n> ");
	timer_set(&c->idle, curthr->now_ms + c->timeout_ms); /* "set timeout cli" */
}

/* Runs the commands of the current line until it ends or a dump pauses
 * it (then c->line_on stays set and c->step is the dump): at most one
 * step of a dump already in progress per call.
 */
static void line_run(struct cli_conn *c)
{
	int stepped = 0;
	while (c->line_on) {
		if (c->step) {
			if (stepped || !dump_step(c))
				return;
			stepped = 1;
			if (!c->prompt)
				cli_printf(c, "\n");
			continue;
		}
		char *cmd = c->line_quit ? NULL : next_command(&c->line_rest);
		if (!cmd) {
			line_end(c);
			return;
		}
		c->payload = c->line_rest ? NULL : c->line_payload;
		c->no_end = 0;
		c->line_quit = run_command(c, cmd);
		c->payload = NULL;
		if (c->step) { /* the first piece of a dump comes right away */
			stepped = 0;
			continue;
		}
		if (!c->line_quit && !c->prompt && !c->no_end)
			cli_printf(c, "\n");
	}
}

/* Starts running line <text> (copied), with <payload> (taken) for its
 * last command.
 */
static void line_begin(struct cli_conn *c, const char *text, char *payload, int had_payload)
{
	c->line = xstrdup(text);
	c->line_rest = c->line;
	c->line_payload = payload;
	c->line_had_payload = had_payload;
	c->line_was_prompt = c->prompt;
	c->line_quit = 0;
	c->line_on = 1;
	line_run(c);
}

/* Executes complete lines received so far, until one is paused by a dump. */
static void cli_handle_input(struct cli_conn *c)
{
	char *nl;
	if (!c->in)
		return; /* nothing received yet */
	while (!c->closing && !c->line_on && (nl = memchr(c->in, '\n', c->in_len))) {
		*nl = 0;
		size_t used = (size_t)(nl - c->in) + 1;
		if (!strcmp(c->in, "_getsocks") && c->expose_fd && cli_getsocks_hook) {
			/* the peer is a new process taking our sockets over (-x) */
			cli_getsocks_hook(c->fd);
			c->in_len = 0;
			c->closing = 1;
			break;
		}
		int had_payload = 0;
		if (!collect_payload(c, c->in, &had_payload)) {
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			continue;
		}
		char *line = had_payload ? c->pending_cmd : xstrdup(c->in);
		char *payload = had_payload ? c->pend_payload : NULL;
		int too_big = had_payload && c->pend_too_big;
		c->pending_cmd = c->pend_payload = NULL;
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (too_big) {
			cli_printf(c, "Payload larger than %u bytes: command not run.\n\n",
			           CLI_MAX_PAYLOAD);
			free(payload);
			line_begin(c, "", NULL, 1);
		} else {
			line_begin(c, line, payload, had_payload);
		}
		free(line);
	}
}

/* Reads what the peer sent; returns -1 when the session must end. */
static int cli_read(struct cli_conn *c)
{
	char buf[4096];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (c->in_len + (size_t)n > CLI_MAX_LINE)
				return -1;
			c->in = xrealloc(c->in, c->in_len + (size_t)n + 1);
			memcpy(c->in + c->in_len, buf, (size_t)n);
			c->in_len += (size_t)n;
			continue;
		}
		if (n == 0) {
			/* a last command without its LF still runs */
			if (c->in_len && c->in[c->in_len - 1] != '\n' && !c->closing) {
				c->in = xrealloc(c->in, c->in_len + 2);
				c->in[c->in_len++] = '\n';
			}
			c->eof = 1;
			return 0;
		}
		return errno == EAGAIN ? 0 : -1;
	}
}

/* Moves session <c> on: sends what waits, runs the next step of a dump
 * once its previous piece went out, reads and runs the next lines when
 * no line is paused. A paused line whose output all went out is resumed
 * at the next loop turn; one whose output waits resumes when the socket
 * is writable again (EPOLLOUT).
 */
static void cli_progress(struct cli_conn *c)
{
	if (cli_flush(c) < 0) {
		cli_conn_free(c);
		return;
	}
	if (c->line_on && c->out_len == 0) {
		line_run(c);
		timer_set(&c->idle, curthr->now_ms + c->timeout_ms);
	}
	if (!c->line_on && !c->eof && cli_read(c) < 0) {
		cli_conn_free(c);
		return;
	}
	cli_handle_input(c);
	if (c->eof && !c->line_on)
		c->closing = 1;
	if (cli_flush(c) < 0 || (c->closing && !c->line_on && c->out_len == 0)) {
		cli_conn_free(c);
		return;
	}
	if (c->line_on && c->out_len == 0) {
		if (c->step_delay_ms) { /* a waiting command polls again later */
			timer_set(&c->wait_t, curthr->now_ms + c->step_delay_ms);
			c->step_delay_ms = 0;
		} else {
			task_wakeup(&c->resume);
		}
	}
}

static void cli_wait_cb(struct timer *t)
{
	cli_progress(caa_container_of(t, struct cli_conn, wait_t));
}

static void cli_resume_cb(struct task *t)
{
	cli_progress(caa_container_of(t, struct cli_conn, resume));
}

/* An idle session reached "stats timeout". */
static void cli_idle_cb(struct timer *t)
{
	cli_conn_free(caa_container_of(t, struct cli_conn, idle));
}

static void cli_conn_cb(struct ev_handler *h, uint32_t ev)
{
	struct cli_conn *c = caa_container_of(h, struct cli_conn, h);
	timer_set(&c->idle, curthr->now_ms + c->timeout_ms);
	cli_progress(c);
}

struct cli_listener {
	struct ev_handler h;
	int fd;
	int level;
	int polled;
	int expose_fd;
};
static struct cli_listener *cli_lsts;
static int nb_cli_lsts;

/* Serves a session on <fd>; <expose> allows "_getsocks". */
static struct cli_conn *last_adopted;

static _Atomic uint64_t cli_sessions;

uint64_t cli_sessions_total(void)
{
	return atomic_load(&cli_sessions);
}

static void cli_adopt_ex(int fd, int level, int expose)
{
	atomic_fetch_add(&cli_sessions, 1);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct cli_conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->level = level;
	c->expose_fd = expose;
	c->h.cb = cli_conn_cb;
	c->resume.cb = cli_resume_cb;
	timer_init(&c->idle, cli_idle_cb);
	timer_init(&c->wait_t, cli_wait_cb);
	c->timeout_ms = cli_timeout_ms;
	timer_set(&c->idle, curthr->now_ms + c->timeout_ms);
	last_adopted = NULL;
	if (loop_add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->h) < 0) {
		cli_conn_free(c);
		return;
	}
	last_adopted = c;
}

void cli_adopt(int fd, int level)
{
	cli_adopt_ex(fd, level, 0);
}

static void cli_accept_cb(struct ev_handler *h, uint32_t ev)
{
	struct cli_listener *l = caa_container_of(h, struct cli_listener, h);
	for (int i = 0; i < 16; i++) {
		if (cli_active >= cli_maxconn) {
			cli_listeners_poll(0); /* the rest waits in the backlog */
			return;
		}
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		cli_active++;
		cli_adopt_ex(fd, l->level, l->expose_fd);
		/* the newest session is the last one of the list */
		if (last_adopted)
			last_adopted->counted = 1;
	}
}

/* Binds one stats socket. */
static int cli_bind_one(const struct stats_socket_cfg *sc)
{
	const struct hl_addr *a = &sc->bind.addr;
	int fd =
	    a->kind == ADDR_FD ? a->fd : socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (a->kind == ADDR_UNIX)
		unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
	if (a->kind != ADDR_FD) {
		int one = 1;
		if (a->kind != ADDR_UNIX)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) < 0) {
			close(fd);
			return -1;
		}
	}
	if (a->kind == ADDR_UNIX) {
		const char *path = ((const struct sockaddr_un *)&a->ss)->sun_path;
		if (sc->bind.ux_mode >= 0)
			chmod(path, (mode_t)sc->bind.ux_mode);
		if (sc->bind.ux_uid_set || sc->bind.ux_gid_set)
			if (chown(path, sc->bind.ux_uid_set ? sc->bind.ux_uid : (uid_t)-1,
			          sc->bind.ux_gid_set ? sc->bind.ux_gid : (gid_t)-1) < 0)
				return -1;
	}
	if (listen(fd, 64) < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

int cli_bind_all(const struct config *cfg)
{
	if (cfg->global.stats_timeout)
		cli_timeout_ms = cfg->global.stats_timeout;
	if (cfg->global.stats_maxconn)
		cli_maxconn = cfg->global.stats_maxconn;
	int n = 0;
	for (const struct stats_socket_cfg *sc = cfg->global.stats_sockets; sc; sc = sc->next)
		n++;
	cli_lsts = xcalloc((size_t)n + 1, sizeof(*cli_lsts));
	for (const struct stats_socket_cfg *sc = cfg->global.stats_sockets; sc; sc = sc->next) {
		char abuf[160];
		int fd = cli_bind_one(sc);
		if (fd < 0) {
			ha_alert("Starting frontend GLOBAL: cannot bind stats socket [%s]: %s\n",
			         addr_to_str(&sc->bind.addr, abuf, sizeof(abuf)), strerror(errno));
			return -1;
		}
		cli_lsts[nb_cli_lsts].fd = fd;
		cli_lsts[nb_cli_lsts].level = sc->level;
		cli_lsts[nb_cli_lsts].expose_fd = sc->expose_fd;
		cli_lsts[nb_cli_lsts].h.cb = cli_accept_cb;
		nb_cli_lsts++;
	}
	return 0;
}

/* Starts or stops polling the stats sockets (thread 0). */
static void cli_listeners_poll(int on)
{
	for (int i = 0; i < nb_cli_lsts; i++) {
		if (on && !cli_lsts[i].polled &&
		    loop_add(cli_lsts[i].fd, EPOLLIN, &cli_lsts[i].h) == 0)
			cli_lsts[i].polled = 1;
		else if (!on && cli_lsts[i].polled) {
			loop_del(cli_lsts[i].fd);
			cli_lsts[i].polled = 0;
		}
	}
}

void cli_enable_thread(void)
{
	for (int i = 0; i < nb_cli_lsts; i++)
		if (!cli_lsts[i].polled && loop_add(cli_lsts[i].fd, EPOLLIN, &cli_lsts[i].h) == 0)
			cli_lsts[i].polled = 1;
}

void cli_disable_thread(void)
{
	if (!curthr || curthr->id != 0) /* the listeners are thread 0's */
		return;
	for (int i = 0; i < nb_cli_lsts; i++) {
		if (cli_lsts[i].polled) {
			loop_del(cli_lsts[i].fd);
			cli_lsts[i].polled = 0;
		}
	}
}

/* set timeout cli <delay>: the idle timeout of this session only, in
 * seconds unless a unit is given, with HAProxy's answers.
 */
static void cmd_set_timeout(struct cli_conn *c, char **args, int nargs)
{
	if (nargs < 3 || strcmp(args[2], "cli") != 0) {
		cli_printf(c, "'set timeout' only supports 'cli'.\n");
		return;
	}
	if (nargs < 4 || !*args[3]) {
		cli_printf(c, "Expects an integer value.\n");
		return;
	}
	/* a bare number is in seconds, a unit may say otherwise */
	const char *v = args[3];
	int bare = v[strspn(v, "0123456789")] == 0;
	uint64_t val = 0;
	enum parse_status st = parse_time(v, bare ? TIME_BASE_S : TIME_BASE_MS,
	                                  bare ? TIME_MAX_MS / 1000 : TIME_MAX_MS, &val, NULL);
	if (st != PARSE_OK || val == 0) {
		cli_printf(c, "Invalid timeout value.\n");
		return;
	}
	c->timeout_ms = (uint32_t)(bare ? val * 1000 : val); /* applied by the session */
}

static const struct cli_cmd session_cmds[] = {
    {{"set", "timeout"},
     "set timeout [cli] <delay>",
     "change a timeout setting",
     CLI_LEVEL_USER,
     cmd_set_timeout},
};
CLI_REGISTER(session_cmds)
