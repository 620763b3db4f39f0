/* Sample fetches of the client TLS session: ssl_fc, ssl_fc_sni,
 * ssl_fc_has_sni, ssl_fc_protocol, ssl_fc_cipher, ssl_fc_alpn,
 * ssl_fc_is_resumed, ssl_fc_has_early, ssl_fc_early_rcvd, ssl_fc_alg_keysize,
 * ssl_fc_use_keysize.
 */
#include <openssl/ssl.h>
#include <string.h>

#include "common/sample.h"
#include "worker/stream.h"
#include "worker/tls.h"

/* The client side of the stream being evaluated, NULL without one. */
static const struct side *cli_side(const struct sample *smp)
{
	const struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	return s ? &s->cli : NULL;
}

static int set_const_str(struct sample *smp, const char *p, size_t len)
{
	smp->type = SMP_T_STR;
	smp->flags = SMP_F_CONST;
	smp->u.str.ptr = (char *)p;
	smp->u.str.len = len;
	return 1;
}

static int set_bool(struct sample *smp, int v)
{
	smp->type = SMP_T_BOOL;
	smp->u.sint = v != 0;
	return 1;
}

/* ssl_fc, ssl_fc_has_sni, ssl_fc_is_resumed, ssl_fc_has_early,
 * ssl_fc_early_rcvd
 */
static int fetch_bool(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const struct side *sd = cli_side(smp);
	if (!sd)
		return 0;
	if (!strcmp(kw, "ssl_fc"))
		return set_bool(smp, sd->ssl != NULL);
	if (!sd->ssl)
		return 0;
	if (!strcmp(kw, "ssl_fc_has_sni"))
		return set_bool(smp, tls_sni(sd) != NULL);
	if (!strcmp(kw, "ssl_fc_has_early"))
		return set_bool(smp, tls_has_early(sd));
	if (!strcmp(kw, "ssl_fc_early_rcvd"))
		return set_bool(smp, tls_early_rcvd(sd));
	return set_bool(smp, tls_session_reused(sd));
}

/* ssl_fc_sni, ssl_fc_protocol, ssl_fc_cipher, ssl_fc_alpn */
static int fetch_str(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const struct side *sd = cli_side(smp);
	if (!sd || !sd->ssl)
		return 0;
	const char *v = NULL;
	unsigned len = 0;
	if (!strcmp(kw, "ssl_fc_sni"))
		v = tls_sni(sd);
	else if (!strcmp(kw, "ssl_fc_protocol"))
		v = tls_version_name(sd);
	else if (!strcmp(kw, "ssl_fc_cipher"))
		v = tls_cipher_name(sd);
	else
		return (v = tls_alpn(sd, &len)) ? set_const_str(smp, v, len) : 0;
	return v ? set_const_str(smp, v, strlen(v)) : 0;
}

/* ssl_fc_alg_keysize, ssl_fc_use_keysize: bits of the cipher's key. */
static int fetch_keysize(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	const struct side *sd = cli_side(smp);
	if (!sd || !sd->ssl || (!sd->tls_hs_done && !sd->tls_early))
		return 0;
	int alg = 0;
	int use = SSL_get_cipher_bits(sd->ssl, &alg);
	smp->type = SMP_T_SINT;
	smp->u.sint = !strcmp(kw, "ssl_fc_alg_keysize") ? alg : use;
	return 1;
}

#define L5 (SMP_USE_L5CLI)
static const struct smp_fetch_kw ssl_fetches[] = {
    {"ssl_fc", fetch_bool, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_fc_has_sni", fetch_bool, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_fc_is_resumed", fetch_bool, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_fc_has_early", fetch_bool, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_fc_early_rcvd", fetch_bool, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_fc_sni", fetch_str, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_fc_protocol", fetch_str, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_fc_cipher", fetch_str, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_fc_alpn", fetch_str, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_fc_alg_keysize", fetch_keysize, ARGS0, NULL, SMP_T_SINT, L5, NULL},
    {"ssl_fc_use_keysize", fetch_keysize, ARGS0, NULL, SMP_T_SINT, L5, NULL},
};
SMP_REGISTER_FETCHES(ssl_fetches)
