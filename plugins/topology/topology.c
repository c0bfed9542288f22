/*
 * topology: the links between switches and the hosts at their edges, like
 * POX's openflow.discovery with host_tracker and Ryu's --observe-links.
 *
 * Links: every up port of every switch is sent an LLDP probe (Ryu's
 * format: chassis id "dpid:<16 hex digits>", locally assigned; port id the
 * 32-bit port number, port component) every probe_interval, at most
 * probe_rate a second over all switches.  A probe that comes back in a
 * packet-in at another switch's port is a link, one way; each way is found
 * by its own probes.  A link not seen again for link_timeout goes, and
 * links at a port or switch that goes down go at once.  So that probes
 * come back whatever forwarding the other plugins install, each switch
 * gets a flow sending LLDP to the controller (install_lldp_flow).
 *
 * LLDP packet-ins stop here (this plugin subscribes first and halts them),
 * so that no other plugin floods them or forwards them to a router: the
 * router lab never sees them.
 *
 * Hosts: the source MAC, port and sender address of every other packet-in
 * at a port that is not an end of a link.
 *
 * Changes go out as topology.* events (plexus/topics/topology.h); any
 * plugin asks for the whole graph with topology.get, and operators with
 * "plexusctl topology".  The graph survives a reload of this plugin (the
 * handoff blob "topology"): the switches come again from openflow's
 * inventory, the links and hosts from the blob.
 *
 * In a cluster (README, "Running a cluster") an instance finds only the
 * links whose far end is at a switch it masters (the probe comes back in
 * a packet-in to that switch's master alone) and the hosts at those
 * switches.  So topology.shared is a cluster-wide topic (cluster.share):
 * each instance publishes there a snapshot of what it found itself
 * (topo_share.h) every probe_interval and soon after a link of its own
 * comes or goes, and keeps the latest snapshot of each other instance
 * until link_timeout passes without one.  plexusctl topology and
 * topology.get show the union; the topology.link_* and host_* events stay
 * what this instance saw.  Alone (no cluster plugin) it publishes no
 * snapshot: it shares only once the cluster started here or another
 * instance's snapshot came.
 */
#include "topology.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/buf.h"
#include "plexus/byteorder.h"
#include "plexus/packet.h"
#include "plexus/topics/cluster.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"
#include "plexus/topics/topology.h"

#define TOPOLOGY_VERSION "1.0.0"

/* How often the timer runs: probes are spread over ticks this long. */
#define TICK 0.1

/* The cookie of the flow that sends LLDP to the controller ("topo"). */
#define LLDP_FLOW_COOKIE   0x746f706full
#define LLDP_FLOW_PRIORITY 65535

/* Request ids on our reply topic: the inventory's, and flow_mods'. */
#define INVENTORY_ID 1

/* The handoff blob (topo_graph_save). */
#define BLOB_NAME "topology"
/* The handoff blob of the cluster: one byte, whether one runs. */
#define BLOB_CLUSTER         "topology.cluster"
#define BLOB_CLUSTER_VERSION 1

/* A snapshot that a change of our own calls for waits at least this long
 * after the previous one, so that a burst of changes (a switch going down
 * takes all its links) goes out as one. */
#define SHARE_GAP 0.2

/* "dpid:" and 16 hex digits, Ryu's chassis id. */
#define CHASSIS_PREFIX "dpid:"
#define CHASSIS_LEN    21

static const struct px_config_key topology_keys[] = {
    {.key = "probe_interval",
     .type = PX_CONFIG_DURATION,
     .default_value = "5s",
     .min = 0.1,
     .max = 3600,
     .help = "each up port is sent an LLDP probe this often"},
    {.key = "link_timeout",
     .type = PX_CONFIG_DURATION,
     .default_value = "10s",
     .min = 0.2,
     .max = 86400,
     .help = "a link whose probes stop coming goes after this long (more "
             "than probe_interval)"},
    {.key = "probe_rate",
     .type = PX_CONFIG_INT,
     .default_value = "1000",
     .min = 1,
     .max = 1000000,
     .help = "at most this many probes a second, over all switches"},
    {.key = "host_timeout",
     .type = PX_CONFIG_DURATION,
     .default_value = "300s",
     .min = 0,
     .max = 864000,
     .help = "a host not seen for this long goes (0: never)"},
    {.key = "max_links",
     .type = PX_CONFIG_INT,
     .default_value = "65536",
     .min = 1,
     .max = 16777216,
     .help = "links kept at most (more are counted as dropped)"},
    {.key = "max_hosts",
     .type = PX_CONFIG_INT,
     .default_value = "65536",
     .min = 0,
     .max = 16777216,
     .help = "hosts kept at most (more are counted as dropped)"},
    {.key = "max_origins",
     .type = PX_CONFIG_INT,
     .default_value = "32",
     .min = 1,
     .max = 4096,
     .help = "in a cluster, other instances whose topology is kept at most "
             "(the snapshots of more are counted as refused)"},
    {.key = "install_lldp_flow",
     .type = PX_CONFIG_BOOL,
     .default_value = "true",
     .help = "install on each switch a flow that sends LLDP to the "
             "controller"},
    {.key = "learn_hosts",
     .type = PX_CONFIG_BOOL,
     .default_value = "true",
     .help = "learn hosts from packet-ins"},
    {.key = NULL},
};

