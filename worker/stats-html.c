/* HTML rendering of the statistics page: a header with the process
 * information, links for the page options, a colour legend, then one table
 * per proxy with its frontend, server and backend rows. Rows come from
 * stats_foreach(), so the page shows what "show stat" reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/version.h"
#include "conf/kw.h"
#include "worker/runtime.h"
#include "worker/stats-page.h"

/* One data column: its group heading, its own heading and "show stat" name. */
static const struct {
	const char *group, *label, *col;
} html_cols[] = {
    {"Queue", "Cur", "qcur"},
    {"Queue", "Max", "qmax"},
    {"Queue", "Limit", "qlimit"},
    {"Session rate", "Cur", "rate"},
    {"Session rate", "Max", "rate_max"},
    {"Session rate", "Limit", "rate_lim"},
    {"Sessions", "Cur", "scur"},
    {"Sessions", "Max", "smax"},
    {"Sessions", "Limit", "slim"},
    {"Sessions", "Total", "stot"},
    {"Sessions", "LbTot", "lbtot"},
    {"Sessions", "Last", "lastsess"},
    {"Bytes", "In", "bin"},
    {"Bytes", "Out", "bout"},
    {"Denied", "Req", "dreq"},
    {"Denied", "Resp", "dresp"},
    {"Errors", "Req", "ereq"},
    {"Errors", "Conn", "econ"},
    {"Errors", "Resp", "eresp"},
    {"Warnings", "Retr", "wretr"},
    {"Warnings", "Redis", "wredis"},
    {"Server", "Status", "status"},
    {"Server", "LastChg", "lastchg"},
    {"Server", "LastChk", "check_status"},
    {"Server", "Wght", "weight"},
    {"Server", "Act", "act"},
    {"Server", "Bck", "bck"},
    {"Server", "Chk", "chkfail"},
    {"Server", "Dwn", "chkdown"},
    {"Server", "Dwntme", "downtime"},
    {"Server", "Thrtle", "throttle"},
};
#define NB_HTML_COLS (sizeof(html_cols) / sizeof(html_cols[0]))

static const char page_style[] =
    "body{font-family:sans-serif;font-size:13px;margin:1em;color:#222}\n"
    "h1{font-size:20px;margin:0 0 .4em}\n"
    "table.px{border-collapse:collapse;margin:1em 0;width:100%}\n"
    "table.px caption{text-align:left;font-weight:bold;font-size:15px;padding:.3em 0}\n"
    "table.px caption small{font-weight:normal;color:#555}\n"
    "th,td{border:1px solid #bbb;padding:2px 5px;text-align:right;white-space:nowrap}\n"
    "th{background:#e3e6ec}\n"
    "td.name{text-align:left;font-weight:bold}\n"
    "td.http{text-decoration:underline dotted;cursor:help}\n"
    "tr.open,tr.up{background:#c6efc6}\n"
    "tr.going-down{background:#ffe39a}\n"
    "tr.going-up{background:#e4f7c4}\n"
    "tr.down{background:#f7b5b5}\n"
    "tr.nolb{background:#ffcc88}\n"
    "tr.drain{background:#b9d3f5}\n"
    "tr.maint{background:#c9bcae}\n"
    "tr.nocheck{background:#dde8dd}\n"
    "tr.stop{background:#e0e0e0}\n"
    "tr.backend td{font-weight:bold}\n"
    "table.legend td{text-align:left}\n"
    "p.banner{padding:.4em;font-weight:bold}\n"
    "p.banner a{margin-right:.5em}\n"
    "p.ok{background:#c6efc6}\n"
    "p.warn{background:#ffe39a}\n"
    "p.err{background:#f7b5b5}\n"
    "p.unknown{background:#dde8dd}\n"
    "form.admin{margin:0}\n";

