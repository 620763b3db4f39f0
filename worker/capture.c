/* Captures: "capture request header <name> len <n>", "capture response
 * header <name> len <n>", "declare capture request|response len <n>",
 * "capture cookie <name> len <n>", the capture actions ("http-request capture <sample> len <n>|id
 * <n>", "http-response capture <sample> id <n>"; not yet in tcp-request content, where TCP streams
 * have no transaction to keep them) and the fetches capture.req.hdr(N), capture.res.hdr(N).
 *
 * Slots belong to the frontend and are numbered in the order they are
 * declared; each transaction keeps its captured values (truncated to the
 * slot's length) for the rules and, later, the log line.
 */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "conf/proxy.h"
#include "conf/rules.h"
#include "worker/capture.h"
#include "worker/fetch-http.h"
#include "worker/http-txn.h"

#define CAP_MAX_LEN 65536

/* Adds a slot to the proxy; returns its index. */
static int add_slot(struct proxy *px, int dir, const char *hdr, int len)
{
	int n = px->ncaps[dir];
	px->caps[dir] = xrealloc(px->caps[dir], sizeof(struct cap_slot) * (size_t)(n + 1));
	px->caps[dir][n].hdr = hdr ? xstrdup(hdr) : NULL;
	for (char *p = px->caps[dir][n].hdr; p && *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	px->caps[dir][n].len = len;
	px->ncaps[dir] = n + 1;
	return n;
}

static int parse_len(const char *v, int *len)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n <= 0 || n > CAP_MAX_LEN)
		return 0;
	*len = (int)n;
	return 1;
}

/* capture request|response header <name> len <n> */
static int parse_capture_hdr(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	int dir = args[1][2] == 's'; /* "response" */
	int len;
	if (nargs != 6 || strcmp(args[4], "len") || !parse_len(args[5], &len)) {
		memprintf(err, "'capture %s' expects 'header' <header_name> 'len' <len>.", args[1]);
		return CFG_ALERT;
	}
	add_slot(ctx->px, dir, args[3], len);
	return CFG_OK;
}

/* declare capture request|response len <n> */
static int parse_declare(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	int len;
	if (nargs < 3 || (strcmp(args[2], "request") && strcmp(args[2], "response"))) {
		memprintf(err, "'declare capture' requires a direction ('request' or 'response')");
		return CFG_ALERT;
	}
	if (nargs != 5 || strcmp(args[3], "len") || !parse_len(args[4], &len)) {
		memprintf(err, "'declare capture %s' expects 'len' <len>", args[2]);
		return CFG_ALERT;
	}
	add_slot(ctx->px, args[2][2] == 's', NULL, len);
	return CFG_OK;
}

#define COOKIE_CAP_MAX 63 /* HAProxy's CAPTURE_LEN - 1 */

/* capture cookie <name> len <n>: a later line replaces an earlier one; a
 * length above 63 is cut to 63 with a warning, as HAProxy does.
 */
static int parse_capture_cookie(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	int len;
	if (nargs != 5 || !*args[2] || strcmp(args[3], "len") || !parse_len(args[4], &len)) {
		memprintf(err, "'capture cookie' expects <cookie_name> 'len' <len> (a positive "
		               "number).");
		return CFG_ALERT;
	}
	free(ctx->px->cap_cookie);
	ctx->px->cap_cookie = xstrdup(args[2]);
	ctx->px->cap_cookie_len = len > COOKIE_CAP_MAX ? COOKIE_CAP_MAX : len;
	if (len <= COOKIE_CAP_MAX)
		return CFG_OK;
	memprintf(err, "truncating capture length to %d bytes for %s '%s'.", COOKIE_CAP_MAX,
	          proxy_type_str(ctx->px), ctx->px->id);
	return CFG_WARN;
}

static const struct cfg_kw capture_kws[] = {
    {.name = "capture cookie",
     .sections = SECT_FRONTEND | SECT_LISTEN,
     .cap = PX_CAP_FE,
     .parse = parse_capture_cookie},
    {.name = "capture request header",
     .sections = SECT_FRONTEND | SECT_LISTEN,
     .cap = PX_CAP_FE,
     .parse = parse_capture_hdr},
    {.name = "capture response header",
     .sections = SECT_FRONTEND | SECT_LISTEN,
     .cap = PX_CAP_FE,
     .parse = parse_capture_hdr},
    {.name = "declare capture",
     .sections = SECT_FRONTEND | SECT_LISTEN,
     .cap = PX_CAP_FE,
     .parse = parse_declare},
};

