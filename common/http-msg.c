/* Helpers over the protocol-neutral HTTP message head. */
#include "common/http-msg.h"

#include <string.h>
#include <strings.h>

int http_name_is(struct ist n, const char *lname)
{
	size_t l = strlen(lname);
	return n.len == l && strncasecmp(n.p, lname, l) == 0;
}

int http_find_hdr(const struct http_msg *m, const char *lname, int from)
{
	for (int i = from < 0 ? 0 : from; i < m->nhdrs; i++)
		if (m->hdrs[i].n.len && http_name_is(m->hdrs[i].n, lname))
			return i;
	return -1;
}

int http_del_hdr(struct http_msg *m, const char *lname)
{
	int n = 0;
	for (int i = http_find_hdr(m, lname, 0); i >= 0; i = http_find_hdr(m, lname, i + 1)) {
		m->hdrs[i].n.len = 0;
		n++;
	}
	return n;
}

int http_add_hdr(struct http_msg *m, struct ist n, struct ist v)
{
	if (m->nhdrs >= m->maxhdrs)
		return -1;
	m->hdrs[m->nhdrs].n = n;
	m->hdrs[m->nhdrs].v = v;
	m->nhdrs++;
	return 0;
}

enum http_meth http_meth_of(struct ist s)
{
	static const struct {
		const char *name;
		enum http_meth meth;
	} known[] = {
	    {"GET", HTTP_METH_GET},         {"HEAD", HTTP_METH_HEAD},
	    {"POST", HTTP_METH_POST},       {"PUT", HTTP_METH_PUT},
	    {"DELETE", HTTP_METH_DELETE},   {"CONNECT", HTTP_METH_CONNECT},
	    {"OPTIONS", HTTP_METH_OPTIONS}, {"TRACE", HTTP_METH_TRACE},
	    {"PATCH", HTTP_METH_PATCH},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (s.len == strlen(known[i].name) && memcmp(s.p, known[i].name, s.len) == 0)
			return known[i].meth;
	return HTTP_METH_OTHER;
}
