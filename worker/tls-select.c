/* Choice among certificates of different key types serving the same name:
 * a client hello callback reads the signature algorithms and the ciphers
 * the client offers, and the SNI callback (worker/tls-ctx.c) picks the
 * certificate from them as HAProxy 2.6 does.
 */
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdint.h>

#include "worker/tls-select.h"

/* What the client hello offers. */
#define F_SEEN 0x01       /* the callback ran */
#define F_NO_SIGALGS 0x02 /* no signature_algorithms extension (< TLS 1.2) */
#define F_SIG_ECDSA 0x04
#define F_SIG_RSA 0x08 /* RSA PKCS#1 */
#define F_SIG_PSS 0x10 /* RSA-PSS */
#define F_CIPH_ECDSA 0x20
#define F_CIPH_RSA 0x40
#define F_CIPH_ANY 0x80 /* TLS 1.3 suites, which any key type serves */

static int hello_index = -1;

int tls_key_type(const void *pkey)
{
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		return TLS_KT_ECDSA;
	case EVP_PKEY_RSA:
		return TLS_KT_RSA;
	default:
		return TLS_KT_OTHER;
	}
}

/* Flags of the signature algorithms list of the client hello. */
static unsigned sigalg_flags(SSL *ssl)
{
	const unsigned char *p;
	size_t len;
	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_signature_algorithms, &p, &len) || len < 2)
		return F_NO_SIGALGS;
	size_t l = ((size_t)p[0] << 8) | p[1];
	unsigned f = 0;
	if (l > len - 2)
		l = len - 2;
	for (size_t i = 2; i + 1 < l + 2; i += 2) {
		unsigned hash = p[i], sign = p[i + 1];
		if (sign == TLSEXT_signature_ecdsa)
			f |= F_SIG_ECDSA;
		else if (sign == TLSEXT_signature_rsa)
			f |= F_SIG_RSA;
		else if (hash == 8 && ((sign >= 4 && sign <= 6) || (sign >= 9 && sign <= 11)))
			f |= F_SIG_PSS;
	}
	return f;
}

/* Whether the client and the server may agree on TLS 1.3. */
static int tls13_possible(SSL *ssl)
{
	const unsigned char *p;
	size_t len;
	long max = SSL_get_max_proto_version(ssl);
	if ((max && max < TLS1_3_VERSION) ||
	    !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p, &len) || len < 1)
		return 0;
	for (size_t i = 1; i + 1 < len && i + 1 <= p[0]; i += 2)
		if (p[i] == 0x03 && p[i + 1] == 0x04)
			return 1;
	return 0;
}

/* Flags of the cipher list of the client hello (TLS 1.3 suites only when
 * TLS 1.3 may be negotiated).
 */
static unsigned cipher_flags(SSL *ssl)
{
	const unsigned char *c;
	size_t n = SSL_client_hello_get0_ciphers(ssl, &c);
	unsigned f = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		const SSL_CIPHER *ci = SSL_CIPHER_find(ssl, c + i);
		int nid = ci ? SSL_CIPHER_get_auth_nid(ci) : NID_undef;
		f |= nid == NID_auth_ecdsa ? F_CIPH_ECDSA
		     : nid == NID_auth_rsa ? F_CIPH_RSA
		     : nid == NID_auth_any ? F_CIPH_ANY
		                           : 0;
	}
	if ((f & F_CIPH_ANY) && !tls13_possible(ssl))
		f &= ~F_CIPH_ANY;
	return f;
}

static int hello_cb(SSL *ssl, int *alert, void *arg)
{
	uintptr_t f = F_SEEN | sigalg_flags(ssl) | cipher_flags(ssl);
	SSL_set_ex_data(ssl, hello_index, (void *)f);
	return SSL_CLIENT_HELLO_SUCCESS;
}

void tls_select_setup(SSL_CTX *ctx)
{
	if (hello_index < 0)
		hello_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	SSL_CTX_set_client_hello_cb(ctx, hello_cb, NULL);
}

static unsigned flags_of(SSL *ssl)
{
	return hello_index < 0 ? 0 : (unsigned)(uintptr_t)SSL_get_ex_data(ssl, hello_index);
}

int tls_pick_type(SSL *ssl, const int idx[TLS_KT_N])
{
	unsigned f = flags_of(ssl);
	int ecdsa = (f & F_SIG_ECDSA) && (f & F_CIPH_ECDSA);
	int rsa = (f & F_SIG_RSA) || (f & F_NO_SIGALGS);
	if (ecdsa && idx[TLS_KT_ECDSA] >= 0)
		return idx[TLS_KT_ECDSA];
	if (rsa && idx[TLS_KT_RSA] >= 0)
		return idx[TLS_KT_RSA];
	if (idx[TLS_KT_OTHER] >= 0)
		return idx[TLS_KT_OTHER];
	return idx[TLS_KT_ECDSA] >= 0 ? idx[TLS_KT_ECDSA] : idx[TLS_KT_RSA];
}

int tls_client_accepts(SSL *ssl, int kt)
{
	unsigned f = flags_of(ssl);
	if (!(f & F_SEEN) || kt == TLS_KT_OTHER)
		return 1; /* nothing known: keep the default */
	int nosig = f & F_NO_SIGALGS;
	if (kt == TLS_KT_ECDSA)
		return (nosig || (f & F_SIG_ECDSA)) && (f & (F_CIPH_ECDSA | F_CIPH_ANY));
	return (nosig || (f & (F_SIG_RSA | F_SIG_PSS))) && (f & (F_CIPH_RSA | F_CIPH_ANY));
}
