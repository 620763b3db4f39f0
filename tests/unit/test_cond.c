/* Unit tests of the .if/.elif condition evaluator (conf/cond.c). The lines
 * go through the tokenizer first, as they do in a configuration file.
 */
#include <stdlib.h>
#include <string.h>

#include "common/version.h"
#include "conf/cond.h"
#include "conf/tokenize.h"
#include "tests/unit/test.h"

static struct cfg_tokens T;

/* Tokenizes <line> then evaluates its words; *<msg> gets the error, if any. */
static int eval_line(const char *line, char **msg)
{
	size_t ep;

	if (cfg_tokenize(line, strlen(line), NULL, &T, &ep, NULL) != TOK_OK)
		return -100;
	return cfg_eval_cond(T.args, T.nargs, msg);
}

static void cond_at(int at, const char *line, int expected)
{
	char *err = NULL;
	int ret = eval_line(line, &err);

	CHECK_INT(ret, expected);
	if (ret != expected)
		fprintf(stderr, "  ^ from line %d: [%s] (%s)\n", at, line, err ? err : "");
	CHECK(expected < 0 || err == NULL);
	free(err);
}

/* Checks that <line> is an error whose message contains <what>. */
static void cond_err_at(int at, const char *line, const char *what)
{
	char *err = NULL;
	int ret = eval_line(line, &err);
	int before = t_fails;

	CHECK_INT(ret, -1);
	CHECK(err != NULL && strstr(err, what) != NULL);
	if (t_fails != before)
		fprintf(stderr, "  ^ from line %d: [%s] (%s)\n", at, line, err ? err : "(null)");
	free(err);
}

#define COND(line, expected) cond_at(__LINE__, line, expected)
#define COND_ERR(line, what) cond_err_at(__LINE__, line, what)

TEST(empty_is_false)
{
	char *none[] = {NULL};
	char *empties[] = {"", "", ""};
	char *err = NULL;

	CHECK_INT(cfg_eval_cond(none, 0, &err), 0);
	CHECK_INT(cfg_eval_cond(empties, 1, &err), 0);
	CHECK_INT(cfg_eval_cond(empties, 3, &err), 0);
	CHECK(err == NULL);
	unsetenv("HLY_C_UNSET");
	COND("", 0);
	COND("\"\"", 0);
	COND("\"$HLY_C_UNSET\"", 0);
	COND("\"${HLY_C_UNSET}\" \"\"", 0);
}

TEST(integers)
{
	COND("0", 0);
	COND("1", 1);
	COND("42", 1);
	COND("000", 0);
	COND("007", 1);
	COND(" 1 ", 1);
	setenv("HLY_C_ONE", "1", 1);
	setenv("HLY_C_ZERO", "0", 1);
	COND("\"$HLY_C_ONE\"", 1);
	COND("\"$HLY_C_ZERO\"", 0);
	COND_ERR("-1", "'-1'");
	COND_ERR("1x", "'x'");
}

TEST(defined)
{
	setenv("HLY_C_SET", "x", 1);
	setenv("HLY_C_EMPTY", "", 1);
	unsetenv("HLY_C_UNSET");
	COND("defined(HLY_C_SET)", 1);
	COND("defined(HLY_C_EMPTY)", 1);
	COND("defined(HLY_C_UNSET)", 0);
	COND("defined( HLY_C_SET )", 0); /* looks for " HLY_C_SET " */
	unsetenv("HLY_C_SET");
	COND("defined(HLY_C_SET)", 0);
}

