/*
 * The topology plugin's state, shared by its files: topology.c (events,
 * probes, handoff, the cluster's snapshots) and topo_commands.c
 * ("plexusctl topology").
 */
#ifndef TOPOLOGY_H
#define TOPOLOGY_H 1

#include <stdbool.h>
#include <stdint.h>

#include "plexus/plugin.h"
#include "topo_graph.h"
#include "topo_share.h"

struct topology {
    struct px_plugin *p;
    struct topo_graph graph;
    /* What the other instances of a cluster found (topo_share.h). */
    struct topo_remote remote;

    /* Configuration. */
    double probe_interval; /* Each up port is probed this often. */
    double link_timeout;   /* A link not seen for this long goes. */
    double host_timeout;   /* A host not seen for this long goes (0: never). */
    long long probe_rate;  /* At most this many probes a second. */
    int install_lldp_flow;
    int learn_hosts;

    /* Probes: a token bucket, filled at 'probe_rate' a second. */
    double tokens;
    double last_tick;
    double last_expire;

    char reply_to[128]; /* Our reply topic for flow_mod outcomes. */
    struct px_topic *t_packet_out;
    struct px_topic *t_flow_mod;
    struct px_topic *t_inventory;
    struct px_topic *t_stats_report;
    struct px_topic *t_link_up;
    struct px_topic *t_link_down;
    struct px_topic *t_host_add;
    struct px_topic *t_host_move;
    struct px_topic *t_host_ip;
    struct px_topic *t_host_delete;
    struct px_topic *t_shared; /* topology.shared */
    struct px_topic *t_share;  /* cluster.share */
    struct px_timer *tick;

    /* The cluster: snapshots go out only once one is known to run (it
     * started, or another instance's snapshot came), so that a lone
     * instance publishes nothing new. */
    bool in_cluster;
    bool share_due; /* A snapshot goes out at the next tick... */
    bool share_ask; /* ...asking the others for theirs. */
    double last_share;

    /* Counters, since this generation started (those of the graph
     * excepted, which the graph keeps). */
    uint64_t probes_sent;
    uint64_t probes_refused; /* packet_outs openflow did not send. */
    uint64_t probes_late;    /* Ticks that left due probes for want of
                              * tokens. */
    uint64_t lldp_received;
    uint64_t lldp_foreign; /* Not ours, or malformed. */
    uint64_t lldp_unknown; /* Ours, from a switch or port not known. */
    uint64_t links_up;
    uint64_t links_down;
    uint64_t hosts_learned;
    uint64_t lldp_flows_failed;
    uint64_t shared_sent;     /* Snapshots published. */
    uint64_t shared_received; /* Snapshots of other instances kept. */
    uint64_t shared_bad;      /* Snapshots refused: not valid. */
    uint64_t shared_left_out; /* Links and hosts that did not fit in ours. */
    struct px_ratelimit rl_warn;
    struct px_ratelimit rl_share; /* The cluster's, apart. */
};

/* Registers "topology" (topo_commands.c).  Returns 0 or an errno. */
int topology_commands_register(struct topology *t);

#endif /* TOPOLOGY_H */
