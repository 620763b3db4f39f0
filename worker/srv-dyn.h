/* Dynamic servers ("add server", "del server"), worker/srv-dyn.c. */
#pragma once
#include "worker/server-t.h"

/* Why <s> cannot be deleted now, in HAProxy's words, or NULL when it can:
 * it must be in maintenance, tracked by no server, named by no use-server
 * rule, and have no connection, queued stream, idle connection nor other
 * holder (srv_rt.refs).
 */
const char *srv_not_removable(const struct srv_rt *s);
