/*
 * An intrusive hash map, in the style of Open vSwitch's hmap: the node lives
 * inside the caller's object, so inserting never allocates a node and never
 * fails, and one object can sit in several maps through several nodes.
 *
 * The map stores each node's 64-bit hash (px_hash_* in <plexus/hash.h>)
 * and chains nodes of one bucket; it never compares keys, so a lookup walks
 * the nodes with the wanted hash and the caller compares its own keys:
 *
 *     struct mac_entry {
 *         struct px_hmap_node node;
 *         uint8_t mac[6];
 *     };
 *
 *     struct mac_entry *e;
 *     PX_HMAP_FOR_EACH_WITH_HASH (e, node, px_hash_mac(mac), &map) {
 *         if (!memcmp(e->mac, mac, 6)) {
 *             break;
 *         }
 *     }
 *     (e is NULL here when the loop ran out.)
 *
 * Ownership: a map owns its bucket array and nothing else.  Nodes are part
 * of the caller's objects, which the caller allocates and frees; an object
 * must be removed from the map (or the map cleared or destroyed) before it
 * is freed.  px_hmap_destroy frees the buckets, never the nodes.
 *
 * Size: the map doubles its buckets when an insert would take it past one
 * node per bucket, so chains stay short on average (the load factor stays at
 * most 1).  Removing never moves nodes, which is what lets a
 * PX_HMAP_FOR_EACH_SAFE loop remove the node it is visiting; the map gives
 * memory back when px_hmap_shrink is called.  A map holds no pointer into
 * itself, so the struct may be copied to a new place (the old copy must then
 * not be used).
 *
 * Not thread-safe: one thread uses a map at a time.  The functions live in
 * libplexus.a ("pkg-config --libs plexus-plugin").
 */
#ifndef PLEXUS_HMAP_H
#define PLEXUS_HMAP_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct px_hmap_node {
    struct px_hmap_node *next; /* The next node in the same bucket. */
    uint64_t hash;
};

struct px_hmap {
    /* mask + 1 chain heads; NULL while the map has a single bucket, which
     * is then 'one', so that an empty map costs no allocation. */
    struct px_hmap_node **buckets;
    struct px_hmap_node *one;
    size_t mask;
    size_t n; /* Nodes in the map. */
};

/* An empty map, for static initialisation; px_hmap_init does the same. */
#define PX_HMAP_INITIALIZER                                                   \
    {                                                                         \
        NULL, NULL, 0, 0                                                      \
    }

/* Makes 'map' empty, with one bucket and no allocation. */
void px_hmap_init(struct px_hmap *map);

/* Frees the buckets of 'map' (NULL is fine) and leaves it empty; the nodes
 * still in it are not touched and no longer belong to it. */
void px_hmap_destroy(struct px_hmap *map);

/* Forgets every node without touching them, keeping the buckets. */
void px_hmap_clear(struct px_hmap *map);

/* Adds 'node' with 'hash'.  It cannot fail: when memory for more buckets
 * is short the map keeps its size, its chains grow longer, and the next
 * insert tries again. */
void px_hmap_insert(struct px_hmap *map, struct px_hmap_node *node,
                    uint64_t hash);

/* Removes 'node', which must be in 'map'.  Never moves other nodes. */
void px_hmap_remove(struct px_hmap *map, struct px_hmap_node *node);

/* Makes room for 'n' nodes at most one per bucket, so that inserting up to
 * 'n' nodes will not resize.  Returns 0 or ENOMEM (the map unchanged). */
int px_hmap_reserve(struct px_hmap *map, size_t n);

/* Gives memory back once fewer than a quarter of the buckets would be
 * used, halving them as often as keeps one node per bucket at most; cheap
 * when there is nothing to do, so it may be called after every remove (but
 * not inside a loop over the map).  Returns 0 or ENOMEM (the map
 * unchanged, and still correct). */
int px_hmap_shrink(struct px_hmap *map);

/* The first node of 'map' in its own order, and the one after 'node';
 * NULL at the end.  Any insert, px_hmap_reserve or px_hmap_shrink changes
 * the order. */
struct px_hmap_node *px_hmap_first(const struct px_hmap *map);
struct px_hmap_node *px_hmap_next(const struct px_hmap *map,
                                  const struct px_hmap_node *node);

