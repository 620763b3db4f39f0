/* Building and looking up pattern indexes (see common/pattern-idx.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "common/pattern-idx.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"

static uint64_t hash_bytes(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static int mem_eq(const char *a, const char *b, size_t len, int icase)
{
	if (!icase)
		return memcmp(a, b, len) == 0;
	for (size_t i = 0; i < len; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Where the message names the pattern: "file:line" or the inline value. */
static void pattern_error(char **err, const struct pat_ref *ref, const struct pat_entry *en,
                          const char *what)
{
	if (ref->name && en->line > 0)
		memprintf(err, "%s at line %d of file '%s'", what, en->line, ref->name);
	else
		memprintf(err, "%s", what);
}

/* Parses a map value as the expression's value type. */
static int parse_value(const struct pat_expr *e, const struct pat_entry *en, struct sample *v,
                       char **err, const struct pat_ref *ref)
{
	memset(v, 0, sizeof(*v));
	if (!en->value)
		return 1;
	v->type = SMP_T_STR;
	v->flags = SMP_F_CONST;
	v->u.str.ptr = en->value;
	v->u.str.len = strlen(en->value);
	if (e->value_type == SMP_T_STR || e->value_type == SMP_T_ANY)
		return 1;
	if (e->value_type == SMP_T_SINT) {
		char *end;
		errno = 0;
		long long n = strtoll(en->value, &end, 10);
		if (!*en->value || *end || errno) {
			char *m = en->line < 0 /* runtime API: HAProxy's words */
			              ? xasprintf("unable to parse '%s'", en->value)
			              : xasprintf("unable to parse integer value '%s'", en->value);
			pattern_error(err, ref, en, m);
			free(m);
			return 0;
		}
		v->type = SMP_T_SINT;
		v->u.sint = n;
		return 1;
	}
	struct sample s = *v;
	if (!smp_cast(&s, SMP_T_ADDR)) {
		char *m = en->line < 0 /* runtime API: HAProxy's words */
		              ? xasprintf("unable to parse '%s'", en->value)
		              : xasprintf("unable to parse address value '%s'", en->value);
		pattern_error(err, ref, en, m);
		free(m);
		return 0;
	}
	*v = s;
	return 1;
}

/* Integer ranges: "N", "lo:hi", "lo:", ":hi". */
static int parse_range(const char *s, int64_t *lo, int64_t *hi)
{
	char *end;
	const char *colon = strchr(s, ':');
	*lo = INT64_MIN;
	*hi = INT64_MAX;
	if (!colon) {
		*lo = *hi = strtoll(s, &end, 10);
		return *s && !*end;
	}
	if (colon != s) {
		*lo = strtoll(s, &end, 10);
		if (end != colon)
			return 0;
	}
	if (colon[1]) {
		*hi = strtoll(colon + 1, &end, 10);
		if (*end)
			return 0;
	}
	return colon != s || colon[1];
}

static int hex_decode(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2)
		return 0;
	char *b = xmalloc(n / 2 + 1);
	for (size_t i = 0; i < n; i += 2) {
		int hi = isxdigit((unsigned char)s[i]), lo = isxdigit((unsigned char)s[i + 1]);
		if (!hi || !lo) {
			free(b);
			return 0;
		}
		char t[3] = {s[i], s[i + 1], 0};
		b[i / 2] = (char)strtol(t, NULL, 16);
	}
	*out = b;
	*len = n / 2;
	return 1;
}

