/*
 * The openflow plugin's commands on the daemon's control socket
 * ("plexusctl switches", "plexusctl ports DPID", "plexusctl disconnect
 * DPID"): the switches it remembers, a switch's ports, and closing one
 * switch's connection by hand.  Each answers with a table for people and
 * the same facts as JSON (built with jansson) for scripts.
 *
 * The facts are the plugin's own: the per-switch records (swstats.h),
 * which outlive connections and reloads, and the live connections
 * (of_conn.h) for what only a connected switch can tell (its ports' MAC
 * addresses and states).  The handlers run on the loop thread, so they
 * read both without locks, and the host unregisters the commands when
 * this generation is unloaded, so 'arg' (the plugin's state) is always
 * the live one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "of_conn.h"
#include "of_plugin.h"
#include "plexus/of_text.h"
#include "plexus/plugin.h"
#include "plexus/table.h"

/* The reason a switch_down and the log give for "disconnect". */
#define DISCONNECT_REASON "disconnected by operator"

static const char *
version_name(uint8_t version)
{
    return version == PX_OF_VERSION_10   ? "1.0"
           : version == PX_OF_VERSION_13 ? "1.3"
                                         : "";
}

/* Sets the reply's JSON from 'data' (reference taken). */
static void
reply_json(struct px_reply *r, json_t *data)
{
    char *s = data ? json_dumps(data, JSON_COMPACT) : NULL;

    if (s) {
        px_reply_json(r, s);
    }
    free(s);
    json_decref(data);
}

/* Reads a command's DPID argument: on success stores it and its 16-digit
 * form in 'key'; otherwise replies why and returns EINVAL. */
