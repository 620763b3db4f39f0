/* Diffie-Hellman parameters of bind certificates (worker/tls-dh.c). */
#pragma once

struct ssl_ctx_st;
struct tls_cert;

/* Reads the first DH parameters of PEM file <path>: an EVP_PKEY *, or NULL
 * when there are none.
 */
void *tls_dh_read(const char *path);

/* Gives <ctx> (serving <crt>) the DH parameters of its DHE ciphers, as
 * HAProxy 2.6 chooses them: those of the certificate's PEM file, else of
 * ssl-dh-param-file, else predefined ones whose size follows the key,
 * bounded by tune.ssl.default-dh-param, when that is set; else none, and
 * DHE ciphers are not used. Parameters OpenSSL refuses (too small for its
 * security level) leave DHE off with a message in *<warn>.
 */
void tls_dh_setup(struct ssl_ctx_st *ctx, const struct tls_cert *crt, char **warn);
