/* Basic HTTP actions: allow, deny, return, set-header, add-header,
 * del-header, set-var, unset-var (http-request, http-response,
 * http-after-response; the variable ones in TCP rule sets too).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/sample.h"
#include "common/vars.h"
#include "common/msg.h"
#include "conf/http.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "conf/proxy.h"
#include "conf/rules.h"
#include "worker/act-http.h"
#include "worker/counters.h"
#include "worker/http-rules.h"
#include "worker/http-txn.h"
#include "worker/rules.h"

#define RS_HTTP_ALL (RS_F_HTTP_REQ | RS_F_HTTP_RES | RS_F_HTTP_AFTER)
#define RS_ALL_CONTENT (RS_HTTP_ALL | RS_F_TCP_REQ | RS_F_TCP_RES | RS_F_TCP_SESS | RS_F_TCP_CONN)

/* The message a rule of <r>'s set works on. */
static struct http_msg *rule_msg(const struct act_rule *r, struct stream *s)
{
	return r->rs == RS_HTTP_REQ ? &s->txn->req : &s->txn->rsp;
}

static struct smp_where rule_where(const struct act_rule *r)
{
	return (struct smp_where){ruleset_checkpoint(r->rs, r->px), r->file, r->line, r->px};
}

/* allow: stop evaluating this rule set. */
static int parse_allow(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs) {
		memprintf(err, "unexpected argument '%s'", args[0]);
		return 0;
	}
	return 1;
}

static enum act_ret exec_allow(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	return ACT_RET_STOP;
}

struct return_arg {
	int status;
	int custom; /* a body, type or header was given (else: the error page) */
	char *ctype;
	struct logfmt *body; /* string or lf-string */
	char *file_body;     /* file or lf-file contents */
	size_t file_len;
	int lf_file;
	struct {
		char *name;
		struct logfmt *value;
	} hdrs[16];
	int nhdrs;
	const char *payload;            /* option that set the payload, for messages */
	char *errfile;                  /* errorfile <path>, loaded at validation */
	char *errfiles;                 /* errorfiles <section>, resolved at validation */
	int dflt;                       /* default-errorfiles: the proxy's error pages */
	const struct http_reply *reply; /* errorfile(s): the full response to send */
};

