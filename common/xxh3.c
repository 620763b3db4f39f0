/* XXH3 64-bit (see common/xxh3.h). Each input length class has its own
 * code path, as in the specification: 0, 1-3, 4-8, 9-16, 17-128, 129-240
 * bytes, and the striped long hash beyond 240 bytes.
 */
#include "common/xxh3.h"

#define P32_1 0x9E3779B1u
#define P32_2 0x85EBCA77u
#define P32_3 0xC2B2AE3Du
#define P64_1 0x9E3779B185EBCA87ull
#define P64_2 0xC2B2AE3D27D4EB4Full
#define P64_3 0x165667B19E3779F9ull
#define P64_4 0x85EBCA77C2B2AE63ull
#define P64_5 0x27D4EB2F165667C5ull
#define PMX_1 0x165667919E3779F9ull
#define PMX_2 0x9FB21C651E98DF25ull

#define SECRET_SIZE 192
#define STRIPE_LEN 64
#define SECRET_CONSUME 8
#define ACC_NB 8

/* The default secret of the specification. */
static const unsigned char k_secret[SECRET_SIZE] = {
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
    0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
    0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
    0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
    0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
};

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t rotl64(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static uint64_t swap64(uint64_t x)
{
	return __builtin_bswap64(x);
}

/* Low 64 bits xor high 64 bits of the 128-bit product a * b. */
static uint64_t mul128_fold64(uint64_t a, uint64_t b)
{
	unsigned __int128 m = (unsigned __int128)a * b;
	return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static uint64_t xxh64_avalanche(uint64_t h)
{
	h ^= h >> 33;
	h *= P64_2;
	h ^= h >> 29;
	h *= P64_3;
	return h ^ (h >> 32);
}

static uint64_t xxh3_avalanche(uint64_t h)
{
	h ^= h >> 37;
	h *= PMX_1;
	return h ^ (h >> 32);
}

static uint64_t rrmxmx(uint64_t h, uint64_t len)
{
	h ^= rotl64(h, 49) ^ rotl64(h, 24);
	h *= PMX_2;
	h ^= (h >> 35) + len;
	h *= PMX_2;
	return h ^ (h >> 28);
}

static uint64_t len_1to3(const unsigned char *p, size_t len, const unsigned char *sec,
                         uint64_t seed)
{
	uint32_t c1 = p[0], c2 = p[len >> 1], c3 = p[len - 1];
	uint32_t combined = c1 << 16 | c2 << 24 | c3 | (uint32_t)len << 8;
	uint64_t bitflip = (uint64_t)(rd32(sec) ^ rd32(sec + 4)) + seed;
	return xxh64_avalanche((uint64_t)combined ^ bitflip);
}

static uint64_t len_4to8(const unsigned char *p, size_t len, const unsigned char *sec,
                         uint64_t seed)
{
	seed ^= (uint64_t)__builtin_bswap32((uint32_t)seed) << 32;
	uint64_t in1 = rd32(p), in2 = rd32(p + len - 4);
	uint64_t bitflip = (rd64(sec + 8) ^ rd64(sec + 16)) - seed;
	return rrmxmx((in2 + (in1 << 32)) ^ bitflip, len);
}

static uint64_t len_9to16(const unsigned char *p, size_t len, const unsigned char *sec,
                          uint64_t seed)
{
	uint64_t bitflip1 = (rd64(sec + 24) ^ rd64(sec + 32)) + seed;
	uint64_t bitflip2 = (rd64(sec + 40) ^ rd64(sec + 48)) - seed;
	uint64_t lo = rd64(p) ^ bitflip1, hi = rd64(p + len - 8) ^ bitflip2;
	uint64_t acc = len + swap64(lo) + hi + mul128_fold64(lo, hi);
	return xxh3_avalanche(acc);
}

static uint64_t mix16(const unsigned char *p, const unsigned char *sec, uint64_t seed)
{
	return mul128_fold64(rd64(p) ^ (rd64(sec) + seed), rd64(p + 8) ^ (rd64(sec + 8) - seed));
}

static uint64_t len_17to128(const unsigned char *p, size_t len, const unsigned char *sec,
                            uint64_t seed)
{
	uint64_t acc = len * P64_1;
	if (len > 32) {
		if (len > 64) {
			if (len > 96) {
				acc += mix16(p + 48, sec + 96, seed);
				acc += mix16(p + len - 64, sec + 112, seed);
			}
			acc += mix16(p + 32, sec + 64, seed);
			acc += mix16(p + len - 48, sec + 80, seed);
		}
		acc += mix16(p + 16, sec + 32, seed);
		acc += mix16(p + len - 32, sec + 48, seed);
	}
	acc += mix16(p, sec, seed);
	acc += mix16(p + len - 16, sec + 16, seed);
	return xxh3_avalanche(acc);
}

static uint64_t len_129to240(const unsigned char *p, size_t len, const unsigned char *sec,
                             uint64_t seed)
{
	uint64_t acc = len * P64_1;
	size_t rounds = len / 16;
	for (size_t i = 0; i < 8; i++)
		acc += mix16(p + 16 * i, sec + 16 * i, seed);
	acc = xxh3_avalanche(acc);
	for (size_t i = 8; i < rounds; i++)
		acc += mix16(p + 16 * i, sec + 16 * (i - 8) + 3, seed);
	acc += mix16(p + len - 16, sec + 136 - 17, seed);
	return xxh3_avalanche(acc);
}

static void accumulate_512(uint64_t *acc, const unsigned char *p, const unsigned char *sec)
{
	for (int i = 0; i < ACC_NB; i++) {
		uint64_t v = rd64(p + 8 * i), k = v ^ rd64(sec + 8 * i);
		acc[i ^ 1] += v;
		acc[i] += (k & 0xFFFFFFFFu) * (k >> 32);
	}
}

static void scramble(uint64_t *acc, const unsigned char *sec)
{
	for (int i = 0; i < ACC_NB; i++) {
		uint64_t a = acc[i];
		a ^= a >> 47;
		a ^= rd64(sec + 8 * i);
		acc[i] = a * P32_1;
	}
}

/* The long hash (more than 240 bytes) with secret <sec>. */
static uint64_t hash_long(const unsigned char *p, size_t len, const unsigned char *sec)
{
	uint64_t acc[ACC_NB] = {P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1};
	const size_t stripes_per_block = (SECRET_SIZE - STRIPE_LEN) / SECRET_CONSUME;
	const size_t block_len = STRIPE_LEN * stripes_per_block;
	size_t blocks = (len - 1) / block_len;
	for (size_t n = 0; n < blocks; n++) {
		for (size_t s = 0; s < stripes_per_block; s++)
			accumulate_512(acc, p + n * block_len + s * STRIPE_LEN,
			               sec + s * SECRET_CONSUME);
		scramble(acc, sec + SECRET_SIZE - STRIPE_LEN);
	}
	size_t stripes = ((len - 1) - block_len * blocks) / STRIPE_LEN;
	for (size_t s = 0; s < stripes; s++)
		accumulate_512(acc, p + blocks * block_len + s * STRIPE_LEN,
		               sec + s * SECRET_CONSUME);
	accumulate_512(acc, p + len - STRIPE_LEN, sec + SECRET_SIZE - STRIPE_LEN - 7);
	uint64_t r = len * P64_1;
	for (int i = 0; i < 4; i++)
		r += mul128_fold64(acc[2 * i] ^ rd64(sec + 11 + 16 * i),
		                   acc[2 * i + 1] ^ rd64(sec + 11 + 16 * i + 8));
	return xxh3_avalanche(r);
}

uint64_t xxh3_64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data, *sec = k_secret;
	if (len == 0)
		return xxh64_avalanche(seed ^ (rd64(sec + 56) ^ rd64(sec + 64)));
	if (len <= 3)
		return len_1to3(p, len, sec, seed);
	if (len <= 8)
		return len_4to8(p, len, sec, seed);
	if (len <= 16)
		return len_9to16(p, len, sec, seed);
	if (len <= 128)
		return len_17to128(p, len, sec, seed);
	if (len <= 240)
		return len_129to240(p, len, sec, seed);
	if (!seed)
		return hash_long(p, len, sec);
	unsigned char custom[SECRET_SIZE]; /* the secret derived from the seed */
	for (int i = 0; i < SECRET_SIZE / 16; i++) {
		wr64(custom + 16 * i, rd64(sec + 16 * i) + seed);
		wr64(custom + 16 * i + 8, rd64(sec + 16 * i + 8) - seed);
	}
	return hash_long(p, len, custom);
}
