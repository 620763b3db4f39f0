/* HTTP/1.x wire format: parsing a message head into the protocol-neutral
 * representation of common/http-msg.h, scanning message bodies (Content-Length,
 * chunked with trailers, close-delimited) and writing a head back out.
 *
 * Everything here is pure: no I/O, no allocation, no global state, so the
 * parsers can be unit-tested and fuzzed directly.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "common/http-msg.h"

/* Parses the head (start line and header fields) at the start of
 * <buf>/<len> into <m>, whose hdrs array (maxhdrs entries) the caller
 * provides. <is_resp> selects a status line instead of a request line;
 * <lenient> relaxes character checks (accept-invalid-http-*), never the
 * framing checks. Leading empty lines before a request line are skipped.
 *
 * Returns the number of bytes the head takes at <buf> (> 0): m->skip bytes
 * of empty lines, then m->head_len bytes from the start line up to and
 * including the final empty line. Returns 0 when more bytes are needed, or
 * -1 when the head is invalid: then m->err_status holds the status to
 * answer (400, 414, 431, 501 for requests; 502 for responses) and
 * m->err_pos the offset of the offending byte. On 0, m->line_done tells
 * whether the start line was complete, so a caller whose buffer is full can
 * tell 414 from 431 (h1_head_too_large()).
 */
int h1_parse_head(const char *buf, size_t len, struct http_msg *m, int is_resp, int lenient);

/* The status for a head that does not fit in a buffer of <len> bytes after
 * h1_parse_head() returned 0: 414 when the request line itself is too long,
 * 431 otherwise (502 for responses). Sets m->err_status and err_pos too.
 */
int h1_head_too_large(struct http_msg *m, int is_resp);

/* Sets m->body (framing of the body that follows the head). For a response,
 * <req_meth> is the method of the request it answers.
 */
void h1_set_request_body(struct http_msg *m);
void h1_set_response_body(struct http_msg *m, enum http_meth req_meth);

/* Scans up to <len> raw body bytes at <buf> with the body state of <b>.
 * Returns how many of them belong to the message and may be forwarded as
 * they are (chunk framing and trailers included), sets b->done once the
 * message is complete, or returns -1 on invalid chunk framing (b->err_pos
 * is then the offset within <buf>). Bytes past the end of the message are
 * never consumed: they start the next message.
 */
long h1_body_scan(struct http_body *b, const char *buf, size_t len);

/* Returns the spelling to send for the lower-case header name <lname>
 * (<len> bytes), or NULL to send it in lower case.
 */
typedef const char *(*h1_case_fn)(const void *map, const char *lname, size_t len);

/* Writes the head of <m> in HTTP/1.x wire format into <out> (<room>
 * bytes): start line, then every live header with its name in lower case,
 * or spelled as <case_fn> says (NULL: none). Returns the number of bytes
 * written, or -1 when <room> is too small.
 */
long h1_write_head(const struct http_msg *m, char *out, size_t room, h1_case_fn case_fn,
                   const void *case_map);
