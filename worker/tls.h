/* TLS transport of client connections (OpenSSL 3).
 *
 * A TLS side (struct side with ->ssl set) is read and written through
 * tls_recv() / tls_send(), which behave like non-blocking recv() / send():
 * they return bytes moved, 0 at end of stream, or -1 with errno (EAGAIN
 * when OpenSSL waits for the socket). They update the side's readiness
 * flags from what OpenSSL waits for, so that the edge-triggered epoll
 * registration (always EPOLLIN | EPOLLOUT) drives the retries.
 *
 * Contexts (struct tls_ctx, one per bind line) are built at configuration
 * time. One SSL_CTX is made per certificate, the first being the default;
 * SNI switches the connection to the context of the certificate whose names
 * match. The SSL_CTXs and the SNI names live in a generation (struct
 * tls_gen) published through RCU: a certificate committed from the CLI
 * (worker/tls-store.h) builds a new generation and swaps it in; handshakes
 * that start afterwards use it, the old one is freed after a grace period
 * (OpenSSL counts the references its connections hold on each SSL_CTX).
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

struct side;
struct tls_bind_cfg;
struct ssl_ctx_st;
struct tls_crt_opts;

/* A certificate loaded from a PEM file: leaf, chain, key and the names it
 * serves (CN and DNS subject alternative names, lower case).
 */
struct tls_cert {
	_Atomic int refs; /* tls_cert_load() gives one, tls_cert_free() drops one */
	char *path;
	void *x509;  /* X509 * */
	void *chain; /* STACK_OF(X509) *, may be empty */
	void *pkey;  /* EVP_PKEY * (never printed) */
	char **names;
	int nnames;
	void *ocsp_issuer;   /* X509 *: issuer of the leaf, when there is an OCSP response */
	unsigned char *ocsp; /* DER of "<path>.ocsp", NULL: none */
	size_t ocsp_len;
	void *dh;            /* EVP_PKEY *: DH parameters of the PEM file, NULL: none */
	unsigned char *sctl; /* "<path>.sctl", NULL: none */
	size_t sctl_len;
};

struct tls_name {
	const char *name; /* for a wildcard, the part after "*." */
	int wildcard;
	int idx; /* into tls_ctx.ctxs */
};

/* What a handshake reads under RCU: replaced as a whole, never changed. */
struct tls_gen {
	struct ssl_ctx_st **ctxs; /* one per certificate, [0] is the default */
	int nctx;
	struct tls_name *names; /* exact names first, then wildcards */
	int nnames;
	struct tls_cert **certs;          /* a reference on each certificate served */
	const struct tls_crt_opts **opts; /* the crt-list settings each SSL_CTX was made with */
	int ncerts;
	int *ktype;      /* key type (TLS_KT_*, worker/tls-select.h) of each certificate */
	int dflt_alt[3]; /* per key type, a certificate sharing a name with the default, or -1 */
	unsigned char *early_ok; /* per context: its certificate accepts early data */
};

/* One per bind line, lives as long as the process. */
struct tls_ctx {
	struct tls_gen *gen; /* hl_rcu_deref() it */
	int strict_sni;
	const unsigned char *alpn; /* wire format, NULL: no ALPN */
	unsigned alpn_len;
	int early_data; /* some certificate accepts TLS 1.3 early data (allow-0rtt) */
};

/* Most early data (0-RTT) a client may send, as HAProxy's default buffer
 * size less its reserve for rewrites.
 */
#define TLS_EARLY_MAX (16384 - 1024)

/* Loads <path>: a PEM file, or a directory whose regular files are each a
 * PEM file (sorted by name; *.key, *.ocsp, *.issuer, *.sctl and dot files
 * are skipped). Appends the certificates to *<certs> / *<n>. What else is
 * read follows ssl-load-extra-files: a PEM file without a key takes it
 * from "<path>.key", "<path>.ocsp" is an OCSP response to staple (its
 * issuer from the chain or "<path>.issuer"), "<path>.sctl" a Certificate
 * Transparency list, and a missing <path> may be a
 * bundle "<path>.rsa/.ecdsa/.dsa". Returns 0, or -1 with *<err> naming the
 * file (never the key material).
 */
int tls_cert_load(const char *path, struct tls_cert ***certs, int *n, char **err);

/* Drops a reference on a certificate; frees it with the last one. */
void tls_cert_free(struct tls_cert *c);

