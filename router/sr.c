/*
 * sr: the software router of the Stanford "simple router" lab, driven by a
 * VNS server (README.md: "The router: router/sr" for what it does, "The
 * VNS protocol" for the messages and their order; vns_codec.h for the codec).
 *
 * The command line is the lab's own (-s -p -v -u -t -r -l -T -h), so lab
 * scripts work unchanged.  Unlike the lab's client, sr does not give up
 * when the server is absent or goes away: it reconnects with exponential
 * backoff.  Everything runs on one libev loop: the server connection, the
 * ARP tick (ten times a second) and the signals; no threads.
 *
 * The router itself (sr_router.c) is pure: it gets each frame with the time
 * and sends through a callback, which here becomes a VNS Packet queued on
 * a bounded output buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

#include "sr_router.h"
#include "sr_rt.h"
#include "plexus/vns_codec.h"

#define SR_BACKOFF_MIN_MS 100
#define SR_BACKOFF_MAX_MS 5000
/* Room for two whole messages, so a partial one never blocks a whole
 * one. */
#define SR_IN_CAP (2 * VNS_MAX_MESSAGE)
/* Frames queued towards a slow server before they are dropped: enough for
 * bursts, small enough that a stuck server cannot eat our memory. */
#define SR_OUT_CAP       (256 * 1024)
#define SR_AUTH_KEY_FILE "auth_key"
/* The lab's keys are 64 bytes; a longer file is cut there, as the lab's
 * client does. */
#define SR_AUTH_KEY_MAX 64

struct sr_options {
    const char *server;
    const char *port;
    const char *vhost;
    const char *user;
    const char *rtable;
    const char *logfile;
    const char *template;
    uint16_t topo;
};

enum sr_conn_state {
    SR_IDLE,       /* Not connected: the retry timer is running. */
    SR_CONNECTING, /* Non-blocking connect in progress. */
    SR_AUTH,       /* Connected, waiting for AuthRequest. */
    SR_AUTH_SENT,  /* AuthReply sent, waiting for AuthStatus. */
    SR_OPENED,     /* Open sent: HWInfo and Packets from now on. */
};

struct sr_client {
    struct ev_loop *loop;
    struct sr_options opt;
    char user[VNS_NAME_LEN + 1];

    int fd;
    enum sr_conn_state state;
    ev_io io;
    int io_events; /* What 'io' is currently watching for. */
    ev_timer retry;
    ev_timer tick;
    ev_signal sigint;
    ev_signal sigterm;
    unsigned int backoff_ms;
    unsigned long attempts;
    /* Set when a write fails inside a callback that cannot tear the
     * connection down itself; the caller does once it unwinds. */
    int broken;

