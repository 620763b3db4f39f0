/* Hash-based server selection shared by the key-hashing algorithms
 * ("source" here, "uri", "hdr", "url_param"... in HTTP modules).
 *
 * A caller computes a key hash with lb_hash() (worker/lb.h) and passes it in
 * struct lb_pick. "hash-type map-based" maps the hash onto a weight-expanded
 * table of the usable servers; "hash-type consistent" looks it up on a ring
 * of points so that a server change only moves that server's keys. A module
 * for a new key just needs:
 *
 *   static const struct lb_ops uri_ops = {
 *	.build = lb_hash_build, .free_data = lb_hash_free,
 *	.pick = lb_hash_pick, .needs_hash = 1,
 *   };
 *
 * This file also registers the "hash-type" and "hash-balance-factor"
 * configuration keywords.
 */
#pragma once
#include "worker/lb.h"

/* Ring points per unit of weight in consistent hashing, and the largest
 * ring: above it, every server gets proportionally fewer points.
 */
#define LB_RING_POINTS_PER_WEIGHT 40
#define LB_RING_MAX_POINTS (1 << 20)

/* Builds a table of snap->total_weight snapshot indexes in which each server
 * appears as many times as its weight, spread evenly (earliest-deadline
 * order: occurrence k of a server with weight w sits at (k + 1/2) / w of the
 * cycle, ties by configuration order). Stores the length in *<len>. Returns
 * NULL (and *len = 0) for an empty snapshot.
 */
int *lb_map_build(const struct lb_snapshot *snap, int *len);

/* lb_ops callbacks of hash-based algorithms: build the map or the ring
 * according to cfg->hash_method, and pick with req->hash. Without a key
 * (req->has_hash == 0) the pick falls back to smooth weighted round-robin.
 * Full servers and req->avoid are skipped by probing the next table slot or
 * walking the ring.
 */
void *lb_hash_build(const struct lb_cfg *cfg, const struct lb_snapshot *snap);
void lb_hash_free(void *data);
struct srv_rt *lb_hash_pick(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
			    struct lb_thread_state *ts, const struct lb_pick *req);

/* Bounded loads ("hash-balance-factor"): sum of the connections of the
 * servers of <snap>, and whether server <i> stays under its share when
 * <total> connections are in use: cur_conns + 1 must not exceed
 * ceil((total + 1) * factor / 100 * weight / total_weight). Always true when
 * the factor is off (0).
 */
long long lb_snap_conns(const struct lb_snapshot *snap);
int lb_bounded_ok(const struct lb_cfg *cfg, const struct lb_snapshot *snap, int i, long long total);
