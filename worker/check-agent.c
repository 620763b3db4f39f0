/* Agent checks ("agent-check", "agent-port", "agent-addr", "agent-inter",
 * "agent-send"): every agent-inter, a TCP connection to the server's agent,
 * which answers one line of words. "<n>%" sets the weight relative to the
 * configured one, "maxconn:<n>" the connection limit, "ready"/"drain"/
 * "maint" the administrative state, "up" or "down"/"fail"/"stopped" (with
 * an optional "#reason") the health; a failing agent changes nothing. Texts
 * and log lines are HAProxy 2.6's. Each agent runs on the thread of its
 * server's health check, so the two never race.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/mem.h"
#include "common/rcu.h"
#include "common/msg.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/opts.h"
#include "worker/log.h"
#include "worker/backend.h"
#include "worker/check.h"
#include "worker/loop.h"
#include "worker/runtime.h"
#include "worker/slowstart.h"
#include "worker/srv-cmds.h"
#include "worker/srv-addr.h"
#include "worker/srv-list.h"
#include <urcu-qsbr.h>

#define AGENT_DEF_INTER 2000
#define AGENT_BUFSIZE 1024

struct agent {
	struct ev_handler h;
	struct timer t;
	struct srv_rt *srv;
	int fd;
	int connected;
	uint64_t started;
	struct check_state st;   /* working copy: the agent's thread only */
	struct check_state *pub; /* its last published copy (check_state_publish()) */
	_Atomic int health;      /* 1: up, 0: the agent reported the server down */
	_Atomic int paused;      /* "disable agent": no agent checks, the server is not held down */
	char buf[AGENT_BUFSIZE + 1];
	size_t len;
	/* runtime API changes ("set server ... agent-addr|agent-port|agent-send") */
	struct hl_addr rt_addr;
	int rt_addr_set;
	int rt_port; /* -1: the configured one */
	char *rt_send;
	int rt_send_set;
};

static struct agent **agents; /* indexed like the health checks */
static int nb_agent_slots;

uint32_t agent_interval(const struct server_cfg *c)
{
	return c->agent_inter ? c->agent_inter : AGENT_DEF_INTER;
}

static uint32_t agent_inter(const struct agent *ag)
{
	return agent_interval(&ag->srv->conf->cfg);
}

static struct agent *agent_find(const struct srv_rt *s)
{
	int g = s->gidx;
	return agents && g < nb_agent_slots ? __atomic_load_n(&agents[g], __ATOMIC_ACQUIRE) : NULL;
}

int agent_holds_down(const struct srv_rt *s)
{
	const struct agent *ag = agent_find(s);
	return ag && !ag->health;
}

int agent_enabled(const struct srv_rt *s)
{
	const struct agent *ag = agent_find(s);
	return ag && !atomic_load(&ag->paused);
}

const struct check_state *agent_of(const struct srv_rt *s, int *health)
{
	struct agent *ag = agent_find(s);
	if (!ag)
		return NULL;
	*health = atomic_load_explicit(&ag->health, memory_order_relaxed);
	return hl_rcu_deref(ag->pub);
}

const struct check_state *agent_running_of(const struct srv_rt *s, int *health)
{
	struct agent *ag = agent_find(s);
	if (!ag || atomic_load_explicit(&ag->paused, memory_order_relaxed))
		return NULL;
	*health = atomic_load_explicit(&ag->health, memory_order_relaxed);
	return hl_rcu_deref(ag->pub);
}

