/* Rewriting actions: set-method, set-path, set-pathq, set-query, set-uri,
 * replace-path, replace-pathq, replace-uri, replace-header, replace-value,
 * set-status. New values live in the transaction's rewrite space; a value
 * that does not fit is a rewrite failure (500, counted in wrew).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/sample.h"
#include "conf/http.h"
#include "conf/rules.h"
#include "worker/counters.h"
#include "worker/http-txn.h"

struct rw_arg {
	char *name; /* header name, lower case */
	pcre2_code *re;
	struct logfmt *fmt;
	int status; /* set-status */
	char *reason;
};

static struct smp_where where_of(const struct act_rule *r)
{
	return (struct smp_where){ruleset_checkpoint(r->rs, r->px), r->file, r->line, r->px};
}

static pcre2_code *compile(const char *text, char **err)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re =
	    pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof(msg));
		memprintf(err, "regex '%s' is invalid (error=%s, erroffset=%zu)", text, (char *)msg,
		          (size_t)off);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* <fmt> | <regex> <fmt> | <name> <regex> <fmt>, by the number of words
 * the action expects.
 */
static int parse_rw(struct act_rule *r, char **args, int nargs, int want, char **err)
{
	if (nargs != want || !*args[want - 1]) {
		memprintf(err,
		          want == 1 ? "expects exactly 1 argument <format>"
		                    : "expects exactly %d arguments",
		          want);
		return 0;
	}
	struct rw_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a; /* reachable even when parsing fails */
	int i = 0;
	if (want == 3) {
		a->name = xstrdup(args[i++]);
		for (char *p = a->name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	if (want >= 2 && !(a->re = compile(args[i++], err)))
		return 0;
	struct smp_where w = where_of(r);
	if (!(a->fmt = logfmt_parse_http(args[i], &w, err)))
		return 0;
	r->arg = a;
	return 1;
}

static int parse_set1(struct act_rule *r, char **a, int n, char **err)
{
	return parse_rw(r, a, n, 1, err);
}

static int parse_replace2(struct act_rule *r, char **a, int n, char **err)
{
	return parse_rw(r, a, n, 2, err);
}

static int parse_replace3(struct act_rule *r, char **a, int n, char **err)
{
	return parse_rw(r, a, n, 3, err);
}

/* A rewrite failed: counted; fatal (500) unless "strict-mode off". */
static enum act_ret failed(struct act_rule *r, struct stream *s)
{
	counters_http_rewrite_failed(s->fe, r->rs == RS_HTTP_REQ ? NULL : s->be);
	return s->txn->lax_rewrite ? ACT_RET_CONT : ACT_RET_ERR;
}

/* strict-mode on|off: for the rest of the transaction. */
static int parse_strict(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs != 1 || (strcmp(args[0], "on") && strcmp(args[0], "off"))) {
		memprintf(err, "expects 'on' or 'off' as argument");
		return 0;
	}
	r->arg = (void *)(intptr_t)(args[0][1] == 'f');
	return 1;
}

static enum act_ret exec_strict(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	s->txn->lax_rewrite = r->arg != NULL;
	return ACT_RET_CONT;
}

/* Renders the rule's format into the transaction's rewrite space. */
static int render(struct act_rule *r, struct stream *s, struct smp_ctx *ctx, struct ist *out)
{
	const struct rw_arg *a = r->arg;
	size_t room = rt.cfg->global.tune_bufsize;
	char *tmp = smp_alloc(room);
	if (!tmp)
		return 0;
	size_t n = logfmt_render(a->fmt, ctx, tmp, room);
	char *p = http_rw_alloc(s->txn, n);
	if (!p)
		return 0;
	memcpy(p, tmp, n);
	*out = (struct ist){p, n};
	return 1;
}

/* Splits the request-target into prefix (scheme://authority of the
 * absolute form), path and query (from '?', included).
 */
static void split_uri(struct ist u, struct ist *pfx, struct ist *path, struct ist *query)
{
	const char *p = u.p, *end = u.p + u.len;
	if (u.len && *p != '/' && *p != '*') {
		const char *ss = memmem(p, u.len, "://", 3);
		const char *sl = ss ? memchr(ss + 3, '/', (size_t)(end - ss - 3)) : NULL;
		p = sl ? sl : ss ? end : p;
	}
	*pfx = (struct ist){u.p, (size_t)(p - u.p)};
	const char *q = memchr(p, '?', (size_t)(end - p));
	*path = (struct ist){p, (size_t)((q ? q : end) - p)};
	*query = (struct ist){q ? q : end, (size_t)(q ? end - q : 0)};
}

/* Joins up to three parts into the rewrite space as the new URI. */
static int set_uri_parts(struct stream *s, struct ist a, struct ist b, struct ist c)
{
	char *p = http_rw_alloc(s->txn, a.len + b.len + c.len);
	if (!p)
		return 0;
	memcpy(p, a.p, a.len);
	memcpy(p + a.len, b.p, b.len);
	memcpy(p + a.len + b.len, c.p, c.len);
	s->txn->req.uri = (struct ist){p, a.len + b.len + c.len};
	return 1;
}

/* set-method, set-path, set-pathq, set-query, set-uri */
static enum act_ret exec_set(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	struct http_msg *m = &s->txn->req;
	struct ist v, pfx, path, query;
	if (!render(r, s, ctx, &v))
		return failed(r, s);
	split_uri(m->uri, &pfx, &path, &query);
	const char *what = r->kw->name + 4; /* after "set-" */
	int ok = 1;
	if (!strcmp(what, "method")) {
		m->meth_s = v;
		m->meth = http_meth_of(v);
	} else if (!strcmp(what, "uri")) {
		m->uri = v;
	} else if (!strcmp(what, "path")) {
		ok = set_uri_parts(s, pfx, v, query);
	} else if (!strcmp(what, "pathq")) {
		ok = set_uri_parts(s, pfx, v, (struct ist){"", 0});
	} else { /* query: the '?' stays even when it is empty, as HAProxy */
		struct ist qm = {"?", 1};
		ok = set_uri_parts(s, pfx, path, qm) &&
		     set_uri_parts(s, m->uri, v, (struct ist){"", 0});
	}
	return ok ? ACT_RET_CONT : failed(r, s);
}

static __thread pcre2_match_data *md;

/* Expands \0..\9 of <fmt> with the groups of the last match on <subj>. */
static int expand(struct stream *s, struct ist fmt, const char *subj, int groups, struct ist *out)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	size_t len = 0;
	for (int pass = 0; pass < 2; pass++) {
		char *p = pass ? http_rw_alloc(s->txn, len) : NULL;
		size_t n = 0;
		if (pass && !p)
			return 0;
		for (size_t i = 0; i < fmt.len; i++) {
			if (fmt.p[i] == '\\' && i + 1 < fmt.len &&
			    isdigit((unsigned char)fmt.p[i + 1])) {
				int g = fmt.p[++i] - '0';
				if (g < groups && ov[2 * g] != PCRE2_UNSET) {
					size_t l = ov[2 * g + 1] - ov[2 * g];
					if (pass)
						memcpy(p + n, subj + ov[2 * g], l);
					n += l;
				}
				continue;
			}
			if (pass)
				p[n] = fmt.p[i];
			n++;
		}
		len = n;
		if (pass)
			*out = (struct ist){p, n};
	}
	return 1;
}

