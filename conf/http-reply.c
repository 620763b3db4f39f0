/* Error reply files (errorfile, http-error ... errorfile) and replies built
 * from http-error arguments.
 *
 * A reply file holds a complete HTTP/1.x response sent as is. It is checked
 * at parse time the way HAProxy 2.6 checks it, with the same messages and
 * error offsets, so that a file HAProxy refuses is refused here too: start
 * line, header syntax, content-length against the payload, no chunked
 * encoding, and the room the response takes in a buffer of tune.bufsize.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/http.h"

/* Room a response takes in a buffer, as HAProxy lays it out internally:
 * a fixed part, then per header a block header plus name and value; the
 * start line counts its three words, the payload its bytes.
 */
#define RSP_FIXED_COST 93
#define RSP_BLOCK_COST 8

/* State of the scan of a raw response. */
struct rsp_scan {
	const char *p;
	size_t len;
	size_t pos;
	int err_pos; /* offset of the faulty byte; -2: the headers are incomplete */
	size_t vlen; /* version length */
	size_t vpos; /* version offset */
	unsigned status;
	size_t sl_cost; /* version + status + reason lengths */
	int nhdrs;
	int maxhdr;
	size_t hdr_cost;
	int has_cl, chunked;
	unsigned long long cl;
	size_t body; /* offset of the payload */
};

static int is_sp(char c)
{
	return c == ' ' || c == '\t';
}

static int is_eol(char c)
{
	return c == '\r' || c == '\n';
}

static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Characters HAProxy's parser accepts in a response's version word. */
static int is_ver_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '/' || c == '.';
}

/* Fails the scan at offset <at> (-2: ran out of data). Returns -1. */
static int scan_fail(struct rsp_scan *st, long at)
{
	st->err_pos = (int)at;
	return -1;
}

/* Consumes the end of line at st->pos (CRLF or LF). Returns 0, or -1 when
 * something else is there.
 */
static int scan_eol(struct rsp_scan *st)
{
	if (st->pos >= st->len)
		return scan_fail(st, -2);
	if (st->p[st->pos] == '\r') {
		if (++st->pos >= st->len)
			return scan_fail(st, -2);
		if (st->p[st->pos] != '\n')
			return scan_fail(st, (long)st->pos);
	} else if (st->p[st->pos] != '\n') {
		return scan_fail(st, (long)st->pos);
	}
	st->pos++;
	return 0;
}

/* Skips spaces and tabs; returns -1 (incomplete) at the end of the data. */
static int scan_spaces(struct rsp_scan *st)
{
	while (st->pos < st->len && is_sp(st->p[st->pos]))
		st->pos++;
	return st->pos < st->len ? 0 : scan_fail(st, -2);
}

/* Scans "<version> <status>[ <reason>]" and its end of line. */
static int scan_start_line(struct rsp_scan *st)
{
	while (st->pos < st->len && is_eol(st->p[st->pos]))
		st->pos++; /* empty lines before the response are skipped */
	st->vpos = st->pos;
	while (st->pos < st->len && is_ver_char(st->p[st->pos]))
		st->pos++;
	if (st->pos >= st->len)
		return scan_fail(st, -2);
	if (!is_sp(st->p[st->pos]) || st->pos == st->vpos)
		return scan_fail(st, (long)st->pos);
	st->vlen = st->pos - st->vpos;
	if (scan_spaces(st) < 0)
		return -1;
	size_t cpos = st->pos;
	while (st->pos < st->len && st->p[st->pos] >= '0' && st->p[st->pos] <= '9') {
		if (st->status < 100000)
			st->status = st->status * 10 + (unsigned)(st->p[st->pos] - '0');
		st->pos++;
	}
	if (st->pos >= st->len)
		return scan_fail(st, -2);
	if (st->pos == cpos || (!is_sp(st->p[st->pos]) && !is_eol(st->p[st->pos])))
		return scan_fail(st, (long)st->pos);
	size_t clen = st->pos - cpos;
	if (!is_eol(st->p[st->pos]) && scan_spaces(st) < 0)
		return -1;
	size_t rpos = st->pos;
	while (st->pos < st->len && !is_eol(st->p[st->pos]))
		st->pos++;
	st->sl_cost = st->vlen + clen + (st->pos - rpos);
	return scan_eol(st);
}

/* Parses a content-length value (<v>, <n> bytes): digits, possibly several
 * equal ones separated by commas. Returns 0 with *<out> set, or -1.
 */
static int parse_content_length(const char *v, size_t n, unsigned long long *out)
{
	int seen = 0;
	size_t i = 0;

	while (i < n) {
		unsigned long long x = 0;
		size_t start = i;
		while (i < n && v[i] >= '0' && v[i] <= '9' && x < 1000000000000ULL)
			x = x * 10 + (unsigned long long)(v[i++] - '0');
		if (i == start || (seen && x != *out))
			return -1;
		*out = x;
		seen = 1;
		while (i < n && is_sp(v[i]))
			i++;
		if (i < n && v[i++] != ',')
			return -1;
		while (i < n && is_sp(v[i]))
			i++;
	}
	return seen ? 0 : -1;
}

