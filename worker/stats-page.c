/* The HTTP statistics page as a local HTTP service named "stats": request
 * matching (method and URI prefix), Basic authentication against the
 * "stats auth" accounts, the options HAProxy reads from the URI (";csv",
 * ";typed", ";json", ";json-schema", ";up", ";no-maint", ";norefresh",
 * ";scope=", ";st="), and the exports, whose bodies are exactly what
 * "show stat" and "show schema json" print.
 */
#include "worker/stats-page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/http.h"
#include "worker/http-service.h"
#include "worker/http-txn.h"

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

int stats_page_intercept(struct stream *s)
{
	const struct proxy *px = s->fe->conf;
	if (!serves(px, &s->txn->req)) { /* then the backend's own page, if any */
		px = s->be ? s->be->conf : NULL;
		if (!px || px == s->fe->conf || !serves(px, &s->txn->req))
			return 0;
	}
	http_service_answer(s, http_service_find("stats"), px, px->stats);
	return 1;
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
static int reply_401(struct http_svc_req *rq, struct strbuf *out)
{
	rq->close = 1;
	const struct stats_page_cfg *cfg = rq->arg;
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

static int stats_handle(struct http_svc_req *rq, struct strbuf *out)
{
	const struct stats_page_cfg *cfg = rq->arg;
	if (!authorized(rq->req, cfg))
		return reply_401(rq, out);
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
	if (rq->req->meth == HTTP_METH_POST) { /* admin actions: "stats admin" is not supported */
		sb_printf(out,
		          "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\n"
		          "content-type: text/plain\r\ncontent-length: 0\r\n"
		          "location: %s;st=DENY\r\n\r\n",
		          cfg->uri);
		return 303;
	}
	pr.hide = (has_opt(opts, olen, ";up") ? STATS_HIDE_DOWN : 0) |
	          (has_opt(opts, olen, ";no-maint") ? STATS_HIDE_MAINT : 0);
	pr.norefresh = has_opt(opts, olen, ";norefresh");
	pr.denied = has_opt(opts, olen, ";st=DENY");
	opt_value(opts, olen, ";scope=", pr.scope, sizeof(pr.scope));

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

static struct http_service stats_service = {.name = "stats", .handle = stats_handle};
HTTP_REGISTER_SERVICE(stats_service)
