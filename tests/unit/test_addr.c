/* Unit tests for common/addr.c: address parsing, printing and environment
 * expansion.
 */
#include "common/addr.h"
#include "tests/unit/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/un.h>

#define BIND_OPTS (PA_PORT_MANDATORY | PA_PORT_RANGE)
#define SRV_OPTS (PA_PORT_OK | PA_PORT_OFFSET)

static char t_buf[256];
static char *t_err;

/* Parses <text> with <opts> and returns its printed form, or "ERR" (the
 * message is then in t_err). The address is released.
 */
static const char *fmt(const char *text, unsigned opts)
{
	struct hl_addr a;

	free(t_err);
	t_err = NULL;
	if (addr_parse(text, opts, &a, &t_err) < 0)
		return "ERR";
	addr_to_str(&a, t_buf, sizeof(t_buf));
	addr_release(&a);
	return t_buf;
}

/* Returns true if the last error contains <needle>. */
static int err_has(const char *needle)
{
	if (!t_err || !strstr(t_err, needle)) {
		fprintf(stderr, "  error was: %s\n", t_err ? t_err : "(none)");
		return 0;
	}
	return 1;
}

/* Parses <text> expecting success. */
static int ok(const char *text, unsigned opts, struct hl_addr *a)
{
	char *err = NULL;
	int ret = addr_parse(text, opts, a, &err);

	if (ret < 0)
		fprintf(stderr, "  unexpected error for '%s': %s\n", text, err);
	free(err);
	return ret == 0;
}

TEST(ipv4_forms)
{
	struct hl_addr a;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a.ss;

	CHECK(ok("127.0.0.1:8080", SRV_OPTS, &a));
	CHECK_INT(a.kind, ADDR_INET4);
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK_INT(a.flags, ADDR_F_PORT_SET);
	CHECK_INT(a.port_lo, 8080);
	CHECK_INT(a.port_hi, 8080);
	CHECK_INT(a.sslen, sizeof(struct sockaddr_in));
	CHECK_INT(s4->sin_family, AF_INET);
	CHECK_INT(ntohs(s4->sin_port), 8080);
	CHECK_INT(ntohl(s4->sin_addr.s_addr), 0x7f000001);
	CHECK(a.hostname == NULL);
	addr_release(&a);

	CHECK(ok("10.1.2.3", SRV_OPTS, &a));
	CHECK_INT(a.flags, 0);
	CHECK_INT(a.port_lo, 0);
	CHECK_STR(fmt("10.1.2.3", SRV_OPTS), "10.1.2.3");
	CHECK_STR(fmt("10.1.2.3:", SRV_OPTS), "10.1.2.3");
	CHECK_STR(fmt("10.1.2.3:0", SRV_OPTS), "10.1.2.3:0");
	CHECK_STR(fmt("10.1.2.3:65535", SRV_OPTS), "10.1.2.3:65535");
	CHECK_STR(fmt("10.1.2.3:65536", SRV_OPTS), "ERR");
	CHECK(err_has("'65536'"));
	CHECK_STR(fmt("10.1.2.3:80x", SRV_OPTS), "ERR");
	CHECK(err_has("invalid port '80x'"));
	CHECK_STR(fmt("10.1.2.3:http", SRV_OPTS), "ERR");
	CHECK_STR(fmt("1.2.3:80", SRV_OPTS), "ERR"); /* dotted quad only */
	CHECK_STR(fmt("256.1.1.1:80", SRV_OPTS), "ERR");
	CHECK_STR(fmt("1.2.3.4:80:90", SRV_OPTS), "ERR");
	CHECK(err_has("'1.2.3.4:80:90'"));
}

