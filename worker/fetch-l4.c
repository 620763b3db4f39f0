/* Fetches of the connection (layer 4) and of the proxy's internal state:
 * addresses and ports (as rules changed them, or the connection's own),
 * the listening address, frontend/backend/server names and ids, connection
 * counts, queues and server health.
 */
#include <netinet/in.h>
#include <string.h>

#include "common/acl.h"
#include "common/rcu.h"
#include "common/sample.h"
#include "worker/lb.h"
#include "worker/runtime.h"
#include "worker/srv-list.h"
#include "worker/check-smp.h"
#include "worker/stream.h"

static struct stream *strm_of(const struct sample *smp)
{
	return smp->ctx ? smp->ctx->strm : NULL;
}

/* Sets <smp> to the address of <ss>; 0 for a non-IP (unix) address. */
static int set_addr(struct sample *smp, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		smp->type = SMP_T_IPV4;
		smp->u.ipv4 = ((const struct sockaddr_in *)ss)->sin_addr;
		return 1;
	}
	if (ss->ss_family == AF_INET6) {
		smp->type = SMP_T_IPV6;
		smp->u.ipv6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
		return 1;
	}
	return 0;
}

static int set_port(struct sample *smp, const struct sockaddr_storage *ss)
{
	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return 0;
	smp->type = SMP_T_SINT;
	smp->u.sint =
	    ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
	                                   : ((const struct sockaddr_in6 *)ss)->sin6_port);
	return 1;
}

/* src, src_port, dst, dst_port: the client's addresses, as the PROXY
 * protocol header gave them when there was one.
 */
static int fetch_addr(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct stream *s = strm_of(smp);
	if (!s)
		return 0;
	int dst = kw[0] == 'd', port = strstr(kw, "port") != NULL;
	const struct sockaddr_storage *ss = dst ? stream_dst_addr(s) : &s->cli_addr;
	return port ? set_port(smp, ss) : set_addr(smp, ss);
}

/* fc_src, fc_src_port, fc_dst, fc_dst_port: the addresses of the client
 * connection itself, which only "tcp-request connection" rules (and a PROXY
 * protocol header) change; later set-src/set-dst rules leave them alone.
 */
static int fetch_fc_addr(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	struct stream *s = strm_of(smp);
	if (!s)
		return 0;
	int dst = kw[3] == 'd', port = strstr(kw, "port") != NULL;
	const struct sockaddr_storage *ss;
	if (s->addrs && s->addrs->conn_addr_saved)
		ss = dst ? &s->addrs->conn_dst : &s->addrs->conn_cli;
	else
		ss = dst ? stream_dst_addr(s) : &s->cli_addr;
	return port ? set_port(smp, ss) : set_addr(smp, ss);
}

static int set_str(struct sample *smp, const char *s)
{
	smp->type = SMP_T_STR;
	smp->flags = SMP_F_CONST;
	smp->u.str.ptr = (char *)s;
	smp->u.str.len = strlen(s);
	return 1;
}

static int set_int(struct sample *smp, int64_t v)
{
	smp->type = SMP_T_SINT;
	smp->u.sint = v;
	return 1;
}

/* fe_name, fe_id, be_name, be_id, srv_name, srv_id */
/* be_name, be_id, srv_name, srv_id in a health check: its backend and
 * server.
 */
static int fetch_check_names(struct sample *smp, const char *kw)
{
	const struct srv_rt *srv = check_smp_server(smp->ctx);
	if (!srv || kw[0] == 'f')
		return 0;
	int id = strstr(kw, "_id") != NULL;
	if (kw[0] == 'b')
		return id ? set_int(smp, srv->be->conf->uuid) : set_str(smp, srv->be->conf->id);
	return id ? set_int(smp, srv->conf->puid) : set_str(smp, srv->conf->id);
}

static int fetch_names(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct stream *s = strm_of(smp);
	if (!s)
		return fetch_check_names(smp, kw);
	int id = strstr(kw, "_id") != NULL;
	const struct proxy *px = NULL;
	if (kw[0] == 'f')
		px = s->fe->conf;
	else if (kw[0] == 'b')
		px = s->be ? s->be->conf : NULL;
	else {
		const struct srv_rt *srv = s->server ? s->server : s->acct_srv;
		if (!srv)
			return 0;
		return id ? set_int(smp, srv->conf->puid) : set_str(smp, srv->conf->id);
	}
	if (!px)
		return 0;
	return id ? set_int(smp, px->uuid) : set_str(smp, px->id);
}

