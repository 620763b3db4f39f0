/* Syslog relay of "log-forward" sections (see worker/log-forward.h). */
#include "worker/log-forward.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/log.h"
#include "worker/log.h"
#include "worker/loop.h"

#define FWD_MSG_MAX 65536
#define FWD_IO_EVENTS (EPOLLIN | EPOLLRDHUP | EPOLLET)

/* Parsing */

static struct syslog_span span(const char *p, size_t n)
{
	return (struct syslog_span){p, n};
}

/* The next space-separated word of [*p, end); advances *p past one space. */
static struct syslog_span next_word(const char **p, const char *end)
{
	const char *s = *p, *e = s;
	while (e < end && *e != ' ')
		e++;
	*p = e < end ? e + 1 : e;
	return span(s, (size_t)(e - s));
}

static int is_3164_date(const char *p, const char *end)
{
	return end - p >= 16 && p[3] == ' ' && p[6] == ' ' && p[9] == ':' && p[12] == ':' &&
	       p[15] == ' ' && p[0] >= 'A' && p[0] <= 'Z';
}

/* "app[pid]:" or "app:" */
static int is_tag(struct syslog_span w)
{
	return w.n && (w.p[w.n - 1] == ':' || memchr(w.p, '[', w.n));
}

static void parse_tag(struct syslog_span w, struct syslog_msg *m)
{
	const char *br = memchr(w.p, '[', w.n), *end = w.p + w.n;
	if (end > w.p && end[-1] == ':')
		end--;
	m->app = span(w.p, (size_t)((br ? br : end) - w.p));
	if (br) {
		const char *close = memchr(br, ']', (size_t)(end - br));
		m->pid = span(br + 1, (size_t)((close ? close : end) - br - 1));
	}
}

static void parse_3164(const char *p, const char *end, struct syslog_msg *m)
{
	if (!is_3164_date(p, end)) {
		m->msg = span(p, (size_t)(end - p));
		return;
	}
	m->kind = 3164;
	m->ts = span(p, 15);
	p += 16;
	const char *save = p;
	struct syslog_span w = next_word(&p, end);
	if (!is_tag(w)) { /* a host name, then the tag */
		struct syslog_span t = next_word(&p, end);
		if (!is_tag(t)) { /* no tag: all that follows the date is the message */
			m->msg = span(save, (size_t)(end - save));
			return;
		}
		m->host = w;
		w = t;
	}
	parse_tag(w, m);
	m->msg = span(p, (size_t)(end - p));
}

/* Structured data: "-" or one or more "[...]" blocks (\] escapes). */
static struct syslog_span parse_sd(const char **p, const char *end)
{
	const char *s = *p, *e = s;
	if (e < end && *e == '-')
		e++;
	while (e < end && *e == '[') {
		e++;
		while (e < end && *e != ']')
			e += (*e == '\\' && e + 1 < end) ? 2 : 1;
		if (e < end)
			e++;
	}
	*p = e < end && *e == ' ' ? e + 1 : e;
	return span(s, (size_t)(e - s));
}

static void parse_5424(const char *p, const char *end, struct syslog_msg *m)
{
	m->kind = 5424;
	m->ts = next_word(&p, end);
	m->host = next_word(&p, end);
	m->app = next_word(&p, end);
	m->pid = next_word(&p, end);
	m->msgid = next_word(&p, end);
	m->sd = parse_sd(&p, end);
	m->msg = span(p, (size_t)(end - p));
}

void syslog_parse(const char *buf, size_t len, struct syslog_msg *m)
{
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == 0))
		len--;
	memset(m, 0, sizeof(*m));
	m->pri = -1;
	m->whole = span(buf, len);
	const char *p = buf, *end = buf + len;
	if (p < end && *p == '<') {
		int v = 0, digits = 0;
		const char *q = p + 1;
		while (q < end && *q >= '0' && *q <= '9' && digits < 3)
			v = v * 10 + (*q++ - '0'), digits++;
		if (digits && q < end && *q == '>' && v < 192) {
			m->pri = v;
			p = q + 1;
		}
	}
	if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
		parse_5424(p + 2, end, m);
	else
		parse_3164(p, end, m);
}

/* Rewriting */

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int present(struct syslog_span s)
{
	return s.n && !(s.n == 1 && s.p[0] == '-');
}

static size_t put_span(char *out, struct syslog_span s, const char *dflt)
{
	if (!present(s))
		return (size_t)sprintf(out, "%s", dflt);
	size_t n = s.n < 255 ? s.n : 255;
	memcpy(out, s.p, n);
	return n;
}

/* The local time now, as "2026-12-06T02:51:54.020975+00:00". */
static size_t iso_now(char *out)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	long off = tm.tm_gmtoff / 60, a = off < 0 ? -off : off;
	return n + (size_t)sprintf(out + n, ".%06ld%c%02ld:%02ld", ts.tv_nsec / 1000,
	                           off < 0 ? '-' : '+', a / 60 % 100, a % 60);
}

