/* The command line interface served on "stats socket" addresses: line
 * protocol, levels, one-shot and prompt modes, and a registry of commands
 * that each module fills from its own file (DESIGN.md §5).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "conf/model-t.h"

#define CLI_LEVEL_USER 0
#define CLI_LEVEL_OPER 1
#define CLI_LEVEL_ADMIN 2

struct cli_conn;

struct cli_cmd {
	const char *words[4]; /* keyword words, e.g. {"show", "info"} */
	const char *usage;    /* as listed by "help" */
	const char *help;
	int level;            /* minimum level */
	/* Runs the command; appends output with cli_printf(). */
	void (*fn)(struct cli_conn *c, char **args, int nargs);
};

struct cli_cmd_list {
	const struct cli_cmd *cmds;
	size_t count;
	struct cli_cmd_list *next;
};

void cli_register(struct cli_cmd_list *l);

#define CLI_REGISTER(table)                                                                        \
	static struct cli_cmd_list table##_list = {table, sizeof(table) / sizeof(table[0]), 0};    \
	__attribute__((constructor)) static void table##_register(void)                            \
	{                                                                                          \
		cli_register(&table##_list);                                                       \
	}

/* Appends formatted output to the connection's response. */
void cli_printf(struct cli_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends <len> bytes of <s> to the connection's response. */
void cli_put(struct cli_conn *c, const char *s, size_t len);

/* Long answers are produced in pieces so that the worker thread serving
 * the session goes on serving traffic meanwhile. A command calls
 * cli_dump() and returns; the session then calls <step> once right away
 * and again each time the output it produced has been sent (at most one
 * call per event-loop turn), until <step> returns 1. <step> appends output
 * until cli_chunk_full() says the piece is big enough (at least one unit,
 * e.g. one row, per call while rows remain) and returns 0 if more
 * follows. <release> frees <ctx> at the end, or when the session goes away
 * in the middle. The dump runs over several loop turns, which are RCU
 * quiescent states: <ctx> must keep no pointer obtained from an RCU
 * read-side section (see docs/architecture.md, "Dumps over several loop
 * turns").
 */
typedef int (*cli_step_fn)(struct cli_conn *c, void *ctx);
void cli_dump(struct cli_conn *c, cli_step_fn step, void (*release)(void *ctx), void *ctx);
/* Whether the current step has appended a piece's worth (CLI_CHUNK). */
int cli_chunk_full(const struct cli_conn *c);
/* Sends allocated <text> of <len> bytes in pieces, then free()s it. */
void cli_dump_text(struct cli_conn *c, char *text, size_t len);
#define CLI_CHUNK 16384

/* Polls the condition of a waiting command: prints its outcome with
 * cli_printf() and returns 1 when done, else 0 to be called again; when
 * <expired> it must end (1).
 */
typedef int (*cli_wait_fn)(struct cli_conn *c, void *arg, int expired);

/* Suspends the session after the running command, for <delay_ms> at most:
 * <fn> is called every few milliseconds until it reports done; the rest of
 * the command line runs afterwards. <arg> (allocated) is freed by the CLI.
 * Where no session can wait (cli_execute_line()), <fn> is called once
 * at once as if the delay had expired.
 */
void cli_wait(struct cli_conn *c, uint32_t delay_ms, cli_wait_fn fn, void *arg);

/* The answer of the running command ends without the empty line that
 * ends answers outside prompt mode (HAProxy omits it after a few errors).
 */
void cli_no_end_line(struct cli_conn *c);

/* The payload of the running command (the lines after a command ending
 * with "<<", up to an empty line, joined with line feeds), or NULL.
 */
const char *cli_payload(const struct cli_conn *c);

/* Runs one command line (commands separated by ';') at <level> and appends
 * the output into an allocated string *<out>. Used by connections and tests.
 * Returns 1 if a command asked to close ("quit"), else 0.
 */
int cli_execute_line(const char *line, int level, int *prompt, char **out);

/* Sends the listening sockets to the peer of CLI session socket <fd> (the
 * "_getsocks" command of sessions on an "expose-fd listeners" socket); set
 * by the module that owns the listeners. Returns 0 or -1.
 */
extern int (*cli_getsocks_hook)(int fd);

/* Serves a CLI session on the connected socket <fd> (current thread). */
void cli_adopt(int fd, int level);

/* CLI sessions served since the start (stats sockets and the master's). */
uint64_t cli_sessions_total(void);

/* Binds the stats sockets of <cfg>; 0 or -1 (alerted). */
int cli_bind_all(const struct config *cfg);
/* Starts/stops accepting CLI connections on the current thread. */
void cli_enable_thread(void);
void cli_disable_thread(void);
