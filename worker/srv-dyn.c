/* Dynamic servers: "add server <b>/<s> <addr> [kw]*" and "del server <b>/<s>"
 * on the runtime API (admin level), with HAProxy 2.6's answers.
 *
 * An added server gets a struct server of its own (owned here, not by the
 * configuration), a runtime struct srv_rt and a free server slot (counters,
 * checks, idle pools). It starts in maintenance, as in HAProxy, and its
 * checks start paused ("enable health" / "enable agent").
 *
 * The server list of a backend is an RCU-published struct srv_list: add and
 * delete copy it, swap it and publish a new LB snapshot under
 * backend_servers_lock(); the old list is freed after a grace period. A
 * deleted server is freed once its checks are stopped on their thread and
 * a grace period has passed, so that no thread still reads it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "cli/cli.h"
#include "common/addr.h"
#include "common/mem.h"
#include "common/rcu.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "worker/check.h"
#include "worker/counters.h"
#include "worker/lb.h"
#include "worker/observe.h"
#include "worker/runtime.h"
#include "worker/srv-addr.h"
#include "worker/srv-dyn.h"
#include "worker/srv-list.h"

/* Server keywords HAProxy 2.6 accepts on "add server" that Halyard
 * implements. Other known keywords are refused as HAProxy refuses them.
 */
static const char *const dyn_kws[] = {
    "addr",
    "agent-addr",
    "agent-check",
    "agent-inter",
    "agent-port",
    "agent-send",
    "backup",
    "check",
    "check-send-proxy",
    "disabled",
    "downinter",
    "enabled",
    "error-limit",
    "fall",
    "fastinter",
    "id",
    "inter",
    "maxconn",
    "maxqueue",
    "minconn",
    "no-agent-check",
    "no-backup",
    "no-check-send-proxy",
    "no-send-proxy",
    "no-send-proxy-v2",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "port",
    "rise",
    "send-proxy",
    "send-proxy-v2",
    "slowstart",
    "source",
    "track",
    "weight",
};

static int dyn_kw_allowed(const char *name)
{
	for (size_t i = 0; i < sizeof(dyn_kws) / sizeof(dyn_kws[0]); i++)
		if (!strcmp(dyn_kws[i], name))
			return 1;
	return 0;
}

/* Whether the algorithm of <be> can take servers at run time: HAProxy
 * refuses static-rr and map-based hashing, whose tables are static.
 */
static int be_lb_dynamic(const struct be_rt *be)
{
	const struct lb_algo *algo = be->conf->lb.algo;
	if (!algo)
		return 1; /* roundrobin */
	if (!strcmp(algo->name, "static-rr"))
		return 0;
	const struct lb_ops *ops = algo->ops;
	return !(ops && ops->needs_hash && be->conf->lb.hash_method == HASH_MAP_BASED);
}

/* The numeric id <id> is taken by a server of <be>, returned. */
static struct srv_rt *puid_user(const struct be_rt *be, int id)
{
	const struct srv_list *l = be_servers(be);
	for (int i = 0; i < l->n; i++)
		if (l->v[i]->conf->puid == id)
			return l->v[i];
	return NULL;
}

/* id <n>, with HAProxy's checks and messages. */
static int dyn_id(struct be_rt *be, struct server *s, const char *v, char **err)
{
	char *end = NULL;
	long id = v ? strtol(v, &end, 10) : 0;
	if (!v || !*v) {
		memprintf(err, "'id' : expects an integer argument.");
		return -1;
	}
	if (*end || id <= 0 || id > 0x7fffffff) {
		memprintf(err, "'id' : custom id has to be > 0.");
		return -1;
	}
	struct srv_rt *o = puid_user(be, (int)id);
	if (o) {
		memprintf(err, "'id' : custom id %ld already used at %s:%d ('server %s').", id,
		          o->conf->file ? o->conf->file : "(null)", o->conf->line, o->conf->id);
		return -1;
	}
	s->puid = (int)id;
	s->puid_set = 1;
	return 0;
}

