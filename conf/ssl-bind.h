/* TLS settings of "bind" lines and of the global section (conf/ssl-bind.c).
 *
 * A bind line with TLS options gets one tls_bind_cfg, shared by every
 * address of the line. Certificates are loaded while the line is parsed (so
 * that file errors name the line); the OpenSSL contexts are built by the
 * configuration checker once every section is read, after the global
 * ssl-default-bind-* settings are known. Nothing here changes afterwards.
 */
#pragma once

struct tls_cert;
struct tls_ctx;
struct tls_verify_cfg;
struct tls_crt_opts;
struct tls_keys_ref;
struct cfg_ctx;

struct tls_bind_cfg {
	int ssl;                 /* "ssl": the listener speaks TLS */
	struct tls_cert **certs; /* in load order, the first one is the default */
	int ncerts;
	unsigned char *alpn; /* ALPN protocols in wire format, NULL: none */
	unsigned alpn_len;
	char *alpn_text;                       /* as written, for messages */
	int min_ver, max_ver;                  /* TLS1_x_VERSION, 0: not set on the line */
	unsigned no_vers;                      /* SSL_OP_NO_TLSv1_x bits of no-tlsv1x */
	char *ciphers, *ciphersuites, *curves; /* NULL: global default */
	int strict_sni;
	int no_tickets;
	struct tls_keys_ref *keys;      /* tls-ticket-keys (worker/tls-tickets.c), NULL: none */
	int early_data;                 /* allow-0rtt: TLS 1.3 early data accepted */
	struct tls_verify_cfg *verify;  /* client certificates (conf/ssl-verify.c), NULL: none */
	struct tls_crt_opts **crt_opts; /* per certificate, from crt-list (conf/ssl-crtlist.c) */
	int ncrt_opts;
	struct tls_ctx *ctx;       /* built by the checker */
	struct tls_slot_tag *tags; /* per certificate, from crt-list (conf/ssl-crtlist.c) */
	int ntags;
	const char *file; /* where the bind line is, for messages */
	int line;
	int http; /* on an HTTP frontend (ALPN beyond HTTP/1.x refused) */
};

/* ssl-load-extra-files bits: which companion files of a certificate are
 * looked for.
 */
#define TLS_EXTRA_BUNDLE 0x01
#define TLS_EXTRA_SCTL 0x02
#define TLS_EXTRA_OCSP 0x04
#define TLS_EXTRA_ISSUER 0x08
#define TLS_EXTRA_KEY 0x10
#define TLS_EXTRA_ALL 0x1f

/* The global TLS settings. */
struct tls_global_cfg {
	char *crt_base, *ca_base;
	char *ciphers, *ciphersuites, *curves; /* ssl-default-bind-* */
	int min_ver, max_ver;                  /* from ssl-default-bind-options */
	unsigned no_vers;
	int no_tickets;
	int cachesize;        /* tune.ssl.cachesize, sessions per bind line */
	unsigned lifetime;    /* tune.ssl.lifetime, seconds */
	unsigned extra_files; /* ssl-load-extra-files, TLS_EXTRA_* */
	char *dh_file;        /* ssl-dh-param-file, NULL: none */
	void *dh;             /* EVP_PKEY *: its DH parameters */
	int default_dh;       /* tune.ssl.default-dh-param, bits, 0: not set (no DHE) */
};

extern struct tls_global_cfg tls_global;

/* Frees the TLS settings of a bind line that was not kept (parse errors):
 * certificates and strings; contexts are never built for such a line.
 */
void tls_bind_cfg_free(struct tls_bind_cfg *t);

/* The TLS settings of the bind line being parsed, created on first use. */
struct tls_bind_cfg *tls_bind_cfg_of(struct cfg_ctx *ctx);

/* Converts the comma-separated protocol list <list> to ALPN wire format in
 * a new *<out> of *<outlen> bytes. Returns 0, or -1 with *<err> set.
 */
int alpn_wire(const char *list, unsigned char **out, unsigned *outlen, char **err);

/* The SSL_OP_NO_* bit of a "no-tlsv1x" or "no-sslv3" option, 0 if it is
 * not one (bind and server lines, ssl-default-*-options).
 */
unsigned tls_no_version_bit(const char *name);
