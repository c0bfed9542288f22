/*
 * The openflow plugin's shared state: configuration, listeners, the set of
 * switch connections, and the topics it publishes.  of_conn.c and openflow.c
 * both see it; nothing outside the plugin does.
 */
#ifndef OF_PLUGIN_H
#define OF_PLUGIN_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/conn.h"
#include "plexus/hmap.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "swstats.h"

struct of_conn;

struct openflow {
    struct px_plugin *p;

    /* Configuration. */
    long long out_buffer;   /* Bytes of output queued per connection. */
    long long max_per_pass; /* Messages handled per connection per pass. */
    double echo_interval;
    long long echo_misses;
    long long max_conns;

    /* Where and how switches connect: the endpoint's port is the first
     * listener's; for TLS, the context new connections use (a reference;
     * connections keep their own). */
    enum px_transport transport;
    struct px_endpoint endpoint;
    struct px_tls *tls;
    int listen_fd[2];
    int listen_port[2];
    struct px_io *listen_io[2];
    struct of_conn *conns; /* Singly linked. */
    unsigned int n_conns;
    /* The connections of of->conns that own their datapath id (from an
     * accepted FEATURES_REPLY until closed), by px_hash_u64(dpid), so that
     * openflow_find costs the same with one switch or thousands: it runs
     * for every packet-out and flow-mod.  Nodes are the connections'
     * 'dpid_node'; the connections belong to of->conns. */
    struct px_hmap by_dpid;
    /* The connection openflow_find found last: one of by_dpid's, cleared
     * when it closes. */
    struct of_conn *last_found;
    unsigned int next_id;

    /* A 1.3 packet-in's or a flow_removed's decoded match, which the
     * payload points to during its publish.  One is enough: messages are
     * decoded one at a time, from the read path, never from inside a
     * publish; and it keeps 1.4 KB off the stack of the per-packet
     * path. */
    struct px_of_field pi_fields[PX_OF_F_COUNT];

    /* Connections with output waiting for the once-per-pass flush. */
    struct of_conn **dirty;
    unsigned int n_dirty;
    unsigned int dirty_cap;
    int flush_scheduled;
    /* Connections closed during a pass, freed when it ends. */
    struct of_conn *graveyard;

    struct px_topic *t_switch_up;
    struct px_topic *t_switch_down;
    struct px_topic *t_port_status;
    struct px_topic *t_packet_in;
    struct px_topic *t_error;
    struct px_topic *t_flow_removed;
    struct px_topic *t_stats_report;
    struct px_timer *probe;

    /* Per-switch records and the plugin's own counters, owned here and
     * handed to the next generation ("ofstats").  Never NULL after
     * init. */
    struct of_stats *stats;

    struct px_ratelimit rl_drop;
    struct px_ratelimit rl_error;
    struct px_ratelimit rl_stats;
    /* One per cause of a refused request (enum of_refusal, then
     * OF_REFUSED_UNKNOWN_DPID), so that every cause is logged whatever the
     * others do. */
    struct px_ratelimit rl_refused[OF_N_REFUSALS + 1];
};

/* The cause of a refused request that no switch counts: its datapath id
 * is not connected. */
#define OF_REFUSED_UNKNOWN_DPID OF_N_REFUSALS

/* Schedules the flush of 'c' at the end of this loop pass. */
void openflow_mark_dirty(struct openflow *of, struct of_conn *c);
/* Finds the ready connection of a datapath. */
struct of_conn *openflow_find(struct openflow *of, uint64_t dpid);
/* Adds 'c', whose features are known, to of->by_dpid; of_conn_close takes
 * it out again. */
void openflow_claim_dpid(struct openflow *of, struct of_conn *c);
/* The name of a reserved port (PX_OF_PORT_*), or else its number written
 * into 'buf'.  The stats report and the ports command both label ports
 * this way, so that the two agree. */
const char *openflow_port_name(uint32_t port_no, char *buf, size_t size);
/* Registers the plugin's commands on the control socket (commands.c):
 * switches, ports DPID, disconnect DPID.  A name another instance has is
 * skipped (the host logs why). */
void openflow_commands_register(struct openflow *of);

#endif /* OF_PLUGIN_H */
