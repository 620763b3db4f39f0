/* Configuration of HTTP health checks: "option httpchk", "http-check send",
 * "http-check expect", "http-check disable-on-404", "http-check
 * send-state" and the variable actions ("http-check set-var(<name>)..."),
 * with HAProxy 2.6's forms and messages. The settings live in
 * proxy->httpchk (conf/model-t.h); worker/check-http.c runs the checks.
 * Header values, uri-lf, body-lf and string-lf patterns are log-format
 * strings rendered per check.
 *
 * A proxy inherits its defaults section's settings by a shallow copy, so the
 * parsers here never modify a string or list they did not create: they
 * replace pointers with fresh allocations instead.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/msg.h"
#include "common/sample.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "conf/tcpchk.h"

/* Replaces string field <slot> of <hc> (own bit <bit>) with <v>, freeing
 * the old value when this section allocated it.
 */
static void set_str(struct px_httpchk *hc, char **slot, unsigned bit, char *v)
{
	if (hc->own & bit)
		free(*slot);
	*slot = v;
	hc->own = v ? hc->own | bit : hc->own & ~bit;
}

/* Same for log-format field <slot>. */
static void set_fmt(struct px_httpchk *hc, struct logfmt **slot, unsigned bit, struct logfmt *v)
{
	if (hc->own & bit)
		logfmt_free(*slot);
	*slot = v;
	hc->own = v ? hc->own | bit : hc->own & ~bit;
}

/* Appends header <name>: <value> to the send rule of <hc>. */
static void add_hdr(struct px_httpchk *hc, const char *name, size_t nlen, const char *value,
                    size_t vlen)
{
	struct httpchk_hdr *h = xcalloc(1, sizeof(*h)), **pp = &hc->hdrs;
	h->name = strndup(name, nlen);
	h->value = strndup(value, vlen);
	if (!h->name || !h->value)
		abort();
	while (*pp)
		pp = &(*pp)->next;
	*pp = h;
}

/* The legacy form: <ver> may carry "\r\n"-separated headers, then an empty
 * line and a body. Sets hc->ver to the version alone, adds the headers and
 * sets the body. Returns 1 when <ver> held more than a version.
 */
static int split_legacy_version(struct px_httpchk *hc, const char *ver)
{
	const char *eol = strstr(ver, "\r\n");
	set_str(hc, &hc->ver, HCO_VER, eol ? xstrndup(ver, (size_t)(eol - ver)) : xstrdup(ver));
	if (!eol)
		return 0;
	for (const char *p = eol + 2; *p;) {
		const char *end = strstr(p, "\r\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!len) { /* empty line: the body follows */
			set_str(hc, &hc->body, HCO_BODY, xstrdup(p + 2));
			break;
		}
		const char *colon = memchr(p, ':', len);
		const char *v = colon ? colon + 1 : p + len;
		while (v < p + len && (*v == ' ' || *v == '\t'))
			v++;
		add_hdr(hc, p, colon ? (size_t)(colon - p) : len, v, (size_t)(p + len - v));
		p += len + (end ? 2 : 0);
	}
	return 1;
}

/* option httpchk [<uri>] | [<method> <uri> [<version>]] */
static int parse_option_httpchk(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_httpchk *hc = &ctx->px->httpchk;
	if (nargs > 5) {
		memprintf(err, "'%s %s' cannot handle unexpected argument '%s'.", args[0], args[1],
		          args[5]);
		return CFG_ALERT;
	}
	hc->enabled = 1;
	ctx->px->tcpchk.kind = TCK_NONE;
	set_str(hc, &hc->meth, HCO_METH, NULL);
	set_str(hc, &hc->uri, HCO_URI, NULL);
	set_str(hc, &hc->ver, HCO_VER, NULL);
	set_str(hc, &hc->body, HCO_BODY, NULL);
	set_fmt(hc, &hc->uri_fmt, HCO_URI_FMT, NULL);
	set_fmt(hc, &hc->body_fmt, HCO_BODY_FMT, NULL);
	hc->hdrs = NULL;
	if (nargs == 3)
		set_str(hc, &hc->uri, HCO_URI, xstrdup(args[2]));
	if (nargs >= 4) {
		set_str(hc, &hc->meth, HCO_METH, xstrdup(args[2]));
		set_str(hc, &hc->uri, HCO_URI, xstrdup(args[3]));
	}
	if (nargs == 5 && split_legacy_version(hc, args[4]))
		ha_warning("config : parsing [%s:%d]: 'option httpchk' : hiding headers or body at "
		           "the end of the version string is deprecated. Please, consider to use "
		           "'http-check send' directive instead.\n",
		           ctx->file, ctx->line);
	return CFG_OK;
}

