/* Types of the sample engine: typed values fetched from a stream (or from
 * nothing: internal states), transformed by converters and matched by ACLs.
 *
 * A sample's string data either points into memory owned by someone else
 * (SMP_F_CONST: a request buffer, a configuration string) or into the
 * current thread's sample arena (see smp_alloc()); it is never freed by the
 * sample itself.
 */
#pragma once
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

enum smp_type {
	SMP_T_ANY = 0, /* a converter accepting any input */
	SMP_T_BOOL,
	SMP_T_SINT,
	SMP_T_ADDR, /* IPv4 or IPv6: only as an input or output declaration */
	SMP_T_IPV4,
	SMP_T_IPV6,
	SMP_T_STR,
	SMP_T_BIN,
	SMP_T_METH,
	SMP_TYPES
};

/* Sample flags. */
#define SMP_F_CONST 0x01      /* data is not ours: copy before modifying */
#define SMP_F_MAY_CHANGE 0x02 /* more data could change the result (content) */
#define SMP_F_NOT_LAST 0x04   /* the fetch may return other occurrences */
#define SMP_F_VOLATILE 0x08   /* not cacheable (rand, date...) */

/* Evaluation options (struct smp_ctx.opt). */
#define SMP_OPT_FINAL 0x01   /* no more data will come: do not wait */
#define SMP_OPT_ITERATE 0x02 /* ACL matching: walk every occurrence */
#define SMP_OPT_RES 0x04     /* evaluated on the response side */

/* Where fetched data comes from (struct smp_fetch_kw.use). */
#define SMP_USE_INTRN 0x0001 /* internal state: valid everywhere */
#define SMP_USE_L4CLI 0x0002 /* client connection: addresses, ports */
#define SMP_USE_L5CLI 0x0004 /* client session/transport (TLS) */
#define SMP_USE_L6REQ 0x0008 /* request contents (TCP) */
#define SMP_USE_HRQHV 0x0010 /* HTTP request headers */
#define SMP_USE_HRQBO 0x0020 /* HTTP request body */
#define SMP_USE_BKEND 0x0040 /* backend, server: known once a backend is chosen */
#define SMP_USE_L6RES 0x0080 /* response contents (TCP) */
#define SMP_USE_HRSHV 0x0100 /* HTTP response headers */
#define SMP_USE_HRSBO 0x0200 /* HTTP response body */
#define SMP_USE_SERVR 0x0400 /* server connection */
#define SMP_USE_HRQHP 0x0800 /* HTTP request line kept for the log (method, URI) */
#define SMP_USE_HRSHP 0x1000 /* HTTP status kept for the log */

/* Where an expression is evaluated (struct smp_where.checkpoint). */
enum smp_checkpoint {
	SMP_CK_CFG = 0,  /* no restriction (unit tests, -c of standalone expressions) */
	SMP_CK_TCP_CONN, /* tcp-request connection */
	SMP_CK_TCP_SESS, /* tcp-request session */
	SMP_CK_TCP_REQ,  /* tcp-request content */
	SMP_CK_HTTP_REQ, /* http-request, use_backend, redirect... */
	SMP_CK_BE_REQ,   /* backend: tcp-request content / http-request, use-server */
	SMP_CK_TCP_RES,  /* tcp-response content */
	SMP_CK_HTTP_RES, /* http-response, http-after-response */
	SMP_CK_LOG,      /* log-format at the end of the stream */
	SMP_CK_CHECK,    /* health checks */
	SMP_CHECKPOINTS
};

struct smp_str {
	char *ptr;
	size_t len;
};

struct sample {
	enum smp_type type;
	unsigned flags; /* SMP_F_* */
	union {
		int64_t sint; /* BOOL and SINT */
		struct in_addr ipv4;
		struct in6_addr ipv6;
		struct smp_str str; /* STR and BIN */
		struct {
			int meth;           /* enum http_meth of common/http-msg.h */
			struct smp_str str; /* the method as written */
		} meth;
	} u;
	uintptr_t iter[2]; /* fetch-private position for SMP_F_NOT_LAST */
	struct smp_ctx *ctx;
};

