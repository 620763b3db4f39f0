#include "worker/log.h"
#include "worker/check.h"
#include "worker/check-ssl.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/rcu.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "conf/parser.h"
#include "common/units.h"
#include "worker/check-http.h"
#include "worker/check-tcp.h"
#include "worker/loop.h"
#include "worker/observe.h"
#include "worker/runtime.h"
#include "worker/slowstart.h"
#include "worker/srv-addr.h"
#include "worker/srv-list.h"
#include <urcu-qsbr.h>

#define DEF_INTER 2000
#define DEF_RISE 2
#define DEF_FALL 3

struct check {
	struct ev_handler h;
	struct timer t;
	struct srv_rt *srv;
	int fd;
	uint64_t started;
	struct check_state st;   /* working copy: the check's thread only */
	struct check_state *pub; /* its last published copy (check_state_publish()) */
	int http;                /* connected: HTTP exchange under way (option httpchk) */
	struct hchk_io io;       /* its request and response */
	int healthy;             /* the check's own verdict (the agent may hold the server down) */
	int tcp;                 /* a tcp-check run is under way */
	int fast_once;           /* on-error: the next check comes after "fastinter" */
	int paused;              /* "disable health": no checks run, the last result is ignored */
	int forced_nolb;         /* "set server health stopping": checks do not end it */
	int rt_port;             /* "set server check-port", 0: the configured one */
	int rt_addr_set;         /* "set server check-addr" */
	struct hl_addr rt_addr;
	struct tchk_io tio;
	struct check_smp smp; /* sample context of the run under way */
	int pp;               /* PROXY protocol version sent first on connect, 0: none */
	struct ssl_st *ssl;   /* TLS of the connection (check-ssl), NULL: clear text */
	_Atomic int running;  /* an attempt is under way (read by show stat) */
	int tls_hs;           /* the TLS handshake is under way */
};

/* The TLS settings of the checks of <ck>'s server, NULL: clear text. */
static const struct tls_srv_cfg *check_tls_cfg(const struct check *ck)
{
	return ck->srv->conf->cfg.check_tls;
}

/* Closes the connection of <ck>, if any, with its TLS state. */
static void close_conn(struct check *ck)
{
	check_tls_free(ck->ssl);
	ck->ssl = NULL;
	ck->io.ssl = NULL;
	ck->tls_hs = 0;
	if (ck->fd >= 0) {
		close(ck->fd);
		ck->fd = -1;
	}
}

static struct check **checks; /* indexed by global server index, NULL without check */
static int nb_checks_slots;

/* Spread of the first checks and agents, computed by checks_init() */
static int *first_pos;      /* by global server index: position of its first check */
static int nb_spread;       /* number of health and agent checks */
static uint32_t spread_min; /* smallest interval of at least SPREAD_THRES among them, 0: none */

#define SPREAD_THRES 1000 /* shorter intervals do not dictate the spread */

static uint32_t inter_of(const struct server_cfg *c)
{
	return c->inter ? c->inter : DEF_INTER;
}

/* A pseudo-random 64-bit number from a per-thread generator (splitmix64
 * seeded from the clock and the thread): only for the check jitter.
 */
static uint64_t jitter_rand(void)
{
	static _Thread_local uint64_t state;
	if (!state) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		state = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ (uintptr_t)&state;
	}
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t check_spread(uint32_t inter)
{
	int pct = rt.cfg->global.spread_checks;
	if (pct <= 0)
		return inter;
	uint64_t rv = (uint64_t)inter * (uint64_t)pct / 100;
	return (uint32_t)(inter - rv + jitter_rand() % (2 * rv + 1));
}

/* Interval before the next check, per the server's state, jittered by
 * "spread-checks".
 */
static uint32_t next_interval(const struct check *ck)
{
	const struct server_cfg *c = &ck->srv->conf->cfg;
	uint32_t i = inter_of(c);
	if (!ck->healthy)
		i = c->downinter ? c->downinter : inter_of(c);
	else if (ck->st.consecutive || ck->fast_once)
		i = c->fastinter ? c->fastinter : inter_of(c);
	return check_spread(i);
}

/* A published copy of a check state, freed after a grace period. */
struct check_snap {
	struct check_state st;
	struct rcu_head rcu;
};

static void snap_free_cb(struct rcu_head *h)
{
	free(caa_container_of(h, struct check_snap, rcu));
}

void check_state_publish(struct check_state **slot, const struct check_state *st)
{
	const struct check_state *cur = *slot; /* no other thread writes it */
	if (cur && !memcmp(cur, st, sizeof(*st)))
		return;
	struct check_snap *v = xmalloc(sizeof(*v));
	memcpy(&v->st, st, sizeof(*st));
	struct check_state *old = hl_rcu_xchg(*slot, &v->st);
	if (old)
		hl_call_rcu(&caa_container_of(old, struct check_snap, st)->rcu, snap_free_cb);
}

void check_state_release(struct check_state **slot)
{
	struct check_state *old = hl_rcu_xchg(*slot, NULL);
	if (old)
		free(caa_container_of(old, struct check_snap, st));
}

/* Publishes the state of <ck> for the readers on other threads. */
static void publish(struct check *ck)
{
	check_state_publish(&ck->pub, &ck->st);
}

const char *check_result_str(enum check_result r)
{
	switch (r) {
	case CHK_L4OK:
		return "L4OK";
	case CHK_L4CON:
		return "L4CON";
	case CHK_L4TOUT:
		return "L4TOUT";
	case CHK_L6OK:
		return "L6OK";
	case CHK_L6RSP:
		return "L6RSP";
	case CHK_L6TOUT:
		return "L6TOUT";
	case CHK_SOCKERR:
		return "SOCKERR";
	case CHK_CHECKED:
		return "CHECKED";
	case CHK_L7OK:
		return "L7OK";
	case CHK_L7OKC:
		return "L7OKC";
	case CHK_L7STS:
		return "L7STS";
	case CHK_L7RSP:
		return "L7RSP";
	case CHK_L7TOUT:
		return "L7TOUT";
	case CHK_HANA:
		return "HANA";
	default:
		return "INI";
	}
}

