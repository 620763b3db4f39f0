/* TCP rule sets in the stream (worker/tcp-rules.c). */
#pragma once
#include "worker/stream.h"

/* Makes the coming close of client socket <fd> invisible to the client, as
 * HAProxy's silent-drop: no FIN nor RST (TCP repair mode) when the process
 * may, else a reset with a TTL of 1 that does not go past the first hop.
 */
void tcp_silent_drop(int fd);

/* Runs "tcp-request connection" rules right after accept. Returns 0 when
 * the connection goes on, -1 when a rule refused it (the caller ends it).
 */
int tcp_connection_rules(struct stream *s);

/* Runs "tcp-request session" rules once the session is set up (after the
 * PROXY header when there is one). Returns 0 to go on, -1 when refused.
 */
int tcp_session_rules(struct stream *s);

/* Whether the stream (TCP mode) inspects content before choosing a
 * backend: its frontend has "tcp-request content" rules.
 */
int tcp_wants_inspection(const struct stream *s);

/* Enters the inspection state, armed with the frontend's inspect-delay. */
void tcp_inspect_start(struct stream *s);

/* ST_INSPECT: buffers the client's data and runs the content rules, then
 * chooses the backend. Returns 1 when the stream goes on to ST_ASSIGN, 0
 * to wait for data or the delay, -1 when it was ended.
 */
int tcp_inspect(struct stream *s);

/* Arms the response inspection of a TCP-mode stream whose backend has
 * "tcp-response content" rules (called once the server is connected).
 */
void tcp_res_inspect_start(struct stream *s);

/* While the response is inspected: reads the server's data into s->rsp
 * without forwarding it and runs the backend's "tcp-response content"
 * rules. Returns 1 once they decided that the response goes on (it is then
 * forwarded normally), 0 to wait for data or the delay, -1 when the stream
 * was ended.
 */
int tcp_res_inspect(struct stream *s);
