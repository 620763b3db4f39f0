/* Conditions of .if/.elif and -cc: see conf/cond.h for the grammar.
 *
 * The words are joined into one string which is parsed by recursive descent
 * and evaluated on the fly. Operands that cannot change the result (right of
 * a false "&&" or of a true "||") are still parsed, so syntax errors are
 * always reported, but their predicates are not evaluated.
 */
#include "conf/cond.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/mem.h"
#include "common/version.h"

#define COND_MAX_DEPTH 64 /* nested parentheses */
#define COND_MAX_ARGS 4   /* predicate arguments kept (more are counted) */
#define VER_MAX_COMP 8    /* numeric components in a version */

/* Defaults for builds that do not link the real build information (unit
 * tests, fuzzers); the definitions in common/version.c take precedence.
 */
__attribute__((weak)) const char *halyard_compat_version(void)
{
	return "2.6.0";
}

__attribute__((weak)) int halyard_has_feature(const char *name)
{
	static const char *const feats[] = {"EPOLL",        "OPENSSL",     "PCRE2",
	                                    "PCRE2_JIT",    "ZLIB",        "THREAD",
	                                    "LINUX_SPLICE", "GETADDRINFO", "CRYPT_H"};

	for (size_t i = 0; i < ARRAY_SIZE(feats); i++)
		if (strcmp(name, feats[i]) == 0)
			return 1;
	return 0;
}

__attribute__((weak)) int halyard_option_enabled(const char *opt)
{
	static const char *const opts[] = {"EPOLL", "SPLICE", "GETADDRINFO", "REUSEPORT",
	                                   "FAST-FORWARD"};

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (strcmp(opt, opts[i]) == 0)
			return 1;
	return 0;
}

/***************************** versions *****************************/

enum ver_rank { VER_DEV = 0, VER_PRE, VER_RC, VER_RELEASE };

struct version {
	unsigned long comp[VER_MAX_COMP]; /* missing components stay zero */
	enum ver_rank rank;               /* pre-releases sort before releases */
	unsigned long pre;                /* N of -devN, -preN, -rcN */
};

/* Reads 1 to 9 decimal digits at *<s>. Returns 0, or -1 if there are none or
 * too many.
 */
static int ver_number(const char **s, unsigned long *out)
{
	const char *p = *s;
	unsigned long v = 0;

	while (*p >= '0' && *p <= '9') {
		if (p - *s >= 9)
			return -1;
		v = v * 10 + (unsigned long)(*p++ - '0');
	}
	if (p == *s)
		return -1;
	*s = p;
	*out = v;
	return 0;
}

/* Reads an optional "-dev[N]", "-pre[N]" or "-rc[N]" tag at *<s>. */
static void ver_tag(const char **s, struct version *v)
{
	static const struct {
		const char *tag;
		enum ver_rank rank;
	} tags[] = {{"dev", VER_DEV}, {"pre", VER_PRE}, {"rc", VER_RC}};

	if (**s != '-')
		return;
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t l = strlen(tags[i].tag);

		if (strncmp(*s + 1, tags[i].tag, l) != 0)
			continue;
		*s += 1 + l;
		v->rank = tags[i].rank;
		if (**s >= '0' && **s <= '9' && ver_number(s, &v->pre) < 0)
			*s = "?"; /* too many digits: make the caller fail */
		return;
	}
}

/* Parses "X[.Y[.Z...]]" optionally followed by a pre-release tag, then by a
 * build suffix starting with '-' or '+' which is ignored ("2.6.0-1ubuntu").
 * Returns 0 or -1 if <s> is not a version.
 */
static int ver_parse(const char *s, struct version *v)
{
	int n = 0;

	memset(v, 0, sizeof(*v));
	v->rank = VER_RELEASE;
	for (;;) {
		if (n == VER_MAX_COMP || ver_number(&s, &v->comp[n++]) < 0)
			return -1;
		if (*s != '.')
			break;
		s++;
	}
	ver_tag(&s, v);
	if (*s == '\0')
		return 0;
	if ((*s == '-' || *s == '+') && s[1] != '\0')
		return 0;
	return -1;
}

