/* "server" and "default-server" lines and their options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/mem.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "conf/parser.h"
#include "conf/proxy.h"

/* Checks the characters of a server name. */
static int check_server_name(const char *name, char **err)
{
	if (!*name) {
		memprintf(err, "'server' expects <name> and <addr>[:<port>] as arguments.");
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:", *p)) {
			memprintf(err, "character '%c' is not permitted in server name '%s'.", *p,
				  name);
			return -1;
		}
	}
	return 0;
}

static struct server *server_find(struct proxy *px, const char *name)
{
	for (struct server *s = px->servers; s; s = s->next)
		if (strcmp(s->id, name) == 0)
			return s;
	return NULL;
}

static void server_free(struct server *s)
{
	addr_release(&s->addr);
	addr_release(&s->cfg.source);
	free(s->id);
	free(s->file);
	free(s);
}

/* server <name> <addr> [options...] */
static int parse_server(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct proxy *px = ctx->px;
	char what[512];
	char *aerr = NULL;

	if (nargs < 3 || !*args[2]) {
		memprintf(err, "'server' expects <name> and <addr>[:<port>] as arguments.");
		return CFG_ALERT;
	}
	if (check_server_name(args[1], err) < 0)
		return CFG_ALERT;
	struct server *dup = server_find(px, args[1]);
	if (dup) {
		memprintf(err,
		          "%s '%s', another server named '%s' was already defined at line %d, "
		          "please use distinct names.",
		          proxy_type_str(px), px->id, args[1], dup->line);
		return CFG_ALERT;
	}
	struct server *s = xcalloc(1, sizeof(*s));
	s->id = xstrdup(args[1]);
	s->file = xstrdup(ctx->file);
	s->line = ctx->line;
	s->px = px;
	s->cfg = px->defsrv;
	if (px->defsrv.source_set && px->defsrv.source.hostname)
		s->cfg.source.hostname = xstrdup(px->defsrv.source.hostname);
	if (addr_parse(args[2], PA_PORT_OK | PA_PORT_OFFSET | PA_RESOLVE, &s->addr, &aerr) < 0) {
		memprintf(err, "'server %s/%s' : %s", px->id, args[1],
			  aerr ? aerr : "invalid address");
		free(aerr);
		server_free(s);
		return CFG_ALERT;
	}
	if (s->addr.kind == ADDR_FD) {
		memprintf(err, "'server %s/%s' : a file descriptor is not acceptable here in '%s'",
		          px->id, args[1], args[2]);
		server_free(s);
		return CFG_ALERT;
	}
	if (s->addr.socktype != SOCK_STREAM) {
		memprintf(err, "'server %s/%s' : address '%s' cannot be used to connect to a "
			  "server.", px->id, args[1], args[2]);
		server_free(s);
		return CFG_ALERT;
	}
	snprintf(what, sizeof(what), "server %s/%s", px->id, args[1]);
	int ret = cfg_parse_options(ctx, SECT_SRVOPT, s, args, 3, nargs, what, err);
	if (ret & CFG_ALERT) {
		server_free(s);
		return ret;
	}
	struct server **tail = &px->servers;
	while (*tail)
		tail = &(*tail)->next;
	*tail = s;
	px->nb_servers++;
	return ret;
}

/* default-server [options...]: settings new servers of this proxy start with. */
static int parse_default_server(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server tmp = {.id = "default-server", .cfg = ctx->px->defsrv, .px = ctx->px};
	char what[300];

	snprintf(what, sizeof(what), "default-server");
	int ret = cfg_parse_options(ctx, SECT_SRVOPT, &tmp, args, 1, nargs, what, err);
	if (!(ret & CFG_ALERT))
		ctx->px->defsrv = tmp.cfg;
	return ret;
}

static const struct cfg_kw server_kws[] = {
	{.name = "server", .sections = SECT_PROXY, .cap = PX_CAP_BE, .parse = parse_server},
	{.name = "default-server",
	 .sections = SECT_PROXY,
	 .cap = PX_CAP_DEF | PX_CAP_BE,
	 .parse = parse_default_server},
};
CFG_REGISTER_KEYWORDS(server_kws)

/* id <number>: unique among the servers of the proxy; refused on
 * default-server (HAProxy ignores it there with an alert).
 */
static int sopt_id(struct server *s, const char *val, char **err)
{
	int id = 0;
	if (!s->file) {
		memprintf(err, "'id' option is not accepted in default-server sections");
		return CFG_ALERT;
	}
	if (cfg_opt_int("id", val, 1, 0x7fffffff, &id, err))
		return CFG_ALERT;
	for (struct server *o = s->px->servers; o; o = o->next) {
		if (o->puid_set && o->puid == id) {
			memprintf(err, "'id' : custom id %d already used at %s:%d ('server %s').",
			          id, o->file, o->line, o->id);
			return CFG_ALERT;
		}
	}
	s->puid = id;
	s->puid_set = 1;
	return CFG_OK;
}

static int sopt_value(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *s = ctx->target;
	const char *n = args[0], *v = args[1];

	if (!strcmp(n, "weight"))
		return cfg_opt_int(n, v, 0, 256, &s->cfg.weight, err);
	if (!strcmp(n, "maxconn"))
		return cfg_opt_int(n, v, 0, 0x7fffffff, &s->cfg.maxconn, err);
	if (!strcmp(n, "minconn"))
		return cfg_opt_int(n, v, 0, 0x7fffffff, &s->cfg.minconn, err);
	if (!strcmp(n, "maxqueue"))
		return cfg_opt_int(n, v, 0, 0x7fffffff, &s->cfg.maxqueue, err);
	if (!strcmp(n, "id"))
		return sopt_id(s, v, err);
	if (!strcmp(n, "slowstart")) {
		const char *bad = NULL;
		if (parse_time_ms(v, &s->cfg.slowstart, &bad) != PARSE_OK) {
			memprintf(err, "invalid time '%s' for 'slowstart'.", v);
			return CFG_ALERT;
		}
		return CFG_OK;
	}
	memprintf(err, "internal error: no handler for '%s'.", n);
	return CFG_ALERT;
}

