/* OpenSSL contexts of TLS bind lines: one SSL_CTX per certificate with the
 * line's settings, SNI selection among them and ALPN selection.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "conf/ssl-bind.h"
#include "conf/ssl-crtlist.h"
#include "worker/tls-verify.h"
#include "worker/tls.h"

/* tls_name.wildcard of a name that a crt-list line excludes ("!name"). */
#define NAME_EXCLUDED 2

int tls_version_parse(const char *name)
{
	static const struct {
		const char *name;
		int v;
	} vers[] = {{"SSLv3", SSL3_VERSION},
	            {"TLSv1.0", TLS1_VERSION},
	            {"TLSv1.1", TLS1_1_VERSION},
	            {"TLSv1.2", TLS1_2_VERSION},
	            {"TLSv1.3", TLS1_3_VERSION}};
	for (size_t i = 0; i < sizeof(vers) / sizeof(vers[0]); i++)
		if (!strcmp(name, vers[i].name))
			return vers[i].v;
	return 0;
}

/* Index of the context serving <host>: exact names, then wildcards that
 * stand for its first label, except for a certificate whose crt-list line
 * excludes <host> with "!<host>" (entries with wildcard == NAME_EXCLUDED).
 * -1 when no certificate matches.
 */
static int find_name(const struct tls_ctx *t, const char *host)
{
	const char *dot = strchr(host, '.');
	int excl[8], nexcl = 0;
	for (int i = 0; i < t->nnames; i++) {
		const struct tls_name *n = &t->names[i];
		if (n->wildcard == NAME_EXCLUDED) {
			if (nexcl < 8 && !strcasecmp(n->name, host))
				excl[nexcl++] = n->idx;
			continue;
		}
		if (!n->wildcard ? !strcasecmp(n->name, host)
		                 : dot && dot != host && !strcasecmp(n->name, dot + 1)) {
			int skip = 0;
			for (int j = 0; n->wildcard && j < nexcl; j++)
				skip |= excl[j] == n->idx;
			if (!skip)
				return n->idx;
		}
	}
	return -1;
}

/* SNI: switches <ssl> to the context of the certificate matching the name
 * the client asked for; keeps the default one otherwise, unless strict-sni.
 */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	const struct tls_ctx *t = arg;
	const char *host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	int idx = host ? find_name(t, host) : -1;
	if (idx < 0) {
		if (!t->strict_sni)
			return SSL_TLSEXT_ERR_OK;
		*alert = SSL_AD_UNRECOGNIZED_NAME;
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	}
	if (idx > 0) {
		SSL_CTX *c = t->ctxs[idx];
		SSL_set_SSL_CTX(ssl, c);
		/* the verify mode is copied at SSL_new(): a crt-list line may differ */
		SSL_set_verify(ssl, SSL_CTX_get_verify_mode(c), SSL_CTX_get_verify_callback(c));
	}
	return SSL_TLSEXT_ERR_OK;
}

/* ALPN: the first of our protocols that the client offers; no ALPN in the
 * answer when there is none in common.
 */
