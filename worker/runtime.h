/* Process-wide runtime built from the configuration: threads, frontends,
 * backends, listeners and limits. Built once before the threads start and
 * then only read, except for the atomics and RCU-published fields.
 */
#pragma once
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/freq-ctr.h"
#include "conf/model-t.h"
#include "worker/loop.h"
#include "worker/server-t.h"

#define MAX_THREADS 64

struct listener;

struct fe_rt {
	const struct proxy *conf;
	int idx;
	_Atomic int maxconn;       /* runtime-settable ("set maxconn frontend") */
	_Atomic int cur_conns;
	_Atomic uint64_t cum_conns;
	_Atomic int paused;        /* "disable frontend": its listeners are not polled */
	struct freq_ctr req_per_sec;    /* HTTP requests counted in req_tot */
	struct freq_ctr conn_per_sec;   /* accepted connections */
	struct freq_ctr sess_per_sec;   /* sessions (connections past tcp-request connection) */
	_Atomic uint32_t conn_rate_max, sess_rate_max;
	uint32_t sess_rate_lim;         /* rate-limit sessions, 0 = unlimited */
	_Atomic uint32_t req_rate_max; /* most requests in one period ("clear counters") */
	struct be_rt *default_be;
	_Atomic uint32_t log_count; /* traffic lines logged (%lc) */
};

struct tls_ctx;

struct listener {
	struct ev_handler h;
	int fd;
	const struct bind_conf *bind;
	const struct tls_ctx *tls; /* TLS listener (worker/tls.h), NULL: plain */
	struct fe_rt *fe;
	int maxconn;
	int backlog;
	_Atomic int cur_conns;
	uint8_t polled[MAX_THREADS]; /* registered in that thread's epoll */
	int is_cli;                  /* stats socket: accepted by thread 0 only */
};

struct runtime {
	struct config *cfg;
	int nbthread;
	struct wthread threads[MAX_THREADS];
	int nfe, nbe, nlst;
	struct fe_rt *fes;
	struct be_rt *bes;
	struct listener *lsts;
	_Atomic int maxconn;       /* global, runtime-settable ("set maxconn global") */
	_Atomic int cur_conns;     /* global */
	_Atomic uint64_t cum_conns;
	_Atomic int paused;        /* some thread paused its listeners */
	_Atomic int stopping;      /* soft stop: no more accepts */
	_Atomic uint32_t conn_rate_lim, sess_rate_lim; /* maxconnrate, maxsessrate ("set rate-limit") */
	struct freq_ctr conn_per_sec, sess_per_sec;
	_Atomic uint32_t conn_rate_max, sess_rate_max;
	uint64_t start_ms;
	long start_time;           /* time(NULL) at start */
	int ulimit_n;
};

extern struct runtime rt;

/* Builds the runtime from <cfg> (backends, frontends). 0 or -1 (alerted). */
int runtime_build(struct config *cfg);

/* Looks up the runtime backend of configuration proxy <px>. */
struct be_rt *runtime_backend_of(const struct proxy *px);

/* Looks up the runtime backend named by the <len> first bytes of <name>. */
struct be_rt *runtime_backend_by_name(const char *name, size_t len);

/* Publishes a new LB snapshot for <be> (any thread, writers serialised). */
void backend_publish(struct be_rt *be);

/* Sets up runtime server <r> of backend <be> from configuration <s>. */
void srv_rt_init(struct srv_rt *r, const struct server *s, struct be_rt *be);

/* Server slots (srv_rt.gidx): configured servers, then at most
 * DYN_SRV_SLOTS servers added at run time and not yet freed.
 */
#define DYN_SRV_SLOTS 1024
int srv_slots_total(void);
/* A free slot for an added server, or -1 when all are taken. */
int srv_slot_alloc(void);
/* Gives back the slot of a freed server (after its grace period). */
void srv_slot_release(int g);

/* Publishes server list <l> of <be> and a snapshot built from it; the
 * previous list is returned in *<old> for the caller to free after a grace
 * period. Callers hold backend_servers_lock().
 */
void backend_set_servers(struct be_rt *be, struct srv_list *l, struct srv_list **old);

/* Serialises the writers of server lists ("add server", "del server"). */
void backend_servers_lock(void);
void backend_servers_unlock(void);
