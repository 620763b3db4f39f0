/* String converters: case, length, fields and words, regex substitution,
 * concatenation and comparison, hex/base64/URL encodings.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <openssl/evp.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "common/chars.h"
#include "common/mem.h"
#include "common/sample.h"
#include "common/vars.h"

/* lower, upper */
static int conv_case(const struct arg *args, struct sample *smp, const void *priv)
{
	if (!smp_make_rw(smp, smp->u.str.len))
		return 0;
	for (size_t i = 0; i < smp->u.str.len; i++)
		smp->u.str.ptr[i] = (char)(priv ? toupper((unsigned char)smp->u.str.ptr[i])
		                                : tolower((unsigned char)smp->u.str.ptr[i]));
	return 1;
}

static int conv_length(const struct arg *args, struct sample *smp, const void *priv)
{
	int64_t n = (int64_t)smp->u.str.len;
	smp->type = SMP_T_SINT;
	smp->u.sint = n;
	return 1;
}

/* bytes(offset[,length]) */
static int conv_bytes(const struct arg *args, struct sample *smp, const void *priv)
{
	int64_t off = args[0].data.sint, len = smp->u.str.len;
	if (off < 0 || off >= len) {
		smp->u.str.len = 0;
		return 1;
	}
	int64_t n = len - off;
	if (args[1].type == ARGT_SINT && args[1].data.sint < n)
		n = args[1].data.sint < 0 ? 0 : args[1].data.sint;
	smp->u.str.ptr += off;
	smp->u.str.len = (size_t)n;
	return 1;
}

static int val_bytes(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (args[0].data.sint < 0 || (args[1].type == ARGT_SINT && args[1].data.sint < 0)) {
		memprintf(err, "offset and length must be positive integers");
		return 0;
	}
	return 1;
}

struct span {
	size_t b, e;
};

/* Splits <s> on any byte of <delims>; <words> drops empty pieces. Returns
 * the number of pieces written to <out> (allocated in the arena).
 */
static int split(const struct smp_str *s, const struct smp_str *delims, int words,
                 struct span **out)
{
	struct span *sp = smp_alloc(sizeof(*sp) * (s->len + 1));
	int n = 0;
	size_t b = 0;
	if (!sp)
		return -1;
	for (size_t i = 0; i <= s->len; i++) {
		if (i < s->len && !memchr(delims->ptr, s->ptr[i], delims->len))
			continue;
		if (!words || i > b)
			sp[n++] = (struct span){b, i};
		b = i + 1;
	}
	*out = sp;
	return n;
}

/* field(index,delims[,count]) and word(...) */
static int conv_field(const struct arg *args, struct sample *smp, const void *priv)
{
	struct span *sp;
	int n = split(&smp->u.str, &args[1].data.str, priv != NULL, &sp);
	int64_t idx = args[0].data.sint, cnt = args[2].type == ARGT_SINT ? args[2].data.sint : 1;
	if (n < 0 || idx == 0)
		return 0;
	int64_t first, last;
	if (idx > 0) {
		first = idx - 1;
		last = cnt ? first + cnt - 1 : n - 1;
	} else {
		last = n + idx;
		first = cnt ? last - cnt + 1 : 0;
	}
	if (first < 0)
		first = 0;
	if (last >= n)
		last = n - 1;
	if (first >= n || last < 0 || first > last)
		return 0;
	size_t b = sp[first].b, e = sp[last].e;
	smp->u.str.ptr += b;
	smp->u.str.len = e - b;
	return 1;
}

static __thread pcre2_match_data *md;

/* Appends the substitution <subst> for a match (\0-\9 references) at out. */
static size_t expand_subst(const char *subst, size_t slen, const char *in, const PCRE2_SIZE *ov,
                           int nov, char *out, size_t room)
{
	size_t n = 0;
	for (size_t i = 0; i < slen && n < room; i++) {
		if (subst[i] == '\\' && i + 1 < slen && isdigit((unsigned char)subst[i + 1])) {
			int g = subst[++i] - '0';
			if (g < nov && ov[2 * g] != PCRE2_UNSET) {
				size_t l = ov[2 * g + 1] - ov[2 * g];
				if (l > room - n)
					l = room - n;
				memcpy(out + n, in + ov[2 * g], l);
				n += l;
			}
			continue;
		}
		out[n++] = subst[i];
	}
	return n;
}

