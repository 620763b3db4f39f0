/* Sample fetch and converter registries, argument and expression parsing,
 * evaluation (see common/sample.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "common/sample.h"

#include <arpa/inet.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/units.h"
#include "common/vars.h"

static struct smp_fetch_list *fetch_lists;
static struct smp_conv_list *conv_lists;

void smp_register_fetches(struct smp_fetch_list *l)
{
	l->next = fetch_lists;
	fetch_lists = l;
}

void smp_register_convs(struct smp_conv_list *l)
{
	l->next = conv_lists;
	conv_lists = l;
}

static int name_is(const char *name, const char *s, size_t len)
{
	return strlen(name) == len && memcmp(name, s, len) == 0;
}

const struct smp_fetch_kw *smp_find_fetch(const char *name, size_t len)
{
	for (const struct smp_fetch_list *l = fetch_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++)
			if (name_is(l->kws[i].name, name, len))
				return &l->kws[i];
	return NULL;
}

const struct smp_conv_kw *smp_find_conv(const char *name, size_t len)
{
	for (const struct smp_conv_list *l = conv_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++)
			if (name_is(l->kws[i].name, name, len))
				return &l->kws[i];
	return NULL;
}

static const struct {
	unsigned bit;
	const char *name;
} use_names[] = {
    {SMP_USE_INTRN, "internal states"},       {SMP_USE_L4CLI, "the client connection"},
    {SMP_USE_L5CLI, "the client session"},    {SMP_USE_L6REQ, "request contents"},
    {SMP_USE_HRQHV, "HTTP request headers"},  {SMP_USE_HRQBO, "HTTP request body"},
    {SMP_USE_BKEND, "the backend"},           {SMP_USE_L6RES, "response contents"},
    {SMP_USE_HRSHV, "HTTP response headers"}, {SMP_USE_HRSBO, "HTTP response body"},
    {SMP_USE_SERVR, "the server connection"},
    {SMP_USE_HRQHP, "the HTTP request line"},  {SMP_USE_HRSHP, "the HTTP status"},
};

const char *smp_use_name(unsigned use)
{
	for (size_t i = 0; i < ARRAY_SIZE(use_names); i++)
		if (use & use_names[i].bit)
			return use_names[i].name;
	return "nothing";
}

#define USE_REQ                                                                                    \
	(SMP_USE_INTRN | SMP_USE_L4CLI | SMP_USE_L5CLI | SMP_USE_L6REQ | SMP_USE_HRQHV |           \
	 SMP_USE_HRQHP)
#define USE_RES                                                                                    \
	(SMP_USE_INTRN | SMP_USE_L4CLI | SMP_USE_L5CLI | SMP_USE_BKEND | SMP_USE_SERVR |           \
	 SMP_USE_L6RES | SMP_USE_HRSHV | SMP_USE_HRSBO | SMP_USE_HRQHP | SMP_USE_HRSHP)

unsigned smp_use_allowed(enum smp_checkpoint ck)
{
	switch (ck) {
	case SMP_CK_TCP_CONN:
		return SMP_USE_INTRN | SMP_USE_L4CLI;
	case SMP_CK_TCP_SESS:
		return SMP_USE_INTRN | SMP_USE_L4CLI | SMP_USE_L5CLI;
	case SMP_CK_TCP_REQ:
	case SMP_CK_HTTP_REQ:
		return USE_REQ | SMP_USE_HRQBO;
	case SMP_CK_BE_REQ:
		return USE_REQ | SMP_USE_HRQBO | SMP_USE_BKEND;
	case SMP_CK_TCP_RES:
	case SMP_CK_HTTP_RES:
		return USE_RES;
	case SMP_CK_LOG: /* the messages are gone: only what is kept for the log */
		return SMP_USE_INTRN | SMP_USE_L4CLI | SMP_USE_L5CLI | SMP_USE_BKEND | SMP_USE_SERVR |
		       SMP_USE_HRQHP | SMP_USE_HRSHP;
	case SMP_CK_CHECK:
		return SMP_USE_INTRN | SMP_USE_BKEND | SMP_USE_SERVR | SMP_USE_L6RES |
		       SMP_USE_HRSHV | SMP_USE_HRSBO | SMP_USE_HRSHP;
	default:
		return ~0u;
	}
}