/* http-check disable-on-404 | send-state: flags without argument. */
static int parse_hc_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_httpchk *hc = &ctx->px->httpchk;
	if (nargs > 2) {
		memprintf(err, "'%s' cannot handle unexpected argument '%s'.", args[0], args[2]);
		return CFG_ALERT;
	}
	if (!strcmp(args[1], "disable-on-404"))
		hc->disable_on_404 = 1;
	else
		hc->send_state = 1;
	return CFG_OK;
}

/* Sets one "http-check send" field <*slot> (own bit <bit>) of <hc> from
 * args[i + 1].
 */
static int send_value(struct px_httpchk *hc, char **args, int nargs, int i, char **slot,
                      unsigned bit, char **err)
{
	if (i + 1 >= nargs || !*args[i + 1]) {
		memprintf(err, "'%s %s' : '%s' expects a string as argument..", args[0], args[1],
		          args[i]);
		return -1;
	}
	set_str(hc, slot, bit, xstrdup(args[i + 1]));
	return 0;
}

/* "hdr <name> <fmt>" of "http-check send" at args[i]: the value is a
 * log-format string.
 */
static int send_hdr(struct cfg_ctx *ctx, char **args, int nargs, int i, char **err)
{
	struct px_httpchk *hc = &ctx->px->httpchk;
	struct smp_where w = chk_where(ctx);
	char *e2 = NULL;
	if (i + 2 >= nargs) {
		memprintf(err, "'%s %s' : 'hdr' expects <name> and <value> as arguments.", args[0],
		          args[1]);
		return -1;
	}
	struct logfmt *lf = logfmt_parse_http(args[i + 2], &w, &e2);
	if (!lf) {
		memprintf(err, "'%s %s' : %s.", args[0], args[1], e2);
		free(e2);
		return -1;
	}
	add_hdr(hc, args[i + 1], strlen(args[i + 1]), args[i + 2], strlen(args[i + 2]));
	struct httpchk_hdr *h = hc->hdrs;
	while (h->next)
		h = h->next;
	if (logfmt_is_const(lf) && !strchr(args[i + 2], '%'))
		logfmt_free(lf); /* plain text: sent as written */
	else
		h->fmt = lf;
	return 0;
}

/* "uri-lf <fmt>" / "body-lf <fmt>" of "http-check send" at args[i]. */
static int send_fmt(struct cfg_ctx *ctx, char **args, int nargs, int i, char **err)
{
	struct px_httpchk *hc = &ctx->px->httpchk;
	struct smp_where w = chk_where(ctx);
	char *e2 = NULL;
	if (i + 1 >= nargs || !*args[i + 1]) {
		memprintf(err, "'%s %s' : '%s' expects a string as argument..", args[0], args[1],
		          args[i]);
		return -1;
	}
	struct logfmt *lf = chk_parse_fmt(args[i + 1], &w, &e2);
	if (!lf) {
		memprintf(err, "'%s %s' : %s", args[0], args[1], e2);
		free(e2);
		return -1;
	}
	if (args[i][0] == 'u') {
		set_fmt(hc, &hc->uri_fmt, HCO_URI_FMT, lf); /* replaces "uri" */
		set_str(hc, &hc->uri, HCO_URI, NULL);
	} else {
		set_fmt(hc, &hc->body_fmt, HCO_BODY_FMT, lf); /* replaces "body" */
		set_str(hc, &hc->body, HCO_BODY, NULL);
	}
	return 0;
}

/* http-check send [meth <m>] [uri <u>|uri-lf <fmt>] [ver <v>] [hdr <n> <fmt>]*
 * [body <s>|body-lf <fmt>]
 */
