/* A growable output string for text built on the request path (statistics
 * pages, CLI dumps). Allocation failures are not fatal: the buffer is marked
 * failed, later appends are dropped, and the caller checks <failed> once at
 * the end.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *p;    /* NUL-terminated once something was appended */
	size_t len; /* bytes, terminator excluded */
	size_t cap;
	int failed; /* an allocation failed: the content is truncated */
};

/* Appends <len> bytes of <s>. */
void sb_put(struct strbuf *b, const char *s, size_t len);
/* Appends NUL-terminated <s>. */
void sb_puts(struct strbuf *b, const char *s);
/* Appends formatted text. */
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends <s> as the inside of a JSON string (quotes and controls escaped). */
void sb_json_str(struct strbuf *b, const char *s);
/* Appends <s> with the HTML special characters replaced by entities. */
void sb_html(struct strbuf *b, const char *s);
/* Releases the storage; the buffer is empty and usable again. */
void sb_free(struct strbuf *b);
