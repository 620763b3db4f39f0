/* "balance random" / "random(<draws>)": power of N random choices. Each draw
 * picks a server with a probability proportional to its weight (binary
 * search in a cumulative weight array); the least loaded of the N drawn
 * servers wins, the earliest draw on ties. Draws landing on servers that
 * cannot take the connection (full, avoided, or over the
 * "hash-balance-factor" bound) are ignored; if every draw is ignored the
 * pick is retried a few times, then the servers are scanned from a random
 * position.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/mem.h"
#include "worker/lb-hash.h"

#define RANDOM_DEF_DRAWS 2
#define RANDOM_MAX_DRAWS 100
#define RANDOM_RETRIES 4

/* random(<draws>): optional integer 1..100, no other word. */
static int random_parse(struct lb_cfg *lb, const char *paren_arg, char **args, int nargs,
			char **err)
{
	long draws = RANDOM_DEF_DRAWS;
	if (nargs > 0) {
		memprintf(err, "'balance random' takes no word after it (got '%s').", args[0]);
		return -1;
	}
	if (paren_arg) {
		char *end;
		draws = strtol(paren_arg, &end, 10);
		if (!*paren_arg || *end || draws < 1 || draws > RANDOM_MAX_DRAWS) {
			memprintf(err,
				  "'balance random(%s)': the number of draws must be an "
				  "integer between 1 and %d.",
				  paren_arg, RANDOM_MAX_DRAWS);
			return -1;
		}
		lb->arg = xstrdup(paren_arg);
	}
	lb->arg_int = (int)draws;
	return 0;
}

/* Immutable data: cum[i] = sum of the weights of servers 0..i. */
struct rnd_data {
	int n;
	int cum[];
};

static void *random_build(const struct lb_cfg *cfg, const struct lb_snapshot *snap)
{
	struct rnd_data *d = malloc(sizeof(*d) + (size_t)snap->nsrv * sizeof(int));
	if (!d)
		return NULL;
	d->n = snap->nsrv;
	for (int i = 0, sum = 0; i < d->n; i++) {
		sum += snap->weight[i];
		d->cum[i] = sum;
	}
	return d;
}

static void random_free(void *data)
{
	free(data);
}

/* xorshift64* step on the thread's state, seeded on first use. */
static uint64_t rng_next(struct lb_thread_state *ts)
{
	uint64_t x = ts->rng;
	if (!x) {
		if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x) || !x) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			x = ((uint64_t)now.tv_nsec << 20) ^ (uint64_t)now.tv_sec ^
			    (uint64_t)(uintptr_t)ts;
			x = x ? x : 0x9e3779b97f4a7c15ULL;
		}
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	ts->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Returns the server index whose cumulative weight range contains <r>. */
static int draw_index(const struct rnd_data *d, int r)
{
	int lo = 0, hi = d->n - 1;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (d->cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Returns 1 when server <i> may receive the connection. */
static int random_ok(const struct lb_cfg *cfg, const struct lb_snapshot *snap, int i,
		     const struct srv_rt *avoid, long long total)
{
	return lb_srv_ok(snap, i, avoid) && (total < 0 || lb_bounded_ok(cfg, snap, i, total));
}

/* One round of <draws> draws; returns the least loaded acceptable server
 * index, or -1 when no draw was acceptable.
 */
static int random_round(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
			struct lb_thread_state *ts, const struct srv_rt *avoid, long long total)
{
	const struct rnd_data *d = snap->algo_data;
	int draws = cfg->arg_int > 0 ? cfg->arg_int : RANDOM_DEF_DRAWS, best = -1;
	long long best_load = 0;
	for (int k = 0; k < draws; k++) {
		int i = draw_index(d, (int)(rng_next(ts) % (uint64_t)snap->total_weight));
		if (!random_ok(cfg, snap, i, avoid, total))
			continue;
		long long load = lb_srv_load(snap->srv[i]);
		if (best < 0 || load < best_load) {
			best = i;
			best_load = load;
		}
	}
	return best;
}

static struct srv_rt *random_pick(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
				  struct lb_thread_state *ts, const struct lb_pick *req)
{
	const struct rnd_data *d = snap->algo_data;
	if (!d || !snap->nsrv || snap->total_weight <= 0)
		return NULL;
	const struct srv_rt *avoid = lb_effective_avoid(snap, req->avoid);
	long long total = cfg->hash_balance_factor > 0 ? lb_snap_conns(snap) : -1;
	for (int r = 0; r < RANDOM_RETRIES; r++) {
		int i = random_round(cfg, snap, ts, avoid, total);
		if (i >= 0)
			return snap->srv[i];
	}
	/* Rare: most servers unusable. Scan, first with the bound, then without. */
	int start = (int)(rng_next(ts) % (uint64_t)snap->nsrv);
	for (int bounded = total >= 0; bounded >= 0; bounded--) {
		for (int k = 0; k < snap->nsrv; k++) {
			int i = (start + k) % snap->nsrv;
			if (random_ok(cfg, snap, i, avoid, bounded ? total : -1))
				return snap->srv[i];
		}
	}
	return NULL;
}

static const struct lb_ops random_ops = {
    .build = random_build,
    .free_data = random_free,
    .pick = random_pick,
};
static struct lb_algo random_algo = {.name = "random", .parse = random_parse, .ops = &random_ops};
LB_REGISTER_ALGO(random_algo)
