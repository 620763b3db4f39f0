/* Unit tests of the configuration line tokenizer (conf/tokenize.c). */
#include <stdlib.h>
#include <string.h>

#include "conf/tokenize.h"
#include "tests/unit/test.h"

static struct cfg_tokens T; /* reused by every call, as the parser does */

/* Tokenizes <len> bytes of <line> and checks that the result is exactly the
 * NULL-terminated list <exp>; <at> is the caller's line for the report.
 */
static void words_at(int at, const struct cfg_tok_ctx *ctx, const char *line, size_t len,
                     const char *const *exp)
{
	int before = t_fails, n = 0;
	size_t ep = 0;
	char *err = NULL;

	while (exp[n])
		n++;
	CHECK_INT(cfg_tokenize(line, len, ctx, &T, &ep, &err), TOK_OK);
	CHECK(err == NULL);
	CHECK_INT(T.nargs, n);
	for (int i = 0; i < n && i < T.nargs; i++)
		CHECK_STR(T.args[i], exp[i]);
	for (int i = T.nargs; i <= CFG_MAX_ARGS; i++)
		CHECK_STR(T.args[i], "");
	if (t_fails != before)
		fprintf(stderr, "  ^ from line %d: [%s] (%s)\n", at, line, err ? err : "");
	free(err);
}

#define WORDS_CTX(ctx, line, ...)                                                                  \
	words_at(__LINE__, ctx, line, strlen(line), (const char *const[]){__VA_ARGS__, NULL})
#define WORDS(line, ...) WORDS_CTX(NULL, line, __VA_ARGS__)
#define NO_WORDS(line) words_at(__LINE__, NULL, line, strlen(line), (const char *const[]){NULL})

/* Checks that <line> fails with <status> detected at offset <pos>. */
static void tok_err_at(int at, const char *line, enum cfg_tok_status status, size_t pos)
{
	int before = t_fails;
	size_t ep = 9999;
	char *err = NULL;

	CHECK_INT(cfg_tokenize(line, strlen(line), NULL, &T, &ep, &err), status);
	CHECK_INT(ep, pos);
	CHECK(err != NULL && *err);
	/* the position is the caller's to print, once */
	CHECK(err && !strstr(err, "column") && !strstr(err, "position"));
	CHECK_INT(T.nargs, 0);
	CHECK_STR(T.args[0], "");
	if (t_fails != before)
		fprintf(stderr, "  ^ from line %d: [%s] (%s)\n", at, line, err ? err : "");
	free(err);
}

#define TOK_ERR(line, status, pos) tok_err_at(__LINE__, line, status, pos)

/* Returns the message of the error <line> fails with. */
static char *tok_message(const char *line)
{
	size_t ep = 0;
	char *err = NULL;
	cfg_tokenize(line, strlen(line), NULL, &T, &ep, &err);
	return err;
}

TEST(messages_use_haproxy_wording)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
	    {"a 'b", "unmatched quote"},
	    {"a \"b", "unmatched quote"},
	    {"a \\xZ", "truncated or invalid hexadecimal sequence"},
	    {"a \"${NAME\"", "unmatched brace in environment variable name"},
	    {"a \"${1A}\"", "forbidden first char in environment variable name"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = tok_message(cases[i].line);
		CHECK_STR(err, cases[i].msg);
		free(err);
	}
}

TEST(plain_words)
{
	WORDS("global", "global");
	WORDS("  bind  :80\tname   ", "bind", ":80", "name");
	WORDS("\t\tmode\t \thttp", "mode", "http");
	WORDS("a b c d e f", "a", "b", "c", "d", "e", "f");
	NO_WORDS("");
	NO_WORDS("    \t  ");
}

