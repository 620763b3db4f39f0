#include "common/msg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct msg_state msg_state;

/* Messages come from every worker thread (state changes of servers, "no
 * server available"...): the preamble, the counters and the startup log
 * are updated under this lock. Recursive: the preamble emits messages.
 * Messages are rare events, never one per request.
 */
static pthread_mutex_t msg_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static char *slog_buf;
static size_t slog_len, slog_cap;

/* Appends <len> bytes to the startup log, growing it up to 1 MiB. */
static void startup_log_append(const char *s, size_t len)
{
	if (slog_len + len + 1 > slog_cap) {
		size_t ncap = slog_cap ? slog_cap * 2 : 4096;
		while (ncap < slog_len + len + 1)
			ncap *= 2;
		if (ncap > (1u << 20))
			return;
		char *n = realloc(slog_buf, ncap);
		if (!n)
			return;
		slog_buf = n;
		slog_cap = ncap;
	}
	memcpy(slog_buf + slog_len, s, len);
	slog_len += len;
	slog_buf[slog_len] = 0;
}

const char *startup_logs(void)
{
	return slog_buf ? slog_buf : "";
}

char *startup_logs_dup(void)
{
	pthread_mutex_lock(&msg_lock);
	char *copy = strdup(startup_logs());
	pthread_mutex_unlock(&msg_lock);
	return copy;
}

void startup_logs_reset(void)
{
	pthread_mutex_lock(&msg_lock);
	slog_len = 0;
	if (slog_buf)
		slog_buf[0] = 0;
	pthread_mutex_unlock(&msg_lock);
}

void ha_vmsg(enum msg_level level, const char *fmt, va_list ap)
{
	static const char *const tags[] = {
	    [MSG_DIAG] = "[DIAG]     ",
	    [MSG_NOTICE] = "[NOTICE]   ",
	    [MSG_WARNING] = "[WARNING]  ",
	    [MSG_ALERT] = "[ALERT]    ",
	};
	char body[8192];
	char line[8400];
	int n;

	vsnprintf(body, sizeof(body), fmt, ap);
	n = snprintf(line, sizeof(line), "%s(%d) : %s", tags[level], (int)getpid(), body);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;

	pthread_mutex_lock(&msg_lock);
	if (level >= MSG_WARNING && msg_state.preamble) {
		void (*pre)(void) = msg_state.preamble;
		msg_state.preamble = NULL;
		pre();
	}
	startup_log_append(line, n);
	if (level == MSG_ALERT)
		msg_state.alerts++;
	else if (level == MSG_WARNING)
		msg_state.warnings++;
	if ((level != MSG_DIAG || msg_state.diag) && (!msg_state.quiet || level == MSG_ALERT)) {
		fwrite(line, 1, n, stderr);
		fflush(stderr);
	}
	pthread_mutex_unlock(&msg_lock);
}

#define DEFINE_MSG_FN(fn, lvl)                                                                     \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		ha_vmsg(lvl, fmt, ap);                                                             \
		va_end(ap);                                                                        \
	}

void msg_emit(enum msg_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ha_vmsg(level, fmt, ap);
	va_end(ap);
}

DEFINE_MSG_FN(ha_alert, MSG_ALERT)
DEFINE_MSG_FN(ha_warning, MSG_WARNING)
DEFINE_MSG_FN(ha_notice, MSG_NOTICE)
DEFINE_MSG_FN(ha_diag, MSG_DIAG)
