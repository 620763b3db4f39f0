/* The "%name" variables of log formats (HAProxy's aliases: %ci, %Tr, %ts,
 * %r...). Each renders a value of the stream being logged; timers follow
 * worker/log-stream.h (-1 for an event that did not happen).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/chars.h"
#include "common/addr.h"
#include "common/logfmt.h"
#include "conf/kw.h"
#include "conf/log.h"
#include "conf/model-t.h"
#include "worker/capture.h"
#include "worker/http-txn.h"
#include "worker/server-t.h"
#include "worker/stream.h"
#include "worker/tls.h"

#define STRM(ctx) ((struct stream *)(ctx)->strm)

/* Writes <len> bytes of <p>, quoted with +Q and escaped with +E. */
static int put_str(char *out, size_t room, const char *p, size_t len, unsigned opts)
{
	size_t n = 0;
	int q = (opts & LF_OPT_QUOTE) != 0;
	if (q && n < room)
		out[n++] = '"';
	if (!(opts & LF_OPT_ESC)) { /* nothing to escape: one copy */
		size_t k = len < room - n ? len : room - n;
		memcpy(out + n, p, k);
		n += k;
		len = 0;
	}
	for (size_t i = 0; i < len && n < room; i++) {
		if ((opts & LF_OPT_ESC) && (p[i] == '"' || p[i] == '\\' || p[i] == ']')) {
			out[n++] = '\\';
			if (n >= room)
				break;
		}
		out[n++] = p[i];
	}
	if (q && n < room)
		out[n++] = '"';
	return (int)n;
}

static int put_cstr(char *out, size_t room, const char *p, unsigned opts)
{
	return put_str(out, room, p, strlen(p), opts);
}

/* An integer; +X prints <hexw> hexadecimal digits at least. */
static int put_int(char *out, size_t room, int64_t v, unsigned opts, int hexw)
{
	char buf[32];
	if (!(opts & LF_OPT_HEX) && room >= 21)
		return fmt_i64(out, v);
	int n = (opts & LF_OPT_HEX) ? snprintf(buf, sizeof(buf), "%0*" PRIX64, hexw, (uint64_t)v)
	                            : fmt_i64(buf, v);
	if ((size_t)n > room)
		n = (int)room;
	memcpy(out, buf, (size_t)n);
	return n;
}

/* A timer between two stamps, -1 when either is missing. */
static int put_delta(char *out, size_t room, uint64_t from, uint64_t to)
{
	return put_int(out, room, from && to && to >= from ? (int64_t)(to - from) : -1, 0, 0);
}

static int put_addr(char *out, size_t room, const struct sockaddr_storage *ss, unsigned opts)
{
	char buf[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET) {
		const struct in_addr *a = &((const struct sockaddr_in *)ss)->sin_addr;
		if (opts & LF_OPT_HEX)
			return put_int(out, room, ntohl(a->s_addr), opts, 8);
		ip_ntop(AF_INET, a, buf, sizeof(buf));
	} else if (ss->ss_family == AF_INET6) {
		ip_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, sizeof(buf));
	} else if (ss->ss_family == AF_UNIX) {
		return put_cstr(out, room, "unix", opts & ~LF_OPT_QUOTE);
	} else {
		return -1;
	}
	return put_cstr(out, room, buf, opts & ~LF_OPT_QUOTE);
}

static int put_port(char *out, size_t room, const struct sockaddr_storage *ss, unsigned opts)
{
	int p = ss->ss_family == AF_INET    ? ntohs(((const struct sockaddr_in *)ss)->sin_port)
	        : ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
	                                    : -1;
	if (p < 0)
		return ss->ss_family == AF_UNIX ? put_cstr(out, room, "unix", 0) : -1;
	return put_int(out, room, p, opts, 4);
}

/* Dates: "06/Dec/2026:02:51:54.016" (<ms>), "... +0000" (<tz>), in UTC or
 * local time. The text of the current second is kept per thread and per
 * variant: formatting a date costs more than the rest of a log line.
 */
