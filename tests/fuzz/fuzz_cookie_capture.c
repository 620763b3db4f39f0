/* libFuzzer target for cookie_capture_find() (worker/capture.c), the
 * parser behind "capture cookie". The first input byte picks the name
 * length (0-15) and the direction, the next bytes are the name, the rest
 * the header value (an exact-size copy, so that ASan sees any overread).
 *
 * Properties checked (abort() on violation): the result fits the maximum
 * length, is NUL-terminated there, and starts with the name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t nlen = data[0] & 15, max = (size_t)(data[0] >> 5) * 9 + 1;
	int req = (data[0] >> 4) & 1;
	if (size < 1 + nlen)
		return 0;
	const char *name = (const char *)data + 1;
	size_t vlen = size - 1 - nlen;
	char *v = malloc(vlen ? vlen : 1);
	if (!v)
		abort();
	memcpy(v, data + 1 + nlen, vlen);
	char out[80];
	memset(out, 'x', sizeof(out));
	long n = cookie_capture_find(v, vlen, req, name, nlen, out, max);
	if (n >= 0) {
		if ((size_t)n > max || out[n] != 0)
			abort();
		if ((size_t)n >= nlen && memcmp(out, name, nlen))
			abort();
		if ((size_t)n < nlen && n != (long)max)
			abort();
	}
	free(v);
	return 0;
}