/* The runtime backend of argument <a> (resolved proxy), else the stream's. */
static struct be_rt *arg_backend(const struct arg *a, const struct sample *smp)
{
	if (a->type == ARGT_BE && a->data.ptr)
		return runtime_backend_of(a->data.ptr);
	struct stream *s = strm_of(smp);
	const struct srv_rt *chk = check_smp_server(smp->ctx);
	return s ? s->be : chk ? chk->be : NULL;
}

/* The runtime server of argument <a> ("[backend/]server"). */
static struct srv_rt *arg_server(const struct arg *a)
{
	const struct server *conf = a->data.ptr;
	struct be_rt *be = conf ? runtime_backend_of(conf->px) : NULL;
	const struct srv_list *l = be ? be_servers(be) : NULL;
	for (int i = 0; l && i < l->n; i++)
		if (l->v[i]->conf == conf)
			return l->v[i];
	return NULL;
}

static int srv_usable(const struct srv_rt *srv)
{
	return atomic_load(&srv->oper_up) && !(atomic_load(&srv->admin) & SRV_ADMIN_MAINT);
}

/* nbsrv, be_conn, connslots, queue, avg_queue, be_conn_free */
static int fetch_backend(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	struct be_rt *be = arg_backend(&args[0], smp);
	if (!be)
		return 0;
	int usable = 0;
	int64_t slots = 0, free_slots = 0;
	const struct srv_list *l = be_servers(be);
	for (int i = 0; i < l->n; i++) {
		struct srv_rt *srv = l->v[i];
		if (!srv_usable(srv) || srv->backup)
			continue;
		usable++;
		int max = atomic_load(&srv->maxconn), cur = atomic_load(&srv->cur_conns);
		if (!max || slots < 0) {
			slots = -1; /* unlimited */
		} else {
			slots += max - cur +
			         (srv->maxqueue ? srv->maxqueue - atomic_load(&srv->queued) : 0);
			free_slots += max > cur ? max - cur : 0;
		}
	}
	if (!strcmp(kw, "nbsrv"))
		return set_int(smp, usable);
	if (!strcmp(kw, "be_conn"))
		return set_int(smp, atomic_load(&be->cur_conns));
	if (!strcmp(kw, "queue"))
		return set_int(smp, atomic_load(&be->queued));
	if (!strcmp(kw, "avg_queue"))
		return set_int(smp, usable ? atomic_load(&be->queued) / usable
		                           : atomic_load(&be->queued));
	if (!strcmp(kw, "be_conn_free"))
		return set_int(smp, slots < 0 ? -1 : free_slots);
	return set_int(smp, slots); /* connslots */
}

/* srv_conn, srv_is_up, srv_queue, srv_conn_free */
static int fetch_server(const struct arg *args, struct sample *smp, const char *kw,
                        const void *priv)
{
	struct srv_rt *srv = arg_server(&args[0]);
	if (!srv)
		return 0;
	if (!strcmp(kw, "srv_is_up")) {
		smp->type = SMP_T_BOOL;
		smp->u.sint = srv_usable(srv);
		return 1;
	}
	int cur = atomic_load(&srv->cur_conns), max = atomic_load(&srv->maxconn);
	if (!strcmp(kw, "srv_queue"))
		return set_int(smp, atomic_load(&srv->queued));
	if (!strcmp(kw, "srv_conn_free"))
		return set_int(smp, !max ? -1 : max > cur ? max - cur : 0);
	return set_int(smp, cur);
}

/* fe_conn([frontend]): connections of the frontend now. */
static int fetch_fe_conn(const struct arg *args, struct sample *smp, const char *kw,
                         const void *priv)
{
	const struct proxy *px = args[0].type == ARGT_FE ? args[0].data.ptr : NULL;
	struct stream *s = strm_of(smp);
	if (!px && s)
		px = s->fe->conf;
	for (int i = 0; px && i < rt.nfe; i++)
		if (rt.fes[i].conf == px)
			return set_int(smp, atomic_load(&rt.fes[i].cur_conns));
	return 0;
}

