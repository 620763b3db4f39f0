/* Build identification used by the conditional-block predicates and -vv. */
#pragma once

/* Version compared by version_atleast()/version_before(), e.g. "2.6.0". */
const char *halyard_compat_version(void);

/* Returns 1 if feature <name> is listed as +NAME by -vv, otherwise 0. */
int halyard_has_feature(const char *name);

/* Returns 1 if run-time option <opt> (EPOLL, SPLICE, GETADDRINFO, REUSEPORT,
 * ...) is enabled, as tested by the enabled() predicate, otherwise 0.
 */
int halyard_option_enabled(const char *opt);

/* Halyard's own version ("0.1.0") and its build date ("2026/11/22"). */
const char *halyard_version(void);
const char *halyard_date(void);

/* HAProxy branch whose configuration language and outputs we follow ("2.6"). */
const char *halyard_compat_branch(void);

/* Prints the -v output on stdout. */
void print_version(void);

/* Prints the -vv output: version, build options, features and the run-time
 * versions of the libraries.
 */
void print_build_options(void);
