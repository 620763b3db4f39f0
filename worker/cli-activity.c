/* "show activity" and "show threads": what each worker thread's event
 * loop has done (worker/loop.h, struct loop_activity), in HAProxy 2.6's
 * layout. HAProxy counters that have no counterpart in Halyard's loop
 * are printed as 0 so that scripts reading the lines by name keep working
 * (docs/runtime-api.md lists them).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli/cli.h"
#include "worker/loop.h"
#include "worker/runtime.h"

static uint32_t act_get(const _Atomic uint32_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* Reads one counter of thread <t>; NULL field: not measured, 0. */
typedef uint32_t (*act_read_fn)(const struct loop_activity *a);

#define ACT_READER(name)                                                                           \
	static uint32_t read_##name(const struct loop_activity *a)                                 \
	{                                                                                          \
		return act_get(&a->name);                                                          \
	}
ACT_READER(ctxsw)
ACT_READER(tasksw)
ACT_READER(empty_rq)
ACT_READER(loops)
ACT_READER(poll_io)
ACT_READER(poll_exp)
ACT_READER(avg_loop_us)
ACT_READER(accepted)

/* HAProxy 2.6's lines, in its order; <avg>: the first column is the mean
 * of the threads rather than their sum.
 */
static const struct act_line {
	const char *name;
	act_read_fn read;
	int avg;
} act_lines[] = {
    {"ctxsw", read_ctxsw, 0},
    {"tasksw", read_tasksw, 0},
    {"empty_rq", read_empty_rq, 0},
    {"long_rq", NULL, 0},
    {"loops", read_loops, 0},
    {"wake_tasks", NULL, 0},
    {"wake_signal", NULL, 0},
    {"poll_io", read_poll_io, 0},
    {"poll_exp", read_poll_exp, 0},
    {"poll_drop_fd", NULL, 0},
    {"poll_skip_fd", NULL, 0},
    {"conn_dead", NULL, 0},
    {"stream_calls", NULL, 0},
    {"pool_fail", NULL, 0},
    {"buf_wait", NULL, 0},
    {"cpust_ms_tot", NULL, 0},
    {"cpust_ms_1s", NULL, 0},
    {"cpust_ms_15s", NULL, 0},
    {"avg_loop_us", read_avg_loop_us, 1},
    {"accepted", read_accepted, 0},
    {"accq_pushed", NULL, 0},
    {"accq_full", NULL, 0},
    {"accq_ring", NULL, 0},
    {"fd_takeover", NULL, 0},
};

/* One line: the total (or mean), then each thread between brackets when
 * <want> is -1 and there are several threads; only the total for 0; only
 * thread <want> otherwise.
 */
static void act_print(struct cli_conn *c, const struct act_line *l, int want)
{
	uint32_t v[MAX_THREADS];
	uint64_t total = 0;
	int n = rt.nbthread;
	for (int i = 0; i < n; i++) {
		v[i] = l->read ? l->read(&rt.threads[i].act) : 0;
		total += v[i];
	}
	if (l->avg && n)
		total /= (uint64_t)n;
	if (want > 0) {
		cli_printf(c, "%s: %u\n", l->name, v[want - 1]);
		return;
	}
	cli_printf(c, "%s: %u", l->name, (uint32_t)total);
	if (want == -1 && n > 1) {
		cli_printf(c, " [");
		for (int i = 0; i < n; i++)
			cli_printf(c, " %u", v[i]);
		cli_printf(c, " ]");
	}
	cli_printf(c, "\n");
}

/* "show activity [-1|0|<thread>]": -1 (default) every column, 0 the
 * totals only, a thread number (1-based) that thread's values only.
 */
static void show_activity(struct cli_conn *c, char **args, int nargs)
{
	int want = -1;
	if (nargs > 2) {
		char *end;
		long v = strtol(args[2], &end, 10);
		if (!*args[2] || *end || v < -1 || v > rt.nbthread) {
			cli_printf(c, "Thread ID number must be between -1 and %d\n", rt.nbthread);
			return;
		}
		want = (int)v;
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	cli_printf(c, "thread_id: %d (1..%d)\n", curthr ? curthr->id + 1 : 1, rt.nbthread);
	cli_printf(c, "date_now: %lu.%06lu\n", (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec);
	for (size_t i = 0; i < sizeof(act_lines) / sizeof(act_lines[0]); i++)
		act_print(c, &act_lines[i], want);
}

/* CPU time consumed by thread <t> so far, in ns (0 if unknown). */
static uint64_t thread_cpu_ns(const struct wthread *t)
{
	clockid_t id;
	struct timespec ts;
	if (pthread_getcpuclockid(t->tid, &id) != 0 || clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "show threads": one block per thread, a star before the one answering.
 * Halyard has no thread groups, profiling, stuck detection nor
 * rendez-vous: those fields are 0, and the CPU time at the last poll is
 * not kept (poll=0).
 */
static void show_threads(struct cli_conn *c, char **args, int nargs)
{
	for (int i = 0; i < rt.nbthread; i++) {
		const struct wthread *t = &rt.threads[i];
		int self = curthr == t;
		int rq = atomic_load_explicit(&t->act.rq_len, memory_order_relaxed);
		int polling = atomic_load_explicit(&t->act.polling, memory_order_relaxed);
		int wq = atomic_load_explicit(&t->act.wq_len, memory_order_relaxed);
		uint64_t now = thread_cpu_ns(t);
		cli_printf(c,
		           "%c Thread %d : id=0x%" PRIxPTR " act=%d glob=0 wq=%d rq=%d tl=0 "
		           "tlsz=0 rqsz=%d\n",
		           self ? '*' : ' ', i + 1, (uintptr_t)t->tid, self || !polling, wq > 0,
		           rq > 0, rq);
		cli_printf(c, "      1/%-4d stuck=0 prof=0 harmless=%d wantrdv=0\n", i + 1,
		           !self && polling);
		cli_printf(c, "             cpu_ns: poll=0 now=%" PRIu64 " diff=%" PRIu64 "\n", now,
		           now);
		cli_printf(c, "             curr_task=0\n");
	}
}

static const struct cli_cmd activity_cmds[] = {
    {{"show", "activity"},
     "show activity [-1|0|thread_num]",
     "show per-thread activity stats (for support/developers)",
     CLI_LEVEL_USER,
     show_activity},
    {{"show", "threads"},
     "show threads",
     "show some threads debugging information",
     CLI_LEVEL_USER,
     show_threads},
};
CLI_REGISTER(activity_cmds)
