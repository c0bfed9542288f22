/*
 * The vns_server plugin's shared state: configuration, the listener, the
 * router connections, the interface map and the counters, and the
 * functions by which its modules reach each other.  Every module of the
 * plugin sees it; nothing outside the plugin does (but its unit test).
 *
 * The modules, each with its own prefix:
 *
 *     vns_server.c   the plugin: descriptor, configuration, init and fini,
 *                    reload (what is handed to the next generation)
 *     vs_router.c    vs_router_*: one router connection (a px_conn, TCP or
 *                    TLS): the handshake (AuthRequest, AuthReply,
 *                    AuthStatus, Open), HWInfo, output flushed once per
 *                    loop pass, the close and its reason; the listener's
 *                    accept
 *     vs_handoff.c   vs_handoff_*: the explicit, versioned serialization
 *                    of what a reload hands over
 *     vs_iface.c     vs_iface_*: the interface map (switch ports to router
 *                    interface names, from the IP configuration file) and
 *                    the switch's comings and goings
 *     vs_packet.c    vs_packet_*: the packet path, packet-in to VNS Packet
 *                    and VNS Packet to packet-out
 *     vs_commands.c  the "routers" command of the control socket
 *     vs_stats.c     the answers to stats.collect
 */
#ifndef VS_PLUGIN_H
#define VS_PLUGIN_H 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "plexus/buf.h"
#include "plexus/conn.h"
#include "plexus/hmap.h"
#include "plexus/plugin.h"
#include "plexus/topics/cluster.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/vns.h"
#include "plexus/vns_codec.h"

/* Bytes of input buffered per router: room for several whole messages, so
 * that a partial one never holds back a whole one. */
#define ROUTER_IN_CAP (4 * VNS_MAX_MESSAGE)

/* Seconds a router has to finish its TLS handshake. */
#define VS_TLS_HANDSHAKE_TIMEOUT 10.0

/* Most routers handed over in a reload: max_routers' bound. */
#define VS_MAX_ROUTERS 1024

/* Why a frame (or, rarely, a control message) for or from a router was
 * dropped.  From the router, the last word is openflow's: the outcome of
 * the packet-out says whether the frame was queued for the switch. */
enum router_drop {
    DROP_OUTPUT_FULL,       /* To the router: its output buffer is full. */
    DROP_UNKNOWN_INTERFACE, /* From the router: no interface by that name. */
    DROP_NO_SWITCH,         /* From the router: no switch is up (or
                             * openflow knows of none). */
    DROP_UNENCODABLE,       /* To the router: does not fit a VNS Packet. */
    DROP_SWITCH_FULL,       /* From the router: the switch's output buffer
                             * is full. */
    DROP_REFUSED,           /* From the router: openflow cannot send it
                             * (malformed, too long, not expressible). */
    N_ROUTER_DROPS
};

/* The label of each drop reason in stats and commands. */
extern const char *const vs_drop_names[N_ROUTER_DROPS];

enum router_state {
    R_AUTH,  /* AuthRequest sent. */
    R_OPEN,  /* AuthStatus sent, waiting for Open. */
    R_READY, /* Open received: HWInfo sent once the switch is up. */
};

struct router {
    struct vns_server *vs;
    struct router *next;       /* In vs->routers, or vs->graveyard. */
    struct px_conn *conn;      /* Never NULL; closed once dropped. */
    struct px_io *io;          /* NULL once dropped. */
    struct px_timer *hs_timer; /* The TLS handshake's deadline, or NULL. */
    int dropped_already;       /* Counted, logged, off vs->routers. */
    int dirty;                 /* On vs->dirty: output to flush. */
    struct router *dirty_next;
    unsigned int id;
    enum router_state state;
    int hwinfo_sent;
    uint8_t salt[VNS_SALT_LEN];
    char user[VNS_NAME_LEN + 1];
    char vhost[VNS_NAME_LEN + 1];
    /* Counters. */
    double connected_since; /* px_now() at accept: epoch seconds. */
    uint64_t frames_in;     /* From the router. */
    uint64_t frames_out;    /* To the router. */
    uint64_t dropped[N_ROUTER_DROPS];
};

/* One router interface: a switch port with an address.  The indexes live
 * beside the table (struct iface_index), so that the table is plain data. */
struct iface {
    struct vns_iface vi;
    uint32_t port_no;
};

/* The nodes of vs->ifaces[i] in the interface indexes, at the same 'i'. */
struct iface_index {
    struct px_hmap_node by_name;
    struct px_hmap_node by_port;
};

struct vns_server {
    struct px_plugin *p;
    int listen_fd;
    struct px_io *listen_io;
    struct router *routers;
    struct router *graveyard; /* Closed during a pass; freed after it. */
    struct router *dirty;     /* Output queued this pass, to flush. */
    int after_pass_scheduled; /* The end-of-pass flush is deferred. */
    unsigned int next_id;
    long long out_buffer;
    long long max_routers;
    /* How routers connect: the transport, and for TLS the context (its
     * key, certificate and the CA that routers' certificates must chain
     * to; a reference of ours).  'options' is what px_conn_create and
     * px_conn_restore are given. */
    enum px_transport transport;
    struct px_tls *tls;
    struct px_conn_options options;
    int auth;
    int exposed; /* Listening beyond loopback without authentication. */
    char address[64];
    char key[256];
    size_t key_len;
    char banner[VNS_BANNER_LEN + 1];

