/*
 * Per-switch counters of the openflow plugin, kept for the life of the
 * process: across reconnects of a switch (a record is keyed by datapath id,
 * not by connection) and across reloads of the plugin (the whole set is
 * serialised into one handoff blob and restored by the next generation).
 *
 * This module is pure data: no I/O, no SDK calls, no clock (callers pass
 * the time), so a unit test links it alone.
 *
 * Hot path: a packet-in costs one increment in the switch's totals and one
 * lookup in its per-port hash map (<plexus/hmap.h>); nothing is allocated
 * per packet (a port's counters are allocated once, when the port is first
 * seen, at most OF_STATS_MAX_PORTS times per record).
 *
 * Ownership: a struct of_stats owns its records and each record owns its
 * ports' counters.  Record addresses are stable until the record is
 * evicted (only disconnected records are) or the set is destroyed, so a
 * live connection may keep a pointer to its record; a port's counters stay
 * where they are for as long as their record.
 *
 * The module uses libplexus.a's map and hashes, so whatever links it links
 * that library too.
 */
#ifndef OF_SWSTATS_H
#define OF_SWSTATS_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/conn.h"
#include "plexus/hmap.h"

/* Most ports tracked per switch: what a switch may report (OF_MAX_PORTS in
 * of_conn.h) plus room for the special ports (flood, controller, ...). */
#define OF_STATS_MAX_PORTS (1024 + 16)

/* Why a request of another plugin (packet_out, flow_mod) for a connected
 * switch was not sent.  The order is the handoff blob's: append only. */
enum of_refusal {
    OF_REFUSED_MALFORMED,   /* EINVAL or EMSGSIZE from the encoder. */
    OF_REFUSED_UNSUPPORTED, /* EOPNOTSUPP: not in the switch's version. */
    OF_REFUSED_OUTPUT_FULL, /* ENOBUFS: the output buffer is full. */
    OF_REFUSED_ROLE,        /* EPERM: the switch holds us as SLAVE. */
    OF_N_REFUSALS
};

/* Counters that a connection adds to while it runs. */
struct of_counts {
    uint64_t packet_ins;
    uint64_t packet_outs;
    uint64_t flow_mods;
    uint64_t rx_bytes;
    uint64_t tx_bytes;
    /* Messages dropped because the output buffer was full: the
     * controller's own and requests alike (those also count in
     * refused[OF_REFUSED_OUTPUT_FULL]). */
    uint64_t out_drops;
    uint64_t refused[OF_N_REFUSALS]; /* Requests not sent, by cause. */
};

/* Ports numbered below this are also found by index (low_ports). */
#define OF_STATS_LOW_PORTS 32

/* Why a switch's session ended: the SDK's close reasons (plexus/conn.h),
 * by the names px_conn_reason_name gives them, which routers and logs use
 * too.  PX_CONN_OPEN is never counted. */
#define OF_N_DISCONNECTS PX_CONN_N_REASONS

/* The counters of one port of a switch.  In a copy made by
 * of_stats_ports_sorted, 'node' means nothing. */
struct of_port_stats {
    struct px_hmap_node node; /* In the record's 'ports'. */
    uint32_t port_no;
    uint64_t packet_ins;
    uint64_t packet_outs;
    char name[16]; /* As the switch announced it; "" if it did not. */
};

struct of_switch_stats {
    struct px_hmap_node node; /* In the set's 'index'. */
    uint64_t dpid;
    uint8_t version;         /* Wire version of the current/last session. */
    int connected;           /* A session is up. */
    double connected_since;  /* Epoch start of the current/last session. */
    uint64_t disconnect_seq; /* Orders disconnections, for eviction. */
    char peer[64];           /* "addr:port" of the current/last session. */
    struct of_counts total;
    uint64_t disconnects[OF_N_DISCONNECTS];
    uint64_t ports_untracked; /* Port counts that found no room. */

    /* The ports' counters by px_hash_u64(port_no), at most
     * OF_STATS_MAX_PORTS of them; 'n_ports' is their number. */
    struct px_hmap ports;
    uint32_t n_ports;
    /* The same entries of the ports numbered below OF_STATS_LOW_PORTS,
     * indexed by number (NULL: not in 'ports'): switches number their
     * ports from 1, and a port is counted for every packet-in, so the
     * common case costs one load instead of a hash and a chain. */
    struct of_port_stats *low_ports[OF_STATS_LOW_PORTS];
};

/* The records of every switch seen, plus the plugin-wide counters, which
 * travel across reloads with them. */
struct of_stats {
    struct of_switch_stats **records; /* In order of creation. */
    size_t n;
    size_t max;  /* Bound on 'n' for new records. */
    size_t room; /* Allocated length of 'records'. */
    uint64_t disconnect_seq;

    /* Private to swstats.c: the records by px_hash_u64(dpid), with
     * buckets reserved for 'room' of them. */
    struct px_hmap index;

