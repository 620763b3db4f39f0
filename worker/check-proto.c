/* Built-in response evaluators of the protocol checks that a pattern cannot
 * express: MySQL packets (mysql-check) and the LDAP bind response
 * (ldap-check). Same results and texts as HAProxy 2.6.
 */
#include <stdio.h>
#include <string.h>

#include "worker/check-tcp.h"

/* Fails <res> with result <r>, status <code> and info <len> bytes at <p>. */
static int fail(struct tchk_res *res, enum check_result r, int code, const char *p, size_t len)
{
	res->r = r;
	res->code = code;
	snprintf(res->info, sizeof(res->info), "%.*s", (int)len, p ? p : "");
	return -1;
}

/* Checks the MySQL packet at <off>: complete, and not an error packet
 * (0xff), whose code and message then make the result.
 */
static int mysql_packet(const unsigned char *b, size_t len, size_t off, int last,
                        struct tchk_res *res)
{
	if (len < off + 4)
		return last ? fail(res, CHK_L7RSP, 0, NULL, 0) : 0;
	size_t plen = b[off] | (size_t)b[off + 1] << 8 | (size_t)b[off + 2] << 16;
	if (len < off + plen + 4)
		return last ? fail(res, CHK_L7RSP, 0, NULL, 0) : 0;
	if (b[off + 4] != 0xff)
		return 1;
	int code = len > off + 6 ? b[off + 5] | b[off + 6] << 8 : 0;
	size_t start = off + 7 < len ? off + 7 : len;
	return fail(res, CHK_L7STS, code, (const char *)b + start, len - start);
}

/* Checks an LDAPv3 bind response: result code 0 passes. */
static int ldap_bind(const unsigned char *b, size_t len, struct tchk_res *res)
{
	static const char not_ldap[] = "Not LDAPv3 protocol";
	size_t ml = len > 1 && (b[1] & 0x80) ? (b[1] & 0x7f) : 0;
	if (len < ml + 6 || memcmp(b + 2 + ml, "\x02\x01\x01\x61", 4) != 0)
		return fail(res, CHK_L7RSP, 0, not_ldap, strlen(not_ldap));
	ml += len > ml + 6 && (b[ml + 6] & 0x80) ? (b[ml + 6] & 0x7f) : 0;
	if (len < ml + 10 || memcmp(b + 7 + ml, "\x0a\x01", 2) != 0)
		return fail(res, CHK_L7RSP, 0, not_ldap, strlen(not_ldap));
	int code = b[ml + 9];
	if (code) {
		static const char rfc[] =
		    "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9";
		return fail(res, CHK_L7STS, code, rfc, strlen(rfc));
	}
	return 1;
}

int tchk_custom(const struct tcpchk_rule *r, const char *buf, size_t len, int last,
                struct tchk_res *res)
{
	const unsigned char *b = (const unsigned char *)buf;
	switch (r->custom) {
	case TCC_MYSQL_INIT:
		return mysql_packet(b, len, 0, last, res);
	case TCC_MYSQL_OK:
		if (len < 4)
			return last ? fail(res, CHK_L7RSP, 0, NULL, 0) : 0;
		return mysql_packet(b, len, 4 + (b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16),
		                    last, res);
	case TCC_LDAP_BIND:
		return ldap_bind(b, len, res);
	default:
		return 1;
	}
}
