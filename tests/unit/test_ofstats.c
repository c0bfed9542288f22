/*
 * Unit tests for the openflow plugin's per-switch counters
 * (plugins/openflow/swstats.c): records found and created by datapath id,
 * per-port counts up to their bound, eviction of the record that
 * disconnected longest ago (and refusal when every switch is connected),
 * disconnects counted by the SDK's close reasons, and the handoff blob: a
 * round trip, the older versions' blobs (refused), and every truncation
 * and single-byte corruption of a valid blob, which must be refused or
 * restored without a memory error (run under ASan).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plexus/topics/openflow.h"
#include "swstats.h"

/* The blob layout (see swstats.c), for the targeted corruptions below:
 * version 4.  Version 3 had three refusal counts per record, not four;
 * versions 1 and 2 ended their header after handshake_failures and
 * requests_malformed, and had five disconnect counts per record (version
 * 1 no refusal counts either). */
#define HEADER_LEN      80
#define RECORD_LEN      280
#define PORT_LEN        40
#define REC_CONNECTED   9
#define REC_PAD         10
#define REC_N_PORTS     12
#define REC_SINCE       16
#define REC_SEQ         24
#define REC_PEER        32
#define REC_DISCONNECTS 144
#define REC_UNTRACKED   240
#define REC_REFUSED     248
#define HDR_N_RECORDS   8
#define HDR_SEQ         16
#define PORT_PAD        4

static struct of_switch_stats *
get_ok(struct of_stats *s, uint64_t dpid)
{
    struct of_switch_stats *sw = NULL;

    assert_int_equal(of_stats_get(s, dpid, &sw), 0);
    assert_non_null(sw);
    assert_int_equal(sw->dpid, dpid);
    return sw;
}

static void
test_create_find(void **state)
{
    struct of_stats *s = of_stats_create(4);
    struct of_switch_stats *a, *b;

    (void)state;
    assert_non_null(s);
    assert_null(of_stats_find(s, 1));
    a = get_ok(s, 1);
    b = get_ok(s, 0xfedcba9876543210ull);
    assert_ptr_not_equal(a, b);
    assert_ptr_equal(of_stats_find(s, 1), a);
    assert_ptr_equal(of_stats_find(s, 0xfedcba9876543210ull), b);
    assert_ptr_equal(get_ok(s, 1), a);
    assert_int_equal(s->n, 2);
    assert_null(of_stats_find(s, 2));

    /* A new record is zero and disconnected. */
    assert_int_equal(a->connected, 0);
    assert_int_equal(a->total.packet_ins, 0);
    assert_int_equal(a->n_ports, 0);

    of_stats_connected(a, PX_OF_VERSION_13, "10.0.0.1:40000", 1000.5);
    assert_int_equal(a->connected, 1);
    assert_string_equal(a->peer, "10.0.0.1:40000");
    assert_int_equal(a->version, PX_OF_VERSION_13);
    assert_true(a->connected_since == 1000.5);

    /* A peer longer than the field is cut, still terminated. */
    of_stats_connected(b, PX_OF_VERSION_10,
                       "0123456789012345678901234567890123456789"
                       "0123456789012345678901234567890123456789",
                       1.0);
    assert_int_equal(strlen(b->peer), sizeof b->peer - 1);

    {
        struct of_counts c = {1, 2, 3, 4, 5, 6, {7, 8, 9, 10}};

        of_stats_add(a, &c);
        of_stats_add(a, &c);
        assert_int_equal(a->total.packet_ins, 2);
        assert_int_equal(a->total.packet_outs, 4);
        assert_int_equal(a->total.flow_mods, 6);
        assert_int_equal(a->total.rx_bytes, 8);
        assert_int_equal(a->total.tx_bytes, 10);
        assert_int_equal(a->total.out_drops, 12);
        assert_int_equal(a->total.refused[OF_REFUSED_MALFORMED], 14);
        assert_int_equal(a->total.refused[OF_REFUSED_UNSUPPORTED], 16);
        assert_int_equal(a->total.refused[OF_REFUSED_OUTPUT_FULL], 18);
        assert_int_equal(a->total.refused[OF_REFUSED_ROLE], 20);
    }
    assert_string_equal(of_stats_refusal_name(OF_REFUSED_MALFORMED),
                        "malformed");
    assert_string_equal(of_stats_refusal_name(OF_REFUSED_UNSUPPORTED),
                        "unsupported");
    assert_string_equal(of_stats_refusal_name(OF_REFUSED_OUTPUT_FULL),
                        "output_full");
    assert_string_equal(of_stats_refusal_name(OF_REFUSED_ROLE), "role");
    assert_string_equal(of_stats_refusal_name(OF_N_REFUSALS), "other");

    of_stats_disconnected(s, a, PX_CONN_PEER_CLOSED);
    assert_int_equal(a->connected, 0);
    assert_int_equal(a->disconnects[PX_CONN_PEER_CLOSED], 1);
    /* Counting a refused duplicate on a record leaves it as it was. */
    of_stats_disconnected(s, b, PX_CONN_DUPLICATE);
    assert_int_equal(b->disconnects[PX_CONN_DUPLICATE], 1);
    of_stats_destroy(s);
    of_stats_destroy(NULL);
}

