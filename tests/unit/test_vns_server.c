/*
 * Unit tests for vns_server's handoff blob (plugins/vns_server/vs_handoff.c):
 * a round trip of the plugin's and the routers' state; a router's live
 * connection (px_conn_save's bytes inside the blob, its socket beside it)
 * restored on the other side with its buffered bytes; a blob with fewer
 * counters than this build keeps (an older writer); and every truncation
 * and single-byte corruption of a valid blob, which must be refused with
 * EPROTO or read without a memory error (run under ASan), plus targeted
 * corruptions, each of which must be refused.
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
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "blobcheck.h"

#include "plexus/byteorder.h"
#include "vs_plugin.h"

/* The sample's connection states: opaque bytes to the blob. */
static const char CONN_A[] = "state of router 3's connection";
static const char CONN_B[] = "7";

/* A plugin state with every field set to something distinct: two
 * interfaces, two routers. */
static void
sample(struct vs_saved *s, struct vs_saved_router routers[2])
{
    static const uint8_t mac[6] = {2, 0, 0, 0, 1, 1};
    size_t i;

    memset(s, 0, sizeof *s);
    memset(routers, 0, 2 * sizeof *routers);
    s->next_id = 10;
    s->switch_up = 1;
    s->up_dpid = 0x0102030405060708ull;
    s->unmapped_packet_ins = 11;
    s->routers_accepted = 12;
    for (i = 1; i < PX_CONN_N_REASONS; i++) {
        s->disconnects[i] = 100 + i;
    }
    s->n_ifaces = 2;
    strcpy(s->ifaces[0].vi.name, "eth1");
    memcpy(s->ifaces[0].vi.mac, mac, 6);
    memcpy(&s->ifaces[0].vi.ip, "\xc0\xa8\x02\x01", 4);
    memcpy(&s->ifaces[0].vi.mask, "\xff\xff\xff\x00", 4);
    s->ifaces[0].vi.speed = 1000;
    s->ifaces[0].port_no = 1;
    strcpy(s->ifaces[1].vi.name, "abcdefghijklmnop"); /* All 16 bytes. */
    s->ifaces[1].port_no = 0xfffffffe;

    routers[0].id = 3;
    routers[0].state = R_READY;
    routers[0].hwinfo_sent = 1;
    for (i = 0; i < VNS_SALT_LEN; i++) {
        routers[0].salt[i] = (uint8_t)(i + 1);
    }
    strcpy(routers[0].user, "alice");
    strcpy(routers[0].vhost, "vrhost");
    routers[0].connected_since = 1767225661.25;
    routers[0].frames_in = 21;
    routers[0].frames_out = 22;
    for (i = 0; i < N_ROUTER_DROPS; i++) {
        routers[0].dropped[i] = 30 + i;
    }
    routers[0].conn = (const uint8_t *)CONN_A;
    routers[0].conn_len = sizeof CONN_A - 1;

    routers[1].id = 7;
    routers[1].state = R_AUTH;
    memset(routers[1].user, 'u', VNS_NAME_LEN); /* The longest name. */
    routers[1].conn = (const uint8_t *)CONN_B;
    routers[1].conn_len = sizeof CONN_B - 1;
    s->routers = routers;
    s->n_routers = 2;
}

/* The sample's blob, malloc'd. */
static uint8_t *
sample_blob(size_t *len)
{
    struct vs_saved_router routers[2];
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    struct vs_saved s;
    uint8_t *data;

    sample(&s, routers);
    assert_int_equal(vs_handoff_write(&s, &b), 0);
    data = px_buf_steal(&b, len);
    assert_non_null(data);
    return data;
}

/* Reads 'len' bytes of 'data' from an exact-size copy, so that ASan sees
 * any read past them; returns what vs_handoff_read did, after checking
 * that a refusal leaves nothing behind. */
static int
read_copy(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    struct vs_saved s;
    int error;

    assert_non_null(copy);
    memcpy(copy, data, len);
    memset(&s, 0xa5, sizeof s);
    error = vs_handoff_read(copy, len, &s);
    if (error) {
        assert_null(s.routers);
        assert_int_equal(s.n_routers, 0);
        assert_int_equal(s.n_ifaces, 0);
    }
    vs_saved_clear(&s);
    free(copy);
    return error;
}

