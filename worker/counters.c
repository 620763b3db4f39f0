#include "worker/counters.h"

#include "common/mem.h"
#include "worker/stream.h"

static int *srv_base; /* first global server index of each backend */
static int nb_srv_total;

int srv_global_index(const struct srv_rt *srv)
{
	return srv_base[srv->be->idx] + srv->idx;
}

int srv_total_count(void)
{
	return nb_srv_total;
}

void counters_init_thread(struct wthread *t)
{
	if (!srv_base) {
		srv_base = xcalloc((size_t)rt.nbe + 1, sizeof(int));
		for (int i = 0; i < rt.nbe; i++) {
			srv_base[i] = nb_srv_total;
			nb_srv_total += rt.bes[i].nsrv;
		}
	}
	struct thr_counters *c = xcalloc(1, sizeof(*c));
	c->fe = xcalloc((size_t)rt.nfe + 1, sizeof(*c->fe));
	c->be = xcalloc((size_t)rt.nbe + 1, sizeof(*c->be));
	c->srv = xcalloc((size_t)nb_srv_total + 1, sizeof(*c->srv));
	t->counters = c;
}

static struct thr_counters *tc(void)
{
	return curthr->counters;
}

void counters_fe_accept(struct fe_rt *fe)
{
	tc()->fe[fe->idx].sess++;
}

void counters_be_error(struct be_rt *be)
{
	tc()->be[be->idx].errors++;
}

void counters_srv_connect(struct srv_rt *srv)
{
	tc()->srv[srv_global_index(srv)].conns++;
	tc()->be[srv->be->idx].sess++;
}

void counters_srv_conn_error(struct srv_rt *srv)
{
	tc()->srv[srv_global_index(srv)].econ++;
}

void counters_srv_retry(struct srv_rt *srv)
{
	tc()->srv[srv_global_index(srv)].retries++;
}

void counters_srv_redispatch(struct srv_rt *srv)
{
	tc()->srv[srv_global_index(srv)].redisp++;
}

void counters_add_bytes(struct stream *s)
{
	struct thr_counters *c = tc();
	c->fe[s->fe->idx].bytes_in += s->bytes_in;
	c->fe[s->fe->idx].bytes_out += s->bytes_out;
	if (s->be) {
		c->be[s->be->idx].bytes_in += s->bytes_in;
		c->be[s->be->idx].bytes_out += s->bytes_out;
	}
	if (s->acct_srv) {
		int g = srv_global_index(s->acct_srv);
		c->srv[g].bytes_in += s->bytes_in;
		c->srv[g].bytes_out += s->bytes_out;
	}
}

/* Adds <b> into <a> field by field. */
static void px_add(struct px_counters *a, const struct px_counters *b)
{
	a->sess += b->sess;
	a->bytes_in += b->bytes_in;
	a->bytes_out += b->bytes_out;
	a->errors += b->errors;
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
		sum.conns += c->srv[g].conns;
		sum.econ += c->srv[g].econ;
		sum.retries += c->srv[g].retries;
		sum.redisp += c->srv[g].redisp;
		sum.bytes_in += c->srv[g].bytes_in;
		sum.bytes_out += c->srv[g].bytes_out;
	}
	return sum;
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
	if (z) {
		a.sess -= z->sess;
		a.bytes_in -= z->bytes_in;
		a.bytes_out -= z->bytes_out;
		a.errors -= z->errors;
	}
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
	if (srv_zero) {
		const struct srv_counters *z = &srv_zero[g];
		a.conns -= z->conns;
		a.econ -= z->econ;
		a.retries -= z->retries;
		a.redisp -= z->redisp;
		a.bytes_in -= z->bytes_in;
		a.bytes_out -= z->bytes_out;
	}
	return a;
}

void counters_clear_all(void)
{
	if (!fe_zero) {
		fe_zero = xcalloc((size_t)rt.nfe + 1, sizeof(*fe_zero));
		be_zero = xcalloc((size_t)rt.nbe + 1, sizeof(*be_zero));
		srv_zero = xcalloc((size_t)nb_srv_total + 1, sizeof(*srv_zero));
	}
	for (int i = 0; i < rt.nfe; i++) {
		fe_zero[i] = fe_raw(i);
		atomic_store(&rt.fes[i].cum_conns, 0);
	}
	for (int i = 0; i < rt.nbe; i++)
		be_zero[i] = be_raw(i);
	for (int g = 0; g < nb_srv_total; g++)
		srv_zero[g] = srv_raw(g);
}
