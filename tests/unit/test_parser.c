/* Unit tests of the configuration parser and keyword registry: in-memory
 * configurations go through cfg_parse_buffer() and cfg_validate(), and the
 * resulting model (conf/model-t.h) is inspected. Messages of the parser go
 * to stderr, as they would in check mode.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "conf/bind.h"
#include "conf/kw.h"
#include "conf/lb-registry.h"
#include "conf/parser.h"
#include "conf/proxy.h"
#include "tests/unit/test.h"

/* The model has no free function: every configuration stays reachable from
 * this array so that leak checkers do not report it.
 */
static struct config *kept[256];
static int nkept;

struct parsed {
	struct config *cfg;
	int flags;    /* CFG_* returned by cfg_parse_buffer() */
	int valid;    /* cfg_validate() result, or 1 when not run */
	int alerts;   /* alerts emitted while parsing and validating */
	int warnings; /* warnings emitted while parsing and validating */
};

/* Parses <text> as file "test.cfg"; validates it too when <validate>. */
static struct parsed parse2(const char *text, int validate)
{
	struct parsed r = {0};
	unsigned a0 = msg_state.alerts, w0 = msg_state.warnings;

	r.cfg = calloc(1, sizeof(*r.cfg));
	if (nkept < (int)(sizeof(kept) / sizeof(kept[0])))
		kept[nkept++] = r.cfg;
	cfg_init(r.cfg);
	r.flags = cfg_parse_buffer(r.cfg, "test.cfg", text, strlen(text));
	r.valid = validate ? cfg_validate(r.cfg) : 1;
	r.alerts = (int)(msg_state.alerts - a0);
	r.warnings = (int)(msg_state.warnings - w0);
	return r;
}

static struct parsed parse(const char *text)
{
	return parse2(text, 1);
}

/* Finds a proxy (frontend, backend or listen) by name and capability. */
static struct proxy *px_get(struct config *cfg, const char *name, unsigned cap)
{
	for (struct proxy *px = cfg->proxies; px; px = px->next)
		if (strcmp(px->id, name) == 0 && (px->cap & cap))
			return px;
	return NULL;
}

static struct proxy *px_any(struct config *cfg, const char *name)
{
	return px_get(cfg, name, PX_CAP_LISTEN);
}

static struct server *srv_get(struct proxy *px, const char *name)
{
	for (struct server *s = px ? px->servers : NULL; s; s = s->next)
		if (strcmp(s->id, name) == 0)
			return s;
	return NULL;
}

static int count_binds(const struct proxy *px)
{
	int n = 0;
	for (const struct bind_conf *b = px ? px->binds : NULL; b; b = b->next)
		n++;
	return n;
}

static int count_proxies(const struct config *cfg)
{
	int n = 0;
	for (const struct proxy *px = cfg->proxies; px; px = px->next)
		n++;
	return n;
}

static int bind_port(const struct bind_conf *b)
{
	if (b->addr.ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&b->addr.ss)->sin_port);
	if (b->addr.ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&b->addr.ss)->sin6_port);
	return -1;
}

/*************************************************************** defaults */

TEST(defaults_inheritance_copies_settings)
{
	struct parsed r = parse("defaults\n"
				"    mode tcp\n"
				"    retries 7\n"
				"    maxconn 300\n"
				"    fullconn 400\n"
				"    timeout client 11s\n"
				"    timeout server 12s\n"
				"    timeout connect 13s\n"
				"    timeout queue 14s\n"
				"    timeout tunnel 1h\n"
				"    option redispatch 3\n"
				"    option tcpka\n"
				"frontend fe\n"
				"    bind :8000\n"
				"    default_backend be\n"
				"backend be\n"
				"    server s 127.0.0.1:80\n");
	struct proxy *fe = px_get(r.cfg, "fe", PX_CAP_FE);
	struct proxy *be = px_get(r.cfg, "be", PX_CAP_BE);

	CHECK_INT(r.alerts, 0);
	CHECK_INT(r.valid, 0);
	CHECK(fe && be);
	if (!fe || !be)
		return;
	CHECK(r.cfg->defaults != NULL);
	CHECK(fe->defaults == r.cfg->defaults);
	CHECK(be->defaults == r.cfg->defaults);
	CHECK_INT(fe->mode, PX_MODE_TCP);
	CHECK_INT(be->retries, 7);
	CHECK_INT(fe->maxconn, 300);
	CHECK_INT(be->fullconn, 400);
	CHECK_INT(fe->to.client, 11000);
	CHECK_INT(be->to.server, 12000);
	CHECK_INT(be->to.connect, 13000);
	CHECK_INT(be->to.queue, 14000);
	CHECK_INT(be->to.tunnel, 3600000);
	CHECK(be->options & PXO_REDISPATCH);
	CHECK_INT(be->redispatch_interval, 3);
	CHECK_INT(be->options & PXO_TCPKA, PXO_TCPKA);
	CHECK_INT(be->options & (PXO_CLITCPKA | PXO_SRVTCPKA), PXO_CLITCPKA | PXO_SRVTCPKA);
	/* inherited, not set in the section itself */
	CHECK_INT(be->options_set & PXO_REDISPATCH, 0);
	/* the frontend got the backend-side settings too: they are simply unused */
	CHECK_INT(fe->to.server, 12000);
	CHECK_INT(fe->default_backend == be, 1);
}

TEST(builtin_settings_without_defaults)
{
	struct parsed r = parse2("backend be\n    server s 127.0.0.1:80\n", 0);
	struct proxy *be = px_any(r.cfg, "be");

	CHECK(be != NULL);
	if (!be)
		return;
	CHECK(be->defaults == NULL);
	CHECK_INT(be->mode, PX_MODE_TCP);
	CHECK_INT(be->retries, 3);
	CHECK_INT(be->to.client, 0);
	CHECK_INT(be->to.connect, 0);
	CHECK_INT(be->options, 0);
	CHECK_INT(be->defsrv.weight, 1);
	CHECK_INT(srv_get(be, "s")->cfg.weight, 1);
}

TEST(defaults_from_picks_named_section)
{
	struct parsed r = parse("defaults base\n"
				"    retries 5\n"
				"    timeout client 1s\n"
				"    timeout connect 1s\n"
				"    timeout server 1s\n"
				"defaults other\n"
				"    retries 6\n"
				"    timeout client 2s\n"
				"    timeout connect 2s\n"
				"    timeout server 2s\n"
				"backend implicit\n"
				"    server s 127.0.0.1:80\n"
				"backend explicit from base\n"
				"    server s 127.0.0.1:80\n"
				"defaults from base\n"
				"    timeout server 9s\n"
				"backend anon\n"
				"    server s 127.0.0.1:80\n"
				"listen l from other\n"
				"    bind :80\n");
	struct proxy *implicit = px_any(r.cfg, "implicit");
	struct proxy *explicit = px_any(r.cfg, "explicit");
	struct proxy *anon = px_any(r.cfg, "anon");
	struct proxy *l = px_any(r.cfg, "l");

	CHECK_INT(r.alerts, 0);
	CHECK(implicit && explicit && anon && l);
	if (!implicit || !explicit || !anon || !l)
		return;
	/* without "from": the last defaults section before the proxy */
	CHECK_INT(implicit->retries, 6);
	CHECK_STR(implicit->defaults->id, "other");
	/* "from base" even though "other" came last */
	CHECK_INT(explicit->retries, 5);
	CHECK_INT(explicit->to.client, 1000);
	CHECK_STR(explicit->defaults->id, "base");
	/* anonymous defaults inheriting from "base", then overriding one value */
	CHECK_INT(anon->retries, 5);
	CHECK_INT(anon->to.client, 1000);
	CHECK_INT(anon->to.server, 9000);
	CHECK_STR(anon->defaults->id, "");
	/* "from" on a listen, after an anonymous defaults */
	CHECK_INT(l->retries, 6);
	CHECK_INT(l->to.server, 2000);
	/* the four defaults sections, in order */
	int n = 0;
	for (struct proxy *d = r.cfg->defaults; d; d = d->next) {
		CHECK(d->cap & PX_CAP_DEF);
		n++;
	}
	CHECK_INT(n, 3);
}