static void
assert_same_router(const struct vs_saved_router *a,
                   const struct vs_saved_router *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->hwinfo_sent, b->hwinfo_sent);
    assert_memory_equal(a->salt, b->salt, VNS_SALT_LEN);
    assert_string_equal(a->user, b->user);
    assert_string_equal(a->vhost, b->vhost);
    assert_true(a->connected_since == b->connected_since);
    assert_int_equal(a->frames_in, b->frames_in);
    assert_int_equal(a->frames_out, b->frames_out);
    assert_memory_equal(a->dropped, b->dropped, sizeof a->dropped);
    assert_int_equal(a->conn_len, b->conn_len);
    assert_memory_equal(a->conn, b->conn, a->conn_len);
}

static void
test_roundtrip(void **state)
{
    struct vs_saved_router routers[2];
    struct vs_saved s, r;
    size_t len, i;
    uint8_t *data = sample_blob(&len);

    (void)state;
    sample(&s, routers);
    assert_int_equal(vs_handoff_read(data, len, &r), 0);
    assert_int_equal(r.next_id, 10);
    assert_int_equal(r.switch_up, 1);
    assert_int_equal(r.up_dpid, 0x0102030405060708ull);
    assert_int_equal(r.unmapped_packet_ins, 11);
    assert_int_equal(r.routers_accepted, 12);
    assert_memory_equal(r.disconnects, s.disconnects, sizeof s.disconnects);
    assert_int_equal(r.n_ifaces, 2);
    for (i = 0; i < 2; i++) {
        assert_string_equal(r.ifaces[i].vi.name, s.ifaces[i].vi.name);
        assert_memory_equal(r.ifaces[i].vi.mac, s.ifaces[i].vi.mac, 6);
        assert_int_equal(r.ifaces[i].vi.ip, s.ifaces[i].vi.ip);
        assert_int_equal(r.ifaces[i].vi.mask, s.ifaces[i].vi.mask);
        assert_int_equal(r.ifaces[i].vi.speed, s.ifaces[i].vi.speed);
        assert_int_equal(r.ifaces[i].port_no, s.ifaces[i].port_no);
    }
    assert_int_equal(r.n_routers, 2);
    for (i = 0; i < 2; i++) {
        assert_same_router(&r.routers[i], &routers[i]);
        /* The connection's state is read in place. */
        assert_true(r.routers[i].conn >= data &&
                    r.routers[i].conn + r.routers[i].conn_len <= data + len);
    }
    vs_saved_clear(&r);
    assert_null(r.routers);

    /* Nothing at all to hand over is a blob too. */
    {
        struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
        struct vs_saved empty;

        memset(&empty, 0, sizeof empty);
        assert_int_equal(vs_handoff_write(&empty, &b), 0);
        assert_int_equal(vs_handoff_read(b.data, b.len, &r), 0);
        assert_int_equal(r.n_routers, 0);
        assert_int_equal(r.n_ifaces, 0);
        vs_saved_clear(&r);
        px_buf_destroy(&b);
    }

    /* What cannot be written. */
    {
        struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

        s.n_ifaces = VNS_MAX_IFACES + 1;
        assert_int_equal(vs_handoff_write(&s, &b), EINVAL);
        s.n_ifaces = 2;
        s.n_routers = VS_MAX_ROUTERS + 1;
        assert_int_equal(vs_handoff_write(&s, &b), EINVAL);
        s.n_routers = 2;
        px_buf_destroy(&b);
        /* A buffer too small says so. */
        px_buf_init(&b, 64);
        assert_int_equal(vs_handoff_write(&s, &b), ENOBUFS);
        px_buf_destroy(&b);
    }
    free(data);
}

/* A router's live connection across the handoff, as a reload moves it: the
 * connection's own state inside the blob, its socket beside it, then
 * restored with what it had buffered both ways. */
