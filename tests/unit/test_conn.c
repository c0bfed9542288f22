/*
 * Unit tests of the SDK's message connections (libplexus.a:
 * plexus/conn.h) over socketpairs and loopback: framing (messages split
 * across reads, many in one read, lengths out of bounds), bounded output
 * (drops counted), batching, close reasons and their words, endpoints, the
 * handoff serialization against every truncation and corruption, and TLS
 * with certificates made by ovs-pki: a handshake, messages both ways, a
 * peer from another CA refused, plain TCP to a TLS end refused, and a live
 * session handed to a new connection object in the middle of a stream.
 * And byte streams (framing.length_size 0), plain and over TLS with a
 * server that asks for no client certificate: bytes in order through
 * buffers smaller than a TLS record, taken in part, and the half-close.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plexus/byteorder.h"
#include "plexus/conn.h"
#include "tmpdir.h"

/* A framing like OpenFlow's: 16-bit length at offset 2, 8..1024 bytes. */
static const struct px_conn_framing framing = {2, 2, 8, 1024};

static struct px_conn_options
plain_options(void)
{
    struct px_conn_options o;

    memset(&o, 0, sizeof o);
    o.transport = PX_TRANSPORT_UNIX;
    o.framing = framing;
    o.out_limit = 4096;
    return o;
}

/* A message of 'len' bytes, its bytes after the header all 'fill'. */
static void
make_msg(uint8_t *buf, size_t len, uint8_t fill)
{
    memset(buf, fill, len);
    buf[0] = 1;
    buf[1] = 2;
    px_put_be16(buf + 2, (uint16_t)len);
}

static void
pair(struct px_conn **c, int *peer)
{
    struct px_conn_options o = plain_options();
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    assert_int_equal(px_conn_create(sv[0], "test", &o, c), 0);
    *peer = sv[1];
}

/* Runs 'c' for reading until it has a whole message or closes, with a
 * deadline (the bytes are already in the socket). */
static int
next_msg(struct px_conn *c, const uint8_t **msg, size_t *len)
{
    int i, error = EAGAIN;

    for (i = 0; i < 100 && error == EAGAIN; i++) {
        error = px_conn_next(c, msg, len);
        if (error == EAGAIN) {
            struct pollfd pfd = {px_conn_fd(c), POLLIN, 0};

            poll(&pfd, 1, 100);
            px_conn_run(c, PX_CONN_READ);
        }
    }
    return error;
}

static void
test_split_and_batched(void **state)
{
    uint8_t buf[3 * 100];
    const uint8_t *msg;
    struct px_conn *c;
    size_t len;
    int peer;

    (void)state;
    pair(&c, &peer);
    make_msg(buf, 100, 0xaa);
    make_msg(buf + 100, 100, 0xbb);
    make_msg(buf + 200, 100, 0xcc);
    /* Half a header, then the rest of three messages in one write. */
    assert_int_equal(write(peer, buf, 3), 3);
    assert_int_equal(px_conn_run(c, PX_CONN_READ), 0);
    assert_int_equal(px_conn_next(c, &msg, &len), EAGAIN);
    assert_int_equal(write(peer, buf + 3, sizeof buf - 3), sizeof buf - 3);
    assert_int_equal(next_msg(c, &msg, &len), 0);
    assert_int_equal(len, 100);
    assert_int_equal(msg[99], 0xaa);
    assert_int_equal(px_conn_next(c, &msg, &len), 0);
    assert_int_equal(msg[99], 0xbb);
    assert_true(px_conn_has_message(c));
    assert_int_equal(px_conn_next(c, &msg, &len), 0);
    assert_int_equal(msg[99], 0xcc);
    assert_int_equal(px_conn_next(c, &msg, &len), EAGAIN);
    assert_int_equal(px_conn_stats(c)->rx_msgs, 3);
    assert_int_equal(px_conn_stats(c)->rx_bytes, 300);
    px_conn_destroy(c);
    close(peer);
}

static void
test_length_out_of_bounds(void **state)
{
    uint8_t buf[8];
    const uint8_t *msg;
    struct px_conn *c;
    size_t len;
    int peer;

    (void)state;
    pair(&c, &peer);
    make_msg(buf, 8, 0);
    px_put_be16(buf + 2, 4); /* Shorter than its own header. */
    assert_int_equal(write(peer, buf, 8), 8);
    assert_int_equal(next_msg(c, &msg, &len), EPROTO);
    assert_false(px_conn_is_open(c));
    assert_int_equal(px_conn_reason(c), PX_CONN_MALFORMED);
    assert_string_equal(px_conn_reason_name(px_conn_reason(c)),
                        "malformed_message");
    assert_string_equal(px_conn_why(c), "message length 4 outside 8..1024");
    assert_int_equal(px_conn_events(c), 0);
    px_conn_destroy(c);
    close(peer);
}

