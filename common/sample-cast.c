/* Sample type casts and the per-thread sample arena (see common/sample.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http-msg.h"
#include "common/addr.h"
#include "common/sample.h"

#define ARENA_SIZE (1u << 20)

static __thread char *arena;
static __thread size_t arena_used;

void *smp_alloc(size_t len)
{
	if (!arena) {
		arena = malloc(ARENA_SIZE);
		if (!arena)
			return NULL;
	}
	size_t start = (arena_used + 7) & ~(size_t)7;
	if (start > ARENA_SIZE || len > ARENA_SIZE - start)
		return NULL;
	arena_used = start + len;
	return arena + start;
}

size_t smp_arena_mark(void)
{
	return arena_used;
}

void smp_arena_release(size_t mark)
{
	if (mark < arena_used)
		arena_used = mark;
}

static const char *const type_names[SMP_TYPES] = {
    [SMP_T_ANY] = "any",   [SMP_T_BOOL] = "bool", [SMP_T_SINT] = "sint",
    [SMP_T_ADDR] = "addr", [SMP_T_IPV4] = "ipv4", [SMP_T_IPV6] = "ipv6",
    [SMP_T_STR] = "str",   [SMP_T_BIN] = "bin",   [SMP_T_METH] = "meth",
};

const char *smp_type_name(enum smp_type t)
{
	return t < SMP_TYPES ? type_names[t] : "?";
}

int smp_make_rw(struct sample *smp, size_t room)
{
	size_t len = smp->u.str.len;
	if (!(smp->flags & SMP_F_CONST) && room <= len)
		return 1;
	char *p = smp_alloc((room > len ? room : len) + 1);
	if (!p)
		return 0;
	if (len)
		memcpy(p, smp->u.str.ptr, len);
	p[len] = 0;
	smp->u.str.ptr = p;
	smp->flags &= ~SMP_F_CONST;
	return 1;
}

/* Sets <smp> to the string <s> of <len> bytes, copied to the arena. */
static int set_str_copy(struct sample *smp, const char *s, size_t len, enum smp_type t)
{
	char *p = smp_alloc(len + 1);
	if (!p)
		return 0;
	memcpy(p, s, len);
	p[len] = 0;
	smp->type = t;
	smp->u.str.ptr = p;
	smp->u.str.len = len;
	smp->flags &= ~SMP_F_CONST;
	return 1;
}

/* Signed decimal prefix of <s>, as HAProxy reads integers out of strings:
 * an optional sign, then digits up to the first other character.
 */
static int64_t read_int64(const char *s, size_t len)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	return neg ? -(int64_t)v : (int64_t)v;
}

/* Copies the string of <smp> to a NUL-terminated buffer of <size> bytes;
 * returns 0 when it does not fit.
 */
static int str_to_cbuf(const struct sample *smp, char *buf, size_t size)
{
	if (smp->u.str.len >= size)
		return 0;
	memcpy(buf, smp->u.str.ptr, smp->u.str.len);
	buf[smp->u.str.len] = 0;
	return 1;
}

static int str_to_ipv4(struct sample *smp)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;
	if (!str_to_cbuf(smp, buf, sizeof(buf)) || inet_pton(AF_INET, buf, &a) != 1)
		return 0;
	smp->type = SMP_T_IPV4;
	smp->u.ipv4 = a;
	return 1;
}

static int str_to_ipv6(struct sample *smp)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a;
	if (!str_to_cbuf(smp, buf, sizeof(buf)) || inet_pton(AF_INET6, buf, &a) != 1)
		return 0;
	smp->type = SMP_T_IPV6;
	smp->u.ipv6 = a;
	return 1;
}

static int int_to_str(struct sample *smp)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, smp->u.sint);
	return set_str_copy(smp, buf, (size_t)n, SMP_T_STR);
}