/* weight <n>, with HAProxy's message. */
static int dyn_weight(struct server *s, const char *v, char **err)
{
	char *end = NULL;
	long w = v ? strtol(v, &end, 10) : -1;
	if (!v || !*v || *end || w < 0 || w > 256) {
		memprintf(err, "weight of server %s is not within 0 and 256 (%s)..", s->id,
		          v ? v : "");
		return -1;
	}
	s->cfg.weight = (int)w;
	return 0;
}

/* Applies the keyword at args[*i] to <s>, moving *i past its values.
 * Returns 0 or -1 with *err set.
 */
static int dyn_keyword(struct be_rt *be, struct server *s, char **args, int nargs, int *i,
                       char **err)
{
	const char *name = args[*i];
	int words = 0;
	const struct cfg_kw *kw = cfg_find_kw(SECT_SRVOPT, args + *i, nargs - *i, &words);
	if (!kw) {
		const char *sugg = cfg_suggest_kw(SECT_SRVOPT, NULL, name);
		if (sugg)
			memprintf(err, "unknown keyword '%s'; did you mean '%s' maybe ?", name,
			          sugg);
		else
			memprintf(err, "unknown keyword '%s'.", name);
		return -1;
	}
	if (!dyn_kw_allowed(kw->name)) {
		memprintf(err, "'%s' option is not accepted for dynamic server", name);
		return -1;
	}
	const char *val = *i + 1 < nargs ? args[*i + 1] : NULL;
	if (!strcmp(kw->name, "id") || !strcmp(kw->name, "weight")) {
		*i += 2;
		return kw->name[0] == 'i' ? dyn_id(be, s, val, err) : dyn_weight(s, val, err);
	}
	if (kw->nvals && *i + kw->nvals >= nargs) {
		memprintf(err, "'%s' expects an argument.", name);
		return -1;
	}
	struct cfg_ctx ctx = {.cfg = rt.cfg, .px = (struct proxy *)be->conf, .target = s};
	char *kerr = NULL;
	int r = kw->parse(&ctx, args + *i, 1 + kw->nvals, &kerr);
	*i += 1 + kw->nvals;
	if (r & CFG_ALERT) {
		memprintf(err, "%s", kerr ? kerr : "invalid option");
		free(kerr);
		return -1;
	}
	free(kerr); /* warnings are not reported on the CLI */
	return 0;
}

/* The configuration of an added server, with the arguments it was added
 * with (address and keywords, escaped for the CLI) to add it again in the
 * next worker after a reload.
 */
struct dyn_server {
	struct server conf; /* first: a struct server * is a struct dyn_server * */
	char *args;
};

/* Joins <args> with spaces, escaping what the CLI would split on. */
static char *join_args(char **args, int nargs)
{
	size_t len = 1;
	for (int i = 0; i < nargs; i++)
		len += 2 * strlen(args[i]) + 1;
	char *out = xcalloc(1, len), *p = out;
	for (int i = 0; i < nargs; i++) {
		if (i)
			*p++ = ' ';
		for (const char *q = args[i]; *q; q++) {
			if (strchr(" \t\\;#", *q))
				*p++ = '\\';
			*p++ = *q;
		}
	}
	*p = 0;
	return out;
}

static void dyn_conf_free(struct server *s)
{
	if (!s)
		return;
	free(((struct dyn_server *)s)->args);
	addr_release(&s->addr);
	addr_release(&s->cfg.source);
	addr_release(&s->cfg.check_addr);
	addr_release(&s->cfg.agent_addr);
	free(s->cfg.agent_send);
	free(s->cfg.track);
	free(s->id);
	free(s);
}

