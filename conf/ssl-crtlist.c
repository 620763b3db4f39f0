/* The "crt-list <file>" bind option. Each line of the file reads
 *
 *     <crt> [\[<option> ...\]] [[!]<sni filter> ...]
 *
 * (empty lines and lines starting with '#' are skipped). The certificate is
 * loaded as "crt" would; the options between brackets are bind options
 * applied to that certificate only (alpn, ca-file, ca-verify-file,
 * crl-file, verify); the filters replace the certificate's own names for
 * SNI, or with '!' remove one of them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "conf/kw.h"
#include "conf/model-t.h"
#include "conf/opts.h"
#include "conf/ssl-bind.h"
#include "conf/ssl-crtlist.h"
#include "worker/tls-verify.h"
#include "worker/tls.h"

#define MAX_WORDS 64

static struct tls_crtlist **lists;
static int nlists;

int tls_crtlist_count(void)
{
	return nlists;
}

struct tls_crtlist *tls_crtlist_at(int i)
{
	return i >= 0 && i < nlists ? lists[i] : NULL;
}

struct tls_crtlist *tls_crtlist_find(const char *path)
{
	for (int i = 0; i < nlists; i++)
		if (!strcmp(lists[i]->path, path))
			return lists[i];
	return NULL;
}

/* The crt-list <path>, created on first use; *<created> tells. */
static struct tls_crtlist *list_of(const char *path, int *created)
{
	struct tls_crtlist *l = tls_crtlist_find(path);
	*created = !l;
	if (l)
		return l;
	l = xcalloc(1, sizeof(*l));
	l->path = xstrdup(path);
	lists = xrealloc(lists, (size_t)(nlists + 1) * sizeof(*lists));
	lists[nlists++] = l;
	return l;
}

static void list_add_bind(struct tls_crtlist *l, struct tls_bind_cfg *t)
{
	for (int i = 0; i < l->nbinds; i++)
		if (l->binds[i] == t)
			return;
	l->binds = xrealloc(l->binds, (size_t)(l->nbinds + 1) * sizeof(*l->binds));
	l->binds[l->nbinds++] = t;
}

/* The options and filters of <o> as HAProxy 2.6 prints them after the
 * certificate: " [alpn <list> ", then " verify <mode>", " ca-file <f>",
 * " crl-file <f>" (the first one without its leading blank), "]", then
 * " <filter>" each. Allocated, "" when <o> is NULL.
 */
static char *dump_opts(const struct tls_crt_opts *o)
{
	static const char *const modes[] = {"none", "optional", "required"};
	char *d = xstrdup("");
	if (!o)
		return d;
	const struct tls_verify_cfg *v = o->verify;
	int opts = o->alpn || (v && (v->mode_set || v->ca_file || v->crl_file)), sp = 0;
	if (opts)
		memprintf(&d, "%s [", d);
	if (o->alpn) {
		memprintf(&d, "%salpn %s ", d, o->alpn_text);
		sp = 1;
	}
	if (v && v->mode_set) {
		memprintf(&d, "%s%sverify %s", d, sp ? " " : "", modes[v->mode]);
		sp = 1;
	}
	if (v && v->ca_file) {
		memprintf(&d, "%s%sca-file %s", d, sp ? " " : "", v->ca_file);
		sp = 1;
	}
	if (v && v->crl_file)
		memprintf(&d, "%s%scrl-file %s", d, sp ? " " : "", v->crl_file);
	if (opts)
		memprintf(&d, "%s]", d);
	for (int i = 0; i < o->nfilters; i++)
		memprintf(&d, "%s %s", d, o->filters[i]);
	return d;
}

/* Tags the certificate slots <first>..t->ncerts-1 of <t> with crt-list
 * <l> line <lineno>.
 */
static void tag_slots(struct tls_bind_cfg *t, int first, struct tls_crtlist *l, int lineno)
{
	t->tags = xrealloc(t->tags, (size_t)t->ncerts * sizeof(*t->tags));
	for (int i = t->ntags; i < t->ncerts; i++)
		t->tags[i] = (struct tls_slot_tag){i >= first ? l : NULL, i >= first ? lineno : 0};
	t->ntags = t->ncerts;
}

