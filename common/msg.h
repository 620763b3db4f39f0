/* Operator-facing messages on stderr, in the HAProxy layout:
 *   [NOTICE]   (pid) : text
 *   [WARNING]  (pid) : text
 *   [ALERT]    (pid) : text
 * Every message is also appended to the startup log buffer (show startup-logs).
 * Any thread may emit messages.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>

enum msg_level { MSG_DIAG, MSG_NOTICE, MSG_WARNING, MSG_ALERT };

struct msg_state {
	unsigned alerts;   /* alerts emitted since start */
	unsigned warnings; /* warnings emitted since start */
	int quiet;         /* -q: suppress notices and warnings on stderr */
	int diag;          /* -dD: print diagnostics */
	/* called once, before the first warning or alert is shown */
	void (*preamble)(void);
};

extern struct msg_state msg_state;

void ha_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ha_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ha_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ha_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Emits one message at <level>; <fmt> is expected to end with "\n". */
void msg_emit(enum msg_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same as msg_emit() with a va_list. */
void ha_vmsg(enum msg_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Startup log: everything emitted so far, NUL-terminated (never NULL). */
const char *startup_logs(void);
/* A copy of it (to free), safe while other threads emit messages. */
char *startup_logs_dup(void);
void startup_logs_reset(void);
