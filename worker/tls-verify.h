/* Client certificate verification on TLS bind lines (worker/tls-verify.c,
 * keywords in conf/ssl-verify.c).
 *
 * The CA certificates and CRLs are read when the bind line is parsed; each
 * SSL_CTX of the line then gets them in its store. The verification
 * callback records, per connection, the first error met on the CA chain
 * (depth > 0) and on the client certificate itself (depth 0); an error
 * listed in ca-ignore-err / crt-ignore-err lets the handshake go on.
 */
#pragma once
#include <stdint.h>

struct side;
struct ssl_ctx_st;

enum { TLS_VERIFY_NONE = 0, TLS_VERIFY_OPTIONAL, TLS_VERIFY_REQUIRED };

/* Highest verification error id accepted in *-ignore-err lists, as in
 * HAProxy 2.6 with OpenSSL 3.
 */
#define TLS_MAX_VFY_ERR 94

struct tls_verify_cfg {
	int mode;                                  /* TLS_VERIFY_* */
	int mode_set;                              /* "verify" was written */
	int borrowed;                              /* a merged copy: owns nothing it points to */
	char *ca_file, *ca_verify_file, *crl_file; /* resolved paths, for messages */
	void *ca_certs;                            /* STACK_OF(X509) * of ca-file, names sent */
	void *ca_verify_certs;                     /* STACK_OF(X509) * of ca-verify-file */
	void *crls;                                /* STACK_OF(X509_CRL) * of crl-file */
	uint64_t ca_ignore[2], crt_ignore[2];      /* bit n: error id n is ignored */
};

/* Installs the verification settings of <v> on context <c> when its mode
 * is not "none". Returns 0, or -1 with *<err> set.
 */
int tls_verify_setup(struct ssl_ctx_st *c, const struct tls_verify_cfg *v, char **err);

/* Frees <v> and what it holds. */
void tls_verify_cfg_free(struct tls_verify_cfg *v);

/* What the verification of <sd>'s client certificate found. */
struct tls_verify_state {
	int done;     /* the callback ran: the client sent a certificate */
	int ca_err;   /* first error at depth > 0, 0: none */
	int ca_depth; /* its depth */
	int crt_err;  /* first error at depth 0, 0: none */
	int fail;     /* 1: CA chain refused, 2: certificate refused, 0: neither */
};
void tls_verify_get(const struct side *sd, struct tls_verify_state *st);

/* The client certificate of <sd> (an X509 *, not referenced), NULL if none. */
void *tls_peer_cert(const struct side *sd);

/* The verification result (X509_V_*) of <sd>. */
long tls_verify_result(const struct side *sd);

/* Checks <v> once the bind line is read (conf/ssl-verify.c): -1 with *<err>
 * set when verification is enabled without any CA file.
 */
int tls_verify_check(const struct tls_verify_cfg *v, char **err);