/* Checks the combinations HAProxy refuses once all keywords are read. */
static int dyn_validate(struct be_rt *be, struct server *s, char **err)
{
	if (s->cfg.agent_check && !s->cfg.agent_port) {
		memprintf(err, "server %s does not have agent port. Agent check has been disabled.",
		          s->id);
		return -1;
	}
	if (s->cfg.track && s->cfg.check) {
		memprintf(err, "unable to enable checks and tracking at the same time!");
		return -1;
	}
	if (s->cfg.track && check_track_dynamic(s, be, err) < 0)
		return -1;
	if (!s->puid_set) {
		int id = 1;
		while (puid_user(be, id))
			id++;
		s->puid = id;
	}
	return 0;
}

/* Builds the configuration of server <name> of <be> from <addr> and the
 * keywords; NULL with *err set on error.
 */
static struct server *dyn_conf_build(struct be_rt *be, const char *name, const char *addr,
                                     char **args, int nargs, char **err)
{
	struct dyn_server *d = xcalloc(1, sizeof(*d));
	struct server *s = &d->conf;
	char *aerr = NULL;
	s->id = xstrdup(name);
	s->px = (struct proxy *)be->conf;
	/* HAProxy 2.6 ignores default-server for dynamic servers */
	s->cfg.weight = 1;
	s->cfg.pool_max_conn = -1;
	s->cfg.pool_purge_delay = 5000;
	if (addr_parse(addr, PA_PORT_OK | PA_PORT_OFFSET, &s->addr, &aerr) < 0 ||
	    s->addr.kind == ADDR_FD || s->addr.socktype != SOCK_STREAM) {
		memprintf(err, "%s", aerr ? aerr : "invalid address");
		free(aerr);
		dyn_conf_free(s);
		return NULL;
	}
	for (int i = 0; i < nargs;) {
		if (dyn_keyword(be, s, args, nargs, &i, err) < 0) {
			dyn_conf_free(s);
			return NULL;
		}
	}
	if (dyn_validate(be, s, err) < 0) {
		dyn_conf_free(s);
		return NULL;
	}
	return s;
}

/* A new runtime server for <conf> in slot <g>, in maintenance. */
static struct srv_rt *dyn_srv_new(struct be_rt *be, struct server *conf, int g)
{
	struct srv_rt *r = xcalloc_lines(1, sizeof(*r));
	srv_rt_init(r, conf, be);
	r->idx = -1;
	r->gidx = g;
	r->dynamic = 1;
	atomic_store(&r->admin, SRV_ADMIN_MAINT);
	atomic_store(&r->maint_seen, 1);
	atomic_store(&r->last_change, (long)time(NULL));
	if (conf->tracked) {
		struct srv_rt *t = (struct srv_rt *)check_tracked(r);
		atomic_store(&r->oper_up, t ? atomic_load(&t->oper_up) : 1);
		if (t) /* as in HAProxy, a tracked server stays for good */
			atomic_store(&t->pinned, 1);
	}
	observe_srv_init(r);
	counters_srv_reset(r);
	return r;
}

struct list_free {
	struct rcu_head head;
	struct srv_list *l;
};

static void list_free_cb(struct rcu_head *h)
{
	struct list_free *f = caa_container_of(h, struct list_free, head);
	free(f->l);
	free(f);
}

/* Frees server list <l> after a grace period. */
static void list_free_later(struct srv_list *l)
{
	struct list_free *f = xcalloc(1, sizeof(*f));
	f->l = l;
	hl_call_rcu(&f->head, list_free_cb);
}

/* Splits "backend/server" of <arg>; prints HAProxy's message and returns
 * NULL when the backend is missing. *<name> points at the server name.
 */
static struct be_rt *dyn_backend(struct cli_conn *c, const char *arg, const char **name)
{
	const char *slash = arg ? strchr(arg, '/') : NULL;
	if (!slash || !slash[1]) {
		cli_printf(c, "Require 'backend/server'.");
		return NULL;
	}
	struct be_rt *be = runtime_backend_by_name(arg, (size_t)(slash - arg));
	if (!be)
		cli_printf(c, "No such backend.");
	*name = slash + 1;
	return be;
}

