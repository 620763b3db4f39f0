/* Redirects: the "redirect" proxy keyword and the http-request /
 * http-response "redirect" action.
 *
 *   redirect location|prefix|scheme <value> [code N] [drop-query]
 *            [append-slash] [ignore-empty] [set-cookie NAME[=value]]
 *            [clear-cookie NAME[=]] [if|unless <condition>]
 *
 * In rules the value is a log-format string; with the keyword it is plain
 * text. Keyword rules run after the proxy's http-request rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/sample.h"
#include "conf/http.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "conf/rules.h"
#include "worker/http-rules.h"
#include "worker/http-txn.h"

enum redir_type { REDIR_LOCATION, REDIR_PREFIX, REDIR_SCHEME };

struct redirect_arg {
	enum redir_type type;
	int code;
	struct logfmt *fmt; /* rules: the value as a log-format */
	char *text;         /* keyword: the value as written */
	int drop_query, append_slash, ignore_empty;
	char *cookie; /* the whole Set-Cookie value, or NULL */
};

static int parse_code(const char *v, int *code, char **err)
{
	char *end;
	long c = strtol(v, &end, 10);
	if (*end || (c != 301 && c != 302 && c != 303 && c != 307 && c != 308)) {
		memprintf(err, "unsupported HTTP code '%s'", v);
		return 0;
	}
	*code = (int)c;
	return 1;
}

/* Parses the words of a redirect (after "redirect"). <lf>: the value is a
 * log-format string (rules) rather than plain text (keyword).
 */
static struct redirect_arg *parse_redirect(struct act_rule *r, char **args, int nargs, int lf,
                                           char **err)
{
	struct redirect_arg *a = xcalloc(1, sizeof(*a));
	const char *value = NULL;
	r->arg = a; /* reachable even when parsing fails */
	a->code = 302;
	for (int i = 0; i < nargs; i++) {
		const char *w = args[i];
		int has_arg = i + 1 < nargs;
		if ((!strcmp(w, "location") || !strcmp(w, "prefix") || !strcmp(w, "scheme")) &&
		    has_arg) {
			a->type = w[0] == 'l'   ? REDIR_LOCATION
			          : w[0] == 'p' ? REDIR_PREFIX
			                        : REDIR_SCHEME;
			value = args[++i];
		} else if (!strcmp(w, "code") && has_arg) {
			if (!parse_code(args[++i], &a->code, err))
				return NULL;
		} else if (!strcmp(w, "drop-query")) {
			a->drop_query = 1;
		} else if (!strcmp(w, "append-slash")) {
			a->append_slash = 1;
		} else if (!strcmp(w, "ignore-empty")) {
			a->ignore_empty = 1;
		} else if ((!strcmp(w, "set-cookie") || !strcmp(w, "clear-cookie")) && has_arg) {
			const char *c = args[++i];
			free(a->cookie);
			a->cookie = w[0] == 's' ? xasprintf("%s; path=/;", c)
			                        : xasprintf("%s; path=/; Max-Age=0;", c);
		} else {
			memprintf(err,
			          "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', "
			          "'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' "
			          "(was '%s')",
			          w);
			return NULL;
		}
	}
	if (!value) {
		memprintf(err, "redirect: missing 'location', 'prefix' or 'scheme'");
		return NULL;
	}
	if (lf) {
		struct smp_where w = {ruleset_checkpoint(r->rs, r->px), r->file, r->line, r->px};
		a->fmt = logfmt_parse_http(value, &w, err);
		if (!a->fmt)
			return NULL;
	} else {
		a->text = xstrdup(value);
	}
	return a;
}

static int parse_redirect_action(struct act_rule *r, char **args, int nargs, char **err)
{
	return parse_redirect(r, args, nargs, 1, err) != NULL; /* sets r->arg */
}

/* Appends the request's path (and query unless dropped) with its options. */
static size_t put_path(const struct redirect_arg *a, const struct http_msg *m, char *out,
                       size_t room, int default_slash)
{
	struct ist u = m->uri;
	const char *p = u.p, *end = u.p + u.len;
	if (u.len && *p != '/' && *p != '*') { /* absolute form: skip the authority */
		const char *ss = memmem(p, u.len, "://", 3);
		p = ss ? memchr(ss + 3, '/', (size_t)(end - ss - 3)) : NULL;
		if (!p)
			p = end;
	}
	if (a->drop_query) {
		const char *q = memchr(p, '?', (size_t)(end - p));
		if (q)
			end = q;
	}
	size_t n = (size_t)(end - p);
	if ((!n || *p == '*') && default_slash) {
		p = "/";
		n = 1;
	}
	if (n > room)
		n = room;
	memcpy(out, p, n);
	if (a->append_slash && n && out[n - 1] != '/' && n < room)
		out[n++] = '/';
	return n;
}

