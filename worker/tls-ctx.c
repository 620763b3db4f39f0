/* OpenSSL contexts of TLS bind lines: one SSL_CTX per certificate with the
 * line's settings, SNI selection among them and ALPN selection.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <urcu-qsbr.h>

#include "common/mem.h"
#include "common/rcu.h"
#include "conf/ssl-bind.h"
#include "conf/ssl-crtlist.h"
#include "worker/tls-dh.h"
#include "worker/tls-ocsp.h"
#include "worker/tls-sctl.h"
#include "worker/tls-select.h"
#include "worker/tls-tickets.h"
#include "worker/tls-verify.h"
#include "worker/tls.h"

/* A generation waiting for its grace period. */
struct tls_gen_rcu {
	struct rcu_head head;
	struct tls_gen *g;
};

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
static int find_name(SSL *ssl, const struct tls_gen *t, const char *host)
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
static int default_idx(SSL *ssl, const struct tls_gen *t)
{
	if (tls_client_accepts(ssl, t->ktype[0]))
		return 0;
	for (int kt = 0; kt < TLS_KT_N; kt++)
		if (t->dflt_alt[kt] > 0 && tls_client_accepts(ssl, kt))
			return t->dflt_alt[kt];
	return 0;
}

/* SNI: switches <ssl> to the context of the certificate matching the name
 * the client asked for, else to the default one unless strict-sni, both
 * from the current generation (the connection was made from the default
 * context of the generation current at accept time, maybe replaced since).
 * Runs within an event callback of a worker thread: an RCU read side.
 */
