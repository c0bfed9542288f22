/*
 * Unit tests of the SDK's hash map and hash functions (libplexus.a:
 * plexus/hmap.h, plexus/hash.h): insert, find, remove, iteration, growth
 * and shrinking; and the chain lengths the map reaches with 65,536 keys of
 * each kind a controller meets (sequential, vendor-prefixed, locally
 * administered and random MACs; sequential and vendor-style datapath
 * ids), which must stay near what a uniform hash gives.  Each kind is also
 * loaded with a naive hash that it defeats, to show that the same check
 * fails when chains grow: a check that cannot fail would prove nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plexus/hash.h"
#include "plexus/hmap.h"

struct item {
    struct px_hmap_node node;
    uint64_t key;
    int seen;
};

static struct item *
find(const struct px_hmap *map, uint64_t key)
{
    struct item *it;

    PX_HMAP_FOR_EACH_WITH_HASH (it, node, px_hash_u64(key), map) {
        if (it->key == key) {
            break;
        }
    }
    return it;
}

/* The map's bucket count, read from the map itself. */
static size_t
n_buckets(const struct px_hmap *map)
{
    return map->mask + 1;
}

static struct item *
make_items(size_t n)
{
    struct item *items = calloc(n, sizeof *items);
    size_t i;

    assert_non_null(items);
    for (i = 0; i < n; i++) {
        items[i].key = i * 7 + 3;
    }
    return items;
}

/* Initialises 'map' and inserts the 'n' items, keyed by their keys. */
static void
insert_all(struct px_hmap *map, struct item *items, size_t n)
{
    size_t i;

    px_hmap_init(map);
    for (i = 0; i < n; i++) {
        px_hmap_insert(map, &items[i].node, px_hash_u64(items[i].key));
    }
}

/* Every one of the 'n' items is found by its key. */
static void
assert_all_found(const struct px_hmap *map, struct item *items, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        assert_ptr_equal(find(map, items[i].key), &items[i]);
    }
}

static void
test_empty(void **state)
{
    struct px_hmap map = PX_HMAP_INITIALIZER;
    struct item *it = (struct item *)1;

    (void)state;
    assert_int_equal(px_hmap_count(&map), 0);
    assert_true(px_hmap_is_empty(&map));
    assert_null(px_hmap_first(&map));
    assert_null(px_hmap_first_with_hash(&map, 42));
    PX_HMAP_FOR_EACH (it, node, &map) {
        fail();
    }
    assert_null(it);
    assert_int_equal(px_hmap_shrink(&map), 0);
    assert_int_equal(n_buckets(&map), 1);
    px_hmap_destroy(&map);
    px_hmap_destroy(NULL);
}

static void
test_insert_find_remove(void **state)
{
    enum { N = 1000 };
    struct item *items = make_items(N);
    struct px_hmap map;
    size_t i;

    (void)state;
    px_hmap_init(&map);
    for (i = 0; i < N; i++) {
        px_hmap_insert(&map, &items[i].node, px_hash_u64(items[i].key));
        assert_int_equal(px_hmap_count(&map), i + 1);
    }
    assert_all_found(&map, items, N);
    assert_null(find(&map, 1));
    for (i = 0; i < N; i += 2) {
        px_hmap_remove(&map, &items[i].node);
    }
    assert_int_equal(px_hmap_count(&map), N / 2);
    for (i = 0; i < N; i++) {
        if (i % 2) {
            assert_ptr_equal(find(&map, items[i].key), &items[i]);
        } else {
            assert_null(find(&map, items[i].key));
        }
    }
    px_hmap_destroy(&map);
    free(items);
}

/* Nodes with one hash are all found, in any order, and a node that merely
 * shares their bucket (another hash, same low bits) is not. */
