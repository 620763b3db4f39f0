#include "worker/check-tcp.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "common/mem.h"
#include "worker/proxy-proto.h"

#define TCHK_BUFSIZE 16384

int tchk_rules_of(const struct proxy *px, const struct tcpchk_rule **rules, int *proto)
{
	*proto = px->tcpchk.kind == TCK_PROTO;
	*rules = *proto ? px->tcpchk.proto_rules : px->tcpchk.rules;
	return px->tcpchk.kind != TCK_NONE;
}

/* Appends formatted text to <res>'s info (truncated as HAProxy does). */
__attribute__((format(printf, 2, 3))) static void info_add(struct tchk_res *res, const char *fmt,
                                                           ...)
{
	size_t n = strlen(res->info);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->info + n, sizeof(res->info) - n, fmt, ap);
	va_end(ap);
}

/* HAProxy's step number of rule <r> (0: the implicit connection). */
static int step_id(const struct tcpchk_rule *r)
{
	return r ? r->index + 1 : 0;
}

/* The comment of <r>: its own, else that of a comment rule just before it. */
static const char *step_comment(const struct tchk_io *io, const struct tcpchk_rule *r)
{
	const char *c = NULL;
	if (!r)
		return NULL;
	if (r->comment)
		return r->comment;
	for (const struct tcpchk_rule *p = io->rules; p && p != r; p = p->next)
		c = p->act == TCA_COMMENT ? p->comment : NULL;
	return c;
}

/* Appends where a connection-level problem happened (" at step 2 of
 * tcp-check (expect string 'x')"), for user tcp-checks only.
 */
static void step_desc(const struct tchk_io *io, const struct tcpchk_rule *r, struct tchk_res *res)
{
	if (io->proto)
		return;
	if (!r) {
		info_add(res, " at initial connection step of tcp-check");
		return;
	}
	info_add(res, " at step %d of tcp-check", step_id(r));
	if (r->act == TCA_CONNECT && r->port)
		info_add(res, " (connect port %d)", r->port);
	else if (r->act == TCA_CONNECT)
		info_add(res, " (connect)");
	else if (r->act == TCA_SEND)
		info_add(res, " (send)");
	else if (r->act == TCA_EXPECT && r->match == TCM_STRING)
		info_add(res, " (expect string '%.*s')", (int)r->len, r->data);
	else if (r->act == TCA_EXPECT && r->match == TCM_BINARY) {
		info_add(res, " (expect binary '");
		for (size_t i = 0; i < r->len; i++)
			info_add(res, "%02x", (unsigned char)r->data[i]);
		info_add(res, "')");
	} else if (r->act == TCA_EXPECT && r->match == TCM_RSTRING)
		info_add(res, " (expect regex)");
	else if (r->act == TCA_EXPECT && r->match == TCM_RBINARY)
		info_add(res, " (expect binary regex)");
	else if (r->act == TCA_EXPECT && r->match == TCM_STRING_LF)
		info_add(res, " (expect log-format string)");
	else if (r->act == TCA_EXPECT && r->match == TCM_BINARY_LF)
		info_add(res, " (expect log-format binary)");
	const char *c = step_comment(io, r);
	if (c)
		info_add(res, " comment: '%s'", c);
}

/* Ends the run with result <r>, errno text <err> (0: none) and the step. */
static int conn_error(struct tchk_io *io, enum check_result r, int err,
                      const struct tcpchk_rule *at, struct tchk_res *res)
{
	res->r = r;
	res->code = 0;
	res->info[0] = 0;
	if (err)
		info_add(res, "%s", strerror(err));
	step_desc(io, at, res);
	return 1;
}

/* Opens the connection of connect rule <r> (NULL: implicit). */
static int start_connect(struct tchk_io *io, const struct tcpchk_rule *r, struct tchk_res *res)
{
	io->conn = r;
	io->step = r;
	io->connected = 0;
	io->len = 0;
	io->eos = 0;
	io->fd = io->open(io->ctx, r);
	if (io->fd < 0)
		return conn_error(io, CHK_L4CON, errno, r, res);
	return 0;
}

