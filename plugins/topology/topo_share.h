/*
 * The topology plugin in a cluster (README, "Running a cluster"): each
 * instance finds only part of the network itself (a link's probe comes
 * back in a packet-in to the master of the switch at its far end, a
 * host's frames to the master of its switch), so each publishes what it
 * found on the shared topic topology.shared and keeps what the others
 * published, to show the whole network.
 *
 * Three parts, all pure (no bus, no clock: callers pass 'now'), so that
 * the unit tests and the fuzz target drive them directly:
 *   - the snapshot: what an instance found itself, as compact JSON
 *       {"v":1,"ask":true,
 *        "links":[["SRC_DPID",SRC_PORT,"DST_DPID",DST_PORT,AGE_MS],...],
 *        "hosts":[["MAC","DPID",PORT,IDLE_MS,["ADDRESS",...]],...]}
 *     with datapath ids in hex without leading zeros, ages and idle times
 *     in whole milliseconds, "ask" (only when true) asking every other
 *     instance for its snapshot at once, and keys not listed here
 *     ignored (a later format may add some);
 *   - the remote store: the latest snapshot of each other instance
 *     ("origin"), replaced whole by the next one and forgotten when none
 *     came for a while, within bounds;
 *   - the view: the links and hosts of this instance's graph and of the
 *     remote store together, each once, with who found it.
 *
 * Times in a snapshot are relative to the moment it was made: a link's
 * 'since' is minus its age and 'last_seen' 0, a host's 'first_seen' and
 * 'last_seen' minus its idle time.  The remote store makes them absolute
 * (px_now() of the snapshot's arrival, plus them).
 */
#ifndef TOPO_SHARE_H
#define TOPO_SHARE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plexus/topics/topology.h"
#include "topo_graph.h"

/* The shared topic (payload: struct px_cluster_event). */
#define TOPO_SHARE_TOPIC "topology.shared"

/* The snapshot format written and read ("v"). */
#define TOPO_SHARE_FORMAT 1

/* The longest origin id kept (the cluster's instance ids are shorter). */
#define TOPO_ORIGIN_MAX 63

/* A snapshot, as made from a graph or parsed.  Owns its arrays. */
struct topo_share_snap {
    bool ask;
    size_t n_links;
    struct px_topo_link *links;
    size_t n_hosts;
    struct px_topo_host *hosts;
    /* Parsing: valid entries past the limits given, not kept. */
    size_t left_out;
};

/* Frees the arrays and empties 'snap'.  Accepts NULL. */
void topo_share_snap_clear(struct topo_share_snap *snap);

/* The links and hosts of 'g' (what this instance found itself) at 'now'
 * into 'snap' (empty before), with 'ask'.  Returns 0 or ENOMEM. */
int topo_share_snap_from_graph(const struct topo_graph *g, double now,
                               bool ask, struct topo_share_snap *snap);

/* Encodes 'snap' as a snapshot of at most 'max' bytes into *out (malloc'd,
 * '\0'-terminated, the caller frees it; *len without the terminator):
 * the links first, then the hosts, as many as fit; *left_out is how many
 * did not.  Returns 0, or ENOMEM (and *out is NULL). */
int topo_share_encode(const struct topo_share_snap *snap, size_t max,
                      char **out, size_t *len, size_t *left_out);

/* Parses the snapshot of 'len' bytes at 'data' (not '\0'-terminated; at
 * most PX_CLUSTER_EVENT_MAX) into 'snap' (empty before), keeping at most
 * 'max_links' links and 'max_hosts' hosts (the others counted in
 * snap->left_out).  All or nothing: returns 0, or EPROTO with a reason
 * in *why (static text) and 'snap' left empty, for anything that is not a
 * snapshot of this format with every entry valid (ports 1 to
 * PX_OF_PORT_MAX, a link's ends distinct, unicast host MACs, at most
 * PX_TOPO_HOST_MAX_IPS addresses of each family, ages of at most ten
 * years), or ENOMEM. */
