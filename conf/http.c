/* HTTP mode keywords: proxy options and settings, server connection pool
 * options, and the global tuning of the HTTP engine. Error replies live in
 * conf/http-errors.c.
 *
 * The proxy settings go to px->http and are copied from defaults sections
 * by http_inherit(). Keywords that only make sense in HTTP mode are accepted
 * in a TCP proxy and reported at validation, with the same warnings as
 * HAProxy 2.6 for those it warns about.
 */
#include "conf/http.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "conf/parser.h"
#include "conf/proxy.h"

#define DEF_MAXREWRITE 1024

uint32_t http_maxrewrite(const struct global_cfg *g)
{
	uint32_t v = g->tune_maxrewrite_set ? g->tune_maxrewrite : DEF_MAXREWRITE;
	return v >= g->tune_bufsize / 2 ? g->tune_bufsize / 2 : v;
}

void http_inherit(struct px_http *dst, const struct px_http *def)
{
	*dst = *def;
	dst->flags_set = 0;
	dst->fwdfor_hdr = def->fwdfor_hdr ? xstrdup(def->fwdfor_hdr) : NULL;
	dst->origto_hdr = def->origto_hdr ? xstrdup(def->origto_hdr) : NULL;
	dst->monitor_uri = def->monitor_uri ? xstrdup(def->monitor_uri) : NULL;
	dst->err_refs = http_err_refs_dup(def->err_refs);
	memset(dst->errmsg, 0, sizeof(dst->errmsg));
}

/* Parses a prefix length in [0, <max>] written in decimal. */
static int parse_prefix(const char *s, int max, int *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* Parses an IPv4 mask, as a length or as a contiguous dotted mask. */
static int parse_mask4(const char *s, int *out)
{
	struct in_addr m;

	if (!strchr(s, '.'))
		return parse_prefix(s, 32, out);
	if (inet_pton(AF_INET, s, &m) != 1)
		return -1;
	uint32_t v = ntohl(m.s_addr);
	int len = 0;
	while (len < 32 && (v & (0x80000000u >> len)))
		len++;
	if (len < 32 && (v << len))
		return -1; /* not contiguous */
	*out = len;
	return 0;
}

/* Resolves IPv4 address or host name <host> into <addr> (4 bytes). */
static int resolve4(const char *host, uint8_t *addr)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;

	if (inet_pton(AF_INET, host, addr) == 1)
		return 0;
	if (!*host || getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -1;
	memcpy(addr, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
	freeaddrinfo(res);
	return 0;
}

/* Clears the bits of <n> beyond its prefix. */
static void net_apply_mask(struct hl_net *n)
{
	int bytes = n->family == AF_INET ? 4 : 16;
	for (int i = 0; i < bytes; i++) {
		int keep = n->prefix - i * 8;
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
		n->addr[i] &= mask;
	}
}

int hl_net_parse(const char *text, struct hl_net *out)
{
	char buf[256];
	struct hl_net n = {0};

	if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf))
		return -1;
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash++ = 0;
	n.family = AF_INET;
	n.prefix = 32;
	if ((!slash || parse_mask4(slash, &n.prefix) == 0) && resolve4(buf, n.addr) == 0)
		goto done;
	n.family = AF_INET6;
	n.prefix = 128;
	if (inet_pton(AF_INET6, buf, n.addr) != 1 || (slash && parse_prefix(slash, 128, &n.prefix)))
		return -1;
done:
	net_apply_mask(&n);
	*out = n;
	return 0;
}

