/*
 * The stats plugin's HTTPS relay (tls_relay.h): TLS sessions on px_conn
 * byte streams, each carried to and from libmicrohttpd over a socketpair.
 *
 * Every connection is two descriptors on the host loop: the client's
 * socket, whose px_conn says what it waits for (px_conn_events), and the
 * relay's end of the pair.  After any event on either, relay_pump() moves
 * what can move in both directions and sets both watchers from what is
 * left: the pair's end is read only while the TLS output has room, and
 * written only while TLS input waits; the TLS socket is read only while
 * its input buffer has room.  No byte is dropped: the buffers fill and
 * the reading stops.
 */
#include "tls_relay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "plexus/conn.h"
#include "plexus/plugin.h"

/* Bytes from the client buffered for the HTTP side, and from the HTTP
 * side for the client (a whole TLS record fits either). */
#define RELAY_IN_LIMIT  (32 * 1024)
#define RELAY_OUT_LIMIT (64 * 1024)

/* Connections accepted per readiness of the listening socket, so that a
 * burst does not hold the loop. */
#define ACCEPT_BATCH 64

struct relay {
    struct relay *prev, *next;
    struct stats_tls *t;
    struct px_conn *conn; /* The client's TLS session. */
    struct px_io *conn_io;
    int conn_events;
    int fd; /* The relay's end of the pair; -1 before the handshake. */
    struct px_io *fd_io;
    int fd_events;
    int fd_eof;     /* The HTTP side ended its stream. */
    int client_eof; /* The client's end of stream was passed on. */
    double start;   /* Accepted at. */
    double moved;   /* Output last moved (or was empty) at. */
    uint64_t seen_tx;
    struct sockaddr_storage addr;
    socklen_t addr_len;
};

struct stats_tls {
    struct px_plugin *p;
    struct px_tls *tls;
    struct stats_http *http;
    struct stats_tls_counters *counters;
    int listen_fd;
    struct px_io *listen_io;
    int listening; /* The listening socket's watcher is on. */
    int paused;    /* Accepting failed: wait for the next tick. */
    struct px_timer *tick;
    struct relay *relays;
    size_t n_relays;
    size_t max_relays;
    double handshake_timeout;
    double idle_timeout;
    struct px_ratelimit rl;
};

const char *
stats_tls_close_name(enum stats_tls_close reason)
{
    static const char *const names[STATS_TLS_N_CLOSES] = {
        [STATS_TLS_PEER_CLOSED] = "peer_closed",
        [STATS_TLS_SERVER_CLOSED] = "server_closed",
        [STATS_TLS_TLS_FAILED] = "tls_failed",
        [STATS_TLS_HANDSHAKE_TIMEOUT] = "handshake_timeout",
        [STATS_TLS_STALLED] = "stalled",
        [STATS_TLS_REFUSED] = "refused",
        [STATS_TLS_SHUTDOWN] = "shutdown",
        [STATS_TLS_OTHER] = "other",
    };

    return (unsigned int)reason < STATS_TLS_N_CLOSES ? names[reason] : "other";
}

/* Watches the listening socket while there is room for a connection. */
static void
update_listening(struct stats_tls *t)
{
    int want = !t->paused && t->n_relays < t->max_relays;

    if (want != t->listening &&
        !px_io_modify(t->p, t->listen_io, want ? PX_IO_READ : 0)) {
        t->listening = want;
    }
}

