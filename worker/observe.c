/* Passive health observation and server state side effects: see
 * worker/observe.h.
 */
#include "worker/observe.h"

#include <stdlib.h>

#include "common/mem.h"
#include "worker/check.h"
#include "worker/lb.h"
#include "worker/runtime.h"
#include "worker/stream.h"

#define DEF_ERROR_LIMIT 10

enum { OBS_IGNORE = 0, OBS_BAD, OBS_GOOD };

/* Per event: its description, and its verdict for layer4 and layer7. */
static const struct {
	const char *desc;
	unsigned char verdict[2];
} obs_events[OBS_NB_EVENTS] = {
    [OBS_L4_OK] = {"L4 successful connection", {OBS_GOOD, OBS_IGNORE}},
    [OBS_L4_ERR] = {"L4 unsuccessful connection", {OBS_BAD, OBS_BAD}},
    [OBS_HTTP_OK] = {"Correct http response", {OBS_IGNORE, OBS_GOOD}},
    [OBS_HTTP_STS] = {"Wrong http response", {OBS_IGNORE, OBS_BAD}},
    [OBS_HTTP_HDRRSP] = {"Invalid http response (headers)", {OBS_IGNORE, OBS_BAD}},
    [OBS_HTTP_RSP] = {"Invalid http response", {OBS_IGNORE, OBS_BAD}},
    [OBS_HTTP_READ_ERROR] = {"Read error (http)", {OBS_IGNORE, OBS_BAD}},
    [OBS_HTTP_READ_TIMEOUT] = {"Read timeout (http)", {OBS_IGNORE, OBS_BAD}},
    [OBS_HTTP_BROKEN_PIPE] = {"Close from server (http)", {OBS_IGNORE, OBS_BAD}},
};

const char *observe_event_desc(enum obs_event ev)
{
	return ev < OBS_NB_EVENTS ? obs_events[ev].desc : "Unknown";
}

enum obs_event observe_http_status(int status)
{
	/* 501 and 505 answer what the client asked for: not the server's fault */
	if (status >= 100 && (status < 500 || status == 501 || status == 505))
		return OBS_HTTP_OK;
	return OBS_HTTP_STS;
}

int observe_error_limit(const struct server_cfg *c)
{
	return c->error_limit ? c->error_limit : DEF_ERROR_LIMIT;
}

/* Runs on the check's thread: applies the reactions queued for the server. */
static void obs_mail_cb(struct mail *m)
{
	struct srv_rt *s = caa_container_of(m, struct srv_rt, obs_mail);
	int n = atomic_exchange(&s->obs_pending, 0);
	enum obs_event ev = (enum obs_event)atomic_load(&s->obs_last);
	check_observed_errors(s, n, observe_event_desc(ev));
}

void observe_srv_init(struct srv_rt *s)
{
	s->obs_mail.cb = obs_mail_cb;
}

void observe_init(void)
{
	for (int b = 0; b < rt.nbe; b++)
		for (int i = 0; i < rt.bes[b].ncfg_srv; i++)
			rt.bes[b].cfg_srv[i].obs_mail.cb = obs_mail_cb;
}

/* Counts one more error of <s>; returns 1 when this one reached the limit
 * (the run starts over). Only one of concurrent reporters gets the 1.
 */
static int count_error(struct srv_rt *s)
{
	int limit = observe_error_limit(&s->conf->cfg);
	if (atomic_fetch_add(&s->obs_errors, 1) + 1 < limit)
		return 0;
	return atomic_exchange(&s->obs_errors, 0) >= limit;
}

void observe_report(struct srv_rt *s, enum obs_event ev)
{
	if (!s || ev >= OBS_NB_EVENTS)
		return;
	const struct server_cfg *c = &s->conf->cfg;
	if (c->observe == SRV_OBS_NONE || !c->check)
		return;
	int verdict = obs_events[ev].verdict[c->observe == SRV_OBS_LAYER7];
	if (verdict == OBS_GOOD) {
		if (atomic_load(&s->obs_errors))
			atomic_store(&s->obs_errors, 0);
		return;
	}
	if (verdict != OBS_BAD || !count_error(s))
		return;
	atomic_fetch_add(&s->hana_failed, 1);
	atomic_store(&s->obs_last, (int)ev);
	struct wthread *thr = check_thread_of(s);
	if (thr && atomic_fetch_add(&s->obs_pending, 1) == 0)
		mail_post(thr, &s->obs_mail);
}

/* Streams to end on one thread: those of server <srv>, or with <srv> NULL
 * those of every backup server of <be>.
 */
struct kill_mail {
	struct mail m;
	const struct be_rt *be;
	const struct srv_rt *srv;
	enum term_cause why;
};

static void kill_cb(struct mail *m)
{
	struct kill_mail *k = caa_container_of(m, struct kill_mail, m);
	streams_kill(k->be, k->srv, k->why);
	free(k);
}

/* Asks every worker thread to end its streams selected as in kill_mail. */
static void kill_everywhere(const struct be_rt *be, const struct srv_rt *srv, enum term_cause why)
{
	for (int i = 0; i < rt.nbthread; i++) {
		struct kill_mail *k = xcalloc(1, sizeof(*k));
		k->m.cb = kill_cb;
		k->be = be;
		k->srv = srv;
		k->why = why;
		mail_post(&rt.threads[i], &k->m);
	}
}

void observe_marked_down(struct srv_rt *s)
{
	if (s->conf->cfg.on_marked_down)
		kill_everywhere(s->be, s, TERM_DOWN);
}

void observe_marked_up(struct srv_rt *s)
{
	if (!s->conf->cfg.on_marked_up || s->backup || !srv_effective_weight(s))
		return; /* it takes no traffic: the backups keep theirs */
	kill_everywhere(s->be, NULL, TERM_UP);
}

void srv_shutdown_sessions(struct srv_rt *s)
{
	kill_everywhere(s->be, s, TERM_KILLED);
}
