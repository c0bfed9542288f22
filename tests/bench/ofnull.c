/*
 * ofnull: the floor of the controller benchmark (tests/bench/controllers.py),
 * an OpenFlow 1.0 controller that does as little as a controller can.
 *
 * It completes the handshake (HELLO and FEATURES_REQUEST on accept,
 * SET_CONFIG when the features arrive), answers ECHO_REQUESTs, and answers
 * every PACKET_IN with the same kind of message as the controllers it is
 * measured beside (--response):
 *
 * - flow_mod (the default): the FLOW_MOD a learning switch sends, 80 bytes
 *   for a buffered packet: an exact match on the packet-in's in_port and
 *   the frame's MACs, its buffer_id, one output action, to OFPP_FLOOD since
 *   nothing is learned; an unbuffered packet also gets the PACKET_OUT below,
 *   as a learning switch's would;
 * - packet_out: the smallest PACKET_OUT that forwards it: the packet-in's
 *   buffer_id and in_port, one output action to OFPP_FLOOD, and the frame
 *   itself only when the switch did not buffer it.
 *
 * It learns nothing and keeps no table, so what ofbench measures against it
 * is the cost of the loopback round trip and of ofbench itself for the same
 * answers: the ceiling any real controller can reach on the machine,
 * measured in the same run.
 *
 * To cost as little as possible per message it is one thread on one epoll
 * loop: non-blocking sockets with TCP_NODELAY, reads of up to 128 KiB,
 * every complete message in a read handled in place, and each
 * connection's replies for one pass of the loop written with one send.
 * A connection whose unsent output passes OUT_MAX (a switch that does not
 * read) is closed.
 *
 * Counters (connections, packet-ins, flow_mods, packet-outs, echoes, other
 * messages)
 * are printed as one line of JSON on stdout on SIGUSR1 and on exit
 * (SIGTERM, SIGINT), so that controllers.py can check ofbench's counts
 * against them.  Like ofbench it shares none of Plexus's OpenFlow code.
 *
 * Usage: ofnull [--address ADDR] [--port PORT] [--response TYPE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plexus/byteorder.h"

/* OpenFlow 1.0. */
#define OFP_VERSION           0x01
#define OFPT_HELLO            0
#define OFPT_ECHO_REQUEST     2
#define OFPT_ECHO_REPLY       3
#define OFPT_FEATURES_REQUEST 5
#define OFPT_FEATURES_REPLY   6
#define OFPT_SET_CONFIG       9
#define OFPT_PACKET_IN        10
#define OFPT_PACKET_OUT       13
#define OFPT_FLOW_MOD         14
#define OFP_HEADER_LEN        8
#define OFP_NO_BUFFER         0xffffffffu
#define OFPP_FLOOD            0xfffb
#define OFPP_NONE             0xffff
#define OFPAT_OUTPUT          0
/* Every field wildcarded but in_port (bit 0), dl_src (2) and dl_dst (3). */
#define FLOW_WILDCARDS 0x003ffff2u
/* ofp_packet_in up to data[]: header, buffer_id, total_len, in_port,
 * reason, pad. */
#define PACKET_IN_DATA_OFS 18
/* ofp_packet_out up to actions[], then one ofp_action_output. */
#define PACKET_OUT_LEN 16
#define ACTION_OUT_LEN 8
/* ofp_flow_mod up to actions[]: header, 40-byte match, cookie, command,
 * idle and hard timeouts, priority, buffer_id, out_port, flags. */
#define FLOW_MOD_LEN   72
#define SET_CONFIG_LEN 12
#define MISS_SEND_LEN  128
#define MAX_MSG_LEN    65535

#define RBUF_SIZE  (128 * 1024) /* Holds the largest message and more. */
#define OUT_MAX    (64 * 1024 * 1024)
#define MAX_EVENTS 256

