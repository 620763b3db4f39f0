/* Layer 7 fetches built on headers: cookies, URL parameters, base, and
 * Basic authentication against userlists.
 */
#include <crypt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/acl.h"
#include "common/sample.h"
#include "conf/model-t.h"
#include "worker/fetch-http.h"
#include "worker/http-txn.h"
#include "worker/lb.h"
#include "worker/stream.h"

/* Finds the next "name=value" pair of a list separated by <sep> in
 * [*pos, end); returns 0 at the end.
 */
static int next_pair(const char **pos, const char *end, char sep, struct ist *name,
                     struct ist *value)
{
	const char *p = *pos;
	while (p < end && (*p == ' ' || *p == '\t' || *p == sep))
		p++;
	if (p >= end)
		return 0;
	const char *e = memchr(p, sep, (size_t)(end - p));
	if (!e)
		e = end;
	const char *eq = memchr(p, '=', (size_t)(e - p));
	const char *ne = eq ? eq : e;
	while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
		ne--;
	*name = (struct ist){p, (size_t)(ne - p)};
	const char *v = eq ? eq + 1 : e, *ve = e;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	*value = (struct ist){v, (size_t)(ve - v)};
	*pos = e;
	return 1;
}

static int name_eq(struct ist n, const struct arg *a)
{
	return a->type != ARGT_STR || !a->data.str.len ||
	       (n.len == a->data.str.len && memcmp(n.p, a->data.str.ptr, n.len) == 0);
}

/* Walks cookies: request "Cookie" lines hold "a=b; c=d", response
 * "Set-Cookie" lines a cookie and its attributes, which count as pairs
 * too, as HAProxy reads them. Resumes at header smp->iter[0], offset
 * smp->iter[1] in its value.
 */
static int next_cookie(const struct http_msg *m, int response, struct sample *smp,
                       const struct arg *name, struct ist *value)
{
	const char *lname = response ? "set-cookie" : "cookie";
	for (uint32_t hi = (uint32_t)smp->iter[0]; (int)hi < m->nhdrs; hi++, smp->iter[1] = 0) {
		const struct http_hdr *h = &m->hdrs[hi];
		if (!h->n.len || !http_name_is(h->n, lname))
			continue;
		const char *end = h->v.p + h->v.len, *p = h->v.p + smp->iter[1];
		struct ist n;
		while (p < end && next_pair(&p, end, ';', &n, value)) {
			if (!name_eq(n, name))
				continue;
			smp->iter[0] = hi;
			smp->iter[1] = (uintptr_t)(p - h->v.p);
			return 1;
		}
	}
	smp->iter[0] = (uintptr_t)m->nhdrs;
	return 0;
}

/* req.cook([name]), res.cook([name]) and their _cnt/_val forms */
static int fetch_cook(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	unsigned f = (unsigned)(uintptr_t)priv;
	struct http_msg *m = fetch_http_msg(smp, f & FH_RES);
	if (!m)
		return 0;
	struct ist v;
	if (f & 0x100) { /* count */
		int n = 0;
		smp->iter[0] = smp->iter[1] = 0;
		while (next_cookie(m, f & FH_RES, smp, &args[0], &v))
			n++;
		smp->type = SMP_T_SINT;
		smp->u.sint = n;
		return 1;
	}
	int iterate = (smp->ctx->opt & SMP_OPT_ITERATE) != 0;
	if (!next_cookie(m, f & FH_RES, smp, &args[0], &v))
		return 0;
	if (iterate) {
		smp->flags |= SMP_F_NOT_LAST;
	} else { /* the last occurrence */
		struct ist last = v;
		while (next_cookie(m, f & FH_RES, smp, &args[0], &v))
			last = v;
		v = last;
	}
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	smp->u.str = (struct smp_str){(char *)v.p, v.len};
	return (f & FH_INT) ? smp_cast(smp, SMP_T_SINT) : 1;
}

