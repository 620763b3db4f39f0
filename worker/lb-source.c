/* "balance source": the caller hashes the client address with lb_hash()
 * (hash_on_source) and the shared map-based / consistent selection of
 * worker/lb-hash.c picks the server. Without an address to hash (e.g. a unix
 * socket client) it falls back to smooth weighted round-robin.
 */
#include "worker/lb-hash.h"

static const struct lb_ops source_ops = {
    .build = lb_hash_build,
    .free_data = lb_hash_free,
    .pick = lb_hash_pick,
    .needs_hash = 1,
    .hash_on_source = 1,
};
static struct lb_algo source_algo = {.name = "source", .parse = NULL, .ops = &source_ops};
LB_REGISTER_ALGO(source_algo)