TEST(defaults_from_unknown_is_an_error)
{
	struct parsed r = parse2("backend be from nowhere\n    server s 127.0.0.1:80\n", 0);

	CHECK(r.flags & CFG_ALERT);
	CHECK(px_any(r.cfg, "be") == NULL);
}

TEST(later_defaults_do_not_affect_earlier_proxies)
{
	struct parsed r = parse2("defaults\n"
				 "    retries 4\n"
				 "    timeout client 4s\n"
				 "listen early\n"
				 "    bind :80\n"
				 "defaults\n"
				 "    retries 9\n"
				 "    timeout client 9s\n"
				 "    option redispatch\n"
				 "listen late\n"
				 "    bind :81\n",
				 0);
	struct proxy *early = px_any(r.cfg, "early");
	struct proxy *late = px_any(r.cfg, "late");

	CHECK(early && late);
	if (!early || !late)
		return;
	CHECK_INT(early->retries, 4);
	CHECK_INT(early->to.client, 4000);
	CHECK_INT(early->options & PXO_REDISPATCH, 0);
	CHECK_INT(late->retries, 9);
	CHECK_INT(late->to.client, 9000);
	CHECK(late->options & PXO_REDISPATCH);
	CHECK(early->defaults != late->defaults);
}

TEST(no_option_clears_inherited_option)
{
	struct parsed r = parse2("defaults\n"
				 "    option redispatch\n"
				 "    option tcpka\n"
				 "    option allbackups\n"
				 "backend keep\n"
				 "backend drop\n"
				 "    no option redispatch\n"
				 "    no option srvtcpka\n"
				 "    no option allbackups\n"
				 "backend again\n"
				 "    no option redispatch\n"
				 "    option redispatch -1\n",
				 0);
	struct proxy *keep = px_any(r.cfg, "keep");
	struct proxy *drop = px_any(r.cfg, "drop");
	struct proxy *again = px_any(r.cfg, "again");

	CHECK_INT(r.alerts, 0);
	CHECK(keep && drop && again);
	if (!keep || !drop || !again)
		return;
	CHECK(keep->options & PXO_REDISPATCH);
	/* like HAProxy, the default interval is the last retry */
	CHECK_INT(keep->redispatch_interval, -1);
	CHECK_INT(keep->options & PXO_ALLBACKUPS, PXO_ALLBACKUPS);
	CHECK_INT(drop->options & PXO_REDISPATCH, 0);
	CHECK_INT(drop->redispatch_interval, 0);
	CHECK(drop->options_set & PXO_REDISPATCH);
	CHECK_INT(drop->options & PXO_SRVTCPKA, 0);
	CHECK_INT(drop->options & PXO_CLITCPKA, PXO_CLITCPKA);
	CHECK_INT(drop->options & PXO_ALLBACKUPS, 0);
	CHECK(again->options & PXO_REDISPATCH);
	CHECK_INT(again->redispatch_interval, -1);
	/* the defaults section itself is untouched */
	CHECK(r.cfg->defaults->options & PXO_REDISPATCH);
}

/*************************************************************** bind */

TEST(bind_port_range_expands_to_one_bind_per_port)
{
	struct parsed r = parse2("frontend fe\n"
				 "    bind 127.0.0.1:8000-8003 name web maxconn 50\n",
				 0);
	struct proxy *fe = px_any(r.cfg, "fe");
	int port = 8000;

	CHECK_INT(r.alerts, 0);
	CHECK_INT(count_binds(fe), 4);
	for (struct bind_conf *b = fe ? fe->binds : NULL; b; b = b->next, port++) {
		CHECK_INT(b->addr.kind, ADDR_INET4);
		CHECK_INT(b->addr.port_lo, port);
		CHECK_INT(b->addr.port_hi, port);
		CHECK_INT(bind_port(b), port);
		CHECK(b->px == fe);
		CHECK_STR(b->file, "test.cfg");
		CHECK_INT(b->line, 2);
		/* options apply to every listener of the line */
		CHECK_STR(b->name, "web");
		CHECK_INT(b->maxconn, 50);
		CHECK_INT(b->ux_mode, -1);
	}
}

TEST(bind_comma_separated_addresses)
{
	struct parsed r = parse2("listen l\n"
				 "    bind 127.0.0.1:80,[::1]:81,:90-91 backlog 10\n"
				 "    bind :100\n",
				 0);
	struct proxy *l = px_any(r.cfg, "l");
	struct bind_conf *b = l ? l->binds : NULL;
	static const int ports[] = {80, 81, 90, 91, 100};

	CHECK_INT(r.alerts, 0);
	CHECK_INT(count_binds(l), 5);
	for (int i = 0; b && i < 5; i++, b = b->next) {
		CHECK_INT(b->addr.port_lo, ports[i]);
		CHECK_INT(bind_port(b), ports[i]);
		CHECK_INT(b->line, i < 4 ? 2 : 3);
		CHECK_INT(b->backlog, i < 4 ? 10 : 0);
	}
	b = l ? l->binds : NULL;
	if (b && b->next) {
		CHECK_INT(b->addr.kind, ADDR_INET4);
		CHECK_INT(b->next->addr.kind, ADDR_INET6);
	}
}

TEST(bind_unix_socket_options)
{
	struct parsed r = parse2("frontend fe\n"
				 "    bind /nonexistent/x.sock mode 0640 uid 12 gid 34\n"
				 "    bind abns@name\n",
				 0);
	struct proxy *fe = px_any(r.cfg, "fe");
	struct bind_conf *b = fe ? fe->binds : NULL;

	CHECK_INT(r.alerts, 0);
	CHECK_INT(count_binds(fe), 2);
	if (!b || !b->next)
		return;
	CHECK_INT(b->addr.kind, ADDR_UNIX);
	CHECK_INT(b->ux_mode, 0640);
	CHECK_INT(b->ux_uid_set, 1);
	CHECK_INT(b->ux_uid, 12);
	CHECK_INT(b->ux_gid_set, 1);
	CHECK_INT(b->ux_gid, 34);
	CHECK_INT(b->next->addr.kind, ADDR_ABNS);
	CHECK_INT(b->next->ux_mode, -1);
}

TEST(bind_errors_leave_no_listener)
{
	static const char *const bad[] = {
		"frontend fe\n    bind 127.0.0.1\n",         /* no port */
		"frontend fe\n    bind :70000\n",            /* port too large */
		"frontend fe\n    bind :90-80\n",            /* reversed range */
		"frontend fe\n    bind :80 mode 600\n",      /* unix option on inet */
		"frontend fe\n    bind :80 no-such-option\n", /* unknown option */
		"frontend fe\n    bind :80 maxconn\n",       /* missing value */
		"frontend fe\n    bind bogus@:80\n",         /* unknown family */
		"frontend fe\n    bind :80,:70000\n",        /* one bad address in a list */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parsed r = parse2(bad[i], 0);
		int before = t_fails;

		CHECK(r.flags & CFG_ALERT);
		CHECK_INT(count_binds(px_any(r.cfg, "fe")), 0);
		if (t_fails != before)
			fprintf(stderr, "  ^ with: %s", bad[i]);
	}
}

