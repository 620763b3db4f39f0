/* TLS under health checks (see worker/check-ssl.h). */
#include "worker/check-ssl.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/socket.h>

#include "conf/ssl-server.h"

static char check_mark; /* app data of the TLS states of checks */

struct ssl_st *check_tls_new(const struct tls_srv_cfg *t, int fd)
{
	SSL *ssl = SSL_new(t->ctx);
	if (!ssl)
		return NULL;
	SSL_set_app_data(ssl, &check_mark);
	if (!SSL_set_fd(ssl, fd))
		goto fail;
	SSL_set_connect_state(ssl);
	if (t->check_sni && !SSL_set_tlsext_host_name(ssl, t->check_sni))
		goto fail;
	if (t->check_alpn && SSL_set_alpn_protos(ssl, t->check_alpn, t->check_alpn_len) != 0)
		goto fail;
	const char *name = t->verifyhost ? t->verifyhost : t->check_sni;
	if (t->verify > 0 && name) {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (!SSL_set1_host(ssl, name))
			goto fail;
	}
	return ssl;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}

int check_tls_is_check(const struct ssl_st *ssl)
{
	return SSL_get_app_data(ssl) == &check_mark;
}

int check_tls_handshake(struct ssl_st *ssl, char *info, size_t ilen)
{
	int r = SSL_do_handshake(ssl);
	if (r == 1)
		return 1;
	int e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return 0;
	}
	long v = SSL_get_verify_result(ssl);
	snprintf(info, ilen, "%s",
	         v == X509_V_ERR_HOSTNAME_MISMATCH
	             ? "Server presented an SSL certificate different from the configured one"
	             : "SSL handshake failure");
	ERR_clear_error();
	return -1;
}

/* Maps the outcome <r> of an SSL_read/SSL_write to the socket calls' own. */
static ssize_t io_result(struct ssl_st *ssl, int r)
{
	if (r > 0)
		return r;
	int e = SSL_get_error(ssl, r);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	errno = ECONNRESET;
	return -1;
}

ssize_t check_io_recv(int fd, struct ssl_st *ssl, void *buf, size_t len)
{
	if (!ssl)
		return recv(fd, buf, len, 0);
	return io_result(ssl, SSL_read(ssl, buf, len > 0x7fffffff ? 0x7fffffff : (int)len));
}

ssize_t check_io_send(int fd, struct ssl_st *ssl, const void *buf, size_t len)
{
	if (!ssl)
		return send(fd, buf, len, MSG_NOSIGNAL);
	return io_result(ssl, SSL_write(ssl, buf, len > 0x7fffffff ? 0x7fffffff : (int)len));
}

void check_tls_free(struct ssl_st *ssl)
{
	SSL_free(ssl);
}
