/*
 * vns_server's answers to stats.collect (vs_plugin.h): one "vns_server"
 * report with the plugin's counters (routers connected and accepted,
 * disconnects by reason, unmapped packet-ins) and one "router" report per
 * connection, keyed by its id, with its frames and drops by reason.
 */
#include <stdio.h>
#include <stdlib.h>

#include "plexus/topics/stats.h"
#include "vs_plugin.h"

static void
report_router(struct vns_server *vs, uint64_t collect_id,
              const struct router *r)
{
    struct px_stats_field fields[7 + N_ROUTER_DROPS] = {
        PX_STATS_TEXT_FIELD("peer", "VNS router connection",
                            px_conn_peer(r->conn)),
        PX_STATS_TEXT_FIELD("vhost", "VNS router connection", r->vhost),
        PX_STATS_TEXT_FIELD("user", "VNS router connection", r->user),
        PX_STATS_GAUGE_FIELD("connected_since_seconds",
                             "When the router connected (epoch seconds)",
                             r->connected_since),
        PX_STATS_GAUGE_FIELD("interfaces",
                             "Interfaces the router was given in HWInfo",
                             r->hwinfo_sent ? vs->n_ifaces : 0),
        PX_STATS_COUNTER_FIELD("frames_rx", "Frames received from the router",
                               r->frames_in),
        PX_STATS_COUNTER_FIELD("frames_tx", "Frames sent to the router",
                               r->frames_out),
    };
    struct px_stats_label key;
    size_t n = 7;
    char id[16];
    int i;

    for (i = 0; i < N_ROUTER_DROPS; i++) {
        fields[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "frames_dropped", "Frames for or from the router dropped",
            "reason", vs_drop_names[i], r->dropped[i]);
    }
    snprintf(id, sizeof id, "%u", r->id);
    key.name = "router";
    key.value = id;
    px_stats_publish(vs->p, vs->t_stats_report, collect_id, "router", &key, 1,
                     fields, n);
}

int
vs_stats_on_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct vns_server *vs = px_get_data(p);
    const struct px_stats_collect *c = ev->payload;
    struct px_stats_field fields[3 + PX_CONN_N_REASONS];
    struct router **sorted, *r;
    size_t n_routers = 0, n = 0, i;

    (void)arg;
    if (ev->len < sizeof *c) {
        return PX_EVENT_CONTINUE;
    }
    for (r = vs->routers; r; r = r->next) {
        n_routers++;
    }

    fields[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
        "routers_connected", "VNS router connections open", n_routers);
    fields[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "routers_accepted",
        "VNS router connections accepted (also those refused at once)",
        vs->routers_accepted);
    /* Every reason but "open", named as switches' are. */
    for (i = PX_CONN_OPEN + 1; i < PX_CONN_N_REASONS; i++) {
        fields[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "router_disconnects", "VNS router connections closed", "reason",
            px_conn_reason_name(i), vs->disconnects[i]);
    }
    fields[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "unmapped_packet_ins",
        "Packet-ins from a switch port that is no router interface",
        vs->unmapped_packet_ins);
    px_stats_publish(p, vs->t_stats_report, c->id, "vns_server", NULL, 0,
                     fields, n);

    /* Routers by id, which is the order they connected in (the list is
     * newest first).  Without memory for the sort, list order will do. */
    sorted = n_routers ? calloc(n_routers, sizeof *sorted) : NULL;
    if (sorted) {
        i = 0;
        for (r = vs->routers; r; r = r->next) {
            sorted[i++] = r;
        }
        qsort(sorted, n_routers, sizeof *sorted, vs_router_id_cmp);
        for (i = 0; i < n_routers; i++) {
            report_router(vs, c->id, sorted[i]);
        }
        free(sorted);
    } else {
        for (r = vs->routers; r; r = r->next) {
            report_router(vs, c->id, r);
        }
    }
    return PX_EVENT_CONTINUE;
}
