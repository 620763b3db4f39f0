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

/* Returns how many words of <args> keyword name <name> matches entirely
 * (1 or 2), or 0 when it does not match.
 */
static int kw_match(const char *name, char *const *args, int nargs)
{
	const char *sp = strchr(name, ' ');
	if (!sp)
		return strcmp(name, args[0]) == 0 ? 1 : 0;
	if (nargs < 2)
		return 0;
	size_t l0 = (size_t)(sp - name);
	if (strlen(args[0]) != l0 || memcmp(name, args[0], l0) != 0)
		return 0;
	return strcmp(sp + 1, args[1]) == 0 ? 2 : 0;
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

const char *cfg_kw_other_section(unsigned sect, char *const *args, int nargs)
{
	static const struct {
		unsigned id;
		const char *name;
	} names[] = {
		{SECT_GLOBAL, "global"},     {SECT_DEFAULTS, "defaults"}, {SECT_FRONTEND, "frontend"},
		{SECT_BACKEND, "backend"},   {SECT_LISTEN, "listen"},     {SECT_USERLIST, "userlist"},
	};
	const struct cfg_kw *kw = find_kw_in(~sect & SECT_REAL, args, nargs, NULL);
	if (!kw)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (kw->sections & names[i].id)
			return names[i].name;
	return NULL;
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
	const char *first; /* NULL: compare first words; else compare the word after it */
	const char *word;
	const char *best;
	int best_dist;
	char buf[128];
};

/* Candidate name compared with the typed word: the first word of one-word
 * lookups, or the second word of "<first> <word>" sub-keywords.
 */
static void suggest_visit(const struct cfg_kw *kw, void *arg)
{
	struct suggest_state *st = arg;
	const char *cand = kw->name;
	char tmp[128];

	if (!(kw->sections & st->sect))
		return;
	const char *sp = strchr(cand, ' ');
	if (st->first) {
		size_t l = strlen(st->first);
		if (!sp || (size_t)(sp - cand) != l || memcmp(cand, st->first, l) != 0)
			return;
		cand = sp + 1;
	} else if (sp) {
		size_t l = (size_t)(sp - cand);
		if (l >= sizeof(tmp))
			return;
		memcpy(tmp, cand, l);
		tmp[l] = 0;
		cand = tmp;
	}
	int dist = cfg_word_distance(st->word, cand);
	size_t wl = strlen(st->word);
	int limit = wl <= 4 ? 1 : (int)(wl / 3) + 1;
	if (dist <= limit && dist < st->best_dist) {
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
		st = parse_time_ms(arg, &v, &bad);
		if (st != PARSE_OK)
			return slot_error(err, kw->name, arg, st, bad, "a time");
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
