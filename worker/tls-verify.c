/* Client certificate verification: context setup, verification callback
 * and the per-connection result (see worker/tls-verify.h).
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include "common/mem.h"
#include "worker/stream.h"
#include "worker/tls-verify.h"

/* ex_data slots: the verify settings on each SSL_CTX, the packed result on
 * each SSL. Created once at configuration time.
 */
static int ctx_idx = -1, ssl_idx = -1;

/* Packed per-connection state (an integer stored in the SSL ex_data). */
#define ST_DONE 0x1u
#define ST_FAIL_SHIFT 1  /* 2 bits */
#define ST_DEPTH_SHIFT 3 /* 8 bits */
#define ST_CA_SHIFT 11   /* 10 bits */
#define ST_CRT_SHIFT 21  /* 10 bits */
#define ST_ERR_MASK 0x3ffu

static int ignored(const uint64_t *bits, int err)
{
	return err > 0 && err <= TLS_MAX_VFY_ERR && (bits[err / 64] >> (err % 64)) & 1;
}

/* Verification callback: records the first CA and certificate errors,
 * accepts those listed in the ignore lists, refuses the others.
 */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	const struct tls_verify_cfg *v = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_idx);
	uintptr_t st = (uintptr_t)SSL_get_ex_data(ssl, ssl_idx) | ST_DONE;
	int ret = 1;
	if (!ok) {
		int depth = X509_STORE_CTX_get_error_depth(xs);
		int err = X509_STORE_CTX_get_error(xs);
		unsigned e = (unsigned)err & ST_ERR_MASK;
		if (depth > 0) {
			if (!((st >> ST_CA_SHIFT) & ST_ERR_MASK))
				st |= (uintptr_t)e << ST_CA_SHIFT |
				      (uintptr_t)((unsigned)depth & 0xff) << ST_DEPTH_SHIFT;
			if (!ignored(v->ca_ignore, err)) {
				st |= (uintptr_t)1 << ST_FAIL_SHIFT;
				ret = 0;
			}
		} else {
			if (!((st >> ST_CRT_SHIFT) & ST_ERR_MASK))
				st |= (uintptr_t)e << ST_CRT_SHIFT;
			if (!ignored(v->crt_ignore, err)) {
				st |= (uintptr_t)2 << ST_FAIL_SHIFT;
				ret = 0;
			}
		}
		if (ret)
			ERR_clear_error();
	}
	SSL_set_ex_data(ssl, ssl_idx, (void *)st);
	return ret;
}

/* Adds the certificates of stack <sk> to <store>; -1 on failure. */
static int add_certs(X509_STORE *store, STACK_OF(X509) * sk)
{
	for (int i = 0; sk && i < sk_X509_num(sk); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(sk, i)))
			return -1;
	return 0;
}

/* The subject names of <sk>, for the CertificateRequest message. */
static STACK_OF(X509_NAME) * ca_names(STACK_OF(X509) * sk)
{
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
	for (int i = 0; names && i < sk_X509_num(sk); i++) {
		X509_NAME *n = X509_NAME_dup(X509_get_subject_name(sk_X509_value(sk, i)));
		if (n && !sk_X509_NAME_push(names, n))
			X509_NAME_free(n);
	}
	return names;
}

int tls_verify_setup(SSL_CTX *c, const struct tls_verify_cfg *v, char **err)
{
	if (v->mode == TLS_VERIFY_NONE)
		return 0;
	if (ctx_idx < 0)
		ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ssl_idx < 0)
		ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	X509_STORE *store = SSL_CTX_get_cert_store(c);
	if (ctx_idx < 0 || ssl_idx < 0 || add_certs(store, v->ca_certs) < 0 ||
	    add_certs(store, v->ca_verify_certs) < 0) {
		memprintf(err, "unable to set CA file '%s'",
		          v->ca_file ? v->ca_file : v->ca_verify_file);
		ERR_clear_error();
		return -1;
	}
	STACK_OF(X509_CRL) *crls = v->crls;
	for (int i = 0; crls && i < sk_X509_CRL_num(crls); i++)
		X509_STORE_add_crl(store, sk_X509_CRL_value(crls, i));
	if (crls)
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	ERR_clear_error();
	if (v->ca_certs)
		SSL_CTX_set_client_CA_list(c, ca_names(v->ca_certs));
	SSL_CTX_set_ex_data(c, ctx_idx, (void *)v);
	int mode = SSL_VERIFY_PEER;
	if (v->mode == TLS_VERIFY_REQUIRED)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(c, mode, verify_cb);
	return 0;
}

void tls_verify_cfg_free(struct tls_verify_cfg *v)
{
	if (!v)
		return;
	if (v->borrowed) {
		free(v);
		return;
	}
	sk_X509_pop_free(v->ca_certs, X509_free);
	sk_X509_pop_free(v->ca_verify_certs, X509_free);
	sk_X509_CRL_pop_free(v->crls, X509_CRL_free);
	free(v->ca_file);
	free(v->ca_verify_file);
	free(v->crl_file);
	free(v);
}

void tls_verify_get(const struct side *sd, struct tls_verify_state *st)
{
	uintptr_t v = sd->ssl && ssl_idx >= 0 ? (uintptr_t)SSL_get_ex_data(sd->ssl, ssl_idx) : 0;
	st->done = (v & ST_DONE) != 0;
	st->fail = (int)((v >> ST_FAIL_SHIFT) & 3);
	st->ca_depth = (int)((v >> ST_DEPTH_SHIFT) & 0xff);
	st->ca_err = (int)((v >> ST_CA_SHIFT) & ST_ERR_MASK);
	st->crt_err = (int)((v >> ST_CRT_SHIFT) & ST_ERR_MASK);
}

void *tls_peer_cert(const struct side *sd)
{
	return sd->ssl ? SSL_get0_peer_certificate(sd->ssl) : NULL;
}

long tls_verify_result(const struct side *sd)
{
	return sd->ssl ? SSL_get_verify_result(sd->ssl) : X509_V_OK;
}
