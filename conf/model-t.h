/* The configuration model: what parsing produces and the worker consumes.
 * It is built once by the parser, validated, and never modified afterwards
 * (runtime-mutable server state lives in worker/ structures behind RCU).
 */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "common/addr.h"
#include "conf/log.h"

struct proxy;
struct tls_bind_cfg;
struct tls_srv_cfg;
struct h1_case_map;
struct lb_algo;
struct logfmt;
struct acl;
struct acl_cond;
struct act_rule;
struct sample_expr;

/* Timeouts in milliseconds; 0 means "not set". */
struct px_timeouts {
	uint32_t client, client_fin, server, server_fin, connect, queue, tunnel;
	uint32_t http_request, http_keep_alive, tarpit, check;
};

enum px_mode { PX_MODE_TCP = 0, PX_MODE_HTTP };

/* proxy.options bits */
#define PXO_REDISPATCH 0x0001
#define PXO_SPLICE_AUTO 0x0002
#define PXO_SPLICE_REQ 0x0004
#define PXO_SPLICE_RSP 0x0008
#define PXO_ALLBACKUPS 0x0010
#define PXO_PERSIST 0x0020
#define PXO_TCP_SMART_ACCEPT 0x0040
#define PXO_TCP_SMART_CONNECT 0x0080
#define PXO_TCPKA 0x0100
#define PXO_CLITCPKA 0x0200
#define PXO_SRVTCPKA 0x0400
#define PXO_ABORTONCLOSE 0x0800

/* HTTP connection handling (option http-keep-alive|http-server-close|httpclose) */
enum http_conn_mode { HTTP_CM_KAL = 0, HTTP_CM_SCL, HTTP_CM_CLO };

/* http-reuse never|safe|aggressive|always (safe is the default) */
enum http_reuse_mode { HTTP_REUSE_SAFE = 0, HTTP_REUSE_NEVER, HTTP_REUSE_AGGRESSIVE,
		       HTTP_REUSE_ALWAYS };

/* px_http.flags bits */
#define PXH_BUFFER_REQUEST 0x0001 /* option http-buffer-request */
#define PXH_NO_DELAY 0x0002       /* option http-no-delay */
#define PXH_ACCEPT_INV_REQ 0x0004 /* option accept-invalid-http-request */
#define PXH_ACCEPT_INV_RSP 0x0008 /* option accept-invalid-http-response */
#define PXH_CASE_BOGUS_CLI 0x0010 /* option h1-case-adjust-bogus-client */
#define PXH_CASE_BOGUS_SRV 0x0020 /* option h1-case-adjust-bogus-server */
#define PXH_IGNORE_PROBES 0x0040  /* option http-ignore-probes */

/* A network for "except" clauses: address family, address and prefix. */
struct hl_net {
	int family; /* AF_INET or AF_INET6, 0 = unset */
	uint8_t addr[16];
	int prefix;
};

/* A complete error reply: raw HTTP/1.x response bytes, ready to send. */
struct http_reply {
	int status;
	char *raw;
	size_t len;
};

/* The statuses Halyard can produce itself and lets errorfile override. */
#define HTTP_ERR_SLOTS 17
extern const int http_err_codes[HTTP_ERR_SLOTS];

/* http_err_ref.kind */
#define HTTP_ERR_REF_FILE 0  /* errorfile <code> <file> */
#define HTTP_ERR_REF_FILES 1 /* errorfiles <name> [<code>...], http-error ... errorfiles */
#define HTTP_ERR_REF_HTTP 2  /* http-error status <code> ... */

/* One errorfile/errorfiles/http-error line, resolved at validation. */
struct http_err_ref {
	int kind;     /* 0 errorfile, 1 errorfiles, 2 http-error */
	int status;   /* errorfile/http-error status; errorfiles: -1 = every status */
	unsigned slot_mask; /* errorfiles with codes: bit i for http_err_codes[i] */
	char *arg;    /* file path, http-errors section name, or NULL */
	struct http_reply *reply; /* errorfile/http-error: loaded reply, NULL = built-in */
	char *file;
	int line;
	struct http_err_ref *next;
};

