/*
 * One OpenFlow switch connection; see conn.h.
 *
 * The life of a connection: HELLO both ways and version negotiation;
 * FEATURES_REQUEST; for 1.3 also the PORT_DESC multipart and the table-miss
 * flow; SET_CONFIG for whole frames; then READY, when switch_up goes out.
 * Any malformed or out-of-order message closes this connection, and only
 * this one, with the reason logged and carried in switch_down.
 */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "of_plugin.h"
#include "plexus/net.h"

/* The input buffer holds at least one largest message plus a read's
 * worth, so a complete message always fits. */
#define OF_IN_CAP     (OF_MAX_MESSAGE + 128 * 1024)
#define OF_READ_CHUNK (128 * 1024)

static void conn_io(struct px_plugin *p, struct px_io *io, int fd, int revents,
                    void *arg);

static void
conn_free(struct of_conn *c)
{
    if (!c) {
        return;
    }
    free(c->ports);
    free(c->in);
    free(c->out);
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
    c->fd = -1;
    c->cnt = &c->pending;
    c->in = malloc(OF_IN_CAP);
    c->out = malloc((size_t)of->out_buffer);
    c->ports = calloc(OF_MAX_PORTS, sizeof *c->ports);
    if (!c->in || !c->out || !c->ports) {
        conn_free(c);
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
    return px_io_start(c->of->p, c->fd, PX_IO_READ, conn_io, c, &c->io);
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

uint8_t *
of_conn_reserve(struct of_conn *c, size_t *room)
{
    if (c->closing) {
        *room = 0;
        return NULL;
    }
    *room = (size_t)c->of->out_buffer - c->out_len;
    return c->out + c->out_len;
}

void
of_conn_commit(struct of_conn *c, size_t len)
{
    c->out_len += len;
    if (!c->dirty) {
        c->dirty = 1;
        openflow_mark_dirty(c->of, c);
    }
}

void
of_conn_flush(struct of_conn *c)
{
    size_t before = c->out_len;
    int error;

    c->dirty = 0;
    if (c->closing) {
        return;
    }
    /* px_net_send_some drops what it sent from the buffer, also when it
     * then fails. */
    error = px_net_send_some(c->fd, c->out, &c->out_len);
    c->cnt->tx_bytes += before - c->out_len;
    if (error) {
        of_conn_close(c, strerror(error));
        return;
    }
    if (c->out_len && !c->want_write) {
        c->want_write = 1;
        px_io_modify(c->of->p, c->io, PX_IO_READ | PX_IO_WRITE);
    } else if (!c->out_len && c->want_write) {
        c->want_write = 0;
        px_io_modify(c->of->p, c->io, PX_IO_READ);
    }
}

int
of_conn_create(struct openflow *of, int fd, const char *peer,
               struct of_conn **out)
{
    struct of_conn *c = conn_alloc(of);
    int error;

    if (!c) {
        close(fd);
        return ENOMEM;
    }
    c->fd = fd;
    c->id = of->next_id++;
    c->connected_since = px_now(of->p);
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    error = conn_watch(c);
    if (error) {
        close(fd);
        conn_free(c);
        return error;
    }
    conn_link(of, c);
    OF_CONN_QUEUE_ENCODED(c, of_encode_hello(buf_, room_, c->xid++));
    *out = c;
    return 0;
}

static void
fill_switch(const struct of_conn *c, struct px_of_switch *sw,
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
count_close(struct of_conn *c, const char *reason)
{
    struct of_stats *stats = c->of->stats;
    enum of_disconnect why = of_stats_classify(reason);

    if (c->sw) {
        of_stats_disconnected(stats, c->sw, why);
    } else if (c->state != OF_CONN_READY) {
        stats->handshake_failures++;
        if (why == OF_DISC_DUPLICATE_DPID) {
            /* Refused because another connection holds the datapath id:
             * count it on that switch, which stays connected. */
            struct of_switch_stats *sw =
                of_stats_find(stats, c->features.dpid);

            if (sw) {
                sw->disconnects[OF_DISC_DUPLICATE_DPID]++;
            }
        }
    }
    /* The record may be evicted once disconnected; nothing counts into it
     * from a closed connection, but make sure. */
    c->sw = NULL;
    c->cnt = &c->pending;
}

void
of_conn_close(struct of_conn *c, const char *reason)
{
    struct openflow *of = c->of;
    struct of_conn **pp;

    if (c->closing) {
        return;
    }
    count_close(c, reason);
    if (c->state == OF_CONN_READY) {
        struct px_of_switch sw;

        px_info(of->p, "switch %016llx (%s) down: %s",
                (unsigned long long)c->features.dpid, c->peer, reason);
        fill_switch(c, &sw, reason);
        px_publish(of->p, of->t_switch_down, &sw, sizeof sw);
    } else {
        px_info(of->p, "connection from %s closed: %s", c->peer, reason);
    }
    c->closing = 1;
    if (c->in_by_dpid) {
        px_hmap_remove(&of->by_dpid, &c->dpid_node);
        px_hmap_shrink(&of->by_dpid);
        c->in_by_dpid = 0;
    }
    px_io_stop(of->p, c->io);
    c->io = NULL;
    close(c->fd);
    c->fd = -1;
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
        of_conn_close(c, c->version ? "echo timeout" : "no HELLO");
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
    fill_switch(c, &sw, NULL);
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
    int error = of_decode_packet_in(msg, len, &pi, why);

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
handle_error(struct of_conn *c, const uint8_t *msg, size_t len,
             const char **why)
{
    struct px_of_error e;
    int error = of_decode_error(msg, len, &e, why);

    if (!error) {
        e.dpid = c->features.dpid;
        px_log_rl(c->of->p, &c->of->rl_error, PX_LOG_WARN,
                  "switch %016llx (%s) sent ERROR type %u code %u",
                  (unsigned long long)e.dpid, c->peer, e.type, e.code);
        px_publish(c->of->p, c->of->t_error, &e, sizeof e);
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
    case OF_ERROR:
        return handle_error(c, msg, len, why);
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
    return 0; /* ECHO_REPLY, BARRIER_REPLY...: liveness is all we need. */
}

/* Handles the complete messages in the input buffer, at most
 * of->max_per_pass of them.  Returns nonzero if complete messages are
 * left. */
static int
process(struct of_conn *c)
{
    size_t off = 0;
    long long n = 0;
    int left = 0;

    while (!c->closing) {
        struct of_header h;
        const char *why = NULL;
        int error = of_frame(c->in + off, c->in_len - off, &h, &why);

        if (error == EAGAIN) {
            break;
        }
        if (!error && n >= c->of->max_per_pass) {
            left = 1;
            break;
        }
        if (!error) {
            error = handle(c, &h, c->in + off, &why);
        }
        if (error) {
            char reason[160];

            snprintf(reason, sizeof reason, "%s%s",
                     error == EEXIST ? "" : "malformed message: ",
                     why ? why : strerror(error));
            px_warn(c->of->p, "%s: closing: %s", c->peer, reason);
            of_conn_close(c, reason);
            return 0;
        }
        off += h.length;
        n++;
    }
    if (!c->closing && off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    return left;
}

static void conn_continue(struct px_plugin *p, void *arg);

static void
conn_read(struct of_conn *c)
{
    for (;;) {
        ssize_t n;

        if (OF_IN_CAP - c->in_len < OF_READ_CHUNK / 2 ||
            c->in_len >= OF_IN_CAP) {
            break; /* Full: handle what we have first. */
        }
        n = recv(c->fd, c->in + c->in_len, OF_IN_CAP - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            c->cnt->rx_bytes += (uint64_t)n;
            if ((size_t)n < OF_READ_CHUNK / 2) {
                break; /* Probably drained. */
            }
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (n == 0) {
            char reason[96];
            struct of_header h;
            const char *why;

            /* Handle what arrived before the close, then say whether the
             * peer left in the middle of a message. */
            while (process(c)) {
                continue;
            }
            if (c->closing) {
                return;
            }
            if (c->in_len && of_frame(c->in, c->in_len, &h, &why) == EAGAIN &&
                c->in_len >= OF_HEADER_LEN) {
                snprintf(reason, sizeof reason,
                         "peer closed mid-message (%zu of %u bytes)",
                         c->in_len, h.length);
            } else if (c->in_len) {
                snprintf(reason, sizeof reason,
                         "peer closed mid-header (%zu bytes)", c->in_len);
            } else {
                snprintf(reason, sizeof reason, "peer closed");
            }
            of_conn_close(c, reason);
            return;
        }
        of_conn_close(c, strerror(errno));
        return;
    }
    if (process(c) && !c->closing) {
        /* The cap was reached: let the other connections have their turn
         * and come back on the next pass. */
        px_defer(c->of->p, conn_continue, c);
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
            if (process(c) && !c->closing) {
                px_defer(p, conn_continue, c);
            }
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
    if (revents & PX_IO_WRITE) {
        of_conn_flush(c);
    }
    if ((revents & PX_IO_READ) && !c->closing) {
        conn_read(c);
    }
}

/* ---------------------------------------------------------------------- */
/* Handoff.                                                               */

/* What a connection hands to the next generation, followed by the bytes of
 * its input buffer, its output buffer and its ports.
 *
 * 'packet_ins' and 'out_drops' are no longer used (the counts live in the
 * switch's record, which travels in the "ofstats" blob): they are written
 * as 0 and ignored, so the layout and its version stay as they were.  The
 * 'pending' counts of a connection still in its handshake are not saved:
 * a reload in the middle of a handshake loses its few bytes of counts. */
struct of_conn_blob {
    uint32_t state;
    uint8_t version;
    uint8_t pad[3];
    uint32_t xid;
    uint32_t echo_misses;
    struct of_features features;
    char peer[64];
    double connected_since;
    uint64_t rx_msgs;
    uint64_t packet_ins;
    uint64_t out_drops;
    uint64_t in_len;
    uint64_t out_len;
    uint64_t n_ports;
};

#define OF_CONN_BLOB_VERSION 1

int
of_conn_save(struct of_conn *c)
{
    struct of_conn_blob b;
    size_t ports_len = c->n_ports * sizeof *c->ports;
    size_t len = sizeof b + c->in_len + c->out_len + ports_len;
    char name[32];
    uint8_t *data;
    int error;

    memset(&b, 0, sizeof b);
    b.state = c->state;
    b.version = c->version;
    b.xid = c->xid;
    b.echo_misses = c->echo_misses;
    b.features = c->features;
    memcpy(b.peer, c->peer, sizeof b.peer);
    b.connected_since = c->connected_since;
    b.rx_msgs = c->rx_msgs;
    b.in_len = c->in_len;
    b.out_len = c->out_len;
    b.n_ports = c->n_ports;
    data = malloc(len);
    if (!data) {
        return ENOMEM;
    }
    memcpy(data, &b, sizeof b);
    memcpy(data + sizeof b, c->in, c->in_len);
    memcpy(data + sizeof b + c->in_len, c->out, c->out_len);
    memcpy(data + sizeof b + c->in_len + c->out_len, c->ports, ports_len);
    snprintf(name, sizeof name, "conn.%u", c->id);
    error =
        px_handoff_put_blob(c->of->p, name, OF_CONN_BLOB_VERSION, data, len);
    free(data);
    if (!error) {
        error = px_handoff_put_fd(c->of->p, name, c->fd);
    }
    return error;
}

int
of_conn_restore(struct openflow *of, unsigned int id, struct of_conn **out)
{
    const struct of_conn_blob *b;
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
    if (version != OF_CONN_BLOB_VERSION || len < sizeof *b) {
        return EPROTO;
    }
    b = (const struct of_conn_blob *)(const void *)data;
    if (b->in_len > OF_IN_CAP || b->out_len > (uint64_t)of->out_buffer ||
        b->n_ports > OF_MAX_PORTS ||
        len != sizeof *b + b->in_len + b->out_len +
                   b->n_ports * sizeof(struct px_of_port)) {
        return EPROTO;
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
    c->fd = fd;
    c->id = id;
    c->state = b->state;
    c->version = b->version;
    c->xid = b->xid;
    c->echo_misses = b->echo_misses;
    c->features = b->features;
    memcpy(c->peer, b->peer, sizeof c->peer);
    c->peer[sizeof c->peer - 1] = '\0';
    c->connected_since = b->connected_since;
    c->rx_msgs = b->rx_msgs;
    c->in_len = b->in_len;
    c->n_ports = b->n_ports;
    memcpy(c->in, data + sizeof *b, c->in_len);
    memcpy(c->out, data + sizeof *b + c->in_len, b->out_len);
    memcpy(c->ports, data + sizeof *b + c->in_len + b->out_len,
           c->n_ports * sizeof *c->ports);
    error = conn_watch(c);
    if (error) {
        close(fd);
        conn_free(c);
        return error;
    }
    conn_link(of, c);
    if (c->state >= OF_CONN_PORTS) {
        openflow_claim_dpid(of, c);
    }
    if (c->state == OF_CONN_READY) {
        link_record(c);
    }
    if (b->out_len) {
        of_conn_commit(c, b->out_len);
    }
    if (c->in_len) {
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
