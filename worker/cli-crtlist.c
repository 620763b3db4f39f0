/* "show ssl crt-list", "add ssl crt-list", "del ssl crt-list": the lines
 * of the crt-list files of TLS bind lines, and lines added or removed at
 * run time (for new handshakes, on every bind line using the list). Runs
 * under the certificate store's lock. Messages are HAProxy 2.6's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "conf/ssl-bind.h"
#include "conf/ssl-crtlist.h"
#include "worker/tls-store.h"

#define MAX_WORDS 64

static const char *arg(char **args, int nargs, int i)
{
	return i < nargs ? args[i] : "";
}

static void show_list(struct cli_conn *c, const struct tls_crtlist *l, int numbered)
{
	cli_printf(c, "# %s\n", l->path);
	for (int i = 0; i < l->nlines; i++) {
		const struct tls_crtlist_line *ln = &l->lines[i];
		if (numbered)
			cli_printf(c, "%s:%d%s\n", ln->crt, ln->lineno, ln->dump);
		else
			cli_printf(c, "%s%s\n", ln->crt, ln->dump);
	}
}

static void show_crtlist(struct cli_conn *c, char **args, int nargs)
{
	int i = 3, numbered = 0;
	if (!strcmp(arg(args, nargs, i), "-n")) {
		numbered = 1;
		i++;
	}
	const char *name = arg(args, nargs, i);
	tls_store_lock();
	if (!*name) {
		for (int k = 0; k < tls_crtlist_count(); k++)
			cli_printf(c, "%s\n", tls_crtlist_at(k)->path);
	} else {
		const struct tls_crtlist *l = tls_crtlist_find(name);
		if (l)
			show_list(c, l, numbered);
		else
			cli_printf(c, "didn't find the specified filename\n");
	}
	tls_store_unlock();
}

/* Splits <p> into blank-separated words (in place); -1 past MAX_WORDS. */
static int split(char *p, char **w)
{
	int n = 0;
	while (*p) {
		while (isspace((unsigned char)*p))
			*p++ = 0;
		if (!*p)
			break;
		if (n == MAX_WORDS)
			return -1;
		w[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	return n;
}

/* Parses the crt-list line <ln> (modified): certificate into *<crt>,
 * bracketed options and filters. Returns 0, or -1 with *<err> set.
 */
static int parse_line(char *ln, char **crt, char **ow, int *no, char **fw, int *nf, char **err)
{
	char *open = strchr(ln, '['), *close = open ? strchr(open, ']') : NULL;
	*no = *nf = 0;
	if (open && !close) {
		memprintf(err, "missing ']' in the options.");
		return -1;
	}
	if (open) {
		*close = 0;
		*no = split(open + 1, ow);
		*open = 0;
	}
	char *w[MAX_WORDS];
	int n = split(ln, w);
	if (close)
		*nf = split(close + 1, fw);
	if (n < 0 || *no < 0 || *nf < 0) {
		memprintf(err, "too many words.");
		return -1;
	}
	if (n < 1 || (open && n != 1)) {
		memprintf(err, n < 1 ? "no certificate on the line."
		                     : "the options must follow the certificate.");
		return -1;
	}
	*crt = w[0];
	if (!open) {
		for (int i = 1; i < n; i++)
			fw[i - 1] = w[i];
		*nf = n - 1;
	}
	return 0;
}

static void add_crtlist(struct cli_conn *c, char **args, int nargs)
{
	const char *name = arg(args, nargs, 3), *payload = cli_payload(c);
	if (!*name || (!payload && nargs < 5)) {
		cli_printf(c, "'add ssl crtlist' expects a filename and a certificate name\n");
		return;
	}
	char *ln = xstrdup(payload ? payload : args[4]), *err = NULL;
	char *nl = strchr(ln, '\n');
	if (nl && nl[1 + strspn(nl + 1, " \t\r\n")]) {
		cli_printf(c,
		           "Can't edit the crt-list: only one line is supported in the payload\n");
		free(ln);
		return;
	}
	char *crt = NULL, *ow[MAX_WORDS], *fw[MAX_WORDS];
	int no, nf;
	tls_store_lock();
	struct tls_crtlist *l = tls_crtlist_find(name);
	if (!l) {
		cli_printf(c, "Can't edit the crt-list: crt-list '%s' does not exist!\n", name);
		goto end;
	}
	if (parse_line(ln, &crt, ow, &no, fw, &nf, &err) < 0 ||
	    tls_store_crtlist_add(l, crt, ow, no, fw, nf, &err) < 0) {
		cli_printf(c, "Can't edit the crt-list: %s\n", err);
		goto end;
	}
	cli_printf(c, "Inserting certificate '%s' in crt-list '%s'", crt, name);
	for (int b = 0; b < l->nbinds; b++)
		if (l->binds[b]->ctx)
			cli_printf(c, ".");
	cli_printf(c, "\nSuccess!\n");
end:
	tls_store_unlock();
	free(err);
	free(ln);
}

/* Lists the line numbers of <crt> in <l> as "1, 4". */
static void print_lines(struct cli_conn *c, const struct tls_crtlist *l, const char *crt)
{
	int first = 1;
	for (int i = 0; i < l->nlines; i++)
		if (!strcmp(l->lines[i].crt, crt)) {
			cli_printf(c, "%s%d", first ? "" : ", ", l->lines[i].lineno);
			first = 0;
		}
}

/* Index in <l> of the line of <crt> numbered <lineno> (0: the only one);
 * prints the refusal and returns -1 when there is none or several.
 */
static int pick_line(struct cli_conn *c, const struct tls_crtlist *l, const char *crt, int lineno)
{
	int found = -1, count = 0;
	for (int i = 0; i < l->nlines; i++)
		if (!strcmp(l->lines[i].crt, crt)) {
			count++;
			if (!lineno || l->lines[i].lineno == lineno)
				found = i;
		}
	if (!count && tls_store_find(crt)) {
		cli_printf(c,
		           "Can't delete the entry: certificate '%s' can't be found in crt-list "
		           "'%s'!\n",
		           crt, l->path);
		return -1;
	}
	if (!count) {
		cli_printf(c, "Can't delete the entry: certificate '%s' does not exist!\n", crt);
		return -1;
	}
	if (!lineno && count > 1) {
		cli_printf(c,
		           "Can't delete the entry: found the certificate '%s' in several entries, "
		           "please specify a line number preceded by colons (",
		           crt);
		print_lines(c, l, crt);
		cli_printf(c, ")!\n");
		return -1;
	}
	if (found < 0) {
		cli_printf(
		    c,
		    "Can't delete the entry: found a certificate '%s' but the line number is "
		    "incorrect, please specify a correct line number preceded by colons (",
		    crt);
		print_lines(c, l, crt);
		cli_printf(c, ")!\n");
	}
	return found;
}

/* Refuses (prints, returns -1) to delete the default certificate of a
 * bind line.
 */
static int check_default(struct cli_conn *c, const struct tls_crtlist *l, int idx)
{
	struct tls_bind_cfg **defs = NULL;
	int n = tls_store_crtlist_default_of(l, l->lines[idx].lineno, &defs);
	if (n) {
		cli_printf(c,
		           "Can't delete the entry: certificate '%s' cannot be deleted, it is used "
		           "as default certificate by the following frontends:\n",
		           l->lines[idx].crt);
		for (int i = 0; i < n; i++)
			cli_printf(c, "\t- %s:%d\n", defs[i]->file, defs[i]->line);
		cli_printf(c, "\n");
	}
	free(defs);
	return n ? -1 : 0;
}

static void del_crtlist(struct cli_conn *c, char **args, int nargs)
{
	const char *name = arg(args, nargs, 3), *spec = arg(args, nargs, 4);
	if (!*name || !*spec) {
		cli_printf(c, "'del ssl crtlist' expects a filename and a certificate name\n");
		return;
	}
	char *crt = xstrdup(spec), *colon = strrchr(crt, ':');
	int lineno = 0;
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		*colon = 0;
		lineno = atoi(colon + 1);
	}
	tls_store_lock();
	struct tls_crtlist *l = tls_crtlist_find(name);
	int idx;
	if (!l)
		cli_printf(c, "Can't delete the entry: crt-list '%s' does not exist!\n", name);
	else if ((idx = pick_line(c, l, crt, lineno)) >= 0 && check_default(c, l, idx) == 0) {
		tls_store_crtlist_del(l, idx);
		cli_printf(c, "Entry '%s' deleted in crtlist '%s'!\n", crt, name);
	}
	tls_store_unlock();
	free(crt);
}

static const struct cli_cmd crtlist_cmds[] = {
    {{"show", "ssl", "crt-list"},
     "show ssl crt-list [-n] [<list>]",
     "list the crt-list files, or the lines of one (-n: with their numbers)",
     CLI_LEVEL_OPER,
     show_crtlist},
    {{"add", "ssl", "crt-list"},
     "add ssl crt-list <list> <certfile|payload>",
     "add a line to a crt-list file (its certificate must be in the store)",
     CLI_LEVEL_ADMIN,
     add_crtlist},
    {{"del", "ssl", "crt-list"},
     "del ssl crt-list <list> <certfile[:line]>",
     "remove a line from a crt-list file",
     CLI_LEVEL_ADMIN,
     del_crtlist},
};
CLI_REGISTER(crtlist_cmds)
