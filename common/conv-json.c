/* json_query(path[,int]): a value of a JSON document, found by a simple
 * JSON path ("$.a.b", "$.list[2]", "$['key']"). Strings come out
 * unescaped, numbers as their text (or as an integer with "int"), true
 * and false as booleans; null, objects and arrays give nothing. The
 * scanner is iterative and never reads past the input.
 */
#include <stdlib.h>
#include <string.h>

#include "common/chars.h"
#include "common/mem.h"
#include "common/sample.h"

struct jcur {
	const char *p, *end;
};

static void skip_ws(struct jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* Skips a string starting at its opening quote; 0 when unterminated. */
static int skip_string(struct jcur *c)
{
	for (c->p++; c->p < c->end; c->p++) {
		if (*c->p == '\\')
			c->p++;
		else if (*c->p == '"') {
			c->p++;
			return 1;
		}
	}
	return 0;
}

/* Skips one value of any kind (nesting counted, strings skipped). */
static int skip_value(struct jcur *c)
{
	int depth = 0;
	skip_ws(c);
	do {
		if (c->p >= c->end)
			return 0;
		char ch = *c->p;
		if (ch == '"') {
			if (!skip_string(c))
				return 0;
		} else if (ch == '{' || ch == '[') {
			depth++;
			c->p++;
		} else if (ch == '}' || ch == ']') {
			if (--depth < 0)
				return 0;
			c->p++;
		} else if (depth && (ch == ',' || ch == ':' || ch == ' ' || ch == '\n' ||
		                     ch == '\t' || ch == '\r')) {
			c->p++;
		} else {
			while (c->p < c->end && !strchr(",]} \t\r\n", *c->p))
				c->p++;
		}
	} while (depth > 0);
	return 1;
}

/* Moves <c> (at an object) to the value of member <name>. */
static int enter_member(struct jcur *c, const char *name, size_t nlen)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != '{')
		return 0;
	c->p++;
	for (;;) {
		skip_ws(c);
		if (c->p >= c->end || *c->p != '"')
			return 0;
		const char *k = c->p + 1;
		if (!skip_string(c))
			return 0;
		size_t klen = (size_t)(c->p - 1 - k);
		skip_ws(c);
		if (c->p >= c->end || *c->p != ':')
			return 0;
		c->p++;
		skip_ws(c);
		if (klen == nlen && !memcmp(k, name, nlen))
			return 1;
		if (!skip_value(c))
			return 0;
		skip_ws(c);
		if (c->p >= c->end || *c->p != ',')
			return 0;
		c->p++;
	}
}

/* Moves <c> (at an array) to element <idx>. */
static int enter_index(struct jcur *c, long idx)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != '[')
		return 0;
	c->p++;
	for (long i = 0; i < idx; i++) {
		if (!skip_value(c))
			return 0;
		skip_ws(c);
		if (c->p >= c->end || *c->p != ',')
			return 0;
		c->p++;
	}
	skip_ws(c);
	return c->p < c->end && *c->p != ']';
}

/* Follows path <path> from the document's root. */
static int follow(struct jcur *c, const char *path)
{
	const char *p = path + 1; /* after '$' */
	while (*p) {
		if (*p == '.') {
			size_t n = strcspn(++p, ".[");
			if (!n || !enter_member(c, p, n))
				return 0;
			p += n;
		} else if (p[0] == '[' && (p[1] == '\'' || p[1] == '"')) {
			const char *e = strchr(p + 2, p[1]);
			if (!e || e[1] != ']' || !enter_member(c, p + 2, (size_t)(e - p - 2)))
				return 0;
			p = e + 2;
		} else if (*p == '[') {
			char *e;
			long idx = strtol(p + 1, &e, 10);
			if (*e != ']' || idx < 0 || !enter_index(c, idx))
				return 0;
			p = e + 1;
		} else {
			return 0;
		}
	}
	return 1;
}

/* Appends the UTF-8 form of code point <u> at <o>. */
static size_t put_utf8(char *o, unsigned u)
{
	if (u < 0x80) {
		o[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	o[0] = (char)(0xe0 | u >> 12);
	o[1] = (char)(0x80 | ((u >> 6) & 0x3f));
	o[2] = (char)(0x80 | (u & 0x3f));
	return 3;
}

/* Unescapes the string value at <c> into the arena. */
static int unescape(struct jcur *c, struct sample *smp)
{
	const char *s = c->p + 1;
	if (!skip_string(c))
		return 0;
	const char *e = c->p - 1;
	char *out = smp_alloc((size_t)(e - s) * 3 + 1);
	size_t o = 0;
	if (!out)
		return 0;
	for (const char *p = s; p < e; p++) {
		if (*p != '\\') {
			out[o++] = *p;
			continue;
		}
		char x = *++p;
		if (x == 'u' && e - p > 4) {
			unsigned u = 0;
			for (int i = 1; i <= 4; i++)
				u = u << 4 | (unsigned)(hex_digit(p[i]) < 0 ? 0 : hex_digit(p[i]));
			o += put_utf8(out + o, u);
			p += 4;
			continue;
		}
		out[o++] = x == 'n'   ? '\n'
		           : x == 't' ? '\t'
		           : x == 'r' ? '\r'
		           : x == 'b' ? '\b'
		           : x == 'f' ? '\f'
		                      : x;
	}
	smp->type = SMP_T_STR;
	smp->flags &= ~SMP_F_CONST;
	smp->u.str = (struct smp_str){out, o};
	return 1;
}

static int conv_json_query(const struct arg *args, struct sample *smp, const void *priv)
{
	struct jcur c = {smp->u.str.ptr, smp->u.str.ptr + smp->u.str.len};
	int as_int = args[1].type == ARGT_STR;
	if (!follow(&c, args[0].data.str.ptr))
		return 0;
	skip_ws(&c);
	if (c.p >= c.end || *c.p == '{' || *c.p == '[' || *c.p == 'n')
		return 0;
	if (*c.p == '"')
		return unescape(&c, smp);
	if (*c.p == 't' || *c.p == 'f') {
		smp->type = SMP_T_BOOL;
		smp->u.sint = *c.p == 't';
		return 1;
	}
	const char *n = c.p;
	while (c.p < c.end && !strchr(",]} \t\r\n", *c.p))
		c.p++;
	smp->u.str = (struct smp_str){(char *)n, (size_t)(c.p - n)};
	smp->type = SMP_T_STR;
	smp->flags |= SMP_F_CONST;
	return as_int ? smp_cast(smp, SMP_T_SINT) : 1;
}

static int val_json_query(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	if (args[0].data.str.ptr[0] != '$') {
		memprintf(err, "a JSON path starts with '$'");
		return 0;
	}
	if (args[1].type == ARGT_STR && strcmp(args[1].data.str.ptr, "int")) {
		memprintf(err, "output_type only supports \"int\" as argument");
		return 0;
	}
	return 1;
}

static const struct smp_conv_kw json_convs[] = {
    {"json_query", conv_json_query, ARGS(1, ARGT_STR, ARGT_STR), val_json_query, SMP_T_STR,
     SMP_T_ANY, NULL},
};

SMP_REGISTER_CONVS(json_convs)
