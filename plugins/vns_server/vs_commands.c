/*
 * vns_server's command on the control socket (vs_plugin.h): "routers", a
 * table of the router connections (peer, vhost, user, uptime, interfaces,
 * frames each way, drops) and a line of the plugin's counters, or the same
 * as JSON.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "plexus/packet.h"
#include "plexus/table.h"
#include "vs_plugin.h"

/* The interface map: what each router is told it has, and the switch
 * port behind each interface. */
static json_t *
interfaces_json(const struct vns_server *vs)
{
    json_t *list = json_array();
    size_t i;

    for (i = 0; list && i < vs->n_ifaces; i++) {
        const struct iface *f = &vs->ifaces[i];
        char ip[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], mac[18];

        json_array_append_new(
            list,
            json_pack("{s:s,s:s,s:s,s:s,s:I}", "name", f->vi.name, "ip",
                      px_pkt_format_ipv4(ntohl(f->vi.ip), ip, sizeof ip),
                      "mask",
                      px_pkt_format_ipv4(ntohl(f->vi.mask), mask, sizeof mask),
                      "mac", px_pkt_format_mac(f->vi.mac, mac, sizeof mac),
                      "port", (json_int_t)f->port_no));
    }
    return list;
}

static int
cmd_routers(struct px_plugin *p, int argc, const char *const *argv,
            struct px_reply *r, void *arg)
{
    struct vns_server *vs = arg;
    json_t *list = json_array(), *disconnects = json_object(), *data;
    struct router **sorted, *rt;
    struct px_table t;
    size_t n = 0, i, k;
    char *s, dpid[17];
    int error;

    (void)argc;
    (void)argv;
    for (rt = vs->routers; rt; rt = rt->next) {
        n++;
    }
    /* By id, the order they connected in (the list is newest first). */
    sorted = calloc(n ? n : 1, sizeof *sorted);
    if (!sorted) {
        json_decref(list);
        json_decref(disconnects);
        return ENOMEM;
    }
    for (i = 0, rt = vs->routers; rt; rt = rt->next) {
        sorted[i++] = rt;
    }
    qsort(sorted, n, sizeof *sorted, vs_router_id_cmp);
    px_table_init(&t);
    px_table_column(&t, "ROUTER", PX_TABLE_RIGHT);
    px_table_column(&t, "PEER", PX_TABLE_LEFT);
    px_table_column(&t, "VHOST", PX_TABLE_LEFT);
    px_table_column(&t, "USER", PX_TABLE_LEFT);
    px_table_column(&t, "UPTIME", PX_TABLE_RIGHT);
    px_table_column(&t, "IFACES", PX_TABLE_RIGHT);
    px_table_column(&t, "FRAMES_RX", PX_TABLE_RIGHT);
    px_table_column(&t, "FRAMES_TX", PX_TABLE_RIGHT);
    px_table_column(&t, "DROPPED", PX_TABLE_RIGHT);
    for (i = 0; i < n; i++) {
        json_t *drops = json_object();
        unsigned long long dropped = 0;
        size_t ifaces;
        char age[32];

        rt = sorted[i];
        ifaces = rt->hwinfo_sent ? vs->n_ifaces : 0;
        for (k = 0; k < N_ROUTER_DROPS; k++) {
            dropped += rt->dropped[k];
            json_object_set_new(drops, vs_drop_names[k],
                                json_integer((json_int_t)rt->dropped[k]));
        }
        px_table_row(&t);
        px_table_setf(&t, 0, "%u", rt->id);
        px_table_set(&t, 1, px_conn_peer(rt->conn));
        px_table_set(&t, 2, rt->vhost);
        px_table_set(&t, 3, rt->user);
        px_table_set(
            &t, 4,
            px_table_age(px_now(p) - rt->connected_since, age, sizeof age));
        px_table_setf(&t, 5, "%zu", ifaces);
        px_table_setf(&t, 6, "%llu", (unsigned long long)rt->frames_in);
        px_table_setf(&t, 7, "%llu", (unsigned long long)rt->frames_out);
        px_table_setf(&t, 8, "%llu", dropped);
        json_array_append_new(
            list,
            json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:f,s:I,s:I,s:I,s:o}",
                      "router", (json_int_t)rt->id, "peer",
                      px_conn_peer(rt->conn), "transport",
                      px_transport_name(px_conn_transport(rt->conn)), "vhost",
                      rt->vhost, "user", rt->user, "state",
                      rt->state == R_READY  ? "open"
                      : rt->state == R_OPEN ? "authenticated"
                                            : "authenticating",
                      "connected_since", rt->connected_since, "interfaces",
                      (json_int_t)ifaces, "frames_rx",
                      (json_int_t)rt->frames_in, "frames_tx",
                      (json_int_t)rt->frames_out, "frames_dropped", drops));
    }
    free(sorted);
    if ((error = px_reply_table(r, &t, "routers: none"))) {
        json_decref(list);
        json_decref(disconnects);
        return error;
    }
    px_reply_printf(r, "vns_server: %zu connected, %llu accepted", n,
                    (unsigned long long)vs->routers_accepted);
    for (k = PX_CONN_OPEN + 1; k < PX_CONN_N_REASONS; k++) {
        json_object_set_new(disconnects, px_conn_reason_name(k),
                            json_integer((json_int_t)vs->disconnects[k]));
        if (vs->disconnects[k]) {
            px_reply_printf(r, ", %llu %s",
                            (unsigned long long)vs->disconnects[k],
                            px_conn_reason_name(k));
        }
    }
    px_reply_printf(r, ", %llu unmapped packet-ins; switch %s\n",
                    (unsigned long long)vs->unmapped_packet_ins,
                    vs->switch_up ? "up" : "not up");
    snprintf(dpid, sizeof dpid, "%016" PRIx64, vs->up_dpid);
    data = json_pack("{s:o,s:{s:I,s:I,s:o,s:I,s:b,s:s,s:o}}", "routers", list,
                     "vns_server", "routers_connected", (json_int_t)n,
                     "routers_accepted", (json_int_t)vs->routers_accepted,
                     "router_disconnects", disconnects, "unmapped_packet_ins",
                     (json_int_t)vs->unmapped_packet_ins, "switch_up",
                     vs->switch_up, "dpid", vs->switch_up ? dpid : "",
                     "interfaces", interfaces_json(vs));
    s = data ? json_dumps(data, JSON_COMPACT) : NULL;
    if (s) {
        px_reply_json(r, s);
    }
    free(s);
    json_decref(data);
    return 0;
}

void
vs_commands_register(struct vns_server *vs)
{
    px_command_register(vs->p, "routers", "",
                        "VNS routers: peer, user, interfaces, frames", 0, 0,
                        cmd_routers, vs, NULL);
}
