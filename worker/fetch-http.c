/* Layer 7 fetches: request line, headers and cookies of the request and
 * the response, and their ACL keywords.
 *
 * The message slices are only read while they point to live bytes
 * (txn->req_valid / rsp_valid: between parsing and writing the head out);
 * before the request is parsed a fetch reports missing data, so that
 * content inspection waits.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/acl.h"
#include "common/http-msg.h"
#include "common/sample.h"
#include "worker/fetch-http.h"
#include "worker/http-txn.h"
#include "worker/check-smp.h"
#include "worker/stream.h"

struct http_msg *fetch_http_msg(struct sample *smp, int response)
{
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	if (!s && response)
		return check_smp_http(smp->ctx); /* a health check's response */
	if (!s || !s->txn)
		return NULL;
	struct http_txn *t = s->txn;
	if (response ? t->rsp_valid : t->req_valid)
		return response ? &t->rsp : &t->req;
	if (!response && t->req_state == HRQ_HEAD && !(smp->ctx->opt & SMP_OPT_FINAL))
		smp->flags |= SMP_F_MAY_CHANGE; /* not parsed yet */
	return NULL;
}

static int set_ist(struct sample *smp, const char *p, size_t len)
{
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	smp->u.str.ptr = (char *)p;
	smp->u.str.len = len;
	return 1;
}

/* The path of request-target <uri>: from its first '/' after an
 * authority in absolute form, up to '?' (or the end with <with_query>).
 * Returns 0 when there is none ("*", authority form).
 */
static int uri_path(struct ist uri, int with_query, struct ist *out)
{
	const char *p = uri.p, *end = uri.p + uri.len;
	if (p == end || *p == '*')
		return 0;
	if (*p != '/') { /* absolute form: skip "scheme://authority" */
		const char *ss = memmem(p, uri.len, "://", 3);
		if (!ss)
			return 0;
		p = memchr(ss + 3, '/', (size_t)(end - ss - 3));
		if (!p)
			return 0;
	}
	const char *q = with_query ? end : memchr(p, '?', (size_t)(end - p));
	*out = (struct ist){p, (size_t)((q ? q : end) - p)};
	return 1;
}

/* method, path, pathq, query, url */
static int fetch_reqline(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	struct http_msg *m = fetch_http_msg(smp, 0);
	if (!m)
		return 0;
	struct ist v;
	switch (*(const char *)priv) {
	case 'm':
		smp->type = SMP_T_METH;
		smp->flags |= SMP_F_CONST;
		smp->u.meth.meth = (int)m->meth;
		smp->u.meth.str = (struct smp_str){(char *)m->meth_s.p, m->meth_s.len};
		return 1;
	case 'p':
		return uri_path(m->uri, 0, &v) && set_ist(smp, v.p, v.len);
	case 'P':
		return uri_path(m->uri, 1, &v) && set_ist(smp, v.p, v.len);
	case 'q': {
		const char *q = memchr(m->uri.p, '?', m->uri.len);
		return q && set_ist(smp, q + 1, (size_t)(m->uri.p + m->uri.len - q - 1));
	}
	default:
		return set_ist(smp, m->uri.p, m->uri.len);
	}
}

/* req.ver, res.ver: "1.0", "1.1"... */
static int fetch_ver(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct http_msg *m = fetch_http_msg(smp, priv != NULL);
	if (!m)
		return 0;
	char *p = smp_alloc(8);
	if (!p)
		return 0;
	p[0] = (char)('0' + m->vmaj % 10);
	p[1] = '.';
	p[2] = (char)('0' + m->vmin % 10);
	smp->type = SMP_T_STR;
	smp->u.str = (struct smp_str){p, 3};
	return 1;
}

static int fetch_proto_http(const struct arg *args, struct sample *smp, const char *kw,
                            const void *priv)
{
	struct http_msg *m = fetch_http_msg(smp, 0);
	if (!m && (smp->flags & SMP_F_MAY_CHANGE))
		return 0;
	smp->type = SMP_T_BOOL;
	smp->u.sint = m != NULL;
	return 1;
}

