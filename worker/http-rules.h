/* HTTP rule sets in the transaction (worker/http-rules.c). */
#pragma once
#include "worker/stream.h"

/* Runs the http-request rules of the frontend, chooses the backend
 * (s->be, NULL when none), runs the backend's. Returns 1 when the request
 * goes on, 0 when it was answered (denied, returned, redirected...), 2
 * when a wait-for-body rule waits for the body: the head is parsed and
 * the rules run again once it came (txn->wfb_until is the deadline).
 */
int http_request_rules(struct stream *s);

/* Runs the http-response rules (backend then frontend) and the
 * http-after-response ones on the parsed response head. Returns 1 when it
 * goes on, -1 when the response was replaced (the stream taken over).
 */
int http_response_rules(struct stream *s);

/* Appends a reply Halyard made itself (<raw>, a whole response) to s->rsp,
 * through the http-after-response rules of the backend and the frontend
 * when there are any. Returns 0, or -1 when it does not fit.
 */
int http_append_local_reply(struct stream *s, const char *raw, size_t len);

/* The request head was answered locally: consumes it from the client
 * buffer, its body (if any) is read and dropped.
 */
void http_request_consumed(struct stream *s);
