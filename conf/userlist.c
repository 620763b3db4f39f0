/* "userlist" sections: users with crypt(3) or clear-text passwords, and
 * groups. Used by http_auth() once the sample engine exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "conf/parser.h"

static int userlist_begin(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2 || !*args[1]) {
		memprintf(err, "'userlist' expects <name> as argument.");
		return CFG_ALERT;
	}
	for (struct userlist *u = ctx->cfg->userlists; u; u = u->next) {
		if (strcmp(u->name, args[1]) == 0) {
			memprintf(err, "userlist '%s' has the same name as another userlist declared "
				  "at %s:%d.", args[1], u->file, u->line);
			return CFG_ALERT;
		}
	}
	struct userlist *ul = xcalloc(1, sizeof(*ul));
	ul->name = xstrdup(args[1]);
	ul->file = xstrdup(ctx->file);
	ul->line = ctx->line;
	struct userlist **tail = &ctx->cfg->userlists;
	while (*tail)
		tail = &(*tail)->next;
	*tail = ul;
	ctx->ul = ul;
	return CFG_OK;
}

/* Returns 1 if comma-separated list <list> names only entries for which
 * <exists>(ul, name) is true; else sets *<bad> to the first unknown one.
 */
static int names_exist(struct userlist *ul, const char *list,
		       int (*exists)(struct userlist *, const char *), char **bad)
{
	char *copy = xstrdup(list), *save = NULL;
	int ok = 1;
	for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
		if (!exists(ul, t)) {
			*bad = xstrdup(t);
			ok = 0;
		}
	}
	free(copy);
	return ok;
}

static int group_exists(struct userlist *ul, const char *name)
{
	for (struct userlist_group *g = ul->groups; g; g = g->next)
		if (strcmp(g->name, name) == 0)
			return 1;
	return 0;
}

static int user_exists(struct userlist *ul, const char *name)
{
	for (struct userlist_user *u = ul->users; u; u = u->next)
		if (strcmp(u->name, name) == 0)
			return 1;
	return 0;
}

/* Checks cross references between users and groups once the section ends.
 * The first unknown name is reported at the line of the user or group that
 * refers to it, in HAProxy's words.
 */
static int userlist_end(struct cfg_ctx *ctx, char **err)
{
	struct userlist *ul = ctx->ul;
	char *bad = NULL;
	if (!ul)
		return CFG_OK;
	for (struct userlist_user *u = ul->users; u; u = u->next) {
		if (u->groups && !names_exist(ul, u->groups, group_exists, &bad)) {
			ha_alert("config : " CFG_LOC_FMT
			         "userlist '%s': no such group '%s' specified in user '%s'\n",
			         u->file, u->line, ul->name, bad, u->name);
			free(bad);
			return CFG_ALERT;
		}
	}
	for (struct userlist_group *g = ul->groups; g; g = g->next) {
		if (g->users && !names_exist(ul, g->users, user_exists, &bad)) {
			ha_alert("config : " CFG_LOC_FMT
			         "userlist '%s': no such user '%s' specified in group '%s'\n",
			         g->file, g->line, ul->name, bad, g->name);
			free(bad);
			return CFG_ALERT;
		}
	}
	return CFG_OK;
}

static struct cfg_section userlist_section = {"userlist", SECT_USERLIST, userlist_begin,
					      userlist_end};
CFG_REGISTER_SECTION(userlist_section)

/* user <name> [password <hash> | insecure-password <pw>] [groups <g,...>] */
static int parse_user(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct userlist *ul = ctx->ul;
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'user' expects <name> as argument.");
		return CFG_ALERT;
	}
	if (user_exists(ul, args[1])) {
		memprintf(err, "ignoring duplicated user '%s' in userlist '%s'.", args[1],
		          ul->name);
		return CFG_WARN;
	}
	struct userlist_user *u = xcalloc(1, sizeof(*u));
	u->name = xstrdup(args[1]);
	u->file = ul->file;
	u->line = ctx->line;
	for (int i = 2; i < nargs; i += 2) {
		const char *k = args[i];
		if (i + 1 >= nargs) {
			memprintf(err, "'user %s': '%s' expects an argument.", args[1], k);
			goto fail;
		}
		if (!strcmp(k, "password") || !strcmp(k, "insecure-password")) {
			free(u->pass);
			u->pass = xstrdup(args[i + 1]);
			u->insecure = k[0] == 'i';
		} else if (!strcmp(k, "groups")) {
			free(u->groups);
			u->groups = xstrdup(args[i + 1]);
		} else {
			memprintf(err, "'user %s': unknown keyword '%s'; expects 'password', "
				  "'insecure-password' or 'groups'.", args[1], k);
			goto fail;
		}
	}
	struct userlist_user **tail = &ul->users;
	while (*tail)
		tail = &(*tail)->next;
	*tail = u;
	return CFG_OK;
fail:
	free(u->name);
	free(u->pass);
	free(u->groups);
	free(u);
	return CFG_ALERT;
}

/* group <name> [users <u,...>] */
static int parse_group(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct userlist *ul = ctx->ul;
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'group' expects <name> as argument.");
		return CFG_ALERT;
	}
	if (nargs != 2 && (nargs != 4 || strcmp(args[2], "users") != 0)) {
		memprintf(err, "'group %s': only 'users <user,...>' may follow the name.", args[1]);
		return CFG_ALERT;
	}
	if (group_exists(ul, args[1])) {
		memprintf(err, "ignoring duplicated group '%s' in userlist '%s'.", args[1],
		          ul->name);
		return CFG_WARN;
	}
	struct userlist_group *g = xcalloc(1, sizeof(*g));
	g->name = xstrdup(args[1]);
	g->file = ul->file;
	g->line = ctx->line;
	g->users = nargs == 4 ? xstrdup(args[3]) : NULL;
	struct userlist_group **tail = &ul->groups;
	while (*tail)
		tail = &(*tail)->next;
	*tail = g;
	return CFG_OK;
}

static const struct cfg_kw userlist_kws[] = {
	{.name = "user", .sections = SECT_USERLIST, .parse = parse_user},
	{.name = "group", .sections = SECT_USERLIST, .parse = parse_group},
};
CFG_REGISTER_KEYWORDS(userlist_kws)

/* Section types of the HAProxy language that Halyard does not implement yet:
 * their header is refused by name and their body is skipped.
 */
#define PENDING_SECTION(var, n) static struct cfg_section var = {.name = n, .flags = KWF_PENDING};
PENDING_SECTION(sect_peers, "peers")
PENDING_SECTION(sect_resolvers, "resolvers")
PENDING_SECTION(sect_mailers, "mailers")
PENDING_SECTION(sect_program, "program")
PENDING_SECTION(sect_cache, "cache")
PENDING_SECTION(sect_fcgi_app, "fcgi-app")
PENDING_SECTION(sect_crt_store, "crt-store")
PENDING_SECTION(sect_traces, "traces")
PENDING_SECTION(sect_acme, "acme")
PENDING_SECTION(sect_log_profile, "log-profile")
CFG_REGISTER_SECTION(sect_peers)
CFG_REGISTER_SECTION(sect_resolvers)
CFG_REGISTER_SECTION(sect_mailers)
CFG_REGISTER_SECTION(sect_program)
CFG_REGISTER_SECTION(sect_cache)
CFG_REGISTER_SECTION(sect_fcgi_app)
CFG_REGISTER_SECTION(sect_crt_store)
CFG_REGISTER_SECTION(sect_traces)
CFG_REGISTER_SECTION(sect_acme)
CFG_REGISTER_SECTION(sect_log_profile)