static void
test_connection_inside(void **state)
{
    const struct px_conn_options options = {
        .transport = PX_TRANSPORT_TCP,
        .server = 1,
        .framing = {.length_offset = 0,
                    .length_size = 4,
                    .min_len = VNS_HEADER_LEN,
                    .max_len = VNS_MAX_MESSAGE},
    };
    struct px_buf conns = PX_BUF_INITIALIZER(SIZE_MAX);
    struct px_buf blob = PX_BUF_INITIALIZER(SIZE_MAX);
    struct vs_saved_router routers[2];
    struct px_conn *conn, *again;
    struct vs_saved s, r;
    struct px_cursor c;
    const uint8_t *msg;
    uint8_t wire[64], got[64];
    size_t len, n;
    int sv[2], fd = -1;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    assert_int_equal(px_conn_create(sv[0], "router", &options, &conn), 0);
    /* The router sent half an AuthReply; we queued an AuthRequest that
     * has not gone out. */
    assert_int_equal(vns_encode_auth_request(wire, sizeof wire,
                                             (const uint8_t *)"0123456789", 10,
                                             &n),
                     0);
    assert_int_equal(px_conn_send(conn, wire, n), 0);
    px_put_be32(wire, 32);
    px_put_be32(wire + 4, VNS_AUTH_REPLY);
    assert_int_equal(write(sv[1], wire, 12), 12);
    assert_int_equal(px_conn_run(conn, PX_CONN_READ), 0);
    assert_int_equal(px_conn_next(conn, &msg, &len), EAGAIN);

    /* Saved inside the blob, as vns_server's fini does. */
    assert_int_equal(px_conn_save(conn, &conns, &fd), 0);
    px_conn_destroy(conn);
    assert_true(fd >= 0);
    sample(&s, routers);
    routers[0].conn = conns.data;
    routers[0].conn_len = conns.len;
    assert_int_equal(vs_handoff_write(&s, &blob), 0);

    /* Read back and restored, as the next generation's init does. */
    assert_int_equal(vs_handoff_read(blob.data, blob.len, &r), 0);
    assert_int_equal(r.routers[0].conn_len, conns.len);
    px_cursor_init(&c, r.routers[0].conn, r.routers[0].conn_len);
    assert_int_equal(px_conn_restore(&c, fd, &options, &again), 0);
    assert_string_equal(px_conn_peer(again), "router");
    assert_int_equal(px_conn_queued(again), n);
    assert_int_equal(px_conn_flush(again), 0);
    assert_int_equal(read(sv[1], got, sizeof got), (ssize_t)n);
    assert_int_equal(got[7], VNS_AUTH_REQUEST & 0xff);
    /* The rest of the AuthReply completes the message it had half of. */
    memset(wire, 0, 20);
    assert_int_equal(write(sv[1], wire, 20), 20);
    assert_int_equal(px_conn_run(again, PX_CONN_READ), 0);
    assert_int_equal(px_conn_next(again, &msg, &len), 0);
    assert_int_equal(len, 32);
    assert_int_equal(px_get_be32(msg + 4), VNS_AUTH_REPLY);
    px_conn_destroy(again);
    close(sv[1]);
    vs_saved_clear(&r);
    px_buf_destroy(&conns);
    px_buf_destroy(&blob);
}

/* A blob from a writer with fewer disconnect and drop reasons than this
 * build has: the others start at zero. */
