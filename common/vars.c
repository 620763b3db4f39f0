/* Variables (see common/vars.h). */
#include "common/vars.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"

struct var {
	int id;
	int set;           /* holds a value (unset-var keeps the entry) */
	struct sample val; /* strings: owned copy in <buf> */
	char *buf;
	struct var *next;
};

static const char *const scope_names[VS_NUM] = {"proc", "sess", "txn", "req", "res", "check"};

static char **names; /* interned "scope.name" */
static int nnames;

static vars_store_fn store_hook;
static struct var_store proc_store;
static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;

void vars_set_store_hook(vars_store_fn fn)
{
	store_hook = fn;
}

int vars_parse_name(const char *text, size_t len, int create, struct var_ref *out, char **err)
{
	const char *dot = memchr(text, '.', len);
	int scope = -1;
	for (int i = 0; dot && i < VS_NUM; i++)
		if ((size_t)(dot - text) == strlen(scope_names[i]) &&
		    memcmp(text, scope_names[i], (size_t)(dot - text)) == 0)
			scope = i;
	if (scope < 0) {
		memprintf(err,
		          "invalid variable name '%.*s'. A variable name must be start by its "
		          "scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'",
		          (int)len, text);
		return 0;
	}
	if ((size_t)(dot - text) + 1 == len) {
		memprintf(err, "missing variable name in '%.*s'", (int)len, text);
		return 0;
	}
	for (const char *p = dot + 1; p < text + len; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.')) {
			memprintf(err, "invalid character '%c' in variable name '%.*s'", *p,
			          (int)len, text);
			return 0;
		}
	out->scope = (enum var_scope)scope;
	for (int i = 0; i < nnames; i++)
		if (strlen(names[i]) == len && memcmp(names[i], text, len) == 0) {
			out->id = i;
			return 1;
		}
	if (!create) {
		memprintf(err, "unknown variable '%.*s'", (int)len, text);
		return 0;
	}
	names = xrealloc(names, sizeof(*names) * (size_t)(nnames + 1));
	names[nnames] = xstrndup(text, len);
	out->id = nnames++;
	return 1;
}

const char *vars_name(const struct var_ref *r)
{
	return r->id >= 0 && r->id < nnames ? names[r->id] : "?";
}

unsigned vars_cond_by_name(const char *name)
{
	static const char *const conds[] = {"ifexists", "ifnotexists", "ifempty", "ifnotempty",
	                                    "ifset",    "ifnotset",    "ifgt",    "iflt"};
	for (unsigned i = 0; i < sizeof(conds) / sizeof(*conds); i++)
		if (strcmp(conds[i], name) == 0)
			return 1u << i;
	return 0;
}

static struct var_store *store_of(const struct var_ref *r, struct smp_ctx *ctx)
{
	if (r->scope == VS_PROC)
		return &proc_store;
	return store_hook && ctx ? store_hook(ctx, r->scope) : NULL;
}

static struct var *find(struct var_store *s, int id)
{
	for (struct var *v = s->head; v; v = v->next)
		if (v->id == id)
			return v;
	return NULL;
}

static int is_str(enum smp_type t)
{
	return t == SMP_T_STR || t == SMP_T_BIN || t == SMP_T_METH;
}

/* Copies the variable's value into <out>, strings into the arena. */
static int copy_out(const struct var *v, struct sample *out)
{
	out->type = v->val.type;
	out->flags = 0;
	out->u = v->val.u;
	if (!is_str(v->val.type))
		return 1;
	struct smp_str src = v->val.type == SMP_T_METH ? v->val.u.meth.str : v->val.u.str;
	char *p = smp_alloc(src.len + 1);
	if (!p)
		return 0;
	memcpy(p, src.ptr, src.len);
	p[src.len] = 0;
	if (v->val.type == SMP_T_METH)
		out->u.meth.str = (struct smp_str){p, src.len};
	else
		out->u.str = (struct smp_str){p, src.len};
	return 1;
}