/* Fills list item <l> for pattern <en>. */
static int build_lin(const struct pat_expr *e, const struct pat_ref *ref,
                     const struct pat_entry *en, struct pat_lin *l, char **err)
{
	l->entry = en;
	if (!parse_value(e, en, &l->value, err, ref))
		return 0;
	switch (e->match) {
	case PAT_MATCH_INT:
	case PAT_MATCH_LEN:
		if (!parse_range(en->key, &l->lo, &l->hi) || l->lo > l->hi) {
			char *m = xasprintf("'%s' is not a valid number range", en->key);
			pattern_error(err, ref, en, m);
			free(m);
			return 0;
		}
		return 1;
	case PAT_MATCH_BIN:
		if (!hex_decode(en->key, &l->s, &l->len)) {
			char *m =
			    xasprintf("'%s' is not a valid hexadecimal binary string", en->key);
			pattern_error(err, ref, en, m);
			free(m);
			return 0;
		}
		return 1;
	case PAT_MATCH_REG: {
		int code;
		PCRE2_SIZE off;
		uint32_t opt = (e->flags & PAT_F_IGNORE_CASE) ? PCRE2_CASELESS : 0;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)en->key, PCRE2_ZERO_TERMINATED, opt,
		                               &code, &off, NULL);
		if (!re) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(code, msg, sizeof(msg));
			char *m = xasprintf("regex '%s' is invalid (error=%s, erroffset=%zu)",
			                    en->key, (char *)msg, (size_t)off);
			pattern_error(err, ref, en, m);
			free(m);
			return 0;
		}
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		l->re = re;
		return 1;
	}
	default:
		l->s = xstrdup(en->key);
		l->len = strlen(l->s);
		return 1;
	}
}

/* Adds a value to the index; returns its position. */
static uint32_t add_val(struct pat_index *idx, const struct pat_entry *en, const struct sample *v)
{
	idx->vals[idx->nvals] = (struct pat_val){en, *v};
	return idx->nvals++;
}

/* Inserts <key> into the hash table unless already present. */
static void slot_insert(struct pat_index *idx, const char *key, size_t len,
                        const struct pat_entry *en, const struct sample *v)
{
	uint64_t h = hash_bytes(key, len);
	size_t mask = idx->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct pat_slot *s = &idx->slots[i];
		if (!s->key) {
			*s = (struct pat_slot){key, h, (uint32_t)len, add_val(idx, en, v)};
			return;
		}
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			return; /* first occurrence wins */
	}
}

/* The entry at <i> of <ref> if it belongs to the current version, else
 * NULL: indexes only hold the version being matched.
 */
static const struct pat_entry *live_entry(const struct pat_ref *ref, int i)
{
	const struct pat_entry *en = ref->entries[i];
	return en->gen == ref->curr_gen ? en : NULL;
}

static size_t total_entries(const struct pat_expr *e)
{
	size_t n = 0;
	for (int r = 0; r < e->nrefs; r++)
		for (int i = 0; i < e->refs[r]->n; i++)
			n += live_entry(e->refs[r], i) != NULL;
	return n;
}

static int build_hash(const struct pat_expr *e, struct pat_index *idx, char **err)
{
	size_t n = total_entries(e), keybytes = 0;
	idx->nslots = 16;
	while (idx->nslots < n * 2)
		idx->nslots <<= 1;
	idx->slots = xcalloc(idx->nslots, sizeof(*idx->slots));
	idx->vals = xcalloc(n + 1, sizeof(*idx->vals));
	int icase = e->flags & PAT_F_IGNORE_CASE;
	for (int r = 0; icase && r < e->nrefs; r++)
		for (int i = 0; i < e->refs[r]->n; i++)
			keybytes += strlen(e->refs[r]->entries[i]->key) + 1;
	char *kp = idx->keys = icase ? xmalloc(keybytes + 1) : NULL;
	for (int r = 0; r < e->nrefs; r++) {
		const struct pat_ref *ref = e->refs[r];
		for (int i = 0; i < ref->n; i++) {
			const struct pat_entry *en = live_entry(ref, i);
			struct sample v;
			if (!en)
				continue;
			if (!parse_value(e, en, &v, err, ref))
				return 0;
			size_t len = strlen(en->key);
			const char *key = en->key;
			if (icase) {
				for (size_t j = 0; j <= len; j++)
					kp[j] = (char)tolower((unsigned char)en->key[j]);
				key = kp;
				kp += len + 1;
			}
			slot_insert(idx, key, len, en, &v);
		}
	}
	return 1;
}