/* Builds the Location value into <out>; returns its length. */
static size_t build_location(const struct redirect_arg *a, struct stream *s, struct smp_ctx *ctx,
                             char *out, size_t room)
{
	const struct http_msg *m = &s->txn->req;
	size_t n = a->fmt ? logfmt_render(a->fmt, ctx, out, room)
	                  : (size_t)snprintf(out, room, "%s", a->text);
	if (n > room)
		n = room;
	if (a->type == REDIR_LOCATION || !s->txn->req_valid)
		return n;
	if (a->type == REDIR_PREFIX) {
		if (n == 1 && out[0] == '/')
			n = 0; /* "/" inserts nothing */
		return n + put_path(a, m, out + n, room - n, 0);
	}
	n += (size_t)snprintf(out + n, room - n, "://");
	for (int i = 0; i < m->nhdrs && n < room; i++) {
		const struct http_hdr *h = &m->hdrs[i];
		if (h->n.len && http_name_is(h->n, "host")) {
			size_t l = h->v.len < room - n ? h->v.len : room - n;
			memcpy(out + n, h->v.p, l);
			n += l;
			break;
		}
	}
	return n + put_path(a, m, out + n, room - n, 1);
}

static enum act_ret exec_redirect(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct redirect_arg *a = r->arg;
	size_t room = 8192;
	char *loc = smp_alloc(room), *resp = smp_alloc(room + 512);
	if (!loc || !resp)
		return ACT_RET_ERR;
	size_t ln = build_location(a, s, ctx, loc, room);
	if (!ln && a->ignore_empty)
		return ACT_RET_CONT;
	int n = snprintf(resp, room + 512,
	                 "HTTP/1.1 %d %s\r\ncontent-length: 0\r\nlocation: %.*s\r\n%s", a->code,
	                 http_reason(a->code), (int)ln, loc,
	                 a->code == 301 || a->code == 308 ? "" : "cache-control: no-cache\r\n");
	if (a->cookie)
		n += snprintf(resp + n, room + 512 - (size_t)n, "set-cookie: %s\r\n", a->cookie);
	if (http_client_closes(s->txn))
		n += snprintf(resp + n, room + 512 - (size_t)n, "connection: close\r\n");
	n += snprintf(resp + n, room + 512 - (size_t)n, "\r\n");
	if (r->rs == RS_HTTP_REQ)
		http_request_consumed(s);
	log_set_term_rule(s, 'L');
	http_reply_raw(s, resp, (size_t)n, a->code);
	return ACT_RET_DONE;
}

static const struct act_kw redirect_actions[] = {
    {"redirect", RS_F_HTTP_REQ | RS_F_HTTP_RES, parse_redirect_action, exec_redirect, 1},
};

ACT_REGISTER_KEYWORDS(redirect_actions)

/* The "redirect" keyword: a rule of its own list, run after http-request
 * rules (conf/rules.h: px->redirect_rules).
 */
static int parse_redirect_kw(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct proxy *px = ctx->px;
	struct act_rule *r = xcalloc(1, sizeof(*r));
	r->kw = &redirect_actions[0];
	r->rs = RS_HTTP_REQ;
	r->px = px;
	r->file = xstrdup(ctx->file);
	r->line = ctx->line;
	char *e2 = NULL;
	int ci = acl_find_cond(proxy_acl_scope(px), args + 1, nargs - 1, ctx->file, ctx->line,
	                       &r->cond, &e2);
	if (ci < 0 || !parse_redirect(r, args + 1, ci, 0, &e2)) {
		memprintf(err, "error detected in %s '%s' while parsing redirect rule : %s.",
		          px->cap & PX_CAP_FE ? (px->cap & PX_CAP_BE ? "proxy" : "frontend")
		                              : "backend",
		          px->id, e2 ? e2 : "invalid");
		free(e2);
		act_rule_refused(r);
		return CFG_ALERT;
	}
	struct act_rule **tail = &px->redirect_rules;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	return rule_cond_check(r->cond, ruleset_checkpoint(RS_HTTP_REQ, px),
	                       ruleset_where(RS_HTTP_REQ, px), NULL, ctx->file, ctx->line);
}

static const struct cfg_kw redirect_kws[] = {
    {.name = "redirect",
     .sections = SECT_FRONTEND | SECT_BACKEND | SECT_LISTEN,
     .cap = PX_CAP_FE | PX_CAP_BE,
     .parse = parse_redirect_kw},
};

CFG_REGISTER_KEYWORDS(redirect_kws)