static int put_date(char *out, size_t room, const struct timeval *tv, int utc, int ms, int tz)
{
	static __thread struct {
		time_t sec;
		size_t len;
		char text[40];
	} cache[4];
	int v = utc * 2 + tz;
	time_t sec = tv->tv_sec;
	if (cache[v].sec != sec || !cache[v].len) {
		struct tm tm;
		if (utc)
			gmtime_r(&sec, &tm);
		else
			localtime_r(&sec, &tm);
		cache[v].len = strftime(cache[v].text, sizeof(cache[v].text),
		                        tz ? "%d/%b/%Y:%H:%M:%S %z" : "%d/%b/%Y:%H:%M:%S", &tm);
		cache[v].sec = sec;
	}
	char buf[64];
	size_t n = cache[v].len;
	memcpy(buf, cache[v].text, n);
	if (ms) {
		int m = (int)(tv->tv_usec / 1000);
		buf[n++] = '.';
		buf[n++] = (char)('0' + m / 100);
		buf[n++] = (char)('0' + m / 10 % 10);
		buf[n++] = (char)('0' + m % 10);
	}
	if (n > room)
		n = room;
	memcpy(out, buf, n);
	return (int)n;
}

#define VAR(fn) static int fn(struct smp_ctx *ctx, char *out, size_t room, unsigned opts)

VAR(v_ci)
{
	return put_addr(out, room, &STRM(ctx)->cli_addr, opts);
}
VAR(v_cp)
{
	return put_port(out, room, &STRM(ctx)->cli_addr, opts);
}
VAR(v_fi)
{
	return put_addr(out, room, stream_dst_addr(STRM(ctx)), opts);
}
VAR(v_fp)
{
	return put_port(out, room, stream_dst_addr(STRM(ctx)), opts);
}

/* Local or peer address of the server connection, when there is one. */
static int server_addr(struct stream *s, int peer, struct sockaddr_storage *ss)
{
	socklen_t sl = sizeof(*ss);
	if (s->srv.fd < 0)
		return -1;
	return peer ? getpeername(s->srv.fd, (struct sockaddr *)ss, &sl)
	            : getsockname(s->srv.fd, (struct sockaddr *)ss, &sl);
}

VAR(v_bi)
{
	struct sockaddr_storage ss;
	return server_addr(STRM(ctx), 0, &ss) < 0 ? -1 : put_addr(out, room, &ss, opts);
}
VAR(v_bp)
{
	struct sockaddr_storage ss;
	return server_addr(STRM(ctx), 0, &ss) < 0 ? -1 : put_port(out, room, &ss, opts);
}
VAR(v_si)
{
	struct sockaddr_storage ss;
	return server_addr(STRM(ctx), 1, &ss) < 0 ? -1 : put_addr(out, room, &ss, opts);
}
VAR(v_sp)
{
	struct sockaddr_storage ss;
	return server_addr(STRM(ctx), 1, &ss) < 0 ? -1 : put_port(out, room, &ss, opts);
}

VAR(v_t)
{
	return put_date(out, room, &STRM(ctx)->log.accept_date, 0, 1, 0);
}
VAR(v_T)
{
	return put_date(out, room, &STRM(ctx)->log.accept_date, 1, 0, 1);
}
VAR(v_Tl)
{
	return put_date(out, room, &STRM(ctx)->log.accept_date, 0, 0, 1);
}
VAR(v_tr)
{
	return put_date(out, room, &STRM(ctx)->log.req_date, 0, 1, 0);
}
VAR(v_trg)
{
	return put_date(out, room, &STRM(ctx)->log.req_date, 1, 0, 1);
}
VAR(v_trl)
{
	return put_date(out, room, &STRM(ctx)->log.req_date, 0, 0, 1);
}
VAR(v_Ts)
{
	return put_int(out, room, STRM(ctx)->log.accept_date.tv_sec, opts, 8);
}
VAR(v_ms)
{
	(void)opts;
	char buf[8];
	int n =
	    snprintf(buf, sizeof(buf), "%03d", (int)(STRM(ctx)->log.accept_date.tv_usec / 1000));
	return put_str(out, room, buf, (size_t)n, 0);
}

