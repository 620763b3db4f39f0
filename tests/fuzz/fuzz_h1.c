/* libFuzzer target for common/h1.c: h1_parse_head(), the body framing,
 * h1_body_scan() and h1_write_head().
 *
 * The first input byte picks the mode, the rest is the message:
 *   bit 0     response (else request)
 *   bit 1     lenient character checks
 *   bits 2-3  method of the request a response answers: GET HEAD CONNECT POST
 *   bits 4-7  seed of the sizes of the pieces the body is scanned in
 *
 * Properties checked (abort() on violation):
 *  - a result is one of -1 / 0 / a length within the input; a refusal has a
 *    status of its kind and an offset inside the input;
 *  - the result does not depend on bytes past the head: a proper prefix of
 *    a head needs more bytes, and a prefix of a refused head needs more
 *    bytes or is refused identically;
 *  - what the strict parser accepts, the lenient one accepts identically;
 *  - a parsed head is consistent: slices inside the head, flags agreeing
 *    with the framing rules (no Content-Length with Transfer-Encoding, which
 *    ends with chunked, and is in 1.1 for a request), a request-target of
 *    the form its method allows, one live Content-Length holding digits of
 *    content_len;
 *  - h1_write_head() needs exactly the room it reports, and its output
 *    parses back to the same start line, flags and live headers, and writes
 *    out identically again;
 *  - the body scanner never consumes more than it is given, nothing after
 *    done, stops short only when done, and gives the same result (bytes
 *    consumed, done, offset of an error) in one piece, in random pieces and
 *    byte by byte.
 */
#include "common/h1.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAXHDRS 24

struct parsed {
	int ret;
	struct http_msg m;
	struct http_hdr hdrs[MAXHDRS];
	char *buf; /* exact heap copy the slices point into */
};

/* Parses an exactly sized heap copy of <data>/<len> so that over-reads are
 * caught by ASan. The copy stays in p->buf until release().
 */
static void parse(struct parsed *p, const uint8_t *data, size_t len, int resp, int lenient)
{
	p->buf = malloc(len ? len : 1);
	if (!p->buf)
		abort();
	memcpy(p->buf, data, len);
	memset(&p->m, 0xa5, sizeof(p->m));
	p->m.hdrs = p->hdrs;
	p->m.maxhdrs = MAXHDRS;
	p->ret = h1_parse_head(p->buf, len, &p->m, resp, lenient);
}

static void release(struct parsed *p)
{
	free(p->buf);
	p->buf = NULL;
}

