#include "conf/opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "conf/kw.h"

/* Explains why option <name> cannot be used. */
static int option_error(unsigned optsect, const char *what, const char *name, char **err)
{
	const char *sugg = cfg_suggest_kw(optsect, NULL, name);
	if (sugg)
		memprintf(err, "'%s' : unknown keyword '%s'; did you mean '%s' maybe ?", what, name,
			  sugg);
	else
		memprintf(err, "'%s' : unknown keyword '%s'.", what, name);
	return CFG_ALERT;
}

int cfg_parse_options(struct cfg_ctx *ctx, unsigned optsect, void *target, char **args, int first,
		      int nargs, const char *what, char **err)
{
	int ret = CFG_OK;
	void *saved = ctx->target;

	ctx->target = target;
	for (int i = first; i < nargs;) {
		int words = 0;
		const struct cfg_kw *kw = cfg_find_kw(optsect, args + i, nargs - i, &words);
		if (!kw) {
			ret |= option_error(optsect, what, args[i], err);
			break;
		}
		if (kw->flags & KWF_PENDING) {
			memprintf(err, "'%s' : option '%s' is not supported yet.", what, args[i]);
			ret |= CFG_ALERT;
			break;
		}
		if (kw->nvals && i + kw->nvals >= nargs) {
			memprintf(err, "'%s' : '%s' : missing value", what, args[i]);
			ret |= CFG_ALERT;
			break;
		}
		char *kerr = NULL;
		int r = kw->parse(ctx, args + i, 1 + kw->nvals, &kerr);
		if (r) {
			memprintf(err, "'%s' : %s", what, kerr ? kerr : "invalid option");
			ret |= r;
		}
		free(kerr);
		if (r & CFG_ALERT)
			break;
		i += 1 + kw->nvals;
	}
	ctx->target = saved;
	return ret;
}