    uint8_t in[SR_IN_CAP];
    size_t in_len;
    uint8_t *out;
    size_t out_len;

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
    fprintf(f, "usage: sr [-h] [-v host] [-s server] [-p port] [-u user]\n"
               "          [-t topo id] [-r routing table] [-l log file]\n"
               "          [-T template name]\n"
               "  -h  this help\n"
               "  -s  VNS server (default localhost)\n"
               "  -p  VNS server port (default 8888)\n"
               "  -v  virtual host to open (default vrhost)\n"
               "  -u  user name (default: the login name)\n"
               "  -t  topology id (default 0)\n"
               "  -r  routing table file (default rtable)\n"
               "  -l  pcap file of every frame received and sent\n"
               "  -T  topology template (accepted and ignored)\n");
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

static void
set_io_events(struct sr_client *c, int events)
{
    if (c->io_events == events) {
        return;
    }
    ev_io_stop(c->loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    if (events) {
        ev_io_start(c->loop, &c->io);
    }
    c->io_events = events;
}

/* Writes as much of the output buffer as the socket takes.  Returns 0 or
 * the errno of a failed write. */
static int
flush_out(struct sr_client *c)
{
    size_t off = 0;
    int error = 0;

    while (off < c->out_len) {
        ssize_t n = send(c->fd, c->out + off, c->out_len - off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                error = errno;
            }
            break;
        }
        off += (size_t)n;
    }
    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;
    if (!error) {
        set_io_events(c, EV_READ | (c->out_len ? EV_WRITE : 0));
    }
    return error;
}

/* Queues message 'msg' of 'len' bytes and tries to send it.  Returns 0,
 * ENOBUFS when the output buffer is full (the message is dropped), or the
 * errno of a failed write (the connection is marked broken). */
static int
send_msg(struct sr_client *c, const uint8_t *msg, size_t len)
{
    int error;

    if (c->fd < 0 || c->broken) {
        return ENOTCONN;
    }
    if (len > SR_OUT_CAP - c->out_len) {
        return ENOBUFS;
    }
    memcpy(c->out + c->out_len, msg, len);
    c->out_len += len;
    error = flush_out(c);
    if (error) {
        c->broken = error;
    }
    return error;
}

/* The router's output: one VNS Packet per frame. */
static void
router_send(void *aux, const char *iface, const uint8_t *frame, size_t len)
{
    struct sr_client *c = aux;
    uint8_t buf[VNS_MAX_MESSAGE];
    size_t n;
    int error;

    log_frame(c, frame, len);
    if (c->state != SR_OPENED || c->broken) {
        c->offline_drops++;
        return;
    }
    n = vns_encode_packet(buf, sizeof buf, iface, frame, len);
    if (!n) {
        sr_log("frame of %zu bytes on %s too large for VNS: dropped", len,
               iface);
        c->out_drops++;
        return;
    }
    error = send_msg(c, buf, n);
    if (error == ENOBUFS) {
        c->out_drops++;
        /* Powers of two: a stuck server does not flood the log. */
        if ((c->out_drops & (c->out_drops - 1)) == 0) {
            sr_log("output buffer full: frame dropped (%llu so far)",
                   (unsigned long long)c->out_drops);
        }
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

static void start_retry(struct sr_client *c);

/* Closes the connection and schedules the next attempt. */
static void
disconnect(struct sr_client *c, const char *reason)
{
    if (c->fd >= 0) {
        sr_log("%s %s:%s: %s",
               c->state == SR_CONNECTING ? "connect failed to"
                                         : "disconnected from",
               c->opt.server, c->opt.port, reason);
        ev_io_stop(c->loop, &c->io);
        c->io_events = 0;
        close(c->fd);
        c->fd = -1;
    }
    c->in_len = 0;
    c->out_len = 0;
    c->broken = 0;
    /* The next server may describe other interfaces; HWInfo rebuilds the
     * router from scratch. */
    destroy_router(c);
    start_retry(c);
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
    uint8_t buf[VNS_HEADER_LEN + 4 + VNS_NAME_LEN + VNS_SHA1_LEN];
    const uint8_t *salt;
    size_t salt_len, key_len, n;
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
    n = vns_encode_auth_reply(buf, sizeof buf, c->user, digest);
    if (!n) {
        *why = "user name too long for AuthReply";
        return EPROTO;
    }
    c->state = SR_AUTH_SENT;
    return send_msg(c, buf, n);
}

static int
send_open(struct sr_client *c)
{
    struct vns_open o;
    uint8_t buf[VNS_OPEN_MSG_LEN];
    size_t n;

    memset(&o, 0, sizeof o);
    o.topo_id = c->opt.topo;
    snprintf(o.vhost, sizeof o.vhost, "%s", c->opt.vhost);
    snprintf(o.user, sizeof o.user, "%s", c->user);
    n = vns_encode_open(buf, sizeof buf, &o);
    if (!n) {
        return EPROTO;
    }
    c->state = SR_OPENED;
    sr_log("sent Open: topo %u, vhost %s, user %s", c->opt.topo, o.vhost,
           o.user);
    return send_msg(c, buf, n);
}

static void
format_ip(uint32_t ip, char *buf, size_t size)
{
    struct in_addr a = {.s_addr = htonl(ip)};

    inet_ntop(AF_INET, &a, buf, size);
}

static int
handle_hwinfo(struct sr_client *c, const uint8_t *msg, size_t len,
              const char **why)
{
    struct vns_iface ifs[VNS_MAX_IFACES];
    struct sr_rt *rt = NULL;
    unsigned int line = 0;
    size_t n, i;
    int error;

    error = vns_decode_hwinfo(msg, len, ifs, VNS_MAX_IFACES, &n, why);
    if (error) {
        return error;
    }
    destroy_router(c);
    c->router = sr_router_create(router_send, c);
    if (!c->router) {
        *why = "out of memory";
        return ENOMEM;
    }
    sr_log("HWInfo: %zu interfaces", n);
    for (i = 0; i < n; i++) {
        const struct vns_iface *vi = &ifs[i];
        char ip[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];

        format_ip(ntohl(vi->ip), ip, sizeof ip);
        format_ip(ntohl(vi->mask), mask, sizeof mask);
        sr_log("Interface %s: ip %s mask %s mac "
               "%02x:%02x:%02x:%02x:%02x:%02x",
               vi->name, ip, mask, vi->mac[0], vi->mac[1], vi->mac[2],
               vi->mac[3], vi->mac[4], vi->mac[5]);
        error = sr_router_add_iface(c->router, vi->name, vi->mac,
                                    ntohl(vi->ip), ntohl(vi->mask));
        if (error) {
            sr_log("interface %s not added: %s", vi->name, strerror(error));
        }
    }
    /* Read again on each HWInfo, so an edited table takes effect on the
     * next session; it was checked at start-up. */
    error = sr_rt_load(c->opt.rtable, &rt, &line);
    if (error) {
        sr_log("routing table %s: %s (line %u): running without routes",
               c->opt.rtable, strerror(error), line);
    } else {
        sr_log("routing table %s: %zu routes", c->opt.rtable, sr_rt_count(rt));
    }
    sr_router_set_rt(c->router, rt);
    /* A complete session: the next outage starts backing off afresh. */
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
    if (!c->router) {
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

static void
do_read(struct sr_client *c)
{
    size_t off = 0;
    ssize_t n;

    n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            disconnect(c, strerror(errno));
        }
        return;
    }
    if (n == 0) {
        disconnect(c, "server closed the connection");
        return;
    }
    c->in_len += (size_t)n;
    while (c->fd >= 0) {
        struct vns_header h;
        const char *why = NULL;
        int error = vns_frame(c->in + off, c->in_len - off, &h, &why);

        if (error == EAGAIN) {
            break;
        }
        if (error) {
            disconnect(c, why ? why : "malformed message");
            return;
        }
        error = handle_msg(c, &h, c->in + off, &why);
        off += h.length;
        if (error || c->broken) {
            disconnect(c, error && why ? why
                                       : strerror(error ? error : c->broken));
            return;
        }
        if (c->exit_code >= 0) {
            /* Close or refused login: nothing more to read. */
            return;
        }
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static void
connected(struct sr_client *c)
{
    int one = 1;

    sr_log("connected to %s:%s", c->opt.server, c->opt.port);
    /* Frames are small and latency matters more than packing them. */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = SR_AUTH;
    set_io_events(c, EV_READ);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct sr_client *c = w->data;

    (void)loop;
    if (c->state == SR_CONNECTING) {
        int error = 0;
        socklen_t elen = sizeof error;

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &elen) < 0) {
            error = errno;
        }
        if (error) {
            disconnect(c, strerror(error));
            return;
        }
        connected(c);
        return;
    }
    if (revents & EV_WRITE) {
        int error = flush_out(c);

        if (error) {
            disconnect(c, strerror(error));
            return;
        }
    }
    if (revents & EV_READ) {
        do_read(c);
    }
}

/* One connection attempt.  Any failure schedules the next. */
static void
try_connect(struct sr_client *c)
{
    struct addrinfo hints, *res = NULL, *ai;
    unsigned long count, i;
    int error, fd;

    c->attempts++;
    sr_log("connecting to %s:%s (attempt %lu)", c->opt.server, c->opt.port,
           c->attempts);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    error = getaddrinfo(c->opt.server, c->opt.port, &hints, &res);
    if (error) {
        sr_log("cannot resolve %s:%s: %s", c->opt.server, c->opt.port,
               gai_strerror(error));
        start_retry(c);
        return;
    }
    /* "localhost" may name ::1 and 127.0.0.1 while the server listens on
     * one of them only: successive attempts take the addresses in turn. */
    for (ai = res, count = 0; ai; ai = ai->ai_next) {
        count++;
    }
    for (ai = res, i = (c->attempts - 1) % count; i > 0; i--) {
        ai = ai->ai_next;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd < 0) {
        sr_log("socket: %s", strerror(errno));
        freeaddrinfo(res);
        start_retry(c);
        return;
    }
    c->fd = fd;
    ev_io_set(&c->io, fd, EV_WRITE);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        freeaddrinfo(res);
        connected(c);
        return;
    }
    error = errno;
    freeaddrinfo(res);
    if (error != EINPROGRESS) {
        sr_log("connect failed to %s:%s: %s", c->opt.server, c->opt.port,
               strerror(error));
        close(fd);
        c->fd = -1;
        start_retry(c);
        return;
    }
    c->state = SR_CONNECTING;
    c->io_events = EV_WRITE;
    ev_io_start(c->loop, &c->io);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    try_connect(w->data);
}

static void
start_retry(struct sr_client *c)
{
    c->state = SR_IDLE;
    sr_log("retrying in %u ms", c->backoff_ms);
    ev_timer_set(&c->retry, c->backoff_ms / 1000.0, 0.);
    ev_timer_start(c->loop, &c->retry);
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
        if (c->broken) {
            disconnect(c, strerror(c->broken));
        }
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

static int
parse_options(int argc, char *argv[], struct sr_options *o)
{
    int ch;

    o->server = "localhost";
    o->port = "8888";
    o->vhost = "vrhost";
    o->user = NULL;
    o->rtable = "rtable";
    o->logfile = NULL;
    o->template = NULL;
    o->topo = 0;
    while ((ch = getopt(argc, argv, "hs:v:p:u:t:r:l:T:")) != -1) {
        char *end;
        long v;

        switch (ch) {
        case 'h':
            usage(stdout);
            exit(0);
        case 's':
            o->server = optarg;
            break;
        case 'p':
            v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v <= 0 || v > 65535) {
                fprintf(stderr, "sr: bad port '%s'\n", optarg);
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
        default:
            usage(stderr);
            return EINVAL;
        }
    }
    if (optind < argc) {
        usage(stderr);
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
    if (c->fd >= 0) {
        close(c->fd);
    }
    destroy_router(c);
    if (c->dumper) {
        pcap_dump_close(c->dumper);
    }
    if (c->pcap) {
        pcap_close(c->pcap);
    }
    free(c->out);
    free(c);
}

int
main(int argc, char *argv[])
{
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
    c->fd = -1;
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
    c->out = malloc(SR_OUT_CAP);
    if (!c->out || (c->opt.logfile && open_pcap(c))) {
        client_free(c);
        return 1;
    }

    c->loop = ev_default_loop(0);
    ev_init(&c->io, io_cb);
    c->io.data = c;
    ev_init(&c->retry, retry_cb);
    c->retry.data = c;
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

    sr_log("user %s, vhost %s, topo %u, server %s:%s", c->user, c->opt.vhost,
           c->opt.topo, c->opt.server, c->opt.port);
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
    ev_timer_stop(c->loop, &c->retry);
    ev_timer_stop(c->loop, &c->tick);
    ev_signal_stop(c->loop, &c->sigint);
    ev_signal_stop(c->loop, &c->sigterm);
    ev_loop_destroy(c->loop);
    client_free(c);
    return code;
}
