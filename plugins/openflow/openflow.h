/*
 * The openflow plugin's shared state: configuration, listeners, the set of
 * switch connections, and the topics it publishes.  conn.c and openflow.c
 * both see it; nothing outside the plugin does.
 */
#ifndef OF_OPENFLOW_H
#define OF_OPENFLOW_H 1

#include <stdint.h>

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

    int listen_fd[2];
    struct px_io *listen_io[2];
    struct of_conn *conns; /* Singly linked. */
    unsigned int n_conns;
    unsigned int next_id;

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
    struct px_topic *t_stats_report;
    struct px_timer *probe;

    /* Per-switch records and the plugin's own counters, owned here and
     * handed to the next generation ("ofstats").  Never NULL after
     * init. */
    struct of_stats *stats;

    struct px_ratelimit rl_drop;
    struct px_ratelimit rl_error;
    struct px_ratelimit rl_stats;
};

/* Schedules the flush of 'c' at the end of this loop pass. */
void openflow_mark_dirty(struct openflow *of, struct of_conn *c);
/* Finds the ready connection of a datapath. */
struct of_conn *openflow_find(struct openflow *of, uint64_t dpid);

#endif /* OF_OPENFLOW_H */
