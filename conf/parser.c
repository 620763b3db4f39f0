#include "conf/parser.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/cond.h"
#include "conf/kw.h"
#include "conf/proxy.h"
#include "conf/tokenize.h"

#define MAX_COND_NEST 32

/* One level of .if nesting. */
struct cond_level {
	int active; /* lines of the current branch are used */
	int taken;  /* a branch of this level was already used */
	int seen_else;
	int parent_active;
	int line;
};

struct line_state {
	struct cfg_ctx *ctx;
	struct cond_level levels[MAX_COND_NEST];
	int depth;
	int flags; /* CFG_* or-ed over the file */
};

static int lines_active(const struct line_state *ls)
{
	return ls->depth == 0 || ls->levels[ls->depth - 1].active;
}

/* Prints the message <msg> of a keyword parser as an alert or warning
 * according to <flags>. A parser that failed without a message and without
 * emitting an alert itself (msg_state.alerts still <alerts_before>) gets a
 * generic one, so that no failure goes unreported.
 */
static void report(struct cfg_ctx *ctx, int flags, const char *msg, unsigned alerts_before)
{
	if (!msg || !*msg) {
		if (!(flags & (CFG_ALERT | CFG_ABORT)) || msg_state.alerts != alerts_before)
			return;
		msg = "error";
	}
	if (flags & (CFG_ALERT | CFG_ABORT))
		ha_alert("config : " CFG_LOC_FMT "%s\n", ctx->file, ctx->line, msg);
	else if (flags & CFG_WARN)
		ha_warning("config : " CFG_LOC_FMT "%s\n", ctx->file, ctx->line, msg);
}

/* Evaluates the condition of .if/.elif words; -1 on error (reported). */
static int eval_directive_cond(struct cfg_ctx *ctx, char **args, int nargs)
{
	char *err = NULL;
	int r = cfg_eval_cond(args + 1, nargs - 1, &err);
	if (r < 0) {
		ha_alert("config : " CFG_DIR_LOC_FMT "failed to evaluate condition: %s\n",
		         ctx->file, ctx->line, err ? err : "invalid expression");
		free(err);
	}
	return r;
}

/* .diag, .notice, .warning and .alert: one (quoted) message. Returns CFG_*
 * flags; .alert stops the parsing.
 */
static int message_directive(struct cfg_ctx *ctx, char **args, int nargs)
{
	static const struct {
		const char *name;
		enum msg_level level;
		int ret;
	} dirs[] = {
	    {".diag", MSG_DIAG, CFG_OK},
	    {".notice", MSG_NOTICE, CFG_OK},
	    {".warning", MSG_WARNING, CFG_WARN},
	    {".alert", MSG_ALERT, CFG_ALERT | CFG_ABORT},
	};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (strcmp(args[0], dirs[i].name) != 0)
			continue;
		if (nargs > 2) {
			ha_alert("config : " CFG_DIR_LOC_FMT
			         "Unexpected argument '%s' for '%s'. Use "
			         "quotes if the message should contain spaces.\n",
			         ctx->file, ctx->line, args[2], args[0]);
			return CFG_ALERT;
		}
		msg_emit(dirs[i].level, "config : " CFG_DIR_LOC_FMT "'%s'.\n", ctx->file, ctx->line,
		         nargs > 1 ? args[1] : "");
		return dirs[i].ret;
	}
	ha_alert("config : " CFG_DIR_LOC_FMT "unknown directive '%s'.\n", ctx->file, ctx->line,
	         args[0]);
	return CFG_ALERT;
}