const char *check_result_desc(enum check_result r)
{
	static const char *const desc[] = {
	    [CHK_NONE] = "Initializing",
	    [CHK_L4OK] = "Layer4 check passed",
	    [CHK_L4CON] = "Layer4 connection problem",
	    [CHK_L4TOUT] = "Layer4 timeout",
	    [CHK_L6OK] = "Layer6 check passed",
	    [CHK_L6RSP] = "Layer6 invalid response",
	    [CHK_L6TOUT] = "Layer6 timeout",
	    [CHK_SOCKERR] = "Socket error",
	    [CHK_CHECKED] = "No status change",
	    [CHK_L7OK] = "Layer7 check passed",
	    [CHK_L7OKC] = "Layer7 check conditionally passed",
	    [CHK_L7STS] = "Layer7 wrong status",
	    [CHK_L7RSP] = "Layer7 invalid response",
	    [CHK_L7TOUT] = "Layer7 timeout",
	    [CHK_HANA] = "Health analyze",
	};
	return desc[r];
}

enum check_result check_result_by_name(const char *name)
{
	for (int r = CHK_L4OK; r < CHK_NB_RESULTS; r++)
		if (!strcmp(name, check_result_str((enum check_result)r)))
			return (enum check_result)r;
	return CHK_NONE;
}

int check_result_has_code(enum check_result r)
{
	return r == CHK_L7OK || r == CHK_L7OKC || r == CHK_L7STS;
}

/* Writes ", code: N, info: \"...\"" for result <st>, as HAProxy logs it:
 * quotes and bytes that are not printable ASCII in the info become <XX>.
 */
static void result_details(const struct check_state *st, char *out, size_t len)
{
	size_t n = check_result_has_code(st->last)
	               ? (size_t)snprintf(out, len, ", code: %d", st->code)
	               : 0;
	out[n] = 0;
	if (!st->info[0])
		return;
	n += (size_t)snprintf(out + n, len - n, ", info: \"");
	for (const unsigned char *p = (const unsigned char *)st->info; *p && n + 6 < len; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '"')
			n += (size_t)snprintf(out + n, len - n, "<%02X>", *p);
		else
			out[n++] = (char)*p;
	}
	snprintf(out + n, len - n, "\"");
}

void check_count_usable(const struct be_rt *be, int *act, int *bck)
{
	*act = *bck = 0;
	const struct srv_list *l = be_servers(be);
	for (int i = 0; i < l->n; i++) {
		const struct srv_rt *s = l->v[i];
		if (!atomic_load(&s->oper_up) || atomic_load(&s->oper_nolb) ||
		    (atomic_load(&s->admin) & (SRV_ADMIN_MAINT | SRV_ADMIN_DRAIN)))
			continue;
		s->backup ? (*bck)++ : (*act)++;
	}
}

void check_report_no_server(const struct be_rt *be)
{
	ha_alert("backend '%s' has no server available!\n", be->conf->id);
	log_px_printf(be->conf, LOG_LVL_EMERG, "backend %s has no server available!", be->conf->id);
}

const char *check_srv_kind(const struct srv_rt *s)
{
	return s->backup ? "Backup " : "";
}

const char *check_backup_note(int act, int bck)
{
	return bck && !act ? " Running on backup." : "";
}

/* Logs a state change of server <s> to <what> ("UP", "DOWN", "stopping")
 * in HAProxy's words, result <st> being the reason and <act>/<bck> the
 * usable servers.
 */
static void log_change(const struct srv_rt *s, const struct check_state *st, const char *what,
                       int act, int bck)
{
	char det[4 * sizeof(st->info) + 80];
	if (st->changed_by) { /* asked for, not the result of a check */
		int down = !strcmp(what, "DOWN");
		log_event(s->be->conf, down ? LOG_LVL_ALERT : LOG_LVL_NOTICE, MSG_WARNING,
		          "%sServer %s/%s is %s, changed from %s. %d active and %d backup servers "
		          "%s.%s %d sessions %s.\n",
		          check_srv_kind(s), s->be->conf->id, s->conf->id, what, st->changed_by,
		          act, bck, down ? "left" : "online", check_backup_note(act, bck),
		          down ? atomic_load(&s->cur_conns) : 0,
		          down ? "active, 0 requeued, 0 remaining in queue"
		               : "requeued, 0 total in queue");
		return;
	}
	result_details(st, det, sizeof(det));
	if (s->be->conf->log.flags & PXL_LOG_HEALTH_CHECKS) { /* the reason was logged already */
		int down = !strcmp(what, "DOWN");
		log_event(s->be->conf, down ? LOG_LVL_ALERT : LOG_LVL_NOTICE, MSG_WARNING,
		          "%sServer %s/%s is %s. %d active and %d backup servers %s.%s %d sessions "
		          "%s.\n",
		          check_srv_kind(s), s->be->conf->id, s->conf->id, what, act, bck,
		          down ? "left" : "online", check_backup_note(act, bck),
		          down ? atomic_load(&s->cur_conns) : 0,
		          down ? "active, 0 requeued, 0 remaining in queue"
		               : "requeued, 0 total in queue");
		return;
	}
	if (st->last != CHK_HANA) /* a simulated failure has no duration */
		snprintf(det + strlen(det), sizeof(det) - strlen(det), ", check duration: %ums",
		         st->duration_ms);
	if (strcmp(what, "DOWN") != 0)
		log_event(s->be->conf, LOG_LVL_NOTICE, MSG_WARNING,
		          "%sServer %s/%s is %s, reason: %s%s. %d active and %d "
		          "backup servers online.%s 0 sessions requeued, %d total in queue.\n",
		          check_srv_kind(s), s->be->conf->id, s->conf->id, what,
		          check_result_desc(st->last), det, act, bck, check_backup_note(act, bck),
		          atomic_load(&s->be->queued));
	else
		log_event(
		    s->be->conf, LOG_LVL_ALERT, MSG_WARNING,
		    "%sServer %s/%s is DOWN, reason: %s%s. %d active and "
		    "%d backup servers left.%s %d sessions active, 0 requeued, 0 remaining in "
		    "queue.\n",
		    check_srv_kind(s), s->be->conf->id, s->conf->id, check_result_desc(st->last),
		    det, act, bck, check_backup_note(act, bck), atomic_load(&s->cur_conns));
}

