/* Active health checks, layer 4: a TCP connection to the server (or to its
 * "addr"/"port") every "inter"; "fall" consecutive failures take an UP
 * server DOWN, "rise" consecutive successes bring a DOWN server back UP.
 * While a state change is under way the interval is "fastinter" (going
 * down) or "downinter" (down). A state change sets srv_rt.oper_up and
 * publishes a new LB snapshot through RCU; it is logged in HAProxy's words.
 * Each server's check runs on one worker thread, spread by server index.
 */
#pragma once
#include <stdint.h>

#include "conf/chk-status.h"
#include "worker/server-t.h"


struct check_state {
	enum check_result last;  /* result of the last check */
	uint32_t duration_ms;    /* duration of the last check */
	int consecutive;         /* results in a row pointing to the other state */
	uint64_t checks_failed;  /* chkfail */
	uint64_t downs;          /* chkdown: UP -> DOWN transitions */
	long last_change;        /* epoch seconds of the last state change */
	long down_since;         /* epoch seconds, while down */
	uint64_t downtime_s;     /* accumulated time spent down */
	int code;                /* status code of the last check (HTTP, SMTP...) */
	char info[128];          /* details of the last result, at most 127 bytes as HAProxy */
};

/* Sizes the check table; call once before the worker threads start. */
void checks_init(void);

/* Starts the checks that belong to the current thread. */
void checks_start_thread(void);

/* Check state of <s> (for statistics), NULL when it has no check. */
const struct check_state *check_of(const struct srv_rt *s);

/* Whether HAProxy shows a status code with result <r> (show stat column
 * check_code, ", code: N" in state-change lines): layer 7 data results.
 */
int check_result_has_code(enum check_result r);

/* HAProxy's description of a check result ("Layer7 wrong status"). */
const char *check_result_desc(enum check_result r);
