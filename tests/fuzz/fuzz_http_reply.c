/* libFuzzer target for the error reply checks and builder (conf/http-reply.c).
 *
 * The first two bytes choose tune.http.maxhdr (1..256) and tune.bufsize
 * (1 kB..64 kB); the rest is a reply file. Properties checked (abort() on
 * violation):
 *  - a reply accepted with some buffer size is accepted with a larger one,
 *    with the same status;
 *  - the accepted status is the number written on the start line (when it
 *    has at most five digits);
 *  - a reply built by http_reply_build() from a status, a body and a header
 *    taken from the input is accepted and gives back its status.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/http.h"

/* Checks an exactly sized heap copy, so that over-reads are caught. */
static int check_copy(const struct global_cfg *g, const uint8_t *buf, size_t len)
{
	char *c = malloc(len ? len : 1);
	char *err = NULL;

	if (!c)
		abort();
	memcpy(c, buf, len);
	int st = http_reply_check(g, c, len, &err);
	if (st < 0 && !err)
		abort(); /* a refusal always says why */
	free(err);
	free(c);
	return st;
}

/* Builds a reply from the input and checks it back. */
static void check_build(const uint8_t *buf, size_t len)
{
	struct global_cfg g = {.tune_bufsize = 1 << 20, .tune_http_maxhdr = 101};
	char name[9] = "x-fuzz-", value[33];
	char *names[] = {name}, *values[] = {value};
	size_t vlen = 0;
	char *err = NULL;

	int status = 200 + (len ? buf[0] : 0) % 400;
	if (status == 204 || status == 304)
		status = 200;
	name[7] = (char)('a' + (len > 1 ? buf[1] : 0) % 26);
	name[8] = 0;
	for (size_t i = 2; i < len && vlen < sizeof(value) - 1; i++)
		if (buf[i] >= 0x21 && buf[i] < 0x7f)
			value[vlen++] = (char)buf[i];
	value[vlen] = 0;
	struct http_reply *rep = http_reply_build(status, "text/plain", (const char *)buf, len,
	                                          names, values, vlen ? 1 : 0);
	if (http_reply_check(&g, rep->raw, rep->len, &err) != status || rep->status != status)
		abort();
	free(err);
	http_reply_free(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	struct global_cfg g = {.tune_bufsize = 1024u << (data[1] % 7),
	                       .tune_http_maxhdr = 1 + data[0]};
	const uint8_t *raw = data + 2;
	size_t len = size - 2;

	int st = check_copy(&g, raw, len);
	if (st >= 0) {
		struct global_cfg big = g;
		big.tune_bufsize *= 2;
		if (check_copy(&big, raw, len) != st)
			abort();
		size_t i = 0;
		while (i < len && raw[i] != ' ' && raw[i] != '\t')
			i++;
		while (i < len && (raw[i] == ' ' || raw[i] == '\t'))
			i++;
		long v = 0;
		size_t n = 0;
		for (; i < len && raw[i] >= '0' && raw[i] <= '9'; i++, n++)
			v = n < 5 ? v * 10 + (raw[i] - '0') : v;
		if (n <= 5 && v != st)
			abort();
	}
	check_build(raw, len);
	return 0;
}