struct conn {
    int fd;
    bool dirty;    /* On the list to flush this pass. */
    bool want_out; /* EPOLLOUT is registered. */
    uint8_t *rbuf;
    size_t rlen;
    uint8_t *wbuf;
    size_t wcap, woff, wlen; /* Unsent bytes are wbuf[woff, wlen). */
};

static struct {
    uint64_t connections, packet_ins, flow_mods, packet_outs, echoes, other;
} counts;

/* What answers a packet-in (--response). */
static bool answer_flow_mod = true;

static volatile sig_atomic_t stop_signal, stats_signal;

/* Connections closed this pass, freed at its end: later events of the
 * same pass may still point at them. */
static size_t n_closed;

static void
put_header(uint8_t *p, uint8_t type, uint16_t len, uint32_t xid)
{
    p[0] = OFP_VERSION;
    p[1] = type;
    px_put_be16(p + 2, len);
    px_put_be32(p + 4, xid);
}

static void
print_counts(void)
{
    printf("{\"connections\":%llu,\"packet_ins\":%llu,\"flow_mods\":%llu,"
           "\"packet_outs\":%llu,\"echoes\":%llu,\"other\":%llu}\n",
           (unsigned long long)counts.connections,
           (unsigned long long)counts.packet_ins,
           (unsigned long long)counts.flow_mods,
           (unsigned long long)counts.packet_outs,
           (unsigned long long)counts.echoes,
           (unsigned long long)counts.other);
    fflush(stdout);
}

static void
on_signal(int sig)
{
    if (sig == SIGUSR1) {
        stats_signal = 1;
    } else {
        stop_signal = 1;
    }
}

static void
conn_close(struct conn *c)
{
    close(c->fd); /* Also takes it out of the epoll set. */
    c->fd = -1;
    n_closed++;
}

/* Room for 'len' more bytes of output, or NULL when the connection has
 * OUT_MAX unsent bytes already (it is then closed).  The caller adds what
 * it wrote to wlen. */
static uint8_t *
reserve(struct conn *c, size_t len)
{
    if (c->wcap - c->wlen < len) {
        size_t unsent = c->wlen - c->woff, cap = c->wcap;
        uint8_t *p;

        if (unsent + len > OUT_MAX) {
            fprintf(stderr, "ofnull: a switch does not read: closed\n");
            conn_close(c);
            return NULL;
        }
        memmove(c->wbuf, c->wbuf + c->woff, unsent);
        c->woff = 0;
        c->wlen = unsent;
        while (cap - unsent < len) {
            cap *= 2;
        }
        if (cap != c->wcap) {
            p = realloc(c->wbuf, cap);
            if (!p) {
                fprintf(stderr, "ofnull: out of memory: connection closed\n");
                conn_close(c);
                return NULL;
            }
            c->wbuf = p;
            c->wcap = cap;
        }
    }
    return c->wbuf + c->wlen;
}

static void
send_simple(struct conn *c, uint8_t type, uint32_t xid)
{
    uint8_t *p = reserve(c, OFP_HEADER_LEN);

    if (p) {
        put_header(p, type, OFP_HEADER_LEN, xid);
        c->wlen += OFP_HEADER_LEN;
    }
}

/* A flow_mod for a buffered packet-in, as a learning switch sends, but to
 * OFPP_FLOOD: this program learns nothing. */