/* add server <b>/<s> <addr> [keywords]*: the answers of HAProxy 2.6. */
static void cmd_add_server(struct cli_conn *c, char **args, int nargs)
{
	const char *name = NULL;
	char *err = NULL;
	struct be_rt *be = dyn_backend(c, nargs > 2 ? args[2] : NULL, &name);
	if (!be)
		return;
	if (!be_lb_dynamic(be)) {
		cli_printf(c,
		           "Backend must use a dynamic load balancing to support dynamic servers.");
		return;
	}
	backend_servers_lock();
	if (be_find_server(be, name)) {
		cli_printf(c, "Already exists a server with the same name in backend.\n");
		goto out;
	}
	if (nargs < 4 || !*args[3]) {
		cli_printf(c, "'server' expects <name> and <addr>[:<port>] as arguments.\n");
		goto out;
	}
	struct server *conf = dyn_conf_build(be, name, args[3], args + 4, nargs - 4, &err);
	if (!conf) {
		cli_printf(c, "%s\n", err ? err : "invalid server");
		goto out;
	}
	((struct dyn_server *)conf)->args = join_args(args + 3, nargs - 3);
	int g = srv_slot_alloc();
	if (g < 0) {
		cli_printf(c, "Too many servers added at run time (at most %d at once).\n",
		           DYN_SRV_SLOTS);
		dyn_conf_free(conf);
		goto out;
	}
	struct srv_rt *r = dyn_srv_new(be, conf, g);
	const struct srv_list *cur = be_servers(be);
	struct srv_list *l = srv_list_new(cur->v, cur->n);
	l = xrealloc(l, sizeof(*l) + (size_t)(cur->n + 2) * sizeof(l->v[0]));
	l->v[l->n++] = r;
	struct srv_list *old = NULL;
	backend_set_servers(be, l, &old);
	list_free_later(old);
	check_server_added(r);
	cli_printf(c, "New server registered.\n");
out:
	backend_servers_unlock();
	free(err);
}

/* Why <s> cannot be deleted now (HAProxy's words), NULL if it can. */
const char *srv_not_removable(const struct srv_rt *s)
{
	int pinned = atomic_load(&s->pinned);
	for (const struct server_rule *r = s->be->conf->server_rules; r && !pinned; r = r->next)
		pinned = r->srv == s->conf;
	if (pinned)
		return "This server cannot be removed at runtime due to other configuration "
		       "elements pointing to it.";
	if (!(atomic_load(&s->admin) & SRV_ADMIN_MAINT))
		return "Only servers in maintenance mode can be deleted.";
	if (check_has_trackers(s))
		return "Server still has tracking servers attached to it, cannot remove it.";
	if (atomic_load(&s->cur_conns) || atomic_load(&s->queued) || atomic_load(&s->idle_conns) ||
	    atomic_load(&s->refs))
		return "Server still has connections attached to it, cannot remove it.";
	return NULL;
}

/* Last step of a deletion, on the server's check thread once its checks
 * are stopped: frees it after a grace period.
 */
struct srv_free {
	struct rcu_head head;
	struct srv_rt *s;
};

static void srv_free_cb(struct rcu_head *h)
{
	struct srv_free *f = caa_container_of(h, struct srv_free, head);
	struct srv_rt *s = f->s;
	free(f);
	srv_addr_free_now(s);
	if (s->dynamic) {
		dyn_conf_free((struct server *)s->conf);
		srv_slot_release(s->gidx);
		free(s);
	} /* a configured server stays in its block, its slot is not reused */
}

static void srv_free_later(struct srv_rt *s)
{
	struct srv_free *f = xcalloc(1, sizeof(*f));
	f->s = s;
	hl_call_rcu(&f->head, srv_free_cb);
}

