/* Protocol health checks built on the tcp-check engine: "option smtpchk",
 * "ssl-hello-chk", "mysql-check", "pgsql-check", "redis-check" and
 * "ldap-check". Each option builds the list of rules HAProxy 2.6 runs for
 * that protocol (same bytes sent, same steps, same result texts) into
 * proxy->tcpchk.proto_rules; worker/check-tcp.c runs them like user rules,
 * with the terser messages of protocol checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "conf/chk-status.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "conf/tcpchk.h"

/* Rule list under construction. */
struct builder {
	struct tcpchk_rule *head;
};

static struct tcpchk_rule *add(struct builder *b, enum tcpchk_act act)
{
	struct tcpchk_rule *r = tcpchk_rule_new(act);
	tcpchk_append(&b->head, r);
	return r;
}

/* The explicit connection of the protocol checks HAProxy closes cleanly
 * (with a FIN; an implicit connection ends with a reset).
 */
static void add_connect(struct builder *b)
{
	add(b, TCA_CONNECT)->linger = 1;
}

static void add_send(struct builder *b, const void *data, size_t len)
{
	struct tcpchk_rule *r = add(b, TCA_SEND);
	r->data = xcalloc(1, len + 1);
	memcpy(r->data, data, len);
	r->len = len;
}

/* Adds a send of hexadecimal <hex> (a constant known to be valid). */
static struct tcpchk_rule *add_send_hex(struct builder *b, const char *hex)
{
	struct tcpchk_rule *r = add(b, TCA_SEND);
	char *err = NULL;
	if (tcpchk_parse_hex(hex, &r->data, &r->len, &err) < 0)
		abort();
	return r;
}

/* Adds an expect rule matching <pat> (a regex for the r* kinds). */
static struct tcpchk_rule *add_expect(struct builder *b, enum tcpchk_match m, const char *pat,
                                      int min_recv, int err_status)
{
	struct tcpchk_rule *r = add(b, TCA_EXPECT);
	char *err = NULL;
	r->match = m;
	r->min_recv = min_recv;
	r->err_status = err_status;
	if (pat) {
		r->data = xstrdup(pat);
		r->len = strlen(pat);
	}
	if ((m == TCM_RSTRING || m == TCM_RBINARY) && tcpchk_compile(r, pat, &err) < 0)
		abort();
	return r;
}

static struct tcpchk_rule *add_custom(struct builder *b, enum tcpchk_custom c)
{
	struct tcpchk_rule *r = add(b, TCA_EXPECT);
	r->match = TCM_CUSTOM;
	r->custom = c;
	return r;
}

/* Installs the built rules as the proxy's protocol check <name>. */
static void install(struct cfg_ctx *ctx, struct builder *b, const char *name)
{
	tcpchk_select(ctx->px, TCK_PROTO);
	ctx->px->tcpchk.proto_rules = b->head;
	ctx->px->tcpchk.proto_name = name;
}

/* Refuses arguments after the option's name (args[2] on). */
static int no_args(char **args, int nargs, char **err)
{
	if (nargs <= 2)
		return 0;
	memprintf(err, "'%s %s' cannot handle unexpected argument '%s'.", args[0], args[1],
	          args[2]);
	return -1;
}

/* An SMTP reply line "NNN text": the status code, then the text. */
static void smtp_reply(struct tcpchk_rule *r, int last)
{
	r->code_from_reply = 1;
	r->on_error = (struct tcpchk_text_spec){.kind = TCT_LINE, .off = 4, .ltrim = 1};
	if (last)
		r->on_success = r->on_error;
}

