/* CA files of the "ssl ca-file" commands (worker/tls-store.h): entries
 * sorted by path, and the commit that puts new CA certificates into the
 * verification settings using a file and rebuilds the contexts concerned.
 */
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "conf/ssl-bind.h"
#include "conf/ssl-crtlist.h"
#include "worker/tls-store.h"
#include "worker/tls-verify.h"

/* A new stack holding a reference on each certificate of <s>. */
static STACK_OF(X509) * chain_copy(STACK_OF(X509) * s)
{
	STACK_OF(X509) *copy = X509_chain_up_ref(s);
	if (!copy)
		abort(); /* out of memory, as xmalloc() */
	return copy;
}

static struct tls_ca_entry *cas;
static int ncas;

int tls_ca_count(void)
{
	return ncas;
}

struct tls_ca_entry *tls_ca_at(int i)
{
	return i >= 0 && i < ncas ? &cas[i] : NULL;
}

/* Index of <path>, or of where it would go, with *<found>. */
static int ca_pos(const char *path, int *found)
{
	int lo = 0, hi = ncas;
	*found = 0;
	while (lo < hi) {
		int mid = (lo + hi) / 2, c = strcmp(cas[mid].path, path);
		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct tls_ca_entry *tls_ca_find(const char *path)
{
	int found, i = ca_pos(path, &found);
	return found ? &cas[i] : NULL;
}

/* Adds entry <path> with a copy of <certs> (NULL: none) unless present. */
static void ca_insert(const char *path, STACK_OF(X509) * certs)
{
	int found, i = ca_pos(path, &found);
	if (found)
		return;
	cas = xrealloc(cas, (size_t)(ncas + 1) * sizeof(*cas));
	memmove(cas + i + 1, cas + i, (size_t)(ncas - i) * sizeof(*cas));
	STACK_OF(X509) *copy = certs ? chain_copy(certs) : sk_X509_new_null();
	if (!copy)
		abort();
	cas[i] = (struct tls_ca_entry){xstrdup(path), copy};
	ncas++;
}

void tls_ca_new(const char *path)
{
	ca_insert(path, NULL);
}

void tls_ca_del(const char *path)
{
	int found, i = ca_pos(path, &found);
	if (!found)
		return;
	sk_X509_pop_free(cas[i].certs, X509_free);
	free(cas[i].path);
	memmove(cas + i, cas + i + 1, (size_t)(ncas - i - 1) * sizeof(*cas));
	ncas--;
}

/* The verification settings of slot <i> of <t> (NULL: none). */
static const struct tls_verify_cfg *slot_verify(const struct tls_bind_cfg *t, int i)
{
	const struct tls_crt_opts *o = tls_crt_opts_of(t, i);
	return o && o->merged ? o->merged : t->verify;
}

static int uses(const struct tls_verify_cfg *v, const char *path)
{
	return v && v->ca_file && v->ca_certs && !strcmp(v->ca_file, path);
}

void tls_ca_add_bind(struct tls_bind_cfg *cfg)
{
	for (int i = 0; i < cfg->ncerts; i++) {
		const struct tls_verify_cfg *v = slot_verify(cfg, i);
		if (v && v->ca_file && v->ca_certs)
			ca_insert(v->ca_file, v->ca_certs);
	}
}

int tls_ca_uses(const char *path)
{
	int nb, n = 0;
	struct tls_bind_cfg **b = tls_store_binds(&nb);
	for (int k = 0; k < nb; k++)
		for (int i = 0; i < b[k]->ncerts; i++)
			n += uses(slot_verify(b[k], i), path);
	return n;
}

/* Every verification setting using <path> (bind lines' own, crt-list
 * lines' own and merged ones), each once, into *<out>; their number.
 */
static int collect(const char *path, struct tls_verify_cfg ***out)
{
	int nb, n = 0;
	struct tls_bind_cfg **b = tls_store_binds(&nb);
	for (int k = 0; k < nb; k++) {
		for (int i = -1; i < b[k]->ncrt_opts; i++) {
			struct tls_crt_opts *o = i >= 0 ? b[k]->crt_opts[i] : NULL;
			struct tls_verify_cfg *vs[2] = {i < 0 ? b[k]->verify
			                                : o   ? o->verify
			                                      : NULL,
			                                o ? o->merged : NULL};
			for (int j = 0; j < 2; j++) {
				int dup = 0;
				for (int m = 0; m < n; m++)
					dup |= (*out)[m] == vs[j];
				if (dup || !uses(vs[j], path))
					continue;
				*out = xrealloc(*out, (size_t)(n + 1) * sizeof(**out));
				(*out)[n++] = vs[j];
			}
		}
	}
	return n;
}

/* The bind lines having a slot that uses <path>, into *<out>. */
static int binds_using(const char *path, struct tls_bind_cfg ***out)
{
	int nb, n = 0;
	struct tls_bind_cfg **b = tls_store_binds(&nb);
	for (int k = 0; k < nb; k++) {
		int u = 0;
		for (int i = 0; i < b[k]->ncerts; i++)
			u |= uses(slot_verify(b[k], i), path);
		if (!u)
			continue;
		*out = xrealloc(*out, (size_t)(n + 1) * sizeof(**out));
		(*out)[n++] = b[k];
	}
	return n;
}

/* A setting's own copy of <certs> (it frees it), or the entry's stack for
 * a merged setting (which frees nothing).
 */
static void *stack_for(const struct tls_verify_cfg *v, STACK_OF(X509) * certs)
{
	return v->borrowed ? certs : chain_copy(certs);
}

int tls_ca_commit(const char *path, void *certs, char **err)
{
	struct tls_ca_entry *e = tls_ca_find(path);
	struct tls_verify_cfg **vs = NULL;
	struct tls_bind_cfg **bs = NULL;
	int slots = tls_ca_uses(path);
	int nv = collect(path, &vs), nb = binds_using(path, &bs);
	void **old = xcalloc((size_t)nv + 1, sizeof(*old));
	for (int i = 0; i < nv; i++) {
		old[i] = vs[i]->ca_certs;
		vs[i]->ca_certs = stack_for(vs[i], certs);
	}
	int ok = tls_store_rebuild(bs, nb, 1, err) == 0;
	for (int i = 0; i < nv; i++) { /* free what is no longer used */
		void *drop = ok ? old[i] : vs[i]->ca_certs;
		if (!ok)
			vs[i]->ca_certs = old[i];
		if (!vs[i]->borrowed)
			sk_X509_pop_free(drop, X509_free);
	}
	if (ok) {
		sk_X509_pop_free(e->certs, X509_free);
		e->certs = certs;
	} else {
		sk_X509_pop_free(certs, X509_free);
	}
	free(old);
	free(vs);
	free(bs);
	return ok ? slots : -1;
}
