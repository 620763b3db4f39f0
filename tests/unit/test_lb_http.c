/* Unit tests for the layer 7 hash algorithms (worker/lb-http.c): argument
 * parsing and errors, the key taken from hand-built requests for every
 * option, the TCP-mode fallback, and server selection from the key.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/mem.h"
#include "common/msg.h"
#include "conf/lb-registry.h"
#include "conf/parser.h"
#include "tests/unit/test.h"
#include "worker/lb-hash.h"
#include "worker/lb.h"
#include "worker/srv-list.h"

#define MAXW 8
#define MAXH 8

static const struct lb_ops *ops_of(const char *name)
{
	const struct lb_algo *a = lb_find_algo(name);
	return a ? a->ops : NULL;
}

/* Runs <algo>'s parser on <paren> and the space-separated words of <words>
 * (NULL: none) into a fresh *<lb>. Returns the parser's result; *err is
 * set on failure and must be freed.
 */
static int parse_into(struct lb_cfg *lb, const char *algo, const char *paren, const char *words,
		      char **err)
{
	const struct lb_algo *a = lb_find_algo(algo);
	char buf[256], *args[MAXW];
	int nargs = 0;
	*lb = (struct lb_cfg){.algo = a};
	*err = NULL;
	snprintf(buf, sizeof(buf), "%s", words ? words : "");
	for (char *t = strtok(buf, " "); t && nargs < MAXW; t = strtok(NULL, " "))
		args[nargs++] = t;
	return a->parse(lb, paren, args, nargs, err);
}

/* Parses like parse_into() and expects success. */
static struct lb_cfg cfg_of(const char *algo, const char *paren, const char *words)
{
	struct lb_cfg lb;
	char *err;
	int rc = parse_into(&lb, algo, paren, words, &err);
	CHECK_INT(rc, 0);
	if (err)
		fprintf(stderr, "unexpected error: %s\n", err);
	free(err);
	return lb;
}

/* Parses like parse_into(), expects failure and returns the message (static
 * copy, "" when none).
 */
static const char *err_of(const char *algo, const char *paren, const char *words)
{
	static char msg[512];
	struct lb_cfg lb;
	char *err;
	CHECK_INT(parse_into(&lb, algo, paren, words, &err), -1);
	snprintf(msg, sizeof(msg), "%s", err ? err : "");
	free(err);
	free(lb.arg);
	return msg;
}

/* A request for <uri> with headers "name: value" given as pairs in <h>
 * (<nh> pairs). Slices point into the caller's strings.
 */
struct req {
	struct http_msg m;
	struct http_hdr hdrs[MAXH];
};

static void req_init(struct req *r, const char *uri, const char *const *h, int nh)
{
	memset(r, 0, sizeof(*r));
	r->m.meth = HTTP_METH_GET;
	r->m.uri = (struct ist){uri, (uint32_t)strlen(uri)};
	r->m.hdrs = r->hdrs;
	r->m.maxhdrs = MAXH;
	for (int i = 0; i < nh && i < MAXH; i++)
		http_add_hdr(&r->m, (struct ist){h[2 * i], (uint32_t)strlen(h[2 * i])},
			     (struct ist){h[2 * i + 1], (uint32_t)strlen(h[2 * i + 1])});
}

/* Key of request <r> under <lb>, as a string in a static buffer, or NULL
 * when the request has none.
 */
static const char *key_req(const struct lb_cfg *lb, const struct http_msg *m)
{
	static char out[256];
	struct ist key = {NULL, 0};
	((const struct lb_ops *)lb->algo->ops)->http_key(lb, m, &key);
	if (!key.p)
		return NULL;
	snprintf(out, sizeof(out), "%.*s", (int)key.len, key.p);
	return out;
}

/* Key of a request for <uri> without headers. */
static const char *key_uri(const struct lb_cfg *lb, const char *uri)
{
	struct req r;
	req_init(&r, uri, NULL, 0);
	return key_req(lb, &r.m);
}

/* Key of a request for "/" with one header <name>: <value>. */
static const char *key_hdr(const struct lb_cfg *lb, const char *name, const char *value)
{
	struct req r;
	const char *h[] = {name, value};
	req_init(&r, "/", h, 1);
	return key_req(lb, &r.m);
}