static char *read_file(const char *path, size_t *len, char **err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		memprintf(err, "failed to open file '%s'", path);
		return NULL;
	}
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	do {
		if (n == cap)
			buf = xrealloc(buf, (cap = cap ? cap * 2 : 4096) + 1);
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Records option <o> as the payload of <a>, refusing a second one with
 * HAProxy's message.
 */
static int set_payload(struct return_arg *a, const char *o, char **err)
{
	if (a->payload) {
		memprintf(err, "unexpected '%s' argument, '%s' already defined", o, a->payload);
		return 0;
	}
	a->payload = o;
	return 1;
}

/* Parses the payload and header options of a reply (all but "status"). */
static int parse_body_opt(struct act_rule *r, struct return_arg *a, const char *o, char **args,
                          int nargs, int *i, char **err)
{
	struct smp_where w = rule_where(r);
	const char *v = args[*i];
	if (!strcmp(o, "content-type")) {
		a->ctype = xstrdup(v);
	} else if (!strcmp(o, "errorfile") || !strcmp(o, "errorfiles")) {
		if (!set_payload(a, o, err))
			return 0;
		*(o[9] ? &a->errfiles : &a->errfile) = xstrdup(v);
	} else if (!strcmp(o, "string") || !strcmp(o, "lf-string")) {
		if (!set_payload(a, o, err))
			return 0;
		a->body =
		    o[0] == 'l' ? logfmt_parse_http(v, &w, err) : logfmt_parse_http("", &w, err);
		if (!a->body)
			return 0;
		if (o[0] != 'l') {
			a->file_body = xstrdup(v);
			a->file_len = strlen(v);
		}
	} else if (!strcmp(o, "file") || !strcmp(o, "lf-file")) {
		if (!set_payload(a, o, err))
			return 0;
		a->file_body = read_file(v, &a->file_len, err);
		if (!a->file_body)
			return 0;
		if (o[0] == 'l') {
			a->body = logfmt_parse_http(a->file_body, &w, err);
			if (!a->body)
				return 0;
			a->lf_file = 1;
		}
	} else { /* "hdr" */
		if (*i + 1 >= nargs || !*v || !*args[*i + 1]) {
			memprintf(err, "'hdr' expects <name> and <value> as arguments");
			return 0;
		}
		if (a->nhdrs == 16) {
			memprintf(err, "too many 'hdr' (16 at most)");
			return 0;
		}
		a->hdrs[a->nhdrs].name = xstrdup(v);
		a->hdrs[a->nhdrs].value = logfmt_parse_http(args[++*i], &w, err);
		if (!a->hdrs[a->nhdrs++].value)
			return 0;
	}
	return 1;
}

/* Parses the option of a reply at args[*i] (return, deny, tarpit). */
static int parse_return_opt(struct act_rule *r, struct return_arg *a, char **args, int nargs,
                            int *i, char **err)
{
	static const char *const opts[] = {
	    "status",    "deny_status", "content-type", "errorfile", "errorfiles",        "string",
	    "lf-string", "file",        "lf-file",      "hdr",       "default-errorfiles"};
	const char *o = args[*i];
	size_t k = 0;
	while (k < ARRAY_SIZE(opts) && strcmp(o, opts[k]))
		k++;
	if (k == ARRAY_SIZE(opts)) {
		memprintf(err, "'%s' is not supported yet in '%s'", o, r->kw->name);
		return 0;
	}
	if (!strcmp(o, "default-errorfiles")) {
		a->custom = a->dflt = 1;
		return set_payload(a, o, err);
	}
	if (*i + 1 >= nargs) {
		memprintf(err, "'%s' expects an argument", o);
		return 0;
	}
	const char *v = args[++*i];
	if (k > 1) {
		a->custom = 1;
		return parse_body_opt(r, a, o, args, nargs, i, err);
	}
	char *end;
	long st = strtol(v, &end, 10);
	if (*end || st < 200 || st > 599 ||
	    (strcmp(r->kw->name, "return") && http_err_slot((int)st) < 0)) {
		memprintf(err, "Unexpected status code '%s'", v);
		return 0;
	}
	a->status = (int)st;
	return 1;
}

/* Whether the reply is a full response taken from error files. */
static int reply_is_errorfile(const struct return_arg *a)
{
	return a->errfile || a->errfiles || a->dflt;
}

/* Warns, as HAProxy does, about the options an error-file reply ignores. */
static void warn_ignored_opts(const struct act_rule *r, const struct return_arg *a)
{
	if (a->ctype)
		ha_warning("config : " CFG_LOC_FMT "content-type '%s' ignored by the http reply "
		           "when used with an erorrfile.\n",
		           r->file, r->line, a->ctype);
	if (a->nhdrs)
		ha_warning("config : " CFG_LOC_FMT "hdr parameters ignored by the http reply when "
		           "used with an erorrfile.\n",
		           r->file, r->line);
}

/* Parses the reply options of return, deny and tarpit; <status> is the
 * default status.
 */
static int parse_reply(struct act_rule *r, char **args, int nargs, int status, char **err)
{
	struct return_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a; /* reachable even when parsing fails */
	a->status = status;
	for (int i = 0; i < nargs; i++)
		if (!parse_return_opt(r, a, args, nargs, &i, err))
			return 0; /* the configuration is refused: nothing to free */
	if (reply_is_errorfile(a)) {
		if (!strcmp(r->kw->name, "tarpit")) {
			memprintf(err, "'%s' is not supported yet in 'tarpit'", a->payload);
			return 0;
		}
		if ((a->errfiles || a->dflt) && http_err_slot(a->status) < 0) {
			memprintf(err, "status code '%d' not handled by default with '%s' argument",
			          a->status, a->payload);
			return 0;
		}
		warn_ignored_opts(r, a);
		return 1;
	}
	if ((a->body || a->file_body) && !a->ctype) {
		memprintf(err, "a 'content-type' is required with a body");
		return 0;
	}
	r->arg = a;
	return 1;
}

/* Builds the response of "return" in the sample arena. */
static int parse_return(struct act_rule *r, char **args, int nargs, char **err)
{
	return parse_reply(r, args, nargs, 200, err);
}

int act_parse_deny(struct act_rule *r, char **args, int nargs, char **err)
{
	return parse_reply(r, args, nargs, r->rs == RS_HTTP_REQ ? 403 : 502, err);
}

int act_parse_tarpit(struct act_rule *r, char **args, int nargs, char **err)
{
	return parse_reply(r, args, nargs, 500, err);
}

int act_reply_status(const struct act_rule *r)
{
	return ((const struct return_arg *)r->arg)->status;
}

/* Sends the reply of a return/deny rule: the error page of its status,
 * or the one built from its options. <cause> is the termination cause
 * logged: 'L' for a return (whatever its status, as in HAProxy), 'P' for a
 * deny.
 */
static enum act_ret send_reply(struct act_rule *r, struct stream *s, struct smp_ctx *ctx,
                               char cause)
{
	const struct return_arg *a = r->arg;
	if (reply_is_errorfile(a)) {
		const struct http_reply *rep =
		    a->dflt || !a->reply ? http_error_reply(r->px, a->status) : a->reply;
		if (!rep)
			return ACT_RET_ERR;
		if (r->rs == RS_HTTP_REQ)
			http_request_consumed(s);
		log_set_term_rule(s, r->rs == RS_HTTP_REQ && a->status < 400 ? 'L' : 'P');
		http_reply_raw(s, rep->raw, rep->len, a->status);
		return ACT_RET_DONE;
	}
	size_t cap = 4096 + a->file_len * 2 + rt.cfg->global.tune_bufsize;
	char *body = smp_alloc(cap), *head = smp_alloc(4096);
	if (!body || !head)
		return ACT_RET_ERR;
	size_t blen = 0;
	if (a->body && (a->lf_file || !a->file_body))
		blen = logfmt_render(a->body, ctx, body, cap);
	else if (a->file_body)
		memcpy(body, a->file_body, blen = a->file_len);
	int n = snprintf(head, 4096, "HTTP/1.1 %d %s\r\n", a->status, http_reason(a->status));
	for (int i = 0; i < a->nhdrs && n < 3000; i++) {
		char v[1024];
		size_t vl = logfmt_render(a->hdrs[i].value, ctx, v, sizeof(v));
		if (!vl)
			continue; /* an empty value: no header, as HAProxy */
		n += snprintf(head + n, 4096 - (size_t)n, "%s: %.*s\r\n", a->hdrs[i].name, (int)vl,
		              v);
	}
	n += snprintf(head + n, 4096 - (size_t)n, "content-length: %zu\r\n", blen);
	if (a->ctype && n < 3500)
		n += snprintf(head + n, 4096 - (size_t)n, "content-type: %s\r\n", a->ctype);
	if (http_client_closes(s->txn) && n < 3500)
		n += snprintf(head + n, 4096 - (size_t)n, "connection: close\r\n");
	n += snprintf(head + n, 4096 - (size_t)n, "\r\n");
	if (n >= 4096)
		return ACT_RET_ERR;
	char *resp = smp_alloc((size_t)n + blen);
	if (!resp)
		return ACT_RET_ERR;
	memcpy(resp, head, (size_t)n);
	if (s->txn->req.meth != HTTP_METH_HEAD)
		memcpy(resp + n, body, blen);
	else
		blen = 0;
	if (r->rs == RS_HTTP_REQ)
		http_request_consumed(s);
	log_set_term_rule(s, cause);
	http_reply_raw(s, resp, (size_t)n + blen, a->status);
	return ACT_RET_DONE;
}

static enum act_ret exec_return(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	return send_reply(r, s, ctx, 'L');
}

/* deny: counted as denied; the connection closes after the reply. */
static enum act_ret exec_deny(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct return_arg *a = r->arg;
	int resp = r->rs != RS_HTTP_REQ;
	counters_http_denied(s->fe, resp ? s->be : NULL, resp);
	s->txn->cli_close = 1;
	if (a->custom)
		return send_reply(r, s, ctx, 'P');
	if (!resp)
		http_request_consumed(s);
	log_set_term_rule(s, 'P');
	http_reply_error(s, a->status, TERM_NONE);
	return ACT_RET_DONE;
}

struct hdr_arg {
	char *name; /* lower case */
	struct logfmt *value;
};

/* set-header|add-header <name> <fmt> */
static int parse_set_header(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "expects exactly 2 arguments");
		return 0;
	}
	struct hdr_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a; /* reachable even when parsing fails */
	a->name = xstrdup(args[0]);
	for (char *p = a->name; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	struct smp_where w = rule_where(r);
	a->value = logfmt_parse_http(args[1], &w, err);
	if (!a->value)
		return 0;
	r->arg = a;
	return 1;
}

