/*
 * The graph the topology plugin keeps: the switches it knows with their
 * ports, the directed links LLDP found between them, and the hosts
 * packet-ins showed at the other ports.
 *
 * State and rules only: no I/O, no bus, no clock of its own (callers pass
 * 'now'), so that the unit tests drive it directly.  What changes is told
 * through the callbacks the caller gives, synchronously, while the entry
 * is still in the graph (a link or host being removed is told just before
 * it goes).
 *
 * Ownership: the graph owns its switches, ports, links and hosts; the
 * pointers the callbacks and lookups give are valid until the next call
 * that changes the graph.
 */
#ifndef TOPO_GRAPH_H
#define TOPO_GRAPH_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plexus/buf.h"
#include "plexus/hmap.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/topology.h"

struct topo_port {
    uint32_t port_no;
    uint8_t hw_addr[6];
    bool up;           /* Neither administratively nor link down. */
    unsigned int ends; /* Links that start or end here. */
    double next_probe; /* When it is due an LLDP probe. */
};

struct topo_switch {
    struct px_hmap_node node; /* In topo_graph.switches, by dpid. */
    uint64_t dpid;
    uint8_t version;
    size_t n_ports;
    struct topo_port *ports; /* Sorted by port_no. */
};

struct topo_link {
    struct px_hmap_node node; /* In topo_graph.links, by both ends. */
    struct px_topo_link link;
};

struct topo_host {
    struct px_hmap_node node; /* In topo_graph.hosts, by MAC. */
    struct px_topo_host host;
};

enum topo_change {
    TOPO_LINK_UP,
    TOPO_LINK_DOWN,
    TOPO_HOST_ADD,
    TOPO_HOST_MOVE,
    TOPO_HOST_IP,
    TOPO_HOST_DELETE,
};

/* Told of every change: 'link' for the link ones, 'host' for the host
 * ones (with 'reason' and 'from' set in it as topology.h says). */
struct topo_graph_cb {
    void (*link)(void *arg, enum topo_change, const struct px_topo_link *);
    void (*host)(void *arg, enum topo_change, const struct px_topo_host *);
    void *arg;
};

struct topo_graph {
    struct px_hmap switches;
    struct px_hmap links;
    struct px_hmap hosts;
    size_t max_links;
    size_t max_hosts;
    struct topo_graph_cb cb;
    /* What could not be kept: links and hosts past their bounds. */
    uint64_t links_dropped;
    uint64_t hosts_dropped;
};

void topo_graph_init(struct topo_graph *g, size_t max_links, size_t max_hosts,
                     const struct topo_graph_cb *cb);
/* Frees everything, telling nothing.  Accepts NULL. */
void topo_graph_destroy(struct topo_graph *g);

/* A switch came up, or was found in the inventory, with its ports (the
 * special ones, LOCAL and above, are left out).  Replaces what the graph
 * knew of it: links at ports it no longer has, or that are down, go.
 * Returns 0 or ENOMEM. */
int topo_switch_up(struct topo_graph *g, uint64_t dpid, uint8_t version,
                   const struct px_of_port *ports, size_t n_ports);
/* A switch went down: its links (both ways) and hosts go, told with the
 * reason "switch down", then the switch. */
void topo_switch_down(struct topo_graph *g, uint64_t dpid);
/* A port_status: a port added, changed or deleted.  One that is deleted
 * or down loses its links and hosts ("port deleted", "port down").
 * Returns 0 or ENOMEM. */
int topo_port_status(struct topo_graph *g, uint64_t dpid, uint8_t reason,
                     const struct px_of_port *port);

struct topo_switch *topo_switch_find(const struct topo_graph *g,
                                     uint64_t dpid);
struct topo_port *topo_port_find(const struct topo_switch *sw,
                                 uint32_t port_no);

/* A probe sent out of 'src' came in at 'dst' at 'now': the link is found
 * (told TOPO_LINK_UP; hosts learned at either end are deleted, "link
 * port") or refreshed.  ENOENT when either end is not a known port of a
 * known switch, EINVAL for a port looped to itself, ENOSPC when the graph
 * has max_links (counted in links_dropped). */
int topo_link_seen(struct topo_graph *g, struct px_topo_port src,
                   struct px_topo_port dst, double now);

/* A frame from 'mac' came in at 'at' at 'now', with the sender's IPv4
 * address 'ipv4' (0: none) or IPv6 address 'ipv6' (NULL: none).  Learned
 * when 'at' is a known port that is not an end of a link and 'mac' is a
 * unicast address: TOPO_HOST_ADD, _MOVE, or _IP for an address not seen
 * before.  Returns 0, EINVAL for an address or port not learned from,
 * ENOSPC when the graph has max_hosts (counted in hosts_dropped). */
int topo_host_seen(struct topo_graph *g, const uint8_t mac[6],
                   struct px_topo_port at, uint32_t ipv4, const uint8_t *ipv6,
                   double now);

/* Removes links not seen for 'link_timeout' seconds and, when
 * 'host_timeout' is above 0, hosts not seen for that long (reason
 * "timeout"). */
void topo_expire(struct topo_graph *g, double now, double link_timeout,
                 double host_timeout);

/* The links and hosts, for the next generation of the plugin (a reload),
 * field by field (big-endian), version TOPO_GRAPH_BLOB_VERSION:
 *   u32 n_links, then each: u64 src dpid, u32 src port, u64 dst dpid,
 *       u32 dst port, double since, double last_seen;
 *   u32 n_hosts, then each: 6 bytes MAC, u64 dpid, u32 port, double
 *       first_seen, double last_seen, u8 n_ipv4, that many u32, u8
 *       n_ipv6, that many 16 bytes.
 * Appended to 'b' (whose error, if any, says it failed). */
#define TOPO_GRAPH_BLOB_VERSION 1
void topo_graph_save(const struct topo_graph *g, struct px_buf *b);

/* Restores what topo_graph_save wrote into a graph that knows its
 * switches again (from the inventory): links and hosts at ports it knows
 * come back as they were, without being told (subscribers were told of
 * them before), the others are left out.  Returns 0, or EPROTO for a blob
 * that is not whole, and then restores nothing. */
int topo_graph_restore(struct topo_graph *g, const void *data, size_t len);

#endif /* TOPO_GRAPH_H */
