/* Map-based and consistent hash selection, bounded loads, and the
 * "hash-type" / "hash-balance-factor" keywords.
 */
#include "worker/lb-hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "conf/kw.h"

struct lb_ring_pt {
	uint32_t hash;
	uint32_t puid; /* tie-break, stable across snapshots */
	int idx;       /* index in snap->srv */
};

struct lb_hash_data {
	int consistent;
	int len;                 /* entries of map or ring */
	int *map;                /* map-based: snapshot indexes */
	struct lb_ring_pt *ring; /* consistent: sorted by hash */
};

/* ---- Weight-expanded table ---- */

struct map_ent {
	int idx; /* snapshot index */
	int k;   /* occurrences already placed */
};

/* Returns 1 when the next occurrence of <a> comes before that of <b>:
 * (2ka+1)/(2wa) < (2kb+1)/(2wb), ties by index.
 */
static int ent_before(const struct lb_snapshot *snap, const struct map_ent *a,
		      const struct map_ent *b)
{
	long long l = (2LL * a->k + 1) * snap->weight[b->idx];
	long long r = (2LL * b->k + 1) * snap->weight[a->idx];
	return l < r || (l == r && a->idx < b->idx);
}

/* Restores the min-heap property of <h> (<n> entries) below position <i>. */
static void heap_down(const struct lb_snapshot *snap, struct map_ent *h, int n, int i)
{
	for (;;) {
		int m = i, l = 2 * i + 1, r = l + 1;
		if (l < n && ent_before(snap, &h[l], &h[m]))
			m = l;
		if (r < n && ent_before(snap, &h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct map_ent t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

int *lb_map_build(const struct lb_snapshot *snap, int *len)
{
	*len = 0;
	if (!snap->nsrv || snap->total_weight <= 0)
		return NULL;
	int n = snap->nsrv, total = snap->total_weight;
	int *map = xmalloc((size_t)total * sizeof(*map));
	struct map_ent *h = xmalloc((size_t)n * sizeof(*h));
	for (int i = 0; i < n; i++)
		h[i] = (struct map_ent){.idx = i, .k = 0};
	for (int i = n / 2 - 1; i >= 0; i--)
		heap_down(snap, h, n, i);
	for (int t = 0; t < total && n > 0; t++) {
		map[t] = h[0].idx;
		if (++h[0].k >= snap->weight[h[0].idx])
			h[0] = h[--n];
		heap_down(snap, h, n, 0);
	}
	free(h);
	*len = total;
	return map;
}

/* ---- Consistent hashing ring ---- */

/* 64-bit finaliser (splitmix64): spreads point keys over the ring. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static int ring_cmp(const void *a, const void *b)
{
	const struct lb_ring_pt *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->puid != y->puid)
		return x->puid < y->puid ? -1 : 1;
	return 0;
}

/* Builds the ring of <snap> into <d>: weight * points-per-weight points per
 * server, each hashed from (server id, point number) so that a server keeps
 * the same points whatever the other servers are.
 */
static void ring_build(struct lb_hash_data *d, const struct lb_snapshot *snap)
{
	long long per_w = LB_RING_POINTS_PER_WEIGHT;
	if ((long long)snap->total_weight * per_w > LB_RING_MAX_POINTS)
		per_w = LB_RING_MAX_POINTS / snap->total_weight;
	if (per_w < 1)
		per_w = 1;
	d->ring = xmalloc((size_t)snap->total_weight * per_w * sizeof(*d->ring));
	d->len = 0;
	for (int i = 0; i < snap->nsrv; i++) {
		const struct server *conf = snap->srv[i]->conf;
		uint32_t puid = conf ? (uint32_t)conf->puid : (uint32_t)i + 1;
		for (long long j = 0; j < snap->weight[i] * per_w; j++) {
			uint64_t key = ((uint64_t)puid << 32) | (uint64_t)j;
			d->ring[d->len++] =
			    (struct lb_ring_pt){(uint32_t)(mix64(key) >> 32), puid, i};
		}
	}
	qsort(d->ring, (size_t)d->len, sizeof(*d->ring), ring_cmp);
}

/* Returns the position of the first ring point at or after <h>, wrapping. */
static int ring_find(const struct lb_hash_data *d, uint32_t h)
{
	int lo = 0, hi = d->len;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (d->ring[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == d->len ? 0 : lo;
}

long long lb_snap_conns(const struct lb_snapshot *snap)
{
	long long total = 0;
	for (int i = 0; i < snap->nsrv; i++)
		total += atomic_load_explicit(&snap->srv[i]->cur_conns, memory_order_relaxed);
	return total;
}

int lb_bounded_ok(const struct lb_cfg *cfg, const struct lb_snapshot *snap, int i, long long total)
{
	long long f = cfg->hash_balance_factor, tw = snap->total_weight;
	if (f <= 0 || tw <= 0)
		return 1;
	long long slots = ((total + 1) * f * snap->weight[i] + 100 * tw - 1) / (100 * tw);
	if (slots < 1)
		slots = 1;
	return atomic_load_explicit(&snap->srv[i]->cur_conns, memory_order_relaxed) < slots;
}

/* Walks the ring from the point of <h> and returns the first server that can
 * take a connection and, with a balance factor, is under its bound. If the
 * bound excludes everything (only possible with full servers), the walk is
 * repeated without it.
 */
static struct srv_rt *ring_pick(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
				const struct lb_hash_data *d, uint32_t h,
				const struct srv_rt *avoid)
{
	int start = ring_find(d, h);
	long long total = cfg->hash_balance_factor > 0 ? lb_snap_conns(snap) : -1;
	for (int bounded = total >= 0; bounded >= 0; bounded--) {
		for (int k = 0; k < d->len; k++) {
			int idx = d->ring[(start + k) % d->len].idx;
			if (!lb_srv_ok(snap, idx, avoid))
				continue;
			if (bounded && !lb_bounded_ok(cfg, snap, idx, total))
				continue;
			return snap->srv[idx];
		}
	}
	return NULL;
}

/* Map-based: slot hash % length, then the next slots if that server cannot
 * take the connection.
 */
static struct srv_rt *map_pick(const struct lb_snapshot *snap, const struct lb_hash_data *d,
			       uint64_t h, const struct srv_rt *avoid)
{
	int start = (int)(h % (uint64_t)d->len);
	for (int k = 0; k < d->len; k++) {
		int idx = d->map[(start + k) % d->len];
		if (lb_srv_ok(snap, idx, avoid))
			return snap->srv[idx];
	}
	return NULL;
}

void *lb_hash_build(const struct lb_cfg *cfg, const struct lb_snapshot *snap)
{
	if (!snap->nsrv || snap->total_weight <= 0)
		return NULL;
	struct lb_hash_data *d = xcalloc(1, sizeof(*d));
	d->consistent = cfg->hash_method == HASH_CONSISTENT;
	if (d->consistent)
		ring_build(d, snap);
	else
		d->map = lb_map_build(snap, &d->len);
	return d;
}

void lb_hash_free(void *data)
{
	struct lb_hash_data *d = data;
	if (!d)
		return;
	free(d->map);
	free(d->ring);
	free(d);
}

struct srv_rt *lb_hash_pick(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
			    struct lb_thread_state *ts, const struct lb_pick *req)
{
	const struct lb_hash_data *d = snap->algo_data;
	if (!snap->nsrv)
		return NULL;
	if (!req->has_hash || !d || !d->len)
		return lb_swrr_pick(snap, ts, req->avoid);
	const struct srv_rt *avoid = lb_effective_avoid(snap, req->avoid);
	if (d->consistent)
		return ring_pick(cfg, snap, d, (uint32_t)req->hash, avoid);
	return map_pick(snap, d, req->hash, avoid);
}

/* ---- Configuration keywords ---- */

static const char *const hash_fn_names[] = {
    [HASH_FN_SDBM] = "sdbm",   [HASH_FN_DJB2] = "djb2", [HASH_FN_WT6] = "wt6",
    [HASH_FN_CRC32] = "crc32", [HASH_FN_NONE] = "none",
};

/* hash-type <map-based|consistent> [<function> [avalanche]]
 * Without a function: sdbm, plus avalanche for consistent hashing.
 */
static int parse_hash_type(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct lb_cfg *lb = &ctx->px->lb;
	enum hash_type_method method;
	if (nargs < 2 || nargs > 4) {
		memprintf(err,
			  "'%s' expects 'map-based' or 'consistent', optionally followed by "
			  "a hash function and the 'avalanche' modifier.",
			  args[0]);
		return CFG_ALERT;
	}
	if (strcmp(args[1], "map-based") == 0)
		method = HASH_MAP_BASED;
	else if (strcmp(args[1], "consistent") == 0)
		method = HASH_CONSISTENT;
	else {
		memprintf(err, "'%s': unknown method '%s'; expects 'map-based' or 'consistent'.",
			  args[0], args[1]);
		return CFG_ALERT;
	}
	int fn = HASH_FN_SDBM, aval = nargs < 3 && method == HASH_CONSISTENT;
	if (nargs >= 3) {
		for (fn = 0; fn < (int)ARRAY_SIZE(hash_fn_names); fn++)
			if (strcmp(args[2], hash_fn_names[fn]) == 0)
				break;
		if (fn == (int)ARRAY_SIZE(hash_fn_names)) {
			memprintf(err,
				  "'%s': unknown hash function '%s'; expects 'sdbm', 'djb2', "
				  "'wt6', 'crc32' or 'none'.",
				  args[0], args[2]);
			return CFG_ALERT;
		}
	}
	if (nargs == 4) {
		if (strcmp(args[3], "avalanche") != 0) {
			memprintf(err, "'%s': unknown modifier '%s'; the only one is 'avalanche'.",
				  args[0], args[3]);
			return CFG_ALERT;
		}
		aval = 1;
	}
	lb->hash_method = method;
	lb->hash_fn = (enum hash_fn)fn;
	lb->hash_avalanche = aval;
	return CFG_OK;
}

/* hash-balance-factor <percent>: 0 (off) or more than 100. */
static int parse_hash_balance_factor(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	char *end;
	if (nargs != 2) {
		memprintf(err, "'%s' expects a percentage (0 to disable, or above 100).", args[0]);
		return CFG_ALERT;
	}
	errno = 0;
	long v = strtol(args[1], &end, 10);
	if (!*args[1] || *end || errno || v < 0 || v > 1000000 || (v > 0 && v <= 100)) {
		memprintf(err,
			  "'%s': invalid value '%s'; expects 0 (disabled) or a percentage "
			  "between 101 and 1000000.",
			  args[0], args[1]);
		return CFG_ALERT;
	}
	ctx->px->lb.hash_balance_factor = (int)v;
	return CFG_OK;
}

static const struct cfg_kw lb_hash_kws[] = {
    {.name = "hash-type",
     .sections = SECT_PROXY,
     .cap = PX_CAP_DEF | PX_CAP_BE,
     .parse = parse_hash_type},
    {.name = "hash-balance-factor",
     .sections = SECT_PROXY,
     .cap = PX_CAP_DEF | PX_CAP_BE,
     .parse = parse_hash_balance_factor},
};
CFG_REGISTER_KEYWORDS(lb_hash_kws)