static int dns_allowed = 1;

void pat_set_name_resolution(int on)
{
	dns_allowed = on;
}

/* Resolves host name <host> into its first address, as HAProxy does for
 * address patterns without "-n"; 0 when it does not resolve.
 */
static int resolve_host(char *host, size_t size, const char *name)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res;
	if (!*name || getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	const void *a = res->ai_family == AF_INET
	                    ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
	                    : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
	int ok = inet_ntop(res->ai_family, a, host, (socklen_t)size) != NULL;
	freeaddrinfo(res);
	return ok;
}

/* Parses "addr[/mask]" into family bytes and prefix length; <addr> may be
 * a host name when <dns> is set.
 */
static int parse_net(const char *s, int dns, int *family, unsigned char *bytes, int *plen)
{
	char buf[128];
	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (dns && inet_pton(AF_INET, buf, bytes) != 1 && inet_pton(AF_INET6, buf, bytes) != 1) {
		char host[INET6_ADDRSTRLEN];
		if (!resolve_host(host, sizeof(host), buf))
			return 0;
		strcpy(buf, host);
	}
	if (inet_pton(AF_INET, buf, bytes) == 1) {
		*family = AF_INET;
		*plen = 32;
		if (slash) {
			struct in_addr m;
			char *end;
			long bits = strtol(slash, &end, 10);
			if (*slash && !*end && bits >= 0 && bits <= 32)
				*plen = (int)bits;
			else if (inet_pton(AF_INET, slash, &m) == 1)
				*plen = __builtin_popcount(m.s_addr);
			else
				return 0;
		}
		return 1;
	}
	if (inet_pton(AF_INET6, buf, bytes) == 1) {
		*family = AF_INET6;
		*plen = 128;
		if (slash) {
			char *end;
			long bits = strtol(slash, &end, 10);
			if (!*slash || *end || bits < 0 || bits > 128)
				return 0;
			*plen = (int)bits;
		}
		return 1;
	}
	return 0;
}

/* A network being flattened: [lo, hi] and its value; <order> keeps file
 * order among identical networks (the first wins).
 */
struct net {
	unsigned __int128 lo, hi;
	int plen;
	uint32_t order, val;
};

static int net_cmp(const void *a, const void *b)
{
	const struct net *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->plen != y->plen) /* wider first: it encloses the narrower */
		return x->plen < y->plen ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void emit(struct pat_ivals *out, unsigned __int128 start, uint32_t val)
{
	if (out->n && out->iv[out->n - 1].val == val)
		return; /* same value as the previous interval: merge */
	out->iv[out->n++] = (struct pat_ival){start, val};
}

/* Turns networks <nets> (any nesting) into sorted disjoint intervals, each
 * with the value of the narrowest network covering it, up to address
 * <max>. Two networks are always nested or disjoint, never partly
 * overlapping.
 */
static void flatten(struct net *nets, uint32_t n, unsigned __int128 max, struct pat_ivals *out)
{
	qsort(nets, n, sizeof(*nets), net_cmp);
	out->iv = xcalloc(2 * (size_t)n + 2, sizeof(*out->iv));
	struct net **stack = xcalloc((size_t)n + 1, sizeof(*stack));
	uint32_t depth = 0;
	unsigned __int128 cur = 0;
	int done = 0; /* cur passed the end of the address space */
	for (uint32_t i = 0; i <= n; i++) {
		struct net *p = i < n ? &nets[i] : NULL;
		if (p && i && p->lo == nets[i - 1].lo && p->plen == nets[i - 1].plen)
			continue; /* a duplicate network: the first one stays */
		while (depth && (!p || stack[depth - 1]->hi < p->lo)) {
			struct net *top = stack[--depth];
			if (!done && cur <= top->hi)
				emit(out, cur, top->val);
			if (top->hi == max)
				done = 1;
			else if (!done && cur <= top->hi)
				cur = top->hi + 1;
		}
		if (!p)
			break;
		if (cur < p->lo)
			emit(out, cur, depth ? stack[depth - 1]->val : UINT32_MAX);
		cur = p->lo;
		stack[depth++] = p;
	}
	if (!done)
		emit(out, cur, UINT32_MAX);
	free(stack);
}