/*************************************************************** servers */

TEST(server_defaults_from_default_server)
{
	struct parsed r = parse2("defaults\n"
				 "    default-server weight 20 maxconn 100\n"
				 "backend be\n"
				 "    default-server maxqueue 7 slowstart 10s backup\n"
				 "    server a 127.0.0.1:80\n"
				 "    server b 127.0.0.1:81 weight 5 no-backup send-proxy-v2\n"
				 "    default-server weight 30\n"
				 "    server c 127.0.0.1:82 source 127.0.0.2\n"
				 "backend other\n"
				 "    server d 127.0.0.1:83\n",
				 0);
	struct proxy *be = px_any(r.cfg, "be");
	struct server *a = srv_get(be, "a"), *b = srv_get(be, "b"), *c = srv_get(be, "c");
	struct server *d = srv_get(px_any(r.cfg, "other"), "d");

	CHECK_INT(r.alerts, 0);
	CHECK(a && b && c && d);
	if (!a || !b || !c || !d)
		return;
	CHECK_INT(be->nb_servers, 3);
	CHECK_INT(a->cfg.weight, 20);
	CHECK_INT(a->cfg.maxconn, 100);
	CHECK_INT(a->cfg.maxqueue, 7);
	CHECK_INT(a->cfg.slowstart, 10000);
	CHECK_INT(a->cfg.backup, 1);
	CHECK_INT(a->cfg.send_proxy, 0);
	CHECK_INT(b->cfg.weight, 5);
	CHECK_INT(b->cfg.maxconn, 100);
	CHECK_INT(b->cfg.backup, 0);
	CHECK_INT(b->cfg.send_proxy, 2);
	/* a later default-server only affects later servers */
	CHECK_INT(c->cfg.weight, 30);
	CHECK_INT(c->cfg.maxqueue, 7);
	CHECK_INT(c->cfg.source_set, 1);
	CHECK_INT(c->cfg.source.kind, ADDR_INET4);
	/* the defaults' default-server, not the other backend's */
	CHECK_INT(d->cfg.weight, 20);
	CHECK_INT(d->cfg.maxqueue, 0);
	CHECK_INT(d->cfg.backup, 0);
	CHECK(a->px == be);
	CHECK_INT(a->line, 5);
	CHECK_STR(a->file, "test.cfg");
	CHECK_INT(a->addr.port_lo, 80);
}

TEST(server_addresses)
{
	struct parsed r = parse2("backend be\n"
				 "    server v4 127.0.0.1:80\n"
				 "    server v6 [::1]:81\n"
				 "    server noport 127.0.0.1\n"
				 "    server offset 127.0.0.1:+10\n"
				 "    server ux /nonexistent/u.sock\n"
				 "    server name localhost:82\n",
				 0);
	struct proxy *be = px_any(r.cfg, "be");

	CHECK_INT(r.alerts, 0);
	CHECK_INT(be ? be->nb_servers : 0, 6);
	if (!be || be->nb_servers != 6)
		return;
	CHECK_INT(srv_get(be, "v4")->addr.kind, ADDR_INET4);
	CHECK_INT(srv_get(be, "v6")->addr.kind, ADDR_INET6);
	CHECK_INT(srv_get(be, "v6")->addr.port_lo, 81);
	CHECK_INT(srv_get(be, "noport")->addr.flags & ADDR_F_PORT_SET, 0);
	CHECK(srv_get(be, "offset")->addr.flags & ADDR_F_PORT_OFFSET);
	CHECK_INT(srv_get(be, "offset")->addr.port_offset, 10);
	CHECK_INT(srv_get(be, "ux")->addr.kind, ADDR_UNIX);
	CHECK(srv_get(be, "name")->addr.kind == ADDR_INET4 ||
	      srv_get(be, "name")->addr.kind == ADDR_INET6);
}

TEST(server_errors_add_no_server)
{
	struct parsed r = parse2("backend be\n"
				 "    server ok 127.0.0.1:80\n"
				 "    server ok 127.0.0.1:81\n"
				 "    server bad 127.0.0.1:82 weight 999\n"
				 "    server worse 127.0.0.1:83 no-such-option\n"
				 "    server fd fd@3\n",
				 0);
	struct proxy *be = px_any(r.cfg, "be");

	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(r.alerts, 4);
	CHECK_INT(be ? be->nb_servers : -1, 1);
	CHECK_INT(srv_get(be, "ok")->addr.port_lo, 80);
}

/*************************************************************** ids */

TEST(automatic_ids_skip_explicit_ones)
{
	struct parsed r = parse2("frontend f1\n"
				 "    bind :80\n"
				 "backend b1\n"
				 "    id 2\n"
				 "    server s1 127.0.0.1:80\n"
				 "    server s2 127.0.0.1:81 id 1\n"
				 "    server s3 127.0.0.1:82\n"
				 "    server s4 127.0.0.1:83 id 10\n"
				 "    server s5 127.0.0.1:84\n"
				 "listen l1\n"
				 "    bind :81\n"
				 "    server s1 127.0.0.1:85\n"
				 "backend b2\n"
				 "    id 4\n"
				 "backend b3\n",
				 0);
	struct proxy *b1 = px_any(r.cfg, "b1");

	CHECK_INT(r.alerts, 0);
	CHECK_INT(cfg_validate(r.cfg), 0);
	CHECK_INT(px_any(r.cfg, "f1")->uuid, 1);
	CHECK_INT(b1->uuid, 2);
	CHECK_INT(px_any(r.cfg, "l1")->uuid, 3);
	CHECK_INT(px_any(r.cfg, "b2")->uuid, 4);
	CHECK_INT(px_any(r.cfg, "b3")->uuid, 5);
	/* servers are numbered per backend */
	CHECK_INT(srv_get(b1, "s1")->puid, 2);
	CHECK_INT(srv_get(b1, "s2")->puid, 1);
	CHECK_INT(srv_get(b1, "s3")->puid, 3);
	CHECK_INT(srv_get(b1, "s4")->puid, 10);
	CHECK_INT(srv_get(b1, "s5")->puid, 4);
	CHECK_INT(srv_get(px_any(r.cfg, "l1"), "s1")->puid, 1);
	CHECK_INT(srv_get(b1, "s1")->puid_set, 0);
	CHECK_INT(srv_get(b1, "s2")->puid_set, 1);
}

/* With a "stats" line, HAProxy's hidden CLI frontend takes the first free
 * proxy id (measured: fe1 gets 2, or 1 when given, the next backend 3).
 */
TEST(cli_frontend_takes_the_first_free_id)
{
	struct parsed r = parse("global\n    stats timeout 5s\n"
	                        "frontend f1\n    bind :80\n    default_backend b1\n"
	                        "backend b1\n");
	CHECK_INT(r.alerts, 0);
	CHECK_INT(r.cfg->global.stats_timeout, 5000);
	CHECK_INT(px_any(r.cfg, "f1")->uuid, 2);
	CHECK_INT(px_any(r.cfg, "b1")->uuid, 3);

	r = parse("global\n    stats maxconn 4\n"
	          "frontend f1\n    id 1\n    bind :80\n    default_backend b1\n"
	          "backend b1\n");
	CHECK_INT(r.alerts, 0);
	CHECK_INT(r.cfg->global.stats_maxconn, 4);
	CHECK_INT(px_any(r.cfg, "f1")->uuid, 1);
	CHECK_INT(px_any(r.cfg, "b1")->uuid, 3);
}

