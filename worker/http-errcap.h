/* Capture of the last invalid HTTP message per proxy, for "show errors":
 * the bytes as received, where the parser stopped, and who sent them.
 * Requests are recorded on their frontend, responses on their backend.
 */
#pragma once
#include <stdint.h>
#include <sys/socket.h>

#include "conf/model-t.h"

struct stream;

struct http_err_snap {
	uint64_t when_ms; /* wall clock, ms since the epoch */
	unsigned event;   /* global event number */
	int is_resp;
	const struct proxy *px;      /* where it is recorded */
	const struct proxy *other;   /* request: backend if known; response: frontend */
	char srv_id[128];            /* response: the server that sent it, "" if none
	                              * (a copy: servers may be deleted at run time) */
	int srv_puid;
	struct sockaddr_storage src; /* client address */
	long err_pos;                /* offset of the offending byte, -1 if none */
	uint32_t len;                /* bytes captured */
	uint32_t buf_off;            /* where they started in their buffer */
	char *data;
};

/* Records <len> bytes at <buf> of an invalid message of <s> (a response
 * when <is_resp>) with the error at <pos>. Any thread.
 */
void http_errcap_record(const struct stream *s, int is_resp, const char *buf, uint32_t len,
                        long pos);

/* Calls <fn> for each proxy's captured errors, in configuration order and
 * for each proxy its request capture (as a frontend) then its response one
 * (as a backend), under the capture lock: <fn> must not block.
 */
void http_errcap_foreach(void (*fn)(const struct http_err_snap *e, void *arg), void *arg);

/* Number of captures made since the start (the next event number). */
unsigned http_errcap_total(void);

/* Forgets every capture. HAProxy's "clear counters all" keeps them, so the
 * CLI does not call this.
 */
void http_errcap_clear(void);
