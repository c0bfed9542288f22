/*
 * One OpenFlow switch connection: its handshake state and the loop that
 * turns messages into events.  The plugin (openflow.c) owns the listeners,
 * the set of connections and the topics; this module owns what happens on
 * one connection.  The socket, its transport (TCP, TLS, Unix), the framing
 * and the bounded buffers are the SDK's message connection
 * (plexus/conn.h).
 *
 * Reads are batched (one large read, then every complete message in the
 * buffer, up to a cap per pass so one flooding switch cannot starve the
 * others), and so are writes: replies and requests are appended to the
 * bounded output buffer, which is written once per loop pass.  Nothing is
 * allocated per message.
 *
 * Counting: 'cnt' points at counters that every path adds to without a
 * branch.  Until the switch is up it points at the connection's own
 * 'pending' counters (the handshake); when the switch comes up they are
 * added to the switch's record (swstats.h), which 'cnt' points at from
 * then on, so the counts outlive the connection.
 */
#ifndef OF_CONN_H
#define OF_CONN_H 1

#include <stddef.h>
#include <stdint.h>

#include "of_request.h"
#include "ofp.h"
#include "plexus/buf.h"
#include "plexus/conn.h"
#include "plexus/hmap.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "swstats.h"

struct openflow;

enum of_conn_state {
    OF_CONN_HELLO,    /* Waiting for the switch's HELLO. */
    OF_CONN_FEATURES, /* FEATURES_REQUEST sent. */
    OF_CONN_PORTS,    /* 1.3: PORT_DESC requested. */
    OF_CONN_READY,    /* switch_up published. */
};

/* Most ports a switch may report; more is treated as malformed. */
#define OF_MAX_PORTS 1024

/* Every port a switch reports, and the eight special ports, get their own
 * counters. */
_Static_assert(OF_STATS_MAX_PORTS >= OF_MAX_PORTS + 8,
               "per-port counters cannot hold every port");

struct of_conn {
    struct openflow *of;
    struct of_conn *next; /* In of->conns. */
    /* In of->by_dpid while 'in_by_dpid' is set. */
    struct px_hmap_node dpid_node;
    int in_by_dpid;
    struct px_conn *conn; /* The socket; owned. */
    struct px_io *io;
    int events; /* What io waits for (PX_IO_*). */
    char peer[64];
    unsigned int id; /* For handoff names. */

    enum of_conn_state state;
    uint8_t version;
    struct of_features features;
    struct px_of_port *ports;
    size_t n_ports;
    uint32_t xid;

    /* Keepalive: set by any received message, checked each probe tick. */
    int rx_since_tick;
    unsigned int echo_misses;

    int dirty;   /* On of->dirty: output waiting for the flush. */
    int closing; /* Closed during a pass: freed after it. */
    /* Bytes px_conn had counted when they were last added to 'cnt'. */
    uint64_t seen_rx, seen_tx;

    /* Counters.  'sw' is the switch's record once it is up (NULL before,
     * or if the record set refused it); it belongs to of->stats. */
    struct of_counts *cnt; /* &pending or &sw->total. */
    struct of_counts pending;
    struct of_switch_stats *sw;
    uint64_t rx_msgs;
    double connected_since;
    /* The role the switch last granted this controller (PX_OF_ROLE_*, from
     * a ROLE_REPLY to openflow.role); EQUAL, the switch's default, until
     * then.  As SLAVE, requests that would change the switch are refused
     * here (EPERM), as the switch would refuse them. */
    uint32_t role;

    /* Requests of other plugins the switch owes a reply to, oldest first
     * (of_request.h); at most OF_MAX_PENDING. */
    struct of_pending *awaiting;
    size_t n_awaiting, awaiting_cap;
    /* OF_AWAIT_ACK entries wait for a barrier not sent yet. */
    int ack_unsynced;
};

/* Creates a connection for an accepted socket 'fd' (taken) and sends
 * HELLO. */
int of_conn_create(struct openflow *of, int fd, const char *peer,
                   struct of_conn **out);