TEST(comments)
{
	NO_WORDS("# only a comment");
	NO_WORDS("   \t# indented comment");
	WORDS("mode             http   # or tcp", "mode", "http");
	WORDS("global#this is the global section", "global");
	WORDS("daemon#daemonize", "daemon");
	WORDS("a b#c d", "a", "b");
	WORDS("a \"#b\" c", "a", "#b", "c");
	WORDS("a '#b' c", "a", "#b", "c");
	WORDS("a \\#b c", "a", "#b", "c");
	WORDS("a \"x # y\" # z", "a", "x # y");
}

TEST(escapes_unquoted)
{
	WORDS("a\\ b c", "a b", "c");
	WORDS("a\\\tb", "a\tb");
	WORDS("\\#", "#");
	WORDS("\\\\", "\\");
	WORDS("\\'", "'");
	WORDS("\\\"", "\"");
	WORDS("\\$", "$");
	WORDS("$HOME", "$HOME"); /* no expansion outside double quotes */
	WORDS("\\n", "\n");
	WORDS("\\r", "\r");
	WORDS("\\t", "\t");
	WORDS("\\x41\\x2a\\x7E", "A*~");
	WORDS("\\x0a\\x09\\x20", "\n\t ");
	WORDS("x\\x5cy", "x\\y");
	TOK_ERR("ab \\xZZ", TOK_ERR_ESCAPE, 3);
	TOK_ERR("ab\\x4", TOK_ERR_ESCAPE, 2);
	TOK_ERR("\\x", TOK_ERR_ESCAPE, 0);
	TOK_ERR("a \\xG1", TOK_ERR_ESCAPE, 2);
	TOK_ERR("a \\x1G", TOK_ERR_ESCAPE, 2);
}

TEST(escapes_double_quoted)
{
	WORDS("\"a\\ b\"", "a b");
	WORDS("\"\\#\\\\\\'\\\"\\$\"", "#\\'\"$");
	WORDS("\"\\n\\r\\t\\x22\"", "\n\r\t\"");
	WORDS("\"\\\t\"", "\t");
	TOK_ERR("x \"ab\\xz1\"", TOK_ERR_ESCAPE, 5);
}

TEST(unknown_escapes_kept)
{
	WORDS("\\d+\\.\\w", "\\d+\\.\\w");
	WORDS("\"\\d\"", "\\d");
	WORDS("a\\", "a\\");
	WORDS("\\1 x", "\\1", "x");
	WORDS("'\\n'", "\\n"); /* nothing is interpreted in single quotes */
}

TEST(single_quotes)
{
	WORDS("'$HOME'", "$HOME");
	WORDS("'${HOME}'", "${HOME}");
	WORDS("'a b  c'", "a b  c");
	WORDS("'\"'", "\"");
	WORDS("'#'", "#");
	WORDS("'\\'", "\\");
	WORDS("'\t'", "\t");
	WORDS("''", "");
	WORDS("x '' y", "x", "", "y");
}

TEST(env_variables)
{
	setenv("HLY_T_A", "alpha", 1);
	setenv("HLY_T_E", "", 1);
	unsetenv("HLY_T_UNSET");
	WORDS("\"$HLY_T_A\"", "alpha");
	WORDS("\"${HLY_T_A}x\"", "alphax");
	WORDS("\"$HLY_T_A-x\"", "alpha-x");
	WORDS("\"$HLY_T_Ax\"", ""); /* the name is HLY_T_Ax, not set */
	WORDS("\"fd@${HLY_T_A}\"", "fd@alpha");
	WORDS("\"\\$HLY_T_A\"", "$HLY_T_A");
	WORDS("\"${HLY_T_UNSET}\"", "");
	WORDS("x\"$HLY_T_UNSET\"y", "xy");
	WORDS("\"${HLY_T_UNSET-def}\"", "def");
	WORDS("\"${HLY_T_UNSET-127.0.0.1}:514\" local0", "127.0.0.1:514", "local0");
	WORDS("\"${HLY_T_UNSET-a b}\"", "a b");
	WORDS("\"${HLY_T_UNSET-}\"", "");
	WORDS("\"${HLY_T_E-def}\"", ""); /* set but empty: no default */
	WORDS("\"${HLY_T_A-def}\"", "alpha");
	WORDS("\"cost $5 $\"", "cost $5 $");
	WORDS("\"a$ b$-\"", "a$ b$-");
}