/* Ends 'r' for 'reason' and frees it; 'detail' (may be NULL) is logged. */
static void
relay_close(struct relay *r, enum stats_tls_close reason, const char *detail)
{
    struct stats_tls *t = r->t;
    int established = px_conn_is_established(r->conn);

    t->counters->closes[reason]++;
    if (!established && reason != STATS_TLS_SHUTDOWN) {
        t->counters->handshake_failures++;
    }
    if (!detail) {
        detail = px_conn_is_open(r->conn) ? stats_tls_close_name(reason)
                                          : px_conn_why(r->conn);
    }
    if (reason == STATS_TLS_TLS_FAILED ||
        reason == STATS_TLS_HANDSHAKE_TIMEOUT || reason == STATS_TLS_STALLED ||
        reason == STATS_TLS_REFUSED) {
        px_log_rl(t->p, &t->rl, PX_LOG_INFO,
                  "TLS connection from %s closed: %s", px_conn_peer(r->conn),
                  detail);
    } else {
        px_debug(t->p, "TLS connection from %s closed (%s): %s",
                 px_conn_peer(r->conn), stats_tls_close_name(reason), detail);
    }
    /* Watchers go before their descriptors. */
    px_io_stop(t->p, r->conn_io);
    px_io_stop(t->p, r->fd_io);
    /* An established session ends with close_notify (one attempt), unless
     * the client is gone or broke it. */
    px_conn_close(r->conn,
                  reason == STATS_TLS_HANDSHAKE_TIMEOUT
                      ? PX_CONN_HANDSHAKE_TIMEOUT
                      : PX_CONN_SHUTDOWN,
                  detail);
    px_conn_destroy(r->conn);
    if (r->fd >= 0) {
        /* Whoever holds the other end (libmicrohttpd, or the plugin that
         * took a WebSocket) reads the end of the stream. */
        close(r->fd);
    }
    if (r->prev) {
        r->prev->next = r->next;
    } else {
        t->relays = r->next;
    }
    if (r->next) {
        r->next->prev = r->prev;
    }
    t->n_relays--;
    free(r);
    update_listening(t);
}

/* The reason of a connection px_conn closed itself. */
static enum stats_tls_close
conn_reason(const struct px_conn *c)
{
    switch (px_conn_reason(c)) {
    case PX_CONN_PEER_CLOSED:
        return STATS_TLS_PEER_CLOSED;
    case PX_CONN_TLS_FAILED:
        return STATS_TLS_TLS_FAILED;
    case PX_CONN_HANDSHAKE_TIMEOUT:
        return STATS_TLS_HANDSHAKE_TIMEOUT;
    default:
        return STATS_TLS_OTHER;
    }
}

/* Sets both watchers to what the connection waits for now. */
static void
update_events(struct relay *r)
{
    int events = px_conn_events(r->conn);
    size_t room = 0;

    if (events != r->conn_events &&
        !px_io_modify(r->t->p, r->conn_io, events)) {
        r->conn_events = events;
    }
    if (r->fd < 0) {
        return;
    }
    events = 0;
    if (!r->fd_eof && px_conn_reserve(r->conn, &room) && room) {
        events |= PX_IO_READ;
    }
    if (px_conn_has_message(r->conn)) {
        events |= PX_IO_WRITE;
    }
    if (events != r->fd_events && !px_io_modify(r->t->p, r->fd_io, events)) {
        r->fd_events = events;
    }
}

/* Client to HTTP: writes what the client sent to the pair, as far as the
 * pair takes it, and passes the client's end of stream on.  Returns 0, or
 * nonzero after closing 'r'. */
