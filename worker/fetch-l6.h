/* TLS ClientHello and handshake record parsing for the content fetches
 * (worker/fetch-l6.c).
 */
#pragma once
#include <stddef.h>

struct tls_hello {
	unsigned record_version; /* of the record layer, e.g. 0x0301 */
	unsigned hello_version;  /* legacy_version of the ClientHello */
	int hello_type;          /* 1 when a ClientHello was seen */
	const char *sni;         /* server_name (host_name), not NUL-terminated */
	size_t sni_len;
};

/* Parses the TLS ClientHello at the start of <p> (<len> bytes received so
 * far), never reading past <len>. Returns 1 when complete, 0 when more
 * bytes are needed, -1 when it is not (or not only) a ClientHello in a
 * single record; fields found before the problem are kept.
 */
int tls_client_hello(const unsigned char *p, size_t len, struct tls_hello *out);

/* The handshake message type of the TLS record at the start of <p> (<len>
 * bytes received so far), as HAProxy reads it for res.ssl_hello_type: the
 * record must be SSLv3 or later with room for a handshake header, and its
 * whole first message must have arrived. Returns the type (1: ClientHello,
 * 2: ServerHello...), TLS_HELLO_SHORT when more bytes are needed, or
 * TLS_HELLO_NONE when it is not such a record.
 */
#define TLS_HELLO_SHORT (-1)
#define TLS_HELLO_NONE (-2)
int tls_hello_type(const unsigned char *p, size_t len);
