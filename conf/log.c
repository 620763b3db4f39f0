/* "log" lines and the global logging keywords (see conf/log.h). */
#include "conf/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/mem.h"
#include "conf/kw.h"
#include "common/msg.h"
#include "conf/model-t.h"
#include "conf/ring.h"

struct global_log global_log;

static const char *const facilities[] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "auth2",  "ftp",    "ntp",    "audit",  "alert",  "cron2",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};

static const char *const levels[] = {"emerg",   "alert",  "crit", "err",
                                     "warning", "notice", "info", "debug"};

static const char *const formats[] = {
    [LOG_FMT_RFC3164] = "rfc3164",   [LOG_FMT_LOCAL] = "local", [LOG_FMT_RFC5424] = "rfc5424",
    [LOG_FMT_PRIORITY] = "priority", [LOG_FMT_SHORT] = "short", [LOG_FMT_TIMED] = "timed",
    [LOG_FMT_ISO] = "iso",           [LOG_FMT_RAW] = "raw"};

/* Index of <word> in <names> (<n> entries), or -1. */
static int name_index(const char *const *names, int n, const char *word)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], word))
			return i;
	return -1;
}

/* tcp@<addr>: an implicit ring forwarding to that TCP syslog server. */
static int parse_tcp_target(struct log_target *t, const char *text, char **err)
{
	struct hl_addr a = {0};
	char *aerr = NULL;
	if (addr_parse(text, PA_PORT_MANDATORY, &a, &aerr) < 0) {
		memprintf(err, "log : %s", aerr ? aerr : "invalid address");
		free(aerr);
		return -1;
	}
	t->kind = LOG_TGT_RING;
	t->ring = ring_cfg_implicit(text, &a);
	addr_release(&a);
	return 0;
}

static int refuse_target(const char *text, char **err)
{
	memprintf(err,
	          "log : target '%s' is not supported yet (UDP, unix datagram sockets, fd@<n>, "
	          "stdout, stderr, ring@<name> and tcp@<address> are)",
	          text);
	return -1;
}

/* Reads the target address of a "log" line into <t>. */
static int parse_target_addr(struct log_target *t, const char *text, char **err)
{
	if (!strcmp(text, "stdout") || !strcmp(text, "stderr")) {
		t->kind = LOG_TGT_FD;
		t->fd = text[3] == 'o' ? 1 : 2;
		return 0;
	}
	if (!strncmp(text, "ring@", 5) && text[5]) {
		t->kind = LOG_TGT_RING;
		t->ring_name = xstrdup(text + 5);
		return 0;
	}
	if (!strncmp(text, "tcp@", 4) || !strncmp(text, "tcp4@", 5) || !strncmp(text, "tcp6@", 5))
		return parse_tcp_target(t, text, err);
	if (!strncmp(text, "backend@", 8) || !strncmp(text, "uxst@", 5))
		return refuse_target(text, err);
	struct hl_addr a = {0};
	char *aerr = NULL;
	if (addr_parse(text, PA_PORT_OK | PA_DGRAM, &a, &aerr) < 0) {
		memprintf(err, "log : %s", aerr ? aerr : "invalid address");
		free(aerr);
		return -1;
	}
	if (a.kind == ADDR_FD) {
		t->kind = LOG_TGT_FD;
		t->fd = a.fd;
	} else if (a.kind == ADDR_SOCKPAIR || a.socktype != SOCK_DGRAM) {
		addr_release(&a);
		return refuse_target(text, err);
	} else {
		t->kind = LOG_TGT_DGRAM;
		t->addr = a.ss;
		t->addrlen = a.sslen;
		if ((a.kind == ADDR_INET4 || a.kind == ADDR_INET6) && !(a.flags & ADDR_F_PORT_SET))
			((struct sockaddr_in *)&t->addr)->sin_port =
			    htons(514); /* same offset in v6 */
	}
	addr_release(&a);
	return 0;
}