static void
test_same_hash(void **state)
{
    struct item items[5];
    struct px_hmap map;
    struct item *it;
    int found = 0, i;

    (void)state;
    memset(items, 0, sizeof items);
    px_hmap_init(&map);
    assert_int_equal(px_hmap_reserve(&map, 4), 0);
    assert_int_equal(n_buckets(&map), 4);
    for (i = 0; i < 4; i++) {
        items[i].key = (uint64_t)i;
        px_hmap_insert(&map, &items[i].node, 0x10);
    }
    /* Same bucket (0x10 & 3 == 0x14 & 3), another hash. */
    px_hmap_insert(&map, &items[4].node, 0x14);
    assert_true(n_buckets(&map) >= 4);
    PX_HMAP_FOR_EACH_WITH_HASH (it, node, 0x10, &map) {
        assert_true(it >= items && it < items + 4);
        assert_int_equal(it->seen, 0);
        it->seen = 1;
        found++;
    }
    assert_null(it);
    assert_int_equal(found, 4);
    PX_HMAP_FOR_EACH_WITH_HASH (it, node, 0x14, &map) {
        assert_ptr_equal(it, &items[4]);
    }
    assert_null(px_hmap_first_with_hash(&map, 0x18));
    px_hmap_destroy(&map);
}

static void
test_iteration(void **state)
{
    enum { N = 777 };
    struct item *items = make_items(N);
    struct px_hmap map = PX_HMAP_INITIALIZER;
    struct item *it;
    size_t i, visited = 0;

    (void)state;
    for (i = 0; i < N; i++) {
        px_hmap_insert(&map, &items[i].node, px_hash_u64(items[i].key));
    }
    PX_HMAP_FOR_EACH (it, node, &map) {
        assert_int_equal(it->seen, 0);
        it->seen = 1;
        visited++;
    }
    assert_null(it);
    assert_int_equal(visited, N);
    for (i = 0; i < N; i++) {
        assert_int_equal(items[i].seen, 1);
    }
    /* A break leaves the object found. */
    PX_HMAP_FOR_EACH (it, node, &map) {
        if (it->key == items[100].key) {
            break;
        }
    }
    assert_ptr_equal(it, &items[100]);
    /* The safe loop may remove what it visits, every node included. */
    visited = 0;
    PX_HMAP_FOR_EACH_SAFE (it, node, &map) {
        px_hmap_remove(&map, &it->node);
        it->seen = 0;
        visited++;
    }
    assert_null(it);
    assert_int_equal(visited, N);
    assert_true(px_hmap_is_empty(&map));
    assert_null(px_hmap_first(&map));
    for (i = 0; i < N; i++) {
        assert_int_equal(items[i].seen, 0);
    }
    px_hmap_destroy(&map);
    free(items);
}

/* The map grows to keep at most one node per bucket, and no further. */
static void
test_expand(void **state)
{
    enum { N = 5000 };
    struct item *items = make_items(N);
    struct px_hmap map;
    size_t i;

    (void)state;
    px_hmap_init(&map);
    for (i = 0; i < N; i++) {
        size_t b;

        px_hmap_insert(&map, &items[i].node, px_hash_u64(items[i].key));
        b = n_buckets(&map);
        assert_true(px_hmap_count(&map) <= b);
        assert_true(b == 1 || px_hmap_count(&map) > b / 2);
        assert_int_equal(b & (b - 1), 0);
    }
    assert_int_equal(n_buckets(&map), 8192);
    assert_all_found(&map, items, N);
    /* Reserving makes room ahead; reserving less than there is does
     * nothing. */
    assert_int_equal(px_hmap_reserve(&map, 100000), 0);
    assert_int_equal(n_buckets(&map), 131072);
    assert_int_equal(px_hmap_reserve(&map, 10), 0);
    assert_int_equal(n_buckets(&map), 131072);
    assert_all_found(&map, items, N);
    px_hmap_destroy(&map);
    free(items);
}