TEST(registered_as_http_hash_algorithms)
{
	const char *names[] = {"uri", "url_param", "hdr"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const struct lb_algo *a = lb_find_algo(names[i]);
		CHECK(a != NULL);
		if (!a)
			continue;
		const struct lb_ops *o = a->ops;
		CHECK_INT(a->needs_http, 1);
		CHECK(a->parse != NULL);
		CHECK(o->http_key != NULL && o->needs_hash && !o->hash_on_source);
		CHECK(o->build == lb_hash_build && o->pick == lb_hash_pick);
	}
	CHECK_INT(lb_find_algo("source")->needs_http, 0);
}

TEST(uri_default_stops_at_query)
{
	struct lb_cfg lb = cfg_of("uri", NULL, NULL);
	CHECK_STR(key_uri(&lb, "/a/b/c?x=1&y=2"), "/a/b/c");
	CHECK_STR(key_uri(&lb, "/a/b/c"), "/a/b/c");
	CHECK_STR(key_uri(&lb, "/?x"), "/");
	CHECK_STR(key_uri(&lb, "?x"), ""); /* an empty key is still hashed */
	/* an absolute URI is hashed as sent, scheme and authority included */
	CHECK_STR(key_uri(&lb, "http://h:8080/a?b"), "http://h:8080/a");
	CHECK_STR(key_uri(&lb, "*"), "*");
}

TEST(uri_whole_keeps_query)
{
	struct lb_cfg lb = cfg_of("uri", NULL, "whole");
	CHECK_STR(key_uri(&lb, "/a/b?x=1&y=2"), "/a/b?x=1&y=2");
	CHECK_STR(key_uri(&lb, "/a"), "/a");
}

TEST(uri_len_limits_characters)
{
	struct lb_cfg lb = cfg_of("uri", NULL, "len 3");
	CHECK_STR(key_uri(&lb, "/abcdef"), "/ab");
	CHECK_STR(key_uri(&lb, "/a"), "/a");
	CHECK_STR(key_uri(&lb, "/?abc"), "/");
	lb = cfg_of("uri", NULL, "len 5 whole");
	CHECK_STR(key_uri(&lb, "/a?bcdef"), "/a?bc");
	lb = cfg_of("uri", NULL, "len 1");
	CHECK_STR(key_uri(&lb, "/anything"), "/");
}

TEST(uri_depth_limits_directories)
{
	struct lb_cfg lb = cfg_of("uri", NULL, "depth 2");
	CHECK_STR(key_uri(&lb, "/a/b/c/d"), "/a/b");
	CHECK_STR(key_uri(&lb, "/a/b/"), "/a/b");
	CHECK_STR(key_uri(&lb, "/a/b"), "/a/b");
	CHECK_STR(key_uri(&lb, "/a?x/y/z"), "/a");
	lb = cfg_of("uri", NULL, "depth 1");
	CHECK_STR(key_uri(&lb, "/a/b"), "/a");
	CHECK_STR(key_uri(&lb, "//x"), "/");
	/* slashes of "scheme://" count as levels without path-only */
	CHECK_STR(key_uri(&lb, "http://h/a"), "http:/");
	lb = cfg_of("uri", NULL, "depth 2 whole");
	CHECK_STR(key_uri(&lb, "/a?x/y/z"), "/a?x/y");
}

TEST(uri_len_and_depth_first_reached_wins)
{
	struct lb_cfg lb = cfg_of("uri", NULL, "len 4 depth 3");
	CHECK_STR(key_uri(&lb, "/abcdef/g"), "/abc");
	CHECK_STR(key_uri(&lb, "/a/b/c/d"), "/a/b");
	lb = cfg_of("uri", NULL, "depth 1 len 10");
	CHECK_STR(key_uri(&lb, "/a/b/c/d"), "/a");
	/* the last value of a repeated option wins */
	lb = cfg_of("uri", NULL, "len 2 len 4");
	CHECK_INT(lb.arg_len, 4);
	CHECK_STR(key_uri(&lb, "/abcdef"), "/abc");
}