    uint64_t switches_forgotten; /* Records evicted by the bound. */
    uint64_t connections_accepted;
    uint64_t connections_refused;
    uint64_t handshake_failures;
    uint64_t tls_failures; /* Of those, closed by TLS (handshake, record). */
    /* Requests refused with no switch to count them on: no connected
     * switch has their datapath id, or the payload is too short to say
     * which. */
    uint64_t requests_unknown_dpid;
    uint64_t requests_malformed;
};

/* Creates an empty set holding at most 'max' records (at least 1). */
struct of_stats *of_stats_create(size_t max);
/* Frees the set and its records.  Accepts NULL. */
void of_stats_destroy(struct of_stats *s);
/* Changes the bound, evicting the oldest disconnected records while there
 * are more than 'max'.  Connected records are never evicted, so the set may
 * stay above the bound until they disconnect.  Returns 0 or ENOMEM. */
int of_stats_set_max(struct of_stats *s, size_t max);

/* The record of 'dpid', or NULL. */
struct of_switch_stats *of_stats_find(const struct of_stats *s, uint64_t dpid);
/* The record of 'dpid', created (all counts zero, disconnected) when there
 * is none.  When the set is full, the record that disconnected longest ago
 * is evicted and counted in switches_forgotten.  Returns 0, ENOSPC when
 * every record belongs to a connected switch, or ENOMEM. */
int of_stats_get(struct of_stats *s, uint64_t dpid,
                 struct of_switch_stats **out);

/* Marks a session as up: version, peer and start time. */
void of_stats_connected(struct of_switch_stats *sw, uint8_t version,
                        const char *peer, double since);
/* Marks the session as over and counts why. */
void of_stats_disconnected(struct of_stats *s, struct of_switch_stats *sw,
                           enum px_conn_reason why);
/* Adds 'c' to 'sw''s totals. */
void of_stats_add(struct of_switch_stats *sw, const struct of_counts *c);

/* of_stats_port for every case but a low port already known. */
struct of_port_stats *of_stats_port_slow(struct of_switch_stats *sw,
                                         uint32_t port_no);

/* The counters of port 'port_no' of 'sw', added if new.  Returns NULL (and
 * counts ports_untracked) when the record has OF_STATS_MAX_PORTS ports
 * already or memory for a new one is short.  One load when the port is
 * known and below OF_STATS_LOW_PORTS, else one hash lookup.  The pointer
 * is valid as long as the record.
 *
 * Inline for the common case: every packet-in counts its port, and as a
 * call this took fifteen instructions for one load, most of them saving
 * and restoring registers for the rare case of a new port. */
static inline struct of_port_stats *
of_stats_port(struct of_switch_stats *sw, uint32_t port_no)
{
    if (__builtin_expect(
            port_no < OF_STATS_LOW_PORTS && sw->low_ports[port_no], 1)) {
        return sw->low_ports[port_no];
    }
    return of_stats_port_slow(sw, port_no);
}
/* Adds port 'port_no' to 'sw' with zero counts if it is not there yet, so
 * a port the switch announced is reported before it sees traffic, and
 * records its 'name' (NUL-terminated, may be NULL), which outlives the
 * session.  Returns 0, or ENOSPC at the bound (which counts nothing: no
 * count was lost). */
int of_stats_port_register(struct of_switch_stats *sw, uint32_t port_no,
                           const char *name);
/* Copies the ports of 'sw' into 'out' (room for sw->n_ports), sorted by
 * port number.  Copies, so that the caller may publish events while it
 * walks them, whatever those events add to the table. */
void of_stats_ports_sorted(const struct of_switch_stats *sw,
                           struct of_port_stats *out);

/* The snake_case name of a refusal cause ("output_full"...). */
const char *of_stats_refusal_name(enum of_refusal why);

/* Handoff.  of_stats_serialise stores a malloc'd blob in '*data' (the
 * caller frees it), in version OF_STATS_BLOB_VERSION.  of_stats_restore
 * builds a new set from one of any version from OF_STATS_BLOB_MIN_VERSION
 * on (what an older generation leaves), bounded by 'max'; counters a
 * version lacks start at zero.  Any inconsistency (bad magic or version, a
 * length that does not add up, a duplicate datapath id or port) is
 * EPROTO, and nothing is created.  Both return 0 or a positive errno.
 * Version 2 added the refusal counters; version 3 counts disconnects by
 * the SDK's close reasons and adds tls_failures, and older blobs, whose
 * disconnects were counted by the plugin's own five reasons, are refused.
 * The blob is built in a px_buf and read with a px_cursor (plexus/buf.h),
 * so whatever links this module links libplexus.a. */
#define OF_STATS_BLOB_VERSION     4
#define OF_STATS_BLOB_MIN_VERSION 3
int of_stats_serialise(const struct of_stats *s, void **data, size_t *len);
int of_stats_restore(const void *data, size_t len, size_t max,
                     struct of_stats **out);

#endif /* OF_SWSTATS_H */
