/* Parsing of rule sets, their actions and ACL lines (see conf/rules.h). */
#include "conf/rules.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "conf/proxy.h"

static struct act_kw_list *act_lists;

void act_register_keywords(struct act_kw_list *l)
{
	l->next = act_lists;
	act_lists = l;
}

static const char *const rs_names[RS_NUM] = {
    [RS_TCP_CONN] = "tcp-request connection", [RS_TCP_SESS] = "tcp-request session",
    [RS_TCP_REQ] = "tcp-request content",     [RS_TCP_RES] = "tcp-response content",
    [RS_HTTP_REQ] = "http-request",           [RS_HTTP_RES] = "http-response",
    [RS_HTTP_AFTER] = "http-after-response",
};

const char *ruleset_name(enum ruleset rs)
{
	return rs < RS_NUM ? rs_names[rs] : "?";
}

enum smp_checkpoint ruleset_checkpoint(enum ruleset rs, const struct proxy *px)
{
	int be = px && !(px->cap & PX_CAP_FE);
	switch (rs) {
	case RS_TCP_CONN:
		return SMP_CK_TCP_CONN;
	case RS_TCP_SESS:
		return SMP_CK_TCP_SESS;
	case RS_TCP_REQ:
		return be ? SMP_CK_BE_REQ : SMP_CK_TCP_REQ;
	case RS_HTTP_REQ:
		return be ? SMP_CK_BE_REQ : SMP_CK_HTTP_REQ;
	case RS_TCP_RES:
		return SMP_CK_TCP_RES;
	default:
		return SMP_CK_HTTP_RES;
	}
}

const char *ruleset_where(enum ruleset rs, const struct proxy *px)
{
	int fe = !px || (px->cap & (PX_CAP_FE | PX_CAP_DEF));
	switch (rs) {
	case RS_TCP_CONN:
		return "frontend tcp-request connection rule";
	case RS_TCP_SESS:
		return "frontend tcp-request session rule";
	case RS_TCP_REQ:
		return fe ? "frontend tcp-request content rule"
		          : "backend tcp-request content rule";
	case RS_TCP_RES:
		return "backend tcp-response content rule";
	case RS_HTTP_REQ:
		return fe ? "frontend http-request header rule"
		          : "backend http-request header rule";
	default:
		return fe ? "frontend http-response header rule"
		          : "backend http-response header rule";
	}
}

int rule_cond_check(const struct acl_cond *c, enum smp_checkpoint ck, const char *where,
                    const char *tcp_set, const char *file, int line)
{
	const struct acl *a;
	const char *kw;
	enum acl_conflict k = c ? acl_cond_conflict(c, ck, &a, &kw) : ACL_CONFLICT_NONE;
	if (k == ACL_CONFLICT_NONE)
		return CFG_OK;
	int anon = acl_is_anonymous(a);
	if (k == ACL_CONFLICT_TERM && anon)
		ha_warning("config : " CFG_LOC_FMT "anonymous acl involves keyword '%s' which is "
		           "incompatible with '%s'\n",
		           file, line, kw, where);
	else if (k == ACL_CONFLICT_TERM) /* HAProxy's two wordings, kept */
		ha_warning("config : " CFG_LOC_FMT "acl '%s' involves %s '%s' which is "
		           "incompatible with '%s'\n",
		           file, line, a->name, tcp_set ? "keyword" : "keywords", kw, where);
	else if (anon)
		ha_warning("config : " CFG_LOC_FMT "anonymous acl will never match%s%s%s because "
		           "it uses keyword '%s' which is incompatible with '%s'\n",
		           file, line, tcp_set ? " in '" : "", tcp_set ? tcp_set : "",
		           tcp_set ? "'" : "", kw, where);
	else
		ha_warning("config : " CFG_LOC_FMT "acl '%s' will never match%s%s%s because it "
		           "only involves keywords that are incompatible with '%s'\n",
		           file, line, a->name, tcp_set ? " in '" : "", tcp_set ? tcp_set : "",
		           tcp_set ? "'" : "", where);
	return CFG_WARN;
}

struct acl_scope *proxy_acl_scope(struct proxy *px)
{
	static __thread struct acl_scope scope;
	scope.list = &px->acls;
	scope.px = px;
	return &scope;
}

