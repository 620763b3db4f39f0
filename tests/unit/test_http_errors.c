/* Unit tests of the error replies: built-in pages and reason phrases, reply
 * file checks, and errorfile / errorfiles / http-error / http-errors
 * resolution through whole configurations.
 */
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

static char tmpdir[] = "/tmp/halyard-test-errors-XXXXXX";

/* Writes <content> (<len> bytes) to <name> in the test directory; returns
 * its path (static buffer rotated among four).
 */
static const char *put_file(const char *name, const char *content, size_t len)
{
	static char paths[4][256];
	static int turn;
	char *path = paths[turn++ % 4];

	snprintf(path, sizeof(paths[0]), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(content, 1, len, f);
		fclose(f);
	}
	return path;
}

static int has_log(const char *needle)
{
	if (strstr(startup_logs(), needle))
		return 1;
	fprintf(stderr, "expected \"%s\" in:\n%s", needle, startup_logs());
	return 0;
}

/* Checks the layout shared by every built-in page. */
static void check_page(int status)
{
	const struct http_reply *r = http_builtin_reply(status);
	char head[128];

	CHECK(r != NULL);
	if (!r)
		return;
	CHECK_INT(r->status, status);
	CHECK_INT(r->len, strlen(r->raw));
	snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	CHECK(strncmp(r->raw, head, strlen(head)) == 0);
	CHECK(strstr(r->raw, "\r\ncache-control: no-cache\r\n") != NULL);
	CHECK(strstr(r->raw, "\r\ncontent-type: text/html\r\n\r\n") != NULL);
	/* the engine decides whether the connection closes */
	CHECK(strstr(r->raw, "connection") == NULL);
	const char *body = strstr(r->raw, "\r\n\r\n") + 4;
	unsigned long clen = strtoul(strstr(r->raw, "content-length: ") + 16, NULL, 10);
	CHECK_INT(clen, strlen(body));
	snprintf(head, sizeof(head), "<html><body><h1>%d %s</h1>\n", status, http_reason(status));
	CHECK(strncmp(body, head, strlen(head)) == 0);
	CHECK(strcmp(body + strlen(body) - 15, "</body></html>\n") == 0);
}

TEST(status_codes_and_reasons)
{
	static const int expected[] = {200, 400, 401, 403, 404, 405, 407, 408, 410,
	                               413, 425, 429, 500, 501, 502, 503, 504};
	for (int i = 0; i < HTTP_ERR_SLOTS; i++) {
		CHECK_INT(http_err_codes[i], expected[i]);
		CHECK_INT(http_err_slot(expected[i]), i);
	}
	CHECK_INT(http_err_slot(414), -1);
	CHECK_INT(http_err_slot(0), -1);
	CHECK_STR(http_reason(200), "OK");
	CHECK_STR(http_reason(503), "Service Unavailable");
	CHECK_STR(http_reason(504), "Gateway Timeout");
	CHECK_STR(http_reason(431), "Request Header Fields Too Large");
	CHECK_STR(http_reason(299), "Unknown");
}

TEST(builtin_pages)
{
	for (int i = 0; i < HTTP_ERR_SLOTS; i++)
		check_page(http_err_codes[i]);
	check_page(414);
	check_page(431);
	check_page(505);
	CHECK(http_builtin_reply(204) == NULL);
	CHECK(http_builtin_reply(302) == NULL);
	CHECK(http_builtin_reply(999) == NULL);
	/* without an override, the built-in page is used */
	CHECK(http_error_reply(NULL, 503) == http_builtin_reply(503));
	CHECK(http_error_override(NULL, 503) == NULL);
}

/* Runs http_reply_check() on <raw>; returns its result and leaves the
 * message in *err.
 */
static int check_raw(const char *raw, int maxhdr, char **err)
{
	struct global_cfg g = {.tune_bufsize = 16384, .tune_http_maxhdr = maxhdr};
	free(*err);
	*err = NULL;
	return http_reply_check(&g, raw, strlen(raw), err);
}

