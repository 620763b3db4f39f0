#include "worker/check-http.h"
#include "worker/check-ssl.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <pcre2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/h1.h"
#include "common/mem.h"
#include "worker/lb.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/srv-addr.h"

#define HCHK_BUFSIZE 16384
#define HCHK_MAXHDRS 101

/* Appends <fmt> to the growing request of <io>. */
__attribute__((format(printf, 2, 3))) static void req_add(struct hchk_io *io, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	io->req = xrealloc(io->req, io->req_len + (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(io->req + io->req_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	io->req_len += (size_t)n;
}

/* The X-Haproxy-Server-State header of "http-check send-state". */
static void add_state_header(struct hchk_io *io, const struct srv_rt *s)
{
	const struct check_state *ck = check_of(s);
	const struct server_cfg *c = &s->conf->cfg;
	int up = atomic_load(&s->oper_up), nolb = atomic_load(&s->oper_nolb);
	const char *st = !up ? "DOWN" : nolb ? "NOLB" : "UP";
	char node[256] = "";
	int totw = 0;

	if (rt.cfg->global.node)
		snprintf(node, sizeof(node), "%s", rt.cfg->global.node);
	else
		gethostname(node, sizeof(node) - 1);
	const struct srv_list *l = be_servers(s->be);
	for (int i = 0; i < l->n; i++)
		totw += srv_effective_weight(l->v[i]);
	if (ck && ck->consecutive)
		req_add(io, "x-haproxy-server-state: %s %d/%d; ", st, check_health_shown(ck, c, up),
		        up ? check_fall_of(c) : check_rise_of(c));
	else
		req_add(io, "x-haproxy-server-state: %s; ", st);
	char abuf[160];
	const char *a = addr_to_str(srv_addr(s), abuf, sizeof(abuf));
	const char *colon = strrchr(a, ':');
	req_add(io, "address=%.*s; port=%u; ", colon ? (int)(colon - a) : (int)strlen(a), a,
	        (unsigned)srv_addr(s)->port_lo);
	req_add(io, "name=%s/%s; node=%s; weight=%d/%d; scur=%d/%d; qcur=%d\r\n", s->be->conf->id,
	        s->conf->id, node, atomic_load(&s->uweight), totw, atomic_load(&s->cur_conns),
	        atomic_load(&s->be->cur_conns), atomic_load(&s->queued));
}

/* Adds header <name>: <value>, the name in lower case as every head
 * Halyard writes (and as HAProxy sends its checks).
 */
static void add_header(struct hchk_io *io, const char *name, const char *value)
{
	char lname[128];
	size_t n = strlen(name);
	if (n >= sizeof(lname)) {
		req_add(io, "%s: %s\r\n", name, value);
		return;
	}
	for (size_t i = 0; i <= n; i++)
		lname[i] = (char)tolower((unsigned char)name[i]);
	req_add(io, "%s: %s\r\n", lname, value);
}

/* <lf> rendered for the check (a new string), or a copy of <text>. */
static char *text_or_fmt(struct check_smp *smp, const struct logfmt *lf, const char *text)
{
	char *out;
	size_t len;
	if (lf && check_render_alloc(smp, lf, 0, &out, &len) == 0)
		return out;
	return xstrdup(text ? text : "");
}

void hchk_prepare(struct hchk_io *io, const struct srv_rt *s, struct check_smp *smp)
{
	const struct px_httpchk *hc = &s->be->conf->httpchk;
	const char *ver = hc->ver ? hc->ver : "HTTP/1.0";

	io->smp = smp;
	check_run_vars(smp, hc->pre_vars);
	io->req_len = io->sent = io->len = 0;
	char *uri = text_or_fmt(smp, hc->uri_fmt, hc->uri ? hc->uri : "/");
	req_add(io, "%s %s %s\r\n", hc->meth ? hc->meth : "OPTIONS", uri, ver);
	free(uri);
	for (const struct httpchk_hdr *h = hc->hdrs; h; h = h->next) {
		char *v = text_or_fmt(smp, h->fmt, h->value);
		add_header(io, h->name, v);
		free(v);
	}
	if (hc->send_state)
		add_state_header(io, s);
	char *body = hc->body || hc->body_fmt ? text_or_fmt(smp, hc->body_fmt, hc->body) : NULL;
	if (body)
		req_add(io, "content-length: %zu\r\n", strlen(body));
	if (strcmp(ver, "HTTP/1.0") != 0)
		req_add(io, "connection: close\r\n");
	req_add(io, "\r\n%s", body ? body : "");
	free(body);
	if (!io->buf) {
		io->cap = HCHK_BUFSIZE;
		io->buf = xcalloc(1, io->cap + 1);
	}
}

/* Whether status <st> matches the status list of <e>. */
static int status_in(const struct httpchk_expect *e, int st)
{
	for (int i = 0; i < e->nranges; i++)
		if (st >= e->ranges[i][0] && st <= e->ranges[i][1])
			return 1;
	return 0;
}

/* Whether regex <re> matches <len> bytes at <p>. */
static int re_match(void *re, const char *p, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int r = pcre2_match(re, (PCRE2_SPTR)p, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return r >= 0;
}

/* Whether the body holds the rendered pattern of string-lf rule <e>. */
static int body_has_fmt(struct check_smp *smp, const struct httpchk_expect *e, const char *body,
                        size_t blen)
{
	char *pat;
	size_t plen;
	if (check_render_alloc(smp, e->fmt, 0, &pat, &plen) < 0)
		return 0;
	int r = plen && blen >= plen && memmem(body, blen, pat, plen);
	free(pat);
	return r;
}

/* Whether <n> bytes at <p> hold <len> bytes at <pat>, in any case when
 * <icase>.
 */
static int mem_has(const char *p, size_t n, const char *pat, size_t len, int icase)
{
	if (!icase)
		return len <= n && (!len || memmem(p, n, pat, len));
	for (size_t i = 0; i + len <= n; i++)
		if (!strncasecmp(p + i, pat, len))
			return 1;
	return 0;
}

/* Whether <v> matches header pattern <hp> whose text is <pat> (<plen>
 * bytes), in any case when <icase> (header names).
 */
static int pat_match(const struct httpchk_hdr_pat *hp, const char *pat, size_t plen, struct ist v,
                     int icase)
{
	int (*cmp)(const char *, const char *, size_t) = icase ? strncasecmp : strncmp;
	switch (hp->meth) {
	case HCM_STR:
		return v.len == plen && !cmp(v.p, pat, plen);
	case HCM_BEG:
		return v.len >= plen && !cmp(v.p, pat, plen);
	case HCM_END:
		return v.len >= plen && !cmp(v.p + v.len - plen, pat, plen);
	case HCM_SUB:
		return mem_has(v.p, v.len, pat, plen, icase);
	case HCM_REG:
		return re_match(hp->re, v.p, v.len);
	}
	return 0;
}

/* <v> without its leading and trailing spaces and tabs. */
static struct ist trim(struct ist v)
{
	while (v.len && (*v.p == ' ' || *v.p == '\t')) {
		v.p++;
		v.len--;
	}
	while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
		v.len--;
	return v;
}

/* Whether a value of header value <v> matches <hp> (text <pat>): the
 * whole value when <full>, else any of its comma-separated elements.
 */
static int value_match(const struct httpchk_hdr_pat *hp, const char *pat, size_t plen, struct ist v,
                       int full)
{
	if (full)
		return pat_match(hp, pat, plen, trim(v), 0);
	while (1) {
		const char *c = memchr(v.p, ',', v.len);
		uint32_t n = c ? (uint32_t)(c - v.p) : v.len;
		if (pat_match(hp, pat, plen, trim((struct ist){v.p, n}), 0))
			return 1;
		if (!c)
			return 0;
		v.p += n + 1;
		v.len -= n + 1;
	}
}

/* The text of header pattern <hp> for this check: its log-format rendered
 * (allocated in *<tmp>), or as written ("" when unset or not renderable).
 */
static const char *pat_text(struct check_smp *smp, const struct httpchk_hdr_pat *hp, char **tmp,
                            size_t *len)
{
	*tmp = NULL;
	if (hp->fmt && check_render_alloc(smp, hp->fmt, 0, tmp, len) == 0)
		return *tmp;
	const char *t = hp->fmt || !hp->text ? "" : hp->text; /* no value pattern: none */
	*len = strlen(t);
	return t;
}

/* Whether the response <m> has a header matching header expect rule <e>. */
static int hdr_holds(struct check_smp *smp, const struct httpchk_expect *e,
                     const struct http_msg *m)
{
	char *nbuf, *vbuf;
	size_t nlen, vlen;
	const char *npat = pat_text(smp, &e->hname, &nbuf, &nlen);
	const char *vpat = pat_text(smp, &e->hvalue, &vbuf, &vlen);
	int r = 0;
	for (int i = 0; i < m->nhdrs && !r; i++) {
		if (!pat_match(&e->hname, npat, nlen, m->hdrs[i].n, 1))
			continue;
		r = !e->has_value || value_match(&e->hvalue, vpat, vlen, m->hdrs[i].v, e->full);
	}
	free(nbuf);
	free(vbuf);
	return r;
}

/* Whether expect rule <e> holds for the response <m> with body <body>. */
static int rule_holds(struct check_smp *smp, const struct httpchk_expect *e,
                      const struct http_msg *m, const char *body, size_t blen)
{
	char code[8];
	int n = snprintf(code, sizeof(code), "%d", m->status);
	int r = 0;
	switch (e->kind) {
	case HCE_STATUS:
		r = status_in(e, m->status);
		break;
	case HCE_RSTATUS:
		r = re_match(e->re, code, (size_t)n);
		break;
	case HCE_STRING:
		r = blen >= strlen(e->pattern) &&
		    memmem(body, blen, e->pattern, strlen(e->pattern));
		break;
	case HCE_RSTRING:
		r = re_match(e->re, body, blen);
		break;
	case HCE_STRING_LF:
		r = body_has_fmt(smp, e, body, blen);
		break;
	case HCE_HDR:
		r = hdr_holds(smp, e, m);
		break;
	}
	return r != e->inverse;
}

/* Whether the rules need the body of the response. */
static int needs_body(const struct px_httpchk *hc)
{
	for (const struct httpchk_expect *e = hc->expects; e; e = e->next)
		if (e->kind == HCE_STRING || e->kind == HCE_RSTRING || e->kind == HCE_STRING_LF)
			return 1;
	return 0;
}

/* Whether <e> looks at the body (its failures are content errors). */
static int on_body(const struct httpchk_expect *e)
{
	return e->kind == HCE_STRING || e->kind == HCE_RSTRING || e->kind == HCE_STRING_LF;
}

/* The failure of expect rule <e> on response <m>: its status, and its
 * info and code as HAProxy reports them (on-error text, comment,
 * status-code).
 */
static enum check_result rule_failed(struct check_smp *smp, const struct httpchk_expect *e,
                                     const struct http_msg *m, int *code, char *info, size_t ilen)
{
	int body = on_body(e);
	enum check_result r = e->err_status ? (enum check_result)e->err_status
	                      : body        ? CHK_L7RSP
	                                    : CHK_L7STS;
	info[0] = 0;
	if (e->rep.on_error)
		check_render_cat(smp, e->rep.on_error, info, ilen);
	else if (body)
		snprintf(info, ilen, "%s",
		         e->inverse ? "HTTP check matched unwanted content"
		                    : "HTTP content check did not match");
	else
		snprintf(info, ilen, "%.*s", (int)m->reason.len, m->reason.p);
	if (e->comment)
		snprintf(info + strlen(info), ilen - strlen(info), " comment: %s", e->comment);
	*code = r == CHK_L7RSP ? 0 : m->status; /* HAProxy gives no code on content errors */
	if (e->rep.status_code)
		check_status_code(smp, e->rep.status_code, code);
	return r;
}

/* Every expect rule passed, <last> being the last one (NULL: none). */
static enum check_result rules_passed(struct check_smp *smp, const struct httpchk_expect *last,
                                      const struct http_msg *m, int *code, char *info, size_t ilen)
{
	info[0] = 0;
	*code = m->status;
	if (!last)
		return CHK_L7OK;
	if (last->after)
		*code = 0; /* as HAProxy, whose variable actions reset the code */
	if (last->rep.on_success)
		check_render_cat(smp, last->rep.on_success, info, ilen);
	if (last->rep.status_code)
		check_status_code(smp, last->rep.status_code, code);
	return last->ok_status ? (enum check_result)last->ok_status : CHK_L7OK;
}

/* Applies disable-on-404 and the expect rules to a complete response,
 * running the variable actions that follow each rule that passed.
 */
static enum check_result evaluate(struct check_smp *smp, const struct srv_rt *s,
                                  const struct http_msg *m, const char *body, size_t blen,
                                  int *code, char *info, size_t ilen)
{
	const struct px_httpchk *hc = &s->be->conf->httpchk;
	const struct httpchk_expect *last = NULL;
	snprintf(info, ilen, "%.*s", (int)m->reason.len, m->reason.p);
	*code = m->status;
	if (hc->disable_on_404 && m->status == 404 && atomic_load(&s->oper_up)) {
		info[0] = 0;
		return CHK_L7OKC;
	}
	if (!hc->expects) {
		if (m->status >= 200 && m->status < 400) {
			info[0] = 0;
			return CHK_L7OK;
		}
		return CHK_L7STS;
	}
	for (const struct httpchk_expect *e = hc->expects; e; e = e->next) {
		if (!rule_holds(smp, e, m, body, blen))
			return rule_failed(smp, e, m, code, info, ilen);
		check_run_vars(smp, e->after);
		last = e;
	}
	return rules_passed(smp, last, m, code, info, ilen);
}

/* Sends what remains of the request; returns -1 on error (errno set). */
static int send_rest(struct hchk_io *io, int fd)
{
	while (io->sent < io->req_len) {
		ssize_t n = check_io_send(fd, io->ssl, io->req + io->sent, io->req_len - io->sent);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		io->sent += (size_t)n;
	}
	return 0;
}

/* Reads what is available; returns 1 at end of stream, -1 on error, else 0. */
static int read_avail(struct hchk_io *io, int fd)
{
	while (io->len < io->cap) {
		ssize_t n = check_io_recv(fd, io->ssl, io->buf + io->len, io->cap - io->len);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		io->len += (size_t)n;
	}
	return 0;
}

/* Parses the response read so far; CHK_NONE while incomplete. */
static enum check_result parse_response(struct hchk_io *io, const struct srv_rt *s, int eos,
                                        int *code, char *info, size_t ilen)
{
	struct http_hdr hdrs[HCHK_MAXHDRS];
	struct http_msg m = {.hdrs = hdrs, .maxhdrs = HCHK_MAXHDRS};
	int full = io->len >= io->cap;
	int h = h1_parse_head(io->buf, io->len, &m, 1, 0);
	if (h < 0 || (h == 0 && (eos || full))) {
		info[0] = 0; /* HAProxy gives no details for an invalid response */
		return CHK_L7RSP;
	}
	if (h == 0)
		return CHK_NONE;
	size_t blen = io->len - (size_t)h;
	if (needs_body(&s->be->conf->httpchk) && !eos && !full) {
		h1_set_response_body(&m, HTTP_METH_GET);
		long used = h1_body_scan(&m.body, io->buf + h, blen);
		if (used >= 0 && !m.body.done && m.body.mode != HB_NONE)
			return CHK_NONE;
	}
	struct check_smp *smp = io->smp;
	smp->msg = &m; /* the fetches of the rules see the response */
	smp->res = io->buf + h;
	smp->res_len = blen;
	enum check_result r = evaluate(smp, s, &m, io->buf + h, blen, code, info, ilen);
	smp->msg = NULL;
	return r;
}

enum check_result hchk_io(struct hchk_io *io, int fd, const struct srv_rt *s, int *code, char *info,
                          size_t ilen)
{
	*code = 0;
	int eos = send_rest(io, fd) < 0 ? -1 : read_avail(io, fd);
	if (eos < 0 && errno != EPIPE && errno != ECONNRESET) {
		snprintf(info, ilen, "%s", strerror(errno));
		return CHK_L4CON;
	}
	if (io->sent < io->req_len && eos == 0)
		return CHK_NONE;
	return parse_response(io, s, eos != 0, code, info, ilen);
}

enum check_result hchk_tout_status(const struct srv_rt *s)
{
	const struct httpchk_expect *e = s->be->conf->httpchk.expects;
	return e && e->tout_status ? (enum check_result)e->tout_status : CHK_L7TOUT;
}

void hchk_release(struct hchk_io *io)
{
	free(io->req);
	free(io->buf);
	*io = (struct hchk_io){0};
}
