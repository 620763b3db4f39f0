/* Keyword and section registries of the configuration language.
 *
 * Each module declares a static table of struct cfg_kw rows and registers it
 * from a constructor with CFG_REGISTER_KEYWORDS(table), so that conf/ never
 * needs to know a module's keywords. A row either names a parser function or
 * describes a typed slot (offsetof into struct global_cfg or struct proxy)
 * filled by the generic parsers with bounds checking.
 *
 * Keywords may be made of several words ("timeout client", "option redispatch",
 * "capture request header"): the longest registered match wins. The prefixes
 * "no" and "default" are accepted in front of keywords flagged KWF_NO /
 * KWF_DEFAULT.
 */
#pragma once
#include <stddef.h>

struct cfg_ctx;
struct config;
struct proxy;

/* Section types (bit values, so a keyword may live in several). */
#define SECT_GLOBAL 0x0001
#define SECT_DEFAULTS 0x0002
#define SECT_FRONTEND 0x0004
#define SECT_BACKEND 0x0008
#define SECT_LISTEN 0x0010
#define SECT_USERLIST 0x0020
#define SECT_HTTP_ERRORS 0x0040
#define SECT_RING 0x0080
#define SECT_LOG_FORWARD 0x0400
#define SECT_PROXY (SECT_DEFAULTS | SECT_FRONTEND | SECT_BACKEND | SECT_LISTEN)
#define SECT_REAL 0x04ff    /* real sections; 0x100 and 0x200 are option lists */
#define SECT_BINDOPT 0x0100 /* options of a "bind" line (ctx->target: struct bind_conf) */
#define SECT_SRVOPT 0x0200  /* options of "server"/"default-server" (ctx->target: struct server) */

/* Proxy capabilities: which kinds of proxy a proxy keyword applies to. */
#define PX_CAP_DEF 0x01
#define PX_CAP_FE 0x02
#define PX_CAP_BE 0x04
#define PX_CAP_ALL (PX_CAP_DEF | PX_CAP_FE | PX_CAP_BE)
#define PX_CAP_LISTEN (PX_CAP_FE | PX_CAP_BE)

/* Return flags of keyword parsers (may be or-ed). */
#define CFG_OK 0
#define CFG_WARN 0x1  /* *err holds a warning */
#define CFG_ALERT 0x2 /* *err holds an error: the configuration is invalid */
#define CFG_ABORT 0x4 /* stop parsing immediately (fatal) */

/* Keyword flags. */
#define KWF_NO 0x01      /* accepts the "no" prefix (ctx->inverse set) */
#define KWF_DEFAULT 0x02 /* accepts the "default" prefix (ctx->reset set) */
#define KWF_MASTER 0x04  /* applied by the master process too */
#define KWF_PENDING 0x08 /* known keyword that Halyard does not implement yet */
#define KWF_CAP_WARN 0x10 /* used in a proxy lacking the capability: warn, not fail */

enum kw_slot_type {
	KWT_PARSER = 0, /* custom parser in .parse */
	KWT_FLAG,       /* int set to 1 (or 0 with "no"), no argument */
	KWT_INT,        /* int in [min, max] */
	KWT_UINT_TIME,  /* uint32_t milliseconds */
	KWT_SIZE,       /* uint32_t bytes in [min, max] */
	KWT_STR,        /* char * (replaced) */
};

typedef int (*cfg_kw_parse_fn)(struct cfg_ctx *ctx, char **args, int nargs, char **err);

struct cfg_kw {
	const char *name;      /* words separated by single spaces */
	unsigned sections;     /* SECT_* where it is valid */
	unsigned cap;          /* PX_CAP_* (proxy sections only) */
	enum kw_slot_type type;
	cfg_kw_parse_fn parse; /* KWT_PARSER */
	size_t offset;         /* slot offset in the section's target struct */
	long long min, max;    /* bounds of KWT_INT / KWT_SIZE */
	unsigned flags;        /* KWF_* */
	int nvals;             /* bind/server options: values that follow the name */
};

struct cfg_kw_list {
	const struct cfg_kw *kws;
	size_t count;
	struct cfg_kw_list *next;
};

void cfg_register_keywords(struct cfg_kw_list *list);