TEST(reply_file_checks)
{
	char *err = NULL;

	CHECK_INT(check_raw("HTTP/1.0 503 Down\r\nA: b\r\n\r\nbody", 101, &err), 503);
	CHECK_INT(check_raw("HTTP/1.1 200 OK\ncontent-length: 2\n\nhi", 101, &err), 200);
	CHECK_INT(check_raw("HTTP/1.1 503\r\n\r\n", 101, &err), 503);
	CHECK_INT(check_raw("HTTP/1.1 503 X\r\ncontent-length: 2, 2\r\n\r\nab", 101, &err), 503);
	CHECK_INT(check_raw("HTTP/1.1 503 X\r\nfoo: a\r\n", 101, &err), -1);
	CHECK_STR(err, "unable to parse headers (error offset: -2)");
	CHECK_INT(check_raw("HTTP/1.1 abc X\r\n\r\n", 101, &err), -1);
	CHECK_STR(err, "unable to parse headers (error offset: 9)");
	CHECK_INT(check_raw("HTTP/1.1 503 X\r\nbad header\r\n\r\n", 101, &err), -1);
	CHECK_STR(err, "unable to parse headers (error offset: 19)");
	CHECK_INT(check_raw("HTTP/1.1 503 X\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nab",
	                    101, &err),
	          -1);
	CHECK_STR(err, "unable to parse headers (error offset: 51)");
	CHECK_INT(check_raw("HTP/1.1 503 X\r\n\r\n", 101, &err), -1);
	CHECK_STR(err, "invalid http version (HTP/1.1)");
	CHECK_INT(check_raw("HTTP/1.1 100 X\r\n\r\n", 101, &err), -1);
	CHECK_STR(err, "invalid http status code for an error message (100)");
	CHECK_INT(
	    check_raw("HTTP/1.1 503 X\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 101, &err),
	    -1);
	CHECK_STR(err, "chunk-encoded payload not supported");
	CHECK_INT(check_raw("HTTP/1.1 204 X\r\n\r\nabc", 101, &err), -1);
	CHECK_STR(err, "message payload not expected");
	CHECK_INT(check_raw("HTTP/1.1 503 X\r\ncontent-length: 10\r\n\r\nhi", 101, &err), -1);
	CHECK_STR(err, "payload size does not match the announced content-length (2 != 10)");
	/* tune.http.maxhdr bounds the headers the way HAProxy's parser does */
	CHECK_INT(check_raw("HTTP/1.1 503 X\r\na: 1\r\nb: 2\r\n\r\n", 3, &err), 503);
	CHECK_INT(check_raw("HTTP/1.1 503 X\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n", 3, &err), -1);
	CHECK_STR(err, "unable to parse headers (error offset: 36)");
	free(err);
}

TEST(reply_size_limit)
{
	struct global_cfg g = {.tune_bufsize = 1024, .tune_http_maxhdr = 101};
	char raw[1100];
	char *err = NULL;

	/* 93 bytes of overhead, then the start line words and the payload */
	memset(raw, 'a', sizeof(raw));
	memcpy(raw, "HTTP/1.1 503 X\r\n\r\n", 18);
	CHECK_INT(http_reply_check(&g, raw, 1024 - 93 - 12 + 18, &err), 503);
	CHECK_INT(http_reply_check(&g, raw, 1024 - 93 - 12 + 19, &err), -1);
	CHECK_STR(err, "unable to add payload into the HTX message");
	free(err);
}

TEST(errorfile_and_http_errors)
{
	const char *f503 = put_file("503.http", "HTTP/1.0 503 Busy\r\n\r\nbusy\n", 26);
	const char *f404 = put_file("404.http", "HTTP/1.0 404 Gone\r\n\r\n", 21);
	const char *empty = put_file("empty.http", "", 0);
	char text[2048];
	int ok;

	snprintf(text, sizeof(text),
	         "http-errors site\n    errorfile 404 %s\n"
	         "defaults\n    mode http\n    errorfile 503 %s\n"
	         "frontend fe\n    bind :8080\n    errorfiles site\n    default_backend be\n"
	         "backend be\n    errorfile 503 %s\n    errorfile 404 %s\n"
	         "    http-error status 404 default-errorfiles\n",
	         f404, f503, empty, f404);
	struct config *cfg = load(text, &ok);
	CHECK(ok);
	struct proxy *fe = px_named(cfg, "fe"), *be = px_named(cfg, "be");
	CHECK(fe && be);
	if (!fe || !be)
		return;
	/* inherited from defaults, then completed by the section */
	const struct http_reply *r = http_error_reply(fe, 503);
	CHECK(r && r->len == 26 && r->status == 503 &&
	      memcmp(r->raw, "HTTP/1.0 503 Busy", 17) == 0);
	r = http_error_override(fe, 404);
	CHECK(r && r->status == 404 && r->len == 21);
	CHECK(http_error_override(fe, 500) == NULL);
	CHECK(http_error_reply(fe, 500) == http_builtin_reply(500));
	/* later lines override earlier ones; an empty file is an empty reply */
	r = http_error_override(be, 503);
	CHECK(r && r->len == 0 && r->status == 503);
	CHECK(http_error_override(be, 404) == NULL);
	CHECK(http_error_reply(be, 404) == http_builtin_reply(404));
	/* the defaults section's list was copied, not shared */
	CHECK(fe->http.err_refs != cfg->defaults->http.err_refs);
	CHECK(fe->http.err_refs && fe->http.err_refs->kind == HTTP_ERR_REF_FILE);
}

TEST(http_error_replies)
{
	int ok;
	struct config *cfg = load("listen l\n    mode http\n    bind :8080\n"
	                          "    http-error status 503 content-type text/plain string down "
	                          "hdr X-Why maintenance\n"
	                          "    http-error status 429\n",
	                          &ok);
	CHECK(ok);
	struct proxy *l = px_named(cfg, "l");
	const struct http_reply *r = l ? http_error_override(l, 503) : NULL;
	CHECK(r != NULL);
	if (r)
		CHECK_STR(r->raw, "HTTP/1.1 503 Service Unavailable\r\nx-why: maintenance\r\n"
		                  "content-length: 4\r\ncontent-type: text/plain\r\n\r\ndown");
	r = l ? http_error_override(l, 429) : NULL;
	CHECK(r != NULL);
	if (r)
		CHECK_STR(r->raw, "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\n\r\n");
}

TEST(error_messages)
{
	int ok;

	startup_logs_reset();
	load("listen l\n    mode http\n    bind :8080\n    errorfiles nowhere 503\n", &ok);
	CHECK(!ok);
	CHECK(has_log("config : proxy 'l': unknown http-errors section 'nowhere' "
	              "(at test.cfg:4).\n"));

	startup_logs_reset();
	load("http-errors s\nlisten l\n    mode http\n    bind :8080\n    errorfiles s 404\n", &ok);
	CHECK(ok);
	CHECK(has_log("config : config: proxy 'l' : status '404' not declared in http-errors "
	              "section 's' (at test.cfg:5).\n"));

	startup_logs_reset();
	load("listen l\n    mode http\n    bind :8080\n"
	     "    http-error status 503 content-type text/plain lf-string %[path]\n",
	     &ok);
	CHECK(!ok);
	CHECK(has_log("http-error : 'lf-string' (a log-format payload) is not supported yet."));

	startup_logs_reset();
	load("listen l\n    mode http\n    bind :8080\n"
	     "    http-error status 503 hdr X-Path %[path]\n",
	     &ok);
	CHECK(!ok);
	CHECK(has_log("'hdr X-Path' with a log-format value ('%[path]') is not supported yet."));

	startup_logs_reset();
	load("listen l\n    mode http\n    bind :8080\n    errorfile 414 /dev/null\n", &ok);
	CHECK(!ok);
	CHECK(has_log("errorfile : status code '414' not handled."));
}

__attribute__((constructor)) static void make_tmpdir(void)
{
	if (!mkdtemp(tmpdir))
		perror("mkdtemp");
}

__attribute__((destructor)) static void remove_tmpdir(void)
{
	static const char *const names[] = {"503.http", "404.http", "empty.http"};
	char path[300];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

TEST_MAIN()