/* Matches the rule's regex on <subj>; on a match, *out gets the expanded
 * format. Returns 1 on a match, 0 on none, -1 on a failure.
 */
static int regex_replace(struct act_rule *r, struct stream *s, struct smp_ctx *ctx, struct ist subj,
                         struct ist *out)
{
	const struct rw_arg *a = r->arg;
	if (!md && !(md = pcre2_match_data_create(10, NULL)))
		return -1;
	int rc = pcre2_match(a->re, (PCRE2_SPTR)subj.p, subj.len, 0, 0, md, NULL);
	if (rc < 0)
		return 0;
	size_t room = rt.cfg->global.tune_bufsize;
	char *tmp = smp_alloc(room);
	if (!tmp)
		return -1;
	struct ist fmt = {tmp, logfmt_render(a->fmt, ctx, tmp, room)};
	/* the format was rendered after the match: match again for the groups */
	rc = pcre2_match(a->re, (PCRE2_SPTR)subj.p, subj.len, 0, 0, md, NULL);
	return rc >= 0 && expand(s, fmt, subj.p, rc, out) ? 1 : -1;
}

/* replace-path, replace-pathq, replace-uri */
static enum act_ret exec_replace_uri(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	struct http_msg *m = &s->txn->req;
	struct ist pfx, path, query, v;
	split_uri(m->uri, &pfx, &path, &query);
	const char *what = r->kw->name + 8; /* after "replace-" */
	int uri = !strcmp(what, "uri"), pq = !strcmp(what, "pathq");
	struct ist subj = uri ? m->uri : pq ? (struct ist){path.p, path.len + query.len} : path;
	int rc = regex_replace(r, s, ctx, subj, &v);
	if (rc <= 0)
		return rc < 0 ? failed(r, s) : ACT_RET_CONT;
	int ok = uri ? (m->uri = v, 1) : set_uri_parts(s, pfx, v, pq ? (struct ist){"", 0} : query);
	return ok ? ACT_RET_CONT : failed(r, s);
}