/* Special ports first, then ordinary ones, so the table grows with
 * counts in it. */
static uint32_t
nth_port(uint32_t i)
{
    static const uint32_t specials[] = {
        PX_OF_PORT_IN_PORT, PX_OF_PORT_TABLE, PX_OF_PORT_NORMAL,
        PX_OF_PORT_FLOOD,   PX_OF_PORT_ALL,   PX_OF_PORT_CONTROLLER,
        PX_OF_PORT_LOCAL,   PX_OF_PORT_ANY,
    };
    const uint32_t n = sizeof specials / sizeof specials[0];

    return i < n ? specials[i] : i - n + 1;
}

static void
test_ports(void **state)
{
    struct of_stats *s = of_stats_create(1);
    struct of_switch_stats *sw = get_ok(s, 7);
    struct of_port_stats *sorted;
    struct of_port_stats *ps;
    uint32_t i;

    (void)state;
    for (i = 0; i < OF_STATS_MAX_PORTS; i++) {
        ps = of_stats_port(sw, nth_port(i));
        assert_non_null(ps);
        assert_int_equal(ps->port_no, nth_port(i));
        ps->packet_ins += i + 1;
        ps = of_stats_port(sw, nth_port(i));
        ps->packet_outs += 2 * (i + 1);
    }
    assert_int_equal(sw->n_ports, OF_STATS_MAX_PORTS);
    assert_int_equal(sw->ports_untracked, 0);

    /* Counts survived every growth of the table. */
    for (i = 0; i < OF_STATS_MAX_PORTS; i++) {
        ps = of_stats_port(sw, nth_port(i));
        assert_non_null(ps);
        assert_int_equal(ps->packet_ins, i + 1);
        assert_int_equal(ps->packet_outs, 2 * (i + 1));
    }

    /* Beyond the bound: counted, not tracked; known ports still are. */
    assert_null(of_stats_port(sw, 5000));
    assert_null(of_stats_port(sw, 5001));
    assert_int_equal(sw->ports_untracked, 2);
    assert_int_equal(sw->n_ports, OF_STATS_MAX_PORTS);
    assert_non_null(of_stats_port(sw, 1));
    assert_int_equal(sw->ports_untracked, 2);

    /* Registering a port: a no-op when known, refused without a count at
     * the bound. */
    assert_int_equal(of_stats_port_register(sw, 1, NULL), 0);
    assert_int_equal(of_stats_port(sw, 1)->packet_ins, 9);
    assert_int_equal(of_stats_port_register(sw, 5002, NULL), ENOSPC);
    assert_int_equal(sw->ports_untracked, 2);

    sorted = calloc(sw->n_ports, sizeof *sorted);
    assert_non_null(sorted);
    of_stats_ports_sorted(sw, sorted);
    for (i = 1; i < sw->n_ports; i++) {
        assert_true(sorted[i - 1].port_no < sorted[i].port_no);
    }
    assert_int_equal(sorted[0].port_no, 1);
    assert_int_equal(sorted[0].packet_ins, 9);
    assert_int_equal(sorted[0].packet_outs, 18);
    assert_int_equal(sorted[sw->n_ports - 1].port_no, PX_OF_PORT_ANY);
    free(sorted);

    /* An empty table sorts to nothing. */
    of_stats_set_max(s, 2);
    sw = get_ok(s, 8);
    of_stats_ports_sorted(sw, NULL);

    /* A registered port starts from zero. */
    assert_int_equal(of_stats_port_register(sw, 3, NULL), 0);
    assert_int_equal(sw->n_ports, 1);
    ps = of_stats_port(sw, 3);
    assert_int_equal(ps->packet_ins + ps->packet_outs, 0);
    assert_int_equal(sw->n_ports, 1);
    of_stats_destroy(s);
}

