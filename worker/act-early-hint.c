/* http-request early-hint <name> <fmt>: a "103 Early Hints" interim
 * response sent to the client before the final one, so that it may start
 * loading what the header names (usually "Link" headers).
 *
 * Consecutive unconditional early-hint rules share one 103 response: each
 * adds its header, and the response goes out after the last of the run (a
 * rule with a condition starts a new one), as HAProxy does. Only HTTP/1.1
 * clients get it; HTTP/1.0 ones know nothing of interim responses. When
 * wait-for-body makes the rules run again, the hints sent before it are
 * not sent twice.
 */
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/sample.h"
#include "conf/rules.h"
#include "worker/http-txn.h"
#include "worker/stream.h"

#define EH_STATUS_LINE "HTTP/1.1 103 Early Hints\r\n"

struct eh_arg {
	char *name; /* lower case */
	struct logfmt *value;
};

/* early-hint <name> <fmt> */
static int parse_early_hint(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "expects exactly 2 arguments");
		return 0;
	}
	struct eh_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a;
	a->name = xstrdup(args[0]);
	for (char *p = a->name; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	struct smp_where w = {ruleset_checkpoint(r->rs, r->px), r->file, r->line, r->px};
	a->value = logfmt_parse_http(args[1], &w, err);
	return a->value != NULL;
}

/* Appends <len> bytes of <p> to the transaction's pending 103 response. */
static void eh_append(struct http_txn *t, const char *p, size_t len)
{
	t->eh = xrealloc(t->eh, t->eh_len + len);
	memcpy(t->eh + t->eh_len, p, len);
	t->eh_len += (uint32_t)len;
}

/* Appends header value <v> (<len> bytes) with its control characters
 * (below 0x20 but tab, and 0x7f) written %XX, as HAProxy does: a value
 * never ends the header line early.
 */
static void eh_append_value(struct http_txn *t, const char *v, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t from = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c >= 0x20 || c == '\t') && c != 0x7f)
			continue;
		char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
		eh_append(t, v + from, i - from);
		eh_append(t, esc, 3);
		from = i + 1;
	}
	eh_append(t, v + from, len - from);
}

/* Whether rule <r> ends a run of early-hint rules sharing one response. */
static int ends_run(const struct act_rule *r)
{
	return !r->next || r->next->kw != r->kw || r->next->cond;
}

/* Queues the pending 103 response for the client and tries to send it at
 * once (what does not go out now goes before the final response). Returns
 * 0, or -1 when the output buffer cannot take it.
 */
static int eh_flush(struct stream *s)
{
	struct http_txn *t = s->txn;
	eh_append(t, "\r\n", 2);
	int r = sbuf_append(&s->rsp, t->eh, t->eh_len);
	free(t->eh);
	t->eh = NULL;
	t->eh_len = 0;
	if (r < 0)
		return -1;
	sbuf_send(&s->cli, &s->rsp); /* an error shows on the next write */
	return 0;
}

static enum act_ret exec_early_hint(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct eh_arg *a = r->arg;
	struct http_txn *t = s->txn;
	if (!(t->req.flags & HMF_VER11) || t->rerun_to)
		return ACT_RET_CONT; /* HTTP/1.0, or sent before a wait-for-body */
	size_t room = rt.cfg->global.tune_bufsize;
	char *v = smp_alloc(room);
	if (!v)
		return ACT_RET_ERR;
	size_t len = logfmt_render(a->value, ctx, v, room);
	if (!t->eh)
		eh_append(t, EH_STATUS_LINE, sizeof(EH_STATUS_LINE) - 1);
	eh_append(t, a->name, strlen(a->name));
	eh_append(t, ": ", 2);
	eh_append_value(t, v, len);
	eh_append(t, "\r\n", 2);
	if (ends_run(r) && eh_flush(s) < 0)
		return ACT_RET_ERR;
	return ACT_RET_CONT;
}

static const struct act_kw early_hint_actions[] = {
    {"early-hint", RS_F_HTTP_REQ, parse_early_hint, exec_early_hint, 0},
};

ACT_REGISTER_KEYWORDS(early_hint_actions)