/* Applies "ready", "drain" or "maint" and logs the change as HAProxy does. */
static void apply_admin(struct srv_rt *s, const char *as)
{
	unsigned cur = atomic_load(&s->admin);
	const char *be = s->be->conf->id, *id = s->conf->id, *kind = check_srv_kind(s);
	int act, bck;
	if (!strcasecmp(as, "drain") && !(cur & SRV_ADMIN_DRAIN)) {
		srv_set_admin(s, SRV_ADMIN_DRAIN, 0);
		check_count_usable(s->be, &act, &bck);
		log_event(s->be->conf, LOG_LVL_NOTICE, MSG_WARNING,
		          "%sServer %s/%s enters drain state. %d active and %d backup servers "
		          "online.%s 0 sessions requeued, 0 total in queue.\n",
		          kind, be, id, act, bck, check_backup_note(act, bck));
	} else if (!strcasecmp(as, "maint") && !(cur & SRV_ADMIN_MAINT)) {
		srv_set_admin(s, SRV_ADMIN_MAINT, 0);
		check_count_usable(s->be, &act, &bck);
		log_event(s->be->conf, LOG_LVL_ALERT, MSG_WARNING,
		          "%sServer %s/%s is going DOWN for maintenance. %d active and %d backup "
		          "servers left.%s %d sessions active, 0 requeued, 0 remaining in queue.\n",
		          kind, be, id, act, bck, check_backup_note(act, bck),
		          atomic_load(&s->cur_conns));
	} else if (!strcasecmp(as, "ready") && (cur & (SRV_ADMIN_MAINT | SRV_ADMIN_DRAIN))) {
		srv_set_admin(s, 0, SRV_ADMIN_MAINT | SRV_ADMIN_DRAIN);
		if (cur & SRV_ADMIN_MAINT)
			log_event(s->be->conf, LOG_LVL_NOTICE, MSG_WARNING,
			          "%sServer %s/%s is %s (leaving forced maintenance).\n", kind, be,
			          id, atomic_load(&s->oper_up) ? "UP/READY" : "DOWN");
		else
			log_event(s->be->conf, LOG_LVL_NOTICE, MSG_WARNING,
			          "%sServer %s/%s is UP (leaving forced drain).\n", kind, be, id);
	}
}

/* Applies "<n>%"; returns a warning text or NULL. */
static const char *apply_weight(struct srv_rt *s, const char *ps)
{
	char *end;
	long w = strtol(ps, &end, 10);
	if (end[0] != '%' || end[1])
		return "Trailing garbage in weight string";
	w = (long)s->conf->cfg.weight * w / 100;
	atomic_store(&s->uweight, (int)(w > 256 ? 256 : w));
	backend_publish(s->be);
	return NULL;
}

/* Applies "maxconn:<n>"; returns a warning text or NULL. */
static const char *apply_maxconn(struct srv_rt *s, const char *cs)
{
	char *end;
	long v = strtol(cs, &end, 10);
	if (end == cs)
		return "maxconn string empty or preceded by garbage";
	if (*end)
		return "Trailing garbage in maxconn string";
	int old = atomic_exchange(&s->maxconn, (int)v);
	int queued = atomic_load(&s->be->queued);
	if (queued > 0 && old != 0 && (v == 0 || v > old)) {
		int room = v ? (int)v - atomic_load(&s->cur_conns) : queued;
		backend_wake_queued(s->be, room < queued ? room : queued);
	}
	return NULL;
}

/* The words of an agent reply, sorted by kind (the last of each wins). */
struct reply {
	const char *hs, *as, *ps, *cs, *err;
	const char *desc; /* after '#' */
	enum check_result status;
	int health;
};

/* Splits <line> (modified) into words as HAProxy does. */
static void parse_reply(char *line, struct reply *r, int health)
{
	char *cmd = line;
	*r = (struct reply){.status = CHK_CHECKED, .health = health, .desc = ""};
	while (*cmd) {
		if (*cmd == ' ' || *cmd == '\t' || *cmd == ',') {
			cmd++;
			continue;
		}
		if (*cmd == '#') {
			cmd++;
			while (*cmd == ' ' || *cmd == '\t')
				cmd++;
			break;
		}
		char *p = cmd + 1;
		while (*p && *p != '\t' && *p != ' ' && *p != '\n' && *p != ',')
			p++;
		if (*p)
			*p++ = 0;
		if (!strcasecmp(cmd, "up")) {
			r->health = 1;
			r->status = CHK_L7OK;
			r->hs = cmd;
		} else if (!strcasecmp(cmd, "down") || !strcasecmp(cmd, "stopped") ||
		           !strcasecmp(cmd, "fail")) {
			r->health = 0;
			r->status = CHK_L7STS;
			r->hs = cmd;
		} else if (!strcasecmp(cmd, "ready") || !strcasecmp(cmd, "drain") ||
		           !strcasecmp(cmd, "maint")) {
			r->as = cmd;
		} else if (*cmd >= '0' && *cmd <= '9' && strchr(cmd, '%')) {
			r->ps = cmd;
		} else if (!strncasecmp(cmd, "maxconn:", 8)) {
			r->cs = cmd + 8;
		} else if (!r->err) {
			r->err = cmd;
		}
		cmd = p;
	}
	while (*cmd == ' ' || *cmd == '\n')
		cmd++;
	r->desc = cmd;
}

