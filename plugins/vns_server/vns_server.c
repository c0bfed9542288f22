/*
 * vns_server: bridges a switch's traffic to software routers over the VNS
 * protocol of the Stanford "simple router" lab.
 *
 * A router connects (port 8888 by default) and is greeted with an
 * AuthRequest; it answers, gets an AuthStatus, sends Open and receives
 * HWInfo: one interface per switch port named in the IP configuration file
 * ("sw0-eth1 192.168.2.1": port sw0-eth1 becomes interface eth1 with the
 * port's MAC and that address).  From then on every packet-in from a mapped
 * port goes to every router as a VNS Packet, and every Packet a router sends
 * on a known interface goes out of that port as a packet-out.  HWInfo goes
 * out as soon as both the router has opened and the switch is up, whichever
 * comes first.
 *
 * A router that closes, crashes or sends garbage is dropped with the reason
 * logged; output to a slow router is bounded and drops are counted.  Router
 * connections and the counters survive a reload of this plugin through the
 * handoff.  The counters answer stats.collect: one "router" report per
 * connection and one "vns_server" report for the plugin.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "plexus/hash.h"
#include "plexus/hmap.h"
#include "plexus/net.h"
#include "plexus/plugin.h"
#include "plexus/table.h"
#include "plexus/topics/host.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"
#include "plexus/topics/vns.h"
#include "plexus/vns_codec.h"

#define VNS_SERVER_VERSION "1.0.0"
#define ROUTER_IN_CAP      (4 * VNS_MAX_MESSAGE)

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

static const char *const drop_names[N_ROUTER_DROPS] = {
    [DROP_OUTPUT_FULL] = "output_full",
    [DROP_UNKNOWN_INTERFACE] = "unknown_interface",
    [DROP_NO_SWITCH] = "no_switch",
    [DROP_UNENCODABLE] = "unencodable",
    [DROP_SWITCH_FULL] = "switch_output_full",
    [DROP_REFUSED] = "refused",
};

/* Why a router connection ended, coarser than the reason that is logged so
 * that the stats have a small fixed set.  Every accepted connection ends in
 * exactly one of these, so accepted minus disconnects is what is connected.
 * The order is the handoff's: append only, and bump VNS_BLOB_VERSION when
 * appending. */
enum router_disconnect {
    DISC_PEER_CLOSED,    /* EOF, a VNS Close, a reset or a broken pipe. */
    DISC_PROTOCOL_ERROR, /* Malformed or out-of-order messages. */
    DISC_AUTH_FAILED,    /* A wrong key. */
    DISC_OVER_MAX,       /* Closed at once: max_routers were connected. */
    DISC_OTHER,          /* Other errors; lost across a reload. */
    N_DISCONNECTS
};

static const char *const disconnect_names[N_DISCONNECTS] = {
    [DISC_PEER_CLOSED] = "peer_closed",
    [DISC_PROTOCOL_ERROR] = "protocol_error",
    [DISC_AUTH_FAILED] = "auth_failed",
    [DISC_OVER_MAX] = "over_max_routers",
    [DISC_OTHER] = "other",
};

enum router_state {
    R_AUTH,  /* AuthRequest sent. */
    R_OPEN,  /* AuthStatus sent, waiting for Open. */
    R_READY, /* Open received: HWInfo sent once the switch is up. */
};

struct router {
    struct vns_server *vs;
    struct router *next;
    int fd;
    struct px_io *io;
    unsigned int id;
    char peer[64];
    enum router_state state;
    int hwinfo_sent;
    uint8_t salt[VNS_SALT_LEN];
    char user[VNS_NAME_LEN + 1];
    char vhost[VNS_NAME_LEN + 1];
    uint8_t in[ROUTER_IN_CAP];
    size_t in_len;
    uint8_t *out;
    size_t out_len;
    int want_write;
    /* Counters. */
    double connected_since; /* px_now() at accept: epoch seconds. */
    uint64_t frames_in;     /* From the router. */
    uint64_t frames_out;    /* To the router. */
    uint64_t dropped[N_ROUTER_DROPS];
};

/* One router interface: a switch port with an address.  Its layout is
 * part of the "vns" handoff blob, so the indexes live beside it (struct
 * iface_index). */
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
    int reap_scheduled;
    unsigned int next_id;
    long long out_buffer;
    long long max_routers;
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
     * the plugin each way: iface_by_name for a router's, iface_by_port for
     * a switch's.  Nodes are in 'index'; rebuilt by index_ifaces whenever
     * 'ifaces' changes.  With two or three interfaces a scan was about as
     * quick (a few nanoseconds either way), but at VNS_MAX_IFACES it took
     * four to five times as long as a lookup here. */
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
    struct px_topic *t_stats_report;
    struct px_ratelimit rl;

    /* Counters for the life of the process (handed off across reloads). */
    uint64_t unmapped_packet_ins;
    uint64_t routers_accepted;
    uint64_t disconnects[N_DISCONNECTS];
};

static const struct px_config_key vns_keys[] = {
    {.key = "address",
     .type = PX_CONFIG_IPV4,
     .default_value = "127.0.0.1",
     .help = "IPv4 address to listen on for routers (loopback: the lab's "
             "router runs beside the controller)"},
    {.key = "port",
     .type = PX_CONFIG_PORT,
     .default_value = "8888",
     .min = 1,
     .max = 65535,
     .help = "VNS port"},
    {.key = "ip_config",
     .type = PX_CONFIG_STRING,
     .default_value = "ip_config",
     .help = "file of 'NAME ADDRESS [MASK]' lines; switch port names become "
             "router interfaces"},
    {.key = "dpid",
     .type = PX_CONFIG_STRING,
     .default_value = "0",
     .help = "datapath id to serve (hex), 0 for the first switch up"},
    {.key = "auth",
     .type = PX_CONFIG_BOOL,
     .default_value = "false",
     .help = "check AuthReply against the key file (off: accept any)"},
    {.key = "auth_key",
     .type = PX_CONFIG_STRING,
     .default_value = "auth_key",
     .help = "file holding the key, with auth = true"},
    {.key = "banner",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "text sent to a router after it opens (empty: none)"},
    {.key = "out_buffer",
     .type = PX_CONFIG_INT,
     .default_value = "1048576",
     .min = 65536,
     .max = 268435456,
     .help = "bytes queued per router before frames are dropped"},
    {.key = "max_routers",
     .type = PX_CONFIG_INT,
     .default_value = "16",
     .min = 1,
     .max = 1024,
     .help = "routers connected at once"},
    {.key = NULL},
};

