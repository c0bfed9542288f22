/*
 * libFuzzer target for the SDK's WebSocket sessions (sdk/lib/ws.c) and
 * the handshake helpers (sdk/lib/ws_handshake.c).  A session reads what
 * any browser, or anything that can reach the HTTP port, sends after the
 * upgrade, so no byte stream may crash it, leak, over-read, hit undefined
 * behaviour, grow its queue past its bounds, or leave it hanging.
 *
 * The first byte chooses and sets flags:
 *  - low two bits 2: the rest is five lines (method, Upgrade, Connection,
 *    Sec-WebSocket-Version, Sec-WebSocket-Key) for px_ws_handshake_check;
 *    a request it accepts must have a key px_ws_accept_key takes, giving
 *    28 base64 characters.
 *  - otherwise the rest is the client's side of a session on a
 *    socketpair, run on the test loop (tests/unit/loophost.c): the second
 *    byte is how many of the following bytes are the "early" bytes sent
 *    with the HTTP request; then pieces, each a length byte (1..256 bytes
 *    follow) written to the socket and a pass of the loop.  Flags:
 *    0x04 the client does not read while it writes; 0x08 the application
 *    echoes every message; 0x10 it closes the session at the third
 *    message; 0x20 it destroys the session at the second.
 *    Every message delivered is within max_message; the queue stays
 *    within its bounds plus one read's pongs; every frame the server
 *    sends is a well-formed, unmasked, unfragmented server frame; after
 *    the input the client reads everything and shuts down its side, and
 *    the session must end (on_close once, or destroyed) within seconds.
 *
 * Build: see the Makefile's fuzz_ws rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzzcheck.h"
#include "loophost.h"
#include "plexus/ws.h"

#define MAX_MESSAGE 1024
#define MAX_QUEUED  4096
#define MAX_MSGS    64
/* wslay reads at most 4 KiB at a time; the pongs for one read, and a
 * close, may go past the bounds before reading stops. */
#define QUEUE_SLACK (4096 + 256)

struct fz {
    struct px_ws *ws;
    int flags;
    int closed;
    unsigned int msgs;
    /* What the server sent, parsed as it comes. */
    uint8_t rx[65536];
    size_t rx_len;
    int saw_close;
};

static void
fz_on_message(struct px_ws *ws, int binary, const uint8_t *data, size_t len,
              void *arg)
{
    struct fz *f = arg;

    check(ws == f->ws && !f->closed);
    check(len <= MAX_MESSAGE);
    /* Touch every byte, so ASan sees a bad pointer or length. */
    if (len) {
        volatile uint8_t sum = 0;
        size_t i;

        for (i = 0; i < len; i++) {
            sum ^= data[i];
        }
        (void)sum;
    }
    f->msgs++;
    if (f->flags & 0x08) {
        int r = px_ws_send(ws, binary, data, len);

        check(r == 0 || r == ENOBUFS || r == EPIPE);
    }
    if ((f->flags & 0x10) && f->msgs == 3) {
        px_ws_close(ws, 1000, "enough");
        check(px_ws_send(ws, 0, "x", 1) == EPIPE);
    }
    if ((f->flags & 0x20) && f->msgs == 2) {
        px_ws_destroy(ws);
        f->ws = NULL;
    }
}

static void
fz_on_drain(struct px_ws *ws, void *arg)
{
    struct fz *f = arg;

    check(ws == f->ws && !f->closed);
}

static void
fz_on_close(struct px_ws *ws, enum px_ws_close_reason reason, void *arg)
{
    struct fz *f = arg;

    check(ws == f->ws && !f->closed);
    check(reason < PX_WS_CLOSE_N_REASONS);
    f->closed = 1;
    px_ws_destroy(ws);
    f->ws = NULL;
}

static const struct px_ws_callbacks fz_callbacks = {fz_on_message, fz_on_drain,
                                                    fz_on_close};

/* Checks the frames the server sent so far and drops them. */
static void
parse_server(struct fz *f)
{
    for (;;) {
        const uint8_t *b = f->rx;
        size_t hdr = 2, len, i;
        int opcode;

        if (f->rx_len < 2) {
            return;
        }
        check(!(b[1] & 0x80));        /* Not masked. */
        check((b[0] & 0xf0) == 0x80); /* FIN, no RSV bits. */
        opcode = b[0] & 0x0f;
        check(opcode == 1 || opcode == 2 || opcode == 8 || opcode == 9 ||
              opcode == 10);
        check(!f->saw_close); /* Nothing after a close. */
        len = b[1] & 0x7f;
        if (len == 126) {
            if (f->rx_len < 4) {
                return;
            }
            len = (size_t)b[2] << 8 | b[3];
            check(len >= 126);
            hdr = 4;
        } else if (len == 127) {
            if (f->rx_len < 10) {
                return;
            }
            check(!(b[2] & 0x80));
            len = 0;
            for (i = 0; i < 8; i++) {
                len = len << 8 | b[2 + i];
            }
            check(len >= 65536);
            hdr = 10;
        }
        if (opcode >= 8) {
            check(len <= 125);
        } else {
            check(len <= MAX_MESSAGE); /* Only echoes are sent. */
        }
        if (f->rx_len < hdr + len) {
            return;
        }
        if (opcode == 8) {
            f->saw_close = 1;
            check(len != 1);
        }
        memmove(f->rx, f->rx + hdr + len, f->rx_len - hdr - len);
        f->rx_len -= hdr + len;
    }
}

