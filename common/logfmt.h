/* Log-format strings: text with "%[sample]" expressions and "%xx"
 * variables, compiled once and rendered per stream. Used by log lines,
 * header values of rule actions, "lf-string" replies, dynamic backend
 * names.
 *
 * Syntax: "%%" is a '%'; "%[expr]" a sample expression; "%name" a
 * registered variable (letters only: "%ci", "%Tr"); either may be
 * preceded by "%{+Q,-X...}" options: +Q quotes the value, +X prints
 * integers in hexadecimal, +E escapes '"', '\' and ']'. "%{+Q}o" alone
 * sets options for the rest of the string. A missing value renders as
 * "-" (quoted: "" with +Q), as HAProxy does.
 */
#pragma once
#include <stddef.h>

#include "common/sample-t.h"

#define LF_OPT_QUOTE 0x01
#define LF_OPT_HEX 0x02
#define LF_OPT_ESC 0x04

/* A "%name" variable. render() writes at most <room> bytes of the value
 * at <out> and returns how many, or -1 when the value is absent.
 */
struct lf_var_kw {
	const char *name;
	int (*render)(struct smp_ctx *ctx, char *out, size_t room, unsigned opts);
	unsigned use; /* SMP_USE_* it needs */
};

struct lf_var_list {
	const struct lf_var_kw *kws;
	size_t count;
	struct lf_var_list *next;
};

void lf_register_vars(struct lf_var_list *l);

#define LF_REGISTER_VARS(table)                                                                    \
	static struct lf_var_list table##_list = {table, sizeof(table) / sizeof(table[0]), 0};     \
	__attribute__((constructor)) static void table##_register(void)                            \
	{                                                                                          \
		lf_register_vars(&table##_list);                                                   \
	}

struct logfmt;

/* Compiles <text>. Expressions are checked against <where>. Returns NULL
 * with *err set ("unknown format variable 'x'", sample errors...).
 */
struct logfmt *logfmt_parse(const char *text, const struct smp_where *where, char **err);

/* Same for the HTTP contexts of rule actions (header values, lf-string
 * bodies, redirect locations...), where HAProxy ignores the %{...}
 * options and writes nothing for a missing value.
 */
struct logfmt *logfmt_parse_http(const char *text, const struct smp_where *where, char **err);

/* Same for log lines ("log-format", "unique-id-format"...): runs of
 * spaces are separators, and a separator following another one with
 * nothing printed in between is dropped (an empty capture list leaves no
 * double space), as in HAProxy's logs.
 */
struct logfmt *logfmt_parse_log(const char *text, const struct smp_where *where, char **err);

/* Whether the format is plain text (no expression, no variable). */
int logfmt_is_const(const struct logfmt *lf);

/* Renders <lf> at <out> (at most <room> bytes, truncated), returns the
 * length written. No NUL is added.
 */
size_t logfmt_render(const struct logfmt *lf, struct smp_ctx *ctx, char *out, size_t room);

void logfmt_free(struct logfmt *lf);
