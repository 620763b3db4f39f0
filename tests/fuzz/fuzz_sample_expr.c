/* libFuzzer target for sample expressions (common/sample*.c and the
 * converters): the input is one expression text, parsed without a stream
 * and, when it parses, evaluated twice.
 *
 * Properties checked (abort() on violation): a refusal always says why;
 * an expression that parses evaluates without touching memory it does not
 * own (exact-size copy of the input, ASan); a string result lies in
 * memory that stays readable (its bytes are summed); two evaluations of
 * an expression free of volatile fetches, each with the whole sample
 * arena, give the same outcome and type (an expression may fail when its
 * values outgrow the arena, but then both times). Expressions
 * naming files (map converters) or the environment are skipped: the
 * target does not read the file system.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/sample.h"

static int volatile_or_files(const char *t)
{
	return strstr(t, "map") || strstr(t, "rand") || strstr(t, "date") || strstr(t, "env") ||
	       strstr(t, "set-var") || strstr(t, "unset-var");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2048)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	if (volatile_or_files(text)) {
		free(text);
		return 0;
	}
	char *err = NULL;
	struct smp_where w = {SMP_CK_CFG, "fuzz", 1, NULL};
	struct sample_expr *e = sample_parse_str(text, size, &w, &err);
	if (!e && !err)
		abort();
	free(err);
	if (e) {
		struct smp_ctx ctx = {0};
		struct sample a, b;
		size_t mark = smp_arena_mark();
		int ra = sample_fetch_as(e, &ctx, SMP_T_STR, &a);
		unsigned sum = 0;
		for (size_t i = 0; ra && i < a.u.str.len; i++)
			sum += (unsigned char)a.u.str.ptr[i];
		if (sum == 0xffffffffu) /* never: keeps the reads */
			abort();
		smp_arena_release(mark); /* the same room for the second run */
		int rb = sample_fetch_as(e, &ctx, SMP_T_STR, &b);
		if (ra != rb || (ra && a.type != b.type))
			abort();
		smp_arena_release(mark);
		sample_expr_free(e);
	}
	free(text);
	return 0;
}