/* Class of a row from its status column. */
static const char *row_class(const struct stat_row *r)
{
	const char *st = stat_val(r, "status");
	if (!strcmp(st, "OPEN"))
		return "open";
	if (!strcmp(st, "STOP"))
		return "stop";
	if (!strcmp(st, "DOWN (agent)"))
		return "down";
	if (!strncmp(st, "DRAIN", 5)) /* "DRAIN (agent)" too */
		return "drain";
	if (!strncmp(st, "UP ", 3))
		return "going-down";
	if (!strncmp(st, "DOWN ", 5))
		return "going-up";
	if (!strcmp(st, "UP"))
		return "up";
	if (!strcmp(st, "DOWN"))
		return "down";
	if (!strcmp(st, "NOLB"))
		return "nolb";
	if (!strcmp(st, "DRAIN"))
		return "drain";
	if (!strcmp(st, "MAINT"))
		return "maint";
	return "nocheck";
}

/* Seconds as "1d2h", "3h4m", "5m6s" or "7s". */
static void human_secs(char *buf, size_t len, const char *secs)
{
	unsigned long s = strtoul(secs, NULL, 10);
	if (s >= 86400)
		snprintf(buf, len, "%lud%luh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%luh%lum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lum%lus", s / 60, s % 60);
	else
		snprintf(buf, len, "%lus", s);
}

/* The "LastChk" cell: check result, HTTP code and duration, with the
 * details as a tooltip.
 */
static void check_cell(struct strbuf *b, const struct stat_row *r)
{
	const char *st = stat_val(r, "check_status");
	if (!*st) {
		sb_puts(b, "<td></td>");
		return;
	}
	sb_puts(b, "<td title=\"");
	sb_html(b, stat_val(r, "check_desc"));
	if (*stat_val(r, "last_chk")) {
		sb_puts(b, ": ");
		sb_html(b, stat_val(r, "last_chk"));
	}
	sb_puts(b, "\">");
	sb_html(b, st);
	if (*stat_val(r, "check_code"))
		sb_printf(b, "/%s", stat_val(r, "check_code"));
	if (*stat_val(r, "check_duration"))
		sb_printf(b, " in %sms", stat_val(r, "check_duration"));
	sb_puts(b, "</td>");
}

/* The HTTP counters of a row, as a tooltip of its session total. */
static void http_details(struct strbuf *b, const struct stat_row *r)
{
	static const char *const cols[][2] = {
	    {"req_tot", "HTTP requests"},       {"hrsp_1xx", "1xx responses"},
	    {"hrsp_2xx", "2xx responses"},      {"hrsp_3xx", "3xx responses"},
	    {"hrsp_4xx", "4xx responses"},      {"hrsp_5xx", "5xx responses"},
	    {"hrsp_other", "other responses"},  {"intercepted", "intercepted requests"},
	    {"cache_lookups", "cache lookups"}, {"cache_hits", "cache hits"},
	    {"comp_in", "compression in"},      {"comp_out", "compression out"},
	};
	const char *sep = "";
	sb_puts(b, " title=\"");
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		const char *v = stat_val(r, cols[i][0]);
		if (!*v)
			continue;
		sb_printf(b, "%s%s: ", sep, cols[i][1]);
		sb_html(b, v);
		sep = ", ";
	}
	sb_puts(b, "\"");
}

static void cell(struct strbuf *b, const struct stat_row *r, const char *col)
{
	const char *v = stat_val(r, col);
	char h[32];
	if (*v && (!strcmp(col, "lastchg") || !strcmp(col, "downtime"))) {
		human_secs(h, sizeof(h), v);
		v = h;
	}
	if (!strcmp(col, "stot") && !strcmp(stat_val(r, "mode"), "http")) {
		sb_puts(b, "<td class=\"http\"");
		http_details(b, r);
		sb_puts(b, ">");
		sb_html(b, v);
		sb_puts(b, "</td>");
		return;
	}
	sb_puts(b, "<td>");
	sb_html(b, v);
	sb_puts(b, "</td>");
}

/* The first cell of a row: "Frontend", "Backend" or the server's name,
 * with its id and address when the legends are shown.
 */
static void name_cell(struct strbuf *b, const struct stat_row *r, int legends)
{
	sb_puts(b, "<td class=\"name\">");
	if (r->kind == STAT_FE) {
		sb_puts(b, "Frontend");
	} else if (r->kind == STAT_BE) {
		sb_puts(b, "Backend");
	} else {
		sb_html(b, stat_val(r, "svname"));
		if (legends) {
			sb_printf(b, " <small>id %s, ", stat_val(r, "sid"));
			sb_html(b, stat_val(r, "addr"));
			sb_puts(b, "</small>");
		}
	}
	sb_puts(b, "</td>");
}