/* Takes one more reference on <c>; returns <c>. */
struct tls_cert *tls_cert_ref(struct tls_cert *c);

/* Parses a certificate given as PEM text <pem> (leaf, chain, key in any
 * order; the key may be missing, then ->pkey is NULL) for file name
 * <path>. Returns NULL when it has no certificate.
 */
struct tls_cert *tls_cert_parse(const char *path, const char *pem);

/* Builds the contexts of a bind line from <cfg> (global defaults already
 * applied). Returns NULL with *<err> set when a setting is refused by
 * OpenSSL (cipher list, curves...). Warnings (DH parameters refused) are
 * appended to *<warn>, one a line.
 */
struct tls_ctx *tls_ctx_build(const struct tls_bind_cfg *cfg, char **err, char **warn);

/* A new generation of <t> for the current certificates of <cfg>; SSL_CTXs of
 * certificates that did not change are shared with the current generation,
 * unless <fresh> (then every SSL_CTX is new: the CA files changed).
 * NULL with *<err> set when OpenSSL refuses a certificate; DH warnings of
 * new contexts are appended to *<warn> (NULL: dropped). Publish it with
 * tls_gen_publish() or free it with tls_gen_free().
 */
struct tls_gen *tls_gen_build(struct tls_ctx *t, const struct tls_bind_cfg *cfg, int fresh,
                              char **err, char **warn);

/* Swaps <g> in as the generation of <t>; the previous one is freed after an
 * RCU grace period. Only one writer at a time (the store's lock).
 */
void tls_gen_publish(struct tls_ctx *t, struct tls_gen *g);

/* Frees a generation that was never published or is no longer read. */
void tls_gen_free(struct tls_gen *g);

/* Version number (TLS1_x_VERSION) of "TLSv1.x"/"SSLv3", or 0 if unknown. */
int tls_version_parse(const char *name);

/* Starts a server-side TLS session on <sd> (its fd is set). Returns 0, or
 * -1 on memory exhaustion.
 */
int tls_side_start(struct side *sd, const struct tls_ctx *ctx);

/* Advances the handshake: 1 when done, 0 to wait for the socket, -1 when it
 * failed (then *<why> is one of the TLS_HS_* reasons). On a listener with
 * allow-0rtt, 1 also comes before the end of the handshake once early data
 * were received: sd->tls_early is then set, tls_recv() returns the early
 * data first and the handshake completes within later reads and writes
 * (or tls_early_finish()).
 */
enum { TLS_HS_FAIL = 1, TLS_HS_EMPTY, TLS_HS_ABORT };
int tls_handshake(struct side *sd, int *why);

/* Completes the handshake of a session started on early data: reads the
 * rest of the early data aside (returned by tls_recv() later), then the
 * client's Finished. 1 when the handshake is done, 0 to wait for the
 * socket, -1 when it failed (sd->err is set).
 */
int tls_early_finish(struct side *sd);

/* ssl_fc_has_early: early data were received and the handshake is not done.
 * ssl_fc_early_rcvd: early data were received on the connection.
 */
int tls_has_early(const struct side *sd);
int tls_early_rcvd(const struct side *sd);

ssize_t tls_recv(struct side *sd, void *buf, size_t len);
ssize_t tls_send(struct side *sd, const void *buf, size_t len);

/* Sends a small static message <p> (an interim response) before the
 * buffered data: it is committed even when the socket is full, and goes out
 * before anything sent later. Returns 1 once committed, 0 to retry later,
 * -1 on error.
 */
int tls_send_static(struct side *sd, const char *p, size_t len);

/* Pushes a committed static message still held by OpenSSL (on writable
 * events). Returns -1 on error.
 */
int tls_flush_static(struct side *sd);

/* Whether decrypted bytes wait inside OpenSSL (read them before waiting). */
int tls_pending(const struct side *sd);

/* Sends close_notify (best effort; the TCP half-close is the caller's). */
void tls_shutw(struct side *sd);

/* Frees the TLS session of <sd> (the fd is the caller's). */
void tls_side_free(struct side *sd);

/* Negotiated parameters of a side, NULL when not TLS or not known. */
const char *tls_version_name(const struct side *sd);
const char *tls_cipher_name(const struct side *sd);
const char *tls_sni(const struct side *sd);
/* The ALPN protocol chosen, with its length in *<len>; NULL if none. */
const char *tls_alpn(const struct side *sd, unsigned *len);
int tls_session_reused(const struct side *sd);
