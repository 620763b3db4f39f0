#include "conf/opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
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

int cfg_opt_int(const char *name, const char *val, long lo, long hi, int *out, char **err)
{
	char *end = NULL;
	long v = strtol(val, &end, 10);
	if (!*val || *end || v < lo || v > hi) {
		memprintf(err, "'%s' expects an integer between %ld and %ld, got '%s'.", name, lo, hi,
			  val);
		return CFG_ALERT;
	}
	*out = (int)v;
	return CFG_OK;
}

int cfg_parse_source(const char *text, struct hl_addr *out, char **err)
{
	char *aerr = NULL;
	if (addr_parse(text, PA_PORT_OK | PA_NO_FD, out, &aerr) < 0) {
		memprintf(err, "'source' : %s", aerr ? aerr : "invalid address");
		free(aerr);
		return CFG_ALERT;
	}
	if (out->kind != ADDR_INET4 && out->kind != ADDR_INET6) {
		memprintf(err, "'source' expects an IPv4 or IPv6 address, got '%s'.", text);
		addr_release(out);
		return CFG_ALERT;
	}
	return CFG_OK;
}
