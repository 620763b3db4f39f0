/* Configuration of tcp-check health checks: "option tcp-check" and the
 * "tcp-check connect|send|send-binary|expect|comment" rules, with HAProxy
 * 2.6's forms and messages. Rules live in proxy->tcpchk (conf/model-t.h);
 * worker/check-tcp.c runs them. The -lf forms, the variable actions and the
 * report options of expect rules (conf/chk-rules.c) are evaluated per
 * check; the TLS options and "connect port <expression>" are refused as not
 * supported yet.
 *
 * A proxy inherits its defaults section's rules by a shallow copy: its own
 * first rule starts a fresh list, so an inherited list is never modified.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "conf/tcpchk.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/sample.h"
#include "common/msg.h"
#include "conf/chk-status.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "conf/parser.h"
#include "conf/proxy.h"

int tcpchk_parse_hex(const char *hex, char **out, size_t *len, char **err)
{
	size_t n = strlen(hex);
	if (n % 2) {
		memprintf(err, "an even number of hex digit is expected");
		return -1;
	}
	char *b = xcalloc(1, n / 2 + 1);
	for (size_t i = 0; i < n; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (v < 0) {
			memprintf(err, "an hex digit is expected (found '%c')", c);
			free(b);
			return -1;
		}
		b[i / 2] = (char)(b[i / 2] << 4 | v);
	}
	*out = b;
	*len = n / 2;
	return 0;
}

struct tcpchk_rule *tcpchk_rule_new(enum tcpchk_act act)
{
	struct tcpchk_rule *r = xcalloc(1, sizeof(*r));
	r->act = act;
	r->min_recv = -1;
	r->stamp_at = -1;
	return r;
}

void tcpchk_append(struct tcpchk_rule **head, struct tcpchk_rule *r)
{
	int index = 0;
	while (*head) {
		index = (*head)->index + 1;
		head = &(*head)->next;
	}
	r->index = index;
	*head = r;
}

int tcpchk_compile(struct tcpchk_rule *r, const char *pat, char **err)
{
	int code;
	PCRE2_SIZE off;
	r->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	if (r->re)
		return 0;
	PCRE2_UCHAR msg[256];
	pcre2_get_error_message(code, msg, sizeof(msg));
	memprintf(err, "regex '%s' is invalid (error=%s, erroffset=%zu).", pat, (char *)msg,
	          (size_t)off);
	return -1;
}

void tcpchk_select(struct proxy *px, enum tcpchk_kind kind)
{
	px->tcpchk.kind = kind;
	px->httpchk.enabled = 0;
}

/* Frees rule <r> (a rule that failed to parse). */
static void rule_free(struct tcpchk_rule *r)
{
	free(r->comment);
	free(r->data);
	pcre2_code_free(r->re);
	logfmt_free(r->fmt);
	chk_free_vars(r->var);
	chk_free_report(&r->rep);
	free(r);
}

/* Adds parsed rule <r> to the proxy's own list (replacing inherited rules). */
static void add_rule(struct proxy *px, struct tcpchk_rule *r)
{
	if (!px->tcpchk.own_rules)
		px->tcpchk.rules = NULL;
	px->tcpchk.own_rules = 1;
	tcpchk_append(&px->tcpchk.rules, r);
}

/* option tcp-check */
static int parse_option_tcpchk(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs > 2) {
		memprintf(err, "'%s %s' cannot handle unexpected argument '%s'.", args[0], args[1],
		          args[2]);
		return CFG_ALERT;
	}
	tcpchk_select(ctx->px, TCK_TCP);
	return CFG_OK;
}

/* Reads the value of "comment" at args[i + 1] into r->comment. */
static int take_comment(struct tcpchk_rule *r, char **args, int nargs, int i, char **err)
{
	if (i + 1 >= nargs || !*args[i + 1]) {
		/* HAProxy ends this one with a single period for expect rules */
		memprintf(err, "'%s %s' : '%s' expects a string as argument.%s", args[0], args[1],
		          args[i], r->act == TCA_EXPECT ? "" : ".");
		return -1;
	}
	free(r->comment);
	r->comment = xstrdup(args[i + 1]);
	return 0;
}

/* Whether the proxy's own rules start with a step other than a connect
 * (comments aside): a connect rule is then refused.
 */
