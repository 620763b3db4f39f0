/* Runtime state of servers and backends, shared by the worker threads.
 *
 * Immutable parts come from the configuration model. Mutable parts are
 * either atomics (connection counts, which leastconn/first/maxconn need to
 * share between threads) or versions published through RCU (the set of
 * usable servers with their weights: struct lb_snapshot). Readers on the
 * request path never take a lock.
 */
#pragma once
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/model-t.h"
#include "worker/loop.h"

/* Administrative and operational states. */
#define SRV_ADMIN_MAINT 0x1 /* set by configuration ("disabled") or the runtime API */
#define SRV_ADMIN_DRAIN 0x2 /* keeps current connections, gets no new ones */

/* The fields every request sent to a server reads or writes come first,
 * within one cache line: the struct is aligned on 64 bytes (allocated with
 * xcalloc_lines()), so that a backend of 1,000 servers costs a request one
 * line of it.
 */
struct srv_rt {
	/* -- hot: read or written by every request -- */
	_Alignas(64) const struct server *conf; /* configuration (name, address, options) */
	struct be_rt *be;          /* owning backend */
	_Atomic int cur_conns;     /* connections being established or established */
	_Atomic int refs;          /* holders across loop turns: streams whose last
	                            * server (acct_srv) it is, mails in flight */
	_Atomic unsigned admin;    /* SRV_ADMIN_* */
	_Atomic int oper_up;       /* 1 when operationally up (health checks) */
	_Atomic int oper_nolb;     /* up but taking no new traffic (http-check disable-on-404) */
	_Atomic int uweight;       /* user weight 0..256 (runtime-settable) */
	_Atomic int maxconn;       /* 0 = unlimited; runtime-settable ("set maxconn server") */
	_Atomic int queued;        /* streams waiting in this server's queue */
	_Atomic int idle_conns;    /* idle HTTP connections kept in the thread pools */
	_Atomic uint32_t addr_gen; /* changes with the address: older idle connections are dropped */
	int gidx;                  /* slot among all servers: counters, checks, idle pools */
	/* what the pool purges keep (worker/http-pool.c), as HAProxy sizes them */
	_Atomic int max_used_conns;     /* most connections in use at once since the last estimate */
	/* -- the rest -- */
	_Atomic int est_need_conns;     /* connections the server is estimated to need */
	_Atomic uint64_t est_update_ms; /* when the estimate was last updated */
	struct hl_addr *addr;      /* RCU: runtime address, NULL = conf->addr (worker/srv-addr.h) */
	int idx;                   /* position in the configuration, -1 for a dynamic server */
	int dynamic;               /* added with "add server": conf owned here, freed on delete */
	_Atomic int removed;       /* "del server" took it out of its backend */
	_Atomic int pinned;        /* tracked by a server: cannot be deleted */
	int maxqueue;              /* 0 = unlimited */
	int backup;
	_Atomic uint64_t ramp_start_ms; /* slowstart: when it became usable, 0 = no ramp */
	int ramp_armed;                  /* slowstart timer running (thread 0 only) */
	_Atomic int maint_seen;    /* has been in maintenance (no check restores health) */
	_Atomic long last_change;  /* time() of the last admin state change, 0 = start */
	/* passive health observation (worker/observe.c) */
	_Atomic int obs_errors;       /* consecutive errors observed on live traffic */
	_Atomic int obs_pending;      /* on-error reactions not yet applied by the check */
	_Atomic int obs_last;         /* enum obs_event of the error that triggered it */
	_Atomic uint64_t hana_failed; /* hanafail: times error-limit was reached */
	struct mail obs_mail;         /* carries the reactions to the check's thread */
};

_Static_assert(offsetof(struct srv_rt, est_need_conns) <= 64, "struct srv_rt: hot fields in one line");


struct lb_snapshot;

/* The servers of a backend in order (configuration, then added ones),
 * published through RCU: readers hl_rcu_deref() be->srvs and keep the
 * pointers within their read side; writers copy, swap and free the old
 * list after a grace period (worker/srv-dyn.c).
 */
struct srv_list {
	int n;
	struct srv_rt *v[];
};

struct tls_srv_cfg;

struct be_rt {
	const struct proxy *conf;
	int idx;                        /* index among backends */
	struct srv_list *srvs;          /* RCU-protected: all servers, read with be_servers() */
	struct srv_rt *cfg_srv;         /* the configured servers (one block, never freed) */
	int ncfg_srv;
	struct lb_snapshot *lb;         /* RCU-protected: read with hl_rcu_deref() */
	_Atomic uint64_t lb_gen;        /* generation of the published snapshot */
	_Atomic int queued;             /* streams waiting in the backend queue */
	_Atomic int cur_conns;
	int fullconn; /* configured, or 10% of the maxconn of frontends routing here */
	/* the TLS settings of the first configured server with an "sni"
	 * expression, NULL if none (HTTP computes the SNI from the request)
	 */
	const struct tls_srv_cfg *sni_tls;
};
