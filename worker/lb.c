/* Load balancing core: server usability, snapshots of the usable servers,
 * per-thread state, smooth weighted round-robin shared by several
 * algorithms, and the hash functions of "hash-type".
 */
#include "worker/lb.h"
#include "worker/slowstart.h"
#include "worker/srv-list.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/mem.h"

int srv_effective_weight(const struct srv_rt *s)
{
	unsigned admin = atomic_load_explicit(&s->admin, memory_order_relaxed);
	if (admin & (SRV_ADMIN_MAINT | SRV_ADMIN_DRAIN))
		return 0;
	if (!atomic_load_explicit(&s->oper_up, memory_order_relaxed) ||
	    atomic_load_explicit(&s->oper_nolb, memory_order_relaxed))
		return 0;
	int w = atomic_load_explicit(&s->uweight, memory_order_relaxed);
	if (w <= 0)
		return 0;
	return slowstart_scale(s, w);
}

/* Appends server <s> with weight <w> to <snap>. */
static void snap_add(struct lb_snapshot *snap, struct srv_rt *s, int w)
{
	if (snap->nsrv && w != snap->weight[0])
		snap->mixed_weights = 1;
	snap->srv[snap->nsrv] = s;
	snap->weight[snap->nsrv] = w;
	snap->nsrv++;
	snap->total_weight += w;
}

/* Adds the usable servers of <be> whose backup flag is <backup> to <snap>,
 * in configuration order; stops after the first one unless <all>.
 */
static void snap_collect(struct lb_snapshot *snap, struct be_rt *be, int backup, int all)
{
	const struct srv_list *l = be_servers(be);
	for (int i = 0; l && i < l->n; i++) {
		struct srv_rt *s = l->v[i];
		if (!s->backup != !backup)
			continue;
		int w = srv_effective_weight(s);
		if (w <= 0)
			continue;
		snap_add(snap, s, w);
		if (!all)
			return;
	}
}

/* Finds the operations of <be>'s algorithm (roundrobin when none is set). */
static const struct lb_ops *be_lb_ops(const struct be_rt *be)
{
	const struct lb_algo *algo = be->conf->lb.algo;
	if (!algo)
		algo = lb_find_algo("roundrobin");
	return algo ? algo->ops : NULL;
}

struct lb_snapshot *lb_snapshot_build(struct be_rt *be)
{
	int nsrv = be_nsrv(be);
	size_t n = nsrv > 0 ? (size_t)nsrv : 1;
	struct lb_snapshot *snap = xcalloc(1, sizeof(*snap));
	snap->srv = xcalloc(n, sizeof(*snap->srv));
	snap->weight = xcalloc(n, sizeof(*snap->weight));

	snap_collect(snap, be, 0, 1);
	if (!snap->nsrv) {
		snap_collect(snap, be, 1, (be->conf->options & PXO_ALLBACKUPS) != 0);
		snap->using_backup = snap->nsrv > 0;
	}
	snap->gen = atomic_fetch_add(&be->lb_gen, 1) + 1;
	snap->ops = be_lb_ops(be);
	if (snap->ops && snap->ops->build && snap->nsrv)
		snap->algo_data = snap->ops->build(&be->conf->lb, snap);
	return snap;
}

void lb_snapshot_free(struct lb_snapshot *snap)
{
	if (!snap)
		return;
	if (snap->algo_data && snap->ops && snap->ops->free_data)
		snap->ops->free_data(snap->algo_data);
	free(snap->srv);
	free(snap->weight);
	free(snap);
}

int lb_thread_state_sync(const struct lb_snapshot *snap, struct lb_thread_state *ts)
{
	if (ts->gen == snap->gen && (ts->cw || !snap->nsrv))
		return 0;
	if (ts->cw_len < snap->nsrv || !ts->cw) {
		int *cw = realloc(ts->cw, (snap->nsrv ? snap->nsrv : 1) * sizeof(*cw));
		if (!cw)
			return -1;
		ts->cw = cw;
		ts->cw_len = snap->nsrv;
	}
	if (snap->nsrv)
		memset(ts->cw, 0, snap->nsrv * sizeof(*ts->cw));
	ts->pos = 0;
	ts->gen = snap->gen;
	return 0;
}

void lb_thread_state_free(struct lb_thread_state *ts)
{
	free(ts->cw);
	memset(ts, 0, sizeof(*ts));
}

const struct srv_rt *lb_effective_avoid(const struct lb_snapshot *snap, const struct srv_rt *avoid)
{
	if (!avoid)
		return NULL;
	for (int i = 0; i < snap->nsrv; i++)
		if (lb_srv_ok(snap, i, avoid))
			return avoid;
	return NULL;
}

/* Linear fallback when the per-thread state cannot be allocated: first
 * server that can take a connection.
 */
static struct srv_rt *first_ok(const struct lb_snapshot *snap, const struct srv_rt *avoid)
{
	for (int i = 0; i < snap->nsrv; i++)
		if (lb_srv_ok(snap, i, avoid))
			return snap->srv[i];
	return NULL;
}

/* Equal weights: smooth weighted round-robin picks servers in turn, which
 * a rotation does without visiting every server (1,000-server backends).
 * A server skipped because it is full loses its turn.
 */
