/* "use-server <server> [if|unless <cond>]" (backends) and "monitor fail
 * [if|unless <cond>]" (frontends).
 */
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/mem.h"
#include "common/msg.h"
#include "common/sample.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "conf/rules.h"
#include "worker/lb.h"
#include "worker/rules.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/use-server.h"

static int parse_use_server(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 2) {
		memprintf(err, "'use-server' expects a server name.");
		return CFG_ALERT;
	}
	struct server_rule *r = xcalloc(1, sizeof(*r));
	char *e2 = NULL;
	int ci = acl_find_cond(proxy_acl_scope(ctx->px), args + 2, nargs - 2, ctx->file, ctx->line,
	                       &r->cond, &e2);
	if (ci != 0 && ci != nargs - 2) {
		memprintf(err,
		          ci < 0 ? "error detected while parsing switching rule : %s."
		                 : "'use-server' expects 'if' or 'unless' after the server name.",
		          e2);
		free(e2);
		free(r);
		return CFG_ALERT;
	}
	r->name = xstrdup(args[1]);
	r->file = xstrdup(ctx->file);
	r->line = ctx->line;
	struct server_rule **tail = &ctx->px->server_rules;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	return rule_cond_check(r->cond, SMP_CK_BE_REQ,
	                       "backend use-server, balance or stick-match rule", NULL, ctx->file,
	                       ctx->line);
}

/* monitor fail if|unless <cond>: several lines are alternatives. */
static int parse_monitor_fail(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct acl_cond *c = NULL;
	char *e2 = NULL;
	if (nargs < 4 || (strcmp(args[2], "if") && strcmp(args[2], "unless"))) {
		memprintf(err, "'monitor fail' expects 'if' or 'unless' followed by a condition.");
		return CFG_ALERT;
	}
	if (acl_find_cond(proxy_acl_scope(ctx->px), args + 2, nargs - 2, ctx->file, ctx->line, &c,
	                  &e2) < 0) {
		memprintf(err, "error detected while parsing a 'monitor fail' condition : %s.", e2);
		free(e2);
		return CFG_ALERT;
	}
	if (ctx->px->monitor_fail) { /* ORed: append the suites */
		struct acl_cond *m = ctx->px->monitor_fail;
		if (m->unless || c->unless) {
			memprintf(err, "'monitor fail' lines must all use 'if' to be combined.");
			acl_cond_free(c);
			return CFG_ALERT;
		}
		m->suites =
		    xrealloc(m->suites, sizeof(*m->suites) * (size_t)(m->nsuites + c->nsuites));
		memcpy(m->suites + m->nsuites, c->suites, sizeof(*c->suites) * (size_t)c->nsuites);
		m->nsuites += c->nsuites;
		m->use |= c->use;
		c->nsuites = 0;
		acl_cond_free(c);
		return CFG_OK;
	}
	ctx->px->monitor_fail = c;
	return CFG_OK;
}

static const struct cfg_kw use_server_kws[] = {
    {.name = "use-server",
     .sections = SECT_BACKEND | SECT_LISTEN,
     .cap = PX_CAP_BE,
     .parse = parse_use_server},
    {.name = "monitor fail",
     .sections = SECT_FRONTEND | SECT_LISTEN,
     .cap = PX_CAP_FE,
     .parse = parse_monitor_fail},
};

CFG_REGISTER_KEYWORDS(use_server_kws)

/* Resolves the server names of use-server rules in their backend. */
static int resolve_servers(struct config *cfg, struct proxy *px)
{
	int errors = 0;
	for (struct server_rule *r = px->server_rules; r; r = r->next) {
		for (struct server *s = px->servers; s && !r->srv; s = s->next)
			if (!strcmp(s->id, r->name))
				r->srv = s;
		if (!r->srv) {
			ha_alert("config : %s '%s' : unable to find server '%s' referenced in a "
			         "'use-server' rule.\n",
			         px->cap & PX_CAP_FE ? "proxy" : "backend", px->id, r->name);
			errors++;
		}
	}
	return errors;
}

static struct cfg_checker use_server_checker = {.proxy = resolve_servers};
CFG_REGISTER_CHECKER(use_server_checker)

struct srv_rt *use_server_pick(struct stream *s)
{
	struct be_rt *be = s->be;
	struct smp_ctx ctx = rules_ctx(s, SMP_OPT_FINAL);
	for (const struct server_rule *r = be->conf->server_rules; r; r = r->next) {
		size_t mark = smp_arena_mark();
		int match = !r->cond || acl_exec_cond(r->cond, &ctx) == ACL_PASS;
		smp_arena_release(mark);
		if (!match)
			continue;
		const struct srv_list *l = be_servers(be);
		for (int i = 0; i < l->n; i++) {
			struct srv_rt *srv = l->v[i];
			if (srv->conf != r->srv)
				continue;
			int usable = atomic_load(&srv->oper_up) &&
			             !(atomic_load(&srv->admin) & SRV_ADMIN_MAINT);
			/* a server that cannot take it: the algorithm decides */
			return usable && !srv_is_full(srv) ? srv : NULL;
		}
		return NULL;
	}
	return NULL;
}

int monitor_fails(struct stream *s)
{
	const struct acl_cond *c = s->fe->conf->monitor_fail;
	if (!c)
		return 0;
	struct smp_ctx ctx = rules_ctx(s, SMP_OPT_FINAL);
	size_t mark = smp_arena_mark();
	int r = acl_exec_cond(c, &ctx) == ACL_PASS;
	smp_arena_release(mark);
	return r;
}