/* An "http-errors <name>" section: a reply per http_err_codes slot. */
struct http_errors_sect {
	char *name;
	char *file;
	int line;
	struct http_reply *replies[HTTP_ERR_SLOTS]; /* owned; NULL = not declared */
	struct http_errors_sect *next;
};

/* HTTP settings of a proxy (conf/http.c), inherited from defaults. */
struct px_http {
	enum http_conn_mode conn_mode;
	enum http_reuse_mode reuse;
	unsigned flags;    /* PXH_* */
	unsigned flags_set;
	char *fwdfor_hdr;  /* option forwardfor: header name, NULL = off */
	struct hl_net fwdfor_except;
	int fwdfor_if_none;
	char *origto_hdr;  /* option originalto: header name, NULL = off */
	struct hl_net origto_except;
	char *monitor_uri;
	struct http_err_ref *err_refs; /* in file order */
	/* resolved at validation: reply per http_err_codes slot, NULL = built-in */
	const struct http_reply *errmsg[HTTP_ERR_SLOTS];
};

enum hash_type_method { HASH_MAP_BASED = 0, HASH_CONSISTENT };
enum hash_fn { HASH_FN_SDBM = 0, HASH_FN_DJB2, HASH_FN_WT6, HASH_FN_CRC32, HASH_FN_NONE };

/* Load-balancing settings of a backend. */
struct lb_cfg {
	const struct lb_algo *algo; /* registered algorithm (worker/lb-*.c) */
	char *arg;                  /* algorithm argument, e.g. "2" for random(2) */
	int arg_int;
	int arg_opt;   /* algorithm flags, e.g. uri "whole" (worker/lb-http.c) */
	int arg_len;   /* uri "len": characters hashed at most, 0 = all */
	int arg_depth; /* uri "depth": directory levels hashed at most, 0 = all */
	enum hash_type_method hash_method;
	enum hash_fn hash_fn;
	int hash_avalanche;
	int hash_balance_factor; /* percent, 0 = off */
};

/* A listening address and its options ("bind" line, one per address/port). */
struct bind_conf {
	struct hl_addr addr;
	char *name;
	char *file;
	int line;
	int backlog;  /* 0 = use maxconn-derived default */
	int maxconn;  /* 0 = frontend's */
	int v4v6, v6only, transparent, accept_proxy, nodelay, defer_accept, tfo;
	int ux_mode;  /* unix socket permissions, -1 = default */
	uid_t ux_uid;
	gid_t ux_gid;
	int ux_uid_set, ux_gid_set;
	char *interface;
	int mss;
	int shards; /* listening sockets per address, 0 = default */
	struct tls_bind_cfg *tls; /* TLS options (conf/ssl-bind.h), NULL: none */
	struct proxy *px;
	struct bind_conf *next;
};

/* Settings of a server, also used for "default-server". */
/* Passive health observation ("observe") and its reaction ("on-error"). */
enum srv_observe { SRV_OBS_NONE = 0, SRV_OBS_LAYER4, SRV_OBS_LAYER7 };
enum srv_on_error {
	SRV_ONERR_FAILCHK = 0, /* default: count as a failed check */
	SRV_ONERR_FASTINTER,
	SRV_ONERR_SUDDTH,
	SRV_ONERR_MARKDWN
};

struct server_cfg {
	/* read by every request sent to the server: kept together */
	struct tls_srv_cfg *tls;   /* TLS towards the server (conf/ssl-server.h), NULL: none */
	int maxconn;  /* 0 = unlimited */
	int minconn;
	int send_proxy;     /* 0, 1 (v1) or 2 (v2) */
	int check;          /* health checks requested */
	int pool_max_conn;         /* idle connections kept, -1 = unlimited */
	int pool_low_conn;         /* idle connections before reuse is preferred */
	uint32_t pool_purge_delay; /* ms between idle pool purges */
	int observe;               /* enum srv_observe: passive health observation */
	/* the rest */
	int weight;   /* 0..256 */
	int maxqueue; /* 0 = unlimited */
	int backup;
	int disabled;
	uint32_t slowstart; /* ms */
	int redir_port;
	uint32_t inter, fastinter, downinter; /* check intervals (ms), 0 = default */
	int rise, fall;     /* consecutive results to change state, 0 = default */
	int check_port;     /* 0 = the server's port */
	struct hl_addr check_addr;
	int check_addr_set;
	int check_send_proxy;  /* check-send-proxy: PROXY header on checks whatever port/addr */
	int agent_check;       /* agent-check */
	int agent_port;        /* 0 = none (the agent check is refused) */
	uint32_t agent_inter;  /* ms, 0 = default */
	struct hl_addr agent_addr;
	int agent_addr_set;
	char *agent_send;      /* NULL = send nothing */
	char *track;           /* track [<backend>/]<server>, NULL = none */
	struct hl_addr source;
	int source_set;
	int error_limit;           /* consecutive observed errors for on-error, 0 = default */
	int on_error;              /* enum srv_on_error */
	int on_marked_down;        /* 1 = shutdown-sessions */
	int on_marked_up;          /* 1 = shutdown-backup-sessions */
	struct tls_srv_cfg *check_tls; /* TLS under its health checks, NULL: clear text */
};

