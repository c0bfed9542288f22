/*
 * WebSocket server sessions (see plexus/ws.h): wslay's event API does the
 * framing (masking, fragments, control frames, UTF-8, the close
 * handshake's frames); this file ties it to a plugin's loop.  One px_io
 * watches the socket, armed for reading while wslay wants to read and for
 * writing only while wslay has something to send; one-shot timers carry
 * the keepalive (ping, idle), the closing grace, and the first pass over
 * the bytes the client sent along with its HTTP request.
 *
 * Life of a session: open; then ending, once a close is decided (by the
 * application, the idle timer, the peer's close frame, or wslay refusing
 * the peer's input), which fixes the reason and starts the grace timer;
 * then finished, when both close frames have crossed, the peer has gone
 * away, or the grace ran out: the socket is closed and on_close runs.
 *
 * Re-entrancy: callbacks run inside wslay_event_recv and inside our own
 * handlers, and may destroy the session.  'depth' counts the frames of
 * ours on the stack; px_ws_destroy inside them releases the socket, the
 * watcher and the timers at once but leaves the memory (and wslay's
 * context, which may be mid-call) to the outermost frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wslay/wslay.h>

#include "plexus/ws.h"

#define WS_DEFAULT_MAX_MESSAGE (64 * 1024)
#define WS_DEFAULT_MAX_QUEUED  (1024 * 1024)
#define WS_DEFAULT_GRACE       2.0
#define WS_MIN_QUEUED_MSGS     64

/* Bytes read from the socket per wakeup: a peer that floods us cannot keep
 * the loop in one session; the watcher is level-triggered, so the rest
 * waits for the next pass. */
#define WS_READ_BUDGET (64 * 1024)

struct px_ws {
    struct px_plugin *p;
    int fd;
    struct px_io *io;      /* Owns 'fd' (PX_IO_OWN_FD); NULL once closed. */
    int io_events;         /* What 'io' is armed for. */
    struct px_timer *kick; /* Next pass over early bytes. */
    struct px_timer *keepalive; /* Next ping or idle check. */
    struct px_timer *grace;     /* End of the closing handshake. */
    wslay_event_context_ptr ctx;

    struct px_ws_config cfg; /* With defaults filled in. */
    struct px_ws_callbacks cbs;
    void *arg;

    uint8_t *early; /* Bytes the client sent with its request. */
    size_t early_len, early_off;

    double last_rx;   /* When the peer last sent us a byte. */
    double last_ping; /* When we last pinged; 0: not since last_rx. */
    size_t rx_budget; /* Socket bytes this wakeup may still read. */

    int ending; /* A close is decided and 'reason' is fixed. */
    enum px_ws_close_reason reason;
    int self_closed; /* wslay refused the peer's input and closed. */

    int close_wanted; /* Our close frame waits for the queue to empty. */
    int close_queued;
    uint16_t close_code;
    uint8_t close_reason[123];
    size_t close_reason_len;

    int shut_wr;      /* Our close frame is out and SHUT_WR done. */
    int finished;     /* on_close called (or about to be). */
    int drain_wanted; /* on_drain is owed once the queue shrinks. */
    int depth;        /* Our frames on the stack. */
    int destroyed;

    struct px_ws_stats stats;
};

const char *
px_ws_close_reason_name(enum px_ws_close_reason reason)
{
    switch (reason) {
    case PX_WS_CLOSE_PEER:
        return "peer";
    case PX_WS_CLOSE_LOCAL:
        return "local";
    case PX_WS_CLOSE_PROTOCOL:
        return "protocol";
    case PX_WS_CLOSE_TOO_BIG:
        return "too_big";
    case PX_WS_CLOSE_IDLE:
        return "idle";
    case PX_WS_CLOSE_IO:
        return "io";
    case PX_WS_CLOSE_ERROR:
        return "error";
    case PX_WS_CLOSE_N_REASONS:
        break;
    }
    return "unknown";
}

static int
ws_dead(const struct px_ws *ws)
{
    return ws->destroyed || ws->finished;
}

/* Over the queue's bounds.  px_ws_send keeps the application's own
 * messages within them, so only control frames wslay queued for the peer
 * (pongs) get us here; reading stops until they are out.  Once closing,
 * wslay drops pending pongs without adjusting its counters, and reading
 * must go on to see the peer's close, so the bounds no longer apply. */
