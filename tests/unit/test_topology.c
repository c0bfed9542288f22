/*
 * Unit tests of the topology plugin's graph (plugins/topology/topo_graph.c):
 * links found and refreshed, both ways; hosts learned only at edge ports,
 * moved, given addresses, and dropped when a link is found at their port;
 * what a port or switch going down removes at once; timeouts; the bounds
 * and their counters; and the handoff blob, round trip and corruptions.
 * Every change is told through the callbacks, which these tests record.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blobcheck.h"
#include "topo_graph.h"

/* What the callbacks were told, in order. */
struct told {
    enum topo_change change[64];
    const char *reason[64];
    struct px_topo_port at[64]; /* A link's src, a host's port. */
    size_t n;
};

static void
on_link(void *arg, enum topo_change c, const struct px_topo_link *l)
{
    struct told *t = arg;

    assert_true(t->n < 64);
    t->change[t->n] = c;
    t->reason[t->n] = l->reason;
    t->at[t->n++] = l->src;
}

static void
on_host(void *arg, enum topo_change c, const struct px_topo_host *h)
{
    struct told *t = arg;

    assert_true(t->n < 64);
    t->change[t->n] = c;
    t->reason[t->n] = h->reason;
    t->at[t->n++] = h->at;
}

static struct told told;

/* Three switches, 1 - 2 - 3, each with ports 1 to 3 up (and LOCAL, which
 * the graph leaves out). */
static void
build(struct topo_graph *g, size_t max_links, size_t max_hosts)
{
    struct topo_graph_cb cb = {on_link, on_host, &told};
    struct px_of_port ports[4];
    uint64_t d;
    size_t i;

    memset(&told, 0, sizeof told);
    memset(ports, 0, sizeof ports);
    for (i = 0; i < 3; i++) {
        ports[i].port_no = (uint32_t)(3 - i); /* Not sorted. */
        ports[i].hw_addr[5] = (uint8_t)(i + 1);
    }
    ports[3].port_no = PX_OF_PORT_LOCAL;
    topo_graph_init(g, max_links, max_hosts, &cb);
    for (d = 1; d <= 3; d++) {
        assert_int_equal(topo_switch_up(g, d, PX_OF_VERSION_13, ports, 4), 0);
    }
    assert_int_equal(topo_switch_find(g, 1)->n_ports, 3);
    assert_null(topo_port_find(topo_switch_find(g, 1), PX_OF_PORT_LOCAL));
}

static struct px_topo_port
pt(uint64_t dpid, uint32_t port)
{
    struct px_topo_port p = {dpid, port};

    return p;
}

static const uint8_t mac_a[6] = {0, 0, 0, 0, 0, 0xa};
static const uint8_t mac_b[6] = {0, 0, 0, 0, 0, 0xb};