TEST(string_predicates)
{
	COND("streq(a,a)", 1);
	COND("streq(a,b)", 0);
	COND("strneq(a,b)", 1);
	COND("strneq(a,a)", 0);
	COND("streq(,)", 1);
	COND("strstr(foobar,oba)", 1);
	COND("strstr(foobar,x)", 0);
	COND("strstr(foobar,)", 1);
	/* the manual's trap: words are joined with one space, kept in the value */
	setenv("HLY_C_SSL", "1", 1);
	COND("streq(\"$HLY_C_SSL\",1)", 1);
	COND("streq(\"$HLY_C_SSL\",     1)", 0);
	COND("streq(\"$HLY_C_SSL\", 1)", 0);
	COND("streq(\"$HLY_C_SSL\",\" 1\")", 0); /* quotes go at the top level */
	/* second-level quotes protect commas and parentheses */
	COND("streq(\\\"a,b\\\",\\\"a,b\\\")", 1);
	COND("'streq(\"x)\",\"x)\")'", 1);
	COND("'streq(\"x)\",x)'", 0); /* the second argument is "x" */
	COND("'streq(\"a b\",a\\ b)'", 0);
	COND("'streq(a\\\\b,\"a\\\\b\")'", 1);
	COND_ERR("'streq(\"(foo|bar)\",(foo|bar))'", "')'"); /* unquoted ')' ends the list */
	COND("'strstr(\"a,b\",\",\")'", 1);
	/* the manual's example with quoted environment variables */
	setenv("HLY_C_WITH", "yes", 1);
	unsetenv("HLY_C_ONLY");
	COND("strneq(\"$HLY_C_ONLY\",yes)", 1);
	COND("feature(OPENSSL) && (streq(\"$HLY_C_WITH\",yes) || streq(\"$HLY_C_ONLY\",yes))",
	     halyard_has_feature("OPENSSL"));
}

/* Second-level escapes, given as words directly. */
TEST(argument_escapes)
{
	char *w1[] = {"streq(\"it\\'s\",it\\'s)"};
	char *w2[] = {"streq(\"say \\\"hi\\\"\",'say \"hi\"')"};
	char *w3[] = {"streq('a\\b',\"a\\\\b\")"};
	char *w4[] = {"strstr('it''s',\"ts\")"};
	char *err = NULL;

	CHECK_INT(cfg_eval_cond(w1, 1, &err), 1);
	CHECK_INT(cfg_eval_cond(w2, 1, &err), 1);
	CHECK_INT(cfg_eval_cond(w3, 1, &err), 1);
	CHECK_INT(cfg_eval_cond(w4, 1, &err), 1);
	CHECK(err == NULL);
	free(err);
}

TEST(build_predicates)
{
	COND("feature(OPENSSL)", halyard_has_feature("OPENSSL"));
	COND("feature(EPOLL)", halyard_has_feature("EPOLL"));
	COND("feature(NO_SUCH_FEATURE)", 0);
	COND("!feature(NO_SUCH_FEATURE)", 1);
	COND("enabled(EPOLL)", halyard_option_enabled("EPOLL"));
	COND("enabled(NO-SUCH-OPTION)", 0);
	COND("ssllib_name_startswith(OpenSSL)", 1);
	COND("ssllib_name_startswith(Open)", 1);
	COND("ssllib_name_startswith(openssl)", 1);
	COND("ssllib_name_startswith(wolfSSL)", 0);
	COND("ssllib_name_startswith(OpenSSLX)", 0);
	COND("awslc_api_atleast(1)", 0);
	COND("awslc_api_before(1000)", 0);
	CHECK(eval_line("fips_mode()", NULL) >= 0);
	CHECK(eval_line("fips_mode", NULL) >= 0);
	COND_ERR("fips_mode(1)", "fips_mode");
}

TEST(versions)
{
	char line[128];
	const char *cur = halyard_compat_version();

	snprintf(line, sizeof(line), "version_atleast(%s)", cur);
	COND(line, 1);
	snprintf(line, sizeof(line), "version_before(%s)", cur);
	COND(line, 0);
	COND("version_atleast(0.1)", 1);
	COND("version_atleast(1)", 1);
	COND("version_atleast(2.4-dev19)", cfg_compare_versions(cur, "2.4-dev19", NULL) >= 0);
	COND("version_before(999)", 1);
	COND("version_atleast(999.0)", 0);
	COND("version_atleast(abc)", 1); /* as HAProxy 2.6 */
	COND_ERR("version_before()", "version_before");
	COND("openssl_version_atleast(1.1.1)", 1);
	COND("openssl_version_atleast(3.0)", 1); /* the build requires >= 3.0 */
	COND("openssl_version_before(1.1.1)", 0);
	COND("openssl_version_before(99)", 1);
	COND("ssllib_name_startswith(OpenSSL) && openssl_version_atleast(1.1.1)", 1);
	COND_ERR("openssl_version_atleast(x.y)", "x.y");
}