static int parse_hc_send(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_httpchk *hc = &ctx->px->httpchk;
	if (hc->send_seen) {
		memprintf(err, "'%s %s' : more than one send rule in a proxy is not supported yet.",
		          args[0], args[1]);
		return CFG_ALERT;
	}
	hc->send_seen = 1;
	hc->hdrs = NULL; /* the headers of "option httpchk" (legacy) are replaced */
	for (int i = 2; i < nargs; i += 2) {
		const char *a = args[i];
		static const char *const names[] = {"meth", "uri", "ver", "body"};
		char **slots[] = {&hc->meth, &hc->uri, &hc->ver, &hc->body};
		int k = 0;
		while (k < 4 && strcmp(a, names[k]) != 0)
			k++;
		if (k < 4) {
			if (send_value(hc, args, nargs, i, slots[k], HCO_METH << k, err) < 0)
				return CFG_ALERT;
			if (k == 1) /* the last one given wins */
				set_fmt(hc, &hc->uri_fmt, HCO_URI_FMT, NULL);
			if (k == 3)
				set_fmt(hc, &hc->body_fmt, HCO_BODY_FMT, NULL);
		} else if (!strcmp(a, "hdr")) {
			if (send_hdr(ctx, args, nargs, i, err) < 0)
				return CFG_ALERT;
			i++;
		} else if (!strcmp(a, "uri-lf") || !strcmp(a, "body-lf")) {
			if (send_fmt(ctx, args, nargs, i, err) < 0)
				return CFG_ALERT;
		} else if (!strcmp(a, "comment")) {
			memprintf(err, "'%s %s %s' is not supported yet.", args[0], args[1], a);
			return CFG_ALERT;
		} else {
			memprintf(err,
			          "'%s %s' : expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', "
			          "'hdr', 'body' or 'body-lf' but got '%s' as argument..",
			          args[0], args[1], a);
			return CFG_ALERT;
		}
	}
	return CFG_OK;
}

/* Parses the status list <s> ("200", "200-299,301") into <e>. */
static int parse_status_list(struct httpchk_expect *e, const char *s, char **err)
{
	for (const char *p = s; *p;) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;
		if (end == p) {
			memprintf(err,
			          "'http-check expect' : invalid character '%c' in the list of "
			          "status codes.",
			          *p);
			return -1;
		}
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p) {
				memprintf(err,
				          "'http-check expect' : invalid character '%c' in the "
				          "list of status codes.",
				          *p ? *p : ' ');
				return -1;
			}
		}
		if (*end && *end != ',') {
			memprintf(err,
			          "'http-check expect' : invalid character '%c' in the list of "
			          "status codes.",
			          *end);
			return -1;
		}
		e->ranges = xrealloc(e->ranges, (size_t)(e->nranges + 1) * sizeof(*e->ranges));
		e->ranges[e->nranges][0] = (int)lo;
		e->ranges[e->nranges++][1] = (int)hi;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* Compiles regex <pat> (with pcre2 <opts>) into *<slot>. */
static int compile_regex_in(void **slot, const char *pat, uint32_t opts, char **err)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re =
	    pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof(msg));
		memprintf(err,
		          "'http-check expect' : regex '%s' is invalid (error=%s, erroffset=%zu).",
		          pat, (char *)msg, (size_t)off);
		return -1;
	}
	*slot = re;
	return 0;
}

/* Compiles regex <pat> into e->re. */
static int compile_regex(struct httpchk_expect *e, const char *pat, char **err)
{
	return compile_regex_in(&e->re, pat, 0, err);
}

/* Kind of expect rule named <w>, or -1 (with *pending set for the kinds
 * HAProxy has that are not implemented here).
 */
static int expect_kind(const char *w, int *pending)
{
	static const char *const names[] = {
	    [HCE_STATUS] = "status",   [HCE_RSTATUS] = "rstatus",     [HCE_STRING] = "string",
	    [HCE_RSTRING] = "rstring", [HCE_STRING_LF] = "string-lf", [HCE_HDR] = "hdr"};
	if (!strcmp(w, "fhdr"))
		return HCE_HDR;
	static const char *const later[] = {"min-recv"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(w, names[i]))
			return (int)i;
	*pending = 0;
	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		*pending |= !strcmp(w, later[i]);
	return -1;
}

