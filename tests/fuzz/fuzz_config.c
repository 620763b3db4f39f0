/* libFuzzer target: a whole configuration file through the parser.
 *
 * Each input is parsed as one file into a fresh struct config, then
 * validated when parsing succeeded (as check mode does). Messages are
 * silenced (alerts still reach stderr: run with -close_fd_mask=2 to hide
 * them; libFuzzer keeps its own copy of stderr for crash reports).
 *
 * Leaks: the model has no free function. The target frees what it knows the
 * model owns (deduplicated, so shared pointers are freed once) to keep the
 * memory bounded, and disables LeakSanitizer for the rest (error paths that
 * drop allocations): run the binary with -detect_leaks=0 or rely on the
 * __lsan_disable() call below. Real leaks are caught by the configuration
 * corpus under the ASan build instead.
 *
 * Offline and fast: getaddrinfo() is replaced by a stub that only resolves
 * "localhost" and numeric addresses, so host names never trigger DNS.
 * "setenv"/"unsetenv"/"resetenv" change the environment: it is restored to
 * its initial content after each input so that inputs stay independent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/msg.h"
#include "conf/http.h"
#include "conf/kw.h"
#include "conf/model-t.h"
#include "conf/parser.h"

/* From the LeakSanitizer interface; weak so that builds without LSan link. */
extern void __lsan_disable(void) __attribute__((weak));

/******************************************************** getaddrinfo stub */

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *,
		      struct addrinfo **);

static int is_numeric_host(const char *node)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, node, buf) == 1 || inet_pton(AF_INET6, node, buf) == 1;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static gai_fn real;

	if (node && strcmp(node, "localhost") != 0 && !is_numeric_host(node))
		return EAI_NONAME;
	if (!real)
		real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
	if (!real)
		return EAI_FAIL;
	return real(node, service, hints, res);
}

/******************************************************** environment */

static char **saved_env;
static int nsaved_env;

static void env_save(void)
{
	extern char **environ;
	for (char **e = environ; e && *e; e++)
		nsaved_env++;
	saved_env = calloc((size_t)nsaved_env + 1, sizeof(*saved_env));
	for (int i = 0; i < nsaved_env; i++)
		saved_env[i] = strdup(environ[i]);
}

static void env_restore(void)
{
	clearenv();
	for (int i = 0; i < nsaved_env; i++) {
		char *eq = strchr(saved_env[i], '=');
		if (!eq)
			continue;
		*eq = 0;
		setenv(saved_env[i], eq + 1, 1);
		*eq = '=';
	}
}

/******************************************************** freeing the model */

struct ptrset {
	void **p;
	size_t n, cap;
};

static void add(struct ptrset *s, const void *ptr)
{
	if (!ptr)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->p = realloc(s->p, s->cap * sizeof(*s->p));
	}
	s->p[s->n++] = (void *)ptr;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
	return x < y ? -1 : x > y;
}

static void collect_bind(struct ptrset *s, const struct bind_conf *b)
{
	add(s, b->addr.hostname);
	add(s, b->name);
	add(s, b->file);
	add(s, b->interface);
}

static void collect_reply(struct ptrset *s, const struct http_reply *rep)
{
	if (rep) {
		add(s, rep);
		add(s, rep->raw);
	}
}

/* HTTP settings: strings and error references (replies may be shared). */
static void collect_http(struct ptrset *s, const struct px_http *h)
{
	add(s, h->fwdfor_hdr);
	add(s, h->origto_hdr);
	add(s, h->monitor_uri);
	for (const struct http_err_ref *r = h->err_refs; r; r = r->next) {
		add(s, r);
		add(s, r->arg);
		add(s, r->file);
		collect_reply(s, r->reply);
	}
}

