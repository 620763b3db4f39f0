/* HTTP request side: waiting for a request head (timeouts http-request and
 * http-keep-alive), parsing it, the request analysers (monitor-uri,
 * connection mode, forwardfor, originalto, LB hash key) and writing the
 * head out toward the server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/h1.h"
#include "common/addr.h"
#include "conf/http.h"
#include "worker/backend.h"
#include "worker/counters.h"
#include "worker/http-errcap.h"
#include "worker/http-rules.h"
#include "worker/use-server.h"
#include "worker/http-txn.h"
#include "worker/tls-srv.h"
#include "worker/tls.h"
#include "worker/lb.h"
#include "worker/stats-page.h"

static const char monitor_reply[] = "HTTP/1.1 200 OK\r\n"
                                    "content-length: 58\r\n"
                                    "cache-control: no-cache\r\n"
                                    "content-type: text/html\r\n"
                                    "\r\n"
                                    "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n";

enum http_conn_mode http_conn_mode(const struct stream *s)
{
	enum http_conn_mode m = s->fe->conf->http.conn_mode;
	if (s->be && s->be->conf->http.conn_mode > m)
		m = s->be->conf->http.conn_mode;
	return m;
}

/* Writes the address of <ss> (no port) into <buf>; its length, 0 if none. */
static uint32_t ip_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a;
	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	else
		return 0;
	if (!ip_ntop(ss->ss_family, a, buf, (socklen_t)len))
		return 0;
	return (uint32_t)strlen(buf);
}

/* Adds <name>: <ip of ss> unless <ss> is in <except>. */
static void add_ip_header(struct http_msg *m, const char *name, const struct hl_net *except,
                          const struct sockaddr_storage *ss, char *store, size_t len)
{
	if (!name || hl_net_match(except, (const struct sockaddr *)ss))
		return;
	uint32_t l = ip_text(ss, store, len);
	if (!l)
		return;
	http_add_hdr(m, (struct ist){name, (uint32_t)strlen(name)}, (struct ist){store, l});
}

/* option forwardfor / originalto. */
static void add_forwarding_headers(struct stream *s)
{
	struct http_txn *t = s->txn;
	const struct px_http *fh = &s->fe->conf->http, *bh = &s->be->conf->http;
	const struct px_http *ff = fh->fwdfor_hdr ? fh : (bh->fwdfor_hdr ? bh : NULL);
	if (ff && !(ff->fwdfor_if_none && http_find_hdr(&t->req, ff->fwdfor_hdr, 0) >= 0)) {
		add_ip_header(&t->req, ff->fwdfor_hdr, &ff->fwdfor_except, &s->cli_addr, t->xff,
		              sizeof(t->xff));
	}
	const char *uid_hdr = s->fe->conf->log.uid_header;
	const char *uid = uid_hdr ? log_unique_id(s) : NULL;
	if (uid)
		http_add_hdr(&t->req, (struct ist){uid_hdr, (uint32_t)strlen(uid_hdr)},
		             (struct ist){uid, (uint32_t)strlen(uid)});
	const struct px_http *ot = fh->origto_hdr ? fh : (bh->origto_hdr ? bh : NULL);
	if (ot) { /* added after any the client sent, like forwardfor */
		add_ip_header(&t->req, ot->origto_hdr, &ot->origto_except, stream_dst_addr(s),
		              t->xot, sizeof(t->xot));
	}
	/* RFC 8470: tells the server the request may be a replay (HAProxy
	 * keeps one the client sent) */
	if (tls_has_early(&s->cli) && http_find_hdr(&t->req, "early-data", 0) < 0)
		http_add_hdr(&t->req, (struct ist){"Early-Data", 10}, (struct ist){"1", 1});
}

/* Decides what happens to both connections after this transaction and
 * sets the Connection header sent to the server.
 */
static void set_connection_mode(struct stream *s)
{
	struct http_txn *t = s->txn;
	struct http_msg *m = &t->req;
	enum http_conn_mode mode = http_conn_mode(s);
	int upgrade = (m->flags & HMF_CONN_UPG) && (m->flags & HMF_UPGRADE);

	if ((m->flags & HMF_CONN_CLOSE) || (!(m->flags & HMF_VER11) && !(m->flags & HMF_CONN_KAL)))
		t->cli_close = 1;
	if (upgrade)
		return; /* "Connection: upgrade" goes as it came */
	if (m->flags & HMF_CL_TE)
		t->cli_close = 1; /* a message that was ambiguous: no reuse after it */
	if (mode == HTTP_CM_CLO)
		t->cli_close = 1;
	/* the server connection outlives a client that leaves (idle pools) */
	if (mode != HTTP_CM_KAL || (m->flags & HMF_CL_TE))
		t->srv_close = 1;
	http_del_hdr(m, "connection");
	if (t->srv_close)
		http_add_hdr(m, (struct ist){"connection", 10}, (struct ist){"close", 5});
	else if (!(m->flags & HMF_VER11))
		http_add_hdr(m, (struct ist){"connection", 10}, (struct ist){"keep-alive", 10});
}

