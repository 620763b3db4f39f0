/* The TLS handshake of a client stream (worker/tls-hs.c). */
#pragma once

struct stream;

/* Starts TLS on the client side of <s> when its listener has it (the
 * handshake then runs in ST_TLS_HS, after a PROXY header if one is
 * expected). Returns 0, or -1 on memory exhaustion.
 */
int tls_hs_start(struct stream *s);

/* Advances the handshake of <s> (ST_TLS_HS): 1 once done (the session may
 * start), 0 while waiting, -1 when it failed and <s> was ended.
 */
int tls_hs_step(struct stream *s);

/* <s> ends during its handshake with <why>: logs the failure as HAProxy
 * does for connections that never became sessions, and counts it.
 */
void tls_hs_aborted(struct stream *s, int why);

struct side;
/* A TLS side closes: no longer counted as open. */
void tls_side_uncount(struct side *sd);

/* Totals over threads: TLS connections accepted, handshakes done, reused
 * sessions among them, failed handshakes, TLS connections open now.
 */
struct tls_stats {
	unsigned long long cum, done, reused, failed, cur;
};
void tls_stats_sum(struct tls_stats *out);