static void
test_links(void **state)
{
    struct topo_graph g;

    (void)state;
    build(&g, 16, 16);
    /* 1:2 <-> 2:1 and 2:2 <-> 3:1, each way found on its own. */
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 10.0), 0);
    assert_int_equal(topo_link_seen(&g, pt(2, 1), pt(1, 2), 10.1), 0);
    assert_int_equal(topo_link_seen(&g, pt(2, 2), pt(3, 1), 10.2), 0);
    assert_int_equal(topo_link_seen(&g, pt(3, 1), pt(2, 2), 10.3), 0);
    assert_int_equal(told.n, 4);
    assert_int_equal(told.change[0], TOPO_LINK_UP);
    assert_null(told.reason[0]);
    /* Seen again: refreshed, not told. */
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 11.0), 0);
    assert_int_equal(told.n, 4);
    assert_int_equal(px_hmap_count(&g.links), 4);
    assert_int_equal(topo_port_find(topo_switch_find(&g, 2), 1)->ends, 2);
    /* Unknown switch or port, or a port looped to itself. */
    assert_int_equal(topo_link_seen(&g, pt(9, 1), pt(2, 1), 11.0), ENOENT);
    assert_int_equal(topo_link_seen(&g, pt(1, 9), pt(2, 1), 11.0), ENOENT);
    assert_int_equal(topo_link_seen(&g, pt(1, 1), pt(1, 1), 11.0), EINVAL);
    assert_int_equal(told.n, 4);

    /* A port going down takes both ways of its link at once. */
    {
        struct px_of_port down = {.port_no = 2,
                                  .state = PX_OF_PORT_STATE_LINK_DOWN};

        assert_int_equal(topo_port_status(&g, 2, PX_OF_PORT_MODIFY, &down), 0);
    }
    assert_int_equal(told.n, 6);
    assert_int_equal(told.change[4], TOPO_LINK_DOWN);
    assert_string_equal(told.reason[4], "port down");
    assert_string_equal(told.reason[5], "port down");
    assert_int_equal(px_hmap_count(&g.links), 2);
    assert_int_equal(topo_port_find(topo_switch_find(&g, 3), 1)->ends, 0);
    /* A down port is not probed, so it finds nothing... */
    assert_false(topo_port_find(topo_switch_find(&g, 2), 2)->up);

    /* Timeouts: 1:2 -> 2:1 was seen at 11.0, 2:1 -> 1:2 at 10.1. */
    topo_expire(&g, 20.5, 10.0, 0);
    assert_int_equal(told.n, 7);
    assert_string_equal(told.reason[6], "timeout");
    assert_int_equal(told.at[6].dpid, 2);
    topo_expire(&g, 21.5, 10.0, 0);
    assert_int_equal(px_hmap_count(&g.links), 0);

    /* A switch going down takes every link with an end at it. */
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 30.0), 0);
    assert_int_equal(topo_link_seen(&g, pt(2, 1), pt(1, 2), 30.0), 0);
    assert_int_equal(topo_link_seen(&g, pt(1, 3), pt(3, 3), 30.0), 0);
    told.n = 0;
    topo_switch_down(&g, 1);
    assert_int_equal(told.n, 3);
    assert_string_equal(told.reason[0], "switch down");
    assert_int_equal(px_hmap_count(&g.links), 0);
    assert_null(topo_switch_find(&g, 1));
    assert_int_equal(topo_port_find(topo_switch_find(&g, 3), 3)->ends, 0);
    topo_graph_destroy(&g);
    topo_graph_destroy(NULL);
}

static void
test_switch_up_again(void **state)
{
    struct topo_graph g;
    struct px_of_port ports[2];

    (void)state;
    build(&g, 16, 16);
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 1.0), 0);
    assert_int_equal(topo_link_seen(&g, pt(1, 3), pt(3, 1), 1.0), 0);
    /* Switch 1 again, without port 3 and with port 2 down. */
    memset(ports, 0, sizeof ports);
    ports[0].port_no = 1;
    ports[1].port_no = 2;
    ports[1].config = PX_OF_PORT_CONFIG_DOWN;
    told.n = 0;
    assert_int_equal(topo_switch_up(&g, 1, PX_OF_VERSION_10, ports, 2), 0);
    assert_int_equal(told.n, 2);
    assert_int_equal(px_hmap_count(&g.links), 0);
    assert_int_equal(topo_switch_find(&g, 1)->n_ports, 2);
    assert_int_equal(topo_switch_find(&g, 1)->version, PX_OF_VERSION_10);
    /* A link at a port that stays up keeps its count. */
    ports[1].config = 0;
    assert_int_equal(topo_switch_up(&g, 1, PX_OF_VERSION_10, ports, 2), 0);
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 2.0), 0);
    assert_int_equal(topo_switch_up(&g, 1, PX_OF_VERSION_10, ports, 2), 0);
    assert_int_equal(px_hmap_count(&g.links), 1);
    assert_int_equal(topo_port_find(topo_switch_find(&g, 1), 2)->ends, 1);
    /* A port deleted, then added back. */
    told.n = 0;
    assert_int_equal(topo_port_status(&g, 1, PX_OF_PORT_DELETE, &ports[1]), 0);
    assert_int_equal(told.n, 1);
    assert_string_equal(told.reason[0], "port deleted");
    assert_null(topo_port_find(topo_switch_find(&g, 1), 2));
    assert_int_equal(topo_port_status(&g, 1, PX_OF_PORT_ADD, &ports[1]), 0);
    assert_non_null(topo_port_find(topo_switch_find(&g, 1), 2));
    assert_true(topo_port_find(topo_switch_find(&g, 1), 2)->up);
    topo_graph_destroy(&g);
}

