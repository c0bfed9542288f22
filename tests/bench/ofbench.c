/*
 * ofbench: a controller benchmark in the style of cbench, run by
 * tests/bench/controllers.py against plexusd (the shipped l2_switch
 * example), ovs-testcontroller and ofnull (the do-nothing floor).
 *
 * It emulates N OpenFlow 1.0 switches, each one TCP connection to the
 * controller.  A switch says HELLO, answers FEATURES_REQUEST (with its
 * datapath id), GET_CONFIG_REQUEST, ECHO_REQUEST and BARRIER_REQUEST, and
 * otherwise only counts what it receives.  Once the controller has configured
 * it (it sent SET_CONFIG, or nothing more for 100 ms) the switch teaches the
 * controller its M hosts: one broadcast PACKET_IN from each host MAC, then
 * an ECHO_REQUEST whose reply, as the controller answers a connection in
 * order, says that every one of those packet-ins was seen.  Host j sits on
 * port 1 + j % 4: a learning switch installs no flow for a frame whose
 * destination is behind the port it came in on (plexus's l2_learning sends
 * nothing at all, ovs-testcontroller a drop flow), so with every host on
 * port 1 (--one-port) the measure depends on that choice.
 *
 * Then the traffic: PACKET_IN number i of a switch carries a 60-byte frame
 * from host i % M to host (i + 1) % M.  Both are known, so a learning
 * switch answers each one with a FLOW_MOD, which is what this program
 * counts as a response by default; PACKET_OUTs are counted apart.  With
 * --response packet_out it is the other way round, for a controller that
 * floods every packet (a hub, such as ofnull).  cbench counts both kinds
 * as responses, so a controller that sends both for one packet-in counts
 * twice there; here it counts once.  Packet-ins are buffered (buffer_id =
 * a per-switch counter, which the controller echoes in its answer) unless
 * --no-buffer.
 *
 * --pattern chooses the host MACs and the datapath ids, because how a
 * controller's tables hash them depends on which of their bits vary:
 *
 *   sequential  MACs 02:00:00:00:00:01 upward (locally administered),
 *               datapath ids 1 upward.
 *   random      MACs uniformly spread over the unicast addresses,
 *               universally or locally administered alike; datapath ids
 *               over all 64 bits.  A keyed permutation of the host's index
 *               (--seed), so they are distinct and the same every run.
 *   vendor      MACs under a few real OUIs (Intel, QEMU, VMware,
 *               VirtualBox) in turn, each with sequential low 24 bits;
 *               datapath ids as Open vSwitch makes them, 16 zero bits and
 *               a bridge MAC under the same OUIs.
 *
 * Every host of every switch has a MAC of its own, so that a controller
 * with one table for all switches learns them all.
 *
 *   --mode throughput  each switch keeps W packet-ins in flight and tops
 *                      the window up as responses come back; the figure
 *                      is responses per second.
 *   --mode latency     one packet-in in flight per switch, the next sent
 *                      when its response arrives; the figures are the
 *                      median and 99th percentile round trip.
 *
 * After an unmeasured warm-up the traffic runs without pause through R
 * rounds of T seconds; each round is reported and the result is the median
 * of the rounds.  With --cpu-pid, the CPU time the controller process used
 * in each round is read from /proc, next to this program's own and to what
 * every other process used (the machine's busy time less those two).
 *
 * Then the switches stop sending and drain: each sends one more
 * ECHO_REQUEST and waits for its reply, after which the controller has
 * read every packet-in and this program every answer.  The totals of the
 * whole run (packet-ins sent, flow_mods and packet_outs received, learning
 * included) are then exact, and controllers.py checks them against the
 * controller's own counters.
 *
 * The generator has to be much faster than any controller it measures, or
 * it measures itself: one epoll loop, non-blocking sockets with
 * TCP_NODELAY, reads of up to 128 kB, and each switch's packet-ins for one
 * pass of the loop built in one buffer and written with one call.
 *
 * With --of13 (or --version 1.3) the switches speak OpenFlow 1.3: HELLO
 * with version 4 and a version bitmap of 1.3 alone, a FEATURES_REPLY
 * without ports (1.3's layout), the ports in the answer to a
 * MULTIPART_REQUEST PORT_DESC (what plexusd waits for before the switch
 * is up), packet-ins whose match holds in_port alone.  Learning then
 * starts once the controller has sent SET_CONFIG and asked for the ports
 * (or has been quiet for 100 ms), since a packet-in sent before the
 * controller has the ports is one it may drop.  Other multipart requests
 * get a reply without a body (DESC one that names ofbench).
 *
 *   --mode roles       the failover test of a cluster of controllers:
 *                      OpenFlow 1.3, several controllers, role requests,
 *                      no traffic unless --packet-ins asks for it, and
 *                      the events printed as they happen (below).
 *
 * Roles.  Each switch opens one connection to each controller that
 * --controllers HOST:PORT,HOST:PORT,... names, as Open vSwitch does with
 * several set-controller targets, and answers ROLE_REQUEST as Open vSwitch
 * does (ofproto/connmgr.c): the switch has one generation id, not one per
 * controller; a MASTER or SLAVE request whose generation id is older than
 * the switch's, (int64_t)(id - current) < 0 once one was set, fails with
 * an ERROR ROLE_REQUEST_FAILED / STALE that carries the request, and
 * otherwise its id becomes the switch's.  MASTER demotes the connection of
 * the switch that was MASTER, if another, to SLAVE (telling it nothing:
 * 1.3 has no ROLE_STATUS); EQUAL sets EQUAL and NOCHANGE only asks, both
 * without looking at the id.  The ROLE_REPLY carries the connection's
 * role and the switch's generation id (all ones while none was set, as
 * Open vSwitch sends).  Every connection starts EQUAL, a new one after a
 * reconnect too; the generation id outlives connections.  A SLAVE
 * connection gets no PACKET_IN (SET_ASYNC can change that, per role, as
 * in 1.3), and its FLOW_MOD, PACKET_OUT, GROUP_MOD, PORT_MOD, TABLE_MOD and
 * METER_MOD are refused with an ERROR BAD_REQUEST / IS_SLAVE.  With
 * --packet-ins R each switch sends R packet-ins a second (a broadcast
 * from one of its hosts, unbuffered) to every connection that may get
 * them; a connection whose unsent output is over 64 kB misses them,
 * counted as dropped.
 *
 * A connection that drops or is refused is tried again after a backoff of
 * 0.1 s, doubling up to 1 s (the jitter of a quarter keeps a thousand
 * switches from calling in step), back to 0.1 s once a connection lasted
 * a second.  As with Open vSwitch's inactivity probe, a connection silent
 * for --probe S seconds (5; 0: never) is sent an ECHO_REQUEST and dropped
 * if still silent S seconds later, so that a stopped controller loses its
 * switches too.  Connections are opened a few at a time (at most 50 every
 * 10 ms, and only while the controller has fewer than 64 it has not yet
 * spoken on), so that a thousand switches do not overflow its listen
 * queue; --timeout S (10) bounds a connect().  One epoll loop serves every
 * connection, as in the other modes, with its timers looked at every
 * 10 ms; a connection's buffers start at 4 kB and are bounded: input by
 * the largest message, output at 256 kB, past which the controller, not
 * reading, loses the connection.
 *
 * Output of --mode roles, on stdout, one line per event, written out at
 * the end of the loop pass that saw it.  T is CLOCK_MONOTONIC in seconds
 * with 6 decimals (Python's time.monotonic()), when the pass began;
 * I a switch's index (0 up), DPID its datapath id in 16 hex digits, C a
 * controller's index in --controllers (0 up), G a generation id in
 * decimal:
 *
 *   start switches=N controllers=K t=T
 *   master I DPID C G T        switch I has C as MASTER since a request
 *                              with generation id G; printed when the
 *                              master changes or asks again with another G
 *   master I DPID - - T        switch I has no MASTER any more: its
 *                              master's connection dropped, or the master
 *                              asked for SLAVE or EQUAL
 *   stale I DPID C G CUR T     C asked switch I for MASTER or SLAVE with
 *                              G, older than the switch's CUR: refused
 *   summary masters=M0,M1,... none=N t=T connected=C0,C1,...
 *           reconnects=R stale=S slave_writes=W packet_ins=P0,P1,...
 *           dropped=D          (one line) how many switches each
 *                              controller masters and how many have none;
 *                              open connections per controller; connection
 *                              attempts after each connection's first;
 *                              requests refused as stale; writes refused
 *                              to SLAVE connections; packet-ins sent to
 *                              each controller; packet-ins dropped.  On
 *                              SIGUSR1, every --report S seconds, and last
 *                              when the run ends (SIGINT, SIGTERM or
 *                              --duration S), with exit status 0.
 *
 * Diagnostics (the first few connection losses and ERRORs) go to stderr.
 *
 * It shares none of Plexus's OpenFlow code (it has its own wire
 * constants and layouts; only the byte-order helpers of
 * <plexus/byteorder.h> are common), so that a mistake in Plexus's codecs
 * cannot hide itself by being made on both ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "plexus/byteorder.h"

/* OpenFlow 1.0. */
#define OFP_VERSION           0x01
#define OFPT_HELLO            0
#define OFPT_ERROR            1
#define OFPT_ECHO_REQUEST     2
#define OFPT_ECHO_REPLY       3
#define OFPT_FEATURES_REQUEST 5
#define OFPT_FEATURES_REPLY   6
#define OFPT_GET_CONFIG_REQ   7
#define OFPT_GET_CONFIG_REPLY 8
#define OFPT_SET_CONFIG       9
#define OFPT_PACKET_IN        10
#define OFPT_PACKET_OUT       13
#define OFPT_FLOW_MOD         14
#define OFPT_BARRIER_REQUEST  18
#define OFPT_BARRIER_REPLY    19
#define OFP_HEADER_LEN        8
#define OFP_NO_BUFFER         0xffffffffu
#define OFPR_NO_MATCH         0

/* OpenFlow 1.3, where it differs.  Types up to FLOW_MOD keep 1.0's
 * numbers. */
#define OFP13_VERSION             0x04
#define OFPT13_GROUP_MOD          15
#define OFPT13_PORT_MOD           16
#define OFPT13_TABLE_MOD          17
#define OFPT13_MULTIPART_REQUEST  18
#define OFPT13_MULTIPART_REPLY    19
#define OFPT13_BARRIER_REQUEST    20
#define OFPT13_BARRIER_REPLY      21
#define OFPT13_ROLE_REQUEST       24
#define OFPT13_ROLE_REPLY         25
#define OFPT13_GET_ASYNC_REQUEST  26
#define OFPT13_GET_ASYNC_REPLY    27
#define OFPT13_SET_ASYNC          28
#define OFPT13_METER_MOD          29
#define OFPMP_DESC                0
#define OFPMP_PORT_DESC           13
#define OFPCR_ROLE_NOCHANGE       0
#define OFPCR_ROLE_EQUAL          1
#define OFPCR_ROLE_MASTER         2
#define OFPCR_ROLE_SLAVE          3
#define OFPET_BAD_REQUEST         1
#define OFPBRC_BAD_LEN            6
#define OFPBRC_IS_SLAVE           10
#define OFPET_ROLE_REQUEST_FAILED 11
#define OFPRRFC_STALE             0
#define OFPRRFC_BAD_ROLE          2
#define HELLO13_LEN               16 /* With a version bitmap element. */
#define FEATURES13_LEN            32
#define PORT13_LEN                64
#define MULTIPART_HEADER_LEN      16
#define PORT_DESC_REPLY_LEN       (MULTIPART_HEADER_LEN + N_PORTS * PORT13_LEN)
#define DESC_LEN                  1056 /* ofp_desc. */
#define MULTIPART_REPLY_MAX       (MULTIPART_HEADER_LEN + DESC_LEN)
#define ROLE_LEN                  24 /* ofp_role_request, ofp_role_reply. */
#define ASYNC_LEN                 32 /* ofp_async_config. */
#define ERROR_DATA_MAX            64 /* Bytes of a request an ERROR quotes. */
#define ERROR_MAX_LEN             (12 + ERROR_DATA_MAX)
/* 1.3 reasons NO_MATCH, ACTION and INVALID_TTL: the packet-ins a MASTER or
 * EQUAL connection gets until SET_ASYNC says otherwise (a SLAVE none). */
#define ASYNC_PI_DEFAULT 0x7u

#define FRAME_LEN 60 /* Shortest Ethernet frame. */
/* ofp_packet_in up to data[]: 1.0's, and 1.3's with its match (type,
 * length, the in_port OXM, padding to 8) and the 2 bytes after it. */
#define PACKET_IN10_LEN (18 + FRAME_LEN)
#define PACKET_IN13_LEN (42 + FRAME_LEN)
#define PACKET_IN_MAX   PACKET_IN13_LEN
/* ofp_flow_mod: header, 40-byte match, cookie, then command, idle and hard
 * timeouts and priority (2 bytes each) before buffer_id.  1.3's: header,
 * cookie, cookie mask, table, command, timeouts, priority. */
#define FLOW_MOD_BUFFER_OFS   64
#define FLOW_MOD13_BUFFER_OFS 32
#define N_PORTS               4
#define PHY_PORT_LEN          48
#define FEATURES_REPLY_LEN    (32 + N_PORTS * PHY_PORT_LEN)
#define LEARN_XID             0x6c6e6564u /* The echo that ends learning. */
#define DRAIN_XID             0x6472616eu /* The echo that ends the run. */
/* ofp_packet_out: header, then buffer_id. */
#define PACKET_OUT_BUFFER_OFS 8

