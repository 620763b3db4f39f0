/* More converters: hex2i, base64url, url_enc, be2dec, be2hex, add_item,
 * secure_memcmp, json, ltime, utime, http_date.
 */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/chars.h"
#include "common/mem.h"
#include "common/sample.h"
#include "common/vars.h"

/* hex2i: two hex digits per byte to an integer; 0 when invalid. */
static int conv_hex2i(const struct arg *args, struct sample *smp, const void *priv)
{
	int64_t v = 0;
	const char *s = smp->u.str.ptr;
	for (size_t i = 0; i < smp->u.str.len; i++) {
		int h = hex_digit(s[i]);
		if (h < 0) {
			v = 0;
			break;
		}
		v = (int64_t)((uint64_t)v << 4 | (uint64_t)h);
	}
	smp->type = SMP_T_SINT;
	smp->u.sint = v;
	return 1;
}

/* ub64enc, ub64dec: base64url, without padding. */
static int conv_ub64(const struct arg *args, struct sample *smp, const void *priv)
{
	size_t n = smp->u.str.len;
	if (!priv) {
		char *p = smp_alloc(4 * (n / 3 + 1) + 1);
		if (!p)
			return 0;
		int len = EVP_EncodeBlock((unsigned char *)p, (const unsigned char *)smp->u.str.ptr,
		                          (int)n);
		while (len > 0 && p[len - 1] == '=')
			len--;
		for (int i = 0; i < len; i++)
			p[i] = p[i] == '+' ? '-' : p[i] == '/' ? '_' : p[i];
		return smp_set_own_str(smp, p, (size_t)len, SMP_T_STR);
	}
	if (n % 4 == 1)
		return 0;
	size_t pad = (4 - n % 4) % 4;
	char *in = smp_alloc(n + pad + 1);
	unsigned char *out = smp_alloc((n + pad) / 4 * 3 + 1);
	if (!in || !out)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = smp->u.str.ptr[i];
		if (c == '+' || c == '/' || c == '=')
			return 0;
		in[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memset(in + n, '=', pad);
	int len = EVP_DecodeBlock(out, (unsigned char *)in, (int)(n + pad));
	if (len < 0)
		return 0;
	return smp_set_own_str(smp, (char *)out, (size_t)len - pad, SMP_T_BIN);
}

/* url_enc([query]): everything but unreserved characters as %XX. */
static int conv_url_enc(const struct arg *args, struct sample *smp, const void *priv)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = smp->u.str.len, o = 0;
	char *p = smp_alloc(3 * n + 1);
	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)smp->u.str.ptr[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			p[o++] = (char)c;
			continue;
		}
		p[o++] = '%';
		p[o++] = hex[c >> 4];
		p[o++] = hex[c & 15];
	}
	return smp_set_own_str(smp, p, o, SMP_T_STR);
}

static int val_url_enc(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (args[0].type == ARGT_STR && strcmp(args[0].data.str.ptr, "query")) {
		memprintf(err, "unexpected encode type. Allowed value is 'query'");
		return 0;
	}
	return 1;
}

/* be2dec(sep,chunk[,truncate]) and be2hex([sep[,chunk[,truncate]]]) */
static int conv_be2(const struct arg *args, struct sample *smp, const void *priv)
{
	int hex = priv != NULL;
	struct smp_str sep = args[0].type == ARGT_STR ? args[0].data.str : (struct smp_str){"", 0};
	int64_t chunk = args[1].type == ARGT_SINT ? args[1].data.sint : (hex ? 0 : 1);
	int trunc = args[2].type == ARGT_SINT && args[2].data.sint;
	size_t n = smp->u.str.len, room = n * (hex ? 2 : 20) + (n + 1) * sep.len + 1, o = 0;
	const unsigned char *in = (const unsigned char *)smp->u.str.ptr;
	char *p = smp_alloc(room);
	if (!p)
		return 0;
	if (chunk <= 0)
		chunk = (int64_t)n ? (int64_t)n : 1;
	if (trunc)
		n -= n % (size_t)chunk;
	for (size_t i = 0; i < n; i += (size_t)chunk) {
		size_t end = i + (size_t)chunk < n ? i + (size_t)chunk : n;
		if (i) {
			memcpy(p + o, sep.ptr, sep.len);
			o += sep.len;
		}
		if (hex) {
			for (size_t j = i; j < end; j++)
				o += (size_t)snprintf(p + o, room - o, "%02X", in[j]);
			continue;
		}
		uint64_t v = 0;
		for (size_t j = i; j < end; j++)
			v = v << 8 | in[j];
		o += (size_t)snprintf(p + o, room - o, "%llu", (unsigned long long)v);
	}
	return smp_set_own_str(smp, p, o, SMP_T_STR);
}

