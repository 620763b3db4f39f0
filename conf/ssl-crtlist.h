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

/* A crt-list file as the runtime API sees it: its lines (those of the
 * file, then those added by "add ssl crt-list") and the bind lines using
 * it. Lines are numbered from 1 in file order; added lines take the next
 * number, numbers of deleted lines are not reused.
 */
struct tls_crtlist_line {
	char *crt;  /* certificate path as loaded (crt-base applied) */
	char *dump; /* " [options]" and " filters" as "show ssl crt-list" prints them */
	int lineno;
};

struct tls_crtlist {
	char *path; /* as written after "crt-list" */
	struct tls_crtlist_line *lines;
	int nlines;
	int last_lineno;
	struct tls_bind_cfg **binds;
	int nbinds;
};

/* Which crt-list line gave a certificate slot of a bind line (list NULL:
 * "crt"). tls_bind_cfg.tags runs parallel to its certs when present.
 */
struct tls_slot_tag {
	struct tls_crtlist *list;
	int lineno;
};

/* The crt-lists of the configuration, in the order they were met. */
int tls_crtlist_count(void);
struct tls_crtlist *tls_crtlist_at(int i);
struct tls_crtlist *tls_crtlist_find(const char *path);

/* The settings of a line added at run time for bind line <t>: options
 * <ow>[0..<no>-1] (only "alpn <list>" and "verify none|optional|required")
 * and SNI filters <fw>[0..<nf>-1]. *<o> is NULL when there are neither;
 * *<dump> gets the text "show ssl crt-list" prints after the certificate.
 * Returns 0, or -1 with *<err> set.
 */
int tls_crtlist_rt_opts(const struct tls_bind_cfg *t, char **ow, int no, char **fw, int nf,
                        struct tls_crt_opts **o, char **dump, char **err);
