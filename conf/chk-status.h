/* Results of a health check, shared by the configuration (ok-status,
 * error-status and tout-status of "tcp-check expect") and the checks
 * themselves (worker/check.c), with HAProxy's names.
 */
#pragma once

enum check_result {
	CHK_NONE = 0,
	CHK_L4OK,
	CHK_L4CON,
	CHK_L4TOUT,
	CHK_L6OK,   /* TLS-level check passed (ssl-hello-chk) */
	CHK_L6RSP,  /* TLS-level response rejected */
	CHK_L6TOUT, /* TLS-level response late */
	CHK_L7OK,   /* layer 7 check passed */
	CHK_L7OKC,  /* HTTP check passed conditionally (disable-on-404): NOLB */
	CHK_L7STS,  /* status rejected (HTTP, SMTP...) */
	CHK_L7RSP,  /* invalid response, or content rejected */
	CHK_L7TOUT, /* no complete response in time */
	CHK_SOCKERR,
	CHK_CHECKED, /* agent check: the reply changed no health state */
	CHK_HANA,    /* failure simulated by passive observation ("on-error") */
	CHK_NB_RESULTS
};

/* HAProxy's short name of a check result ("L4OK", "L7STS"...). */
const char *check_result_str(enum check_result r);

/* The result called <name> ("L7RSP"), or CHK_NONE. */
enum check_result check_result_by_name(const char *name);