/* Parses "comment <text>" of <e> at args[i]. */
static int expect_comment(struct httpchk_expect *e, char **args, int nargs, int i, char **err)
{
	if (i + 1 >= nargs || !*args[i + 1]) {
		memprintf(err, "'%s %s' : '%s' expects a string as argument.", args[0], args[1],
		          args[i]);
		return -1;
	}
	free(e->comment);
	e->comment = xstrdup(args[i + 1]);
	return 1;
}

/* Parses option args[*i] of <e> (comment, ok-status, error-status,
 * tout-status, on-success, on-error, status-code), advancing *<i> over its
 * value. Returns 1 when parsed, 0 when args[*i] is no option, -1 on error.
 */
static int expect_option(struct httpchk_expect *e, char **args, int nargs, int *i,
                         const struct smp_where *w, char **err)
{
	int rc;
	if (!strcmp(args[*i], "comment"))
		rc = expect_comment(e, args, nargs, *i, err);
	else
		rc = tcpchk_status_option(args, nargs, *i, &e->ok_status, &e->err_status,
		                          &e->tout_status, err);
	if (rc > 0)
		(*i)++;
	if (rc != 0)
		return rc;
	return chk_parse_report(&e->rep, args, nargs, i, w, err);
}

/* Sets the pattern of <e> (kind <kind>) from args[i]. */
static int expect_pattern(struct httpchk_expect *e, int kind, char **args, int i,
                          const struct smp_where *w, char **err)
{
	e->kind = (enum httpchk_kind)kind;
	e->pattern = xstrdup(args[i]);
	if (e->kind == HCE_STATUS)
		return parse_status_list(e, e->pattern, err);
	if (e->kind == HCE_RSTATUS || e->kind == HCE_RSTRING)
		return compile_regex(e, e->pattern, err);
	if (e->kind == HCE_STRING_LF) {
		char *e2 = NULL;
		e->fmt = chk_parse_fmt(args[i], w, &e2);
		if (!e->fmt) {
			memprintf(err, "'%s %s' : %s", args[0], args[1], e2);
			free(e2);
			return -1;
		}
	}
	return 0;
}

/* Parses "-m <meth>" at args[*i], if there, into <p> for header expect
 * <kw> (the default is "str"), advancing *<i> over it. <lf>: the pattern
 * is a log-format string, which a regex cannot be.
 */
static int hdr_meth(struct httpchk_hdr_pat *p, int lf, const char *kw, char **args, int nargs,
                    int *i, char **err)
{
	static const char *const names[] = {[HCM_STR] = "str",
	                                    [HCM_BEG] = "beg",
	                                    [HCM_END] = "end",
	                                    [HCM_SUB] = "sub",
	                                    [HCM_REG] = "reg"};
	p->meth = HCM_STR;
	if (*i >= nargs || strcmp(args[*i], "-m") != 0)
		return 0;
	const char *m = *i + 1 < nargs ? args[*i + 1] : "";
	if (!*m) {
		memprintf(err,
		          "'%s %s' : '%s' : '-m' expects at a matching pattern ('str', 'beg', "
		          "'end', 'sub' or 'reg').",
		          args[0], args[1], kw);
		return -1;
	}
	size_t k = 0;
	while (k < ARRAY_SIZE(names) && strcmp(m, names[k]) != 0)
		k++;
	if (k == ARRAY_SIZE(names)) {
		memprintf(err,
		          "'%s %s' : '%s' : '-m' only supports 'str', 'beg', 'end', 'sub' or 'reg' "
		          "(got '%s').",
		          args[0], args[1], kw, m);
		return -1;
	}
	if (k == HCM_REG && lf) {
		memprintf(err,
		          "'%s %s' : '%s': log-format string is not supported with a regex "
		          "matching method.",
		          args[0], args[1], kw);
		return -1;
	}
	p->meth = (enum httpchk_meth)k;
	*i += 2;
	return 0;
}

/* Sets pattern <p> from <text>: a log-format string when <lf> (errors name
 * <shown>, as HAProxy does), a regex (caseless for a header name: <icase>),
 * or plain text.
 */
