/* HTTP flow actions: tarpit, auth, reject. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/h1.h"
#include "common/mem.h"
#include "common/sample.h"
#include "common/units.h"
#include "conf/http.h"
#include "worker/act-http.h"
#include "worker/counters.h"
#include "worker/http-rules.h"
#include "worker/http-txn.h"
#include "worker/tcp-rules.h"

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
	log_set_term(s, 'P', 'T');
	s->log.t_ready = curthr->now_ms; /* the tarpit time shows as Tw, as in HAProxy */
	s->state = ST_TARPIT;
	s->conn_exp = deadline(to->tarpit ? to->tarpit : to->connect ? to->connect : 1);
	stream_arm_timer(s);
	return ACT_RET_DONE;
}

void http_tarpit_expired(struct stream *s)
{
	s->log.t_conn = curthr->now_ms;
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
	log_set_term(s, 'P', 'R');
	http_reply_raw(s, out, head + (size_t)n + rest, 401);
	return ACT_RET_DONE;
}

/* reject / silent-drop in HTTP rules: close without answering. */
static enum act_ret exec_http_close(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	if (r->kw->name[0] == 's') { /* nothing goes out, not even a FIN */
		tcp_silent_drop(s->cli.fd);
		s->txn->lingering = 1;
		s->cli_exp = deadline(1);
	}
	counters_http_denied(s->fe, r->rs == RS_HTTP_REQ ? NULL : s->be, r->rs != RS_HTTP_REQ);
	if (r->rs == RS_HTTP_REQ)
		http_request_consumed(s);
	s->txn->cli_close = 1;
	s->state = ST_HTTP_FLUSH;
	http_flush(s);
	return ACT_RET_ABRT;
}

struct wfb_arg {
	uint32_t ms, at_least;
};

/* wait-for-body time <time> [at-least <size>] */
static int parse_wait_for_body(struct act_rule *r, char **args, int nargs, char **err)
{
	struct wfb_arg *a = xcalloc(1, sizeof(*a));
	uint64_t size;
	r->arg = a;
	if ((nargs != 2 && nargs != 4) || strcmp(args[0], "time") ||
	    parse_time_ms(args[1], &a->ms, NULL) != PARSE_OK || !a->ms) {
		memprintf(err, "expects 'time' <time> [ 'at-least' <size> ]");
		return 0;
	}
	if (nargs == 4 && (strcmp(args[2], "at-least") ||
	                   parse_size(args[3], UINT32_MAX, &size, NULL) != PARSE_OK)) {
		memprintf(err, "expects 'time' <time> [ 'at-least' <size> ]");
		return 0;
	}
	a->at_least = nargs == 4 ? (uint32_t)size : 0;
	return 1;
}

/* Waits (yields) until the request body is complete, <at_least> bytes
 * of it came or the buffer is full; the request's rules then run again
 * with the body at hand. When the delay expires first, the request is
 * answered 408.
 */
static enum act_ret exec_wait_for_body(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct wfb_arg *a = r->arg;
	struct http_txn *t = s->txn;
	uint32_t head = t->req.skip + t->req.head_len;
	uint32_t have = t->cin.data ? t->cin.tail - t->cin.head : 0, got = have - head;
	int full = have >= t->cin.size - rt.cfg->global.tune_maxrewrite;
	int expired = t->wfb_until && curthr->now_ms >= t->wfb_until;
	if (t->rerun_to == r)
		t->rerun_to = NULL;       /* the rules after this one are new */
	struct http_body b = t->req.body; /* scanned on a copy: nothing moves */
	long n = t->cin.data ? h1_body_scan(&b, t->cin.data + t->cin.head + head, got) : 0;
	if (t->req.body.mode == HB_NONE || n < 0 || b.done || s->cli.shutr || full ||
	    (a->at_least && got >= a->at_least))
		return ACT_RET_CONT;
	if (expired) { /* the body did not come in time: 408, as HAProxy */
		http_request_consumed(s);
		t->cli_close = 1;
		http_reply_error(s, 408, TERM_CLI_TO);
		return ACT_RET_DONE;
	}
	if (!t->wfb_until)
		t->wfb_until = curthr->now_ms + a->ms;
	t->wfb_min = a->at_least;
	return ACT_RET_YIELD;
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
    {"wait-for-body", RS_F_HTTP_REQ, parse_wait_for_body, exec_wait_for_body, 0},
    {"auth", RS_F_HTTP_REQ, parse_auth, exec_auth, 1},
    {"reject", RS_F_HTTP_REQ, parse_no_arg, exec_http_close, 1},
    {"silent-drop", RS_F_HTTP_REQ | RS_F_HTTP_RES, parse_no_arg, exec_http_close, 1},
};

ACT_REGISTER_KEYWORDS(http_flow_actions)
