/* "show stat": one CSV line per frontend, server and backend, with HAProxy's
 * columns in HAProxy's order (worker/stats-cols.c). Which columns HAProxy
 * fills depends on the kind of row and on the proxy's mode (tcp or http).
 * A column that HAProxy fills but that Halyard does not measure yet is left
 * empty rather than given a made-up value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/strbuf.h"
#include "worker/check.h"
#include "worker/counters.h"
#include "worker/lb.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/slowstart.h"
#include "worker/stats.h"
#include "worker/srv-addr.h"

/* Index of column <name>; -1 if unknown (a programming error). */
/* Column names are looked up for every value of every row: an open
 * addressing index over stat_cols[], built before main() (the first of
 * duplicate names wins, as a linear search would find it).
 */
#define COL_SLOTS 512              /* a power of two, well above STAT_NCOLS */
static short col_slots[COL_SLOTS]; /* column index + 1, 0 = empty */

static unsigned col_hash(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h & (COL_SLOTS - 1);
}

__attribute__((constructor)) static void col_index_build(void)
{
	for (int i = 0; i < STAT_NCOLS; i++) {
		unsigned h = col_hash(stat_cols[i]);
		while (col_slots[h])
			h = (h + 1) & (COL_SLOTS - 1);
		col_slots[h] = (short)(i + 1);
	}
}

static int col(const char *name)
{
	for (unsigned h = col_hash(name); col_slots[h]; h = (h + 1) & (COL_SLOTS - 1))
		if (!strcmp(stat_cols[col_slots[h] - 1], name))
			return col_slots[h] - 1;
	return -1;
}

int stat_col(const char *name)
{
	return col(name);
}

const char *stat_val(const struct stat_row *r, const char *name)
{
	int i = col(name);
	return i >= 0 && r->present[i] == '1' ? r->vals[i] : "";
}

__attribute__((format(printf, 3, 4))) static void set(struct stat_row *r, const char *name,
                                                      const char *fmt, ...)
{
	int i = col(name);
	if (i < 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->vals[i], STAT_VAL_LEN, fmt, ap);
	va_end(ap);
}

static int is_http(const struct proxy *px)
{
	return px->mode == PX_MODE_HTTP;
}

/* Columns common to every row of proxy <px>. */
static void set_common(struct stat_row *r, const struct proxy *px, const char *svname, int sid,
                       int type)
{
	for (int i = 0; i < STAT_NCOLS; i++) /* every value is written whole by set() */
		r->vals[i][0] = 0;
	r->kind = (enum stat_kind)type;
	r->px = px;
	set(r, "pxname", "%s", px->id);
	set(r, "svname", "%s", svname);
	set(r, "pid", "1");
	set(r, "iid", "%d", px->uuid);
	set(r, "sid", "%d", sid);
	set(r, "type", "%d", type);
	set(r, "mode", "%s", is_http(px) ? "http" : "tcp");
}

/* hrsp_1xx..hrsp_other from counters by class. */
static void set_hrsp(struct stat_row *r, const uint64_t hrsp[6])
{
	static const char *const cols[] = {"hrsp_1xx", "hrsp_2xx", "hrsp_3xx",
	                                   "hrsp_4xx", "hrsp_5xx", "hrsp_other"};
	for (int i = 0; i < 6; i++)
		set(r, cols[i], "%llu", (unsigned long long)hrsp[i]);
}

/* Columns of features Halyard refuses in its configuration ("compression",
 * "cache"), so they are exactly 0; each is printed only where HAProxy has it.
 */
static void set_unsupported_zeros(struct stat_row *r)
{
	static const char *const cols[] = {"comp_in",  "comp_out",      "comp_byp",
	                                   "comp_rsp", "cache_lookups", "cache_hits"};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		set(r, cols[i], "0");
}

