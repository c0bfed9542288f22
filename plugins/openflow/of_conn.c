/*
 * One OpenFlow switch connection; see of_conn.h.
 *
 * The life of a connection: for TLS the TLS handshake (px_conn does it);
 * HELLO both ways and version negotiation; FEATURES_REQUEST; for 1.3 also
 * the PORT_DESC multipart and the table-miss flow; SET_CONFIG for whole
 * frames; then READY, when switch_up goes out.  Any malformed or
 * out-of-order message closes this connection, and only this one, with the
 * reason logged and carried in switch_down.
 *
 * The bytes (reading, framing by the header's length, the bounded output,
 * TLS) are the SDK's message connection (plexus/conn.h); this module is
 * what OpenFlow makes of them.
 */
#include "of_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "of_plugin.h"
#include "plexus/buf.h"

static void conn_io(struct px_plugin *p, struct px_io *io, int fd, int revents,
                    void *arg);

/* How OpenFlow frames its messages: the 16-bit length at offset 2 counts
 * the whole message, at least its 8-byte header. */
static const struct px_conn_framing of_framing = {
    .length_offset = 2,
    .length_size = 2,
    .min_len = OF_HEADER_LEN,
    .max_len = OF_MAX_MESSAGE,
};

void
of_conn_options(const struct openflow *of, struct px_conn_options *o)
{
    memset(o, 0, sizeof *o);
    o->transport = of->transport;
    o->tls = of->tls;
    o->server = 1;
    /* Room for a largest message plus a large read's worth, so that one
     * read brings many messages. */
    o->in_limit = OF_MAX_MESSAGE + 128 * 1024;
    o->out_limit = (size_t)of->out_buffer;
    o->framing = of_framing;
}

static void
conn_free(struct of_conn *c)
{
    if (!c) {
        return;
    }
    px_conn_destroy(c->conn);
    of_req_free(c);
    free(c->ports);
    free(c);
}

static struct of_conn *
conn_alloc(struct openflow *of)
{
    struct of_conn *c = calloc(1, sizeof *c);

    if (!c) {
        return NULL;
    }
    c->of = of;
    c->role = PX_OF_ROLE_EQUAL;
    c->cnt = &c->pending;
    c->ports = calloc(OF_MAX_PORTS, sizeof *c->ports);
    if (!c->ports) {
        free(c);
        return NULL;
    }
    return c;
}

static void
conn_link(struct openflow *of, struct of_conn *c)
{
    c->next = of->conns;
    of->conns = c;
    of->n_conns++;
}

static int
conn_watch(struct of_conn *c)
{
    c->events = px_conn_events(c->conn);
    return px_io_start(c->of->p, px_conn_fd(c->conn), c->events, conn_io, c,
                       &c->io);
}

/* Adds to the switch's counters what px_conn moved since last time. */
static void
count_bytes(struct of_conn *c)
{
    const struct px_conn_stats *st = px_conn_stats(c->conn);

    c->cnt->rx_bytes += st->rx_bytes - c->seen_rx;
    c->cnt->tx_bytes += st->tx_bytes - c->seen_tx;
    c->seen_rx = st->rx_bytes;
    c->seen_tx = st->tx_bytes;
}

/* Waits for what the connection waits for now. */
static void
update_events(struct of_conn *c)
{
    int events;

    if (c->closing) {
        return;
    }
    events = px_conn_events(c->conn);
    if (c->dirty && px_conn_is_established(c->conn)) {
        /* The flush at the end of this pass writes what is queued: waiting
         * for the socket to be writable would only make the loop change
         * its epoll set twice a pass. */
        events &= ~PX_IO_WRITE;
    }
    if (events != c->events) {
        c->events = events;
        px_io_modify(c->of->p, c->io, events);
    }
}

/* Closes 'c' if px_conn closed it underneath (a socket or TLS failure, a
 * peer's close, a bad length): px_conn kept the reason. */
