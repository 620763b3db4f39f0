/* Reason phrases and Halyard's built-in error pages.
 *
 * The pages are built once, before main() runs, so that worker threads only
 * ever read them. Each is a complete HTTP/1.1 response with a short HTML
 * body; like HAProxy's, it says nothing about the connection: the HTTP
 * engine adds "connection: close" when it closes after the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "conf/http.h"

struct status_text {
	int status;
	const char *reason;
	const char *sentence; /* body of the built-in page, NULL: the class's */
};

static const struct status_text texts[] = {
    {100, "Continue", NULL},
    {101, "Switching Protocols", NULL},
    {102, "Processing", NULL},
    {103, "Early Hints", NULL},
    {200, "OK", "The service is up and answering."},
    {201, "Created", NULL},
    {202, "Accepted", NULL},
    {203, "Non-Authoritative Information", NULL},
    {204, "No Content", NULL},
    {205, "Reset Content", NULL},
    {206, "Partial Content", NULL},
    {207, "Multi-Status", NULL},
    {208, "Already Reported", NULL},
    {226, "IM Used", NULL},
    {300, "Multiple Choices", NULL},
    {301, "Moved Permanently", NULL},
    {302, "Found", NULL},
    {303, "See Other", NULL},
    {304, "Not Modified", NULL},
    {305, "Use Proxy", NULL},
    {307, "Temporary Redirect", NULL},
    {308, "Permanent Redirect", NULL},
    {400, "Bad Request", "The request was malformed and could not be processed."},
    {401, "Unauthorized", "Credentials are needed to reach this resource."},
    {402, "Payment Required", NULL},
    {403, "Forbidden", "Access to this resource is denied."},
    {404, "Not Found", "Nothing was found at this address."},
    {405, "Method Not Allowed", "This method cannot be used on this resource."},
    {406, "Not Acceptable", NULL},
    {407, "Proxy Authentication Required", "The proxy needs credentials to pass this request on."},
    {408, "Request Timeout", "The request did not arrive completely in time."},
    {409, "Conflict", NULL},
    {410, "Gone", "This resource was removed and will not come back."},
    {411, "Length Required", NULL},
    {412, "Precondition Failed", NULL},
    {413, "Content Too Large", "The request body is larger than allowed."},
    {414, "URI Too Long", "The requested address is longer than allowed."},
    {415, "Unsupported Media Type", NULL},
    {416, "Range Not Satisfiable", NULL},
    {417, "Expectation Failed", NULL},
    {421, "Misdirected Request", "This request reached a server that cannot answer it."},
    {422, "Unprocessable Content", "The request content could not be processed."},
    {423, "Locked", NULL},
    {424, "Failed Dependency", NULL},
    {425, "Too Early", "The request came too early to be handled safely; please retry."},
    {426, "Upgrade Required", NULL},
    {428, "Precondition Required", NULL},
    {429, "Too Many Requests", "Too many requests were sent; please slow down."},
    {431, "Request Header Fields Too Large", "The request headers are larger than allowed."},
    {451, "Unavailable For Legal Reasons", NULL},
    {500, "Internal Server Error", "An unexpected condition stopped this request."},
    {501, "Not Implemented", "This request asks for something that is not supported."},
    {502, "Bad Gateway", "The server sent an invalid or incomplete response."},
    {503, "Service Unavailable", "No server is able to take this request right now."},
    {504, "Gateway Timeout", "The server did not answer in time."},
    {505, "HTTP Version Not Supported", NULL},
    {506, "Variant Also Negotiates", NULL},
    {507, "Insufficient Storage", NULL},
    {508, "Loop Detected", NULL},
    {510, "Not Extended", NULL},
    {511, "Network Authentication Required", NULL},
};

#define NB_TEXTS (sizeof(texts) / sizeof(texts[0]))

/* Built-in pages, indexed like texts[]; NULL where there is none. */
static struct http_reply *pages[NB_TEXTS];

static const struct status_text *find_text(int status)
{
	for (size_t i = 0; i < NB_TEXTS; i++)
		if (texts[i].status == status)
			return &texts[i];
	return NULL;
}

const char *http_reason(int status)
{
	const struct status_text *t = find_text(status);
	return t ? t->reason : "Unknown";
}

/* Sentence of the page of <t>: its own, or one for its class. */
static const char *page_sentence(const struct status_text *t)
{
	if (t->sentence)
		return t->sentence;
	return t->status < 500 ? "The request could not be handled."
	                       : "The request could not be completed.";
}

/* Builds the page of <t>, in the layout every built-in page shares. */
static struct http_reply *build_page(const struct status_text *t)
{
	char *body = xasprintf("<html><body><h1>%d %s</h1>\n%s\n</body></html>\n", t->status,
	                       t->reason, page_sentence(t));
	size_t blen = strlen(body);
	struct http_reply *rep = xcalloc(1, sizeof(*rep));

	rep->status = t->status;
	rep->raw = xasprintf("HTTP/1.1 %d %s\r\ncontent-length: %zu\r\ncache-control: no-cache\r\n"
	                     "content-type: text/html\r\n\r\n%s",
	                     t->status, t->reason, blen, body);
	rep->len = strlen(rep->raw);
	free(body);
	return rep;
}

__attribute__((constructor)) static void build_pages(void)
{
	for (size_t i = 0; i < NB_TEXTS; i++)
		if (texts[i].status == 200 || texts[i].status >= 400)
			pages[i] = build_page(&texts[i]);
}

const struct http_reply *http_builtin_reply(int status)
{
	for (size_t i = 0; i < NB_TEXTS; i++)
		if (texts[i].status == status)
			return pages[i];
	return NULL;
}