static int starts_without_connect(const struct proxy *px)
{
	if (!px->tcpchk.own_rules)
		return 0;
	for (const struct tcpchk_rule *r = px->tcpchk.rules; r; r = r->next)
		if (r->act != TCA_COMMENT && r->act != TCA_VAR)
			return r->act != TCA_CONNECT;
	return 0;
}

/* One option of "tcp-check connect" at args[*i]; advances *i over its values. */
static int connect_option(struct tcpchk_rule *r, char **args, int nargs, int *i, char **err)
{
	static const char *const later[] = {"ssl", "sni", "alpn", "via-socks4", "proto"};
	const char *o = args[*i];
	if (!strcmp(o, "comment"))
		return take_comment(r, args, nargs, (*i)++, err);
	if (!strcmp(o, "send-proxy") || !strcmp(o, "linger") || !strcmp(o, "default")) {
		r->send_proxy |= !strcmp(o, "send-proxy");
		r->linger |= !strcmp(o, "linger");
		r->dflt |= !strcmp(o, "default");
		return 0;
	}
	if (!strcmp(o, "port")) {
		char *end = NULL;
		long p = *i + 1 < nargs ? strtol(args[*i + 1], &end, 10) : 0;
		if (*i + 1 >= nargs || !*args[*i + 1]) {
			memprintf(
			    err,
			    "'%s %s' : 'port' expects a port number or a sample expression as "
			    "argument..",
			    args[0], args[1]);
			return -1;
		}
		if (*end) {
			memprintf(err, "'%s %s port <expression>' is not supported yet.", args[0],
			          args[1]);
			return -1;
		}
		if (p < 1 || p > 65535) {
			memprintf(err,
			          "'%s %s' : expects a valid TCP port (from range 1 to 65535) or a "
			          "sample expression, got %s..",
			          args[0], args[1], args[*i + 1]);
			return -1;
		}
		r->port = (int)p;
		(*i)++;
		return 0;
	}
	if (!strcmp(o, "addr")) {
		char *e2 = NULL;
		if (*i + 1 >= nargs || cfg_parse_source(args[*i + 1], &r->addr, &e2) != CFG_OK) {
			free(e2);
			memprintf(err, "'%s %s' : 'addr' expects <ipv4|ipv6> as argument..",
			          args[0], args[1]);
			return -1;
		}
		r->addr_set = 1;
		(*i)++;
		return 0;
	}
	for (size_t k = 0; k < ARRAY_SIZE(later); k++)
		if (!strcmp(o, later[k])) {
			memprintf(err, "'%s %s %s' is not supported yet.", args[0], args[1], o);
			return -1;
		}
	memprintf(err,
	          "'%s %s' : expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', "
	          "'alpn' or 'via-socks4', 'linger', 'default' but got '%s' as argument..",
	          args[0], args[1], o);
	return -1;
}

/* tcp-check connect [port N] [addr A] [send-proxy] [linger] [default] [comment C] */
static int parse_connect(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (starts_without_connect(ctx->px)) {
		memprintf(err,
		          "'%s %s' : first step MUST also be a 'connect', optionally preceded by "
		          "a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' "
		          "step in the tcp-check ruleset.",
		          args[0], args[1]);
		return CFG_ALERT;
	}
	struct tcpchk_rule *r = tcpchk_rule_new(TCA_CONNECT);
	for (int i = 2; i < nargs; i++)
		if (connect_option(r, args, nargs, &i, err) < 0) {
			rule_free(r);
			return CFG_ALERT;
		}
	add_rule(ctx->px, r);
	return CFG_OK;
}

/* The log-format payload of "send-lf" / "send-binary-lf" <r>. */
static int send_fmt(struct cfg_ctx *ctx, struct tcpchk_rule *r, char **args, char **err)
{
	struct smp_where w = chk_where(ctx);
	char *e2 = NULL;
	r->fmt = chk_parse_fmt(args[2], &w, &e2);
	if (!r->fmt) {
		memprintf(err, "'%s %s' : %s", args[0], args[1], e2);
		free(e2);
		return -1;
	}
	r->fmt_hex = !strcmp(args[1], "send-binary-lf");
	r->data = xstrdup(args[2]);
	r->len = strlen(r->data);
	return 0;
}

/* tcp-check send <string> | send-binary <hex> | send-lf <fmt> |
 * send-binary-lf <fmt> [comment C]
 */
