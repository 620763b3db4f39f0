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

/* Tags and type of each column as "show stat typed" prints them, for a
 * frontend, a backend and a server row ("" where HAProxy never fills it):
 * origin, nature and scope letters, then the value type. Captured from
 * HAProxy 2.6's typed output.
 */
const char *const stat_tags[STAT_NCOLS][3] = {
    {"KNS:str", "KNS:str", "KNS:str"}, /* pxname */
    {"KNS:str", "KNS:str", "KNS:str"}, /* svname */
    {"", "MGP:u32", "MGP:u32"},        /* qcur */
    {"", "MMP:u32", "MMP:u32"},        /* qmax */
    {"MGP:u32", "MGP:u32", "MGP:u32"}, /* scur */
    {"MMP:u32", "MMP:u32", "MMP:u32"}, /* smax */
    {"CLP:u32", "CLP:u32", "CLP:u32"}, /* slim */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* stot */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* bin */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* bout */
    {"MCP:u64", "MCP:u64", ""},        /* dreq */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* dresp */
    {"MCP:u64", "", ""},               /* ereq */
    {"", "MCP:u64", "MCP:u64"},        /* econ */
    {"", "MCP:u64", "MCP:u64"},        /* eresp */
    {"", "MCP:u64", "MCP:u64"},        /* wretr */
    {"", "MCP:u64", "MCP:u64"},        /* wredis */
    {"SGP:str", "SGP:str", "SGP:str"}, /* status */
    {"", "MaP:u32", "MaP:u32"},        /* weight */
    {"", "MGP:u32", "SGP:u32"},        /* act */
    {"", "MGP:u32", "SGP:u32"},        /* bck */
    {"", "", "MCP:u64"},               /* chkfail */
    {"", "MCP:u64", "MCP:u64"},        /* chkdown */
    {"", "MAP:u32", "MAP:u32"},        /* lastchg */
    {"", "MCP:u32", "MCP:u32"},        /* downtime */
    {"", "", ""},                      /* qlimit */
    {"KGP:u32", "KGP:u32", "KGP:u32"}, /* pid */
    {"KGS:u32", "KGS:u32", "KGS:u32"}, /* iid */
    {"KGS:u32", "KGS:u32", "KGS:u32"}, /* sid */
    {"", "", ""},                      /* throttle */
    {"", "MCP:u64", "MCP:u64"},        /* lbtot */
    {"", "", "CNS:str"},               /* tracked */
    {"CGS:u32", "CGS:u32", "CGS:u32"}, /* type */
    {"MRP:u32", "MGP:u32", "MRP:u32"}, /* rate */
    {"CLP:u32", "", ""},               /* rate_lim */
    {"MMP:u32", "MGP:u32", "MMP:u32"}, /* rate_max */
    {"", "", "MOP:str"},               /* check_status */
    {"", "", "MOP:u32"},               /* check_code */
    {"", "", "MDP:u64"},               /* check_duration */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* hrsp_1xx */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* hrsp_2xx */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* hrsp_3xx */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* hrsp_4xx */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* hrsp_5xx */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* hrsp_other */
    {"", "", "MCP:u64"},               /* hanafail */
    {"MRP:u32", "", ""},               /* req_rate */
    {"MMP:u32", "", ""},               /* req_rate_max */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* req_tot */
    {"", "MCP:u64", "MCP:u64"},        /* cli_abrt */
    {"", "MCP:u64", "MCP:u64"},        /* srv_abrt */
    {"MCP:u64", "MCP:u64", ""},        /* comp_in */
    {"MCP:u64", "MCP:u64", ""},        /* comp_out */
    {"MCP:u64", "MCP:u64", ""},        /* comp_byp */
    {"MCP:u64", "MCP:u64", ""},        /* comp_rsp */
    {"", "MAP:s32", "MAP:s32"},        /* lastsess */
    {"", "", "MOP:str"},               /* last_chk */
    {"", "", "MOP:str"},               /* last_agt */
    {"", "MaP:u32", "MaP:u32"},        /* qtime */
    {"", "MaP:u32", "MaP:u32"},        /* ctime */
    {"", "MaP:u32", "MaP:u32"},        /* rtime */
    {"", "MaP:u32", "MaP:u32"},        /* ttime */
    {"", "", "MOP:str"},               /* agent_status */
    {"", "", "MOP:u32"},               /* agent_code */
    {"", "", "MDP:u64"},               /* agent_duration */
    {"", "", "MOP:str"},               /* check_desc */
    {"", "", "MOP:str"},               /* agent_desc */
    {"", "", "CGS:u32"},               /* check_rise */
    {"", "", "CGS:u32"},               /* check_fall */
    {"", "", "CGS:u32"},               /* check_health */
    {"", "", "CGS:u32"},               /* agent_rise */
    {"", "", "CGS:u32"},               /* agent_fall */
    {"", "", "CGS:u32"},               /* agent_health */
    {"", "", "CGS:str"},               /* addr */
    {"", "", ""},                      /* cookie */
    {"CGS:str", "CGS:str", "CGS:str"}, /* mode */
    {"", "CGS:str", ""},               /* algo */
    {"MRP:u32", "", ""},               /* conn_rate */
    {"MMP:u32", "", ""},               /* conn_rate_max */
    {"MCP:u64", "", ""},               /* conn_tot */
    {"MCP:u64", "", ""},               /* intercepted */
    {"MCP:u64", "", ""},               /* dcon */
    {"MCP:u64", "", ""},               /* dses */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* wrew */
    {"", "MCP:u64", "MCP:u64"},        /* connect */
    {"", "MCP:u64", "MCP:u64"},        /* reuse */
    {"MCP:u64", "MCP:u64", ""},        /* cache_lookups */
    {"MCP:u64", "MCP:u64", ""},        /* cache_hits */
    {"", "", "MGP:u32"},               /* srv_icur */
    {"", "", ""},                      /* src_ilim */
    {"", "MMP:u32", "MMP:u32"},        /* qtime_max */
    {"", "MMP:u32", "MMP:u32"},        /* ctime_max */
    {"", "MMP:u32", "MMP:u32"},        /* rtime_max */
    {"", "MMP:u32", "MMP:u32"},        /* ttime_max */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* eint */
    {"", "", "MGP:u32"},               /* idle_conn_cur */
    {"", "", "MGP:u32"},               /* safe_conn_cur */
    {"", "", "MGP:u32"},               /* used_conn_cur */
    {"", "", "MGP:u32"},               /* need_conn_est */
    {"", "MaP:u32", "MaP:u32"},        /* uweight */
    {"", "MGP:u32", ""},               /* agg_server_status */
    {"", "MGP:u32", ""},               /* agg_server_check_status */
    {"", "MGP:u32", ""},               /* agg_check_status */
    {"", "", ""},                      /* - */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* ssl_sess */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* ssl_reused_sess */
    {"MCP:u64", "MCP:u64", "MCP:u64"}, /* ssl_failed_handshake */
    {"MCP:u64", "MCP:u64", ""},        /* h2_headers_rcvd */
    {"MCP:u64", "MCP:u64", ""},        /* h2_data_rcvd */
    {"MCP:u64", "MCP:u64", ""},        /* h2_settings_rcvd */
    {"MCP:u64", "MCP:u64", ""},        /* h2_rst_stream_rcvd */
    {"MCP:u64", "MCP:u64", ""},        /* h2_goaway_rcvd */
    {"MCP:u64", "MCP:u64", ""},        /* h2_detected_conn_protocol_errors */
    {"MCP:u64", "MCP:u64", ""},        /* h2_detected_strm_protocol_errors */
    {"MCP:u64", "MCP:u64", ""},        /* h2_rst_stream_resp */
    {"MCP:u64", "MCP:u64", ""},        /* h2_goaway_resp */
    {"MGP:u64", "MGP:u64", ""},        /* h2_open_connections */
    {"MGP:u64", "MGP:u64", ""},        /* h2_backend_open_streams */
    {"MCP:u64", "MCP:u64", ""},        /* h2_total_connections */
    {"MCP:u64", "MCP:u64", ""},        /* h2_backend_total_streams */
    {"MGP:u64", "MGP:u64", ""},        /* h1_open_connections */
    {"MGP:u64", "MGP:u64", ""},        /* h1_open_streams */
    {"MCP:u64", "MCP:u64", ""},        /* h1_total_connections */
    {"MCP:u64", "MCP:u64", ""},        /* h1_total_streams */
    {"MCP:u64", "MCP:u64", ""},        /* h1_bytes_in */
    {"MCP:u64", "MCP:u64", ""},        /* h1_bytes_out */
    {"MCP:u64", "MCP:u64", ""},        /* h1_spliced_bytes_in */
    {"MCP:u64", "MCP:u64", ""},        /* h1_spliced_bytes_out */
};