/* HTTP columns of a frontend or backend row (see worker/counters.h). */
static void set_http_px(struct stat_row *r, const struct px_counters *pc, int fe)
{
	set_hrsp(r, pc->hrsp);
	set(r, "req_tot", "%llu", (unsigned long long)pc->req_tot);
	set(r, "dreq", "%llu", (unsigned long long)pc->dreq);
	set(r, "dresp", "%llu", (unsigned long long)pc->dresp);
	set(r, "wrew", "%llu", (unsigned long long)pc->wrew);
	if (fe) {
		set(r, "ereq", "%llu", (unsigned long long)pc->ereq);
		set(r, "intercepted", "%llu", (unsigned long long)pc->intercepted);
	} else {
		set(r, "eresp", "%llu", (unsigned long long)pc->eresp);
	}
}

static void frontend_row(struct stat_row *r, struct fe_rt *fe)
{
	int http = is_http(fe->conf);
	memcpy(r->present, http ? stat_present_fe_http : stat_present_fe, sizeof(r->present));
	struct px_counters pc = counters_fe_sum(fe->idx);
	set_common(r, fe->conf, "FRONTEND", 0, 0);
	set_unsupported_zeros(r);
	set(r, "req_tot", "%llu", (unsigned long long)pc.req_tot); /* 0 in TCP mode */
	set(r, "dcon", "%llu", (unsigned long long)pc.dcon);
	set(r, "dses", "%llu", (unsigned long long)pc.dses);
	set(r, "dreq", "%llu", (unsigned long long)pc.dreq);
	set(r, "req_rate", "%u", freq_ctr_read(&fe->req_per_sec, now_ms()));
	set(r, "req_rate_max", "%u", atomic_load(&fe->req_rate_max));
	set(r, "rate", "%u", freq_ctr_read(&fe->sess_per_sec, now_ms()));
	set(r, "rate_lim", "%u", fe->sess_rate_lim);
	set(r, "rate_max", "%u", atomic_load(&fe->sess_rate_max));
	set(r, "conn_rate", "%u", freq_ctr_read(&fe->conn_per_sec, now_ms()));
	set(r, "conn_rate_max", "%u", atomic_load(&fe->conn_rate_max));
	if (http)
		set_http_px(r, &pc, 1);
	set(r, "scur", "%d", atomic_load(&fe->cur_conns));
	set(r, "slim", "%d", fe->maxconn);
	set(r, "stot", "%llu",
	    (unsigned long long)pc.sess); /* refused connections are not sessions */
	set(r, "conn_tot", "%llu", (unsigned long long)atomic_load(&fe->cum_conns));
	set(r, "bin", "%llu", (unsigned long long)pc.bytes_in);
	set(r, "bout", "%llu", (unsigned long long)pc.bytes_out);
	set(r, "status", "%s",
	    atomic_load(&rt.stopping)  ? "STOP"
	    : atomic_load(&fe->paused) ? "PAUSED"
	                               : "OPEN");
}

/* HAProxy's status of a server: MAINT, DRAIN, "no check" without checks,
 * else UP/DOWN, with "n/m" while a change is under way.
 */
static void server_status(const struct srv_rt *s, const struct check_state *ck, char *out,
                          size_t len)
{
	unsigned admin = atomic_load(&s->admin);
	const struct server_cfg *c = &s->conf->cfg;
	int up = atomic_load(&s->oper_up);
	int agent_health = 1;
	int agent = agent_running_of(s, &agent_health) != NULL;
	if (admin & SRV_ADMIN_MAINT)
		snprintf(out, len, "MAINT");
	else if (agent && !agent_health && !up)
		snprintf(out, len, "DOWN (agent)");
	else if (admin & SRV_ADMIN_DRAIN)
		snprintf(out, len, agent ? "DRAIN (agent)" : "DRAIN");
	else if (!ck && !check_tracked(s) && up && !atomic_load(&s->oper_nolb))
		snprintf(out, len, "no check"); /* only while running, as in HAProxy */
	else if (up && atomic_load(&s->oper_nolb))
		snprintf(out, len, "NOLB");
	else if (ck && ck->consecutive)
		snprintf(out, len, "%s %d/%d", up ? "UP" : "DOWN", check_health_shown(ck, c, up),
		         up ? check_fall_of(c) : check_rise_of(c));
	else
		snprintf(out, len, "%s", up ? "UP" : "DOWN");
}

