/* Unit tests for the load-balancing algorithms (worker/lb*.c) on in-memory
 * backends, the hash functions and the hash-type keywords.
 */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "common/mem.h"
#include "conf/kw.h"
#include "tests/unit/test.h"
#include "worker/lb-hash.h"
#include "worker/lb.h"
#include "worker/srv-list.h"

#define MAXS 8

/* A backend of up to MAXS servers named s1..sN with puid 1..N. */
struct fake {
	struct proxy px;
	struct server conf[MAXS];
	struct srv_rt srv[MAXS];
	struct be_rt be;
	struct lb_snapshot *snap;
	struct lb_thread_state ts;
	char names[MAXS][8];
};

/* Creates a backend using <algo> with <n> servers of weights <w>. */
static struct fake *fake_new(const char *algo, int n, const int *w)
{
	struct fake *f = calloc(1, sizeof(*f));
	f->px.lb.algo = lb_find_algo(algo);
	f->be.conf = &f->px;
	f->be.srvs = srv_list_of_array(f->srv, n);
	for (int i = 0; i < n; i++) {
		snprintf(f->names[i], sizeof(f->names[i]), "s%d", (i + 1) % 1000000);
		f->conf[i].id = f->names[i];
		f->conf[i].puid = i + 1;
		f->srv[i].conf = &f->conf[i];
		f->srv[i].be = &f->be;
		f->srv[i].idx = i;
		f->srv[i].gidx = i;
		f->srv[i].uweight = w[i];
		f->srv[i].oper_up = 1;
	}
	return f;
}

/* Publishes a new snapshot from the current server states. */
static void fake_publish(struct fake *f)
{
	lb_snapshot_free(f->snap);
	f->snap = lb_snapshot_build(&f->be);
}

static void fake_free(struct fake *f)
{
	lb_snapshot_free(f->snap);
	free(f->be.srvs);
	lb_thread_state_free(&f->ts);
	free(f);
}

/* Picks with an optional key hash and server to avoid; returns the server
 * index or -1.
 */
static int pick_full(struct fake *f, int has_hash, uint64_t hash, int avoid)
{
	struct lb_pick req = {
	    .hash = hash, .has_hash = has_hash, .avoid = avoid >= 0 ? &f->srv[avoid] : NULL};
	struct srv_rt *s = f->snap->ops->pick(&f->px.lb, f->snap, &f->ts, &req);
	return s ? s->idx : -1;
}

static int pick(struct fake *f)
{
	return pick_full(f, 0, 0, -1);
}

/* Picks with a string key hashed by the backend's hash settings. */
static int pick_key(struct fake *f, const char *key)
{
	return pick_full(f, 1, lb_hash(&f->px.lb, key, strlen(key)), -1);
}

static const char *const all_algos[] = {"roundrobin", "static-rr", "leastconn",
					"first",      "random",    "source"};

TEST(roundrobin_exact_and_smooth)
{
	struct fake *f = fake_new("roundrobin", 3, (int[]){1, 2, 3});
	int cnt[3] = {0}, seq[600];
	fake_publish(f);
	for (int i = 0; i < 600; i++)
		cnt[seq[i] = pick(f)]++;
	CHECK_INT(cnt[0], 100);
	CHECK_INT(cnt[1], 200);
	CHECK_INT(cnt[2], 300);
	/* interleaved: the first cycle is s3 s2 s1 s3 s2 s3 and it repeats */
	const int first[6] = {2, 1, 0, 2, 1, 2};
	for (int i = 0; i < 6; i++)
		CHECK_INT(seq[i], first[i]);
	int periodic = 1;
	for (int i = 6; i < 600; i++)
		periodic &= seq[i] == seq[i - 6];
	CHECK(periodic);

	/* a weight change becomes visible with the next snapshot */
	f->srv[0].uweight = 3;
	fake_publish(f);
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < 800; i++)
		cnt[pick(f)]++;
	CHECK_INT(cnt[0], 300);
	CHECK_INT(cnt[1], 200);
	CHECK_INT(cnt[2], 300);
	fake_free(f);
}

