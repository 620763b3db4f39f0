/* Log-format compiler and renderer (see common/logfmt.h). */
#include "common/logfmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"

enum lf_node_type { LF_TEXT, LF_EXPR, LF_VAR, LF_SEP };

struct lf_node {
	enum lf_node_type type;
	char *text; /* LF_TEXT */
	size_t len;
	struct sample_expr *expr;    /* LF_EXPR */
	const struct lf_var_kw *var; /* LF_VAR */
	unsigned opts;
	struct lf_node *next;
};

struct logfmt {
	struct lf_node *head, *tail;
	int http; /* options ignored, a missing value is empty */
	int log;  /* spaces are separators, merged around empty values */
};

static struct lf_var_list *var_lists;

void lf_register_vars(struct lf_var_list *l)
{
	l->next = var_lists;
	var_lists = l;
}

static const struct lf_var_kw *find_var(const char *name, size_t len)
{
	for (const struct lf_var_list *l = var_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++)
			if (strlen(l->kws[i].name) == len && memcmp(l->kws[i].name, name, len) == 0)
				return &l->kws[i];
	return NULL;
}

static struct lf_node *add_node(struct logfmt *lf, enum lf_node_type type, unsigned opts)
{
	struct lf_node *n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->opts = opts;
	if (lf->tail)
		lf->tail->next = n;
	else
		lf->head = n;
	lf->tail = n;
	return n;
}

static void add_plain_text(struct logfmt *lf, const char *p, size_t len);

/* Adds literal text; in log mode, each run of spaces becomes one
 * separator node.
 */
static void add_text(struct logfmt *lf, const char *p, size_t len)
{
	if (!lf->log) {
		add_plain_text(lf, p, len);
		return;
	}
	while (len) {
		size_t n = 0;
		if (*p == ' ') {
			while (n < len && p[n] == ' ')
				n++;
			if (!lf->tail || lf->tail->type != LF_SEP)
				add_node(lf, LF_SEP, 0);
		} else {
			while (n < len && p[n] != ' ')
				n++;
			add_plain_text(lf, p, n);
		}
		p += n;
		len -= n;
	}
}

static void add_plain_text(struct logfmt *lf, const char *p, size_t len)
{
	if (!len)
		return;
	if (lf->tail && lf->tail->type == LF_TEXT) {
		struct lf_node *n = lf->tail;
		n->text = xrealloc(n->text, n->len + len + 1);
		memcpy(n->text + n->len, p, len);
		n->len += len;
		n->text[n->len] = 0;
		return;
	}
	struct lf_node *n = add_node(lf, LF_TEXT, 0);
	n->text = xstrndup(p, len);
	n->len = len;
}

/* Parses "%{...}" options at <p> (after '{') up to '}', starting from
 * <opts>. Returns the position after '}', or NULL with *err set.
 */