CFG_REGISTER_KEYWORDS(capture_kws)

/* Stores <len> bytes of <v> in slot <i> of direction <dir>. */
static void store(struct stream *s, int dir, int i, const char *v, size_t len)
{
	struct http_txn *t = s->txn;
	const struct proxy *fe = s->fe->conf;
	if (!t || i < 0 || i >= fe->ncaps[dir])
		return;
	if (!t->caps[dir] && !(t->caps[dir] = calloc((size_t)fe->ncaps[dir], sizeof(char *))))
		return;
	size_t max = (size_t)fe->caps[dir][i].len;
	if (len > max)
		len = max;
	char *p = realloc(t->caps[dir][i], len + 1);
	if (!p)
		return;
	memcpy(p, v, len);
	p[len] = 0;
	t->caps[dir][i] = p;
}

void capture_headers(struct stream *s, int dir)
{
	const struct proxy *fe = s->fe->conf;
	const struct http_msg *m = dir ? &s->txn->rsp : &s->txn->req;
	for (int i = 0; i < fe->ncaps[dir]; i++) {
		const char *name = fe->caps[dir][i].hdr;
		for (int h = 0; name && h < m->nhdrs; h++) /* the last one wins */
			if (m->hdrs[h].n.len && http_name_is(m->hdrs[h].n, name))
				store(s, dir, i, m->hdrs[h].v.p, m->hdrs[h].v.len);
	}
}

static int is_sp(char c)
{
	return c == ' ' || c == '\t';
}

/* A cookie's parts in a header value: name [nb, ne), value [vb, ve). */
struct cookie_span {
	const char *nb, *ne, *vb, *ve;
};

/* Byte <i> of the cookie's "name=value" text. */
static char cookie_at(const struct cookie_span *c, size_t i)
{
	size_t nl = (size_t)(c->ne - c->nb);
	return i < nl ? c->nb[i] : i == nl ? '=' : c->vb[i - nl - 1];
}

/* Parses the cookie starting at *pp (before <end>); a request also splits
 * on ','. Leaves *pp past its delimiter. Returns 0 when it has no '='.
 */
static int cookie_next(const char **pp, const char *end, int req, struct cookie_span *c)
{
	const char *p = *pp;
	while (p < end && is_sp(*p))
		p++;
	c->nb = p;
	while (p < end && *p != '=' && *p != ';' && !(req && *p == ','))
		p++;
	for (c->ne = p; c->ne > c->nb && is_sp(c->ne[-1]); c->ne--)
		;
	int has_eq = p < end && *p == '=';
	if (has_eq) {
		for (p++; p < end && is_sp(*p); p++)
			;
		c->vb = p;
		if (p < end && *p == '"') /* a quoted value may hold delimiters */
			for (p++; p < end && *p++ != '"';)
				;
		while (p < end && *p != ';' && !(req && *p == ','))
			p++;
		for (c->ve = p; c->ve > c->vb && is_sp(c->ve[-1]); c->ve--)
			;
	}
	*pp = p < end ? p + 1 : p;
	return has_eq;
}

long cookie_capture_find(const char *v, size_t len, int req, const char *name, size_t nlen,
                         char *out, size_t max)
{
	const char *p = v, *end = v + len;
	while (p < end) {
		struct cookie_span c;
		int ok = cookie_next(&p, end, req, &c);
		size_t tl = ok ? (size_t)(c.ne - c.nb) + 1 + (size_t)(c.ve - c.vb) : 0;
		size_t i = 0;
		while (ok && i < nlen && i < tl && cookie_at(&c, i) == name[i])
			i++;
		if (ok && i == nlen) {
			size_t n = tl < max ? tl : max;
			for (i = 0; i < n; i++)
				out[i] = cookie_at(&c, i);
			out[n] = 0;
			return (long)n;
		}
		if (!req)
			break; /* the rest of a Set-Cookie value are attributes */
	}
	return -1;
}

