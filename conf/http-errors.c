/* Error replies of proxies: "errorfile", "errorfiles", "http-error", the
 * "http-errors" section, and their resolution once the whole configuration
 * is parsed.
 *
 * Each of the three proxy keywords appends a struct http_err_ref to the
 * proxy's list (after those inherited from its defaults section); files are
 * loaded as soon as the line is read, as HAProxy does. At validation the list
 * is applied in order, later lines overriding earlier ones, into
 * px->http.errmsg[], indexed like http_err_codes[].
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/http.h"
#include "conf/kw.h"
#include "conf/parser.h"

const int http_err_codes[HTTP_ERR_SLOTS] = {200, 400, 401, 403, 404, 405, 407, 408, 410,
                                            413, 425, 429, 500, 501, 502, 503, 504};

int http_err_slot(int status)
{
	for (int i = 0; i < HTTP_ERR_SLOTS; i++)
		if (http_err_codes[i] == status)
			return i;
	return -1;
}

const struct http_reply *http_error_override(const struct proxy *px, int status)
{
	int slot = http_err_slot(status);
	return px && slot >= 0 ? px->http.errmsg[slot] : NULL;
}

const struct http_reply *http_error_reply(const struct proxy *px, int status)
{
	const struct http_reply *rep = http_error_override(px, status);
	return rep ? rep : http_builtin_reply(status);
}

/* Status code written as HAProxy reads it (atol(): leading digits, 0 when
 * there are none).
 */
static int status_arg(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

/* Appends a new reference of <kind> for the current line to <px>. */
static struct http_err_ref *add_ref(struct cfg_ctx *ctx, struct proxy *px, int kind, int status)
{
	struct http_err_ref *ref = xcalloc(1, sizeof(*ref));
	struct http_err_ref **tail = &px->http.err_refs;

	ref->kind = kind;
	ref->status = status;
	ref->file = xstrdup(ctx->file);
	ref->line = ctx->line;
	while (*tail)
		tail = &(*tail)->next;
	*tail = ref;
	return ref;
}

struct http_err_ref *http_err_refs_dup(const struct http_err_ref *src)
{
	struct http_err_ref *head = NULL, **tail = &head;

	for (; src; src = src->next) {
		struct http_err_ref *r = xcalloc(1, sizeof(*r));
		*r = *src;
		r->arg = src->arg ? xstrdup(src->arg) : NULL;
		r->file = xstrdup(src->file);
		r->next = NULL;
		*tail = r;
		tail = &r->next;
	}
	return head;
}

/* errorfile <code> <file>: extra words are ignored, as in HAProxy. */
static int parse_errorfile(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 3 || !*args[1] || !*args[2]) {
		/* HAProxy's message ends with an empty line */
		memprintf(err, "%s : expects <status_code> and <file> as arguments.\n", args[0]);
		return CFG_ALERT;
	}
	int status = status_arg(args[1]);
	if (http_err_slot(status) < 0) {
		memprintf(err, "%s : status code '%d' not handled.", args[0], status);
		return CFG_ALERT;
	}
	struct http_reply *rep = http_reply_load_file(&ctx->cfg->global, args[2], status, err);
	if (!rep) {
		memprintf(err, "%s : %s", args[0], *err);
		return CFG_ALERT;
	}
	struct http_err_ref *ref = add_ref(ctx, ctx->px, HTTP_ERR_REF_FILE, status);
	ref->arg = xstrdup(args[2]);
	ref->reply = rep;
	return CFG_OK;
}

/* errorfiles <name> [<code> ...]: the section is looked up at validation. */
static int parse_errorfiles(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	unsigned mask = 0;

	if (nargs < 2 || !*args[1]) {
		memprintf(err, "%s : expects <name> as argument.", args[0]);
		return CFG_ALERT;
	}
	for (int i = 2; i < nargs; i++) {
		int status = status_arg(args[i]);
		int slot = http_err_slot(status);
		if (slot < 0) {
			memprintf(err, "%s : status code '%d' not handled.", args[0], status);
			return CFG_ALERT;
		}
		mask |= 1u << slot;
	}
	struct http_err_ref *ref = add_ref(ctx, ctx->px, HTTP_ERR_REF_FILES, mask ? 0 : -1);
	ref->slot_mask = mask;
	ref->arg = xstrdup(args[1]);
	return CFG_OK;
}