/* Buffers.  A read buffer must hold the largest message (65535 bytes) plus
 * the tail of the one before.  A write buffer holds the window's worth of
 * packet-ins plus room for replies, of which an echo reply is the largest
 * (65535 bytes again); a reply that does not fit ends the switch. */
#define RBUF_SIZE     (128 * 1024)
#define REPLY_ROOM    (80 * 1024)
#define MIN_FILL_ROOM (64 * 1024)

#define MAX_SWITCHES 1024
#define MAX_MACS     (1 << 20)
#define MAX_HOSTS    (1 << 24) /* MACs over all switches. */
#define MAX_WINDOW   100000
#define MAX_ROUNDS   100
#define MAX_SAMPLES  (1 << 22) /* Round trips kept per round. */
#define MAX_ERRORS   5         /* OFPT_ERRORs printed, of those counted. */
/* Roles: switches over all controllers' connections, and controllers. */
#define MAX_ROLE_SWITCHES 10000
#define MAX_CONTROLLERS   16

/* Roles: a connection's buffers start small and grow, the read buffer up
 * to the largest message, the write buffer up to WBUF_MAX (past which the
 * controller is not reading and the connection is dropped); packet-ins
 * are not added while more than PI_HIGH bytes wait. */
#define RC_RBUF_MIN (4 * 1024)
#define RC_RBUF_MAX (64 * 1024)
#define RC_WBUF_MIN (4 * 1024)
#define RC_WBUF_MAX (256 * 1024)
#define RC_PI_HIGH  (64 * 1024)

#define SETTLE_S          0.1  /* Quiet time that ends the handshake. */
#define SCAN_S            0.01 /* How often per-switch timers are looked at. */
#define STALL_S           1.0  /* Throughput: window written off after this. */
#define PROBE_TIMEOUT_S   1.0  /* Latency: packet-in given up after this. */
#define DRAIN_S           5.0  /* For the last answers after the rounds. */
#define BACKOFF_MIN_S     0.1  /* Roles: first wait before a reconnect. */
#define BACKOFF_MAX_S     1.0  /* Roles: longest; also a "lasting" conn. */
#define CONNECTS_PER_SCAN 50   /* Roles: connect()s started per timer scan. */
#define MAX_UNHEARD                                                           \
    64              /* Roles: connections per controller that                 \
                     * it has not spoken on yet. */
#define PI_BURST 64 /* Roles: packet-ins per switch per scan. */

enum mode { MODE_THROUGHPUT, MODE_LATENCY, MODE_ROLES };

enum pattern { PAT_SEQUENTIAL, PAT_RANDOM, PAT_VENDOR };

static const char *const pattern_names[] = {"sequential", "random", "vendor"};

/* OUIs for --pattern vendor: the NICs and hypervisors a data centre is
 * full of.  52:54:00 is QEMU's (locally administered) prefix, the others
 * are IEEE assignments. */
static const uint32_t vendor_ouis[] = {
    0x001b21, /* Intel Corporate */
    0x525400, /* QEMU/KVM virtio-net */
    0x005056, /* VMware */
    0x080027, /* PCS Systemtechnik (VirtualBox) */
};
#define N_OUIS (sizeof vendor_ouis / sizeof vendor_ouis[0])

static struct options {
    struct sockaddr_in addr; /* The controller; --mode roles: the first. */
    struct sockaddr_in ctl[MAX_CONTROLLERS];
    int n_ctl;
    uint8_t version; /* OFP_VERSION or OFP13_VERSION. */
    double duration; /* Roles: run this long; 0 until a signal. */
    double report;   /* Roles: summary every this many seconds; 0 never. */
    double probe;    /* Roles: inactivity probe; 0 none. */
    double pi_rate;  /* Roles: packet-ins per second per switch. */
    enum mode mode;
    int n_switches;
    int n_macs;
    int rounds;
    int window;
    double seconds;
    double warmup;
    double timeout; /* For connecting, the handshake and learning. */
    bool no_buffer;
    bool one_port;
    bool json;
    long cpu_pid; /* 0: not measured. */
    enum pattern mac_pattern;
    enum pattern dpid_pattern;
    uint64_t seed;
    uint8_t response; /* OFPT_FLOW_MOD or OFPT_PACKET_OUT. */
} o = {
    .mode = MODE_THROUGHPUT,
    .n_switches = 16,
    .n_macs = 1000,
    .rounds = 5,
    .window = 1000,
    .seconds = 2,
    .warmup = 1,
    .timeout = 10,
    .seed = 1,
    .response = OFPT_FLOW_MOD,
    .version = OFP_VERSION,
    .probe = 5,
};

enum sw_state {
    SW_CONNECTING, /* Non-blocking connect() in progress. */
    SW_HELLO,      /* HELLO sent, waiting for FEATURES_REQUEST. */
    SW_SETTLE,     /* Features sent; waiting for SET_CONFIG or quiet. */
    SW_LEARN,      /* Sending one packet-in per host, then the echo. */
    SW_READY,      /* Learning acknowledged; traffic once all are. */
    SW_DEAD,
};

struct sw {
    int fd;
    int idx;
    uint64_t dpid;
    uint8_t (*macs)[6]; /* The switch's hosts' MACs, by host number. */
    enum sw_state state;
    bool want_out; /* EPOLLOUT is registered. */
    bool dirty;    /* On the list to fill and flush this pass. */
    uint8_t *rbuf;
    size_t rlen;
    uint8_t *wbuf;
    size_t wcap, woff, wlen; /* Unwritten bytes are wbuf[woff, wlen). */
    size_t fill_limit;       /* Packet-ins stop when wlen reaches this. */
    double settle_deadline;
    bool configured; /* SET_CONFIG came. */
    bool ports_sent; /* 1.3: PORT_DESC answered. */
    int learn_next;  /* Next host to announce; n_macs + 1 once echo sent. */
    /* Packet-ins sent and answered.  buffer_id is the sequence number
     * modulo 2^32, as is the window arithmetic on it, so wrapping is
     * harmless; the one id that means "no buffer" is answered as an
     * unbuffered packet-in would be, and counted the same. */
    uint64_t next_seq;
    uint64_t acked_seq;
    int src, dst; /* Hosts of the next traffic packet-in. */
    uint32_t xid;
    double last_progress; /* Throughput: last flow_mod or window open. */
    bool stall_reported;
    bool probing; /* Latency: a packet-in is outstanding. */
    uint32_t probe_id;
    double probe_t0;
    bool drained; /* The echo after the rounds came back. */
};

/* PH_DRAIN: the rounds are over, nothing more is sent but the echo that
 * tells when every answer is in. */
enum phase { PH_HANDSHAKE, PH_WARMUP, PH_ROUND, PH_DRAIN, PH_DONE };

struct round {
    double seconds;
    uint64_t flow_mods, packet_outs, packet_ins;
    uint64_t responses; /* flow_mods or packet_outs, as --response says. */
    double rate;        /* Responses per second. */
    double ctl_cpu;     /* Percent of one core; -1 unknown. */
    double own_cpu;     /* Ditto, this program. */
    double other_cpu;   /* Ditto, every other process; -1 unknown. */
    double rtt_med;     /* Latency mode, microseconds. */
    double rtt_p99;
    uint64_t samples;
};

static struct {
    int epfd;
    struct sw *sws;
    int *dirty;
    int n_dirty;
    int n_ready, n_dead, n_closed;
    bool drained; /* Every live switch drained before DRAIN_S. */
    enum phase phase;
    double phase_end;
    double t_start, t_ready;
    int round;
    struct round rounds[MAX_ROUNDS];
    /* Totals over the whole run; rounds take differences. */
    uint64_t flow_mods, packet_outs, packet_ins, other, errors;
    uint64_t stalls, timeouts, lost_samples;
    /* At the start of the current round. */
    uint64_t fm0, po0, pi0;
    double t0, ctl0, own0, sys0;
    float *samples;
    size_t n_samples;
    /* The packet-in of the version spoken: its length, where its frame
     * and in_port are, and where a flow_mod has its buffer_id. */
    size_t pi_len, pi_frame, pi_in_port, fm_buffer_ofs;
    uint8_t pi_template[PACKET_IN_MAX];
} g;

/* --mode roles: connections, each switch's one to each controller. */
enum rc_state {
    RC_IDLE,       /* Not connected; tried again at retry_at. */
    RC_CONNECTING, /* Non-blocking connect() in progress. */
    RC_OPEN,       /* HELLO sent: answering whatever comes. */
};

struct rconn {
    int fd; /* -1 unless connecting or open. */
    int sw, ctl;
    enum rc_state state;
    uint32_t role; /* OFPCR_ROLE_*: EQUAL on every new connection. */
    /* SET_ASYNC's masks as on the wire: packet-in, port status, flow
     * removed, each for [MASTER or EQUAL, SLAVE]. */
    uint32_t async[3][2];
    bool features;        /* FEATURES_REPLY sent: packet-ins may go. */
    bool want_out, dirty; /* As a struct sw's. */
    bool probed;          /* An inactivity probe is out. */
    bool heard;           /* The controller has sent something. */
    double since;         /* When connected, or the connect() began. */
    double last_rx;       /* When bytes last came. */
    double retry_at;      /* RC_IDLE: when to connect again. */
    double backoff;       /* The wait after the next failure. */
    uint64_t attempts;    /* connect()s. */
    uint8_t *rbuf;        /* Grows to RC_RBUF_MAX. */
    size_t rcap, rlen;
    uint8_t *wbuf; /* Grows to RC_WBUF_MAX. */
    size_t wcap, woff, wlen;
};

struct rsw {
    uint64_t dpid;
    bool gen_defined;    /* A MASTER or SLAVE request set the id. */
    uint64_t gen;        /* The switch's generation id. */
    int master;          /* Controller, or -1. */
    uint64_t master_gen; /* Generation id of the request that made it. */
    int shown;           /* The master the last "master" line named. */
    uint64_t shown_gen;
    double pi_credit; /* Packet-ins owed at --packet-ins R. */
    uint32_t pi_next; /* Host of the next packet-in. */
    uint32_t xid;
};

static struct {
    struct rconn *conns; /* Switch i's to controller c: i * n_ctl + c. */
    struct rsw *sws;
    int *dirty;
    int n_dirty;
    int connected[MAX_CONTROLLERS];
    int unheard[MAX_CONTROLLERS]; /* Connecting, or open and not heard. */
    uint64_t packet_ins[MAX_CONTROLLERS];
    uint64_t reconnects, stale, slave_writes, dropped, errors;
    bool printed; /* stdout has lines to flush. */
    double now;   /* Of the loop pass: the time events are stamped with. */
} r;

static volatile sig_atomic_t stop_requested, summary_requested;

/* ---------------------------------------------------------------------- */
/* Helpers.                                                               */

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
own_cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* utime + stime of process 'pid' (all its threads) in seconds, or -1. */
static double
proc_cpu_s(long pid)
{
    unsigned long long utime, stime;
    char path[64], buf[1024];
    const char *p;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name is in parentheses and may hold spaces: fields are
     * counted from the last ')', after which come state (3) ... utime (14)
     * and stime (15). */
    p = strrchr(buf, ')');
    if (!p ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2) {
        return -1;
    }
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU time all processors spent running processes (user, nice, system)
 * or stolen by the hypervisor, in seconds, or -1.  Less the controller's
 * and this program's own, it is what else ran during a round: on a shared
 * machine, the sign that a round measured the neighbours too.  Interrupt
 * time is left out, since on loopback most of it is this benchmark's own
 * packets. */
static double
system_busy_s(void)
{
    unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
    FILE *f = fopen("/proc/stat", "r");
    int n;

    if (!f) {
        return -1;
    }
    n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice,
               &sys, &idle, &iowait, &irq, &softirq, &steal);
    fclose(f);
    if (n != 8) {
        return -1;
    }
    return (double)(user + nice + sys + steal) / (double)sysconf(_SC_CLK_TCK);
}

/* A header of the version the switches speak (--of13). */
static void
put_header(uint8_t *p, uint8_t type, uint16_t len, uint32_t xid)
{
    p[0] = o.version;
    p[1] = type;
    px_put_be16(p + 2, len);
    px_put_be32(p + 4, xid);
}

/* 1.3's HELLO, offering 1.3 alone in a version bitmap; HELLO13_LEN. */
static void
put_hello13(uint8_t *p)
{
    put_header(p, OFPT_HELLO, HELLO13_LEN, 0);
    px_put_be16(p + 8, 1); /* OFPHET_VERSIONBITMAP */
    px_put_be16(p + 10, 8);
    px_put_be32(p + 12, 1u << OFP13_VERSION);
}

/* 1.3's FEATURES_REPLY, which has no ports; FEATURES13_LEN. */
static void
put_features13(uint8_t *p, uint32_t xid, uint64_t dpid)
{
    memset(p, 0, FEATURES13_LEN);
    put_header(p, OFPT_FEATURES_REPLY, FEATURES13_LEN, xid);
    px_put_be64(p + 8, dpid);
    px_put_be32(p + 16, 256); /* n_buffers */
    p[20] = 1;                /* n_tables; auxiliary_id 0 */
    px_put_be32(p + 24, 0x7); /* Flow, table and port stats. */
}

/* The answer to a 1.3 MULTIPART_REQUEST 'req' (at least
 * MULTIPART_HEADER_LEN bytes) to switch 'idx' at 'p' (room for
 * MULTIPART_REPLY_MAX); returns its length.  PORT_DESC lists the
 * ports, as the 1.0 FEATURES_REPLY does; DESC names the program; any
 * other kind has an empty body, which for the statistics means "none". */
