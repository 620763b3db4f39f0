/* TLS session ticket keys shared between processes: the "tls-ticket-keys
 * <file>" bind option, the ticket key callback, "show tls-keys" and "set ssl
 * tls-key".
 *
 * A key file holds base64 keys, one a line, all of 48 bytes (16 of name,
 * 16 of AES-128 key, 16 of HMAC key) or all of 80 (16, 32, 32). As in
 * HAProxy, the last three keys of the file are kept: tickets are encrypted
 * with the last but one and accepted with any of the three, so that keys
 * rotate by appending a new one to the file and reloading. Tickets are
 * AES-CBC encrypted and HMAC-SHA256 authenticated in HAProxy's layout, so
 * that processes (Halyard or HAProxy) sharing a key file accept each
 * other's tickets.
 *
 * A file named by several bind lines is read once and shared. Its three
 * keys are an immutable block published as an RCU pointer: handshakes read
 * it without a lock, "set ssl tls-key" publishes a rotated copy.
 */
#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "common/rcu.h"
#include "conf/kw.h"
#include "conf/ssl-bind.h"
#include "worker/tls-ocsp.h"
#include "worker/tls-tickets.h"

#define NKEYS 3
#define KEY128 48
#define KEY256 80

struct key_set {
	struct rcu_head rcu;
	int enc; /* slot of the encryption key; enc+1 is the newest, enc+2 the oldest */
	unsigned char keys[NKEYS][KEY256];
};

struct tls_keys_ref {
	char *filename;
	int id;
	int size;            /* KEY128 or KEY256 */
	struct key_set *set; /* RCU */
	struct tls_keys_ref *next;
};

static struct tls_keys_ref *refs; /* in declaration order */
static int nrefs;

/* Slot <i> of <s>, counted from the encryption key. */
static const unsigned char *slot(const struct key_set *s, int i)
{
	return s->keys[(s->enc + i) % NKEYS];
}

/* Reads key file <path> into <r>; -1 with *<err> set, as HAProxy words it. */
static int read_keys(struct tls_keys_ref *r, const char *path, char **err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		memprintf(err, "'%s' : unable to load ssl tickets keys file", path);
		return -1;
	}
	struct key_set *s = xcalloc(1, sizeof(*s));
	char line[2048];
	int n = 0, ret = 0;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = 0;
		if (len && line[len - 1] == '\r')
			line[--len] = 0;
		unsigned char k[KEY256 + 3];
		int dec = tls_b64dec(line, len, k, sizeof(k));
		if (dec < 0) {
			memprintf(err, "'%s' : unable to decode base64 key on line %d", path,
			          n + 1);
			ret = -1;
			break;
		}
		if ((dec != KEY128 && dec != KEY256) || (r->size && dec != r->size)) {
			memprintf(err, "'%s' : wrong sized key on line %d", path, n + 1);
			ret = -1;
			break;
		}
		r->size = dec;
		memcpy(s->keys[n % NKEYS], k, (size_t)dec);
		n++;
	}
	fclose(f);
	if (!ret && n < NKEYS) {
		memprintf(err, "'%s' : please supply at least %d keys in the tls-tickets-file",
		          path, NKEYS);
		ret = -1;
	}
	if (ret < 0) {
		free(s);
		return -1;
	}
	s->enc = (n - 2) % NKEYS; /* the last but one */
	r->set = s;
	return 0;
}

/* The reference of key file <path>, read on first use; NULL with *<err>. */
static struct tls_keys_ref *ref_of(const char *path, char **err)
{
	struct tls_keys_ref **last = &refs;
	for (struct tls_keys_ref *r = refs; r; r = r->next) {
		if (!strcmp(r->filename, path))
			return r;
		last = &r->next;
	}
	struct tls_keys_ref *r = xcalloc(1, sizeof(*r));
	if (read_keys(r, path, err) < 0) {
		free(r);
		return NULL;
	}
	r->filename = xstrdup(path);
	*last = r;
	nrefs++;
	/* HAProxy numbers the files from the last declared one */
	int id = nrefs - 1;
	for (struct tls_keys_ref *p = refs; p; p = p->next)
		p->id = id--;
	return r;
}

/* tls-ticket-keys <file> */
static int bopt_ticket_keys(struct cfg_ctx *ctx, char **args, int nargs, char **err)
{
	if (nargs < 2 || !*args[1]) {
		memprintf(err, "'%s' : missing TLS ticket keys file path", args[0]);
		return CFG_ALERT;
	}
	struct tls_keys_ref *r = ref_of(args[1], err);
	if (!r)
		return CFG_ALERT;
	tls_bind_cfg_of(ctx)->keys = r;
	return CFG_OK;
}

static const struct cfg_kw ticket_bind_opts[] = {
    {.name = "tls-ticket-keys", .sections = SECT_BINDOPT, .parse = bopt_ticket_keys, .nvals = 1},
};
CFG_REGISTER_KEYWORDS(ticket_bind_opts)

static int ex_index = -1;

/* Sets the HMAC-SHA256 key of <h>. */
static int hmac_init(EVP_MAC_CTX *h, const unsigned char *key, size_t len)
{
	OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
	                  OSSL_PARAM_construct_end()};
	return EVP_MAC_init(h, key, len, p);
}

/* Ticket keys of a connection: encrypts with the current key; decrypts
 * with the one whose name the ticket carries, asking for a new ticket when
 * that is not the current key. Returns 1, 2 (renew), 0 (unknown key: full
 * handshake) or -1.
 */