TEST(env_split)
{
	setenv("HLY_T_L", "a b  c", 1);
	setenv("HLY_T_S", "  lead\ttab trail  ", 1);
	setenv("HLY_T_E", "", 1);
	unsetenv("HLY_T_UNSET");
	WORDS("\"${HLY_T_L[*]}\"", "a", "b", "c");
	WORDS("\"${HLY_T_L}\"", "a b  c");
	WORDS("x \"${HLY_T_L[*]}\" y", "x", "a", "b", "c", "y");
	WORDS("\"p${HLY_T_L[*]}q\"", "pa", "b", "cq");
	WORDS("\"${HLY_T_S[*]}\"", "lead", "tab", "trail");
	WORDS("x \"${HLY_T_E[*]}\" y", "x", "y");
	WORDS("x \"${HLY_T_UNSET[*]}\" y", "x", "y");
	WORDS("x\"${HLY_T_E[*]}\"", "x");
	WORDS("\"${HLY_T_UNSET[*]-d e}\"", "d", "e");
	TOK_ERR("\"${HLY_T_L[1]}\"", TOK_ERR_VARNAME, 10);
	TOK_ERR("\"${HLY_T_L[*\"", TOK_ERR_VARNAME, 10);
}

TEST(concatenation)
{
	WORDS("\"a b\"'c'd", "a bcd");
	WORDS("x\"\"y", "xy");
	WORDS("\"\"", "");
	WORDS("a \"\" b", "a", "", "b");
	WORDS("''\"\"", "");
	WORDS("pre\"mid dle\"'post fix'", "premid dlepost fix");
}

TEST(unterminated_quotes)
{
	TOK_ERR("a \"bc", TOK_ERR_QUOTE, 2);
	TOK_ERR("a 'bc", TOK_ERR_QUOTE, 2);
	TOK_ERR("\"a'b", TOK_ERR_QUOTE, 0);
	TOK_ERR("'a\"b", TOK_ERR_QUOTE, 0);
	TOK_ERR("x \"abc\\\"", TOK_ERR_QUOTE, 2);
	TOK_ERR("ok 'x' \"", TOK_ERR_QUOTE, 7);
	TOK_ERR("\"#\"'#", TOK_ERR_QUOTE, 3);
}

TEST(variable_errors)
{
	setenv("HLY_T_A", "alpha", 1);
	TOK_ERR("\"${HLY_T_A\"", TOK_ERR_BRACE, 2);
	TOK_ERR("x \"${HLY_T_A", TOK_ERR_BRACE, 4);
	TOK_ERR("\"${", TOK_ERR_BRACE, 2);
	TOK_ERR("\"${HLY_T_A-def\"", TOK_ERR_BRACE, 2);
	TOK_ERR("\"${HLY_T_A x}\"", TOK_ERR_BRACE, 2);
	TOK_ERR("\"${}\"", TOK_ERR_VARNAME, 3);
	TOK_ERR("\"${\"", TOK_ERR_VARNAME, 3);
	TOK_ERR("\"${1A}\"", TOK_ERR_VARNAME, 3);
	TOK_ERR("\"${.FOO}\"", TOK_ERR_VARNAME, 3);
	TOK_ERR("\"${.}\"", TOK_ERR_VARNAME, 3);
	TOK_ERR("\"$.NOPE\"", TOK_ERR_VARNAME, 2);
}

