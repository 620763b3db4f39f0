/* The "bind" keyword and its options. One bind_conf is created per address
 * and per port of a range ("bind :80,:8000-8002" gives four).
 */
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/mem.h"
#include "conf/bind.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "conf/parser.h"
#include "conf/ssl-bind.h"

/* Builds the bind_conf list for the comma-separated addresses of <text>. */
static int bind_expand(struct cfg_ctx *ctx, const char *text, struct bind_conf **out, char **err)
{
	char *copy = xstrdup(text);
	char *save = NULL;
	struct bind_conf **tail = out;
	int ret = CFG_OK;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct hl_addr a;
		char *aerr = NULL;
		if (addr_parse(tok, PA_PORT_MANDATORY | PA_PORT_RANGE | PA_RESOLVE, &a, &aerr) < 0) {
			memprintf(err, "'bind %s' : %s", text, aerr ? aerr : "invalid address");
			free(aerr);
			ret = CFG_ALERT;
			break;
		}
		if (a.socktype != SOCK_STREAM) {
			memprintf(err, "'bind %s' : datagram listeners are not supported yet.", tok);
			addr_release(&a);
			ret = CFG_ALERT;
			break;
		}
		for (unsigned port = a.port_lo; port <= a.port_hi; port++) {
			struct bind_conf *b = xcalloc(1, sizeof(*b));
			b->addr = a;
			b->addr.hostname = a.hostname ? xstrdup(a.hostname) : NULL;
			b->addr.port_lo = b->addr.port_hi = (uint16_t)port;
			if (a.kind == ADDR_INET4)
				((struct sockaddr_in *)&b->addr.ss)->sin_port = htons(port);
			else if (a.kind == ADDR_INET6)
				((struct sockaddr_in6 *)&b->addr.ss)->sin6_port = htons(port);
			b->file = xstrdup(ctx->file);
			b->line = ctx->line;
			b->ux_mode = -1;
			*tail = b;
			tail = &b->next;
			if (a.kind != ADDR_INET4 && a.kind != ADDR_INET6)
				break;
		}
		addr_release(&a);
	}
	free(copy);
	return ret;
}

void bind_conf_release(struct bind_conf *b)
{
	addr_release(&b->addr);
	tls_bind_cfg_free(b->tls); /* only a line that failed owns it alone */
	b->tls = NULL;
	free(b->name);
	free(b->file);
	free(b->interface);
	b->name = b->file = b->interface = NULL;
}

/* Releases a bind_conf list that was not attached to a proxy. */
static void bind_free_list(struct bind_conf *b)
{
	while (b) {
		struct bind_conf *n = b->next;
		bind_conf_release(b);
		free(b);
		b = n;
	}
}

/* Copies the options parsed on <src> to the other bind_confs of its line. */
static void bind_copy_opts(struct bind_conf *src)
{
	for (struct bind_conf *b = src->next; b; b = b->next) {
		struct hl_addr keep = b->addr;
		char *file = b->file;
		struct bind_conf *next = b->next;
		*b = *src;
		b->addr = keep;
		b->file = file;
		b->next = next;
		b->name = src->name ? xstrdup(src->name) : NULL;
		b->interface = src->interface ? xstrdup(src->interface) : NULL;
	}
}

/* bind <addr>[,<addr>...] [options...] */
static int parse_bind(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct bind_conf *list = NULL;
	char what[512];

	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... "
			  "as arguments.");
		return CFG_ALERT;
	}
	int ret = bind_expand(ctx, args[1], &list, err);
	if (!(ret & CFG_ALERT) && !list) {
		memprintf(err, "'bind' : '%s' resolves to an empty address list.", args[1]);
		ret = CFG_ALERT;
	}
	if (ret & CFG_ALERT) {
		bind_free_list(list);
		return ret;
	}
	snprintf(what, sizeof(what), "bind %s", args[1]);
	ret = cfg_parse_options(ctx, SECT_BINDOPT, list, args, 2, nargs, what, err);
	if (ret & CFG_ALERT) {
		bind_free_list(list);
		return ret;
	}
	bind_copy_opts(list);
	struct bind_conf **tail = &ctx->px->binds;
	while (*tail)
		tail = &(*tail)->next;
	*tail = list;
	for (struct bind_conf *b = list; b; b = b->next)
		b->px = ctx->px;
	return ret;
}

static const struct cfg_kw bind_kws[] = {
	{.name = "bind",
	 .sections = SECT_PROXY,
	 .cap = PX_CAP_FE,
	 .parse = parse_bind,
	 .flags = KWF_CAP_WARN},
};
CFG_REGISTER_KEYWORDS(bind_kws)

