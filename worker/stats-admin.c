/* Admin actions of the statistics page, with the field names and results
 * of HAProxy 2.6's form. Each action goes through the code the runtime API
 * uses for the same change: "set server <b>/<s> state", "set server health
 * / agent", "enable|disable health|agent", "shutdown sessions server".
 */
#include "worker/stats-admin.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "worker/check.h"
#include "worker/observe.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/srv-cmds.h"

static const char *const status_words[] = {
    [STATS_ST_UNKN] = "UNKN", [STATS_ST_DONE] = "DONE", [STATS_ST_PART] = "PART",
    [STATS_ST_NONE] = "NONE", [STATS_ST_DENY] = "DENY", [STATS_ST_ERRP] = "ERRP",
    [STATS_ST_EXCD] = "EXCD", [STATS_ST_IVAL] = "IVAL",
};

const char *stats_admin_status_word(enum stats_admin_status st)
{
	return status_words[st];
}

enum stats_admin_status stats_admin_status_of(const char *p, size_t len)
{
	for (size_t i = 1; i < sizeof(status_words) / sizeof(status_words[0]); i++)
		if (len >= 4 && !memcmp(p, status_words[i], 4))
			return (enum stats_admin_status)i;
	return STATS_ST_UNKN;
}

/* ---- actions: 1 when the server was changed, 0 when it does not apply ---- */

static int act_ready(struct srv_rt *s)
{
	srv_set_admin(s, 0, SRV_ADMIN_MAINT | SRV_ADMIN_DRAIN);
	return 1;
}

static int act_drain(struct srv_rt *s)
{
	srv_set_admin(s, SRV_ADMIN_DRAIN, SRV_ADMIN_MAINT);
	return 1;
}

static int act_maint(struct srv_rt *s)
{
	srv_set_admin(s, SRV_ADMIN_MAINT, SRV_ADMIN_DRAIN);
	return 1;
}

/* The older words: "disable"/"enable" maintenance, "stop"/"start" drain,
 * each counted only when it changes something.
 */
static int toggle_admin(struct srv_rt *s, unsigned bit, int set)
{
	int has = (atomic_load(&s->admin) & bit) != 0;
	if (has == set)
		return 0;
	srv_set_admin(s, set ? bit : 0, set ? 0 : bit);
	return 1;
}

static int act_disable(struct srv_rt *s)
{
	return toggle_admin(s, SRV_ADMIN_MAINT, 1);
}

static int act_enable(struct srv_rt *s)
{
	return toggle_admin(s, SRV_ADMIN_MAINT, 0);
}

static int act_stop(struct srv_rt *s)
{
	return toggle_admin(s, SRV_ADMIN_DRAIN, 1);
}

static int act_start(struct srv_rt *s)
{
	return toggle_admin(s, SRV_ADMIN_DRAIN, 0);
}

/* Health actions apply to servers with a check; forcing a state to any
 * server that does not track another one.
 */
static int health_toggle(struct srv_rt *s, enum check_ctl op)
{
	if (!check_configured(s))
		return 0;
	check_control_web(s, op);
	return 1;
}

static int act_dhlth(struct srv_rt *s)
{
	return health_toggle(s, CHK_CTL_HEALTH_DISABLE);
}

static int act_ehlth(struct srv_rt *s)
{
	return health_toggle(s, CHK_CTL_HEALTH_ENABLE);
}

static int health_force(struct srv_rt *s, enum check_ctl op)
{
	if (check_tracked(s))
		return 0;
	check_control_web(s, op);
	return 1;
}

static int act_hrunn(struct srv_rt *s)
{
	return health_force(s, CHK_CTL_HEALTH_UP);
}

static int act_hnolb(struct srv_rt *s)
{
	return health_force(s, CHK_CTL_HEALTH_STOPPING);
}

static int act_hdown(struct srv_rt *s)
{
	return health_force(s, CHK_CTL_HEALTH_DOWN);
}

/* Agent actions apply to servers with an agent check. */
static int agent_op(struct srv_rt *s, enum check_ctl op)
{
	if (!agent_configured(s))
		return 0;
	check_control_web(s, op);
	return 1;
}

static int act_dagent(struct srv_rt *s)
{
	return agent_op(s, CHK_CTL_AGENT_DISABLE);
}

static int act_eagent(struct srv_rt *s)
{
	return agent_op(s, CHK_CTL_AGENT_ENABLE);
}

/* Forcing the agent's verdict needs it running, as in HAProxy. */
static int agent_force_op(struct srv_rt *s, enum check_ctl op)
{
	if (!agent_enabled(s))
		return 0;
	check_control_web(s, op);
	return 1;
}

static int act_arunn(struct srv_rt *s)
{
	return agent_force_op(s, CHK_CTL_AGENT_UP);
}

static int act_adown(struct srv_rt *s)
{
	return agent_force_op(s, CHK_CTL_AGENT_DOWN);
}