TEST(negation)
{
	COND("!0", 1);
	COND("!1", 0);
	COND("!!1", 1);
	COND("! 1", 0);
	COND("!!!0", 1);
	COND("!(0)", 1);
	COND_ERR("!", "missing operand");
	COND_ERR("1 && !", "missing operand");
}

TEST(and_or)
{
	COND("1 && 1", 1);
	COND("1 && 0", 0);
	COND("0 && 1", 0);
	COND("0 || 0", 0);
	COND("0 || 1", 1);
	COND("1 || 0", 1);
	COND("1&&1", 1);
	COND("0||0||0||1", 1);
	COND("1&&1&&1&&0", 0);
}

TEST(precedence)
{
	/* A && B || C && D is (A && B) || (C && D) */
	COND("1 && 0 || 1 && 1", 1);
	COND("1 && 1 || 0 && 0", 1);
	COND("1 && 0 || 0 && 1", 0);
	COND("1 || 0 && 0", 1); /* would be 0 with left-to-right grouping */
	COND("0 && 0 || 1", 1);
	COND("!0 && 0", 0); /* ! binds tighter than && */
}

TEST(parentheses)
{
	COND("(0 || 1) && 1", 1);
	COND("(1 || 1) && 0", 0);
	COND("1 || (1 && 0)", 1);
	COND("!(0 || 0)", 1);
	COND("((1))", 1);
	COND("( 1 )", 1);
	COND("(defined(HLY_C_NOPE) || 1) && !(0)", 1);
}

TEST(short_circuit)
{
	/* operands not needed are parsed but not evaluated */
	COND("0 && openssl_version_atleast(garbage)", 0);
	COND("1 || openssl_version_atleast(garbage)", 1);
	COND("1 || (0 && openssl_version_atleast(garbage))", 1);
	COND_ERR("1 && openssl_version_atleast(garbage)", "garbage");
	COND_ERR("0 || openssl_version_atleast(garbage)", "garbage");
	/* but syntax errors are always reported */
	COND_ERR("0 && nosuch(1)", "nosuch");
	COND_ERR("1 || defined(a,b)", "defined");
}

TEST(errors)
{
	COND_ERR("nosuch(1)", "unknown predicate 'nosuch'");
	COND_ERR("foo", "'foo'");
	COND_ERR("yes", "unparsable");
	COND_ERR("1 && yes", "'yes'");
	COND_ERR("(1", "missing ')'");
	COND_ERR("((1) && 1", "missing ')'");
	COND_ERR("1)", "')'");
	COND_ERR("1 1", "'1'");
	COND_ERR("1 &&", "missing operand");
	COND_ERR("&& 1", "'&&'");
	COND_ERR("1 & 1", "'&");
	COND_ERR("1 | 1", "'|");
	COND_ERR("()", "')'");
	COND_ERR("defined()", "defined");
	COND_ERR("defined(a,b)", "takes 1 argument");
	COND_ERR("defined", "defined");
	COND_ERR("defined (X)", "defined");
	COND_ERR("streq(a)", "streq");
	COND_ERR("streq(a,b,c,d,e,f)", "6 given");
	COND_ERR("defined(abc", "missing ')'");
	COND_ERR("'streq(\"abc,x)'", "unterminated quote");
	COND_ERR("$HLY_C_X", "'$HLY_C_X'");
}