static void
test_shrink(void **state)
{
    enum { N = 1024 };
    struct item *items = make_items(N);
    struct px_hmap map;
    size_t i;

    (void)state;
    insert_all(&map, items, N);
    assert_int_equal(n_buckets(&map), 1024);
    /* Removing never resizes; shrinking waits for a quarter. */
    for (i = 0; i < 700; i++) {
        px_hmap_remove(&map, &items[i].node);
    }
    assert_int_equal(n_buckets(&map), 1024);
    assert_int_equal(px_hmap_shrink(&map), 0);
    assert_int_equal(n_buckets(&map), 1024); /* 324 is not below 256. */
    for (; i < 1000; i++) {
        px_hmap_remove(&map, &items[i].node);
    }
    assert_int_equal(px_hmap_shrink(&map), 0);
    assert_int_equal(n_buckets(&map), 32); /* 24 nodes. */
    for (i = 1000; i < N; i++) {
        assert_ptr_equal(find(&map, items[i].key), &items[i]);
    }
    for (i = 0; i < 1000; i++) {
        assert_null(find(&map, items[i].key));
    }
    /* Empty, it gives every allocation back and still works. */
    for (i = 1000; i < N; i++) {
        px_hmap_remove(&map, &items[i].node);
    }
    assert_int_equal(px_hmap_shrink(&map), 0);
    assert_int_equal(n_buckets(&map), 1);
    assert_null(map.buckets);
    px_hmap_insert(&map, &items[0].node, px_hash_u64(items[0].key));
    px_hmap_insert(&map, &items[1].node, px_hash_u64(items[1].key));
    assert_ptr_equal(find(&map, items[0].key), &items[0]);
    assert_ptr_equal(find(&map, items[1].key), &items[1]);
    px_hmap_destroy(&map);
    free(items);
}

static void
test_clear(void **state)
{
    enum { N = 100 };
    struct item *items = make_items(N);
    struct px_hmap map;

    (void)state;
    insert_all(&map, items, N);
    px_hmap_clear(&map);
    assert_int_equal(px_hmap_count(&map), 0);
    assert_int_equal(n_buckets(&map), 128);
    assert_null(px_hmap_first(&map));
    assert_null(find(&map, items[5].key));
    px_hmap_insert(&map, &items[5].node, px_hash_u64(items[5].key));
    assert_ptr_equal(find(&map, items[5].key), &items[5]);
    px_hmap_destroy(&map);
    free(items);
}

/* A struct holding a map may be copied elsewhere (a realloc'd array). */
static void
test_moved(void **state)
{
    struct item items[2];
    struct px_hmap a, b;

    (void)state;
    memset(items, 0, sizeof items);
    items[0].key = 1;
    items[1].key = 2;
    px_hmap_init(&a);
    px_hmap_insert(&a, &items[0].node, px_hash_u64(1));
    b = a;
    assert_ptr_equal(find(&b, 1), &items[0]);
    px_hmap_insert(&b, &items[1].node, px_hash_u64(2));
    assert_ptr_equal(find(&b, 2), &items[1]);
    px_hmap_destroy(&b);
}

static int
popcount64(uint64_t v)
{
    return __builtin_popcountll(v);
}

/* Every bit of a MAC and of a 64-bit key changes about half the hash's
 * bits: no byte of the key is ignored or barely mixed. */
static void
test_hash_mixes_every_bit(void **state)
{
    const uint8_t mac[6] = {0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x05};
    uint64_t h = px_hash_mac(mac), hu, total = 0;
    const uint64_t key = 0x00001b213a4f0005ull;
    int bit;

    (void)state;
    assert_int_equal(h, px_hash_bytes(mac, 6, 0));
    assert_true(px_hash_bytes(mac, 6, 1) != h);
    assert_true(px_hash_bytes(mac, 5, 0) != h);
    assert_int_equal(px_hash_bytes(NULL, 0, 7), px_hash_bytes("", 0, 7));
    for (bit = 0; bit < 48; bit++) {
        uint8_t m[6];
        int d;

        memcpy(m, mac, 6);
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        d = popcount64(px_hash_mac(m) ^ h);
        assert_in_range(d, 12, 52);
        total += (uint64_t)d;
    }
    assert_in_range(total / 48, 28, 36);
    hu = px_hash_u64(key);
    total = 0;
    for (bit = 0; bit < 64; bit++) {
        int d = popcount64(px_hash_u64(key ^ (1ull << bit)) ^ hu);

        assert_in_range(d, 12, 52);
        total += (uint64_t)d;
    }
    assert_in_range(total / 64, 28, 36);
}

