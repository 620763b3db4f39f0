/* Certificate Transparency: the signed certificate timestamp list of
 * "<crt>.sctl" sent in the signed_certificate_timestamp extension (TLS 1.2
 * and below, as HAProxy 2.6) to clients that ask for it.
 */
#include <openssl/ssl.h>

#include "worker/tls-sctl.h"
#include "worker/tls.h"

#define EXT_SCT 18 /* signed_certificate_timestamp */

int tls_sctl_valid(const unsigned char *p, size_t len)
{
	if (len < 2 || (((size_t)p[0] << 8) | p[1]) + 2 != len)
		return 0;
	for (size_t pos = 2; pos < len;) {
		if (pos + 2 > len)
			return 0;
		size_t l = ((size_t)p[pos] << 8) | p[pos + 1];
		pos += 2;
		if (!l || pos + l > len)
			return 0;
		pos += l;
	}
	return 1;
}

static int add_cb(SSL *ssl, unsigned ext, const unsigned char **out, size_t *outlen, int *al,
                  void *arg)
{
	const struct tls_cert *crt = arg;
	*out = crt->sctl;
	*outlen = crt->sctl_len;
	return 1;
}

static int parse_cb(SSL *ssl, unsigned ext, const unsigned char *in, size_t inlen, int *al,
                    void *arg)
{
	return 1; /* the client's request carries nothing */
}

int tls_sctl_setup(struct ssl_ctx_st *ctx, const struct tls_cert *crt)
{
	if (!crt->sctl)
		return 0;
	return SSL_CTX_add_server_custom_ext(ctx, EXT_SCT, add_cb, NULL, (void *)crt, parse_cb,
	                                     NULL) == 1
	           ? 0
	           : -1;
}
