/*
 * The console's switch statistics: for each watched switch, every
 * 'interval' seconds, one round of openflow.stats requests (ports, flows
 * of every table and, from an OpenFlow 1.3 switch, group descriptions,
 * group statistics, meter statistics and meter configurations), and when
 * every reply of the round is in, one "switch_stats" message (issue 13's
 * spec) handed to a callback:
 *
 *   {"type": "switch_stats", "dpid": "00:00:00:00:00:00:00:01",
 *    "ports": [{"port_no", "name", "rx_packets", "tx_packets", "rx_bytes",
 *               "tx_bytes", "rx_pps", "tx_pps", "rx_bps", "tx_bps",
 *               "rx_dropped", "tx_dropped", "rx_errors", "tx_errors"}],
 *    "flows": [{"table_id", "priority", "match", "actions", "packets",
 *               "bytes", "age", "idle_timeout", "hard_timeout",
 *               "cookie"}],
 *    "flows_omitted": N,
 *    "groups": [{"group_id", "type", "buckets": ["output:1", ...],
 *                "packets", "bytes"}],
 *    "meters": [{"meter_id", "flow_count", "packets", "bytes", "unit",
 *                "bands": [{"type", "rate", "burst_size", "packets",
 *                           "bytes"}]}]}
 *
 * Ports are in port number order, named from the port lists of
 * openflow.switch_up, openflow.port_status and openflow.inventory (""
 * for a port none named); a counter the switch does not keep is null.
 * Rates (per second; bps in bits) are the counters' growth since the
 * previous round's reply over the time between the two replies, 0 in a
 * switch's first round after it was watched or came up, and when a
 * counter went backwards.  Flows are in table order, then by falling
 * priority (as a switch applies them), at most CON_SWITCH_MAX_FLOWS:
 * "flows_omitted" counts the rest (the lowest priorities).  "match" and
 * "actions" are ovs-ofctl's text (<plexus/of_text.h>: "in_port=3,
 * dl_dst=02:00:00:00:00:01", "output:1", "drop"); "age" is seconds in
 * the table; "cookie" is hex text ("0x13"), which JavaScript's numbers
 * could not hold.  Groups (type "all", "select", "indirect" or "ff") are
 * in id order with each bucket's actions; meters in id order with their
 * bands ("unit" "kbps" or "pktps", band "type" "drop" or
 * "dscp_remark").  What one request of the round could not tell (its
 * reply was an ERROR or GONE, a 1.0 switch's groups) is empty, and a
 * figure the other did not tell (a group's counters without its
 * statistics) is null.  More than CON_SWITCH_MAX_PORTS ports,
 * CON_SWITCH_MAX_GROUPS groups or CON_SWITCH_MAX_METERS meters are cut
 * the same way, counted in "ports_omitted", "groups_omitted",
 * "meters_omitted", present only when not 0.
 *
 * A kind of request a switch refuses (its ERROR, or openflow's
 * EOPNOTSUPP for its version) is remembered for that switch until it
 * connects again, and not asked again.  A round whose replies are still
 * out when the next one is due is not asked again (counted), and one
 * older than CON_SWITCH_ROUND_TIMEOUT or 5 intervals is given up.
 * Replies come on the topic "<instance name>.con_switch", so that the
 * plugin's other requests may use "<instance name>.openflow".
 *
 * Threads: none; everything runs on the plugin's loop (px_timer_start,
 * px_publish, px_subscribe).
 *
 * Ownership: a struct con_switch is the caller's, freed with
 * con_switch_destroy(), which stops its timer and subscriptions.  The
 * message handed to the callback is borrowed for the call: the callback
 * may add members to it (a sequence number) and json_incref() it to keep
 * it; con_switch_last() returns the same object, borrowed until the next
 * round of that switch, con_switch_watch() or con_switch_destroy().
 * Neither con_switch_destroy() nor a call that frees the plugin may be
 * made from inside the callback; con_switch_watch() may.
 */