static void
test_fewer_counters(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    struct vs_saved r;
    size_t i;

    (void)state;
    px_buf_put_be32(&b, 0x564e5353);
    px_buf_put_be32(&b, VS_HANDOFF_VERSION);
    px_buf_put_be32(&b, 5); /* next_id */
    px_buf_put_u8(&b, 0);   /* switch_up */
    px_buf_put_be64(&b, 0); /* up_dpid */
    px_buf_put_be64(&b, 1); /* unmapped_packet_ins */
    px_buf_put_be64(&b, 2); /* routers_accepted */
    px_buf_put_be32(&b, 2); /* Two reasons: open, peer_closed. */
    px_buf_put_be64(&b, 0);
    px_buf_put_be64(&b, 9);
    px_buf_put_be32(&b, 0); /* No interfaces. */
    px_buf_put_be32(&b, 1); /* One router. */
    px_buf_put_be32(&b, 4); /* id */
    px_buf_put_u8(&b, R_OPEN);
    px_buf_put_u8(&b, 0);
    px_buf_put(&b, "01234567890123456789", VNS_SALT_LEN);
    px_buf_put_str(&b, "bob");
    px_buf_put_str(&b, "");
    px_buf_put_be64(&b, 0); /* connected_since: 0.0 */
    px_buf_put_be64(&b, 1);
    px_buf_put_be64(&b, 2);
    px_buf_put_be32(&b, 1); /* One drop reason: output_full. */
    px_buf_put_be64(&b, 8);
    px_buf_put_be32(&b, 0); /* An empty connection state. */
    assert_int_equal(px_buf_error(&b), 0);

    memset(&r, 0xa5, sizeof r);
    assert_int_equal(vs_handoff_read(b.data, b.len, &r), 0);
    assert_int_equal(r.disconnects[PX_CONN_PEER_CLOSED], 9);
    for (i = PX_CONN_PEER_CLOSED + 1; i < PX_CONN_N_REASONS; i++) {
        assert_int_equal(r.disconnects[i], 0);
    }
    assert_int_equal(r.n_routers, 1);
    assert_string_equal(r.routers[0].user, "bob");
    assert_int_equal(r.routers[0].state, R_OPEN);
    assert_int_equal(r.routers[0].dropped[DROP_OUTPUT_FULL], 8);
    for (i = DROP_OUTPUT_FULL + 1; i < N_ROUTER_DROPS; i++) {
        assert_int_equal(r.routers[0].dropped[i], 0);
    }
    assert_int_equal(r.routers[0].conn_len, 0);
    vs_saved_clear(&r);
    px_buf_destroy(&b);
}

static void
test_truncated(void **state)
{
    size_t len;
    uint8_t *data = sample_blob(&len);
    struct vs_saved r;

    (void)state;
    blob_check_truncations(data, len, read_copy);
    memset(&r, 0xa5, sizeof r);
    assert_int_equal(vs_handoff_read(NULL, 0, &r), EPROTO);
    assert_null(r.routers);
    free(data);
}

/* Where the sample blob's fields are (vs_handoff.c has the layout). */
#define H_MAGIC             0
#define H_VERSION           4
#define H_NEXT_ID           8
#define H_SWITCH_UP         12
#define H_N_REASONS         37
#define H_REASONS           41
#define H_N_IFACES          (H_REASONS + 8 * PX_CONN_N_REASONS)
#define IFACE0              (H_N_IFACES + 4)
#define IFACE_LEN(NAME_LEN) (4 + (NAME_LEN) + 6 + 4 + 4 + 4 + 4)
#define H_N_ROUTERS         (IFACE0 + IFACE_LEN(4) + IFACE_LEN(16))
#define ROUTER0             (H_N_ROUTERS + 4)
#define R_STATE             4
#define R_HWINFO            5
#define R_USER              26
#define R_VHOST             (R_USER + 4 + 5)  /* After "alice". */
#define R_SINCE             (R_VHOST + 4 + 6) /* After "vrhost". */
#define R_N_DROPS           (R_SINCE + 24)
#define R_CONN_LEN          (R_N_DROPS + 4 + 8 * N_ROUTER_DROPS)
#define ROUTER1             (ROUTER0 + R_CONN_LEN + 4 + sizeof CONN_A - 1)