TEST(duplicate_ids_are_errors)
{
	struct parsed r = parse2("backend a\n    id 3\nbackend b\n    id 3\n", 0);
	CHECK(r.flags & CFG_ALERT);

	/* reported on the line of the second server, as HAProxy does */
	startup_logs_reset();
	r = parse2("backend a\n"
	           "    server x 127.0.0.1:80 id 5\n"
	           "    server y 127.0.0.1:81 id 5\n",
	           0);
	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(r.alerts, 1);
	CHECK(strstr(startup_logs(), "parsing [test.cfg:3] : 'server a/y' : 'id' : custom id 5 "
	                             "already used at test.cfg:2 ('server x').") != NULL);
}

/*************************************************************** proxies */

TEST(proxy_names_and_capabilities)
{
	struct parsed r = parse("defaults\n"
				"    timeout client 1s\n"
				"    timeout server 1s\n"
				"    timeout connect 1s\n"
				"frontend app\n"
				"    bind :80\n"
				"    use_backend app\n"
				"    use_backend lst\n"
				"    default_backend app\n"
				"backend app\n"
				"    server s 127.0.0.1:80\n"
				"listen lst\n"
				"    bind :81\n");
	struct proxy *fe = px_get(r.cfg, "app", PX_CAP_FE);
	struct proxy *be = px_get(r.cfg, "app", PX_CAP_BE);
	struct proxy *lst = px_any(r.cfg, "lst");

	CHECK_INT(r.alerts, 0);
	CHECK_INT(r.valid, 0);
	CHECK(fe && be && lst && fe != be);
	if (!fe || !be || !lst)
		return;
	CHECK_INT(fe->cap, PX_CAP_FE);
	CHECK_INT(be->cap, PX_CAP_BE);
	CHECK_INT(lst->cap, PX_CAP_LISTEN);
	CHECK_STR(proxy_type_str(fe), "frontend");
	CHECK_STR(proxy_type_str(be), "backend");
	CHECK_STR(proxy_type_str(lst), "proxy"); /* HAProxy's name for a listen */
	CHECK_STR(proxy_type_str(r.cfg->defaults), "defaults");
	CHECK(proxy_find(r.cfg, "app", PX_CAP_BE) == be);
	CHECK(proxy_find(r.cfg, "app", PX_CAP_FE) == fe);
	CHECK(proxy_find(r.cfg, "lst", PX_CAP_BE) == lst);
	CHECK(proxy_find(r.cfg, "nope", PX_CAP_LISTEN) == NULL);
	/* file order */
	CHECK(r.cfg->proxies == fe && fe->next == be && be->next == lst);
	CHECK_INT(fe->line, 5);
	CHECK_STR(fe->file, "test.cfg");
	/* references resolved by cfg_validate() */
	CHECK(fe->default_backend == be);
	CHECK(fe->switching_rules && fe->switching_rules->be == be);
	CHECK(fe->switching_rules && fe->switching_rules->next &&
	      fe->switching_rules->next->be == lst);
}

TEST(duplicate_and_invalid_proxy_names)
{
	struct parsed r = parse2("listen web\n    bind :80\nfrontend web\n    bind :81\n", 0);
	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(count_proxies(r.cfg), 1);

	r = parse2("backend web\nbackend web\n", 0);
	CHECK(r.flags & CFG_ALERT);

	r = parse2("frontend a/b\n    bind :80\n", 0);
	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(count_proxies(r.cfg), 0);

	r = parse2("backend ok-name_1.2:3\n", 0);
	CHECK_INT(r.alerts, 0);
	CHECK_INT(count_proxies(r.cfg), 1);
}

TEST(missing_backends_fail_validation)
{
	struct parsed r = parse("frontend fe\n    bind :80\n    default_backend none\n");
	CHECK_INT(r.flags & CFG_ALERT, 0);
	CHECK_INT(r.valid, -1);

	r = parse("frontend fe\n    bind :80\n    use_backend none\n");
	CHECK_INT(r.valid, -1);

	/* a frontend is not a backend */
	r = parse("frontend fe\n    bind :80\n    default_backend other\n"
		  "frontend other\n    bind :81\n");
	CHECK_INT(r.valid, -1);
}

TEST(capability_checks)
{
	/* an alert for keywords without the KWF_CAP_WARN flag */
	struct parsed r = parse2("frontend fe\n    bind :80\n    server s 127.0.0.1:80\n", 0);
	CHECK(r.flags & CFG_ALERT);
	CHECK(px_any(r.cfg, "fe")->servers == NULL);

	/* a warning, and the value is not applied, for those with it */
	r = parse2("defaults\n    timeout server 5s\n"
		   "frontend fe\n    bind :80\n    timeout server 7s\n",
		   0);
	CHECK_INT(r.flags, CFG_WARN);
	CHECK_INT(r.warnings, 1);
	CHECK_INT(px_any(r.cfg, "fe")->to.server, 5000);

	/* defaults cannot hold proxy-specific keywords */
	r = parse2("defaults\n    bind :80\n", 0);
	CHECK(r.flags & CFG_ALERT);
	r = parse2("defaults\n    use_backend be\n", 0);
	CHECK(r.flags & CFG_ALERT);
}

TEST(disabled_proxy_is_kept_but_not_checked)
{
	struct parsed r = parse("frontend off\n"
				"    disabled\n"
				"    bind :80\n"
				"    default_backend missing\n"
				"backend on\n"
				"    disabled\n"
				"    enabled\n");

	CHECK_INT(r.alerts, 0);
	CHECK_INT(r.valid, 0);
	CHECK_INT(px_any(r.cfg, "off")->disabled, 1);
	CHECK_INT(px_any(r.cfg, "on")->disabled, 0);
}

TEST(balance_uses_registered_algorithms)
{
	const struct lb_algo *rr = lb_find_algo("roundrobin");
	struct parsed r = parse2("backend be\n    balance no-such-algorithm\n", 0);

	CHECK(r.flags & CFG_ALERT);
	r = parse2("backend be\n    balance rdp-cookie\n", 0);
	CHECK(r.flags & CFG_ALERT);
	if (!rr) {
		fprintf(stderr, "note: no load-balancing algorithm registered, skipping part\n");
		return;
	}
	r = parse2("defaults\n    balance roundrobin\nbackend be\n", 0);
	CHECK_INT(r.alerts, 0);
	CHECK(px_any(r.cfg, "be")->lb.algo == rr);
	/* the built-in default is roundrobin */
	r = parse2("backend be\n", 0);
	CHECK(px_any(r.cfg, "be")->lb.algo == rr);
}

/*************************************************************** global */

TEST(global_values)
{
	struct parsed r = parse2("global\n"
				 "    maxconn 5000\n"
				 "    nbthread 3\n"
				 "    daemon\n"
				 "    pidfile /run/x.pid\n"
				 "    ulimit-n 1234\n"
				 "    hard-stop-after 1m\n"
				 "    tune.bufsize 32k\n"
				 "    uid 12\n"
				 "    description several words \"and a quoted one\"\n"
				 "    no quiet\n",
				 0);
	struct global_cfg *g = &r.cfg->global;

	CHECK_INT(r.alerts, 0);
	CHECK_INT(g->maxconn, 5000);
	CHECK_INT(g->nbthread, 3);
	CHECK_INT(g->daemon, 1);
	CHECK_STR(g->pidfile, "/run/x.pid");
	CHECK_INT(g->ulimit_n, 1234);
	CHECK_INT(g->hard_stop_after, 60000);
	CHECK_INT(g->tune_bufsize, 32768);
	CHECK_INT(g->uid, 12);
	CHECK_INT(g->uid_set, 1);
	CHECK_STR(g->description, "several words and a quoted one");
	CHECK_INT(g->quiet, 0);

	/* built-in values from cfg_init() */
	r = parse2("", 0);
	CHECK_INT(r.flags, CFG_OK);
	CHECK_INT(r.cfg->global.tune_bufsize, 16384);
	CHECK_INT(r.cfg->global.thread_groups, 1);
	CHECK(r.cfg->proxies == NULL && r.cfg->defaults == NULL);

	r = parse2("global\n    daemon\n    no daemon\n", 0);
	CHECK_INT(r.cfg->global.daemon, 0);
}