/* Builds the /16 buckets of an IPv4 interval table. */
static void index_v4(struct pat_ivals *t)
{
	t->start32 = xcalloc((size_t)t->n + 1, sizeof(*t->start32));
	t->bucket = xcalloc(65537, sizeof(*t->bucket));
	for (uint32_t i = 0; i < t->n; i++)
		t->start32[i] = (uint32_t)t->iv[i].start;
	uint32_t i = 0;
	for (uint32_t b = 0; b < 65536; b++) {
		while (i < t->n && (t->start32[i] >> 16) < b)
			i++;
		t->bucket[b] = i;
	}
	t->bucket[65536] = t->n;
}

/* Parses the networks of <e> into the value list and the two interval
 * tables. Returns 0 with *err set on an invalid network or value.
 */
static int build_nets(const struct pat_expr *e, struct pat_index *idx, char **err)
{
	size_t total = total_entries(e);
	struct net *v4 = xcalloc(total + 1, sizeof(*v4)), *v6 = xcalloc(total + 1, sizeof(*v6));
	uint32_t n4 = 0, n6 = 0, order = 0;
	int ok = 1;
	idx->vals = xcalloc(total + 1, sizeof(*idx->vals));
	for (int r = 0; ok && r < e->nrefs; r++) {
		const struct pat_ref *ref = e->refs[r];
		for (int i = 0; ok && i < ref->n; i++) {
			const struct pat_entry *en = live_entry(ref, i);
			if (!en)
				continue;
			unsigned char bytes[16];
			int family, plen;
			struct sample v;
			int dns = dns_allowed && !(e->flags & PAT_F_NO_DNS);
			if (!parse_net(en->key, dns, &family, bytes, &plen)) {
				char *m =
				    xasprintf("'%s' is not a valid IPv4 or IPv6 address", en->key);
				pattern_error(err, ref, en, m);
				free(m);
				ok = 0;
				break;
			}
			if (!parse_value(e, en, &v, err, ref)) {
				ok = 0;
				break;
			}
			int bits = family == AF_INET ? 32 : 128;
			unsigned __int128 a = 0, host;
			for (int b = 0; b < bits / 8; b++)
				a = a << 8 | bytes[b];
			host = plen == bits ? 0 : (((unsigned __int128)1) << (bits - plen)) - 1;
			struct net *nt = family == AF_INET ? &v4[n4++] : &v6[n6++];
			*nt = (struct net){a & ~host, (a & ~host) | host, plen, order++,
			                   add_val(idx, en, &v)};
		}
	}
	if (ok) {
		flatten(v4, n4, 0xffffffffu, &idx->v4);
		flatten(v6, n6, ~(unsigned __int128)0, &idx->v6);
		if (idx->v4.n > 64) /* small tables are searched directly */
			index_v4(&idx->v4);
	}
	free(v4);
	free(v6);
	return ok;
}

struct pat_index *pat_index_build(const struct pat_expr *e, char **err)
{
	struct pat_index *idx = xcalloc(1, sizeof(*idx));
	idx->match = e->match;
	idx->flags = e->flags;
	int ok = 1;
	if (e->match == PAT_MATCH_STR)
		ok = build_hash(e, idx, err);
	else if (e->match == PAT_MATCH_IP)
		ok = build_nets(e, idx, err);
	else if (e->match != PAT_MATCH_FOUND && e->match != PAT_MATCH_BOOL) {
		idx->lin = xcalloc(total_entries(e) + 1, sizeof(*idx->lin));
		for (int r = 0; ok && r < e->nrefs; r++)
			for (int i = 0; ok && i < e->refs[r]->n; i++)
				if (live_entry(e->refs[r], i))
					ok = build_lin(e, e->refs[r], e->refs[r]->entries[i],
					               &idx->lin[idx->nlin++], err);
	}
	if (!ok) {
		pat_index_free(idx);
		return NULL;
	}
	return idx;
}

