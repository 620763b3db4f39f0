/* Configuration line tokenizer (HAProxy configuration language, file format,
 * quoting, escaping and environment variables).
 *
 * One physical line becomes a list of words:
 *  - words are separated by unquoted, unescaped spaces and tabs;
 *  - an unquoted, unescaped '#' starts a comment that runs to the end of line;
 *  - '...' (strong quotes) protect everything, nothing is interpreted inside;
 *  - "..." (weak quotes) protect spaces, '#' and single quotes, and expand
 *    environment variables: $NAME, ${NAME}, ${NAME-default} (default used only
 *    when NAME is not set), ${NAME[*]} (the value is split on spaces into
 *    several words), and the pseudo-variables ${.FILE} ${.LINE} ${.SECTION};
 *    a variable that is not set expands to the empty string;
 *  - backslash escapes outside single quotes: "\ " "\#" "\\" "\'" "\"" "\$"
 *    give the character itself, "\n" "\r" "\t" give LF CR TAB, "\xNN" gives the
 *    byte NN (two hex digits required); any other backslash sequence is kept
 *    unchanged (both characters), so regular expressions need no doubling;
 *  - quotes may be concatenated with unquoted text inside one word
 *    (e.g. "a b"'c'd is the single word "a bcd"); "" is an empty word.
 * Errors (unterminated quote, bad \x escape, unterminated ${, bad variable
 * name, more than CFG_MAX_ARGS words) are reported with the byte offset in
 * the input line where they were detected; the message itself does not
 * include the position (HAProxy's wording, e.g. "unmatched quote").
 *
 * Details of this implementation:
 *  - CR and LF outside quotes are blanks like space and tab (CRLF files);
 *  - "\<TAB>" gives a TAB; "\x00" gives a NUL byte, which ends the word as
 *    seen through args[];
 *  - variables are only expanded inside double quotes; there, a '$' that is
 *    followed by neither '{' nor a name start (letter or '_') is literal;
 *    names are [A-Za-z_][A-Za-z0-9_]*, or '.' + such a name for the
 *    pseudo-variables (an unknown one such as ${.FOO} is TOK_ERR_VARNAME);
 *  - the forms with braces are ${NAME}, ${NAME[*]}, ${NAME-default} and
 *    ${NAME[*]-default}; the default text is taken verbatim up to the first
 *    '}'; the pseudo-variables always count as set (empty without a ctx);
 *  - with [*], blanks of the value end the current word and start a new one,
 *    and they never produce empty words: "${EMPTY[*]}" gives no word at all;
 *  - errpos: the opening quote for TOK_ERR_QUOTE, the backslash for
 *    TOK_ERR_ESCAPE, the '{' for TOK_ERR_BRACE, the first byte of the name (or
 *    the '[' of a malformed [*]) for TOK_ERR_VARNAME, and the start of the
 *    first extra word (or the '$' of the expansion making it) for
 *    TOK_ERR_TOO_MANY;
 *  - as with memprintf(), a previous message in *<err> is freed, so *<err>
 *    must be NULL or an allocated string.
 */
#pragma once
#include <stddef.h>

#define CFG_MAX_ARGS 64

enum cfg_tok_status {
	TOK_OK = 0,
	TOK_ERR_QUOTE,    /* unterminated single or double quote */
	TOK_ERR_ESCAPE,   /* invalid \x escape */
	TOK_ERR_BRACE,    /* "${" without its closing brace */
	TOK_ERR_VARNAME,  /* invalid variable name after "${" */
	TOK_ERR_TOO_MANY, /* more than CFG_MAX_ARGS words */
};

/* Where the line comes from, for the pseudo-variables and messages. */
struct cfg_tok_ctx {
	const char *file;    /* ${.FILE} */
	int line;            /* ${.LINE} */
	const char *section; /* ${.SECTION}; "" before the first section */
};

struct cfg_tokens {
	int nargs;                       /* number of words */
	char *args[CFG_MAX_ARGS + 1];    /* args[0..nargs-1]; args[nargs..] point to "" */
	char *buf;                       /* storage for the words (owned) */
	size_t bufsize;
};

/* Splits <line> (<len> bytes, no trailing LF needed; may contain NUL bytes,
 * which are treated as ordinary characters) into words stored in <out>, which
 * must have been zeroed or previously used with this function. Returns TOK_OK,
 * or an error status with *<errpos> set to the offset of the offending byte in
 * <line> and *<err> (if non-NULL) set to an allocated message (caller frees).
 */
enum cfg_tok_status cfg_tokenize(const char *line, size_t len, const struct cfg_tok_ctx *ctx,
				 struct cfg_tokens *out, size_t *errpos, char **err);

/* Releases the storage held by <t> and resets it to empty. */
void cfg_tokens_free(struct cfg_tokens *t);
