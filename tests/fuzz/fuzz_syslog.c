/* libFuzzer target for the syslog relay (worker/log-forward.c): the input
 * is one received message, parsed and rewritten for a target of every
 * format.
 *
 * Properties checked (abort() on violation): the parts found lie inside
 * the input; a rewritten header fits the documented 4096 bytes (the buffer
 * is exactly that size, ASan catches the rest); the message part sent
 * after it lies inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/log.h"
#include "worker/log-forward.h"

static void inside(const struct syslog_span *s, const uint8_t *data, size_t size)
{
	if (s->n && ((const uint8_t *)s->p < data || (const uint8_t *)s->p + s->n > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syslog_msg m;
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	syslog_parse((const char *)copy, size, &m);
	const struct syslog_span *parts[] = {&m.ts,    &m.host, &m.app, &m.pid,
	                                     &m.msgid, &m.sd,   &m.msg, &m.whole};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		inside(parts[i], copy, size);
	char *hdr = malloc(4096);
	for (int f = LOG_FMT_RFC3164; f <= LOG_FMT_RAW; f++) {
		struct log_target t = {.format = (enum log_format)f,
		                       .format_set = 1,
		                       .level = 7,
		                       .facility = 16,
		                       .maxlen = 1024};
		struct syslog_span body;
		long n = syslog_rewrite(&t, &m, hdr, &body);
		if (n > 4096)
			abort();
		inside(&body, copy, size);
	}
	free(hdr);
	free(copy);
	return 0;
}
