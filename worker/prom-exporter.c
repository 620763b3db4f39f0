/* The Prometheus exporter: for each metric family (worker/prom-metrics.c),
 * a HELP and a TYPE line before its first sample, then one sample per
 * object, as HAProxy 2.6's exporter writes them. A field without a value
 * (empty in "show stat": no limit, no check, or not measured by Halyard
 * yet) reads NaN, which is what HAProxy prints for the fields it has no
 * value for.
 */
#include "worker/prom-exporter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/http-service.h"
#include "worker/stats.h"

static const char *const srv_states[] = {"DOWN", "UP", "MAINT", "DRAIN", "NOLB"};
#define NB_SRV_STATES 5
static const char *const check_states[] = {
    "HANA",   "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK",    "L6TOUT",   "L6RSP",
    "L7TOUT", "L7RSP",   "L7OK", "L7OKC",  "L7STS", "PROCERR", "PROCTOUT", "PROCOK"};
#define NB_CHECK_STATES 16
static const char *const hrsp_cols[] = {"hrsp_1xx", "hrsp_2xx", "hrsp_3xx",
                                        "hrsp_4xx", "hrsp_5xx", "hrsp_other"};
static const char *const hrsp_codes[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

/* The rows of one scrape, with servers counted by state for backends. */
struct pm_row {
	struct stat_row r;
	int agg_srv[NB_SRV_STATES];   /* backends: servers in each state */
	int agg_chk[NB_CHECK_STATES]; /* backends: servers per check result */
};

struct pm_ctx {
	struct strbuf *b;
	struct pm_row *rows;
	int n, cap, failed;
	int agg_srv[NB_SRV_STATES], agg_chk[NB_CHECK_STATES]; /* current backend */
	const struct pm_family *fam;
	int hdr_done;
};

/* State index of a server from its status ("UP 1/3" and "no check" are
 * UP, "DOWN (agent)" is DOWN, "DRAIN (agent)" is DRAIN).
 */
static int srv_state(const char *st)
{
	if (!strcmp(st, "MAINT"))
		return 2;
	if (!strncmp(st, "DRAIN", 5))
		return 3;
	if (!strcmp(st, "NOLB"))
		return 4;
	return strncmp(st, "DOWN", 4) ? 1 : 0;
}

/* Index of a check result ("* " marks a check under way), or -1. */
static int check_state(const char *st)
{
	if (!strncmp(st, "* ", 2))
		st += 2;
	for (int i = 0; i < NB_CHECK_STATES; i++)
		if (!strcmp(st, check_states[i]))
			return i;
	return -1;
}

static void collect_row(const struct stat_row *r, void *arg)
{
	struct pm_ctx *c = arg;
	if (c->failed)
		return;
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		struct pm_row *rows = realloc(c->rows, (size_t)cap * sizeof(*rows));
		if (!rows) {
			c->failed = 1;
			return;
		}
		c->rows = rows;
		c->cap = cap;
	}
	struct pm_row *p = &c->rows[c->n++];
	p->r = *r;
	if (r->kind == STAT_SRV) {
		c->agg_srv[srv_state(stat_val(r, "status"))]++;
		int k = check_state(stat_val(r, "check_status"));
		if (k >= 0)
			c->agg_chk[k]++;
	} else if (r->kind == STAT_BE) {
		memcpy(p->agg_srv, c->agg_srv, sizeof(p->agg_srv));
		memcpy(p->agg_chk, c->agg_chk, sizeof(p->agg_chk));
	}
	if (r->kind == STAT_BE) {
		memset(c->agg_srv, 0, sizeof(c->agg_srv));
		memset(c->agg_chk, 0, sizeof(c->agg_chk));
	}
}

/* Writes one sample: the family's header first if not done yet, then the
 * name, the labels of <r> (none for the process) followed by <extra>
 * ("state=\"UP\"") if any, and the value.
 */
