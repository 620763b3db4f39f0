/* Sample fetches of the TLS session with the server: ssl_bc,
 * ssl_bc_protocol, ssl_bc_cipher, ssl_bc_alpn, ssl_bc_is_resumed,
 * ssl_bc_alg_keysize, ssl_bc_use_keysize. They see the stream's current
 * server connection, none once it is closed or parked.
 */
#include <openssl/ssl.h>
#include <string.h>

#include "common/sample.h"
#include "worker/stream.h"
#include "worker/tls.h"

static const struct side *srv_side(const struct sample *smp)
{
	const struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	return s && s->srv.fd >= 0 ? &s->srv : NULL;
}

static int set_str(struct sample *smp, const char *p, size_t len)
{
	smp->type = SMP_T_STR;
	smp->flags = SMP_F_CONST;
	smp->u.str.ptr = (char *)p;
	smp->u.str.len = len;
	return 1;
}

/* ssl_bc, ssl_bc_is_resumed */
static int fetch_bool(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const struct side *sd = srv_side(smp);
	if (!sd)
		return 0;
	smp->type = SMP_T_BOOL;
	if (!strcmp(kw, "ssl_bc")) {
		smp->u.sint = sd->ssl != NULL;
		return 1;
	}
	if (!sd->ssl)
		return 0;
	smp->u.sint = tls_session_reused(sd);
	return 1;
}

/* ssl_bc_protocol, ssl_bc_cipher, ssl_bc_alpn */
static int fetch_str(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const struct side *sd = srv_side(smp);
	if (!sd || !sd->ssl)
		return 0;
	const char *v = NULL;
	unsigned len = 0;
	if (!strcmp(kw, "ssl_bc_protocol"))
		v = tls_version_name(sd);
	else if (!strcmp(kw, "ssl_bc_cipher"))
		v = tls_cipher_name(sd);
	else
		return (v = tls_alpn(sd, &len)) ? set_str(smp, v, len) : 0;
	return v ? set_str(smp, v, strlen(v)) : 0;
}

/* ssl_bc_alg_keysize, ssl_bc_use_keysize */
static int fetch_keysize(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	const struct side *sd = srv_side(smp);
	if (!sd || !sd->ssl || !sd->tls_hs_done)
		return 0;
	int alg = 0;
	int use = SSL_get_cipher_bits(sd->ssl, &alg);
	smp->type = SMP_T_SINT;
	smp->u.sint = !strcmp(kw, "ssl_bc_alg_keysize") ? alg : use;
	return 1;
}

#define L5 (SMP_USE_SERVR)
static const struct smp_fetch_kw ssl_bc_fetches[] = {
    {"ssl_bc", fetch_bool, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_bc_is_resumed", fetch_bool, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_bc_protocol", fetch_str, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_bc_cipher", fetch_str, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_bc_alpn", fetch_str, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_bc_alg_keysize", fetch_keysize, ARGS0, NULL, SMP_T_SINT, L5, NULL},
    {"ssl_bc_use_keysize", fetch_keysize, ARGS0, NULL, SMP_T_SINT, L5, NULL},
};
SMP_REGISTER_FETCHES(ssl_bc_fetches)
