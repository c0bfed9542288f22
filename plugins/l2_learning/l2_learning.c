/*
 * l2_learning: a MAC-learning switch, like POX's forwarding.l2_learning.
 *
 * For every packet-in it learns source MAC -> input port for that switch.
 * A frame for a multicast or unknown destination is flooded; a frame for a
 * known destination gets an exact flow (in_port, source, destination) with
 * idle and hard timeouts, applied to the buffered packet when the switch
 * buffered it, else followed by a packet-out of the frame.  A frame whose
 * destination sits behind its own input port is dropped.
 *
 * Tables are per switch, bounded (max_macs), and dropped with the switch.
 * So are the per-switch counters that answer stats.collect (one
 * "l2_learning" report per switch): they count from the switch's first
 * packet-in after it came up, or after this plugin was (re)loaded.  Every
 * request asks openflow for its outcome: a flow or flood counts once
 * queued for the switch, and one refused is counted and logged with its
 * cause.
 *
 * The tables are the SDK's MAC table (<plexus/mactable.h>), a hash map
 * keyed by the SDK's MAC hash, which
 * spreads every kind of address evenly (tests/unit/test_hmap.c), so
 * learning and looking up cost the same whatever MACs the hosts have.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/hash.h"
#include "plexus/hmap.h"
#include "plexus/mactable.h"
#include "plexus/packet.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"

#define L2_VERSION "1.0.0"

/* One switch: its MAC table and its counters.  Allocated one by one, so a
 * pointer to it stays valid while other switches come and go. */
struct l2_switch {
    struct px_hmap_node node; /* In l2.switches, by px_hash_u64(dpid). */
    uint64_t dpid;
    /* At most max_macs; cleared when full (its 'flushes'): starting over
     * costs some floods while the hosts are learned again. */
    struct px_mactable macs;
    uint64_t flow_mods; /* Flows installed. */
    uint64_t floods;    /* Frames flooded. */
    uint64_t refused;   /* Flow-mods and packet-outs openflow refused. */
};

struct l2 {
    struct px_topic *t_packet_out;
    struct px_topic *t_flow_mod;
    struct px_topic *t_stats_report;
    long long idle_timeout;
    long long hard_timeout;
    long long priority;
    long long max_macs;
    struct px_hmap switches; /* Owns its struct l2_switch. */
    struct l2_switch *last;  /* One-entry cache: packet-ins come in runs. */
    uint64_t flow_mods;      /* All switches', for the log at unload. */
    uint64_t floods;
    uint64_t refused;
    struct px_ratelimit rl_refused;
    /* The flow_mod this plugin sends for a known destination, kept filled
     * in between packets so that only its per-packet fields are written:
     * a fresh one for each packet means zeroing its 168 bytes (GCC does
     * it with 'rep stos') just before openflow reads them back, and loads
     * that cannot take their value from such stores wait for them; that
     * cost a tenth of the throughput.  'fm_busy' says it is being
     * published: a packet-in handled meanwhile (a plugin that publishes
     * one from a flow_mod subscriber) takes a copy. */
    struct px_of_flow_mod fm;
    struct px_of_action fm_out;
    int fm_busy;
};

static const struct px_config_key l2_keys[] = {
    {.key = "idle_timeout",
     .type = PX_CONFIG_INT,
     .default_value = "10",
     .min = 0,
     .max = 65535,
     .help = "seconds a learned flow may sit idle"},
    {.key = "hard_timeout",
     .type = PX_CONFIG_INT,
     .default_value = "30",
     .min = 0,
     .max = 65535,
     .help = "seconds a learned flow lives"},
    {.key = "priority",
     .type = PX_CONFIG_INT,
     .default_value = "100",
     .min = 1,
     .max = 65535,
     .help = "priority of learned flows"},
    {.key = "max_macs",
     .type = PX_CONFIG_INT,
     .default_value = "65536",
     .min = 16,
     .max = 16777216,
     .help = "MACs remembered per switch"},
    {.key = NULL},
};

/* find_switch's lookup in the map, when the cache missed. */
static __attribute__((noinline)) struct l2_switch *
find_switch_slow(struct l2 *l2, uint64_t dpid)
{
    struct l2_switch *sw;

    PX_HMAP_FOR_EACH_WITH_HASH (sw, node, px_hash_u64(dpid), &l2->switches) {
        if (sw->dpid == dpid) {
            return l2->last = sw;
        }
    }
    return NULL;
}

/* The switch's entry, or NULL.  The cache check inline and the map out of
 * line: as one function, not inlined, its call and the registers it saved
 * for the map cost more than the check that nearly always answers. */
static inline struct l2_switch *
find_switch(struct l2 *l2, uint64_t dpid)
{
    if (__builtin_expect(l2->last && l2->last->dpid == dpid, 1)) {
        return l2->last;
    }
    return find_switch_slow(l2, dpid);
}

