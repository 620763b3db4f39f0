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
	/* Error for a "(" without its closing ")" (e.g. "hdr(a b)" split into
	 * two words), after "balance "; NULL: a generic message.
	 */
	const char *unclosed_err;
	const void *ops; /* runtime operations (worker/lb.h), opaque here */
	struct lb_algo *next;
};

/* HAProxy's error for an unknown algorithm (or a known one in the wrong form,
 * e.g. "hdr" without a header name).
 */
#define LB_UNKNOWN_ALGO_ERR                                                                        \
	"balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', "          \
	"'url_param', 'hdr(name)' and 'rdp-cookie(name)' options."

void lb_register_algo(struct lb_algo *algo);
const struct lb_algo *lb_find_algo(const char *name);

#define LB_REGISTER_ALGO(algo)                                                                     \
	__attribute__((constructor)) static void algo##_register(void)                             \
	{                                                                                          \
		lb_register_algo(&algo);                                                           \
	}
