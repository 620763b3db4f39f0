/* Running rule sets on streams, and backend switching.
 *
 * rules_run() evaluates a proxy's rules of one set in order (those of its
 * named defaults section first): a rule whose condition holds runs its
 * action, which tells whether to go on, stop the set, or end the
 * message. A condition that lacks data (content still arriving) makes the
 * set yield unless the data is final; the next call resumes at that rule.
 * Every rule's sample memory is released once it ran.
 */
#pragma once
#include "conf/rules.h"
#include "worker/stream.h"

/* Runs the <rs> rules of proxy <px> on <s>. <final>: no more data will
 * come (conditions lacking data are false). Returns ACT_RET_CONT when
 * every rule ran (or a rule stopped the set with ACT_RET_STOP), or the
 * action's verdict otherwise (ACT_RET_YIELD: call again later).
 */
enum act_ret rules_run(struct stream *s, const struct proxy *px, enum ruleset rs, int final);

/* Whether <px> (or its defaults section) has rules of set <rs>. */
int rules_present(const struct proxy *px, enum ruleset rs);

/* Chooses the backend of <s> from its frontend's use_backend rules, then
 * default_backend, then the frontend itself when it is also a backend.
 * The first rule whose condition holds decides; when its dynamic name
 * names no backend, the default applies (as HAProxy). Returns NULL when
 * there is no backend at all (503).
 */
struct be_rt *rules_select_backend(struct stream *s);

/* An evaluation context for <s>. */
static inline struct smp_ctx rules_ctx(struct stream *s, unsigned opt)
{
	return (struct smp_ctx){.strm = s, .opt = opt};
}
