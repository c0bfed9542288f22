/*
 * Message connections: one object for every stream of length-framed
 * messages Plexus speaks (OpenFlow to switches, VNS to routers, in plugins
 * and in the router program), over a small set of transports: TCP over IPv4
 * and IPv6, TLS (OpenSSL) over TCP, and Unix sockets.  A connection may
 * also carry a plain byte stream (framing.length_size 0), with the same
 * bounded buffers, handshake and close reasons: the stats plugin's HTTPS
 * relay is one.
 *
 * A connection owns its socket, a bounded input buffer that it cuts into
 * whole messages by the protocol's length field, and a bounded output
 * buffer that collects what the owner queues during a loop pass and goes
 * out in one batch when the owner flushes.  It does not own an event loop:
 * like Open vSwitch's streams it says which events it waits for
 * (px_conn_events) and the owner calls px_conn_run when one arrives, so
 * the same object serves plugins (px_io) and programs on libev.
 *
 *     px_conn_run(c, revents)          on readiness: handshake, write, read
 *     while (!px_conn_next(c, &m, &n)) handle the message m[0..n)
 *     px_conn_send / px_conn_reserve+px_conn_commit
 *     px_conn_flush(c)                 once per loop pass
 *     px_conn_events(c)                what to wait for next
 *
 * Every connection ends with exactly one close reason (enum
 * px_conn_reason), whose names are the ones logs and metrics print for
 * switches and routers alike.
 *
 * Across a plugin reload a connection is handed over whole: the socket
 * (px_handoff_put_fd), and its buffered bytes, counters and transport state
 * in an explicit, versioned serialization (px_conn_save / px_conn_restore).
 * A TLS session cannot be written out as bytes; it stays in this process,
 * and the serialization carries a handle to it (see px_conn_save).
 *
 * Ownership: px_conn_create takes the socket and, for TLS, a reference to
 * the context; px_conn_destroy closes and frees everything.  Message
 * pointers from px_conn_next (and px_conn_peek) point into the
 * connection's input buffer and stay valid until the next px_conn_run,
 * px_conn_next, px_conn_peek, px_conn_consume or px_conn_destroy.
 * Not thread-safe.  OpenSSL writes to its socket with write(), so a
 * program with TLS connections must ignore SIGPIPE (plexusd does).  The
 * functions live in libplexus.a ("pkg-config --libs plexus-plugin").
 */
#ifndef PLEXUS_CONN_H
#define PLEXUS_CONN_H 1

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "plexus/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a connection ended.  The order is part of handoff serializations and
 * of counters that plugins keep per reason: append only. */
enum px_conn_reason {
    PX_CONN_OPEN = 0,          /* Not closed. */
    PX_CONN_PEER_CLOSED,       /* EOF, a reset, a broken pipe, or the
                                * protocol's own goodbye. */
    PX_CONN_MALFORMED,         /* A message its codec refused, or a length
                                * outside the protocol's bounds. */
    PX_CONN_ECHO_TIMEOUT,      /* The peer stopped answering probes. */
    PX_CONN_HANDSHAKE_TIMEOUT, /* TLS or the protocol's hello stalled. */
    PX_CONN_TLS_FAILED,        /* TLS handshake refused (certificate,
                                * protocol) or a bad record later. */
    PX_CONN_AUTH_FAILED,       /* The protocol's own authentication. */
    PX_CONN_DUPLICATE,         /* Another connection holds its identity
                                * (an OpenFlow datapath id). */
    PX_CONN_OVER_LIMIT,        /* Too many connections of its kind. */
    PX_CONN_ADMIN,             /* An operator asked (plexusctl). */
    PX_CONN_SHUTDOWN,          /* Its owner stopped without a successor. */
    PX_CONN_OTHER,             /* Any other socket error. */
    PX_CONN_N_REASONS
};

/* The reason's name in logs and metrics ("peer_closed", "malformed_message",
 * "echo_timeout", "handshake_timeout", "tls_failed", "auth_failed",
 * "duplicate_dpid", "over_limit", "admin", "shutdown", "other"). */