static void
test_evict(void **state)
{
    struct of_stats *s = of_stats_create(3);
    struct of_switch_stats *sw[4], *out = NULL;
    int i;

    (void)state;
    for (i = 0; i < 3; i++) {
        sw[i] = get_ok(s, 100 + i);
        of_stats_connected(sw[i], PX_OF_VERSION_10, "peer", i);
    }
    /* Full of connected switches: refused, nothing counted. */
    assert_int_equal(of_stats_get(s, 200, &out), ENOSPC);
    assert_int_equal(s->n, 3);
    assert_int_equal(s->switches_forgotten, 0);

    /* 101 disconnects first, then 100: 101 goes. */
    of_stats_disconnected(s, sw[1], PX_CONN_ECHO_TIMEOUT);
    of_stats_disconnected(s, sw[0], PX_CONN_OTHER);
    sw[3] = get_ok(s, 200);
    assert_int_equal(s->switches_forgotten, 1);
    assert_null(of_stats_find(s, 101));
    assert_ptr_equal(of_stats_find(s, 100), sw[0]);
    assert_ptr_equal(of_stats_find(s, 102), sw[2]);
    assert_ptr_equal(of_stats_find(s, 200), sw[3]);
    /* Order of creation is kept. */
    assert_ptr_equal(s->records[0], sw[0]);
    assert_ptr_equal(s->records[1], sw[2]);
    assert_ptr_equal(s->records[2], sw[3]);

    /* A reconnected switch is not evicted; a record that never connected
     * counts as disconnected before any other. */
    of_stats_connected(sw[0], PX_OF_VERSION_10, "peer", 9);
    assert_ptr_equal(get_ok(s, 200), sw[3]); /* Existing: no eviction. */
    assert_int_equal(s->switches_forgotten, 1);
    out = get_ok(s, 300); /* Evicts 200, which never connected. */
    assert_null(of_stats_find(s, 200));
    of_stats_connected(out, PX_OF_VERSION_13, "peer", 10);
    assert_int_equal(of_stats_get(s, 301, &out), ENOSPC);
    of_stats_disconnected(s, sw[2], PX_CONN_OTHER);
    get_ok(s, 301); /* Evicts 102. */
    assert_null(of_stats_find(s, 102));
    assert_int_equal(s->switches_forgotten, 3);

    /* A smaller bound trims disconnected records, oldest first, and keeps
     * connected ones even over the bound. */
    assert_int_equal(of_stats_set_max(s, 1), 0);
    assert_int_equal(s->n, 2); /* 100 and 300 are connected. */
    assert_int_equal(s->switches_forgotten, 4);
    assert_ptr_equal(s->records[0], sw[0]);
    assert_int_equal(of_stats_get(s, 400, &out), ENOSPC);
    assert_int_equal(of_stats_set_max(s, 100), 0);
    assert_int_equal(s->n, 2);
    get_ok(s, 400);
    of_stats_destroy(s);
}

