/* Proxy sections of the configuration: defaults, frontend, backend, listen. */
#pragma once
#include "conf/model-t.h"

/* Finds a proxy named <name> having any of the capabilities <cap>
 * (PX_CAP_FE / PX_CAP_BE) among the configured proxies.
 */
struct proxy *proxy_find(struct config *cfg, const char *name, unsigned cap);

/* Returns the printable type of <px> as HAProxy's messages name it:
 * "frontend", "backend", "proxy" (a listen section) or "defaults".
 */
const char *proxy_type_str(const struct proxy *px);
