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
