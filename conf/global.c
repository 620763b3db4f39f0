/* The "global" section and its process-wide keywords. */
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "conf/kw.h"
#include "conf/model-t.h"
#include "conf/parser.h"

#define MAX_THREADS 64

extern char **environ;

static int global_begin(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs > 1) {
		memprintf(err, "'global' section takes no argument (got '%s').", args[1]);
		return CFG_ALERT;
	}
	return CFG_OK;
}

static struct cfg_section global_section = {
	.name = "global",
	.id = SECT_GLOBAL,
	.begin = global_begin,
};
CFG_REGISTER_SECTION(global_section)

/* user <name>: resolved to a uid now so that errors show at check time. */
static int parse_user(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'%s' expects a user name.", args[0]);
		return CFG_ALERT;
	}
	struct passwd *pw = getpwnam(args[1]);
	if (!pw) {
		memprintf(err, "cannot find user id for '%s'.", args[1]);
		return CFG_ALERT;
	}
	ctx->cfg->global.uid = pw->pw_uid;
	ctx->cfg->global.uid_set = 1;
	return CFG_OK;
}

/* group <name>: resolved to a gid now. */
static int parse_group(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'%s' expects a group name.", args[0]);
		return CFG_ALERT;
	}
	struct group *gr = getgrnam(args[1]);
	if (!gr) {
		memprintf(err, "cannot find group id for '%s'.", args[1]);
		return CFG_ALERT;
	}
	ctx->cfg->global.gid = gr->gr_gid;
	ctx->cfg->global.gid_set = 1;
	return CFG_OK;
}

/* uid/gid <number> */
static int parse_numeric_id(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	char *end = NULL;
	if (nargs != 2 || !*args[1]) {
		memprintf(err, "'%s' expects an integer argument.", args[0]);
		return CFG_ALERT;
	}
	long v = strtol(args[1], &end, 10);
	if (*end || v < 0 || v > 0x7fffffffL) {
		memprintf(err, "'%s' expects a non-negative integer, got '%s'.", args[0], args[1]);
		return CFG_ALERT;
	}
	if (args[0][0] == 'u') {
		ctx->cfg->global.uid = (uid_t)v;
		ctx->cfg->global.uid_set = 1;
	} else {
		ctx->cfg->global.gid = (gid_t)v;
		ctx->cfg->global.gid_set = 1;
	}
	return CFG_OK;
}

/* master-worker [no-exit-on-failure] */
static int parse_master_worker(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs > 2 || (nargs == 2 && strcmp(args[1], "no-exit-on-failure") != 0)) {
		memprintf(err, "'master-worker' only supports 'no-exit-on-failure' as argument.");
		return CFG_ALERT;
	}
	ctx->cfg->global.master_worker = 1;
	ctx->cfg->global.mworker_no_exit_on_failure = nargs == 2;
	return CFG_OK;
}

/* thread-groups: a single group is all we run. */
static int parse_thread_groups(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2 || strcmp(args[1], "1") != 0) {
		memprintf(err, "'thread-groups' other than 1 is not supported yet.");
		return CFG_ALERT;
	}
	ctx->cfg->global.thread_groups = 1;
	return CFG_OK;
}

/* description <text...>: the words joined with spaces. */
static int parse_description(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 2) {
		memprintf(err, "'%s' expects a string argument.", args[0]);
		return CFG_ALERT;
	}
	char *d = cfg_join_words(args, 1, nargs);
	free(ctx->cfg->global.description);
	ctx->cfg->global.description = d;
	return CFG_OK;
}

