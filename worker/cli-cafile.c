/* "show ssl ca-file", "new ssl ca-file", "set ssl ca-file" (PEM payload),
 * "commit ssl ca-file", "abort ssl ca-file", "del ssl ca-file": the CA
 * files that verify client certificates on bind lines, replaced at run
 * time for new handshakes. One transaction at a time, as for certificates
 * (worker/cli-ssl.c); everything runs under the store's lock. Messages are
 * HAProxy 2.6's.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "common/strbuf.h"
#include "worker/tls-show.h"
#include "worker/tls-store.h"

static struct {
	char *path;
	STACK_OF(X509) * certs;
} txn;

static void txn_end(void)
{
	free(txn.path);
	sk_X509_pop_free(txn.certs, X509_free);
	txn.path = NULL;
	txn.certs = NULL;
}

static const char *arg(char **args, int nargs, int i)
{
	return i < nargs ? args[i] : "";
}

static void show_list(struct cli_conn *c)
{
	if (txn.path)
		cli_printf(c, "# transaction\n*%s - %d certificate(s)\n", txn.path,
		           sk_X509_num(txn.certs));
	cli_printf(c, "# filename\n");
	for (int i = 0; i < tls_ca_count(); i++)
		cli_printf(c, "%s - %d certificate(s)\n", tls_ca_at(i)->path,
		           sk_X509_num(tls_ca_at(i)->certs));
}

/* Details of <certs> shown as <name>: all, or only number <idx> (1-based;
 * 0: all). Nothing when the file is empty or <idx> is past its end.
 */
static void show_certs(struct cli_conn *c, const char *name, STACK_OF(X509) * certs, int used,
                       int idx)
{
	int n = sk_X509_num(certs);
	if (!n || idx > n)
		return;
	struct strbuf o = {0};
	sb_printf(&o, "Filename: %s\nStatus: %s\n", name, used ? "Used" : "Unused");
	for (int i = 0; i < n; i++) {
		if (idx && i != idx - 1)
			continue;
		sb_printf(&o, " \nCertificate #%d:\n", i + 1);
		tls_show_x509(&o, sk_X509_value(certs, i));
	}
	if (o.p)
		cli_put(c, o.p, o.len);
	sb_free(&o);
}

static void show_one(struct cli_conn *c, const char *spec)
{
	char *name = xstrdup(spec), *colon = strrchr(name, ':');
	int idx = 0;
	if (colon) {
		char *end = NULL;
		long v = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || *end || v < 1 || v > 1000000) {
			cli_printf(c, "wrong CA index after colons in '%s'!\n", spec);
			cli_no_end_line(c);
			free(name);
			return;
		}
		*colon = 0;
		idx = (int)v;
	}
	if (name[0] == '*' && txn.path && !strcmp(name + 1, txn.path)) {
		show_certs(c, name, txn.certs, 0, idx);
	} else {
		struct tls_ca_entry *e = name[0] != '*' ? tls_ca_find(name) : NULL;
		if (e)
			show_certs(c, name, e->certs, tls_ca_uses(name) > 0, idx);
		else
			cli_printf(c, "Can't display the CA file : Not found!\n");
	}
	free(name);
}

static void show_cafile(struct cli_conn *c, char **args, int nargs)
{
	tls_store_lock();
	if (nargs > 3)
		show_one(c, args[3]);
	else
		show_list(c);
	tls_store_unlock();
}

static void new_cafile(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3);
	if (!*path) {
		cli_printf(c, "'new ssl ca-file' expects a filename\n");
		return;
	}
	tls_store_lock();
	if (tls_ca_find(path)) {
		cli_printf(c, "CA file '%s' already exists!\n", path);
	} else {
		tls_ca_new(path);
		cli_printf(c, "New CA file created '%s'!\n", path);
	}
	tls_store_unlock();
}

