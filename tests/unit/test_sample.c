/* Unit tests for the sample engine (common/sample*.c), pattern matching
 * (common/pattern*.c) and ACL conditions (common/acl.c), driven through
 * the constant fetches of common/fetch-const.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "common/acl.h"
#include "common/logfmt.h"
#include "common/h1.h"
#include "common/pattern.h"
#include "common/sample.h"
#include "tests/unit/test.h"
#include "worker/http-txn.h"
#include "worker/stream.h"

static const struct smp_where anywhere = {SMP_CK_CFG, "test.cfg", 1, NULL};

/* Evaluates <text> and returns its value cast to a string (static buffer),
 * "<none>" when there is no sample, "<error: ...>" when it does not parse.
 */
static const char *eval(const char *text)
{
	static char out[256];
	char *err = NULL;
	struct sample_expr *e = sample_parse_str(text, strlen(text), &anywhere, &err);
	if (!e) {
		snprintf(out, sizeof(out), "<error: %s>", err);
		free(err);
		return out;
	}
	struct smp_ctx ctx = {0};
	struct sample smp;
	size_t mark = smp_arena_mark();
	if (!sample_fetch_as(e, &ctx, SMP_T_STR, &smp))
		snprintf(out, sizeof(out), "<none>");
	else
		snprintf(out, sizeof(out), "%.*s", (int)smp.u.str.len, smp.u.str.ptr);
	smp_arena_release(mark);
	sample_expr_free(e);
	return out;
}

static const char *parse_error(const char *text, enum smp_checkpoint ck)
{
	static char out[512];
	char *err = NULL;
	struct smp_where w = {ck, "t.cfg", 3, NULL};
	struct sample_expr *e = sample_parse_str(text, strlen(text), &w, &err);
	if (e) {
		sample_expr_free(e);
		return "<parsed>";
	}
	snprintf(out, sizeof(out), "%s", err);
	free(err);
	return out;
}

TEST(constant_fetches_and_casts)
{
	CHECK_STR(eval("int(42)"), "42");
	CHECK_STR(eval("int(-7)"), "-7");
	CHECK_STR(eval("bool(5)"), "1");
	CHECK_STR(eval("str(hello)"), "hello");
	CHECK_STR(eval("ipv4(10.1.2.3)"), "10.1.2.3");
	CHECK_STR(eval("ipv6(2001:db8::1)"), "2001:db8::1");
	CHECK_STR(eval("always_true"), "1");
	CHECK_STR(eval("always_false"), "0");
	CHECK_STR(eval("meth(GET)"), "GET");
	CHECK_STR(eval("meth(PURGE)"), "PURGE");
	CHECK_STR(eval("bin(414243)"), "ABC");
	CHECK_STR(eval("bin(41004243)"), "A"); /* binary to string stops at NUL */
}

TEST(cast_rules)
{
	struct sample s = {.type = SMP_T_STR};
	s.u.str.ptr = (char *)"123abc";
	s.u.str.len = 6;
	CHECK(smp_cast(&s, SMP_T_SINT));
	CHECK_INT(s.u.sint, 123);
	s = (struct sample){.type = SMP_T_STR};
	s.u.str.ptr = (char *)"";
	CHECK(!smp_cast(&s, SMP_T_SINT)); /* an empty string is no integer */
	s = (struct sample){.type = SMP_T_STR};
	s.u.str.ptr = (char *)"192.168.0.1";
	s.u.str.len = 11;
	CHECK(smp_cast(&s, SMP_T_ADDR));
	CHECK_INT(s.type, SMP_T_IPV4);
	CHECK(smp_cast(&s, SMP_T_SINT));
	CHECK_INT(s.u.sint, 0xc0a80001);
	s = (struct sample){.type = SMP_T_SINT, .u.sint = 0x0a000001};
	CHECK(smp_cast(&s, SMP_T_IPV6));
	CHECK(smp_cast(&s, SMP_T_IPV4)); /* v4-mapped back to IPv4 */
	CHECK_INT(s.u.ipv4.s_addr, htonl(0x0a000001));
	s = (struct sample){.type = SMP_T_IPV6};
	s.u.ipv6.s6_addr[15] = 1; /* ::1 is not v4-mapped */
	CHECK(!smp_cast(&s, SMP_T_IPV4));
	CHECK(!smp_can_cast(SMP_T_IPV6, SMP_T_SINT));
	CHECK(!smp_can_cast(SMP_T_BOOL, SMP_T_IPV4));
	CHECK(smp_can_cast(SMP_T_STR, SMP_T_METH));
	s = (struct sample){.type = SMP_T_SINT, .u.sint = 258};
	CHECK(smp_cast(&s, SMP_T_BIN));
	CHECK_INT(s.u.str.len, 8);
	CHECK_INT((unsigned char)s.u.str.ptr[6], 1);
	CHECK_INT((unsigned char)s.u.str.ptr[7], 2);
}

TEST(argument_parsing)
{
	CHECK_STR(eval("str('a,b')"), "a,b");
	CHECK_STR(eval("str(\"x\\\"y\")"), "x\"y");
	CHECK_STR(eval("str(a\\,b)"), "a,b");
	CHECK_STR(eval("str( spaced )"), "spaced");
	CHECK_STR(parse_error("int(abc)", SMP_CK_CFG),
	          "fetch method 'int' : failed to parse 'abc' as type 'integer' at position 1");
	CHECK_STR(parse_error("str", SMP_CK_CFG),
	          "fetch method 'str' : missing arguments (got 0/1), type 'string' expected");
	CHECK_STR(parse_error("int(1,2)", SMP_CK_CFG),
	          "fetch method 'int' : end of arguments expected at position 2, but got '2'");
	CHECK_STR(parse_error("str(abc", SMP_CK_CFG),
	          "missing closing ')' after arguments to 'str'");
	CHECK_STR(parse_error("bin(4)", SMP_CK_CFG),
	          "fetch method 'bin' : invalid binary string (odd length)");
	CHECK_STR(parse_error("date(0,h)", SMP_CK_CFG),
	          "fetch method 'date' : expects 's', 'ms' or 'us' as second argument");
	CHECK_STR(parse_error("ipv4(1.2.3)", SMP_CK_CFG),
	          "fetch method 'ipv4' : failed to parse '1.2.3' as type 'IPv4' at position 1");
}

TEST(expression_errors)
{
	CHECK_STR(parse_error("nosuchfetch", SMP_CK_CFG), "unknown fetch method 'nosuchfetch'");
	CHECK_STR(parse_error("int(1),nosuchconv", SMP_CK_CFG), "unknown converter 'nosuchconv'");
	CHECK_STR(parse_error("int(1),", SMP_CK_CFG), "missing converter name after ','");
	CHECK_STR(parse_error("", SMP_CK_CFG), "missing fetch method");
	CHECK_STR(parse_error("int(1)x", SMP_CK_CFG),
	          "missing comma after fetch keyword 'int' before 'x'");
}

