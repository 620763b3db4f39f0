/* Parsing and printing of configuration socket addresses.
 *
 * Grammar handled by addr_parse(), after environment expansion:
 *
 *   address := [ prefix "@" ] body | "/" path
 *   prefix  := [ ("stream" | "dgram") "+" ] family | protocol
 *   family  := ip | ipv4 | ipv6 | unix | abns | abnsz | fd | sockpair
 *   protocol:= tcp | tcp4 | tcp6 | udp | udp4 | udp6 | uxst | uxdg
 *
 * A prefix is recognised when the text does not start with '/' and an '@'
 * is preceded only by characters among [A-Za-z0-9+._-]. quic4, quic6,
 * quic+<family>, mptcp, mptcp4, mptcp6 and rhttp are known but refused.
 *
 * Inet bodies are "host", "host:port", "[v6]" or "[v6]:port". A host with
 * two colons or more and no brackets is IPv6: the part after the last colon
 * is taken as the port when it only holds port characters ([0-9+-], possibly
 * nothing) and the part before it is a valid IPv6 address; otherwise the
 * whole text is the address. Hence "::1:80" is ::1 port 80, "::1" is ::1
 * without port, and "2001:db8::1:2" is 2001:db8::1 port 2 (brackets remove
 * the ambiguity). This split does not depend on the options, so the same
 * text always means the same thing. An empty port ("1.2.3.4:") is the same
 * as no port at all.
 */
#include "common/addr.h"
#include "common/mem.h"
#include "common/units.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

/* ------------------------------------------------------------------------ */
/* Environment expansion                                                    */
/* ------------------------------------------------------------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
};

/* Appends <n> bytes from <s> to <sb>, growing it as needed. */
static void sb_add(struct sbuf *sb, const char *s, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		sb->cap = (sb->len + n + 1) * 2;
		sb->p = xrealloc(sb->p, sb->cap);
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = 0;
}

static bool is_name_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Expands the variable reference starting at the '$' in <s> into <sb> and
 * returns the number of input bytes consumed. Text that is not a valid
 * reference ("$", "$1", "${", "${A", "${A?}") is copied as a single '$'.
 */
static size_t expand_var(const char *s, struct sbuf *sb)
{
	const char *name = s + 1, *end, *def = NULL, *close = NULL, *val;
	bool braced = *name == '{';
	char *n;

	if (braced)
		name++;
	if (!is_name_start(*name))
		goto literal;
	for (end = name + 1; is_name_char(*end); end++)
		;
	if (braced) {
		if (*end == '-') {
			def = end + 1;
			close = strchr(def, '}');
		} else if (*end == '}') {
			close = end;
		}
		if (!close)
			goto literal;
	}
	n = xstrndup(name, (size_t)(end - name));
	val = getenv(n);
	free(n);
	if (val)
		sb_add(sb, val, strlen(val));
	else if (def)
		sb_add(sb, def, (size_t)(close - def));
	return (size_t)((braced ? close + 1 : end) - s);
literal:
	sb_add(sb, "$", 1);
	return 1;
}

/* Expands $NAME, ${NAME} and ${NAME-default} in <text>. Names are made of
 * letters, digits and '_' and do not start with a digit. An unset variable
 * expands to its default, or to nothing; a set but empty one stays empty.
 * Defaults are copied verbatim (no nested expansion). Returns an allocated
 * string (never NULL).
 */
char *env_expand(const char *text)
{
	struct sbuf sb = {0};
	const char *p = text ? text : "";

	sb_add(&sb, "", 0);
	while (*p) {
		const char *dollar = strchr(p, '$');
		if (!dollar) {
			sb_add(&sb, p, strlen(p));
			break;
		}
		sb_add(&sb, p, (size_t)(dollar - p));
		p = dollar + expand_var(dollar, &sb);
	}
	return sb.p;
}

/* ------------------------------------------------------------------------ */
/* Prefixes                                                                 */
/* ------------------------------------------------------------------------ */

