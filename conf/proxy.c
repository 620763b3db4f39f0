/* Proxy sections (defaults, frontend, backend, listen), inheritance from
 * defaults sections, and the proxy keywords that do not belong to a more
 * specific module.
 */
#include "conf/proxy.h"
#include "conf/rules.h"
#include "common/logfmt.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/http.h"
#include "conf/kw.h"
#include "conf/lb-registry.h"
#include "conf/parser.h"

static struct lb_algo *lb_algos;

void lb_register_algo(struct lb_algo *algo)
{
	algo->next = lb_algos;
	lb_algos = algo;
}

const struct lb_algo *lb_find_algo(const char *name)
{
	for (const struct lb_algo *a = lb_algos; a; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* Printable type of a proxy with capabilities <cap>, as HAProxy names it. */
static const char *cap_type_str(unsigned cap)
{
	if (cap & PX_CAP_DEF)
		return "defaults";
	if ((cap & PX_CAP_LISTEN) == PX_CAP_LISTEN)
		return "proxy";
	return (cap & PX_CAP_FE) ? "frontend" : "backend";
}

const char *proxy_type_str(const struct proxy *px)
{
	return cap_type_str(px->cap);
}

struct proxy *proxy_find(struct config *cfg, const char *name, unsigned cap)
{
	for (struct proxy *px = cfg->proxies; px; px = px->next)
		if ((px->cap & cap) && strcmp(px->id, name) == 0)
			return px;
	return NULL;
}

static struct proxy *defaults_find(struct config *cfg, const char *name)
{
	struct proxy *found = NULL;
	for (struct proxy *px = cfg->defaults; px; px = px->next)
		if (px->id && strcmp(px->id, name) == 0)
			found = px;
	return found;
}

/* Settings every proxy starts with before inheriting. */
static void proxy_set_builtin_defaults(struct proxy *px)
{
	px->mode = PX_MODE_TCP;
	px->retries = 3;
	px->defsrv.weight = 1;
	px->defsrv.pool_max_conn = -1;
	px->defsrv.pool_purge_delay = 5000;
	px->lb.algo = lb_find_algo("roundrobin");
}

/* Copies the inheritable settings of defaults section <def> into <px>. */
static void proxy_inherit(struct proxy *px, const struct proxy *def)
{
	px->mode = def->mode;
	px->to = def->to;
	px->maxconn = def->maxconn;
	px->fullconn = def->fullconn;
	px->retries = def->retries;
	px->redispatch_interval = def->redispatch_interval;
	px->options = def->options;
	px->lb = def->lb;
	px->lb.arg = def->lb.arg ? xstrdup(def->lb.arg) : NULL;
	px->defsrv = def->defsrv;
	px->source = def->source;
	px->source.hostname = def->source.hostname ? xstrdup(def->source.hostname) : NULL;
	px->source_set = def->source_set;
	px->default_backend_name =
		def->default_backend_name ? xstrdup(def->default_backend_name) : NULL;
	http_inherit(&px->http, &def->http);
	px->httpchk = def->httpchk;
	px->httpchk.own_expects = 0;
	px->httpchk.send_seen = 0;
	px->httpchk.own = 0;
	px->httpchk.own_vars = 0;
	px->tcp_req_inspect_delay = def->tcp_req_inspect_delay;
	px->tcp_res_inspect_delay = def->tcp_res_inspect_delay;
	px->load_state = def->load_state;
	px->sess_rate_lim = def->sess_rate_lim;
	px->state_file_name = def->state_file_name ? xstrdup(def->state_file_name) : NULL;
	px->tcpchk = def->tcpchk;
	px->tcpchk.own_rules = 0;
	px->stats = def->stats;
	log_inherit(&px->log, &def->log);
	px->defaults = (struct proxy *)def;
}

/* Checks the characters of a proxy name. */
static int check_name(const char *type, const char *name, char **err)
{
	if (!*name) {
		memprintf(err, "'%s' expects an <id> argument", type);
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("-_.:", *p)) {
			memprintf(err, "character '%c' is not permitted in '%s' name '%s'.", *p, type,
				  name);
			return -1;
		}
	}
	return 0;
}

/* Reports a name already used by a proxy sharing a capability. */
static int check_unique(struct cfg_ctx *ctx, const char *name, unsigned cap, char **err)
{
	struct proxy *other = proxy_find(ctx->cfg, name, cap & PX_CAP_LISTEN);
	if (!other)
		return 0;
	memprintf(err, "%s '%s' has the same name as %s '%s' declared at %s:%d.", cap_type_str(cap),
	          name, proxy_type_str(other), other->id, other->file, other->line);
	return -1;
}

/* Appends <px> at the end of list <head>. */
static void proxy_append(struct proxy **head, struct proxy *px)
{
	while (*head)
		head = &(*head)->next;
	*head = px;
}

/* Checks the words after the name of a proxy header (<name_words> words
 * are the type and the name): only "from <defaults>" may follow. Sets
 * *<from> to the defaults name, if any.
 */
static int check_header_tail(char **args, int nargs, int name_words, unsigned cap,
                             const char **from, char **err)
{
	*from = NULL;
	if (nargs == name_words)
		return 0;
	if (strcmp(args[name_words], "from") == 0) {
		if (nargs == name_words + 2) {
			*from = args[name_words + 1];
			return 0;
		}
		if (nargs == name_words + 1)
			memprintf(err, "'%s' : 'from' expects a defaults section name.", args[0]);
		else
			memprintf(err, "'%s' cannot handle unexpected argument '%s'.", args[0],
			          args[name_words + 2]);
		return -1;
	}
	/* HAProxy ignores these words with an alert; they are refused here */
	if (cap & PX_CAP_FE)
		memprintf(err, "please use the 'bind' keyword for listening addresses.");
	else
		memprintf(err, "'%s' cannot handle unexpected argument '%s'.", args[0],
		          args[name_words]);
	return -1;
}

/* Capabilities of proxy section type <type>. */
static unsigned section_cap(const char *type)
{
	if (strcmp(type, "frontend") == 0)
		return PX_CAP_FE;
	if (strcmp(type, "backend") == 0)
		return PX_CAP_BE;
	if (strcmp(type, "listen") == 0)
		return PX_CAP_LISTEN;
	return PX_CAP_DEF;
}

/* Creates the proxy of a section header and makes it current: it starts
 * from the built-in settings, then copies those of defaults section <def>
 * (may be NULL).
 */
static struct proxy *proxy_new(struct cfg_ctx *ctx, const char *name, unsigned cap,
                               const struct proxy *def)
{
	struct proxy *px = xcalloc(1, sizeof(*px));
	px->id = xstrdup(name);
	px->cap = cap;
	px->file = xstrdup(ctx->file);
	px->line = ctx->line;
	proxy_set_builtin_defaults(px);
	if (def)
		proxy_inherit(px, def);
	if (cap == PX_CAP_DEF) {
		proxy_append(&ctx->cfg->defaults, px);
		ctx->cfg->cur_defaults = px;
	} else {
		proxy_append(&ctx->cfg->proxies, px);
	}
	ctx->px = px;
	return px;
}

/* Header of a proxy section: "<type> <name> [from <defaults>]". A defaults
 * section starts from the built-in settings unless "from" names another one
 * (it never inherits from the previous defaults section); other proxies
 * inherit from the last defaults section, or from the one "from" names.
 */
static int proxy_begin(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *type = args[0];
	unsigned cap = section_cap(type);
	const char *name = nargs > 1 ? args[1] : "";
	const char *from = NULL;
	int is_def = cap == PX_CAP_DEF;

	int name_words = nargs > 1 ? 2 : 1;
	if (nargs > 1 && strcmp(args[1], "from") == 0 && is_def) {
		name = ""; /* anonymous defaults inheriting from a named one */
		name_words = 1;
	}
	if (check_header_tail(args, nargs, name_words, cap, &from, err) < 0)
		return CFG_ALERT;
	if ((!is_def || *name) && check_name(type, name, err) < 0)
		return CFG_ALERT;
	if (!is_def && check_unique(ctx, name, cap, err) < 0)
		return CFG_ALERT;

	struct proxy *def = is_def ? NULL : ctx->cfg->cur_defaults;
	if (from) {
		def = defaults_find(ctx->cfg, from);
		if (!def) {
			memprintf(err, "defaults section '%s' not found for %s '%s'.", from, type,
			          name);
			return CFG_ALERT;
		}
	}
	proxy_new(ctx, name, cap, def);
	return CFG_OK;
}

static struct cfg_section defaults_section = {"defaults", SECT_DEFAULTS, proxy_begin};
static struct cfg_section frontend_section = {"frontend", SECT_FRONTEND, proxy_begin};
static struct cfg_section backend_section = {"backend", SECT_BACKEND, proxy_begin};
static struct cfg_section listen_section = {"listen", SECT_LISTEN, proxy_begin};
CFG_REGISTER_SECTION(defaults_section)
CFG_REGISTER_SECTION(frontend_section)
CFG_REGISTER_SECTION(backend_section)
CFG_REGISTER_SECTION(listen_section)

/* mode tcp|http */
static int parse_mode(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'mode' expects one of 'tcp' or 'http'.");
		return CFG_ALERT;
	}
	if (strcmp(args[1], "tcp") == 0) {
		ctx->px->mode = PX_MODE_TCP;
		return CFG_OK;
	}
	if (strcmp(args[1], "http") == 0) {
		ctx->px->mode = PX_MODE_HTTP;
		return CFG_OK;
	}
	if (strcmp(args[1], "log") == 0 ||
	    strcmp(args[1], "spop") == 0) {
		memprintf(err, "'mode %s' is not supported yet.", args[1]);
		return CFG_ALERT;
	}
	memprintf(err, "unknown proxy mode '%s'.", args[1]);
	return CFG_ALERT;
}

