/* TLS session ticket keys of bind lines (worker/tls-tickets.c). */
#pragma once

struct ssl_ctx_st;
struct tls_keys_ref;

/* Makes <ctx> encrypt and decrypt its session tickets with the keys of
 * <r> (the "tls-ticket-keys" file of its bind line; NULL: OpenSSL's own
 * random keys, which live as long as the process). Returns 0 or -1.
 */
int tls_tickets_setup(struct ssl_ctx_st *ctx, struct tls_keys_ref *r);
