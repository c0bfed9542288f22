/*
 * The SDK's intrusive hash map (<plexus/hmap.h>): resizing, removal and
 * iteration over all nodes.  Lookups are inline in the header, since they
 * run per frame.
 */
#include "plexus/hmap.h"

#include <errno.h>
#include <stdlib.h>

void
px_hmap_init(struct px_hmap *map)
{
    map->buckets = NULL;
    map->one = NULL;
    map->mask = 0;
    map->n = 0;
}

void
px_hmap_destroy(struct px_hmap *map)
{
    if (map) {
        free(map->buckets);
        px_hmap_init(map);
    }
}

void
px_hmap_clear(struct px_hmap *map)
{
    size_t i;

    if (map->buckets) {
        for (i = 0; i <= map->mask; i++) {
            map->buckets[i] = NULL;
        }
    }
    map->one = NULL;
    map->n = 0;
}

/* The address of the chain head for 'hash'. */
static struct px_hmap_node **
chain_head(struct px_hmap *map, uint64_t hash)
{
    return map->buckets ? &map->buckets[hash & map->mask] : &map->one;
}

/* Moves every node into 'n_buckets' buckets (a power of two).  Returns 0
 * or ENOMEM, the map untouched. */
static int
resize(struct px_hmap *map, size_t n_buckets)
{
    struct px_hmap_node **old = map->buckets;
    struct px_hmap_node *one = map->one;
    size_t old_n = old ? map->mask + 1 : 1, i;

    if (n_buckets > 1) {
        struct px_hmap_node **b = calloc(n_buckets, sizeof *b);

        if (!b) {
            return ENOMEM;
        }
        map->buckets = b;
    } else {
        map->buckets = NULL;
    }
    map->one = NULL;
    map->mask = n_buckets - 1;
    for (i = 0; i < old_n; i++) {
        struct px_hmap_node *node = old ? old[i] : one;

        while (node) {
            struct px_hmap_node *next = node->next;
            struct px_hmap_node **head = chain_head(map, node->hash);

            node->next = *head;
            *head = node;
            node = next;
        }
    }
    free(old);
    return 0;
}

/* The number of buckets that holds 'n' nodes at most one per bucket: the
 * smallest power of two not below 'n', or 1. */
static size_t
buckets_for(size_t n)
{
    size_t b = 1;

    while (b < n && b <= SIZE_MAX / 2) {
        b *= 2;
    }
    return b;
}

void
px_hmap_insert(struct px_hmap *map, struct px_hmap_node *node, uint64_t hash)
{
    struct px_hmap_node **head;

    /* Growing before the node goes in keeps the load factor at most 1;
     * a failure is tolerated (see the header), so its code is dropped. */
    if (map->n >= map->mask + 1 && map->mask + 1 <= SIZE_MAX / 2) {
        (void)resize(map, (map->mask + 1) * 2);
    }
    node->hash = hash;
    head = chain_head(map, hash);
    node->next = *head;
    *head = node;
    map->n++;
}

void
px_hmap_remove(struct px_hmap *map, struct px_hmap_node *node)
{
    struct px_hmap_node **link = chain_head(map, node->hash);

    while (*link && *link != node) {
        link = &(*link)->next;
    }
    if (*link) {
        *link = node->next;
        map->n--;
    }
}

int
px_hmap_reserve(struct px_hmap *map, size_t n)
{
    size_t want = buckets_for(n);

    return want > map->mask + 1 ? resize(map, want) : 0;
}

int
px_hmap_shrink(struct px_hmap *map)
{
    /* Waiting for a quarter, not a half, means a map that shrank needs
     * many inserts before it grows again, and the other way round: no
     * resize on every call for a count that hovers. */
    if (map->n >= (map->mask + 1) / 4) {
        return 0;
    }
    return resize(map, buckets_for(map->n));
}

struct px_hmap_node *
px_hmap_first(const struct px_hmap *map)
{
    size_t i;

    if (!map->buckets) {
        return map->one;
    }
    for (i = 0; i <= map->mask; i++) {
        if (map->buckets[i]) {
            return map->buckets[i];
        }
    }
    return NULL;
}

struct px_hmap_node *
px_hmap_next(const struct px_hmap *map, const struct px_hmap_node *node)
{
    size_t i;

    if (node->next || !map->buckets) {
        return node->next;
    }
    for (i = (size_t)(node->hash & map->mask) + 1; i <= map->mask; i++) {
        if (map->buckets[i]) {
            return map->buckets[i];
        }
    }
    return NULL;
}
