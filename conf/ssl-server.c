/* TLS keywords of server lines (ssl, verify, ca-file, crl-file, sni,
 * verifyhost, crt, alpn, ciphers, versions, session reuse), the global
 * ssl-server-verify and ssl-default-server-* settings, and the checker that
 * builds each TLS server's client context.
 */
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/sample.h"
#include "conf/kw.h"
#include "conf/model-t.h"
#include "conf/proxy.h"
#include "conf/ssl-bind.h"
#include "conf/ssl-server.h"
#include "worker/tls-srv.h"
#include "worker/tls.h"

struct tls_srv_global tls_srv_global;

static struct tls_srv_cfg *all_cfgs; /* every copy made, kept reachable */

static struct tls_srv_cfg *cfg_copy(const struct tls_srv_cfg *from, const struct server *owner)
{
	struct tls_srv_cfg *t = xcalloc(1, sizeof(*t));
	if (from)
		*t = *from; /* strings and expressions are shared, never freed */
	t->owner = owner;
	t->ctx = NULL;
	memset(t->sess, 0, sizeof(t->sess));
	t->all_next = all_cfgs;
	all_cfgs = t;
	return t;
}

/* The TLS settings of the server line being parsed, copied from the
 * inherited ones on first change. A default-server line (no file) copies on
 * every change: servers declared before it keep what they inherited.
 */
static struct tls_srv_cfg *srv_tls(struct cfg_ctx *ctx)
{
	struct server *s = ctx->target;
	if (!s->cfg.tls || s->cfg.tls->owner != s || !s->file)
		s->cfg.tls = cfg_copy(s->cfg.tls, s);
	return s->cfg.tls;
}

static char *based_path(const char *base, const char *v)
{
	return v[0] != '/' && base ? xasprintf("%s/%s", base, v) : xstrdup(v);
}

static int sopt_ssl(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	srv_tls(ctx)->ssl = args[0][0] == 'n' ? -1 : 1;
	return CFG_OK;
}

static int sopt_verify(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *v = args[1];
	if (strcmp(v, "none") && strcmp(v, "required")) {
		memprintf(err,
		          "'verify' : unknown verify method '%s', only 'none' and 'required' are "
		          "supported.",
		          v);
		return CFG_ALERT;
	}
	srv_tls(ctx)->verify = v[0] == 'r' ? 1 : -1;
	return CFG_OK;
}

/* ca-file / crl-file <file>: relative to ca-base; must be readable now. */
static int sopt_cafile(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	char *path = based_path(tls_global.ca_base, args[1]);
	if (access(path, R_OK) < 0) {
		memprintf(err, "Couldn't open the %s '%s' (%s).", args[0], path, strerror(errno));
		free(path);
		return CFG_ALERT;
	}
	struct tls_srv_cfg *t = srv_tls(ctx);
	*(args[0][1] == 'a' ? &t->ca_file : &t->crl_file) = path;
	return CFG_OK;
}

static int sopt_sni(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const struct server *s = ctx->target;
	struct smp_where w = {SMP_CK_BE_REQ, ctx->file, ctx->line, s->px};
	char *e = NULL;
	int idx = 0;
	struct sample_expr *x = sample_parse_expr(args + 1, &idx, &w, &e);
	if (!x) {
		memprintf(err, "error detected while parsing sni expression : %s", e ? e : "");
		free(e);
		return CFG_ALERT;
	}
	srv_tls(ctx)->sni = x;
	return CFG_OK;
}

static int sopt_verifyhost(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	srv_tls(ctx)->verifyhost = args[0][0] == 'n' ? NULL : xstrdup(args[1]);
	return CFG_OK;
}

