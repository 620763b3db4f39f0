/* Captured request and response values (worker/capture.c). */
#pragma once
#include "worker/stream.h"

struct http_txn;
struct proxy;

/* Captures the headers named by the frontend's "capture request|response
 * header" lines from the parsed request (<dir> 0) or response (1).
 */
void capture_headers(struct stream *s, int dir);

/* "capture cookie": keeps the first "name=value" of the request's Cookie
 * headers (<dir> 0; replaces what an earlier call kept) or of the
 * response's Set-Cookie headers (<dir> 1) whose text starts with the
 * configured name, cut to the configured length.
 */
void capture_cookie(struct stream *s, int dir);

/* The cookie captured in direction <dir>, or NULL. */
const char *capture_cookie_value(const struct stream *s, int dir);

/* Finds in the Cookie (<req> 1) or Set-Cookie (<req> 0) header value <v>
 * (<len> bytes) the first cookie whose "name=value" text (spaces around
 * '=' dropped) starts with the <nlen> bytes of <name>. Writes that text,
 * cut to <max> bytes, to <out> (<max> + 1 bytes, NUL-terminated) and
 * returns its length; -1 when there is none. Cookies without '=' never
 * match; a Set-Cookie value holds one cookie, its attributes follow.
 */
long cookie_capture_find(const char *v, size_t len, int req, const char *name, size_t nlen,
                         char *out, size_t max);

/* The value captured in slot <i> of direction <dir>, or NULL. */
const char *capture_value(const struct stream *s, int dir, int i);

/* Frees the values captured during a transaction of frontend <fe>. */
void capture_free(struct http_txn *t, const struct proxy *fe);