void pat_index_free(struct pat_index *idx)
{
	if (!idx)
		return;
	for (int i = 0; i < idx->nlin; i++) {
		free(idx->lin[i].s);
		if (idx->lin[i].re)
			pcre2_code_free(idx->lin[i].re);
	}
	free(idx->lin);
	free(idx->slots);
	free(idx->keys);
	free(idx->vals);
	free(idx->v4.iv);
	free(idx->v4.start32);
	free(idx->v4.bucket);
	free(idx->v6.iv);
	free(idx);
}

static int found(struct pat_result *res, const struct pat_entry *en, const struct sample *v)
{
	if (res) {
		res->entry = en;
		res->value = *v;
	}
	return 1;
}

static int lookup_hash(const struct pat_index *idx, const struct sample *smp,
                       struct pat_result *res)
{
	const char *key = smp->u.str.ptr;
	size_t len = smp->u.str.len;
	if (idx->flags & PAT_F_IGNORE_CASE) {
		char *low = smp_alloc(len + 1);
		if (!low)
			return 0;
		for (size_t i = 0; i < len; i++)
			low[i] = (char)tolower((unsigned char)key[i]);
		key = low;
	}
	uint64_t h = hash_bytes(key, len);
	size_t mask = idx->nslots - 1;
	for (size_t i = h & mask; idx->slots[i].key; i = (i + 1) & mask) {
		const struct pat_slot *s = &idx->slots[i];
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			return found(res, idx->vals[s->val].entry, &idx->vals[s->val].value);
	}
	return 0;
}

/* The value of the interval holding <a>, or UINT32_MAX. */
static uint32_t ival_lookup(const struct pat_ivals *t, unsigned __int128 a)
{
	uint32_t lo = 0, hi = t->n; /* the last interval starting at or before a */
	if (!t->n || t->iv[0].start > a)
		return UINT32_MAX;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->iv[mid].start <= a)
			lo = mid;
		else
			hi = mid;
	}
	return t->iv[lo].val;
}

