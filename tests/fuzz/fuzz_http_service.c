/* libFuzzer target for the local HTTP services: the statistics page
 * (worker/stats-page.c: URI options, Basic credentials, CSV/typed/JSON and
 * HTML output) and the Prometheus exporter (worker/prom-exporter.c: query
 * parameters), on requests parsed from the input by h1_parse_head().
 *
 * The first input byte picks the service (bit 0: exporter), the rest is
 * the request head. A fixed configuration has a page with accounts, a
 * refresh, scopes and legends.
 *
 * Properties checked (abort() on violation):
 *  - a service always answers: a status among the ones it may use (200,
 *    303, 401; 200 for the exporter) and a response that does not fail;
 *  - the response is a complete HTTP/1.1 message: a status line with that
 *    status, a head ending with an empty line, and a content-length equal
 *    to the body length;
 *  - the page answers 401 exactly when the credentials are not a listed
 *    account, and a 401 asks for Basic credentials of the configured realm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/h1.h"
#include "common/msg.h"
#include "conf/kw.h"
#include "conf/parser.h"
#include "worker/counters.h"
#include "worker/http-service.h"
#include "worker/runtime.h"
#include "worker/stats-page.h"

#define MAXHDRS 24

static const char conf_text[] = "defaults\n"
                                "    mode http\n"
                                "    timeout connect 2s\n"
                                "    timeout client 5s\n"
                                "    timeout server 5s\n"
                                "frontend fe1\n"
                                "    bind 127.0.0.1:19051\n"
                                "    stats uri /st\n"
                                "    stats auth admin:secret\n"
                                "    stats auth u2:\n"
                                "    stats realm Fuzz\\ realm\n"
                                "    stats refresh 5s\n"
                                "    stats scope .\n"
                                "    stats scope be1\n"
                                "    stats show-legends\n"
                                "    stats show-node\n"
                                "    default_backend be1\n"
                                "backend be1\n"
                                "    server s1 127.0.0.1:19900 maxconn 10 weight 3\n"
                                "    server s2 127.0.0.1:19901 backup\n"
                                "    server s3 127.0.0.1:19902 disabled\n"
                                "listen tcp1\n"
                                "    mode tcp\n"
                                "    bind 127.0.0.1:19053\n"
                                "    server t1 127.0.0.1:19900\n";

static const struct proxy *page_px;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	msg_state.quiet = 1;
	msg_state.preamble = NULL;
	struct config *cfg = calloc(1, sizeof(*cfg));
	cfg_init(cfg);
	if ((cfg_parse_buffer(cfg, "fuzz.cfg", conf_text, strlen(conf_text)) & CFG_ALERT) ||
	    cfg_validate(cfg) || runtime_build(cfg) < 0)
		abort();
	rt.nbthread = 1;
	counters_init_thread(&rt.threads[0]);
	for (const struct proxy *px = cfg->proxies; px; px = px->next)
		if (!strcmp(px->id, "fe1"))
			page_px = px;
	if (!page_px || !page_px->stats)
		abort();
	return 0;
}

/* The value of header <name> (lower case, with ": ") in head <p>, or NULL. */
static const char *header(const char *p, size_t head_len, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = strstr(p, "\r\n"); l && (size_t)(l - p) < head_len;
	     l = strstr(l + 2, "\r\n"))
		if (!strncmp(l + 2, name, n))
			return l + 2 + n;
	return NULL;
}

static void check_response(const struct strbuf *out, int status)
{
	char line[32];
	if (out->failed || !out->p)
		abort();
	snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	if (strncmp(out->p, line, strlen(line)) != 0)
		abort();
	const char *eoh = strstr(out->p, "\r\n\r\n");
	if (!eoh)
		abort();
	size_t head_len = (size_t)(eoh - out->p) + 4;
	const char *cl = header(out->p, head_len, "content-length: ");
	if (!cl || strtoull(cl, NULL, 10) != out->len - head_len)
		abort();
	if (status == 401) {
		const char *wa = header(out->p, head_len, "www-authenticate: ");
		if (!wa || strncmp(wa, "Basic realm=\"Fuzz realm\"\r\n", 26) != 0)
			abort();
	}
}

/* Whether the request carries one of the configured accounts, decoded
 * independently of the page (the two encodings, compared as text).
 */
static int has_account(const struct http_msg *m)
{
	int h = http_find_hdr(m, "authorization", 0);
	if (h < 0)
		return 0;
	struct ist v = m->hdrs[h].v;
	static const char *const ok[] = {"YWRtaW46c2VjcmV0", "dTI6"}; /* admin:secret, u2: */
	if (v.len < 6 || strncasecmp(v.p, "basic ", 6) != 0)
		return 0;
	const char *p = v.p + 6;
	size_t len = v.len - 6;
	while (len && *p == ' ')
		p++, len--;
	for (size_t i = 0; i < 2; i++) /* strict base64: the encodings are unique */
		if (len == strlen(ok[i]) && !memcmp(p, ok[i], len))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int prom = data[0] & 1;
	size_t len = size - 1;
	char *buf = malloc(len ? len : 1);
	memcpy(buf, data + 1, len);
	struct http_hdr hdrs[MAXHDRS];
	struct http_msg m = {.hdrs = hdrs, .maxhdrs = MAXHDRS};
	if (h1_parse_head(buf, len, &m, 0, 0) <= 0) {
		free(buf);
		return 0;
	}
	/* no "stats admin": a POST is answered 303 ";st=DENY" */
	struct stats_page_call call = {.cfg = page_px->stats};
	struct http_svc_req rq = {.req = &m, .px = page_px, .arg = prom ? NULL : &call};
	struct strbuf out = {0};
	const struct http_service *svc = http_service_find(prom ? "prometheus-exporter" : "stats");
	int status = svc->handle(&rq, &out);
	if (prom) {
		if (status != 200)
			abort();
	} else {
		if (status != 200 && status != 303 && status != 401)
			abort();
		if ((status == 401) != !has_account(&m))
			abort();
	}
	check_response(&out, status);
	sb_free(&out);
	free(buf);
	return 0;
}
