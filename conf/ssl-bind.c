/* TLS keywords: bind options (ssl, crt, alpn, versions, ciphers...), the
 * global ssl-default-bind-*, crt-base, ca-base and tune.ssl.* settings, and
 * the checker that builds the OpenSSL contexts of every TLS bind line.
 */
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/mem.h"
#include "common/msg.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/model-t.h"
#include "conf/opts.h"
#include "conf/ssl-bind.h"
#include "conf/ssl-crtlist.h"
#include "worker/tls-store.h"
#include "worker/tls-verify.h"
#include "worker/tls.h"

struct tls_global_cfg tls_global = {
    .cachesize = 20000, .lifetime = 300, .extra_files = TLS_EXTRA_ALL};

/* The TLS settings of the bind line being parsed, created on first use. */
static struct tls_bind_cfg *bind_tls(struct cfg_ctx *ctx)
{
	struct bind_conf *b = ctx->target;
	if (!b->tls)
		b->tls = xcalloc(1, sizeof(*b->tls));
	return b->tls;
}

struct tls_bind_cfg *tls_bind_cfg_of(struct cfg_ctx *ctx)
{
	return bind_tls(ctx);
}

void tls_bind_cfg_free(struct tls_bind_cfg *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ncerts; i++)
		tls_cert_free(t->certs[i]);
	free(t->certs);
	free(t->alpn);
	free(t->alpn_text);
	free(t->ciphers);
	free(t->ciphersuites);
	free(t->curves);
	tls_verify_cfg_free(t->verify);
	tls_crtlist_free(t);
	free(t);
}

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

/* ssl: only on proxies' bind lines (not on the stats socket yet). */
static int bopt_ssl(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (!ctx->px) {
		memprintf(err, "'ssl' is not supported yet on this listener (only on 'bind' lines "
		               "of frontends).");
		return CFG_ALERT;
	}
	bind_tls(ctx)->ssl = 1;
	return CFG_OK;
}

/* crt <file|dir>: relative paths are taken from crt-base. */
static int bopt_crt(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_bind_cfg *t = bind_tls(ctx);
	const char *v = args[1];
	char *path = v[0] != '/' && tls_global.crt_base ? xasprintf("%s/%s", tls_global.crt_base, v)
	                                                : xstrdup(v);
	int r = tls_cert_load(path, &t->certs, &t->ncerts, err);
	free(path);
	return r < 0 ? CFG_ALERT : CFG_OK;
}

/* Converts a comma-separated protocol list to ALPN wire format. */
int alpn_wire(const char *list, unsigned char **out, unsigned *outlen, char **err)
{
	size_t len = strlen(list);
	unsigned char *w = xmalloc(len + 1);
	unsigned n = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (!l || l > 255) {
			memprintf(err, "'alpn' : invalid protocol name in '%s'.", list);
			free(w);
			return -1;
		}
		w[n++] = (unsigned char)l;
		memcpy(w + n, p, l);
		n += (unsigned)l;
		p += l + (e ? 1 : 0);
		if (e && !*p) {
			memprintf(err, "'alpn' : invalid protocol name in '%s'.", list);
			free(w);
			return -1;
		}
	}
	if (!n) {
		memprintf(err, "'alpn' : missing the comma-delimited ALPN protocol suite");
		free(w);
		return -1;
	}
	*out = w;
	*outlen = n;
	return 0;
}

static int bopt_alpn(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_bind_cfg *t = bind_tls(ctx);
	unsigned char *w = NULL;
	unsigned wl = 0;
	if (alpn_wire(args[1], &w, &wl, err) < 0)
		return CFG_ALERT;
	free(t->alpn);
	t->alpn = w;
	t->alpn_len = wl;
	set_str(&t->alpn_text, args[1]);
	return CFG_OK;
}

/* Version bound <v>: 0 with *err set when unknown or not available. */
static int parse_version(const char *v, char **err)
{
	int ver = tls_version_parse(v);
	if (!ver) {
		memprintf(err, "'%s' : unknown ssl/tls version", v);
		return 0;
	}
	if (ver == SSL3_VERSION) {
		memprintf(err, "'%s' : SSLv3 is not supported by this build.", v);
		return 0;
	}
	return ver;
}

static int bopt_version(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	int ver = parse_version(args[1], err);
	if (!ver)
		return CFG_ALERT;
	struct tls_bind_cfg *t = bind_tls(ctx);
	if (args[0][5] == 'i') /* ssl-min-ver */
		t->min_ver = ver;
	else
		t->max_ver = ver;
	return CFG_OK;
}

unsigned tls_no_version_bit(const char *name)
{
	if (!strcmp(name, "no-tlsv10"))
		return SSL_OP_NO_TLSv1;
	if (!strcmp(name, "no-tlsv11"))
		return SSL_OP_NO_TLSv1_1;
	if (!strcmp(name, "no-tlsv12"))
		return SSL_OP_NO_TLSv1_2;
	if (!strcmp(name, "no-tlsv13"))
		return SSL_OP_NO_TLSv1_3;
	if (!strcmp(name, "no-sslv3"))
		return SSL_OP_NO_SSLv3;
	return 0;
}