static void
port_name(struct px_topo_port pt, char *buf, size_t size)
{
    snprintf(buf, size, "%016" PRIx64 ":%" PRIu32, pt.dpid, pt.port_no);
}

/* ---------------------------------------------------------------------- */
/* Changes, as events. */

static void
on_link_change(void *arg, enum topo_change change,
               const struct px_topo_link *link)
{
    struct topology *t = arg;
    char a[40], b[40];

    port_name(link->src, a, sizeof a);
    port_name(link->dst, b, sizeof b);
    t->share_due = true; /* The other instances learn it soon. */
    if (change == TOPO_LINK_UP) {
        t->links_up++;
        px_info(t->p, "link %s -> %s up", a, b);
        px_publish(t->p, t->t_link_up, link, sizeof *link);
    } else {
        t->links_down++;
        px_info(t->p, "link %s -> %s down (%s)", a, b, link->reason);
        px_publish(t->p, t->t_link_down, link, sizeof *link);
    }
}

static void
on_host_change(void *arg, enum topo_change change,
               const struct px_topo_host *host)
{
    struct topology *t = arg;
    char mac[PX_PKT_MAC_STRLEN], at[40];
    struct px_topic *topic;

    px_pkt_format_mac(host->mac, mac, sizeof mac);
    port_name(host->at, at, sizeof at);
    switch (change) {
    case TOPO_HOST_ADD:
        t->share_due = true;
        t->hosts_learned++;
        px_info(t->p, "host %s at %s", mac, at);
        topic = t->t_host_add;
        break;
    case TOPO_HOST_MOVE:
        t->share_due = true;
        px_info(t->p, "host %s moved to %s", mac, at);
        topic = t->t_host_move;
        break;
    case TOPO_HOST_IP:
        topic = t->t_host_ip;
        break;
    default:
        t->share_due = true;
        px_info(t->p, "host %s at %s gone (%s)", mac, at, host->reason);
        topic = t->t_host_delete;
        break;
    }
    px_publish(t->p, topic, host, sizeof *host);
}

/* ---------------------------------------------------------------------- */
/* Probes. */

/* Sends one probe out of 'port' of 'sw'. */
static void
probe(struct topology *t, const struct topo_switch *sw,
      const struct topo_port *port)
{
    uint8_t frame[128], port_id[4];
    char chassis[CHASSIS_LEN + 1];
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_action out;
    struct px_pkt_lldp lldp;
    struct px_of_packet_out po;
    size_t len = 0;

    snprintf(chassis, sizeof chassis, CHASSIS_PREFIX "%016" PRIx64, sw->dpid);
    px_put_be32(port_id, port->port_no);
    memset(&lldp, 0, sizeof lldp);
    lldp.chassis_subtype = 7; /* Locally assigned. */
    lldp.chassis_id = (const uint8_t *)chassis;
    lldp.chassis_id_len = CHASSIS_LEN;
    lldp.port_subtype = 2; /* Port component. */
    lldp.port_id = port_id;
    lldp.port_id_len = sizeof port_id;
    lldp.ttl = 120;
    if (px_pkt_build_lldp(frame, sizeof frame, port->hw_addr, &lldp, &len) ||
        px_pkt_pad(frame, sizeof frame, &len)) {
        return; /* Cannot happen: the frame has room for it. */
    }
    memset(&out, 0, sizeof out);
    out.type = PX_OF_ACTION_OUTPUT;
    out.port = port->port_no;
    memset(&po, 0, sizeof po);
    po.dpid = sw->dpid;
    po.buffer_id = PX_OF_NO_BUFFER;
    po.in_port = PX_OF_PORT_CONTROLLER;
    po.n_actions = 1;
    po.actions = &out;
    po.frame = frame;
    po.frame_len = len;
    po.outcome = &outcome;
    px_publish(t->p, t->t_packet_out, &po, sizeof po);
    if (outcome.code) {
        t->probes_refused++;
        /* A switch that holds us as SLAVE is probed by its master, in a
         * cluster: counted, not worth a warning every probe_interval. */
        if (outcome.code != EPERM) {
            px_log_rl(t->p, &t->rl_warn, PX_LOG_WARN,
                      "probe of %016" PRIx64 ":%" PRIu32 " refused: %s",
                      sw->dpid, port->port_no, outcome.cause);
        }
    } else {
        t->probes_sent++;
    }
}