static size_t
put_multipart_reply13(uint8_t *p, const uint8_t *req, int idx)
{
    uint16_t type = px_get_be16(req + 8);
    size_t n = MULTIPART_HEADER_LEN;
    unsigned int i;

    memset(p, 0, MULTIPART_HEADER_LEN);
    px_put_be16(p + 8, type); /* flags 0: no more parts */
    if (type == OFPMP_PORT_DESC) {
        for (i = 0; i < N_PORTS; i++) {
            uint8_t *port = p + n + i * PORT13_LEN;

            memset(port, 0, PORT13_LEN);
            px_put_be32(port, i + 1);
            port[8] = 0x0a; /* hw_addr 0a:SS:SS:00:00:PP */
            port[9] = (uint8_t)(idx >> 8);
            port[10] = (uint8_t)idx;
            port[13] = (uint8_t)(i + 1);
            snprintf((char *)port + 16, 16, "s%u-eth%u",
                     (unsigned)(idx + 1) % 100000, i + 1);
            /* curr: 1GB_FD, COPPER; curr_speed and max_speed in kb/s. */
            px_put_be32(port + 40, (1 << 5) | (1 << 11));
            px_put_be32(port + 56, 1000000);
            px_put_be32(port + 60, 1000000);
        }
        n += N_PORTS * PORT13_LEN;
    } else if (type == OFPMP_DESC) {
        memset(p + n, 0, DESC_LEN);
        snprintf((char *)p + n, 256, "Plexus");
        snprintf((char *)p + n + 256, 256, "emulated switch");
        snprintf((char *)p + n + 512, 256, "ofbench");
        snprintf((char *)p + n + 768, 32, "%u", (unsigned)idx % 100000);
        snprintf((char *)p + n + 800, 256, "ofbench switch %u",
                 (unsigned)idx % 100000);
        n += DESC_LEN;
    }
    put_header(p, OFPT13_MULTIPART_REPLY, (uint16_t)n, px_get_be32(req + 4));
    return n;
}

static void
put_get_config_reply(uint8_t *p, uint32_t xid)
{
    put_header(p, OFPT_GET_CONFIG_REPLY, 12, xid);
    px_put_be16(p + 8, 0);    /* flags: OFPC_FRAG_NORMAL */
    px_put_be16(p + 10, 128); /* miss_send_len */
}

/* An ERROR that answers request 'req', quoting at most ERROR_DATA_MAX of
 * its bytes, as Open vSwitch does; returns its length (at most
 * ERROR_MAX_LEN). */
static size_t
put_error(uint8_t *p, const uint8_t *req, size_t len, uint16_t type,
          uint16_t code)
{
    size_t data = len < ERROR_DATA_MAX ? len : ERROR_DATA_MAX;

    put_header(p, OFPT_ERROR, (uint16_t)(12 + data), px_get_be32(req + 4));
    px_put_be16(p + 8, type);
    px_put_be16(p + 10, code);
    memcpy(p + 12, req, data);
    return 12 + data;
}

/* splitmix64's finaliser: a bijection of 64-bit integers whose outputs
 * look random. */
static uint64_t
mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* A bijection of 47-bit integers, keyed by --seed: adding a key,
 * multiplying by an odd number and xor-ing in a right shift are each
 * invertible modulo 2^47, so distinct hosts get distinct MACs. */
static uint64_t
perm47(uint64_t x)
{
    const uint64_t mask = (1ull << 47) - 1;

    x = (x + mix64(o.seed)) & mask;
    x = (x * 0x5851f42d4c957f2dull) & mask;
    x ^= x >> 23;
    x = (x * 0x2545f4914f6cdd1dull) & mask;
    x ^= x >> 21;
    x = (x * 0x9e3779b97f4a7c15ull) & mask;
    x ^= x >> 24;
    return x;
}

