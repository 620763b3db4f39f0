/* Minimal unit-test support: CHECK* macros count failures, TEST_MAIN runs the
 * listed test functions and prints "N passed, N failed" (exit 1 on failure).
 */
#pragma once
#include <stdio.h>
#include <string.h>

static int t_checks, t_fails;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		t_checks++;                                                                        \
		if (!(cond)) {                                                                     \
			t_fails++;                                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		t_checks++;                                                                        \
		if (_a != _b) {                                                                    \
			t_fails++;                                                                 \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, \
				_a, _b);                                                           \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		t_checks++;                                                                        \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
			t_fails++;                                                                 \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,         \
				__LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)");              \
		}                                                                                  \
	} while (0)

typedef void (*test_fn)(void);
static struct {
	const char *name;
	test_fn fn;
} t_tests[512];
static int t_ntests;

/* TEST(name) { ... } defines and registers a test function. */
#define TEST(tfn)                                                                                  \
	static void tfn(void);                                                                     \
	__attribute__((constructor)) static void t_reg_##tfn(void)                                 \
	{                                                                                          \
		if (t_ntests < 512) {                                                              \
			t_tests[t_ntests].name = #tfn;                                             \
			t_tests[t_ntests++].fn = tfn;                                              \
		}                                                                                  \
	}                                                                                          \
	static void tfn(void)

/* Runs every registered test; prints "<file>: N passed, N failed". */
#define TEST_MAIN()                                                                                \
	int main(void)                                                                             \
	{                                                                                          \
		int failed = 0;                                                                    \
		for (int i = 0; i < t_ntests; i++) {                                               \
			int before = t_fails;                                                      \
			t_tests[i].fn();                                                           \
			if (t_fails != before) {                                                   \
				failed++;                                                          \
				fprintf(stderr, "FAIL %s\n", t_tests[i].name);                     \
			}                                                                          \
		}                                                                                  \
		printf("%s: %d passed, %d failed\n", __FILE__, t_ntests - failed, failed);         \
		return failed ? 1 : 0;                                                             \
	}
