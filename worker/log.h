/* Sending log lines to the "log" targets of the configuration.
 *
 * Sending never blocks a worker thread: each thread has its own
 * non-blocking datagram sockets, and a line that a target cannot take at
 * once (full socket buffer, no listener...) is dropped and counted in
 * log_dropped ("DroppedLogs" in "show info").
 *
 * Inside a worker loop, lines for datagram targets (UDP, unix) are queued in
 * per-thread, per-target batches and sent with one sendmmsg() per target at
 * the end of the loop turn, or as soon as a batch is full (64 lines or
 * 64 KiB); each line stays one datagram, the order per target and thread is
 * kept, and lines the socket cannot take are dropped and counted. Elsewhere
 * (master, start-up, other threads) lines go at once.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/log.h"

/* Syslog severities. */
enum {
	LOG_LVL_EMERG = 0,
	LOG_LVL_ALERT,
	LOG_LVL_CRIT,
	LOG_LVL_ERR,
	LOG_LVL_WARNING,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

extern _Atomic uint64_t log_dropped;

/* Set by the worker loop on its thread while it runs: datagram lines are
 * batched until log_flush_thread().
 */
extern __thread int log_batching;

/* Sends the lines batched by the calling thread (end of a loop turn). */
void log_flush_thread(void);

/* Sends the thread's pending lines and frees its batches (thread exit). */
void log_free_thread(void);

/* Sends message <msg> (<len> bytes, no trailing newline) at <level> to
 * each target of <targets> that accepts the level, framed by the target's
 * format with <tag>; <sd> is the rfc5424 structured data (NULL: "-").
 */
void log_send(const struct log_target *targets, int level, const char *tag, const char *sd,
              size_t sdlen, const char *msg, size_t len);

struct proxy;

/* Formats a message and sends it to the targets of <px> (the global ones
 * when <px> is NULL), with its tag.
 */
void log_px_printf(const struct proxy *px, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An event of proxy <px> (server state changes...): shown on stderr at
 * <msg_lvl> (enum msg_level of common/msg.h) and sent to the proxy's log
 * targets at syslog <level>. <fmt> ends with "\n" like stderr messages.
 */
void log_event(const struct proxy *px, int level, int msg_lvl, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether target <t> takes a line of <level> (its level filter and its
 * sampling): the level to send it at (capped by its minimum), or -1.
 */
int log_target_level(const struct log_target *t, int level);

/* The header layout of <t>: its own, or its ring's; *format_set tells
 * whether it was chosen explicitly.
 */
enum log_format log_effective_format(const struct log_target *t, int *format_set);

/* Sends one line made of <hdr> and <msg> to <t> (a newline is added for
 * datagram and fd targets), truncated to the target's length; a line that
 * cannot go at once is dropped and counted.
 */
void log_deliver(const struct log_target *t, const char *hdr, size_t hlen, const char *msg,
                 size_t len);

/* Builds the header of a line for <t> at <level> into <out> (at least 512
 * bytes); returns its length. Exposed for the tests.
 */
size_t log_build_header(const struct log_target *t, int level, const char *tag, const char *sd,
                        size_t sdlen, char *out);