int topo_share_parse(const void *data, size_t len, size_t max_links,
                     size_t max_hosts, struct topo_share_snap *snap,
                     const char **why);

/* ---------------------------------------------------------------------- */
/* The remote store. */

struct topo_origin {
    char id[TOPO_ORIGIN_MAX + 1];
    double received; /* When its latest snapshot came. */
    size_t n_links;
    struct px_topo_link *links; /* Times absolute; sorted by ends. */
    size_t n_hosts;
    struct px_topo_host *hosts;
};

struct topo_remote {
    size_t max_origins;
    size_t max_links; /* Over all origins. */
    size_t max_hosts;
    size_t n_origins;
    struct topo_origin *origins; /* Sorted by id; owned. */
    size_t n_links;              /* Over all origins. */
    size_t n_hosts;
    /* Snapshots not kept: from an origin past max_origins. */
    uint64_t refused;
    /* Links and hosts of snapshots not kept: past max_links, max_hosts. */
    uint64_t links_dropped;
    uint64_t hosts_dropped;
    /* Told (when not NULL; set it after topo_remote_init) of each link an
     * origin's snapshot has that its previous one had not ('up', the new
     * link) or had and it has not (the old link), during
     * topo_remote_update.  Not told of what expiry takes. */
    void (*on_link)(void *arg, const char *origin, bool up,
                    const struct px_topo_link *link);
    void *cb_arg;
};

void topo_remote_init(struct topo_remote *r, size_t max_origins,
                      size_t max_links, size_t max_hosts);
/* Frees every origin.  Accepts NULL. */
void topo_remote_destroy(struct topo_remote *r);

/* Whether 'id' can name an origin: 1 to TOPO_ORIGIN_MAX letters, digits,
 * '_', '-' and '.'. */
bool topo_origin_valid(const char *id);

/* Replaces what 'origin' said before with 'snap', which came at 'now': its
 * arrays are taken (and 'snap' left empty), cut to what max_links and
 * max_hosts leave room for beside the other origins (counted in
 * links_dropped and hosts_dropped).  *is_new (may be NULL) tells whether
 * the origin was not known.  Returns 0; EINVAL for an origin id that is
 * not valid; ENOSPC (counted in 'refused') for a new origin when
 * max_origins are known; ENOMEM.  'snap' is left empty in every case. */
int topo_remote_update(struct topo_remote *r, const char *origin,
                       struct topo_share_snap *snap, double now, bool *is_new);

/* Forgets the origins whose latest snapshot came more than 'timeout'
 * seconds before 'now', calling 'gone' (may be NULL) with each before it
 * goes.  Returns how many went. */
size_t topo_remote_expire(struct topo_remote *r, double now, double timeout,
                          void (*gone)(void *arg, const struct topo_origin *o),
                          void *arg);

/* ---------------------------------------------------------------------- */
/* The view. */

struct topo_view_link {
    struct px_topo_link link;
    const char *found_by; /* NULL: this instance; else an origin's id. */
};

struct topo_view_host {
    struct px_topo_host host;
    const char *found_by;
};

/* The links and hosts of 'g' and 'r' (either may be NULL), sorted (links
 * by source then destination port, hosts by MAC), each once: a link this
 * instance found is its own, else the first origin's (by id) that found
 * it; a host is where it was seen last (this instance's when equal);
 * a host at a port where any link ends is left out, as the graph leaves
 * it out.  'found_by' points into 'r', valid until 'r' changes.  Owns its
 * arrays. */
struct topo_view {
    size_t n_links;
    struct topo_view_link *links;
    size_t n_hosts;
    struct topo_view_host *hosts;
};

/* Returns 0 or ENOMEM (and 'v' is empty). */
int topo_view_build(const struct topo_graph *g, const struct topo_remote *r,
                    struct topo_view *v);
/* Accepts NULL. */
void topo_view_destroy(struct topo_view *v);

#endif /* TOPO_SHARE_H */