static void
put_mac48(uint8_t *mac, uint64_t v)
{
    int i;

    for (i = 5; i >= 0; i--) {
        mac[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* The MAC of host 'host' of switch 'sw', as --pattern says.  Hosts are
 * numbered across switches, so every MAC is distinct. */
static void
host_mac(uint8_t *mac, int sw, int host)
{
    uint64_t n = (uint64_t)sw * (uint64_t)o.n_macs + (uint64_t)host;
    uint64_t x;

    switch (o.mac_pattern) {
    case PAT_SEQUENTIAL:
        put_mac48(mac, 0x020000000000ull + n + 1);
        break;
    case PAT_RANDOM:
        /* 47 random bits around the group bit (the low bit of the first
         * byte), which stays 0: unicast. */
        x = perm47(n);
        put_mac48(mac, ((x >> 40) << 41) | (x & ((1ull << 40) - 1)));
        break;
    case PAT_VENDOR:
        put_mac48(mac,
                  (uint64_t)vendor_ouis[n % N_OUIS] << 24 | (n / N_OUIS + 1));
        break;
    }
}

static uint64_t
switch_dpid(int idx)
{
    uint64_t d = 0;

    switch (o.dpid_pattern) {
    case PAT_SEQUENTIAL:
        d = (uint64_t)idx + 1;
        break;
    case PAT_RANDOM:
        d = mix64((uint64_t)idx + mix64(o.seed + 1));
        break;
    case PAT_VENDOR:
        d = (uint64_t)vendor_ouis[idx % N_OUIS] << 24 |
            ((uint64_t)idx / N_OUIS + 1);
        break;
    }
    return d ? d : 1; /* 0 is no datapath; mix64 maps one input there. */
}

static uint16_t
host_port(int host)
{
    return o.one_port ? 1 : (uint16_t)(1 + host % N_PORTS);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int
cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;

    return x < y ? -1 : x > y;
}

/* Median of 'n' values; sorts 'v'. */
static double
median(double *v, size_t n)
{
    if (!n) {
        return 0;
    }
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---------------------------------------------------------------------- */
/* Switches: output.                                                      */

static void
mark_dirty(struct sw *sw)
{
    if (!sw->dirty && sw->state != SW_DEAD) {
        sw->dirty = true;
        g.dirty[g.n_dirty++] = sw->idx;
    }
}

static void
sw_kill(struct sw *sw, const char *why, int error)
{
    if (sw->state == SW_DEAD) {
        return;
    }
    fprintf(stderr, "ofbench: switch %d (dpid %016llx): %s%s%s\n", sw->idx,
            (unsigned long long)sw->dpid, why, error ? ": " : "",
            error ? strerror(error) : "");
    if (sw->state == SW_READY) {
        g.n_ready--;
    }
    sw->state = SW_DEAD;
    g.n_dead++;
    close(sw->fd);
    sw->fd = -1;
}

/* Room for 'len' more bytes of output, or NULL (after ending the switch,
 * unless 'soft') when the buffer is full: a controller that does not read
 * what it asked for is broken, and the buffer is bounded. */
static uint8_t *
sw_reserve(struct sw *sw, size_t len, bool soft)
{
    if (sw->wcap - sw->wlen < len && sw->woff) {
        memmove(sw->wbuf, sw->wbuf + sw->woff, sw->wlen - sw->woff);
        sw->wlen -= sw->woff;
        sw->woff = 0;
    }
    if (sw->wcap - sw->wlen < len) {
        if (!soft) {
            sw_kill(sw, "output buffer full (controller not reading)", 0);
        }
        return NULL;
    }
    mark_dirty(sw);
    return sw->wbuf + sw->wlen;
}

static void
set_want_out(struct sw *sw, bool want)
{
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0),
                             .data.u32 = (uint32_t)sw->idx};

    if (want != sw->want_out) {
        sw->want_out = want;
        epoll_ctl(g.epfd, EPOLL_CTL_MOD, sw->fd, &ev);
    }
}

static void
sw_flush(struct sw *sw)
{
    while (sw->woff < sw->wlen) {
        ssize_t n = send(sw->fd, sw->wbuf + sw->woff, sw->wlen - sw->woff,
                         MSG_NOSIGNAL);

        if (n > 0) {
            sw->woff += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else {
            sw_kill(sw, "write", n < 0 ? errno : EIO);
            return;
        }
    }
    if (sw->woff == sw->wlen) {
        sw->woff = sw->wlen = 0;
    }
    /* While learning, writability is also the cue to send the next part
     * of the hosts, which the fill limit may have held back. */
    set_want_out(sw, sw->woff < sw->wlen || (sw->state == SW_LEARN &&
                                             sw->learn_next <= o.n_macs));
}

static void
send_simple(struct sw *sw, uint8_t type, uint32_t xid)
{
    uint8_t *p = sw_reserve(sw, OFP_HEADER_LEN, false);

    if (p) {
        put_header(p, type, OFP_HEADER_LEN, xid);
        sw->wlen += OFP_HEADER_LEN;
    }
}

static void
send_features_reply(struct sw *sw, uint32_t xid)
{
    uint8_t *p;
    unsigned int i;

    if (o.version == OFP13_VERSION) {
        p = sw_reserve(sw, FEATURES13_LEN, false);
        if (p) {
            put_features13(p, xid, sw->dpid);
            sw->wlen += FEATURES13_LEN;
        }
        return;
    }
    p = sw_reserve(sw, FEATURES_REPLY_LEN, false);
    if (!p) {
        return;
    }
    memset(p, 0, FEATURES_REPLY_LEN);
    put_header(p, OFPT_FEATURES_REPLY, FEATURES_REPLY_LEN, xid);
    px_put_be64(p + 8, sw->dpid);
    px_put_be32(p + 16, 256); /* n_buffers */
    p[20] = 1;                /* n_tables */
    px_put_be32(p + 24, 0x7); /* Flow, table and port stats. */
    px_put_be32(p + 28, 0xfff);
    for (i = 0; i < N_PORTS; i++) {
        uint8_t *port = p + 32 + i * PHY_PORT_LEN;

        px_put_be16(port, (uint16_t)(i + 1));
        port[2] = 0x0a; /* hw_addr 0a:SS:SS:00:00:PP */
        port[3] = (uint8_t)(sw->idx >> 8);
        port[4] = (uint8_t)sw->idx;
        port[7] = (uint8_t)(i + 1);
        /* MAX_SWITCHES keeps the name within 16 bytes; the modulo tells the
         * compiler so. */
        snprintf((char *)port + 8, 16, "s%u-eth%u",
                 (unsigned)(sw->idx + 1) % 100000, i + 1);
        px_put_be32(port + 32, (1 << 5) | (1 << 7)); /* curr: 1GB_FD, COPPER */
    }
    sw->wlen += FEATURES_REPLY_LEN;
}

static void
send_get_config_reply(struct sw *sw, uint32_t xid)
{
    uint8_t *p = sw_reserve(sw, 12, false);

    if (p) {
        put_get_config_reply(p, xid);
        sw->wlen += 12;
    }
}

static void
send_multipart_reply(struct sw *sw, const uint8_t *req)
{
    uint8_t *p = sw_reserve(sw, MULTIPART_REPLY_MAX, false);

    if (p) {
        sw->wlen += put_multipart_reply13(p, req, sw->idx);
    }
}

/* The reply to an echo request carries its payload back. */
static void
send_echo_reply(struct sw *sw, const uint8_t *req, size_t len)
{
    uint8_t *p = sw_reserve(sw, len, false);

    if (p) {
        memcpy(p, req, len);
        p[0] = o.version;
        p[1] = OFPT_ECHO_REPLY;
        sw->wlen += len;
    }
}

/* Writes at 'p' a packet-in (g.pi_len bytes) of a frame from 'src' to
 * 'dst' (NULL: broadcast) that came in on 'port'. */
static void
put_pi(uint8_t *p, uint32_t xid, uint32_t buffer_id, uint16_t port,
       const uint8_t *src, const uint8_t *dst)
{
    memcpy(p, g.pi_template, g.pi_len);
    px_put_be32(p + 4, xid);
    px_put_be32(p + 8, buffer_id);
    if (o.version == OFP13_VERSION) {
        px_put_be32(p + g.pi_in_port, port);
    } else {
        px_put_be16(p + g.pi_in_port, port);
    }
    if (dst) {
        memcpy(p + g.pi_frame, dst, 6);
    }
    memcpy(p + g.pi_frame + 6, src, 6);
}

/* Writes one packet-in at 'p' carrying a frame from host 'src' to 'dst'
 * (dst < 0: broadcast); returns its buffer_id. */
static uint32_t
put_packet_in(struct sw *sw, uint8_t *p, int src, int dst)
{
    uint32_t buffer_id = o.no_buffer ? OFP_NO_BUFFER : (uint32_t)sw->next_seq;

    put_pi(p, ++sw->xid, buffer_id, host_port(src), sw->macs[src],
           dst >= 0 ? sw->macs[dst] : NULL);
    sw->next_seq++;
    g.packet_ins++;
    return buffer_id;
}

/* The packet-in every packet-in is copied from: everything but xid,
 * buffer_id, in_port and the MACs.  The frame is IPv4/UDP with a valid
 * header checksum, so no controller rejects it as malformed.  1.3's match
 * holds the in_port OXM alone (the switch has one table, and its
 * table-miss flow matches everything); the cookie is all ones, as for a
 * packet-in that no flow sent. */
static void
init_template(void)
{
    uint8_t *p = g.pi_template, *f, *ip;
    uint32_t sum = 0;
    int i;

    if (o.version == OFP13_VERSION) {
        g.pi_len = PACKET_IN13_LEN;
        g.pi_frame = 42;
        g.pi_in_port = 32;
        g.fm_buffer_ofs = FLOW_MOD13_BUFFER_OFS;
    } else {
        g.pi_len = PACKET_IN10_LEN;
        g.pi_frame = 18;
        g.pi_in_port = 14;
        g.fm_buffer_ofs = FLOW_MOD_BUFFER_OFS;
    }
    f = p + g.pi_frame;
    ip = f + 14;
    memset(p, 0, g.pi_len);
    put_header(p, OFPT_PACKET_IN, (uint16_t)g.pi_len, 0);
    px_put_be16(p + 12, FRAME_LEN); /* total_len */
    if (o.version == OFP13_VERSION) {
        p[14] = OFPR_NO_MATCH; /* table_id 0 */
        memset(p + 16, 0xff, 8);
        px_put_be16(p + 24, 1);          /* OFPMT_OXM */
        px_put_be16(p + 26, 4 + 8);      /* Unpadded: in_port alone. */
        px_put_be32(p + 28, 0x80000004); /* OFPXMC_OPENFLOW_BASIC, IN_PORT */
    } else {
        p[16] = OFPR_NO_MATCH;
    }
    memset(f, 0xff, 6); /* Broadcast until a destination is written. */
    px_put_be16(f + 12, 0x0800);
    ip[0] = 0x45;
    px_put_be16(ip + 2, FRAME_LEN - 14);
    ip[8] = 64; /* TTL */
    ip[9] = 17; /* UDP */
    px_put_be32(ip + 12, 0x0a000001);
    px_put_be32(ip + 16, 0x0a000002);
    for (i = 0; i < 20; i += 2) {
        sum += px_get_be16(ip + i);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    px_put_be16(ip + 10, (uint16_t)~sum);
    px_put_be16(ip + 20, 12345);          /* UDP source port */
    px_put_be16(ip + 22, 5001);           /* UDP destination port */
    px_put_be16(ip + 24, FRAME_LEN - 34); /* UDP length; checksum 0 = none */
}

/* Latency mode: sends the next packet-in and notes when. */
static void
send_probe(struct sw *sw, double now)
{
    uint8_t *p = sw_reserve(sw, g.pi_len, false);

    if (!p) {
        return;
    }
    sw->probe_id = put_packet_in(sw, p, sw->src, sw->dst);
    sw->wlen += g.pi_len;
    sw->src = sw->dst;
    sw->dst = sw->dst + 1 == o.n_macs ? 0 : sw->dst + 1;
    sw->probing = true;
    sw->probe_t0 = now;
}

/* Tops up what the switch has to send: the learning packet-ins, or in
 * throughput mode the window, all in the write buffer, so that the flush
 * after it writes them in one call. */
static void
sw_fill(struct sw *sw, double now)
{
    size_t room = sw->wlen < sw->fill_limit ? sw->fill_limit - sw->wlen : 0;
    uint64_t n, i;
    uint8_t *p;

    if (sw->state == SW_LEARN && sw->learn_next <= o.n_macs) {
        if (sw->woff) { /* Compact, so that room counts from the start. */
            memmove(sw->wbuf, sw->wbuf + sw->woff, sw->wlen - sw->woff);
            sw->wlen -= sw->woff;
            sw->woff = 0;
            room = sw->wlen < sw->fill_limit ? sw->fill_limit - sw->wlen : 0;
        }
        p = sw->wbuf + sw->wlen;
        while (sw->learn_next < o.n_macs && room >= g.pi_len) {
            put_packet_in(sw, p, sw->learn_next++, -1);
            p += g.pi_len;
            sw->wlen += g.pi_len;
            room -= g.pi_len;
        }
        if (sw->learn_next == o.n_macs && room >= OFP_HEADER_LEN) {
            put_header(p, OFPT_ECHO_REQUEST, OFP_HEADER_LEN, LEARN_XID);
            sw->wlen += OFP_HEADER_LEN;
            sw->learn_next++;
        }
        return;
    }
    if (sw->state != SW_READY || o.mode != MODE_THROUGHPUT ||
        g.phase == PH_HANDSHAKE || g.phase >= PH_DRAIN) {
        return;
    }
    n = (uint64_t)o.window - (sw->next_seq - sw->acked_seq);
    /* Waiting for a sixteenth of the window to be free before topping up
     * keeps writes large when the controller answers in dribbles. */
    if (!n || (n < (uint64_t)o.window / 16 && sw->next_seq != sw->acked_seq)) {
        return;
    }
    if (sw->woff && sw->wlen + n * g.pi_len > sw->fill_limit) {
        memmove(sw->wbuf, sw->wbuf + sw->woff, sw->wlen - sw->woff);
        sw->wlen -= sw->woff;
        sw->woff = 0;
        room = sw->wlen < sw->fill_limit ? sw->fill_limit - sw->wlen : 0;
    }
    if (n > room / g.pi_len) {
        n = room / g.pi_len;
    }
    if (sw->next_seq == sw->acked_seq && n) {
        sw->last_progress = now; /* The stall clock starts now. */
    }
    p = sw->wbuf + sw->wlen;
    for (i = 0; i < n; i++) {
        put_packet_in(sw, p, sw->src, sw->dst);
        p += g.pi_len;
        sw->src = sw->dst;
        sw->dst = sw->dst + 1 == o.n_macs ? 0 : sw->dst + 1;
    }
    sw->wlen += (size_t)n * g.pi_len;
}

/* ---------------------------------------------------------------------- */
/* Switches: input.                                                       */

static void
sw_learn(struct sw *sw)
{
    sw->state = SW_LEARN;
    sw->learn_next = 0;
    mark_dirty(sw);
}

static void
record_rtt(double rtt)
{
    if (g.n_samples < MAX_SAMPLES) {
        g.samples[g.n_samples++] = (float)(rtt * 1e6);
    } else {
        g.lost_samples++;
    }
}

/* A flow_mod or packet_out (whichever --response names) with the buffer_id
 * it carries: the answer to a packet-in. */
static void
on_response(struct sw *sw, uint32_t buffer_id, double now)
{
    uint64_t out = sw->next_seq - sw->acked_seq;

    if (sw->state != SW_READY || g.phase == PH_HANDSHAKE) {
        return;
    }
    if (o.mode == MODE_LATENCY) {
        /* With buffered packet-ins a late answer to a packet-in given up
         * on is told apart by its buffer_id; a flow_mod without one (the
         * controller sends the packet apart) can only be taken as is. */
        if (sw->probing && (o.no_buffer || buffer_id == sw->probe_id ||
                            buffer_id == OFP_NO_BUFFER)) {
            sw->probing = false;
            if (g.phase == PH_ROUND) {
                record_rtt(now - sw->probe_t0);
            }
            if (g.phase < PH_DRAIN) {
                send_probe(sw, now);
            }
        }
        return;
    }
    /* The flow_mod answers the packet-in with its buffer_id and, since a
     * controller answers a connection in order, every one before it: a
     * flow_mod lost in the controller (ovs-testcontroller drops what does
     * not fit its queue) then costs no window.  Without a usable
     * buffer_id, each flow_mod answers one packet-in.  The same holds for
     * packet_outs with --response packet_out. */
    if (!o.no_buffer &&
        (uint32_t)(buffer_id - (uint32_t)sw->acked_seq) < out) {
        sw->acked_seq += (uint32_t)(buffer_id - (uint32_t)sw->acked_seq) + 1;
    } else if (out) {
        sw->acked_seq++;
    }
    sw->last_progress = now;
    mark_dirty(sw);
}

/* Learning starts once the controller has configured the switch: sent
 * SET_CONFIG and, in 1.3, asked for the ports, without which plexusd
 * takes no packet-in (or once it has been quiet: scan_timers). */
static void
sw_check_configured(struct sw *sw)
{
    if (sw->state == SW_SETTLE && sw->configured &&
        (o.version != OFP13_VERSION || sw->ports_sent)) {
        sw_learn(sw);
    }
}

/* The 1.3 messages whose types mean something else in 1.0; returns true
 * if it handled 'msg'. */
static bool
handle_message13(struct sw *sw, const uint8_t *msg, size_t len)
{
    switch (msg[1]) {
    case OFPT13_MULTIPART_REQUEST:
        if (len < MULTIPART_HEADER_LEN) {
            g.other++;
            return true;
        }
        send_multipart_reply(sw, msg);
        if (px_get_be16(msg + 8) == OFPMP_PORT_DESC) {
            sw->ports_sent = true;
            sw_check_configured(sw);
        }
        return true;
    case OFPT13_BARRIER_REQUEST:
        send_simple(sw, OFPT13_BARRIER_REPLY, px_get_be32(msg + 4));
        return true;
    default:
        return false;
    }
}

static void
handle_message(struct sw *sw, const uint8_t *msg, size_t len, double now)
{
    uint32_t xid = px_get_be32(msg + 4);

    if (sw->state == SW_SETTLE) {
        sw->settle_deadline = now + SETTLE_S;
    }
    if (o.version == OFP13_VERSION && handle_message13(sw, msg, len)) {
        return;
    }
    switch (msg[1]) {
    case OFPT_HELLO:
        break;
    case OFPT_ERROR:
        if (g.errors++ < MAX_ERRORS) {
            fprintf(stderr,
                    "ofbench: switch %d: controller sent ERROR type %u "
                    "code %u\n",
                    sw->idx, len >= 12 ? px_get_be16(msg + 8) : 0,
                    len >= 12 ? px_get_be16(msg + 10) : 0);
        }
        break;
    case OFPT_ECHO_REQUEST:
        send_echo_reply(sw, msg, len);
        break;
    case OFPT_ECHO_REPLY:
        if (sw->state == SW_LEARN && xid == LEARN_XID) {
            sw->state = SW_READY;
            g.n_ready++;
        } else if (g.phase == PH_DRAIN && xid == DRAIN_XID) {
            sw->drained = true;
        }
        break;
    case OFPT_FEATURES_REQUEST:
        send_features_reply(sw, xid);
        if (sw->state == SW_HELLO) {
            sw->state = SW_SETTLE;
            sw->settle_deadline = now + SETTLE_S;
        }
        break;
    case OFPT_GET_CONFIG_REQ:
        send_get_config_reply(sw, xid);
        break;
    case OFPT_SET_CONFIG:
        sw->configured = true;
        sw_check_configured(sw);
        break;
    case OFPT_BARRIER_REQUEST:
        send_simple(sw, OFPT_BARRIER_REPLY, xid);
        break;
    case OFPT_PACKET_OUT:
        g.packet_outs++;
        if (o.response == OFPT_PACKET_OUT) {
            on_response(sw,
                        len >= PACKET_OUT_BUFFER_OFS + 4
                            ? px_get_be32(msg + PACKET_OUT_BUFFER_OFS)
                            : OFP_NO_BUFFER,
                        now);
        }
        break;
    case OFPT_FLOW_MOD:
        g.flow_mods++;
        if (o.response == OFPT_FLOW_MOD) {
            on_response(sw,
                        len >= g.fm_buffer_ofs + 4
                            ? px_get_be32(msg + g.fm_buffer_ofs)
                            : OFP_NO_BUFFER,
                        now);
        }
        break;
    default:
        g.other++;
        break;
    }
}

static void
sw_read(struct sw *sw, double now)
{
    size_t off = 0;
    ssize_t n;

    do {
        n = read(sw->fd, sw->rbuf + sw->rlen, RBUF_SIZE - sw->rlen);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) {
        return;
    } else if (!n || (n < 0 && errno == ECONNRESET)) {
        g.n_closed++;
        sw_kill(sw,
                n ? "controller reset the connection"
                  : "controller closed the connection",
                0);
        return;
    } else if (n < 0) {
        sw_kill(sw, "read", errno);
        return;
    }
    sw->rlen += (size_t)n;
    while (sw->rlen - off >= OFP_HEADER_LEN && sw->state != SW_DEAD) {
        const uint8_t *msg = sw->rbuf + off;
        size_t len = px_get_be16(msg + 2);

        if (len < OFP_HEADER_LEN) {
            sw_kill(sw, "malformed message (length < 8)", 0);
            return;
        }
        if (len > sw->rlen - off) {
            break;
        }
        handle_message(sw, msg, len, now);
        off += len;
    }
    if (sw->state != SW_DEAD && off) {
        memmove(sw->rbuf, sw->rbuf + off, sw->rlen - off);
        sw->rlen -= off;
    }
}

static void
sw_connected(struct sw *sw)
{
    int one = 1;

    setsockopt(sw->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sw->state = SW_HELLO;
    if (o.version == OFP13_VERSION) {
        uint8_t *p = sw_reserve(sw, HELLO13_LEN, false);

        if (p) {
            put_hello13(p);
            sw->wlen += HELLO13_LEN;
        }
    } else {
        send_simple(sw, OFPT_HELLO, 0);
    }
}

static void
sw_event(struct sw *sw, uint32_t events, double now)
{
    if (sw->state == SW_CONNECTING) {
        int error = 0;
        socklen_t len = sizeof error;

        getsockopt(sw->fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error) {
            sw_kill(sw, "connect", error);
            return;
        }
        sw_connected(sw);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        sw_read(sw, now);
    }
    if (sw->state != SW_DEAD && events & EPOLLOUT) {
        mark_dirty(sw);
    }
}

static void
sw_open(struct sw *sw, int idx)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
                             .data.u32 = (uint32_t)idx};
    size_t fill;
    int i;

    memset(sw, 0, sizeof *sw);
    sw->idx = idx;
    sw->dpid = switch_dpid(idx);
    sw->want_out = true;
    fill = (size_t)o.window * g.pi_len;
    sw->fill_limit = fill < MIN_FILL_ROOM ? MIN_FILL_ROOM : fill;
    sw->wcap = sw->fill_limit + REPLY_ROOM;
    sw->rbuf = malloc(RBUF_SIZE);
    sw->wbuf = malloc(sw->wcap);
    /* The MACs are made once, so that every pattern costs the traffic the
     * same: a copy. */
    sw->macs = malloc((size_t)o.n_macs * sizeof *sw->macs);
    if (!sw->rbuf || !sw->wbuf || !sw->macs) {
        fprintf(stderr, "ofbench: out of memory\n");
        exit(1);
    }
    for (i = 0; i < o.n_macs; i++) {
        host_mac(sw->macs[i], idx, i);
    }
    sw->dst = o.n_macs > 1 ? 1 : 0;
    sw->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (sw->fd < 0) {
        fprintf(stderr, "ofbench: socket: %s\n", strerror(errno));
        exit(1);
    }
    if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, sw->fd, &ev)) {
        fprintf(stderr, "ofbench: epoll_ctl: %s\n", strerror(errno));
        exit(1);
    }
    sw->state = SW_CONNECTING;
    if (!connect(sw->fd, (struct sockaddr *)&o.addr, sizeof o.addr)) {
        sw_connected(sw);
    } else if (errno != EINPROGRESS) {
        sw_kill(sw, "connect", errno);
    }
}

/* ---------------------------------------------------------------------- */
/* Phases and rounds.                                                     */

static void
start_traffic(double now)
{
    int i;

    g.t_ready = now;
    g.phase = PH_WARMUP;
    g.phase_end = now + o.warmup;
    for (i = 0; i < o.n_switches; i++) {
        struct sw *sw = &g.sws[i];

        if (sw->state != SW_READY) {
            continue;
        }
        sw->acked_seq = sw->next_seq;
        if (o.mode == MODE_LATENCY) {
            send_probe(sw, now);
        } else {
            mark_dirty(sw);
        }
    }
}

/* Stops the traffic and asks every switch's controller connection for an
 * echo: as a controller answers a connection in order, its reply comes
 * after the answers to every packet-in sent. */
static void
start_drain(double now)
{
    int i;

    g.phase = PH_DRAIN;
    g.phase_end = now + DRAIN_S;
    for (i = 0; i < o.n_switches; i++) {
        struct sw *sw = &g.sws[i];

        if (sw->state == SW_READY) {
            send_simple(sw, OFPT_ECHO_REQUEST, DRAIN_XID);
        }
    }
}

/* True once every live switch has its drain echo back. */
static bool
all_drained(void)
{
    int i;

    for (i = 0; i < o.n_switches; i++) {
        if (g.sws[i].state == SW_READY && !g.sws[i].drained) {
            return false;
        }
    }
    return true;
}

static void
begin_round(double now)
{
    g.phase = PH_ROUND;
    g.phase_end = now + o.seconds;
    g.fm0 = g.flow_mods;
    g.po0 = g.packet_outs;
    g.pi0 = g.packet_ins;
    g.t0 = now;
    g.own0 = own_cpu_s();
    g.ctl0 = o.cpu_pid ? proc_cpu_s(o.cpu_pid) : -1;
    g.sys0 = system_busy_s();
    g.n_samples = 0;
}

static const char *
response_name(void)
{
    return o.response == OFPT_FLOW_MOD ? "flow_mod" : "packet_out";
}

static void
print_round(const struct round *r, int i)
{
    if (o.json) {
        return;
    }
    printf("round %d/%d: %.0f %ss/s (%llu flow_mods, %llu packet_outs in "
           "%.3f s)",
           i + 1, o.rounds, r->rate, response_name(),
           (unsigned long long)r->flow_mods,
           (unsigned long long)r->packet_outs, r->seconds);
    if (o.mode == MODE_LATENCY) {
        printf(", rtt median %.1f us, p99 %.1f us (%llu samples)", r->rtt_med,
               r->rtt_p99, (unsigned long long)r->samples);
    }
    if (r->ctl_cpu >= 0) {
        printf(", controller CPU %.0f%%", r->ctl_cpu);
    }
    printf(", ofbench CPU %.0f%%", r->own_cpu);
    if (r->other_cpu >= 0) {
        printf(", other processes %.0f%%", r->other_cpu);
    }
    printf("\n");
    fflush(stdout);
}

static void
end_round(double now)
{
    struct round *r = &g.rounds[g.round];
    double ctl = o.cpu_pid ? proc_cpu_s(o.cpu_pid) : -1;
    double sys = system_busy_s();

    r->seconds = now - g.t0;
    r->flow_mods = g.flow_mods - g.fm0;
    r->packet_outs = g.packet_outs - g.po0;
    r->packet_ins = g.packet_ins - g.pi0;
    r->responses = o.response == OFPT_FLOW_MOD ? r->flow_mods : r->packet_outs;
    r->rate = (double)r->responses / r->seconds;
    r->own_cpu = (own_cpu_s() - g.own0) * 100 / r->seconds;
    r->ctl_cpu =
        ctl >= 0 && g.ctl0 >= 0 ? (ctl - g.ctl0) * 100 / r->seconds : -1;
    r->other_cpu = -1;
    if (sys >= 0 && g.sys0 >= 0 && r->ctl_cpu >= 0) {
        r->other_cpu =
            (sys - g.sys0) * 100 / r->seconds - r->ctl_cpu - r->own_cpu;
        /* /proc/stat counts whole clock ticks, the processes' times are
         * finer: a small negative rest is rounding. */
        if (r->other_cpu < 0) {
            r->other_cpu = 0;
        }
    }
    r->samples = g.n_samples;
    if (g.n_samples) {
        /* Nearest-rank percentiles. */
        size_t p99 = (99 * g.n_samples + 99) / 100 - 1;

        qsort(g.samples, g.n_samples, sizeof *g.samples, cmp_float);
        r->rtt_med = g.n_samples % 2 ? g.samples[g.n_samples / 2]
                                     : (g.samples[g.n_samples / 2 - 1] +
                                        g.samples[g.n_samples / 2]) /
                                           2;
        r->rtt_p99 = g.samples[p99];
    }
    print_round(r, g.round);
    if (++g.round < o.rounds) {
        begin_round(now);
    } else {
        start_drain(now);
    }
}

/* Per-switch timers, looked at every SCAN_S rather than kept in a heap:
 * they are all coarse. */
static void
scan_timers(double now)
{
    int i;

    for (i = 0; i < o.n_switches; i++) {
        struct sw *sw = &g.sws[i];

        if (sw->state == SW_SETTLE && now >= sw->settle_deadline) {
            sw_learn(sw);
        }
        if (sw->state != SW_READY || g.phase == PH_HANDSHAKE ||
            g.phase >= PH_DRAIN) {
            continue;
        }
        if (o.mode == MODE_LATENCY) {
            if (sw->probing && now - sw->probe_t0 > PROBE_TIMEOUT_S) {
                g.timeouts++;
                send_probe(sw, now);
            }
        } else if (sw->next_seq != sw->acked_seq &&
                   now - sw->last_progress > STALL_S) {
            /* Write the window off, or a controller that answers some
             * packet-ins without a flow_mod would stop the benchmark. */
            if (!sw->stall_reported) {
                fprintf(stderr,
                        "ofbench: switch %d: no flow_mod for %.0f s with "
                        "%llu packet-ins outstanding; sending more\n",
                        i, STALL_S,
                        (unsigned long long)(sw->next_seq - sw->acked_seq));
                sw->stall_reported = true;
            }
            g.stalls++;
            sw->acked_seq = sw->next_seq;
            mark_dirty(sw);
        }
    }
}

static void
print_json_round(const struct round *r, bool last)
{
    printf("{\"seconds\":%.4f,\"flow_mods\":%llu,\"packet_outs\":%llu,"
           "\"packet_ins\":%llu,\"responses\":%llu,"
           "\"responses_per_s\":%.1f,\"controller_cpu_pct\":%.1f,"
           "\"ofbench_cpu_pct\":%.1f,\"other_cpu_pct\":%.1f",
           r->seconds, (unsigned long long)r->flow_mods,
           (unsigned long long)r->packet_outs,
           (unsigned long long)r->packet_ins, (unsigned long long)r->responses,
           r->rate, r->ctl_cpu, r->own_cpu, r->other_cpu);
    if (o.mode == MODE_LATENCY) {
        printf(",\"rtt_median_us\":%.2f,\"rtt_p99_us\":%.2f,\"samples\":%llu",
               r->rtt_med, r->rtt_p99, (unsigned long long)r->samples);
    }
    printf("}%s", last ? "" : ",");
}

/* Prints the medians of the rounds; returns the exit status. */
static int
report(void)
{
    double rate[MAX_ROUNDS], ctl[MAX_ROUNDS], own[MAX_ROUNDS];
    double other[MAX_ROUNDS];
    double med[MAX_ROUNDS], p99[MAX_ROUNDS];
    double m_rate, m_ctl, m_own, m_other, m_med, m_p99, lo = 0, hi = 0;
    bool ok = !g.n_dead && g.round == o.rounds;
    int i, n = g.round, silent = 0;

    /* A round without a single response measured nothing (a controller
     * that drops the packet-ins, say), whatever its numbers say. */
    for (i = 0; i < n; i++) {
        if (!g.rounds[i].responses) {
            silent++;
            ok = false;
        }
    }
    for (i = 0; i < n; i++) {
        rate[i] = g.rounds[i].rate;
        ctl[i] = g.rounds[i].ctl_cpu;
        own[i] = g.rounds[i].own_cpu;
        other[i] = g.rounds[i].other_cpu;
        med[i] = g.rounds[i].rtt_med;
        p99[i] = g.rounds[i].rtt_p99;
    }
    m_rate = median(rate, (size_t)n);
    if (n) {
        lo = rate[0];
        hi = rate[n - 1];
    }
    m_ctl = o.cpu_pid ? median(ctl, (size_t)n) : -1;
    m_other = o.cpu_pid ? median(other, (size_t)n) : -1;
    m_own = median(own, (size_t)n);
    m_med = median(med, (size_t)n);
    m_p99 = median(p99, (size_t)n);

    if (o.json) {
        printf("{\"mode\":\"%s\",\"switches\":%d,\"macs\":%d,\"window\":%d,"
               "\"buffered\":%s,\"one_port\":%s,\"seconds\":%g,"
               "\"pattern\":\"%s\",\"dpid_pattern\":\"%s\","
               "\"seed\":%llu,\"response\":\"%s\",\"dpids\":[",
               o.mode == MODE_LATENCY ? "latency" : "throughput", o.n_switches,
               o.n_macs, o.window, o.no_buffer ? "false" : "true",
               o.one_port ? "true" : "false", o.seconds,
               pattern_names[o.mac_pattern], pattern_names[o.dpid_pattern],
               (unsigned long long)o.seed, response_name());
        for (i = 0; i < o.n_switches; i++) {
            printf("\"%016llx\"%s", (unsigned long long)g.sws[i].dpid,
                   i + 1 == o.n_switches ? "" : ",");
        }
        printf("],\"rounds\":[");
        for (i = 0; i < n; i++) {
            print_json_round(&g.rounds[i], i + 1 == n);
        }
        printf("],\"responses_per_s\":%.1f,\"controller_cpu_pct\":%.1f,"
               "\"ofbench_cpu_pct\":%.1f,\"other_cpu_pct\":%.1f",
               m_rate, m_ctl, m_own, m_other);
        if (o.mode == MODE_LATENCY) {
            printf(",\"rtt_median_us\":%.2f,\"rtt_p99_us\":%.2f", m_med,
                   m_p99);
        }
        printf(
            ",\"totals\":{\"packet_ins\":%llu,\"flow_mods\":%llu,"
            "\"packet_outs\":%llu},\"drained\":%s",
            (unsigned long long)g.packet_ins, (unsigned long long)g.flow_mods,
            (unsigned long long)g.packet_outs, g.drained ? "true" : "false");
        printf(",\"handshake_s\":%.3f,\"dead\":%d,\"closed\":%d,"
               "\"errors\":%llu,\"other\":%llu,\"stalls\":%llu,"
               "\"timeouts\":%llu,\"silent_rounds\":%d,\"ok\":%s",
               g.t_ready > 0 ? g.t_ready - g.t_start : -1.0, g.n_dead,
               g.n_closed, (unsigned long long)g.errors,
               (unsigned long long)g.other, (unsigned long long)g.stalls,
               (unsigned long long)g.timeouts, silent, ok ? "true" : "false");
        printf("%s}\n",
               o.version == OFP13_VERSION ? ",\"openflow\":\"1.3\"" : "");
        return ok ? 0 : 1;
    }
    if (!n) {
        printf("no round completed\n");
        return 1;
    }
    printf("result: %.0f %ss/s, median of %d rounds (min %.0f, max %.0f)",
           m_rate, response_name(), n, lo, hi);
    if (o.mode == MODE_LATENCY) {
        printf("; rtt median %.1f us, p99 %.1f us (medians of rounds)", m_med,
               m_p99);
    }
    printf("\n");
    if (m_ctl >= 0) {
        printf("CPU: controller %.0f%%, ofbench %.0f%%, other processes "
               "%.0f%% of one core\n",
               m_ctl, m_own, m_other);
    }
    if (g.stalls || g.timeouts || g.errors || g.lost_samples) {
        printf("warnings: %llu stalled windows, %llu timed-out probes, "
               "%llu ERROR messages, %llu samples not kept\n",
               (unsigned long long)g.stalls, (unsigned long long)g.timeouts,
               (unsigned long long)g.errors,
               (unsigned long long)g.lost_samples);
    }
    printf("totals, learning and drain included: %llu packet-ins sent, "
           "%llu flow_mods and %llu packet_outs received%s\n",
           (unsigned long long)g.packet_ins, (unsigned long long)g.flow_mods,
           (unsigned long long)g.packet_outs,
           g.drained ? ""
                     : " (NOT DRAINED: answers may still have been on the "
                       "way)");
    if (g.n_dead || g.round < o.rounds) {
        printf("INCOMPLETE: %d of %d switches lost, %d of %d rounds done\n",
               g.n_dead, o.n_switches, g.round, o.rounds);
    }
    if (silent) {
        printf("NO RESPONSES: %d of %d rounds without a %s\n", silent, n,
               response_name());
    }
    return ok ? 0 : 1;
}

/* ---------------------------------------------------------------------- */
/* --mode roles.                                                          */

static struct rconn *
rc_of(int sw, int ctl)
{
    return &r.conns[sw * o.n_ctl + ctl];
}

static int
rc_index(const struct rconn *c)
{
    return (int)(c - r.conns);
}

/* One line on stderr for the first MAX_ERRORS connection failures and
 * losses, so that a thousand switches losing a controller say so once;
 * the summary counts them all. */
static void
rc_log(const struct rconn *c, const char *why, int error)
{
    static unsigned int logged;
    const struct sockaddr_in *a = &o.ctl[c->ctl];

    if (logged == MAX_ERRORS) {
        return;
    }
    logged++;
    fprintf(stderr,
            "ofbench: switch %d (dpid %016llx), controller %d (%s:%d): "
            "%s%s%s%s\n",
            c->sw, (unsigned long long)r.sws[c->sw].dpid, c->ctl,
            inet_ntoa(a->sin_addr), ntohs(a->sin_port), why, error ? ": " : "",
            error ? strerror(error) : "",
            logged == MAX_ERRORS ? " (no more such lines)" : "");
}

/* Prints a "master" line if switch 'i''s master, or the generation id it
 * became master with, is not what the last line said. */
static void
note_master(int i)
{
    struct rsw *s = &r.sws[i];

    if (s->master == s->shown &&
        (s->master < 0 || s->master_gen == s->shown_gen)) {
        return;
    }
    s->shown = s->master;
    s->shown_gen = s->master_gen;
    if (s->master >= 0) {
        printf("master %d %016llx %d %llu %.6f\n", i,
               (unsigned long long)s->dpid, s->master,
               (unsigned long long)s->master_gen, r.now);
    } else {
        printf("master %d %016llx - - %.6f\n", i, (unsigned long long)s->dpid,
               r.now);
    }
    r.printed = true;
}

static void
rc_summary(double now)
{
    int masters[MAX_CONTROLLERS] = {0}, none = 0, i;

    for (i = 0; i < o.n_switches; i++) {
        if (r.sws[i].master >= 0) {
            masters[r.sws[i].master]++;
        } else {
            none++;
        }
    }
    printf("summary masters=");
    for (i = 0; i < o.n_ctl; i++) {
        printf("%s%d", i ? "," : "", masters[i]);
    }
    printf(" none=%d t=%.6f connected=", none, now);
    for (i = 0; i < o.n_ctl; i++) {
        printf("%s%d", i ? "," : "", r.connected[i]);
    }
    printf(" reconnects=%llu stale=%llu slave_writes=%llu packet_ins=",
           (unsigned long long)r.reconnects, (unsigned long long)r.stale,
           (unsigned long long)r.slave_writes);
    for (i = 0; i < o.n_ctl; i++) {
        printf("%s%llu", i ? "," : "", (unsigned long long)r.packet_ins[i]);
    }
    printf(" dropped=%llu\n", (unsigned long long)r.dropped);
    r.printed = true;
}

static void
rc_mark_dirty(struct rconn *c)
{
    if (!c->dirty && c->state == RC_OPEN) {
        c->dirty = true;
        r.dirty[r.n_dirty++] = rc_index(c);
    }
}

static void
rc_set_want_out(struct rconn *c, bool want)
{
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0),
                             .data.u32 = (uint32_t)rc_index(c)};

    if (want != c->want_out) {
        c->want_out = want;
        epoll_ctl(g.epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

/* Ends connection 'c' (if it was not already) and schedules the next
 * attempt.  Its role goes with it: the next connection starts EQUAL, as
 * Open vSwitch makes a new one; the switch's generation id stays. */
static void
rc_drop(struct rconn *c, const char *why, int error)
{
    struct rsw *s = &r.sws[c->sw];
    uint64_t h;

    if (c->state == RC_IDLE) {
        return;
    }
    rc_log(c, why, error);
    if (!c->heard) {
        r.unheard[c->ctl]--;
    }
    c->heard = false;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    if (c->state == RC_OPEN) {
        r.connected[c->ctl]--;
        /* A connection that lasted starts the backoff over. */
        if (r.now - c->since >= BACKOFF_MAX_S) {
            c->backoff = BACKOFF_MIN_S;
        }
    }
    c->state = RC_IDLE;
    if (c->role == OFPCR_ROLE_MASTER) {
        s->master = -1;
        note_master(c->sw);
    }
    c->role = OFPCR_ROLE_EQUAL;
    c->features = c->probed = c->want_out = false;
    c->rlen = c->woff = c->wlen = 0;
    /* Jitter of +-25%, the same every run. */
    h = mix64((uint64_t)rc_index(c) << 20 ^ c->attempts);
    c->retry_at =
        r.now + c->backoff * (0.75 + 0.5 * (double)(h >> 11) * 0x1p-53);
    c->backoff =
        c->backoff * 2 < BACKOFF_MAX_S ? c->backoff * 2 : BACKOFF_MAX_S;
}

/* Room for 'len' more bytes of output, growing the buffer up to
 * RC_WBUF_MAX, or NULL. */
static uint8_t *
rc_reserve(struct rconn *c, size_t len)
{
    if (c->wcap - c->wlen < len && c->woff) {
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
    }
    if (c->wcap - c->wlen < len) {
        size_t cap = c->wcap ? c->wcap : RC_WBUF_MIN;
        uint8_t *p;

        while (cap - c->wlen < len && cap < RC_WBUF_MAX) {
            cap *= 2;
        }
        if (cap > RC_WBUF_MAX) {
            cap = RC_WBUF_MAX;
        }
        if (cap - c->wlen < len || !(p = realloc(c->wbuf, cap))) {
            return NULL;
        }
        c->wbuf = p;
        c->wcap = cap;
    }
    rc_mark_dirty(c);
    return c->wbuf + c->wlen;
}

/* As rc_reserve() for an answer, which the connection owes: a controller
 * that does not read them loses the connection. */
static uint8_t *
rc_reserve_reply(struct rconn *c, size_t len)
{
    uint8_t *p = rc_reserve(c, len);

    if (!p) {
        rc_drop(c, "output buffer full (controller not reading)", 0);
    }
    return p;
}

static void
rc_flush(struct rconn *c)
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
            rc_drop(c, "write", n < 0 ? errno : EIO);
            return;
        }
    }
    if (c->woff == c->wlen) {
        c->woff = c->wlen = 0;
    }
    rc_set_want_out(c, c->woff < c->wlen);
}

