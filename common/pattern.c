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
static struct pat_ref *all_refs, **all_refs_tail = &all_refs;
static struct pat_expr *all_exprs;
static uint64_t next_entry_id = 1;

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

/* A new empty list, registered in creation order. */
static struct pat_ref *ref_new(const char *name)
{
	struct pat_ref *ref = xcalloc(1, sizeof(struct pat_ref));
	ref->uid = -1;
	ref->name = name ? xstrdup(name) : NULL;
	*all_refs_tail = ref;
	all_refs_tail = &ref->all_next;
	return ref;
}

struct pat_ref *pat_ref_new_inline(void)
{
	return ref_new(NULL);
}

/* A new entry of version <gen> with a fresh id. */
static struct pat_entry *entry_new(const char *key, const char *value, int line, unsigned gen)
{
	struct pat_entry *e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->value = value ? xstrdup(value) : NULL;
	e->line = line;
	e->gen = gen;
	e->id = next_entry_id++;
	return e;
}

static void entry_free(struct pat_entry *e)
{
	free(e->key);
	free(e->value);
	free(e);
}

static void ref_append(struct pat_ref *ref, struct pat_entry *e)
{
	if (ref->n == ref->cap) {
		ref->cap = ref->cap ? ref->cap * 2 : 8;
		ref->entries = xrealloc(ref->entries, sizeof(*ref->entries) * (size_t)ref->cap);
	}
	ref->entries[ref->n++] = e;
}

