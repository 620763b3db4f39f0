/* HTTP rule sets in the transaction: http-request rules of the frontend,
 * backend switching, http-request rules of the backend; http-response
 * rules of the backend then the frontend, then http-after-response.
 */
#include "worker/http-rules.h"

#include <string.h>

#include "common/h1.h"
#include "common/sample.h"
#include "worker/capture.h"
#include "worker/counters.h"
#include "worker/http-txn.h"
#include "worker/rules.h"
#include "worker/use-server.h"

static int be_has_server_rules(const struct stream *s)
{
	return s->be && s->be->conf->server_rules;
}

void http_request_consumed(struct stream *s)
{
	struct http_txn *t = s->txn;
	t->cin.head += t->req.skip + t->req.head_len;
	t->scan_from = 0;
	t->req_valid = 0;
	t->discarding = !t->req.body.done; /* its body is read and dropped */
}

/* Acts on the verdict of request rules. Returns 1 to go on, 0 when the
 * request was answered, 2 to wait for the request body.
 */
static int request_verdict(struct stream *s, enum act_ret ret)
{
	switch (ret) {
	case ACT_RET_CONT:
		return 1;
	case ACT_RET_DONE:
	case ACT_RET_ABRT:
		return 0;
	case ACT_RET_YIELD: /* wait-for-body */
		s->txn->rerun_to = s->resume_rule;
		s->resume_rule = NULL; /* the head is parsed again: from the start */
		return 2;
	case ACT_RET_DENY:
		counters_http_denied(s->fe, NULL, 0);
		http_request_consumed(s);
		s->txn->cli_close = 1;
		log_set_term_rule(s, 'P');
		http_reply_error(s, 403, TERM_NONE);
		return 0;
	case ACT_RET_INV:
		counters_http_bad_req(s->fe);
		http_request_consumed(s);
		s->txn->cli_close = 1;
		log_set_term_rule(s, 'P');
		http_reply_error(s, 400, TERM_CLI_ERR);
		return 0;
	default: /* errors; yields are not supported here */
		counters_http_rewrite_failed(s->fe, NULL);
		http_request_consumed(s);
		s->txn->cli_close = 1;
		log_set_term_rule(s, 'I');
		http_reply_error(s, 500, TERM_NONE);
		return 0;
	}
}

/* Runs the "redirect" keyword rules of <px>: the first whose condition
 * holds answers. Returns the verdict.
 */
static enum act_ret run_redirects(struct stream *s, const struct proxy *px)
{
	struct smp_ctx ctx = rules_ctx(s, SMP_OPT_FINAL);
	for (const struct act_rule *r = px->redirect_rules; r; r = r->next) {
		size_t mark = smp_arena_mark();
		enum act_ret ret = ACT_RET_CONT;
		if (!r->cond || acl_exec_cond(r->cond, &ctx) == ACL_PASS)
			ret = r->kw->exec((struct act_rule *)r, s, &ctx);
		smp_arena_release(mark);
		if (ret != ACT_RET_CONT)
			return ret;
	}
	return ACT_RET_CONT;
}

/* Request rules of one proxy: its http-request rules, then its redirects.
 * Returns 1 to go on, 0 when the request was answered.
 */
static int proxy_request_rules(struct stream *s, const struct proxy *px)
{
	if (rules_present(px, RS_HTTP_REQ)) {
		int v = request_verdict(s, rules_run(s, px, RS_HTTP_REQ, 1));
		if (v != 1)
			return v;
	}
	return !px->redirect_rules || request_verdict(s, run_redirects(s, px));
}

int http_request_rules(struct stream *s)
{
	const struct proxy *fe = s->fe->conf;
	struct http_txn *t = s->txn;
	if (fe->ncaps[0])
		capture_headers(s, 0);
	const struct http_msg *m = &t->req;
	/* known now so that replies made by rules say whether they close */
	if ((m->flags & (HMF_CONN_CLOSE | HMF_CL_TE)) ||
	    (!(m->flags & HMF_VER11) && !(m->flags & HMF_CONN_KAL)))
		t->cli_close = 1;
	if (rules_present(fe, RS_TCP_REQ) && rules_run(s, fe, RS_TCP_REQ, 1) != ACT_RET_CONT) {
		/* refused by tcp-request content: closed without a reply */
		counters_tcp_denied(s->fe, 2);
		http_request_consumed(s);
		t->cli_close = 1;
		s->state = ST_HTTP_FLUSH;
		http_flush(s);
		return 0;
	}
	/* the cookie is captured as the rules leave the header; a request
	 * they answer keeps what was captured before them
	 */
	if (fe->cap_cookie)
		capture_cookie(s, 0);
	int v = proxy_request_rules(s, fe);
	if (v != 1)
		return v;
	if (fe->cap_cookie)
		capture_cookie(s, 0);
	s->be = rules_select_backend(s);
	t->be_chosen = 1;
	if (!s->be)
		return 1;
	s->retries_left = s->be->conf->retries;
	const struct proxy *be = s->be->conf;
	if (be != fe && (v = proxy_request_rules(s, be)) != 1)
		return v;
	if (be != fe && fe->cap_cookie)
		capture_cookie(s, 0);
	/* use-server reads the request as the rules left it */
	s->use_srv = be_has_server_rules(s) ? use_server_pick(s) : NULL;
	return 1;
}