/* Check columns of a server that has a health check. */
static void check_columns(struct stat_row *r, char *present, const struct srv_rt *s,
                          const struct check_state *ck)
{
	static const char *const cols[] = {"chkfail",    "chkdown",      "lastchg",
	                                   "downtime",   "check_status", "check_duration",
	                                   "check_desc", "last_chk"};
	long now = (long)time(NULL);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		present[col(cols[i])] = '1';
	set(r, "chkfail", "%llu", (unsigned long long)ck->checks_failed);
	set(r, "chkdown", "%llu", (unsigned long long)ck->downs);
	set(r, "lastchg", "%ld", now - ck->last_change);
	set(r, "downtime", "%llu",
	    (unsigned long long)(ck->downtime_s + (ck->down_since ? now - ck->down_since : 0)));
	/* a check under way: the last result, marked as HAProxy does */
	set(r, "check_status", "%s%s", check_in_progress(s) ? "* " : "",
	    check_result_str(ck->last));
	const struct server_cfg *c = &s->conf->cfg;
	int rise = check_rise_of(c), fall = check_fall_of(c);
	present[col("check_rise")] = present[col("check_fall")] = present[col("check_health")] =
	    '1';
	set(r, "check_rise", "%d", rise);
	set(r, "check_fall", "%d", fall);
	set(r, "check_health", "%d",
	    atomic_load(&s->oper_up) ? rise + fall - 1 - ck->consecutive : ck->consecutive);
	if (ck->last == CHK_HANA) /* HAProxy prints its "no duration" (-1) unsigned */
		set(r, "check_duration", "%llu", (unsigned long long)-1);
	else
		set(r, "check_duration", "%u", ck->duration_ms);
	set(r, "check_desc", "%s", check_result_desc(ck->last));
	set(r, "last_chk", "%s", ck->info);
	if (check_result_has_code(ck->last)) { /* empty for results without layer 7 data */
		present[col("check_code")] = '1';
		set(r, "check_code", "%d", ck->code);
	}
}

/* Agent columns of a server that has an agent check (rise and fall are 1). */
static void agent_columns(struct stat_row *r, char *present, const struct check_state *ag,
                          int health)
{
	static const char *const cols[] = {"agent_status", "agent_duration", "agent_desc",
	                                   "agent_rise",   "agent_fall",     "agent_health",
	                                   "last_agt"};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		present[col(cols[i])] = '1';
	set(r, "agent_status", "%s", check_result_str(ag->last));
	set(r, "agent_duration", "%u", ag->duration_ms);
	set(r, "agent_desc", "%s", check_result_desc(ag->last));
	set(r, "agent_rise", "1");
	set(r, "agent_fall", "1");
	set(r, "agent_health", "%d", health);
	set(r, "last_agt", "%s", ag->info);
	if (check_result_has_code(ag->last)) {
		present[col("agent_code")] = '1';
		set(r, "agent_code", "%d", ag->code);
	}
}

