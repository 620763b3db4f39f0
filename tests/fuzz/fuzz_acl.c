/* libFuzzer target for ACL lines, conditions and log-format strings
 * (common/acl.c, common/pattern*.c, common/logfmt.c).
 *
 * The input is split into lines, and each line into words on blanks. A
 * line starting with "acl" declares an ACL ("acl <name> <words...>"), one
 * starting with "if" or "unless" is a condition, evaluated when it parses,
 * any other line is a log-format string, rendered when it parses.
 * Properties checked (abort() on violation): a refusal always says why, a
 * parsed condition evaluates to one of the three outcomes, a rendering
 * never writes past the room given. Lines naming pattern files ("-f") are
 * skipped: the target does not read the file system.
 */
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/logfmt.h"
#include "common/sample.h"

#define MAX_WORDS 32

static struct acl *acls;

static int split(char *line, char **words)
{
	int n = 0;
	for (char *t = strtok(line, " \t"); t && n < MAX_WORDS; t = strtok(NULL, " \t"))
		words[n++] = t;
	return n;
}

static void run_line(char *line)
{
	if (strstr(line, "-f")) /* pattern files: no file system access here */
		return;
	struct acl_scope scope = {&acls};
	struct smp_ctx ctx = {0};
	char *words[MAX_WORDS], *err = NULL;
	if (!strncmp(line, "acl ", 4)) {
		int n = split(line + 4, words);
		if (n >= 1 && !acl_parse_line(&scope, words[0], words + 1, n - 1, "f", 1, &err) &&
		    !err)
			abort();
	} else if (!strncmp(line, "if ", 3) || !strncmp(line, "unless ", 7)) {
		int n = split(line, words);
		struct acl_cond *c = NULL;
		int r = acl_find_cond(&scope, words, n, "f", 1, &c, &err);
		if (r < 0 && !err)
			abort();
		if (c) {
			enum acl_result res = acl_exec_cond(c, &ctx);
			if (res != ACL_PASS && res != ACL_FAIL && res != ACL_MISS)
				abort();
			acl_cond_free(c);
		}
	} else {
		struct smp_where w = {SMP_CK_CFG, "f", 1, NULL};
		struct logfmt *f = logfmt_parse(line, &w, &err);
		if (!f && !err)
			abort();
		if (f) {
			char out[80];
			out[64] = 'Z';
			if (logfmt_render(f, &ctx, out, 64) > 64 || out[64] != 'Z')
				abort();
			logfmt_free(f);
		}
	}
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = 0;
	size_t mark = smp_arena_mark();
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		run_line(line);
	smp_arena_release(mark);
	acl_free_list(acls); /* each input starts afresh */
	acls = NULL;
	free(buf);
	return 0;
}
