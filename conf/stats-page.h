/* Settings of the HTTP statistics page of a proxy ("stats enable", "stats
 * uri", "stats auth"...), parsed by conf/stats-page.c and served by
 * worker/stats-page.c. A proxy without any "stats" line shares the settings
 * of its defaults section; its first own "stats" line starts from scratch,
 * as in HAProxy.
 */
#pragma once
#include <stdint.h>

#define STATS_DEFAULT_URI "/haproxy?stats"
#define STATS_DEFAULT_REALM "HAProxy Statistics"

#define STATS_PG_HIDE_VERSION 0x01
#define STATS_PG_SHOW_NODE 0x02
#define STATS_PG_SHOW_DESC 0x04
#define STATS_PG_SHOW_LEGENDS 0x08
#define STATS_PG_SHOW_VERSION 0x10

struct acl_cond;

struct stats_auth {
	char *user;
	char *pass; /* clear text */
};

struct stats_page_cfg {
	char *uri;               /* prefix the request URI must start with */
	char *realm;             /* NULL: STATS_DEFAULT_REALM */
	struct stats_auth *auth; /* accepted accounts; none: no authentication */
	int nauth;
	uint32_t refresh_s; /* 0: no refresh header */
	unsigned flags;     /* STATS_PG_* */
	char *node;         /* show-node name; NULL: the global node name */
	char *desc;         /* show-desc text; NULL: the global description */
	char **scope;       /* proxies shown ("." is the page's own proxy); none: all */
	int nscope;
	struct acl_cond **admin; /* "stats admin" conditions: any that holds allows actions */
	int nadmin;
	struct proxy *owner; /* the section whose lines built it */
};
