/* http-request wait-for-handshake: a request that came in TLS early data
 * (0-RTT) waits until the client's handshake is complete, so that it can
 * no longer be a replay. Once done, the request's rules run again from
 * the start (as after wait-for-body) and the request is no longer early:
 * ssl_fc_has_early is false and no "Early-Data: 1" goes to the server.
 */
#include "common/mem.h"
#include "worker/act-http.h"
#include "worker/http-txn.h"
#include "worker/stream.h"
#include "worker/tls.h"

static int parse_wait_for_handshake(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs) {
		memprintf(err, "unexpected argument '%s'", args[0]);
		return 0;
	}
	return 1;
}

/* Continues at once on a connection whose handshake is done (or without
 * TLS); else drives the handshake and yields until it completes. A failed
 * handshake wakes the stream so that its next read reports the error.
 */
static enum act_ret exec_wait_for_handshake(struct act_rule *r, struct stream *s,
                                            struct smp_ctx *ctx)
{
	struct http_txn *t = s->txn;
	if (t->rerun_to == r)
		t->rerun_to = NULL; /* the rules after this one are new */
	if (!tls_has_early(&s->cli))
		return ACT_RET_CONT;
	int d = tls_early_finish(&s->cli);
	if (d > 0)
		return ACT_RET_CONT;
	if (d < 0)
		task_wakeup(&s->task);
	return ACT_RET_YIELD;
}

static const struct act_kw handshake_actions[] = {
    {"wait-for-handshake", RS_F_HTTP_REQ, parse_wait_for_handshake, exec_wait_for_handshake, 0},
};

ACT_REGISTER_KEYWORDS(handshake_actions)