TEST(uri_path_only_drops_scheme_and_authority)
{
	struct lb_cfg lb = cfg_of("uri", NULL, "path-only");
	CHECK_STR(key_uri(&lb, "http://www.example.com:8080/a/b?x=1"), "/a/b");
	CHECK_STR(key_uri(&lb, "https://user@h/p"), "/p");
	CHECK_STR(key_uri(&lb, "svn+ssh://h/r"), "/r");
	CHECK_STR(key_uri(&lb, "/a/b?x"), "/a/b");
	/* no path: an empty key (hashed), never round-robin */
	CHECK_STR(key_uri(&lb, "http://h"), "");
	/* like HAProxy, the authority only ends at a '/' */
	CHECK_STR(key_uri(&lb, "http://h?x=/a"), "/a");
	CHECK_STR(key_uri(&lb, "http://h?x"), "");
	CHECK_STR(key_uri(&lb, "*"), "");
	CHECK_STR(key_uri(&lb, "h.example.com:443"), "");
	CHECK_STR(key_uri(&lb, "http:/a"), "");
	CHECK_STR(key_uri(&lb, "1http://h/a"), "");

	lb = cfg_of("uri", NULL, "path-only whole depth 1");
	CHECK_STR(key_uri(&lb, "http://h/a?q=1"), "/a?q=1");
	CHECK_STR(key_uri(&lb, "http://h/a/b?q=1"), "/a");
	lb = cfg_of("uri", NULL, "len 3 path-only");
	CHECK_STR(key_uri(&lb, "http://h/abcdef"), "/ab");
}

TEST(url_param_value_from_query_string)
{
	struct lb_cfg lb = cfg_of("url_param", NULL, "userid");
	CHECK_STR(lb.arg, "userid");
	CHECK_STR(key_uri(&lb, "/p?userid=42"), "42");
	CHECK_STR(key_uri(&lb, "/p?a=1&userid=42&b=2"), "42");
	CHECK_STR(key_uri(&lb, "/p?userid=1&userid=2"), "1");
	/* the name must start a parameter and be followed by '=' */
	CHECK_STR(key_uri(&lb, "/p?xuserid=1&userid=2"), "2");
	CHECK(key_uri(&lb, "/p?xuserid=1") == NULL);
	CHECK(key_uri(&lb, "/p?userid") == NULL);
	CHECK(key_uri(&lb, "/p?userid&a=b") == NULL);
	CHECK(key_uri(&lb, "/p?a=userid=3") == NULL);
	CHECK(key_uri(&lb, "/p?USERID=3") == NULL); /* case-sensitive */
	CHECK(key_uri(&lb, "/p/userid=3") == NULL); /* not in a query string */
	CHECK(key_uri(&lb, "/p?") == NULL);
	/* only the first '?' starts the query string */
	CHECK_STR(key_uri(&lb, "/p?a=?&userid=x?y"), "x?y");
	/* an empty value is a key, as in HAProxy */
	CHECK_STR(key_uri(&lb, "/p?userid="), "");
	CHECK_STR(key_uri(&lb, "/p?userid=&b=1"), "");
	/* any method: the query string of a POST counts too */
	struct req r;
	req_init(&r, "/form?userid=7", NULL, 0);
	r.m.meth = HTTP_METH_POST;
	CHECK_STR(key_req(&lb, &r.m), "7");
	free(lb.arg);
}

TEST(hdr_first_value_of_first_occurrence)
{
	struct lb_cfg lb = cfg_of("hdr", "X-Key", NULL);
	CHECK_STR(lb.arg, "x-key");
	CHECK_INT(lb.arg_opt, 0);
	CHECK_STR(key_hdr(&lb, "x-key", "abc"), "abc");
	CHECK_STR(key_hdr(&lb, "X-KEY", "abc"), "abc"); /* names are case-insensitive */
	CHECK_STR(key_hdr(&lb, "X-Key", "  a b \t"), "a b");
	CHECK_STR(key_hdr(&lb, "X-Key", "a, b"), "a");
	CHECK_STR(key_hdr(&lb, "X-Key", "\"a,b\", c"), "\"a,b\"");
	CHECK_STR(key_hdr(&lb, "X-Key", "\"a\\\",b\",c"), "\"a\\\",b\"");
	CHECK(key_hdr(&lb, "X-Key", "") == NULL);
	CHECK(key_hdr(&lb, "X-Key", "  ") == NULL);
	CHECK(key_hdr(&lb, "X-Key", ", b") == NULL);
	CHECK(key_hdr(&lb, "X-Other", "abc") == NULL);
	CHECK(key_hdr(&lb, "X-Key2", "abc") == NULL);

	struct req r;
	const char *h[] = {"Host", "h", "X-Key", "first", "x-key", "second"};
	req_init(&r, "/", h, 3);
	CHECK_STR(key_req(&lb, &r.m), "first");
	r.hdrs[1].n.len = 0; /* deleted: the next occurrence counts */
	CHECK_STR(key_req(&lb, &r.m), "second");
	free(lb.arg);
}