const char *px_conn_reason_name(enum px_conn_reason reason);

/* Transports.  The order is part of handoff serializations. */
enum px_transport {
    PX_TRANSPORT_TCP = 1,
    PX_TRANSPORT_TLS,
    PX_TRANSPORT_UNIX,
};
const char *px_transport_name(enum px_transport t);
/* "tcp", "tls" (also "ssl", as Open vSwitch spells it), "unix". */
int px_transport_parse(const char *name, enum px_transport *t);

/* How a protocol frames its messages: a big-endian length field of
 * 'length_size' bytes (2 or 4) at 'length_offset' gives each message's
 * whole length, header included, which must be within [min_len, max_len]
 * (and at least length_offset + length_size).
 *
 * 'length_size' 0 makes the connection a byte stream (the other fields
 * are then ignored): for a protocol the owner parses itself, or a relay
 * that carries bytes it does not read (HTTP over TLS).  px_conn_next hands
 * out every byte buffered as one "message"; px_conn_peek and
 * px_conn_consume take part of them.  In stream mode the end of the
 * peer's stream does not close the connection: px_conn_next and
 * px_conn_peek return EPIPE once every byte before it was taken,
 * px_conn_events stops asking to read, and output still goes out (a
 * half-close); the owner closes with px_conn_close when it is done. */
struct px_conn_framing {
    uint8_t length_offset;
    uint8_t length_size;
    uint32_t min_len;
    uint32_t max_len;
};

/* A TLS configuration: OpenSSL context with the key, certificate and the
 * CA that peers' certificates must chain to.  Reference-counted, because a
 * connection keeps its context alive when the plugin that made it
 * reloads with another one. */
struct px_tls;

/* Server side: the peer must present a certificate signed by 'ca_file'
 * (Open vSwitch's "--ca-cert"); 'key_file' and 'cert_file' are this end's
 * (ovs-pki's ctl-privkey.pem and ctl-cert.pem).  A server whose 'ca_file'
 * is NULL or "" asks peers for no certificate at all and takes any peer
 * (an HTTPS server for browsers); one is then never checked.  Client
 * side: the server's certificate is checked against 'ca_file', which is
 * required; key and certificate may be NULL when the server asks for
 * none.  On failure returns an errno and writes the file and OpenSSL's
 * reason into 'why'.  The caller owns the reference in '*out'. */
int px_tls_create_server(const char *key_file, const char *cert_file,
                         const char *ca_file, struct px_tls **out, char *why,
                         size_t why_size);
int px_tls_create_client(const char *key_file, const char *cert_file,
                         const char *ca_file, struct px_tls **out, char *why,
                         size_t why_size);
struct px_tls *px_tls_ref(struct px_tls *tls);
/* Drops a reference; 'tls' may be NULL. */
void px_tls_unref(struct px_tls *tls);

/* Counters of one connection, handed over with it. */
struct px_conn_stats {
    uint64_t rx_bytes, tx_bytes;
    uint64_t rx_msgs;
    uint64_t out_drops; /* Messages refused: the output buffer was full. */
};

struct px_conn_options {
    enum px_transport transport;
    struct px_tls *tls; /* For PX_TRANSPORT_TLS.  Not kept: the session
                         * holds what it needs of it. */
    int server;         /* TLS role: nonzero accepts, zero connects. */
    size_t in_limit;    /* Bytes of input buffered; at least
                         * framing.max_len.  0: twice max_len, or
                         * 64 KiB for a byte stream. */
    size_t out_limit;   /* Bytes of output queued; 0: 1 MiB. */
    struct px_conn_framing framing;
};

struct px_conn;

/* Wraps 'fd' (connected or connecting, non-blocking; the connection's from
 * now on, closed also on failure) as a connection to 'peer' (a label for
 * logs, e.g. "192.0.2.1:40000").  For TLS the handshake starts on the first
 * px_conn_run. */