/* ---- Chain lengths, by kind of key. ---- */

#define N_KEYS 65536

/* A hash the map is given: the SDK's, or a naive one that shows the check
 * can fail. */
enum hash_kind {
    HASH_SDK,       /* px_hash_mac, px_hash_u64. */
    HASH_FIRST_TWO, /* The key's first two bytes (the OUI's, for a MAC). */
    HASH_IDENTITY,  /* The key itself: the map then uses its low bits. */
    HASH_LAST_BYTE, /* A MAC's last byte. */
};

struct pattern {
    const char *name;
    int is_mac; /* Else a 64-bit datapath id. */
    void (*make)(uint64_t *keys);
    enum hash_kind defeats; /* A naive hash that these keys defeat. */
};

static uint64_t rng_state;

/* splitmix64: a fixed seed makes every run draw the same keys. */
static uint64_t
rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t
mac_key(uint8_t b0, uint8_t b1, uint8_t b2, uint32_t low24)
{
    return (uint64_t)b0 << 40 | (uint64_t)b1 << 32 | (uint64_t)b2 << 24 |
           (low24 & 0xffffff);
}

/* Fills 'keys' with N_KEYS distinct random values of 'bits' bits. */
static void
random_distinct(uint64_t *keys, int bits)
{
    uint64_t mask = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    uint8_t *used = NULL;
    size_t i = 0;

    rng_state = 0x5eed0000ull + (uint64_t)bits;
    if (bits <= 24) {
        used = calloc((size_t)1 << bits, 1);
        assert_non_null(used);
    }
    while (i < N_KEYS) {
        uint64_t v = rng_next() & mask;

        if (used) {
            if (used[v]) {
                continue;
            }
            used[v] = 1;
        }
        keys[i++] = v;
    }
    free(used);
}

/* 02:00:00:00:00:00, 02:00:00:00:00:01, ... (Mininet, test tools). */
static void
make_sequential_macs(uint64_t *keys)
{
    size_t i;

    for (i = 0; i < N_KEYS; i++) {
        keys[i] = mac_key(0x02, 0, 0, (uint32_t)i);
    }
}

/* One vendor's OUI (00:1b:21), NICs numbered in order. */
static void
make_vendor_sequential_macs(uint64_t *keys)
{
    size_t i;

    for (i = 0; i < N_KEYS; i++) {
        keys[i] = mac_key(0x00, 0x1b, 0x21, (uint32_t)(0x3a0000 + i));
    }
}

/* One vendor's OUI, NIC parts scattered. */
static void
make_vendor_random_macs(uint64_t *keys)
{
    size_t i;

    random_distinct(keys, 24);
    for (i = 0; i < N_KEYS; i++) {
        keys[i] = mac_key(0x00, 0x1b, 0x21, (uint32_t)keys[i]);
    }
}

/* Locally administered, as QEMU/KVM hands them out (52:54:00:xx:xx:xx). */
static void
make_local_qemu_macs(uint64_t *keys)
{
    size_t i;

    random_distinct(keys, 24);
    for (i = 0; i < N_KEYS; i++) {
        keys[i] = mac_key(0x52, 0x54, 0x00, (uint32_t)keys[i]);
    }
}

/* Locally administered and unicast, numbered in the leading bytes with the
 * last three fixed: what a tool that counts in the first octets sends. */