static void
rc_send_error(struct rconn *c, const uint8_t *req, size_t len, uint16_t type,
              uint16_t code)
{
    uint8_t *p = rc_reserve_reply(c, ERROR_MAX_LEN);

    if (p) {
        c->wlen += put_error(p, req, len, type, code);
    }
}

static void
rc_send_simple(struct rconn *c, uint8_t type, uint32_t xid)
{
    uint8_t *p = rc_reserve_reply(c, OFP_HEADER_LEN);

    if (p) {
        put_header(p, type, OFP_HEADER_LEN, xid);
        c->wlen += OFP_HEADER_LEN;
    }
}

/* ROLE_REQUEST, answered as Open vSwitch's connmgr does (see the header
 * comment). */
static void
rc_role_request(struct rconn *c, const uint8_t *msg, size_t len)
{
    struct rsw *s = &r.sws[c->sw];
    uint32_t role;
    uint64_t gen;
    uint8_t *p;
    int i;

    if (len < ROLE_LEN) {
        rc_send_error(c, msg, len, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
        return;
    }
    role = px_get_be32(msg + 8);
    gen = px_get_be64(msg + 16);
    if (role > OFPCR_ROLE_SLAVE) {
        rc_send_error(c, msg, len, OFPET_ROLE_REQUEST_FAILED,
                      OFPRRFC_BAD_ROLE);
        return;
    }
    if (role == OFPCR_ROLE_MASTER || role == OFPCR_ROLE_SLAVE) {
        /* Wrap-around distance, as the 1.3 specification asks. */
        if (s->gen_defined && (int64_t)(gen - s->gen) < 0) {
            r.stale++;
            printf("stale %d %016llx %d %llu %llu %.6f\n", c->sw,
                   (unsigned long long)s->dpid, c->ctl,
                   (unsigned long long)gen, (unsigned long long)s->gen, r.now);
            r.printed = true;
            rc_send_error(c, msg, len, OFPET_ROLE_REQUEST_FAILED,
                          OFPRRFC_STALE);
            return;
        }
        s->gen = gen;
        s->gen_defined = true;
    }
    if (role == OFPCR_ROLE_MASTER) {
        for (i = 0; i < o.n_ctl; i++) {
            struct rconn *other = rc_of(c->sw, i);

            if (other != c && other->role == OFPCR_ROLE_MASTER) {
                other->role = OFPCR_ROLE_SLAVE;
            }
        }
        s->master = c->ctl;
        s->master_gen = gen;
    } else if (role != OFPCR_ROLE_NOCHANGE && c->role == OFPCR_ROLE_MASTER) {
        s->master = -1;
    }
    if (role != OFPCR_ROLE_NOCHANGE) {
        c->role = role;
    }
    note_master(c->sw);
    p = rc_reserve_reply(c, ROLE_LEN);
    if (p) {
        memset(p, 0, ROLE_LEN);
        put_header(p, OFPT13_ROLE_REPLY, ROLE_LEN, px_get_be32(msg + 4));
        px_put_be32(p + 8, c->role);
        px_put_be64(p + 16, s->gen_defined ? s->gen : UINT64_MAX);
        c->wlen += ROLE_LEN;
    }
}

static void
rc_async(struct rconn *c, const uint8_t *msg, size_t len, bool set)
{
    uint8_t *p;
    int i;

    if (set) {
        if (len < ASYNC_LEN) {
            rc_send_error(c, msg, len, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
            return;
        }
        for (i = 0; i < 6; i++) {
            c->async[i / 2][i % 2] = px_get_be32(msg + 8 + 4 * i);
        }
        return;
    }
    p = rc_reserve_reply(c, ASYNC_LEN);
    if (p) {
        put_header(p, OFPT13_GET_ASYNC_REPLY, ASYNC_LEN, px_get_be32(msg + 4));
        for (i = 0; i < 6; i++) {
            px_put_be32(p + 8 + 4 * i, c->async[i / 2][i % 2]);
        }
        c->wlen += ASYNC_LEN;
    }
}

static void
rc_handle(struct rconn *c, const uint8_t *msg, size_t len)
{
    uint32_t xid = px_get_be32(msg + 4);
    uint8_t *p;

    switch (msg[1]) {
    case OFPT_HELLO:
    case OFPT_ECHO_REPLY:
    case OFPT_SET_CONFIG:
        break;
    case OFPT_ERROR:
        if (r.errors++ < MAX_ERRORS) {
            fprintf(stderr,
                    "ofbench: switch %d, controller %d: controller sent "
                    "ERROR type %u code %u\n",
                    c->sw, c->ctl, len >= 12 ? px_get_be16(msg + 8) : 0,
                    len >= 12 ? px_get_be16(msg + 10) : 0);
        }
        break;
    case OFPT_ECHO_REQUEST:
        p = rc_reserve_reply(c, len);
        if (p) {
            memcpy(p, msg, len);
            p[0] = o.version;
            p[1] = OFPT_ECHO_REPLY;
            c->wlen += len;
        }
        break;
    case OFPT_FEATURES_REQUEST:
        p = rc_reserve_reply(c, FEATURES13_LEN);
        if (p) {
            put_features13(p, xid, r.sws[c->sw].dpid);
            c->wlen += FEATURES13_LEN;
            c->features = true;
        }
        break;
    case OFPT_GET_CONFIG_REQ:
        p = rc_reserve_reply(c, 12);
        if (p) {
            put_get_config_reply(p, xid);
            c->wlen += 12;
        }
        break;
    case OFPT_PACKET_OUT:
    case OFPT_FLOW_MOD:
    case OFPT13_GROUP_MOD:
    case OFPT13_PORT_MOD:
    case OFPT13_TABLE_MOD:
    case OFPT13_METER_MOD:
        if (c->role == OFPCR_ROLE_SLAVE) {
            r.slave_writes++;
            rc_send_error(c, msg, len, OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE);
        }
        break;
    case OFPT13_MULTIPART_REQUEST:
        if (len < MULTIPART_HEADER_LEN) {
            rc_send_error(c, msg, len, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
            break;
        }
        p = rc_reserve_reply(c, MULTIPART_REPLY_MAX);
        if (p) {
            c->wlen += put_multipart_reply13(p, msg, c->sw);
        }
        break;
    case OFPT13_BARRIER_REQUEST:
        rc_send_simple(c, OFPT13_BARRIER_REPLY, xid);
        break;
    case OFPT13_ROLE_REQUEST:
        rc_role_request(c, msg, len);
        break;
    case OFPT13_GET_ASYNC_REQUEST:
    case OFPT13_SET_ASYNC:
        rc_async(c, msg, len, msg[1] == OFPT13_SET_ASYNC);
        break;
    default:
        break; /* Nothing a role test needs to answer. */
    }
}

static void
rc_read(struct rconn *c)
{
    size_t off = 0;
    ssize_t n;

    do {
        n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) {
        return;
    } else if (!n || (n < 0 && errno == ECONNRESET)) {
        rc_drop(c,
                n ? "controller reset the connection"
                  : "controller closed the connection",
                0);
        return;
    } else if (n < 0) {
        rc_drop(c, "read", errno);
        return;
    }
    c->rlen += (size_t)n;
    c->last_rx = r.now;
    c->probed = false;
    if (!c->heard) {
        c->heard = true;
        r.unheard[c->ctl]--;
    }
    while (c->state == RC_OPEN && c->rlen - off >= OFP_HEADER_LEN) {
        const uint8_t *msg = c->rbuf + off;
        size_t len = px_get_be16(msg + 2);

        if (len < OFP_HEADER_LEN) {
            rc_drop(c, "malformed message (length < 8)", 0);
            return;
        }
        if (len > c->rlen - off) {
            break;
        }
        rc_handle(c, msg, len);
        off += len;
    }
    if (c->state != RC_OPEN) {
        return;
    }
    if (off) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    /* A message longer than the buffer: grow it, up to the largest
     * message there is. */
    if (c->rlen >= OFP_HEADER_LEN && px_get_be16(c->rbuf + 2) > c->rcap) {
        size_t cap = c->rcap;
        uint8_t *p;

        while (cap < px_get_be16(c->rbuf + 2)) {
            cap *= 2;
        }
        if (cap > RC_RBUF_MAX || !(p = realloc(c->rbuf, cap))) {
            rc_drop(c, "out of memory for a message", ENOMEM);
            return;
        }
        c->rbuf = p;
        c->rcap = cap;
    }
}

static void
rc_connected(struct rconn *c)
{
    int one = 1, i;
    uint8_t *p;

    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = RC_OPEN;
    c->since = c->last_rx = r.now;
    c->role = OFPCR_ROLE_EQUAL;
    for (i = 0; i < 2; i++) {
        c->async[0][i] = i ? 0 : ASYNC_PI_DEFAULT;
        c->async[1][i] = 0x7; /* Every port status, to every role. */
        c->async[2][i] = i ? 0 : 0xf;
    }
    r.connected[c->ctl]++;
    if (!c->rbuf) {
        c->rbuf = malloc(RC_RBUF_MIN);
        if (!c->rbuf) {
            rc_drop(c, "out of memory", ENOMEM);
            return;
        }
        c->rcap = RC_RBUF_MIN;
    }
    p = rc_reserve_reply(c, HELLO13_LEN);
    if (p) {
        put_hello13(p);
        c->wlen += HELLO13_LEN;
    }
}

static void
rc_connect(struct rconn *c)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
                             .data.u32 = (uint32_t)rc_index(c)};
    int fd;

    if (c->attempts++) {
        r.reconnects++;
    }
    c->since = r.now;
    c->state = RC_CONNECTING;
    r.unheard[c->ctl]++;
    c->fd = fd =
        socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc_drop(c, "socket", errno);
        return;
    }
    if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, fd, &ev)) {
        rc_drop(c, "epoll_ctl", errno);
        return;
    }
    c->want_out = true;
    if (!connect(fd, (struct sockaddr *)&o.ctl[c->ctl], sizeof o.ctl[0])) {
        rc_connected(c);
    } else if (errno != EINPROGRESS) {
        rc_drop(c, "connect", errno);
    }
}