static inline size_t
px_hmap_count(const struct px_hmap *map)
{
    return map->n;
}

static inline int
px_hmap_is_empty(const struct px_hmap *map)
{
    return map->n == 0;
}

/* The chain that nodes with 'hash' are in. */
static inline struct px_hmap_node *
px_hmap_chain_(const struct px_hmap *map, uint64_t hash)
{
    return map->buckets ? map->buckets[hash & map->mask] : map->one;
}

static inline struct px_hmap_node *
px_hmap_skip_to_hash_(struct px_hmap_node *node, uint64_t hash)
{
    while (node && node->hash != hash) {
        node = node->next;
    }
    return node;
}

/* Starts bringing the first node of the chain for 'hash' into the cache
 * without waiting for it.  A caller about to look up several keys in a
 * map bigger than the cache (a MAC table under random traffic) prefetches
 * them all first, so that their cache misses overlap instead of following
 * one another.  It changes nothing in the map. */
static inline void
px_hmap_prefetch(const struct px_hmap *map, uint64_t hash)
{
    __builtin_prefetch(px_hmap_chain_(map, hash));
}

/* The first node with 'hash', then the next with the same hash as 'node';
 * NULL when there is none. */
static inline struct px_hmap_node *
px_hmap_first_with_hash(const struct px_hmap *map, uint64_t hash)
{
    return px_hmap_skip_to_hash_(px_hmap_chain_(map, hash), hash);
}

static inline struct px_hmap_node *
px_hmap_next_with_hash(const struct px_hmap_node *node)
{
    return px_hmap_skip_to_hash_(node->next, node->hash);
}

/* The object of OBJECT's type whose MEMBER is the node NODE (not NULL). */
#define PX_HMAP_OBJECT(NODE, OBJECT, MEMBER)                                  \
    ((__typeof__(OBJECT))(void *)((char *)(NODE)-offsetof(                    \
        __typeof__(*(OBJECT)), MEMBER)))

/* Loops over the objects in 'MAP' whose node (member MEMBER) has 'HASH',
 * assigning each to OBJECT (a pointer to the objects' type).  OBJECT is
 * NULL when the loop ends without a break.  The body must not insert or
 * remove. */
#define PX_HMAP_FOR_EACH_WITH_HASH(OBJECT, MEMBER, HASH, MAP)                 \
    for (struct px_hmap_node *px_hmap_node_ =                                 \
             px_hmap_first_with_hash(MAP, HASH);                              \
         px_hmap_node_                                                        \
             ? ((OBJECT) = PX_HMAP_OBJECT(px_hmap_node_, OBJECT, MEMBER), 1)  \
             : ((OBJECT) = NULL, 0);                                          \
         px_hmap_node_ = px_hmap_next_with_hash(px_hmap_node_))

/* Loops over every object in 'MAP', in the map's order.  OBJECT is NULL
 * when the loop ends without a break.  The body must not insert or
 * remove. */
#define PX_HMAP_FOR_EACH(OBJECT, MEMBER, MAP)                                 \
    for (struct px_hmap_node *px_hmap_node_ = px_hmap_first(MAP);             \
         px_hmap_node_                                                        \
             ? ((OBJECT) = PX_HMAP_OBJECT(px_hmap_node_, OBJECT, MEMBER), 1)  \
             : ((OBJECT) = NULL, 0);                                          \
         px_hmap_node_ = px_hmap_next(MAP, px_hmap_node_))

/* As PX_HMAP_FOR_EACH, but the body may remove (and free) the object it is
 * visiting; it must not insert, or remove any other node. */
#define PX_HMAP_FOR_EACH_SAFE(OBJECT, MEMBER, MAP)                            \
    for (struct px_hmap_node *px_hmap_node_ = px_hmap_first(MAP),             \
                             *px_hmap_after_ = NULL;                          \
         px_hmap_node_                                                        \
             ? ((px_hmap_after_ = px_hmap_next(MAP, px_hmap_node_)),          \
                (OBJECT) = PX_HMAP_OBJECT(px_hmap_node_, OBJECT, MEMBER), 1)  \
             : ((OBJECT) = NULL, 0);                                          \
         px_hmap_node_ = px_hmap_after_)

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_HMAP_H */
