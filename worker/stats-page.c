/* The HTTP statistics page as a local HTTP service named "stats": request
 * matching (method and URI prefix), Basic authentication against the
 * "stats auth" accounts, the options HAProxy reads from the URI (";csv",
 * ";typed", ";json", ";json-schema", ";up", ";no-maint", ";norefresh",
 * ";scope=", ";st="), the admin form's POST ("stats admin", applied by
 * worker/stats-admin.c, answered with a redirection to the page carrying
 * the result), and the exports, whose bodies are exactly what "show stat"
 * and "show schema json" print.
 */
#include "worker/stats-page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/acl.h"
#include "common/mem.h"
#include "common/sample.h"
#include "conf/http.h"
#include "worker/http-service.h"
#include "worker/http-txn.h"
#include "worker/rules.h"
#include "worker/runtime.h"

/* The path of request target <u>: absolute-form targets lose their scheme
 * and authority. Sets *<len>.
 */
static const char *target_path(struct ist u, size_t *len)
{
	const char *p = u.p, *end = u.p + u.len;
	if (u.len && *p != '/') {
		const char *s = memmem(p, u.len, "://", 3);
		if (s) {
			const char *slash = memchr(s + 3, '/', (size_t)(end - s - 3));
			p = slash ? slash : end;
		}
	}
	*len = (size_t)(end - p);
	return p;
}

/* Whether the request of <t> is for page <cfg>: GET, HEAD or POST on a URI
 * starting with the prefix (the path of an absolute URI when the prefix
 * starts with '/').
 */
static int page_matches(const struct http_msg *req, const struct stats_page_cfg *cfg)
{
	if (req->meth != HTTP_METH_GET && req->meth != HTTP_METH_HEAD &&
	    req->meth != HTTP_METH_POST)
		return 0;
	size_t plen = strlen(cfg->uri), len = req->uri.len;
	const char *u = cfg->uri[0] == '/' ? target_path(req->uri, &len) : req->uri.p;
	return len >= plen && memcmp(u, cfg->uri, plen) == 0;
}

/* Whether proxy <px> serves a page that request <req> is for. */
static int serves(const struct proxy *px, const struct http_msg *req)
{
	return px->stats && px->mode == PX_MODE_HTTP && page_matches(req, px->stats);
}

/* Decodes base64 <in> (<len> bytes) into <out> (NUL-terminated); -1 when
 * it is not strict base64 (a multiple of 4 characters, '=' padding only at
 * the end), decodes to a NUL byte, or needs more than <cap> - 1 bytes.
 */
static int b64_decode(const char *in, size_t len, char *out, size_t cap)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 0, pad = 0;
	unsigned acc = 0;
	int bits = 0;
	if (len % 4)
		return -1;
	while (pad < 2 && pad < len && in[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++) {
		const char *c = in[i] ? memchr(alpha, in[i], 64) : NULL;
		if (!c)
			return -1;
		acc = (acc << 6) | (unsigned)(c - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			char byte = (char)((acc >> bits) & 0xff);
			if (!byte || n + 1 >= cap)
				return -1;
			out[n++] = byte;
		}
	}
	out[n] = 0;
	return 0;
}

/* Whether the request carries "Authorization: Basic" credentials matching
 * one of the page's accounts (always true without accounts).
 */
static int authorized(const struct http_msg *req, const struct stats_page_cfg *cfg)
{
	if (!cfg->nauth)
		return 1;
	int h = http_find_hdr(req, "authorization", 0);
	if (h < 0)
		return 0;
	struct ist v = req->hdrs[h].v;
	if (v.len < 6 || strncasecmp(v.p, "basic ", 6) != 0)
		return 0;
	const char *p = v.p + 6, *end = v.p + v.len;
	while (p < end && *p == ' ')
		p++;
	char cred[512];
	if (b64_decode(p, (size_t)(end - p), cred, sizeof(cred)) < 0)
		return 0;
	char *colon = strchr(cred, ':');
	if (!colon)
		return 0;
	*colon = 0;
	for (int i = 0; i < cfg->nauth; i++)
		if (!strcmp(cfg->auth[i].user, cred) && !strcmp(cfg->auth[i].pass, colon + 1))
			return 1;
	return 0;
}

/* 401 with the proxy's page for that status and the realm to log into;
 * like HAProxy, the connection closes after it.
 */
static int reply_401(struct http_svc_req *rq, const struct stats_page_cfg *cfg, struct strbuf *out)
{
	rq->close = 1;
	const struct http_reply *r = http_error_reply(rq->px, 401);
	if (!r || !r->len)
		r = http_builtin_reply(401);
	const char *eoh = memmem(r->raw, r->len, "\r\n\r\n", 4);
	size_t hl = eoh ? (size_t)(eoh - r->raw) + 2 : r->len;
	sb_put(out, r->raw, hl);
	sb_printf(out, "www-authenticate: Basic realm=\"%s\"\r\n",
	          cfg->realm ? cfg->realm : STATS_DEFAULT_REALM);
	sb_put(out, r->raw + hl, r->len - hl);
	return 401;
}

