/* Unit tests for cookie_capture_find (worker/capture.c): which cookie of a
 * Cookie or Set-Cookie value "capture cookie" keeps, and how.
 */
#include "worker/capture.h"
#include "tests/unit/test.h"

#include <string.h>

static char out[64];

/* The capture of <name> in header value <v>, cut to <max>; "(none)". */
static const char *find(const char *v, int req, const char *name, size_t max)
{
	long n = cookie_capture_find(v, strlen(v), req, name, strlen(name), out, max);
	return n < 0 ? "(none)" : out;
}

TEST(request_cookies)
{
	CHECK_STR(find("a=1; SESSID=abc; SESSID=def", 1, "SESSID", 63), "SESSID=abc");
	CHECK_STR(find("a=1, SESSID=2", 1, "SESSID", 63), "SESSID=2");
	CHECK_STR(find("SESSIDX=3", 1, "SESSID", 63), "SESSIDX=3"); /* prefix */
	CHECK_STR(find("sessid=3", 1, "SESSID", 63), "(none)");     /* case matters */
	CHECK_STR(find("SESSID", 1, "SESSID", 63), "(none)");       /* no '=' */
	CHECK_STR(find("SESSID; SESSID=x", 1, "SESSID", 63), "SESSID=x");
	CHECK_STR(find("SESSID=; b", 1, "SESSID", 63), "SESSID=");
	CHECK_STR(find("  SESSID  =  spaced  ; c=d", 1, "SESSID", 63), "SESSID=spaced");
	CHECK_STR(find("SESSID=\"a;b\"; c", 1, "SESSID", 63), "SESSID=\"a;b\"");
	CHECK_STR(find("SESSID=\"unterminated", 1, "SESSID", 63), "SESSID=\"unterminated");
	CHECK_STR(find("SESSID=0123456789", 1, "SESSID", 10), "SESSID=012");
	CHECK_STR(find("SES=1", 1, "SESSID", 63), "(none)");
	CHECK_STR(find("", 1, "SESSID", 63), "(none)");
	CHECK_STR(find(";;,, ;", 1, "SESSID", 63), "(none)");
	CHECK_STR(find("=x; SESSID=y", 1, "SESSID", 63), "SESSID=y");
}

TEST(set_cookie_values)
{
	CHECK_STR(find("SESSID=v; path=/", 0, "SESSID", 63), "SESSID=v");
	CHECK_STR(find(" SESSID = v2 ; path=/", 0, "SESSID", 63), "SESSID=v2");
	CHECK_STR(find("a=1, SESSID=2", 0, "SESSID", 63), "(none)"); /* one cookie */
	CHECK_STR(find("a=1; SESSID=2", 0, "SESSID", 63), "(none)"); /* an attribute */
	CHECK_STR(find("SESSID", 0, "SESSID", 63), "(none)");
	CHECK_STR(find("SESSID=\"quoted;x\"; y", 0, "SESSID", 12), "SESSID=\"quot");
}

TEST_MAIN()