TEST(nesting_limit)
{
	char *line = malloc(300000);
	char *err = NULL;
	size_t n;

	for (int depth = 63; depth <= 65; depth++) {
		n = 0;
		for (int i = 0; i < depth; i++)
			line[n++] = '(';
		line[n++] = '1';
		for (int i = 0; i < depth; i++)
			line[n++] = ')';
		line[n] = '\0';
		if (depth <= 64)
			COND(line, 1);
		else
			COND_ERR(line, "nested");
	}
	/* very deep: an error, not a stack overflow */
	memset(line, '(', 200000);
	line[200000] = '\0';
	COND_ERR(line, "nested");
	/* negations do not recurse */
	memset(line, '!', 200001);
	strcpy(line + 200001, "1");
	COND(line, 0);

	char *words[] = {line};
	CHECK_INT(cfg_eval_cond(words, 1, &err), 0);
	free(err);
	free(line);
}

TEST(compare_versions)
{
	int ok = -1;

	CHECK(cfg_compare_versions("2.4-dev19", "2.4", &ok) < 0);
	CHECK_INT(ok, 1);
	CHECK(cfg_compare_versions("2.4", "2.4-dev19", &ok) > 0);
	CHECK_INT(cfg_compare_versions("2.4", "2.4.0", &ok), 0);
	CHECK_INT(cfg_compare_versions("2", "2.0.0.0", &ok), 0);
	CHECK(cfg_compare_versions("2.4.1", "2.4", &ok) > 0);
	CHECK(cfg_compare_versions("2.10", "2.9", &ok) > 0);
	CHECK(cfg_compare_versions("2.4-dev19", "2.4-dev2", &ok) > 0);
	CHECK(cfg_compare_versions("2.4-dev19", "2.3.99", &ok) > 0);
	CHECK(cfg_compare_versions("2.4-pre1", "2.4-dev9", &ok) > 0);
	CHECK(cfg_compare_versions("2.4-rc1", "2.4-pre9", &ok) > 0);
	CHECK(cfg_compare_versions("2.4-rc1", "2.4", &ok) < 0);
	CHECK_INT(cfg_compare_versions("2.4-dev", "2.4-dev0", &ok), 0);
	CHECK_INT(cfg_compare_versions("2.4.0-dev19", "2.4-dev19", &ok), 0);
	CHECK_INT(cfg_compare_versions("2.6.0-1ubuntu", "2.6", &ok), 0);
	CHECK_INT(cfg_compare_versions("2.9-dev3-1234abc", "2.9-dev3", &ok), 0);
	CHECK_INT(cfg_compare_versions("3.0+build", "3", &ok), 0);
	CHECK_INT(cfg_compare_versions("1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.8", &ok), 0);
	CHECK_INT(ok, 1);

	static const char *const bad[] = {"",
	                                  "abc",
	                                  "2.",
	                                  ".2",
	                                  "2..4",
	                                  "2.4x",
	                                  "2.4-",
	                                  " 2.4",
	                                  "2.4 ",
	                                  "-1",
	                                  "1.2.3.4.5.6.7.8.9",
	                                  "1234567890",
	                                  "2.4-devX",
	                                  "2.4-dev1x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok = 1;
		CHECK_INT(cfg_compare_versions(bad[i], "1", &ok), -2);
		CHECK_INT(ok, 0);
		ok = 1;
		CHECK_INT(cfg_compare_versions("1", bad[i], &ok), -2);
		CHECK_INT(ok, 0);
	}
	CHECK_INT(cfg_compare_versions(NULL, "1", &ok), -2);
	CHECK_INT(cfg_compare_versions("1", "x", NULL), -2);
	CHECK_INT(cfg_compare_versions("123456789", "123456789", NULL), 0);
}

TEST(error_message_replaced)
{
	char *err = strdup("previous");
	char *words[] = {"nosuch(x)"};

	CHECK_INT(cfg_eval_cond(words, 1, &err), -1);
	CHECK(err && strstr(err, "nosuch") != NULL);
	CHECK_INT(cfg_eval_cond(words, 1, NULL), -1); /* no message wanted */
	free(err);
	cfg_tokens_free(&T);
}

TEST_MAIN()