static void
make_local_leading_macs(uint64_t *keys)
{
    size_t i;

    for (i = 0; i < N_KEYS; i++) {
        uint8_t b0 = (uint8_t)(((i & 0x3f) << 2) | 0x02);

        keys[i] = mac_key(b0, (uint8_t)(i >> 6), (uint8_t)(i >> 14), 1);
    }
}

/* Random unicast MACs. */
static void
make_random_macs(uint64_t *keys)
{
    size_t i;

    random_distinct(keys, 48);
    for (i = 0; i < N_KEYS; i++) {
        keys[i] &= ~(1ull << 40); /* The group bit of the first byte. */
    }
}

/* Datapath ids 1, 2, 3, ... (Mininet's s1, s2, ...). */
static void
make_sequential_dpids(uint64_t *keys)
{
    size_t i;

    for (i = 0; i < N_KEYS; i++) {
        keys[i] = i + 1;
    }
}

/* Open vSwitch's default: 16 zero bits, then the bridge's MAC. */
static void
make_ovs_dpids(uint64_t *keys)
{
    make_vendor_sequential_macs(keys);
}

/* The OpenFlow layout: a MAC in the low 48 bits and the implementer's
 * instance number in the top 16. */
static void
make_vendor_instance_dpids(uint64_t *keys)
{
    size_t i;

    for (i = 0; i < N_KEYS; i++) {
        keys[i] = (uint64_t)i << 48 | mac_key(0x00, 0x1b, 0x21, 0x3a4f05);
    }
}

static const struct pattern patterns[] = {
    {"sequential MACs 02:00:00:00:xx:xx", 1, make_sequential_macs,
     HASH_FIRST_TWO},
    {"vendor MACs 00:1b:21, NICs in order", 1, make_vendor_sequential_macs,
     HASH_FIRST_TWO},
    {"vendor MACs 00:1b:21, random NICs", 1, make_vendor_random_macs,
     HASH_FIRST_TWO},
    {"locally administered MACs 52:54:00:xx:xx:xx", 1, make_local_qemu_macs,
     HASH_FIRST_TWO},
    {"locally administered MACs xx:xx:xx:00:00:01", 1, make_local_leading_macs,
     HASH_IDENTITY},
    {"random unicast MACs", 1, make_random_macs, HASH_LAST_BYTE},
    {"sequential datapath ids", 0, make_sequential_dpids, HASH_FIRST_TWO},
    {"Open vSwitch datapath ids (0000 + MAC)", 0, make_ovs_dpids,
     HASH_FIRST_TWO},
    {"datapath ids numbered in the top 16 bits", 0, make_vendor_instance_dpids,
     HASH_IDENTITY},
};

static uint64_t
hash_key(const struct pattern *p, enum hash_kind kind, uint64_t key)
{
    int width = p->is_mac ? 48 : 64;
    uint8_t mac[6];
    int b;

    switch (kind) {
    case HASH_SDK:
        if (!p->is_mac) {
            return px_hash_u64(key);
        }
        for (b = 0; b < 6; b++) {
            mac[b] = (uint8_t)(key >> (40 - 8 * b));
        }
        return px_hash_mac(mac);
    case HASH_FIRST_TWO:
        return (key >> (width - 16)) & 0xffff;
    case HASH_IDENTITY:
        return key;
    case HASH_LAST_BYTE:
        return key & 0xff;
    }
    return 0;
}

struct chains {
    size_t max;         /* The longest chain. */
    double mean;        /* Mean length of the chains that are not empty. */
    double mean_probes; /* Nodes a successful lookup looks at, on mean. */
    double load;        /* Nodes per bucket. */
};

/* Measures the chains of 'map', from its own buckets. */
static struct chains
measure(const struct px_hmap *map)
{
    struct chains c = {0, 0, 0, 0};
    size_t i, used = 0, probes = 0;

    for (i = 0; i < n_buckets(map); i++) {
        const struct px_hmap_node *node =
            map->buckets ? map->buckets[i] : map->one;
        size_t len = 0;

        for (; node; node = node->next) {
            len++;
            probes += len; /* The len'th node is found at its len'th probe. */
        }
        if (len) {
            used++;
        }
        if (len > c.max) {
            c.max = len;
        }
    }
    c.load = (double)map->n / (double)n_buckets(map);
    c.mean = used ? (double)map->n / (double)used : 0;
    c.mean_probes = map->n ? (double)probes / (double)map->n : 0;
    return c;
}

