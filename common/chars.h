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
	char tmp[24];
	int n = 0, len = 0;
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	return len;
}
