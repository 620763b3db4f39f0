/* Traffic logs of streams and HTTP transactions (see worker/log-stream.h). */
#include "worker/log-stream.h"
#include "common/addr.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/sample.h"
#include "conf/model-t.h"
#include "worker/http-txn.h"
#include "worker/log.h"
#include "worker/stream.h"

#define LOG_LINE_MAX 8192
#define UNIQUE_ID_MAX 128

static _Atomic uint32_t request_counter; /* %rt: streams and transactions */

void log_stream_accept(struct stream *s)
{
	gettimeofday(&s->log.accept_date, NULL);
	s->log.req_date = s->log.accept_date;
	s->log.first_txn = 1;
	s->log.id = atomic_fetch_add(&request_counter, 1);
}

/* Prints the address of <ss> without port ("unix" for unix sockets). */
static const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET)
		return ip_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, len);
	if (ss->ss_family == AF_INET6)
		return ip_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, len);
	return "unix";
}

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

void log_handshake_done(struct stream *s)
{
	const struct proxy *fe = s->fe->conf;
	s->log.t_hs = s->log.t_idle = curthr->now_ms;
	if (!fe->log.targets || fe->log.lf)
		return;
	/* a frontend with targets and no format logs each connection */
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const struct sockaddr_storage *d = stream_dst_addr(s);
	log_px_printf(fe, LOG_LVL_INFO, "Connect from %s:%d to %s:%d (%s/%s)",
	              addr_str(&s->cli_addr, src, sizeof(src)), port_of(&s->cli_addr),
	              addr_str(d, dst, sizeof(dst)), port_of(d), fe->id,
	              fe->mode == PX_MODE_HTTP ? "HTTP" : "TCP");
}

uint64_t log_bytes_to_client(const struct stream *s)
{
	uint64_t n = s->cli.sent;
	if (s->rsp.data)
		n += s->rsp.tail - s->rsp.head;
	if (s->txn && s->txn->lout)
		n += s->txn->lout_len - s->txn->lout_off;
	return n;
}

void log_txn_begin(struct stream *s)
{
	struct strm_log *l = &s->log;
	free(l->reqline);
	free(l->uid);
	l->reqline = l->uid = NULL;
	l->t_idle = curthr->now_ms;
	l->t_req = l->t_hdr = l->t_ready = l->t_conn = l->t_est = l->t_rsp = 0;
	l->base_in = s->bytes_in;
	l->base_out = log_bytes_to_client(s);
	l->srv = NULL;
	l->retries = l->redispatched = l->srv_queue = l->be_queue = 0;
	l->term[0] = l->term[1] = 0;
	l->logged = l->first_txn = l->asap = l->level = 0;
	l->id = atomic_fetch_add(&request_counter, 1);
	if (s->txn && s->txn->cin.tail > s->txn->cin.head)
		log_request_start(s); /* a pipelined request is already there */
}

void log_request_start(struct stream *s)
{
	if (s->log.t_req)
		return;
	s->log.t_req = curthr->now_ms;
	gettimeofday(&s->log.req_date, NULL);
}

void log_request_head(struct stream *s, const char *line, size_t len)
{
	struct strm_log *l = &s->log;
	if (!l->t_req)
		log_request_start(s);
	if (!l->t_hdr)
		l->t_hdr = curthr->now_ms;
	if (l->reqline)
		return;
	const char *eol = memchr(line, '\n', len);
	size_t n = eol ? (size_t)(eol - line) : len;
	if (n && line[n - 1] == '\r')
		n--;
	size_t max = global_log.uri_len_set ? (size_t)global_log.uri_len : 1024;
	if (n > max) /* tune.http.logurilen */
		n = max;
	l->reqline = xstrndup(line, n);
}

void log_set_term(struct stream *s, char cause, char state)
{
	if (s->log.term[0])
		return;
	s->log.term[0] = cause;
	s->log.term[1] = state;
}

void log_set_term_rule(struct stream *s, char cause)
{
	log_set_term(s, cause, s->log.t_rsp ? 'H' : 'R');
}

/* HAProxy's letter for the stream state when it ended. */
static char state_letter(const struct stream *s)
{
	switch (s->state) {
	case ST_PROXY_HDR:
	case ST_TLS_HS:
	case ST_INSPECT:
	case ST_HTTP_REQ:
		return 'R';
	case ST_QUEUED:
		return 'Q';
	case ST_ASSIGN:
	case ST_TURNAROUND:
	case ST_CONNECTING:
		return 'C';
	case ST_TARPIT:
		return 'T';
	case ST_ESTABLISHED:
		return stream_is_http(s) && !s->log.t_rsp ? 'H' : 'D';
	default:
		return 'D';
	}
}

