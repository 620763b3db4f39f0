/* XXH3, 64-bit variant, written from the public XXH3 specification (no
 * library dependency): used by the xxh3([seed]) converter.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* XXH3_64bits_withSeed of the <len> bytes at <p> (any <len>, <p> may be
 * NULL when <len> is 0).
 */
uint64_t xxh3_64(const void *p, size_t len, uint64_t seed);
