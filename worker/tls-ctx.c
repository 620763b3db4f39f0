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
#include "worker/tls-dh.h"
#include "worker/tls-ocsp.h"
#include "worker/tls-sctl.h"
#include "worker/tls-select.h"
#include "worker/tls-tickets.h"
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

/* Index of the context serving <host>. The candidates are the certificates
 * with that exact name, then those with a wildcard that stands for its
 * first label (but those whose crt-list line excludes <host> with
 * "!<host>", entries with wildcard == NAME_EXCLUDED): the first of each key
 * type, exact names first; then the type the client prefers decides
 * (tls_pick_type()), as in HAProxy 2.6, so that an ECDSA wildcard may win
 * over an exact RSA name. -1 when no certificate matches.
 */
static int find_name(SSL *ssl, const struct tls_ctx *t, const char *host)
{
	const char *dot = strchr(host, '.');
	int excl[8], nexcl = 0;
	int cand[TLS_KT_N] = {-1, -1, -1}, found = 0;
	for (int wild = 0; wild < 2; wild++) {
		for (int i = 0; i < t->nnames; i++) {
			const struct tls_name *n = &t->names[i];
			if (n->wildcard == NAME_EXCLUDED) {
				if (!wild && nexcl < 8 && !strcasecmp(n->name, host))
					excl[nexcl++] = n->idx;
				continue;
			}
			if (n->wildcard != wild ||
			    (!wild ? strcasecmp(n->name, host)
			           : !dot || dot == host || strcasecmp(n->name, dot + 1)))
				continue;
			int skip = 0;
			for (int j = 0; wild && j < nexcl; j++)
				skip |= excl[j] == n->idx;
			if (skip)
				continue;
			if (cand[t->ktype[n->idx]] < 0)
				cand[t->ktype[n->idx]] = n->idx;
			found = 1;
		}
	}
	return found ? tls_pick_type(ssl, cand) : -1;
}

/* The default certificate: the first one, unless the client cannot use
 * its key type and a certificate of another type serves one of its names
 * (HAProxy 2.6 would fail the handshake then).
 */
static int default_idx(SSL *ssl, const struct tls_ctx *t)
{
	if (tls_client_accepts(ssl, t->ktype[0]))
		return 0;
	for (int kt = 0; kt < TLS_KT_N; kt++)
		if (t->dflt_alt[kt] > 0 && tls_client_accepts(ssl, kt))
			return t->dflt_alt[kt];
	return 0;
}

/* SNI: switches <ssl> to the context of the certificate matching the name
 * the client asked for; to the default one otherwise, unless strict-sni.
 */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	const struct tls_ctx *t = arg;
	const char *host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	int idx = host ? find_name(ssl, t, host) : -1;
	if (idx < 0) {
		if (t->strict_sni) {
			*alert = SSL_AD_UNRECOGNIZED_NAME;
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
		idx = default_idx(ssl, t);
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
	if (cfg->ciphers && !SSL_CTX_set_cipher_list(c, cfg->ciphers)) {
		memprintf(err, "unable to set SSL cipher list to '%s'", cfg->ciphers);
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
	if (tls_ocsp_setup(c, crt, err) < 0)
		goto fail;
	if (tls_sctl_setup(c, crt) < 0) {
		memprintf(err, "unable to send the Certificate Transparency list of '%s'",
		          crt->path);
		goto fail;
	}
	if (tls_tickets_setup(c, cfg->keys) < 0) {
		memprintf(err, "unable to set the TLS ticket keys");
		goto fail;
	}
	/* HAProxy's session ID context: sessions and tickets made by one are
	 * accepted by the other when they share ticket keys (migrations)
	 */
	static const unsigned char sid[] = "haproxy";
	SSL_CTX_set_session_id_context(c, sid, sizeof(sid) - 1);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(c, tls_global.cachesize);
	SSL_CTX_set_timeout(c, (long)tls_global.lifetime);
	tls_select_setup(c);
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

/* Whether certificates <a> and <b> of <t> serve a name in common. */
static int share_name(const struct tls_ctx *t, int a, int b)
{
	for (int i = 0; i < t->nnames; i++)
		for (int j = 0;
		     t->names[i].idx == a && t->names[i].wildcard != NAME_EXCLUDED && j < t->nnames;
		     j++)
			if (t->names[j].idx == b && t->names[j].wildcard == t->names[i].wildcard &&
			    !strcasecmp(t->names[i].name, t->names[j].name))
				return 1;
	return 0;
}

/* The key type of each certificate, and the alternatives to the default. */
static void set_key_types(struct tls_ctx *t, const struct tls_bind_cfg *cfg)
{
	t->ktype = xcalloc((size_t)cfg->ncerts, sizeof(*t->ktype));
	for (int i = 0; i < cfg->ncerts; i++)
		t->ktype[i] = tls_key_type(cfg->certs[i]->pkey);
	for (int kt = 0; kt < TLS_KT_N; kt++) {
		t->dflt_alt[kt] = -1;
		for (int i = 1; i < cfg->ncerts && t->dflt_alt[kt] < 0; i++)
			if (t->ktype[i] == kt && kt != t->ktype[0] && share_name(t, 0, i))
				t->dflt_alt[kt] = i;
	}
}

struct tls_ctx *tls_ctx_build(const struct tls_bind_cfg *cfg, char **err, char **warn)
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
		char *w = NULL;
		tls_dh_setup(t->ctxs[i], cfg->certs[i], &w);
		if (w)
			memprintf(warn, "%s%s%s", *warn ? *warn : "", *warn ? "\n" : "", w);
		free(w);
		t->nctx++;
	}
	for (int wild = 0; wild < 2; wild++)
		for (int i = 0; i < cfg->ncerts; i++)
			add_names(t, cfg->certs[i], tls_crt_opts_of(cfg, i), i, wild);
	set_key_types(t, cfg);
	return t;
fail:
	for (int i = 0; i < t->nctx; i++)
		SSL_CTX_free(t->ctxs[i]);
	free(t->ctxs);
	free(t->names);
	free(t);
	return NULL;
}
