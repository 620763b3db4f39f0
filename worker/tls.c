/* TLS transport of client connections: handshake, reads and writes mapped
 * onto the readiness flags of struct side (see worker/tls.h).
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/rcu.h"
#include "worker/stream.h"
#include "worker/tls.h"

int tls_side_start(struct side *sd, const struct tls_ctx *ctx)
{
	/* an event callback of a worker thread: an RCU read side */
	const struct tls_gen *g = hl_rcu_deref(((struct tls_ctx *)ctx)->gen);
	SSL *ssl = SSL_new(g->ctxs[0]); /* SSL_new() takes a reference on it */
	if (!ssl)
		return -1;
	if (!SSL_set_fd(ssl, sd->fd)) {
		SSL_free(ssl);
		ERR_clear_error();
		return -1;
	}
	SSL_set_accept_state(ssl);
	sd->ssl = ssl;
	return 0;
}

/* Records what OpenSSL waits for after a call that returned <ret>; returns
 * the SSL_get_error() code.
 */
static int note_wait(struct side *sd, int ret)
{
	int e = SSL_get_error(sd->ssl, ret);
	if (e == SSL_ERROR_WANT_READ) {
		sd->rd_ready = 0;
	} else if (e == SSL_ERROR_WANT_WRITE) {
		sd->wr_ready = 0;
	}
	return e;
}

int tls_handshake(struct side *sd, int *why)
{
	ERR_clear_error();
	int r = SSL_do_handshake(sd->ssl);
	if (r == 1) {
		sd->tls_hs_done = 1;
		return 1;
	}
	int e = note_wait(sd, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	/* nothing received at all: a connection closed or reset early */
	if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)
		*why = SSL_get_state(sd->ssl) == TLS_ST_BEFORE ? TLS_HS_EMPTY : TLS_HS_ABORT;
	else
		*why = TLS_HS_FAIL;
	if (e == SSL_ERROR_SYSCALL && errno != 0 && errno != ECONNRESET)
		*why = TLS_HS_ABORT;
	ERR_clear_error();
	sd->err = 1;
	return -1;
}

ssize_t tls_recv(struct side *sd, void *buf, size_t len)
{
	size_t n = 0;
	ERR_clear_error();
	int r = SSL_read_ex(sd->ssl, buf, len, &n);
	if (r == 1)
		return (ssize_t)n;
	int e = note_wait(sd, r);
	if (e == SSL_ERROR_WANT_WRITE)
		sd->tls_rd_wants_wr = 1;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	ERR_clear_error();
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	errno = EPROTO;
	return -1;
}

int tls_flush_static(struct side *sd)
{
	if (!sd->tls_static)
		return 0;
	size_t n = 0;
	ERR_clear_error();
	int r = SSL_write_ex(sd->ssl, sd->tls_static, sd->tls_static_len, &n);
	if (r == 1) {
		sd->tls_static = NULL;
		return 0;
	}
	int e = note_wait(sd, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	ERR_clear_error();
	sd->err = 1;
	return -1;
}

ssize_t tls_send(struct side *sd, const void *buf, size_t len)
{
	if (tls_flush_static(sd) < 0)
		return -1;
	if (sd->tls_static) {
		errno = EAGAIN;
		return -1;
	}
	size_t n = 0;
	ERR_clear_error();
	int r = SSL_write_ex(sd->ssl, buf, len, &n);
	sd->tls_wpend = r != 1;
	if (r == 1)
		return (ssize_t)n;
	int e = note_wait(sd, r);
	if (e == SSL_ERROR_WANT_READ)
		sd->tls_wr_wants_rd = 1;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	ERR_clear_error();
	errno = EPIPE;
	return -1;
}

int tls_send_static(struct side *sd, const char *p, size_t len)
{
	if (sd->tls_static || sd->tls_wpend)
		return 0; /* a record is still held: it must be retried as it was */
	sd->tls_static = p;
	sd->tls_static_len = len;
	/* the record is built on the first call: from then on it is committed */
	return tls_flush_static(sd) < 0 ? -1 : 1;
}

int tls_pending(const struct side *sd)
{
	return sd->ssl && SSL_pending(sd->ssl) > 0;
}

void tls_shutw(struct side *sd)
{
	if (!sd->ssl || !sd->tls_hs_done || sd->tls_closed)
		return;
	sd->tls_closed = 1;
	ERR_clear_error();
	SSL_shutdown(sd->ssl);
	ERR_clear_error();
}

void tls_side_free(struct side *sd)
{
	if (!sd->ssl)
		return;
	if (!sd->err)
		tls_shutw(sd);
	SSL_free(sd->ssl);
	sd->ssl = NULL;
}

const char *tls_version_name(const struct side *sd)
{
	return sd->ssl && sd->tls_hs_done ? SSL_get_version(sd->ssl) : NULL;
}

const char *tls_cipher_name(const struct side *sd)
{
	return sd->ssl && sd->tls_hs_done ? SSL_get_cipher_name(sd->ssl) : NULL;
}

const char *tls_sni(const struct side *sd)
{
	return sd->ssl ? SSL_get_servername(sd->ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

const char *tls_alpn(const struct side *sd, unsigned *len)
{
	const unsigned char *p = NULL;
	*len = 0;
	if (!sd->ssl)
		return NULL;
	SSL_get0_alpn_selected(sd->ssl, &p, len);
	return *len ? (const char *)p : NULL;
}

int tls_session_reused(const struct side *sd)
{
	return sd->ssl && sd->tls_hs_done && SSL_session_reused(sd->ssl);
}