static int
ws_backlogged(const struct px_ws *ws)
{
    return !ws->ending &&
           (wslay_event_get_queued_msg_length(ws->ctx) > ws->cfg.max_queued ||
            wslay_event_get_queued_msg_count(ws->ctx) >
                ws->cfg.max_queued_msgs);
}

static void ws_timer_cb(struct px_plugin *p, struct px_timer *t, void *arg);

static void
ws_stop_timer(struct px_ws *ws, struct px_timer **t)
{
    if (*t) {
        px_timer_stop(ws->p, *t);
        *t = NULL;
    }
}

static void
ws_release_io(struct px_ws *ws)
{
    if (ws->io) {
        px_io_stop(ws->p, ws->io); /* Closes the socket. */
        ws->io = NULL;
        ws->io_events = 0;
    }
    ws->fd = -1;
    ws_stop_timer(ws, &ws->kick);
    ws_stop_timer(ws, &ws->keepalive);
    ws_stop_timer(ws, &ws->grace);
}

static void
ws_free(struct px_ws *ws)
{
    wslay_event_context_free(ws->ctx);
    free(ws->early);
    free(ws);
}

/* ---------------------------------------------------------------------- */
/* wslay's callbacks.                                                     */

static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
           void *user_data)
{
    struct px_ws *ws = user_data;
    ssize_t n;

    (void)flags;
    if (ws_dead(ws) || ws_backlogged(ws)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (ws->early_off < ws->early_len) {
        n = (ssize_t)(ws->early_len - ws->early_off < len
                          ? ws->early_len - ws->early_off
                          : len);
        memcpy(buf, ws->early + ws->early_off, (size_t)n);
        ws->early_off += (size_t)n;
        return n;
    }
    if (!ws->rx_budget) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (len > ws->rx_budget) {
        len = ws->rx_budget;
    }
    do {
        n = recv(ws->fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        ws->rx_budget -= (size_t)n;
        ws->last_rx = px_now(ws->p);
        ws->last_ping = 0;
        return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    } else {
        /* EOF or a socket error: the session is over. */
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    }
    return -1;
}

static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
           int flags, void *user_data)
{
    struct px_ws *ws = user_data;
    int sflags = MSG_NOSIGNAL | ((flags & WSLAY_MSG_MORE) ? MSG_MORE : 0);
    ssize_t n;

    if (ws_dead(ws)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    do {
        n = send(ws->fd, data, len, sflags);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) {
        return n;
    }
    wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK
                                   ? WSLAY_ERR_WOULDBLOCK
                                   : WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static void ws_end(struct px_ws *ws, enum px_ws_close_reason reason);

static void
ws_on_msg_recv_cb(wslay_event_context_ptr ctx,
                  const struct wslay_event_on_msg_recv_arg *m, void *user_data)
{
    struct px_ws *ws = user_data;

    if (ws_dead(ws)) {
        wslay_event_shutdown_read(ctx);
        return;
    }
    switch (m->opcode) {
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME:
        if (ws->ending) {
            return;
        }
        ws->stats.msgs_in++;
        ws->stats.bytes_in += m->msg_length;
        /* wslay gives NULL for an empty message; callers may memcpy. */
        ws->cbs.on_message(ws, m->opcode == WSLAY_BINARY_FRAME,
                           m->msg ? m->msg : (const uint8_t *)"",
                           m->msg_length, ws->arg);
        if (ws_dead(ws)) {
            /* Destroyed inside: leave wslay's loop. */
            wslay_event_shutdown_read(ctx);
        }
        break;
    case WSLAY_CONNECTION_CLOSE:
        /* wslay has queued the echo and stopped reading. */
        ws_end(ws, PX_WS_CLOSE_PEER);
        break;
    default:
        /* Pings are answered by wslay; pongs only count as traffic. */
        break;
    }
}

/* ---------------------------------------------------------------------- */
/* The state machine.                                                     */

/* Decides that the session ends, for 'reason' unless it already is. */
static void
ws_end(struct px_ws *ws, enum px_ws_close_reason reason)
{
    if (ws->ending) {
        return;
    }
    ws->ending = 1;
    ws->reason = reason;
    ws_stop_timer(ws, &ws->keepalive);
    if (px_timer_start(ws->p, ws->cfg.close_grace, 0, ws_timer_cb, ws,
                       &ws->grace)) {
        /* Without a grace timer a silent peer could hold the session
         * forever; the next pass ends it at once instead. */
        ws->grace = NULL;
        ws->cfg.close_grace = 0;
    }
}

/* Closes the socket and tells the application, once. */
static void
ws_finish(struct px_ws *ws, enum px_ws_close_reason reason)
{
    if (ws_dead(ws)) {
        return;
    }
    if (!ws->ending) {
        ws->ending = 1;
        ws->reason = reason;
    }
    if (ws->self_closed && ws->reason == PX_WS_CLOSE_PROTOCOL &&
        wslay_event_get_close_sent(ws->ctx) &&
        wslay_event_get_status_code_sent(ws->ctx) ==
            WSLAY_CODE_MESSAGE_TOO_BIG) {
        /* wslay does not say why it closed; the code it sent does. */
        ws->reason = PX_WS_CLOSE_TOO_BIG;
    }
    ws->finished = 1;
    ws_release_io(ws);
    ws->depth++;
    ws->cbs.on_close(ws, ws->reason, ws->arg);
    ws->depth--;
}

/* Queues our close frame once everything before it is out. */
static void
ws_queue_close(struct px_ws *ws)
{
    if (!ws->close_wanted || ws->close_queued ||
        wslay_event_get_queued_msg_count(ws->ctx)) {
        return;
    }
    ws->close_queued = 1;
    /* WSLAY_ERR_NO_MORE_MSG: wslay already queued a close (an echo, or
     * its own for a protocol error), which is as good. */
    (void)wslay_event_queue_close(ws->ctx, ws->close_code, ws->close_reason,
                                  ws->close_reason_len);
}

static int
ws_wanted_events(struct px_ws *ws)
{
    int events = 0;

    if (wslay_event_want_read(ws->ctx)) {
        if (!ws_backlogged(ws)) {
            events |= PX_IO_READ;
        }
    } else if (ws->shut_wr && !wslay_event_get_close_received(ws->ctx)) {
        /* Lingering: read and discard until the peer's EOF. */
        events |= PX_IO_READ;
    }
    if (wslay_event_want_write(ws->ctx)) {
        events |= PX_IO_WRITE;
    }
    return events;
}

static void
ws_arm(struct px_ws *ws, int events)
{
    if (ws->io && events != ws->io_events &&
        !px_io_modify(ws->p, ws->io, events)) {
        ws->io_events = events;
    }
}

static void
ws_kick(struct px_ws *ws)
{
    if (!ws->kick && !ws_dead(ws) &&
        px_timer_start(ws->p, 0, 0, ws_timer_cb, ws, &ws->kick)) {
        ws->kick = NULL;
    }
}

static void
ws_write(struct px_ws *ws)
{
    int r = wslay_event_send(ws->ctx);

    if (r == WSLAY_ERR_CALLBACK_FAILURE) {
        ws_finish(ws, PX_WS_CLOSE_IO);
    } else if (r) {
        ws_finish(ws, PX_WS_CLOSE_ERROR);
    }
}

static void
ws_read(struct px_ws *ws)
{
    ws->rx_budget = WS_READ_BUDGET;
    if (wslay_event_get_read_enabled(ws->ctx)) {
        int r = wslay_event_recv(ws->ctx);

        if (ws_dead(ws)) {
            return;
        }
        if (r == WSLAY_ERR_CALLBACK_FAILURE) {
            ws_finish(ws, PX_WS_CLOSE_IO);
        } else if (r) {
            ws_finish(ws, PX_WS_CLOSE_ERROR);
        } else if (!wslay_event_get_read_enabled(ws->ctx) &&
                   !wslay_event_get_close_received(ws->ctx)) {
            /* wslay queued a close of its own (1002, 1007, 1009). */
            if (!ws->ending) {
                ws->self_closed = 1;
            }
            ws_end(ws, PX_WS_CLOSE_PROTOCOL);
        }
    } else if (ws->shut_wr) {
        uint8_t junk[4096];

        while (ws->rx_budget) {
            ssize_t n = recv(ws->fd, junk, sizeof junk, 0);

            if (n > 0) {
                ws->rx_budget -=
                    (size_t)n < ws->rx_budget ? (size_t)n : ws->rx_budget;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    ws_finish(ws, PX_WS_CLOSE_IO);
                }
                break;
            }
        }
    }
}

/* After any I/O on the loop: moves the closing handshake on, owes
 * on_drain, notices the end, and re-arms the watcher. */
static void
ws_settle(struct px_ws *ws)
{
    int rd, wr;

    if (ws->close_wanted && !ws->close_queued) {
        ws_queue_close(ws);
        if (ws->close_queued && wslay_event_want_write(ws->ctx)) {
            ws_write(ws);
            if (ws_dead(ws)) {
                return;
            }
        }
    }
    if (!ws->shut_wr && wslay_event_get_close_sent(ws->ctx)) {
        /* The peer reads our close frame, then EOF: it need not guess
         * whether more is coming, and our close() later finds nothing
         * unread that would turn it into a reset. */
        shutdown(ws->fd, SHUT_WR);
        ws->shut_wr = 1;
    }
    if (ws->drain_wanted && !ws->ending && ws->cbs.on_drain &&
        wslay_event_get_queued_msg_length(ws->ctx) <= ws->cfg.max_queued / 2 &&
        wslay_event_get_queued_msg_count(ws->ctx) <=
            ws->cfg.max_queued_msgs / 2) {
        ws->drain_wanted = 0;
        ws->depth++;
        ws->cbs.on_drain(ws, ws->arg);
        ws->depth--;
        if (ws_dead(ws)) {
            return;
        }
        if (ws->close_wanted && !ws->close_queued) {
            /* on_drain closed: come back through the top. */
            ws_settle(ws);
            return;
        }
    }
    rd = wslay_event_want_read(ws->ctx);
    wr = wslay_event_want_write(ws->ctx);
    if (!rd && !wr &&
        (wslay_event_get_close_received(ws->ctx) || !ws->shut_wr)) {
        /* Both close frames have crossed, or nothing more can move (a
         * failed write side without our close frame out). */
        ws_finish(ws, ws->ending ? ws->reason : PX_WS_CLOSE_IO);
        return;
    }
    if (ws->ending && !ws->grace && ws->cfg.close_grace == 0) {
        ws_finish(ws, ws->reason);
        return;
    }
    if (ws->early_off < ws->early_len && rd && !ws_backlogged(ws)) {
        /* Early bytes wait in memory, where no watcher sees them. */
        ws_kick(ws);
    }
    ws_arm(ws, ws_wanted_events(ws));
}

/* One pass of ours on the loop: reads and writes as 'events' say. */
static void
ws_process(struct px_ws *ws, int events)
{
    ws->depth++;
    if (!ws_dead(ws) && (events & PX_IO_READ)) {
        ws_read(ws);
    }
    if (!ws_dead(ws) && (events & PX_IO_WRITE) &&
        wslay_event_want_write(ws->ctx)) {
        ws_write(ws);
    }
    if (!ws_dead(ws)) {
        ws_settle(ws);
    }
    ws->depth--;
    if (ws->destroyed && !ws->depth) {
        ws_free(ws);
    }
}

static void
ws_io_cb(struct px_plugin *p, struct px_io *io, int fd, int revents, void *arg)
{
    (void)p;
    (void)io;
    (void)fd;
    ws_process(arg, revents);
}

static void
ws_schedule_keepalive(struct px_ws *ws)
{
    double now = px_now(ws->p), next = INFINITY;

    if (ws->ending || ws_dead(ws)) {
        return;
    }
    if (ws->cfg.idle_timeout > 0) {
        next = ws->last_rx + ws->cfg.idle_timeout;
    }
    if (ws->cfg.ping_interval > 0) {
        double base =
            ws->last_ping > ws->last_rx ? ws->last_ping : ws->last_rx;

        if (base + ws->cfg.ping_interval < next) {
            next = base + ws->cfg.ping_interval;
        }
    }
    if (isinf(next)) {
        return;
    }
    /* The clock may be a pass behind the timer: never less than 1 ms, so
     * an early wakeup does not spin. */
    if (px_timer_start(ws->p, next - now > 0.001 ? next - now : 0.001, 0,
                       ws_timer_cb, ws, &ws->keepalive)) {
        ws->keepalive = NULL;
    }
}

static void
ws_keepalive(struct px_ws *ws)
{
    double now = px_now(ws->p);

    if (ws->ending) {
        return;
    }
    if (ws->cfg.idle_timeout > 0 &&
        now - ws->last_rx >= ws->cfg.idle_timeout) {
        static const char why[] = "idle timeout";

        ws_end(ws, PX_WS_CLOSE_IDLE);
        ws->close_wanted = 1;
        ws->close_code = WSLAY_CODE_GOING_AWAY;
        memcpy(ws->close_reason, why, sizeof why - 1);
        ws->close_reason_len = sizeof why - 1;
        return;
    }
    if (ws->cfg.ping_interval > 0 &&
        now - (ws->last_ping > ws->last_rx ? ws->last_ping : ws->last_rx) >=
            ws->cfg.ping_interval) {
        struct wslay_event_msg ping = {WSLAY_PING, NULL, 0};

        /* A peer that reads nothing gets no more pings than pongs it
         * owes: none while the queue is over its bounds. */
        if (!ws_backlogged(ws) && !wslay_event_queue_msg(ws->ctx, &ping)) {
            ws->last_ping = now;
        }
    }
}

static void
ws_timer_cb(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct px_ws *ws = arg;
    int events = 0;

    (void)p;
    /* One-shot timers are the host's to free once they have fired. */
    if (t == ws->kick) {
        ws->kick = NULL;
        events = PX_IO_READ;
    } else if (t == ws->keepalive) {
        ws->keepalive = NULL;
        ws_keepalive(ws);
        ws_schedule_keepalive(ws);
    } else if (t == ws->grace) {
        ws->grace = NULL;
        ws->depth++;
        ws_finish(ws, ws->reason);
        ws->depth--;
        if (ws->destroyed && !ws->depth) {
            ws_free(ws);
        }
        return;
    }
    ws_process(ws, events);
}

/* ---------------------------------------------------------------------- */
/* The interface.                                                         */

static int
ws_config(const struct px_ws_config *in, struct px_ws_config *out)
{
    static const struct px_ws_config zero;

    *out = in ? *in : zero;
    if (!(out->ping_interval >= 0) || !(out->idle_timeout >= 0) ||
        !(out->close_grace >= 0) || isinf(out->ping_interval) ||
        isinf(out->idle_timeout) || isinf(out->close_grace)) {
        return EINVAL;
    }
    if (!out->max_message) {
        out->max_message = WS_DEFAULT_MAX_MESSAGE;
    }
    if (!out->max_queued) {
        out->max_queued = WS_DEFAULT_MAX_QUEUED;
    }
    if (!out->max_queued_msgs) {
        out->max_queued_msgs = out->max_queued / 64;
        if (out->max_queued_msgs < WS_MIN_QUEUED_MSGS) {
            out->max_queued_msgs = WS_MIN_QUEUED_MSGS;
        }
    }
    if (!(out->close_grace > 0)) {
        out->close_grace = WS_DEFAULT_GRACE;
    }
    return 0;
}

int
px_ws_start(struct px_plugin *p, int fd, const void *early, size_t early_len,
            const struct px_ws_config *config,
            const struct px_ws_callbacks *callbacks, void *arg,
            struct px_ws **out)
{
    struct wslay_event_callbacks wcb = {
        ws_recv_cb, ws_send_cb, NULL, NULL, NULL, NULL, ws_on_msg_recv_cb,
    };
    struct px_ws *ws = NULL;
    int error, flags, one = 1;

    if (out) {
        *out = NULL;
    }
    if (fd < 0) {
        return EINVAL;
    }
    if (!p || !out || !callbacks || !callbacks->on_message ||
        !callbacks->on_close || (early_len && !early)) {
        error = EINVAL;
        goto fail;
    }
    ws = calloc(1, sizeof *ws);
    if (!ws) {
        error = ENOMEM;
        goto fail;
    }
    error = ws_config(config, &ws->cfg);
    if (error) {
        goto fail;
    }
    ws->p = p;
    ws->fd = fd;
    ws->cbs = *callbacks;
    ws->arg = arg;
    if (early_len) {
        ws->early = malloc(early_len);
        if (!ws->early) {
            error = ENOMEM;
            goto fail;
        }
        memcpy(ws->early, early, early_len);
        ws->early_len = early_len;
    }
    if (wslay_event_context_server_init(&ws->ctx, &wcb, ws)) {
        ws->ctx = NULL;
        error = ENOMEM;
        goto fail;
    }
    wslay_event_config_set_max_recv_msg_length(ws->ctx, ws->cfg.max_message);

    flags = fcntl(fd, F_GETFL);
    if (flags < 0 ||
        (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK))) {
        error = errno;
        goto fail;
    }
    /* Messages are small and often interactive (a terminal's keys):
     * Nagle would hold them back.  Fails harmlessly on a Unix socket. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    ws->last_rx = px_now(p);
    error =
        px_io_start(p, fd, PX_IO_READ | PX_IO_OWN_FD, ws_io_cb, ws, &ws->io);
    if (error) {
        ws->io = NULL;
        goto fail;
    }
    ws->io_events = PX_IO_READ;
    /* From here the watcher owns the socket. */
    if (early_len &&
        (error = px_timer_start(p, 0, 0, ws_timer_cb, ws, &ws->kick))) {
        ws->kick = NULL;
        ws_release_io(ws);
        ws_free(ws);
        return error;
    }
    ws_schedule_keepalive(ws);
    *out = ws;
    return 0;

fail:
    if (ws) {
        wslay_event_context_free(ws->ctx);
        free(ws->early);
        free(ws);
    }
    close(fd);
    return error;
}

int
px_ws_send(struct px_ws *ws, int binary, const void *data, size_t len)
{
    struct wslay_event_msg m;
    size_t queued, count;
    int r;

    if (!ws || (len && !data)) {
        return EINVAL;
    }
    if (ws_dead(ws) || ws->ending) {
        return EPIPE;
    }
    queued = wslay_event_get_queued_msg_length(ws->ctx);
    count = wslay_event_get_queued_msg_count(ws->ctx);
    if (queued > ws->cfg.max_queued || len > ws->cfg.max_queued - queued ||
        count >= ws->cfg.max_queued_msgs) {
        ws->stats.dropped_msgs++;
        ws->stats.dropped_bytes += len;
        ws->drain_wanted = 1;
        return ENOBUFS;
    }
    m.opcode = binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME;
    m.msg = data;
    m.msg_length = len;
    r = wslay_event_queue_msg(ws->ctx, &m);
    if (r) {
        return r == WSLAY_ERR_NOMEM ? ENOMEM : EPIPE;
    }
    ws->stats.msgs_out++;
    ws->stats.bytes_out += len;
    if (queued + len > ws->cfg.max_queued / 2 ||
        count + 1 > ws->cfg.max_queued_msgs / 2) {
        ws->drain_wanted = 1;
    }
    ws_arm(ws, ws_wanted_events(ws));
    return 0;
}

/* Codes an endpoint may put in a close frame (RFC 6455 section 7.4). */
static int
ws_code_sendable(uint16_t code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
           (code >= 3000 && code <= 4999);
}

void
px_ws_close(struct px_ws *ws, uint16_t code, const char *reason)
{
    size_t len = 0;

    if (!ws || ws_dead(ws) || ws->ending) {
        return;
    }
    ws_end(ws, PX_WS_CLOSE_LOCAL);
    ws->close_wanted = 1;
    ws->close_code = code && !ws_code_sendable(code) ? 1000 : code;
    if (code && reason) {
        len = strlen(reason);
        if (len > sizeof ws->close_reason) {
            len = sizeof ws->close_reason;
            /* Do not split a character: back off its continuation
             * bytes. */
            while (len && ((uint8_t)reason[len] & 0xc0) == 0x80) {
                len--;
            }
        }
        memcpy(ws->close_reason, reason, len);
    }
    ws->close_reason_len = len;
    ws_queue_close(ws);
    ws_arm(ws, ws_wanted_events(ws));
    if (!ws->grace) {
        /* No grace timer (it could not start): end on the next pass. */
        ws_kick(ws);
    }
}

void
px_ws_destroy(struct px_ws *ws)
{
    if (!ws || ws->destroyed) {
        return;
    }
    ws->destroyed = 1;
    ws_release_io(ws);
    if (!ws->depth) {
        ws_free(ws);
    }
}

size_t
px_ws_queued(const struct px_ws *ws)
{
    return ws ? wslay_event_get_queued_msg_length(ws->ctx) : 0;
}

void
px_ws_get_stats(const struct px_ws *ws, struct px_ws_stats *stats)
{
    if (ws) {
        *stats = ws->stats;
    } else {
        memset(stats, 0, sizeof *stats);
    }
}