/* balance <algo>[(<arg>)] [<args>...] */
static int parse_balance(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	static const char *const known[] = {"roundrobin", "static-rr", "leastconn", "first",
					    "source",     "uri",       "url_param", "hdr",
					    "random",     "rdp-cookie", "hash",     "log-hash",
					    "sticky"};
	if (nargs < 2) {
		memprintf(err, "'balance' expects an algorithm name.");
		return CFG_ALERT;
	}
	char *name = xstrdup(args[1]);
	char *paren = strchr(name, '(');
	char *parg = NULL;
	if (paren)
		*paren = 0;
	const struct lb_algo *algo = lb_find_algo(name);
	if (paren) {
		size_t l = strlen(paren + 1);
		if (!l || paren[l] != ')') {
			if (algo && algo->unclosed_err)
				memprintf(err, "balance %s", algo->unclosed_err);
			else
				memprintf(err, "'balance %s': missing closing parenthesis.", args[1]);
			free(name);
			return CFG_ALERT;
		}
		paren[l] = 0;
		parg = paren + 1;
	}
	if (!algo) {
		int is_known = 0;
		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			is_known |= strcmp(known[i], name) == 0;
		if (is_known)
			memprintf(err, "'balance %s' is not supported yet.", name);
		else
			memprintf(err, "%s", LB_UNKNOWN_ALGO_ERR);
		free(name);
		return CFG_ALERT;
	}
	struct lb_cfg lb = ctx->px->lb;
	lb.algo = algo;
	lb.arg = NULL;
	lb.arg_int = lb.arg_opt = lb.arg_len = lb.arg_depth = 0;
	if (algo->parse && algo->parse(&lb, parg, args + 2, nargs - 2, err) < 0) {
		free(name);
		return CFG_ALERT;
	}
	if (!algo->parse && (parg || nargs > 2)) {
		memprintf(err, "'balance %s' takes no argument.", name);
		free(name);
		return CFG_ALERT;
	}
	free(ctx->px->lb.arg);
	ctx->px->lb = lb;
	free(name);
	return CFG_OK;
}