/* Reads what is available; returns -1 on a reset before any byte. */
static int read_avail(struct tchk_io *io)
{
	if (!io->buf) {
		io->cap = TCHK_BUFSIZE;
		io->buf = xcalloc(1, io->cap + 1);
	}
	while (!io->eos && io->len < io->cap) {
		ssize_t n = recv(io->fd, io->buf + io->len, io->cap - io->len, 0);
		if (n == 0)
			io->eos = 1;
		else if (n < 0 && errno == EAGAIN)
			break;
		else if (n < 0 && io->len == 0)
			return -1;
		else if (n < 0)
			io->eos = 1; /* data then an error: judge the data */
		else
			io->len += (size_t)n;
	}
	io->buf[io->len] = 0;
	return 0;
}

/* The text of <spec> taken from the reply. */
static void spec_text(const struct tchk_io *io, const struct tcpchk_text_spec *spec,
                      struct tchk_res *res)
{
	res->info[0] = 0;
	if (spec->kind == TCT_FIXED) {
		info_add(res, "%s", spec->text);
		return;
	}
	size_t off = (size_t)spec->off < io->len ? (size_t)spec->off : io->len;
	const char *p = io->buf + off, *end = io->buf + io->len;
	if (spec->ltrim)
		while (p < end && *p == ' ')
			p++;
	size_t n = 0;
	while (p + n < end && p[n] && (spec->kind == TCT_CSTR || (p[n] != '\r' && p[n] != '\n')))
		n++;
	info_add(res, "%.*s", (int)n, p);
}