static int fetch_status(const struct arg *args, struct sample *smp, const char *kw,
                        const void *priv)
{
	struct http_msg *m = fetch_http_msg(smp, 1);
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	int status = m ? m->status : s && s->txn ? s->txn->status : 0; /* the log keeps it */
	if (!status)
		return 0;
	smp->type = SMP_T_SINT;
	smp->u.sint = status;
	return 1;
}

/* Lower-cased copy of a header-name argument, or NULL for none. */
static const char *hdr_name_arg(const struct arg *a)
{
	return a->type == ARGT_STR ? a->data.str.ptr : NULL;
}

/* Header names are compared case-insensitively; args are lowered at
 * parse time by val_hdr_name().
 */
static int val_hdr_name(struct arg *args, char **err)
{
	if (args[0].type == ARGT_STR)
		for (char *p = args[0].data.str.ptr; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	return 1;
}

int fetch_http_next_value(const struct http_msg *m, const char *lname, int full, uint32_t *hi,
                          uint32_t *off, struct ist *val)
{
	for (; (int)*hi < m->nhdrs; (*hi)++, *off = 0) {
		const struct http_hdr *h = &m->hdrs[*hi];
		if (!h->n.len || (lname && !http_name_is(h->n, lname)))
			continue;
		const char *p = h->v.p + *off, *end = h->v.p + h->v.len;
		if (*off > h->v.len)
			continue;
		if (full) {
			*val = h->v;
			*off = (uint32_t)h->v.len + 1;
			return 1;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *e = p;
		int quoted = 0;
		for (; e < end && (quoted || *e != ','); e++) {
			if (*e == '"')
				quoted = !quoted;
			else if (*e == '\\' && quoted && e + 1 < end)
				e++;
		}
		const char *ve = e;
		while (ve > p && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		*off = (uint32_t)(e - h->v.p) + 1;
		*val = (struct ist){p, (size_t)(ve - p)};
		return 1;
	}
	return 0;
}

/* Counts the values of <lname> (all headers when NULL). */
static int count_values(const struct http_msg *m, const char *lname, int full)
{
	uint32_t hi = 0, off = 0;
	struct ist v;
	int n = 0;
	while (fetch_http_next_value(m, lname, full, &hi, &off, &v))
		n++;
	return n;
}

/* The <occ>-th value (1-based; negative: from the last). */
static int nth_value(const struct http_msg *m, const char *lname, int full, int occ,
                     struct ist *out)
{
	if (occ < 0)
		occ = count_values(m, lname, full) + occ + 1;
	uint32_t hi = 0, off = 0;
	for (int n = 1; occ > 0 && fetch_http_next_value(m, lname, full, &hi, &off, out); n++)
		if (n == occ)
			return 1;
	return 0;
}

/* req.hdr/req.fhdr/res.hdr/res.fhdr(name[,occ]): with ACL iteration and no
 * position, every value in turn; otherwise the one at the position, the
 * last by default.
 */
static int fetch_hdr(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	unsigned f = (unsigned)(uintptr_t)priv;
	struct http_msg *m = fetch_http_msg(smp, f & FH_RES);
	if (!m)
		return 0;
	const char *name = hdr_name_arg(&args[0]);
	int full = (f & FH_FULL) != 0;
	struct ist v;
	int occ = args[1].type == ARGT_SINT ? (int)args[1].data.sint : 0;
	if (!occ && (smp->ctx->opt & SMP_OPT_ITERATE)) {
		uint32_t hi = (uint32_t)smp->iter[0], off = (uint32_t)smp->iter[1];
		if (!fetch_http_next_value(m, name, full, &hi, &off, &v))
			return 0;
		smp->iter[0] = hi;
		smp->iter[1] = off;
		smp->flags |= SMP_F_NOT_LAST;
	} else if (!nth_value(m, name, full, occ ? occ : -1, &v)) {
		return 0;
	}
	set_ist(smp, v.p, v.len);
	if (f & FH_INT)
		return smp_cast(smp, SMP_T_SINT);
	if (f & FH_IP)
		return smp_cast(smp, SMP_T_ADDR);
	return 1;
}

/* req.hdr_cnt/fhdr_cnt/res.hdr_cnt...([name]) */
static int fetch_hdr_cnt(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	unsigned f = (unsigned)(uintptr_t)priv;
	struct http_msg *m = fetch_http_msg(smp, f & FH_RES);
	if (!m)
		return 0;
	smp->type = SMP_T_SINT;
	smp->u.sint = count_values(m, hdr_name_arg(&args[0]), (f & FH_FULL) != 0);
	return 1;
}

/* req.hdr_names/res.hdr_names([delim]): names joined by <delim> (","), in
 * lower case as HAProxy gives them.
 */
static int fetch_hdr_names(const struct arg *args, struct sample *smp, const char *kw,
                           const void *priv)
{
	struct http_msg *m = fetch_http_msg(smp, priv != NULL);
	if (!m)
		return 0;
	const char *delim = args[0].type == ARGT_STR ? args[0].data.str.ptr : ",";
	size_t dl = strlen(delim), len = 0;
	for (int i = 0; i < m->nhdrs; i++)
		len += m->hdrs[i].n.len + dl;
	char *p = smp_alloc(len + 1);
	if (!p)
		return 0;
	size_t n = 0;
	for (int i = 0; i < m->nhdrs; i++) {
		if (!m->hdrs[i].n.len)
			continue;
		if (n) {
			memcpy(p + n, delim, dl);
			n += dl;
		}
		for (size_t k = 0; k < m->hdrs[i].n.len; k++) /* lower case, as HAProxy */
			p[n++] = (char)tolower((unsigned char)m->hdrs[i].n.p[k]);
	}
	smp->type = SMP_T_STR;
	smp->u.str = (struct smp_str){p, n};
	return 1;
}

#define REQ_USE SMP_USE_HRQHV
#define RES_USE SMP_USE_HRSHV
#define P(x) ((const void *)(uintptr_t)(x))
#define HDR_ARGS ARGS(0, ARGT_STR, ARGT_SINT)

static const struct smp_fetch_kw http_fetches[] = {
    {"method", fetch_reqline, ARGS0, NULL, SMP_T_METH, REQ_USE, "m"},
    {"path", fetch_reqline, ARGS0, NULL, SMP_T_STR, REQ_USE, "p"},
    {"pathq", fetch_reqline, ARGS0, NULL, SMP_T_STR, REQ_USE, "P"},
    {"query", fetch_reqline, ARGS0, NULL, SMP_T_STR, REQ_USE, "q"},
    {"url", fetch_reqline, ARGS0, NULL, SMP_T_STR, REQ_USE, "u"},
    {"req.ver", fetch_ver, ARGS0, NULL, SMP_T_STR, REQ_USE, NULL},
    {"req_ver", fetch_ver, ARGS0, NULL, SMP_T_STR, REQ_USE, NULL},
    {"res.ver", fetch_ver, ARGS0, NULL, SMP_T_STR, RES_USE, P(1)},
    {"resp_ver", fetch_ver, ARGS0, NULL, SMP_T_STR, RES_USE, P(1)},
    {"req.proto_http", fetch_proto_http, ARGS0, NULL, SMP_T_BOOL, REQ_USE, NULL},
    {"req_proto_http", fetch_proto_http, ARGS0, NULL, SMP_T_BOOL, REQ_USE, NULL},
    {"status", fetch_status, ARGS0, NULL, SMP_T_SINT, SMP_USE_HRSHP, NULL},
    {"req.hdr", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_STR, REQ_USE, P(0)},
    {"hdr", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_STR, REQ_USE, P(0)},
    {"req.fhdr", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_STR, REQ_USE, P(FH_FULL)},
    {"req.hdr_ip", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_ADDR, REQ_USE, P(FH_IP)},
    {"hdr_ip", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_ADDR, REQ_USE, P(FH_IP)},
    {"req.hdr_val", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_SINT, REQ_USE, P(FH_INT)},
    {"hdr_val", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_SINT, REQ_USE, P(FH_INT)},
    {"req.hdr_cnt", fetch_hdr_cnt, ARGS(0, ARGT_STR), val_hdr_name, SMP_T_SINT, REQ_USE, P(0)},
    {"hdr_cnt", fetch_hdr_cnt, ARGS(0, ARGT_STR), val_hdr_name, SMP_T_SINT, REQ_USE, P(0)},
    {"req.fhdr_cnt", fetch_hdr_cnt, ARGS(0, ARGT_STR), val_hdr_name, SMP_T_SINT, REQ_USE,
     P(FH_FULL)},
    {"req.hdr_names", fetch_hdr_names, ARGS(0, ARGT_STR), NULL, SMP_T_STR, REQ_USE, NULL},
    {"res.hdr", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_STR, RES_USE, P(FH_RES)},
    {"shdr", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_STR, RES_USE, P(FH_RES)},
    {"res.fhdr", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_STR, RES_USE, P(FH_RES | FH_FULL)},
    {"res.hdr_ip", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_ADDR, RES_USE, P(FH_RES | FH_IP)},
    {"shdr_ip", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_ADDR, RES_USE, P(FH_RES | FH_IP)},
    {"res.hdr_val", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_SINT, RES_USE, P(FH_RES | FH_INT)},
    {"shdr_val", fetch_hdr, HDR_ARGS, val_hdr_name, SMP_T_SINT, RES_USE, P(FH_RES | FH_INT)},
    {"res.hdr_cnt", fetch_hdr_cnt, ARGS(0, ARGT_STR), val_hdr_name, SMP_T_SINT, RES_USE, P(FH_RES)},
    {"shdr_cnt", fetch_hdr_cnt, ARGS(0, ARGT_STR), val_hdr_name, SMP_T_SINT, RES_USE, P(FH_RES)},
    {"res.fhdr_cnt", fetch_hdr_cnt, ARGS(0, ARGT_STR), val_hdr_name, SMP_T_SINT, RES_USE,
     P(FH_RES | FH_FULL)},
    {"res.hdr_names", fetch_hdr_names, ARGS(0, ARGT_STR), NULL, SMP_T_STR, RES_USE, P(1)},
};

SMP_REGISTER_FETCHES(http_fetches)

/* ACL keywords: a fetch with a match method. */
static const struct acl_kw http_acl_kws[] = {
    {"path_beg", "path", PAT_MATCH_BEG}, {"path_dir", "path", PAT_MATCH_DIR},
    {"path_dom", "path", PAT_MATCH_DOM}, {"path_end", "path", PAT_MATCH_END},
    {"path_len", "path", PAT_MATCH_LEN}, {"path_reg", "path", PAT_MATCH_REG},
    {"path_sub", "path", PAT_MATCH_SUB}, {"url_beg", "url", PAT_MATCH_BEG},
    {"url_dir", "url", PAT_MATCH_DIR},   {"url_dom", "url", PAT_MATCH_DOM},
    {"url_end", "url", PAT_MATCH_END},   {"url_len", "url", PAT_MATCH_LEN},
    {"url_reg", "url", PAT_MATCH_REG},   {"url_sub", "url", PAT_MATCH_SUB},
    {"hdr_beg", "hdr", PAT_MATCH_BEG},   {"hdr_dir", "hdr", PAT_MATCH_DIR},
    {"hdr_dom", "hdr", PAT_MATCH_DOM},   {"hdr_end", "hdr", PAT_MATCH_END},
    {"hdr_len", "hdr", PAT_MATCH_LEN},   {"hdr_reg", "hdr", PAT_MATCH_REG},
    {"hdr_sub", "hdr", PAT_MATCH_SUB},   {"shdr_beg", "shdr", PAT_MATCH_BEG},
    {"shdr_dir", "shdr", PAT_MATCH_DIR}, {"shdr_dom", "shdr", PAT_MATCH_DOM},
    {"shdr_end", "shdr", PAT_MATCH_END}, {"shdr_len", "shdr", PAT_MATCH_LEN},
    {"shdr_reg", "shdr", PAT_MATCH_REG}, {"shdr_sub", "shdr", PAT_MATCH_SUB},
};

ACL_REGISTER_KEYWORDS(http_acl_kws)