static int select_alpn(const unsigned char **out, unsigned char *outlen, const unsigned char *ours,
                       unsigned ourlen, const unsigned char *in, unsigned inlen)
{
	unsigned char *o = NULL;
	if (SSL_select_next_proto(&o, outlen, ours, ourlen, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned inlen, void *arg)
{
	const struct tls_ctx *t = arg;
	return select_alpn(out, outlen, t->alpn, t->alpn_len, in, inlen);
}

/* ALPN of a certificate whose crt-list line sets its own protocols. */
static int alpn_line_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                        const unsigned char *in, unsigned inlen, void *arg)
{
	const struct tls_crt_opts *o = arg;
	return select_alpn(out, outlen, o->alpn, o->alpn_len, in, inlen);
}

/* TLS 1.2 ciphers of a bind line that names none (nor does
 * ssl-default-bind-ciphers): OpenSSL's default order kept, restricted to
 * AEAD ciphers with forward secrecy (no CBC, no RSA key transport). */
#define TLS_DEFAULT_BIND_CIPHERS                                                                   \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES256-GCM-SHA384:"     \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-CHACHA20-POLY1305:"     \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256"

/* Applies the protocol settings of <cfg> to <c>; -1 with *<err> set. */
static int ctx_settings(SSL_CTX *c, const struct tls_bind_cfg *cfg, char **err)
{
	uint64_t opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	                SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF |
	                cfg->no_vers;
	if (cfg->no_tickets)
		opts |= SSL_OP_NO_TICKET;
	SSL_CTX_set_options(c, opts);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                        SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_min_proto_version(c, cfg->min_ver ? cfg->min_ver : TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(c, cfg->max_ver);
	SSL_CTX_set_dh_auto(c, 1);
	const char *ciphers = cfg->ciphers ? cfg->ciphers : TLS_DEFAULT_BIND_CIPHERS;
	if (!SSL_CTX_set_cipher_list(c, ciphers)) {
		memprintf(err, "unable to set SSL cipher list to '%s'", ciphers);
		return -1;
	}
	if (cfg->ciphersuites && !SSL_CTX_set_ciphersuites(c, cfg->ciphersuites)) {
		memprintf(err, "unable to set TLS 1.3 cipher suites to '%s'", cfg->ciphersuites);
		return -1;
	}
	if (cfg->curves && !SSL_CTX_set1_groups_list(c, cfg->curves)) {
		memprintf(err, "unable to set SSL curves list to '%s'", cfg->curves);
		return -1;
	}
	return 0;
}

/* One context serving certificate <crt> with the settings of <cfg>, or of
 * its crt-list line <o> (NULL: none) where that line sets them.
 */
static SSL_CTX *ctx_for_cert(const struct tls_bind_cfg *cfg, const struct tls_cert *crt,
                             const struct tls_crt_opts *o, struct tls_ctx *t, char **err)
{
	const struct tls_verify_cfg *v = o && o->merged ? o->merged : cfg->verify;
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	if (!c) {
		memprintf(err, "unable to allocate an SSL context");
		return NULL;
	}
	if (ctx_settings(c, cfg, err) < 0)
		goto fail;
	if (v && tls_verify_setup(c, v, err) < 0)
		goto fail;
	if (SSL_CTX_use_certificate(c, crt->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(c, crt->pkey) != 1 || SSL_CTX_set1_chain(c, crt->chain) != 1) {
		memprintf(err, "unable to use the certificate of '%s'", crt->path);
		goto fail;
	}
	static const unsigned char sid[] = "halyard";
	SSL_CTX_set_session_id_context(c, sid, sizeof(sid) - 1);
	/* OpenSSL reads a cache size of 0 as "no limit"; here it means no cache.
	 * Without cache nor tickets, no ticket is sent that could not be used. */
	if (tls_global.cachesize > 0) {
		SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
		SSL_CTX_sess_set_cache_size(c, tls_global.cachesize);
	} else {
		SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
		if (SSL_CTX_get_options(c) & SSL_OP_NO_TICKET)
			SSL_CTX_set_num_tickets(c, 0);
	}
	SSL_CTX_set_timeout(c, (long)tls_global.lifetime);
	SSL_CTX_set_tlsext_servername_callback(c, servername_cb);
	SSL_CTX_set_tlsext_servername_arg(c, t);
	if (o && o->alpn)
		SSL_CTX_set_alpn_select_cb(c, alpn_line_cb, (void *)o);
	else if (t->alpn)
		SSL_CTX_set_alpn_select_cb(c, alpn_cb, t);
	return c;
fail:
	ERR_clear_error();
	SSL_CTX_free(c);
	return NULL;
}

static void push_name(struct tls_ctx *t, struct tls_name n)
{
	t->names = xrealloc(t->names, (size_t)(t->nnames + 1) * sizeof(*t->names));
	t->names[t->nnames++] = n;
}

/* Whether <o> has a filter <name>, or "!<name>" when <neg>. */
static int has_filter(const struct tls_crt_opts *o, const char *name, int neg)
{
	for (int i = 0; o && i < o->nfilters; i++) {
		const char *f = o->filters[i];
		if ((f[0] == '!') == neg && !strcasecmp(f + neg, name))
			return 1;
	}
	return 0;
}

/* Whether <o> has positive filters (they replace the certificate's names). */
static int has_positive(const struct tls_crt_opts *o)
{
	for (int i = 0; o && i < o->nfilters; i++)
		if (o->filters[i][0] != '!')
			return 1;
	return 0;
}

/* Adds the exact (or, with <wild>, the wildcard) names of certificate <idx>:
 * its crt-list filters when it has positive ones, else its own names but
 * those excluded with "!name".
 */
static void add_names(struct tls_ctx *t, const struct tls_cert *crt, const struct tls_crt_opts *o,
                      int idx, int wild)
{
	int pos = has_positive(o);
	int n_names = pos ? o->nfilters : crt->nnames;
	for (int i = 0; i < n_names; i++) {
		const char *n = pos ? o->filters[i] : crt->names[i];
		if (pos && n[0] == '!') {
			if (!wild)
				push_name(t, (struct tls_name){n + 1, NAME_EXCLUDED, idx});
			continue;
		}
		if (!pos && has_filter(o, n, 1))
			continue;
		int w = !strncmp(n, "*.", 2);
		if (w != wild)
			continue;
		push_name(t, (struct tls_name){w ? n + 2 : n, w, idx});
	}
}

/* Whether the certificate <ssl> switched to accepts early data (the
 * callback OpenSSL asks before accepting them).
 */
static int early_data_cb(SSL *ssl, void *arg)
{
	const struct tls_ctx *t = arg;
	const SSL_CTX *c = SSL_get_SSL_CTX(ssl);
	for (int i = 0; i < t->nctx; i++)
		if (t->ctxs[i] == c)
			return t->early_ok[i];
	return 0;
}

/* allow-0rtt on some certificates of a line: every context advertises
 * early data in its tickets, so that all tickets of the line are of the
 * same kind (with OpenSSL's anti-replay on, tickets allowing early data
 * are single-use cache entries; OpenSSL decides how to look a ticket up
 * from the default context, before SNI selects the certificate), and
 * early_data_cb() accepts them for the certificates that allow them.
 */
static void setup_early_data(struct tls_ctx *t, const struct tls_bind_cfg *cfg)
{
	t->early_ok = xcalloc((size_t)t->nctx, 1);
	for (int i = 0; i < t->nctx; i++) {
		const struct tls_crt_opts *o = tls_crt_opts_of(cfg, i);
		t->early_ok[i] = cfg->early_data || (o && o->early_data);
		t->early_data |= t->early_ok[i];
	}
	for (int i = 0; t->early_data && i < t->nctx; i++) {
		SSL_CTX_set_max_early_data(t->ctxs[i], TLS_EARLY_MAX);
		SSL_CTX_set_recv_max_early_data(t->ctxs[i], TLS_EARLY_MAX);
		SSL_CTX_set_allow_early_data_cb(t->ctxs[i], early_data_cb, t);
	}
}

struct tls_ctx *tls_ctx_build(const struct tls_bind_cfg *cfg, char **err)
{
	struct tls_ctx *t = xcalloc(1, sizeof(*t));
	t->strict_sni = cfg->strict_sni;
	t->alpn = cfg->alpn;
	t->alpn_len = cfg->alpn_len;
	t->ctxs = xcalloc((size_t)cfg->ncerts, sizeof(*t->ctxs));
	for (int i = 0; i < cfg->ncerts; i++) {
		t->ctxs[i] = ctx_for_cert(cfg, cfg->certs[i], tls_crt_opts_of(cfg, i), t, err);
		if (!t->ctxs[i])
			goto fail;
		t->nctx++;
	}
	for (int wild = 0; wild < 2; wild++)
		for (int i = 0; i < cfg->ncerts; i++)
			add_names(t, cfg->certs[i], tls_crt_opts_of(cfg, i), i, wild);
	setup_early_data(t, cfg);
	return t;
fail:
	for (int i = 0; i < t->nctx; i++)
		SSL_CTX_free(t->ctxs[i]);
	free(t->ctxs);
	free(t->names);
	free(t);
	return NULL;
}
