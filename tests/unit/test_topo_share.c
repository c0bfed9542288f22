/*
 * Unit tests of the topology plugin in a cluster
 * (plugins/topology/topo_share.c): a snapshot of a graph encoded and
 * parsed back; the size bound and what it leaves out; snapshots the
 * parser refuses, whole, and every truncation and byte flip of a good
 * one; the remote store (one snapshot per instance replacing the last,
 * the bounds and their counters, expiry); and the view of the graph and
 * the store together (each link and host once, who found it, hosts where
 * they were seen last, none at a link's end), which without any other
 * instance is the graph exactly.
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

#include "blobcheck.h"
#include "plexus/topics/cluster.h"
#include "topo_graph.h"
#include "topo_share.h"

/* Three switches, each with ports 1 to 4 up. */
static void
build(struct topo_graph *g, size_t max_links, size_t max_hosts)
{
    struct topo_graph_cb cb = {NULL, NULL, NULL};
    struct px_of_port ports[4];
    uint64_t d;
    size_t i;

    memset(ports, 0, sizeof ports);
    for (i = 0; i < 4; i++) {
        ports[i].port_no = (uint32_t)(i + 1);
    }
    topo_graph_init(g, max_links, max_hosts, &cb);
    for (d = 1; d <= 3; d++) {
        assert_int_equal(topo_switch_up(g, d, PX_OF_VERSION_13, ports, 4), 0);
    }
}

static struct px_topo_port
pt(uint64_t dpid, uint32_t port)
{
    struct px_topo_port p = {dpid, port};

    return p;
}

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0xa};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0xb};
static const uint8_t mac_c[6] = {0x02, 0, 0, 0, 0, 0xc};

/* A graph with 1:2 <-> 2:1 (found at 10 and 10.5), host A at 1:1 with an
 * address of each family (seen last at 20), host B at 3:4 (at 19). */
static void
sample_graph(struct topo_graph *g)
{
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};

    build(g, 64, 64);
    assert_int_equal(topo_link_seen(g, pt(1, 2), pt(2, 1), 10.0), 0);
    assert_int_equal(topo_link_seen(g, pt(2, 1), pt(1, 2), 10.5), 0);
    assert_int_equal(topo_host_seen(g, mac_a, pt(1, 1), 0x0a000001, v6, 20.0),
                     0);
    assert_int_equal(topo_host_seen(g, mac_b, pt(3, 4), 0, NULL, 19.0), 0);
}

static char *
sample_snapshot(size_t *len, bool ask)
{
    struct topo_graph g;
    struct topo_share_snap snap;
    size_t left_out;
    char *data;

    sample_graph(&g);
    assert_int_equal(topo_share_snap_from_graph(&g, 25.0, ask, &snap), 0);
    assert_int_equal(
        topo_share_encode(&snap, PX_CLUSTER_EVENT_MAX, &data, len, &left_out),
        0);
    assert_int_equal(left_out, 0);
    assert_int_equal(strlen(data), *len);
    topo_share_snap_clear(&snap);
    topo_graph_destroy(&g);
    return data;
}

static const struct px_topo_link *
find_link(const struct px_topo_link *links, size_t n, struct px_topo_port src)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (links[i].src.dpid == src.dpid &&
            links[i].src.port_no == src.port_no) {
            return &links[i];
        }
    }
    return NULL;
}

static const struct px_topo_host *
find_host(const struct px_topo_host *hosts, size_t n, const uint8_t *mac)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!memcmp(hosts[i].mac, mac, 6)) {
            return &hosts[i];
        }
    }
    return NULL;
}