static const char *const arg_type_names[] = {
    [ARGT_STOP] = "end",       [ARGT_SINT] = "integer",   [ARGT_STR] = "string",
    [ARGT_IPV4] = "IPv4",      [ARGT_MSK4] = "IPv4 mask", [ARGT_IPV6] = "IPv6",
    [ARGT_MSK6] = "IPv6 mask", [ARGT_TIME] = "delay",     [ARGT_SIZE] = "size",
    [ARGT_FE] = "frontend",    [ARGT_BE] = "backend",     [ARGT_TAB] = "table",
    [ARGT_SRV] = "server",     [ARGT_USR] = "user list",  [ARGT_REG] = "regex",
    [ARGT_VAR] = "variable",
};

/* Arguments whose names are resolved once the whole configuration is read. */
struct pending_arg {
	struct arg *arg;
	char *kw;
	int pos;
	struct smp_where where;
	char *file;
	struct pending_arg *next;
};

static struct pending_arg *pending_args;

static void queue_resolution(struct arg *a, const char *kw, int pos, const struct smp_where *w)
{
	struct pending_arg *p = xcalloc(1, sizeof(*p));
	p->arg = a;
	p->kw = xstrdup(kw);
	p->pos = pos;
	p->where = *w;
	p->file = w->file ? xstrdup(w->file) : NULL;
	p->where.file = p->file;
	p->next = pending_args;
	pending_args = p;
}

/* Forgets pending resolutions pointing into <args> (freed before the end). */
static void drop_pending(const struct arg *args, int n)
{
	for (struct pending_arg **pp = &pending_args; *pp;) {
		struct pending_arg *p = *pp;
		if (p->arg >= args && p->arg < args + n) {
			*pp = p->next;
			free(p->kw);
			free(p->file);
			free(p);
		} else
			pp = &p->next;
	}
}

/* Reads one argument from [*pp, end): quotes ('...' or "...") and
 * backslash escapes are resolved, blanks around it are dropped. The
 * argument ends at a comma outside quotes. Returns the unescaped value
 * (allocated) and moves *pp to the comma or <end>; NULL on an unterminated
 * quote.
 */
static char *read_arg(const char **pp, const char *end, char **err)
{
	const char *p = *pp;
	char *out = xmalloc((size_t)(end - p) + 1);
	size_t n = 0, kept = 0; /* kept: length up to the last quoted/escaped byte */
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end && *p != ',') {
		if (*p == '\\' && p + 1 < end) {
			out[n++] = p[1];
			p += 2;
			kept = n;
		} else if (*p == '\'' || *p == '"') {
			char q = *p++;
			while (p < end && *p != q) {
				if (q == '"' && *p == '\\' && p + 1 < end)
					p++;
				out[n++] = *p++;
			}
			if (p >= end) {
				memprintf(err, "unterminated quote in argument");
				free(out);
				return NULL;
			}
			p++;
			kept = n;
		} else {
			out[n++] = *p++;
		}
	}
	while (n > kept && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		n--;
	out[n] = 0;
	*pp = p;
	return out;
}

static int parse_mask4(const char *s, struct in_addr *m)
{
	long long bits;
	if (parse_int_range(s, 0, 32, &bits, NULL) == PARSE_OK) {
		m->s_addr = bits ? htonl(~0u << (32 - bits)) : 0;
		return 1;
	}
	return inet_pton(AF_INET, s, m) == 1;
}

static int parse_mask6(const char *s, struct in6_addr *m)
{
	long long bits;
	if (parse_int_range(s, 0, 128, &bits, NULL) != PARSE_OK)
		return 0;
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < 16; i++, bits -= 8)
		m->s6_addr[i] = bits >= 8 ? 0xff : bits > 0 ? (uint8_t)(0xff << (8 - bits)) : 0;
	return 1;
}

static int compile_regex_arg(struct arg *a, char **err)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re =
	    pcre2_compile((PCRE2_SPTR)a->data.str.ptr, a->data.str.len, 0, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof(msg));
		memprintf(err, "regex '%s' is invalid: %s at position %zu", a->data.str.ptr,
		          (char *)msg, (size_t)off);
		return 0;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	a->data.ptr = re;
	return 1;
}

