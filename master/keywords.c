/* Global keywords owned by the master process. */
#include <stddef.h>

#include "conf/kw.h"
#include "conf/model-t.h"

static const struct cfg_kw master_kws[] = {
	/* old workers that survived more reloads than this are stopped */
	{.name = "mworker-max-reloads",
	 .sections = SECT_GLOBAL,
	 .type = KWT_INT,
	 .offset = offsetof(struct global_cfg, mworker_max_reloads),
	 .min = 0,
	 .max = 1000000,
	 .flags = KWF_MASTER},
};
CFG_REGISTER_KEYWORDS(master_kws)