static int bopt_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_bind_cfg *t = bind_tls(ctx);
	if (!strcmp(args[0], "strict-sni"))
		t->strict_sni = 1;
	else if (!strcmp(args[0], "no-strict-sni"))
		t->strict_sni = 0;
	else if (!strcmp(args[0], "no-tls-tickets"))
		t->no_tickets = 1;
	else if (!strcmp(args[0], "tls-tickets"))
		t->no_tickets = -1; /* explicitly on, whatever the global default */
	else if (!strcmp(args[0], "allow-0rtt"))
		t->early_data = 1;
	else
		t->no_vers |= tls_no_version_bit(args[0]);
	return CFG_OK;
}

static int bopt_cipher(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_bind_cfg *t = bind_tls(ctx);
	if (!strcmp(args[0], "ciphers"))
		set_str(&t->ciphers, args[1]);
	else if (!strcmp(args[0], "ciphersuites"))
		set_str(&t->ciphersuites, args[1]);
	else
		set_str(&t->curves, args[1]);
	return CFG_OK;
}

#define BO(n, fn, nv)                                                                              \
	{                                                                                          \
		.name = n, .sections = SECT_BINDOPT, .parse = fn, .nvals = nv                      \
	}
static const struct cfg_kw ssl_bind_opts[] = {
    BO("ssl", bopt_ssl, 0),
    BO("crt", bopt_crt, 1),
    BO("alpn", bopt_alpn, 1),
    BO("ssl-min-ver", bopt_version, 1),
    BO("ssl-max-ver", bopt_version, 1),
    BO("ciphers", bopt_cipher, 1),
    BO("ciphersuites", bopt_cipher, 1),
    BO("curves", bopt_cipher, 1),
    BO("strict-sni", bopt_flag, 0),
    BO("no-strict-sni", bopt_flag, 0),
    BO("no-tls-tickets", bopt_flag, 0),
    BO("tls-tickets", bopt_flag, 0),
    BO("allow-0rtt", bopt_flag, 0),
    BO("no-sslv3", bopt_flag, 0),
    BO("no-tlsv10", bopt_flag, 0),
    BO("no-tlsv11", bopt_flag, 0),
    BO("no-tlsv12", bopt_flag, 0),
    BO("no-tlsv13", bopt_flag, 0),
};
CFG_REGISTER_KEYWORDS(ssl_bind_opts)

/* crt-base, ca-base, ssl-default-bind-ciphers/ciphersuites/curves. */
static int parse_global_str(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'%s' expects exactly one argument.", args[0]);
		return CFG_ALERT;
	}
	const char *n = args[0];
	char **slot = !strcmp(n, "crt-base")                        ? &tls_global.crt_base
	              : !strcmp(n, "ca-base")                       ? &tls_global.ca_base
	              : !strcmp(n, "ssl-default-bind-ciphers")      ? &tls_global.ciphers
	              : !strcmp(n, "ssl-default-bind-ciphersuites") ? &tls_global.ciphersuites
	                                                            : &tls_global.curves;
	set_str(slot, args[1]);
	return CFG_OK;
}

/* ssl-default-bind-options: version bounds and tickets; others refused. */
static int parse_default_opts(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	for (int i = 1; i < nargs; i++) {
		const char *o = args[i];
		if (!strcmp(o, "ssl-min-ver") || !strcmp(o, "ssl-max-ver")) {
			if (i + 1 >= nargs) {
				memprintf(err, "'%s' : missing value of '%s'.", args[0], o);
				return CFG_ALERT;
			}
			int ver = parse_version(args[++i], err);
			if (!ver)
				return CFG_ALERT;
			*(o[5] == 'i' ? &tls_global.min_ver : &tls_global.max_ver) = ver;
		} else if (!strcmp(o, "no-tls-tickets")) {
			tls_global.no_tickets = 1;
		} else if (tls_no_version_bit(o)) {
			tls_global.no_vers |= tls_no_version_bit(o);
		} else {
			memprintf(err, "'%s' : option '%s' is not supported yet.", args[0], o);
			return CFG_ALERT;
		}
	}
	return CFG_OK;
}

/* tune.ssl.cachesize <sessions>, tune.ssl.lifetime <time, seconds>. */
static int parse_tune(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'%s' expects exactly one argument.", args[0]);
		return CFG_ALERT;
	}
	if (!strcmp(args[0], "tune.ssl.cachesize"))
		return cfg_opt_int(args[0], args[1], 0, 0x7fffffff, &tls_global.cachesize, err);
	uint64_t secs = 0;
	if (parse_time(args[1], TIME_BASE_S, 0x7fffffff, &secs, NULL) != PARSE_OK) {
		memprintf(err, "'%s' : invalid time '%s'.", args[0], args[1]);
		return CFG_ALERT;
	}
	tls_global.lifetime = (unsigned)secs;
	return CFG_OK;
}

