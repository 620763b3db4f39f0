/* TLS towards servers: one OpenSSL client context per TLS server, the
 * client handshake run on the event loop while the stream is connecting,
 * and the last session of each thread kept per server for resumption.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"
#include "conf/model-t.h"
#include "conf/ssl-server.h"
#include "worker/check-ssl.h"
#include "worker/loop.h"
#include "worker/server-t.h"
#include "worker/stream.h"
#include "worker/tls-srv.h"
#include "worker/tls.h"

static int thread_slot(void)
{
	return curthr ? curthr->id % TLS_SRV_MAX_THREADS : 0;
}

/* A new session from the server (after the handshake, or a TLS 1.3 ticket
 * later): it replaces the thread's previous one for this server.
 */
static int new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_srv_cfg *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if (!t || t->no_reuse || check_tls_is_check(ssl))
		return 0;
	SSL_SESSION **slot = &t->sess[thread_slot()];
	if (*slot)
		SSL_SESSION_free(*slot);
	*slot = sess;
	return 1; /* the reference is ours */
}

/* Trusted CAs and CRLs of <t> into <c>; -1 with *<err> set. */
static int load_verify(SSL_CTX *c, const struct tls_srv_cfg *t, char **err)
{
	if (t->verify <= 0)
		return 0;
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (t->ca_file && SSL_CTX_load_verify_locations(c, t->ca_file, NULL) != 1) {
		memprintf(err, "unable to load CA file '%s'", t->ca_file);
		return -1;
	}
	if (t->crl_file) {
		X509_STORE *st = SSL_CTX_get_cert_store(c);
		if (X509_STORE_load_file(st, t->crl_file) != 1) {
			memprintf(err, "unable to configure CRL file '%s'", t->crl_file);
			return -1;
		}
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	}
	return 0;
}

/* Protocol settings, ciphers, client certificate and ALPN of <t>. */
static int ctx_settings(SSL_CTX *c, const struct tls_srv_cfg *t, char **err)
{
	uint64_t opts = SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF | t->no_vers;
	if (t->no_tickets)
		opts |= SSL_OP_NO_TICKET;
	SSL_CTX_set_options(c, opts);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                        SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_min_proto_version(c, t->min_ver ? t->min_ver : TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(c, t->max_ver);
	if (t->ciphers && !SSL_CTX_set_cipher_list(c, t->ciphers)) {
		memprintf(err, "unable to set SSL cipher list to '%s'", t->ciphers);
		return -1;
	}
	if (t->ciphersuites && !SSL_CTX_set_ciphersuites(c, t->ciphersuites)) {
		memprintf(err, "unable to set TLS 1.3 cipher suites to '%s'", t->ciphersuites);
		return -1;
	}
	const struct tls_cert *crt = t->crt;
	if (crt &&
	    (SSL_CTX_use_certificate(c, crt->x509) != 1 ||
	     SSL_CTX_use_PrivateKey(c, crt->pkey) != 1 || SSL_CTX_set1_chain(c, crt->chain) != 1)) {
		memprintf(err, "unable to use the certificate of '%s'", crt->path);
		return -1;
	}
	if (t->alpn && SSL_CTX_set_alpn_protos(c, t->alpn, t->alpn_len) != 0) {
		memprintf(err, "unable to set the ALPN protocols");
		return -1;
	}
	return load_verify(c, t, err);
}

int tls_srv_ctx_build(struct tls_srv_cfg *t, char **err)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	if (!c) {
		memprintf(err, "unable to allocate an SSL context");
		return -1;
	}
	if (ctx_settings(c, t, err) < 0) {
		ERR_clear_error();
		SSL_CTX_free(c);
		return -1;
	}
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(c, new_session_cb);
	SSL_CTX_set_app_data(c, t);
	t->ctx = c;
	return 0;
}

static const struct tls_srv_cfg *srv_cfg(const struct stream *s)
{
	return s->server ? s->server->conf->cfg.tls : NULL;
}

int tls_srv_wanted(const struct stream *s)
{
	return srv_cfg(s) != NULL;
}

/* The SNI of this connection from the "sni" expression into <buf>; 0 when
 * there is none (no expression, no sample, empty or too long a name).
 */
static int eval_sni(struct stream *s, const struct tls_srv_cfg *t, char *buf, size_t len)
{
	if (!t->sni)
		return 0;
	if (s->sni && s->sni->expr == t->sni) { /* computed from the request */
		if (!s->sni->has || strlen(s->sni->val) >= len)
			return 0;
		strcpy(buf, s->sni->val);
		return 1;
	}
	size_t mark = smp_arena_mark();
	struct smp_ctx ctx = {.strm = s, .opt = SMP_OPT_FINAL};
	struct sample smp = {0};
	int ok = sample_fetch_as(t->sni, &ctx, SMP_T_STR, &smp) && smp.u.str.len > 0 &&
	         smp.u.str.len < len && !memchr(smp.u.str.ptr, 0, smp.u.str.len);
	if (ok) {
		memcpy(buf, smp.u.str.ptr, smp.u.str.len);
		buf[smp.u.str.len] = 0;
	}
	smp_arena_release(mark);
	return ok;
}

/* Resumes with the thread's last session if it was made for the same SNI. */
static void set_session(SSL *ssl, const struct tls_srv_cfg *t, const char *sni)
{
	SSL_SESSION *sess = t->no_reuse ? NULL : t->sess[thread_slot()];
	if (!sess)
		return;
	const char *h = SSL_SESSION_get0_hostname(sess);
	if ((h == NULL) != (sni == NULL) || (h && strcmp(h, sni)))
		return;
	SSL_set_session(ssl, sess);
}

int tls_srv_start(struct stream *s)
{
	const struct tls_srv_cfg *t = srv_cfg(s);
	SSL *ssl = SSL_new(t->ctx);
	if (!ssl)
		return -1;
	if (!SSL_set_fd(ssl, s->srv.fd))
		goto fail;
	SSL_set_connect_state(ssl);
	char sni[256];
	int has_sni = eval_sni(s, t, sni, sizeof(sni));
	if (has_sni && !SSL_set_tlsext_host_name(ssl, sni))
		goto fail;
	const char *check = has_sni ? sni : t->verifyhost;
	if (t->verify > 0 && check) {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (!SSL_set1_host(ssl, check))
			goto fail;
	}
	set_session(ssl, t, has_sni ? sni : NULL);
	tls_side_adopt(&s->srv, ssl);
	s->srv.tls_hs_done = 0;
	return 0;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	return -1;
}

void tls_side_adopt(struct side *sd, struct ssl_st *ssl)
{
	sd->ssl = ssl;
	sd->tls_hs_done = ssl != NULL;
	sd->tls_closed = sd->tls_rd_wants_wr = sd->tls_wr_wants_rd = 0;
	sd->tls_wpend = sd->tls_counted = 0;
	sd->tls_static = NULL;
}

int tls_srv_step(struct stream *s)
{
	int why = 0;
	return tls_handshake(&s->srv, &why);
}

void tls_srv_prepare_sni(struct stream *s)
{
	free(s->sni);
	s->sni = NULL;
	const struct tls_srv_cfg *t = s->be ? s->be->sni_tls : NULL;
	if (!t)
		return;
	char buf[256]; /* s->sni is NULL: evaluated now */
	int has = eval_sni(s, t, buf, sizeof(buf));
	size_t n = has ? strlen(buf) : 0;
	struct sni_memo *m = xmalloc(sizeof(*m) + n + 1);
	m->expr = t->sni;
	m->has = has;
	memcpy(m->val, has ? buf : "", n + 1);
	s->sni = m;
}
