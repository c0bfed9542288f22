/*
 * "plexusctl topology": the links and hosts the topology plugin knows, as
 * tables for people and, with --json, as
 *   {"switches": ["DPID", ...],
 *    "links": [{"src_dpid": "DPID", "src_port": N, "dst_dpid": "DPID",
 *               "dst_port": N, "age": SECONDS, "found_by": WHO}, ...],
 *    "hosts": [{"mac": "MAC", "ips": ["ADDRESS", ...], "dpid": "DPID",
 *               "port": N, "idle": SECONDS, "found_by": WHO}, ...]}
 * with datapath ids as 16 hex digits, as "plexusctl switches" writes
 * them, and WHO "here" for what this instance found, else the id of the
 * instance of the cluster that did (topo_share.h: the links and hosts of
 * the whole network, each once).  Rows are sorted, so that two runs over
 * the same graph print the same thing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plexus/packet.h"
#include "plexus/table.h"
#include "topology.h"

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The host's addresses, IPv4 first, into 'ips' (a JSON array) and, comma
 * separated, into 'text'. */
static void
host_ips(const struct px_topo_host *h, json_t *ips, char *text, size_t size)
{
    size_t i, n = 0;

    text[0] = '\0';
    for (i = 0; i < h->n_ipv4 + h->n_ipv6; i++) {
        char addr[PX_PKT_IPV6_STRLEN];

        if (i < h->n_ipv4) {
            px_pkt_format_ipv4(h->ipv4[i], addr, sizeof addr);
        } else {
            px_pkt_format_ipv6(h->ipv6[i - h->n_ipv4], addr, sizeof addr);
        }
        json_array_append_new(ips, json_string(addr));
        if (n < size) {
            n += (size_t)snprintf(text + n, size - n, "%s%s", i ? "," : "",
                                  addr);
        }
    }
}

static int
cmd_topology(struct px_plugin *p, int argc, const char *const *argv,
             struct px_reply *r, void *arg)
{
    struct topology *t = arg;
    const struct topo_graph *g = &t->graph;
    size_t n_sw = px_hmap_count(&g->switches), i;
    uint64_t *sws = calloc(n_sw + 1, sizeof *sws);
    json_t *j_sw = json_array(), *j_l = json_array(), *j_h = json_array();
    const struct topo_switch *sw;
    struct topo_view view;
    struct px_table lt, ht;
    double now = px_now(p);
    json_t *doc;
    char *s;

    (void)argc;
    (void)argv;
    if (!sws || !j_sw || !j_l || !j_h ||
        topo_view_build(g, &t->remote, &view)) {
        free(sws);
        json_decref(j_sw);
        json_decref(j_l);
        json_decref(j_h);
        return ENOMEM;
    }
    i = 0;
    PX_HMAP_FOR_EACH (sw, node, &g->switches) {
        sws[i++] = sw->dpid;
    }
    qsort(sws, n_sw, sizeof *sws, cmp_u64);