/* option smtpchk [EHLO|HELO <domain>] */
static int parse_smtpchk(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct builder b = {0};
	char cmd[512];
	if (nargs >= 4 && (!strcmp(args[2], "EHLO") || !strcmp(args[2], "HELO")))
		snprintf(cmd, sizeof(cmd), "%s %s\r\n", args[2], args[3]);
	else
		snprintf(cmd, sizeof(cmd), "HELO localhost\r\n");
	(void)err;
	add_connect(&b);
	struct tcpchk_rule *r = add_expect(&b, TCM_RSTRING, "^[0-9]{3}[ \r]", 4, CHK_L7RSP);
	r->on_error = (struct tcpchk_text_spec){.kind = TCT_LINE};
	smtp_reply(add_expect(&b, TCM_RSTRING, "^2[0-9]{2}[ \r]", 4, CHK_L7STS), 0);
	add_send(&b, cmd, strlen(cmd));
	smtp_reply(add_expect(&b, TCM_RSTRING, "^2[0-9]{2}[ \r]", -1, CHK_L7STS), 0);
	add_send(&b, "QUIT\r\n", 6);
	smtp_reply(add_expect(&b, TCM_RSTRING, "^2[0-9]{2}[ \r]", 4, CHK_L7STS), 1);
	install(ctx, &b, "smtpchk");
	return CFG_OK;
}

/* An SSLv3 ClientHello offering the most common ciphers; the 4 bytes at
 * offset 11 receive the current time when it is sent.
 */
static const char ssl_hello[] = "160300007901000075030000000000484150524f585953534c43484b"
                                "0a484150524f585953534c43484b0a00004e00010002000300040005"
                                "0006000700080009000a000b000c000d000e000f0010001100120013"
                                "001400150016001700180019001a001b002f00300031003200330034"
                                "00350036003700380039003a0100";

/* option ssl-hello-chk */
static int parse_ssl_hello(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct builder b = {0};
	if (no_args(args, nargs, err) < 0)
		return CFG_ALERT;
	add_send_hex(&b, ssl_hello)->stamp_at = 11;
	struct tcpchk_rule *r = add_expect(&b, TCM_RBINARY, "^1[56]", 5, CHK_L6RSP);
	r->ok_status = CHK_L6OK;
	r->tout_status = CHK_L6TOUT;
	install(ctx, &b, "ssl-hello-chk");
	return CFG_OK;
}

/* Adds the MySQL client authentication packet for <user> (4.1 protocol
 * unless <pre41>), followed by a COM_QUIT packet.
 */
static void mysql_auth(struct builder *b, const char *user, int pre41)
{
	static const char quit[] = "\x01\x00\x00\x00\x01";
	size_t ulen = strlen(user), n = 4;
	char pkt[4 + 38 + 256 + sizeof(quit)];
	if (ulen > 255)
		ulen = 255;
	memset(pkt, 0, sizeof(pkt));
	if (pre41) {
		memcpy(pkt + n, "\x00\x80\x00\x00\x01", 5);
		n += 5;
	} else {
		memcpy(pkt + n, "\x00\x82\x00\x00\x00\x80\x00\x01\x21", 9);
		n += 9 + 23;
	}
	memcpy(pkt + n, user, ulen);
	n += ulen + 2; /* the user's NUL, then an empty password */
	size_t plen = n - 4;
	pkt[0] = (char)(plen & 0xff);
	pkt[1] = (char)(plen >> 8 & 0xff);
	pkt[2] = (char)(plen >> 16 & 0xff);
	pkt[3] = 1; /* sequence id */
	memcpy(pkt + n, quit, 5);
	add_send(b, pkt, n + 5);
}

/* option mysql-check [user <name> [post-41|pre-41]] */
static int parse_mysql(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct builder b = {0};
	int pre41 = 0;
	if (nargs > 2 && strcmp(args[2], "user") != 0) {
		memprintf(err, "'%s %s' only supports optional values: 'user' (got '%s').", args[0],
		          args[1], args[2]);
		return CFG_ALERT;
	}
	if (nargs > 2 && (nargs < 4 || !*args[3])) {
		memprintf(err, "'%s %s %s' expects <username> as argument.", args[0], args[1],
		          args[2]);
		return CFG_ALERT;
	}
	if (nargs > 4) {
		if (strcmp(args[4], "post-41") != 0 && strcmp(args[4], "pre-41") != 0) {
			memprintf(err,
			          "keyword '%s' only supports 'post-41' and 'pre-41' (got '%s').",
			          args[2], args[4]);
			return CFG_ALERT;
		}
		pre41 = !strcmp(args[4], "pre-41");
	}
	add_connect(&b);
	if (nargs > 2)
		mysql_auth(&b, args[3], pre41);
	add_custom(&b, TCC_MYSQL_INIT);
	if (nargs > 2)
		add_custom(&b, TCC_MYSQL_OK);
	install(ctx, &b, "mysql-check");
	return CFG_OK;
}

