/* Unit tests for common/h1.c: HTTP/1.x head parsing, body framing, body
 * scanning and head writing. Every parse and scan goes through an exactly
 * sized heap copy so that the sanitizer builds catch any read past the given
 * length.
 */
#include "common/h1.h"
#include "tests/unit/test.h"

#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#define MAXH 32

static struct http_hdr t_hdrs[MAXH];
static struct http_msg t_m;
static char *t_copy; /* the buffer t_m points into */

/* Parses the <n> bytes of <buf> (from a fresh heap copy kept until the next
 * parse) into t_m with room for <maxhdrs> headers.
 */
static int parse_nh(const void *buf, size_t n, int is_resp, int lenient, int maxhdrs)
{
	free(t_copy);
	t_copy = malloc(n ? n : 1);
	memcpy(t_copy, buf, n);
	memset(&t_m, 0x55, sizeof(t_m)); /* garbage the parser must reset */
	t_m.hdrs = t_hdrs;
	t_m.maxhdrs = maxhdrs;
	return h1_parse_head(t_copy, n, &t_m, is_resp, lenient);
}

static int req(const char *s)
{
	return parse_nh(s, strlen(s), 0, 0, MAXH);
}

static int req_lenient(const char *s)
{
	return parse_nh(s, strlen(s), 0, 1, MAXH);
}

static int rsp(const char *s)
{
	return parse_nh(s, strlen(s), 1, 0, MAXH);
}

/* A slice as a NUL-terminated string (one of four static buffers). */
static const char *S(struct ist i)
{
	static char bufs[4][512];
	static int which;
	char *b = bufs[which++ & 3];
	size_t n = i.len < 511 ? i.len : 511;

	if (n) /* an empty slice may be {NULL, 0} */
		memcpy(b, i.p, n);
	b[n] = 0;
	return b;
}

/* Offset of the slice <i> in the last parsed buffer. */
static long off(struct ist i)
{
	return (long)(i.p - t_copy);
}

/* Number of live (not deleted) headers of <m>. */
static int live(const struct http_msg *m)
{
	int n = 0;

	for (int i = 0; i < m->nhdrs; i++)
		n += m->hdrs[i].n.len != 0;
	return n;
}

/* Value of the first live header <lname> of t_m, or NULL. */
static const char *hval(const char *lname)
{
	int i = http_find_hdr(&t_m, lname, 0);

	return i < 0 ? NULL : S(t_m.hdrs[i].v);
}

/* Offset of the first occurrence of <needle> in <hay>. */
static long pos_of(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);

	return p ? (long)(p - hay) : -1;
}

/* Checks that <s> is refused with <status>, the error pointing at <pos>. */
#define REFUSED(call, s, status, pos)                                                              \
	do {                                                                                       \
		CHECK_INT(call(s), -1);                                                            \
		CHECK_INT(t_m.err_status, status);                                                 \
		CHECK_INT(t_m.err_pos, pos);                                                       \
	} while (0)

/* ------------------------------------------------------------------------ */
/* Request heads                                                            */
/* ------------------------------------------------------------------------ */

TEST(req_simple)
{
	const char *s = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\nbody";
	size_t hl = strlen(s) - 4;

	CHECK_INT(req(s), hl);
	CHECK_INT(t_m.head_len, hl);
	CHECK_INT(t_m.meth, HTTP_METH_GET);
	CHECK_STR(S(t_m.meth_s), "GET");
	CHECK_STR(S(t_m.uri), "/index.html");
	CHECK_INT(t_m.vmaj, 1);
	CHECK_INT(t_m.vmin, 1);
	CHECK_INT(t_m.flags, HMF_VER11);
	CHECK_INT(t_m.line_done, 1);
	CHECK_INT(t_m.skip, 0);
	CHECK_INT(t_m.nhdrs, 1);
	CHECK_INT(t_m.maxhdrs, MAXH);
	CHECK(t_m.hdrs == t_hdrs);
	CHECK_STR(S(t_m.hdrs[0].n), "Host");
	CHECK_STR(S(t_m.hdrs[0].v), "example.com");
	CHECK_INT(t_m.status, 0);
	CHECK_INT(t_m.content_len, 0);
	CHECK_INT(t_m.err_status, 0);
	/* slices point into the parsed buffer */
	CHECK_INT(off(t_m.meth_s), 0);
	CHECK_INT(off(t_m.uri), 4);
	CHECK_INT(off(t_m.hdrs[0].n), 26);
	CHECK_INT(off(t_m.hdrs[0].v), 32);

	/* no header at all */
	CHECK_INT(req("GET / HTTP/1.1\r\n\r\n"), 18);
	CHECK_INT(t_m.nhdrs, 0);
}

TEST(req_methods)
{
	static const struct {
		const char *name;
		enum http_meth meth;
	} m[] = {
	    {"GET", HTTP_METH_GET},         {"HEAD", HTTP_METH_HEAD},
	    {"POST", HTTP_METH_POST},       {"PUT", HTTP_METH_PUT},
	    {"DELETE", HTTP_METH_DELETE},   {"CONNECT", HTTP_METH_CONNECT},
	    {"OPTIONS", HTTP_METH_OPTIONS}, {"TRACE", HTTP_METH_TRACE},
	    {"PATCH", HTTP_METH_PATCH},     {"PURGE", HTTP_METH_OTHER},
	    {"M-SEARCH", HTTP_METH_OTHER},  {"get", HTTP_METH_OTHER}, /* case-sensitive */
	    {"GETS", HTTP_METH_OTHER},      {"GE", HTTP_METH_OTHER},
	    {"X", HTTP_METH_OTHER},         {"!#$%&'*+-.^_`|~09azAZ", HTTP_METH_OTHER},
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		/* CONNECT takes an authority, the others a path */
		const char *uri = m[i].meth == HTTP_METH_CONNECT ? "x:1" : "/x";
		snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\n\r\n", m[i].name, uri);
		CHECK_INT(req(buf), strlen(buf));
		CHECK_INT(t_m.meth, m[i].meth);
		CHECK_STR(S(t_m.meth_s), m[i].name);
		CHECK_STR(S(t_m.uri), uri);
	}
}

TEST(req_uris)
{
	static const char *uris[] = {
	    "*",
	    "/",
	    "http://example.com:8080/a/b?c=d&e=%20f",
	    "HTTPS://[::1]/",
	    "coap+tcp-1.x://a",
	    "/~user/;p=1?q=[x]{y}|\\^`\"<>",
	    "/!$&'()*+,;=:@-._~%2F",
	    "/a:b",
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		snprintf(buf, sizeof(buf), "OPTIONS %s HTTP/1.1\r\n\r\n", uris[i]);
		CHECK_INT(req(buf), strlen(buf));
		CHECK_STR(S(t_m.uri), uris[i]);
	}
	/* authority form, CONNECT only */
	CHECK_INT(req("CONNECT example.com:443 HTTP/1.1\r\n\r\n"), 36);
	CHECK_STR(S(t_m.uri), "example.com:443");
	CHECK_INT(req("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n"), 39);
	CHECK_STR(S(t_m.uri), "[2001:db8::1]:8443");
}

/* A target of none of the forms of RFC 9112 §3.2 is refused where it
 * starts.
 */
TEST(req_uris_refused)
{
	static const struct {
		const char *meth, *uri;
	} bad[] = {
	    {"GET", "example.com"},
	    {"GET", "example.com:80"},
	    {"GET", "http:/x"},
	    {"GET", "://x"},
	    {"GET", "1http://x"},
	    {"GET", "ht_tp://x"},
	    {"GET", "**"},
	    {"GET", "?a"},
	    {"OPTIONS", "a:443"},
	    {"CONNECT", "example.com"},
	    {"CONNECT", "example.com:"},
	    {"CONNECT", ":443"},
	    {"CONNECT", "a:44x"},
	    {"CONNECT", "/a:443"},
	    {"CONNECT", "a:443/"},
	    {"CONNECT", "http://a:443"},
	    {"CONNECT", "*"},
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\n\r\n", bad[i].meth, bad[i].uri);
		if (req(buf) != -1 || t_m.err_status != 400 ||
		    t_m.err_pos != (long)strlen(bad[i].meth) + 1) {
			fprintf(stderr, "  \"%s %s\" not refused (400 at the target): %d %d %ld\n",
			        bad[i].meth, bad[i].uri, req(buf), t_m.err_status, t_m.err_pos);
			CHECK(0);
		}
	}
	/* a fragment is never sent; lenient parsing lets it through */
	REFUSED(req, "GET /a#b HTTP/1.1\r\n\r\n", 400, 6);
	CHECK_INT(req_lenient("GET /a#b HTTP/1.1\r\n\r\n"), 21);
	CHECK_STR(S(t_m.uri), "/a#b");
}

