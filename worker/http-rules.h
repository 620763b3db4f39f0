/* HTTP rule sets in the transaction (worker/http-rules.c). */
#pragma once
#include "worker/stream.h"

/* Runs the http-request rules of the frontend, chooses the backend
 * (s->be, NULL when none), runs the backend's. Returns 1 when the request
 * goes on, 0 when it was answered (denied, returned, redirected...).
 */
int http_request_rules(struct stream *s);

/* Runs the http-response rules (backend then frontend) and the
 * http-after-response ones on the parsed response head. Returns 1 when it
 * goes on, -1 when the response was replaced (the stream taken over).
 */
int http_response_rules(struct stream *s);

/* The request head was answered locally: consumes it from the client
 * buffer, its body (if any) is read and dropped.
 */
void http_request_consumed(struct stream *s);
