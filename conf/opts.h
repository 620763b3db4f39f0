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
/* Parses option value <val> of option <name> as a decimal integer in
 * [lo, hi] into *<out>. Returns CFG_OK or CFG_ALERT with *err set.
 */
int cfg_opt_int(const char *name, const char *val, long lo, long hi, int *out, char **err);

/* Parses the address of a "source" setting (server option or backend
 * keyword): IPv4 or IPv6 with an optional port. Returns CFG_OK with *<out>
 * filled, or CFG_ALERT with *err set.
 */
int cfg_parse_source(const char *text, struct hl_addr *out, char **err);

int cfg_parse_options(struct cfg_ctx *ctx, unsigned optsect, void *target, char **args, int first,
		      int nargs, const char *what, char **err);
