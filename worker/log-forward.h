/* "log-forward" sections at run time: syslog messages received over UDP
 * (dgram-bind) or TCP (bind, with octet counting or newline framing, RFC
 * 6587) are parsed (RFC 3164 or RFC 5424 headers) and sent again to the
 * section's log targets. A target without an explicit "format" gets the
 * message unchanged; one with a format gets it rewritten in that format,
 * keeping the sender's priority, date, host, tag and pid where the format
 * has room for them. Served by worker thread 0.
 */
#pragma once
#include <stddef.h>

struct log_target;

struct syslog_span {
	const char *p;
	size_t n;
};

/* A received syslog message, cut into the parts of its header. */
struct syslog_msg {
	int pri;  /* -1 when the message has none */
	int kind; /* 0: no header, 3164, 5424 */
	struct syslog_span ts, host, app, pid, msgid, sd, msg;
	struct syslog_span whole; /* the message as received, without trailing newlines */
};

/* Cuts <buf> (<len> bytes) into <m>; never fails (what is not a header is
 * the message).
 */
void syslog_parse(const char *buf, size_t len, struct syslog_msg *m);

/* Builds the line <m> becomes for target <t> into <out> (at least 4096
 * bytes for the header; the message part is referenced, not copied):
 * returns the header length and sets *body to the rest. Returns -1 when the
 * target does not take the message's level.
 */
long syslog_rewrite(const struct log_target *t, const struct syslog_msg *m, char *out,
                    struct syslog_span *body);

/* Opens the listening sockets of every log-forward section; 0 or -1
 * (alerted). Runs before the worker threads start.
 */
int log_forward_bind_all(void);

/* Starts serving them (thread 0 only). */
void log_forward_start_thread(void);