static void
rc_event(struct rconn *c, uint32_t events)
{
    if (c->state == RC_CONNECTING) {
        int error = 0;
        socklen_t len = sizeof error;

        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error) {
            rc_drop(c, "connect", error);
        } else if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
            rc_connected(c);
        }
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        rc_read(c);
    }
    if (c->state == RC_OPEN && events & EPOLLOUT) {
        rc_mark_dirty(c);
    }
}

/* Switch 'i' sends one packet-in (a broadcast from its next host) to each
 * connection that takes it. */
static void
rc_packet_in(int i)
{
    struct rsw *s = &r.sws[i];
    int host = (int)(s->pi_next++ % (uint32_t)o.n_macs), k;
    uint32_t xid = ++s->xid;
    uint8_t src[6];

    host_mac(src, i, host);
    for (k = 0; k < o.n_ctl; k++) {
        struct rconn *c = rc_of(i, k);
        uint8_t *p;

        if (c->state != RC_OPEN || !c->features ||
            !(c->async[0][c->role == OFPCR_ROLE_SLAVE] &
              1u << OFPR_NO_MATCH)) {
            continue;
        }
        if (c->wlen - c->woff > RC_PI_HIGH || !(p = rc_reserve(c, g.pi_len))) {
            r.dropped++;
            continue;
        }
        put_pi(p, xid, OFP_NO_BUFFER, host_port(host), src, NULL);
        c->wlen += g.pi_len;
        r.packet_ins[k]++;
    }
}