/* "sample <ranges>:<size>" of a "log" line. */
static int parse_sample(struct log_target *t, const char *spec, char **err)
{
	const char *colon = strrchr(spec, ':');
	char *end;
	long size = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || !colon[1] || *end || size <= 0 || size > 1000000) {
		memprintf(err, "log : invalid sample '%s' (expects <ranges>:<sample_size>)", spec);
		return -1;
	}
	t->smp_size = (int)size;
	for (const char *p = spec; p < colon;) {
		long lo = strtol(p, &end, 10), hi = lo;
		if (end == p || lo <= 0)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p || hi < lo)
				goto bad;
		}
		if (hi > size) {
			memprintf(err,
			          "log : sample range '%ld' is larger than the sample size %ld", hi,
			          size);
			return -1;
		}
		t->smp_ranges =
		    xrealloc(t->smp_ranges, sizeof(*t->smp_ranges) * (t->smp_nranges + 1));
		t->smp_ranges[t->smp_nranges].lo = (int)lo;
		t->smp_ranges[t->smp_nranges++].hi = (int)hi;
		if (*end == ',')
			end++;
		else if (end != colon)
			goto bad;
		p = end;
	}
	if (!t->smp_nranges)
		goto bad;
	t->smp_count = xcalloc(1, sizeof(*t->smp_count));
	return 0;
bad:
	memprintf(err, "log : invalid sample ranges in '%s'", spec);
	return -1;
}

/* The optional words between target and facility, in HAProxy's order:
 * [len <n>] [format <fmt>] [sample <ranges>:<size>]. Returns the index of
 * the facility, or -1.
 */
static int parse_target_opts(struct log_target *t, char **args, int nargs, int i, char **err)
{
	if (i + 1 < nargs && !strcmp(args[i], "len")) {
		char *end;
		long n = strtol(args[i + 1], &end, 10);
		if (!*args[i + 1] || *end || n < 80 || n > 65535) {
			memprintf(err,
			          "log : invalid log length '%s', must be between 80 and 65535",
			          args[i + 1]);
			return -1;
		}
		t->maxlen = (int)n;
		i += 2;
	}
	if (i + 1 < nargs && !strcmp(args[i], "format")) {
		int f = name_index(formats, sizeof(formats) / sizeof(formats[0]), args[i + 1]);
		if (f < 0) {
			memprintf(err, "log : unknown log format '%s'", args[i + 1]);
			return -1;
		}
		t->format = (enum log_format)f;
		t->format_set = 1;
		i += 2;
	}
	if (i + 1 < nargs && !strcmp(args[i], "sample")) {
		if (parse_sample(t, args[i + 1], err) < 0)
			return -1;
		i += 2;
	}
	if (i < nargs && !strcmp(args[i], "profile")) {
		memprintf(err, "log : 'profile' is not supported yet");
		return -1;
	}
	return i;
}

/* Facility and levels that end a "log" line, from args[i]. */
static int parse_facility(struct log_target *t, char **args, int nargs, int i, char **err)
{
	if (i >= nargs) {
		memprintf(err, "log : expects <address> and <facility> as arguments.");
		return -1;
	}
	t->facility = name_index(facilities, 24, args[i]);
	if (t->facility < 0) {
		memprintf(err, "log : unknown log facility '%s'", args[i]);
		return -1;
	}
	t->level = 7;
	t->minlevel = 0;
	for (int k = 1; k <= 2 && i + k < nargs; k++) {
		int l = name_index(levels, 8, args[i + k]);
		if (l < 0) {
			memprintf(err, "log : unknown %s log level '%s'",
			          k == 1 ? "optional" : "minimum", args[i + k]);
			return -1;
		}
		*(k == 1 ? &t->level : &t->minlevel) = l;
	}
	if (i + 3 < nargs) {
		memprintf(err, "log : too many arguments starting at '%s'", args[i + 3]);
		return -1;
	}
	return 0;
}

