/*
 * topowatch: a test plugin that uses the topology plugin as any other
 * plugin would, through the event table alone.  In init it asks for the
 * whole graph (topology.get, on its reply topic "<instance>.topology")
 * and logs
 *   graph N: S switches, L links, H hosts
 *   graph N link SRC:PORT -> DST:PORT
 * and afterwards one line per topology event:
 *   event link_up SRC:PORT -> DST:PORT
 *   event link_down SRC:PORT -> DST:PORT (REASON)
 *   event host_add|host_move|host_ip|host_delete MAC at DPID:PORT
 * which the integration tests parse.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"
#include "plexus/topics/topology.h"

static int
on_graph(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_topo_reply *r = ev->payload;
    size_t i;

    (void)arg;
    if (ev->len < sizeof *r || r->type != PX_TOPO_REPLY_GRAPH) {
        return PX_EVENT_CONTINUE;
    }
    px_info(p, "graph %" PRIu64 ": %zu switches, %zu links, %zu hosts",
            r->request_id, r->n_switches, r->n_links, r->n_hosts);
    for (i = 0; i < r->n_links; i++) {
        const struct px_topo_link *l = &r->links[i];

        px_info(p,
                "graph %" PRIu64 " link %016" PRIx64 ":%" PRIu32
                " -> %016" PRIx64 ":%" PRIu32,
                r->request_id, l->src.dpid, l->src.port_no, l->dst.dpid,
                l->dst.port_no);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_link(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_topo_link *l = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *l) {
        px_info(p,
                "event %s %016" PRIx64 ":%" PRIu32 " -> %016" PRIx64
                ":%" PRIu32 "%s%s%s",
                strchr(ev->topic, '.') + 1, l->src.dpid, l->src.port_no,
                l->dst.dpid, l->dst.port_no, l->reason ? " (" : "",
                l->reason ? l->reason : "", l->reason ? ")" : "");
    }
    return PX_EVENT_CONTINUE;
}

static int
on_host(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_topo_host *h = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *h) {
        px_info(p,
                "event %s %02x:%02x:%02x:%02x:%02x:%02x at %016" PRIx64
                ":%" PRIu32,
                strchr(ev->topic, '.') + 1, h->mac[0], h->mac[1], h->mac[2],
                h->mac[3], h->mac[4], h->mac[5], h->at.dpid, h->at.port_no);
    }
    return PX_EVENT_CONTINUE;
}

static int
topowatch_init(struct px_plugin *p)
{
    static const char *const links[] = {PX_TOPIC_TOPO_LINK_UP,
                                        PX_TOPIC_TOPO_LINK_DOWN};
    static const char *const hosts[] = {
        PX_TOPIC_TOPO_HOST_ADD, PX_TOPIC_TOPO_HOST_MOVE,
        PX_TOPIC_TOPO_HOST_IP, PX_TOPIC_TOPO_HOST_DELETE};
    char reply_to[128];
    struct px_topic *t_get;
    struct px_topo_get get;
    size_t i;
    int error;

    snprintf(reply_to, sizeof reply_to, "%s.topology", px_instance_name(p));
    if ((error = px_subscribe(p, reply_to, PX_TOPIC_TOPO_VERSION,
                              PX_PRIO_DEFAULT, on_graph, NULL, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_TOPO_GET, PX_TOPIC_TOPO_VERSION,
                                  &t_get))) {
        return error;
    }
    for (i = 0; i < sizeof links / sizeof links[0]; i++) {
        if ((error = px_subscribe(p, links[i], PX_TOPIC_TOPO_VERSION,
                                  PX_PRIO_DEFAULT, on_link, NULL, NULL))) {
            return error;
        }
    }
    for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        if ((error = px_subscribe(p, hosts[i], PX_TOPIC_TOPO_VERSION,
                                  PX_PRIO_DEFAULT, on_host, NULL, NULL))) {
            return error;
        }
    }
    memset(&get, 0, sizeof get);
    get.reply_to = reply_to;
    get.request_id = 1;
    px_publish(p, t_get, &get, sizeof get);
    return 0;
}

PX_PLUGIN_DEFINE(.name = "topowatch", .version = "1.0",
                 .description = "test: the topology plugin's graph and "
                                "events, as another plugin sees them",
                 .init = topowatch_init);