/* Finds action <word> valid in <rs>; for a "name(" action, *inner gets
 * the text inside the parentheses (allocated). Sets *known when the name
 * exists but not in this rule set.
 */
static const struct act_kw *find_action(const char *word, enum ruleset rs, char **inner, int *known)
{
	*inner = NULL;
	*known = 0;
	for (const struct act_kw_list *l = act_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++) {
			const struct act_kw *kw = &l->kws[i];
			size_t n = strlen(kw->name);
			int paren = n && kw->name[n - 1] == '(';
			if (paren ? strncmp(word, kw->name, n) != 0 : strcmp(word, kw->name) != 0)
				continue;
			if (paren) {
				size_t wl = strlen(word);
				if (wl <= n || word[wl - 1] != ')')
					continue;
				*inner = xstrndup(word + n, wl - n - 1);
			}
			if (kw->rulesets & RS_F(rs))
				return kw;
			*known = 1;
			free(*inner);
			*inner = NULL;
		}
	return NULL;
}

/* "expects 'a', 'b', ... but got 'x'" listing the actions of <rs>. */
static void unknown_action(enum ruleset rs, const char *word, int known, char **err)
{
	if (known) {
		memprintf(err, "'%s %s' is not allowed in '%s' rules.", ruleset_name(rs), word,
		          ruleset_name(rs));
		return;
	}
	size_t len = 64;
	for (const struct act_kw_list *l = act_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++)
			len += strlen(l->kws[i].name) + 8;
	char *list = xcalloc(1, len);
	for (const struct act_kw_list *l = act_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++) {
			if (!(l->kws[i].rulesets & RS_F(rs)))
				continue;
			const char *n = l->kws[i].name;
			size_t nl = strlen(n);
			strcat(list, "'");
			strncat(list, n, n[nl - 1] == '(' ? nl - 1 : nl);
			strcat(list, n[nl - 1] == '(' ? "(*)', " : "', ");
		}
	memprintf(err, "'%s' expects %sbut got '%s'.", ruleset_name(rs), list, word);
	free(list);
}

/* HAProxy actions that Halyard refuses by name, with the reason (NULL:
 * not implemented yet, see refused_yet()). A name ending with '(' also
 * matches "name(<args>)" and the bare name.
 */
static const struct {
	const char *name;
	const char *why;
} refused_actions[] = {
    {"set-nice", "Halyard has no task priorities to change (streams are served in the order "
                 "their events arrive)"},
    {"track-sc0", "Halyard has no stick tables"},
    {"track-sc1", "Halyard has no stick tables"},
    {"track-sc2", "Halyard has no stick tables"},
    {"track-sc(", "Halyard has no stick tables"},
    {"sc-inc-gpc(", "Halyard has no stick tables"},
    {"sc-inc-gpc0(", "Halyard has no stick tables"},
    {"sc-inc-gpc1(", "Halyard has no stick tables"},
    {"sc-add-gpc(", "Halyard has no stick tables"},
    {"sc-set-gpt(", "Halyard has no stick tables"},
    {"sc-set-gpt0(", "Halyard has no stick tables"},
    {"do-resolve(", NULL},
    {"add-acl(", NULL},
    {"del-acl(", NULL},
    {"set-map(", NULL},
    {"del-map(", NULL},
};

/* Why the actions refused without a reason of their own are. */
static const char *refused_yet(const char *name)
{
	if (!strncmp(name, "do-resolve", 10))
		return "Halyard has no DNS resolvers to query at run time";
	return "the maps and ACL pattern files cannot be changed at run time";
}

/* Whether <word> names a refused action; sets *err naming it if so. */
static int refused_action(enum ruleset rs, const char *word, char **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(refused_actions); i++) {
		const char *n = refused_actions[i].name;
		size_t nl = strlen(n);
		int paren = n[nl - 1] == '(';
		if (paren ? strncmp(word, n, nl - 1) || (word[nl - 1] && word[nl - 1] != '(')
		          : strcmp(word, n))
			continue;
		const char *why = refused_actions[i].why;
		memprintf(err, "'%s %.*s' is not supported%s: %s.", ruleset_name(rs),
		          (int)(paren ? nl - 1 : nl), n, why ? "" : " yet",
		          why ? why : refused_yet(n));
		return 1;
	}
	return 0;
}