TEST(weight_zero_and_unusable_never_picked)
{
	for (size_t a = 0; a < ARRAY_SIZE(all_algos); a++) {
		struct fake *f = fake_new(all_algos[a], 4, (int[]){0, 1, 1, 1});
		f->srv[2].admin = SRV_ADMIN_DRAIN;
		f->srv[3].admin = SRV_ADMIN_MAINT;
		fake_publish(f);
		CHECK_INT(f->snap->nsrv, 1);
		int bad = 0;
		for (int i = 0; i < 200; i++)
			bad += pick_key(f, (char[]){(char)('a' + i % 26), 0}) != 1;
		CHECK_INT(bad, 0);
		fake_free(f);
	}
}

TEST(snapshot_generation_and_state_reset)
{
	struct fake *f = fake_new("roundrobin", 2, (int[]){1, 1});
	fake_publish(f);
	uint64_t g1 = f->snap->gen;
	CHECK_INT(pick(f), 0);
	fake_publish(f);
	CHECK_INT(f->snap->gen, g1 + 1);
	CHECK_INT(f->snap->total_weight, 2);
	CHECK_INT(pick(f), 0); /* state was reset with the new generation */
	CHECK_INT(f->ts.gen, f->snap->gen);
	fake_free(f);
}

TEST(static_rr_cycle)
{
	struct fake *f = fake_new("static-rr", 3, (int[]){1, 2, 3});
	const int cycle[6] = {2, 1, 0, 2, 1, 2};
	fake_publish(f);
	int ok = 1, cnt[3] = {0};
	for (int i = 0; i < 600; i++) {
		int s = pick(f);
		ok &= s == cycle[i % 6];
		cnt[s]++;
	}
	CHECK(ok);
	CHECK_INT(cnt[0], 100);
	CHECK_INT(cnt[2], 300);
	/* a full server is skipped, the cycle continues with the others */
	f->srv[2].maxconn = 1;
	f->srv[2].cur_conns = 1;
	for (int i = 0; i < 60; i++)
		ok &= pick(f) != 2;
	CHECK(ok);
	fake_free(f);
}

TEST(leastconn_load_and_weights)
{
	struct fake *f = fake_new("leastconn", 3, (int[]){1, 1, 1});
	fake_publish(f);
	f->srv[0].cur_conns = 5;
	f->srv[1].cur_conns = 2;
	f->srv[2].cur_conns = 7;
	CHECK_INT(pick(f), 1);
	f->srv[1].queued = 6; /* queued streams count as load */
	CHECK_INT(pick(f), 0);
	/* equal loads are served in turns */
	int cnt[3] = {0};
	for (int i = 0; i < 3; i++)
		f->srv[i].cur_conns = f->srv[i].queued = 0;
	for (int i = 0; i < 30; i++)
		cnt[pick(f)]++;
	CHECK(cnt[0] == 10 && cnt[1] == 10 && cnt[2] == 10);
	fake_free(f);

	f = fake_new("leastconn", 2, (int[]){1, 3});
	fake_publish(f);
	f->srv[0].cur_conns = 2;
	f->srv[1].cur_conns = 3; /* 3/3 < 2/1 */
	CHECK_INT(pick(f), 1);
	f->srv[0].cur_conns = f->srv[1].cur_conns = 0;
	for (int i = 0; i < 400; i++)
		f->srv[pick(f)].cur_conns++;
	CHECK_INT(f->srv[0].cur_conns, 100);
	CHECK_INT(f->srv[1].cur_conns, 300);
	fake_free(f);
}

TEST(first_fills_in_id_order)
{
	struct fake *f = fake_new("first", 3, (int[]){1, 5, 1});
	f->srv[0].maxconn = 2;
	f->srv[1].maxconn = 3;
	fake_publish(f);
	const int expect[8] = {0, 0, 1, 1, 1, 2, 2, 2};
	for (int i = 0; i < 8; i++) {
		int s = pick(f);
		CHECK_INT(s, expect[i]);
		f->srv[s].cur_conns++;
	}
	f->srv[0].cur_conns--; /* a slot frees up on the first server */
	CHECK_INT(pick(f), 0);
	fake_free(f);

	/* ids, not positions, give the order */
	f = fake_new("first", 3, (int[]){1, 1, 1});
	f->conf[0].puid = 30;
	f->conf[1].puid = 10;
	f->conf[2].puid = 20;
	fake_publish(f);
	CHECK_INT(pick(f), 1);
	f->srv[1].maxconn = 1;
	f->srv[1].cur_conns = 1;
	CHECK_INT(pick(f), 2);
	fake_free(f);
}