static bool ist_eq(struct ist a, struct ist b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* <s> lies inside the first <len> bytes of <buf>. */
static bool inside(struct ist s, const char *buf, size_t len)
{
	return s.p >= buf && s.p <= buf + len && s.len <= (size_t)(buf + len - s.p);
}

static int live_count(const struct http_msg *m)
{
	int n = 0;
	for (int i = 0; i < m->nhdrs; i++)
		n += m->hdrs[i].n.len != 0;
	return n;
}

/* A parsed head <p> of <len> input bytes is consistent. */
static void check_head(const struct parsed *p, size_t len, int resp, int lenient)
{
	const struct http_msg *m = &p->m;
	size_t hl = (size_t)p->ret;

	if (m->skip + m->head_len != hl || !m->line_done || m->skip >= hl || m->err_status != 0 ||
	    (resp && m->skip))
		abort();
	if (m->nhdrs < 0 || m->nhdrs > MAXHDRS || m->hdrs != p->hdrs || m->maxhdrs != MAXHDRS)
		abort();
	if (m->vmaj != 1 || m->vmin < 0 || m->vmin > 9 ||
	    !!(m->flags & HMF_VER11) != (m->vmin >= 1) || !!(m->flags & HMF_RESP) != resp)
		abort();
	if (resp) {
		if (m->status < 100 || m->status > 999 || !inside(m->reason, p->buf, hl))
			abort();
	} else {
		if (!m->meth_s.len || !m->uri.len || !inside(m->meth_s, p->buf, hl) ||
		    !inside(m->uri, p->buf, hl) || m->meth != http_meth_of(m->meth_s))
			abort();
	}
	if ((m->flags & HMF_TE) && (m->flags & HMF_CL))
		abort();
	if ((m->flags & HMF_CL_TE) && !(m->flags & HMF_TE))
		abort();
	if ((m->flags & HMF_CHUNKED) && !(m->flags & HMF_TE))
		abort();
	if ((m->flags & HMF_TE) && !(m->flags & HMF_CHUNKED))
		abort();
	if (!resp && (m->flags & HMF_TE) && !(m->flags & HMF_VER11))
		abort();
	if (!resp) {
		/* request-target forms: authority for CONNECT, else origin,
		 * asterisk or absolute; no fragment unless lenient
		 */
		const struct ist u = m->uri;
		if (m->meth == HTTP_METH_CONNECT
		        ? memchr(u.p, '/', u.len) || !memchr(u.p, ':', u.len)
		        : u.p[0] != '/' && !(u.len == 1 && u.p[0] == '*') &&
		              !memmem(u.p, u.len, "://", 3))
			abort();
		if (!lenient && memchr(u.p, '#', u.len))
			abort();
	}

	int ncl = 0;
	for (int i = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];
		if (!h->n.len)
			continue;
		if (!inside(h->n, p->buf, hl) || !inside(h->v, p->buf, hl))
			abort();
		/* lenient names may hold SP and HTAB, but never start with them */
		if (h->n.p[0] == ' ' || h->n.p[0] == '\t')
			abort();
		for (uint32_t k = 0; k < h->n.len; k++) {
			unsigned char c = (unsigned char)h->n.p[k];
			if (c == ':' || c == 0x7f || (c < 0x20 && !(lenient && c == '\t')) ||
			    (c == ' ' && !lenient))
				abort();
		}
		for (uint32_t k = 0; k < h->v.len; k++) {
			unsigned char c = (unsigned char)h->v.p[k];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				abort();
		}
		if (h->v.len && (h->v.p[0] == ' ' || h->v.p[0] == '\t' ||
		                 h->v.p[h->v.len - 1] == ' ' || h->v.p[h->v.len - 1] == '\t'))
			abort();
		if (http_name_is(h->n, "content-length")) {
			uint64_t v = 0;
			ncl++;
			if (!h->v.len)
				abort();
			for (uint32_t k = 0; k < h->v.len; k++) {
				if (h->v.p[k] < '0' || h->v.p[k] > '9')
					abort();
				v = v * 10 + (uint64_t)(h->v.p[k] - '0');
			}
			if (v != m->content_len)
				abort();
		}
	}
	if (ncl != ((m->flags & HMF_CL) ? 1 : 0))
		abort();
	(void)len;
}

/* Parsing the first <cut> bytes agrees with the result <p> on all of them. */
static void check_prefix(const uint8_t *data, size_t cut, const struct parsed *p, int resp,
                         int lenient)
{
	static struct parsed q;

	parse(&q, data, cut, resp, lenient);
	if (p->ret > 0 && cut >= (size_t)p->ret) {
		if (q.ret != p->ret || q.m.flags != p->m.flags || q.m.nhdrs != p->m.nhdrs)
			abort();
	} else if (p->ret == -1) {
		if (q.ret != 0 && (q.ret != -1 || q.m.err_status != p->m.err_status ||
		                   q.m.err_pos != p->m.err_pos))
			abort();
	} else if (q.ret != 0) {
		abort();
	}
	if (q.ret == 0 && q.m.line_done && p->ret == 0 && !p->m.line_done)
		abort();
	release(&q);
}

/* A head <p> accepted by the strict parser is accepted identically by the
 * lenient one.
 */