/* Timers (§8.4 of HAProxy's manual). */
static uint64_t now_stamp(void)
{
	return curthr->now_ms;
}

VAR(v_Th)
{
	(void)opts;
	const struct stream *s = STRM(ctx);
	return put_int(out, room, s->log.first_txn ? (int64_t)(s->log.t_hs - s->accept_ms) : 0, 0,
	               0);
}
VAR(v_Ti)
{
	(void)opts;
	return put_delta(out, room, STRM(ctx)->log.t_idle, STRM(ctx)->log.t_req);
}
VAR(v_TR)
{
	(void)opts;
	return put_delta(out, room, STRM(ctx)->log.t_req, STRM(ctx)->log.t_hdr);
}
VAR(v_Tq)
{
	(void)opts;
	const struct stream *s = STRM(ctx);
	uint64_t from = s->log.first_txn ? s->accept_ms : s->log.t_idle;
	return put_delta(out, room, from ? from : 1, s->log.t_hdr);
}
VAR(v_Tw)
{
	(void)opts;
	const struct stream *s = STRM(ctx);
	return put_delta(out, room, s->log.t_ready, s->log.t_conn);
}
VAR(v_Tc)
{
	(void)opts;
	return put_delta(out, room, STRM(ctx)->log.t_conn, STRM(ctx)->log.t_est);
}
VAR(v_Tr)
{
	(void)opts;
	return put_delta(out, room, STRM(ctx)->log.t_est, STRM(ctx)->log.t_rsp);
}
/* An early line (option logasap) marks values still growing with '+'. */
static int put_running(char *out, size_t room, const struct stream *s, int64_t v, unsigned opts)
{
	if (!s->log.asap || !room)
		return put_int(out, room, v, opts, 0);
	out[0] = '+';
	return 1 + put_int(out + 1, room - 1, v, opts, 0);
}

VAR(v_Ta)
{
	(void)opts;
	const struct stream *s = STRM(ctx);
	uint64_t from = s->log.t_req ? s->log.t_req : s->log.t_idle;
	return put_running(out, room, s, (int64_t)(now_stamp() - (from ? from : s->accept_ms)), 0);
}
VAR(v_Tt)
{
	(void)opts;
	const struct stream *s = STRM(ctx);
	return put_running(out, room, s, (int64_t)(now_stamp() - s->accept_ms), 0);
}
/* %Tu: the time the user saw, Tt of the transaction without its idle time
 * (Ti), as HAProxy computes it.
 */
VAR(v_Tu)
{
	(void)opts;
	const struct stream *s = STRM(ctx);
	uint64_t from = s->log.first_txn ? s->accept_ms : s->log.t_idle;
	if (s->log.t_req && s->log.t_idle && s->log.t_req > s->log.t_idle)
		from += s->log.t_req - s->log.t_idle;
	return put_int(out, room, (int64_t)(now_stamp() - from), 0, 0);
}
VAR(v_Td)
{
	(void)opts;
	const struct stream *s = STRM(ctx);
	uint64_t from = s->log.t_rsp ? s->log.t_rsp : s->log.t_est;
	return from ? put_int(out, room, (int64_t)(now_stamp() - from), 0, 0)
	            : put_int(out, room, -1, 0, 0);
}

static int put_term(char *out, size_t room, const struct stream *s, int cookie)
{
	char buf[4] = {s->log.term[0] ? s->log.term[0] : '-', s->log.term[1] ? s->log.term[1] : '-',
	               '-', '-'};
	return put_str(out, room, buf, cookie ? 4 : 2, 0);
}
VAR(v_ts)
{
	(void)opts;
	return put_term(out, room, STRM(ctx), 0);
}
VAR(v_tsc)
{
	(void)opts;
	return put_term(out, room, STRM(ctx), 1);
}

