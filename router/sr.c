/*
 * sr: the software router of the Stanford "simple router" lab, driven by a
 * VNS server (README.md: "The router: router/sr" for what it does, "The
 * VNS protocol" for the messages and their order; vns_codec.h for the codec).
 *
 * The command line is the lab's own (-s -p -v -u -t -r -l -T -h), so lab
 * scripts work unchanged, plus --tls with --ca-cert, --private-key and
 * --certificate (Open vSwitch's spelling) to reach a server over TLS.
 * Unlike the lab's client, sr does not give up when the server is absent
 * or goes away, and it takes several servers (a cluster of controllers:
 * -s A,B or -s A -s B, sr_servers.h): when its server fails or goes away
 * it tries the next one at once, round robin, and backs off exponentially
 * only once a whole pass over the list failed.  Everything runs on one
 * libev loop: the server connection, the ARP tick (ten times a second)
 * and the signals; no threads.
 *
 * The server connection is a px_conn (plexus/conn.h, libplexus.a): it
 * connects, runs the TLS handshake, cuts the input into VNS messages by
 * their length field and bounds the output.  The router itself
 * (sr_router.c) is pure: it gets each frame with the time and sends
 * through a callback, which here encodes a VNS Packet straight into the
 * connection's output; what a loop pass queued goes out in one write
 * before the loop waits again (an ev_prepare watcher).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "plexus/conn.h"
#include "plexus/packet.h"
#include "plexus/vns_codec.h"
#include "sr_router.h"
#include "sr_rt.h"
#include "sr_servers.h"

#define SR_BACKOFF_MIN_MS 100
#define SR_BACKOFF_MAX_MS 5000
/* Room for two whole messages, so a partial one never blocks a whole
 * one. */
#define SR_IN_CAP (2 * VNS_MAX_MESSAGE)
/* VNS frames by its first 4 bytes: the whole message's length. */
#define SR_FRAMING                                                            \
    {                                                                         \
        .length_offset = 0, .length_size = 4, .min_len = VNS_HEADER_LEN,      \
        .max_len = VNS_MAX_MESSAGE                                            \
    }
/* Frames queued towards a slow server before they are dropped: enough for
 * bursts, small enough that a stuck server cannot eat our memory. */
#define SR_OUT_CAP       (256 * 1024)
#define SR_AUTH_KEY_FILE "auth_key"
/* The lab's keys are 64 bytes; a longer file is cut there, as the lab's
 * client does. */
#define SR_AUTH_KEY_MAX 64

struct sr_options {
    struct sr_servers servers; /* -s, in order; at least one. */
    const char *port;          /* -p: for servers given without one. */
    const char *vhost;
    const char *user;
    const char *rtable;
    const char *logfile;
    const char *template;
    uint16_t topo;
    int tls;                 /* --tls */
    const char *ca_cert;     /* --ca-cert: the server's CA. */
    const char *private_key; /* --private-key and --certificate: ours. */
    const char *certificate;
};

enum sr_conn_state {
    SR_IDLE,       /* Not connected: the retry timer is running. */
    SR_CONNECTING, /* Non-blocking connect (and TLS handshake) in
                    * progress. */
    SR_AUTH,       /* Connected, waiting for AuthRequest. */
    SR_AUTH_SENT,  /* AuthReply sent, waiting for AuthStatus. */
    SR_OPENED,     /* Open sent: HWInfo and Packets from now on. */
};

struct sr_client {
    struct ev_loop *loop;
    struct sr_options opt;
    char user[VNS_NAME_LEN + 1];

    struct px_tls *tls;   /* With --tls: the context, ours. */
    struct px_conn *conn; /* The server connection; NULL when idle. */
    enum sr_conn_state state;
    ev_io io;
    int io_events;    /* What 'io' is currently watching for. */
    ev_prepare flush; /* Writes what a loop pass queued. */
    ev_timer retry;
    ev_timer tick;
    ev_signal sigint;
    ev_signal sigterm;
    unsigned int backoff_ms;
    unsigned long attempts;
    size_t cur;   /* The server being tried or used, in opt.servers. */
    size_t tried; /* Servers that failed since the last whole session. */
    /* Connection attempts per server: they take a name's addresses in
     * turn. */
    unsigned long server_attempts[SR_SERVERS_MAX];
    int ready; /* This session has had its HWInfo. */
    /* The interfaces of the last HWInfo, which the router has: a server
     * that describes the same ones after a reconnect serves the same lab
     * (handle_hwinfo). */
    struct vns_iface ifs[VNS_MAX_IFACES];
    size_t n_ifs;

