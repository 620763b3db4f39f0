/* "show info": process-wide information in HAProxy's field order, as plain
 * "Name: value" lines, typed lines ("<pos>.<name>.<process>:<tags>:<type>:
 * <value>") or a JSON array, with HAProxy 2.6's positions and tags.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/msg.h"
#include "common/strbuf.h"
#include "common/version.h"
#include "worker/tls-hs.h"
#include "worker/log.h"
#include "worker/counters.h"
#include "worker/runtime.h"
#include "worker/stats.h"

#define INFO_MAX 80

struct info_field {
	int pos; /* HAProxy's field number */
	const char *name;
	const char *tags; /* "POS:str": origin, nature, scope letters and type */
	char val[128];
};

struct info_list {
	struct info_field f[INFO_MAX];
	int n;
};

__attribute__((format(printf, 5, 6))) static void
add(struct info_list *l, int pos, const char *name, const char *tags, const char *fmt, ...)
{
	if (l->n >= INFO_MAX)
		return;
	struct info_field *f = &l->f[l->n++];
	f->pos = pos;
	f->name = name;
	f->tags = tags;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->val, sizeof(f->val), fmt, ap);
	va_end(ap);
}

static int by_pos(const void *a, const void *b)
{
	return ((const struct info_field *)a)->pos - ((const struct info_field *)b)->pos;
}

/* The node name: "node" from the global section, else the host name. */
static const char *node_name(char *buf, size_t len)
{
	if (rt.cfg->global.node)
		return rt.cfg->global.node;
	if (gethostname(buf, len) < 0)
		return "";
	buf[len - 1] = 0;
	return buf;
}

/* Fields we do not measure yet print 0. CumReq counts streams as HAProxy
 * does: CLI sessions, TCP sessions and accepted HTTP requests (not the
 * ones refused while parsing).
 */
