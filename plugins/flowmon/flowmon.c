/*
 * flowmon: per-flow and per-port counters of every switch, polled with
 * openflow.stats and exported to /metrics.
 *
 * Every 'interval' seconds each switch it knows (openflow.inventory in
 * init, then switch_up and switch_down) is asked for the statistics of
 * every flow of every table (FLOW) and of every port (PORT).  A reply
 * replaces that switch's snapshot of its kind whole, so that at
 * stats.collect the figures reported are those of the last completed
 * poll, each flow and port as the switch counted them at one moment; a
 * poll still out when the next tick comes is not asked again (it ends,
 * at worst, GONE with its switch).
 *
 * Flows are labelled by switch, table, priority, cookie and match (the
 * match as compact text, of_text.h): in one table no two flows share a
 * priority and match, so the labels tell them apart.  A switch's flows
 * past 'max_flows' are left out of the snapshot (the first ones the
 * switch listed are kept) and counted; so are ports past 'max_ports' and
 * switches past 'max_switches'.  The names do not collide with openflow's
 * own per-switch and per-port counters (plexus_switch_*, plexus_port_*,
 * which count controller traffic): every family here is
 * plexus_flowmon_*.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/buf.h"
#include "plexus/hash.h"
#include "plexus/hmap.h"
#include "plexus/of_text.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"

#define FM_VERSION "1.0.0"

/* Request ids: the kind in the top byte, a sequence number below. */
#define FM_REQ_FLOWS     1ull
#define FM_REQ_PORTS     2ull
#define FM_REQ_INVENTORY 3ull
#define FM_REQ(KIND, N)  ((KIND) << 56 | ((N)&0x00ffffffffffffffull))
#define FM_REQ_KIND(ID)  ((ID) >> 56)

/* One flow of a snapshot. */
struct fm_flow {
    uint8_t table_id;
    uint16_t priority;
    uint64_t cookie;
    uint64_t packets;
    uint64_t bytes;
    double duration;
    size_t match; /* Offset of its match's text in fm_switch.text. */
};

/* One switch and its last completed polls.  Allocated one by one. */
struct fm_switch {
    struct px_hmap_node node; /* In fm.switches, by px_hash_u64(dpid). */
    uint64_t dpid;
    int flows_pending;
    int ports_pending;
    double flows_asked_at; /* px_now() when the pending poll was asked. */
    double ports_asked_at;
    /* The last completed FLOW poll: 'n_flows' of the 'flows_total' flows
     * the switch had ('flows_total - n_flows' left out); their matches'
     * text, NUL-terminated one after the other, in 'text'. */
    int have_flows;
    struct fm_flow *flows;
    size_t n_flows;
    size_t flows_total;
    struct px_buf text;
    double flows_at; /* When it was asked (its 'flows_asked_at'). */
    /* The last completed PORT poll. */
    int have_ports;
    struct px_of_port_stats *ports;
    size_t n_ports;
    size_t ports_total;
    double ports_at;
    uint64_t polls;         /* Replies read, both kinds. */
    uint64_t poll_failures; /* Requests refused, ERROR or GONE. */
    uint64_t flows_omitted; /* Flows left out, summed over polls. */
};

struct fm {
    char reply_to[128];
    struct px_topic *t_stats;
    struct px_topic *t_inventory;
    struct px_topic *t_stats_report;
    struct px_timer *timer;
    double interval;
    long long max_flows;
    long long max_ports;
    long long max_switches;
    struct px_hmap switches; /* Owns its struct fm_switch. */
    uint64_t next_seq;
    uint64_t untracked; /* Switches past max_switches. */
    uint64_t refused;   /* Requests openflow did not take. */
    struct px_ratelimit rl;
};

static const struct px_config_key fm_keys[] = {
    {.key = "interval",
     .type = PX_CONFIG_DURATION,
     .default_value = "5",
     .min = 0.05,
     .max = 86400,
     .help = "seconds between polls of each switch"},
    {.key = "max_flows",
     .type = PX_CONFIG_INT,
     .default_value = "1000",
     .min = 0,
     .max = 1000000,
     .help = "flows exported per switch; the rest are counted"},
    {.key = "max_ports",
     .type = PX_CONFIG_INT,
     .default_value = "1024",
     .min = 0,
     .max = 1000000,
     .help = "ports exported per switch; the rest are counted"},
    {.key = "max_switches",
     .type = PX_CONFIG_INT,
     .default_value = "1024",
     .min = 1,
     .max = 1048576,
     .help = "switches polled; more are counted, not polled"},
    {.key = NULL},
};