struct server {
	char *id;
	int puid; /* numeric id ("id" keyword or automatic) */
	int puid_set;
	char *file;
	int line;
	struct hl_addr addr;
	struct server_cfg cfg;
	struct server *tracked; /* "track" resolved at validation, NULL = none */
	struct proxy *px;
	struct server *next;
};

/* A use_backend rule: a fixed backend name, or a log-format computing it
 * at run time ("%[...]" in the name).
 */
struct switching_rule {
	char *be_name;
	struct proxy *be;        /* resolved at validation; NULL for a dynamic name */
	struct logfmt *dyn_name; /* dynamic name, NULL for a fixed one */
	struct acl_cond *cond;   /* NULL: always */
	char *file;
	int line;
	struct switching_rule *next;
};

/* A capture slot of a frontend: a header to capture ("capture request
 * header"), or a place for a capture rule ("declare capture", "capture
 * <sample> len <n>", where <hdr> is NULL).
 */
struct cap_slot {
	char *hdr; /* lower case */
	int len;
};

/* A use-server rule. */
struct server_rule {
	char *name;
	struct server *srv; /* resolved at validation */
	struct acl_cond *cond;
	char *file;
	int line;
	struct server_rule *next;
};

/* Rule sets of a proxy (conf/rules.h). */
enum ruleset {
	RS_TCP_CONN = 0,
	RS_TCP_SESS,
	RS_TCP_REQ,
	RS_TCP_RES,
	RS_HTTP_REQ,
	RS_HTTP_RES,
	RS_HTTP_AFTER,
	RS_NUM
};
#define RS_F(rs) (1u << (rs))
#define RS_F_TCP_CONN RS_F(RS_TCP_CONN)
#define RS_F_TCP_SESS RS_F(RS_TCP_SESS)
#define RS_F_TCP_REQ RS_F(RS_TCP_REQ)
#define RS_F_TCP_RES RS_F(RS_TCP_RES)
#define RS_F_HTTP_REQ RS_F(RS_HTTP_REQ)
#define RS_F_HTTP_RES RS_F(RS_HTTP_RES)
#define RS_F_HTTP_AFTER RS_F(RS_HTTP_AFTER)

/* Variable actions of health checks ("tcp-check set-var(<name>) <expr>",
 * "set-var-fmt(<name>) <fmt>", "unset-var(<name>)", same for http-check),
 * run when the check reaches them.
 */
enum chk_var_kind { CVA_SET, CVA_SET_FMT, CVA_UNSET };

struct chk_var_act {
	enum chk_var_kind kind;
	int scope, id;            /* struct var_ref of common/vars.h */
	unsigned conds;           /* VSET_* */
	struct sample_expr *expr; /* CVA_SET */
	struct logfmt *fmt;       /* CVA_SET_FMT */
	struct chk_var_act *next;
};

/* What an expect rule reports: "on-success" and "on-error" texts (the
 * check's info) and "status-code" (the check's code), evaluated when the
 * rule decides the check.
 */
struct chk_report {
	struct logfmt *on_success, *on_error; /* NULL: not set */
	struct sample_expr *status_code;      /* NULL: not set */
};

/* HTTP health checks of a backend ("option httpchk", "http-check ..."). */
enum httpchk_kind { HCE_STATUS, HCE_RSTATUS, HCE_STRING, HCE_RSTRING, HCE_STRING_LF, HCE_HDR };