/* Renders <a>'s value into the transaction's rewrite space and adds the
 * header (after deleting the others with <replace>).
 */
static enum act_ret add_header(struct act_rule *r, struct stream *s, struct smp_ctx *ctx,
                               int replace)
{
	const struct hdr_arg *a = r->arg;
	struct http_txn *t = s->txn;
	struct http_msg *m = rule_msg(r, s);
	char *tmp = smp_alloc(rt.cfg->global.tune_bufsize);
	if (!tmp)
		return ACT_RET_ERR;
	size_t len = logfmt_render(a->value, ctx, tmp, rt.cfg->global.tune_bufsize);
	size_t nlen = strlen(a->name);
	char *p = http_rw_alloc(t, len + nlen);
	if (!p) {
		counters_http_rewrite_failed(s->fe, r->rs == RS_HTTP_REQ ? NULL : s->be);
		return t->lax_rewrite ? ACT_RET_CONT : ACT_RET_ERR;
	}
	memcpy(p, a->name, nlen);
	memcpy(p + nlen, tmp, len);
	if (replace)
		http_del_hdr(m, a->name);
	if (http_add_hdr(m, (struct ist){p, nlen}, (struct ist){p + nlen, len}) < 0) {
		counters_http_rewrite_failed(s->fe, r->rs == RS_HTTP_REQ ? NULL : s->be);
		return t->lax_rewrite ? ACT_RET_CONT : ACT_RET_ERR;
	}
	return ACT_RET_CONT;
}