VAR(v_ST)
{
	const struct stream *s = STRM(ctx);
	return put_int(out, room, s->txn && s->txn->status ? s->txn->status : -1, opts, 0);
}
/* %B: bytes sent to the client. An HTTP request refused before its head was
 * parsed (<BADREQ>) counts 0: HAProxy's H1 layer sends those errors itself,
 * outside the stream that logs.
 */
VAR(v_B)
{
	const struct stream *s = STRM(ctx);
	if (stream_is_http(s) && !s->log.reqline)
		return put_running(out, room, s, 0, opts);
	return put_running(out, room, s, (int64_t)(log_bytes_to_client(s) - s->log.base_out), opts);
}
VAR(v_U)
{
	return put_int(out, room, (int64_t)(STRM(ctx)->bytes_in - STRM(ctx)->log.base_in), opts, 0);
}
/* %CC, %CS: the cookies of "capture cookie", "-" when none. */
VAR(v_CC)
{
	const char *v = capture_cookie_value(STRM(ctx), 0);
	return v ? put_cstr(out, room, v, opts) : -1;
}
VAR(v_CS)
{
	const char *v = capture_cookie_value(STRM(ctx), 1);
	return v ? put_cstr(out, room, v, opts) : -1;
}

/* Connection counts as HAProxy logs them: after this stream released its
 * server slot.
 */
VAR(v_ac)
{
	(void)ctx;
	return put_int(out, room, atomic_load(&rt.cur_conns), opts, 0);
}
VAR(v_fc)
{
	return put_int(out, room, atomic_load(&STRM(ctx)->fe->cur_conns), opts, 0);
}
/* %bc: connections of the backend; before one was chosen, HAProxy counts
 * those of the frontend as a backend (none for a plain frontend).
 */
VAR(v_bc)
{
	const struct stream *s = STRM(ctx);
	int own = s->server && !s->log.asap; /* a final line comes after the release */
	int chosen =
	    s->be && (stream_is_http(s) ? s->txn && s->txn->be_chosen : s->log.t_ready != 0);
	if (!chosen && !(s->fe->conf->cap & PX_CAP_BE))
		return put_int(out, room, 0, opts, 0);
	int n = s->be ? atomic_load(&s->be->cur_conns) - own : 0;
	return put_int(out, room, n, opts, 0);
}
VAR(v_sc)
{
	const struct stream *s = STRM(ctx);
	const struct srv_rt *srv = s->log.srv;
	int own = s->server == srv && !s->log.asap;
	int n = srv ? atomic_load(&srv->cur_conns) - own : 0;
	return put_int(out, room, n, opts, 0);
}
VAR(v_rc)
{
	const struct stream *s = STRM(ctx);
	return put_int(out, room, s->attempts > 1 ? s->attempts - 1 : 0, opts, 0);
}
VAR(v_sq)
{
	return put_int(out, room, STRM(ctx)->log.srv_queue, opts, 0);
}
VAR(v_bq)
{
	return put_int(out, room, STRM(ctx)->log.be_queue, opts, 0);
}

/* Captured headers: "{v1|v2}" (<clf>: each value alone, space separated). */
/* Writes <p> as HAProxy logs request lines and headers: bytes outside
 * 32..126, '#', '"' and those of <extra> become '#' and two hexadecimal
 * digits; quoted with +Q.
 */
static int put_log_encoded(char *out, size_t room, const char *p, const char *extra, unsigned opts)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	int q = (opts & LF_OPT_QUOTE) != 0;
	if (q && n < room)
		out[n++] = '"';
	for (; *p && n < room; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 32 || c > 126 || c == '#' || c == '"' || (extra && strchr(extra, c))) {
			if (room - n < 3)
				break;
			out[n++] = '#';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			out[n++] = (char)c;
		}
	}
	if (q && n < room)
		out[n++] = '"';
	return (int)n;
}

