/* Content fetches (layer 6): what the client (req.*) or the server (res.*)
 * sent so far, read without consuming it — length, payload slices, TLS ClientHello fields (SNI,
 * version, record type) — and wait_end. Until the data is final, a fetch
 * lacking bytes reports that more may come, so that content rules wait.
 */
#include <string.h>
#include <strings.h>

#include "common/acl.h"
#include "common/mem.h"
#include "common/sample.h"
#include "worker/fetch-l6.h"
#include "worker/http-txn.h"
#include "worker/check-smp.h"
#include "worker/stream.h"

/* Whether fetch <kw> looks at the response ("res.*", "rep_*"). */
static int on_response(const char *kw)
{
	return !strncmp(kw, "res.", 4) || !strncmp(kw, "rep_", 4);
}

/* The bytes received and not forwarded yet, from the client (request) or,
 * for a response fetch <kw>, from the server.
 */
static int content_bytes(struct sample *smp, const char *kw, const unsigned char **p, size_t *len)
{
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	const char *cp;
	if (!s && on_response(kw) && check_smp_response(smp->ctx, &cp, len)) {
		*p = (const unsigned char *)cp; /* a health check's response */
		return 1;
	}
	if (!s)
		return 0;
	if (stream_is_http(s) && !s->txn)
		return 0; /* between requests */
	const struct sbuf *b;
	if (on_response(kw))
		b = s->txn ? &s->txn->sin : &s->rsp;
	else
		b = s->txn ? &s->txn->cin : &s->req;
	*p = b->data ? (const unsigned char *)b->data + b->head : (const unsigned char *)"";
	*len = b->data ? b->tail - b->head : 0;
	return 1;
}

/* Data is missing: say so unless it is final. */
static int missing(struct sample *smp)
{
	if (!(smp->ctx->opt & SMP_OPT_FINAL))
		smp->flags |= SMP_F_MAY_CHANGE;
	return 0;
}

static int fetch_len(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const unsigned char *p;
	size_t len;
	if (!content_bytes(smp, kw, &p, &len))
		return 0;
	smp->type = SMP_T_SINT;
	smp->u.sint = (int64_t)len;
	if (!(smp->ctx->opt & SMP_OPT_FINAL))
		smp->flags |= SMP_F_MAY_CHANGE; /* a length can only grow */
	return 1;
}

/* req.payload(offset,length): <length> 0 means up to the end. */
static int fetch_payload(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	const unsigned char *p;
	size_t len;
	if (!content_bytes(smp, kw, &p, &len))
		return 0;
	int64_t off = args[0].data.sint, want = args[1].data.sint;
	if (off < 0 || want < 0) /* can never match */
		return 0;
	if ((uint64_t)off > len || (uint64_t)want > len - (uint64_t)off)
		return missing(smp);
	smp->type = SMP_T_BIN;
	smp->flags |= SMP_F_CONST;
	smp->u.str = (struct smp_str){(char *)p + off, want ? (size_t)want : len - (size_t)off};
	if (!want && !(smp->ctx->opt & SMP_OPT_FINAL))
		smp->flags |= SMP_F_MAY_CHANGE;
	return 1;
}

/* Checks the arguments of payload_lv as HAProxy does: offset1 >= 0,
 * length > 0, and offset2 not reaching before the start of the data.
 */
static int val_payload_lv(struct arg *args, char **err)
{
	if (args[0].data.sint < 0) {
		memprintf(err, "payload offset1 must be positive");
		return 0;
	}
	if (args[1].data.sint <= 0) {
		memprintf(err, "payload length must be > 0");
		return 0;
	}
	int64_t base; /* offset1 + length, both positive: only their sum may overflow */
	if (args[2].type == ARGT_SINT && args[2].data.sint < 0 &&
	    !__builtin_add_overflow(args[0].data.sint, args[1].data.sint, &base) &&
	    base + args[2].data.sint < 0) {
		memprintf(err, "payload offset2 too negative");
		return 0;
	}
	return 1;
}