static void
put_flow_mod(struct conn *c, const uint8_t *msg, size_t len)
{
    uint8_t *p = reserve(c, FLOW_MOD_LEN + ACTION_OUT_LEN);

    if (!p) {
        return;
    }
    memset(p, 0, FLOW_MOD_LEN + ACTION_OUT_LEN);
    put_header(p, OFPT_FLOW_MOD, FLOW_MOD_LEN + ACTION_OUT_LEN, 0);
    memcpy(p + 4, msg + 4, 4); /* xid */
    px_put_be32(p + 8, FLOW_WILDCARDS);
    memcpy(p + 12, msg + 14, 2); /* match.in_port */
    if (len >= PACKET_IN_DATA_OFS + 12) {
        memcpy(p + 14, msg + PACKET_IN_DATA_OFS + 6, 6); /* dl_src */
        memcpy(p + 20, msg + PACKET_IN_DATA_OFS, 6);     /* dl_dst */
    }
    /* command 0 is OFPFC_ADD; the timeouts and priority are
     * conf.d/examples/l2_switch's. */
    px_put_be16(p + 58, 10);           /* idle_timeout */
    px_put_be16(p + 60, 30);           /* hard_timeout */
    px_put_be16(p + 62, 100);          /* priority */
    memcpy(p + 64, msg + 8, 4);        /* buffer_id */
    px_put_be16(p + 68, OFPP_NONE);    /* out_port */
    px_put_be16(p + 72, OFPAT_OUTPUT); /* actions[0].type */
    px_put_be16(p + 74, ACTION_OUT_LEN);
    px_put_be16(p + 76, OFPP_FLOOD);
    c->wlen += FLOW_MOD_LEN + ACTION_OUT_LEN;
    counts.flow_mods++;
}

static void
put_packet_out(struct conn *c, const uint8_t *msg, size_t len,
               uint32_t buffer_id)
{
    size_t data_len, out_len;
    uint8_t *p;

    /* A buffered packet stays in the switch; an unbuffered one travels
     * back with the packet-out. */
    data_len =
        buffer_id == htonl(OFP_NO_BUFFER) ? len - PACKET_IN_DATA_OFS : 0;
    out_len = PACKET_OUT_LEN + ACTION_OUT_LEN + data_len;
    p = reserve(c, out_len);
    if (!p) {
        return;
    }
    put_header(p, OFPT_PACKET_OUT, (uint16_t)out_len, 0);
    memcpy(p + 4, msg + 4, 4);           /* xid */
    memcpy(p + 8, &buffer_id, 4);        /* buffer_id */
    memcpy(p + 12, msg + 14, 2);         /* in_port */
    px_put_be16(p + 14, ACTION_OUT_LEN); /* actions_len */
    px_put_be16(p + 16, OFPAT_OUTPUT);   /* type */
    px_put_be16(p + 18, ACTION_OUT_LEN); /* len */
    px_put_be16(p + 20, OFPP_FLOOD);     /* port */
    px_put_be16(p + 22, 0);              /* max_len */
    memcpy(p + 24, msg + PACKET_IN_DATA_OFS, data_len);
    c->wlen += out_len;
    counts.packet_outs++;
}

static void
on_packet_in(struct conn *c, const uint8_t *msg, size_t len)
{
    uint32_t buffer_id;

    if (len < PACKET_IN_DATA_OFS) {
        counts.other++;
        return;
    }
    counts.packet_ins++;
    memcpy(&buffer_id, msg + 8, 4); /* Copied as is: no byte swap. */
    if (answer_flow_mod) {
        put_flow_mod(c, msg, len);
        if (buffer_id != htonl(OFP_NO_BUFFER)) {
            return;
        }
    }
    put_packet_out(c, msg, len, buffer_id);
}

static void
handle_message(struct conn *c, const uint8_t *msg, size_t len)
{
    uint8_t *p;

    switch (msg[1]) {
    case OFPT_PACKET_IN:
        on_packet_in(c, msg, len);
        break;
    case OFPT_ECHO_REQUEST:
        counts.echoes++;
        p = reserve(c, len);
        if (p) {
            memcpy(p, msg, len);
            p[0] = OFP_VERSION;
            p[1] = OFPT_ECHO_REPLY;
            c->wlen += len;
        }
        break;
    case OFPT_FEATURES_REPLY:
        p = reserve(c, SET_CONFIG_LEN);
        if (p) {
            put_header(p, OFPT_SET_CONFIG, SET_CONFIG_LEN, 0);
            px_put_be16(p + 8, 0); /* flags: OFPC_FRAG_NORMAL */
            px_put_be16(p + 10, MISS_SEND_LEN);
            c->wlen += SET_CONFIG_LEN;
        }
        break;
    case OFPT_HELLO:
        break;
    default:
        counts.other++;
        break;
    }
}

