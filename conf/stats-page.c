/* "stats" keywords of proxy sections: the HTTP statistics page (served by
 * worker/stats-page.c). Any of them enables the page. "stats admin" keeps
 * conditions evaluated on each page request (worker/stats-page.c);
 * "stats http-request" is not wired to the rule engine yet and stays
 * refused by name in conf/pending.c.
 */
#include "conf/stats-page.h"

#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/mem.h"
#include "common/msg.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "conf/proxy.h"
#include "conf/rules.h"

/* The settings of the current proxy, made its own on its first "stats" line
 * (a section that only inherited them starts over, as HAProxy does).
 */
static struct stats_page_cfg *own_cfg(struct cfg_ctx *ctx)
{
	struct proxy *px = ctx->px;
	if (px->stats && px->stats->owner == px)
		return px->stats;
	struct stats_page_cfg *s = xcalloc(1, sizeof(*s));
	s->uri = xstrdup(STATS_DEFAULT_URI);
	s->owner = px;
	px->stats = s;
	return s;
}

/* "stats <word>" needing a non-empty first argument; NULL when missing. */
static const char *need_arg(char **args, int nargs, const char *what, char **err)
{
	if (nargs < 3 || !*args[2]) {
		memprintf(err, "'%s' needs %s.", args[1], what);
		return NULL;
	}
	return args[2];
}

/* stats enable */
static int parse_enable(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	own_cfg(ctx);
	return CFG_OK;
}

/* stats uri <prefix> */
static int parse_uri(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *v = need_arg(args, nargs, "an URI prefix", err);
	if (!v)
		return CFG_ALERT;
	struct stats_page_cfg *s = own_cfg(ctx);
	free(s->uri);
	s->uri = xstrdup(v);
	return CFG_OK;
}

/* stats realm <realm> */
static int parse_realm(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *v = need_arg(args, nargs, "an realm name", err);
	if (!v)
		return CFG_ALERT;
	struct stats_page_cfg *s = own_cfg(ctx);
	free(s->realm);
	s->realm = xstrdup(v);
	return CFG_OK;
}

/* stats auth <user>:<password> (a missing ':' means an empty password) */
static int parse_auth(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *v = need_arg(args, nargs, "a user:password account", err);
	if (!v)
		return CFG_ALERT;
	struct stats_page_cfg *s = own_cfg(ctx);
	const char *colon = strchr(v, ':');
	s->auth = xrealloc(s->auth, (size_t)(s->nauth + 1) * sizeof(*s->auth));
	s->auth[s->nauth].user = colon ? xstrndup(v, (size_t)(colon - v)) : xstrdup(v);
	s->auth[s->nauth].pass = xstrdup(colon ? colon + 1 : "");
	s->nauth++;
	return CFG_OK;
}

/* stats refresh <delay> (seconds by default) */
static int parse_refresh(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	uint64_t v = 0;
	const char *bad = NULL;
	const char *arg = nargs > 2 ? args[2] : "";
	enum parse_status st = parse_time(arg, TIME_BASE_S, 0x7fffffff, &v, &bad);
	if (st == PARSE_BAD_CHAR || st == PARSE_EMPTY) {
		memprintf(err, "unexpected character '%c' in argument to stats refresh interval.",
		          st == PARSE_EMPTY ? ' ' : *bad);
		return CFG_ALERT;
	}
	if (st != PARSE_OK) {
		memprintf(err, "timer %s in argument to stats refresh interval.",
		          st == PARSE_OVERFLOW ? "overflow" : "underflow");
		return CFG_ALERT;
	}
	own_cfg(ctx)->refresh_s = (uint32_t)v;
	return CFG_OK;
}

/* stats scope { <proxy> | . } */
static int parse_scope(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *v = need_arg(args, nargs, "a proxy name", err);
	if (!v)
		return CFG_ALERT;
	struct stats_page_cfg *s = own_cfg(ctx);
	s->scope = xrealloc(s->scope, (size_t)(s->nscope + 1) * sizeof(*s->scope));
	s->scope[s->nscope++] = xstrdup(v);
	return CFG_OK;
}