    for (i = 0; i < n_sw; i++) {
        char dpid[17];

        snprintf(dpid, sizeof dpid, "%016" PRIx64, sws[i]);
        json_array_append_new(j_sw, json_string(dpid));
    }
    px_table_init(&lt);
    px_table_column(&lt, "FROM", PX_TABLE_LEFT);
    px_table_column(&lt, "PORT", PX_TABLE_RIGHT);
    px_table_column(&lt, "TO", PX_TABLE_LEFT);
    px_table_column(&lt, "PORT", PX_TABLE_RIGHT);
    px_table_column(&lt, "UP", PX_TABLE_RIGHT);
    px_table_column(&lt, "FOUND BY", PX_TABLE_LEFT);
    for (i = 0; i < view.n_links; i++) {
        const struct px_topo_link *k = &view.links[i].link;
        const char *by =
            view.links[i].found_by ? view.links[i].found_by : "here";
        char src[17], dst[17], age[32];

        snprintf(src, sizeof src, "%016" PRIx64, k->src.dpid);
        snprintf(dst, sizeof dst, "%016" PRIx64, k->dst.dpid);
        px_table_row(&lt);
        px_table_set(&lt, 0, src);
        px_table_setf(&lt, 1, "%" PRIu32, k->src.port_no);
        px_table_set(&lt, 2, dst);
        px_table_setf(&lt, 3, "%" PRIu32, k->dst.port_no);
        px_table_set(&lt, 4, px_table_age(now - k->since, age, sizeof age));
        px_table_set(&lt, 5, by);
        json_array_append_new(
            j_l, json_pack("{s:s,s:I,s:s,s:I,s:f,s:s}", "src_dpid", src,
                           "src_port", (json_int_t)k->src.port_no, "dst_dpid",
                           dst, "dst_port", (json_int_t)k->dst.port_no, "age",
                           now - k->since, "found_by", by));
    }
    px_table_init(&ht);
    px_table_column(&ht, "HOST", PX_TABLE_LEFT);
    px_table_column(&ht, "ADDRESSES", PX_TABLE_LEFT);
    px_table_column(&ht, "SWITCH", PX_TABLE_LEFT);
    px_table_column(&ht, "PORT", PX_TABLE_RIGHT);
    px_table_column(&ht, "IDLE", PX_TABLE_RIGHT);
    px_table_column(&ht, "FOUND BY", PX_TABLE_LEFT);
    for (i = 0; i < view.n_hosts; i++) {
        const struct px_topo_host *x = &view.hosts[i].host;
        const char *by =
            view.hosts[i].found_by ? view.hosts[i].found_by : "here";
        char mac[PX_PKT_MAC_STRLEN], dpid[17], idle[32], ips_text[256];
        json_t *ips = json_array();

        px_pkt_format_mac(x->mac, mac, sizeof mac);
        snprintf(dpid, sizeof dpid, "%016" PRIx64, x->at.dpid);
        host_ips(x, ips, ips_text, sizeof ips_text);
        px_table_row(&ht);
        px_table_set(&ht, 0, mac);
        px_table_set(&ht, 1, ips_text);
        px_table_set(&ht, 2, dpid);
        px_table_setf(&ht, 3, "%" PRIu32, x->at.port_no);
        px_table_set(&ht, 4,
                     px_table_age(now - x->last_seen, idle, sizeof idle));
        px_table_set(&ht, 5, by);
        json_array_append_new(
            j_h, json_pack("{s:s,s:o,s:s,s:I,s:f,s:s}", "mac", mac, "ips", ips,
                           "dpid", dpid, "port", (json_int_t)x->at.port_no,
                           "idle", now - x->last_seen, "found_by", by));
    }
    px_reply_table(r, &lt, "links: none");
    px_reply_printf(r, "\n");
    px_reply_table(r, &ht, "hosts: none");
    px_reply_printf(r,
                    "\ntopology: %zu switches, %zu links (one way each), "
                    "%zu hosts\n",
                    n_sw, view.n_links, view.n_hosts);
    if (t->remote.n_origins) {
        px_reply_printf(r,
                        "cluster: %zu other instances share %zu links and "
                        "%zu hosts\n",
                        t->remote.n_origins, t->remote.n_links,
                        t->remote.n_hosts);
    }
    px_table_clear(&lt);
    px_table_clear(&ht);
    doc = json_pack("{s:o,s:o,s:o}", "switches", j_sw, "links", j_l, "hosts",
                    j_h);
    s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (s) {
        px_reply_json(r, s);
    }
    free(s);
    json_decref(doc);
    topo_view_destroy(&view);
    free(sws);
    return 0;
}

int
topology_commands_register(struct topology *t)
{
    return px_command_register(t->p, "topology", "",
                               "links between switches and hosts at their "
                               "edges",
                               0, 0, cmd_topology, t, NULL);
}