static int
check_closed(struct of_conn *c)
{
    if (!c->closing && !px_conn_is_open(c->conn)) {
        of_conn_close(c, PX_CONN_OTHER, NULL);
    }
    return c->closing;
}

void
of_conn_dropped(struct of_conn *c)
{
    if (c->closing) {
        return;
    }
    c->cnt->out_drops++;
    px_log_rl(c->of->p, &c->of->rl_drop, PX_LOG_WARN,
              "%s: output buffer full, message dropped (%llu so far)", c->peer,
              (unsigned long long)c->cnt->out_drops);
}

int
of_conn_queue(struct of_conn *c, const uint8_t *msg, size_t len)
{
    size_t room;
    uint8_t *dst = of_conn_reserve(c, &room);

    if (!dst || len > room) {
        of_conn_dropped(c);
        return ENOBUFS;
    }
    memcpy(dst, msg, len);
    of_conn_commit(c, len);
    return 0;
}

/* Writes what is queued for 'c' (not closing), with the barrier its
 * requests without replies wait for; 'c' is still dirty, so that the
 * barrier does not put it on the dirty list a second time.  Returns
 * nonzero if the write closed it. */
static int
conn_send(struct of_conn *c)
{
    of_req_sync(c);
    px_conn_flush(c->conn);
    count_bytes(c);
    return check_closed(c);
}

void
of_conn_flush(struct of_conn *c)
{
    int closed = c->closing || conn_send(c);

    c->dirty = 0;
    if (!closed) {
        update_events(c);
    }
}

int
of_conn_create(struct openflow *of, int fd, const char *peer,
               struct of_conn **out)
{
    struct of_conn *c = conn_alloc(of);
    struct px_conn_options o;
    int error;

    if (!c) {
        close(fd);
        return ENOMEM;
    }
    of_conn_options(of, &o);
    error = px_conn_create(fd, peer, &o, &c->conn);
    if (!error) {
        error = conn_watch(c);
    }
    if (error) {
        conn_free(c);
        return error;
    }
    c->id = of->next_id++;
    c->connected_since = px_now(of->p);
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    conn_link(of, c);
    /* Queued now, written once TLS (if any) is up. */
    OF_CONN_QUEUE_ENCODED(c, of_encode_hello(buf_, room_, c->xid++));
    *out = c;
    return 0;
}

void
of_conn_describe(const struct of_conn *c, struct px_of_switch *sw,
                 const char *reason)
{
    memset(sw, 0, sizeof *sw);
    sw->dpid = c->features.dpid;
    sw->version = c->version;
    sw->n_tables = c->features.n_tables;
    sw->n_buffers = c->features.n_buffers;
    sw->capabilities = c->features.capabilities;
    sw->peer = c->peer;
    sw->reason = reason;
    sw->n_ports = c->n_ports;
    sw->ports = c->ports;
}

/* Counts a close in the switch's record, or as a failed handshake. */
static void
count_close(struct of_conn *c, enum px_conn_reason why)
{
    struct of_stats *stats = c->of->stats;

    if (c->sw) {
        of_stats_disconnected(stats, c->sw, why);
    } else if (c->state != OF_CONN_READY) {
        stats->handshake_failures++;
        if (why == PX_CONN_TLS_FAILED) {
            stats->tls_failures++;
        }
        if (why == PX_CONN_DUPLICATE) {
            /* Refused because another connection holds the datapath id:
             * count it on that switch, which stays connected. */
            struct of_switch_stats *sw =
                of_stats_find(stats, c->features.dpid);

            if (sw) {
                sw->disconnects[PX_CONN_DUPLICATE]++;
            }
        }
    }
    /* The record may be evicted once disconnected; nothing counts into it
     * from a closed connection, but make sure. */
    c->sw = NULL;
    c->cnt = &c->pending;
}

