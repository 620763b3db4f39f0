/* Rule sets and their actions: "tcp-request connection|session|content",
 * "tcp-response content", "http-request", "http-response",
 * "http-after-response".
 *
 * A rule line is "<ruleset> <action> [<args>...] [if|unless <condition>]".
 * Modules register their actions with ACT_REGISTER_KEYWORDS: a name, the
 * rule sets that accept it, a parser for its arguments and the function
 * that runs it on a stream. An action whose name ends with '(' takes its
 * first argument inside parentheses glued to the name ("set-var(txn.x)").
 *
 * Rules of a named "defaults" section run before the proxy's own rules of
 * the same set, as HAProxy does.
 */
#pragma once
#include "common/acl.h"
#include "common/sample-t.h"
#include "conf/model-t.h"

struct stream;

/* What running an action decided. */
enum act_ret {
	ACT_RET_CONT = 0, /* go on with the next rule */
	ACT_RET_STOP,     /* stop this rule set, the message goes on (accept, allow) */
	ACT_RET_DONE,     /* the message is answered or handled: stop everything */
	ACT_RET_DENY,     /* refused by the rule (deny, reject) */
	ACT_RET_ABRT,     /* the stream was aborted or closed */
	ACT_RET_ERR,      /* internal error (rewrite failure...): 500 */
	ACT_RET_INV,      /* invalid request: 400 */
	ACT_RET_YIELD,    /* wait for more data, then run this rule again */
};

struct act_rule;

struct act_kw {
	const char *name;  /* "deny", "set-header", "set-var(" */
	unsigned rulesets; /* RS_F_* where it is valid */
	/* Parses args[0..nargs) (the words after the action name; with a
	 * '(' name, args[0] is the text inside the parentheses). Returns 0
	 * with *err set. The rule's file, line, proxy and rule set are set.
	 */
	int (*parse)(struct act_rule *rule, char **args, int nargs, char **err);
	/* Runs the rule on <s>. */
	enum act_ret (*exec)(struct act_rule *rule, struct stream *s, struct smp_ctx *ctx);
	/* Whether the action ends the rule set (for "rule after a final
	 * action" warnings), 0 otherwise.
	 */
	int final;
};

struct act_kw_list {
	const struct act_kw *kws;
	size_t count;
	struct act_kw_list *next;
};

void act_register_keywords(struct act_kw_list *l);

#define ACT_REGISTER_KEYWORDS(table)                                                               \
	static struct act_kw_list table##_list = {table, sizeof(table) / sizeof(table[0]), 0};     \
	__attribute__((constructor)) static void table##_register(void)                            \
	{                                                                                          \
		act_register_keywords(&table##_list);                                              \
	}

struct act_rule {
	const struct act_kw *kw;
	struct acl_cond *cond;
	void *arg; /* the action's parsed arguments */
	enum ruleset rs;
	struct proxy *px;
	char *file;
	int line;
	struct act_rule *next;
};

/* Keeps rule <r>, whose parsing failed, with what its parser allocated. */
void act_rule_refused(struct act_rule *r);

/* Name of a rule set as written in the configuration ("http-request"). */
const char *ruleset_name(enum ruleset rs);

/* The checkpoint where rules of <rs> in proxy <px> run (frontend or
 * backend side), for sample validity checks.
 */
enum smp_checkpoint ruleset_checkpoint(enum ruleset rs, const struct proxy *px);

/* How HAProxy names the place where rules of <rs> in <px> run in its
 * warnings ("frontend http-request header rule").
 */
const char *ruleset_where(enum ruleset rs, const struct proxy *px);

/* Warns, with HAProxy's words, when condition <c> of the rule at
 * <file>:<line> uses fetches that are not valid at <ck> (<where> names
 * that place). <tcp_set> is the tcp rule set ("tcp-request connection")
 * for the wording of tcp rules, NULL otherwise. Returns CFG_WARN when it
 * warned, CFG_OK otherwise (and when <c> is NULL).
 */
int rule_cond_check(const struct acl_cond *c, enum smp_checkpoint ck, const char *where,
                    const char *tcp_set, const char *file, int line);

/* The ACL scope of proxy <px> (its own ACL list). */
struct acl_scope *proxy_acl_scope(struct proxy *px);
