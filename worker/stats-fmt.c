/* Output formats of statistics rows: HAProxy's CSV, its "typed" lines
 * (one field per line: "F.<iid>.<sid>.<pos>.<name>.<process>:<tags>:<type>:
 * <value>") and its JSON arrays. The typed and JSON forms only carry the
 * fields that hold a value; tags and types come from worker/stats-cols.c.
 */
#include <stdlib.h>
#include <string.h>

#include "worker/stats.h"

/* Position of column <i> in typed and JSON output: HAProxy numbers the
 * fields after its "-" separator column one lower.
 */
static int typed_pos(int i)
{
	return i < STAT_COL_SEPARATOR ? i : i - 1;
}

/* Tags ("KNS:str") of column <i> on row <r>, or NULL when the typed forms
 * leave it out (no value measured, or a column HAProxy never fills there).
 */
static const char *typed_tags(const struct stat_row *r, int i)
{
	const char *t = stat_tags[i][r->kind];
	if (i == STAT_COL_SEPARATOR || r->present[i] != '1' || !*t)
		return NULL;
	if (!r->vals[i][0] && strcmp(t + 4, "str") != 0)
		return NULL; /* a number Halyard does not measure yet */
	return t;
}

static const char kind_letter[] = "FBS";
static const char *const kind_name[] = {"Frontend", "Backend", "Server"};

/* Full names of the tag letters, for JSON. */
static const char *origin_name(char c)
{
	switch (c) {
	case 'M':
		return "Metric";
	case 'S':
		return "Status";
	case 'K':
		return "Key";
	case 'C':
		return "Config";
	case 'P':
		return "Product";
	default:
		return "Unknown";
	}
}

static const char *nature_name(char c)
{
	static const char letters[] = "GLmMRCDATNOa";
	static const char *const names[] = {"Gauge", "Limit",   "Min",      "Max",
	                                    "Rate",  "Counter", "Duration", "Age",
	                                    "Time",  "Name",    "Output",   "Avg"};
	const char *p = c ? strchr(letters, c) : NULL;
	return p ? names[p - letters] : "Unknown";
}

static const char *scope_name(char c)
{
	switch (c) {
	case 'C':
		return "Cluster";
	case 'P':
		return "Process";
	case 'S':
		return "Service";
	case 's':
		return "System";
	default:
		return "Unknown";
	}
}

void stats_json_field(struct strbuf *b, const char *tags, const char *val)
{
	const char *type = tags + 4;
	sb_printf(
	    b,
	    "\"processNum\":1,\"tags\":{\"origin\":\"%s\",\"nature\":\"%s\",\"scope\":\"%s\"},"
	    "\"value\":{\"type\":\"%s\",\"value\":",
	    origin_name(tags[0]), nature_name(tags[1]), scope_name(tags[2]), type);
	if (!strcmp(type, "str")) {
		sb_puts(b, "\"");
		sb_json_str(b, val);
		sb_puts(b, "\"}}");
	} else {
		sb_printf(b, "%s}}", val);
	}
}

/* Appends <in> as one CSV field: quoted, with quotes doubled, when it
 * holds a comma, a quote or a line break (texts from servers in last_chk),
 * as HAProxy does. The typed and JSON forms carry the raw value.
 */
static void csv_field(struct strbuf *b, const char *in)
{
	if (!strpbrk(in, ",\"\r\n")) {
		sb_puts(b, in);
		sb_put(b, ",", 1);
		return;
	}
	sb_put(b, "\"", 1);
	for (const char *p = in; *p; p++)
		sb_puts(b, *p == '"' ? "\"\"" : (char[]){*p, 0});
	sb_put(b, "\",", 2);
}

static void csv_row(struct strbuf *b, const struct stat_row *r)
{
	for (int i = 0; i < STAT_NCOLS; i++)
		csv_field(b, r->present[i] == '1' ? r->vals[i] : "");
	sb_put(b, "\n", 1);
}

static void typed_row(struct strbuf *b, const struct stat_row *r)
{
	const char *iid = stat_val(r, "iid"), *sid = stat_val(r, "sid");
	for (int i = 0; i < STAT_NCOLS; i++) {
		const char *t = typed_tags(r, i);
		if (t)
			sb_printf(b, "%c.%s.%s.%d.%s.1:%s:%s\n", kind_letter[r->kind], iid, sid,
			          typed_pos(i), stat_cols[i], t, r->vals[i]);
	}
}

static void json_row(struct strbuf *b, const struct stat_row *r)
{
	const char *iid = stat_val(r, "iid"), *sid = stat_val(r, "sid");
	int first = 1;
	sb_put(b, "[", 1);
	for (int i = 0; i < STAT_NCOLS; i++) {
		const char *t = typed_tags(r, i);
		if (!t)
			continue;
		sb_printf(b,
		          "%s{\"objType\":\"%s\",\"proxyId\":%s,\"id\":%s,"
		          "\"field\":{\"pos\":%d,\"name\":\"%s\"},",
		          first ? "" : ",", kind_name[r->kind], iid, sid, typed_pos(i),
		          stat_cols[i]);
		stats_json_field(b, t, r->vals[i]);
		first = 0;
	}
	sb_put(b, "]", 1);
}

static void dump_row(struct strbuf *b, enum stats_fmt fmt, const struct stat_row *r, int rows)
{
	if (fmt == STATS_FMT_CSV) {
		csv_row(b, r);
	} else if (fmt == STATS_FMT_TYPED) {
		typed_row(b, r);
	} else {
		if (rows)
			sb_put(b, ",", 1);
		json_row(b, r);
	}
}

static void dump_header(struct strbuf *b, enum stats_fmt fmt)
{
	if (fmt == STATS_FMT_CSV) {
		sb_puts(b, "# ");
		for (int i = 0; i < STAT_NCOLS; i++)
			sb_printf(b, "%s,", stat_cols[i]);
		sb_put(b, "\n", 1);
	} else if (fmt == STATS_FMT_JSON) {
		sb_put(b, "[", 1);
	}
}

int stats_dump_some(struct strbuf *b, enum stats_fmt fmt, const struct stats_filter *f,
                    struct stats_cursor *cur, struct stat_row *row, size_t limit)
{
	if (!cur->started) {
		dump_header(b, fmt);
		cur->started = 1;
	}
	while (b->len < limit && !b->failed) {
		if (!stats_next(cur, f, row)) {
			if (fmt == STATS_FMT_JSON)
				sb_put(b, "]\n", 2);
			return 1;
		}
		dump_row(b, fmt, row, cur->rows++);
	}
	return b->failed;
}

void stats_dump(struct strbuf *b, enum stats_fmt fmt, const struct stats_filter *f)
{
	struct stat_row *row = malloc(sizeof(*row));
	if (!row) {
		b->failed = 1;
		return;
	}
	struct stats_cursor cur;
	stats_cursor_init(&cur);
	stats_dump_some(b, fmt, f, &cur, row, (size_t)-1);
	free(row);
}