/* crt <file>: the client certificate (and its key), relative to crt-base. */
static int sopt_crt(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	char *path = based_path(tls_global.crt_base, args[1]);
	struct tls_cert **certs = NULL;
	int n = 0;
	int r = tls_cert_load(path, &certs, &n, err);
	free(path);
	if (r < 0)
		return CFG_ALERT;
	for (int i = 1; i < n; i++) /* a directory: the first file only */
		tls_cert_free(certs[i]);
	srv_tls(ctx)->crt = n ? certs[0] : NULL;
	free(certs);
	return CFG_OK;
}

/* alpn / check-alpn <protocols> */
static int sopt_alpn(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	unsigned char *w = NULL;
	unsigned wl = 0;
	if (alpn_wire(args[1], &w, &wl, err) < 0)
		return CFG_ALERT;
	struct tls_srv_cfg *t = srv_tls(ctx);
	*(args[0][0] == 'c' ? &t->check_alpn : &t->alpn) = w;
	*(args[0][0] == 'c' ? &t->check_alpn_len : &t->alpn_len) = wl;
	return CFG_OK;
}

/* check-ssl, no-check-ssl, check-sni <name> */
static int sopt_check_tls(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_srv_cfg *t = srv_tls(ctx);
	if (!strcmp(args[0], "check-sni"))
		t->check_sni = xstrdup(args[1]);
	else
		t->check_ssl = args[0][0] == 'n' ? -1 : 1;
	return CFG_OK;
}

static int sopt_cipher(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_srv_cfg *t = srv_tls(ctx);
	*(!strcmp(args[0], "ciphers") ? &t->ciphers : &t->ciphersuites) = xstrdup(args[1]);
	return CFG_OK;
}

/* A version bound: TLS1_x_VERSION, or 0 with *<err> set. */
static int version_of(const char *v, char **err)
{
	int ver = tls_version_parse(v);
	if (!ver)
		memprintf(err, "'%s' : unknown ssl/tls version", v);
	else if (ver == SSL3_VERSION)
		memprintf(err, "'%s' : SSLv3 is not supported by this build.", v);
	return ver == SSL3_VERSION ? 0 : ver;
}

static int sopt_version(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	int ver = version_of(args[1], err);
	if (!ver)
		return CFG_ALERT;
	struct tls_srv_cfg *t = srv_tls(ctx);
	*(args[0][5] == 'i' ? &t->min_ver : &t->max_ver) = ver;
	return CFG_OK;
}

static int sopt_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_srv_cfg *t = srv_tls(ctx);
	const char *n = args[0];
	if (!strcmp(n, "no-ssl-reuse"))
		t->no_reuse = 1;
	else if (!strcmp(n, "ssl-reuse"))
		t->no_reuse = -1;
	else if (!strcmp(n, "no-tls-tickets"))
		t->no_tickets = 1;
	else if (!strcmp(n, "tls-tickets"))
		t->no_tickets = -1;
	else
		t->no_vers |= tls_no_version_bit(n);
	return CFG_OK;
}

#define SO(n, fn, nv)                                                                              \
	{                                                                                          \
		.name = n, .sections = SECT_SRVOPT, .parse = fn, .nvals = nv                       \
	}
static const struct cfg_kw ssl_server_opts[] = {
    SO("ssl", sopt_ssl, 0),
    SO("no-ssl", sopt_ssl, 0),
    SO("verify", sopt_verify, 1),
    SO("ca-file", sopt_cafile, 1),
    SO("crl-file", sopt_cafile, 1),
    SO("sni", sopt_sni, 1),
    SO("verifyhost", sopt_verifyhost, 1),
    SO("no-verifyhost", sopt_verifyhost, 0),
    SO("crt", sopt_crt, 1),
    SO("alpn", sopt_alpn, 1),
    SO("check-alpn", sopt_alpn, 1),
    SO("check-ssl", sopt_check_tls, 0),
    SO("no-check-ssl", sopt_check_tls, 0),
    SO("check-sni", sopt_check_tls, 1),
    SO("ciphers", sopt_cipher, 1),
    SO("ciphersuites", sopt_cipher, 1),
    SO("ssl-min-ver", sopt_version, 1),
    SO("ssl-max-ver", sopt_version, 1),
    SO("no-ssl-reuse", sopt_flag, 0),
    SO("ssl-reuse", sopt_flag, 0),
    SO("no-tls-tickets", sopt_flag, 0),
    SO("tls-tickets", sopt_flag, 0),
    SO("no-sslv3", sopt_flag, 0),
    SO("no-tlsv10", sopt_flag, 0),
    SO("no-tlsv11", sopt_flag, 0),
    SO("no-tlsv12", sopt_flag, 0),
    SO("no-tlsv13", sopt_flag, 0),
};
CFG_REGISTER_KEYWORDS(ssl_server_opts)