/* regsub(regex,subst[,flags]): flags "i" (set at parse time) and "g". */
static int conv_regsub(const struct arg *args, struct sample *smp, const void *priv)
{
	if (!md && !(md = pcre2_match_data_create(10, NULL)))
		return 0;
	const char *in = smp->u.str.ptr;
	size_t len = smp->u.str.len, room = len * 2 + 4096, n = 0, pos = 0;
	int global = args[2].type == ARGT_STR && strchr(args[2].data.str.ptr, 'g');
	char *out = smp_alloc(room);
	if (!out)
		return 0;
	while (pos <= len) {
		int rc = pcre2_match(args[0].data.ptr, (PCRE2_SPTR)in, len, pos, 0, md, NULL);
		if (rc < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t pre = ov[0] - pos;
		if (pre > room - n)
			return 0;
		memcpy(out + n, in + pos, pre);
		n += pre;
		n += expand_subst(args[1].data.str.ptr, args[1].data.str.len, in, ov, rc, out + n,
		                  room - n);
		pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
		if (ov[1] == ov[0] && ov[0] < len && n < room)
			out[n++] = in[ov[0]]; /* an empty match: keep the byte */
		if (!global)
			break;
	}
	if (pos < len) {
		if (len - pos > room - n)
			return 0;
		memcpy(out + n, in + pos, len - pos);
		n += len - pos;
	}
	return smp_set_own_str(smp, out, n, SMP_T_STR);
}

/* The regex of regsub is compiled again here when flag "i" is given. */
static int val_regsub(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (args[2].type != ARGT_STR)
		return 1;
	for (const char *f = args[2].data.str.ptr; *f; f++)
		if (*f != 'i' && *f != 'g') {
			memprintf(err, "invalid regex flag '%c', only 'i' and 'g' are supported",
			          *f);
			return 0;
		}
	if (!strchr(args[2].data.str.ptr, 'i'))
		return 1;
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)args[0].raw, PCRE2_ZERO_TERMINATED,
	                               PCRE2_CASELESS, &code, &off, NULL);
	if (!re)
		return 0;
	pcre2_code_free(args[0].data.ptr);
	args[0].data.ptr = re;
	return 1;
}

/* Reads a string argument or a variable's value as a string. */
static int arg_text(const struct arg *a, struct sample *ctx_smp, struct smp_str *out)
{
	if (a->type != ARGT_VAR) {
		*out = a->type == ARGT_STR ? a->data.str : (struct smp_str){"", 0};
		return 1;
	}
	struct sample v = {0};
	struct var_ref r = {(enum var_scope)a->data.var.scope, a->data.var.id};
	if (!vars_get(&r, ctx_smp->ctx, &v) || !smp_cast(&v, SMP_T_STR))
		return 0;
	*out = v.u.str;
	return 1;
}

/* concat([start[,var[,end]]]) */
static int conv_concat(const struct arg *args, struct sample *smp, const void *priv)
{
	struct smp_str a = {"", 0}, v = {"", 0}, e = {"", 0};
	if (args[0].type == ARGT_STR)
		a = args[0].data.str;
	if (args[1].type == ARGT_VAR)
		arg_text(&args[1], smp, &v);
	if (args[2].type == ARGT_STR)
		e = args[2].data.str;
	size_t len = smp->u.str.len + a.len + v.len + e.len;
	char *p = smp_alloc(len + 1);
	if (!p)
		return 0;
	size_t n = smp->u.str.len;
	memcpy(p, smp->u.str.ptr, n);
	memcpy(p + n, a.ptr, a.len);
	memcpy(p + n + a.len, v.ptr, v.len);
	memcpy(p + n + a.len + v.len, e.ptr, e.len);
	return smp_set_own_str(smp, p, len, SMP_T_STR);
}

/* The variable argument of concat is a variable name (empty: none). */
static int val_concat(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (args[1].type != ARGT_STR || !args[1].data.str.len)
		return 1;
	struct var_ref r;
	if (!vars_parse_name(args[1].data.str.ptr, args[1].data.str.len, 1, &r, err))
		return 0;
	args[1].type = ARGT_VAR;
	args[1].data.var.scope = (int)r.scope;
	args[1].data.var.id = r.id;
	return 1;
}

