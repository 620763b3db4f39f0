/* TLS under health checks: "check-ssl", or servers with "ssl" whose checks
 * have no port or address of their own. The server's client context is
 * used (verification, versions, ciphers, client certificate); "check-sni"
 * and "check-alpn" apply to checks only.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

struct ssl_st;
struct tls_srv_cfg;

/* A client TLS state on connected socket <fd> for the checks of <t>, or
 * NULL (no memory). Sessions of checks are never kept for traffic.
 */
struct ssl_st *check_tls_new(const struct tls_srv_cfg *t, int fd);

/* Whether <ssl> is the TLS state of a check (not of traffic). */
int check_tls_is_check(const struct ssl_st *ssl);

/* Progresses the handshake: 1 done, 0 waiting for the socket, -1 failed
 * with HAProxy's info text in <info> (<ilen> bytes).
 */
int check_tls_handshake(struct ssl_st *ssl, char *info, size_t ilen);

/* recv() and send() through <ssl> when not NULL, on <fd> otherwise: the
 * same returns, with errno EAGAIN while TLS waits for the socket and 0 at
 * the peer's close_notify.
 */
ssize_t check_io_recv(int fd, struct ssl_st *ssl, void *buf, size_t len);
ssize_t check_io_send(int fd, struct ssl_st *ssl, const void *buf, size_t len);

/* Frees <ssl> (NULL: nothing) without waiting for the peer. */
void check_tls_free(struct ssl_st *ssl);