static int int_to_bin(struct sample *smp)
{
	unsigned char b[8];
	uint64_t v = (uint64_t)smp->u.sint;
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
	return set_str_copy(smp, (const char *)b, 8, SMP_T_BIN);
}

static int ip_sample_to_str(struct sample *smp)
{
	char buf[INET6_ADDRSTRLEN];
	int v4 = smp->type == SMP_T_IPV4;
	if (!ip_ntop(v4 ? AF_INET : AF_INET6, v4 ? (void *)&smp->u.ipv4 : (void *)&smp->u.ipv6, buf,
	             sizeof(buf)))
		return 0;
	return set_str_copy(smp, buf, strlen(buf), SMP_T_STR);
}

static int addr_to_bin(struct sample *smp)
{
	if (smp->type == SMP_T_IPV4) {
		struct in_addr a = smp->u.ipv4;
		return set_str_copy(smp, (const char *)&a, 4, SMP_T_BIN);
	}
	struct in6_addr a = smp->u.ipv6;
	return set_str_copy(smp, (const char *)&a, 16, SMP_T_BIN);
}

static void ipv4_to_ipv6(struct sample *smp)
{
	struct in6_addr a;
	memset(&a, 0, sizeof(a));
	a.s6_addr[10] = a.s6_addr[11] = 0xff;
	memcpy(&a.s6_addr[12], &smp->u.ipv4, 4);
	smp->u.ipv6 = a;
	smp->type = SMP_T_IPV6;
}

static int ipv6_to_ipv4(struct sample *smp)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(smp->u.ipv6.s6_addr, mapped, 12) != 0)
		return 0;
	struct in_addr a;
	memcpy(&a, &smp->u.ipv6.s6_addr[12], 4);
	smp->u.ipv4 = a;
	smp->type = SMP_T_IPV4;
	return 1;
}