/* Closes the socket, publishes switch_down if the switch was up, and frees
 * the connection (or marks it for freeing after the current pass).  Counts
 * the close: as a disconnect of the switch's record by reason, and as a
 * handshake failure if the switch never came up.  If px_conn closed the
 * connection already (a peer's close, a socket or TLS failure), its reason
 * is the one kept; 'detail' (may be NULL for px_conn's own words) is what
 * the log and switch_down say. */
void of_conn_close(struct of_conn *c, enum px_conn_reason reason,
                   const char *detail);
/* The px_conn options every switch connection of 'of' gets: its transport
 * and TLS context, limits, and OpenFlow's framing. */
void of_conn_options(const struct openflow *of, struct px_conn_options *o);

/* Appends one message to the output buffer.  Returns 0, or ENOBUFS when
 * the bound is reached (the message is dropped and counted). */
int of_conn_queue(struct of_conn *c, const uint8_t *msg, size_t len);
/* Counts (and logs, rate-limited) a message of the controller's own that
 * could not be queued: the output buffer is full.  Requests of other
 * plugins are counted by cause in openflow.c instead. */
void of_conn_dropped(struct of_conn *c);
/* openflow.c's: schedules the flush of 'c' at the end of this loop pass
 * (of_plugin.h). */
void openflow_mark_dirty(struct openflow *of, struct of_conn *c);

/* Space at the end of the output buffer for an encoder to write into;
 * commit what it wrote with of_conn_commit.  Both inline: every message
 * the controller sends goes through them, and they only pass the call on
 * to px_conn. */
static inline uint8_t *
of_conn_reserve(struct of_conn *c, size_t *room)
{
    if (c->closing) {
        *room = 0;
        return NULL;
    }
    return px_conn_reserve(c->conn, room);
}

static inline void
of_conn_commit(struct of_conn *c, size_t len)
{
    px_conn_commit(c->conn, len);
    if (!c->dirty) {
        c->dirty = 1;
        openflow_mark_dirty(c->of, c);
    }
}
/* Runs an encoder CALL that writes into buf_ (room_ bytes) at the end of
 * C's output buffer, and commits what it wrote; counts a drop when it does
 * not fit (the controller's own messages can fail for no other reason).
 * No copy, no allocation.  Its value (a GNU statement
 * expression) is nonzero when the message was queued, for callers that
 * count what they sent; others use it as a statement. */
#define OF_CONN_QUEUE_ENCODED(C, CALL)                                        \
    ({                                                                        \
        size_t room_, n_;                                                     \
        uint8_t *buf_ = of_conn_reserve((C), &room_);                         \
                                                                              \
        n_ = buf_ ? (CALL) : 0;                                               \
        if (n_) {                                                             \
            of_conn_commit((C), n_);                                          \
        } else {                                                              \
            of_conn_dropped(C);                                               \
        }                                                                     \
        n_ != 0;                                                              \
    })

/* Writes what is queued; called once per loop pass for dirty
 * connections. */
void of_conn_flush(struct of_conn *c);

/* Fills 'sw' as switch_up and switch_down describe 'c' (switch_down with
 * 'reason', NULL otherwise); its pointers are into 'c'. */
void of_conn_describe(const struct of_conn *c, struct px_of_switch *sw,
                      const char *reason);

/* Called every probe interval: sends an echo request to an idle switch and
 * closes one that missed too many. */
void of_conn_tick(struct of_conn *c);

/* Frees a connection that was closed or saved (the socket is not
 * touched).  Accepts NULL. */
void of_conn_free(struct of_conn *c);

/* Handoff: saves the connection (state and buffered bytes) and its fd
 * under names built from 'c->id'; restores one.  After a save the caller
 * frees the connection with of_conn_free.  A restored connection whose
 * switch is up finds its record in of->stats by datapath id (creating one
 * if the previous generation left none), so the records must be restored
 * first. */
int of_conn_save(struct of_conn *c);
int of_conn_restore(struct openflow *of, unsigned int id,
                    struct of_conn **out);
/* Reads the OpenFlow part of a connection saved in blob 'version' into 'c'
 * (its 'ports' array, if not NULL, must hold OF_MAX_PORTS; 'c' may be NULL
 * to skip it), leaving 'in' at the socket's state.  EPROTO if truncated or
 * corrupt. */
int of_conn_parse_state(struct px_cursor *in, uint32_t version,
                        struct of_conn *c);

#endif /* OF_CONN_H */
