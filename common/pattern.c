/* Pattern lists, indexes and matching (see common/pattern.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "common/pattern.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "common/mem.h"
#include "common/pattern-idx.h"
#include "common/rcu.h"
#include "common/sample.h"

static struct pat_ref *named_refs;
static struct pat_expr *all_exprs;

static const char *const match_names[PAT_MATCH_NUM] = {
    [PAT_MATCH_FOUND] = "found", [PAT_MATCH_BOOL] = "bool", [PAT_MATCH_INT] = "int",
    [PAT_MATCH_IP] = "ip",       [PAT_MATCH_BIN] = "bin",   [PAT_MATCH_LEN] = "len",
    [PAT_MATCH_STR] = "str",     [PAT_MATCH_SUB] = "sub",   [PAT_MATCH_REG] = "reg",
    [PAT_MATCH_BEG] = "beg",     [PAT_MATCH_END] = "end",   [PAT_MATCH_DIR] = "dir",
    [PAT_MATCH_DOM] = "dom",
};

int pat_match_by_name(const char *name)
{
	for (int i = 0; i < PAT_MATCH_NUM; i++)
		if (strcmp(match_names[i], name) == 0)
			return i;
	return -1;
}

const char *pat_match_name(enum pat_match m)
{
	return m < PAT_MATCH_NUM ? match_names[m] : "?";
}

enum smp_type pat_match_type(enum pat_match m)
{
	switch (m) {
	case PAT_MATCH_FOUND:
		return SMP_T_ANY;
	case PAT_MATCH_BOOL:
		return SMP_T_BOOL;
	case PAT_MATCH_INT:
		return SMP_T_SINT;
	case PAT_MATCH_IP:
		return SMP_T_ADDR;
	case PAT_MATCH_BIN:
		return SMP_T_BIN;
	default:
		return SMP_T_STR;
	}
}

struct pat_ref *pat_ref_new_inline(void)
{
	struct pat_ref *ref = xcalloc(1, sizeof(struct pat_ref));
	ref->uid = -1;
	return ref;
}

void pat_ref_add(struct pat_ref *ref, const char *key, const char *value, int line)
{
	if (ref->n == ref->cap) {
		ref->cap = ref->cap ? ref->cap * 2 : 8;
		ref->entries = xrealloc(ref->entries, sizeof(*ref->entries) * (size_t)ref->cap);
	}
	struct pat_entry *e = &ref->entries[ref->n++];
	e->key = xstrdup(key);
	e->value = value ? xstrdup(value) : NULL;
	e->line = line;
}

struct pat_ref *pat_ref_lookup(const char *path)
{
	for (struct pat_ref *r = named_refs; r; r = r->next)
		if (strcmp(r->name, path) == 0)
			return r;
	return NULL;
}

/* Adds the entry of one file line to <ref>: for a map, key then value
 * after blanks (a value may contain blanks); for an ACL, the whole line
 * without its surrounding blanks.
 */
static void add_file_line(struct pat_ref *ref, char *line, int lineno)
{
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
	               isspace((unsigned char)line[len - 1])))
		line[--len] = 0;
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return;
	if (!ref->is_map) {
		pat_ref_add(ref, p, NULL, lineno);
		return;
	}
	char *k = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	pat_ref_add(ref, k, p, lineno);
}

struct pat_ref *pat_ref_load(const char *path, int is_map, char **err)
{
	struct pat_ref *ref = pat_ref_lookup(path);
	if (ref)
		return ref;
	FILE *f = fopen(path, "r");
	if (!f) {
		memprintf(err, "failed to open pattern file <%s>", path);
		return NULL;
	}
	ref = xcalloc(1, sizeof(*ref));
	ref->uid = -1;
	ref->name = xstrdup(path);
	ref->is_map = is_map;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	while (getline(&line, &cap, f) >= 0)
		add_file_line(ref, line, ++lineno);
	free(line);
	fclose(f);
	ref->next = named_refs;
	named_refs = ref;
	return ref;
}

struct pat_expr *pat_expr_new(enum pat_match match, unsigned flags, enum smp_type value_type)
{
	struct pat_expr *e = xcalloc(1, sizeof(*e));
	e->match = match;
	e->flags = flags;
	e->value_type = value_type;
	e->next = all_exprs;
	all_exprs = e;
	return e;
}

void pat_expr_add_ref(struct pat_expr *e, struct pat_ref *ref)
{
	e->refs = xrealloc(e->refs, sizeof(*e->refs) * (size_t)(e->nrefs + 1));
	e->refs[e->nrefs++] = ref;
}

static void free_index_cb(struct rcu_head *h)
{
	pat_index_free(caa_container_of(h, struct pat_index, rcu));
}

static void ref_free(struct pat_ref *ref)
{
	for (int i = 0; i < ref->n; i++) {
		free(ref->entries[i].key);
		free(ref->entries[i].value);
	}
	free(ref->entries);
	free(ref);
}

void pat_expr_free(struct pat_expr *e)
{
	if (!e)
		return;
	for (struct pat_expr **pp = &all_exprs; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	for (int i = 0; i < e->nrefs; i++)
		if (!e->refs[i]->name)
			ref_free(e->refs[i]);
	free(e->refs);
	pat_index_free(e->idx);
	free(e);
}

int pat_expr_build(struct pat_expr *e, char **err)
{
	struct pat_index *idx = pat_index_build(e, err);
	if (!idx)
		return 0;
	struct pat_index *old = hl_rcu_xchg(e->idx, idx);
	if (old)
		call_rcu(&old->rcu, free_index_cb);
	return 1;
}

int pat_ref_commit(struct pat_ref *ref, char **err)
{
	for (struct pat_expr *e = all_exprs; e; e = e->next)
		for (int i = 0; i < e->nrefs; i++)
			if (e->refs[i] == ref && !pat_expr_build(e, err))
				return 0;
	return 1;
}

int pat_expr_match(const struct pat_expr *e, struct sample *smp, struct pat_result *res)
{
	const struct pat_index *idx = hl_rcu_deref(((struct pat_expr *)e)->idx);
	if (e->match == PAT_MATCH_FOUND) {
		if (res)
			res->entry = NULL;
		return 1;
	}
	if (e->match == PAT_MATCH_BOOL) {
		if (res)
			res->entry = NULL;
		return smp->u.sint != 0;
	}
	return idx ? pat_index_lookup(idx, smp, res) : 0;
}