/* req.payload_lv(offset1,length[,offset2]): a block whose size is the
 * big-endian number of <length> bytes (at most 8 are used) at offset1; it
 * starts right after that number, moved by offset2.
 */
static int fetch_payload_lv(const struct arg *args, struct sample *smp, const char *kw,
                            const void *priv)
{
	const unsigned char *p;
	size_t len;
	if (!content_bytes(smp, kw, &p, &len))
		return 0;
	int64_t o1 = args[0].data.sint, n = args[1].data.sint;
	int64_t o2 = args[2].type == ARGT_SINT ? args[2].data.sint : 0;
	if (o1 < 0 || n <= 0 || n > 8) /* can never match */
		return 0;
	if ((uint64_t)o1 > len || (uint64_t)n > len - (uint64_t)o1)
		return missing(smp);
	uint64_t blen = 0;
	for (int64_t i = 0; i < n; i++)
		blen = blen << 8 | p[o1 + i];
	if (o2 > (int64_t)len) /* also keeps the sum below from overflowing */
		return missing(smp);
	int64_t start = o1 + n + o2;
	if (start < 0)
		return 0;
	if ((uint64_t)start > len || blen > len - (uint64_t)start)
		return missing(smp);
	smp->type = SMP_T_BIN;
	smp->flags |= SMP_F_CONST;
	smp->u.str = (struct smp_str){(char *)p + start, (size_t)blen};
	return 1;
}

int tls_client_hello(const unsigned char *p, size_t len, struct tls_hello *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 5)
		return 0;
	if (p[0] != 0x16) /* not a handshake record */
		return -1;
	out->record_version = (unsigned)(p[1] << 8 | p[2]);
	size_t rlen = (size_t)(p[3] << 8 | p[4]);
	if (len < 5 + 4)
		return 0;
	const unsigned char *h = p + 5;
	if (h[0] != 0x01) /* not a ClientHello */
		return -1;
	out->hello_type = 1;
	size_t hlen = (size_t)(h[1] << 16 | h[2] << 8 | h[3]);
	if (hlen + 4 > rlen)
		return -1; /* fragmented over several records: not parsed */
	if (len < 5 + 4 + hlen)
		return 0;
	const unsigned char *b = h + 4; /* the body, <hlen> bytes; i: offset in it */
	size_t i = 0;
	if (hlen < 2 + 32 + 1)
		return -1;
	out->hello_version = (unsigned)(b[0] << 8 | b[1]);
	i = 2 + 32;
	i += 1 + (size_t)b[i]; /* session id */
	if (i + 2 > hlen)
		return -1;
	i += 2 + (size_t)(b[i] << 8 | b[i + 1]); /* cipher suites */
	if (i + 1 > hlen)
		return -1;
	i += 1 + (size_t)b[i]; /* compression methods */
	if (i + 2 > hlen)
		return i > hlen ? -1 : 1; /* no extensions */
	size_t eend = i + 2 + (size_t)(b[i] << 8 | b[i + 1]);
	i += 2;
	if (eend > hlen)
		return -1;
	while (i + 4 <= eend) {
		unsigned type = (unsigned)(b[i] << 8 | b[i + 1]);
		size_t l = (size_t)(b[i + 2] << 8 | b[i + 3]);
		i += 4;
		if (l > eend - i)
			return -1;
		if (type == 0 && l >= 5 && b[i + 2] == 0) { /* server_name, host_name */
			size_t nl = (size_t)(b[i + 3] << 8 | b[i + 4]);
			if (nl <= l - 5) {
				out->sni = (const char *)b + i + 5;
				out->sni_len = nl;
			}
		}
		i += l;
	}
	return 1;
}