void pat_ref_add(struct pat_ref *ref, const char *key, const char *value, int line)
{
	ref_append(ref, entry_new(key, value, line, ref->curr_gen));
	ref->entry_cnt += (unsigned)(ref->nuses ? ref->nuses : 0);
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
	if (ref && !ref->is_map != !is_map) { /* HAProxy's words, kept */
		memprintf(err,
		          "The file \"%s\" is already used as %s column file and cannot be used by "
		          "as %s column file",
		          path, ref->is_map ? "two" : "one", is_map ? "two" : "one");
		return NULL;
	}
	if (ref)
		return ref;
	FILE *f = fopen(path, "r");
	if (!f) {
		memprintf(err, "failed to open pattern file <%s>", path);
		return NULL;
	}
	ref = ref_new(path);
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

static int same_kind(const struct pat_expr *a, const struct pat_expr *b)
{
	return a->match == b->match && a->flags == b->flags && a->value_type == b->value_type;
}

/* Records <e> among the uses of <ref> unless an expression of the same
 * kind is there already; a new use indexes every entry once more, which
 * HAProxy counts in entry_cnt.
 */
static void ref_add_use(struct pat_ref *ref, struct pat_expr *e)
{
	for (int i = 0; i < ref->nuses; i++)
		if (same_kind(ref->uses[i], e))
			return;
	ref->uses = xrealloc(ref->uses, sizeof(*ref->uses) * (size_t)(ref->nuses + 1));
	ref->uses[ref->nuses++] = e;
	ref->entry_cnt += (unsigned)ref->n;
}

void pat_expr_add_ref(struct pat_expr *e, struct pat_ref *ref)
{
	e->refs = xrealloc(e->refs, sizeof(*e->refs) * (size_t)(e->nrefs + 1));
	e->refs[e->nrefs++] = ref;
	ref_add_use(ref, e);
}

struct pat_expr *pat_expr_find_shared(const struct pat_ref *ref, enum pat_match match,
                                      unsigned flags, enum smp_type value_type)
{
	struct pat_expr want = {.match = match, .flags = flags, .value_type = value_type};
	for (int i = 0; i < ref->nuses; i++)
		if (ref->uses[i]->nrefs == 1 && same_kind(ref->uses[i], &want))
			return ref->uses[i];
	return NULL;
}

void pat_ref_note_use(struct pat_ref *ref, const char *kind, const char *kw, const char *file,
                      int line)
{
	char *d;
	file = file ? file : "";
	kw = kw ? kw : "";
	ref->flags |= !strcmp(kind, "map") ? PAT_REF_MAP : PAT_REF_ACL;
	if (!ref->name)
		d = xasprintf("acl '%s' file '%s' line %d", kw, file, line);
	else if (!ref->display)
		d = xasprintf("pattern loaded from file '%s' used by %s at file '%s' line %d",
		              ref->name, kind, file, line);
	else
		d = xasprintf("%s, by %s at file '%s' line %d", ref->display, kind, file, line);
	free(ref->display);
	ref->display = d;
}

static void free_index_cb(struct rcu_head *h)
{
	pat_index_free(caa_container_of(h, struct pat_index, rcu));
}

/* Frees an inline list at configuration time, unregistering it. */
static void ref_free(struct pat_ref *ref)
{
	for (struct pat_ref **pp = &all_refs; *pp; pp = &(*pp)->all_next)
		if (*pp == ref) {
			*pp = ref->all_next;
			if (all_refs_tail == &ref->all_next)
				all_refs_tail = pp;
			break;
		}
	for (int i = 0; i < ref->n; i++)
		entry_free(ref->entries[i]);
	free(ref->entries);
	free(ref->uses);
	free(ref->display);
	free(ref);
}

/* Forgets <e> as a use of <ref>. */
static void ref_drop_use(struct pat_ref *ref, const struct pat_expr *e)
{
	for (int i = 0; i < ref->nuses; i++)
		if (ref->uses[i] == e) {
			memmove(&ref->uses[i], &ref->uses[i + 1],
			        sizeof(*ref->uses) * (size_t)(ref->nuses - i - 1));
			ref->nuses--;
			return;
		}
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
	for (int i = 0; i < e->nrefs; i++) {
		ref_drop_use(e->refs[i], e);
		if (!e->refs[i]->name)
			ref_free(e->refs[i]);
	}
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
		hl_call_rcu(&old->rcu, free_index_cb);
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

void pat_refs_finalize(void)
{
	int next = 0;
	for (struct pat_ref *r = all_refs; r; r = r->all_next) {
		if (r->uid != -1)
			continue;
		for (;;) { /* the lowest free id from <next> on */
			const struct pat_ref *o = all_refs;
			while (o && o->uid != next)
				o = o->all_next;
			if (!o)
				break;
			next++;
		}
		r->uid = next++;
	}
}

static int uid_cmp(const void *a, const void *b)
{
	const struct pat_ref *x = *(const struct pat_ref *const *)a;
	const struct pat_ref *y = *(const struct pat_ref *const *)b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

struct pat_ref **pat_refs_sorted(int *n)
{
	int cnt = 0;
	pat_refs_finalize();
	for (struct pat_ref *r = all_refs; r; r = r->all_next)
		cnt++;
	struct pat_ref **v = xcalloc((size_t)cnt + 1, sizeof(*v));
	cnt = 0;
	for (struct pat_ref *r = all_refs; r; r = r->all_next)
		v[cnt++] = r;
	qsort(v, (size_t)cnt, sizeof(*v), uid_cmp); /* ids are unique: stable enough */
	*n = cnt;
	return v;
}

struct pat_ref *pat_ref_find(const char *name)
{
	pat_refs_finalize();
	if (name[0] == '#') {
		int id = atoi(name + 1);
		for (struct pat_ref *r = all_refs; r; r = r->all_next)
			if (r->uid == id)
				return r;
		return NULL;
	}
	for (struct pat_ref *r = all_refs; r; r = r->all_next)
		if (r->name && !strcmp(r->name, name))
			return r;
	return NULL;
}

unsigned pat_ref_newgen(struct pat_ref *ref)
{
	return ++ref->next_gen;
}

/* Entries waiting for the end of a grace period before being freed. */
struct entry_batch {
	struct rcu_head rcu;
	int n;
	struct pat_entry *e[];
};

static void entry_batch_cb(struct rcu_head *h)
{
	struct entry_batch *b = caa_container_of(h, struct entry_batch, rcu);
	for (int i = 0; i < b->n; i++)
		entry_free(b->e[i]);
	free(b);
}

/* Frees <n> removed entries once no lookup can hold them any more. */
static void entries_retire(struct pat_entry **v, int n)
{
	if (!n)
		return;
	struct entry_batch *b = xmalloc(sizeof(*b) + sizeof(*v) * (size_t)n);
	b->n = n;
	memcpy(b->e, v, sizeof(*v) * (size_t)n);
	hl_call_rcu(&b->rcu, entry_batch_cb);
}

/* Rebuilds the indexes over <ref> after a change of its current version.
 * Entries were checked before, so a build only fails on memory, and the
 * old index then stays.
 */
static void ref_republish(struct pat_ref *ref)
{
	char *err = NULL;
	if (!pat_ref_commit(ref, &err))
		free(err);
}

/* Checks entry <en> against every expression using <ref>: builds each
 * index over a list holding only that entry. 0 with *err set on refusal,
 * and *accepted (if not NULL) set to the number of expressions that took
 * it before.
 */
static int entry_check(const struct pat_ref *ref, struct pat_entry *en, char **err, int *accepted)
{
	struct pat_ref one = *ref;
	struct pat_entry *v[1] = {en};
	struct pat_ref *refs[1] = {&one};
	one.entries = v;
	one.n = 1;
	one.curr_gen = en->gen;
	for (int i = 0; i < ref->nuses; i++) {
		struct pat_expr e = *ref->uses[i];
		e.refs = refs;
		e.nrefs = 1;
		struct pat_index *idx = pat_index_build(&e, err);
		if (!idx) {
			if (accepted)
				*accepted = i;
			return 0;
		}
		pat_index_free(idx);
	}
	return 1;
}

int pat_ref_add_gen(struct pat_ref *ref, unsigned gen, const char *key, const char *value,
                    char **err)
{
	struct pat_entry *en = entry_new(key, value, -1, gen);
	int accepted = 0;
	if (!entry_check(ref, en, err, &accepted)) {
		/* HAProxy counts the expressions that took it, then the removal */
		ref->entry_cnt += (unsigned long long)(long long)(accepted - 1);
		entry_free(en);
		return 0;
	}
	ref_append(ref, en);
	ref->entry_cnt += (unsigned)ref->nuses;
	if (gen == ref->curr_gen)
		ref_republish(ref);
	return 1;
}

static int entry_selected(const struct pat_entry *en, const char *key, uint64_t id)
{
	return key ? !strcmp(en->key, key) : en->id == id;
}

int pat_ref_set_value(struct pat_ref *ref, const char *key, uint64_t id, const char *value,
                      char **err)
{
	int changed = 0, live = 0;
	struct pat_entry **old = xcalloc((size_t)ref->n + 1, sizeof(*old));
	for (int i = 0; i < ref->n; i++) {
		struct pat_entry *en = ref->entries[i];
		if (!entry_selected(en, key, id))
			continue;
		struct pat_entry *ne = entry_new(en->key, value, -1, en->gen);
		/* the value alone decides: checked once, before any change */
		if (!changed && !entry_check(ref, ne, err, NULL)) {
			entry_free(ne);
			free(old);
			return -1;
		}
		ne->id = en->id; /* the same entry, with a new value */
		old[changed++] = en;
		live |= en->gen == ref->curr_gen;
		ref->entries[i] = ne;
	}
	if (live)
		ref_republish(ref);
	entries_retire(old, changed);
	free(old);
	return changed;
}

/* Removes the entries for which <pick> is true; rebuilds the indexes if
 * current ones went away. Returns how many were removed.
 */
static int ref_remove_if(struct pat_ref *ref, int (*pick)(const struct pat_entry *, const void *),
                         const void *arg)
{
	int removed = 0, live = 0, kept = 0;
	struct pat_entry **old = xcalloc((size_t)ref->n + 1, sizeof(*old));
	for (int i = 0; i < ref->n; i++) {
		struct pat_entry *en = ref->entries[i];
		if (pick(en, arg)) {
			old[removed++] = en;
			live |= en->gen == ref->curr_gen;
		} else
			ref->entries[kept++] = en;
	}
	ref->n = kept;
	ref->entry_cnt -= (unsigned)removed;
	if (live)
		ref_republish(ref);
	entries_retire(old, removed);
	free(old);
	return removed;
}

struct sel {
	const char *key;
	uint64_t id;
};

static int pick_selected(const struct pat_entry *en, const void *arg)
{
	const struct sel *s = arg;
	return entry_selected(en, s->key, s->id);
}

int pat_ref_delete(struct pat_ref *ref, const char *key, uint64_t id)
{
	struct sel s = {key, id};
	return ref_remove_if(ref, pick_selected, &s);
}

static int pick_gen(const struct pat_entry *en, const void *arg)
{
	return en->gen == *(const unsigned *)arg;
}

void pat_ref_clear_gen(struct pat_ref *ref, unsigned gen)
{
	ref_remove_if(ref, pick_gen, &gen);
}

/* Older than the version being committed, with wrapping numbers. */
static int pick_older(const struct pat_entry *en, const void *arg)
{
	return (int)(*(const unsigned *)arg - en->gen) > 0;
}

void pat_ref_commit_gen(struct pat_ref *ref, unsigned gen)
{
	ref->curr_gen = gen;
	ref_remove_if(ref, pick_older, &gen);
	ref_republish(ref); /* the new version is visible now */
}

int pat_ref_match_one(const struct pat_ref *ref, const struct pat_expr *e, struct sample *smp,
                      struct pat_result *res)
{
	if (e->nrefs == 1 && e->refs[0] == ref)
		return pat_expr_match(e, smp, res);
	struct pat_expr one = *e;
	struct pat_ref *refs[1] = {(struct pat_ref *)ref};
	one.refs = refs;
	one.nrefs = 1;
	char *err = NULL;
	struct pat_index *idx = pat_index_build(&one, &err);
	free(err);
	if (!idx)
		return 0;
	one.idx = idx;
	int ok = pat_expr_match(&one, smp, res);
	pat_index_free(idx);
	return ok;
}

int pat_expr_is_tree(const struct pat_expr *e)
{
	if (e->match == PAT_MATCH_IP)
		return 1;
	if (e->match == PAT_MATCH_STR || e->match == PAT_MATCH_BEG)
		return !(e->flags & PAT_F_IGNORE_CASE);
	return 0;
}
