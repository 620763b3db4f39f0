/* TCP rule sets in the stream: "tcp-request connection" at accept,
 * "tcp-request content" while the request is inspected (up to
 * "tcp-request inspect-delay"), then backend switching and the backend's
 * content rules; "tcp-response content" on the server's first data (up to
 * "tcp-response inspect-delay"); and the TCP actions accept, reject,
 * silent-drop, close.
 */
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common/mem.h"
#include "conf/rules.h"
#include "worker/counters.h"
#include "worker/log-stream.h"
#include "worker/rules.h"
#include "worker/stream.h"
#include "worker/tcp-rules.h"

int tcp_connection_rules(struct stream *s)
{
	const struct proxy *fe = s->fe->conf;
	if (!rules_present(fe, RS_TCP_CONN))
		return 0;
	enum act_ret r = rules_run(s, fe, RS_TCP_CONN, 1);
	if (r == ACT_RET_CONT)
		return 0;
	if (r == ACT_RET_DENY)
		counters_tcp_denied(s->fe, 0);
	return -1;
}

int tcp_session_rules(struct stream *s)
{
	const struct proxy *fe = s->fe->conf;
	if (!rules_present(fe, RS_TCP_SESS))
		return 0;
	enum act_ret r = rules_run(s, fe, RS_TCP_SESS, 1);
	if (r == ACT_RET_CONT)
		return 0;
	if (r == ACT_RET_DENY)
		counters_tcp_denied(s->fe, 1);
	return -1;
}

int tcp_wants_inspection(const struct stream *s)
{
	if (stream_is_http(s))
		return 0;
	if (rules_present(s->fe->conf, RS_TCP_REQ))
		return 1;
	/* a backend reached without switching rules may inspect by itself */
	return s->be && s->be->conf != s->fe->conf && rules_present(s->be->conf, RS_TCP_REQ);
}

void tcp_inspect_start(struct stream *s)
{
	s->state = ST_INSPECT;
	s->inspect_final = 0;
	uint32_t d = s->fe->conf->tcp_req_inspect_delay;
	s->conn_exp = d ? deadline(d) : 0;
}

/* Whether the content inspection must decide now. */
static int inspection_final(const struct stream *s, const struct proxy *px)
{
	return s->inspect_final || s->cli.shutr || !px->tcp_req_inspect_delay ||
	       (s->req.data && s->req.tail - s->req.head >= s->req.size);
}

/* Runs content rules of <px>; 1 to go on, 0 to wait, -1 when the stream
 * was ended.
 */
static int content_rules(struct stream *s, const struct proxy *px, int final)
{
	if (!rules_present(px, RS_TCP_REQ))
		return 1;
	enum act_ret r = rules_run(s, px, RS_TCP_REQ, final);
	if (r == ACT_RET_CONT)
		return 1;
	if (r == ACT_RET_YIELD)
		return 0;
	if (r == ACT_RET_DENY) {
		counters_tcp_denied(s->fe, 2);
		log_set_term(s, 'P', 'R'); /* refused by a rule before any server */
	}
	stream_end_cause(s, TERM_NONE);
	return -1;
}

int tcp_inspect(struct stream *s)
{
	if (stream_buffer_request(s) < 0) {
		stream_end_cause(s, TERM_CLI_ERR);
		return -1;
	}
	if (!s->inspect_be) { /* the frontend's rules, then backend switching */
		int r = content_rules(s, s->fe->conf, inspection_final(s, s->fe->conf));
		if (r <= 0) {
			if (r == 0)
				stream_arm_timer(s);
			return r < 0 ? -1 : 0;
		}
		s->conn_exp = 0;
		s->be = rules_select_backend(s);
		if (!s->be) {
			stream_end_cause(s, TERM_NO_SRV);
			return -1;
		}
		if (s->be->conf == s->fe->conf || !rules_present(s->be->conf, RS_TCP_REQ))
			goto done;
		/* the backend's rules inspect in turn, with its own delay */
		s->inspect_be = 1;
		s->inspect_final = 0;
		uint32_t d = s->be->conf->tcp_req_inspect_delay;
		s->conn_exp = d ? deadline(d) : 0;
	}
	int r = content_rules(s, s->be->conf, inspection_final(s, s->be->conf));
	if (r <= 0) {
		if (r == 0)
			stream_arm_timer(s);
		return r < 0 ? -1 : 0;
	}
	s->conn_exp = 0;
done:
	s->retries_left = s->be->conf->retries;
	s->state = ST_ASSIGN;
	return 1;
}

