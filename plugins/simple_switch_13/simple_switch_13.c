/*
 * simple_switch_13: Ryu's sample application simple_switch_13.py, the
 * first app most Ryu users read, as a Plexus plugin: a MAC-learning switch
 * for OpenFlow 1.3 switches.
 *
 * What Ryu's sample does, and where it happens here:
 *  - switch_features_handler installs the table-miss flow (priority 0,
 *    empty match, APPLY_ACTIONS output CONTROLLER with max_len NO_BUFFER,
 *    so the whole frame comes up): here on every switch already connected
 *    when the plugin starts (openflow.inventory in init, so a plugin
 *    enabled by a reload after the switches connected behaves the same)
 *    and on every openflow.switch_up.  It is sent with a reply_to, so the
 *    switch's ERROR for it is logged and counted.
 *  - _packet_in_handler ignores LLDP, learns source MAC -> in_port for the
 *    switch, and sends the frame to the learned port of its destination
 *    or floods it; for a learned port it first adds a flow of priority 1
 *    matching in_port, eth_dst and eth_src, applied to the switch's
 *    buffered packet when there is one (then no packet_out is needed),
 *    else followed by a packet_out of the frame.
 *  - OFP_VERSIONS = [OFP_VERSION 1.3]: a 1.0 switch is logged once, when
 *    it comes up, and its packet-ins are ignored.
 * Where Ryu hard-codes values this plugin has keys (priority, idle and
 * hard timeouts, cookie), with Ryu's values as defaults.  Two things Ryu
 * leaves out are added, since a controller must survive what a network
 * sends it: the MAC table of each switch is bounded (max_macs; a MAC that
 * does not fit is not learned, its frames are flooded, and it is
 * counted), and a multicast source address is never learned.
 *
 * Counters answer stats.collect, one "simple_switch_13" report per switch:
 * flows installed, floods, packet-outs, table-miss flows the switch
 * confirmed, MACs not learned, and requests refused by cause.  They count
 * from the switch's coming up or this plugin's load; the MAC tables are
 * not handed to the next generation on a reload (the flows already in the
 * switches keep forwarding, and what they do not cover is learned again
 * from the next packet-ins).
 *
 * Like l2_learning, it keeps the flow_mod of the packet path filled in
 * between packets and writes only its per-packet fields: see 'fm' below.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/byteorder.h"
#include "plexus/hash.h"
#include "plexus/hmap.h"
#include "plexus/mactable.h"
#include "plexus/packet.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"

#define SS_VERSION "1.0.0"

/* The request id of the table-miss flow_mods; the inventory's. */
#define SS_ID_TABLE_MISS 1
#define SS_ID_INVENTORY  2

/* The reserved value of an OUTPUT's max_len that asks for the whole
 * frame (OpenFlow 1.3's OFPCML_NO_BUFFER). */
#define SS_MAX_LEN_NO_BUFFER 0xffff

/* Why a request was not carried out: openflow's outcome codes (named as
 * openflow counts them), the switch's ERROR for a table-miss flow, and
 * openflow not loaded. */
enum ss_cause {
    SS_UNKNOWN_DPID,
    SS_MALFORMED,
    SS_UNSUPPORTED,
    SS_OUTPUT_FULL,
    SS_ROLE,
    SS_NOT_HANDLED,
    SS_SWITCH_ERROR,
    SS_OTHER,
    SS_N_CAUSES
};

static const char *const ss_cause_names[SS_N_CAUSES] = {
    [SS_UNKNOWN_DPID] = "unknown_dpid",
    [SS_MALFORMED] = "malformed",
    [SS_UNSUPPORTED] = "unsupported",
    [SS_OUTPUT_FULL] = "output_full",
    [SS_ROLE] = "role",
    [SS_NOT_HANDLED] = "not_handled",
    [SS_SWITCH_ERROR] = "switch_error",
    [SS_OTHER] = "other",
};

static enum ss_cause
cause_of(int code)
{
    switch (code) {
    case ENODEV:
        return SS_UNKNOWN_DPID;
    case EINVAL:
    case EMSGSIZE:
        return SS_MALFORMED;
    case EOPNOTSUPP:
        return SS_UNSUPPORTED;
    case ENOBUFS:
        return SS_OUTPUT_FULL;
    case EPERM:
        return SS_ROLE;
    case PX_OF_OUTCOME_UNHANDLED:
        return SS_NOT_HANDLED;
    default:
        return SS_OTHER;
    }
}