TEST(req_versions)
{
	CHECK_INT(req("GET / HTTP/1.0\r\n\r\n"), 18);
	CHECK_INT(t_m.vmaj, 1);
	CHECK_INT(t_m.vmin, 0);
	CHECK_INT(t_m.flags & HMF_VER11, 0);

	CHECK_INT(req("GET / HTTP/1.1\r\n\r\n"), 18);
	CHECK_INT(t_m.vmin, 1);
	CHECK_INT(t_m.flags & HMF_VER11, HMF_VER11);

	/* a later 1.x minor version is handled as 1.1 */
	CHECK_INT(req("GET / HTTP/1.9\r\n\r\n"), 18);
	CHECK_INT(t_m.vmin, 9);
	CHECK_INT(t_m.flags & HMF_VER11, HMF_VER11);
}

TEST(req_headers_ows)
{
	const char *s = "POST /p HTTP/1.1\r\n"
	                "A:b\r\n"
	                "B: \t two  words \t \r\n"
	                "C:\r\n"
	                "D: \t \r\n"
	                "E:\tx\ty\r\n"
	                "X-Obs: caf\xc3\xa9 \x80\xff\r\n"
	                "Host: h\r\n"
	                "\r\n";

	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.nhdrs, 7);
	CHECK_STR(S(t_m.hdrs[0].n), "A");
	CHECK_STR(S(t_m.hdrs[0].v), "b");
	CHECK_STR(S(t_m.hdrs[1].n), "B");
	CHECK_STR(S(t_m.hdrs[1].v), "two  words");
	CHECK_STR(S(t_m.hdrs[2].n), "C");
	CHECK_INT(t_m.hdrs[2].v.len, 0);
	CHECK_STR(S(t_m.hdrs[3].n), "D");
	CHECK_INT(t_m.hdrs[3].v.len, 0);
	CHECK_STR(S(t_m.hdrs[4].v), "x\ty");
	CHECK_STR(S(t_m.hdrs[5].v), "caf\xc3\xa9 \x80\xff");
	CHECK_STR(S(t_m.hdrs[6].n), "Host");
	CHECK_STR(hval("host"), "h");
	CHECK_STR(hval("b"), "two  words");
	CHECK(hval("content-length") == NULL);
	/* names keep the case they were sent in; lookups ignore it */
	CHECK_INT(http_find_hdr(&t_m, "x-obs", 0), 5);
	CHECK_INT(http_find_hdr(&t_m, "x-obs", 6), -1);
}

/* The parser returns all the bytes to consume: the skipped empty lines,
 * then head_len bytes of head.
 */
