/* Unit tests of the HTTP mode keywords: proxy options and their
 * inheritance, server pool options, global tuning, the h1-case-adjust map
 * and the networks of "except" clauses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/msg.h"
#include "conf/http.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "tests/unit/test-config.h"
#include "tests/unit/test.h"


static int has_log(const char *needle)
{
	if (strstr(startup_logs(), needle))
		return 1;
	fprintf(stderr, "expected \"%s\" in:\n%s", needle, startup_logs());
	return 0;
}

TEST(mode_and_connection_options)
{
	int ok;
	struct config *cfg =
	    load("defaults\n    mode http\n    option httpclose\n"
	         "    option http-buffer-request\n    http-reuse always\n"
	         "    timeout http-request 5s\n    timeout http-keep-alive 1s\n"
	         "backend a\n"
	         "backend b\n    option http-server-close\n    no option httpclose\n"
	         "backend c\n    no option httpclose\n    no option http-buffer-request\n"
	         "backend d\n    mode tcp\n    http-reuse never\n",
	         &ok);
	CHECK(ok);
	struct proxy *a = px_named(cfg, "a"), *b = px_named(cfg, "b"), *c = px_named(cfg, "c");
	struct proxy *d = px_named(cfg, "d");
	CHECK(a && b && c && d);
	if (!a || !b || !c || !d)
		return;
	CHECK_INT(a->mode, PX_MODE_HTTP);
	CHECK_INT(a->http.conn_mode, HTTP_CM_CLO);
	CHECK_INT(a->http.reuse, HTTP_REUSE_ALWAYS);
	CHECK_INT(a->http.flags, PXH_BUFFER_REQUEST);
	CHECK_INT(a->to.http_request, 5000);
	CHECK_INT(a->to.http_keep_alive, 1000);
	/* "no option httpclose" only cancels httpclose */
	CHECK_INT(b->http.conn_mode, HTTP_CM_SCL);
	CHECK_INT(c->http.conn_mode, HTTP_CM_KAL);
	CHECK_INT(c->http.flags, 0);
	CHECK_INT(c->http.flags_set, PXH_BUFFER_REQUEST);
	CHECK_INT(d->mode, PX_MODE_TCP);
	CHECK_INT(d->http.reuse, HTTP_REUSE_NEVER);
}

TEST(forwardfor_and_originalto)
{
	int ok;
	struct config *cfg =
	    load("defaults\n    mode http\n    option forwardfor except 10.1.2.3/8 if-none\n"
	         "    monitor-uri /health\n"
	         "frontend f\n    bind :8080\n    default_backend b\n"
	         "backend b\n    option forwardfor header X-Client\n"
	         "    option originalto except ::1\n",
	         &ok);
	CHECK(ok);
	struct proxy *f = px_named(cfg, "f"), *b = px_named(cfg, "b");
	CHECK(f && b);
	if (!f || !b)
		return;
	CHECK_STR(f->http.fwdfor_hdr, "X-Forwarded-For");
	CHECK(f->http.fwdfor_hdr != cfg->defaults->http.fwdfor_hdr);
	CHECK_INT(f->http.fwdfor_if_none, 1);
	CHECK_INT(f->http.fwdfor_except.family, AF_INET);
	CHECK_INT(f->http.fwdfor_except.prefix, 8);
	CHECK_INT(f->http.fwdfor_except.addr[0], 10);
	CHECK_INT(f->http.fwdfor_except.addr[1], 0);
	CHECK_STR(f->http.monitor_uri, "/health");
	/* a new "option forwardfor" starts from the defaults of the option */
	CHECK_STR(b->http.fwdfor_hdr, "X-Client");
	CHECK_INT(b->http.fwdfor_if_none, 0);
	CHECK_INT(b->http.fwdfor_except.family, 0);
	CHECK_STR(b->http.origto_hdr, "X-Original-To");
	CHECK_INT(b->http.origto_except.family, AF_INET6);
	CHECK_INT(b->http.origto_except.prefix, 128);
}