static int put_captures(char *out, size_t room, const struct stream *s, int dir, int clf,
                        unsigned opts)
{
	int n = s->fe->conf->ncaps[dir];
	size_t w = 0;
	if (!n || !s->txn || !s->log.reqline)
		return 0; /* nothing captured without a valid request */
	if (!clf && w < room)
		out[w++] = '{';
	for (int i = 0; i < n && w < room; i++) {
		const char *v = capture_value(s, dir, i);
		if (i && w < room)
			out[w++] = clf ? ' ' : '|';
		if (clf)
			w += (size_t)put_log_encoded(out + w, room - w, v ? v : "-", "{|}", opts);
		else if (v)
			w += (size_t)put_log_encoded(out + w, room - w, v, "{|}", 0);
	}
	if (!clf && w < room)
		out[w++] = '}';
	return (int)w;
}
VAR(v_hr)
{
	return put_captures(out, room, STRM(ctx), 0, 0, opts);
}
VAR(v_hs)
{
	return put_captures(out, room, STRM(ctx), 1, 0, opts);
}
VAR(v_hrl)
{
	return put_captures(out, room, STRM(ctx), 0, 1, opts);
}
VAR(v_hsl)
{
	return put_captures(out, room, STRM(ctx), 1, 1, opts);
}

static const char *reqline(const struct stream *s)
{
	return s->log.reqline;
}

VAR(v_r)
{
	const char *l = reqline(STRM(ctx));
	return put_log_encoded(out, room, l ? l : "<BADREQ>", NULL, opts);
}

/* Parts of the request line "METHOD URI VERSION": <part> 0, 1 or 2. */
static int line_part(const char *l, int part, const char **p, size_t *len)
{
	for (int i = 0; l && i < part; i++) {
		l = strchr(l, ' ');
		if (l)
			l++;
	}
	if (!l)
		return -1;
	const char *end = part < 2 ? strchr(l, ' ') : NULL;
	*p = l;
	*len = end ? (size_t)(end - l) : strlen(l);
	return 0;
}

/* Pieces of the URI: <what> 'P' path with host, 'O' path only, 'Q' query, 'U' whole. */
static int put_uri_part(char *out, size_t room, const struct stream *s, char what, unsigned opts)
{
	const char *u;
	size_t len;
	if (line_part(reqline(s), 1, &u, &len) < 0)
		return -1;
	const char *q = memchr(u, '?', len);
	size_t plen = q ? (size_t)(q - u) : len;
	if (what == 'Q')
		return q ? put_str(out, room, q, len - plen, opts)
		         : put_str(out, room, "", 0, opts);
	if (what == 'O' && plen && u[0] != '/') { /* absolute form: skip scheme://host */
		const char *h = memchr(u, ':', plen);
		const char *sl =
		    h && h + 3 < u + plen ? memchr(h + 3, '/', (size_t)(u + plen - h - 3)) : NULL;
		if (sl) {
			plen -= (size_t)(sl - u);
			u = sl;
		}
	}
	return put_str(out, room, u, what == 'U' ? len : plen, opts);
}
VAR(v_HM)
{
	const char *p;
	size_t len;
	return line_part(reqline(STRM(ctx)), 0, &p, &len) < 0 ? -1
	                                                      : put_str(out, room, p, len, opts);
}
VAR(v_HV)
{
	const char *p;
	size_t len;
	return line_part(reqline(STRM(ctx)), 2, &p, &len) < 0 ? -1
	                                                      : put_str(out, room, p, len, opts);
}
VAR(v_HP)
{
	return put_uri_part(out, room, STRM(ctx), 'P', opts);
}
VAR(v_HPO)
{
	return put_uri_part(out, room, STRM(ctx), 'O', opts);
}
VAR(v_HQ)
{
	return put_uri_part(out, room, STRM(ctx), 'Q', opts);
}
VAR(v_HU)
{
	return put_uri_part(out, room, STRM(ctx), 'U', opts);
}

