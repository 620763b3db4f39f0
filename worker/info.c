/* "show info": process-wide information in HAProxy's field order. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/msg.h"
#include "common/version.h"
#include "worker/counters.h"
#include "worker/runtime.h"

/* Prints "Name: value" lines; fields we do not measure yet print 0.
 * CumReq counts streams as HAProxy does: CLI sessions, TCP sessions and
 * accepted HTTP requests (not the ones refused while parsing).
 */
static void show_info(struct cli_conn *c, char **args, int nargs)
{
	uint64_t up = (now_ms() - rt.start_ms) / 1000;
	char uptime[64];
	snprintf(uptime, sizeof(uptime), "%llud %lluh%02llum%02llus",
		 (unsigned long long)(up / 86400), (unsigned long long)(up % 86400 / 3600),
		 (unsigned long long)(up % 3600 / 60), (unsigned long long)(up % 60));
	uint64_t out = 0;
	for (int i = 0; i < rt.nfe; i++)
		out += counters_fe_sum(i).bytes_out;

	cli_printf(c, "Name: Halyard\nVersion: %s\nRelease_date: %s\n", halyard_version(),
		   halyard_date());
	cli_printf(c, "Nbthread: %d\nNbproc: 1\nProcess_num: 1\nPid: %d\n", rt.nbthread,
		   (int)getpid());
	cli_printf(c, "Uptime: %s\nUptime_sec: %llu\n", uptime, (unsigned long long)up);
	cli_printf(c, "Memmax_MB: 0\nPoolAlloc_MB: 0\nPoolUsed_MB: 0\nPoolFailed: 0\n");
	cli_printf(c, "Ulimit-n: %d\nMaxsock: %d\nMaxconn: %d\nHard_maxconn: %d\n", rt.ulimit_n,
		   rt.ulimit_n, rt.maxconn, rt.maxconn);
	/* like HAProxy, CLI sessions count as connections and as streams */
	uint64_t cli = cli_sessions_total();
	cli_printf(c, "CurrConns: %d\nCumConns: %llu\nCumReq: %llu\n", atomic_load(&rt.cur_conns),
		   (unsigned long long)(atomic_load(&rt.cum_conns) + cli),
		   (unsigned long long)(counters_cum_streams() + cli));
	cli_printf(c, "MaxSslConns: 0\nCurrSslConns: 0\nCumSslConns: 0\n");
	cli_printf(c, "Maxpipes: 0\nPipesUsed: 0\nPipesFree: 0\n");
	cli_printf(c, "ConnRate: 0\nConnRateLimit: 0\nMaxConnRate: 0\n");
	cli_printf(c, "SessRate: 0\nSessRateLimit: 0\nMaxSessRate: 0\n");
	cli_printf(c, "SslRate: 0\nSslRateLimit: 0\nMaxSslRate: 0\n");
	cli_printf(c, "SslFrontendKeyRate: 0\nSslFrontendMaxKeyRate: 0\n"
		      "SslFrontendSessionReuse_pct: 0\nSslBackendKeyRate: 0\n"
		      "SslBackendMaxKeyRate: 0\nSslCacheLookups: 0\nSslCacheMisses: 0\n");
	cli_printf(c, "CompressBpsIn: 0\nCompressBpsOut: 0\nCompressBpsRateLim: 0\n");
	cli_printf(c, "Tasks: 0\nRun_queue: 0\nIdle_pct: 100\nnode: %s\n",
		   rt.cfg->global.node ? rt.cfg->global.node : "");
	cli_printf(c, "Stopping: %d\nJobs: %d\nUnstoppable Jobs: 0\nListeners: %d\n",
		   atomic_load(&rt.stopping), atomic_load(&rt.cur_conns), rt.nlst);
	cli_printf(c, "ActivePeers: 0\nConnectedPeers: 0\nDroppedLogs: 0\nBusyPolling: 0\n"
		      "FailedResolutions: 0\n");
	cli_printf(c, "TotalBytesOut: %llu\nTotalSplicdedBytesOut: 0\nBytesOutRate: 0\n",
		   (unsigned long long)out);
	cli_printf(c, "DebugCommandsIssued: 0\nCumRecvLogs: 0\nBuild info: %s\n",
		   halyard_version());
	cli_printf(c, "Memmax_bytes: 0\nPoolAlloc_bytes: 0\nPoolUsed_bytes: 0\n");
	cli_printf(c, "Start_time_sec: %ld\nTainted: 0\n", rt.start_time);
}

/* The messages emitted while this process (or its master) started. */
static void show_startup_logs(struct cli_conn *c, char **args, int nargs)
{
	cli_printf(c, "%s", startup_logs());
}

static const struct cli_cmd info_cmds[] = {
	{{"show", "startup-logs"}, "show startup-logs", "report the messages of the start-up",
	 CLI_LEVEL_OPER, show_startup_logs},
	{{"show", "info"}, "show info", "report information about the running process",
	 CLI_LEVEL_USER, show_info},
};
CLI_REGISTER(info_cmds)