static void server_row(struct stat_row *r, const struct srv_rt *s)
{
	char *present = r->present;
	struct srv_counters sc = counters_srv_sum(s);
	const struct check_state *ck = check_running_of(s);
	char abuf[160], status[32];
	memcpy(present, is_http(s->be->conf) ? stat_present_srv_http : stat_present_srv,
	       sizeof(r->present));
	set_common(r, s->be->conf, s->conf->id, s->conf->puid, 2);
	if (is_http(s->be->conf)) {
		set_hrsp(r, sc.hrsp);
		set(r, "req_tot", "%llu", (unsigned long long)sc.req_tot);
		set(r, "eresp", "%llu", (unsigned long long)sc.eresp);
	}
	set(r, "qcur", "%d", atomic_load(&s->queued));
	set(r, "scur", "%d", atomic_load(&s->cur_conns));
	int maxconn = atomic_load(&s->maxconn);
	if (maxconn) { /* HAProxy leaves the column empty for unlimited servers */
		present[col("slim")] = '1';
		set(r, "slim", "%d", maxconn);
	}
	set(r, "stot", "%llu", (unsigned long long)sc.conns);
	set(r, "lbtot", "%llu", (unsigned long long)sc.conns);
	set(r, "bin", "%llu", (unsigned long long)sc.bytes_in);
	set(r, "bout", "%llu", (unsigned long long)sc.bytes_out);
	set(r, "econ", "%llu", (unsigned long long)sc.econ);
	set(r, "wretr", "%llu", (unsigned long long)sc.retries);
	set(r, "wredis", "%llu", (unsigned long long)sc.redisp);
	server_status(s, ck, status, sizeof(status));
	set(r, "status", "%s", status);
	if (ck)
		check_columns(r, present, s, ck);
	if (s->conf->cfg.observe) {
		present[col("hanafail")] = '1';
		set(r, "hanafail", "%llu", (unsigned long long)atomic_load(&s->hana_failed));
	}
	const struct srv_rt *tr = check_tracked(s);
	if (tr) {
		present[col("tracked")] = '1';
		set(r, "tracked", "%s/%s", tr->be->conf->id, tr->conf->id);
	}
	int agent_health = 1;
	const struct check_state *ag = agent_running_of(s, &agent_health);
	if (ag)
		agent_columns(r, present, ag, agent_health);
	/* as HAProxy: the user weight (ramped by slowstart), whatever the state */
	int uw = atomic_load(&s->uweight);
	set(r, "weight", "%d", uw > 0 ? slowstart_scale(s, uw) : 0);
	set(r, "uweight", "%d", uw);
	set(r, "act", "%d", !s->backup);
	set(r, "bck", "%d", s->backup);
	set(r, "addr", "%s", addr_to_str(srv_addr(s), abuf, sizeof(abuf)));
}

static void backend_row(struct stat_row *r, const struct be_rt *be)
{
	int http = is_http(be->conf);
	memcpy(r->present, http ? stat_present_be_http : stat_present_be, sizeof(r->present));
	struct px_counters pc = counters_be_sum(be->idx);
	unsigned long long econ = 0, retr = 0, redis = 0;
	int weight = 0, act = 0, bck = 0;
	const struct srv_list *l = be_servers(be);
	for (int i = 0; i < l->n; i++) {
		const struct srv_rt *s = l->v[i];
		struct srv_counters sc = counters_srv_sum(s);
		econ += sc.econ;
		retr += sc.retries;
		redis += sc.redisp;
		if (!srv_effective_weight(s))
			continue;
		s->backup ? bck++ : act++;
		weight += s->backup ? 0 : srv_effective_weight(s);
	}
	set_common(r, be->conf, "BACKEND", 0, 1);
	set_unsupported_zeros(r);
	if (http)
		set_http_px(r, &pc, 0);
	set(r, "qcur", "%d", atomic_load(&be->queued));
	set(r, "scur", "%d", atomic_load(&be->cur_conns));
	set(r, "slim", "%d", be->fullconn);
	set(r, "stot", "%llu", (unsigned long long)pc.sess);
	set(r, "lbtot", "%llu", (unsigned long long)pc.sess);
	set(r, "bin", "%llu", (unsigned long long)pc.bytes_in);
	set(r, "bout", "%llu", (unsigned long long)pc.bytes_out);
	set(r, "econ", "%llu", econ);
	set(r, "wretr", "%llu", retr);
	set(r, "wredis", "%llu", redis);
	set(r, "status", "%s", act || bck ? "UP" : "DOWN");
	set(r, "weight", "%d", weight);
	set(r, "uweight", "%d", weight);
	set(r, "act", "%d", act);
	set(r, "bck", "%d", bck);
	set(r, "algo", "%s", be->conf->lb.algo ? be->conf->lb.algo->name : "");
}