static void
test_peer_closed_mid_message(void **state)
{
    uint8_t buf[64];
    const uint8_t *msg;
    struct px_conn *c;
    size_t len;
    int peer;

    (void)state;
    pair(&c, &peer);
    make_msg(buf, 64, 1);
    assert_int_equal(write(peer, buf, 64), 64);
    assert_int_equal(write(peer, buf, 10), 10);
    close(peer);
    /* The whole message that came before the close is delivered first. */
    assert_int_equal(next_msg(c, &msg, &len), 0);
    assert_int_equal(len, 64);
    assert_int_equal(next_msg(c, &msg, &len), EPIPE);
    assert_int_equal(px_conn_reason(c), PX_CONN_PEER_CLOSED);
    assert_string_equal(px_conn_why(c),
                        "peer closed mid-message (10 of 64 bytes)");
    px_conn_destroy(c);
}

static void
test_output_bounded_and_batched(void **state)
{
    uint8_t buf[1024], rx[8192];
    struct px_conn *c;
    size_t room;
    uint8_t *dst;
    int peer, i, sent = 0;
    ssize_t n;

    (void)state;
    pair(&c, &peer);
    make_msg(buf, 1000, 7);
    for (i = 0; i < 5; i++) {
        if (!px_conn_send(c, buf, 1000)) {
            sent++;
        }
    }
    /* 4096 bytes of room: four messages fit, the fifth is counted. */
    assert_int_equal(sent, 4);
    assert_int_equal(px_conn_stats(c)->out_drops, 1);
    assert_int_equal(px_conn_queued(c), 4000);
    assert_true(px_conn_events(c) & PX_CONN_WRITE);
    dst = px_conn_reserve(c, &room);
    assert_non_null(dst);
    assert_int_equal(room, 96);
    make_msg(dst, 96, 9);
    px_conn_commit(c, 96);
    /* Nothing is written before the flush: one batch per pass. */
    assert_int_equal(recv(peer, rx, sizeof rx, MSG_DONTWAIT), -1);
    assert_int_equal(px_conn_flush(c), 0);
    assert_int_equal(px_conn_queued(c), 0);
    assert_false(px_conn_events(c) & PX_CONN_WRITE);
    n = recv(peer, rx, sizeof rx, MSG_DONTWAIT);
    assert_int_equal(n, 4096);
    assert_int_equal(rx[4095], 9);
    assert_int_equal(px_conn_stats(c)->tx_bytes, 4096);
    px_conn_destroy(c);
    close(peer);
}

static void
test_reset_is_peer_closed(void **state)
{
    uint8_t buf[64];
    struct px_conn *c;
    int peer;

    (void)state;
    pair(&c, &peer);
    close(peer);
    make_msg(buf, 64, 0);
    assert_int_equal(px_conn_send(c, buf, 64), 0);
    assert_int_equal(px_conn_flush(c), EPIPE);
    assert_int_equal(px_conn_reason(c), PX_CONN_PEER_CLOSED);
    assert_int_equal(px_conn_send(c, buf, 64), EPIPE);
    px_conn_close(c, PX_CONN_ADMIN, "ignored: already closed");
    assert_int_equal(px_conn_reason(c), PX_CONN_PEER_CLOSED);
    px_conn_destroy(c);
}

static void
test_reason_names(void **state)
{
    int r;

    (void)state;
    for (r = PX_CONN_PEER_CLOSED; r < PX_CONN_N_REASONS; r++) {
        const char *name = px_conn_reason_name((enum px_conn_reason)r);
        int s;

        assert_true(strcmp(name, "other") || r == PX_CONN_OTHER);
        for (s = PX_CONN_PEER_CLOSED; s < r; s++) {
            assert_string_not_equal(
                name, px_conn_reason_name((enum px_conn_reason)s));
        }
    }
    assert_string_equal(px_conn_reason_name(PX_CONN_ADMIN), "admin");
    assert_string_equal(px_conn_reason_name((enum px_conn_reason)99), "other");
}

static void
test_endpoints(void **state)
{
    struct px_endpoint ep;
    char why[200], text[200];

    (void)state;
    assert_int_equal(
        px_endpoint_parse("tcp:127.0.0.1:6653", &ep, why, sizeof why), 0);
    assert_int_equal(ep.transport, PX_TRANSPORT_TCP);
    assert_string_equal(ep.host, "127.0.0.1");
    assert_int_equal(ep.port, 6653);
    assert_int_equal(px_endpoint_parse("ssl:[::1]:6653", &ep, why, sizeof why),
                     0);
    assert_int_equal(ep.transport, PX_TRANSPORT_TLS);
    assert_string_equal(ep.host, "::1");
    px_endpoint_format(&ep, text, sizeof text);
    assert_string_equal(text, "tls:[::1]:6653");
    assert_int_equal(
        px_endpoint_parse("unix:/run/x.sock", &ep, why, sizeof why), 0);
    assert_string_equal(ep.path, "/run/x.sock");
    assert_int_equal(px_endpoint_parse("tcp:::1:6653", &ep, why, sizeof why),
                     EINVAL);
    assert_non_null(strstr(why, "brackets"));
    assert_int_equal(px_endpoint_parse("udp:1.2.3.4:1", &ep, why, sizeof why),
                     EINVAL);
    assert_int_equal(
        px_endpoint_parse("tcp:1.2.3.4:70000", &ep, why, sizeof why), EINVAL);
    assert_int_equal(px_endpoint_parse("tcp:1.2.3.4", &ep, why, sizeof why),
                     EINVAL);
}

