/* Unit tests for common/units.c: time, size and bounded integer parsing. */
#include "common/units.h"
#include "tests/unit/test.h"

#include <limits.h>

/* Parses <s> as a time in <base> with a 64-bit max and returns the status,
 * storing the value in *<v> (left untouched on error).
 */
static enum parse_status pt(const char *s, enum time_base base, uint64_t *v)
{
	return parse_time(s, base, UINT64_MAX, v, NULL);
}

TEST(time_units_ms)
{
	uint64_t v = 0;

	CHECK_INT(pt("0", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 0);
	CHECK_INT(pt("1500", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 1500);
	CHECK_INT(pt("2000us", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 2);
	CHECK_INT(pt("1500us", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 1); /* truncated */
	CHECK_INT(pt("250ms", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 250);
	CHECK_INT(pt("5s", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 5000);
	CHECK_INT(pt("3m", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 180000);
	CHECK_INT(pt("2h", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 7200000);
	CHECK_INT(pt("1d", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 86400000);
	CHECK_INT(pt("007s", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 7000);
}

TEST(time_other_bases)
{
	uint64_t v = 0;

	CHECK_INT(pt("10", TIME_BASE_US, &v), PARSE_OK);
	CHECK_INT(v, 10);
	CHECK_INT(pt("10us", TIME_BASE_US, &v), PARSE_OK);
	CHECK_INT(v, 10);
	CHECK_INT(pt("3ms", TIME_BASE_US, &v), PARSE_OK);
	CHECK_INT(v, 3000);
	CHECK_INT(pt("1d", TIME_BASE_US, &v), PARSE_OK);
	CHECK_INT(v, 86400000000LL);
	CHECK_INT(pt("10", TIME_BASE_S, &v), PARSE_OK);
	CHECK_INT(v, 10);
	CHECK_INT(pt("2m", TIME_BASE_S, &v), PARSE_OK);
	CHECK_INT(v, 120);
	CHECK_INT(pt("1h", TIME_BASE_S, &v), PARSE_OK);
	CHECK_INT(v, 3600);
	CHECK_INT(pt("2500ms", TIME_BASE_S, &v), PARSE_OK);
	CHECK_INT(v, 2);
	CHECK_INT(pt("999ms", TIME_BASE_S, &v), PARSE_UNDERFLOW);
	CHECK_INT(pt("999999us", TIME_BASE_S, &v), PARSE_UNDERFLOW);
	CHECK_INT(pt("1000000us", TIME_BASE_S, &v), PARSE_OK);
	CHECK_INT(v, 1);
}

TEST(time_underflow)
{
	uint64_t v = 42;

	CHECK_INT(pt("1us", TIME_BASE_MS, &v), PARSE_UNDERFLOW);
	CHECK_INT(pt("999us", TIME_BASE_MS, &v), PARSE_UNDERFLOW);
	CHECK_INT(v, 42);
	CHECK_INT(pt("0us", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v, 0);
	CHECK_INT(pt("0ms", TIME_BASE_S, &v), PARSE_OK);
	CHECK_INT(v, 0);
}

TEST(time_overflow)
{
	uint64_t v = 0;
	uint32_t ms = 0;

	CHECK_INT(parse_time_ms("25d", &ms, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_time_ms("24d", &ms, NULL), PARSE_OK);
	CHECK_INT(ms, 24u * 86400000u);
	CHECK_INT(parse_time_ms("2147483647", &ms, NULL), PARSE_OK);
	CHECK_INT(ms, 2147483647u);
	CHECK_INT(parse_time_ms("2147483648", &ms, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_time_ms("99999999999999999999", &ms, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_time_ms("99999999999999999999999999999999999999d", &ms, NULL),
	          PARSE_OVERFLOW);
	CHECK_INT(pt("18446744073709551615", TIME_BASE_MS, &v), PARSE_OK);
	CHECK_INT(v == UINT64_MAX, 1);
	CHECK_INT(pt("18446744073709551616", TIME_BASE_MS, &v), PARSE_OVERFLOW);
	CHECK_INT(pt("18446744073709551615s", TIME_BASE_MS, &v), PARSE_OVERFLOW);
	CHECK_INT(pt("300000000000d", TIME_BASE_US, &v), PARSE_OVERFLOW);
	CHECK_INT(parse_time("10s", TIME_BASE_MS, 9999, &v, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_time("10s", TIME_BASE_MS, 10000, &v, NULL), PARSE_OK);
	CHECK_INT(v, 10000);
}

TEST(time_bad_chars)
{
	const char *bad = NULL;
	const char *s;
	uint32_t ms = 7;

	s = "5x";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 1);
	s = "1.5s";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 1);
	s = "-1";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s);
	s = "10msx";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 4);
	s = "10u";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 2);
	s = "10 s";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 2);
	s = "10S"; /* time units are case-sensitive */
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 2);
	s = "10MS";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	s = "ms";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s);
	s = "+5";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	s = "5ss";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 2);
	s = "5dd";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	/* a syntax error wins over an overflow */
	s = "99999999999999999999x";
	CHECK_INT(parse_time_ms(s, &ms, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 20);
	CHECK_INT(ms, 7);
	CHECK_INT(parse_time_ms("5x", &ms, NULL), PARSE_BAD_CHAR); /* bad may be NULL */
}

TEST(time_empty)
{
	uint32_t ms = 0;
	uint64_t v = 0;

	CHECK_INT(parse_time_ms("", &ms, NULL), PARSE_EMPTY);
	CHECK_INT(parse_time_ms(NULL, &ms, NULL), PARSE_EMPTY);
	CHECK_INT(pt("", TIME_BASE_S, &v), PARSE_EMPTY);
}

TEST(size_units)
{
	uint64_t v = 0;

	CHECK_INT(parse_size("0", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 0);
	CHECK_INT(parse_size("123", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 123);
	CHECK_INT(parse_size("1k", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 1024);
	CHECK_INT(parse_size("16K", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 16384);
	CHECK_INT(parse_size("3m", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 3 * 1048576);
	CHECK_INT(parse_size("3M", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 3 * 1048576);
	CHECK_INT(parse_size("2g", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 2147483648LL);
	CHECK_INT(parse_size("2G", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 2147483648LL);
	CHECK_INT(parse_size("0k", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, 0);
}

TEST(size_errors)
{
	const char *bad = NULL, *s;
	uint64_t v = 5;

	CHECK_INT(parse_size("", UINT64_MAX, &v, NULL), PARSE_EMPTY);
	CHECK_INT(parse_size(NULL, UINT64_MAX, &v, NULL), PARSE_EMPTY);
	s = "1.5k";
	CHECK_INT(parse_size(s, UINT64_MAX, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 1);
	s = "10kb";
	CHECK_INT(parse_size(s, UINT64_MAX, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 3);
	s = "10t";
	CHECK_INT(parse_size(s, UINT64_MAX, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 2);
	s = "-1";
	CHECK_INT(parse_size(s, UINT64_MAX, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s);
	s = "k";
	CHECK_INT(parse_size(s, UINT64_MAX, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s);
	CHECK_INT(v, 5);
}

TEST(size_overflow)
{
	uint64_t v = 0;

	CHECK_INT(parse_size("1024", 1024, &v, NULL), PARSE_OK);
	CHECK_INT(parse_size("1025", 1024, &v, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_size("1k", 1024, &v, NULL), PARSE_OK);
	CHECK_INT(parse_size("2k", 1024, &v, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_size("4g", UINT32_MAX, &v, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_size("3g", UINT32_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(parse_size("99999999999999999999", UINT64_MAX, &v, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_size("17179869184g", UINT64_MAX, &v, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_size("17179869183g", UINT64_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v == 17179869183ULL << 30, 1);
}

TEST(int_range)
{
	long long v = 0;
	const char *bad = NULL, *s;

	CHECK_INT(parse_int_range("42", 0, 100, &v, NULL), PARSE_OK);
	CHECK_INT(v, 42);
	CHECK_INT(parse_int_range("0", 0, 100, &v, NULL), PARSE_OK);
	CHECK_INT(v, 0);
	CHECK_INT(parse_int_range("100", 0, 100, &v, NULL), PARSE_OK);
	CHECK_INT(parse_int_range("101", 0, 100, &v, NULL), PARSE_OVERFLOW);
	CHECK_INT(parse_int_range("5", 10, 100, &v, NULL), PARSE_UNDERFLOW);
	CHECK_INT(parse_int_range("-5", -10, 10, &v, NULL), PARSE_OK);
	CHECK_INT(v, -5);
	CHECK_INT(parse_int_range("-11", -10, 10, &v, NULL), PARSE_UNDERFLOW);
	CHECK_INT(parse_int_range("-0", -10, 10, &v, NULL), PARSE_OK);
	CHECK_INT(v, 0);
	s = "-5";
	CHECK_INT(parse_int_range(s, 0, 10, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s);
	s = "+5";
	CHECK_INT(parse_int_range(s, -10, 10, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s);
	s = "5k";
	CHECK_INT(parse_int_range(s, 0, 10, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 1);
	s = "--5";
	CHECK_INT(parse_int_range(s, -10, 10, &v, &bad), PARSE_BAD_CHAR);
	CHECK(bad == s + 1);
	CHECK_INT(parse_int_range("", 0, 10, &v, NULL), PARSE_EMPTY);
	CHECK_INT(parse_int_range("-", -10, 10, &v, NULL), PARSE_EMPTY);
	CHECK_INT(parse_int_range(NULL, 0, 10, &v, NULL), PARSE_EMPTY);
}

TEST(int_range_extremes)
{
	long long v = 0;

	CHECK_INT(parse_int_range("9223372036854775807", LLONG_MIN, LLONG_MAX, &v, NULL), PARSE_OK);
	CHECK_INT(v, LLONG_MAX);
	CHECK_INT(parse_int_range("9223372036854775808", LLONG_MIN, LLONG_MAX, &v, NULL),
	          PARSE_OVERFLOW);
	CHECK_INT(parse_int_range("-9223372036854775808", LLONG_MIN, LLONG_MAX, &v, NULL),
	          PARSE_OK);
	CHECK_INT(v, LLONG_MIN);
	CHECK_INT(parse_int_range("-9223372036854775809", LLONG_MIN, LLONG_MAX, &v, NULL),
	          PARSE_UNDERFLOW);
	CHECK_INT(parse_int_range("99999999999999999999999", 0, LLONG_MAX, &v, NULL),
	          PARSE_OVERFLOW);
	CHECK_INT(parse_int_range("-99999999999999999999999", LLONG_MIN, 0, &v, NULL),
	          PARSE_UNDERFLOW);
}

TEST_MAIN()