/* Returns 1 when the last coding of transfer-encoding value <v> (<n> bytes)
 * is "chunked".
 */
static int last_coding_chunked(const char *v, size_t n)
{
	const char *comma = memrchr(v, ',', n);
	const char *w = comma ? comma + 1 : v;
	size_t wl = n - (size_t)(w - v);
	while (wl && is_sp(*w))
		w++, wl--;
	return wl == 7 && strncasecmp(w, "chunked", 7) == 0;
}

/* Applies the headers that frame the payload. <vpos> is the value offset. */
static int scan_framing(struct rsp_scan *st, const char *name, size_t nlen, size_t vpos,
                        size_t vlen)
{
	const char *v = st->p + vpos;
	if (nlen == 17 && strncasecmp(name, "transfer-encoding", 17) == 0) {
		st->chunked = last_coding_chunked(v, vlen);
		return 0;
	}
	if (nlen != 14 || strncasecmp(name, "content-length", 14) != 0)
		return 0;
	unsigned long long cl = 0;
	if (parse_content_length(v, vlen, &cl) < 0 || (st->has_cl && cl != st->cl))
		return scan_fail(st, (long)vpos);
	st->has_cl = 1;
	st->cl = cl;
	return 0;
}

/* Scans one "name: value" line starting at st->pos. */
static int scan_header(struct rsp_scan *st)
{
	size_t npos = st->pos;
	while (st->pos < st->len && is_tchar(st->p[st->pos]))
		st->pos++;
	if (st->pos >= st->len)
		return scan_fail(st, -2);
	if (st->p[st->pos] != ':' || st->pos == npos)
		return scan_fail(st, (long)st->pos);
	size_t nlen = st->pos - npos;
	st->pos++;
	while (st->pos < st->len && is_sp(st->p[st->pos]))
		st->pos++;
	size_t vpos = st->pos;
	while (st->pos < st->len && !is_eol(st->p[st->pos]))
		st->pos++;
	size_t vend = st->pos;
	while (vend > vpos && is_sp(st->p[vend - 1]))
		vend--;
	if (scan_framing(st, st->p + npos, nlen, vpos, vend - vpos) < 0)
		return -1;
	st->nhdrs++;
	st->hdr_cost += RSP_BLOCK_COST + nlen + (vend - vpos);
	return scan_eol(st);
}

/* Scans the header lines up to the empty line. HAProxy's parser keeps
 * tune.http.maxhdr slots for the headers and the end of the headers, and
 * fails where it runs out of them: the offsets below are the ones it gives.
 */
static int scan_headers(struct rsp_scan *st)
{
	for (;;) {
		if (st->pos >= st->len)
			return scan_fail(st, -2);
		char c = st->p[st->pos];
		if (is_eol(c)) {
			size_t eoh = st->pos;
			if (scan_eol(st) < 0)
				return -1;
			if (st->nhdrs == st->maxhdr + 1)
				return scan_fail(st, (long)eoh);
			if (st->nhdrs == st->maxhdr)
				return scan_fail(st, (long)st->pos);
			st->body = st->pos;
			return 0;
		}
		if (st->nhdrs >= st->maxhdr + 1)
			return scan_fail(st, (long)st->pos);
		if (is_sp(c)) { /* folded continuation of the previous value */
			while (st->pos < st->len && !is_eol(st->p[st->pos]))
				st->pos++;
			if (scan_eol(st) < 0)
				return -1;
			continue;
		}
		if (scan_header(st) < 0)
			return -1;
	}
}

/* Checks what the syntax alone does not: version, status, framing, size. */
static int check_semantics(const struct global_cfg *g, struct rsp_scan *st, char **err)
{
	size_t blen = st->len - st->body;
	/* a null content-length announces no payload, like these statuses */
	int bodyless =
	    st->status == 204 || st->status == 304 || (st->has_cl && !st->chunked && st->cl == 0);

	if (st->vlen != 8) {
		memprintf(err, "invalid http version (%.*s)", (int)st->vlen, st->p + st->vpos);
		return -1;
	}
	if (st->status < 200 && (st->status == 100 || st->status >= 102)) {
		memprintf(err, "invalid http status code for an error message (%u)", st->status);
		return -1;
	}
	if (st->chunked && !bodyless) {
		memprintf(err, "chunk-encoded payload not supported");
		return -1;
	}
	if (bodyless && blen) {
		memprintf(err, "message payload not expected");
		return -1;
	}
	if (st->has_cl && !st->chunked && !bodyless && st->cl != blen) {
		memprintf(err,
		          "payload size does not match the announced content-length (%zu != %llu)",
		          blen, st->cl);
		return -1;
	}
	if (RSP_FIXED_COST + st->sl_cost + st->hdr_cost + blen > g->tune_bufsize) {
		memprintf(err, "unable to add payload into the HTX message");
		return -1;
	}
	return 0;
}