static int sopt_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *s = ctx->target;
	const char *n = args[0];

	if (!strcmp(n, "backup") || !strcmp(n, "no-backup"))
		s->cfg.backup = n[0] == 'b';
	else if (!strcmp(n, "disabled") || !strcmp(n, "enabled"))
		s->cfg.disabled = n[0] == 'd';
	else if (!strcmp(n, "send-proxy"))
		s->cfg.send_proxy = 1;
	else if (!strcmp(n, "send-proxy-v2"))
		s->cfg.send_proxy = 2;
	else if (!strcmp(n, "no-send-proxy") || !strcmp(n, "no-send-proxy-v2"))
		s->cfg.send_proxy = 0;
	return CFG_OK;
}

/* source <addr>[:<port>]: local address of connections to this server. */
static int sopt_source(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *s = ctx->target;
	struct hl_addr a;
	if (cfg_parse_source(args[1], &a, err) != CFG_OK)
		return CFG_ALERT;
	addr_release(&s->cfg.source);
	s->cfg.source = a;
	s->cfg.source_set = 1;
	return CFG_OK;
}

/* observe none|layer4|layer7: what passive health observation watches.
 * layer7 needs an HTTP proxy; elsewhere it is ignored with a warning (HAProxy
 * goes on with an alert and leaves observation off).
 */
static int sopt_observe(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *s = ctx->target;
	const char *v = args[1];

	if (!strcmp(v, "none"))
		s->cfg.observe = SRV_OBS_NONE;
	else if (!strcmp(v, "layer4"))
		s->cfg.observe = SRV_OBS_LAYER4;
	else if (!strcmp(v, "layer7") && ctx->px->mode != PX_MODE_HTTP) {
		memprintf(err, "'layer7' can only be used in http proxies; 'observe' is ignored.");
		return CFG_WARN;
	} else if (!strcmp(v, "layer7"))
		s->cfg.observe = SRV_OBS_LAYER7;
	else {
		memprintf(err, "'observe' expects one of 'none', 'layer4', 'layer7' but got '%s'.",
		          v);
		return CFG_ALERT;
	}
	return CFG_OK;
}

/* error-limit <n>: consecutive observed errors that trigger "on-error". */
static int sopt_error_limit(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *s = ctx->target;
	char *end = NULL;
	long v = strtol(args[1], &end, 10);

	if (!*args[1] || *end || v <= 0 || v > 0x7fffffff) {
		memprintf(err, "'error-limit' expects an integer > 0, got '%s'.", args[1]);
		return CFG_ALERT;
	}
	s->cfg.error_limit = (int)v;
	return CFG_OK;
}

/* on-error fastinter|fail-check|sudden-death|mark-down */
static int sopt_on_error(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	static const char *const names[] = {[SRV_ONERR_FAILCHK] = "fail-check",
	                                    [SRV_ONERR_FASTINTER] = "fastinter",
	                                    [SRV_ONERR_SUDDTH] = "sudden-death",
	                                    [SRV_ONERR_MARKDWN] = "mark-down"};
	struct server *s = ctx->target;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(args[1], names[i])) {
			s->cfg.on_error = (int)i;
			return CFG_OK;
		}
	}
	memprintf(err,
	          "'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or "
	          "'mark-down' but got '%s'.",
	          args[1]);
	return CFG_ALERT;
}

/* on-marked-down shutdown-sessions | on-marked-up shutdown-backup-sessions */
static int sopt_on_marked(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *s = ctx->target;
	int down = !strcmp(args[0], "on-marked-down");
	const char *want = down ? "shutdown-sessions" : "shutdown-backup-sessions";

	if (strcmp(args[1], want) != 0) {
		memprintf(err, "'%s' expects '%s' but got '%s'.", args[0], want, args[1]);
		return CFG_ALERT;
	}
	if (down)
		s->cfg.on_marked_down = 1;
	else
		s->cfg.on_marked_up = 1;
	return CFG_OK;
}

#define SO(n, fn, nv) {.name = n, .sections = SECT_SRVOPT, .parse = fn, .nvals = nv}
static const struct cfg_kw server_opts[] = {
	SO("weight", sopt_value, 1),        SO("maxconn", sopt_value, 1),
	SO("minconn", sopt_value, 1),       SO("maxqueue", sopt_value, 1),
	SO("id", sopt_value, 1),            SO("slowstart", sopt_value, 1),
	SO("backup", sopt_flag, 0),         SO("no-backup", sopt_flag, 0),
	SO("disabled", sopt_flag, 0),       SO("enabled", sopt_flag, 0),
	SO("send-proxy", sopt_flag, 0),     SO("send-proxy-v2", sopt_flag, 0),
	SO("no-send-proxy", sopt_flag, 0),  SO("no-send-proxy-v2", sopt_flag, 0),
	SO("source", sopt_source, 1),
};
CFG_REGISTER_KEYWORDS(server_opts)

/* Passive health observation and state change side effects. */
static const struct cfg_kw server_observe_opts[] = {
    SO("observe", sopt_observe, 1),        SO("error-limit", sopt_error_limit, 1),
    SO("on-error", sopt_on_error, 1),      SO("on-marked-down", sopt_on_marked, 1),
    SO("on-marked-up", sopt_on_marked, 1),
};
CFG_REGISTER_KEYWORDS(server_observe_opts)