/* Sets the NOLB state of an UP server (http-check disable-on-404). */
static void set_nolb(struct check *ck, int nolb)
{
	struct srv_rt *s = ck->srv;
	int act, bck;
	if (!atomic_load(&s->oper_up) || atomic_exchange(&s->oper_nolb, nolb) == nolb)
		return;
	ck->st.last_change = (long)time(NULL);
	publish(ck);
	backend_publish(s->be);
	check_count_usable(s->be, &act, &bck);
	log_change(s, &ck->st, nolb ? "stopping" : "UP", act, bck);
	if (nolb && !act && !bck)
		check_report_no_server(s->be);
}

/* Moves server <s> UP or DOWN, for the reason in <why>; <ck> is its health
 * check (NULL without one), whose counters follow the change.
 */
static void transition(struct srv_rt *s, struct check *ck, const struct check_state *why, int up)
{
	long now = (long)time(NULL);
	int act, bck;

	int was_nolb =
	    atomic_exchange(&s->oper_nolb, up && ck && ck->healthy && ck->st.last == CHK_L7OKC);
	atomic_store(&s->oper_up, up);
	if (up)
		slowstart_begin(s);
	if (ck && up) {
		ck->st.downtime_s += ck->st.down_since ? (uint64_t)(now - ck->st.down_since) : 0;
		ck->st.down_since = 0;
	} else if (ck) {
		ck->st.downs++;
		ck->st.down_since = now;
	}
	if (ck) {
		ck->st.last_change = now;
		publish(ck);
	}
	backend_publish(s->be);
	check_count_usable(s->be, &act, &bck);
	log_change(s, why, up ? "UP" : "DOWN", act, bck);
	if (!up && !was_nolb && !act && !bck)
		check_report_no_server(s->be);
	if (up)
		observe_marked_up(s);
	else
		observe_marked_down(s);
	check_propagate(s);
}

/* The health check of <ck> changed its verdict: the server follows unless
 * its agent holds it down.
 */
static void change_state(struct check *ck, int up)
{
	ck->healthy = up;
	int eff = up && !agent_holds_down(ck->srv);
	if (eff != atomic_load(&ck->srv->oper_up))
		transition(ck->srv, ck, &ck->st, eff);
}

/* The check of server <s>, NULL when it has none. */
static struct check *check_find(const struct srv_rt *s);

void check_agent_verdict(struct srv_rt *s, int agent_up, const struct check_state *why)
{
	struct check *ck = check_find(s);
	int eff = agent_up && (!ck || ck->healthy);
	if (eff != atomic_load(&s->oper_up))
		transition(s, ck, why, eff);
}

static int result_ok(enum check_result r)
{
	return r == CHK_L4OK || r == CHK_L6OK || r == CHK_L7OK || r == CHK_L7OKC;
}

/* option log-health-checks: a result that differs from the previous one
 * is logged with the health counters, in HAProxy's words.
 */
static void log_health_check(const struct check *ck, int changed, int healthy, int consecutive)
{
	const struct srv_rt *s = ck->srv;
	const struct server_cfg *c = &s->conf->cfg;
	if (!changed || !(s->be->conf->log.flags & PXL_LOG_HEALTH_CHECKS))
		return;
	int rise = c->rise ? c->rise : DEF_RISE, fall = c->fall ? c->fall : DEF_FALL;
	char det[4 * sizeof(ck->st.info) + 40];
	result_details(&ck->st, det, sizeof(det));
	int ok = result_ok(ck->st.last);
	log_px_printf(s->be->conf, LOG_LVL_NOTICE,
	              "Health check for %sserver %s/%s %s, reason: %s%s, check duration: %ums, "
	              "status: %d/%d %s.",
	              s->backup ? "backup " : "", s->be->conf->id, s->conf->id,
	              ck->st.last == CHK_L7OKC ? "conditionally succeeded"
	              : ok                     ? "succeeded"
	                                       : "failed",
	              check_result_desc(ck->st.last), det, ck->st.duration_ms,
	              healthy ? fall - consecutive : consecutive, healthy ? fall : rise,
	              healthy ? "UP" : "DOWN");
}

/* Counts one result and changes state after rise/fall of them in a row. */
static void count_result(struct check *ck, enum check_result r)
{
	const struct server_cfg *c = &ck->srv->conf->cfg;
	int up = ck->healthy;
	int ok = result_ok(r);
	int changed = ck->st.last == CHK_NONE || result_ok(ck->st.last) != ok ||
	              (ck->st.last == CHK_L7OKC) != (r == CHK_L7OKC);

	ck->st.last = r;
	if (r != CHK_HANA)
		ck->st.duration_ms = (uint32_t)(curthr->now_ms - ck->started);
	if (!ok)
		ck->st.checks_failed++;
	if (ok == up) {
		ck->st.consecutive = 0;
		log_health_check(ck, changed, up, 0);
		if (up && !ck->forced_nolb)
			set_nolb(ck, r == CHK_L7OKC);
		return;
	}
	ck->st.consecutive++;
	int needed = up ? (c->fall ? c->fall : DEF_FALL) : (c->rise ? c->rise : DEF_RISE);
	if (ck->st.consecutive < needed) {
		log_health_check(ck, changed, up, ck->st.consecutive);
		return;
	}
	ck->st.consecutive = 0;
	log_health_check(ck, changed, !up, 0); /* the result first, then the change */
	change_state(ck, !up);
}

/* Records one result (its info and code set in the working copy) and
 * publishes the new state.
 */
static void record(struct check *ck, enum check_result r)
{
	count_result(ck, r);
	publish(ck);
}

/* Ends the current attempt and schedules the next one. */
static void finish(struct check *ck, enum check_result r)
{
	close_conn(ck);
	atomic_store_explicit(&ck->running, 0, memory_order_relaxed);
	ck->http = 0;
	ck->tcp = 0;
	check_smp_end(&ck->smp);
	record(ck, r);
	timer_set(&ck->t, curthr->now_ms + next_interval(ck));
	ck->fast_once = 0;
}

/* Ends a tcp-check run with result <res>. */
static void finish_tcp(struct check *ck, const struct tchk_res *res)
{
	ck->st.code = res->code;
	memcpy(ck->st.info, res->info, sizeof(ck->st.info));
	finish(ck, res->r);
}

/* The connection is established: "timeout check", when set, bounds the
 * rest of the check from now on (HAProxy's additional read timeout).
 */