TEST(environment_and_time)
{
	setenv("HALYARD_TEST_VAR", "from-env", 1);
	CHECK_STR(eval("env(HALYARD_TEST_VAR)"), "from-env");
	CHECK_STR(eval("env(HALYARD_NO_SUCH_VAR)"), "<none>");
	long now = (long)time(NULL);
	long d = atol(eval("date"));
	CHECK(d >= now && d <= now + 2);
	d = atol(eval("date(3600)"));
	CHECK(d >= now + 3600 && d <= now + 3602);
	long r = atol(eval("rand(10)"));
	CHECK(r >= 0 && r < 10);
}

TEST(arena_marks)
{
	size_t m = smp_arena_mark();
	char *a = smp_alloc(100);
	CHECK(a != NULL);
	CHECK(smp_arena_mark() >= m + 100);
	smp_arena_release(m);
	CHECK_INT(smp_arena_mark(), m);
	CHECK(smp_alloc((size_t)1 << 30) == NULL); /* over the limit: no memory, no crash */
}

TEST(process_variables)
{
	CHECK_STR(eval("var(proc.unset_yet)"), "<none>");
	CHECK_STR(eval("var(proc.unset_yet,dflt)"), "dflt");
	CHECK_STR(eval("str(abc),set-var(proc.v1)"), "abc");
	CHECK_STR(eval("var(proc.v1)"), "abc");
	CHECK_STR(eval("int(5),set-var(proc.n)"), "5");
	CHECK_STR(eval("int(3),set-var(proc.n,ifgt)"), "3"); /* 5 > 3: set */
	CHECK_STR(eval("var(proc.n)"), "3");
	CHECK_STR(eval("int(9),set-var(proc.n,ifgt)"), "9"); /* 3 < 9: kept */
	CHECK_STR(eval("var(proc.n)"), "3");
	CHECK_STR(eval("str(\"\"),set-var(proc.v1,ifnotempty)"), "");
	CHECK_STR(eval("var(proc.v1)"), "abc");
	CHECK_STR(eval("str(x),set-var(proc.v2,ifexists)"), "x"); /* never set: not stored */
	CHECK_STR(eval("var(proc.v2)"), "<none>");
	CHECK_STR(eval("str(x),unset-var(proc.v1)"), "x");
	CHECK_STR(eval("var(proc.v1)"), "<none>");
	CHECK_STR(eval("str(y),set-var(proc.v1,ifexists,ifnotset)"), "y");
	CHECK_STR(eval("var(proc.v1)"), "y");
	CHECK_STR(
	    eval("var(nope.x)"),
	    "<error: fetch method 'var' : invalid variable name 'nope.x'. A variable name must be "
	    "start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'>");
	CHECK_STR(eval("str(a),set-var(txn.x,ifwhatever)"),
	          "<error: invalid args in converter 'set-var' : unknown condition 'ifwhatever'>");
	CHECK_STR(eval("str(a),set-var(txn.x)"), "a"); /* no transaction here: not stored */
	CHECK_STR(eval("var(txn.x)"), "<none>");
}

TEST(string_converters)
{
	CHECK_STR(eval("str(MiXeD),lower"), "mixed");
	CHECK_STR(eval("str(MiXeD),upper"), "MIXED");
	CHECK_STR(eval("str(hello),length"), "5");
	/* the manual's examples of field and word */
	CHECK_STR(eval("str(f1_f2_f3__f5),field(4,_)"), "");
	CHECK_STR(eval("str(f1_f2_f3__f5),field(5,_)"), "f5");
	CHECK_STR(eval("str(f1_f2_f3__f5),field(2,_,0)"), "f2_f3__f5");
	CHECK_STR(eval("str(f1_f2_f3__f5),field(2,_,2)"), "f2_f3");
	CHECK_STR(eval("str(f1_f2_f3__f5),field(-2,_,3)"), "f2_f3_");
	CHECK_STR(eval("str(f1_f2_f3__f5),field(-3,_,0)"), "f1_f2_f3");
	CHECK_STR(eval("str(f1_f2_f3__f5),word(4,_)"), "f5");
	CHECK_STR(eval("str(f1_f2_f3__f5),word(5,_)"), "<none>");
	CHECK_STR(eval("str(f1_f2_f3__f5),word(2,_,0)"), "f2_f3__f5");
	CHECK_STR(eval("str(f1_f2_f3__f5),word(3,_,2)"), "f3__f5");
	CHECK_STR(eval("str(f1_f2_f3__f5),word(-2,_,3)"), "f1_f2_f3");
	CHECK_STR(eval("str(f1_f2_f3__f5),word(-3,_,0)"), "f1_f2");
	CHECK_STR(eval("str(/f1/f2/f3/f4),word(1,/)"), "f1");
	/* the manual says f2 here, HAProxy 2.6 answers f1 (leading delimiters skipped) */
	CHECK_STR(eval("str(/f1////f2/f3/f4),word(1,/)"), "f1");
	CHECK_STR(eval("str(aaa-bbb),regsub(a,x)"), "xaa-bbb");
	CHECK_STR(eval("str(aaa-bbb),regsub(a,x,g)"), "xxx-bbb");
	CHECK_STR(eval("str(AAA-bbb),regsub(a,x,ig)"), "xxx-bbb");
	CHECK_STR(eval("str(key=val),regsub('^([a-z]+)=(.*)$','\\2:\\1')"), "val:key");
	CHECK_STR(eval("str(a),regsub(a,x,z)"),
	          "<error: invalid args in converter 'regsub' : invalid regex flag 'z', only 'i' "
	          "and 'g' are supported>");
	CHECK_STR(eval("str(ab),hex"), "6162");
	CHECK_STR(eval("str(hello),base64"), "aGVsbG8=");
	CHECK_STR(eval("str(aGVsbG8=),b64dec"), "hello");
	CHECK_STR(eval("str(aGVsbG8),b64dec"), "<none>");
	CHECK_STR(eval("str(a%20b+c),url_dec"), "a b+c");
	CHECK_STR(eval("str(a%20b+c),url_dec(1)"), "a b c");
	CHECK_STR(eval("str(bad%2),url_dec"), "<none>");
	CHECK_STR(eval("str(abcdef),bytes(2,3)"), "cde");
	CHECK_STR(eval("str(abcdef),bytes(4)"), "ef");
	CHECK_STR(eval("str(x),set-var(proc.cc),concat(<,proc.cc,>)"), "x<x>");
	CHECK_STR(eval("str(b),set-var(proc.cmp)"), "b");
	CHECK_STR(eval("str(a),strcmp(proc.cmp)"), "-1");
	CHECK_STR(eval("str(b),strcmp(proc.cmp)"), "0");
}