static int
dpid_arg(const char *arg, struct px_reply *r, uint64_t *dpid, char key[17])
{
    if (px_of_dpid_parse(arg, dpid)) {
        px_reply_error(r,
                       "'%s' is not a datapath id (up to 16 hex digits, "
                       "colons allowed)",
                       arg);
        return EINVAL;
    }
    snprintf(key, 17, "%016" PRIx64, *dpid);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* switches                                                               */

static int
cmd_switches(struct px_plugin *p, int argc, const char *const *argv,
             struct px_reply *r, void *arg)
{
    struct openflow *of = arg;
    json_t *list = json_array();
    unsigned int connected = 0, connecting = 0;
    struct px_table t;
    struct of_conn *c;
    size_t i;

    (void)argc;
    (void)argv;
    px_table_init(&t);
    px_table_column(&t, "SWITCH", PX_TABLE_LEFT);
    px_table_column(&t, "VERSION", PX_TABLE_LEFT);
    px_table_column(&t, "PEER", PX_TABLE_LEFT);
    px_table_column(&t, "STATE", PX_TABLE_LEFT);
    px_table_column(&t, "UPTIME", PX_TABLE_RIGHT);
    px_table_column(&t, "PORTS", PX_TABLE_RIGHT);
    px_table_column(&t, "PKT_IN", PX_TABLE_RIGHT);
    px_table_column(&t, "PKT_OUT", PX_TABLE_RIGHT);
    px_table_column(&t, "FLOW_MOD", PX_TABLE_RIGHT);
    px_table_column(&t, "DROPS", PX_TABLE_RIGHT);
    px_table_column(&t, "RX_BYTES", PX_TABLE_RIGHT);
    px_table_column(&t, "TX_BYTES", PX_TABLE_RIGHT);
    px_table_column(&t, "DISCONNECTS", PX_TABLE_RIGHT);
    px_table_column(&t, "REASONS", PX_TABLE_LEFT);
    for (c = of->conns; c; c = c->next) {
        connected += c->state == OF_CONN_READY;
        connecting += c->state != OF_CONN_READY;
    }
    for (i = 0; i < of->stats->n; i++) {
        const struct of_switch_stats *sw = of->stats->records[i];
        struct of_conn *live =
            sw->connected ? openflow_find(of, sw->dpid) : NULL;
        json_t *reasons = json_object();
        char key[17], age[32], breakdown[256] = "";
        uint64_t total = 0;
        size_t n = 0, d;

        snprintf(key, sizeof key, "%016" PRIx64, sw->dpid);
        for (d = PX_CONN_PEER_CLOSED; d < OF_N_DISCONNECTS; d++) {
            const char *name = px_conn_reason_name(d);

            total += sw->disconnects[d];
            json_object_set_new(reasons, name,
                                json_integer((json_int_t)sw->disconnects[d]));
            if (sw->disconnects[d] && n < sizeof breakdown) {
                n += (size_t)snprintf(breakdown + n, sizeof breakdown - n,
                                      "%s%s=%" PRIu64, n ? " " : "", name,
                                      sw->disconnects[d]);
            }
        }
        px_table_row(&t);
        px_table_set(&t, 0, key);
        px_table_set(&t, 1, version_name(sw->version));
        px_table_set(&t, 2, sw->peer);
        px_table_set(&t, 3, sw->connected ? "up" : "down");
        if (sw->connected) {
            px_table_set(&t, 4,
                         px_table_age(px_now(p) - sw->connected_since, age,
                                      sizeof age));
        }
        px_table_setf(&t, 5, "%zu", live ? live->n_ports : (size_t)0);
        px_table_setf(&t, 6, "%" PRIu64, sw->total.packet_ins);
        px_table_setf(&t, 7, "%" PRIu64, sw->total.packet_outs);
        px_table_setf(&t, 8, "%" PRIu64, sw->total.flow_mods);
        px_table_setf(&t, 9, "%" PRIu64, sw->total.out_drops);
        px_table_setf(&t, 10, "%" PRIu64, sw->total.rx_bytes);
        px_table_setf(&t, 11, "%" PRIu64, sw->total.tx_bytes);
        px_table_setf(&t, 12, "%" PRIu64, total);
        px_table_set(&t, 13, breakdown);
        json_array_append_new(
            list,
            json_pack("{s:s,s:s,s:s,s:b,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
                      "switch", key, "version", version_name(sw->version),
                      "peer", sw->peer, "connected", sw->connected,
                      "connected_since", sw->connected_since, "ports",
                      (json_int_t)(live ? live->n_ports : 0), "packet_ins",
                      (json_int_t)sw->total.packet_ins, "packet_outs",
                      (json_int_t)sw->total.packet_outs, "flow_mods",
                      (json_int_t)sw->total.flow_mods, "output_drops",
                      (json_int_t)sw->total.out_drops, "rx_bytes",
                      (json_int_t)sw->total.rx_bytes, "tx_bytes",
                      (json_int_t)sw->total.tx_bytes, "disconnects", reasons));
    }
    px_reply_table(r, &t, "switches: none");
    px_reply_printf(r,
                    "openflow: %u connected, %u in handshake, %" PRIu64
                    " accepted, %" PRIu64 " refused (max_switches), %" PRIu64
                    " handshake failures, %" PRIu64 " forgotten\n",
                    connected, connecting, of->stats->connections_accepted,
                    of->stats->connections_refused,
                    of->stats->handshake_failures,
                    of->stats->switches_forgotten);
    reply_json(
        r,
        json_pack(
            "{s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "switches", list, "openflow",
            "switches_connected", (json_int_t)connected, "in_handshake",
            (json_int_t)connecting, "connections_accepted",
            (json_int_t)of->stats->connections_accepted, "connections_refused",
            (json_int_t)of->stats->connections_refused, "handshake_failures",
            (json_int_t)of->stats->handshake_failures, "switches_forgotten",
            (json_int_t)of->stats->switches_forgotten));
    return 0;
}

/* ---------------------------------------------------------------------- */
/* ports DPID                                                             */

static const struct px_of_port *
live_port(const struct of_conn *c, uint32_t port_no)
{
    size_t i;

    for (i = 0; c && i < c->n_ports; i++) {
        if (c->ports[i].port_no == port_no) {
            return &c->ports[i];
        }
    }
    return NULL;
}

/* Adds one port's row and JSON: 'lp' is what the switch says of it (NULL
 * when not connected, or a special port), 'ps' its counters (NULL when
 * none are kept). */
static void
add_port(struct px_table *t, json_t *list, uint32_t port_no,
         const struct px_of_port *lp, const struct of_port_stats *ps)
{
    const char *state = NULL;
    const char *name = lp ? lp->name : ps ? ps->name : "";
    char num[16], mac[18] = "";

    if (lp) {
        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x",
                 lp->hw_addr[0], lp->hw_addr[1], lp->hw_addr[2],
                 lp->hw_addr[3], lp->hw_addr[4], lp->hw_addr[5]);
        state = lp->config & PX_OF_PORT_CONFIG_DOWN      ? "admin down"
                : lp->state & PX_OF_PORT_STATE_LINK_DOWN ? "down"
                                                         : "up";
    }
    px_table_row(t);
    px_table_set(t, 0, openflow_port_name(port_no, num, sizeof num));
    px_table_set(t, 1, name);
    px_table_set(t, 2, mac);
    px_table_set(t, 3, state);
    if (ps) {
        px_table_setf(t, 4, "%" PRIu64, ps->packet_ins);
        px_table_setf(t, 5, "%" PRIu64, ps->packet_outs);
    }
    json_array_append_new(
        list, json_pack("{s:s,s:I,s:s,s:s?,s:s?,s:I,s:I}", "port",
                        openflow_port_name(port_no, num, sizeof num),
                        "port_no", (json_int_t)port_no, "name", name, "mac",
                        lp ? mac : NULL, "state", state, "packet_ins",
                        (json_int_t)(ps ? ps->packet_ins : 0), "packet_outs",
                        (json_int_t)(ps ? ps->packet_outs : 0)));
}

static int
compare_ports(const void *a_, const void *b_)
{
    const struct px_of_port *a = a_, *b = b_;

    return a->port_no < b->port_no ? -1 : a->port_no > b->port_no;
}

