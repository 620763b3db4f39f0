/* Registry of load-balancing algorithms. Each algorithm module (worker/lb-*.c)
 * registers one struct lb_algo; the "balance" keyword looks names up here,
 * so adding an algorithm never touches the configuration parser.
 */
#pragma once
#include "conf/model-t.h"

struct lb_algo {
	const char *name; /* as written after "balance", e.g. "roundrobin" */
	/* Parses the words after the name (e.g. "random(3)" gives arg "3",
	 * "uri len 10" gives args {"len","10"}); may be NULL when the
	 * algorithm takes none. Returns 0 or -1 with *err set.
	 */
	int (*parse)(struct lb_cfg *lb, const char *paren_arg, char **args, int nargs, char **err);
	int needs_http; /* only meaningful in HTTP mode */
	const void *ops; /* runtime operations (worker/lb.h), opaque here */
	struct lb_algo *next;
};

void lb_register_algo(struct lb_algo *algo);
const struct lb_algo *lb_find_algo(const char *name);

#define LB_REGISTER_ALGO(algo)                                                                     \
	__attribute__((constructor)) static void algo##_register(void)                             \
	{                                                                                          \
		lb_register_algo(&algo);                                                           \
	}