TEST(req_leading_empty_lines)
{
	CHECK_INT(req("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), 22);
	CHECK_INT(t_m.skip, 4);
	CHECK_INT(t_m.head_len, 18);
	CHECK_STR(S(t_m.uri), "/");
	CHECK_INT(off(t_m.meth_s), 4);

	CHECK_INT(req("\n\nGET / HTTP/1.1\r\n\r\n"), 20);
	CHECK_INT(t_m.skip, 2);
	CHECK_INT(t_m.head_len, 18);
	CHECK_INT(req("\n\r\n\nGET / HTTP/1.1\n\nbody"), 20);
	CHECK_INT(t_m.skip, 4);
	CHECK_INT(t_m.head_len, 16);

	/* only empty lines so far: wait */
	CHECK_INT(req("\r\n\r\n"), 0);
	CHECK_INT(t_m.line_done, 0);
	CHECK_INT(req("\r\n\r"), 0);

	/* responses do not skip empty lines */
	REFUSED(rsp, "\r\nHTTP/1.1 200 OK\r\n\r\n", 502, 0);

	/* a bare CR is not an empty line */
	REFUSED(req, "\rGET / HTTP/1.1\r\n\r\n", 400, 0);
	REFUSED(req, "\r\n\rGET / HTTP/1.1\r\n\r\n", 400, 2);
	REFUSED(req, "\n\r\rGET / HTTP/1.1\r\n\r\n", 400, 1);
	REFUSED(req, "\r\r\n", 400, 0);
	REFUSED(req, "\rX", 400, 0);
	CHECK_INT(req("\r\n\r"), 0);
	CHECK_INT(req("\r"), 0);
}

TEST(req_lf_only)
{
	const char *s = "GET /lf HTTP/1.1\nHost: x\nA:  b \n\nrest";

	CHECK_INT(req(s), strlen(s) - 4);
	CHECK_STR(S(t_m.uri), "/lf");
	CHECK_INT(t_m.nhdrs, 2);
	CHECK_STR(S(t_m.hdrs[0].v), "x");
	CHECK_STR(S(t_m.hdrs[1].v), "b");

	/* mixed line endings */
	s = "GET / HTTP/1.1\r\nHost: x\nA: b\r\n\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.nhdrs, 2);
	s = "GET / HTTP/1.1\nHost: x\r\n\r\n";
	CHECK_INT(req(s), strlen(s));

	s = "HTTP/1.1 200 OK\nContent-Length: 0\n\n";
	CHECK_INT(rsp(s), strlen(s));
	CHECK_STR(S(t_m.reason), "OK");
	CHECK_INT(t_m.flags & HMF_CL, HMF_CL);
}

TEST(req_connection_flags)
{
	CHECK_INT(req("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), 37);
	CHECK_INT(t_m.flags, HMF_VER11 | HMF_CONN_CLOSE);

	const char *s = "GET /ws HTTP/1.1\r\n"
	                "Connection: Keep-Alive , , UPGRADE,foo\r\n"
	                "Upgrade: websocket\r\n"
	                "Expect: 100-Continue\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags,
	          HMF_VER11 | HMF_CONN_KAL | HMF_CONN_UPG | HMF_UPGRADE | HMF_EXPECT_100);

	/* several Connection headers add up */
	s = "GET / HTTP/1.0\r\nConnection: keep-alive\r\nconnection: close\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_CONN_KAL | HMF_CONN_CLOSE);

	/* tokens are whole words */
	s = "GET / HTTP/1.1\r\nConnection: closed, keep-alive2\r\nExpect: 100-continues\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_VER11);
}

/* ------------------------------------------------------------------------ */
/* Response heads                                                           */
/* ------------------------------------------------------------------------ */

TEST(rsp_status_lines)
{
	CHECK_INT(rsp("HTTP/1.1 200 OK\r\n\r\n"), 19);
	CHECK_INT(t_m.status, 200);
	CHECK_STR(S(t_m.reason), "OK");
	CHECK_INT(t_m.flags, HMF_RESP | HMF_VER11);
	CHECK_INT(t_m.line_done, 1);
	CHECK_INT(t_m.meth_s.len, 0);
	CHECK_INT(t_m.uri.len, 0);

	CHECK_INT(rsp("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n"), 37);
	CHECK_INT(t_m.status, 404);
	CHECK_INT(t_m.vmin, 0);
	CHECK_INT(t_m.flags, HMF_RESP);
	CHECK_STR(S(t_m.reason), "Not Found");
	CHECK_STR(hval("server"), "x");

	/* no reason, with and without the space */
	CHECK_INT(rsp("HTTP/1.1 204\r\n\r\n"), 16);
	CHECK_INT(t_m.status, 204);
	CHECK_INT(t_m.reason.len, 0);
	CHECK_INT(rsp("HTTP/1.1 204 \r\n\r\n"), 17);
	CHECK_INT(t_m.status, 204);
	CHECK_INT(t_m.reason.len, 0);

	/* reasons may hold spaces, tabs and obs-text */
	CHECK_INT(rsp("HTTP/1.1 500 Internal\tServer  Error \xe9\r\n\r\n"), 41);
	CHECK_STR(S(t_m.reason), "Internal\tServer  Error \xe9");

	CHECK_INT(rsp("HTTP/1.1 100 Continue\r\n\r\n"), 25);
	CHECK_INT(t_m.status, 100);
	CHECK_INT(rsp("HTTP/1.1 999 Whatever\r\n\r\n"), 25);
	CHECK_INT(t_m.status, 999);
}

TEST(rsp_status_refused)
{
	REFUSED(rsp, "HTTP/1.1 099 Low\r\n\r\n", 502, 9);
	REFUSED(rsp, "HTTP/1.1 000\r\n\r\n", 502, 9);
	REFUSED(rsp, "HTTP/1.1 20 OK\r\n\r\n", 502, 11);
	REFUSED(rsp, "HTTP/1.1 2000 OK\r\n\r\n", 502, 12);
	REFUSED(rsp, "HTTP/1.1 2x0 OK\r\n\r\n", 502, 10);
	REFUSED(rsp, "HTTP/1.1 200OK\r\n\r\n", 502, 12);
	REFUSED(rsp, "HTTP/1.1  200 OK\r\n\r\n", 502, 9);
	REFUSED(rsp, "HTTP/1.1\t200 OK\r\n\r\n", 502, 0);
	REFUSED(rsp, "HTTP/2.0 200 OK\r\n\r\n", 502, 0);
	REFUSED(rsp, "HTTP/1.1\r\n\r\n", 502, 0);
	REFUSED(rsp, "ICY 200 OK\r\n\r\n", 502, 0);
	REFUSED(rsp, "HTTP/1.1 200 O\x01K\r\n\r\n", 502, 14);
	REFUSED(rsp, "HTTP/1.1 200 O\x7fK\r\n\r\n", 502, 14);
	CHECK_INT(parse_nh("HTTP/1.1 200 O\0K\r\n\r\n", 20, 1, 0, MAXH), -1);
	CHECK_INT(t_m.err_status, 502);
	CHECK_INT(t_m.err_pos, 14);
	/* a response looking like a request */
	REFUSED(rsp, "GET / HTTP/1.1\r\n\r\n", 502, 0);
}

TEST(rsp_headers_refused_502)
{
	/* header errors in a response are bad gateway errors */
	REFUSED(rsp, "HTTP/1.1 200 OK\r\nA : b\r\n\r\n", 502, 18);
	REFUSED(rsp, "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", 502, 23);
	REFUSED(rsp, "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", 502, 21);
	REFUSED(rsp, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 502, 36);
	REFUSED(rsp, "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 502, 17);
	REFUSED(rsp, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 502, 17);
	REFUSED(rsp, "HTTP/1.1 200 OK\r\n: b\r\n\r\n", 502, 17);
	REFUSED(rsp, "HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n", 502, 21);
	REFUSED(rsp, "HTTP/1.1 200 OK\r\nA\x01: b\r\n\r\n", 502, 18);
	CHECK_INT(parse_nh("HTTP/1.1 200 OK\r\nA: b\r\nB: c\r\n\r\n", 31, 1, 0, 1), -1);
	CHECK_INT(t_m.err_status, 502);
	CHECK_INT(t_m.err_pos, 23);
}

/* ------------------------------------------------------------------------ */
/* Incomplete heads                                                         */
/* ------------------------------------------------------------------------ */

/* Checks that every proper prefix of the head <s> (is_resp <r>) needs more
 * bytes, with line_done telling whether its start line was complete, and
 * that the whole of it, alone or followed by <tail>, parses to its length.
 */
static void check_prefixes(const char *s, int r, const char *tail)
{
	size_t n = strlen(s), line = (size_t)(strchr(s + (r ? 0 : strspn(s, "\r\n")), '\n') - s);
	char buf[1024];

	for (size_t i = 0; i < n; i++) {
		int ret = parse_nh(s, i, r, 0, MAXH);
		if (ret != 0 || t_m.line_done != (i > line)) {
			fprintf(stderr, "  prefix %zu/%zu of \"%s\": %d, line_done %d\n", i, n, s,
			        ret, t_m.line_done);
			CHECK(0);
		}
		CHECK_INT(h1_head_too_large(&t_m, r), r ? 502 : i > line ? 431 : 414);
	}
	CHECK_INT(parse_nh(s, n, r, 0, MAXH), n);
	snprintf(buf, sizeof(buf), "%s%s", s, tail);
	CHECK_INT(parse_nh(buf, strlen(buf), r, 0, MAXH), n);
	CHECK_INT(t_m.skip + t_m.head_len, n);
	CHECK_INT(t_m.skip, r ? 0 : strspn(s, "\r\n"));
}

/* An incomplete request line whose method cannot be one is refused at once
 * (a TLS ClientHello on a clear-text port), not waited for. */
TEST(incomplete_bad_method_refused_early)
{
	CHECK_INT(req("\x16\x03\x01\x00\xa0"), -1);
	CHECK_INT(req("GE(T"), -1);
	CHECK_INT(req(" GET"), -1);
	CHECK_INT(req("GET"), 0);
	CHECK_INT(req("GET "), 0);
	CHECK_INT(req("GET /"), 0);
	CHECK_INT(req("\r\n\r"), 0);
	CHECK_INT(req("\r\nGET"), 0);
}

TEST(incomplete_every_prefix)
{
	check_prefixes("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n"
	               "Accept: */*\r\nContent-Length: 3\r\n\r\n",
	               0, "abc");
	check_prefixes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "0\r\n\r\n");
	check_prefixes("GET / HTTP/1.1\nHost: x\n\n", 0, "GET / HTTP/1.1\n\n");
	check_prefixes("\r\n\n\r\nGET / HTTP/1.0\r\n\r\n", 0, "\r\n");
	check_prefixes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nA: \t \r\n\r\n", 1, "hello");
	check_prefixes("HTTP/1.1 304\r\n\r\n", 1, "HTTP/1.1 200 OK\r\n\r\n");
	check_prefixes("HTTP/1.0 200 OK\nServer: s\n\n", 1, "");
}

TEST(head_too_large)
{
	struct http_msg m = {0};

	CHECK_INT(req("GET /very/long/uri"), 0);
	CHECK_INT(t_m.line_done, 0);
	CHECK_INT(h1_head_too_large(&t_m, 0), 414);
	CHECK_INT(t_m.err_status, 414);
	CHECK_INT(t_m.err_pos, 0);

	CHECK_INT(req("GET / HTTP/1.1\r\nHost: x\r\nCookie: aaaaaaaaa"), 0);
	CHECK_INT(t_m.line_done, 1);
	CHECK_INT(h1_head_too_large(&t_m, 0), 431);
	CHECK_INT(t_m.err_status, 431);

	CHECK_INT(req("GET / HTTP/1.1\r\n"), 0);
	CHECK_INT(h1_head_too_large(&t_m, 0), 431);
	CHECK_INT(req("GET / HTTP/1.1\r"), 0);
	CHECK_INT(h1_head_too_large(&t_m, 0), 414);

	CHECK_INT(rsp("HTTP/1.1 200 OK\r\nA: b"), 0);
	CHECK_INT(h1_head_too_large(&t_m, 1), 502);
	CHECK_INT(rsp("HTTP/1.1 20"), 0);
	CHECK_INT(h1_head_too_large(&t_m, 1), 502);

	CHECK_INT(h1_head_too_large(&m, 0), 414);
	CHECK_INT(parse_nh("", 0, 0, 0, MAXH), 0);
	CHECK_INT(parse_nh("", 0, 1, 0, MAXH), 0);
}

/* An empty buffer may have no storage at all (released to the pool). */
TEST(empty_buffer_without_storage)
{
	struct http_msg m = {.hdrs = t_hdrs, .maxhdrs = MAXH};

	CHECK_INT(h1_parse_head(NULL, 0, &m, 0, 0), 0);
	CHECK_INT(m.line_done, 0);
	CHECK_INT(h1_parse_head(NULL, 0, &m, 1, 1), 0);
}

/* ------------------------------------------------------------------------ */
/* Framing headers                                                          */
/* ------------------------------------------------------------------------ */

TEST(content_length)
{
	CHECK_INT(req("POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n"), 39);
	CHECK_INT(t_m.flags, HMF_VER11 | HMF_CL);
	CHECK_INT(t_m.content_len, 42);
	CHECK_STR(hval("content-length"), "42");

	CHECK_INT(req("POST / HTTP/1.1\r\ncontent-LENGTH:0\r\n\r\n"), 37);
	CHECK_INT(t_m.flags & HMF_CL, HMF_CL);
	CHECK_INT(t_m.content_len, 0);

	/* 18 digits is the most accepted */
	CHECK_INT(req("PUT / HTTP/1.1\r\nContent-Length: 999999999999999999\r\n\r\n"), 54);
	CHECK_INT(t_m.content_len, 999999999999999999ULL);
	CHECK_INT(req("PUT / HTTP/1.1\r\nContent-Length: 000000000000000012\r\n\r\n"), 54);
	CHECK_INT(t_m.content_len, 12);
}

TEST(content_length_refused)
{
	static const char *bad[] = {
	    "",     "abc", "-1",    "+5",  "5 5",
	    "0x10", "5a",  "5;q=1", ",5",  "5,,5",
	    "5, 6", "1e3", "\"5\"", "5.0", "1234567890123456789", /* 19 digits */
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf),
		         "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n\r\n", bad[i]);
		if (req(buf) != -1 || t_m.err_status != 400 || t_m.err_pos != 26) {
			fprintf(stderr,
			        "  Content-Length: \"%s\" not refused (400 at 26): %d %d %ld\n",
			        bad[i], req(buf), t_m.err_status, t_m.err_pos);
			CHECK(0);
		}
	}
}

TEST(content_length_duplicates)
{
	const char *s;

	/* differing values: refused at the second one */
	s = "POST / HTTP/1.1\r\nContent-Length: 5\r\nHost: h\r\nContent-Length: 6\r\n\r\n";
	REFUSED(req, s, 400, pos_of(s, "Content-Length: 6"));

	/* identical values: one header kept */
	s = "POST / HTTP/1.1\r\nContent-Length: 5\r\nHost: h\r\ncontent-length:  5\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_VER11 | HMF_CL);
	CHECK_INT(t_m.content_len, 5);
	CHECK_INT(t_m.nhdrs, 3);
	CHECK_INT(live(&t_m), 2);
	CHECK_INT(http_find_hdr(&t_m, "content-length", 0), 0);
	CHECK_INT(http_find_hdr(&t_m, "content-length", 1), -1);

	/* a list of identical values: one value kept, for the server too */
	s = "POST / HTTP/1.1\r\nContent-Length: 5, 5 ,5\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags & HMF_CL, HMF_CL);
	CHECK_INT(t_m.content_len, 5);
	CHECK_STR(hval("content-length"), "5");
	s = "POST / HTTP/1.1\r\nContent-Length: 5,5\r\nContent-Length: 5\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.content_len, 5);
	CHECK_INT(live(&t_m), 1);
	CHECK_STR(hval("content-length"), "5");
	s = "POST / HTTP/1.1\r\nContent-Length: 12,\t012\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.content_len, 12);
	CHECK_STR(hval("content-length"), "12");
	s = "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5, 7\r\n\r\n";
	REFUSED(req, s, 400, pos_of(s, "Content-Length: 5, 7"));
}

TEST(cl_and_te)
{
	const char *s = "POST / HTTP/1.1\r\nContent-Length: 5\r\nHost: h\r\n"
	                "Transfer-Encoding: chunked\r\n\r\n";

	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_VER11 | HMF_TE | HMF_CHUNKED | HMF_CL_TE);
	CHECK_INT(t_m.nhdrs, 3);
	CHECK_INT(live(&t_m), 2);
	CHECK(hval("content-length") == NULL);
	CHECK_STR(hval("transfer-encoding"), "chunked");
	h1_set_request_body(&t_m);
	CHECK_INT(t_m.body.mode, HB_CHUNKED);

	/* in the other order, and with several CL headers */
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_VER11 | HMF_TE | HMF_CHUNKED | HMF_CL_TE);
	CHECK_INT(live(&t_m), 1);

	/* the same in a response */
	s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
	CHECK_INT(rsp(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_RESP | HMF_VER11 | HMF_TE | HMF_CHUNKED | HMF_CL_TE);
	CHECK(hval("content-length") == NULL);
	h1_set_response_body(&t_m, HTTP_METH_GET);
	CHECK_INT(t_m.body.mode, HB_CHUNKED);
}