static void
test_hosts(void **state)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t zero[6] = {0};
    uint8_t v6[16] = {0xfe, 0x80, [15] = 1}, unspecified[16] = {0};
    struct topo_graph g;
    struct topo_host *h;

    (void)state;
    build(&g, 16, 2);
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 1.0), 0);
    told.n = 0;
    /* Learned at an edge port; not at a link's port, an unknown port, or
     * from a multicast or zero address. */
    assert_int_equal(
        topo_host_seen(&g, mac_a, pt(1, 1), 0x0a000001, NULL, 2.0), 0);
    assert_int_equal(topo_host_seen(&g, mac_b, pt(1, 2), 0, NULL, 2.0),
                     EINVAL);
    assert_int_equal(topo_host_seen(&g, mac_b, pt(1, 9), 0, NULL, 2.0),
                     EINVAL);
    assert_int_equal(topo_host_seen(&g, bcast, pt(1, 1), 0, NULL, 2.0),
                     EINVAL);
    assert_int_equal(topo_host_seen(&g, zero, pt(1, 1), 0, NULL, 2.0), EINVAL);
    assert_int_equal(told.n, 1);
    assert_int_equal(told.change[0], TOPO_HOST_ADD);
    /* The same address again: nothing to tell; a new one: HOST_IP; the
     * unspecified IPv6 address is no address. */
    assert_int_equal(
        topo_host_seen(&g, mac_a, pt(1, 1), 0x0a000001, unspecified, 3.0), 0);
    assert_int_equal(told.n, 1);
    assert_int_equal(topo_host_seen(&g, mac_a, pt(1, 1), 0, v6, 3.0), 0);
    assert_int_equal(told.n, 2);
    assert_int_equal(told.change[1], TOPO_HOST_IP);
    /* At most PX_TOPO_HOST_MAX_IPS addresses, the latest kept. */
    for (uint32_t ip = 2; ip <= 6; ip++) {
        topo_host_seen(&g, mac_a, pt(1, 1), 0x0a000000 + ip, NULL, 4.0);
    }
    PX_HMAP_FOR_EACH (h, node, &g.hosts) {
        assert_int_equal(h->host.n_ipv4, PX_TOPO_HOST_MAX_IPS);
        assert_int_equal(h->host.ipv4[0], 0x0a000003);
        assert_int_equal(h->host.ipv4[3], 0x0a000006);
        assert_int_equal(h->host.n_ipv6, 1);
    }
    /* Moved. */
    told.n = 0;
    assert_int_equal(topo_host_seen(&g, mac_a, pt(3, 2), 0, NULL, 5.0), 0);
    assert_int_equal(told.n, 1);
    assert_int_equal(told.change[0], TOPO_HOST_MOVE);
    assert_int_equal(told.at[0].dpid, 3);
    /* The bound. */
    assert_int_equal(topo_host_seen(&g, mac_b, pt(3, 3), 0, NULL, 5.0), 0);
    assert_int_equal(topo_host_seen(&g, (const uint8_t[6]){0, 0, 0, 0, 0, 0xc},
                                    pt(3, 3), 0, NULL, 5.0),
                     ENOSPC);
    assert_int_equal(g.hosts_dropped, 1);
    /* A link found at a host's port: it was not a host's. */
    told.n = 0;
    assert_int_equal(topo_link_seen(&g, pt(3, 3), pt(2, 3), 6.0), 0);
    assert_int_equal(told.n, 2);
    assert_int_equal(told.change[0], TOPO_HOST_DELETE);
    assert_string_equal(told.reason[0], "link port");
    assert_int_equal(told.change[1], TOPO_LINK_UP);
    /* Port down and host timeout. */
    told.n = 0;
    {
        struct px_of_port down = {.port_no = 2,
                                  .state = PX_OF_PORT_STATE_LINK_DOWN};

        assert_int_equal(topo_port_status(&g, 3, PX_OF_PORT_MODIFY, &down), 0);
    }
    assert_int_equal(told.n, 1);
    assert_string_equal(told.reason[0], "port down");
    assert_int_equal(topo_host_seen(&g, mac_b, pt(2, 2), 0, NULL, 7.0), 0);
    topo_expire(&g, 100.0, 1000.0, 0); /* 0: hosts never time out. */
    assert_int_equal(px_hmap_count(&g.hosts), 1);
    topo_expire(&g, 100.0, 1000.0, 50.0);
    assert_int_equal(px_hmap_count(&g.hosts), 0);
    topo_graph_destroy(&g);
}