static struct fm_switch *
find_switch(const struct fm *fm, uint64_t dpid)
{
    struct fm_switch *sw;

    PX_HMAP_FOR_EACH_WITH_HASH (sw, node, px_hash_u64(dpid), &fm->switches) {
        if (sw->dpid == dpid) {
            break;
        }
    }
    return sw;
}

/* Drops both snapshots of 'sw'. */
static void
clear_snapshots(struct fm_switch *sw)
{
    free(sw->flows);
    sw->flows = NULL;
    sw->n_flows = sw->flows_total = 0;
    px_buf_destroy(&sw->text);
    px_buf_init(&sw->text, SIZE_MAX);
    sw->have_flows = 0;
    free(sw->ports);
    sw->ports = NULL;
    sw->n_ports = sw->ports_total = 0;
    sw->have_ports = 0;
}

static void
free_switch(struct fm_switch *sw)
{
    if (sw) {
        clear_snapshots(sw);
        px_buf_destroy(&sw->text);
        free(sw);
    }
}

/* Tracks 'dpid' afresh: a switch that came up again starts with no
 * snapshot, since its counters may have started over. */
static void
track_switch(struct px_plugin *p, struct fm *fm, uint64_t dpid)
{
    struct fm_switch *sw = find_switch(fm, dpid);

    if (sw) {
        clear_snapshots(sw);
        /* Polls still out for the previous session end GONE. */
        sw->flows_pending = sw->ports_pending = 0;
        return;
    }
    if (px_hmap_count(&fm->switches) >= (size_t)fm->max_switches) {
        fm->untracked++;
        px_log_rl(p, &fm->rl, PX_LOG_WARN,
                  "switch %016" PRIx64 " not polled: %lld switches "
                  "(max_switches) already are",
                  dpid, fm->max_switches);
        return;
    }
    sw = calloc(1, sizeof *sw);
    if (!sw) {
        return;
    }
    sw->dpid = dpid;
    px_buf_init(&sw->text, SIZE_MAX);
    px_hmap_insert(&fm->switches, &sw->node, px_hash_u64(dpid));
}

static void
forget_switch(struct fm *fm, uint64_t dpid)
{
    struct fm_switch *sw = find_switch(fm, dpid);

    if (sw) {
        px_hmap_remove(&fm->switches, &sw->node);
        px_hmap_shrink(&fm->switches);
        free_switch(sw);
    }
}

/* Asks 'sw' for statistics of 'type' (FLOW or PORT). */
static void
ask(struct px_plugin *p, struct fm *fm, struct fm_switch *sw, uint32_t type)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_stats_request rq;

    memset(&rq, 0, sizeof rq);
    rq.dpid = sw->dpid;
    rq.type = type;
    rq.table_id = PX_OF_TABLE_ALL;
    rq.port_no = PX_OF_PORT_ANY;
    rq.reply_to = fm->reply_to;
    rq.request_id =
        FM_REQ(type == PX_OF_STATS_FLOW ? FM_REQ_FLOWS : FM_REQ_PORTS,
               fm->next_seq++);
    rq.outcome = &outcome;
    px_publish(p, fm->t_stats, &rq, sizeof rq);
    if (outcome.code) {
        fm->refused++;
        sw->poll_failures++;
        px_log_rl(p, &fm->rl, PX_LOG_WARN,
                  "statistics request for switch %016" PRIx64 " not sent: %s",
                  sw->dpid, outcome.cause);
    } else if (type == PX_OF_STATS_FLOW) {
        sw->flows_pending = 1;
        sw->flows_asked_at = px_now(p);
    } else {
        sw->ports_pending = 1;
        sw->ports_asked_at = px_now(p);
    }
}

static void
on_timer(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct fm *fm = arg;
    struct fm_switch *sw;

    (void)t;
    PX_HMAP_FOR_EACH (sw, node, &fm->switches) {
        if (!sw->flows_pending) {
            ask(p, fm, sw, PX_OF_STATS_FLOW);
        }
        if (!sw->ports_pending) {
            ask(p, fm, sw, PX_OF_STATS_PORT);
        }
    }
}