/* default_backend <name> */
static int parse_default_backend(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'%s' expects a backend name.", args[0]);
		return CFG_ALERT;
	}
	free(ctx->px->default_backend_name);
	ctx->px->default_backend_name = xstrdup(args[1]);
	return CFG_OK;
}

/* use_backend <name> [if|unless <cond>]: the name may be a log-format
 * ("%[...]") computed for each request.
 */
static int parse_use_backend(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 2) {
		memprintf(err, "'%s' expects a backend name.", args[0]);
		return CFG_ALERT;
	}
	struct switching_rule *r = xcalloc(1, sizeof(*r));
	char *e2 = NULL;
	int ci = acl_find_cond(proxy_acl_scope(ctx->px), args + 2, nargs - 2, ctx->file, ctx->line,
			       &r->cond, &e2);
	if (ci != 0 && ci != nargs - 2) {
		if (ci < 0)
			memprintf(err, "error detected while parsing switching rule : %s.", e2);
		else
			memprintf(err, "'use_backend': unexpected word '%s'; expects 'if' or 'unless'.",
				  args[2]);
		acl_cond_free(r->cond);
		free(e2);
		free(r);
		return CFG_ALERT;
	}
	if (strchr(args[1], '%')) {
		struct smp_where w = {SMP_CK_HTTP_REQ, ctx->file, ctx->line, ctx->px};
		r->dyn_name = logfmt_parse_http(args[1], &w, &e2);
		if (!r->dyn_name) {
			memprintf(err, "use_backend : %s.", e2);
			acl_cond_free(r->cond);
			free(e2);
			free(r);
			return CFG_ALERT;
		}
		if (logfmt_is_const(r->dyn_name)) { /* "%%" only: a plain name */
			logfmt_free(r->dyn_name);
			r->dyn_name = NULL;
		}
	}
	r->be_name = xstrdup(args[1]);
	r->file = xstrdup(ctx->file);
	r->line = ctx->line;
	struct switching_rule **tail = &ctx->px->switching_rules;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	return rule_cond_check(r->cond, SMP_CK_HTTP_REQ, "frontend use-backend rule", NULL,
	                       ctx->file, ctx->line);
}