static enum act_ret exec_set_header(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	return add_header(r, s, ctx, 1);
}

static enum act_ret exec_add_header(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	return add_header(r, s, ctx, 0);
}

/* del-header <name> [-m str|beg|end|sub|reg]: how the name is matched. */
enum del_match { DM_STR, DM_BEG, DM_END, DM_SUB, DM_REG };

struct del_arg {
	char *name; /* lower case, except for -m reg where it is the pattern */
	enum del_match how;
	pcre2_code *re;
};

/* Parses del-header's name and optional "-m <method>"; -m reg compiles the
 * name as a case-sensitive regex matched against the lower-cased header
 * name (HAProxy sees names lower-cased), the others compare without case.
 */
static int parse_del_header(struct act_rule *r, char **args, int nargs, char **err)
{
	static const char *const how[] = {"str", "beg", "end", "sub", "reg"};
	if (nargs != 1 && !(nargs == 3 && !strcmp(args[1], "-m"))) {
		memprintf(err, nargs > 1 && !strcmp(args[1], "-m")
		                   ? "'-m' expects a matching method (str, beg, end, sub or reg)"
		                   : "expects exactly 1 argument");
		return 0;
	}
	struct del_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a;
	a->name = xstrdup(args[0]);
	if (nargs == 3) {
		size_t i = 0;
		while (i < sizeof(how) / sizeof(how[0]) && strcmp(args[2], how[i]))
			i++;
		if (i == sizeof(how) / sizeof(how[0])) {
			memprintf(err, "-m with unsupported matching method '%s'", args[2]);
			return 0;
		}
		a->how = (enum del_match)i;
	}
	if (a->how == DM_REG) {
		int code;
		PCRE2_SIZE off;
		a->re =
		    pcre2_compile((PCRE2_SPTR)a->name, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
		if (!a->re) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(code, msg, sizeof(msg));
			memprintf(err, "regex '%s' is invalid (error=%s, erroffset=%zu)", a->name,
			          (char *)msg, (size_t)off);
			return 0;
		}
		pcre2_jit_compile(a->re, PCRE2_JIT_COMPLETE);
		return 1;
	}
	for (char *p = a->name; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	return 1;
}

/* Case-insensitive comparison of <len> bytes of <s> with lower-case <l>. */
static int lc_eq(const char *s, const char *l, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != l[i])
			return 0;
	}
	return 1;
}

