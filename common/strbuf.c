#include "common/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for <more> bytes plus a terminator; 0 or -1 (marked failed). */
static int sb_grow(struct strbuf *b, size_t more)
{
	if (b->failed)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void sb_put(struct strbuf *b, const char *s, size_t len)
{
	if (sb_grow(b, len) < 0)
		return;
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = 0;
}

void sb_puts(struct strbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb_grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_json_str(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c < 0x20)
			sb_printf(b, "\\u%04x", c);
		else
			sb_put(b, (const char *)&c, 1);
	}
}

void sb_html(struct strbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			sb_puts(b, "&lt;");
			break;
		case '>':
			sb_puts(b, "&gt;");
			break;
		case '&':
			sb_puts(b, "&amp;");
			break;
		case '"':
			sb_puts(b, "&quot;");
			break;
		case '\'':
			sb_puts(b, "&#39;");
			break;
		default:
			sb_put(b, s, 1);
		}
	}
}

void sb_free(struct strbuf *b)
{
	free(b->p);
	*b = (struct strbuf){0};
}