enum family {
	FAM_IP, /* IPv4 or IPv6 depending on the syntax */
	FAM_IPV4,
	FAM_IPV6,
	FAM_UNIX,
	FAM_ABNS,
	FAM_ABNSZ,
	FAM_FD,
	FAM_SOCKPAIR,
	FAM_UNSUPPORTED,
};

struct prefix {
	const char *name;
	enum family fam;
	int socktype; /* forced socket type, 0 to keep the default */
};

/* families, which may follow "stream+" and "dgram+" */
static const struct prefix families[] = {
    {"ip", FAM_IP, 0},     {"ipv4", FAM_IPV4, 0},         {"ipv6", FAM_IPV6, 0},
    {"unix", FAM_UNIX, 0}, {"abns", FAM_ABNS, 0},         {"abnsz", FAM_ABNSZ, 0},
    {"fd", FAM_FD, 0},     {"sockpair", FAM_SOCKPAIR, 0},
};

/* protocol aliases, used alone */
static const struct prefix protocols[] = {
    {"tcp", FAM_IP, SOCK_STREAM},    {"tcp4", FAM_IPV4, SOCK_STREAM},
    {"tcp6", FAM_IPV6, SOCK_STREAM}, {"udp", FAM_IP, SOCK_DGRAM},
    {"udp4", FAM_IPV4, SOCK_DGRAM},  {"udp6", FAM_IPV6, SOCK_DGRAM},
    {"uxst", FAM_UNIX, SOCK_STREAM}, {"uxdg", FAM_UNIX, SOCK_DGRAM},
    {"quic4", FAM_UNSUPPORTED, 0},   {"quic6", FAM_UNSUPPORTED, 0},
    {"mptcp", FAM_UNSUPPORTED, 0},   {"mptcp4", FAM_UNSUPPORTED, 0},
    {"mptcp6", FAM_UNSUPPORTED, 0},  {"rhttp", FAM_UNSUPPORTED, 0},
};

/* state shared by the parsing steps */
struct pctx {
	const char *text; /* expanded input, quoted in messages */
	unsigned opts;
	enum family fam;
	bool bracketed; /* host was written "[...]" */
	struct hl_addr *out;
	char **err;
};

/* Looks the <len> bytes at <name> up in <tab>; returns NULL if unknown. */
static const struct prefix *find_prefix(const char *name, size_t len, const struct prefix *tab,
                                        size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(tab[i].name) == len && memcmp(tab[i].name, name, len) == 0)
			return &tab[i];
	return NULL;
}

/* Returns the length of the prefix of <s> before its '@', or 0 if <s> does
 * not start with something shaped like a prefix.
 */
