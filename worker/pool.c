#include "worker/pool.h"

#include <stdlib.h>

#include "worker/loop.h"
#include "worker/runtime.h"

#define POOL_MAX_CACHED 1024

struct free_buf {
	struct free_buf *next;
};

static __thread struct free_buf *free_list;
static __thread int free_count;

size_t pool_buf_size(void)
{
	return rt.cfg ? rt.cfg->global.tune_bufsize : 16384;
}

void *pool_buf_get(void)
{
	struct free_buf *b = free_list;
	if (b) {
		free_list = b->next;
		free_count--;
		return b;
	}
	return malloc(pool_buf_size());
}

void pool_buf_put(void *buf)
{
	if (!buf)
		return;
	if (free_count >= POOL_MAX_CACHED) {
		free(buf);
		return;
	}
	struct free_buf *b = buf;
	b->next = free_list;
	free_list = b;
	free_count++;
}

int pool_buf_cached(void)
{
	return free_count;
}
