#include "worker/counters.h"

#include "common/mem.h"
#include "worker/stream.h"

/* Adds <n> to a counter of the calling thread. Only its thread writes it;
 * others read it while summing (u64_add()): relaxed atomic accesses make
 * that well defined without a locked instruction (a plain add on x86).
 */
static inline void cnt_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
#define CNT_ADD(x, n) cnt_add(&(x), (uint64_t)(n))

static int nb_srv_total; /* server slots, configured and dynamic */

int srv_global_index(const struct srv_rt *srv)
{
	return srv->gidx;
}

int srv_total_count(void)
{
	return nb_srv_total;
}

void counters_init_thread(struct wthread *t)
{
	if (!nb_srv_total)
		nb_srv_total = srv_slots_total();
	struct thr_counters *c = xcalloc(1, sizeof(*c));
	c->fe = xcalloc((size_t)rt.nfe + 1, sizeof(*c->fe));
	c->be = xcalloc((size_t)rt.nbe + 1, sizeof(*c->be));
	c->srv = xcalloc_lines((size_t)nb_srv_total + 1, sizeof(*c->srv));
	t->counters = c;
}

static struct thr_counters *tc(void)
{
	return curthr->counters;
}

void counters_fe_accept(struct fe_rt *fe)
{
	CNT_ADD(tc()->fe[fe->idx].sess, 1);
	uint64_t now = curthr->now_ms;
	freq_ctr_update_max(&fe->sess_rate_max, freq_ctr_add(&fe->sess_per_sec, now, 1));
	freq_ctr_update_max(&rt.sess_rate_max, freq_ctr_add(&rt.sess_per_sec, now, 1));
}

void counters_be_error(struct be_rt *be)
{
	CNT_ADD(tc()->be[be->idx].errors, 1);
}

void counters_prefetch_srv(const struct srv_rt *srv)
{
	__builtin_prefetch(&tc()->srv[srv_global_index(srv)], 1);
}

void counters_srv_connect(struct srv_rt *srv)
{
	CNT_ADD(tc()->srv[srv_global_index(srv)].conns, 1);
	CNT_ADD(tc()->be[srv->be->idx].sess, 1);
}

void counters_srv_conn_error(struct srv_rt *srv)
{
	CNT_ADD(tc()->srv[srv_global_index(srv)].econ, 1);
}

void counters_srv_retry(struct srv_rt *srv)
{
	CNT_ADD(tc()->srv[srv_global_index(srv)].retries, 1);
}

void counters_srv_redispatch(struct srv_rt *srv)
{
	CNT_ADD(tc()->srv[srv_global_index(srv)].redisp, 1);
}

/* Index of the hrsp_* counter of <status>: 1xx..5xx, then other. */
static int status_class(int status)
{
	return status >= 100 && status < 600 ? status / 100 - 1 : 5;
}

void counters_http_req(struct fe_rt *fe, int accepted)
{
	CNT_ADD(tc()->fe[fe->idx].req_tot, 1);
	CNT_ADD(tc()->fe[fe->idx].req_accepted, accepted != 0);
	freq_ctr_update_max(&fe->req_rate_max, freq_ctr_add(&fe->req_per_sec, curthr->now_ms, 1));
}

void counters_http_bad_req(struct fe_rt *fe)
{
	CNT_ADD(tc()->fe[fe->idx].ereq, 1);
}

void counters_http_intercepted(struct fe_rt *fe)
{
	CNT_ADD(tc()->fe[fe->idx].intercepted, 1);
}

void counters_http_denied(struct fe_rt *fe, struct be_rt *be, int resp)
{
	struct thr_counters *c = tc();
	if (resp) {
		CNT_ADD(c->fe[fe->idx].dresp, 1);
		if (be)
			CNT_ADD(c->be[be->idx].dresp, 1);
	} else {
		CNT_ADD(c->fe[fe->idx].dreq, 1);
	}
}

void counters_tcp_denied(struct fe_rt *fe, int kind)
{
	struct px_counters *c = &tc()->fe[fe->idx];
	if (kind == 0)
		CNT_ADD(c->dcon, 1);
	else if (kind == 1)
		CNT_ADD(c->dses, 1);
	else
		CNT_ADD(c->dreq, 1);
}

void counters_http_rewrite_failed(struct fe_rt *fe, struct be_rt *be)
{
	struct thr_counters *c = tc();
	CNT_ADD(c->fe[fe->idx].wrew, 1);
	if (be)
		CNT_ADD(c->be[be->idx].wrew, 1);
}

void counters_http_status(struct fe_rt *fe, struct be_rt *be, int status)
{
	struct thr_counters *c = tc();
	int k = status_class(status);
	CNT_ADD(c->fe[fe->idx].hrsp[k], 1);
	if (be) {
		CNT_ADD(c->be[be->idx].hrsp[k], 1);
		CNT_ADD(c->be[be->idx].req_tot, 1);
	}
}

void counters_http_srv_rsp(struct srv_rt *srv, int status)
{
	struct srv_counters *c = &tc()->srv[srv_global_index(srv)];
	CNT_ADD(c->hrsp[status_class(status)], 1);
	CNT_ADD(c->req_tot, 1);
}

void counters_http_bad_rsp(struct be_rt *be, struct srv_rt *srv)
{
	CNT_ADD(tc()->be[be->idx].eresp, 1);
	if (srv)
		CNT_ADD(tc()->srv[srv_global_index(srv)].eresp, 1);
}