/* url_param/urlp([name[,delim]]): a query-string parameter's value. */
static int fetch_urlp(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct http_msg *m = fetch_http_msg(smp, 0);
	if (!m)
		return 0;
	const char *q = memchr(m->uri.p, '?', m->uri.len);
	if (!q)
		return 0;
	const char *end = m->uri.p + m->uri.len, *hash = memchr(q, '#', (size_t)(end - q));
	if (hash)
		end = hash;
	char sep = args[1].type == ARGT_STR && args[1].data.str.len ? args[1].data.str.ptr[0] : '&';
	const char *p = q + 1 + smp->iter[0];
	struct ist n, v;
	int iterate = (smp->ctx->opt & SMP_OPT_ITERATE) != 0, found = 0;
	struct ist last = {0};
	while (next_pair(&p, end, sep, &n, &v)) {
		if (!name_eq(n, &args[0]))
			continue;
		found = 1;
		last = v;
		if (iterate) {
			smp->iter[0] = (uintptr_t)(p - q - 1);
			smp->flags |= SMP_F_NOT_LAST;
			break;
		}
		if (args[0].type != ARGT_STR || !args[0].data.str.len)
			break; /* no name: the first parameter */
	}
	if (!found)
		return 0;
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	smp->u.str = (struct smp_str){(char *)last.p, last.len};
	return priv ? smp_cast(smp, SMP_T_SINT) : 1;
}

/* base: the first Host header followed by the path (no query). */
static int fetch_base(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct http_msg *m = fetch_http_msg(smp, 0);
	if (!m)
		return 0;
	struct ist host = {0}, path = m->uri;
	uint32_t hi = 0, off = 0;
	fetch_http_next_value(m, "host", 1, &hi, &off, &host);
	const char *q = memchr(path.p, '?', path.len);
	if (q)
		path.len = (size_t)(q - path.p);
	char *p = smp_alloc(host.len + path.len + 1);
	if (!p)
		return 0;
	memcpy(p, host.p, host.len);
	memcpy(p + host.len, path.p, path.len);
	smp->type = SMP_T_STR;
	smp->u.str = (struct smp_str){p, host.len + path.len};
	return 1;
}

/* base32: a 32-bit hash of the Host header and the path, as HAProxy
 * computes it (sdbm, then avalanche); base32+src: that hash followed by
 * the source address, in binary.
 */
static int fetch_base32(const struct arg *args, struct sample *smp, const char *kw,
                        const void *priv)
{
	struct http_msg *m = fetch_http_msg(smp, 0);
	if (!m)
		return 0;
	struct ist host = {0}, path = m->uri;
	uint32_t hi = 0, off = 0, h = 0;
	fetch_http_next_value(m, "host", 1, &hi, &off, &host);
	const char *q = memchr(path.p, '?', path.len);
	if (q)
		path.len = (size_t)(q - path.p);
	for (size_t i = 0; i < host.len; i++)
		h = (unsigned char)host.p[i] + (h << 6) + (h << 16) - h;
	for (size_t i = 0; i < path.len; i++)
		h = (unsigned char)path.p[i] + (h << 6) + (h << 16) - h;
	h = hash_avalanche(h);
	if (!priv) {
		smp->type = SMP_T_SINT;
		smp->u.sint = h;
		return 1;
	}
	struct stream *s = smp->ctx->strm;
	const struct sockaddr_storage *ss = &s->cli_addr;
	size_t alen = ss->ss_family == AF_INET ? 4 : ss->ss_family == AF_INET6 ? 16 : 0;
	unsigned char *out = smp_alloc(4 + alen);
	if (!out || !alen)
		return 0;
	out[0] = (unsigned char)(h >> 24), out[1] = (unsigned char)(h >> 16);
	out[2] = (unsigned char)(h >> 8), out[3] = (unsigned char)h;
	memcpy(out + 4,
	       alen == 4 ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
	                 : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr,
	       alen);
	smp->type = SMP_T_BIN;
	smp->u.str = (struct smp_str){(char *)out, 4 + alen};
	return 1;
}