TEST(time_and_size_units)
{
	struct parsed r = parse2("defaults\n"
				 "    timeout client 1500\n"
				 "    timeout server 2000000us\n"
				 "    timeout connect 250ms\n"
				 "    timeout queue 2m\n"
				 "    timeout tunnel 1d\n"
				 "    timeout client-fin 3h\n"
				 "    timeout server-fin 4s\n",
				 0);
	struct proxy *d = r.cfg->defaults;

	CHECK_INT(r.alerts, 0);
	if (!d)
		return;
	CHECK_INT(d->to.client, 1500);
	CHECK_INT(d->to.server, 2000);
	CHECK_INT(d->to.connect, 250);
	CHECK_INT(d->to.queue, 120000);
	CHECK_INT(d->to.tunnel, 86400000);
	CHECK_INT(d->to.client_fin, 10800000);
	CHECK_INT(d->to.server_fin, 4000);

	static const char *const bad[] = {
	    "defaults\n    timeout client 1w\n",  "defaults\n    timeout client 25d\n",
	    "defaults\n    timeout client 1ux\n", "defaults\n    timeout client -1\n",
	    "defaults\n    timeout client\n",     "global\n    tune.bufsize 1.5k\n",
	    "global\n    tune.bufsize 1g\n",      "global\n    maxconn -1\n",
	    "global\n    maxconn 12x\n",          "global\n    nbthread 65\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int before = t_fails;
		r = parse2(bad[i], 0);
		CHECK(r.flags & CFG_ALERT);
		if (t_fails != before)
			fprintf(stderr, "  ^ with: %s", bad[i]);
	}
}

TEST(microseconds_round_up_like_haproxy)
{
	struct parsed r = parse2("defaults\n"
	                         "    timeout connect 999us\n"
	                         "    timeout queue 1us\n"
	                         "    timeout tunnel 1500us\n"
	                         "    timeout client 0us\n"
	                         "    timeout server 2000us\n",
	                         0);
	struct proxy *d = r.cfg->defaults;

	CHECK_INT(r.alerts, 0);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_INT(d->to.connect, 1);
	CHECK_INT(d->to.queue, 1);
	CHECK_INT(d->to.tunnel, 2);
	CHECK_INT(d->to.client, 0);
	CHECK_INT(d->to.server, 2);
	/* global time keywords too */
	r = parse2("global\n    hard-stop-after 999us\n", 0);
	CHECK_INT(r.alerts, 0);
	CHECK_INT(r.cfg->global.hard_stop_after, 1);
}

TEST(global_maxconn_zero_is_automatic)
{
	struct parsed r = parse2("global\n    maxconn 0\n", 0);
	CHECK_INT(r.alerts, 0);
	CHECK_INT(r.cfg->global.maxconn, 0);
}

TEST(setenv_then_quoted_expansion)
{
	struct parsed r = parse2("global\n"
				 "    setenv HALYARD_UT_PORT 8123\n"
				 "    presetenv HALYARD_UT_PORT 9999\n"
				 "    setenv HALYARD_UT_OPTS \"name n1 backlog 7\"\n"
				 "frontend fe\n"
				 "    bind \":${HALYARD_UT_PORT}\" \"${HALYARD_UT_OPTS[*]}\"\n"
				 "    bind \":${HALYARD_UT_UNSET-8124}\"\n",
				 0);
	struct proxy *fe = px_any(r.cfg, "fe");

	CHECK_INT(r.alerts, 0);
	CHECK_INT(count_binds(fe), 2);
	if (count_binds(fe) != 2)
		return;
	CHECK_INT(fe->binds->addr.port_lo, 8123);
	CHECK_STR(fe->binds->name, "n1");
	CHECK_INT(fe->binds->backlog, 7);
	CHECK_INT(fe->binds->next->addr.port_lo, 8124);
	unsetenv("HALYARD_UT_PORT");
	unsetenv("HALYARD_UT_OPTS");
}

TEST(userlist_model)
{
	struct parsed r = parse2("userlist ops\n"
				 "    group admins users alice\n"
				 "    group dev\n"
				 "    user alice password $5$x$y groups dev\n"
				 "    user bob insecure-password secret groups admins,dev\n"
				 "userlist empty\n",
				 0);
	struct userlist *ul = r.cfg->userlists;

	CHECK_INT(r.alerts, 0);
	CHECK(ul && ul->next && !ul->next->next);
	if (!ul || !ul->users || !ul->users->next || !ul->groups || !ul->groups->next)
		return;
	CHECK_STR(ul->name, "ops");
	CHECK_INT(ul->line, 1);
	CHECK_STR(ul->users->name, "alice");
	CHECK_STR(ul->users->pass, "$5$x$y");
	CHECK_INT(ul->users->insecure, 0);
	CHECK_STR(ul->users->groups, "dev");
	CHECK_STR(ul->users->next->name, "bob");
	CHECK_INT(ul->users->next->insecure, 1);
	CHECK_STR(ul->users->next->groups, "admins,dev");
	CHECK_STR(ul->groups->name, "admins");
	CHECK_STR(ul->groups->users, "alice");
	CHECK_STR(ul->groups->next->name, "dev");
	CHECK(ul->groups->next->users == NULL);
	CHECK_STR(ul->next->name, "empty");

	r = parse2("userlist u\n    user a insecure-password x groups nope\n", 0);
	CHECK(r.flags & CFG_ALERT);
	r = parse2("userlist u\n    group g users nobody\n", 0);
	CHECK(r.flags & CFG_ALERT);
	r = parse2("userlist u\nuserlist u\n", 0);
	CHECK(r.flags & CFG_ALERT);
}

/*************************************************************** lines */

TEST(conditional_blocks_select_sections)
{
	struct parsed r = parse2(".if 0\n"
				 "backend never\n"
				 "    this is not parsed\n"
				 ".elif 1\n"
				 "backend chosen\n"
				 "  .if 1\n"
				 "    retries 8\n"
				 "  .else\n"
				 "    retries 9\n"
				 "  .endif\n"
				 ".else\n"
				 "backend neither\n"
				 ".endif\n",
				 0);

	CHECK_INT(r.flags, CFG_OK);
	CHECK_INT(count_proxies(r.cfg), 1);
	CHECK(px_any(r.cfg, "chosen") != NULL);
	CHECK_INT(px_any(r.cfg, "chosen") ? px_any(r.cfg, "chosen")->retries : 0, 8);
}