int hl_net_match(const struct hl_net *net, const struct sockaddr *sa)
{
	struct hl_net a = {.family = sa->sa_family, .prefix = net->prefix};

	if (!net->family || sa->sa_family != net->family)
		return 0;
	if (sa->sa_family == AF_INET)
		memcpy(a.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else
		memcpy(a.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	net_apply_mask(&a);
	return memcmp(a.addr, net->addr, sizeof(a.addr)) == 0;
}

/* Refuses args[<max>] and beyond, naming the keyword by its first <words>
 * words (1 or 2) as HAProxy does.
 */
static int no_extra_arg(char **args, int nargs, int words, int max, char **err)
{
	if (nargs <= max)
		return 0;
	memprintf(err, "'%s%s%s' cannot handle unexpected argument '%s'.", args[0],
	          words > 1 ? " " : "", words > 1 ? args[1] : "", args[max]);
	return -1;
}

/* option http-keep-alive | http-server-close | httpclose: the last one wins;
 * "no option X" goes back to keep-alive only when X is the current mode.
 */
static int parse_opt_conn_mode(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_http *h = &ctx->px->http;
	enum http_conn_mode m = !strcmp(args[1], "httpclose")           ? HTTP_CM_CLO
	                        : !strcmp(args[1], "http-server-close") ? HTTP_CM_SCL
	                                                                : HTTP_CM_KAL;

	if (no_extra_arg(args, nargs, 2, 2, err) < 0)
		return CFG_ALERT;
	if (!ctx->inverse)
		h->conn_mode = m;
	else if (h->conn_mode == m)
		h->conn_mode = HTTP_CM_KAL;
	return CFG_OK;
}

/* Boolean HTTP options mapped to PXH_* bits. */
static int parse_opt_http_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} map[] = {
	    {"http-buffer-request", PXH_BUFFER_REQUEST},
	    {"http-no-delay", PXH_NO_DELAY},
	    {"accept-invalid-http-request", PXH_ACCEPT_INV_REQ},
	    {"accept-invalid-http-response", PXH_ACCEPT_INV_RSP},
	    {"h1-case-adjust-bogus-client", PXH_CASE_BOGUS_CLI},
	    {"h1-case-adjust-bogus-server", PXH_CASE_BOGUS_SRV},
	    {"http-ignore-probes", PXH_IGNORE_PROBES},
	};
	struct px_http *h = &ctx->px->http;

	if (no_extra_arg(args, nargs, 2, 2, err) < 0)
		return CFG_ALERT;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (strcmp(map[i].name, args[1]) != 0)
			continue;
		h->flags_set |= map[i].bit;
		h->flags = ctx->inverse ? h->flags & ~map[i].bit : h->flags | map[i].bit;
		return CFG_OK;
	}
	memprintf(err, "internal error: option '%s' has no flag.", args[1]);
	return CFG_ALERT;
}

/* Reads "except <net>" or "header <name>" at args[*i] of the option line.
 * Returns 1 when args[*i] is neither, 0 when consumed, -1 on error.
 */
static int parse_fwd_word(char **args, int nargs, int *i, struct hl_net *net, char **hdr,
                          char **err)
{
	const char *w = args[*i];
	const char *v = *i + 1 < nargs ? args[*i + 1] : "";

	if (!strcmp(w, "except")) {
		if (!*v || hl_net_parse(v, net) < 0) {
			memprintf(err, "'%s %s %s' expects <address>[/mask] as argument.", args[0],
			          args[1], w);
			return -1;
		}
	} else if (!strcmp(w, "header")) {
		if (!*v) {
			memprintf(err, "'%s %s %s' expects <header_name> as argument.", args[0],
			          args[1], w);
			return -1;
		}
		free(*hdr);
		*hdr = xstrdup(v);
	} else {
		return 1;
	}
	*i += 2;
	return 0;
}

/* option forwardfor [except <net>] [header <name>] [if-none]
 * option originalto [except <net>] [header <name>]
 * Each use starts again from the default header and no exception.
 */
