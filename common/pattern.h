/* Pattern matching for ACLs and maps.
 *
 * A pattern list (struct pat_ref) holds entries as written: the lines of a
 * file (shared by every ACL or map naming that file) or the inline values
 * of an ACL line. A pattern expression (struct pat_expr) matches samples
 * against one or more lists with one method ("-m str", "-m beg"...) and
 * flags (-i); it owns an index built for that method: a hash table for
 * exact strings, binary tries for IPv4/IPv6 networks (longest prefix
 * first), ordered lists for the other methods.
 *
 * The index is immutable once published and read through an RCU pointer:
 * runtime updates (add/del/set map, add/del acl) change a list, build new
 * indexes for the expressions using it, publish them, and free the old
 * ones after a grace period. Lookups take no lock.
 */
#pragma once
#include <stdint.h>

#include "common/sample-t.h"

enum pat_match {
	PAT_MATCH_FOUND = 0,
	PAT_MATCH_BOOL,
	PAT_MATCH_INT,
	PAT_MATCH_IP,
	PAT_MATCH_BIN,
	PAT_MATCH_LEN,
	PAT_MATCH_STR,
	PAT_MATCH_SUB,
	PAT_MATCH_REG,
	PAT_MATCH_BEG,
	PAT_MATCH_END,
	PAT_MATCH_DIR,
	PAT_MATCH_DOM,
	PAT_MATCH_NUM
};

#define PAT_F_IGNORE_CASE 0x01 /* -i */
#define PAT_F_NO_DNS 0x02      /* -n */
/* HTTP methods matched without "-m": strings here, a method matcher of
 * its own in HAProxy (which "get acl" names "unknown")
 */
#define PAT_F_METHOD 0x04

/* One entry. Entries are allocated one by one and never move: indexes
 * point to them. Once a list is live, an entry is only freed after an RCU
 * grace period (a lookup may still hold it).
 */
struct pat_entry {
	char *key;
	char *value;  /* maps: the value as written, NULL for ACLs */
	int line;     /* line in the file; 0: inline pattern, -1: added at runtime */
	unsigned gen; /* version the entry belongs to (see pat_ref.curr_gen) */
	uint64_t id;  /* unique, never reused: "#0x<id>" in the runtime API */
};

#define PAT_REF_MAP 0x1 /* used by a map converter */
#define PAT_REF_ACL 0x2 /* used by an ACL */

struct pat_ref {
	char *name;     /* file name, or NULL for inline patterns */
	int uid;        /* runtime API id: "-u <id>", else given in creation order */
	int is_map;     /* entries carry values */
	unsigned flags; /* PAT_REF_* */
	char *display;  /* who uses the list, for "show map" / "show acl" */
	struct pat_entry **entries;
	int n, cap;
	/* Versions: only entries of <curr_gen> are matched; "prepare" hands
	 * out <next_gen>+1, "commit" makes a prepared version current.
	 */
	unsigned curr_gen, next_gen;
	/* Entries as HAProxy counts them: +1 per distinct expression for an
	 * added entry, -1 per removed entry.
	 */
	unsigned long long entry_cnt;
	/* The first expression of each distinct (method, flags, value type)
	 * over this list, in the order they appeared.
	 */
	struct pat_expr **uses;
	int nuses;
	int changed_at_runtime;   /* the runtime API changed it: carried on reload */
	struct pat_ref *next;     /* every named list */
	struct pat_ref *all_next; /* every list, in creation order */
};

struct pat_index;

struct pat_expr {
	enum pat_match match;
	unsigned flags;           /* PAT_F_* */
	enum smp_type value_type; /* maps: type values are parsed to (str, sint, ipv4/ipv6) */
	struct pat_ref **refs;
	int nrefs;
	struct pat_index *idx; /* RCU-protected */
	struct pat_expr *next; /* every expression, for rebuilds */
};

/* A match result. <entry> is the matching entry (for maps: its value), and
 * <value> the map value as a sample of the expression's value type.
 */
struct pat_result {
	const struct pat_entry *entry;
	struct sample value;
};

/* Method by its "-m" name, or -1. */
int pat_match_by_name(const char *name);
const char *pat_match_name(enum pat_match m);

/* The list loaded from file <path> (shared: loaded once). Blank lines and
 * lines starting with '#' are skipped; for a map the first word is the key
 * and the rest of the line (after blanks) the value. Returns NULL with
 * *err set when the file cannot be read, or when it is already loaded the
 * other way (as a map and as a list), which HAProxy refuses too.
 */
struct pat_ref *pat_ref_load(const char *path, int is_map, char **err);