/* Converts the text <s> of argument <a> to its type; 0 with *err set. */
static int convert_arg(struct arg *a, char *s, char **err)
{
	uint64_t u;
	uint32_t ms;
	long long ll;
	a->raw = s;
	switch (a->type) {
	case ARGT_SINT:
		if (parse_int_range(s, INT64_MIN, INT64_MAX, &ll, NULL) != PARSE_OK)
			return 0;
		a->data.sint = ll;
		return 1;
	case ARGT_TIME:
		if (parse_time_ms(s, &ms, NULL) != PARSE_OK)
			return 0;
		a->data.sint = ms;
		return 1;
	case ARGT_SIZE:
		if (parse_size(s, INT64_MAX, &u, NULL) != PARSE_OK)
			return 0;
		a->data.sint = (int64_t)u;
		return 1;
	case ARGT_IPV4:
		return inet_pton(AF_INET, s, &a->data.ipv4) == 1;
	case ARGT_MSK4:
		return parse_mask4(s, &a->data.ipv4);
	case ARGT_IPV6:
		return inet_pton(AF_INET6, s, &a->data.ipv6) == 1;
	case ARGT_MSK6:
		return parse_mask6(s, &a->data.ipv6);
	case ARGT_REG:
		a->data.str.ptr = s;
		a->data.str.len = strlen(s);
		return compile_regex_arg(a, err);
	case ARGT_VAR: {
		struct var_ref r;
		if (!vars_parse_name(s, strlen(s), 1, &r, err))
			return 0;
		a->data.var.scope = (int)r.scope;
		a->data.var.id = r.id;
		return 1;
	}
	default: /* strings, and names resolved later */
		a->data.str.ptr = s;
		a->data.str.len = strlen(s);
		return 1;
	}
}

static int needs_resolution(enum arg_type t)
{
	return t == ARGT_FE || t == ARGT_BE || t == ARGT_SRV || t == ARGT_USR || t == ARGT_TAB;
}

int smp_parse_args(const char *begin, const char *end, const struct arg_spec *spec, struct arg *out,
                   const struct smp_where *where, const char *kw, char **err)
{
	int max = 0;
	while (max < ARG_MAX && spec->types[max] != ARGT_STOP)
		max++;
	int n = 0;
	const char *p = begin;
	/* "()" is one empty string when a string is required, as str() */
	int empty_list = !begin || (begin == end && !(spec->min && spec->types[0] == ARGT_STR));
	while (!empty_list) {
		if (n == max) {
			memprintf(err, "end of arguments expected at position %d, but got '%.*s'",
			          n + 1, (int)(end - p), p);
			goto fail;
		}
		char *e2 = NULL;
		char *s = read_arg(&p, end, &e2);
		if (!s) {
			memprintf(err, "%s at position %d", e2, n + 1);
			free(e2);
			goto fail;
		}
		out[n].type = (enum arg_type)spec->types[n];
		if (!convert_arg(&out[n], s, &e2)) {
			if (e2) {
				memprintf(err, "%s", e2);
				free(e2);
			} else
				memprintf(err, "failed to parse '%s' as type '%s' at position %d",
				          s, arg_type_names[out[n].type], n + 1);
			n++;
			goto fail;
		}
		if (needs_resolution(out[n].type)) {
			/* nothing is designated until the name is resolved (raw keeps it) */
			memset(&out[n].data, 0, sizeof(out[n].data));
			queue_resolution(&out[n], kw, n + 1, where);
		}
		n++;
		if (p >= end)
			break;
		p++; /* the comma */
	}
	if (n < spec->min) {
		memprintf(err, "missing arguments (got %d/%d), type '%s' expected", n, spec->min,
		          arg_type_names[spec->types[n]]);
		goto fail;
	}
	return n;
fail:
	smp_free_args(out, n);
	return -1;
}

void smp_free_args(struct arg *args, int nargs)
{
	for (int i = 0; i < nargs; i++) {
		if (args[i].type == ARGT_REG && args[i].data.ptr != args[i].raw)
			pcre2_code_free(args[i].data.ptr);
		free(args[i].raw);
		args[i].raw = NULL;
	}
}

/* Parses "name" or "name(args)" at [*pp, end) for a fetch (<conv> 0) or a
 * converter; fills the name span and the argument span. Returns 0 with
 * *err set on a missing parenthesis.
 */
