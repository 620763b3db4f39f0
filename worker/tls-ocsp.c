/* OCSP stapling: the responses read from "<crt>.ocsp" files, one entry per
 * certificate ID (leaf + issuer), stapled when a client asks for the status
 * of the certificate; "set ssl ocsp-response" replaces one at run time and
 * "show ssl ocsp-response" lists or prints them.
 *
 * The entries are made at configuration time, before the worker threads
 * start, and never go away. The response of an entry is an immutable block
 * published as an RCU pointer: the handshake callback reads it without a
 * lock, the CLI swaps it and frees the old block after a grace period.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "cli/cli.h"
#include "common/mem.h"
#include "common/msg.h"
#include "common/rcu.h"
#include "worker/tls-ocsp.h"
#include "worker/tls.h"

#define KEY_MAX 128   /* longest certificate ID kept, as HAProxy */
#define TIME_SKEW 300 /* seconds of clock difference tolerated */

struct ocsp_resp {
	struct rcu_head rcu;
	time_t expire; /* next update minus the skew */
	size_t len;
	unsigned char der[];
};

struct ocsp_entry {
	unsigned char key[KEY_MAX]; /* DER of the certificate ID, zero padded */
	int keylen;
	struct ocsp_resp *resp; /* RCU, NULL: nothing to staple */
};

static struct ocsp_entry **entries; /* sorted by key */
static int nentries;

int tls_b64dec(const char *in, size_t len, unsigned char *out, size_t outsz)
{
	if (len % 4 || len / 4 * 3 > outsz || len > 0x7fffffff)
		return -1;
	int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	for (size_t i = len; i > 0 && in[i - 1] == '=' && n > 0; i--)
		n--; /* EVP_DecodeBlock counts the padding as data */
	return n;
}

/* The entry of certificate ID <key>, or NULL. */
static struct ocsp_entry *find_entry(const unsigned char key[KEY_MAX])
{
	for (int i = 0; i < nentries; i++)
		if (!memcmp(entries[i]->key, key, KEY_MAX))
			return entries[i];
	return NULL;
}

/* Encodes <id> into the zero-padded <key>; its length, or 0 if too long. */
static int id_key(OCSP_CERTID *id, unsigned char key[KEY_MAX])
{
	memset(key, 0, KEY_MAX);
	int n = i2d_OCSP_CERTID(id, NULL);
	if (n <= 0 || n > KEY_MAX)
		return 0;
	unsigned char *p = key;
	return i2d_OCSP_CERTID(id, &p);
}

static struct ocsp_entry *add_entry(const unsigned char key[KEY_MAX], int keylen)
{
	struct ocsp_entry *e = find_entry(key);
	if (e)
		return e;
	e = xcalloc(1, sizeof(*e));
	memcpy(e->key, key, KEY_MAX);
	e->keylen = keylen;
	int at = 0;
	while (at < nentries && memcmp(entries[at]->key, key, KEY_MAX) < 0)
		at++;
	entries = xrealloc(entries, (size_t)(nentries + 1) * sizeof(*entries));
	memmove(entries + at + 1, entries + at, (size_t)(nentries - at) * sizeof(*entries));
	entries[at] = e;
	nentries++;
	return e;
}

/* Checks OCSP response <der> as HAProxy does: successful, one single
 * response, status good or revoked, a next update not in the past, and
 * the certificate ID <cid> when given. Sets *<key> to the ID it answers
 * for and *<expire>. Returns 0, or -1 with *<err> set.
 */
static int check_response(const unsigned char *der, size_t len, OCSP_CERTID *cid,
                          unsigned char key[KEY_MAX], time_t *expire, char **err)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd = NULL;
	struct tm tm;
	int reason, ret = -1;
	if (!resp) {
		memprintf(err, "Unable to parse OCSP response");
		goto out;
	}
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		memprintf(err, "OCSP response status not successful");
		goto out;
	}
	bs = OCSP_response_get1_basic(resp);
	if (!bs) {
		memprintf(err, "Failed to get basic response from OCSP Response");
		goto out;
	}
	int count = OCSP_resp_count(bs);
	if (count > 1) {
		memprintf(err,
		          "OCSP response ignored because contains multiple single responses (%d)",
		          count);
		goto out;
	}
	OCSP_SINGLERESP *sr = OCSP_resp_get0(bs, 0);
	if (!sr) {
		memprintf(err, "Failed to get OCSP single response");
		goto out;
	}
	int st = OCSP_single_get0_status(sr, &reason, &rev, &thisupd, &nextupd);
	if (st != V_OCSP_CERTSTATUS_GOOD && st != V_OCSP_CERTSTATUS_REVOKED) {
		memprintf(err, "OCSP single response: certificate status is unknown");
		goto out;
	}
	if (!nextupd) {
		memprintf(err, "OCSP single response: missing nextupdate");
		goto out;
	}
	if (!OCSP_check_validity(thisupd, nextupd, TIME_SKEW, -1)) {
		memprintf(err, "OCSP single response: no longer valid.");
		goto out;
	}
	OCSP_CERTID *id = (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(sr);
	if (cid && OCSP_id_cmp(id, cid)) {
		memprintf(err, "OCSP single response: Certificate ID does not match certificate "
		               "and issuer");
		goto out;
	}
	if (!id_key(id, key)) {
		memprintf(err, "OCSP single response: Certificate ID too long");
		goto out;
	}
	if (!ASN1_TIME_to_tm(nextupd, &tm)) {
		memprintf(err, "OCSP single response: Invalid \"Next Update\" time");
		goto out;
	}
	*expire = timegm(&tm) - TIME_SKEW;
	ret = 0;
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return ret;
}

