/* Global TLS keywords about what is read besides the certificates:
 * ssl-load-extra-files (companion files of each certificate),
 * ssl-dh-param-file and tune.ssl.default-dh-param (DHE parameters).
 */
#include <openssl/evp.h>
#include <string.h>

#include "common/mem.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "conf/ssl-bind.h"
#include "worker/tls-dh.h"

#define EXTRA_VALUES "none, all, bundle, sctl, ocsp, issuer, key"

/* ssl-load-extra-files <none|all|bundle|sctl|ocsp|issuer|key>...: "none"
 * and "all" stand alone, the others add up.
 */
static int parse_extra_files(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} vals[] = {{"bundle", TLS_EXTRA_BUNDLE}, {"sctl", TLS_EXTRA_SCTL},
	            {"ocsp", TLS_EXTRA_OCSP},     {"issuer", TLS_EXTRA_ISSUER},
	            {"key", TLS_EXTRA_KEY},       {"none", 0},
	            {"all", TLS_EXTRA_ALL}};
	unsigned flags = 0;
	if (nargs < 2) {
		memprintf(err, "'%s' expects one or multiple arguments (" EXTRA_VALUES ").",
		          args[0]);
		return CFG_ALERT;
	}
	for (int i = 1; i < nargs; i++) {
		size_t v = 0;
		while (v < sizeof(vals) / sizeof(vals[0]) && strcmp(args[i], vals[v].name))
			v++;
		if (v == sizeof(vals) / sizeof(vals[0])) {
			memprintf(err, "'%s' : unknown value '%s' (expects " EXTRA_VALUES ").",
			          args[0], args[i]);
			return CFG_ALERT;
		}
		int alone = !strcmp(args[i], "none") || !strcmp(args[i], "all");
		if (alone && nargs > 2) {
			memprintf(err, "'%s' 'none' and 'all' can be only used alone", args[0]);
			return CFG_ALERT;
		}
		flags |= vals[v].bit;
	}
	tls_global.extra_files = flags;
	return CFG_OK;
}

/* ssl-dh-param-file <file>: DH parameters of certificates without theirs. */
static int parse_dh_file(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'%s' expects a file path as an argument.", args[0]);
		return CFG_ALERT;
	}
	EVP_PKEY *dh = tls_dh_read(args[1]);
	if (!dh) {
		memprintf(err, "'%s': unable to load DH parameters from file <%s>.", args[0],
		          args[1]);
		return CFG_ALERT;
	}
	EVP_PKEY_free(tls_global.dh);
	free(tls_global.dh_file);
	tls_global.dh = dh;
	tls_global.dh_file = xstrdup(args[1]);
	return CFG_OK;
}

/* tune.ssl.default-dh-param <bits>: at least 1024. */
static int parse_default_dh(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'%s' expects an integer argument.", args[0]);
		return CFG_ALERT;
	}
	int v = 0;
	if (cfg_opt_int(args[0], args[1], 0, 0x7fffffff, &v, err) != CFG_OK)
		return CFG_ALERT;
	if (v < 1024) {
		memprintf(err, "'%s' expects a value >= 1024.", args[0]);
		return CFG_ALERT;
	}
	tls_global.default_dh = v;
	return CFG_OK;
}

static const struct cfg_kw ssl_extra_kws[] = {
    {.name = "ssl-load-extra-files", .sections = SECT_GLOBAL, .parse = parse_extra_files},
    {.name = "ssl-dh-param-file", .sections = SECT_GLOBAL, .parse = parse_dh_file},
    {.name = "tune.ssl.default-dh-param", .sections = SECT_GLOBAL, .parse = parse_default_dh},
};
CFG_REGISTER_KEYWORDS(ssl_extra_kws)