#define CFG_REGISTER_KEYWORDS(table)                                                               \
	static struct cfg_kw_list table##_list = {table, sizeof(table) / sizeof(table[0]), 0};     \
	__attribute__((constructor)) static void table##_register(void)                            \
	{                                                                                          \
		cfg_register_keywords(&table##_list);                                              \
	}

/* Section types. <begin> runs on the header line; <end> after the last line
 * of the section (end of file or next section), and may be NULL.
 */
struct cfg_section {
	const char *name;
	unsigned id; /* SECT_* */
	int (*begin)(struct cfg_ctx *ctx, char **args, int nargs, char **err);
	int (*end)(struct cfg_ctx *ctx, char **err);
	unsigned flags; /* KWF_PENDING: a section type not implemented yet */
	struct cfg_section *next;
};

void cfg_register_section(struct cfg_section *sect);

#define CFG_REGISTER_SECTION(sect)                                                                 \
	__attribute__((constructor)) static void sect##_register(void)                             \
	{                                                                                          \
		cfg_register_section(&sect);                                                       \
	}

const struct cfg_section *cfg_find_section(const char *name);

/* Whole-configuration checks of a module, run by cfg_validate() once every
 * file is parsed: <config> once (may be NULL), then <proxy> for every enabled
 * frontend, backend and listen in file order (may be NULL). Each returns the
 * number of errors it reported with ha_alert(), 0 when all is well.
 */
struct cfg_checker {
	int (*config)(struct config *cfg);
	int (*proxy)(struct config *cfg, struct proxy *px);
	struct cfg_checker *next;
};

void cfg_register_checker(struct cfg_checker *checker);

/* Resolves the frontend, backend, server and userlist names of the sample
 * arguments parsed so far (conf/sample-args.c); returns the errors
 * reported. Checkers that compile expressions late call it again.
 */
int cfg_resolve_sample_args(struct config *cfg);

#define CFG_REGISTER_CHECKER(checker)                                                              \
	__attribute__((constructor)) static void checker##_register(void)                          \
	{                                                                                          \
		cfg_register_checker(&checker);                                                    \
	}

/* Finds the keyword for <args> in section <sect>: the longest match among
 * the registered names (a name of N words matches when the first N words of
 * <args> are its words). Returns NULL if none. Sets *<words> to the number of
 * words the keyword name takes.
 */
const struct cfg_kw *cfg_find_kw(unsigned sect, char *const *args, int nargs, int *words);

/* Finds the registered keyword closest to <word> in <sect>, never <word>
 * itself, or NULL if none is close. With <first> NULL, <word> is compared
 * with the first word of the names; otherwise <first> is a prefix of one or
 * more words ("option", "capture request") and <word> is compared with the
 * word that follows it in the names starting with that prefix.
 */
const char *cfg_suggest_kw(unsigned sect, const char *first, const char *word);

/* When <args> are not a keyword of <sect> but their first words start longer
 * keywords of <sect> ("timeout" in "timeout foo 1s"), sets *<nprefix> to the
 * number of such words (the longest such prefix) and returns an allocated
 * list of the words that may follow them, sorted, as "'a', 'b' and 'c'".
 * Returns NULL (and *<nprefix> = 0) otherwise.
 */
char *cfg_kw_subwords(unsigned sect, char *const *args, int nargs, int *nprefix);

/* When <args> start with a keyword of another real section than <sect>
 * (longest match, as cfg_find_kw()), returns an allocated list of the places
 * where that keyword is valid, such as "'global' section" or "'frontend' and
 * 'listen' sections" (proxy types filtered by the keyword's capabilities),
 * and sets *<name> to the keyword's name. Returns NULL otherwise.
 */
char *cfg_kw_valid_places(unsigned sect, char *const *args, int nargs, const char **name);

/* Runs the slot parser of <kw> on <target> (the section's struct). */
int cfg_parse_slot(const struct cfg_kw *kw, void *target, struct cfg_ctx *ctx, char **args,
		   int nargs, int words, char **err);

/* Distance used for "did you mean": 0 for identical words, larger when they
 * differ more; exposed for tests.
 */
int cfg_word_distance(const char *a, const char *b);

/* Returns the words args[first..nargs-1] joined with single spaces
 * (allocated; "" when there are none).
 */
char *cfg_join_words(char *const *args, int first, int nargs);

/* Iterates every registered keyword (for -dK style dumps and tests). */
void cfg_foreach_kw(void (*fn)(const struct cfg_kw *kw, void *arg), void *arg);
