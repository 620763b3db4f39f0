/* Local HTTP services: named handlers that answer a request inside the
 * proxy instead of forwarding it (the statistics page, exporters). A module
 * registers its service from its own file with HTTP_REGISTER_SERVICE; the
 * HTTP engine hands a request over with http_service_answer(), whether it
 * was chosen by a proxy setting ("stats enable") or by a rule naming the
 * service.
 */
#pragma once
#include "common/http-msg.h"
#include "common/strbuf.h"

struct stream;
struct proxy;

/* What a service sees of the request it answers. Valid only during the
 * call: the head's slices point into the stream's input buffer.
 */
struct http_svc_req {
	const struct http_msg *req; /* the parsed request head */
	const struct proxy *px;     /* the proxy whose setting or rule chose the service */
	const void *arg;            /* the service's argument (e.g. its settings), or NULL */
	int close;                  /* set by the service: close the connection after */
};

struct http_service {
	const char *name;
	/* Writes a complete HTTP/1.1 response (status line, headers with a
	 * content-length, body) to <out> and returns its status code. The
	 * caller drops the body for HEAD requests and answers 500 when <out>
	 * failed to grow.
	 */
	int (*handle)(struct http_svc_req *rq, struct strbuf *out);
	struct http_service *next;
};

void http_service_register(struct http_service *svc);

#define HTTP_REGISTER_SERVICE(svc)                                                                 \
	__attribute__((constructor)) static void svc##_register(void)                              \
	{                                                                                          \
		http_service_register(&svc);                                                       \
	}

/* The service registered as <name>, or NULL. */
const struct http_service *http_service_find(const char *name);

/* Answers the current request of <s> (head parsed, not consumed) with
 * <svc>: runs it, counts the request as intercepted by the frontend and
 * its status, drops the request body, and sends the response; the
 * connection is kept when the request allows it.
 */
void http_service_answer(struct stream *s, const struct http_service *svc, const struct proxy *px,
                         const void *arg);
