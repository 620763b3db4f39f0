/* Per-thread event loops.
 *
 * Every worker thread owns one epoll instance, a timer heap and a mailbox.
 * A file descriptor is registered with a struct ev_handler whose callback
 * runs on the owning thread only; a connection never changes thread. Other
 * threads talk to a thread through its mailbox (liburcu wait-free queue
 * plus an eventfd wake-up). Each loop turn is an RCU QSBR quiescent state and
 * the thread is offline while it sleeps in epoll_wait().
 */
#pragma once
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <urcu/wfcqueue.h>

struct ev_handler {
	void (*cb)(struct ev_handler *h, uint32_t events);
};

struct timer {
	uint64_t expire; /* monotonic ms; 0 = not armed */
	int heap_idx;    /* position in the heap, -1 when not queued */
	void (*cb)(struct timer *t);
};

/* Work to run on the owning thread at the next loop turn. */
struct task {
	void (*cb)(struct task *t);
	struct task *next;
	int queued;
};

struct mail {
	struct cds_wfcq_node node;
	void (*cb)(struct mail *m);
};

/* Counters of "show activity" and "show threads". Only the owning thread
 * writes them (LOOP_ACT_ADD: a relaxed load and store, no locked
 * instruction); the CLI thread reads them with relaxed loads.
 */
struct loop_activity {
	_Atomic uint32_t loops;       /* loop turns */
	_Atomic uint32_t ctxsw;       /* callbacks run: events, timers, tasks */
	_Atomic uint32_t tasksw;      /* tasks run */
	_Atomic uint32_t empty_rq;    /* turns that found no task to run */
	_Atomic uint32_t poll_io;     /* polls that returned events */
	_Atomic uint32_t poll_exp;    /* polls that ended on their timeout */
	_Atomic uint32_t accepted;    /* connections accepted on this thread */
	_Atomic uint32_t avg_loop_us; /* moving average of a turn's work */
	_Atomic int polling;          /* asleep in epoll_wait() */
	_Atomic int rq_len;           /* tasks queued for the next turn */
	_Atomic int wq_len;           /* timers armed */
};

#define LOOP_ACT_ADD(field, n)                                                                     \
	atomic_store_explicit(&curthr->act.field,                                                  \
	                      atomic_load_explicit(&curthr->act.field, memory_order_relaxed) +     \
	                          (n),                                                             \
	                      memory_order_relaxed)

struct wthread {
	int id;
	int epfd;
	int evfd;
	pthread_t tid;
	uint64_t now_ms;
	struct timer **heap;
	int heap_len, heap_cap;
	struct cds_wfcq_head mb_head;
	struct cds_wfcq_tail mb_tail;
	struct ev_handler mb_handler;
	volatile int stop; /* leave the loop */
	void *lb_state;    /* struct lb_thread_state[nb backends] */
	void *counters;    /* per-thread counters (worker/counters.h) */
	int cur_conns;     /* streams owned by this thread */
	struct task *runq_head, *runq_tail;
	void **graveyard; /* freed after the current batch of events */
	int grave_len, grave_cap;
	struct loop_activity act;
};

extern __thread struct wthread *curthr;

/* Monotonic time in milliseconds. */
uint64_t now_ms(void);

int loop_init(struct wthread *t, int id);
/* Runs the loop of <t> on the calling thread until t->stop is set. */
void loop_run(struct wthread *t);

/* fd registration on the current thread. Return 0 or -1 (errno set).
 * loop_mod() with the mask the fd already has only changes its handler,
 * without a system call: events already reported in the current batch go
 * to the new handler, and no readiness is reported anew (ET). loop_rearm()
 * always asks the kernel, which reports the current readiness again.
 */
int loop_add(int fd, uint32_t events, struct ev_handler *h);
int loop_mod(int fd, uint32_t events, struct ev_handler *h);
int loop_rearm(int fd, uint32_t events, struct ev_handler *h);
void loop_del(int fd);

/* Arms <t> to fire at absolute time <expire> (ms), or disarms it if 0. */
void timer_set(struct timer *t, uint64_t expire);
void timer_init(struct timer *t, void (*cb)(struct timer *t));

/* Frees <p> once the current batch of events is processed: an object whose
 * fds are registered may still be the target of an event fetched in the
 * same batch.
 */
void loop_defer_free(void *p);

/* Queues <t> to run on the current thread at the next loop turn. */
void task_wakeup(struct task *t);
/* Removes <t> from the run queue if it is queued. */
void task_cancel(struct task *t);

/* Posts <m> to thread <t>; m->cb runs there. Safe from any thread. */
void mail_post(struct wthread *t, struct mail *m);

/* Wakes thread <t> without a message (e.g. to re-check limits). */
void loop_wake(struct wthread *t);