    struct sr_router *router;
    pcap_t *pcap;
    pcap_dumper_t *dumper;

    uint64_t out_drops;     /* Frames dropped: output buffer full. */
    uint64_t offline_drops; /* Frames the router sent while not open. */
    uint64_t early_packets; /* Packets received before any HWInfo. */
    int exit_code;          /* -1 while running. */
};

static void sr_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sr_log(const char *fmt, ...)
{
    char line[1024];
    va_list args;

    /* One write per line, so that lines from a pipe reader's point of view
     * never come in pieces. */
    va_start(args, fmt);
    vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    fprintf(stderr, "sr: %s\n", line);
}

/* The router's clock: monotonic milliseconds, immune to wall-clock
 * steps. */
static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: sr [-h] [-v host] [-s server[,server...]] [-p port]\n"
            "          [-u user] [-t topo id] [-r routing table]\n"
            "          [-l log file] [-T template name]\n"
            "          [--tls --ca-cert FILE [--private-key FILE "
            "--certificate FILE]]\n"
            "  -h  this help\n"
            "  -s  VNS server: HOST, HOST:PORT or [IPV6]:PORT (default\n"
            "      localhost); a comma-separated list, or -s again, for\n"
            "      several (at most %d): sr uses the first and moves to\n"
            "      the next, round robin, when its server fails\n"
            "  -p  VNS server port, for servers without one (default "
            "8888)\n",
            SR_SERVERS_MAX);
    fprintf(f, "  -v  virtual host to open (default vrhost)\n"
               "  -u  user name (default: the login name)\n"
               "  -t  topology id (default 0)\n"
               "  -r  routing table file (default rtable)\n"
               "  -l  pcap file of every frame received and sent\n"
               "  -T  topology template (accepted and ignored)\n"
               "  --tls            connect over TLS (default: plain TCP)\n"
               "  --ca-cert FILE   CA certificate the server's must chain "
               "to\n"
               "  --private-key FILE, --certificate FILE\n"
               "                   this router's key and certificate, for "
               "a server\n"
               "                   that asks for one (vns_server does)\n");
}

/* Writes one frame to the -l pcap file, flushed so that a killed router
 * leaves a readable file. */
static void
log_frame(struct sr_client *c, const uint8_t *frame, size_t len)
{
    struct pcap_pkthdr h;

    if (!c->dumper) {
        return;
    }
    gettimeofday(&h.ts, NULL);
    h.caplen = (bpf_u_int32)len;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)c->dumper, &h, frame);
    pcap_dump_flush(c->dumper);
}

/* Watches the socket for what the connection waits for next. */
static void
update_events(struct sr_client *c)
{
    int events = 0, want = c->conn ? px_conn_events(c->conn) : 0;

    events |= want & PX_CONN_READ ? EV_READ : 0;
    events |= want & PX_CONN_WRITE ? EV_WRITE : 0;
    if (c->io_events == events) {
        return;
    }
    ev_io_stop(c->loop, &c->io);
    if (events) {
        ev_io_set(&c->io, px_conn_fd(c->conn), events);
        ev_io_start(c->loop, &c->io);
    }
    c->io_events = events;
}

/* Encodes a message straight into the connection's output with ENCODER, a
 * vns_encode_* function, given the room there, the arguments after the
 * buffer and its size, and where the length goes.  Returns 0, the
 * encoder's error (ENOBUFS: the output is full, counted as a drop of the
 * connection's; EMSGSIZE or EINVAL: no VNS message can carry it), or
 * ENOTCONN without a session. */
#define SR_SEND(C, ENCODER, ...)                                              \
    ({                                                                        \
        struct px_conn *conn_ = (C)->conn;                                    \
        size_t room_ = 0, n_ = 0;                                             \
        uint8_t *buf_ = conn_ ? px_conn_reserve(conn_, &room_) : NULL;        \
        int rc_ = buf_ ? ENCODER(buf_, room_, __VA_ARGS__, &n_) : ENOTCONN;   \
                                                                              \
        if (!rc_) {                                                           \
            px_conn_commit(conn_, n_);                                        \
        } else if (rc_ == ENOBUFS) {                                          \
            px_conn_count_drop(conn_);                                        \
        }                                                                     \
        rc_;                                                                  \
    })