/* stats hide-version | show-legends | show-version */
static int parse_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct stats_page_cfg *s = own_cfg(ctx);
	if (!strcmp(args[1], "hide-version"))
		s->flags |= STATS_PG_HIDE_VERSION;
	else if (!strcmp(args[1], "show-legends"))
		s->flags |= STATS_PG_SHOW_LEGENDS;
	else
		s->flags |= STATS_PG_SHOW_VERSION;
	return CFG_OK;
}

/* stats show-node [<name>] */
static int parse_show_node(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct stats_page_cfg *s = own_cfg(ctx);
	s->flags |= STATS_PG_SHOW_NODE;
	if (nargs > 2 && *args[2]) {
		free(s->node);
		s->node = xstrdup(args[2]);
	}
	return CFG_OK;
}

/* stats show-desc [<text>]: warns when neither it nor the global section
 * gives a description.
 */
static int parse_show_desc(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct stats_page_cfg *s = own_cfg(ctx);
	s->flags |= STATS_PG_SHOW_DESC;
	if (nargs > 2) {
		free(s->desc);
		s->desc = cfg_join_words(args, 2, nargs);
	} else if (!ctx->cfg->global.description) {
		memprintf(err, "'show-desc' requires a parameter or 'desc' to be set in the global "
		               "section.");
		return CFG_WARN;
	}
	return CFG_OK;
}

/* stats admin { if | unless } <cond>: the page offers and accepts admin
 * actions when one of the proxy's conditions holds (not in defaults: the
 * keyword's capabilities refuse it there).
 */
static int parse_admin(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 3 || (strcmp(args[2], "if") && strcmp(args[2], "unless"))) {
		memprintf(err, "'%s %s' requires either 'if' or 'unless' followed by a condition.",
		          args[0], args[1]);
		return CFG_ALERT;
	}
	struct acl_cond *c = NULL;
	char *e2 = NULL;
	if (acl_find_cond(proxy_acl_scope(ctx->px), args + 2, nargs - 2, ctx->file, ctx->line, &c,
	                  &e2) < 0) {
		memprintf(err, "error detected while parsing a '%s %s' rule : %s.", args[0],
		          args[1], e2);
		free(e2);
		return CFG_ALERT;
	}
	struct stats_page_cfg *s = own_cfg(ctx);
	s->admin = xrealloc(s->admin, (size_t)(s->nadmin + 1) * sizeof(*s->admin));
	s->admin[s->nadmin++] = c;
	return CFG_OK;
}

#define STATS_KW(n, fn)                                                                            \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = PX_CAP_ALL, .parse = fn                  \
	}

static const struct cfg_kw stats_page_kws[] = {
    STATS_KW("stats enable", parse_enable),
    STATS_KW("stats uri", parse_uri),
    STATS_KW("stats realm", parse_realm),
    STATS_KW("stats auth", parse_auth),
    STATS_KW("stats refresh", parse_refresh),
    STATS_KW("stats scope", parse_scope),
    STATS_KW("stats hide-version", parse_flag),
    STATS_KW("stats show-legends", parse_flag),
    STATS_KW("stats show-version", parse_flag),
    STATS_KW("stats show-node", parse_show_node),
    STATS_KW("stats show-desc", parse_show_desc),
    {.name = "stats admin",
     .sections = SECT_PROXY,
     .cap = PX_CAP_FE | PX_CAP_BE,
     .parse = parse_admin},
};
CFG_REGISTER_KEYWORDS(stats_page_kws)

/* The page needs HTTP mode: HAProxy ignores it in a TCP proxy, with a
 * warning.
 */
static int check_stats_mode(struct config *cfg, struct proxy *px)
{
	if (px->stats && px->mode != PX_MODE_HTTP)
		ha_warning("config : 'stats' statement ignored for %s '%s' as it requires HTTP "
		           "mode.\n",
		           proxy_type_str(px), px->id);
	return 0;
}

static struct cfg_checker stats_page_checker = {.proxy = check_stats_mode};
CFG_REGISTER_CHECKER(stats_page_checker)
