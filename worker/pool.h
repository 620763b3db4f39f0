/* Per-thread pool of I/O buffers (tune.bufsize bytes each). A stream takes a
 * buffer when it has data to hold and gives it back as soon as the buffer is
 * empty, so idle connections hold no buffer and the hot path reuses warm
 * memory without going through the allocator.
 */
#pragma once
#include <stddef.h>

/* Returns a buffer of pool_buf_size() bytes, or NULL on memory exhaustion. */
void *pool_buf_get(void);

/* Gives <buf> back to the current thread's pool (or frees it). */
void pool_buf_put(void *buf);

size_t pool_buf_size(void);

/* Buffers held by the current thread's pool (for tests and show pools). */
int pool_buf_cached(void);

/* Buffers of every thread: allocated (in use or cached), held in thread
 * caches, and allocations that failed.
 */
struct pool_usage {
	long allocated, cached;
	unsigned long failed;
};
struct pool_usage pool_buf_usage(void);
