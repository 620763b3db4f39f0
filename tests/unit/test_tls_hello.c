/* Unit tests for tls_hello_type() of worker/fetch-l6.c (res.ssl_hello_type):
 * handshake type of the first TLS record, or whether more bytes are needed.
 * Every call reads an exactly sized heap copy so that the sanitizer builds
 * catch a read past the given length.
 */
#include "worker/fetch-l6.h"
#include "tests/unit/test.h"

#include <stdlib.h>

/* tls_hello_type() on the first <n> bytes of <buf>, from a heap copy. */
static int type_n(const unsigned char *buf, size_t n)
{
	unsigned char *copy = malloc(n ? n : 1);
	memcpy(copy, buf, n);
	int t = tls_hello_type(copy, n);
	free(copy);
	return t;
}

/* A TLS 1.2 handshake record holding a ServerHello header of a 4-byte body. */
static const unsigned char server_hello[] = {0x16, 0x03, 0x03, 0x00, 0x08, 0x02, 0x00,
                                             0x00, 0x04, 0x03, 0x03, 0xaa, 0xbb};

TEST(server_hello_complete)
{
	CHECK_INT(type_n(server_hello, sizeof(server_hello)), 2);
}

TEST(every_prefix_needs_more)
{
	for (size_t n = 0; n < sizeof(server_hello); n++)
		CHECK_INT(type_n(server_hello, n), TLS_HELLO_SHORT);
}

TEST(client_hello_type)
{
	unsigned char b[sizeof(server_hello)];
	memcpy(b, server_hello, sizeof(b));
	b[5] = 0x01;
	CHECK_INT(type_n(b, sizeof(b)), 1);
}

TEST(not_a_tls_record)
{
	static const unsigned char http[] = "HTTP/1.1 200 OK\r\n";
	CHECK_INT(type_n(http, sizeof(http) - 1), TLS_HELLO_NONE);
	CHECK_INT(type_n(http, 1), TLS_HELLO_NONE); /* decided on the first byte */
}

TEST(sslv2_version_refused)
{
	unsigned char b[sizeof(server_hello)];
	memcpy(b, server_hello, sizeof(b));
	b[1] = 0x02;
	CHECK_INT(type_n(b, sizeof(b)), TLS_HELLO_NONE);
}

TEST(record_too_small_for_handshake_header)
{
	unsigned char b[sizeof(server_hello)];
	memcpy(b, server_hello, sizeof(b));
	b[3] = 0x00, b[4] = 0x03;
	CHECK_INT(type_n(b, sizeof(b)), TLS_HELLO_NONE);
}

TEST(large_message_length_waits)
{
	unsigned char b[sizeof(server_hello)];
	memcpy(b, server_hello, sizeof(b));
	b[6] = 0xff, b[7] = 0xff, b[8] = 0xff; /* 16 MB announced */
	CHECK_INT(type_n(b, sizeof(b)), TLS_HELLO_SHORT);
}

TEST(random_bytes_never_overread)
{
	unsigned seed = 4242;
	for (int r = 0; r < 5000; r++) {
		unsigned char b[24];
		for (size_t i = 0; i < sizeof(b); i++) {
			seed = seed * 1103515245u + 12345u;
			b[i] = (unsigned char)(seed >> 16);
		}
		size_t n = seed % (sizeof(b) + 1);
		int t = type_n(b, n);
		CHECK(t == TLS_HELLO_SHORT || t == TLS_HELLO_NONE || (t >= 0 && t <= 255));
	}
}

TEST_MAIN()
