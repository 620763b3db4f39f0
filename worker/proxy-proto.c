/* PROXY protocol codec: v1 (text line) and v2 (binary block).
 *
 * The parser is meant to be called again with more data each time it says
 * PP_NEED_MORE, and to reject a header as early as the bytes seen so far
 * prove that no continuation could be valid. Validation choices beyond the
 * bare format:
 *
 *  v1: numbers with heading zeroes are refused (ports here, IPv4 octets by
 *      inet_pton), any LF not preceded by CR is refused, even in the free
 *      text following "UNKNOWN", and the first CR must be followed by LF.
 *  v2: with the LOCAL command the family byte and the whole block after the
 *      16-byte header are ignored (no TLVs kept). With the PROXY command,
 *      a family or protocol nibble of 0 (UNSPEC) is handled like LOCAL;
 *      DGRAM and undefined values are refused. A CRC32C TLV must be 4 bytes
 *      long, appear once, and match the header; other TLVs are only checked
 *      for framing (the TLV area must be split exactly into whole TLVs).
 */
#include "worker/proxy-proto.h"
#include "common/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#define PP1_MAX_LINE 107 /* longest v1 line, CRLF included */
#define PP2_HDR_LEN 16
#define PP2_ADDR_INET 12
#define PP2_ADDR_INET6 36
#define PP2_ADDR_UNIX 216
#define PP2_UNIX_PATH 108
#define PP2_TYPE_CRC32C 0x03
#define PP2_VER_LOCAL 0x20
#define PP2_VER_PROXY 0x21

static const uint8_t pp2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Continues the CRC32C (Castagnoli, reflected, as in RFC 4960 appendix B)
 * register <crc> over <n> bytes of <p>, or over <n> zero bytes when <p> is
 * NULL. Start with 0xffffffff and invert the final register.
 */
static uint32_t crc32c_update(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p ? p[i] : 0;
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return crc;
}

/* Returns the CRC32C of the <len> bytes at <hdr>, computed as if the 4 bytes
 * at offset <zero_at> were zero (the checksum field itself).
 */
static uint32_t crc32c_hdr(const uint8_t *hdr, size_t len, size_t zero_at)
{
	uint32_t crc = 0xffffffffu;

	crc = crc32c_update(crc, hdr, zero_at);
	crc = crc32c_update(crc, NULL, 4);
	crc = crc32c_update(crc, hdr + zero_at + 4, len - zero_at - 4);
	return ~crc;
}

/* ------------------------------------------------------------------------ */
/* Version 1                                                                */
/* ------------------------------------------------------------------------ */

/* What the v1 fields decoded so far say. */
struct v1_ctx {
	int family; /* AF_INET / AF_INET6 once the protocol is known */
	int unknown;
	struct sockaddr_storage src, dst;
};

/* Returns true if the <n> bytes at <s> are <word> (<whole>) or a prefix of it. */
static bool v1_word(const uint8_t *s, size_t n, bool whole, const char *word)
{
	size_t wl = strlen(word);

	if (n > wl || (whole && n != wl))
		return false;
	return memcmp(s, word, n) == 0;
}

/* Checks the protocol field <s>/<n> (complete if <whole>) and records the
 * family in <c>. Returns false if it cannot be (or become) a valid one.
 */
static bool v1_proto(const uint8_t *s, size_t n, bool whole, struct v1_ctx *c)
{
	if (v1_word(s, n, whole, "UNKNOWN")) {
		c->unknown = whole;
		return true;
	}
	if (v1_word(s, n, whole, "TCP4")) {
		c->family = AF_INET;
		return true;
	}
	if (v1_word(s, n, whole, "TCP6")) {
		c->family = AF_INET6;
		return true;
	}
	return false;
}

/* Checks an address field for family <c->family>. A partial field must only
 * hold characters of that family within its maximum length; a complete one
 * must pass inet_pton and is stored in <ss>. Returns false on error.
 */
static bool v1_addr(const uint8_t *s, size_t n, bool whole, const struct v1_ctx *c,
                    struct sockaddr_storage *ss)
{
	const char *set = c->family == AF_INET ? "0123456789." : "0123456789abcdefABCDEF:.";
	size_t max = c->family == AF_INET ? INET_ADDRSTRLEN - 1 : INET6_ADDRSTRLEN - 1;
	char tmp[INET6_ADDRSTRLEN];

	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, s[i]) || s[i] == 0)
			return false;
	if (!whole)
		return true;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	ss->ss_family = c->family;
	if (c->family == AF_INET)
		return inet_pton(AF_INET, tmp, &((struct sockaddr_in *)ss)->sin_addr) == 1;
	return inet_pton(AF_INET6, tmp, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1;
}

