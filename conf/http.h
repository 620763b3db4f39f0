/* HTTP settings of the configuration.
 *
 * conf/http.c registers the proxy, server and global keywords of HTTP mode;
 * conf/h1-case.c holds the h1-case-adjust map.
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

/* Copies the HTTP settings of defaults section <def> into <dst> (strings
 * duplicated).
 */
void http_inherit(struct px_http *dst, const struct px_http *def);

/* Effective tune.maxrewrite for the current global settings: the configured
 * value or 1024, at most half of tune.bufsize.
 */
uint32_t http_maxrewrite(const struct global_cfg *g);