void
of_conn_close(struct of_conn *c, enum px_conn_reason reason,
              const char *detail)
{
    struct openflow *of = c->of;
    struct of_conn **pp;
    const char *why;

    if (c->closing) {
        return;
    }
    /* The first reason wins: px_conn may have closed already. */
    px_conn_close(c->conn, reason, detail);
    reason = px_conn_reason(c->conn);
    why = detail ? detail : px_conn_why(c->conn);
    count_bytes(c);
    count_close(c, reason);
    if (c->state == OF_CONN_READY) {
        struct px_of_switch sw;

        px_info(of->p, "switch %016llx (%s) down: %s",
                (unsigned long long)c->features.dpid, c->peer, why);
        of_conn_describe(c, &sw, why);
        px_publish(of->p, of->t_switch_down, &sw, sizeof sw);
    } else {
        px_info(of->p, "connection from %s closed: %s", c->peer, why);
    }
    c->closing = 1;
    if (of->last_found == c) {
        of->last_found = NULL;
    }
    if (c->in_by_dpid) {
        px_hmap_remove(&of->by_dpid, &c->dpid_node);
        px_hmap_shrink(&of->by_dpid);
        c->in_by_dpid = 0;
    }
    /* Out of by_dpid first: a request published from a GONE reply's
     * callback finds no switch, rather than this closing one. */
    of_req_gone(c, "the switch's connection closed");
    px_io_stop(of->p, c->io);
    c->io = NULL;
    for (pp = &of->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            of->n_conns--;
            break;
        }
    }
    /* Callers up the stack (the read loop, a flush) may still hold 'c':
     * free it at the end of the pass. */
    c->next = of->graveyard;
    of->graveyard = c;
    openflow_mark_dirty(of, NULL);
}

void
of_conn_tick(struct of_conn *c)
{
    if (c->rx_since_tick) {
        c->rx_since_tick = 0;
        c->echo_misses = 0;
        return;
    }
    if (c->echo_misses >= (unsigned int)c->of->echo_misses) {
        if (c->version) {
            of_conn_close(c, PX_CONN_ECHO_TIMEOUT, "echo timeout");
        } else if (!px_conn_is_established(c->conn)) {
            of_conn_close(c, PX_CONN_HANDSHAKE_TIMEOUT,
                          "TLS handshake not finished");
        } else {
            of_conn_close(c, PX_CONN_HANDSHAKE_TIMEOUT, "no HELLO");
        }
        return;
    }
    c->echo_misses++;
    if (c->version) {
        OF_CONN_QUEUE_ENCODED(
            c, of_encode_echo_request(buf_, room_, c->version, c->xid++));
    }
}

/* Points the connection's counters at its switch's record, creating the
 * record if needed, and marks the session up.  If the set has no room (all
 * its records belong to connected switches) the switch goes uncounted. */
static void
link_record(struct of_conn *c)
{
    struct openflow *of = c->of;
    struct of_switch_stats *sw;
    int error = of_stats_get(of->stats, c->features.dpid, &sw);
    size_t i;

    if (error) {
        px_log_rl(of->p, &of->rl_stats, PX_LOG_WARN,
                  "switch %016llx (%s): no record for its counters (%s), "
                  "not counted",
                  (unsigned long long)c->features.dpid, c->peer,
                  strerror(error));
        return;
    }
    of_stats_connected(sw, c->version, c->peer, c->connected_since);
    c->sw = sw;
    c->cnt = &sw->total;
    /* Report the switch's ports from zero rather than from their first
     * packet.  Past the bound they are left out; their counts are then
     * what ports_untracked says. */
    for (i = 0; i < c->n_ports; i++) {
        of_stats_port_register(sw, c->ports[i].port_no, c->ports[i].name);
    }
}

static void
switch_ready(struct of_conn *c)
{
    struct openflow *of = c->of;
    struct px_of_switch sw;

    c->state = OF_CONN_READY;
    /* Before switch_up: its subscribers may send requests right away, and
     * those count in the record. */
    link_record(c);
    if (c->sw) {
        of_stats_add(c->sw, &c->pending);
        memset(&c->pending, 0, sizeof c->pending);
    }
    px_info(of->p,
            "switch %016llx (%s) up: OpenFlow %s, %zu ports, %u buffers",
            (unsigned long long)c->features.dpid, c->peer,
            c->version == PX_OF_VERSION_13 ? "1.3" : "1.0", c->n_ports,
            c->features.n_buffers);
    of_conn_describe(c, &sw, NULL);
    px_publish(of->p, of->t_switch_up, &sw, sizeof sw);
}