/* Applies the reply line in ag->buf and records the agent's result. */
static void apply_reply(struct agent *ag, char *line)
{
	struct srv_rt *s = ag->srv;
	struct reply r;
	const char *wrn = NULL;
	parse_reply(line, &r, ag->health);
	if (r.as)
		apply_admin(s, r.as);
	if (r.ps) {
		wrn = apply_weight(s, r.ps);
		if (!wrn && (atomic_load(&s->admin) & SRV_ADMIN_DRAIN))
			log_event(s->be->conf, LOG_LVL_NOTICE, MSG_WARNING,
			          "%sServer %s/%s remains in forced drain mode.\n",
			          check_srv_kind(s), s->be->conf->id, s->conf->id);
	}
	if (r.cs) {
		const char *w = apply_maxconn(s, r.cs);
		wrn = wrn ? wrn : w;
	}
	ag->st.last = r.status;
	ag->st.code = 0;
	ag->st.info[0] = 0;
	if (r.hs) {
		const char *msg = r.desc;
		if (!*msg || r.status == CHK_L7OK)
			msg = r.err ? r.err : wrn ? wrn : msg;
		snprintf(ag->st.info, sizeof(ag->st.info), "via agent : %.16s%s%.96s%s", r.hs,
		         *msg ? " (" : "", msg, *msg ? ")" : "");
	} else if (r.err)
		snprintf(ag->st.info, sizeof(ag->st.info), "agent reports an error : %.100s",
		         r.err);
	else if (wrn)
		snprintf(ag->st.info, sizeof(ag->st.info), "agent warns : %.100s", wrn);
	if (r.health != ag->health) {
		ag->health = r.health;
		check_agent_verdict(s, r.health, &ag->st);
	}
}

/* Ends the attempt with result <r> (info already set) and schedules the next. */
static void agent_finish(struct agent *ag, enum check_result r)
{
	if (ag->fd >= 0) {
		close(ag->fd);
		ag->fd = -1;
	}
	if (r != CHK_NONE) {
		ag->st.last = r;
		ag->st.code = 0;
	}
	check_state_publish(&ag->pub, &ag->st);
	timer_set(&ag->t, curthr->now_ms + check_spread(agent_inter(ag)));
}

/* Reads the reply; applies its first line once complete. */
static void agent_read(struct agent *ag)
{
	int eos = 0;
	while (ag->len < AGENT_BUFSIZE) {
		ssize_t n = recv(ag->fd, ag->buf + ag->len, AGENT_BUFSIZE - ag->len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			eos = 1;
			break;
		}
		if (n < 0)
			break;
		ag->len += (size_t)n;
	}
	ag->buf[ag->len] = 0;
	char *eol = strpbrk(ag->buf, "\r\n");
	if (!eol && !eos && ag->len < AGENT_BUFSIZE)
		return;
	ag->st.duration_ms = (uint32_t)(curthr->now_ms - ag->started);
	if (!ag->len) {
		ag->st.info[0] = 0;
		agent_finish(ag, CHK_L7RSP);
		return;
	}
	if (eol)
		*eol = 0;
	apply_reply(ag, ag->buf);
	agent_finish(ag, CHK_NONE);
}

