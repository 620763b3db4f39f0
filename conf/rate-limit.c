/* Rate limits of accepted connections and sessions: global "maxconnrate"
 * and "maxsessrate", frontend "rate-limit sessions" (worker/listener.c
 * applies them; "set rate-limit" changes the global ones at run time).
 */
#include <stddef.h>

#include "conf/kw.h"
#include "conf/model-t.h"

static const struct cfg_kw rate_limit_kws[] = {
    {.name = "maxconnrate", .sections = SECT_GLOBAL, .type = KWT_INT,
     .offset = offsetof(struct global_cfg, maxconnrate), .min = 0, .max = 0x7fffffff},
    {.name = "maxsessrate", .sections = SECT_GLOBAL, .type = KWT_INT,
     .offset = offsetof(struct global_cfg, maxsessrate), .min = 0, .max = 0x7fffffff},
    {.name = "rate-limit sessions", .sections = SECT_PROXY, .cap = PX_CAP_DEF | PX_CAP_FE,
     .type = KWT_INT, .offset = offsetof(struct proxy, sess_rate_lim), .min = 0,
     .max = 0x7fffffff, .flags = KWF_CAP_WARN},
};
CFG_REGISTER_KEYWORDS(rate_limit_kws)