static int val_be2dec(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (args[1].data.sint <= 0 || args[1].data.sint > 8) {
		memprintf(err, "chunk size must be between 1 and 8 (sizeof(long long int))");
		return 0;
	}
	return 1;
}

/* Reads variable argument <a> as a string; 0 when not set. */
static int var_text(const struct arg *a, struct sample *smp, struct smp_str *out)
{
	struct sample v = {0};
	struct var_ref r = {(enum var_scope)a->data.var.scope, a->data.var.id};
	if (a->type != ARGT_VAR || !vars_get(&r, smp->ctx, &v) || !smp_cast(&v, SMP_T_STR))
		return 0;
	*out = v.u.str;
	return 1;
}

/* The second argument of add_item is a variable name (empty: none). */
static int val_add_item(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (args[1].type == ARGT_STR && args[1].data.str.len) {
		struct var_ref r;
		if (!vars_parse_name(args[1].data.str.ptr, args[1].data.str.len, 1, &r, err))
			return 0;
		args[1].type = ARGT_VAR;
		args[1].data.var.scope = (int)r.scope;
		args[1].data.var.id = r.id;
	} else if (args[2].type != ARGT_STR) {
		memprintf(err, "expects at least a variable or a suffix");
		return 0;
	}
	return 1;
}

/* add_item(delim[,var[,suffix]]) */
static int conv_add_item(const struct arg *args, struct sample *smp, const void *priv)
{
	struct smp_str v = {"", 0}, suf = {"", 0}, d = args[0].data.str;
	int has_var = var_text(&args[1], smp, &v);
	if (args[2].type == ARGT_STR)
		suf = args[2].data.str;
	int delim = smp->u.str.len && (has_var || suf.len);
	size_t len = smp->u.str.len + (delim ? d.len : 0) + v.len + suf.len;
	char *p = smp_alloc(len + 1);
	if (!p)
		return 0;
	size_t o = smp->u.str.len;
	memcpy(p, smp->u.str.ptr, o);
	if (delim) {
		memcpy(p + o, d.ptr, d.len);
		o += d.len;
	}
	memcpy(p + o, v.ptr, v.len);
	memcpy(p + o + v.len, suf.ptr, suf.len);
	return smp_set_own_str(smp, p, len, SMP_T_STR);
}

/* secure_memcmp(var): constant-time equality when the lengths match. */
static int conv_secure_memcmp(const struct arg *args, struct sample *smp, const void *priv)
{
	struct smp_str v;
	if (!var_text(&args[0], smp, &v))
		return 0;
	int eq = v.len == smp->u.str.len && !CRYPTO_memcmp(v.ptr, smp->u.str.ptr, v.len);
	smp->type = SMP_T_BOOL;
	smp->u.sint = eq;
	return 1;
}

/* json input decoders: "ascii" and the UTF-8 ones, whose suffixes are
 * 's' (drop what does not decode instead of failing) and 'p' (accept
 * overlong encodings).
 */
enum json_in { JSON_ASCII = 0, JSON_UTF8, JSON_UTF8S, JSON_UTF8P, JSON_UTF8PS };

#define UTF8_BADSEQ 1   /* not a UTF-8 sequence (or a truncated one) */
#define UTF8_INVRANGE 2 /* a surrogate or U+FFFE/U+FFFF */
#define UTF8_OVERLONG 4 /* encoded on more bytes than needed */

/* Decodes the UTF-8 character at <p> (<len> > 0 bytes) into *c as HAProxy
 * does; sets *used to the bytes it takes (those of a bad sequence up to
 * the first that does not belong to it) and returns the UTF8_* errors.
 */
static int utf8_decode(const unsigned char *p, size_t len, unsigned *c, size_t *used)
{
	size_t need;
	*used = 1;
	*c = p[0];
	if (p[0] < 0x80)
		return 0;
	if (p[0] < 0xc0 || p[0] >= 0xfe)
		return UTF8_BADSEQ;
	need = p[0] < 0xe0 ? 1 : p[0] < 0xf0 ? 2 : p[0] < 0xf8 ? 3 : p[0] < 0xfc ? 4 : 5;
	if (len < need + 1)
		return UTF8_BADSEQ;
	*c = p[0] & (0x3fu >> need);
	for (size_t i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return UTF8_BADSEQ; /* *used = i: the bytes seen so far */
		*c = (*c << 6) | (p[i] & 0x3f);
		*used = i + 1;
	}
	int code = 0;
	if ((*c <= 0x7f && *used > 1) || (*c >= 0x80 && *c <= 0x7ff && *used > 2) ||
	    (*c >= 0x800 && *c <= 0xffff && *used > 3) ||
	    (*c >= 0x10000 && *c <= 0x1fffff && *used > 4))
		code |= UTF8_OVERLONG;
	if ((*c >= 0xd800 && *c <= 0xdfff) || (*c >= 0xfffe && *c <= 0xffff))
		code |= UTF8_INVRANGE;
	return code;
}

