/* Reading the server list of a backend (struct srv_list, RCU-published).
 *
 * Worker threads are QSBR readers for the whole of a loop turn: a list
 * read with be_servers() and the servers in it stay valid until the thread
 * returns to its loop. Code that runs before the threads start, or on a
 * thread that is an RCU reader (every worker thread, the CLI's included),
 * may call it freely; nothing may keep the pointers across loop turns
 * except through a counted reference (srv_rt.streams).
 */
#pragma once
#include "common/rcu.h"
#include "worker/server-t.h"

static inline struct srv_list *be_servers(const struct be_rt *be)
{
	return hl_rcu_deref(((struct be_rt *)be)->srvs);
}

/* Number of servers of <be> (configured and added, not deleted). */
static inline int be_nsrv(const struct be_rt *be)
{
	const struct srv_list *l = be_servers(be);
	return l ? l->n : 0;
}

/* Finds server <name> of <be>, NULL if none. */
struct srv_rt *be_find_server(const struct be_rt *be, const char *name);

/* Allocates a list of the <n> servers at <v> (n may be 0). */
struct srv_list *srv_list_new(struct srv_rt *const *v, int n);

/* Makes a list of the <n> servers of the array <arr> (tests, start-up). */
struct srv_list *srv_list_of_array(struct srv_rt *arr, int n);