/* Matching method of a header pattern ("-m"): exact, prefix, suffix,
 * substring or regex.
 */
enum httpchk_meth { HCM_STR, HCM_BEG, HCM_END, HCM_SUB, HCM_REG };

/* A header name or value pattern of "http-check expect hdr|fhdr". */
struct httpchk_hdr_pat {
	enum httpchk_meth meth;
	char *text;         /* as written */
	struct logfmt *fmt; /* name-lf / value-lf: rendered per check */
	void *re;           /* HCM_REG: compiled pcre2_code */
};

struct httpchk_expect {
	enum httpchk_kind kind;
	int inverse;     /* "!": the match must fail */
	char *pattern;   /* as written */
	void *re;        /* HCE_RSTATUS/HCE_RSTRING: compiled pcre2_code */
	struct logfmt *fmt; /* HCE_STRING_LF: the pattern, rendered per check */
	int (*ranges)[2]; /* HCE_STATUS: nranges [lo, hi] status ranges */
	int nranges;
	/* HCE_HDR: a header whose name matches <hname> and, when <has_value>,
	 * whose value (each comma-separated one, unless <full>) matches <hvalue>
	 */
	struct httpchk_hdr_pat hname, hvalue;
	int has_value;
	int full;                               /* fhdr: whole values */
	char *comment;                          /* "comment" option */
	int ok_status, err_status, tout_status; /* enum check_result, 0: default */
	struct chk_report rep;
	struct chk_var_act *after; /* variable actions written after this rule */
	struct httpchk_expect *next;
};

struct httpchk_hdr {
	char *name, *value;
	struct logfmt *fmt; /* the value, when it holds an expression */
	struct httpchk_hdr *next;
};

struct px_httpchk {
	int enabled;                     /* option httpchk */
	char *meth, *uri, *ver;          /* NULL: "OPTIONS", "/", "HTTP/1.0" */
	struct httpchk_hdr *hdrs;        /* http-check send hdr, in order */
	char *body;                      /* http-check send body */
	struct logfmt *uri_fmt, *body_fmt; /* uri-lf, body-lf (replace uri, body) */
	struct chk_var_act *pre_vars;      /* variable actions before the first expect */
	int own_vars;                      /* pre_vars set here, not inherited */
	int send_seen;                   /* an "http-check send" in this proxy */
	struct httpchk_expect *expects;  /* all must match; NULL: 2xx/3xx */
	int own_expects;                 /* expects set here, not inherited */
	int disable_on_404, send_state;
	unsigned own; /* HCO_*: fields allocated by this section (freed on replacement) */
};

#define HCO_METH 0x01
#define HCO_URI 0x02
#define HCO_VER 0x04
#define HCO_BODY 0x08
#define HCO_URI_FMT 0x10
#define HCO_BODY_FMT 0x20

/* tcp-check rules ("option tcp-check" and "tcp-check ...", and the rules
 * the protocol checks build: "option smtpchk", "option redis-check"...).
 */
enum tcpchk_act { TCA_CONNECT, TCA_SEND, TCA_EXPECT, TCA_COMMENT, TCA_VAR };
enum tcpchk_match {
	TCM_STRING,
	TCM_RSTRING,
	TCM_BINARY,
	TCM_RBINARY,
	TCM_CUSTOM,
	TCM_STRING_LF,
	TCM_BINARY_LF
};

/* Built-in evaluators of protocol checks (TCM_CUSTOM). */
enum tcpchk_custom { TCC_NONE, TCC_MYSQL_INIT, TCC_MYSQL_OK, TCC_LDAP_BIND };

/* Info text a protocol check takes from the response. */
enum tcpchk_text { TCT_NONE, TCT_FIXED, TCT_LINE, TCT_CSTR };

struct tcpchk_text_spec {
	enum tcpchk_text kind;
	int off;          /* TCT_LINE/TCT_CSTR: first byte of the response used */
	int ltrim;        /* TCT_LINE: skip leading spaces */
	const char *text; /* TCT_FIXED (static) */
};