static int
to_http(struct relay *r)
{
    for (;;) {
        const uint8_t *data;
        size_t len;
        ssize_t n;
        int error = px_conn_peek(r->conn, &data, &len);

        if (error == EAGAIN) {
            return 0;
        }
        if (error && !px_conn_is_open(r->conn)) {
            relay_close(r, conn_reason(r->conn), NULL);
            return 1;
        }
        if (error) {
            /* The client's end of stream (a half-close): the HTTP side
             * reads it after the last byte. */
            if (!r->client_eof) {
                shutdown(r->fd, SHUT_WR);
                r->client_eof = 1;
            }
            return 0;
        }
        n = send(r->fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            px_conn_consume(r->conn, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            /* Every descriptor of the HTTP end is closed. */
            relay_close(r, STATS_TLS_SERVER_CLOSED,
                        "the HTTP side closed before reading the request");
            return 1;
        }
    }
}

/* HTTP to client: reads the pair into the TLS output while it has room.
 * Sets r->fd_eof at the HTTP side's end of stream. */
static void
from_http(struct relay *r)
{
    while (!r->fd_eof) {
        size_t room;
        uint8_t *dst = px_conn_reserve(r->conn, &room);
        ssize_t n;

        if (!dst || !room) {
            return;
        }
        n = recv(r->fd, dst, room, 0);
        if (n > 0) {
            px_conn_commit(r->conn, (size_t)n);
        } else if (n == 0) {
            r->fd_eof = 1;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            r->fd_eof = 1; /* A reset is an end too. */
        }
    }
}

/* Moves what can move both ways, then waits for what is left.  Returns 0,
 * or nonzero after closing 'r'. */
static int
relay_pump(struct relay *r)
{
    const struct px_conn_stats *st;

    if (to_http(r)) {
        return 1;
    }
    from_http(r);
    if (px_conn_queued(r->conn)) {
        px_conn_flush(r->conn);
    }
    if (!px_conn_is_open(r->conn)) {
        relay_close(r, conn_reason(r->conn), NULL);
        return 1;
    }
    st = px_conn_stats(r->conn);
    if (st->tx_bytes != r->seen_tx || !px_conn_queued(r->conn)) {
        r->seen_tx = st->tx_bytes;
        r->moved = px_now(r->t->p);
    }
    if (r->fd_eof && !px_conn_queued(r->conn)) {
        /* After the client's own end of stream, the client ended it. */
        relay_close(
            r, r->client_eof ? STATS_TLS_PEER_CLOSED : STATS_TLS_SERVER_CLOSED,
            r->client_eof ? "the client closed the connection"
                          : "the HTTP side closed the connection");
        return 1;
    }
    update_events(r);
    return 0;
}

static void
on_pair_io(struct px_plugin *p, struct px_io *io, int fd, int revents,
           void *r_)
{
    (void)p;
    (void)io;
    (void)fd;
    (void)revents;
    relay_pump(r_);
}

/* The handshake is done: the HTTP server gets its end of a new pair. */
static int
relay_attach(struct relay *r)
{
    struct stats_tls *t = r->t;
    int sv[2], error;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv)) {
        error = errno;
        goto refused;
    }
    r->fd = sv[0];
    if ((error = stats_http_add_connection(t->http, sv[1],
                                           (const struct sockaddr *)&r->addr,
                                           r->addr_len))) {
        goto refused;
    }
    r->fd_events = PX_IO_READ;
    if ((error = px_io_start(t->p, r->fd, r->fd_events, on_pair_io, r,
                             &r->fd_io))) {
        goto refused;
    }
    return 0;

refused : {
    char detail[128];

    snprintf(detail, sizeof detail, "the HTTP server cannot take it: %s",
             strerror(error));
    relay_close(r, STATS_TLS_REFUSED, detail);
}
    return 1;
}

static void
on_conn_io(struct px_plugin *p, struct px_io *io, int fd, int revents,
           void *r_)
{
    struct relay *r = r_;
    int was_established = px_conn_is_established(r->conn);

    (void)p;
    (void)io;
    (void)fd;
    /* PX_IO_READ and PX_IO_WRITE are px_conn's READ and WRITE. */
    px_conn_run(r->conn, revents);
    if (!px_conn_is_open(r->conn)) {
        relay_close(r, conn_reason(r->conn), NULL);
        return;
    }
    if (!px_conn_is_established(r->conn)) {
        update_events(r);
        return;
    }
    if (!was_established && relay_attach(r)) {
        return;
    }
    relay_pump(r);
}

/* A new client: its TLS session starts with the first event. */
static void
relay_new(struct stats_tls *t, int fd, const char *peer)
{
    struct px_conn_options o;
    struct relay *r = calloc(1, sizeof *r);
    int error;

    t->counters->accepted++;
    memset(&o, 0, sizeof o);
    o.transport = PX_TRANSPORT_TLS;
    o.tls = t->tls;
    o.server = 1;
    o.in_limit = RELAY_IN_LIMIT;
    o.out_limit = RELAY_OUT_LIMIT;
    /* framing.length_size 0: a byte stream. */
    if (!r) {
        close(fd);
        error = ENOMEM;
        goto fail;
    }
    r->t = t;
    r->fd = -1;
    r->start = r->moved = px_now(t->p);
    r->addr_len = sizeof r->addr;
    if (getpeername(fd, (struct sockaddr *)&r->addr, &r->addr_len)) {
        r->addr_len = 0;
    }
    if ((error = px_conn_create(fd, peer, &o, &r->conn))) {
        goto fail;
    }
    r->conn_events = px_conn_events(r->conn);
    if ((error = px_io_start(t->p, px_conn_fd(r->conn), r->conn_events,
                             on_conn_io, r, &r->conn_io))) {
        px_conn_destroy(r->conn);
        goto fail;
    }
    r->next = t->relays;
    if (t->relays) {
        t->relays->prev = r;
    }
    t->relays = r;
    t->n_relays++;
    return;

fail:
    free(r);
    t->counters->closes[STATS_TLS_OTHER]++;
    t->counters->handshake_failures++;
    px_log_rl(t->p, &t->rl, PX_LOG_WARN, "dropped a connection from %s: %s",
              peer, strerror(error));
}

