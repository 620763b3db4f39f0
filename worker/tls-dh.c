/* Diffie-Hellman parameters of bind certificates: from the certificate's
 * PEM file, from ssl-dh-param-file, or predefined groups sized after
 * tune.ssl.default-dh-param (RFC 7919 ffdhe2048/ffdhe4096, and the RFC 2409
 * 1024-bit group, which OpenSSL's default security level refuses).
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "common/mem.h"
#include "conf/ssl-bind.h"
#include "worker/tls-dh.h"
#include "worker/tls.h"

void *tls_dh_read(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *p, *dh = NULL;
	while (b && !dh && (p = PEM_read_bio_Parameters(b, NULL))) {
		if (EVP_PKEY_is_a(p, "DH"))
			dh = p;
		else
			EVP_PKEY_free(p);
	}
	BIO_free(b);
	ERR_clear_error();
	return dh;
}

/* A named group ("ffdhe2048"...) as DH parameters. */
static EVP_PKEY *named_group(const char *name)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	EVP_PKEY *k = NULL;
	OSSL_PARAM p[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0),
	    OSSL_PARAM_construct_end()};
	if (!pc || EVP_PKEY_paramgen_init(pc) <= 0 || !EVP_PKEY_CTX_set_params(pc, p) ||
	    EVP_PKEY_paramgen(pc, &k) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(pc);
	return k;
}

/* The 1024-bit MODP group of RFC 2409 (generator 2). */
static EVP_PKEY *group_1024(void)
{
	BIGNUM *prime = BN_get_rfc2409_prime_1024(NULL), *g = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	EVP_PKEY *k = NULL;
	if (prime && g && bld && pc && BN_set_word(g, 2) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, prime) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(pc) > 0 &&
	    EVP_PKEY_fromdata(pc, &k, EVP_PKEY_KEY_PARAMETERS, params) <= 0)
		k = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pc);
	BN_free(prime);
	BN_free(g);
	return k;
}

/* Installs a copy of <dh> on <ctx>; 0 when OpenSSL refuses it. */
static int use_dh(SSL_CTX *ctx, EVP_PKEY *dh)
{
	if (!dh || !EVP_PKEY_up_ref(dh))
		return 0;
	if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
		EVP_PKEY_free(dh);
		ERR_clear_error();
		return 0;
	}
	return 1;
}

void tls_dh_setup(SSL_CTX *ctx, const struct tls_cert *crt, char **warn)
{
	EVP_PKEY *own = crt->dh ? crt->dh : tls_global.dh;
	if (own) {
		if (!use_dh(ctx, own))
			memprintf(warn,
			          "unable to load the DH parameter specified in '%s', DH ciphers "
			          "won't be available",
			          crt->dh ? crt->path : tls_global.dh_file);
		return;
	}
	if (!tls_global.default_dh)
		return; /* no DHE, as HAProxy without any DH setting */
	int type = EVP_PKEY_get_base_id(crt->pkey);
	int bits = type == EVP_PKEY_RSA || type == EVP_PKEY_DSA ? EVP_PKEY_get_bits(crt->pkey)
	                                                        : tls_global.default_dh;
	if (bits > tls_global.default_dh)
		bits = tls_global.default_dh;
	EVP_PKEY *dh = bits >= 4096   ? named_group("ffdhe4096")
	               : bits >= 2048 ? named_group("ffdhe2048")
	                              : group_1024();
	if (!use_dh(ctx, dh))
		memprintf(warn,
		          "unable to load default %d bits DH parameter for certificate '%s', "
		          "DH ciphers won't be available",
		          bits >= 4096   ? 4096
		          : bits >= 2048 ? 2048
		                         : 1024,
		          crt->path);
	EVP_PKEY_free(dh);
}
