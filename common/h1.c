/* HTTP/1.x head parser, body scanner and head writer (see common/h1.h).
 *
 * The parser is strict where framing is at stake, since a proxy that reads
 * a message differently from the server behind it lets requests be
 * smuggled: both Content-Length and Transfer-Encoding (TE wins, CL is
 * dropped), differing Content-Length values, chunked not last, obs-fold,
 * whitespace before a colon, NUL, bare CR and invalid characters are all
 * refused. Lines may end with a bare LF: heads are written back out with
 * CRLF, so the server never sees the difference.
 */
#include "common/h1.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define MAX_CL_DIGITS 18 /* below 2^63 */
#define MAX_CHUNK_DIGITS 15

/* Character classes of RFC 9110 §5.6.2. */
static int is_tchar(unsigned char c)
{
	if (isalnum(c))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_vchar_or_obs(unsigned char c)
{
	return (c > 0x20 && c != 0x7f);
}

/* A byte allowed in a header value (HTAB, SP, VCHAR, obs-text). */
static int is_value_char(unsigned char c)
{
	return c == '\t' || c == ' ' || is_vchar_or_obs(c);
}

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* A byte allowed in a request-target; strict: visible ASCII except '#'
 * (a fragment is never sent in a request).
 */
static int is_uri_char(unsigned char c, int lenient)
{
	if (lenient)
		return c > 0x20 && c != 0x7f;
	return c > 0x20 && c < 0x7f && c != '#';
}

/* The request-target must have one of the forms of RFC 9112 §3.2:
 * origin ("/..."), absolute ("scheme://..."), asterisk ("*"), or authority
 * ("host:port", CONNECT only, where nothing else is allowed).
 */
static int valid_target_form(struct ist u, enum http_meth meth)
{
	if (meth == HTTP_METH_CONNECT) {
		const char *colon = memrchr(u.p, ':', u.len);
		if (!colon || colon == u.p || colon + 1 == u.p + u.len || memchr(u.p, '/', u.len))
			return 0;
		for (const char *c = colon + 1; c < u.p + u.len; c++)
			if (!isdigit((unsigned char)*c))
				return 0;
		return 1;
	}
	if (u.p[0] == '/' || (u.len == 1 && u.p[0] == '*'))
		return 1;
	uint32_t i = 0;
	while (i < u.len && (isalnum((unsigned char)u.p[i]) || strchr("+-.", u.p[i])))
		i++;
	return i > 0 && isalpha((unsigned char)u.p[0]) && i + 3 <= u.len &&
	       memcmp(u.p + i, "://", 3) == 0;
}

static int fail(struct http_msg *m, int status, long pos)
{
	m->err_status = status;
	m->err_pos = pos;
	return -1;
}

/* Finds the end of the line starting at <pos>: sets *content_end (before
 * any CR) and returns the offset just past the LF, 0 when incomplete, or -1
 * on a CR that is not followed by LF (*content_end is its offset).
 */
static long line_end(const char *buf, size_t len, size_t pos, size_t *content_end)
{
	if (pos >= len)
		return 0; /* nothing yet; <buf> may even be NULL */
	const char *lf = memchr(buf + pos, '\n', len - pos);
	size_t e = lf ? (size_t)(lf - buf) : len;
	const char *cr = memchr(buf + pos, '\r', e - pos);
	if (cr && (size_t)(cr - buf) + 1 < e) {
		*content_end = (size_t)(cr - buf);
		return -1;
	}
	if (!lf)
		return 0;
	*content_end = (e > pos && buf[e - 1] == '\r') ? e - 1 : e;
	return (long)e + 1;
}

/* Parses "HTTP/x.y" at <p> (8 bytes available). */
static int parse_version(const char *p, struct http_msg *m)
{
	if (memcmp(p, "HTTP/", 5) != 0 || !isdigit((unsigned char)p[5]) || p[6] != '.' ||
	    !isdigit((unsigned char)p[7]))
		return -1;
	m->vmaj = p[5] - '0';
	m->vmin = p[7] - '0';
	if (m->vmaj != 1)
		return -1;
	if (m->vmin >= 1)
		m->flags |= HMF_VER11;
	return 0;
}

/* method SP request-target SP HTTP-version */
static int parse_request_line(const char *buf, size_t pos, size_t end, struct http_msg *m,
                              int lenient)
{
	size_t p = pos;
	while (p < end && is_tchar((unsigned char)buf[p]))
		p++;
	if (p == pos || p >= end || buf[p] != ' ')
		return fail(m, 400, (long)p);
	m->meth_s = (struct ist){buf + pos, (uint32_t)(p - pos)};
	m->meth = http_meth_of(m->meth_s);
	size_t u = ++p;
	while (p < end && buf[p] != ' ') {
		if (!is_uri_char((unsigned char)buf[p], lenient))
			return fail(m, 400, (long)p);
		p++;
	}
	if (p == u || p >= end)
		return fail(m, 400, (long)p);
	m->uri = (struct ist){buf + u, (uint32_t)(p - u)};
	if (!valid_target_form(m->uri, m->meth))
		return fail(m, 400, (long)u);
	p++;
	if (end - p != 8 || parse_version(buf + p, m) < 0)
		return fail(m, 400, (long)p);
	return 0;
}

/* HTTP-version SP 3DIGIT [SP reason-phrase] */
static int parse_status_line(const char *buf, size_t pos, size_t end, struct http_msg *m)
{
	size_t p = pos;
	if (end - p < 12 || parse_version(buf + p, m) < 0 || buf[p + 8] != ' ')
		return fail(m, 502, (long)p);
	p += 9;
	int st = 0;
	for (int i = 0; i < 3; i++, p++) {
		if (!isdigit((unsigned char)buf[p]))
			return fail(m, 502, (long)p);
		st = st * 10 + buf[p] - '0';
	}
	if (st < 100)
		return fail(m, 502, (long)p - 3);
	m->status = st;
	if (p < end && buf[p] != ' ')
		return fail(m, 502, (long)p);
	size_t r = p < end ? p + 1 : p;
	for (size_t i = r; i < end; i++)
		if (!is_value_char((unsigned char)buf[i]))
			return fail(m, 502, (long)i);
	m->reason = (struct ist){buf + r, (uint32_t)(end - r)};
	return 0;
}

/* Parses a Content-Length value: one or more identical comma-separated
 * decimal numbers. Returns 0 and sets *out, or -1.
 */
static int parse_content_length(struct ist v, uint64_t *out)
{
	int have = 0;
	uint64_t val = 0;
	size_t i = 0;
	while (i < v.len) {
		while (i < v.len && is_ows((unsigned char)v.p[i]))
			i++;
		size_t d = i;
		uint64_t x = 0;
		while (i < v.len && isdigit((unsigned char)v.p[i])) {
			if (i - d >= MAX_CL_DIGITS)
				return -1;
			x = x * 10 + (uint64_t)(v.p[i++] - '0');
		}
		if (i == d)
			return -1;
		while (i < v.len && is_ows((unsigned char)v.p[i]))
			i++;
		if (i < v.len && v.p[i++] != ',')
			return -1;
		if (have && x != val)
			return -1;
		val = x;
		have = 1;
	}
	if (!have)
		return -1;
	*out = val;
	return 0;
}

/* Keeps only the first number of a "5, 5" Content-Length list. */
static void normalize_cl_value(struct http_hdr *h)
{
	uint32_t n = 0;
	while (n < h->v.len && isdigit((unsigned char)h->v.p[n]))
		n++;
	h->v.len = n;
}

/* Calls <fn> for each comma-separated token of <v>, trimmed. */
static int for_each_token(struct ist v, int (*fn)(struct http_msg *, struct ist, void *),
                          struct http_msg *m, void *arg)
{
	size_t i = 0;
	while (i <= v.len) {
		size_t s = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		size_t e = i;
		while (s < e && is_ows((unsigned char)v.p[s]))
			s++;
		while (e > s && is_ows((unsigned char)v.p[e - 1]))
			e--;
		if (e > s && fn(m, (struct ist){v.p + s, (uint32_t)(e - s)}, arg) < 0)
			return -1;
		i++;
	}
	return 0;
}

static int tok_is(struct ist t, const char *lname)
{
	return http_name_is(t, lname);
}

static int connection_token(struct http_msg *m, struct ist t, void *arg)
{
	(void)arg;
	if (tok_is(t, "close"))
		m->flags |= HMF_CONN_CLOSE;
	else if (tok_is(t, "keep-alive"))
		m->flags |= HMF_CONN_KAL;
	else if (tok_is(t, "upgrade"))
		m->flags |= HMF_CONN_UPG;
	return 0;
}

/* Transfer-Encoding tokens: chunked must appear once, last; a request with
 * a coding we cannot frame is not implemented (501).
 */
static int te_token(struct http_msg *m, struct ist t, void *arg)
{
	int *err = arg;
	int is_resp = (m->flags & HMF_RESP) != 0;
	if (tok_is(t, "chunked")) {
		if (m->flags & HMF_CHUNKED) {
			*err = is_resp ? 502 : 400;
			return -1;
		}
		m->flags |= HMF_CHUNKED;
		return 0;
	}
	if (m->flags & HMF_CHUNKED) {
		/* chunked followed by another coding */
		if (!is_resp) {
			*err = 400;
			return -1;
		}
		m->flags &= ~HMF_CHUNKED;
	}
	m->flags |= HMF_TE_OTHER;
	return 0;
}

/* Interprets the header just added at index <i>. */
static int header_semantics(struct http_msg *m, int i, long pos)
{
	struct http_hdr *h = &m->hdrs[i];
	int bad = (m->flags & HMF_RESP) ? 502 : 400;
	if (http_name_is(h->n, "content-length")) {
		uint64_t cl;
		if (parse_content_length(h->v, &cl) < 0)
			return fail(m, bad, pos);
		if (m->flags & HMF_CL) {
			if (cl != m->content_len)
				return fail(m, bad, pos);
			h->n.len = 0; /* identical duplicate: keep one */
			return 0;
		}
		m->flags |= HMF_CL;
		m->content_len = cl;
		normalize_cl_value(h);
	} else if (http_name_is(h->n, "transfer-encoding")) {
		int err = bad;
		m->flags |= HMF_TE;
		if (for_each_token(h->v, te_token, m, &err) < 0)
			return fail(m, err, pos);
	} else if (http_name_is(h->n, "connection")) {
		for_each_token(h->v, connection_token, m, NULL);
	} else if (http_name_is(h->n, "upgrade")) {
		m->flags |= HMF_UPGRADE;
	} else if (http_name_is(h->n, "expect")) {
		if (h->v.len == 12 && strncasecmp(h->v.p, "100-continue", 12) == 0)
			m->flags |= HMF_EXPECT_100;
	}
	return 0;
}

/* name ":" OWS value OWS */
static int parse_header_line(const char *buf, size_t pos, size_t end, struct http_msg *m,
                             int lenient)
{
	size_t p = pos;
	if (is_ows((unsigned char)buf[p]))
		return fail(m, (m->flags & HMF_RESP) ? 502 : 400, (long)p); /* obs-fold */
	while (p < end && buf[p] != ':') {
		unsigned char c = (unsigned char)buf[p];
		if (!is_tchar(c) && !(lenient && (c >= 0x20 || c == '\t') && c != 0x7f))
			return fail(m, (m->flags & HMF_RESP) ? 502 : 400, (long)p);
		p++;
	}
	if (p == pos || p >= end)
		return fail(m, (m->flags & HMF_RESP) ? 502 : 400, (long)p);
	struct ist n = {buf + pos, (uint32_t)(p - pos)};
	while (n.len && is_ows((unsigned char)n.p[n.len - 1]))
		n.len--; /* lenient: "Name : v" is Name, never a different header */
	if (!n.len)
		return fail(m, (m->flags & HMF_RESP) ? 502 : 400, (long)pos);
	p++;
	while (p < end && is_ows((unsigned char)buf[p]))
		p++;
	size_t v = p, ve = end;
	for (; p < end; p++)
		if (!is_value_char((unsigned char)buf[p]))
			return fail(m, (m->flags & HMF_RESP) ? 502 : 400, (long)p);
	while (ve > v && is_ows((unsigned char)buf[ve - 1]))
		ve--;
	if (m->nhdrs >= m->maxhdrs)
		return fail(m, (m->flags & HMF_RESP) ? 502 : 400, (long)pos);
	m->hdrs[m->nhdrs].n = n;
	m->hdrs[m->nhdrs].v = (struct ist){buf + v, (uint32_t)(ve - v)};
	m->nhdrs++;
	return header_semantics(m, m->nhdrs - 1, (long)pos);
}

/* Framing checks once every header of the head at <buf> is known. */
static int finish_head(const char *buf, struct http_msg *m)
{
	int is_resp = (m->flags & HMF_RESP) != 0;
	if (m->flags & HMF_TE) {
		/* a refusal points at the first Transfer-Encoding header */
		int i = http_find_hdr(m, "transfer-encoding", 0);
		long te = i >= 0 ? (long)(m->hdrs[i].n.p - buf) : 0;
		if (!is_resp && !(m->flags & HMF_VER11))
			return fail(m, 400, te);
		if (!(m->flags & HMF_CHUNKED)) /* no framing we can trust */
			return fail(m, is_resp ? 502 : 400, te);
		if (!is_resp && (m->flags & HMF_TE_OTHER))
			return fail(m, 501, te); /* a coding we do not apply, then chunked */
		if (m->flags & HMF_CL) {
			http_del_hdr(m, "content-length");
			m->flags &= ~HMF_CL;
			m->flags |= HMF_CL_TE;
		}
	}
	return 0;
}

int h1_parse_head(const char *buf, size_t len, struct http_msg *m, int is_resp, int lenient)
{
	struct http_hdr *hdrs = m->hdrs;
	int maxhdrs = m->maxhdrs;
	memset(m, 0, sizeof(*m));
	m->hdrs = hdrs;
	m->maxhdrs = maxhdrs;
	m->flags = is_resp ? HMF_RESP : 0;

	size_t pos = 0, end;
	/* Empty lines (CRLF or LF) before a request line are skipped. A CR that
	 * is not followed by LF is left to line_end(), which refuses it (or
	 * waits for the next byte when it is the last one).
	 */
	while (!is_resp && pos < len &&
	       (buf[pos] == '\n' || (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n')))
		pos += buf[pos] == '\r' ? 2 : 1;
	m->skip = (uint32_t)pos;
	if (!is_resp) {
		/* a method that cannot be one is refused before the line ends (a
		 * TLS hello sent to a clear-text port, say), and before the line's
		 * own checks, so that a head and its prefixes fail the same way */
		size_t p = pos;
		while (p < len && is_tchar((unsigned char)buf[p]))
			p++;
		char c = p < len ? buf[p] : ' ';
		if ((c != ' ' && c != '\r' && c != '\n') || (c == ' ' && p == pos && p < len))
			return fail(m, 400, (long)p);
	}
	long next = line_end(buf, len, pos, &end);
	if (next < 0)
		return fail(m, is_resp ? 502 : 400, (long)end);
	if (next == 0)
		return 0;
	int r = is_resp ? parse_status_line(buf, pos, end, m)
	                : parse_request_line(buf, pos, end, m, lenient);
	if (r < 0)
		return -1;
	m->line_done = 1;
	for (pos = (size_t)next;; pos = (size_t)next) {
		next = line_end(buf, len, pos, &end);
		if (next < 0)
			return fail(m, is_resp ? 502 : 400, (long)end);
		if (next == 0)
			return 0;
		if (end == pos)
			break;
		if (parse_header_line(buf, pos, end, m, lenient) < 0)
			return -1;
	}
	if (finish_head(buf, m) < 0)
		return -1;
	m->head_len = (uint32_t)next - m->skip;
	return (int)next;
}

int h1_head_too_large(struct http_msg *m, int is_resp)
{
	m->err_status = is_resp ? 502 : (m->line_done ? 431 : 414);
	m->err_pos = 0;
	return m->err_status;
}

void h1_set_request_body(struct http_msg *m)
{
	memset(&m->body, 0, sizeof(m->body));
	if (m->flags & HMF_CHUNKED) {
		m->body.mode = HB_CHUNKED;
	} else if ((m->flags & HMF_CL) && m->content_len) {
		m->body.mode = HB_CL;
		m->body.left = m->content_len;
	} else {
		m->body.mode = HB_NONE;
		m->body.done = 1;
	}
}

void h1_set_response_body(struct http_msg *m, enum http_meth req_meth)
{
	memset(&m->body, 0, sizeof(m->body));
	if (req_meth == HTTP_METH_CONNECT && m->status >= 200 && m->status < 300) {
		m->body.mode = HB_TUNNEL;
	} else if (m->status == 101) {
		m->body.mode = HB_TUNNEL;
	} else if (req_meth == HTTP_METH_HEAD || m->status < 200 || m->status == 204 ||
	           m->status == 304) {
		m->body.mode = HB_NONE;
		m->body.done = 1;
	} else if (m->flags & HMF_CHUNKED) {
		m->body.mode = HB_CHUNKED;
	} else if (m->flags & HMF_CL) {
		m->body.mode = m->content_len ? HB_CL : HB_NONE;
		m->body.left = m->content_len;
		m->body.done = !m->content_len;
	} else {
		m->body.mode = HB_CLOSE;
	}
}

/* Chunked parser states. */
enum {
	CS_SIZE0 = 0, /* first hex digit of a chunk size */
	CS_SIZE,      /* more digits, OWS, ';' or CR */
	CS_SIZE_WS,   /* after OWS: OWS, ';' or CR */
	CS_EXT,       /* chunk extension up to CR */
	CS_SIZE_LF,   /* LF ending the size line */
	CS_DATA,      /* chunk data */
	CS_DATA_CR,   /* CR after chunk data */
	CS_DATA_LF,   /* LF after chunk data */
	CS_TRL_START, /* start of a trailer line or of the final CRLF */
	CS_TRL,       /* inside a trailer line */
	CS_TRL_LF,    /* LF ending a trailer line */
	CS_END_LF,    /* LF of the final CRLF */
};

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)(c | 0x20);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* One framing byte of a chunked body. Returns 0, 1 when the message ends
 * with it, or -1 on an invalid byte.
 */
static int chunk_byte(struct http_body *b, unsigned char c)
{
	int h;
	switch (b->cstate) {
	case CS_SIZE0:
	case CS_SIZE:
		h = hexval(c);
		if (h >= 0) {
			if (++b->digits > MAX_CHUNK_DIGITS)
				return -1;
			b->left = (b->left << 4) | (uint64_t)h;
			b->cstate = CS_SIZE;
			return 0;
		}
		if (b->cstate == CS_SIZE0)
			return -1;
		/* fall through */
	case CS_SIZE_WS:
		if (is_ows(c))
			b->cstate = CS_SIZE_WS;
		else if (c == ';')
			b->cstate = CS_EXT;
		else if (c == '\r')
			b->cstate = CS_SIZE_LF;
		else
			return -1;
		return 0;
	case CS_EXT:
		if (c == '\r')
			b->cstate = CS_SIZE_LF;
		else if (!is_value_char(c))
			return -1;
		return 0;
	case CS_SIZE_LF:
		if (c != '\n')
			return -1;
		b->cstate = b->left ? CS_DATA : CS_TRL_START;
		return 0;
	case CS_DATA_CR:
		if (c != '\r')
			return -1;
		b->cstate = CS_DATA_LF;
		return 0;
	case CS_DATA_LF:
		if (c != '\n')
			return -1;
		b->cstate = CS_SIZE0;
		b->digits = 0;
		b->left = 0;
		return 0;
	case CS_TRL_START:
		if (c == '\r') {
			b->cstate = CS_END_LF;
			return 0;
		}
		if (!is_tchar(c))
			return -1;
		b->cstate = CS_TRL;
		return 0;
	case CS_TRL:
		if (c == '\r')
			b->cstate = CS_TRL_LF;
		else if (!is_value_char(c) && c != ':')
			return -1;
		return 0;
	case CS_TRL_LF:
		if (c != '\n')
			return -1;
		b->cstate = CS_TRL_START;
		return 0;
	case CS_END_LF:
		return c == '\n' ? 1 : -1;
	}
	return -1;
}

/* Scans chunked framing; chunk data is skipped without being looked at. */
static long scan_chunked(struct http_body *b, const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len && !b->done) {
		if (b->cstate == CS_DATA) {
			uint64_t n = len - i < b->left ? len - i : b->left;
			i += n;
			b->left -= n;
			if (!b->left)
				b->cstate = CS_DATA_CR;
			continue;
		}
		int r = chunk_byte(b, (unsigned char)buf[i]);
		if (r < 0) {
			b->err_pos = (long)i;
			return -1;
		}
		i++;
		if (r == 1)
			b->done = 1;
	}
	return (long)i;
}

long h1_body_scan(struct http_body *b, const char *buf, size_t len)
{
	long n;
	switch (b->mode) {
	case HB_NONE:
		b->done = 1;
		return 0;
	case HB_CL:
		n = (long)(len < b->left ? len : b->left);
		b->left -= (uint64_t)n;
		b->done = b->left == 0;
		break;
	case HB_CHUNKED:
		if (b->done)
			return 0;
		n = scan_chunked(b, buf, len);
		if (n < 0)
			return -1;
		break;
	default:
		n = (long)len;
		break;
	}
	b->total += (uint64_t)n;
	return n;
}

/* Appends <len> bytes; returns the new offset or -1 when out of room. */
static long put(char *out, size_t room, long at, const char *s, size_t len)
{
	if (at < 0 || (size_t)at + len > room)
		return -1;
	if (len) /* an empty slice may be {NULL, 0} */
		memcpy(out + at, s, len);
	return at + (long)len;
}

static long put_name(char *out, size_t room, long at, struct ist n, h1_case_fn fn, const void *map)
{
	char lname[256];
	if (at < 0 || (size_t)at + n.len > room)
		return -1;
	for (uint32_t i = 0; i < n.len; i++)
		out[at + i] = (char)tolower((unsigned char)n.p[i]);
	if (fn && n.len < sizeof(lname)) {
		memcpy(lname, out + at, n.len);
		const char *spelled = fn(map, lname, n.len);
		if (spelled)
			memcpy(out + at, spelled, n.len);
	}
	return at + (long)n.len;
}

long h1_write_head(const struct http_msg *m, char *out, size_t room, h1_case_fn case_fn,
                   const void *case_map)
{
	char ver[16] = "HTTP/1.1";
	ver[5] = (char)('0' + m->vmaj);
	ver[7] = (char)('0' + (m->vmin > 1 ? 1 : m->vmin));
	long at = 0;
	if (m->flags & HMF_RESP) {
		char st[8] = {' ', (char)('0' + m->status / 100 % 10),
		              (char)('0' + m->status / 10 % 10), (char)('0' + m->status % 10), ' '};
		at = put(out, room, at, ver, 8);
		at = put(out, room, at, st, 5);
		at = put(out, room, at, m->reason.p, m->reason.len);
	} else {
		at = put(out, room, at, m->meth_s.p, m->meth_s.len);
		at = put(out, room, at, " ", 1);
		at = put(out, room, at, m->uri.p, m->uri.len);
		at = put(out, room, at, " ", 1);
		at = put(out, room, at, ver, 8);
	}
	at = put(out, room, at, "\r\n", 2);
	for (int i = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];
		if (!h->n.len)
			continue;
		at = put_name(out, room, at, h->n, case_fn, case_map);
		at = put(out, room, at, ": ", 2);
		at = put(out, room, at, h->v.p, h->v.len);
		at = put(out, room, at, "\r\n", 2);
	}
	return put(out, room, at, "\r\n", 2);
}