/* Whether header name <n> matches <a> by its method. */
static int del_matches(const struct del_arg *a, struct ist n)
{
	static __thread pcre2_match_data *md;
	size_t l = strlen(a->name);
	switch (a->how) {
	case DM_STR:
		return n.len == l && lc_eq(n.p, a->name, l);
	case DM_BEG:
		return n.len >= l && lc_eq(n.p, a->name, l);
	case DM_END:
		return n.len >= l && lc_eq(n.p + n.len - l, a->name, l);
	case DM_SUB:
		for (size_t i = 0; i + l <= n.len; i++)
			if (lc_eq(n.p + i, a->name, l))
				return 1;
		return 0;
	case DM_REG:
		if (!md && !(md = pcre2_match_data_create(1, NULL)))
			return 0;
		char buf[256], *lc = n.len <= sizeof(buf) ? buf : malloc(n.len);
		if (!lc)
			return 0;
		for (size_t i = 0; i < n.len; i++)
			lc[i] = (char)(n.p[i] >= 'A' && n.p[i] <= 'Z' ? n.p[i] + 32 : n.p[i]);
		int rc = pcre2_match(a->re, (PCRE2_SPTR)lc, n.len, 0, 0, md, NULL);
		if (lc != buf)
			free(lc);
		return rc >= 0;
	}
	return 0;
}

static enum act_ret exec_del_header(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct del_arg *a = r->arg;
	struct http_msg *m = rule_msg(r, s);
	(void)ctx;
	if (a->how == DM_STR) {
		http_del_hdr(m, a->name);
		return ACT_RET_CONT;
	}
	for (int i = 0; i < m->nhdrs; i++)
		if (m->hdrs[i].n.len && del_matches(a, m->hdrs[i].n))
			m->hdrs[i].n.len = 0;
	return ACT_RET_CONT;
}

/* "<scope>.<name>[,<cond>...]" of set-var() and set-var-fmt(). */
static int parse_var_target(const char *text, struct var_ref *ref, unsigned *conds, char **err)
{
	const char *comma = strchr(text, ',');
	if (!vars_parse_name(text, comma ? (size_t)(comma - text) : strlen(text), 1, ref, err))
		return 0;
	for (const char *c = comma; c && *c;) {
		const char *next = strchr(c + 1, ',');
		char *cond = xstrndup(c + 1, next ? (size_t)(next - c - 1) : strlen(c + 1));
		unsigned bit = vars_cond_by_name(cond);
		if (!bit)
			memprintf(err, "unknown condition '%s'", cond);
		free(cond);
		if (!bit)
			return 0;
		*conds |= bit;
		c = next;
	}
	return 1;
}

struct var_arg {
	struct var_ref ref;
	unsigned conds;
	struct sample_expr *expr;
};

/* set-var(<name>[,<cond>...]) <expr> */
static int parse_set_var(struct act_rule *r, char **args, int nargs, char **err)
{
	struct var_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a; /* reachable even when parsing fails */
	if (!parse_var_target(args[0], &a->ref, &a->conds, err))
		return 0;
	if (nargs != 2) {
		memprintf(err, "expects exactly 1 argument (a sample expression)");
		return 0;
	}
	struct smp_where w = rule_where(r);
	int idx = 1;
	a->expr = sample_parse_expr(args, &idx, &w, err);
	if (!a->expr)
		return 0;
	r->arg = a;
	return 1;
}

static enum act_ret exec_set_var(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct var_arg *a = r->arg;
	struct sample smp;
	memset(&smp, 0, sizeof(smp));
	if (sample_process(a->expr, ctx, &smp))
		vars_set(&a->ref, ctx, &smp, a->conds);
	return ACT_RET_CONT;
}

struct var_fmt_arg {
	struct var_ref ref;
	unsigned conds;
	struct logfmt *fmt;
};

/* set-var-fmt(<name>[,<cond>...]) <fmt>: the rendered string. */
static int parse_set_var_fmt(struct act_rule *r, char **args, int nargs, char **err)
{
	struct var_fmt_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a; /* reachable even when parsing fails */
	if (!parse_var_target(args[0], &a->ref, &a->conds, err))
		return 0;
	if (nargs != 2) {
		memprintf(err, "expects exactly 1 argument (a log-format string)");
		return 0;
	}
	struct smp_where w = rule_where(r);
	if (!(a->fmt = logfmt_parse_http(args[1], &w, err)))
		return 0;
	r->arg = a;
	return 1;
}