/* Rules whose parsing failed: kept (the configuration is refused anyway)
 * so that what their parser allocated is not reported as lost.
 */
static struct act_rule *refused_rules;

void act_rule_refused(struct act_rule *r)
{
	r->next = refused_rules;
	refused_rules = r;
}

static const char *proxy_kind(const struct proxy *px)
{
	return proxy_type_str(px);
}

/* Parses "<action> [args] [if|unless cond]" at args[0..nargs) for rule
 * set <rs> of the current proxy and appends the rule.
 */
static int parse_rule(struct cfg_ctx *ctx, enum ruleset rs, char **args, int nargs, char **err)
{
	struct proxy *px = ctx->px;
	if (nargs < 1) {
		memprintf(err, "'%s' expects an action.", ruleset_name(rs));
		return CFG_ALERT;
	}
	if ((px->cap & PX_CAP_DEF) && !*px->id) {
		memprintf(err, "'%s' not allowed in anonymous 'defaults' section.",
		          rs <= RS_TCP_RES ? (rs == RS_TCP_RES ? "tcp-response" : "tcp-request")
		                           : ruleset_name(rs));
		return CFG_ALERT;
	}
	char *inner = NULL;
	int known;
	const struct act_kw *kw = find_action(args[0], rs, &inner, &known);
	if (!kw) {
		if (!refused_action(rs, args[0], err))
			unknown_action(rs, args[0], known, err);
		return CFG_ALERT;
	}
	struct act_rule *r = xcalloc(1, sizeof(*r));
	r->kw = kw;
	r->rs = rs;
	r->px = px;
	r->file = xstrdup(ctx->file);
	r->line = ctx->line;
	char *e2 = NULL;
	int ci = 0; /* the action's words end at "if" or "unless" */
	while (ci < nargs - 1 && strcmp(args[1 + ci], "if") && strcmp(args[1 + ci], "unless"))
		ci++;
	char **aargs = args + 1;
	int naargs = ci;
	if (inner) { /* "name(x)": x comes first */
		aargs = xcalloc((size_t)ci + 2, sizeof(char *));
		aargs[0] = inner;
		memcpy(aargs + 1, args + 1, sizeof(char *) * (size_t)ci);
		naargs = ci + 1;
	}
	int ok = kw->parse(r, aargs, naargs, &e2);
	if (inner)
		free(aargs);
	if (!ok) {
		memprintf(err, "error detected in %s '%s' while parsing '%s %s' rule : %s.",
		          proxy_kind(px), px->id, ruleset_name(rs), args[0], e2 ? e2 : "invalid");
		goto fail;
	}
	/* the condition comes after the action, as in HAProxy: the lists an
	 * action names get their runtime API ids first
	 */
	free(e2);
	e2 = NULL;
	if (acl_find_cond(proxy_acl_scope(px), args + 1, nargs - 1, ctx->file, ctx->line, &r->cond,
	                  &e2) < 0) {
		memprintf(err, "error detected while parsing an '%s %s' condition : %s.",
		          ruleset_name(rs), args[0], e2);
		goto fail;
	}
	free(inner);
	free(e2);
	struct act_rule **tail = &px->rules[rs];
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	int ret = CFG_OK;
	if (rs == RS_HTTP_REQ && (px->redirect_rules || px->switching_rules)) {
		ha_warning("config : " CFG_LOC_FMT "a 'http-request' rule placed after a '%s' rule "
		           "will still be processed before.\n",
		           ctx->file, ctx->line, px->switching_rules ? "use_backend" : "redirect");
		ret = CFG_WARN;
	}
	if (rule_cond_check(r->cond, ruleset_checkpoint(rs, px), ruleset_where(rs, px),
	                    rs <= RS_TCP_RES ? ruleset_name(rs) : NULL, ctx->file,
	                    ctx->line) == CFG_WARN)
		ret = CFG_WARN;
	return ret;
fail:
	free(e2);
	free(inner);
	act_rule_refused(r);
	return CFG_ALERT;
}