static size_t prefix_len(const char *s)
{
	size_t i;

	if (*s == '/')
		return 0;
	for (i = 0; is_name_char(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-'; i++)
		;
	return (i && s[i] == '@') ? i : 0;
}

/* Returns true if the <len> bytes at <s> start with <word>. */
static bool starts_with(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);
	return len >= wl && memcmp(s, word, wl) == 0;
}

/* Recognises the optional prefix of c->text, sets c->fam and the socket
 * type, and points *<rest> to what follows. Returns 0, or -1 with an error.
 */
static int parse_prefix(const char *text, const char **rest, struct pctx *c)
{
	size_t plen = prefix_len(text), nlen = plen;
	const char *name = text;
	const struct prefix *p;
	int forced = 0;
	bool quic = false;

	*rest = text + (plen ? plen + 1 : 0);
	c->fam = (*text == '/') ? FAM_UNIX : FAM_IP;
	if (!plen)
		return 0;
	if (starts_with(name, nlen, "stream+"))
		forced = SOCK_STREAM;
	else if (starts_with(name, nlen, "dgram+"))
		forced = SOCK_DGRAM;
	else if (starts_with(name, nlen, "quic+"))
		quic = true;
	if (forced || quic) {
		size_t skip = strchr(name, '+') + 1 - name;
		name += skip;
		nlen -= skip;
	}
	p = find_prefix(name, nlen, families, sizeof(families) / sizeof(families[0]));
	if (!p && !forced && !quic)
		p = find_prefix(name, nlen, protocols, sizeof(protocols) / sizeof(protocols[0]));
	if (!p) {
		memprintf(c->err, "unknown address family '%.*s@' in '%s'", (int)plen, text,
		          c->text);
		return -1;
	}
	if (quic || p->fam == FAM_UNSUPPORTED) {
		memprintf(c->err, "'%.*s@' address family is not supported yet", (int)plen, text);
		return -1;
	}
	c->fam = p->fam;
	if (forced)
		c->out->socktype = forced;
	else if (p->socktype)
		c->out->socktype = p->socktype;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Unix sockets and inherited file descriptors                              */
/* ------------------------------------------------------------------------ */

/* Fills the sockaddr_un for a unix path (FAM_UNIX) or an abstract name
 * (FAM_ABNS, FAM_ABNSZ). The address length is offsetof(sun_path) plus the
 * path and its NUL for paths; for abns@ it is the whole sockaddr_un (the
 * name is padded with NULs to the end of sun_path, as HAProxy does), and for
 * abnsz@ it covers the leading NUL and the name only.
 */
static int parse_unix(const char *path, struct pctx *c)
{
	struct hl_addr *a = c->out;
	struct sockaddr_un *su = (struct sockaddr_un *)&a->ss;
	size_t len = strlen(path), max = sizeof(su->sun_path) - 1;

	if (!len) {
		memprintf(c->err, "missing socket path in '%s'", c->text);
		return -1;
	}
	if (len > max) {
		memprintf(c->err, "socket path '%s' is too long (at most %zu bytes)", path, max);
		return -1;
	}
	su->sun_family = AF_UNIX;
	if (c->fam == FAM_UNIX) {
		memcpy(su->sun_path, path, len + 1);
		a->kind = ADDR_UNIX;
		a->sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
		return 0;
	}
	memcpy(su->sun_path + 1, path, len);
	if (c->fam == FAM_ABNS) {
		a->kind = ADDR_ABNS;
		a->sslen = sizeof(struct sockaddr_un);
	} else {
		a->kind = ADDR_ABNSZ;
		a->sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	}
	return 0;
}

/* Parses the <num> of "fd@<num>" or "sockpair@<num>". ss stays AF_UNSPEC
 * with a zero length: the actual address is only known from the socket.
 */
static int parse_fd(const char *num, struct pctx *c)
{
	const char *what = c->fam == FAM_FD ? "fd@" : "sockpair@";
	long long v;

	if (c->opts & PA_NO_FD) {
		memprintf(c->err, "'%s' addresses are not accepted here ('%s')", what, c->text);
		return -1;
	}
	if (parse_int_range(num, 0, INT_MAX, &v, NULL) != PARSE_OK) {
		memprintf(c->err, "invalid file descriptor '%s' in '%s'", num, c->text);
		return -1;
	}
	c->out->kind = c->fam == FAM_FD ? ADDR_FD : ADDR_SOCKPAIR;
	c->out->fd = (int)v;
	c->out->ss.ss_family = AF_UNSPEC;
	c->out->sslen = 0;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Ports                                                                    */
/* ------------------------------------------------------------------------ */

/* Parses the <len> bytes at <s> as a number in [<min>, 65535]. */
static bool port_num(const char *s, size_t len, long long min, long long *out)
{
	char tmp[16];

	if (!len || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	return parse_int_range(tmp, min, 65535, out, NULL) == PARSE_OK;
}

/* Parses a "+N" / "-N" port offset (0 <= N <= 65535). Only ADDR_F_PORT_OFFSET
 * is set: port_lo/port_hi stay 0 since the port depends on the client.
 */
static int parse_port_offset(const char *p, struct pctx *c)
{
	long long v;

	if (!(c->opts & PA_PORT_OFFSET)) {
		memprintf(c->err, "port offset '%s' not allowed in '%s'", p, c->text);
		return -1;
	}
	if (!port_num(p + 1, strlen(p + 1), 0, &v)) {
		memprintf(c->err, "invalid port offset '%s' in '%s'", p, c->text);
		return -1;
	}
	c->out->port_offset = *p == '-' ? -(int)v : (int)v;
	c->out->flags |= ADDR_F_PORT_OFFSET;
	return 0;
}

/* Parses the port part <p> (NULL or empty if none) into port_lo/port_hi.
 * With PA_PORT_RANGE (bind) ports start at 1, otherwise 0 is accepted.
 */
static int parse_port(const char *p, struct pctx *c)
{
	struct hl_addr *a = c->out;
	long long lo, hi, min = (c->opts & PA_PORT_RANGE) ? 1 : 0;
	const char *dash;

	if (!p || !*p) {
		if (!(c->opts & PA_PORT_MANDATORY))
			return 0;
		memprintf(c->err, "missing port number in '%s'", c->text);
		return -1;
	}
	if (*p == '+' || *p == '-')
		return parse_port_offset(p, c);
	if (!(c->opts & (PA_PORT_OK | PA_PORT_MANDATORY | PA_PORT_RANGE))) {
		memprintf(c->err, "port '%s' not allowed in '%s'", p, c->text);
		return -1;
	}
	dash = strchr(p, '-');
	if (dash && !(c->opts & PA_PORT_RANGE)) {
		memprintf(c->err, "port range '%s' not allowed in '%s'", p, c->text);
		return -1;
	}
	if (dash && (!port_num(p, (size_t)(dash - p), min, &lo) ||
	             !port_num(dash + 1, strlen(dash + 1), min, &hi) || hi < lo)) {
		memprintf(c->err, "invalid port range '%s' in '%s'", p, c->text);
		return -1;
	}
	if (!dash && !port_num(p, strlen(p), min, &lo)) {
		memprintf(c->err, "invalid port '%s' in '%s'", p, c->text);
		return -1;
	}
	a->port_lo = (uint16_t)lo;
	a->port_hi = (uint16_t)(dash ? hi : lo);
	a->flags |= ADDR_F_PORT_SET;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Inet hosts                                                               */
/* ------------------------------------------------------------------------ */

/* Returns true if <s> is empty or only holds port characters. */
static bool looks_like_port(const char *s)
{
	return strspn(s, "0123456789+-") == strlen(s);
}

static bool is_ipv6(const char *s)
{
	struct in6_addr a6;
	return inet_pton(AF_INET6, s, &a6) == 1;
}

/* Splits <s> in place into *<host> and *<port> (NULL when absent), following
 * the rules in the file header.
 */
static int split_host_port(char *s, char **host, char **port, struct pctx *c)
{
	char *last, *first, *close;

	*host = s;
	*port = NULL;
	if (*s == '[') {
		close = strchr(s, ']');
		if (!close || (close[1] && close[1] != ':')) {
			memprintf(c->err, "invalid bracketed address in '%s'", c->text);
			return -1;
		}
		*close = 0;
		*host = s + 1;
		*port = close[1] ? close + 2 : NULL;
		c->bracketed = true;
		return 0;
	}
	last = strrchr(s, ':');
	if (!last)
		return 0;
	first = strchr(s, ':');
	*last = 0;
	if (last == first || (looks_like_port(last + 1) && is_ipv6(s))) {
		*port = last + 1;
		return 0;
	}
	*last = ':'; /* bare IPv6 address without port */
	return 0;
}

/* Returns true if <s> is shaped like a DNS name. */
static bool is_hostname(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!is_name_char(*p) && *p != '-' && *p != '.')
			return false;
	return *s != 0;
}

/* Sets the address to <sa> (<len> bytes, AF_INET or AF_INET6). */
static void set_sockaddr(struct hl_addr *a, const void *sa, socklen_t len)
{
	memcpy(&a->ss, sa, len);
	a->sslen = len;
	a->kind = a->ss.ss_family == AF_INET ? ADDR_INET4 : ADDR_INET6;
}

/* Sets the any address of <af>. */
static void set_any(struct hl_addr *a, int af)
{
	if (af == AF_INET6) {
		struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
		set_sockaddr(a, &s6, sizeof(s6));
	} else {
		struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_addr.s_addr = INADDR_ANY};
		set_sockaddr(a, &s4, sizeof(s4));
	}
}

/* Resolves <host> with getaddrinfo() restricted to <af>, keeping the first
 * inet result and the name.
 */
static int resolve_host(const char *host, int af, struct pctx *c)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;

	hints.ai_family = af;
	hints.ai_socktype = c->out->socktype;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		res = NULL;
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(c->out->ss))
			break;
	if (!ai) {
		if (res)
			freeaddrinfo(res);
		memprintf(c->err, "could not resolve address '%s'", host);
		return -1;
	}
	set_sockaddr(c->out, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	c->out->hostname = xstrdup(host);
	c->out->flags |= ADDR_F_HOSTNAME;
	return 0;
}

/* Checks that a literal of family <got> is allowed by the prefix. */
static int check_family(const char *host, int got, int want, struct pctx *c)
{
	if (want == AF_UNSPEC || want == got)
		return 0;
	memprintf(c->err, "'%s' is not an %s address in '%s'", host,
	          want == AF_INET ? "IPv4" : "IPv6", c->text);
	return -1;
}

/* Fills the address from <host>: wildcard, IPv4 or IPv6 literal, or a name
 * resolved when PA_RESOLVE is set.
 */
static int parse_host(const char *host, struct pctx *c)
{
	int want = c->fam == FAM_IPV4 ? AF_INET : c->fam == FAM_IPV6 ? AF_INET6 : AF_UNSPEC;
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};

	if (!c->bracketed && (!*host || strcmp(host, "*") == 0)) {
		set_any(c->out, want);
		return 0;
	}
	if (!c->bracketed && inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		set_sockaddr(c->out, &s4, sizeof(s4));
		return check_family(host, AF_INET, want, c);
	}
	if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
		set_sockaddr(c->out, &s6, sizeof(s6));
		return check_family(host, AF_INET6, want, c);
	}
	/* getaddrinfo() would take "10.1" or "0x7f.1" as IPv4: refuse them */
	if (c->bracketed || !is_hostname(host) || inet_aton(host, &s4.sin_addr)) {
		memprintf(c->err, "invalid address '%s' in '%s'", host, c->text);
		return -1;
	}
	if (!(c->opts & PA_RESOLVE)) {
		memprintf(c->err, "host name '%s' not allowed here, an IP address is expected",
		          host);
		return -1;
	}
	return resolve_host(host, want, c);
}