/* A FLOW reply: the switch's new flow snapshot. */
static void
take_flows(struct fm *fm, struct fm_switch *sw, const struct px_of_stats *st)
{
    size_t i,
        n = st->n < (size_t)fm->max_flows ? st->n : (size_t)fm->max_flows;
    struct fm_flow *flows = n ? calloc(n, sizeof *flows) : NULL;
    struct px_buf text = PX_BUF_INITIALIZER(SIZE_MAX);

    if (n && !flows) {
        sw->poll_failures++;
        return; /* The previous snapshot stays. */
    }
    for (i = 0; i < n; i++) {
        const struct px_of_flow_stats *f = &st->flows[i];

        flows[i].table_id = f->table_id;
        flows[i].priority = f->priority;
        flows[i].cookie = f->cookie;
        flows[i].packets = f->packet_count;
        flows[i].bytes = f->byte_count;
        flows[i].duration = f->duration_sec + f->duration_nsec / 1e9;
        flows[i].match = text.len;
        px_of_match_format(&text, f->match, f->n_match, PX_OF_TEXT_OXM);
        px_buf_put_u8(&text, 0);
    }
    if (px_buf_error(&text)) {
        px_buf_destroy(&text);
        free(flows);
        sw->poll_failures++;
        return;
    }
    free(sw->flows);
    px_buf_destroy(&sw->text);
    sw->text = text;
    sw->flows = flows;
    sw->n_flows = n;
    sw->flows_total = st->n;
    sw->flows_omitted += st->n - n;
    sw->flows_at = sw->flows_asked_at;
    sw->have_flows = 1;
}

/* A PORT reply: the switch's new port snapshot. */
static void
take_ports(struct fm *fm, struct fm_switch *sw, const struct px_of_stats *st)
{
    size_t n = st->n < (size_t)fm->max_ports ? st->n : (size_t)fm->max_ports;
    struct px_of_port_stats *ports = n ? malloc(n * sizeof *ports) : NULL;

    if (n && !ports) {
        sw->poll_failures++;
        return;
    }
    if (n) {
        memcpy(ports, st->ports, n * sizeof *ports);
    }
    free(sw->ports);
    sw->ports = ports;
    sw->n_ports = n;
    sw->ports_total = st->n;
    sw->ports_at = sw->ports_asked_at;
    sw->have_ports = 1;
}

static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;
    struct fm *fm = px_get_data(p);
    struct fm_switch *sw;
    uint64_t kind;

    (void)arg;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    kind = FM_REQ_KIND(r->request_id);
    if ((kind != FM_REQ_FLOWS && kind != FM_REQ_PORTS) ||
        !(sw = find_switch(fm, r->dpid))) {
        return PX_EVENT_CONTINUE;
    }
    if (kind == FM_REQ_FLOWS) {
        sw->flows_pending = 0;
    } else {
        sw->ports_pending = 0;
    }
    if (r->type != PX_OF_REPLY_STATS) {
        sw->poll_failures++;
        if (r->type == PX_OF_REPLY_ERROR) {
            px_log_rl(p, &fm->rl, PX_LOG_WARN,
                      "switch %016" PRIx64 " refused a %s statistics "
                      "request: error type %u code %u",
                      r->dpid, kind == FM_REQ_FLOWS ? "flow" : "port",
                      r->error->type, r->error->code);
        }
        return PX_EVENT_CONTINUE;
    }
    sw->polls++;
    if (r->stats->type == PX_OF_STATS_FLOW) {
        take_flows(fm, sw, r->stats);
    } else if (r->stats->type == PX_OF_STATS_PORT) {
        take_ports(fm, sw, r->stats);
    }
    return PX_EVENT_CONTINUE;
}