int tls_hello_type(const unsigned char *p, size_t len)
{
	if (!len)
		return TLS_HELLO_SHORT;
	if (!((p[0] >= 0x14 && p[0] <= 0x17) || p[0] == 0xff)) /* not a TLS record type */
		return TLS_HELLO_NONE;
	if (len < 9)
		return TLS_HELLO_SHORT;
	if (p[1] < 3) /* before SSLv3 */
		return TLS_HELLO_NONE;
	if ((p[3] << 8 | p[4]) < 4) /* no room for a handshake header */
		return TLS_HELLO_NONE;
	size_t msg_len = (size_t)(p[6] << 16 | p[7] << 8 | p[8]);
	if (len < msg_len + 9)
		return TLS_HELLO_SHORT;
	return p[5];
}

/* res.ssl_hello_type (rep_ssl_hello_type): the handshake type of the
 * server's first TLS record (2 for a ServerHello).
 */
static int fetch_res_hello_type(const struct arg *args, struct sample *smp, const char *kw,
                                const void *priv)
{
	const unsigned char *p;
	size_t len;
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	if (!s || stream_is_http(s) || !content_bytes(smp, kw, &p, &len)) /* raw TCP data only */
		return 0;
	int t = tls_hello_type(p, len);
	if (t == TLS_HELLO_SHORT)
		return missing(smp);
	if (t == TLS_HELLO_NONE)
		return 0;
	smp->type = SMP_T_SINT;
	smp->u.sint = t;
	return 1;
}

/* req.ssl_sni, req.ssl_ver, req.ssl_hello_type */
static int fetch_ssl(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	const unsigned char *p;
	size_t len;
	struct tls_hello th;
	if (!content_bytes(smp, kw, &p, &len))
		return 0;
	int r = tls_client_hello(p, len, &th);
	if (r == 0)
		return missing(smp);
	if (r < 0 && !th.hello_type)
		return 0;
	switch (*(const char *)priv) {
	case 's':
		if (r < 0 || !th.sni)
			return 0;
		smp->type = SMP_T_STR;
		smp->flags |= SMP_F_CONST;
		smp->u.str = (struct smp_str){(char *)th.sni, th.sni_len};
		return 1;
	case 'v': {
		unsigned v = th.hello_version ? th.hello_version : th.record_version;
		smp->type = SMP_T_SINT;
		smp->u.sint = (int64_t)((v >> 8) << 16 | (v & 0xff));
		return 1;
	}
	default:
		smp->type = SMP_T_SINT;
		smp->u.sint = th.hello_type;
		return 1;
	}
}

/* req.rdp_cookie([name]), req.rdp_cookie_cnt([name]): the cookie of an RDP
 * connection request ("Cookie: name=value\r\n" after the TPKT and X.224
 * headers), the first one or the one named.
 */
static int fetch_rdp_cookie(const struct arg *args, struct sample *smp, const char *kw,
                            const void *priv)
{
	const unsigned char *p;
	size_t len;
	if (!content_bytes(smp, kw, &p, &len))
		return 0;
	static const char tag[] = "Cookie:";
	if (len < 11 + sizeof(tag) - 1)
		return missing(smp);
	int found = 0;
	const char *v = NULL, *e = NULL;
	if (p[0] == 3 && p[5] == 0xe0 && !strncasecmp((const char *)p + 11, tag, sizeof(tag) - 1)) {
		const char *c = (const char *)p + 11 + sizeof(tag) - 1,
		           *end = (const char *)p + len;
		while (c < end && *c == ' ')
			c++;
		const char *eq = memchr(c, '=', (size_t)(end - c));
		e = eq ? memchr(eq, '\r', (size_t)(end - eq)) : NULL;
		if (!e)
			return missing(smp);
		size_t nl = (size_t)(eq - c);
		found = args[0].type != ARGT_STR || !args[0].data.str.len ||
		        (nl == args[0].data.str.len && !strncasecmp(c, args[0].data.str.ptr, nl));
		v = eq + 1;
	}
	if (priv) {
		smp->type = SMP_T_SINT;
		smp->u.sint = found;
		return 1;
	}
	if (!found)
		return 0;
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	smp->u.str = (struct smp_str){(char *)v, (size_t)(e - v)};
	return 1;
}