TEST(networks)
{
	struct hl_net n;
	struct sockaddr_in a4 = {.sin_family = AF_INET};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};

	CHECK_INT(hl_net_parse("192.168.1.7/24", &n), 0);
	CHECK_INT(n.prefix, 24);
	inet_pton(AF_INET, "192.168.1.200", &a4.sin_addr);
	CHECK_INT(hl_net_match(&n, (struct sockaddr *)&a4), 1);
	inet_pton(AF_INET, "192.168.2.1", &a4.sin_addr);
	CHECK_INT(hl_net_match(&n, (struct sockaddr *)&a4), 0);
	CHECK_INT(hl_net_match(&n, (struct sockaddr *)&a6), 0);
	CHECK_INT(hl_net_parse("10.0.0.0/255.255.0.0", &n), 0);
	CHECK_INT(n.prefix, 16);
	CHECK_INT(hl_net_parse("10.0.0.0/255.0.255.0", &n), -1);
	CHECK_INT(hl_net_parse("1.2.3.4", &n), 0);
	CHECK_INT(n.prefix, 32);
	CHECK_INT(hl_net_parse("1.2.3.4/33", &n), -1);
	CHECK_INT(hl_net_parse("1.2.3.4/", &n), -1);
	CHECK_INT(hl_net_parse("2001:db8::1/32", &n), 0);
	CHECK_INT(n.family, AF_INET6);
	inet_pton(AF_INET6, "2001:db8:ffff::", &a6.sin6_addr);
	CHECK_INT(hl_net_match(&n, (struct sockaddr *)&a6), 1);
	CHECK_INT(hl_net_parse("::1/129", &n), -1);
	CHECK_INT(hl_net_parse("", &n), -1);
	struct hl_net unset = {0};
	CHECK_INT(hl_net_match(&unset, (struct sockaddr *)&a4), 0);
}

TEST(server_pool_options)
{
	int ok;
	struct config *cfg =
	    load("backend b\n    mode http\n    default-server pool-low-conn 2\n"
	         "    server s1 127.0.0.1:80\n"
	         "    server s2 127.0.0.1:81 pool-max-conn 0 pool-purge-delay 1m\n",
	         &ok);
	CHECK(ok);
	struct proxy *b = px_named(cfg, "b");
	struct server *s1 = b ? b->servers : NULL, *s2 = s1 ? s1->next : NULL;
	CHECK(s1 && s2);
	if (!s1 || !s2)
		return;
	CHECK_INT(s1->cfg.pool_max_conn, -1);
	CHECK_INT(s1->cfg.pool_low_conn, 2);
	CHECK_INT(s1->cfg.pool_purge_delay, 5000);
	CHECK_INT(s2->cfg.pool_max_conn, 0);
	CHECK_INT(s2->cfg.pool_purge_delay, 60000);

	startup_logs_reset();
	load("backend b\n    server s 127.0.0.1:80 pool-max-conn -2\n", &ok);
	CHECK(!ok);
	CHECK(has_log("'server b/s' : 'pool-max-conn' must be >= -1."));
}

TEST(global_tuning)
{
	int ok;
	struct config *cfg = load("global\n    tune.http.maxhdr 200\n", &ok);
	CHECK(ok);
	CHECK_INT(cfg->global.tune_http_maxhdr, 200);
	CHECK_INT(cfg->global.tune_maxrewrite, 1024);

	cfg = load("global\n    tune.bufsize 1024\n", &ok);
	CHECK_INT(cfg->global.tune_maxrewrite, 512);
	CHECK_INT(cfg->global.tune_http_maxhdr, 101);
	cfg = load("global\n    tune.maxrewrite 0\n", &ok);
	CHECK_INT(cfg->global.tune_maxrewrite, 0);
	cfg = load("global\n    tune.maxrewrite 2000\n", &ok);
	CHECK_INT(cfg->global.tune_maxrewrite, 2000);

	startup_logs_reset();
	load("global\n    tune.http.maxhdr 0\n", &ok);
	CHECK(!ok);
	CHECK(has_log("'tune.http.maxhdr' expects a numeric value between 1 and 32767"));
}