static int
handle_hello(struct of_conn *c, const uint8_t *msg, size_t len,
             const char **why)
{
    uint32_t bitmap;
    int error = of_decode_hello(msg, len, &bitmap, why);

    if (error) {
        return error;
    }
    c->version = of_negotiate(bitmap);
    if (!c->version) {
        static const char text[] = "no common version: we speak 1.0, 1.3";

        /* In a version the codec speaks: 1.3 to a newer peer, else 1.0,
         * the version every switch understands. */
        uint8_t v =
            msg[0] >= PX_OF_VERSION_13 ? PX_OF_VERSION_13 : PX_OF_VERSION_10;

        OF_CONN_QUEUE_ENCODED(c, of_encode_error(buf_, room_, v, c->xid++,
                                                 OF_ERROR_HELLO_FAILED,
                                                 OF_HELLO_FAILED_INCOMPATIBLE,
                                                 text, sizeof text - 1));
        of_conn_flush(c);
        *why = "incompatible version (HELLO_FAILED sent)";
        return EPROTO;
    }
    c->state = OF_CONN_FEATURES;
    OF_CONN_QUEUE_ENCODED(
        c, of_encode_features_request(buf_, room_, c->version, c->xid++));
    return 0;
}

static int
handle_features(struct of_conn *c, const uint8_t *msg, size_t len,
                const char **why)
{
    struct openflow *of = c->of;
    struct of_conn *other;
    int error = of_decode_features_reply(msg, len, &c->features, c->ports,
                                         OF_MAX_PORTS, &c->n_ports, why);

    if (error) {
        return error;
    }
    other = openflow_find(of, c->features.dpid);
    if (other && other != c) {
        px_warn(of->p, "%s claims datapath %016llx, which %s holds: refused",
                c->peer, (unsigned long long)c->features.dpid, other->peer);
        *why = "duplicate datapath id";
        return EEXIST;
    }
    openflow_claim_dpid(of, c);
    OF_CONN_QUEUE_ENCODED(
        c, of_encode_set_config(buf_, room_, c->version, c->xid++));
    if (c->version == PX_OF_VERSION_13) {
        c->n_ports = 0;
        c->state = OF_CONN_PORTS;
        /* A flow_mod on the wire like any other: counted, so the switch's
         * own count and ours agree. */
        if (OF_CONN_QUEUE_ENCODED(
                c, of_encode_table_miss(buf_, room_, c->xid++))) {
            c->cnt->flow_mods++;
        }
        OF_CONN_QUEUE_ENCODED(
            c, of_encode_port_desc_request(buf_, room_, c->xid++));
        return 0;
    }
    switch_ready(c);
    return 0;
}

static int
handle_port_desc(struct of_conn *c, const uint8_t *msg, size_t len,
                 const char **why)
{
    int more = 0;
    int error = of_decode_port_desc_reply(msg, len, c->ports, OF_MAX_PORTS,
                                          &c->n_ports, &more, why);

    if (!error && !more) {
        switch_ready(c);
    }
    return error;
}

static int
handle_packet_in(struct of_conn *c, const uint8_t *msg, size_t len,
                 const char **why)
{
    struct px_of_packet_in pi;
    int error = of_decode_packet_in(msg, len, &pi, c->of->pi_fields, why);

    if (!error) {
        pi.dpid = c->features.dpid;
        c->cnt->packet_ins++;
        if (c->sw) {
            struct of_port_stats *ps = of_stats_port(c->sw, pi.in_port);

            if (ps) {
                ps->packet_ins++;
            }
        }
        px_publish(c->of->p, c->of->t_packet_in, &pi, sizeof pi);
    }
    return error;
}