/* Sends the probes that are due, as many as the tokens allow. */
static void
send_probes(struct topology *t, double now)
{
    struct topo_switch *sw;
    bool late = false;

    t->tokens += (now - t->last_tick) * (double)t->probe_rate;
    /* A bucket of at most two ticks' worth: probes spread, never burst
     * after a pause. */
    if (t->tokens > 2 * TICK * (double)t->probe_rate + 1) {
        t->tokens = 2 * TICK * (double)t->probe_rate + 1;
    }
    t->last_tick = now;
    PX_HMAP_FOR_EACH (sw, node, &t->graph.switches) {
        size_t i;

        for (i = 0; i < sw->n_ports; i++) {
            struct topo_port *port = &sw->ports[i];

            if (!port->up || port->next_probe > now) {
                continue;
            }
            if (t->tokens < 1) {
                late = true;
                break;
            }
            t->tokens -= 1;
            port->next_probe = now + t->probe_interval;
            probe(t, sw, port);
        }
    }
    t->probes_late += late;
}

/* ---------------------------------------------------------------------- */
/* The cluster: our snapshot out, the others' in (topo_share.h). */

/* Asks the cluster plugin, if one runs, to carry topology.shared. */
static void
share_topic(struct topology *t)
{
    int carried = 0;
    struct px_cluster_share sh = {.topic = TOPO_SHARE_TOPIC,
                                  .carried = &carried};

    px_publish(t->p, t->t_share, &sh, sizeof sh);
    if (carried && !t->in_cluster) {
        /* A cluster plugin was there before us. */
        px_info(t->p, "in a cluster: sharing the topology");
        t->in_cluster = true;
        t->share_due = t->share_ask = true;
    }
}

/* Publishes what this instance found itself. */
static void
share_snapshot(struct topology *t, double now)
{
    struct topo_share_snap snap;
    struct px_cluster_event ev;
    size_t len, left_out;
    char *data = NULL;

    if (topo_share_snap_from_graph(&t->graph, now, t->share_ask, &snap) ||
        topo_share_encode(&snap, PX_CLUSTER_EVENT_MAX, &data, &len,
                          &left_out)) {
        topo_share_snap_clear(&snap);
        px_log_rl(t->p, &t->rl_share, PX_LOG_WARN,
                  "out of memory: no topology snapshot for the cluster");
        return;
    }
    topo_share_snap_clear(&snap);
    if (left_out) {
        t->shared_left_out += left_out;
        px_log_rl(t->p, &t->rl_share, PX_LOG_WARN,
                  "%zu links and hosts left out of the snapshot for the "
                  "cluster (at most %d bytes)",
                  left_out, PX_CLUSTER_EVENT_MAX);
    }
    memset(&ev, 0, sizeof ev);
    ev.data = data;
    ev.len = len;
    t->share_due = t->share_ask = false;
    t->last_share = now;
    t->shared_sent++;
    px_publish(t->p, t->t_shared, &ev, sizeof ev);
    free(data);
}

/* A link another instance found, or lost, since its last snapshot. */
static void
on_remote_link(void *arg, const char *origin, bool up,
               const struct px_topo_link *link)
{
    struct topology *t = arg;
    char a[40], b[40];

    port_name(link->src, a, sizeof a);
    port_name(link->dst, b, sizeof b);
    px_info(t->p, "instance %s: link %s -> %s %s", origin, a, b,
            up ? "up" : "down");
}

static void
origin_gone(void *arg, const struct topo_origin *o)
{
    struct topology *t = arg;

    px_info(t->p,
            "instance %s sent no topology for %gs: its %zu links and %zu "
            "hosts are forgotten",
            o->id, t->link_timeout, o->n_links, o->n_hosts);
}

/* topology.shared: another instance's snapshot (ours, with no origin,
 * are the cluster plugin's to carry). */
