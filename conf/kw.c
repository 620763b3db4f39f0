#include "conf/kw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/units.h"
#include "conf/model-t.h"

static struct cfg_kw_list *kw_lists;
static struct cfg_section *sections;

void cfg_register_keywords(struct cfg_kw_list *list)
{
	list->next = kw_lists;
	kw_lists = list;
}

void cfg_register_section(struct cfg_section *sect)
{
	sect->next = sections;
	sections = sect;
}

const struct cfg_section *cfg_find_section(const char *name)
{
	for (const struct cfg_section *s = sections; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

void cfg_foreach_kw(void (*fn)(const struct cfg_kw *kw, void *arg), void *arg)
{
	for (struct cfg_kw_list *l = kw_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++)
			fn(&l->kws[i], arg);
}

/* Returns the length of the word of <name> starting at <p> (up to a space or
 * the end of the name).
 */
static size_t name_word_len(const char *p)
{
	const char *sp = strchr(p, ' ');
	return sp ? (size_t)(sp - p) : strlen(p);
}

/* Returns the number of words of keyword name <name>. */
static int name_words(const char *name)
{
	int n = 1;
	for (const char *p = name; (p = strchr(p, ' ')); p++)
		n++;
	return n;
}

/* Returns how many leading words <name> and <args> have in common (at most
 * <nargs>, at most the number of words of <name>).
 */
static int common_words(const char *name, char *const *args, int nargs)
{
	int w = 0;
	for (const char *p = name; w < nargs; w++) {
		size_t l = name_word_len(p);
		if (strlen(args[w]) != l || memcmp(p, args[w], l) != 0)
			break;
		if (!p[l])
			return w + 1;
		p += l + 1;
	}
	return w;
}

/* Returns how many words of <args> keyword name <name> matches entirely
 * (its number of words), or 0 when it does not match.
 */
static int kw_match(const char *name, char *const *args, int nargs)
{
	int n = name_words(name);
	return common_words(name, args, nargs) == n ? n : 0;
}

/* Returns a pointer to word <w> (0-based) of keyword name <name>. */
static const char *name_word(const char *name, int w)
{
	while (w-- > 0)
		name = strchr(name, ' ') + 1;
	return name;
}

/* Finds the best keyword matching <args> among those valid in <sect_mask>,
 * real implementations winning over pending ones.
 */
static const struct cfg_kw *find_kw_in(unsigned sect_mask, char *const *args, int nargs,
				       int *words)
{
	const struct cfg_kw *best = NULL;
	int best_words = 0;

	for (struct cfg_kw_list *l = kw_lists; l; l = l->next) {
		for (size_t i = 0; i < l->count; i++) {
			const struct cfg_kw *kw = &l->kws[i];
			if (!(kw->sections & sect_mask))
				continue;
			int w = kw_match(kw->name, args, nargs);
			if (!w)
				continue;
			int better = w > best_words ||
				     (w == best_words && best && (best->flags & KWF_PENDING) &&
				      !(kw->flags & KWF_PENDING));
			if (better) {
				best = kw;
				best_words = w;
			}
		}
	}
	if (words)
		*words = best_words;
	return best;
}

const struct cfg_kw *cfg_find_kw(unsigned sect, char *const *args, int nargs, int *words)
{
	if (nargs < 1)
		return NULL;
	return find_kw_in(sect, args, nargs, words);
}

/* Growable list of words (pointers into keyword names, not NUL-terminated). */
struct word_list {
	const char **words;
	size_t *lens;
	int count;
};

/* Adds word <w> of length <l> to <wl> unless it is already there. */
static void word_list_add(struct word_list *wl, const char *w, size_t l)
{
	for (int i = 0; i < wl->count; i++)
		if (wl->lens[i] == l && memcmp(wl->words[i], w, l) == 0)
			return;
	wl->words = xrealloc(wl->words, sizeof(*wl->words) * (wl->count + 1));
	wl->lens = xrealloc(wl->lens, sizeof(*wl->lens) * (wl->count + 1));
	wl->words[wl->count] = w;
	wl->lens[wl->count++] = l;
}

/* Formats <wl> as "'a'", "'a' and 'b'" or "'a', 'b' and 'c'" (allocated),
 * then releases the list.
 */
static char *word_list_join(struct word_list *wl)
{
	char *out = NULL;
	memprintf(&out, "%s", "");
	for (int i = 0; i < wl->count; i++) {
		const char *sep = i == 0 ? "" : i == wl->count - 1 ? " and " : ", ";
		memprintf(&out, "%s%s'%.*s'", out, sep, (int)wl->lens[i], wl->words[i]);
	}
	free(wl->words);
	free(wl->lens);
	return out;
}

/* Sorts <wl> alphabetically (insertion sort: the lists are short). */
static void word_list_sort(struct word_list *wl)
{
	for (int i = 1; i < wl->count; i++) {
		for (int j = i; j > 0; j--) {
			size_t la = wl->lens[j - 1], lb = wl->lens[j];
			int c = memcmp(wl->words[j - 1], wl->words[j], la < lb ? la : lb);
			if (c < 0 || (c == 0 && la <= lb))
				break;
			const char *tw = wl->words[j];
			wl->words[j] = wl->words[j - 1];
			wl->words[j - 1] = tw;
			wl->lens[j] = la;
			wl->lens[j - 1] = lb;
		}
	}
}

/* Longest number of leading words of <args> that start a longer keyword
 * name valid in <sect>; 0 if none.
 */
static int longest_prefix(unsigned sect, char *const *args, int nargs)
{
	int best = 0;
	for (struct cfg_kw_list *l = kw_lists; l; l = l->next) {
		for (size_t i = 0; i < l->count; i++) {
			const struct cfg_kw *kw = &l->kws[i];
			if (!(kw->sections & sect))
				continue;
			int c = common_words(kw->name, args, nargs);
			if (c < name_words(kw->name) && c > best)
				best = c;
		}
	}
	return best;
}

char *cfg_kw_subwords(unsigned sect, char *const *args, int nargs, int *nprefix)
{
	struct word_list wl = {0};
	int k = nargs > 0 ? longest_prefix(sect, args, nargs) : 0;

	*nprefix = k;
	if (!k)
		return NULL;
	for (struct cfg_kw_list *l = kw_lists; l; l = l->next) {
		for (size_t i = 0; i < l->count; i++) {
			const struct cfg_kw *kw = &l->kws[i];
			if (!(kw->sections & sect) || name_words(kw->name) <= k ||
			    common_words(kw->name, args, k) != k)
				continue;
			const char *w = name_word(kw->name, k);
			word_list_add(&wl, w, name_word_len(w));
		}
	}
	word_list_sort(&wl);
	return word_list_join(&wl);
}

/* Real sections where <kw> is valid, as SECT_* bits: proxy sections are
 * filtered by the keyword's capabilities (a listen has both sides).
 */
static unsigned kw_places(const struct cfg_kw *kw)
{
	unsigned s = kw->sections & SECT_REAL;
	unsigned cap = kw->cap ? kw->cap : PX_CAP_ALL;

	if (!(cap & PX_CAP_DEF))
		s &= ~SECT_DEFAULTS;
	if (!(cap & PX_CAP_FE))
		s &= ~SECT_FRONTEND;
	if (!(cap & PX_CAP_BE))
		s &= ~SECT_BACKEND;
	if (!(cap & PX_CAP_LISTEN))
		s &= ~SECT_LISTEN;
	return s;
}

char *cfg_kw_valid_places(unsigned sect, char *const *args, int nargs, const char **name)
{
	static const struct {
		unsigned id;
		const char *name;
	} names[] = {
	    {SECT_GLOBAL, "global"},   {SECT_DEFAULTS, "defaults"}, {SECT_FRONTEND, "frontend"},
	    {SECT_BACKEND, "backend"}, {SECT_LISTEN, "listen"},     {SECT_USERLIST, "userlist"},
	    {SECT_HTTP_ERRORS, "http-errors"},
	};
	/* rings and log-forward sections share words with proxies: not suggested */
	const struct cfg_kw *best =
	    find_kw_in(~sect & SECT_REAL & ~(SECT_RING | SECT_LOG_FORWARD), args, nargs, NULL);
	struct word_list wl = {0};
	unsigned places = 0;

	if (!best)
		return NULL;
	for (struct cfg_kw_list *l = kw_lists; l; l = l->next)
		for (size_t i = 0; i < l->count; i++)
			if (strcmp(l->kws[i].name, best->name) == 0)
				places |= kw_places(&l->kws[i]);
	places &= ~sect & ~(SECT_RING | SECT_LOG_FORWARD);
	if (!places)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (places & names[i].id)
			word_list_add(&wl, names[i].name, strlen(names[i].name));
	int several = wl.count > 1;
	char *out = word_list_join(&wl);
	memprintf(&out, "%s section%s", out, several ? "s" : "");
	*name = best->name;
	return out;
}

int cfg_word_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 1000;
	int d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			/* a transposition counts as one edit */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

struct suggest_state {
	unsigned sect;
	const char *first; /* NULL: compare first words; else the prefix words */
	const char *word;
	const char *best;
	int best_dist;
	char buf[128];
};

/* Returns the candidate word of <name> compared with the typed word: its
 * first word, or the word following prefix <first>; NULL if <name> does not
 * start with that prefix. Sets *<len> to the candidate's length.
 */
static const char *suggest_candidate(const char *name, const char *first, size_t *len)
{
	if (first) {
		size_t l = strlen(first);
		if (strncmp(name, first, l) != 0 || name[l] != ' ')
			return NULL;
		name += l + 1;
	}
	*len = name_word_len(name);
	return name;
}

/* Keeps <kw> as the best suggestion if its candidate word is closer to the
 * typed word than the previous best, and is not the typed word itself.
 */
static void suggest_visit(const struct cfg_kw *kw, void *arg)
{
	struct suggest_state *st = arg;
	char cand[128];
	size_t l;

	if (!(kw->sections & st->sect))
		return;
	const char *c = suggest_candidate(kw->name, st->first, &l);
	if (!c || l >= sizeof(cand))
		return;
	memcpy(cand, c, l);
	cand[l] = 0;
	int dist = cfg_word_distance(st->word, cand);
	size_t wl = strlen(st->word);
	int limit = wl <= 4 ? 1 : (int)(wl / 3) + 1;
	if (dist > 0 && dist <= limit && dist < st->best_dist) {
		st->best_dist = dist;
		snprintf(st->buf, sizeof(st->buf), "%s", cand);
		st->best = st->buf;
	}
}

const char *cfg_suggest_kw(unsigned sect, const char *first, const char *word)
{
	static struct suggest_state st;
	memset(&st, 0, sizeof(st));
	st.sect = sect;
	st.first = first;
	st.word = word;
	st.best_dist = 1000;
	cfg_foreach_kw(suggest_visit, &st);
	return st.best;
}

/* Reports a slot value error with the keyword's name. */
static int slot_error(char **err, const char *kwname, const char *arg, enum parse_status st,
		      const char *bad, const char *what)
{
	switch (st) {
	case PARSE_EMPTY:
		memprintf(err, "'%s' expects %s as argument.", kwname, what);
		break;
	case PARSE_BAD_CHAR:
		memprintf(err, "unexpected character '%c' in '%s'", bad && *bad ? *bad : '?',
			  kwname);
		break;
	case PARSE_OVERFLOW:
		memprintf(err, "value '%s' too large for '%s'", arg, kwname);
		break;
	case PARSE_UNDERFLOW:
		memprintf(err, "value '%s' too small for '%s'", arg, kwname);
		break;
	default:
		memprintf(err, "invalid value '%s' for '%s'", arg, kwname);
	}
	return CFG_ALERT;
}

/* Reports error <st> of time value <arg> of <kw> in HAProxy's words, which
 * differ between the "timeout" keywords and the others.
 */
static int time_error(const struct cfg_kw *kw, const char *arg, enum parse_status st,
                      const char *bad, char **err)
{
	int is_timeout = strncmp(kw->name, "timeout ", 8) == 0;

	if (st == PARSE_OVERFLOW)
		memprintf(err,
		          "timer overflow in argument '%s' to '%s' (maximum value is %u ms or "
		          "~24.8 days)",
		          arg, kw->name, TIME_MAX_MS);
	else if (st == PARSE_EMPTY && is_timeout)
		memprintf(err, "'%s' expects an integer value (in milliseconds)", kw->name);
	else if (st == PARSE_BAD_CHAR && !is_timeout)
		memprintf(err, "unexpected character '%c' in argument to <%s>.",
		          bad && *bad ? *bad : '?', kw->name);
	else
		return slot_error(err, kw->name, arg, st, bad, "a time");
	return CFG_ALERT;
}

/* Parses time <arg> in milliseconds like parse_time_ms(), except that a
 * value given in microseconds is rounded up to the next millisecond (so a
 * non-zero value never becomes zero), as HAProxy does.
 */
static enum parse_status parse_time_ms_ceil(const char *arg, uint32_t *out, const char **bad)
{
	size_t l = strlen(arg);
	uint64_t us;

	if (l < 3 || strcmp(arg + l - 2, "us") != 0)
		return parse_time_ms(arg, out, bad);
	enum parse_status st =
	    parse_time(arg, TIME_BASE_US, (uint64_t)TIME_MAX_MS * 1000, &us, bad);
	if (st == PARSE_OK)
		*out = (uint32_t)((us + 999) / 1000);
	return st;
}

int cfg_parse_slot(const struct cfg_kw *kw, void *target, struct cfg_ctx *ctx, char **args,
		   int nargs, int words, char **err)
{
	char *slot = (char *)target + kw->offset;
	const char *arg = args[words];
	const char *bad = NULL;
	enum parse_status st;
	int nvals = nargs - words;

	if (kw->type == KWT_FLAG) {
		if (nvals != 0) {
			memprintf(err, "'%s' cannot handle unexpected argument '%s'.", kw->name, arg);
			return CFG_ALERT;
		}
		*(int *)slot = !ctx->inverse;
		return CFG_OK;
	}
	if (nvals == 0 && kw->type == KWT_UINT_TIME)
		return time_error(kw, "", PARSE_EMPTY, NULL, err);
	if (nvals != 1) {
		memprintf(err, "'%s' expects exactly one argument.", kw->name);
		return CFG_ALERT;
	}
	switch (kw->type) {
	case KWT_INT: {
		long long v;
		st = parse_int_range(arg, kw->min, kw->max, &v, &bad);
		if (st != PARSE_OK)
			return slot_error(err, kw->name, arg, st, bad, "an integer");
		*(int *)slot = (int)v;
		return CFG_OK;
	}
	case KWT_UINT_TIME: {
		uint32_t v;
		st = parse_time_ms_ceil(arg, &v, &bad);
		if (st != PARSE_OK)
			return time_error(kw, arg, st, bad, err);
		*(uint32_t *)slot = v;
		return CFG_OK;
	}
	case KWT_SIZE: {
		uint64_t v;
		st = parse_size(arg, (uint64_t)kw->max, &v, &bad);
		if (st == PARSE_OK && (long long)v < kw->min)
			st = PARSE_UNDERFLOW;
		if (st != PARSE_OK)
			return slot_error(err, kw->name, arg, st, bad, "a size");
		*(uint32_t *)slot = (uint32_t)v;
		return CFG_OK;
	}
	case KWT_STR:
		free(*(char **)slot);
		*(char **)slot = xstrdup(arg);
		return CFG_OK;
	default:
		memprintf(err, "internal error: keyword '%s' has no parser", kw->name);
		return CFG_ALERT;
	}
}

char *cfg_join_words(char *const *args, int first, int nargs)
{
	size_t len = 1;
	for (int i = first; i < nargs; i++)
		len += strlen(args[i]) + 1;
	char *out = xcalloc(1, len);
	for (int i = first; i < nargs; i++) {
		if (i > first)
			strcat(out, " ");
		strcat(out, args[i]);
	}
	return out;
}