/* Handles a line whose first word starts with '.'. Returns CFG_* flags. */
static int handle_directive(struct line_state *ls, char **args, int nargs)
{
	struct cfg_ctx *ctx = ls->ctx;
	const char *d = args[0];
	struct cond_level *lvl = ls->depth ? &ls->levels[ls->depth - 1] : NULL;

	if (strcmp(d, ".if") == 0) {
		if (ls->depth >= MAX_COND_NEST) {
			ha_alert("config : " CFG_DIR_LOC_FMT "too many nested '.if', max is %d.\n",
			         ctx->file, ctx->line, MAX_COND_NEST);
			return CFG_ALERT | CFG_ABORT;
		}
		int parent = lines_active(ls);
		struct cond_level *n = &ls->levels[ls->depth++];
		memset(n, 0, sizeof(*n));
		n->parent_active = parent;
		n->line = ctx->line;
		if (!parent)
			return CFG_OK;
		int r = eval_directive_cond(ctx, args, nargs);
		if (r < 0)
			return CFG_ALERT | CFG_ABORT;
		n->active = n->taken = r;
		return CFG_OK;
	}
	if (strcmp(d, ".elif") == 0 || strcmp(d, ".else") == 0) {
		int is_else = d[3] == 's';
		if (!lvl) {
			ha_alert("config : " CFG_DIR_LOC_FMT "lone '%s' with no matching '.if'.\n",
			         ctx->file, ctx->line, d);
			return CFG_ALERT | CFG_ABORT;
		}
		if (lvl->seen_else) {
			ha_alert("config : " CFG_DIR_LOC_FMT
			         "'%s' after '.else' is not permitted.\n",
			         ctx->file, ctx->line, d);
			return CFG_ALERT | CFG_ABORT;
		}
		lvl->active = 0;
		if (is_else) {
			lvl->seen_else = 1;
			if (nargs > 1) {
				ha_alert("config : " CFG_DIR_LOC_FMT
				         "Unexpected argument '%s' for '.else'.\n",
				         ctx->file, ctx->line, args[1]);
				return CFG_ALERT | CFG_ABORT;
			}
			lvl->active = lvl->parent_active && !lvl->taken;
		} else if (lvl->parent_active && !lvl->taken) {
			int r = eval_directive_cond(ctx, args, nargs);
			if (r < 0)
				return CFG_ALERT | CFG_ABORT;
			lvl->active = r;
		}
		lvl->taken |= lvl->active;
		return CFG_OK;
	}
	if (strcmp(d, ".endif") == 0) {
		if (!lvl) {
			ha_alert("config : " CFG_DIR_LOC_FMT
			         "lone '.endif' with no matching '.if'.\n",
			         ctx->file, ctx->line);
			return CFG_ALERT | CFG_ABORT;
		}
		ls->depth--;
		return CFG_OK;
	}
	if (!lines_active(ls))
		return CFG_OK;

	return message_directive(ctx, args, nargs);
}

/* Closes the current section, running its end hook. */
static int end_section(struct cfg_ctx *ctx)
{
	int ret = CFG_OK;
	if (ctx->sect && !ctx->skip_section && ctx->sect->end) {
		char *err = NULL;
		unsigned before = msg_state.alerts;
		ret = ctx->sect->end(ctx, &err);
		report(ctx, ret, err, before);
		free(err);
	}
	ctx->sect = NULL;
	ctx->sect_name = "";
	ctx->px = NULL;
	ctx->ul = NULL;
	ctx->sect_data = NULL;
	ctx->skip_section = 0;
	return ret;
}

/* Starts section <sect> from its header line. */
static int begin_section(struct cfg_ctx *ctx, const struct cfg_section *sect, char **args,
			 int nargs)
{
	int ret = end_section(ctx);
	ctx->sect = sect;
	/* the tokenizer reuses its buffer on the next line: keep a copy */
	snprintf(ctx->sect_name_buf, sizeof(ctx->sect_name_buf), "%s",
		 nargs > 1 ? args[1] : sect->name);
	ctx->sect_name = ctx->sect_name_buf;
	if (sect->flags & KWF_PENDING) {
		ha_alert("config : " CFG_LOC_FMT "'%s' sections are not supported yet.\n",
			 ctx->file, ctx->line, sect->name);
		ctx->skip_section = 1;
		return ret | CFG_ALERT;
	}
	char *err = NULL;
	unsigned before = msg_state.alerts;
	int r = sect->begin(ctx, args, nargs, &err);
	report(ctx, r, err, before);
	free(err);
	if (r & CFG_ALERT)
		ctx->skip_section = 1; /* no object to fill: avoid cascading errors */
	return ret | r;
}

/* Reports an unknown "option <word>" (<nargs> words) the HAProxy way, with
 * a suggestion when a registered option is close.
 */
static int unknown_option(struct cfg_ctx *ctx, char **args, int nargs)
{
	if (nargs < 2) {
		ha_alert("config : " CFG_LOC_FMT "'option' expects an option name.\n", ctx->file,
		         ctx->line);
		return CFG_ALERT;
	}
	const char *sugg = cfg_suggest_kw(ctx->sect->id, "option", args[1]);
	if (sugg)
		ha_alert("config : " CFG_LOC_FMT "unknown option '%s'; did you mean '%s' maybe ?\n",
		         ctx->file, ctx->line, args[1], sugg);
	else
		ha_alert("config : " CFG_LOC_FMT "unknown option '%s'.\n", ctx->file, ctx->line,
		         args[1]);
	return CFG_ALERT;
}