TEST(pseudo_variables)
{
	struct cfg_tok_ctx ctx = {.file = "/etc/h.cfg", .line = 42, .section = "www"};
	struct cfg_tok_ctx none = {.file = "f", .line = 1, .section = ""};

	WORDS_CTX(&ctx, "\"${.FILE}:${.LINE}:${.SECTION}\"", "/etc/h.cfg:42:www");
	WORDS_CTX(&ctx, "server \"srv$.LINE\"", "server", "srv42");
	WORDS_CTX(&ctx, "\"${.LINE-x}\"", "42");
	WORDS_CTX(&ctx, "${.LINE}", "${.LINE}");
	WORDS_CTX(&none, "\"[${.SECTION}]\"", "[]");
	WORDS_CTX(NULL, "\"${.FILE}:${.LINE}:${.SECTION}\"", "::");
}

TEST(crlf_and_blanks)
{
	WORDS("global\r", "global");
	WORDS("mode http\r", "mode", "http");
	WORDS("a \"b\"\r", "a", "b");
	WORDS("a 'b'\r\n", "a", "b");
	WORDS("\"a\r\"", "a\r");
	NO_WORDS("\r");
	NO_WORDS("  # comment\r");
}

/* Builds a line of <n> one-letter words into <buf>. */
static void many_words(char *buf, int n)
{
	for (int i = 0; i < n; i++) {
		buf[2 * i] = (char)('a' + i % 26);
		buf[2 * i + 1] = ' ';
	}
	buf[2 * n] = '\0';
}

TEST(too_many_words)
{
	char line[512];
	size_t ep = 0;

	many_words(line, CFG_MAX_ARGS);
	CHECK_INT(cfg_tokenize(line, strlen(line), NULL, &T, &ep, NULL), TOK_OK);
	CHECK_INT(T.nargs, CFG_MAX_ARGS);
	CHECK_STR(T.args[CFG_MAX_ARGS - 1], "l");
	CHECK_STR(T.args[CFG_MAX_ARGS], "");

	many_words(line, CFG_MAX_ARGS + 1);
	TOK_ERR(line, TOK_ERR_TOO_MANY, 2 * CFG_MAX_ARGS);

	/* 63 words then a split expansion giving 3 more */
	setenv("HLY_T_L", "a b  c", 1);
	many_words(line, CFG_MAX_ARGS - 1);
	strcat(line, "\"${HLY_T_L[*]}\"");
	TOK_ERR(line, TOK_ERR_TOO_MANY, 2 * (CFG_MAX_ARGS - 1) + 1);

	/* a comment after 64 words is fine */
	many_words(line, CFG_MAX_ARGS);
	strcat(line, "# x y z");
	CHECK_INT(cfg_tokenize(line, strlen(line), NULL, &T, &ep, NULL), TOK_OK);
	CHECK_INT(T.nargs, CFG_MAX_ARGS);
}