int px_conn_create(int fd, const char *peer,
                   const struct px_conn_options *options,
                   struct px_conn **out);
/* Closes (with reason PX_CONN_SHUTDOWN if still open) and frees; 'c' may
 * be NULL. */
void px_conn_destroy(struct px_conn *c);

/* Events (PX_CONN_READ, PX_CONN_WRITE; the same bits as PX_IO_READ and
 * PX_IO_WRITE) the connection waits for: read always while open, write
 * while output is queued, a non-blocking connect is in progress, or TLS
 * needs to write to make progress.  0 once closed. */
#define PX_CONN_READ  0x1
#define PX_CONN_WRITE 0x2
int px_conn_events(const struct px_conn *c);

/* Does what the socket allows given 'revents': finishes a connect, moves
 * the TLS handshake on, writes queued output, reads input.  Returns 0, or
 * the errno of a failure after which the connection is closed
 * (px_conn_reason says why; px_conn_why has the words).  A connection
 * closes its socket as soon as it fails, here, in px_conn_next or
 * px_conn_flush: the owner stops its watcher on the fd before returning to
 * its loop.  A peer's orderly
 * close returns EPIPE only once every whole message that arrived before it
 * has been taken by px_conn_next. */
int px_conn_run(struct px_conn *c, int revents);

/* The next whole message: 0 with '*msg' and '*len' set; EAGAIN when no
 * whole message is buffered; EPROTO (the connection is then closed as
 * malformed) when a length field is outside the framing's bounds.  In
 * stream mode: every byte buffered, all taken, and EPIPE (still open) at
 * the end of the peer's stream. */
int px_conn_next(struct px_conn *c, const uint8_t **msg, size_t *len);
/* Nonzero when a whole message is buffered (px_conn_next would succeed);
 * in stream mode, when any byte is. */
int px_conn_has_message(const struct px_conn *c);
/* The bytes buffered and not yet taken, without taking them: 0 with
 * '*data' and '*len' set (valid as px_conn_next's are, and until
 * px_conn_consume); EAGAIN when there are none; EPIPE when there are none
 * and the peer ended its stream or the connection is closed.  Meant for
 * stream mode (with message framing these are raw bytes, and taking part
 * of a message is the caller's business).  Having room again, it reads
 * what the transport already holds (decrypted TLS) that no readiness
 * event would announce, and may fail as px_conn_run does. */
int px_conn_peek(struct px_conn *c, const uint8_t **data, size_t *len);
/* Takes the first 'n' bytes px_conn_peek showed (at most as many as are
 * buffered). */
void px_conn_consume(struct px_conn *c, size_t n);

/* Queues a message for the next flush.  ENOBUFS (counted in out_drops)
 * when the output buffer has no room; EPIPE once closed. */
int px_conn_send(struct px_conn *c, const void *msg, size_t len);
/* Room to encode straight into the output buffer: returns where and sets
 * '*room', or NULL when closed.  px_conn_commit queues 'len' of them. */
uint8_t *px_conn_reserve(struct px_conn *c, size_t *room);
void px_conn_commit(struct px_conn *c, size_t len);
/* Counts a message the caller could not queue (an encoder that ran out of
 * the room px_conn_reserve gave). */
void px_conn_count_drop(struct px_conn *c);
/* Bytes queued and not yet written. */
size_t px_conn_queued(const struct px_conn *c);
/* Writes what is queued as far as the socket takes it.  Returns 0 or the
 * errno of a failure that closed the connection. */
int px_conn_flush(struct px_conn *c);

/* Closes the socket now; later sends are refused and px_conn_events is 0.
 * The first reason given is the one kept; 'detail' (may be NULL) is the
 * human-readable why, copied. */
void px_conn_close(struct px_conn *c, enum px_conn_reason reason,
                   const char *detail);
