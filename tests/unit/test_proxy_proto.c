/* Unit tests for worker/proxy-proto.c: PROXY protocol v1/v2 parsing and
 * building. Every parse goes through an exactly sized heap copy so that the
 * sanitizer builds catch any read past the given length.
 */
#include "worker/proxy-proto.h"
#include "tests/unit/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/un.h>

#define SIG "\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"
#define SIGLEN 12

static struct pp_info t_info;
static size_t t_used;

/* Parses the <n> bytes of <buf> from an exactly sized heap copy, into
 * t_info / t_used.
 */
static enum pp_status parse_n(const void *buf, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	enum pp_status st;

	memcpy(copy, buf, n);
	t_used = (size_t)-1;
	st = pp_parse(copy, n, &t_info, &t_used);
	free(copy);
	return st;
}

static enum pp_status parse_s(const char *s)
{
	return parse_n(s, strlen(s));
}

/* Returns true if every proper prefix of <buf>/<n> needs more data and the
 * whole of it is a complete header of exactly <n> bytes.
 */
static bool feeds_bytewise(const void *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (parse_n(buf, i) != PP_NEED_MORE) {
			fprintf(stderr, "  prefix of %zu/%zu bytes not NEED_MORE\n", i, n);
			return false;
		}
	}
	return parse_n(buf, n) == PP_DONE && t_used == n;
}

static struct sockaddr_storage mk4(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &s->sin_addr);
	s->sin_port = htons((uint16_t)port);
	return ss;
}

static struct sockaddr_storage mk6(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &s->sin6_addr);
	s->sin6_port = htons((uint16_t)port);
	return ss;
}

/* Formats an inet address as "ip:port" ("[ip]:port" for IPv6), "unspec" or
 * "family N". Uses one of two static buffers so two calls may be compared.
 */
static const char *fmt(const struct sockaddr_storage *ss)
{
	static char bufs[2][80];
	static int which;
	char *b = bufs[which++ & 1], ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(b, 80, "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(b, 80, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else if (ss->ss_family == AF_UNSPEC) {
		snprintf(b, 80, "unspec");
	} else {
		snprintf(b, 80, "family %d", ss->ss_family);
	}
	return b;
}

/* Builds a v2 header by hand: signature, <vc>, <fam>, length <l>, then the
 * <n> body bytes of <body>. Returns the total size written to <out>.
 */
static size_t v2_raw(uint8_t *out, uint8_t vc, uint8_t fam, unsigned l, const void *body, size_t n)
{
	memcpy(out, SIG, SIGLEN);
	out[12] = vc;
	out[13] = fam;
	out[14] = (uint8_t)(l >> 8);
	out[15] = (uint8_t)l;
	memcpy(out + 16, body, n);
	return 16 + n;
}

/* ------------------------------------------------------------------------ */
/* Version 1                                                                */
/* ------------------------------------------------------------------------ */

