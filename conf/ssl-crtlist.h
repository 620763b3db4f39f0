/* crt-list files of TLS bind lines (conf/ssl-crtlist.c).
 *
 * Each line of a crt-list loads one certificate (appended to the bind
 * line's certificates) with its own SNI filters and a few TLS settings that
 * replace the bind line's for the handshakes served by that certificate.
 */
#pragma once

struct tls_bind_cfg;
struct tls_verify_cfg;

struct tls_crt_opts {
	char **filters; /* SNI names, "!name" to exclude one; NULL: none */
	int nfilters;
	unsigned char *alpn; /* ALPN wire format, NULL: the bind line's */
	unsigned alpn_len;
	char *alpn_text;
	int early_data;                /* allow-0rtt on the line */
	struct tls_verify_cfg *verify; /* as written on the line, NULL: none */
	struct tls_verify_cfg *merged; /* line over bind line, built by the checker */
};

/* The settings of certificate <i> of <t>, NULL when it has none (loaded by
 * "crt", or by a crt-list line without options nor filters).
 */
const struct tls_crt_opts *tls_crt_opts_of(const struct tls_bind_cfg *t, int i);

/* Checks the crt-list lines of <t> once the section is read: ALPN beyond
 * HTTP/1.x on an HTTP frontend (<http>), verify without a CA file; merges
 * the verification settings with the bind line's. Returns 0, or -1 with
 * *<err> set.
 */
int tls_crtlist_check(struct tls_bind_cfg *t, int http, char **err);

/* Frees the per-certificate settings of <t>. */
void tls_crtlist_free(struct tls_bind_cfg *t);
