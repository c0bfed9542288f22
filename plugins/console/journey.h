/*
 * The console plugin's frame journeys: which hops one frame took through
 * the router lab, from the switch that punted it, through a software
 * router, to the switch port it left by, as the JOURNEY objects of the
 * console's API and as a pcap file.
 *
 * The plugin sees the hops as separate events (a packet-in, a frame
 * vns_server sent a router, a frame a router sent, a packet-out) and
 * hands each to jny_add, which finds the journey it belongs to: how is
 * written down in journey.c's header comment.
 *
 * A pure module: no I/O, no event loop, no plugin API, no clock (times
 * are the caller's), so that it is unit-tested and fuzzed on its own.
 * Not thread-safe.  Every table, journey and frame is bounded
 * (struct jny_config) and what a bound drops is counted (struct
 * jny_stats).
 *
 * Ownership: a table owns its journeys, their hops and copies of their
 * frames and interface names; jny_add copies what it keeps of its input
 * and keeps no pointer to it.  A journey returned by jny_add is borrowed
 * until the next call that changes the table (jny_add, jny_destroy).  JSON
 * values returned are new references the caller owns, and so is the pcap
 * buffer (free()).
 */
#ifndef PLEXUS_CONSOLE_JOURNEY_H
#define PLEXUS_CONSOLE_JOURNEY_H 1

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults and limits of struct jny_config. */
#define JNY_DEFAULT_MAX_JOURNEYS 256
#define JNY_DEFAULT_MAX_HOPS     16
#define JNY_DEFAULT_SNAPLEN      256
#define JNY_DEFAULT_WINDOW       2.0
#define JNY_DEFAULT_LONG_WINDOW  10.0
#define JNY_MAX_JOURNEYS         65536
#define JNY_MAX_HOPS             256
#define JNY_MIN_SNAPLEN          64 /* Ethernet, IPv4 and an ICMP quote. */
#define JNY_MAX_SNAPLEN          65535
#define JNY_MAX_WINDOW           3600.0

/* Room for an interface name kept with a hop; longer names are cut. */
#define JNY_IFACE_LEN 32

/* A field of 0 takes its default. */
struct jny_config {
    size_t max_journeys; /* Journeys kept; the oldest is evicted. */
    size_t max_hops;     /* Hops kept per journey; more are counted. */
    size_t snaplen;      /* Bytes kept of each frame (pcap's snaplen). */
    /* Seconds within which a frame passed on unchanged (a packet-in to a
     * router, a router's frame to a packet-out) is looked for. */
    double window;
    /* Seconds within which a router's forwarded packet or answer is
     * matched to what it received: longer, since a router holds a packet
     * while it resolves the next hop (up to 5 ARP requests a second
     * apart) and then sends it or a host unreachable. */
    double long_window;
};

enum jny_hop_kind {
    JNY_SWITCH_IN,  /* A packet-in from a switch port. */
    JNY_ROUTER_IN,  /* vns_server sent the frame to a router on 'iface'. */
    JNY_ROUTER_OUT, /* A router sent a frame out of 'iface'. */
    JNY_SWITCH_OUT, /* A packet-out on a switch port. */
};

/* One hop as observed.  'dpid' and 'port' are the switch hops', 'router'
 * (vns_server's id of the connection) and 'iface' the router hops'. */
struct jny_hop_in {
    enum jny_hop_kind kind;
    /* Seconds (wall time).  Hops are expected in the order they
     * happened; a time that goes back (a clock step) only makes a dt
     * negative. */
    double t;
    uint64_t dpid;
    uint32_t port;
    uint32_t router;
    const char *iface; /* May be NULL. */
    const uint8_t *frame;
    size_t len; /* The whole frame's length, at least 1. */
};

struct jny_stats {
    uint64_t journeys;  /* Started. */
    uint64_t hops;      /* Recorded. */
    uint64_t live;      /* Journeys held now. */
    uint64_t live_hops; /* Hops held now. */
    uint64_t evicted;   /* Journeys dropped to make room, oldest first. */
    /* A router-in or switch-out hop that no journey was waiting for (not
     * recorded): a frame nobody punted, a packet-out of a plugin other
     * than vns_server (LLDP probes), or what followed an evicted journey. */
    uint64_t unmatched;
    uint64_t hops_dropped; /* Not recorded: its journey was full. */
    uint64_t truncated;    /* Frames kept cut to the snaplen. */
    uint64_t invalid;      /* Refused: no frame, an unknown kind. */
    uint64_t nomem;        /* Not recorded: out of memory. */
};

struct jny_table;
struct jny_journey;

/* Creates an empty table configured by 'config' (NULL: every default).
 * Returns 0, EINVAL when a field is out of its limits (above), or
 * ENOMEM. */
int jny_create(const struct jny_config *config, struct jny_table **table);
void jny_destroy(struct jny_table *table);

/* Adds a hop; returns the journey it joined or started, or NULL when it
 * was not recorded (counted in the stats). */
const struct jny_journey *jny_add(struct jny_table *table,
                                  const struct jny_hop_in *hop);

/* The journey's id: unique in the table, growing from 1. */
uint64_t jny_journey_id(const struct jny_journey *journey);

/* The JOURNEY object of the console's API:
 *   {"id", "t" (its first hop's), "kind" ("ARP", "ICMP", "TCP", "UDP",
 *    "IPv4", "ICMPv6", "IPv6", "LLDP" or "Ethernet"), "summary" (its first
 *    hop's), "hops": [{"at": "switch", "dpid": "00:00:00:00:00:00:00:01",
 *    "port", | "at": "router", "router", "iface", then "dir": "in"|"out",
 *    "dt" (seconds since the first hop), "len" (the frame's), "summary"
 *    (px_pkt_summary of its frame)}...]}
 * and "hops_dropped" when hops were not recorded.  NULL when out of
 * memory. */
json_t *jny_journey_json(const struct jny_journey *journey);

/* {"journeys": [JOURNEY...]}, oldest first; NULL when out of memory. */
json_t *jny_list_json(const struct jny_table *table);

/* A pcap file (Ethernet, the table's snaplen) of the frames of every
 * journey held, in time order, each frame once: a hop that passed on its
 * predecessor's frame unchanged (a router-in, a switch-out) is not
 * written again.  Stores a malloc()ed buffer in '*data' and its length in
 * '*len'.  Returns 0, or ENOMEM or EIO (nothing stored). */
int jny_pcap(const struct jny_table *table, char **data, size_t *len);

void jny_get_stats(const struct jny_table *table, struct jny_stats *stats);

#endif /* PLEXUS_CONSOLE_JOURNEY_H */
