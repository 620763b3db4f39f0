/* Character helpers shared by parsers and converters. */
#pragma once

/* The value of hexadecimal digit <c>, or -1. */
static inline int hex_digit(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* Writes <v> in decimal at <out> (at least 21 bytes), without a NUL;
 * returns the length. Faster than snprintf on hot paths (log lines).
 */
static inline int fmt_i64(char *out, long long v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
	                            "25262728293031323334353637383940414243444546474849"
	                            "50515253545556575859606162636465666768697071727374"
	                            "75767778798081828384858687888990919293949596979899";
	char tmp[24];
	int n = sizeof(tmp), len = 0;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	if (v < 0)
		out[len++] = '-';
	if (u < 10) {
		out[len] = (char)('0' + u);
		return len + 1;
	}
	while (u >= 100) {
		unsigned r = (unsigned)(u % 100);
		u /= 100;
		n -= 2;
		tmp[n] = pairs[2 * r];
		tmp[n + 1] = pairs[2 * r + 1];
	}
	if (u >= 10) {
		n -= 2;
		tmp[n] = pairs[2 * u];
		tmp[n + 1] = pairs[2 * u + 1];
	} else {
		tmp[--n] = (char)('0' + u);
	}
	for (int i = n; i < (int)sizeof(tmp); i++)
		out[len++] = tmp[i];
	return len;
}
