/* Concurrency test of the RCU-published server sets: reader threads pick
 * servers continuously (as worker loops do, with QSBR quiescent states)
 * while a writer thread changes weights and administrative states and
 * publishes new snapshots through backend_publish(). Run under ASan (and
 * TSan when built so) it catches use-after-free of old snapshots; the
 * assertions check that readers never see a server the latest snapshot
 * excludes once they observe that snapshot's generation.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "common/rcu.h"
#include "tests/unit/test.h"
#include "worker/lb.h"
#include "worker/srv-list.h"
#include "worker/runtime.h"

#define NSRV 4
#define NREADERS 3
#define RUN_MS 1500

static struct proxy px;
static struct server confs[NSRV];
static struct srv_rt srvs[NSRV];
static struct be_rt be;
static char names[NSRV][8];
static _Atomic int stop;
static _Atomic uint64_t picks;
static _Atomic uint64_t violations;
/* generation from which server 0 is excluded for good (0 = not yet) */
static _Atomic uint64_t excl_gen;

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void setup(const char *algo)
{
	px.lb.algo = lb_find_algo(algo);
	be.conf = &px;
	be.srvs = srv_list_of_array(srvs, NSRV);
	for (int i = 0; i < NSRV; i++) {
		snprintf(names[i], sizeof(names[i]), "s%d", i + 1);
		confs[i].id = names[i];
		confs[i].puid = i + 1;
		srvs[i].conf = &confs[i];
		srvs[i].be = &be;
		srvs[i].idx = i;
		srvs[i].gidx = i;
		atomic_store(&srvs[i].uweight, 1 + i);
		atomic_store(&srvs[i].oper_up, 1);
		atomic_store(&srvs[i].admin, 0);
	}
	be.lb = lb_snapshot_build(&be);
}

static void *reader(void *arg)
{
	struct lb_thread_state ts = {0};
	struct lb_pick req = {.has_hash = 1};
	uint64_t n = 0;
	(void)arg;
	rcu_register_thread();
	while (!atomic_load(&stop)) {
		rcu_read_lock();
		struct lb_snapshot *snap = hl_rcu_deref(be.lb);
		req.hash = n * 2654435761u;
		struct srv_rt *s = snap->ops->pick(&px.lb, snap, &ts, &req);
		uint64_t eg = atomic_load(&excl_gen);
		if (s && eg && snap->gen >= eg && s == &srvs[0])
			atomic_fetch_add(&violations, 1);
		/* touch the snapshot's arrays to expose any use after free */
		for (int i = 0; i < snap->nsrv; i++)
			if (snap->weight[i] <= 0 || snap->srv[i]->be != &be)
				atomic_fetch_add(&violations, 1);
		rcu_read_unlock();
		if (++n % 64 == 0)
			rcu_quiescent_state();
	}
	atomic_fetch_add(&picks, n);
	lb_thread_state_free(&ts);
	rcu_unregister_thread();
	return NULL;
}

/* Flips weights and states, then excludes server 0 for good. */
static void *writer(void *arg)
{
	unsigned seed = 12345;
	uint64_t end = ms_now() + RUN_MS;
	int rounds = 0;
	(void)arg;
	rcu_register_thread();
	rcu_thread_offline();
	while (ms_now() < end) {
		int i = (int)(rand_r(&seed) % NSRV);
		if (rand_r(&seed) % 3 == 0)
			atomic_store(&srvs[i].admin, rand_r(&seed) % 2 ? SRV_ADMIN_MAINT : 0);
		else
			atomic_store(&srvs[i].uweight, (int)(rand_r(&seed) % 5));
		backend_publish(&be);
		rounds++;
	}
	for (int i = 1; i < NSRV; i++) {
		atomic_store(&srvs[i].uweight, 1);
		atomic_store(&srvs[i].admin, 0);
	}
	atomic_store(&srvs[0].admin, SRV_ADMIN_MAINT);
	backend_publish(&be);
	atomic_store(&excl_gen, atomic_load(&be.lb_gen));
	struct timespec ts = {0, 200 * 1000 * 1000};
	nanosleep(&ts, NULL);
	atomic_store(&stop, 1);
	printf("writer published %d snapshots\n", rounds + 1);
	rcu_thread_online();
	rcu_unregister_thread();
	return NULL;
}

/* Runs readers and the writer on backend algorithm <algo>. */
static void run_stress(const char *algo)
{
	pthread_t r[NREADERS], w;
	atomic_store(&stop, 0);
	atomic_store(&picks, 0);
	atomic_store(&violations, 0);
	atomic_store(&excl_gen, 0);
	setup(algo);
	hl_rcu_readers_start();
	for (int i = 0; i < NREADERS; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	pthread_create(&w, NULL, writer, NULL);
	pthread_join(w, NULL);
	for (int i = 0; i < NREADERS; i++)
		pthread_join(r[i], NULL);
	rcu_barrier();
	CHECK(atomic_load(&picks) > 1000);
	CHECK_INT(atomic_load(&violations), 0);
	lb_snapshot_free(be.lb);
	be.lb = NULL;
	free(be.srvs);
	be.srvs = NULL;
}

TEST(roundrobin_under_concurrent_updates)
{
	run_stress("roundrobin");
}

TEST(leastconn_under_concurrent_updates)
{
	run_stress("leastconn");
}

TEST(consistent_source_under_concurrent_updates)
{
	px.lb.hash_method = HASH_CONSISTENT;
	run_stress("source");
	px.lb.hash_method = HASH_MAP_BASED;
}

TEST_MAIN()