static void
test_corrupt(void **state)
{
    size_t len, i;
    uint8_t *data = sample_blob(&len), *bad = malloc(len + 1);

    (void)state;
    assert_non_null(bad);
    /* The offsets above hold what the sample put there. */
    assert_int_equal(px_get_be32(data + H_NEXT_ID), 10);
    assert_int_equal(px_get_be32(data + H_N_REASONS), PX_CONN_N_REASONS);
    assert_int_equal(px_get_be32(data + H_N_IFACES), 2);
    assert_int_equal(px_get_be32(data + IFACE0), 4);
    assert_int_equal(px_get_be32(data + H_N_ROUTERS), 2);
    assert_int_equal(px_get_be32(data + ROUTER0), 3);
    assert_int_equal(px_get_be32(data + ROUTER0 + R_USER), 5);
    assert_int_equal(px_get_be32(data + ROUTER0 + R_VHOST), 6);
    assert_int_equal(px_get_be32(data + ROUTER0 + R_N_DROPS), N_ROUTER_DROPS);
    assert_int_equal(px_get_be32(data + ROUTER0 + R_CONN_LEN),
                     sizeof CONN_A - 1);
    assert_int_equal(px_get_be32(data + ROUTER1), 7);

    blob_check_flips(data, len, read_copy);

#define EXPECT_REFUSED(OFF, PUT, VALUE)                                       \
    BLOB_EXPECT_REFUSED(read_copy, data, bad, len, OFF, PUT, VALUE)
#define PUT_U8 BLOB_PUT_U8

    EXPECT_REFUSED(H_MAGIC, px_put_be32, 0x12345678);
    EXPECT_REFUSED(H_VERSION, px_put_be32, 2); /* An older build's. */
    EXPECT_REFUSED(H_VERSION, px_put_be32, VS_HANDOFF_VERSION + 1);
    EXPECT_REFUSED(H_SWITCH_UP, PUT_U8, 2);
    /* A reason more than this build knows; and "open" counted. */
    EXPECT_REFUSED(H_N_REASONS, px_put_be32, PX_CONN_N_REASONS + 1);
    EXPECT_REFUSED(H_N_REASONS, px_put_be32, UINT32_MAX);
    EXPECT_REFUSED(H_REASONS, px_put_be64, 1);
    EXPECT_REFUSED(H_N_IFACES, px_put_be32, VNS_MAX_IFACES + 1);
    EXPECT_REFUSED(H_N_IFACES, px_put_be32, 3); /* Swallows the rest. */
    EXPECT_REFUSED(H_N_IFACES, px_put_be32, 1); /* Leaves bytes over. */
    /* A name longer than the field, or with a NUL in it. */
    EXPECT_REFUSED(IFACE0 + IFACE_LEN(4), px_put_be32, VNS_IFACE_LEN + 1);
    EXPECT_REFUSED(IFACE0 + 4, PUT_U8, 0);
    EXPECT_REFUSED(H_N_ROUTERS, px_put_be32, VS_MAX_ROUTERS + 1);
    EXPECT_REFUSED(H_N_ROUTERS, px_put_be32, UINT32_MAX);
    EXPECT_REFUSED(H_N_ROUTERS, px_put_be32, 3);
    EXPECT_REFUSED(ROUTER0 + R_STATE, PUT_U8, R_READY + 1);
    EXPECT_REFUSED(ROUTER0 + R_HWINFO, PUT_U8, 2);
    EXPECT_REFUSED(ROUTER0 + R_USER, px_put_be32, VNS_NAME_LEN + 1);
    EXPECT_REFUSED(ROUTER0 + R_VHOST, px_put_be32, UINT32_MAX);
    {
        static const double times[] = {NAN, INFINITY, -1.0};
        uint64_t bits;

        for (i = 0; i < sizeof times / sizeof times[0]; i++) {
            memcpy(&bits, &times[i], sizeof bits);
            EXPECT_REFUSED(ROUTER0 + R_SINCE, px_put_be64, bits);
        }
    }
    EXPECT_REFUSED(ROUTER0 + R_N_DROPS, px_put_be32, N_ROUTER_DROPS + 1);
    /* The connection's state running past the end, or short of it. */
    EXPECT_REFUSED(ROUTER0 + R_CONN_LEN, px_put_be32, UINT32_MAX);
    EXPECT_REFUSED(ROUTER0 + R_CONN_LEN, px_put_be32, sizeof CONN_A - 2);
    /* The second router's id made the first's, and one not below
     * next_id. */
    EXPECT_REFUSED(ROUTER1, px_put_be32, 3);
    EXPECT_REFUSED(ROUTER1, px_put_be32, 10);
    EXPECT_REFUSED(H_NEXT_ID, px_put_be32, 7);
#undef EXPECT_REFUSED
#undef PUT_U8

    /* One byte too many. */
    memcpy(bad, data, len);
    bad[len] = 0;
    assert_int_equal(read_copy(bad, len + 1), EPROTO);
    free(bad);
    free(data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_connection_inside),
        cmocka_unit_test(test_fewer_counters),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
    };

    return cmocka_run_group_tests_name("vns_server", tests, NULL, NULL);
}