/* Reports <args> whose first <nprefix> words start longer keywords of the
 * section ("timeout foo") but that match none; <subs> lists the words that
 * may follow the prefix.
 */
static int unknown_subkeyword(struct cfg_ctx *ctx, char **args, int nargs, int nprefix,
                              const char *subs)
{
	char prefix[256];
	size_t n = 0;

	if (nprefix == 1 && strcmp(args[0], "option") == 0)
		return unknown_option(ctx, args, nargs);
	prefix[0] = 0;
	for (int i = 0; i < nprefix && n < sizeof(prefix); i++)
		n +=
		    (size_t)snprintf(prefix + n, sizeof(prefix) - n, "%s%s", i ? " " : "", args[i]);
	ha_alert("config : " CFG_LOC_FMT "'%s' supports %s (got '%s')\n", ctx->file, ctx->line,
	         prefix, subs, nprefix < nargs ? args[nprefix] : "");
	return CFG_ALERT;
}

/* Reports a keyword that is not known in the current section: where it is
 * valid if another section has it, the sub-keywords when its first words
 * start longer keywords, else a close keyword of the section if any.
 */
static int unknown_keyword(struct cfg_ctx *ctx, char **args, int nargs)
{
	const char *sname = ctx->sect->name;
	const char *kwname = NULL;
	char *places = cfg_kw_valid_places(ctx->sect->id, args, nargs, &kwname);
	int nprefix = 0;

	if (places) {
		ha_alert("config : " CFG_LOC_FMT
		         "unknown keyword '%s' in '%s' section; it is only valid in %s.\n",
		         ctx->file, ctx->line, kwname, sname, places);
		free(places);
		return CFG_ALERT;
	}
	char *subs = cfg_kw_subwords(ctx->sect->id, args, nargs, &nprefix);
	if (subs) {
		int r = unknown_subkeyword(ctx, args, nargs, nprefix, subs);
		free(subs);
		return r;
	}
	const char *sugg = cfg_suggest_kw(ctx->sect->id, NULL, args[0]);
	if (sugg)
		ha_alert("config : " CFG_LOC_FMT
			 "unknown keyword '%s' in '%s' section; did you mean '%s' maybe ?\n",
			 ctx->file, ctx->line, args[0], sname, sugg);
	else
		ha_alert("config : " CFG_LOC_FMT "unknown keyword '%s' in '%s' section\n",
			 ctx->file, ctx->line, args[0], sname);
	return CFG_ALERT;
}

/* Warns that keyword <name> is ignored by proxy <px>, which lacks the
 * capability it needs, in HAProxy's words: options are named without
 * "option", timeouts have their own sentence, maxconn and fullconn a hint.
 */
static void warn_missing_cap(struct cfg_ctx *ctx, const char *name, const char *need)
{
	struct proxy *px = ctx->px;
	const char *type = proxy_type_str(px);
	const char *hint = "";

	if (strncmp(name, "timeout ", 8) == 0) {
		ha_warning("config : " CFG_LOC_FMT
		           "'%s' will be ignored because %s '%s' has no %s capability\n",
		           ctx->file, ctx->line, name, type, px->id, need);
		return;
	}
	if (strncmp(name, "option ", 7) == 0)
		name += 7;
	else if (strcmp(name, "maxconn") == 0)
		hint = " Maybe you want 'fullconn' instead ?";
	else if (strcmp(name, "fullconn") == 0)
		hint = " Maybe you want 'maxconn' instead ?";
	ha_warning("config : " CFG_LOC_FMT "'%s' ignored because %s '%s' has no %s capability.%s\n",
	           ctx->file, ctx->line, name, type, px->id, need, hint);
}

/* Checks that the keyword applies to the current proxy's capabilities.
 * Returns CFG_OK, CFG_WARN (keyword flagged KWF_CAP_WARN: not applied) or
 * CFG_ALERT, the message being emitted here.
 */
static int check_proxy_cap(struct cfg_ctx *ctx, const struct cfg_kw *kw, const char *name)
{
	struct proxy *px = ctx->px;
	if (!px || (kw->cap & px->cap))
		return CFG_OK;
	if (px->cap & PX_CAP_DEF) {
		ha_alert("config : " CFG_LOC_FMT "'%s' not allowed in 'defaults' section.\n",
			 ctx->file, ctx->line, name);
		return CFG_ALERT;
	}
	const char *need = (kw->cap & PX_CAP_FE) ? "frontend" : "backend";
	if (kw->flags & KWF_CAP_WARN) {
		warn_missing_cap(ctx, name, need);
		return CFG_WARN;
	}
	ha_alert("config : " CFG_LOC_FMT "'%s' not allowed because %s '%s' has no %s capability.\n",
	         ctx->file, ctx->line, name, proxy_type_str(px), px->id, need);
	return CFG_ALERT;
}

