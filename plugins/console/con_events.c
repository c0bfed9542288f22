/*
 * One line per event (con_events.h).
 */
#include "con_events.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "plexus/of_text.h"
#include "plexus/packet.h"
#include "plexus/plugin.h"
#include "plexus/topics/host.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/topology.h"
#include "plexus/topics/vns.h"

static const char *
level_name(uint32_t level)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};

    return level < 4 ? names[level] : "?";
}

/* The frame's layers in one line. */
static const char *
frame_text(const uint8_t *frame, size_t len, char *buf, size_t size)
{
    struct px_pkt pkt;

    px_pkt_parse(frame, len, &pkt);
    px_pkt_summary(&pkt, buf, size);
    return buf;
}

/* The first output port of an action list, or -1. */
static long long
output_port(const struct px_of_action *a, size_t n)
{
    size_t i;

    for (i = 0; a && i < n; i++) {
        if (a[i].type == PX_OF_ACTION_OUTPUT) {
            return a[i].port;
        }
    }
    return -1;
}

static const char *
port_reason(uint8_t reason)
{
    return reason == PX_OF_PORT_ADD      ? "added"
           : reason == PX_OF_PORT_DELETE ? "deleted"
                                         : "modified";
}

#define IS(TOPIC, TYPE)                                                       \
    (!strcmp(ev->topic, (TOPIC)) && ev->len >= sizeof(TYPE))

