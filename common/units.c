/* Time, size and bounded integer parsing for configuration values.
 *
 * All arithmetic is done on uint64_t with explicit overflow checks so that
 * arbitrarily long digit strings never trigger undefined behaviour. Syntax
 * errors are always reported before range errors: "99999999999999999999x"
 * is PARSE_BAD_CHAR, not PARSE_OVERFLOW.
 */
#include "common/units.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Reads the decimal digits at *<p> into *<val>, advancing *<p> past them.
 * Returns false if no digit was found. *<ovf> is set when the value does not
 * fit in 64 bits (the digits are still consumed, *<val> is then meaningless).
 */
static bool read_digits(const char **p, uint64_t *val, bool *ovf)
{
	const char *s = *p;
	uint64_t v = 0;

	*ovf = false;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			*ovf = true;
		else
			v = v * 10 + d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*val = v;
	return true;
}

/* Reports a bad character at <at> through <bad> and returns PARSE_BAD_CHAR. */
static enum parse_status bad_char(const char *at, const char **bad)
{
	if (bad)
		*bad = at;
	return PARSE_BAD_CHAR;
}

/* Multiplies <v> by <mult>, returning false on 64-bit overflow. */
static bool mul_ok(uint64_t v, uint64_t mult, uint64_t *out)
{
	if (mult && v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

/* Returns the length in microseconds of the time unit starting at <u>, and
 * stores the unit length in *<ulen>. A missing unit (end of string) yields 0
 * with *<ulen> = 0 so that the caller applies its base; an unknown unit
 * yields 0 with *<ulen> = 1.
 */
static uint64_t time_unit_us(const char *u, size_t *ulen)
{
	*ulen = 2;
	if (u[0] == 'u' && u[1] == 's')
		return 1;
	if (u[0] == 'm' && u[1] == 's')
		return 1000;
	*ulen = 1;
	switch (u[0]) {
	case 's':
		return 1000000ULL;
	case 'm':
		return 60ULL * 1000000ULL;
	case 'h':
		return 3600ULL * 1000000ULL;
	case 'd':
		return 86400ULL * 1000000ULL;
	case '\0':
		*ulen = 0;
		return 0;
	default:
		return 0;
	}
}

/* Converts <v> units of <unit_us> microseconds into <base> units (truncating),
 * checking the result against <max>.
 */
static enum parse_status time_convert(uint64_t v, uint64_t unit_us, uint64_t base, uint64_t max,
                                      uint64_t *out)
{
	uint64_t r;

	if (unit_us >= base) {
		/* every unit is a multiple of every smaller base */
		if (!mul_ok(v, unit_us / base, &r))
			return PARSE_OVERFLOW;
	} else {
		r = v / (base / unit_us);
		if (v && !r)
			return PARSE_UNDERFLOW;
	}
	if (r > max)
		return PARSE_OVERFLOW;
	*out = r;
	return PARSE_OK;
}

/* Parses "<digits>[unit]" as a time in <base> units, at most <max>. */
enum parse_status parse_time(const char *s, enum time_base base, uint64_t max, uint64_t *out,
                             const char **bad)
{
	const char *p = s;
	uint64_t v, unit_us;
	size_t ulen;
	bool ovf;

	if (!s || !*s)
		return PARSE_EMPTY;
	if (!read_digits(&p, &v, &ovf))
		return bad_char(p, bad);
	unit_us = time_unit_us(p, &ulen);
	if (!unit_us && ulen)
		return bad_char(p, bad);
	p += ulen;
	if (*p)
		return bad_char(p, bad);
	if (ovf)
		return PARSE_OVERFLOW;
	if (!unit_us)
		unit_us = (uint64_t)base;
	return time_convert(v, unit_us, (uint64_t)base, max, out);
}

/* Parses a timeout in milliseconds, bounded by TIME_MAX_MS. */
enum parse_status parse_time_ms(const char *s, uint32_t *out_ms, const char **bad)
{
	uint64_t v = 0;
	enum parse_status st = parse_time(s, TIME_BASE_MS, TIME_MAX_MS, &v, bad);

	if (st == PARSE_OK)
		*out_ms = (uint32_t)v;
	return st;
}

/* Returns the multiplier of a size suffix (case-insensitive k, m, g), or 0. */
static uint64_t size_mult(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 1ULL << 10;
	case 'm':
	case 'M':
		return 1ULL << 20;
	case 'g':
	case 'G':
		return 1ULL << 30;
	default:
		return 0;
	}
}

/* Parses "<digits>[kmg]" as a number of bytes, at most <max>. */
enum parse_status parse_size(const char *s, uint64_t max, uint64_t *out, const char **bad)
{
	const char *p = s;
	uint64_t v, mult = 1, r;
	bool ovf;

	if (!s || !*s)
		return PARSE_EMPTY;
	if (!read_digits(&p, &v, &ovf))
		return bad_char(p, bad);
	if (*p) {
		mult = size_mult(*p);
		if (!mult)
			return bad_char(p, bad);
		p++;
	}
	if (*p)
		return bad_char(p, bad);
	if (ovf || !mul_ok(v, mult, &r) || r > max)
		return PARSE_OVERFLOW;
	*out = r;
	return PARSE_OK;
}

/* Parses a decimal integer in [<min>, <max>]. A leading '-' is only accepted
 * when <min> is negative. "" and a lone "-" are PARSE_EMPTY. Values below
 * <min> give PARSE_UNDERFLOW, values above <max> give PARSE_OVERFLOW.
 */
enum parse_status parse_int_range(const char *s, long long min, long long max, long long *out,
                                  const char **bad)
{
	const char *p = s;
	bool neg = false, ovf;
	uint64_t mag;
	long long v;

	if (!s)
		return PARSE_EMPTY;
	if (*p == '-' && min < 0) {
		neg = true;
		p++;
	}
	if (!*p)
		return PARSE_EMPTY;
	if (!read_digits(&p, &mag, &ovf))
		return bad_char(p, bad);
	if (*p)
		return bad_char(p, bad);
	if (neg) {
		/* magnitude of LLONG_MIN is LLONG_MAX + 1 */
		if (ovf || mag > (uint64_t)LLONG_MAX + 1)
			return PARSE_UNDERFLOW;
		v = mag ? -(long long)(mag - 1) - 1 : 0;
	} else {
		if (ovf || mag > (uint64_t)LLONG_MAX)
			return PARSE_OVERFLOW;
		v = (long long)mag;
	}
	if (v < min)
		return PARSE_UNDERFLOW;
	if (v > max)
		return PARSE_OVERFLOW;
	*out = v;
	return PARSE_OK;
}
