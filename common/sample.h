/* The sample engine: fetch and converter registries, type casts, expression
 * parsing and evaluation.
 *
 * Modules register their fetches and converters from their own files with
 * SMP_REGISTER_FETCHES(table) / SMP_REGISTER_CONVS(table). An expression is
 * written "fetch(arg,...),conv(arg,...),conv..." (arguments optional, the
 * parentheses may be omitted when there is none); parsing checks names,
 * arguments, type compatibility along the chain and whether the fetch can
 * be used where the expression will run.
 *
 * Samples that need new storage (casts to strings, converters) take it
 * from the current thread's sample arena: callers that evaluate rules
 * bracket each evaluation with smp_arena_mark()/smp_arena_release(), so
 * that memory is reused; whatever must outlive that is copied.
 */
#pragma once
#include "common/sample-t.h"

struct smp_fetch_list {
	const struct smp_fetch_kw *kws;
	size_t count;
	struct smp_fetch_list *next;
};

struct smp_conv_list {
	const struct smp_conv_kw *kws;
	size_t count;
	struct smp_conv_list *next;
};

void smp_register_fetches(struct smp_fetch_list *l);
void smp_register_convs(struct smp_conv_list *l);

#define SMP_REGISTER_FETCHES(table)                                                                \
	static struct smp_fetch_list table##_list = {table, sizeof(table) / sizeof(table[0]), 0};  \
	__attribute__((constructor)) static void table##_register(void)                            \
	{                                                                                          \
		smp_register_fetches(&table##_list);                                               \
	}

#define SMP_REGISTER_CONVS(table)                                                                  \
	static struct smp_conv_list table##_list = {table, sizeof(table) / sizeof(table[0]), 0};   \
	__attribute__((constructor)) static void table##_register(void)                            \
	{                                                                                          \
		smp_register_convs(&table##_list);                                                 \
	}

const struct smp_fetch_kw *smp_find_fetch(const char *name, size_t len);
const struct smp_conv_kw *smp_find_conv(const char *name, size_t len);

/* Name of a type as HAProxy prints it ("str", "sint", "ipv4"...). */
const char *smp_type_name(enum smp_type t);

/* Whether a sample of type <from> can be cast to <to>. */
int smp_can_cast(enum smp_type from, enum smp_type to);

/* Casts <smp> to <to> in place. Returns 1, or 0 when the value cannot be
 * represented (a string that is not an address...).
 */
int smp_cast(struct sample *smp, enum smp_type to);

/* Makes the string/binary data of <smp> writable (copied to the arena if it
 * was SMP_F_CONST), with room for at least <room> bytes. Returns 0 when the
 * arena is exhausted.
 */
int smp_make_rw(struct sample *smp, size_t room);

/* Makes <smp> the <len> bytes at <p> (arena memory of its own, not
 * SMP_F_CONST) of type <t> (str or bin). Returns 1.
 */
static inline int smp_set_own_str(struct sample *smp, char *p, size_t len, enum smp_type t)
{
	smp->type = t;
	smp->flags &= ~SMP_F_CONST;
	smp->u.str.ptr = p;
	smp->u.str.len = len;
	return 1;
}

/* Sample arena of the current thread: memory valid until the arena is
 * released below the mark taken before it was allocated. Returns NULL when
 * the arena limit (a few buffers) is reached.
 */
void *smp_alloc(size_t len);
size_t smp_arena_mark(void);
void smp_arena_release(size_t mark);

/* Parses the expression starting at args[*idx] (one word; the expression
 * may not span words). On success returns the expression and advances *idx
 * past it; otherwise returns NULL with *err set ("unknown fetch method
 * 'foo'", "missing args for fetch method 'req.hdr'", "fetch method 'x'
 * extracts information from 'HTTP response headers', none of which is
 * available here"...).
 */
struct sample_expr *sample_parse_expr(char **args, int *idx, const struct smp_where *where,
                                      char **err);

/* While a converter's arguments are being checked, where the expression
 * is (the file and line a map was named at); NULL otherwise.
 */
const struct smp_where *smp_parsing_where(void);

/* Same on one string of a given length (log-format "%[...]", ACLs). */
struct sample_expr *sample_parse_str(const char *text, size_t len, const struct smp_where *where,
                                     char **err);

void sample_expr_free(struct sample_expr *e);

/* The type an expression produces (that of its last converter or fetch). */
enum smp_type sample_expr_type(const struct sample_expr *e);

/* Evaluates <e> in <ctx>: fetch then converters. Returns 1 with <out> set,
 * or 0 when there is no sample (out->flags may hold SMP_F_MAY_CHANGE).
 * With SMP_OPT_ITERATE in ctx->opt and no converter, calling again with
 * the same <out> (SMP_F_NOT_LAST set) returns the next occurrence.
 */
int sample_process(const struct sample_expr *e, struct smp_ctx *ctx, struct sample *out);

/* Evaluates <e> and casts the result to <type>. Returns 1 or 0. */
int sample_fetch_as(const struct sample_expr *e, struct smp_ctx *ctx, enum smp_type type,
                    struct sample *out);

/* Parses the arguments of a keyword between <begin> and <end> (exclusive,
 * without the parentheses; both NULL when there were no parentheses, an
 * empty "()" being one empty string for a keyword requiring a string, as
 * "str()") into <out> according to <spec>. Returns the
 * number of arguments, or -1 with *err set. Names to resolve later (proxy,
 * server, userlist) are queued for smp_resolve_args().
 */
int smp_parse_args(const char *begin, const char *end, const struct arg_spec *spec, struct arg *out,
                   const struct smp_where *where, const char *kw, char **err);

/* Resolves the proxy/server/userlist/table names of every argument parsed
 * so far, calling <fn> for each (it sets arg->data.ptr and returns the
 * number of errors it reported), then forgets them. Returns the number of
 * errors. The configuration checker (conf/sample-args.c) does this once
 * every file is read.
 */
typedef int (*smp_resolve_fn)(struct arg *a, const char *kw, int pos, const struct smp_where *w,
                              void *data);
int smp_resolve_args(smp_resolve_fn fn, void *data);

/* Releases the memory held by the arguments of one keyword. */
void smp_free_args(struct arg *args, int nargs);

/* Human name of a checkpoint ("http-request rules"...) and of the data a
 * SMP_USE_* bit designates ("HTTP request headers"...), for messages.
 */
const char *smp_use_name(unsigned use);

/* Which SMP_USE_* bits are valid at <ck>. */
unsigned smp_use_allowed(enum smp_checkpoint ck);