/* Reads what there is and handles every complete message; returns false
 * when the connection is gone. */
static bool
conn_read(struct conn *c)
{
    size_t off = 0;
    ssize_t n;

    do {
        n = read(c->fd, c->rbuf + c->rlen, RBUF_SIZE - c->rlen);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) {
        return true;
    } else if (n <= 0) {
        conn_close(c);
        return false;
    }
    c->rlen += (size_t)n;
    while (c->rlen - off >= OFP_HEADER_LEN && c->fd >= 0) {
        const uint8_t *msg = c->rbuf + off;
        size_t len = px_get_be16(msg + 2);

        if (len < OFP_HEADER_LEN) {
            fprintf(stderr, "ofnull: message shorter than its header: "
                            "connection closed\n");
            conn_close(c);
            return false;
        }
        if (len > c->rlen - off) {
            break;
        }
        handle_message(c, msg, len);
        off += len;
    }
    if (c->fd < 0) {
        return false;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    return true;
}

static void
set_want_out(int epfd, struct conn *c, bool want)
{
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0),
                             .data.ptr = c};

    if (want != c->want_out) {
        c->want_out = want;
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

static void
conn_flush(int epfd, struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n =
            send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);

        if (n > 0) {
            c->woff += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else {
            conn_close(c);
            return;
        }
    }
    if (c->woff == c->wlen) {
        c->woff = c->wlen = 0;
    }
    set_want_out(epfd, c, c->woff < c->wlen);
}

static void
conn_free(struct conn *c)
{
    if (c) {
        free(c->rbuf);
        free(c->wbuf);
        free(c);
    }
}

static struct conn *
conn_accept(int epfd, int lfd)
{
    struct epoll_event ev = {.events = EPOLLIN};
    struct conn *c;
    int fd, one = 1;

    fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
            fprintf(stderr, "ofnull: accept: %s\n", strerror(errno));
        }
        return NULL;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c = calloc(1, sizeof *c);
    if (c) {
        c->fd = fd;
        c->rbuf = malloc(RBUF_SIZE);
        c->wcap = 64 * 1024;
        c->wbuf = malloc(c->wcap);
    }
    ev.data.ptr = c;
    if (!c || !c->rbuf || !c->wbuf ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
        fprintf(stderr, "ofnull: cannot take a connection: %s\n",
                strerror(errno ? errno : ENOMEM));
        close(fd);
        conn_free(c);
        return NULL;
    }
    counts.connections++;
    send_simple(c, OFPT_HELLO, 0);
    send_simple(c, OFPT_FEATURES_REQUEST, 1);
    return c;
}