const struct tls_crt_opts *tls_crt_opts_of(const struct tls_bind_cfg *t, int i)
{
	return i < t->ncrt_opts ? t->crt_opts[i] : NULL;
}

static void opts_free(struct tls_crt_opts *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->nfilters; i++)
		free(o->filters[i]);
	free(o->filters);
	free(o->alpn);
	free(o->alpn_text);
	tls_verify_cfg_free(o->verify);
	tls_verify_cfg_free(o->merged);
	free(o);
}

void tls_crtlist_free(struct tls_bind_cfg *t)
{
	for (int i = 0; i < t->ncrt_opts; i++)
		if (!i || t->crt_opts[i] != t->crt_opts[i - 1]) /* shared by a directory */
			opts_free(t->crt_opts[i]);
	free(t->crt_opts);
	t->crt_opts = NULL;
	t->ncrt_opts = 0;
	free(t->tags);
	t->tags = NULL;
	t->ntags = 0;
}

/* Splits <p> into at most MAX_WORDS blank-separated words (in place). */
static int split_words(char *p, char **w)
{
	int n = 0;
	while (*p) {
		while (isspace((unsigned char)*p))
			*p++ = 0;
		if (!*p)
			break;
		if (n == MAX_WORDS)
			return -1;
		w[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	return n;
}

/* Options a crt-list line may carry; the other TLS options are refused. */
static int line_option_ok(const char *name)
{
	static const char *const ok[] = {"alpn",           "allow-0rtt", "ca-file",
	                                 "ca-verify-file", "crl-file",   "verify"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(name, ok[i]))
			return 1;
	return 0;
}

/* Parses the bracketed options <w>[0..n-1] into <o> through the bind
 * option parsers, on a scratch bind line. Returns 0, or -1 with *err set.
 */
static int parse_line_options(struct cfg_ctx *ctx, char **w, int n, struct tls_crt_opts *o,
                              const char *what, char **err)
{
	struct bind_conf tmp = {0};
	for (int i = 0; i < n; i++) {
		const struct cfg_kw *kw = cfg_find_kw(SECT_BINDOPT, w + i, n - i, &(int){0});
		if (kw && !line_option_ok(w[i])) {
			memprintf(err, "'%s' : option '%s' is not supported yet in a crt-list.",
			          what, w[i]);
			return -1;
		}
		if (kw)
			i += kw->nvals;
	}
	int r = cfg_parse_options(ctx, SECT_BINDOPT, &tmp, w, 0, n, what, err);
	if (tmp.tls) {
		o->alpn = tmp.tls->alpn, tmp.tls->alpn = NULL;
		o->alpn_len = tmp.tls->alpn_len;
		o->alpn_text = tmp.tls->alpn_text, tmp.tls->alpn_text = NULL;
		o->verify = tmp.tls->verify, tmp.tls->verify = NULL;
		o->early_data = tmp.tls->early_data;
		tls_bind_cfg_free(tmp.tls);
	}
	return r & CFG_ALERT ? -1 : 0;
}

/* Reads the filters <w>[0..n-1] (lower case, as HAProxy compares them). */
static void add_filters(char **w, int n, struct tls_crt_opts *o)
{
	for (int i = 0; i < n; i++) {
		char *f = xstrdup(w[i]);
		for (char *c = f; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		o->filters = xrealloc(o->filters, (size_t)(o->nfilters + 1) * sizeof(char *));
		o->filters[o->nfilters++] = f;
	}
}

/* Records <o> for the certificates <first>..t->ncerts-1 just loaded. */
static void attach_opts(struct tls_bind_cfg *t, int first, struct tls_crt_opts *o)
{
	t->crt_opts = xrealloc(t->crt_opts, (size_t)t->ncerts * sizeof(*t->crt_opts));
	for (int i = t->ncrt_opts; i < t->ncerts; i++)
		t->crt_opts[i] = NULL;
	t->ncrt_opts = t->ncerts;
	if (t->ncerts > first)
		t->crt_opts[first] = o; /* a directory line: its first certificate owns them */
	else
		opts_free(o);
	for (int i = first + 1; i < t->ncerts; i++)
		t->crt_opts[i] = o ? t->crt_opts[first] : NULL;
}

/* One line of a crt-list (<ln>, modified), line <lineno> of <l>, which
 * records it when <record>. Returns 0, or -1 with *err.
 */
static int parse_line(struct cfg_ctx *ctx, struct tls_bind_cfg *t, char *ln, const char *where,
                      struct tls_crtlist *l, int lineno, int record, char **err)
{
	char *w[MAX_WORDS], *opt_w[MAX_WORDS];
	int nopt = 0;
	char *open = strchr(ln, '['), *close = open ? strchr(open, ']') : NULL;
	if (open && !close) {
		memprintf(err, "%s : missing ']' in the options.", where);
		return -1;
	}
	if (open) {
		*open = ' ';
		*close = 0;
		nopt = split_words(open + 1, opt_w);
		*open = 0;
	}
	int n = split_words(ln, w);
	char *rest[MAX_WORDS];
	int nrest = close ? split_words(close + 1, rest) : 0;
	if (n < 0 || nopt < 0 || nrest < 0) {
		memprintf(err, "%s : too many words.", where);
		return -1;
	}
	if (!n)
		return 0;
	if (open && n != 1) {
		memprintf(err, "%s : the options must follow the certificate.", where);
		return -1;
	}
	struct tls_crt_opts *o = xcalloc(1, sizeof(*o));
	if (nopt && parse_line_options(ctx, opt_w, nopt, o, where, err) < 0) {
		opts_free(o);
		return -1;
	}
	add_filters(open ? rest : w + 1, open ? nrest : n - 1, o);
	const char *v = w[0];
	char *path = v[0] != '/' && tls_global.crt_base ? xasprintf("%s/%s", tls_global.crt_base, v)
	                                                : xstrdup(v);
	int first = t->ncerts;
	int r = tls_cert_load(path, &t->certs, &t->ncerts, err);
	if (r < 0) {
		free(path);
		opts_free(o);
		return -1;
	}
	if (!o->nfilters && !o->alpn && !o->verify && !o->early_data) {
		opts_free(o);
		o = NULL;
	}
	if (record) {
		l->lines = xrealloc(l->lines, (size_t)(l->nlines + 1) * sizeof(*l->lines));
		l->lines[l->nlines++] =
		    (struct tls_crtlist_line){xstrdup(path), dump_opts(o), lineno};
		l->last_lineno = lineno;
	}
	free(path);
	attach_opts(t, first, o);
	tag_slots(t, first, l, lineno);
	return 0;
}

/* crt-list <file>: the file's own path is used as written (as HAProxy 2.6
 * does), the certificates it names are relative to crt-base.
 */
static int bopt_crtlist(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	struct tls_bind_cfg *t = tls_bind_cfg_of(ctx);
	char *path = xstrdup(args[1]);
	FILE *f = fopen(path, "r");
	if (!f) {
		memprintf(err, "'crt-list' : cannot open file '%s' : %s", path, strerror(errno));
		free(path);
		return CFG_ALERT;
	}
	int record;
	struct tls_crtlist *l = list_of(path, &record);
	list_add_bind(l, t);
	char ln[4096];
	int lineno = 0, ret = CFG_OK;
	while (fgets(ln, sizeof(ln), f)) {
		lineno++;
		char where[300];
		snprintf(where, sizeof(where), "crt-list '%s' line %d", path, lineno);
		if (!strchr(ln, '\n') && !feof(f)) {
			memprintf(err, "%s : line too long.", where);
			ret = CFG_ALERT;
			break;
		}
		char *p = ln;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || !*p)
			continue;
		if (parse_line(ctx, t, p, where, l, lineno, record, err) < 0) {
			ret = CFG_ALERT;
			break;
		}
	}
	fclose(f);
	free(path);
	return ret;
}

static const struct cfg_kw ssl_crtlist_opts[] = {
    {.name = "crt-list", .sections = SECT_BINDOPT, .parse = bopt_crtlist, .nvals = 1},
};
CFG_REGISTER_KEYWORDS(ssl_crtlist_opts)

/* Whether ALPN wire list <p>/<len> names anything but HTTP/1.x. */
static int beyond_h1(const unsigned char *p, unsigned len)
{
	for (unsigned i = 0; i < len; i += 1u + p[i]) {
		const char *s = (const char *)p + i + 1;
		if (!(p[i] == 8 && (!memcmp(s, "http/1.1", 8) || !memcmp(s, "http/1.0", 8))))
			return 1;
	}
	return 0;
}

/* The line's verification settings over the bind line's <b> (may be NULL). */
static struct tls_verify_cfg *merge(const struct tls_verify_cfg *l, const struct tls_verify_cfg *b)
{
	struct tls_verify_cfg *m = xcalloc(1, sizeof(*m));
	if (b)
		*m = *b;
	m->borrowed = 1;
	if (l->mode_set)
		m->mode = l->mode;
	if (l->ca_certs)
		m->ca_certs = l->ca_certs, m->ca_file = l->ca_file;
	if (l->ca_verify_certs)
		m->ca_verify_certs = l->ca_verify_certs, m->ca_verify_file = l->ca_verify_file;
	if (l->crls)
		m->crls = l->crls, m->crl_file = l->crl_file;
	return m;
}

int tls_crtlist_check(struct tls_bind_cfg *t, int http, char **err)
{
	for (int i = 0; i < t->ncrt_opts; i++) {
		struct tls_crt_opts *o = t->crt_opts[i];
		if (!o || (i > 0 && t->crt_opts[i - 1] == o))
			continue;
		if (http && o->alpn && beyond_h1(o->alpn, o->alpn_len)) {
			memprintf(err,
			          "'alpn %s' in a crt-list: only http/1.1 and http/1.0 are "
			          "supported on an HTTP frontend (HTTP/2 is not supported yet)",
			          o->alpn_text);
			return -1;
		}
		if (o->verify && !o->merged) {
			o->merged = merge(o->verify, t->verify);
			if (tls_verify_check(o->merged, err) < 0)
				return -1;
		}
	}
	return 0;
}

int tls_crtlist_rt_opts(const struct tls_bind_cfg *t, char **ow, int no, char **fw, int nf,
                        struct tls_crt_opts **out, char **dump, char **err)
{
	static const char *const modes[] = {"none", "optional", "required"};
	struct tls_crt_opts *o = xcalloc(1, sizeof(*o));
	for (int i = 0; i < no; i++) {
		int mode = -1;
		if (!strcmp(ow[i], "alpn") && i + 1 < no && !o->alpn) {
			if (alpn_wire(ow[++i], &o->alpn, &o->alpn_len, err) < 0)
				goto fail;
			o->alpn_text = xstrdup(ow[i]);
			if (t->http && beyond_h1(o->alpn, o->alpn_len)) {
				memprintf(
				    err,
				    "'alpn %s': only http/1.1 and http/1.0 are supported on an "
				    "HTTP frontend",
				    ow[i]);
				goto fail;
			}
			continue;
		}
		for (int m = 0; !strcmp(ow[i], "verify") && i + 1 < no && m < 3; m++)
			if (!strcmp(ow[i + 1], modes[m]))
				mode = m;
		if (mode < 0 || o->verify) {
			memprintf(err,
			          "option '%s' is not supported in a line added at run time (only "
			          "'alpn <list>' and 'verify none|optional|required')",
			          ow[i]);
			goto fail;
		}
		o->verify = xcalloc(1, sizeof(*o->verify));
		o->verify->mode = mode;
		o->verify->mode_set = 1;
		i++;
	}
	add_filters(fw, nf, o);
	if (o->verify) {
		o->merged = merge(o->verify, t->verify);
		if (tls_verify_check(o->merged, err) < 0)
			goto fail;
	}
	*dump = dump_opts(o);
	if (!o->nfilters && !o->alpn && !o->verify) {
		opts_free(o);
		o = NULL;
	}
	*out = o;
	return 0;
fail:
	opts_free(o);
	return -1;
}
