/* Option lists that follow "bind <addr>" and "server <name> <addr>". Options
 * are registered as keywords of the pseudo-sections SECT_BINDOPT and
 * SECT_SRVOPT with .nvals telling how many values follow each name; their
 * parser receives args[0] = option name, args[1..nvals] = values, and finds
 * the object being configured in ctx->target.
 */
#pragma once
#include "conf/model-t.h"

/* Parses args[first..nargs-1] as options of <optsect> applied to <target>.
 * <what> names the line for messages (e.g. "bind :80" or "server be/s1").
 * Returns CFG_* flags with *err set on warning or alert.
 */
int cfg_parse_options(struct cfg_ctx *ctx, unsigned optsect, void *target, char **args, int first,
		      int nargs, const char *what, char **err);
