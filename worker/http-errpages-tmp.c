/* Built-in error pages until the configurable ones land. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/http-txn.h"

static const char *reason_of(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

const struct http_reply *http_error_reply(const struct proxy *px, int status)
{
	static __thread struct http_reply r;
	static __thread char buf[512];
	(void)px;
	char body[160];
	int bl = snprintf(body, sizeof(body), "<html><body><h1>%d %s</h1>\n</body></html>\n", status,
			  reason_of(status));
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 %d %s\r\ncontent-length: %d\r\ncache-control: no-cache\r\n"
			 "content-type: text/html\r\n\r\n%s",
			 status, reason_of(status), bl, body);
	r.status = status;
	r.raw = buf;
	r.len = (size_t)n;
	return &r;
}
