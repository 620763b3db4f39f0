/* Server state files: see worker/srv-state.c. */
#pragma once

/* Applies the server state files the backends load
 * ("load-server-state-from-file") to the runtime servers; warns about
 * files that cannot be read and lines that cannot be applied. Call once
 * after runtime_build(), before the worker threads start.
 */
void srv_state_load(void);
