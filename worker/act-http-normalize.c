/* normalize-uri <normalizer> [full|strict] (http-request), its normalizers,
 * and the global "expose-experimental-directives" it requires, as HAProxy
 * 2.6 does. The normalizers are pure functions (worker/uri-norm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"
#include "conf/kw.h"
#include "conf/model-t.h"
#include "conf/rules.h"
#include "worker/counters.h"
#include "worker/http-txn.h"
#include "worker/runtime.h"
#include "worker/uri-norm.h"

static const char *const norm_names[UN_COUNT] = {
    [UN_FRAGMENT_ENCODE] = "fragment-encode",
    [UN_FRAGMENT_STRIP] = "fragment-strip",
    [UN_PATH_MERGE_SLASHES] = "path-merge-slashes",
    [UN_PATH_STRIP_DOT] = "path-strip-dot",
    [UN_PATH_STRIP_DOTDOT] = "path-strip-dotdot",
    [UN_PERCENT_DECODE_UNRES] = "percent-decode-unreserved",
    [UN_PERCENT_UPPER] = "percent-to-uppercase",
    [UN_QUERY_SORT] = "query-sort-by-name",
};

const char *uri_norm_name(enum uri_norm n)
{
	return n < UN_COUNT ? norm_names[n] : "?";
}

/* Output cursor: put() refuses to go past <cap>. */
struct out {
	char *p;
	size_t len, cap;
	int full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int unreserved(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Both percent normalizers: decode unreserved characters (<decode>) or put
 * hex digits in upper case. A '%' without two hex digits after it is copied
 * unless <strict>, where it is an error.
 */
static enum uri_norm_err percent(const char *in, size_t len, int decode, int strict, struct out *o)
{
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '%') {
			put(o, in + i, 1);
			continue;
		}
		int hi = i + 1 < len ? hexval(in[i + 1]) : -1;
		int lo = i + 2 < len ? hexval(in[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			if (strict)
				return UNE_INVALID;
			put(o, "%", 1);
			continue;
		}
		int c = hi * 16 + lo;
		if (decode && unreserved(c)) {
			char ch = (char)c;
			put(o, &ch, 1);
		} else if (decode) {
			put(o, in + i, 3);
		} else {
			static const char hx[] = "0123456789ABCDEF";
			char e[3] = {'%', hx[hi], hx[lo]};
			put(o, e, 3);
		}
		i += 2;
	}
	return UNE_OK;
}

/* path-strip-dot and path-strip-dotdot: the path is a run of "/segment";
 * removed "." (and "..") segments keep a trailing '/' when they were last.
 * <starts> keeps where each kept segment starts in the output, to undo it.
 */
static enum uri_norm_err dots(const char *in, size_t len, int dotdot, int full, struct out *o)
{
	size_t i = 0, nseg = 0;
	size_t *starts = malloc((len + 1) * sizeof(*starts));
	if (!starts)
		return UNE_ROOM;
	if (len && in[0] != '/') { /* no leading slash: copy the first segment */
		while (i < len && in[i] != '/')
			i++;
		put(o, in, i);
	}
	while (i < len) {
		size_t b = i + 1, e = b;
		while (e < len && in[e] != '/')
			e++;
		size_t sl = e - b;
		int last = e == len;
		if (!dotdot && sl == 1 && in[b] == '.') {
			if (last)
				put(o, "/", 1);
		} else if (dotdot && sl == 2 && in[b] == '.' && in[b + 1] == '.') {
			if (nseg) {
				o->len = starts[--nseg];
				if (last)
					put(o, "/", 1);
			} else if (full) {
				if (last)
					put(o, "/", 1);
			} else {
				put(o, in + i, e - i);
			}
		} else {
			starts[nseg++] = o->len;
			put(o, in + i, e - i);
		}
		i = e;
	}
	free(starts);
	return UNE_OK;
}

/* Name of a query parameter: up to its '='. */
static size_t pname_len(const char *p, size_t len)
{
	const char *eq = memchr(p, '=', len);
	return eq ? (size_t)(eq - p) : len;
}

/* query-sort-by-name: a stable insertion sort of the '&'-separated
 * parameters by name (bytes compared, a prefix first); empty ones dropped.
 */
static enum uri_norm_err query_sort(const char *in, size_t len, struct out *o)
{
	if (len < 1 || in[0] != '?') {
		put(o, in, len);
		return UNE_OK;
	}
	size_t n = 1;
	for (size_t i = 1; i < len; i++)
		n += in[i] == '&';
	struct {
		const char *p;
		size_t len, nlen;
	} *pr = malloc(n * sizeof(*pr));
	if (!pr)
		return UNE_ROOM;
	const char *p = in + 1, *end = in + len;
	for (size_t k = 0; k < n; k++) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		pr[k].p = p;
		pr[k].len = (size_t)(e - p);
		pr[k].nlen = pname_len(p, pr[k].len);
		p = e + 1;
	}
	for (size_t k = 1; k < n; k++) {
		__typeof__(*pr) cur = pr[k];
		size_t j = k;
		while (j > 0) {
			size_t m = pr[j - 1].nlen < cur.nlen ? pr[j - 1].nlen : cur.nlen;
			int c = memcmp(pr[j - 1].p, cur.p, m);
			if (c < 0 || (c == 0 && pr[j - 1].nlen <= cur.nlen))
				break;
			pr[j] = pr[j - 1];
			j--;
		}
		pr[j] = cur;
	}
	put(o, "?", 1);
	int first = 1;
	for (size_t k = 0; k < n; k++) {
		if (!pr[k].len) /* empty parameters go away, as in HAProxy */
			continue;
		if (!first)
			put(o, "&", 1);
		put(o, pr[k].p, pr[k].len);
		first = 0;
	}
	free(pr);
	return UNE_OK;
}

