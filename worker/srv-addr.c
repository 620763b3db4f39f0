/* Runtime server addresses: "set server <b>/<s> addr <ip> [port <port>]",
 * with the answers HAProxy 2.6 gives (its wording is what scripts read).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "common/rcu.h"
#include "worker/srv-addr.h"
#include "worker/srv-cmds.h"

struct addr_version {
	struct hl_addr a;
	struct rcu_head rcu;
};

static void free_version(struct rcu_head *h)
{
	free(caa_container_of(h, struct addr_version, rcu));
}

void srv_publish_addr(struct srv_rt *s, const struct hl_addr *a)
{
	struct addr_version *v = xcalloc(1, sizeof(*v));
	v->a = *a;
	v->a.hostname = NULL; /* the configured name stays with the configuration */
	v->a.flags &= ~ADDR_F_HOSTNAME;
	struct hl_addr *old = hl_rcu_xchg(s->addr, &v->a);
	atomic_fetch_add(&s->addr_gen, 1);
	if (old && old != &s->conf->addr)
		hl_call_rcu(&caa_container_of(old, struct addr_version, a)->rcu, free_version);
}

void srv_addr_free_now(struct srv_rt *s)
{
	struct hl_addr *a = hl_rcu_xchg(s->addr, NULL);
	if (a && a != &s->conf->addr)
		free(caa_container_of(a, struct addr_version, a));
}

/* The port of <a> as HAProxy writes it: "+N"/"-N" for a port map. */
static const char *port_text(const struct hl_addr *a, char *buf, size_t len)
{
	if (a->flags & ADDR_F_PORT_SET)
		snprintf(buf, len, "%u", (unsigned)a->port_lo);
	else
		snprintf(buf, len, "%s%d", a->port_offset < 0 ? "" : "+", a->port_offset);
	return buf;
}

void srv_addr_set_port(struct hl_addr *a, uint16_t port)
{
	a->port_lo = a->port_hi = port;
	sockaddr_set_port(&a->ss, port);
}

int srv_addr_set_ip(struct hl_addr *a, const char *txt)
{
	struct in_addr v4;
	struct in6_addr v6;
	uint16_t port = a->port_lo;
	if (inet_pton(AF_INET, txt, &v4) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
		memset(&a->ss, 0, sizeof(a->ss));
		sin->sin_family = AF_INET;
		sin->sin_addr = v4;
		a->kind = ADDR_INET4;
		a->sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, txt, &v6) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
		memset(&a->ss, 0, sizeof(a->ss));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = v6;
		a->kind = ADDR_INET6;
		a->sslen = sizeof(*sin6);
	} else
		return 0;
	srv_addr_set_port(a, port);
	return 1;
}

/* The answer of a "set server addr" command, built part by part. */
struct answer {
	char text[512];
	size_t len;
};

static void say(struct answer *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct answer *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m->text + m->len, sizeof(m->text) - m->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->len += (size_t)n;
	if (m->len >= sizeof(m->text))
		m->len = sizeof(m->text) - 1;
}

/* Applies port argument <txt> to <a> and says what happened, as HAProxy:
 * a number sets a fixed port (taken modulo 65536), "+N"/"-N" a port map,
 * which a server with a fixed port cannot become.
 */
static void change_port(struct answer *m, struct hl_addr *a, const char *txt)
{
	char was[16], now[16];
	char *end = NULL;
	long v = strtol(txt, &end, 10);
	if (!*txt || *end) {
		say(m, "problem converting port '%s' to an int", txt);
		return;
	}
	int map = txt[0] == '+' || txt[0] == '-';
	if (map && (a->flags & ADDR_F_PORT_SET)) {
		say(m, "can't change <port> to port map because it is incompatible with current "
		       "health check port configuration (use 'port' statement from the 'server' "
		       "directive.");
		return;
	}
	port_text(a, was, sizeof(was));
	if (map) {
		a->port_offset = (int)v;
		srv_addr_set_port(a, 0);
	} else {
		a->flags |= ADDR_F_PORT_SET;
		a->flags &= ~ADDR_F_PORT_OFFSET;
		a->port_offset = 0;
		srv_addr_set_port(a, (uint16_t)v);
	}
	port_text(a, now, sizeof(now));
	if (!strcmp(was, now))
		say(m, "no need to change the port");
	else
		say(m, "port changed from '%s' to '%s'", was, now);
}

/* set server <b>/<s> addr <ip> [port <port>] */
void cli_set_server_addr(struct cli_conn *c, struct srv_rt *s, char **args, int nargs)
{
	if (nargs < 5 || !*args[4]) {
		cli_printf(c, "set server <b>/<s> addr requires an address and optionally a port.\n");
		return;
	}
	const struct hl_addr *cur = srv_addr(s);
	const char *by = " by 'stats socket command'\n";
	if (cur->kind != ADDR_INET4 && cur->kind != ADDR_INET6) {
		cli_printf(c, "Update for the current server address family is only supported "
		              "through configuration file%s",
		           by);
		return;
	}
	struct hl_addr next = *cur;
	if (!srv_addr_set_ip(&next, args[4])) {
		cli_printf(c, "Invalid addr '%s'%s", args[4], by);
		return;
	}
	struct answer m = {.len = 0};
	char was[INET6_ADDRSTRLEN + 1], now[INET6_ADDRSTRLEN + 1];
	addr_ip_str(cur, was, sizeof(was));
	addr_ip_str(&next, now, sizeof(now));
	if (strcmp(was, now))
		say(&m, "IP changed from '%s' to '%s'", was, now);
	else
		say(&m, "no need to change the addr");
	if (nargs > 5 && !strcmp(args[5], "port")) {
		say(&m, ", ");
		change_port(&m, &next, nargs > 6 ? args[6] : "");
	}
	if (memcmp(&next.ss, &cur->ss, sizeof(next.ss)) || next.flags != cur->flags ||
	    next.port_offset != cur->port_offset)
		srv_publish_addr(s, &next);
	cli_printf(c, "%.*s%s", (int)m.len, m.text, by);
}