static void
test_round_trip(void **state)
{
    struct topo_share_snap snap;
    const struct px_topo_link *k;
    const struct px_topo_host *h;
    const char *why = "";
    size_t len;
    char *data = sample_snapshot(&len, false);

    (void)state;
    /* Compact, hex datapath ids without leading zeros, milliseconds. */
    assert_non_null(strstr(data, "[\"1\",2,\"2\",1,15000]"));
    assert_null(strstr(data, "ask"));
    assert_null(strchr(data, ' '));
    assert_int_equal(topo_share_parse(data, len, 64, 64, &snap, &why), 0);
    assert_null(why);
    assert_false(snap.ask);
    assert_int_equal(snap.n_links, 2);
    assert_int_equal(snap.n_hosts, 2);
    assert_int_equal(snap.left_out, 0);
    /* Times relative to the snapshot. */
    k = find_link(snap.links, snap.n_links, pt(2, 1));
    assert_non_null(k);
    assert_int_equal(k->dst.dpid, 1);
    assert_int_equal(k->dst.port_no, 2);
    assert_true(k->since == -14.5);
    assert_true(k->last_seen == 0);
    h = find_host(snap.hosts, snap.n_hosts, mac_a);
    assert_non_null(h);
    assert_int_equal(h->at.dpid, 1);
    assert_int_equal(h->at.port_no, 1);
    assert_true(h->last_seen == -5.0);
    assert_int_equal(h->n_ipv4, 1);
    assert_int_equal(h->ipv4[0], 0x0a000001);
    assert_int_equal(h->n_ipv6, 1);
    assert_int_equal(h->ipv6[0][0], 0x20);
    assert_int_equal(h->ipv6[0][15], 7);
    h = find_host(snap.hosts, snap.n_hosts, mac_b);
    assert_non_null(h);
    assert_int_equal(h->n_ipv4 + h->n_ipv6, 0);
    assert_true(h->last_seen == -6.0);

    /* Encoded again: the same bytes (the snapshot's order is kept). */
    {
        char *again;
        size_t len2, left_out;

        assert_int_equal(topo_share_encode(&snap, PX_CLUSTER_EVENT_MAX, &again,
                                           &len2, &left_out),
                         0);
        assert_int_equal(len2, len);
        assert_memory_equal(again, data, len);
        free(again);
    }
    topo_share_snap_clear(&snap);
    topo_share_snap_clear(NULL);
    free(data);

    /* "ask" goes along. */
    data = sample_snapshot(&len, true);
    assert_non_null(strstr(data, "\"ask\":true"));
    assert_int_equal(topo_share_parse(data, len, 64, 64, &snap, &why), 0);
    assert_true(snap.ask);
    topo_share_snap_clear(&snap);

    /* The parser's limits: the first ones kept, the others counted. */
    assert_int_equal(topo_share_parse(data, len, 1, 0, &snap, &why), 0);
    assert_int_equal(snap.n_links, 1);
    assert_int_equal(snap.n_hosts, 0);
    assert_int_equal(snap.left_out, 3);
    topo_share_snap_clear(&snap);
    free(data);
}

static void
test_encode_bound(void **state)
{
    struct topo_graph g;
    struct topo_share_snap snap, back;
    const char *why;
    size_t len, left_out, n_links = 0;
    char *data;
    uint64_t a, b;

    (void)state;
    build(&g, 64, 64);
    for (a = 1; a <= 3; a++) {
        for (b = 1; b <= 3; b++) {
            if (a != b) {
                assert_int_equal(topo_link_seen(&g, pt(a, (uint32_t)b),
                                                pt(b, (uint32_t)a), 1.0),
                                 0);
                n_links++;
            }
        }
    }
    assert_int_equal(topo_host_seen(&g, mac_c, pt(1, 4), 0, NULL, 1.0), 0);
    assert_int_equal(topo_share_snap_from_graph(&g, 2.0, false, &snap), 0);
    /* Room for the envelope and two links. */
    assert_int_equal(topo_share_encode(&snap, 80, &data, &len, &left_out), 0);
    assert_true(len <= 80);
    assert_int_equal(topo_share_parse(data, len, 64, 64, &back, &why), 0);
    assert_true(back.n_links >= 1);
    assert_int_equal(back.n_links + back.n_hosts + left_out, n_links + 1);
    topo_share_snap_clear(&back);
    free(data);
    /* No room for any entry: the envelope alone. */
    assert_int_equal(topo_share_encode(&snap, 10, &data, &len, &left_out), 0);
    assert_string_equal(data, "{\"v\":1,\"links\":[],\"hosts\":[]}");
    assert_int_equal(left_out, n_links + 1);
    free(data);
    topo_share_snap_clear(&snap);
    topo_graph_destroy(&g);
}

