/* Variables: named samples kept per process, session, transaction,
 * request or response ("proc.x", "sess.x", "txn.x", "req.x", "res.x"),
 * plus "check.x" for health checks.
 *
 * Names are interned when the configuration is parsed (so lookups compare
 * integers); a name first seen at run time does not exist. Values are
 * copies owned by their store: strings set from a request stay valid after
 * the request buffer moves on. The stores of a stream are found through a
 * hook the worker installs (vars_set_store_hook); the process store is
 * shared by all threads under a lock (process variables are rare).
 */
#pragma once
#include "common/sample-t.h"

enum var_scope { VS_PROC = 0, VS_SESS, VS_TXN, VS_REQ, VS_RES, VS_CHECK, VS_NUM };

struct var_ref {
	enum var_scope scope;
	int id; /* interned name */
};

struct var;

/* The variables of one scope instance (a stream's txn, a session...). */
struct var_store {
	struct var *head;
	size_t size; /* bytes held, for limits */
};

/* Parses "scope.name" (len bytes). <create>: intern a new name (parsing
 * the configuration); otherwise an unknown name is an error. Returns 0
 * with *err set ("invalid variable scope 'x'", "missing variable name").
 */
int vars_parse_name(const char *text, size_t len, int create, struct var_ref *out, char **err);

/* The name of an interned variable (scope prefix included). */
const char *vars_name(const struct var_ref *r);

/* Hook returning the store of <scope> for evaluation context <ctx>, or
 * NULL when there is none (no stream, no transaction...).
 */
typedef struct var_store *(*vars_store_fn)(struct smp_ctx *ctx, enum var_scope scope);
void vars_set_store_hook(vars_store_fn fn);

/* Reads variable <r> into <out> (a copy in the sample arena). Returns 0
 * when it is not set.
 */
int vars_get(const struct var_ref *r, struct smp_ctx *ctx, struct sample *out);

/* Conditions of set-var (all given must hold). */
#define VSET_IFEXISTS 0x001
#define VSET_IFNOTEXISTS 0x002
#define VSET_IFEMPTY 0x004
#define VSET_IFNOTEMPTY 0x008
#define VSET_IFSET 0x010
#define VSET_IFNOTSET 0x020
#define VSET_IFGT 0x040
#define VSET_IFLT 0x080

/* Parses a set-var condition name ("ifexists"...): its VSET_* bit or 0. */
unsigned vars_cond_by_name(const char *name);

/* Sets variable <r> to a copy of <val> when conditions <conds> (VSET_*)
 * hold. Returns 1 when set, 0 when a condition failed, there is no store
 * for its scope or memory is short.
 */
int vars_set(const struct var_ref *r, struct smp_ctx *ctx, const struct sample *val,
             unsigned conds);

/* Unsets variable <r> (it still exists for "ifexists"). */
void vars_unset(const struct var_ref *r, struct smp_ctx *ctx);

/* Frees every variable of <store>. */
void vars_prune(struct var_store *store);