TEST(transfer_encoding)
{
	const char *s;

	s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_VER11 | HMF_TE | HMF_CHUNKED);

	s = "POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_VER11 | HMF_TE | HMF_CHUNKED);
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: , \r\n"
	    "Transfer-Encoding: , chunked,\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_VER11 | HMF_TE | HMF_CHUNKED);

	/* responses: any coding, chunked last */
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, br, chunked\r\n\r\n";
	CHECK_INT(rsp(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_RESP | HMF_VER11 | HMF_TE | HMF_CHUNKED | HMF_TE_OTHER);
	s = "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	CHECK_INT(rsp(s), strlen(s));
	CHECK_INT(t_m.flags, HMF_RESP | HMF_TE | HMF_CHUNKED);
}

TEST(transfer_encoding_refused)
{
	const char *s;

	/* chunked not last */
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
	REFUSED(req, s, 400, 17);
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n";
	REFUSED(req, s, 400, pos_of(s, "Transfer-Encoding: gzip"));
	/* chunked twice */
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n";
	REFUSED(req, s, 400, 17);
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: h\r\n"
	    "transfer-encoding: Chunked\r\n\r\n";
	REFUSED(req, s, 400, pos_of(s, "transfer-encoding"));
	/* a request coding other than chunked is not applied by us: 501 when
	 * chunked frames it, 400 when nothing does
	 */
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: foo, chunked\r\n\r\n";
	REFUSED(req, s, 501, 17);
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: gzip , CHUNKED\r\n\r\n";
	REFUSED(req, s, 501, 17);
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: br\r\n\r\n";
	REFUSED(req, s, 400, 17);
	s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked;q=1\r\n\r\n";
	REFUSED(req, s, 400, 17);
}

/* Refusals decided once the whole head is known point at the header that
 * makes the message unframeable.
 */
TEST(transfer_encoding_refused_at_end)
{
	const char *s;

	/* a response body not ending with chunked has no framing to trust */
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, br\r\n\r\n";
	REFUSED(rsp, s, 502, 17);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n";
	REFUSED(rsp, s, 502, 36);

	/* no chunked at all */
	s = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n";
	REFUSED(req, s, 400, 26);
	s = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\nA: b\r\n\r\n";
	REFUSED(req, s, 400, 26);
	s = "\r\nPOST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: x-gzip\r\n\r\n";
	REFUSED(req, s, 400, 19);
	/* HTTP/1.0 has no transfer codings */
	s = "POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
	REFUSED(req, s, 400, 26);
	s = "POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n";
	REFUSED(req, s, 400, 26);
}

/* ------------------------------------------------------------------------ */
/* Refused heads                                                            */
/* ------------------------------------------------------------------------ */