static int parse_opt_fwd(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_http *h = &ctx->px->http;
	int is_ff = !strcmp(args[1], "forwardfor");
	char *hdr = xstrdup(is_ff ? "X-Forwarded-For" : "X-Original-To");
	struct hl_net net = {0};
	int if_none = 0;

	for (int i = 2; i < nargs;) {
		int r = parse_fwd_word(args, nargs, &i, &net, &hdr, err);
		if (r == 1 && is_ff && !strcmp(args[i], "if-none")) {
			if_none = 1;
			i++;
			continue;
		}
		if (r == 1)
			memprintf(
			    err, "'%s %s' only supports optional values: %s.", args[0], args[1],
			    is_ff ? "'except', 'header' and 'if-none'" : "'except' and 'header'");
		if (r != 0) {
			free(hdr);
			return CFG_ALERT;
		}
	}
	free(is_ff ? h->fwdfor_hdr : h->origto_hdr);
	if (is_ff) {
		h->fwdfor_hdr = hdr;
		h->fwdfor_except = net;
		h->fwdfor_if_none = if_none;
	} else {
		h->origto_hdr = hdr;
		h->origto_except = net;
	}
	return CFG_OK;
}

/* http-reuse never|safe|aggressive|always */
static int parse_http_reuse(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	/* in the order of enum http_reuse_mode */
	static const char *const names[] = {"safe", "never", "aggressive", "always"};

	for (size_t i = 0; nargs > 1 && i < ARRAY_SIZE(names); i++) {
		if (strcmp(args[1], names[i]) != 0)
			continue;
		if (no_extra_arg(args, nargs, 2, 2, err) < 0)
			return CFG_ALERT;
		ctx->px->http.reuse = (enum http_reuse_mode)i;
		return CFG_OK;
	}
	memprintf(err, "'%s' only supports 'never', 'safe', 'aggressive', 'always'.", args[0]);
	return CFG_ALERT;
}

/* monitor-uri <uri>: the last one wins. */
static int parse_monitor_uri(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (no_extra_arg(args, nargs, 1, 2, err) < 0)
		return CFG_ALERT;
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'%s' expects an URI.", args[0]);
		return CFG_ALERT;
	}
	free(ctx->px->http.monitor_uri);
	ctx->px->http.monitor_uri = xstrdup(args[1]);
	return CFG_OK;
}

#define HTTP_PX(n, c, fn, fl)                                                                      \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = c, .parse = fn,                          \
		.flags = KWF_CAP_WARN | (fl)                                                       \
	}
#define HTTP_TIME(n, f)                                                                            \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = PX_CAP_ALL, .type = KWT_UINT_TIME,       \
		.offset = offsetof(struct proxy, to.f), .flags = KWF_CAP_WARN                      \
	}
#define DEF_FE (PX_CAP_DEF | PX_CAP_FE)
#define DEF_BE (PX_CAP_DEF | PX_CAP_BE)

static const struct cfg_kw http_proxy_kws[] = {
    HTTP_PX("option http-keep-alive", PX_CAP_ALL, parse_opt_conn_mode, KWF_NO),
    HTTP_PX("option http-server-close", PX_CAP_ALL, parse_opt_conn_mode, KWF_NO),
    HTTP_PX("option httpclose", PX_CAP_ALL, parse_opt_conn_mode, KWF_NO),
    HTTP_PX("option http-buffer-request", PX_CAP_ALL, parse_opt_http_flag, KWF_NO),
    HTTP_PX("option http-no-delay", PX_CAP_ALL, parse_opt_http_flag, KWF_NO),
    HTTP_PX("option accept-invalid-http-request", DEF_FE, parse_opt_http_flag, KWF_NO),
    HTTP_PX("option accept-invalid-http-response", DEF_BE, parse_opt_http_flag, KWF_NO),
    HTTP_PX("option h1-case-adjust-bogus-client", DEF_FE, parse_opt_http_flag, KWF_NO),
    HTTP_PX("option h1-case-adjust-bogus-server", DEF_BE, parse_opt_http_flag, KWF_NO),
    HTTP_PX("option http-ignore-probes", DEF_FE, parse_opt_http_flag, KWF_NO),
    HTTP_PX("option forwardfor", PX_CAP_ALL, parse_opt_fwd, 0),
    HTTP_PX("option originalto", PX_CAP_ALL, parse_opt_fwd, 0),
    HTTP_PX("http-reuse", DEF_BE, parse_http_reuse, 0),
    HTTP_PX("monitor-uri", DEF_FE, parse_monitor_uri, 0),
    HTTP_TIME("timeout http-request", http_request),
    HTTP_TIME("timeout http-keep-alive", http_keep_alive),
    HTTP_TIME("timeout tarpit", tarpit),
};
CFG_REGISTER_KEYWORDS(http_proxy_kws)

