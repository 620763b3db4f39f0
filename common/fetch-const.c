/* Fetches that need no traffic: constants, environment, time, random. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/sample.h"

static int fetch_true(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	smp->type = SMP_T_BOOL;
	smp->u.sint = priv != NULL;
	return 1;
}

/* bool(v), int(v), str(v), ipv4(v), ipv6(v): the argument, as parsed. */
static int fetch_const(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	enum smp_type t = (enum smp_type)(uintptr_t)priv;
	smp->type = t;
	smp->flags = SMP_F_CONST;
	switch (t) {
	case SMP_T_BOOL:
	case SMP_T_SINT:
		smp->u.sint = args[0].data.sint;
		if (t == SMP_T_BOOL)
			smp->u.sint = smp->u.sint != 0;
		return 1;
	case SMP_T_IPV4:
		smp->u.ipv4 = args[0].data.ipv4;
		return 1;
	case SMP_T_IPV6:
		smp->u.ipv6 = args[0].data.ipv6;
		return 1;
	default:
		smp->type = SMP_T_STR;
		smp->u.str = args[0].data.str;
		return smp_cast(smp, t);
	}
}

/* bin(hex): validated and decoded at parse time into the argument. */
static int val_hex(struct arg *args, char **err)
{
	struct smp_str *s = &args[0].data.str;
	if (s->len % 2) {
		*err = strdup("invalid binary string (odd length)");
		return 0;
	}
	for (size_t i = 0; i < s->len; i += 2) {
		char t[3] = {s->ptr[i], s->ptr[i + 1], 0};
		char *end;
		long v = strtol(t, &end, 16);
		if (*end || !t[0] || t[0] == '-' || t[0] == '+' || t[1] == '-' || t[1] == '+') {
			*err = strdup("invalid binary string (not hexadecimal)");
			return 0;
		}
		s->ptr[i / 2] = (char)v;
	}
	s->len /= 2;
	return 1;
}

static int fetch_bin(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	smp->type = SMP_T_BIN;
	smp->flags = SMP_F_CONST;
	smp->u.str = args[0].data.str;
	return 1;
}

static int fetch_env(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const char *v = getenv(args[0].data.str.ptr);
	if (!v)
		return 0;
	smp->type = SMP_T_STR;
	smp->flags = SMP_F_CONST | SMP_F_VOLATILE;
	smp->u.str.ptr = (char *)v;
	smp->u.str.len = strlen(v);
	return 1;
}

/* date([offset[,unit]]): current epoch time plus <offset> (s, ms or us). */
static int fetch_date(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t v = ts.tv_sec;
	const char *unit = args[1].type == ARGT_STR ? args[1].data.str.ptr : "s";
	if (!strcmp(unit, "ms"))
		v = v * 1000 + ts.tv_nsec / 1000000;
	else if (!strcmp(unit, "us"))
		v = v * 1000000 + ts.tv_nsec / 1000;
	if (args[0].type == ARGT_SINT)
		v += args[0].data.sint;
	smp->type = SMP_T_SINT;
	smp->flags = SMP_F_VOLATILE;
	smp->u.sint = v;
	return 1;
}

static int val_date(struct arg *args, char **err)
{
	if (args[1].type != ARGT_STR)
		return 1;
	const char *u = args[1].data.str.ptr;
	if (!strcmp(u, "s") || !strcmp(u, "ms") || !strcmp(u, "us"))
		return 1;
	*err = strdup("expects 's', 'ms' or 'us' as second argument");
	return 0;
}

static __thread uint64_t rng_state;

/* rand([range]): a random integer, below <range> when given. */
static int fetch_rand(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	if (!rng_state) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rng_state = (uint64_t)ts.tv_nsec ^ ((uint64_t)(uintptr_t)&rng_state << 16) ^
		            0x9e3779b97f4a7c15ull;
	}
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	uint32_t r = (uint32_t)(rng_state >> 32);
	smp->type = SMP_T_SINT;
	smp->flags = SMP_F_VOLATILE;
	smp->u.sint = args[0].type == ARGT_SINT
	                  ? (int64_t)(((uint64_t)r * (uint64_t)args[0].data.sint) >> 32)
	                  : r;
	return 1;
}

static const struct smp_fetch_kw const_fetches[] = {
    {"always_true", fetch_true, ARGS0, NULL, SMP_T_BOOL, SMP_USE_INTRN, (void *)1},
    {"always_false", fetch_true, ARGS0, NULL, SMP_T_BOOL, SMP_USE_INTRN, NULL},
    {"bool", fetch_const, ARGS(1, ARGT_SINT), NULL, SMP_T_BOOL, SMP_USE_INTRN, (void *)SMP_T_BOOL},
    {"int", fetch_const, ARGS(1, ARGT_SINT), NULL, SMP_T_SINT, SMP_USE_INTRN, (void *)SMP_T_SINT},
    {"str", fetch_const, ARGS(1, ARGT_STR), NULL, SMP_T_STR, SMP_USE_INTRN, (void *)SMP_T_STR},
    {"ipv4", fetch_const, ARGS(1, ARGT_IPV4), NULL, SMP_T_IPV4, SMP_USE_INTRN, (void *)SMP_T_IPV4},
    {"ipv6", fetch_const, ARGS(1, ARGT_IPV6), NULL, SMP_T_IPV6, SMP_USE_INTRN, (void *)SMP_T_IPV6},
    {"meth", fetch_const, ARGS(1, ARGT_STR), NULL, SMP_T_METH, SMP_USE_INTRN, (void *)SMP_T_METH},
    {"bin", fetch_bin, ARGS(1, ARGT_STR), val_hex, SMP_T_BIN, SMP_USE_INTRN, NULL},
    {"env", fetch_env, ARGS(1, ARGT_STR), NULL, SMP_T_STR, SMP_USE_INTRN, NULL},
    {"date", fetch_date, ARGS(0, ARGT_SINT, ARGT_STR), val_date, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"rand", fetch_rand, ARGS(0, ARGT_SINT), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
};

SMP_REGISTER_FETCHES(const_fetches)
