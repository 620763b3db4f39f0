/* Loading of PEM certificates for "bind ... crt": leaf certificate, chain,
 * private key, and the names the certificate serves.
 */
#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/mem.h"
#include "conf/ssl-bind.h"
#include "worker/tls-dh.h"
#include "worker/tls-sctl.h"
#include "worker/tls.h"

/* Never asks for a passphrase: encrypted keys are refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

static BIO *open_pem(const char *path, char **err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		memprintf(err, "unable to load SSL certificate from PEM file '%s' : %s.", path,
		          strerror(errno));
		return NULL;
	}
	return BIO_new_fp(f, BIO_CLOSE);
}

/* Reads the private key of <path>; NULL when there is none. */
static EVP_PKEY *read_key(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	if (!b)
		return NULL;
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	ERR_clear_error();
	return k;
}

static void add_name(struct tls_cert *c, const char *name, size_t len)
{
	if (!len || memchr(name, 0, len))
		return;
	char *n = xstrndup(name, len);
	for (char *p = n; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	for (int i = 0; i < c->nnames; i++)
		if (!strcmp(c->names[i], n)) {
			free(n);
			return;
		}
	c->names = xrealloc(c->names, (size_t)(c->nnames + 1) * sizeof(*c->names));
	c->names[c->nnames++] = n;
}

/* Collects the DNS names and the common name of the leaf certificate. */
static void collect_names(struct tls_cert *c)
{
	X509 *x = c->x509;
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type != GEN_DNS)
			continue;
		add_name(c, (const char *)ASN1_STRING_get0_data(g->d.dNSName),
		         (size_t)ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(sans);
	X509_NAME *subj = X509_get_subject_name(x);
	for (int i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
		unsigned char *utf8 = NULL;
		int len = ASN1_STRING_to_UTF8(&utf8, d);
		if (len > 0)
			add_name(c, (const char *)utf8, (size_t)len);
		OPENSSL_free(utf8);
	}
}

struct tls_cert *tls_cert_ref(struct tls_cert *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void tls_cert_free(struct tls_cert *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) > 1)
		return;
	X509_free(c->x509);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->pkey);
	X509_free(c->ocsp_issuer);
	free(c->sctl);
	EVP_PKEY_free(c->dh);
	free(c->ocsp);
	for (int i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	free(c->path);
	free(c);
}

/* Reads the leaf and chain certificates from <b> into <c>; frees <b>. */
static void read_certs_bio(struct tls_cert *c, BIO *b)
{
	if (!b)
		return;
	c->x509 = PEM_read_bio_X509_AUX(b, NULL, no_passphrase, NULL);
	c->chain = sk_X509_new_null();
	X509 *ca;
	while (c->x509 && (ca = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)))
		sk_X509_push(c->chain, ca);
	BIO_free(b);
	ERR_clear_error();
}

/* Reads the leaf and chain certificates of <path> into <c>. */
static int read_certs(struct tls_cert *c, const char *path, char **err)
{
	BIO *b = open_pem(path, err);
	if (!b)
		return -1;
	read_certs_bio(c, b);
	if (!c->x509) {
		memprintf(err, "unable to load SSL certificate from PEM file '%s'.", path);
		return -1;
	}
	return 0;
}

struct tls_cert *tls_cert_parse(const char *path, const char *pem)
{
	struct tls_cert *c = xcalloc(1, sizeof(*c));
	atomic_init(&c->refs, 1);
	c->path = xstrdup(path);
	read_certs_bio(c, BIO_new_mem_buf(pem, -1));
	if (!c->x509) {
		tls_cert_free(c);
		return NULL;
	}
	BIO *b = BIO_new_mem_buf(pem, -1);
	c->pkey = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	ERR_clear_error();
	collect_names(c);
	return c;
}