/* Whether the table of <px> carries the admin form: a backend with
 * servers, on a page allowed to act.
 */
static int admin_form(const struct proxy *px, int admin)
{
	return admin && (px->cap & PX_CAP_BE) && px->servers;
}

/* Opens the table of proxy <px>: caption and the two heading rows, in the
 * admin form when <form>, with a first column of server checkboxes.
 */
static void table_head(struct strbuf *b, const struct stat_row *r, int legends, int form)
{
	if (form)
		sb_puts(b, "<form class=\"admin\" method=\"post\">\n");
	sb_puts(b, "<table class=\"px\"><caption><a id=\"");
	sb_html(b, r->px->id);
	sb_puts(b, "\" href=\"#");
	sb_html(b, r->px->id);
	sb_puts(b, "\">");
	sb_html(b, r->px->id);
	sb_puts(b, "</a>");
	if (legends)
		sb_printf(b, " <small>mode: %s, id: %s</small>", stat_val(r, "mode"),
		          stat_val(r, "iid"));
	sb_puts(b, "</caption>\n<thead><tr>");
	if (form) { /* a box that checks or clears all of them */
		sb_puts(b, "<th rowspan=\"2\"><input type=\"checkbox\" title=\"all servers\" "
		           "onclick=\"for (const c of document.getElementsByClassName('");
		sb_html(b, r->px->id);
		sb_puts(b, "-checkbox')) c.checked = this.checked\"></th>");
	}
	sb_puts(b, "<th rowspan=\"2\"></th>");
	for (size_t i = 0; i < NB_HTML_COLS;) {
		size_t n = 1;
		while (i + n < NB_HTML_COLS && !strcmp(html_cols[i + n].group, html_cols[i].group))
			n++;
		sb_printf(b, "<th colspan=\"%zu\">%s</th>", n, html_cols[i].group);
		i += n;
	}
	sb_puts(b, "</tr>\n<tr>");
	for (size_t i = 0; i < NB_HTML_COLS; i++)
		sb_printf(b, "<th>%s</th>", html_cols[i].label);
	sb_puts(b, "</tr></thead>\n<tbody>\n");
}

struct html_ctx {
	struct strbuf *b;
	const struct proxy *cur; /* proxy of the open table, NULL if none */
	int legends;
	int admin; /* the page may act: backends get the admin form */
	int form;  /* the open table is in a form */
};

/* The end of the admin form of backend <px>: the actions, as HAProxy
 * names them, and the backend by id.
 */
static void form_tail(struct strbuf *b, const struct proxy *px)
{
	static const char *const opts[][2] = {
	    {"", ""},
	    {"ready", "Set state to READY"},
	    {"drain", "Set state to DRAIN"},
	    {"maint", "Set state to MAINT"},
	    {"dhlth", "Health: disable checks"},
	    {"ehlth", "Health: enable checks"},
	    {"hrunn", "Health: force UP"},
	    {"hnolb", "Health: force NOLB"},
	    {"hdown", "Health: force DOWN"},
	    {"dagent", "Agent: disable checks"},
	    {"eagent", "Agent: enable checks"},
	    {"arunn", "Agent: force UP"},
	    {"adown", "Agent: force DOWN"},
	    {"shutdown", "Kill Sessions"},
	};
	sb_puts(b,
	        "<p>Choose the action to perform on the checked servers: <select name=\"action\">");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		sb_printf(b, "<option value=\"%s\">%s</option>", opts[i][0], opts[i][1]);
	sb_printf(b,
	          "</select><input type=\"hidden\" name=\"b\" value=\"#%d\"> "
	          "<input type=\"submit\" value=\"Apply\"></p>\n</form>\n",
	          px->uuid);
}

/* Closes the open table (and its form). */
static void table_close(struct html_ctx *h)
{
	sb_puts(h->b, "</tbody></table>\n");
	if (h->form)
		form_tail(h->b, h->cur);
}