/* The router's output: one VNS Packet per frame. */
static void
router_send(void *aux, const char *iface, const uint8_t *frame, size_t len)
{
    struct sr_client *c = aux;
    int error;

    log_frame(c, frame, len);
    /* Until this session's HWInfo, the router kept from the last session
     * (an ARP retry) must not send through a server that may not have its
     * interfaces. */
    if (c->state != SR_OPENED || !c->ready) {
        c->offline_drops++;
        return;
    }
    error = SR_SEND(c, vns_encode_packet, iface, frame, len);
    if (error == ENOBUFS) {
        c->out_drops++;
        /* Powers of two: a stuck server does not flood the log. */
        if ((c->out_drops & (c->out_drops - 1)) == 0) {
            sr_log("output buffer full: frame dropped (%llu so far)",
                   (unsigned long long)c->out_drops);
        }
    } else if (error == ENOTCONN) {
        c->offline_drops++;
    } else if (error) {
        /* A frame too short, too long or on an interface whose name does
         * not fit cannot be sent at all. */
        sr_log("frame of %zu bytes on %s cannot be sent over VNS (%s): "
               "dropped",
               len, iface, strerror(error));
        c->out_drops++;
    }
}

static void
destroy_router(struct sr_client *c)
{
    if (c->router) {
        sr_router_destroy(c->router);
        c->router = NULL;
    }
}

static void next_server(struct sr_client *c);

/* The server being tried or used. */
static const struct sr_server *
server(const struct sr_client *c)
{
    return &c->opt.servers.list[c->cur];
}

/* The words for a closed connection: the lab's own for a server that went
 * away or for a connect that failed, the connection's otherwise. */
static void
close_words(const struct px_conn *conn, char *buf, size_t size)
{
    const char *why = px_conn_why(conn);

    if (!strncmp(why, "connect: ", 9)) {
        why += 9;
    }
    switch (px_conn_reason(conn)) {
    case PX_CONN_PEER_CLOSED:
        snprintf(buf, size, "server closed the connection%s%s%s",
                 strcmp(why, "peer closed") ? " (" : "",
                 strcmp(why, "peer closed") ? why : "",
                 strcmp(why, "peer closed") ? ")" : "");
        break;
    case PX_CONN_MALFORMED:
        snprintf(buf, size, "malformed message: %s", why);
        break;
    default:
        snprintf(buf, size, "%s", why);
        break;
    }
}

/* Ends the session ('conn' closes, if it has not) and schedules the next
 * attempt, with the next server; 'words' says why, or NULL for the
 * connection's own words.  The router stays: the next HWInfo decides
 * whether it goes on (handle_hwinfo). */
static void
disconnect(struct sr_client *c, const char *words)
{
    char text[256];

    if (c->conn) {
        if (!words) {
            close_words(c->conn, text, sizeof text);
            words = text;
        }
        sr_log("%s %s: %s",
               c->state == SR_CONNECTING ? "connect failed to"
                                         : "disconnected from",
               server(c)->label, words);
        ev_io_stop(c->loop, &c->io);
        c->io_events = 0;
        px_conn_destroy(c->conn);
        c->conn = NULL;
    }
    c->ready = 0;
    next_server(c);
}

static void
stop_loop(struct sr_client *c, int exit_code)
{
    c->exit_code = exit_code;
    ev_break(c->loop, EVBREAK_ALL);
}

/* Reads ./auth_key into 'key'; no file means an empty key, as in the
 * lab. */
static size_t
read_auth_key(uint8_t key[SR_AUTH_KEY_MAX])
{
    ssize_t n;
    int fd = open(SR_AUTH_KEY_FILE, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return 0;
    }
    n = read(fd, key, SR_AUTH_KEY_MAX);
    close(fd);
    if (n < 0) {
        return 0;
    }
    /* The trailing newline of the file is not part of the key. */
    while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r')) {
        n--;
    }
    return (size_t)n;
}

static int
handle_auth_request(struct sr_client *c, const uint8_t *msg, size_t len,
                    const char **why)
{
    uint8_t key[SR_AUTH_KEY_MAX];
    uint8_t digest[VNS_SHA1_LEN];
    const uint8_t *salt;
    size_t salt_len, key_len;
    int error = vns_decode_auth_request(msg, len, &salt, &salt_len, why);

    if (error) {
        return error;
    }
    key_len = read_auth_key(key);
    error = vns_auth_digest(salt, salt_len, key, key_len, digest);
    if (error) {
        *why = "cannot compute the SHA-1 for AuthReply";
        return error;
    }
    error = SR_SEND(c, vns_encode_auth_reply, c->user, digest);
    if (error) {
        *why = "AuthReply cannot be queued";
        return error;
    }
    c->state = SR_AUTH_SENT;
    return 0;
}