static int
on_shared(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_cluster_event *ce = ev->payload;
    struct topology *t = px_get_data(p);
    struct topo_share_snap snap;
    const char *why = NULL;
    bool is_new = false, ask = false;
    int error;

    (void)arg;
    if (ev->len < sizeof *ce || !ce->origin) {
        return PX_EVENT_CONTINUE;
    }
    if (!t->in_cluster) {
        /* Another instance shares: so do we, and we want the others'
         * at once. */
        t->in_cluster = true;
        t->share_due = t->share_ask = true;
    }
    if ((ce->len && !ce->data) || !topo_origin_valid(ce->origin)) {
        error = EPROTO;
        why = ce->len && !ce->data ? "no data" : "not a valid instance id";
    } else {
        error = topo_share_parse(ce->data, ce->len, t->graph.max_links,
                                 t->graph.max_hosts, &snap, &why);
    }
    if (error == EPROTO) {
        t->shared_bad++;
        px_log_rl(p, &t->rl_share, PX_LOG_WARN,
                  "topology snapshot from instance %.*s refused: %s",
                  TOPO_ORIGIN_MAX, ce->origin, why);
        return PX_EVENT_CONTINUE;
    }
    if (!error) {
        size_t n_links = snap.n_links, n_hosts = snap.n_hosts;

        ask = snap.ask;
        error = topo_remote_update(&t->remote, ce->origin, &snap, px_now(p),
                                   &is_new);
        if (!error && is_new) {
            px_info(p, "instance %s shares its topology: %zu links, %zu hosts",
                    ce->origin, n_links, n_hosts);
        }
    }
    if (error == ENOSPC) {
        px_log_rl(p, &t->rl_share, PX_LOG_WARN,
                  "topology snapshot from instance %s refused: the "
                  "topology of %zu instances is kept already (max_origins)",
                  ce->origin, t->remote.max_origins);
    } else if (error) {
        px_log_rl(p, &t->rl_share, PX_LOG_WARN,
                  "topology snapshot from instance %s: %s", ce->origin,
                  strerror(error));
    } else {
        t->shared_received++;
        /* A newcomer learns ours at once, and so does one that asks. */
        if (is_new || ask) {
            t->share_due = true;
        }
    }
    return PX_EVENT_CONTINUE;
}

/* cluster.started: the cluster plugin came up after us (or again). */
static int
on_cluster_started(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_cluster_started *cs = ev->payload;
    struct topology *t = px_get_data(p);

    (void)arg;
    if (ev->len < sizeof *cs) {
        return PX_EVENT_CONTINUE;
    }
    if (!t->in_cluster) {
        px_info(p, "in the cluster as %s: sharing the topology",
                cs->instance ? cs->instance : "?");
    }
    t->in_cluster = true;
    t->share_due = t->share_ask = true;
    share_topic(t);
    return PX_EVENT_CONTINUE;
}

static void
on_tick(struct px_plugin *p, struct px_timer *timer, void *arg)
{
    struct topology *t = px_get_data(p);
    double now = px_now(p);

    (void)timer;
    (void)arg;
    send_probes(t, now);
    if (now - t->last_expire >= TICK * 5) {
        t->last_expire = now;
        topo_expire(&t->graph, now, t->link_timeout, t->host_timeout);
        topo_remote_expire(&t->remote, now, t->link_timeout, origin_gone, t);
    }
    if (t->in_cluster && ((t->share_due && now - t->last_share >= SHARE_GAP) ||
                          now - t->last_share >= t->probe_interval)) {
        share_snapshot(t, now);
    }
}

/* ---------------------------------------------------------------------- */
/* Switches. */

/* The flow that sends LLDP to the controller, told on our reply topic. */
static void
install_lldp_flow(struct topology *t, uint64_t dpid)
{
    static const uint8_t lldp_dst[6] = PX_LLDP_DST;
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_field match[2];
    struct px_of_action out;
    struct px_of_flow_mod fm;

    if (!t->install_lldp_flow) {
        return;
    }
    match[0] = px_of_field_bytes(PX_OF_F_ETH_DST, lldp_dst, NULL);
    match[1] = px_of_field_u64(PX_OF_F_ETH_TYPE, PX_ETH_TYPE_LLDP);
    memset(&out, 0, sizeof out);
    out.type = PX_OF_ACTION_OUTPUT;
    out.port = PX_OF_PORT_CONTROLLER;
    out.max_len = 0xffff; /* The whole frame, not a buffer. */
    memset(&fm, 0, sizeof fm);
    fm.dpid = dpid;
    fm.command = PX_OF_FLOW_ADD;
    fm.priority = LLDP_FLOW_PRIORITY;
    fm.buffer_id = PX_OF_NO_BUFFER;
    fm.cookie = LLDP_FLOW_COOKIE;
    fm.n_fields = 2;
    fm.fields = match;
    fm.n_actions = 1;
    fm.actions = &out;
    fm.outcome = &outcome;
    fm.reply_to = t->reply_to;
    fm.request_id = dpid;
    px_publish(t->p, t->t_flow_mod, &fm, sizeof fm);
    if (outcome.code) {
        t->lldp_flows_failed++;
        px_warn(t->p, "LLDP flow for %016" PRIx64 " refused: %s", dpid,
                outcome.cause);
    }
}