/* strcmp(var): <0, 0 or >0 as strcmp() of the input and the variable. */
static int conv_strcmp(const struct arg *args, struct sample *smp, const void *priv)
{
	struct smp_str v;
	if (!arg_text(&args[0], smp, &v))
		return 0;
	size_t n = smp->u.str.len < v.len ? smp->u.str.len : v.len;
	int r = memcmp(smp->u.str.ptr, v.ptr, n);
	if (!r)
		r = smp->u.str.len < v.len ? -1 : smp->u.str.len > v.len;
	smp->type = SMP_T_SINT;
	smp->u.sint = r;
	return 1;
}

static int conv_hex(const struct arg *args, struct sample *smp, const void *priv)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t n = smp->u.str.len;
	char *p = smp_alloc(2 * n + 1);
	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)smp->u.str.ptr[i];
		p[2 * i] = digits[c >> 4];
		p[2 * i + 1] = digits[c & 15];
	}
	return smp_set_own_str(smp, p, 2 * n, SMP_T_STR);
}

static int conv_base64(const struct arg *args, struct sample *smp, const void *priv)
{
	size_t n = smp->u.str.len;
	char *p = smp_alloc(4 * (n / 3 + 1) + 1);
	if (!p)
		return 0;
	int len =
	    EVP_EncodeBlock((unsigned char *)p, (const unsigned char *)smp->u.str.ptr, (int)n);
	return smp_set_own_str(smp, p, (size_t)len, SMP_T_STR);
}

static int conv_b64dec(const struct arg *args, struct sample *smp, const void *priv)
{
	size_t n = smp->u.str.len;
	if (n % 4)
		return 0;
	unsigned char *p = smp_alloc(n / 4 * 3 + 1);
	if (!p)
		return 0;
	int len = EVP_DecodeBlock(p, (const unsigned char *)smp->u.str.ptr, (int)n);
	if (len < 0)
		return 0;
	for (size_t i = n; i > 0 && smp->u.str.ptr[i - 1] == '='; i--)
		len--;
	return smp_set_own_str(smp, (char *)p, (size_t)len, SMP_T_BIN);
}

/* url_dec([in_form]): %XX decoded; '+' becomes a space with in_form. */
static int conv_url_dec(const struct arg *args, struct sample *smp, const void *priv)
{
	int form = args[0].type == ARGT_SINT && args[0].data.sint;
	const char *s = smp->u.str.ptr;
	size_t n = smp->u.str.len, o = 0;
	char *p = smp_alloc(n + 1);
	if (!p)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				return 0;
			int h = hex_digit(s[i + 1]), l = hex_digit(s[i + 2]);
			if (h < 0 || l < 0)
				return 0;
			p[o++] = (char)(h << 4 | l);
			i += 2;
		} else {
			p[o++] = form && s[i] == '+' ? ' ' : s[i];
		}
	}
	return smp_set_own_str(smp, p, o, SMP_T_STR);
}

#define STR SMP_T_STR
static const struct smp_conv_kw str_convs[] = {
    {"lower", conv_case, ARGS0, NULL, STR, STR, NULL},
    {"upper", conv_case, ARGS0, NULL, STR, STR, (void *)1},
    {"length", conv_length, ARGS0, NULL, STR, SMP_T_SINT, NULL},
    {"bytes", conv_bytes, ARGS(1, ARGT_SINT, ARGT_SINT), val_bytes, SMP_T_BIN, SMP_T_BIN, NULL},
    {"field", conv_field, ARGS(2, ARGT_SINT, ARGT_STR, ARGT_SINT), NULL, STR, STR, NULL},
    {"word", conv_field, ARGS(2, ARGT_SINT, ARGT_STR, ARGT_SINT), NULL, STR, STR, (void *)1},
    {"regsub", conv_regsub, ARGS(2, ARGT_REG, ARGT_STR, ARGT_STR), val_regsub, STR, STR, NULL},
    {"concat", conv_concat, ARGS(0, ARGT_STR, ARGT_STR, ARGT_STR), val_concat, STR, STR, NULL},
    {"strcmp", conv_strcmp, ARGS(1, ARGT_VAR), NULL, STR, SMP_T_SINT, NULL},
    {"hex", conv_hex, ARGS0, NULL, SMP_T_BIN, STR, NULL},
    {"base64", conv_base64, ARGS0, NULL, SMP_T_BIN, STR, NULL},
    {"b64dec", conv_b64dec, ARGS0, NULL, STR, SMP_T_BIN, NULL},
    {"url_dec", conv_url_dec, ARGS(0, ARGT_SINT), NULL, STR, STR, NULL},
};

SMP_REGISTER_CONVS(str_convs)