static int parse_http_request(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	return parse_rule(ctx, RS_HTTP_REQ, args + 1, nargs - 1, err);
}

static int parse_http_response(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	return parse_rule(ctx, RS_HTTP_RES, args + 1, nargs - 1, err);
}

static int parse_http_after(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	return parse_rule(ctx, RS_HTTP_AFTER, args + 1, nargs - 1, err);
}

/* tcp-request connection|session|content|inspect-delay ... */
static int parse_tcp_request(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	static const struct {
		const char *word;
		enum ruleset rs;
		unsigned cap;
	} sets[] = {{"connection", RS_TCP_CONN, PX_CAP_FE},
	            {"session", RS_TCP_SESS, PX_CAP_FE},
	            {"content", RS_TCP_REQ, PX_CAP_FE | PX_CAP_BE}};
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		if (strcmp(args[1], sets[i].word) != 0)
			continue;
		if (!(ctx->px->cap & (sets[i].cap | PX_CAP_DEF))) {
			memprintf(err, "'tcp-request %s' is not allowed in %s '%s'.", args[1],
			          proxy_kind(ctx->px), ctx->px->id);
			return CFG_ALERT;
		}
		return parse_rule(ctx, sets[i].rs, args + 2, nargs - 2, err);
	}
	return CFG_ALERT;
}

/* tcp-response content <action> [args] [if|unless cond]: backends, listen
 * sections and named defaults (the keyword table restricts the sections).
 */
static int parse_tcp_response(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	return parse_rule(ctx, RS_TCP_RES, args + 2, nargs - 2, err);
}

/* tcp-request|tcp-response inspect-delay <time>: refused in anonymous
 * defaults sections (as rules are); a second definition (or one over an
 * inherited delay) is ignored with a warning.
 */
static int parse_inspect_delay(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	uint32_t ms;
	const char *bad = NULL;
	if (nargs != 3) {
		memprintf(err, "'%s %s' expects a positive delay in milliseconds, in proxy '%s'.",
		          args[0], args[1], ctx->px->id);
		return CFG_ALERT;
	}
	if ((ctx->px->cap & PX_CAP_DEF) && !*ctx->px->id) {
		memprintf(err, "'%s %s' not allowed in anonymous 'defaults' section.", args[0],
		          args[1]);
		return CFG_ALERT;
	}
	if (parse_time_ms(args[2], &ms, &bad) != PARSE_OK) {
		memprintf(err, "'%s %s' : invalid delay value '%s' in proxy '%s'.", args[0],
		          args[1], args[2], ctx->px->id);
		return CFG_ALERT;
	}
	uint32_t *slot = strcmp(args[0], "tcp-request") == 0 ? &ctx->px->tcp_req_inspect_delay
	                                                     : &ctx->px->tcp_res_inspect_delay;
	if (*slot) { /* the first one (possibly inherited) wins, as in HAProxy */
		memprintf(err, "ignoring %s %s (was already defined) in %s '%s'.", args[0], args[1],
		          proxy_kind(ctx->px), ctx->px->id);
		return CFG_WARN;
	}
	*slot = ms;
	return CFG_OK;
}

/* acl <name> <criterion> [flags] [operator] <value> ... */
static int parse_acl(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct proxy *px = ctx->px;
	if (nargs < 2) {
		memprintf(err, "'acl' expects an ACL name.");
		return CFG_ALERT;
	}
	if ((px->cap & PX_CAP_DEF) && !*px->id) {
		memprintf(err, "'acl' not allowed in anonymous 'defaults' section.");
		return CFG_ALERT;
	}
	for (const char *p = args[1]; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_.:", *p))) {
			memprintf(err, "character '%c' is not permitted in acl name '%s'.", *p,
			          args[1]);
			return CFG_ALERT;
		}
	char *e2 = NULL;
	if (!acl_parse_line(proxy_acl_scope(px), args[1], args + 2, nargs - 2, ctx->file, ctx->line,
	                    &e2)) {
		memprintf(err, "error detected while parsing ACL '%s' : %s.", args[1], e2);
		free(e2);
		return CFG_ALERT;
	}
	return CFG_OK;
}