void tcp_res_inspect_start(struct stream *s)
{
	s->res_inspect = !stream_is_http(s) && rules_present(s->be->conf, RS_TCP_RES);
	s->res_final = 0;
	s->res_exp = 0;
}

/* Reads what the server sent into s->rsp, as long as there is room.
 * Returns -1 on a read error, 1 when something (data or EOF) came, else 0.
 */
static int res_read(struct stream *s)
{
	int got = 0;
	for (int round = 0; round < 16; round++) {
		int r = sbuf_recv(&s->srv, &s->rsp, &s->bytes_out);
		if (r < 0)
			return -1;
		if (!r)
			break;
		got = 1;
		if (s->srv.shutr)
			break;
	}
	return got;
}

/* Whether the response inspection must decide now: the delay is over or
 * absent, the server closed, or the buffer is full.
 */
static int res_inspection_final(const struct stream *s)
{
	const struct sbuf *b = &s->rsp;
	return s->res_final || s->srv.shutr || !s->be->conf->tcp_res_inspect_delay ||
	       (b->data && b->tail - b->head >= b->size);
}

int tcp_res_inspect(struct stream *s)
{
	int got = res_read(s);
	if (got < 0) {
		stream_end_cause(s, TERM_SRV_ERR);
		return -1;
	}
	if (got)
		s->srv_exp = deadline(stream_to_server(s));
	const struct proxy *be = s->be->conf;
	enum act_ret r = rules_run(s, be, RS_TCP_RES, res_inspection_final(s));
	if (r == ACT_RET_YIELD) {
		if (!s->res_exp && be->tcp_res_inspect_delay)
			s->res_exp = deadline(be->tcp_res_inspect_delay);
		stream_arm_timer(s);
		return 0;
	}
	s->res_inspect = 0;
	s->res_exp = 0;
	if (r == ACT_RET_CONT)
		return 1;
	if (r == ACT_RET_DENY) {
		counters_http_denied(s->fe, s->be, 1);
		log_set_term(s, 'P', 'D'); /* refused by a rule while data flowed */
	}
	stream_end_cause(s, TERM_NONE);
	return -1;
}

/* accept: stop the rule set, the connection goes on. */
static int parse_no_arg(struct act_rule *r, char **args, int nargs, char **err)
{
	if (nargs) {
		memprintf(err, "unexpected argument '%s'", args[0]);
		return 0;
	}
	return 1;
}

static enum act_ret exec_accept(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	return ACT_RET_STOP;
}

/* reject: close the client connection at once. */
static enum act_ret exec_reject(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	return ACT_RET_DENY;
}

void tcp_silent_drop(int fd)
{
	int one = 1;
#ifdef TCP_REPAIR
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one)) == 0)
		return; /* closed in repair mode: nothing goes out */
#endif
	/* the reset is sent, but with a TTL of 1 it dies on the first hop */
	setsockopt(fd, IPPROTO_IP, IP_TTL, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &one, sizeof(one));
	struct linger l = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

/* silent-drop: close without telling the client. */
static enum act_ret exec_silent_drop(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	tcp_silent_drop(s->cli.fd);
	return ACT_RET_DENY;
}

/* close (tcp-response): the server connection is closed at once (reset);
 * what it sent so far still goes to the client, which is closed after it.
 */
static enum act_ret exec_close(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	if (s->srv.fd >= 0) {
		struct linger l = {1, 0};
		setsockopt(s->srv.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	stream_close_server(s);
	s->srv.shutr = s->srv.shutw = 1;
	return ACT_RET_STOP;
}

#define TCP_REQ_ALL (RS_F_TCP_CONN | RS_F_TCP_SESS | RS_F_TCP_REQ)
static const struct act_kw tcp_actions[] = {
    {"accept", TCP_REQ_ALL | RS_F_TCP_RES, parse_no_arg, exec_accept, 1},
    {"reject", TCP_REQ_ALL | RS_F_TCP_RES, parse_no_arg, exec_reject, 1},
    {"silent-drop", TCP_REQ_ALL | RS_F_TCP_RES, parse_no_arg, exec_silent_drop, 1},
    {"close", RS_F_TCP_RES, parse_no_arg, exec_close, 1},
};

ACT_REGISTER_KEYWORDS(tcp_actions)
