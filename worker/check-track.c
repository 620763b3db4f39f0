/* Server tracking ("track [<backend>/]<server>"): a server without checks
 * of its own follows the operational state of another one, possibly
 * through a chain of trackers. Its state changes are logged as HAProxy logs
 * them ("Server b/s is DOWN via b2/t."). The configuration side resolves
 * and validates the references with HAProxy's messages.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "conf/proxy.h"
#include "worker/log.h"
#include "worker/backend.h"
#include "worker/check.h"
#include "worker/observe.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/slowstart.h"

/* The runtime server of configured server <conf>, NULL if none. */
static struct srv_rt *rt_of(const struct server *conf)
{
	for (int b = 0; b < rt.nbe; b++) {
		const struct srv_list *l = be_servers(&rt.bes[b]);
		for (int i = 0; i < l->n; i++)
			if (l->v[i]->conf == conf)
				return l->v[i];
	}
	return NULL;
}

const struct srv_rt *check_tracked(const struct srv_rt *s)
{
	return s->conf->tracked ? rt_of(s->conf->tracked) : NULL;
}

/* Sets tracker <t> UP or DOWN after <via> changed, logs it, and passes the
 * change on to its own trackers.
 */
static void follow(struct srv_rt *t, const struct srv_rt *via, int up)
{
	int act, bck;
	if (atomic_exchange(&t->oper_up, up) == up)
		return;
	atomic_store(&t->last_change, (long)time(NULL));
	if (up)
		slowstart_begin(t);
	backend_publish(t->be);
	check_count_usable(t->be, &act, &bck);
	if (up)
		log_event(t->be->conf, LOG_LVL_NOTICE, MSG_WARNING,
		          "%sServer %s/%s is UP via %s/%s. %d active and %d backup servers "
		          "online.%s 0 sessions requeued, %d total in queue.\n",
		          check_srv_kind(t), t->be->conf->id, t->conf->id, via->be->conf->id,
		          via->conf->id, act, bck, check_backup_note(act, bck),
		          atomic_load(&t->be->queued));
	else
		log_event(t->be->conf, LOG_LVL_ALERT, MSG_WARNING,
		          "%sServer %s/%s is DOWN via %s/%s. %d active and %d backup servers "
		          "left.%s %d sessions active, 0 requeued, 0 remaining in queue.\n",
		          check_srv_kind(t), t->be->conf->id, t->conf->id, via->be->conf->id,
		          via->conf->id, act, bck, check_backup_note(act, bck),
		          atomic_load(&t->cur_conns));
	if (!up && !act && !bck)
		check_report_no_server(t->be);
	if (up)
		observe_marked_up(t);
	else
		observe_marked_down(t);
	check_propagate(t);
}

void check_propagate(const struct srv_rt *s)
{
	int up = atomic_load(&s->oper_up);
	for (int b = 0; b < rt.nbe; b++) {
		const struct srv_list *l = be_servers(&rt.bes[b]);
		for (int i = 0; i < l->n; i++) {
			struct srv_rt *t = l->v[i];
			if (t->conf->tracked == s->conf)
				follow(t, s, up);
		}
	}
}

int check_track_dynamic(struct server *s, struct be_rt *be, char **err)
{
	char *name = s->cfg.track, *slash = strchr(name, '/');
	const char *sname = slash ? slash + 1 : name;
	struct be_rt *tbe = be;
	if (slash) {
		tbe = runtime_backend_by_name(name, (size_t)(slash - name));
		if (!tbe) {
			memprintf(err, "unable to find required proxy '%.*s' for tracking.",
			          (int)(slash - name), name);
			return -1;
		}
	}
	struct srv_rt *t = be_find_server(tbe, sname);
	if (!t) {
		memprintf(err, "unable to find required server '%s' for tracking.", sname);
		return -1;
	}
	if (t->dynamic) {
		memprintf(err, "unable to use %s/%s for tracking as it is a dynamic server.",
		          tbe->conf->id, t->conf->id);
		return -1;
	}
	if (!t->conf->cfg.check && !t->conf->cfg.agent_check && !t->conf->cfg.track) {
		memprintf(err,
		          "unable to use %s/%s for tracking as it does not have any check nor "
		          "agent enabled.",
		          tbe->conf->id, t->conf->id);
		return -1;
	}
	s->tracked = (struct server *)t->conf;
	return 0;
}

int check_has_trackers(const struct srv_rt *s)
{
	for (int b = 0; b < rt.nbe; b++) {
		const struct srv_list *l = be_servers(&rt.bes[b]);
		for (int i = 0; i < l->n; i++)
			if (l->v[i] != s && l->v[i]->conf->tracked == s->conf)
				return 1;
	}
	return 0;
}

/* track [<backend>/]<server> */
static int sopt_track(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *s = ctx->target;
	free(s->cfg.track);
	s->cfg.track = xstrdup(args[1]);
	return CFG_OK;
}

/* Resolves the "track" of <s> in <px>; returns 0, or 1 after an alert. */
static int resolve(struct config *cfg, struct proxy *px, struct server *s)
{
	char *name = s->cfg.track, *slash = strchr(name, '/');
	const char *sname = slash ? slash + 1 : name;
	struct proxy *tpx = px;
	const char *where = s->file;
	if (slash) {
		*slash = 0;
		tpx = proxy_find(cfg, name, PX_CAP_BE);
		if (!tpx) {
			ha_alert(
			    "config : [%s:%d] : 'server %s/%s' : unable to find required proxy "
			    "'%s' for tracking.\n",
			    where, s->line, px->id, s->id, name);
			*slash = '/';
			return 1;
		}
		*slash = '/';
	}
	struct server *t = tpx->servers;
	while (t && strcmp(t->id, sname) != 0)
		t = t->next;
	if (!t) {
		ha_alert("config : [%s:%d] : 'server %s/%s' : unable to find required server '%s' "
		         "for tracking.\n",
		         where, s->line, px->id, s->id, sname);
		return 1;
	}
	if (!t->cfg.check && !t->cfg.agent_check && !t->cfg.track) {
		ha_alert(
		    "config : [%s:%d] : 'server %s/%s' : unable to use %s/%s for tracking as it "
		    "does not have any check nor agent enabled.\n",
		    where, s->line, px->id, s->id, tpx->id, t->id);
		return 1;
	}
	for (const struct server *c = t; c; c = c->tracked)
		if (c == s) {
			ha_alert("config : [%s:%d] : 'server %s/%s' : unable to track %s/%s as it "
			         "belongs to a tracking chain looping back to %s/%s.\n",
			         where, s->line, px->id, s->id, tpx->id, t->id, tpx->id, s->id);
			return 1;
		}
	s->tracked = t;
	return 0;
}

/* Resolves every "track" of proxy <px>, in order. */
static int check_tracks(struct config *cfg, struct proxy *px)
{
	int errors = 0;
	for (struct server *s = px->servers; s; s = s->next) {
		if (!s->cfg.track)
			continue;
		if (s->cfg.check) {
			ha_alert("config : [%s:%d] : 'server %s/%s' : unable to enable checks and "
			         "tracking at the same time!\n",
			         s->file, s->line, px->id, s->id);
			errors++;
			continue;
		}
		errors += resolve(cfg, px, s);
	}
	return errors;
}

static struct cfg_checker track_checker = {.proxy = check_tracks};
CFG_REGISTER_CHECKER(track_checker)

static const struct cfg_kw track_opts[] = {
    {.name = "track", .sections = SECT_SRVOPT, .parse = sopt_track, .nvals = 1},
};
CFG_REGISTER_KEYWORDS(track_opts)
