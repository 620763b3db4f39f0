/* Configuration line tokenizer: see conf/tokenize.h for the language.
 *
 * The line is scanned once, left to right. Words are appended one after the
 * other (NUL-terminated) into the growable buffer out->buf; their start
 * offsets are collected while scanning and turned into pointers at the end,
 * once the buffer can no longer move.
 */
#include "conf/tokenize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

#define TOK_XSTR(x) #x
#define TOK_STR(x) TOK_XSTR(x)

/* What unused args[] slots point to. Never written to. */
static char tok_empty[1];

struct tok_state {
	const char *line;
	size_t len;
	size_t pos; /* next byte to read in <line> */
	const struct cfg_tok_ctx *ctx;
	struct cfg_tokens *out;
	size_t used;                 /* bytes used in out->buf */
	size_t starts[CFG_MAX_ARGS]; /* offsets of the words in out->buf */
	int nargs;                   /* completed words */
	int in_word;                 /* a word is open at starts[nargs] */
	size_t tokpos;               /* offset reported if the word is one too many */
	enum cfg_tok_status status;
	size_t errpos;
	char *errmsg;
};

/* Word separators outside quotes. CR and LF are included so that CRLF files
 * and stray line ends behave like blanks.
 */
static int tok_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int tok_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int tok_hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

static int tok_is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int tok_is_name_char(char c)
{
	return tok_is_name_start(c) || (c >= '0' && c <= '9');
}

/* Records the first error only; later calls are ignored. */
static void tok_fail(struct tok_state *st, enum cfg_tok_status status, size_t pos, const char *what)
{
	if (st->status != TOK_OK)
		return;
	st->status = status;
	st->errpos = pos;
	st->errmsg = xstrdup(what);
}

/* Appends one byte to the word storage, growing it as needed. */
static void tok_put(struct tok_state *st, char c)
{
	struct cfg_tokens *out = st->out;

	if (st->used + 1 > out->bufsize) {
		size_t size = out->bufsize ? out->bufsize * 2 : 256;

		out->buf = xrealloc(out->buf, size);
		out->bufsize = size;
	}
	out->buf[st->used++] = c;
}

/* Makes sure a word is open (a quoted "" opens one even if it stays empty).
 * Fails with TOK_ERR_TOO_MANY when all slots are taken.
 */
static void tok_word_begin(struct tok_state *st)
{
	if (st->in_word || st->status != TOK_OK)
		return;
	if (st->nargs >= CFG_MAX_ARGS) {
		tok_fail(st, TOK_ERR_TOO_MANY, st->tokpos,
		         "too many words, truncating after word " TOK_STR(CFG_MAX_ARGS));
		return;
	}
	st->starts[st->nargs] = st->used;
	st->in_word = 1;
}

/* Closes the open word, if any. */
static void tok_word_end(struct tok_state *st)
{
	if (!st->in_word)
		return;
	tok_put(st, '\0');
	st->nargs++;
	st->in_word = 0;
}

/* Adds a byte of content to the current word, opening it if needed. */
static void tok_emit(struct tok_state *st, char c)
{
	tok_word_begin(st);
	if (st->status == TOK_OK)
		tok_put(st, c);
}

/* Handles the backslash at st->pos (outside single quotes). Known escapes are
 * replaced by the byte they stand for; any other sequence is kept verbatim:
 * only the backslash is emitted here and the next byte is read normally.
 */
static void tok_escape(struct tok_state *st)
{
	const char *l = st->line;
	size_t p = st->pos;
	char c;

	if (p + 1 >= st->len) {
		tok_emit(st, '\\');
		st->pos++;
		return;
	}
	c = l[p + 1];
	switch (c) {
	case ' ':
	case '\t':
	case '#':
	case '\\':
	case '\'':
	case '"':
	case '$':
		break;
	case 'n':
		c = '\n';
		break;
	case 'r':
		c = '\r';
		break;
	case 't':
		c = '\t';
		break;
	case 'x':
		if (p + 3 >= st->len || !tok_is_hex(l[p + 2]) || !tok_is_hex(l[p + 3])) {
			tok_fail(st, TOK_ERR_ESCAPE, p,
			         "truncated or invalid hexadecimal sequence");
			return;
		}
		tok_emit(st, (char)(tok_hex_val(l[p + 2]) * 16 + tok_hex_val(l[p + 3])));
		st->pos += 4;
		return;
	default:
		tok_emit(st, '\\');
		st->pos++;
		return;
	}
	tok_emit(st, c);
	st->pos += 2;
}

