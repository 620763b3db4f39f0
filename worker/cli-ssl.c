/* Runtime certificate updates: "show ssl cert", "new ssl cert", "set ssl
 * cert" (PEM payload), "commit ssl cert", "abort ssl cert", "del ssl cert".
 *
 * One transaction at a time, for one file, as in HAProxy: "set" parses the
 * payload into a pending certificate, "commit" checks it and makes it the
 * certificate of every bind line slot serving that file (new handshakes
 * only, see tls_store_commit()), "abort" drops it. Every command runs
 * under the store's lock, so sessions on different threads are serialised.
 * Messages are HAProxy 2.6's; no output ever shows key material.
 */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "common/strbuf.h"
#include "worker/tls-show.h"
#include "worker/tls-store.h"
#include "worker/tls.h"

/* The ongoing transaction: file name and parsed payload (a reference). */
static struct {
	char *path;
	struct tls_cert *crt;
} txn;

static void txn_end(void)
{
	free(txn.path);
	tls_cert_free(txn.crt);
	txn.path = NULL;
	txn.crt = NULL;
}

static const char *arg(char **args, int nargs, int i)
{
	return i < nargs ? args[i] : "";
}

/* The list: the transaction's file with a '*', then every entry. */
static void show_list(struct cli_conn *c)
{
	if (txn.path)
		cli_printf(c, "# transaction\n*%s\n", txn.path);
	cli_printf(c, "# filename\n");
	for (int i = 0; i < tls_store_count(); i++)
		cli_printf(c, "%s\n", tls_store_at(i)->path);
}

static void show_one(struct cli_conn *c, const char *name)
{
	const struct tls_cert *crt = NULL;
	int used = 0, found = 0;
	if (name[0] == '*') {
		found = txn.path && !strcmp(name + 1, txn.path);
		crt = txn.crt;
	} else {
		struct tls_store_entry *e = tls_store_find(name);
		found = e != NULL;
		crt = e ? e->cert : NULL;
		used = e && tls_store_uses(name) > 0;
	}
	if (!found) {
		cli_printf(c, "Can't display the certificate: Not found or the certificate is a "
		              "bundle!\n");
		return;
	}
	struct strbuf o = {0};
	tls_show_cert(&o, name, crt, used);
	if (o.p)
		cli_put(c, o.p, o.len);
	sb_free(&o);
}

static void show_cert(struct cli_conn *c, char **args, int nargs)
{
	tls_store_lock();
	if (nargs > 3)
		show_one(c, args[3]);
	else
		show_list(c);
	tls_store_unlock();
}

static void new_cert(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3);
	if (!*path) {
		cli_printf(c, "'new ssl cert' expects a filename\n");
		return;
	}
	tls_store_lock();
	if (tls_store_find(path)) {
		cli_printf(c, "Certificate '%s' already exists!\n", path);
	} else {
		tls_store_new(path);
		cli_printf(c, "New empty certificate store '%s'!\n", path);
	}
	tls_store_unlock();
}

/* Whether <path> names a companion file HAProxy could update separately. */
static int companion_file(const char *path)
{
	static const char *const ext[] = {".key", ".issuer", ".ocsp", ".sctl"};
	size_t len = strlen(path);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);
		if (len > el && !strcmp(path + len - el, ext[i]))
			return 1;
	}
	return 0;
}

/* Checks "set ssl cert <path>" against the store and the transaction;
 * prints the refusal and returns -1 when it cannot go on.
 */
static int set_allowed(struct cli_conn *c, const char *path)
{
	if (txn.path && strcmp(txn.path, path)) {
		cli_printf(c,
		           "The ongoing transaction is about '%s' but you are trying to set '%s'\n"
		           "Can't update %s!\n",
		           txn.path, path, path);
		return -1;
	}
	if (!txn.path && !tls_store_find(path)) {
		cli_printf(c,
		           "Can't replace a certificate which is not referenced by the "
		           "configuration!\nCan't update %s!\n",
		           path);
		return -1;
	}
	return 0;
}

static void set_cert(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3), *payload = cli_payload(c);
	if (!*path || !payload) {
		cli_printf(c, "'set ssl cert expects a filename and a certificate as a payload\n");
		return;
	}
	if (companion_file(path)) {
		cli_printf(c,
		           "Updating '%s' alone is not supported: give the certificate and its "
		           "key in one payload to 'set ssl cert' on the certificate file.\n"
		           "Can't update %s!\n",
		           path, path);
		return;
	}
	tls_store_lock();
	if (set_allowed(c, path) < 0)
		goto end;
	struct tls_cert *crt = tls_cert_parse(path, payload);
	if (!crt) {
		cli_printf(c,
		           "unable to load certificate from file '%s'.\nCan't load the payload\n"
		           "Can't update %s!\n",
		           path, path);
		goto end;
	}
	int created = !txn.path;
	txn_end();
	txn.path = xstrdup(path);
	txn.crt = crt;
	cli_printf(c, "Transaction %s for certificate %s!\n", created ? "created" : "updated",
	           path);