/* A new inline list (not shared). */
struct pat_ref *pat_ref_new_inline(void);
/* Appends an entry of the current version (configuration time). */
void pat_ref_add(struct pat_ref *ref, const char *key, const char *value, int line);

/* Records that a map converter (<kind> "map") or an ACL ("acl") at
 * <file>:<line> uses <ref>: sets its PAT_REF_* flag and extends its
 * description. For an inline list, <kw> names the ACL's fetch keyword.
 */
void pat_ref_note_use(struct pat_ref *ref, const char *kind, const char *kw, const char *file,
                      int line);

/* The expression already indexing only <ref> with this method, flags and
 * value type, to be shared by a new user, or NULL.
 */
struct pat_expr *pat_expr_find_shared(const struct pat_ref *ref, enum pat_match match,
                                      unsigned flags, enum smp_type value_type);

/* Creates an expression over no list yet. */
struct pat_expr *pat_expr_new(enum pat_match match, unsigned flags, enum smp_type value_type);
void pat_expr_add_ref(struct pat_expr *e, struct pat_ref *ref);

/* Frees <e> (configuration time only: no lookup may be running), with
 * its inline lists; shared file lists stay.
 */
void pat_expr_free(struct pat_expr *e);

/* Builds and publishes the index of <e> from its lists. Returns 0 with
 * *err set naming the first invalid pattern ("'x' is not a valid IPv4 or
 * IPv6 address", "invalid range '5:1'", regex errors...) and its file:line.
 */
int pat_expr_build(struct pat_expr *e, char **err);

/* Matches sample <smp> (already of a type suiting the method) against
 * <e>. Returns 1 with *res filled (may be NULL) on a match, 0 otherwise.
 */
int pat_expr_match(const struct pat_expr *e, struct sample *smp, struct pat_result *res);

/* The sample type a method expects (SMP_T_STR for string methods...). */
enum smp_type pat_match_type(enum pat_match m);

/* Finds the shared list loaded from <path>, or NULL. */
struct pat_ref *pat_ref_lookup(const char *path);

/* Whether address patterns written as host names are resolved (those of
 * ACLs without "-n"): on while a configuration is loaded, off afterwards,
 * so that runtime updates never wait on DNS (as HAProxy, which only
 * resolves while starting).
 */
void pat_set_name_resolution(int on);

/* Rebuilds every expression using <ref> after it changed (runtime API).
 * Returns 0 with *err set if a new index could not be built (the old ones
 * stay).
 */
int pat_ref_commit(struct pat_ref *ref, char **err);

/* Runtime API (CLI thread). Every change builds new indexes, publishes
 * them and frees the old indexes and removed entries after a grace period:
 * lookups never wait and never see a freed entry.
 */

/* Gives the lists without a "-u" id the lowest free ids, in creation
 * order (idempotent; done once the configuration is loaded).
 */
void pat_refs_finalize(void);
/* Every list sorted by id; *n set. The array is to be freed. */
struct pat_ref **pat_refs_sorted(int *n);
/* "#<id>" (read as atoi() does) or a file name; NULL when unknown. */
struct pat_ref *pat_ref_find(const char *name);

/* Allocates a new version number for an atomic replacement. */
unsigned pat_ref_newgen(struct pat_ref *ref);
/* Adds <key> (<value> for maps, else NULL) to version <gen>. Returns 0
 * with *err set when an expression using the list rejects it.
 */
int pat_ref_add_gen(struct pat_ref *ref, unsigned gen, const char *key, const char *value,
                    char **err);
/* Replaces the value of the entries with key <key> (or of the entry <id>
 * when <key> is NULL), in every version. Returns the number changed, or
 * -1 with *err set when the value is rejected (nothing changed).
 */
int pat_ref_set_value(struct pat_ref *ref, const char *key, uint64_t id, const char *value,
                      char **err);
/* Removes the entries with key <key> (or the entry <id> when <key> is
 * NULL), in every version. Returns how many were removed.
 */
int pat_ref_delete(struct pat_ref *ref, const char *key, uint64_t id);
/* Removes the entries of version <gen>. */
void pat_ref_clear_gen(struct pat_ref *ref, unsigned gen);
/* Makes version <gen> current and removes the older ones. */
void pat_ref_commit_gen(struct pat_ref *ref, unsigned gen);

/* Matches <smp> against the entries of <ref> alone with the method, flags
 * and value type of <e> (the "get map"/"get acl" commands).
 */
int pat_ref_match_one(const struct pat_ref *ref, const struct pat_expr *e, struct sample *smp,
                      struct pat_result *res);
/* Whether <e>'s index of its method is a tree in HAProxy ("idx=tree"). */
int pat_expr_is_tree(const struct pat_expr *e);