static void collect(struct info_list *l)
{
	uint64_t up = (now_ms() - rt.start_ms) / 1000;
	uint64_t out = 0, cli = cli_sessions_total();
	char node[256];
	for (int i = 0; i < rt.nfe; i++)
		out += counters_fe_sum(i).bytes_out;
	add(l, 0, "Name", "POS:str", "Halyard");
	add(l, 1, "Version", "POS:str", "%s", halyard_version());
	add(l, 2, "Release_date", "POS:str", "%s", halyard_date());
	add(l, 3, "Nbthread", "CGS:u32", "%d", rt.nbthread);
	add(l, 4, "Nbproc", "CGS:u32", "1");
	add(l, 5, "Process_num", "KGP:u32", "1");
	add(l, 6, "Pid", "SGP:u32", "%d", (int)getpid());
	add(l, 7, "Uptime", "MDP:str", "%llud %lluh%02llum%02llus",
	    (unsigned long long)(up / 86400), (unsigned long long)(up % 86400 / 3600),
	    (unsigned long long)(up % 3600 / 60), (unsigned long long)(up % 60));
	add(l, 8, "Uptime_sec", "MDP:u32", "%llu", (unsigned long long)up);
	add(l, 9, "Memmax_MB", "CLP:u32", "0");
	add(l, 10, "PoolAlloc_MB", "MGP:u32", "0");
	add(l, 11, "PoolUsed_MB", "MGP:u32", "0");
	add(l, 12, "PoolFailed", "MCP:u32", "0");
	add(l, 13, "Ulimit-n", "CLP:u32", "%d", rt.ulimit_n);
	add(l, 14, "Maxsock", "CLP:u32", "%d", rt.ulimit_n);
	add(l, 15, "Maxconn", "CLP:u32", "%d", rt.maxconn);
	add(l, 16, "Hard_maxconn", "CLP:u32", "%d", rt.maxconn);
	add(l, 17, "CurrConns", "MGP:u32", "%d", atomic_load(&rt.cur_conns));
	/* like HAProxy, CLI sessions count as connections and as streams */
	add(l, 18, "CumConns", "MCP:u32", "%llu",
	    (unsigned long long)(atomic_load(&rt.cum_conns) + cli));
	add(l, 19, "CumReq", "MCP:u32", "%llu", (unsigned long long)(counters_cum_streams() + cli));
	static const struct {
		int pos;
		const char *name, *tags;
	} zeros[] = {
	    {20, "MaxSslConns", "MMP:u32"},
	    {23, "Maxpipes", "CLP:u32"},
	    {24, "PipesUsed", "MGP:u32"},
	    {25, "PipesFree", "MGP:u32"},
	    {32, "SslRate", "MRP:u32"},
	    {33, "SslRateLimit", "CLP:u32"},
	    {34, "MaxSslRate", "MMP:u32"},
	    {35, "SslFrontendKeyRate", "MGP:u32"},
	    {36, "SslFrontendMaxKeyRate", "MMP:u32"},
	    {38, "SslBackendKeyRate", "MRP:u32"},
	    {39, "SslBackendMaxKeyRate", "MMP:u32"},
	    {40, "SslCacheLookups", "MCP:u32"},
	    {41, "SslCacheMisses", "MCP:u32"},
	    {42, "CompressBpsIn", "MRP:u32"},
	    {43, "CompressBpsOut", "MRP:u32"},
	    {44, "CompressBpsRateLim", "CLP:u32"},
	    {47, "Tasks", "MGP:u32"},
	    {48, "Run_queue", "MGP:u32"},
	};
	for (size_t i = 0; i < sizeof(zeros) / sizeof(zeros[0]); i++)
		add(l, zeros[i].pos, zeros[i].name, zeros[i].tags, "0");
	struct tls_stats ts;
	tls_stats_sum(&ts);
	add(l, 21, "CurrSslConns", "MGP:u32", "%llu", ts.cur);
	add(l, 22, "CumSslConns", "MCP:u32", "%llu", ts.cum);
	add(l, 37, "SslFrontendSessionReuse_pct", "MGP:u32", "%llu",
	    ts.done ? ts.reused * 100 / ts.done : 0);
	uint64_t now = now_ms();
	add(l, 26, "ConnRate", "MRP:u32", "%u", freq_ctr_read(&rt.conn_per_sec, now));
	add(l, 27, "ConnRateLimit", "CLP:u32", "%u", atomic_load(&rt.conn_rate_lim));
	add(l, 28, "MaxConnRate", "MMP:u32", "%u", atomic_load(&rt.conn_rate_max));
	add(l, 29, "SessRate", "MRP:u32", "%u", freq_ctr_read(&rt.sess_per_sec, now));
	add(l, 30, "SessRateLimit", "CLP:u32", "%u", atomic_load(&rt.sess_rate_lim));
	add(l, 31, "MaxSessRate", "MRP:u32", "%u", atomic_load(&rt.sess_rate_max));
	add(l, 49, "Idle_pct", "MaP:u32", "100");
	add(l, 50, "node", "COS:str", "%s", node_name(node, sizeof(node)));
	if (rt.cfg->global.description)
		add(l, 51, "description", "COS:str", "%s", rt.cfg->global.description);
	add(l, 52, "Stopping", "MGP:u32", "%d", atomic_load(&rt.stopping));
	add(l, 53, "Jobs", "MGP:u32", "%d", atomic_load(&rt.cur_conns));
	add(l, 54, "Unstoppable Jobs", "MGP:u32", "0");
	add(l, 55, "Listeners", "MGP:u32", "%d", rt.nlst);
	add(l, 56, "ActivePeers", "MGP:u32", "0");
	add(l, 57, "ConnectedPeers", "MGP:u32", "0");
	add(l, 58, "DroppedLogs", "MGP:u32", "%llu", (unsigned long long)atomic_load(&log_dropped));
	add(l, 59, "BusyPolling", "MGP:u32", "0");
	add(l, 60, "FailedResolutions", "MGP:u32", "0");
	add(l, 61, "TotalBytesOut", "MGP:u64", "%llu", (unsigned long long)out);
	add(l, 62, "TotalSplicdedBytesOut", "MGP:u64", "0");
	add(l, 63, "BytesOutRate", "MRP:u64", "0");
	add(l, 64, "DebugCommandsIssued", "MGP:u32", "0");
	add(l, 65, "CumRecvLogs", "MCP:u32", "0");
	add(l, 66, "Build info", "POS:str", "%s", halyard_version());
	add(l, 67, "Memmax_bytes", "CLP:u32", "0");
	add(l, 68, "PoolAlloc_bytes", "MGP:u64", "0");
	add(l, 69, "PoolUsed_bytes", "MGP:u64", "0");
	add(l, 70, "Start_time_sec", "MDP:u32", "%ld", rt.start_time);
	add(l, 71, "Tainted", "SGP:str", "0");
	qsort(l->f, (size_t)l->n, sizeof(l->f[0]), by_pos); /* the order of HAProxy's fields */
}

