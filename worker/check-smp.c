#include "worker/check-smp.h"

#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/sample.h"
#include "conf/tcpchk.h"

/* Largest rendered payload or pattern (HAProxy's buffer size). */
#define CHK_RENDER_MAX 16384

void check_smp_begin(struct check_smp *c, const struct srv_rt *s)
{
	check_smp_end(c);
	c->srv = s;
	c->res = NULL;
	c->res_len = 0;
	c->msg = NULL;
	c->ctx = (struct smp_ctx){.strm = NULL, .check = c, .opt = SMP_OPT_FINAL | SMP_OPT_RES};
}

void check_smp_end(struct check_smp *c)
{
	vars_prune(&c->vars_check);
	vars_prune(&c->vars_sess);
}

struct var_store *check_smp_store(struct smp_ctx *ctx, enum var_scope scope)
{
	struct check_smp *c = ctx ? ctx->check : NULL;
	if (!c)
		return NULL;
	if (scope == VS_CHECK)
		return &c->vars_check;
	return scope == VS_SESS ? &c->vars_sess : NULL;
}

const struct srv_rt *check_smp_server(const struct smp_ctx *ctx)
{
	const struct check_smp *c = ctx ? ctx->check : NULL;
	return c ? c->srv : NULL;
}

int check_smp_response(const struct smp_ctx *ctx, const char **p, size_t *len)
{
	const struct check_smp *c = ctx ? ctx->check : NULL;
	if (!c)
		return 0;
	*p = c->res ? c->res : "";
	*len = c->res ? c->res_len : 0;
	return 1;
}

struct http_msg *check_smp_http(const struct smp_ctx *ctx)
{
	const struct check_smp *c = ctx ? ctx->check : NULL;
	return c ? c->msg : NULL;
}

/* Runs one variable action. */
static void run_var(struct check_smp *c, const struct chk_var_act *a)
{
	struct var_ref ref = {(enum var_scope)a->scope, a->id};
	size_t mark = smp_arena_mark();
	struct sample smp;
	memset(&smp, 0, sizeof(smp));
	if (a->kind == CVA_UNSET) {
		vars_unset(&ref, &c->ctx);
	} else if (a->kind == CVA_SET) {
		if (sample_process(a->expr, &c->ctx, &smp))
			vars_set(&ref, &c->ctx, &smp, a->conds);
	} else {
		char *buf = smp_alloc(CHK_RENDER_MAX);
		if (buf) {
			smp.type = SMP_T_STR;
			smp.u.str = (struct smp_str){
			    buf, logfmt_render(a->fmt, &c->ctx, buf, CHK_RENDER_MAX)};
			vars_set(&ref, &c->ctx, &smp, a->conds);
		}
	}
	smp_arena_release(mark);
}

void check_run_vars(struct check_smp *c, const struct chk_var_act *a)
{
	for (; a; a = a->next)
		run_var(c, a);
}

int check_render_alloc(struct check_smp *c, const struct logfmt *lf, int hex, char **out,
                       size_t *len)
{
	char *buf = xcalloc(1, CHK_RENDER_MAX + 1);
	size_t n = logfmt_render(lf, &c->ctx, buf, CHK_RENDER_MAX);
	buf[n] = 0;
	if (!hex) {
		*out = buf;
		*len = n;
		return 0;
	}
	char *err = NULL;
	int rc = tcpchk_parse_hex(buf, out, len, &err);
	free(err);
	free(buf);
	return rc;
}

void check_render_cat(struct check_smp *c, const struct logfmt *lf, char *out, size_t room)
{
	size_t n = strlen(out);
	if (n + 1 >= room)
		return;
	n += logfmt_render(lf, &c->ctx, out + n, room - n - 1);
	out[n] = 0;
}

void check_status_code(struct check_smp *c, const struct sample_expr *e, int *code)
{
	size_t mark = smp_arena_mark();
	struct sample smp;
	memset(&smp, 0, sizeof(smp));
	if (sample_fetch_as(e, &c->ctx, SMP_T_SINT, &smp))
		*code = (int)smp.u.sint;
	smp_arena_release(mark);
}
