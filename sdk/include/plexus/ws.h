/*
 * WebSocket server sessions (RFC 6455) for plugins: one struct px_ws per
 * upgraded socket, framed by wslay's event API and driven by the plugin's
 * own loop through px_io and px_timer.  No thread.
 *
 * The HTTP side (the plugin that owns the listener) checks the upgrade
 * request with px_ws_handshake_check, answers 101 with the
 * Sec-WebSocket-Accept value of px_ws_accept_key, and hands the socket to
 * px_ws_start together with any bytes the client sent after its request
 * headers.  From then on the session:
 *  - delivers whole messages (fragments reassembled, control frames
 *    between fragments answered) to on_message;
 *  - answers pings, and pings a silent peer every 'ping_interval';
 *  - closes a peer silent for 'idle_timeout' (1001), a message larger than
 *    'max_message' (1009), and protocol violations (1002, 1007);
 *  - bounds what waits to go out: px_ws_send refuses beyond 'max_queued'
 *    bytes (or 'max_queued_msgs' messages) with ENOBUFS and counts the
 *    drop; on_drain says when there is room again;
 *  - stops reading while control frames it owes the peer (pongs) would
 *    take the queue past its bounds, so a peer that pings without reading
 *    cannot grow it;
 *  - ends with a closing handshake: after its close frame it shuts its
 *    side down (SHUT_WR) and waits for the peer's close or EOF, at most
 *    'close_grace' seconds, so that the peer reads the close frame rather
 *    than a reset;
 *  - reports its end once, with a reason, to on_close.
 *
 * Ownership: px_ws_start takes the socket (closed also on failure) and
 * copies 'early', the configuration and the callbacks; the session owns
 * its watcher and timers, and px_ws_destroy releases everything.  Message
 * data passed to on_message is borrowed for the call; px_ws_send copies.
 * Every callback may call px_ws_send, px_ws_close and px_ws_destroy on its
 * session.  Calls belong on the loop thread of the plugin 'p'.  No function
 * here calls a callback before returning: callbacks run only from the
 * loop.  A plugin must destroy its sessions in fini.
 *
 * Link: the session functions need wslay (the Makefile's WS_LIBS,
 * "-lwslay"); the two handshake helpers need only libcrypto, so the HTTP
 * side need not link wslay.  All of it lives in libplexus.a.
 */
#ifndef PLEXUS_WS_H
#define PLEXUS_WS_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

struct px_ws;

/* Limits and timers of one session.  A zero size or grace takes the
 * default in brackets; a zero interval or timeout disables it. */
struct px_ws_config {
    size_t max_message;     /* Largest message accepted from the peer;
                             * larger: close 1009 [64 KiB]. */
    size_t max_queued;      /* Payload bytes queued toward the peer;
                             * px_ws_send beyond: ENOBUFS, counted as
                             * dropped [1 MiB]. */
    size_t max_queued_msgs; /* Messages queued toward the peer, the same
                             * way [max_queued / 64, at least 64]. */
    double ping_interval;   /* Seconds without anything from the peer
                             * before we ping (and again after as long
                             * again); 0: never. */
    double idle_timeout;    /* Seconds without anything from the peer
                             * (pongs count) before closing it with 1001;
                             * 0: never. */
    double close_grace;     /* Seconds a closing handshake may take before
                             * the socket is closed anyway [2]. */
};

/* Counters of one session.  Bytes are message payload bytes, not wire
 * bytes.  Out: messages px_ws_send accepted; dropped: what it refused with
 * ENOBUFS. */
struct px_ws_stats {
    uint64_t msgs_in, msgs_out;
    uint64_t bytes_in, bytes_out;
    uint64_t dropped_msgs, dropped_bytes;
};

/* Why a session ended.  Append only: plugins may count per reason. */
enum px_ws_close_reason {
    PX_WS_CLOSE_PEER = 0, /* The peer sent a close frame first. */
    PX_WS_CLOSE_LOCAL,    /* px_ws_close. */
    PX_WS_CLOSE_PROTOCOL, /* The peer broke the protocol (1002, 1007). */
    PX_WS_CLOSE_TOO_BIG,  /* The peer sent a message over max_message. */
    PX_WS_CLOSE_IDLE,     /* idle_timeout passed without a byte. */
    PX_WS_CLOSE_IO,       /* The socket failed, or the peer went away
                           * without a closing handshake. */
    PX_WS_CLOSE_ERROR,    /* Out of memory, or a watcher could not be
                           * armed. */
    PX_WS_CLOSE_N_REASONS
};

