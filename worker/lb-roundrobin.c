/* "balance roundrobin": smooth weighted round-robin, dynamic (weight changes
 * publish a new snapshot, which resets the per-thread state).
 */
#include "worker/lb.h"

static struct srv_rt *rr_pick(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
			      struct lb_thread_state *ts, const struct lb_pick *req)
{
	return lb_swrr_pick(snap, ts, req->avoid);
}

static const struct lb_ops rr_ops = {
    .pick = rr_pick,
    .rotates = 1,
};
static struct lb_algo rr_algo = {.name = "roundrobin", .parse = NULL, .ops = &rr_ops};
LB_REGISTER_ALGO(rr_algo)
