/* "log-forward" sections: syslog listeners (dgram-bind for UDP, bind for
 * TCP) whose messages are relayed to the section's log targets. The worker
 * side is worker/log-forward.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/msg.h"
#include "common/units.h"
#include "conf/kw.h"
#include "conf/log.h"
#include "conf/model-t.h"

struct log_fwd_cfg *log_fwd_cfgs;

static struct log_fwd_cfg *fwd_find(const char *name)
{
	for (struct log_fwd_cfg *f = log_fwd_cfgs; f; f = f->next)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

/* log-forward <name> */
static int fwd_begin(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2 || !*args[1]) {
		memprintf(err, "'log-forward' expects <name> as argument.");
		return CFG_ALERT;
	}
	struct log_fwd_cfg *dup = fwd_find(args[1]);
	if (dup) {
		memprintf(err, "log-forward '%s' already exists (declared at %s:%d).", args[1],
		          dup->file, dup->line);
		return CFG_ALERT;
	}
	struct log_fwd_cfg *f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(args[1]);
	f->file = xstrdup(ctx->file);
	f->line = ctx->line;
	f->maxconn = 10;
	struct log_fwd_cfg **tail = &log_fwd_cfgs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = f;
	ctx->sect_data = f;
	return CFG_OK;
}

static struct cfg_section fwd_section = {"log-forward", SECT_LOG_FORWARD, fwd_begin, NULL};
CFG_REGISTER_SECTION(fwd_section)

/* bind <addr> | dgram-bind <addr>: addresses only, no bind options. */
static int parse_fwd_bind(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct log_fwd_cfg *f = ctx->sect_data;
	int dgram = !strcmp(args[0], "dgram-bind");
	if (nargs < 2) {
		memprintf(err, "'%s' expects <addr> as argument.", args[0]);
		return CFG_ALERT;
	}
	if (nargs > 2) {
		memprintf(err, "'%s' : option '%s' is not supported yet in a log-forward section.",
		          args[0], args[2]);
		return CFG_ALERT;
	}
	struct log_fwd_bind *b = xcalloc(1, sizeof(*b));
	char *aerr = NULL;
	if (addr_parse(args[1], PA_PORT_MANDATORY | (dgram ? PA_DGRAM : 0) | PA_NO_FD, &b->addr,
	               &aerr) < 0 ||
	    (b->addr.kind != ADDR_INET4 && b->addr.kind != ADDR_INET6) ||
	    (b->addr.socktype == SOCK_DGRAM) != dgram) {
		memprintf(err, "'%s' : %s", args[0],
		          aerr ? aerr : "expects an IPv4 or IPv6 address with a port");
		free(aerr);
		addr_release(&b->addr);
		free(b);
		return CFG_ALERT;
	}
	b->dgram = dgram;
	struct log_fwd_bind **tail = &f->binds;
	while (*tail)
		tail = &(*tail)->next;
	*tail = b;
	return CFG_OK;
}

/* log global | log <target> ... */
static int parse_fwd_log(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct log_fwd_cfg *f = ctx->sect_data;
	return log_add_targets(&f->targets, args, nargs, 1, err);
}

/* maxconn <n>, backlog <n>, timeout client <time> */
static int parse_fwd_value(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct log_fwd_cfg *f = ctx->sect_data;
	const char *bad = NULL;
	int is_to = !strcmp(args[0], "timeout");
	const char *v = nargs > 1 + is_to ? args[1 + is_to] : "";
	if (is_to) {
		if (parse_time_ms(v, &f->to_client, &bad) != PARSE_OK) {
			memprintf(err, "'timeout client' expects a time value, got '%s'.", v);
			return CFG_ALERT;
		}
		return CFG_OK;
	}
	long long n;
	if (parse_int_range(v, 1, 1000000, &n, &bad) != PARSE_OK) {
		memprintf(err, "'%s' expects a positive integer, got '%s'.", args[0], v);
		return CFG_ALERT;
	}
	*(!strcmp(args[0], "maxconn") ? &f->maxconn : &f->backlog) = (int)n;
	return CFG_OK;
}

#define FWD(n, fn)                                                                                 \
	{                                                                                          \
		.name = n, .sections = SECT_LOG_FORWARD, .parse = fn                               \
	}
static const struct cfg_kw fwd_kws[] = {
    FWD("bind", parse_fwd_bind),
    FWD("dgram-bind", parse_fwd_bind),
    FWD("log", parse_fwd_log),
    FWD("maxconn", parse_fwd_value),
    FWD("backlog", parse_fwd_value),
    FWD("timeout client", parse_fwd_value),
    {.name = "option assume-rfc6587-ntf", .sections = SECT_LOG_FORWARD, .flags = KWF_PENDING},
    {.name = "option dont-parse-log", .sections = SECT_LOG_FORWARD, .flags = KWF_PENDING},
    {.name = "option host", .sections = SECT_LOG_FORWARD, .flags = KWF_PENDING},
};
CFG_REGISTER_KEYWORDS(fwd_kws)

/* A section that receives nothing is worth a warning, as in HAProxy. */
static int check_forwarders(struct config *cfg)
{
	(void)cfg;
	for (const struct log_fwd_cfg *f = log_fwd_cfgs; f; f = f->next)
		if (!f->binds)
			ha_warning(
			    "config : frontend '%s' has no 'bind' directive. Please declare it "
			    "as a backend if this was intended.\n",
			    f->name);
	return 0;
}

static struct cfg_checker fwd_checker = {.config = check_forwarders};
CFG_REGISTER_CHECKER(fwd_checker)
