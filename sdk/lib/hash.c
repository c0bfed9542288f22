/*
 * The SDK's hash functions (<plexus/hash.h>): thin wrappers over Debian's
 * libxxhash, so that the algorithm is maintained upstream and the host and
 * every plugin call it by one set of names.
 */
#include "plexus/hash.h"

/* The implementation inlined from Debian's xxhash.h (XXH_INLINE_ALL), not
 * called in libxxhash.so: a MAC or datapath id is hashed twice per
 * packet-in, and the call through the PLT cost more than the hash. */
#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t
px_hash_bytes(const void *data, size_t len, uint64_t basis)
{
    return XXH3_64bits_withSeed(data, len, basis);
}

uint64_t
px_hash_mac(const uint8_t mac[6])
{
    /* XXH3 has a dedicated path for keys of 4 to 8 bytes that mixes all of
     * them into the whole result, so six bytes need no padding. */
    return XXH3_64bits_withSeed(mac, 6, 0);
}

uint64_t
px_hash_u64(uint64_t value)
{
    /* Hashing the in-memory bytes is fine: the result only has to agree
     * within one process. */
    return XXH3_64bits_withSeed(&value, sizeof value, 0);
}