/* The reason's name in logs and metrics: "peer", "local", "protocol",
 * "too_big", "idle", "io", "error"; "unknown" for anything else. */
const char *px_ws_close_reason_name(enum px_ws_close_reason reason);

struct px_ws_callbacks {
    /* A whole text (binary = 0; UTF-8, checked) or binary message.  Not
     * called once the session is closing. */
    void (*on_message)(struct px_ws *ws, int binary, const uint8_t *data,
                       size_t len, void *arg);
    /* Optional: the queue fell to half its bounds or below after a send
     * was refused, or after a send left it over half. */
    void (*on_drain)(struct px_ws *ws, void *arg);
    /* The session is over and its socket closed; called once, unless the
     * session was destroyed first.  The callee destroys the session (here
     * or later). */
    void (*on_close)(struct px_ws *ws, enum px_ws_close_reason reason,
                     void *arg);
};

/* Starts a session on 'fd', a connected socket past the HTTP 101 (made
 * non-blocking here if it is not, and TCP_NODELAY when it is TCP).
 * 'early' is what the client sent after its request headers ('early_len'
 * bytes, copied; read before the socket).  'config' may be NULL for the
 * defaults.  on_message and on_close are required.  Returns 0 and the
 * session in '*out', or EINVAL (bad arguments or configuration), ENOMEM,
 * or the error of px_io_start/px_timer_start; on failure 'fd' is closed
 * too. */
int px_ws_start(struct px_plugin *p, int fd, const void *early,
                size_t early_len, const struct px_ws_config *config,
                const struct px_ws_callbacks *callbacks, void *arg,
                struct px_ws **out);

/* Queues one message (text: 'binary' = 0, which must be UTF-8; not
 * checked).  Returns 0; ENOBUFS when it would take the queue past
 * max_queued or max_queued_msgs (the message is dropped and counted);
 * EPIPE once the session is closing or over; ENOMEM. */
int px_ws_send(struct px_ws *ws, int binary, const void *data, size_t len);

/* Starts the closing handshake: what is queued goes out first, then a
 * close frame with 'code' (0: none; a code RFC 6455 forbids on the wire is
 * sent as 1000) and 'reason' (NULL or UTF-8, cut at 123 bytes on a
 * character boundary).  From now on px_ws_send fails with EPIPE and no
 * message is delivered.  on_close(PX_WS_CLOSE_LOCAL) follows when the peer
 * has answered, or after close_grace.  Does nothing if the session is
 * already closing. */
void px_ws_close(struct px_ws *ws, uint16_t code, const char *reason);

/* Ends the session at once: closes the socket, stops its watcher and
 * timers, frees it; no callback follows.  'ws' may be NULL. */
void px_ws_destroy(struct px_ws *ws);

/* Payload bytes queued toward the peer, control frames included. */
size_t px_ws_queued(const struct px_ws *ws);

void px_ws_get_stats(const struct px_ws *ws, struct px_ws_stats *stats);

/* The HTTP side of the handshake (RFC 6455 section 4.2.1), pure: the
 * request's method and its Upgrade, Connection, Sec-WebSocket-Version and
 * Sec-WebSocket-Key header values (NULL when absent).  Returns 0 for a
 * valid upgrade request; EINVAL when it is not one (a header missing or
 * malformed; Upgrade and Connection are comma lists whose tokens compare
 * case-insensitively); EPROTONOSUPPORT when all is well but the version is
 * not 13, which the HTTP side answers with 426 and
 * "Sec-WebSocket-Version: 13". */
int px_ws_handshake_check(const char *method, const char *upgrade,
                          const char *connection, const char *version,
                          const char *key);

/* Writes the Sec-WebSocket-Accept value for 'key' (RFC 6455 section
 * 4.2.2: base64 of the SHA-1 of the key and the protocol's GUID), 28
 * characters and a NUL.  EINVAL when 'key' is not 24 base64 characters
 * that decode to 16 bytes; EIO if the digest fails. */
int px_ws_accept_key(const char *key, char accept[29]);

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_WS_H */