void capture_cookie(struct stream *s, int dir)
{
	const struct proxy *fe = s->fe->conf;
	struct http_txn *t = s->txn;
	const struct http_msg *m = dir ? &t->rsp : &t->req;
	const char *hname = dir ? "set-cookie" : "cookie";
	char buf[COOKIE_CAP_MAX + 1];
	free(t->cookie_cap[dir]);
	t->cookie_cap[dir] = NULL;
	for (int h = 0; h < m->nhdrs; h++) {
		if (!m->hdrs[h].n.len || !http_name_is(m->hdrs[h].n, hname))
			continue;
		long n =
		    cookie_capture_find(m->hdrs[h].v.p, m->hdrs[h].v.len, !dir, fe->cap_cookie,
		                        strlen(fe->cap_cookie), buf, (size_t)fe->cap_cookie_len);
		if (n >= 0) {
			t->cookie_cap[dir] = xstrndup(buf, (size_t)n);
			return;
		}
	}
}

const char *capture_cookie_value(const struct stream *s, int dir)
{
	return s->txn ? s->txn->cookie_cap[dir] : NULL;
}

void capture_free(struct http_txn *t, const struct proxy *fe)
{
	for (int dir = 0; dir < 2; dir++) {
		free(t->cookie_cap[dir]);
		t->cookie_cap[dir] = NULL;
	}
	for (int dir = 0; dir < 2; dir++) {
		for (int i = 0; t->caps[dir] && i < fe->ncaps[dir]; i++)
			free(t->caps[dir][i]);
		free(t->caps[dir]);
		t->caps[dir] = NULL;
	}
}

const char *capture_value(const struct stream *s, int dir, int i)
{
	const struct http_txn *t = s->txn;
	if (!t || !t->caps[dir] || i < 0 || i >= s->fe->conf->ncaps[dir])
		return NULL;
	return t->caps[dir][i];
}

struct capture_arg {
	struct sample_expr *expr;
	int id;
};

/* capture <sample> len <n> | id <n> */
static int parse_capture_action(struct act_rule *r, char **args, int nargs, char **err)
{
	struct capture_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a;
	int dir = r->rs == RS_HTTP_RES;
	struct smp_where w = {ruleset_checkpoint(r->rs, r->px), r->file, r->line, r->px};
	int idx = 0, len;
	if (nargs != 3 || (strcmp(args[1], "len") && strcmp(args[1], "id"))) {
		memprintf(err, "expects <expression> [ 'len' <length> | id <idx> ]");
		return 0;
	}
	if (!(a->expr = sample_parse_expr(args, &idx, &w, err)))
		return 0;
	if (!strcmp(args[1], "len")) {
		if (dir || !(r->px->cap & PX_CAP_FE) || !parse_len(args[2], &len)) {
			memprintf(err, dir ? "'len' is not allowed in http-response rules, use 'id'"
			                   : "'len' expects a positive length, in a frontend");
			return 0;
		}
		a->id = add_slot(r->px, 0, NULL, len);
		return 1;
	}
	char *end;
	long id = strtol(args[2], &end, 10);
	if (*end || id < 0) {
		memprintf(err, "'id' expects a capture slot number");
		return 0;
	}
	a->id = (int)id; /* checked against the frontend's slots at validation */
	return 1;
}

static enum act_ret exec_capture(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct capture_arg *a = r->arg;
	struct sample smp;
	if (sample_fetch_as(a->expr, ctx, SMP_T_STR, &smp))
		store(s, r->rs == RS_HTTP_RES, a->id, smp.u.str.ptr, smp.u.str.len);
	return ACT_RET_CONT;
}

static const struct act_kw capture_actions[] = {
    {"capture", RS_F_HTTP_REQ | RS_F_HTTP_RES, parse_capture_action, exec_capture, 0},
};

ACT_REGISTER_KEYWORDS(capture_actions)

/* capture.req.hdr(N), capture.res.hdr(N) */
static int fetch_capture(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	const char *v = s ? capture_value(s, priv != NULL, (int)args[0].data.sint) : NULL;
	if (!v)
		return 0;
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	smp->u.str = (struct smp_str){(char *)v, strlen(v)};
	return 1;
}

static const struct smp_fetch_kw capture_fetches[] = {
    {"capture.req.hdr", fetch_capture, ARGS(1, ARGT_SINT), NULL, SMP_T_STR, SMP_USE_INTRN, NULL},
    {"capture.res.hdr", fetch_capture, ARGS(1, ARGT_SINT), NULL, SMP_T_STR, SMP_USE_INTRN,
     (void *)1},
};

SMP_REGISTER_FETCHES(capture_fetches)
