/* Layer 7 hash algorithms: "balance uri", "balance url_param <param>" and
 * "balance hdr(<name>)". The HTTP analysers call ops->http_key on each
 * request head (worker/http-req.c); the key is hashed with lb_hash() and the
 * shared map-based / consistent selection of worker/lb-hash.c picks the
 * server. A request without a key falls back to round-robin. The keys are
 * those of HAProxy 2.6 (backend.c get_server_uh/ph/hh), corner cases
 * included. These algorithms need HTTP mode: a TCP backend falls back to
 * roundrobin at validation (conf/validate.c).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "worker/lb-hash.h"

/* lb_cfg.arg_opt flags */
#define URI_WHOLE 0x1     /* uri: keep the query string */
#define URI_PATH_ONLY 0x2 /* uri: drop the scheme and authority */
#define HDR_DOMAIN 0x1    /* hdr: use_domain_only */

/* ---- Key extraction ---- */

/* Path of request-target <uri> as HAProxy's http_parse_path() sees it: an
 * origin form is kept whole; an absolute form loses "scheme://authority";
 * an empty, asterisk ("*") or authority form (CONNECT), or an absolute form
 * without a path, gives an empty (but present) key.
 */
static struct ist uri_path(struct ist uri)
{
	static const char empty[] = "";
	const char *p = uri.p, *end = uri.p + uri.len;
	if (uri.len && *p == '/')
		return uri;
	if (!uri.len || !isalpha((unsigned char)*p))
		return (struct ist){empty, 0};
	while (++p < end && (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'))
		;
	if (end - p < 3 || memcmp(p, "://", 3) != 0)
		return (struct ist){empty, 0};
	for (p += 3; p < end && *p != '/'; p++)
		;
	if (p == end)
		return (struct ist){empty, 0};
	return (struct ist){p, (uint32_t)(end - p)};
}

/* "balance uri": the request-target (or its path with "path-only") up to
 * the first '?' unless "whole", limited to "len" characters and to "depth"
 * directory levels (the key stops before the slash that starts level
 * depth + 1). An empty key is still a key.
 */
static void uri_key(const struct lb_cfg *cfg, const struct http_msg *req, struct ist *key)
{
	struct ist uri = req->uri;
	if (!uri.p)
		return;
	if (cfg->arg_opt & URI_PATH_ONLY)
		uri = uri_path(uri);
	uint32_t len = uri.len, i;
	if (cfg->arg_len > 0 && len > (uint32_t)cfg->arg_len)
		len = (uint32_t)cfg->arg_len;
	long long slashes = 0;
	for (i = 0; i < len; i++) {
		char c = uri.p[i];
		if (c == '/' && cfg->arg_depth > 0 && ++slashes > cfg->arg_depth)
			break;
		if (c == '?' && !(cfg->arg_opt & URI_WHOLE))
			break;
	}
	*key = (struct ist){uri.p, i};
}

/* "balance url_param <param>": in the query string (after the first '?'),
 * the value of the first "<param>=" (case-sensitive) that starts the string
 * or follows a '&', up to the next '&'. No '?' or no such parameter: no key.
 * Like HAProxy, an empty value ("<param>=&...") is a key (hashed, not
 * round-robin).
 */
static void url_param_key(const struct lb_cfg *cfg, const struct http_msg *req, struct ist *key)
{
	if (!req->uri.p || !cfg->arg)
		return;
	const char *end = req->uri.p + req->uri.len;
	const char *p = memchr(req->uri.p, '?', req->uri.len);
	size_t plen = strlen(cfg->arg);
	for (p = p ? p + 1 : NULL; p && (size_t)(end - p) > plen;) {
		if (p[plen] == '=' && memcmp(p, cfg->arg, plen) == 0) {
			const char *v = p + plen + 1, *e = v;
			while (e < end && *e != '&')
				e++;
			*key = (struct ist){v, (uint32_t)(e - v)};
			return;
		}
		p = memchr(p, '&', (size_t)(end - p));
		p = p ? p + 1 : NULL;
	}
}

/* First element of comma-separated header value <v>: up to the first comma
 * outside a quoted-string, without surrounding spaces and tabs.
 */
static struct ist hdr_first_value(struct ist v)
{
	const char *p = v.p, *end = v.p + v.len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *e = p;
	for (int quoted = 0, escaped = 0; e < end; e++) {
		if (escaped)
			escaped = 0;
		else if (quoted && *e == '\\')
			escaped = 1;
		else if (*e == '"')
			quoted = !quoted;
		else if (!quoted && *e == ',')
			break;
	}
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (struct ist){p, (uint32_t)(e - p)};
}

/* use_domain_only: the label before the last dot (the dot at index 0 does
 * not count), e.g. "1wt" in "haproxy.1wt.eu" or "example" in
 * "example.com:8080"; a value without such a dot is kept whole (HAProxy
 * does not strip a port from it: "localhost:8080" stays as is).
 */
static struct ist hdr_domain(struct ist v)
{
	uint32_t dot = 0, start = 0;
	for (uint32_t i = v.len; i-- > 1;) {
		if (v.p[i] == '.') {
			dot = i;
			break;
		}
	}
	if (!dot)
		return v;
	/* the domain has at least one character: no dot right before <dot> */
	for (uint32_t i = dot - 1; i-- > 0;) {
		if (v.p[i] == '.') {
			start = i + 1;
			break;
		}
	}
	return (struct ist){v.p + start, dot - start};
}

/* "balance hdr(<name>) [use_domain_only]": the first value (see
 * hdr_first_value()) of the first header <name>; none or an empty one: no
 * key. cfg->arg holds the name in lower case.
 */
static void hdr_key(const struct lb_cfg *cfg, const struct http_msg *req, struct ist *key)
{
	int i = cfg->arg ? http_find_hdr(req, cfg->arg, 0) : -1;
	if (i < 0 || !req->hdrs[i].v.p)
		return;
	struct ist v = hdr_first_value(req->hdrs[i].v);
	if (!v.len)
		return;
	*key = (cfg->arg_opt & HDR_DOMAIN) ? hdr_domain(v) : v;
}

/* ---- Configuration ---- */

/* Parses the value of uri option <opt> ("len" or "depth"): a positive
 * integer, digits only. Returns it, or -1 with *err set (HAProxy's wording).
 */
static int uri_opt_int(const char *opt, const char *val, char **err)
{
	char *end;
	errno = 0;
	long v = strtol(val, &end, 10);
	if (!isdigit((unsigned char)*val) || *end || errno || v <= 0 || v > INT_MAX) {
		memprintf(err, "balance uri : '%s' expects a positive integer (got '%s').", opt,
			  val);
		return -1;
	}
	return (int)v;
}

/* uri [len <n>] [depth <n>] [whole] [path-only], in any order. */
static int uri_parse(struct lb_cfg *lb, const char *paren_arg, char **args, int nargs, char **err)
{
	if (paren_arg) {
		memprintf(err, "%s", LB_UNKNOWN_ALGO_ERR);
		return -1;
	}
	for (int i = 0; i < nargs; i++) {
		if (strcmp(args[i], "len") == 0 || strcmp(args[i], "depth") == 0) {
			int v = uri_opt_int(args[i], i + 1 < nargs ? args[i + 1] : "", err);
			if (v < 0)
				return -1;
			if (strcmp(args[i++], "len") == 0)
				lb->arg_len = v;
			else
				lb->arg_depth = v;
		} else if (strcmp(args[i], "whole") == 0) {
			lb->arg_opt |= URI_WHOLE;
		} else if (strcmp(args[i], "path-only") == 0) {
			lb->arg_opt |= URI_PATH_ONLY;
		} else {
			memprintf(err,
				  "balance uri only accepts parameters 'len', 'depth', "
				  "'path-only', and 'whole' (got '%s').",
				  args[i]);
			return -1;
		}
	}
	return 0;
}

/* url_param <param> [check_post [<max_wait>]]; check_post needs the request
 * body, which the HTTP analysers do not wait for: refused.
 */
static int url_param_parse(struct lb_cfg *lb, const char *paren_arg, char **args, int nargs,
			   char **err)
{
	if (paren_arg) {
		memprintf(err, "%s", LB_UNKNOWN_ALGO_ERR);
		return -1;
	}
	if (nargs < 1 || !*args[0]) {
		memprintf(err, "balance url_param requires an URL parameter name.");
		return -1;
	}
	if (nargs > 1) {
		if (strcmp(args[1], "check_post") != 0)
			memprintf(err,
				  "balance url_param only accepts 'check_post' modifier "
				  "(got '%s').",
				  args[1]);
		else
			memprintf(err, "'balance url_param ... check_post' is not supported yet.");
		return -1;
	}
	lb->arg = xstrdup(args[0]);
	return 0;
}

/* hdr(<name>) [use_domain_only]; the name is stored in lower case. Unlike
 * HAProxy, which ignores them, words after the modifier are refused.
 */
static int hdr_parse(struct lb_cfg *lb, const char *paren_arg, char **args, int nargs, char **err)
{
	if (!paren_arg) {
		memprintf(err, "%s", LB_UNKNOWN_ALGO_ERR);
		return -1;
	}
	if (!*paren_arg) {
		memprintf(err, "balance hdr requires an http header field name.");
		return -1;
	}
	for (int i = 0; i < nargs; i++) {
		if (i > 0 || strcmp(args[i], "use_domain_only") != 0) {
			memprintf(err,
				  "balance hdr(%s) only accepts 'use_domain_only' modifier "
				  "(got '%s').",
				  paren_arg, args[i]);
			return -1;
		}
		lb->arg_opt |= HDR_DOMAIN;
	}
	lb->arg = xstrdup(paren_arg);
	for (char *c = lb->arg; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

#define L7_OPS(keyfn)                                                                              \
	{                                                                                          \
		.build = lb_hash_build, .free_data = lb_hash_free, .pick = lb_hash_pick,           \
		.needs_hash = 1, .http_key = keyfn,                                                \
	}

static const struct lb_ops uri_ops = L7_OPS(uri_key);
static const struct lb_ops url_param_ops = L7_OPS(url_param_key);
static const struct lb_ops hdr_ops = L7_OPS(hdr_key);

static struct lb_algo uri_algo = {
    .name = "uri", .parse = uri_parse, .needs_http = 1, .ops = &uri_ops};
static struct lb_algo url_param_algo = {
    .name = "url_param", .parse = url_param_parse, .needs_http = 1, .ops = &url_param_ops};
static struct lb_algo hdr_algo = {
    .name = "hdr",
    .parse = hdr_parse,
    .needs_http = 1,
    .unclosed_err = "hdr requires an http header field name.",
    .ops = &hdr_ops,
};
LB_REGISTER_ALGO(uri_algo)
LB_REGISTER_ALGO(url_param_algo)
LB_REGISTER_ALGO(hdr_algo)
