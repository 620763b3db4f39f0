/* Allocation helpers. The x* variants abort on exhaustion and are only meant
 * for start-up (configuration parsing); the request path must handle failures.
 */
#pragma once
#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Zeroed room for <n> objects of <size> bytes starting on a cache line
 * (64 bytes), for types declared with that alignment; freed with free().
 */
void *xcalloc_lines(size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Replaces *<dst> (freed) by a newly formatted string; used for error messages. */
void memprintf(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
