/* PROXY protocol v1 (text) and v2 (binary), as in proxy-protocol.txt.
 * Parsing is incremental-friendly: the caller passes what it has received
 * and learns whether the header is complete.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PP_MAX_TLV_BYTES 1024 /* TLV bytes kept per connection (later use) */

struct pp_info {
	int version;    /* 1 or 2 */
	int local;      /* v1 "UNKNOWN" or v2 LOCAL command: keep real addresses */
	struct sockaddr_storage src, dst; /* family AF_UNSPEC when not given */
	uint8_t tlv[PP_MAX_TLV_BYTES];    /* raw v2 TLV area (truncated if larger) */
	size_t tlv_len;
	int tlv_truncated;
};

enum pp_status {
	PP_DONE = 0,   /* header complete: *consumed bytes to skip */
	PP_NEED_MORE,  /* not enough data yet */
	PP_INVALID,    /* not a valid PROXY header */
};

/* Parses a PROXY header at the start of <buf> (<len> bytes). On PP_DONE
 * fills <out> and sets *<consumed> to the header length. Never reads past
 * <len>. A v1 line longer than 107 bytes or a v2 length above 65535+16 is
 * invalid.
 */
enum pp_status pp_parse(const uint8_t *buf, size_t len, struct pp_info *out, size_t *consumed);

/* Writes a v1 header for <src> -> <dst> into <out> (at least 108 bytes).
 * Families other than IPv4/IPv6 (or mismatched) give "PROXY UNKNOWN\r\n".
 * Returns the length.
 */
size_t pp_build_v1(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
		   char *out, size_t outlen);

/* Writes a v2 PROXY (or LOCAL when <src> is NULL) header with optional raw
 * <tlv> bytes appended. Returns the length, or 0 if <outlen> is too small.
 */
size_t pp_build_v2(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
		   const uint8_t *tlv, size_t tlv_len, uint8_t *out, size_t outlen);
