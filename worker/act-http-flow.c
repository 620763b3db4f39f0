/* HTTP flow actions: tarpit, auth, reject. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/mem.h"
#include "common/sample.h"
#include "conf/http.h"
#include "worker/act-http.h"
#include "worker/counters.h"
#include "worker/http-rules.h"
#include "worker/http-txn.h"

/* tarpit: the request is held for "timeout tarpit" (else "timeout
 * connect"), then refused with its status (500 by default).
 */
static enum act_ret exec_tarpit(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct px_timeouts *to = &r->px->to;
	counters_http_denied(s->fe, NULL, 0);
	http_request_consumed(s);
	s->txn->cli_close = 1;
	s->txn->status = act_reply_status(r);
	s->state = ST_TARPIT;
	s->conn_exp = deadline(to->tarpit ? to->tarpit : to->connect ? to->connect : 1);
	stream_arm_timer(s);
	return ACT_RET_DONE;
}

void http_tarpit_expired(struct stream *s)
{
	http_reply_error(s, s->txn->status ? s->txn->status : 500, TERM_NONE);
}

/* auth [realm <realm>]: 401 with a Basic challenge; the realm defaults to
 * the name of the proxy the rule is written in.
 */
static int parse_auth(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs == 2 && !strcmp(args[0], "realm")) {
		r->arg = xstrdup(args[1]);
		return 1;
	}
	if (nargs) {
		memprintf(err, "expects nothing or 'realm <realm>'");
		return 0;
	}
	r->arg = xstrdup(r->px->id);
	return 1;
}

static enum act_ret exec_auth(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct http_reply *page = http_error_reply(r->px, 401);
	const char *end = page ? strstr(page->raw, "\r\n\r\n") : NULL;
	if (!end)
		return ACT_RET_ERR;
	size_t head = (size_t)(end - page->raw) + 2, room = page->len + strlen(r->arg) + 128;
	char *out = smp_alloc(room);
	if (!out)
		return ACT_RET_ERR;
	memcpy(out, page->raw, head);
	int n = snprintf(out + head, room - head, "www-authenticate: Basic realm=\"%s\"\r\n%s",
	                 (const char *)r->arg,
	                 http_client_closes(s->txn) ? "connection: close\r\n" : "");
	size_t rest = page->len - head;
	memcpy(out + head + (size_t)n, page->raw + head, rest);
	http_request_consumed(s);
	http_reply_raw(s, out, head + (size_t)n + rest, 401);
	return ACT_RET_DONE;
}

/* reject / silent-drop in HTTP rules: close without answering. */
static enum act_ret exec_http_close(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	if (r->kw->name[0] == 's') {
		struct linger l = {1, 0};
		setsockopt(s->cli.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	counters_http_denied(s->fe, r->rs == RS_HTTP_REQ ? NULL : s->be, r->rs != RS_HTTP_REQ);
	if (r->rs == RS_HTTP_REQ)
		http_request_consumed(s);
	s->txn->cli_close = 1;
	s->state = ST_HTTP_FLUSH;
	http_flush(s);
	return ACT_RET_ABRT;
}

static int parse_no_arg(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs) {
		memprintf(err, "unexpected argument '%s'", args[0]);
		return 0;
	}
	return 1;
}

static const struct act_kw http_flow_actions[] = {
    {"tarpit", RS_F_HTTP_REQ, act_parse_tarpit, exec_tarpit, 1},
    {"auth", RS_F_HTTP_REQ, parse_auth, exec_auth, 1},
    {"reject", RS_F_HTTP_REQ, parse_no_arg, exec_http_close, 1},
    {"silent-drop", RS_F_HTTP_REQ | RS_F_HTTP_RES, parse_no_arg, exec_http_close, 1},
};

ACT_REGISTER_KEYWORDS(http_flow_actions)
