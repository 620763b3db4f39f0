/* HTTP mode of a stream: a client connection carries a sequence of
 * transactions, each one parsed by the HTTP/1.x mux (common/h1.c) into a
 * struct http_msg, analysed, written back out and forwarded.
 *
 * Buffers of an HTTP stream:
 *   client --> txn->cin --(analysers: head rewritten, body scanned)--> s->req --> server
 *   client <-- s->rsp <--(head rewritten, body scanned)-- txn->sin <-- server
 * Raw bytes land in cin/sin; only the bytes of the current message move to
 * s->req/s->rsp, so pipelined requests wait in cin for their turn. Message
 * heads are parsed in place: header slices point into cin/sin until the
 * head has been written out and consumed, in the same call.
 *
 * Invariants:
 *  - the head of a request is analysed only once the previous response was
 *    completely sent (responses go out in request order);
 *  - between transactions, a reusable server connection stays in s->srv
 *    with txn->idle_srv set and no server slot held (s->server is NULL);
 *  - once part of a response went to the client, no error page can be sent
 *    any more: errors then close the connection.
 */
#pragma once
#include <stdint.h>

#include "common/h1.h"
#include "common/http-msg.h"
#include "worker/stream.h"

#define HTTP_EXTRA_HDRS 8 /* header slots for what the analysers add */

enum http_req_state { HRQ_HEAD = 0, HRQ_BODY, HRQ_DONE };
enum http_rsp_state { HRS_WAIT = 0, HRS_BODY, HRS_DONE };

struct http_txn {
	struct sbuf cin; /* raw client bytes not analysed yet */
	struct sbuf sin; /* raw server bytes not analysed yet */
	struct http_msg req, rsp;
	enum http_req_state req_state;
	enum http_rsp_state rsp_state;
	uint32_t scan_from;     /* bytes of cin already searched for the end of a head */
	uint32_t rscan_from;    /* same for sin */
	unsigned cli_close : 1; /* close the client connection after this transaction */
	unsigned srv_close : 1; /* do not keep the server connection */
	unsigned rsp_started : 1;
	unsigned tunnel : 1;
	unsigned lingering : 1; /* reply sent, waiting for the client to close */
	unsigned has_hash : 1;
	unsigned reused : 1;          /* the server connection served a request before */
	unsigned sent_100 : 1;        /* we answered "Expect: 100-continue" ourselves */
	unsigned close_hdr : 1;       /* the error reply announces "connection: close" */
	unsigned discarding : 1;      /* dropping the body of a request answered locally */
	unsigned waiting_body : 1;    /* head complete, http-buffer-request waits for the body */
	unsigned stats_wait : 1;      /* the statistics page waits for a posted form's body */
	unsigned req_counted : 1;     /* this transaction's request is in req_tot */
	unsigned req_valid : 1;       /* t->req's slices point to live bytes (rules may read it) */
	unsigned rsp_valid : 1;       /* same for t->rsp */
	unsigned lax_rewrite : 1;     /* "strict-mode off": failed rewrites are ignored */
	unsigned be_chosen : 1;       /* backend switching was done for this request */
	uint64_t wfb_until;           /* wait-for-body: waiting for the body until then (ms) */
	uint32_t wfb_min;             /* wait-for-body at-least: enough body bytes */
	int maxhdrs;                  /* header fields a message may have (tune.http.maxhdr) */
	int status;                   /* status of the response sent */
	uint32_t lb_hash;             /* LB key of this request when has_hash */
	enum term_cause pending_term; /* why the stream ends after a reply */
	char xff[64], xot[64];        /* values of added headers */
	char *lout;                   /* rest of a large local reply, not yet in s->rsp */
	uint32_t lout_len, lout_off;
	char *req_copy; /* request head kept to retry on a reused connection */
	uint32_t req_copy_len;
	char **caps[2];      /* captured values per slot (request, response), NULL: none */
	char *cookie_cap[2]; /* "capture cookie" of the request and response (%CC %CS) */
	char *eh;            /* 103 response being built by early-hint rules, NULL: none */
	/* request rules run again after a wait-for-body yield: the rule that
	 * yielded, until it runs again (what came before it already acted)
	 */
	const struct act_rule *rerun_to;
	uint32_t eh_len;
	char *rw;                 /* values written by rules (headers, URI...) */
	uint32_t rw_len, rw_size; /* for this transaction */
	struct http_hdr *hdrs;    /* request then response slots, NULL while idle */
	int slots;                /* header slots per message */
};

/* Gives the transaction its header slots (kept per thread between uses)
 * before a message is parsed; -1 on memory exhaustion.
 */
int http_txn_take_slots(struct http_txn *t);

/* An idle connection (no request under way) gives its header slots and
 * rewrite area back, so that idle connections stay small.
 */
void http_txn_idle(struct http_txn *t);

