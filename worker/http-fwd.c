/* HTTP forwarding of one transaction once the server connection is up:
 * request body toward the server, response head parsing and rewriting,
 * response body toward the client, switching to a tunnel (101, CONNECT),
 * and the end of the transaction (keep-alive, server connection kept).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/h1.h"
#include "worker/backend.h"
#include "worker/counters.h"
#include "worker/http-errcap.h"
#include "worker/pool.h"
#include "worker/capture.h"
#include "worker/http-rules.h"
#include "worker/http-txn.h"
#include "worker/observe.h"

#define MAX_ROUNDS 16

long http_move_body(struct http_body *b, struct sbuf *in, struct sbuf *out)
{
	uint32_t avail = in->tail - in->head;
	if (!avail || b->done)
		return 0;
	uint32_t room = sbuf_room(out);
	if (!room)
		return 0;
	long n = h1_body_scan(b, in->data + in->head, avail < room ? avail : room);
	if (n <= 0)
		return n;
	if (out->head == out->tail && (uint32_t)n == avail) {
		struct sbuf tmp = *out; /* hand the whole buffer over */
		*out = *in;
		*in = tmp;
		in->head = in->tail = 0;
		sbuf_release_if_empty(in);
		return n;
	}
	memcpy(out->data + out->tail, in->data + in->head, (size_t)n);
	out->tail += (uint32_t)n;
	in->head += (uint32_t)n;
	sbuf_release_if_empty(in);
	return n;
}

/* Moves everything left in <in> to <out> (tunnel start). */
static int drain_into(struct sbuf *in, struct sbuf *out)
{
	uint32_t n = in->tail - in->head;
	if (n && sbuf_append(out, in->data + in->head, n) < 0)
		return -1;
	in->head = in->tail;
	sbuf_release_if_empty(in);
	return 0;
}

/* Switches the stream to a raw tunnel after a 101 or a CONNECT 2xx. */
static int start_tunnel(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (drain_into(&t->cin, &s->req) < 0 || drain_into(&t->sin, &s->rsp) < 0)
		return -1;
	t->tunnel = 1;
	t->req_state = HRQ_DONE;
	t->rsp_state = HRS_DONE;
	s->splice_req = s->splice_rsp = SPLICE_OFF;
	return 0;
}

/* Sets the Connection header of the response to the client. */
static void set_response_connection(struct stream *s)
{
	struct http_txn *t = s->txn;
	struct http_msg *m = &t->rsp;
	if ((m->flags & HMF_CONN_CLOSE) || (!(m->flags & HMF_VER11) && !(m->flags & HMF_CONN_KAL)))
		t->srv_close = 1;
	if (m->body.mode == HB_CLOSE)
		t->srv_close = t->cli_close = 1; /* only the close delimits this body */
	if (m->body.mode == HB_TUNNEL)
		return; /* a 101 keeps its "Connection: upgrade" */
	http_del_hdr(m, "connection");
	if (t->cli_close) {
		if (m->flags & HMF_VER11) /* a 1.0 response without keep-alive says it */
			http_add_hdr(m, (struct ist){"connection", 10}, (struct ist){"close", 5});
	} else if (!(t->req.flags & HMF_VER11) || !(m->flags & HMF_VER11)) {
		http_add_hdr(m, (struct ist){"connection", 10}, (struct ist){"keep-alive", 10});
	}
}

/* Writes the parsed response head to s->rsp and consumes it from sin. */
static int emit_response_head(struct stream *s)
{
	struct http_txn *t = s->txn;
	uint32_t room = sbuf_room(&s->rsp);
	long n = h1_write_head(&t->rsp, s->rsp.data + s->rsp.tail, room, http_case_fn(s, 0),
	                       rt.cfg->global.h1_case_adjust);
	if (n < 0)
		return -1;
	s->rsp.tail += (uint32_t)n;
	t->sin.head += t->rsp.head_len;
	t->rsp_valid = 0;
	t->rscan_from = 0;
	sbuf_release_if_empty(&t->sin);
	return 0;
}

/* Checks the framing of the body bytes that came with head <m> in <in>,
 * before anything is committed to the other side.
 */
static int body_start_valid(const struct http_msg *m, const struct sbuf *in)
{
	if (m->body.mode != HB_CHUNKED)
		return 1;
	struct http_body b = m->body;
	uint32_t have = in->tail - in->head - m->head_len;
	return h1_body_scan(&b, in->data + in->head + m->head_len, have) >= 0;
}

