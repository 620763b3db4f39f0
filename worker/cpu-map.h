/* CPU affinity of worker threads ("cpu-map"). */
#pragma once
#include <stdint.h>

/* CPU mask (bit n = CPU n) configured for thread <tid> (0-based), 0 if none. */
uint64_t cpu_map_of_thread(int tid);

/* Binds the calling thread, worker <tid>, to its CPU set if one is
 * configured. Returns 0, or -1 after a warning.
 */
int cpu_map_apply(int tid);