/* What a fetch may look at. <strm> is the worker's struct stream (NULL when
 * evaluating without traffic); <check> a health check being run.
 */
struct smp_ctx {
	void *strm;
	void *check;
	unsigned opt; /* SMP_OPT_* */
};

/* Argument types of fetches and converters. */
enum arg_type {
	ARGT_STOP = 0,
	ARGT_SINT,
	ARGT_STR,
	ARGT_IPV4,
	ARGT_MSK4, /* an IPv4 mask, as a prefix length or dotted quad */
	ARGT_IPV6,
	ARGT_MSK6,
	ARGT_TIME, /* milliseconds */
	ARGT_SIZE, /* bytes */
	ARGT_FE,   /* a frontend name, resolved after parsing */
	ARGT_BE,   /* a backend name, resolved after parsing */
	ARGT_TAB,  /* a stick table name */
	ARGT_SRV,  /* [backend/]server, resolved after parsing */
	ARGT_USR,  /* a userlist name */
	ARGT_REG,  /* a regex (compiled by the keyword's validator) */
	ARGT_VAR,  /* a variable name "scope.name" */
};

#define ARG_MAX 6

struct arg {
	enum arg_type type;
	union {
		int64_t sint;
		struct smp_str str;
		struct in_addr ipv4;
		struct in6_addr ipv6;
		void *ptr; /* resolved object (proxy, server, userlist, table, regex) */
		struct {
			int scope, id; /* struct var_ref of common/vars.h */
		} var;
	} data;
	char *raw; /* as written (for names resolved later, and messages) */
};

/* Accepted arguments: <min> mandatory ones, then optional ones up to the
 * first ARGT_STOP in <types>.
 */
struct arg_spec {
	uint8_t min;
	uint8_t types[ARG_MAX];
};

#define ARGS0                                                                                      \
	{                                                                                          \
		0,                                                                                 \
		{                                                                                  \
			ARGT_STOP                                                                  \
		}                                                                                  \
	}
#define ARGS(min, ...)                                                                             \
	{                                                                                          \
		min,                                                                               \
		{                                                                                  \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}

/* A fetch keyword. fn() fills <smp> and returns 1, or 0 when there is no
 * sample (absent header, not enough data yet with SMP_F_MAY_CHANGE set).
 */
struct smp_fetch_kw {
	const char *name;
	int (*fn)(const struct arg *args, struct sample *smp, const char *kw, const void *priv);
	struct arg_spec args;
	/* Optional check of the parsed arguments; returns 0 with *err set. */
	int (*val)(struct arg *args, char **err);
	enum smp_type out;
	unsigned use; /* SMP_USE_* */
	const void *priv;
};

/* A converter keyword: fn() transforms <smp> in place, returns 1 or 0 when
 * the sample cannot be converted (the expression then yields nothing).
 */
struct smp_conv_kw {
	const char *name;
	int (*fn)(const struct arg *args, struct sample *smp, const void *priv);
	struct arg_spec args;
	/* Optional check of the parsed arguments; returns 0 with *err set. */
	int (*val)(struct arg *args, const struct smp_conv_kw *kw, char **err);
	enum smp_type in, out;
	const void *priv;
};

struct smp_conv_inst {
	const struct smp_conv_kw *kw;
	struct arg args[ARG_MAX];
	int nargs;
};

/* A parsed expression: fetch(args),conv(args),conv... */
struct sample_expr {
	const struct smp_fetch_kw *fetch;
	struct arg args[ARG_MAX];
	int nargs;
	struct smp_conv_inst **convs;
	int nconvs;
	char *text; /* as written, for messages */
};

/* Where an expression being parsed will run, for validity checks and
 * messages. <px> is the configuration proxy (struct proxy *), may be NULL.
 */
struct smp_where {
	enum smp_checkpoint checkpoint;
	const char *file;
	int line;
	void *px;
};