static struct http_errors_sect *errors_sect_find(struct config *cfg, const char *name)
{
	for (struct http_errors_sect *s = cfg->http_errors; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* Returns the first character of <name> not allowed in a section name. */
int http_errors_lookup(struct config *cfg, const char *name, int status,
                       const struct http_reply **rep)
{
	const struct http_errors_sect *s = errors_sect_find(cfg, name);
	int slot = http_err_slot(status);
	*rep = s && slot >= 0 ? s->replies[slot] : NULL;
	return s != NULL;
}

static const char *invalid_name_char(const char *name)
{
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.:", *p))
			return p;
	return NULL;
}

/* "http-errors <name>": a named group of error files. Unlike HAProxy, the
 * body of a section refused here is skipped rather than parsed.
 */
static int errors_sect_begin(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "missing name for http-errors section.");
		return CFG_ALERT | CFG_ABORT;
	}
	const char *bad = invalid_name_char(args[1]);
	if (bad) {
		memprintf(err, "character '%c' is not permitted in '%s' name '%s'.", *bad, args[0],
		          args[1]);
		return CFG_ALERT;
	}
	struct http_errors_sect *dup = errors_sect_find(ctx->cfg, args[1]);
	if (dup) {
		ha_alert("config : " CFG_DIR_LOC_FMT "http-errors section '%s' already exists "
		         "(declared at %s:%d).\n",
		         ctx->file, ctx->line, args[1], dup->file, dup->line);
		return CFG_ALERT;
	}
	struct http_errors_sect *s = xcalloc(1, sizeof(*s));
	struct http_errors_sect **tail = &ctx->cfg->http_errors;
	s->name = xstrdup(args[1]);
	s->file = xstrdup(ctx->file);
	s->line = ctx->line;
	while (*tail)
		tail = &(*tail)->next;
	*tail = s;
	ctx->sect_data = s;
	return CFG_OK;
}

static struct cfg_section http_errors_section = {
    .name = "http-errors",
    .id = SECT_HTTP_ERRORS,
    .begin = errors_sect_begin,
};
CFG_REGISTER_SECTION(http_errors_section)

/* errorfile <code> <file> in an http-errors section. */
static int parse_sect_errorfile(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct http_errors_sect *s = ctx->sect_data;

	if (nargs < 3 || !*args[2]) {
		memprintf(err, "%s: expects <status_code> and <file> as arguments.", args[0]);
		return CFG_ALERT;
	}
	int status = status_arg(args[1]);
	int slot = http_err_slot(status);
	if (slot < 0) {
		memprintf(err, "%s : status code '%d' not handled.", args[0], status);
		return CFG_ALERT;
	}
	struct http_reply *rep = http_reply_load_file(&ctx->cfg->global, args[2], status, err);
	if (!rep) {
		memprintf(err, "%s : %s", args[0], *err);
		return CFG_ALERT;
	}
	http_reply_free(s->replies[slot]); /* nothing refers to it before validation */
	s->replies[slot] = rep;
	return CFG_OK;
}

/* Applies "errorfiles" reference <ref> to <px>. Returns 1 after an alert
 * (unknown section), 0 otherwise.
 */
static int apply_errorfiles(struct config *cfg, struct proxy *px, const struct http_err_ref *ref)
{
	const struct http_errors_sect *s = errors_sect_find(cfg, ref->arg);

	if (!s) {
		ha_alert("config : proxy '%s': unknown http-errors section '%s' (at %s:%d).\n",
		         px->id, ref->arg, ref->file, ref->line);
		return 1;
	}
	for (int i = 0; i < HTTP_ERR_SLOTS; i++) {
		int listed = (ref->slot_mask >> i) & 1;
		if (ref->status != -1 && !listed)
			continue;
		if (s->replies[i])
			px->http.errmsg[i] = s->replies[i];
		else if (listed)
			ha_warning("config : config: proxy '%s' : status '%d' not declared in "
			           "http-errors section '%s' (at %s:%d).\n",
			           px->id, http_err_codes[i], s->name, ref->file, ref->line);
	}
	return 0;
}