/* Many insertions and evictions with scattered datapath ids: the index
 * must find every live record and none of the evicted ones. */
static void
test_evict_churn(void **state)
{
    enum { MAX = 37, ROUNDS = 20000 };
    struct of_stats *s = of_stats_create(MAX);
    uint64_t x = 88172645463325252ull;
    int i;

    (void)state;
    for (i = 0; i < ROUNDS; i++) {
        struct of_switch_stats *sw;
        uint64_t dpid;
        size_t j;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Small ids collide often in the index; some repeat. */
        dpid = i % 3 ? x % 200 : x;
        sw = get_ok(s, dpid);
        of_stats_connected(sw, PX_OF_VERSION_13, "p", i);
        of_stats_disconnected(s, sw, PX_CONN_PEER_CLOSED);
        assert_true(s->n <= MAX);
        if (i % 1000 == 0 || i == ROUNDS - 1) {
            for (j = 0; j < s->n; j++) {
                assert_ptr_equal(of_stats_find(s, s->records[j]->dpid),
                                 s->records[j]);
            }
        }
    }
    of_stats_destroy(s);
}

/* Ports below OF_STATS_LOW_PORTS are found by index and the others by the
 * map; both kinds are one entry each, listed once, and survive a round
 * trip through the handoff blob (whose restore adds them the same way). */
static void
test_low_and_high_ports(void **state)
{
    struct of_stats *s = of_stats_create(4), *r;
    struct of_switch_stats *sw;
    struct of_port_stats *low, *high, sorted[4];
    uint32_t nums[] = {0, OF_STATS_LOW_PORTS - 1, OF_STATS_LOW_PORTS,
                       0xfffffffbu};
    size_t i;
    void *blob;
    size_t len;

    (void)state;
    assert_int_equal(of_stats_get(s, 7, &sw), 0);
    for (i = 0; i < 4; i++) {
        low = of_stats_port(sw, nums[i]);
        assert_non_null(low);
        low->packet_ins = i + 1;
        assert_ptr_equal(of_stats_port(sw, nums[i]), low);
    }
    assert_int_equal(sw->n_ports, 4);
    high = of_stats_port(sw, OF_STATS_LOW_PORTS);
    assert_int_equal(high->packet_ins, 3);
    of_stats_ports_sorted(sw, sorted);
    for (i = 0; i < 4; i++) {
        assert_int_equal(sorted[i].port_no, nums[i]);
        assert_int_equal(sorted[i].packet_ins, i + 1);
    }
    assert_int_equal(of_stats_serialise(s, &blob, &len), 0);
    assert_int_equal(of_stats_restore(blob, len, 4, &r), 0);
    assert_int_equal(of_stats_get(r, 7, &sw), 0);
    for (i = 0; i < 4; i++) {
        assert_int_equal(of_stats_port(sw, nums[i])->packet_ins, i + 1);
    }
    assert_int_equal(sw->n_ports, 4);
    free(blob);
    of_stats_destroy(r);
    of_stats_destroy(s);
}

/* Disconnects are counted by the SDK's close reasons; the connection's own
 * "open" is never a disconnect and counts as "other". */
static void
test_disconnect_reasons(void **state)
{
    struct of_stats *s = of_stats_create(4);
    struct of_switch_stats *sw;

    (void)state;
    assert_int_equal(of_stats_get(s, 1, &sw), 0);
    of_stats_connected(sw, 1, "p", 1.0);
    of_stats_disconnected(s, sw, PX_CONN_TLS_FAILED);
    of_stats_connected(sw, 1, "p", 2.0);
    of_stats_disconnected(s, sw, PX_CONN_OPEN);
    of_stats_connected(sw, 1, "p", 3.0);
    of_stats_disconnected(s, sw, (enum px_conn_reason)99);
    assert_int_equal(sw->disconnects[PX_CONN_TLS_FAILED], 1);
    assert_int_equal(sw->disconnects[PX_CONN_OTHER], 2);
    assert_int_equal(sw->disconnects[PX_CONN_OPEN], 0);
    of_stats_destroy(s);
}