static int
send_open(struct sr_client *c)
{
    struct vns_open o;
    int error;

    memset(&o, 0, sizeof o);
    o.topo_id = c->opt.topo;
    snprintf(o.vhost, sizeof o.vhost, "%s", c->opt.vhost);
    snprintf(o.user, sizeof o.user, "%s", c->user);
    error = SR_SEND(c, vns_encode_open, &o);
    if (error) {
        return error;
    }
    c->state = SR_OPENED;
    sr_log("sent Open: topo %u, vhost %s, user %s", c->opt.topo, o.vhost,
           o.user);
    return 0;
}

/* Whether HWInfo's 'ifs' are the interfaces the router has: the same
 * names, addresses and masks, in the same order (the speed does not
 * matter to routing). */
static int
same_ifaces(const struct sr_client *c, const struct vns_iface *ifs, size_t n)
{
    size_t i;

    if (!c->router || n != c->n_ifs) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        const struct vns_iface *a = &ifs[i], *b = &c->ifs[i];

        if (strcmp(a->name, b->name) ||
            memcmp(a->mac, b->mac, sizeof a->mac) || a->ip != b->ip ||
            a->mask != b->mask) {
            return 0;
        }
    }
    return 1;
}

static int
handle_hwinfo(struct sr_client *c, const uint8_t *msg, size_t len,
              const char **why)
{
    struct vns_iface ifs[VNS_MAX_IFACES];
    struct sr_rt *rt = NULL;
    unsigned int line = 0;
    size_t n, i;
    int error, keep;

    error = vns_decode_hwinfo(msg, len, ifs, VNS_MAX_IFACES, &n, why);
    if (error) {
        return error;
    }
    /* After a reconnect (to the next server of a cluster, or to the same
     * one back), HWInfo with the interfaces the router already has means
     * the same lab: the same switch ports with the same hosts behind them.
     * The router then goes on as it was: its ARP cache stays (the hosts'
     * addresses have not moved, so the first datagrams after a failover
     * leave without waiting for ARP; entries still expire 15 s after they
     * were learnt), and so do the datagrams waiting for an ARP reply (the
     * requests repeated while offline were dropped but count, so a next
     * hop that stays silent still ends in host unreachable).  Other
     * interfaces mean another lab, or a changed one, in which cached
     * addresses and queued datagrams may be wrong: the router starts from
     * scratch, as it did on every session before sr took several
     * servers. */
    keep = same_ifaces(c, ifs, n);
    if (!keep) {
        destroy_router(c);
        c->n_ifs = 0;
        c->router = sr_router_create(router_send, c);
        if (!c->router) {
            *why = "out of memory";
            return ENOMEM;
        }
        memcpy(c->ifs, ifs, n * sizeof *ifs);
        c->n_ifs = n;
    }
    sr_log("HWInfo: %zu interfaces", n);
    for (i = 0; i < n; i++) {
        const struct vns_iface *vi = &ifs[i];
        char ip[PX_PKT_IPV4_STRLEN], mask[PX_PKT_IPV4_STRLEN];
        char mac[PX_PKT_MAC_STRLEN];

        sr_log("Interface %s: ip %s mask %s mac %s", vi->name,
               px_pkt_format_ipv4(ntohl(vi->ip), ip, sizeof ip),
               px_pkt_format_ipv4(ntohl(vi->mask), mask, sizeof mask),
               px_pkt_format_mac(vi->mac, mac, sizeof mac));
        if (keep) {
            continue;
        }
        error = sr_router_add_iface(c->router, vi->name, vi->mac,
                                    ntohl(vi->ip), ntohl(vi->mask));
        if (error) {
            sr_log("interface %s not added: %s", vi->name, strerror(error));
        }
    }
    if (keep) {
        sr_log("same interfaces as before: the router goes on with its ARP "
               "cache and %zu datagrams waiting for ARP",
               sr_arp_pending(sr_router_arp(c->router)));
    }
    /* Read again on each HWInfo, so an edited table takes effect on the
     * next session; it was checked at start-up.  A router that goes on
     * keeps the table it has when the file has gone bad since. */
    error = sr_rt_load(c->opt.rtable, &rt, &line);
    if (error) {
        sr_log("routing table %s: %s (line %u): %s", c->opt.rtable,
               strerror(error), line,
               keep ? "keeping the routes read before"
                    : "running without routes");
    } else {
        sr_log("routing table %s: %zu routes", c->opt.rtable, sr_rt_count(rt));
    }
    if (rt || !keep) {
        sr_router_set_rt(c->router, rt);
    }
    /* A complete session: the next outage starts a new pass over the
     * servers, and backs off afresh once that pass fails. */
    c->ready = 1;
    c->tried = 0;
    c->backoff_ms = SR_BACKOFF_MIN_MS;
    sr_log("ready");
    return 0;
}