static void target_free(struct log_target *t)
{
	free(t->text);
	free(t->ring_name);
	free(t->smp_ranges);
	free(t);
}

/* Parses "log <target> ... <facility> [level [minlevel]]" into a new target. */
struct log_target *log_parse_target(char **args, int nargs, char **err)
{
	struct log_target *t = xcalloc(1, sizeof(*t));
	t->maxlen = 1024;
	t->text = xstrdup(args[1]);
	int i;
	if (parse_target_addr(t, args[1], err) < 0 ||
	    (i = parse_target_opts(t, args, nargs, 2, err)) < 0 ||
	    parse_facility(t, args, nargs, i, err) < 0) {
		target_free(t);
		return NULL;
	}
	return t;
}

struct log_target *log_target_copy(const struct log_target *src)
{
	struct log_target *t = xcalloc(1, sizeof(*t));
	*t = *src;
	t->text = xstrdup(src->text);
	t->ring_name = src->ring_name ? xstrdup(src->ring_name) : NULL;
	if (src->smp_nranges) {
		t->smp_ranges = xcalloc((size_t)src->smp_nranges, sizeof(*t->smp_ranges));
		memcpy(t->smp_ranges, src->smp_ranges, sizeof(*t->smp_ranges) * src->smp_nranges);
	}
	t->next = NULL;
	return t;
}

void log_targets_append(struct log_target **list, struct log_target *t)
{
	while (*list)
		list = &(*list)->next;
	*list = t;
}

static void targets_free(struct log_target **list)
{
	while (*list) {
		struct log_target *t = *list;
		*list = t->next;
		target_free(t);
	}
}

int log_add_targets(struct log_target **list, char **args, int nargs, int allow_global,
                    char **err)
{
	if (allow_global && nargs == 2 && !strcmp(args[1], "global")) {
		for (const struct log_target *g = global_log.targets; g; g = g->next)
			log_targets_append(list, log_target_copy(g));
		return CFG_OK;
	}
	if (nargs < 2) {
		memprintf(err, "log : expects <address> and <facility> as arguments.");
		return CFG_ALERT;
	}
	struct log_target *t = log_parse_target(args, nargs, err);
	if (!t)
		return CFG_ALERT;
	log_targets_append(list, t);
	return CFG_OK;
}

/* global: log <target> ... */
static int parse_global_log(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	(void)ctx;
	return log_add_targets(&global_log.targets, args, nargs, 0, err);
}

/* proxy: log global | log <target> ... | no log */
static int parse_proxy_log(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_log *pl = &ctx->px->log;
	if (ctx->inverse) {
		if (nargs > 1) {
			memprintf(err, "'no log' does not expect arguments");
			return CFG_ALERT;
		}
		targets_free(&pl->targets);
		pl->no_log = 1;
		return CFG_OK;
	}
	return log_add_targets(&pl->targets, args, nargs, 1, err);
}

/* log-send-hostname [<name>] */
static int parse_send_hostname(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	(void)ctx;
	char host[256] = "";
	if (nargs > 2) {
		memprintf(err, "'%s' expects at most one argument", args[0]);
		return CFG_ALERT;
	}
	if (nargs < 2 && gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	free(global_log.send_hostname);
	global_log.send_hostname = xstrdup(nargs > 1 ? args[1] : host);
	return CFG_OK;
}

/* log-tag <tag>, global or per proxy */
static int parse_log_tag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2 || !*args[1]) {
		memprintf(err, "'%s' expects a tag for use in syslog.", args[0]);
		return CFG_ALERT;
	}
	char **slot = ctx->px ? &ctx->px->log.tag : &global_log.tag;
	free(*slot);
	*slot = xstrdup(args[1]);
	return CFG_OK;
}