static int act_shutdown(struct srv_rt *s)
{
	srv_shutdown_sessions(s);
	return 1;
}

typedef int (*admin_action)(struct srv_rt *s);

static const struct {
	const char *name;
	admin_action fn;
} actions[] = {
    {"ready", act_ready},       {"drain", act_drain},     {"maint", act_maint},
    {"dhlth", act_dhlth},       {"ehlth", act_ehlth},     {"hrunn", act_hrunn},
    {"hnolb", act_hnolb},       {"hdown", act_hdown},     {"dagent", act_dagent},
    {"eagent", act_eagent},     {"arunn", act_arunn},     {"adown", act_adown},
    {"shutdown", act_shutdown}, {"disable", act_disable}, {"enable", act_enable},
    {"stop", act_stop},         {"start", act_start},
};

static admin_action find_action(const char *name)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(actions[i].name, name))
			return actions[i].fn;
	return NULL;
}

/* The backend named <name> or "#<id>", NULL if none. */
static struct be_rt *find_backend(const char *name)
{
	if (name[0] != '#')
		return runtime_backend_by_name(name, strlen(name));
	char *end = NULL;
	long id = strtol(name + 1, &end, 10);
	if (end == name + 1 || *end)
		return NULL;
	for (int i = 0; i < rt.nbe; i++)
		if (rt.bes[i].conf->uuid == id)
			return &rt.bes[i];
	return NULL;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes form text <p> in place ("%XX", '+' is a space); -1 on a bad
 * escape or a NUL byte.
 */
static int form_decode(char *p)
{
	char *o = p;
	for (; *p; p++) {
		if (*p == '%') {
			int h = hex_val(p[1]), l = h < 0 ? -1 : hex_val(p[2]);
			if (l < 0 || (h == 0 && l == 0))
				return -1;
			*o++ = (char)(h << 4 | l);
			p += 2;
		} else {
			*o++ = *p == '+' ? ' ' : *p;
		}
	}
	*o = 0;
	return 0;
}

struct form_param {
	char *key, *val; /* decoded; <val> NULL without '=' */
};

/* Splits <buf> at '&' and decodes each parameter, from the last one back:
 * like HAProxy, a parameter that cannot be decoded ends the list there.
 * Returns the number kept in <out> (allocated), last parameter first.
 */
static int split_form(char *buf, struct form_param **out)
{
	int n = 1, kept = 0;
	for (char *p = buf; *p; p++)
		n += *p == '&';
	struct form_param *v = xcalloc((size_t)n, sizeof(*v));
	char *end = buf + strlen(buf);
	while (kept < n) {
		char *start = end;
		while (start > buf && start[-1] != '&')
			start--;
		*end = 0;
		char *eq = strchr(start, '=');
		if (eq)
			*eq = 0;
		if (form_decode(start) < 0 || (eq && form_decode(eq + 1) < 0))
			break;
		v[kept++] = (struct form_param){start, eq ? eq + 1 : NULL};
		if (start == buf)
			break;
		end = start - 1;
	}
	*out = v;
	return kept;
}

/* Applies <fn> to the servers named in <p> (<n> parameters) of <be>. */
static enum stats_admin_status apply_to_servers(struct be_rt *be, admin_action fn,
                                                const struct form_param *p, int n)
{
	int total = 0, altered = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(p[i].key, "s") != 0)
			continue;
		struct srv_rt *found = p[i].val ? be_find_server(be, p[i].val) : NULL;
		if (!found) { /* unknown: counts against the result */
			total++;
			continue;
		}
		int changed = fn(found);
		altered += changed;
		total += changed;
	}
	if (!total)
		return STATS_ST_NONE;
	if (!altered)
		return STATS_ST_ERRP;
	return altered == total ? STATS_ST_DONE : STATS_ST_PART;
}

enum stats_admin_status stats_admin_apply(const char *body, size_t len)
{
	char *buf = xstrndup(body, len);
	struct form_param *p = NULL;
	int n = split_form(buf, &p);
	struct be_rt *be = NULL;
	admin_action fn = NULL;
	int have_be = 0, have_act = 0;
	enum stats_admin_status st = STATS_ST_NONE;
	for (int i = 0; i < n && st == STATS_ST_NONE; i++) { /* the last of each counts */
		if (!have_be && !strcmp(p[i].key, "b")) {
			have_be = 1;
			if (!p[i].val || !(be = find_backend(p[i].val)))
				st = STATS_ST_ERRP;
		} else if (!have_act && !strcmp(p[i].key, "action")) {
			have_act = 1;
			if (!p[i].val || !(fn = find_action(p[i].val)))
				st = STATS_ST_ERRP;
		}
	}
	if (st == STATS_ST_NONE && be && fn)
		st = apply_to_servers(be, fn, p, n);
	free(p);
	free(buf);
	return st;
}