/* Parses response heads in sin: interim (1xx) ones are forwarded as they
 * come, the final one is rewritten. Returns 1 when the final head was
 * emitted, 0 to wait, -1 when the stream was taken over by an error.
 */
static int response_head(struct stream *s)
{
	struct http_txn *t = s->txn;
	for (;;) {
		uint32_t have = t->sin.tail - t->sin.head;
		if (!http_head_ready(&t->sin, &t->rscan_from)) {
			if (s->srv.shutr && !have && http_retry_on_new_conn(s))
				return -1;
			int full =
			    t->sin.data && have >= t->sin.size - rt.cfg->global.tune_maxrewrite;
			if (full || s->srv.shutr) {
				counters_http_bad_rsp(s->be, s->server);
				observe_report(s->server,
				               full ? OBS_HTTP_HDRRSP : OBS_HTTP_BROKEN_PIPE);
				if (full) /* too large: captured, a truncated one is not */
					http_errcap_record(s, 1, t->sin.data + t->sin.head, have,
					                   have);
				http_reply_error(s, 502, TERM_SRV_ERR);
				return -1;
			}
			return 0;
		}
		int lenient = (s->be->conf->http.flags & PXH_ACCEPT_INV_RSP) != 0;
		t->rsp.maxhdrs = t->maxhdrs;
		if (http_txn_take_slots(t) < 0 ||
		    h1_parse_head(t->sin.data + t->sin.head, have, &t->rsp, 1, lenient) <= 0) {
			counters_http_bad_rsp(s->be, s->server);
			observe_report(s->server, OBS_HTTP_HDRRSP);
			http_errcap_record(s, 1, t->sin.data + t->sin.head, have, t->rsp.err_pos);
			http_reply_error(s, 502, TERM_SRV_ERR);
			return -1;
		}
		if (s->server)
			counters_http_srv_rsp(s->server, t->rsp.status);
		observe_report(s->server, observe_http_status(t->rsp.status));
		if (t->rsp.status == 101 && http_is_websocket(&t->req) &&
		    http_find_hdr(&t->rsp, "sec-websocket-accept", 0) < 0) {
			counters_http_bad_rsp(s->be, s->server);
			observe_report(s->server, OBS_HTTP_RSP);
			http_reply_error(s, 502, TERM_SRV_ERR); /* an incomplete handshake */
			return -1;
		}
		if (t->rsp.status >= 200 || t->rsp.status == 101)
			break;
		if (emit_response_head(s) < 0) { /* interim: 100 Continue, 103... */
			http_reply_error(s, 502, TERM_SRV_ERR);
			return -1;
		}
	}
	t->rsp.maxhdrs = t->maxhdrs + HTTP_EXTRA_HDRS;
	t->rsp_valid = 1;
	if (!s->log.t_rsp)
		s->log.t_rsp = curthr->now_ms;
	h1_set_response_body(&t->rsp, t->req.meth);
	if (!body_start_valid(&t->rsp, &t->sin)) {
		counters_http_bad_rsp(s->be, s->server);
		observe_report(s->server, OBS_HTTP_RSP);
		http_reply_error(s, 502, TERM_SRV_ERR);
		return -1;
	}
	if (http_response_rules(s) < 0)
		return -1; /* replaced or refused by a rule */
	set_response_connection(s);
	if (emit_response_head(s) < 0) {
		http_reply_error(s, 502, TERM_SRV_ERR);
		return -1;
	}
	t->rsp_started = 1;
	t->status = t->rsp.status;
	counters_http_status(s->fe, s->be, t->status);
	log_asap(s); /* option logasap: the line goes now, with the head's bytes */
	t->rsp_state = t->rsp.body.done ? HRS_DONE : HRS_BODY;
	if (t->rsp.body.mode == HB_TUNNEL && start_tunnel(s) < 0) {
		stream_end_cause(s, TERM_SRV_ERR); /* leftovers larger than a buffer */
		return -1;
	}
	return 1;
}

/* Request direction: client -> cin -> s->req -> server. Returns 1 on
 * progress, 0, or -1 when the stream was ended or taken over.
 */