static int split_kw(const char **pp, const char *end, const char **name, size_t *nlen,
                    const char **ab, const char **ae, char **err)
{
	const char *p = *pp;
	*name = p;
	while (p < end && *p != '(' && *p != ',')
		p++;
	*nlen = (size_t)(p - *name);
	*ab = *ae = NULL;
	if (p < end && *p == '(') {
		const char *q = ++p;
		char quote = 0;
		for (; p < end; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (quote && *p == quote)
				quote = 0;
			else if (!quote && (*p == '\'' || *p == '"'))
				quote = *p;
			else if (!quote && *p == ')')
				break;
		}
		if (p >= end) {
			memprintf(err, "missing closing ')' after arguments to '%.*s'", (int)*nlen,
			          *name);
			return 0;
		}
		*ab = q;
		*ae = p++;
	}
	*pp = p;
	return 1;
}

static int check_fetch_use(const struct smp_fetch_kw *f, const struct smp_where *w, char **err)
{
	if (f->use & smp_use_allowed(w->checkpoint))
		return 1;
	memprintf(
	    err,
	    "fetch method '%s' extracts information from '%s', none of which is available here",
	    f->name, smp_use_name(f->use));
	return 0;
}

/* Whether the unknown fetch (<conv> 0) or converter (<conv> 1) <name>
 * belongs to HAProxy's stick tables, which Halyard does not have: the
 * table_* converters and fetches, sc_*, sc0_* to sc2_* and src_* counters.
 */
static int is_stick_table_kw(const char *name, size_t nlen, int conv)
{
	static const char *const fetch_pfx[] = {"table_", "sc_", "sc0_", "sc1_", "sc2_", "src_"};
	size_t n = conv ? 1 : sizeof(fetch_pfx) / sizeof(fetch_pfx[0]);
	for (size_t i = 0; i < n; i++) {
		size_t pl = strlen(fetch_pfx[i]);
		if (nlen > pl && !strncmp(name, fetch_pfx[i], pl))
			return 1;
	}
	return 0;
}

static int parse_fetch(struct sample_expr *e, const char **pp, const char *end,
                       const struct smp_where *w, char **err)
{
	const char *name, *ab, *ae;
	size_t nlen;
	if (!split_kw(pp, end, &name, &nlen, &ab, &ae, err))
		return 0;
	e->fetch = smp_find_fetch(name, nlen);
	if (!e->fetch) {
		if (is_stick_table_kw(name, nlen, 0))
			memprintf(
			    err,
			    "fetch method '%.*s' is not supported: Halyard has no stick tables",
			    (int)nlen, name);
		else
			memprintf(err, "unknown fetch method '%.*s'", (int)nlen, name);
		return 0;
	}
	if (!check_fetch_use(e->fetch, w, err))
		return 0;
	char *e2 = NULL;
	e->nargs = smp_parse_args(ab, ae, &e->fetch->args, e->args, w, e->fetch->name, &e2);
	if (e->nargs < 0 || (e->fetch->val && !e->fetch->val(e->args, &e2))) {
		memprintf(err, "fetch method '%s' : %s", e->fetch->name, e2 ? e2 : "invalid args");
		free(e2);
		if (e->nargs > 0)
			smp_free_args(e->args, e->nargs);
		e->nargs = 0;
		return 0;
	}
	return 1;
}

static const struct smp_where *parse_where;

const struct smp_where *smp_parsing_where(void)
{
	return parse_where;
}

static int parse_conv(struct sample_expr *e, const char **pp, const char *end,
                      const struct smp_where *w, char **err)
{
	const char *name, *ab, *ae;
	size_t nlen;
	if (!split_kw(pp, end, &name, &nlen, &ab, &ae, err))
		return 0;
	const struct smp_conv_kw *kw = smp_find_conv(name, nlen);
	if (!kw) {
		if (is_stick_table_kw(name, nlen, 1))
			memprintf(err,
			          "converter '%.*s' is not supported: Halyard has no stick tables",
			          (int)nlen, name);
		else
			memprintf(err, "unknown converter '%.*s'", (int)nlen, name);
		return 0;
	}
	if (!smp_can_cast(sample_expr_type(e), kw->in)) {
		memprintf(err, "converter '%s' cannot be applied", kw->name);
		return 0;
	}
	struct smp_conv_inst *c = xcalloc(1, sizeof(*c));
	c->kw = kw;
	char *e2 = NULL;
	c->nargs = smp_parse_args(ab, ae, &kw->args, c->args, w, kw->name, &e2);
	parse_where = w;
	int valid = c->nargs >= 0 && (!kw->val || kw->val(c->args, kw, &e2));
	parse_where = NULL;
	if (!valid) {
		memprintf(err, "invalid args in converter '%s' : %s", kw->name,
		          e2 ? e2 : "invalid args");
		free(e2);
		drop_pending(c->args, ARG_MAX);
		if (c->nargs > 0)
			smp_free_args(c->args, c->nargs);
		free(c);
		return 0;
	}
	e->convs = xrealloc(e->convs, sizeof(*e->convs) * (size_t)(e->nconvs + 1));
	e->convs[e->nconvs++] = c;
	return 1;
}