/* Runs set <rs> of the backend then of the frontend when it differs. */
static enum act_ret run_both(struct stream *s, enum ruleset rs)
{
	const struct proxy *be = s->be ? s->be->conf : NULL, *fe = s->fe->conf;
	enum act_ret ret = ACT_RET_CONT;
	if (be && rules_present(be, rs))
		ret = rules_run(s, be, rs, 1);
	if (ret == ACT_RET_CONT && fe != be && rules_present(fe, rs))
		ret = rules_run(s, fe, rs, 1);
	return ret;
}

int http_append_local_reply(struct stream *s, const char *raw, size_t len)
{
	struct http_txn *t = s->txn;
	const struct proxy *fe = s->fe->conf;
	const struct proxy *be = s->be && t->be_chosen ? s->be->conf : NULL;
	if (!rules_present(fe, RS_HTTP_AFTER) && !(be && rules_present(be, RS_HTTP_AFTER)))
		return sbuf_append(&s->rsp, raw, len);
	size_t mark = smp_arena_mark();
	char *copy = smp_alloc(len);
	struct http_msg *m = &t->rsp;
	if (!copy || http_txn_take_slots(t) < 0 || sbuf_take(&s->rsp) < 0)
		goto plain;
	struct http_hdr *slots = m->hdrs;
	memcpy(copy, raw, len);
	memset(m, 0, sizeof(*m));
	m->hdrs = slots;
	m->maxhdrs = t->maxhdrs;
	if (h1_parse_head(copy, len, m, 1, 1) <= 0)
		goto plain;
	m->maxhdrs = t->maxhdrs + HTTP_EXTRA_HDRS;
	t->rsp_valid = 1;
	enum act_ret ret = ACT_RET_CONT;
	if (be && be != fe && rules_present(be, RS_HTTP_AFTER))
		ret = rules_run(s, be, RS_HTTP_AFTER, 1);
	if (ret == ACT_RET_CONT && rules_present(fe, RS_HTTP_AFTER))
		ret = rules_run(s, fe, RS_HTTP_AFTER, 1);
	t->rsp_valid = 0;
	if (ret != ACT_RET_CONT)
		goto plain; /* the reply goes out as it was made */
	long n = h1_write_head(m, s->rsp.data + s->rsp.tail, sbuf_room(&s->rsp), http_case_fn(s, 0),
	                       rt.cfg->global.h1_case_adjust);
	if (n < 0)
		goto plain;
	s->rsp.tail += (uint32_t)n;
	int r = sbuf_append(&s->rsp, copy + m->head_len, len - m->head_len);
	smp_arena_release(mark);
	return r;
plain:
	smp_arena_release(mark);
	return sbuf_append(&s->rsp, raw, len);
}

int http_response_rules(struct stream *s)
{
	if (s->fe->conf->ncaps[1])
		capture_headers(s, 1);
	enum act_ret ret = run_both(s, RS_HTTP_RES);
	if (ret == ACT_RET_CONT && s->fe->conf->cap_cookie)
		capture_cookie(s, 1); /* as the http-response rules left it */
	if (ret == ACT_RET_CONT)
		ret = run_both(s, RS_HTTP_AFTER);
	switch (ret) {
	case ACT_RET_CONT:
		return 1;
	case ACT_RET_DONE:
	case ACT_RET_ABRT:
		return -1;
	case ACT_RET_DENY:
		counters_http_denied(s->fe, s->be, 1);
		s->txn->cli_close = 1;
		http_reply_error(s, 502, TERM_NONE);
		return -1;
	default:
		counters_http_rewrite_failed(s->fe, s->be);
		s->txn->cli_close = 1;
		http_reply_error(s, 500, TERM_NONE);
		return -1;
	}
}
