/* Logging settings of the configuration: "log" targets (global and per
 * proxy), the global "log-send-hostname" and "log-tag", and the per-proxy
 * log format keywords ("log-format", "option httplog|tcplog", "option
 * dontlognull"...). The worker sends the lines (worker/log.c).
 */
#pragma once
#include <stdint.h>
#include <sys/socket.h>

#include "common/addr.h"

struct logfmt;

/* Header layouts of a log line ("format" of a "log" line). */
enum log_format {
	LOG_FMT_RFC3164 = 0, /* <PRI>Mmm dd hh:mm:ss [host ]tag[pid]: */
	LOG_FMT_LOCAL,       /* the same without the host name */
	LOG_FMT_RFC5424,     /* <PRI>1 ISO-time host tag pid - sd */
	LOG_FMT_PRIORITY,    /* <PRI> */
	LOG_FMT_SHORT,       /* <level> */
	LOG_FMT_TIMED,       /* <level>ISO-time */
	LOG_FMT_ISO,         /* ISO-time */
	LOG_FMT_RAW,         /* the message alone */
};

enum log_target_kind {
	LOG_TGT_DGRAM = 0, /* UDP or unix datagram socket address */
	LOG_TGT_FD,        /* file descriptor: fd@N, stdout, stderr */
	LOG_TGT_RING,      /* ring@<name>, or the implicit ring of tcp@<addr> */
};

struct ring_cfg;

/* One "log" line: where to send, how to frame, what to keep. */
struct log_target {
	enum log_target_kind kind;
	struct sockaddr_storage addr; /* LOG_TGT_DGRAM */
	socklen_t addrlen;
	int fd;                /* LOG_TGT_FD */
	char *ring_name;       /* LOG_TGT_RING: resolved at validation into <ring> */
	struct ring_cfg *ring; /* its format and maxlen apply */
	enum log_format format;
	int format_set; /* "format" given: rfc3164 then always names a host */
	int maxlen;   /* bytes per line, header and newline included */
	int facility; /* 0..23 */
	int level;    /* lines above this level (less severe) are not sent */
	int minlevel; /* more severe lines are sent at this level */
	/* "sample <ranges>:<size>": line i (from 1, modulo size) is sent when
	 * one of the ranges holds it
	 */
	int smp_size;
	int smp_nranges;
	struct {
		int lo, hi;
	} * smp_ranges;
	_Atomic unsigned *smp_count; /* lines seen, shared by copies of the line */
	char *text;                  /* the line as written, for messages */
	struct log_target *next;
};

/* Proxy logging flags (struct px_log.flags). */
#define PXL_DONTLOGNULL 0x01
#define PXL_SEPARATE_ERRORS 0x02
#define PXL_DONTLOG_NORMAL 0x04
#define PXL_LOG_HEALTH_CHECKS 0x08
#define PXL_LOGASAP 0x10

/* Which built-in format "log-format" holds (for messages and checks). */
enum px_log_kind { PXL_FMT_NONE = 0, PXL_FMT_TCP, PXL_FMT_HTTP, PXL_FMT_CLF, PXL_FMT_CUSTOM };

struct px_log {
	struct log_target *targets; /* own copies, in order */
	int no_log;                 /* "no log" seen: inherit nothing */
	char *tag;                  /* "log-tag", NULL: the global one */
	enum px_log_kind kind;
	char *format;    /* log-format text (built-in ones included), NULL: no traffic log */
	char *format_sd; /* log-format-sd */
	char *uid_format; /* unique-id-format */
	char *uid_header; /* unique-id-header */
	unsigned flags;   /* PXL_* */
	unsigned flags_set;
	const char *fmt_file; /* where "log-format" was set, for messages */
	int fmt_line;
	const char *sd_file; /* where "log-format-sd" was set */
	int sd_line;
	const char *uid_file; /* where "unique-id-format" was set */
	int uid_line;
	/* compiled at validation */
	struct logfmt *lf, *lf_sd, *lf_uid;
};

/* Global logging settings. */
struct global_log {
	struct log_target *targets;
	char *send_hostname; /* NULL: not sent; else the name */
	char *tag;           /* NULL: the program name */
	long uri_len;        /* tune.http.logurilen, if uri_len_set (else 1024) */
	int uri_len_set;
};

extern struct global_log global_log;

/* Parses "log <target> ... <facility> [level [minlevel]]" (args[0] is
 * "log") into a new target; NULL with *err set.
 */
struct log_target *log_parse_target(char **args, int nargs, char **err);
struct log_target *log_target_copy(const struct log_target *src);

/* "log global" (when <allow_global>: copies the global targets) or "log
 * <target> ..." appended to <list>; CFG_OK or CFG_ALERT with *err set.
 */
int log_add_targets(struct log_target **list, char **args, int nargs, int allow_global,
                    char **err);
void log_targets_append(struct log_target **list, struct log_target *t);

/* A "log-forward" section: syslog listeners relaying to log targets. */
struct log_fwd_cfg {
	char *name;
	struct log_fwd_bind {
		struct hl_addr addr;
		int dgram; /* dgram-bind (UDP) or bind (TCP) */
		struct log_fwd_bind *next;
	} * binds;
	struct log_target *targets;
	int maxconn; /* TCP connections at once (10) */
	int backlog;
	uint32_t to_client; /* idle TCP connections are closed after it (0: never) */
	char *file;
	int line;
	struct log_fwd_cfg *next;
};

extern struct log_fwd_cfg *log_fwd_cfgs;

/* The log_format named <name> ("rfc5424"...), or -1. */
int log_format_by_name(const char *name);

/* The syslog severity named <name> ("emerg" 0 ... "debug" 7), or -1. */
int log_level_by_name(const char *name);

/* Copies the inherited logging settings of defaults <def> into <dst>. */
void log_inherit(struct px_log *dst, const struct px_log *def);

/* The tag of <pl>'s lines: its own, the global one, else the program name. */
const char *log_tag_of(const struct px_log *pl);

/* The host name sent with rfc3164/rfc5424 lines; NULL when not sent. */
const char *log_hostname(void);