/* Reads the whole file <path> into *<out>; -1 with errno on failure. */
static int read_file(const char *path, unsigned char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	unsigned char *b = NULL;
	size_t n = 0, cap = 0, r;
	do {
		if (n == cap)
			b = xrealloc(b, cap = cap ? 2 * cap : 4096);
		r = fread(b + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(b);
		errno = EIO;
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}

/* The certificate of the chain of <c> that issued its leaf, or NULL. */
static X509 *chain_issuer(const struct tls_cert *c)
{
	for (int i = 0; i < sk_X509_num(c->chain); i++) {
		X509 *ca = sk_X509_value(c->chain, i);
		if (X509_check_issued(ca, c->x509) == X509_V_OK)
			return ca;
	}
	return NULL;
}

/* Loads "<path>.issuer" into c->ocsp_issuer when it exists. */
static int load_issuer(struct tls_cert *c, const char *path, char **err)
{
	char *ip = xasprintf("%s.issuer", path);
	struct stat st;
	int ret = 0;
	if (stat(ip, &st) == 0) {
		BIO *b = BIO_new_file(ip, "r");
		c->ocsp_issuer = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;
		BIO_free(b);
		ERR_clear_error();
		if (!c->ocsp_issuer) {
			memprintf(err, "'%s' cannot be read or parsed'.", ip);
			ret = -1;
		} else if (X509_check_issued(c->ocsp_issuer, c->x509) != X509_V_OK) {
			memprintf(err, "'%s' is not an issuer'.", ip);
			ret = -1;
		}
	}
	free(ip);
	return ret;
}

/* Companion files of <path> (ssl-load-extra-files): "<path>.sctl",
 * "<path>.ocsp" and the OCSP issuer (from the chain, else "<path>.issuer").
 */
static int load_extra(struct tls_cert *c, const char *path, char **err)
{
	unsigned flags = tls_global.extra_files;
	struct stat st;
	int ret = 0;
	char *op = xasprintf("%s.ocsp", path);
	char *sp = xasprintf("%s.sctl", path);
	if ((flags & TLS_EXTRA_SCTL) && stat(sp, &st) == 0 &&
	    (read_file(sp, &c->sctl, &c->sctl_len) < 0 || !tls_sctl_valid(c->sctl, c->sctl_len))) {
		memprintf(err, "'%s' is present but cannot be read or parsed'.", sp);
		ret = -1;
	} else if ((flags & TLS_EXTRA_OCSP) && stat(op, &st) == 0 &&
	           read_file(op, &c->ocsp, &c->ocsp_len) < 0) {
		memprintf(err, "'%s' : unable to read the OCSP response : %s.", op,
		          strerror(errno));
		ret = -1;
	}
	if (!ret && c->ocsp) {
		X509 *ca = chain_issuer(c);
		if (ca && X509_up_ref(ca))
			c->ocsp_issuer = ca;
		else if (flags & TLS_EXTRA_ISSUER)
			ret = load_issuer(c, path, err);
	}
	free(op);
	free(sp);
	return ret;
}

/* Loads the single PEM file <path>. */
static struct tls_cert *load_file(const char *path, char **err)
{
	struct tls_cert *c = xcalloc(1, sizeof(*c));
	atomic_init(&c->refs, 1);
	c->path = xstrdup(path);
	if (read_certs(c, path, err) < 0)
		goto fail;
	c->pkey = read_key(path);
	if (!c->pkey && !(tls_global.extra_files & TLS_EXTRA_KEY)) {
		memprintf(err, "No Private Key found in '%s'.", path);
		goto fail;
	}
	if (!c->pkey) {
		char *kp = xasprintf("%s.key", path);
		c->pkey = read_key(kp);
		if (!c->pkey)
			memprintf(err, "No Private Key found in '%s'.", kp);
		free(kp);
		if (!c->pkey)
			goto fail;
	}
	if (!X509_check_private_key(c->x509, c->pkey)) {
		ERR_clear_error();
		memprintf(err, "inconsistencies between private key and certificate loaded '%s'.",
		          path);
		goto fail;
	}
	if (load_extra(c, path, err) < 0)
		goto fail;
	c->dh = tls_dh_read(path);
	collect_names(c);
	return c;
fail:
	tls_cert_free(c);
	return NULL;
}

static void push_cert(struct tls_cert ***certs, int *n, struct tls_cert *c)
{
	*certs = xrealloc(*certs, (size_t)(*n + 1) * sizeof(**certs));
	(*certs)[(*n)++] = c;
}

/* Whether a directory entry is a companion file rather than a certificate. */
static int skipped_entry(const char *name)
{
	static const char *const ext[] = {".key", ".ocsp", ".issuer", ".sctl"};
	size_t len = strlen(name);
	if (name[0] == '.')
		return 1;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);
		if (len > el && !strcmp(name + len - el, ext[i]))
			return 1;
	}
	return 0;
}

static int load_dir(const char *path, struct tls_cert ***certs, int *n, char **err)
{
	struct dirent **ents = NULL;
	int ne = scandir(path, &ents, NULL, alphasort);
	int ret = 0;
	if (ne < 0) {
		memprintf(err, "unable to scan directory '%s' : %s.", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < ne; i++) {
		char *fp = xasprintf("%s/%s", path, ents[i]->d_name);
		struct stat st;
		if (!ret && !skipped_entry(ents[i]->d_name) && stat(fp, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			struct tls_cert *c = load_file(fp, err);
			if (c)
				push_cert(certs, n, c);
			else
				ret = -1;
		}
		free(fp);
		free(ents[i]);
	}
	free(ents);
	return ret;
}

/* A bundle: "<path>.dsa", "<path>.ecdsa", "<path>.rsa" loaded in this order
 * (HAProxy's) as separate certificates when <path> itself does not exist. Returns 0 when there is
 * none of them, 1 when some were loaded, -1 with *<err> set on failure.
 */
static int load_bundle(const char *path, struct tls_cert ***certs, int *n, char **err)
{
	static const char *const ext[] = {"dsa", "ecdsa", "rsa"};
	int found = 0;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		char *fp = xasprintf("%s.%s", path, ext[i]);
		struct stat st;
		struct tls_cert *c = NULL;
		if (stat(fp, &st) == 0) {
			c = load_file(fp, err);
			if (!c) {
				free(fp);
				return -1;
			}
			push_cert(certs, n, c);
			found = 1;
		}
		free(fp);
	}
	return found;
}

int tls_cert_load(const char *path, struct tls_cert ***certs, int *n, char **err)
{
	struct stat st;
	if (stat(path, &st) < 0 && (tls_global.extra_files & TLS_EXTRA_BUNDLE)) {
		int b = load_bundle(path, certs, n, err);
		if (b)
			return b < 0 ? -1 : 0;
	}
	if (stat(path, &st) < 0) {
		memprintf(err, "unable to stat SSL certificate from file '%s' : %s.", path,
		          strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(path, certs, n, err);
	struct tls_cert *c = load_file(path, err);
	if (!c)
		return -1;
	push_cert(certs, n, c);
	return 0;
}
