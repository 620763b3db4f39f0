/* libFuzzer target for the TLS ClientHello parser of the content fetches
 * (worker/fetch-l6.c: req.ssl_sni, req.ssl_ver, req.ssl_hello_type).
 *
 * Properties checked (abort() on violation): the parser never reads past
 * the bytes given (the input is an exactly sized heap copy, so ASan
 * catches it), a found SNI lies within them, and a prefix of an input
 * that parses completely asks for more bytes or fails, never "complete"
 * with a different SNI.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/fetch-l6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *c = malloc(size ? size : 1);
	if (!c)
		abort();
	memcpy(c, data, size);
	struct tls_hello th;
	int r = tls_client_hello(c, size, &th);
	if (th.sni && (th.sni < (const char *)c || th.sni + th.sni_len > (const char *)c + size))
		abort();
	if (r == 1 && size > 0) {
		struct tls_hello part;
		int rp = tls_client_hello(c, size - 1, &part);
		if (rp == 1 && part.sni && th.sni &&
		    (part.sni_len != th.sni_len || memcmp(part.sni, th.sni, th.sni_len)))
			abort();
	}
	free(c);
	return 0;
}