TEST(ipv6_forms)
{
	struct hl_addr a;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a.ss;

	CHECK(ok("[::1]:80", BIND_OPTS, &a));
	CHECK_INT(a.kind, ADDR_INET6);
	CHECK_INT(a.sslen, sizeof(struct sockaddr_in6));
	CHECK_INT(s6->sin6_family, AF_INET6);
	CHECK_INT(ntohs(s6->sin6_port), 80);
	CHECK(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	CHECK_INT(a.flags, ADDR_F_PORT_SET);

	CHECK_STR(fmt("[::1]:80", SRV_OPTS), "[::1]:80");
	CHECK_STR(fmt("::1:80", SRV_OPTS), "[::1]:80");
	CHECK_STR(fmt("[::1]", SRV_OPTS), "[::1]");
	CHECK_STR(fmt("[::1]:", SRV_OPTS), "[::1]");
	CHECK_STR(fmt("::1", SRV_OPTS), "[::1]");
	CHECK_STR(fmt("::1:", SRV_OPTS), "[::1]");
	CHECK_STR(fmt("ipv6@::1", SRV_OPTS), "[::1]");
	CHECK_STR(fmt("ipv6@::1", 0), "[::1]");
	CHECK_STR(fmt("2001:db8::1:443", SRV_OPTS), "[2001:db8::1]:443");
	CHECK_STR(fmt("[2001:db8::1:443]", SRV_OPTS), "[2001:db8::1:443]");
	CHECK_STR(fmt("::ffff:1.2.3.4", SRV_OPTS), "[::ffff:1.2.3.4]");
	CHECK_STR(fmt("[::ffff:1.2.3.4]:5", SRV_OPTS), "[::ffff:1.2.3.4]:5");
	CHECK_STR(fmt("fe80::1:2:3:4:5:6", SRV_OPTS), "[fe80::1:2:3:4:5]:6");
	CHECK_STR(fmt("[::1]x", SRV_OPTS), "ERR");
	CHECK(err_has("'[::1]x'"));
	CHECK_STR(fmt("[::1:80", SRV_OPTS), "ERR");
	CHECK_STR(fmt("[1.2.3.4]:80", SRV_OPTS), "ERR");
	CHECK(err_has("'1.2.3.4'"));
	CHECK_STR(fmt("[]:80", SRV_OPTS), "ERR");
	CHECK_STR(fmt("[*]:80", SRV_OPTS), "ERR");
	CHECK_STR(fmt("::1::2:80", SRV_OPTS), "ERR");
	CHECK_STR(fmt("1:2:3:4:5:6:7:abc", SRV_OPTS), "[1:2:3:4:5:6:7:abc]"); /* hex group */
	CHECK_STR(fmt("::1:xyz", SRV_OPTS), "ERR");
	CHECK(err_has("'::1:xyz'"));
}

TEST(wildcards)
{
	struct hl_addr a;

	CHECK(ok(":80", BIND_OPTS, &a));
	CHECK_INT(a.kind, ADDR_INET4);
	CHECK_INT(a.flags, ADDR_F_PORT_SET | ADDR_F_WILDCARD);
	CHECK_INT(((struct sockaddr_in *)&a.ss)->sin_addr.s_addr, INADDR_ANY);
	CHECK_STR(fmt(":80", BIND_OPTS), "0.0.0.0:80");
	CHECK_STR(fmt("*:80", BIND_OPTS), "0.0.0.0:80");
	CHECK_STR(fmt("0.0.0.0:80", BIND_OPTS), "0.0.0.0:80");
	CHECK(ok("0.0.0.0:80", BIND_OPTS, &a));
	CHECK(a.flags & ADDR_F_WILDCARD);
	CHECK(ok("[::]:80", BIND_OPTS, &a));
	CHECK_INT(a.kind, ADDR_INET6);
	CHECK(a.flags & ADDR_F_WILDCARD);
	CHECK_STR(fmt("[::]:80", BIND_OPTS), "[::]:80");
	CHECK_STR(fmt(":::80", BIND_OPTS), "[::]:80");
	CHECK_STR(fmt("::", SRV_OPTS), "[::]");
	CHECK_STR(fmt("ipv6@:80", BIND_OPTS), "[::]:80");
	CHECK_STR(fmt("ipv6@*:80", BIND_OPTS), "[::]:80");
	CHECK_STR(fmt("ipv4@", SRV_OPTS), "0.0.0.0");
	CHECK_STR(fmt("*", SRV_OPTS), "0.0.0.0");
	CHECK_STR(fmt("", SRV_OPTS), "0.0.0.0");
	CHECK(ok("127.0.0.1:80", BIND_OPTS, &a));
	CHECK(!(a.flags & ADDR_F_WILDCARD));
}

TEST(port_rules)
{
	CHECK_STR(fmt("1.2.3.4", BIND_OPTS), "ERR");
	CHECK(err_has("missing port number in '1.2.3.4'"));
	CHECK_STR(fmt("1.2.3.4:", BIND_OPTS), "ERR");
	CHECK(err_has("missing port number"));
	CHECK_STR(fmt("::1", BIND_OPTS), "ERR");
	CHECK(err_has("missing port number in '::1'"));
	CHECK_STR(fmt("*", BIND_OPTS), "ERR");
	CHECK_STR(fmt("1.2.3.4:80", 0), "ERR");
	CHECK(err_has("'80'"));
	CHECK_STR(fmt("::1:80", 0), "ERR"); /* still the last colon, even without ports */
	CHECK_STR(fmt("1.2.3.4", 0), "1.2.3.4");
	CHECK_STR(fmt("1.2.3.4:80", PA_PORT_MANDATORY), "1.2.3.4:80");
	CHECK_STR(fmt("1.2.3.4:0", PA_PORT_MANDATORY), "1.2.3.4:0");
	CHECK_STR(fmt("1.2.3.4:0", BIND_OPTS), "ERR"); /* no port 0 for bind */
	CHECK(err_has("invalid port '0'"));
	CHECK_STR(fmt("1.2.3.4:99999999999999999999", BIND_OPTS), "ERR");
	CHECK_STR(fmt("1.2.3.4:-", BIND_OPTS), "ERR");
	CHECK_STR(fmt("1.2.3.4:+", SRV_OPTS), "ERR");
}

TEST(port_ranges)
{
	struct hl_addr a;

	CHECK(ok("10.0.0.1:2000-2100", BIND_OPTS, &a));
	CHECK_INT(a.port_lo, 2000);
	CHECK_INT(a.port_hi, 2100);
	CHECK_INT(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 2000);
	CHECK_STR(fmt("10.0.0.1:2000-2100", BIND_OPTS), "10.0.0.1:2000-2100");
	CHECK_STR(fmt("10.0.0.1:80-80", BIND_OPTS), "10.0.0.1:80");
	CHECK_STR(fmt("[::1]:1-65535", BIND_OPTS), "[::1]:1-65535");
	CHECK_STR(fmt(":8000-8010", BIND_OPTS), "0.0.0.0:8000-8010");
	CHECK_STR(fmt("10.0.0.1:2100-2000", BIND_OPTS), "ERR");
	CHECK(err_has("invalid port range '2100-2000'"));
	CHECK_STR(fmt("10.0.0.1:0-10", BIND_OPTS), "ERR");
	CHECK_STR(fmt("10.0.0.1:10-65536", BIND_OPTS), "ERR");
	CHECK_STR(fmt("10.0.0.1:10-", BIND_OPTS), "ERR");
	CHECK_STR(fmt("10.0.0.1:10-20-30", BIND_OPTS), "ERR");
	CHECK_STR(fmt("10.0.0.1:2000-2100", SRV_OPTS), "ERR");
	CHECK(err_has("port range '2000-2100' not allowed"));
}

TEST(port_offsets)
{
	struct hl_addr a;

	CHECK(ok("10.0.0.1:+1000", SRV_OPTS, &a));
	CHECK_INT(a.flags, ADDR_F_PORT_OFFSET);
	CHECK_INT(a.port_offset, 1000);
	CHECK_INT(a.port_lo, 0);
	CHECK(ok("10.0.0.1:-20", SRV_OPTS, &a));
	CHECK_INT(a.port_offset, -20);
	CHECK_STR(fmt("10.0.0.1:+1000", SRV_OPTS), "10.0.0.1:+1000");
	CHECK_STR(fmt("10.0.0.1:-20", SRV_OPTS), "10.0.0.1:-20");
	CHECK_STR(fmt("::1:+5", SRV_OPTS), "[::1]:+5");
	CHECK_STR(fmt("[::1]:-5", SRV_OPTS), "[::1]:-5");
	CHECK_STR(fmt("10.0.0.1:+70000", SRV_OPTS), "ERR");
	CHECK_STR(fmt("10.0.0.1:+1x", SRV_OPTS), "ERR");
	CHECK(err_has("'+1x'"));
	CHECK_STR(fmt("10.0.0.1:+1000", BIND_OPTS), "ERR");
	CHECK(err_has("port offset '+1000' not allowed"));
	CHECK_STR(fmt("10.0.0.1:+1000", PA_PORT_OK), "ERR");
}

TEST(unix_sockets)
{
	struct hl_addr a;
	struct sockaddr_un *su = (struct sockaddr_un *)&a.ss;
	char path[200];

	CHECK(ok("/var/run/hl.sock", BIND_OPTS, &a));
	CHECK_INT(a.kind, ADDR_UNIX);
	CHECK_INT(su->sun_family, AF_UNIX);
	CHECK_STR(su->sun_path, "/var/run/hl.sock");
	CHECK_INT(a.sslen, offsetof(struct sockaddr_un, sun_path) + 17);
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK_STR(fmt("/var/run/hl.sock", BIND_OPTS), "unix@/var/run/hl.sock");
	CHECK_STR(fmt("unix@rel/path.sock", BIND_OPTS), "unix@rel/path.sock");
	CHECK_STR(fmt("/tmp/a:80@b", BIND_OPTS), "unix@/tmp/a:80@b");
	CHECK_STR(fmt("unix@", BIND_OPTS), "ERR");
	CHECK(err_has("'unix@'"));

	/* sun_path holds 108 bytes: 107 characters plus the NUL */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(((struct sockaddr_un *)0)->sun_path) - 1] = 0;
	CHECK(ok(path, 0, &a));
	path[sizeof(((struct sockaddr_un *)0)->sun_path) - 1] = 'a';
	path[sizeof(((struct sockaddr_un *)0)->sun_path)] = 0;
	CHECK_STR(fmt(path, 0), "ERR");
	CHECK(err_has("too long"));

	CHECK(ok("uxdg@/dev/log", 0, &a));
	CHECK_INT(a.kind, ADDR_UNIX);
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK(ok("uxst@/dev/log", PA_DGRAM, &a));
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK(ok("/dev/log", PA_DGRAM, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK(ok("dgram+unix@/x", 0, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
}

TEST(abstract_sockets)
{
	struct hl_addr a;
	struct sockaddr_un *su = (struct sockaddr_un *)&a.ss;
	char name[200];

	CHECK(ok("abns@hl-master", BIND_OPTS, &a));
	CHECK_INT(a.kind, ADDR_ABNS);
	CHECK_INT(su->sun_family, AF_UNIX);
	CHECK_INT(su->sun_path[0], 0);
	CHECK(memcmp(su->sun_path + 1, "hl-master", 9) == 0);
	CHECK_INT(su->sun_path[10], 0);
	CHECK_INT(a.sslen, sizeof(struct sockaddr_un)); /* padded name */
	CHECK_STR(fmt("abns@hl-master", BIND_OPTS), "abns@hl-master");

	CHECK(ok("abnsz@hl-master", BIND_OPTS, &a));
	CHECK_INT(a.kind, ADDR_ABNSZ);
	CHECK_INT(su->sun_path[0], 0);
	CHECK_INT(a.sslen, offsetof(struct sockaddr_un, sun_path) + 1 + 9);
	CHECK_STR(fmt("abnsz@hl-master", BIND_OPTS), "abnsz@hl-master");

	CHECK_STR(fmt("abns@", BIND_OPTS), "ERR");
	memset(name, 'n', sizeof(name));
	memcpy(name, "abns@", 5);
	name[5 + 107] = 0;
	CHECK(ok(name, 0, &a));
	name[5 + 107] = 'n';
	name[5 + 108] = 0;
	CHECK_STR(fmt(name, 0), "ERR");
}

TEST(fd_and_sockpair)
{
	struct hl_addr a;

	CHECK(ok("fd@3", BIND_OPTS, &a));
	CHECK_INT(a.kind, ADDR_FD);
	CHECK_INT(a.fd, 3);
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK_STR(fmt("fd@3", BIND_OPTS), "fd@3");
	CHECK_STR(fmt("fd@0", BIND_OPTS), "fd@0");
	CHECK(ok("sockpair@4", SRV_OPTS, &a));
	CHECK_INT(a.kind, ADDR_SOCKPAIR);
	CHECK_INT(a.fd, 4);
	CHECK_STR(fmt("sockpair@4", SRV_OPTS), "sockpair@4");
	CHECK(ok("dgram+fd@5", 0, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK_STR(fmt("fd@-1", 0), "ERR");
	CHECK(err_has("'-1'"));
	CHECK_STR(fmt("fd@", 0), "ERR");
	CHECK_STR(fmt("fd@x", 0), "ERR");
	CHECK_STR(fmt("fd@3:80", BIND_OPTS), "ERR");
	CHECK_STR(fmt("fd@99999999999", 0), "ERR");
	CHECK_STR(fmt("fd@3", PA_NO_FD), "ERR");
	CHECK(err_has("'fd@3'"));
	CHECK_STR(fmt("sockpair@3", PA_NO_FD), "ERR");
	CHECK(err_has("'sockpair@3'"));
}

TEST(family_prefixes)
{
	struct hl_addr a;

	CHECK_STR(fmt("ipv4@1.2.3.4:80", SRV_OPTS), "1.2.3.4:80");
	CHECK_STR(fmt("ipv4@::1", SRV_OPTS), "ERR");
	CHECK(err_has("'::1' is not an IPv4 address"));
	CHECK_STR(fmt("ipv4@[::1]:80", SRV_OPTS), "ERR");
	CHECK_STR(fmt("ipv6@1.2.3.4:80", SRV_OPTS), "ERR");
	CHECK(err_has("'1.2.3.4' is not an IPv6 address"));
	CHECK_STR(fmt("ipv6@[::1]:80", SRV_OPTS), "[::1]:80");
	CHECK_STR(fmt("ip@1.2.3.4:80", SRV_OPTS), "1.2.3.4:80");
	CHECK_STR(fmt("ip@::1:80", SRV_OPTS), "[::1]:80");

	CHECK(ok("tcp@1.2.3.4:80", PA_DGRAM | SRV_OPTS, &a));
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK(ok("tcp4@1.2.3.4:80", PA_DGRAM | SRV_OPTS, &a));
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK(ok("tcp6@[::1]:80", PA_DGRAM | SRV_OPTS, &a));
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK_STR(fmt("tcp4@::1", SRV_OPTS), "ERR");
	CHECK_STR(fmt("tcp6@1.2.3.4", SRV_OPTS), "ERR");
	CHECK(ok("udp@1.2.3.4:514", SRV_OPTS, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK(ok("udp4@1.2.3.4:514", SRV_OPTS, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK(ok("udp6@[::1]:514", SRV_OPTS, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK_STR(fmt("udp4@::1", SRV_OPTS), "ERR");
	CHECK(ok("stream+ipv4@1.2.3.4:80", PA_DGRAM | SRV_OPTS, &a));
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK_INT(a.kind, ADDR_INET4);
	CHECK(ok("dgram+ip@[::1]:80", SRV_OPTS, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK_INT(a.kind, ADDR_INET6);
	CHECK(ok("stream+abns@x", PA_DGRAM, &a));
	CHECK_INT(a.kind, ADDR_ABNS);
	CHECK_INT(a.socktype, SOCK_STREAM);
}

TEST(default_socktype)
{
	struct hl_addr a;

	CHECK(ok("1.2.3.4:514", PA_DGRAM | PA_PORT_OK, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK(ok("1.2.3.4:514", PA_PORT_OK, &a));
	CHECK_INT(a.socktype, SOCK_STREAM);
	CHECK(ok("ipv4@1.2.3.4:514", PA_DGRAM | PA_PORT_OK, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
	CHECK(ok("fd@1", PA_DGRAM, &a));
	CHECK_INT(a.socktype, SOCK_DGRAM);
}

TEST(bad_prefixes)
{
	CHECK_STR(fmt("xyz@1.2.3.4:80", SRV_OPTS), "ERR");
	CHECK(err_has("unknown address family 'xyz@'"));
	CHECK_STR(fmt("IPV4@1.2.3.4:80", SRV_OPTS), "ERR"); /* case-sensitive */
	CHECK(err_has("'IPV4@'"));
	CHECK_STR(fmt("stream+tcp@1.2.3.4:80", SRV_OPTS), "ERR");
	CHECK(err_has("'stream+tcp@'"));
	CHECK_STR(fmt("dgram+@1.2.3.4:80", SRV_OPTS), "ERR");
	CHECK_STR(fmt("quic4@1.2.3.4:443", BIND_OPTS), "ERR");
	CHECK(err_has("'quic4@' address family is not supported yet"));
	CHECK_STR(fmt("quic6@[::1]:443", BIND_OPTS), "ERR");
	CHECK(err_has("'quic6@' address family is not supported yet"));
	CHECK_STR(fmt("quic+ipv4@1.2.3.4:443", BIND_OPTS), "ERR");
	CHECK(err_has("'quic+ipv4@' address family is not supported yet"));
	CHECK_STR(fmt("mptcp@1.2.3.4:80", BIND_OPTS), "ERR");
	CHECK(err_has("'mptcp@' address family is not supported yet"));
	CHECK_STR(fmt("mptcp4@1.2.3.4:80", BIND_OPTS), "ERR");
	CHECK(err_has("'mptcp4@'"));
	CHECK_STR(fmt("mptcp6@[::1]:80", BIND_OPTS), "ERR");
	CHECK(err_has("'mptcp6@'"));
	CHECK_STR(fmt("@1.2.3.4:80", SRV_OPTS), "ERR");
}

TEST(host_names)
{
	struct hl_addr a;
	char *err = NULL;

	CHECK(ok("localhost:80", SRV_OPTS | PA_RESOLVE, &a));
	CHECK(a.kind == ADDR_INET4 || a.kind == ADDR_INET6);
	CHECK(a.flags & ADDR_F_HOSTNAME);
	CHECK(a.flags & ADDR_F_PORT_SET);
	CHECK_STR(a.hostname, "localhost");
	CHECK_INT(a.port_lo, 80);
	if (a.kind == ADDR_INET4)
		CHECK_INT(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 80);
	else
		CHECK_INT(ntohs(((struct sockaddr_in6 *)&a.ss)->sin6_port), 80);
	addr_release(&a);
	CHECK(a.hostname == NULL);
	CHECK(!(a.flags & ADDR_F_HOSTNAME));

	CHECK(ok("ipv4@localhost:80", SRV_OPTS | PA_RESOLVE, &a));
	CHECK_INT(a.kind, ADDR_INET4);
	CHECK_STR(fmt("ipv4@localhost:80", SRV_OPTS | PA_RESOLVE), "127.0.0.1:80");
	addr_release(&a);

	CHECK_STR(fmt("localhost:80", SRV_OPTS), "ERR");
	CHECK(err_has("'localhost'"));
	CHECK_STR(fmt("no-such-host.invalid:80", SRV_OPTS | PA_RESOLVE), "ERR");
	CHECK(err_has("could not resolve address 'no-such-host.invalid'"));
	CHECK_STR(fmt("10.1:80", SRV_OPTS | PA_RESOLVE), "ERR"); /* no inet_aton forms */
	CHECK(err_has("invalid address '10.1'"));
	CHECK_STR(fmt("0x7f.1:80", SRV_OPTS | PA_RESOLVE), "ERR");
	CHECK_STR(fmt("80", SRV_OPTS | PA_RESOLVE), "ERR");
	CHECK_STR(fmt("bad host:80", SRV_OPTS | PA_RESOLVE), "ERR");
	CHECK(err_has("'bad host'"));
	/* the port is checked before any DNS query */
	CHECK_STR(fmt("no-such-host.invalid:99999", SRV_OPTS | PA_RESOLVE), "ERR");
	CHECK(err_has("invalid port"));

	CHECK_INT(addr_parse(NULL, 0, &a, &err), -1);
	CHECK(err != NULL);
	free(err);
}

TEST(env_expansion)
{
	char *s;

	setenv("HL_T_IP", "10.9.8.7", 1);
	setenv("HL_T_EMPTY", "", 1);
	unsetenv("HL_T_UNSET");

	s = env_expand("$HL_T_IP:80");
	CHECK_STR(s, "10.9.8.7:80");
	free(s);
	s = env_expand("${HL_T_IP}x");
	CHECK_STR(s, "10.9.8.7x");
	free(s);
	s = env_expand("a${HL_T_UNSET-1.2.3.4}b");
	CHECK_STR(s, "a1.2.3.4b");
	free(s);
	s = env_expand("${HL_T_IP-1.2.3.4}");
	CHECK_STR(s, "10.9.8.7");
	free(s);
	s = env_expand("[${HL_T_EMPTY-dflt}]"); /* empty is not unset */
	CHECK_STR(s, "[]");
	free(s);
	s = env_expand("[$HL_T_UNSET][${HL_T_UNSET}]");
	CHECK_STR(s, "[][]");
	free(s);
	s = env_expand("$ $1 $$ ${ ${HL_T_IP ${1x} end$");
	CHECK_STR(s, "$ $1 $$ ${ ${HL_T_IP ${1x} end$");
	free(s);
	s = env_expand("${HL_T_IP[*]}");
	CHECK_STR(s, "${HL_T_IP[*]}");
	free(s);
	s = env_expand("");
	CHECK_STR(s, "");
	free(s);
	s = env_expand(NULL);
	CHECK_STR(s, "");
	free(s);
}

TEST(env_in_addresses)
{
	setenv("TESTIP", "127.0.0.2", 1);
	setenv("HL_T_FD", "7", 1);
	unsetenv("HL_T_UNSET");
	CHECK_STR(fmt("$TESTIP:80", BIND_OPTS), "127.0.0.2:80");
	CHECK_STR(fmt("${TESTIP}:8000-8001", BIND_OPTS), "127.0.0.2:8000-8001");
	CHECK_STR(fmt("fd@${HL_T_FD}", BIND_OPTS), "fd@7");
	CHECK_STR(fmt("${HL_T_UNSET-127.0.0.1}:514", SRV_OPTS), "127.0.0.1:514");
	CHECK_STR(fmt("$HL_T_UNSET:80", BIND_OPTS), "0.0.0.0:80");
	CHECK_STR(fmt("$TESTIP", BIND_OPTS), "ERR");
	CHECK(err_has("'127.0.0.2'"));
}

TEST(to_str_round_trip)
{
	static const char *const forms[] = {
	    "1.2.3.4:80",     "0.0.0.0:443",      "[::1]:80",    "[::]:8080",
	    "[2001:db8::1]",  "10.0.0.1:1-65535", "1.2.3.4:+10", "[::1]:-10",
	    "unix@/run/x.sk", "unix@relative",    "abns@name",   "abnsz@name",
	    "fd@3",           "sockpair@9",       "192.168.0.1", "[::ffff:1.2.3.4]:1",
	};
	unsigned opts = PA_PORT_OK | PA_PORT_RANGE | PA_PORT_OFFSET;
	char first[256];

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(first, sizeof(first), "%s", fmt(forms[i], opts));
		CHECK_STR(first, forms[i]);
		CHECK_STR(fmt(first, opts), forms[i]);
	}
}

TEST(to_str_edges)
{
	struct hl_addr a;
	char small[6];

	memset(&a, 0, sizeof(a));
	CHECK_STR(addr_to_str(&a, t_buf, sizeof(t_buf)), "(none)");
	CHECK(ok("192.168.100.200:65535", PA_PORT_OK, &a));
	CHECK_STR(addr_to_str(&a, small, sizeof(small)), "192.1");
	CHECK(addr_to_str(&a, small, 0) == small);
}

/* ip_ntop() writes what inet_ntop() writes, for every byte value in every
 * position, and refuses a buffer too small by one. */
TEST(ip_ntop_matches_inet_ntop)
{
	char mine[INET6_ADDRSTRLEN], ref[INET6_ADDRSTRLEN];
	unsigned char b[4];
	int same = 1;

	for (unsigned v = 0; v < 256 && same; v++)
		for (int pos = 0; pos < 4 && same; pos++) {
			memset(b, (int)((v * 7 + 3) & 255), sizeof(b));
			b[pos] = (unsigned char)v;
			inet_ntop(AF_INET, b, ref, sizeof(ref));
			same =
			    ip_ntop(AF_INET, b, mine, sizeof(mine)) == mine && !strcmp(mine, ref);
		}
	CHECK(same);
	memcpy(b, "\xff\xff\xff\xff", 4);
	CHECK(ip_ntop(AF_INET, b, mine, 16) == mine);
	CHECK_STR(mine, "255.255.255.255");
	CHECK(ip_ntop(AF_INET, b, mine, 15) == NULL);
	memset(b, 0, 4);
	CHECK(ip_ntop(AF_INET, b, mine, 8) == mine);
	CHECK_STR(mine, "0.0.0.0");
	CHECK(ip_ntop(AF_INET, b, mine, 7) == NULL);
	struct in6_addr v6 = IN6ADDR_LOOPBACK_INIT;
	CHECK(ip_ntop(AF_INET6, &v6, mine, sizeof(mine)) == mine);
	CHECK_STR(mine, "::1");
}

TEST_MAIN()