/* Computes the LB hash of this request for uri/url_param/hdr balancing. */
static void set_lb_key(struct stream *s)
{
	struct http_txn *t = s->txn;
	const struct lb_cfg *lb = &s->be->conf->lb;
	t->has_hash = 0;
	const struct lb_ops *ops = lb->algo ? lb->algo->ops : NULL;
	if (!ops || !ops->http_key)
		return;
	struct ist key = {NULL, 0};
	ops->http_key(lb, &t->req, &key);
	if (!key.p)
		return;
	t->lb_hash = (uint32_t)lb_hash(lb, key.p, key.len);
	t->has_hash = 1;
}

/* Length of <a> without a trailing ":<port>" equal to <port>. */
static uint32_t without_port(struct ist a, const char *port)
{
	size_t pl = strlen(port);
	if (a.len > pl + 1 && a.p[a.len - pl - 1] == ':' && memcmp(a.p + a.len - pl, port, pl) == 0)
		return a.len - (uint32_t)pl - 1;
	return a.len;
}

static int same_authority(struct ist a, struct ist b)
{
	return a.len == b.len && strncasecmp(a.p, b.p, a.len) == 0;
}

/* Host checks and scheme-based normalisation (RFC 3986 §6.2.3): several
 * Host headers must agree (one is kept); an absolute-form target loses
 * its scheme's default port, so does Host, and both must name the same
 * authority; a CONNECT target must match Host. Returns 0 or a status.
 */
static int check_authority(struct http_msg *m)
{
	int h = http_find_hdr(m, "host", 0);
	for (int i = h >= 0 ? http_find_hdr(m, "host", h + 1) : -1; i >= 0;
	     i = http_find_hdr(m, "host", i + 1)) {
		if (!same_authority(m->hdrs[i].v, m->hdrs[h].v))
			return 400;
		m->hdrs[i].n.len = 0;
	}
	struct ist auth, *host = h >= 0 ? &m->hdrs[h].v : NULL;
	const char *defport = NULL;
	if (m->meth == HTTP_METH_CONNECT) {
		auth = m->uri;
		defport = "443";
	} else if (m->uri.p[0] != '/' && m->uri.p[0] != '*') {
		const char *sep = memchr(m->uri.p, ':', m->uri.len);
		struct ist scheme = {m->uri.p, (uint32_t)(sep - m->uri.p)};
		auth.p = sep + 3;
		auth.len = 0;
		while (auth.p + auth.len < m->uri.p + m->uri.len && !strchr("/?", auth.p[auth.len]))
			auth.len++;
		defport = http_name_is(scheme, "http")    ? "80"
		          : http_name_is(scheme, "https") ? "443"
		                                          : NULL;
		uint32_t keep = defport ? without_port(auth, defport) : auth.len;
		if (keep < auth.len) { /* drop ":port" from the target, in place */
			char *w = (char *)auth.p;
			uint32_t cut = auth.len - keep;
			size_t tail = (size_t)(m->uri.p + m->uri.len - (auth.p + auth.len));
			memmove(w + keep, w + auth.len, tail);
			m->uri.len -= cut;
			auth.len = keep;
		}
	} else {
		return 0;
	}
	if (!host)
		return 0;
	if (defport)
		host->len = without_port(*host, defport);
	if (m->meth == HTTP_METH_CONNECT)
		auth.len = without_port(auth, defport);
	return same_authority(auth, *host) ? 0 : 400;
}

int http_is_websocket(const struct http_msg *req)
{
	if (!(req->flags & HMF_CONN_UPG) || !(req->flags & HMF_UPGRADE))
		return 0;
	int i = http_find_hdr(req, "upgrade", 0);
	return i >= 0 && http_name_is(req->hdrs[i].v, "websocket");
}