void counters_add_bytes(struct stream *s)
{
	struct thr_counters *c = tc();
	CNT_ADD(c->fe[s->fe->idx].bytes_in, s->bytes_in);
	CNT_ADD(c->fe[s->fe->idx].bytes_out, s->bytes_out);
	if (s->be) {
		CNT_ADD(c->be[s->be->idx].bytes_in, s->bytes_in);
		CNT_ADD(c->be[s->be->idx].bytes_out, s->bytes_out);
	}
	if (s->acct_srv) {
		int g = srv_global_index(s->acct_srv);
		CNT_ADD(c->srv[g].bytes_in, s->bytes_in);
		CNT_ADD(c->srv[g].bytes_out, s->bytes_out);
	}
}

/* Counter structs hold only uint64_t fields: adds or subtracts them all. */
static void u64_add(void *a, const void *b, size_t size)
{
	uint64_t *x = a;
	const uint64_t *y = b;
	for (size_t i = 0; i < size / sizeof(uint64_t); i++) /* <b>: another thread's */
		x[i] += __atomic_load_n(&y[i], __ATOMIC_RELAXED);
}

static void u64_sub(void *a, const void *b, size_t size)
{
	uint64_t *x = a;
	const uint64_t *y = b;
	for (size_t i = 0; i < size / sizeof(uint64_t); i++)
		x[i] -= y[i];
}

static void px_add(struct px_counters *a, const struct px_counters *b)
{
	u64_add(a, b, sizeof(*a));
}

static struct px_counters fe_raw(int idx)
{
	struct px_counters sum = {0};
	for (int i = 0; i < rt.nbthread; i++)
		if (rt.threads[i].counters)
			px_add(&sum, &((struct thr_counters *)rt.threads[i].counters)->fe[idx]);
	return sum;
}

static struct px_counters be_raw(int idx)
{
	struct px_counters sum = {0};
	for (int i = 0; i < rt.nbthread; i++)
		if (rt.threads[i].counters)
			px_add(&sum, &((struct thr_counters *)rt.threads[i].counters)->be[idx]);
	return sum;
}

static struct srv_counters srv_raw(int g)
{
	struct srv_counters sum = {0};
	for (int i = 0; i < rt.nbthread; i++) {
		struct thr_counters *c = rt.threads[i].counters;
		if (!c)
			continue;
		u64_add(&sum, &c->srv[g], sizeof(sum));
	}
	return sum;
}

uint64_t counters_cum_streams(void)
{
	uint64_t n = 0;
	for (int i = 0; i < rt.nfe; i++) {
		struct px_counters pc = fe_raw(i);
		n += rt.fes[i].conf->mode == PX_MODE_HTTP ? pc.req_accepted : pc.sess;
	}
	return n;
}

/* "clear counters all": the threads keep incrementing their own counters
 * without atomics, so instead of writing into them the reader (the CLI
 * thread, the only one summing) records the current sums as a baseline and
 * subtracts it from later sums.
 */
static struct px_counters *fe_zero, *be_zero;
static struct srv_counters *srv_zero;

static struct px_counters px_sub(struct px_counters a, const struct px_counters *z)
{
	if (z)
		u64_sub(&a, z, sizeof(a));
	return a;
}

struct px_counters counters_fe_sum(int idx)
{
	return px_sub(fe_raw(idx), fe_zero ? &fe_zero[idx] : NULL);
}

struct px_counters counters_be_sum(int idx)
{
	return px_sub(be_raw(idx), be_zero ? &be_zero[idx] : NULL);
}

struct srv_counters counters_srv_sum(const struct srv_rt *srv)
{
	int g = srv_global_index(srv);
	struct srv_counters a = srv_raw(g);
	if (srv_zero)
		u64_sub(&a, &srv_zero[g], sizeof(a));
	return a;
}

void counters_clear_max(void)
{
	for (int i = 0; i < rt.nfe; i++) {
		atomic_store(&rt.fes[i].req_rate_max, 0);
		atomic_store(&rt.fes[i].sess_rate_max, 0);
		atomic_store(&rt.fes[i].conn_rate_max, 0);
	}
	atomic_store(&rt.conn_rate_max, 0);
	atomic_store(&rt.sess_rate_max, 0);
}

/* Allocates the baselines, zero at first. */
static void zero_init(void)
{
	if (fe_zero)
		return;
	fe_zero = xcalloc((size_t)rt.nfe + 1, sizeof(*fe_zero));
	be_zero = xcalloc((size_t)rt.nbe + 1, sizeof(*be_zero));
	srv_zero = xcalloc_lines((size_t)nb_srv_total + 1, sizeof(*srv_zero));
}

void counters_srv_reset(const struct srv_rt *srv)
{
	zero_init();
	srv_zero[srv->gidx] = srv_raw(srv->gidx);
}

void counters_clear_all(void)
{
	counters_clear_max();
	zero_init();
	for (int i = 0; i < rt.nfe; i++) {
		fe_zero[i] = fe_raw(i);
		atomic_store(&rt.fes[i].cum_conns, 0);
	}
	for (int i = 0; i < rt.nbe; i++)
		be_zero[i] = be_raw(i);
	for (int g = 0; g < nb_srv_total; g++)
		srv_zero[g] = srv_raw(g);
}