TEST(random_weighted_distribution)
{
	struct fake *f = fake_new("random", 3, (int[]){1, 2, 3});
	fake_publish(f);
	f->ts.rng = 12345;
	int cnt[3] = {0};
	for (int i = 0; i < 60000; i++)
		cnt[pick(f)]++; /* equal loads: the first draw wins */
	for (int i = 0; i < 3; i++)
		CHECK(abs(cnt[i] - 10000 * (i + 1)) < 1000 * (i + 1));
	fake_free(f);
}

TEST(random_power_of_two_prefers_less_loaded)
{
	struct fake *f = fake_new("random", 3, (int[]){1, 1, 1});
	fake_publish(f); /* default: 2 draws */
	f->srv[0].cur_conns = 10;
	f->srv[1].cur_conns = 5;
	int cnt[3] = {0};
	for (int i = 0; i < 60000; i++)
		cnt[pick(f)]++;
	/* P(s1) = 1/9, P(s2) = 3/9, P(s3) = 5/9 */
	CHECK(abs(cnt[0] - 6667) < 667);
	CHECK(abs(cnt[1] - 20000) < 2000);
	CHECK(abs(cnt[2] - 33333) < 3333);
	/* many draws converge to the least loaded */
	f->px.lb.arg_int = 20;
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < 1000; i++)
		cnt[pick(f)]++;
	CHECK(cnt[2] > 990);
	fake_free(f);
}

TEST(random_parse_args)
{
	const struct lb_algo *a = lb_find_algo("random");
	struct lb_cfg lb = {0};
	char *err = NULL, *extra[] = {"foo"};
	CHECK(a && a->parse);
	CHECK_INT(a->parse(&lb, NULL, NULL, 0, &err), 0);
	CHECK_INT(lb.arg_int, 2);
	CHECK_INT(a->parse(&lb, "3", NULL, 0, &err), 0);
	CHECK_INT(lb.arg_int, 3);
	free(lb.arg);
	CHECK_INT(a->parse(&lb, "100", NULL, 0, &err), 0);
	free(lb.arg);
	const char *bad[] = {"0", "101", "abc", "", "2x", "-1"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT(a->parse(&lb, bad[i], NULL, 0, &err), -1);
	CHECK_INT(a->parse(&lb, NULL, extra, 1, &err), -1);
	CHECK(err != NULL);
	free(err);
	CHECK(lb_find_algo("roundrobin")->parse == NULL);
}

TEST(source_map_based_stable_and_uniform)
{
	struct fake *f = fake_new("source", 5, (int[]){1, 1, 1, 1, 1});
	fake_publish(f);
	CHECK(f->snap->ops->needs_hash && f->snap->ops->hash_on_source);
	int cnt[5] = {0}, stable = 1;
	char key[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "10.%d.%d.%d", i / 4096, (i / 64) % 64, i % 64);
		int s = pick_key(f, key);
		stable &= pick_key(f, key) == s;
		cnt[s]++;
	}
	CHECK(stable);
	for (int i = 0; i < 5; i++)
		CHECK(abs(cnt[i] - 2000) < 300);
	/* no key: round-robin */
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < 50; i++)
		cnt[pick(f)]++;
	CHECK(cnt[0] == 10 && cnt[4] == 10);
	fake_free(f);
}

/* Maps 10000 keys on <f> (consistent hashing) into <map>. */
static void map_keys(struct fake *f, int *map)
{
	char key[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "/obj/%d", i);
		map[i] = pick_key(f, key);
	}
}

TEST(consistent_moves_only_removed_server_keys)
{
	static int before[10000], after[10000], back[10000];
	struct fake *f = fake_new("source", 5, (int[]){1, 1, 1, 1, 1});
	f->px.lb.hash_method = HASH_CONSISTENT;
	f->px.lb.hash_avalanche = 1;
	fake_publish(f);
	map_keys(f, before);
	f->srv[2].oper_up = 0;
	fake_publish(f);
	map_keys(f, after);
	f->srv[2].oper_up = 1;
	fake_publish(f);
	map_keys(f, back);
	int others = 0, kept = 0, on_removed = 0, restored = 0, cnt[5] = {0};
	for (int i = 0; i < 10000; i++) {
		cnt[before[i]]++;
		on_removed += after[i] == 2;
		restored += back[i] == before[i];
		if (before[i] == 2)
			continue;
		others++;
		kept += after[i] == before[i];
	}
	CHECK(kept * 100 >= others * 95);
	CHECK_INT(on_removed, 0);
	CHECK_INT(restored, 10000);
	for (int i = 0; i < 5; i++)
		CHECK(cnt[i] > 1000 && cnt[i] < 3000);
	fake_free(f);
}