TEST(log_format_equivalence)
{
	static const char *const forms[] = {
	    "log-format %{+Q}o\\ %t\\ %s\\ %{-Q}r",   "log-format \"%{+Q}o %t %s %{-Q}r\"",
	    "log-format '%{+Q}o %t %s %{-Q}r'",       "log-format \"%{+Q}o %t\"' %s %{-Q}r'",
	    "log-format \"%{+Q}o %t\"' %s'\\ %{-Q}r",
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		WORDS(forms[i], "log-format", "%{+Q}o %t %s %{-Q}r");
}

TEST(regsub_second_level)
{
	WORDS("http-request set-path %[path,regsub(foo,blah,g)]", "http-request", "set-path",
	      "%[path,regsub(foo,blah,g)]");
	WORDS("http-request set-path %[path,regsub(\"(foo|bar)\",blah,g)]", "http-request",
	      "set-path", "%[path,regsub((foo|bar),blah,g)]");
	WORDS("http-request set-path %[path,regsub(\\\"(foo|bar)\\\",blah,g)]", "http-request",
	      "set-path", "%[path,regsub(\"(foo|bar)\",blah,g)]");
	WORDS("http-request set-path '%[path,regsub(\"(foo|bar)\",blah,g)]'", "http-request",
	      "set-path", "%[path,regsub(\"(foo|bar)\",blah,g)]");
	WORDS("http-request set-path '%[path, regsub(\"(foo|bar)\", blah, g)]'", "http-request",
	      "set-path", "%[path, regsub(\"(foo|bar)\", blah, g)]");
	WORDS("http-request set-path '%[path,regsub(\"^/(here)(/|$)\",\"my/\\1\",g)]'",
	      "http-request", "set-path", "%[path,regsub(\"^/(here)(/|$)\",\"my/\\1\",g)]");
	/* the three ways of passing single quotes to the second level */
	WORDS("http-request set-var(txn.foo) str(\"\\\\'foo\\\\'\")", "http-request",
	      "set-var(txn.foo)", "str(\\'foo\\')");
	WORDS("http-request set-var(txn.foo) str(\\\"\\'foo\\'\\\")", "http-request",
	      "set-var(txn.foo)", "str(\"'foo'\")");
	WORDS("http-request set-var(txn.foo) str(\\\\\\'foo\\\\\\')", "http-request",
	      "set-var(txn.foo)", "str(\\'foo\\')");
}

TEST(nul_bytes_and_length)
{
	static const char l1[] = "a\0b c";
	static const char l2[] = "\"x\0y\" z";
	static const char l3[] = "\"a\0";
	size_t ep = 0;

	CHECK_INT(cfg_tokenize(l1, sizeof(l1) - 1, NULL, &T, &ep, NULL), TOK_OK);
	CHECK_INT(T.nargs, 2);
	CHECK(memcmp(T.args[0], "a\0b", 4) == 0);
	CHECK_STR(T.args[1], "c");
	CHECK_INT(cfg_tokenize(l2, sizeof(l2) - 1, NULL, &T, &ep, NULL), TOK_OK);
	CHECK_INT(T.nargs, 2);
	CHECK(memcmp(T.args[0], "x\0y", 4) == 0);
	CHECK_INT(cfg_tokenize(l3, sizeof(l3) - 1, NULL, &T, &ep, NULL), TOK_ERR_QUOTE);
	CHECK_INT(ep, 0);
	/* only <len> bytes are read */
	words_at(__LINE__, NULL, "abc def", 3, (const char *const[]){"abc", NULL});
	CHECK_INT(cfg_tokenize("'abc' x", 4, NULL, &T, &ep, NULL), TOK_ERR_QUOTE);
	CHECK_INT(cfg_tokenize("\\x4142", 3, NULL, &T, &ep, NULL), TOK_ERR_ESCAPE);
	CHECK_INT(cfg_tokenize("\\x4142", 4, NULL, &T, &ep, NULL), TOK_OK);
	CHECK_STR(T.args[0], "A");
	CHECK_INT(cfg_tokenize(NULL, 0, NULL, &T, &ep, NULL), TOK_OK);
	CHECK_INT(T.nargs, 0);
}

TEST(reuse_and_growth)
{
	size_t n = 20000, ep = 0;
	char *big = malloc(n + 16);
	char *err = NULL;

	memset(big, 'x', n);
	memcpy(big + n, " tail", 6);
	CHECK_INT(cfg_tokenize(big, strlen(big), NULL, &T, &ep, &err), TOK_OK);
	CHECK_INT(T.nargs, 2);
	CHECK_INT(strlen(T.args[0]), n);
	CHECK_STR(T.args[1], "tail");
	free(big);

	WORDS("a b c", "a", "b", "c");
	WORDS("z", "z"); /* fewer words: the other slots are "" again */

	/* a previous message in *err is replaced, not leaked */
	err = strdup("old");
	CHECK_INT(cfg_tokenize("'x", 2, NULL, &T, NULL, &err), TOK_ERR_QUOTE);
	CHECK(err && strstr(err, "quote") != NULL);
	free(err);

	cfg_tokens_free(&T);
	CHECK(T.buf == NULL);
	CHECK_INT(T.nargs, 0);
	CHECK_STR(T.args[0], "");
	WORDS("again", "again");
	cfg_tokens_free(&T);
}

TEST_MAIN()
