/* Actions on the connection's view of the stream: set-src, set-dst,
 * set-src-port, set-dst-port (TCP and HTTP request rules), set-timeout
 * (HTTP rules).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/rules.h"
#include "worker/stream.h"

static int parse_expr_arg(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs != 1) {
		memprintf(err, "expects exactly 1 argument (a sample expression)");
		return 0;
	}
	struct smp_where w = {ruleset_checkpoint(r->rs, r->px), r->file, r->line, r->px};
	int idx = 0;
	r->arg = sample_parse_expr(args, &idx, &w, err);
	return r->arg != NULL;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_port;
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)ss)->sin6_port;
	return 0;
}

/* Replaces the address of <ss> with <smp>'s, keeping the port when it
 * has one (a unix address gets port 0).
 */
static void set_address(struct sockaddr_storage *ss, const struct sample *smp)
{
	uint16_t port = port_of(ss);
	memset(ss, 0, sizeof(*ss));
	if (smp->type == SMP_T_IPV4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_addr = smp->u.ipv4;
		in->sin_port = port;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = smp->u.ipv6;
		in6->sin6_port = port;
	}
}

static void set_port(struct sockaddr_storage *ss, int64_t port)
{
	uint16_t p = htons((uint16_t)port);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = p;
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = p;
}

/* set-src, set-dst, set-src-port, set-dst-port: a value that does not
 * convert leaves the address as it was.
 */
static enum act_ret exec_set_addr(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const char *kw = r->kw->name;
	int dst = kw[4] == 'd', port = strstr(kw, "-port") != NULL;
	struct sockaddr_storage *ss = dst ? stream_dst_addr_rw(s) : &s->cli_addr;
	struct sample smp;
	if (!ss)
		return ACT_RET_ERR;
	if (!s->addrs && !(s->addrs = calloc(1, sizeof(*s->addrs))))
		return ACT_RET_ERR;
	struct stream_addrs *a = s->addrs;
	if (r->rs != RS_TCP_CONN && !a->conn_addr_saved) { /* fc_src/fc_dst keep these */
		a->conn_cli = s->cli_addr;
		a->conn_dst = *stream_dst_addr(s);
		a->conn_addr_saved = 1;
	}
	if (stream_is_http(s) && !a->addr_saved) { /* HTTP: for this transaction only */
		a->saved_cli = s->cli_addr;
		a->saved_dst = *stream_dst_addr(s);
		a->addr_saved = 1;
	}
	if (!sample_fetch_as(r->arg, ctx, port ? SMP_T_SINT : SMP_T_ADDR, &smp))
		return ACT_RET_CONT;
	if (port)
		set_port(ss, smp.u.sint);
	else
		set_address(ss, &smp);
	return ACT_RET_CONT;
}

struct timeout_arg {
	int which; /* 's'erver, 't'unnel, 'c'lient */
	uint32_t ms;
	struct sample_expr *expr;
};

/* set-timeout server|tunnel|client <time>|<expr> */
static int parse_set_timeout(struct act_rule *r, char **args, int nargs, char **err)
{
	struct timeout_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a;
	if (nargs != 2 ||
	    (strcmp(args[0], "server") && strcmp(args[0], "tunnel") && strcmp(args[0], "client"))) {
		memprintf(err, "expects 'server', 'tunnel' or 'client' followed by a timeout or an "
		               "expression");
		return 0;
	}
	a->which = args[0][0];
	if (a->which != 'c' && !(r->px->cap & PX_CAP_BE)) {
		memprintf(err, "'%s' timeout is only relevant on a proxy with backend capabilities",
		          args[0]);
		return 0;
	}
	if (parse_time_ms(args[1], &a->ms, NULL) == PARSE_OK)
		return 1;
	struct smp_where w = {ruleset_checkpoint(r->rs, r->px), r->file, r->line, r->px};
	int idx = 1;
	a->expr = sample_parse_expr(args, &idx, &w, err);
	return a->expr != NULL;
}

static enum act_ret exec_set_timeout(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct timeout_arg *a = r->arg;
	uint32_t ms = a->ms;
	if (a->expr) {
		struct sample smp;
		if (!sample_fetch_as(a->expr, ctx, SMP_T_SINT, &smp) || smp.u.sint <= 0 ||
		    smp.u.sint > TIME_MAX_MS)
			return ACT_RET_CONT;
		ms = (uint32_t)smp.u.sint;
	}
	if (a->which == 's')
		s->to_server = ms;
	else if (a->which == 't')
		s->to_tunnel = ms;
	else
		s->to_client = ms;
	return ACT_RET_CONT;
}

#define REQ_SETS (RS_F_TCP_CONN | RS_F_TCP_SESS | RS_F_TCP_REQ | RS_F_HTTP_REQ)
static const struct act_kw conn_actions[] = {
    {"set-src", REQ_SETS, parse_expr_arg, exec_set_addr, 0},
    {"set-dst", REQ_SETS, parse_expr_arg, exec_set_addr, 0},
    {"set-src-port", REQ_SETS, parse_expr_arg, exec_set_addr, 0},
    {"set-dst-port", REQ_SETS, parse_expr_arg, exec_set_addr, 0},
    {"set-timeout", RS_F_HTTP_REQ | RS_F_HTTP_RES, parse_set_timeout, exec_set_timeout, 0},
};

ACT_REGISTER_KEYWORDS(conn_actions)