void log_set_term_cause(struct stream *s, int why)
{
	static const char cause[] = {
	    [TERM_NONE] = '-',    [TERM_CLI_TO] = 'c',   [TERM_SRV_TO] = 's',
	    [TERM_CLI_ERR] = 'C', [TERM_SRV_ERR] = 'S',  [TERM_CONN_FAIL] = 'S',
	    [TERM_NO_SRV] = 'S',  [TERM_QUEUE_TO] = 's', [TERM_PROXY_HDR] = 'P',
	    [TERM_TLS_HS] = 'C',  [TERM_KILLED] = 'K',   [TERM_DOWN] = 'D',
	    [TERM_UP] = 'U'};
	if (why < 0 || why > TERM_UP)
		return;
	log_set_term(s, cause[why], why == TERM_NONE ? '-' : state_letter(s));
}

/* Whether the line reports an error (log-separate-errors, dontlog-normal),
 * as HAProxy decides: a termination cause other than none or a local
 * answer ('L'), retried connections of a transaction that ended normally, or
 * a 5xx status.
 */
static int line_is_error(const struct stream *s)
{
	char cause = s->log.term[0] ? s->log.term[0] : '-';
	if (cause != '-' && cause != 'L')
		return 1;
	if (cause == '-' && s->attempts > 1)
		return 1;
	return s->txn && s->txn->status >= 500;
}

/* Renders and sends the line of the current transaction, at the level a
 * set-log-level rule chose (none for "silent"), else at info (err for an
 * error with log-separate-errors).
 */
static void emit_line(struct stream *s)
{
	const struct px_log *pl = &s->fe->conf->log;
	int err = line_is_error(s);
	if ((pl->flags & PXL_DONTLOG_NORMAL) && !err)
		return;
	if (s->log.level < 0)
		return; /* set-log-level silent */
	char cause = s->log.term[0] ? s->log.term[0] : '-';
	if ((pl->flags & PXL_DONTLOGNULL) && s->bytes_in == s->log.base_in &&
	    (cause == '-' || cause == 'C' || cause == 'c'))
		return; /* a silent client; failures on our side are always logged */
	static __thread char line[LOG_LINE_MAX], sd[1024];
	struct smp_ctx ctx = {.strm = s, .opt = SMP_OPT_FINAL | SMP_OPT_RES};
	size_t len = logfmt_render(pl->lf, &ctx, line, sizeof(line));
	size_t sdlen = pl->lf_sd ? logfmt_render(pl->lf_sd, &ctx, sd, sizeof(sd)) : 0;
	int level = err && (pl->flags & PXL_SEPARATE_ERRORS) ? LOG_LVL_ERR : LOG_LVL_INFO;
	if (s->log.level > 0)
		level = s->log.level - 1;
	atomic_fetch_add(&s->fe->log_count, 1);
	log_send(pl->targets, level, log_tag_of(pl), sdlen ? sd : NULL, sdlen, line, len);
}

void log_asap(struct stream *s)
{
	const struct px_log *pl = &s->fe->conf->log;
	if (!(pl->flags & PXL_LOGASAP) || s->log.logged || !pl->lf || !pl->targets)
		return;
	s->log.logged = s->log.asap = 1;
	emit_line(s);
}

void log_txn_end(struct stream *s)
{
	if (s->log.logged)
		return;
	s->log.logged = 1;
	if (s->txn) /* the messages' bytes may be gone: fetches must not read them */
		s->txn->req_valid = s->txn->rsp_valid = 0;
	if (s->fe->conf->log.targets && s->fe->conf->log.lf)
		emit_line(s);
}

void log_stream_end(struct stream *s)
{
	if (!s->log.t_hs || s->log.logged)
		return; /* refused before the session existed, or already logged */
	if (stream_is_http(s) && !s->log.first_txn && !s->log.t_req)
		return; /* a kept-alive connection closed between requests */
	log_set_term(s, '-', '-');
	log_txn_end(s);
}

void log_stream_free(struct stream *s)
{
	free(s->log.reqline);
	free(s->log.uid);
	s->log.reqline = s->log.uid = NULL;
}

const char *log_unique_id(struct stream *s)
{
	const struct logfmt *lf = s->fe->conf->log.lf_uid;
	if (!lf)
		return NULL;
	if (!s->log.uid) {
		char buf[UNIQUE_ID_MAX];
		struct smp_ctx ctx = {.strm = s, .opt = SMP_OPT_FINAL};
		size_t n = logfmt_render(lf, &ctx, buf, sizeof(buf) - 1);
		s->log.uid = xstrndup(buf, n);
	}
	return s->log.uid;
}

/* unique-id: the transaction's unique id (unique-id-format). */
static int fetch_unique_id(const struct arg *args, struct sample *smp, const char *kw,
                           const void *priv)
{
	struct stream *s = smp->ctx ? smp->ctx->strm : NULL;
	const char *id = s ? log_unique_id(s) : NULL;
	if (!id)
		return 0;
	smp->type = SMP_T_STR;
	smp->flags = SMP_F_CONST;
	smp->u.str.ptr = (char *)id;
	smp->u.str.len = strlen(id);
	return 1;
}

static const struct smp_fetch_kw log_fetches[] = {
    {"unique-id", fetch_unique_id, ARGS0, NULL, SMP_T_STR, SMP_USE_HRQHP, NULL},
};
SMP_REGISTER_FETCHES(log_fetches)