/* Writes the request head into s->req and consumes it from cin. */
static int emit_request_head(struct stream *s)
{
	struct http_txn *t = s->txn;
	if (sbuf_take(&s->req) < 0 || s->req.tail != s->req.head)
		return -1;
	s->req.head = s->req.tail = 0;
	long n = h1_write_head(&t->req, s->req.data, s->req.size, http_case_fn(s, 1),
	                       rt.cfg->global.h1_case_adjust);
	if (n < 0)
		return -1;
	s->req.tail = (uint32_t)n;
	t->cin.head += t->req.skip + t->req.head_len;
	t->scan_from = 0;
	t->req_valid = 0;
	return 0;
}

void http_count_request(struct stream *s, int accepted)
{
	if (s->txn->req_counted)
		return;
	s->txn->req_counted = 1;
	counters_http_req(s->fe, accepted);
}

/* The client sent an invalid request: answers <status> and captures the
 * bytes not analysed yet for "show errors", with the offending byte at
 * <pos> (from the start of those bytes).
 */
static int refuse_request_at(struct stream *s, int status, long pos)
{
	struct http_txn *t = s->txn;
	http_count_request(s, 0);
	counters_http_bad_req(s->fe);
	if (t->cin.data)
		http_errcap_record(s, 0, t->cin.data + t->cin.head, t->cin.tail - t->cin.head, pos);
	t->close_hdr = 1; /* the client must know nothing more is read */
	log_set_term(s, 'P', 'R');
	http_reply_error(s, status, TERM_CLI_ERR);
	return 0;
}

/* The request head is invalid where the parser stopped. */
static int refuse_request(struct stream *s, int status)
{
	return refuse_request_at(s, status, s->txn->req.err_pos);
}

/* The body's chunk framing is invalid (the body scanner's position). */
static int refuse_body(struct stream *s)
{
	return refuse_request_at(s, 400, s->txn->req.body.err_pos);
}

/* The client closed (<can_reply>) or broke its connection before sending a
 * complete request head. Unless it was idle between two requests, HAProxy
 * counts this as an invalid request answered with a 400 (sent if it still
 * can be), without capturing it for "show errors"; so do we. Returns 0, or
 * -1 when the stream was ended.
 */
static int request_aborted(struct stream *s, int can_reply)
{
	struct http_txn *t = s->txn;
	int idle = t->cin.tail == t->cin.head &&
	           (s->kal.nb_txn || (s->fe->conf->http.flags & PXH_IGNORE_PROBES));
	if (!idle) {
		http_count_request(s, 0);
		counters_http_bad_req(s->fe);
	}
	if (idle || !can_reply) {
		if (!idle)
			counters_http_status(s->fe, NULL, 400);
		stream_end_cause(s, can_reply ? TERM_NONE : TERM_CLI_ERR);
		return -1;
	}
	t->close_hdr = 1;
	log_set_term(s, 'C', 'R');
	http_reply_error(s, 400, TERM_CLI_ERR);
	return 0;
}

/* Runs the analysers on a parsed request head; 1 when it goes to a server,
 * 0 when answered locally.
 */
static int wait_for_body(struct stream *s, uint32_t have);

