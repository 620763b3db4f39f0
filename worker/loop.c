#include "worker/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "common/mem.h"
#include "common/tsan.h"
#include "worker/log.h"
#include "worker/runtime.h"

#define MAX_EVENTS 4096

__thread struct wthread *curthr;

/* What this thread's epoll instance knows of each fd it polls. Events carry
 * the fd and the generation of its registration instead of the handler, so
 * that an fd can change handlers (a server connection going to an idle
 * pool and back) without a system call when its event mask stays the same.
 * An event of an earlier registration of the same fd number (one closed and
 * reopened within a batch) no longer matches the generation: it is dropped.
 */
struct fd_slot {
	struct ev_handler *h; /* NULL: not registered */
	uint32_t events;
	uint32_t gen;
};
static __thread struct fd_slot *fd_slots;
static __thread int fd_nslots;

/* The slot of <fd>, the table grown as needed; NULL on a bad fd. */
static struct fd_slot *fd_slot(int fd)
{
	if (fd < 0)
		return NULL;
	if (fd >= fd_nslots) {
		int n = fd_nslots ? fd_nslots : 1024;
		while (n <= fd)
			n *= 2;
		fd_slots = xrealloc(fd_slots, sizeof(*fd_slots) * (size_t)n);
		memset(fd_slots + fd_nslots, 0, sizeof(*fd_slots) * (size_t)(n - fd_nslots));
		fd_nslots = n;
	}
	return &fd_slots[fd];
}

static uint64_t fd_event_data(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

#define MAILBOX_EVENT UINT64_MAX /* no fd is 2^32-1 */

/* Runs the handler an event of this batch is for, if still registered. */
static void fd_dispatch(const struct epoll_event *ev)
{
	if (ev->data.u64 == MAILBOX_EVENT) {
		curthr->mb_handler.cb(&curthr->mb_handler, ev->events);
		return;
	}
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	if (fd >= fd_nslots || !fd_slots[fd].h || fd_slots[fd].gen != gen)
		return;
	fd_slots[fd].h->cb(fd_slots[fd].h, ev->events);
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void timer_init(struct timer *t, void (*cb)(struct timer *t))
{
	t->expire = 0;
	t->heap_idx = -1;
	t->cb = cb;
}

static void heap_swap(struct wthread *th, int a, int b)
{
	struct timer *ta = th->heap[a];
	th->heap[a] = th->heap[b];
	th->heap[b] = ta;
	th->heap[a]->heap_idx = a;
	th->heap[b]->heap_idx = b;
}

static void heap_up(struct wthread *th, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (th->heap[p]->expire <= th->heap[i]->expire)
			break;
		heap_swap(th, i, p);
		i = p;
	}
}

static void heap_down(struct wthread *th, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < th->heap_len && th->heap[l]->expire < th->heap[m]->expire)
			m = l;
		if (r < th->heap_len && th->heap[r]->expire < th->heap[m]->expire)
			m = r;
		if (m == i)
			return;
		heap_swap(th, i, m);
		i = m;
	}
}

/* Removes timer <t> from the current thread's heap. */
static void heap_remove(struct wthread *th, struct timer *t)
{
	int i = t->heap_idx;
	int last = --th->heap_len;
	if (i != last) {
		heap_swap(th, i, last);
		heap_down(th, i);
		heap_up(th, i);
	}
	t->heap_idx = -1;
}

void timer_set(struct timer *t, uint64_t expire)
{
	struct wthread *th = curthr;
	if (t->heap_idx >= 0) {
		if (expire == t->expire)
			return;
		heap_remove(th, t);
	}
	t->expire = expire;
	if (!expire)
		return;
	if (th->heap_len == th->heap_cap) {
		th->heap_cap = th->heap_cap ? th->heap_cap * 2 : 256;
		th->heap = xrealloc(th->heap, sizeof(*th->heap) * th->heap_cap);
	}
	t->heap_idx = th->heap_len++;
	th->heap[t->heap_idx] = t;
	heap_up(th, t->heap_idx);
}