static int bopt_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct bind_conf *b = ctx->target;
	const char *n = args[0];
	if (!strcmp(n, "v4v6"))
		b->v4v6 = 1;
	else if (!strcmp(n, "v6only"))
		b->v6only = 1;
	else if (!strcmp(n, "transparent"))
		b->transparent = 1;
	else if (!strcmp(n, "accept-proxy"))
		b->accept_proxy = 1;
	else if (!strcmp(n, "defer-accept"))
		b->defer_accept = 1;
	else if (!strcmp(n, "tfo"))
		b->tfo = 1;
	return CFG_OK;
}

static int bopt_value(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct bind_conf *b = ctx->target;
	const char *n = args[0], *v = args[1];
	if (!strcmp(n, "backlog"))
		return cfg_opt_int(n, v, 1, 1000000, &b->backlog, err);
	if (!strcmp(n, "maxconn"))
		return cfg_opt_int(n, v, 0, 0x7fffffff, &b->maxconn, err);
	if (!strcmp(n, "mss"))
		return cfg_opt_int(n, v, -65535, 65535, &b->mss, err);
	if (!strcmp(n, "name")) {
		free(b->name);
		b->name = xstrdup(v);
		return CFG_OK;
	}
	if (!strcmp(n, "interface")) {
		free(b->interface);
		b->interface = xstrdup(v);
		return CFG_OK;
	}
	if (!strcmp(n, "shards")) {
		/* one socket per address, shared by every thread (EPOLLEXCLUSIVE) */
		if (!strcmp(v, "1") || !strcmp(v, "by-group")) {
			b->shards = 1;
			return CFG_OK;
		}
		memprintf(err, "'shards %s' is not supported yet: every listener uses one socket "
			  "shared by all threads.", v);
		return CFG_ALERT;
	}
	memprintf(err, "internal error: no handler for '%s'.", n);
	return CFG_ALERT;
}

/* Unix socket ownership and permissions: mode, uid, gid, user, group. */
static int bopt_unix(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct bind_conf *b = ctx->target;
	const char *n = args[0], *v = args[1];
	int iv = 0;

	if (b->addr.kind != ADDR_UNIX) {
		memprintf(err, "'%s' is only supported on unix sockets.", n);
		return CFG_ALERT;
	}
	if (!strcmp(n, "mode")) {
		char *end = NULL;
		long m = strtol(v, &end, 8);
		if (!*v || *end || m < 0 || m > 07777) {
			memprintf(err, "'mode' expects an octal permission, got '%s'.", v);
			return CFG_ALERT;
		}
		b->ux_mode = (int)m;
		return CFG_OK;
	}
	if (!strcmp(n, "uid") || !strcmp(n, "gid")) {
		int r = cfg_opt_int(n, v, 0, 0x7fffffff, &iv, err);
		if (r)
			return r;
		if (n[0] == 'u') {
			b->ux_uid = (uid_t)iv;
			b->ux_uid_set = 1;
		} else {
			b->ux_gid = (gid_t)iv;
			b->ux_gid_set = 1;
		}
		return CFG_OK;
	}
	if (!strcmp(n, "user")) {
		struct passwd *pw = getpwnam(v);
		if (!pw) {
			memprintf(err, "unknown user '%s'.", v);
			return CFG_ALERT;
		}
		b->ux_uid = pw->pw_uid;
		b->ux_uid_set = 1;
		return CFG_OK;
	}
	struct group *gr = getgrnam(v);
	if (!gr) {
		memprintf(err, "unknown group '%s'.", v);
		return CFG_ALERT;
	}
	b->ux_gid = gr->gr_gid;
	b->ux_gid_set = 1;
	return CFG_OK;
}

/* thread/process: every thread accepts on every listener; only "all" or the
 * full range keep that meaning, anything narrower is refused.
 */
static int bopt_thread(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (!strcmp(args[1], "all") || !strcmp(args[1], "1/all"))
		return CFG_OK;
	memprintf(err, "'%s %s': binding a listener to a subset of threads is not supported yet.",
		  args[0], args[1]);
	return CFG_ALERT;
}

#define BO(n, fn, nv) {.name = n, .sections = SECT_BINDOPT, .parse = fn, .nvals = nv}
static const struct cfg_kw bind_opts[] = {
	BO("v4v6", bopt_flag, 0),         BO("v6only", bopt_flag, 0),
	BO("transparent", bopt_flag, 0),  BO("accept-proxy", bopt_flag, 0),
	BO("defer-accept", bopt_flag, 0), BO("tfo", bopt_flag, 0),
	BO("backlog", bopt_value, 1),     BO("maxconn", bopt_value, 1),
	BO("mss", bopt_value, 1),         BO("name", bopt_value, 1),
	BO("interface", bopt_value, 1),   BO("shards", bopt_value, 1),
	BO("mode", bopt_unix, 1),         BO("uid", bopt_unix, 1),
	BO("gid", bopt_unix, 1),          BO("user", bopt_unix, 1),
	BO("group", bopt_unix, 1),        BO("thread", bopt_thread, 1),
	BO("process", bopt_thread, 1),
};
CFG_REGISTER_KEYWORDS(bind_opts)