static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *ectx,
                     EVP_MAC_CTX *hctx, int enc)
{
	const struct tls_keys_ref *r = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
	if (!r)
		return -1;
	const struct key_set *s = hl_rcu_deref(r->set);
	size_t half = r->size == KEY128 ? 16 : 32;
	const EVP_CIPHER *cipher = r->size == KEY128 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
	if (enc) {
		const unsigned char *k = slot(s, 0);
		memcpy(name, k, 16);
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(cipher)) != 1 ||
		    !EVP_EncryptInit_ex(ectx, cipher, NULL, k + 16, iv) ||
		    !hmac_init(hctx, k + 16 + half, half))
			return -1;
		return 1;
	}
	for (int i = 0; i < NKEYS; i++) {
		const unsigned char *k = slot(s, i);
		if (memcmp(name, k, 16))
			continue;
		if (!hmac_init(hctx, k + 16 + half, half) ||
		    !EVP_DecryptInit_ex(ectx, cipher, NULL, k + 16, iv))
			return -1;
		return i ? 2 : 1;
	}
	return 0;
}

int tls_tickets_setup(struct ssl_ctx_st *ctx, struct tls_keys_ref *r)
{
	if (!r)
		return 0;
	if (ex_index < 0)
		ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (ex_index < 0 || !SSL_CTX_set_ex_data(ctx, ex_index, r))
		return -1;
	return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) == 1 ? 0 : -1;
}

/* A reference by "#<id>" or by file name, as HAProxy looks them up. */
static struct tls_keys_ref *lookup(const char *ref)
{
	for (struct tls_keys_ref *r = refs; r; r = r->next) {
		if (ref[0] == '#') {
			char *end;
			long id = strtol(ref + 1, &end, 10);
			if (!*end && end != ref + 1 && id == r->id)
				return r;
		} else if (!strcmp(r->filename, ref)) {
			return r;
		}
	}
	return NULL;
}

/* Prints the keys of <r>: previous, current (encryption), next. */
static void show_keys(struct cli_conn *c, const struct tls_keys_ref *r)
{
	const struct key_set *s = hl_rcu_deref(r->set);
	cli_printf(c, "# %d (%s)\n", r->id, r->filename);
	for (int i = 0; i < NKEYS; i++) {
		char b64[4 * (KEY256 / 3 + 1) + 1];
		EVP_EncodeBlock((unsigned char *)b64, slot(s, i + NKEYS - 1), r->size);
		cli_printf(c, "%d.%d %s\n", r->id, i, b64);
	}
}

/* show tls-keys [<id>|*]: the files, or the keys of one or all. */
static void cli_show_tlskeys(struct cli_conn *c, char **args, int nargs)
{
	const struct tls_keys_ref *one = NULL;
	if (nargs > 2 && strcmp(args[2], "*")) {
		one = lookup(args[2]);
		if (!one) {
			cli_printf(c, "'show tls-keys' unable to locate referenced filename\n");
			return;
		}
	}
	cli_printf(c, nargs > 2 ? "# id secret\n" : "# id (file)\n");
	for (int id = 0; id < nrefs; id++)
		for (const struct tls_keys_ref *r = refs; r; r = r->next) {
			if (r->id != id || (one && r != one))
				continue;
			if (nargs > 2)
				show_keys(c, r);
			else
				cli_printf(c, "%d (%s)\n", r->id, r->filename);
		}
}

static void free_set(struct rcu_head *h)
{
	free(caa_container_of(h, struct key_set, rcu));
}

/* set ssl tls-key <id|file> <base64 key>: the key replaces the oldest one
 * and becomes the next; the former next one becomes the encryption key.
 */
static void cli_set_tlskey(struct cli_conn *c, char **args, int nargs)
{
	if (nargs < 5 || !*args[3] || !*args[4]) {
		cli_printf(c, "'set ssl tls-key' expects a filename and the new TLS key in base64 "
		              "encoding.\n");
		return;
	}
	struct tls_keys_ref *r = lookup(args[3]);
	if (!r) {
		cli_printf(c, "'set ssl tls-key' unable to locate referenced filename\n");
		return;
	}
	unsigned char k[KEY256 + 3];
	int n = tls_b64dec(args[4], strlen(args[4]), k, sizeof(k));
	if (n < 0 && strlen(args[4]) / 4 * 3 > sizeof(k))
		n = 0; /* valid or not, too long for a key */
	if (n < 0) {
		cli_printf(c, "'set ssl tls-key' received invalid base64 encoded TLS key.\n");
		return;
	}
	if (n != r->size) {
		cli_printf(c, "'set ssl tls-key' received a key of wrong size.\n");
		return;
	}
	static pthread_mutex_t writers =
	    PTHREAD_MUTEX_INITIALIZER; /* CLI sessions of two threads */
	pthread_mutex_lock(&writers);
	struct key_set *s = xmalloc(sizeof(*s));
	*s = *hl_rcu_deref(r->set);
	memcpy(s->keys[(s->enc + 2) % NKEYS], k, (size_t)n);
	s->enc = (s->enc + 1) % NKEYS;
	struct key_set *old = hl_rcu_xchg(r->set, s);
	pthread_mutex_unlock(&writers);
	call_rcu(&old->rcu, free_set);
	cli_printf(c, "TLS ticket key updated!\n");
}

static const struct cli_cmd tlskeys_cmds[] = {
    {{"show", "tls-keys"},
     "show tls-keys [id|*]",
     "show tls keys references or dump tls ticket keys when id specified",
     CLI_LEVEL_ADMIN,
     cli_show_tlskeys},
    {{"set", "ssl", "tls-key"},
     "set ssl tls-key [id|file] <key>",
     "set the next TLS key for the <id> or <file> listener to <key>",
     CLI_LEVEL_ADMIN,
     cli_set_tlskey},
};
CLI_REGISTER(tlskeys_cmds)