/* An IPv6 loopback listener and a connection to it, both ends connections
 * of their own, messages both ways. */
static void
test_ipv6_loopback(void **state)
{
    struct px_conn_options o = plain_options();
    struct px_endpoint ep;
    struct px_conn *a, *b;
    const uint8_t *msg;
    uint8_t buf[16];
    char why[200], peer[64];
    int lfd, fd, afd, i;
    size_t len;
    struct sockaddr_in6 sin6;
    socklen_t sl = sizeof sin6;

    (void)state;
    assert_int_equal(px_endpoint_parse("tcp:[::1]:0", &ep, why, sizeof why),
                     0);
    if (px_listen(&ep, 4, &lfd, why, sizeof why)) {
        skip(); /* No IPv6 on this machine's loopback. */
    }
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin6, &sl), 0);
    ep.port = ntohs(sin6.sin6_port);
    assert_int_equal(px_connect(&ep, &fd, why, sizeof why), 0);
    o.transport = PX_TRANSPORT_TCP;
    assert_int_equal(px_conn_create(fd, "client", &o, &a), 0);
    for (i = 0; i < 100; i++) {
        struct pollfd pfd = {lfd, POLLIN, 0};

        poll(&pfd, 1, 100);
        if (!px_listen_accept(lfd, &afd, peer, sizeof peer)) {
            break;
        }
    }
    assert_int_equal(strncmp(peer, "[::1]:", 6), 0);
    assert_int_equal(px_conn_create(afd, peer, &o, &b), 0);
    make_msg(buf, 16, 5);
    assert_int_equal(px_conn_send(a, buf, 16), 0);
    for (i = 0; i < 100 && px_conn_queued(a); i++) {
        struct pollfd pfd = {px_conn_fd(a), POLLOUT, 0};

        poll(&pfd, 1, 100);
        assert_int_equal(px_conn_run(a, px_conn_events(a)), 0);
    }
    assert_int_equal(next_msg(b, &msg, &len), 0);
    assert_int_equal(len, 16);
    px_conn_destroy(a);
    px_conn_destroy(b);
    close(lfd);
}

/* Saves a connection with input and output buffered into 'state'. */
static int
save_one(struct px_buf *state, int *peer)
{
    struct px_conn *c;
    uint8_t buf[100];
    int fd;

    pair(&c, peer);
    make_msg(buf, 100, 3);
    assert_int_equal(write(*peer, buf, 100), 100);
    assert_int_equal(write(*peer, buf, 30), 30); /* Part of a second. */
    assert_int_equal(px_conn_run(c, PX_CONN_READ), 0);
    assert_int_equal(px_conn_send(c, buf, 100), 0);
    assert_int_equal(px_conn_save(c, state, &fd), 0);
    px_conn_destroy(c); /* Neither closes the socket nor loses bytes. */
    return fd;
}

static void
test_handoff_round_trip(void **state)
{
    struct px_conn_options o = plain_options();
    struct px_buf saved = PX_BUF_INITIALIZER(SIZE_MAX);
    struct px_cursor cur;
    struct px_conn *c;
    const uint8_t *msg;
    uint8_t buf[100], rx[256];
    size_t len;
    int peer, fd;

    (void)state;
    fd = save_one(&saved, &peer);
    px_cursor_init(&cur, saved.data, saved.len);
    assert_int_equal(px_conn_restore(&cur, fd, &o, &c), 0);
    assert_int_equal(px_cursor_finish(&cur), 0);
    assert_string_equal(px_conn_peer(c), "test");
    assert_int_equal(px_conn_stats(c)->rx_bytes, 130);
    assert_int_equal(px_conn_next(c, &msg, &len), 0);
    assert_int_equal(len, 100);
    /* The rest of the second message arrives at the new object. */
    make_msg(buf, 100, 3);
    assert_int_equal(write(peer, buf + 30, 70), 70);
    assert_int_equal(next_msg(c, &msg, &len), 0);
    assert_int_equal(msg[99], 3);
    /* The output saved with the connection goes out from the new one. */
    assert_int_equal(px_conn_flush(c), 0);
    assert_int_equal(recv(peer, rx, sizeof rx, MSG_DONTWAIT), 100);
    px_conn_destroy(c);
    close(peer);
    px_buf_destroy(&saved);
}