static void
on_listen(struct px_plugin *p, struct px_io *io, int fd, int revents, void *t_)
{
    struct stats_tls *t = t_;
    int i;

    (void)p;
    (void)io;
    (void)revents;
    for (i = 0; i < ACCEPT_BATCH && t->n_relays < t->max_relays; i++) {
        char peer[64];
        int cfd, error = px_listen_accept(fd, &cfd, peer, sizeof peer);

        if (error == EAGAIN) {
            break;
        }
        if (error == EINTR || error == ECONNABORTED) {
            continue;
        }
        if (error) {
            /* Out of descriptors, most likely: the client waits in the
             * backlog, and the loop does not spin on a listening socket it
             * cannot empty. */
            px_log_rl(t->p, &t->rl, PX_LOG_WARN,
                      "cannot accept: %s; trying again in a second",
                      strerror(error));
            t->paused = 1;
            break;
        }
        relay_new(t, cfd, peer);
    }
    update_listening(t);
}

/* Every second: handshakes past their deadline, clients that read
 * nothing, and accepting again after a failure. */
static void
on_tick(struct px_plugin *p, struct px_timer *tm, void *t_)
{
    struct stats_tls *t = t_;
    double now = px_now(p);
    struct relay *r, *next;

    (void)tm;
    for (r = t->relays; r; r = next) {
        next = r->next;
        if (!px_conn_is_established(r->conn)) {
            if (now - r->start >= t->handshake_timeout) {
                char detail[96];

                snprintf(detail, sizeof detail,
                         "no TLS handshake within %.0f s",
                         t->handshake_timeout);
                relay_close(r, STATS_TLS_HANDSHAKE_TIMEOUT, detail);
            }
        } else if (px_conn_queued(r->conn) &&
                   now - r->moved >= t->idle_timeout) {
            char detail[96];

            snprintf(detail, sizeof detail,
                     "%zu bytes unread by the client for %.0f s",
                     px_conn_queued(r->conn), t->idle_timeout);
            relay_close(r, STATS_TLS_STALLED, detail);
        }
    }
    t->paused = 0;
    update_listening(t);
}

int
stats_tls_start(struct px_plugin *p, const struct stats_tls_config *cfg,
                struct stats_tls_counters *counters, struct stats_tls **out)
{
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct stats_tls *t = calloc(1, sizeof *t);
    int error;

    if (!t) {
        return ENOMEM;
    }
    t->p = p;
    t->tls = px_tls_ref(cfg->tls);
    t->http = cfg->http;
    t->counters = counters;
    t->listen_fd = cfg->listen_fd;
    t->max_relays = cfg->max_connections;
    t->handshake_timeout = cfg->handshake_timeout;
    t->idle_timeout = cfg->idle_timeout;
    t->rl = rl;
    t->listening = 1;
    if ((error = px_io_start(p, t->listen_fd, PX_IO_READ, on_listen, t,
                             &t->listen_io)) ||
        (error = px_timer_start(p, 1.0, 1.0, on_tick, t, &t->tick))) {
        stats_tls_stop(t);
        return error;
    }
    *out = t;
    return 0;
}

void
stats_tls_stop(struct stats_tls *t)
{
    if (!t) {
        return;
    }
    px_io_stop(t->p, t->listen_io);
    t->listen_io = NULL;
    px_timer_stop(t->p, t->tick);
    while (t->relays) {
        relay_close(t->relays, STATS_TLS_SHUTDOWN, NULL);
    }
    px_tls_unref(t->tls);
    free(t);
}

size_t
stats_tls_connections(const struct stats_tls *t)
{
    return t->n_relays;
}
