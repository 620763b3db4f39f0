/* Per-proxy log format keywords: "log-format", "log-format-sd",
 * "option httplog [clf]", "option tcplog", the log
 * options, "unique-id-format" and "unique-id-header". The formats are
 * compiled once the whole configuration is read, for each frontend.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/logfmt.h"
#include "common/mem.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "conf/log.h"
#include "conf/model-t.h"

/* The built-in formats, as HAProxy defines them. */
#define TCP_LOG_FORMAT "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq"
#define HTTP_LOG_FORMAT                                                                            \
	"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc "                         \
	"%ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r"
#define CLF_LOG_FORMAT                                                                             \
	"%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta "     \
	"%tsc "                                                                                    \
	"%ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl"

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = v ? xstrdup(v) : NULL;
}

static void set_format(struct cfg_ctx *ctx, enum px_log_kind kind, const char *text)
{
	struct px_log *pl = &ctx->px->log;
	pl->kind = kind;
	set_str(&pl->format, text);
	pl->fmt_file = ctx->file;
	pl->fmt_line = ctx->line;
}

/* log-format <fmt> */
static int parse_log_format(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs != 2) {
		memprintf(err, "%s expects only one argument", args[0]);
		return CFG_ALERT;
	}
	set_format(ctx, *args[1] ? PXL_FMT_CUSTOM : PXL_FMT_NONE, *args[1] ? args[1] : NULL);
	return CFG_OK;
}

/* log-format-sd, unique-id-format, unique-id-header */
static int parse_fmt_str(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct px_log *pl = &ctx->px->log;
	if (nargs != 2) {
		memprintf(err, "%s expects only one argument", args[0]);
		return CFG_ALERT;
	}
	const char *v = *args[1] ? args[1] : NULL;
	if (!strcmp(args[0], "log-format-sd")) {
		set_str(&pl->format_sd, v);
		pl->sd_file = ctx->file;
		pl->sd_line = ctx->line;
	} else if (!strcmp(args[0], "unique-id-format")) {
		set_str(&pl->uid_format, v);
		pl->uid_file = ctx->file;
		pl->uid_line = ctx->line;
	} else
		set_str(&pl->uid_header, v);
	return CFG_OK;
}

/* option httplog [clf] | option tcplog; the "no" forms take no argument and
 * clear the format (inherited or set before) when this option set it: the
 * proxy is back to connection logs. A custom log-format is kept.
 */
static int parse_opt_format(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	int http = !strcmp(args[1], "httplog");
	int clf = http && !ctx->inverse && nargs > 2 && !strcmp(args[2], "clf");
	if (ctx->inverse && nargs > 2) {
		memprintf(err, "'no option %s' cannot handle unexpected argument '%s'.", args[1],
		          args[2]);
		return CFG_ALERT;
	}
	if (nargs > 2 + clf) {
		memprintf(err, "'option %s' %s '%s'.", args[1],
		          http ? "only supports optional argument 'clf', got"
		               : "cannot handle unexpected argument",
		          args[2 + clf]);
		return CFG_ALERT;
	}
	if (ctx->inverse) {
		enum px_log_kind k = ctx->px->log.kind;
		if (http ? k == PXL_FMT_HTTP || k == PXL_FMT_CLF : k == PXL_FMT_TCP)
			set_format(ctx, PXL_FMT_NONE, NULL);
		return CFG_OK;
	}
	if (!http)
		set_format(ctx, PXL_FMT_TCP, TCP_LOG_FORMAT);
	else
		set_format(ctx, clf ? PXL_FMT_CLF : PXL_FMT_HTTP,
		           clf ? CLF_LOG_FORMAT : HTTP_LOG_FORMAT);
	return CFG_OK;
}

/* Boolean log options mapped to PXL_* bits. */
static int parse_opt_log_flag(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	static const struct {
		const char *name;
		unsigned bit;
	} map[] = {
	    {"dontlognull", PXL_DONTLOGNULL},
	    {"log-separate-errors", PXL_SEPARATE_ERRORS},
	    {"dontlog-normal", PXL_DONTLOG_NORMAL},
	    {"log-health-checks", PXL_LOG_HEALTH_CHECKS},
	    {"logasap", PXL_LOGASAP},
	};
	struct px_log *pl = &ctx->px->log;
	if (nargs > 2) {
		memprintf(err, "'option %s' cannot handle unexpected argument '%s'.", args[1],
		          args[2]);
		return CFG_ALERT;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].name, args[1]) != 0)
			continue;
		pl->flags_set |= map[i].bit;
		pl->flags = ctx->inverse ? pl->flags & ~map[i].bit : pl->flags | map[i].bit;
		return CFG_OK;
	}
	memprintf(err, "internal error: option '%s' has no flag.", args[1]);
	return CFG_ALERT;
}