/* Fills px->http.errmsg[] from the references of <px>, in order. */
static int resolve_errors(struct config *cfg, struct proxy *px)
{
	int errors = 0;

	for (const struct http_err_ref *ref = px->http.err_refs; ref; ref = ref->next) {
		if (ref->kind == HTTP_ERR_REF_FILES) {
			errors += apply_errorfiles(cfg, px, ref);
			continue;
		}
		int slot = http_err_slot(ref->status);
		if (slot >= 0)
			px->http.errmsg[slot] = ref->reply;
	}
	return errors;
}

static struct cfg_checker http_errors_checker = {.proxy = resolve_errors};
CFG_REGISTER_CHECKER(http_errors_checker)

/* Arguments of an "http-error" line as they are read. */
enum herr_payload { HP_EMPTY = 0, HP_DEFAULT, HP_ERRORFILE, HP_ERRORFILES, HP_RAW };

struct herr_args {
	struct cfg_ctx *ctx;
	char **args;
	int nargs;
	int cur;
	int status;
	const char *ctype;
	enum herr_payload type;
	const char *act; /* word that set the payload */
	const char *files_name;
	struct http_reply *file_reply;
	char *body;
	size_t blen;
	char *hnames[64];
	char *hvalues[64];
	int nhdrs;
	int warned;
};

/* Records the payload keyword at the current word, refusing a second one. */
static int herr_set_payload(struct herr_args *h, enum herr_payload type, char **err)
{
	const char *word = h->args[h->cur];
	if (h->type != HP_EMPTY) {
		memprintf(err, "unexpected '%s' argument, '%s' already defined", word, h->act);
		return -1;
	}
	h->type = type;
	h->act = word;
	return 0;
}

/* Returns the value after the current word, or NULL with *err set to
 * "'<word>' expects <what> as argument" when there is none.
 */
static const char *herr_value(struct herr_args *h, const char *what, char **err)
{
	if (h->cur + 1 >= h->nargs || !*h->args[h->cur + 1]) {
		memprintf(err, "'%s' expects %s as argument", h->args[h->cur], what);
		return NULL;
	}
	return h->args[h->cur + 1];
}

/* hdr <name> <value>: constant values only; framing headers are ignored. */
static int herr_hdr(struct herr_args *h, char **err)
{
	if (h->cur + 2 >= h->nargs || !*h->args[h->cur + 1] || !*h->args[h->cur + 2]) {
		memprintf(err, "'hdr' expects <name> and <value> as arguments");
		return -1;
	}
	const char *name = h->args[h->cur + 1], *value = h->args[h->cur + 2];
	h->cur += 3;
	if (!strcasecmp(name, "content-length") || !strcasecmp(name, "transfer-encoding") ||
	    !strcasecmp(name, "content-type")) {
		ha_warning("config : " CFG_LOC_FMT
		           "header '%s' always ignored by the http reply.\n",
		           h->ctx->file, h->ctx->line, name);
		h->warned = 1;
		return 0;
	}
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p)) {
			/* HAProxy would send it as is, breaking the response */
			memprintf(err, "'hdr': '%s' is not a valid header name.", name);
			return -1;
		}
	}
	if (strpbrk(value, "\r\n")) {
		memprintf(err, "'hdr %s' value must not hold a line break.", name);
		return -1;
	}
	if (strchr(value, '%')) {
		memprintf(err, "'hdr %s' with a log-format value ('%s') is not supported yet.",
		          name, value);
		return -1;
	}
	if (h->nhdrs >= (int)ARRAY_SIZE(h->hnames)) {
		memprintf(err, "too many 'hdr' arguments (at most %d).",
		          (int)ARRAY_SIZE(h->hnames));
		return -1;
	}
	h->hnames[h->nhdrs] = xstrdup(name);
	h->hvalues[h->nhdrs++] = xstrdup(value);
	return 0;
}

/* status <code> */
static int herr_status(struct herr_args *h, char **err)
{
	const char *v = herr_value(h, "<status_code>", err);
	if (!v)
		return -1;
	h->status = status_arg(v);
	if (h->status < 200 || h->status > 599) {
		memprintf(err, "Unexpected status code '%d'", h->status);
		return -1;
	}
	h->cur += 2;
	return 0;
}

