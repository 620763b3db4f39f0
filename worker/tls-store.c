/* The certificate store of the "ssl cert" CLI commands (worker/tls-store.h):
 * entries sorted by file name, the TLS bind lines, and the commit that
 * rebuilds and publishes the contexts of the bind lines using a file.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "conf/ssl-bind.h"
#include "conf/ssl-crtlist.h"
#include "worker/tls-store.h"
#include "worker/tls.h"

static pthread_mutex_t store_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct tls_store_entry *ents;
static int nents;
static struct tls_bind_cfg **binds;
static int nbinds;

void tls_store_lock(void)
{
	pthread_mutex_lock(&store_mtx);
}

void tls_store_unlock(void)
{
	pthread_mutex_unlock(&store_mtx);
}

int tls_store_count(void)
{
	return nents;
}

struct tls_store_entry *tls_store_at(int i)
{
	return i >= 0 && i < nents ? &ents[i] : NULL;
}

/* Index of <path> in the sorted entries, or of where it would go, with
 * *<found> telling which.
 */
static int entry_pos(const char *path, int *found)
{
	int lo = 0, hi = nents;
	while (lo < hi) {
		int mid = (lo + hi) / 2, c = strcmp(ents[mid].path, path);
		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

struct tls_store_entry *tls_store_find(const char *path)
{
	int found, i = entry_pos(path, &found);
	return found ? &ents[i] : NULL;
}

/* Inserts entry <path> holding <crt> (a reference taken) unless present. */
static void insert(const char *path, struct tls_cert *crt)
{
	int found, i = entry_pos(path, &found);
	if (found)
		return;
	ents = xrealloc(ents, (size_t)(nents + 1) * sizeof(*ents));
	memmove(ents + i + 1, ents + i, (size_t)(nents - i) * sizeof(*ents));
	ents[i] = (struct tls_store_entry){xstrdup(path), crt ? tls_cert_ref(crt) : NULL};
	nents++;
}

void tls_store_add_bind(struct tls_bind_cfg *cfg)
{
	tls_store_lock();
	binds = xrealloc(binds, (size_t)(nbinds + 1) * sizeof(*binds));
	binds[nbinds++] = cfg;
	for (int i = 0; i < cfg->ncerts; i++)
		insert(cfg->certs[i]->path, cfg->certs[i]);
	tls_ca_add_bind(cfg);
	tls_store_unlock();
}

void tls_store_new(const char *path)
{
	insert(path, NULL);
}

void tls_store_del(const char *path)
{
	int found, i = entry_pos(path, &found);
	if (!found)
		return;
	tls_cert_free(ents[i].cert);
	free(ents[i].path);
	memmove(ents + i, ents + i + 1, (size_t)(nents - i - 1) * sizeof(*ents));
	nents--;
}

/* Whether bind line <cfg> has a certificate slot serving <path>. */
static int bind_uses(const struct tls_bind_cfg *cfg, const char *path)
{
	for (int i = 0; i < cfg->ncerts; i++)
		if (!strcmp(cfg->certs[i]->path, path))
			return 1;
	return 0;
}

int tls_store_uses(const char *path)
{
	int n = 0;
	for (int b = 0; b < nbinds; b++)
		for (int i = 0; i < binds[b]->ncerts; i++)
			n += !strcmp(binds[b]->certs[i]->path, path);
	return n;
}

/* Puts <crt> in the slots of <cfg> serving <path>; returns their number
 * and stores the certificates they held into *<old> (one per slot).
 */
static int swap_slots(struct tls_bind_cfg *cfg, const char *path, struct tls_cert *crt,
                      struct tls_cert ***old, int *nold)
{
	int n = 0;
	for (int i = 0; i < cfg->ncerts; i++) {
		if (strcmp(cfg->certs[i]->path, path))
			continue;
		*old = xrealloc(*old, (size_t)(*nold + 1) * sizeof(**old));
		(*old)[(*nold)++] = cfg->certs[i];
		cfg->certs[i] = tls_cert_ref(crt);
		n++;
	}
	return n;
}

/* Gives the slots of <cfg> their old certificates back (the reverse of
 * swap_slots(), from the end of *<old>).
 */
static void unswap_slots(struct tls_bind_cfg *cfg, const char *path, struct tls_cert **old,
                         int *nold)
{
	for (int i = cfg->ncerts - 1; i >= 0; i--) {
		if (strcmp(cfg->certs[i]->path, path))
			continue;
		tls_cert_free(cfg->certs[i]);
		cfg->certs[i] = old[--*nold];
	}
}

/* Builds the new generations of the bind lines using <path> with <crt>
 * in their slots into <gens> (one per bind line, NULL when unused).
 * Returns the number of slots, or -1 with *<err> set and everything put
 * back as it was.
 */
static int build_all(const char *path, struct tls_cert *crt, struct tls_gen **gens, char **err)
{
	struct tls_cert **old = NULL;
	int nold = 0, slots = 0, b;
	for (b = 0; b < nbinds; b++) {
		if (!bind_uses(binds[b], path))
			continue;
		slots += swap_slots(binds[b], path, crt, &old, &nold);
		gens[b] = tls_gen_build(binds[b]->ctx, binds[b], 0, err, NULL);
		if (!gens[b])
			break;
	}
	if (b == nbinds) {
		for (int i = 0; i < nold; i++)
			tls_cert_free(old[i]);
		free(old);
		return slots;
	}
	for (; b >= 0; b--) {
		if (!bind_uses(binds[b], path))
			continue;
		tls_gen_free(gens[b]);
		gens[b] = NULL;
		unswap_slots(binds[b], path, old, &nold);
	}
	free(old);
	return -1;
}

int tls_store_commit(const char *path, struct tls_cert *crt, char **err)
{
	struct tls_store_entry *e = tls_store_find(path);
	if (!e) {
		memprintf(err, "Can't replace a certificate which is not referenced by the "
		               "configuration!\n");
		return -1;
	}
	struct tls_gen **gens = xcalloc((size_t)nbinds + 1, sizeof(*gens));
	int slots = build_all(path, crt, gens, err);
	if (slots >= 0) {
		for (int b = 0; b < nbinds; b++)
			if (gens[b])
				tls_gen_publish(binds[b]->ctx, gens[b]);
		tls_cert_free(e->cert);
		e->cert = tls_cert_ref(crt);
	}
	free(gens);
	return slots;
}

struct tls_bind_cfg **tls_store_binds(int *n)
{
	*n = nbinds;
	return binds;
}

int tls_store_rebuild(struct tls_bind_cfg **b, int n, int fresh, char **err)
{
	struct tls_gen **gens = xcalloc((size_t)n + 1, sizeof(*gens));
	int i, ret = 0;
	for (i = 0; i < n; i++)
		if (b[i]->ctx && !(gens[i] = tls_gen_build(b[i]->ctx, b[i], fresh, err, NULL)))
			break;
	if (i < n) {
		while (i-- > 0)
			tls_gen_free(gens[i]);
		ret = -1;
	} else {
		for (i = 0; i < n; i++)
			if (gens[i])
				tls_gen_publish(b[i]->ctx, gens[i]);
	}
	free(gens);
	return ret;
}

/* Makes the per-slot arrays of <t> as long as its certificates. */
static void slots_normalize(struct tls_bind_cfg *t)
{
	t->crt_opts = xrealloc(t->crt_opts, (size_t)(t->ncerts + 1) * sizeof(*t->crt_opts));
	for (; t->ncrt_opts < t->ncerts; t->ncrt_opts++)
		t->crt_opts[t->ncrt_opts] = NULL;
	t->tags = xrealloc(t->tags, (size_t)(t->ncerts + 1) * sizeof(*t->tags));
	for (; t->ntags < t->ncerts; t->ntags++)
		t->tags[t->ntags] = (struct tls_slot_tag){NULL, 0};
}

static void slot_append(struct tls_bind_cfg *t, struct tls_cert *c, struct tls_crt_opts *o,
                        struct tls_crtlist *l, int lineno)
{
	slots_normalize(t);
	t->certs = xrealloc(t->certs, (size_t)(t->ncerts + 1) * sizeof(*t->certs));
	t->certs[t->ncerts] = tls_cert_ref(c);
	t->crt_opts[t->ncerts] = o;
	t->tags[t->ncerts] = (struct tls_slot_tag){l, lineno};
	t->ncerts++;
	t->ncrt_opts = t->ntags = t->ncerts;
}

/* Removes the slots of <t> made by line <lineno> of <l>. The settings of
 * removed slots stay allocated: an SSL_CTX still used by a connection may
 * point to them (ALPN callback).
 */
static void slots_remove(struct tls_bind_cfg *t, struct tls_crtlist *l, int lineno)
{
	slots_normalize(t);
	int k = 0;
	for (int i = 0; i < t->ncerts; i++) {
		if (t->tags[i].list == l && t->tags[i].lineno == lineno) {
			tls_cert_free(t->certs[i]);
			continue;
		}
		t->certs[k] = t->certs[i];
		t->crt_opts[k] = t->crt_opts[i];
		t->tags[k++] = t->tags[i];
	}
	t->ncerts = t->ncrt_opts = t->ntags = k;
}

int tls_store_crtlist_add(struct tls_crtlist *l, const char *crt, char **ow, int no, char **fw,
                          int nf, char **err)
{
	struct tls_store_entry *e = tls_store_find(crt);
	if (!e || !e->cert) {
		memprintf(err, "certificate '%s' does not exist!", crt);
		return -1;
	}
	int lineno = l->last_lineno + 1, b, used = 0;
	char *dump = NULL;
	for (b = 0; b < l->nbinds; b++) {
		struct tls_crt_opts *o = NULL;
		if (!l->binds[b]->ctx)
			continue; /* a line without "ssl" */
		used++;
		free(dump);
		dump = NULL;
		if (tls_crtlist_rt_opts(l->binds[b], ow, no, fw, nf, &o, &dump, err) < 0)
			break;
		slot_append(l->binds[b], e->cert, o, l, lineno);
	}
	if (b < l->nbinds || tls_store_rebuild(l->binds, l->nbinds, 0, err) < 0) {
		while (b-- > 0)
			slots_remove(l->binds[b], l, lineno);
		free(dump);
		return -1;
	}
	l->lines = xrealloc(l->lines, (size_t)(l->nlines + 1) * sizeof(*l->lines));
	l->lines[l->nlines++] =
	    (struct tls_crtlist_line){xstrdup(crt), dump ? dump : xstrdup(""), lineno};
	l->last_lineno = lineno;
	return used;
}

int tls_store_crtlist_default_of(const struct tls_crtlist *l, int lineno,
                                 struct tls_bind_cfg ***out)
{
	int n = 0;
	for (int b = 0; b < l->nbinds; b++) {
		struct tls_bind_cfg *t = l->binds[b];
		if (t->ntags > 0 && t->tags[0].list == l && t->tags[0].lineno == lineno) {
			*out = xrealloc(*out, (size_t)(n + 1) * sizeof(**out));
			(*out)[n++] = t;
		}
	}
	return n;
}

void tls_store_crtlist_del(struct tls_crtlist *l, int idx)
{
	int lineno = l->lines[idx].lineno;
	for (int b = 0; b < l->nbinds; b++)
		slots_remove(l->binds[b], l, lineno);
	char *err = NULL;
	if (tls_store_rebuild(l->binds, l->nbinds, 0, &err) <
	    0) /* fewer certificates: contexts reused */
		free(err);
	free(l->lines[idx].crt);
	free(l->lines[idx].dump);
	memmove(l->lines + idx, l->lines + idx + 1,
	        (size_t)(l->nlines - idx - 1) * sizeof(*l->lines));
	l->nlines--;
}