static int
handle_flow_removed(struct of_conn *c, const uint8_t *msg, size_t len,
                    const char **why)
{
    struct px_of_flow_removed fr;
    int error = of_decode_flow_removed(msg, len, &fr, c->of->pi_fields, why);

    if (!error) {
        fr.dpid = c->features.dpid;
        px_publish(c->of->p, c->of->t_flow_removed, &fr, sizeof fr);
    }
    return error;
}

static void
update_port(struct of_conn *c, const struct px_of_port_status *ps)
{
    size_t i;

    for (i = 0; i < c->n_ports; i++) {
        if (c->ports[i].port_no == ps->port.port_no) {
            break;
        }
    }
    if (ps->reason == PX_OF_PORT_DELETE) {
        if (i < c->n_ports) {
            c->ports[i] = c->ports[--c->n_ports];
        }
    } else if (i < c->n_ports) {
        c->ports[i] = ps->port;
    } else if (c->n_ports < OF_MAX_PORTS) {
        c->ports[c->n_ports++] = ps->port;
    }
}

static int
handle_port_status(struct of_conn *c, const uint8_t *msg, size_t len,
                   const char **why)
{
    struct px_of_port_status ps;
    int error = of_decode_port_status(msg, len, &ps, why);

    if (!error) {
        ps.dpid = c->features.dpid;
        update_port(c, &ps);
        if (c->sw && ps.reason != PX_OF_PORT_DELETE) {
            of_stats_port_register(c->sw, ps.port.port_no, ps.port.name);
        }
        px_publish(c->of->p, c->of->t_port_status, &ps, sizeof ps);
    }
    return error;
}

static int
handle_error(struct of_conn *c, const struct of_header *h, const uint8_t *msg,
             const char **why)
{
    struct px_of_error e;
    int error = of_decode_error(msg, h->length, &e, why);

    if (!error) {
        e.dpid = c->features.dpid;
        px_log_rl(c->of->p, &c->of->rl_error, PX_LOG_WARN,
                  "switch %016llx (%s) sent ERROR type %u code %u",
                  (unsigned long long)e.dpid, c->peer, e.type, e.code);
        px_publish(c->of->p, c->of->t_error, &e, sizeof e);
        /* And to the plugin whose request it answers, if one waits. */
        if (c->n_awaiting && !c->closing) {
            const char *ignored;

            of_req_incoming(c, h, msg, &e, &ignored);
        }
    }
    return error;
}

/* Handles one complete message.  Returns 0, or an error with 'why' set
 * when the connection must close. */
static int
handle(struct of_conn *c, const struct of_header *h, const uint8_t *msg,
       const char **why)
{
    size_t len = h->length;

    c->rx_since_tick = 1;
    c->rx_msgs++;
    if (__builtin_expect(c->n_awaiting != 0, 0) && h->type != OF_ERROR) {
        /* A plugin's request may wait for it (handle_error does ERRORs,
         * once decoded); openflow handles it as usual all the same.  A
         * reply openflow reads for the plugin is checked first. */
        int error = 0;

        if (h->type == OF_ROLE_REPLY_13 && c->version == PX_OF_VERSION_13) {
            uint64_t generation_id;
            uint32_t role;

            error = of_decode_role_reply(msg, len, &role, &generation_id, why);
        }
        if (!error) {
            error = of_req_incoming(c, h, msg, NULL, why);
        }
        if (error || c->closing) {
            return error;
        }
    }
    if (c->state == OF_CONN_HELLO) {
        if (h->type != OF_HELLO) {
            *why = "first message is not HELLO";
            return EPROTO;
        }
        return handle_hello(c, msg, len, why);
    }
    if (h->version != c->version) {
        *why = "message version differs from the negotiated one";
        return EPROTO;
    }
    switch (h->type) {
    case OF_ECHO_REQUEST:
        OF_CONN_QUEUE_ENCODED(c, of_encode_echo_reply(buf_, room_, msg, len));
        return 0;
    case OF_PACKET_IN:
        if (c->state != OF_CONN_READY) {
            return 0; /* Before switch_up nobody could act on it. */
        }
        return handle_packet_in(c, msg, len, why);
    case OF_FEATURES_REPLY:
        if (c->state != OF_CONN_FEATURES) {
            *why = "FEATURES_REPLY that was not asked for";
            return EPROTO;
        }
        return handle_features(c, msg, len, why);
    case OF_PORT_STATUS:
        return c->state == OF_CONN_READY ? handle_port_status(c, msg, len, why)
                                         : 0;
    case OF_FLOW_REMOVED:
        return c->state == OF_CONN_READY
                   ? handle_flow_removed(c, msg, len, why)
                   : 0;
    case OF_ERROR:
        return handle_error(c, h, msg, why);
    case OF_HELLO:
        *why = "second HELLO";
        return EPROTO;
    default:
        break;
    }
    if (c->version == PX_OF_VERSION_13 && h->type == OF_MULTIPART_REPLY_13) {
        if (c->state != OF_CONN_PORTS) {
            return 0; /* A reply to somebody else's request: ignore. */
        }
        return handle_port_desc(c, msg, len, why);
    }
    return 0; /* ECHO_REPLY...: liveness is all we need. */
}