static int hdr_pattern(struct httpchk_hdr_pat *p, const char *text, int lf, int icase,
                       const char *shown, const struct smp_where *w, char **args, char **err)
{
	p->text = xstrdup(text);
	if (p->meth == HCM_REG) {
		char *e2 = NULL;
		if (compile_regex_in(&p->re, text, icase ? PCRE2_CASELESS : 0, &e2) == 0)
			return 0;
		memprintf(err, "%s", e2);
		free(e2);
		return -1;
	}
	if (!lf)
		return 0;
	char *e2 = NULL;
	p->fmt = logfmt_parse_http(text, w, &e2);
	if (p->fmt)
		return 0;
	memprintf(err, "'%s %s' : '%s' invalid log-format string (%s).", args[0], args[1], shown,
	          e2);
	free(e2);
	return -1;
}

/* Parses "hdr|fhdr {name|name-lf} [-m <meth>] <name> [{value|value-lf}
 * [-m <meth>] <value>]" at args[i] into <e>. Returns the index of its last
 * word, or -1 on error.
 */
static int expect_hdr(struct httpchk_expect *e, char **args, int nargs, int i,
                      const struct smp_where *w, char **err)
{
	const char *kw = args[i];
	const char *nk = i + 1 < nargs ? args[i + 1] : "";
	e->kind = HCE_HDR;
	e->full = kw[0] == 'f';
	if (i + 2 >= nargs || !*args[i + 2] || (strcmp(nk, "name") && strcmp(nk, "name-lf"))) {
		memprintf(
		    err,
		    "'%s %s' : '%s' expects at the name keyword as first argument followed by "
		    "a pattern.",
		    args[0], args[1], kw);
		return -1;
	}
	int nlf = !strcmp(nk, "name-lf"), j = i + 2;
	if (hdr_meth(&e->hname, nlf, kw, args, nargs, &j, err) < 0)
		return -1;
	const char *npat = j < nargs ? args[j] : "";
	if (hdr_pattern(&e->hname, npat, nlf, 1, npat, w, args, err) < 0)
		return -1;
	const char *vk = j + 1 < nargs ? args[j + 1] : "";
	if (strcmp(vk, "value") && strcmp(vk, "value-lf")) {
		e->full = 1; /* only the presence is tested */
		return j < nargs ? j : nargs - 1;
	}
	int vlf = !strcmp(vk, "value-lf"), k = j + 2;
	e->has_value = 1;
	if (hdr_meth(&e->hvalue, vlf, kw, args, nargs, &k, err) < 0)
		return -1;
	if (k >= nargs || !*args[k]) {
		memprintf(err, "'%s %s' : '%s' expect a pattern with the value keyword.", args[0],
		          args[1], kw);
		return -1;
	}
	if (hdr_pattern(&e->hvalue, args[k], vlf, 0, npat, w, args, err) < 0)
		return -1;
	return k;
}

/* Builds expect rule <e> from "[options] [!] <kind> <pattern> [options]"
 * at args[2..].
 */
static int parse_expect_rule(struct cfg_ctx *ctx, struct httpchk_expect *e, char **args, int nargs,
                             char **err)
{
	struct smp_where w = chk_where(ctx);
	int have = 0, pending = 0;
	for (int i = 2; i < nargs; i++) {
		int rc = expect_option(e, args, nargs, &i, &w, err);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		const char *word = args[i];
		if (!strcmp(word, "!")) {
			e->inverse = 1;
			if (i + 1 < nargs)
				continue;
			word = ""; /* HAProxy then complains about the empty word after it */
		}
		int kind = expect_kind(word, &pending);
		if (kind >= 0 && have) {
			memprintf(err, "'%s %s' : only on pattern expected.", args[0], args[1]);
			return -1;
		}
		if (kind < 0 && pending) {
			memprintf(err, "'%s %s %s' is not supported yet.", args[0], args[1],
			          args[i]);
			return -1;
		}
		if (kind < 0) {
			memprintf(err,
			          "'%s %s' : 'only supports min-recv, [!]string', '[!]rstring', "
			          "'[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or "
			          "comment but got '%s' as argument..",
			          args[0], args[1], word);
			return -1;
		}
		if (kind == HCE_HDR) {
			i = expect_hdr(e, args, nargs, i, &w, err);
			if (i < 0)
				return -1;
			have = 1;
			continue;
		}
		if (i + 1 >= nargs) {
			memprintf(err, "'%s %s' : '%s' expects a <pattern> as argument.", args[0],
			          args[1], args[i]);
			return -1;
		}
		if (expect_pattern(e, kind, args, ++i, &w, err) < 0)
			return -1;
		have = 1;
	}
	if (!have) {
		memprintf(err, "'%s %s' : expects at least a matching pattern as arguments.",
		          args[0], args[1]);
		return -1;
	}
	return 0;
}

