/* The certificate store behind the "ssl cert" commands of the CLI
 * (worker/cli-ssl.c): every certificate file used by a TLS bind line (by
 * "crt" or a crt-list line), by file name, plus the empty entries made by
 * "new ssl cert".
 *
 * Everything here runs under tls_store_lock(): CLI sessions on several
 * threads are serialised; handshakes never take the lock, they read the
 * generations that tls_store_commit() publishes (worker/tls.h).
 */
#pragma once

struct tls_bind_cfg;
struct tls_cert;
struct tls_crtlist;

struct tls_store_entry {
	char *path;
	struct tls_cert *cert; /* a reference; NULL: empty ("new ssl cert") */
};

/* Registers a TLS bind line whose contexts are built, and every
 * certificate file it uses (configuration time).
 */
void tls_store_add_bind(struct tls_bind_cfg *cfg);

void tls_store_lock(void);
void tls_store_unlock(void);

/* Entries in file name order: count, <i>-th, by name (NULL: none). */
int tls_store_count(void);
struct tls_store_entry *tls_store_at(int i);
struct tls_store_entry *tls_store_find(const char *path);

/* How many certificate slots of bind lines serve file <path>. */
int tls_store_uses(const char *path);

/* Adds an empty entry <path> (it must not exist). */
void tls_store_new(const char *path);

/* Removes entry <path>, which must exist and be unused. */
void tls_store_del(const char *path);

/* Makes <crt> (checked: key present and matching) the certificate of entry
 * <path> and of every bind line slot serving it, for the handshakes that
 * start afterwards. Either every bind line is updated or none: returns the
 * number of slots updated, or -1 with *<err> set (nothing changed). The
 * reference on <crt> stays the caller's.
 */
int tls_store_commit(const char *path, struct tls_cert *crt, char **err);

/* "add ssl crt-list": a line for certificate file <crt> (an entry of the
 * store, not empty) with options <ow>[0..<no>-1] and SNI filters
 * <fw>[0..<nf>-1], added to crt-list <l> and to every bind line using it,
 * for new handshakes. Returns the number of bind lines, or -1 with *<err>
 * set (nothing changed).
 */
int tls_store_crtlist_add(struct tls_crtlist *l, const char *crt, char **ow, int no, char **fw,
                          int nf, char **err);

/* The bind lines whose default certificate comes from line <lineno> of
 * <l>, into *<out> (allocated); returns their number.
 */
int tls_store_crtlist_default_of(const struct tls_crtlist *l, int lineno,
                                 struct tls_bind_cfg ***out);

/* "del ssl crt-list": removes line <idx> (index into l->lines) from <l>
 * and its certificates from the bind lines using <l>, for new handshakes.
 */
void tls_store_crtlist_del(struct tls_crtlist *l, int idx);

/* The registered TLS bind lines. */
struct tls_bind_cfg **tls_store_binds(int *n);

/* Publishes new generations for bind lines <b>[0..n-1] (those with
 * contexts) built from their current slots, with only new SSL_CTXs when
 * <fresh>: all of them, or none (-1 with *<err> set).
 */
int tls_store_rebuild(struct tls_bind_cfg **b, int n, int fresh, char **err);

/* CA files ("ssl ca-file" commands, worker/tls-castore.c): the files given
 * to "ca-file" on bind lines and crt-list lines, by path, with a copy of
 * their certificates.
 */
struct tls_ca_entry {
	char *path;
	void *certs; /* STACK_OF(X509) *, never NULL */
};

/* Registers the CA files of bind line <cfg> (under the lock). */
void tls_ca_add_bind(struct tls_bind_cfg *cfg);

int tls_ca_count(void);
struct tls_ca_entry *tls_ca_at(int i);
struct tls_ca_entry *tls_ca_find(const char *path);
/* Certificate slots of bind lines whose verification uses CA file <path>. */
int tls_ca_uses(const char *path);
void tls_ca_new(const char *path);
void tls_ca_del(const char *path);

/* Makes the certificates <certs> (a STACK_OF(X509) *, taken) the content
 * of CA file <path> and of every verification setting using it, and
 * rebuilds the contexts of the bind lines concerned, for new handshakes.
 * Returns the number of slots using it, or -1 with *<err> set (nothing
 * changed, <certs> freed).
 */
int tls_ca_commit(const char *path, void *certs, char **err);