/* Whether option <opt> (";csv") appears in the <len> bytes at <p>. */
static int has_opt(const char *p, size_t len, const char *opt)
{
	return memmem(p, len, opt, strlen(opt)) != NULL;
}

/* Copies the value of option <opt> (";scope=") up to the next ';' or '&'. */
static void opt_value(const char *p, size_t len, const char *opt, char *dst, size_t cap)
{
	const char *v = memmem(p, len, opt, strlen(opt));
	dst[0] = 0;
	if (!v)
		return;
	v += strlen(opt);
	size_t n = 0;
	while (v < p + len && *v != ';' && *v != '&' && n + 1 < cap)
		dst[n++] = *v++;
	dst[n] = 0;
}

/* stats scope: the configured names ("." is the serving proxy), then the
 * ";scope=" text, a case-insensitive part of the name.
 */
static int px_in_scope(const struct proxy *px, const void *arg)
{
	const struct stats_page_req *pr = arg;
	const struct stats_page_cfg *cfg = pr->cfg;
	int ok = !cfg->nscope;
	for (int i = 0; i < cfg->nscope && !ok; i++)
		ok = !strcmp(cfg->scope[i], ".") ? px == pr->px : !strcmp(cfg->scope[i], px->id);
	return ok && (!pr->scope[0] || strcasestr(px->id, pr->scope));
}

/* Status line and headers of a 200 page; the body follows. */
static void head_200(struct strbuf *out, const struct stats_page_req *pr, const char *type,
                     size_t body_len)
{
	sb_printf(out, "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: %s\r\n", type);
	if (pr->cfg->refresh_s && !pr->norefresh)
		sb_printf(out, "refresh: %u\r\n", pr->cfg->refresh_s);
	sb_printf(out, "content-length: %zu\r\n\r\n", body_len);
}

/* The 303 answering a POST: back to the page, with the result and the
 * options HAProxy keeps (";up", ";norefresh" when the page refreshes, the
 * scope).
 */
static int reply_post(struct strbuf *out, const struct stats_page_req *pr,
                      enum stats_admin_status st)
{
	sb_printf(out,
	          "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\n"
	          "content-type: text/plain\r\ncontent-length: 0\r\n"
	          "location: %s;st=%s%s%s",
	          pr->uri, stats_admin_status_word(st), pr->hide & STATS_HIDE_DOWN ? ";up" : "",
	          pr->norefresh && pr->cfg->refresh_s ? ";norefresh" : "");
	if (pr->scope[0])
		sb_printf(out, "?scope=%s", pr->scope);
	sb_puts(out, "\r\n\r\n");
	return 303;
}

/* The result of a POST: DENY without admin rights, else the action's. */
static enum stats_admin_status post_result(const struct stats_page_call *c)
{
	if (!c->admin)
		return STATS_ST_DENY;
	if (c->body_st != STATS_ST_UNKN)
		return c->body_st;
	return stats_admin_apply(c->body ? c->body : "", c->body_len);
}

static int stats_handle(struct http_svc_req *rq, struct strbuf *out)
{
	const struct stats_page_call *call = rq->arg;
	const struct stats_page_cfg *cfg = call->cfg;
	if (!authorized(rq->req, cfg))
		return reply_401(rq, cfg, out);
	struct stats_page_req pr = {.cfg = cfg, .px = rq->px};
	size_t len, plen = strlen(cfg->uri);
	const char *u = cfg->uri[0] == '/' ? target_path(rq->req->uri, &len) : rq->req->uri.p;
	if (cfg->uri[0] != '/')
		len = rq->req->uri.len;
	/* the options follow the prefix; a service reached without the
	 * prefix (another route to it) reads none
	 */
	int prefixed = len >= plen && memcmp(u, cfg->uri, plen) == 0;
	const char *opts = prefixed ? u + plen : u;
	size_t olen = prefixed ? len - plen : 0;
	snprintf(pr.uri, sizeof(pr.uri), "%s", cfg->uri);
	pr.hide = (has_opt(opts, olen, ";up") ? STATS_HIDE_DOWN : 0) |
	          (has_opt(opts, olen, ";no-maint") ? STATS_HIDE_MAINT : 0);
	pr.norefresh = has_opt(opts, olen, ";norefresh");
	pr.admin = call->admin;
	opt_value(opts, olen, ";scope=", pr.scope, sizeof(pr.scope));
	if (!pr.scope[0])
		opt_value(opts, olen, "?scope=", pr.scope, sizeof(pr.scope));
	const char *st = memmem(opts, olen, ";st=", 4);
	if (st) {
		pr.has_st = 1;
		pr.st = stats_admin_status_of(st + 4, (size_t)(opts + olen - st - 4));
	}
	if (rq->req->meth == HTTP_METH_POST)
		return reply_post(out, &pr, post_result(call));

	struct stats_filter f;
	stats_filter_init(&f);
	f.flags = pr.hide;
	f.px_visible = px_in_scope;
	f.arg = &pr;
	struct strbuf body = {0};
	const char *type = "text/html";
	if (has_opt(opts, olen, ";csv")) {
		stats_dump(&body, STATS_FMT_CSV, &f);
		type = "text/plain";
	} else if (has_opt(opts, olen, ";typed")) {
		stats_dump(&body, STATS_FMT_TYPED, &f);
		type = "text/plain";
	} else if (has_opt(opts, olen, ";json-schema")) {
		sb_puts(&body, stats_schema);
		type = "application/json";
	} else if (has_opt(opts, olen, ";json")) {
		stats_dump(&body, STATS_FMT_JSON, &f);
		type = "application/json";
	} else {
		stats_html(&body, &pr, &f);
	}
	if (body.failed) {
		sb_free(&body);
		out->failed = 1;
		return 500;
	}
	head_200(out, &pr, type, body.len);
	sb_put(out, body.p ? body.p : "", body.len);
	sb_free(&body);
	return 200;
}

