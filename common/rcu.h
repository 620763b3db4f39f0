/* Publication of RCU-protected pointers with C11 acquire/release ordering.
 * Equivalent to rcu_dereference()/rcu_xchg_pointer() (acquire is at least as
 * strong as the dependency ordering they rely on, and costs nothing on x86),
 * but visible to ThreadSanitizer, which does not understand liburcu's
 * barriers. Grace periods still come from liburcu (QSBR).
 */
#pragma once

#define hl_rcu_deref(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define hl_rcu_xchg(p, v) __atomic_exchange_n(&(p), (v), __ATOMIC_ACQ_REL)

struct rcu_head;

/* Tells that reader threads may exist from now on: call it before starting
 * the first one (worker threads, test threads). Never undone.
 */
void hl_rcu_readers_start(void);

/* call_rcu() for every deferred free of Halyard: runs <cb>(<head>) after a
 * grace period, or at once while no reader thread has been started. Before
 * that (configuration, state file, in the master and in a worker before its
 * threads), nothing can hold the old object, and liburcu's call_rcu thread
 * must not be started: a master that has it would fork workers from a
 * multi-threaded process, where that thread does not exist.
 */
void hl_call_rcu(struct rcu_head *head, void (*cb)(struct rcu_head *head));
