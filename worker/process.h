/* Running the proxy: limits, binding, privileges, daemon mode, worker
 * threads, signals, soft and hard stop.
 */
#pragma once
#include "conf/model-t.h"
#include "master/cmdline.h"

/* Serves <cfg> until stopped; returns the process exit status. */
int process_run(struct config *cfg, const struct cmdline *cl);