TEST(directive_flags)
{
	startup_logs_reset();
	struct parsed r = parse2(".warning \"be careful\"\n", 0);
	CHECK_INT(r.flags, CFG_WARN);
	CHECK_INT(r.warnings, 1);
	CHECK(strstr(startup_logs(), "config : parsing [test.cfg:1]: 'be careful'.\n") != NULL);

	/* one argument only, as in HAProxy: several words are an error */
	r = parse2(".warning be careful\nbackend after\n", 0);
	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(r.warnings, 0);
	CHECK_INT(count_proxies(r.cfg), 1);
	CHECK(strstr(startup_logs(), "parsing [test.cfg:1]: Unexpected argument 'careful' for "
	                             "'.warning'. Use quotes if the message should contain "
	                             "spaces.") != NULL);

	/* .alert stops the parsing of the file */
	r = parse2(".alert stop\nbackend after\n", 0);
	CHECK(r.flags & CFG_ALERT);
	CHECK(r.flags & CFG_ABORT);
	CHECK_INT(count_proxies(r.cfg), 0);

	r = parse2(".notice \"hello from ${.FILE}:${.LINE}\"\n.diag quiet\n", 0);
	CHECK_INT(r.flags, CFG_OK);
	CHECK_INT(r.alerts + r.warnings, 0);

	/* an .if that cannot be evaluated aborts the file: later lines are ignored */
	r = parse2(".if no_such_predicate()\n.endif\nbackend after\n", 0);
	CHECK(r.flags & CFG_ABORT);
	CHECK_INT(count_proxies(r.cfg), 0);

	r = parse2(".if 1\nbackend b\n", 0);
	CHECK(r.flags & CFG_ALERT);
	r = parse2(".endif\n", 0);
	CHECK(r.flags & CFG_ALERT);
	r = parse2(".if 1\n.else\n.elif 1\n.endif\n", 0);
	CHECK(r.flags & CFG_ALERT);
}

TEST(tokenizer_errors_are_alerts_but_parsing_goes_on)
{
	struct parsed r = parse2("backend a\n"
				 "    description 'unterminated\n"
				 "    description \"${NOCLOSE\"\n"
				 "    description bad\\xZZ\n"
				 "backend b\n",
				 0);

	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(r.alerts, 3);
	CHECK_INT(count_proxies(r.cfg), 2);
}

TEST(unknown_keywords_and_sections)
{
	struct parsed r = parse2("maxconn 10\n", 0);
	CHECK(r.flags & CFG_ALERT);

	r = parse2("global\n    no-such-keyword\n", 0);
	CHECK(r.flags & CFG_ALERT);

	r = parse2("frontend fe\n    daemon\n", 0);
	CHECK(r.flags & CFG_ALERT);

	/* bodies of sections not implemented yet are skipped after one alert */
	r = parse2("resolvers dns\n    nameserver a 127.0.0.1:53\n    other lines\n"
		   "backend after\n",
		   0);
	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(r.alerts, 1);
	CHECK(px_any(r.cfg, "after") != NULL);

	/* pending keywords fail with one alert each */
	r = parse2("frontend fe\n    bind :80\n    option httpslog\n    compression algo gzip\n", 0);
	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(r.alerts, 2);
}

TEST(sections_end_with_the_buffer)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	const char *one = "defaults\n    retries 6\nbackend first\n";
	const char *two = "    retries 2\nbackend second\n";

	kept[nkept++] = cfg;
	cfg_init(cfg);
	CHECK_INT(cfg_parse_buffer(cfg, "one.cfg", one, strlen(one)), CFG_OK);
	/* the second "file" starts outside of any section */
	CHECK(cfg_parse_buffer(cfg, "two.cfg", two, strlen(two)) & CFG_ALERT);
	CHECK_INT(px_any(cfg, "first")->retries, 6);
	/* but the defaults section still applies to later files */
	CHECK(px_any(cfg, "second") != NULL);
	CHECK_INT(px_any(cfg, "second") ? px_any(cfg, "second")->retries : 0, 6);
	CHECK_STR(px_any(cfg, "second") ? px_any(cfg, "second")->file : "", "two.cfg");
}

TEST(crlf_and_no_final_newline)
{
	struct parsed r = parse2("backend b\r\n    retries 4\r\n    server s 127.0.0.1:80\r\n"
				 "backend c\n    retries 5",
				 0);

	CHECK_INT(r.flags, CFG_OK);
	CHECK_INT(px_any(r.cfg, "b") ? px_any(r.cfg, "b")->retries : 0, 4);
	CHECK_INT(px_any(r.cfg, "c") ? px_any(r.cfg, "c")->retries : 0, 5);
}

/*************************************************************** registry */