struct sample_expr *sample_parse_str(const char *text, size_t len, const struct smp_where *where,
                                     char **err)
{
	struct sample_expr *e = xcalloc(1, sizeof(*e));
	const char *p = text, *end = text + len;
	e->text = xstrndup(text, len);
	if (!len) {
		memprintf(err, "missing fetch method");
		goto fail;
	}
	if (!parse_fetch(e, &p, end, where, err))
		goto fail;
	while (p < end) {
		if (*p != ',') {
			memprintf(err, "missing comma after fetch keyword '%s' before '%.*s'",
			          e->fetch->name, (int)(end - p), p);
			goto fail;
		}
		p++;
		if (p == end || *p == ',') {
			memprintf(err, "missing converter name after ','");
			goto fail;
		}
		if (!parse_conv(e, &p, end, where, err))
			goto fail;
	}
	return e;
fail:
	sample_expr_free(e);
	return NULL;
}

struct sample_expr *sample_parse_expr(char **args, int *idx, const struct smp_where *where,
                                      char **err)
{
	const char *w = args[*idx];
	if (!w || !*w) {
		memprintf(err, "missing fetch method");
		return NULL;
	}
	struct sample_expr *e = sample_parse_str(w, strlen(w), where, err);
	if (e)
		(*idx)++;
	return e;
}

void sample_expr_free(struct sample_expr *e)
{
	if (!e)
		return;
	drop_pending(e->args, ARG_MAX);
	smp_free_args(e->args, e->nargs);
	for (int i = 0; i < e->nconvs; i++) {
		drop_pending(e->convs[i]->args, ARG_MAX);
		smp_free_args(e->convs[i]->args, e->convs[i]->nargs);
		free(e->convs[i]);
	}
	free(e->convs);
	free(e->text);
	free(e);
}

enum smp_type sample_expr_type(const struct sample_expr *e)
{
	if (e->nconvs)
		return e->convs[e->nconvs - 1]->kw->out;
	return e->fetch ? e->fetch->out : SMP_T_ANY;
}

int sample_process(const struct sample_expr *e, struct smp_ctx *ctx, struct sample *out)
{
	if (!(out->flags & SMP_F_NOT_LAST))
		out->iter[0] = out->iter[1] = 0;
	out->ctx = ctx;
	out->flags = 0; /* the fetch sets SMP_F_NOT_LAST again if more follow */
	unsigned saved = ctx->opt;
	if (e->nconvs)
		ctx->opt &= ~SMP_OPT_ITERATE; /* converters see one occurrence */
	int ok = e->fetch->fn(e->args, out, e->fetch->name, e->fetch->priv);
	ctx->opt = saved;
	if (!ok)
		return 0;
	for (int i = 0; i < e->nconvs; i++) {
		const struct smp_conv_inst *c = e->convs[i];
		if (!smp_cast(out, c->kw->in) || !c->kw->fn(c->args, out, c->kw->priv))
			return 0;
	}
	return 1;
}

int sample_fetch_as(const struct sample_expr *e, struct smp_ctx *ctx, enum smp_type type,
                    struct sample *out)
{
	memset(out, 0, sizeof(*out));
	return sample_process(e, ctx, out) && smp_cast(out, type);
}

int smp_resolve_args(smp_resolve_fn fn, void *data)
{
	int errors = 0;
	while (pending_args) {
		struct pending_arg *p = pending_args;
		pending_args = p->next;
		errors += fn(p->arg, p->kw, p->pos, &p->where, data);
		free(p->kw);
		free(p->file);
		free(p);
	}
	return errors;
}
