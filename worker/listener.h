/* Listening sockets: binding (or inheriting fd@N), per-thread polling with
 * EPOLLEXCLUSIVE so one thread is woken per connection, batched accepts,
 * and pausing when maxconn limits are reached (connections wait in the
 * kernel backlog instead of being refused).
 */
#pragma once
#include <stddef.h>

#include "worker/runtime.h"

/* Creates the listening sockets of every enabled frontend. 0 or -1. */
int listeners_bind_all(void);

/* Registers the listeners in the current thread's poller. */
void listeners_enable_thread(void);

/* Called when connections end while some listeners were paused. */
void listeners_resume_all(void);

/* Stops polling every listener in the current thread (soft stop). */
void listeners_disable_thread(void);

/* Writes "fd=addr;..." for every bound listener into <buf> and clears their
 * close-on-exec flag, for a master about to re-execute itself. 0 or -1.
 */
int listeners_export(char *buf, size_t len);

/* Stops (0) or restarts (1) listening on every socket, keeping them bound;
 * pollers must be disabled first when stopping. 0, or -1 if one failed.
 */
int listeners_set_listening(int on);

struct fe_rt;

/* The same for the sockets of frontend <fe> only ("disable frontend"): its
 * paused flag must be set before they stop listening, so that a thread
 * woken by the change unpolls them instead of accepting.
 */
void listeners_set_frontend_listening(const struct fe_rt *fe, int on);

/* Closes every listening socket (soft stop, after all threads stopped
 * polling them).
 */
void listeners_close_all(void);