    /* The switch we serve and its interface table. */
    uint64_t dpid; /* Configured, or 0 for the first switch up. */
    int switch_up;
    uint64_t up_dpid;
    struct iface ifaces[VNS_MAX_IFACES];
    size_t n_ifaces;
    /* The interfaces by name and by port number, for the frames that cross
     * the plugin each way: vs_iface_by_name for a router's,
     * vs_iface_by_port for a switch's.  Nodes are in 'index'; rebuilt by
     * vs_iface_index whenever 'ifaces' changes.  With two or three
     * interfaces a scan was about as quick (a few nanoseconds either way),
     * but at VNS_MAX_IFACES it took four to five times as long as a lookup
     * here. */
    struct iface_index index[VNS_MAX_IFACES];
    struct px_hmap ifaces_by_name;
    struct px_hmap ifaces_by_port;
    /* From the IP configuration file: port name -> address. */
    struct {
        char port[16];
        uint32_t ip;
        uint32_t mask;
    } addrs[VNS_MAX_IFACES];
    size_t n_addrs;

    struct px_topic *t_packet_out;
    struct px_topic *t_router_up;
    struct px_topic *t_router_down;
    struct px_topic *t_frame; /* vns.frame, for the console's journeys. */
    /* cluster.prefer: in a cluster, the switch a router here is on must
     * be mastered here, where its frames come and go.  What was last
     * told, so that only changes are. */
    struct px_topic *t_prefer;
    int preferring;
    uint64_t preferred_dpid;
    struct px_topic *t_stats_report;
    struct px_ratelimit rl;

    /* Counters for the life of the process (handed off across reloads). */
    uint64_t unmapped_packet_ins;
    uint64_t routers_accepted;
    /* Why router connections ended, by enum px_conn_reason, whose names
     * (px_conn_reason_name) label them as they do switches'.  Every
     * accepted connection ends with exactly one, so accepted minus these
     * is what is connected. */
    uint64_t disconnects[PX_CONN_N_REASONS];
};

/* vs_router.c: router connections. */

/* Encodes a message straight into the router's output buffer with
 * ENCODER, a vns_encode_* function, given the room left there, the
 * arguments after the buffer and its size, and where the length goes; the
 * message goes out with the others of this loop pass.  Returns 0, or the
 * encoder's error with a drop counted: ENOBUFS (no room) as output_full,
 * EMSGSIZE or EINVAL (no VNS message can carry it) as unencodable; EPIPE
 * once the connection is closed. */
#define ROUTER_SEND(R, ENCODER, ...)                                          \
    ({                                                                        \
        struct router *r_ = (R);                                              \
        size_t room_ = 0, n_ = 0;                                             \
        uint8_t *buf_ = px_conn_reserve(r_->conn, &room_);                    \
        int rc_ = buf_ ? ENCODER(buf_, room_, __VA_ARGS__, &n_) : EPIPE;      \
                                                                              \
        if (!rc_) {                                                           \
            px_conn_commit(r_->conn, n_);                                     \
            vs_router_mark_dirty(r_);                                         \
        } else if (rc_ == ENOBUFS) {                                          \
            px_conn_count_drop(r_->conn);                                     \
            r_->dropped[DROP_OUTPUT_FULL]++;                                  \
        } else if (rc_ != EPIPE) {                                            \
            r_->dropped[DROP_UNENCODABLE]++;                                  \
        }                                                                     \
        rc_;                                                                  \
    })

/* Creates a router around 'conn' (the router's from then on, destroyed
 * also on failure), watches its socket and puts it on vs->routers.  A new
 * router gets a fresh id and salt; a restored one gets them from the
 * handoff after this. */
int vs_router_add(struct vns_server *vs, struct px_conn *conn,
                  struct router **out);
/* Closes the connection with 'reason' and 'detail' (the words for the
 * log), after one last attempt to write what is queued (an AuthStatus that
 * refuses a router should reach it), and drops the router (below). */
void vs_router_close(struct router *r, enum px_conn_reason reason,
                     const char *detail);
/* Frees a router taken off every list: stops its watcher and timer and
 * destroys its connection.  'r' may be NULL. */
void vs_router_free(struct router *r);
/* Frees the graveyard now. */
void vs_router_reap_all(struct vns_server *vs);
/* Puts 'r' on the list of routers whose output goes out at the end of this
 * loop pass. */
void vs_router_mark_dirty(struct router *r);
/* Sends HWInfo to 'r' if it is open, has not had it and a switch is up. */
void vs_router_send_hwinfo(struct router *r);
/* The listener's callback: accepts every router that waits. */
void vs_router_on_accept(struct px_plugin *p, struct px_io *io, int fd,
                         int revents, void *arg);
