/* Whole-configuration checks run after every file is parsed: references
 * between proxies, identifiers, and settings that only make sense together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "conf/lb-registry.h"
#include "conf/parser.h"
#include "conf/proxy.h"

static struct cfg_checker *checkers;

void cfg_register_checker(struct cfg_checker *checker)
{
	checker->next = checkers;
	checkers = checker;
}

static const char *mode_str(enum px_mode mode)
{
	return mode == PX_MODE_HTTP ? "http" : "tcp";
}

/* Checks that frontend <fe> may hand its streams to backend <be>: an HTTP
 * frontend needs an HTTP backend (a TCP frontend may use either). <how>
 * ends the message. Returns 1 after an alert, 0 otherwise.
 */
static int check_backend_mode(const struct proxy *fe, const struct proxy *be, const char *how)
{
	if (fe->mode != PX_MODE_HTTP || be->mode == PX_MODE_HTTP)
		return 0;
	ha_alert("config : %s %s '%s' (%s:%d) tries to use incompatible %s %s '%s' (%s:%d) %s "
		 "(see 'mode').\n", mode_str(fe->mode), proxy_type_str(fe), fe->id, fe->file,
		 fe->line, mode_str(be->mode), proxy_type_str(be), be->id, be->file, be->line, how);
	return 1;
}

/* Resolves default_backend and use_backend names of frontend <px>. */
static int resolve_backends(struct config *cfg, struct proxy *px)
{
	int errors = 0;

	if (px->default_backend_name) {
		px->default_backend = proxy_find(cfg, px->default_backend_name, PX_CAP_BE);
		if (!px->default_backend) {
			ha_alert("config : Proxy '%s': unable to find required default_backend: "
				 "'%s'.\n", px->id, px->default_backend_name);
			errors++;
		} else {
			errors += check_backend_mode(px, px->default_backend,
						     "as its default backend");
		}
	}
	for (struct switching_rule *r = px->switching_rules; r; r = r->next) {
		if (r->dyn_name)
			continue; /* resolved for each request */
		r->be = proxy_find(cfg, r->be_name, PX_CAP_BE);
		if (!r->be) {
			ha_alert("config : Proxy '%s': unable to find required use_backend: '%s'.\n",
				 px->id, r->be_name);
			errors++;
		} else {
			errors += check_backend_mode(px, r->be, "in a 'use_backend' rule");
		}
	}
	return errors;
}

/* The first proxy id from <next> on that no proxy was given explicitly. */
static int next_free_proxy_id(const struct config *cfg, int next)
{
	for (;;) {
		int used = 0;
		for (const struct proxy *o = cfg->proxies; o; o = o->next)
			used |= o->uuid_set && o->uuid == next;
		if (!used)
			return next;
		next++;
	}
}

/* Assigns automatic ids to proxies and servers that have none. HAProxy's
 * CLI frontend ("GLOBAL", never listed) comes first in its proxy list, so
 * it takes the first free id when it exists.
 */
static void assign_ids(struct config *cfg)
{
	int next = 1;
	if (cfg->global.cli_frontend)
		next = next_free_proxy_id(cfg, next) + 1;
	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		if (px->uuid_set)
			continue;
		next = next_free_proxy_id(cfg, next);
		px->uuid = next++;
	}
	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		int sid = 1;
		for (struct server *s = px->servers; s; s = s->next) {
			if (s->puid_set)
				continue;
			for (;;) {
				int used = 0;
				for (struct server *o = px->servers; o; o = o->next)
					used |= o->puid_set && o->puid == sid;
				if (!used)
					break;
				sid++;
			}
			s->puid = sid++;
		}
	}
}

/* Warns about timeouts that a proxy of this kind really needs. */
static void check_timeouts(struct proxy *px)
{
	int fe = px->cap & PX_CAP_FE, be = px->cap & PX_CAP_BE;
	if ((fe && !px->to.client) || (be && (!px->to.connect || !px->to.server))) {
		ha_warning("config : missing timeouts for %s '%s'.\n"
			   "   | Without them, stalled clients or servers keep their connections\n"
			   "   | open forever. Set non-zero values for 'timeout client',\n"
			   "   | 'timeout connect' and 'timeout server'.\n",
			   proxy_type_str(px), px->id);
	}
}

/* Layer 7 algorithms (uri, url_param, hdr...) of a backend that is not in
 * HTTP mode: warns and falls back to roundrobin, as HAProxy does.
 */
static void check_lb_mode(struct proxy *px)
{
	const struct lb_algo *algo = px->lb.algo;
	if (!(px->cap & PX_CAP_BE) || px->mode == PX_MODE_HTTP || !algo || !algo->needs_http)
		return;
	ha_warning("config : Layer 7 hash not possible for %s '%s' (needs 'mode http'). "
		   "Falling back to round robin.\n",
		   proxy_type_str(px), px->id);
	free(px->lb.arg);
	px->lb.arg = NULL;
	px->lb.arg_int = px->lb.arg_opt = px->lb.arg_len = px->lb.arg_depth = 0;
	px->lb.algo = lb_find_algo("roundrobin");
}

/* Runs the registered module checks; returns the number of errors. */
static int run_checkers(struct config *cfg)
{
	int errors = 0;

	for (struct cfg_checker *c = checkers; c; c = c->next)
		if (c->config)
			errors += c->config(cfg);
	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		if (px->disabled)
			continue;
		for (struct cfg_checker *c = checkers; c; c = c->next)
			if (c->proxy)
				errors += c->proxy(cfg, px);
	}
	return errors;
}

int cfg_validate(struct config *cfg)
{
	int errors = 0;

	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		if (px->disabled)
			continue;
		check_lb_mode(px);
		if ((px->cap & PX_CAP_FE) && !px->binds)
			ha_warning("config : proxy '%s' has no 'bind' directive. Please declare it "
				   "as a backend if this was intended.\n", px->id);
		if (px->cap & PX_CAP_FE)
			errors += resolve_backends(cfg, px);
		check_timeouts(px);
	}
	errors += run_checkers(cfg);
	assign_ids(cfg);
	return errors ? -1 : 0;
}

void cfg_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->global.tune_bufsize = 16384;
	cfg->global.tune_http_maxhdr = 101;
	cfg->global.tune_maxaccept = 64;
	cfg->global.tune_maxpollevents = 200;
	cfg->global.thread_groups = 1;
}
