/* libFuzzer target for log formats (common/logfmt.c): the input is one
 * format text, compiled in log mode (separators) and in the HTTP mode of
 * rule actions, and rendered without a stream into a small and a large
 * buffer.
 *
 * Properties checked (abort() on violation): a refusal always says why;
 * rendering never writes past the room it is given (exact-size heap
 * buffers, ASan) and returns at most that room; the small rendering is a
 * prefix of the large one (truncation cuts, it never changes what comes
 * before), at most an escape sequence shorter than the room. Formats naming files, the environment
 * or volatile fetches are skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/sample.h"

static int volatile_or_files(const char *t)
{
	return strstr(t, "map") || strstr(t, "rand") || strstr(t, "date") || strstr(t, "env") ||
	       strstr(t, "set-var") || strstr(t, "unset-var") || strstr(t, "%t") ||
	       strstr(t, "%T") || strstr(t, "%pid") || strstr(t, "%H") || strstr(t, "uuid");
}

/* Renders <lf> into exact-size buffers of 16 and 4096 bytes. */
static void render_twice(struct logfmt *lf)
{
	struct smp_ctx ctx = {0};
	char *small = malloc(16), *large = malloc(4096);
	if (!small || !large)
		abort();
	size_t a = logfmt_render(lf, &ctx, small, 16);
	size_t b = logfmt_render(lf, &ctx, large, 4096);
	/* a 3-byte escape that does not fit is left out whole */
	if (a > 16 || b > 4096 || (b >= 16 && a < 14) || (b < 16 && a != b) ||
	    memcmp(small, large, a) != 0)
		abort();
	free(small);
	free(large);
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
	if (memchr(data, 0, size) || volatile_or_files(text)) {
		free(text);
		return 0;
	}
	struct smp_where w = {SMP_CK_CFG, "fuzz.cfg", 1, NULL};
	for (int mode = 0; mode < 2; mode++) {
		char *err = NULL;
		struct logfmt *lf =
		    mode ? logfmt_parse_http(text, &w, &err) : logfmt_parse_log(text, &w, &err);
		if (!lf) {
			if (!err || !*err)
				abort();
			free(err);
			continue;
		}
		render_twice(lf);
		logfmt_free(lf);
	}
	free(text);
	return 0;
}