static void connected_timeout(struct check *ck)
{
	uint32_t to = ck->srv->be->conf->to.check;
	if (to)
		timer_set(&ck->t, curthr->now_ms + to);
}

/* Progresses the HTTP exchange of a connected check; finishes it when done. */
static void http_step(struct check *ck)
{
	int code;
	char info[sizeof(ck->st.info)];
	enum check_result r = hchk_io(&ck->io, ck->fd, ck->srv, &code, info, sizeof(info));
	if (r == CHK_NONE)
		return; /* the last result stays readable meanwhile */
	ck->st.code = code;
	memcpy(ck->st.info, info, sizeof(info));
	finish(ck, r);
}

/* The TCP connection is up: starts the HTTP exchange (option httpchk). */
static void http_start(struct check *ck)
{
	ck->http = 1;
	connected_timeout(ck);
	hchk_prepare(&ck->io, ck->srv, &ck->smp);
	ck->io.ssl = ck->ssl;
	loop_mod(ck->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &ck->h);
	http_step(ck);
}

/* Progresses the TLS handshake of a connected check: once done, the HTTP
 * exchange starts (option httpchk) or the check passes at layer 6.
 */
static void tls_step(struct check *ck)
{
	char info[sizeof(ck->st.info)];
	int r = check_tls_handshake(ck->ssl, info, sizeof(info));
	if (r == 0)
		return;
	ck->tls_hs = 0;
	if (r < 0) {
		memcpy(ck->st.info, info, sizeof(info));
		ck->st.code = 0;
		finish(ck, CHK_L6RSP);
		return;
	}
	if (ck->srv->be->conf->httpchk.enabled) {
		http_start(ck);
		return;
	}
	ck->st.info[0] = 0;
	ck->st.code = 0;
	finish(ck, CHK_L6OK);
}

/* The TCP connection of a TLS check is up: starts the handshake, which
 * "timeout connect" still bounds, as in HAProxy.
 */
static void tls_start(struct check *ck)
{
	ck->ssl = check_tls_new(check_tls_cfg(ck), ck->fd);
	if (!ck->ssl) {
		snprintf(ck->st.info, sizeof(ck->st.info), "%s", strerror(ENOMEM));
		ck->st.code = 0;
		finish(ck, CHK_SOCKERR);
		return;
	}
	ck->tls_hs = 1;
	loop_mod(ck->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &ck->h);
	tls_step(ck);
}

/* Events on a tcp-check connection. */
static void tcp_event(struct check *ck, uint32_t ev)
{
	struct tchk_res res;
	int was = ck->tio.connected;
	if (tchk_event(&ck->tio, ev, &res)) {
		finish_tcp(ck, &res);
		return;
	}
	if (!was && ck->tio.connected)
		connected_timeout(ck);
}