/* Checks a port field: decimal digits, no heading zero, at most 65535, not
 * empty when <whole>. Stores it (network order) in the port of <ss>, whose
 * family is already set. Returns false on error.
 */
static bool v1_port(const uint8_t *s, size_t n, bool whole, struct sockaddr_storage *ss)
{
	unsigned v = 0;

	if (n > 5 || (whole && n == 0) || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)v);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)v);
	return true;
}

/* Checks field number <k> (0 = "PROXY") of a v1 line. Returns false if it
 * cannot be (or become, when not <whole>) valid at that place.
 */
static bool v1_field(int k, const uint8_t *s, size_t n, bool whole, struct v1_ctx *c)
{
	if (whole && n == 0)
		return false; /* leading, trailing or doubled space */
	switch (k) {
	case 0:
		return v1_word(s, n, whole, "PROXY");
	case 1:
		return v1_proto(s, n, whole, c);
	case 2:
		return v1_addr(s, n, whole, c, &c->src);
	case 3:
		return v1_addr(s, n, whole, c, &c->dst);
	case 4:
		return v1_port(s, n, whole, &c->src);
	case 5:
		return v1_port(s, n, whole, &c->dst);
	default:
		return false;
	}
}

/* Validates the v1 line content <s>/<n> (CRLF excluded). <eol> tells that the
 * line is known to end there; otherwise more bytes may follow and only a
 * prefix is checked. Returns PP_DONE (only with <eol>), PP_NEED_MORE or
 * PP_INVALID; on PP_DONE <c> holds the decoded header.
 */
static enum pp_status v1_check(const uint8_t *s, size_t n, bool eol, struct v1_ctx *c)
{
	size_t pos = 0;
	int k = 0;

	for (;; k++) {
		size_t end = pos;
		bool whole;

		while (end < n && s[end] != ' ')
			end++;
		whole = end < n || eol;
		if (!v1_field(k, s + pos, end - pos, whole, c))
			return PP_INVALID;
		if (c->unknown)
			return eol ? PP_DONE : PP_NEED_MORE; /* the rest is free text */
		if (!whole)
			return PP_NEED_MORE;
		if (end == n)
			break;
		pos = end + 1;
	}
	return k == 5 ? PP_DONE : PP_INVALID;
}

/* Parses a v1 header. Looks for the CR within the first 106 bytes (so that
 * the line with its CRLF fits in 107) and refuses any earlier LF.
 */
static enum pp_status v1_parse(const uint8_t *buf, size_t len, struct pp_info *out,
                               size_t *consumed)
{
	size_t lim = len < PP1_MAX_LINE - 1 ? len : PP1_MAX_LINE - 1;
	struct v1_ctx c;
	enum pp_status st;
	size_t cr;

	memset(&c, 0, sizeof(c));
	for (cr = 0; cr < lim && buf[cr] != '\r'; cr++)
		if (buf[cr] == '\n')
			return PP_INVALID;
	if (cr == lim) {
		if (len >= PP1_MAX_LINE - 1)
			return PP_INVALID; /* no room left for the CRLF */
		return v1_check(buf, len, false, &c) == PP_INVALID ? PP_INVALID : PP_NEED_MORE;
	}
	st = v1_check(buf, cr, true, &c);
	if (st == PP_INVALID || (cr + 1 < len && buf[cr + 1] != '\n'))
		return PP_INVALID;
	if (cr + 1 == len)
		return PP_NEED_MORE;
	memset(out, 0, sizeof(*out));
	out->version = 1;
	out->local = c.unknown;
	if (!c.unknown) {
		out->src = c.src;
		out->dst = c.dst;
	}
	*consumed = cr + 2;
	return PP_DONE;
}

/* ------------------------------------------------------------------------ */
/* Version 2                                                                */
/* ------------------------------------------------------------------------ */

/* Returns the address block length for family/protocol byte <fam> under the
 * PROXY command, 0 for the UNSPEC forms (addresses ignored), or -1 if the
 * byte is not acceptable on a stream listener.
 */
static int v2_addr_len(uint8_t fam)
{
	unsigned af = fam >> 4, proto = fam & 0x0f;

	if (af > 3 || proto > 2)
		return -1;
	if (af == 0 || proto == 0)
		return 0;
	if (proto != 1)
		return -1; /* DGRAM */
	return af == 1 ? PP2_ADDR_INET : af == 2 ? PP2_ADDR_INET6 : PP2_ADDR_UNIX;
}

/* Checks the framing of the TLV area [<off>, <end>) of <buf>, of which only
 * the bytes before <avail> may be read. Every TLV must fit in the area, and a
 * CRC32C one must be 4 bytes long and unique; the offset of its value goes
 * to *<crc_at> (left untouched if none). Returns PP_INVALID as soon as the
 * visible bytes prove an error, PP_NEED_MORE if bytes are missing, else
 * PP_DONE.
 */
