/* Server state files ("server-state-file", "load-server-state-from-file"):
 * before traffic starts, the states a previous process wrote with "show
 * servers state" are applied to the servers of the new configuration, as
 * HAProxy 2.6 applies them:
 *   - a server its checks had marked DOWN starts DOWN (its checks bring it
 *     back), with HAProxy's warning;
 *   - maintenance and drain set from the runtime API are kept, the
 *     configuration's "disabled" wins over the file either way;
 *   - the runtime weight is kept unless the configured weight changed;
 *   - the port is kept, and the address of a server configured by name;
 *   - the time since the last change goes on.
 * A file whose lines do not have the fields of version 1 is ignored whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mem.h"
#include "common/msg.h"
#include "worker/check.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/srv-addr.h"
#include "worker/srv-state.h"

#define STATE_MIN_FIELDS 19 /* version 1 up to srv_port */
#define STATE_MAX_FIELDS 25

/* "show servers state" columns used here */
enum {
	F_BE_NAME = 1,
	F_SRV_NAME = 3,
	F_SRV_ADDR = 4,
	F_OP_STATE = 5,
	F_ADMIN_STATE = 6,
	F_UWEIGHT = 7,
	F_IWEIGHT = 8,
	F_SINCE = 9,
	F_PORT = 18,
};

#define ADMF_FMAINT 0x01
#define ADMF_FDRAIN 0x08

struct state_line {
	char *buf;
	char *f[STATE_MAX_FIELDS];
	int n;
	struct state_line *next;
};

struct state_file {
	struct state_line *lines;
};

static void free_lines(struct state_file *sf)
{
	while (sf->lines) {
		struct state_line *l = sf->lines;
		sf->lines = l->next;
		free(l->buf);
		free(l);
	}
}

/* Splits <text> into fields at spaces; returns the count (more than the
 * maximum counts as maximum + 1).
 */
static int split_fields(struct state_line *l)
{
	char *p = l->buf, *save = NULL;
	l->n = 0;
	for (char *w = strtok_r(p, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (l->n == STATE_MAX_FIELDS)
			return STATE_MAX_FIELDS + 1;
		l->f[l->n++] = w;
	}
	return l->n;
}

/* Reads <path> into <sf>. 0, -1 if it cannot be opened (errno set), -2 on
 * a corrupted line (*bad_line), -3 on a missing or unknown version.
 */
static int read_state_file(const char *path, struct state_file *sf, int *bad_line)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	struct state_line **tail = &sf->lines;
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		if (lineno == 1) {
			if (atoi(line) != 1)
				rc = -3;
			if (rc)
				break;
			continue;
		}
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0)
			continue;
		struct state_line *l = xcalloc(1, sizeof(*l));
		l->buf = xstrdup(line);
		int n = split_fields(l);
		*tail = l;
		tail = &l->next;
		if (n < STATE_MIN_FIELDS || n > STATE_MAX_FIELDS) {
			*bad_line = lineno;
			rc = -2;
			break;
		}
	}
	if (lineno == 0)
		rc = -3;
	free(line);
	fclose(f);
	if (rc)
		free_lines(sf);
	return rc;
}

/* The file path for <name>: relative ones are under server-state-base. */
static char *state_path(const struct global_cfg *g, const char *name)
{
	if (name[0] == '/' || !g->server_state_base)
		return xstrdup(name);
	size_t bl = strlen(g->server_state_base);
	int slash = bl && g->server_state_base[bl - 1] == '/';
	return xasprintf("%s%s%s", g->server_state_base, slash ? "" : "/", name);
}

static int read_int(const char *s, long *out)
{
	char *end = NULL;
	errno = 0;
	*out = strtol(s, &end, 10);
	return !errno && end != s && !*end;
}

static struct srv_rt *find_server(struct be_rt *be, const char *name)
{
	struct srv_rt *s = be_find_server(be, name);
	if (s)
		return s;
	return NULL;
}

/* A server marked DOWN by its checks in the previous process starts DOWN. */
static void apply_down(struct srv_rt *s)
{
	int act, bck;
	atomic_store(&s->oper_up, 0);
	check_count_usable(s->be, &act, &bck);
	ha_warning("config : %sServer %s/%s is DOWN, changed from server-state after a reload. %d "
	           "active and %d backup servers left. 0 sessions active, 0 requeued, 0 remaining "
	           "in queue.\n",
	           check_srv_kind(s), s->be->conf->id, s->conf->id, act, bck);
}

/* Applies the port (and, for a server configured by name, the address)
 * of line <l> to <s>.
 */
static void apply_addr(struct srv_rt *s, const struct state_line *l)
{
	const struct hl_addr *cur = srv_addr(s);
	long port;
	if (cur->kind != ADDR_INET4 && cur->kind != ADDR_INET6)
		return;
	struct hl_addr next = *cur;
	if ((cur->flags & ADDR_F_HOSTNAME) && strcmp(l->f[F_SRV_ADDR], "-"))
		srv_addr_set_ip(&next, l->f[F_SRV_ADDR]); /* kept as it is when invalid */
	if ((cur->flags & ADDR_F_PORT_SET) && read_int(l->f[F_PORT], &port) && port > 0 &&
	    port < 65536)
		srv_addr_set_port(&next, (uint16_t)port);
	if (memcmp(&next.ss, &cur->ss, sizeof(next.ss)))
		srv_publish_addr(s, &next);
}

