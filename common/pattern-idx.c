/* Building and looking up pattern indexes (see common/pattern-idx.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "common/pattern-idx.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
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
	if (ref->name)
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
			char *m = xasprintf("unable to parse integer value '%s'", en->value);
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
		char *m = xasprintf("unable to parse address value '%s'", en->value);
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
			char *m = xasprintf("'%s' is not a valid integer or range", en->key);
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
			char *m = xasprintf("regex '%s' is invalid: %s", en->key, (char *)msg);
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

/* Inserts <key> into the hash table unless already present. */
static void slot_insert(struct pat_index *idx, const char *key, size_t len,
                        const struct pat_entry *en, const struct sample *v)
{
	uint64_t h = hash_bytes(key, len);
	size_t mask = idx->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct pat_slot *s = &idx->slots[i];
		if (!s->key) {
			*s = (struct pat_slot){key, len, h, en, *v};
			return;
		}
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			return; /* first occurrence wins */
	}
}

static size_t total_entries(const struct pat_expr *e)
{
	size_t n = 0;
	for (int r = 0; r < e->nrefs; r++)
		n += (size_t)e->refs[r]->n;
	return n;
}

static int build_hash(const struct pat_expr *e, struct pat_index *idx, char **err)
{
	size_t n = total_entries(e), keybytes = 0;
	idx->nslots = 16;
	while (idx->nslots < n * 2)
		idx->nslots <<= 1;
	idx->slots = xcalloc(idx->nslots, sizeof(*idx->slots));
	int icase = e->flags & PAT_F_IGNORE_CASE;
	for (int r = 0; icase && r < e->nrefs; r++)
		for (int i = 0; i < e->refs[r]->n; i++)
			keybytes += strlen(e->refs[r]->entries[i].key) + 1;
	char *kp = idx->keys = icase ? xmalloc(keybytes + 1) : NULL;
	for (int r = 0; r < e->nrefs; r++) {
		const struct pat_ref *ref = e->refs[r];
		for (int i = 0; i < ref->n; i++) {
			const struct pat_entry *en = &ref->entries[i];
			struct sample v;
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

/* Parses "addr[/mask]" into family bytes and prefix length. */
static int parse_net(const char *s, int *family, unsigned char *bytes, int *plen)
{
	char buf[128];
	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
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

static void trie_insert(struct pat_ipnode **root, const unsigned char *bytes, int plen,
                        const struct pat_entry *en, const struct sample *v)
{
	struct pat_ipnode **np = root;
	for (int bit = 0;; bit++) {
		if (!*np)
			*np = xcalloc(1, sizeof(**np));
		if (bit == plen)
			break;
		int b = (bytes[bit / 8] >> (7 - bit % 8)) & 1;
		np = &(*np)->child[b];
	}
	if (!(*np)->entry) { /* first occurrence wins */
		(*np)->entry = en;
		(*np)->value = *v;
	}
}

static int build_trie(const struct pat_expr *e, struct pat_index *idx, char **err)
{
	for (int r = 0; r < e->nrefs; r++) {
		const struct pat_ref *ref = e->refs[r];
		for (int i = 0; i < ref->n; i++) {
			const struct pat_entry *en = &ref->entries[i];
			unsigned char bytes[16];
			int family, plen;
			struct sample v;
			if (!parse_net(en->key, &family, bytes, &plen)) {
				char *m =
				    xasprintf("'%s' is not a valid IPv4 or IPv6 address", en->key);
				pattern_error(err, ref, en, m);
				free(m);
				return 0;
			}
			if (!parse_value(e, en, &v, err, ref))
				return 0;
			trie_insert(family == AF_INET ? &idx->v4 : &idx->v6, bytes, plen, en, &v);
		}
	}
	return 1;
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
		ok = build_trie(e, idx, err);
	else if (e->match != PAT_MATCH_FOUND && e->match != PAT_MATCH_BOOL) {
		idx->lin = xcalloc(total_entries(e) + 1, sizeof(*idx->lin));
		for (int r = 0; ok && r < e->nrefs; r++)
			for (int i = 0; ok && i < e->refs[r]->n; i++)
				ok = build_lin(e, e->refs[r], &e->refs[r]->entries[i],
				               &idx->lin[idx->nlin++], err);
	}
	if (!ok) {
		pat_index_free(idx);
		return NULL;
	}
	return idx;
}

static void trie_free(struct pat_ipnode *n)
{
	if (!n)
		return;
	trie_free(n->child[0]);
	trie_free(n->child[1]);
	free(n);
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
	trie_free(idx->v4);
	trie_free(idx->v6);
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
			return found(res, s->entry, &s->value);
	}
	return 0;
}

static const struct pat_ipnode *trie_lookup(const struct pat_ipnode *n, const unsigned char *b,
                                            int bits)
{
	const struct pat_ipnode *best = NULL;
	for (int bit = 0; n; bit++) {
		if (n->entry)
			best = n;
		if (bit == bits)
			break;
		n = n->child[(b[bit / 8] >> (7 - bit % 8)) & 1];
	}
	return best;
}

static int lookup_ip(const struct pat_index *idx, const struct sample *smp, struct pat_result *res)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const struct pat_ipnode *n = NULL;
	if (smp->type == SMP_T_IPV4) {
		n = trie_lookup(idx->v4, (const unsigned char *)&smp->u.ipv4, 32);
		if (!n && idx->v6) {
			unsigned char b[16];
			memcpy(b, mapped, 12);
			memcpy(b + 12, &smp->u.ipv4, 4);
			n = trie_lookup(idx->v6, b, 128);
		}
	} else if (smp->type == SMP_T_IPV6) {
		n = trie_lookup(idx->v6, smp->u.ipv6.s6_addr, 128);
		if (!n && memcmp(smp->u.ipv6.s6_addr, mapped, 12) == 0)
			n = trie_lookup(idx->v4, smp->u.ipv6.s6_addr + 12, 32);
	}
	return n ? found(res, n->entry, &n->value) : 0;
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
