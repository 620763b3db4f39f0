/* Time and size values of the configuration language.
 *
 * Time: an unsigned integer followed by an optional unit among us, ms, s, m,
 * h, d. A bare number is in the <base> unit, and the result is expressed in
 * that same unit. A value that is not zero but rounds down to zero in <base>
 * units is an underflow; a value above <max> is an overflow.
 * Size: an unsigned integer followed by an optional case-insensitive k, m or g
 * (powers of 1024). Decimal points are never accepted.
 * Syntax errors take precedence over range errors, and a value that does not
 * even fit in 64 bits is PARSE_OVERFLOW.
 */
#pragma once
#include <stdint.h>

enum time_base { TIME_BASE_US = 1, TIME_BASE_MS = 1000, TIME_BASE_S = 1000000 };

enum parse_status {
	PARSE_OK = 0,
	PARSE_EMPTY,     /* empty string (or a lone '-' for parse_int_range) */
	PARSE_BAD_CHAR,  /* unexpected character at *bad */
	PARSE_OVERFLOW,  /* larger than the maximum */
	PARSE_UNDERFLOW, /* non-null but rounds to zero; below <min> for ints */
};

/* Largest timeout the event loop supports, in milliseconds (~24.8 days). */
#define TIME_MAX_MS 2147483647u

/* Parses <s> as a time in <base> units, at most <max> of them. On
 * PARSE_BAD_CHAR, *<bad> (if non-NULL) points to the first unexpected byte.
 */
enum parse_status parse_time(const char *s, enum time_base base, uint64_t max, uint64_t *out,
			     const char **bad);

/* Shortcut: a timeout in milliseconds, at most TIME_MAX_MS. */
enum parse_status parse_time_ms(const char *s, uint32_t *out_ms, const char **bad);

/* Parses <s> as a size in bytes, at most <max>. */
enum parse_status parse_size(const char *s, uint64_t max, uint64_t *out, const char **bad);

/* Parses a plain unsigned decimal integer in [min, max]; no unit, no sign
 * except a leading '-' when <min> is negative. Below <min> is
 * PARSE_UNDERFLOW, above <max> is PARSE_OVERFLOW.
 */
enum parse_status parse_int_range(const char *s, long long min, long long max, long long *out,
				  const char **bad);