static void collect_http_global(struct ptrset *s, const struct config *cfg)
{
	const struct h1_case_map *m = cfg->global.h1_case_adjust;

	for (const struct http_errors_sect *e = cfg->http_errors; e; e = e->next) {
		add(s, e);
		add(s, e->name);
		add(s, e->file);
		for (int i = 0; i < HTTP_ERR_SLOTS; i++)
			collect_reply(s, e->replies[i]);
	}
	if (!m)
		return;
	add(s, m);
	add(s, m->file);
	add(s, m->entries);
	for (size_t i = 0; i < m->count; i++) {
		add(s, m->entries[i].from);
		add(s, m->entries[i].to);
	}
}

static void collect_proxies(struct ptrset *s, const struct proxy *px)
{
	for (; px; px = px->next) {
		add(s, px);
		add(s, px->id);
		add(s, px->file);
		add(s, px->description);
		add(s, px->lb.arg);
		add(s, px->source.hostname);
		add(s, px->defsrv.source.hostname);
		add(s, px->default_backend_name);
		collect_http(s, &px->http);
		for (const struct bind_conf *b = px->binds; b; b = b->next) {
			add(s, b);
			collect_bind(s, b);
		}
		for (const struct server *sv = px->servers; sv; sv = sv->next) {
			add(s, sv);
			add(s, sv->id);
			add(s, sv->file);
			add(s, sv->addr.hostname);
			add(s, sv->cfg.source.hostname);
		}
		for (const struct switching_rule *r = px->switching_rules; r; r = r->next) {
			add(s, r);
			add(s, r->be_name);
			add(s, r->file);
		}
	}
}

/* Frees what the model is known to own, each pointer once. */
static void free_model(struct config *cfg)
{
	struct ptrset s = {0};
	const struct global_cfg *g = &cfg->global;

	collect_proxies(&s, cfg->proxies);
	collect_proxies(&s, cfg->defaults);
	for (const struct userlist *ul = cfg->userlists; ul; ul = ul->next) {
		add(&s, ul);
		add(&s, ul->name);
		add(&s, ul->file);
		for (const struct userlist_user *u = ul->users; u; u = u->next) {
			add(&s, u);
			add(&s, u->name);
			add(&s, u->pass);
			add(&s, u->groups);
		}
		for (const struct userlist_group *gr = ul->groups; gr; gr = gr->next) {
			add(&s, gr);
			add(&s, gr->name);
			add(&s, gr->users);
		}
	}
	collect_http_global(&s, cfg);
	add(&s, g->pidfile);
	add(&s, g->chroot);
	add(&s, g->node);
	add(&s, g->description);
	for (const struct stats_socket_cfg *sc = g->stats_sockets; sc; sc = sc->next) {
		add(&s, sc);
		collect_bind(&s, &sc->bind);
	}
	for (int i = 0; i < cfg->nb_files; i++)
		add(&s, cfg->files[i]);
	add(&s, cfg->files);

	if (s.n)
		qsort(s.p, s.n, sizeof(*s.p), cmp_ptr);
	for (size_t i = 0; i < s.n; i++)
		if (i == 0 || s.p[i] != s.p[i - 1])
			free(s.p[i]);
	free(s.p);
	free(cfg);
}

/******************************************************** entry points */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (__lsan_disable)
		__lsan_disable();
	msg_state.quiet = 1;
	msg_state.preamble = NULL;
	/* variables the seeds and mutations may reference */
	setenv("FUZZ_ADDR", "127.0.0.1:8080", 1);
	setenv("FUZZ_LIST", "name a maxconn 10", 1);
	setenv("FUZZ_EMPTY", "", 1);
	setenv("FUZZ_TMO", "5s", 1);
	env_save();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	/* an exact-size copy so that ASan sees reads past the end */
	char *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	cfg_init(cfg);
	int flags = cfg_parse_buffer(cfg, "fuzz.cfg", buf, size);
	if (!(flags & (CFG_ALERT | CFG_ABORT)))
		cfg_validate(cfg);
	free(buf);
	free_model(cfg);
	env_restore();
	startup_logs_reset();
	/* the counters only grow; keep them from wrapping on long runs */
	msg_state.alerts = msg_state.warnings = 0;
	return 0;
}