TEST(hdr_use_domain_only)
{
	struct lb_cfg lb = cfg_of("hdr", "Host", "use_domain_only");
	CHECK_INT(lb.arg_opt, 1);
	CHECK_STR(key_hdr(&lb, "Host", "haproxy.1wt.eu"), "1wt");
	CHECK_STR(key_hdr(&lb, "Host", "www.example.com:8080"), "example");
	CHECK_STR(key_hdr(&lb, "Host", "example.com"), "example");
	CHECK_STR(key_hdr(&lb, "Host", "a.b.c.example.org"), "example");
	CHECK_STR(key_hdr(&lb, "Host", " example.com , x"), "example");
	/* the port follows the TLD, so it is left out; a value without a dot
	 * is hashed whole, port included, as HAProxy does
	 */
	CHECK_STR(key_hdr(&lb, "Host", "localhost:8080"), "localhost:8080");
	CHECK_STR(key_hdr(&lb, "Host", "localhost"), "localhost");
	CHECK_STR(key_hdr(&lb, "Host", "[::1]:80"), "[::1]:80");
	CHECK_STR(key_hdr(&lb, "Host", "10.0.0.1:80"), "0");
	/* corner cases of HAProxy's backward scan */
	CHECK_STR(key_hdr(&lb, "Host", ".eu"), ".eu");
	CHECK_STR(key_hdr(&lb, "Host", "a..eu"), "a.");
	CHECK_STR(key_hdr(&lb, "Host", "a."), "a");
	CHECK_STR(key_hdr(&lb, "Host", "x.a."), "a");
	CHECK(key_hdr(&lb, "Host", "") == NULL);
	free(lb.arg);
}

TEST(uri_argument_errors)
{
	CHECK_STR(err_of("uri", NULL, "len"),
		  "balance uri : 'len' expects a positive integer (got '').");
	CHECK_STR(err_of("uri", NULL, "len 0"),
		  "balance uri : 'len' expects a positive integer (got '0').");
	CHECK_STR(err_of("uri", NULL, "whole len x"),
		  "balance uri : 'len' expects a positive integer (got 'x').");
	CHECK_STR(err_of("uri", NULL, "len 10x"),
		  "balance uri : 'len' expects a positive integer (got '10x').");
	CHECK_STR(err_of("uri", NULL, "len 99999999999"),
		  "balance uri : 'len' expects a positive integer (got '99999999999').");
	CHECK_STR(err_of("uri", NULL, "depth -1"),
		  "balance uri : 'depth' expects a positive integer (got '-1').");
	CHECK_STR(err_of("uri", NULL, "depth +2"),
		  "balance uri : 'depth' expects a positive integer (got '+2').");
	CHECK_STR(err_of("uri", NULL, "depth"),
		  "balance uri : 'depth' expects a positive integer (got '').");
	CHECK_STR(err_of("uri", NULL, "whole foo"),
		  "balance uri only accepts parameters 'len', 'depth', 'path-only', and "
		  "'whole' (got 'foo').");
	CHECK_STR(err_of("uri", "x", NULL), LB_UNKNOWN_ALGO_ERR);
	struct lb_cfg lb = cfg_of("uri", NULL, "whole path-only len 2147483647 depth 7");
	CHECK_INT(lb.arg_opt, 3);
	CHECK_INT(lb.arg_len, 2147483647);
	CHECK_INT(lb.arg_depth, 7);
	CHECK(lb.arg == NULL);
}