static int parse_send(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	int bin = !strcmp(args[1], "send-binary");
	int lf = strstr(args[1], "-lf") != NULL;
	if (nargs < 3 || !*args[2]) {
		memprintf(err, "'%s %s' : '%s' expects a %s as argument.", args[0], args[1],
		          bin ? "binary string" : "string", args[1]);
		return CFG_ALERT;
	}
	struct tcpchk_rule *r = tcpchk_rule_new(TCA_SEND);
	char *e2 = NULL;
	if (lf && send_fmt(ctx, r, args, err) < 0) {
		rule_free(r);
		return CFG_ALERT;
	}
	if (bin && tcpchk_parse_hex(args[2], &r->data, &r->len, &e2) < 0) {
		memprintf(err, "'%s %s' : '%s' invalid binary string (%s).", args[0], args[1],
		          args[2], e2);
		free(e2);
		rule_free(r);
		return CFG_ALERT;
	}
	if (!bin && !lf) {
		r->data = xstrdup(args[2]);
		r->len = strlen(r->data);
	}
	for (int i = 3; i < nargs; i++) {
		if (strcmp(args[i], "comment") != 0) {
			memprintf(err, "'%s %s' : expects 'comment' but got '%s' as argument..",
			          args[0], args[1], args[i]);
			rule_free(r);
			return CFG_ALERT;
		}
		if (take_comment(r, args, nargs, i++, err) < 0) {
			rule_free(r);
			return CFG_ALERT;
		}
	}
	add_rule(ctx->px, r);
	return CFG_OK;
}

/* tcp-check comment <text> */
static int parse_comment(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 3 || !*args[2]) {
		memprintf(err, "'%s %s' : expects a string as argument.", args[0], args[1]);
		return CFG_ALERT;
	}
	struct tcpchk_rule *r = tcpchk_rule_new(TCA_COMMENT);
	r->comment = cfg_join_words(args, 2, nargs);
	add_rule(ctx->px, r);
	return CFG_OK;
}

/* Parses status <name> for option <opt> among <allowed> into *<out>. */
static int parse_status(char **args, int i, int nargs, const char *const *allowed, int nallowed,
                        const char *list, int *out, char **err)
{
	const char *v = i + 1 < nargs ? args[i + 1] : "";
	if (!*v) {
		memprintf(err, "'%s %s' : '%s' expects a string as argument.", args[0], args[1],
		          args[i]);
		return -1;
	}
	for (int k = 0; k < nallowed; k++)
		if (!strcmp(v, allowed[k])) {
			*out = (int)check_result_by_name(v);
			return 0;
		}
	memprintf(err, "'%s %s' : '%s' only supports %s status (got '%s')..", args[0], args[1],
	          args[i], list, v);
	return -1;
}

int tcpchk_status_option(char **args, int nargs, int i, int *ok_st, int *err_st, int *tout_st,
                         char **err)
{
	static const char *const ok[] = {"L4OK", "L6OK", "L7OK", "L7OKC"};
	static const char *const ko[] = {"L4CON", "L6RSP", "L7RSP", "L7STS"};
	static const char *const to[] = {"L4TOUT", "L6TOUT", "L7TOUT"};
	const char *o = args[i];
	int rc;
	if (!strcmp(o, "ok-status"))
		rc = parse_status(args, i, nargs, ok, 4, "'L4OK', 'L6OK', 'L7OK' or 'L7OKC'", ok_st,
		                  err);
	else if (!strcmp(o, "error-status"))
		rc = parse_status(args, i, nargs, ko, 4, "'L4CON', 'L6RSP', 'L7RSP' or 'L7STS'",
		                  err_st, err);
	else if (!strcmp(o, "tout-status"))
		rc = parse_status(args, i, nargs, to, 3, "'L4TOUT', 'L6TOUT' or 'L7TOUT'", tout_st,
		                  err);
	else
		return 0;
	return rc < 0 ? -1 : 1;
}

