/* Socket addresses as written in the configuration (bind, server, log,
 * source, -S ...): host names, IPv4, IPv6 ("[::1]:80" or "::1:80"), "*"
 * and empty host (0.0.0.0), "::", unix paths (starting with '/'), and the
 * prefixes ipv4@ ipv6@ ip@ unix@ abns@ abnsz@ fd@ sockpair@ tcp@ tcp4@ tcp6@
 * udp@ udp4@ udp6@ uxst@ uxdg@ stream+<family>@ dgram+<family>@.
 * quic prefixes and mptcp are recognised and refused as "not supported yet".
 * Environment variables written $NAME or ${NAME} in the text are expanded
 * (addresses may use them unquoted).
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>

enum addr_kind {
	ADDR_NONE = 0,
	ADDR_INET4,
	ADDR_INET6,
	ADDR_UNIX,     /* path in ss (struct sockaddr_un) */
	ADDR_ABNS,     /* abstract unix, padded name (abns@) */
	ADDR_ABNSZ,    /* abstract unix, zero-terminated name (abnsz@) */
	ADDR_FD,       /* inherited file descriptor (fd@N) */
	ADDR_SOCKPAIR, /* connected unix socket receiving fds (sockpair@N) */
};

/* flags in hl_addr.flags */
#define ADDR_F_PORT_SET 0x01    /* a port (or range) was given */
#define ADDR_F_PORT_OFFSET 0x02 /* "+N"/"-N": port relative to the client's */
#define ADDR_F_HOSTNAME 0x04    /* the host part was a name that was resolved */
#define ADDR_F_WILDCARD 0x08    /* any address (0.0.0.0 or ::) */

struct hl_addr {
	enum addr_kind kind;
	int socktype; /* SOCK_STREAM or SOCK_DGRAM */
	unsigned flags;
	struct sockaddr_storage ss; /* family, address; port set to port_lo */
	socklen_t sslen;
	uint16_t port_lo, port_hi; /* host order; equal unless a range was given */
	int port_offset;           /* with ADDR_F_PORT_OFFSET */
	int fd;                    /* ADDR_FD / ADDR_SOCKPAIR */
	char *hostname;            /* host name as written when ADDR_F_HOSTNAME (owned) */
};

/* options of addr_parse() */
#define PA_PORT_MANDATORY 0x01 /* inet addresses need a port (bind) */
#define PA_PORT_OK 0x02        /* a port may be given */
#define PA_PORT_RANGE 0x04     /* "p1-p2" allowed (bind) */
#define PA_PORT_OFFSET 0x08    /* "+N" / "-N" allowed (server) */
#define PA_RESOLVE 0x10        /* resolve host names with getaddrinfo() */
#define PA_DGRAM 0x20          /* default socket type is datagram (log) */
#define PA_NO_FD 0x40          /* fd@ and sockpair@ not accepted */

/* Parses <text> into <out> according to <opts>. Returns 0 on success, or -1
 * with *<err> set to an allocated message that quotes the faulty text.
 */
int addr_parse(const char *text, unsigned opts, struct hl_addr *out, char **err);

/* Writes a printable form into <buf> ("127.0.0.1:80", "[::1]:80",
 * "unix@/path", "abns@name", "fd@3", "sockpair@4"), returns <buf>.
 */
const char *addr_to_str(const struct hl_addr *a, char *buf, size_t len);

/* Releases what <a> owns (the host name); the struct itself is not freed. */
void addr_release(struct hl_addr *a);

/* Expands $NAME and ${NAME} (and ${NAME-default}) found anywhere in <text>;
 * returns an allocated string.
 */
char *env_expand(const char *text);