static const char *parse_opts(const char *p, unsigned *opts, char **err)
{
	const char *end = strchr(p, '}');
	if (!end) {
		memprintf(err, "missing '}' after '%%{'");
		return NULL;
	}
	while (p < end) {
		size_t n = strcspn(p, ",}");
		if (n == 2 && (p[0] == '+' || p[0] == '-')) {
			unsigned bit = p[1] == 'Q'   ? LF_OPT_QUOTE
			               : p[1] == 'X' ? LF_OPT_HEX
			               : p[1] == 'E' ? LF_OPT_ESC
			                             : 0;
			if (!bit) {
				memprintf(err, "unknown format option '%.*s'", (int)n, p);
				return NULL;
			}
			*opts = p[0] == '+' ? *opts | bit : *opts & ~bit;
		} else if (n) {
			memprintf(err, "unknown format option '%.*s'", (int)n, p);
			return NULL;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return end + 1;
}

/* Parses "%[expr]" at <p> (after '['); returns the position after ']'. */
static const char *parse_expr(struct logfmt *lf, const char *p, unsigned opts,
                              const struct smp_where *w, char **err)
{
	int depth = 0;
	const char *q = p;
	for (; *q && !(depth == 0 && *q == ']'); q++) {
		if (*q == '\\' && q[1])
			q++;
		else if (*q == '(')
			depth++;
		else if (*q == ')')
			depth--;
	}
	if (!*q) {
		memprintf(err, "missing ']' after '%s'", p);
		return NULL;
	}
	struct smp_where any = *w;
	any.checkpoint = SMP_CK_CFG;
	struct sample_expr *e = sample_parse_str(p, (size_t)(q - p), &any, err);
	if (!e) {
		char *e2 = *err;
		*err = NULL;
		memprintf(err, "failed to parse sample expression <%s> : %s", p, e2);
		free(e2);
		return NULL;
	}
	if (!(e->fetch->use & smp_use_allowed(w->checkpoint))) {
		memprintf(err,
		          "sample fetch <%s> may not be reliably used here because it needs '%s' "
		          "which is not available here",
		          p, smp_use_name(e->fetch->use));
		sample_expr_free(e);
		return NULL;
	}
	add_node(lf, LF_EXPR, opts)->expr = e;
	return q + 1;
}

/* Compiles <text> into <lf>; returns <lf>, or NULL (freed) on error. */
static struct logfmt *compile(struct logfmt *lf, const char *text, const struct smp_where *where,
                              char **err)
{
	unsigned global = 0;
	const char *p = text;
	while (*p) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			add_text(lf, p, strlen(p));
			break;
		}
		add_text(lf, p, (size_t)(pct - p));
		p = pct + 1;
		if (*p == '%') {
			add_text(lf, "%", 1);
			p++;
			continue;
		}
		unsigned opts = global;
		if (*p == '{') {
			p = parse_opts(p + 1, &opts, err);
			if (!p)
				goto fail;
			if (*p == 'o' && !(p[1] >= 'a' && p[1] <= 'z') &&
			    !(p[1] >= 'A' && p[1] <= 'Z')) {
				global = opts; /* "%{...}o": options for what follows */
				p++;
				continue;
			}
		}
		if (*p == '[') {
			p = parse_expr(lf, p + 1, opts, where, err);
			if (!p)
				goto fail;
			continue;
		}
		size_t n = 0;
		while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'))
			n++;
		if (!n) {
			memprintf(err,
			          "unexpected character '%c' after '%%' (use '%%%%' for a '%%')",
			          *p ? *p : ' ');
			goto fail;
		}
		const struct lf_var_kw *v = find_var(p, n);
		if (!v) {
			memprintf(err, "unknown format variable '%.*s' (use '%%%%' for a '%%')",
			          (int)n, p);
			goto fail;
		}
		add_node(lf, LF_VAR, opts)->var = v;
		p += n;
	}
	return lf;
fail:
	logfmt_free(lf);
	return NULL;
}

struct logfmt *logfmt_parse(const char *text, const struct smp_where *where, char **err)
{
	return compile(xcalloc(1, sizeof(struct logfmt)), text, where, err);
}

struct logfmt *logfmt_parse_http(const char *text, const struct smp_where *where, char **err)
{
	struct logfmt *lf = xcalloc(1, sizeof(*lf));
	lf->http = 1;
	return compile(lf, text, where, err);
}

struct logfmt *logfmt_parse_log(const char *text, const struct smp_where *where, char **err)
{
	struct logfmt *lf = xcalloc(1, sizeof(*lf));
	lf->log = 1;
	return compile(lf, text, where, err);
}

int logfmt_is_const(const struct logfmt *lf)
{
	for (const struct lf_node *n = lf->head; n; n = n->next)
		if (n->type != LF_TEXT && n->type != LF_SEP)
			return 0;
	return 1;
}

void logfmt_free(struct logfmt *lf)
{
	if (!lf)
		return;
	while (lf->head) {
		struct lf_node *n = lf->head;
		lf->head = n->next;
		free(n->text);
		sample_expr_free(n->expr);
		free(n);
	}
	free(lf);
}

/* Appends <len> bytes of <s> at out[*pos], escaping with +E. */
static void put(char *out, size_t room, size_t *pos, const char *s, size_t len, unsigned opts)
{
	for (size_t i = 0; i < len && *pos < room; i++) {
		if ((opts & LF_OPT_ESC) && (s[i] == '"' || s[i] == '\\' || s[i] == ']')) {
			out[(*pos)++] = '\\';
			if (*pos >= room)
				return;
		}
		out[(*pos)++] = s[i];
	}
}

