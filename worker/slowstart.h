/* Slow start ("slowstart" server option): when a server becomes usable
 * again, its weight grows linearly from 1 to its full value over the
 * configured time. LB snapshots are immutable, so while a ramp runs the
 * backend is republished at a few steps per second from thread 0.
 */
#pragma once
#include "worker/server-t.h"

/* Weight <w> of <s> reduced by a running ramp (at least 1). */
int slowstart_scale(const struct srv_rt *s, int w);

/* Called when <s> becomes usable (from maintenance, or by a health check):
 * starts its ramp if it has a slowstart. Must run on thread 0.
 */
void slowstart_begin(struct srv_rt *s);
