#include "common/rcu.h"

#include <urcu-qsbr.h>

static int readers_started; /* accessed with __atomic builtins */

void hl_rcu_readers_start(void)
{
	__atomic_store_n(&readers_started, 1, __ATOMIC_RELEASE);
}

void hl_call_rcu(struct rcu_head *head, void (*cb)(struct rcu_head *head))
{
	if (__atomic_load_n(&readers_started, __ATOMIC_ACQUIRE))
		call_rcu(head, cb);
	else
		cb(head);
}