static struct l2_switch *
add_switch(struct l2 *l2, uint64_t dpid)
{
    struct l2_switch *sw = calloc(1, sizeof *sw);

    if (!sw) {
        return NULL;
    }
    sw->dpid = dpid;
    px_mactable_init(&sw->macs, (size_t)l2->max_macs, PX_MACTABLE_FLUSH);
    px_hmap_insert(&l2->switches, &sw->node, px_hash_u64(dpid));
    return sw;
}

static void
free_switch(struct l2_switch *sw)
{
    px_mactable_destroy(&sw->macs);
    free(sw);
}

static void
remove_switch(struct l2 *l2, uint64_t dpid)
{
    struct l2_switch *sw = find_switch(l2, dpid);

    if (sw) {
        px_hmap_remove(&l2->switches, &sw->node);
        px_hmap_shrink(&l2->switches);
        l2->last = NULL;
        free_switch(sw);
    }
}

/* Checks the outcome of a 'what' request for 'sw' just published:
 * returns nonzero if openflow queued it, else counts and logs why not.
 * 'sw' is still the switch's entry: openflow handles a request without
 * closing a connection or publishing anything, so nothing removed or
 * moved entries during the publish. */
static int
sent(struct px_plugin *p, struct l2 *l2, struct l2_switch *sw,
     const char *what, const struct px_of_outcome *outcome)
{
    if (!outcome->code) {
        return 1;
    }
    l2->refused++;
    sw->refused++;
    px_log_rl(p, &l2->rl_refused, PX_LOG_WARN,
              "%s for switch %016" PRIx64 " not sent: %s (%llu refused so "
              "far)",
              what, sw->dpid, outcome->cause, (unsigned long long)sw->refused);
    return 0;
}

static void
flood(struct px_plugin *p, struct l2 *l2, struct l2_switch *sw,
      const struct px_of_packet_in *pi)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_action out = {.type = PX_OF_ACTION_OUTPUT,
                               .port = PX_OF_PORT_FLOOD};
    struct px_of_packet_out po = {
        .dpid = pi->dpid,
        .buffer_id = pi->buffer_id,
        .in_port = pi->in_port,
        .n_actions = 1,
        .actions = &out,
        .frame = pi->buffer_id == PX_OF_NO_BUFFER ? pi->frame : NULL,
        .frame_len = pi->buffer_id == PX_OF_NO_BUFFER ? pi->frame_len : 0,
        .outcome = &outcome,
    };

    px_publish(p, l2->t_packet_out, &po, sizeof po);
    if (sent(p, l2, sw, "flood packet_out", &outcome)) {
        l2->floods++;
        sw->floods++;
    }
}