static void check_lenient(const uint8_t *data, size_t len, const struct parsed *p, int resp)
{
	static struct parsed q;

	parse(&q, data, len, resp, 1);
	if (q.ret != p->ret || q.m.flags != p->m.flags || q.m.nhdrs != p->m.nhdrs ||
	    q.m.content_len != p->m.content_len || q.m.status != p->m.status ||
	    q.m.uri.len != p->m.uri.len)
		abort();
	release(&q);
}

/* Writes <m>; checks the room it needs, that its output parses back to the
 * same message and that writing that gives the same bytes.
 */
static void check_write(const struct http_msg *m, int resp, int lenient)
{
	static struct parsed q;
	size_t room = 2 * (size_t)m->head_len + 64;
	char *out = malloc(room), *small;
	long n = h1_write_head(m, out, room, NULL, NULL);

	if (n <= 0 || (size_t)n > room)
		abort();
	small = malloc((size_t)n);
	if (h1_write_head(m, small, (size_t)n, NULL, NULL) != n ||
	    memcmp(small, out, (size_t)n) != 0 ||
	    h1_write_head(m, small, (size_t)n - 1, NULL, NULL) != -1)
		abort();

	parse(&q, (const uint8_t *)out, (size_t)n, resp, lenient);
	const struct http_msg *b = &q.m;
	if (q.ret != n || b->skip != 0 || b->head_len != (uint32_t)n)
		abort();
	if (b->flags != (m->flags & ~HMF_CL_TE) || b->vmaj != m->vmaj ||
	    b->vmin != (m->vmin > 1 ? 1 : m->vmin) /* 1.2+ go out as 1.1 */ ||
	    b->status != m->status || b->meth != m->meth || !ist_eq(b->meth_s, m->meth_s) ||
	    !ist_eq(b->uri, m->uri) || !ist_eq(b->reason, m->reason))
		abort();
	if ((m->flags & HMF_CL) && b->content_len != m->content_len)
		abort();
	if (b->nhdrs != live_count(m) || live_count(b) != b->nhdrs)
		abort();
	for (int i = 0, j = 0; i < m->nhdrs; i++) {
		const struct http_hdr *h = &m->hdrs[i];
		if (!h->n.len)
			continue;
		if (b->hdrs[j].n.len != h->n.len ||
		    strncasecmp(b->hdrs[j].n.p, h->n.p, h->n.len) != 0 ||
		    !ist_eq(b->hdrs[j].v, h->v))
			abort();
		j++;
	}
	if (h1_write_head(b, small, (size_t)n, NULL, NULL) != n ||
	    memcmp(small, out, (size_t)n) != 0)
		abort();
	release(&q);
	free(small);
	free(out);
}

struct scan_res {
	uint64_t consumed;
	int done;
	long err_at; /* absolute offset of an error, or -1 */
};

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Scans <len> bytes at <data> with body state <init>, in pieces of random
 * sizes (<seed> != 0), of one byte (<seed> == 0 && <bytewise>) or in one
 * piece. Every piece is an exactly sized heap copy.
 */
static struct scan_res scan(const struct http_body *init, const uint8_t *data, size_t len,
                            uint32_t seed, bool bytewise)
{
	struct http_body b = *init;
	struct scan_res r = {0, 0, -1};
	size_t at = 0;

	for (;;) {
		size_t k = len - at;
		if (seed) {
			uint32_t x = rng(&seed);
			size_t want = x % 8 == 0 ? 0 : (x >> 3) % (x % 3 ? 16 : 512);
			k = want < k ? want : k;
		} else if (bytewise && k > 1) {
			k = 1;
		}
		char *piece = malloc(k ? k : 1);
		memcpy(piece, data + at, k);
		int was_done = b.done;
		uint64_t total = b.total;
		long c = h1_body_scan(&b, piece, k);
		free(piece);
		if (c < 0) {
			if (c != -1 || b.mode != HB_CHUNKED || b.err_pos < 0 ||
			    (size_t)b.err_pos >= k)
				abort();
			r.err_at = (long)at + b.err_pos;
			break;
		}
		if ((size_t)c > k || (was_done && (c != 0 || !b.done)) ||
		    ((size_t)c < k && !b.done) || b.total != total + (uint64_t)c)
			abort();
		r.consumed += (uint64_t)c;
		at += (size_t)c;
		if (b.done || at >= len)
			break;
	}
	if (r.err_at < 0 && b.total != init->total + r.consumed)
		abort();
	r.done = b.done;
	/* once done, nothing more is consumed */
	if (r.done && r.err_at < 0 &&
	    (h1_body_scan(&b, (const char *)data + at, len - at) != 0 || !b.done))
		abort();
	return r;
}

