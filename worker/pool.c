#include "worker/pool.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "worker/loop.h"
#include "worker/runtime.h"

#define POOL_MAX_CACHED 1024

struct free_buf {
	struct free_buf *next;
};

static __thread struct free_buf *free_list;
static __thread int free_count;

/* Usage counts of one thread (the last slot: threads that are not worker
 * threads). A buffer may be given back on another thread than the one
 * that allocated it, so a slot's count alone can be negative; the sums
 * are right. Relaxed atomics: the CLI thread reads them.
 */
struct pool_slot {
	_Atomic long allocated; /* malloc() minus free() */
	_Atomic long cached;    /* held in the thread's free list */
	_Atomic long failed;
	char pad[64 - 3 * sizeof(long)];
};
static struct pool_slot slots[MAX_THREADS + 1];

static struct pool_slot *my_slot(void)
{
	return &slots[curthr ? curthr->id : MAX_THREADS];
}

/* Adds <d> to a count of the current thread's slot: a plain relaxed store
 * on a worker thread (the only writer of its slot), an atomic add on the
 * slot the other threads share.
 */
static void slot_add(_Atomic long *v, long d)
{
	if (curthr)
		atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + d,
		                      memory_order_relaxed);
	else
		atomic_fetch_add_explicit(v, d, memory_order_relaxed);
}

size_t pool_buf_size(void)
{
	return rt.cfg ? rt.cfg->global.tune_bufsize : 16384;
}

void *pool_buf_get(void)
{
	struct pool_slot *sl = my_slot();
	struct free_buf *b = free_list;
	if (b) {
		free_list = b->next;
		free_count--;
		slot_add(&sl->cached, -1);
		return b;
	}
	void *p = malloc(pool_buf_size());
	if (p)
		slot_add(&sl->allocated, 1);
	else
		slot_add(&sl->failed, 1);
	return p;
}

void pool_buf_put(void *buf)
{
	if (!buf)
		return;
	struct pool_slot *sl = my_slot();
	if (free_count >= POOL_MAX_CACHED) {
		free(buf);
		slot_add(&sl->allocated, -1);
		return;
	}
	struct free_buf *b = buf;
	b->next = free_list;
	free_list = b;
	free_count++;
	slot_add(&sl->cached, 1);
}

int pool_buf_cached(void)
{
	return free_count;
}

struct pool_usage pool_buf_usage(void)
{
	struct pool_usage u = {0};
	for (int i = 0; i <= MAX_THREADS; i++) {
		u.allocated += atomic_load_explicit(&slots[i].allocated, memory_order_relaxed);
		u.cached += atomic_load_explicit(&slots[i].cached, memory_order_relaxed);
		u.failed += (unsigned long)atomic_load_explicit(&slots[i].failed, memory_order_relaxed);
	}
	return u;
}