/* Handles the whole messages buffered, at most of->max_per_pass of them.
 * Returns nonzero if whole messages are left. */
static int
process(struct of_conn *c)
{
    long long n = 0;

    while (!c->closing) {
        struct of_header h;
        const char *why = NULL;
        const uint8_t *msg;
        size_t len;
        int error;

        if (n >= c->of->max_per_pass) {
            return px_conn_has_message(c->conn);
        }
        error = px_conn_next(c->conn, &msg, &len);
        if (error == EAGAIN) {
            break;
        }
        if (error) {
            /* px_conn closed it: the peer left, or a length was out of
             * bounds. */
            if (error == EPROTO) {
                char reason[200];

                snprintf(reason, sizeof reason, "malformed message: %s",
                         px_conn_why(c->conn));
                px_warn(c->of->p, "%s: closing: %s", c->peer, reason);
                of_conn_close(c, PX_CONN_MALFORMED, reason);
                return 0;
            }
            count_bytes(c);
            check_closed(c);
            return 0;
        }
        error = of_frame(msg, len, &h, &why);
        if (!error) {
            error = handle(c, &h, msg, &why);
        }
        if (error) {
            char reason[160];

            snprintf(reason, sizeof reason, "%s%s",
                     error == EEXIST ? "" : "malformed message: ",
                     why ? why : strerror(error));
            px_warn(c->of->p, "%s: closing: %s", c->peer, reason);
            of_conn_close(
                c, error == EEXIST ? PX_CONN_DUPLICATE : PX_CONN_MALFORMED,
                reason);
            return 0;
        }
        n++;
    }
    return 0;
}

static void conn_continue(struct px_plugin *p, void *arg);

/* After input arrived or was taken: handles it, and comes back on the next
 * pass when the cap was reached, so the other connections have their
 * turn. */
static void
after_input(struct of_conn *c)
{
    if (process(c) && !c->closing) {
        px_defer(c->of->p, conn_continue, c);
    }
    if (c->dirty && !c->closing) {
        /* The replies to this input go out now, with one send, while they
         * are still in the cache, rather than at the end of the pass, when
         * the other switches' input and replies have pushed them out (5%
         * more packet-ins a second with 16 busy switches).  The connection
         * stays on the dirty list, so that what the rest of the pass queues
         * for it goes out at the end as before. */
        if (conn_send(c)) {
            return;
        }
    }
    if (!c->closing) {
        update_events(c);
    }
}

static void
conn_continue(struct px_plugin *p, void *arg)
{
    struct openflow *of = px_get_data(p);
    struct of_conn *c;

    /* 'arg' may have been closed and freed since: only touch it if it is
     * still one of ours. */
    for (c = of->conns; c; c = c->next) {
        if (c == arg) {
            after_input(c);
            return;
        }
    }
}

