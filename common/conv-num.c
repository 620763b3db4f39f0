/* Integer and boolean converters: arithmetic with a constant or a
 * variable, bitwise operations, tests, iif, ipmask.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"
#include "common/vars.h"

/* The operand: an integer written in the configuration, or a variable
 * read now. Returns 0 when the variable is not set or not a number.
 */
static int operand(const struct arg *a, struct sample *smp, int64_t *v)
{
	if (a->type == ARGT_SINT) {
		*v = a->data.sint;
		return 1;
	}
	struct sample s = {0};
	struct var_ref r = {(enum var_scope)a->data.var.scope, a->data.var.id};
	if (!vars_get(&r, smp->ctx, &s) || !smp_cast(&s, SMP_T_SINT))
		return 0;
	*v = s.u.sint;
	return 1;
}

/* The operand of arithmetic converters is a number or a variable name. */
static int val_operand(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	const char *t = args[0].data.str.ptr;
	char *end;
	long long n = strtoll(t, &end, 10);
	if (*t && !*end) {
		args[0].type = ARGT_SINT;
		args[0].data.sint = n;
		return 1;
	}
	struct var_ref r;
	if (!vars_parse_name(t, strlen(t), 1, &r, err))
		return 0;
	args[0].type = ARGT_VAR;
	args[0].data.var.scope = (int)r.scope;
	args[0].data.var.id = r.id;
	return 1;
}

/* add, sub, mul, div, mod, and, or, xor: <priv> is the operator. */
static int conv_arith(const struct arg *args, struct sample *smp, const void *priv)
{
	int64_t b, a = smp->u.sint, r = 0;
	if (!operand(&args[0], smp, &b))
		return 0;
	switch (*(const char *)priv) {
	case '+':
		r = (int64_t)((uint64_t)a + (uint64_t)b);
		break;
	case '-':
		r = (int64_t)((uint64_t)a - (uint64_t)b);
		break;
	case '*':
		r = (int64_t)((uint64_t)a * (uint64_t)b);
		break;
	case '/':
		r = !b ? LLONG_MAX : (a == LLONG_MIN && b == -1) ? LLONG_MIN : a / b;
		break;
	case '%':
		r = !b || b == -1 ? 0 : a % b;
		break;
	case '&':
		r = a & b;
		break;
	case '|':
		r = a | b;
		break;
	default:
		r = a ^ b;
	}
	smp->type = SMP_T_SINT;
	smp->u.sint = r;
	return 1;
}

/* neg, cpl, bool, not, odd, even */
static int conv_unary(const struct arg *args, struct sample *smp, const void *priv)
{
	int64_t v = smp->u.sint;
	switch (*(const char *)priv) {
	case 'n':
		smp->u.sint = (int64_t)(0 - (uint64_t)v);
		smp->type = SMP_T_SINT;
		return 1;
	case 'c':
		smp->u.sint = ~v;
		smp->type = SMP_T_SINT;
		return 1;
	case 'b':
		smp->u.sint = v != 0;
		break;
	case '!':
		smp->u.sint = v == 0;
		break;
	case 'o':
		smp->u.sint = v & 1;
		break;
	default:
		smp->u.sint = !(v & 1);
	}
	smp->type = SMP_T_BOOL;
	return 1;
}

/* iif(true,false): one of two strings after a boolean. */
static int conv_iif(const struct arg *args, struct sample *smp, const void *priv)
{
	const struct arg *a = smp->u.sint ? &args[0] : &args[1];
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	smp->u.str = a->data.str;
	return 1;
}

/* ipmask(mask4[,mask6]) */
static int conv_ipmask(const struct arg *args, struct sample *smp, const void *priv)
{
	if (smp->type == SMP_T_IPV4) {
		smp->u.ipv4.s_addr &= args[0].data.ipv4.s_addr;
		return 1;
	}
	if (args[1].type != ARGT_MSK6)
		return 0;
	for (int i = 0; i < 16; i++)
		smp->u.ipv6.s6_addr[i] &= args[1].data.ipv6.s6_addr[i];
	return 1;
}

#define INT SMP_T_SINT
#define OPND ARGS(1, ARGT_STR)
static const struct smp_conv_kw num_convs[] = {
    {"add", conv_arith, OPND, val_operand, INT, INT, "+"},
    {"sub", conv_arith, OPND, val_operand, INT, INT, "-"},
    {"mul", conv_arith, OPND, val_operand, INT, INT, "*"},
    {"div", conv_arith, OPND, val_operand, INT, INT, "/"},
    {"mod", conv_arith, OPND, val_operand, INT, INT, "%"},
    {"and", conv_arith, OPND, val_operand, INT, INT, "&"},
    {"or", conv_arith, OPND, val_operand, INT, INT, "|"},
    {"xor", conv_arith, OPND, val_operand, INT, INT, "^"},
    {"neg", conv_unary, ARGS0, NULL, INT, INT, "n"},
    {"cpl", conv_unary, ARGS0, NULL, INT, INT, "c"},
    {"bool", conv_unary, ARGS0, NULL, INT, SMP_T_BOOL, "b"},
    {"not", conv_unary, ARGS0, NULL, INT, SMP_T_BOOL, "!"},
    {"odd", conv_unary, ARGS0, NULL, INT, SMP_T_BOOL, "o"},
    {"even", conv_unary, ARGS0, NULL, INT, SMP_T_BOOL, "e"},
    {"iif", conv_iif, ARGS(2, ARGT_STR, ARGT_STR), NULL, SMP_T_BOOL, SMP_T_STR, NULL},
    {"ipmask", conv_ipmask, ARGS(1, ARGT_MSK4, ARGT_MSK6), NULL, SMP_T_ADDR, SMP_T_ADDR, NULL},
};

SMP_REGISTER_CONVS(num_convs)
