/* Helpers shared by the tcp-check configuration (conf/tcpchk.c) and the
 * protocol checks built on it (conf/tcpchk-proto.c).
 */
#pragma once
#include <stddef.h>

#include "conf/model-t.h"

/* Decodes hexadecimal <hex> (an even number of digits) into a new buffer
 * *<out> of *<len> bytes. Returns 0, or -1 with *<err> set to HAProxy's
 * reason ("an hex digit is expected (found 'g')").
 */
int tcpchk_parse_hex(const char *hex, char **out, size_t *len, char **err);

/* A new rule of kind <act> with no option set (min_recv -1, no stamp). */
struct tcpchk_rule *tcpchk_rule_new(enum tcpchk_act act);

/* Appends <r> to list *<head>, numbering it after the last rule. */
void tcpchk_append(struct tcpchk_rule **head, struct tcpchk_rule *r);

/* Compiles <pat> into r->re; returns -1 with *<err> set when invalid. */
int tcpchk_compile(struct tcpchk_rule *r, const char *pat, char **err);

/* Selects check kind <kind> for <px>, turning the other kinds off. */
void tcpchk_select(struct proxy *px, enum tcpchk_kind kind);

/* Shared by tcp-check and http-check rules (conf/chk-rules.c). */
struct smp_where;

/* The checkpoint of health-check expressions for the rule being parsed. */
struct smp_where chk_where(const struct cfg_ctx *ctx);

/* Whether args[1] names a variable action ("set-var(", "set-var-fmt(",
 * "unset-var(").
 */
int chk_is_var_action(const char *word);

/* Parses the variable action at args[1] (its values from args[2]) of rule
 * keyword args[0]. Returns it, or NULL with *<err> set.
 */
struct chk_var_act *chk_parse_var(char **args, int nargs, const struct smp_where *w, char **err);

/* Frees list <a>. */
void chk_free_vars(struct chk_var_act *a);

/* Parses expect option args[*i] when it is "on-success", "on-error" or
 * "status-code" into <rep>, advancing *<i> over its value. Returns 1 when
 * parsed, 0 when args[*i] is another option, -1 with *<err> set.
 */
int chk_parse_report(struct chk_report *rep, char **args, int nargs, int *i,
                     const struct smp_where *w, char **err);

/* Frees what <rep> holds. */
void chk_free_report(struct chk_report *rep);

/* Compiles log-format <text> of a check rule; NULL with *<err> set to
 * HAProxy's "'<text>' invalid log-format string (...)".
 */
struct logfmt *chk_parse_fmt(const char *text, const struct smp_where *w, char **err);

/* Parses expect option args[i] when it is "ok-status", "error-status" or
 * "tout-status" into the matching slot. Returns 1 when parsed (its value
 * is args[i + 1]), 0 for another option, -1 with *<err> set.
 */
int tcpchk_status_option(char **args, int nargs, int i, int *ok_st, int *err_st, int *tout_st,
                         char **err);