/* Reads what the server sent; returns 0 at EOF. */
static int
client_read(struct fz *f, int fd)
{
    for (;;) {
        ssize_t n;

        check(f->rx_len < sizeof f->rx);
        n = recv(fd, f->rx + f->rx_len, sizeof f->rx - f->rx_len,
                 MSG_DONTWAIT);
        if (n > 0) {
            f->rx_len += (size_t)n;
            parse_server(f);
            continue;
        }
        return !(n == 0 || (errno != EAGAIN && errno != EINTR));
    }
}

static void
check_bounds(const struct fz *f)
{
    if (f->ws) {
        check(px_ws_queued(f->ws) <= MAX_QUEUED + QUEUE_SLACK);
    }
}

static void
fuzz_session(int flags, const uint8_t *data, size_t size)
{
    struct px_ws_config cfg;
    struct loophost *lh = loophost_new();
    struct fz *f = calloc(1, sizeof *f);
    size_t early = 0, off = 0;
    int sv[2], client_open = 1;
    double end;

    check(lh && f);
    f->flags = flags;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
        abort();
    }
    /* A small send buffer, so that a client that does not read soon
     * backs the queue up. */
    {
        int sndbuf = 4096;

        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    }
    check(!fcntl(sv[1], F_SETFL, O_NONBLOCK));
    memset(&cfg, 0, sizeof cfg);
    cfg.max_message = MAX_MESSAGE;
    cfg.max_queued = MAX_QUEUED;
    cfg.max_queued_msgs = MAX_MSGS;
    cfg.close_grace = 0.5;
    if (size) {
        early = data[0];
        off = 1;
        if (early > size - off) {
            early = size - off;
        }
    }
    check(!px_ws_start(loophost_plugin(lh), sv[0], data + off, early, &cfg,
                       &fz_callbacks, f, &f->ws));
    off += early;
    while (off < size) {
        size_t piece = (size_t)data[off] + 1;
        const uint8_t *p;

        off++;
        if (piece > size - off) {
            piece = size - off;
        }
        p = data + off;
        off += piece;
        while (piece) {
            ssize_t n = send(sv[1], p, piece, MSG_NOSIGNAL | MSG_DONTWAIT);

            if (n <= 0) {
                /* Full (the session stopped reading) or gone: the rest
                 * of this piece is lost, as a real peer's would wait. */
                break;
            }
            p += n;
            piece -= (size_t)n;
        }
        loophost_run_once(lh, 0);
        check_bounds(f);
        if (!(flags & 0x04)) {
            client_read(f, sv[1]);
        }
    }
    /* The end of the input: the client reads everything and leaves. */
    shutdown(sv[1], SHUT_WR);
    end = loophost_now() + 5;
    while (f->ws && loophost_now() < end) {
        loophost_run_once(lh, 0.01);
        check_bounds(f);
        if (client_open && !client_read(f, sv[1])) {
            client_open = 0;
        }
    }
    /* A session must end once its peer has gone. */
    check(f->ws == NULL);
    check(loophost_ios(lh) == 0 && loophost_timers(lh) == 0);
    check(loophost_unexpected(lh) == 0);
    loophost_free(lh);
    close(sv[1]);
    free(f);
}

static void
fuzz_handshake(const uint8_t *data, size_t size)
{
    char *text = copy_input(data, size);
    char *line[5] = {NULL, NULL, NULL, NULL, NULL};
    char *copy, *s;
    size_t i;
    int r;

    copy = malloc(size + 1);
    check(copy != NULL);
    memcpy(copy, text, size);
    copy[size] = '\0';
    free(text);
    s = copy;
    for (i = 0; i < 5 && s; i++) {
        char *nl = strchr(s, '\n');

        line[i] = s;
        if (nl) {
            *nl = '\0';
            s = nl + 1;
        } else {
            s = NULL;
        }
    }
    r = px_ws_handshake_check(line[0], line[1], line[2], line[3], line[4]);
    check(r == 0 || r == EINVAL || r == EPROTONOSUPPORT);
    if (line[4]) {
        char acc[29];
        int k = px_ws_accept_key(line[4], acc);

        check(k == 0 || k == EINVAL);
        if (r == 0) {
            check(k == 0);
        }
        if (k == 0) {
            check(strlen(acc) == 28 && acc[27] == '=');
        }
    } else {
        check(r == EINVAL);
    }
    free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) {
        return 0;
    }
    if ((data[0] & 3) == 2) {
        fuzz_handshake(data + 1, size - 1);
    } else {
        fuzz_session(data[0], data + 1, size - 1);
    }
    return 0;
}
