/* TLS settings of "server" and "default-server" lines (conf/ssl-server.c).
 *
 * A server with TLS options points to one tls_srv_cfg. "default-server"
 * settings are inherited by pointer; the first TLS option of a server line
 * copies them (copy on write), and the checker gives every TLS server a
 * copy of its own before building its OpenSSL client context, so that the
 * per-thread session slots are the server's. Settings never change after
 * the configuration is loaded; the session slots are written by their
 * thread only.
 */
#pragma once

#define TLS_SRV_MAX_THREADS 64

struct tls_cert;
struct sample_expr;
struct server;
struct ssl_ctx_st;
struct ssl_session_st;

struct tls_srv_cfg {
	const struct server *owner; /* the server this copy belongs to */
	int ssl;                    /* "ssl" (1), "no-ssl" (-1), unset (0) */
	int verify;                 /* 1 required, -1 none, 0: ssl-server-verify */
	char *ca_file, *crl_file;
	struct sample_expr *sni; /* NULL: no SNI */
	char *verifyhost;        /* NULL: no name check */
	struct tls_cert *crt;    /* client certificate, NULL: none */
	unsigned char *alpn;     /* wire format, NULL: none */
	unsigned alpn_len;
	int min_ver, max_ver; /* TLS1_x_VERSION, 0: not set */
	unsigned no_vers;     /* SSL_OP_NO_* bits */
	char *ciphers, *ciphersuites;
	int no_reuse; /* no-ssl-reuse (1), ssl-reuse (-1), unset (0) */
	int no_tickets;
	int check_ssl;             /* "check-ssl" (1), "no-check-ssl" (-1), unset (0) */
	char *check_sni;           /* "check-sni", NULL: no SNI on checks */
	unsigned char *check_alpn; /* "check-alpn" (wire format), NULL: the server's */
	unsigned check_alpn_len;
	struct ssl_ctx_st *ctx; /* built by the checker */
	/* last session of each thread, for resumption (worker/tls-srv.c) */
	struct ssl_session_st *sess[TLS_SRV_MAX_THREADS];
	struct tls_srv_cfg *all_next; /* every copy, kept reachable */
};

/* ssl-server-verify and ssl-default-server-* settings. */
struct tls_srv_global {
	int verify_none; /* ssl-server-verify none */
	char *ciphers, *ciphersuites;
	int min_ver, max_ver;
	unsigned no_vers;
	int no_tickets;
	int no_reuse;
};

extern struct tls_srv_global tls_srv_global;
