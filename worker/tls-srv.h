/* TLS towards servers (worker/tls-srv.c): client contexts, the client
 * handshake on the server side of streams, session reuse per server and
 * thread.
 */
#pragma once

struct tls_srv_cfg;
struct stream;
struct side;

/* Builds the OpenSSL client context of server settings <t> (defaults
 * applied): versions, ciphers, CA and CRL files, client certificate, ALPN.
 * Returns 0, or -1 with *<err> set.
 */
int tls_srv_ctx_build(struct tls_srv_cfg *t, char **err);

/* Starts the client handshake on the connected server side of <s> (its
 * server has TLS): SNI from the "sni" expression, the host name to verify,
 * the thread's last session with this server. Returns 0, or -1 on failure.
 */
int tls_srv_start(struct stream *s);

/* Advances it: 1 when done, 0 to wait for the socket, -1 when it failed. */
int tls_srv_step(struct stream *s);

/* Whether connections to the stream's current server speak TLS. */
int tls_srv_wanted(const struct stream *s);

struct ssl_st;
/* Gives <sd> the established TLS session <ssl> of a reused connection
 * (NULL: a plain one), with the TLS flags of a fresh side.
 */
void tls_side_adopt(struct side *sd, struct ssl_st *ssl);

/* HTTP: computes, while the request head is still parsed, the SNI of the
 * backend's TLS servers (the expression of the first one that has one;
 * servers usually share it through default-server), kept in the stream.
 */
void tls_srv_prepare_sni(struct stream *s);