static int parse_server_verify(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2 || (strcmp(args[1], "none") && strcmp(args[1], "required"))) {
		memprintf(err, "'%s' expects 'none' or 'required' as argument.", args[0]);
		return CFG_ALERT;
	}
	tls_srv_global.verify_none = args[1][0] == 'n';
	return CFG_OK;
}

static int parse_default_str(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "'%s' expects exactly one argument.", args[0]);
		return CFG_ALERT;
	}
	char **slot = !strcmp(args[0], "ssl-default-server-ciphers") ? &tls_srv_global.ciphers
	                                                             : &tls_srv_global.ciphersuites;
	free(*slot);
	*slot = xstrdup(args[1]);
	return CFG_OK;
}

/* ssl-default-server-options: version bounds, tickets, session reuse. */
static int parse_default_opts(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_srv_global *g = &tls_srv_global;
	for (int i = 1; i < nargs; i++) {
		const char *o = args[i];
		if (!strcmp(o, "ssl-min-ver") || !strcmp(o, "ssl-max-ver")) {
			if (i + 1 >= nargs) {
				memprintf(err, "'%s' : missing value of '%s'.", args[0], o);
				return CFG_ALERT;
			}
			int ver = version_of(args[++i], err);
			if (!ver)
				return CFG_ALERT;
			*(o[5] == 'i' ? &g->min_ver : &g->max_ver) = ver;
		} else if (!strcmp(o, "no-tls-tickets")) {
			g->no_tickets = 1;
		} else if (!strcmp(o, "no-ssl-reuse")) {
			g->no_reuse = 1;
		} else if (tls_no_version_bit(o)) {
			g->no_vers |= tls_no_version_bit(o);
		} else {
			memprintf(err, "'%s' : option '%s' is not supported yet.", args[0], o);
			return CFG_ALERT;
		}
	}
	return CFG_OK;
}

#define GK(n, fn)                                                                                  \
	{                                                                                          \
		.name = n, .sections = SECT_GLOBAL, .parse = fn                                    \
	}
static const struct cfg_kw ssl_server_global_kws[] = {
    GK("ssl-server-verify", parse_server_verify),
    GK("ssl-default-server-ciphers", parse_default_str),
    GK("ssl-default-server-ciphersuites", parse_default_str),
    GK("ssl-default-server-options", parse_default_opts),
};
CFG_REGISTER_KEYWORDS(ssl_server_global_kws)

/* Fills what server settings <t> left unset from the global defaults. */
static void apply_defaults(struct tls_srv_cfg *t)
{
	const struct tls_srv_global *g = &tls_srv_global;
	if (!t->verify)
		t->verify = g->verify_none ? -1 : 1;
	if (!t->ciphers && g->ciphers)
		t->ciphers = g->ciphers;
	if (!t->ciphersuites && g->ciphersuites)
		t->ciphersuites = g->ciphersuites;
	if (!t->min_ver)
		t->min_ver = g->min_ver;
	if (!t->max_ver)
		t->max_ver = g->max_ver;
	t->no_vers |= g->no_vers;
	t->no_tickets = t->no_tickets ? t->no_tickets > 0 : g->no_tickets;
	t->no_reuse = t->no_reuse ? t->no_reuse > 0 : g->no_reuse;
}