/* One option of "tcp-check expect" after the pattern, at args[*i]. */
static int expect_option(struct tcpchk_rule *r, char **args, int nargs, int *i,
                         const struct smp_where *w, char **err)
{
	const char *o = args[*i];
	int rc;
	if (!strcmp(o, "comment"))
		return take_comment(r, args, nargs, (*i)++, err);
	rc = tcpchk_status_option(args, nargs, *i, &r->ok_status, &r->err_status, &r->tout_status,
	                          err);
	if (rc > 0)
		(*i)++;
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	rc = chk_parse_report(&r->rep, args, nargs, i, w, err);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	memprintf(err,
	          "'%s %s' : 'only supports min-recv, '[!]binary', '[!]string', "
	          "'[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment "
	          "but got '%s' as argument..",
	          args[0], args[1], o);
	return -1;
}

/* The log-format pattern of "string-lf" / "binary-lf" <r> at args[i]. */
static int expect_fmt(struct tcpchk_rule *r, char **args, int i, const struct smp_where *w,
                      char **err)
{
	char *e2 = NULL;
	r->fmt = chk_parse_fmt(args[i], w, &e2);
	if (!r->fmt) {
		memprintf(err, "'%s %s' : %s", args[0], args[1], e2);
		free(e2);
		return -1;
	}
	r->fmt_hex = r->match == TCM_BINARY_LF;
	r->data = xstrdup(args[i]);
	r->len = strlen(r->data);
	return 0;
}

/* Sets the match kind and pattern of <r> from args[i] args[i + 1]. */
static int expect_pattern(struct tcpchk_rule *r, char **args, int nargs, int i,
                          const struct smp_where *w, char **err)
{
	static const char *const kinds[] = {
	    [TCM_STRING] = "string",      [TCM_RSTRING] = "rstring", [TCM_BINARY] = "binary",
	    [TCM_RBINARY] = "rbinary",    [TCM_CUSTOM] = "",         [TCM_STRING_LF] = "string-lf",
	    [TCM_BINARY_LF] = "binary-lf"};
	const char *k = args[i];
	int kind = -1;
	for (int n = 0; n < (int)ARRAY_SIZE(kinds); n++)
		if (*kinds[n] && !strcmp(k, kinds[n]))
			kind = n;
	if (kind < 0) {
		expect_option(r, args, nargs, &i, w, err); /* HAProxy's message */
		return -1;
	}
	if (i + 1 >= nargs) {
		memprintf(err, "'%s %s' : '%s' expects a <pattern> as argument.", args[0], args[1],
		          k);
		return -1;
	}
	r->match = (enum tcpchk_match)kind;
	const char *pat = args[i + 1];
	char *e2 = NULL;
	if (r->match == TCM_STRING_LF || r->match == TCM_BINARY_LF)
		return expect_fmt(r, args, i + 1, w, err);
	if (r->match == TCM_RSTRING || r->match == TCM_RBINARY) {
		if (tcpchk_compile(r, pat, &e2) < 0) {
			memprintf(err, "'%s %s' : %s", args[0], args[1], e2);
			free(e2);
			return -1;
		}
		r->data = xstrdup(pat);
		r->len = strlen(pat);
	} else if (r->match == TCM_BINARY) {
		if (tcpchk_parse_hex(pat, &r->data, &r->len, &e2) < 0) {
			memprintf(err, "'%s %s' : invalid binary string (%s).", args[0], args[1],
			          e2);
			free(e2);
			return -1;
		}
	} else {
		r->data = xstrdup(pat);
		r->len = strlen(pat);
	}
	return 0;
}

/* Parses "min-recv <n>" at args[i]. */
static int min_recv(struct tcpchk_rule *r, char **args, int nargs, int i, char **err)
{
	char *end = NULL;
	long v = i + 1 < nargs ? strtol(args[i + 1], &end, 10) : 0;
	if (i + 1 >= nargs || !*args[i + 1]) {
		memprintf(err, "'%s %s' : '%s' expects a integer as argument.", args[0], args[1],
		          args[i]);
		return -1;
	}
	if (*end || v < -1 || v > 0x7fffffff) {
		memprintf(err, "'%s %s' : '%s' expects -1 or an integer from 0 to INT_MAX.",
		          args[0], args[1], args[i]);
		return -1;
	}
	r->min_recv = (int)v;
	return 0;
}

/* Whether <w> names a kind of match ("string", "rbinary", "string-lf"...). */
static int is_match_kind(const char *w)
{
	static const char *const kinds[] = {"string",  "rstring",   "binary",
	                                    "rbinary", "string-lf", "binary-lf"};
	for (size_t n = 0; n < ARRAY_SIZE(kinds); n++)
		if (!strcmp(w, kinds[n]))
			return 1;
	return 0;
}

