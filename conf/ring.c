/* "ring" sections (see conf/ring.h). */
#include "conf/ring.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/model-t.h"

#define RING_DEFAULT_SIZE 16384
#define RING_IMPLICIT_SIZE (1024 * 1024)

struct ring_cfg *ring_cfgs;

struct ring_cfg *ring_cfg_find(const char *name)
{
	for (struct ring_cfg *r = ring_cfgs; r; r = r->next)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

static struct ring_cfg *ring_new(const char *name, const char *file, int line)
{
	struct ring_cfg *r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->format = LOG_FMT_RAW;
	r->maxlen = 1024;
	r->size = RING_DEFAULT_SIZE;
	r->file = xstrdup(file ? file : "");
	r->line = line;
	struct ring_cfg **tail = &ring_cfgs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	return r;
}

struct ring_cfg *ring_cfg_implicit(const char *text, const struct hl_addr *addr)
{
	struct ring_cfg *r = ring_cfg_find(text);
	if (r)
		return r;
	r = ring_new(text, NULL, 0);
	r->format = LOG_FMT_RFC3164;
	r->size = RING_IMPLICIT_SIZE;
	r->servers = xcalloc(1, sizeof(*r->servers));
	r->servers->name = xstrdup(text);
	r->servers->addr = *addr;
	r->servers->addr.hostname = addr->hostname ? xstrdup(addr->hostname) : NULL;
	return r;
}

/* ring <name> */
static int ring_begin(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2 || !*args[1]) {
		memprintf(err, "'ring' expects <name> as argument.");
		return CFG_ALERT;
	}
	struct ring_cfg *dup = ring_cfg_find(args[1]);
	if (dup) {
		memprintf(err, "ring '%s' already exists (declared at %s:%d).", args[1], dup->file,
		          dup->line);
		return CFG_ALERT;
	}
	ctx->sect_data = ring_new(args[1], ctx->file, ctx->line);
	return CFG_OK;
}

static struct cfg_section ring_section = {"ring", SECT_RING, ring_begin, NULL};
CFG_REGISTER_SECTION(ring_section)

static int one_arg(char **args, int nargs, char **err)
{
	if (nargs == 2 && *args[1])
		return 0;
	memprintf(err, "'%s' expects one argument.", args[0]);
	return -1;
}

/* description, format, maxlen, size */
static int parse_ring_kw(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct ring_cfg *r = ctx->sect_data;
	const char *bad = NULL;
	uint64_t v;
	if (!r || one_arg(args, nargs, err) < 0)
		return CFG_ALERT;
	if (!strcmp(args[0], "description")) {
		free(r->desc);
		r->desc = xstrdup(args[1]);
	} else if (!strcmp(args[0], "format")) {
		int f = log_format_by_name(args[1]);
		if (f < 0) {
			memprintf(err, "unknown format '%s'.", args[1]);
			return CFG_ALERT;
		}
		r->format = (enum log_format)f;
		r->format_set = 1;
	} else if (!strcmp(args[0], "maxlen")) {
		if (parse_size(args[1], 65535, &v, &bad) != PARSE_OK || v < 1) {
			memprintf(err, "'maxlen' expects a size between 1 and 65535, got '%s'.",
			          args[1]);
			return CFG_ALERT;
		}
		r->maxlen = (int)v;
	} else {
		if (parse_size(args[1], 1ull << 30, &v, &bad) != PARSE_OK || v < 1024) {
			memprintf(err, "'size' expects a size between 1k and 1g, got '%s'.",
			          args[1]);
			return CFG_ALERT;
		}
		r->size = (size_t)v;
	}
	return CFG_OK;
}

/* timeout connect|server <time> */
static int parse_ring_timeout(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct ring_cfg *r = ctx->sect_data;
	uint32_t ms;
	const char *bad = NULL;
	if (!r || nargs != 3 || parse_time_ms(args[2], &ms, &bad) != PARSE_OK) {
		memprintf(err, "'%s %s' expects a time value.", args[0], args[1]);
		return CFG_ALERT;
	}
	*(!strcmp(args[1], "connect") ? &r->to_connect : &r->to_server) = ms;
	return CFG_OK;
}

/* server <name> <addr> [log-proto legacy|octet-count] */
static int parse_ring_server(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct ring_cfg *r = ctx->sect_data;
	if (!r || nargs < 3) {
		memprintf(err, "'server' expects <name> and <address>.");
		return CFG_ALERT;
	}
	struct ring_srv_cfg *s = xcalloc(1, sizeof(*s));
	char *aerr = NULL;
	if (addr_parse(args[2], PA_PORT_MANDATORY, &s->addr, &aerr) < 0 ||
	    (s->addr.kind != ADDR_INET4 && s->addr.kind != ADDR_INET6 &&
	     s->addr.kind != ADDR_UNIX)) {
		memprintf(err, "server '%s' : %s", args[1], aerr ? aerr : "unsupported address");
		free(aerr);
		free(s);
		return CFG_ALERT;
	}
	for (int i = 3; i < nargs; i++) {
		if (!strcmp(args[i], "log-proto") && i + 1 < nargs &&
		    (!strcmp(args[i + 1], "legacy") || !strcmp(args[i + 1], "octet-count"))) {
			s->octet_count = args[++i][0] == 'o';
			continue;
		}
		memprintf(err,
		          "server '%s' : '%s' is not supported in a ring (only 'log-proto "
		          "legacy|octet-count' is).",
		          args[1], args[i]);
		addr_release(&s->addr);
		free(s);
		return CFG_ALERT;
	}
	s->name = xstrdup(args[1]);
	struct ring_srv_cfg **tail = &r->servers;
	while (*tail)
		tail = &(*tail)->next;
	*tail = s;
	return CFG_OK;
}

static const struct cfg_kw ring_kws[] = {
    {.name = "description", .sections = SECT_RING, .parse = parse_ring_kw},
    {.name = "format", .sections = SECT_RING, .parse = parse_ring_kw},
    {.name = "maxlen", .sections = SECT_RING, .parse = parse_ring_kw},
    {.name = "size", .sections = SECT_RING, .parse = parse_ring_kw},
    {.name = "timeout connect", .sections = SECT_RING, .parse = parse_ring_timeout},
    {.name = "timeout server", .sections = SECT_RING, .parse = parse_ring_timeout},
    {.name = "server", .sections = SECT_RING, .parse = parse_ring_server},
    {.name = "backing-file", .sections = SECT_RING, .flags = KWF_PENDING},
};
CFG_REGISTER_KEYWORDS(ring_kws)