char *
con_event_summary(const struct px_event *ev, char *buf, size_t size)
{
    char dpid[24], what[256];

    if (!size) {
        return buf;
    }
    if (IS(PX_TOPIC_OF_PACKET_IN, struct px_of_packet_in)) {
        const struct px_of_packet_in *pi = ev->payload;

        snprintf(buf, size, "%s port %" PRIu32 ": %s",
                 px_of_dpid_text(pi->dpid, dpid, sizeof dpid), pi->in_port,
                 frame_text(pi->frame, pi->frame_len, what, sizeof what));
    } else if (!strcmp(ev->topic, PX_TOPIC_OF_PACKET_OUT) &&
               ev->len >= PX_OF_PACKET_OUT_V1_LEN) {
        const struct px_of_packet_out *po = ev->payload;
        long long port = output_port(po->actions, po->n_actions);

        snprintf(buf, size, "%s out %s%lld: %s",
                 px_of_dpid_text(po->dpid, dpid, sizeof dpid),
                 port < 0 ? "(no port) " : "", port < 0 ? 0 : port,
                 po->frame
                     ? frame_text(po->frame, po->frame_len, what, sizeof what)
                     : "buffered packet");
    } else if (IS(PX_TOPIC_OF_SWITCH_UP, struct px_of_switch) ||
               IS(PX_TOPIC_OF_SWITCH_DOWN, struct px_of_switch)) {
        const struct px_of_switch *sw = ev->payload;

        snprintf(buf, size, "%s (%s) OpenFlow 1.%d, %zu ports%s%s",
                 px_of_dpid_text(sw->dpid, dpid, sizeof dpid),
                 sw->peer ? sw->peer : "",
                 sw->version == PX_OF_VERSION_13 ? 3 : 0, sw->n_ports,
                 sw->reason ? ": " : "", sw->reason ? sw->reason : "");
    } else if (IS(PX_TOPIC_OF_PORT_STATUS, struct px_of_port_status)) {
        const struct px_of_port_status *ps = ev->payload;

        snprintf(buf, size, "%s port %" PRIu32 " (%.16s) %s, link %s",
                 px_of_dpid_text(ps->dpid, dpid, sizeof dpid),
                 ps->port.port_no, ps->port.name, port_reason(ps->reason),
                 ps->port.state & PX_OF_PORT_STATE_LINK_DOWN ? "down" : "up");
    } else if (!strcmp(ev->topic, PX_TOPIC_OF_FLOW_MOD) &&
               ev->len >= PX_OF_FLOW_MOD_V1_LEN) {
        const struct px_of_flow_mod *fm = ev->payload;

        snprintf(buf, size, "%s command %u table %u priority %u",
                 px_of_dpid_text(fm->dpid, dpid, sizeof dpid), fm->command,
                 fm->table_id, fm->priority);
    } else if (IS(PX_TOPIC_HOST_LOG, struct px_host_log)) {
        const struct px_host_log *l = ev->payload;

        snprintf(buf, size, "%s %s: %s", level_name(l->level),
                 l->instance ? l->instance : "?",
                 l->message ? l->message : "");
    } else if (IS(PX_TOPIC_HOST_PLUGIN_LOADED, struct px_host_plugin) ||
               IS(PX_TOPIC_HOST_PLUGIN_UNLOADED, struct px_host_plugin)) {
        const struct px_host_plugin *hp = ev->payload;

        snprintf(buf, size, "%s (%s %s, generation %u)%s%s", hp->instance,
                 hp->module, hp->version ? hp->version : "", hp->generation,
                 hp->reason ? ": " : "", hp->reason ? hp->reason : "");
    } else if (IS(PX_TOPIC_HOST_RELOAD_DONE, struct px_host_reload_done)) {
        const struct px_host_reload_done *r = ev->payload;

        snprintf(buf, size, "reload %u: %s%s%s", r->reload_id,
                 r->outcome == PX_RELOAD_OK        ? "done"
                 : r->outcome == PX_RELOAD_PARTIAL ? "partial"
                                                   : "refused",
                 r->error && *r->error ? ": " : "", r->error ? r->error : "");
    } else if (IS(PX_TOPIC_VNS_ROUTER_UP, struct px_vns_router) ||
               IS(PX_TOPIC_VNS_ROUTER_DOWN, struct px_vns_router)) {
        const struct px_vns_router *r = ev->payload;

        snprintf(buf, size, "router %u (%s, %s) %zu interfaces%s%s", r->id,
                 r->peer ? r->peer : "", r->vhost ? r->vhost : "", r->n_ifaces,
                 r->reason ? ": " : "", r->reason ? r->reason : "");
    } else if (IS(PX_TOPIC_VNS_FRAME, struct px_vns_frame)) {
        const struct px_vns_frame *f = ev->payload;

        snprintf(buf, size, "router %u %s %s: %s", f->router,
                 f->to_router ? "<-" : "->", f->iface ? f->iface : "?",
                 frame_text(f->frame, f->frame_len, what, sizeof what));
    } else if (IS(PX_TOPIC_TOPO_LINK_UP, struct px_topo_link) ||
               IS(PX_TOPIC_TOPO_LINK_DOWN, struct px_topo_link)) {
        const struct px_topo_link *l = ev->payload;
        char dst[24];

        snprintf(buf, size, "%s port %" PRIu32 " -> %s port %" PRIu32 "%s%s",
                 px_of_dpid_text(l->src.dpid, dpid, sizeof dpid),
                 l->src.port_no, px_of_dpid_text(l->dst.dpid, dst, sizeof dst),
                 l->dst.port_no, l->reason ? ": " : "",
                 l->reason ? l->reason : "");
    } else if (!strncmp(ev->topic, "topology.host_", 14) &&
               ev->len >= sizeof(struct px_topo_host)) {
        const struct px_topo_host *h = ev->payload;
        char mac[18], ip[16] = "";

        if (h->n_ipv4) {
            px_pkt_format_ipv4(h->ipv4[h->n_ipv4 - 1], ip, sizeof ip);
        }
        snprintf(buf, size, "%s %s at %s port %" PRIu32 "%s%s",
                 px_pkt_format_mac(h->mac, mac, sizeof mac), ip,
                 px_of_dpid_text(h->at.dpid, dpid, sizeof dpid), h->at.port_no,
                 h->reason ? ": " : "", h->reason ? h->reason : "");
    } else {
        snprintf(buf, size, "%zu bytes, version %u", ev->len, ev->version);
    }
    return buf;
}