/* ---------------------------------------------------------------------- */
/* Output.                                                                */

static void router_close(struct router *r, enum router_disconnect kind,
                         const char *reason);

/* A router that went away (crashed or closed) shows up as a reset or a
 * broken pipe as often as an EOF; anything else is counted as "other". */
static enum router_disconnect
disconnect_of_errno(int error)
{
    return error == ECONNRESET || error == EPIPE ? DISC_PEER_CLOSED
                                                 : DISC_OTHER;
}

static void
router_flush(struct router *r)
{
    int error = px_net_send_some(r->fd, r->out, &r->out_len);

    if (error) {
        router_close(r, disconnect_of_errno(error), strerror(error));
        return;
    }
    if (!!r->out_len != r->want_write) {
        r->want_write = !!r->out_len;
        px_io_modify(r->vs->p, r->io,
                     PX_IO_READ | (r->want_write ? PX_IO_WRITE : 0));
    }
}

/* Runs an encoder into the router's output buffer and writes it.  Returns
 * ENOBUFS (and counts a drop) when it does not fit.  An encoder that fails
 * with room for the largest message to spare failed for another reason: a
 * frame too short or too long for a VNS Packet. */
#define ROUTER_SEND(R, CALL)                                                  \
    ({                                                                        \
        uint8_t *buf_ = (R)->out + (R)->out_len;                              \
        size_t room_ = (size_t)(R)->vs->out_buffer - (R)->out_len;            \
        size_t n_ = (CALL);                                                   \
        int rc_ = 0;                                                          \
                                                                              \
        if (n_) {                                                             \
            (R)->out_len += n_;                                               \
            router_flush(R);                                                  \
        } else {                                                              \
            (R)->dropped[room_ >= VNS_MAX_MESSAGE ? DROP_UNENCODABLE          \
                                                  : DROP_OUTPUT_FULL]++;      \
            rc_ = ENOBUFS;                                                    \
        }                                                                     \
        rc_;                                                                  \
    })

/* ---------------------------------------------------------------------- */
/* The interface table.                                                   */

/* "sw0-eth1" -> "eth1": the lab names router interfaces after the part of
 * the switch port's name behind its last '-'. */
static const char *
iface_name(const char *port)
{
    const char *dash = strrchr(port, '-');

    return dash ? dash + 1 : port;
}

static void
build_ifaces(struct vns_server *vs, const struct px_of_switch *sw)
{
    size_t i, j;

    vs->n_ifaces = 0;
    for (i = 0; i < sw->n_ports && vs->n_ifaces < VNS_MAX_IFACES; i++) {
        const struct px_of_port *port = &sw->ports[i];

        for (j = 0; j < vs->n_addrs; j++) {
            if (!strncmp(vs->addrs[j].port, port->name, sizeof port->name)) {
                struct iface *f = &vs->ifaces[vs->n_ifaces++];

                memset(f, 0, sizeof *f);
                snprintf(f->vi.name, sizeof f->vi.name, "%s",
                         iface_name(port->name));
                memcpy(f->vi.mac, port->hw_addr, 6);
                f->vi.ip = vs->addrs[j].ip;
                f->vi.mask = vs->addrs[j].mask;
                f->port_no = port->port_no;
                break;
            }
        }
    }
}

/* Names are compared within an interface's name field, whose end a blob
 * of a previous generation might not have terminated. */
#define IFACE_NAME_SIZE (VNS_IFACE_LEN + 1)
_Static_assert(sizeof(((struct vns_iface *)0)->name) == IFACE_NAME_SIZE,
               "an interface's name field is not VNS_IFACE_LEN + 1 bytes");

static uint64_t
iface_name_hash(const char *name)
{
    return px_hash_bytes(name, strnlen(name, IFACE_NAME_SIZE), 0);
}

static const struct iface *
iface_by_port(const struct vns_server *vs, uint32_t port_no)
{
    const struct iface_index *x;

    PX_HMAP_FOR_EACH_WITH_HASH (x, by_port, px_hash_u64(port_no),
                                &vs->ifaces_by_port) {
        const struct iface *f = &vs->ifaces[x - vs->index];

        if (f->port_no == port_no) {
            return f;
        }
    }
    return NULL;
}

static const struct iface *
iface_by_name(const struct vns_server *vs, const char *name)
{
    const struct iface_index *x;

    PX_HMAP_FOR_EACH_WITH_HASH (x, by_name, iface_name_hash(name),
                                &vs->ifaces_by_name) {
        const struct iface *f = &vs->ifaces[x - vs->index];

        if (!strncmp(f->vi.name, name, IFACE_NAME_SIZE)) {
            return f;
        }
    }
    return NULL;
}

/* Rebuilds the indexes from vs->ifaces.  Where two interfaces share a name
 * or a port, only the first is indexed, so that a lookup finds the one
 * that a scan in table order would. */
static void
index_ifaces(struct vns_server *vs)
{
    size_t i;

    px_hmap_clear(&vs->ifaces_by_name);
    px_hmap_clear(&vs->ifaces_by_port);
    for (i = 0; i < vs->n_ifaces; i++) {
        const struct iface *f = &vs->ifaces[i];

        if (!iface_by_name(vs, f->vi.name)) {
            px_hmap_insert(&vs->ifaces_by_name, &vs->index[i].by_name,
                           iface_name_hash(f->vi.name));
        }
        if (!iface_by_port(vs, f->port_no)) {
            px_hmap_insert(&vs->ifaces_by_port, &vs->index[i].by_port,
                           px_hash_u64(f->port_no));
        }
    }
}

static void
send_hwinfo(struct router *r)
{
    struct vns_server *vs = r->vs;
    struct vns_iface vis[VNS_MAX_IFACES];
    size_t i;

    if (r->state != R_READY || r->hwinfo_sent || !vs->switch_up) {
        return;
    }
    for (i = 0; i < vs->n_ifaces; i++) {
        vis[i] = vs->ifaces[i].vi;
    }
    if (!ROUTER_SEND(r, vns_encode_hwinfo(buf_, room_, vis, vs->n_ifaces))) {
        r->hwinfo_sent = 1;
        px_info(vs->p, "router %s (%s): HWInfo sent, %zu interfaces", r->peer,
                r->vhost, vs->n_ifaces);
    }
}

/* ---------------------------------------------------------------------- */
/* Router connections.                                                    */

static void
publish_router(struct vns_server *vs, struct router *r, int up,
               const char *reason)
{
    struct px_vns_router ev = {
        .id = r->id,
        .peer = r->peer,
        .vhost = r->vhost,
        .user = r->user,
        .n_ifaces = vs->n_ifaces,
        .reason = reason,
    };

    px_publish(vs->p, up ? vs->t_router_up : vs->t_router_down, &ev,
               sizeof ev);
}