static int
handle_packet(struct sr_client *c, const uint8_t *msg, size_t len,
              const char **why)
{
    char iface[VNS_IFACE_LEN + 1];
    const uint8_t *frame;
    size_t frame_len;
    int error;

    error = vns_decode_packet(msg, len, iface, &frame, &frame_len, why);
    if (error) {
        return error;
    }
    log_frame(c, frame, frame_len);
    /* The router kept from the last session waits for this one's HWInfo:
     * the interfaces may have changed. */
    if (!c->router || !c->ready) {
        c->early_packets++;
        return 0;
    }
    sr_router_handle(c->router, iface, frame, frame_len, now_ms());
    return 0;
}

/* Handles one whole message.  Returns 0, or an errno with '*why' for a
 * session that must end; a Close or a refused login stops the loop. */
static int
handle_msg(struct sr_client *c, const struct vns_header *h, const uint8_t *msg,
           const char **why)
{
    char text[VNS_MAX_MESSAGE];
    size_t len = h->length;
    int error, ok;

    switch (h->type) {
    case VNS_AUTH_REQUEST:
        if (c->state != SR_AUTH) {
            *why = "unexpected AuthRequest";
            return EPROTO;
        }
        return handle_auth_request(c, msg, len, why);
    case VNS_AUTH_STATUS:
        if (c->state != SR_AUTH_SENT) {
            *why = "unexpected AuthStatus";
            return EPROTO;
        }
        error = vns_decode_auth_status(msg, len, &ok, text, sizeof text, why);
        if (error) {
            return error;
        }
        if (!ok) {
            sr_log("authentication failed: %s", text);
            stop_loop(c, 1);
            return 0;
        }
        sr_log("authenticated as %s%s%s", c->user, *text ? ": " : "", text);
        if (c->opt.template) {
            sr_log("template %s ignored: opening vhost %s instead",
                   c->opt.template, c->opt.vhost);
        }
        return send_open(c);
    case VNS_HWINFO:
        if (c->state != SR_OPENED) {
            *why = "HWInfo before Open";
            return EPROTO;
        }
        return handle_hwinfo(c, msg, len, why);
    case VNS_PACKET:
        if (c->state != SR_OPENED) {
            *why = "Packet before Open";
            return EPROTO;
        }
        return handle_packet(c, msg, len, why);
    case VNS_CLOSE:
        error = vns_decode_close(msg, len, text, sizeof text, why);
        if (error) {
            return error;
        }
        sr_log("server closed the session: %s", text);
        stop_loop(c, 0);
        return 0;
    case VNS_BANNER:
        /* Only informative: a bad one is not worth the session. */
        if (!vns_decode_banner(msg, len, text, sizeof text, why)) {
            sr_log("banner: %s", text);
        } else {
            sr_log("malformed Banner ignored: %s", *why);
        }
        return 0;
    case VNS_RTABLE:
        /* Only sent with templates, which we do not ask for. */
        sr_log("Rtable message ignored");
        return 0;
    default:
        sr_log("message of unknown type %u ignored", (unsigned int)h->type);
        return 0;
    }
}

/* The close reason of an error that ends a session in handle_msg. */
static enum px_conn_reason
reason_of(int error)
{
    return error == EPROTO ? PX_CONN_MALFORMED : PX_CONN_OTHER;
}

/* Handles every whole message the connection holds.  Returns once none is
 * left, the session ended (the connection is then closed) or the loop is
 * to stop. */
static void
handle_input(struct sr_client *c)
{
    const uint8_t *msg;
    size_t len;

    while (c->exit_code < 0 && !px_conn_next(c->conn, &msg, &len)) {
        struct vns_header h;
        const char *why = NULL;
        int error = vns_frame(msg, len, &h, &why);

        if (!error) {
            error = handle_msg(c, &h, msg, &why);
        }
        if (error) {
            px_conn_close(c->conn, reason_of(error),
                          why ? why : strerror(error));
        }
    }
}

static void
connected(struct sr_client *c)
{
    sr_log("connected to %s%s", server(c)->label, c->tls ? " over TLS" : "");
    c->state = SR_AUTH;
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct sr_client *c = w->data;
    int events = (revents & EV_READ ? PX_CONN_READ : 0) |
                 (revents & EV_WRITE ? PX_CONN_WRITE : 0);

    (void)loop;
    if (!px_conn_run(c->conn, events)) {
        if (c->state == SR_CONNECTING && px_conn_is_established(c->conn)) {
            connected(c);
        }
        if (c->state != SR_CONNECTING) {
            handle_input(c);
        }
    }
    if (c->exit_code >= 0) {
        /* Close or refused login: nothing more to read. */
        return;
    }
    if (!px_conn_is_open(c->conn)) {
        disconnect(c, NULL);
        return;
    }
    update_events(c);
}