TEST(numeric_converters)
{
	CHECK_STR(eval("int(7),add(3)"), "10");
	CHECK_STR(eval("int(7),sub(10)"), "-3");
	CHECK_STR(eval("int(7),mul(-2)"), "-14");
	CHECK_STR(eval("int(7),div(2)"), "3");
	CHECK_STR(eval("int(7),div(0)"), "9223372036854775807");
	CHECK_STR(eval("int(7),mod(0)"), "0");
	CHECK_STR(eval("int(7),mod(4)"), "3");
	CHECK_STR(eval("int(6),and(3)"), "2");
	CHECK_STR(eval("int(6),or(3)"), "7");
	CHECK_STR(eval("int(6),xor(3)"), "5");
	CHECK_STR(eval("int(5),neg"), "-5");
	CHECK_STR(eval("int(0),cpl"), "-1");
	CHECK_STR(eval("int(5),odd"), "1");
	CHECK_STR(eval("int(5),even"), "0");
	CHECK_STR(eval("int(0),not"), "1");
	CHECK_STR(eval("int(3),bool"), "1");
	CHECK_STR(eval("int(1),bool,iif(yes,no)"), "yes");
	CHECK_STR(eval("int(40),set-var(proc.k)"), "40");
	CHECK_STR(eval("int(2),add(proc.k)"), "42");
	CHECK_STR(eval("int(2),add(proc.never_set)"), "<none>");
	CHECK_STR(eval("ipv4(10.1.2.3),ipmask(16)"), "10.1.0.0");
	CHECK_STR(eval("ipv4(10.1.2.3),ipmask(255.0.0.0)"), "10.0.0.0");
	CHECK_STR(eval("ipv6(2001:db8:1::5),ipmask(24,32)"), "2001:db8::");
	CHECK_STR(eval("int(1),add(nope.x)"),
	          "<error: invalid args in converter 'add' : invalid variable name 'nope.x'. A "
	          "variable name must be start by its scope. The scope can be 'proc', 'sess', "
	          "'txn', 'req', 'res' or 'check'>");
}