/* Handles the strong quote at st->pos: everything up to the next single quote
 * is copied as is. The word exists even if the quoted text is empty.
 */
static void tok_squote(struct tok_state *st)
{
	size_t open = st->pos;
	const char *end = memchr(st->line + open + 1, '\'', st->len - open - 1);
	size_t close;

	if (!end) {
		tok_fail(st, TOK_ERR_QUOTE, open, "unmatched quote");
		return;
	}
	close = (size_t)(end - st->line);
	tok_word_begin(st);
	for (size_t i = open + 1; i < close && st->status == TOK_OK; i++)
		tok_put(st, st->line[i]);
	st->pos = close + 1;
}

/* Appends the expansion <val>/<vlen> of a variable. With <split>, blanks in
 * the value separate words and never appear in them (like "$@" in a shell).
 */
static void tok_emit_value(struct tok_state *st, const char *val, size_t vlen, int split)
{
	for (size_t i = 0; i < vlen && st->status == TOK_OK; i++) {
		if (split && (val[i] == ' ' || val[i] == '\t'))
			tok_word_end(st);
		else
			tok_emit(st, val[i]);
	}
}

/* Looks up variable <name> (<nlen> bytes). Pseudo-variables start with '.'.
 * Returns 1 with *val and *vlen set when it is defined, 0 when it is not set, -1
 * for an unknown pseudo-variable. <num> is scratch space for ${.LINE}.
 */
static int tok_lookup(const struct tok_state *st, const char *name, size_t nlen, const char **val,
                      size_t *vlen, char num[static 16])
{
	const struct cfg_tok_ctx *ctx = st->ctx;
	const char *v = NULL;

	if (name[0] == '.') {
		if (nlen == 5 && memcmp(name, ".FILE", 5) == 0)
			v = ctx && ctx->file ? ctx->file : "";
		else if (nlen == 8 && memcmp(name, ".SECTION", 8) == 0)
			v = ctx && ctx->section ? ctx->section : "";
		else if (nlen == 5 && memcmp(name, ".LINE", 5) == 0) {
			num[0] = '\0';
			if (ctx)
				snprintf(num, 16, "%d", ctx->line);
			v = num;
		} else
			return -1;
	} else {
		char *n = xstrndup(name, nlen);

		v = getenv(n);
		free(n);
		if (!v)
			return 0;
	}
	*val = v;
	*vlen = strlen(v);
	return 1;
}

/* Parses what follows "${NAME" at <p>: an optional "[*]", then either "}" or
 * "-default}". Sets *split, the default text (if any) and returns the offset
 * just past the closing brace, or 0 after reporting an error.
 */
static size_t tok_brace_tail(struct tok_state *st, size_t p, size_t brace, int *split,
                             const char **def, size_t *dlen)
{
	const char *l = st->line;
	const char *end;

	if (p < st->len && l[p] == '[') {
		if (p + 2 >= st->len || l[p + 1] != '*' || l[p + 2] != ']') {
			tok_fail(st, TOK_ERR_VARNAME, p,
			         "only [*] may follow an environment variable name");
			return 0;
		}
		*split = 1;
		p += 3;
	}
	if (p < st->len && l[p] == '-') {
		end = memchr(l + p + 1, '}', st->len - p - 1);
		if (!end) {
			tok_fail(st, TOK_ERR_BRACE, brace,
			         "unmatched brace in environment variable name");
			return 0;
		}
		*def = l + p + 1;
		*dlen = (size_t)(end - *def);
		return (size_t)(end - l) + 1;
	}
	if (p >= st->len || l[p] != '}') {
		tok_fail(st, TOK_ERR_BRACE, brace, "unmatched brace in environment variable name");
		return 0;
	}
	return p + 1;
}

/* Handles the '$' at st->pos inside double quotes. A '$' that does not start
 * a variable reference ("$" followed by neither '{' nor a name) is literal.
 * Clears *force when the reference used "[*]", so that a quoted text made of
 * nothing but an empty split expansion produces no word at all.
 */