/* Before the loop waits: what this pass queued goes out in one write. */
static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct sr_client *c = w->data;

    (void)loop;
    (void)revents;
    if (c->conn && px_conn_queued(c->conn)) {
        if (px_conn_flush(c->conn)) {
            disconnect(c, NULL);
            return;
        }
        update_events(c);
    }
}

/* One connection attempt, to the current server.  Any failure schedules
 * the next. */
static void
try_connect(struct sr_client *c)
{
    struct px_conn_options options = {
        .transport = c->tls ? PX_TRANSPORT_TLS : PX_TRANSPORT_TCP,
        .tls = c->tls,
        .server = 0,
        .in_limit = SR_IN_CAP,
        .out_limit = SR_OUT_CAP,
        .framing = SR_FRAMING,
    };
    const struct sr_server *sv = server(c);
    struct px_endpoint ep = {.transport = PX_TRANSPORT_TCP};
    struct addrinfo hints, *res = NULL, *ai;
    unsigned long count, i, tries;
    char why[256];
    int error, fd;

    c->attempts++;
    tries = ++c->server_attempts[c->cur];
    sr_log("connecting to %s (attempt %lu)", sv->label, c->attempts);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    error = getaddrinfo(sv->host, sv->port, &hints, &res);
    if (error) {
        sr_log("cannot resolve %s: %s", sv->label, gai_strerror(error));
        next_server(c);
        return;
    }
    /* "localhost" may name ::1 and 127.0.0.1 while the server listens on
     * one of them only: successive attempts at a server take its addresses
     * in turn. */
    for (ai = res, count = 0; ai; ai = ai->ai_next) {
        count++;
    }
    for (ai = res, i = (tries - 1) % count; i > 0; i--) {
        ai = ai->ai_next;
    }
    error = getnameinfo(ai->ai_addr, ai->ai_addrlen, ep.host, sizeof ep.host,
                        NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    if (error) {
        sr_log("cannot resolve %s: %s", sv->label, gai_strerror(error));
        next_server(c);
        return;
    }
    ep.port = atoi(sv->port);
    error = px_connect(&ep, &fd, why, sizeof why);
    if (error) {
        sr_log("connect failed to %s: %s", sv->label, strerror(error));
        next_server(c);
        return;
    }
    error = px_conn_create(fd, sv->label, &options, &c->conn);
    if (error) {
        sr_log("connect failed to %s: %s", sv->label, strerror(error));
        next_server(c);
        return;
    }
    c->state = SR_CONNECTING;
    c->ready = 0;
    if (px_conn_is_established(c->conn)) {
        connected(c);
    }
    update_events(c);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    try_connect(w->data);
}

/* The next attempt in 'delay_ms'.  Attempts always go through the timer,
 * even at once, so that a failure never calls try_connect from within
 * itself. */
static void
schedule(struct sr_client *c, unsigned int delay_ms)
{
    c->state = SR_IDLE;
    ev_timer_stop(c->loop, &c->retry);
    ev_timer_set(&c->retry, delay_ms / 1000.0, 0.);
    ev_timer_start(c->loop, &c->retry);
}

/* The current server failed, or went away: on to the next one, round
 * robin.  At once while some server of this pass has not been tried (the
 * lab should not wait while another controller of the cluster is up);
 * once every one failed, the same exponential backoff as with a single
 * server (100 ms doubling to 5 s, reset by a whole session), so that sr
 * does not spin while the whole cluster is down. */
static void
next_server(struct sr_client *c)
{
    size_t n = c->opt.servers.n;

    c->cur = (c->cur + 1) % n;
    if (++c->tried < n) {
        sr_log("trying the next server, %s", server(c)->label);
        schedule(c, 0);
        return;
    }
    c->tried = 0;
    if (n > 1) {
        sr_log("retrying in %u ms (all %zu servers failed), with %s",
               c->backoff_ms, n, server(c)->label);
    } else {
        sr_log("retrying in %u ms", c->backoff_ms);
    }
    schedule(c, c->backoff_ms);
    c->backoff_ms *= 2;
    if (c->backoff_ms > SR_BACKOFF_MAX_MS) {
        c->backoff_ms = SR_BACKOFF_MAX_MS;
    }
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct sr_client *c = w->data;

    (void)loop;
    (void)revents;
    if (c->router) {
        sr_router_tick(c->router, now_ms());
    }
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct sr_client *c = w->data;

    (void)loop;
    (void)revents;
    sr_log("signal %d: exiting", w->signum);
    stop_loop(c, 0);
}

/* Long options beyond the lab's: TLS, as Open vSwitch spells them.  (-T
 * is the lab's template, so --tls has no short form.) */
enum {
    OPT_TLS = 256,
    OPT_CA_CERT,
    OPT_PRIVATE_KEY,
    OPT_CERTIFICATE,
};

static const struct option long_options[] = {
    {"tls", no_argument, NULL, OPT_TLS},
    {"ca-cert", required_argument, NULL, OPT_CA_CERT},
    {"private-key", required_argument, NULL, OPT_PRIVATE_KEY},
    {"certificate", required_argument, NULL, OPT_CERTIFICATE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int
parse_options(int argc, char *argv[], struct sr_options *o)
{
    /* The -s values, parsed once -p is known, whatever the order. */
    const char *servers[SR_SERVERS_MAX];
    size_t n_servers = 0, i;
    char why[512];
    int ch;

    o->servers.n = 0;
    o->port = "8888";
    o->vhost = "vrhost";
    o->user = NULL;
    o->rtable = "rtable";
    o->logfile = NULL;
    o->template = NULL;
    o->topo = 0;
    o->tls = 0;
    o->ca_cert = o->private_key = o->certificate = NULL;
    while ((ch = getopt_long(argc, argv, "hs:v:p:u:t:r:l:T:", long_options,
                             NULL)) != -1) {
        char *end;
        long v;

        switch (ch) {
        case 'h':
            usage(stdout);
            exit(0);
        case 's':
            /* Each -s names one server or more. */
            if (n_servers == SR_SERVERS_MAX) {
                fprintf(stderr, "sr: -s: more than %d VNS servers\n",
                        SR_SERVERS_MAX);
                return EINVAL;
            }
            servers[n_servers++] = optarg;
            break;
        case 'p':
            if (sr_port_check(optarg)) {
                fprintf(stderr, "sr: -p '%s': bad port (1 to 65535)\n",
                        optarg);
                return EINVAL;
            }
            o->port = optarg;
            break;
        case 'v':
            o->vhost = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 't':
            v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 65535) {
                fprintf(stderr, "sr: bad topology id '%s'\n", optarg);
                return EINVAL;
            }
            o->topo = (uint16_t)v;
            break;
        case 'r':
            o->rtable = optarg;
            break;
        case 'l':
            o->logfile = optarg;
            break;
        case 'T':
            o->template = optarg;
            break;
        case OPT_TLS:
            o->tls = 1;
            break;
        case OPT_CA_CERT:
            o->ca_cert = optarg;
            break;
        case OPT_PRIVATE_KEY:
            o->private_key = optarg;
            break;
        case OPT_CERTIFICATE:
            o->certificate = optarg;
            break;
        default:
            usage(stderr);
            return EINVAL;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return EINVAL;
    }
    if (!n_servers) {
        servers[n_servers++] = "localhost";
    }
    for (i = 0; i < n_servers; i++) {
        if (sr_servers_add(&o->servers, servers[i], o->port, why,
                           sizeof why)) {
            fprintf(stderr, "sr: %s\n", why);
            return EINVAL;
        }
    }
    if (!o->tls && (o->ca_cert || o->private_key || o->certificate)) {
        fprintf(stderr, "sr: --ca-cert, --private-key and --certificate go "
                        "with --tls\n");
        return EINVAL;
    }
    if (o->tls && !o->ca_cert) {
        fprintf(stderr, "sr: --tls needs --ca-cert, to check the server's "
                        "certificate\n");
        return EINVAL;
    }
    if (!o->private_key != !o->certificate) {
        fprintf(stderr, "sr: --private-key and --certificate go together\n");
        return EINVAL;
    }
    return 0;
}

/* The login name, as the lab's client sends by default. */
static void
default_user(char *buf, size_t size)
{
    struct passwd *pw = getpwuid(getuid());
    const char *name = pw ? pw->pw_name : getenv("USER");

    snprintf(buf, size, "%s", name ? name : "unknown");
}

static int
open_pcap(struct sr_client *c)
{
    c->pcap = pcap_open_dead(DLT_EN10MB, 65535);
    if (!c->pcap) {
        sr_log("pcap_open_dead failed");
        return ENOMEM;
    }
    c->dumper = pcap_dump_open(c->pcap, c->opt.logfile);
    if (!c->dumper) {
        sr_log("cannot open log file %s: %s", c->opt.logfile,
               pcap_geterr(c->pcap));
        pcap_close(c->pcap);
        c->pcap = NULL;
        return EIO;
    }
    sr_log("logging frames to %s", c->opt.logfile);
    return 0;
}

static void
client_free(struct sr_client *c)
{
    px_conn_destroy(c->conn);
    px_tls_unref(c->tls);
    destroy_router(c);
    if (c->dumper) {
        pcap_dump_close(c->dumper);
    }
    if (c->pcap) {
        pcap_close(c->pcap);
    }
    free(c);
}

/* The servers' labels, comma-separated, cut short if they do not fit. */
static void
format_servers(const struct sr_servers *s, char *buf, size_t size)
{
    size_t i, used = 0;

    buf[0] = '\0';
    for (i = 0; i < s->n && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 i ? ", " : "", s->list[i].label);
    }
}

int
main(int argc, char *argv[])
{
    char servers[512];
    struct sr_client *c;
    struct sr_rt *rt = NULL;
    unsigned int line = 0;
    int error, code;

    /* Lines reach a test (or a pipe) as they are written. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    c = calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "sr: out of memory\n");
        return 1;
    }
    c->exit_code = -1;
    c->backoff_ms = SR_BACKOFF_MIN_MS;
    if (parse_options(argc, argv, &c->opt)) {
        free(c);
        return 1;
    }
    if (c->opt.user) {
        snprintf(c->user, sizeof c->user, "%s", c->opt.user);
    } else {
        default_user(c->user, sizeof c->user);
    }
    /* As the lab's client does: a bad routing table is fatal up front. */
    error = sr_rt_load(c->opt.rtable, &rt, &line);
    if (error) {
        if (line) {
            sr_log("error in routing table %s, line %u", c->opt.rtable, line);
        } else {
            sr_log("cannot read routing table %s: %s", c->opt.rtable,
                   strerror(error));
        }
        free(c);
        return 1;
    }
    sr_log("loaded routing table %s: %zu routes", c->opt.rtable,
           sr_rt_count(rt));
    sr_rt_destroy(rt);
    if (c->opt.tls) {
        char why[512];

        error = px_tls_create_client(c->opt.private_key, c->opt.certificate,
                                     c->opt.ca_cert, &c->tls, why, sizeof why);
        if (error) {
            sr_log("TLS: %s", why);
            client_free(c);
            return 1;
        }
    }
    if (c->opt.logfile && open_pcap(c)) {
        client_free(c);
        return 1;
    }
    /* OpenSSL writes to the socket with write(): a server that goes away
     * must show up as an error, not kill the router. */
    signal(SIGPIPE, SIG_IGN);

    c->loop = ev_default_loop(0);
    ev_init(&c->io, io_cb);
    c->io.data = c;
    ev_init(&c->retry, retry_cb);
    c->retry.data = c;
    ev_prepare_init(&c->flush, flush_cb);
    c->flush.data = c;
    ev_prepare_start(c->loop, &c->flush);
    /* The ARP module decides when a request is due (a second after the
     * last one); ticking it ten times a second keeps retries within 100 ms
     * of that, where a one-second tick could miss by a whole second. */
    ev_timer_init(&c->tick, tick_cb, 0.1, 0.1);
    c->tick.data = c;
    ev_timer_start(c->loop, &c->tick);
    ev_signal_init(&c->sigint, signal_cb, SIGINT);
    c->sigint.data = c;
    ev_signal_start(c->loop, &c->sigint);
    ev_signal_init(&c->sigterm, signal_cb, SIGTERM);
    c->sigterm.data = c;
    ev_signal_start(c->loop, &c->sigterm);

    format_servers(&c->opt.servers, servers, sizeof servers);
    sr_log("user %s, vhost %s, topo %u, server%s %s%s", c->user, c->opt.vhost,
           c->opt.topo, c->opt.servers.n > 1 ? "s" : "", servers,
           c->tls ? " over TLS" : "");
    try_connect(c);
    ev_run(c->loop, 0);

    if (c->out_drops || c->offline_drops || c->early_packets) {
        sr_log("dropped: %llu output buffer full, %llu while offline, "
               "%llu received before HWInfo",
               (unsigned long long)c->out_drops,
               (unsigned long long)c->offline_drops,
               (unsigned long long)c->early_packets);
    }
    code = c->exit_code < 0 ? 0 : c->exit_code;
    ev_io_stop(c->loop, &c->io);
    ev_prepare_stop(c->loop, &c->flush);
    ev_timer_stop(c->loop, &c->retry);
    ev_timer_stop(c->loop, &c->tick);
    ev_signal_stop(c->loop, &c->sigint);
    ev_signal_stop(c->loop, &c->sigterm);
    ev_loop_destroy(c->loop);
    client_free(c);
    return code;
}