/* Whether one of the page's "stats admin" conditions holds for <s>. */
static int admin_allowed(struct stream *s, const struct stats_page_cfg *cfg)
{
	if (!cfg->nadmin)
		return 0;
	struct smp_ctx ctx = rules_ctx(s, SMP_OPT_FINAL);
	int ok = 0;
	for (int i = 0; i < cfg->nadmin && !ok; i++) {
		size_t mark = smp_arena_mark();
		ok = acl_exec_cond(cfg->admin[i], &ctx) == ACL_PASS;
		smp_arena_release(mark);
	}
	return ok;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Copies the data of the complete chunked body <p> (<len> bytes, already
 * checked by the parser) into <out>; returns its length.
 */
static size_t dechunk(const char *p, size_t len, char *out)
{
	size_t i = 0, o = 0;
	while (i < len) {
		size_t size = 0;
		int d;
		while (i < len && (d = hex_digit(p[i])) >= 0) {
			size = size * 16 + (size_t)d;
			i++;
		}
		const char *lf = memchr(p + i, '\n', len - i);
		if (!size || !lf || (size_t)(lf - p) + 1 + size > len)
			break;
		i = (size_t)(lf - p) + 1;
		memcpy(out + o, p + i, size);
		o += size;
		i += size + 2; /* CRLF after the data */
	}
	return o;
}

/* Fills the body of POST <s> into <c> (an allocated copy in *<copy>).
 * Returns 1 when usable or unusable for good (c->body_st set), 0 when more
 * of it may still come.
 */
static int read_post_body(struct stream *s, struct stats_page_call *c, char **copy)
{
	struct http_txn *t = s->txn;
	uint32_t head = t->req.skip + t->req.head_len;
	uint32_t have = t->cin.data ? t->cin.tail - t->cin.head : 0;
	const char *p = have > head ? t->cin.data + t->cin.head + head : "";
	size_t got = have > head ? have - head : 0;
	struct http_body b = t->req.body; /* scanned on a copy: nothing moves */
	long n = b.mode == HB_NONE ? 0 : h1_body_scan(&b, p, got);
	if (n < 0) {
		c->body_st = STATS_ST_IVAL;
		return 1;
	}
	if (b.mode != HB_NONE && !b.done) {
		if (have < t->cin.size - rt.cfg->global.tune_maxrewrite && !s->cli.shutr)
			return 0;
		c->body_st = STATS_ST_EXCD; /* the buffer cannot hold it all */
		return 1;
	}
	*copy = xmalloc((size_t)n + 1);
	c->body_len = b.mode == HB_CHUNKED ? dechunk(p, (size_t)n, *copy) : (size_t)n;
	if (b.mode != HB_CHUNKED)
		memcpy(*copy, p, (size_t)n);
	c->body = *copy;
	return 1;
}

int stats_page_intercept(struct stream *s)
{
	const struct proxy *px = s->fe->conf;
	if (!serves(px, &s->txn->req)) { /* then the backend's own page, if any */
		px = s->be ? s->be->conf : NULL;
		if (!px || px == s->fe->conf || !serves(px, &s->txn->req))
			return 0;
	}
	struct http_txn *t = s->txn;
	struct stats_page_call c = {.cfg = px->stats, .admin = admin_allowed(s, px->stats)};
	char *copy = NULL;
	if (t->req.meth == HTTP_METH_POST && c.admin && authorized(&t->req, c.cfg) &&
	    !read_post_body(s, &c, &copy)) {
		if (!t->stats_wait)
			return 2;
		c.body_st = STATS_ST_EXCD; /* waited for as long as allowed */
	}
	t->stats_wait = 0;
	http_service_answer(s, http_service_find("stats"), px, &c); /* may free <s> */
	free(copy);
	return 1;
}

static struct http_service stats_service = {.name = "stats", .handle = stats_handle};
HTTP_REGISTER_SERVICE(stats_service)