TEST(v1_tcp4_roundtrip)
{
	struct sockaddr_storage s = mk4("192.168.0.1", 56324), d = mk4("192.168.0.11", 443);
	char line[108];
	size_t n = pp_build_v1(&s, &d, line, sizeof(line));

	CHECK_STR(line, "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
	CHECK_INT(n, strlen(line));
	CHECK_INT(parse_s(line), PP_DONE);
	CHECK_INT(t_used, n);
	CHECK_INT(t_info.version, 1);
	CHECK_INT(t_info.local, 0);
	CHECK_STR(fmt(&t_info.src), "192.168.0.1:56324");
	CHECK_STR(fmt(&t_info.dst), "192.168.0.11:443");
	CHECK_INT(t_info.tlv_len, 0);
	CHECK_INT(t_info.tlv_truncated, 0);

	s = mk4("255.255.255.255", 65535);
	d = mk4("0.0.0.0", 0);
	n = pp_build_v1(&s, &d, line, sizeof(line));
	CHECK_STR(line, "PROXY TCP4 255.255.255.255 0.0.0.0 65535 0\r\n");
	CHECK_INT(parse_s(line), PP_DONE);
	CHECK_STR(fmt(&t_info.src), "255.255.255.255:65535");
	CHECK_STR(fmt(&t_info.dst), "0.0.0.0:0");
}

TEST(v1_tcp6_roundtrip)
{
	struct sockaddr_storage s = mk6("2001:db8::1", 40000), d = mk6("::ffff:10.0.0.1", 80);
	char line[108];
	size_t n = pp_build_v1(&s, &d, line, sizeof(line));

	CHECK_STR(line, "PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 40000 80\r\n");
	CHECK_INT(parse_s(line), PP_DONE);
	CHECK_INT(t_used, n);
	CHECK_INT(t_info.local, 0);
	CHECK_STR(fmt(&t_info.src), "[2001:db8::1]:40000");
	CHECK_STR(fmt(&t_info.dst), "[::ffff:10.0.0.1]:80");

	/* longest TCP6 line from the specification: 104 bytes */
	const char *big = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	                  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	CHECK_INT(strlen(big), 104);
	CHECK_INT(parse_s(big), PP_DONE);
	CHECK_INT(t_used, 104);
	CHECK_STR(fmt(&t_info.src), "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	/* upper case hexadecimal digits */
	CHECK_INT(parse_s("PROXY TCP6 2001:DB8::A ::1 1 2\r\n"), PP_DONE);
	CHECK_STR(fmt(&t_info.src), "[2001:db8::a]:1");
}

TEST(v1_unknown)
{
	struct sockaddr_storage s4 = mk4("1.2.3.4", 1), s6 = mk6("::1", 2), un;
	char line[108];

	memset(&un, 0, sizeof(un));
	un.ss_family = AF_UNIX;
	CHECK_INT(pp_build_v1(NULL, NULL, line, sizeof(line)), 15);
	CHECK_STR(line, "PROXY UNKNOWN\r\n");
	pp_build_v1(&un, &un, line, sizeof(line));
	CHECK_STR(line, "PROXY UNKNOWN\r\n");
	pp_build_v1(&s4, &s6, line, sizeof(line)); /* mixed families */
	CHECK_STR(line, "PROXY UNKNOWN\r\n");
	pp_build_v1(&s4, NULL, line, sizeof(line));
	CHECK_STR(line, "PROXY UNKNOWN\r\n");

	CHECK_INT(parse_s(line), PP_DONE);
	CHECK_INT(t_used, 15);
	CHECK_INT(t_info.version, 1);
	CHECK_INT(t_info.local, 1);
	CHECK_INT(t_info.src.ss_family, AF_UNSPEC);
	CHECK_INT(t_info.dst.ss_family, AF_UNSPEC);

	/* anything may follow UNKNOWN up to the CRLF, and is ignored */
	CHECK_INT(parse_s("PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\nabc"), PP_DONE);
	CHECK_INT(t_used, 35);
	CHECK_INT(t_info.local, 1);
	CHECK_INT(t_info.src.ss_family, AF_UNSPEC);
	CHECK_INT(parse_s("PROXY UNKNOWN  \t junk!\x01\r\n"), PP_DONE);
	CHECK_INT(parse_n("PROXY UNKNOWN \0\r\n", 17), PP_DONE);
	CHECK_INT(t_used, 17);
}

TEST(v1_bytewise)
{
	CHECK(feeds_bytewise("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", 47));
	CHECK(feeds_bytewise("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n", 36));
	CHECK(feeds_bytewise("PROXY UNKNOWN\r\n", 15));
	CHECK(feeds_bytewise("PROXY UNKNOWN whatever\r\n", 24));
	CHECK_STR(fmt(&t_info.src), "unspec");
}

TEST(v1_followed_by_payload)
{
	const char *s = "PROXY TCP4 10.0.0.1 10.0.0.2 1000 2000\r\nGET / HTTP/1.1\r\n\r\n";

	CHECK_INT(parse_s(s), PP_DONE);
	CHECK_INT(t_used, 40);
	CHECK_STR(fmt(&t_info.dst), "10.0.0.2:2000");
	/* a complete header then a lone byte is still a complete header */
	CHECK_INT(parse_s("PROXY UNKNOWN\r\n\n"), PP_DONE);
	CHECK_INT(t_used, 15);
}

TEST(v1_max_length)
{
	char line[200];
	size_t base = strlen("PROXY UNKNOWN ");

	/* 107 bytes with the CRLF: the longest line allowed */
	memcpy(line, "PROXY UNKNOWN ", base);
	memset(line + base, 'x', sizeof(line) - base);
	memcpy(line + 105, "\r\n", 2);
	CHECK_INT(parse_n(line, 107), PP_DONE);
	CHECK_INT(t_used, 107);
	CHECK_INT(parse_n(line, 106), PP_NEED_MORE); /* CR seen, LF missing */
	CHECK_INT(parse_n(line, 105), PP_NEED_MORE);

	/* 108 bytes: invalid, even before the LF arrives */
	memset(line + base, 'x', sizeof(line) - base);
	memcpy(line + 106, "\r\n", 2);
	CHECK_INT(parse_n(line, 108), PP_INVALID);
	CHECK_INT(parse_n(line, 107), PP_INVALID);
	/* no CR in the first 106 bytes: can no longer fit */
	CHECK_INT(parse_n(line, 106), PP_INVALID);
	CHECK_INT(parse_n(line, 105), PP_NEED_MORE);
	CHECK_INT(parse_n(line, 200), PP_INVALID);
}

TEST(v1_bad_tokens)
{
	static const char *const bad[] = {
	    "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
	    "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
	    "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
	    " PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
	    "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8\r\n",
	    "PROXY TCP4\r\n",
	    "PROXY\r\n",
	    "PROXY \r\n",
	    "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
	    "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
	    "PROXY UNKNOWNX\r\n",
	    "PROXY unknown\r\n",
	    "PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 00 2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 0x50 2\r\n",
	    "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
	    "PROXY TCP4 1.2.3.4 ::ffff:1.2.3.4 1 2\r\n",
	    "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
	    "PROXY TCP6 ::1 5.6.7.8 1 2\r\n",
	    "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",
	    "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n",
	    "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n",
	    "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
	    "PROXY TCP4 localhost 5.6.7.8 1 2\r\n",
	    "PROXY TCP6 1::2::3 ::1 1 2\r\n",
	    "PROXY TCP6 [::1] ::1 1 2\r\n",
	    "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",  /* LF only */
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", /* CR not followed by LF */
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\r\n",
	    "PROXY UNKNOWN\n",
	    "PROXY UNKNOWN a\nb\r\n", /* LF before the CRLF */
	    "PROXY UNKNOWN a\rb\r\n", /* CR not followed by LF */
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2GET / HTTP/1.1\r\n",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 GET / HTTP/1.1\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum pp_status st = parse_s(bad[i]);

		if (st != PP_INVALID)
			fprintf(stderr, "  accepted (%d): %s\n", st, bad[i]);
		CHECK_INT(st, PP_INVALID);
	}
	CHECK_INT(parse_n("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", 33), PP_INVALID);
	/* no CRLF yet: the line may still complete */
	CHECK_INT(parse_s("PROXY TCP4 1.2.3.4 5.6.7.8 1 2"), PP_NEED_MORE);
	CHECK_INT(parse_s("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), PP_NEED_MORE);
}

TEST(v1_invalid_early)
{
	/* rejected before any CR arrives */
	static const char *const early[] = {
	    "GET / HTTP/1.1",
	    "G",
	    "PRI * HTTP/2.0",
	    "PROX ",
	    "PROXYTCP4",
	    "PROXY  ",
	    "PROXY TCP5",
	    "PROXY TCP4x",
	    "PROXY UNKNOWNx",
	    "PROXY TCP4 1.2.3.x",
	    "PROXY TCP4 1234567890123456",
	    "PROXY TCP4 1.2.3.4  ",
	    "PROXY TCP6 ::1 1.2.3.4 ",
	    "PROXY TCP6 ::g",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 99999",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 123456",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 00",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2x",
	    "PROXY TCP4 1.2.3.4\n",
	};
	static const char *const partial[] = {
	    "P",
	    "PROXY",
	    "PROXY ",
	    "PROXY T",
	    "PROXY UNKNOWN",
	    "PROXY UNKNOWN ",
	    "PROXY TCP4 ",
	    "PROXY TCP4 1.2.3.4",
	    "PROXY TCP4 1.2.3.4 ",
	    "PROXY TCP6 ::ffff:1.2",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 0",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 6553",
	    "PROXY TCP4 1.2.3.4 5.6.7.8 65535 ",
	};

	for (size_t i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
		if (parse_s(early[i]) != PP_INVALID)
			fprintf(stderr, "  not rejected early: %s\n", early[i]);
		CHECK_INT(parse_s(early[i]), PP_INVALID);
	}
	for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++) {
		if (parse_s(partial[i]) != PP_NEED_MORE)
			fprintf(stderr, "  not a valid prefix: %s\n", partial[i]);
		CHECK_INT(parse_s(partial[i]), PP_NEED_MORE);
	}
}

TEST(v1_build_small_buffer)
{
	struct sockaddr_storage s = mk4("1.2.3.4", 1), d = mk4("5.6.7.8", 2);
	char line[108];

	CHECK_INT(pp_build_v1(&s, &d, line, 10), 0);
	CHECK_INT(pp_build_v1(NULL, NULL, line, 15), 0); /* no room for the NUL */
	CHECK_INT(pp_build_v1(NULL, NULL, line, 16), 15);
	CHECK_INT(pp_build_v1(&s, &d, line, 32), 0);
	CHECK_INT(pp_build_v1(&s, &d, line, 33), 32);
}

/* ------------------------------------------------------------------------ */
/* Version 2                                                                */
/* ------------------------------------------------------------------------ */

TEST(v2_tcp4_roundtrip)
{
	struct sockaddr_storage s = mk4("192.0.2.1", 51000), d = mk4("198.51.100.7", 443);
	static const uint8_t expect[] = SIG "\x21\x11\x00\x0c"
	                                    "\xc0\x00\x02\x01\xc6\x33\x64\x07\xc7\x38\x01\xbb";
	uint8_t buf[64];
	size_t n = pp_build_v2(&s, &d, NULL, 0, buf, sizeof(buf));

	CHECK_INT(n, 28);
	CHECK(memcmp(buf, expect, 28) == 0);
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_INT(t_used, 28);
	CHECK_INT(t_info.version, 2);
	CHECK_INT(t_info.local, 0);
	CHECK_STR(fmt(&t_info.src), "192.0.2.1:51000");
	CHECK_STR(fmt(&t_info.dst), "198.51.100.7:443");
	CHECK_INT(t_info.tlv_len, 0);
	CHECK_INT(t_info.tlv_truncated, 0);
}

TEST(v2_tcp6_roundtrip_tlvs)
{
	struct sockaddr_storage s = mk6("2001:db8::1", 1234), d = mk6("2001:db8::2", 8443);
	static const uint8_t tlv[] = "\x01\x00\x02h2"
	                             "\x02\x00\x0b"
	                             "example.com"
	                             "\x04\x00\x00";
	size_t tl = sizeof(tlv) - 1;
	uint8_t buf[128];
	size_t n = pp_build_v2(&s, &d, tlv, tl, buf, sizeof(buf));

	CHECK_INT(n, 16 + 36 + tl);
	CHECK_INT(buf[12], 0x21);
	CHECK_INT(buf[13], 0x21);
	CHECK_INT(buf[14] << 8 | buf[15], 36 + tl);
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_INT(t_used, n);
	CHECK_INT(t_info.local, 0);
	CHECK_STR(fmt(&t_info.src), "[2001:db8::1]:1234");
	CHECK_STR(fmt(&t_info.dst), "[2001:db8::2]:8443");
	CHECK_INT(t_info.tlv_len, tl);
	CHECK(memcmp(t_info.tlv, tlv, tl) == 0);
	CHECK_INT(t_info.tlv_truncated, 0);

	/* IPv4 TLVs too, and a zero-length value at the very end */
	s = mk4("10.1.1.1", 1);
	d = mk4("10.2.2.2", 2);
	n = pp_build_v2(&s, &d, tlv, tl, buf, sizeof(buf));
	CHECK_INT(n, 16 + 12 + tl);
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_INT(t_info.tlv_len, tl);
	CHECK(memcmp(t_info.tlv, tlv, tl) == 0);
}

TEST(v2_mixed_families_mapped)
{
	struct sockaddr_storage s = mk4("192.0.2.1", 5), d = mk6("2001:db8::2", 6);
	uint8_t buf[64];
	size_t n = pp_build_v2(&s, &d, NULL, 0, buf, sizeof(buf));

	CHECK_INT(n, 52);
	CHECK_INT(buf[13], 0x21);
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_STR(fmt(&t_info.src), "[::ffff:192.0.2.1]:5");
	CHECK_STR(fmt(&t_info.dst), "[2001:db8::2]:6");

	n = pp_build_v2(&d, &s, NULL, 0, buf, sizeof(buf));
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_STR(fmt(&t_info.src), "[2001:db8::2]:6");
	CHECK_STR(fmt(&t_info.dst), "[::ffff:192.0.2.1]:5");
}

TEST(v2_local)
{
	static const uint8_t expect[] = SIG "\x20\x00\x00\x00";
	struct sockaddr_storage s = mk4("1.2.3.4", 1), un;
	uint8_t buf[300];
	size_t n;

	memset(&un, 0, sizeof(un));
	un.ss_family = AF_UNIX;
	n = pp_build_v2(NULL, NULL, NULL, 0, buf, sizeof(buf));
	CHECK_INT(n, 16);
	CHECK(memcmp(buf, expect, 16) == 0);
	CHECK(feeds_bytewise(buf, n));
	CHECK_INT(t_info.version, 2);
	CHECK_INT(t_info.local, 1);
	CHECK_INT(t_info.src.ss_family, AF_UNSPEC);
	CHECK_INT(t_info.dst.ss_family, AF_UNSPEC);

	CHECK_INT(pp_build_v2(&un, &un, NULL, 0, buf, sizeof(buf)), 16);
	CHECK(memcmp(buf, expect, 16) == 0);
	CHECK_INT(pp_build_v2(&s, &un, NULL, 0, buf, sizeof(buf)), 16);
	CHECK(memcmp(buf, expect, 16) == 0);
	CHECK_INT(pp_build_v2(&s, NULL, NULL, 0, buf, sizeof(buf)), 16);
	CHECK(memcmp(buf, expect, 16) == 0);
	/* TLVs are still appended to a LOCAL header */
	n = pp_build_v2(NULL, NULL, (const uint8_t *)"\x04\x00\x01z", 4, buf, sizeof(buf));
	CHECK_INT(n, 20);
	CHECK_INT(buf[15], 4);
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_INT(t_used, 20);
	CHECK_INT(t_info.tlv_len, 0);

	/* LOCAL: the family and the whole block are ignored, whatever they are */
	n = v2_raw(buf, 0x20, 0x11, 5, "\xff\xff\xff\xff\xff", 5);
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_INT(t_used, 21);
	CHECK_INT(t_info.local, 1);
	CHECK_INT(t_info.src.ss_family, AF_UNSPEC);
	CHECK_INT(t_info.tlv_len, 0);
	n = v2_raw(buf, 0x20, 0x12, 1, "\x03", 1);
	CHECK_INT(parse_n(buf, n), PP_DONE);
	n = v2_raw(buf, 0x20, 0xff, 0, "", 0);
	CHECK_INT(parse_n(buf, n), PP_DONE);

	/* PROXY with an UNSPEC family or protocol behaves like LOCAL */
	static const uint8_t unspec[] = {0x00, 0x10, 0x20, 0x30, 0x01, 0x02};
	for (size_t i = 0; i < sizeof(unspec); i++) {
		n = v2_raw(buf, 0x21, unspec[i], 3, "\x01\x02\x03", 3);
		CHECK_INT(parse_n(buf, n), PP_DONE);
		CHECK_INT(t_used, 19);
		CHECK_INT(t_info.local, 1);
		CHECK_INT(t_info.dst.ss_family, AF_UNSPEC);
	}
}

TEST(v2_unix)
{
	uint8_t body[216 + 4], buf[300];
	size_t n;

	memset(body, 0, sizeof(body));
	memcpy(body, "/run/client.sock", 16);
	memcpy(body + 108, "\0abstract", 9);
	memcpy(body + 216, "\x04\x00\x01z", 4);
	n = v2_raw(buf, 0x21, 0x31, 220, body, 220);
	CHECK(feeds_bytewise(buf, n));
	CHECK_INT(t_used, 236);
	CHECK_INT(t_info.local, 0);
	CHECK_INT(t_info.src.ss_family, AF_UNIX);
	CHECK_INT(t_info.dst.ss_family, AF_UNIX);
	CHECK_STR(((struct sockaddr_un *)&t_info.src)->sun_path, "/run/client.sock");
	CHECK(memcmp(((struct sockaddr_un *)&t_info.dst)->sun_path, "\0abstract", 9) == 0);
	CHECK_INT(t_info.tlv_len, 4);
	CHECK(memcmp(t_info.tlv, "\x04\x00\x01z", 4) == 0);
}

TEST(v2_bytewise)
{
	struct sockaddr_storage s4 = mk4("10.0.0.1", 1), d4 = mk4("10.0.0.2", 2);
	struct sockaddr_storage s6 = mk6("fe80::1", 3), d6 = mk6("fe80::2", 4);
	static const uint8_t tlv[] = "\x02\x00\x03"
	                             "abc"
	                             "\xe0\x00\x00";
	uint8_t buf[128];
	size_t n;

	n = pp_build_v2(&s4, &d4, NULL, 0, buf, sizeof(buf));
	CHECK(feeds_bytewise(buf, n));
	n = pp_build_v2(&s4, &d4, tlv, sizeof(tlv) - 1, buf, sizeof(buf));
	CHECK(feeds_bytewise(buf, n));
	n = pp_build_v2(&s6, &d6, tlv, sizeof(tlv) - 1, buf, sizeof(buf));
	CHECK(feeds_bytewise(buf, n));
	CHECK_STR(fmt(&t_info.dst), "[fe80::2]:4");
}

TEST(v2_payload_after_header)
{
	struct sockaddr_storage s = mk4("10.0.0.1", 1), d = mk4("10.0.0.2", 2);
	uint8_t buf[128];
	size_t n = pp_build_v2(&s, &d, (const uint8_t *)"\x04\x00\x00", 3, buf, sizeof(buf));

	CHECK_INT(n, 31);
	memcpy(buf + n, "GET / HTTP/1.1\r\n\r\n", 18);
	CHECK_INT(parse_n(buf, n + 18), PP_DONE);
	CHECK_INT(t_used, 31);
	CHECK_INT(t_info.tlv_len, 3);
	/* payload that looks like a TLV is not taken as one */
	memcpy(buf + n, "\x04\x00\x00", 3);
	CHECK_INT(parse_n(buf, n + 3), PP_DONE);
	CHECK_INT(t_used, 31);
	CHECK_INT(t_info.tlv_len, 3);
	/* nor is a second header */
	memcpy(buf + n, buf, n);
	CHECK_INT(parse_n(buf, 2 * n), PP_DONE);
	CHECK_INT(t_used, 31);
}

TEST(v2_bad_version_command)
{
	uint8_t buf[64];
	static const uint8_t bad_vc[] = {0x11, 0x31, 0x01, 0xf1, 0x10, 0x22, 0x2f, 0x23, 0x02};

	for (size_t i = 0; i < sizeof(bad_vc); i++) {
		size_t n = v2_raw(buf, bad_vc[i], 0x11, 12, "123456789012", 12);

		CHECK_INT(parse_n(buf, n), PP_INVALID);
		CHECK_INT(parse_n(buf, 13), PP_INVALID); /* as soon as the byte is seen */
	}
	v2_raw(buf, 0x21, 0x11, 12, "", 0);
	CHECK_INT(parse_n(buf, 13), PP_NEED_MORE);
}

TEST(v2_bad_family)
{
	uint8_t buf[300] = {0};
	static const uint8_t bad_fam[] = {0x12, 0x22, 0x32, 0x41, 0x13, 0x14, 0x03, 0xf1, 0xff};

	for (size_t i = 0; i < sizeof(bad_fam); i++) {
		v2_raw(buf, 0x21, bad_fam[i], 216, "", 0);
		CHECK_INT(parse_n(buf, 16 + 216), PP_INVALID);
		CHECK_INT(parse_n(buf, 14), PP_INVALID);
	}
}

TEST(v2_length_too_short)
{
	uint8_t buf[300] = {0};
	static const struct {
		uint8_t fam;
		unsigned need;
	} t[] = {{0x11, 12}, {0x21, 36}, {0x31, 216}};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v2_raw(buf, 0x21, t[i].fam, t[i].need - 1, "", 0);
		CHECK_INT(parse_n(buf, 16), PP_INVALID); /* before the body arrives */
		CHECK_INT(parse_n(buf, 16 + t[i].need - 1), PP_INVALID);
		v2_raw(buf, 0x21, t[i].fam, 0, "", 0);
		CHECK_INT(parse_n(buf, 16), PP_INVALID);
		v2_raw(buf, 0x21, t[i].fam, t[i].need, "", 0);
		CHECK_INT(parse_n(buf, 16), PP_NEED_MORE);
		CHECK_INT(parse_n(buf, 16 + t[i].need), PP_DONE);
		CHECK_INT(t_used, 16 + t[i].need);
	}
}

TEST(v2_truncated_header)
{
	struct sockaddr_storage s = mk4("10.0.0.1", 1), d = mk4("10.0.0.2", 2);
	uint8_t buf[64];
	size_t n = pp_build_v2(&s, &d, NULL, 0, buf, sizeof(buf));

	for (size_t i = 0; i < n; i++)
		CHECK_INT(parse_n(buf, i), PP_NEED_MORE);
	/* a large announced length keeps waiting */
	v2_raw(buf, 0x21, 0x11, 65535, "", 0);
	CHECK_INT(parse_n(buf, 16), PP_NEED_MORE);
}

TEST(v2_tlv_framing)
{
	uint8_t body[64] = "\xc0\x00\x02\x01\xc6\x33\x64\x07\xc7\x38\x01\xbb";
	uint8_t buf[128];
	static const struct {
		const char *tlv;
		size_t len;
		enum pp_status full;
	} t[] = {
	    {"\x04", 1, PP_INVALID},             /* 1 byte left: no room for a TLV */
	    {"\x04\x00", 2, PP_INVALID},         /* 2 bytes left */
	    {"\x04\x00\x01", 3, PP_INVALID},     /* value runs past the end */
	    {"\x04\x00\x00\x05", 4, PP_INVALID}, /* trailing byte */
	    {"\x04\x00\x01z\x04\x00\x05zz", 9, PP_INVALID},
	    {"\x04\xff\xff", 3, PP_INVALID},
	    {"\x04\x00\x00", 3, PP_DONE},
	    {"\x04\x00\x01z\x05\x00\x02zz", 9, PP_DONE},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n;

		memcpy(body + 12, t[i].tlv, t[i].len);
		n = v2_raw(buf, 0x21, 0x11, (unsigned)(12 + t[i].len), body, 12 + t[i].len);
		CHECK_INT(parse_n(buf, n), t[i].full);
	}

	/* an overlong TLV is refused as soon as its length is visible */
	memcpy(body + 12, "\x02\x00\x64", 3);
	v2_raw(buf, 0x21, 0x11, 12 + 20, body, 15);
	CHECK_INT(parse_n(buf, 16 + 12 + 2), PP_NEED_MORE);
	CHECK_INT(parse_n(buf, 16 + 12 + 3), PP_INVALID);
	/* and a TLV area too short for any TLV as soon as the length is */
	v2_raw(buf, 0x21, 0x11, 12 + 2, body, 0);
	CHECK_INT(parse_n(buf, 16), PP_INVALID);

	/* the builder refuses badly framed TLVs too */
	CHECK_INT(pp_build_v2(NULL, NULL, (const uint8_t *)"\x04\x00\x02z", 4, buf, sizeof(buf)),
	          0);
	memset(buf, 0xaa, sizeof(buf));
	CHECK_INT(pp_build_v2(NULL, NULL, (const uint8_t *)"\x04\x00", 2, buf, sizeof(buf)), 0);
	CHECK_INT(buf[0], 0xaa); /* nothing written on failure */
}

TEST(v2_tlv_truncation)
{
	struct sockaddr_storage s = mk4("10.0.0.1", 1), d = mk4("10.0.0.2", 2);
	static uint8_t tlv[2000], buf[2100];
	size_t n;

	/* one TLV filling 2000 bytes */
	tlv[0] = 0xe1;
	tlv[1] = (2000 - 3) >> 8;
	tlv[2] = (2000 - 3) & 0xff;
	for (size_t i = 3; i < sizeof(tlv); i++)
		tlv[i] = (uint8_t)i;
	n = pp_build_v2(&s, &d, tlv, sizeof(tlv), buf, sizeof(buf));
	CHECK_INT(n, 16 + 12 + 2000);
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_INT(t_used, n);
	CHECK_INT(t_info.tlv_len, PP_MAX_TLV_BYTES);
	CHECK_INT(t_info.tlv_truncated, 1);
	CHECK(memcmp(t_info.tlv, tlv, PP_MAX_TLV_BYTES) == 0);
	CHECK_STR(fmt(&t_info.src), "10.0.0.1:1");

	/* exactly PP_MAX_TLV_BYTES is not truncated */
	tlv[1] = (PP_MAX_TLV_BYTES - 3) >> 8;
	tlv[2] = (PP_MAX_TLV_BYTES - 3) & 0xff;
	n = pp_build_v2(&s, &d, tlv, PP_MAX_TLV_BYTES, buf, sizeof(buf));
	CHECK_INT(parse_n(buf, n), PP_DONE);
	CHECK_INT(t_info.tlv_len, PP_MAX_TLV_BYTES);
	CHECK_INT(t_info.tlv_truncated, 0);
}

TEST(v2_crc32c)
{
	/* reference header computed independently: TCP4, a NOOP TLV "ab" and
	 * a CRC32C TLV holding 0x79f770d5
	 */
	static const uint8_t ref[] = SIG "\x21\x11\x00\x18\xc0\x00\x02\x01\xc6\x33\x64\x07"
	                                 "\xc7\x38\x01\xbb\x04\x00\x02\x61\x62\x03\x00\x04"
	                                 "\x79\xf7\x70\xd5";
	static const uint8_t tlv[] = "\x04\x00\x02"
	                             "ab"
	                             "\x03\x00\x04\x00\x00\x00\x00";
	struct sockaddr_storage s = mk4("192.0.2.1", 51000), d = mk4("198.51.100.7", 443);
	uint8_t buf[128];
	size_t n = sizeof(ref) - 1;

	CHECK_INT(parse_n(ref, n), PP_DONE);
	CHECK_INT(t_used, n);
	CHECK_INT(t_info.tlv_len, 12);

	/* the builder fills the checksum in */
	CHECK_INT(pp_build_v2(&s, &d, tlv, sizeof(tlv) - 1, buf, sizeof(buf)), n);
	CHECK(memcmp(buf, ref, n) == 0);

	/* any change breaks it */
	memcpy(buf, ref, n);
	buf[20] ^= 1;
	CHECK_INT(parse_n(buf, n), PP_INVALID);
	memcpy(buf, ref, n);
	buf[n - 1] ^= 0x80;
	CHECK_INT(parse_n(buf, n), PP_INVALID);
	CHECK_INT(parse_n(buf, n - 1), PP_NEED_MORE); /* checked once complete */

	/* wrong CRC32C length, or two of them */
	CHECK_INT(
	    pp_build_v2(&s, &d, (const uint8_t *)"\x03\x00\x03\x00\x00\x00", 6, buf, sizeof(buf)),
	    0);
	memcpy(buf, ref, n);
	buf[15] = 0x18 + 7;
	memcpy(buf + n, "\x03\x00\x04\x00\x00\x00\x00", 7);
	CHECK_INT(parse_n(buf, n + 7), PP_INVALID);
	CHECK_INT(parse_n(buf, n + 3), PP_INVALID); /* framing error: seen early */
	memcpy(buf, ref, n);
	buf[28] = 0x03; /* the NOOP becomes a 2-byte CRC32C */
	CHECK_INT(parse_n(buf, n), PP_INVALID);
	CHECK_INT(parse_n(buf, 31), PP_INVALID);
	static const uint8_t two[] = "\x03\x00\x04\x00\x00\x00\x00\x03\x00\x04\x00\x00\x00\x00";
	CHECK_INT(pp_build_v2(&s, &d, two, sizeof(two) - 1, buf, sizeof(buf)), 0);
}

TEST(v2_build_limits)
{
	struct sockaddr_storage s = mk4("10.0.0.1", 1), d = mk4("10.0.0.2", 2);
	static uint8_t tlv[65535 + 3], buf[65536 + 16];

	CHECK_INT(pp_build_v2(&s, &d, NULL, 0, buf, 27), 0);
	CHECK_INT(pp_build_v2(&s, &d, NULL, 0, buf, 28), 28);
	CHECK_INT(pp_build_v2(NULL, NULL, NULL, 0, buf, 15), 0);
	CHECK_INT(pp_build_v2(NULL, NULL, NULL, 5, buf, 16), 16); /* NULL tlv: none */

	/* the length field holds at most 65535 bytes after the header */
	tlv[0] = 0xe0;
	tlv[1] = tlv[2] = 0xff;
	CHECK_INT(pp_build_v2(NULL, NULL, tlv, 65535 + 3, buf, sizeof(buf)), 0);
	tlv[1] = (65535 - 12 - 3) >> 8;
	tlv[2] = (65535 - 12 - 3) & 0xff;
	CHECK_INT(pp_build_v2(&s, &d, tlv, 65535 - 12, buf, sizeof(buf)), 65535 + 16);
	CHECK_INT(parse_n(buf, 65535 + 16), PP_DONE);
	CHECK_INT(t_used, 65535 + 16);
	CHECK_INT(t_info.tlv_truncated, 1);
	CHECK_INT(pp_build_v2(&s, &d, tlv, 65535 - 11, buf, sizeof(buf)), 0);
}

/* ------------------------------------------------------------------------ */
/* Neither version                                                          */
/* ------------------------------------------------------------------------ */

TEST(garbage_invalid_early)
{
	static const struct {
		const char *s;
		size_t len;
	} bad[] = {
	    {"GET / HTTP/1.1\r\n", 16},
	    {"G", 1},
	    {"\x16\x03\x01\x02\x00", 5}, /* TLS ClientHello */
	    {"SSH-2.0-OpenSSH\r\n", 17},
	    {"\r\n\r\n\x01", 5},
	    {"\r\nX", 3},
	    {"\r\n\r\n\r\n", 6}, /* blank lines */
	    {"\r\n\r\n\x00\r\nQUIX\n", 12},
	    {"\0", 1},
	    {"p", 1},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(parse_n(bad[i].s, bad[i].len), PP_INVALID);

	CHECK_INT(parse_n("", 0), PP_NEED_MORE);
	CHECK_INT(parse_n("\r", 1), PP_NEED_MORE);
	CHECK_INT(parse_n(SIG, 11), PP_NEED_MORE);
	CHECK_INT(parse_n(SIG, 12), PP_NEED_MORE);
	CHECK_INT(parse_n("P", 1), PP_NEED_MORE);

	/* random bytes are always rejected once 16 of them are in */
	unsigned seed = 12345;
	int wrong = 0;
	for (int r = 0; r < 2000; r++) {
		uint8_t b[16];

		for (size_t i = 0; i < sizeof(b); i++) {
			seed = seed * 1103515245u + 12345u;
			b[i] = (uint8_t)(seed >> 16);
		}
		if (b[0] == 'P' || b[0] == '\r')
			continue;
		if (parse_n(b, sizeof(b)) != PP_INVALID || parse_n(b, 1) != PP_INVALID)
			wrong++;
	}
	CHECK_INT(wrong, 0);
}

TEST_MAIN()
