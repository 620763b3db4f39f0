/* HTTP settings of the configuration.
 *
 * conf/http.c registers the proxy, server and global keywords of HTTP mode
 * and the h1-case-adjust map; conf/http-errors.c the error replies
 * (errorfile, errorfiles, http-error, "http-errors" sections) and the
 * built-in pages; conf/http-reply.c loads and checks reply files.
 *
 * Everything here is built while parsing and read-only afterwards: the
 * worker may call the lookup functions from any thread.
 */
#pragma once
#include <stddef.h>
#include <sys/socket.h>

#include "conf/model-t.h"

/* One "h1-case-adjust <from> <to>" entry. */
struct h1_case_entry {
	char *from; /* as configured (meant to be lower case) */
	char *to;   /* spelling sent to HTTP/1 peers */
	size_t len; /* length of both */
};

/* Header names to re-case on HTTP/1 output, sorted by <from> (bytes). */
struct h1_case_map {
	struct h1_case_entry *entries;
	size_t count;
	char *file; /* last h1-case-adjust-file, loaded at validation */
};

/* Returns the spelling to send for the lower-case header name <lname>
 * (<len> bytes, not necessarily NUL-terminated), or NULL when <m> (may be
 * NULL) has no entry for it.
 */
const char *h1_case_adjust_lookup(const struct h1_case_map *m, const char *lname, size_t len);

/* Adds <from> -> <to> to <m>. Fails (-1 with *err set, in HAProxy's words)
 * when <to> is empty, when the two differ by more than their case, or when
 * <from> is already there.
 */
int h1_case_map_add(struct h1_case_map *m, const char *from, const char *to, char **err);

/* Releases what <m> owns (entries, file name), leaving it empty. */
void h1_case_map_release(struct h1_case_map *m);

/* Loads m->file into <m>: two names per line (<from>, then the rest of the
 * line as <to>), '#' comments and blank lines ignored. Stops at the first
 * bad line. Returns the number of alerts emitted (0 or 1).
 */
int h1_case_map_load(struct h1_case_map *m);

/* Parses "<ipv4>[/<len>|/<dotted mask>]", "<ipv6>[/<len>]" or an IPv4 host
 * name (resolved now) into <out>, the address masked by its prefix. A
 * dotted mask must be contiguous. Returns 0, or -1 when <text> is none of
 * these.
 */
int hl_net_parse(const char *text, struct hl_net *out);

/* Returns 1 when address <sa> (AF_INET or AF_INET6) is inside <net>, 0
 * otherwise (also when <net> is unset or of the other family).
 */
int hl_net_match(const struct hl_net *net, const struct sockaddr *sa);

/* Returns a copy of the error reference list <src> (strings duplicated,
 * loaded replies shared).
 */
struct http_err_ref *http_err_refs_dup(const struct http_err_ref *src);

/* Copies the HTTP settings of defaults section <def> into <dst> (strings and
 * error references duplicated, loaded replies shared; nothing resolved).
 */
void http_inherit(struct px_http *dst, const struct px_http *def);

/* Effective tune.maxrewrite for the current global settings: the configured
 * value or 1024, at most half of tune.bufsize.
 */
uint32_t http_maxrewrite(const struct global_cfg *g);

/* Index of <status> in http_err_codes[], or -1 when errorfile cannot
 * override it.
 */
int http_err_slot(int status);

/* Standard reason phrase of <status> ("Service Unavailable"), or "Unknown"
 * for a code without one.
 */
const char *http_reason(int status);

/* Halyard's own page for <status>: 200 or any 4xx/5xx having a reason
 * phrase. NULL for other codes.
 */
const struct http_reply *http_builtin_reply(int status);

/* The reply <px> configured for <status> (errorfile, errorfiles,
 * http-error), or NULL when it uses the built-in page. An empty reply
 * (len 0) means "close without answering".
 */
const struct http_reply *http_error_override(const struct proxy *px, int status);

/* The reply to send for <status> on behalf of <px> (may be NULL): its
 * override, else the built-in page; NULL only when neither exists.
 */
const struct http_reply *http_error_reply(const struct proxy *px, int status);

/* Loads errorfile <path> for slot status <status> the way HAProxy does:
 * truncated to tune.bufsize (with a warning), then checked as a complete
 * HTTP/1.x response fitting a buffer. Returns the reply, or NULL with *err
 * set ("error opening file ...", "'<path>': unable to parse ...").
 */
struct http_reply *http_reply_load_file(const struct global_cfg *g, const char *path, int status,
                                        char **err);

/* Reads payload file <path> of "http-error ... file": at most tune.bufsize
 * bytes. Returns 0 with *<out> (allocated) and *<len> set, or -1 with *err
 * set in HAProxy's words.
 */
int http_read_payload_file(const struct global_cfg *g, const char *path, char **out, size_t *len,
                           char **err);

/* Looks up status <status> in the "http-errors <name>" section of <cfg>:
 * returns 0 when there is no such section, else 1 with *rep set to its
 * reply (NULL when the section declares none for that status).
 */
int http_errors_lookup(struct config *cfg, const char *name, int status,
                       const struct http_reply **rep);

/* Releases <rep> (may be NULL) and its bytes. */
void http_reply_free(struct http_reply *rep);

/* Checks that <raw> (<len> bytes) is a usable error response: status line,
 * headers, body matching content-length, no chunked encoding, fitting a
 * buffer of tune.bufsize, at most tune.http.maxhdr headers. Returns the
 * status code of its start line, or -1 with *err set.
 */
int http_reply_check(const struct global_cfg *g, const char *raw, size_t len, char **err);

/* Builds the reply of "http-error status <status>" with body <body> (<blen>
 * bytes, may be empty), content type <ctype> (may be NULL) and <nhdrs>
 * extra headers <names>[i]: <values>[i] (names sent in lower case).
 */
struct http_reply *http_reply_build(int status, const char *ctype, const char *body, size_t blen,
                                    char *const *names, char *const *values, int nhdrs);