/* Checks TLS server <s> of <px> and builds its context; errors reported. */
static int check_server(struct proxy *px, struct server *s)
{
	if (s->cfg.tls->owner != s)
		s->cfg.tls = cfg_copy(s->cfg.tls, s); /* slots of its own */
	struct tls_srv_cfg *t = s->cfg.tls;
	apply_defaults(t);
	if (t->verify > 0 && !t->ca_file) {
		ha_alert(
		    "config : [%s:%d] : 'server %s/%s' : verify is enabled by default but no CA "
		    "file specified. If you're running on a LAN where you're certain to trust "
		    "the server's certificate, please set an explicit 'verify none' statement "
		    "on the 'server' line, or use 'ssl-server-verify none' in the global "
		    "section to disable server-side verifications by default.\n",
		    s->file, s->line, px->id, s->id);
		return 1;
	}
	if (t->min_ver && t->max_ver && t->min_ver > t->max_ver) {
		ha_alert("config : [%s:%d] : 'server %s/%s' : %s '%s': all SSL/TLS versions are "
		         "disabled for server '%s'.\n",
		         s->file, s->line, px->id, s->id, proxy_type_str(px), px->id, s->id);
		return 1;
	}
	char *err = NULL;
	if (tls_srv_ctx_build(t, &err) < 0) {
		ha_alert("config : [%s:%d] : 'server %s/%s' : %s.\n", s->file, s->line, px->id,
		         s->id, err);
		free(err);
		return 1;
	}
	return 0;
}

/* Whether the health checks of <s> run over TLS: "check-ssl", or "ssl"
 * without a check port or address of their own (HAProxy's rule).
 */
static int checks_over_tls(const struct server *s)
{
	const struct tls_srv_cfg *t = s->cfg.tls;
	if (!t || !s->cfg.check || t->check_ssl < 0)
		return 0;
	return t->check_ssl > 0 || (t->ssl > 0 && !s->cfg.check_port && !s->cfg.check_addr_set);
}

/* Whether the tcp-check run of <px>, if any, opens its first connection
 * implicitly (no connect rule first): that one would take the server's TLS.
 * Explicit connect rules stay in clear text without their "ssl" option.
 */
static int tcpchk_implicit_conn(const struct proxy *px)
{
	if (px->tcpchk.kind == TCK_NONE)
		return 0;
	const struct tcpchk_rule *r =
	    px->tcpchk.kind == TCK_PROTO ? px->tcpchk.proto_rules : px->tcpchk.rules;
	while (r && (r->act == TCA_COMMENT || r->act == TCA_VAR))
		r = r->next;
	return !r || r->act != TCA_CONNECT;
}

static int check_proxy(struct config *cfg, struct proxy *px)
{
	int errs = 0;
	for (struct server *s = px->servers; s; s = s->next) {
		if (!s->cfg.tls)
			continue;
		int check_tls = checks_over_tls(s);
		if (check_tls && px->tcpchk.kind != TCK_NONE) {
			if (tcpchk_implicit_conn(px)) {
				ha_alert("config : [%s:%d] : 'server %s/%s' : health checks over "
				         "TLS with tcp-check rules or a protocol check are not "
				         "supported yet.\n",
				         s->file, s->line, px->id, s->id);
				errs++;
				continue;
			}
			check_tls = 0; /* every connection is a connect rule's */
		}
		if (s->cfg.tls->ssl <= 0 && !check_tls) {
			s->cfg.tls = NULL; /* TLS options without "ssl": plain connections */
			continue;
		}
		int e = check_server(px, s);
		errs += e;
		if (!e && check_tls)
			s->cfg.check_tls = s->cfg.tls;
		if (s->cfg.tls->ssl <= 0)
			s->cfg.tls = NULL; /* check-ssl only: traffic stays in clear */
	}
	return errs;
}

static struct cfg_checker ssl_server_checker = {.proxy = check_proxy};
CFG_REGISTER_CHECKER(ssl_server_checker)