TEST(word_distance)
{
	CHECK_INT(cfg_word_distance("maxconn", "maxconn"), 0);
	CHECK_INT(cfg_word_distance("maxcon", "maxconn"), 1);   /* insertion */
	CHECK_INT(cfg_word_distance("maxconnn", "maxconn"), 1); /* deletion */
	CHECK_INT(cfg_word_distance("maxcomn", "maxconn"), 1);  /* substitution */
	CHECK_INT(cfg_word_distance("bnid", "bind"), 1);        /* transposition */
	CHECK_INT(cfg_word_distance("", "abc"), 3);
	CHECK_INT(cfg_word_distance("abc", ""), 3);
	CHECK_INT(cfg_word_distance("", ""), 0);
	CHECK_INT(cfg_word_distance("kitten", "sitting"), 3);
	CHECK_INT(cfg_word_distance("abc", "xyz"), 3);
	/* symmetric */
	CHECK_INT(cfg_word_distance("redispach", "redispatch"),
		  cfg_word_distance("redispatch", "redispach"));
	/* very long words are never considered close */
	char longw[100];
	memset(longw, 'a', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = 0;
	CHECK(cfg_word_distance(longw, longw) >= 100);
}

TEST(suggest_keywords)
{
	CHECK_STR(cfg_suggest_kw(SECT_GLOBAL, NULL, "maxcon"), "maxconn");
	CHECK_STR(cfg_suggest_kw(SECT_GLOBAL, NULL, "deamon"), "daemon");
	CHECK_STR(cfg_suggest_kw(SECT_BACKEND, NULL, "sever"), "server");
	CHECK_STR(cfg_suggest_kw(SECT_FRONTEND, NULL, "bnid"), "bind");
	CHECK_STR(cfg_suggest_kw(SECT_LISTEN, "option", "redispach"), "redispatch");
	CHECK_STR(cfg_suggest_kw(SECT_DEFAULTS, "timeout", "clinet"), "client");
	CHECK_STR(cfg_suggest_kw(SECT_BINDOPT, NULL, "backlgo"), "backlog");
	CHECK_STR(cfg_suggest_kw(SECT_SRVOPT, NULL, "weigth"), "weight");
	/* nothing close enough */
	CHECK(cfg_suggest_kw(SECT_BACKEND, NULL, "qqqqqqq") == NULL);
	CHECK(cfg_suggest_kw(SECT_LISTEN, "option", "zzzzzzzzzzzz") == NULL);
	/* only keywords of the section are candidates */
	CHECK(cfg_suggest_kw(SECT_USERLIST, NULL, "maxcon") == NULL);
	CHECK_STR(cfg_suggest_kw(SECT_USERLIST, NULL, "usr"), "user");
}

static const struct cfg_kw *find(unsigned sect, int nargs, const char *a0, const char *a1,
				 const char *a2, int *words)
{
	char *args[4] = {(char *)a0, (char *)a1, (char *)a2, ""};
	*words = -1;
	return cfg_find_kw(sect, args, nargs, words);
}

TEST(find_keyword_prefers_two_words)
{
	const struct cfg_kw *kw;
	int words;

	kw = find(SECT_DEFAULTS, 3, "timeout", "client", "5s", &words);
	CHECK(kw != NULL);
	CHECK_STR(kw ? kw->name : NULL, "timeout client");
	CHECK_INT(words, 2);
	CHECK(kw && !(kw->flags & KWF_PENDING));

	kw = find(SECT_BACKEND, 2, "option", "redispatch", "", &words);
	CHECK_STR(kw ? kw->name : NULL, "option redispatch");
	CHECK_INT(words, 2);

	/* "stats socket" wins over the one-word "stats" of the global section */
	kw = find(SECT_GLOBAL, 3, "stats", "socket", "/x", &words);
	CHECK_STR(kw ? kw->name : NULL, "stats socket");
	CHECK_INT(words, 2);

	/* a one-word keyword whose argument looks like nothing registered */
	kw = find(SECT_GLOBAL, 2, "maxconn", "100", "", &words);
	CHECK_STR(kw ? kw->name : NULL, "maxconn");
	CHECK_INT(words, 1);
	/* the real keyword wins over the pending entry of the same name */
	CHECK(kw && !(kw->flags & KWF_PENDING));

	/* a two-word name needs both words */
	kw = find(SECT_DEFAULTS, 1, "timeout", "", "", &words);
	CHECK(kw == NULL);
	kw = find(SECT_DEFAULTS, 2, "timeout", "nope", "", &words);
	CHECK(kw == NULL);

	/* pending keywords are found and flagged */
	kw = find(SECT_FRONTEND, 2, "option", "httpslog", "", &words);
	CHECK(kw != NULL && (kw->flags & KWF_PENDING));

	/* not valid in this section */
	kw = find(SECT_FRONTEND, 1, "daemon", "", "", &words);
	CHECK(kw == NULL);
	kw = find(SECT_GLOBAL, 1, "no-such-keyword", "", "", &words);
	CHECK(kw == NULL);
	CHECK(cfg_find_kw(SECT_GLOBAL, NULL, 0, &words) == NULL);

	/* option lists are separate pseudo-sections */
	kw = find(SECT_BINDOPT, 2, "maxconn", "10", "", &words);
	CHECK(kw != NULL && kw->nvals == 1 && (kw->sections & SECT_BINDOPT));
	kw = find(SECT_SRVOPT, 1, "backup", "", "", &words);
	CHECK(kw != NULL && kw->nvals == 0 && !(kw->flags & KWF_PENDING));
}

TEST(other_section_and_sections)
{
	char *daemon[] = {"daemon"};
	char *server[] = {"server", "s", "1.2.3.4"};
	char *nothing[] = {"no-such-keyword"};

	char *bind[] = {"bind", ":80"};
	char *stats_socket[] = {"stats", "socket", "/x"};
	char *stats_other[] = {"stats", "qqqq"};
	const char *name = NULL;
	char *p;

	p = cfg_kw_valid_places(SECT_FRONTEND, daemon, 1, &name);
	CHECK_STR(p, "'global' section");
	CHECK_STR(name, "daemon");
	free(p);
	CHECK(cfg_kw_valid_places(SECT_GLOBAL, nothing, 1, &name) == NULL);
	/* proxy keywords name the proxy types their capabilities allow */
	p = cfg_kw_valid_places(SECT_GLOBAL, server, 3, &name);
	CHECK_STR(p, "'backend' and 'listen' sections");
	free(p);
	p = cfg_kw_valid_places(SECT_GLOBAL, bind, 2, &name);
	CHECK_STR(p, "'frontend' and 'listen' sections");
	free(p);
	p = cfg_kw_valid_places(SECT_DEFAULTS, stats_socket, 3, &name);
	CHECK_STR(p, "'global' section");
	CHECK_STR(name, "stats socket");
	free(p);
	/* only a keyword matching the words typed counts */
	CHECK(cfg_kw_valid_places(SECT_DEFAULTS, stats_other, 2, &name) == NULL);

	CHECK(cfg_find_section("global") != NULL);
	CHECK(cfg_find_section("defaults") != NULL);
	CHECK(cfg_find_section("frontend") != NULL);
	CHECK(cfg_find_section("backend") != NULL);
	CHECK(cfg_find_section("listen") != NULL);
	CHECK(cfg_find_section("userlist") != NULL);
	CHECK(cfg_find_section("resolvers") != NULL &&
	      (cfg_find_section("resolvers")->flags & KWF_PENDING));
	CHECK(cfg_find_section("no-such-section") == NULL);
	CHECK_INT(cfg_find_section("listen")->id, SECT_LISTEN);
}

TEST(keywords_of_three_words)
{
	const struct cfg_kw *kw;
	int words;
	char *cap[] = {"capture", "request", "header", "Host", "len", "20"};
	char *half[] = {"capture", "request"};
	char *bad[] = {"capture", "foo"};
	int nprefix = -1;
	char *subs;

	kw = cfg_find_kw(SECT_FRONTEND, cap, 6, &words);
	CHECK_STR(kw ? kw->name : NULL, "capture request header");
	CHECK_INT(words, 3);
	CHECK(cfg_find_kw(SECT_FRONTEND, half, 2, &words) == NULL);

	/* the words that may follow a prefix, longest prefix first */
	subs = cfg_kw_subwords(SECT_FRONTEND, half, 2, &nprefix);
	CHECK_INT(nprefix, 2);
	CHECK_STR(subs, "'header'");
	free(subs);
	subs = cfg_kw_subwords(SECT_FRONTEND, bad, 2, &nprefix);
	CHECK_INT(nprefix, 1);
	CHECK_STR(subs, "'cookie', 'request' and 'response'");
	free(subs);
	CHECK(cfg_kw_subwords(SECT_FRONTEND, cap + 3, 1, &nprefix) == NULL);
	CHECK_INT(nprefix, 0);
}

TEST(suggestions_never_repeat_the_word)
{
	CHECK(cfg_suggest_kw(SECT_FRONTEND, NULL, "option") == NULL);
	CHECK(cfg_suggest_kw(SECT_DEFAULTS, NULL, "timeout") == NULL);
	CHECK(cfg_suggest_kw(SECT_LISTEN, "option", "redispatch") == NULL);
	CHECK_STR(cfg_suggest_kw(SECT_FRONTEND, "capture request", "heder"), "header");
}

/* Parses <text> and returns 1 if the messages contain <expected>. */
static int says(const char *text, const char *expected)
{
	startup_logs_reset();
	parse2(text, 0);
	if (strstr(startup_logs(), expected))
		return 1;
	fprintf(stderr, "expected \"%s\" in:\n%s", expected, startup_logs());
	return 0;
}

TEST(unknown_keyword_messages)
{
	CHECK(says("listen l\n    option foo\n", "parsing [test.cfg:2] : unknown option 'foo'.\n"));
	CHECK(says("listen l\n    option redispach\n",
	           "unknown option 'redispach'; did you mean 'redispatch' maybe ?"));
	CHECK(says("listen l\n    no option foo\n", "unknown option 'foo'.\n"));
	CHECK(says("listen l\n    option\n", "'option' expects an option name."));
	CHECK(says("defaults\n    timeout foo 1s\n",
	           "'timeout' supports 'check', 'client', 'client-fin', 'client-hs', "
	           "'connect', 'http-keep-alive', 'http-request', 'queue', 'server', "
	           "'server-fin', 'tarpit' and 'tunnel' (got 'foo')"));
	CHECK(says("defaults\n    timeout\n", "'timeout' supports 'check', "));
	CHECK(says("defaults\n    timeout\n", "(got '')"));
	CHECK(says("frontend f\n    capture request foo\n",
	           "'capture request' supports 'header' (got 'foo')"));
	/* the other-section hint comes from a keyword matching the words typed */
	CHECK(says("global\n    bind :80\n", "unknown keyword 'bind' in 'global' section; it is "
	                                     "only valid in 'frontend' and 'listen' sections."));
	CHECK(says("userlist u\n    maxconn 3\n",
	           "it is only valid in 'global', 'defaults', 'frontend' and 'listen' sections."));
	CHECK(says("defaults\n    stats qqqq\n", "'stats' supports 'admin', "));
	CHECK(says("global\n    stats qqqq\n",
	           "'stats' supports 'bind-process', 'maxconn', 'socket' and 'timeout' (got "
	           "'qqqq')"));
	CHECK(says("backend b\n    daemon\n",
	           "unknown keyword 'daemon' in 'backend' section; it is only valid in 'global' "
	           "section."));
}

TEST(capability_warnings_and_errors)
{
	struct parsed r = parse2("frontend f\n"
	                         "    retries 3\n"
	                         "    option redispatch\n"
	                         "    timeout server 1s\n"
	                         "backend b\n"
	                         "    maxconn 3\n"
	                         "    default_backend b\n",
	                         0);
	CHECK_INT(r.alerts, 0);
	CHECK_INT(r.warnings, 5);
	CHECK_INT(r.flags, CFG_WARN);
	/* ignored: not applied */
	CHECK_INT(px_any(r.cfg, "b") ? px_any(r.cfg, "b")->maxconn : -1, 0);

	r = parse2("frontend f\n    default-server weight 3\n", 0);
	CHECK(r.flags & CFG_ALERT);
	r = parse2("frontend f\n    server s 127.0.0.1:80\n", 0);
	CHECK(r.flags & CFG_ALERT);
	r = parse2("defaults\n    default-server weight 3\n", 0);
	CHECK_INT(r.flags, CFG_OK);
}

TEST(prefixes_no_and_default)
{
	CHECK(says("defaults\n    no option tcpka\n",
	           "parsing [test.cfg:2]: negation/default is not supported for option 'tcpka'."));
	CHECK(says("defaults\n    default option tcpka\n",
	           "negation/default is not supported for option 'tcpka'."));
	CHECK(says("backend b\n    default option allbackups\n",
	           "'option allbackups' cannot be prefixed with 'default'."));

	struct parsed r = parse2("defaults\n"
	                         "    option redispatch 3\n"
	                         "backend reset\n"
	                         "    default option redispatch\n"
	                         "backend zero\n"
	                         "    option redispatch 0\n",
	                         0);
	struct proxy *reset = px_any(r.cfg, "reset"), *zero = px_any(r.cfg, "zero");
	CHECK_INT(r.alerts, 0);
	CHECK(reset && zero);
	if (!reset || !zero)
		return;
	/* "default" restores the built-in setting, 0 disables redispatching */
	CHECK_INT(reset->options & PXO_REDISPATCH, 0);
	CHECK_INT(zero->options & PXO_REDISPATCH, 0);
	CHECK_INT(zero->redispatch_interval, 0);
}

TEST(each_defaults_section_starts_afresh)
{
	struct parsed r = parse2("defaults first\n"
	                         "    retries 7\n"
	                         "    timeout client 5s\n"
	                         "defaults second\n"
	                         "    maxconn 50\n"
	                         "backend plain\n"
	                         "defaults third from first\n"
	                         "backend inherited\n",
	                         0);
	struct proxy *plain = px_any(r.cfg, "plain"), *inh = px_any(r.cfg, "inherited");

	CHECK_INT(r.alerts, 0);
	CHECK(plain && inh);
	if (!plain || !inh)
		return;
	/* "second" does not inherit from "first" */
	CHECK_INT(plain->retries, 3);
	CHECK_INT(plain->to.client, 0);
	CHECK_INT(plain->maxconn, 50);
	/* "from" still copies a named defaults section */
	CHECK_INT(inh->retries, 7);
	CHECK_INT(inh->to.client, 5000);
	CHECK_INT(inh->maxconn, 0);
}

TEST(userlist_references_reported_where_written)
{
	CHECK(says("userlist u\n"
	           "    group g\n"
	           "    user a insecure-password x groups g,nope\n"
	           "backend b\n",
	           "parsing [test.cfg:3] : userlist 'u': no such group 'nope' specified in user "
	           "'a'\n"));
	CHECK(says("userlist u\n"
	           "    user a insecure-password x\n"
	           "    group g users a,bob\n",
	           "parsing [test.cfg:3] : userlist 'u': no such user 'bob' specified in group "
	           "'g'\n"));
	struct parsed r = parse2("userlist u\n"
	                         "    user a insecure-password x\n"
	                         "    user a insecure-password y\n",
	                         0);
	CHECK_INT(r.flags, CFG_WARN);
	CHECK_INT(r.warnings, 1);
	CHECK_STR(r.cfg->userlists ? r.cfg->userlists->users->pass : NULL, "x");
	CHECK(r.cfg->userlists && r.cfg->userlists->users->next == NULL);
}

TEST(servers_and_binds)
{
	CHECK(says("backend b\n    server s \"\"\n",
	           "'server' expects <name> and <addr>[:<port>] as arguments."));
	CHECK(says("backend b\n    server s 127.0.0.1:80 weight\n",
	           "'server b/s' : 'weight' : missing value"));
	struct parsed r = parse2("frontend f\n    bind :20000-22047\n", 0);
	CHECK_INT(r.alerts, 0);
	CHECK_INT(count_binds(px_any(r.cfg, "f")), 2048);
}

TEST(bind_conf_release_frees_and_resets)
{
	struct bind_conf b = {0};
	b.name = strdup("n");
	b.file = strdup("f");
	b.interface = strdup("i");
	bind_conf_release(&b);
	CHECK(b.name == NULL && b.file == NULL && b.interface == NULL);
	bind_conf_release(&b); /* idempotent */
	struct bind_conf zero = {0};
	bind_conf_release(&zero);
	CHECK(zero.name == NULL);
}

TEST(tokenizer_errors_show_the_line)
{
	CHECK(says("global\n    description 'abc\n",
	           "parsing [test.cfg:2]: unmatched quote at position 17:\n"
	           "  description 'abc\n"
	           "              ^\n"));
	/* a branch not taken is still tokenized */
	struct parsed r = parse2(".if 0\n    description \"x\n.endif\n", 0);
	CHECK(r.flags & CFG_ALERT);
	CHECK_INT(r.alerts, 1);
}

struct kw_census {
	int total, global, pending, bad;
};

static void census(const struct cfg_kw *kw, void *arg)
{
	struct kw_census *c = arg;
	c->total++;
	if (kw->sections & SECT_GLOBAL)
		c->global++;
	if (kw->flags & KWF_PENDING)
		c->pending++;
	/* names are words separated by single spaces */
	if (!*kw->name || kw->name[0] == ' ' || kw->name[strlen(kw->name) - 1] == ' ' ||
	    strstr(kw->name, "  "))
		c->bad++;
	/* every implemented keyword has a way to be parsed */
	if (!(kw->flags & KWF_PENDING) && kw->type == KWT_PARSER && !kw->parse)
		c->bad++;
	if (!kw->sections)
		c->bad++;
}

TEST(registry_is_consistent)
{
	struct kw_census c = {0};
	cfg_foreach_kw(census, &c);
	CHECK(c.total > 100);
	CHECK(c.global > 10);
	CHECK(c.pending > 10);
	CHECK_INT(c.bad, 0);
}

TEST_MAIN()