TEST(url_param_argument_errors)
{
	CHECK_STR(err_of("url_param", NULL, NULL),
		  "balance url_param requires an URL parameter name.");
	CHECK_STR(err_of("url_param", NULL, "id foo"),
		  "balance url_param only accepts 'check_post' modifier (got 'foo').");
	CHECK_STR(err_of("url_param", NULL, "id check_post"),
		  "'balance url_param ... check_post' is not supported yet.");
	CHECK_STR(err_of("url_param", NULL, "id check_post 64"),
		  "'balance url_param ... check_post' is not supported yet.");
	CHECK_STR(err_of("url_param", "id", NULL), LB_UNKNOWN_ALGO_ERR);
	char *empty[] = {""}, *err = NULL;
	struct lb_cfg lb = {0};
	CHECK_INT(lb_find_algo("url_param")->parse(&lb, NULL, empty, 1, &err), -1);
	CHECK_STR(err, "balance url_param requires an URL parameter name.");
	free(err);
}

TEST(hdr_argument_errors)
{
	CHECK_STR(err_of("hdr", NULL, NULL), LB_UNKNOWN_ALGO_ERR);
	CHECK_STR(err_of("hdr", "", NULL), "balance hdr requires an http header field name.");
	CHECK_STR(err_of("hdr", "Host", "foo"),
		  "balance hdr(Host) only accepts 'use_domain_only' modifier (got 'foo').");
	CHECK_STR(err_of("hdr", "Host", "use_domain_only extra"),
		  "balance hdr(Host) only accepts 'use_domain_only' modifier (got 'extra').");
	CHECK_STR(lb_find_algo("hdr")->unclosed_err, "hdr requires an http header field name.");
}

/* Parses and validates <text>; returns the configuration (never freed: the
 * model has no free function) and stores the alerts/warnings counts.
 */
static struct config *load(const char *text, int *alerts, int *warnings)
{
	static struct config cfgs[8];
	static int n;
	struct config *cfg = &cfgs[n++ % 8];
	unsigned a0 = msg_state.alerts, w0 = msg_state.warnings;
	cfg_init(cfg);
	cfg_parse_buffer(cfg, "test.cfg", text, strlen(text));
	cfg_validate(cfg);
	*alerts = (int)(msg_state.alerts - a0);
	*warnings = (int)(msg_state.warnings - w0);
	return cfg;
}

static const struct proxy *px_named(const struct config *cfg, const char *name)
{
	for (const struct proxy *px = cfg->proxies; px; px = px->next)
		if (strcmp(px->id, name) == 0)
			return px;
	return NULL;
}

TEST(tcp_backend_falls_back_to_roundrobin)
{
	const char *text = "defaults\n"
			   "    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
			   "backend tcp\n    balance hdr(host)\n    server s 127.0.0.1:80\n"
			   "backend web\n    mode http\n    balance url_param id\n"
			   "    server s 127.0.0.1:80\n"
			   "listen li\n    bind 127.0.0.1:8443\n    balance uri whole\n"
			   "    server s 127.0.0.1:80\n";
	int alerts, warnings;
	struct config *cfg = load(text, &alerts, &warnings);
	CHECK_INT(alerts, 0);
	CHECK_INT(warnings, 2);
	const struct proxy *tcp = px_named(cfg, "tcp"), *web = px_named(cfg, "web"),
			   *li = px_named(cfg, "li");
	CHECK(tcp && web && li);
	if (!tcp || !web || !li)
		return;
	CHECK(tcp->lb.algo == lb_find_algo("roundrobin"));
	CHECK(tcp->lb.arg == NULL);
	CHECK(li->lb.algo == lb_find_algo("roundrobin"));
	CHECK_INT(li->lb.arg_opt, 0);
	CHECK(web->lb.algo == lb_find_algo("url_param"));
	CHECK_STR(web->lb.arg, "id");
}