TEST(hash_balance_factor_bounds_load)
{
	struct fake *f = fake_new("source", 5, (int[]){1, 1, 1, 1, 1});
	f->px.lb.hash_method = HASH_CONSISTENT;
	f->px.lb.hash_avalanche = 1;
	f->px.lb.hash_balance_factor = 125;
	fake_publish(f);
	char key[32];
	/* skewed: 80% of the connections share one key, none closes */
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%d", i % 5 ? 0 : i);
		int s = pick_key(f, key);
		CHECK(s >= 0);
		f->srv[s].cur_conns++;
	}
	int max = 0;
	for (int i = 0; i < 5; i++)
		max = f->srv[i].cur_conns > max ? f->srv[i].cur_conns : max;
	CHECK(max <= (2000 * 125 + 499) / 500 + 1); /* factor x average, rounded up */
	fake_free(f);
}

TEST(backup_takeover)
{
	struct fake *f = fake_new("roundrobin", 4, (int[]){1, 1, 2, 3});
	f->srv[2].backup = f->srv[3].backup = 1;
	fake_publish(f);
	CHECK_INT(f->snap->nsrv, 2);
	CHECK_INT(f->snap->using_backup, 0);
	f->srv[0].oper_up = 0;
	f->srv[1].admin = SRV_ADMIN_MAINT;
	fake_publish(f);
	CHECK_INT(f->snap->nsrv, 1);
	CHECK_INT(f->snap->using_backup, 1);
	CHECK_INT(pick(f), 2);
	f->srv[2].oper_up = 0; /* next backup in configuration order */
	fake_publish(f);
	CHECK_INT(pick(f), 3);
	f->srv[2].oper_up = 1;
	f->px.options |= PXO_ALLBACKUPS;
	fake_publish(f);
	CHECK_INT(f->snap->nsrv, 2);
	int cnt[4] = {0};
	for (int i = 0; i < 50; i++)
		cnt[pick(f)]++;
	CHECK(cnt[2] == 20 && cnt[3] == 30);
	f->srv[0].oper_up = 1;
	fake_publish(f);
	CHECK_INT(f->snap->using_backup, 0);
	CHECK_INT(pick(f), 0);
	fake_free(f);
}

TEST(full_servers_and_avoid)
{
	for (size_t a = 0; a < ARRAY_SIZE(all_algos); a++) {
		struct fake *f = fake_new(all_algos[a], 3, (int[]){1, 1, 1});
		fake_publish(f);
		f->srv[0].maxconn = 1;
		f->srv[0].cur_conns = 1;
		int bad = 0;
		for (int i = 0; i < 100; i++) {
			bad += pick_full(f, 1, (uint64_t)i * 2654435761u, -1) == 0;
			bad += pick_full(f, i & 1, (uint64_t)i * 40503u, 1) != 2;
		}
		CHECK_INT(bad, 0);
		f->srv[2].maxconn = 1;
		f->srv[2].cur_conns = 1;
		CHECK_INT(pick_full(f, 1, 7, 1), 1); /* avoided but the only one left */
		f->srv[1].maxconn = 1;
		f->srv[1].cur_conns = 1;
		CHECK_INT(pick_full(f, 1, 7, -1), -1); /* all full */
		fake_free(f);
	}
}

/* Textbook definitions, written independently of worker/lb.c. */
static uint32_t ref_sdbm(const char *s)
{
	uint32_t h = 0;
	for (; *s; s++)
		h = h * 65599u + (unsigned char)*s;
	return h;
}

static uint32_t ref_djb2(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33u + (unsigned char)*s;
	return h;
}

