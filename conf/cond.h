/* Conditions of the .if/.elif directives and of the -cc command line option.
 *
 * The words are joined with single spaces and the resulting string is parsed
 * as an expression:
 *   expr   := term ( "||" term )*
 *   term   := factor ( "&&" factor )*
 *   factor := "!" factor | "(" expr ")" | integer | predicate [ "(" args ")" ]
 *           | string (an empty word is false, any other non-numeric word is an error)
 * An empty condition is false; "0" is false, any other integer is true.
 * Predicates: defined(name), feature(name), streq(a,b), strneq(a,b),
 * strstr(haystack,needle), version_atleast(v), version_before(v),
 * openssl_version_atleast(v), openssl_version_before(v),
 * ssllib_name_startswith(name), enabled(opt), fips_mode().
 * Arguments are split on commas; they may be quoted with "..." or '...' so
 * that they contain commas or parentheses.
 *
 * Details of this implementation:
 *  - only a condition that is empty as a whole (no word, or empty and blank
 *    words only) is false; inside a longer expression a missing operand is an
 *    error, as is a bare word that is neither an integer nor a predicate;
 *  - integers are decimal digits; "007" is true, "000" is false;
 *  - "!" binds to the following factor and may be repeated;
 *  - a predicate takes its arguments only from a '(' right after its name;
 *    "()" is no argument, "( )" is one argument " " (blanks are kept, see the
 *    " 1" trap of the manual); fips_mode may be written without "()";
 *  - outside single quotes, a backslash in an argument protects a following
 *    backslash or quote (second level of escaping);
 *  - "&&" and "||" stop evaluating once the result is known: the remaining
 *    operands are parsed (syntax errors are reported) but not evaluated;
 *  - parentheses may nest 64 levels deep, more is an error;
 *  - version_atleast()/version_before() treat an argument that is not a
 *    version as older than the running version, like HAProxy 2.6 (true and
 *    false respectively); the openssl_* ones report it as an error;
 *  - ssllib_name_startswith() compares with "OpenSSL", ignoring case;
 *    awslc_api_atleast()/awslc_api_before() are always false (not AWS-LC);
 *  - as with memprintf(), a previous message in *<err> is freed.
 *
 * Versions (see cfg_compare_versions) are "X[.Y[.Z...]]" (up to 8 numbers of
 * up to 9 digits), optionally followed by "-devN", "-preN" or "-rcN" (sorting
 * before the release, dev < pre < rc, N optional), then optionally by a build
 * suffix starting with '-' or '+' which is ignored.
 */
#pragma once

/* Evaluates the condition made of <nargs> words <args>. Returns 1 if true, 0
 * if false, -1 on error with *<err> set to an allocated message naming what is
 * wrong (unknown predicate, missing parenthesis, bad argument count, trailing
 * garbage...). Never reads past the words given.
 */
int cfg_eval_cond(char *const *args, int nargs, char **err);

/* Compares two dotted versions such as "2.6.12" or "2.4-dev19": missing
 * components count as zero, a "-devN" suffix sorts before the release.
 * Returns <0, 0 or >0 like strcmp. Returns -2 and sets *<ok>=0 when either
 * version cannot be parsed.
 */
int cfg_compare_versions(const char *a, const char *b, int *ok);