/* option pgsql-check user <name> */
static int parse_pgsql(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct builder b = {0};
	if (nargs < 4 || strcmp(args[2], "user") != 0 || !*args[3]) {
		memprintf(err, "'%s %s' expects 'user <username>' as argument.", args[0], args[1]);
		return CFG_ALERT;
	}
	size_t ulen = strlen(args[3]);
	if (ulen > 255)
		ulen = 255;
	char pkt[8 + 5 + 256 + 1];
	size_t n = 8;
	memcpy(pkt + 4, "\x00\x03\x00\x00", 4); /* protocol 3.0 */
	memcpy(pkt + n, "user", 5);
	n += 5;
	memcpy(pkt + n, args[3], ulen);
	n += ulen;
	pkt[n++] = 0;
	pkt[n++] = 0;
	pkt[0] = pkt[1] = 0;
	pkt[2] = (char)(n >> 8 & 0xff);
	pkt[3] = (char)(n & 0xff);
	add_connect(&b);
	add_send(&b, pkt, n);
	struct tcpchk_rule *r = add_expect(&b, TCM_RSTRING, "^E", 5, CHK_L7RSP);
	r->inverse = 1;
	r->on_error = (struct tcpchk_text_spec){.kind = TCT_CSTR, .off = 6};
	r = add_expect(&b, TCM_RBINARY, "^52000000[A-Z0-9]{2}000000(00|02|03|04|05|06|07|09|0A)", 9,
	               CHK_L7STS);
	r->on_success =
	    (struct tcpchk_text_spec){.kind = TCT_FIXED, .text = "PostgreSQL server is ok"};
	r->on_error =
	    (struct tcpchk_text_spec){.kind = TCT_FIXED, .text = "PostgreSQL unknown error"};
	install(ctx, &b, "pgsql-check");
	return CFG_OK;
}

/* option redis-check */
static int parse_redis(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct builder b = {0};
	if (no_args(args, nargs, err) < 0)
		return CFG_ALERT;
	add_send(&b, "*1\r\n$4\r\nPING\r\n", 14);
	struct tcpchk_rule *r = add_expect(&b, TCM_STRING, "+PONG", -1, CHK_L7STS);
	r->on_error = (struct tcpchk_text_spec){.kind = TCT_LINE};
	r->on_success = (struct tcpchk_text_spec){.kind = TCT_FIXED, .text = "Redis server is ok"};
	install(ctx, &b, "redis-check");
	return CFG_OK;
}

/* option ldap-check: an anonymous LDAPv3 bind request. */
static int parse_ldap(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct builder b = {0};
	if (no_args(args, nargs, err) < 0)
		return CFG_ALERT;
	add_send_hex(&b, "300C020101600702010304008000");
	struct tcpchk_rule *r = add_expect(&b, TCM_RBINARY, "^30", 14, CHK_L7RSP);
	r->on_error = (struct tcpchk_text_spec){.kind = TCT_FIXED, .text = "Not LDAPv3 protocol"};
	add_custom(&b, TCC_LDAP_BIND);
	install(ctx, &b, "ldap-check");
	return CFG_OK;
}

#define PO(n, fn)                                                                                  \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = PX_CAP_DEF | PX_CAP_BE, .parse = fn,     \
		.flags = KWF_CAP_WARN                                                              \
	}
static const struct cfg_kw tcpchk_proto_kws[] = {
    PO("option smtpchk", parse_smtpchk),   PO("option ssl-hello-chk", parse_ssl_hello),
    PO("option mysql-check", parse_mysql), PO("option pgsql-check", parse_pgsql),
    PO("option redis-check", parse_redis), PO("option ldap-check", parse_ldap),
};
CFG_REGISTER_KEYWORDS(tcpchk_proto_kws)