static void html_row(const struct stat_row *r, void *arg)
{
	struct html_ctx *h = arg;
	struct strbuf *b = h->b;
	if (h->cur != r->px) {
		if (h->cur)
			table_close(h);
		h->form = admin_form(r->px, h->admin);
		table_head(b, r, h->legends, h->form);
		h->cur = r->px;
	}
	sb_printf(b, "<tr class=\"%s%s\">", row_class(r), r->kind == STAT_BE ? " backend" : "");
	if (h->form && r->kind == STAT_SRV) {
		sb_puts(b, "<td><input class=\"");
		sb_html(b, r->px->id);
		sb_puts(b, "-checkbox\" type=\"checkbox\" name=\"s\" value=\"");
		sb_html(b, stat_val(r, "svname"));
		sb_puts(b, "\"></td>");
	} else if (h->form) {
		sb_puts(b, "<td></td>");
	}
	name_cell(b, r, h->legends);
	for (size_t i = 0; i < NB_HTML_COLS; i++) {
		if (!strcmp(html_cols[i].col, "check_status"))
			check_cell(b, r);
		else
			cell(b, r, html_cols[i].col);
	}
	sb_puts(b, "</tr>\n");
}

/* A link to the page with the given options. */
static void option_link(struct strbuf *b, const struct stats_page_req *pr, unsigned hide,
                        int norefresh, const char *extra, const char *text)
{
	sb_puts(b, "<li><a href=\"");
	sb_html(b, pr->uri);
	sb_printf(b, "%s%s%s%s", hide & STATS_HIDE_DOWN ? ";up" : "",
	          hide & STATS_HIDE_MAINT ? ";no-maint" : "", norefresh ? ";norefresh" : "", extra);
	if (pr->scope[0]) {
		sb_puts(b, ";scope=");
		sb_html(b, pr->scope);
	}
	sb_printf(b, "\">%s</a></li>\n", text);
}

/* Process information, as "show info" reports it. */
static void process_info(struct strbuf *b, const struct stats_page_req *pr)
{
	const struct stats_page_cfg *cfg = pr->cfg;
	uint64_t up = (now_ms() - rt.start_ms) / 1000;
	char uptime[32], host[256];
	snprintf(uptime, sizeof(uptime), "%llud %lluh%02llum%02llus",
	         (unsigned long long)(up / 86400), (unsigned long long)(up % 86400 / 3600),
	         (unsigned long long)(up % 3600 / 60), (unsigned long long)(up % 60));
	sb_puts(b, "<ul class=\"info\">\n");
	if (cfg->flags & STATS_PG_SHOW_NODE) {
		const char *node = cfg->node ? cfg->node : rt.cfg->global.node;
		if (!node && gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = 0;
			node = host;
		}
		sb_puts(b, "<li>Node: ");
		sb_html(b, node ? node : "");
		sb_puts(b, "</li>\n");
	}
	const char *desc = cfg->desc ? cfg->desc : rt.cfg->global.description;
	if ((cfg->flags & STATS_PG_SHOW_DESC) && desc) {
		sb_puts(b, "<li>Description: ");
		sb_html(b, desc);
		sb_puts(b, "</li>\n");
	}
	sb_printf(b, "<li>pid: %d, uptime: %s, threads: %d</li>\n", (int)getpid(), uptime,
	          rt.nbthread);
	sb_printf(b, "<li>maxconn: %d</li>\n", rt.maxconn);
	sb_printf(b, "<li>Current connections: %d%s</li>\n</ul>\n", atomic_load(&rt.cur_conns),
	          atomic_load(&rt.stopping) ? " (stopping)" : "");
}

/* The result of the last admin action (";st="), in HAProxy's words, with
 * a link to the page without it.
 */