static void
router_free(struct router *r)
{
    if (r) {
        free(r->out);
        free(r);
    }
}

static void
reap(struct px_plugin *p, void *arg)
{
    struct vns_server *vs = px_get_data(p);

    (void)arg;
    vs->reap_scheduled = 0;
    while (vs->graveyard) {
        struct router *r = vs->graveyard;

        vs->graveyard = r->next;
        router_free(r);
    }
}

static void
router_close(struct router *r, enum router_disconnect kind, const char *reason)
{
    struct vns_server *vs = r->vs;
    struct router **pp;

    if (r->fd < 0) {
        return;
    }
    px_info(vs->p, "router %s dropped: %s", r->peer, reason);
    vs->disconnects[kind]++;
    if (r->state == R_READY) {
        publish_router(vs, r, 0, reason);
    }
    px_io_stop(vs->p, r->io);
    close(r->fd);
    r->fd = -1;
    for (pp = &vs->routers; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    }
    /* The read loop up the stack may still hold 'r': free it once that
     * returns (or with the plugin, if it is unloaded first). */
    r->next = vs->graveyard;
    vs->graveyard = r;
    if (!vs->reap_scheduled && !px_defer(vs->p, reap, NULL)) {
        vs->reap_scheduled = 1;
    }
}

static int
handle(struct router *r, const struct vns_header *h, const uint8_t *msg,
       const char **why)
{
    struct vns_server *vs = r->vs;
    int error;

    switch (h->type) {
    case VNS_AUTH_REPLY: {
        uint8_t sha[VNS_SHA1_LEN], want[VNS_SHA1_LEN];
        int ok = 1;

        if (r->state != R_AUTH) {
            *why = "AuthReply out of order";
            return EPROTO;
        }
        error = vns_decode_auth_reply(msg, h->length, r->user, sizeof r->user,
                                      sha, why);
        if (error) {
            return error;
        }
        if (vs->auth) {
            /* Without the expected digest nothing can be checked: the
             * router is dropped, not let in. */
            error =
                vns_auth_digest(r->salt, sizeof r->salt,
                                (const uint8_t *)vs->key, vs->key_len, want);
            if (error) {
                *why = "cannot compute the expected SHA-1";
                return error;
            }
            ok = !memcmp(sha, want, sizeof want);
        }
        ROUTER_SEND(r, vns_encode_auth_status(buf_, room_, ok,
                                              ok ? "authenticated"
                                                 : "authentication failed"));
        if (!ok) {
            *why = "authentication failed";
            return EACCES;
        }
        r->state = R_OPEN;
        return 0;
    }
    case VNS_OPEN: {
        struct vns_open o;

        if (r->state != R_OPEN) {
            *why = "Open before authentication";
            return EPROTO;
        }
        error = vns_decode_open(msg, h->length, &o, why);
        if (error) {
            return error;
        }
        memcpy(r->vhost, o.vhost, sizeof r->vhost);
        if (!r->user[0]) {
            memcpy(r->user, o.user, sizeof r->user);
        }
        r->state = R_READY;
        px_info(vs->p, "router %s opened vhost '%s' as '%s'", r->peer,
                r->vhost, r->user);
        publish_router(vs, r, 1, NULL);
        if (vs->banner[0]) {
            ROUTER_SEND(r, vns_encode_banner(buf_, room_, vs->banner));
        }
        send_hwinfo(r);
        return 0;
    }
    case VNS_PACKET: {
        char name[VNS_IFACE_LEN + 1];
        const struct iface *f;
        const uint8_t *frame;
        size_t len;

        if (r->state != R_READY) {
            *why = "Packet before Open";
            return EPROTO;
        }
        error = vns_decode_packet(msg, h->length, name, &frame, &len, why);
        if (error) {
            return error;
        }
        f = iface_by_name(vs, name);
        r->frames_in++;
        if (!vs->switch_up) {
            r->dropped[DROP_NO_SWITCH]++;
            px_log_rl(vs->p, &vs->rl, PX_LOG_WARN,
                      "router %s sent a frame on '%s' while no switch is up: "
                      "dropped (%llu so far)",
                      r->peer, name,
                      (unsigned long long)r->dropped[DROP_NO_SWITCH]);
            return 0;
        }
        if (!f) {
            r->dropped[DROP_UNKNOWN_INTERFACE]++;
            px_log_rl(vs->p, &vs->rl, PX_LOG_WARN,
                      "router %s sent a frame on unknown interface '%s': "
                      "dropped (%llu so far)",
                      r->peer, name,
                      (unsigned long long)r->dropped[DROP_UNKNOWN_INTERFACE]);
            return 0;
        }
        {
            struct px_of_action out = {.type = PX_OF_ACTION_OUTPUT,
                                       .port = f->port_no};
            struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
            struct px_of_packet_out po = {
                .dpid = vs->up_dpid,
                .buffer_id = PX_OF_NO_BUFFER,
                .in_port = PX_OF_PORT_CONTROLLER,
                .n_actions = 1,
                .actions = &out,
                .frame = frame,
                .frame_len = len,
                .outcome = &outcome,
            };

            px_publish(vs->p, vs->t_packet_out, &po, sizeof po);
            if (outcome.code) {
                enum router_drop why =
                    outcome.code == ENOBUFS ? DROP_SWITCH_FULL
                    : outcome.code == ENODEV ||
                            outcome.code == PX_OF_OUTCOME_UNHANDLED
                        ? DROP_NO_SWITCH
                        : DROP_REFUSED;

                r->dropped[why]++;
                px_log_rl(vs->p, &vs->rl, PX_LOG_WARN,
                          "router %s: frame on '%s' not sent to switch "
                          "%016llx: %s (%llu %s drops so far)",
                          r->peer, name, (unsigned long long)vs->up_dpid,
                          outcome.cause, (unsigned long long)r->dropped[why],
                          drop_names[why]);
            }
        }
        return 0;
    }
    case VNS_CLOSE: {
        char reason[VNS_CLOSE_LEN + 1];

        if (!vns_decode_close(msg, h->length, reason, sizeof reason, why)) {
            *why = "router closed the session";
        }
        return ECONNRESET;
    }
    default:
        *why = "unexpected message type";
        return EPROTO;
    }
}