static void free_resp(struct rcu_head *h)
{
	free(caa_container_of(h, struct ocsp_resp, rcu));
}

/* Publishes a copy of <der> as the response of <e>. */
static void publish(struct ocsp_entry *e, const unsigned char *der, size_t len, time_t expire)
{
	struct ocsp_resp *r = xmalloc(sizeof(*r) + len);
	r->expire = expire;
	r->len = len;
	memcpy(r->der, der, len);
	struct ocsp_resp *old = hl_rcu_xchg(e->resp, r);
	if (old)
		call_rcu(&old->rcu, free_resp);
}

/* Status request of a client: staples the response of the context's
 * certificate while it is valid; otherwise the handshake goes on without.
 */
static int status_cb(SSL *ssl, void *arg)
{
	struct ocsp_entry *e = arg;
	const struct ocsp_resp *r = hl_rcu_deref(e->resp);
	if (!r || r->expire < time(NULL))
		return SSL_TLSEXT_ERR_NOACK;
	unsigned char *copy = OPENSSL_malloc(r->len);
	if (!copy)
		return SSL_TLSEXT_ERR_NOACK;
	memcpy(copy, r->der, r->len);
	if (!SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)r->len)) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK;
}

int tls_ocsp_setup(struct ssl_ctx_st *ctx, const struct tls_cert *crt, char **err)
{
	if (!crt->ocsp)
		return 0;
	/* without an issuer (bind lines only: on server lines the file is unused) */
	OCSP_CERTID *cid =
	    crt->ocsp_issuer ? OCSP_cert_to_id(NULL, crt->x509, crt->ocsp_issuer) : NULL;
	unsigned char key[KEY_MAX];
	int klen = cid ? id_key(cid, key) : 0;
	if (!klen) {
		OCSP_CERTID_free(cid);
		ERR_clear_error();
		memprintf(err,
		          "'%s.ocsp' is present and activates OCSP but it is impossible to "
		          "compute the OCSP certificate ID (maybe the issuer could not be found)'",
		          crt->path);
		return -1;
	}
	struct ocsp_entry *e = add_entry(key, klen);
	SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
	SSL_CTX_set_tlsext_status_arg(ctx, e);
	char *why = NULL;
	time_t expire = 0;
	unsigned char rkey[KEY_MAX];
	if (check_response(crt->ocsp, crt->ocsp_len, cid, rkey, &expire, &why) == 0)
		publish(e, crt->ocsp, crt->ocsp_len, expire);
	else
		ha_warning("config : Loading: %s. Content will be ignored.\n", why);
	free(why);
	OCSP_CERTID_free(cid);
	return 0;
}

/* Removes line feeds and carriage returns of <s> in place; its length. */
static size_t strip_newlines(char *s)
{
	size_t j = 0;
	for (size_t i = 0; s[i]; i++)
		if (s[i] != '\r' && s[i] != '\n')
			s[j++] = s[i];
	s[j] = 0;
	return j;
}

/* set ssl ocsp-response <base64> (or the payload after "<<"). */
static void cli_set_ocsp(struct cli_conn *c, char **args, int nargs)
{
	const char *src = cli_payload(c);
	if (!src)
		src = nargs > 3 ? args[3] : "";
	if (!*src) {
		cli_printf(c, "'set ssl ocsp-response' expects response in base64 encoding.\n");
		return;
	}
	char *text = xstrdup(src);
	size_t len = strip_newlines(text);
	unsigned char *der = xmalloc(len / 4 * 3 + 3);
	int n = tls_b64dec(text, len, der, len / 4 * 3 + 3);
	free(text);
	char *err = NULL;
	unsigned char key[KEY_MAX];
	time_t expire = 0;
	struct ocsp_entry *e = NULL;
	if (n < 0)
		cli_printf(c,
		           "'set ssl ocsp-response' received invalid base64 encoded response.\n");
	else if (check_response(der, (size_t)n, NULL, key, &expire, &err) < 0)
		cli_printf(c, "%s.\n", err);
	else if (!(e = find_entry(key)))
		cli_printf(c, "OCSP single response: Certificate ID does not match any certificate "
		              "or issuer.\n");
	else {
		publish(e, der, (size_t)n, expire);
		cli_printf(c, "OCSP Response updated!\n");
	}
	free(err);
	free(der);
}