end:
	tls_store_unlock();
}

/* Prints why the pending certificate of <path> cannot be committed and
 * returns -1, or returns 0.
 */
static int commit_refusal(struct cli_conn *c, const struct tls_cert *crt, const char *path)
{
	if (!crt->pkey) {
		cli_printf(c, "The transaction must contain at least a certificate and a private "
		              "key!\n");
		return -1;
	}
	if (X509_check_private_key(crt->x509, crt->pkey) != 1) {
		ERR_clear_error();
		cli_printf(c, "inconsistencies between private key and certificate loaded '%s'.\n",
		           path);
		return -1;
	}
	return 0;
}

static void commit_cert(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3);
	if (!*path) {
		cli_printf(c, "'commit ssl cert expects a filename\n");
		return;
	}
	tls_store_lock();
	if (!txn.path) {
		cli_printf(c, "No ongoing transaction! !\nCan't commit %s!\n", path);
		goto end;
	}
	if (strcmp(txn.path, path)) {
		cli_printf(c,
		           "The ongoing transaction is about '%s' but you are trying to set '%s'\n"
		           "Can't commit %s!\n",
		           txn.path, path, path);
		goto end;
	}
	if (commit_refusal(c, txn.crt, path) < 0) {
		cli_printf(c, "Can't commit %s!\n", path);
		goto end;
	}
	char *err = NULL;
	int slots = tls_store_commit(path, txn.crt, &err);
	if (slots < 0) {
		cli_printf(c, "%s\nCan't commit %s!\n", err, path);
		free(err);
		goto end;
	}
	cli_printf(c, "Committing %s", path);
	for (int i = 0; i < slots; i++)
		cli_printf(c, ".");
	cli_printf(c, "\nSuccess!\n");
	txn_end();
end:
	tls_store_unlock();
}

static void abort_cert(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3);
	if (!*path) {
		cli_printf(c, "'abort ssl cert' expects a filename\n");
		return;
	}
	tls_store_lock();
	if (!txn.path)
		cli_printf(c, "No ongoing transaction!\n");
	else if (strcmp(txn.path, path))
		cli_printf(c,
		           "The ongoing transaction is about '%s' but you are trying to abort a "
		           "transaction for '%s'\n",
		           txn.path, path);
	else {
		txn_end();
		cli_printf(c, "Transaction aborted for certificate '%s'!\n", path);
	}
	tls_store_unlock();
}

static void del_cert(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3);
	if (!*path) {
		cli_printf(c, "'del ssl cert' expects a certificate name\n");
		return;
	}
	tls_store_lock();
	if (txn.path && !strcmp(txn.path, path))
		cli_printf(c,
		           "Can't remove the certificate: ongoing transaction for the certificate "
		           "'%s'\n",
		           path);
	else if (!tls_store_find(path))
		cli_printf(c, "Can't remove the certificate: certificate '%s' doesn't exist!\n\n",
		           path);
	else if (tls_store_uses(path))
		cli_printf(c,
		           "Can't remove the certificate: certificate '%s' in use, can't be "
		           "deleted!\n\n",
		           path);
	else {
		tls_store_del(path);
		cli_printf(c, "Certificate '%s' deleted!\n", path);
	}
	tls_store_unlock();
}

static const struct cli_cmd ssl_cmds[] = {
    {{"show", "ssl", "cert"},
     "show ssl cert [<certfile>]",
     "list the certificate files, or describe one (\"*<file>\": its transaction)",
     CLI_LEVEL_OPER,
     show_cert},
    {{"new", "ssl", "cert"},
     "new ssl cert <certfile>",
     "add an empty certificate file entry",
     CLI_LEVEL_ADMIN,
     new_cert},
    {{"set", "ssl", "cert"},
     "set ssl cert <certfile> <payload>",
     "open or update the transaction of a certificate file with a PEM payload",
     CLI_LEVEL_ADMIN,
     set_cert},
    {{"commit", "ssl", "cert"},
     "commit ssl cert <certfile>",
     "serve the certificate of the transaction to new handshakes",
     CLI_LEVEL_ADMIN,
     commit_cert},
    {{"abort", "ssl", "cert"},
     "abort ssl cert <certfile>",
     "drop the transaction of a certificate file",
     CLI_LEVEL_ADMIN,
     abort_cert},
    {{"del", "ssl", "cert"},
     "del ssl cert <certfile>",
     "remove a certificate file entry that no bind line uses",
     CLI_LEVEL_ADMIN,
     del_cert},
};
CLI_REGISTER(ssl_cmds)
