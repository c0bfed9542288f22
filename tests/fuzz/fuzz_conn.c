/*
 * libFuzzer target for the SDK's message connections (sdk/lib/conn.c): the
 * code that cuts every peer's byte stream into messages, reads a saved
 * connection back across a reload, and parses listen/connect addresses
 * from configuration.  None may crash, over-read or hit undefined
 * behaviour, and each must keep its promises.
 *
 * The first byte chooses:
 *  - 0: the rest is a peer's byte stream, written into a socketpair in
 *    pieces whose sizes come from the input, and read through a plain
 *    connection with OpenFlow's framing (16-bit length at offset 2,
 *    8..65535).  Every message px_conn_next returns must lie inside the
 *    input buffer and carry its own length; the connection ends open, or
 *    closed as malformed (a length out of bounds) or as closed by the peer
 *    (after every whole message was delivered).
 *  - 1: the rest is a saved connection for px_conn_restore, which must
 *    refuse it (EPROTO, ENOBUFS) or give a connection whose peer label is
 *    NUL-terminated and whose buffered output can be flushed.  Saved TLS
 *    sessions are skipped: their handle is a pointer into the saving
 *    process, trusted because a handoff never leaves the process (the
 *    state records the pid, which a fuzzer can learn but a reload cannot
 *    get wrong).
 *  - 2: the rest is an address spec for px_endpoint_parse; a parsed one
 *    must format back to a spec that parses to the same endpoint.
 *  - 3: the rest is cut into pieces as in 0, written into a byte-stream
 *    connection (framing.length_size 0) whose input holds 100 bytes, and
 *    taken with px_conn_peek and px_conn_consume in bites whose sizes come
 *    from the input: what is taken must be exactly what was written, in
 *    order, and the end of the stream must read as EPIPE with the
 *    connection still open.
 *
 * Build: see the Makefile's fuzz_conn rule.
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
#include "plexus/buf.h"
#include "plexus/byteorder.h"
#include "plexus/conn.h"

static const struct px_conn_framing framing = {2, 2, 8, 65535};

static struct px_conn_options
options(void)
{
    struct px_conn_options o;

    memset(&o, 0, sizeof o);
    o.transport = PX_TRANSPORT_UNIX;
    o.framing = framing;
    o.in_limit = 65535 + 4096;
    o.out_limit = 65536;
    return o;
}

static void
fuzz_stream(const uint8_t *data, size_t size)
{
    struct px_conn_options o = options();
    struct px_conn *c;
    size_t off = 0;
    int sv[2], error = 0;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv)) {
        return;
    }
    check(!px_conn_create(sv[0], "fuzz", &o, &c));
    while (off < size && px_conn_is_open(c)) {
        /* A piece of 1..256 bytes, its size from the input. */
        size_t piece = (size_t)data[off] + 1;
        const uint8_t *msg;
        size_t len;

        off++;
        if (piece > size - off) {
            piece = size - off;
        }
        if (piece && write(sv[1], data + off, piece) != (ssize_t)piece) {
            break;
        }
        off += piece;
        if (off >= size) {
            close(sv[1]);
            sv[1] = -1;
        }
        px_conn_run(c, PX_CONN_READ);
        while ((error = px_conn_next(c, &msg, &len)) == 0) {
            check(len >= 8 && len <= 65535 && px_get_be16(msg + 2) == len);
        }
        check(error == EAGAIN || error == EPROTO || error == EPIPE);
        if (error == EPROTO) {
            check(px_conn_reason(c) == PX_CONN_MALFORMED);
        } else if (error == EPIPE) {
            check(px_conn_reason(c) == PX_CONN_PEER_CLOSED &&
                  !px_conn_has_message(c));
        }
    }
    if (sv[1] >= 0) {
        close(sv[1]);
    }
    px_conn_destroy(c);
}

static void
fuzz_byte_stream(const uint8_t *data, size_t size)
{
    struct px_conn_options o = options();
    uint8_t *written = malloc(size + 1), *taken = malloc(size + 1);
    size_t off = 0, n_written = 0, n_taken = 0;
    struct px_conn *c;
    int sv[2], error, i;

    check(written && taken);
    memset(&o.framing, 0, sizeof o.framing);
    o.in_limit = 100;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv)) {
        free(written);
        free(taken);
        return;
    }
    check(!px_conn_create(sv[0], "fuzz", &o, &c));
    while (off < size) {
        size_t piece = (size_t)data[off] + 1, bite = data[off] % 37 + 1;
        const uint8_t *bytes;
        size_t len;

        off++;
        if (piece > size - off) {
            piece = size - off;
        }
        if (piece && write(sv[1], data + off, piece) != (ssize_t)piece) {
            break;
        }
        memcpy(written + n_written, data + off, piece);
        n_written += piece;
        off += piece;
        check(!px_conn_run(c, PX_CONN_READ));
        while ((error = px_conn_peek(c, &bytes, &len)) == 0) {
            check(len <= 100 && px_conn_has_message(c));
            if (len > bite) {
                len = bite;
            }
            memcpy(taken + n_taken, bytes, len);
            n_taken += len;
            px_conn_consume(c, len);
        }
        check(error == EAGAIN);
    }
    shutdown(sv[1], SHUT_WR);
    for (i = 0; i < 3; i++) {
        const uint8_t *bytes;
        size_t len;

        check(!px_conn_run(c, PX_CONN_READ));
        while ((error = px_conn_next(c, &bytes, &len)) == 0) {
            memcpy(taken + n_taken, bytes, len);
            n_taken += len;
        }
        if (error == EPIPE) {
            break;
        }
    }
    check(error == EPIPE && px_conn_is_open(c) && !px_conn_events(c));
    check(n_taken == n_written && !memcmp(taken, written, n_written));
    check(px_conn_stats(c)->rx_bytes == n_written);
    close(sv[1]);
    px_conn_destroy(c);
    free(written);
    free(taken);
}

static void
fuzz_restore(const uint8_t *data, size_t size)
{
    struct px_conn_options o = options();
    struct px_cursor cur;
    struct px_conn *c;
    int sv[2];

    /* The transport byte follows the magic and version. */
    if (size > 8 && data[8] == PX_TRANSPORT_TLS) {
        return;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv)) {
        return;
    }
    px_cursor_init(&cur, data, size);
    if (!px_conn_restore(&cur, sv[0], &o, &c)) {
        check(strlen(px_conn_peer(c)) < 64);
        check(px_conn_queued(c) <= 65536);
        px_conn_flush(c);
        px_conn_destroy(c);
    } else {
        check(c == NULL);
    }
    close(sv[1]);
}

static void
fuzz_endpoint(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    struct px_endpoint ep, again;
    char why[256], text[300];

    check(spec != NULL);
    memcpy(spec, data, size);
    spec[size] = '\0';
    if (!px_endpoint_parse(spec, &ep, why, sizeof why)) {
        px_endpoint_format(&ep, text, sizeof text);
        check(!px_endpoint_parse(text, &again, why, sizeof why));
        check(again.transport == ep.transport && again.port == ep.port &&
              !strcmp(again.host, ep.host) && !strcmp(again.path, ep.path));
    } else {
        check(why[0] != '\0');
    }
    free(spec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) {
        return 0;
    }
    switch (data[0] % 4) {
    case 0:
        fuzz_stream(data + 1, size - 1);
        break;
    case 1:
        fuzz_restore(data + 1, size - 1);
        break;
    case 2:
        fuzz_endpoint(data + 1, size - 1);
        break;
    default:
        fuzz_byte_stream(data + 1, size - 1);
        break;
    }
    return 0;
}
