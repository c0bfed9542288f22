/*
 * statsmon: a test plugin that polls every connected switch for its
 * statistics through openflow.stats and logs what comes back, for the
 * tests that compare it with what ovs-ofctl reports.
 *
 * Every 'interval' seconds (a round, numbered from 1) it asks each switch
 * it knows (from openflow.inventory in init, then switch_up and
 * switch_down) for its FLOW (every table), AGGREGATE, PORT (every port),
 * TABLE and DESC statistics, and for 1.3 switches PORT_DESC, GROUP,
 * GROUP_DESC, METER and METER_CONFIG (every group and meter); request ids
 * are round * 100 + the kind.  It logs when it asks, one line per entry
 * and one at the end of each reply:
 *   stats R DPID asked
 *   stats R DPID flow table T priority P cookie C packets N bytes B
 *       idle I hard H match M
 *   stats R DPID aggregate packets N bytes B flows F
 *   stats R DPID port P rx_packets N tx_packets N rx_bytes N tx_bytes N
 *   stats R DPID table T active A lookup L matched M   (tables in use)
 *   stats R DPID desc mfr 'M' hw 'H' sw 'S' dp 'D'
 *   stats R DPID port_desc P NAME
 *   stats R DPID group G refs N packets P bytes B buckets K
 *   stats R DPID group_desc G type T buckets K
 *   stats R DPID meter M flows F packets P bytes B bands K
 *   stats R DPID meter_config M flags F bands K (rate R burst B)...
 *   stats R DPID KIND done, N entries
 *   stats R DPID KIND error type T code C | gone: CAUSE
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"

#define MAX_SWITCHES 64

struct statsmon {
    char reply_to[128];
    struct px_topic *t_stats;
    struct px_topic *t_inventory;
    struct px_timer *timer;
    double interval;
    uint64_t round;
    uint64_t dpids[MAX_SWITCHES];
    uint8_t versions[MAX_SWITCHES];
    size_t n;
};

static const struct px_config_key statsmon_keys[] = {
    {.key = "interval",
     .type = PX_CONFIG_DURATION,
     .default_value = "1",
     .help = "seconds between rounds of statistics requests"},
    {.key = NULL},
};

static const char *
kind_name(uint32_t type)
{
    switch (type) {
    case PX_OF_STATS_DESC:
        return "desc";
    case PX_OF_STATS_FLOW:
        return "flow";
    case PX_OF_STATS_AGGREGATE:
        return "aggregate";
    case PX_OF_STATS_TABLE:
        return "table";
    case PX_OF_STATS_PORT:
        return "port";
    case PX_OF_STATS_QUEUE:
        return "queue";
    case PX_OF_STATS_PORT_DESC:
        return "port_desc";
    case PX_OF_STATS_GROUP:
        return "group";
    case PX_OF_STATS_GROUP_DESC:
        return "group_desc";
    case PX_OF_STATS_METER:
        return "meter";
    case PX_OF_STATS_METER_CONFIG:
        return "meter_config";
    }
    return "?";
}

static void
add_switch(struct statsmon *sm, uint64_t dpid, uint8_t version)
{
    size_t i;

    for (i = 0; i < sm->n; i++) {
        if (sm->dpids[i] == dpid) {
            sm->versions[i] = version;
            return;
        }
    }
    if (sm->n < MAX_SWITCHES) {
        sm->dpids[sm->n] = dpid;
        sm->versions[sm->n++] = version;
    }
}

static void
ask(struct px_plugin *p, struct statsmon *sm, uint64_t dpid, uint32_t type)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_stats_request rq;

    memset(&rq, 0, sizeof rq);
    rq.dpid = dpid;
    rq.type = type;
    rq.table_id = PX_OF_TABLE_ALL;
    rq.port_no = PX_OF_PORT_ANY;
    rq.queue_id = PX_OF_QUEUE_ALL;
    rq.group_id = PX_OF_GROUP_ALL_GROUPS;
    rq.meter_id = PX_OF_METER_ALL;
    rq.reply_to = sm->reply_to;
    rq.request_id = sm->round * 100 + type;
    rq.outcome = &outcome;
    px_publish(p, sm->t_stats, &rq, sizeof rq);
    if (outcome.code) {
        px_info(p, "stats %" PRIu64 " %016" PRIx64 " %s refused %d: %s",
                sm->round, dpid, kind_name(type), outcome.code, outcome.cause);
    }
}

static void
poll_all(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct statsmon *sm = arg;
    size_t i;

    (void)t;
    sm->round++;
    for (i = 0; i < sm->n; i++) {
        static const uint32_t kinds[] = {
            PX_OF_STATS_FLOW,  PX_OF_STATS_AGGREGATE, PX_OF_STATS_PORT,
            PX_OF_STATS_TABLE, PX_OF_STATS_DESC,
        };
        size_t k;

        px_info(p, "stats %" PRIu64 " %016" PRIx64 " asked", sm->round,
                sm->dpids[i]);
        for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            ask(p, sm, sm->dpids[i], kinds[k]);
        }
        if (sm->versions[i] == PX_OF_VERSION_13) {
            static const uint32_t kinds13[] = {
                PX_OF_STATS_PORT_DESC,    PX_OF_STATS_GROUP,
                PX_OF_STATS_GROUP_DESC,   PX_OF_STATS_METER,
                PX_OF_STATS_METER_CONFIG,
            };

            for (k = 0; k < sizeof kinds13 / sizeof kinds13[0]; k++) {
                ask(p, sm, sm->dpids[i], kinds13[k]);
            }
        }
    }
}

static void
log_entries(struct px_plugin *p, uint64_t round, uint64_t dpid,
            const struct px_of_stats *st)
{
    size_t i;

    for (i = 0; i < st->n; i++) {
        switch (st->type) {
        case PX_OF_STATS_FLOW: {
            const struct px_of_flow_stats *f = &st->flows[i];

            px_info(p,
                    "stats %" PRIu64 " %016" PRIx64 " flow table %u priority "
                    "%u cookie %#" PRIx64 " packets %" PRIu64 " bytes %" PRIu64
                    " idle %u hard %u match %zu",
                    round, dpid, f->table_id, f->priority, f->cookie,
                    f->packet_count, f->byte_count, f->idle_timeout,
                    f->hard_timeout, f->n_match);
            break;
        }
        case PX_OF_STATS_AGGREGATE:
            px_info(p,
                    "stats %" PRIu64 " %016" PRIx64 " aggregate packets "
                    "%" PRIu64 " bytes %" PRIu64 " flows %u",
                    round, dpid, st->aggregate->packet_count,
                    st->aggregate->byte_count, st->aggregate->flow_count);
            break;
        case PX_OF_STATS_PORT: {
            const struct px_of_port_stats *ps = &st->ports[i];

            px_info(p,
                    "stats %" PRIu64 " %016" PRIx64 " port %" PRIu32
                    " rx_packets %" PRIu64 " tx_packets %" PRIu64
                    " rx_bytes %" PRIu64 " tx_bytes %" PRIu64,
                    round, dpid, ps->port_no, ps->rx_packets, ps->tx_packets,
                    ps->rx_bytes, ps->tx_bytes);
            break;
        }
        case PX_OF_STATS_TABLE: {
            const struct px_of_table_stats *t = &st->tables[i];

            if (t->active_count || t->lookup_count) {
                px_info(p,
                        "stats %" PRIu64 " %016" PRIx64 " table %u active %u "
                        "lookup %" PRIu64 " matched %" PRIu64,
                        round, dpid, t->table_id, t->active_count,
                        t->lookup_count, t->matched_count);
            }
            break;
        }
        case PX_OF_STATS_DESC:
            px_info(p,
                    "stats %" PRIu64 " %016" PRIx64 " desc mfr '%s' hw '%s' "
                    "sw '%s' dp '%s'",
                    round, dpid, st->desc->mfr_desc, st->desc->hw_desc,
                    st->desc->sw_desc, st->desc->dp_desc);
            break;
        case PX_OF_STATS_GROUP: {
            const struct px_of_group_stats *g = &st->groups[i];

            px_info(p,
                    "stats %" PRIu64 " %016" PRIx64 " group %" PRIu32
                    " refs %" PRIu32 " packets %" PRIu64 " bytes %" PRIu64
                    " buckets %zu",
                    round, dpid, g->group_id, g->ref_count, g->packet_count,
                    g->byte_count, g->n_buckets);
            break;
        }
        case PX_OF_STATS_GROUP_DESC:
            px_info(p,
                    "stats %" PRIu64 " %016" PRIx64 " group_desc %" PRIu32
                    " type %u buckets %zu",
                    round, dpid, st->group_descs[i].group_id,
                    st->group_descs[i].type, st->group_descs[i].n_buckets);
            break;
        case PX_OF_STATS_METER: {
            const struct px_of_meter_stats *m = &st->meters[i];

            px_info(p,
                    "stats %" PRIu64 " %016" PRIx64 " meter %" PRIu32
                    " flows %" PRIu32 " packets %" PRIu64 " bytes %" PRIu64
                    " bands %zu",
                    round, dpid, m->meter_id, m->flow_count,
                    m->packet_in_count, m->byte_in_count, m->n_bands);
            break;
        }
        case PX_OF_STATS_METER_CONFIG: {
            const struct px_of_meter_config *m = &st->meter_configs[i];

            px_info(p,
                    "stats %" PRIu64 " %016" PRIx64 " meter_config %" PRIu32
                    " flags %#x bands %zu (rate %" PRIu32 " burst %" PRIu32
                    ")",
                    round, dpid, m->meter_id, m->flags, m->n_bands,
                    m->n_bands ? m->bands[0].rate : 0,
                    m->n_bands ? m->bands[0].burst_size : 0);
            break;
        }
        case PX_OF_STATS_PORT_DESC:
            px_info(
                p, "stats %" PRIu64 " %016" PRIx64 " port_desc %" PRIu32 " %s",
                round, dpid, st->port_descs[i].port_no,
                st->port_descs[i].name);
            break;
        }
    }
}

static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;
    uint64_t round, kind;

    (void)arg;
    if (ev->len < sizeof *r || r->type == PX_OF_REPLY_SWITCH ||
        r->type == PX_OF_REPLY_DONE) {
        return PX_EVENT_CONTINUE;
    }
    round = r->request_id / 100;
    kind = r->request_id % 100;
    if (r->type == PX_OF_REPLY_STATS) {
        log_entries(p, round, r->dpid, r->stats);
        px_info(p, "stats %" PRIu64 " %016" PRIx64 " %s done, %zu entries",
                round, r->dpid, kind_name(r->stats->type), r->stats->n);
    } else if (r->type == PX_OF_REPLY_ERROR) {
        px_info(p, "stats %" PRIu64 " %016" PRIx64 " %s error type %u code %u",
                round, r->dpid, kind_name((uint32_t)kind), r->error->type,
                r->error->code);
    } else if (r->type == PX_OF_REPLY_GONE) {
        px_info(p, "stats %" PRIu64 " %016" PRIx64 " %s gone: %s", round,
                r->dpid, kind_name((uint32_t)kind), r->cause);
    }
    return PX_EVENT_CONTINUE;
}

/* The inventory's replies, during init's publish. */
static int
on_inventory_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *r && r->type == PX_OF_REPLY_SWITCH) {
        add_switch(px_get_data(p), r->dpid, r->sw->version);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        add_switch(px_get_data(p), sw->dpid, sw->version);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_down(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;
    struct statsmon *sm = px_get_data(p);
    size_t i;

    (void)arg;
    for (i = 0; ev->len >= sizeof *sw && i < sm->n; i++) {
        if (sm->dpids[i] == sw->dpid) {
            sm->dpids[i] = sm->dpids[sm->n - 1];
            sm->versions[i] = sm->versions[sm->n - 1];
            sm->n--;
            break;
        }
    }
    return PX_EVENT_CONTINUE;
}

static int
statsmon_init(struct px_plugin *p)
{
    struct statsmon *sm = calloc(1, sizeof *sm);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_inventory req;
    struct px_sub *collector = NULL;
    int error;

    if (!sm) {
        return ENOMEM;
    }
    px_set_data(p, sm);
    snprintf(sm->reply_to, sizeof sm->reply_to, "%s.openflow",
             px_instance_name(p));
    if ((error = px_config_double(p, "interval", &sm->interval)) ||
        (error = px_subscribe(p, sm->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        (error = px_subscribe(p, sm->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_inventory_reply, NULL,
                              &collector)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, NULL, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &sm->t_inventory)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_STATS, PX_TOPIC_OF_VERSION,
                                  &sm->t_stats)) ||
        (error = px_timer_start(p, sm->interval, sm->interval, poll_all, sm,
                                &sm->timer))) {
        free(sm);
        px_set_data(p, NULL);
        return error;
    }
    req = (struct px_of_inventory){
        .reply_to = sm->reply_to, .request_id = 1, .outcome = &outcome};
    px_publish(p, sm->t_inventory, &req, sizeof req);
    px_unsubscribe(p, collector);
    return 0;
}

static void
statsmon_fini(struct px_plugin *p)
{
    free(px_get_data(p));
}

PX_PLUGIN_DEFINE(.name = "statsmon", .version = "1.0",
                 .description = "test: polls every switch's statistics "
                                "through openflow.stats",
                 .config_keys = statsmon_keys, .init = statsmon_init,
                 .fini = statsmon_fini);
