/* The var() fetch and the set-var/unset-var converters. */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"
#include "common/vars.h"

static struct var_ref ref_of(const struct arg *a)
{
	return (struct var_ref){(enum var_scope)a->data.var.scope, a->data.var.id};
}

/* var(name[,default]): the variable's value, else the default string. */
static int fetch_var(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct var_ref r = ref_of(&args[0]);
	if (vars_get(&r, smp->ctx, smp))
		return 1;
	if (args[1].type != ARGT_STR)
		return 0;
	smp->type = SMP_T_STR;
	smp->flags = SMP_F_CONST;
	smp->u.str = args[1].data.str;
	return 1;
}

/* set-var(name[,cond...]): conditions are checked here and kept as an
 * integer in the second argument.
 */
static int val_set_var(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	unsigned conds = 0;
	for (int i = 1; i < ARG_MAX && args[i].type == ARGT_STR; i++) {
		unsigned c = vars_cond_by_name(args[i].data.str.ptr);
		if (!c) {
			memprintf(err, "unknown condition '%s'", args[i].data.str.ptr);
			return 0;
		}
		conds |= c;
	}
	if (args[1].type == ARGT_STR)
		args[1].data.sint = conds; /* the raw text stays in args[1].raw */
	return 1;
}

static int conv_set_var(const struct arg *args, struct sample *smp, const void *priv)
{
	struct var_ref r = ref_of(&args[0]);
	unsigned conds = args[1].type == ARGT_STR ? (unsigned)args[1].data.sint : 0;
	vars_set(&r, smp->ctx, smp, conds);
	return 1;
}

static int conv_unset_var(const struct arg *args, struct sample *smp, const void *priv)
{
	struct var_ref r = ref_of(&args[0]);
	vars_unset(&r, smp->ctx);
	return 1;
}

static const struct smp_fetch_kw var_fetches[] = {
    {"var", fetch_var, ARGS(1, ARGT_VAR, ARGT_STR), NULL, SMP_T_ANY, SMP_USE_INTRN, NULL},
};

static const struct smp_conv_kw var_convs[] = {
    {"set-var", conv_set_var, ARGS(1, ARGT_VAR, ARGT_STR, ARGT_STR, ARGT_STR, ARGT_STR),
     val_set_var, SMP_T_ANY, SMP_T_ANY, NULL},
    {"unset-var", conv_unset_var, ARGS(1, ARGT_VAR), NULL, SMP_T_ANY, SMP_T_ANY, NULL},
};

SMP_REGISTER_FETCHES(var_fetches)
SMP_REGISTER_CONVS(var_convs)
