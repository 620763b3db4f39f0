/* libFuzzer target: a line is tokenized, then its words are evaluated as an
 * .if condition. The result must be 1, 0, or -1 with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cond.h"
#include "conf/tokenize.h"

static struct cfg_tokens toks;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("A", "1", 1);
	setenv("V", "2.4-dev19", 1);
	setenv("L", "1 && 0 || 1", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);
	char *err = NULL;
	size_t errpos;
	int ret;

	memcpy(line, data, size);
	if (cfg_tokenize(line, size, NULL, &toks, &errpos, NULL) == TOK_OK) {
		ret = cfg_eval_cond(toks.args, toks.nargs, &err);
		if (ret < -1 || ret > 1 || (ret == -1) != (err != NULL))
			abort();
		free(err);
	}
	free(line);
	return 0;
}