static void
test_parse_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"v\":1,\"links\":[]}",
        "{\"v\":2,\"links\":[],\"hosts\":[]}",
        "{\"v\":\"1\",\"links\":[],\"hosts\":[]}",
        "{\"v\":1,\"ask\":1,\"links\":[],\"hosts\":[]}",
        "{\"v\":1,\"links\":{},\"hosts\":[]}",
        "{\"v\":1,\"v\":1,\"links\":[],\"hosts\":[]}",
        "{\"v\":1,\"links\":[],\"hosts\":[]} x",
        /* Links. */
        "{\"v\":1,\"links\":[[\"1\",1,\"2\",1]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"1\",1,\"2\",1,0,0]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"\",1,\"2\",1,0]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"0x1\",1,\"2\",1,0]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"12345678901234567\",1,\"2\",1,0]],"
        "\"hosts\":[]}",
        "{\"v\":1,\"links\":[[1,1,\"2\",1,0]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"1\",0,\"2\",1,0]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"1\",4294967041,\"2\",1,0]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"1\",1.5,\"2\",1,0]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"1\",1,\"1\",1,0]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"1\",1,\"2\",1,-1]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"1\",1,\"2\",1,315360000001]],\"hosts\":[]}",
        "{\"v\":1,\"links\":[[\"1\",1,\"2\",1,0.5]],\"hosts\":[]}",
        /* One bad link among good ones refuses all. */
        "{\"v\":1,\"links\":[[\"1\",1,\"2\",1,0],[\"1\",1,\"2\",1,0],"
        "[\"1\",1,\"2\"]],\"hosts\":[]}",
        /* Hosts. */
        "{\"v\":1,\"links\":[],\"hosts\":[[\"02:00:00:00:00:0a\",\"1\",1,0]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"03:00:00:00:00:0a\",\"1\",1,0,"
        "[]]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"00:00:00:00:00:00\",\"1\",1,0,"
        "[]]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"02-00-00-00-00-0a\",\"1\",1,0,"
        "[]]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"02:00:00:00:00:0g\",\"1\",1,0,"
        "[]]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"02:00:00:00:00:0a\",\"1\",1,0,"
        "\"10.0.0.1\"]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"02:00:00:00:00:0a\",\"1\",1,0,"
        "[\"10.0.0.256\"]]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"02:00:00:00:00:0a\",\"1\",1,0,"
        "[1]]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"02:00:00:00:00:0a\",\"1\",1,0,"
        "[\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\",\"1.1.1.5\"]]]}",
        "{\"v\":1,\"links\":[],\"hosts\":[[\"02:00:00:00:00:0a\",\"1\",1,0,"
        "[\"::1\",\"::2\",\"::3\",\"::4\",\"::5\"]]]}",
    };
    struct topo_share_snap snap;
    const char *why;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (topo_share_parse(bad[i], strlen(bad[i]), 64, 64, &snap, &why) !=
            EPROTO) {
            fail_msg("not refused: %s", bad[i]);
        }
        assert_non_null(why);
        assert_int_equal(snap.n_links + snap.n_hosts, 0);
        assert_null(snap.links);
        assert_null(snap.hosts);
    }
    /* Over the size of a shared event, whatever it holds. */
    {
        char *big = malloc(PX_CLUSTER_EVENT_MAX + 1);

        memset(big, ' ', PX_CLUSTER_EVENT_MAX + 1);
        memcpy(big, "{\"v\":1,\"links\":[],\"hosts\":[]}", 29);
        assert_int_equal(topo_share_parse(big, PX_CLUSTER_EVENT_MAX + 1, 64,
                                          64, &snap, &why),
                         EPROTO);
        assert_int_equal(
            topo_share_parse(big, PX_CLUSTER_EVENT_MAX, 64, 64, &snap, &why),
            0);
        topo_share_snap_clear(&snap);
        free(big);
    }
    /* What a later format may add is ignored; upper-case hex, both IP
     * families at their bound. */
    {
        static const char good[] =
            "{\"v\":1,\"from\":\"later\",\"links\":[[\"FfFf\",1,\"2\",4,0]],"
            "\"hosts\":[[\"02:00:00:00:00:0A\",\"ffffffffffffffff\","
            "4294967040,"
            "7,[\"1.1.1.1\",\"::1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\","
            "\"fe80::1\",\"::2\",\"::3\"]]],\"ask\":false}";

        assert_int_equal(
            topo_share_parse(good, strlen(good), 64, 64, &snap, &why), 0);
        assert_int_equal(snap.links[0].src.dpid, 0xffff);
        assert_int_equal(snap.hosts[0].at.dpid, UINT64_MAX);
        assert_int_equal(snap.hosts[0].at.port_no, PX_OF_PORT_MAX);
        assert_int_equal(snap.hosts[0].mac[5], 0xa);
        assert_int_equal(snap.hosts[0].n_ipv4, 4);
        assert_int_equal(snap.hosts[0].n_ipv6, 4);
        assert_true(snap.hosts[0].last_seen == -0.007);
        topo_share_snap_clear(&snap);
    }
}

