/* Indexes of pattern expressions (internal to common/pattern*.c).
 *
 * Exact strings live in an open-addressing hash table (keys lowered with
 * -i; the first occurrence of a key wins, as in file order). Networks are
 * flattened into sorted disjoint address intervals, each carrying the
 * most specific network covering it, and found by binary search: the
 * longest matching prefix in O(log n) from compact arrays. Every other
 * method keeps a list in file order, where the first match wins.
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

/* One entry of an index, with its map value parsed. */
struct pat_val {
	const struct pat_entry *entry;
	struct sample value;
};

struct pat_slot {
	const char *key; /* NULL: free slot */
	uint64_t hash;
	uint32_t len;
	uint32_t val; /* index in pat_index.vals */
};

/* Addresses as 128-bit integers (IPv4 in the low 32 bits of their own
 * table). An interval runs from <start> to the next interval's start; its
 * value is the most specific network covering it, or none (UINT32_MAX).
 */
struct pat_ival {
	unsigned __int128 start;
	uint32_t val;
};

struct pat_ivals {
	struct pat_ival *iv;
	uint32_t n;
	/* IPv4 only: starts as 32-bit integers, and for each value of the top
	 * 16 bits the first interval starting in that /16 ([65536] = n), so
	 * that a lookup searches a handful of intervals.
	 */
	uint32_t *start32;
	uint32_t *bucket;
};

struct pat_index {
	enum pat_match match;
	unsigned flags;
	struct pat_slot *slots;
	size_t nslots; /* power of two, 0 when unused */
	char *keys;    /* lowered keys of -i hash tables */
	struct pat_val *vals;
	uint32_t nvals;
	struct pat_ivals v4, v6; /* networks as sorted disjoint intervals */
	struct pat_lin *lin;
	int nlin;
	struct rcu_head rcu;
};

/* Builds the index of <e> from its lists; NULL with *err set. */
struct pat_index *pat_index_build(const struct pat_expr *e, char **err);
void pat_index_free(struct pat_index *idx);

/* Looks <smp> up; 1 with *res filled (if not NULL) on a match. */
int pat_index_lookup(const struct pat_index *idx, struct sample *smp, struct pat_result *res);