static const char *const meth_names[] = {"",       "GET",     "HEAD",    "POST",  "PUT",
                                         "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static int str_to_meth(struct sample *smp)
{
	struct smp_str s = smp->u.str;
	int m = (int)http_meth_of((struct ist){s.ptr, s.len});
	smp->type = SMP_T_METH;
	smp->u.meth.meth = m;
	smp->u.meth.str = s;
	return 1;
}

static int meth_to_str(struct sample *smp, enum smp_type to)
{
	int m = smp->u.meth.meth;
	if (m == HTTP_METH_OTHER || m <= 0 ||
	    m >= (int)(sizeof(meth_names) / sizeof(*meth_names))) {
		struct smp_str name = smp->u.meth.str; /* the two overlap in the union */
		smp->u.str = name;
		smp->type = to;
		return 1;
	}
	smp->u.str.ptr = (char *)meth_names[m];
	smp->u.str.len = strlen(meth_names[m]);
	smp->flags |= SMP_F_CONST;
	smp->type = to;
	return 1;
}

/* Binary to string: the bytes up to the first NUL. */
static int bin_to_str(struct sample *smp)
{
	const char *z = memchr(smp->u.str.ptr, 0, smp->u.str.len);
	if (z)
		smp->u.str.len = (size_t)(z - smp->u.str.ptr);
	smp->type = SMP_T_STR;
	return 1;
}

int smp_can_cast(enum smp_type from, enum smp_type to)
{
	if (to == SMP_T_ANY || from == to || from == SMP_T_ANY)
		return 1; /* ANY: known at run time only */
	switch (from) {
	case SMP_T_BOOL:
		return to == SMP_T_SINT || to == SMP_T_STR || to == SMP_T_BIN;
	case SMP_T_SINT:
		return to != SMP_T_METH;
	case SMP_T_IPV4:
		return to == SMP_T_SINT || to == SMP_T_ADDR || to == SMP_T_IPV6 ||
		       to == SMP_T_STR || to == SMP_T_BIN;
	case SMP_T_IPV6:
		return to == SMP_T_ADDR || to == SMP_T_IPV4 || to == SMP_T_STR || to == SMP_T_BIN;
	case SMP_T_STR:
		return 1;
	case SMP_T_BIN:
		return to == SMP_T_STR || to == SMP_T_METH;
	case SMP_T_METH:
		return to == SMP_T_STR || to == SMP_T_BIN;
	case SMP_T_ADDR: /* an abstract output: either address type */
		return to == SMP_T_IPV4 || to == SMP_T_IPV6 || to == SMP_T_STR || to == SMP_T_BIN;
	default:
		return 0;
	}
}

static int cast_from_int(struct sample *smp, enum smp_type to)
{
	switch (to) {
	case SMP_T_BOOL:
		smp->u.sint = smp->u.sint != 0;
		smp->type = SMP_T_BOOL;
		return 1;
	case SMP_T_SINT:
		smp->type = SMP_T_SINT;
		return 1;
	case SMP_T_ADDR:
	case SMP_T_IPV4:
		smp->u.ipv4.s_addr = htonl((uint32_t)smp->u.sint);
		smp->type = SMP_T_IPV4;
		return 1;
	case SMP_T_IPV6:
		smp->u.ipv4.s_addr = htonl((uint32_t)smp->u.sint);
		ipv4_to_ipv6(smp);
		return 1;
	case SMP_T_STR:
		return int_to_str(smp);
	case SMP_T_BIN:
		return int_to_bin(smp);
	default:
		return 0;
	}
}

static int cast_from_str(struct sample *smp, enum smp_type to)
{
	switch (to) {
	case SMP_T_BOOL:
	case SMP_T_SINT:
		if (!smp->u.str.len)
			return 0;
		smp->u.sint = read_int64(smp->u.str.ptr, smp->u.str.len);
		smp->type = SMP_T_SINT;
		return to == SMP_T_BOOL ? cast_from_int(smp, SMP_T_BOOL) : 1;
	case SMP_T_ADDR:
		return str_to_ipv4(smp) || str_to_ipv6(smp);
	case SMP_T_IPV4:
		return str_to_ipv4(smp);
	case SMP_T_IPV6:
		return str_to_ipv6(smp);
	case SMP_T_BIN:
		smp->type = SMP_T_BIN;
		return 1;
	case SMP_T_METH:
		return str_to_meth(smp);
	default:
		return 0;
	}
}

int smp_cast(struct sample *smp, enum smp_type to)
{
	if (to == SMP_T_ANY || smp->type == to)
		return 1;
	if (to == SMP_T_ADDR && (smp->type == SMP_T_IPV4 || smp->type == SMP_T_IPV6))
		return 1;
	switch (smp->type) {
	case SMP_T_BOOL:
	case SMP_T_SINT:
		return to != SMP_T_METH && cast_from_int(smp, to);
	case SMP_T_IPV4:
		if (to == SMP_T_SINT) {
			smp->u.sint = ntohl(smp->u.ipv4.s_addr);
			smp->type = SMP_T_SINT;
			return 1;
		}
		if (to == SMP_T_IPV6) {
			ipv4_to_ipv6(smp);
			return 1;
		}
		return to == SMP_T_STR   ? ip_sample_to_str(smp)
		       : to == SMP_T_BIN ? addr_to_bin(smp)
		                         : 0;
	case SMP_T_IPV6:
		if (to == SMP_T_IPV4)
			return ipv6_to_ipv4(smp);
		return to == SMP_T_STR   ? ip_sample_to_str(smp)
		       : to == SMP_T_BIN ? addr_to_bin(smp)
		                         : 0;
	case SMP_T_STR:
		return cast_from_str(smp, to);
	case SMP_T_BIN:
		return to == SMP_T_STR ? bin_to_str(smp) : to == SMP_T_METH ? str_to_meth(smp) : 0;
	case SMP_T_METH:
		return (to == SMP_T_STR || to == SMP_T_BIN) && meth_to_str(smp, to);
	default:
		return 0;
	}
}