static enum act_ret exec_set_var_fmt(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct var_fmt_arg *a = r->arg;
	size_t room = rt.cfg->global.tune_bufsize;
	char *buf = smp_alloc(room);
	if (!buf)
		return ACT_RET_CONT;
	struct sample smp = {.type = SMP_T_STR};
	smp.u.str = (struct smp_str){buf, logfmt_render(a->fmt, ctx, buf, room)};
	vars_set(&a->ref, ctx, &smp, a->conds);
	return ACT_RET_CONT;
}

/* unset-var(<name>) */
static int parse_unset_var(struct act_rule *r, char **args, int nargs, char **err)
{
	struct var_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a; /* reachable even when parsing fails */
	if (!vars_parse_name(args[0], strlen(args[0]), 1, &a->ref, err))
		return 0;
	if (nargs != 1) {
		memprintf(err, "expects no argument");
		return 0;
	}
	r->arg = a;
	return 1;
}

static enum act_ret exec_unset_var(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	vars_unset(&((const struct var_arg *)r->arg)->ref, ctx);
	return ACT_RET_CONT;
}

/* Loads or finds the full response of an errorfile/errorfiles reply of
 * rule <r> of <px>. Returns the number of errors reported.
 */
static int resolve_reply(struct config *cfg, struct proxy *px, struct act_rule *r)
{
	struct return_arg *a = r->arg;
	char *err = NULL;
	if (a->errfile) {
		struct http_reply *rep =
		    http_reply_load_file(&cfg->global, a->errfile, a->status, &err);
		if (!rep) {
			ha_alert("config : " CFG_LOC_FMT "error detected in %s '%s' while parsing "
			         "'%s %s' rule : %s.\n",
			         r->file, r->line, proxy_type_str(px), px->id, ruleset_name(r->rs),
			         r->kw->name, err);
			free(err);
			return 1;
		}
		a->reply = rep;
	} else if (a->errfiles && !http_errors_lookup(cfg, a->errfiles, a->status, &a->reply)) {
		ha_alert("config : Proxy '%s': unknown http-errors section '%s' referenced by an "
		         "http reply .\n",
		         px->id, a->errfiles);
		return 1;
	} else if (a->errfiles && !a->reply) {
		ha_warning("config : Proxy '%s': status '%d' referenced by an http reply not "
		           "declared in http-errors section '%s'.\n",
		           px->id, a->status, a->errfiles);
	}
	return 0;
}

/* Resolves the error-file replies of the return and deny rules of <px>. */
static int resolve_proxy_replies(struct config *cfg, struct proxy *px)
{
	static const enum ruleset sets[] = {RS_HTTP_REQ, RS_HTTP_RES};
	int errors = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		for (struct act_rule *r = px->rules[sets[i]]; r; r = r->next)
			if (r->kw->parse == parse_return || r->kw->parse == act_parse_deny)
				errors += resolve_reply(cfg, px, r);
	return errors;
}

static int resolve_replies(struct config *cfg)
{
	int errors = 0;
	for (struct proxy *px = cfg->defaults; px; px = px->next)
		errors += resolve_proxy_replies(cfg, px);
	for (struct proxy *px = cfg->proxies; px; px = px->next)
		errors += resolve_proxy_replies(cfg, px);
	return errors;
}

static struct cfg_checker reply_checker = {.config = resolve_replies};
CFG_REGISTER_CHECKER(reply_checker)

static const struct act_kw http_basic_actions[] = {
    {"allow", RS_HTTP_ALL, parse_allow, exec_allow, 1},
    {"deny", RS_F_HTTP_REQ | RS_F_HTTP_RES, act_parse_deny, exec_deny, 1},
    {"return", RS_F_HTTP_REQ | RS_F_HTTP_RES, parse_return, exec_return, 1},
    {"set-header", RS_HTTP_ALL, parse_set_header, exec_set_header, 0},
    {"add-header", RS_HTTP_ALL, parse_set_header, exec_add_header, 0},
    {"del-header", RS_HTTP_ALL, parse_del_header, exec_del_header, 0},
    {"set-var(", RS_ALL_CONTENT, parse_set_var, exec_set_var, 0},
    {"unset-var(", RS_ALL_CONTENT, parse_unset_var, exec_unset_var, 0},
    {"set-var-fmt(", RS_ALL_CONTENT, parse_set_var_fmt, exec_set_var_fmt, 0},
};

ACT_REGISTER_KEYWORDS(http_basic_actions)