static void
test_handoff_truncated_and_corrupt(void **state)
{
    struct px_conn_options o = plain_options();
    struct px_buf saved = PX_BUF_INITIALIZER(SIZE_MAX);
    struct px_cursor cur;
    struct px_conn *c;
    size_t cut, i;
    int peer, fd;

    (void)state;
    fd = save_one(&saved, &peer);
    /* Every truncation is refused (restore closes the fd it is given). */
    for (cut = 0; cut < saved.len; cut++) {
        int dup_fd = dup(fd);

        px_cursor_init(&cur, saved.data, cut);
        assert_int_not_equal(px_conn_restore(&cur, dup_fd, &o, &c), 0);
        assert_null(c);
    }
    /* Corruption of the magic, version, transport, flags and lengths. */
    for (i = 0; i < 12; i++) {
        int dup_fd = dup(fd);
        uint8_t *copy = malloc(saved.len);

        memcpy(copy, saved.data, saved.len);
        copy[i] ^= 0x40;
        px_cursor_init(&cur, copy, saved.len);
        if (!px_conn_restore(&cur, dup_fd, &o, &c)) {
            /* Only a flipped bit no check can see may pass, and then the
             * cursor must not end where the state did. */
            assert_int_not_equal(px_cursor_finish(&cur), 0);
            px_conn_destroy(c);
        }
        free(copy);
    }
    /* A connection keeps its transport when new ones use another. */
    o.transport = PX_TRANSPORT_TCP;
    px_cursor_init(&cur, saved.data, saved.len);
    assert_int_equal(px_conn_restore(&cur, fd, &o, &c), 0);
    assert_int_equal(px_conn_transport(c), PX_TRANSPORT_UNIX);
    px_conn_destroy(c);
    /* Limits too small for the buffered bytes. */
    fd = dup(peer);
    o = plain_options();
    o.out_limit = 50;
    px_cursor_init(&cur, saved.data, saved.len);
    assert_int_equal(px_conn_restore(&cur, fd, &o, &c), ENOBUFS);
    close(peer);
    px_buf_destroy(&saved);
}

/* ---------------------------------------------------------------------- */
/* Byte streams.                                                          */

static struct px_conn_options
stream_options(size_t in_limit)
{
    struct px_conn_options o = plain_options();

    memset(&o.framing, 0, sizeof o.framing);
    o.in_limit = in_limit;
    return o;
}

