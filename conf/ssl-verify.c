/* Client certificate options of TLS bind lines: ca-file, ca-verify-file,
 * crl-file, verify, ca-ignore-err, crt-ignore-err. The files are read here,
 * while the line is parsed; worker/tls-verify.c installs them on the
 * contexts built by the checker of conf/ssl-bind.c.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "conf/ssl-bind.h"
#include "worker/tls-verify.h"

/* The verification settings of the bind line being parsed. */
static struct tls_verify_cfg *bind_verify(struct cfg_ctx *ctx)
{
	struct tls_bind_cfg *t = tls_bind_cfg_of(ctx);
	if (!t->verify)
		t->verify = xcalloc(1, sizeof(*t->verify));
	return t->verify;
}

/* Reads the certificates and CRLs of PEM file <path> into *<certs> and
 * *<crls> (created on demand). Returns 0, or -1 after an alert naming the
 * file ("ca-file" in the message whatever the option, as HAProxy prints).
 */
static int load_pem(const char *path, STACK_OF(X509) * *certs, STACK_OF(X509_CRL) * *crls)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		ha_alert("config : a directory as CA or CRL file is not supported yet ('%s').\n",
		         path);
		return -1;
	}
	BIO *in = BIO_new_file(path, "r");
	if (!in) {
		ha_alert("config : Couldn't open the ca-file '%s' (%s).\n", path, strerror(errno));
		ERR_clear_error();
		return -1;
	}
	STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(in, NULL, NULL, NULL);
	BIO_free(in);
	int found = 0;
	for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);
		if (xi->x509) {
			if (!*certs)
				*certs = sk_X509_new_null();
			if (sk_X509_push(*certs, xi->x509))
				xi->x509 = NULL, found++;
		}
		if (xi->crl && crls) {
			if (!*crls)
				*crls = sk_X509_CRL_new_null();
			if (sk_X509_CRL_push(*crls, xi->crl))
				xi->crl = NULL, found++;
		}
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	ERR_clear_error();
	if (!found) {
		ha_alert("config : Couldn't open the ca-file '%s' (no certificate or crl found).\n",
		         path);
		return -1;
	}
	return 0;
}

/* ca-file, ca-verify-file, crl-file <file>: relative paths from ca-base. */
static int bopt_file(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_verify_cfg *v = bind_verify(ctx);
	const char *kw = args[0], *f = args[1];
	char *path = f[0] != '/' && tls_global.ca_base ? xasprintf("%s/%s", tls_global.ca_base, f)
	                                               : xstrdup(f);
	STACK_OF(X509) **certs = (STACK_OF(X509) **)&v->ca_verify_certs;
	STACK_OF(X509_CRL) **crls = NULL;
	char **slot = &v->ca_verify_file;
	if (!strcmp(kw, "ca-file")) {
		certs = (STACK_OF(X509) **)&v->ca_certs;
		slot = &v->ca_file;
	} else if (!strcmp(kw, "crl-file")) {
		crls = (STACK_OF(X509_CRL) **)&v->crls;
		slot = &v->crl_file;
	}
	if (load_pem(path, certs, crls) < 0) {
		memprintf(err, "'%s' : unable to load %s", kw, path);
		free(path);
		return CFG_ALERT;
	}
	free(*slot);
	*slot = path;
	return CFG_OK;
}

static int bopt_verify(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	static const char *const modes[] = {"none", "optional", "required"};
	for (int i = 0; i < 3; i++) {
		if (!strcmp(args[1], modes[i])) {
			bind_verify(ctx)->mode = i; /* TLS_VERIFY_* in this order */
			bind_verify(ctx)->mode_set = 1;
			return CFG_OK;
		}
	}
	memprintf(err,
	          "'verify' : unknown verify method '%s', only 'none', 'optional', and "
	          "'required' are supported",
	          args[1]);
	return CFG_ALERT;
}

/* ca-ignore-err, crt-ignore-err: "all" or a comma list of error ids. */
static int bopt_ignore(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_verify_cfg *v = bind_verify(ctx);
	uint64_t *bits = args[0][1] == 'a' ? v->ca_ignore : v->crt_ignore;
	const char *list = args[1];
	if (!strcmp(list, "all")) {
		bits[0] = bits[1] = ~(uint64_t)0;
		return CFG_OK;
	}
	for (const char *p = list; *p;) {
		char *end = NULL;
		long id = strtol(p, &end, 10);
		if (end == p || (*end && *end != ','))
			id = 0; /* not a number: reported as HAProxy does */
		if (id < 1 || id > TLS_MAX_VFY_ERR) {
			memprintf(err,
			          "'%s' : ID '%ld' out of range (1..%d) in error IDs list '%s'",
			          args[0], id, TLS_MAX_VFY_ERR, list);
			return CFG_ALERT;
		}
		bits[id / 64] |= (uint64_t)1 << (id % 64);
		p = *end ? end + 1 : end;
	}
	return CFG_OK;
}

#define BO(n, fn)                                                                                  \
	{                                                                                          \
		.name = n, .sections = SECT_BINDOPT, .parse = fn, .nvals = 1                       \
	}
static const struct cfg_kw ssl_verify_opts[] = {
    BO("ca-file", bopt_file),  BO("ca-verify-file", bopt_file),  BO("crl-file", bopt_file),
    BO("verify", bopt_verify), BO("ca-ignore-err", bopt_ignore), BO("crt-ignore-err", bopt_ignore),
};
CFG_REGISTER_KEYWORDS(ssl_verify_opts)

int tls_verify_check(const struct tls_verify_cfg *v, char **err)
{
	if (v->mode != TLS_VERIFY_NONE && !v->ca_certs && !v->ca_verify_certs) {
		memprintf(err, "verify is enabled but no CA file specified");
		return -1;
	}
	return 0;
}