TEST(hash_functions)
{
	CHECK_INT(hash_sdbm("hello", 5), ref_sdbm("hello"));
	CHECK_INT(hash_djb2("hello", 5), ref_djb2("hello"));
	CHECK_INT(hash_djb2("hello", 5), 261238937u);
	CHECK_INT(hash_djb2("", 0), 5381);
	CHECK_INT(hash_crc32("hello", 5), crc32(0, (const Bytef *)"hello", 5));
	CHECK_INT(hash_crc32("hello", 5), 0x3610a686u);
	CHECK_INT(hash_wt6("", 0), 0xa53c965au ^ 0x5ca6953au);
	/* values printed by HAProxy 2.6's sdbm/wt6/wt6(1) converters */
	CHECK_INT(hash_sdbm("hello", 5), 684824882u);
	CHECK_INT(hash_wt6("hello", 5), 3538347703u);
	CHECK_INT(hash_wt6("abcdefghijklmnop", 16), 2269216868u);
	CHECK_INT(hash_avalanche(hash_wt6("hello", 5)), 140457739u);
	CHECK(hash_wt6("hello", 5) != hash_wt6("hellp", 5));
	/* avalanche: one flipped input bit changes about half the output bits */
	long long flips = 0;
	for (uint32_t x = 0; x < 1000; x++)
		for (int b = 0; b < 32; b++)
			flips += __builtin_popcount(hash_avalanche(x * 7919u) ^
						    hash_avalanche((x * 7919u) ^ (1u << b)));
	CHECK(flips > 1000 * 32 * 14 && flips < 1000 * 32 * 18);

	struct lb_cfg cfg = {.hash_fn = HASH_FN_DJB2};
	CHECK_INT(lb_hash(&cfg, "hello", 5), ref_djb2("hello"));
	cfg.hash_avalanche = 1;
	CHECK_INT(lb_hash(&cfg, "hello", 5), hash_avalanche(ref_djb2("hello")));
	cfg = (struct lb_cfg){.hash_fn = HASH_FN_NONE};
	CHECK_INT(lb_hash(&cfg, "12345", 5), 12345);
	cfg.hash_fn = HASH_FN_WT6;
	CHECK_INT(lb_hash(&cfg, "abc", 3), hash_wt6("abc", 3));
}

/* Runs proxy keyword <line> (space-separated) on <px>; returns CFG_* flags. */
static int run_kw(struct proxy *px, char *line)
{
	char *args[8], *err = NULL;
	int nargs = 0, words;
	for (char *t = strtok(line, " "); t && nargs < 8; t = strtok(NULL, " "))
		args[nargs++] = t;
	const struct cfg_kw *kw = cfg_find_kw(SECT_BACKEND, args, nargs, &words);
	if (!kw || (kw->flags & KWF_PENDING) || !kw->parse)
		return -1;
	struct cfg_ctx ctx = {.px = px};
	int ret = kw->parse(&ctx, args, nargs, &err);
	free(err);
	return ret;
}

TEST(hash_keywords)
{
	struct proxy px = {0};
	char l1[] = "hash-type consistent", l2[] = "hash-type map-based djb2",
	     l3[] = "hash-type consistent wt6 avalanche", l4[] = "hash-balance-factor 150";
	CHECK_INT(run_kw(&px, l1), CFG_OK);
	CHECK(px.lb.hash_method == HASH_CONSISTENT && px.lb.hash_fn == HASH_FN_SDBM);
	CHECK_INT(px.lb.hash_avalanche, 1);
	CHECK_INT(run_kw(&px, l2), CFG_OK);
	CHECK(px.lb.hash_method == HASH_MAP_BASED && px.lb.hash_fn == HASH_FN_DJB2);
	CHECK_INT(px.lb.hash_avalanche, 0);
	CHECK_INT(run_kw(&px, l3), CFG_OK);
	CHECK(px.lb.hash_fn == HASH_FN_WT6 && px.lb.hash_avalanche);
	CHECK_INT(run_kw(&px, l4), CFG_OK);
	CHECK_INT(px.lb.hash_balance_factor, 150);
	char b1[] = "hash-type foo", b2[] = "hash-type consistent md5",
	     b3[] = "hash-type map-based sdbm bogus", b4[] = "hash-balance-factor 50",
	     b5[] = "hash-balance-factor 12x", b6[] = "hash-type";
	char *bad[] = {b1, b2, b3, b4, b5, b6};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_INT(run_kw(&px, bad[i]), CFG_ALERT);
	char z[] = "hash-balance-factor 0";
	CHECK_INT(run_kw(&px, z), CFG_OK);
	CHECK_INT(px.lb.hash_balance_factor, 0);
}

TEST_MAIN()