/* errorfile <file>, errorfiles <name>, file <file>, string <str> */
static int herr_payload_arg(struct herr_args *h, const char *word, char **err)
{
	const struct global_cfg *g = &h->ctx->cfg->global;
	int is_files = !strcmp(word, "errorfiles");
	const char *what = is_files                  ? "<name>"
	                   : !strcmp(word, "string") ? "<str>"
	                   : !strcmp(word, "file")   ? "<file>"
	                                             : "<fmt>";
	enum herr_payload type = is_files                     ? HP_ERRORFILES
	                         : !strcmp(word, "errorfile") ? HP_ERRORFILE
	                                                      : HP_RAW;

	if (herr_set_payload(h, type, err) < 0)
		return -1;
	const char *v = herr_value(h, what, err);
	if (!v)
		return -1;
	h->cur += 2;
	if (is_files) {
		h->files_name = v;
		return 0;
	}
	if (type == HP_ERRORFILE) {
		h->file_reply = http_reply_load_file(g, v, h->status, err);
		return h->file_reply ? 0 : -1;
	}
	if (!strcmp(word, "file"))
		return http_read_payload_file(g, v, &h->body, &h->blen, err);
	h->body = xstrdup(v);
	h->blen = strlen(v);
	return 0;
}

/* Handles the word at h->cur. Returns 1 when it is not an http-error
 * argument, 0 when consumed, -1 on error.
 */
static int herr_word(struct herr_args *h, char **err)
{
	const char *w = h->args[h->cur];

	if (!strcmp(w, "status"))
		return herr_status(h, err);
	if (!strcmp(w, "content-type")) {
		const char *v = herr_value(h, "<ctype>", err);
		if (!v)
			return -1;
		if (strpbrk(v, "\r\n")) {
			memprintf(err, "'content-type' must not hold a line break.");
			return -1;
		}
		h->ctype = v;
		h->cur += 2;
		return 0;
	}
	if (!strcmp(w, "default-errorfiles")) {
		if (herr_set_payload(h, HP_DEFAULT, err) < 0)
			return -1;
		h->cur++;
		return 0;
	}
	if (!strcmp(w, "errorfile") || !strcmp(w, "errorfiles") || !strcmp(w, "file") ||
	    !strcmp(w, "string"))
		return herr_payload_arg(h, w, err);
	if (!strcmp(w, "lf-file") || !strcmp(w, "lf-string")) {
		if (!herr_value(h, w[3] == 'f' ? "<file>" : "<fmt>", err))
			return -1;
		memprintf(err, "'%s' (a log-format payload) is not supported yet.", w);
		return -1;
	}
	if (!strcmp(w, "hdr"))
		return herr_hdr(h, err);
	return 1;
}

/* Warns at the current line with HAProxy's words. */
static void herr_warn(struct herr_args *h, const char *msg, const char *arg)
{
	ha_warning("config : " CFG_LOC_FMT "%s%s%s\n", h->ctx->file, h->ctx->line,
	           arg ? "content-type '" : "", arg ? arg : "", msg);
	h->warned = 1;
}

/* Checks the arguments together once they are all read. */
static int herr_check(struct herr_args *h, char **err)
{
	const struct global_cfg *g = &h->ctx->cfg->global;

	if (h->type == HP_EMPTY && h->ctype)
		herr_warn(h,
		          "' ignored by the http reply because neither errorfile nor payload "
		          "defined.",
		          h->ctype);
	if (h->type == HP_DEFAULT || h->type == HP_ERRORFILES) {
		if (http_err_slot(h->status) < 0) {
			memprintf(err,
			          "status code '%d' not handled by default with '%s' argument.",
			          h->status, h->act);
			return -1;
		}
	}
	if (h->type == HP_DEFAULT || h->type == HP_ERRORFILES || h->type == HP_ERRORFILE) {
		if (h->ctype)
			herr_warn(h, "' ignored by the http reply when used with an erorrfile.",
			          h->ctype);
		if (h->nhdrs)
			herr_warn(h,
			          "hdr parameters ignored by the http reply when used with an "
			          "erorrfile.",
			          NULL);
	}
	if (h->type != HP_RAW)
		return 0;
	if (!h->ctype && h->blen) {
		memprintf(err, "a content type must be defined when non-empty payload is "
		               "configured");
		return -1;
	}
	if (h->ctype && !h->blen)
		herr_warn(h, "' ignored by the http reply when used with an empty payload.",
		          h->ctype);
	if (h->blen > g->tune_bufsize - http_maxrewrite(g))
		herr_warn(h,
		          "http reply payload runs over the buffer space reserved to headers "
		          "rewriting. It may lead to internal errors if strict rewriting mode "
		          "is enabled.",
		          NULL);
	return 0;
}