/* A set with a bit of everything. */
static struct of_stats *
sample_set(void)
{
    struct of_stats *s = of_stats_create(8);
    struct of_switch_stats *a, *b;
    uint32_t i;

    assert_non_null(s);
    s->connections_accepted = 11;
    s->connections_refused = 12;
    s->handshake_failures = 13;
    s->requests_unknown_dpid = 14;
    s->requests_malformed = 15;
    s->tls_failures = 16;
    a = get_ok(s, 0x0000000000000001ull);
    b = get_ok(s, 0xdeadbeefcafef00dull);
    get_ok(s, 42); /* Never connected, no ports. */
    of_stats_connected(a, PX_OF_VERSION_13, "127.0.0.1:5555", 1700000000.25);
    of_stats_connected(b, PX_OF_VERSION_10, "10.1.2.3:6000", 1700000100.0);
    of_stats_disconnected(s, b, PX_CONN_ECHO_TIMEOUT);
    of_stats_disconnected(s, b, PX_CONN_DUPLICATE);
    a->total =
        (struct of_counts){1000, 2000, 3000, 4000, 5000, 6000, {70, 80, 90}};
    b->total = (struct of_counts){1, 2, 3, 4, 5, 6, {7, 8, 9}};
    for (i = 0; i < 40; i++) {
        struct of_port_stats *ps = of_stats_port(a, i + 1);

        ps->packet_ins = 10 * i;
        ps->packet_outs = 10 * i + 1;
    }
    of_stats_port(a, PX_OF_PORT_FLOOD)->packet_outs = 77;
    assert_int_equal(of_stats_port_register(a, 1, "s1-eth1"), 0);
    assert_string_equal(of_stats_port(a, 1)->name, "s1-eth1");
    of_stats_port(b, PX_OF_PORT_LOCAL)->packet_ins = 5;
    a->ports_untracked = 3;
    return s;
}

static void
assert_same_record(const struct of_switch_stats *x, struct of_switch_stats *y)
{
    const struct of_port_stats *px;

    assert_int_equal(x->dpid, y->dpid);
    assert_int_equal(x->version, y->version);
    assert_int_equal(x->connected, y->connected);
    assert_true(x->connected_since == y->connected_since);
    assert_int_equal(x->disconnect_seq, y->disconnect_seq);
    assert_string_equal(x->peer, y->peer);
    assert_memory_equal(&x->total, &y->total, sizeof x->total);
    assert_memory_equal(x->disconnects, y->disconnects, sizeof x->disconnects);
    assert_int_equal(x->ports_untracked, y->ports_untracked);
    assert_int_equal(x->n_ports, y->n_ports);
    PX_HMAP_FOR_EACH (px, node, &x->ports) {
        struct of_port_stats *py = of_stats_port(y, px->port_no);

        assert_non_null(py);
        assert_int_equal(px->packet_ins, py->packet_ins);
        assert_int_equal(px->packet_outs, py->packet_outs);
        assert_string_equal(px->name, py->name);
    }
    assert_int_equal(x->n_ports, y->n_ports); /* Nothing was added. */
}

