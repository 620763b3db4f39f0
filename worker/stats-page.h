/* The HTTP statistics page ("stats enable" and friends): the request
 * matching done by the HTTP engine, and the HTML rendering shared by the
 * service (worker/stats-page.c, worker/stats-html.c).
 */
#pragma once
#include "common/strbuf.h"
#include "conf/stats-page.h"
#include "worker/stats-admin.h"
#include "worker/stats.h"

struct stream;

/* When the frontend or the backend of <s> serves a statistics page and the
 * request (head parsed, backend chosen) is for it, answers it and returns
 * 1; else 0. Returns 2 without answering for a POST allowed to act whose
 * body has not all come yet: the caller waits for it (txn->stats_wait set,
 * as with http-buffer-request) and calls again, which then answers.
 */
int stats_page_intercept(struct stream *s);

/* What the service is given for one request. */
struct stats_page_call {
	const struct stats_page_cfg *cfg;
	int admin;        /* a "stats admin" condition holds */
	const char *body; /* POST: the decoded body, NULL if none */
	size_t body_len;
	enum stats_admin_status body_st; /* POST: EXCD or IVAL when the body is unusable */
};

/* Options of one page request (from the URI, after the prefix). */
struct stats_page_req {
	const struct stats_page_cfg *cfg;
	const struct proxy *px; /* the proxy serving the page */
	char uri[256];          /* the prefix, as links start */
	char scope[64];         /* ";scope=" text, "" for none */
	unsigned hide;          /* STATS_HIDE_* */
	int norefresh;
	int admin;                  /* the admin form is shown */
	int has_st;                 /* ";st=" was given: */
	enum stats_admin_status st; /* the result of the last action */
};

/* Appends the HTML page for <pr> to <b>. */
void stats_html(struct strbuf *b, const struct stats_page_req *pr, const struct stats_filter *f);