/* Appends the JSON escape of character <c> at <p>; returns its length. */
static size_t json_escape(unsigned c, char *p)
{
	static const char named[] = {['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['\b'] = 'b',
	                             ['\f'] = 'f', ['\n'] = 'n',  ['\r'] = 'r', ['\t'] = 't'};
	if (c < sizeof(named) && named[c]) {
		p[0] = '\\';
		p[1] = named[c];
		return 2;
	}
	if (c < 0x20 || c >= 0x7f)
		return (size_t)snprintf(p, 7, "\\u%04x", c);
	p[0] = (char)c;
	return 1;
}

/* json([input-code]): a string safe between JSON quotes. The UTF-8 decoders
 * fail (or, with 's', drop the character) on bad sequences, surrogates,
 * overlong forms (unless 'p') and characters above U+FFFF, which a JSON
 * escape cannot hold.
 */
static int conv_json(const struct arg *args, struct sample *smp, const void *priv)
{
	enum json_in in = args[0].type == ARGT_SINT ? (enum json_in)args[0].data.sint : JSON_ASCII;
	int drop = in == JSON_UTF8S || in == JSON_UTF8PS;
	int fatal = UTF8_BADSEQ | UTF8_INVRANGE;
	if (in == JSON_UTF8 || in == JSON_UTF8S)
		fatal |= UTF8_OVERLONG;
	const unsigned char *s = (const unsigned char *)smp->u.str.ptr;
	size_t n = smp->u.str.len, o = 0, used;
	char *p = smp_alloc(6 * n + 1);
	if (!p)
		return 0;
	for (size_t i = 0; i < n; i += used) {
		unsigned c = s[i];
		used = 1;
		if (in != JSON_ASCII &&
		    ((utf8_decode(s + i, n - i, &c, &used) & fatal) || c > 0xffff)) {
			if (!drop)
				return 0;
			continue;
		}
		o += json_escape(c, p + o);
	}
	return smp_set_own_str(smp, p, o, SMP_T_STR);
}

/* Turns the input-code name into its json_in value (an integer argument). */
static int val_json(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	static const char *const names[] = {"ascii", "utf8", "utf8s", "utf8p", "utf8ps"};
	if (args[0].type != ARGT_STR)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(args[0].data.str.ptr, names[i])) {
			args[0].type = ARGT_SINT;
			args[0].data.sint = (int64_t)i;
			return 1;
		}
	memprintf(err, "Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', "
	               "'utf8p' and 'utf8ps'");
	return 0;
}

/* ltime(format[,offset]), utime(format[,offset]) */
static int conv_time(const struct arg *args, struct sample *smp, const void *priv)
{
	time_t t = (time_t)(smp->u.sint + (args[1].type == ARGT_SINT ? args[1].data.sint : 0));
	struct tm tm;
	if (!(priv ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)))
		return 0;
	char *p = smp_alloc(256);
	if (!p)
		return 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* the configured format */
	size_t n = strftime(p, 256, args[0].data.str.ptr, &tm);
#pragma GCC diagnostic pop
	return smp_set_own_str(smp, p, n, SMP_T_STR);
}

/* http_date([offset[,unit]]): the IMF-fixdate form of HTTP headers. */
static int conv_http_date(const struct arg *args, struct sample *smp, const void *priv)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t v = smp->u.sint + (args[0].type == ARGT_SINT ? args[0].data.sint : 0);
	const char *unit = args[1].type == ARGT_STR ? args[1].data.str.ptr : "s";
	int64_t div = !strcmp(unit, "ms") ? 1000 : !strcmp(unit, "us") ? 1000000 : 1;
	int64_t frac = v % div;
	if (frac < 0) /* before the epoch: the second before, plus a fraction */
		frac += div;
	time_t t = (time_t)((v - frac) / div);
	struct tm tm;
	char *p = smp_alloc(64);
	if (!p || !gmtime_r(&t, &tm))
		return 0;
	int n = snprintf(p, 64, "%s, %02d %s %04d %02d:%02d:%02d", days[tm.tm_wday], tm.tm_mday,
	                 mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	/* HAProxy 2.6 prints the fraction as a plain number, not zero-padded:
	 * 5 ms is ".5", 50 ms ".50"
	 */
	if (div > 1)
		n += snprintf(p + n, (size_t)(64 - n), ".%lld", (long long)frac);
	n += snprintf(p + n, (size_t)(64 - n), " GMT");
	return smp_set_own_str(smp, p, (size_t)n, SMP_T_STR);
}

