/* "balance first": the server with the lowest id that still has a free
 * connection slot gets the connection; weights are ignored. A server without
 * maxconn is never full and therefore takes everything once reached.
 */
#include <stdlib.h>

#include "worker/lb.h"

/* Immutable data: snapshot indexes sorted by server id. */
struct first_data {
	int n;
	int idx[];
};

static int srv_puid(const struct lb_snapshot *snap, int i)
{
	return snap->srv[i]->conf ? snap->srv[i]->conf->puid : i;
}

/* Builds the id-ordered index list (insertion sort: stable, and the input
 * is normally already in id order).
 */
static void *first_build(const struct lb_cfg *cfg, const struct lb_snapshot *snap)
{
	struct first_data *d = malloc(sizeof(*d) + (size_t)snap->nsrv * sizeof(int));
	if (!d)
		return NULL;
	d->n = snap->nsrv;
	for (int i = 0; i < d->n; i++) {
		int j = i;
		while (j > 0 && srv_puid(snap, d->idx[j - 1]) > srv_puid(snap, i)) {
			d->idx[j] = d->idx[j - 1];
			j--;
		}
		d->idx[j] = i;
	}
	return d;
}

static void first_free(void *data)
{
	free(data);
}

static struct srv_rt *first_pick(const struct lb_cfg *cfg, const struct lb_snapshot *snap,
				 struct lb_thread_state *ts, const struct lb_pick *req)
{
	const struct first_data *d = snap->algo_data;
	const struct srv_rt *avoid = lb_effective_avoid(snap, req->avoid);
	int n = d ? d->n : snap->nsrv;
	for (int k = 0; k < n; k++) {
		int i = d ? d->idx[k] : k;
		if (lb_srv_ok(snap, i, avoid))
			return snap->srv[i];
	}
	return NULL;
}

static const struct lb_ops first_ops = {
    .build = first_build,
    .free_data = first_free,
    .pick = first_pick,
};
static struct lb_algo first_algo = {.name = "first", .parse = NULL, .ops = &first_ops};
LB_REGISTER_ALGO(first_algo)