enum uri_norm_err uri_normalize(enum uri_norm n, unsigned flags, const char *in, size_t len,
                                char *out, size_t cap, size_t *olen)
{
	struct out o = {out, 0, cap, 0};
	enum uri_norm_err err = UNE_OK;
	const char *hash;
	switch (n) {
	case UN_FRAGMENT_ENCODE:
		for (size_t i = 0; i < len; i++)
			put(&o, in[i] == '#' ? "%23" : in + i, in[i] == '#' ? 3 : 1);
		break;
	case UN_FRAGMENT_STRIP:
		hash = memchr(in, '#', len);
		put(&o, in, hash ? (size_t)(hash - in) : len);
		break;
	case UN_PATH_MERGE_SLASHES:
		for (size_t i = 0; i < len; i++)
			if (!(in[i] == '/' && o.len && o.p[o.len - 1] == '/'))
				put(&o, in + i, 1);
		break;
	case UN_PATH_STRIP_DOT:
	case UN_PATH_STRIP_DOTDOT:
		err = dots(in, len, n == UN_PATH_STRIP_DOTDOT, flags & UN_F_FULL, &o);
		break;
	case UN_PERCENT_DECODE_UNRES:
	case UN_PERCENT_UPPER:
		err = percent(in, len, n == UN_PERCENT_DECODE_UNRES, flags & UN_F_STRICT, &o);
		break;
	case UN_QUERY_SORT:
		err = query_sort(in, len, &o);
		break;
	default:
		return UNE_INVALID;
	}
	if (err)
		return err;
	if (o.full)
		return UNE_ROOM;
	*olen = o.len;
	return UNE_OK;
}

/* "expose-experimental-directives": normalize-uri is refused without it,
 * as in HAProxy 2.6 where it is experimental.
 */
static int experimental_allowed;

static int parse_expose_experimental(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	(void)ctx;
	(void)args;
	if (nargs != 1) {
		memprintf(err, "'expose-experimental-directives' takes no argument");
		return CFG_ALERT;
	}
	experimental_allowed = 1;
	return CFG_OK;
}

static const struct cfg_kw experimental_kws[] = {
    {.name = "expose-experimental-directives",
     .sections = SECT_GLOBAL,
     .type = KWT_PARSER,
     .parse = parse_expose_experimental},
};
CFG_REGISTER_KEYWORDS(experimental_kws)

struct norm_arg {
	enum uri_norm n;
	unsigned flags;
};