/* wait_end: true once the data is final (the inspect delay is over). */
static int fetch_wait_end(const struct arg *args, struct sample *smp, const char *kw,
                          const void *priv)
{
	if (!(smp->ctx->opt & SMP_OPT_FINAL))
		return missing(smp);
	smp->type = SMP_T_BOOL;
	smp->u.sint = 1;
	return 1;
}

#define L6 SMP_USE_L6REQ
#define L6R SMP_USE_L6RES
static const struct smp_fetch_kw l6_fetches[] = {
    {"req.len", fetch_len, ARGS0, NULL, SMP_T_SINT, L6, NULL},
    {"req_len", fetch_len, ARGS0, NULL, SMP_T_SINT, L6, NULL},
    {"req.payload", fetch_payload, ARGS(2, ARGT_SINT, ARGT_SINT), NULL, SMP_T_BIN, L6, NULL},
    {"payload", fetch_payload, ARGS(2, ARGT_SINT, ARGT_SINT), NULL, SMP_T_BIN, L6, NULL},
    {"req.payload_lv", fetch_payload_lv, ARGS(2, ARGT_SINT, ARGT_SINT, ARGT_SINT), val_payload_lv,
     SMP_T_BIN, L6, NULL},
    {"payload_lv", fetch_payload_lv, ARGS(2, ARGT_SINT, ARGT_SINT, ARGT_SINT), val_payload_lv,
     SMP_T_BIN, L6, NULL},
    {"req.ssl_sni", fetch_ssl, ARGS0, NULL, SMP_T_STR, L6, "s"},
    {"req_ssl_sni", fetch_ssl, ARGS0, NULL, SMP_T_STR, L6, "s"},
    {"req.ssl_ver", fetch_ssl, ARGS0, NULL, SMP_T_SINT, L6, "v"},
    {"req_ssl_ver", fetch_ssl, ARGS0, NULL, SMP_T_SINT, L6, "v"},
    {"req.ssl_hello_type", fetch_ssl, ARGS0, NULL, SMP_T_SINT, L6, "h"},
    {"req_ssl_hello_type", fetch_ssl, ARGS0, NULL, SMP_T_SINT, L6, "h"},
    {"req.rdp_cookie", fetch_rdp_cookie, ARGS(0, ARGT_STR), NULL, SMP_T_STR, L6, NULL},
    {"rdp_cookie", fetch_rdp_cookie, ARGS(0, ARGT_STR), NULL, SMP_T_STR, L6, NULL},
    {"req.rdp_cookie_cnt", fetch_rdp_cookie, ARGS(0, ARGT_STR), NULL, SMP_T_SINT, L6, (void *)1},
    {"rdp_cookie_cnt", fetch_rdp_cookie, ARGS(0, ARGT_STR), NULL, SMP_T_SINT, L6, (void *)1},
    {"res.len", fetch_len, ARGS0, NULL, SMP_T_SINT, L6R, NULL},
    {"res.payload", fetch_payload, ARGS(2, ARGT_SINT, ARGT_SINT), NULL, SMP_T_BIN, L6R, NULL},
    {"res.payload_lv", fetch_payload_lv, ARGS(2, ARGT_SINT, ARGT_SINT, ARGT_SINT), val_payload_lv,
     SMP_T_BIN, L6R, NULL},
    {"res.ssl_hello_type", fetch_res_hello_type, ARGS0, NULL, SMP_T_SINT, L6R, NULL},
    {"rep_ssl_hello_type", fetch_res_hello_type, ARGS0, NULL, SMP_T_SINT, L6R, NULL},
    {"wait_end", fetch_wait_end, ARGS0, NULL, SMP_T_BOOL, SMP_USE_INTRN, NULL},
};

SMP_REGISTER_FETCHES(l6_fetches)