static int
listen_on(const char *address, int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port)};
    int fd, one = 1;

    if (inet_pton(AF_INET, address, &sin.sin_addr) != 1) {
        fprintf(stderr, "ofnull: --address: \"%s\" is not an IPv4 address\n",
                address);
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, 1024)) {
        fprintf(stderr, "ofnull: listen on %s:%d: %s\n", address, port,
                strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

static void
usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: ofnull [--address ADDR] [--port PORT] [--response "
            "TYPE]\n"
            "An OpenFlow 1.0 controller that answers every packet-in and "
            "learns nothing:\nthe floor of the controller benchmark.\n\n"
            "  --address ADDR  IPv4 address to listen on (127.0.0.1)\n"
            "  --port PORT     TCP port (6653)\n"
            "  --response TYPE flow_mod (a learning switch's answer, "
            "flooding) or\n"
            "                  packet_out (a flooding packet-out) "
            "(flow_mod)\n\n"
            "SIGUSR1 prints the counters as JSON; SIGTERM and SIGINT print "
            "them and exit.\n");
    exit(status);
}

int
main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"address", required_argument, NULL, 'a'},
        {"port", required_argument, NULL, 'p'},
        {"response", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct epoll_event events[MAX_EVENTS];
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    struct sigaction sa = {.sa_handler = on_signal};
    sigset_t handled, unblocked;
    struct conn **dirty = NULL, **conns = NULL;
    size_t n_dirty = 0, n_conns = 0, cap = 0, i;
    const char *address = "127.0.0.1";
    int port = 6653, opt, epfd, lfd;
    char *end;

    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'a':
            address = optarg;
            break;
        case 'p':
            port = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || port < 1 || port > 65535) {
                fprintf(stderr, "ofnull: --port: \"%s\" is not a port\n",
                        optarg);
                return 2;
            }
            break;
        case 'r':
            if (!strcmp(optarg, "flow_mod") || !strcmp(optarg, "packet_out")) {
                answer_flow_mod = !strcmp(optarg, "flow_mod");
            } else {
                fprintf(stderr,
                        "ofnull: --response: \"%s\" is neither flow_mod nor "
                        "packet_out\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            usage(0);
            break;
        default:
            usage(2);
        }
    }
    if (optind != argc) {
        usage(2);
    }
    /* The signals are blocked but while the loop waits, so that one that
     * arrives just before the wait ends it rather than waiting for the
     * next event. */
    sigemptyset(&sa.sa_mask);
    sigemptyset(&handled);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGUSR1);
    sigprocmask(SIG_BLOCK, &handled, &unblocked);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    lfd = listen_on(address, port);
    if (lfd < 0) {
        return 1;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev)) {
        fprintf(stderr, "ofnull: epoll: %s\n", strerror(errno));
        return 1;
    }

    while (!stop_signal) {
        int n = epoll_pwait(epfd, events, MAX_EVENTS, -1, &unblocked), k;

        if (stats_signal) {
            stats_signal = 0;
            print_counts();
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "ofnull: epoll_wait: %s\n", strerror(errno));
            break;
        }
        for (k = 0; k < n; k++) {
            struct conn *c = events[k].data.ptr;

            if (!c) {
                /* Every pending connection, then the loop goes on. */
                while ((c = conn_accept(epfd, lfd))) {
                    if (n_conns == cap) {
                        size_t ncap = cap ? 2 * cap : 64;
                        struct conn **a = realloc(conns, ncap * sizeof *a);
                        struct conn **d = realloc(dirty, ncap * sizeof *d);

                        if (a) {
                            conns = a;
                        }
                        if (d) {
                            dirty = d;
                        }
                        if (!a || !d) {
                            fprintf(stderr, "ofnull: out of memory\n");
                            return 1;
                        }
                        cap = ncap;
                    }
                    conns[n_conns++] = c;
                    c->dirty = true;
                    dirty[n_dirty++] = c;
                }
                continue;
            }
            if (c->fd < 0) {
                continue;
            }
            if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                conn_read(c);
            }
            if (c->fd >= 0 && !c->dirty &&
                (c->wlen > c->woff || events[k].events & EPOLLOUT)) {
                c->dirty = true;
                dirty[n_dirty++] = c;
            }
        }
        /* One send per connection per pass, with everything it has. */
        for (i = 0; i < n_dirty; i++) {
            dirty[i]->dirty = false;
            if (dirty[i]->fd >= 0) {
                conn_flush(epfd, dirty[i]);
            }
        }
        n_dirty = 0;
        /* Closed connections go now that no list holds them. */
        for (i = 0; n_closed && i < n_conns;) {
            if (conns[i]->fd < 0) {
                conn_free(conns[i]);
                conns[i] = conns[--n_conns];
                n_closed--;
            } else {
                i++;
            }
        }
    }
    print_counts();
    for (i = 0; i < n_conns; i++) {
        if (conns[i]->fd >= 0) {
            close(conns[i]->fd);
        }
        conn_free(conns[i]);
    }
    free(conns);
    free(dirty);
    close(lfd);
    close(epfd);
    return 0;
}
