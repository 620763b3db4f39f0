/* Text of "show ssl cert <file>": the fields HAProxy 2.6 prints about a
 * certificate, in its formats (never anything about the private key).
 */
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "common/strbuf.h"
#include "worker/tls-show.h"
#include "worker/tls.h"

static void put_hex(struct strbuf *o, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_printf(o, "%02X", p[i]);
}

/* "/CN=x/O=y": short names, values as stored. */
static void put_dn(struct strbuf *o, X509_NAME *n)
{
	for (int i = 0; i < X509_NAME_entry_count(n); i++) {
		X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(e);
		int nid = OBJ_obj2nid(obj);
		char txt[80];
		const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
		if (!sn) {
			OBJ_obj2txt(txt, sizeof(txt), obj, 1);
			sn = txt;
		}
		sb_printf(o, "/%s=%.*s", sn, ASN1_STRING_length(d),
		          (const char *)ASN1_STRING_get0_data(d));
	}
}

static void put_time(struct strbuf *o, const ASN1_TIME *t)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	if (!b)
		return;
	ASN1_TIME_print(b, t);
	long n = BIO_get_mem_data(b, &p);
	sb_printf(o, "%.*s", (int)n, p);
	BIO_free(b);
}

/* DNS names of the subjectAltName extension, ", " between them. */
static void put_san(struct strbuf *o, X509 *x)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int first = 1;
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type != GEN_DNS)
			continue;
		sb_printf(o, "%sDNS:%.*s", first ? "" : ", ", ASN1_STRING_length(g->d.dNSName),
		          (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		first = 0;
	}
	GENERAL_NAMES_free(sans);
}

/* "RSA2048", "EC256", "DSA1024", "?<bits>" for other key types. */
static void put_algo(struct strbuf *o, X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	const char *a = "?";
	int bits = 0;
	if (k) {
		bits = EVP_PKEY_bits(k);
		switch (EVP_PKEY_base_id(k)) {
		case EVP_PKEY_RSA:
			a = "RSA";
			break;
		case EVP_PKEY_EC:
			a = "EC";
			break;
		case EVP_PKEY_DSA:
			a = "DSA";
			break;
		default:
			break;
		}
	}
	sb_printf(o, "%s%d", a, bits);
}

void tls_show_x509(struct strbuf *o, void *x509)
{
	X509 *x = x509;
	const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
	sb_printf(o, "Serial: ");
	put_hex(o, ASN1_STRING_get0_data(serial), (size_t)ASN1_STRING_length(serial));
	sb_printf(o, "\nnotBefore: ");
	put_time(o, X509_get0_notBefore(x));
	sb_printf(o, "\nnotAfter: ");
	put_time(o, X509_get0_notAfter(x));
	sb_printf(o, "\nSubject Alternative Name: ");
	put_san(o, x);
	sb_printf(o, "\nAlgorithm: ");
	put_algo(o, x);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	X509_digest(x, EVP_sha1(), md, &mdlen);
	sb_printf(o, "\nSHA1 FingerPrint: ");
	put_hex(o, md, mdlen);
	sb_printf(o, "\nSubject: ");
	put_dn(o, X509_get_subject_name(x));
	sb_printf(o, "\nIssuer: ");
	put_dn(o, X509_get_issuer_name(x));
	sb_printf(o, "\n");
}

void tls_show_cert(struct strbuf *o, const char *name, const struct tls_cert *c, int used)
{
	sb_printf(o, "Filename: %s\n", name);
	sb_printf(o, "Status: %s\n", !c ? "Empty" : used ? "Used" : "Unused");
	if (c) {
		tls_show_x509(o, c->x509);
		for (int i = 0; c->chain && i < sk_X509_num(c->chain); i++) {
			X509 *ca = sk_X509_value(c->chain, i);
			sb_printf(o, "Chain Subject: ");
			put_dn(o, X509_get_subject_name(ca));
			sb_printf(o, "\nChain Issuer: ");
			put_dn(o, X509_get_issuer_name(ca));
			sb_printf(o, "\n");
		}
	}
	sb_printf(o, "OCSP Response Key: \n");
}
