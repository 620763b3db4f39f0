/* Prometheus exporter output (worker/prom-exporter.c) for a configuration
 * without traffic, compared with HAProxy 2.6's exporter output for the same
 * configuration (tests/unit/data/prom-haproxy-2.6.txt): the same HELP and
 * TYPE lines in the same order, the same samples (names and labels) in the
 * same order, and HAProxy's values for what follows from the
 * configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/kw.h"
#include "test-config.h"
#include "test.h"
#include "worker/counters.h"
#include "worker/prom-exporter.h"
#include "worker/runtime.h"

static const char conf_text[] = "defaults\n"
                                "    mode http\n"
                                "    timeout connect 2s\n"
                                "    timeout client 5s\n"
                                "    timeout server 5s\n"
                                "frontend fe1\n"
                                "    bind 127.0.0.1:19051\n"
                                "    default_backend be1\n"
                                "backend be1\n"
                                "    server s1 127.0.0.1:19900 maxconn 10 weight 3\n"
                                "    server s2 127.0.0.1:19901 backup\n"
                                "    server s3 127.0.0.1:19902 disabled\n"
                                "listen tcp1\n"
                                "    mode tcp\n"
                                "    bind 127.0.0.1:19053\n"
                                "    server t1 127.0.0.1:19900\n";

/* Families whose values follow from the configuration alone. */
static const char *const same_value[] = {
    "haproxy_process_nbproc",
    "haproxy_process_relative_process_id",
    "haproxy_frontend_status",
    "haproxy_backend_status",
    "haproxy_backend_weight",
    "haproxy_backend_active_servers",
    "haproxy_backend_backup_servers",
    "haproxy_backend_agg_server_status",
    "haproxy_server_status",
    "haproxy_server_weight",
    "haproxy_server_uweight",
    "haproxy_server_limit_sessions",
    "haproxy_server_sessions_total",
    "haproxy_server_queue_limit",
    "haproxy_process_current_zlib_memory",
};

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* The line of <text> starting with <prefix> followed by a space or the end
 * of the name part, or NULL.
 */
static const char *find_line(const char *text, const char *key)
{
	size_t len = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, len) && p[len] == ' ')
			return p;
	return NULL;
}

/* Copies the line at <p> without its newline. */
static void line_at(const char *p, char *buf, size_t len)
{
	size_t n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
}

static const char *ha_text(void)
{
	static char *text;
	if (!text) {
		const char *src = getenv("HALYARD_SRC");
		char path[512];
		snprintf(path, sizeof(path), "%s/tests/unit/data/prom-haproxy-2.6.txt",
		         src ? src : ".");
		text = read_file(path);
	}
	return text;
}

static struct strbuf dump(unsigned scopes)
{
	static int built;
	if (!built) {
		int ok = 0;
		struct config *cfg = load(conf_text, &ok);
		CHECK(ok);
		CHECK_INT(runtime_build(cfg), 0);
		rt.nbthread = 1; /* counters exist per thread: one, never used */
		counters_init_thread(&rt.threads[0]);
		built = 1;
	}
	struct strbuf b = {0};
	prom_dump(&b, scopes, 0);
	CHECK(!b.failed);
	return b;
}

/* The name and labels of each line (comments whole), in order. */
static int line_keys(const char *text, char keys[][256], int max)
{
	int n = 0;
	for (const char *p = text; p && *p && n < max;
	     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t len = *p == '#' ? strcspn(p, "\n") : strcspn(p, " \n");
		if (!strncmp(p, "haproxy_process_build_info{", 27))
			len = 26; /* the version label differs */
		snprintf(keys[n++], 256, "%.*s", (int)len, p);
	}
	return n;
}

TEST(families_and_samples_are_haproxys)
{
	const char *ha = ha_text();
	CHECK(ha != NULL);
	if (!ha)
		return;
	struct strbuf b = dump(PM_SCOPE_ALL);
	static char mine[2048][256], theirs[2048][256];
	int nm = line_keys(b.p, mine, 2048), nt = line_keys(ha, theirs, 2048);
	CHECK_INT(nm, nt);
	for (int i = 0; i < nm && i < nt; i++) {
		if (strcmp(mine[i], theirs[i]) != 0) {
			CHECK_STR(mine[i], theirs[i]);
			break;
		}
	}
	sb_free(&b);
}

TEST(configuration_values_are_haproxys)
{
	const char *ha = ha_text();
	if (!ha)
		return;
	struct strbuf b = dump(PM_SCOPE_ALL);
	char mine[512], theirs[512];
	int compared = 0;
	for (const char *p = b.p; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (*p == '#')
			continue;
		for (size_t i = 0; i < sizeof(same_value) / sizeof(same_value[0]); i++) {
			size_t n = strlen(same_value[i]);
			if (strncmp(p, same_value[i], n) != 0 || (p[n] != '{' && p[n] != ' '))
				continue;
			line_at(p, mine, sizeof(mine));
			char key[256];
			snprintf(key, sizeof(key), "%.*s", (int)strcspn(mine, " "), mine);
			const char *h = find_line(ha, key);
			line_at(h ? h : "", theirs, sizeof(theirs));
			CHECK_STR(mine, theirs);
			compared++;
		}
	}
	CHECK(compared >= 30);
	sb_free(&b);
}

TEST(scopes)
{
	struct strbuf b = dump(1u << PM_SERVER);
	CHECK(
	    strstr(b.p, "haproxy_server_status{proxy=\"be1\",server=\"s3\",state=\"MAINT\"} 1\n"));
	CHECK(!strstr(b.p, "haproxy_process_"));
	CHECK(!strstr(b.p, "haproxy_frontend_"));
	CHECK(!strstr(b.p, "haproxy_backend_"));
	sb_free(&b);
	b = dump(1u << PM_PROCESS);
	CHECK(strstr(b.p, "# TYPE haproxy_process_nbproc gauge\nhaproxy_process_nbproc 1\n"));
	CHECK(!strstr(b.p, "haproxy_server_"));
	sb_free(&b);
	b = dump(0);
	CHECK(b.len == 0);
	sb_free(&b);
}

/* Status classes come outside, objects inside, with one header. */
TEST(http_responses_layout)
{
	struct strbuf b = dump(1u << PM_SERVER);
	const char *a =
	    strstr(b.p, "haproxy_server_http_responses_total{proxy=\"be1\",server=\"s1\","
	                "code=\"1xx\"}");
	const char *c =
	    strstr(b.p, "haproxy_server_http_responses_total{proxy=\"be1\",server=\"s2\","
	                "code=\"1xx\"}");
	const char *d =
	    strstr(b.p, "haproxy_server_http_responses_total{proxy=\"be1\",server=\"s1\","
	                "code=\"2xx\"}");
	CHECK(a && c && d && a < c && c < d);
	CHECK(!strstr(b.p, "haproxy_server_http_responses_total{proxy=\"tcp1\""));
	const char *h = strstr(b.p, "# HELP haproxy_server_http_responses_total");
	CHECK(h && !strstr(h + 1, "# HELP haproxy_server_http_responses_total"));
	sb_free(&b);
}

TEST_MAIN()
