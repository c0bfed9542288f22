/*
 * Unit tests of the SDK's MAC table (<plexus/mactable.h>): learning,
 * moving and looking up MACs across many blocks, and the two ways a full
 * table behaves (a new MAC not learned, or the table cleared first), each
 * counted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plexus/mactable.h"

static void
mac_of(unsigned int i, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0;
    mac[2] = (uint8_t)(i >> 24);
    mac[3] = (uint8_t)(i >> 16);
    mac[4] = (uint8_t)(i >> 8);
    mac[5] = (uint8_t)i;
}

static int
learn(struct px_mactable *t, unsigned int i, uint32_t port)
{
    uint8_t mac[6];

    mac_of(i, mac);
    return px_mactable_learn(t, mac, px_hash_mac(mac), port);
}

static int
lookup(const struct px_mactable *t, unsigned int i, uint32_t *port)
{
    uint8_t mac[6];

    mac_of(i, mac);
    return px_mactable_lookup(t, mac, px_hash_mac(mac), port);
}

static void
test_learn_lookup(void **state)
{
    struct px_mactable t;
    uint32_t port = 0;
    unsigned int i, n = 3 * PX_MACTABLE_BLOCK_ENTRIES + 5;

    (void)state;
    px_mactable_init(&t, 100000, PX_MACTABLE_KEEP);
    assert_false(lookup(&t, 1, &port));
    for (i = 0; i < n; i++) {
        assert_int_equal(learn(&t, i, i % 48 + 1), 0);
    }
    assert_int_equal(px_mactable_count(&t), n);
    for (i = 0; i < n; i++) {
        assert_true(lookup(&t, i, &port));
        assert_int_equal(port, i % 48 + 1);
    }
    /* A MAC seen at another port has moved: one entry, the new port. */
    assert_int_equal(learn(&t, 7, 99), 0);
    assert_true(lookup(&t, 7, &port));
    assert_int_equal(port, 99);
    assert_int_equal(px_mactable_count(&t), n);
    assert_false(lookup(&t, n, &port));
    px_mactable_clear(&t);
    assert_int_equal(px_mactable_count(&t), 0);
    assert_false(lookup(&t, 7, &port));
    assert_int_equal(learn(&t, 7, 3), 0);
    px_mactable_destroy(&t);
    px_mactable_destroy(NULL);
}

static void
test_full_keep(void **state)
{
    struct px_mactable t;
    uint32_t port = 0;

    (void)state;
    px_mactable_init(&t, 4, PX_MACTABLE_KEEP);
    for (unsigned int i = 0; i < 4; i++) {
        assert_int_equal(learn(&t, i, 1), 0);
    }
    assert_int_equal(learn(&t, 4, 1), ENOSPC);
    assert_int_equal(learn(&t, 5, 1), ENOSPC);
    assert_int_equal(t.not_learned, 2);
    assert_false(lookup(&t, 4, &port));
    /* Known ones still move. */
    assert_int_equal(learn(&t, 2, 8), 0);
    assert_true(lookup(&t, 2, &port));
    assert_int_equal(port, 8);
    assert_int_equal(t.flushes, 0);
    px_mactable_destroy(&t);
}

static void
test_full_flush(void **state)
{
    struct px_mactable t;
    uint32_t port = 0;

    (void)state;
    px_mactable_init(&t, 4, PX_MACTABLE_FLUSH);
    for (unsigned int i = 0; i < 4; i++) {
        assert_int_equal(learn(&t, i, 1), 0);
    }
    assert_int_equal(learn(&t, 4, 2), 0);
    assert_int_equal(t.flushes, 1);
    assert_int_equal(t.not_learned, 0);
    assert_int_equal(px_mactable_count(&t), 1);
    assert_false(lookup(&t, 0, &port));
    assert_true(lookup(&t, 4, &port));
    assert_int_equal(port, 2);
    px_mactable_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_lookup),
        cmocka_unit_test(test_full_keep),
        cmocka_unit_test(test_full_flush),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
