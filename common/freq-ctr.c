/* Per-second event rates (see freq-ctr.h), after HAProxy's freq_ctr. */
#include "common/freq-ctr.h"

/* Starts a new period at <now> holding <inc> events; <tick> is the start of
 * the period that ended, with bit 0 set by the caller (we own the rotation).
 */
static uint32_t rotate(struct freq_ctr *c, uint64_t now, uint64_t tick, uint32_t inc)
{
	atomic_store(&c->prev_ctr, atomic_exchange(&c->curr_ctr, inc));
	tick += FREQ_CTR_PERIOD_MS;
	if ((int64_t)(now - tick) >= FREQ_CTR_PERIOD_MS) { /* two periods or more ago */
		atomic_store(&c->prev_ctr, 0);
		tick = now;
	}
	atomic_store(&c->curr_tick, tick & ~(uint64_t)1);
	return inc;
}

uint32_t freq_ctr_add(struct freq_ctr *c, uint64_t now, uint32_t inc)
{
	for (;;) {
		uint64_t tick = atomic_load(&c->curr_tick);
		/* still in the period (or a rotation by a thread with a later clock) */
		if ((int64_t)(now - (tick & ~(uint64_t)1)) < FREQ_CTR_PERIOD_MS)
			return atomic_fetch_add(&c->curr_ctr, inc) + inc;
		if (!(tick & 1) && atomic_compare_exchange_weak(&c->curr_tick, &tick, tick | 1))
			return rotate(c, now, tick, inc);
	}
}

uint32_t freq_ctr_read(struct freq_ctr *c, uint64_t now)
{
	uint64_t tick, curr, past;
	do { /* a stable reading, outside of a rotation */
		tick = atomic_load(&c->curr_tick);
		curr = atomic_load(&c->curr_ctr);
		past = atomic_load(&c->prev_ctr);
	} while ((tick & 1) || tick != atomic_load(&c->curr_tick));
	int64_t remain = (int64_t)(tick + FREQ_CTR_PERIOD_MS - now);
	if (remain > FREQ_CTR_PERIOD_MS)
		remain = FREQ_CTR_PERIOD_MS;
	if (remain < 0) { /* the period ended: the last one may still count */
		remain += FREQ_CTR_PERIOD_MS;
		past = remain >= 0 ? curr : 0;
		curr = 0;
		if (remain < 0)
			remain = 0;
	}
	return (uint32_t)((past * (uint64_t)remain + curr * FREQ_CTR_PERIOD_MS) /
	                  FREQ_CTR_PERIOD_MS);
}

void freq_ctr_update_max(_Atomic uint32_t *max, uint32_t v)
{
	uint32_t old = atomic_load(max);
	while (v > old && !atomic_compare_exchange_weak(max, &old, v))
		;
}