/* so_id, so_name: the number of the listening address the client came
 * through within its frontend (1 for the first "bind" address, in the
 * order written), and its "name" when it has one.
 */
static int fetch_so(const struct arg *args, struct sample *smp, const char *kw, const void *priv)
{
	struct stream *s = strm_of(smp);
	if (!s || !s->lst || !s->lst->bind)
		return 0;
	const struct bind_conf *b = s->lst->bind;
	if (kw[3] == 'n')
		return b->name ? set_str(smp, b->name) : 0;
	int id = 1;
	for (const struct bind_conf *c = s->fe->conf->binds; c && c != b; c = c->next)
		id++;
	return set_int(smp, id);
}

static int fetch_thread(const struct arg *args, struct sample *smp, const char *kw,
                        const void *priv)
{
	if (!strcmp(kw, "nbthread"))
		return set_int(smp, rt.nbthread);
	if (!strcmp(kw, "stopping")) {
		smp->type = SMP_T_BOOL;
		smp->u.sint = atomic_load(&rt.stopping) != 0;
		return 1;
	}
	return set_int(smp, curthr ? curthr->id : 0);
}

#define L4 (SMP_USE_L4CLI)
static const struct smp_fetch_kw l4_fetches[] = {
    {"src", fetch_addr, ARGS0, NULL, SMP_T_ADDR, L4, NULL},
    {"src_port", fetch_addr, ARGS0, NULL, SMP_T_SINT, L4, NULL},
    {"dst", fetch_addr, ARGS0, NULL, SMP_T_ADDR, L4, NULL},
    {"dst_port", fetch_addr, ARGS0, NULL, SMP_T_SINT, L4, NULL},
    {"fc_src", fetch_fc_addr, ARGS0, NULL, SMP_T_ADDR, L4, NULL},
    {"fc_src_port", fetch_fc_addr, ARGS0, NULL, SMP_T_SINT, L4, NULL},
    {"fc_dst", fetch_fc_addr, ARGS0, NULL, SMP_T_ADDR, L4, NULL},
    {"fc_dst_port", fetch_fc_addr, ARGS0, NULL, SMP_T_SINT, L4, NULL},
    {"so_id", fetch_so, ARGS0, NULL, SMP_T_SINT, L4, NULL},
    {"so_name", fetch_so, ARGS0, NULL, SMP_T_STR, L4, NULL},
    {"fe_name", fetch_names, ARGS0, NULL, SMP_T_STR, SMP_USE_INTRN, NULL},
    {"fe_id", fetch_names, ARGS0, NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"be_name", fetch_names, ARGS0, NULL, SMP_T_STR, SMP_USE_BKEND, NULL},
    {"be_id", fetch_names, ARGS0, NULL, SMP_T_SINT, SMP_USE_BKEND, NULL},
    {"srv_name", fetch_names, ARGS0, NULL, SMP_T_STR, SMP_USE_SERVR, NULL},
    {"srv_id", fetch_names, ARGS0, NULL, SMP_T_SINT, SMP_USE_SERVR, NULL},
    {"nbsrv", fetch_backend, ARGS(0, ARGT_BE), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"be_conn", fetch_backend, ARGS(0, ARGT_BE), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"be_conn_free", fetch_backend, ARGS(0, ARGT_BE), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"connslots", fetch_backend, ARGS(0, ARGT_BE), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"queue", fetch_backend, ARGS(0, ARGT_BE), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"avg_queue", fetch_backend, ARGS(0, ARGT_BE), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"srv_conn", fetch_server, ARGS(1, ARGT_SRV), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"srv_conn_free", fetch_server, ARGS(1, ARGT_SRV), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"srv_is_up", fetch_server, ARGS(1, ARGT_SRV), NULL, SMP_T_BOOL, SMP_USE_INTRN, NULL},
    {"srv_queue", fetch_server, ARGS(1, ARGT_SRV), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"fe_conn", fetch_fe_conn, ARGS(0, ARGT_FE), NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"thread", fetch_thread, ARGS0, NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"nbthread", fetch_thread, ARGS0, NULL, SMP_T_SINT, SMP_USE_INTRN, NULL},
    {"stopping", fetch_thread, ARGS0, NULL, SMP_T_BOOL, SMP_USE_INTRN, NULL},
};

SMP_REGISTER_FETCHES(l4_fetches)