/* Frees the header pattern <p>. */
static void free_hdr_pat(struct httpchk_hdr_pat *p)
{
	free(p->text);
	logfmt_free(p->fmt);
	pcre2_code_free(p->re);
}

/* Frees expect rule <e>, which is in no list. */
static void free_expect(struct httpchk_expect *e)
{
	free(e->pattern);
	free(e->ranges);
	free(e->comment);
	pcre2_code_free(e->re);
	logfmt_free(e->fmt);
	free_hdr_pat(&e->hname);
	free_hdr_pat(&e->hvalue);
	chk_free_report(&e->rep);
	free(e);
}

/* http-check expect [!] status|rstatus|string|rstring|string-lf <pattern>,
 * or [!] hdr|fhdr <header patterns>, with [options]: every rule of a proxy must match; a proxy's
 * own rules replace inherited ones.
 */
static int parse_hc_expect(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_httpchk *hc = &ctx->px->httpchk;
	struct httpchk_expect *e = xcalloc(1, sizeof(*e));
	if (parse_expect_rule(ctx, e, args, nargs, err) < 0) {
		free_expect(e);
		return CFG_ALERT;
	}
	if (!hc->own_expects)
		hc->expects = NULL;
	hc->own_expects = 1;
	struct httpchk_expect **pp = &hc->expects;
	while (*pp)
		pp = &(*pp)->next;
	*pp = e;
	return CFG_OK;
}

/* Appends <a> to list *<head>. */
static void append_var(struct chk_var_act **head, struct chk_var_act *a)
{
	while (*head)
		head = &(*head)->next;
	*head = a;
}

/* "http-check <word>" for words no other keyword takes: the variable
 * actions. One written after an expect rule of the proxy runs once that
 * rule passed; the others run before the request is built.
 */
static int parse_hc_other(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_httpchk *hc = &ctx->px->httpchk;
	const char *word = nargs > 1 ? args[1] : "";
	if (!chk_is_var_action(word)) {
		memprintf(err,
		          "'%s' only supports 'disable-on-404', 'send-state', 'comment', "
		          "'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', "
		          "'unset-var(*)'. but got '%s'",
		          args[0], word);
		return CFG_ALERT;
	}
	struct smp_where w = chk_where(ctx);
	struct chk_var_act *a = chk_parse_var(args, nargs, &w, err);
	if (!a)
		return CFG_ALERT;
	if (hc->own_expects && hc->expects) {
		struct httpchk_expect *e = hc->expects;
		while (e->next)
			e = e->next;
		append_var(&e->after, a);
		return CFG_OK;
	}
	if (!hc->own_vars)
		hc->pre_vars = NULL; /* inherited ones are replaced */
	hc->own_vars = 1;
	append_var(&hc->pre_vars, a);
	return CFG_OK;
}

#define HC(n, fn)                                                                                  \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = PX_CAP_DEF | PX_CAP_BE, .parse = fn,     \
		.flags = KWF_CAP_WARN                                                              \
	}
static const struct cfg_kw httpchk_kws[] = {
    HC("option httpchk", parse_option_httpchk), HC("http-check disable-on-404", parse_hc_flag),
    HC("http-check send-state", parse_hc_flag), HC("http-check send", parse_hc_send),
    HC("http-check expect", parse_hc_expect),   HC("http-check", parse_hc_other),
};
CFG_REGISTER_KEYWORDS(httpchk_kws)