/* Reports keyword <kw> used with prefix <prefix> ("no" or "default") that it
 * does not accept.
 */
static int bad_prefix(struct cfg_ctx *ctx, const struct cfg_kw *kw, const char *prefix)
{
	if (strncmp(kw->name, "option ", 7) == 0 && !(kw->flags & (KWF_NO | KWF_DEFAULT)))
		ha_alert("config : " CFG_DIR_LOC_FMT
		         "negation/default is not supported for option '%s'.\n",
		         ctx->file, ctx->line, kw->name + 7);
	else
		ha_alert("config : " CFG_LOC_FMT "'%s' cannot be prefixed with '%s'.\n", ctx->file,
		         ctx->line, kw->name, prefix);
	return CFG_ALERT;
}

/* Target structure of slot keywords in the current section. */
static void *slot_target(struct cfg_ctx *ctx)
{
	if (ctx->sect->id == SECT_GLOBAL)
		return &ctx->cfg->global;
	if (ctx->sect->id & SECT_PROXY)
		return ctx->px;
	return NULL;
}

/* Dispatches a keyword line inside the current section. */
static int handle_keyword(struct cfg_ctx *ctx, char **args, int nargs)
{
	int words = 0;
	char **kargs = args;
	int knargs = nargs;
	char name[256];

	ctx->inverse = ctx->reset = 0;
	if (nargs > 1 && (strcmp(args[0], "no") == 0 || strcmp(args[0], "default") == 0)) {
		ctx->inverse = args[0][0] == 'n';
		ctx->reset = !ctx->inverse;
		kargs++;
		knargs--;
	}
	const struct cfg_kw *kw = cfg_find_kw(ctx->sect->id, kargs, knargs, &words);
	if (!kw)
		return unknown_keyword(ctx, kargs, knargs);
	snprintf(name, sizeof(name), "%s", kw->name);
	if (kw->flags & KWF_PENDING) {
		ha_alert("config : " CFG_LOC_FMT "'%s' is not supported yet.\n", ctx->file,
			 ctx->line, name);
		return CFG_ALERT;
	}
	if ((ctx->inverse && !(kw->flags & KWF_NO)) || (ctx->reset && !(kw->flags & KWF_DEFAULT)))
		return bad_prefix(ctx, kw, args[0]);
	if (ctx->sect->id & SECT_PROXY) {
		int r = check_proxy_cap(ctx, kw, name);
		if (r)
			return r; /* CFG_WARN: the keyword is not applied */
	}
	char *err = NULL;
	unsigned before = msg_state.alerts;
	int ret;
	if (kw->type == KWT_PARSER)
		ret = kw->parse(ctx, kargs, knargs, &err);
	else
		ret = cfg_parse_slot(kw, slot_target(ctx), ctx, kargs, knargs, words, &err);
	report(ctx, ret, err, before);
	free(err);
	return ret;
}

/* Processes one tokenized line. */
static int handle_line(struct line_state *ls, char **args, int nargs)
{
	struct cfg_ctx *ctx = ls->ctx;

	if (args[0][0] == '.' && args[0][1])
		return handle_directive(ls, args, nargs);
	if (!lines_active(ls))
		return CFG_OK;
	const struct cfg_section *sect = cfg_find_section(args[0]);
	if (sect)
		return begin_section(ctx, sect, args, nargs);
	if (!ctx->sect) {
		ha_alert("config : " CFG_LOC_FMT "unknown keyword '%s' out of section.\n",
			 ctx->file, ctx->line, args[0]);
		return CFG_ALERT;
	}
	if (ctx->skip_section)
		return CFG_OK;
	return handle_keyword(ctx, args, nargs);
}

/* Reports tokenizer error <msg> found at offset <pos> of line <line> (<len>
 * bytes): the message with the 1-based position, then the line (leading
 * blanks removed, non-printable bytes shown as '?', at most 80 bytes around
 * the position) and a caret under the offending byte.
 */
