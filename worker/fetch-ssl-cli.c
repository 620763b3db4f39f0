/* Sample fetches of the client certificate: ssl_c_used, ssl_c_verify,
 * ssl_c_ca_err, ssl_c_ca_err_depth, ssl_c_err, ssl_c_s_dn, ssl_c_i_dn,
 * ssl_c_serial, ssl_c_sha1, ssl_c_notbefore, ssl_c_notafter,
 * ssl_c_version, ssl_c_sig_alg, ssl_c_key_alg, ssl_fc_has_crt.
 */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "common/sample.h"
#include "worker/stream.h"
#include "worker/tls-verify.h"

/* The TLS client side being evaluated, NULL when none or not TLS. */
static const struct side *tls_cli(const struct sample *smp)
{
	const struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	return s && s->cli.ssl && s->cli.tls_hs_done ? &s->cli : NULL;
}

static int set_int(struct sample *smp, enum smp_type t, long long v)
{
	smp->type = t;
	smp->u.sint = v;
	return 1;
}

/* ssl_c_used, ssl_fc_has_crt, ssl_c_verify, ssl_c_ca_err(_depth), ssl_c_err */
static int fetch_status(const struct arg *args, struct sample *smp, const char *kw,
                        const void *priv)
{
	const struct side *sd = tls_cli(smp);
	if (!sd)
		return 0;
	struct tls_verify_state st;
	tls_verify_get(sd, &st);
	if (!strcmp(kw, "ssl_c_used"))
		return set_int(smp, SMP_T_BOOL, tls_peer_cert(sd) != NULL);
	if (!strcmp(kw, "ssl_fc_has_crt"))
		return set_int(smp, SMP_T_BOOL, st.done);
	if (!strcmp(kw, "ssl_c_verify"))
		return set_int(smp, SMP_T_SINT, tls_verify_result(sd));
	if (!strcmp(kw, "ssl_c_ca_err"))
		return set_int(smp, SMP_T_SINT, st.ca_err);
	if (!strcmp(kw, "ssl_c_ca_err_depth"))
		return set_int(smp, SMP_T_SINT, st.ca_depth);
	return set_int(smp, SMP_T_SINT, st.crt_err);
}

/* Copies <len> bytes at <p> to the sample arena as the result. */
static int set_copy(struct sample *smp, const void *p, size_t len, enum smp_type t)
{
	char *o = smp_alloc(len + 1);
	if (!o)
		return 0;
	memcpy(o, p, len);
	o[len] = 0;
	return smp_set_own_str(smp, o, len, t);
}

/* The short name of an entry's object, or its dotted form. */
static const char *entry_name(X509_NAME_ENTRY *ne, char *buf, size_t len)
{
	ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(ne);
	int nid = OBJ_obj2nid(obj);
	if (nid != NID_undef)
		return OBJ_nid2sn(nid);
	OBJ_obj2txt(buf, (int)len, obj, 1);
	return buf;
}

/* <name> in the "/C=FR/O=x/CN=y" form, in the order of the certificate. */
static int dn_oneline(struct sample *smp, X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return 0;
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, i);
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(ne);
		char tmp[128];
		BIO_printf(b, "/%s=", entry_name(ne, tmp, sizeof(tmp)));
		BIO_write(b, ASN1_STRING_get0_data(d), ASN1_STRING_length(d));
	}
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	int r = set_copy(smp, p, (size_t)n, SMP_T_STR);
	BIO_free(b);
	return r;
}

/* <name> as RFC 2253 prints it (most specific entry first). */
static int dn_rfc2253(struct sample *smp, X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return 0;
	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	int r = n > 0 && set_copy(smp, p, (size_t)n, SMP_T_STR);
	BIO_free(b);
	return r;
}

/* Value of the <occ>-th entry named <entry> (short name, any case), counted
 * from the end when <occ> is negative.
 */
static int dn_entry(struct sample *smp, X509_NAME *name, const struct smp_str *entry, long occ)
{
	int cnt = X509_NAME_entry_count(name), step = occ < 0 ? -1 : 1, seen = 0;
	long want = occ < 0 ? -occ : occ;
	for (int j = occ < 0 ? cnt - 1 : 0; j >= 0 && j < cnt; j += step) {
		X509_NAME_ENTRY *ne = X509_NAME_get_entry(name, j);
		char tmp[128];
		const char *n = entry_name(ne, tmp, sizeof(tmp));
		if (strlen(n) != entry->len || strncasecmp(n, entry->ptr, entry->len))
			continue;
		if (++seen != want)
			continue;
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(ne);
		return set_copy(smp, ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d),
		                SMP_T_STR);
	}
	return 0;
}