/* IPv4: the interval holding <a>, searched from its /16 bucket. */
static uint32_t ival_lookup4(const struct pat_ivals *t, uint32_t a)
{
	if (!t->bucket)
		return ival_lookup(t, a);
	if (!t->n || t->start32[0] > a)
		return UINT32_MAX;
	uint32_t lo = t->bucket[a >> 16], hi = t->bucket[(a >> 16) + 1];
	if (lo) /* the interval covering the start of the bucket began before */
		lo--;
	if (hi < t->n)
		hi++;
	while (hi - lo > 1) { /* the last start <= a in [lo, hi) */
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->start32[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	return t->iv[lo].val;
}

static unsigned __int128 bytes_to_int(const unsigned char *b, int n)
{
	unsigned __int128 a = 0;
	for (int i = 0; i < n; i++)
		a = a << 8 | b[i];
	return a;
}

/* IPv4 samples are also looked up among IPv6 networks as v4-mapped
 * addresses, and v4-mapped IPv6 samples among IPv4 networks.
 */
static int lookup_ip(const struct pat_index *idx, const struct sample *smp, struct pat_result *res)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint32_t v = UINT32_MAX;
	if (smp->type == SMP_T_IPV4) {
		const unsigned char *b = (const unsigned char *)&smp->u.ipv4;
		v = ival_lookup4(&idx->v4, (uint32_t)bytes_to_int(b, 4));
		if (v == UINT32_MAX && idx->v6.n) {
			unsigned char m[16];
			memcpy(m, mapped, 12);
			memcpy(m + 12, b, 4);
			v = ival_lookup(&idx->v6, bytes_to_int(m, 16));
		}
	} else if (smp->type == SMP_T_IPV6) {
		v = ival_lookup(&idx->v6, bytes_to_int(smp->u.ipv6.s6_addr, 16));
		if (v == UINT32_MAX && memcmp(smp->u.ipv6.s6_addr, mapped, 12) == 0)
			v = ival_lookup4(&idx->v4,
			                 (uint32_t)bytes_to_int(smp->u.ipv6.s6_addr + 12, 4));
	}
	return v == UINT32_MAX ? 0 : found(res, idx->vals[v].entry, &idx->vals[v].value);
}

/* Whether <pat> appears in <s> as a whole word between delimiters of
 * <delims> (the "dir" and "dom" methods); delimiters at the pattern's ends
 * are ignored.
 */
static int match_word(const char *s, size_t slen, const char *pat, size_t plen, const char *delims,
                      int icase)
{
	while (plen && strchr(delims, *pat)) {
		pat++;
		plen--;
	}
	while (plen && strchr(delims, pat[plen - 1]))
		plen--;
	if (!plen)
		return 0;
	for (size_t i = 0; i + plen <= slen; i++) {
		if (i && !strchr(delims, s[i - 1]))
			continue;
		if (i + plen < slen && !strchr(delims, s[i + plen]))
			continue;
		if (mem_eq(s + i, pat, plen, icase))
			return 1;
	}
	return 0;
}

static int sub_match(const char *s, size_t slen, const char *pat, size_t plen, int icase)
{
	for (size_t i = 0; i + plen <= slen; i++)
		if (mem_eq(s + i, pat, plen, icase))
			return 1;
	return 0;
}

static __thread pcre2_match_data *re_md;

static int reg_match(void *re, const struct sample *smp)
{
	if (!re_md)
		re_md = pcre2_match_data_create(1, NULL);
	if (!re_md)
		return 0;
	return pcre2_match(re, (PCRE2_SPTR)smp->u.str.ptr, smp->u.str.len, 0, 0, re_md, NULL) >= 0;
}

static int lin_match(const struct pat_index *idx, const struct pat_lin *l, const struct sample *smp)
{
	const char *s = smp->u.str.ptr;
	size_t n = smp->u.str.len;
	int icase = idx->flags & PAT_F_IGNORE_CASE;
	switch (idx->match) {
	case PAT_MATCH_INT:
		return smp->u.sint >= l->lo && smp->u.sint <= l->hi;
	case PAT_MATCH_LEN:
		return (int64_t)n >= l->lo && (int64_t)n <= l->hi;
	case PAT_MATCH_BIN:
		return n == l->len && memcmp(s, l->s, n) == 0;
	case PAT_MATCH_REG:
		return reg_match(l->re, smp);
	case PAT_MATCH_SUB:
		return sub_match(s, n, l->s, l->len, icase);
	case PAT_MATCH_BEG:
		return n >= l->len && mem_eq(s, l->s, l->len, icase);
	case PAT_MATCH_END:
		return n >= l->len && mem_eq(s + n - l->len, l->s, l->len, icase);
	case PAT_MATCH_DIR:
		return match_word(s, n, l->s, l->len, "/?", icase);
	case PAT_MATCH_DOM:
		return match_word(s, n, l->s, l->len, "/?.:", icase);
	default:
		return 0;
	}
}

int pat_index_lookup(const struct pat_index *idx, struct sample *smp, struct pat_result *res)
{
	if (idx->match == PAT_MATCH_STR)
		return lookup_hash(idx, smp, res);
	if (idx->match == PAT_MATCH_IP)
		return lookup_ip(idx, smp, res);
	for (int i = 0; i < idx->nlin; i++)
		if (lin_match(idx, &idx->lin[i], smp))
			return found(res, idx->lin[i].entry, &idx->lin[i].value);
	return 0;
}