/* Applies line <l> to server <s>; warns and returns -1 on a bad field. */
static int apply_line(struct srv_rt *s, const struct state_line *l)
{
	long op, adm, uw, iw, since;
	const char *bad = NULL, *what = NULL;
	if (!read_int(l->f[F_OP_STATE], &op) || op < 0 || op > 3)
		bad = l->f[F_OP_STATE], what = "srv_op_state";
	else if (!read_int(l->f[F_ADMIN_STATE], &adm) || adm < 0 || adm > 0xff)
		bad = l->f[F_ADMIN_STATE], what = "srv_admin_state";
	else if (!read_int(l->f[F_UWEIGHT], &uw) || uw < 0 || uw > 256)
		bad = l->f[F_UWEIGHT], what = "srv_uweight";
	else if (!read_int(l->f[F_IWEIGHT], &iw) || iw < 0 || iw > 256)
		bad = l->f[F_IWEIGHT], what = "srv_iweight";
	else if (!read_int(l->f[F_SINCE], &since) || since < 0)
		bad = l->f[F_SINCE], what = "srv_last_time_change";
	if (bad) {
		ha_warning("config : server-state application failed for server '%s/%s', invalid %s "
		           "value '%s'\n",
		           s->be->conf->id, s->conf->id, what, bad);
		return -1;
	}
	const struct server_cfg *c = &s->conf->cfg;
	unsigned admin = c->disabled ? SRV_ADMIN_MAINT : 0;
	if (!c->disabled && (adm & ADMF_FMAINT))
		admin |= SRV_ADMIN_MAINT;
	if (adm & ADMF_FDRAIN) {
		admin |= SRV_ADMIN_DRAIN;
		ha_warning("config : Server %s/%s remains in forced drain mode.\n", s->be->conf->id,
		           s->conf->id);
	}
	atomic_store(&s->admin, admin);
	if (admin & SRV_ADMIN_MAINT)
		atomic_store(&s->maint_seen, 1);
	if (iw == c->weight)
		atomic_store(&s->uweight, (int)uw);
	atomic_store(&s->last_change, (long)time(NULL) - since);
	apply_addr(s, l);
	if (op == 0 && c->check && !(admin & SRV_ADMIN_MAINT))
		apply_down(s);
	return 0;
}

/* Applies the lines of <sf> that name backend <be>. */
static void apply_file(struct be_rt *be, const struct state_file *sf)
{
	for (const struct state_line *l = sf->lines; l; l = l->next) {
		if (strcmp(l->f[F_BE_NAME], be->conf->id))
			continue;
		struct srv_rt *s = find_server(be, l->f[F_SRV_NAME]);
		if (s)
			apply_line(s, l);
	}
	backend_publish(be);
}

/* Reads the file of backend <be> ("local"). */
static void load_local(const struct global_cfg *g, struct be_rt *be)
{
	const char *name = be->conf->state_file_name ? be->conf->state_file_name : be->conf->id;
	char *path = state_path(g, name);
	struct state_file sf = {0};
	int bad = 0, rc = read_state_file(path, &sf, &bad);
	if (rc == -1)
		ha_warning("config : Proxy '%s': Can't open server state file '%s': %s.\n",
		           be->conf->id, path, strerror(errno));
	else if (rc == -2)
		ha_warning("config : Proxy '%s': corrupted server state file '%s' at line %d.\n",
		           be->conf->id, path, bad);
	else if (rc == -3)
		ha_warning("config : Proxy '%s': Can't get version of the server state file '%s'.\n",
		           be->conf->id, path);
	else
		apply_file(be, &sf);
	free_lines(&sf);
	free(path);
}

void srv_state_load(void)
{
	const struct global_cfg *g = &rt.cfg->global;
	struct state_file global = {0};
	int global_read = 0;
	for (int b = 0; b < rt.nbe; b++) {
		struct be_rt *be = &rt.bes[b];
		if (be->conf->load_state == SRV_STATE_LOAD_LOCAL) {
			load_local(g, be);
			continue;
		}
		if (be->conf->load_state != SRV_STATE_LOAD_GLOBAL)
			continue;
		if (!g->server_state_file) {
			ha_warning("config : backend '%s' configured to load server state file from "
			           "global section 'server-state-file' directive. Unfortunately, "
			           "'server-state-file' is not set!\n",
			           be->conf->id);
			continue;
		}
		if (!global_read) {
			char *path = state_path(g, g->server_state_file);
			int bad = 0, rc = read_state_file(path, &global, &bad);
			if (rc == -1)
				ha_warning("config : config: Can't open global server state file '%s': "
				           "%s\n",
				           path, strerror(errno));
			else if (rc == -2)
				ha_warning("config : config: corrupted global server state file '%s' at "
				           "line %d.\n",
				           path, bad);
			else if (rc == -3)
				ha_warning("config : config: Can't get version of the global server "
				           "state file '%s'.\n",
				           path);
			free(path);
			global_read = 1;
		}
		apply_file(be, &global);
	}
	free_lines(&global);
}