/* normalize-uri <normalizer> [full|strict]: the option each normalizer
 * takes, nothing after it.
 */
static int parse_normalize(struct act_rule *r, char **args, int nargs, char **err)
{
	if (!experimental_allowed) {
		memprintf(err,
		          "'normalize-uri' action is experimental, must be allowed via a global "
		          "'expose-experimental-directives'");
		return 0;
	}
	if (nargs < 1) {
		memprintf(err, "missing argument <normalizer>");
		return 0;
	}
	size_t n = 0;
	while (n < UN_COUNT && strcmp(args[0], norm_names[n]))
		n++;
	if (n == UN_COUNT) {
		memprintf(err, "unknown normalizer '%s'", args[0]);
		return 0;
	}
	struct norm_arg *a = xcalloc(1, sizeof(*a));
	r->arg = a;
	a->n = (enum uri_norm)n;
	const char *opt = n == UN_PATH_STRIP_DOTDOT                               ? "full"
	                  : n == UN_PERCENT_DECODE_UNRES || n == UN_PERCENT_UPPER ? "strict"
	                                                                          : NULL;
	int i = 1;
	if (opt && nargs > 1 && !strcmp(args[1], opt)) {
		a->flags = n == UN_PATH_STRIP_DOTDOT ? UN_F_FULL : UN_F_STRICT;
		i++;
	}
	if (i < nargs) {
		memprintf(err, "unknown argument '%s' for '%s' normalizer", args[i], args[0]);
		return 0;
	}
	return 1;
}

/* Applies the rule's normalizer to its part of the request-target (path for
 * path-*, query for query-sort-by-name, path and query for the others; the
 * scheme and authority of an absolute form are kept). Strict percent errors
 * answer 400; a result that does not fit is a rewrite failure.
 */
static enum act_ret exec_normalize(struct act_rule *r, struct stream *s, struct smp_ctx *ctx)
{
	const struct norm_arg *a = r->arg;
	struct http_txn *t = s->txn;
	struct ist u = t->req.uri;
	(void)ctx;
	const char *p = u.p, *end = u.p + u.len;
	if (u.len && *p != '/') { /* absolute form: skip scheme://authority */
		const char *ss = memmem(p, u.len, "://", 3);
		const char *sl = ss ? memchr(ss + 3, '/', (size_t)(end - ss - 3)) : NULL;
		if (!sl)
			return ACT_RET_CONT; /* no path: nothing to normalize */
		p = sl;
	}
	const char *q = memchr(p, '?', (size_t)(end - p));
	const char *b = p, *e = end; /* the part the normalizer sees */
	if (a->n == UN_PATH_MERGE_SLASHES || a->n == UN_PATH_STRIP_DOT ||
	    a->n == UN_PATH_STRIP_DOTDOT)
		e = q ? q : end;
	else if (a->n == UN_QUERY_SORT) {
		if (!q)
			return ACT_RET_CONT;
		b = q;
	}
	size_t cap = rt.cfg->global.tune_bufsize, len = 0;
	char *tmp = smp_alloc(cap);
	if (!tmp)
		return ACT_RET_ERR;
	enum uri_norm_err err = uri_normalize(a->n, a->flags, b, (size_t)(e - b), tmp, cap, &len);
	if (err == UNE_INVALID)
		return ACT_RET_INV;
	size_t pre = (size_t)(b - u.p), post = (size_t)(end - e);
	char *n = err ? NULL : http_rw_alloc(t, pre + len + post);
	if (!n) {
		counters_http_rewrite_failed(s->fe, NULL);
		return t->lax_rewrite ? ACT_RET_CONT : ACT_RET_ERR;
	}
	memcpy(n, u.p, pre);
	memcpy(n + pre, tmp, len);
	memcpy(n + pre + len, e, post);
	t->req.uri = (struct ist){n, pre + len + post};
	return ACT_RET_CONT;
}

static const struct act_kw normalize_actions[] = {
    {"normalize-uri", RS_F_HTTP_REQ, parse_normalize, exec_normalize, 0},
};
ACT_REGISTER_KEYWORDS(normalize_actions)