static struct srv_rt *rotate(const struct lb_snapshot *snap, struct lb_thread_state *ts,
                             const struct srv_rt *avoid)
{
	unsigned n = (unsigned)snap->nsrv;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (ts->pos + k) % n;
		if (lb_srv_ok(snap, (int)i, avoid)) {
			ts->pos = i + 1;
			return snap->srv[i];
		}
	}
	return NULL;
}

/* Smooth weighted round-robin (as popularised by nginx): every eligible
 * server gains its weight, the one with the highest current weight wins and
 * loses the sum of the eligible weights. Servers skipped because full keep
 * their current weight, so they do not get a burst when they come back.
 */
struct srv_rt *lb_swrr_pick(const struct lb_snapshot *snap, struct lb_thread_state *ts,
			    const struct srv_rt *avoid)
{
	if (!snap->nsrv)
		return NULL;
	avoid = lb_effective_avoid(snap, avoid);
	if (lb_thread_state_sync(snap, ts) < 0)
		return first_ok(snap, avoid);
	if (!snap->mixed_weights) /* equal weights: the same order, in O(1) */
		return rotate(snap, ts, avoid);
	int best = -1, total = 0;
	for (int i = 0; i < snap->nsrv; i++) {
		if (!lb_srv_ok(snap, i, avoid))
			continue;
		ts->cw[i] += snap->weight[i];
		total += snap->weight[i];
		if (best < 0 || ts->cw[i] > ts->cw[best])
			best = i;
	}
	if (best < 0)
		return NULL;
	ts->cw[best] -= total;
	return snap->srv[best];
}

/* ---- Hash functions ---- */

uint32_t hash_sdbm(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint32_t h = 0;
	while (len--)
		h = *p++ + (h << 6) + (h << 16) - h;
	return h;
}

uint32_t hash_djb2(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint32_t h = 5381;
	while (len--)
		h = (h << 5) + h + *p++;
	return h;
}

/* 32-bit rotation, defined for n == 0 too. */
static inline uint32_t rotl32(uint32_t x, unsigned n)
{
	n &= 31;
	return (x << n) | (x >> ((32 - n) & 31));
}

/* HAProxy's "wt6" hash: two 32-bit accumulators fed with each byte and
 * rotated by amounts that themselves depend on the data. The rotation is
 * written so that a zero step is well defined (same result as the original
 * on common CPUs).
 */
uint32_t hash_wt6(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint32_t h0 = 0xa53c965aU, h1 = 0x5ca6953aU;
	unsigned step0 = 6, step1 = 18;

	for (; len > 0; len--) {
		uint32_t t = *p++;
		h0 = ~(h0 ^ t);
		h1 = ~(h1 + t);
		t = rotl32(h1, step0);
		h1 = rotl32(h0, step1);
		h0 = t;
		t = ((h0 >> 16) ^ h1) & 0xffff;
		step0 = t & 0x1f;
		step1 = t >> 11;
	}
	return h0 ^ h1;
}

uint32_t hash_crc32(const void *key, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);
	const unsigned char *p = key;
	while (len > 0) {
		uInt chunk = len > 0x40000000 ? 0x40000000 : (uInt)len;
		c = crc32(c, p, chunk);
		p += chunk;
		len -= chunk;
	}
	return (uint32_t)c;
}

/* Bob Jenkins' 32-bit integer mix (every input bit affects every output
 * bit), followed like in HAProxy by a multiplication by an odd constant close
 * to 3/4 of 2^32, so that results match HAProxy's "avalanche" modifier.
 */
uint32_t hash_avalanche(uint32_t a)
{
	a = (a + 0x7ed55d16U) + (a << 12);
	a = (a ^ 0xc761c23cU) ^ (a >> 19);
	a = (a + 0x165667b1U) + (a << 5);
	a = (a + 0xd3a2646cU) ^ (a << 9);
	a = (a + 0xfd7046c5U) + (a << 3);
	a = (a ^ 0xb55a4f09U) ^ (a >> 16);
	return a * 3221225473U;
}

/* "hash-type ... none": the key is taken as a decimal number (leading
 * blanks and digits only, wrapping at 32 bits); other keys give 0.
 */
static uint32_t hash_none(const void *key, size_t len)
{
	const unsigned char *p = key, *end = p + len;
	uint32_t v = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end && *p >= '0' && *p <= '9')
		v = v * 10 + (uint32_t)(*p++ - '0');
	return v;
}

uint64_t lb_hash(const struct lb_cfg *cfg, const void *key, size_t len)
{
	uint32_t h;
	switch (cfg->hash_fn) {
	case HASH_FN_DJB2:
		h = hash_djb2(key, len);
		break;
	case HASH_FN_WT6:
		h = hash_wt6(key, len);
		break;
	case HASH_FN_CRC32:
		h = hash_crc32(key, len);
		break;
	case HASH_FN_NONE:
		h = hash_none(key, len);
		break;
	case HASH_FN_SDBM:
	default:
		h = hash_sdbm(key, len);
		break;
	}
	if (cfg->hash_avalanche)
		h = hash_avalanche(h);
	return h;
}
