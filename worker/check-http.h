/* HTTP health checks ("option httpchk"): once the check's TCP connection is
 * established, the request is sent, the response read and parsed with the
 * HTTP/1 parser, and the "http-check expect" rules (default: a 2xx or 3xx
 * status) decide the result. Runs on the check's worker thread; no locks.
 */
#pragma once
#include <stddef.h>

#include "worker/check-smp.h"
#include "worker/check.h"

struct hchk_io {
	char *req; /* request to send */
	size_t req_len, sent;
	char *buf; /* response bytes read so far */
	size_t len, cap;
	struct check_smp *smp; /* sample context of the check */
	struct ssl_st *ssl;    /* TLS under the exchange, NULL: clear text */
};

/* Builds the request for server <s> into <io> (replacing any previous one)
 * and empties the response buffer. The variable actions written before the
 * first expect rule run first, then the -lf parts are rendered in <smp>.
 */
void hchk_prepare(struct hchk_io *io, const struct srv_rt *s, struct check_smp *smp);

/* The result of a timed-out HTTP exchange with server <s>: the
 * "tout-status" of the first expect rule, else L7TOUT.
 */
enum check_result hchk_tout_status(const struct srv_rt *s);

/* Progresses the exchange on non-blocking socket <fd>: sends what remains
 * of the request, reads what is available, and evaluates the response once
 * it is complete enough. Returns CHK_NONE while more I/O is needed, else
 * the result, with the status in *<code> (0: none) and the info text in
 * <info> (<ilen> bytes).
 */
enum check_result hchk_io(struct hchk_io *io, int fd, const struct srv_rt *s, int *code, char *info,
                          size_t ilen);

/* Frees the buffers of <io>. */
void hchk_release(struct hchk_io *io);
