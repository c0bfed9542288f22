/*
 * Unit tests of the SDK's WebSocket server sessions (libplexus.a:
 * plexus/ws.h), each over a socketpair on a real loop (loophost.c), against
 * a client built here by hand: its frames are masked and framed in this
 * file, and the server's frames are parsed here, so the oracle does not
 * share wslay with the code under test.
 *
 * Covered: Sec-WebSocket-Accept (the RFC's sample) and the upgrade
 * request check; bytes sent along with the HTTP request read before the
 * socket; a fragmented message with a ping between its fragments; a
 * message over max_message closed with 1009; protocol errors closed with
 * 1002 and 1007; the bounded queue toward a peer that does not read
 * (ENOBUFS, drops counted, memory bounded, on_drain once it reads); idle
 * timeout, pings, and pongs keeping a session alive; the closing handshake
 * started by either side, and its grace; EOF without a handshake; destroy
 * inside on_message and on_close; bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "loophost.h"
#include "plexus/ws.h"

#define OP_CONT   0x0
#define OP_TEXT   0x1
#define OP_BINARY 0x2
#define OP_CLOSE  0x8
#define OP_PING   0x9
#define OP_PONG   0xa

#define MAX_MSGS 64

struct recorded {
    int binary;
    size_t len;
    uint8_t *data;
};

/* One session under test and the client end of its socket.  Static, so
 * that the teardown can release whatever a failed assertion left. */
struct session {
    struct loophost *lh;
    struct px_ws *ws;
    int peer; /* The client's end, non-blocking. */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    int rx_eof;
    int rx_errno; /* A read error instead of EOF (a reset). */

    struct recorded msgs[MAX_MSGS];
    size_t n_msgs;
    int closed;
    enum px_ws_close_reason reason;
    int drains;
    int destroy_on_message; /* Destroy inside the first on_message. */
    int send_on_drain;      /* Messages on_drain tries to send. */
};

static struct session S;

/* A frame as the client sees it. */
struct frame {
    int fin;
    int opcode;
    uint8_t *payload; /* Malloc'd, NUL-terminated; the caller frees. */
    size_t len;
};

/* ---------------------------------------------------------------------- */
/* Callbacks.                                                             */

static void
on_message(struct px_ws *ws, int binary, const uint8_t *data, size_t len,
           void *arg)
{
    struct session *s = arg;
    struct recorded *r;

    assert_ptr_equal(ws, s->ws);
    assert_true(s->n_msgs < MAX_MSGS);
    r = &s->msgs[s->n_msgs++];
    r->binary = binary;
    r->len = len;
    r->data = malloc(len + 1);
    assert_non_null(r->data);
    if (len) {
        memcpy(r->data, data, len);
    }
    r->data[len] = '\0';
    if (s->destroy_on_message) {
        px_ws_destroy(ws);
        s->ws = NULL;
    }
}

static void
on_drain(struct px_ws *ws, void *arg)
{
    struct session *s = arg;

    assert_ptr_equal(ws, s->ws);
    s->drains++;
}

static void
on_close(struct px_ws *ws, enum px_ws_close_reason reason, void *arg)
{
    struct session *s = arg;

    assert_ptr_equal(ws, s->ws);
    assert_false(s->closed);
    s->closed = 1;
    s->reason = reason;
    px_ws_destroy(ws);
    s->ws = NULL;
}

static const struct px_ws_callbacks callbacks = {on_message, on_drain,
                                                 on_close};

/* ---------------------------------------------------------------------- */
/* Fixture.                                                               */

static int
setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof S);
    S.peer = -1;
    S.lh = loophost_new();
    assert_non_null(S.lh);
    return 0;
}

static int
teardown(void **state)
{
    size_t i;

    (void)state;
    px_ws_destroy(S.ws);
    S.ws = NULL;
    if (S.lh) {
        /* Whatever the session had, destroy released. */
        assert_int_equal(loophost_ios(S.lh), 0);
        assert_int_equal(loophost_timers(S.lh), 0);
        assert_int_equal(loophost_unexpected(S.lh), 0);
    }
    loophost_free(S.lh);
    if (S.peer >= 0) {
        close(S.peer);
    }
    free(S.rx);
    for (i = 0; i < S.n_msgs; i++) {
        free(S.msgs[i].data);
    }
    memset(&S, 0, sizeof S);
    return 0;
}

/* Starts a session on a fresh socketpair.  'sndbuf', when nonzero, makes
 * the server's send buffer small, so that a client that does not read
 * soon blocks it. */
static void
start(const struct px_ws_config *cfg, const void *early, size_t early_len,
      int sndbuf)
{
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    if (sndbuf) {
        assert_int_equal(
            setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf),
            0);
    }
    assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
    S.peer = sv[1];
    assert_int_equal(px_ws_start(loophost_plugin(S.lh), sv[0], early,
                                 early_len, cfg, &callbacks, &S, &S.ws),
                     0);
    assert_non_null(S.ws);
}

