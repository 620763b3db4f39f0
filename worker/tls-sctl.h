/* Certificate Transparency lists of bind certificates (worker/tls-sctl.c). */
#pragma once
#include <stddef.h>

struct ssl_ctx_st;
struct tls_cert;

/* Whether <p> of <len> bytes is a well-formed SignedCertificateTimestampList
 * (a 2-byte total length, then non-empty entries with 2-byte lengths).
 */
int tls_sctl_valid(const unsigned char *p, size_t len);

/* Sends the list of <crt> (read from "<crt>.sctl"; none: nothing done) to
 * the clients of <ctx> that ask for it. Returns 0 or -1.
 */
int tls_sctl_setup(struct ssl_ctx_st *ctx, const struct tls_cert *crt);