/* del server <b>/<s> */
static void cmd_del_server(struct cli_conn *c, char **args, int nargs)
{
	const char *name = NULL;
	struct be_rt *be = dyn_backend(c, nargs > 2 ? args[2] : NULL, &name);
	if (!be)
		return;
	backend_servers_lock();
	struct srv_rt *s = be_find_server(be, name);
	const char *why = s ? srv_not_removable(s) : "No such server.";
	if (why) {
		cli_printf(c, "%s", why);
		backend_servers_unlock();
		return;
	}
	const struct srv_list *cur = be_servers(be);
	struct srv_list *l = srv_list_new(NULL, 0);
	l = xrealloc(l, sizeof(*l) + (size_t)(cur->n + 1) * sizeof(l->v[0]));
	for (int i = 0; i < cur->n; i++)
		if (cur->v[i] != s)
			l->v[l->n++] = cur->v[i];
	atomic_store(&s->removed, 1);
	struct srv_list *old = NULL;
	backend_set_servers(be, l, &old);
	list_free_later(old);
	backend_servers_unlock();
	check_server_removed(s, srv_free_later);
	cli_printf(c, "Server deleted.");
}

/* The commands that rebuild added server <s> as it is now. */
static void dump_server(struct cli_conn *c, const struct srv_rt *s)
{
	const char *be = s->be->conf->id, *id = s->conf->id;
	const struct server_cfg *cfg = &s->conf->cfg;
	cli_printf(c, "add server %s/%s %s\n", be, id, ((const struct dyn_server *)s->conf)->args);
	const struct hl_addr *a = hl_rcu_deref(((struct srv_rt *)s)->addr);
	char ip[INET6_ADDRSTRLEN];
	const void *bin = NULL;
	if (a && a->ss.ss_family == AF_INET)
		bin = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else if (a && a->ss.ss_family == AF_INET6)
		bin = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (bin && inet_ntop(a->ss.ss_family, bin, ip, sizeof(ip)))
		cli_printf(c, "set server %s/%s addr %s port %u\n", be, id, ip,
		           (unsigned)a->port_lo);
	if (atomic_load(&s->uweight) != cfg->weight)
		cli_printf(c, "set server %s/%s weight %d\n", be, id, atomic_load(&s->uweight));
	if (atomic_load(&s->maxconn) != cfg->maxconn)
		cli_printf(c, "set maxconn server %s/%s %d\n", be, id, atomic_load(&s->maxconn));
	int h = 0;
	if (check_running_of(s))
		cli_printf(c, "enable health %s/%s\n", be, id);
	if (agent_running_of(s, &h))
		cli_printf(c, "enable agent %s/%s\n", be, id);
	unsigned admin = atomic_load(&s->admin);
	if (!(admin & SRV_ADMIN_MAINT))
		cli_printf(c, "set server %s/%s state %s\n", be, id,
		           admin & SRV_ADMIN_DRAIN ? "drain" : "ready");
}

/* _dynamic-servers: the commands that rebuild every added server, one per
 * line (the master replays them in the next worker on a reload).
 */
static void cmd_dump_dynamic(struct cli_conn *c, char **args, int nargs)
{
	for (int b = 0; b < rt.nbe; b++) {
		const struct srv_list *l = be_servers(&rt.bes[b]);
		for (int i = 0; i < l->n; i++)
			if (l->v[i]->dynamic)
				dump_server(c, l->v[i]);
	}
}

static const struct cli_cmd dyn_cmds[] = {
    {{"_dynamic-servers"}, NULL, NULL, CLI_LEVEL_ADMIN, cmd_dump_dynamic},
    {{"add", "server"},
     "add server <bk>/<srv>",
     "create a new server",
     CLI_LEVEL_ADMIN,
     cmd_add_server},
    {{"del", "server"},
     "del server <bk>/<srv>",
     "remove a dynamically added server",
     CLI_LEVEL_ADMIN,
     cmd_del_server},
};
CLI_REGISTER(dyn_cmds)