static void
switch_up(struct topology *t, const struct px_of_switch *sw)
{
    int error = topo_switch_up(&t->graph, sw->dpid, sw->version, sw->ports,
                               sw->n_ports);

    if (error) {
        px_warn(t->p, "switch %016" PRIx64 ": %s", sw->dpid, strerror(error));
        return;
    }
    install_lldp_flow(t, sw->dpid);
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    (void)arg;
    if (ev->len >= sizeof(struct px_of_switch)) {
        switch_up(px_get_data(p), ev->payload);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_down(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;
    struct topology *t = px_get_data(p);

    (void)arg;
    if (ev->len >= sizeof *sw) {
        topo_switch_down(&t->graph, sw->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_port_status(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_port_status *ps = ev->payload;
    struct topology *t = px_get_data(p);

    (void)arg;
    if (ev->len >= sizeof *ps &&
        topo_port_status(&t->graph, ps->dpid, ps->reason, &ps->port)) {
        px_warn(p, "port_status of %016" PRIx64 ": out of memory", ps->dpid);
    }
    return PX_EVENT_CONTINUE;
}

/* Our reply topic: the inventory's switches, and what became of the LLDP
 * flows. */
static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;
    struct topology *t = px_get_data(p);

    (void)arg;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    if (r->type == PX_OF_REPLY_SWITCH && r->request_id == INVENTORY_ID) {
        switch_up(t, r->sw);
    } else if (r->type == PX_OF_REPLY_ERROR) {
        t->lldp_flows_failed++;
        px_warn(p,
                "LLDP flow for %016" PRIx64 " refused by the switch: error "
                "type %u code %u",
                r->dpid, r->error->type, r->error->code);
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Packet-ins. */

/* The switch and port of one of our probes, or false for other LLDP. */
static bool
our_probe(const struct px_pkt_lldp *l, struct px_topo_port *src)
{
    char hex[17];
    char *end;

    if (l->chassis_subtype != 7 || l->chassis_id_len != CHASSIS_LEN ||
        memcmp(l->chassis_id, CHASSIS_PREFIX, 5) || l->port_subtype != 2 ||
        l->port_id_len != 4) {
        return false;
    }
    memcpy(hex, l->chassis_id + 5, 16);
    hex[16] = '\0';
    src->dpid = strtoull(hex, &end, 16);
    src->port_no = px_get_be32(l->port_id);
    return *end == '\0' && hex[0] != '-' && hex[0] != '+' && hex[0] != ' ';
}

static void
lldp_in(struct topology *t, const struct px_of_packet_in *pi,
        const struct px_pkt *pkt)
{
    struct px_topo_port src, dst = {pi->dpid, pi->in_port};

    t->lldp_received++;
    if (!(pkt->layers & PX_PKT_LLDP) || !our_probe(&pkt->lldp, &src)) {
        t->lldp_foreign++;
        return;
    }
    if (topo_link_seen(&t->graph, src, dst, px_now(t->p)) == ENOENT) {
        t->lldp_unknown++;
    }
}

static int
on_packet_in(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_packet_in *pi = ev->payload;
    struct topology *t = px_get_data(p);
    struct px_pkt pkt;

    (void)arg;
    if (ev->len < offsetof(struct px_of_packet_in, n_match) ||
        px_pkt_parse(pi->frame, pi->frame_len, &pkt)) {
        return PX_EVENT_CONTINUE;
    }
    if (pkt.eth.type == PX_ETH_TYPE_LLDP) {
        lldp_in(t, pi, &pkt);
        return PX_EVENT_HALT; /* Nobody else floods or routes LLDP. */
    }
    if (t->learn_hosts) {
        struct px_topo_port at = {pi->dpid, pi->in_port};
        uint32_t ipv4 = pkt.layers & PX_PKT_ARP    ? pkt.arp.spa
                        : pkt.layers & PX_PKT_IPV4 ? pkt.ipv4.src
                                                   : 0;
        const uint8_t *ipv6 = pkt.layers & PX_PKT_IPV6 ? pkt.ipv6.src : NULL;

        topo_host_seen(&t->graph, pkt.eth.src, at, ipv4, ipv6, px_now(p));
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* topology.get and stats.collect. */

static int
on_get(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_topo_get *req = ev->payload;
    struct topology *t = px_get_data(p);
    struct px_topo_reply r;
    struct px_topic *topic;
    struct topo_view view;
    uint64_t *switches;
    struct px_topo_link *links = NULL;
    struct px_topo_host *hosts = NULL;
    const struct topo_switch *sw;
    size_t n;
    int error;

    (void)arg;
    if (ev->len < sizeof *req || !req->reply_to ||
        px_topic_declare(p, req->reply_to, PX_TOPIC_TOPO_VERSION, &topic)) {
        px_log_rl(p, &t->rl_warn, PX_LOG_WARN,
                  "topology.get from %s without a usable reply_to",
                  ev->publisher);
        return PX_EVENT_CONTINUE;
    }
    /* Ours and the other instances' (in a cluster), each once. */
    error = topo_view_build(&t->graph, &t->remote, &view);
    switches = calloc(px_hmap_count(&t->graph.switches) + 1, sizeof *switches);
    if (!error) {
        links = calloc(view.n_links + 1, sizeof *links);
        hosts = calloc(view.n_hosts + 1, sizeof *hosts);
    }
    memset(&r, 0, sizeof r);
    r.type = PX_TOPO_REPLY_GRAPH;
    r.request_id = req->request_id;
    if (switches && links && hosts) {
        n = 0;
        PX_HMAP_FOR_EACH (sw, node, &t->graph.switches) {
            switches[n++] = sw->dpid;
        }
        r.n_switches = n;
        for (n = 0; n < view.n_links; n++) {
            links[n] = view.links[n].link;
        }
        r.n_links = n;
        for (n = 0; n < view.n_hosts; n++) {
            hosts[n] = view.hosts[n].host;
        }
        r.n_hosts = n;
        r.switches = switches;
        r.links = links;
        r.hosts = hosts;
    } else {
        px_warn(p, "topology.get: out of memory; the graph sent is empty");
    }
    px_publish(p, topic, &r, sizeof r);
    topo_view_destroy(&view);
    free(switches);
    free(links);
    free(hosts);
    return PX_EVENT_CONTINUE;
}

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_stats_collect *c = ev->payload;
    struct topology *t = px_get_data(p);
    struct px_stats_field fields[] = {
        PX_STATS_GAUGE_FIELD("switches", "Switches in the graph",
                             px_hmap_count(&t->graph.switches)),
        PX_STATS_GAUGE_FIELD("links", "Links (one way each) in the graph",
                             px_hmap_count(&t->graph.links)),
        PX_STATS_GAUGE_FIELD("hosts", "Hosts in the graph",
                             px_hmap_count(&t->graph.hosts)),
        PX_STATS_COUNTER_FIELD("probes_sent", "LLDP probes sent",
                               t->probes_sent),
        PX_STATS_COUNTER_FIELD("probes_refused",
                               "LLDP probes openflow did not send",
                               t->probes_refused),
        PX_STATS_COUNTER_FIELD("probes_late",
                               "Ticks that left due probes for later "
                               "(probe_rate)",
                               t->probes_late),
        PX_STATS_COUNTER_FIELD("lldp_received", "LLDP frames received",
                               t->lldp_received),
        PX_STATS_COUNTER_FIELD("lldp_foreign",
                               "LLDP frames that were not our probes",
                               t->lldp_foreign),
        PX_STATS_COUNTER_FIELD("lldp_unknown",
                               "Probes from a switch or port not known",
                               t->lldp_unknown),
        PX_STATS_COUNTER_FIELD("links_up", "Links found", t->links_up),
        PX_STATS_COUNTER_FIELD("links_down", "Links gone", t->links_down),
        PX_STATS_COUNTER_FIELD("hosts_learned", "Hosts learned",
                               t->hosts_learned),
        PX_STATS_COUNTER_FIELD("links_dropped", "Links not kept (max_links)",
                               t->graph.links_dropped),
        PX_STATS_COUNTER_FIELD("hosts_dropped", "Hosts not kept (max_hosts)",
                               t->graph.hosts_dropped),
        PX_STATS_COUNTER_FIELD("lldp_flows_failed",
                               "LLDP flows refused (the log says why)",
                               t->lldp_flows_failed),
        PX_STATS_GAUGE_FIELD("remote_instances",
                             "Other instances whose topology is kept",
                             t->remote.n_origins),
        PX_STATS_GAUGE_FIELD("remote_links",
                             "Links other instances found (one way each)",
                             t->remote.n_links),
        PX_STATS_GAUGE_FIELD("remote_hosts", "Hosts other instances found",
                             t->remote.n_hosts),
        PX_STATS_COUNTER_FIELD("shared_sent",
                               "Snapshots of our topology published for "
                               "the cluster",
                               t->shared_sent),
        PX_STATS_COUNTER_FIELD("shared_received",
                               "Snapshots of other instances kept",
                               t->shared_received),
        PX_STATS_COUNTER_FIELD("shared_bad",
                               "Snapshots of other instances refused as "
                               "not valid",
                               t->shared_bad),
        PX_STATS_COUNTER_FIELD("shared_refused",
                               "Snapshots of other instances refused for "
                               "want of room (max_origins)",
                               t->remote.refused),
        PX_STATS_COUNTER_FIELD("shared_left_out",
                               "Links and hosts left out of our snapshots "
                               "(too big for one event)",
                               t->shared_left_out),
        PX_STATS_COUNTER_FIELD("remote_dropped",
                               "Links and hosts of other instances not kept "
                               "(max_links, max_hosts)",
                               t->remote.links_dropped +
                                   t->remote.hosts_dropped),
    };

    (void)arg;
    if (ev->len >= sizeof *c) {
        px_stats_publish(p, t->t_stats_report, c->id, "topology", NULL, 0,
                         fields, sizeof fields / sizeof fields[0]);
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Handoff: the graph's links and hosts (topo_graph_save), restored after
 * the inventory so that only those at ports still known come back. */

static void
put_handoff(struct topology *t)
{
    uint8_t in_cluster = t->in_cluster;
    struct px_buf b;

    /* Whether a cluster runs, so that the next generation shares at once
     * (the cluster plugin, already up, does not start again for it). */
    if (px_handoff_put_blob(t->p, BLOB_CLUSTER, BLOB_CLUSTER_VERSION,
                            &in_cluster, 1)) {
        px_warn(t->p, "could not hand over that a cluster runs; the next "
                      "generation shares when another instance does");
    }

    px_buf_init(&b, SIZE_MAX);
    topo_graph_save(&t->graph, &b);
    if (px_buf_error(&b) ||
        px_handoff_put_blob(t->p, BLOB_NAME, TOPO_GRAPH_BLOB_VERSION, b.data,
                            b.len)) {
        px_warn(t->p, "could not hand the graph over; the next generation "
                      "finds it again");
    }
    px_buf_destroy(&b);
}

static void
take_handoff(struct topology *t)
{
    uint32_t version;
    const void *data;
    size_t len;

    if (!px_handoff_get_blob(t->p, BLOB_CLUSTER, &version, &data, &len) &&
        version == BLOB_CLUSTER_VERSION && len == 1 &&
        *(const uint8_t *)data == 1) {
        /* Shared at the first tick, asking the others for theirs, which
         * this generation does not have. */
        t->in_cluster = true;
        t->share_due = t->share_ask = true;
    }
    if (px_handoff_get_blob(t->p, BLOB_NAME, &version, &data, &len)) {
        return;
    }
    if (version != TOPO_GRAPH_BLOB_VERSION ||
        topo_graph_restore(&t->graph, data, len)) {
        px_warn(t->p,
                "the graph handed over (version %u) could not be read; "
                "it is found again",
                version);
        return;
    }
    px_info(t->p, "graph handed over: %zu links, %zu hosts",
            px_hmap_count(&t->graph.links), px_hmap_count(&t->graph.hosts));
}

/* ---------------------------------------------------------------------- */

static int
topology_init(struct px_plugin *p)
{
    struct topology *t = calloc(1, sizeof *t);
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct topo_graph_cb cb = {on_link_change, on_host_change, NULL};
    struct px_of_inventory inv;
    long long max_links = 0, max_hosts = 0, max_origins = 0;
    int error;

    if (!t) {
        return ENOMEM;
    }
    t->p = p;
    t->rl_warn = t->rl_share = rl;
    cb.arg = t;
    px_set_data(p, t);
    if ((error = px_config_double(p, "probe_interval", &t->probe_interval)) ||
        (error = px_config_double(p, "link_timeout", &t->link_timeout)) ||
        (error = px_config_double(p, "host_timeout", &t->host_timeout)) ||
        (error = px_config_int(p, "probe_rate", &t->probe_rate)) ||
        (error = px_config_int(p, "max_links", &max_links)) ||
        (error = px_config_int(p, "max_hosts", &max_hosts)) ||
        (error = px_config_int(p, "max_origins", &max_origins)) ||
        (error =
             px_config_bool(p, "install_lldp_flow", &t->install_lldp_flow)) ||
        (error = px_config_bool(p, "learn_hosts", &t->learn_hosts))) {
        free(t);
        px_set_data(p, NULL);
        return error;
    }
    if (t->link_timeout <= t->probe_interval) {
        px_error(p,
                 "link_timeout (%gs) must be longer than probe_interval "
                 "(%gs): every link would time out between its probes",
                 t->link_timeout, t->probe_interval);
        free(t);
        px_set_data(p, NULL);
        return EINVAL;
    }
    topo_graph_init(&t->graph, (size_t)max_links, (size_t)max_hosts, &cb);
    topo_remote_init(&t->remote, (size_t)max_origins, (size_t)max_links,
                     (size_t)max_hosts);
    t->remote.on_link = on_remote_link;
    t->remote.cb_arg = t;
    snprintf(t->reply_to, sizeof t->reply_to, "%s.openflow",
             px_instance_name(p));
    if ((error = px_topic_declare(p, PX_TOPIC_OF_PACKET_OUT,
                                  PX_TOPIC_OF_VERSION, &t->t_packet_out)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_FLOW_MOD, PX_TOPIC_OF_VERSION,
                                  &t->t_flow_mod)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &t->t_inventory)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &t->t_stats_report)) ||
        (error = px_topic_declare(p, PX_TOPIC_TOPO_LINK_UP,
                                  PX_TOPIC_TOPO_VERSION, &t->t_link_up)) ||
        (error = px_topic_declare(p, PX_TOPIC_TOPO_LINK_DOWN,
                                  PX_TOPIC_TOPO_VERSION, &t->t_link_down)) ||
        (error = px_topic_declare(p, PX_TOPIC_TOPO_HOST_ADD,
                                  PX_TOPIC_TOPO_VERSION, &t->t_host_add)) ||
        (error = px_topic_declare(p, PX_TOPIC_TOPO_HOST_MOVE,
                                  PX_TOPIC_TOPO_VERSION, &t->t_host_move)) ||
        (error = px_topic_declare(p, PX_TOPIC_TOPO_HOST_IP,
                                  PX_TOPIC_TOPO_VERSION, &t->t_host_ip)) ||
        (error = px_topic_declare(p, PX_TOPIC_TOPO_HOST_DELETE,
                                  PX_TOPIC_TOPO_VERSION, &t->t_host_delete)) ||
        (error = px_topic_declare(p, TOPO_SHARE_TOPIC,
                                  PX_TOPIC_CLUSTER_VERSION, &t->t_shared)) ||
        (error = px_topic_declare(p, PX_TOPIC_CLUSTER_SHARE,
                                  PX_TOPIC_CLUSTER_VERSION, &t->t_share)) ||
        (error = px_subscribe(p, TOPO_SHARE_TOPIC, PX_TOPIC_CLUSTER_VERSION,
                              PX_PRIO_DEFAULT, on_shared, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_CLUSTER_STARTED,
                              PX_TOPIC_CLUSTER_VERSION, PX_PRIO_DEFAULT,
                              on_cluster_started, NULL, NULL)) ||
        (error = px_subscribe(p, t->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        /* First, so that LLDP stops here before anyone floods it. */
        (error = px_subscribe(p, PX_TOPIC_OF_PACKET_IN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_FIRST, on_packet_in, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_PORT_STATUS, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_port_status, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_TOPO_GET, PX_TOPIC_TOPO_VERSION,
                              PX_PRIO_DEFAULT, on_get, NULL, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL)) ||
        (error = topology_commands_register(t))) {
        topo_graph_destroy(&t->graph);
        topo_remote_destroy(&t->remote);
        free(t);
        px_set_data(p, NULL);
        return error;
    }
    /* The switches connected before us, then what the last generation
     * knew of them. */
    memset(&inv, 0, sizeof inv);
    inv.reply_to = t->reply_to;
    inv.request_id = INVENTORY_ID;
    inv.outcome = &outcome;
    px_publish(p, t->t_inventory, &inv, sizeof inv);
    take_handoff(t);
    /* A cluster plugin already up takes topology.shared now; one that
     * comes later says so (cluster.started), and we ask again. */
    share_topic(t);
    t->last_tick = t->last_expire = t->last_share = px_now(p);
    error = px_timer_start(p, TICK, TICK, on_tick, NULL, &t->tick);
    if (error) {
        topo_graph_destroy(&t->graph);
        topo_remote_destroy(&t->remote);
        free(t);
        px_set_data(p, NULL);
        return error;
    }
    px_info(p,
            "probing every %gs at most %lld a second, links time out after "
            "%gs; %zu switches known",
            t->probe_interval, t->probe_rate, t->link_timeout,
            px_hmap_count(&t->graph.switches));
    return 0;
}

static void
topology_fini(struct px_plugin *p)
{
    struct topology *t = px_get_data(p);

    if (!t) {
        return;
    }
    put_handoff(t);
    topo_graph_destroy(&t->graph);
    topo_remote_destroy(&t->remote);
    free(t);
}

PX_PLUGIN_DEFINE(.name = "topology", .version = TOPOLOGY_VERSION,
                 .description = "links by LLDP and hosts by packet-in (like "
                                "POX's openflow.discovery)",
                 .config_keys = topology_keys, .init = topology_init,
                 .fini = topology_fini);