/* blob_reader over the parser: a refused snapshot leaves nothing. */
static int
read_snapshot(const uint8_t *data, size_t len)
{
    struct topo_share_snap snap;
    uint8_t *copy = malloc(len ? len : 1);
    const char *why;
    int error;

    memcpy(copy, data, len);
    error = topo_share_parse(copy, len, 64, 64, &snap, &why);
    if (error) {
        assert_non_null(why);
        assert_null(snap.links);
        assert_null(snap.hosts);
    }
    topo_share_snap_clear(&snap);
    free(copy);
    return error;
}

static void
test_parse_corrupted(void **state)
{
    size_t len;
    char *data = sample_snapshot(&len, true);

    (void)state;
    blob_check_truncations((const uint8_t *)data, len, read_snapshot);
    blob_check_flips((const uint8_t *)data, len, read_snapshot);
    free(data);
}

/* A snapshot of 'n' links n:1 -> n+1:1 ... made by hand, and 'n_hosts'
 * hosts, each 'age' seconds old. */
static void
make_snap(struct topo_share_snap *snap, size_t n_links, size_t n_hosts,
          double age)
{
    size_t i;

    memset(snap, 0, sizeof *snap);
    snap->links = calloc(n_links + 1, sizeof *snap->links);
    snap->hosts = calloc(n_hosts + 1, sizeof *snap->hosts);
    for (i = 0; i < n_links; i++) {
        snap->links[i].src = pt(i + 1, 1);
        snap->links[i].dst = pt(i + 2, 2);
        snap->links[i].since = -age;
    }
    for (i = 0; i < n_hosts; i++) {
        snap->hosts[i].mac[0] = 2;
        snap->hosts[i].mac[5] = (uint8_t)(i + 1);
        snap->hosts[i].at = pt(i + 1, 3);
        snap->hosts[i].first_seen = snap->hosts[i].last_seen = -age;
    }
    snap->n_links = n_links;
    snap->n_hosts = n_hosts;
}

/* What on_link was told: "+b 1:1" for a link from 1:1 that "b" found,
 * "-b 1:1" for one it lost. */
static char changes[16][32];
static size_t n_changes;

static void
on_link(void *arg, const char *origin, bool up, const struct px_topo_link *l)
{
    (void)arg;
    assert_true(n_changes < 16);
    snprintf(changes[n_changes++], sizeof changes[0], "%c%s %d:%d",
             up ? '+' : '-', origin, (int)l->src.dpid, (int)l->src.port_no);
}

static const char *gone_ids[8];
static size_t n_gone;