VAR(v_ID)
{
	const char *id = log_unique_id(STRM(ctx));
	return id ? put_cstr(out, room, id, opts) : -1;
}
VAR(v_pid)
{
	(void)ctx;
	return put_int(out, room, getpid(), opts, 4);
}
VAR(v_H)
{
	(void)ctx;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	return put_cstr(out, room, host, opts);
}
VAR(v_f)
{
	return put_cstr(out, room, STRM(ctx)->fe->conf->id, opts);
}
VAR(v_ft)
{
	return put_cstr(out, room, STRM(ctx)->fe->conf->id, opts);
}

/* The backend name, the frontend's while no backend was chosen: in HTTP
 * before backend switching, in TCP before the stream was ready for one.
 */
VAR(v_b)
{
	const struct stream *s = STRM(ctx);
	int chosen =
	    s->be && (stream_is_http(s) ? s->txn && s->txn->be_chosen : s->log.t_ready != 0);
	return put_cstr(out, room, chosen ? s->be->conf->id : s->fe->conf->id, opts);
}
VAR(v_s)
{
	const struct stream *s = STRM(ctx);
	return put_cstr(out, room, s->log.srv ? s->log.srv->conf->id : "<NOSRV>", opts);
}
VAR(v_lc)
{
	return put_int(out, room, atomic_load(&STRM(ctx)->fe->log_count), opts, 0);
}
VAR(v_rt)
{
	return put_int(out, room, STRM(ctx)->log.id, opts, 4);
}
/* TLS version and cipher of the client connection; "-" without TLS. */
VAR(v_sslv)
{
	const char *v = tls_version_name(&STRM(ctx)->cli);
	return v ? put_str(out, room, v, strlen(v), opts) : -1;
}
VAR(v_sslc)
{
	const char *v = tls_cipher_name(&STRM(ctx)->cli);
	return v ? put_str(out, room, v, strlen(v), opts) : -1;
}

static const struct lf_var_kw log_vars[] = {
    {"ci", v_ci, 0}, {"cp", v_cp, 0},     {"fi", v_fi, 0},     {"fp", v_fp, 0},   {"bi", v_bi, 0},
    {"bp", v_bp, 0}, {"si", v_si, 0},     {"sp", v_sp, 0},     {"t", v_t, 0},     {"T", v_T, 0},
    {"Tl", v_Tl, 0}, {"tr", v_tr, 0},     {"trg", v_trg, 0},   {"trl", v_trl, 0}, {"Ts", v_Ts, 0},
    {"ms", v_ms, 0}, {"Th", v_Th, 0},     {"Ti", v_Ti, 0},     {"TR", v_TR, 0},   {"Tq", v_Tq, 0},
    {"Tw", v_Tw, 0}, {"Tc", v_Tc, 0},     {"Tr", v_Tr, 0},     {"Ta", v_Ta, 0},   {"Tt", v_Tt, 0},
    {"Tu", v_Tu, 0}, {"Td", v_Td, 0},     {"ts", v_ts, 0},     {"tsc", v_tsc, 0}, {"ST", v_ST, 0},
    {"B", v_B, 0},   {"U", v_U, 0},       {"CC", v_CC, 0},     {"CS", v_CS, 0},   {"ac", v_ac, 0},
    {"fc", v_fc, 0}, {"bc", v_bc, 0},     {"sc", v_sc, 0},     {"rc", v_rc, 0},   {"sq", v_sq, 0},
    {"bq", v_bq, 0}, {"hr", v_hr, 0},     {"hs", v_hs, 0},     {"hrl", v_hrl, 0}, {"hsl", v_hsl, 0},
    {"r", v_r, 0},   {"HM", v_HM, 0},     {"HP", v_HP, 0},     {"HPO", v_HPO, 0}, {"HQ", v_HQ, 0},
    {"HU", v_HU, 0}, {"HV", v_HV, 0},     {"ID", v_ID, 0},     {"pid", v_pid, 0}, {"H", v_H, 0},
    {"f", v_f, 0},   {"ft", v_ft, 0},     {"b", v_b, 0},       {"s", v_s, 0},     {"lc", v_lc, 0},
    {"rt", v_rt, 0}, {"sslc", v_sslc, 0}, {"sslv", v_sslv, 0},
};
LF_REGISTER_VARS(log_vars)