static void tok_variable(struct tok_state *st, int *force)
{
	const char *l = st->line;
	size_t dollar = st->pos, p = dollar + 1, brace = 0, name;
	int has_brace = 0, split = 0, found;
	const char *val = NULL, *def = NULL;
	size_t vlen = 0, dlen = 0;
	char num[16];

	if (p < st->len && l[p] == '{') {
		has_brace = 1;
		brace = p++;
	}
	name = p;
	if (p < st->len && l[p] == '.')
		p++;
	while (p < st->len && tok_is_name_char(l[p]))
		p++;
	if (p == name || (l[name] == '.' ? p == name + 1 || !tok_is_name_start(l[name + 1])
	                                 : !tok_is_name_start(l[name]))) {
		if (!has_brace) {
			tok_emit(st, '$');
			st->pos++;
			return;
		}
		if (name >= st->len)
			tok_fail(st, TOK_ERR_BRACE, brace,
			         "unmatched brace in environment variable name");
		else
			tok_fail(st, TOK_ERR_VARNAME, name,
			         "forbidden first char in environment variable name");
		return;
	}
	found = tok_lookup(st, l + name, p - name, &val, &vlen, num);
	if (found < 0) {
		tok_fail(st, TOK_ERR_VARNAME, name, "unknown pseudo-variable");
		return;
	}
	if (has_brace) {
		p = tok_brace_tail(st, p, brace, &split, &def, &dlen);
		if (!p)
			return;
	}
	if (!found && def) {
		val = def;
		vlen = dlen;
	}
	if (split)
		*force = 0;
	st->tokpos = dollar;
	tok_emit_value(st, val, vlen, split);
	st->pos = p;
}

/* Handles the weak quote at st->pos: blanks, '#' and single quotes are plain
 * characters, backslash escapes and variables are interpreted.
 */
static void tok_dquote(struct tok_state *st)
{
	size_t open = st->pos;
	int force = 1;

	st->pos++;
	while (st->status == TOK_OK) {
		char c;

		if (st->pos >= st->len) {
			tok_fail(st, TOK_ERR_QUOTE, open, "unmatched quote");
			return;
		}
		c = st->line[st->pos];
		if (c == '"') {
			st->pos++;
			break;
		}
		if (c == '\\')
			tok_escape(st);
		else if (c == '$')
			tok_variable(st, &force);
		else {
			tok_emit(st, c);
			st->pos++;
		}
	}
	if (force)
		tok_word_begin(st);
}

/* Resets <out> to "no word": every slot points to the static empty string. */
static void tok_reset_args(struct cfg_tokens *out)
{
	out->nargs = 0;
	for (int i = 0; i <= CFG_MAX_ARGS; i++)
		out->args[i] = tok_empty;
}

/* Scans the whole line, stopping at the first error or at a comment. */
static void tok_scan(struct tok_state *st)
{
	int blank = 1; /* previous byte was a separator */

	while (st->pos < st->len && st->status == TOK_OK) {
		char c = st->line[st->pos];

		if (tok_is_blank(c)) {
			tok_word_end(st);
			blank = 1;
			st->pos++;
			continue;
		}
		if (c == '#')
			break;
		if (blank)
			st->tokpos = st->pos;
		blank = 0;
		if (c == '\'')
			tok_squote(st);
		else if (c == '"')
			tok_dquote(st);
		else if (c == '\\')
			tok_escape(st);
		else {
			tok_emit(st, c);
			st->pos++;
		}
	}
	if (st->status == TOK_OK)
		tok_word_end(st);
}

enum cfg_tok_status cfg_tokenize(const char *line, size_t len, const struct cfg_tok_ctx *ctx,
                                 struct cfg_tokens *out, size_t *errpos, char **err)
{
	struct tok_state st = {
	    .line = line,
	    .len = line ? len : 0,
	    .ctx = ctx,
	    .out = out,
	};

	tok_reset_args(out);
	tok_scan(&st);
	if (st.status != TOK_OK) {
		if (errpos)
			*errpos = st.errpos;
		if (err) {
			free(*err);
			*err = st.errmsg;
		} else
			free(st.errmsg);
		return st.status;
	}
	out->nargs = st.nargs;
	for (int i = 0; i < st.nargs; i++)
		out->args[i] = out->buf + st.starts[i];
	return TOK_OK;
}

void cfg_tokens_free(struct cfg_tokens *t)
{
	free(t->buf);
	t->buf = NULL;
	t->bufsize = 0;
	tok_reset_args(t);
}