static int
on_packet_in(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct l2 *l2 = px_get_data(p);
    const struct px_of_packet_in *pi = ev->payload;
    const uint8_t *dst, *src;
    struct l2_switch *sw;
    uint64_t h_src, h_dst;
    uint32_t port;

    (void)arg;
    /* Only the addresses are read, so they are all that is taken from
     * the frame: a full px_pkt_parse (a struct px_pkt zeroed and filled)
     * would cost the controller's hottest path fields it never uses. */
    if (ev->len < sizeof *pi ||
        !px_pkt_eth_addrs(pi->frame, pi->frame_len, &dst, &src)) {
        return PX_EVENT_CONTINUE;
    }
    sw = find_switch(l2, pi->dpid);
    if (!sw && !(sw = add_switch(l2, pi->dpid))) {
        return PX_EVENT_CONTINUE;
    }
    /* With many hosts the tables outgrow the cache: starting both chains'
     * loads before walking either makes their cache misses overlap. */
    h_src = px_hash_mac(src);
    h_dst = px_hash_mac(dst);
    px_mactable_prefetch(&sw->macs, h_src);
    px_mactable_prefetch(&sw->macs, h_dst);
    if (!px_pkt_mac_is_multicast(src)) {
        /* Not learned only for want of memory: its frames are flooded. */
        px_mactable_learn(&sw->macs, src, h_src, pi->in_port);
    }
    if (px_pkt_mac_is_multicast(dst) ||
        !px_mactable_lookup(&sw->macs, dst, h_dst, &port)) {
        flood(p, l2, sw, pi);
        return PX_EVENT_CONTINUE;
    }
    if (port == pi->in_port) {
        return PX_EVENT_CONTINUE; /* It is behind the port it came from. */
    }
    {
        struct px_of_outcome fm_outcome = PX_OF_OUTCOME_INIT;
        struct px_of_outcome po_outcome = PX_OF_OUTCOME_INIT;
        struct px_of_flow_mod *fm = &l2->fm, nested;
        struct px_of_action *out = &l2->fm_out, nested_out;

        if (l2->fm_busy) {
            nested = l2->fm;
            nested_out = l2->fm_out;
            fm = &nested;
            out = &nested_out;
            fm->actions = out;
        }
        out->port = port;
        fm->dpid = pi->dpid;
        fm->buffer_id = pi->buffer_id;
        fm->match.in_port = pi->in_port;
        memcpy(fm->match.dl_src, src, PX_ETH_ADDR_LEN);
        memcpy(fm->match.dl_dst, dst, PX_ETH_ADDR_LEN);
        fm->outcome = &fm_outcome;
        l2->fm_busy++;
        px_publish(p, l2->t_flow_mod, fm, sizeof *fm);
        l2->fm_busy--;
        if (sent(p, l2, sw, "flow_mod", &fm_outcome)) {
            l2->flow_mods++;
            sw->flow_mods++;
        }
        if (pi->buffer_id == PX_OF_NO_BUFFER) {
            /* The switch kept nothing: send this frame ourselves. */
            struct px_of_packet_out po = {
                .dpid = pi->dpid,
                .buffer_id = PX_OF_NO_BUFFER,
                .in_port = pi->in_port,
                .n_actions = 1,
                .actions = out,
                .frame = pi->frame,
                .frame_len = pi->frame_len,
                .outcome = &po_outcome,
            };

            px_publish(p, l2->t_packet_out, &po, sizeof po);
            sent(p, l2, sw, "packet_out", &po_outcome);
        }
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_down(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        remove_switch(px_get_data(p), sw->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct l2 *l2 = px_get_data(p);
    const struct px_stats_collect *c = ev->payload;
    const struct l2_switch *sw;

    (void)arg;
    if (ev->len < sizeof *c) {
        return PX_EVENT_CONTINUE;
    }
    PX_HMAP_FOR_EACH (sw, node, &l2->switches) {
        struct px_stats_field fields[] = {
            PX_STATS_GAUGE_FIELD("macs", "MACs in the switch's table",
                                 px_mactable_count(&sw->macs)),
            PX_STATS_COUNTER_FIELD("flow_mods", "Flows installed",
                                   sw->flow_mods),
            PX_STATS_COUNTER_FIELD("floods", "Frames flooded", sw->floods),
            PX_STATS_COUNTER_FIELD("flushes",
                                   "Times the full MAC table was cleared",
                                   sw->macs.flushes),
            PX_STATS_COUNTER_FIELD("requests_refused",
                                   "Flow-mods and packet-outs that openflow "
                                   "did not send (the log says why)",
                                   sw->refused),
        };
        char dpid[17];
        const struct px_stats_label key = {.name = "switch", .value = dpid};

        snprintf(dpid, sizeof dpid, "%016" PRIx64, sw->dpid);
        px_stats_publish(p, l2->t_stats_report, c->id, "l2_learning", &key, 1,
                         fields, sizeof fields / sizeof fields[0]);
    }
    return PX_EVENT_CONTINUE;
}

static void
l2_free(struct l2 *l2)
{
    struct l2_switch *sw;

    PX_HMAP_FOR_EACH_SAFE (sw, node, &l2->switches) {
        free_switch(sw);
    }
    px_hmap_destroy(&l2->switches);
    free(l2);
}

static int
l2_init(struct px_plugin *p)
{
    struct l2 *l2 = calloc(1, sizeof *l2);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 1);
    int error;

    if (!l2) {
        return ENOMEM;
    }
    l2->rl_refused = rl;
    px_hmap_init(&l2->switches);
    px_set_data(p, l2);
    if ((error = px_config_int(p, "idle_timeout", &l2->idle_timeout)) ||
        (error = px_config_int(p, "hard_timeout", &l2->hard_timeout)) ||
        (error = px_config_int(p, "priority", &l2->priority)) ||
        (error = px_config_int(p, "max_macs", &l2->max_macs)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_PACKET_OUT,
                                  PX_TOPIC_OF_VERSION, &l2->t_packet_out)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_MOD, PX_TOPIC_OF_VERSION,
                                  &l2->t_flow_mod)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_PACKET_IN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_packet_in, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, NULL, NULL)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &l2->t_stats_report)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL))) {
        px_set_data(p, NULL);
        l2_free(l2);
        return error;
    }
    l2->fm_out.type = PX_OF_ACTION_OUTPUT;
    l2->fm.command = PX_OF_FLOW_ADD;
    l2->fm.idle_timeout = (uint16_t)l2->idle_timeout;
    l2->fm.hard_timeout = (uint16_t)l2->hard_timeout;
    l2->fm.priority = (uint16_t)l2->priority;
    l2->fm.match.fields =
        PX_OF_MATCH_IN_PORT | PX_OF_MATCH_DL_SRC | PX_OF_MATCH_DL_DST;
    l2->fm.n_actions = 1;
    l2->fm.actions = &l2->fm_out;
    px_info(p, "learning: flows idle %llds, hard %llds, priority %lld",
            l2->idle_timeout, l2->hard_timeout, l2->priority);
    return 0;
}

static void
l2_fini(struct px_plugin *p)
{
    struct l2 *l2 = px_get_data(p);

    px_info(p,
            "%llu flows installed, %llu frames flooded, %llu requests "
            "refused",
            (unsigned long long)l2->flow_mods, (unsigned long long)l2->floods,
            (unsigned long long)l2->refused);
    l2_free(l2);
}

PX_PLUGIN_DEFINE(.name = "l2_learning", .version = L2_VERSION,
                 .description = "MAC-learning switch (like POX's "
                                "forwarding.l2_learning)",
                 .config_keys = l2_keys, .init = l2_init, .fini = l2_fini);