static int val_http_date(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (args[1].type != ARGT_STR)
		return 1;
	const char *u = args[1].data.str.ptr;
	if (!strcmp(u, "s") || !strcmp(u, "ms") || !strcmp(u, "us"))
		return 1;
	memprintf(err, "expects 's', 'ms' or 'us', got '%s'", u);
	return 0;
}

/* hmac(algorithm,key) and digest(algorithm): the algorithm is checked at
 * parse time, the key is base64.
 */
static int val_digest(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (!EVP_get_digestbyname(args[0].data.str.ptr)) {
		memprintf(err, "unknown digest algorithm '%s'", args[0].data.str.ptr);
		return 0;
	}
	return 1;
}

static int conv_digest(const struct arg *args, struct sample *smp, const void *priv)
{
	const EVP_MD *md = EVP_get_digestbyname(args[0].data.str.ptr);
	unsigned char *out = smp_alloc(EVP_MAX_MD_SIZE);
	unsigned int len = 0;
	if (!md || !out)
		return 0;
	if (!priv) {
		if (!EVP_Digest(smp->u.str.ptr, smp->u.str.len, out, &len, md, NULL))
			return 0;
		return smp_set_own_str(smp, (char *)out, len, SMP_T_BIN);
	}
	struct smp_str k = args[1].data.str;
	unsigned char *key = smp_alloc(k.len / 4 * 3 + 4);
	if (!key || k.len % 4)
		return 0;
	int klen = EVP_DecodeBlock(key, (const unsigned char *)k.ptr, (int)k.len);
	for (size_t i = k.len; klen > 0 && i > 0 && k.ptr[i - 1] == '='; i--)
		klen--;
	if (klen < 0)
		return 0;
	size_t olen = EVP_MAX_MD_SIZE;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string("digest", (char *)args[0].data.str.ptr, 0),
	    OSSL_PARAM_construct_end()};
	int ok = c && EVP_MAC_init(c, key, (size_t)klen, params) &&
	         EVP_MAC_update(c, (const unsigned char *)smp->u.str.ptr, smp->u.str.len) &&
	         EVP_MAC_final(c, out, &olen, olen);
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
	return ok && smp_set_own_str(smp, (char *)out, olen, SMP_T_BIN);
}

#define STR SMP_T_STR
#define BIN SMP_T_BIN
static const struct smp_conv_kw more_convs[] = {
    {"hex2i", conv_hex2i, ARGS0, NULL, STR, SMP_T_SINT, NULL},
    {"ub64enc", conv_ub64, ARGS0, NULL, BIN, STR, NULL},
    {"ub64dec", conv_ub64, ARGS0, NULL, STR, BIN, (void *)1},
    {"url_enc", conv_url_enc, ARGS(0, ARGT_STR), val_url_enc, STR, STR, NULL},
    {"be2dec", conv_be2, ARGS(2, ARGT_STR, ARGT_SINT, ARGT_SINT), val_be2dec, BIN, STR, NULL},
    {"be2hex", conv_be2, ARGS(0, ARGT_STR, ARGT_SINT, ARGT_SINT), NULL, BIN, STR, (void *)1},
    {"add_item", conv_add_item, ARGS(1, ARGT_STR, ARGT_STR, ARGT_STR), val_add_item, STR, STR,
     NULL},
    {"secure_memcmp", conv_secure_memcmp, ARGS(1, ARGT_VAR), NULL, STR, SMP_T_BOOL, NULL},
    {"json", conv_json, ARGS(0, ARGT_STR), val_json, STR, STR, NULL},
    {"ltime", conv_time, ARGS(1, ARGT_STR, ARGT_SINT), NULL, SMP_T_SINT, STR, NULL},
    {"utime", conv_time, ARGS(1, ARGT_STR, ARGT_SINT), NULL, SMP_T_SINT, STR, (void *)1},
    {"http_date", conv_http_date, ARGS(0, ARGT_SINT, ARGT_STR), val_http_date, SMP_T_SINT, STR,
     NULL},
    {"digest", conv_digest, ARGS(1, ARGT_STR), val_digest, BIN, BIN, NULL},
    {"hmac", conv_digest, ARGS(2, ARGT_STR, ARGT_STR), val_digest, BIN, BIN, (void *)1},
};

SMP_REGISTER_CONVS(more_convs)
