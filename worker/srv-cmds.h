/* Server lookup shared by the runtime API commands that name a server. */
#pragma once
#include "cli/cli.h"
#include "worker/server-t.h"

/* Finds "backend/server" in <arg>; prints HAProxy's message ("Require
 * 'backend/server'.", "No such backend.", "No such server.") and returns
 * NULL when there is none.
 */
struct srv_rt *cli_lookup_server(struct cli_conn *c, const char *arg);

/* Sets and clears administrative bits (SRV_ADMIN_*) of <s>: records the
 * change time, remembers maintenance, starts the slow start when leaving
 * maintenance, and publishes the backend's new LB snapshot.
 */
void srv_set_admin(struct srv_rt *s, unsigned set, unsigned clear);