void log_inherit(struct px_log *dst, const struct px_log *def)
{
	for (const struct log_target *t = def->targets; t; t = t->next)
		log_targets_append(&dst->targets, log_target_copy(t));
	dst->tag = def->tag ? xstrdup(def->tag) : NULL;
	dst->kind = def->kind;
	dst->format = def->format ? xstrdup(def->format) : NULL;
	dst->format_sd = def->format_sd ? xstrdup(def->format_sd) : NULL;
	dst->uid_format = def->uid_format ? xstrdup(def->uid_format) : NULL;
	dst->uid_header = def->uid_header ? xstrdup(def->uid_header) : NULL;
	dst->flags = def->flags;
	dst->fmt_file = def->fmt_file;
	dst->fmt_line = def->fmt_line;
	dst->sd_file = def->sd_file;
	dst->sd_line = def->sd_line;
	dst->uid_file = def->uid_file;
	dst->uid_line = def->uid_line;
}

const char *log_tag_of(const struct px_log *pl)
{
	if (pl && pl->tag)
		return pl->tag;
	if (global_log.tag)
		return global_log.tag;
	return program_invocation_short_name;
}

int log_format_by_name(const char *name)
{
	return name_index(formats, sizeof(formats) / sizeof(formats[0]), name);
}

int log_level_by_name(const char *name)
{
	return name_index(levels, 8, name);
}

/* Resolves the ring@<name> targets of <list>; returns the errors. */
static int resolve_rings(struct log_target *list, const char *where)
{
	int errors = 0;
	for (struct log_target *t = list; t; t = t->next) {
		if (t->kind != LOG_TGT_RING || t->ring)
			continue;
		t->ring = ring_cfg_find(t->ring_name);
		if (!t->ring) {
			ha_alert("config : %s : log target 'ring@%s' : no such ring.\n", where,
			         t->ring_name);
			errors++;
		}
	}
	return errors;
}

static int resolve_log_rings(struct config *cfg)
{
	char where[300];
	int errors = resolve_rings(global_log.targets, "global");
	for (struct proxy *px = cfg->proxies; px; px = px->next) {
		snprintf(where, sizeof(where), "proxy '%s'", px->id);
		errors += resolve_rings(px->log.targets, where);
	}
	for (struct log_fwd_cfg *f = log_fwd_cfgs; f; f = f->next) {
		snprintf(where, sizeof(where), "log-forward '%s'", f->name);
		errors += resolve_rings(f->targets, where);
	}
	return errors;
}

static struct cfg_checker log_ring_checker = {.config = resolve_log_rings};
CFG_REGISTER_CHECKER(log_ring_checker)

/* tune.http.logurilen <n>: read as HAProxy reads it (leading digits, any
 * value); the logged request line keeps at most n bytes.
 */
static int parse_logurilen(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	(void)ctx;
	if (nargs > 2) {
		memprintf(err, "'%s' cannot handle unexpected argument '%s'.", args[0], args[2]);
		return CFG_ALERT;
	}
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'%s' expects an integer argument.", args[0]);
		return CFG_ALERT;
	}
	long v = strtol(args[1], NULL, 10);
	global_log.uri_len = v < 0 ? 0 : v > INT_MAX ? INT_MAX : v;
	global_log.uri_len_set = 1;
	return CFG_OK;
}

const char *log_hostname(void)
{
	return global_log.send_hostname;
}

static const struct cfg_kw log_kws[] = {
    {.name = "log", .sections = SECT_GLOBAL, .parse = parse_global_log},
    {.name = "log-send-hostname", .sections = SECT_GLOBAL, .parse = parse_send_hostname},
    {.name = "log-tag", .sections = SECT_GLOBAL, .parse = parse_log_tag},
    {.name = "tune.http.logurilen", .sections = SECT_GLOBAL, .parse = parse_logurilen},
    {.name = "log",
     .sections = SECT_PROXY,
     .cap = PX_CAP_ALL,
     .parse = parse_proxy_log,
     .flags = KWF_NO},
    {.name = "log-tag", .sections = SECT_PROXY, .cap = PX_CAP_ALL, .parse = parse_log_tag},
};
CFG_REGISTER_KEYWORDS(log_kws)