int vars_get(const struct var_ref *r, struct smp_ctx *ctx, struct sample *out)
{
	struct var_store *s = store_of(r, ctx);
	if (!s)
		return 0;
	int locked = s == &proc_store;
	if (locked)
		pthread_mutex_lock(&proc_lock);
	struct var *v = find(s, r->id);
	int ok = v && v->set && copy_out(v, out);
	if (locked)
		pthread_mutex_unlock(&proc_lock);
	return ok;
}

static int sample_empty(const struct sample *val)
{
	if (val->type == SMP_T_STR || val->type == SMP_T_BIN)
		return val->u.str.len == 0;
	return 0;
}

/* Whether conditions <c> allow setting <v> (NULL: absent) to <val>. */
static int conds_hold(const struct var *v, const struct sample *val, unsigned c)
{
	int exists = v != NULL, set = v && v->set, empty = sample_empty(val);
	int ints = set && v->val.type == SMP_T_SINT && val->type == SMP_T_SINT;
	if (((c & VSET_IFEXISTS) && !exists) || ((c & VSET_IFNOTEXISTS) && exists) ||
	    ((c & VSET_IFEMPTY) && !empty) || ((c & VSET_IFNOTEMPTY) && empty) ||
	    ((c & VSET_IFSET) && !set) || ((c & VSET_IFNOTSET) && set))
		return 0;
	if ((c & VSET_IFGT) && ints && !(v->val.u.sint > val->u.sint))
		return 0;
	if ((c & VSET_IFLT) && ints && !(v->val.u.sint < val->u.sint))
		return 0;
	return 1;
}

/* Stores a copy of <val> in <v>; 0 on memory shortage. */
static int store_value(struct var_store *s, struct var *v, const struct sample *val)
{
	char *buf = NULL;
	struct sample copy = *val;
	copy.flags = 0;
	if (is_str(val->type)) {
		struct smp_str src = val->type == SMP_T_METH ? val->u.meth.str : val->u.str;
		buf = malloc(src.len + 1);
		if (!buf)
			return 0;
		memcpy(buf, src.ptr, src.len);
		buf[src.len] = 0;
		if (val->type == SMP_T_METH)
			copy.u.meth.str = (struct smp_str){buf, src.len};
		else
			copy.u.str = (struct smp_str){buf, src.len};
		s->size += src.len;
	}
	if (v->buf)
		s->size -= (v->val.type == SMP_T_METH ? v->val.u.meth.str.len : v->val.u.str.len);
	free(v->buf);
	v->buf = buf;
	v->val = copy;
	v->set = 1;
	return 1;
}

int vars_set(const struct var_ref *r, struct smp_ctx *ctx, const struct sample *val, unsigned conds)
{
	struct var_store *s = store_of(r, ctx);
	if (!s)
		return 0;
	int locked = s == &proc_store, ok = 0;
	if (locked)
		pthread_mutex_lock(&proc_lock);
	struct var *v = find(s, r->id);
	if (conds_hold(v, val, conds)) {
		if (!v && (v = calloc(1, sizeof(*v)))) {
			v->id = r->id;
			v->next = s->head;
			s->head = v;
		}
		ok = v && store_value(s, v, val);
	}
	if (locked)
		pthread_mutex_unlock(&proc_lock);
	return ok;
}

void vars_unset(const struct var_ref *r, struct smp_ctx *ctx)
{
	struct var_store *s = store_of(r, ctx);
	if (!s)
		return;
	int locked = s == &proc_store;
	if (locked)
		pthread_mutex_lock(&proc_lock);
	struct var *v = find(s, r->id);
	if (v && v->set) {
		if (v->buf)
			s->size -=
			    (v->val.type == SMP_T_METH ? v->val.u.meth.str.len : v->val.u.str.len);
		free(v->buf);
		v->buf = NULL;
		v->set = 0;
	}
	if (locked)
		pthread_mutex_unlock(&proc_lock);
}

void vars_prune(struct var_store *s)
{
	while (s->head) {
		struct var *v = s->head;
		s->head = v->next;
		free(v->buf);
		free(v);
	}
	s->size = 0;
}