/* replace-header (whole values) and replace-value (each comma-separated
 * value) on every header of the name. A replaced value loses the blanks
 * before it; the others are kept byte for byte, as HAProxy does.
 */
static enum act_ret exec_replace_hdr(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct rw_arg *a = r->arg;
	struct http_msg *m = r->rs == RS_HTTP_REQ ? &s->txn->req : &s->txn->rsp;
	int per_value = r->kw->name[8] == 'v';
	for (int i = 0; i < m->nhdrs; i++) {
		struct http_hdr *h = &m->hdrs[i];
		if (!h->n.len || !http_name_is(h->n, a->name))
			continue;
		if (!per_value) {
			struct ist v;
			int rc = regex_replace(r, s, ctx, h->v, &v);
			if (rc < 0)
				return failed(r, s);
			if (rc)
				h->v = v;
			continue;
		}
		/* rebuild the value element by element */
		size_t room = h->v.len * 2 + rt.cfg->global.tune_bufsize;
		char *buf = smp_alloc(room);
		size_t n = 0;
		const char *p = h->v.p, *end = h->v.p + h->v.len;
		if (!buf)
			return failed(r, s);
		while (p <= end) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			const char *e = c ? c : end, *b = p;
			while (b < e && (*b == ' ' || *b == '\t'))
				b++;
			struct ist el = {b, (size_t)(e - b)}, v;
			int rc = regex_replace(r, s, ctx, el, &v);
			if (rc < 0)
				return failed(r, s);
			if (!rc) /* untouched: kept as it was, blanks included */
				v = (struct ist){p, (size_t)(e - p)};
			if (n + v.len + 1 > room)
				return failed(r, s);
			if (p != h->v.p)
				buf[n++] = ',';
			memcpy(buf + n, v.p, v.len);
			n += v.len;
			if (!c)
				break;
			p = c + 1;
		}
		char *nv = http_rw_alloc(s->txn, n);
		if (!nv)
			return failed(r, s);
		memcpy(nv, buf, n);
		h->v = (struct ist){nv, n};
	}
	return ACT_RET_CONT;
}

/* set-status <code> [reason <text>] */
static int parse_set_status(struct act_rule *r, char **args, int nargs, char **err)
{
	char *end;
	long st = nargs ? strtol(args[0], &end, 10) : 0;
	if (!nargs || *end || st < 100 || st > 999) {
		memprintf(err, "expects an HTTP status code between 100 and 999");
		return 0;
	}
	struct rw_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a; /* reachable even when parsing fails */
	a->status = (int)st;
	if (nargs == 3 && !strcmp(args[1], "reason")) {
		a->reason = xstrdup(args[2]);
	} else if (nargs != 1) {
		memprintf(err, "expects only 'reason' keyword after the status code");
		return 0;
	}
	r->arg = a;
	return 1;
}

static enum act_ret exec_set_status(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct rw_arg *a = r->arg;
	struct http_msg *m = &s->txn->rsp;
	const char *reason = a->reason ? a->reason : http_reason(a->status);
	m->status = a->status;
	m->reason = (struct ist){reason, strlen(reason)};
	return ACT_RET_CONT;
}

#define REQ RS_F_HTTP_REQ
#define RES (RS_F_HTTP_RES | RS_F_HTTP_AFTER)
static const struct act_kw rewrite_actions[] = {
    {"set-method", REQ, parse_set1, exec_set, 0},
    {"set-path", REQ, parse_set1, exec_set, 0},
    {"set-pathq", REQ, parse_set1, exec_set, 0},
    {"set-query", REQ, parse_set1, exec_set, 0},
    {"set-uri", REQ, parse_set1, exec_set, 0},
    {"replace-path", REQ, parse_replace2, exec_replace_uri, 0},
    {"replace-pathq", REQ, parse_replace2, exec_replace_uri, 0},
    {"replace-uri", REQ, parse_replace2, exec_replace_uri, 0},
    {"replace-header", REQ | RES, parse_replace3, exec_replace_hdr, 0},
    {"replace-value", REQ | RES, parse_replace3, exec_replace_hdr, 0},
    {"set-status", RES, parse_set_status, exec_set_status, 0},
    {"strict-mode", REQ | RES, parse_strict, exec_strict, 0},
};

ACT_REGISTER_KEYWORDS(rewrite_actions)