/* Returns true if the inet address in <a> is all zeroes. */
static bool is_any(const struct hl_addr *a)
{
	if (a->kind == ADDR_INET4)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == INADDR_ANY;
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

/* Parses an inet body "host[:port]" (modified in place). The port is checked
 * before the host so that a bad port never costs a DNS query.
 */
static int parse_inet(char *body, struct pctx *c)
{
	struct hl_addr *a = c->out;
	char *host, *port;

	if (split_host_port(body, &host, &port, c) < 0 || parse_port(port, c) < 0 ||
	    parse_host(host, c) < 0)
		return -1;
	if (is_any(a))
		a->flags |= ADDR_F_WILDCARD;
	if (a->kind == ADDR_INET4)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(a->port_lo);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(a->port_lo);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

/* Dispatches the expanded <text> (a modifiable copy is in <work>). */
static int parse_expanded(const char *text, char *work, struct pctx *c)
{
	const char *rest;

	if (parse_prefix(text, &rest, c) < 0)
		return -1;
	switch (c->fam) {
	case FAM_UNIX:
	case FAM_ABNS:
	case FAM_ABNSZ:
		return parse_unix(rest, c);
	case FAM_FD:
	case FAM_SOCKPAIR:
		return parse_fd(rest, c);
	default:
		return parse_inet(work + (rest - text), c);
	}
}

int addr_parse(const char *text, unsigned opts, struct hl_addr *out, char **err)
{
	struct pctx c = {.opts = opts, .out = out, .err = err};
	char *exp, *work;
	int ret;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->socktype = (opts & PA_DGRAM) ? SOCK_DGRAM : SOCK_STREAM;
	if (!text) {
		memprintf(err, "missing address");
		return -1;
	}
	exp = env_expand(text);
	work = xstrdup(exp);
	c.text = exp;
	ret = parse_expanded(exp, work, &c);
	free(work);
	free(exp);
	if (ret < 0) {
		addr_release(out);
		out->kind = ADDR_NONE;
	}
	return ret;
}

/* Formats the port suffix of an inet address into <buf>. */
static void port_suffix(const struct hl_addr *a, char *buf, size_t len)
{
	buf[0] = 0;
	if (a->flags & ADDR_F_PORT_OFFSET)
		snprintf(buf, len, ":%+d", a->port_offset);
	else if ((a->flags & ADDR_F_PORT_SET) && a->port_lo != a->port_hi)
		snprintf(buf, len, ":%u-%u", a->port_lo, a->port_hi);
	else if (a->flags & ADDR_F_PORT_SET)
		snprintf(buf, len, ":%u", a->port_lo);
}

/* Formats <a> as "ip[:port]", "[ip6][:port]", "unix@path", "abns@name",
 * "abnsz@name", "fd@N", "sockpair@N" (a port range is "p1-p2", an offset
 * "+N"/"-N"), or "(none)". The output is truncated to <len>.
 */
const char *addr_to_str(const struct hl_addr *a, char *buf, size_t len)
{
	const struct sockaddr_un *su = (const struct sockaddr_un *)&a->ss;
	char ip[INET6_ADDRSTRLEN] = "", port[16];
	int n;

	if (!len)
		return buf;
	port_suffix(a, port, sizeof(port));
	switch (a->kind) {
	case ADDR_INET4:
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s%s", ip, port);
		break;
	case ADDR_INET6:
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, ip,
		          sizeof(ip));
		snprintf(buf, len, "[%s]%s", ip, port);
		break;
	case ADDR_UNIX:
		n = (int)strnlen(su->sun_path, sizeof(su->sun_path));
		snprintf(buf, len, "unix@%.*s", n, su->sun_path);
		break;
	case ADDR_ABNS:
	case ADDR_ABNSZ:
		n = (int)strnlen(su->sun_path + 1, sizeof(su->sun_path) - 1);
		snprintf(buf, len, "%s@%.*s", a->kind == ADDR_ABNS ? "abns" : "abnsz", n,
		         su->sun_path + 1);
		break;
	case ADDR_FD:
		snprintf(buf, len, "fd@%d", a->fd);
		break;
	case ADDR_SOCKPAIR:
		snprintf(buf, len, "sockpair@%d", a->fd);
		break;
	default:
		snprintf(buf, len, "(none)");
		break;
	}
	return buf;
}

void addr_release(struct hl_addr *a)
{
	free(a->hostname);
	a->hostname = NULL;
	a->flags &= ~ADDR_F_HOSTNAME;
}

const char *addr_ip_str(const struct hl_addr *a, char *buf, size_t len)
{
	const void *ip = NULL;
	if (a->ss.ss_family == AF_INET)
		ip = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else if (a->ss.ss_family == AF_INET6)
		ip = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (!ip || !inet_ntop(a->ss.ss_family, ip, buf, (socklen_t)len))
		snprintf(buf, len, "-");
	return buf;
}

void sockaddr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

socklen_t addr_sockaddr_port(const struct hl_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	*ss = a->ss;
	sockaddr_set_port(ss, port);
	return a->sslen;
}

const char *ip_ntop(int af, const void *src, char *dst, size_t size)
{
	if (af != AF_INET)
		return inet_ntop(af, src, dst, (socklen_t)size);
	const unsigned char *b = src;
	char tmp[16], *o = tmp;
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
		*o++ = i < 3 ? '.' : '\0';
	}
	if ((size_t)(o - tmp) > size) {
		errno = ENOSPC;
		return NULL;
	}
	memcpy(dst, tmp, (size_t)(o - tmp));
	return dst;
}
