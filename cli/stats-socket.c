/* Global keywords of the CLI: "stats socket", "stats timeout",
 * "stats maxconn".
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/addr.h"
#include "common/mem.h"
#include "conf/bind.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "conf/tokenize.h"

/* stats socket <addr> [level L] [expose-fd listeners] [bind options...] */
static int parse_stats_socket(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	char *rest[CFG_MAX_ARGS + 1];
	int nrest = 0;
	char *aerr = NULL;

	if (nargs < 3) {
		memprintf(err, "'stats socket' expects an address (a unix path or [addr]:port).");
		return CFG_ALERT;
	}
	struct stats_socket_cfg *sc = xcalloc(1, sizeof(*sc));
	sc->level = CLI_LEVEL_OPER;
	sc->bind.ux_mode = -1;
	if (addr_parse(args[2], PA_PORT_MANDATORY, &sc->bind.addr, &aerr) < 0) {
		memprintf(err, "'stats socket %s' : %s", args[2], aerr ? aerr : "invalid address");
		free(aerr);
		free(sc);
		return CFG_ALERT;
	}
	rest[nrest++] = args[2];
	for (int i = 3; i < nargs; i++) {
		if (!strcmp(args[i], "level") && i + 1 < nargs) {
			const char *l = args[++i];
			if (!strcmp(l, "user"))
				sc->level = CLI_LEVEL_USER;
			else if (!strcmp(l, "operator"))
				sc->level = CLI_LEVEL_OPER;
			else if (!strcmp(l, "admin"))
				sc->level = CLI_LEVEL_ADMIN;
			else {
				memprintf(err, "'level' only supports 'user', 'operator', and "
					  "'admin' (got '%s').", l);
				bind_conf_release(&sc->bind);
				free(sc);
				return CFG_ALERT;
			}
		} else if (!strcmp(args[i], "expose-fd") && i + 1 < nargs &&
			   !strcmp(args[i + 1], "listeners")) {
			sc->expose_fd = 1; /* a new process may fetch our sockets (-x) */
			i++;
		} else {
			rest[nrest++] = args[i];
		}
	}
	rest[nrest] = "";
	char what[300];
	snprintf(what, sizeof(what), "stats socket %s", args[2]);
	int ret = cfg_parse_options(ctx, SECT_BINDOPT, &sc->bind, rest, 1, nrest, what, err);
	if (ret & CFG_ALERT) {
		bind_conf_release(&sc->bind);
		free(sc);
		return ret;
	}
	ctx->cfg->global.cli_frontend = 1;
	struct stats_socket_cfg **tail = &ctx->cfg->global.stats_sockets;
	while (*tail)
		tail = &(*tail)->next;
	*tail = sc;
	return ret;
}

static const struct cfg_kw stats_timeout_slot = {
    .name = "stats timeout",
    .type = KWT_UINT_TIME,
    .offset = offsetof(struct global_cfg, stats_timeout),
};

static const struct cfg_kw stats_maxconn_slot = {
    .name = "stats maxconn",
    .type = KWT_INT,
    .offset = offsetof(struct global_cfg, stats_maxconn),
    .min = 1,
    .max = 100000,
};

/* Typed "stats" values; like "stats socket" they create the CLI frontend. */
static int parse_stats_slot(const struct cfg_kw *kw, struct cfg_ctx *ctx, char **args, int nargs,
                            char **err)
{
	ctx->cfg->global.cli_frontend = 1;
	return cfg_parse_slot(kw, &ctx->cfg->global, ctx, args, nargs, 2, err);
}

static int parse_stats_timeout(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	return parse_stats_slot(&stats_timeout_slot, ctx, args, nargs, err);
}

static int parse_stats_maxconn(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	return parse_stats_slot(&stats_maxconn_slot, ctx, args, nargs, err);
}

static const struct cfg_kw stats_socket_kws[] = {
    {.name = "stats socket", .sections = SECT_GLOBAL, .parse = parse_stats_socket},
    {.name = "stats timeout", .sections = SECT_GLOBAL, .parse = parse_stats_timeout},
    {.name = "stats maxconn", .sections = SECT_GLOBAL, .parse = parse_stats_maxconn},
};
CFG_REGISTER_KEYWORDS(stats_socket_kws)