/* Whether the client's request asks to close after the response
 * (Connection: close, or HTTP/1.0 without keep-alive): local replies then
 * say "connection: close".
 */
int http_client_closes(const struct http_txn *t);

/* Room for <len> bytes of rewritten message parts, kept until the next
 * transaction (at most tune.maxrewrite per message side twice over);
 * NULL when exhausted (a rewrite failure).
 */
char *http_rw_alloc(struct http_txn *t, size_t len);

/* Gives the transaction state of <s> (between two requests, with nothing
 * received and nothing pending) back, so that idle connections stay
 * small: s->txn is then NULL until http_txn_new() at the next request.
 * Does nothing when the transaction still holds something.
 */
void http_txn_park(struct stream *s);

/* Allocates the transaction state of <s> (HTTP frontends) unless it has
 * one; -1 on failure.
 */
int http_txn_new(struct stream *s);
void http_txn_free(struct stream *s);

/* Runs the HTTP side of the state machine for ST_HTTP_REQ, ST_HTTP_FLUSH and
 * ST_ESTABLISHED. May free <s>.
 */
void http_process(struct stream *s);

/* Called when the stream is about to end with <why>: answers the client
 * with an error (503, 504, 502, 408) when the transaction still allows it.
 * Returns 1 when it took the stream over (not freed), 0 to end it now.
 */
int http_end_hook(struct stream *s, enum term_cause why);

/* Before connecting to <srv>: reuses the stream's idle connection to that
 * server if it has one. Returns 1 when s->srv is ready to use.
 */
int http_use_idle_conn(struct stream *s, struct srv_rt *srv);

/* After a transaction that left the server connection idle: with
 * "http-reuse always" or "aggressive", the connection joins the thread
 * pool at once, where any stream may take it (this one's next request
 * included), rather than waiting for the client to leave.
 */
void http_share_idle_conn(struct stream *s);

/* Soft stop: closes <s> if it waits for a request with nothing received,
 * else makes its current transaction the last one.
 */
void http_soft_stop(struct stream *s);

/* After a reused server connection failed before any response byte:
 * sends the request again on a new connection. Returns 1 when it did.
 */
int http_retry_on_new_conn(struct stream *s);

/* http-req.c: waits for and analyses a request head. Returns -1 when the
 * stream was freed, 0 to wait, 1 when the request goes to a server.
 */
int http_wait_request(struct stream *s);

/* Whether request <req> asks for a WebSocket upgrade. */
int http_is_websocket(const struct http_msg *req);

/* Counts the request of the current transaction in its frontend's req_tot,
 * once; <accepted> when its head was valid.
 */
void http_count_request(struct stream *s, int accepted);

/* Prepares <s> for the next request on the same client connection. */
void http_next_transaction(struct stream *s);

/* http-fwd.c: forwards the current transaction once connected. */
void http_forward(struct stream *s);

/* http-reply.c: sends <status>'s error page, then closes after <why>. */
void http_reply_error(struct stream *s, int status, enum term_cause why);
/* Answers with the complete response <raw> (status <status>, counted) in
 * place of the server's, whether a server was involved or not; keeps the
 * client connection when the transaction allows it.
 */
void http_reply_raw(struct stream *s, const char *raw, size_t len, int status);
/* Sends a complete local response; keeps the connection unless <close>. */
void http_reply_local(struct stream *s, const char *raw, size_t len, int close);
/* The tarpit delay of a refused request is over: sends its error reply
 * and closes. May free <s>.
 */
void http_tarpit_expired(struct stream *s);
/* Like http_reply_local(), for a reply of any size with <status> in allocated <raw>, which it
 * takes over: what does not fit in s->rsp waits in the transaction.
 */
void http_reply_local_owned(struct stream *s, int status, char *raw, size_t len, int close);
/* Sends s->rsp to the client, refilled from a pending large local reply.
 * Returns -1 on error, 0 while bytes remain, 1 once all went out; sets
 * *<wrote> when some did.
 */
int http_send_pending(struct stream *s, int *wrote);
/* Flushing and lingering after a reply (ST_HTTP_FLUSH). May free <s>. */
void http_flush(struct stream *s);

/* Moves the body bytes of <b> from <in> to <out> (zero copy when <out> is
 * empty and takes all of <in>). Returns bytes moved or -1 on bad framing.
 */
long http_move_body(struct http_body *b, struct sbuf *in, struct sbuf *out);

/* Finds the end of a message head in <b>, resuming at *scanned. */
int http_head_ready(const struct sbuf *b, uint32_t *scanned);

/* The header name speller for messages to the server (<to_server>) or to
 * the client: h1-case-adjust when the proxy's bogus-peer option asks for it.
 */
h1_case_fn http_case_fn(const struct stream *s, int to_server);

/* The connection mode of this stream: the strongest of frontend and backend. */
enum http_conn_mode http_conn_mode(const struct stream *s);