#define LOG_PX(n, c, fn, fl)                                                                       \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = c, .parse = fn,                          \
		.flags = KWF_CAP_WARN | (fl)                                                       \
	}
#define FE PX_CAP_DEF | PX_CAP_FE

static const struct cfg_kw log_format_kws[] = {
    LOG_PX("log-format", FE, parse_log_format, 0),
    LOG_PX("log-format-sd", FE, parse_fmt_str, 0),
    LOG_PX("unique-id-format", PX_CAP_ALL, parse_fmt_str, 0),
    LOG_PX("unique-id-header", FE, parse_fmt_str, 0),
    LOG_PX("option httplog", FE, parse_opt_format, KWF_NO),
    LOG_PX("option tcplog", FE, parse_opt_format, KWF_NO),
    LOG_PX("option dontlognull", FE, parse_opt_log_flag, KWF_NO),
    LOG_PX("option log-separate-errors", FE, parse_opt_log_flag, KWF_NO),
    LOG_PX("option dontlog-normal", FE, parse_opt_log_flag, KWF_NO),
    LOG_PX("option logasap", FE, parse_opt_log_flag, KWF_NO),
    LOG_PX("option log-health-checks", PX_CAP_DEF | PX_CAP_BE, parse_opt_log_flag, KWF_NO),
};
CFG_REGISTER_KEYWORDS(log_format_kws)

/* Compiles <text> of <px>, written at <file>:<line> (NULL: the proxy's
 * line); 0, or 1 after an alert in HAProxy's words, naming <kw>.
 */
static int compile_one(struct proxy *px, const char *kw, const char *text, const char *file,
                       int line, struct logfmt **out)
{
	if (!text)
		return 0;
	if (!file) {
		file = px->file;
		line = px->line;
	}
	struct smp_where w = {SMP_CK_LOG, file, line, px};
	char *err = NULL;
	*out = logfmt_parse_log(text, &w, &err);
	if (*out)
		return 0;
	ha_alert("config : Parsing [%s:%d]: failed to parse %s : %s.\n", file, line, kw,
	         err ? err : "invalid format");
	free(err);
	return 1;
}

/* An HTTP format in a TCP frontend falls back to tcplog, as HAProxy does. */
static void fix_mode(struct proxy *px)
{
	struct px_log *pl = &px->log;
	if (px->mode == PX_MODE_HTTP || (pl->kind != PXL_FMT_HTTP && pl->kind != PXL_FMT_CLF))
		return;
	ha_warning("config : 'option httplog' not usable with %s '%s' (needs 'mode http'). Falling "
	           "back to 'option tcplog'.\n",
	           px->cap & PX_CAP_BE ? "proxy" : "frontend", px->id);
	pl->kind = PXL_FMT_TCP;
	set_str(&pl->format, TCP_LOG_FORMAT);
}

static int compile_proxy(struct proxy *px)
{
	struct px_log *pl = &px->log;
	int errors = 0;
	if (!(px->cap & PX_CAP_FE))
		return 0;
	fix_mode(px);
	errors += compile_one(px, "log-format", pl->format, pl->fmt_file, pl->fmt_line, &pl->lf);
	errors +=
	    compile_one(px, "log-format-sd", pl->format_sd, pl->sd_file, pl->sd_line, &pl->lf_sd);
	/* HAProxy names it "unique-id" in this message */
	errors +=
	    compile_one(px, "unique-id", pl->uid_format, pl->uid_file, pl->uid_line, &pl->lf_uid);
	return errors;
}

/* Compiles every frontend's formats, then resolves the names their sample
 * arguments use (this runs before or after the sample module's own
 * resolution: resolving twice is harmless).
 */
static int compile_formats(struct config *cfg)
{
	int errors = 0;
	for (struct proxy *px = cfg->proxies; px; px = px->next)
		if (!px->disabled)
			errors += compile_proxy(px);
	return errors + cfg_resolve_sample_args(cfg);
}

static struct cfg_checker log_format_checker = {.config = compile_formats};
CFG_REGISTER_CHECKER(log_format_checker)
