/* Per-thread pools of idle server connections for HTTP reuse.
 *
 * A server connection left idle by a client that went away is parked in
 * the pool of its server on the current thread, where any stream of that
 * thread may take it ("http-reuse"). Connections never move between
 * threads. A parked connection that the server closes (or that sends
 * anything) is dropped. Every "pool-purge-delay", half of a server's idle
 * connections on the thread are closed; "pool-max-conn" bounds the idle
 * connections of a server across threads.
 */
#pragma once
#include <stdint.h>

#include "worker/server-t.h"

/* Takes an idle connection to <srv> from the current thread's pool, the
 * most recently parked first. <proven_only>: only one that completed at
 * least two transactions, proof that the server keeps connections alive
 * (http-reuse aggressive for a first request). Returns the fd (and its
 * transaction count in *uses) or -1; the caller must re-register the fd
 * with loop_mod().
 */
int http_pool_take(struct srv_rt *srv, int proven_only, uint32_t *uses);

/* Parks connection <fd> to <srv> (registered in this thread's epoll),
 * which completed <uses> transactions; closes it instead when the pool is
 * full, disabled or stopping.
 */
void http_pool_put(struct srv_rt *srv, int fd, uint32_t uses);

/* Closes every idle connection of the current thread (soft stop). */
void http_pool_flush(void);