static void
conn_io(struct px_plugin *p, struct px_io *io, int fd, int revents, void *arg)
{
    struct of_conn *c = arg;

    (void)p;
    (void)io;
    (void)fd;
    /* PX_IO_READ and PX_IO_WRITE are px_conn's READ and WRITE. */
    px_conn_run(c->conn, revents);
    count_bytes(c);
    if (check_closed(c)) {
        return;
    }
    after_input(c);
}

/* ---------------------------------------------------------------------- */
/* Handoff.                                                               */

/* What a connection hands to the next generation, written field by field
 * (big-endian, px_buf) so that no struct of another header is copied:
 *
 *   u32 state, u8 version, u32 xid, u32 echo_misses
 *   features: u64 dpid, u32 n_buffers, u8 n_tables, u32 capabilities
 *   u64 connected_since (double, as its bits), u64 rx_msgs, u32 role
 *   u32 n_ports, then per port: u32 port_no, 6 bytes hw_addr,
 *       str name, u32 config, u32 state, u32 curr
 *   the socket's state: px_conn_save's serialization
 *
 * The fd goes separately, under the same name.  The 'pending' counts of a
 * connection still in its handshake are not saved: a reload in the middle
 * of a handshake loses its few bytes of counts.  Version 2 had no role
 * (read as EQUAL, the switch's default), and is still read. */
#define OF_CONN_BLOB_VERSION     3
#define OF_CONN_BLOB_MIN_VERSION 2

int
of_conn_save(struct of_conn *c)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    char name[32];
    size_t i;
    int error, fd;

    /* The next generation would not know whom the switch's answers are
     * for: the requesters are told now. */
    of_req_gone(c, "openflow was reloaded");
    count_bytes(c);
    px_buf_put_be32(&b, (uint32_t)c->state);
    px_buf_put_u8(&b, c->version);
    px_buf_put_be32(&b, c->xid);
    px_buf_put_be32(&b, c->echo_misses);
    px_buf_put_be64(&b, c->features.dpid);
    px_buf_put_be32(&b, c->features.n_buffers);
    px_buf_put_u8(&b, c->features.n_tables);
    px_buf_put_be32(&b, c->features.capabilities);
    px_buf_put_double(&b, c->connected_since);
    px_buf_put_be64(&b, c->rx_msgs);
    px_buf_put_be32(&b, c->role);
    px_buf_put_be32(&b, (uint32_t)c->n_ports);
    for (i = 0; i < c->n_ports; i++) {
        const struct px_of_port *port = &c->ports[i];

        px_buf_put_be32(&b, port->port_no);
        px_buf_put(&b, port->hw_addr, sizeof port->hw_addr);
        px_buf_put_str(&b, port->name);
        px_buf_put_be32(&b, port->config);
        px_buf_put_be32(&b, port->state);
        px_buf_put_be32(&b, port->curr);
    }
    error = px_buf_error(&b);
    if (!error) {
        error = px_conn_save(c->conn, &b, &fd);
    }
    if (!error) {
        snprintf(name, sizeof name, "conn.%u", c->id);
        error = px_handoff_put_blob(c->of->p, name, OF_CONN_BLOB_VERSION,
                                    b.data, b.len);
        if (!error) {
            error = px_handoff_put_fd(c->of->p, name, fd);
        }
        if (error) {
            /* The socket (and a TLS session) belonged to the blob: end
             * them here, since nobody will take them. */
            struct px_cursor cur;

            px_cursor_init(&cur, b.data, b.len);
            of_conn_parse_state(&cur, OF_CONN_BLOB_VERSION, NULL);
            px_conn_forget_saved(&cur);
            close(fd);
        }
    }
    px_buf_destroy(&b);
    return error;
}

