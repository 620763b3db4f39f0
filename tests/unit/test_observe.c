/* Unit tests of passive health observation: the classification of HTTP
 * statuses and the parsing of the server options (values, inheritance from
 * default-server, layer7 in a TCP proxy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/kw.h"
#include "tests/unit/test-config.h"
#include "tests/unit/test.h"
#include "worker/observe.h"

TEST(http_statuses)
{
	CHECK_INT(observe_http_status(200), OBS_HTTP_OK);
	CHECK_INT(observe_http_status(100), OBS_HTTP_OK);
	CHECK_INT(observe_http_status(404), OBS_HTTP_OK);
	CHECK_INT(observe_http_status(499), OBS_HTTP_OK);
	CHECK_INT(observe_http_status(501), OBS_HTTP_OK);
	CHECK_INT(observe_http_status(505), OBS_HTTP_OK);
	CHECK_INT(observe_http_status(500), OBS_HTTP_STS);
	CHECK_INT(observe_http_status(502), OBS_HTTP_STS);
	CHECK_INT(observe_http_status(503), OBS_HTTP_STS);
	CHECK_INT(observe_http_status(599), OBS_HTTP_STS);
	CHECK_INT(observe_http_status(600), OBS_HTTP_STS);
	CHECK_INT(observe_http_status(99), OBS_HTTP_STS);
	CHECK_STR(observe_event_desc(OBS_HTTP_STS), "Wrong http response");
	CHECK_STR(observe_event_desc(OBS_L4_ERR), "L4 unsuccessful connection");
	CHECK_STR(observe_event_desc(OBS_NB_EVENTS), "Unknown");
}

static const char *const base = "defaults\n mode http\n timeout connect 1s\n"
                                " timeout client 1s\n timeout server 1s\n";

/* The server <name> of backend "b" parsed from <base> + <text>. */
static const struct server *srv_of(const char *text, const char *name, int *ok)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s%s", base, text);
	struct proxy *px = px_named(load(buf, ok), "b");
	for (const struct server *s = px ? px->servers : NULL; s; s = s->next)
		if (!strcmp(s->id, name))
			return s;
	return NULL;
}

TEST(options)
{
	int ok = 0;
	const struct server *s =
	    srv_of("backend b\n default-server observe layer7 error-limit 4 on-error sudden-death\n"
	           " server a 127.0.0.1:1 check on-marked-down shutdown-sessions\n"
	           " server c 127.0.0.1:2 observe none on-error mark-down"
	           " on-marked-up shutdown-backup-sessions\n",
	           "a", &ok);
	CHECK(ok && s);
	if (s) {
		CHECK_INT(s->cfg.observe, SRV_OBS_LAYER7);
		CHECK_INT(s->cfg.error_limit, 4);
		CHECK_INT(s->cfg.on_error, SRV_ONERR_SUDDTH);
		CHECK_INT(s->cfg.on_marked_down, 1);
		CHECK_INT(s->cfg.on_marked_up, 0);
	}
	s = srv_of("backend b\n server c 127.0.0.1:2 observe none on-error mark-down"
	           " on-marked-up shutdown-backup-sessions\n",
	           "c", &ok);
	CHECK(ok && s);
	if (s) {
		CHECK_INT(s->cfg.observe, SRV_OBS_NONE);
		CHECK_INT(s->cfg.error_limit, 0); /* the default, 10 */
		CHECK_INT(s->cfg.on_error, SRV_ONERR_MARKDWN);
		CHECK_INT(s->cfg.on_marked_up, 1);
	}
	s = srv_of("backend b\n mode tcp\n server a 127.0.0.1:1 check observe layer7\n", "a", &ok);
	CHECK(ok && s && s->cfg.observe == SRV_OBS_NONE); /* ignored with a warning */
	srv_of("backend b\n server a 127.0.0.1:1 error-limit 0\n", "a", &ok);
	CHECK(!ok);
	srv_of("backend b\n server a 127.0.0.1:1 on-error never\n", "a", &ok);
	CHECK(!ok);
	srv_of("backend b\n server a 127.0.0.1:1 observe layer3\n", "a", &ok);
	CHECK(!ok);
}

TEST_MAIN()
