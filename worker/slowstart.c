#include "worker/slowstart.h"

#include <stdlib.h>

#include "common/mem.h"
#include "worker/loop.h"
#include "worker/runtime.h"

#define RAMP_STEPS 20
#define RAMP_MIN_STEP_MS 100

struct ramp_timer {
	struct timer t;
	struct srv_rt *srv;
};

int slowstart_scale(const struct srv_rt *s, int w)
{
	uint64_t start = atomic_load_explicit(&s->ramp_start_ms, memory_order_relaxed);
	uint32_t len = s->conf ? s->conf->cfg.slowstart : 0;
	if (!start || !len)
		return w;
	uint64_t now = now_ms();
	if (now >= start + len)
		return w;
	long scaled = (long)w * (long)(now - start) / (long)len;
	return scaled < 1 ? 1 : (int)scaled;
}

/* Republishes the backend while the ramp runs, then ends it. */
static void ramp_step(struct timer *t)
{
	struct ramp_timer *rt_ = caa_container_of(t, struct ramp_timer, t);
	struct srv_rt *s = rt_->srv;
	uint64_t start = atomic_load(&s->ramp_start_ms);
	uint32_t len = s->conf->cfg.slowstart;
	if (start && now_ms() >= start + len)
		atomic_store(&s->ramp_start_ms, 0);
	backend_publish(s->be);
	if (!atomic_load(&s->ramp_start_ms)) {
		s->ramp_armed = 0;
		free(rt_);
		return;
	}
	uint32_t step = len / RAMP_STEPS > RAMP_MIN_STEP_MS ? len / RAMP_STEPS : RAMP_MIN_STEP_MS;
	timer_set(t, now_ms() + step);
}

void slowstart_begin(struct srv_rt *s)
{
	if (!s->conf || !s->conf->cfg.slowstart)
		return;
	atomic_store(&s->ramp_start_ms, now_ms());
	if (s->ramp_armed)
		return;
	struct ramp_timer *rt_ = xcalloc(1, sizeof(*rt_));
	rt_->srv = s;
	timer_init(&rt_->t, ramp_step);
	s->ramp_armed = 1;
	timer_set(&rt_->t, now_ms() + RAMP_MIN_STEP_MS);
}
