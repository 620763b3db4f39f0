/* libFuzzer target for pp_parse(), pp_build_v1() and pp_build_v2().
 *
 * Properties checked (abort() on violation):
 *  - the result does not depend on bytes past the header: a header found in
 *    the input is found identically in any longer or shorter input that
 *    still holds it, and every proper prefix of it needs more data;
 *  - a rejected prefix stays rejected when more bytes follow;
 *  - a parsed header re-encoded with either builder parses back to the same
 *    addresses and ports (v1 keeps only same-family IPv4/IPv6 pairs, v2
 *    keeps IPv4/IPv6 pairs and the TLVs when they were not truncated).
 */
#include "worker/proxy-proto.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Parses an exactly sized heap copy of <buf>/<len> so that over-reads are
 * caught by ASan even inside the fuzzer's own input buffer.
 */
static enum pp_status parse_copy(const uint8_t *buf, size_t len, struct pp_info *out, size_t *used)
{
	uint8_t *c = malloc(len ? len : 1);
	enum pp_status st;

	if (!c)
		abort();
	memcpy(c, buf, len);
	st = pp_parse(c, len, out, used);
	free(c);
	return st;
}

/* Returns true if <a> and <b> hold the same IPv4/IPv6 address and port. */
static bool same_inet(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

static bool is_ip(int af)
{
	return af == AF_INET || af == AF_INET6;
}

/* Checks the sanity of a PP_DONE result <pi> for a <used>-byte header. */
static void check_info(const struct pp_info *pi, size_t used, size_t len)
{
	if (used == 0 || used > len || (pi->version != 1 && pi->version != 2))
		abort();
	if (pi->version == 1 && used > 107)
		abort();
	if (pi->tlv_len > PP_MAX_TLV_BYTES || (pi->tlv_truncated && pi->version != 2))
		abort();
	if (pi->local &&
	    (pi->src.ss_family != AF_UNSPEC || pi->dst.ss_family != AF_UNSPEC || pi->tlv_len))
		abort();
	if (!pi->local && pi->src.ss_family != pi->dst.ss_family)
		abort();
}

/* Re-encodes <pi> as v1 and checks that it parses back equivalently. */
static void roundtrip_v1(const struct pp_info *pi)
{
	static struct pp_info back;
	char line[108];
	size_t n = pp_build_v1(&pi->src, &pi->dst, line, sizeof(line)), used = 0;
	bool ip = !pi->local && is_ip(pi->src.ss_family);

	if (n == 0 || n > 107 || parse_copy((const uint8_t *)line, n, &back, &used) != PP_DONE ||
	    used != n || back.version != 1)
		abort();
	if (ip ? back.local || !same_inet(&back.src, &pi->src) || !same_inet(&back.dst, &pi->dst)
	       : !back.local)
		abort();
}

/* Re-encodes <pi> as v2 with its TLVs (unless truncated) and checks that it
 * parses back equivalently.
 */
static void roundtrip_v2(const struct pp_info *pi)
{
	static struct pp_info back;
	static uint8_t buf[16 + 36 + PP_MAX_TLV_BYTES];
	bool ip = !pi->local && is_ip(pi->src.ss_family);
	size_t tl = pi->tlv_truncated ? 0 : pi->tlv_len, used = 0;
	size_t n =
	    pp_build_v2(pi->local ? NULL : &pi->src, &pi->dst, pi->tlv, tl, buf, sizeof(buf));

	if (n == 0 || parse_copy(buf, n, &back, &used) != PP_DONE || used != n || back.version != 2)
		abort();
	if (!ip) {
		if (!back.local)
			abort();
		return;
	}
	if (back.local || !same_inet(&back.src, &pi->src) || !same_inet(&back.dst, &pi->dst) ||
	    back.tlv_len != tl || memcmp(back.tlv, pi->tlv, tl) != 0)
		abort();
}

/* Checks that parsing the first <cut> bytes agrees with <st>/<used> found
 * on the whole <len> bytes.
 */
static void check_prefix(const uint8_t *data, size_t len, size_t cut, enum pp_status st,
                         size_t used)
{
	static struct pp_info pi;
	size_t u = 0;
	enum pp_status s = parse_copy(data, cut, &pi, &u);

	if (st == PP_DONE && cut >= used && (s != PP_DONE || u != used))
		abort();
	if (st == PP_DONE && cut < used && s != PP_NEED_MORE)
		abort();
	if (s == PP_INVALID && st != PP_INVALID)
		abort();
	if (s == PP_DONE && (st != PP_DONE || u != used))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pp_info pi;
	size_t used = 0;
	enum pp_status st = parse_copy(data, size, &pi, &used);

	if (st != PP_DONE && st != PP_NEED_MORE && st != PP_INVALID)
		abort();
	check_prefix(data, size, size / 2, st, used);
	check_prefix(data, size, size ? size - 1 : 0, st, used);
	if (st != PP_DONE)
		return 0;
	check_info(&pi, used, size);
	check_prefix(data, size, used, st, used);
	check_prefix(data, size, used - 1, st, used);
	for (size_t i = 0; i < used && i < 20; i++)
		check_prefix(data, size, i, st, used);
	roundtrip_v1(&pi);
	roundtrip_v2(&pi);
	return 0;
}
