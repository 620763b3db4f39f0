/* Events per second as HAProxy measures its rates (req_rate, conn_rate...):
 * the events of the current one-second period, plus the share of the
 * previous period's events that still falls in the last second. A period
 * starts with the first event after the previous one ended. Lock-free, any
 * thread; times are monotonic milliseconds (worker/loop.h now_ms()).
 */
#pragma once
#include <stdatomic.h>
#include <stdint.h>

#define FREQ_CTR_PERIOD_MS 1000

struct freq_ctr {
	_Atomic uint64_t curr_tick; /* start of the current period; bit 0: rotating */
	_Atomic uint32_t curr_ctr;  /* events of the current period */
	_Atomic uint32_t prev_ctr;  /* events of the previous period */
};

/* Adds <inc> events at time <now>; returns the events of the current period
 * so far (what HAProxy compares with its *_max values).
 */
uint32_t freq_ctr_add(struct freq_ctr *c, uint64_t now, uint32_t inc);

/* The rate at time <now>, in events per second. */
uint32_t freq_ctr_read(struct freq_ctr *c, uint64_t now);

/* Raises *<max> to <v> if <v> is larger. */
void freq_ctr_update_max(_Atomic uint32_t *max, uint32_t v);