static enum pp_status tlv_walk(const uint8_t *buf, size_t off, size_t end, size_t avail,
                               size_t *crc_at)
{
	while (off < end) {
		size_t vlen;

		if (end - off < 3)
			return PP_INVALID;
		if (avail < off + 3)
			return PP_NEED_MORE;
		vlen = rd16(buf + off + 1);
		if (vlen > end - off - 3)
			return PP_INVALID;
		if (buf[off] == PP2_TYPE_CRC32C) {
			if (vlen != 4 || *crc_at)
				return PP_INVALID;
			*crc_at = off + 3;
		}
		off += 3 + vlen;
	}
	return PP_DONE;
}

/* Copies the v2 address block at <a> for family byte <fam> into <out>. */
static void v2_addrs(const uint8_t *a, uint8_t fam, struct pp_info *out)
{
	if (fam >> 4 == 1) {
		struct sockaddr_in *s = (struct sockaddr_in *)&out->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&out->dst;

		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, a, 4);
		memcpy(&d->sin_addr, a + 4, 4);
		memcpy(&s->sin_port, a + 8, 2);
		memcpy(&d->sin_port, a + 10, 2);
	} else if (fam >> 4 == 2) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&out->dst;

		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a, 16);
		memcpy(&d->sin6_addr, a + 16, 16);
		memcpy(&s->sin6_port, a + 32, 2);
		memcpy(&d->sin6_port, a + 34, 2);
	} else {
		struct sockaddr_un *s = (struct sockaddr_un *)&out->src;
		struct sockaddr_un *d = (struct sockaddr_un *)&out->dst;

		_Static_assert(sizeof(s->sun_path) == PP2_UNIX_PATH, "sun_path size");
		s->sun_family = d->sun_family = AF_UNIX;
		memcpy(s->sun_path, a, PP2_UNIX_PATH);
		memcpy(d->sun_path, a + PP2_UNIX_PATH, PP2_UNIX_PATH);
	}
}

/* Parses a v2 header, checking each field as soon as its bytes are there. */
static enum pp_status v2_parse(const uint8_t *buf, size_t len, struct pp_info *out,
                               size_t *consumed)
{
	size_t total, crc_at = 0;
	enum pp_status st;
	int alen = 0;
	bool skip;

	if (memcmp(buf, pp2_sig, len < 12 ? len : 12) != 0)
		return PP_INVALID;
	if (len < 13)
		return PP_NEED_MORE;
	if (buf[12] != PP2_VER_LOCAL && buf[12] != PP2_VER_PROXY)
		return PP_INVALID; /* version other than 2, or unassigned command */
	if (len < 14)
		return PP_NEED_MORE;
	if (buf[12] == PP2_VER_PROXY && (alen = v2_addr_len(buf[13])) < 0)
		return PP_INVALID;
	skip = alen == 0; /* LOCAL or UNSPEC: nothing past the 16 bytes matters */
	if (len < PP2_HDR_LEN)
		return PP_NEED_MORE;
	total = PP2_HDR_LEN + rd16(buf + 14);
	if (total < PP2_HDR_LEN + (size_t)alen)
		return PP_INVALID;
	st = skip ? PP_DONE
	          : tlv_walk(buf, PP2_HDR_LEN + (size_t)alen, total, len < total ? len : total,
	                     &crc_at);
	if (st == PP_INVALID)
		return PP_INVALID;
	if (len < total)
		return PP_NEED_MORE;
	if (crc_at && crc32c_hdr(buf, total, crc_at) != rd32(buf + crc_at))
		return PP_INVALID;

	memset(out, 0, sizeof(*out));
	out->version = 2;
	out->local = skip;
	if (!skip) {
		size_t tl = total - PP2_HDR_LEN - (size_t)alen;

		v2_addrs(buf + PP2_HDR_LEN, buf[13], out);
		out->tlv_len = tl < PP_MAX_TLV_BYTES ? tl : PP_MAX_TLV_BYTES;
		out->tlv_truncated = tl > PP_MAX_TLV_BYTES;
		memcpy(out->tlv, buf + PP2_HDR_LEN + alen, out->tlv_len);
	}
	*consumed = total;
	return PP_DONE;
}

enum pp_status pp_parse(const uint8_t *buf, size_t len, struct pp_info *out, size_t *consumed)
{
	if (len == 0)
		return PP_NEED_MORE;
	if (buf[0] == 'P')
		return v1_parse(buf, len, out, consumed);
	if (buf[0] == pp2_sig[0])
		return v2_parse(buf, len, out, consumed);
	return PP_INVALID;
}

