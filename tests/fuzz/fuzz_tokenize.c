/* libFuzzer target: the configuration line tokenizer on arbitrary bytes.
 * Checks the output invariants on top of the sanitizers' memory checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/tokenize.h"

static struct cfg_tokens toks; /* reused across inputs, as by the parser */

/* A few variables so that expansions and [*] splits get exercised. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("A", "alpha", 1);
	setenv("L", " a b\tc  ", 1);
	setenv("E", "", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_tok_ctx ctx = {.file = "fuzz.cfg", .line = (int)size, .section = "sect"};
	char *err = NULL;
	size_t errpos = 0;
	enum cfg_tok_status st;

	/* the line is copied to an exact-size buffer so that ASan sees overreads */
	char *line = malloc(size ? size : 1);
	memcpy(line, data, size);
	st = cfg_tokenize(line, size, size % 2 ? &ctx : NULL, &toks, &errpos, &err);
	if (st == TOK_OK) {
		if (err || toks.nargs < 0 || toks.nargs > CFG_MAX_ARGS)
			abort();
		for (int i = 0; i < toks.nargs; i++)
			(void)strlen(toks.args[i]);
		for (int i = toks.nargs; i <= CFG_MAX_ARGS; i++)
			if (toks.args[i][0] != '\0')
				abort();
	} else if (!err || errpos >= size || toks.nargs != 0) {
		abort();
	}
	free(err);
	free(line);
	return 0;
}