/* id <number>: the proxy's unique numeric id */
static int parse_px_id(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	char *end = NULL;
	long v = nargs == 2 ? strtol(args[1], &end, 10) : 0;
	if (nargs != 2 || *end || v <= 0 || v > 0x7fffffff) {
		memprintf(err, "'id' expects a positive integer.");
		return CFG_ALERT;
	}
	for (struct proxy *p = ctx->cfg->proxies; p; p = p->next) {
		if (p != ctx->px && p->uuid_set && p->uuid == v) {
			memprintf(err, "%s %s reuses same custom id as %s %s (declared at %s:%d).",
			          proxy_type_str(ctx->px), ctx->px->id, proxy_type_str(p), p->id,
			          p->file, p->line);
			return CFG_ALERT;
		}
	}
	ctx->px->uuid = (int)v;
	ctx->px->uuid_set = 1;
	return CFG_OK;
}

/* disabled / enabled */
static int parse_disabled(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 1) {
		memprintf(err, "'%s' takes no argument.", args[0]);
		return CFG_ALERT;
	}
	ctx->px->disabled = args[0][0] == 'd';
	return CFG_OK;
}

static int parse_px_description(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 2) {
		memprintf(err, "'description' expects a string argument.");
		return CFG_ALERT;
	}
	char *d = cfg_join_words(args, 1, nargs);
	free(ctx->px->description);
	ctx->px->description = d;
	return CFG_OK;
}

/* option redispatch [<interval>]: redispatch on every <interval>-th retry
 * (> 0), or on the <interval>-th retry before the last (< 0, default -1: the
 * last one); 0 disables it like "no option redispatch". "default option
 * redispatch" restores the built-in setting (disabled).
 */
static int parse_opt_redispatch(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct proxy *px = ctx->px;
	int interval = -1;
	if (nargs > 3) {
		memprintf(err, "'option redispatch' cannot handle unexpected argument '%s'.",
		          args[3]);
		return CFG_ALERT;
	}
	if (nargs == 3) {
		char *end = NULL;
		long v = strtol(args[2], &end, 10);
		if (!*args[2] || *end || v < -1000 || v > 1000) {
			memprintf(err,
			          "'option redispatch' expects an integer interval between "
			          "-1000 and 1000, got '%s'.",
			          args[2]);
			return CFG_ALERT;
		}
		interval = (int)v;
	}
	px->options_set |= PXO_REDISPATCH;
	if (ctx->inverse || ctx->reset || interval == 0) {
		px->options &= ~PXO_REDISPATCH;
		px->redispatch_interval = 0;
	} else {
		px->options |= PXO_REDISPATCH;
		px->redispatch_interval = interval;
	}
	return CFG_OK;
}

/* Simple boolean "option <name>" mapped to a PXO_* bit. */
static int parse_opt_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} map[] = {
		{"splice-auto", PXO_SPLICE_AUTO}, {"splice-request", PXO_SPLICE_REQ},
		{"splice-response", PXO_SPLICE_RSP}, {"allbackups", PXO_ALLBACKUPS},
		{"tcpka", PXO_TCPKA | PXO_CLITCPKA | PXO_SRVTCPKA}, {"clitcpka", PXO_CLITCPKA},
		{"srvtcpka", PXO_SRVTCPKA},
	};
	if (nargs != 2) {
		memprintf(err, "'option %s' cannot handle unexpected argument '%s'.", args[1],
		          args[2]);
		return CFG_ALERT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (strcmp(map[i].name, args[1]) != 0)
			continue;
		ctx->px->options_set |= map[i].bit;
		if (ctx->inverse)
			ctx->px->options &= ~map[i].bit;
		else
			ctx->px->options |= map[i].bit;
		return CFG_OK;
	}
	memprintf(err, "internal error: option '%s' has no flag.", args[1]);
	return CFG_ALERT;
}