/* What a uniform hash gives at load factor 1 with 65,536 keys: chains of
 * 1.58 on mean, 1.5 probes per successful lookup, and a longest chain of
 * about 8 (the chance of 12 or more is below 1e-4). */
static int
chains_uniform(const struct chains *c)
{
    return c->mean <= 2.0 && c->mean_probes <= 2.0 && c->max <= 12;
}

/* Loads the keys of 'p' hashed by 'kind' and measures the chains. */
static struct chains
load_and_measure(const struct pattern *p, enum hash_kind kind,
                 const uint64_t *keys, struct item *items)
{
    struct px_hmap map;
    struct chains c;
    size_t i;

    px_hmap_init(&map);
    for (i = 0; i < N_KEYS; i++) {
        items[i].key = keys[i];
        px_hmap_insert(&map, &items[i].node, hash_key(p, kind, keys[i]));
    }
    assert_int_equal(px_hmap_count(&map), N_KEYS);
    c = measure(&map);
    if (kind == HASH_SDK) {
        /* Every key is found through its own hash. */
        for (i = 0; i < N_KEYS; i += 97) {
            struct item *it;

            PX_HMAP_FOR_EACH_WITH_HASH (it, node, hash_key(p, kind, keys[i]),
                                        &map) {
                if (it->key == keys[i]) {
                    break;
                }
            }
            assert_ptr_equal(it, &items[i]);
        }
    }
    px_hmap_destroy(&map);
    return c;
}

static int
compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void
test_chain_lengths(void **state)
{
    uint64_t *keys = calloc(N_KEYS, sizeof *keys);
    uint64_t *sorted = calloc(N_KEYS, sizeof *sorted);
    struct item *items = calloc(N_KEYS, sizeof *items);
    size_t i, k;

    (void)state;
    assert_non_null(keys);
    assert_non_null(sorted);
    assert_non_null(items);
    for (i = 0; i < sizeof patterns / sizeof *patterns; i++) {
        const struct pattern *p = &patterns[i];
        struct chains good, bad;

        p->make(keys);
        /* The keys are distinct, or the chains would say nothing about
         * the hash. */
        memcpy(sorted, keys, N_KEYS * sizeof *keys);
        qsort(sorted, N_KEYS, sizeof *sorted, compare_u64);
        for (k = 1; k < N_KEYS; k++) {
            assert_true(sorted[k - 1] != sorted[k]);
        }
        good = load_and_measure(p, HASH_SDK, keys, items);
        bad = load_and_measure(p, p->defeats, keys, items);
        print_message("%-45s load %.2f: max %zu, mean %.3f, probes %.3f "
                      "(naive hash: max %zu, mean %.1f)\n",
                      p->name, good.load, good.max, good.mean,
                      good.mean_probes, bad.max, bad.mean);
        assert_true(good.load == 1.0);
        if (!chains_uniform(&good)) {
            fail_msg("%s: chains too long (max %zu, mean %.3f, probes %.3f)",
                     p->name, good.max, good.mean, good.mean_probes);
        }
        if (chains_uniform(&bad)) {
            fail_msg("%s: the naive hash passed the check (max %zu, mean "
                     "%.3f): the check cannot tell",
                     p->name, bad.max, bad.mean);
        }
    }
    free(keys);
    free(sorted);
    free(items);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_insert_find_remove),
        cmocka_unit_test(test_same_hash),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_moved),
        cmocka_unit_test(test_hash_mixes_every_bit),
        cmocka_unit_test(test_chain_lengths),
    };

    return cmocka_run_group_tests_name("hmap", tests, NULL, NULL);
}
