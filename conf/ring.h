/* "ring" sections: in-memory buffers of log lines, readable with "show
 * events" and optionally forwarded to TCP syslog servers. A "log
 * tcp@<addr>" target makes an implicit ring forwarding to that address.
 * The worker side is worker/ring.c.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "conf/log.h"

struct ring_srv_cfg {
	char *name;
	struct hl_addr addr;
	int octet_count; /* log-proto octet-count: "<len> <msg>" instead of "<msg>\n" */
	struct ring_srv_cfg *next;
};

struct ring_cfg {
	char *name;
	char *desc;
	enum log_format format;
	int format_set;
	int maxlen;  /* bytes per event, header included */
	size_t size; /* bytes of the buffer */
	uint32_t to_connect, to_server;
	struct ring_srv_cfg *servers;
	char *file;
	int line;
	void *rt; /* the worker's ring (worker/ring.c) */
	struct ring_cfg *next;
};

extern struct ring_cfg *ring_cfgs;

/* The ring named <name>, or NULL. */
struct ring_cfg *ring_cfg_find(const char *name);

/* The implicit ring of a "log tcp@..." target: created on first use, named
 * after the target text, forwarding to <addr>.
 */
struct ring_cfg *ring_cfg_implicit(const char *text, const struct hl_addr *addr);