/* Values checked against HAProxy 2.6 on the same expressions. */
TEST(more_converters)
{
	CHECK_STR(eval("str(0aFF),hex2i"), "2815");
	CHECK_STR(eval("str(zz),hex2i"), "0");
	CHECK_STR(eval("str(hi?>),ub64enc"), "aGk_Pg");
	CHECK_STR(eval("str(aGk_Pg),ub64dec"), "hi?>");
	CHECK_STR(eval("str(a b/c~),url_enc"), "a%20b%2Fc~");
	CHECK_STR(eval("bin(01020304050607),be2dec(:,2)"), "258:772:1286:7");
	CHECK_STR(eval("bin(01020304050607),be2dec(-,2,1)"), "258-772-1286");
	CHECK_STR(eval("bin(7f000001),be2dec(.,1)"), "127.0.0.1");
	CHECK_STR(eval("bin(01020304050607),be2hex"), "01020304050607");
	CHECK_STR(eval("bin(01020304050607),be2hex(:,2)"), "0102:0304:0506:07");
	CHECK_STR(eval("bin(0102030405060708),be2hex(,3,1)"), "010203040506");
	CHECK_STR(eval("str(key),set-var(proc.ai)"), "key");
	CHECK_STR(eval("str(a),add_item(',',proc.ai,'(s)')"), "a,key(s)");
	CHECK_STR(eval("str(),add_item(',',proc.ai)"), "key");
	CHECK_STR(eval("str(key),secure_memcmp(proc.ai)"), "1");
	CHECK_STR(eval("str(kez),secure_memcmp(proc.ai)"), "0");
	CHECK_STR(eval("str(a/b),json"), "a\\/b");
	CHECK_STR(eval("int(0),utime(%Y-%m-%dT%H:%M:%S)"), "1970-01-01T00:00:00");
	CHECK_STR(eval("int(1700000000),http_date"), "Tue, 14 Nov 2023 22:13:20 GMT");
	CHECK_STR(eval("str(abc),digest(sha256),hex"),
	          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
	CHECK_STR(eval("str(abc),hmac(sha256,a2V5),hex"),
	          "9C196E32DC0175F86F4B1CB89289D6619DE6BEE699E4C378E68309ED97A1A6AB");
	CHECK_STR(
	    eval("str(abc),digest(nosuch)"),
	    "<error: invalid args in converter 'digest' : unknown digest algorithm 'nosuch'>");
	CHECK_STR(eval("str(),length"), "0");
	CHECK_STR(eval("str(hello),crc32"), "907060870");
	CHECK_STR(eval("str(hello),crc32(1)"), "3902247103");
	CHECK_STR(eval("str(hello),djb2"), "261238937");
	CHECK_STR(eval("str(hello),sdbm"), "684824882");
	CHECK_STR(eval("str(hello),wt6"), "3538347703");
	CHECK_STR(eval("str(hello),sha1,hex"), "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D");
	CHECK_STR(eval("str(\"\"),xxh32"), "46947589");
	CHECK_STR(eval("str(a),xxh32"), "1426945110");
	CHECK_STR(eval("str(helloworld.this.is.a.longer.text),xxh32(7)"), "4067605926");
	CHECK_STR(eval("str(\"\"),xxh64"), "-1205034819632174695");
	CHECK_STR(eval("str(a),xxh64"), "-3292477735350538661");
	CHECK_STR(eval("str(helloworld.this.is.a.longer.text.here.ok),xxh64(7)"),
	          "-7808180388436827776");
	/* xxh3: the values of HAProxy 2.6 (see test_xxh3.c for every length) */
	CHECK_STR(eval("str(b),xxh3"), "6294355645245719615");
	CHECK_STR(eval("str(b),xxh3(1)"), "-7421772513463164128");
	CHECK_STR(eval("str(\"\"),xxh3"), "3244421341483603138");
	CHECK_STR(eval("str(hello),crc32c"), "2591144780");
	CHECK_STR(eval("str(hello),crc32c(1)"), "2290590055");
}

/* The json input decoders, each input compared with what HAProxy 2.6
 * gives for it (<none>: the converter fails, the sample is dropped).
 */
TEST(json_input_codes)
{
	static const struct {
		const char *hex;    /* input bytes */
		const char *out[5]; /* ascii, utf8, utf8s, utf8p, utf8ps */
	} cases[] = {
	    {"616263", {"abc", "abc", "abc", "abc", "abc"}},
	    {"C3A974C3A9", /* "été" */
	     {"\\u00c3\\u00a9t\\u00c3\\u00a9", "\\u00e9t\\u00e9", "\\u00e9t\\u00e9",
	      "\\u00e9t\\u00e9", "\\u00e9t\\u00e9"}},
	    {"618062", /* lone continuation byte */
	     {"a\\u0080b", "<none>", "ab", "<none>", "ab"}},
	    {"61C0AF62", /* overlong '/' */
	     {"a\\u00c0\\u00afb", "<none>", "ab", "a\\/b", "a\\/b"}},
	    {"61E080AF62", /* overlong '/' on 3 bytes */
	     {"a\\u00e0\\u0080\\u00afb", "<none>", "ab", "a\\/b", "a\\/b"}},
	    {"78F09F988079", /* U+1F600: beyond what \\uXXXX holds */
	     {"x\\u00f0\\u009f\\u0098\\u0080y", "<none>", "xy", "<none>", "xy"}},
	    {"61EDA08062", /* a surrogate */
	     {"a\\u00ed\\u00a0\\u0080b", "<none>", "ab", "<none>", "ab"}},
	    {"61E282", /* truncated at the end */
	     {"a\\u00e2\\u0082", "<none>", "a", "<none>", "a"}},
	    {"61C362", /* a lead byte not followed by a continuation */
	     {"a\\u00c3b", "<none>", "ab", "<none>", "ab"}},
	    {"FF", {"\\u00ff", "<none>", "", "<none>", ""}},
	    {"7122", {"q\\\"", "q\\\"", "q\\\"", "q\\\"", "q\\\""}},
	};
	static const char *const codes[] = {"ascii", "utf8", "utf8s", "utf8p", "utf8ps"};
	char e[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int k = 0; k < 5; k++) {
			snprintf(e, sizeof(e), "bin(%s),json(%s)", cases[i].hex, codes[k]);
			CHECK_STR(eval(e), cases[i].out[k]);
		}
	CHECK_STR(eval("bin(5c2f0108),json"), "\\\\\\/\\u0001\\b");
	CHECK_STR(eval("str(x),json(latin1)"),
	          "<error: invalid args in converter 'json' : Unexpected input code type. Allowed "
	          "value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'>");
}

/* http_date with a unit: the fraction as HAProxy 2.6 prints it, a plain
 * number after the seconds (5 ms is ".5", not ".005").
 */
TEST(http_date_fractions)
{
	CHECK_STR(eval("int(1700000000123),http_date(0,ms)"), "Tue, 14 Nov 2023 22:13:20.123 GMT");
	CHECK_STR(eval("int(1700000000123456),http_date(0,us)"),
	          "Tue, 14 Nov 2023 22:13:20.123456 GMT");
	CHECK_STR(eval("int(1700000000005),http_date(1000,ms)"), "Tue, 14 Nov 2023 22:13:21.5 GMT");
	CHECK_STR(eval("int(1700000000050),http_date(0,ms)"), "Tue, 14 Nov 2023 22:13:20.50 GMT");
	CHECK_STR(eval("int(1700000000000120),http_date(0,us)"),
	          "Tue, 14 Nov 2023 22:13:20.120 GMT");
	CHECK_STR(eval("int(1700000000000),http_date(0,ms)"), "Tue, 14 Nov 2023 22:13:20.0 GMT");
	CHECK_STR(eval("int(1700000000999),http_date(1,ms)"), "Tue, 14 Nov 2023 22:13:21.0 GMT");
	CHECK_STR(eval("int(1700000000),http_date(0,s)"), "Tue, 14 Nov 2023 22:13:20 GMT");
	/* before the epoch (HAProxy prints garbage): the second before, plus */
	CHECK_STR(eval("int(-1500),http_date(0,ms)"), "Wed, 31 Dec 1969 23:59:58.500 GMT");
}

TEST(json_query_converter)
{
	const char *doc =
	    "str('{\"a\":\"hello\",\"b\":{\"c\":\"deep\"},\"n\":42,\"arr\":[1,\"two\",3],"
	    "\"t\":true,\"nul\":null,\"esc\":\"a\\\"b\\u00e9\",\"fl\":1.5}')";
	char e[512];
	static const struct {
		const char *path, *want;
	} cases[] = {
	    {"'$.a'", "hello"},
	    {"'$.b.c'", "deep"},
	    {"'$.n'", "42"},
	    {"'$.n','int'", "42"},
	    {"'$.arr[1]'", "two"},
	    {"'$.arr[9]'", "<none>"},
	    {"'$.t'", "1"},
	    {"'$.nul'", "<none>"},
	    {"'$.b'", "<none>"},
	    {"'$.esc'", "a\"b\xc3\xa9"},
	    {"'$.fl','int'", "1"},
	    {"\"$['a']\"", "hello"},
	    {"'$.missing'", "<none>"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(e, sizeof(e), "%s,json_query(%s)", doc, cases[i].path);
		CHECK_STR(eval(e), cases[i].want);
	}
	CHECK_STR(eval("str('{\"a\":[1,2'),json_query('$.a[1]')"), "2");
	CHECK_STR(eval("str('{\"a\":\"unterminated'),json_query('$.a')"), "<none>");
	CHECK_STR(eval("str(x),json_query('a')"),
	          "<error: invalid args in converter 'json_query' : a JSON path starts with '$'>");
}

TEST(map_converters)
{
	char path[64], words[160];
	snprintf(path, sizeof(path), "/tmp/halyard-test-conv-%d.map", (int)getpid());
	FILE *f = fopen(path, "w");
	fprintf(f, "# hosts\nwww.example.com  be_www\napi.example.com be_api\n10.0.0.0/8 42\n");
	fclose(f);
	snprintf(words, sizeof(words), "str(www.example.com),map(%s)", path);
	CHECK_STR(eval(words), "be_www");
	snprintf(words, sizeof(words), "str(nope),map(%s,fallback)", path);
	CHECK_STR(eval(words), "fallback");
	snprintf(words, sizeof(words), "str(nope),map_str(%s)", path);
	CHECK_STR(eval(words), "<none>");
	snprintf(words, sizeof(words), "str(api.example.com/x),map_beg(%s)", path);
	CHECK_STR(eval(words), "be_api");
	snprintf(path, sizeof(path), "/tmp/halyard-test-conv-ip-%d.map", (int)getpid());
	f = fopen(path, "w");
	fprintf(f, "10.0.0.0/8 8\n10.1.0.0/16 16\n");
	fclose(f);
	snprintf(words, sizeof(words), "ipv4(10.1.2.3),map_ip_int(%s,0),add(1)", path);
	CHECK_STR(eval(words), "17");
	snprintf(words, sizeof(words), "ipv4(11.1.2.3),map_ip_int(%s,-1)", path);
	CHECK_STR(eval(words), "-1");
	snprintf(words, sizeof(words), "ipv4(11.1.2.3),map_ip_int(%s,abc)", path);
	CHECK(strstr(eval(words), "failed to parse 'abc' as type 'integer' at position 2"));
	CHECK(strstr(eval("str(x),map(/nonexistent/map)"), "failed to open pattern file"));
	unlink(path);
}

/* Renders log-format <text> (static buffer), or "<error: ...>". */
static const char *lf(const char *text, enum smp_checkpoint ck)
{
	static char out[512];
	char *err = NULL;
	struct smp_where w = {ck, "t.cfg", 1, NULL};
	struct logfmt *f = logfmt_parse(text, &w, &err);
	if (!f) {
		snprintf(out, sizeof(out), "<error: %s>", err);
		free(err);
		return out;
	}
	struct smp_ctx ctx = {0};
	size_t n = logfmt_render(f, &ctx, out, sizeof(out) - 1);
	out[n] = 0;
	logfmt_free(f);
	return out;
}

TEST(log_format_strings)
{
	CHECK_STR(lf("plain text", SMP_CK_CFG), "plain text");
	CHECK_STR(lf("100%% sure", SMP_CK_CFG), "100% sure");
	CHECK_STR(lf("a=%[int(5)] b=%[str(x)]", SMP_CK_CFG), "a=5 b=x");
	CHECK_STR(lf("%{+Q}[str(q)] %{+Q}[int(3)]", SMP_CK_CFG), "\"q\" 3");
	CHECK_STR(lf("%{+X}[int(255)]", SMP_CK_CFG), "FF");
	CHECK_STR(lf("%{+E}[str(a]b)]", SMP_CK_CFG), "a\\]b");
	CHECK_STR(lf("[%[env(HALYARD_NO_SUCH)]] [%{+Q}[env(HALYARD_NO_SUCH)]]", SMP_CK_CFG),
	          "[-] [\"\"]");
	CHECK_STR(lf("%{+Q}o%[str(a)] %[str(b)]", SMP_CK_CFG), "\"a\" \"b\"");
	CHECK_STR(lf("%[str(a)", SMP_CK_CFG), "<error: missing ']' after 'str(a)'>");
	CHECK_STR(
	    lf("%[nosuch]", SMP_CK_CFG),
	    "<error: failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'>");
	CHECK_STR(lf("%zz", SMP_CK_CFG),
	          "<error: unknown format variable 'zz' (use '%%' for a '%')>");
	CHECK_STR(lf("%{+Z}[int(1)]", SMP_CK_CFG), "<error: unknown format option '+Z'>");
	CHECK_STR(lf("x%", SMP_CK_CFG),
	          "<error: unexpected character ' ' after '%' (use '%%' for a '%')>");
	/* truncation never overflows */
	char small[4];
	char *err = NULL;
	struct smp_where w = {SMP_CK_CFG, "t.cfg", 1, NULL};
	struct logfmt *f = logfmt_parse("abcdef%[str(ghijkl)]", &w, &err);
	struct smp_ctx ctx = {0};
	CHECK_INT(logfmt_render(f, &ctx, small, sizeof(small)), 4);
	CHECK(memcmp(small, "abcd", 4) == 0);
	logfmt_free(f);
}

/* ACLs */

static struct acl *acls;
static struct acl_scope scope = {&acls};

static int acl_line(const char *name, const char *words)
{
	char *copy = strdup(words), *args[32];
	int n = 0;
	for (char *t = strtok(copy, " "); t && n < 32; t = strtok(NULL, " "))
		args[n++] = t;
	char *err = NULL;
	int ok = acl_parse_line(&scope, name, args, n, "t.cfg", 1, &err);
	if (!ok)
		fprintf(stderr, "acl %s: %s\n", name, err);
	free(err);
	free(copy);
	return ok;
}

static const char *acl_error(const char *words)
{
	static char out[512];
	char *copy = strdup(words), *args[32];
	int n = 0;
	for (char *t = strtok(copy, " "); t && n < 32; t = strtok(NULL, " "))
		args[n++] = t;
	char *err = NULL;
	int ok = acl_parse_line(&scope, "bad", args, n, "t.cfg", 1, &err);
	snprintf(out, sizeof(out), "%s", ok ? "<parsed>" : err);
	free(err);
	free(copy);
	return out;
}

/* Evaluates the condition "<words>": 1 true, 0 false, -1 parse error. */
static int cond(const char *words)
{
	char *copy = strdup(words), *args[32];
	int n = 0;
	for (char *t = strtok(copy, " "); t && n < 32; t = strtok(NULL, " "))
		args[n++] = t;
	char *err = NULL;
	struct acl_cond *c = NULL;
	int r = -1;
	if (acl_find_cond(&scope, args, n, "t.cfg", 2, &c, &err) >= 0 && c) {
		struct smp_ctx ctx = {0};
		r = acl_exec_cond(c, &ctx) == ACL_PASS;
		acl_cond_free(c);
	} else if (err) {
		fprintf(stderr, "cond '%s': %s\n", words, err);
	}
	free(err);
	free(copy);
	return r;
}

TEST(acl_match_methods)
{
	CHECK(acl_line("s_exact", "str(Hello) Hello"));
	CHECK(acl_line("s_exact_i", "str(Hello) -i hello"));
	CHECK(acl_line("s_exact_miss", "str(Hello) hello"));
	CHECK(acl_line("s_beg", "str(/api/v1) -m beg /api /static"));
	CHECK(acl_line("s_end", "str(index.html) -m end .html"));
	CHECK(acl_line("s_sub", "str(abcdef) -m sub -i CDE"));
	CHECK(acl_line("s_reg", "str(abc123) -m reg ^[a-z]+[0-9]+$"));
	CHECK(acl_line("s_dir", "str(/img/logo.png) -m dir img"));
	CHECK(acl_line("s_dir_miss", "str(/images/logo.png) -m dir img"));
	CHECK(acl_line("s_dom", "str(www.example.com) -m dom example"));
	CHECK(acl_line("s_dom_miss", "str(www.myexample.com) -m dom example"));
	CHECK(acl_line("s_len", "str(abcd) -m len 3:5"));
	CHECK(acl_line("i_range", "int(42) 10:50"));
	CHECK(acl_line("i_ge", "int(42) ge 42"));
	CHECK(acl_line("i_gt", "int(42) gt 42"));
	CHECK(acl_line("i_lt", "int(42) lt 43"));
	CHECK(acl_line("i_open", "int(42) :41 43:"));
	CHECK(acl_line("ip_net", "ipv4(10.1.2.3) 192.168.0.0/16 10.0.0.0/8"));
	CHECK(acl_line("ip_mask", "ipv4(10.1.2.3) 10.1.0.0/255.255.0.0"));
	CHECK(acl_line("ip_miss", "ipv4(11.1.2.3) 10.0.0.0/8"));
	CHECK(acl_line("ip6_net", "ipv6(2001:db8::5) 2001:db8::/32"));
	CHECK(acl_line("ip4_in_v6", "ipv4(10.0.0.1) ::ffff:10.0.0.0/104"));
	CHECK(acl_line("b_true", "bool(1)"));
	CHECK(acl_line("b_false", "bool(0)"));
	CHECK(acl_line("found", "str(x) -m found"));
	CHECK(acl_line("bin", "bin(0a0b) -m bin 0A0B"));
	CHECK(acl_line("dashes", "str(-x) -- -x"));
	CHECK(acl_line("meth", "meth(GET) GET HEAD"));

	CHECK_INT(cond("if s_exact"), 1);
	CHECK_INT(cond("if s_exact_i"), 1);
	CHECK_INT(cond("if s_exact_miss"), 0);
	CHECK_INT(cond("if s_beg s_end s_sub s_reg s_dir s_dom s_len"), 1);
	CHECK_INT(cond("if s_dir_miss"), 0);
	CHECK_INT(cond("if s_dom_miss"), 0);
	CHECK_INT(cond("if i_range i_ge i_lt"), 1);
	CHECK_INT(cond("if i_gt"), 0);
	CHECK_INT(cond("if i_open"), 0);
	CHECK_INT(cond("if ip_net ip_mask ip6_net ip4_in_v6"), 1);
	CHECK_INT(cond("if ip_miss"), 0);
	CHECK_INT(cond("if b_true !b_false found bin dashes meth"), 1);
}

TEST(acl_conditions)
{
	CHECK(acl_line("yes", "always_true"));
	CHECK(acl_line("no", "always_false"));
	CHECK(acl_line("multi", "int(5) 1"));
	CHECK(acl_line("multi", "int(5) 5")); /* same name: ORed with the first line */
	CHECK_INT(cond("if yes"), 1);
	CHECK_INT(cond("unless yes"), 0);
	CHECK_INT(cond("if yes no"), 0);
	CHECK_INT(cond("if no || yes"), 1);
	CHECK_INT(cond("if no or yes"), 1);
	CHECK_INT(cond("if !no"), 1);
	CHECK_INT(cond("if ! no"), 1);
	CHECK_INT(cond("if multi"), 1);
	CHECK_INT(cond("if { int(3) 3 } yes"), 1);
	CHECK_INT(cond("if { str(abc) -m beg x }"), 0);
	CHECK_INT(cond("if TRUE"), 1);
	CHECK_INT(cond("unless FALSE"), 1);
	CHECK_INT(cond("if nosuch"), -1);
	CHECK_INT(cond("if yes ||"), -1);
	CHECK_INT(cond("if || yes"), -1);
	CHECK_INT(cond("if { int(3) 3"), -1);
	CHECK_INT(cond("if"), -1);
}

TEST(acl_errors)
{
	CHECK_STR(acl_error("int(1) -m nosuch 1"),
	          "unknown matching method 'nosuch' when parsing ACL expression");
	CHECK_STR(acl_error("int(1) -x 1"), "'-x' is not a valid ACL option. Please use '--' "
	                                    "before any pattern beginning with a '-'");
	CHECK_STR(acl_error("ipv4(1.2.3.4) notanip"),
	          "'notanip' is not a valid IPv4 or IPv6 address");
	CHECK_STR(acl_error("int(1) 5:1"), "'5:1' is not a valid number range");
	CHECK_STR(acl_error("int(1) gt abc"), "'abc' is not a valid number range");
	CHECK_STR(acl_error("int(1) gt 9223372036854775807"), "<parsed>"); /* no overflow */
	CHECK_STR(acl_error("str(a) -m reg ("),
	          "regex '(' is invalid (error=missing closing parenthesis, erroffset=1)");
	CHECK_STR(acl_error("meth(GET) -m ip 1.2.3.4"),
	          "matching method 'ip' cannot be used with fetch keyword 'meth'");
	CHECK_STR(acl_error("str(a) -f /nonexistent/file"),
	          "failed to open pattern file </nonexistent/file>");
	CHECK_STR(acl_error("nosuch x"),
	          "unknown fetch method 'nosuch' in ACL expression 'nosuch'");
}

/* A pattern file of <n> networks 10.x.y.0/24, with a comment and blanks. */
static char *write_net_file(int n)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/halyard-test-nets-%d.lst", (int)getpid());
	FILE *f = fopen(path, "w");
	fprintf(f, "# networks\n\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "  10.%d.%d.0/24\n", (i >> 8) & 255, i & 255);
	fclose(f);
	return path;
}

/* A stream holding a parsed request, for the fetches of predefined ACLs. */
static struct stream fake_s;
static struct http_txn fake_txn;
static struct http_hdr fake_hdrs[16];
static char fake_raw[512];

/* Sets the fake stream up with request <raw> (headers only), from client
 * address <src>, with <body> bytes received after the head.
 */
static struct smp_ctx fake_request(const char *raw, const char *src, const char *body)
{
	memset(&fake_s, 0, sizeof(fake_s));
	memset(&fake_txn, 0, sizeof(fake_txn));
	snprintf(fake_raw, sizeof(fake_raw), "%s", raw);
	fake_txn.req.hdrs = fake_hdrs;
	fake_txn.req.maxhdrs = 16;
	CHECK(h1_parse_head(fake_raw, strlen(fake_raw), &fake_txn.req, 0, 0) > 0);
	fake_txn.req_valid = 1;
	fake_txn.req_state = HRQ_DONE;
	fake_txn.cin.data = (char *)body;
	fake_txn.cin.tail = fake_txn.cin.size = (uint32_t)strlen(body);
	fake_s.txn = &fake_txn;
	struct sockaddr_in *sin = (struct sockaddr_in *)&fake_s.cli_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, src, &sin->sin_addr);
	return (struct smp_ctx){.strm = &fake_s, .opt = SMP_OPT_FINAL};
}

/* Evaluates condition "if <name>" on <ctx>: 1 true, 0 false, -1 error. */
static int cond_on(const char *name, struct smp_ctx *ctx)
{
	char *args[2] = {"if", (char *)name}, *err = NULL;
	struct acl_cond *c = NULL;
	int r = -1;
	if (acl_find_cond(&scope, args, 2, "t.cfg", 2, &c, &err) >= 0 && c)
		r = acl_exec_cond(c, ctx) == ACL_PASS;
	acl_cond_free(c);
	free(err);
	return r;
}

TEST(predefined_acls)
{
	struct smp_ctx c = fake_request("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "127.0.0.1", "");
	CHECK_INT(cond_on("HTTP", &c), 1);
	CHECK_INT(cond_on("METH_GET", &c), 1);
	CHECK_INT(cond_on("METH_POST", &c), 0);
	CHECK_INT(cond_on("LOCALHOST", &c), 1);
	CHECK_INT(cond_on("HTTP_1.1", &c), 1);
	CHECK_INT(cond_on("HTTP_1.0", &c), 0);
	CHECK_INT(cond_on("HTTP_URL_SLASH", &c), 1);
	CHECK_INT(cond_on("HTTP_URL_ABS", &c), 0);
	CHECK_INT(cond_on("HTTP_URL_STAR", &c), 0);
	CHECK_INT(cond_on("HTTP_CONTENT", &c), 0);
	CHECK_INT(cond_on("REQ_CONTENT", &c), 0);
	CHECK_INT(cond_on("WAIT_END", &c), 1);
	c = fake_request("HEAD http://h/x HTTP/1.0\r\n\r\n", "10.1.2.3", "");
	CHECK_INT(cond_on("METH_GET", &c), 1); /* GET or HEAD */
	CHECK_INT(cond_on("METH_HEAD", &c), 1);
	CHECK_INT(cond_on("LOCALHOST", &c), 0);
	CHECK_INT(cond_on("HTTP_1.0", &c), 1);
	CHECK_INT(cond_on("HTTP_URL_ABS", &c), 1);
	CHECK_INT(cond_on("HTTP_URL_SLASH", &c), 0);
	c = fake_request("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "127.0.0.1", "");
	CHECK_INT(cond_on("HTTP_URL_STAR", &c), 1);
	CHECK_INT(cond_on("METH_OPTIONS", &c), 1);
	c = fake_request("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", "127.0.0.1",
	                 "abc");
	CHECK_INT(cond_on("METH_POST", &c), 1);
	CHECK_INT(cond_on("HTTP_CONTENT", &c), 1);
	CHECK_INT(cond_on("REQ_CONTENT", &c), 1);
	c.opt = 0; /* the inspect delay is not over: no verdict yet */
	CHECK_INT(cond_on("WAIT_END", &c), 0);
	struct smp_ctx none = {0}; /* no HTTP transaction */
	CHECK_INT(cond_on("HTTP", &none), 0);
}

TEST(acl_flags_n_m_u)
{
	/* without -n a host name is resolved while the configuration loads */
	CHECK(acl_line("dns", "ipv4(127.0.0.1) localhost"));
	CHECK_INT(cond("if dns"), 1);
	CHECK_STR(acl_error("ipv4(127.0.0.1) -n localhost"),
	          "'localhost' is not a valid IPv4 or IPv6 address");
	CHECK(acl_line("dns_n", "ipv4(127.0.0.1) -n 127.0.0.1"));
	CHECK_INT(cond("if dns_n"), 1);
	pat_set_name_resolution(0); /* as at run time */
	CHECK_STR(acl_error("ipv4(127.0.0.1) localhost"),
	          "'localhost' is not a valid IPv4 or IPv6 address");
	pat_set_name_resolution(1);

	/* -M: a map file as a list of keys; without it, a whole line is one
	 * pattern
	 */
	char path[64], words[160];
	snprintf(path, sizeof(path), "/tmp/halyard-test-M-%d.map", (int)getpid());
	FILE *f = fopen(path, "w");
	fprintf(f, "k1 v1\nk2  v2\n");
	fclose(f);
	snprintf(words, sizeof(words), "str(k2) -M -f %s", path);
	CHECK(acl_line("keys", words));
	CHECK_INT(cond("if keys"), 1);
	snprintf(words, sizeof(words), "str(v1) -M -f %s", path);
	CHECK(acl_line("values", words));
	CHECK_INT(cond("if values"), 0);
	/* one file cannot be read both ways, as in HAProxy */
	snprintf(words, sizeof(words), "str(k2) -f %s", path);
	CHECK(strstr(acl_error(words), "is already used as two column file and cannot be used by "
	                               "as one column file"));
	unlink(path);
	snprintf(path, sizeof(path), "/tmp/halyard-test-L-%d.lst", (int)getpid());
	f = fopen(path, "w");
	fprintf(f, "k1 v1\nk2  v2\n");
	fclose(f);
	snprintf(words, sizeof(words), "str(k2) -f %s", path);
	CHECK(acl_line("lines", words));
	CHECK_INT(cond("if lines"), 0);
	char *whole[] = {"str('k2  v2')", "-f", path}, *err = NULL;
	CHECK(acl_parse_line(&scope, "whole", whole, 3, "t.cfg", 1, &err));
	free(err);
	CHECK_INT(cond("if whole"), 1);
	unlink(path);

	/* -u: the list gets that runtime id */
	CHECK(acl_line("uid", "str(b) -u 4242 a b"));
	CHECK_INT(cond("if uid"), 1);
	struct pat_ref *r = pat_ref_find("#4242");
	CHECK(r != NULL);
	CHECK_INT(r ? r->n : -1, 2);
	CHECK_STR(acl_error("str(b) -u x a"), "the argument of -u must be an integer");
}

TEST(hash_time_and_map_converters)
{
	CHECK_STR(eval("str(abc),sha2,hex"),
	          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
	CHECK_STR(eval("str(abc),sha2(224),hex"),
	          "23097D223405D8228642A477BDA255B32AADBCE4BDA0B3F7E36C9DA7");
	CHECK_STR(eval("str(abc),sha2(512),hex"),
	          "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A"
	          "2192992A274FC1A836BA3C23A3FEEBBD454D4423643CE80E2A9AC94FA54CA49F");
	CHECK_STR(eval("str(abc),sha1,hex"), "A9993E364706816ABA3E25717850C26C9CD0D89D");
	CHECK(strstr(eval("str(abc),sha2(100)"), "<error"));

	setenv("TZ", "Asia/Tokyo", 1); /* UTC+9, no daylight saving */
	tzset();
	CHECK_STR(eval("int(0),ltime(%Y-%m-%d %H:%M:%S)"), "1970-01-01 09:00:00");
	CHECK_STR(eval("int(0),ltime(%H:%M,3600)"), "10:00");
	CHECK_STR(eval("int(0),utime(%H:%M,60)"), "00:01");
	unsetenv("TZ");
	tzset();

	char path[64], words[200];
	/* write_map(<tag>, <contents>): a map file named after <tag> */
#define WRITE_MAP(tag, text)                                                                       \
	do {                                                                                       \
		snprintf(path, sizeof(path), "/tmp/halyard-test-%s-%d.map", tag, (int)getpid());   \
		FILE *mf = fopen(path, "w");                                                       \
		fputs(text, mf);                                                                   \
		fclose(mf);                                                                        \
	} while (0)
	WRITE_MAP("mstr", "exact 20\nother 21\n");
	snprintf(words, sizeof(words), "str(exact),map_str(%s)", path);
	CHECK_STR(eval(words), "20");
	snprintf(words, sizeof(words), "str(exactly),map_str(%s,none)", path);
	CHECK_STR(eval(words), "none");
	unlink(path);
	WRITE_MAP("mreg", "^/api/v[0-9]+/ 10\n^/static/ 11\n");
	snprintf(words, sizeof(words), "str(/api/v2/users),map_reg(%s)", path);
	CHECK_STR(eval(words), "10");
	snprintf(words, sizeof(words), "str(/api/vx/users),map_reg(%s,none)", path);
	CHECK_STR(eval(words), "none");
	snprintf(words, sizeof(words), "str(/api/v2/users),map_reg_int(%s),add(1)", path);
	CHECK_STR(eval(words), "11");
	unlink(path);
	WRITE_MAP("mint", "10 40\n20:30 41\n");
	snprintf(words, sizeof(words), "int(10),map_int(%s)", path);
	CHECK_STR(eval(words), "40");
	snprintf(words, sizeof(words), "int(25),map_int(%s)", path);
	CHECK_STR(eval(words), "41");
	snprintf(words, sizeof(words), "int(11),map_int(%s,none)", path);
	CHECK_STR(eval(words), "none");
	unlink(path);
	WRITE_MAP("mip", "192.168.0.0/16 30\n192.168.3.0/24 31\n");
	snprintf(words, sizeof(words), "ipv4(192.168.3.4),map_ip(%s)", path);
	CHECK_STR(eval(words), "31"); /* the most specific network */
	snprintf(words, sizeof(words), "ipv4(192.168.4.4),map_ip(%s)", path);
	CHECK_STR(eval(words), "30");
	snprintf(words, sizeof(words), "ipv4(192.169.3.4),map_ip(%s,none)", path);
	CHECK_STR(eval(words), "none");
	unlink(path);
	WRITE_MAP("mstrip", "a.example 10.0.0.1\n");
	snprintf(words, sizeof(words), "str(a.example),map_str_ip(%s)", path);
	CHECK_STR(eval(words), "10.0.0.1");
	unlink(path);
#undef WRITE_MAP
}

TEST(acl_from_file)
{
	char *path = write_net_file(5000);
	char words[128];
	snprintf(words, sizeof(words), "ipv4(10.19.135.7) -f %s", path); /* 5000 = 19*256+136 */
	CHECK(acl_line("f_hit", words));
	snprintf(words, sizeof(words), "ipv4(10.19.136.7) -f %s", path);
	CHECK(acl_line("f_miss", words));
	CHECK_INT(cond("if f_hit"), 1);
	CHECK_INT(cond("if f_miss"), 0);
	unlink(path);
}

TEST(maps_and_longest_prefix)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/halyard-test-map-%d.map", (int)getpid());
	FILE *f = fopen(path, "w");
	fprintf(f, "10.0.0.0/8 wide\n10.1.0.0/16 narrow value\n# comment\nexample.com site\n");
	fclose(f);
	char *err = NULL;
	struct pat_ref *ref = pat_ref_load(path, 1, &err);
	CHECK(ref != NULL);
	CHECK(pat_ref_load(path, 1, &err) == ref); /* shared */
	CHECK_INT(ref->n, 3);
	CHECK_STR(ref->entries[1]->value, "narrow value");
	struct pat_expr *ip = pat_expr_new(PAT_MATCH_IP, 0, SMP_T_STR);
	pat_expr_add_ref(ip, ref);
	CHECK(!pat_expr_build(ip, &err)); /* "example.com" is not a network */
	CHECK(err && strstr(err, "line 4 of file"));
	free(err);
	err = NULL;

	struct pat_ref *nets = pat_ref_new_inline();
	nets->is_map = 1;
	pat_ref_add(nets, "10.0.0.0/8", "wide", 0);
	pat_ref_add(nets, "10.1.0.0/16", "narrow", 0);
	pat_ref_add(nets, "10.1.2.3", "host", 0);
	struct pat_expr *e = pat_expr_new(PAT_MATCH_IP, 0, SMP_T_STR);
	pat_expr_add_ref(e, nets);
	CHECK(pat_expr_build(e, &err));
	struct sample s = {.type = SMP_T_IPV4};
	struct pat_result r;
	inet_pton(AF_INET, "10.1.9.9", &s.u.ipv4);
	CHECK(pat_expr_match(e, &s, &r));
	CHECK_STR(r.entry->value, "narrow");
	inet_pton(AF_INET, "10.1.2.3", &s.u.ipv4);
	CHECK(pat_expr_match(e, &s, &r));
	CHECK_STR(r.entry->value, "host");
	inet_pton(AF_INET, "10.200.0.1", &s.u.ipv4);
	CHECK(pat_expr_match(e, &s, &r));
	CHECK_STR(r.entry->value, "wide");

	/* integer values are checked when the index is built */
	struct pat_ref *ints = pat_ref_new_inline();
	ints->is_map = 1;
	pat_ref_add(ints, "a", "12", 0);
	pat_ref_add(ints, "a", "13", 0); /* duplicate key: the first wins */
	struct pat_expr *ie = pat_expr_new(PAT_MATCH_STR, 0, SMP_T_SINT);
	pat_expr_add_ref(ie, ints);
	CHECK(pat_expr_build(ie, &err));
	s = (struct sample){.type = SMP_T_STR};
	s.u.str.ptr = (char *)"a";
	s.u.str.len = 1;
	CHECK(pat_expr_match(ie, &s, &r));
	CHECK_INT(r.value.type, SMP_T_SINT);
	CHECK_INT(r.value.u.sint, 12);
	pat_ref_add(ints, "b", "x12", 0);
	CHECK(!pat_ref_commit(ints, &err));
	CHECK_STR(err, "unable to parse integer value 'x12'");
	free(err);
	unlink(path);
}

/* Longest-prefix lookups agree with a brute-force scan on random nested
 * networks (IPv4 and IPv6), including /0 and host routes.
 */
TEST(ip_index_matches_brute_force)
{
	uint64_t seed = 12345;
	for (int round = 0; round < 20; round++) {
		struct pat_ref *ref = pat_ref_new_inline();
		ref->is_map = 1;
		uint32_t nets[64], lens[64];
		int n = 1 + round * 3;
		for (int i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t a = (uint32_t)(seed >> 32) & 0x0f0f0f0f; /* clustered: nesting */
			lens[i] = (uint32_t)((seed >> 8) % 33);
			nets[i] = lens[i] ? a & (~0u << (32 - lens[i])) : 0;
			char key[32], val[16];
			snprintf(key, sizeof(key), "%u.%u.%u.%u/%u", nets[i] >> 24,
			         (nets[i] >> 16) & 255, (nets[i] >> 8) & 255, nets[i] & 255,
			         lens[i]);
			snprintf(val, sizeof(val), "%d", i);
			pat_ref_add(ref, key, val, 0);
		}
		pat_ref_add(ref, "::ffff:15.0.0.0/104", "v6", 0);
		char *err = NULL;
		struct pat_expr *e = pat_expr_new(PAT_MATCH_IP, 0, SMP_T_STR);
		pat_expr_add_ref(e, ref);
		CHECK(pat_expr_build(e, &err));
		for (int q = 0; q < 2000; q++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t a = (uint32_t)(seed >> 32) & (q & 1 ? 0x0f0f0f0fu : 0xffffffffu);
			int best = -1;
			for (int i = 0; i < n; i++) {
				uint32_t m = lens[i] ? ~0u << (32 - lens[i]) : 0;
				if ((a & m) == nets[i] && (best < 0 || lens[i] > lens[best]))
					best = i;
			}
			struct sample smp = {.type = SMP_T_IPV4};
			smp.u.ipv4.s_addr = htonl(a);
			struct pat_result r;
			int hit = pat_expr_match(e, &smp, &r);
			if (best >= 0) {
				CHECK(hit && atoi(r.entry->value) == best);
			} else if ((a >> 24) == 15) {
				CHECK(hit && !strcmp(r.entry->value, "v6")); /* via v4-mapped */
			} else {
				CHECK(!hit);
			}
		}
	}
}

TEST(string_hash_scales)
{
	struct pat_ref *ref = pat_ref_new_inline();
	char key[32];
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "Host-%d.example", i);
		pat_ref_add(ref, key, NULL, 0);
	}
	char *err = NULL;
	struct pat_expr *e = pat_expr_new(PAT_MATCH_STR, PAT_F_IGNORE_CASE, SMP_T_STR);
	pat_expr_add_ref(e, ref);
	CHECK(pat_expr_build(e, &err));
	struct sample s = {.type = SMP_T_STR};
	s.u.str.ptr = (char *)"HOST-99999.EXAMPLE";
	s.u.str.len = strlen(s.u.str.ptr);
	CHECK(pat_expr_match(e, &s, NULL));
	s.u.str.ptr = (char *)"host-100000.example";
	s.u.str.len = strlen(s.u.str.ptr);
	CHECK(!pat_expr_match(e, &s, NULL));
}

TEST_MAIN()