static void
test_stream_plain(void **state)
{
    struct px_conn_options o = stream_options(64);
    uint8_t buf[100], rx[16];
    const uint8_t *data;
    struct px_conn *c;
    size_t len;
    int sv[2], i;

    (void)state;
    for (i = 0; i < 100; i++) {
        buf[i] = (uint8_t)i;
    }
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    assert_int_equal(px_conn_create(sv[0], "stream", &o, &c), 0);
    assert_true(px_conn_is_established(c));
    assert_int_equal(px_conn_peek(c, &data, &len), EAGAIN);
    assert_false(px_conn_has_message(c));
    assert_int_equal(write(sv[1], buf, 100), 100);
    assert_int_equal(px_conn_run(c, PX_CONN_READ), 0);
    /* The buffer holds 64: reading stops, and asks for no more. */
    assert_int_equal(px_conn_peek(c, &data, &len), 0);
    assert_int_equal(len, 64);
    assert_memory_equal(data, buf, 64);
    assert_false(px_conn_events(c) & PX_CONN_READ);
    /* Taking part makes room, which the next look fills from the socket
     * without waiting for an event. */
    px_conn_consume(c, 10);
    assert_int_equal(px_conn_peek(c, &data, &len), 0);
    assert_int_equal(len, 64);
    assert_memory_equal(data, buf + 10, 64);
    /* px_conn_next takes everything at once, as one "message". */
    assert_int_equal(px_conn_next(c, &data, &len), 0);
    assert_int_equal(len, 64);
    assert_int_equal(px_conn_next(c, &data, &len), 0);
    assert_int_equal(len, 26);
    assert_memory_equal(data, buf + 74, 26);
    assert_int_equal(px_conn_next(c, &data, &len), EAGAIN);
    assert_int_equal(px_conn_stats(c)->rx_bytes, 100);
    assert_int_equal(px_conn_stats(c)->rx_msgs, 2);

    /* The peer's end of stream: EPIPE once the bytes before it are taken,
     * and the connection stays open for what goes back. */
    assert_int_equal(write(sv[1], "tail", 4), 4);
    assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
    assert_int_equal(px_conn_run(c, PX_CONN_READ), 0);
    assert_int_equal(px_conn_peek(c, &data, &len), 0);
    assert_int_equal(len, 4);
    px_conn_consume(c, 99); /* More than there is: what there is. */
    /* A short read took the bytes; the end is the next read's. */
    assert_int_equal(px_conn_peek(c, &data, &len), EAGAIN);
    assert_int_equal(px_conn_events(c), PX_CONN_READ);
    assert_int_equal(px_conn_run(c, PX_CONN_READ), 0);
    assert_int_equal(px_conn_peek(c, &data, &len), EPIPE);
    assert_int_equal(px_conn_next(c, &data, &len), EPIPE);
    assert_true(px_conn_is_open(c));
    assert_int_equal(px_conn_events(c), 0);
    assert_int_equal(px_conn_send(c, "bye", 3), 0);
    assert_int_equal(px_conn_events(c), PX_CONN_WRITE);
    assert_int_equal(px_conn_flush(c), 0);
    assert_int_equal(recv(sv[1], rx, sizeof rx, MSG_DONTWAIT), 3);
    px_conn_close(c, PX_CONN_PEER_CLOSED, NULL);
    assert_int_equal(px_conn_peek(c, &data, &len), EPIPE);
    assert_int_equal(recv(sv[1], rx, sizeof rx, MSG_DONTWAIT), 0);
    px_conn_destroy(c);
    close(sv[1]);

    /* No bound given: 64 KiB.  A stream saved and restored keeps its
     * bytes, as a message connection does. */
    o = stream_options(0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    assert_int_equal(px_conn_create(sv[0], "stream", &o, &c), 0);
    assert_int_equal(write(sv[1], buf, 100), 100);
    assert_int_equal(px_conn_run(c, PX_CONN_READ), 0);
    px_conn_consume(c, 40);
    {
        struct px_buf saved = PX_BUF_INITIALIZER(SIZE_MAX);
        struct px_cursor cur;
        int fd;

        assert_int_equal(px_conn_save(c, &saved, &fd), 0);
        px_conn_destroy(c);
        px_cursor_init(&cur, saved.data, saved.len);
        assert_int_equal(px_conn_restore(&cur, fd, &o, &c), 0);
        px_buf_destroy(&saved);
    }
    assert_int_equal(px_conn_next(c, &data, &len), 0);
    assert_int_equal(len, 60);
    assert_memory_equal(data, buf + 40, 60);
    px_conn_destroy(c);
    close(sv[1]);
}

/* ---------------------------------------------------------------------- */
/* TLS, with two PKIs made by ovs-pki.                                    */

static char pki_dir[256];

static int
run(const char *cmd)
{
    int rc = system(cmd);

    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int
tls_setup(void **state)
{
    char cmd[1024];

    if (tmpdir_setup(state)) {
        return -1;
    }
    snprintf(pki_dir, sizeof pki_dir, "%s", (const char *)*state);
    /* pki: the switch CA and controller CA of one PKI; other: another. */
    snprintf(cmd, sizeof cmd,
             "cd %s && ovs-pki --dir=pki init >/dev/null 2>&1 && "
             "ovs-pki --dir=pki req+sign ctl controller >/dev/null 2>&1 && "
             "ovs-pki --dir=pki req+sign sw switch >/dev/null 2>&1 && "
             "ovs-pki --dir=other init >/dev/null 2>&1 && "
             "ovs-pki --dir=other req+sign rogue switch >/dev/null 2>&1",
             pki_dir);
    return run(cmd) ? -1 : 0;
}

static struct px_tls *
tls_ctx(int server, const char *name, const char *ca)
{
    char key[512], cert[512], cacert[512], why[256];
    struct px_tls *tls;
    int error;

    snprintf(key, sizeof key, "%s/%s-privkey.pem", pki_dir, name);
    snprintf(cert, sizeof cert, "%s/%s-cert.pem", pki_dir, name);
    snprintf(cacert, sizeof cacert, "%s/%s/cacert.pem", pki_dir, ca);
    error =
        server
            ? px_tls_create_server(key, cert, cacert, &tls, why, sizeof why)
            : px_tls_create_client(key, cert, cacert, &tls, why, sizeof why);
    if (error) {
        fail_msg("%s", why);
    }
    return tls;
}

/* Runs both ends until neither moves or 'done' says so, up to a deadline. */
static void
pump(struct px_conn *a, struct px_conn *b,
     int (*done)(struct px_conn *, struct px_conn *))
{
    int i;

    for (i = 0; i < 400 && !done(a, b); i++) {
        struct pollfd pfd[2] = {{px_conn_fd(a), 0, 0}, {px_conn_fd(b), 0, 0}};
        int ea = px_conn_events(a), eb = px_conn_events(b);

        pfd[0].events = (short)((ea & PX_CONN_READ ? POLLIN : 0) |
                                (ea & PX_CONN_WRITE ? POLLOUT : 0));
        pfd[1].events = (short)((eb & PX_CONN_READ ? POLLIN : 0) |
                                (eb & PX_CONN_WRITE ? POLLOUT : 0));
        if (poll(pfd, 2, 50) <= 0) {
            continue;
        }
        if (pfd[0].revents && px_conn_is_open(a)) {
            px_conn_run(a, ea);
        }
        if (pfd[1].revents && px_conn_is_open(b)) {
            px_conn_run(b, eb);
        }
    }
}

static int
both_established(struct px_conn *a, struct px_conn *b)
{
    return (px_conn_is_established(a) && px_conn_is_established(b)) ||
           !px_conn_is_open(a) || !px_conn_is_open(b);
}

static int
either_closed(struct px_conn *a, struct px_conn *b)
{
    return !px_conn_is_open(a) || !px_conn_is_open(b);
}

static void
tls_pair(const char *client_name, const char *client_ca, struct px_conn **srv,
         struct px_conn **cli)
{
    struct px_conn_options o = plain_options();
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    o.transport = PX_TRANSPORT_TLS;
    o.server = 1;
    o.tls = tls_ctx(1, "ctl", "pki/switchca");
    assert_int_equal(px_conn_create(sv[0], "switch", &o, srv), 0);
    px_tls_unref(o.tls); /* The session keeps the context alive. */
    o.server = 0;
    o.tls = tls_ctx(0, client_name, client_ca);
    assert_int_equal(px_conn_create(sv[1], "controller", &o, cli), 0);
    px_tls_unref(o.tls);
}

static void
test_tls_messages_and_handoff(void **state)
{
    struct px_conn_options o = plain_options();
    struct px_buf saved = PX_BUF_INITIALIZER(SIZE_MAX);
    struct px_conn *srv, *cli, *srv2;
    struct px_cursor cur;
    const uint8_t *msg;
    uint8_t buf[200];
    size_t len;
    int fd, i;

    (void)state;
    tls_pair("sw", "pki/controllerca", &srv, &cli);
    pump(srv, cli, both_established);
    assert_true(px_conn_is_established(srv));
    assert_true(px_conn_is_established(cli));
    make_msg(buf, 200, 0x42);
    assert_int_equal(px_conn_send(cli, buf, 200), 0);
    assert_int_equal(px_conn_flush(cli), 0);
    for (i = 0; i < 100 && px_conn_next(srv, &msg, &len) == EAGAIN; i++) {
        struct pollfd pfd = {px_conn_fd(srv), POLLIN, 0};

        poll(&pfd, 1, 50);
        px_conn_run(srv, PX_CONN_READ);
    }
    assert_int_equal(len, 200);
    assert_int_equal(msg[199], 0x42);

    /* Hand the server's live session to a new object, as a reload does,
     * and keep talking both ways over it. */
    assert_int_equal(px_conn_save(srv, &saved, &fd), 0);
    px_conn_destroy(srv);
    o.transport = PX_TRANSPORT_TLS;
    o.server = 1;
    o.tls = tls_ctx(1, "ctl", "pki/switchca");
    px_cursor_init(&cur, saved.data, saved.len);
    assert_int_equal(px_conn_restore(&cur, fd, &o, &srv2), 0);
    px_tls_unref(o.tls);
    assert_true(px_conn_is_established(srv2));
    make_msg(buf, 200, 0x43);
    assert_int_equal(px_conn_send(cli, buf, 200), 0);
    assert_int_equal(px_conn_flush(cli), 0);
    assert_int_equal(next_msg(srv2, &msg, &len), 0);
    assert_int_equal(msg[199], 0x43);
    make_msg(buf, 64, 0x44);
    assert_int_equal(px_conn_send(srv2, buf, 64), 0);
    assert_int_equal(px_conn_flush(srv2), 0);
    assert_int_equal(next_msg(cli, &msg, &len), 0);
    assert_int_equal(msg[63], 0x44);
    px_conn_destroy(srv2);
    /* The server's close_notify reads as the peer closing. */
    assert_int_equal(next_msg(cli, &msg, &len), EPIPE);
    assert_int_equal(px_conn_reason(cli), PX_CONN_PEER_CLOSED);
    px_conn_destroy(cli);
    px_buf_destroy(&saved);
}

static void
test_tls_rogue_switch(void **state)
{
    struct px_conn *srv, *cli;

    (void)state;
    /* rogue-*.pem were signed by the CA in other/, not by pki/. */
    tls_pair("rogue", "pki/controllerca", &srv, &cli);
    pump(srv, cli, either_closed);
    assert_false(px_conn_is_open(srv));
    assert_int_equal(px_conn_reason(srv), PX_CONN_TLS_FAILED);
    assert_non_null(strstr(px_conn_why(srv), "certificate verify failed"));
    px_conn_destroy(srv);
    px_conn_destroy(cli);
}

static void
test_tls_plain_peer_refused(void **state)
{
    struct px_conn_options o = plain_options();
    struct px_conn *srv;
    uint8_t hello[8] = {1, 0, 0, 8, 0, 0, 0, 1}; /* An OpenFlow HELLO. */
    int sv[2], i;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    o.transport = PX_TRANSPORT_TLS;
    o.server = 1;
    o.tls = tls_ctx(1, "ctl", "pki/switchca");
    assert_int_equal(px_conn_create(sv[0], "plain", &o, &srv), 0);
    px_tls_unref(o.tls);
    assert_int_equal(write(sv[1], hello, 8), 8);
    for (i = 0; i < 100 && px_conn_is_open(srv); i++) {
        struct pollfd pfd = {px_conn_fd(srv), POLLIN, 0};

        poll(&pfd, 1, 50);
        px_conn_run(srv, PX_CONN_READ);
    }
    assert_false(px_conn_is_open(srv));
    assert_int_equal(px_conn_reason(srv), PX_CONN_TLS_FAILED);
    assert_non_null(strstr(px_conn_why(srv), "TLS handshake failed"));
    px_conn_destroy(srv);
    close(sv[1]);
}

/* Runs both ends once for what they wait for (50 ms at most). */
static void
pump_once(struct px_conn *a, struct px_conn *b)
{
    struct pollfd pfd[2] = {{px_conn_fd(a), 0, 0}, {px_conn_fd(b), 0, 0}};
    int ea = px_conn_events(a), eb = px_conn_events(b);

    pfd[0].events = (short)((ea & PX_CONN_READ ? POLLIN : 0) |
                            (ea & PX_CONN_WRITE ? POLLOUT : 0));
    pfd[1].events = (short)((eb & PX_CONN_READ ? POLLIN : 0) |
                            (eb & PX_CONN_WRITE ? POLLOUT : 0));
    if (poll(pfd, 2, 50) <= 0) {
        return;
    }
    if (pfd[0].revents && px_conn_is_open(a)) {
        px_conn_run(a, ea);
    }
    if (pfd[1].revents && px_conn_is_open(b)) {
        px_conn_run(b, eb);
    }
}

/* A byte stream over TLS, the server asking for no client certificate (as
 * an HTTPS server does): 100 kB one way through a 4 KiB input buffer,
 * smaller than a TLS record, taken in pieces of 1000, and 50 kB back; then
 * the server's close_notify ends the client's stream without closing it.
 * A client whose CA did not sign the server's certificate refuses it. */
static void
test_tls_stream(void **state)
{
    struct px_conn_options o = stream_options(4096);
    enum { UP = 100000, DOWN = 50000 };
    uint8_t *up = malloc(UP), *got = malloc(UP);
    char key[512], cert[512], ca[512], why[256];
    struct px_tls *stls, *ctls, *none;
    struct px_conn *srv, *cli;
    const uint8_t *data;
    size_t len, sent = 0, n_got = 0, n_back = 0;
    int sv[2], i;

    (void)state;
    assert_non_null(up);
    assert_non_null(got);
    for (i = 0; i < UP; i++) {
        up[i] = (uint8_t)(i * 7 + i / 251);
    }
    snprintf(key, sizeof key, "%s/ctl-privkey.pem", pki_dir);
    snprintf(cert, sizeof cert, "%s/ctl-cert.pem", pki_dir);
    snprintf(ca, sizeof ca, "%s/pki/controllerca/cacert.pem", pki_dir);
    assert_int_equal(
        px_tls_create_server(key, cert, NULL, &stls, why, sizeof why), 0);
    assert_int_equal(
        px_tls_create_client(NULL, NULL, ca, &ctls, why, sizeof why), 0);
    /* A client still needs a CA to check the server with. */
    assert_int_equal(
        px_tls_create_client(NULL, NULL, "", &none, why, sizeof why), EINVAL);
    assert_null(none);
    assert_non_null(strstr(why, "CA certificate is needed"));

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    o.transport = PX_TRANSPORT_TLS;
    o.server = 1;
    o.tls = stls;
    assert_int_equal(px_conn_create(sv[0], "browser", &o, &srv), 0);
    o.server = 0;
    o.tls = ctls;
    o.out_limit = 8192;
    assert_int_equal(px_conn_create(sv[1], "server", &o, &cli), 0);
    pump(srv, cli, both_established);
    assert_true(px_conn_is_established(srv));
    assert_true(px_conn_is_established(cli));

    /* One record of 8000 bytes, read into 4096 of room: OpenSSL keeps the
     * rest, which only taking and looking again brings out, as no event
     * will come for it. */
    assert_int_equal(px_conn_send(cli, up, 8000), 0);
    assert_int_equal(px_conn_flush(cli), 0);
    for (i = 0; i < 100 && !px_conn_stats(srv)->rx_bytes; i++) {
        struct pollfd pfd = {px_conn_fd(srv), POLLIN, 0};

        poll(&pfd, 1, 50);
        assert_int_equal(px_conn_run(srv, PX_CONN_READ), 0);
    }
    assert_int_equal(px_conn_stats(srv)->rx_bytes, 4096);
    while (px_conn_peek(srv, &data, &len) == 0) {
        memcpy(got + n_got, data, len);
        n_got += len;
        px_conn_consume(srv, len);
    }
    assert_int_equal(n_got, 8000);
    sent = 8000;

    for (i = 0; i < 2000 && n_got < UP; i++) {
        uint8_t *dst;
        size_t room;

        /* The client queues what fits of the rest. */
        dst = px_conn_reserve(cli, &room);
        assert_non_null(dst);
        if (room > UP - sent) {
            room = UP - sent;
        }
        memcpy(dst, up + sent, room);
        px_conn_commit(cli, room);
        sent += room;
        assert_int_equal(px_conn_flush(cli), 0);
        pump_once(srv, cli);
        /* The server takes at most 1000 at a time, each look reading on
         * from what OpenSSL holds. */
        while (px_conn_peek(srv, &data, &len) == 0) {
            if (len > 1000) {
                len = 1000;
            }
            assert_true(n_got + len <= UP);
            memcpy(got + n_got, data, len);
            n_got += len;
            px_conn_consume(srv, len);
        }
        assert_true(px_conn_is_open(srv));
    }
    assert_int_equal(n_got, UP);
    assert_memory_equal(got, up, UP);
    assert_int_equal(px_conn_stats(srv)->rx_bytes, UP);

    for (i = 0; i < DOWN; i += 1000) {
        uint8_t piece[1000];

        memset(piece, i / 1000, sizeof piece);
        while (px_conn_send(srv, piece, sizeof piece) == ENOBUFS) {
            px_conn_flush(srv);
            pump_once(srv, cli);
            while (px_conn_next(cli, &data, &len) == 0) {
                n_back += len;
            }
        }
    }
    assert_int_equal(px_conn_flush(srv), 0);
    for (i = 0; i < 400 && n_back < DOWN; i++) {
        pump_once(srv, cli);
        while (px_conn_next(cli, &data, &len) == 0) {
            n_back += len;
        }
    }
    assert_int_equal(n_back, DOWN);

    /* close_notify: the client's stream ends, the client stays open. */
    px_conn_close(srv, PX_CONN_SHUTDOWN, NULL);
    for (i = 0; i < 100 && px_conn_peek(cli, &data, &len) == EAGAIN; i++) {
        struct pollfd pfd = {px_conn_fd(cli), POLLIN, 0};

        poll(&pfd, 1, 50);
        px_conn_run(cli, PX_CONN_READ);
    }
    assert_int_equal(px_conn_peek(cli, &data, &len), EPIPE);
    assert_true(px_conn_is_open(cli));
    px_conn_destroy(srv);
    px_conn_destroy(cli);

    /* The switch CA did not sign the server's certificate. */
    px_tls_unref(ctls);
    snprintf(ca, sizeof ca, "%s/pki/switchca/cacert.pem", pki_dir);
    assert_int_equal(
        px_tls_create_client(NULL, NULL, ca, &ctls, why, sizeof why), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    o.server = 1;
    o.tls = stls;
    assert_int_equal(px_conn_create(sv[0], "browser", &o, &srv), 0);
    o.server = 0;
    o.tls = ctls;
    assert_int_equal(px_conn_create(sv[1], "server", &o, &cli), 0);
    pump(srv, cli, either_closed);
    assert_int_equal(px_conn_reason(cli), PX_CONN_TLS_FAILED);
    assert_non_null(strstr(px_conn_why(cli), "certificate verify failed"));
    px_conn_destroy(srv);
    px_conn_destroy(cli);
    px_tls_unref(ctls);
    px_tls_unref(stls);
    free(up);
    free(got);
}

static void
test_tls_bad_files(void **state)
{
    struct px_tls *tls;
    char why[256], ca[512];

    (void)state;
    snprintf(ca, sizeof ca, "%s/pki/switchca/cacert.pem", pki_dir);
    assert_int_equal(px_tls_create_server("/nonexistent/key.pem",
                                          "/nonexistent/cert.pem", ca, &tls,
                                          why, sizeof why),
                     ENOENT);
    assert_string_equal(why, "certificate /nonexistent/cert.pem: No such "
                             "file or directory");
    assert_null(tls);
}

int
main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_split_and_batched),
        cmocka_unit_test(test_length_out_of_bounds),
        cmocka_unit_test(test_peer_closed_mid_message),
        cmocka_unit_test(test_output_bounded_and_batched),
        cmocka_unit_test(test_reset_is_peer_closed),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_ipv6_loopback),
        cmocka_unit_test(test_handoff_round_trip),
        cmocka_unit_test(test_handoff_truncated_and_corrupt),
        cmocka_unit_test(test_stream_plain),
    };
    const struct CMUnitTest tls[] = {
        cmocka_unit_test(test_tls_messages_and_handoff),
        cmocka_unit_test(test_tls_rogue_switch),
        cmocka_unit_test(test_tls_plain_peer_refused),
        cmocka_unit_test(test_tls_stream),
        cmocka_unit_test(test_tls_bad_files),
    };
    int rc;

    /* OpenSSL writes with write(), not send(MSG_NOSIGNAL), as the header
     * says: a program with TLS connections ignores SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests_name("conn", plain, NULL, NULL);

    return rc | cmocka_run_group_tests_name("conn_tls", tls, tls_setup,
                                            tmpdir_teardown);
}
