/* Running the proxy: limits, binding, privileges, daemon mode, worker
 * threads, signals, soft and hard stop.
 */
#pragma once
#include "conf/model-t.h"
#include "master/cmdline.h"

/* Serves <cfg> until stopped (standalone mode); returns the exit status. */
int process_run(struct config *cfg, const struct cmdline *cl);

/* Builds the runtime and binds the listeners (while still privileged).
 * In master-worker mode the master does this and its workers inherit them.
 */
int process_prepare(struct config *cfg, const struct cmdline *cl);

/* Binds the stats sockets, drops privileges, starts the threads and serves
 * until stopped; never returns on success. <ctl_fd> is the worker's end of
 * the master link, or -1 in standalone mode.
 */
int process_serve(struct config *cfg, const struct cmdline *cl, int ctl_fd);