static bool same(struct scan_res a, struct scan_res b)
{
	if (a.err_at >= 0 || b.err_at >= 0)
		return a.err_at == b.err_at;
	return a.consumed == b.consumed && a.done == b.done;
}

static void check_body(struct http_msg *m, int resp, enum http_meth meth, const uint8_t *rest,
                       size_t len, uint32_t seed)
{
	if (resp)
		h1_set_response_body(m, meth);
	else
		h1_set_request_body(m);

	const struct http_body *b = &m->body;
	if (b->mode < HB_NONE || b->mode > HB_TUNNEL || b->total || b->cstate ||
	    b->done != (b->mode == HB_NONE) || (b->mode == HB_CL && b->left != m->content_len) ||
	    (b->mode == HB_CL && !b->left) || (!resp && b->mode >= HB_CLOSE))
		abort();

	struct scan_res whole = scan(b, rest, len, 0, false);
	switch (b->mode) {
	case HB_NONE:
		if (whole.consumed || !whole.done)
			abort();
		break;
	case HB_CL:
		if (whole.consumed != (len < m->content_len ? len : m->content_len) ||
		    whole.done != (len >= m->content_len))
			abort();
		break;
	case HB_CLOSE:
	case HB_TUNNEL:
		if (whole.consumed != len || whole.done)
			abort();
		break;
	default:
		break;
	}
	if (!same(whole, scan(b, rest, len, seed * 2654435761u | 1, false)) ||
	    !same(whole, scan(b, rest, len, (seed + 0x9e3779b9u) | 1, false)))
		abort();
	if (len <= 4096 && !same(whole, scan(b, rest, len, 0, true)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct parsed p;
	static const enum http_meth meths[4] = {HTTP_METH_GET, HTTP_METH_HEAD, HTTP_METH_CONNECT,
	                                        HTTP_METH_POST};

	if (size < 1)
		return 0;
	int resp = data[0] & 1, lenient = (data[0] >> 1) & 1;
	enum http_meth meth = meths[(data[0] >> 2) & 3];
	uint32_t seed = (uint32_t)(data[0] >> 4) * 0x01000193u + (uint32_t)size;
	data++;
	size--;

	parse(&p, data, size, resp, lenient);
	if (p.ret < -1 || (p.ret > 0 && (size_t)p.ret > size))
		abort();
	if (p.ret == -1) {
		int st = p.m.err_status;
		if (resp ? st != 502 : st != 400 && st != 501)
			abort();
		if (p.m.err_pos < 0 || (size_t)p.m.err_pos >= size)
			abort();
	} else if (p.ret == 0) {
		int st = h1_head_too_large(&p.m, resp);
		if (st != (resp ? 502 : p.m.line_done ? 431 : 414) || p.m.err_status != st)
			abort();
	} else {
		check_head(&p, size, resp, lenient);
	}

	check_prefix(data, size / 2, &p, resp, lenient);
	if (size)
		check_prefix(data, size - 1, &p, resp, lenient);
	if (p.ret > 0) {
		check_prefix(data, (size_t)p.ret, &p, resp, lenient);
		check_prefix(data, (size_t)p.ret - 1, &p, resp, lenient);
		if (!lenient)
			check_lenient(data, size, &p, resp);
		check_write(&p.m, resp, lenient);
		check_body(&p.m, resp, meth, data + p.ret, size - (size_t)p.ret, seed);
	}
	release(&p);
	return 0;
}