static void agent_io_cb(struct ev_handler *h, uint32_t ev)
{
	struct agent *ag = caa_container_of(h, struct agent, h);
	if (ag->fd < 0)
		return;
	if (!ag->connected) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(ag->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (!err && !(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (err) {
			ag->st.duration_ms = (uint32_t)(curthr->now_ms - ag->started);
			snprintf(ag->st.info, sizeof(ag->st.info), "%s", strerror(err));
			agent_finish(ag, CHK_L4CON);
			return;
		}
		ag->connected = 1;
		const char *snd = ag->rt_send_set ? ag->rt_send : ag->srv->conf->cfg.agent_send;
		if (snd)
			(void)!send(ag->fd, snd, strlen(snd), MSG_NOSIGNAL);
		uint32_t to = ag->srv->be->conf->to.check;
		if (to)
			timer_set(&ag->t, curthr->now_ms + to);
	}
	agent_read(ag);
}

/* Opens the connection to the agent. */
static void agent_connect(struct agent *ag)
{
	const struct server_cfg *c = &ag->srv->conf->cfg;
	const struct hl_addr *a = ag->rt_addr_set     ? &ag->rt_addr
	                          : c->agent_addr_set ? &c->agent_addr
	                                              : srv_addr(ag->srv);
	int port = ag->rt_port >= 0 ? ag->rt_port : c->agent_port;
	struct sockaddr_storage ss;
	addr_sockaddr_port(a, (uint16_t)port, &ss);
	ag->started = curthr->now_ms;
	ag->connected = 0;
	ag->len = 0;
	ag->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ag->fd < 0 ||
	    (connect(ag->fd, (struct sockaddr *)&ss, a->sslen) < 0 && errno != EINPROGRESS)) {
		snprintf(ag->st.info, sizeof(ag->st.info), "%s", strerror(errno));
		ag->st.duration_ms = 0;
		agent_finish(ag, CHK_L4CON);
		return;
	}
	loop_add(ag->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &ag->h);
	const struct px_timeouts *to = &ag->srv->be->conf->to;
	uint32_t t = agent_inter(ag);
	if (to->check && to->connect && to->connect < t)
		t = to->connect;
	timer_set(&ag->t, curthr->now_ms + t);
}

static void agent_timer_cb(struct timer *t)
{
	struct agent *ag = caa_container_of(t, struct agent, t);
	if (ag->fd < 0 && ag->paused)
		return; /* "enable agent" starts them again */
	if (ag->fd < 0) {
		agent_connect(ag);
		return;
	}
	ag->st.duration_ms = (uint32_t)(curthr->now_ms - ag->started);
	ag->st.info[0] = 0;
	agent_finish(ag, ag->connected ? CHK_L7TOUT : CHK_L4TOUT);
}

void agents_init(void)
{
	nb_agent_slots = srv_slots_total();
	agents = xcalloc((size_t)nb_agent_slots + 1, sizeof(*agents));
}

void agent_new(struct srv_rt *s, int paused)
{
	int g = s->gidx;
	struct agent *ag = xcalloc(1, sizeof(*ag));
	ag->srv = s;
	ag->fd = -1;
	ag->health = 1;
	ag->rt_port = -1;
	ag->paused = paused;
	ag->h.cb = agent_io_cb;
	timer_init(&ag->t, agent_timer_cb);
	ag->st.last_change = (long)time(NULL);
	check_state_publish(&ag->pub, &ag->st);
	if (!paused)
		timer_set(&ag->t, curthr->now_ms + 1 +
		                      check_first_delay(g, s->conf->cfg.check, agent_inter(ag)));
	__atomic_store_n(&agents[g], ag, __ATOMIC_RELEASE);
}

void agents_start_thread(void)
{
	for (int b = 0; b < rt.nbe; b++) {
		for (int i = 0; i < rt.bes[b].ncfg_srv; i++) {
			struct srv_rt *s = &rt.bes[b].cfg_srv[i];
			if (s->conf->cfg.agent_check && s->gidx % rt.nbthread == curthr->id)
				agent_new(s, 0);
		}
	}
}

struct agent_free {
	struct rcu_head head;
	struct agent *ag;
};

static void agent_free_cb(struct rcu_head *h)
{
	struct agent_free *f = caa_container_of(h, struct agent_free, head);
	check_state_release(&f->ag->pub);
	free(f->ag);
	free(f);
}

void agent_destroy(struct srv_rt *s)
{
	struct agent *ag = agents ? agents[s->gidx] : NULL;
	if (!ag)
		return;
	__atomic_store_n(&agents[s->gidx], NULL, __ATOMIC_RELEASE);
	timer_set(&ag->t, 0);
	if (ag->fd >= 0) {
		close(ag->fd);
		ag->fd = -1;
	}
	struct agent_free *f = xcalloc(1, sizeof(*f));
	f->ag = ag;
	hl_call_rcu(&f->head, agent_free_cb);
}

/* agent-check | no-agent-check */
static int sopt_agent_check(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	((struct server *)ctx->target)->cfg.agent_check = strcmp(args[0], "no-agent-check") != 0;
	return CFG_OK;
}

/* agent-port <port> | agent-inter <time> | agent-addr <ip> | agent-send <string> */
static int sopt_agent_value(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct server *srv = ctx->target;
	struct server_cfg *c = &srv->cfg;
	const char *n = args[0], *v = args[1], *bad = NULL;
	char *e2 = NULL;
	if (!strcmp(n, "agent-port"))
		return cfg_opt_int(n, v, 0, 65535, &c->agent_port, err);
	if (!strcmp(n, "agent-inter")) {
		if (parse_time_ms(v, &c->agent_inter, &bad) != PARSE_OK && bad && *bad) {
			memprintf(
			    err,
			    "unexpected character '%c' in 'agent-inter' argument of server %s..",
			    *bad, srv->id);
			return CFG_ALERT;
		}
		if (!c->agent_inter) {
			memprintf(err, "invalid value %s for argument 'agent-inter' of server %s..",
			          v, srv->id);
			return CFG_ALERT;
		}
		return CFG_OK;
	}
	if (!strcmp(n, "agent-send")) {
		if (!*v) {
			memprintf(err, "'agent-send' expects a string as argument..");
			return CFG_ALERT;
		}
		c->agent_send = xstrdup(v);
		return CFG_OK;
	}
	if (cfg_parse_source(v, &c->agent_addr, &e2) != CFG_OK) {
		free(e2);
		memprintf(err, "parsing agent-addr failed. Check if '%s' is correct address..", v);
		return CFG_ALERT;
	}
	c->agent_addr_set = 1;
	return CFG_OK;
}

/* An agent check needs a port. */
static int check_agent_ports(struct config *cfg, struct proxy *px)
{
	int errors = 0;
	(void)cfg;
	for (struct server *s = px->servers; s; s = s->next) {
		if (!s->cfg.agent_check || s->cfg.agent_port)
			continue;
		ha_alert("config : [%s:%d] : 'server %s/%s' : server %s does not have agent port. "
		         "Agent check has been disabled.\n",
		         s->file, s->line, px->id, s->id, s->id);
		errors++;
	}
	return errors;
}

static struct cfg_checker agent_checker = {.proxy = check_agent_ports};
CFG_REGISTER_CHECKER(agent_checker)

#define AO(n, fn, nv)                                                                              \
	{                                                                                          \
		.name = n, .sections = SECT_SRVOPT, .parse = fn, .nvals = nv                       \
	}
static const struct cfg_kw agent_opts[] = {
    AO("agent-check", sopt_agent_check, 0), AO("no-agent-check", sopt_agent_check, 0),
    AO("agent-port", sopt_agent_value, 1),  AO("agent-inter", sopt_agent_value, 1),
    AO("agent-addr", sopt_agent_value, 1),  AO("agent-send", sopt_agent_value, 1),
};
CFG_REGISTER_KEYWORDS(agent_opts)

int agent_configured(const struct srv_rt *s)
{
	return s->conf->cfg.agent_check;
}

void agent_force(struct srv_rt *s, int up, const struct check_state *why)
{
	struct agent *ag = agent_find(s);
	if (!ag || ag->health == up)
		return;
	ag->health = up;
	check_agent_verdict(s, up, why);
}

void agent_retarget(struct srv_rt *s, const struct hl_addr *addr, int port, const char *send)
{
	struct agent *ag = agent_find(s);
	if (!ag)
		return;
	if (addr) {
		ag->rt_addr = *addr;
		ag->rt_addr.hostname = NULL;
		ag->rt_addr_set = 1;
	}
	if (port >= 0)
		ag->rt_port = port;
	if (send) {
		free(ag->rt_send);
		ag->rt_send = xstrdup(send);
		ag->rt_send_set = 1;
	}
}

void agent_pause(struct srv_rt *s, int pause)
{
	struct agent *ag = agent_find(s);
	if (!ag || ag->paused == pause)
		return;
	ag->paused = pause;
	if (pause) {
		if (ag->fd < 0)
			timer_set(&ag->t, 0);
		if (!ag->health) {
			ag->health = 1;
			check_agent_verdict(s, 1, &ag->st);
		}
	} else if (ag->fd < 0)
		timer_set(&ag->t, curthr->now_ms + 1);
}