/* capture.req.method, capture.req.uri, capture.req.ver: the request
 * line as received, from the copy kept for the log.
 */
static int fetch_capture_req(const struct arg *args, struct sample *smp, const char *kw,
                             const void *priv)
{
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	const char *l = s ? s->log.reqline : NULL; /* kept until the next request */
	if (!l)
		return 0;
	int part = *(const char *)priv == 'm' ? 0 : *(const char *)priv == 'u' ? 1 : 2;
	for (int i = 0; i < part && l; i++)
		if ((l = strchr(l, ' ')))
			l++;
	if (!l)
		return 0;
	const char *end = part < 2 ? strchr(l, ' ') : NULL;
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	smp->u.str = (struct smp_str){(char *)l, end ? (size_t)(end - l) : strlen(l)};
	return 1;
}

/* capture.res.ver: "HTTP/<maj>.<min>" of the server's response once its
 * head came (nothing before, nor for a reply made locally); the parsed
 * version outlives the head's bytes until the next transaction.
 */
static int fetch_capture_res_ver(const struct arg *args, struct sample *smp, const char *kw,
                                 const void *priv)
{
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	if (!s || !s->txn || !s->log.t_rsp)
		return 0;
	char *p = smp_alloc(16);
	if (!p)
		return 0;
	int n = snprintf(p, 16, "HTTP/%d.%d", s->txn->rsp.vmaj % 10, s->txn->rsp.vmin % 10);
	return smp_set_own_str(smp, p, (size_t)n, SMP_T_STR);
}

/* The request body received so far after the head, for bodies of known
 * length (option http-buffer-request keeps it until the rules run).
 * Returns 0 for chunked bodies, which are not decoded here.
 */
static int body_bytes(struct sample *smp, struct ist *body, uint64_t *declared)
{
	struct http_msg *m = fetch_http_msg(smp, 0);
	if (!m)
		return 0;
	struct stream *s = smp->ctx->strm;
	const struct sbuf *b = &s->txn->cin;
	uint32_t head = m->skip + m->head_len, have = b->data ? b->tail - b->head : 0;
	if (m->body.mode == HB_NONE) {
		*body = (struct ist){"", 0};
		*declared = 0;
		return 1;
	}
	if (m->body.mode != HB_CL || have < head)
		return 0;
	uint64_t n = have - head;
	if (n > m->content_len)
		n = m->content_len;
	*body = (struct ist){b->data + b->head + head, (size_t)n};
	*declared = m->content_len;
	if (n < m->content_len && !(smp->ctx->opt & SMP_OPT_FINAL))
		smp->flags |= SMP_F_MAY_CHANGE;
	return 1;
}

/* req.body, req.body_len, req.body_size, req.body_param([name]) */
static int fetch_body(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct ist body;
	uint64_t declared;
	if (!body_bytes(smp, &body, &declared))
		return 0;
	char c = *(const char *)priv;
	if (c == 'l' || c == 's') {
		smp->type = SMP_T_SINT;
		smp->u.sint = (int64_t)(c == 'l' ? body.len : declared);
		return 1;
	}
	if (c == 'b') {
		smp->type = SMP_T_BIN;
		smp->flags |= SMP_F_CONST;
		smp->u.str = (struct smp_str){(char *)body.p, body.len};
		return 1;
	}
	const char *p = body.p + smp->iter[0], *end = body.p + body.len;
	struct ist n, v;
	while (p < end && next_pair(&p, end, '&', &n, &v)) {
		if (!name_eq(n, &args[0]))
			continue;
		if (smp->ctx->opt & SMP_OPT_ITERATE) {
			smp->iter[0] = (uintptr_t)(p - body.p);
			smp->flags |= SMP_F_NOT_LAST;
		}
		smp->type = SMP_T_STR;
		smp->flags |= SMP_F_CONST;
		smp->u.str = (struct smp_str){(char *)v.p, v.len};
		return 1;
	}
	return 0;
}

