/* Rule set evaluation on streams, variables of streams, backend switching
 * (see worker/rules.h).
 */
#include "worker/rules.h"

#include <string.h>

#include "common/logfmt.h"
#include "common/sample.h"
#include "common/vars.h"
#include "worker/runtime.h"
#include "worker/check-smp.h"

/* The rules of <px> of set <rs>: its named defaults' ones first. */
static const struct act_rule *first_list(const struct proxy *px, enum ruleset rs)
{
	const struct proxy *def = px->defaults;
	return def && def->id && *def->id && def->rules[rs] ? def->rules[rs] : px->rules[rs];
}

static const struct act_rule *next_rule(const struct proxy *px, const struct act_rule *r)
{
	if (r->next)
		return r->next;
	if (r->px != px) /* end of the defaults' rules: the proxy's own follow */
		return px->rules[r->rs];
	return NULL;
}

int rules_present(const struct proxy *px, enum ruleset rs)
{
	return first_list(px, rs) != NULL;
}

/* Whether <r> belongs to the rules of <px>/<rs> (to resume there). */
static int resumes_here(const struct act_rule *r, const struct proxy *px, enum ruleset rs)
{
	return r && r->rs == rs && (r->px == px || r->px == px->defaults);
}

enum act_ret rules_run(struct stream *s, const struct proxy *px, enum ruleset rs, int final)
{
	const struct act_rule *r = first_list(px, rs);
	if (resumes_here(s->resume_rule, px, rs))
		r = s->resume_rule;
	s->resume_rule = NULL;
	struct smp_ctx ctx = rules_ctx(s, final ? SMP_OPT_FINAL : 0);
	for (; r; r = next_rule(px, r)) {
		size_t mark = smp_arena_mark();
		enum act_ret ret = ACT_RET_CONT;
		enum acl_result c = r->cond ? acl_exec_cond(r->cond, &ctx) : ACL_PASS;
		if (c == ACL_MISS && !final)
			ret = ACT_RET_YIELD;
		else if (c == ACL_PASS)
			ret = r->kw->exec((struct act_rule *)r, s, &ctx);
		smp_arena_release(mark);
		if (ret == ACT_RET_YIELD) {
			s->resume_rule = r;
			return ret;
		}
		if (ret == ACT_RET_STOP)
			return ACT_RET_CONT;
		if (ret != ACT_RET_CONT)
			return ret;
	}
	return ACT_RET_CONT;
}

struct be_rt *rules_select_backend(struct stream *s)
{
	const struct proxy *px = s->fe->conf;
	struct smp_ctx ctx = rules_ctx(s, SMP_OPT_FINAL);
	for (const struct switching_rule *r = px->switching_rules; r; r = r->next) {
		size_t mark = smp_arena_mark();
		int match = !r->cond || acl_exec_cond(r->cond, &ctx) == ACL_PASS;
		struct be_rt *be = NULL;
		if (match && r->dyn_name) {
			char name[256];
			size_t n = logfmt_render(r->dyn_name, &ctx, name, sizeof(name));
			be = runtime_backend_by_name(name, n);
		} else if (match) {
			be = runtime_backend_of(r->be);
		}
		smp_arena_release(mark);
		if (match) /* a dynamic name naming no backend: the default applies */
			return be ? be : s->fe->default_be;
	}
	return s->fe->default_be;
}

/* Stores of the variable scopes of a stream. */
static struct var_store *stream_store(struct smp_ctx *ctx, enum var_scope scope)
{
	struct stream *s = ctx->strm;
	if (!s)
		return check_smp_store(ctx, scope); /* a health check, or nothing */
	switch (scope) {
	case VS_SESS:
		return &s->vars_sess;
	case VS_TXN:
		return &s->vars_txn;
	case VS_REQ:
		return &s->vars_req;
	case VS_RES:
		return &s->vars_res;
	default:
		return NULL;
	}
}

void stream_vars_txn_end(struct stream *s)
{
	vars_prune(&s->vars_txn);
	vars_prune(&s->vars_req);
	vars_prune(&s->vars_res);
}

__attribute__((constructor)) static void rules_init(void)
{
	vars_set_store_hook(stream_store);
}