/* The switches openflow.inventory names during init. */
static int
on_inventory_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *r && r->type == PX_OF_REPLY_SWITCH &&
        FM_REQ_KIND(r->request_id) == FM_REQ_INVENTORY) {
        /* Only remembered here: the first poll comes with the timer. */
        track_switch(p, px_get_data(p), r->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        track_switch(p, px_get_data(p), sw->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_down(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        forget_switch(px_get_data(p), sw->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static void
report_flows(struct px_plugin *p, struct fm *fm, uint64_t collect_id,
             const struct fm_switch *sw, const char *dpid)
{
    const char *text = (const char *)sw->text.data;
    size_t i;

    for (i = 0; i < sw->n_flows; i++) {
        const struct fm_flow *f = &sw->flows[i];
        char table[4], priority[8], cookie[24];
        const struct px_stats_label keys[] = {
            {.name = "switch", .value = dpid},
            {.name = "table", .value = table},
            {.name = "priority", .value = priority},
            {.name = "cookie", .value = cookie},
            {.name = "match", .value = text + f->match},
        };
        const struct px_stats_field fields[] = {
            PX_STATS_COUNTER_FIELD("packets",
                                   "Packets the flow matched, as the switch "
                                   "counted them at the last poll",
                                   f->packets),
            PX_STATS_COUNTER_FIELD("bytes", "Bytes the flow matched",
                                   f->bytes),
            PX_STATS_GAUGE_FIELD("duration_seconds",
                                 "How long the flow had been in its table",
                                 f->duration),
        };

        snprintf(table, sizeof table, "%u", f->table_id);
        snprintf(priority, sizeof priority, "%u", f->priority);
        snprintf(cookie, sizeof cookie, "%#" PRIx64, f->cookie);
        px_stats_publish(p, fm->t_stats_report, collect_id, "flowmon_flow",
                         keys, sizeof keys / sizeof keys[0], fields,
                         sizeof fields / sizeof fields[0]);
    }
}

/* Appends counter 'name' to 'f' at '*n' unless the switch has none
 * (UINT64_MAX). */
static void
port_counter(struct px_stats_field *f, size_t *n, const char *name,
             const char *help, uint64_t value)
{
    if (value != UINT64_MAX) {
        f[(*n)++] =
            (struct px_stats_field)PX_STATS_COUNTER_FIELD(name, help, value);
    }
}

static void
report_ports(struct px_plugin *p, struct fm *fm, uint64_t collect_id,
             const struct fm_switch *sw, const char *dpid)
{
    size_t i;

    for (i = 0; i < sw->n_ports; i++) {
        const struct px_of_port_stats *ps = &sw->ports[i];
        struct px_stats_field f[8];
        char port[16];
        const struct px_stats_label keys[] = {
            {.name = "switch", .value = dpid},
            {.name = "port", .value = port},
        };
        size_t n = 0;

        px_of_port_text(ps->port_no, PX_OF_TEXT_OXM, port, sizeof port);
        port_counter(f, &n, "rx_packets", "Packets the port received",
                     ps->rx_packets);
        port_counter(f, &n, "tx_packets", "Packets the port sent",
                     ps->tx_packets);
        port_counter(f, &n, "rx_bytes", "Bytes the port received",
                     ps->rx_bytes);
        port_counter(f, &n, "tx_bytes", "Bytes the port sent", ps->tx_bytes);
        port_counter(f, &n, "rx_dropped", "Received packets dropped",
                     ps->rx_dropped);
        port_counter(f, &n, "tx_dropped", "Packets dropped on sending",
                     ps->tx_dropped);
        port_counter(f, &n, "rx_errors", "Receive errors", ps->rx_errors);
        port_counter(f, &n, "tx_errors", "Transmit errors", ps->tx_errors);
        px_stats_publish(p, fm->t_stats_report, collect_id, "flowmon_port",
                         keys, 2, f, n);
    }
}

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct fm *fm = px_get_data(p);
    const struct px_stats_collect *c = ev->payload;
    const struct fm_switch *sw;

    (void)arg;
    if (ev->len < sizeof *c) {
        return PX_EVENT_CONTINUE;
    }
    PX_HMAP_FOR_EACH (sw, node, &fm->switches) {
        char dpid[17];
        const struct px_stats_label key = {.name = "switch", .value = dpid};
        struct px_stats_field f[8];
        size_t n = 0;

        snprintf(dpid, sizeof dpid, "%016" PRIx64, sw->dpid);
        if (sw->have_flows) {
            report_flows(p, fm, c->id, sw, dpid);
            f[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
                "flows", "Flows the switch had at the last poll",
                sw->flows_total);
            f[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
                "flows_omitted",
                "Flows of the last poll not exported (past max_flows)",
                sw->flows_total - sw->n_flows);
            f[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
                "flows_polled_at_seconds",
                "When the last completed flow poll was asked (Unix time)",
                sw->flows_at);
        }
        if (sw->have_ports) {
            report_ports(p, fm, c->id, sw, dpid);
            f[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
                "ports_omitted",
                "Ports of the last poll not exported (past max_ports)",
                sw->ports_total - sw->n_ports);
            f[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
                "ports_polled_at_seconds",
                "When the last completed port poll was asked (Unix time)",
                sw->ports_at);
        }
        f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
            "flows_not_exported",
            "Flows left out (past max_flows), summed over every poll",
            sw->flows_omitted);
        f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
            "polls", "Statistics replies read (flows and ports)", sw->polls);
        f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
            "poll_failures",
            "Statistics requests refused, answered with an ERROR or cut "
            "short",
            sw->poll_failures);
        px_stats_publish(p, fm->t_stats_report, c->id, "flowmon_switch", &key,
                         1, f, n);
    }
    {
        const struct px_stats_field f[] = {
            PX_STATS_GAUGE_FIELD("switches", "Switches polled",
                                 px_hmap_count(&fm->switches)),
            PX_STATS_COUNTER_FIELD("switches_untracked",
                                   "Switches not polled: past max_switches",
                                   fm->untracked),
            PX_STATS_COUNTER_FIELD("requests_refused",
                                   "Statistics requests openflow did not "
                                   "send (the log says why)",
                                   fm->refused),
        };

        px_stats_publish(p, fm->t_stats_report, c->id, "flowmon", NULL, 0, f,
                         sizeof f / sizeof f[0]);
    }
    return PX_EVENT_CONTINUE;
}

static void
fm_free(struct fm *fm)
{
    struct fm_switch *sw;

    if (!fm) {
        return;
    }
    PX_HMAP_FOR_EACH_SAFE (sw, node, &fm->switches) {
        free_switch(sw);
    }
    px_hmap_destroy(&fm->switches);
    free(fm);
}

static int
fm_init(struct px_plugin *p)
{
    struct fm *fm = calloc(1, sizeof *fm);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_inventory req;
    struct px_sub *collector = NULL;
    int error;

    if (!fm) {
        return ENOMEM;
    }
    fm->rl = rl;
    px_hmap_init(&fm->switches);
    px_set_data(p, fm);
    snprintf(fm->reply_to, sizeof fm->reply_to, "%s.openflow",
             px_instance_name(p));
    if ((error = px_config_double(p, "interval", &fm->interval)) ||
        (error = px_config_int(p, "max_flows", &fm->max_flows)) ||
        (error = px_config_int(p, "max_ports", &fm->max_ports)) ||
        (error = px_config_int(p, "max_switches", &fm->max_switches)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_STATS, PX_TOPIC_OF_VERSION,
                                  &fm->t_stats)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &fm->t_inventory)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &fm->t_stats_report)) ||
        (error = px_subscribe(p, fm->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        (error = px_subscribe(p, fm->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_inventory_reply, NULL,
                              &collector)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, NULL, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL)) ||
        (error = px_timer_start(p, fm->interval, fm->interval, on_timer, fm,
                                &fm->timer))) {
        px_set_data(p, NULL);
        fm_free(fm);
        return error;
    }
    req = (struct px_of_inventory){
        .reply_to = fm->reply_to,
        .request_id = FM_REQ(FM_REQ_INVENTORY, 0),
        .outcome = &outcome,
    };
    px_publish(p, fm->t_inventory, &req, sizeof req);
    px_unsubscribe(p, collector);
    px_info(p,
            "polling %zu switches every %.3g s (at most %lld flows and %lld "
            "ports each)",
            px_hmap_count(&fm->switches), fm->interval, fm->max_flows,
            fm->max_ports);
    return 0;
}

static void
fm_fini(struct px_plugin *p)
{
    fm_free(px_get_data(p));
}

PX_PLUGIN_DEFINE(.name = "flowmon", .version = FM_VERSION,
                 .description = "per-flow and per-port counters of every "
                                "switch, polled, in /metrics",
                 .config_keys = fm_keys, .init = fm_init, .fini = fm_fini);