/* Appends to <c> what BIO <b> holds, without its trailing line feeds. */
static void put_bio(struct cli_conn *c, BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	while (n > 0 && p[n - 1] == '\n')
		n--;
	cli_put(c, p, (size_t)n);
}

/* The IDs of the entries, as HAProxy prints them. */
static void show_ids(struct cli_conn *c)
{
	cli_printf(c, "# Certificate IDs\n");
	for (int i = 0; i < nentries; i++) {
		const struct ocsp_entry *e = entries[i];
		cli_printf(c, "Certificate ID key : ");
		for (int k = 0; k < e->keylen; k++)
			cli_printf(c, "%02x", e->key[k]);
		cli_printf(c, "\n");
		const unsigned char *p = e->key;
		OCSP_CERTID *id = d2i_OCSP_CERTID(NULL, &p, e->keylen);
		if (!id)
			continue;
		ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
		ASN1_INTEGER *serial = NULL;
		OCSP_id_get0_info(&nh, NULL, &kh, &serial, id);
		BIO *b = BIO_new(BIO_s_mem());
		if (!b) {
			OCSP_CERTID_free(id);
			continue;
		}
		BIO_printf(b, " Certificate ID:\n   Issuer Name Hash: ");
		i2a_ASN1_STRING(b, nh, 0);
		BIO_printf(b, "\n   Issuer Key Hash: ");
		i2a_ASN1_STRING(b, kh, 0);
		BIO_printf(b, "\n   Serial Number: ");
		i2a_ASN1_INTEGER(b, serial);
		put_bio(c, b);
		cli_printf(c, "\n");
		BIO_free(b);
		OCSP_CERTID_free(id);
	}
}

/* Parses the hexadecimal ID <hex> into <key>; 0 if it is not one. */
static int parse_hex_key(const char *hex, unsigned char key[KEY_MAX])
{
	size_t len = strlen(hex);
	memset(key, 0, KEY_MAX);
	if (!len || len % 2 || len / 2 > KEY_MAX)
		return 0;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v = 0;
		for (int d = 0; d < 2; d++) {
			char ch = hex[2 * i + (size_t)d];
			int x = ch >= '0' && ch <= '9'   ? ch - '0'
			        : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
			                                 : -1;
			if (x < 0)
				return 0;
			v = v * 16 + (unsigned)x;
		}
		key[i] = (unsigned char)v;
	}
	return 1;
}

/* show ssl ocsp-response [<id>]: the IDs, or the response of one. */
static void cli_show_ocsp(struct cli_conn *c, char **args, int nargs)
{
	if (nargs < 4) {
		show_ids(c);
		return;
	}
	unsigned char key[KEY_MAX];
	const struct ocsp_entry *e = parse_hex_key(args[3], key) ? find_entry(key) : NULL;
	if (!e) {
		cli_printf(c, "Certificate ID does not match any certificate.\n");
		return;
	}
	const struct ocsp_resp *r = hl_rcu_deref(e->resp);
	if (!r)
		return;
	const unsigned char *p = r->der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)r->len);
	BIO *b = BIO_new(BIO_s_mem());
	if (resp && b && OCSP_RESPONSE_print(b, resp, 0)) {
		char *text = NULL;
		long n = BIO_get_mem_data(b, &text);
		/* an empty line would end the answer: it gets a space, as in HAProxy */
		for (long i = 0, from = 0; i < n; i++)
			if (text[i] == '\n' && i + 1 < n && text[i + 1] == '\n') {
				cli_put(c, text + from, (size_t)(i + 1 - from));
				cli_put(c, " ", 1);
				from = i + 1;
			} else if (i == n - 1) {
				cli_put(c, text + from, (size_t)(n - from));
			}
	}
	BIO_free(b);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
}

static const struct cli_cmd ocsp_cmds[] = {
    {{"set", "ssl", "ocsp-response"},
     "set ssl ocsp-response <resp|payload>",
     "update a certificate's OCSP Response from a base64-encode DER",
     CLI_LEVEL_ADMIN,
     cli_set_ocsp},
    {{"show", "ssl", "ocsp-response"},
     "show ssl ocsp-response [id]",
     "display the IDs of the OCSP responses used in memory, or the details of a single OCSP "
     "response",
     CLI_LEVEL_USER,
     cli_show_ocsp},
};
CLI_REGISTER(ocsp_cmds)