/* The message's date in RFC 5424 form (converted from RFC 3164 with this
 * year and an unknown offset, as HAProxy writes it), else now.
 */
static size_t ts_5424(const struct syslog_msg *m, char *out)
{
	if (m->kind == 5424 && present(m->ts))
		return put_span(out, m->ts, "-");
	if (m->kind != 3164)
		return iso_now(out);
	int mon = 0;
	while (mon < 12 && memcmp(months[mon], m->ts.p, 3))
		mon++;
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	int day = atoi(m->ts.p + 4);
	return (size_t)sprintf(out, "%04d-%02d-%02dT%.8s-00:00", tm.tm_year + 1900, mon % 12 + 1,
	                       day, m->ts.p + 7);
}

/* The value of two decimal digits at <p>, or -1. */
static int two_digits(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* The message's date in RFC 3164 form, else now. */
static size_t ts_3164(const struct syslog_msg *m, char *out)
{
	if (m->kind == 3164)
		return put_span(out, m->ts, "-");
	if (m->kind == 5424 && m->ts.n >= 19 && m->ts.p[4] == '-' && m->ts.p[10] == 'T') {
		int mon = two_digits(m->ts.p + 5), day = two_digits(m->ts.p + 8);
		if (mon >= 1 && mon <= 12 && day >= 1 && day <= 31)
			return (size_t)sprintf(out, "%s %2d %.8s", months[mon - 1], day,
			                       m->ts.p + 11);
	}
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	return strftime(out, 32, "%b %e %H:%M:%S", &tm);
}

/* "<PRI>Mmm dd hh:mm:ss host tag[pid]: " (the host left out with <local>) */
static size_t hdr_3164(const struct syslog_msg *m, int pri, int local, char *out)
{
	size_t n = (size_t)sprintf(out, "<%d>", pri);
	n += ts_3164(m, out + n);
	out[n++] = ' ';
	if (!local) {
		n += put_span(out + n, m->host, "localhost");
		out[n++] = ' ';
	}
	if (present(m->app)) {
		n += put_span(out + n, m->app, "");
		if (present(m->pid)) {
			out[n++] = '[';
			n += put_span(out + n, m->pid, "");
			out[n++] = ']';
		}
		out[n++] = ':';
		out[n++] = ' ';
	}
	return n;
}

/* "<PRI>1 ts host app pid msgid sd " */
static size_t hdr_5424(const struct syslog_msg *m, int pri, char *out)
{
	size_t n = (size_t)sprintf(out, "<%d>1 ", pri);
	n += ts_5424(m, out + n);
	const struct syslog_span *f[] = {&m->host, &m->app, &m->pid, &m->msgid};
	for (size_t i = 0; i < 4; i++) {
		out[n++] = ' ';
		n += put_span(out + n, *f[i], "-");
	}
	out[n++] = ' ';
	if (present(m->sd)) {
		size_t k = m->sd.n < 1024 ? m->sd.n : 1024;
		memcpy(out + n, m->sd.p, k);
		n += k;
	} else {
		out[n++] = '-';
	}
	out[n++] = ' ';
	return n;
}

long syslog_rewrite(const struct log_target *t, const struct syslog_msg *m, char *out,
                    struct syslog_span *body)
{
	int level = m->pri >= 0 ? m->pri & 7 : LOG_LVL_NOTICE;
	level = log_target_level(t, level);
	if (level < 0)
		return -1;
	int facility = m->pri >= 0 ? m->pri >> 3 : t->facility;
	int pri = facility * 8 + level, format_set;
	enum log_format fmt = log_effective_format(t, &format_set);
	*body = m->msg;
	if (!format_set) { /* unchanged */
		*body = m->whole;
		return 0;
	}
	switch (fmt) {
	case LOG_FMT_RFC3164:
	case LOG_FMT_LOCAL:
		return (long)hdr_3164(m, pri, fmt == LOG_FMT_LOCAL, out);
	case LOG_FMT_RFC5424:
		return (long)hdr_5424(m, pri, out);
	case LOG_FMT_PRIORITY:
		return sprintf(out, "<%d>", pri);
	case LOG_FMT_SHORT:
		return sprintf(out, "<%d>", level);
	case LOG_FMT_TIMED: {
		size_t n = (size_t)sprintf(out, "<%d>", level);
		n += iso_now(out + n);
		out[n++] = ' ';
		return (long)n;
	}
	case LOG_FMT_ISO: {
		size_t n = iso_now(out);
		out[n++] = ' ';
		return (long)n;
	}
	case LOG_FMT_RAW:
		return 0;
	}
	return 0;
}

/* Sends one received message to every target of <f>. */
static void relay(const struct log_fwd_cfg *f, const char *buf, size_t len)
{
	struct syslog_msg m;
	char hdr[4096];
	syslog_parse(buf, len, &m);
	if (!m.whole.n)
		return;
	for (const struct log_target *t = f->targets; t; t = t->next) {
		struct syslog_span body;
		long h = syslog_rewrite(t, &m, hdr, &body);
		if (h >= 0)
			log_deliver(t, hdr, (size_t)h, body.p, body.n);
	}
}

/* Listeners */

struct fwd_listener {
	const struct log_fwd_cfg *f;
	int fd, dgram;
	struct ev_handler h;
	int conns;
	struct fwd_listener *next;
};

struct fwd_conn {
	struct fwd_listener *l;
	int fd;
	struct ev_handler h;
	struct timer t;
	size_t len;
	char buf[FWD_MSG_MAX];
};

static struct fwd_listener *listeners;

/* Datagrams: one message each. */
static void dgram_cb(struct ev_handler *h, uint32_t ev)
{
	struct fwd_listener *l = caa_container_of(h, struct fwd_listener, h);
	static char buf[FWD_MSG_MAX];
	(void)ev;
	for (;;) {
		ssize_t n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		relay(l->f, buf, (size_t)n);
	}
}

static void conn_close(struct fwd_conn *c)
{
	loop_del(c->fd);
	close(c->fd);
	timer_set(&c->t, 0);
	c->l->conns--;
	loop_defer_free(c);
}

/* Relays the complete frames at the start of c->buf: "<len> <msg>"
 * (octet counting) or "<msg>\n" (newline framing); keeps the rest.
 */
static void conn_frames(struct fwd_conn *c, int eof)
{
	size_t off = 0;
	while (off < c->len) {
		const char *p = c->buf + off;
		size_t left = c->len - off;
		if (*p >= '1' && *p <= '9') {
			const char *sp = memchr(p, ' ', left < 8 ? left : 8);
			if (!sp)
				break;
			size_t n = (size_t)strtoul(p, NULL, 10), hl = (size_t)(sp - p) + 1;
			if (hl + n > left)
				break;
			relay(c->l->f, sp + 1, n);
			off += hl + n;
			continue;
		}
		const char *nl = memchr(p, '\n', left);
		if (!nl && !eof && left < sizeof(c->buf))
			break;
		size_t n = nl ? (size_t)(nl - p) : left;
		relay(c->l->f, p, n);
		off += n + (nl != NULL);
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

static void conn_cb(struct ev_handler *h, uint32_t ev)
{
	struct fwd_conn *c = caa_container_of(h, struct fwd_conn, h);
	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			conn_frames(c, 0);
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			break;
		conn_frames(c, 1);
		conn_close(c);
		return;
	}
	(void)ev;
	if (c->l->f->to_client)
		timer_set(&c->t, curthr->now_ms + c->l->f->to_client);
}

static void conn_timeout(struct timer *t)
{
	conn_close(caa_container_of(t, struct fwd_conn, t));
}

static void accept_cb(struct ev_handler *h, uint32_t ev)
{
	struct fwd_listener *l = caa_container_of(h, struct fwd_listener, h);
	(void)ev;
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (l->conns >= l->f->maxconn) {
			close(fd);
			continue;
		}
		struct fwd_conn *c = xcalloc(1, sizeof(*c));
		c->l = l;
		c->fd = fd;
		c->h.cb = conn_cb;
		timer_init(&c->t, conn_timeout);
		if (loop_add(fd, FWD_IO_EVENTS, &c->h) < 0) {
			close(fd);
			free(c);
			continue;
		}
		l->conns++;
		if (l->f->to_client)
			timer_set(&c->t, curthr->now_ms + l->f->to_client);
	}
}

/* Opens one listening socket; -1 after an alert. */
static int open_listener(const struct log_fwd_cfg *f, const struct log_fwd_bind *b)
{
	int type = b->dgram ? SOCK_DGRAM : SOCK_STREAM, one = 1;
	int fd = socket(b->addr.ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&b->addr.ss, b->addr.sslen) < 0 ||
	    (!b->dgram && listen(fd, f->backlog ? f->backlog : 64) < 0)) {
		char a[128];
		ha_alert("Starting log-forward %s: cannot bind socket (%s) [%s]\n", f->name,
		         strerror(errno), addr_to_str(&b->addr, a, sizeof(a)));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct fwd_listener *l = xcalloc(1, sizeof(*l));
	l->f = f;
	l->fd = fd;
	l->dgram = b->dgram;
	l->h.cb = b->dgram ? dgram_cb : accept_cb;
	l->next = listeners;
	listeners = l;
	return 0;
}

int log_forward_bind_all(void)
{
	for (const struct log_fwd_cfg *f = log_fwd_cfgs; f; f = f->next)
		for (const struct log_fwd_bind *b = f->binds; b; b = b->next)
			if (open_listener(f, b) < 0)
				return -1;
	return 0;
}

void log_forward_start_thread(void)
{
	if (curthr->id != 0)
		return;
	for (struct fwd_listener *l = listeners; l; l = l->next)
		if (loop_add(l->fd, EPOLLIN | EPOLLET, &l->h) == 0)
			l->h.cb(&l->h, EPOLLIN); /* what came before we polled */
}