static void
test_roundtrip(void **state)
{
    struct of_stats *s = sample_set(), *r = NULL;
    size_t len, len2, i;
    void *data, *data2;

    (void)state;
    assert_int_equal(of_stats_serialise(s, &data, &len), 0);
    assert_int_equal(len, HEADER_LEN + 3 * RECORD_LEN + 42 * PORT_LEN);
    assert_int_equal(of_stats_restore(data, len, 8, &r), 0);
    assert_non_null(r);
    assert_int_equal(r->n, s->n);
    assert_int_equal(r->max, 8);
    assert_int_equal(r->disconnect_seq, s->disconnect_seq);
    assert_int_equal(r->switches_forgotten, s->switches_forgotten);
    assert_int_equal(r->connections_accepted, 11);
    assert_int_equal(r->connections_refused, 12);
    assert_int_equal(r->handshake_failures, 13);
    assert_int_equal(r->requests_unknown_dpid, 14);
    assert_int_equal(r->requests_malformed, 15);
    assert_int_equal(r->tls_failures, 16);
    for (i = 0; i < s->n; i++) {
        assert_same_record(s->records[i], r->records[i]);
        assert_ptr_equal(of_stats_find(r, s->records[i]->dpid), r->records[i]);
    }
    /* Same size again, and the restored set works as a set. */
    assert_int_equal(of_stats_serialise(r, &data2, &len2), 0);
    assert_int_equal(len2, len);
    get_ok(r, 99);
    free(data2);
    of_stats_destroy(r);

    /* A smaller bound: disconnected records go (oldest first), connected
     * ones stay. */
    assert_int_equal(of_stats_restore(data, len, 1, &r), 0);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->records[0]->dpid, 1);
    assert_int_equal(r->switches_forgotten, 2);
    of_stats_destroy(r);

    /* An empty set. */
    free(data);
    of_stats_destroy(s);
    s = of_stats_create(2);
    assert_int_equal(of_stats_serialise(s, &data, &len), 0);
    assert_int_equal(len, HEADER_LEN);
    assert_int_equal(of_stats_restore(data, len, 2, &r), 0);
    assert_int_equal(r->n, 0);
    of_stats_destroy(r);
    free(data);
    of_stats_destroy(s);
}

/* Restores a heap copy of exactly 'len' bytes, so ASan sees any read past
 * the end; returns the error. */
static int
restore_copy(const uint8_t *data, size_t len)
{
    struct of_stats *r = (struct of_stats *)1;
    uint8_t *copy = malloc(len ? len : 1);
    int error;

    assert_non_null(copy);
    memcpy(copy, data, len);
    error = of_stats_restore(copy, len, 8, &r);
    if (error) {
        assert_null(r);
    } else {
        assert_non_null(r);
        of_stats_destroy(r);
    }
    free(copy);
    return error;
}

/* A blob as an older release of the plugin hands it over, version 3, 2
 * or 1, made from a version 4 one by cutting what it lacks: the role
 * refusal count (version 3); the header's last counters and all but five
 * disconnect counts (version 2); and for version 1 the refusal counts. */
static uint8_t *
blob_old(const struct of_stats *s, const uint8_t *v4, size_t len,
         uint32_t version, size_t *old_len)
{
    size_t header_len = version == 1 ? 56 : version == 2 ? 72 : HEADER_LEN;
    uint8_t *old = malloc(len), *w = old;
    const uint8_t *r = v4;
    size_t i;

    assert_non_null(old);
    memcpy(w, r, header_len);
    memcpy(w + 4, &version, sizeof version);
    w += header_len;
    r += HEADER_LEN;
    for (i = 0; i < s->n; i++) {
        size_t ports = s->records[i]->n_ports * PORT_LEN;

        if (version == 3) {
            memcpy(w, r, REC_REFUSED + 3 * 8);
            w += REC_REFUSED + 3 * 8;
        } else {
            memcpy(w, r, REC_DISCONNECTS + 5 * 8);
            w += REC_DISCONNECTS + 5 * 8;
            memcpy(w, r + REC_UNTRACKED, 8);
            w += 8;
            if (version >= 2) {
                memcpy(w, r + REC_REFUSED, 3 * 8);
                w += 3 * 8;
            }
        }
        r += RECORD_LEN;
        memcpy(w, r, ports);
        w += ports;
        r += ports;
    }
    assert_ptr_equal(r, v4 + len);
    *old_len = (size_t)(w - old);
    return old;
}

