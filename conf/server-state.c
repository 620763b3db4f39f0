/* Keywords of the server state file: global "server-state-base" and
 * "server-state-file", proxy "load-server-state-from-file" and
 * "server-state-file-name". The file is read when the worker starts
 * (worker/srv-state.c).
 */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "conf/model-t.h"

/* server-state-base <dir> / server-state-file <file> */
static int parse_state_path(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	int base = !strcmp(args[0], "server-state-base");
	struct global_cfg *g = &ctx->cfg->global;
	char **slot = base ? &g->server_state_base : &g->server_state_file;
	if (nargs != 2 || !*args[1]) {
		memprintf(err, base ? "'%s' expects one argument: a directory path."
		                    : "'%s' expect one argument: a file path.",
		          args[0]);
		return CFG_ALERT;
	}
	free(*slot);
	*slot = xstrdup(args[1]);
	return CFG_OK;
}

/* load-server-state-from-file global|local|none */
static int parse_load_state(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *v = nargs > 1 ? args[1] : "";
	static const char *const names[] = {"none", "global", "local"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(v, names[i])) {
			ctx->px->load_state = i;
			return CFG_OK;
		}
	memprintf(err, "'%s' expects 'global', 'local' or 'none'. Got '%s'", args[0], v);
	return CFG_ALERT;
}

/* server-state-file-name [use-backend-name | <file>] */
static int parse_state_file_name(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs > 2) {
		memprintf(err, "'%s' cannot handle unexpected argument '%s'.", args[0], args[2]);
		return CFG_ALERT;
	}
	free(ctx->px->state_file_name);
	ctx->px->state_file_name =
	    nargs == 2 && strcmp(args[1], "use-backend-name") ? xstrdup(args[1]) : NULL;
	return CFG_OK;
}

static const struct cfg_kw server_state_kws[] = {
    {.name = "server-state-base", .sections = SECT_GLOBAL, .parse = parse_state_path},
    {.name = "server-state-file", .sections = SECT_GLOBAL, .parse = parse_state_path},
    {.name = "load-server-state-from-file", .sections = SECT_PROXY, .cap = PX_CAP_DEF | PX_CAP_BE,
     .parse = parse_load_state, .flags = KWF_CAP_WARN},
    {.name = "server-state-file-name", .sections = SECT_PROXY, .cap = PX_CAP_DEF | PX_CAP_BE,
     .parse = parse_state_file_name, .flags = KWF_CAP_WARN},
};
CFG_REGISTER_KEYWORDS(server_state_kws)