struct tcpchk_rule {
	enum tcpchk_act act;
	int index;     /* position in the list; HAProxy's step number is index + 1 */
	char *comment; /* "comment" option, or the text of a comment rule */
	/* connect */
	int port;       /* 0: the check port */
	struct hl_addr addr;
	int addr_set;
	int send_proxy; /* 1: PROXY header first (v2 when the server sends v2) */
	int linger;     /* close with a FIN, not a reset (the default) */
	int dflt;       /* "default": the server's check settings apply (PROXY header) */
	/* send, and the pattern of string/binary expects */
	char *data;
	size_t len;
	int stamp_at; /* send: offset of a 4-byte big-endian time() to fill in, -1: none */
	/* send-lf, send-binary-lf, expect string-lf|binary-lf: <data> as
	 * written, rendered per check; <fmt_hex>: the result is hexadecimal
	 */
	struct logfmt *fmt;
	int fmt_hex;
	struct chk_var_act *var; /* TCA_VAR */
	struct chk_report rep;   /* expect: on-success, on-error, status-code */
	/* expect */
	enum tcpchk_match match;
	int inverse;
	int min_recv; /* -1: unset */
	void *re;     /* TCM_RSTRING/TCM_RBINARY: compiled pcre2_code */
	int ok_status, err_status, tout_status; /* enum check_result, 0: default */
	enum tcpchk_custom custom;
	struct tcpchk_text_spec on_success, on_error;
	int code_from_reply; /* status code = the first three digits of the reply */
	struct tcpchk_rule *next;
};

enum tcpchk_kind {
	TCK_NONE = 0, /* no tcp-check based check (layer 4 or option httpchk) */
	TCK_TCP,      /* option tcp-check: the tcp-check rules */
	TCK_PROTO,    /* a protocol check: its built-in rules (proto_rules) */
};

struct px_tcpchk {
	enum tcpchk_kind kind;
	struct tcpchk_rule *rules;       /* tcp-check lines, in order */
	int own_rules;                   /* rules set in this section, not inherited */
	struct tcpchk_rule *proto_rules; /* TCK_PROTO */
	const char *proto_name;          /* "smtpchk"... (for messages) */
};

struct stats_page_cfg;

struct proxy {
	char *id;
	unsigned cap; /* PX_CAP_* */
	int uuid;
	int uuid_set;
	char *file;
	int line;
	int disabled;
	char *description;

	/* settings inherited from defaults (copied by proxy_inherit()) */
	enum px_mode mode;
	struct px_timeouts to;
	int maxconn;
	int fullconn;
	int retries;
	int redispatch_interval; /* option redispatch <interval>: 1 = every retry */
	unsigned options;        /* PXO_* */
	unsigned options_set;    /* PXO_* given explicitly in this section */
	struct lb_cfg lb;
	struct server_cfg defsrv; /* default-server */
	struct hl_addr source;
	int source_set;
	char *default_backend_name;
	struct px_http http;
	struct px_httpchk httpchk; /* shallow copy: parsers never modify shared parts */
	struct px_tcpchk tcpchk;   /* same */

	struct stats_page_cfg *stats; /* "stats" page settings; shared with defaults until set */
	struct px_log log;            /* targets and formats (conf/log.h) */

	/* own content, never inherited */
	struct bind_conf *binds;
	struct server *servers;
	int nb_servers;
	struct switching_rule *switching_rules;
	struct acl *acls;                    /* "acl" lines, and anonymous/predefined ones used */
	struct act_rule *rules[RS_NUM];      /* in file order */
	struct act_rule *redirect_rules;     /* "redirect" keyword lines */
	struct server_rule *server_rules;    /* "use-server" lines */
	struct acl_cond *monitor_fail;       /* "monitor fail" conditions, ORed */
	struct cap_slot *caps[2];            /* request/response capture slots, in order */
	int ncaps[2];
	char *cap_cookie;                    /* "capture cookie" name, NULL: none */
	int cap_cookie_len;                  /* its "len", at most 63 as in HAProxy */
	uint32_t tcp_req_inspect_delay;      /* ms, 0 = none */
	uint32_t tcp_res_inspect_delay;
	int load_state;        /* load-server-state-from-file: SRV_STATE_LOAD_* (inherited) */
	int sess_rate_lim;     /* rate-limit sessions (inherited), 0 = unlimited */
	char *state_file_name; /* server-state-file-name, NULL: the backend's name */
	struct proxy *default_backend; /* resolved at validation */
	struct proxy *defaults;        /* the defaults section it inherited from */
	struct proxy *next;
};