/* pool-max-conn <n> (-1: unlimited), pool-low-conn <n> */
static int sopt_pool_conn(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server_cfg *c = &((struct server *)ctx->target)->cfg;
	char *end = NULL;

	if (!strcmp(args[0], "pool-low-conn"))
		return cfg_opt_int(args[0], args[1], 0, INT_MAX, &c->pool_low_conn, err);
	long v = strtol(args[1], &end, 10);
	if (*args[1] && !*end && v < -1) {
		memprintf(err, "'%s' must be >= -1.", args[0]);
		return CFG_ALERT;
	}
	return cfg_opt_int(args[0], args[1], -1, INT_MAX, &c->pool_max_conn, err);
}

/* pool-purge-delay <time> */
static int sopt_pool_purge_delay(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server_cfg *c = &((struct server *)ctx->target)->cfg;
	const char *bad = NULL;
	enum parse_status st = parse_time_ms(args[1], &c->pool_purge_delay, &bad);

	if (st == PARSE_OK)
		return CFG_OK;
	if (st == PARSE_OVERFLOW)
		memprintf(err,
		          "timer overflow in argument '%s' to '%s' (maximum value is %u ms or "
		          "~24.8 days).",
		          args[1], args[0], TIME_MAX_MS);
	else if (st == PARSE_BAD_CHAR)
		memprintf(err, "unexpected character '%c' in argument to <%s>.",
		          bad && *bad ? *bad : '?', args[0]);
	else
		memprintf(err, "invalid time '%s' for '%s'.", args[1], args[0]);
	return CFG_ALERT;
}

static const struct cfg_kw http_server_opts[] = {
    {.name = "pool-max-conn", .sections = SECT_SRVOPT, .parse = sopt_pool_conn, .nvals = 1},
    {.name = "pool-low-conn", .sections = SECT_SRVOPT, .parse = sopt_pool_conn, .nvals = 1},
    {.name = "pool-purge-delay",
     .sections = SECT_SRVOPT,
     .parse = sopt_pool_purge_delay,
     .nvals = 1},
};
CFG_REGISTER_KEYWORDS(http_server_opts)

/* tune.maxrewrite <n>, tune.http.maxhdr <n>: values are read as HAProxy
 * reads them (leading digits).
 */
static int parse_tune_http(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct global_cfg *g = &ctx->cfg->global;

	if (no_extra_arg(args, nargs, 1, 2, err) < 0)
		return CFG_ALERT;
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'%s' expects an integer argument.", args[0]);
		return CFG_ALERT;
	}
	long v = strtol(args[1], NULL, 10);
	if (!strcmp(args[0], "tune.http.maxhdr")) {
		if (v < 1 || v > 32767) {
			memprintf(err, "'%s' expects a numeric value between 1 and 32767", args[0]);
			return CFG_ALERT;
		}
		g->tune_http_maxhdr = (int)v;
		return CFG_OK;
	}
	if (v < 0) {
		memprintf(err, "'%s' expects a positive integer argument.", args[0]);
		return CFG_ALERT;
	}
	g->tune_maxrewrite = v > INT_MAX ? INT_MAX : (uint32_t)v;
	g->tune_maxrewrite_set = 1;
	return CFG_OK;
}

/* Returns the h1-case-adjust map of <cfg>, creating it. */
static struct h1_case_map *case_map(struct config *cfg)
{
	if (!cfg->global.h1_case_adjust)
		cfg->global.h1_case_adjust = xcalloc(1, sizeof(struct h1_case_map));
	return cfg->global.h1_case_adjust;
}

