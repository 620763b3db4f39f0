/* Publication of RCU-protected pointers with C11 acquire/release ordering.
 * Equivalent to rcu_dereference()/rcu_xchg_pointer() (acquire is at least as
 * strong as the dependency ordering they rely on, and costs nothing on x86),
 * but visible to ThreadSanitizer, which does not understand liburcu's
 * barriers. Grace periods still come from liburcu (QSBR).
 */
#pragma once

#define hl_rcu_deref(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define hl_rcu_xchg(p, v) __atomic_exchange_n(&(p), (v), __ATOMIC_ACQ_REL)
