/* Load balancing.
 *
 * A backend's usable servers are published as an immutable struct
 * lb_snapshot (RCU). lb_snapshot_build() makes one from the current server
 * states; readers pick servers from it without locks. Algorithms that need
 * mutable state (round-robin positions) keep it per thread in struct
 * lb_thread_state, reset whenever the snapshot generation changes; the
 * distribution is therefore exact per thread.
 *
 * Each algorithm is a module (worker/lb-<name>.c) that registers a struct
 * lb_algo (conf/lb-registry.h) whose .ops points to a struct lb_ops.
 */
#pragma once
#include <stdint.h>

#include "common/http-msg.h"
#include "conf/lb-registry.h"
#include "worker/server-t.h"

struct lb_snapshot {
	uint64_t gen;          /* generation, increases with every publication */
	int nsrv;              /* usable servers */
	struct srv_rt **srv;   /* usable servers, configuration order */
	int *weight;           /* their effective weights, all > 0 */
	int total_weight;
	int mixed_weights;     /* not all weights are equal */
	int using_backup;      /* no active server usable: these are backups */
	void *algo_data;       /* immutable algorithm data (hash ring, table...) */
	const struct lb_ops *ops;
};

/* Per-thread, per-backend mutable state of an algorithm. */
struct lb_thread_state {
	uint64_t gen;    /* snapshot generation this state belongs to */
	int *cw;         /* smooth weighted round-robin current weights (nsrv) */
	int cw_len;
	unsigned pos;    /* static round-robin position */
	uint64_t rng;    /* xorshift state for random */
};

struct lb_pick {
	uint64_t hash;             /* key hash for hash-based algorithms */
	int has_hash;              /* 0: no key (e.g. unknown source): fall back to rr */
	const struct srv_rt *avoid; /* server to skip if another is usable (redispatch) */
};

struct lb_ops {
	/* Builds the algorithm's immutable data for <snap>; NULL allowed. */
	void *(*build)(const struct lb_cfg *cfg, const struct lb_snapshot *snap);
	void (*free_data)(void *data);
	/* Chooses a server among snap->srv, skipping servers that are full
	 * (srv_is_full()). Returns NULL when none can take the connection.
	 */
	struct srv_rt *(*pick)(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
			       struct lb_thread_state *ts, const struct lb_pick *req);
	int needs_hash; /* the caller must provide req->hash (source, uri, hdr...) */
	/* the next pick starts at snap->srv[ts->pos] (roundrobin, leastconn):
	 * the caller may prefetch what that server's request will touch
	 */
	int rotates;
	int hash_on_source; /* the key is the client address (balance source) */
	/* HTTP algorithms: finds the key in request <req>; key->p stays NULL
	 * when the request has none (the pick falls back to round-robin).
	 */
	void (*http_key)(const struct lb_cfg *cfg, const struct http_msg *req, struct ist *key);
};

/* Effective maxconn of <s>: maxconn, or the dynamic limit between minconn
 * and maxconn driven by the backend's load and fullconn (worker/backend.c).
 */
int srv_dynamic_maxconn(const struct srv_rt *s);

/* Returns 1 when <s> has reached its (dynamic) maxconn. */
static inline int srv_is_full(const struct srv_rt *s)
{
	int max = atomic_load_explicit(&s->maxconn, memory_order_relaxed);
	if (!max)
		return 0;
	int limit = s->conf && s->conf->cfg.minconn ? srv_dynamic_maxconn(s) : max;
	return atomic_load_explicit(&s->cur_conns, memory_order_relaxed) >= limit;
}

/* Effective weight of a usable server (user weight, 0 if not usable). */
int srv_effective_weight(const struct srv_rt *s);

/* Builds a new snapshot of <be> from its servers' current states: active
 * usable servers, or else backups (all of them with "option allbackups",
 * else the first usable backup). Never returns NULL.
 */
struct lb_snapshot *lb_snapshot_build(struct be_rt *be);

/* Frees a snapshot (after an RCU grace period). */
void lb_snapshot_free(struct lb_snapshot *snap);

/* Hash functions of "hash-type": sdbm, djb2, wt6, crc32, with optional
 * avalanche; exposed for the balance algorithms and tests.
 */
uint64_t lb_hash(const struct lb_cfg *cfg, const void *key, size_t len);
uint32_t hash_sdbm(const void *key, size_t len);
uint32_t hash_djb2(const void *key, size_t len);
uint32_t hash_wt6(const void *key, size_t len);
uint32_t hash_crc32(const void *key, size_t len);
uint32_t hash_avalanche(uint32_t h);

/* ---- Helpers shared by the algorithm modules (worker/lb*.c). ---- */

/* Prepares <ts> for <snap>: when the generation changed, resizes and zeroes
 * the round-robin weights and resets the position (the rng is kept).
 * Returns 0, or -1 if memory is short (ts->cw is then unusable).
 */
int lb_thread_state_sync(const struct lb_snapshot *snap, struct lb_thread_state *ts);

/* Releases the memory held by <ts> and zeroes it. */
void lb_thread_state_free(struct lb_thread_state *ts);

/* Returns <avoid> when another server of <snap> can take a connection (so
 * <avoid> must be skipped), or NULL when <avoid> is the only choice left.
 */
const struct srv_rt *lb_effective_avoid(const struct lb_snapshot *snap,
					const struct srv_rt *avoid);

/* Returns 1 when server <i> of <snap> may be picked: not full, not <avoid>. */
static inline int lb_srv_ok(const struct lb_snapshot *snap, int i, const struct srv_rt *avoid)
{
	return snap->srv[i] != avoid && !srv_is_full(snap->srv[i]);
}

/* Load used to compare servers: connections plus queued streams. */
static inline long long lb_srv_load(const struct srv_rt *s)
{
	return (long long)atomic_load_explicit(&s->cur_conns, memory_order_relaxed) +
	       atomic_load_explicit(&s->queued, memory_order_relaxed);
}

/* Smooth weighted round-robin over <snap> (per-thread state in <ts>), skipping
 * full servers and <avoid> when possible. Used by "roundrobin" and as the
 * fallback of hash algorithms when no key is available.
 */
struct srv_rt *lb_swrr_pick(const struct lb_snapshot *snap, struct lb_thread_state *ts,
			    const struct srv_rt *avoid);