TEST(nul_bytes)
{
	static const struct {
		const char *s;
		size_t n;
		long pos;
	} t[] = {
	    {"G\0T / HTTP/1.1\r\n\r\n", 18, 1},
	    {"GET /a\0b HTTP/1.1\r\n\r\n", 21, 6},
	    {"GET / HTTP/1.\0\r\n\r\n", 18, 6},
	    {"GET / HTTP/1.1\r\nHo\0st: x\r\n\r\n", 28, 18},
	    {"GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29, 23},
	    {"GET / HTTP/1.1\r\nHost: ab\0\r\n\r\n", 29, 24},
	    {"GET / HTTP/1.1\r\n\0Host: ab\r\n\r\n", 29, 16},
	    {"\0GET / HTTP/1.1\r\n\r\n", 19, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (int lenient = 0; lenient < 2; lenient++) {
			CHECK_INT(parse_nh(t[i].s, t[i].n, 0, lenient, MAXH), -1);
			CHECK_INT(t_m.err_status, 400);
			CHECK_INT(t_m.err_pos, t[i].pos);
		}
	}
}

TEST(bare_cr)
{
	REFUSED(req, "GET /a\rb HTTP/1.1\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/1.1\r\r\n\r\n", 400, 14);
	REFUSED(req, "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400, 20);
	REFUSED(req, "GET / HTTP/1.1\r\nA: bc\r\r\n\r\n", 400, 21);
	REFUSED(req, "GET / HTTP/1.1\r\nA: bc\r\n\rX\r\n", 400, 23);
	REFUSED(req, "GET / HTTP/1.1\r\nA: bc\r\n\r\r\n", 400, 23);
	/* known as soon as the byte after the CR is there */
	REFUSED(req, "GET / HTTP/1.1\r\nA: b\rc", 400, 20);
	REFUSED(req, "GET /\rx", 400, 5);
	REFUSED(rsp, "HTTP/1.1 200 O\rK\r\n\r\n", 502, 14);
}

TEST(obs_fold)
{
	REFUSED(req, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, 22);
	REFUSED(req, "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", 400, 22);
	/* whitespace before the first header line */
	REFUSED(req, "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400, 16);
	/* and before a colon */
	REFUSED(req, "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, 20);
	REFUSED(req, "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400, 20);
	/* lenient parsing drops the whitespace before the colon: the header is
	 * the one its name says, framing included, so the server that gets it
	 * without the space reads the same message; a fold is still refused
	 */
	CHECK_INT(req_lenient("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 28);
	CHECK_STR(S(t_m.hdrs[0].n), "Host");
	CHECK_STR(hval("host"), "x");
	CHECK_INT(req_lenient("POST / HTTP/1.1\r\nContent-Length\t: 5\r\n\r\n"), 39);
	CHECK(t_m.flags & HMF_CL);
	CHECK(t_m.content_len == 5);
	REFUSED(req_lenient, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, 22);
}

TEST(header_names)
{
	static const char *bad = "\"(),/;<=>?@[\\]{}\x01\x7f\x80\xff";
	char buf[128];

	for (const char *c = bad; *c; c++) {
		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX-A%cb: v\r\n\r\n", *c);
		REFUSED(req, buf, 400, 19);
		/* lenient parsing accepts visible characters and obs-text */
		int ok = (unsigned char)*c > 0x20 && *c != 0x7f;
		CHECK_INT(req_lenient(buf), ok ? (int)strlen(buf) : -1);
		if (ok) {
			CHECK_INT(t_m.hdrs[0].n.len, 5);
			CHECK_STR(S(t_m.hdrs[0].v), "v");
		}
	}
	/* no colon, empty name, a colon in the value is fine */
	REFUSED(req, "GET / HTTP/1.1\r\nHost x\r\n\r\n", 400, 20);
	REFUSED(req, "GET / HTTP/1.1\r\nHost\r\n\r\n", 400, 20);
	REFUSED(req, "GET / HTTP/1.1\r\n: x\r\n\r\n", 400, 16);
	CHECK_INT(req("GET / HTTP/1.1\r\nHost: a:b::\r\n\r\n"), 31);
	CHECK_STR(hval("host"), "a:b::");
}

TEST(header_values)
{
	REFUSED(req, "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400, 20);
	REFUSED(req, "GET / HTTP/1.1\r\nA: b\x1f\r\n\r\n", 400, 20);
	REFUSED(req, "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", 400, 20);
	REFUSED(req, "GET / HTTP/1.1\r\nA: \x0b\r\n\r\n", 400, 19);
	/* lenient parsing does not relax values */
	REFUSED(req_lenient, "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400, 20);
}

TEST(too_many_headers)
{
	const char *s = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";

	CHECK_INT(parse_nh(s, strlen(s), 0, 0, 3), strlen(s));
	CHECK_INT(t_m.nhdrs, 3);
	CHECK_INT(parse_nh(s, strlen(s), 0, 0, 2), -1);
	CHECK_INT(t_m.err_status, 400);
	CHECK_INT(t_m.err_pos, pos_of(s, "C: 3"));
	CHECK_INT(t_m.nhdrs, 2);
	CHECK_INT(parse_nh(s, strlen(s), 0, 0, 0), -1);
	CHECK_INT(t_m.err_pos, 16);
	CHECK_INT(parse_nh("GET / HTTP/1.1\r\n\r\n", 18, 0, 0, 0), 18);
}

TEST(request_line_refused)
{
	/* versions */
	REFUSED(req, "GET / HTTP/2.0\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/0.9\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/1.10\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/1\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/1.\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/1.x\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/x.1\r\n\r\n", 400, 6);
	REFUSED(req, "GET / http/1.1\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTPS/1.1\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/1.1 \r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/11.1\r\n\r\n", 400, 6);
	REFUSED(req, "GET / HTTP/1,1\r\n\r\n", 400, 6);
	/* HTTP/0.9 style lines */
	REFUSED(req, "GET /\r\n\r\n", 400, 5);
	REFUSED(req, "GET /\r\n", 400, 5);
	REFUSED(req, "GET / \r\n\r\n", 400, 6);
	REFUSED(req, "GET\r\n\r\n", 400, 3);
	/* separators */
	REFUSED(req, "GET  / HTTP/1.1\r\n\r\n", 400, 4);
	REFUSED(req, "GET /  HTTP/1.1\r\n\r\n", 400, 6);
	REFUSED(req, "GET\t/ HTTP/1.1\r\n\r\n", 400, 3);
	REFUSED(req, "GET /\tHTTP/1.1\r\n\r\n", 400, 5);
	REFUSED(req, " GET / HTTP/1.1\r\n\r\n", 400, 0);
	REFUSED(req, "G(T / HTTP/1.1\r\n\r\n", 400, 1);
	REFUSED(req, "GET / HTTP/1.1 extra\r\n\r\n", 400, 6);
	/* request-target characters */
	REFUSED(req, "GET /\x7f HTTP/1.1\r\n\r\n", 400, 5);
	REFUSED(req, "GET /\x01 HTTP/1.1\r\n\r\n", 400, 5);
	REFUSED(req, "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400, 8);
	CHECK_INT(req_lenient("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"), 23);
	CHECK_STR(S(t_m.uri), "/caf\xc3\xa9");
	REFUSED(req_lenient, "GET /\x7f HTTP/1.1\r\n\r\n", 400, 5);
	REFUSED(req_lenient, "GET /\x01 HTTP/1.1\r\n\r\n", 400, 5);
	/* an empty line ends the leading empty lines, not the request */
	REFUSED(req, "\r\n \r\nGET / HTTP/1.1\r\n\r\n", 400, 2);
}

/* ------------------------------------------------------------------------ */
/* Body framing                                                             */
/* ------------------------------------------------------------------------ */

TEST(request_body_mode)
{
	CHECK_INT(req("GET / HTTP/1.1\r\n\r\n"), 18);
	t_m.body.left = 7;
	h1_set_request_body(&t_m);
	CHECK_INT(t_m.body.mode, HB_NONE);
	CHECK_INT(t_m.body.done, 1);
	CHECK_INT(t_m.body.left, 0);

	CHECK_INT(req("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 38);
	h1_set_request_body(&t_m);
	CHECK_INT(t_m.body.mode, HB_NONE);
	CHECK_INT(t_m.body.done, 1);

	CHECK_INT(req("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n"), 39);
	h1_set_request_body(&t_m);
	CHECK_INT(t_m.body.mode, HB_CL);
	CHECK_INT(t_m.body.left, 12);
	CHECK_INT(t_m.body.done, 0);

	CHECK_INT(req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 47);
	h1_set_request_body(&t_m);
	CHECK_INT(t_m.body.mode, HB_CHUNKED);
	CHECK_INT(t_m.body.done, 0);
	CHECK_INT(t_m.body.cstate, 0);
	CHECK_INT(t_m.body.total, 0);
}

/* Response body mode for the head <s> answering <meth>. */
static int rmode(const char *s, enum http_meth meth)
{
	if (rsp(s) != (int)strlen(s))
		return -1;
	memset(&t_m.body, 0x55, sizeof(t_m.body));
	h1_set_response_body(&t_m, meth);
	if (t_m.body.total != 0 || t_m.body.cstate != 0)
		return -2;
	if (t_m.body.done != (t_m.body.mode == HB_NONE))
		return -3;
	return t_m.body.mode;
}

TEST(response_body_mode)
{
	const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
	const char *ch = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	const char *none = "HTTP/1.1 200 OK\r\n\r\n";

	CHECK_INT(rmode(cl, HTTP_METH_GET), HB_CL);
	CHECK_INT(t_m.body.left, 10);
	CHECK_INT(rmode(ch, HTTP_METH_POST), HB_CHUNKED);
	CHECK_INT(rmode(none, HTTP_METH_GET), HB_CLOSE);
	CHECK_INT(rmode("HTTP/1.0 200 OK\r\n\r\n", HTTP_METH_GET), HB_CLOSE);
	CHECK_INT(rmode("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HTTP_METH_GET), HB_NONE);

	/* HEAD: never a body, whatever the framing headers say */
	CHECK_INT(rmode(cl, HTTP_METH_HEAD), HB_NONE);
	CHECK_INT(rmode(ch, HTTP_METH_HEAD), HB_NONE);
	CHECK_INT(rmode(none, HTTP_METH_HEAD), HB_NONE);

	/* 1xx, 204, 304 */
	CHECK_INT(rmode("HTTP/1.1 100 Continue\r\n\r\n", HTTP_METH_POST), HB_NONE);
	CHECK_INT(rmode("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n", HTTP_METH_GET),
	          HB_NONE);
	CHECK_INT(rmode("HTTP/1.1 199\r\nContent-Length: 3\r\n\r\n", HTTP_METH_GET), HB_NONE);
	CHECK_INT(rmode("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", HTTP_METH_GET),
	          HB_NONE);
	CHECK_INT(
	    rmode("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_METH_GET),
	    HB_NONE);
	CHECK_INT(rmode("HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n", HTTP_METH_GET),
	          HB_NONE);

	/* tunnels: 101, and 2xx to CONNECT */
	CHECK_INT(rmode("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	                "Connection: Upgrade\r\n\r\n",
	                HTTP_METH_GET),
	          HB_TUNNEL);
	CHECK_INT(rmode("HTTP/1.1 200 Connection established\r\n\r\n", HTTP_METH_CONNECT),
	          HB_TUNNEL);
	CHECK_INT(rmode(cl, HTTP_METH_CONNECT), HB_TUNNEL);
	CHECK_INT(rmode("HTTP/1.1 299 X\r\n\r\n", HTTP_METH_CONNECT), HB_TUNNEL);
	CHECK_INT(rmode("HTTP/1.1 204\r\n\r\n", HTTP_METH_CONNECT), HB_TUNNEL);
	/* a refused CONNECT has an ordinary body */
	CHECK_INT(rmode("HTTP/1.1 407 Auth\r\nContent-Length: 4\r\n\r\n", HTTP_METH_CONNECT),
	          HB_CL);
	CHECK_INT(rmode("HTTP/1.1 300 X\r\n\r\n", HTTP_METH_CONNECT), HB_CLOSE);
	CHECK_INT(rmode("HTTP/1.1 100 Continue\r\n\r\n", HTTP_METH_CONNECT), HB_NONE);
}

/* ------------------------------------------------------------------------ */
/* Body scanner                                                             */
/* ------------------------------------------------------------------------ */

static struct http_body mkbody(enum http_body_mode mode, uint64_t left)
{
	struct http_body b;

	memset(&b, 0, sizeof(b));
	b.mode = mode;
	b.left = left;
	return b;
}

/* Scans <n> bytes of <s> from an exactly sized heap copy. */
static long scan_n(struct http_body *b, const char *s, size_t n)
{
	char *c = malloc(n ? n : 1);
	long r;

	memcpy(c, s, n);
	r = h1_body_scan(b, c, n);
	free(c);
	return r;
}

static long scan(struct http_body *b, const char *s)
{
	return scan_n(b, s, strlen(s));
}

/* The result of scanning a whole body in pieces. */
struct scan_res {
	long consumed; /* bytes consumed before the end or the error */
	int done;
	long err_at; /* absolute offset of the error, or -1 */
	uint64_t total;
};

/* Scans the <n> bytes of <s> in a chunked (<mode>) body, in pieces whose
 * sizes come from <next>(<state>), checking the per-call invariants.
 */
static struct scan_res scan_pieces(enum http_body_mode mode, uint64_t left, const char *s, size_t n,
                                   size_t (*next)(unsigned *), unsigned state)
{
	struct http_body b = mkbody(mode, left);
	struct scan_res r = {0, 0, -1, 0};
	size_t at = 0;

	while (at < n) {
		size_t k = next(&state);
		if (k > n - at)
			k = n - at;
		int was_done = b.done;
		long c = scan_n(&b, s + at, k);
		if (c < 0) {
			CHECK(b.err_pos >= 0 && (size_t)b.err_pos < k);
			r.err_at = (long)at + b.err_pos;
			break;
		}
		CHECK(c <= (long)k);
		if (was_done)
			CHECK_INT(c, 0);
		r.consumed += c;
		if (b.done || (size_t)c < k) {
			/* done, and nothing more is ever consumed */
			CHECK_INT(b.done, 1);
			CHECK_INT(scan_n(&b, s + at + c, n - at - c), 0);
			break;
		}
		at += k;
	}
	r.done = b.done;
	r.total = b.total;
	return r;
}

static size_t one(unsigned *st)
{
	(void)st;
	return 1;
}

static size_t all(unsigned *st)
{
	(void)st;
	return (size_t)-1;
}

static size_t rnd(unsigned *st)
{
	*st = *st * 1103515245u + 12345u;
	unsigned x = (*st >> 16) & 0x7fff;
	return x % 4 == 0 ? 0 : 1 + x % 13; /* empty pieces too */
}

/* First call: the first <*st> bytes, then everything. */
static size_t two(unsigned *st)
{
	size_t k = *st;
	*st = (unsigned)-1;
	return k;
}

/* Same outcome; after an error, only where it is matters (the bytes that the
 * failing call had accepted are not reported).
 */
static int same(struct scan_res a, struct scan_res b)
{
	if (a.err_at >= 0 || b.err_at >= 0)
		return a.err_at == b.err_at;
	return a.consumed == b.consumed && a.done == b.done && a.total == b.total;
}

/* Checks that scanning <s> gives <consumed>/<done>/<err_at> in one piece,
 * byte by byte, split in two at every offset and in random pieces.
 */
static void check_splits(enum http_body_mode mode, uint64_t left, const char *s, long consumed,
                         int done, long err_at)
{
	size_t n = strlen(s);
	struct scan_res whole = scan_pieces(mode, left, s, n, all, 0);
	struct scan_res r;

	if (whole.consumed != consumed || whole.done != done || whole.err_at != err_at ||
	    (err_at < 0 && whole.total != (uint64_t)consumed)) {
		fprintf(stderr, "  \"%s\": consumed %ld done %d err_at %ld, expected %ld %d %ld\n",
		        s, whole.consumed, whole.done, whole.err_at, consumed, done, err_at);
		CHECK(0);
	}
	r = scan_pieces(mode, left, s, n, one, 0);
	if (!same(r, whole)) {
		fprintf(stderr, "  \"%s\" byte by byte: %ld %d %ld\n", s, r.consumed, r.done,
		        r.err_at);
		CHECK(0);
	}
	for (unsigned i = 0; i <= n; i++) {
		r = scan_pieces(mode, left, s, n, two, i);
		if (!same(r, whole)) {
			fprintf(stderr, "  \"%s\" split at %u: %ld %d %ld\n", s, i, r.consumed,
			        r.done, r.err_at);
			CHECK(0);
		}
	}
	for (unsigned seed = 1; seed <= 200; seed++) {
		r = scan_pieces(mode, left, s, n, rnd, seed);
		if (!same(r, whole)) {
			fprintf(stderr, "  \"%s\" random %u: %ld %d %ld\n", s, seed, r.consumed,
			        r.done, r.err_at);
			CHECK(0);
		}
	}
}

TEST(body_cl)
{
	struct http_body b = mkbody(HB_CL, 10);

	CHECK_INT(scan(&b, "abc"), 3);
	CHECK_INT(b.left, 7);
	CHECK_INT(b.done, 0);
	CHECK_INT(scan(&b, ""), 0);
	CHECK_INT(b.done, 0);
	CHECK_INT(scan(&b, "defg"), 4);
	CHECK_INT(b.done, 0);
	CHECK_INT(scan(&b, "hijGET / HTTP/1.1\r\n"), 3);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.left, 0);
	CHECK_INT(b.total, 10);
	CHECK_INT(scan(&b, "more"), 0);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.total, 10);

	check_splits(HB_CL, 5, "hello", 5, 1, -1);
	check_splits(HB_CL, 5, "hellohello", 5, 1, -1);
	check_splits(HB_CL, 50, "hello", 5, 0, -1);

	/* a big length */
	b = mkbody(HB_CL, 999999999999999999ULL);
	CHECK_INT(scan(&b, "abc"), 3);
	CHECK_INT(b.left, 999999999999999996ULL);
}

TEST(body_none_close_tunnel)
{
	struct http_body b = mkbody(HB_NONE, 0);

	CHECK_INT(scan(&b, "GET / HTTP/1.1\r\n\r\n"), 0);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.total, 0);

	for (int mode = HB_CLOSE; mode <= HB_TUNNEL; mode++) {
		b = mkbody(mode, 0);
		CHECK_INT(scan(&b, "abc"), 3);
		CHECK_INT(scan(&b, "\r\n0\r\n\r\n"), 7);
		CHECK_INT(scan(&b, ""), 0);
		CHECK_INT(b.done, 0);
		CHECK_INT(b.total, 10);
	}
}

TEST(body_chunked)
{
	struct http_body b = mkbody(HB_CHUNKED, 0);
	const char *s;

	s = "5\r\nhello\r\n0\r\n\r\n";
	CHECK_INT(scan(&b, s), strlen(s));
	CHECK_INT(b.done, 1);
	CHECK_INT(b.total, strlen(s));
	CHECK_INT(scan(&b, "0\r\n\r\n"), 0);
	CHECK_INT(b.done, 1);

	/* across calls, with the state kept */
	b = mkbody(HB_CHUNKED, 0);
	CHECK_INT(scan(&b, "1"), 1);
	CHECK_INT(scan(&b, "0\r"), 2);
	CHECK_INT(scan(&b, "\n0123456789abc"), 14);
	CHECK_INT(b.left, 3);
	CHECK_INT(scan(&b, "def\r\n0\r\n"), 8);
	CHECK_INT(b.done, 0);
	CHECK_INT(scan(&b, "\r"), 1);
	CHECK_INT(b.done, 0);
	CHECK_INT(scan(&b, "\nNEXT"), 1);
	CHECK_INT(b.done, 1);
	CHECK_INT(b.total, 27);

	check_splits(HB_CHUNKED, 0, "5\r\nhello\r\n0\r\n\r\n", 15, 1, -1);
	check_splits(HB_CHUNKED, 0, "0\r\n\r\n", 5, 1, -1);
	/* upper and lower case hex, leading zeros */
	check_splits(HB_CHUNKED, 0, "A\r\n0123456789\r\nb\r\n0123456789a\r\n000\r\n\r\n", 38, 1,
	             -1);
	check_splits(HB_CHUNKED, 0, "000000000000001\r\nx\r\n0\r\n\r\n", 25, 1, -1);
	/* chunk data is opaque */
	check_splits(HB_CHUNKED, 0, "6\r\n\r\n0\r\n\r\r\n0\r\n\r\n", 16, 1, -1);
	/* incomplete */
	check_splits(HB_CHUNKED, 0, "10\r\nhello", 9, 0, -1);
	check_splits(HB_CHUNKED, 0, "5\r\nhello\r\n0\r\n", 13, 0, -1);
	check_splits(HB_CHUNKED, 0, "5\r\nhello\r\n0\r\nX-T: 1\r\n", 21, 0, -1);
}

TEST(body_chunked_extensions)
{
	check_splits(HB_CHUNKED, 0, "5;name=value\r\nhello\r\n0;last\r\n\r\n", 31, 1, -1);
	check_splits(HB_CHUNKED, 0, "5 ;a=\"b c\";d\r\nhello\r\n0\t\r\n\r\n", 27, 1, -1);
	check_splits(HB_CHUNKED, 0, "5\t \t;x\r\nhello\r\n0 \r\n\r\n", 21, 1, -1);
	check_splits(HB_CHUNKED, 0, "5;\xe9\r\nhello\r\n0;\r\n\r\n", 18, 1, -1);
}

TEST(body_chunked_trailers)
{
	const char *s = "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nExpires: Wed, 21 Oct\t2015\r\n\r\n";

	check_splits(HB_CHUNKED, 0, s, (long)strlen(s), 1, -1);
	check_splits(HB_CHUNKED, 0, "0\r\nA:\r\n\r\n", 9, 1, -1);
	check_splits(HB_CHUNKED, 0, "0\r\nX-A: \xe9\xff\r\n\r\n", 14, 1, -1);
}

TEST(body_chunked_pipelining)
{
	const char *s = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	struct http_body b = mkbody(HB_CHUNKED, 0);

	CHECK_INT(scan(&b, s), 13);
	CHECK_INT(b.done, 1);
	check_splits(HB_CHUNKED, 0, s, 13, 1, -1);
	/* garbage after the end is not looked at */
	check_splits(HB_CHUNKED, 0, "0\r\n\r\n\0\r\rzz", 5, 1, -1);
	check_splits(HB_CHUNKED, 0, "0\r\nT: 1\r\n\r\n0\r\n\r\n", 11, 1, -1);
	check_splits(HB_CL, 3, "abcGET / HTTP/1.1\r\n\r\n", 3, 1, -1);
}

TEST(body_chunked_invalid)
{
	static const struct {
		const char *s;
		long err_at;
	} t[] = {
	    {"g\r\nhello\r\n0\r\n\r\n", 0},
	    {"\r\n", 0},
	    {" 5\r\nhello\r\n", 0},
	    {";x\r\n", 0},
	    {"-5\r\n", 0},
	    {"0x5\r\nhello\r\n", 1},
	    {"5x\r\nhello\r\n", 1},
	    {"5 5\r\nhello\r\n", 2},
	    {"5\r\nhelloX\r\n0\r\n\r\n", 8},
	    {"5\r\nhello\rX", 9},
	    {"5\r\nhello0\r\n\r\n", 8},
	    {"5\r\nhello\n0\r\n\r\n", 8},
	    {"5\nhello\r\n", 1},
	    {"5\r\rhello\r\n", 2},
	    {"5;a\nhello\r\n", 3},
	    {"5;a\x01\r\nhello\r\n", 3},
	    {"5;a\x7f\r\n", 3},
	    {"0\r\n\n", 3},
	    {"0\r\n\rX", 4},
	    {"0\r\nX: 1\n\r\n", 7},
	    {"0\r\nX: 1\rY\r\n\r\n", 8},
	    {"0\r\n X: 1\r\n\r\n", 3},
	    {"0\r\n:1\r\n\r\n", 3},
	    {"0\r\nX: \x01\r\n\r\n", 6},
	    {"0\r\nX\x7f: 1\r\n\r\n", 4},
	    {"1234567890abcdef\r\n", 15}, /* 16 digits */
	    {"0000000000000000\r\n", 15},
	    {"3\r\nabc\r\n\r\n", 8},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct scan_res r = scan_pieces(HB_CHUNKED, 0, t[i].s, strlen(t[i].s), all, 0);
		if (r.err_at != t[i].err_at) {
			fprintf(stderr, "  \"%s\": error at %ld, expected %ld\n", t[i].s, r.err_at,
			        t[i].err_at);
			CHECK(0);
		}
		check_splits(HB_CHUNKED, 0, t[i].s, r.consumed, 0, t[i].err_at);
	}

	/* err_pos is an offset in the buffer of the failing call */
	struct http_body b = mkbody(HB_CHUNKED, 0);
	CHECK_INT(scan(&b, "5\r\nhel"), 6);
	CHECK_INT(scan(&b, "lo\r\nZ"), -1);
	CHECK_INT(b.err_pos, 4);
	CHECK_INT(b.total, 6);
}

/* ------------------------------------------------------------------------ */
/* Head writer                                                              */
/* ------------------------------------------------------------------------ */

/* Writes t_m into a heap buffer of exactly <room> bytes; returns the result
 * and copies the output (NUL-terminated) to <out>.
 */
static long write_n(size_t room, char *out, h1_case_fn fn, const void *map)
{
	char *buf = malloc(room ? room : 1);
	long n = h1_write_head(&t_m, buf, room, fn, map);

	if (n >= 0) {
		memcpy(out, buf, (size_t)n);
		out[n] = 0;
	}
	free(buf);
	return n;
}

/* Writes t_m and checks the output is <expect>, that every smaller room is
 * refused and that parsing the output again gives the same message.
 */
static void check_write(const char *expect, h1_case_fn fn, const void *map)
{
	static char out[4096], out2[4096];
	size_t n = strlen(expect);
	struct http_hdr h1[MAXH];
	struct http_msg m1 = t_m;
	char *keep = t_copy;

	CHECK_INT(write_n(4096, out, fn, map), n);
	CHECK_STR(out, expect);
	CHECK_INT(write_n(n, out2, fn, map), n);
	for (size_t room = 0; room < n; room++)
		if (write_n(room, out2, fn, map) != -1) {
			fprintf(stderr, "  room %zu of %zu accepted\n", room, n);
			CHECK(0);
		}

	/* parse it again: same message, all headers live */
	memcpy(h1, t_hdrs, sizeof(h1));
	m1.hdrs = h1;
	t_copy = NULL;
	CHECK_INT(parse_nh(out, n, (m1.flags & HMF_RESP) != 0, 0, MAXH), n);
	CHECK_INT(t_m.flags, m1.flags & ~HMF_CL_TE);
	CHECK_INT(t_m.meth, m1.meth);
	CHECK_STR(S(t_m.meth_s), S(m1.meth_s));
	CHECK_STR(S(t_m.uri), S(m1.uri));
	CHECK_INT(t_m.status, m1.status);
	CHECK_STR(S(t_m.reason), S(m1.reason));
	CHECK_INT(t_m.vmaj, m1.vmaj);
	CHECK_INT(t_m.vmin, m1.vmin > 1 ? 1 : m1.vmin);
	if (m1.flags & HMF_CL)
		CHECK_INT(t_m.content_len, m1.content_len);
	CHECK_INT(t_m.nhdrs, live(&m1));
	CHECK_INT(live(&t_m), t_m.nhdrs);
	for (int i = 0, j = 0; i < m1.nhdrs; i++) {
		if (!m1.hdrs[i].n.len)
			continue;
		CHECK(t_m.hdrs[j].n.len == m1.hdrs[i].n.len &&
		      strncasecmp(t_m.hdrs[j].n.p, m1.hdrs[i].n.p, m1.hdrs[i].n.len) == 0);
		CHECK_STR(S(t_m.hdrs[j].v), S(m1.hdrs[i].v));
		j++;
	}
	/* and writing that gives the same bytes */
	CHECK_INT(write_n(4096, out2, fn, map), n);
	CHECK_STR(out2, expect);
	free(keep);
}

TEST(write_request)
{
	const char *s = "\r\nPOST /a?b HTTP/1.1\nHost:  example.com \r\nX-Mixed-CASE:a b\n"
	                "CONTENT-LENGTH: 3\r\nEmpty:\r\n\r\nabc";

	CHECK_INT(req(s), strlen(s) - 3);
	check_write("POST /a?b HTTP/1.1\r\nhost: example.com\r\nx-mixed-case: a b\r\n"
	            "content-length: 3\r\nempty: \r\n\r\n",
	            NULL, NULL);

	CHECK_INT(req("GET * HTTP/1.0\r\n\r\n"), 18);
	check_write("GET * HTTP/1.0\r\n\r\n", NULL, NULL);

	/* a later 1.x version goes out as 1.1 */
	CHECK_INT(req("GET / HTTP/1.9\r\n\r\n"), 18);
	check_write("GET / HTTP/1.1\r\n\r\n", NULL, NULL);
	CHECK_INT(rsp("HTTP/1.2 200 OK\r\n\r\n"), 19);
	check_write("HTTP/1.1 200 OK\r\n\r\n", NULL, NULL);
}

TEST(write_response)
{
	CHECK_INT(rsp("HTTP/1.0 404 Not  Found\r\nServer: X\r\n\r\n"), 38);
	check_write("HTTP/1.0 404 Not  Found\r\nserver: X\r\n\r\n", NULL, NULL);

	CHECK_INT(rsp("HTTP/1.1 204\n\n"), 14);
	check_write("HTTP/1.1 204 \r\n\r\n", NULL, NULL);

	CHECK_INT(rsp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
	              "Connection: Upgrade\r\n\r\n"),
	          77);
	check_write("HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
	            "connection: Upgrade\r\n\r\n",
	            NULL, NULL);
}

TEST(write_deleted_and_added)
{
	const char *s = "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=b\r\nX-Del: 1\r\nAccept: */*\r\n"
	                "x-del: 2\r\n\r\n";

	CHECK_INT(req(s), strlen(s));
	CHECK_INT(http_del_hdr(&t_m, "x-del"), 2);
	CHECK_INT(http_del_hdr(&t_m, "x-del"), 0);
	CHECK_INT(
	    http_add_hdr(&t_m, (struct ist){"X-Forwarded-For", 15}, (struct ist){"192.0.2.1", 9}),
	    0);
	CHECK_INT(t_m.nhdrs, 6);
	check_write("GET / HTTP/1.1\r\nhost: h\r\ncookie: a=b\r\naccept: */*\r\n"
	            "x-forwarded-for: 192.0.2.1\r\n\r\n",
	            NULL, NULL);

	/* duplicate CL and CL+TE: the dropped headers are not written */
	s = "POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	check_write("POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\n", NULL, NULL);
	s = "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	check_write("POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n", NULL, NULL);
	s = "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\n";
	CHECK_INT(req(s), strlen(s));
	check_write("POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\n", NULL, NULL);

	/* every slot full */
	CHECK_INT(parse_nh("GET / HTTP/1.1\r\nA: 1\r\n\r\n", 24, 0, 0, 1), 24);
	CHECK_INT(http_add_hdr(&t_m, (struct ist){"B", 1}, (struct ist){"2", 1}), -1);
	CHECK_INT(t_m.nhdrs, 1);
}

/* A message built from scratch: empty slices may have no storage. */
TEST(write_built_message)
{
	struct http_hdr h[2];
	struct http_msg m = {.flags = HMF_RESP, .vmaj = 1, .vmin = 1, .status = 503};
	char out[64];

	m.hdrs = h;
	m.maxhdrs = 2;
	CHECK_INT(http_add_hdr(&m, (struct ist){"Retry-After", 11}, (struct ist){NULL, 0}), 0);
	CHECK_INT(h1_write_head(&m, out, sizeof(out), NULL, NULL), 32);
	CHECK(memcmp(out, "HTTP/1.1 503 \r\nretry-after: \r\n\r\n", 32) == 0);
}

/* A case map: a list of "lower\0Spelling\0" pairs ended by an empty name. */
static int t_case_calls;
static const char *case_fn(const void *map, const char *lname, size_t len)
{
	t_case_calls++;
	for (const char *p = map; *p; p += 2 * (strlen(p) + 1)) {
		/* the writer passes the name in lower case */
		for (size_t i = 0; i < len; i++)
			if (lname[i] >= 'A' && lname[i] <= 'Z')
				return "BAD";
		if (strlen(p) == len && memcmp(p, lname, len) == 0)
			return p + len + 1;
	}
	return NULL;
}

TEST(write_case_map)
{
	static const char map[] = "host\0Host\0x-custom-id\0X-CUSTOM-Id\0www-authenticate\0"
	                          "WWW-Authenticate\0";
	const char *s = "GET / HTTP/1.1\r\nHOST: h\r\nx-Custom-ID: 7\r\nAccept: x\r\n\r\n";

	CHECK_INT(req(s), strlen(s));
	t_case_calls = 0;
	check_write("GET / HTTP/1.1\r\nHost: h\r\nX-CUSTOM-Id: 7\r\naccept: x\r\n\r\n", case_fn,
	            map);
	CHECK(t_case_calls >= 3);

	CHECK_INT(rsp("HTTP/1.1 401 No\r\nwww-authenticate: Basic\r\n\r\n"), 44);
	check_write("HTTP/1.1 401 No\r\nWWW-Authenticate: Basic\r\n\r\n", case_fn, map);

	/* names longer than the writer's buffer for them go out in lower case */
	char buf[600], expect[600], name[300];
	memset(name, 'N', 299);
	name[299] = 0;
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n%s: v\r\nHost: h\r\n\r\n", name);
	for (int i = 0; i < 299; i++)
		name[i] = 'n';
	snprintf(expect, sizeof(expect), "GET / HTTP/1.1\r\n%s: v\r\nHost: h\r\n\r\n", name);
	CHECK_INT(req(buf), strlen(buf));
	t_case_calls = 0;
	check_write(expect, case_fn, map);
	CHECK(t_case_calls >= 1);
}

TEST_MAIN()
