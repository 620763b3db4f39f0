/* URI normalizers of the normalize-uri action, as pure functions over a
 * byte string so that they can be tested on their own.
 */
#pragma once
#include <stddef.h>

enum uri_norm {
	UN_FRAGMENT_ENCODE,      /* '#' becomes %23 */
	UN_FRAGMENT_STRIP,       /* drop from '#' on */
	UN_PATH_MERGE_SLASHES,   /* runs of '/' become one */
	UN_PATH_STRIP_DOT,       /* drop "." segments */
	UN_PATH_STRIP_DOTDOT,    /* ".." removes the segment before it */
	UN_PERCENT_DECODE_UNRES, /* %XX of an unreserved character decoded */
	UN_PERCENT_UPPER,        /* hex digits of %xx in upper case */
	UN_QUERY_SORT,           /* query parameters sorted by name */
	UN_COUNT
};

#define UN_F_STRICT 0x1 /* percent-*: bad encodings are an error (400) */
#define UN_F_FULL 0x2   /* path-strip-dotdot: drop ".." above the root too */

/* Keyword of a normalizer, as written in the configuration. */
const char *uri_norm_name(enum uri_norm n);

/* Result of uri_normalize(). */
enum uri_norm_err {
	UNE_OK = 0,
	UNE_INVALID = -1, /* bad input in strict mode */
	UNE_ROOM = -2,    /* the result does not fit in <cap> */
};

/* Applies normalizer <n> with <flags> to the <len> bytes of <in> (the part
 * the normalizer works on: the path for path-*, the query with its leading
 * '?' for query-sort-by-name, path and query for the others) and writes the
 * result to <out> of <cap> bytes, its length in *<olen>. <out> must not
 * overlap <in>.
 */
enum uri_norm_err uri_normalize(enum uri_norm n, unsigned flags, const char *in, size_t len,
                                char *out, size_t cap, size_t *olen);