/* Decodes the Basic credentials of the Authorization header into the
 * arena: user and password. Returns 0 without valid Basic credentials.
 */
static int basic_credentials(struct sample *smp, struct ist *user, struct ist *pass)
{
	struct http_msg *m = fetch_http_msg(smp, 0);
	struct ist v;
	uint32_t hi = 0, off = 0;
	if (!m || !fetch_http_next_value(m, "authorization", 1, &hi, &off, &v))
		return 0;
	if (v.len < 6 || strncasecmp(v.p, "basic ", 6) != 0)
		return 0;
	const char *b = v.p + 6, *e = v.p + v.len;
	while (b < e && *b == ' ')
		b++;
	size_t n = (size_t)(e - b);
	unsigned char *out = smp_alloc(n + 4);
	if (!out || n % 4 || n > 4096)
		return 0;
	int len = EVP_DecodeBlock(out, (const unsigned char *)b, (int)n);
	if (len < 0)
		return 0;
	while (len > 0 && n && b[--n] == '=') /* padding decodes to zeros */
		len--;
	const char *colon = memchr(out, ':', (size_t)len);
	if (!colon)
		return 0;
	*user = (struct ist){(const char *)out, (size_t)(colon - (const char *)out)};
	*pass = (struct ist){colon + 1, (size_t)(len - (int)user->len - 1)};
	return 1;
}

static __thread struct crypt_data crypt_buf;

/* Whether <user>/<pass> are valid in userlist <ul>. */
static int userlist_check(const struct userlist *ul, struct ist user, struct ist pass)
{
	for (const struct userlist_user *u = ul ? ul->users : NULL; u; u = u->next) {
		if (strlen(u->name) != user.len || memcmp(u->name, user.p, user.len) != 0)
			continue;
		char *clear = smp_alloc(pass.len + 1);
		if (!clear)
			return 0;
		memcpy(clear, pass.p, pass.len);
		clear[pass.len] = 0;
		if (u->insecure)
			return strcmp(u->pass, clear) == 0;
		const char *h = crypt_r(clear, u->pass, &crypt_buf);
		return h && strcmp(h, u->pass) == 0;
	}
	return 0;
}

/* Whether comma-separated <list> contains <name> (<len> bytes). */
static int list_has(const char *list, const char *name, size_t len)
{
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && !memcmp(p, name, len))
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The <i>-th group (0-based) of user <u> in userlist <ul>: those named on
 * the user's line, then the groups listing the user. NULL past the end.
 */
static const char *nth_group(const struct userlist *ul, const struct userlist_user *u, int i,
                             size_t *len)
{
	for (const char *p = u->groups; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n && i-- == 0) {
			*len = n;
			return p;
		}
		p += n + (p[n] == ',');
	}
	for (const struct userlist_group *g = ul->groups; g; g = g->next)
		if (list_has(g->users, u->name, strlen(u->name)) && i-- == 0) {
			*len = strlen(g->name);
			return g->name;
		}
	return NULL;
}

/* http_auth_group(userlist): in ACLs, each group of the authenticated user
 * in turn (so that the patterns name groups); elsewhere, the user's name,
 * as HAProxy returns it.
 */
static int fetch_auth_group(const struct arg *args, struct sample *smp, const char *kw,
                            const void *priv)
{
	const struct userlist *ul = args[0].data.ptr;
	struct ist user, pass;
	if (!basic_credentials(smp, &user, &pass) || !userlist_check(ul, user, pass))
		return 0;
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	if (!(smp->ctx->opt & SMP_OPT_ITERATE)) {
		smp->u.str = (struct smp_str){(char *)user.p, user.len};
		return 1;
	}
	const struct userlist_user *u = ul->users;
	while (u && (strlen(u->name) != user.len || memcmp(u->name, user.p, user.len)))
		u = u->next;
	size_t len = 0;
	const char *g = u ? nth_group(ul, u, (int)smp->iter[0], &len) : NULL;
	if (!g)
		return 0;
	smp->iter[0]++;
	smp->flags |= SMP_F_NOT_LAST;
	smp->u.str = (struct smp_str){(char *)g, len};
	return 1;
}