/* Orders routers by id, which is the order they connected in. */
int vs_router_id_cmp(const void *a, const void *b);

/* vs_handoff.c: what a reload hands to the next generation.
 *
 * The plugin's state and every router's, written explicitly (px_buf) in
 * one versioned blob; each router's connection (buffers, counters, TLS
 * session handle) is px_conn_save's own serialization, carried inside it
 * as a byte run, and its socket goes separately (px_handoff_put_fd,
 * "router.<id>").  Nothing is copied as a struct, so that a field added to
 * any header changes nothing here unless this file changes too. */

/* What the blob says of one router. */
struct vs_saved_router {
    uint32_t id;
    enum router_state state;
    int hwinfo_sent;
    uint8_t salt[VNS_SALT_LEN];
    char user[VNS_NAME_LEN + 1];
    char vhost[VNS_NAME_LEN + 1];
    double connected_since;
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t dropped[N_ROUTER_DROPS];
    const uint8_t *conn; /* px_conn_save's bytes: in the caller's buffer
                          * when writing, in the blob when read. */
    size_t conn_len;
};

/* What the blob says of the plugin. */
struct vs_saved {
    uint32_t next_id;
    int switch_up;
    uint64_t up_dpid;
    uint64_t unmapped_packet_ins;
    uint64_t routers_accepted;
    /* Why router connections ended, by enum px_conn_reason, whose names
     * (px_conn_reason_name) label them as they do switches'.  Every
     * accepted connection ends with exactly one, so accepted minus these
     * is what is connected. */
    uint64_t disconnects[PX_CONN_N_REASONS];
    struct iface ifaces[VNS_MAX_IFACES];
    size_t n_ifaces;
    struct vs_saved_router *routers; /* vs_handoff_read's: malloc'd. */
    size_t n_routers;
};

#define VS_HANDOFF_BLOB    "vns"
#define VS_HANDOFF_VERSION 3 /* 1 and 2 were copies of structs. */

/* Appends 's' to 'out'; returns px_buf_error(out). */
int vs_handoff_write(const struct vs_saved *s, struct px_buf *out);
/* Reads a blob written by vs_handoff_write into 's' (the caller frees
 * s->routers with vs_saved_clear; the routers' 'conn' point into 'data').
 * EPROTO, with 's' cleared, for anything truncated, left over or
 * inconsistent: a wrong magic or version, a count beyond its bound, a
 * string too long for its field, a flag that is not 0 or 1, a router state
 * or time that cannot be, an id used twice or not below next_id. */
int vs_handoff_read(const void *data, size_t len, struct vs_saved *s);
/* Frees what vs_handoff_read allocated; 's' may be NULL. */
void vs_saved_clear(struct vs_saved *s);

/* vs_iface.c: the interface map and the switch. */

/* Reads the IP configuration file (key "ip_config") into vs->addrs. */
int vs_iface_read_config(struct px_plugin *p, struct vns_server *vs);
/* Rebuilds the indexes from vs->ifaces.  Where two interfaces share a name
 * or a port, only the first is indexed, so that a lookup finds the one
 * that a scan in table order would. */
void vs_iface_index(struct vns_server *vs);
const struct iface *vs_iface_by_port(const struct vns_server *vs,
                                     uint32_t port_no);
const struct iface *vs_iface_by_name(const struct vns_server *vs,
                                     const char *name);
/* Subscribers of openflow.switch_up and openflow.switch_down. */
int vs_iface_on_switch_up(struct px_plugin *p, const struct px_event *ev,
                          void *arg);
int vs_iface_on_switch_down(struct px_plugin *p, const struct px_event *ev,
                            void *arg);

/* vs_packet.c: frames both ways. */

/* Subscriber of openflow.packet_in: the frame to every open router. */
int vs_packet_on_packet_in(struct px_plugin *p, const struct px_event *ev,
                           void *arg);
/* Publishes vns.frame: 'frame' went to (or came from) router 'router' on
 * interface 'f'. */
void vs_packet_publish_frame(struct vns_server *vs, uint32_t router,
                             int to_router, const struct iface *f,
                             const uint8_t *frame, size_t frame_len);
/* A VNS Packet 'msg' from the open router 'r': out of its interface's
 * port.  Returns 0, or EPROTO with '*why' for a malformed message. */
int vs_packet_from_router(struct router *r, const uint8_t *msg, size_t len,
                          const char **why);

/* vs_commands.c: the control socket. */

/* Registers "routers".  A name another instance has is skipped (the host
 * logs why); routers are served all the same. */
void vs_commands_register(struct vns_server *vs);

/* vs_stats.c: the answers to stats.collect. */

int vs_stats_on_collect(struct px_plugin *p, const struct px_event *ev,
                        void *arg);

/* Tells the cluster (cluster.prefer) whether this instance should master
 * the switch: while it is up and a router is open here.  'again' tells it
 * even if it was told already (the cluster plugin just started). */
void vs_prefer_update(struct vns_server *vs, int again);

#endif /* VS_PLUGIN_H */
