/* Per-thread pools of idle server connections for HTTP reuse.
 *
 * An idle server connection (its client went away or, with http-reuse
 * always/aggressive, its response is out) is parked in the pool of its
 * server on the current thread, where streams of that thread look first;
 * when it has none, a stream takes one parked by another thread, which
 * moves to its own epoll. A parked connection that the server closes (or
 * that sends anything) is dropped. Every "pool-purge-delay", half of what a
 * server holds beyond its estimated need is closed (the estimate follows the
 * most connections it used at once, as in HAProxy); "pool-max-conn" bounds
 * the idle connections of a server across threads.
 */
#pragma once
#include <stdint.h>

#include "worker/loop.h"
#include "worker/server-t.h"

struct ssl_st;

/* Takes an idle connection to <srv>, the most recently parked first, from
 * the current thread's pool or else another thread's. <proven_only>: only
 * one that completed at least two transactions, proof that the server
 * keeps connections alive (http-reuse aggressive for a first request).
 * Returns the fd, registered in this thread's epoll with <events> and <h>
 * (and its transaction count in *uses, its TLS session in *ssl, NULL for a
 * plain one), or -1.
 */
int http_pool_take(struct srv_rt *srv, int proven_only, uint32_t *uses, uint32_t events,
                   struct ev_handler *h, struct ssl_st **ssl);

/* Parks connection <fd> to <srv> (registered in this thread's epoll with
 * mask <events>), with its TLS session <ssl> (NULL: plain), which completed
 * <uses> transactions; closes (and frees) it instead when the pool is full,
 * disabled or stopping. With <drained> (a plain socket whose last read
 * found nothing more), the fd keeps its mask and only changes handler: any
 * later byte or close raises a new event. Otherwise the kernel is asked to
 * report its readiness again, so that unread data drops it.
 */
void http_pool_put(struct srv_rt *srv, int fd, struct ssl_st *ssl, uint32_t uses, uint32_t events,
                   int drained);

/* Closes server connection <fd> between two transactions with a reset
 * (SO_LINGER 0), as HAProxy does: nothing is left to say on it, and the
 * proxy keeps no TIME_WAIT entry, which would otherwise pile up by the
 * thousand and slow down every connect() looking for a free port.
 */
void http_conn_close_idle(int fd);

/* Asks the CPU to load the current thread's idle list of <srv>. */
void http_pool_prefetch(const struct srv_rt *srv);

/* Closes every idle connection of the current thread (soft stop). */
void http_pool_flush(void);

/* Idle connections to <srv> parked on thread <thread>: *safe those that
 * completed at least two transactions (proof that the server keeps
 * connections alive), *unsafe the others.
 */
void http_pool_idle_on(const struct srv_rt *srv, int thread, int *safe, int *unsafe);

/* Closes the idle connections to <srv> of every thread (any thread): the
 * server entered maintenance.
 */
void http_pool_drop_server(struct srv_rt *srv);