static int analyse_request(struct stream *s)
{
	struct http_txn *t = s->txn;
	const struct px_http *fh = &s->fe->conf->http;

	if (t->stats_wait) { /* the rules ran: the page's form has come */
		if (!stats_page_intercept(s))
			http_reply_error(s, 500, TERM_NONE);
		return 0;
	}
	if (fh->monitor_uri && t->req.uri.len == strlen(fh->monitor_uri) &&
	    memcmp(t->req.uri.p, fh->monitor_uri, t->req.uri.len) == 0) {
		int close = (t->req.flags & HMF_CONN_CLOSE) || !(t->req.flags & HMF_VER11);
		size_t len = sizeof(monitor_reply) - 1;
		if (t->req.meth == HTTP_METH_HEAD)
			len = (size_t)(strstr(monitor_reply, "\r\n\r\n") + 4 - monitor_reply);
		t->cin.head += t->req.skip + t->req.head_len;
		t->scan_from = 0;
		t->discarding = !t->req.body.done; /* its body is read and dropped */
		counters_http_intercepted(s->fe);
		if (monitor_fails(s)) { /* "monitor fail": the site says it is down */
			t->req_valid = 0;
			http_reply_error(s, 503, TERM_NONE);
			return 0;
		}
		counters_http_status(s->fe, NULL, 200);
		http_reply_local(s, monitor_reply, len, close);
		return 0;
	}
	int st = check_authority(&t->req);
	if (!st && http_is_websocket(&t->req) && http_find_hdr(&t->req, "sec-websocket-key", 0) < 0)
		st = 400; /* a WebSocket handshake without its key */
	if (st)           /* found once the head was complete: its last byte */
		return refuse_request_at(s, st, (long)(t->req.skip + t->req.head_len) - 1);
	int rr = http_request_rules(s);
	if (rr == 2) { /* wait-for-body: the rules run again once the body is there */
		t->waiting_body = 1;
		s->conn_exp = t->wfb_until;
		stream_arm_timer(s);
		return 0;
	}
	if (!rr)
		return 0; /* answered by a rule */
	/* "stats enable": answered by the proxy (after the http-request rules,
	 * which may deny the request first, as in HAProxy)
	 */
	int sp = stats_page_intercept(s);
	if (sp == 2) { /* a posted form: wait for its body, then answer */
		t->stats_wait = 1;
		if (!wait_for_body(s, t->cin.tail - t->cin.head))
			stats_page_intercept(s);
		return 0;
	}
	if (sp)
		return 0;
	if (!s->be) {                 /* a frontend without any backend */
		s->state = ST_ASSIGN; /* routed nowhere: the connection stays usable */
		http_reply_error(s, 503, TERM_NO_SRV);
		return 0;
	}
	set_connection_mode(s);
	add_forwarding_headers(s);
	set_lb_key(s);
	tls_srv_prepare_sni(s); /* needs the parsed head */
	if (emit_request_head(s) < 0) {
		http_reply_error(s, 500, TERM_NONE);
		return 0;
	}
	return 1;
}

/* Reads what the client sent into cin. Returns -1 on error. */
static int read_client(struct stream *s)
{
	struct http_txn *t = s->txn;
	for (int i = 0; i < 4; i++) {
		int r = sbuf_recv(&s->cli, &t->cin, &s->bytes_in);
		if (r <= 0 || s->cli.shutr)
			return r;
	}
	return 0;
}

/* option http-buffer-request: whether to wait for more of the body before
 * going further (until it is complete or the buffer is full). A client
 * that expects "100 Continue" gets it from us then.
 */
static int wait_for_body(struct stream *s, uint32_t have)
{
	struct http_txn *t = s->txn;
	const struct be_rt *be = s->fe->default_be;
	unsigned f = s->fe->conf->http.flags | (be ? be->conf->http.flags : 0);
	if ((!(f & PXH_BUFFER_REQUEST) && !t->wfb_until && !t->stats_wait) || t->req.body.done ||
	    s->cli.shutr)
		return 0;
	if (t->wfb_until && curthr->now_ms >= t->wfb_until)
		return 0; /* wait-for-body: the delay is over */
	uint32_t head = t->req.skip + t->req.head_len;
	struct http_body b = t->req.body;
	long n = h1_body_scan(&b, t->cin.data + t->cin.head + head, have - head);
	if (n < 0 || b.done || have >= t->cin.size - rt.cfg->global.tune_maxrewrite)
		return 0; /* framing errors are reported when the body moves */
	if (t->wfb_min && have - head >= t->wfb_min)
		return 0; /* wait-for-body at-least: enough of it */
	if ((t->req.flags & HMF_EXPECT_100) && !t->sent_100) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		if (side_send_interim(&s->cli, cont, sizeof(cont) - 1))
			t->sent_100 = 1;
	}
	t->waiting_body = 1;
	return 1;
}

/* Drops the body of a request answered locally. Returns 1 once it is all
 * gone, 0 to wait, -1 when the stream was ended or taken over.
 */
static int discard_body(struct stream *s)
{
	struct http_txn *t = s->txn;
	uint32_t have = t->cin.tail - t->cin.head;
	long n = h1_body_scan(&t->req.body, t->cin.data ? t->cin.data + t->cin.head : "", have);
	if (n < 0) {
		refuse_body(s);
		return -1;
	}
	t->cin.head += (uint32_t)n;
	sbuf_release_if_empty(&t->cin);
	if (t->req.body.done) {
		t->discarding = 0;
		return 1;
	}
	if (s->cli.shutr) {
		stream_end_cause(s, TERM_CLI_ERR);
		return -1;
	}
	return 0;
}

/* Timeout while waiting for a request: http-request for a request under
 * way or the first one, http-keep-alive between requests.
 */
