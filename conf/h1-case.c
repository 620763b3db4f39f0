/* The h1-case-adjust map: lower-case header names and the spelling to give
 * them towards HTTP/1 peers that depend on it. A sorted array searched by
 * bisection; filled while parsing (and from h1-case-adjust-file at
 * validation), read-only afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/http.h"

/* Compares key <a> (<alen> bytes) with entry name <b> (<blen> bytes). */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Index of the first entry not below key <k> (<len> bytes). */
static size_t lower_bound(const struct h1_case_map *m, const char *k, size_t len)
{
	size_t lo = 0, hi = m->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct h1_case_entry *e = &m->entries[mid];
		if (key_cmp(e->from, e->len, k, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *h1_case_adjust_lookup(const struct h1_case_map *m, const char *lname, size_t len)
{
	if (!m || !m->count)
		return NULL;
	size_t i = lower_bound(m, lname, len);
	if (i < m->count && key_cmp(m->entries[i].from, m->entries[i].len, lname, len) == 0)
		return m->entries[i].to;
	return NULL;
}

int h1_case_map_add(struct h1_case_map *m, const char *from, const char *to, char **err)
{
	size_t len = strlen(from);

	if (!*to) {
		memprintf(err, "expect <to>");
		return -1;
	}
	if (strcasecmp(from, to) != 0) {
		/* sic: HAProxy's wording */
		memprintf(err, "<from> and <to> must not differ execpt the case");
		return -1;
	}
	size_t i = lower_bound(m, from, len);
	if (i < m->count && key_cmp(m->entries[i].from, m->entries[i].len, from, len) == 0) {
		memprintf(err, "duplicate entry '%s'", from);
		return -1;
	}
	m->entries = xrealloc(m->entries, (m->count + 1) * sizeof(*m->entries));
	memmove(&m->entries[i + 1], &m->entries[i], (m->count - i) * sizeof(*m->entries));
	m->entries[i] = (struct h1_case_entry){xstrdup(from), xstrdup(to), len};
	m->count++;
	return 0;
}

void h1_case_map_release(struct h1_case_map *m)
{
	for (size_t i = 0; i < m->count; i++) {
		free(m->entries[i].from);
		free(m->entries[i].to);
	}
	free(m->entries);
	free(m->file);
	*m = (struct h1_case_map){0};
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits <line> in place into <from> and <to> (the rest of the line, its
 * trailing blanks removed). Returns 0, or 1 for a line to ignore.
 */
static int split_line(char *line, char **from, char **to)
{
	char *c = line;
	while (is_blank(*c))
		c++;
	if (*c == '#' || *c == 0 || *c == '\r' || *c == '\n')
		return 1;
	*from = c;
	while (*c && !is_blank(*c) && *c != '\r' && *c != '\n')
		c++;
	char *from_end = c;
	while (is_blank(*c))
		c++;
	*to = c;
	while (*c && *c != '\r' && *c != '\n')
		c++;
	while (c > *to && is_blank(c[-1]))
		c--;
	*c = 0;
	*from_end = 0;
	return 0;
}

int h1_case_map_load(struct h1_case_map *m)
{
	FILE *f = fopen(m->file, "r");
	char *line = NULL, *from, *to, *err = NULL;
	size_t cap = 0;
	int lineno = 0, ret = 0;

	if (!f) {
		ha_alert("config : h1-headers-case-adjust-file '%s': failed to open file.\n",
		         m->file);
		return 1;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		if (split_line(line, &from, &to) || h1_case_map_add(m, from, to, &err) == 0)
			continue;
		ha_alert("config : h1-headers-case-adjust-file '%s' : %s at line %d.\n", m->file,
		         err, lineno);
		ret = 1;
		break;
	}
	free(err);
	free(line);
	fclose(f);
	return ret;
}
