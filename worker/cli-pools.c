/* "show pools": the memory pools and what they hold, in HAProxy 2.6's
 * layout. Halyard pools one kind of object, the I/O buffers of
 * worker/pool.c; other memory comes from the allocator directly.
 */
#include <stdint.h>

#include "cli/cli.h"
#include "worker/pool.h"

/* HAProxy 2.6 takes no option (later versions sort and filter): any word
 * after the command is refused rather than ignored.
 */
static const char buffer_pool; /* its address stands for the pool's */

static void show_pools(struct cli_conn *c, char **args, int nargs)
{
	if (nargs > 2) {
		cli_printf(c, "'show pools %s' is not supported yet: only 'show pools' alone is.\n",
		           args[2]);
		return;
	}
	struct pool_usage u = pool_buf_usage();
	unsigned long size = (unsigned long)pool_buf_size();
	unsigned long n = u.allocated > 0 ? (unsigned long)u.allocated : 0;
	unsigned long cached = u.cached > 0 ? (unsigned long)u.cached : 0;
	cli_printf(c, "Dumping pools usage. Use SIGQUIT to flush them.\n");
	/* "used" counts the buffers in thread caches too, as HAProxy does;
	 * needed_avg is the number in use now (HAProxy averages it)
	 */
	cli_printf(c,
	           "  - Pool buffer (%lu bytes) : %lu allocated (%lu bytes), %lu used (~%lu by "
	           "thread caches), needed_avg %lu, %lu failures, 1 users, @%p\n",
	           size, n, n * size, n, cached, n > cached ? n - cached : 0, u.failed,
	           (const void *)&buffer_pool);
	cli_printf(c, "Total: 1 pools, %lu bytes allocated, %lu used (~%lu by thread caches).\n",
	           n * size, n * size, cached * size);
}

static const struct cli_cmd pools_cmds[] = {
    {{"show", "pools"},
     "show pools",
     "report information about the memory pools usage",
     CLI_LEVEL_USER,
     show_pools},
};
CLI_REGISTER(pools_cmds)