/* Writes dynamic bytes <s> with the control characters (0x00-0x1f but the
 * tab, and 0x7f) as <esc> and two hexadecimal digits: '%' in HTTP contexts
 * (a value can never split a header or a status line, as in HAProxy), '#'
 * in log lines (a value can never forge a line).
 */
static int put_ctl_encoded(char *out, size_t room, size_t *pos, const char *s, size_t len, char esc,
                           unsigned opts)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len && *pos < room; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			if (room - *pos < 3)
				return 1; /* the escape does not fit: the output ends here */
			out[(*pos)++] = esc;
			out[(*pos)++] = hex[c >> 4];
			out[(*pos)++] = hex[c & 15];
			continue;
		}
		put(out, room, pos, s + i, 1, opts);
	}
	return 0;
}

/* Writes a sample's value (or "-" when absent) with its options; returns 1
 * when the output had to end before the value's end.
 */
static int put_sample(char *out, size_t room, size_t *pos, struct sample *smp, int present,
                      unsigned opts)
{
	int quote = (opts & LF_OPT_QUOTE) != 0;
	if (!present) {
		put(out, room, pos, quote ? "\"\"" : "-", quote ? 2 : 1, 0);
		return 0;
	}
	if ((opts & LF_OPT_HEX) && (smp->type == SMP_T_SINT || smp->type == SMP_T_BOOL)) {
		char buf[24];
		int n = snprintf(buf, sizeof(buf), "%" PRIX64, (uint64_t)smp->u.sint);
		put(out, room, pos, buf, (size_t)n, 0);
		return 0;
	}
	int numeric = smp->type == SMP_T_SINT || smp->type == SMP_T_BOOL;
	if (!smp_cast(smp, SMP_T_STR)) {
		put(out, room, pos, quote ? "\"\"" : "-", quote ? 2 : 1, 0);
		return 0;
	}
	quote = quote && !numeric;
	if (quote)
		put(out, room, pos, "\"", 1, 0);
	if (put_ctl_encoded(out, room, pos, smp->u.str.ptr, smp->u.str.len, '#', opts))
		return 1;
	if (quote)
		put(out, room, pos, "\"", 1, 0);
	return 0;
}

size_t logfmt_render(const struct logfmt *lf, struct smp_ctx *ctx, char *out, size_t room)
{
	size_t pos = 0;
	int after_space = 1; /* log mode: a separator right after another is dropped */
	for (const struct lf_node *n = lf->head; n && pos < room; n = n->next) {
		size_t before = pos;
		if (n->type == LF_SEP) {
			if (!after_space)
				put(out, room, &pos, " ", 1, 0);
			after_space = 1;
			continue;
		}
		if (n->type == LF_TEXT) {
			put(out, room, &pos, n->text, n->len, 0);
		} else if (n->type == LF_EXPR) {
			struct sample smp;
			size_t mark = smp_arena_mark();
			memset(&smp, 0, sizeof(smp));
			int ok = sample_process(n->expr, ctx, &smp), full = 0;
			if (!lf->http)
				full = put_sample(out, room, &pos, &smp, ok, n->opts);
			else if (ok && smp_cast(&smp, SMP_T_STR))
				full = put_ctl_encoded(out, room, &pos, smp.u.str.ptr,
				                       smp.u.str.len, '%', 0);
			smp_arena_release(mark);
			if (full)
				break; /* an escape did not fit: nothing may follow */
		} else if (lf->http) { /* rendered aside, then encoded like samples */
			char tmp[1024];
			int w = ctx && ctx->strm ? n->var->render(ctx, tmp, sizeof(tmp), 0) : -1;
			if (w > 0 && put_ctl_encoded(out, room, &pos, tmp, (size_t)w, '%', 0))
				break;
		} else {
			int w = ctx && ctx->strm
			            ? n->var->render(ctx, out + pos, room - pos, n->opts)
			            : -1; /* no stream (health checks, tests): no value */
			if (w < 0)
				put(out, room, &pos, n->opts & LF_OPT_QUOTE ? "\"\"" : "-",
				    n->opts & LF_OPT_QUOTE ? 2 : 1, 0);
			else
				pos += (size_t)w;
		}
		if (pos > before)
			after_space = 0;
	}
	return pos;
}