int px_conn_is_open(const struct px_conn *c);
/* Nonzero once a TLS handshake (or a plain connect) has completed. */
int px_conn_is_established(const struct px_conn *c);
enum px_conn_reason px_conn_reason(const struct px_conn *c);
/* The words of the close ("peer closed mid-message (10 of 64 bytes)",
 * "certificate verify failed: ..."), or "" while open. */
const char *px_conn_why(const struct px_conn *c);
const char *px_conn_peer(const struct px_conn *c);
enum px_transport px_conn_transport(const struct px_conn *c);
const struct px_conn_stats *px_conn_stats(const struct px_conn *c);
/* The socket, for px_io_start; -1 once closed.  Still the connection's. */
int px_conn_fd(const struct px_conn *c);

/* Handoff.  px_conn_save appends the connection's state (peer, transport,
 * counters, buffered input and output, and for TLS a handle to the live
 * session) to 'out' in a versioned format, and gives up the socket: the
 * caller passes the fd it returns in '*fd' to px_handoff_put_fd, and then
 * destroys 'c' (which then neither closes the socket nor ends the TLS
 * session).  px_conn_restore rebuilds a connection from those bytes and
 * the fd of the next generation (the connection's from then on, closed on
 * failure), with this generation's options for its buffers and framing;
 * it keeps the transport it was saved with (a changed 'transport' applies
 * to new connections).  Returns EPROTO for a truncated, corrupt or unknown
 * version of the state, ENOBUFS when its buffered bytes exceed the new
 * limits; on every failure the socket is closed and a saved TLS session
 * freed.
 *
 * A TLS session is OpenSSL state in this process's memory (keys, sequence
 * numbers): it is handed over as a handle and is valid only within the
 * process that saved it, which is what a plugin reload is.  The state
 * names the process it came from, and a restore elsewhere fails with
 * EPROTO rather than trust a stale pointer.  A saved TLS session that no
 * one restores is freed by px_conn_forget_saved. */
int px_conn_save(struct px_conn *c, struct px_buf *out, int *fd);
int px_conn_restore(struct px_cursor *in, int fd,
                    const struct px_conn_options *options,
                    struct px_conn **out);
/* Frees the TLS session a saved state holds, for state that will never be
 * restored (a handoff the next generation did not take). */
void px_conn_forget_saved(struct px_cursor *in);

/* Listening.  An address is "tcp:ADDRESS:PORT", "tls:ADDRESS:PORT" (also
 * "ssl:"), "unix:PATH", with an IPv6 address in brackets
 * ("tcp:[::1]:6653").  These parse and open; the owner accepts on the
 * listening socket with px_listen_accept. */
struct px_endpoint {
    enum px_transport transport;
    char host[64]; /* Numeric address, or the path for unix. */
    int port;
    char path[108];
};
int px_endpoint_parse(const char *spec, struct px_endpoint *ep, char *why,
                      size_t why_size);
/* Formats an endpoint back as a spec ("tls:[::1]:6653"). */
void px_endpoint_format(const struct px_endpoint *ep, char *buf, size_t size);
/* A listening socket (the caller's) for 'ep': SO_REUSEADDR, non-blocking,
 * close-on-exec; IPv6 listeners are IPv6-only so that one of each may
 * share a port; a unix path left by a dead listener is replaced.  On
 * failure returns an errno and writes why. */
int px_listen(const struct px_endpoint *ep, int backlog, int *fdp, char *why,
              size_t why_size);
/* Accepts one connection: the socket (the caller's; non-blocking,
 * close-on-exec, TCP_NODELAY for TCP) in '*fdp', a label for it ("ADDR:PORT",
 * "[ADDR]:PORT" or the unix path) in 'peer'.  EAGAIN when none waits. */
int px_listen_accept(int lfd, int *fdp, char *peer, size_t peer_size);
/* Starts a non-blocking connect to 'ep' (host names resolved): the socket
 * (the caller's) in '*fdp', connecting or connected. */
int px_connect(const struct px_endpoint *ep, int *fdp, char *why,
               size_t why_size);

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_CONN_H */