/* One OpenFlow 1.3 switch: Ryu's mac_to_port[dpid], and its counters.
 * Allocated one by one, so a pointer to it stays valid while others come
 * and go. */
struct ss_switch {
    struct px_hmap_node node; /* In ss.switches, by px_hash_u64(dpid). */
    uint64_t dpid;
    /* At most max_macs: a new MAC past them is not learned (counted in
     * its 'not_learned'), and the frames for it are flooded. */
    struct px_mactable macs;
    uint64_t flow_mods;    /* Learned flows queued for the switch. */
    uint64_t floods;       /* Frames flooded. */
    uint64_t packet_outs;  /* Frames sent to a learned port. */
    uint64_t lldp;         /* LLDP frames ignored. */
    uint64_t table_misses; /* Table-miss flows the switch confirmed. */
    uint64_t refused[SS_N_CAUSES];
};

struct ss {
    char reply_to[128];
    struct px_topic *t_packet_out;
    struct px_topic *t_flow_mod;
    struct px_topic *t_inventory;
    struct px_topic *t_stats_report;
    long long priority;
    long long idle_timeout;
    long long hard_timeout;
    long long max_macs;
    long long cookie;
    struct px_hmap switches; /* Owns its struct ss_switch. */
    struct ss_switch *last;  /* One-entry cache: packet-ins come in runs. */
    uint64_t flow_mods;      /* All switches', for the log at unload. */
    uint64_t floods;
    uint64_t refused;
    struct px_ratelimit rl_refused;
    struct px_ratelimit rl_full;
    /* The flow_mod of a learned destination, kept filled in between
     * packets so that only its per-packet fields are written (dpid,
     * buffer, the three match values, the output port): zeroing a fresh
     * one for each packet costs l2_learning a tenth of its throughput.
     * 'fm_busy' says it is being published: a packet-in handled meanwhile
     * (a plugin that publishes one from a flow_mod subscriber) takes a
     * copy. */
    struct px_of_flow_mod fm;
    struct px_of_field fm_match[3]; /* in_port, eth_dst, eth_src. */
    struct px_of_action fm_out;
    struct px_of_instruction fm_apply;
    int fm_busy;
};

static const struct px_config_key ss_keys[] = {
    {.key = "priority",
     .type = PX_CONFIG_INT,
     .default_value = "1",
     .min = 1,
     .max = 65535,
     .help = "priority of learned flows (Ryu: 1)"},
    {.key = "idle_timeout",
     .type = PX_CONFIG_INT,
     .default_value = "0",
     .min = 0,
     .max = 65535,
     .help = "seconds a learned flow may sit idle; 0: forever (Ryu: 0)"},
    {.key = "hard_timeout",
     .type = PX_CONFIG_INT,
     .default_value = "0",
     .min = 0,
     .max = 65535,
     .help = "seconds a learned flow lives; 0: forever (Ryu: 0)"},
    {.key = "max_macs",
     .type = PX_CONFIG_INT,
     .default_value = "65536",
     .min = 1,
     .max = 16777216,
     .help = "MACs learned per switch; more are flooded and counted"},
    {.key = "cookie",
     .type = PX_CONFIG_INT,
     .default_value = "0",
     .min = 0,
     .max = 9007199254740991.0, /* 2^53 - 1: exact in the schema's double. */
     .help = "cookie of the flows it installs, table-miss included (Ryu: "
             "0)"},
    {.key = NULL},
};

/* ---------------------------------------------------------------------- */
/* Switches and their MAC tables.                                         */

/* Ryu's mac_to_port[dpid][src] = in_port, within max_macs. */
static void
learn(struct px_plugin *p, struct ss *ss, struct ss_switch *sw,
      const uint8_t *mac, uint32_t port)
{
    char text[PX_PKT_MAC_STRLEN];

    if (px_mactable_learn(&sw->macs, mac, px_hash_mac(mac), port)) {
        px_log_rl(p, &ss->rl_full, PX_LOG_WARN,
                  "switch %016" PRIx64 ": %s not learned: the table is full "
                  "(max_macs %lld; %" PRIu64 " not learned so far)",
                  sw->dpid, px_pkt_format_mac(mac, text, sizeof text),
                  ss->max_macs, sw->macs.not_learned);
    }
}