static void sample(struct pm_ctx *c, const struct stat_row *r, const char *extra, const char *val)
{
	const struct pm_family *f = c->fam;
	if (!c->hdr_done) {
		sb_printf(c->b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
		          f->type == PM_COUNTER ? "counter" : "gauge");
		c->hdr_done = 1;
	}
	sb_puts(c->b, f->name);
	if (r) {
		sb_printf(c->b, "{proxy=\"");
		sb_json_str(c->b, r->px->id); /* the same escapes as label values */
		if (r->kind == STAT_SRV) {
			sb_puts(c->b, "\",server=\"");
			sb_json_str(c->b, stat_val(r, "svname"));
		}
		sb_printf(c->b, "\"%s%s}", extra ? "," : "", extra ? extra : "");
	} else if (extra) {
		sb_printf(c->b, "{%s}", extra);
	}
	sb_printf(c->b, " %s\n", val);
}

/* Value of the family's field on <r>, "NaN" when it has none. */
static const char *field_value(const struct pm_family *f, const struct stat_row *r, char *buf,
                               size_t len)
{
	const char *v = stat_val(r, f->src);
	if (!*v)
		return (f->flags & PMF_ZERO_IF_EMPTY) ? "0" : "NaN";
	if (*v && (f->flags & PMF_MS)) {
		snprintf(buf, len, "%f", strtod(v, NULL) / 1000.0);
		return buf;
	}
	return v;
}

/* The samples of a state family on row <r> (frontend, backend or server). */
static void state_samples(struct pm_ctx *c, const struct pm_row *p)
{
	const struct stat_row *r = &p->r;
	const char *st = stat_val(r, "status");
	char extra[64];
	int nstates = r->kind == STAT_SRV ? NB_SRV_STATES : 2;
	int cur = r->kind == STAT_SRV  ? srv_state(st)
	          : r->kind == STAT_FE ? strcmp(st, "OPEN") == 0
	                               : strcmp(st, "UP") == 0;
	for (int i = 0; i < nstates; i++) {
		snprintf(extra, sizeof(extra), "state=\"%s\"", srv_states[i]);
		sample(c, r, extra, i == cur ? "1" : "0");
	}
}

/* Per check result: 1 or 0 for a server, a count of servers for a backend. */
static void check_samples(struct pm_ctx *c, const struct pm_row *p)
{
	char extra[64], val[16];
	int cur = check_state(stat_val(&p->r, "check_status"));
	for (int i = 0; i < NB_CHECK_STATES; i++) {
		snprintf(extra, sizeof(extra), "state=\"%s\"", check_states[i]);
		snprintf(val, sizeof(val), "%d", p->r.kind == STAT_SRV ? i == cur : p->agg_chk[i]);
		sample(c, &p->r, extra, val);
	}
}

static void agg_samples(struct pm_ctx *c, const struct pm_row *p)
{
	char extra[64], val[16];
	for (int i = 0; i < NB_SRV_STATES; i++) {
		snprintf(extra, sizeof(extra), "state=\"%s\"", srv_states[i]);
		snprintf(val, sizeof(val), "%d", p->agg_srv[i]);
		sample(c, &p->r, extra, val);
	}
}

/* Whether row <r> carries family <f> at all. */
static int row_has(const struct pm_family *f, const struct stat_row *r)
{
	static const enum stat_kind kinds[] = {STAT_FE, STAT_FE, STAT_BE, STAT_SRV};
	if (r->kind != kinds[f->scope])
		return 0;
	if ((f->flags & PMF_HTTP) && strcmp(stat_val(r, "mode"), "http") != 0)
		return 0;
	return !(f->flags & PMF_CHECKED) || *stat_val(r, "check_status");
}

static void object_family(struct pm_ctx *c, const struct pm_family *f)
{
	char buf[64], extra[32];
	if (f->flags & PMF_HRSP) { /* status classes outside, objects inside */
		for (int k = 0; k < 6; k++) {
			for (int i = 0; i < c->n; i++) {
				const struct stat_row *r = &c->rows[i].r;
				const char *v = stat_val(r, hrsp_cols[k]);
				if (!row_has(f, r))
					continue;
				snprintf(extra, sizeof(extra), "code=\"%s\"", hrsp_codes[k]);
				sample(c, r, extra, *v ? v : "NaN");
			}
		}
		return;
	}
	for (int i = 0; i < c->n; i++) {
		const struct pm_row *p = &c->rows[i];
		if (!row_has(f, &p->r))
			continue;
		if (f->flags & PMF_STATE) {
			state_samples(c, p);
		} else if (f->flags & PMF_CHECK_STATE) {
			check_samples(c, p);
		} else if (f->flags & PMF_AGG_STATE) {
			agg_samples(c, p);
		} else {
			sample(c, &p->r, NULL, field_value(f, &p->r, buf, sizeof(buf)));
		}
	}
}