TEST(h1_case_map)
{
	struct h1_case_map m = {0};
	char *err = NULL;

	CHECK_INT(h1_case_map_add(&m, "x-b", "X-B", &err), 0);
	CHECK_INT(h1_case_map_add(&m, "content-length", "Content-Length", &err), 0);
	CHECK_INT(h1_case_map_add(&m, "x-a", "X-a", &err), 0);
	CHECK_STR(h1_case_adjust_lookup(&m, "x-a", 3), "X-a");
	CHECK_STR(h1_case_adjust_lookup(&m, "content-length: 5", 14), "Content-Length");
	CHECK(h1_case_adjust_lookup(&m, "x-c", 3) == NULL);
	CHECK(h1_case_adjust_lookup(&m, "x-", 2) == NULL);
	CHECK(h1_case_adjust_lookup(NULL, "x-a", 3) == NULL);
	CHECK_INT(h1_case_map_add(&m, "x-a", "X-A", &err), -1);
	CHECK_STR(err, "duplicate entry 'x-a'");
	CHECK_INT(h1_case_map_add(&m, "x-d", "X-E", &err), -1);
	CHECK_STR(err, "<from> and <to> must not differ execpt the case");
	CHECK_INT(h1_case_map_add(&m, "x-d", "", &err), -1);
	CHECK_STR(err, "expect <to>");
	free(err);
	h1_case_map_release(&m);
	CHECK_INT(m.count, 0);
	CHECK(h1_case_adjust_lookup(&m, "x-a", 3) == NULL);
}

TEST(h1_case_adjust_file)
{
	char path[] = "/tmp/halyard-test-case-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# names\n\n  x-foo   X-Foo  \nx-bar X-BAR\r\n";
	int ok;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	char cfgtext[256];
	snprintf(cfgtext, sizeof(cfgtext),
	         "global\n    h1-case-adjust x-one X-One\n    h1-case-adjust-file %s\n", path);
	struct config *cfg = load(cfgtext, &ok);
	CHECK(ok);
	const struct h1_case_map *m = cfg->global.h1_case_adjust;
	CHECK_STR(h1_case_adjust_lookup(m, "x-foo", 5), "X-Foo");
	CHECK_STR(h1_case_adjust_lookup(m, "x-bar", 5), "X-BAR");
	CHECK_STR(h1_case_adjust_lookup(m, "x-one", 5), "X-One");

	startup_logs_reset();
	snprintf(cfgtext, sizeof(cfgtext),
	         "global\n    h1-case-adjust x-foo X-FOO\n"
	         "    h1-case-adjust-file %s\n",
	         path);
	load(cfgtext, &ok);
	CHECK(!ok);
	CHECK(has_log("' : duplicate entry 'x-foo' at line 3.\n"));
	unlink(path);
}

TEST(http_frontend_needs_http_backend)
{
	int ok;

	startup_logs_reset();
	load("frontend f\n    mode http\n    bind :8080\n    default_backend b\nbackend b\n", &ok);
	CHECK(!ok);
	CHECK(has_log("config : http frontend 'f' (test.cfg:1) tries to use incompatible tcp "
	              "backend 'b' (test.cfg:5) as its default backend (see 'mode').\n"));
	/* the other way round is allowed */
	load("frontend f\n    bind :8080\n    default_backend b\nbackend b\n    mode http\n", &ok);
	CHECK(ok);
}

TEST(tcp_mode_warnings)
{
	int ok;

	startup_logs_reset();
	load("listen l\n    bind :8080\n    option forwardfor\n    option http-no-delay\n"
	     "    monitor-uri /x\n",
	     &ok);
	CHECK(ok);
	CHECK(has_log("config : monitor-uri will be ignored for proxy 'l' (needs 'mode http').\n"));
	CHECK(has_log("config : 'option forwardfor' ignored for proxy 'l' as it requires HTTP "
	              "mode.\n"));
	CHECK(has_log("config : 'option http-no-delay' ignored for proxy 'l' as it requires "
	              "HTTP mode.\n"));
}

TEST_MAIN()