/* http_auth(userlist), http_auth_type, http_auth_user, http_auth_pass */
static int fetch_auth(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct ist user, pass;
	int ok = basic_credentials(smp, &user, &pass);
	switch (*(const char *)priv) {
	case 'a':
		if (!ok && (smp->flags & SMP_F_MAY_CHANGE))
			return 0;
		smp->type = SMP_T_BOOL;
		smp->u.sint = ok && userlist_check(args[0].data.ptr, user, pass);
		return 1;
	case 't':
		if (!ok)
			return 0;
		smp->type = SMP_T_STR;
		smp->flags |= SMP_F_CONST;
		smp->u.str = (struct smp_str){"Basic", 5}; /* HAProxy's spelling */
		return 1;
	default:
		if (!ok)
			return 0;
		smp->type = SMP_T_STR;
		struct ist v = *(const char *)priv == 'u' ? user : pass;
		smp->u.str = (struct smp_str){(char *)v.p, v.len};
		return 1;
	}
}

#define REQ_USE SMP_USE_HRQHV
#define RES_USE SMP_USE_HRSHV
#define P(x) ((const void *)(uintptr_t)(x))
#define NAME_ARG ARGS(0, ARGT_STR)

static const struct smp_fetch_kw http_more_fetches[] = {
    {"req.cook", fetch_cook, NAME_ARG, NULL, SMP_T_STR, REQ_USE, P(0)},
    {"cook", fetch_cook, NAME_ARG, NULL, SMP_T_STR, REQ_USE, P(0)},
    {"req.cook_cnt", fetch_cook, NAME_ARG, NULL, SMP_T_SINT, REQ_USE, P(0x100)},
    {"cook_cnt", fetch_cook, NAME_ARG, NULL, SMP_T_SINT, REQ_USE, P(0x100)},
    {"req.cook_val", fetch_cook, NAME_ARG, NULL, SMP_T_SINT, REQ_USE, P(FH_INT)},
    {"cook_val", fetch_cook, NAME_ARG, NULL, SMP_T_SINT, REQ_USE, P(FH_INT)},
    {"res.cook", fetch_cook, NAME_ARG, NULL, SMP_T_STR, RES_USE, P(FH_RES)},
    {"scook", fetch_cook, NAME_ARG, NULL, SMP_T_STR, RES_USE, P(FH_RES)},
    {"res.cook_cnt", fetch_cook, NAME_ARG, NULL, SMP_T_SINT, RES_USE, P(FH_RES | 0x100)},
    {"scook_cnt", fetch_cook, NAME_ARG, NULL, SMP_T_SINT, RES_USE, P(FH_RES | 0x100)},
    {"res.cook_val", fetch_cook, NAME_ARG, NULL, SMP_T_SINT, RES_USE, P(FH_RES | FH_INT)},
    {"scook_val", fetch_cook, NAME_ARG, NULL, SMP_T_SINT, RES_USE, P(FH_RES | FH_INT)},
    {"url_param", fetch_urlp, ARGS(0, ARGT_STR, ARGT_STR), NULL, SMP_T_STR, REQ_USE, NULL},
    {"urlp", fetch_urlp, ARGS(0, ARGT_STR, ARGT_STR), NULL, SMP_T_STR, REQ_USE, NULL},
    {"urlp_val", fetch_urlp, ARGS(0, ARGT_STR, ARGT_STR), NULL, SMP_T_SINT, REQ_USE, P(1)},
    {"base", fetch_base, ARGS0, NULL, SMP_T_STR, REQ_USE, NULL},
    {"base32", fetch_base32, ARGS0, NULL, SMP_T_SINT, REQ_USE, NULL},
    {"base32+src", fetch_base32, ARGS0, NULL, SMP_T_BIN, REQ_USE, P(1)},
    {"capture.req.method", fetch_capture_req, ARGS0, NULL, SMP_T_STR, SMP_USE_HRQHP, "m"},
    {"capture.req.uri", fetch_capture_req, ARGS0, NULL, SMP_T_STR, SMP_USE_HRQHP, "u"},
    {"capture.req.ver", fetch_capture_req, ARGS0, NULL, SMP_T_STR, SMP_USE_HRQHP, "v"},
    {"capture.res.ver", fetch_capture_res_ver, ARGS0, NULL, SMP_T_STR, SMP_USE_HRQHP, NULL},
    {"req.body", fetch_body, ARGS0, NULL, SMP_T_BIN, SMP_USE_HRQBO, "b"},
    {"req.body_len", fetch_body, ARGS0, NULL, SMP_T_SINT, SMP_USE_HRQBO, "l"},
    {"req.body_size", fetch_body, ARGS0, NULL, SMP_T_SINT, SMP_USE_HRQBO, "s"},
    {"req.body_param", fetch_body, ARGS(0, ARGT_STR), NULL, SMP_T_STR, SMP_USE_HRQBO, "p"},
    {"http_auth", fetch_auth, ARGS(1, ARGT_USR), NULL, SMP_T_BOOL, REQ_USE, "a"},
    {"http_auth_group", fetch_auth_group, ARGS(1, ARGT_USR), NULL, SMP_T_STR, REQ_USE, NULL},
    {"http_auth_type", fetch_auth, ARGS0, NULL, SMP_T_STR, REQ_USE, "t"},
    {"http_auth_user", fetch_auth, ARGS0, NULL, SMP_T_STR, REQ_USE, "u"},
    {"http_auth_pass", fetch_auth, ARGS0, NULL, SMP_T_STR, REQ_USE, "p"},
};

