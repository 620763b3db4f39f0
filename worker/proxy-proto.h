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
 * fills <out> and sets *<consumed> to the header length (bytes after it are
 * never looked at); otherwise neither is written. Never reads past <len>.
 * PP_NEED_MORE means the bytes so far are a valid beginning; PP_INVALID is
 * returned as soon as they cannot be. A v1 line longer than 107 bytes (CRLF
 * included) is invalid. v1 "UNKNOWN", v2 LOCAL and v2 PROXY with an UNSPEC
 * family or protocol give local=1 with AF_UNSPEC addresses and no TLVs; v2
 * TCP over IPv4/IPv6 and UNIX stream give AF_INET/AF_INET6/AF_UNIX pairs and
 * the TLV area, whose framing (and CRC32C TLV, if any) is verified.
 */
enum pp_status pp_parse(const uint8_t *buf, size_t len, struct pp_info *out, size_t *consumed);

/* Writes a v1 header for <src> -> <dst> into <out> (108 bytes are always
 * enough), NUL-terminated. Families other than IPv4/IPv6, mismatched ones
 * or a NULL address give "PROXY UNKNOWN\r\n". Returns the length without
 * the NUL, or 0 if <outlen> is too small.
 */
size_t pp_build_v1(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
		   char *out, size_t outlen);

/* Writes a v2 header with optional raw <tlv> bytes appended: PROXY TCP over
 * IPv4 when both addresses are IPv4, TCP over IPv6 when both are IP and one
 * is IPv6 (the IPv4 one then written as ::ffff:a.b.c.d), else (NULL, AF_UNIX
 * or other families) LOCAL with UNSPEC family. A CRC32C TLV present in <tlv>
 * gets its value computed. Returns the length, or 0 if <outlen> is too
 * small, the TLVs are badly framed or the header would exceed 16+65535 bytes.
 */
size_t pp_build_v2(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
		   const uint8_t *tlv, size_t tlv_len, uint8_t *out, size_t outlen);