#define RULE_KW(n, c, fn)                                                                          \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = c, .parse = fn                           \
	}

static const struct cfg_kw rule_kws[] = {
    RULE_KW("acl", PX_CAP_ALL, parse_acl),
    RULE_KW("http-request", PX_CAP_ALL, parse_http_request),
    RULE_KW("http-response", PX_CAP_ALL, parse_http_response),
    RULE_KW("http-after-response", PX_CAP_ALL, parse_http_after),
    RULE_KW("tcp-request connection", PX_CAP_DEF | PX_CAP_FE, parse_tcp_request),
    RULE_KW("tcp-request session", PX_CAP_DEF | PX_CAP_FE, parse_tcp_request),
    RULE_KW("tcp-request content", PX_CAP_ALL, parse_tcp_request),
    RULE_KW("tcp-request inspect-delay", PX_CAP_ALL, parse_inspect_delay),
    RULE_KW("tcp-response content", PX_CAP_DEF | PX_CAP_BE, parse_tcp_response),
    RULE_KW("tcp-response inspect-delay", PX_CAP_DEF | PX_CAP_BE, parse_inspect_delay),

};

CFG_REGISTER_KEYWORDS(rule_kws)

/* Refuses "tcp-response content" rules (its own or its defaults') in a
 * backend working in HTTP mode: they are only run on raw TCP responses.
 * Returns the number of errors.
 */
static int check_tcp_response_mode(const struct proxy *px)
{
	const struct proxy *def = px->defaults;
	int inherited = def && def->id && *def->id && def->rules[RS_TCP_RES];
	if (!(px->cap & PX_CAP_BE) || px->mode != PX_MODE_HTTP ||
	    (!px->rules[RS_TCP_RES] && !inherited))
		return 0;
	const struct act_rule *r =
	    px->rules[RS_TCP_RES] ? px->rules[RS_TCP_RES] : def->rules[RS_TCP_RES];
	ha_alert("config : " CFG_LOC_FMT "'tcp-response content' rules are not supported in "
	         "HTTP mode (%s '%s'); they only apply to TCP-mode backends.\n",
	         r->file, r->line, proxy_kind(px), px->id);
	return 1;
}

/* Warns about HTTP rules in a TCP proxy, which never run, as HAProxy. */
static int check_rules(struct config *cfg, struct proxy *px)
{
	if (px->mode == PX_MODE_HTTP)
		return check_tcp_response_mode(px);
	static const enum ruleset http_sets[] = {RS_HTTP_REQ, RS_HTTP_RES, RS_HTTP_AFTER};
	for (size_t i = 0; i < ARRAY_SIZE(http_sets); i++)
		if (px->rules[http_sets[i]])
			ha_warning("config : '%s' rules ignored for %s '%s' as they require HTTP "
			           "mode.\n",
			           ruleset_name(http_sets[i]), proxy_kind(px), px->id);
	return 0;
}

static int defaults_has_rules(const struct proxy *def)
{
	for (int rs = 0; rs < RS_NUM; rs++)
		if (def->rules[rs])
			return 1;
	return 0;
}

/* A defaults section with rules serves frontends or backends, not both
 * (its rules would run on both sides), as HAProxy requires.
 */
static int check_defaults_users(struct config *cfg)
{
	int errors = 0;
	for (struct proxy *def = cfg->defaults; def; def = def->next) {
		if (!defaults_has_rules(def))
			continue;
		unsigned first = 0;
		for (struct proxy *px = cfg->proxies; px; px = px->next) {
			unsigned cap = px->cap & (PX_CAP_FE | PX_CAP_BE);
			if (px->defaults != def)
				continue;
			if (!first)
				first = cap;
			else if (cap != first) {
				ha_alert(
				    "config : parsing [%s:%d]: frontends and backends cannot "
				    "inherit "
				    "from the same defaults section if it defines TCP/HTTP rules "
				    "(defaults section at %s:%d).\n",
				    px->file, px->line, def->file, def->line);
				errors++;
			}
		}
	}
	return errors;
}

static struct cfg_checker rules_checker = {.config = check_defaults_users, .proxy = check_rules};
CFG_REGISTER_CHECKER(rules_checker)