static int forward_request(struct stream *s)
{
	struct http_txn *t = s->txn;
	int progress = 0;
	if (t->req_state == HRQ_BODY) {
		int r = sbuf_recv(&s->cli, &t->cin, &s->bytes_in);
		if (r < 0) {
			stream_end_cause(s, TERM_CLI_ERR);
			return -1;
		}
		long n = http_move_body(&t->req.body, &t->cin, &s->req);
		if (n < 0) {
			t->close_hdr = 1;
			http_reply_error(s, 400, TERM_CLI_ERR);
			return -1;
		}
		if (t->req.body.done)
			t->req_state = HRQ_DONE;
		else if (s->cli.shutr && t->cin.tail == t->cin.head) {
			stream_end_cause(s, TERM_CLI_ERR); /* aborted in the middle of the body */
			return -1;
		}
		progress = r || n;
		if (progress)
			s->cli_exp = deadline(stream_to_client(s));
	}
	int w = sbuf_send(&s->srv, &s->req);
	if (w < 0) {
		stream_end_cause(s, TERM_SRV_ERR);
		return -1;
	}
	if (w)
		s->srv_exp = deadline(stream_to_server(s));
	return progress || w;
}

/* The server closed before the end of a delimited body: the client must
 * see the connection close, and the stream ends as a server error.
 */
static void response_truncated(struct http_txn *t)
{
	t->cli_close = 1;
	t->pending_term = TERM_SRV_ERR;
}

/* Whether the response body goes through the kernel (splice-response, or
 * splice-auto for a body larger than a buffer): only a body of known
 * length whose bytes nobody needs to look at, once the buffers are empty.
 */
static int use_splice(const struct stream *s)
{
	const struct http_txn *t = s->txn;
	if (t->rsp_state != HRS_BODY || t->rsp.body.mode != HB_CL || s->splice_rsp == SPLICE_OFF)
		return 0;
	if (s->srv.pipe_len)
		return 1;
	if (t->sin.tail != t->sin.head || (s->rsp.data && s->rsp.tail != s->rsp.head))
		return 0;
	return s->splice_rsp == SPLICE_ON || t->rsp.body.left > pool_buf_size();
}

/* Spliced response body. Returns 1 on progress, 0, or -1 when ended. */
static int splice_response(struct stream *s)
{
	struct http_txn *t = s->txn;
	struct http_body *b = &t->rsp.body;
	uint64_t before = s->bytes_out;
	int r = stream_splice(&s->srv, &s->cli, b->left, &s->bytes_out);
	if (r < 0) {
		stream_end_cause(s, s->cli.err ? TERM_CLI_ERR : TERM_SRV_ERR);
		return -1;
	}
	uint64_t n = s->bytes_out - before;
	b->left -= n;
	b->total += n;
	b->done = b->left == 0;
	if (b->done && !s->srv.pipe_len) {
		t->rsp_state = HRS_DONE;
	} else if (s->srv.shutr && !b->done) {
		response_truncated(t);
		if (!s->srv.pipe_len)
			t->rsp_state = HRS_DONE;
	}
	if (r) {
		s->srv_exp = deadline(stream_to_server(s));
		s->cli_exp = deadline(stream_to_client(s));
	}
	return r;
}

/* Response direction: server -> sin -> s->rsp -> client. Same returns. */
static int forward_response(struct stream *s)
{
	struct http_txn *t = s->txn;
	int progress = 0;
	if (use_splice(s))
		return splice_response(s);
	if (t->rsp_state != HRS_DONE) {
		int r = sbuf_recv(&s->srv, &t->sin, &s->bytes_out);
		if (r < 0) {
			stream_end_cause(s, TERM_SRV_ERR);
			return -1;
		}
		if (r)
			s->srv_exp = deadline(stream_to_server(s));
		progress = r;
	}
	if (t->rsp_state == HRS_WAIT) {
		int h = response_head(s);
		if (h < 0)
			return -1;
		if (t->tunnel)
			return 1;
		progress |= h;
	}
	if (t->rsp_state == HRS_BODY) {
		long n = http_move_body(&t->rsp.body, &t->sin, &s->rsp);
		if (n < 0) {
			counters_http_bad_rsp(s->be, s->server);
			stream_end_cause(s, TERM_SRV_ERR); /* response already started */
			return -1;
		}
		if (t->rsp.body.done) {
			t->rsp_state = HRS_DONE;
		} else if (s->srv.shutr && t->sin.tail == t->sin.head) {
			if (t->rsp.body.mode != HB_CLOSE)
				response_truncated(t);
			t->rsp_state = HRS_DONE;
		}
		progress |= n > 0;
	}
	int w = sbuf_send(&s->cli, &s->rsp);
	if (w < 0) {
		stream_end_cause(s, TERM_CLI_ERR);
		return -1;
	}
	if (w)
		s->cli_exp = deadline(stream_to_client(s));
	return progress || w;
}

