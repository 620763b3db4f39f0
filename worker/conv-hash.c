/* Hash converters: crc32, djb2, sdbm, wt6 (the load-balancing hash
 * functions, with optional avalanche), xxh32, xxh64, xxh3, crc32c, sha1,
 * sha2.
 */
#include <openssl/evp.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"
#include "common/xxh3.h"
#include "worker/lb.h"

/* crc32([avalanche]), djb2, sdbm, wt6: an unsigned 32-bit hash. */
static int conv_hash32(const struct arg *args, struct sample *smp, const void *priv)
{
	uint32_t (*fn)(const void *, size_t) = (uint32_t(*)(const void *, size_t))priv;
	uint32_t h = fn(smp->u.str.ptr, smp->u.str.len);
	if (args[0].type == ARGT_SINT && args[0].data.sint)
		h = hash_avalanche(h);
	smp->type = SMP_T_SINT;
	smp->u.sint = h;
	return 1;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint32_t rotl32(uint32_t x, int r)
{
	return x << r | x >> (32 - r);
}

static uint64_t rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

/* XXH32 of <len> bytes at <p> with <seed>. */
static uint32_t xxh32(const unsigned char *p, size_t len, uint32_t seed)
{
	const uint32_t P1 = 2654435761u, P2 = 2246822519u, P3 = 3266489917u, P4 = 668265263u,
	               P5 = 374761393u;
	const unsigned char *end = p + len;
	uint32_t h;
	if (len >= 16) {
		uint32_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
		for (; end - p >= 16; p += 16)
			for (int i = 0; i < 4; i++)
				v[i] = rotl32(v[i] + rd32(p + 4 * i) * P2, 13) * P1;
		h = rotl32(v[0], 1) + rotl32(v[1], 7) + rotl32(v[2], 12) + rotl32(v[3], 18);
	} else {
		h = seed + P5;
	}
	h += (uint32_t)len;
	for (; end - p >= 4; p += 4)
		h = rotl32(h + rd32(p) * P3, 17) * P4;
	for (; p < end; p++)
		h = rotl32(h + *p * P5, 11) * P1;
	h ^= h >> 15;
	h *= P2;
	h ^= h >> 13;
	h *= P3;
	return h ^ (h >> 16);
}

static const uint64_t X1 = 11400714785074694791ull, X2 = 14029467366897019727ull,
                      X3 = 1609587929392839161ull, X4 = 9650029242287828579ull,
                      X5 = 2870177450012600261ull;

static uint64_t xround(uint64_t acc, uint64_t in)
{
	return rotl64(acc + in * X2, 31) * X1;
}

/* XXH64 of <len> bytes at <p> with <seed>. */
static uint64_t xxh64(const unsigned char *p, size_t len, uint64_t seed)
{
	const unsigned char *end = p + len;
	uint64_t h;
	if (len >= 32) {
		uint64_t v[4] = {seed + X1 + X2, seed + X2, seed, seed - X1};
		for (; end - p >= 32; p += 32)
			for (int i = 0; i < 4; i++)
				v[i] = xround(v[i], rd64(p + 8 * i));
		h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
		for (int i = 0; i < 4; i++)
			h = (h ^ xround(0, v[i])) * X1 + X4;
	} else {
		h = seed + X5;
	}
	h += (uint64_t)len;
	for (; end - p >= 8; p += 8)
		h = rotl64(h ^ xround(0, rd64(p)), 27) * X1 + X4;
	if (end - p >= 4) {
		h = rotl64(h ^ (uint64_t)rd32(p) * X1, 23) * X2 + X3;
		p += 4;
	}
	for (; p < end; p++)
		h = rotl64(h ^ *p * X5, 11) * X1;
	h ^= h >> 33;
	h *= X2;
	h ^= h >> 29;
	h *= X3;
	return h ^ (h >> 32);
}

/* CRC-32C (Castagnoli), bit by bit: short inputs only ever. */
static uint32_t crc32c(const unsigned char *p, size_t len)
{
	uint32_t c = ~0u;
	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0x82F63B78u & (0u - (c & 1)));
	}
	return ~c;
}

/* xxh32([seed]), xxh64([seed]), xxh3([seed]), crc32c([avalanche]) */
static int conv_xxh(const struct arg *args, struct sample *smp, const void *priv)
{
	const unsigned char *p = (const unsigned char *)smp->u.str.ptr;
	size_t len = smp->u.str.len;
	int64_t seed = args[0].type == ARGT_SINT ? args[0].data.sint : 0;
	switch (*(const char *)priv) {
	case '3':
		smp->u.sint = xxh32(p, len, (uint32_t)seed);
		break;
	case '6':
		smp->u.sint = (int64_t)xxh64(p, len, (uint64_t)seed);
		break;
	case 'h':
		smp->u.sint = (int64_t)xxh3_64(p, len, (uint64_t)seed);
		break;
	default: {
		uint32_t h = crc32c(p, len);
		smp->u.sint = seed ? hash_avalanche(h) : h;
	}
	}
	smp->type = SMP_T_SINT;
	return 1;
}

/* sha1, sha2([bits]): the binary digest. */
static int conv_sha(const struct arg *args, struct sample *smp, const void *priv)
{
	const EVP_MD *md = EVP_sha1();
	if (priv) {
		int64_t bits = args[0].type == ARGT_SINT ? args[0].data.sint : 256;
		md = bits == 224   ? EVP_sha224()
		     : bits == 384 ? EVP_sha384()
		     : bits == 512 ? EVP_sha512()
		                   : EVP_sha256();
	}
	unsigned char *out = smp_alloc(EVP_MAX_MD_SIZE);
	unsigned int len = 0;
	if (!out || !EVP_Digest(smp->u.str.ptr, smp->u.str.len, out, &len, md, NULL))
		return 0;
	smp->type = SMP_T_BIN;
	smp->flags &= ~SMP_F_CONST;
	smp->u.str = (struct smp_str){(char *)out, len};
	return 1;
}

static int val_sha2(struct arg *args, const struct smp_conv_kw *kw, char **err)
{
	int64_t b = args[0].type == ARGT_SINT ? args[0].data.sint : 256;
	if (b == 224 || b == 256 || b == 384 || b == 512)
		return 1;
	memprintf(err, "Unsupported number of bits: '%lld'.", (long long)b);
	return 0;
}

#define BIN SMP_T_BIN
#define AV ARGS(0, ARGT_SINT)
static const struct smp_conv_kw hash_convs[] = {
    {"crc32", conv_hash32, AV, NULL, BIN, SMP_T_SINT, (const void *)hash_crc32},
    {"djb2", conv_hash32, AV, NULL, BIN, SMP_T_SINT, (const void *)hash_djb2},
    {"sdbm", conv_hash32, AV, NULL, BIN, SMP_T_SINT, (const void *)hash_sdbm},
    {"wt6", conv_hash32, AV, NULL, BIN, SMP_T_SINT, (const void *)hash_wt6},
    {"sha1", conv_sha, ARGS0, NULL, BIN, BIN, NULL},
    {"xxh32", conv_xxh, AV, NULL, BIN, SMP_T_SINT, "3"},
    {"xxh64", conv_xxh, AV, NULL, BIN, SMP_T_SINT, "6"},
    {"xxh3", conv_xxh, AV, NULL, BIN, SMP_T_SINT, "h"},
    {"crc32c", conv_xxh, AV, NULL, BIN, SMP_T_SINT, "c"},
    {"sha2", conv_sha, ARGS(0, ARGT_SINT), val_sha2, BIN, BIN, (const void *)1},
};

SMP_REGISTER_CONVS(hash_convs)