static int servername_cb(SSL *ssl, int *alert, void *arg)
{
	const struct tls_ctx *t = arg;
	const struct tls_gen *g = hl_rcu_deref(((struct tls_ctx *)t)->gen);
	const char *host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	int idx = host ? find_name(ssl, g, host) : -1;
	if (idx < 0) {
		if (t->strict_sni) {
			*alert = SSL_AD_UNRECOGNIZED_NAME;
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		}
		idx = default_idx(ssl, g);
	}
	SSL_CTX *c = g->ctxs[idx < 0 ? 0 : idx];
	if (SSL_get_SSL_CTX(ssl) != c) {
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

static void push_name(struct tls_gen *t, struct tls_name n)
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
static void add_names(struct tls_gen *t, const struct tls_cert *crt, const struct tls_crt_opts *o,
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

void tls_gen_free(struct tls_gen *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->nctx; i++)
		SSL_CTX_free(g->ctxs[i]);
	for (int i = 0; i < g->ncerts; i++)
		tls_cert_free(g->certs[i]);
	free(g->ctxs);
	free(g->certs);
	free(g->opts);
	free(g->names);
	free(g->ktype);
	free(g->early_ok);
	free(g);
}

/* The SSL_CTX of <old> that served certificate <crt> with crt-list settings
 * <o>, with a new reference; NULL if none.
 */
static SSL_CTX *reuse_ctx(const struct tls_gen *old, const struct tls_cert *crt,
                          const struct tls_crt_opts *o)
{
	for (int i = 0; old && i < old->ncerts; i++)
		if (old->certs[i] == crt && old->opts[i] == o) {
			SSL_CTX_up_ref(old->ctxs[i]);
			return old->ctxs[i];
		}
	return NULL;
}

/* Whether certificates <a> and <b> of <g> serve a name in common. */
static int share_name(const struct tls_gen *g, int a, int b)
{
	for (int i = 0; i < g->nnames; i++)
		for (int j = 0;
		     g->names[i].idx == a && g->names[i].wildcard != NAME_EXCLUDED && j < g->nnames;
		     j++)
			if (g->names[j].idx == b && g->names[j].wildcard == g->names[i].wildcard &&
			    !strcasecmp(g->names[i].name, g->names[j].name))
				return 1;
	return 0;
}

/* The key type of each certificate, and the alternatives to the default. */
static void set_key_types(struct tls_gen *g, const struct tls_bind_cfg *cfg)
{
	g->ktype = xcalloc((size_t)cfg->ncerts, sizeof(*g->ktype));
	for (int i = 0; i < cfg->ncerts; i++)
		g->ktype[i] = tls_key_type(cfg->certs[i]->pkey);
	for (int kt = 0; kt < TLS_KT_N; kt++) {
		g->dflt_alt[kt] = -1;
		for (int i = 1; i < cfg->ncerts && g->dflt_alt[kt] < 0; i++)
			if (g->ktype[i] == kt && kt != g->ktype[0] && share_name(g, 0, i))
				g->dflt_alt[kt] = i;
	}
}

/* A new context for certificate <i> of <cfg>, with its DH parameters; a
 * DH warning is appended to *<warn> (NULL: dropped).
 */
static SSL_CTX *new_ctx(struct tls_ctx *t, const struct tls_bind_cfg *cfg, int i, char **err,
                        char **warn)
{
	SSL_CTX *c = ctx_for_cert(cfg, cfg->certs[i], tls_crt_opts_of(cfg, i), t, err);
	if (!c)
		return NULL;
	char *w = NULL;
	tls_dh_setup(c, cfg->certs[i], &w);
	if (w && warn)
		memprintf(warn, "%s%s%s", *warn ? *warn : "", *warn ? "\n" : "", w);
	free(w);
	return c;
}

/* Whether the certificate <ssl> switched to accepts early data (the
 * callback OpenSSL asks before accepting them). A context of an older
 * generation (replaced by a certificate update meanwhile) refuses them.
 * Runs within an event callback of a worker thread: an RCU read side.
 */
static int early_data_cb(SSL *ssl, void *arg)
{
	struct tls_ctx *t = arg;
	const struct tls_gen *g = hl_rcu_deref(t->gen);
	const SSL_CTX *c = SSL_get_SSL_CTX(ssl);
	for (int i = 0; g && i < g->nctx; i++)
		if (g->ctxs[i] == c)
			return g->early_ok[i];
	return 0;
}

/* allow-0rtt on some certificates of a line: every context advertises
 * early data in its tickets, so that all tickets of the line are of the
 * same kind (with OpenSSL's anti-replay on, tickets allowing early data
 * are single-use cache entries; OpenSSL decides how to look a ticket up
 * from the default context, before SNI selects the certificate), and
 * early_data_cb() accepts them for the certificates that allow them.
 */
static void setup_early_data(struct tls_ctx *t, struct tls_gen *g, const struct tls_bind_cfg *cfg)
{
	g->early_ok = xcalloc((size_t)g->nctx + 1, 1);
	for (int i = 0; i < g->nctx; i++) {
		const struct tls_crt_opts *o = tls_crt_opts_of(cfg, i);
		g->early_ok[i] = cfg->early_data || (o && o->early_data);
	}
	for (int i = 0; t->early_data && i < g->nctx; i++) {
		SSL_CTX_set_max_early_data(g->ctxs[i], TLS_EARLY_MAX);
		SSL_CTX_set_recv_max_early_data(g->ctxs[i], TLS_EARLY_MAX);
		SSL_CTX_set_allow_early_data_cb(g->ctxs[i], early_data_cb, t);
	}
}

struct tls_gen *tls_gen_build(struct tls_ctx *t, const struct tls_bind_cfg *cfg, int fresh,
                              char **err, char **warn)
{
	const struct tls_gen *old = fresh ? NULL : t->gen; /* writers are serialised */
	struct tls_gen *g = xcalloc(1, sizeof(*g));
	g->ctxs = xcalloc((size_t)cfg->ncerts, sizeof(*g->ctxs));
	g->certs = xcalloc((size_t)cfg->ncerts, sizeof(*g->certs));
	g->opts = xcalloc((size_t)cfg->ncerts, sizeof(*g->opts));
	for (int i = 0; i < cfg->ncerts; i++) {
		const struct tls_crt_opts *o = tls_crt_opts_of(cfg, i);
		g->ctxs[i] = reuse_ctx(old, cfg->certs[i], o);
		if (!g->ctxs[i])
			g->ctxs[i] = new_ctx(t, cfg, i, err, warn);
		if (!g->ctxs[i]) {
			tls_gen_free(g);
			return NULL;
		}
		g->nctx++;
		g->opts[g->ncerts] = o;
		g->certs[g->ncerts++] = tls_cert_ref(cfg->certs[i]);
	}
	for (int wild = 0; wild < 2; wild++)
		for (int i = 0; i < cfg->ncerts; i++)
			add_names(g, cfg->certs[i], tls_crt_opts_of(cfg, i), i, wild);
	set_key_types(g, cfg);
	setup_early_data(t, g, cfg);
	return g;
}

static void gen_free_cb(struct rcu_head *h)
{
	struct tls_gen_rcu *r = caa_container_of(h, struct tls_gen_rcu, head);
	tls_gen_free(r->g);
	free(r);
}

void tls_gen_publish(struct tls_ctx *t, struct tls_gen *g)
{
	struct tls_gen *old = hl_rcu_xchg(t->gen, g);
	if (!old)
		return;
	struct tls_gen_rcu *r = xcalloc(1, sizeof(*r));
	r->g = old;
	call_rcu(&r->head, gen_free_cb);
}

struct tls_ctx *tls_ctx_build(const struct tls_bind_cfg *cfg, char **err, char **warn)
{
	struct tls_ctx *t = xcalloc(1, sizeof(*t));
	t->strict_sni = cfg->strict_sni;
	t->alpn = cfg->alpn;
	t->alpn_len = cfg->alpn_len;
	for (int i = 0; i < cfg->ncerts; i++) { /* early data: decided once for the line */
		const struct tls_crt_opts *o = tls_crt_opts_of(cfg, i);
		t->early_data |= cfg->early_data || (o && o->early_data);
	}
	t->gen = tls_gen_build(t, cfg, 1, err, warn);
	if (!t->gen) {
		free(t);
		return NULL;
	}
	return t;
}
