/* Captured request and response values (worker/capture.c). */
#pragma once
#include "worker/stream.h"

struct http_txn;
struct proxy;

/* Captures the headers named by the frontend's "capture request|response
 * header" lines from the parsed request (<dir> 0) or response (1).
 */
void capture_headers(struct stream *s, int dir);

/* The value captured in slot <i> of direction <dir>, or NULL. */
const char *capture_value(const struct stream *s, int dir, int i);

/* Frees the values captured during a transaction of frontend <fe>. */
void capture_free(struct http_txn *t, const struct proxy *fe);
