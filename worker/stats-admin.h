/* The admin form of the HTTP statistics page ("stats admin"): decoding a
 * posted form and applying its action to the servers it names.
 */
#pragma once
#include <stddef.h>

/* Outcome of a posted form, as the page's ";st=" option names it. */
enum stats_admin_status {
	STATS_ST_UNKN = 0, /* unexpected */
	STATS_ST_DONE,     /* every named server was changed */
	STATS_ST_PART,     /* some were */
	STATS_ST_NONE,     /* nothing to do */
	STATS_ST_DENY,     /* actions not allowed for this request */
	STATS_ST_ERRP,     /* bad action, backend or servers */
	STATS_ST_EXCD,     /* the form did not fit in the buffer */
	STATS_ST_IVAL,     /* invalid request */
};

/* The word of <st> ("DONE"...). */
const char *stats_admin_status_word(enum stats_admin_status st);

/* The status named by the <len> bytes at <p> ("DONE"...), UNKN if none. */
enum stats_admin_status stats_admin_status_of(const char *p, size_t len);

/* Applies the form in <body> (<len> bytes, url-encoded "b=<backend>",
 * "action=<action>", "s=<server>" repeated) as HAProxy 2.6 does: the
 * last "b" and "action" count, the backend may be "#<id>", and each
 * server found is changed through the runtime API's own paths.
 */
enum stats_admin_status stats_admin_apply(const char *body, size_t len);