#define GK(n, fn)                                                                                  \
	{                                                                                          \
		.name = n, .sections = SECT_GLOBAL, .parse = fn                                    \
	}
static const struct cfg_kw ssl_global_kws[] = {
    GK("crt-base", parse_global_str),
    GK("ca-base", parse_global_str),
    GK("ssl-default-bind-ciphers", parse_global_str),
    GK("ssl-default-bind-ciphersuites", parse_global_str),
    GK("ssl-default-bind-curves", parse_global_str),
    GK("ssl-default-bind-options", parse_default_opts),
    GK("tune.ssl.cachesize", parse_tune),
    GK("tune.ssl.lifetime", parse_tune),
};
CFG_REGISTER_KEYWORDS(ssl_global_kws)

/* Fills what bind line <t> left unset from the global defaults. */
static void apply_defaults(struct tls_bind_cfg *t)
{
	if (!t->ciphers && tls_global.ciphers)
		t->ciphers = xstrdup(tls_global.ciphers);
	if (!t->ciphersuites && tls_global.ciphersuites)
		t->ciphersuites = xstrdup(tls_global.ciphersuites);
	if (!t->curves && tls_global.curves)
		t->curves = xstrdup(tls_global.curves);
	if (!t->min_ver)
		t->min_ver = tls_global.min_ver;
	if (!t->max_ver)
		t->max_ver = tls_global.max_ver;
	t->no_vers |= tls_global.no_vers;
	t->no_tickets = t->no_tickets ? t->no_tickets > 0 : tls_global.no_tickets;
}

/* Whether ALPN list <t> names anything but HTTP/1.x. */
static int alpn_beyond_h1(const struct tls_bind_cfg *t)
{
	for (unsigned i = 0; i < t->alpn_len; i += 1u + t->alpn[i]) {
		unsigned l = t->alpn[i];
		const char *p = (const char *)t->alpn + i + 1;
		if (!(l == 8 && (!memcmp(p, "http/1.1", 8) || !memcmp(p, "http/1.0", 8))))
			return 1;
	}
	return 0;
}

/* Checks and builds the contexts of TLS bind line <b>; errors reported. */
static int check_bind(struct proxy *px, struct bind_conf *b)
{
	struct tls_bind_cfg *t = b->tls;
	char addr[300];
	addr_to_str(&b->addr, addr, sizeof(addr));
	if (!t->ssl || t->ctx)
		return 0; /* no TLS, or a line already checked (several addresses) */
	if (!t->ncerts) {
		ha_alert("config : Proxy '%s': no SSL certificate specified for bind '%s' at "
		         "[%s:%d] (use 'crt').\n",
		         px->id, addr, b->file, b->line);
		return 1;
	}
	if (px->mode == PX_MODE_HTTP && t->alpn && alpn_beyond_h1(t)) {
		ha_alert(
		    "config : Proxy '%s': 'alpn %s' for bind '%s' at [%s:%d]: only http/1.1 and "
		    "http/1.0 are supported on an HTTP frontend (HTTP/2 is not supported yet).\n",
		    px->id, t->alpn_text, addr, b->file, b->line);
		return 1;
	}
	apply_defaults(t);
	if (t->min_ver && t->max_ver && t->min_ver > t->max_ver) {
		ha_alert("config : Proxy '%s': all SSL/TLS versions are disabled for bind '%s' at "
		         "[%s:%d].\n",
		         px->id, addr, b->file, b->line);
		return 1;
	}
	char *err = NULL;
	if ((t->verify && tls_verify_check(t->verify, &err) < 0) ||
	    tls_crtlist_check(t, px->mode == PX_MODE_HTTP, &err) < 0) {
		ha_alert("config : Proxy '%s': %s for bind '%s' at [%s:%d].\n", px->id, err, addr,
		         b->file, b->line);
		free(err);
		return 1;
	}
	char *warn = NULL;
	t->ctx = tls_ctx_build(t, &err, &warn);
	for (char *w = warn, *nl; w && *w; w = nl ? nl + 1 : w + strlen(w)) {
		nl = strchr(w, '\n');
		ha_warning("config : Proxy '%s': %.*s for bind '%s' at [%s:%d].\n", px->id,
		           (int)(nl ? nl - w : (long)strlen(w)), w, addr, b->file, b->line);
	}
	free(warn);
	if (!t->ctx) {
		ha_alert("config : Proxy '%s': %s for bind '%s' at [%s:%d].\n", px->id, err, addr,
		         b->file, b->line);
		free(err);
		return 1;
	}
	t->file = b->file;
	t->line = b->line;
	t->http = px->mode == PX_MODE_HTTP;
	tls_store_add_bind(t);
	return 0;
}

static int check_proxy(struct config *cfg, struct proxy *px)
{
	int errs = 0;
	for (struct bind_conf *b = px->binds; b; b = b->next)
		if (b->tls)
			errs += check_bind(px, b);
	return errs;
}

static struct cfg_checker ssl_checker = {.proxy = check_proxy};
CFG_REGISTER_CHECKER(ssl_checker)