/* Version 3 counts disconnects by the SDK's close reasons, which versions
 * 1 and 2 did not have: their blobs are refused whole, and none of their
 * truncations is read past its end, so that the openflow plugin starts
 * from zero rather than misreading a count. */
static void
test_restore_old_versions(void **state)
{
    struct of_stats *s = sample_set(), *r = NULL;
    uint8_t *data, *old;
    size_t len, old_len, i;
    uint32_t version;

    (void)state;
    assert_int_equal(of_stats_serialise(s, (void **)&data, &len), 0);
    /* Version 3 is read, its role refusals as 0. */
    old = blob_old(s, data, len, 3, &old_len);
    assert_int_equal(old_len, len - 3 * 8);
    assert_int_equal(of_stats_restore(old, old_len, 8, &r), 0);
    assert_int_equal(r->n, s->n);
    for (i = 0; i < s->n; i++) {
        const struct of_switch_stats *a = s->records[i], *b = r->records[i];

        assert_int_equal(b->total.refused[OF_REFUSED_OUTPUT_FULL],
                         a->total.refused[OF_REFUSED_OUTPUT_FULL]);
        assert_int_equal(b->total.refused[OF_REFUSED_ROLE], 0);
        assert_int_equal(b->n_ports, a->n_ports);
    }
    of_stats_destroy(r);
    r = NULL;
    for (i = 0; i < old_len; i++) {
        assert_int_equal(restore_copy(old, i), EPROTO);
    }
    free(old);
    for (version = 1; version <= 2; version++) {
        old = blob_old(s, data, len, version, &old_len);
        assert_int_equal(old_len,
                         (version == 1 ? 56 + 3 * 192 : 72 + 3 * 216) +
                             42 * PORT_LEN);
        assert_int_equal(of_stats_restore(old, old_len, 8, &r), EPROTO);
        assert_null(r);
        for (i = 0; i < old_len; i++) {
            assert_int_equal(restore_copy(old, i), EPROTO);
        }
        free(old);
    }
    free(data);
    of_stats_destroy(s);
}

static void
test_restore_truncated(void **state)
{
    struct of_stats *s = sample_set(), *r = NULL;
    size_t len, i;
    void *data;

    (void)state;
    assert_int_equal(of_stats_serialise(s, &data, &len), 0);
    for (i = 0; i < len; i++) {
        assert_int_equal(restore_copy(data, i), EPROTO);
    }
    assert_int_equal(restore_copy(data, len), 0);
    assert_int_equal(of_stats_restore(NULL, 0, 8, &r), EPROTO);
    assert_null(r);
    free(data);
    of_stats_destroy(s);
}

static void
patch(uint8_t *blob, size_t off, const void *v, size_t n)
{
    memcpy(blob + off, v, n);
}