/* Whether <w> is an option of expect rules (HAProxy takes them anywhere). */
static int is_expect_option(const char *w)
{
	static const char *const opts[] = {"comment",    "ok-status", "error-status", "tout-status",
	                                   "on-success", "on-error",  "status-code"};
	for (size_t n = 0; n < ARRAY_SIZE(opts); n++)
		if (!strcmp(w, opts[n]))
			return 1;
	return 0;
}

/* tcp-check expect [min-recv N] [options] [!] <match> <pattern> [options] */
static int parse_expect(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tcpchk_rule *r = tcpchk_rule_new(TCA_EXPECT);
	struct smp_where w = chk_where(ctx);
	int i = 2, have_pattern = 0;
	if (nargs < 3) {
		memprintf(err, "'%s %s' : expects at least a matching pattern as arguments.",
		          args[0], args[1]);
		goto fail;
	}
	for (; i < nargs; i++) {
		if (!strcmp(args[i], "min-recv")) {
			if (min_recv(r, args, nargs, i++, err) < 0)
				goto fail;
		} else if (!have_pattern && !strcmp(args[i], "!") && i + 1 < nargs) {
			r->inverse = !r->inverse;
		} else if (!have_pattern && !strcmp(args[i], "!")) {
			char *none[] = {args[0], args[1], ""};
			int k = 2;
			expect_option(r, none, 3, &k, &w, err); /* HAProxy's message, with '' */
			goto fail;
		} else if (!have_pattern &&
		           (is_match_kind(args[i]) || !is_expect_option(args[i]))) {
			if (expect_pattern(r, args, nargs, i++, &w, err) < 0)
				goto fail;
			have_pattern = 1;
		} else if (expect_option(r, args, nargs, &i, &w, err) < 0) {
			goto fail;
		}
	}
	if (!have_pattern) {
		memprintf(err, "'%s %s' : pattern not found.", args[0], args[1]);
		goto fail;
	}
	add_rule(ctx->px, r);
	return CFG_OK;
fail:
	rule_free(r);
	return CFG_ALERT;
}

/* "tcp-check <word>" for words no other keyword takes: the variable
 * actions, written "set-var(<name>)" (run when the check reaches them).
 */
static int parse_other(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *w = nargs > 1 ? args[1] : "";
	if (chk_is_var_action(w)) {
		struct smp_where where = chk_where(ctx);
		struct chk_var_act *a = chk_parse_var(args, nargs, &where, err);
		if (!a)
			return CFG_ALERT;
		struct tcpchk_rule *r = tcpchk_rule_new(TCA_VAR);
		r->var = a;
		add_rule(ctx->px, r);
		return CFG_OK;
	}
	memprintf(err,
	          "'%s' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', "
	          "'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '%s'",
	          args[0], w);
	return CFG_ALERT;
}

/* HAProxy ignores tcp-check rules unless "option tcp-check" selects them. */
static int check_unused_rules(struct config *cfg, struct proxy *px)
{
	(void)cfg;
	if (px->tcpchk.own_rules && px->tcpchk.rules && px->tcpchk.kind != TCK_TCP &&
	    (px->cap & PX_CAP_BE))
		ha_warning("config : %s '%s' uses tcp-check rules without 'option tcp-check', so "
		           "the rules are ignored.\n",
		           proxy_type_str(px), px->id);
	return 0;
}

static struct cfg_checker tcpchk_checker = {.proxy = check_unused_rules};
CFG_REGISTER_CHECKER(tcpchk_checker)

#define TC(n, fn)                                                                                  \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = PX_CAP_DEF | PX_CAP_BE, .parse = fn,     \
		.flags = KWF_CAP_WARN                                                              \
	}
static const struct cfg_kw tcpchk_kws[] = {
    TC("option tcp-check", parse_option_tcpchk),
    TC("tcp-check connect", parse_connect),
    TC("tcp-check send", parse_send),
    TC("tcp-check send-binary", parse_send),
    TC("tcp-check send-lf", parse_send),
    TC("tcp-check send-binary-lf", parse_send),
    TC("tcp-check expect", parse_expect),
    TC("tcp-check comment", parse_comment),
    TC("tcp-check", parse_other),
};
CFG_REGISTER_KEYWORDS(tcpchk_kws)
