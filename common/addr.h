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

/* A parsed address. With ADDR_F_PORT_OFFSET, ADDR_F_PORT_SET is clear and
 * port_lo/port_hi are 0. sslen covers the whole sockaddr_un for abns@ (the
 * name is NUL-padded to the end of sun_path) but only the leading NUL and
 * the name for abnsz@; fd@ and sockpair@ leave ss AF_UNSPEC with sslen 0.
 */
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
 * with *<err> set to an allocated message that quotes the faulty text (*err
 * must be NULL or allocated: it is replaced). With PA_PORT_RANGE ports start
 * at 1, otherwise port 0 is accepted. A bare IPv6 address uses its last
 * colon as port separator when what follows looks like a port and what
 * precedes is a valid IPv6 address ("::1:80"), so "[...]" is needed to write
 * an address such as 2001:db8::1:2 without a port. On failure <out> owns
 * nothing and its kind is ADDR_NONE.
 */
int addr_parse(const char *text, unsigned opts, struct hl_addr *out, char **err);

/* Writes a printable form into <buf> ("127.0.0.1:80", "[::1]:80",
 * "0.0.0.0:80-90", "1.2.3.4:+10", "[::1]" without port, "unix@/path",
 * "abns@name", "abnsz@name", "fd@3", "sockpair@4"), truncated to <len>;
 * returns <buf>. Resolved names are shown as their address. The output is
 * accepted back by addr_parse() with the same result.
 */
const char *addr_to_str(const struct hl_addr *a, char *buf, size_t len);

/* Writes the IP of <a> into <buf>, without brackets nor port, or "-" when
 * <a> is not an IPv4 or IPv6 address. Returns <buf>.
 */
const char *addr_ip_str(const struct hl_addr *a, char *buf, size_t len);

/* inet_ntop() with the IPv4 case written by hand: glibc formats IPv4 with
 * sprintf, which costs as much as the rest of a log line. Same contract:
 * <dst> of <size> bytes, returns <dst>, or NULL (ENOSPC, EAFNOSUPPORT).
 */
const char *ip_ntop(int af, const void *src, char *dst, size_t size);

/* Sets the port of <ss> to <port> (host order) if it is an IPv4 or IPv6
 * address; other families are left as they are.
 */
void sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port);

/* Copies the socket address of <a> into <ss> with port <port> (host
 * order, for IPv4 and IPv6 only). Returns the address length.
 */
socklen_t addr_sockaddr_port(const struct hl_addr *a, uint16_t port, struct sockaddr_storage *ss);

/* Releases what <a> owns (the host name); the struct itself is not freed. */
void addr_release(struct hl_addr *a);

/* Expands $NAME and ${NAME} (and ${NAME-default}) found anywhere in <text>;
 * returns an allocated string. Names are [A-Za-z_][A-Za-z0-9_]*; an unset
 * variable gives its default or nothing (a set but empty one stays empty);
 * a '$' that does not start a valid reference is kept as is.
 */
char *env_expand(const char *text);