SMP_REGISTER_FETCHES(http_more_fetches)

static const struct acl_kw http_more_acl_kws[] = {
    {"cook_beg", "cook", PAT_MATCH_BEG},   {"cook_dir", "cook", PAT_MATCH_DIR},
    {"cook_dom", "cook", PAT_MATCH_DOM},   {"cook_end", "cook", PAT_MATCH_END},
    {"cook_len", "cook", PAT_MATCH_LEN},   {"cook_reg", "cook", PAT_MATCH_REG},
    {"cook_sub", "cook", PAT_MATCH_SUB},   {"urlp_beg", "urlp", PAT_MATCH_BEG},
    {"urlp_dir", "urlp", PAT_MATCH_DIR},   {"urlp_dom", "urlp", PAT_MATCH_DOM},
    {"urlp_end", "urlp", PAT_MATCH_END},   {"urlp_len", "urlp", PAT_MATCH_LEN},
    {"urlp_reg", "urlp", PAT_MATCH_REG},   {"urlp_sub", "urlp", PAT_MATCH_SUB},
    {"base_beg", "base", PAT_MATCH_BEG},   {"base_dir", "base", PAT_MATCH_DIR},
    {"base_dom", "base", PAT_MATCH_DOM},   {"base_end", "base", PAT_MATCH_END},
    {"base_len", "base", PAT_MATCH_LEN},   {"base_reg", "base", PAT_MATCH_REG},
    {"base_sub", "base", PAT_MATCH_SUB},   {"scook_beg", "scook", PAT_MATCH_BEG},
    {"scook_end", "scook", PAT_MATCH_END}, {"scook_sub", "scook", PAT_MATCH_SUB},
};

ACL_REGISTER_KEYWORDS(http_more_acl_kws)
