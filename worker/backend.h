/* Server assignment, connection establishment, retries, redispatch and the
 * backend queue for TCP streams.
 */
#pragma once
#include "worker/stream.h"

/* Chooses a server (or queues the stream) and starts connecting. Leaves the
 * stream in ST_CONNECTING, ST_ESTABLISHED, ST_QUEUED or ST_TURNAROUND.
 * Returns -1 if the stream was ended (freed), else 0.
 */
int backend_assign_and_connect(struct stream *s);

/* Checks a pending connect after a write event (and, towards a TLS server,
 * advances the handshake). Returns 1 when established, 2 while the TLS
 * handshake waits for the socket, 0 when it failed and a retry was
 * prepared, -1 if the stream was freed.
 */
int backend_connect_check(struct stream *s);

/* Handles a failed connection attempt (<why>: TERM_CONN_FAIL or
 * TERM_SRV_TO for a connect timeout). Returns 0 when a retry was prepared,
 * -1 if the stream was ended.
 */
int backend_connect_failed(struct stream *s, enum term_cause why);

/* Allocates the queues of <nbe> backends; once, before traffic. */
void backend_queues_init(int nbe);

/* Gives back one connection slot of <srv> and wakes a queued stream. */
void srv_release(struct srv_rt *srv);

/* Makes <srv> (NULL: none) the server whose counters stream <s> feeds,
 * holding a reference on it (srv_rt.refs) so that it is not deleted while
 * the stream may still use it.
 */
void stream_set_acct_srv(struct stream *s, struct srv_rt *srv);

/* Wakes up to <n> streams waiting in <be>'s queue (after a limit was
 * raised); each one runs server assignment again on its own thread.
 */
void backend_wake_queued(struct be_rt *be, int n);

/* Removes <s> from its backend queue if it is queued. Returns 1 when a
 * wake-up mail for <s> is in flight: the caller must not free it then.
 */
int backend_dequeue_stream(struct stream *s);

/* Frees a stream that ended while its wake-up mail was in flight. */
void stream_release_zombie(struct stream *s);