/* Whether regex <re> matches <len> bytes at <p>. */
static int re_match(void *re, const char *p, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int r = pcre2_match(re, (PCRE2_SPTR)p, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return r >= 0;
}

/* Keeps the sample context's view of the response in step with the
 * buffer, before formats or expressions are evaluated.
 */
static void sync_smp(struct tchk_io *io)
{
	if (!io->smp)
		return;
	io->smp->res = io->buf;
	io->smp->res_len = io->len;
}

/* Whether the reply matches the pattern of <r> (inversion not applied);
 * <pat>/<plen> is the string or binary pattern (rendered for -lf rules).
 */
static int matches(const struct tchk_io *io, const struct tcpchk_rule *r, const char *pat,
                   size_t plen)
{
	switch (r->match) {
	case TCM_STRING:
	case TCM_BINARY:
	case TCM_STRING_LF:
	case TCM_BINARY_LF:
		return memmem(io->buf, io->len, pat, plen) != NULL;
	case TCM_RSTRING:
		return re_match(r->re, io->buf, io->len);
	case TCM_RBINARY: {
		char *hex = xcalloc(1, io->len * 2 + 1);
		for (size_t i = 0; i < io->len; i++)
			snprintf(hex + 2 * i, 3, "%02X", (unsigned char)io->buf[i]);
		int m = re_match(r->re, hex, io->len * 2);
		free(hex);
		return m;
	}
	default:
		return 0;
	}
}

/* The "status-code" of expect rule <r>, when it has one, into res->code. */
static void report_code(struct tchk_io *io, const struct tcpchk_rule *r, struct tchk_res *res)
{
	if (!r->rep.status_code || !io->smp)
		return;
	sync_smp(io);
	check_status_code(io->smp, r->rep.status_code, &res->code);
}

/* The failure of expect rule <r> (<matched>: content it must not have;
 * <desc>: a reason that takes precedence over every other text).
 */
static int expect_failed(struct tchk_io *io, const struct tcpchk_rule *r, int matched,
                         const char *desc, struct tchk_res *res)
{
	static const char *const how[] = {[TCM_STRING] = "",
	                                  [TCM_RSTRING] = " (regex)",
	                                  [TCM_BINARY] = " (binary)",
	                                  [TCM_RBINARY] = " (binary regex)",
	                                  [TCM_CUSTOM] = "",
	                                  [TCM_STRING_LF] = " (log-format string)",
	                                  [TCM_BINARY_LF] = " (log-format binary)"};
	res->r = r->err_status ? (enum check_result)r->err_status : CHK_L7RSP;
	res->code = io->code;
	res->info[0] = 0;
	if (desc) {
		info_add(res, "%s", desc);
	} else if (r->rep.on_error && io->smp) {
		sync_smp(io);
		check_render_cat(io->smp, r->rep.on_error, res->info, sizeof(res->info));
	} else if (r->on_error.kind != TCT_NONE)
		spec_text(io, &r->on_error, res);
	else if (!io->proto) {
		info_add(res, "%s",
		         matched ? "TCPCHK matched unwanted content"
		                 : "TCPCHK did not match content");
		if (r->match == TCM_STRING)
			info_add(res, " '%.*s'", (int)r->len, r->data);
		else
			info_add(res, "%s", how[r->match]);
		info_add(res, " at step %d", step_id(r));
	}
	if (r->comment)
		info_add(res, " comment: %s", r->comment);
	report_code(io, r, res);
	return -1;
}

/* Renders the pattern of -lf expect rule <r> into *<pat> (freed by the
 * caller). Returns 0, or -1 when the run failed (*<res> filled).
 */
static int lf_pattern(struct tchk_io *io, const struct tcpchk_rule *r, char **pat, size_t *plen,
                      struct tchk_res *res)
{
	*pat = NULL;
	*plen = 0;
	if (!io->smp)
		return expect_failed(io, r, 0, "log-format string evaluated to an empty string",
		                     res);
	sync_smp(io);
	if (check_render_alloc(io->smp, r->fmt, r->fmt_hex, pat, plen) < 0)
		return expect_failed(
		    io, r, 0, "Failed to parse hexastring resulting of eval of a log-format string",
		    res);
	if (!*plen) {
		free(*pat);
		*pat = NULL;
		return expect_failed(io, r, 0, "log-format string evaluated to an empty string",
		                     res);
	}
	return 0;
}

/* Matches the pattern <pat> of <r> once enough data is there: returns 0 to
 * wait for more, 1 when the rule passed, -1 when it failed.
 */
static int expect_match(struct tchk_io *io, const struct tcpchk_rule *r, const char *pat,
                        size_t plen, int last, struct tchk_res *res)
{
	int fixed = r->match != TCM_RSTRING && r->match != TCM_RBINARY;
	if (!last) {
		if (fixed && io->len < plen)
			return 0;
		if (r->min_recv > 0 && io->len < (size_t)r->min_recv)
			return 0;
	}
	int m = matches(io, r, pat, plen);
	if (!m && !last && r->min_recv == -1)
		return 0;
	if (m != r->inverse)
		return 1;
	return expect_failed(io, r, m, NULL, res);
}

/* Evaluates expect rule <r> on the reply so far; <last>: no more comes.
 * Returns 0 to wait for more, 1 when it passed, -1 when it failed.
 */
static int eval_expect(struct tchk_io *io, const struct tcpchk_rule *r, int last,
                       struct tchk_res *res)
{
	io->code = 0;
	for (size_t i = 0; r->code_from_reply && i < 3 && i < io->len; i++) {
		if (io->buf[i] < '0' || io->buf[i] > '9')
			break; /* the leading digits of the first three bytes */
		io->code = io->code * 10 + (io->buf[i] - '0');
	}
	if (r->match == TCM_CUSTOM) {
		int rc = tchk_custom(r, io->buf, io->len, last, res);
		io->code = rc < 0 ? res->code : 0;
		return rc;
	}
	if (r->match != TCM_STRING_LF && r->match != TCM_BINARY_LF)
		return expect_match(io, r, r->data, r->len, last, res);
	char *pat;
	size_t plen;
	if (lf_pattern(io, r, &pat, &plen, res) < 0)
		return -1;
	int rc = expect_match(io, r, pat, plen, last, res);
	free(pat);
	return rc;
}

/* Runs the group of consecutive expect rules starting at io->cur. Returns
 * 1 when the run ended (*res filled), 0 to wait, 2 when the group passed.
 */
static int run_expects(struct tchk_io *io, struct tchk_res *res)
{
	const struct tcpchk_rule *head = io->cur, *e;
	io->step = head;
	if (read_avail(io) < 0)
		return conn_error(io, CHK_SOCKERR, errno, head, res);
	if (!io->len && io->eos) {
		res->r = head->err_status ? (enum check_result)head->err_status : CHK_L7RSP;
		res->code = 0;
		res->info[0] = 0;
		info_add(res, "TCPCHK got an empty response at step %d", step_id(head));
		if (head->comment)
			info_add(res, " comment: '%s'", head->comment);
		return 1;
	}
	if (!io->len)
		return 0;
	int last = io->eos || io->len >= io->cap;
	for (e = head; e && e->act == TCA_EXPECT; e = e->next) {
		int rc = eval_expect(io, e, last, res);
		if (rc == 0) {
			io->step = head; /* as HAProxy, a wait restarts the group */
			return 0;
		}
		if (rc < 0)
			return 1;
		io->step = e;
	}
	io->cur = e;
	return 2;
}

/* Sends what remains of send rule io->cur. Returns 1 when the run ended
 * on an error, 0 to wait, 2 when all is sent.
 */
static int run_send(struct tchk_io *io, struct tchk_res *res)
{
	const struct tcpchk_rule *r = io->cur;
	io->step = r;
	if (!io->out && r->fmt) {
		sync_smp(io);
		if (!io->smp ||
		    check_render_alloc(io->smp, r->fmt, r->fmt_hex, &io->out, &io->out_len) < 0) {
			res->r = CHK_L7RSP;
			res->code = 0;
			res->info[0] = 0;
			info_add(res,
			         "tcp-check send : failed to build log-format string at step %d",
			         step_id(r));
			return 1;
		}
		io->sent = 0;
		io->len = 0;
	}
	if (!io->out) {
		io->out = xcalloc(1, r->len + 1);
		memcpy(io->out, r->data, r->len);
		io->out_len = r->len;
		io->sent = 0;
		if (r->stamp_at >= 0 && (size_t)r->stamp_at + 4 <= r->len) {
			uint32_t t = (uint32_t)time(NULL);
			for (int i = 0; i < 4; i++)
				io->out[r->stamp_at + i] = (char)(t >> (24 - 8 * i));
		}
		io->len = 0; /* a reply is read from what follows this send */
	}
	while (io->sent < io->out_len) {
		ssize_t n = send(io->fd, io->out + io->sent, io->out_len - io->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return conn_error(io, CHK_SOCKERR, errno, r, res);
		io->sent += (size_t)n;
	}
	free(io->out);
	io->out = NULL;
	io->cur = r->next;
	return 2;
}

/* Every rule passed: the result depends on the last one run. */
static int run_passed(struct tchk_io *io, struct tchk_res *res)
{
	const struct tcpchk_rule *r = io->step;
	res->code = 0;
	res->info[0] = 0;
	if (!r) { /* only the implicit connection */
		res->r = CHK_L4OK;
		return 1;
	}
	res->r = r->act == TCA_CONNECT ? CHK_L4OK : CHK_L7OK;
	if (r->act == TCA_EXPECT) {
		res->code = io->code;
		if (r->ok_status)
			res->r = (enum check_result)r->ok_status;
		report_code(io, r, res);
		if (r->rep.on_success && io->smp) {
			sync_smp(io);
			check_render_cat(io->smp, r->rep.on_success, res->info, sizeof(res->info));
			return 1;
		}
		if (r->on_success.kind != TCT_NONE) {
			spec_text(io, &r->on_success, res);
			return 1;
		}
	}
	if (!io->proto)
		info_add(res, "(tcp-check)");
	return 1;
}

/* Runs rules from io->cur while nothing needs waiting. */
static int run(struct tchk_io *io, struct tchk_res *res)
{
	for (;;) {
		const struct tcpchk_rule *r = io->cur;
		int rc;
		if (!io->connected)
			return 0;
		if (!r)
			return run_passed(io, res);
		switch (r->act) {
		case TCA_COMMENT:
			io->cur = r->next;
			continue;
		case TCA_VAR: /* not a step: HAProxy's current step stays */
			sync_smp(io);
			if (io->smp)
				check_run_vars(io->smp, r->var);
			io->code = 0; /* as HAProxy, whose every rule resets the code */
			io->cur = r->next;
			continue;
		case TCA_CONNECT:
			if (io->conn == r) {
				io->cur = r->next;
				continue;
			}
			return start_connect(io, r, res);
		case TCA_SEND:
			rc = run_send(io, res);
			break;
		default:
			rc = run_expects(io, res);
			break;
		}
		if (rc != 2)
			return rc;
	}
}

int tchk_start(struct tchk_io *io, const struct tcpchk_rule *rules, int proto, struct tchk_res *res)
{
	const struct tcpchk_rule *first = rules;
	io->len = 0;
	sync_smp(io);
	for (; first && (first->act == TCA_COMMENT || first->act == TCA_VAR); first = first->next)
		if (first->act == TCA_VAR && io->smp) /* run before the first connection */
			check_run_vars(io->smp, first->var);
	io->rules = rules;
	io->proto = proto;
	io->cur = first;
	io->code = 0;
	free(io->out);
	io->out = NULL;
	if (first && first->act == TCA_CONNECT) {
		io->cur = first;
		return start_connect(io, first, res);
	}
	return start_connect(io, NULL, res);
}

/* Sends the PROXY header of version <v> on the check connection <fd> that
 * just came up: v1 gives its own addresses, v2 is a LOCAL header (no
 * addresses), as HAProxy sends them. Returns 0, or -1 with errno set.
 */
int check_send_pp(int fd, int v)
{
	struct sockaddr_storage src, dst;
	socklen_t sl = sizeof(src), dl = sizeof(dst);
	uint8_t hdr[128];
	size_t n;
	if (v == 2) {
		n = pp_build_v2(NULL, NULL, NULL, 0, hdr, sizeof(hdr));
	} else {
		if (getsockname(fd, (struct sockaddr *)&src, &sl) < 0 ||
		    getpeername(fd, (struct sockaddr *)&dst, &dl) < 0)
			return -1;
		n = pp_build_v1(&src, &dst, (char *)hdr, sizeof(hdr));
	}
	errno = 0;
	if (send(fd, hdr, n, MSG_NOSIGNAL) != (ssize_t)n) {
		if (!errno)
			errno = EPIPE;
		return -1;
	}
	return 0;
}

int tchk_event(struct tchk_io *io, uint32_t ev, struct tchk_res *res)
{
	if (!io->connected) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (!err && !(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return 0;
		if (err)
			return conn_error(io, CHK_L4CON, err, io->conn, res);
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		if (getpeername(io->fd, (struct sockaddr *)&peer, &pl) < 0)
			return 0; /* an event of a previous connection: not up yet */
		io->connected = 1;
		if (io->pp && check_send_pp(io->fd, io->pp) < 0)
			return conn_error(io, CHK_SOCKERR, errno, io->conn, res);
	}
	return run(io, res);
}

void tchk_timeout(struct tchk_io *io, struct tchk_res *res)
{
	const struct tcpchk_rule *r = io->step;
	enum check_result tout = CHK_L7TOUT;
	if (!io->connected)
		tout = CHK_L4TOUT;
	else if (r && r->act == TCA_EXPECT && r->tout_status)
		tout = (enum check_result)r->tout_status;
	conn_error(io, tout, 0, io->connected ? r : io->conn, res);
}

void tchk_release(struct tchk_io *io)
{
	free(io->buf);
	free(io->out);
	io->buf = io->out = NULL;
	io->len = io->cap = 0;
}