#ifndef CON_SWITCH_H
#define CON_SWITCH_H 1

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct px_plugin;
struct con_switch;

/* Switches watched at once; more are refused (ENOSPC) and counted. */
#define CON_SWITCH_MAX_WATCHED 64
/* Entries listed per switch and message; the rest are counted. */
#define CON_SWITCH_MAX_FLOWS  2000
#define CON_SWITCH_MAX_PORTS  1024
#define CON_SWITCH_MAX_GROUPS 1024
#define CON_SWITCH_MAX_METERS 1024
/* A round still waiting for replies after this many seconds (or 5
 * intervals, if that is longer) is given up. */
#define CON_SWITCH_ROUND_TIMEOUT 10.0
/* The default interval between rounds, in seconds. */
#define CON_SWITCH_DEFAULT_INTERVAL 2.0

/* The kinds of statistics a round asks for. */
enum con_switch_kind {
    CON_SWITCH_PORT = 0,
    CON_SWITCH_FLOW,
    CON_SWITCH_GROUP_DESC,   /* 1.3 */
    CON_SWITCH_GROUP,        /* 1.3 */
    CON_SWITCH_METER,        /* 1.3 */
    CON_SWITCH_METER_CONFIG, /* 1.3 */
    CON_SWITCH_N_KINDS
};

/* What con_switch has done since it was created. */
struct con_switch_stats {
    uint64_t watched;  /* Switches watched now. */
    uint64_t requests; /* Requests openflow took. */
    uint64_t requests_by_kind[CON_SWITCH_N_KINDS]; /* The same, by kind. */
    uint64_t replies;          /* Statistics replies read. */
    uint64_t refused;          /* Requests openflow did not take, or the
                                * switch answered with an ERROR. */
    uint64_t gone;             /* Requests that ended GONE. */
    uint64_t kinds_disabled;   /* Kinds a switch refused, since not asked. */
    uint64_t rounds;           /* Rounds complete: messages handed over. */
    uint64_t rounds_skipped;   /* Rounds not asked: the last one was out. */
    uint64_t rounds_abandoned; /* Rounds given up: out too long. */
    uint64_t watch_refused;    /* Watches past CON_SWITCH_MAX_WATCHED. */
    uint64_t flows_omitted;    /* Flows left out of messages, summed. */
};

/* Called with each switch_stats message.  'msg' is borrowed (see above). */
typedef void (*con_switch_fn)(void *arg, json_t *msg);

/* Creates the poller of plugin 'p' with a round every 'interval' seconds
 * (> 0; CON_SWITCH_DEFAULT_INTERVAL is the spec's), calling 'fn' with
 * 'arg'.  Declares openflow.stats and openflow.inventory and subscribes
 * to openflow.switch_up, switch_down, port_status and its reply topic.
 * Returns 0 or a positive errno (EINVAL for a bad interval). */
int con_switch_create(struct px_plugin *p, double interval, con_switch_fn fn,
                      void *arg, struct con_switch **out);

/* Frees 'cs' (NULL is fine): its timer and subscriptions end. */
void con_switch_destroy(struct con_switch *cs);

/* Starts ('on') or stops watching switch 'dpid'.  Watches are counted:
 * several clients may watch one switch, which is polled until the last
 * stops.  A switch watched afresh is looked up with openflow.inventory
 * (its version and port names) and, when connected, asked at once.
 * Returns 0; ENOSPC (counted) past CON_SWITCH_MAX_WATCHED switches;
 * ENOENT to stop a switch not watched. */
int con_switch_watch(struct con_switch *cs, uint64_t dpid, int on);

/* The last message of switch 'dpid' (see above), or NULL. */
json_t *con_switch_last(const struct con_switch *cs, uint64_t dpid);

void con_switch_get_stats(const struct con_switch *cs,
                          struct con_switch_stats *stats);

/* The name of a kind ("port", "flow", "group_desc", "group", "meter",
 * "meter_config"). */
const char *con_switch_kind_name(enum con_switch_kind kind);

#endif /* CON_SWITCH_H */