struct userlist_user {
	char *name;
	char *pass;
	int insecure; /* insecure-password: clear text */
	char *groups;
	const char *file; /* where it is declared (the userlist's file) */
	int line;
	struct userlist_user *next;
};

struct userlist_group {
	char *name;
	char *users;
	const char *file; /* where it is declared (the userlist's file) */
	int line;
	struct userlist_group *next;
};

struct userlist {
	char *name;
	char *file;
	int line;
	struct userlist_user *users;
	struct userlist_group *groups;
	struct userlist *next;
};

/* A "stats socket" line: parsed now, served by the runtime API. */
struct stats_socket_cfg {
	struct bind_conf bind;
	int level; /* 0 user, 1 operator, 2 admin */
	int expose_fd;
	struct stats_socket_cfg *next;
};

/* load-server-state-from-file */
#define SRV_STATE_LOAD_NONE 0
#define SRV_STATE_LOAD_GLOBAL 1
#define SRV_STATE_LOAD_LOCAL 2

struct global_cfg {
	char *server_state_base; /* server-state-base */
	char *server_state_file; /* server-state-file */
	int maxconnrate;         /* accepted connections per second, 0 = unlimited */
	int maxsessrate;         /* sessions per second, 0 = unlimited */
	int maxconn;
	int nbthread; /* 0 = automatic */
	int thread_groups;
	int daemon;
	int master_worker;
	int mworker_no_exit_on_failure;
	int mworker_max_reloads;
	char *pidfile;
	char *chroot;
	uid_t uid;
	gid_t gid;
	int uid_set, gid_set;
	int ulimit_n;
	uint32_t hard_stop_after; /* ms, 0 = never */
	uint32_t close_spread_time;
	uint32_t grace;
	int zero_warning;
	int insecure_setuid_wanted;
	int insecure_fork_wanted;
	int quiet;
	int nosplice;
	int noreuseport;
	uint32_t stats_timeout;
	int stats_maxconn;
	int cli_frontend; /* a "stats socket/timeout/maxconn" line was seen: HAProxy
	                   * then creates its CLI frontend, which takes a proxy id */
	char *node;
	char *description;
	uint32_t tune_bufsize;
	uint32_t tune_maxrewrite;  /* resolved at validation (1024, at most bufsize/2) */
	int tune_maxrewrite_set;   /* tune.maxrewrite given */
	int tune_http_maxhdr;      /* default 101 */
	struct h1_case_map *h1_case_adjust; /* h1-case-adjust entries, NULL = none */
	int tune_maxaccept;
	int tune_maxpollevents;
	int spread_checks;          /* spread-checks: % of jitter on check intervals */
	uint32_t max_spread_checks; /* ms, 0: the first checks spread over an interval */
	struct stats_socket_cfg *stats_sockets;
};

/* The whole configuration. */
struct config {
	struct global_cfg global;
	struct proxy *proxies;   /* frontends, backends and listens, in file order */
	struct proxy *defaults;  /* every defaults section, in file order */
	struct userlist *userlists;
	struct http_errors_sect *http_errors; /* http-errors sections, in file order */
	struct proxy *cur_defaults; /* while parsing: defaults new proxies inherit */
	int next_uuid;              /* while parsing: next automatic proxy id */
	char **files;            /* files loaded, in order */
	int nb_files;
};

/* Parser state given to keyword and section parsers. */
struct cfg_ctx {
	struct config *cfg;
	const char *file;
	int line;
	const struct cfg_section *sect; /* current section type, NULL before the first */
	const char *sect_name;          /* its name, or its type when unnamed */
	char sect_name_buf[256];
	struct proxy *px;               /* current proxy (proxy sections) */
	void *target;                   /* bind/server options: object being set */
	struct userlist *ul;            /* current userlist */
	void *sect_data;                /* object of the current section, for its module */
	int inverse;                    /* keyword prefixed with "no" */
	int reset;                      /* keyword prefixed with "default" */
	int skip_section;               /* body of a section not supported yet */
};
