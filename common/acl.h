/* ACLs and conditions.
 *
 * "acl <name> <criterion> [flags] [operator] <value> ..." declares (or
 * completes: lines with the same name are ORed) a named test in a proxy.
 * The criterion is a sample expression, or an ACL keyword that stands for
 * a fetch and a match method ("path_beg" = "path -m beg"); the match method
 * otherwise defaults from the fetch's output type. Flags: -i (ignore case),
 * -f <file> (patterns from a file, repeatable), -m <method>, -n (no DNS),
 * -M (the file is a map: keys only), -u <id>, and "--" to end the flags.
 *
 * A condition "if|unless <term> ..." ORs ("||" or "or") suites of ANDed
 * terms; a term is an ACL name, optionally negated with "!", or an
 * anonymous ACL "{ <criterion> [flags] <value> ... }". Names not declared
 * in the proxy are looked up among the predefined ACLs (TRUE, HTTP,
 * METH_GET, LOCALHOST...).
 *
 * Tests have three outcomes: a match, no match, or "missing data" (the
 * content is still arriving and a later evaluation could match), which
 * rule sets with an inspect delay wait on.
 */
#pragma once
#include "common/pattern.h"
#include "common/sample-t.h"

enum acl_result { ACL_FAIL = 0, ACL_MISS = 1, ACL_PASS = 3 };

struct acl_term {
	struct sample_expr *expr;
	struct pat_expr *pat;
	int has_patterns; /* values or files were given */
	char *kw;         /* the criterion's keyword as written ("hdr_beg") */
};

struct acl {
	char *name;
	struct acl_term **terms; /* ORed */
	int nterms;
	unsigned use; /* SMP_USE_* of every term's fetch */
	struct acl *next;
};

/* The ACLs a condition may name: a proxy's own list (and, for rules
 * inherited from a named defaults section, that section's list).
 */
struct acl_scope {
	struct acl **list; /* head of the proxy's list, where anonymous and
	                    * predefined ACLs are added when used */
	void *px;          /* the proxy (struct proxy *), NULL outside one */
};

struct acl_cond_term {
	struct acl *acl;
	int neg;
};

struct acl_suite {
	struct acl_cond_term *terms; /* ANDed */
	int n;
};

struct acl_cond {
	int unless;
	struct acl_suite *suites; /* ORed */
	int nsuites;
	unsigned use; /* SMP_USE_* of the ACLs involved */
	char *file;
	int line;
};

/* ACL keywords: shortcuts for a fetch with a match method. */
struct acl_kw {
	const char *name;
	const char *fetch; /* fetch keyword it stands for */
	enum pat_match match;
};

struct acl_kw_list {
	const struct acl_kw *kws;
	size_t count;
	struct acl_kw_list *next;
};

void acl_register_keywords(struct acl_kw_list *l);

#define ACL_REGISTER_KEYWORDS(table)                                                               \
	static struct acl_kw_list table##_list = {table, sizeof(table) / sizeof(table[0]), 0};     \
	__attribute__((constructor)) static void table##_register(void)                            \
	{                                                                                          \
		acl_register_keywords(&table##_list);                                              \
	}

/* Parses the words of an "acl" line after the name (<args>[0] is the
 * criterion) and adds them to ACL <name> of <scope>, creating it. Returns 0
 * with *err set.
 */
int acl_parse_line(struct acl_scope *scope, const char *name, char **args, int nargs,
                   const char *file, int line, char **err);

/* Parses the condition of args[0..nargs) (the words after "if"/"unless";
 * <unless> tells which). Returns NULL with *err set.
 */
struct acl_cond *acl_parse_cond(struct acl_scope *scope, int unless, char **args, int nargs,
                                const char *file, int line, char **err);

/* Finds "if"/"unless" in args[0..nargs) and parses the condition after
 * it; sets *cond (NULL when there is none) and returns the index of the
 * keyword (nargs without condition), or -1 with *err set.
 */
int acl_find_cond(struct acl_scope *scope, char **args, int nargs, const char *file, int line,
                  struct acl_cond **cond, char **err);

/* Evaluates <cond> (ACL_PASS, ACL_FAIL or ACL_MISS), "unless" applied. */
enum acl_result acl_exec_cond(const struct acl_cond *cond, struct smp_ctx *ctx);

/* How a condition fits the data available where it is evaluated. */
enum acl_conflict {
	ACL_CONFLICT_NONE = 0,
	ACL_CONFLICT_NEVER, /* an ACL only uses fetches invalid there: never matches */
	ACL_CONFLICT_TERM,  /* an ACL has a term whose fetch is invalid there */
};

/* Checks <cond> against checkpoint <ck>. On a conflict, *bad gets the ACL
 * concerned and *kw the keyword at fault (for NEVER, its first term's),
 * which HAProxy's warnings name.
 */
enum acl_conflict acl_cond_conflict(const struct acl_cond *cond, enum smp_checkpoint ck,
                                    const struct acl **bad, const char **kw);

/* Whether <a> is an anonymous ACL ("{ ... }" in a condition). */
int acl_is_anonymous(const struct acl *a);

void acl_cond_free(struct acl_cond *cond);

/* Frees every ACL of <list> (configuration time only). */
void acl_free_list(struct acl *list);

/* Finds ACL <name> in <list>. */
struct acl *acl_find(struct acl *list, const char *name);