/* Proxy keywords. KWF_CAP_WARN marks those that HAProxy only warns about
 * (and ignores) in a proxy lacking the capability they need.
 */
#define PX_KW(n, c, fn, fl) {.name = n, .sections = SECT_PROXY, .cap = c, .parse = fn, .flags = fl}
#define PX_OPT(n, c, fn, fl)                                                                       \
	{.name = n, .sections = SECT_PROXY, .cap = c, .parse = fn, .flags = KWF_CAP_WARN | (fl)}
#define PX_INT(n, c, f, lo, hi)                                                                    \
	{.name = n, .sections = SECT_PROXY, .cap = c, .type = KWT_INT,                             \
	 .offset = offsetof(struct proxy, f), .min = lo, .max = hi, .flags = KWF_CAP_WARN}
#define PX_TIME(n, c, f)                                                                           \
	{.name = n, .sections = SECT_PROXY, .cap = c, .type = KWT_UINT_TIME,                       \
	 .offset = offsetof(struct proxy, to.f), .flags = KWF_CAP_WARN}

static const struct cfg_kw proxy_kws[] = {
	PX_KW("mode", PX_CAP_ALL, parse_mode, 0),
	PX_KW("balance", PX_CAP_DEF | PX_CAP_BE, parse_balance, KWF_CAP_WARN),
	PX_KW("default_backend", PX_CAP_DEF | PX_CAP_FE, parse_default_backend, KWF_CAP_WARN),
	PX_KW("use_backend", PX_CAP_FE, parse_use_backend, KWF_CAP_WARN),
	PX_KW("id", PX_CAP_FE | PX_CAP_BE, parse_px_id, 0),
	PX_KW("disabled", PX_CAP_ALL, parse_disabled, 0),
	PX_KW("enabled", PX_CAP_ALL, parse_disabled, 0),
	PX_KW("description", PX_CAP_FE | PX_CAP_BE, parse_px_description, 0),
	PX_INT("maxconn", PX_CAP_DEF | PX_CAP_FE, maxconn, 0, 0x7fffffff),
	PX_INT("fullconn", PX_CAP_DEF | PX_CAP_BE, fullconn, 0, 0x7fffffff),
	PX_INT("retries", PX_CAP_DEF | PX_CAP_BE, retries, 0, 1000),
	PX_TIME("timeout client", PX_CAP_DEF | PX_CAP_FE, client),
	PX_TIME("timeout client-fin", PX_CAP_DEF | PX_CAP_FE, client_fin),
	PX_TIME("timeout server", PX_CAP_DEF | PX_CAP_BE, server),
	PX_TIME("timeout server-fin", PX_CAP_DEF | PX_CAP_BE, server_fin),
	PX_TIME("timeout connect", PX_CAP_DEF | PX_CAP_BE, connect),
	PX_TIME("timeout queue", PX_CAP_DEF | PX_CAP_BE, queue),
	PX_TIME("timeout tunnel", PX_CAP_DEF | PX_CAP_BE, tunnel),
	/* like HAProxy 2.6: "default" only for redispatch, neither prefix for tcpka */
	PX_OPT("option redispatch", PX_CAP_DEF | PX_CAP_BE, parse_opt_redispatch,
	       KWF_NO | KWF_DEFAULT),
	PX_OPT("option splice-auto", PX_CAP_ALL, parse_opt_flag, KWF_NO),
	PX_OPT("option splice-request", PX_CAP_ALL, parse_opt_flag, KWF_NO),
	PX_OPT("option splice-response", PX_CAP_ALL, parse_opt_flag, KWF_NO),
	PX_OPT("option allbackups", PX_CAP_DEF | PX_CAP_BE, parse_opt_flag, KWF_NO),
	PX_OPT("option tcpka", PX_CAP_ALL, parse_opt_flag, 0),
	PX_OPT("option clitcpka", PX_CAP_DEF | PX_CAP_FE, parse_opt_flag, KWF_NO),
	PX_OPT("option srvtcpka", PX_CAP_DEF | PX_CAP_BE, parse_opt_flag, KWF_NO),
};
CFG_REGISTER_KEYWORDS(proxy_kws)