/* h1-case-adjust <from> <to> */
static int parse_h1_case_adjust(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (no_extra_arg(args, nargs, 1, 3, err) < 0)
		return CFG_ALERT;
	if (nargs < 3 || !*args[1] || !*args[2]) {
		memprintf(err, "'%s' expects <from> and <to> as argument.", args[0]);
		return CFG_ALERT;
	}
	return h1_case_map_add(case_map(ctx->cfg), args[1], args[2], err) < 0 ? CFG_ALERT : CFG_OK;
}

/* h1-case-adjust-file <file>: only the last one is loaded, at validation. */
static int parse_h1_case_adjust_file(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (no_extra_arg(args, nargs, 1, 2, err) < 0)
		return CFG_ALERT;
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'%s' expects <file> as argument.", args[0]);
		return CFG_ALERT;
	}
	struct h1_case_map *m = case_map(ctx->cfg);
	free(m->file);
	m->file = xstrdup(args[1]);
	return CFG_OK;
}

#define HTTP_G(n, fn)                                                                              \
	{                                                                                          \
		.name = n, .sections = SECT_GLOBAL, .parse = fn                                    \
	}
static const struct cfg_kw http_global_kws[] = {
    HTTP_G("tune.maxrewrite", parse_tune_http),
    HTTP_G("tune.http.maxhdr", parse_tune_http),
    HTTP_G("h1-case-adjust", parse_h1_case_adjust),
    HTTP_G("h1-case-adjust-file", parse_h1_case_adjust_file),
};
CFG_REGISTER_KEYWORDS(http_global_kws)

/* Warns about the HTTP settings a TCP proxy ignores, as HAProxy does. */
static int warn_tcp_proxy(struct config *cfg, struct proxy *px)
{
	static const struct {
		const char *name;
		unsigned bit, cap;
	} opts[] = {
	    {"http-buffer-request", PXH_BUFFER_REQUEST, PX_CAP_LISTEN},
	    {"accept-invalid-http-request", PXH_ACCEPT_INV_REQ, PX_CAP_FE},
	    {"accept-invalid-http-response", PXH_ACCEPT_INV_RSP, PX_CAP_BE},
	    {"http-no-delay", PXH_NO_DELAY, PX_CAP_LISTEN},
	    {"http-ignore-probes", PXH_IGNORE_PROBES, PX_CAP_FE},
	};
	const char *type = proxy_type_str(px);

	if (px->mode == PX_MODE_HTTP)
		return 0;
	if ((px->cap & PX_CAP_FE) && px->http.monitor_uri)
		ha_warning(
		    "config : monitor-uri will be ignored for %s '%s' (needs 'mode http').\n", type,
		    px->id);
	if (px->http.fwdfor_hdr)
		ha_warning("config : 'option forwardfor' ignored for %s '%s' as it requires HTTP "
		           "mode.\n",
		           type, px->id);
	if (px->http.origto_hdr)
		ha_warning("config : 'option originalto' ignored for %s '%s' as it requires HTTP "
		           "mode.\n",
		           type, px->id);
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if ((px->cap & opts[i].cap) && (px->http.flags & opts[i].bit))
			ha_warning("config : 'option %s' ignored for %s '%s' as it requires HTTP "
			           "mode.\n",
			           opts[i].name, type, px->id);
	return 0;
}

/* Resolves tune.maxrewrite and loads the h1-case-adjust-file. */
static int check_http_global(struct config *cfg)
{
	struct global_cfg *g = &cfg->global;

	g->tune_maxrewrite = http_maxrewrite(g);
	if (g->h1_case_adjust && g->h1_case_adjust->file)
		return h1_case_map_load(g->h1_case_adjust);
	return 0;
}

static struct cfg_checker http_checker = {.config = check_http_global, .proxy = warn_tcp_proxy};
CFG_REGISTER_CHECKER(http_checker)