static void
router_read(struct router *r)
{
    size_t off = 0;

    for (;;) {
        ssize_t n =
            recv(r->fd, r->in + r->in_len, sizeof r->in - r->in_len, 0);

        if (n > 0) {
            r->in_len += (size_t)n;
            break;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n == 0) {
            router_close(r, DISC_PEER_CLOSED, "peer closed");
        } else {
            int error = errno;

            router_close(r, disconnect_of_errno(error), strerror(error));
        }
        return;
    }
    while (r->fd >= 0) {
        struct vns_header h;
        const char *why = NULL;
        int error = vns_frame(r->in + off, r->in_len - off, &h, &why);

        if (error == EAGAIN) {
            break;
        }
        if (!error) {
            error = handle(r, &h, r->in + off, &why);
        }
        if (error) {
            enum router_disconnect kind =
                (error == EPROTO       ? DISC_PROTOCOL_ERROR
                 : error == EACCES     ? DISC_AUTH_FAILED
                 : error == ECONNRESET ? DISC_PEER_CLOSED
                                       : DISC_OTHER);
            char reason[160];

            snprintf(reason, sizeof reason, "%s%s",
                     error == EPROTO ? "malformed message: " : "",
                     why ? why : strerror(error));
            router_close(r, kind, reason);
            return;
        }
        off += h.length;
    }
    memmove(r->in, r->in + off, r->in_len - off);
    r->in_len -= off;
}

static void
router_io(struct px_plugin *p, struct px_io *io, int fd, int revents,
          void *arg)
{
    struct router *r = arg;

    (void)p;
    (void)io;
    (void)fd;
    if (revents & PX_IO_WRITE) {
        router_flush(r);
    }
    if ((revents & PX_IO_READ) && r->fd >= 0) {
        router_read(r);
    }
}

static int
router_add(struct vns_server *vs, int fd, const char *peer,
           struct router **out)
{
    struct router *r = calloc(1, sizeof *r);
    int error;

    if (!r || !(r->out = malloc((size_t)vs->out_buffer))) {
        free(r);
        return ENOMEM;
    }
    /* The salt: the lab's server sends 20 random bytes.  A predictable
     * salt would let a recorded AuthReply be replayed, so without a
     * working random source the router is refused. */
    if (RAND_bytes(r->salt, (int)sizeof r->salt) != 1) {
        ERR_clear_error();
        free(r->out);
        free(r);
        return EIO;
    }
    r->vs = vs;
    r->fd = fd;
    r->id = vs->next_id++;
    r->connected_since = px_now(vs->p);
    snprintf(r->peer, sizeof r->peer, "%s", peer);
    error = px_io_start(vs->p, fd, PX_IO_READ, router_io, r, &r->io);
    if (error) {
        router_free(r);
        return error;
    }
    r->next = vs->routers;
    vs->routers = r;
    *out = r;
    return 0;
}

static void
on_accept(struct px_plugin *p, struct px_io *io, int fd, int revents,
          void *arg)
{
    struct vns_server *vs = px_get_data(p);

    (void)io;
    (void)revents;
    (void)arg;
    for (;;) {
        char peer[64];
        struct router *r, *x;
        unsigned int n = 0;
        int s = -1, error;

        if (px_net_accept(fd, &s, peer, sizeof peer)) {
            return;
        }
        vs->routers_accepted++;
        for (x = vs->routers; x; x = x->next) {
            n++;
        }
        if (n >= (unsigned int)vs->max_routers) {
            px_log_rl(p, &vs->rl, PX_LOG_WARN,
                      "router %s refused: %u connected already", peer, n);
            vs->disconnects[DISC_OVER_MAX]++;
            close(s);
            continue;
        }
        error = router_add(vs, s, peer, &r);
        if (error) {
            px_log_rl(p, &vs->rl, PX_LOG_WARN, "router %s refused: %s", peer,
                      strerror(error));
            vs->disconnects[DISC_OTHER]++;
            close(s);
            continue;
        }
        px_info(p, "router connected from %s", peer);
        ROUTER_SEND(
            r, vns_encode_auth_request(buf_, room_, r->salt, sizeof r->salt));
    }
}

