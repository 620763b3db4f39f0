/* Hash converters: crc32, djb2, sdbm, wt6 (the load-balancing hash
 * functions, with optional avalanche), sha1, sha2.
 */
#include <openssl/evp.h>
#include <string.h>

#include "common/mem.h"
#include "common/sample.h"
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
    {"sha2", conv_sha, ARGS(0, ARGT_SINT), val_sha2, BIN, BIN, (const void *)1},
};

SMP_REGISTER_CONVS(hash_convs)
