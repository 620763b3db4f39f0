/* Choice among certificates of different key types (worker/tls-select.c). */
#pragma once

struct ssl_st;
struct ssl_ctx_st;

/* Key types of certificates, from the most to the least preferred. */
enum { TLS_KT_ECDSA, TLS_KT_RSA, TLS_KT_OTHER, TLS_KT_N };

/* The TLS_KT_* of private key <pkey> (EVP_PKEY *). */
int tls_key_type(const void *pkey);

/* Makes <ctx> note what the client hello of each connection says about the
 * certificates the client can use (read back by tls_pick_type()).
 */
void tls_select_setup(struct ssl_ctx_st *ctx);

/* Among candidates <idx>[TLS_KT_N] (-1: no certificate of that type) for
 * the name the client asked, the one HAProxy 2.6 serves: ECDSA when the
 * client offers an ECDSA signature algorithm and an ECDSA cipher, else RSA
 * when it offers an RSA signature algorithm (or none at all, before TLS
 * 1.2), else another type, else whatever there is. -1 if no candidate.
 */
int tls_pick_type(struct ssl_st *ssl, const int idx[TLS_KT_N]);

/* Whether the client of <ssl> can use a certificate of type <kt>, judged
 * from its signature algorithms and ciphers (for the default certificate:
 * another one is served only when the client cannot use it).
 */
int tls_client_accepts(struct ssl_st *ssl, int kt);
