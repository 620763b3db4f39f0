/* Persistence keywords refused with their reason: "force-persist" and
 * "ignore-persist" only change how a backend's persistence ("cookie",
 * "persist rdp-cookie", stick tables) applies, and Halyard has none of
 * these yet. Refusing them by name beats accepting rules that would do
 * nothing.
 */
#include "common/mem.h"
#include "conf/kw.h"
#include "conf/parser.h"

/* force-persist|ignore-persist { if | unless } <condition> */
static int parse_persist_rule(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	memprintf(err,
	          "'%s' is not supported: Halyard has no persistence yet ('cookie', 'persist "
	          "rdp-cookie' and stick tables are missing), so there is nothing to %s.",
	          args[0], args[0][0] == 'f' ? "force" : "ignore");
	return CFG_ALERT;
}

static const struct cfg_kw persist_kws[] = {
    {.name = "force-persist",
     .sections = SECT_PROXY,
     .cap = PX_CAP_BE,
     .parse = parse_persist_rule},
    {.name = "ignore-persist",
     .sections = SECT_PROXY,
     .cap = PX_CAP_BE,
     .parse = parse_persist_rule},
};

CFG_REGISTER_KEYWORDS(persist_kws)
