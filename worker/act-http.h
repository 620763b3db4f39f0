/* Shared parts of the HTTP actions (worker/act-http*.c). */
#pragma once
#include "conf/rules.h"

/* Reply options of deny (default status 403, 502 in responses) and tarpit
 * (default 500): status/deny_status, content-type, string, lf-string,
 * file, lf-file, hdr. Return 0 with *err set.
 */
int act_parse_deny(struct act_rule *r, char **args, int nargs, char **err);
int act_parse_tarpit(struct act_rule *r, char **args, int nargs, char **err);

/* The status a deny/tarpit rule answers with. */
int act_reply_status(const struct act_rule *r);