static int
cmd_ports(struct px_plugin *p, int argc, const char *const *argv,
          struct px_reply *r, void *arg)
{
    struct openflow *of = arg;
    const struct of_switch_stats *sw;
    struct of_port_stats *counted = NULL;
    struct px_of_port *extra = NULL;
    struct of_conn *c;
    struct px_table t;
    json_t *list;
    uint64_t dpid;
    size_t i, n_counted = 0, n_extra = 0;
    char key[17];

    (void)p;
    (void)argc;
    if (dpid_arg(argv[1], r, &dpid, key)) {
        return EINVAL;
    }
    sw = of_stats_find(of->stats, dpid);
    c = openflow_find(of, dpid);
    if (!sw && !c) {
        px_reply_error(r, "no switch %s (\"switches\" lists them)", key);
        return ENOENT;
    }
    /* The counted ports in order, then the ports the switch announced that
     * have no counters (over the bound), also in order. */
    if (sw && sw->n_ports) {
        counted = malloc(sw->n_ports * sizeof *counted);
        if (!counted) {
            return ENOMEM;
        }
        of_stats_ports_sorted(sw, counted);
        n_counted = sw->n_ports;
    }
    if (c && c->n_ports) {
        extra = malloc(c->n_ports * sizeof *extra);
        if (!extra) {
            free(counted);
            return ENOMEM;
        }
        for (i = 0; i < c->n_ports; i++) {
            size_t j;

            for (j = 0; j < n_counted; j++) {
                if (counted[j].port_no == c->ports[i].port_no) {
                    break;
                }
            }
            if (j == n_counted) {
                extra[n_extra++] = c->ports[i];
            }
        }
        qsort(extra, n_extra, sizeof *extra, compare_ports);
    }

    px_table_init(&t);
    px_table_column(&t, "PORT", PX_TABLE_LEFT);
    px_table_column(&t, "NAME", PX_TABLE_LEFT);
    px_table_column(&t, "MAC", PX_TABLE_LEFT);
    px_table_column(&t, "STATE", PX_TABLE_LEFT);
    px_table_column(&t, "PKT_IN", PX_TABLE_RIGHT);
    px_table_column(&t, "PKT_OUT", PX_TABLE_RIGHT);
    list = json_array();
    for (i = 0; i < n_counted; i++) {
        add_port(&t, list, counted[i].port_no,
                 live_port(c, counted[i].port_no), &counted[i]);
    }
    for (i = 0; i < n_extra; i++) {
        add_port(&t, list, extra[i].port_no, &extra[i], NULL);
    }
    px_reply_printf(r, "switch %s (%s)%s:\n", key, c ? "up" : "down",
                    sw && sw->ports_untracked
                        ? ", some port counts not kept: over the per-switch "
                          "port bound"
                        : "");
    px_reply_table(r, &t, "no ports");
    reply_json(r, json_pack("{s:s,s:b,s:o}", "switch", key, "connected",
                            c != NULL, "ports", list));
    free(counted);
    free(extra);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* disconnect DPID                                                        */

static int
cmd_disconnect(struct px_plugin *p, int argc, const char *const *argv,
               struct px_reply *r, void *arg)
{
    struct openflow *of = arg;
    struct of_conn *c;
    uint64_t dpid;
    char key[17], peer[sizeof c->peer];

    (void)argc;
    if (dpid_arg(argv[1], r, &dpid, key)) {
        return EINVAL;
    }
    c = openflow_find(of, dpid);
    if (!c) {
        px_reply_error(r, "switch %s is not connected", key);
        return ENOENT;
    }
    snprintf(peer, sizeof peer, "%s", c->peer);
    /* Logged, published as switch_down and counted (as "other") with the
     * reason, like any close; the switch will usually reconnect. */
    px_info(p, "switch %s (%s): closing at an operator's request", key, peer);
    of_conn_close(c, PX_CONN_ADMIN, DISCONNECT_REASON);
    px_reply_printf(r, "switch %s (%s) disconnected\n", key, peer);
    reply_json(r, json_pack("{s:s,s:s,s:s}", "switch", key, "peer", peer,
                            "reason", DISCONNECT_REASON));
    return 0;
}

void
openflow_commands_register(struct openflow *of)
{
    /* A second openflow instance finds the names taken (the host logs
     * it); its switches are then not on the control socket, which is no
     * reason to refuse to serve them. */
    px_command_register(of->p, "switches", "",
                        "OpenFlow switches: state, counters, disconnects", 0,
                        0, cmd_switches, of, NULL);
    px_command_register(of->p, "ports", "DPID",
                        "a switch's ports: name, MAC, state, counters", 1, 1,
                        cmd_ports, of, NULL);
    px_command_register(of->p, "disconnect", "DPID",
                        "close a switch's connection (it may reconnect)", 1, 1,
                        cmd_disconnect, of, NULL);
}