struct info_snapshot *info_snapshot(void)
{
	struct info_list *l = calloc(1, sizeof(*l));
	if (l)
		collect(l);
	return (struct info_snapshot *)l;
}

const char *info_value(const struct info_snapshot *snap, const char *name)
{
	const struct info_list *l = (const struct info_list *)snap;
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->f[i].name, name))
			return l->f[i].val;
	return NULL;
}

void info_dump(struct strbuf *b, enum stats_fmt fmt)
{
	struct info_list *l = calloc(1, sizeof(*l));
	if (!l) {
		b->failed = 1;
		return;
	}
	collect(l);
	if (fmt == STATS_FMT_JSON)
		sb_put(b, "[", 1);
	for (int i = 0; i < l->n; i++) {
		const struct info_field *f = &l->f[i];
		if (fmt == STATS_FMT_CSV) {
			sb_printf(b, "%s: %s\n", f->name, f->val);
		} else if (fmt == STATS_FMT_TYPED) {
			sb_printf(b, "%d.%s.1:%s:%s\n", f->pos, f->name, f->tags, f->val);
		} else {
			sb_printf(b, "%s{\"field\":{\"pos\":%d,\"name\":\"", i ? "," : "", f->pos);
			sb_json_str(b, f->name);
			sb_puts(b, "\"},");
			stats_json_field(b, f->tags, f->val);
		}
	}
	if (fmt == STATS_FMT_JSON)
		sb_put(b, "]\n", 2);
	free(l);
}

/* "show info [typed|json]" */
static void show_info(struct cli_conn *c, char **args, int nargs)
{
	enum stats_fmt fmt = STATS_FMT_CSV;
	for (int a = 2; a < nargs; a++) {
		if (!strcmp(args[a], "typed"))
			fmt = STATS_FMT_TYPED;
		else if (!strcmp(args[a], "json"))
			fmt = STATS_FMT_JSON;
		else if (!strcmp(args[a], "desc")) {
			cli_printf(c,
			           "'show info desc' (field descriptions) is not supported yet.\n");
			return;
		}
	}
	struct strbuf b = {0};
	info_dump(&b, fmt);
	cli_printf(c, "%s", b.failed ? "Out of memory.\n" : b.p ? b.p : "");
	sb_free(&b);
}

/* The messages emitted while this process (or its master) started. */
static void show_startup_logs(struct cli_conn *c, char **args, int nargs)
{
	char *logs = startup_logs_dup(); /* other threads may be adding to them */
	cli_printf(c, "%s", logs ? logs : "Out of memory.\n");
	free(logs);
}

static const struct cli_cmd info_cmds[] = {
    {{"show", "startup-logs"},
     "show startup-logs",
     "report the messages of the start-up",
     CLI_LEVEL_OPER,
     show_startup_logs},
    {{"show", "info"},
     "show info [json|typed]*",
     "report information about the running process",
     CLI_LEVEL_USER,
     show_info},
};
CLI_REGISTER(info_cmds)