static void process_family(struct pm_ctx *c, const struct pm_family *f,
                           const struct info_snapshot *info)
{
	const char *v = (f->flags & PMF_NAN) ? NULL : info_value(info, f->src);
	if (!v) {
		sample(c, NULL, NULL, "NaN");
		return;
	}
	if (f->flags & PMF_BUILD_INFO) {
		char extra[160];
		snprintf(extra, sizeof(extra), "version=\"%s\"", v);
		sample(c, NULL, extra, "1");
		return;
	}
	sample(c, NULL, NULL, v);
}

void prom_dump(struct strbuf *b, unsigned scopes, int no_maint)
{
	struct pm_ctx c = {.b = b};
	struct stats_filter flt;
	stats_filter_init(&flt);
	flt.flags = no_maint ? STATS_HIDE_MAINT : 0;
	if (scopes & ~(1u << PM_PROCESS))
		stats_foreach(&flt, collect_row, &c);
	struct info_snapshot *info = (scopes & (1u << PM_PROCESS)) ? info_snapshot() : NULL;
	if (c.failed || ((scopes & (1u << PM_PROCESS)) && !info)) {
		b->failed = 1;
	} else {
		for (size_t i = 0; i < pm_nfamilies; i++) {
			const struct pm_family *f = &pm_families[i];
			if (!(scopes & (1u << f->scope)))
				continue;
			c.fam = f;
			c.hdr_done = 0;
			if (f->scope == PM_PROCESS)
				process_family(&c, f, info);
			else
				object_family(&c, f);
		}
	}
	free(info);
	free(c.rows);
}

/* Reads HAProxy's query parameters: "scope=<global|frontend|backend|
 * server|*>" (repeatable; the first one restricts the output to the scopes
 * named, an empty one names none) and "no-maint".
 */
static void parse_query(struct ist uri, unsigned *scopes, int *no_maint)
{
	static const char *const names[] = {"global", "frontend", "backend", "server"};
	const char *q = memchr(uri.p, '?', uri.len), *end = uri.p + uri.len;
	int seen = 0;
	*scopes = PM_SCOPE_ALL;
	*no_maint = 0;
	while (q && q < end) {
		const char *p = q + 1;
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t len = (size_t)((amp ? amp : end) - p);
		if (len == 8 && !memcmp(p, "no-maint", 8))
			*no_maint = 1;
		if (len >= 6 && !memcmp(p, "scope=", 6)) {
			if (!seen++)
				*scopes = 0;
			for (int i = 0; i < 4; i++)
				if (len - 6 == strlen(names[i]) &&
				    !memcmp(p + 6, names[i], len - 6))
					*scopes |= 1u << i;
			if (len == 7 && p[6] == '*')
				*scopes = PM_SCOPE_ALL;
		}
		q = amp;
	}
}

static int prom_handle(struct http_svc_req *rq, struct strbuf *out)
{
	unsigned scopes;
	int no_maint;
	struct strbuf body = {0};
	parse_query(rq->req->uri, &scopes, &no_maint);
	prom_dump(&body, scopes, no_maint);
	if (body.failed) {
		sb_free(&body);
		out->failed = 1;
		return 500;
	}
	sb_printf(out,
	          "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\n"
	          "content-type: text/plain; version=0.0.4\r\ncontent-length: %zu\r\n\r\n",
	          body.len);
	sb_put(out, body.p ? body.p : "", body.len);
	sb_free(&body);
	return 200;
}

static struct http_service prom_service = {.name = "prometheus-exporter", .handle = prom_handle};
HTTP_REGISTER_SERVICE(prom_service)
