/* "show errors [<iid>|<proxy>] [request|response]": the last invalid HTTP
 * request of each frontend and response of each backend
 * (worker/http-errcap.h), in HAProxy 2.6's layout. HAProxy adds three lines
 * of its H1 multiplexer's internal state (connection, stream and message
 * flags) that Halyard has no equivalent for: they are left out, as HAProxy
 * does for a capture that carries no such state (docs/runtime-api.md).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cli/cli.h"
#include "worker/http-errcap.h"
#include "worker/runtime.h"

#define HAPROXY_BUF_ALIGN 48 /* HAProxy receives at this offset of its buffers */
#define DUMP_WIDTH 80        /* a dump line with its offset and its '\n' */

struct show_errors_ctx {
	struct cli_conn *c;
	int iid;       /* proxy id to match (the capture's or the other side's), -1: all */
	int skip_req;  /* "response" */
	int skip_resp; /* "request" */
};

/* "[dd/Mon/yyyy:hh:mm:ss.mmm]" in local time. */
static void print_date(struct cli_conn *c, uint64_t ms)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&sec, &tm);
	cli_printf(c, "[%02d/%s/%04d:%02d:%02d:%02d.%03d]", tm.tm_mday, mon[tm.tm_mon],
	           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* "addr:port" of the client as HAProxy prints it ("unix:0" on a unix
 * socket, ":0" when unknown).
 */
static void print_src(struct cli_conn *c, const struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN] = "";
	int port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	} else if (ss->ss_family == AF_UNIX) {
		strcpy(host, "unix");
	}
	cli_printf(c, "%s:%d", host, port);
}

/* Appends byte <ch> to <out> as HAProxy's dumps show it; returns its width,
 * or 0 when it does not fit before <end>.
 */
static int dump_char(char *out, int len, int end, unsigned char ch)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *esc = strchr("\t\n\r\033\\", ch);
	if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
		if (len > end - 2)
			return 0;
		out[len] = (char)ch;
		return 1;
	}
	if (ch && esc) {
		if (len > end - 3)
			return 0;
		out[len] = '\\';
		out[len + 1] = "tnre\\"[esc - "\t\n\r\033\\"];
		return 2;
	}
	if (len > end - 5)
		return 0;
	memcpy(out + len, "\\x", 2);
	out[len + 2] = hex[ch >> 4];
	out[len + 3] = hex[ch & 15];
	return 4;
}

/* Prints one dump line of <e> from offset <ptr>: the offset ('+' after it
 * when this continues a line broken for width), then the bytes up to and
 * including a '\n'. <*bol> is the offset where the current input line
 * began. Returns the offset where the next dump line starts.
 */
static uint32_t dump_line(struct cli_conn *c, const struct http_err_snap *e, uint32_t ptr,
                          uint32_t *bol)
{
	char out[DUMP_WIDTH + 16];
	int len = snprintf(out, sizeof(out), "  %05u%c ", ptr, ptr == *bol ? ' ' : '+');
	while (ptr < e->len) {
		unsigned char ch = (unsigned char)e->data[ptr];
		int w = dump_char(out, len, DUMP_WIDTH, ch);
		if (!w)
			break;
		len += w;
		ptr++;
		if (ch == '\n') {
			*bol = ptr;
			break;
		}
	}
	cli_printf(c, "%.*s\n", len, out);
	return ptr;
}

/* The header lines of capture <e>. */
static void print_header(struct cli_conn *c, const struct http_err_snap *e)
{
	uint32_t bufsize = rt.cfg->global.tune_bufsize;
	uint32_t wrap = bufsize - HAPROXY_BUF_ALIGN - e->buf_off;
	cli_printf(c, " \n");
	print_date(c, e->when_ms);
	if (!e->is_resp)
		cli_printf(c, " frontend %s (#%d): invalid request\n  backend %s (#%d)", e->px->id,
		           e->px->uuid, e->other ? e->other->id : "<NONE>",
		           e->other ? e->other->uuid : -1);
	else
		cli_printf(c, " backend %s (#%d): invalid response\n  frontend %s (#%d)", e->px->id,
		           e->px->uuid, e->other ? e->other->id : "<NONE>",
		           e->other ? e->other->uuid : -1);
	cli_printf(c, ", server %s (#%d), event #%u, src ", e->srv_id[0] ? e->srv_id : "<NONE>",
	           e->srv_puid, e->event);
	print_src(c, &e->src);
	cli_printf(c, "\n  buffer starts at 0 (including 0 out), %u free,\n",
	           e->len < bufsize ? bufsize - e->len : 0);
	cli_printf(c, "  len %u, wraps at %u, error at position %ld\n  \n", e->len,
	           e->buf_off + HAPROXY_BUF_ALIGN < bufsize ? wrap : 0,
	           e->err_pos >= 0 ? e->err_pos : (long)e->len);
}

static void show_one(const struct http_err_snap *e, void *arg)
{
	struct show_errors_ctx *ctx = arg;
	if (e->is_resp ? ctx->skip_resp : ctx->skip_req)
		return;
	if (ctx->iid >= 0 && e->px->uuid != ctx->iid && (!e->other || e->other->uuid != ctx->iid))
		return;
	print_header(ctx->c, e);
	uint32_t bol = 0;
	for (uint32_t ptr = 0; ptr < e->len;)
		ptr = dump_line(ctx->c, e, ptr, &bol);
}

/* The id of the proxy named <arg>, else <arg> as a number (atoi, as
 * HAProxy); 0 means none.
 */
static int proxy_arg(const char *arg)
{
	for (const struct proxy *px = rt.cfg->proxies; px; px = px->next)
		if (!strcmp(px->id, arg))
			return px->uuid;
	return atoi(arg);
}

static void show_errors(struct cli_conn *c, char **args, int nargs)
{
	struct show_errors_ctx ctx = {.c = c, .iid = -1};
	if (nargs > 2 && !(ctx.iid = proxy_arg(args[2]))) {
		cli_printf(c, "No such proxy.\n");
		return;
	}
	if (nargs > 3) {
		ctx.skip_resp = !strcmp(args[3], "request");
		ctx.skip_req = !strcmp(args[3], "response");
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	cli_printf(c, "Total events captured on ");
	print_date(c, (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000);
	cli_printf(c, " : %u\n", http_errcap_total());
	http_errcap_foreach(show_one, &ctx);
}

static const struct cli_cmd errors_cmds[] = {
	{{"show", "errors"}, "show errors [<px>] [request|response]",
	 "report last request and/or response errors for each proxy", CLI_LEVEL_OPER,
	 show_errors},
};
CLI_REGISTER(errors_cmds)
