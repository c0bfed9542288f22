/*
 * A learning switch's MAC table: MAC address -> the port it was last seen
 * on, for one switch, bounded, in the SDK's hash map.  l2_learning and
 * simple_switch_13 keep one per switch; an app that learns addresses the
 * same way should too.
 *
 * Entries are allocated a block at a time, not one malloc each: under
 * random traffic every lookup is a cache miss, and packed entries (no
 * allocator header, two to a cache line, blocks line-aligned) make the
 * table a third smaller, so that more of it stays in the cache.  A table
 * only forgets all its MACs at once (px_mactable_clear), so blocks are
 * never freed one by one.
 *
 * When the table holds 'max' MACs, a new one is either not learned
 * (PX_MACTABLE_KEEP: the frames for it are flooded, which is still
 * correct) or the table is cleared first (PX_MACTABLE_FLUSH: the hosts are
 * learned again, at the cost of some floods); both are counted.  Either
 * way memory stays flat under a MAC flood.
 *
 * Header-only, and its lookups inline, because a learning switch calls
 * them twice for every packet-in.  Ownership: a table owns its entries
 * and blocks; px_mactable_destroy frees them.  Not thread-safe.
 */
#ifndef PLEXUS_MACTABLE_H
#define PLEXUS_MACTABLE_H 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/hash.h"
#include "plexus/hmap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One learned MAC: 32 bytes, two to a cache line. */
struct px_mactable_entry {
    struct px_hmap_node node; /* By px_hash_mac(mac). */
    uint8_t mac[6];
    uint32_t port;
};

#define PX_MACTABLE_BLOCK_SIZE 4096
#define PX_MACTABLE_BLOCK_ENTRIES                                             \
    ((PX_MACTABLE_BLOCK_SIZE - sizeof(void *) - sizeof(size_t)) /             \
     sizeof(struct px_mactable_entry))

struct px_mactable_block {
    struct px_mactable_entry entries[PX_MACTABLE_BLOCK_ENTRIES]; /* First. */
    struct px_mactable_block *next;
    size_t used; /* entries[0, used) are taken. */
};

enum px_mactable_full {
    PX_MACTABLE_KEEP,  /* A new MAC is not learned. */
    PX_MACTABLE_FLUSH, /* The table is cleared, then it is learned. */
};

struct px_mactable {
    struct px_hmap macs;
    struct px_mactable_block *blocks;
    size_t max;
    enum px_mactable_full when_full;
    uint64_t flushes;     /* FLUSH: times the full table was cleared. */
    uint64_t not_learned; /* KEEP: MACs not learned, the table full; either
                           * policy: MACs not learned for want of memory. */
};

static inline void
px_mactable_init(struct px_mactable *t, size_t max,
                 enum px_mactable_full when_full)
{
    px_hmap_init(&t->macs);
    t->blocks = NULL;
    t->max = max;
    t->when_full = when_full;
    t->flushes = 0;
    t->not_learned = 0;
}

/* Forgets every MAC and gives the memory back (the counters stay). */
static inline void
px_mactable_clear(struct px_mactable *t)
{
    struct px_mactable_block *b, *next;

    px_hmap_clear(&t->macs);
    px_hmap_shrink(&t->macs);
    for (b = t->blocks; b; b = next) {
        next = b->next;
        free(b);
    }
    t->blocks = NULL;
}

/* Frees the table's memory.  Accepts NULL. */
static inline void
px_mactable_destroy(struct px_mactable *t)
{
    if (t) {
        px_mactable_clear(t);
        px_hmap_destroy(&t->macs);
    }
}

static inline size_t
px_mactable_count(const struct px_mactable *t)
{
    return px_hmap_count(&t->macs);
}

/* Starts bringing the chain of 'hash' into the cache, for a lookup a
 * little later. */
static inline void
px_mactable_prefetch(const struct px_mactable *t, uint64_t hash)
{
    px_hmap_prefetch(&t->macs, hash);
}

/* The entry of 'mac', whose px_hash_mac() is 'hash', or NULL. */
static inline struct px_mactable_entry *
px_mactable_find(const struct px_mactable *t, const uint8_t *mac,
                 uint64_t hash)
{
    struct px_mactable_entry *e;

    PX_HMAP_FOR_EACH_WITH_HASH (e, node, hash, &t->macs) {
        if (!memcmp(e->mac, mac, sizeof e->mac)) {
            break;
        }
    }
    return e;
}

/* Whether 'mac' (hash 'hash') is known; its port into '*port' if so. */
static inline int
px_mactable_lookup(const struct px_mactable *t, const uint8_t *mac,
                   uint64_t hash, uint32_t *port)
{
    const struct px_mactable_entry *e = px_mactable_find(t, mac, hash);

    if (e) {
        *port = e->port;
    }
    return e != NULL;
}

/* Learns that 'mac' (hash 'hash') is at 'port'.  Returns 0, or ENOSPC
 * when it was not learned (the table full under PX_MACTABLE_KEEP, or no
 * memory), counted in 'not_learned'. */
static inline int
px_mactable_learn(struct px_mactable *t, const uint8_t *mac, uint64_t hash,
                  uint32_t port)
{
    struct px_mactable_entry *e = px_mactable_find(t, mac, hash);
    struct px_mactable_block *b;

    if (e) {
        e->port = port;
        return 0;
    }
    if (px_hmap_count(&t->macs) >= t->max) {
        if (t->when_full == PX_MACTABLE_KEEP) {
            t->not_learned++;
            return ENOSPC;
        }
        px_mactable_clear(t);
        t->flushes++;
    }
    b = t->blocks;
    if (!b || b->used == PX_MACTABLE_BLOCK_ENTRIES) {
        b = (struct px_mactable_block *)aligned_alloc(64,
                                                      PX_MACTABLE_BLOCK_SIZE);
        if (!b) {
            t->not_learned++;
            return ENOSPC;
        }
        b->next = t->blocks;
        b->used = 0;
        t->blocks = b;
    }
    e = &b->entries[b->used++];
    memcpy(e->mac, mac, sizeof e->mac);
    e->port = port;
    px_hmap_insert(&t->macs, &e->node, hash);
    return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_MACTABLE_H */