TEST(balance_keyword_forms)
{
	int alerts, warnings;
	struct config *cfg =
	    load("defaults\n    mode http\n    balance hdr(Host) use_domain_only\n"
		 "    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n"
		 "backend inh\n    server s 127.0.0.1:80\n"
		 "backend own\n    balance uri len 8 depth 2 path-only\n"
		 "    server s 127.0.0.1:80\n",
		 &alerts, &warnings);
	CHECK_INT(alerts, 0);
	CHECK_INT(warnings, 0);
	const struct proxy *inh = px_named(cfg, "inh"), *own = px_named(cfg, "own");
	CHECK(inh && own);
	if (!inh || !own)
		return;
	CHECK(inh->lb.algo == lb_find_algo("hdr"));
	CHECK_STR(inh->lb.arg, "host");
	CHECK_INT(inh->lb.arg_opt, 1);
	/* a new balance line resets the options of the previous one */
	CHECK(own->lb.algo == lb_find_algo("uri"));
	CHECK(own->lb.arg == NULL);
	CHECK_INT(own->lb.arg_opt, 2);
	CHECK_INT(own->lb.arg_len, 8);
	CHECK_INT(own->lb.arg_depth, 2);

	load("backend b\n    mode http\n    balance hdr(a b)\n", &alerts, &warnings);
	CHECK_INT(alerts, 1);
	load("backend b\n    mode http\n    balance hdr\n", &alerts, &warnings);
	CHECK_INT(alerts, 1);
}

/* ---- Selection: same key, same server; no key, round-robin ---- */

/* A backend of <n> equal servers using <cfg>, with a published snapshot. */
struct farm {
	struct proxy px;
	struct server conf[4];
	struct srv_rt srv[4];
	struct be_rt be;
	struct lb_snapshot *snap;
	struct lb_thread_state ts;
};

static struct farm *farm_new(struct lb_cfg cfg, int n)
{
	struct farm *f = calloc(1, sizeof(*f));
	f->px.lb = cfg;
	f->be.conf = &f->px;
	f->be.srvs = srv_list_of_array(f->srv, n);
	for (int i = 0; i < n; i++) {
		f->conf[i].puid = i + 1;
		f->srv[i].conf = &f->conf[i];
		f->srv[i].be = &f->be;
		f->srv[i].idx = i;
		f->srv[i].gidx = i;
		f->srv[i].uweight = 1;
		f->srv[i].oper_up = 1;
	}
	f->snap = lb_snapshot_build(&f->be);
	return f;
}

static void farm_free(struct farm *f)
{
	lb_snapshot_free(f->snap);
	free(f->be.srvs);
	lb_thread_state_free(&f->ts);
	free(f->px.lb.arg);
	free(f);
}

/* Server index picked for request <m>, keyed the way worker/http-req.c
 * does it.
 */
static int farm_pick(struct farm *f, const struct http_msg *m)
{
	const struct lb_ops *o = f->snap->ops;
	struct ist key = {NULL, 0};
	struct lb_pick req = {0};
	o->http_key(&f->px.lb, m, &key);
	if (key.p) {
		req.hash = (uint32_t)lb_hash(&f->px.lb, key.p, key.len);
		req.has_hash = 1;
	}
	struct srv_rt *s = o->pick(&f->px.lb, f->snap, &f->ts, &req);
	return s ? s->idx : -1;
}

TEST(same_key_same_server_else_roundrobin)
{
	for (int consistent = 0; consistent <= 1; consistent++) {
		struct lb_cfg cfg = cfg_of("url_param", NULL, "id");
		/* as "hash-type map-based" / "hash-type consistent" set them */
		cfg.hash_method = consistent ? HASH_CONSISTENT : HASH_MAP_BASED;
		cfg.hash_avalanche = consistent;
		struct farm *f = farm_new(cfg, 4);
		CHECK(f->snap->ops == ops_of("url_param"));
		struct req r;
		int seen[4] = {0}, stable = 1;
		char uri[64];
		for (int k = 0; k < 200; k++) {
			snprintf(uri, sizeof(uri), "/x?a=b&id=user%d", k);
			req_init(&r, uri, NULL, 0);
			int first = farm_pick(f, &r.m);
			for (int rep = 0; rep < 3; rep++)
				stable &= farm_pick(f, &r.m) == first;
			if (first >= 0)
				seen[first]++;
		}
		CHECK(stable);
		for (int i = 0; i < 4; i++)
			CHECK(seen[i] > 10);
		/* no key: smooth round-robin over the four servers */
		int rr[4] = {0};
		req_init(&r, "/x?other=1", NULL, 0);
		for (int k = 0; k < 8; k++)
			rr[farm_pick(f, &r.m) & 3]++;
		for (int i = 0; i < 4; i++)
			CHECK_INT(rr[i], 2);
		farm_free(f);
	}
}

TEST_MAIN()