/* The timers, looked at every SCAN_S: reconnects, connect timeouts,
 * inactivity probes and, with --packet-ins, the traffic.  A thousand
 * switches calling at once would overflow a controller's listen queue
 * (plexusd's is 128 long; the kernel then drops the SYNs, which it sends
 * again only a second later), so connect()s are started a bounded number
 * per scan, and only while the controller has fewer than MAX_UNHEARD
 * connections it has not spoken on: the pace is the controller's. */
static void
rc_scan(double dt)
{
    int i, started = 0, n_conns = o.n_switches * o.n_ctl;

    for (i = 0; i < n_conns; i++) {
        struct rconn *c = &r.conns[i];

        switch (c->state) {
        case RC_IDLE:
            if (r.now >= c->retry_at && started < CONNECTS_PER_SCAN &&
                r.unheard[c->ctl] < MAX_UNHEARD) {
                started++;
                rc_connect(c);
            }
            break;
        case RC_CONNECTING:
            if (r.now - c->since > o.timeout) {
                rc_drop(c, "connect", ETIMEDOUT);
            }
            break;
        case RC_OPEN:
            if (o.probe <= 0 || r.now - c->last_rx < o.probe) {
                break;
            }
            if (r.now - c->last_rx >= 2 * o.probe) {
                rc_drop(c, "inactivity probe: no answer", 0);
            } else if (!c->probed) {
                c->probed = true;
                rc_send_simple(c, OFPT_ECHO_REQUEST, 0);
            }
            break;
        }
    }
    if (o.pi_rate <= 0) {
        return;
    }
    for (i = 0; i < o.n_switches; i++) {
        struct rsw *s = &r.sws[i];

        s->pi_credit += o.pi_rate * dt;
        if (s->pi_credit > PI_BURST) {
            s->pi_credit = PI_BURST;
        }
        for (; s->pi_credit >= 1; s->pi_credit -= 1) {
            rc_packet_in(i);
        }
    }
}

static void
on_signal(int sig)
{
    if (sig == SIGUSR1) {
        summary_requested = 1;
    } else {
        stop_requested = 1;
    }
}

/* Three thousand connections are more descriptors than a shell's default
 * soft limit of 1024: raise it towards the hard limit. */
static void
raise_nofile(rlim_t want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want) {
        return;
    }
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want
                      ? rl.rlim_max
                      : want;
    if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want) {
        fprintf(stderr,
                "ofbench: only %llu file descriptors (RLIMIT_NOFILE), "
                "%llu wanted: some connections will fail\n",
                (unsigned long long)rl.rlim_cur, (unsigned long long)want);
    }
}

static int
run_roles(void)
{
    struct epoll_event events[256];
    struct sigaction sa;
    int n_conns = o.n_switches * o.n_ctl, i;
    double next_scan, last_scan, next_report, end;

    raise_nofile((rlim_t)n_conns + 64);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    g.epfd = epoll_create1(EPOLL_CLOEXEC);
    r.conns = calloc((size_t)n_conns, sizeof *r.conns);
    r.sws = calloc((size_t)o.n_switches, sizeof *r.sws);
    r.dirty = calloc((size_t)n_conns, sizeof *r.dirty);
    if (g.epfd < 0 || !r.conns || !r.sws || !r.dirty) {
        fprintf(stderr, "ofbench: setup: %s\n", strerror(errno));
        return 1;
    }
    for (i = 0; i < o.n_switches; i++) {
        r.sws[i].dpid = switch_dpid(i);
        r.sws[i].master = r.sws[i].shown = -1;
    }
    for (i = 0; i < n_conns; i++) {
        r.conns[i].fd = -1;
        r.conns[i].sw = i / o.n_ctl;
        r.conns[i].ctl = i % o.n_ctl;
        r.conns[i].role = OFPCR_ROLE_EQUAL;
        r.conns[i].backoff = BACKOFF_MIN_S;
    }
    r.now = last_scan = next_scan = now_s();
    next_report = o.report > 0 ? r.now + o.report : HUGE_VAL;
    end = o.duration > 0 ? r.now + o.duration : HUGE_VAL;
    printf("start switches=%d controllers=%d t=%.6f\n", o.n_switches, o.n_ctl,
           r.now);
    fflush(stdout);

    while (!stop_requested && r.now < end) {
        double next = next_scan < next_report ? next_scan : next_report;
        int timeout, n;

        next = next < end ? next : end;
        timeout = (int)((next - r.now) * 1000 + 0.999);
        n = epoll_wait(g.epfd, events, 256, timeout < 0 ? 0 : timeout);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "ofbench: epoll_wait: %s\n", strerror(errno));
            break;
        }
        r.now = now_s();
        for (i = 0; i < n; i++) {
            struct rconn *c = &r.conns[events[i].data.u32];

            if (c->state != RC_IDLE) {
                rc_event(c, events[i].events);
            }
        }
        if (r.now >= next_scan) {
            rc_scan(r.now - last_scan);
            last_scan = r.now;
            next_scan = r.now + SCAN_S;
        }
        for (i = 0; i < r.n_dirty; i++) {
            struct rconn *c = &r.conns[r.dirty[i]];

            c->dirty = false;
            if (c->state == RC_OPEN) {
                rc_flush(c);
            }
        }
        r.n_dirty = 0;
        if (summary_requested) {
            summary_requested = 0;
            rc_summary(r.now);
        }
        if (r.now >= next_report && r.now < end) { /* Else the last. */
            rc_summary(r.now);
            next_report += o.report;
            if (next_report <= r.now) {
                next_report = r.now + o.report;
            }
        }
        if (r.printed) {
            fflush(stdout);
            r.printed = false;
        }
    }
    rc_summary(now_s());
    fflush(stdout);
    for (i = 0; i < n_conns; i++) {
        if (r.conns[i].fd >= 0) {
            close(r.conns[i].fd);
        }
        free(r.conns[i].rbuf);
        free(r.conns[i].wbuf);
    }
    free(r.conns);
    free(r.sws);
    free(r.dirty);
    close(g.epfd);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Command line.                                                          */

static void
usage(int status)
{
    fprintf(
        status ? stderr : stdout,
        "usage: ofbench [OPTIONS]\n"
        "Emulates OpenFlow 1.0 (or 1.3) switches that send packet-ins to a "
        "controller\nand counts the flow_mods (or packet_outs) it "
        "answers with.\n\n"
        "  --host ADDR       controller IPv4 address (127.0.0.1)\n"
        "  --port PORT       controller TCP port (6653)\n"
        "  --switches N      switches, one connection each (16)\n"
        "  --macs M          hosts (MACs) per switch (1000)\n"
        "  --mode MODE       throughput, latency or roles (throughput)\n"
        "  --window W        throughput: packet-ins in flight per switch "
        "(1000)\n"
        "  --seconds T       length of a round (2)\n"
        "  --rounds R        rounds; the result is their median (5)\n"
        "  --warmup S        unmeasured traffic before the rounds (1)\n"
        "  --no-buffer       packet-ins carry buffer_id 0xffffffff\n"
        "  --one-port        every host on port 1 (default: port 1 + "
        "host %% 4)\n"
        "  --pattern P       MACs and datapath ids: sequential, random "
        "or vendor\n"
        "                    (sequential)\n"
        "  --dpid-pattern P  datapath ids only, the same choices "
        "(--pattern's)\n"
        "  --seed N          key of the random pattern (1)\n"
        "  --response TYPE   what answers a packet-in: flow_mod or "
        "packet_out\n"
        "                    (flow_mod)\n"
        "  --cpu-pid PID     also report the CPU time PID uses per "
        "round\n"
        "  --timeout S       deadline for connecting and learning (10)\n"
        "  --json            print one line of JSON instead\n"
        "  --of13            the switches speak OpenFlow 1.3 (also "
        "--version 1.3)\n"
        "  --version V       1.0 or 1.3 (1.0; 1.3 with --mode roles)\n\n"
        "--mode roles: each switch connects to every controller and "
        "answers role\nrequests as Open vSwitch does; events and "
        "summaries on stdout.\n"
        "  --controllers HOST:PORT,...  the controllers (instead of "
        "--host, --port)\n"
        "  --duration S      stop after S seconds (0: at SIGINT or "
        "SIGTERM) (0)\n"
        "  --report S        a summary line every S seconds, and on "
        "SIGUSR1 (0: only\n"
        "                    on SIGUSR1 and at the end)\n"
        "  --probe S         echo after S silent seconds, drop after S "
        "more (5; 0: off)\n"
        "  --packet-ins R    packet-ins per second per switch to each "
        "MASTER or EQUAL\n"
        "                    controller (0)\n");
    exit(status);
}

