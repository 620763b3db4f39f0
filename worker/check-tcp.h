/* The tcp-check engine: runs a list of tcp-check rules (connect, send,
 * expect, comment) over non-blocking connections, as HAProxy 2.6 does, for
 * "option tcp-check" and for the protocol checks built on it (smtpchk,
 * mysql-check...). The driver (worker/check.c) owns the socket, the timer
 * and the event registration; it opens connections when the engine asks.
 * Runs on the check's worker thread; no locks.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "conf/chk-status.h"
#include "conf/model-t.h"
#include "worker/check-smp.h"

/* Opens the connection of connect rule <r> (NULL: the implicit first
 * connection, with the server's check address and port) for driver <ctx>,
 * closing any previous one. Returns the socket or -1 with errno set.
 */
typedef int (*tchk_open_fn)(void *ctx, const struct tcpchk_rule *r);

struct tchk_io {
	const struct tcpchk_rule *rules; /* the list run */
	int proto;                       /* a protocol check: terse messages */
	const struct tcpchk_rule *cur;   /* rule under way; NULL: implicit connect */
	const struct tcpchk_rule *step;  /* last rule started (HAProxy's current step) */
	const struct tcpchk_rule *conn;  /* connect rule of the current connection */
	int code;                        /* status code taken from the reply */
	int fd;                          /* current connection, -1: none */
	int connected;                   /* established */
	char *buf;                       /* bytes received since the last send or connect */
	size_t len, cap;
	int eos;   /* the server closed its side */
	char *out; /* the send under way */
	size_t out_len, sent;
	tchk_open_fn open;
	void *ctx;
	struct check_smp *smp; /* sample context of the run (set by the driver) */
	int pp;                /* PROXY header version to send on connect (set by io->open) */
};

/* The result of a finished run. */
struct tchk_res {
	enum check_result r;
	int code;
	char info[128];
};

/* Whether the checks of backend <px> run tcp-check rules: sets *<rules>
 * (NULL: none but the implicit connection) and *<proto> (a protocol check).
 */
int tchk_rules_of(const struct proxy *px, const struct tcpchk_rule **rules, int *proto);

/* Starts a run of <rules> (the driver set io->open/io->ctx). Returns 1 when
 * finished at once (*<res> filled), else 0: the driver waits for events on
 * io->fd.
 */
int tchk_start(struct tchk_io *io, const struct tcpchk_rule *rules, int proto,
               struct tchk_res *res);

/* Progresses the run after events <ev> (EPOLL*) on io->fd. Returns 1 when
 * finished (*<res> filled), else 0.
 */
int tchk_event(struct tchk_io *io, uint32_t ev, struct tchk_res *res);

/* The run timed out: fills *<res> with the timeout result of the step
 * under way.
 */
void tchk_timeout(struct tchk_io *io, struct tchk_res *res);

/* Sends the PROXY header of version <v> (1 or 2) on the check connection
 * <fd> that just came up: v1 with its own addresses, v2 LOCAL, as HAProxy
 * does. Returns 0, or -1 with errno set.
 */
int check_send_pp(int fd, int v);

/* Ends a run: frees its buffers (io->fd is the driver's to close). */
void tchk_release(struct tchk_io *io);

/* Built-in evaluators of protocol checks (worker/check-proto.c): returns 0
 * while more data is needed, 1 when the rule passed, -1 when it failed
 * (*<res> filled, info and code included). <last> tells no more data comes.
 */
int tchk_custom(const struct tcpchk_rule *r, const char *buf, size_t len, int last,
                struct tchk_res *res);