int
of_conn_parse_state(struct px_cursor *in, uint32_t version, struct of_conn *c)
{
    struct of_conn scratch;
    uint32_t n_ports, i;

    if (!c) {
        memset(&scratch, 0, sizeof scratch);
        c = &scratch;
    }
    c->state = (enum of_conn_state)px_cursor_be32(in);
    c->version = px_cursor_u8(in);
    c->xid = px_cursor_be32(in);
    c->echo_misses = px_cursor_be32(in);
    c->features.dpid = px_cursor_be64(in);
    c->features.n_buffers = px_cursor_be32(in);
    c->features.n_tables = px_cursor_u8(in);
    c->features.capabilities = px_cursor_be32(in);
    c->connected_since = px_cursor_double(in);
    c->rx_msgs = px_cursor_be64(in);
    c->role = version >= 3 ? px_cursor_be32(in) : PX_OF_ROLE_EQUAL;
    n_ports = px_cursor_be32(in);
    if (in->error || c->state > OF_CONN_READY || n_ports > OF_MAX_PORTS ||
        c->role > PX_OF_ROLE_SLAVE ||
        (c->version && c->version != PX_OF_VERSION_10 &&
         c->version != PX_OF_VERSION_13)) {
        return EPROTO;
    }
    for (i = 0; i < n_ports; i++) {
        struct px_of_port port;
        const void *hw;

        memset(&port, 0, sizeof port);
        port.port_no = px_cursor_be32(in);
        hw = px_cursor_bytes(in, sizeof port.hw_addr);
        if (hw) {
            memcpy(port.hw_addr, hw, sizeof port.hw_addr);
        }
        px_cursor_str(in, port.name, sizeof port.name);
        port.config = px_cursor_be32(in);
        port.state = px_cursor_be32(in);
        port.curr = px_cursor_be32(in);
        if (c->ports) {
            c->ports[i] = port;
        }
    }
    c->n_ports = n_ports;
    return in->error ? EPROTO : 0;
}

int
of_conn_restore(struct openflow *of, unsigned int id, struct of_conn **out)
{
    struct px_conn_options o;
    struct px_cursor cur;
    const uint8_t *data;
    struct of_conn *c;
    uint32_t version;
    char name[32];
    size_t len;
    int error, fd;

    snprintf(name, sizeof name, "conn.%u", id);
    error =
        px_handoff_get_blob(of->p, name, &version, (const void **)&data, &len);
    if (error) {
        return error;
    }
    error = px_handoff_take_fd(of->p, name, &fd);
    if (error) {
        return error;
    }
    c = conn_alloc(of);
    if (!c) {
        close(fd);
        return ENOMEM;
    }
    px_cursor_init(&cur, data, len);
    error =
        version >= OF_CONN_BLOB_MIN_VERSION && version <= OF_CONN_BLOB_VERSION
            ? of_conn_parse_state(&cur, version, c)
            : EPROTO;
    if (error) {
        close(fd);
        conn_free(c);
        return error;
    }
    of_conn_options(of, &o);
    error = px_conn_restore(&cur, fd, &o, &c->conn);
    if (!error && px_cursor_finish(&cur)) {
        error = EPROTO;
    }
    if (!error) {
        error = conn_watch(c);
    }
    if (error) {
        conn_free(c);
        return error;
    }
    c->id = id;
    snprintf(c->peer, sizeof c->peer, "%s", px_conn_peer(c->conn));
    c->seen_rx = px_conn_stats(c->conn)->rx_bytes;
    c->seen_tx = px_conn_stats(c->conn)->tx_bytes;
    conn_link(of, c);
    if (c->state >= OF_CONN_PORTS) {
        openflow_claim_dpid(of, c);
    }
    if (c->state == OF_CONN_READY) {
        link_record(c);
    }
    if (px_conn_queued(c->conn)) {
        c->dirty = 1;
        openflow_mark_dirty(of, c);
    }
    if (px_conn_has_message(c->conn)) {
        px_defer(of->p, conn_continue, c);
    }
    *out = c;
    return 0;
}

void
of_conn_free(struct of_conn *c)
{
    conn_free(c);
}
