/* "balance static-rr": walks an immutable table in which every server
 * appears <weight> times, evenly spread (see lb_map_build()). The table is
 * rebuilt only with a new snapshot; each thread keeps its own position.
 */
#include <stdlib.h>

#include "worker/lb-hash.h"

struct srr_data {
	int len;
	int *map; /* snapshot indexes */
};

static void *srr_build(const struct lb_cfg *cfg, const struct lb_snapshot *snap)
{
	int len;
	int *map = lb_map_build(snap, &len);
	if (!map)
		return NULL;
	struct srr_data *d = malloc(sizeof(*d));
	if (!d) {
		free(map);
		return NULL;
	}
	d->len = len;
	d->map = map;
	return d;
}

static void srr_free(void *data)
{
	struct srr_data *d = data;
	if (d)
		free(d->map);
	free(d);
}

/* Returns the next table entry that can take a connection, starting at the
 * thread's position, and moves the position past it.
 */
static struct srv_rt *srr_pick(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
			       struct lb_thread_state *ts, const struct lb_pick *req)
{
	const struct srr_data *d = snap->algo_data;
	if (!d || !d->len)
		return NULL;
	if (lb_thread_state_sync(snap, ts) < 0)
		ts->pos = 0;
	const struct srv_rt *avoid = lb_effective_avoid(snap, req->avoid);
	unsigned start = ts->pos % (unsigned)d->len;
	for (unsigned k = 0; k < (unsigned)d->len; k++) {
		unsigned slot = (start + k) % (unsigned)d->len;
		if (lb_srv_ok(snap, d->map[slot], avoid)) {
			ts->pos = (slot + 1) % (unsigned)d->len;
			return snap->srv[d->map[slot]];
		}
	}
	return NULL;
}

static const struct lb_ops srr_ops = {
    .build = srr_build,
    .free_data = srr_free,
    .pick = srr_pick,
};
static struct lb_algo srr_algo = {.name = "static-rr", .parse = NULL, .ops = &srr_ops};
LB_REGISTER_ALGO(srr_algo)
