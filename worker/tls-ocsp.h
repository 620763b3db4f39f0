/* OCSP stapling of bind certificates (worker/tls-ocsp.c). */
#pragma once
#include <stddef.h>

struct ssl_ctx_st;
struct tls_cert;

/* Staples the OCSP response of <crt> (read from "<crt>.ocsp") on <ctx>:
 * registers the certificate ID (leaf + issuer) so that the CLI can update
 * it, and checks the response as HAProxy does; a response that does not
 * match or is out of date is reported as a warning and not stapled.
 * Returns 0, or -1 with *<err> set when the ID cannot be computed.
 * Configuration time only.
 */
int tls_ocsp_setup(struct ssl_ctx_st *ctx, const struct tls_cert *crt, char **err);

/* Decodes the <len> base64 characters of <in> (padded) into <out> of
 * <outsz> bytes. Returns the decoded length, or -1 if invalid.
 */
int tls_b64dec(const char *in, size_t len, unsigned char *out, size_t outsz);