int cfg_compare_versions(const char *a, const char *b, int *ok)
{
	struct version va, vb;

	if (!a || !b || ver_parse(a, &va) < 0 || ver_parse(b, &vb) < 0) {
		if (ok)
			*ok = 0;
		return -2;
	}
	if (ok)
		*ok = 1;
	for (int i = 0; i < VER_MAX_COMP; i++)
		if (va.comp[i] != vb.comp[i])
			return va.comp[i] < vb.comp[i] ? -1 : 1;
	if (va.rank != vb.rank)
		return va.rank < vb.rank ? -1 : 1;
	if (va.pre != vb.pre)
		return va.pre < vb.pre ? -1 : 1;
	return 0;
}

/***************************** predicates *****************************/

/* A predicate returns 1 (true), 0 (false) or -1 with *err set. */
typedef int (*cond_pred_fn)(const char *name, char *const *args, char **err);

struct cond_pred {
	const char *name;
	int nargs;
	cond_pred_fn eval;
};

static int pred_defined(const char *name, char *const *args, char **err)
{
	return getenv(args[0]) != NULL;
}

static int pred_feature(const char *name, char *const *args, char **err)
{
	return halyard_has_feature(args[0]) ? 1 : 0;
}

static int pred_enabled(const char *name, char *const *args, char **err)
{
	return halyard_option_enabled(args[0]) ? 1 : 0;
}

static int pred_streq(const char *name, char *const *args, char **err)
{
	return strcmp(args[0], args[1]) == 0;
}

static int pred_strneq(const char *name, char *const *args, char **err)
{
	return strcmp(args[0], args[1]) != 0;
}

static int pred_strstr(const char *name, char *const *args, char **err)
{
	return strstr(args[0], args[1]) != NULL;
}

/* Compares version <cur> with the argument: "_atleast" predicates are true
 * when cur >= arg, "_before" ones when cur < arg.
 */
static int pred_version_cmp(const char *name, const char *cur, const char *arg, char **err)
{
	int ok, cmp = cfg_compare_versions(cur, arg, &ok);

	if (!ok) {
		memprintf(err, "%s(): invalid version '%s'", name, arg);
		return -1;
	}
	if (strstr(name, "_before"))
		return cmp < 0;
	return cmp >= 0;
}

/* version_atleast()/version_before(): as in HAProxy 2.6, an argument that is
 * not a version compares as older than the running version (so
 * version_atleast(abc) is true and version_before(abc) false).
 */
static int pred_version(const char *name, char *const *args, char **err)
{
	int ok, cmp = cfg_compare_versions(halyard_compat_version(), args[0], &ok);

	if (!ok)
		cmp = 1;
	if (strstr(name, "_before"))
		return cmp < 0;
	return cmp >= 0;
}

/* The version of the OpenSSL library in use (not the headers'). */
static int pred_openssl_version(const char *name, char *const *args, char **err)
{
	char *cur = xasprintf("%u.%u.%u", OPENSSL_version_major(), OPENSSL_version_minor(),
	                      OPENSSL_version_patch());
	int ret = pred_version_cmp(name, cur, args[0], err);

	free(cur);
	return ret;
}

static int pred_ssllib_name(const char *name, char *const *args, char **err)
{
	static const char lib[] = "OpenSSL";
	size_t l = strlen(args[0]);

	return l <= sizeof(lib) - 1 && strncasecmp(lib, args[0], l) == 0;
}

/* The library is not AWS-LC, so it has no AWS-LC API level at all. */
static int pred_awslc(const char *name, char *const *args, char **err)
{
	return 0;
}

static int pred_fips_mode(const char *name, char *const *args, char **err)
{
	return EVP_default_properties_is_fips_enabled(NULL) ? 1 : 0;
}

static const struct cond_pred cond_preds[] = {
    {"defined", 1, pred_defined},
    {"feature", 1, pred_feature},
    {"streq", 2, pred_streq},
    {"strneq", 2, pred_strneq},
    {"strstr", 2, pred_strstr},
    {"version_atleast", 1, pred_version},
    {"version_before", 1, pred_version},
    {"openssl_version_atleast", 1, pred_openssl_version},
    {"openssl_version_before", 1, pred_openssl_version},
    {"ssllib_name_startswith", 1, pred_ssllib_name},
    {"awslc_api_atleast", 1, pred_awslc},
    {"awslc_api_before", 1, pred_awslc},
    {"enabled", 1, pred_enabled},
    {"fips_mode", 0, pred_fips_mode},
};