static void
test_restore_corrupt(void **state)
{
    struct of_stats *s = sample_set();
    size_t len, i, rec1;
    uint8_t *data, *bad;
    uint64_t u64;
    uint32_t u32;
    double d;
    int refused = 0;

    (void)state;
    assert_int_equal(of_stats_serialise(s, (void **)&data, &len), 0);
    bad = malloc(len + 1);
    assert_non_null(bad);

    /* Every single byte flipped: refused, or restored without harm. */
    for (i = 0; i < len; i++) {
        int error;

        memcpy(bad, data, len);
        bad[i] ^= 0xff;
        error = restore_copy(bad, len);
        assert_true(error == 0 || error == EPROTO);
        refused += error != 0;
    }
    assert_true(refused > 0);

    /* Targeted: each must be refused.  The first record is at HEADER_LEN,
     * with 40 + 1 ports after it (a's), so the second starts at rec1. */
    rec1 = HEADER_LEN + RECORD_LEN + 41 * PORT_LEN;
#define EXPECT_REFUSED(OFF, VALUE)                                            \
    do {                                                                      \
        memcpy(bad, data, len);                                               \
        patch(bad, (OFF), &(VALUE), sizeof(VALUE));                           \
        assert_int_equal(restore_copy(bad, len), EPROTO);                     \
    } while (0)

    u32 = 0x12345678;
    EXPECT_REFUSED(0, u32); /* Magic. */
    u32 = OF_STATS_BLOB_VERSION + 1;
    EXPECT_REFUSED(4, u32); /* Version. */
    u32 = 0;
    EXPECT_REFUSED(4, u32);
    u32 = 1; /* Version 3's bytes read as version 1's do not add up. */
    EXPECT_REFUSED(4, u32);
    u32 = 2;
    EXPECT_REFUSED(4, u32);
    u64 = 4;
    EXPECT_REFUSED(HDR_N_RECORDS, u64); /* One record more than there is. */
    u64 = 2;
    EXPECT_REFUSED(HDR_N_RECORDS, u64); /* Bytes left over. */
    u64 = UINT64_MAX;
    EXPECT_REFUSED(HDR_N_RECORDS, u64);
    u64 = 0;
    EXPECT_REFUSED(HDR_SEQ, u64); /* A record's seq beyond the set's. */
    u64 = 0xdeadbeefcafef00dull;
    EXPECT_REFUSED(HEADER_LEN, u64); /* Duplicate datapath id. */
    {
        uint8_t two = 2;

        EXPECT_REFUSED(HEADER_LEN + REC_CONNECTED, two);
    }
    {
        uint16_t pad = 1;

        EXPECT_REFUSED(HEADER_LEN + REC_PAD, pad);
    }
    u32 = OF_STATS_MAX_PORTS + 1;
    EXPECT_REFUSED(HEADER_LEN + REC_N_PORTS, u32);
    u32 = UINT32_MAX;
    EXPECT_REFUSED(HEADER_LEN + REC_N_PORTS, u32);
    u32 = 42; /* One port more: the record swallows the next one's bytes. */
    EXPECT_REFUSED(HEADER_LEN + REC_N_PORTS, u32);
    d = INFINITY;
    EXPECT_REFUSED(HEADER_LEN + REC_SINCE, d);
    u64 = UINT64_MAX;
    EXPECT_REFUSED(HEADER_LEN + REC_SEQ, u64);
    u64 = 1; /* A disconnect counted as "open", which none is. */
    EXPECT_REFUSED(HEADER_LEN + REC_DISCONNECTS, u64);
    {
        char peer[64];

        memset(peer, 'x', sizeof peer);
        EXPECT_REFUSED(HEADER_LEN + REC_PEER, peer); /* No NUL. */
    }
    /* The first port's number repeated in the second. */
    memcpy(&u32, data + HEADER_LEN + RECORD_LEN, sizeof u32);
    EXPECT_REFUSED(HEADER_LEN + RECORD_LEN + PORT_LEN, u32);
    u32 = 1;
    EXPECT_REFUSED(HEADER_LEN + RECORD_LEN + PORT_PAD, u32);
    {
        char name[16];

        memset(name, 'x', sizeof name); /* A port name without its NUL. */
        EXPECT_REFUSED(HEADER_LEN + RECORD_LEN + PORT_LEN - 16, name);
    }
    u64 = 1; /* The second record's dpid made the first's. */
    EXPECT_REFUSED(rec1, u64);
#undef EXPECT_REFUSED

    /* One byte too many. */
    memcpy(bad, data, len);
    bad[len] = 0;
    assert_int_equal(restore_copy(bad, len + 1), EPROTO);

    free(bad);
    free(data);
    of_stats_destroy(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_find),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_low_and_high_ports),
        cmocka_unit_test(test_evict),
        cmocka_unit_test(test_evict_churn),
        cmocka_unit_test(test_disconnect_reasons),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_restore_truncated),
        cmocka_unit_test(test_restore_old_versions),
        cmocka_unit_test(test_restore_corrupt),
    };

    return cmocka_run_group_tests_name("ofstats", tests, NULL, NULL);
}