static void status_banner(struct strbuf *b, const struct stats_page_req *pr)
{
	static const struct {
		const char *cls, *text;
	} msgs[] = {
	    [STATS_ST_UNKN] = {"unknown", "Unexpected result."},
	    [STATS_ST_DONE] = {"ok", "Action processed successfully."},
	    [STATS_ST_PART] = {"warn", "Action partially processed.<br>Some server names are "
	                               "probably unknown or ambiguous (duplicated names in the "
	                               "backend)."},
	    [STATS_ST_NONE] = {"warn", "Nothing has changed."},
	    [STATS_ST_DENY] = {"err", "Action denied."},
	    [STATS_ST_ERRP] = {"err", "Action not processed because of invalid parameters.<ul>"
	                              "<li>The action is maybe unknown.</li>"
	                              "<li>Invalid key parameter (empty or too long).</li>"
	                              "<li>The backend name is probably unknown or ambiguous "
	                              "(duplicated names).</li>"
	                              "<li>Some server names are probably unknown or ambiguous "
	                              "(duplicated names in the backend).</li></ul>"},
	    [STATS_ST_EXCD] = {"err", "Action not processed : the buffer couldn't store all the "
	                              "data.<br>You should retry with less servers at a time."},
	    [STATS_ST_IVAL] = {"err", "Invalid requests (unsupported method or chunked encoded "
	                              "request)."},
	};
	sb_printf(b, "<p class=\"banner %s\" id=\"status\"><a href=\"", msgs[pr->st].cls);
	sb_html(b, pr->uri);
	sb_printf(b, "%s%s", pr->hide & STATS_HIDE_DOWN ? ";up" : "",
	          pr->norefresh ? ";norefresh" : "");
	if (pr->scope[0]) {
		sb_puts(b, ";scope=");
		sb_html(b, pr->scope);
	}
	sb_printf(b, "\" title=\"Remove this message\">[X]</a>%s</p>\n", msgs[pr->st].text);
}

static void legend(struct strbuf *b)
{
	static const char *const rows[][2] = {
	    {"up", "active or backup UP"},
	    {"going-down", "UP, going down"},
	    {"going-up", "DOWN, going up"},
	    {"down", "DOWN or not checked and unusable"},
	    {"nolb", "NOLB (up, no new traffic)"},
	    {"drain", "DRAIN (admin)"},
	    {"maint", "MAINT (admin or resolution)"},
	    {"nocheck", "not checked"},
	};
	sb_puts(b, "<table class=\"legend\"><tbody>\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		sb_printf(b, "<tr class=\"%s\"><td>%s</td></tr>\n", rows[i][0], rows[i][1]);
	sb_puts(b, "</tbody></table>\n");
}

void stats_html(struct strbuf *b, const struct stats_page_req *pr, const struct stats_filter *f)
{
	const struct stats_page_cfg *cfg = pr->cfg;
	int version = (cfg->flags & STATS_PG_SHOW_VERSION) && !(cfg->flags & STATS_PG_HIDE_VERSION);
	sb_printf(b,
	          "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\" />\n"
	          "<title>Statistics Report for Halyard</title>\n<style>\n%s</style>\n"
	          "</head><body>\n<h1>Halyard statistics",
	          page_style);
	if (version)
		sb_printf(b, " <small>version %s, released %s</small>", halyard_version(),
		          halyard_date());
	sb_puts(b, "</h1>\n");
	if (pr->has_st)
		status_banner(b, pr);
	process_info(b, pr);
	sb_puts(b, "<ul class=\"options\">\n");
	option_link(b, pr, pr->hide ^ STATS_HIDE_DOWN, pr->norefresh, "",
	            pr->hide & STATS_HIDE_DOWN ? "Show all servers" : "Hide servers that are DOWN");
	option_link(b, pr, pr->hide ^ STATS_HIDE_MAINT, pr->norefresh, "",
	            pr->hide & STATS_HIDE_MAINT ? "Show servers in maintenance"
	                                        : "Hide servers in maintenance");
	if (cfg->refresh_s)
		option_link(b, pr, pr->hide, !pr->norefresh, "",
		            pr->norefresh ? "Enable refresh" : "Disable refresh");
	option_link(b, pr, pr->hide, pr->norefresh, "", "Refresh now");
	option_link(b, pr, pr->hide, 1, ";csv", "CSV export");
	option_link(b, pr, pr->hide, 1, ";json", "JSON export");
	sb_puts(b, "</ul>\n");
	legend(b);
	struct html_ctx h = {
	    .b = b, .legends = (cfg->flags & STATS_PG_SHOW_LEGENDS) != 0, .admin = pr->admin};
	stats_foreach(f, html_row, &h);
	if (h.cur)
		table_close(&h);
	sb_puts(b, "</body></html>\n");
}