static const struct cond_pred *cond_find_pred(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(cond_preds); i++)
		if (strlen(cond_preds[i].name) == len && memcmp(cond_preds[i].name, name, len) == 0)
			return &cond_preds[i];
	return NULL;
}

/***************************** parser *****************************/

struct cond_parser {
	const char *text; /* the whole condition, words joined by spaces */
	size_t pos;       /* next byte to read */
	int depth;        /* open parentheses */
	char **err;
};

struct cond_args {
	int n;                  /* arguments seen */
	char *v[COND_MAX_ARGS]; /* the first COND_MAX_ARGS ones */
};

static int cond_expr(struct cond_parser *p, int skip);

static int cond_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int cond_is_ident(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static void cond_skip_blanks(struct cond_parser *p)
{
	while (cond_is_blank(p->text[p->pos]))
		p->pos++;
}

/* Reports the word starting at the current position (up to a blank) as the
 * culprit, with <what> explaining the problem. Returns -1.
 */
static int cond_fail_here(struct cond_parser *p, const char *what)
{
	const char *w = p->text + p->pos;
	int l = 0;

	while (w[l] && !cond_is_blank(w[l]) && l < 64)
		l++;
	memprintf(p->err, "%s '%.*s' in condition '%s'", what, l, w, p->text);
	return -1;
}

/* Reads one predicate argument into <dst> (large enough for the rest of the
 * text), stopping before an unquoted ',' or ')'. Quotes are removed; outside
 * single quotes a backslash protects a following backslash or quote. Returns
 * the stopping character, or -1 if the text ends first (*<quoted> tells
 * whether it ended inside quotes).
 */
static int cond_arg(struct cond_parser *p, char *dst, int *quoted)
{
	const char *t = p->text;
	size_t o = 0;
	char q = 0;

	for (;; p->pos++) {
		char c = t[p->pos], n = c ? t[p->pos + 1] : 0;

		*quoted = q != 0;
		if (!c)
			return -1;
		if (q != '\'' && c == '\\' && (n == '\\' || n == '\'' || n == '"')) {
			dst[o++] = n;
			p->pos++;
		} else if (q && c == q)
			q = 0;
		else if (!q && (c == '\'' || c == '"'))
			q = c;
		else if (!q && (c == ',' || c == ')')) {
			dst[o] = '\0';
			return c;
		} else
			dst[o++] = c;
	}
}

static void cond_args_free(struct cond_args *a)
{
	for (int i = 0; i < a->n && i < COND_MAX_ARGS; i++)
		free(a->v[i]);
	a->n = 0;
}

/* Parses "(a,b,...)" at the current position (just after the '(') for
 * predicate <name>. "()" means no argument. Returns 0 or -1 on error.
 */
static int cond_parse_args(struct cond_parser *p, const char *name, struct cond_args *a)
{
	size_t room = strlen(p->text + p->pos) + 1;

	if (p->text[p->pos] == ')') {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *dst = xmalloc(room);
		int quoted, end = cond_arg(p, dst, &quoted);

		if (a->n < COND_MAX_ARGS)
			a->v[a->n] = dst;
		else
			free(dst);
		a->n++;
		if (end < 0) {
			memprintf(p->err, "%s in the arguments of '%s' in condition '%s'",
			          quoted ? "unterminated quote" : "missing ')'", name, p->text);
			return -1;
		}
		p->pos++;
		if (end == ')')
			return 0;
	}
}

/* Parses a predicate name at the current position with its optional argument
 * list, and evaluates it unless <skip>. Returns 1, 0, or -1 on error.
 */
static int cond_predicate(struct cond_parser *p, int skip)
{
	size_t start = p->pos, len;
	const struct cond_pred *pred;
	struct cond_args a = {0};
	int ret;

	while (cond_is_ident(p->text[p->pos], 0))
		p->pos++;
	len = p->pos - start;
	pred = cond_find_pred(p->text + start, len);
	if (!pred) {
		p->pos = start;
		if (p->text[start + len] == '(') {
			memprintf(p->err, "unknown predicate '%.*s' in condition '%s'", (int)len,
			          p->text + start, p->text);
			return -1;
		}
		return cond_fail_here(p, "unparsable condition term");
	}
	if (p->text[p->pos] == '(') {
		p->pos++;
		if (cond_parse_args(p, pred->name, &a) < 0) {
			cond_args_free(&a);
			return -1;
		}
	}
	if (a.n != pred->nargs) {
		memprintf(p->err,
		          "predicate '%s' takes %d argument%s but %d given in condition '%s'",
		          pred->name, pred->nargs, pred->nargs == 1 ? "" : "s", a.n, p->text);
		cond_args_free(&a);
		return -1;
	}
	ret = skip ? 0 : pred->eval(pred->name, a.v, p->err);
	cond_args_free(&a);
	return ret;
}

/* Parses a decimal integer: true unless all its digits are zero. */
static int cond_number(struct cond_parser *p)
{
	int val = 0;

	while (p->text[p->pos] >= '0' && p->text[p->pos] <= '9')
		val |= p->text[p->pos++] != '0';
	return val;
}

/* factor := "!"* ( "(" expr ")" | integer | predicate ) */
static int cond_factor(struct cond_parser *p, int skip)
{
	int neg = 0, val;
	char c;

	cond_skip_blanks(p);
	while (p->text[p->pos] == '!') {
		neg = !neg;
		p->pos++;
		cond_skip_blanks(p);
	}
	c = p->text[p->pos];
	if (c == '\0') {
		memprintf(p->err, "missing operand at the end of condition '%s'", p->text);
		return -1;
	}
	if (c == '(') {
		if (p->depth >= COND_MAX_DEPTH) {
			memprintf(p->err, "parentheses nested deeper than %d in condition",
			          COND_MAX_DEPTH);
			return -1;
		}
		p->depth++;
		p->pos++;
		val = cond_expr(p, skip);
		if (val < 0)
			return -1;
		cond_skip_blanks(p);
		if (p->text[p->pos] != ')') {
			memprintf(p->err, "missing ')' in condition '%s'", p->text);
			return -1;
		}
		p->pos++;
		p->depth--;
	} else if (c >= '0' && c <= '9')
		val = cond_number(p);
	else if (cond_is_ident(c, 1))
		val = cond_predicate(p, skip);
	else
		return cond_fail_here(p, "unparsable condition term");
	if (val < 0)
		return -1;
	return neg ? !val : val;
}

/* Returns 1 and consumes the two-character operator <op> if it comes next. */
static int cond_operator(struct cond_parser *p, const char *op)
{
	cond_skip_blanks(p);
	if (p->text[p->pos] != op[0] || p->text[p->pos + 1] != op[1])
		return 0;
	p->pos += 2;
	return 1;
}

/* term := factor ( "&&" factor )* */
static int cond_term(struct cond_parser *p, int skip)
{
	int val = cond_factor(p, skip);

	while (val >= 0 && cond_operator(p, "&&")) {
		int rhs = cond_factor(p, skip || !val);

		if (rhs < 0)
			return -1;
		val = val && rhs;
	}
	return val;
}

/* expr := term ( "||" term )* */
static int cond_expr(struct cond_parser *p, int skip)
{
	int val = cond_term(p, skip);

	while (val >= 0 && cond_operator(p, "||")) {
		int rhs = cond_term(p, skip || val);

		if (rhs < 0)
			return -1;
		val = val || rhs;
	}
	return val;
}

/* Joins the words with single spaces into a new string. */
static char *cond_join(char *const *args, int nargs)
{
	size_t total = 1, o = 0;
	char *s;

	for (int i = 0; i < nargs; i++)
		total += strlen(args[i]) + 1;
	s = xmalloc(total);
	for (int i = 0; i < nargs; i++) {
		size_t l = strlen(args[i]);

		if (i)
			s[o++] = ' ';
		memcpy(s + o, args[i], l);
		o += l;
	}
	s[o] = '\0';
	return s;
}

int cfg_eval_cond(char *const *args, int nargs, char **err)
{
	struct cond_parser p = {.err = err};
	char *text = cond_join(args, nargs > 0 ? nargs : 0);
	int ret;

	p.text = text;
	cond_skip_blanks(&p);
	if (!text[p.pos]) {
		free(text);
		return 0;
	}
	ret = cond_expr(&p, 0);
	if (ret >= 0) {
		cond_skip_blanks(&p);
		if (text[p.pos])
			ret = cond_fail_here(&p, "unexpected text");
	}
	free(text);
	return ret;
}