void stats_filter_init(struct stats_filter *f)
{
	*f = (struct stats_filter){.iid = -1, .types = 7, .sid = -1};
}

/* Whether server <s> passes the STATS_HIDE_* <flags>: "no-maint" hides
 * servers in maintenance, "up" also hides those that are down and not
 * on their way up (as HAProxy: a rising server stays listed).
 */
static int srv_visible(const struct srv_rt *s, unsigned flags)
{
	int maint = (atomic_load(&s->admin) & SRV_ADMIN_MAINT) != 0;
	if ((flags & (STATS_HIDE_MAINT | STATS_HIDE_DOWN)) && maint)
		return 0;
	if ((flags & STATS_HIDE_DOWN) && !atomic_load(&s->oper_up)) {
		const struct check_state *ck = check_of(s);
		return ck && ck->consecutive;
	}
	return 1;
}

void stats_cursor_init(struct stats_cursor *cur)
{
	*cur = (struct stats_cursor){.px = rt.cfg->proxies};
}

/* Moves <cur> to the next proxy. */
static void cursor_next_proxy(struct stats_cursor *cur)
{
	cur->px = cur->px->next;
	cur->fe = cur->be = cur->srv = 0;
}

/* The row of the next backend position of <cur> in proxy <px>, if it is
 * one <f> selects: its servers, then the backend itself. Returns 1 with a
 * row, 0 when the position was skipped.
 */
static int cursor_backend(struct stats_cursor *cur, const struct stats_filter *f,
                          struct stat_row *r)
{
	const struct be_rt *be = &rt.bes[cur->be];
	if (be->conf != cur->px) {
		cur->be++;
		return 0;
	}
	/* read again at each step (QSBR: valid for this loop turn only):
	 * servers added or deleted between two steps may be missed or shown
	 * twice, as the position is an index
	 */
	const struct srv_list *l = be_servers(be);
	if (l && cur->srv < l->n && (f->types & (1 << STAT_SRV))) {
		const struct srv_rt *s = l->v[cur->srv++];
		if ((f->sid != -1 && s->conf->puid != f->sid) || !srv_visible(s, f->flags))
			return 0;
		server_row(r, s);
		return 1;
	}
	cur->be++;
	cur->srv = 0;
	if (!(f->types & (1 << STAT_BE)))
		return 0;
	backend_row(r, be);
	return 1;
}

int stats_next(struct stats_cursor *cur, const struct stats_filter *f, struct stat_row *r)
{
	while (cur->px) {
		const struct proxy *px = cur->px;
		if ((f->iid != -1 && px->uuid != f->iid) ||
		    (f->px_visible && !f->px_visible(px, f->arg))) {
			cursor_next_proxy(cur);
			continue;
		}
		if (cur->fe < rt.nfe && (f->types & (1 << STAT_FE))) {
			struct fe_rt *fe = &rt.fes[cur->fe++];
			if (fe->conf == px) {
				frontend_row(r, fe);
				return 1;
			}
			continue;
		}
		if (cur->be < rt.nbe) {
			if (cursor_backend(cur, f, r))
				return 1;
			continue;
		}
		cursor_next_proxy(cur);
	}
	return 0;
}

void stats_foreach(const struct stats_filter *f, void (*cb)(const struct stat_row *r, void *arg),
                   void *arg)
{
	struct stat_row *r = malloc(sizeof(*r));
	if (!r)
		return;
	struct stats_cursor cur;
	stats_cursor_init(&cur);
	while (stats_next(&cur, f, r))
		cb(r, arg);
	free(r);
}

