/* Actions on the traffic log line: set-log-level <level>|silent (HTTP
 * rules and TCP content rules). The chosen level applies to the line of
 * the current HTTP transaction, or of the TCP stream; "silent" drops it.
 */
#include <stdint.h>
#include <string.h>

#include "common/mem.h"
#include "conf/log.h"
#include "conf/rules.h"
#include "worker/stream.h"

/* set-log-level <level>|silent: stores the level + 1, or -1 for silent. */
static int parse_set_log_level(struct act_rule *r, char **args, int nargs, char **err)
{
	int level = nargs == 1 ? log_level_by_name(args[0]) : -1;
	if (nargs == 1 && !strcmp(args[0], "silent")) {
		r->arg = (void *)(intptr_t)-1;
		return 1;
	}
	if (level < 0) {
		memprintf(err, "expects exactly 1 argument (log level name or 'silent')");
		return 0;
	}
	r->arg = (void *)(intptr_t)(level + 1);
	return 1;
}

static enum act_ret exec_set_log_level(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	(void)ctx;
	s->log.level = (int)(intptr_t)r->arg;
	return ACT_RET_CONT;
}

static const struct act_kw log_actions[] = {
    {"set-log-level", RS_F_HTTP_REQ | RS_F_HTTP_RES | RS_F_HTTP_AFTER | RS_F_TCP_REQ | RS_F_TCP_RES,
     parse_set_log_level, exec_set_log_level, 0},
};

ACT_REGISTER_KEYWORDS(log_actions)