/* ---------------------------------------------------------------------- */
/* The switch.                                                            */

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct vns_server *vs = px_get_data(p);
    const struct px_of_switch *sw = ev->payload;
    struct router *r;

    (void)arg;
    if (ev->len < sizeof *sw || (vs->dpid && sw->dpid != vs->dpid) ||
        (vs->switch_up && sw->dpid != vs->up_dpid)) {
        return PX_EVENT_CONTINUE;
    }
    vs->switch_up = 1;
    vs->up_dpid = sw->dpid;
    build_ifaces(vs, sw);
    index_ifaces(vs);
    px_info(p, "serving switch %016llx: %zu router interfaces",
            (unsigned long long)sw->dpid, vs->n_ifaces);
    for (r = vs->routers; r; r = r->next) {
        r->hwinfo_sent = 0;
        send_hwinfo(r);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_down(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct vns_server *vs = px_get_data(p);
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw && vs->switch_up && sw->dpid == vs->up_dpid) {
        vs->switch_up = 0;
        px_info(p, "switch %016llx down: frames to routers stop",
                (unsigned long long)sw->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_packet_in(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct vns_server *vs = px_get_data(p);
    const struct px_of_packet_in *pi = ev->payload;
    const struct iface *f;
    struct router *r, *next;

    (void)arg;
    if (ev->len < sizeof *pi || !vs->switch_up || pi->dpid != vs->up_dpid) {
        return PX_EVENT_CONTINUE;
    }
    f = iface_by_port(vs, pi->in_port);
    if (!f) {
        vs->unmapped_packet_ins++;
        return PX_EVENT_CONTINUE;
    }
    for (r = vs->routers; r; r = next) {
        next = r->next;
        if (r->state == R_READY && r->hwinfo_sent &&
            !ROUTER_SEND(r, vns_encode_packet(buf_, room_, f->vi.name,
                                              pi->frame, pi->frame_len))) {
            r->frames_out++;
        }
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Statistics: answers to stats.collect.                                  */

static void
report_router(struct vns_server *vs, uint64_t collect_id,
              const struct router *r)
{
    struct px_stats_field fields[7 + N_ROUTER_DROPS] = {
        PX_STATS_TEXT_FIELD("peer", "VNS router connection", r->peer),
        PX_STATS_TEXT_FIELD("vhost", "VNS router connection", r->vhost),
        PX_STATS_TEXT_FIELD("user", "VNS router connection", r->user),
        PX_STATS_GAUGE_FIELD("connected_since_seconds",
                             "When the router connected (epoch seconds)",
                             r->connected_since),
        PX_STATS_GAUGE_FIELD("interfaces",
                             "Interfaces the router was given in HWInfo",
                             r->hwinfo_sent ? vs->n_ifaces : 0),
        PX_STATS_COUNTER_FIELD("frames_rx", "Frames received from the router",
                               r->frames_in),
        PX_STATS_COUNTER_FIELD("frames_tx", "Frames sent to the router",
                               r->frames_out),
    };
    struct px_stats_label key;
    size_t n = 7;
    char id[16];
    int i;

    for (i = 0; i < N_ROUTER_DROPS; i++) {
        fields[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "frames_dropped", "Frames for or from the router dropped",
            "reason", drop_names[i], r->dropped[i]);
    }
    snprintf(id, sizeof id, "%u", r->id);
    key.name = "router";
    key.value = id;
    px_stats_publish(vs->p, vs->t_stats_report, collect_id, "router", &key, 1,
                     fields, n);
}

static int
router_id_cmp(const void *a_, const void *b_)
{
    const struct router *const *a = a_, *const *b = b_;

    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct vns_server *vs = px_get_data(p);
    const struct px_stats_collect *c = ev->payload;
    struct px_stats_field fields[3 + N_DISCONNECTS];
    struct router **sorted, *r;
    size_t n_routers = 0, n = 0, i;

    (void)arg;
    if (ev->len < sizeof *c) {
        return PX_EVENT_CONTINUE;
    }
    for (r = vs->routers; r; r = r->next) {
        n_routers++;
    }

    fields[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
        "routers_connected", "VNS router connections open", n_routers);
    fields[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "routers_accepted",
        "VNS router connections accepted (also those refused at once)",
        vs->routers_accepted);
    for (i = 0; i < N_DISCONNECTS; i++) {
        fields[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "router_disconnects", "VNS router connections closed", "reason",
            disconnect_names[i], vs->disconnects[i]);
    }
    fields[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "unmapped_packet_ins",
        "Packet-ins from a switch port that is no router interface",
        vs->unmapped_packet_ins);
    px_stats_publish(p, vs->t_stats_report, c->id, "vns_server", NULL, 0,
                     fields, n);

    /* Routers by id, which is the order they connected in (the list is
     * newest first).  Without memory for the sort, list order will do. */
    sorted = n_routers ? calloc(n_routers, sizeof *sorted) : NULL;
    if (sorted) {
        i = 0;
        for (r = vs->routers; r; r = r->next) {
            sorted[i++] = r;
        }
        qsort(sorted, n_routers, sizeof *sorted, router_id_cmp);
        for (i = 0; i < n_routers; i++) {
            report_router(vs, c->id, sorted[i]);
        }
        free(sorted);
    } else {
        for (r = vs->routers; r; r = r->next) {
            report_router(vs, c->id, r);
        }
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Configuration.                                                         */

/* Reads the lab's IP configuration: "NAME ADDRESS [MASK]" per line; names
 * that are not switch ports (the hosts') are kept too and simply never
 * match a port. */
static int
read_ip_config(struct px_plugin *p, struct vns_server *vs)
{
    char path[4096], line[256];
    int lineno = 0, error;
    FILE *f;

    error = px_config_path(p, "ip_config", path, sizeof path);
    if (error) {
        return error;
    }
    f = fopen(path, "re");
    if (!f) {
        error = errno;
        px_error(p, "cannot read IP configuration %s: %s", path,
                 strerror(error));
        return error;
    }
    while (fgets(line, sizeof line, f)) {
        char name[64], ip[64], mask[64] = "255.255.255.0";
        struct in_addr a, m;
        int n;

        lineno++;
        n = sscanf(line, "%63s %63s %63s", name, ip, mask);
        if (n <= 0 || name[0] == '#') {
            continue;
        }
        if (n < 2 || inet_pton(AF_INET, ip, &a) != 1 ||
            inet_pton(AF_INET, mask, &m) != 1 || strlen(name) > 15) {
            px_error(p, "%s:%d: expected 'NAME ADDRESS [MASK]'", path, lineno);
            fclose(f);
            return EINVAL;
        }
        if (vs->n_addrs < VNS_MAX_IFACES) {
            /* Checked above: the name fits with its NUL. */
            memcpy(vs->addrs[vs->n_addrs].port, name, strlen(name) + 1);
            vs->addrs[vs->n_addrs].ip = a.s_addr;
            vs->addrs[vs->n_addrs].mask = m.s_addr;
            vs->n_addrs++;
        }
    }
    fclose(f);
    return 0;
}

static int
read_key(struct px_plugin *p, struct vns_server *vs)
{
    char path[4096];
    ssize_t n;
    int fd, error = px_config_path(p, "auth_key", path, sizeof path);

    if (error) {
        return error;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = errno;
        px_error(p, "auth = true but the key file %s cannot be read: %s", path,
                 strerror(error));
        return error;
    }
    n = read(fd, vs->key, sizeof vs->key - 1);
    close(fd);
    if (n <= 0) {
        px_error(p, "key file %s is empty", path);
        return EINVAL;
    }
    /* The lab's key files end with a newline that is not part of the
     * key. */
    while (n > 0 && (vs->key[n - 1] == '\n' || vs->key[n - 1] == '\r')) {
        n--;
    }
    vs->key_len = (size_t)n;
    return 0;
}

static int
listen_on(struct vns_server *vs, const char *address, int port)
{
    char why[160];
    int error =
        px_net_listen(address, port, 16, &vs->listen_fd, why, sizeof why);

    if (error) {
        px_error(vs->p, "%s", why);
    }
    return error;
}

/* ---------------------------------------------------------------------- */
/* Handoff across a reload: the listener, every router connection, what we
 * know of the switch (it will not announce itself again) and the counters.
 *
 * Version 2 appends to each blob of version 1, and version 3 to the
 * routers' blobs of version 2; init still takes the older versions over,
 * so a running older build can be replaced by this one without dropping
 * its routers.  (The way back, to an older build, drops them.)
 */

#define VNS_BLOB_VERSION    2 /* Of "vns". */
#define ROUTER_BLOB_VERSION 3 /* Of "router.<id>". */

/* Version 1 of "router.<id>", followed by the input and output bytes. */
struct router_blob_v1 {
    uint32_t id;
    uint32_t state;
    uint32_t hwinfo_sent;
    uint8_t salt[VNS_SALT_LEN];
    char user[VNS_NAME_LEN + 1];
    char vhost[VNS_NAME_LEN + 1];
    char peer[64];
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t drops;         /* DROP_OUTPUT_FULL. */
    uint64_t unknown_iface; /* DROP_UNKNOWN_INTERFACE (and, in version 1,
                             * DROP_NO_SWITCH). */
    uint64_t in_len;
    uint64_t out_len;
};

/* Version 3 of "router.<id>", followed by the input and output bytes;
 * version 2 is the same up to 'switch_full'. */
struct router_blob {
    struct router_blob_v1 v1;
    double connected_since;
    uint64_t no_switch;   /* DROP_NO_SWITCH. */
    uint64_t unencodable; /* DROP_UNENCODABLE. */
    uint64_t switch_full; /* DROP_SWITCH_FULL (version 3). */
    uint64_t refused;     /* DROP_REFUSED (version 3). */
};
#define ROUTER_BLOB_V2_LEN offsetof(struct router_blob, switch_full)

/* Version 1 of "vns", followed by v1.n_routers uint32_t router ids. */
struct vns_blob_v1 {
    uint32_t next_id;
    uint32_t n_routers;
    uint32_t switch_up;
    uint32_t n_ifaces;
    uint64_t up_dpid;
    struct iface ifaces[VNS_MAX_IFACES];
};

/* Version 2 of "vns", followed by v1.n_routers uint32_t router ids. */
struct vns_blob {
    struct vns_blob_v1 v1;
    uint64_t unmapped_packet_ins;
    uint64_t routers_accepted;
    uint64_t disconnects[N_DISCONNECTS];
};

static int
router_save(struct px_plugin *p, struct router *r)
{
    struct router_blob b;
    size_t len = sizeof b + r->in_len + r->out_len;
    char name[32];
    uint8_t *data = malloc(len);
    int error;

    if (!data) {
        return ENOMEM;
    }
    memset(&b, 0, sizeof b);
    b.v1.id = r->id;
    b.v1.state = r->state;
    b.v1.hwinfo_sent = (uint32_t)r->hwinfo_sent;
    memcpy(b.v1.salt, r->salt, sizeof b.v1.salt);
    memcpy(b.v1.user, r->user, sizeof b.v1.user);
    memcpy(b.v1.vhost, r->vhost, sizeof b.v1.vhost);
    memcpy(b.v1.peer, r->peer, sizeof b.v1.peer);
    b.v1.frames_in = r->frames_in;
    b.v1.frames_out = r->frames_out;
    b.v1.drops = r->dropped[DROP_OUTPUT_FULL];
    b.v1.unknown_iface = r->dropped[DROP_UNKNOWN_INTERFACE];
    b.v1.in_len = r->in_len;
    b.v1.out_len = r->out_len;
    b.connected_since = r->connected_since;
    b.no_switch = r->dropped[DROP_NO_SWITCH];
    b.unencodable = r->dropped[DROP_UNENCODABLE];
    b.switch_full = r->dropped[DROP_SWITCH_FULL];
    b.refused = r->dropped[DROP_REFUSED];
    memcpy(data, &b, sizeof b);
    memcpy(data + sizeof b, r->in, r->in_len);
    memcpy(data + sizeof b + r->in_len, r->out, r->out_len);
    snprintf(name, sizeof name, "router.%u", r->id);
    error = px_handoff_put_blob(p, name, ROUTER_BLOB_VERSION, data, len);
    free(data);
    if (!error) {
        error = px_handoff_put_fd(p, name, r->fd);
    }
    return error;
}

static int
router_restore(struct vns_server *vs, uint32_t id)
{
    struct router_blob b;
    const uint8_t *data;
    struct router *r;
    uint32_t version;
    size_t len, hdr;
    char name[32];
    int error, fd;

    snprintf(name, sizeof name, "router.%u", id);
    error =
        px_handoff_get_blob(vs->p, name, &version, (const void **)&data, &len);
    if (error) {
        return error;
    }
    if (version < 1 || version > ROUTER_BLOB_VERSION) {
        return EPROTO;
    }
    /* Copied out, so that the blob's alignment does not matter. */
    hdr = version == 1   ? sizeof b.v1
          : version == 2 ? ROUTER_BLOB_V2_LEN
                         : sizeof b;
    memset(&b, 0, sizeof b);
    if (len < hdr) {
        return EPROTO;
    }
    memcpy(&b, data, hdr);
    if (b.v1.in_len > ROUTER_IN_CAP ||
        b.v1.out_len > (uint64_t)vs->out_buffer ||
        len != hdr + b.v1.in_len + b.v1.out_len) {
        return EPROTO;
    }
    error = px_handoff_take_fd(vs->p, name, &fd);
    if (error) {
        return error;
    }
    b.v1.peer[sizeof b.v1.peer - 1] = '\0';
    error = router_add(vs, fd, b.v1.peer, &r);
    if (error) {
        close(fd);
        return error;
    }
    r->id = b.v1.id;
    r->state = (enum router_state)b.v1.state;
    r->hwinfo_sent = (int)b.v1.hwinfo_sent;
    memcpy(r->salt, b.v1.salt, sizeof r->salt);
    memcpy(r->user, b.v1.user, sizeof r->user);
    memcpy(r->vhost, b.v1.vhost, sizeof r->vhost);
    r->user[sizeof r->user - 1] = '\0';
    r->vhost[sizeof r->vhost - 1] = '\0';
    r->frames_in = b.v1.frames_in;
    r->frames_out = b.v1.frames_out;
    r->dropped[DROP_OUTPUT_FULL] = b.v1.drops;
    r->dropped[DROP_UNKNOWN_INTERFACE] = b.v1.unknown_iface;
    if (version >= 2) {
        r->connected_since = b.connected_since;
        r->dropped[DROP_NO_SWITCH] = b.no_switch;
        r->dropped[DROP_UNENCODABLE] = b.unencodable;
    }
    if (version >= 3) {
        r->dropped[DROP_SWITCH_FULL] = b.switch_full;
        r->dropped[DROP_REFUSED] = b.refused;
    }
    /* From version 1, connected_since stays router_add's "now": the time
     * of the takeover, later than the truth. */
    r->in_len = b.v1.in_len;
    memcpy(r->in, data + hdr, r->in_len);
    r->out_len = b.v1.out_len;
    memcpy(r->out, data + hdr + r->in_len, r->out_len);
    if (r->out_len) {
        router_flush(r);
    }
    return 0;
}

static void
take_handoff(struct vns_server *vs)
{
    struct vns_blob b;
    const uint8_t *data;
    uint32_t version, i;
    size_t len, hdr;

    if (px_handoff_get_blob(vs->p, "vns", &version, (const void **)&data,
                            &len) ||
        (version != 1 && version != VNS_BLOB_VERSION)) {
        return;
    }
    hdr = version == 1 ? sizeof b.v1 : sizeof b;
    memset(&b, 0, sizeof b);
    if (len < hdr) {
        return;
    }
    memcpy(&b, data, hdr);
    if (len != hdr + (size_t)b.v1.n_routers * sizeof(uint32_t) ||
        b.v1.n_ifaces > VNS_MAX_IFACES) {
        return;
    }
    vs->next_id = b.v1.next_id;
    vs->switch_up = (int)b.v1.switch_up;
    vs->up_dpid = b.v1.up_dpid;
    vs->n_ifaces = b.v1.n_ifaces;
    memcpy(vs->ifaces, b.v1.ifaces, sizeof vs->ifaces);
    index_ifaces(vs);
    /* Zero from version 1: those counters started with that build. */
    vs->unmapped_packet_ins = b.unmapped_packet_ins;
    vs->routers_accepted = b.routers_accepted;
    memcpy(vs->disconnects, b.disconnects, sizeof vs->disconnects);
    for (i = 0; i < b.v1.n_routers; i++) {
        uint32_t id;

        memcpy(&id, data + hdr + i * sizeof id, sizeof id);
        if (router_restore(vs, id)) {
            px_warn(vs->p, "router connection %u could not be taken over", id);
            vs->disconnects[DISC_OTHER]++;
        }
    }
    px_info(vs->p, "took over %u router connection%s and switch %016llx",
            b.v1.n_routers, b.v1.n_routers == 1 ? "" : "s",
            (unsigned long long)vs->up_dpid);
}

static void
vns_free(struct vns_server *vs)
{
    while (vs->graveyard) {
        struct router *r = vs->graveyard;

        vs->graveyard = r->next;
        router_free(r);
    }
    while (vs->routers) {
        struct router *r = vs->routers;

        vs->routers = r->next;
        if (r->fd >= 0) {
            close(r->fd);
        }
        router_free(r);
    }
    if (vs->listen_fd >= 0) {
        close(vs->listen_fd);
    }
    px_hmap_destroy(&vs->ifaces_by_name);
    px_hmap_destroy(&vs->ifaces_by_port);
    free(vs);
}

/* Anyone who can reach an open VNS port can act as the router: receive
 * every frame the switch sends to the controller and inject frames of
 * their own.  Listening beyond loopback without authentication is allowed
 * (a classroom may want it) but never quietly. */
static void
warn_if_exposed(struct vns_server *vs)
{
    if (vs->exposed) {
        px_warn(vs->p,
                "listening on %s without authentication: anyone who can "
                "reach this port can act as the router (set auth = true "
                "with an auth_key, or address = 127.0.0.1)",
                vs->address);
    }
}

static int
on_reload_done(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct vns_server *vs = px_get_data(p);

    (void)ev;
    (void)arg;
    if (vs) {
        warn_if_exposed(vs);
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* The "routers" command on the control socket.                           */

static int
cmd_routers(struct px_plugin *p, int argc, const char *const *argv,
            struct px_reply *r, void *arg)
{
    struct vns_server *vs = arg;
    json_t *list = json_array(), *disconnects = json_object(), *data;
    struct router **sorted, *rt;
    struct px_table t;
    size_t n = 0, i, k;
    char *s;
    int error;

    (void)argc;
    (void)argv;
    for (rt = vs->routers; rt; rt = rt->next) {
        n++;
    }
    /* By id, the order they connected in (the list is newest first). */
    sorted = calloc(n ? n : 1, sizeof *sorted);
    if (!sorted) {
        json_decref(list);
        json_decref(disconnects);
        return ENOMEM;
    }
    for (i = 0, rt = vs->routers; rt; rt = rt->next) {
        sorted[i++] = rt;
    }
    qsort(sorted, n, sizeof *sorted, router_id_cmp);
    px_table_init(&t);
    px_table_column(&t, "ROUTER", PX_TABLE_RIGHT);
    px_table_column(&t, "PEER", PX_TABLE_LEFT);
    px_table_column(&t, "VHOST", PX_TABLE_LEFT);
    px_table_column(&t, "USER", PX_TABLE_LEFT);
    px_table_column(&t, "UPTIME", PX_TABLE_RIGHT);
    px_table_column(&t, "IFACES", PX_TABLE_RIGHT);
    px_table_column(&t, "FRAMES_RX", PX_TABLE_RIGHT);
    px_table_column(&t, "FRAMES_TX", PX_TABLE_RIGHT);
    px_table_column(&t, "DROPPED", PX_TABLE_RIGHT);
    for (i = 0; i < n; i++) {
        json_t *drops = json_object();
        unsigned long long dropped = 0;
        size_t ifaces;
        char age[32];

        rt = sorted[i];
        ifaces = rt->hwinfo_sent ? vs->n_ifaces : 0;
        for (k = 0; k < N_ROUTER_DROPS; k++) {
            dropped += rt->dropped[k];
            json_object_set_new(drops, drop_names[k],
                                json_integer((json_int_t)rt->dropped[k]));
        }
        px_table_row(&t);
        px_table_setf(&t, 0, "%u", rt->id);
        px_table_set(&t, 1, rt->peer);
        px_table_set(&t, 2, rt->vhost);
        px_table_set(&t, 3, rt->user);
        px_table_set(
            &t, 4,
            px_table_age(px_now(p) - rt->connected_since, age, sizeof age));
        px_table_setf(&t, 5, "%zu", ifaces);
        px_table_setf(&t, 6, "%llu", (unsigned long long)rt->frames_in);
        px_table_setf(&t, 7, "%llu", (unsigned long long)rt->frames_out);
        px_table_setf(&t, 8, "%llu", dropped);
        json_array_append_new(
            list,
            json_pack("{s:I,s:s,s:s,s:s,s:s,s:f,s:I,s:I,s:I,s:o}", "router",
                      (json_int_t)rt->id, "peer", rt->peer, "vhost", rt->vhost,
                      "user", rt->user, "state",
                      rt->state == R_READY  ? "open"
                      : rt->state == R_OPEN ? "authenticated"
                                            : "authenticating",
                      "connected_since", rt->connected_since, "interfaces",
                      (json_int_t)ifaces, "frames_rx",
                      (json_int_t)rt->frames_in, "frames_tx",
                      (json_int_t)rt->frames_out, "frames_dropped", drops));
    }
    free(sorted);
    if ((error = px_reply_table(r, &t, "routers: none"))) {
        json_decref(list);
        json_decref(disconnects);
        return error;
    }
    px_reply_printf(r, "vns_server: %zu connected, %llu accepted", n,
                    (unsigned long long)vs->routers_accepted);
    for (k = 0; k < N_DISCONNECTS; k++) {
        json_object_set_new(disconnects, disconnect_names[k],
                            json_integer((json_int_t)vs->disconnects[k]));
        if (vs->disconnects[k]) {
            px_reply_printf(r, ", %llu %s",
                            (unsigned long long)vs->disconnects[k],
                            disconnect_names[k]);
        }
    }
    px_reply_printf(r, ", %llu unmapped packet-ins; switch %s\n",
                    (unsigned long long)vs->unmapped_packet_ins,
                    vs->switch_up ? "up" : "not up");
    data = json_pack("{s:o,s:{s:I,s:I,s:o,s:I,s:b}}", "routers", list,
                     "vns_server", "routers_connected", (json_int_t)n,
                     "routers_accepted", (json_int_t)vs->routers_accepted,
                     "router_disconnects", disconnects, "unmapped_packet_ins",
                     (json_int_t)vs->unmapped_packet_ins, "switch_up",
                     vs->switch_up);
    s = data ? json_dumps(data, JSON_COMPACT) : NULL;
    if (s) {
        px_reply_json(r, s);
    }
    free(s);
    json_decref(data);
    return 0;
}

static int
vns_init(struct px_plugin *p)
{
    struct vns_server *vs = calloc(1, sizeof *vs);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(1.0, 5);
    const char *address, *dpid, *banner;
    long long port;
    int error;

    if (!vs) {
        return ENOMEM;
    }
    vs->p = p;
    vs->listen_fd = -1;
    vs->rl = rl;
    px_hmap_init(&vs->ifaces_by_name);
    px_hmap_init(&vs->ifaces_by_port);
    px_set_data(p, vs);
    if ((error = px_config_string(p, "address", &address)) ||
        (error = px_config_int(p, "port", &port)) ||
        (error = px_config_string(p, "dpid", &dpid)) ||
        (error = px_config_bool(p, "auth", &vs->auth)) ||
        (error = px_config_string(p, "banner", &banner)) ||
        (error = px_config_int(p, "out_buffer", &vs->out_buffer)) ||
        (error = px_config_int(p, "max_routers", &vs->max_routers)) ||
        (error = read_ip_config(p, vs)) ||
        (vs->auth && (error = read_key(p, vs)))) {
        goto fail;
    }
    vs->dpid = strtoull(dpid, NULL, 16);
    snprintf(vs->banner, sizeof vs->banner, "%s", banner);
    snprintf(vs->address, sizeof vs->address, "%s", address);
    vs->exposed = !vs->auth && strncmp(address, "127.", 4);
    if ((error = px_topic_declare(p, PX_TOPIC_OF_PACKET_OUT,
                                  PX_TOPIC_OF_VERSION, &vs->t_packet_out)) ||
        (error = px_topic_declare(p, PX_TOPIC_VNS_ROUTER_UP,
                                  PX_TOPIC_VNS_VERSION, &vs->t_router_up)) ||
        (error = px_topic_declare(p, PX_TOPIC_VNS_ROUTER_DOWN,
                                  PX_TOPIC_VNS_VERSION, &vs->t_router_down)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_PACKET_IN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_packet_in, NULL, NULL)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &vs->t_stats_report)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL))) {
        goto fail;
    }
    take_handoff(vs);
    if (px_handoff_take_fd(p, "listen", &vs->listen_fd) &&
        (error = listen_on(vs, address, (int)port))) {
        goto fail;
    }
    error = px_io_start(p, vs->listen_fd, PX_IO_READ, on_accept, NULL,
                        &vs->listen_io);
    if (error) {
        goto fail;
    }
    error = px_subscribe(p, PX_TOPIC_HOST_RELOAD_DONE,
                         PX_TOPIC_HOST_RELOAD_DONE_VERSION, PX_PRIO_DEFAULT,
                         on_reload_done, NULL, NULL);
    if (error) {
        goto fail;
    }
    /* Without the command (a second instance finds the name taken; the
     * host logs it) routers are still served. */
    px_command_register(p, "routers", "",
                        "VNS routers: peer, user, interfaces, frames", 0, 0,
                        cmd_routers, vs, NULL);
    px_info(p, "VNS server on %s:%lld, %zu addresses configured%s", address,
            port, vs->n_addrs, vs->auth ? ", authentication on" : "");
    warn_if_exposed(vs);
    return 0;

fail:
    px_set_data(p, NULL);
    vns_free(vs);
    return error;
}

static void
vns_fini(struct px_plugin *p)
{
    struct vns_server *vs = px_get_data(p);

    if (!vs) {
        return;
    }
    if (vs->listen_fd >= 0 && !px_handoff_put_fd(p, "listen", vs->listen_fd)) {
        vs->listen_fd = -1;
    }
    {
        struct router *r;
        struct vns_blob *b;
        size_t n = 0;

        for (r = vs->routers; r; r = r->next) {
            n++;
        }
        b = calloc(1, sizeof *b + n * sizeof(uint32_t));
        if (b) {
            uint32_t k = 0;

            b->v1.next_id = vs->next_id;
            b->v1.switch_up = (uint32_t)vs->switch_up;
            b->v1.up_dpid = vs->up_dpid;
            b->v1.n_ifaces = (uint32_t)vs->n_ifaces;
            memcpy(b->v1.ifaces, vs->ifaces, sizeof b->v1.ifaces);
            for (r = vs->routers; r; r = r->next) {
                uint32_t id = r->id;

                if (!router_save(p, r)) {
                    memcpy((uint8_t *)(b + 1) + k * sizeof id, &id, sizeof id);
                    k++;
                    r->fd = -1; /* Handed off. */
                } else {
                    /* vns_free closes it below. */
                    px_warn(p, "router %s cannot be handed off: dropped",
                            r->peer);
                    vs->disconnects[DISC_OTHER]++;
                }
            }
            b->v1.n_routers = k;
            b->unmapped_packet_ins = vs->unmapped_packet_ins;
            b->routers_accepted = vs->routers_accepted;
            memcpy(b->disconnects, vs->disconnects, sizeof b->disconnects);
            px_handoff_put_blob(p, "vns", VNS_BLOB_VERSION, b,
                                sizeof *b + k * sizeof(uint32_t));
            free(b);
        }
    }
    px_set_data(p, NULL);
    vns_free(vs);
}

PX_PLUGIN_DEFINE(.name = "vns_server", .version = VNS_SERVER_VERSION,
                 .description = "VNS server: a switch's ports as a software "
                                "router's interfaces",
                 .config_keys = vns_keys, .init = vns_init, .fini = vns_fini);
