/*
 * Hash functions for hash tables (<plexus/hmap.h>), shared by the host and
 * plugins: one name space and one algorithm, xxHash's XXH3, so that no table
 * depends on which bits of its keys happen to vary.
 *
 * MAC tables were the reason: a hand-written multiplicative hash that kept
 * some bits of the product gave long probe chains for one benchmark's
 * addresses and short ones for another's.  XXH3 lets every byte of the key
 * affect every bit of the hash, so sequential, vendor-prefixed, locally
 * administered and random MACs, and datapath ids, all spread evenly
 * (tests/unit/test_hmap.c checks the chain lengths of each).
 *
 * The functions live in libplexus.a (link with -lplexus -lxxhash, which
 * "pkg-config --libs plexus-plugin" gives).  Hashes are for in-memory
 * tables: they are not stable across Plexus releases, so never store them.
 */
#ifndef PLEXUS_HASH_H
#define PLEXUS_HASH_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Hashes the 'len' bytes at 'data' (which may be NULL when 'len' is 0).
 * 'basis' seeds the hash: combine keys by passing one key's hash as the
 * basis of the next. */
uint64_t px_hash_bytes(const void *data, size_t len, uint64_t basis);

/* Hashes a 6-byte Ethernet address. */
uint64_t px_hash_mac(const uint8_t mac[6]);

/* Hashes a 64-bit integer such as a datapath id. */
uint64_t px_hash_u64(uint64_t value);

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_HASH_H */
