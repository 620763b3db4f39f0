/* Indexes of pattern expressions (internal to common/pattern*.c).
 *
 * Exact strings live in an open-addressing hash table (keys lowered with
 * -i; the first occurrence of a key wins, as in file order); networks in
 * two binary tries (IPv4, IPv6) whose lookup returns the longest matching
 * prefix; every other method in a list kept in file order, where the
 * first match wins.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <urcu-qsbr.h>

#include "common/pattern.h"

struct pat_lin {
	const struct pat_entry *entry;
	struct sample value;
	int64_t lo, hi; /* INT/LEN ranges, inclusive */
	char *s;        /* string methods: the pattern (lowered with -i) */
	size_t len;
	void *re; /* REG: pcre2_code */
};

struct pat_slot {
	const char *key; /* NULL: free slot */
	size_t len;
	uint64_t hash;
	const struct pat_entry *entry;
	struct sample value;
};

struct pat_ipnode {
	struct pat_ipnode *child[2];
	const struct pat_entry *entry; /* a prefix ends here */
	struct sample value;
};

struct pat_index {
	enum pat_match match;
	unsigned flags;
	struct pat_slot *slots;
	size_t nslots; /* power of two, 0 when unused */
	char *keys;    /* lowered keys of -i hash tables */
	struct pat_ipnode *v4, *v6;
	struct pat_lin *lin;
	int nlin;
	struct rcu_head rcu;
};

/* Builds the index of <e> from its lists; NULL with *err set. */
struct pat_index *pat_index_build(const struct pat_expr *e, char **err);
void pat_index_free(struct pat_index *idx);

/* Looks <smp> up; 1 with *res filled (if not NULL) on a match. */
int pat_index_lookup(const struct pat_index *idx, struct sample *smp, struct pat_result *res);