/* The same over TCP on loopback, as a browser would connect.  Small
 * buffers (the client's send, the server's receive) keep a large message
 * from fitting in the kernel at once. */
static void
start_tcp(const struct px_ws_config *cfg)
{
    struct sockaddr_in sin;
    socklen_t slen = sizeof sin;
    int lfd, cfd, sfd, small = 16384;

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    assert_int_equal(
        setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
    cfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(cfd >= 0);
    assert_int_equal(
        setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
    assert_int_equal(connect(cfd, (struct sockaddr *)&sin, sizeof sin), 0);
    sfd = accept(lfd, NULL, NULL);
    assert_true(sfd >= 0);
    close(lfd);
    assert_int_equal(fcntl(cfd, F_SETFL, O_NONBLOCK), 0);
    S.peer = cfd;
    /* Blocking on purpose: px_ws_start makes it non-blocking. */
    assert_int_equal(px_ws_start(loophost_plugin(S.lh), sfd, NULL, 0, cfg,
                                 &callbacks, &S, &S.ws),
                     0);
    assert_true(fcntl(sfd, F_GETFL) & O_NONBLOCK);
}

/* ---------------------------------------------------------------------- */
/* The client.                                                            */

/* A client frame (masked, as RFC 6455 requires of clients) in 'out',
 * which has room for len + 14 bytes; returns its length. */
static size_t
client_frame(uint8_t *out, int fin, int opcode, const void *payload,
             size_t len)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    const uint8_t *p = payload;
    size_t n = 0, i;

    out[n++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    if (len < 126) {
        out[n++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        out[n++] = 0x80 | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x80 | 127;
        for (i = 0; i < 8; i++) {
            out[n++] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        }
    }
    memcpy(out + n, key, 4);
    n += 4;
    for (i = 0; i < len; i++) {
        out[n + i] = p[i] ^ key[i % 4];
    }
    return n + len;
}

/* Reads what the server sent into the client's buffer. */
static void
pump(void)
{
    for (;;) {
        ssize_t n;

        if (S.rx_cap - S.rx_len < 4096) {
            S.rx_cap = S.rx_cap * 2 + 8192;
            S.rx = realloc(S.rx, S.rx_cap);
            assert_non_null(S.rx);
        }
        n = recv(S.peer, S.rx + S.rx_len, S.rx_cap - S.rx_len, 0);
        if (n > 0) {
            S.rx_len += (size_t)n;
        } else {
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                S.rx_errno = errno;
            }
            if (n == 0 || S.rx_errno) {
                S.rx_eof = 1;
            }
            return;
        }
    }
}

/* Writes all of 'data' from the client, running the loop whenever the
 * socket is full. */
static void
client_write(const void *data, size_t len)
{
    const uint8_t *p = data;
    double end = loophost_now() + 5;

    while (len) {
        ssize_t n = send(S.peer, p, len, MSG_NOSIGNAL);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        assert_true(n < 0 && errno == EAGAIN);
        assert_true(loophost_now() < end);
        loophost_run_once(S.lh, 0.01);
    }
}

static void
client_send(int fin, int opcode, const void *payload, size_t len)
{
    uint8_t *buf = malloc(len + 14);

    assert_non_null(buf);
    client_write(buf, client_frame(buf, fin, opcode, payload, len));
    free(buf);
}

/* Parses one server frame from the front of the client's buffer: 1 and
 * the frame, or 0 when it is not all there yet. */
static int
parse_frame(struct frame *f)
{
    const uint8_t *b = S.rx;
    size_t hdr = 2, len, i;

    if (S.rx_len < 2) {
        return 0;
    }
    /* Server frames are never masked, and use no extension bits. */
    assert_int_equal(b[1] & 0x80, 0);
    assert_int_equal(b[0] & 0x70, 0);
    len = b[1] & 0x7f;
    if (len == 126) {
        if (S.rx_len < 4) {
            return 0;
        }
        len = (size_t)b[2] << 8 | b[3];
        hdr = 4;
    } else if (len == 127) {
        if (S.rx_len < 10) {
            return 0;
        }
        len = 0;
        for (i = 0; i < 8; i++) {
            len = len << 8 | b[2 + i];
        }
        hdr = 10;
    }
    if (S.rx_len < hdr + len) {
        return 0;
    }
    f->fin = !!(b[0] & 0x80);
    f->opcode = b[0] & 0x0f;
    f->len = len;
    f->payload = malloc(len + 1);
    assert_non_null(f->payload);
    memcpy(f->payload, b + hdr, len);
    f->payload[len] = '\0';
    memmove(S.rx, S.rx + hdr + len, S.rx_len - hdr - len);
    S.rx_len -= hdr + len;
    return 1;
}

/* The next server frame, running the loop while it is not there: 1 and
 * the frame, or 0 at EOF.  Fails the test after 'timeout' seconds. */
static int
next_frame(struct frame *f, double timeout)
{
    double end = loophost_now() + timeout;

    for (;;) {
        pump();
        if (parse_frame(f)) {
            return 1;
        }
        if (S.rx_eof) {
            assert_int_equal(S.rx_len, 0);
            return 0;
        }
        assert_true(loophost_now() < end);
        loophost_run_once(S.lh, 0.01);
    }
}

static void
expect_frame(int opcode, const char *payload)
{
    struct frame f;

    assert_int_equal(next_frame(&f, 5), 1);
    assert_int_equal(f.fin, 1);
    assert_int_equal(f.opcode, opcode);
    if (payload) {
        assert_int_equal(f.len, strlen(payload));
        assert_memory_equal(f.payload, payload, f.len);
    }
    free(f.payload);
}

/* A close frame with 'code' and, if not NULL, 'reason'. */
static void
expect_close(uint16_t code, const char *reason)
{
    struct frame f;

    assert_int_equal(next_frame(&f, 5), 1);
    assert_int_equal(f.opcode, OP_CLOSE);
    assert_true(f.len >= 2);
    assert_int_equal(f.payload[0] << 8 | f.payload[1], code);
    if (reason) {
        assert_int_equal(f.len - 2, strlen(reason));
        assert_memory_equal(f.payload + 2, reason, f.len - 2);
    }
    free(f.payload);
}

/* EOF, not a reset. */
static void
expect_eof(void)
{
    struct frame f;

    assert_int_equal(next_frame(&f, 5), 0);
    assert_int_equal(S.rx_errno, 0);
}

static void
client_close(uint16_t code, const char *reason)
{
    uint8_t p[125];
    size_t len = reason ? strlen(reason) : 0;

    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    if (len) {
        memcpy(p + 2, reason, len);
    }
    client_send(1, OP_CLOSE, p, len + 2);
}

static int
is_closed(void *arg)
{
    (void)arg;
    return S.closed;
}

static int
has_msgs(void *arg)
{
    return S.n_msgs >= (size_t)(uintptr_t)arg;
}

static void
wait_closed(enum px_ws_close_reason reason)
{
    assert_int_equal(loophost_run_until(S.lh, is_closed, NULL, 5), 0);
    assert_string_equal(px_ws_close_reason_name(S.reason),
                        px_ws_close_reason_name(reason));
}

static void
wait_msgs(size_t n)
{
    assert_int_equal(
        loophost_run_until(S.lh, has_msgs, (void *)(uintptr_t)n, 5), 0);
}

/* ---------------------------------------------------------------------- */
/* The handshake helpers.                                                 */

static void
test_accept_key(void **state)
{
    char acc[29];

    (void)state;
    /* RFC 6455 section 1.3. */
    assert_int_equal(px_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc), 0);
    assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /* Not 16 bytes of base64. */
    assert_int_equal(px_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", acc), EINVAL);
    assert_int_equal(px_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ===", acc),
                     EINVAL);
    assert_int_equal(px_ws_accept_key("dGhlIHNhbXBsZSBub25jZQAA", acc),
                     EINVAL);
    assert_int_equal(px_ws_accept_key("dGhlIHNhbXBsZSBub25j*Q==", acc),
                     EINVAL);
    assert_int_equal(px_ws_accept_key("", acc), EINVAL);
    assert_int_equal(px_ws_accept_key(NULL, acc), EINVAL);
}

static void
test_handshake_check(void **state)
{
    static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
    static const struct {
        const char *method, *upgrade, *connection, *version, *key;
        int want;
    } cases[] = {
        {"GET", "websocket", "Upgrade", "13", key, 0},
        {"GET", "WebSocket", "upgrade", "13", key, 0},
        {"GET", "WEBSOCKET", "UPGRADE", "13", key, 0},
        {"GET", "websocket", "keep-alive, Upgrade", "13", key, 0},
        {"GET", "websocket", "keep-alive,Upgrade ,close", "13", key, 0},
        {"GET", "h2c, websocket", "Upgrade", "13", key, 0},
        {"GET", "websocket", "\tUpgrade\t", "13", key, 0},
        {"POST", "websocket", "Upgrade", "13", key, EINVAL},
        {"get", "websocket", "Upgrade", "13", key, EINVAL},
        {NULL, "websocket", "Upgrade", "13", key, EINVAL},
        {"GET", NULL, "Upgrade", "13", key, EINVAL},
        {"GET", "websockets", "Upgrade", "13", key, EINVAL},
        {"GET", "web socket", "Upgrade", "13", key, EINVAL},
        {"GET", "websocket", NULL, "13", key, EINVAL},
        {"GET", "websocket", "keep-alive", "13", key, EINVAL},
        {"GET", "websocket", "Upgraded", "13", key, EINVAL},
        {"GET", "websocket", "", "13", key, EINVAL},
        {"GET", "websocket", "Upgrade", "13", NULL, EINVAL},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZQ==", EINVAL},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==AA",
         EINVAL},
        {"GET", "websocket", "Upgrade", NULL, key, EINVAL},
        {"GET", "websocket", "Upgrade", "", key, EINVAL},
        {"GET", "websocket", "Upgrade", "8", key, EPROTONOSUPPORT},
        {"GET", "websocket", "Upgrade", "14", key, EPROTONOSUPPORT},
        {"GET", "websocket", "Upgrade", "13, 8", key, EPROTONOSUPPORT},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = px_ws_handshake_check(cases[i].method, cases[i].upgrade,
                                        cases[i].connection, cases[i].version,
                                        cases[i].key);

        if (got != cases[i].want) {
            fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
        }
    }
}

static void
test_reason_names(void **state)
{
    (void)state;
    assert_string_equal(px_ws_close_reason_name(PX_WS_CLOSE_PEER), "peer");
    assert_string_equal(px_ws_close_reason_name(PX_WS_CLOSE_LOCAL), "local");
    assert_string_equal(px_ws_close_reason_name(PX_WS_CLOSE_PROTOCOL),
                        "protocol");
    assert_string_equal(px_ws_close_reason_name(PX_WS_CLOSE_TOO_BIG),
                        "too_big");
    assert_string_equal(px_ws_close_reason_name(PX_WS_CLOSE_IDLE), "idle");
    assert_string_equal(px_ws_close_reason_name(PX_WS_CLOSE_IO), "io");
    assert_string_equal(px_ws_close_reason_name(PX_WS_CLOSE_ERROR), "error");
    assert_string_equal(px_ws_close_reason_name(PX_WS_CLOSE_N_REASONS),
                        "unknown");
}

/* ---------------------------------------------------------------------- */
/* Sessions.                                                              */

static void
test_start_errors(void **state)
{
    struct px_ws_callbacks no_close = {on_message, NULL, NULL};
    struct px_ws_config bad = {0};
    struct px_ws *ws = (struct px_ws *)&ws;
    int sv[2];

    (void)state;
    /* Each failure closes the socket it was given. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(px_ws_start(loophost_plugin(S.lh), sv[0], NULL, 0, NULL,
                                 &no_close, NULL, &ws),
                     EINVAL);
    assert_null(ws);
    assert_int_equal(fcntl(sv[0], F_GETFD), -1);
    close(sv[1]);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    bad.idle_timeout = -1;
    assert_int_equal(px_ws_start(loophost_plugin(S.lh), sv[0], NULL, 0, &bad,
                                 &callbacks, NULL, &ws),
                     EINVAL);
    assert_int_equal(fcntl(sv[0], F_GETFD), -1);
    close(sv[1]);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(px_ws_start(loophost_plugin(S.lh), sv[0], NULL, 3, NULL,
                                 &callbacks, NULL, &ws),
                     EINVAL);
    assert_int_equal(fcntl(sv[0], F_GETFD), -1);
    close(sv[1]);

    assert_int_equal(px_ws_start(loophost_plugin(S.lh), -1, NULL, 0, NULL,
                                 &callbacks, NULL, &ws),
                     EINVAL);
    assert_int_equal(px_ws_send(NULL, 0, "x", 1), EINVAL);
    px_ws_close(NULL, 1000, NULL);
    px_ws_destroy(NULL);
    assert_int_equal(px_ws_queued(NULL), 0);
}

/* Messages both ways, and the counters. */
static void
test_echo_and_stats(void **state)
{
    struct px_ws_stats st;
    static const uint8_t bin[] = {0, 1, 2, 0xff};

    (void)state;
    start(NULL, NULL, 0, 0);
    client_send(1, OP_TEXT, "hi", 2);
    client_send(1, OP_BINARY, bin, sizeof bin);
    client_send(1, OP_TEXT, "", 0);
    wait_msgs(3);
    assert_false(S.msgs[0].binary);
    assert_string_equal(S.msgs[0].data, "hi");
    assert_true(S.msgs[1].binary);
    assert_int_equal(S.msgs[1].len, sizeof bin);
    assert_memory_equal(S.msgs[1].data, bin, sizeof bin);
    assert_int_equal(S.msgs[2].len, 0);

    assert_int_equal(px_ws_send(S.ws, 0, "hello", 5), 0);
    assert_int_equal(px_ws_send(S.ws, 1, bin, sizeof bin), 0);
    /* Sizes that take the 16-bit and the 64-bit length forms. */
    {
        static uint8_t big[70000];
        struct frame f;

        memset(big, 'b', sizeof big);
        assert_int_equal(px_ws_send(S.ws, 1, big, 300), 0);
        assert_int_equal(px_ws_send(S.ws, 1, big, sizeof big), 0);
        expect_frame(OP_TEXT, "hello");
        assert_int_equal(next_frame(&f, 5), 1);
        assert_int_equal(f.opcode, OP_BINARY);
        assert_int_equal(f.len, sizeof bin);
        assert_memory_equal(f.payload, bin, sizeof bin);
        free(f.payload);
        assert_int_equal(next_frame(&f, 5), 1);
        assert_int_equal(f.len, 300);
        free(f.payload);
        assert_int_equal(next_frame(&f, 5), 1);
        assert_int_equal(f.len, sizeof big);
        assert_memory_equal(f.payload, big, sizeof big);
        free(f.payload);
    }
    loophost_run_quiet(S.lh, 10);
    assert_int_equal(px_ws_queued(S.ws), 0);
    px_ws_get_stats(S.ws, &st);
    assert_int_equal(st.msgs_in, 3);
    assert_int_equal(st.bytes_in, 2 + sizeof bin);
    assert_int_equal(st.msgs_out, 4);
    assert_int_equal(st.bytes_out, 5 + sizeof bin + 300 + 70000);
    assert_int_equal(st.dropped_msgs, 0);
    assert_int_equal(st.dropped_bytes, 0);
    assert_false(S.closed);
}

/* What the client sent along with its request is read first, and a frame
 * split between those bytes and the socket comes out whole. */
static void
test_early_bytes(void **state)
{
    uint8_t early[64], second[64];
    size_t n1, n2;

    (void)state;
    n1 = client_frame(early, 1, OP_TEXT, "first", 5);
    n2 = client_frame(second, 1, OP_TEXT, "second", 6);
    memcpy(early + n1, second, 3);
    /* The socket gets the rest of the second frame before the session
     * even starts: early bytes must still come first. */
    {
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(write(sv[1], second + 3, n2 - 3), (ssize_t)(n2 - 3));
        assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
        S.peer = sv[1];
        assert_int_equal(px_ws_start(loophost_plugin(S.lh), sv[0], early,
                                     n1 + 3, NULL, &callbacks, &S, &S.ws),
                         0);
    }
    /* Nothing runs before the loop does. */
    assert_int_equal(S.n_msgs, 0);
    wait_msgs(2);
    assert_string_equal(S.msgs[0].data, "first");
    assert_string_equal(S.msgs[1].data, "second");

    /* Early bytes alone, with nothing more ever on the socket. */
    teardown(NULL);
    setup(NULL);
    n1 = client_frame(early, 1, OP_BINARY, "only", 4);
    start(NULL, early, n1, 0);
    wait_msgs(1);
    assert_true(S.msgs[0].binary);
    assert_string_equal(S.msgs[0].data, "only");
}

/* "hel", a ping, "lo": a pong comes back and one message "hello". */
static void
test_fragments_and_ping(void **state)
{
    (void)state;
    start(NULL, NULL, 0, 0);
    client_send(0, OP_TEXT, "hel", 3);
    client_send(1, OP_PING, "p1", 2);
    expect_frame(OP_PONG, "p1");
    assert_int_equal(S.n_msgs, 0);
    client_send(0, OP_CONT, "", 0);
    client_send(1, OP_CONT, "lo", 2);
    wait_msgs(1);
    loophost_run_quiet(S.lh, 10);
    assert_int_equal(S.n_msgs, 1);
    assert_false(S.msgs[0].binary);
    assert_string_equal(S.msgs[0].data, "hello");
    assert_false(S.closed);
}

/* A message over max_message: 1009 on the wire, then our EOF, then
 * on_close(TOO_BIG) once the client goes. */
static void
test_too_big(void **state)
{
    struct px_ws_config cfg = {0};
    uint8_t big[100];

    (void)state;
    cfg.max_message = 64;
    start(&cfg, NULL, 0, 0);
    memset(big, 'x', sizeof big);
    /* 64 bytes in two fragments pass; the limit is the whole message. */
    client_send(0, OP_BINARY, big, 32);
    client_send(1, OP_CONT, big, 32);
    wait_msgs(1);
    assert_int_equal(S.msgs[0].len, 64);
    client_send(0, OP_BINARY, big, 40);
    client_send(1, OP_CONT, big, 40);
    expect_close(1009, NULL);
    expect_eof();
    assert_int_equal(S.n_msgs, 1);
    /* The session lingers for the client's EOF. */
    loophost_run_quiet(S.lh, 10);
    assert_false(S.closed);
    close(S.peer);
    S.peer = -1;
    wait_closed(PX_WS_CLOSE_TOO_BIG);

    /* One frame over the limit: its payload never reaches memory. */
    teardown(NULL);
    setup(NULL);
    start(&cfg, NULL, 0, 0);
    client_send(1, OP_TEXT, big, sizeof big);
    expect_close(1009, NULL);
    expect_eof();
    client_close(1009, NULL);
    close(S.peer);
    S.peer = -1;
    wait_closed(PX_WS_CLOSE_TOO_BIG);
    assert_int_equal(S.n_msgs, 0);
}

/* Over TCP, a client still sending a large message when we refuse it
 * can finish sending it, and reads our 1009 and then EOF, not a reset: we
 * shut down our side and read what it sends until it goes. */
static void
test_too_big_tcp(void **state)
{
    struct px_ws_config cfg = {0};
    size_t len = 1024 * 1024;
    uint8_t *big = malloc(len), *buf = malloc(len + 14);
    size_t n;

    (void)state;
    assert_non_null(big);
    assert_non_null(buf);
    cfg.max_message = 4096;
    start_tcp(&cfg);
    client_send(1, OP_TEXT, "small", 5);
    wait_msgs(1);
    memset(big, 'z', len);
    n = client_frame(buf, 1, OP_BINARY, big, len);
    free(big);
    client_write(buf, n);
    free(buf);
    expect_close(1009, NULL);
    expect_eof();
    assert_false(S.closed);
    client_close(1009, NULL);
    close(S.peer);
    S.peer = -1;
    wait_closed(PX_WS_CLOSE_TOO_BIG);
    assert_int_equal(S.n_msgs, 1);
}

/* Over TCP: messages both ways and a peer's close. */
static void
test_tcp_echo(void **state)
{
    (void)state;
    start_tcp(NULL);
    client_send(1, OP_TEXT, "over tcp", 8);
    wait_msgs(1);
    assert_string_equal(S.msgs[0].data, "over tcp");
    assert_int_equal(px_ws_send(S.ws, 0, "back", 4), 0);
    expect_frame(OP_TEXT, "back");
    client_close(1000, "");
    expect_close(1000, "");
    expect_eof();
    wait_closed(PX_WS_CLOSE_PEER);
}

static void
test_protocol_errors(void **state)
{
    static const uint8_t unmasked[] = {0x81, 0x02, 'h', 'i'};
    static const uint8_t bad_utf8[] = {0xc3, 0x28};

    (void)state;
    /* A client frame without a mask. */
    start(NULL, NULL, 0, 0);
    client_write(unmasked, sizeof unmasked);
    expect_close(1002, NULL);
    expect_eof();
    close(S.peer);
    S.peer = -1;
    wait_closed(PX_WS_CLOSE_PROTOCOL);
    assert_int_equal(S.n_msgs, 0);

    /* Text that is not UTF-8. */
    teardown(NULL);
    setup(NULL);
    start(NULL, NULL, 0, 0);
    client_send(1, OP_TEXT, bad_utf8, sizeof bad_utf8);
    expect_close(1007, NULL);
    expect_eof();
    client_close(1007, NULL);
    close(S.peer);
    S.peer = -1;
    wait_closed(PX_WS_CLOSE_PROTOCOL);

    /* A continuation with no message to continue. */
    teardown(NULL);
    setup(NULL);
    start(NULL, NULL, 0, 0);
    client_send(1, OP_TEXT, "ok", 2);
    client_send(1, OP_CONT, "x", 1);
    expect_close(1002, NULL);
    close(S.peer);
    S.peer = -1;
    wait_closed(PX_WS_CLOSE_PROTOCOL);
    assert_int_equal(S.n_msgs, 1);
}

/* A peer that does not read: the queue stays within max_queued, refused
 * sends are counted, and on_drain comes once it reads again. */
static void
test_bounded_queue(void **state)
{
    struct px_ws_config cfg = {0};
    struct px_ws_stats st;
    uint8_t msg[512];
    uint32_t seq = 0, refused = 0, accepted_after = 0, want;
    int i, drains_before;

    (void)state;
    cfg.max_queued = 8192;
    start(&cfg, NULL, 0, 4096);
    memset(msg, 'm', sizeof msg);
    for (i = 0; i < 2000; i++) {
        int r;

        memcpy(msg, &seq, sizeof seq);
        r = px_ws_send(S.ws, 1, msg, sizeof msg);
        if (r == 0) {
            seq++;
        } else {
            assert_int_equal(r, ENOBUFS);
            refused++;
        }
        assert_true(px_ws_queued(S.ws) <= cfg.max_queued);
        if (i % 8 == 0) {
            loophost_run_once(S.lh, 0);
        }
    }
    /* The socket took a little, the queue its 8 KiB; the rest was
     * refused. */
    assert_true(refused > 1500);
    assert_true(px_ws_queued(S.ws) > cfg.max_queued / 2);
    px_ws_get_stats(S.ws, &st);
    assert_int_equal(st.dropped_msgs, refused);
    assert_int_equal(st.dropped_bytes, (uint64_t)refused * sizeof msg);
    assert_int_equal(st.msgs_out, seq);
    assert_int_equal(S.drains, 0);

    /* The client reads: every accepted message, in order, then on_drain
     * once, when the queue is at half or less. */
    for (want = 0; want < seq; want++) {
        struct frame f;
        uint32_t got;

        assert_int_equal(next_frame(&f, 5), 1);
        assert_int_equal(f.opcode, OP_BINARY);
        assert_int_equal(f.len, sizeof msg);
        memcpy(&got, f.payload, sizeof got);
        assert_int_equal(got, want);
        free(f.payload);
    }
    loophost_run_quiet(S.lh, 10);
    assert_int_equal(S.drains, 1);
    assert_int_equal(px_ws_queued(S.ws), 0);
    drains_before = S.drains;
    for (i = 0; i < 4; i++) {
        if (px_ws_send(S.ws, 0, "again", 5) == 0) {
            accepted_after++;
        }
    }
    assert_int_equal(accepted_after, 4);
    for (i = 0; i < 4; i++) {
        expect_frame(OP_TEXT, "again");
    }
    loophost_run_quiet(S.lh, 10);
    /* Small sends that never passed half owe no on_drain. */
    assert_int_equal(S.drains, drains_before);
}

/* A peer that pings and never reads cannot grow the queue: reading stops
 * while the pongs it is owed are over the bounds. */
static void
test_ping_flood(void **state)
{
    struct px_ws_config cfg = {0};
    uint8_t *flood, payload[125];
    size_t n = 0, i, fl_len = 0, cap = 300 * 1024;
    double end;

    (void)state;
    cfg.max_queued = 4096;
    cfg.max_queued_msgs = 64;
    start(&cfg, NULL, 0, 4096);
    flood = malloc(cap);
    assert_non_null(flood);
    memset(payload, 'p', sizeof payload);
    while (fl_len + 140 < cap) {
        fl_len += client_frame(flood + fl_len, 1, OP_PING, payload,
                               n++ % 2 ? sizeof payload : 0);
    }
    /* Write what the socket takes, run the loop, repeat, for a while. */
    end = loophost_now() + 1;
    i = 0;
    while (loophost_now() < end && i < fl_len) {
        ssize_t w = send(S.peer, flood + i, fl_len - i, MSG_NOSIGNAL);

        if (w > 0) {
            i += (size_t)w;
        }
        loophost_run_once(S.lh, 0.001);
        /* Bounded by one read's pongs past the limits (wslay reads 4 KiB
         * at a time). */
        assert_true(px_ws_queued(S.ws) <= cfg.max_queued + 4096 + 125);
    }
    free(flood);
    assert_false(S.closed);
    /* Sends are refused while the pongs are queued. */
    assert_int_equal(px_ws_send(S.ws, 0, "x", 1), ENOBUFS);
}

static void
test_idle_timeout(void **state)
{
    struct px_ws_config cfg = {0};
    double t0;

    (void)state;
    cfg.idle_timeout = 0.3;
    start(&cfg, NULL, 0, 0);
    t0 = loophost_now();
    /* Traffic from the peer pushes the deadline back. */
    loophost_run_for(S.lh, 0.1);
    client_send(1, OP_TEXT, "still here", 10);
    expect_close(1001, "idle timeout");
    assert_true(loophost_now() - t0 >= 0.39);
    expect_eof();
    assert_int_equal(S.n_msgs, 1);
    assert_false(S.closed);
    client_close(1001, NULL);
    wait_closed(PX_WS_CLOSE_IDLE);
}

/* Pings after ping_interval of silence; answering pongs keep a session
 * with an idle timeout alive; silence then closes it. */
static void
test_ping_keeps_alive(void **state)
{
    struct px_ws_config cfg = {0};
    double t0, end;
    int pings = 0;

    (void)state;
    cfg.ping_interval = 0.05;
    cfg.idle_timeout = 0.5;
    start(&cfg, NULL, 0, 0);
    t0 = loophost_now();
    end = t0 + 0.8;
    while (loophost_now() < end) {
        struct frame f;

        assert_int_equal(next_frame(&f, 1), 1);
        assert_int_equal(f.opcode, OP_PING);
        free(f.payload);
        pings++;
        client_send(1, OP_PONG, NULL, 0);
    }
    /* Once per interval or so: 16 at most, fewer on a busy machine. */
    assert_true(pings >= 4 && pings <= 17);
    assert_false(S.closed);

    /* A client that stops answering is pinged, then closed. */
    t0 = loophost_now();
    {
        struct frame f;
        int more_pings = 0;

        for (;;) {
            assert_int_equal(next_frame(&f, 2), 1);
            if (f.opcode == OP_CLOSE) {
                free(f.payload);
                break;
            }
            assert_int_equal(f.opcode, OP_PING);
            free(f.payload);
            more_pings++;
        }
        assert_true(more_pings >= 2);
    }
    assert_true(loophost_now() - t0 >= 0.45);
    close(S.peer);
    S.peer = -1;
    wait_closed(PX_WS_CLOSE_IDLE);
}

static void
test_peer_close(void **state)
{
    (void)state;
    start(NULL, NULL, 0, 0);
    client_send(1, OP_TEXT, "a", 1);
    client_close(1001, "bye");
    /* The echo, with the peer's code and reason, then EOF. */
    expect_close(1001, "bye");
    expect_eof();
    wait_closed(PX_WS_CLOSE_PEER);
    assert_int_equal(S.n_msgs, 1);
}

/* Our close: queued messages first, then the close frame and EOF;
 * on_close(LOCAL) only when the peer has answered. */
static void
test_local_close(void **state)
{
    char reason[200];
    struct frame f;
    size_t i;

    (void)state;
    start(NULL, NULL, 0, 0);
    assert_int_equal(px_ws_send(S.ws, 0, "last", 4), 0);
    px_ws_close(S.ws, 1000, "done");
    assert_int_equal(px_ws_send(S.ws, 0, "late", 4), EPIPE);
    px_ws_close(S.ws, 1011, "again"); /* Ignored: already closing. */
    expect_frame(OP_TEXT, "last");
    expect_close(1000, "done");
    expect_eof();
    /* Messages after our close are not delivered. */
    client_send(1, OP_TEXT, "ignored", 7);
    loophost_run_for(S.lh, 0.05);
    assert_false(S.closed);
    assert_int_equal(S.n_msgs, 0);
    client_close(1000, NULL);
    wait_closed(PX_WS_CLOSE_LOCAL);

    /* A long reason is cut at 123 bytes without splitting a character;
     * a code that may not be sent becomes 1000. */
    teardown(NULL);
    setup(NULL);
    start(NULL, NULL, 0, 0);
    for (i = 0; i + 2 < sizeof reason; i += 2) {
        reason[i] = (char)0xc3; /* U+00E9, two bytes. */
        reason[i + 1] = (char)0xa9;
    }
    reason[i] = '\0';
    px_ws_close(S.ws, 1006, reason);
    assert_int_equal(next_frame(&f, 5), 1);
    assert_int_equal(f.opcode, OP_CLOSE);
    assert_int_equal(f.len, 2 + 122);
    assert_int_equal(f.payload[0] << 8 | f.payload[1], 1000);
    assert_memory_equal(f.payload + 2, reason, 122);
    free(f.payload);
    client_close(1000, NULL);
    wait_closed(PX_WS_CLOSE_LOCAL);
}

/* A peer that never answers our close: on_close after the grace. */
static void
test_local_close_grace(void **state)
{
    struct px_ws_config cfg = {0};
    double t0;

    (void)state;
    cfg.close_grace = 0.2;
    start(&cfg, NULL, 0, 0);
    t0 = loophost_now();
    px_ws_close(S.ws, 4000, NULL);
    expect_close(4000, "");
    expect_eof();
    wait_closed(PX_WS_CLOSE_LOCAL);
    assert_true(loophost_now() - t0 >= 0.19);
}

/* EOF or a reset without a closing handshake. */
static void
test_eof(void **state)
{
    (void)state;
    start(NULL, NULL, 0, 0);
    client_send(0, OP_TEXT, "half", 4);
    close(S.peer);
    S.peer = -1;
    wait_closed(PX_WS_CLOSE_IO);
    assert_int_equal(S.n_msgs, 0);
}

/* Destroyed inside on_message, with more messages in the same read: no
 * more callbacks, nothing left behind, and the client sees EOF. */
static void
test_destroy_in_on_message(void **state)
{
    uint8_t buf[64];
    size_t n;

    (void)state;
    S.destroy_on_message = 1;
    start(NULL, NULL, 0, 0);
    n = client_frame(buf, 1, OP_TEXT, "one", 3);
    n += client_frame(buf + n, 1, OP_TEXT, "two", 3);
    n += client_frame(buf + n, 1, OP_PING, "", 0);
    client_write(buf, n);
    wait_msgs(1);
    assert_null(S.ws);
    loophost_run_quiet(S.lh, 10);
    assert_int_equal(S.n_msgs, 1);
    assert_string_equal(S.msgs[0].data, "one");
    assert_false(S.closed);
    assert_int_equal(loophost_ios(S.lh), 0);
    assert_int_equal(loophost_timers(S.lh), 0);
    expect_eof();

    /* The same with early bytes (a timer's pass, not the watcher's). */
    teardown(NULL);
    setup(NULL);
    S.destroy_on_message = 1;
    n = client_frame(buf, 1, OP_TEXT, "one", 3);
    n += client_frame(buf + n, 1, OP_TEXT, "two", 3);
    start(NULL, buf, n, 0);
    wait_msgs(1);
    loophost_run_quiet(S.lh, 10);
    assert_int_equal(S.n_msgs, 1);
    expect_eof();
}

/* Destroyed from outside while timers and writes are pending. */
static void
test_destroy_pending(void **state)
{
    struct px_ws_config cfg = {0};
    static uint8_t big[100000];

    (void)state;
    cfg.ping_interval = 10;
    cfg.idle_timeout = 20;
    start(&cfg, "\x81", 1, 4096);
    assert_int_equal(px_ws_send(S.ws, 1, big, sizeof big), 0);
    loophost_run_once(S.lh, 0);
    assert_true(px_ws_queued(S.ws) > 0);
    px_ws_close(S.ws, 1000, NULL);
    px_ws_destroy(S.ws);
    S.ws = NULL;
    loophost_run_quiet(S.lh, 10);
    assert_false(S.closed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key),
        cmocka_unit_test(test_handshake_check),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test_setup_teardown(test_start_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_and_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_early_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragments_and_ping, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_big_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_keeps_alive, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_peer_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_close_grace, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_in_on_message, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_destroy_pending, setup, teardown),
    };

    return cmocka_run_group_tests_name("ws", tests, NULL, NULL);
}
