/* "balance leastconn": the server with the lowest load per unit of weight,
 * the load being its connections plus its queued streams. Equally loaded
 * servers are taken in turns: the scan starts after the last server this
 * thread picked and only a strictly lower ratio replaces the candidate, so
 * the scan stops at the first idle server (large backends stay cheap).
 */
#include "worker/lb.h"

/* Returns 1 when load <la> at weight <wa> is lower than <lb> at <wb>
 * (la/wa < lb/wb, computed without division).
 */
static int ratio_lower(long long la, int wa, long long lb, int wb)
{
	return la * wb < lb * wa;
}

static struct srv_rt *lc_pick(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
			      struct lb_thread_state *ts, const struct lb_pick *req)
{
	int n = snap->nsrv, best = -1;
	long long best_load = 0;
	if (!n)
		return NULL;
	if (lb_thread_state_sync(snap, ts) < 0)
		ts->pos = 0;
	const struct srv_rt *avoid = lb_effective_avoid(snap, req->avoid);
	unsigned start = ts->pos % (unsigned)n;
	for (int k = 0; k < n; k++) {
		int i = (int)((start + (unsigned)k) % (unsigned)n);
		if (!lb_srv_ok(snap, i, avoid))
			continue;
		long long load = lb_srv_load(snap->srv[i]);
		if (best < 0 || ratio_lower(load, snap->weight[i], best_load, snap->weight[best])) {
			best = i;
			best_load = load;
			if (!load)
				break; /* nothing is lower: the full scan would keep this one */
		}
	}
	if (best < 0)
		return NULL;
	ts->pos = (unsigned)best + 1;
	return snap->srv[best];
}

static const struct lb_ops lc_ops = {
    .pick = lc_pick,
    .rotates = 1,
};
static struct lb_algo lc_algo = {.name = "leastconn", .parse = NULL, .ops = &lc_ops};
LB_REGISTER_ALGO(lc_algo)