static void
test_link_bound(void **state)
{
    struct topo_graph g;

    (void)state;
    build(&g, 2, 16);
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 1.0), 0);
    assert_int_equal(topo_link_seen(&g, pt(2, 1), pt(1, 2), 1.0), 0);
    assert_int_equal(topo_link_seen(&g, pt(2, 2), pt(3, 1), 1.0), ENOSPC);
    assert_int_equal(g.links_dropped, 1);
    /* Refreshing one that is kept still works. */
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 2.0), 0);
    topo_graph_destroy(&g);
}

/* The blob of a graph with two links and two hosts (one with addresses of
 * both families). */
static uint8_t *
sample_blob(size_t *len)
{
    struct topo_graph g;
    struct px_buf b;
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
    uint8_t *data;

    build(&g, 16, 16);
    assert_int_equal(topo_link_seen(&g, pt(1, 2), pt(2, 1), 1.0), 0);
    assert_int_equal(topo_link_seen(&g, pt(2, 1), pt(1, 2), 1.5), 0);
    assert_int_equal(topo_host_seen(&g, mac_a, pt(1, 1), 0x0a000001, v6, 2.0),
                     0);
    assert_int_equal(topo_host_seen(&g, mac_b, pt(2, 3), 0, NULL, 3.0), 0);
    px_buf_init(&b, SIZE_MAX);
    topo_graph_save(&g, &b);
    assert_int_equal(px_buf_error(&b), 0);
    data = px_buf_steal(&b, len);
    px_buf_destroy(&b);
    topo_graph_destroy(&g);
    return data;
}

/* blob_reader: restores into a fresh graph of the three switches; a
 * refused blob must leave it empty. */
static int
read_blob(const uint8_t *data, size_t len)
{
    struct topo_graph g;
    uint8_t *copy = malloc(len ? len : 1);
    int error;

    memcpy(copy, data, len);
    build(&g, 16, 16);
    error = topo_graph_restore(&g, copy, len);
    if (error) {
        assert_int_equal(px_hmap_count(&g.links), 0);
        assert_int_equal(px_hmap_count(&g.hosts), 0);
    }
    /* Restored silently: subscribers knew it all before the reload. */
    assert_int_equal(told.n, 0);
    topo_graph_destroy(&g);
    free(copy);
    return error;
}

static void
test_handoff(void **state)
{
    struct topo_graph g;
    struct topo_host *h;
    struct topo_link *l;
    size_t len;
    uint8_t *data = sample_blob(&len);

    (void)state;
    build(&g, 16, 16);
    assert_int_equal(topo_graph_restore(&g, data, len), 0);
    assert_int_equal(told.n, 0);
    assert_int_equal(px_hmap_count(&g.links), 2);
    assert_int_equal(px_hmap_count(&g.hosts), 2);
    PX_HMAP_FOR_EACH (l, node, &g.links) {
        assert_true(l->link.since == l->link.last_seen);
        assert_true(l->link.since == 1.0 || l->link.since == 1.5);
    }
    PX_HMAP_FOR_EACH (h, node, &g.hosts) {
        if (!memcmp(h->host.mac, mac_a, 6)) {
            assert_int_equal(h->host.n_ipv4, 1);
            assert_int_equal(h->host.ipv4[0], 0x0a000001);
            assert_int_equal(h->host.n_ipv6, 1);
            assert_int_equal(h->host.ipv6[0][15], 7);
            assert_true(h->host.first_seen == 2.0);
            assert_int_equal(h->host.at.port_no, 1);
        } else {
            assert_int_equal(h->host.at.dpid, 2);
        }
    }
    /* The links' ports count them, so that a host cannot be learned
     * there. */
    assert_int_equal(topo_host_seen(&g, mac_b, pt(1, 2), 0, NULL, 9.0),
                     EINVAL);
    topo_graph_destroy(&g);

    /* Into a graph that lost switch 2: what was at its ports is left out. */
    build(&g, 16, 16);
    topo_switch_down(&g, 2);
    told.n = 0;
    assert_int_equal(topo_graph_restore(&g, data, len), 0);
    assert_int_equal(px_hmap_count(&g.links), 0);
    assert_int_equal(px_hmap_count(&g.hosts), 1);
    topo_graph_destroy(&g);

    blob_check_truncations(data, len, read_blob);
    blob_check_flips(data, len, read_blob);
    free(data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links),   cmocka_unit_test(test_switch_up_again),
        cmocka_unit_test(test_hosts),   cmocka_unit_test(test_link_bound),
        cmocka_unit_test(test_handoff),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
