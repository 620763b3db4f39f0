/* Server lookup shared by the runtime API commands that name a server. */
#pragma once
#include "cli/cli.h"
#include "worker/server-t.h"

/* Finds "backend/server" in <arg>; prints HAProxy's message ("Require
 * 'backend/server'.", "No such backend.", "No such server.") and returns
 * NULL when there is none.
 */
struct srv_rt *cli_lookup_server(struct cli_conn *c, const char *arg);