static void
on_gone(void *arg, const struct topo_origin *o)
{
    (void)arg;
    assert_true(n_gone < 8);
    gone_ids[n_gone++] = o->id;
}

static void
test_remote(void **state)
{
    struct topo_remote r;
    struct topo_share_snap snap;
    bool is_new = false;

    (void)state;
    topo_remote_init(&r, 2, 5, 3);
    r.on_link = on_link;
    n_changes = 0;
    make_snap(&snap, 3, 2, 1.0);
    assert_int_equal(topo_remote_update(&r, "b", &snap, 100.0, &is_new), 0);
    assert_true(is_new);
    assert_int_equal(n_changes, 3);
    assert_string_equal(changes[0], "+b 1:1");
    assert_string_equal(changes[2], "+b 3:1");
    assert_null(snap.links); /* Taken. */
    assert_int_equal(r.n_origins, 1);
    assert_int_equal(r.n_links, 3);
    assert_int_equal(r.n_hosts, 2);
    /* Times made absolute. */
    assert_true(r.origins[0].links[0].since == 99.0);
    assert_true(r.origins[0].links[0].last_seen == 100.0);
    assert_true(r.origins[0].hosts[1].last_seen == 99.0);
    assert_true(r.origins[0].received == 100.0);

    /* A second origin, cut to the room the first leaves. */
    make_snap(&snap, 4, 2, 0);
    assert_int_equal(topo_remote_update(&r, "a", &snap, 101.0, &is_new), 0);
    assert_true(is_new);
    assert_int_equal(r.n_origins, 2);
    assert_string_equal(r.origins[0].id, "a"); /* Sorted. */
    assert_int_equal(r.origins[0].n_links, 2);
    assert_int_equal(r.origins[0].n_hosts, 1);
    assert_int_equal(r.n_links, 5);
    assert_int_equal(r.n_hosts, 3);
    assert_int_equal(r.links_dropped, 2);
    assert_int_equal(r.hosts_dropped, 1);

    /* "b" again replaces what it said: fewer links, room for "a" next;
     * the two it no longer has are told, the one it still has not. */
    n_changes = 0;
    make_snap(&snap, 1, 0, 0);
    assert_int_equal(topo_remote_update(&r, "b", &snap, 102.0, &is_new), 0);
    assert_false(is_new);
    assert_int_equal(n_changes, 2);
    assert_string_equal(changes[0], "-b 2:1");
    assert_string_equal(changes[1], "-b 3:1");
    assert_int_equal(r.n_links, 3);
    assert_int_equal(r.n_hosts, 1);
    make_snap(&snap, 4, 2, 0);
    assert_int_equal(topo_remote_update(&r, "a", &snap, 103.0, NULL), 0);
    assert_int_equal(r.origins[0].n_links, 4);
    assert_int_equal(r.origins[0].n_hosts, 2);
    assert_int_equal(r.n_links, 5);

    /* A third origin: no room (max_origins); a bad id. */
    make_snap(&snap, 1, 1, 0);
    assert_int_equal(topo_remote_update(&r, "c", &snap, 103.0, &is_new),
                     ENOSPC);
    assert_null(snap.links);
    assert_int_equal(r.refused, 1);
    make_snap(&snap, 1, 1, 0);
    assert_int_equal(topo_remote_update(&r, "no spaces", &snap, 103.0, NULL),
                     EINVAL);
    assert_null(snap.links);
    assert_false(topo_origin_valid(""));
    assert_false(topo_origin_valid(NULL));
    assert_true(topo_origin_valid("plexus-1.b_2"));
    {
        char longest[TOPO_ORIGIN_MAX + 2];

        memset(longest, 'x', sizeof longest);
        longest[TOPO_ORIGIN_MAX] = '\0';
        assert_true(topo_origin_valid(longest));
        longest[TOPO_ORIGIN_MAX] = 'x';
        longest[TOPO_ORIGIN_MAX + 1] = '\0';
        assert_false(topo_origin_valid(longest));
    }

    /* Expiry: "b" (at 102) goes after a timeout of 10 at 112.5, "a" (at
     * 103) stays until past 113. */
    n_gone = 0;
    assert_int_equal(topo_remote_expire(&r, 112.0, 10.0, on_gone, NULL), 0);
    assert_int_equal(topo_remote_expire(&r, 112.5, 10.0, on_gone, NULL), 1);
    assert_int_equal(n_gone, 1);
    assert_int_equal(r.n_origins, 1);
    assert_string_equal(r.origins[0].id, "a");
    assert_int_equal(r.n_links, 4);
    assert_int_equal(r.n_hosts, 2);
    /* Now "c" has room. */
    make_snap(&snap, 1, 0, 0);
    assert_int_equal(topo_remote_update(&r, "c", &snap, 113.0, NULL), 0);
    assert_int_equal(topo_remote_expire(&r, 200.0, 10.0, NULL, NULL), 2);
    assert_int_equal(r.n_origins + r.n_links + r.n_hosts, 0);
    topo_remote_destroy(&r);
    topo_remote_destroy(NULL);
}