/* Whether the server connection can serve another request. */
static int server_reusable(const struct stream *s)
{
	const struct http_txn *t = s->txn;
	return !t->srv_close && s->server && s->srv.fd >= 0 && !s->srv.shutr && !s->srv.err &&
	       t->sin.tail == t->sin.head;
}

/* Ends the transaction: keeps or closes the server connection, then closes
 * the client or waits for its next request. Returns -1 if <s> was freed.
 */
static int end_transaction(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (server_reusable(s)) {
		s->kal.conn_uses++;
		s->kal.idle_srv = s->server;
		srv_release(s->server);
		s->server = NULL;
		http_share_idle_conn(s);
	} else {
		stream_close_server(s);
		s->kal.idle_srv = NULL;
	}
	s->srv_exp = 0;
	if (t->cli_close || t->req_state != HRQ_DONE) {
		s->state = ST_HTTP_FLUSH; /* close gracefully */
		http_flush(s);
		return -1;
	}
	http_next_transaction(s);
	return 0;
}

void http_next_transaction(struct stream *s)
{
	struct http_txn *t = s->txn;
	log_txn_end(s);
	s->kal.nb_txn++;
	t->req_state = HRQ_HEAD;
	t->rsp_state = HRS_WAIT;
	t->rsp_started = t->srv_close = t->sent_100 = t->close_hdr = t->waiting_body = 0;
	t->stats_wait = 0;
	t->req_counted = 0;
	t->req_valid = t->rsp_valid = t->lax_rewrite = t->be_chosen = 0;
	t->wfb_until = 0;
	t->wfb_min = 0;
	t->rerun_to = NULL;
	t->status = 0;
	t->rscan_from = 0;
	t->rw_len = 0;
	capture_free(t, s->fe->conf);
	free(t->eh); /* left by a failed early-hint run */
	t->eh = NULL;
	t->eh_len = 0;
	if (s->addrs && s->addrs->addr_saved) { /* set-src/set-dst: the previous request only */
		s->cli_addr = s->addrs->saved_cli;
		if (s->dst_addr) /* else it could not be had */
			*s->dst_addr = s->addrs->saved_dst;
		s->addrs->addr_saved = 0;
	}
	stream_vars_txn_end(s);
	log_txn_begin(s);
	http_txn_idle(t);
	sbuf_release_if_empty(&s->req);
	s->state = ST_HTTP_REQ;
	s->attempts = 0;
	s->failed_srv = NULL;
	s->be = s->fe->default_be;
	s->retries_left = s->be ? s->be->conf->retries : 0;
	const struct px_timeouts *to = &s->fe->conf->to;
	s->cli_exp = deadline(to->http_keep_alive ? to->http_keep_alive
	                      : to->http_request  ? to->http_request
	                                          : to->client);
	stream_wakeup(s); /* sends what is pending, then a pipelined request */
	stream_arm_timer(s);
}

void http_forward(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (t->tunnel) {
		stream_forward(s);
		return;
	}
	int busy = 0;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		busy = 0;
		int up = forward_request(s);
		if (up < 0)
			return;
		int down = forward_response(s);
		if (down < 0)
			return;
		if (t->tunnel) {
			stream_forward(s);
			return;
		}
		if (!up && !down)
			break;
		busy = 1;
	}
	int flushed = (!s->rsp.data || s->rsp.tail == s->rsp.head) &&
	              (!s->req.data || s->req.tail == s->req.head) && !s->srv.pipe_len;
	if (t->rsp_state == HRS_DONE && flushed) {
		if (t->req_state != HRQ_DONE)
			t->cli_close = 1; /* answered before the request ended */
		end_transaction(s);
		return;
	}
	if (t->req_state == HRQ_DONE && t->rsp_state == HRS_WAIT)
		s->cli_exp = 0; /* only the server timeout runs while it thinks */
	if (busy)
		stream_wakeup(s); /* more to move: yield to other streams first */
	stream_arm_timer(s);
}