static void check_io_cb(struct ev_handler *h, uint32_t ev)
{
	struct check *ck = caa_container_of(h, struct check, h);
	int err = 0;
	socklen_t len = sizeof(err);
	if (ck->fd < 0)
		return;
	if (ck->tcp) {
		tcp_event(ck, ev);
		return;
	}
	if (ck->http) {
		http_step(ck);
		return;
	}
	if (ck->tls_hs) {
		tls_step(ck);
		return;
	}
	if (getsockopt(ck->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (!err && !(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return;
	if (!err && ck->pp && check_send_pp(ck->fd, ck->pp) < 0) {
		snprintf(ck->st.info, sizeof(ck->st.info), "%s", strerror(errno));
		ck->st.code = 0;
		finish(ck, CHK_SOCKERR);
		return;
	}
	if (!err && check_tls_cfg(ck)) {
		tls_start(ck);
		return;
	}
	if (!err && ck->srv->be->conf->httpchk.enabled) {
		http_start(ck); /* the last result stays readable meanwhile */
		return;
	}
	snprintf(ck->st.info, sizeof(ck->st.info), "%s", err ? strerror(err) : "");
	ck->st.code = 0;
	finish(ck, err ? CHK_L4CON : CHK_L4OK);
}

/* Address the check connects to: "addr" and "port" override the server's,
 * and connect rule <r> (when not NULL) overrides both.
 */
static socklen_t check_target(const struct check *ck, const struct tcpchk_rule *r,
                              struct sockaddr_storage *ss)
{
	const struct server_cfg *c = &ck->srv->conf->cfg;
	const struct hl_addr *a = ck->rt_addr_set     ? &ck->rt_addr
	                          : c->check_addr_set ? &c->check_addr
	                                              : srv_addr(ck->srv);
	uint16_t port = ck->rt_port     ? (uint16_t)ck->rt_port
	                : c->check_port ? (uint16_t)c->check_port
	                                : srv_addr(ck->srv)->port_lo;
	if (r && r->addr_set)
		a = &r->addr;
	if (r && r->port)
		port = (uint16_t)r->port;
	return addr_sockaddr_port(a, port, ss);
}

/* Whether nothing is exchanged on a connection before the run closes it
 * or opens another: <next> is the first rule after its connect (NULL: none).
 */
static int idle_after(const struct tcpchk_rule *next)
{
	while (next && (next->act == TCA_COMMENT || next->act == TCA_VAR))
		next = next->next;
	return !next || next->act == TCA_CONNECT;
}

/* Sets how the check connection <fd> ends, as HAProxy does: with a reset
 * unless the connect rule <r> says "linger" (then a clean close); and when
 * nothing is exchanged (<idle>), the last ACK of the handshake is held back
 * so that the reset cancels the connection before the server accepts it.
 */
static void conn_manners(int fd, const struct tcpchk_rule *r, int idle)
{
	if (!r || !r->linger) {
		struct linger l = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	if (idle) {
		int zero = 0;
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero));
	}
}

/* Version of the PROXY protocol header sent first on a check connection
 * opened for connect rule <r> (NULL: the implicit one), 0: none. As with
 * HAProxy: v2 when the server sends v2, else v1; an explicit rule sends one
 * only with its "send-proxy" option unless it says "default"; the implicit
 * connection (and "default") sends one with "check-send-proxy", or when the
 * server sends one and the check keeps its address and port.
 */
static int pp_version(const struct check *ck, const struct tcpchk_rule *r)
{
	const struct server_cfg *c = &ck->srv->conf->cfg;
	int v = c->send_proxy == 2 ? 2 : 1;
	if (r && r->send_proxy)
		return v;
	if (r && !r->dflt)
		return 0;
	if (c->check_send_proxy || (c->send_proxy && !c->check_port && !c->check_addr_set))
		return v;
	return 0;
}

/* Opens a non-blocking connection to the check target (connect rule <r>
 * or the defaults), replacing the current one, and watches it. <idle>: no
 * byte will be exchanged on it. Returns 0, or -1 with errno set.
 */
static int open_conn(struct check *ck, const struct tcpchk_rule *r, int idle)
{
	struct sockaddr_storage ss;
	socklen_t sl = check_target(ck, r, &ss);
	close_conn(ck);
	ck->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ck->fd < 0)
		return -1;
	conn_manners(ck->fd, r, idle);
	if (connect(ck->fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(ck->fd);
		ck->fd = -1;
		errno = e;
		return -1;
	}
	loop_add(ck->fd, (ck->tcp ? EPOLLIN | EPOLLRDHUP : 0) | EPOLLOUT | EPOLLET, &ck->h);
	return 0;
}

/* The tcp-check engine's connection opener (see tchk_open_fn). */
static int tcp_open(void *ctx, const struct tcpchk_rule *r)
{
	struct check *ck = ctx;
	/* the implicit connection is followed by the rule under way */
	int idle = idle_after(r ? r->next : ck->tio.cur);
	ck->tio.pp = pp_version(ck, r);
	return open_conn(ck, r, idle && !ck->tio.pp) < 0 ? -1 : ck->fd;
}

/* Deadline of the connection phase: "inter", shortened to "timeout
 * connect" when "timeout check" is set too, as HAProxy does.
 */
static uint32_t connect_timeout(const struct check *ck)
{
	const struct px_timeouts *to = &ck->srv->be->conf->to;
	uint32_t t = inter_of(&ck->srv->conf->cfg);
	if (to->check && to->connect && to->connect < t)
		t = to->connect;
	return t;
}

/* Gives up on the attempt under way: it timed out. */
static void timed_out(struct check *ck)
{
	if (ck->tcp) {
		struct tchk_res res;
		tchk_timeout(&ck->tio, &res);
		finish_tcp(ck, &res);
		return;
	}
	ck->st.info[0] = 0; /* HAProxy gives no details for timeouts */
	ck->st.code = 0;
	finish(ck, ck->http ? hchk_tout_status(ck->srv) : ck->tls_hs ? CHK_L6TOUT : CHK_L4TOUT);
}

/* Timer: start an attempt, or give up on one that timed out. */
static void check_timer_cb(struct timer *t)
{
	struct check *ck = caa_container_of(t, struct check, t);
	const struct tcpchk_rule *rules;
	int proto;

	if (ck->fd >= 0) {
		timed_out(ck);
		return;
	}
	if (ck->paused)
		return; /* "enable health" starts them again */
	ck->started = curthr->now_ms;
	atomic_store_explicit(&ck->running, 1, memory_order_relaxed);
	timer_set(&ck->t, curthr->now_ms + connect_timeout(ck));
	check_smp_begin(&ck->smp, ck->srv);
	if (tchk_rules_of(ck->srv->be->conf, &rules, &proto)) {
		struct tchk_res res;
		ck->tcp = 1;
		ck->tio.open = tcp_open;
		ck->tio.ctx = ck;
		ck->tio.smp = &ck->smp;
		if (tchk_start(&ck->tio, rules, proto, &res))
			finish_tcp(ck, &res);
		return;
	}
	ck->pp = pp_version(ck, NULL);
	int idle = !ck->srv->be->conf->httpchk.enabled && !ck->pp && !check_tls_cfg(ck);
	if (open_conn(ck, NULL, idle) < 0) {
		snprintf(ck->st.info, sizeof(ck->st.info), "%s", strerror(errno));
		ck->st.code = 0;
		finish(ck, CHK_L4CON);
	}
}

/* Creates the health check of <s> on the current thread, which must be
 * its check thread; a <paused> one runs once "enable health" is issued.
 */
static void check_new(struct srv_rt *s, int paused)
{
	int g = s->gidx;
	struct check *ck = xcalloc(1, sizeof(*ck));
	ck->srv = s;
	ck->fd = -1;
	/* UP, unless a server state file said its checks had failed */
	ck->healthy = atomic_load(&s->oper_up);
	/* HAProxy starts a server UP at its lowest UP health: until a check
	 * passes, the first failure takes it down ("UP 1/3" meanwhile) */
	if (ck->healthy)
		ck->st.consecutive = (s->conf->cfg.fall ? s->conf->cfg.fall : DEF_FALL) - 1;
	ck->h.cb = check_io_cb;
	ck->paused = paused;
	timer_init(&ck->t, check_timer_cb);
	ck->st.last_change = atomic_load(&s->last_change);
	if (!ck->st.last_change)
		ck->st.last_change = (long)time(NULL);
	if (!ck->healthy)
		ck->st.down_since = ck->st.last_change;
	publish(ck);
	if (!paused)
		timer_set(&ck->t,
		          curthr->now_ms + 1 + check_first_delay(g, 0, inter_of(&s->conf->cfg)));
	__atomic_store_n(&checks[g], ck, __ATOMIC_RELEASE);
}

void checks_start_thread(void)
{
	for (int b = 0; b < rt.nbe; b++) {
		for (int i = 0; i < rt.bes[b].ncfg_srv; i++) {
			struct srv_rt *s = &rt.bes[b].cfg_srv[i];
			if (s->conf->cfg.check && s->gidx % rt.nbthread == curthr->id)
				check_new(s, 0);
		}
	}
	agents_start_thread();
}

struct check_free {
	struct rcu_head head;
	struct check *ck;
};

static void check_free_cb(struct rcu_head *h)
{
	struct check_free *f = caa_container_of(h, struct check_free, head);
	check_state_release(&f->ck->pub);
	free(f->ck);
	free(f);
}

/* Stops and frees the health check of <s> (its check thread): readers on
 * other threads (show stat, Prometheus) may hold it until a grace period
 * has passed, and so may events of the current loop turn.
 */
static void check_destroy(struct srv_rt *s)
{
	struct check *ck = checks[s->gidx];
	if (!ck)
		return;
	__atomic_store_n(&checks[s->gidx], NULL, __ATOMIC_RELEASE);
	timer_set(&ck->t, 0);
	close_conn(ck);
	check_smp_end(&ck->smp);
	hchk_release(&ck->io);
	tchk_release(&ck->tio);
	struct check_free *f = xcalloc(1, sizeof(*f));
	f->ck = ck;
	hl_call_rcu(&f->head, check_free_cb);
}

struct srv_life_mail {
	struct mail m;
	struct srv_rt *srv;
	void (*done)(struct srv_rt *s);
};

/* Creates the checks of an added server, paused as HAProxy has them. */
static void added_cb(struct mail *m)
{
	struct srv_life_mail *lm = caa_container_of(m, struct srv_life_mail, m);
	if (lm->srv->conf->cfg.check)
		check_new(lm->srv, 1);
	if (lm->srv->conf->cfg.agent_check)
		agent_new(lm->srv, 1);
	atomic_fetch_sub(&lm->srv->refs, 1);
	free(lm);
}

/* Stops the checks of a deleted server, then hands it to its last step. */
static void removed_cb(struct mail *m)
{
	struct srv_life_mail *lm = caa_container_of(m, struct srv_life_mail, m);
	check_destroy(lm->srv);
	agent_destroy(lm->srv);
	lm->done(lm->srv);
	free(lm);
}

/* Runs <cb> for <s> on its check thread (now if it is the current one). */
static void on_check_thread(struct srv_rt *s, void (*cb)(struct mail *),
                            void (*done)(struct srv_rt *))
{
	struct srv_life_mail *lm = xcalloc(1, sizeof(*lm));
	lm->srv = s;
	lm->done = done;
	lm->m.cb = cb;
	struct wthread *t = &rt.threads[s->gidx % rt.nbthread];
	if (t == curthr)
		cb(&lm->m);
	else
		mail_post(t, &lm->m);
}

void check_server_added(struct srv_rt *s)
{
	if (!s->conf->cfg.check && !s->conf->cfg.agent_check)
		return;
	atomic_fetch_add(&s->refs, 1); /* until the mail has run */
	on_check_thread(s, added_cb, NULL);
}

void check_server_removed(struct srv_rt *s, void (*done)(struct srv_rt *s))
{
	on_check_thread(s, removed_cb, done);
}

static struct check *check_find(const struct srv_rt *s)
{
	int g = s->gidx;
	return g >= 0 && g < nb_checks_slots ? __atomic_load_n(&checks[g], __ATOMIC_ACQUIRE) : NULL;
}

struct wthread *check_thread_of(const struct srv_rt *s)
{
	int g = s->gidx;
	if (!s->conf->cfg.check || g < 0 || rt.nbthread <= 0)
		return NULL;
	return &rt.threads[g % rt.nbthread];
}

/* Brings the next check of <ck> forward to "fastinter" from now when it
 * is idle and would come later.
 */
static void hurry(struct check *ck)
{
	uint32_t fast = ck->srv->conf->cfg.fastinter;
	ck->fast_once = 1;
	if (!fast || ck->fd >= 0)
		return; /* none configured, or a check is under way */
	uint64_t when = curthr->now_ms + fast;
	if (!ck->t.expire || when < ck->t.expire)
		timer_set(&ck->t, when);
}

/* Applies the "on-error" reaction of the server of <ck> once; <last>
 * describes the error that reached the limit.
 */
static void observed_once(struct check *ck, const char *last)
{
	const struct server_cfg *c = &ck->srv->conf->cfg;
	int fall = c->fall ? c->fall : DEF_FALL;

	if (c->on_error == SRV_ONERR_FASTINTER)
		return;
	if (c->on_error == SRV_ONERR_SUDDTH && ck->healthy && ck->st.consecutive < fall - 2)
		ck->st.consecutive = fall - 2; /* one more failure after this one takes it down */
	if (c->on_error == SRV_ONERR_MARKDWN)
		ck->st.consecutive = ck->healthy ? fall - 1 : 0; /* this failure takes it down */
	snprintf(ck->st.info, sizeof(ck->st.info),
	         "Detected %d consecutive errors, last one was: %s", observe_error_limit(c), last);
	ck->st.code = 0;
	record(ck, CHK_HANA);
}

void check_observed_errors(struct srv_rt *s, int n, const char *last)
{
	struct check *ck = check_find(s);
	if (!ck)
		return;
	for (int i = 0; i < n; i++)
		observed_once(ck, last);
	hurry(ck);
}

const struct check_state *check_of(const struct srv_rt *s)
{
	struct check *ck = check_find(s);
	return ck ? hl_rcu_deref(ck->pub) : NULL;
}

int check_in_progress(const struct srv_rt *s)
{
	const struct check *ck = check_find(s);
	return ck && atomic_load_explicit(&ck->running, memory_order_relaxed);
}

const struct check_state *check_running_of(const struct srv_rt *s)
{
	struct check *ck = check_find(s);
	return ck && !__atomic_load_n(&ck->paused, __ATOMIC_RELAXED) ? hl_rcu_deref(ck->pub) : NULL;
}

/* Takes the interval <inter> of one more check into the start spread. */
static void spread_count(uint32_t inter)
{
	nb_spread++;
	if (inter >= SPREAD_THRES && (!spread_min || inter < spread_min))
		spread_min = inter;
}

/* Numbers the health and agent checks of all servers in order, and finds
 * the smallest interval that spreads their first runs, as HAProxy does.
 */
static void spread_init(void)
{
	nb_spread = 0;
	spread_min = 0;
	first_pos = xcalloc((size_t)nb_checks_slots + 1, sizeof(*first_pos));
	for (int b = 0; b < rt.nbe; b++) {
		for (int i = 0; i < rt.bes[b].ncfg_srv; i++) {
			const struct server_cfg *c = &rt.bes[b].cfg_srv[i].conf->cfg;
			first_pos[rt.bes[b].cfg_srv[i].gidx] = nb_spread;
			if (c->check)
				spread_count(inter_of(c));
			if (c->agent_check)
				spread_count(agent_interval(c));
		}
	}
}

uint32_t check_first_delay(int g, int second, uint32_t inter)
{
	uint32_t span = spread_min > inter ? spread_min : inter;
	uint32_t max = rt.cfg->global.max_spread_checks;
	int pos = (g >= 0 && g < nb_checks_slots ? first_pos[g] : 0) + !!second;
	if (max && span > max)
		span = max;
	return nb_spread ? (uint32_t)((uint64_t)span * (uint64_t)pos / (uint64_t)nb_spread) : 0;
}

void checks_init(void)
{
	nb_checks_slots = srv_slots_total();
	checks = xcalloc((size_t)nb_checks_slots + 1, sizeof(*checks));
	spread_init();
	agents_init();
	observe_init();
}

/* Server options of the checks. */
static int sopt_check(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *s = ctx->target;
	if (strstr(args[0], "send-proxy"))
		s->cfg.check_send_proxy = strncmp(args[0], "no-", 3) != 0;
	else
		s->cfg.check = strcmp(args[0], "no-check") != 0;
	return CFG_OK;
}

static int sopt_check_value(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server_cfg *c = &((struct server *)ctx->target)->cfg;
	const char *n = args[0], *v = args[1];
	const char *bad = NULL;
	uint32_t *times[] = {&c->inter, &c->fastinter, &c->downinter};
	const char *tnames[] = {"inter", "fastinter", "downinter"};
	for (int i = 0; i < 3; i++) {
		if (strcmp(n, tnames[i]) != 0)
			continue;
		if (parse_time_ms(v, times[i], &bad) != PARSE_OK || !*times[i]) {
			memprintf(err, "'%s' expects a positive delay in milliseconds, got '%s'.",
			          n, v);
			return CFG_ALERT;
		}
		return CFG_OK;
	}
	if (!strcmp(n, "rise") || !strcmp(n, "fall"))
		return cfg_opt_int(n, v, 1, 100000, n[0] == 'r' ? &c->rise : &c->fall, err);
	if (!strcmp(n, "port"))
		return cfg_opt_int(n, v, 1, 65535, &c->check_port, err);
	/* addr */
	if (cfg_parse_source(v, &c->check_addr, err) != CFG_OK)
		return CFG_ALERT;
	c->check_addr_set = 1;
	return CFG_OK;
}

/* global spread-checks <0..50>: HAProxy reads the number as atol() does,
 * keeps it even when out of range, and skips the line once a non-zero value
 * is set, with an alert that does not make the configuration invalid.
 */
static int glob_spread_checks(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (ctx->cfg->global.spread_checks) {
		ha_alert("config : " CFG_DIR_LOC_FMT "%s already specified. Continuing.\n",
		         ctx->file, ctx->line, args[0]);
		msg_state.alerts--; /* not an error */
		return CFG_OK;
	}
	if (nargs > 2) {
		memprintf(err, "'%s' cannot handle unexpected argument '%s'.", args[0], args[2]);
		return CFG_ALERT;
	}
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'%s' expects an integer argument (0..50).", args[0]);
		return CFG_ALERT;
	}
	long v = strtol(args[1], NULL, 10);
	ctx->cfg->global.spread_checks = v < INT_MIN ? INT_MIN : v > INT_MAX ? INT_MAX : (int)v;
	if (v < 0 || v > 50) {
		memprintf(err, "'%s' needs a positive value in range 0..50.", args[0]);
		return CFG_ALERT;
	}
	return CFG_OK;
}

/* global max-spread-checks <time>: an integer delay, ms by default; one
 * below a millisecond is 0 (no bound), as in HAProxy.
 */
static int glob_max_spread(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	const char *bad = NULL;
	uint32_t v = 0;
	if (nargs > 2) {
		memprintf(err, "'%s' cannot handle unexpected argument '%s'.", args[0], args[2]);
		return CFG_ALERT;
	}
	if (nargs < 2 || !*args[1]) {
		/* sic: HAProxy's message */
		memprintf(err, "'%s' expects an integer argument (0..50).", args[0]);
		return CFG_ALERT;
	}
	enum parse_status st = parse_time_ms(args[1], &v, &bad);
	if (st == PARSE_OVERFLOW) {
		memprintf(err,
		          "timer overflow in argument <%s> to <%s>, maximum value is 2147483647 ms "
		          "(~24.8 days).",
		          args[1], args[0]);
		return CFG_ALERT;
	}
	if (st != PARSE_OK && st != PARSE_UNDERFLOW) {
		memprintf(err, "unsupported character '%c' in '%s' (wants an integer delay).",
		          bad && *bad ? *bad : '?', args[0]);
		return CFG_ALERT;
	}
	ctx->cfg->global.max_spread_checks = st == PARSE_OK ? v : 0;
	return CFG_OK;
}

#define CO(n, fn, nv)                                                                              \
	{                                                                                          \
		.name = n, .sections = SECT_SRVOPT, .parse = fn, .nvals = nv                       \
	}
static const struct cfg_kw check_opts[] = {
    CO("check", sopt_check, 0),
    CO("no-check", sopt_check, 0),
    CO("check-send-proxy", sopt_check, 0),
    CO("no-check-send-proxy", sopt_check, 0),
    CO("inter", sopt_check_value, 1),
    CO("fastinter", sopt_check_value, 1),
    CO("downinter", sopt_check_value, 1),
    CO("rise", sopt_check_value, 1),
    CO("fall", sopt_check_value, 1),
    CO("port", sopt_check_value, 1),
    CO("addr", sopt_check_value, 1),
    {.name = "timeout check",
     .sections = SECT_PROXY,
     .cap = PX_CAP_DEF | PX_CAP_BE,
     .type = KWT_UINT_TIME,
     .offset = offsetof(struct proxy, to.check),
     .flags = KWF_CAP_WARN},
    {.name = "spread-checks", .sections = SECT_GLOBAL, .parse = glob_spread_checks},
    {.name = "max-spread-checks", .sections = SECT_GLOBAL, .parse = glob_max_spread},
};
CFG_REGISTER_KEYWORDS(check_opts)

/* ---- runtime control (check_control) ---- */

static const struct check_state changed_from_cli = {.changed_by = "CLI"};
static const struct check_state changed_from_web = {.changed_by = "Web interface"};

int check_configured(const struct srv_rt *s)
{
	return s->conf->cfg.check;
}

/* "stopping": UP but taking no new traffic until "health up". */
static void force_stopping(struct srv_rt *s, struct check *ck, const struct check_state *why)
{
	int act, bck;
	if (!atomic_load(&s->oper_up))
		transition(s, ck, why, 1);
	if (ck)
		ck->forced_nolb = 1;
	if (atomic_exchange(&s->oper_nolb, 1))
		return;
	backend_publish(s->be);
	check_count_usable(s->be, &act, &bck);
	log_change(s, why, "stopping", act, bck);
	if (!act && !bck)
		check_report_no_server(s->be);
}

/* set server health up|down: the check's verdict becomes <up>; its next
 * results count from there (rise successes to come back after "down").
 */
static void force_health(struct srv_rt *s, struct check *ck, int up, const struct check_state *why)
{
	if (ck) {
		ck->healthy = up;
		ck->st.consecutive = 0;
		ck->forced_nolb = 0;
		publish(ck);
	}
	int was_nolb = atomic_exchange(&s->oper_nolb, 0);
	int eff = up && !agent_holds_down(s);
	if (eff != atomic_load(&s->oper_up))
		transition(s, ck, why, eff);
	else if (was_nolb && eff) {
		int act, bck;
		backend_publish(s->be);
		check_count_usable(s->be, &act, &bck);
		log_change(s, why, "UP", act, bck);
	}
}

/* disable health (<pause> 1): checks stop and the server counts as UP
 * unless its agent holds it down; enable health runs them again.
 */
static void pause_health(struct srv_rt *s, struct check *ck, int pause,
                         const struct check_state *why)
{
	if (!ck || ck->paused == pause)
		return;
	__atomic_store_n(&ck->paused, pause, __ATOMIC_RELAXED); /* read by other threads */
	if (pause) {
		if (ck->fd < 0)
			timer_set(&ck->t, 0);
		if (!ck->healthy)
			force_health(s, ck, 1, why);
	} else if (ck->fd < 0)
		timer_set(&ck->t, curthr->now_ms + 1);
}

struct check_ctl_mail {
	struct mail m;
	struct srv_rt *srv;
	enum check_ctl op;
	struct hl_addr addr;
	int addr_set, port;
	char *text; /* CHK_CTL_AGENT_SEND */
	int web;    /* asked for by the statistics page, not the CLI */
};

/* Runs a control request on the check's thread. */
static void check_ctl_run(struct check_ctl_mail *cm)
{
	struct srv_rt *s = cm->srv;
	struct check *ck = check_find(s);
	const struct check_state *why = cm->web ? &changed_from_web : &changed_from_cli;
	switch (cm->op) {
	case CHK_CTL_HEALTH_UP:
	case CHK_CTL_HEALTH_DOWN:
		force_health(s, ck, cm->op == CHK_CTL_HEALTH_UP, why);
		break;
	case CHK_CTL_HEALTH_STOPPING:
		force_stopping(s, ck, why);
		break;
	case CHK_CTL_AGENT_UP:
	case CHK_CTL_AGENT_DOWN:
		agent_force(s, cm->op == CHK_CTL_AGENT_UP, why);
		break;
	case CHK_CTL_HEALTH_DISABLE:
	case CHK_CTL_HEALTH_ENABLE:
		pause_health(s, ck, cm->op == CHK_CTL_HEALTH_DISABLE, why);
		break;
	case CHK_CTL_AGENT_DISABLE:
	case CHK_CTL_AGENT_ENABLE:
		agent_pause(s, cm->op == CHK_CTL_AGENT_DISABLE);
		break;
	case CHK_CTL_CHECK_PORT:
	case CHK_CTL_CHECK_ADDR:
		if (!ck)
			break;
		if (cm->addr_set) {
			ck->rt_addr = cm->addr;
			ck->rt_addr_set = 1;
		}
		if (cm->port)
			ck->rt_port = cm->port;
		break;
	case CHK_CTL_AGENT_ADDR:
		agent_retarget(s, cm->addr_set ? &cm->addr : NULL, cm->port ? cm->port : -1, NULL);
		break;
	case CHK_CTL_AGENT_PORT:
		agent_retarget(s, NULL, cm->port, NULL);
		break;
	case CHK_CTL_AGENT_SEND:
		agent_retarget(s, NULL, -1, cm->text ? cm->text : "");
		break;
	}
}

static void check_ctl_cb(struct mail *m)
{
	struct check_ctl_mail *cm = caa_container_of(m, struct check_ctl_mail, m);
	check_ctl_run(cm);
	if (cm->m.cb) /* came by mail */
		atomic_fetch_sub(&cm->srv->refs, 1);
	free(cm->text);
	free(cm);
}

/* Hands <cm> to the thread that runs (or would run) the checks of its
 * server, or runs it at once on that thread.
 */
static void ctl_post(struct check_ctl_mail *cm)
{
	struct srv_rt *s = cm->srv;
	/* the thread that runs (or would run) the server's checks and agent */
	int g = s->gidx;
	struct wthread *t = rt.nbthread > 0 && g >= 0 ? &rt.threads[g % rt.nbthread] : NULL;
	if (!t || t == curthr) {
		check_ctl_cb(&cm->m);
		return;
	}
	atomic_fetch_add(&s->refs, 1); /* until the mail has run */
	cm->m.cb = check_ctl_cb;
	mail_post(t, &cm->m);
}

/* Queues <op> for the check's thread; <web>: asked for by the page. */
static void control(struct srv_rt *s, enum check_ctl op, const struct hl_addr *addr, int port,
                    int web)
{
	struct check_ctl_mail *cm = xcalloc(1, sizeof(*cm));
	cm->srv = s;
	cm->web = web;
	cm->op = op;
	cm->port = port;
	if (addr) {
		cm->addr = *addr;
		cm->addr.hostname = NULL;
		cm->addr_set = 1;
	}
	ctl_post(cm);
}

void check_control_text(struct srv_rt *s, enum check_ctl op, const char *text)
{
	struct check_ctl_mail *cm = xcalloc(1, sizeof(*cm));
	cm->srv = s;
	cm->op = op;
	cm->text = xstrdup(text);
	ctl_post(cm);
}

void check_control(struct srv_rt *s, enum check_ctl op, const struct hl_addr *addr, int port)
{
	control(s, op, addr, port, 0);
}

void check_control_web(struct srv_rt *s, enum check_ctl op)
{
	control(s, op, NULL, 0, 1);
}