/* What a "show stat" dump keeps between its pieces: the filter, the
 * format and a cursor (positions in the configuration and in the runtime
 * arrays, which live as long as the process), never a pointer read under
 * RCU.
 */
struct stat_dump {
	struct stats_filter f;
	enum stats_fmt fmt;
	struct stats_cursor cur;
	struct stat_row *row;
	struct strbuf b;
};

static int show_stat_step(struct cli_conn *c, void *ctx)
{
	struct stat_dump *d = ctx;
	d->b.len = 0;
	int done = stats_dump_some(&d->b, d->fmt, &d->f, &d->cur, d->row, CLI_CHUNK);
	if (d->b.failed) {
		cli_printf(c, "Out of memory.\n");
		return 1;
	}
	cli_put(c, d->b.p ? d->b.p : "", d->b.len);
	return done;
}

static void show_stat_release(void *ctx)
{
	struct stat_dump *d = ctx;
	sb_free(&d->b);
	free(d->row);
	free(d);
}

/* "show stat [domain proxy] [{<iid>|<proxy>} <type> <sid>] [typed|json]
 * [up|no-maint]", parsed as HAProxy 2.6 does: when three words or more
 * follow, the first three select a proxy (name or id), row types (a sum of
 * 1 frontend, 2 backend, 4 server) and a server id, -1 meaning all; the
 * options follow, unknown words are skipped.
 */
static void show_stat(struct cli_conn *c, char **args, int nargs)
{
	struct stats_filter f;
	enum stats_fmt fmt = STATS_FMT_CSV;
	int a = 2;
	stats_filter_init(&f);
	if (a < nargs && !strcmp(args[a], "domain")) {
		if (a + 1 < nargs && !strcmp(args[a + 1], "resolvers")) {
			cli_printf(c, "'show stat domain resolvers' is not supported yet.\n");
			return;
		}
		if (a + 1 >= nargs || strcmp(args[a + 1], "proxy") != 0) {
			cli_printf(c, "Invalid statistics domain.\n");
			return;
		}
		a += 2;
	}
	if (a + 2 < nargs) { /* any three words: HAProxy reads them as a filter */
		f.iid = atoi(args[a]);
		for (const struct proxy *px = rt.cfg->proxies; px; px = px->next)
			if (!strcmp(px->id, args[a]))
				f.iid = px->uuid;
		if (!f.iid) {
			cli_printf(c, "No such proxy.\n");
			return;
		}
		f.types = atoi(args[a + 1]);
		f.sid = atoi(args[a + 2]);
		a += 3;
	}
	for (; a < nargs; a++) {
		if (!strcmp(args[a], "typed"))
			fmt = STATS_FMT_TYPED;
		else if (!strcmp(args[a], "json"))
			fmt = STATS_FMT_JSON;
		else if (!strcmp(args[a], "up"))
			f.flags |= STATS_HIDE_DOWN;
		else if (!strcmp(args[a], "no-maint"))
			f.flags |= STATS_HIDE_MAINT;
		else if (!strcmp(args[a], "desc")) {
			cli_printf(c,
			           "'show stat desc' (field descriptions) is not supported yet.\n");
			return;
		}
	}
	struct stat_dump *d = calloc(1, sizeof(*d));
	struct stat_row *row = malloc(sizeof(*row));
	if (!d || !row) {
		free(d);
		free(row);
		cli_printf(c, "Out of memory.\n");
		return;
	}
	d->f = f;
	d->fmt = fmt;
	d->row = row;
	stats_cursor_init(&d->cur);
	cli_dump(c, show_stat_step, show_stat_release, d);
}

static const struct cli_cmd stat_cmds[] = {
    {{"show", "stat"},
     "show stat [json|no-maint|typed|up]*",
     "report counters for each proxy and server",
     CLI_LEVEL_USER,
     show_stat},
};
CLI_REGISTER(stat_cmds)
