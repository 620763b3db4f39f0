/* TLS transport of client connections: handshake, reads and writes mapped
 * onto the readiness flags of struct side (see worker/tls.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
	sd->tls_try_early = ctx->early_data != 0;
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

/* Keeps the <n> early bytes of <p> for tls_recv(). -1 when they do not
 * fit (OpenSSL bounds them by TLS_EARLY_MAX) or on memory exhaustion.
 */
static int early_keep(struct side *sd, const unsigned char *p, size_t n)
{
	if (!sd->tls_ebuf && !(sd->tls_ebuf = malloc(TLS_EARLY_MAX)))
		return -1;
	if (sd->tls_eoff == sd->tls_elen)
		sd->tls_eoff = sd->tls_elen = 0;
	if (n > TLS_EARLY_MAX - sd->tls_elen)
		return -1;
	memcpy(sd->tls_ebuf + sd->tls_elen, p, n);
	sd->tls_elen += (uint32_t)n;
	sd->tls_early_rcvd = 1;
	return 0;
}

/* Reads the early data the client sent so far aside, until OpenSSL waits
 * for the socket or reports their end (none sent, rejected, or all read).
 * Returns 1 at their end (sd->tls_early_fin), 0 to wait, or -1 with the
 * SSL_get_error() code in *<e>.
 */
static int early_read(struct side *sd, int *e)
{
	static _Thread_local unsigned char scratch[TLS_EARLY_MAX];
	while (!sd->tls_early_fin) {
		size_t n = 0;
		ERR_clear_error();
		int r = SSL_read_early_data(sd->ssl, scratch, sizeof(scratch), &n);
		if (r == SSL_READ_EARLY_DATA_ERROR) {
			*e = note_wait(sd, 0);
			if (sd->tls_eoff < sd->tls_elen)
				sd->rd_ready = 1; /* early data wait in tls_ebuf */
			return *e == SSL_ERROR_WANT_READ || *e == SSL_ERROR_WANT_WRITE ? 0 : -1;
		}
		if (n && early_keep(sd, scratch, n) < 0) {
			*e = SSL_ERROR_SSL;
			return -1;
		}
		if (r == SSL_READ_EARLY_DATA_FINISH)
			sd->tls_early_fin = 1;
	}
	return 1;
}

/* The TLS_HS_* reason of a handshake that failed with error <e>. */
static int failure_reason(const struct side *sd, int e)
{
	int why = TLS_HS_FAIL;
	/* nothing received at all: a connection closed or reset early */
	if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)
		why = SSL_get_state(sd->ssl) == TLS_ST_BEFORE ? TLS_HS_EMPTY : TLS_HS_ABORT;
	if (e == SSL_ERROR_SYSCALL && errno != 0 && errno != ECONNRESET)
		why = TLS_HS_ABORT;
	return why;
}

/* One step of the handshake past the early data: 1 done, 0 to wait, -1
 * with the SSL_get_error() code in *<e>.
 */
static int hs_step(struct side *sd, int *e)
{
	ERR_clear_error();
	int r = SSL_do_handshake(sd->ssl);
	if (r == 1) {
		sd->tls_hs_done = 1;
		sd->tls_early = 0;
		return 1;
	}
	*e = note_wait(sd, r);
	return *e == SSL_ERROR_WANT_READ || *e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

int tls_handshake(struct side *sd, int *why)
{
	int e = 0, r = 1;
	if (sd->tls_try_early)
		r = early_read(sd, &e);
	if (r > 0)
		r = hs_step(sd, &e);
	if (r > 0) {
		if (sd->tls_eoff < sd->tls_elen)
			sd->rd_ready = 1; /* early data wait in tls_ebuf */
		return 1;
	}
	if (r == 0) {
		/* early data came: the session starts before the handshake ends */
		sd->tls_early = sd->tls_eoff < sd->tls_elen;
		return sd->tls_early;
	}
	*why = failure_reason(sd, e);
	ERR_clear_error();
	sd->err = 1;
	return -1;
}

int tls_early_finish(struct side *sd)
{
	if (!sd->tls_early)
		return sd->err ? -1 : 1;
	int e = 0;
	int r = sd->err ? -1 : early_read(sd, &e);
	if (r > 0)
		r = hs_step(sd, &e);
	if (r < 0) {
		ERR_clear_error();
		sd->err = 1;
	}
	return r;
}

int tls_has_early(const struct side *sd)
{
	return sd->ssl && sd->tls_early;
}

int tls_early_rcvd(const struct side *sd)
{
	return sd->ssl && sd->tls_early_rcvd;
}

/* Moves early data kept aside to <buf>: the bytes moved, 0 if none. */
static size_t early_take(struct side *sd, void *buf, size_t len)
{
	size_t n = sd->tls_elen - sd->tls_eoff;
	if (!n) {
		if (!sd->tls_early) { /* all delivered and the handshake is done */
			free(sd->tls_ebuf);
			sd->tls_ebuf = NULL;
		}
		return 0;
	}
	n = n < len ? n : len;
	memcpy(buf, sd->tls_ebuf + sd->tls_eoff, n);
	sd->tls_eoff += (uint32_t)n;
	return n;
}

ssize_t tls_recv(struct side *sd, void *buf, size_t len)
{
	size_t n = 0;
	if (sd->tls_ebuf && (n = early_take(sd, buf, len)) > 0)
		return (ssize_t)n;
	if (sd->tls_early) {
		int r = tls_early_finish(sd);
		if (sd->tls_ebuf && (n = early_take(sd, buf, len)) > 0)
			return (ssize_t)n;
		if (r < 0) {
			errno = EPROTO;
			return -1;
		}
		if (r == 0) {
			errno = EAGAIN;
			return -1;
		}
	}
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

/* Before writing on a session started on early data: 1 once the handshake
 * is done, 0 to wait (for readability, most often: the client's Finished),
 * -1 on error.
 */
static int early_write_ready(struct side *sd)
{
	if (!sd->tls_early)
		return 1;
	int r = tls_early_finish(sd);
	if (r == 0)
		sd->tls_wr_wants_rd = 1;
	return r;
}

int tls_flush_static(struct side *sd)
{
	if (!sd->tls_static)
		return 0;
	int w = early_write_ready(sd);
	if (w <= 0)
		return w;
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
	int w = early_write_ready(sd);
	if (w <= 0) {
		errno = w < 0 ? EPIPE : EAGAIN;
		return -1;
	}
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
	return sd->ssl &&
	       ((sd->tls_ebuf && sd->tls_eoff < sd->tls_elen) || SSL_pending(sd->ssl) > 0);
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
	free(sd->tls_ebuf);
	sd->tls_ebuf = NULL;
}

const char *tls_version_name(const struct side *sd)
{
	return sd->ssl && (sd->tls_hs_done || sd->tls_early) ? SSL_get_version(sd->ssl) : NULL;
}

const char *tls_cipher_name(const struct side *sd)
{
	return sd->ssl && (sd->tls_hs_done || sd->tls_early) ? SSL_get_cipher_name(sd->ssl) : NULL;
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
	return sd->ssl && (sd->tls_hs_done || sd->tls_early) && SSL_session_reused(sd->ssl);
}