/* ssl_c_s_dn, ssl_c_i_dn ([entry[,occ[,format]]]) */
static int fetch_dn(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const struct side *sd = tls_cli(smp);
	X509 *crt = sd ? tls_peer_cert(sd) : NULL;
	if (!crt)
		return 0;
	X509_NAME *name = kw[6] == 's' ? X509_get_subject_name(crt) : X509_get_issuer_name(crt);
	int rfc = args[2].type == ARGT_STR && args[2].data.str.len == 7 &&
	          !memcmp(args[2].data.str.ptr, "rfc2253", 7);
	if (args[0].type == ARGT_STR && args[0].data.str.len) {
		long occ = args[1].type == ARGT_SINT ? (long)args[1].data.sint : 1;
		return dn_entry(smp, name, &args[0].data.str, occ);
	}
	return rfc ? dn_rfc2253(smp, name) : dn_oneline(smp, name);
}

/* The format argument of ssl_c_s_dn / ssl_c_i_dn: only "rfc2253". */
static int check_dn_args(struct arg *args, char **err)
{
	if (args[2].type == ARGT_STR &&
	    !(args[2].data.str.len == 7 && !memcmp(args[2].data.str.ptr, "rfc2253", 7))) {
		memprintf(err,
		          "only rfc2253 or a blank value are currently supported as the format "
		          "argument.");
		return 0;
	}
	return 1;
}

/* A certificate time as HAProxy shows it: "YYMMDDhhmmssZ". */
static int set_time(struct sample *smp, const ASN1_TIME *t)
{
	const unsigned char *p = ASN1_STRING_get0_data(t);
	int len = ASN1_STRING_length(t);
	if (ASN1_STRING_type(t) == V_ASN1_GENERALIZEDTIME) {
		if (len < 15)
			return 0;
		p += 2, len -= 2; /* the century is dropped */
	}
	return set_copy(smp, p, (size_t)len, SMP_T_STR);
}

/* ssl_c_serial, ssl_c_sha1, ssl_c_notbefore, ssl_c_notafter, ssl_c_version,
 * ssl_c_sig_alg, ssl_c_key_alg
 */
static int fetch_crt(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const struct side *sd = tls_cli(smp);
	X509 *crt = sd ? tls_peer_cert(sd) : NULL;
	if (!crt)
		return 0;
	const char *what = kw + 6;
	if (!strcmp(what, "serial")) {
		const ASN1_INTEGER *s = X509_get0_serialNumber(crt);
		return set_copy(smp, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s),
		                SMP_T_BIN);
	}
	if (!strcmp(what, "sha1")) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned n = 0;
		if (!X509_digest(crt, EVP_sha1(), md, &n))
			return 0;
		return set_copy(smp, md, n, SMP_T_BIN);
	}
	if (!strcmp(what, "notbefore"))
		return set_time(smp, X509_get0_notBefore(crt));
	if (!strcmp(what, "notafter"))
		return set_time(smp, X509_get0_notAfter(crt));
	if (!strcmp(what, "version"))
		return set_int(smp, SMP_T_SINT, X509_get_version(crt) + 1);
	int nid = X509_get_signature_nid(crt);
	if (strcmp(what, "sig_alg")) {
		ASN1_OBJECT *o = NULL;
		X509_PUBKEY_get0_param(&o, NULL, NULL, NULL, X509_get_X509_PUBKEY(crt));
		nid = o ? OBJ_obj2nid(o) : NID_undef;
	}
	const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
	return sn ? set_copy(smp, sn, strlen(sn), SMP_T_STR) : 0;
}

#define L5 (SMP_USE_L5CLI)
#define DN_ARGS ARGS(0, ARGT_STR, ARGT_SINT, ARGT_STR)
static const struct smp_fetch_kw ssl_cli_fetches[] = {
    {"ssl_c_used", fetch_status, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_fc_has_crt", fetch_status, ARGS0, NULL, SMP_T_BOOL, L5, NULL},
    {"ssl_c_verify", fetch_status, ARGS0, NULL, SMP_T_SINT, L5, NULL},
    {"ssl_c_ca_err", fetch_status, ARGS0, NULL, SMP_T_SINT, L5, NULL},
    {"ssl_c_ca_err_depth", fetch_status, ARGS0, NULL, SMP_T_SINT, L5, NULL},
    {"ssl_c_err", fetch_status, ARGS0, NULL, SMP_T_SINT, L5, NULL},
    {"ssl_c_s_dn", fetch_dn, DN_ARGS, check_dn_args, SMP_T_STR, L5, NULL},
    {"ssl_c_i_dn", fetch_dn, DN_ARGS, check_dn_args, SMP_T_STR, L5, NULL},
    {"ssl_c_serial", fetch_crt, ARGS0, NULL, SMP_T_BIN, L5, NULL},
    {"ssl_c_sha1", fetch_crt, ARGS0, NULL, SMP_T_BIN, L5, NULL},
    {"ssl_c_notbefore", fetch_crt, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_c_notafter", fetch_crt, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_c_version", fetch_crt, ARGS0, NULL, SMP_T_SINT, L5, NULL},
    {"ssl_c_sig_alg", fetch_crt, ARGS0, NULL, SMP_T_STR, L5, NULL},
    {"ssl_c_key_alg", fetch_crt, ARGS0, NULL, SMP_T_STR, L5, NULL},
};
SMP_REGISTER_FETCHES(ssl_cli_fetches)
