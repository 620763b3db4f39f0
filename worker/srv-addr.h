/* Runtime address of a server ("set server <b>/<s> addr"). The address a
 * server is reached at starts as the configured one and may be replaced at
 * run time: each version is published through RCU, so the request path and
 * the checks read it without a lock.
 */
#pragma once
#include <stdint.h>

#include "common/addr.h"
#include "common/rcu.h"
#include "worker/server-t.h"

/* The current address of <s>. A reader may use it until the end of the
 * current event callback (RCU read side), never keep it across loop turns.
 */
static inline const struct hl_addr *srv_addr(const struct srv_rt *s)
{
	const struct hl_addr *a = hl_rcu_deref(s->addr);
	return a ? a : &s->conf->addr;
}

/* Publishes <a> (copied) as the address of <s>; the previous version is
 * freed after a grace period. Idle connections to the old address are no
 * longer reused (srv_rt.addr_gen changes). Any thread registered with RCU.
 */
void srv_publish_addr(struct srv_rt *s, const struct hl_addr *a);

/* Frees the runtime address of <s> at once: <s> is being freed after a
 * grace period, nobody reads it any more.
 */
void srv_addr_free_now(struct srv_rt *s);

/* Sets the IP of <a> from literal <txt> (IPv4 or IPv6), keeping its port.
 * 1, or 0 (unchanged) if <txt> is not an IP address.
 */
int srv_addr_set_ip(struct hl_addr *a, const char *txt);

/* Sets the fixed port of <a>. */
void srv_addr_set_port(struct hl_addr *a, uint16_t port);

struct cli_conn;

/* "set server <b>/<s> addr <ip> [port <port>]" on server <s>; <args> are
 * the command's words.
 */
void cli_set_server_addr(struct cli_conn *c, struct srv_rt *s, char **args, int nargs);
