/* ACL declarations and their evaluation (see common/acl.h). */
#include "common/acl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/sample.h"

static struct acl_kw_list *acl_kw_lists;

void acl_register_keywords(struct acl_kw_list *l)
{
	l->next = acl_kw_lists;
	acl_kw_lists = l;
}

static const struct acl_kw *find_acl_kw(const char *name, size_t len)
{
	for (const struct acl_kw_list *l = acl_kw_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++)
			if (strlen(l->kws[i].name) == len && memcmp(l->kws[i].name, name, len) == 0)
				return &l->kws[i];
	return NULL;
}

void acl_free_list(struct acl *list)
{
	while (list) {
		struct acl *a = list;
		list = a->next;
		for (int i = 0; i < a->nterms; i++) {
			sample_expr_free(a->terms[i]->expr);
			pat_expr_free(a->terms[i]->pat);
			free(a->terms[i]->kw);
			free(a->terms[i]);
		}
		free(a->terms);
		free(a->name);
		free(a);
	}
}

struct acl *acl_find(struct acl *list, const char *name)
{
	for (; list; list = list->next)
		if (strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

/* The match method a fetch's output type implies. */
static enum pat_match default_match(enum smp_type t)
{
	switch (t) {
	case SMP_T_BOOL:
		return PAT_MATCH_BOOL;
	case SMP_T_SINT:
		return PAT_MATCH_INT;
	case SMP_T_ADDR:
	case SMP_T_IPV4:
	case SMP_T_IPV6:
		return PAT_MATCH_IP;
	case SMP_T_BIN:
		return PAT_MATCH_BIN;
	default:
		return PAT_MATCH_STR;
	}
}

/* Parses the criterion: an ACL keyword ("path_beg(...)") stands for its
 * fetch and sets *match; otherwise a sample expression.
 */
static struct sample_expr *parse_criterion(const char *word, int *match, const struct smp_where *w,
                                           char **err)
{
	size_t nlen = strcspn(word, "(,");
	const struct acl_kw *kw = find_acl_kw(word, nlen);
	if (!kw) {
		struct sample_expr *e = sample_parse_str(word, strlen(word), w, err);
		if (!e && *err && !strncmp(*err, "unknown fetch method", 20))
			memprintf(err, "unknown fetch method '%.*s' in ACL expression '%s'",
			          (int)nlen, word, word);
		return e;
	}
	char *text = xasprintf("%s%s", kw->fetch, word + nlen);
	struct sample_expr *e = sample_parse_str(text, strlen(text), w, err);
	free(text);
	*match = (int)kw->match;
	return e;
}

/* Integer operators of ACL lines, turned into ranges. A value that is
 * not an integer is passed on as it is, to be refused with the others.
 */
static char *apply_int_operator(const char *op, const char *v)
{
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (!*v || *end || errno)
		return xstrdup(v);
	if (strcmp(op, "eq") == 0)
		return xasprintf("%lld", n);
	if (strcmp(op, "ge") == 0)
		return xasprintf("%lld:", n);
	if (strcmp(op, "gt") == 0)
		return xasprintf("%lld:", n < LLONG_MAX ? n + 1 : n);
	if (strcmp(op, "le") == 0)
		return xasprintf(":%lld", n);
	return xasprintf(":%lld", n > LLONG_MIN ? n - 1 : n); /* lt */
}

static int is_int_operator(const char *w)
{
	return !strcmp(w, "eq") || !strcmp(w, "ge") || !strcmp(w, "gt") || !strcmp(w, "le") ||
	       !strcmp(w, "lt");
}

struct term_opts {
	int uid;   /* -u: reference of the lists for the runtime API, -1 */
	int match; /* -1: from the fetch */
	unsigned flags;
	int map; /* -M */
	char **files;
	int nfiles;
};

/* Parses the flags at args[*i...]; stops at the first pattern or "--". */
static int parse_flags(char **args, int nargs, int *i, struct term_opts *o, char **err)
{
	for (; *i < nargs && args[*i][0] == '-' && args[*i][1]; (*i)++) {
		const char *f = args[*i];
		if (!strcmp(f, "--")) {
			(*i)++;
			return 1;
		} else if (!strcmp(f, "-i")) {
			o->flags |= PAT_F_IGNORE_CASE;
		} else if (!strcmp(f, "-n")) {
			o->flags |= PAT_F_NO_DNS;
		} else if (!strcmp(f, "-M")) {
			o->map = 1;
		} else if (!strcmp(f, "-f") || !strcmp(f, "-m") || !strcmp(f, "-u")) {
			if (*i + 1 >= nargs) {
				memprintf(err, "'%s' expects an argument", f);
				return 0;
			}
			const char *v = args[++(*i)];
			if (f[1] == 'f') {
				o->files =
				    xrealloc(o->files, sizeof(char *) * (size_t)(o->nfiles + 1));
				o->files[o->nfiles++] = (char *)v;
			} else if (f[1] == 'u') {
				char *end;
				long id = strtol(v, &end, 10);
				if (*end || !*v || id < 0 || id > 0x7fffffff) {
					memprintf(err, "the argument of -u must be an integer");
					return 0;
				}
				o->uid = (int)id;
			} else if (f[1] == 'm') {
				o->match = pat_match_by_name(v);
				if (o->match < 0) {
					memprintf(err,
					          "unknown matching method '%s' when parsing ACL "
					          "expression",
					          v);
					return 0;
				}
			}
		} else {
			memprintf(err,
			          "'%s' is not a valid ACL option. Please use '--' before any "
			          "pattern beginning with a '-'",
			          f);
			return 0;
		}
	}
	return 1;
}

/* Adds the inline patterns args[i..nargs) to <e>, as a new list. */
static struct pat_ref *add_inline(struct pat_expr *e, char **args, int i, int nargs, int line)
{
	struct pat_ref *ref = pat_ref_new_inline();
	const char *op = NULL;
	for (; i < nargs; i++) {
		if (e->match == PAT_MATCH_INT || e->match == PAT_MATCH_LEN) {
			if (is_int_operator(args[i]) && !op) {
				op = args[i];
				continue;
			}
			if (op) {
				char *r = apply_int_operator(op, args[i]);
				pat_ref_add(ref, r, NULL, line);
				free(r);
				continue;
			}
		}
		pat_ref_add(ref, args[i], NULL, line);
	}
	pat_expr_add_ref(e, ref);
	return ref;
}

static struct acl_term *parse_term(struct acl_scope *scope, char **args, int nargs,
                                   const char *file, int line, char **err)
{
	struct smp_where w = {SMP_CK_CFG, file, line, scope->px};
	struct term_opts o = {.match = -1, .uid = -1};
	int kw_match = -1, i = 1;
	struct sample_expr *expr = parse_criterion(args[0], &kw_match, &w, err);
	if (!expr)
		return NULL;
	if (!parse_flags(args, nargs, &i, &o, err))
		goto fail;
	int match = o.match;
	if (match < 0)
		match = kw_match >= 0 ? kw_match : (int)default_match(sample_expr_type(expr));
	if (o.match < 0 && sample_expr_type(expr) == SMP_T_METH)
		o.flags |= PAT_F_METHOD; /* HAProxy's own method matching */
	if (match != PAT_MATCH_FOUND &&
	    !smp_can_cast(sample_expr_type(expr), pat_match_type((enum pat_match)match))) {
		memprintf(err, "matching method '%s' cannot be used with fetch keyword '%s'",
		          pat_match_name((enum pat_match)match), expr->fetch->name);
		goto fail;
	}
	struct acl_term *t = xcalloc(1, sizeof(*t));
	t->expr = expr;
	t->pat = pat_expr_new((enum pat_match)match, o.flags, SMP_T_STR);
	for (int f = 0; f < o.nfiles; f++) {
		struct pat_ref *ref = pat_ref_load(o.files[f], o.map, err);
		if (!ref)
			goto fail_term;
		pat_expr_add_ref(t->pat, ref);
		pat_ref_note_use(ref, "acl", NULL, file, line);
	}
	/* as in HAProxy, every ACL line has an inline list, maybe empty, which
	 * "-u" names
	 */
	struct pat_ref *inl = add_inline(t->pat, args, i, nargs, line);
	t->kw = xstrndup(args[0], strcspn(args[0], "(,"));
	pat_ref_note_use(inl, "acl", t->kw, file, line);
	inl->uid = o.uid;
	t->has_patterns = o.nfiles || i < nargs;
	if (!pat_expr_build(t->pat, err))
		goto fail_term;
	free(o.files);
	return t;
fail_term:
	pat_expr_free(t->pat);
	free(t->kw);
	free(t);
fail:
	free(o.files);
	sample_expr_free(expr);
	return NULL;
}

/* Warns about an ACL that needs patterns and has none, as HAProxy does. */
static void warn_no_pattern(const struct acl_term *t, const char *name, const char *file, int line)
{
	if (t->has_patterns || t->pat->match == PAT_MATCH_FOUND || t->pat->match == PAT_MATCH_BOOL)
		return;
	ha_warning("parsing [%s:%d] : acl '%s' : no pattern to match against were provided, so "
	           "this ACL will never match. If this is what you intended, please add '--' to "
	           "get rid of this warning. If you intended to match only for existence, please "
	           "use '-m found'. If you wanted to force an int to match as a bool, please use "
	           "'-m bool'.\n",
	           file, line, name);
}

int acl_parse_line(struct acl_scope *scope, const char *name, char **args, int nargs,
                   const char *file, int line, char **err)
{
	if (nargs < 1 || !*args[0]) {
		memprintf(err, "missing ACL criterion");
		return 0;
	}
	struct acl_term *t = parse_term(scope, args, nargs, file, line, err);
	if (!t)
		return 0;
	int dashdash = 0;
	for (int i = 1; i < nargs; i++)
		dashdash |= !strcmp(args[i], "--");
	if (!dashdash)
		warn_no_pattern(t, name, file, line);
	struct acl *a = acl_find(*scope->list, name);
	if (!a) {
		a = xcalloc(1, sizeof(*a));
		a->name = xstrdup(name);
		a->next = *scope->list;
		*scope->list = a;
	}
	a->terms = xrealloc(a->terms, sizeof(*a->terms) * (size_t)(a->nterms + 1));
	a->terms[a->nterms++] = t;
	a->use |= t->expr->fetch->use;
	return 1;
}

/* Predefined ACLs, parsed on first use in a proxy. */
static const struct {
	const char *name;
	const char *words[6];
} predefined[] = {
    {"TRUE", {"always_true"}},
    {"FALSE", {"always_false"}},
    {"HTTP", {"req.proto_http"}},
    {"HTTP_1.0", {"req.ver", "1.0"}},
    {"HTTP_1.1", {"req.ver", "1.1"}},
    {"HTTP_2.0", {"req.ver", "2.0"}},
    {"HTTP_3.0", {"req.ver", "3.0"}},
    {"HTTP_CONTENT", {"req.hdr_val(content-length)", "gt", "0"}},
    {"HTTP_URL_ABS", {"url_reg", "^[^/:]*://"}},
    {"HTTP_URL_SLASH", {"url_beg", "/"}},
    {"HTTP_URL_STAR", {"url", "*"}},
    {"LOCALHOST", {"src", "127.0.0.1/8", "::1"}},
    {"METH_CONNECT", {"method", "CONNECT"}},
    {"METH_DELETE", {"method", "DELETE"}},
    {"METH_GET", {"method", "GET", "HEAD"}},
    {"METH_HEAD", {"method", "HEAD"}},
    {"METH_OPTIONS", {"method", "OPTIONS"}},
    {"METH_POST", {"method", "POST"}},
    {"METH_PUT", {"method", "PUT"}},
    {"METH_TRACE", {"method", "TRACE"}},
    {"RDP_COOKIE", {"req.rdp_cookie_cnt", "gt", "0"}},
    {"REQ_CONTENT", {"req.len", "gt", "0"}},
    {"WAIT_END", {"wait_end"}},
};

/* Finds ACL <name> in the scope, declaring it from the predefined list if
 * needed. Returns NULL with *err set.
 */
static struct acl *resolve_acl(struct acl_scope *scope, const char *name, const char *file,
                               int line, char **err)
{
	struct acl *a = acl_find(*scope->list, name);
	if (a)
		return a;
	for (size_t i = 0; i < ARRAY_SIZE(predefined); i++) {
		if (strcmp(predefined[i].name, name) != 0)
			continue;
		int n = 0;
		while (n < 6 && predefined[i].words[n])
			n++;
		if (!acl_parse_line(scope, name, (char **)predefined[i].words, n, file, line, err))
			return NULL;
		return acl_find(*scope->list, name);
	}
	memprintf(err, "no such ACL : '%s'", name);
	return NULL;
}

/* Parses an anonymous ACL "{ ... }" starting at args[*i] ("{"). */
static struct acl *parse_anonymous(struct acl_scope *scope, char **args, int nargs, int *i,
                                   const char *file, int line, char **err)
{
	int start = *i + 1, end = start;
	while (end < nargs && strcmp(args[end], "}") != 0)
		end++;
	if (end >= nargs) {
		memprintf(err, "missing closing '}' in condition");
		return NULL;
	}
	if (end == start) {
		memprintf(err, "anonymous ACL without any criterion");
		return NULL;
	}
	size_t len = 0;
	for (int k = start; k < end; k++)
		len += strlen(args[k]) + 1;
	char *name = xmalloc(len + 8);
	strcpy(name, "{");
	for (int k = start; k < end; k++) {
		strcat(name, " ");
		strcat(name, args[k]);
	}
	strcat(name, " }");
	struct acl *a = NULL;
	if (acl_parse_line(scope, name, args + start, end - start, file, line, err))
		a = acl_find(*scope->list, name);
	free(name);
	*i = end;
	return a;
}

static void suite_add(struct acl_suite *s, struct acl *a, int neg)
{
	s->terms = xrealloc(s->terms, sizeof(*s->terms) * (size_t)(s->n + 1));
	s->terms[s->n++] = (struct acl_cond_term){a, neg};
}

struct acl_cond *acl_parse_cond(struct acl_scope *scope, int unless, char **args, int nargs,
                                const char *file, int line, char **err)
{
	struct acl_cond *c = xcalloc(1, sizeof(*c));
	c->unless = unless;
	c->file = xstrdup(file ? file : "");
	c->line = line;
	c->suites = xcalloc(1, sizeof(*c->suites));
	c->nsuites = 1;
	int neg = 0;
	for (int i = 0; i < nargs; i++) {
		const char *w = args[i];
		if (!strcmp(w, "||") || !strcmp(w, "or")) {
			if (!c->suites[c->nsuites - 1].n || neg) {
				memprintf(err, "missing ACL before '%s'", w);
				goto fail;
			}
			c->suites =
			    xrealloc(c->suites, sizeof(*c->suites) * (size_t)(c->nsuites + 1));
			c->suites[c->nsuites++] = (struct acl_suite){0};
			continue;
		}
		while (*w == '!') {
			neg = !neg;
			w++;
		}
		if (!*w)
			continue; /* a lone "!" applies to the next word */
		struct acl *a = strcmp(w, "{") == 0
		                    ? parse_anonymous(scope, args, nargs, &i, file, line, err)
		                    : resolve_acl(scope, w, file, line, err);
		if (!a)
			goto fail;
		suite_add(&c->suites[c->nsuites - 1], a, neg);
		c->use |= a->use;
		neg = 0;
	}
	if (!c->suites[c->nsuites - 1].n) {
		memprintf(err, "missing ACL in condition");
		goto fail;
	}
	return c;
fail:
	acl_cond_free(c);
	return NULL;
}

int acl_find_cond(struct acl_scope *scope, char **args, int nargs, const char *file, int line,
                  struct acl_cond **cond, char **err)
{
	*cond = NULL;
	for (int i = 0; i < nargs; i++) {
		int unless = !strcmp(args[i], "unless");
		if (!unless && strcmp(args[i], "if") != 0)
			continue;
		if (i + 1 >= nargs) {
			memprintf(err, "missing condition after '%s'", args[i]);
			return -1;
		}
		*cond = acl_parse_cond(scope, unless, args + i + 1, nargs - i - 1, file, line, err);
		return *cond ? i : -1;
	}
	return nargs;
}

void acl_cond_free(struct acl_cond *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nsuites; i++)
		free(c->suites[i].terms);
	free(c->suites);
	free(c->file);
	free(c);
}

static enum acl_result neg_result(enum acl_result r)
{
	return (enum acl_result)(3 >> r);
}

/* One term: every occurrence of the sample is tried until one matches. */
static enum acl_result exec_term(const struct acl_term *t, struct smp_ctx *ctx)
{
	struct sample smp = {0};
	unsigned saved = ctx->opt;
	enum smp_type want = pat_match_type(t->pat->match);
	enum acl_result r = ACL_FAIL;
	ctx->opt |= SMP_OPT_ITERATE;
	do {
		if (!sample_process(t->expr, ctx, &smp)) {
			if (smp.flags & SMP_F_MAY_CHANGE)
				r = ACL_MISS;
			break;
		}
		if (t->pat->match == PAT_MATCH_FOUND) {
			r = ACL_PASS;
			break;
		}
		if (smp_cast(&smp, want) && pat_expr_match(t->pat, &smp, NULL)) {
			r = ACL_PASS;
			break;
		}
		if (smp.flags & SMP_F_MAY_CHANGE)
			r = ACL_MISS;
	} while (smp.flags & SMP_F_NOT_LAST);
	ctx->opt = saved;
	return r;
}

static enum acl_result exec_acl(const struct acl *a, struct smp_ctx *ctx)
{
	enum acl_result r = ACL_FAIL;
	for (int i = 0; i < a->nterms && r != ACL_PASS; i++)
		r |= exec_term(a->terms[i], ctx);
	return r;
}

enum acl_result acl_exec_cond(const struct acl_cond *c, struct smp_ctx *ctx)
{
	enum acl_result cr = ACL_FAIL;
	for (int s = 0; s < c->nsuites && cr != ACL_PASS; s++) {
		enum acl_result sr = ACL_PASS;
		for (int i = 0; i < c->suites[s].n && sr != ACL_FAIL; i++) {
			enum acl_result r = exec_acl(c->suites[s].terms[i].acl, ctx);
			sr &= c->suites[s].terms[i].neg ? neg_result(r) : r;
		}
		cr |= sr;
	}
	return c->unless ? neg_result(cr) : cr;
}

enum acl_conflict acl_cond_conflict(const struct acl_cond *c, enum smp_checkpoint ck,
                                    const struct acl **bad, const char **kw)
{
	unsigned allowed = smp_use_allowed(ck);
	for (int s = 0; s < c->nsuites; s++) /* first: an ACL that cannot match */
		for (int i = 0; i < c->suites[s].n; i++) {
			const struct acl *a = c->suites[s].terms[i].acl;
			if (!(a->use & allowed)) {
				*bad = a;
				*kw = a->nterms ? a->terms[0]->kw : a->name;
				return ACL_CONFLICT_NEVER;
			}
		}
	for (int s = 0; s < c->nsuites; s++) /* then: one with a useless term */
		for (int i = 0; i < c->suites[s].n; i++) {
			const struct acl *a = c->suites[s].terms[i].acl;
			for (int t = 0; t < a->nterms; t++)
				if (!(a->terms[t]->expr->fetch->use & allowed)) {
					*bad = a;
					*kw = a->terms[t]->kw;
					return ACL_CONFLICT_TERM;
				}
		}
	return ACL_CONFLICT_NONE;
}

int acl_is_anonymous(const struct acl *a)
{
	return a->name[0] == '{';
}