/* setenv/presetenv NAME VALUE, unsetenv NAME..., resetenv [NAME...] */
static int parse_env(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *kw = args[0];

	if (strcmp(kw, "setenv") == 0 || strcmp(kw, "presetenv") == 0) {
		if (nargs != 3) {
			memprintf(err, "'%s' expects a name and a value.", kw);
			return CFG_ALERT;
		}
		if (setenv(args[1], args[2], kw[0] == 's') != 0) {
			memprintf(err, "'%s' failed on variable '%s'.", kw, args[1]);
			return CFG_ALERT;
		}
		return CFG_OK;
	}
	if (strcmp(kw, "unsetenv") == 0) {
		if (nargs < 2) {
			memprintf(err, "'unsetenv' expects at least one variable name.");
			return CFG_ALERT;
		}
		for (int i = 1; i < nargs; i++)
			unsetenv(args[i]);
		return CFG_OK;
	}
	/* resetenv: keep only the names listed */
	for (char **e = environ; e && *e;) {
		size_t nlen = strcspn(*e, "=");
		int keep = 0;
		for (int i = 1; i < nargs; i++)
			if (strlen(args[i]) == nlen && strncmp(*e, args[i], nlen) == 0)
				keep = 1;
		if (keep) {
			e++;
			continue;
		}
		char *name = xstrndup(*e, nlen);
		unsetenv(name);
		free(name);
	}
	return CFG_OK;
}

#define G_INT(n, f, lo, hi)                                                                        \
	{.name = n, .sections = SECT_GLOBAL, .type = KWT_INT,                                      \
	 .offset = offsetof(struct global_cfg, f), .min = lo, .max = hi}
#define G_FLAG(n, f)                                                                               \
	{.name = n, .sections = SECT_GLOBAL, .type = KWT_FLAG,                                     \
	 .offset = offsetof(struct global_cfg, f), .flags = KWF_NO}
#define G_TIME(n, f)                                                                               \
	{.name = n, .sections = SECT_GLOBAL, .type = KWT_UINT_TIME,                                \
	 .offset = offsetof(struct global_cfg, f)}
#define G_SIZE(n, f, lo, hi)                                                                       \
	{.name = n, .sections = SECT_GLOBAL, .type = KWT_SIZE,                                     \
	 .offset = offsetof(struct global_cfg, f), .min = lo, .max = hi}
#define G_STR(n, f)                                                                                \
	{.name = n, .sections = SECT_GLOBAL, .type = KWT_STR,                                      \
	 .offset = offsetof(struct global_cfg, f)}
#define G_FN(n, fn) {.name = n, .sections = SECT_GLOBAL, .parse = fn}
#define G_PENDING(n) {.name = n, .sections = SECT_GLOBAL, .flags = KWF_PENDING}

static const struct cfg_kw global_kws[] = {
	G_INT("maxconn", maxconn, 0, 0x7fffffff), /* 0: automatic, as in HAProxy */
	G_INT("nbthread", nbthread, 1, MAX_THREADS),
	G_FN("thread-groups", parse_thread_groups),
	G_FLAG("daemon", daemon),
	G_FN("master-worker", parse_master_worker),
	G_STR("pidfile", pidfile),
	G_STR("chroot", chroot),
	G_FN("user", parse_user),
	G_FN("group", parse_group),
	G_FN("uid", parse_numeric_id),
	G_FN("gid", parse_numeric_id),
	G_INT("ulimit-n", ulimit_n, 1, 100000000),
	G_TIME("hard-stop-after", hard_stop_after),
	G_FLAG("zero-warning", zero_warning),
	G_FLAG("insecure-setuid-wanted", insecure_setuid_wanted),
	G_FLAG("insecure-fork-wanted", insecure_fork_wanted),
	G_FLAG("quiet", quiet),
	G_FLAG("nosplice", nosplice),
	G_FLAG("noreuseport", noreuseport),
	G_PENDING("noepoll"), /* epoll is the only poller */
	G_PENDING("nogetaddrinfo"), /* getaddrinfo() is the only resolver */
	G_STR("node", node),
	G_FN("description", parse_description),
	G_PENDING("localpeer"), /* comes with peers sections */
	G_SIZE("tune.bufsize", tune_bufsize, 1024, 16 * 1024 * 1024),
	G_INT("tune.maxaccept", tune_maxaccept, -1, 1000000),
	G_INT("tune.maxpollevents", tune_maxpollevents, 1, 100000),
	G_FN("setenv", parse_env),
	G_FN("presetenv", parse_env),
	G_FN("unsetenv", parse_env),
	G_FN("resetenv", parse_env),
	G_PENDING("stats bind-process"),
};
CFG_REGISTER_KEYWORDS(global_kws)
