/* The TLS handshake of client streams: start, progress on the event loop,
 * failure logs and counters.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "conf/log.h"
#include "conf/model-t.h"
#include "worker/log.h"
#include "worker/stream.h"
#include "worker/tls-hs.h"
#include "worker/tls-verify.h"
#include "worker/tls.h"

/* One slot per thread, written by its thread only. */
struct tls_thr_stats {
	_Atomic unsigned long long cum, done, reused, failed, cur;
} __attribute__((aligned(64)));

static struct tls_thr_stats thr_stats[MAX_THREADS];

static struct tls_thr_stats *my_stats(void)
{
	return &thr_stats[curthr ? curthr->id % MAX_THREADS : 0];
}

static void bump(_Atomic unsigned long long *c, long long d)
{
	atomic_store_explicit(c,
	                      atomic_load_explicit(c, memory_order_relaxed) + (unsigned long long)d,
	                      memory_order_relaxed);
}

void tls_stats_sum(struct tls_stats *out)
{
	*out = (struct tls_stats){0};
	for (int i = 0; i < MAX_THREADS; i++) {
		out->cum += atomic_load_explicit(&thr_stats[i].cum, memory_order_relaxed);
		out->done += atomic_load_explicit(&thr_stats[i].done, memory_order_relaxed);
		out->reused += atomic_load_explicit(&thr_stats[i].reused, memory_order_relaxed);
		out->failed += atomic_load_explicit(&thr_stats[i].failed, memory_order_relaxed);
		out->cur += atomic_load_explicit(&thr_stats[i].cur, memory_order_relaxed);
	}
}

int tls_hs_start(struct stream *s)
{
	if (!s->lst->tls)
		return 0;
	if (tls_side_start(&s->cli, s->lst->tls) < 0)
		return -1;
	bump(&my_stats()->cur, 1);
	bump(&my_stats()->cum, 1);
	s->cli.tls_counted = 1;
	if (s->state != ST_PROXY_HDR)
		s->state = ST_TLS_HS;
	/* the handshake is bounded by "timeout client" (set at accept) */
	return 0;
}

/* Reads and drops what the client already sent on <fd>, so that closing
 * it after a failed handshake sends a FIN after the alert, not a reset
 * that could make the client lose the alert (HAProxy drains too).
 */
static void drain_input(int fd)
{
	char buf[4096];
	for (int i = 0; i < 16; i++)
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
}

int tls_hs_step(struct stream *s)
{
	int why = 0;
	int r = tls_handshake(&s->cli, &why);
	if (r == 0) {
		stream_arm_timer(s);
		return 0;
	}
	if (r < 0) {
		drain_input(s->cli.fd);
		s->tls_hs_why = why;
		stream_end_cause(s, TERM_TLS_HS);
		return -1;
	}
	bump(&my_stats()->done, 1);
	if (tls_session_reused(&s->cli))
		bump(&my_stats()->reused, 1);
	const struct px_timeouts *to = &s->fe->conf->to;
	s->cli_exp = deadline(stream_is_http(s) && to->http_request ? to->http_request : stream_to_client(s));
	return 1;
}

void tls_side_uncount(struct side *sd)
{
	if (sd->tls_counted)
		bump(&my_stats()->cur, -1);
	sd->tls_counted = 0;
}

/* The listener's name, or its rank on the frontend as HAProxy prints it. */
static const char *listener_name(const struct stream *s, char *buf, size_t len)
{
	const struct bind_conf *b = s->lst->bind;
	if (b->name)
		return b->name;
	int id = 1;
	for (const struct bind_conf *c = s->fe->conf->binds; c && c != b; c = c->next)
		id++;
	snprintf(buf, len, "%d", id);
	return buf;
}

static void addr_port(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "unix";
	int port = 0;
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	}
	snprintf(buf, len, "%s:%d", a, port);
}

static const char *failure_text(const struct stream *s, int why, int hs_why)
{
	struct tls_verify_state vs;
	if (why == TERM_CLI_TO)
		return "Timeout during SSL handshake";
	if (why != TERM_TLS_HS)
		return NULL; /* killed, soft stop: not a handshake failure */
	switch (hs_why) {
	case TLS_HS_EMPTY:
		return "Connection closed during SSL handshake";
	case TLS_HS_ABORT:
		return "Connection error during SSL handshake";
	default:
		tls_verify_get(&s->cli, &vs);
		if (vs.fail == 1)
			return "SSL client CA chain cannot be verified";
		if (vs.fail == 2)
			return "SSL client certificate not trusted";
		return "SSL handshake failure";
	}
}

void tls_hs_aborted(struct stream *s, int why)
{
	const char *msg = failure_text(s, why, s->tls_hs_why);
	if (!msg)
		return;
	bump(&my_stats()->failed, 1);
	const struct proxy *fe = s->fe->conf;
	if (!fe->log.targets)
		return;
	/* with dontlognull, a client that sent nothing (or reset) is not logged */
	if ((fe->log.flags & PXL_DONTLOGNULL) && why == TERM_TLS_HS &&
	    (s->tls_hs_why == TLS_HS_EMPTY || s->tls_hs_why == TLS_HS_ABORT))
		return;
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t sec = s->log.accept_date.tv_sec;
	localtime_r(&sec, &tm);
	char src[INET6_ADDRSTRLEN + 8], lname[16];
	addr_port(&s->cli_addr, src, sizeof(src));
	log_px_printf(fe, LOG_LVL_INFO, "%s [%02d/%s/%04d:%02d:%02d:%02d.%03d] %s/%s: %s", src,
	              tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	              tm.tm_sec, (int)(s->log.accept_date.tv_usec / 1000), fe->id,
	              listener_name(s, lname, sizeof(lname)), msg);
}