/* The certificates of PEM text <pem>, NULL when there is none. */
static STACK_OF(X509) * parse_certs(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *x;
	while (b && certs && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		if (!sk_X509_push(certs, x))
			X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	if (certs && !sk_X509_num(certs)) {
		sk_X509_free(certs);
		certs = NULL;
	}
	return certs;
}

static void set_cafile(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3), *payload = cli_payload(c);
	if (!*path || !payload) {
		cli_printf(c, "'set ssl ca-file expects a filename and CAs as a payload\n");
		return;
	}
	tls_store_lock();
	STACK_OF(X509) *certs = NULL;
	if (txn.path && strcmp(txn.path, path))
		cli_printf(c,
		           "The ongoing transaction is about '%s' but you are trying to set '%s'\n"
		           "Can't update %s!\n",
		           txn.path, path, path);
	else if (!txn.path && !tls_ca_find(path))
		cli_printf(c,
		           "Can't replace a CA file which is not referenced by the "
		           "configuration!\nCan't update %s!\n",
		           path);
	else if (!(certs = parse_certs(payload)))
		cli_printf(c, "Invalid payload\nCan't update %s!\n", path);
	else {
		int created = !txn.path;
		txn_end();
		txn.path = xstrdup(path);
		txn.certs = certs;
		cli_printf(c, "transaction %s for CA %s!\n", created ? "created" : "updated", path);
	}
	tls_store_unlock();
}

static void commit_cafile(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3);
	if (!*path) {
		cli_printf(c, "'commit ssl ca-file expects a filename\n");
		return;
	}
	tls_store_lock();
	char *err = NULL;
	if (!txn.path) {
		cli_printf(c, "No ongoing transaction! !\nCan't commit %s!\n", path);
	} else if (strcmp(txn.path, path)) {
		cli_printf(c,
		           "The ongoing transaction is about '%s' but you are trying to set '%s'\n"
		           "Can't commit %s!\n",
		           txn.path, path, path);
	} else {
		int slots = tls_ca_commit(path, txn.certs, &err);
		txn.certs = NULL; /* taken */
		txn_end();
		if (slots < 0) {
			cli_printf(c, "%s\nCan't commit %s!\n", err, path);
		} else {
			cli_printf(c, "Committing %s", path);
			for (int i = 0; i < slots; i++)
				cli_printf(c, ".");
			cli_printf(c, "\nSuccess!\n");
		}
	}
	free(err);
	tls_store_unlock();
}

static void abort_cafile(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3);
	if (!*path) {
		cli_printf(c, "'abort ssl ca-file' expects a filename\n");
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

static void del_cafile(struct cli_conn *c, char **args, int nargs)
{
	const char *path = arg(args, nargs, 3);
	if (!*path) {
		cli_printf(c, "'del ssl ca-file' expects a CA file name\n");
		return;
	}
	tls_store_lock();
	if (txn.path && !strcmp(txn.path, path))
		cli_printf(c,
		           "Can't remove the CA file: ongoing transaction for the CA file '%s'\n",
		           path);
	else if (!tls_ca_find(path))
		cli_printf(c, "Can't remove the CA file: CA file '%s' doesn't exist!\n\n", path);
	else if (tls_ca_uses(path))
		cli_printf(c,
		           "Can't remove the CA file: CA file '%s' in use, can't be deleted!\n\n",
		           path);
	else {
		tls_ca_del(path);
		cli_printf(c, "CA file '%s' deleted!\n", path);
	}
	tls_store_unlock();
}

static const struct cli_cmd cafile_cmds[] = {
    {{"show", "ssl", "ca-file"},
     "show ssl ca-file [<cafile>[:<index>]]",
     "list the CA files, or describe the certificates of one",
     CLI_LEVEL_OPER,
     show_cafile},
    {{"new", "ssl", "ca-file"},
     "new ssl ca-file <cafile>",
     "add an empty CA file entry",
     CLI_LEVEL_ADMIN,
     new_cafile},
    {{"set", "ssl", "ca-file"},
     "set ssl ca-file <cafile> <payload>",
     "open or update the transaction of a CA file with PEM certificates",
     CLI_LEVEL_ADMIN,
     set_cafile},
    {{"commit", "ssl", "ca-file"},
     "commit ssl ca-file <cafile>",
     "verify new handshakes with the CA file of the transaction",
     CLI_LEVEL_ADMIN,
     commit_cafile},
    {{"abort", "ssl", "ca-file"},
     "abort ssl ca-file <cafile>",
     "drop the transaction of a CA file",
     CLI_LEVEL_ADMIN,
     abort_cafile},
    {{"del", "ssl", "ca-file"},
     "del ssl ca-file <cafile>",
     "remove a CA file entry that no bind line uses",
     CLI_LEVEL_ADMIN,
     del_cafile},
};
CLI_REGISTER(cafile_cmds)