static void report_tok_error(struct cfg_ctx *ctx, const char *line, size_t len, size_t pos,
                             const char *msg)
{
	char shown[81];
	size_t skip = 0, n = 0;

	while (skip < len && skip < pos && (line[skip] == ' ' || line[skip] == '\t'))
		skip++;
	if (pos - skip > 60)
		skip = pos - 60;
	for (size_t i = skip; i < len && n < sizeof(shown) - 1; i++) {
		unsigned char c = (unsigned char)line[i];
		shown[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	shown[n] = 0;
	ha_alert("config : " CFG_DIR_LOC_FMT "%s at position %zu:\n  %s\n  %*s\n", ctx->file,
	         ctx->line, msg ? msg : "parse error", pos + 1, shown, (int)(pos - skip + 1), "^");
}

/* Tokenizes and handles every line of <data>. */
int cfg_parse_buffer(struct config *cfg, const char *name, const char *data, size_t len)
{
	struct cfg_ctx ctx_storage = {.cfg = cfg, .file = name, .sect_name = ""};
	struct cfg_ctx *ctx = &ctx_storage;
	struct line_state ls = {.ctx = ctx};
	struct cfg_tokens toks = {0};
	const char *p = data, *end = data + len;

	while (p < end && !(ls.flags & CFG_ABORT)) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t llen = eol ? (size_t)(eol - p) : (size_t)(end - p);
		struct cfg_tok_ctx tctx = {name, ++ctx->line, ctx->sect_name};
		size_t errpos = 0;
		char *err = NULL;

		enum cfg_tok_status st = cfg_tokenize(p, llen, &tctx, &toks, &errpos, &err);
		if (st != TOK_OK) {
			/* reported even in a branch not taken, as HAProxy does */
			report_tok_error(ctx, p, llen, errpos, err);
			ls.flags |= CFG_ALERT;
		}
		p += llen + (eol ? 1 : 0);
		free(err);
		if (st != TOK_OK)
			continue;
		if (toks.nargs == 0)
			continue;
		ls.flags |= handle_line(&ls, toks.args, toks.nargs);
	}
	if (ls.depth && !(ls.flags & CFG_ABORT)) {
		ha_alert("config : " CFG_DIR_LOC_FMT "non-terminated '.if' block.\n", name,
		         ls.levels[ls.depth - 1].line);
		ls.flags |= CFG_ALERT;
	}
	ls.flags |= end_section(ctx);
	cfg_tokens_free(&toks);
	return ls.flags;
}

/* Reads a whole file into memory; returns NULL with errno set on failure. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = xmalloc(cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	*len = n;
	return buf;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the "*.cfg" regular files of directory <dir> to cfg->files. */
static int add_dir_files(struct config *cfg, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char **names = NULL;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".cfg") != 0)
			continue;
		char *full = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		names = xrealloc(names, sizeof(*names) * (n + 1));
		names[n++] = full;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (int i = 0; i < n; i++) {
		cfg->files = xrealloc(cfg->files, sizeof(char *) * (cfg->nb_files + 1));
		cfg->files[cfg->nb_files++] = names[i];
	}
	free(names);
	return 0;
}

/* Expands <paths> into the list of files to load. */
static int collect_files(struct config *cfg, char *const *paths, int npaths)
{
	int ret = 0;
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (add_dir_files(cfg, paths[i]) == 0)
				continue;
		} else if (stat(paths[i], &st) == 0) {
			cfg->files = xrealloc(cfg->files, sizeof(char *) * (cfg->nb_files + 1));
			cfg->files[cfg->nb_files++] = xstrdup(paths[i]);
			continue;
		}
		ha_alert("config : Cannot open configuration file/directory %s : %s\n", paths[i],
			 strerror(errno));
		ret = -1;
	}
	return ret;
}

int cfg_load(struct config *cfg, char *const *paths, int npaths)
{
	unsigned alerts_before = msg_state.alerts;
	int first_file = cfg->nb_files;

	if (collect_files(cfg, paths, npaths) < 0)
		return -1;
	for (int i = first_file; i < cfg->nb_files; i++) {
		size_t len = 0;
		char *data = read_file(cfg->files[i], &len);
		if (!data) {
			ha_alert("config : Cannot open configuration file/directory %s : %s\n",
				 cfg->files[i], strerror(errno));
			continue;
		}
		int flags = cfg_parse_buffer(cfg, cfg->files[i], data, len);
		free(data);
		if (flags & (CFG_ALERT | CFG_ABORT))
			ha_alert("config : Error(s) found in configuration file : %s\n",
				 cfg->files[i]);
	}
	return msg_state.alerts != alerts_before ? -1 : 0;
}
