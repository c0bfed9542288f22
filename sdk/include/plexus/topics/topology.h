/*
 * Payloads of the topology.* topics: the links between switches that the
 * topology plugin finds with LLDP, and the hosts it sees in packet-ins
 * (like POX's openflow.discovery and host_tracker, and Ryu's
 * --observe-links).
 *
 * Links are directed, as LLDP finds them: a probe sent out of 'src' came
 * in at 'dst'.  A cable between two switches is two links, one each way,
 * each found by its own probes; either goes down on its own (a timeout),
 * and both at once when a port or switch at either end goes down.
 *
 * Any plugin learns the whole graph at any time by publishing
 * topology.get with a 'reply_to' topic: the topology plugin answers on it,
 * during the publish, with one PX_TOPO_REPLY_GRAPH.  Nobody answers when
 * the topology plugin is not loaded.
 *
 * Append-only, like every topic header.  Every pointer is borrowed for
 * the duration of the callback.
 */
#ifndef PLEXUS_TOPICS_TOPOLOGY_H
#define PLEXUS_TOPICS_TOPOLOGY_H 1

#include <stddef.h>
#include <stdint.h>

#define PX_TOPIC_TOPO_LINK_UP     "topology.link_up"
#define PX_TOPIC_TOPO_LINK_DOWN   "topology.link_down"
#define PX_TOPIC_TOPO_HOST_ADD    "topology.host_add"
#define PX_TOPIC_TOPO_HOST_MOVE   "topology.host_move"
#define PX_TOPIC_TOPO_HOST_IP     "topology.host_ip"
#define PX_TOPIC_TOPO_HOST_DELETE "topology.host_delete"
#define PX_TOPIC_TOPO_GET         "topology.get"
#define PX_TOPIC_TOPO_VERSION     1

/* The most addresses of each family a host is remembered with: the
 * latest ones seen. */
#define PX_TOPO_HOST_MAX_IPS 4

/* A port of a switch. */
struct px_topo_port {
    uint64_t dpid;
    uint32_t port_no;
};

/* topology.link_up and topology.link_down. */
struct px_topo_link {
    struct px_topo_port src; /* The probe went out here... */
    struct px_topo_port dst; /* ...and came in here. */
    double since;            /* px_now() when it was found. */
    double last_seen;        /* px_now() of its latest probe. */
    /* link_down only: "timeout", "port down", "port deleted", "switch
     * down"; NULL for link_up. */
    const char *reason;
};

/* topology.host_add, _move, _ip and _delete: a host, by its MAC, where it
 * was last seen (a port that is not an end of a link), and its addresses
 * (IPv4 in host byte order, IPv6 in network byte order), latest last. */
struct px_topo_host {
    uint8_t mac[6];
    struct px_topo_port at;
    double first_seen;
    double last_seen;
    size_t n_ipv4;
    uint32_t ipv4[PX_TOPO_HOST_MAX_IPS];
    size_t n_ipv6;
    uint8_t ipv6[PX_TOPO_HOST_MAX_IPS][16];
    /* host_move: where it was before.  Zero otherwise. */
    struct px_topo_port from;
    /* host_delete: "timeout", "port down", "switch down", "link port" (a
     * link was found at its port); NULL otherwise. */
    const char *reason;
};

/* topology.get: a request any plugin may publish. */
struct px_topo_get {
    const char *reply_to; /* Required: the topic the graph comes on. */
    uint64_t request_id;  /* Copied into the reply. */
};

enum px_topo_reply_type {
    PX_TOPO_REPLY_GRAPH = 1,
};

/* What comes on a topology.get's 'reply_to' (declare and subscribe to it
 * with PX_TOPIC_TOPO_VERSION). */
struct px_topo_reply {
    uint32_t type; /* enum px_topo_reply_type. */
    uint64_t request_id;
    /* The switches the topology plugin knows (connected ones). */
    size_t n_switches;
    const uint64_t *switches;
    size_t n_links;
    const struct px_topo_link *links;
    size_t n_hosts;
    const struct px_topo_host *hosts;
};

#endif /* PLEXUS_TOPICS_TOPOLOGY_H */