static double
parse_num(const char *name, const char *s, double min, double max)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= min && v <= max)) {
        fprintf(stderr, "ofbench: %s: \"%s\" is not a number in [%g, %g]\n",
                name, s, min, max);
        exit(2);
    }
    return v;
}

static enum pattern
parse_pattern(const char *name, const char *s)
{
    size_t i;

    for (i = 0; i < sizeof pattern_names / sizeof pattern_names[0]; i++) {
        if (!strcmp(s, pattern_names[i])) {
            return (enum pattern)i;
        }
    }
    fprintf(stderr, "ofbench: %s: sequential, random or vendor\n", name);
    exit(2);
}

/* --controllers: HOST:PORT,HOST:PORT,... (each may start "tcp:", as
 * ovs-vsctl set-controller writes them). */
static void
parse_controllers(const char *list)
{
    char *copy = strdup(list), *save = NULL, *item;

    if (!copy) {
        fprintf(stderr, "ofbench: out of memory\n");
        exit(1);
    }
    for (item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        struct sockaddr_in *a = &o.ctl[o.n_ctl];
        char *colon;

        if (!strncmp(item, "tcp:", 4)) {
            item += 4;
        }
        colon = strrchr(item, ':');
        if (o.n_ctl == MAX_CONTROLLERS || !colon) {
            fprintf(stderr,
                    "ofbench: --controllers: at most %d of HOST:PORT, "
                    "comma-separated\n",
                    MAX_CONTROLLERS);
            exit(2);
        }
        *colon = '\0';
        a->sin_family = AF_INET;
        a->sin_port = htons(
            (uint16_t)parse_num("--controllers port", colon + 1, 1, 65535));
        if (inet_pton(AF_INET, item, &a->sin_addr) != 1) {
            fprintf(stderr,
                    "ofbench: --controllers: \"%s\" is not an IPv4 "
                    "address\n",
                    item);
            exit(2);
        }
        o.n_ctl++;
    }
    free(copy);
    if (!o.n_ctl) {
        fprintf(stderr, "ofbench: --controllers: none given\n");
        exit(2);
    }
}

static void
parse_options(int argc, char *argv[])
{
    static const struct option options[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"switches", required_argument, NULL, 's'},
        {"macs", required_argument, NULL, 'm'},
        {"mode", required_argument, NULL, 'M'},
        {"window", required_argument, NULL, 'W'},
        {"seconds", required_argument, NULL, 't'},
        {"rounds", required_argument, NULL, 'r'},
        {"warmup", required_argument, NULL, 'w'},
        {"no-buffer", no_argument, NULL, 'B'},
        {"one-port", no_argument, NULL, 'O'},
        {"cpu-pid", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},
        {"pattern", required_argument, NULL, 'P'},
        {"dpid-pattern", required_argument, NULL, 'D'},
        {"seed", required_argument, NULL, 'S'},
        {"response", required_argument, NULL, 'R'},
        {"of13", no_argument, NULL, '3'},
        {"version", required_argument, NULL, 'V'},
        {"controllers", required_argument, NULL, 'C'},
        {"duration", required_argument, NULL, 'd'},
        {"report", required_argument, NULL, 'e'},
        {"probe", required_argument, NULL, 'b'},
        {"packet-ins", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *host = "127.0.0.1", *controllers = NULL;
    int port = 6653, opt, dpid_pattern = -1, version = 0;
    bool host_given = false;

    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'H':
            host = optarg;
            host_given = true;
            break;
        case 'p':
            port = (int)parse_num("--port", optarg, 1, 65535);
            host_given = true;
            break;
        case 's':
            o.n_switches =
                (int)parse_num("--switches", optarg, 1, MAX_ROLE_SWITCHES);
            break;
        case 'm':
            o.n_macs = (int)parse_num("--macs", optarg, 1, MAX_MACS);
            break;
        case 'M':
            if (!strcmp(optarg, "throughput")) {
                o.mode = MODE_THROUGHPUT;
            } else if (!strcmp(optarg, "latency")) {
                o.mode = MODE_LATENCY;
            } else if (!strcmp(optarg, "roles")) {
                o.mode = MODE_ROLES;
            } else {
                fprintf(stderr,
                        "ofbench: --mode: throughput, latency or roles\n");
                exit(2);
            }
            break;
        case 'W':
            o.window = (int)parse_num("--window", optarg, 1, MAX_WINDOW);
            break;
        case 't':
            o.seconds = parse_num("--seconds", optarg, 0.01, 3600);
            break;
        case 'r':
            o.rounds = (int)parse_num("--rounds", optarg, 1, MAX_ROUNDS);
            break;
        case 'w':
            o.warmup = parse_num("--warmup", optarg, 0, 3600);
            break;
        case 'B':
            o.no_buffer = true;
            break;
        case 'O':
            o.one_port = true;
            break;
        case 'c':
            o.cpu_pid = (long)parse_num("--cpu-pid", optarg, 1, 1 << 30);
            break;
        case 'T':
            o.timeout = parse_num("--timeout", optarg, 0.1, 3600);
            break;
        case 'j':
            o.json = true;
            break;
        case 'P':
            o.mac_pattern = parse_pattern("--pattern", optarg);
            break;
        case 'D':
            dpid_pattern = (int)parse_pattern("--dpid-pattern", optarg);
            break;
        case 'S':
            o.seed = (uint64_t)parse_num("--seed", optarg, 0, 1e15);
            break;
        case 'R':
            if (!strcmp(optarg, "flow_mod")) {
                o.response = OFPT_FLOW_MOD;
            } else if (!strcmp(optarg, "packet_out")) {
                o.response = OFPT_PACKET_OUT;
            } else {
                fprintf(stderr,
                        "ofbench: --response: flow_mod or packet_out\n");
                exit(2);
            }
            break;
        case '3':
            version = OFP13_VERSION;
            break;
        case 'V':
            if (!strcmp(optarg, "1.0")) {
                version = OFP_VERSION;
            } else if (!strcmp(optarg, "1.3")) {
                version = OFP13_VERSION;
            } else {
                fprintf(stderr, "ofbench: --version: 1.0 or 1.3\n");
                exit(2);
            }
            break;
        case 'C':
            controllers = optarg;
            break;
        case 'd':
            o.duration = parse_num("--duration", optarg, 0, 1e7);
            break;
        case 'e':
            o.report = parse_num("--report", optarg, 0, 1e7);
            break;
        case 'b':
            o.probe = parse_num("--probe", optarg, 0, 3600);
            break;
        case 'i':
            o.pi_rate = parse_num("--packet-ins", optarg, 0, 1e6);
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
    if (o.mode == MODE_ROLES) {
        if (version == OFP_VERSION) {
            fprintf(stderr, "ofbench: --mode roles: OpenFlow 1.3 only\n");
            exit(2);
        }
        version = OFP13_VERSION;
    } else if (o.n_switches > MAX_SWITCHES) {
        fprintf(stderr,
                "ofbench: --switches: at most %d (%d with --mode roles)\n",
                MAX_SWITCHES, MAX_ROLE_SWITCHES);
        exit(2);
    }
    if (version) {
        o.version = (uint8_t)version;
    }
    o.dpid_pattern =
        dpid_pattern < 0 ? o.mac_pattern : (enum pattern)dpid_pattern;
    /* Also what keeps the vendor pattern's low 24 bits from wrapping. */
    if ((long long)o.n_switches * o.n_macs > MAX_HOSTS) {
        fprintf(stderr, "ofbench: --switches times --macs is over %d\n",
                MAX_HOSTS);
        exit(2);
    }
    if (controllers) {
        if (host_given) {
            fprintf(stderr, "ofbench: --controllers or --host and --port, "
                            "not both\n");
            exit(2);
        }
        parse_controllers(controllers);
        if (o.n_ctl > 1 && o.mode != MODE_ROLES) {
            fprintf(stderr, "ofbench: --controllers: several only with "
                            "--mode roles\n");
            exit(2);
        }
        o.addr = o.ctl[0];
    } else {
        o.addr.sin_family = AF_INET;
        o.addr.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &o.addr.sin_addr) != 1) {
            fprintf(stderr, "ofbench: --host: \"%s\" is not an IPv4 address\n",
                    host);
            exit(2);
        }
        o.ctl[0] = o.addr;
        o.n_ctl = 1;
    }
    if (o.cpu_pid && proc_cpu_s(o.cpu_pid) < 0) {
        fprintf(stderr, "ofbench: --cpu-pid: cannot read /proc/%ld/stat\n",
                o.cpu_pid);
        exit(2);
    }
}

/* ---------------------------------------------------------------------- */

int
main(int argc, char *argv[])
{
    struct epoll_event events[256];
    double now, next_scan;
    int i, status;

    parse_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    init_template();
    if (o.mode == MODE_ROLES) {
        return run_roles();
    }
    g.epfd = epoll_create1(0);
    g.sws = calloc((size_t)o.n_switches, sizeof *g.sws);
    g.dirty = calloc((size_t)o.n_switches, sizeof *g.dirty);
    if (o.mode == MODE_LATENCY) {
        g.samples = malloc(MAX_SAMPLES * sizeof *g.samples);
    }
    if (g.epfd < 0 || !g.sws || !g.dirty ||
        (o.mode == MODE_LATENCY && !g.samples)) {
        fprintf(stderr, "ofbench: setup: %s\n", strerror(errno));
        return 1;
    }
    if (!o.json) {
        printf("ofbench: %s mode, %d switch%s, %d MACs each, %s "
               "packet-ins, controller %s:%d\n",
               o.mode == MODE_LATENCY ? "latency" : "throughput", o.n_switches,
               o.n_switches == 1 ? "" : "es", o.n_macs,
               o.no_buffer ? "unbuffered" : "buffered",
               inet_ntoa(o.addr.sin_addr), ntohs(o.addr.sin_port));
        printf("MACs %s, datapath ids %s; responses: %ss\n",
               pattern_names[o.mac_pattern], pattern_names[o.dpid_pattern],
               response_name());
        if (o.mode == MODE_THROUGHPUT) {
            printf("window: %d packet-ins in flight per switch\n", o.window);
        }
        if (o.version == OFP13_VERSION) {
            printf("OpenFlow 1.3\n");
        }
    }

    g.t_start = now = now_s();
    g.phase = PH_HANDSHAKE;
    g.phase_end = now + o.timeout;
    for (i = 0; i < o.n_switches; i++) {
        sw_open(&g.sws[i], i);
    }
    next_scan = now + SCAN_S;

    while (g.phase != PH_DONE) {
        double next = g.phase_end < next_scan ? g.phase_end : next_scan;
        int timeout = (int)((next - now) * 1000 + 0.999), n;

        n = epoll_wait(g.epfd, events, 256, timeout < 0 ? 0 : timeout);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "ofbench: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        now = now_s();

        /* Phase changes first, so that what this pass reads counts in the
         * round that is current once the deadline has passed. */
        if (g.phase == PH_HANDSHAKE) {
            if (g.n_ready + g.n_dead == o.n_switches) {
                if (!g.n_ready) {
                    fprintf(stderr, "ofbench: no switch connected\n");
                    return 1;
                }
                if (!o.json) {
                    printf("handshake: %d switch%s up, %d MACs each "
                           "learned in %.3f s\n",
                           g.n_ready, g.n_ready == 1 ? "" : "es", o.n_macs,
                           now - g.t_start);
                }
                start_traffic(now);
            } else if (now >= g.phase_end) {
                int counts[SW_DEAD + 1] = {0};

                for (i = 0; i < o.n_switches; i++) {
                    counts[g.sws[i].state]++;
                }
                fprintf(stderr,
                        "ofbench: handshake not done in %.1f s: %d "
                        "connecting, %d waiting for FEATURES_REQUEST, %d "
                        "settling, %d learning, %d ready, %d dead\n",
                        o.timeout, counts[SW_CONNECTING], counts[SW_HELLO],
                        counts[SW_SETTLE], counts[SW_LEARN], counts[SW_READY],
                        counts[SW_DEAD]);
                return 1;
            }
        } else if (now >= g.phase_end) {
            if (g.phase == PH_WARMUP) {
                begin_round(now);
            } else if (g.phase == PH_ROUND) {
                end_round(now);
            } else {
                fprintf(stderr,
                        "ofbench: not drained %.0f s after the rounds\n",
                        DRAIN_S);
                g.phase = PH_DONE;
            }
        }
        if (g.n_dead == o.n_switches) {
            fprintf(stderr, "ofbench: every switch lost\n");
            break;
        }

        for (i = 0; i < n; i++) {
            struct sw *sw = &g.sws[events[i].data.u32];

            if (sw->state != SW_DEAD) {
                sw_event(sw, events[i].events, now);
            }
        }
        if (now >= next_scan) {
            scan_timers(now);
            next_scan = now + SCAN_S;
        }
        for (i = 0; i < g.n_dirty; i++) {
            struct sw *sw = &g.sws[g.dirty[i]];

            sw->dirty = false;
            if (sw->state != SW_DEAD && sw->state != SW_CONNECTING) {
                sw_fill(sw, now);
                sw_flush(sw);
            }
        }
        g.n_dirty = 0;
        if (g.phase == PH_DRAIN && all_drained()) {
            g.drained = true;
            g.phase = PH_DONE;
        }
    }
    status = report();
    for (i = 0; i < o.n_switches; i++) {
        if (g.sws[i].state != SW_DEAD) {
            close(g.sws[i].fd);
        }
        free(g.sws[i].rbuf);
        free(g.sws[i].wbuf);
        free(g.sws[i].macs);
    }
    free(g.sws);
    free(g.dirty);
    free(g.samples);
    close(g.epfd);
    return status;
}
