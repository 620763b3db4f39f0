/* Columns of "show stat" in HAProxy 2.6 order, and for each kind of row
 * which columns hold a value ('1') and which stay empty ('0') in TCP mode
 * and in HTTP mode (the proxy's own mode), as HAProxy prints them for a
 * server without maxconn nor check. Generated once from HAProxy 2.6's output.
 */
#include "worker/stats-cols.h"

const char *const stat_cols[STAT_NCOLS] = {
	"pxname", "svname", "qcur", "qmax", "scur", "smax",
	"slim", "stot", "bin", "bout", "dreq", "dresp",
	"ereq", "econ", "eresp", "wretr", "wredis", "status",
	"weight", "act", "bck", "chkfail", "chkdown", "lastchg",
	"downtime", "qlimit", "pid", "iid", "sid", "throttle",
	"lbtot", "tracked", "type", "rate", "rate_lim", "rate_max",
	"check_status", "check_code", "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx",
	"hrsp_4xx", "hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max",
	"req_tot", "cli_abrt", "srv_abrt", "comp_in", "comp_out", "comp_byp",
	"comp_rsp", "lastsess", "last_chk", "last_agt", "qtime", "ctime",
	"rtime", "ttime", "agent_status", "agent_code", "agent_duration", "check_desc",
	"agent_desc", "check_rise", "check_fall", "check_health", "agent_rise", "agent_fall",
	"agent_health", "addr", "cookie", "mode", "algo", "conn_rate",
	"conn_rate_max", "conn_tot", "intercepted", "dcon", "dses", "wrew",
	"connect", "reuse", "cache_lookups", "cache_hits", "srv_icur", "src_ilim",
	"qtime_max", "ctime_max", "rtime_max", "ttime_max", "eint", "idle_conn_cur",
	"safe_conn_cur", "used_conn_cur", "need_conn_est", "uweight", "agg_server_status", "agg_server_check_status",
	"agg_check_status", "-", "ssl_sess", "ssl_reused_sess", "ssl_failed_handshake", "h2_headers_rcvd",
	"h2_data_rcvd", "h2_settings_rcvd", "h2_rst_stream_rcvd", "h2_goaway_rcvd", "h2_detected_conn_protocol_errors", "h2_detected_strm_protocol_errors",
	"h2_rst_stream_resp", "h2_goaway_resp", "h2_open_connections", "h2_backend_open_streams", "h2_total_connections", "h2_backend_total_streams",
	"h1_open_connections", "h1_open_streams", "h1_total_connections", "h1_total_streams", "h1_bytes_in", "h1_bytes_out",
	"h1_spliced_bytes_in", "h1_spliced_bytes_out",
};

const char stat_present_fe[STAT_NCOLS + 1] =
	"1100111111111000010000000011100011110000000000111001111000000000"
	"0000000000010111011100000000001000000001111111111111111111111111";

const char stat_present_be[STAT_NCOLS + 1] =
	"1111111111110111111110111011101011010000000000000111111100111100"
	"0000000000011000000111000011111000011111111111111111111111111111";

const char stat_present_srv[STAT_NCOLS + 1] =
	"1111110111010111111110010011101011010000000000000110000100111100"
	"0000000001010000000111001011111111110001111000000000000000000000";

const char stat_present_fe_http[STAT_NCOLS + 1] =
	"1100111111111000010000000011100011110001111110111001111000000000"
	"0000000000010111111100110000001000000001111111111111111111111111";

const char stat_present_be_http[STAT_NCOLS + 1] =
	"1111111111110111111110111011101011010001111110001111111100111100"
	"0000000000011000000111110011111000011111111111111111111111111111";

const char stat_present_srv_http[STAT_NCOLS + 1] =
	"1111110111010111111110010011101011010001111110001110000100111100"
	"0000000001010000000111001011111111110001111000000000000000000000";