/* Turns the checked arguments into a reference of the current proxy. */
static void herr_commit(struct herr_args *h)
{
	struct cfg_ctx *ctx = h->ctx;
	int slot = http_err_slot(h->status);

	if (h->type == HP_ERRORFILES) {
		struct http_err_ref *ref = add_ref(ctx, ctx->px, HTTP_ERR_REF_FILES, h->status);
		ref->slot_mask = 1u << slot;
		ref->arg = xstrdup(h->files_name);
		return;
	}
	struct http_err_ref *ref = add_ref(ctx, ctx->px, HTTP_ERR_REF_HTTP, h->status);
	if (h->type == HP_ERRORFILE && !h->file_reply->len)
		h->file_reply->status = h->status; /* "status" may follow "errorfile" */
	if (h->type == HP_ERRORFILE)
		ref->reply = h->file_reply;
	else if (h->type != HP_DEFAULT)
		ref->reply = http_reply_build(
		    h->status, h->type == HP_RAW ? h->ctype : NULL, h->body, h->blen, h->hnames,
		    h->hvalues, h->type == HP_RAW || h->type == HP_EMPTY ? h->nhdrs : 0);
	h->file_reply = NULL;
}

static void herr_release(struct herr_args *h)
{
	for (int i = 0; i < h->nhdrs; i++) {
		free(h->hnames[i]);
		free(h->hvalues[i]);
	}
	free(h->body);
	http_reply_free(h->file_reply);
}

/* Reads and checks every argument of an http-error line. Returns CFG_*
 * flags; on CFG_ALERT, *err holds the message without its prefix, or is
 * NULL when the message is already complete in *err with the prefix.
 */
static int herr_parse(struct herr_args *h, char **err)
{
	int r = 0;

	for (h->cur = 1; h->cur < h->nargs && (r = herr_word(h, err)) == 0;)
		;
	if (r < 0 || herr_check(h, err) < 0)
		return CFG_ALERT;
	return h->warned ? CFG_WARN : CFG_OK;
}

/* http-error status <code> [content-type <type>] [<payload>] [hdr <n> <v>]* */
static int parse_http_error(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct herr_args h = {.ctx = ctx, .args = args, .nargs = nargs};
	int ret = herr_parse(&h, err);

	if (ret & CFG_ALERT) {
		memprintf(err, "%s : %s", args[0], *err);
	} else if (!h.status) {
		memprintf(err, "%s : expects at least a <status> as arguments.\n", args[0]);
		ret = CFG_ALERT;
	} else if (http_err_slot(h.status) < 0) {
		memprintf(err, "%s: status code '%d' not handled.", args[0], h.status);
		ret = CFG_ALERT;
	} else if (h.cur < nargs) {
		memprintf(err, "%s : unknown keyword '%s'.", args[0], args[h.cur]);
		ret = CFG_ALERT;
	} else {
		herr_commit(&h);
	}
	herr_release(&h);
	return ret & CFG_ALERT ? CFG_ALERT : CFG_OK;
}

#define ERR_KW(n, fn)                                                                              \
	{                                                                                          \
		.name = n, .sections = SECT_PROXY, .cap = PX_CAP_ALL, .parse = fn                  \
	}
static const struct cfg_kw http_errors_kws[] = {
    ERR_KW("errorfile", parse_errorfile),
    ERR_KW("errorfiles", parse_errorfiles),
    ERR_KW("http-error", parse_http_error),
    {.name = "errorfile", .sections = SECT_HTTP_ERRORS, .parse = parse_sect_errorfile},
};
CFG_REGISTER_KEYWORDS(http_errors_kws)