/* Runs the timers that expired; returns ms until the next one or -1. */
static int run_timers(struct wthread *th)
{
	while (th->heap_len) {
		struct timer *t = th->heap[0];
		if (t->expire > th->now_ms) {
			uint64_t d = t->expire - th->now_ms;
			return d > 60000 ? 60000 : (int)d;
		}
		heap_remove(th, t);
		t->expire = 0;
		LOOP_ACT_ADD(ctxsw, 1);
		t->cb(t);
		th->now_ms = now_ms();
	}
	return -1;
}

/* Drains the eventfd and runs every message of the mailbox. */
static void mailbox_cb(struct ev_handler *h, uint32_t events)
{
	struct wthread *th = curthr;
	uint64_t v;
	struct cds_wfcq_node *node, *n;
	struct cds_wfcq_head head;
	struct cds_wfcq_tail tail;

	while (read(th->evfd, &v, sizeof(v)) > 0)
		;
	cds_wfcq_init(&head, &tail);
	if (__cds_wfcq_splice_blocking(&head, &tail, &th->mb_head, &th->mb_tail) ==
	    CDS_WFCQ_RET_SRC_EMPTY)
		return;
	__cds_wfcq_for_each_blocking_safe(&head, &tail, node, n)
	{
		struct mail *m = caa_container_of(node, struct mail, node);
		hl_tsan_acquire(m); /* what the sender wrote in it is visible */
		m->cb(m);
	}
}

int loop_init(struct wthread *t, int id)
{
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0)
		return -1;
	t->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->evfd < 0)
		return -1;
	cds_wfcq_init(&t->mb_head, &t->mb_tail);
	t->mb_handler.cb = mailbox_cb;
	/* registered by the main thread, before the table of the loop's own
	 * thread exists: a reserved value marks its events */
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = MAILBOX_EVENT};
	return epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->evfd, &ev);
}

void loop_defer_free(void *p)
{
	struct wthread *th = curthr;
	if (!th) {
		free(p);
		return;
	}
	if (th->grave_len == th->grave_cap) {
		th->grave_cap = th->grave_cap ? th->grave_cap * 2 : 64;
		th->graveyard = xrealloc(th->graveyard, sizeof(void *) * th->grave_cap);
	}
	th->graveyard[th->grave_len++] = p;
}

static void flush_graveyard(struct wthread *th)
{
	for (int i = 0; i < th->grave_len; i++)
		free(th->graveyard[i]);
	th->grave_len = 0;
}

void task_wakeup(struct task *t)
{
	struct wthread *th = curthr;
	if (t->queued)
		return;
	t->queued = 1;
	t->next = NULL;
	if (th->runq_tail)
		th->runq_tail->next = t;
	else
		th->runq_head = t;
	th->runq_tail = t;
}

void task_cancel(struct task *t)
{
	struct wthread *th = curthr;
	struct task **pp = &th->runq_head, *prev = NULL;
	if (!t->queued)
		return;
	while (*pp && *pp != t) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp) {
		*pp = t->next;
		if (th->runq_tail == t)
			th->runq_tail = prev;
	}
	t->queued = 0;
}

/* Runs the tasks queued before this call; tasks queued meanwhile wait for
 * the next turn so that a busy task cannot starve the poller.
 */
static void run_tasks(struct wthread *th)
{
	struct task *t = th->runq_head;
	uint32_t n = 0;
	th->runq_head = th->runq_tail = NULL;
	if (!t)
		LOOP_ACT_ADD(empty_rq, 1);
	while (t) {
		struct task *next = t->next;
		t->queued = 0;
		t->cb(t);
		t = next;
		n++;
	}
	LOOP_ACT_ADD(tasksw, n);
	LOOP_ACT_ADD(ctxsw, n);
}

/* Monotonic time in microseconds. */
static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Folds the work time of one turn, <us>, into the moving average. */
static void account_turn(uint64_t us)
{
	uint32_t avg = atomic_load_explicit(&curthr->act.avg_loop_us, memory_order_relaxed);
	int64_t d = ((int64_t)us - (int64_t)avg) / 16;
	if (d == 0 && us != avg)
		d = us > avg ? 1 : -1;
	atomic_store_explicit(&curthr->act.avg_loop_us, (uint32_t)((int64_t)avg + d),
	                      memory_order_relaxed);
}

