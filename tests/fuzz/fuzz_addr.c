/* libFuzzer target for addr_parse(), addr_to_str(), env_expand(),
 * parse_time() and parse_size(). PA_RESOLVE is never used so that no DNS
 * query is ever made; host names are then plain errors.
 */
#include "common/addr.h"
#include "common/units.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* option sets mirroring the real users (bind, server, log, source...) */
static const unsigned opt_sets[] = {
    0,
    PA_PORT_MANDATORY | PA_PORT_RANGE,
    PA_PORT_OK | PA_PORT_OFFSET,
    PA_PORT_OK | PA_DGRAM,
    PA_PORT_OK | PA_NO_FD,
    PA_PORT_MANDATORY | PA_PORT_RANGE | PA_PORT_OFFSET | PA_PORT_OK | PA_DGRAM,
};

/* Parses <s> with every option set and prints each success. */
static void fuzz_addr(const char *s)
{
	for (size_t i = 0; i < sizeof(opt_sets) / sizeof(opt_sets[0]); i++) {
		struct hl_addr a;
		char *err = NULL;
		char buf[300];

		if (addr_parse(s, opt_sets[i], &a, &err) == 0) {
			addr_to_str(&a, buf, sizeof(buf));
			addr_to_str(&a, buf, 7);
			addr_release(&a);
		} else if (!err) {
			abort(); /* every failure must come with a message */
		}
		free(err);
	}
}

/* Exercises the unit parsers on <s>. */
static void fuzz_units(const char *s)
{
	const char *bad = NULL;
	uint64_t v;
	uint32_t ms;
	long long ll;

	if (parse_time(s, TIME_BASE_US, UINT64_MAX, &v, &bad) == PARSE_BAD_CHAR &&
	    (bad < s || bad > s + strlen(s)))
		abort();
	parse_time(s, TIME_BASE_S, 1000000, &v, &bad);
	parse_time_ms(s, &ms, &bad);
	parse_size(s, UINT64_MAX, &v, &bad);
	parse_size(s, 1ULL << 32, &v, &bad);
	parse_int_range(s, -1000, 1000, &ll, &bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char *e;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	fuzz_addr(s);
	fuzz_units(s);
	e = env_expand(s);
	free(e);
	free(s);
	return 0;
}
