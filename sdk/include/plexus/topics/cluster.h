/*
 * Payloads of the cluster.* topics: what a plugin asks of the cluster
 * plugin when several plexusd share a network (README, "Running a
 * cluster").  Nothing here needs the cluster plugin: without it nobody
 * listens, events stay on this instance and preferences change nothing,
 * so a plugin may use these topics whether or not it runs in a cluster.
 *
 * Shared topics.  A plugin makes one of its topics cluster-wide by
 * publishing cluster.share with the topic's name; from then on every
 * event it publishes there is carried (over NATS) to the same topic on
 * every other instance of the cluster, and the events of the others
 * arrive there too.  Such a topic's payload is struct px_cluster_event:
 * bytes the plugin encodes itself (a C struct with pointers cannot cross
 * hosts), and the instance they come from.  The publisher leaves 'origin'
 * NULL; an event that came from another instance has its id there, so a
 * subscriber tells its own events from the others', and an event never
 * comes back to the instance it left.  Since the cluster plugin may load
 * after the sharing plugin, it publishes cluster.started when it comes up:
 * a sharing plugin subscribes to it and shares its topics again.
 *
 * Preferences.  A plugin that serves a switch from this instance in a way
 * no other instance can (vns_server: a router connected here exchanges
 * the switch's frames with this instance only) publishes cluster.prefer
 * for it: the cluster then makes this instance the switch's master while
 * it stays alive, and the preference ends with 'prefer' = 0 or with the
 * instance.
 *
 * Append-only, like every topic header.  Every pointer is borrowed for
 * the duration of the callback.
 */
#ifndef PLEXUS_TOPICS_CLUSTER_H
#define PLEXUS_TOPICS_CLUSTER_H 1

#include <stddef.h>
#include <stdint.h>

#define PX_TOPIC_CLUSTER_SHARE   "cluster.share"
#define PX_TOPIC_CLUSTER_STARTED "cluster.started"
#define PX_TOPIC_CLUSTER_PREFER  "cluster.prefer"
#define PX_TOPIC_CLUSTER_VERSION 1

/* The longest event a shared topic carries (bytes of 'data'). */
#define PX_CLUSTER_EVENT_MAX 65536

/* cluster.share */
struct px_cluster_share {
    const char *topic; /* A topic of the publisher's (at most 200
                        * characters of [A-Za-z0-9_.-]). */
    /* Or NULL.  Set to 1 during the publish by a cluster plugin that
     * carries the topic, so that a plugin loaded after it knows at once
     * that it runs in a cluster. */
    int *carried;
};

/* cluster.started */
struct px_cluster_started {
    const char *instance; /* This instance's id in the cluster. */
};

/* The payload of every shared topic. */
struct px_cluster_event {
    const char *origin; /* NULL when published here; else the instance. */
    const void *data;
    size_t len; /* At most PX_CLUSTER_EVENT_MAX. */
};

/* cluster.prefer */
struct px_cluster_prefer {
    uint64_t dpid;
    int prefer; /* 1: master it from here; 0: no longer. */
};

#endif
