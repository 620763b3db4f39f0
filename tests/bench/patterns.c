/* Lookup cost of ACL/map pattern indexes against their size.
 *
 *   build/bench_patterns [lookups]
 *
 * For 1,000, 10,000 and 100,000 entries, builds the index of an "ip"
 * match (networks /24 and hosts, longest prefix), an exact "str" match
 * (-i, as Host maps usually are) and, for contrast, a "beg" match (kept in
 * file order, so linear), then times random lookups (half hits, half
 * misses) and prints nanoseconds per lookup and the 100k/1k ratio. The
 * indexed methods must stay flat; "beg" shows what linear looks like.
 * A measuring tool, not a test: no figure makes it fail.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/pattern.h"
#include "common/sample.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static struct pat_expr *build(enum pat_match m, unsigned flags, int n)
{
	struct pat_ref *ref = pat_ref_new_inline();
	char key[64];
	for (int i = 0; i < n; i++) {
		if (m == PAT_MATCH_IP)
			snprintf(key, sizeof(key), "%d.%d.%d.0/24", 10 + (i >> 16), (i >> 8) & 255,
			         i & 255);
		else
			snprintf(key, sizeof(key), "www.site-%d.example", i);
		pat_ref_add(ref, key, NULL, 0);
	}
	struct pat_expr *e = pat_expr_new(m, flags, SMP_T_STR);
	pat_expr_add_ref(e, ref);
	char *err = NULL;
	if (!pat_expr_build(e, &err)) {
		fprintf(stderr, "build: %s\n", err);
		exit(1);
	}
	return e;
}

/* Times <lookups> lookups on <e> of <n> entries; returns ns per lookup. */
static double time_lookups(struct pat_expr *e, int n, long lookups, long *hits)
{
	char key[64];
	struct sample s;
	*hits = 0;
	double t0 = now_ns();
	for (long i = 0; i < lookups; i++) {
		int k = (int)(rnd() % (uint32_t)(2 * n)); /* >= n: a miss */
		memset(&s, 0, sizeof(s));
		if (e->match == PAT_MATCH_IP) {
			s.type = SMP_T_IPV4;
			uint32_t a = k < n ? (uint32_t)((10 + (k >> 16)) << 24 |
			                                ((k >> 8) & 255) << 16 | (k & 255) << 8 | 7)
			                   : (uint32_t)(200u << 24 | (uint32_t)k);
			s.u.ipv4.s_addr = htonl(a);
		} else {
			int len = snprintf(key, sizeof(key), "WWW.SITE-%d.EXAMPLE", k);
			s.type = SMP_T_STR;
			s.u.str.ptr = key;
			s.u.str.len = (size_t)len;
		}
		size_t mark = smp_arena_mark();
		*hits += pat_expr_match(e, &s, NULL);
		smp_arena_release(mark);
	}
	return (now_ns() - t0) / (double)lookups;
}

int main(int argc, char **argv)
{
	long lookups = argc > 1 ? atol(argv[1]) : 2000000;
	static const int sizes[] = {1000, 10000, 100000};
	static const struct {
		const char *name;
		enum pat_match m;
		unsigned flags;
		int linear;
	} kinds[] = {{"ip (-m ip, /24 networks)", PAT_MATCH_IP, 0, 0},
	             {"str -i (Host names)", PAT_MATCH_STR, PAT_F_IGNORE_CASE, 0},
	             {"beg -i (linear, contrast)", PAT_MATCH_BEG, PAT_F_IGNORE_CASE, 1}};
	printf("| match | 1,000 entries | 10,000 | 100,000 | 100k / 1k |\n|---|---|---|---|---|\n");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		double ns[3];
		for (int i = 0; i < 3; i++) {
			struct pat_expr *e = build(kinds[k].m, kinds[k].flags, sizes[i]);
			long n = kinds[k].linear ? lookups / 200 + 1000 : lookups, hits;
			ns[i] = time_lookups(e, sizes[i], n, &hits);
			if (hits == 0 || hits == n) {
				fprintf(stderr, "%s: %ld hits of %ld lookups: the keys are wrong\n",
				        kinds[k].name, hits, n);
				return 1;
			}
		}
		printf("| %s | %.0f ns | %.0f ns | %.0f ns | %.2f |\n", kinds[k].name, ns[0], ns[1],
		       ns[2], ns[2] / ns[0]);
	}
	return 0;
}
