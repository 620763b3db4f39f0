/* Statistics rows shared by "show stat" (CSV, typed, JSON), the HTTP
 * statistics page and exporters: one row per frontend, server and backend,
 * in HAProxy's column order (worker/stats-cols.c), values as text.
 */
#pragma once
#include "common/strbuf.h"
#include "conf/model-t.h"
#include "worker/stats-cols.h"

#define STAT_VAL_LEN 128 /* check texts (last_chk, last_agt) reach 127 bytes */

/* Kind of row; also HAProxy's "type" column and the bit of a type filter. */
enum stat_kind { STAT_FE = 0, STAT_BE = 1, STAT_SRV = 2 };

struct stat_row {
	enum stat_kind kind;
	const struct proxy *px;
	char vals[STAT_NCOLS][STAT_VAL_LEN];
	char present[STAT_NCOLS + 1]; /* '1' where HAProxy prints a value */
};

/* Index of column <name>, or -1. */
int stat_col(const char *name);
/* Value of column <name> in <r>; "" when the row has none. */
const char *stat_val(const struct stat_row *r, const char *name);

enum stats_fmt { STATS_FMT_CSV = 0, STATS_FMT_TYPED, STATS_FMT_JSON };

#define STATS_HIDE_DOWN 0x1  /* "up": only servers that are up */
#define STATS_HIDE_MAINT 0x2 /* "no-maint": no server in maintenance */

/* Which rows to produce; stats_filter_init() selects all of them. */
struct stats_filter {
	int iid;        /* proxy id, -1 for all */
	int types;      /* bits 1 << enum stat_kind */
	int sid;        /* server id, -1 for all */
	unsigned flags; /* STATS_HIDE_* */
	/* NULL, or whether proxy <px> is shown (stats scope) */
	int (*px_visible)(const struct proxy *px, const void *arg);
	const void *arg;
};

void stats_filter_init(struct stats_filter *f);

/* Calls <cb> for every row <f> selects, proxies in configuration order:
 * frontend row, server rows, backend row.
 */
void stats_foreach(const struct stats_filter *f, void (*cb)(const struct stat_row *r, void *arg),
                   void *arg);

/* A position in the rows: the proxy and the next frontend, backend and
 * server indexes to look at. The configuration and the runtime arrays
 * never change while the process runs, so a cursor stays valid across
 * event-loop turns.
 */
struct stats_cursor {
	const struct proxy *px; /* NULL at the end */
	int fe, be, srv;
	int rows;    /* rows produced so far */
	int started; /* the header went out */
};

void stats_cursor_init(struct stats_cursor *cur);
/* Fills <r> with the next row <f> selects from <cur>; 0 at the end. */
int stats_next(struct stats_cursor *cur, const struct stats_filter *f, struct stat_row *r);

/* Appends the rows <f> selects to <b> in <fmt>, as "show stat" prints them
 * (CSV header line included).
 */
void stats_dump(struct strbuf *b, enum stats_fmt fmt, const struct stats_filter *f);
/* The same in pieces: appends rows from <cur> (header first, footer last)
 * until <b> holds at least <limit> bytes or the rows end, using <row> as
 * scratch. Returns 1 once everything was appended.
 */
int stats_dump_some(struct strbuf *b, enum stats_fmt fmt, const struct stats_filter *f,
                    struct stats_cursor *cur, struct stat_row *row, size_t limit);

/* Appends "show info" to <b> in <fmt>. */
void info_dump(struct strbuf *b, enum stats_fmt fmt);

/* The "show info" fields at this instant (allocated, free() it), or NULL;
 * info_value() returns a field's value by name, NULL when it is absent.
 */
struct info_snapshot;
struct info_snapshot *info_snapshot(void);
const char *info_value(const struct info_snapshot *snap, const char *name);

/* Appends the tags and value members of a JSON field object ("processNum",
 * "tags", "value"; closing brace included) for <tags> ("KNS:str") and the
 * value <val> written as text.
 */
void stats_json_field(struct strbuf *b, const char *tags, const char *val);

/* HAProxy 2.6's JSON schema of "show info json" and "show stat json". */
extern const char stats_schema[];
