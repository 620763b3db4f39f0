/* Unit tests for the normalize-uri normalizers (worker/uri-norm.h); the
 * expected strings were checked against HAProxy 2.6 where its HTTP/1
 * parser lets them through.
 */
#include "tests/unit/test.h"
#include "worker/uri-norm.h"

static char res[256];

/* Runs normalizer <n> on <in>; returns the result or "ERR<code>". */
static const char *norm(enum uri_norm n, unsigned flags, const char *in)
{
	size_t len = 0;
	enum uri_norm_err e = uri_normalize(n, flags, in, strlen(in), res, sizeof(res) - 1, &len);
	if (e) {
		snprintf(res, sizeof(res), "ERR%d", (int)e);
		return res;
	}
	res[len] = 0;
	return res;
}

TEST(fragments)
{
	CHECK_STR(norm(UN_FRAGMENT_ENCODE, 0, "/a#b?c#d"), "/a%23b?c%23d");
	CHECK_STR(norm(UN_FRAGMENT_STRIP, 0, "/a?b=1#frag#x"), "/a?b=1");
	CHECK_STR(norm(UN_FRAGMENT_STRIP, 0, "/a"), "/a");
}

TEST(slashes_and_dots)
{
	CHECK_STR(norm(UN_PATH_MERGE_SLASHES, 0, "//a///b//"), "/a/b/");
	CHECK_STR(norm(UN_PATH_STRIP_DOT, 0, "/./a/./b/."), "/a/b/");
	CHECK_STR(norm(UN_PATH_STRIP_DOT, 0, "/a/.b/.."), "/a/.b/..");
	CHECK_STR(norm(UN_PATH_STRIP_DOTDOT, 0, "/a/b/../c/.."), "/a/");
	CHECK_STR(norm(UN_PATH_STRIP_DOTDOT, 0, "/../a/../../b"), "/../../b");
	CHECK_STR(norm(UN_PATH_STRIP_DOTDOT, UN_F_FULL, "/../a/../../b"), "/b");
	CHECK_STR(norm(UN_PATH_STRIP_DOTDOT, 0, "/a//../b"), "/a/b");
	CHECK_STR(norm(UN_PATH_STRIP_DOTDOT, 0, "/.."), "/..");
	CHECK_STR(norm(UN_PATH_STRIP_DOTDOT, UN_F_FULL, "/.."), "/");
	CHECK_STR(norm(UN_PATH_STRIP_DOTDOT, 0, "/a/.."), "/");
}

TEST(percent)
{
	CHECK_STR(norm(UN_PERCENT_DECODE_UNRES, 0, "/%41%2f%7e%7E%2D?x=%61%zz"), "/A%2f~~-?x=a%zz");
	CHECK_STR(norm(UN_PERCENT_DECODE_UNRES, UN_F_STRICT, "/%zz"), "ERR-1");
	CHECK_STR(norm(UN_PERCENT_UPPER, 0, "/%af%2f%zz?q=%e9"), "/%AF%2F%zz?q=%E9");
	CHECK_STR(norm(UN_PERCENT_UPPER, 0, "/a%4"), "/a%4");
	CHECK_STR(norm(UN_PERCENT_UPPER, UN_F_STRICT, "/a%4"), "ERR-1");
}

TEST(query_sort)
{
	CHECK_STR(norm(UN_QUERY_SORT, 0, "?c=3&a=2&b&a=1&=0"), "?=0&a=2&a=1&b&c=3");
	CHECK_STR(norm(UN_QUERY_SORT, 0, "?b&a&"), "?a&b");
	CHECK_STR(norm(UN_QUERY_SORT, 0, "?"), "?");
	CHECK_STR(norm(UN_QUERY_SORT, 0, "?ab=1&a=2"), "?a=2&ab=1");
}

TEST(no_room)
{
	size_t len;
	char small[4];
	CHECK_INT(uri_normalize(UN_FRAGMENT_ENCODE, 0, "/#a", 3, small, sizeof(small), &len),
	          UNE_ROOM);
}

TEST_MAIN()