int http_reply_check(const struct global_cfg *g, const char *raw, size_t len, char **err)
{
	struct rsp_scan st = {.p = raw, .len = len, .maxhdr = g->tune_http_maxhdr};

	if (scan_start_line(&st) < 0 || scan_headers(&st) < 0) {
		memprintf(err, "unable to parse headers (error offset: %d)", st.err_pos);
		return -1;
	}
	if (check_semantics(g, &st, err) < 0)
		return -1;
	return (int)st.status;
}

/* Reads at most <limit> bytes of <path> into *<out> (allocated, *<len>
 * bytes). Returns 0, -1 when the file cannot be opened or stat'ed, -2 when
 * it cannot be read, or -3 when it is larger than <limit> and <truncate> is
 * not set (*<len> then holds its size).
 */
static int read_file_limited(const char *path, size_t limit, int truncate, char **out, size_t *len)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t want = (size_t)sb.st_size;
	if (want > limit && !truncate) {
		close(fd);
		*len = want;
		return -3;
	}
	if (want > limit)
		want = limit;
	char *buf = xmalloc(want + 1);
	ssize_t got = read(fd, buf, want);
	close(fd);
	if (got < 0 || (size_t)got != want) {
		free(buf);
		return -2;
	}
	buf[want] = 0;
	*out = buf;
	*len = want;
	return 0;
}

void http_reply_free(struct http_reply *rep)
{
	if (rep)
		free(rep->raw);
	free(rep);
}

struct http_reply *http_reply_load_file(const struct global_cfg *g, const char *path, int status,
                                        char **err)
{
	struct stat sb;
	char *raw = NULL;
	size_t len = 0;

	if (stat(path, &sb) == 0 && sb.st_size > (off_t)g->tune_bufsize)
		ha_warning("config : custom error message file '%s' larger than %u bytes. "
		           "Truncating.\n",
		           path, g->tune_bufsize);
	int r = read_file_limited(path, g->tune_bufsize, 1, &raw, &len);
	if (r < 0) {
		memprintf(err, "error %s file '%s'.", r == -1 ? "opening" : "reading", path);
		return NULL;
	}
	int st = len ? http_reply_check(g, raw, len, err) : status;
	if (st < 0) {
		memprintf(err, "'%s': %s", path, *err);
		free(raw);
		return NULL;
	}
	struct http_reply *rep = xcalloc(1, sizeof(*rep));
	rep->status = st;
	rep->raw = raw;
	rep->len = len;
	return rep;
}

int http_read_payload_file(const struct global_cfg *g, const char *path, char **out, size_t *len,
                           char **err)
{
	int r = read_file_limited(path, g->tune_bufsize, 0, out, len);

	if (r == -1)
		memprintf(err, "error opening file '%s'", path);
	else if (r == -2)
		memprintf(err, "error reading file '%s'", path);
	else if (r == -3)
		memprintf(err, "file '%s' exceeds the buffer size (%zu > %u)", path, *len,
		          g->tune_bufsize);
	return r < 0 ? -1 : 0;
}

/* Appends <n> bytes of <s> to the growing buffer *<buf> of *<len> bytes. */
static void append(char **buf, size_t *len, const char *s, size_t n)
{
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
}

/* Appends header "<name>: <value>\r\n", the name in lower case. */
static void append_header(char **buf, size_t *len, const char *name, const char *value)
{
	size_t start = *len;
	append(buf, len, name, strlen(name));
	for (size_t i = start; i < *len; i++)
		if ((*buf)[i] >= 'A' && (*buf)[i] <= 'Z')
			(*buf)[i] = (char)((*buf)[i] - 'A' + 'a');
	append(buf, len, ": ", 2);
	append(buf, len, value, strlen(value));
	append(buf, len, "\r\n", 2);
}

struct http_reply *http_reply_build(int status, const char *ctype, const char *body, size_t blen,
                                    char *const *names, char *const *values, int nhdrs)
{
	char line[64];
	char *buf = NULL;
	size_t len = 0;

	snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	append(&buf, &len, line, strlen(line));
	append(&buf, &len, http_reason(status), strlen(http_reason(status)));
	append(&buf, &len, "\r\n", 2);
	for (int i = 0; i < nhdrs; i++)
		append_header(&buf, &len, names[i], values[i]);
	snprintf(line, sizeof(line), "%zu", blen);
	append_header(&buf, &len, "content-length", line);
	if (ctype && blen)
		append_header(&buf, &len, "content-type", ctype);
	append(&buf, &len, "\r\n", 2);
	if (blen)
		append(&buf, &len, body, blen);

	struct http_reply *rep = xcalloc(1, sizeof(*rep));
	rep->status = status;
	rep->raw = buf;
	rep->len = len;
	return rep;
}