/* Gives 'origin' a snapshot of the links and hosts listed, all 'age' old,
 * at 'now'. */
static void
say(struct topo_remote *r, const char *origin, double now,
    const struct px_topo_link *links, size_t n_links,
    const struct px_topo_host *hosts, size_t n_hosts)
{
    struct topo_share_snap snap;

    memset(&snap, 0, sizeof snap);
    snap.links = calloc(n_links + 1, sizeof *snap.links);
    snap.hosts = calloc(n_hosts + 1, sizeof *snap.hosts);
    memcpy(snap.links, links, n_links * sizeof *links);
    memcpy(snap.hosts, hosts, n_hosts * sizeof *hosts);
    snap.n_links = n_links;
    snap.n_hosts = n_hosts;
    assert_int_equal(topo_remote_update(r, origin, &snap, now, NULL), 0);
}

static void
test_view(void **state)
{
    struct topo_graph g;
    struct topo_remote r;
    struct topo_view v;
    struct topo_link *l;
    struct topo_host *h;
    size_t i;

    (void)state;
    /* No other instance: the view is the graph, sorted. */
    sample_graph(&g);
    topo_remote_init(&r, 8, 64, 64);
    assert_int_equal(topo_view_build(&g, &r, &v), 0);
    assert_int_equal(v.n_links, px_hmap_count(&g.links));
    assert_int_equal(v.n_hosts, px_hmap_count(&g.hosts));
    assert_int_equal(v.links[0].link.src.dpid, 1);
    assert_int_equal(v.links[1].link.src.dpid, 2);
    PX_HMAP_FOR_EACH (l, node, &g.links) {
        const struct topo_view_link *x =
            &v.links[l->link.src.dpid == 1 ? 0 : 1];

        assert_memory_equal(&x->link, &l->link, sizeof l->link);
        assert_null(x->found_by);
    }
    PX_HMAP_FOR_EACH (h, node, &g.hosts) {
        const struct topo_view_host *x =
            &v.hosts[!memcmp(h->host.mac, mac_a, 6) ? 0 : 1];

        assert_memory_equal(&x->host, &h->host, sizeof h->host);
        assert_null(x->found_by);
    }
    topo_view_destroy(&v);
    topo_view_destroy(NULL);

    /* "c" and "b" found 2:2 -> 3:1, "b" also our 1:2 -> 2:1; host A was
     * seen at 3:3 by "b" later than here (at 1:1), host B at 3:4 by "c"
     * earlier than here; host C at 3:1, an end of a link "b" found. */
    {
        struct px_topo_link b_links[2] = {
            {.src = pt(1, 2), .dst = pt(2, 1), .since = -50},
            {.src = pt(2, 2), .dst = pt(3, 1), .since = -5},
        };
        struct px_topo_link c_links[1] = {
            {.src = pt(2, 2), .dst = pt(3, 1), .since = -6},
        };
        struct px_topo_host b_hosts[2], c_hosts[1];

        memset(b_hosts, 0, sizeof b_hosts);
        memset(c_hosts, 0, sizeof c_hosts);
        memcpy(b_hosts[0].mac, mac_a, 6);
        b_hosts[0].at = pt(3, 3);
        b_hosts[0].last_seen = -1; /* At 29, after 20. */
        memcpy(b_hosts[1].mac, mac_c, 6);
        b_hosts[1].at = pt(3, 1);
        memcpy(c_hosts[0].mac, mac_b, 6);
        c_hosts[0].at = pt(2, 4);
        c_hosts[0].last_seen = -12; /* At 18, before 19. */
        say(&r, "c", 30.0, c_links, 1, c_hosts, 1);
        say(&r, "b", 30.0, b_links, 2, b_hosts, 2);
    }
    assert_int_equal(topo_view_build(&g, &r, &v), 0);
    assert_int_equal(v.n_links, 3);
    assert_int_equal(v.links[0].link.src.dpid, 1); /* Ours, once. */
    assert_null(v.links[0].found_by);
    assert_true(v.links[0].link.since == 10.0);
    assert_int_equal(v.links[1].link.src.dpid, 2);
    assert_int_equal(v.links[1].link.src.port_no, 1);
    assert_null(v.links[1].found_by);
    assert_int_equal(v.links[2].link.src.port_no, 2); /* "b" before "c". */
    assert_string_equal(v.links[2].found_by, "b");
    assert_true(v.links[2].link.since == 25.0);
    assert_int_equal(v.n_hosts, 2);
    for (i = 0; i < v.n_hosts; i++) {
        const struct topo_view_host *x = &v.hosts[i];

        if (!memcmp(x->host.mac, mac_a, 6)) {
            assert_string_equal(x->found_by, "b");
            assert_int_equal(x->host.at.dpid, 3);
            assert_int_equal(x->host.at.port_no, 3);
        } else {
            assert_memory_equal(x->host.mac, mac_b, 6);
            assert_null(x->found_by);
            assert_int_equal(x->host.at.port_no, 4);
        }
    }
    assert_memory_equal(v.hosts[0].host.mac, mac_a, 6); /* Sorted. */
    topo_view_destroy(&v);

    /* Without a graph, or anything. */
    assert_int_equal(topo_view_build(NULL, &r, &v), 0);
    assert_int_equal(v.n_links, 2);
    assert_string_equal(v.links[0].found_by, "b");
    topo_view_destroy(&v);
    assert_int_equal(topo_view_build(NULL, NULL, &v), 0);
    assert_int_equal(v.n_links + v.n_hosts, 0);
    topo_view_destroy(&v);
    topo_remote_destroy(&r);
    topo_graph_destroy(&g);
}

/* A snapshot parsed by one instance and kept in its store is what the
 * other's graph holds: the way the plugin uses these parts. */
static void
test_between_instances(void **state)
{
    struct topo_share_snap snap;
    struct topo_remote r;
    struct topo_view v;
    const char *why;
    size_t len;
    char *data = sample_snapshot(&len, false); /* Made at 25. */

    (void)state;
    topo_remote_init(&r, 8, 64, 64);
    assert_int_equal(topo_share_parse(data, len, 64, 64, &snap, &why), 0);
    assert_int_equal(topo_remote_update(&r, "x", &snap, 1025.0, NULL), 0);
    assert_int_equal(topo_view_build(NULL, &r, &v), 0);
    assert_int_equal(v.n_links, 2);
    assert_int_equal(v.n_hosts, 2);
    /* Found at 10 there, 15 s before the snapshot: 1010 here. */
    assert_true(v.links[0].link.since == 1010.0);
    assert_string_equal(v.links[0].found_by, "x");
    assert_true(v.hosts[0].host.last_seen == 1020.0);
    topo_view_destroy(&v);
    topo_remote_destroy(&r);
    free(data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_bound),
        cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_parse_corrupted),
        cmocka_unit_test(test_remote),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_between_instances),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