/* ------------------------------------------------------------------------ */
/* Builders                                                                 */
/* ------------------------------------------------------------------------ */

static bool same_inet(const struct sockaddr_storage *a, const struct sockaddr_storage *b, int af)
{
	return a && b && a->ss_family == af && b->ss_family == af;
}

size_t pp_build_v1(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
                   char *out, size_t outlen)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	unsigned sp, dp;
	const char *proto;
	int n;

	if (same_inet(src, dst, AF_INET)) {
		const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;

		ip_ntop(AF_INET, &s->sin_addr, sa, sizeof(sa));
		ip_ntop(AF_INET, &d->sin_addr, da, sizeof(da));
		sp = ntohs(s->sin_port);
		dp = ntohs(d->sin_port);
		proto = "TCP4";
	} else if (same_inet(src, dst, AF_INET6)) {
		const struct sockaddr_in6 *s = (const void *)src, *d = (const void *)dst;

		ip_ntop(AF_INET6, &s->sin6_addr, sa, sizeof(sa));
		ip_ntop(AF_INET6, &d->sin6_addr, da, sizeof(da));
		sp = ntohs(s->sin6_port);
		dp = ntohs(d->sin6_port);
		proto = "TCP6";
	} else {
		n = snprintf(out, outlen, "PROXY UNKNOWN\r\n");
		return n < 0 || (size_t)n >= outlen ? 0 : (size_t)n;
	}
	n = snprintf(out, outlen, "PROXY %s %s %s %u %u\r\n", proto, sa, da, sp, dp);
	return n < 0 || (size_t)n >= outlen ? 0 : (size_t)n;
}

/* Writes the 16-byte address + ports of <ss> (IPv4 is written as its
 * IPv4-mapped IPv6 form ::ffff:a.b.c.d) at <a> (address) and <p> (port).
 */
static void put_inet6(const struct sockaddr_storage *ss, uint8_t *a, uint8_t *p)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		memcpy(a, &s6->sin6_addr, 16);
		memcpy(p, &s6->sin6_port, 2);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &s4->sin_addr, 4);
		memcpy(p, &s4->sin_port, 2);
	}
}

/* Writes the family byte and address block for <src>/<dst> at <a> and
 * returns the block length: TCP over IPv4 when both are IPv4, TCP over IPv6
 * when both are IP and one is IPv6 (IPv4 mapped), else nothing (LOCAL).
 * <fam> receives the family/protocol byte. <a> has room for 36 bytes.
 */
static size_t put_addrs(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
                        uint8_t *fam, uint8_t *a)
{
	bool ip = src && dst && (src->ss_family == AF_INET || src->ss_family == AF_INET6) &&
	          (dst->ss_family == AF_INET || dst->ss_family == AF_INET6);

	if (!ip) {
		*fam = 0x00;
		return 0;
	}
	if (same_inet(src, dst, AF_INET)) {
		const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;

		*fam = 0x11;
		memcpy(a, &s->sin_addr, 4);
		memcpy(a + 4, &d->sin_addr, 4);
		memcpy(a + 8, &s->sin_port, 2);
		memcpy(a + 10, &d->sin_port, 2);
		return PP2_ADDR_INET;
	}
	*fam = 0x21;
	put_inet6(src, a, a + 32);
	put_inet6(dst, a + 16, a + 34);
	return PP2_ADDR_INET6;
}

size_t pp_build_v2(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
                   const uint8_t *tlv, size_t tlv_len, uint8_t *out, size_t outlen)
{
	uint8_t fam, addr[PP2_ADDR_INET6];
	size_t alen, total, crc_at = 0;

	if (!tlv)
		tlv_len = 0;
	alen = put_addrs(src, dst, &fam, addr);
	if (tlv_len > 65535 - alen)
		return 0;
	total = PP2_HDR_LEN + alen + tlv_len;
	if (outlen < total || tlv_walk(tlv, 0, tlv_len, tlv_len, &crc_at) != PP_DONE)
		return 0;
	memcpy(out, pp2_sig, sizeof(pp2_sig));
	out[12] = alen ? PP2_VER_PROXY : PP2_VER_LOCAL;
	out[13] = fam;
	wr16(out + 14, (uint16_t)(alen + tlv_len));
	memcpy(out + PP2_HDR_LEN, addr, alen);
	if (tlv_len)
		memcpy(out + PP2_HDR_LEN + alen, tlv, tlv_len);
	if (crc_at) {
		uint32_t crc;

		crc_at += PP2_HDR_LEN + alen;
		crc = crc32c_hdr(out, total, crc_at);

		wr16(out + crc_at, (uint16_t)(crc >> 16));
		wr16(out + crc_at + 2, (uint16_t)crc);
	}
	return total;
}