static struct ss_switch *
find_switch(struct ss *ss, uint64_t dpid)
{
    struct ss_switch *sw;

    if (ss->last && ss->last->dpid == dpid) {
        return ss->last;
    }
    PX_HMAP_FOR_EACH_WITH_HASH (sw, node, px_hash_u64(dpid), &ss->switches) {
        if (sw->dpid == dpid) {
            return ss->last = sw;
        }
    }
    return NULL;
}

static struct ss_switch *
get_switch(struct ss *ss, uint64_t dpid)
{
    struct ss_switch *sw = find_switch(ss, dpid);

    if (!sw && (sw = calloc(1, sizeof *sw))) {
        sw->dpid = dpid;
        px_mactable_init(&sw->macs, (size_t)ss->max_macs, PX_MACTABLE_KEEP);
        px_hmap_insert(&ss->switches, &sw->node, px_hash_u64(dpid));
    }
    return sw;
}

static void
free_switch(struct ss_switch *sw)
{
    px_mactable_destroy(&sw->macs);
    free(sw);
}

static void
remove_switch(struct ss *ss, uint64_t dpid)
{
    struct ss_switch *sw = find_switch(ss, dpid);

    if (sw) {
        px_hmap_remove(&ss->switches, &sw->node);
        px_hmap_shrink(&ss->switches);
        ss->last = NULL;
        free_switch(sw);
    }
}

/* ---------------------------------------------------------------------- */
/* Requests.                                                              */

/* Checks the outcome of a 'what' request for 'sw' just published:
 * returns nonzero if openflow queued it, else counts and logs why not.
 * 'sw' is still valid: openflow handles a request without closing a
 * connection or publishing anything that removes switches. */
static int
sent(struct px_plugin *p, struct ss *ss, struct ss_switch *sw,
     const char *what, const struct px_of_outcome *outcome)
{
    enum ss_cause cause;

    if (!outcome->code) {
        return 1;
    }
    cause = cause_of(outcome->code);
    ss->refused++;
    sw->refused[cause]++;
    px_log_rl(p, &ss->rl_refused, PX_LOG_WARN,
              "%s for switch %016" PRIx64 " not sent (%s): %s", what, sw->dpid,
              ss_cause_names[cause], outcome->cause);
    return 0;
}

/* Ryu's switch_features_handler: the table-miss flow. */
static void
add_table_miss(struct px_plugin *p, struct ss *ss, struct ss_switch *sw)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_action to_controller = {
        .type = PX_OF_ACTION_OUTPUT,
        .port = PX_OF_PORT_CONTROLLER,
        .max_len = SS_MAX_LEN_NO_BUFFER,
    };
    struct px_of_instruction apply = {
        .type = PX_OF_INSTR_APPLY_ACTIONS,
        .n_actions = 1,
        .actions = &to_controller,
    };
    struct px_of_flow_mod fm = {
        .dpid = sw->dpid,
        .command = PX_OF_FLOW_ADD,
        .priority = 0,
        .cookie = (uint64_t)ss->cookie,
        .buffer_id = PX_OF_NO_BUFFER,
        .n_instructions = 1,
        .instructions = &apply,
        .outcome = &outcome,
        .reply_to = ss->reply_to,
        .request_id = SS_ID_TABLE_MISS,
    };

    px_publish(p, ss->t_flow_mod, &fm, sizeof fm);
    sent(p, ss, sw, "table-miss flow_mod", &outcome);
}

/* A switch is up (switch_up, or the inventory in init). */
static void
switch_up(struct px_plugin *p, struct ss *ss, uint64_t dpid, uint8_t version)
{
    struct ss_switch *sw;

    if (version != PX_OF_VERSION_13) {
        px_warn(p,
                "switch %016" PRIx64 " speaks OpenFlow 1.0: ignored (this "
                "app, like Ryu's, serves OpenFlow 1.3 switches)",
                dpid);
        return;
    }
    if (!(sw = get_switch(ss, dpid))) {
        px_warn(p, "switch %016" PRIx64 ": out of memory", dpid);
        return;
    }
    add_table_miss(p, ss, sw);
}

static void
flood(struct px_plugin *p, struct ss *ss, struct ss_switch *sw,
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

    px_publish(p, ss->t_packet_out, &po, sizeof po);
    if (sent(p, ss, sw, "flood packet_out", &outcome)) {
        ss->floods++;
        sw->floods++;
    }
}