void loop_run(struct wthread *t)
{
	struct epoll_event evs[MAX_EVENTS];
	/* tune.maxpollevents: events handled per poll, at most MAX_EVENTS */
	int max_events = rt.cfg && rt.cfg->global.tune_maxpollevents > 0 &&
	                         rt.cfg->global.tune_maxpollevents < MAX_EVENTS
	                     ? rt.cfg->global.tune_maxpollevents
	                     : MAX_EVENTS;

	curthr = t;
	rcu_register_thread();
	log_batching = 1;
	uint64_t woke = now_us();
	while (!t->stop) {
		t->now_ms = now_ms();
		int timeout = run_timers(t);
		run_tasks(t);
		flush_graveyard(t);
		int rq = 0;
		for (struct task *q = t->runq_head; q; q = q->next)
			rq++;
		atomic_store_explicit(&t->act.rq_len, rq, memory_order_relaxed);
		atomic_store_explicit(&t->act.wq_len, t->heap_len, memory_order_relaxed);
		if (rq)
			timeout = 0;
		log_flush_thread(); /* the lines of this turn, before sleeping */
		account_turn(now_us() - woke);
		LOOP_ACT_ADD(loops, 1);
		rcu_quiescent_state();
		rcu_thread_offline();
		atomic_store_explicit(&t->act.polling, 1, memory_order_relaxed);
		int n = epoll_wait(t->epfd, evs, max_events, timeout);
		atomic_store_explicit(&t->act.polling, 0, memory_order_relaxed);
		rcu_thread_online();
		woke = now_us();
		t->now_ms = now_ms();
		if (n > 0)
			LOOP_ACT_ADD(poll_io, 1);
		else if (n == 0)
			LOOP_ACT_ADD(poll_exp, 1);
		for (int i = 0; i < n; i++)
			fd_dispatch(&evs[i]);
		LOOP_ACT_ADD(ctxsw, n > 0 ? (uint32_t)n : 0);
		flush_graveyard(t);
	}
	log_batching = 0;
	log_free_thread(); /* the last lines of a stopping thread */
	free(fd_slots);
	fd_slots = NULL;
	fd_nslots = 0;
	rcu_unregister_thread();
}

int loop_add(int fd, uint32_t events, struct ev_handler *h)
{
	struct fd_slot *sl = fd_slot(fd);
	if (!sl) {
		errno = EBADF;
		return -1;
	}
	sl->gen++;
	struct epoll_event ev = {.events = events, .data.u64 = fd_event_data(fd, sl->gen)};
	if (epoll_ctl(curthr->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		sl->h = NULL;
		return -1;
	}
	sl->h = h;
	sl->events = events;
	return 0;
}

int loop_mod(int fd, uint32_t events, struct ev_handler *h)
{
	struct fd_slot *sl = fd < fd_nslots ? fd_slot(fd) : NULL;
	if (sl && sl->h && sl->events == events) {
		sl->h = h; /* same mask: the kernel need not know */
		return 0;
	}
	return loop_rearm(fd, events, h);
}

int loop_rearm(int fd, uint32_t events, struct ev_handler *h)
{
	struct fd_slot *sl = fd_slot(fd);
	if (!sl) {
		errno = EBADF;
		return -1;
	}
	struct epoll_event ev = {.events = events, .data.u64 = fd_event_data(fd, sl->gen)};
	if (epoll_ctl(curthr->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -1;
	sl->h = h;
	sl->events = events;
	return 0;
}

void loop_del(int fd)
{
	epoll_ctl(curthr->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (fd >= 0 && fd < fd_nslots) {
		fd_slots[fd].h = NULL;
		fd_slots[fd].gen++;
	}
}

void loop_wake(struct wthread *t)
{
	uint64_t one = 1;
	ssize_t r = write(t->evfd, &one, sizeof(one));
	(void)r;
}

void mail_post(struct wthread *t, struct mail *m)
{
	cds_wfcq_node_init(&m->node);
	hl_tsan_release(m);
	cds_wfcq_enqueue(&t->mb_head, &t->mb_tail, &m->node);
	loop_wake(t);
}
