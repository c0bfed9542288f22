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
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"

#define L2_VERSION "1.0.0"

/* One switch's table: open addressing over MAC keys (48 bits, with bit 63
 * marking a used slot), power-of-two size. */
struct l2_switch {
    uint64_t dpid;
    uint64_t *keys;
    uint32_t *ports;
    size_t mask;
    size_t count;
    uint64_t flushes;   /* Times the table was full and was cleared. */
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
    struct l2_switch *switches;
    size_t n_switches;
    struct l2_switch *last; /* One-entry cache: packet-ins come in runs. */
    uint64_t flow_mods;     /* All switches', for the log at unload. */
    uint64_t floods;
    uint64_t refused;
    struct px_ratelimit rl_refused;
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

#define L2_USED (1ull << 63)

static uint64_t
mac_key(const uint8_t *mac)
{
    return L2_USED | (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
           (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 |
           (uint64_t)mac[4] << 8 | mac[5];
}

static size_t
slot_of(const struct l2_switch *sw, uint64_t key)
{
    /* A multiplicative hash spreads the low, vendor-varying bits. */
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & sw->mask;
}

static int
table_alloc(struct l2_switch *sw, size_t slots)
{
    uint64_t *keys = calloc(slots, sizeof *keys);
    uint32_t *ports = calloc(slots, sizeof *ports);

    if (!keys || !ports) {
        free(keys);
        free(ports);
        return ENOMEM;
    }
    free(sw->keys);
    free(sw->ports);
    sw->keys = keys;
    sw->ports = ports;
    sw->mask = slots - 1;
    sw->count = 0;
    return 0;
}

static int
lookup(const struct l2_switch *sw, const uint8_t *mac, uint32_t *port)
{
    uint64_t key = mac_key(mac);
    size_t i = slot_of(sw, key);

    while (sw->keys[i]) {
        if (sw->keys[i] == key) {
            *port = sw->ports[i];
            return 1;
        }
        i = (i + 1) & sw->mask;
    }
    return 0;
}

static void learn(struct l2 *l2, struct l2_switch *sw, const uint8_t *mac,
                  uint32_t port);

/* Doubles the table, up to what max_macs needs; past that, forgets
 * everything (the bound is what keeps memory flat under a MAC flood). */
static void
grow(struct l2 *l2, struct l2_switch *sw)
{
    size_t old_slots = sw->mask + 1, i;
    uint64_t *keys = sw->keys;
    uint32_t *ports = sw->ports;

    if (sw->count + 1 > (size_t)l2->max_macs ||
        old_slots * 2 > 4 * (size_t)l2->max_macs) {
        memset(sw->keys, 0, old_slots * sizeof *sw->keys);
        sw->count = 0;
        sw->flushes++;
        return;
    }
    sw->keys = NULL;
    sw->ports = NULL;
    if (table_alloc(sw, old_slots * 2)) {
        sw->keys = keys;
        sw->ports = ports;
        memset(sw->keys, 0, old_slots * sizeof *sw->keys);
        sw->count = 0;
        sw->flushes++;
        return;
    }
    for (i = 0; i < old_slots; i++) {
        if (keys[i]) {
            uint8_t mac[6];
            int b;

            for (b = 0; b < 6; b++) {
                mac[b] = (uint8_t)(keys[i] >> (40 - 8 * b));
            }
            learn(l2, sw, mac, ports[i]);
        }
    }
    free(keys);
    free(ports);
}

static void
learn(struct l2 *l2, struct l2_switch *sw, const uint8_t *mac, uint32_t port)
{
    uint64_t key = mac_key(mac);
    size_t i;

    if ((sw->count + 1) * 4 > (sw->mask + 1) * 3) {
        grow(l2, sw);
    }
    for (i = slot_of(sw, key); sw->keys[i]; i = (i + 1) & sw->mask) {
        if (sw->keys[i] == key) {
            sw->ports[i] = port;
            return;
        }
    }
    sw->keys[i] = key;
    sw->ports[i] = port;
    sw->count++;
}

static struct l2_switch *
find_switch(struct l2 *l2, uint64_t dpid)
{
    size_t i;

    if (l2->last && l2->last->dpid == dpid) {
        return l2->last;
    }
    for (i = 0; i < l2->n_switches; i++) {
        if (l2->switches[i].dpid == dpid) {
            return l2->last = &l2->switches[i];
        }
    }
    return NULL;
}

static struct l2_switch *
add_switch(struct l2 *l2, uint64_t dpid)
{
    struct l2_switch *s =
        realloc(l2->switches, (l2->n_switches + 1) * sizeof *s);

    if (!s) {
        return NULL;
    }
    l2->switches = s;
    l2->last = NULL; /* The array may have moved. */
    s = &l2->switches[l2->n_switches];
    memset(s, 0, sizeof *s);
    s->dpid = dpid;
    if (table_alloc(s, 64)) {
        return NULL;
    }
    l2->n_switches++;
    return s;
}

static void
remove_switch(struct l2 *l2, uint64_t dpid)
{
    struct l2_switch *s = find_switch(l2, dpid);

    if (s) {
        free(s->keys);
        free(s->ports);
        *s = l2->switches[--l2->n_switches];
        l2->last = NULL;
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
    uint32_t port;

    (void)arg;
    if (ev->len < sizeof *pi || pi->frame_len < 14) {
        return PX_EVENT_CONTINUE;
    }
    dst = pi->frame;
    src = pi->frame + 6;
    sw = find_switch(l2, pi->dpid);
    if (!sw && !(sw = add_switch(l2, pi->dpid))) {
        return PX_EVENT_CONTINUE;
    }
    if (!(src[0] & 1)) {
        learn(l2, sw, src, pi->in_port);
    }
    if ((dst[0] & 1) || !lookup(sw, dst, &port)) {
        flood(p, l2, sw, pi);
        return PX_EVENT_CONTINUE;
    }
    if (port == pi->in_port) {
        return PX_EVENT_CONTINUE; /* It is behind the port it came from. */
    }
    {
        struct px_of_action out = {.type = PX_OF_ACTION_OUTPUT, .port = port};
        struct px_of_outcome fm_outcome = PX_OF_OUTCOME_INIT;
        struct px_of_outcome po_outcome = PX_OF_OUTCOME_INIT;
        struct px_of_flow_mod fm = {
            .dpid = pi->dpid,
            .command = PX_OF_FLOW_ADD,
            .idle_timeout = (uint16_t)l2->idle_timeout,
            .hard_timeout = (uint16_t)l2->hard_timeout,
            .priority = (uint16_t)l2->priority,
            .buffer_id = pi->buffer_id,
            .match = {.fields = PX_OF_MATCH_IN_PORT | PX_OF_MATCH_DL_SRC |
                                PX_OF_MATCH_DL_DST,
                      .in_port = pi->in_port},
            .n_actions = 1,
            .actions = &out,
            .outcome = &fm_outcome,
        };

        memcpy(fm.match.dl_src, src, 6);
        memcpy(fm.match.dl_dst, dst, 6);
        px_publish(p, l2->t_flow_mod, &fm, sizeof fm);
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
                .actions = &out,
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
    size_t i;

    (void)arg;
    if (ev->len < sizeof *c) {
        return PX_EVENT_CONTINUE;
    }
    for (i = 0; i < l2->n_switches; i++) {
        const struct l2_switch *sw = &l2->switches[i];
        struct px_stats_field fields[] = {
            PX_STATS_GAUGE_FIELD("macs", "MACs in the switch's table",
                                 sw->count),
            PX_STATS_COUNTER_FIELD("flow_mods", "Flows installed",
                                   sw->flow_mods),
            PX_STATS_COUNTER_FIELD("floods", "Frames flooded", sw->floods),
            PX_STATS_COUNTER_FIELD("flushes",
                                   "Times the full MAC table was cleared",
                                   sw->flushes),
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
    while (l2->n_switches) {
        remove_switch(l2, l2->switches[0].dpid);
    }
    free(l2->switches);
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