/* Ryu's add_flow(datapath, 1, match(in_port, eth_dst, eth_src), output
 * 'port', buffer_id), then its packet_out when the switch kept nothing. */
static void
forward(struct px_plugin *p, struct ss *ss, struct ss_switch *sw,
        const struct px_of_packet_in *pi, uint32_t port)
{
    struct px_of_outcome fm_outcome = PX_OF_OUTCOME_INIT;
    struct px_of_outcome po_outcome = PX_OF_OUTCOME_INIT;
    struct px_of_flow_mod *fm = &ss->fm, nested;
    struct px_of_field *match = ss->fm_match, nested_match[3];
    struct px_of_action *out = &ss->fm_out, nested_out;
    struct px_of_instruction nested_apply;

    if (ss->fm_busy) {
        nested = ss->fm;
        memcpy(nested_match, ss->fm_match, sizeof nested_match);
        nested_out = ss->fm_out;
        nested_apply = ss->fm_apply;
        nested_apply.actions = &nested_out;
        nested.fields = nested_match;
        nested.instructions = &nested_apply;
        fm = &nested;
        match = nested_match;
        out = &nested_out;
    }
    out->port = port;
    fm->dpid = pi->dpid;
    fm->buffer_id = pi->buffer_id;
    px_put_be32(match[0].value, pi->in_port);
    memcpy(match[1].value, pi->frame, 6);
    memcpy(match[2].value, pi->frame + 6, 6);
    fm->outcome = &fm_outcome;
    ss->fm_busy++;
    px_publish(p, ss->t_flow_mod, fm, sizeof *fm);
    ss->fm_busy--;
    if (sent(p, ss, sw, "flow_mod", &fm_outcome)) {
        ss->flow_mods++;
        sw->flow_mods++;
    }
    if (pi->buffer_id == PX_OF_NO_BUFFER) {
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

        px_publish(p, ss->t_packet_out, &po, sizeof po);
        if (sent(p, ss, sw, "packet_out", &po_outcome)) {
            sw->packet_outs++;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Events.                                                                */

/* Ryu's _packet_in_handler. */
static int
on_packet_in(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct ss *ss = px_get_data(p);
    const struct px_of_packet_in *pi = ev->payload;
    const uint8_t *dst, *src;
    struct ss_switch *sw;
    uint32_t port;

    (void)arg;
    if (ev->len < sizeof *pi || pi->version != PX_OF_VERSION_13 ||
        !px_pkt_eth_addrs(pi->frame, pi->frame_len, &dst, &src)) {
        return PX_EVENT_CONTINUE;
    }
    if (!(sw = get_switch(ss, pi->dpid))) {
        return PX_EVENT_CONTINUE;
    }
    if (px_pkt_is_lldp(pi->frame, pi->frame_len)) {
        sw->lldp++;
        return PX_EVENT_CONTINUE;
    }
    if (px_log_enabled(p, PX_LOG_DEBUG)) {
        char s[PX_PKT_MAC_STRLEN], d[PX_PKT_MAC_STRLEN];

        px_debug(p, "packet in %016" PRIx64 " %s %s %" PRIu32, pi->dpid,
                 px_pkt_format_mac(src, s, sizeof s),
                 px_pkt_format_mac(dst, d, sizeof d), pi->in_port);
    }
    if (!px_pkt_mac_is_multicast(src)) {
        learn(p, ss, sw, src, pi->in_port);
    }
    if (px_mactable_lookup(&sw->macs, dst, px_hash_mac(dst), &port)) {
        forward(p, ss, sw, pi, port);
    } else {
        flood(p, ss, sw, pi);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        switch_up(p, px_get_data(p), sw->dpid, sw->version);
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

/* Switches of the inventory, noted during its replies and brought up
 * once it is over: init sends no request from inside them. */
struct ss_inventory_switch {
    uint64_t dpid;
    uint8_t version;
};

struct ss_inventory {
    struct ss_inventory_switch *sws;
    size_t n, cap;
    size_t lost; /* Switches not noted: memory was short. */
};

static void
note_switch(struct ss_inventory *inv, uint64_t dpid, uint8_t version)
{
    if (inv->n == inv->cap) {
        size_t cap = inv->cap ? 2 * inv->cap : 64;
        struct ss_inventory_switch *sws = realloc(inv->sws, cap * sizeof *sws);

        if (!sws) {
            inv->lost++;
            return;
        }
        inv->sws = sws;
        inv->cap = cap;
    }
    inv->sws[inv->n].dpid = dpid;
    inv->sws[inv->n++].version = version;
}

static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct ss *ss = px_get_data(p);
    const struct px_of_reply *r = ev->payload;
    struct ss_inventory *inv = arg;
    struct ss_switch *sw;

    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    if (r->request_id == SS_ID_INVENTORY) {
        if (r->type == PX_OF_REPLY_SWITCH && inv) {
            note_switch(inv, r->dpid, r->sw->version);
        }
        return PX_EVENT_CONTINUE;
    }
    if (r->request_id != SS_ID_TABLE_MISS ||
        !(sw = find_switch(ss, r->dpid))) {
        return PX_EVENT_CONTINUE;
    }
    switch (r->type) {
    case PX_OF_REPLY_OK:
        sw->table_misses++;
        px_info(p, "switch %016" PRIx64 ": table-miss flow installed",
                sw->dpid);
        break;
    case PX_OF_REPLY_ERROR:
        ss->refused++;
        sw->refused[SS_SWITCH_ERROR]++;
        px_warn(p,
                "switch %016" PRIx64 " refused the table-miss flow: ERROR "
                "type %u code %u",
                sw->dpid, r->error->type, r->error->code);
        break;
    case PX_OF_REPLY_GONE:
        px_info(p, "switch %016" PRIx64 ": table-miss flow unanswered: %s",
                sw->dpid, r->cause);
        break;
    default:
        break;
    }
    return PX_EVENT_CONTINUE;
}

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct ss *ss = px_get_data(p);
    const struct px_stats_collect *c = ev->payload;
    const struct ss_switch *sw;

    (void)arg;
    if (ev->len < sizeof *c) {
        return PX_EVENT_CONTINUE;
    }
    PX_HMAP_FOR_EACH (sw, node, &ss->switches) {
        struct px_stats_field fields[7 + SS_N_CAUSES] = {
            PX_STATS_GAUGE_FIELD("macs", "MACs in the switch's table",
                                 px_mactable_count(&sw->macs)),
            PX_STATS_COUNTER_FIELD("macs_unlearned",
                                   "Source MACs not learned: the table was "
                                   "full (max_macs)",
                                   sw->macs.not_learned),
            PX_STATS_COUNTER_FIELD("flow_mods", "Learned flows installed",
                                   sw->flow_mods),
            PX_STATS_COUNTER_FIELD("floods", "Frames flooded", sw->floods),
            PX_STATS_COUNTER_FIELD("packet_outs",
                                   "Frames sent to a learned port",
                                   sw->packet_outs),
            PX_STATS_COUNTER_FIELD("lldp_ignored", "LLDP frames ignored",
                                   sw->lldp),
            PX_STATS_COUNTER_FIELD("table_miss_installs",
                                   "Table-miss flows the switch confirmed",
                                   sw->table_misses),
        };
        size_t n = 7;
        int i;
        char dpid[17];
        const struct px_stats_label key = {.name = "switch", .value = dpid};

        for (i = 0; i < SS_N_CAUSES; i++) {
            fields[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
                "requests_refused",
                "Flow-mods and packet-outs not carried out, by cause", "cause",
                ss_cause_names[i], sw->refused[i]);
        }
        snprintf(dpid, sizeof dpid, "%016" PRIx64, sw->dpid);
        px_stats_publish(p, ss->t_stats_report, c->id, "simple_switch_13",
                         &key, 1, fields, n);
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Life cycle.                                                            */

static void
ss_free(struct ss *ss)
{
    struct ss_switch *sw;

    if (!ss) {
        return;
    }
    PX_HMAP_FOR_EACH_SAFE (sw, node, &ss->switches) {
        free_switch(sw);
    }
    px_hmap_destroy(&ss->switches);
    free(ss);
}

/* Fills in the flow_mod of the packet path: everything but the dpid,
 * the buffer, the match's values and the output port. */
static void
init_flow_mod(struct ss *ss)
{
    ss->fm_match[0] = px_of_field_zero(PX_OF_F_IN_PORT);
    ss->fm_match[1] = px_of_field_zero(PX_OF_F_ETH_DST);
    ss->fm_match[2] = px_of_field_zero(PX_OF_F_ETH_SRC);
    ss->fm_out.type = PX_OF_ACTION_OUTPUT;
    ss->fm_apply.type = PX_OF_INSTR_APPLY_ACTIONS;
    ss->fm_apply.n_actions = 1;
    ss->fm_apply.actions = &ss->fm_out;
    ss->fm.command = PX_OF_FLOW_ADD;
    ss->fm.priority = (uint16_t)ss->priority;
    ss->fm.idle_timeout = (uint16_t)ss->idle_timeout;
    ss->fm.hard_timeout = (uint16_t)ss->hard_timeout;
    ss->fm.cookie = (uint64_t)ss->cookie;
    ss->fm.n_fields = 3;
    ss->fm.fields = ss->fm_match;
    ss->fm.n_instructions = 1;
    ss->fm.instructions = &ss->fm_apply;
}

/* Brings up every switch connected before this plugin. */
static int
take_inventory(struct px_plugin *p, struct ss *ss)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct ss_inventory inv = {.n = 0};
    struct px_of_inventory rq = {.reply_to = ss->reply_to,
                                 .request_id = SS_ID_INVENTORY,
                                 .outcome = &outcome};
    struct px_sub *sub = NULL;
    size_t i;
    int error;

    if ((error = px_subscribe(p, ss->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_FIRST, on_reply, &inv, &sub))) {
        return error;
    }
    px_publish(p, ss->t_inventory, &rq, sizeof rq);
    /* Every reply came during the publish; 'inv' lives on this stack. */
    px_unsubscribe(p, sub);
    if (outcome.code) {
        px_warn(p, "the switches already connected are not known: %s",
                outcome.cause);
    }
    if (inv.lost) {
        px_warn(p,
                "out of memory: %zu switches already connected get no "
                "table-miss flow",
                inv.lost);
    }
    for (i = 0; i < inv.n; i++) {
        switch_up(p, ss, inv.sws[i].dpid, inv.sws[i].version);
    }
    free(inv.sws);
    return 0;
}

static int
ss_init(struct px_plugin *p)
{
    struct ss *ss = calloc(1, sizeof *ss);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 1);
    int error;

    if (!ss) {
        return ENOMEM;
    }
    ss->rl_refused = rl;
    ss->rl_full = rl;
    px_hmap_init(&ss->switches);
    snprintf(ss->reply_to, sizeof ss->reply_to, "%s.openflow",
             px_instance_name(p));
    px_set_data(p, ss);
    if ((error = px_config_int(p, "priority", &ss->priority)) ||
        (error = px_config_int(p, "idle_timeout", &ss->idle_timeout)) ||
        (error = px_config_int(p, "hard_timeout", &ss->hard_timeout)) ||
        (error = px_config_int(p, "max_macs", &ss->max_macs)) ||
        (error = px_config_int(p, "cookie", &ss->cookie)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_PACKET_OUT,
                                  PX_TOPIC_OF_VERSION, &ss->t_packet_out)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_MOD, PX_TOPIC_OF_VERSION,
                                  &ss->t_flow_mod)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &ss->t_inventory)) ||
        (error = px_subscribe(p, ss->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_PACKET_IN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_packet_in, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, NULL, NULL)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &ss->t_stats_report)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL))) {
        px_set_data(p, NULL);
        ss_free(ss);
        return error;
    }
    init_flow_mod(ss);
    px_info(p,
            "learning on OpenFlow 1.3 switches: flows at priority %lld, "
            "idle %llds, hard %llds; at most %lld MACs per switch",
            ss->priority, ss->idle_timeout, ss->hard_timeout, ss->max_macs);
    if ((error = take_inventory(p, ss))) {
        px_set_data(p, NULL);
        ss_free(ss);
        return error;
    }
    return 0;
}

static void
ss_fini(struct px_plugin *p)
{
    struct ss *ss = px_get_data(p);

    px_info(p,
            "%" PRIu64 " flows installed, %" PRIu64 " frames flooded, "
            "%" PRIu64 " requests refused",
            ss->flow_mods, ss->floods, ss->refused);
    ss_free(ss);
}

PX_PLUGIN_DEFINE(.name = "simple_switch_13", .version = SS_VERSION,
                 .description = "MAC-learning switch for OpenFlow 1.3 "
                                "(Ryu's simple_switch_13)",
                 .config_keys = ss_keys, .init = ss_init, .fini = ss_fini);
