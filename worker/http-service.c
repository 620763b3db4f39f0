/* Registry of local HTTP services and the glue that answers a request of
 * an HTTP stream with one (see worker/http-service.h).
 */
#include "worker/http-service.h"

#include <stdlib.h>
#include <string.h>

#include "conf/http.h"
#include "worker/counters.h"
#include "worker/http-txn.h"

static struct http_service *services;

void http_service_register(struct http_service *svc)
{
	svc->next = services;
	services = svc;
}

const struct http_service *http_service_find(const char *name)
{
	for (const struct http_service *s = services; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/* Length of the head of response <p> (through its empty line), or <len>. */
static size_t head_len(const char *p, size_t len)
{
	const char *e = memmem(p, len, "\r\n\r\n", 4);
	return e ? (size_t)(e - p) + 4 : len;
}

void http_service_answer(struct stream *s, const struct http_service *svc, const struct proxy *px,
                         const void *arg)
{
	struct http_txn *t = s->txn;
	struct http_svc_req rq = {.req = &t->req, .px = px, .arg = arg};
	struct strbuf out = {0};
	counters_http_intercepted(s->fe); /* before: a statistics page shows itself */
	int status = svc->handle(&rq, &out);
	int close = rq.close || (t->req.flags & HMF_CONN_CLOSE) || !(t->req.flags & HMF_VER11);
	int head = t->req.meth == HTTP_METH_HEAD;

	/* the head's slices are not used past this point */
	t->cin.head += t->req.skip + t->req.head_len;
	t->scan_from = 0;
	t->discarding = !t->req.body.done; /* its body is read and dropped */
	if (out.failed || !out.len) {
		sb_free(&out);
		http_reply_error(s, 500, TERM_NONE);
		return;
	}
	counters_http_status(s->fe, NULL, status);
	log_set_term(s, 'L', 'R');
	size_t len = head ? head_len(out.p, out.len) : out.len;
	http_reply_local_owned(s, status, out.p, len, close); /* may free <s> */
}
