/* Parts of health-check rules shared by tcp-check and http-check: the
 * variable actions ("set-var(<name>[,<cond>...]) <expr>", "set-var-fmt(...)
 * <fmt>", "unset-var(<name>)"), the report options of expect rules
 * ("on-success <fmt>", "on-error <fmt>", "status-code <expr>") and the
 * log-format strings of the -lf forms, all evaluated when a check runs
 * (worker/check-smp.c), with HAProxy 2.6's messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/msg.h"
#include "common/sample.h"
#include "common/vars.h"
#include "conf/tcpchk.h"

struct smp_where chk_where(const struct cfg_ctx *ctx)
{
	return (struct smp_where){SMP_CK_CHECK, ctx->file, ctx->line, ctx->px};
}

static const char *const var_kinds[] = {
    [CVA_SET] = "set-var(", [CVA_SET_FMT] = "set-var-fmt(", [CVA_UNSET] = "unset-var("};

/* The kind of variable action <word> starts with, or -1. */
static int var_kind(const char *word)
{
	for (int k = 0; k < 3; k++)
		if (!strncmp(word, var_kinds[k], strlen(var_kinds[k])))
			return k;
	return -1;
}

int chk_is_var_action(const char *word)
{
	return var_kind(word) >= 0;
}

/* Parses the "<scope>.<name>[,<cond>...]" of <a> (<len> bytes at <p>,
 * conditions only for set-var forms). Returns 0 with *<err> set.
 */
static int var_target(struct chk_var_act *a, const char *p, size_t len, char **err)
{
	const char *comma = memchr(p, ',', len);
	struct var_ref ref;
	if (comma && a->kind == CVA_UNSET) {
		memprintf(err, "unset-var only accepts a variable name");
		return 0;
	}
	if (!vars_parse_name(p, comma ? (size_t)(comma - p) : len, 1, &ref, err))
		return 0;
	a->scope = (int)ref.scope;
	a->id = ref.id;
	while (comma) {
		const char *c = comma + 1, *end = p + len;
		comma = memchr(c, ',', (size_t)(end - c));
		char *cond = xstrndup(c, (size_t)((comma ? comma : end) - c));
		unsigned bit = vars_cond_by_name(cond);
		if (!bit)
			memprintf(err, "unknown condition \"%s\"", cond);
		free(cond);
		if (!bit)
			return 0;
		a->conds |= bit;
	}
	return 1;
}

/* The value of <a> from args[2] (an expression or a log-format). */
static int var_value(struct chk_var_act *a, char **args, int nargs, const struct smp_where *w,
                     char **err)
{
	int want = a->kind == CVA_UNSET ? 2 : 3;
	if (nargs < want) {
		memprintf(err, a->kind == CVA_SET ? "missing fetch method" : "missing log-format");
		return 0;
	}
	if (nargs > want) {
		memprintf(err, "unexpected argument '%s'", args[want]);
		return 0;
	}
	if (a->kind == CVA_SET) {
		int idx = 2;
		a->expr = sample_parse_expr(args, &idx, w, err);
		return a->expr != NULL;
	}
	if (a->kind == CVA_SET_FMT)
		return (a->fmt = logfmt_parse_http(args[2], w, err)) != NULL;
	return 1;
}

struct chk_var_act *chk_parse_var(char **args, int nargs, const struct smp_where *w, char **err)
{
	int k = var_kind(args[1]);
	const char *open = strchr(args[1], '(');
	size_t len = strlen(args[1]);
	struct chk_var_act *a = xcalloc(1, sizeof(*a));
	char *e2 = NULL;
	char name[16];
	a->kind = (enum chk_var_kind)k;
	snprintf(name, sizeof(name), "%.*s", (int)(open - args[1]), args[1]);
	if (args[1][len - 1] != ')')
		memprintf(&e2, "missing ')' after the variable name");
	else if (var_target(a, open + 1, (size_t)(args[1] + len - 1 - open - 1), &e2) &&
	         var_value(a, args, nargs, w, &e2)) {
		return a;
	}
	memprintf(err, "'%s %s' : '%s' : %s.", args[0], args[1], name, e2);
	free(e2);
	chk_free_vars(a);
	return NULL;
}

void chk_free_vars(struct chk_var_act *a)
{
	while (a) {
		struct chk_var_act *next = a->next;
		sample_expr_free(a->expr);
		logfmt_free(a->fmt);
		free(a);
		a = next;
	}
}

struct logfmt *chk_parse_fmt(const char *text, const struct smp_where *w, char **err)
{
	char *e2 = NULL;
	struct logfmt *lf = logfmt_parse_http(text, w, &e2);
	if (!lf) {
		memprintf(err, "'%s' invalid log-format string (%s).", text, e2);
		free(e2);
	}
	return lf;
}

/* Parses the value of "on-success"/"on-error" at args[i + 1] into *<slot>. */
static int report_fmt(struct logfmt **slot, char **args, int nargs, int i,
                      const struct smp_where *w, char **err)
{
	char *e2 = NULL;
	if (i + 1 >= nargs || !*args[i + 1]) {
		memprintf(err, "'%s %s' : '%s' expects a string as argument.", args[0], args[1],
		          args[i]);
		return -1;
	}
	struct logfmt *lf = chk_parse_fmt(args[i + 1], w, &e2);
	if (!lf) {
		memprintf(err, "'%s %s' : %s", args[0], args[1], e2);
		free(e2);
		return -1;
	}
	logfmt_free(*slot); /* the last one given wins */
	*slot = lf;
	return 1;
}

/* Parses the expression of "status-code" at args[i + 1] into <rep>. */
static int report_code(struct chk_report *rep, char **args, int nargs, int i,
                       const struct smp_where *w, char **err)
{
	char *e2 = NULL;
	int idx = i + 1;
	if (i + 1 >= nargs || !*args[i + 1]) {
		memprintf(err, "'%s %s' : '%s' expects an expression as argument.", args[0],
		          args[1], args[i]);
		return -1;
	}
	struct sample_expr *e = sample_parse_expr(args, &idx, w, &e2);
	if (!e) {
		memprintf(err,
		          "'%s %s' : error detected while parsing status-code expression : %s.",
		          args[0], args[1], e2);
		free(e2);
		return -1;
	}
	sample_expr_free(rep->status_code);
	rep->status_code = e;
	return 1;
}

int chk_parse_report(struct chk_report *rep, char **args, int nargs, int *i,
                     const struct smp_where *w, char **err)
{
	const char *o = args[*i];
	int rc;
	if (!strcmp(o, "on-success"))
		rc = report_fmt(&rep->on_success, args, nargs, *i, w, err);
	else if (!strcmp(o, "on-error"))
		rc = report_fmt(&rep->on_error, args, nargs, *i, w, err);
	else if (!strcmp(o, "status-code"))
		rc = report_code(rep, args, nargs, *i, w, err);
	else
		return 0;
	if (rc > 0)
		(*i)++;
	return rc;
}

void chk_free_report(struct chk_report *rep)
{
	logfmt_free(rep->on_success);
	logfmt_free(rep->on_error);
	sample_expr_free(rep->status_code);
	*rep = (struct chk_report){0};
}
