/* The Prometheus exporter (local HTTP service "prometheus-exporter"): the
 * metric families of HAProxy 2.6's exporter, in its order, with its names,
 * help texts, types and labels (worker/prom-metrics.c), filled from the
 * rows of "show stat" and the fields of "show info".
 */
#pragma once
#include <stddef.h>

#include "common/strbuf.h"

enum pm_scope { PM_PROCESS, PM_FRONTEND, PM_BACKEND, PM_SERVER };
enum pm_type { PM_GAUGE, PM_COUNTER };

#define PMF_MS 0x01            /* the source is in milliseconds: print seconds */
#define PMF_STATE 0x02         /* one sample per state, 1 for the current one */
#define PMF_HRSP 0x04          /* one sample per status class (hrsp_1xx..other) */
#define PMF_CHECK_STATE 0x08   /* one sample per check result (servers: 1 or 0; backends: count) */
#define PMF_AGG_STATE 0x10     /* backends: servers counted by state */
#define PMF_HTTP 0x20          /* HTTP proxies only */
#define PMF_CHECKED 0x40       /* servers with a health check only */
#define PMF_ZERO_IF_EMPTY 0x80 /* an empty cell means 0 (check_code of a layer 4 check) */
#define PMF_NAN 0x100          /* no value: a feature Halyard does not have (zlib) */
#define PMF_BUILD_INFO 0x200   /* value 1 with the version as a label */

struct pm_family {
	const char *name;
	enum pm_scope scope;
	enum pm_type type;
	const char *src; /* "show stat" column, or "show info" field for the process */
	unsigned flags;  /* PMF_* */
	const char *help;
};

extern const struct pm_family pm_families[];
extern const size_t pm_nfamilies;

#define PM_SCOPE_ALL 0xf

/* Appends the metrics of the scopes in <scopes> (bits 1 << enum pm_scope)
 * to <b>, leaving out servers in maintenance when <no_maint>.
 */
void prom_dump(struct strbuf *b, unsigned scopes, int no_maint);