static uint32_t wait_timeout(const struct stream *s)
{
	const struct px_timeouts *to = &s->fe->conf->to;
	if (s->kal.nb_txn && s->txn->cin.tail == s->txn->cin.head && to->http_keep_alive)
		return to->http_keep_alive;
	return to->http_request ? to->http_request : to->client;
}

int http_wait_request(struct stream *s)
{
	struct http_txn *t = s->txn;
	if ((s->rsp.data && s->rsp.tail > s->rsp.head) || t->lout) {
		/* a local reply is still going out: answer in order */
		int wrote = 0, r = http_send_pending(s, &wrote);
		if (r < 0) {
			stream_end_cause(s, TERM_CLI_ERR);
			return -1;
		}
		if (!r)
			return 0;
		if (t->cli_close) {
			stream_end_cause(s, TERM_NONE);
			return -1;
		}
	}
	uint32_t before = t->cin.tail - t->cin.head;
	if (read_client(s) < 0)
		return request_aborted(s, 0);
	if (t->discarding) {
		int d = discard_body(s);
		if (d <= 0)
			return d;
		before = t->cin.tail - t->cin.head;
	}
	uint32_t have = t->cin.tail - t->cin.head;
	if (have && http_txn_take_slots(t) < 0) {
		stream_end_cause(s, TERM_CLI_ERR); /* no memory for the request's headers */
		return -1;
	}
	if (!before && have) {
		s->cli_exp = deadline(wait_timeout(s)); /* a request starts */
		log_request_start(s);
	}
	int lenient = (s->fe->conf->http.flags & PXH_ACCEPT_INV_REQ) != 0;
	if (!http_head_ready(&t->cin, &t->scan_from)) {
		/* what came so far may already be no request (a TLS hello on a
		 * clear-text port): refused now rather than at the timeout */
		t->req.maxhdrs = t->maxhdrs;
		if (have && h1_parse_head(t->cin.data + t->cin.head, have, &t->req, 0, lenient) < 0)
			return refuse_request(s, t->req.err_status);
		uint32_t max = t->cin.size - rt.cfg->global.tune_maxrewrite;
		if (t->cin.data && have >= max) {
			t->req.maxhdrs = t->maxhdrs;
			h1_parse_head(t->cin.data + t->cin.head, have, &t->req, 0, 0);
			return refuse_request_at(s, h1_head_too_large(&t->req, 0), have);
		}
		if (s->cli.shutr)
			return request_aborted(s, 1);
		return 0;
	}
	t->req.maxhdrs = t->maxhdrs;
	int r = h1_parse_head(t->cin.data + t->cin.head, have, &t->req, 0, lenient);
	if (r < 0)
		return refuse_request(s, t->req.err_status);
	if (r == 0) { /* only empty lines so far */
		if (have >= t->cin.size - rt.cfg->global.tune_maxrewrite)
			return refuse_request_at(s, 414, have);
		return 0;
	}
	t->req.maxhdrs = t->maxhdrs + HTTP_EXTRA_HDRS;
	t->req_valid = 1;
	log_request_head(s, t->cin.data + t->cin.head + t->req.skip, t->req.head_len);
	h1_set_request_body(&t->req);
	http_count_request(s, 1);
	if (wait_for_body(s, have))
		return 0;
	t->req_state = t->req.body.done ? HRQ_DONE : HRQ_BODY;
	if (t->sent_100)
		http_del_hdr(&t->req, "expect");
	if (analyse_request(s) <= 0)
		return 0;
	/* what already came of the body is checked before a server is chosen */
	if (http_move_body(&t->req.body, &t->cin, &s->req) < 0)
		return refuse_body(s);
	if (t->req.body.done)
		t->req_state = HRQ_DONE;
	return 1;
}

int http_head_ready(const struct sbuf *b, uint32_t *scanned)
{
	if (!b->data)
		return 0;
	const char *p = b->data + b->head;
	uint32_t len = b->tail - b->head;
	uint32_t from = *scanned > 2 ? *scanned - 2 : 0;
	if (from > len)
		from = 0; /* the buffer was consumed since the last look */
	for (const char *lf = memchr(p + from, '\n', len - from); lf;
	     lf = memchr(lf + 1, '\n', (size_t)(p + len - lf - 1))) {
		uint32_t i = (uint32_t)(lf - p);
		if (i + 1 < len && p[i + 1] == '\n')
			return 1;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return 1;
	}
	*scanned = len;
	return 0;
}
