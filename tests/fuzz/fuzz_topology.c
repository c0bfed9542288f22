/*
 * libFuzzer target for what the topology plugin reads from the other
 * instances of a cluster: a snapshot on topology.shared
 * (plugins/topology/topo_share.c), which any NATS client of the cluster
 * can publish.
 *
 * The input is the snapshot.  The parser refuses it (EPROTO with a
 * reason, nothing kept) or takes it; one taken encodes within the size of
 * a shared event, parses back to the same links and hosts, and encodes
 * again to the same bytes.  Then it goes into a small remote store under
 * two origins (the second cut to the room the first leaves) and into a
 * view beside a graph with a link and a host of its own: the store's
 * counts add up within its bounds, the view is sorted with each link and
 * host once, no host at a link's end.
 *
 * Build: see the Makefile (fuzz_topology); run:
 *   build/fuzz/fuzz_topology -max_total_time=60 build/fuzz/work-fuzz_topology
 *       tests/fuzz/corpus/topology
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzcheck.h"
#include "plexus/topics/cluster.h"
#include "topo_graph.h"
#include "topo_share.h"

#define MAX_LINKS 64
#define MAX_HOSTS 64

static bool
same_snap(const struct topo_share_snap *a, const struct topo_share_snap *b)
{
    size_t i;

    if (a->ask != b->ask || a->n_links != b->n_links ||
        a->n_hosts != b->n_hosts) {
        return false;
    }
    for (i = 0; i < a->n_links; i++) {
        const struct px_topo_link *x = &a->links[i], *y = &b->links[i];

        if (x->src.dpid != y->src.dpid || x->src.port_no != y->src.port_no ||
            x->dst.dpid != y->dst.dpid || x->dst.port_no != y->dst.port_no ||
            x->since != y->since || x->last_seen != y->last_seen) {
            return false;
        }
    }
    for (i = 0; i < a->n_hosts; i++) {
        const struct px_topo_host *x = &a->hosts[i], *y = &b->hosts[i];

        if (memcmp(x->mac, y->mac, 6) || x->at.dpid != y->at.dpid ||
            x->at.port_no != y->at.port_no || x->last_seen != y->last_seen ||
            x->n_ipv4 != y->n_ipv4 || x->n_ipv6 != y->n_ipv6 ||
            memcmp(x->ipv4, y->ipv4, x->n_ipv4 * sizeof x->ipv4[0]) ||
            memcmp(x->ipv6, y->ipv6, x->n_ipv6 * sizeof x->ipv6[0])) {
            return false;
        }
    }
    return true;
}

/* A copy of 'snap''s arrays, for the store to take. */
static void
copy_snap(const struct topo_share_snap *snap, struct topo_share_snap *out)
{
    *out = *snap;
    out->links = malloc((snap->n_links + 1) * sizeof *out->links);
    out->hosts = malloc((snap->n_hosts + 1) * sizeof *out->hosts);
    check(out->links && out->hosts);
    memcpy(out->links, snap->links, snap->n_links * sizeof *out->links);
    memcpy(out->hosts, snap->hosts, snap->n_hosts * sizeof *out->hosts);
}

static int
cmp_port(struct px_topo_port a, struct px_topo_port b)
{
    if (a.dpid != b.dpid) {
        return a.dpid < b.dpid ? -1 : 1;
    }
    return a.port_no < b.port_no ? -1 : a.port_no > b.port_no;
}

static void
check_view(const struct topo_view *v)
{
    size_t i, j;

    for (i = 1; i < v->n_links; i++) {
        const struct px_topo_link *a = &v->links[i - 1].link,
                                  *b = &v->links[i].link;
        int c = cmp_port(a->src, b->src);

        check(c < 0 || (c == 0 && cmp_port(a->dst, b->dst) < 0));
    }
    for (i = 0; i < v->n_hosts; i++) {
        check(i == 0 ||
              memcmp(v->hosts[i - 1].host.mac, v->hosts[i].host.mac, 6) < 0);
        for (j = 0; j < v->n_links; j++) {
            check(cmp_port(v->hosts[i].host.at, v->links[j].link.src) &&
                  cmp_port(v->hosts[i].host.at, v->links[j].link.dst));
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    struct topo_graph_cb cb = {NULL, NULL, NULL};
    struct topo_share_snap snap, back, copy;
    struct topo_remote r;
    struct topo_graph g;
    struct topo_view v;
    struct px_of_port ports[2];
    char *copy_in = copy_input(data, size);
    char *out, *again;
    size_t len, len2, left_out, i, n_links = 0, n_hosts = 0;
    const char *why = NULL;
    int error;

    error = topo_share_parse(copy_in, size, MAX_LINKS, MAX_HOSTS, &snap, &why);
    free(copy_in);
    check_result(error, why);
    if (error) {
        check(!snap.links && !snap.hosts && !snap.n_links && !snap.n_hosts);
        return 0;
    }
    check(snap.n_links <= MAX_LINKS && snap.n_hosts <= MAX_HOSTS);

    /* Encoded, parsed back, encoded again. */
    check(topo_share_encode(&snap, PX_CLUSTER_EVENT_MAX, &out, &len,
                            &left_out) == 0);
    check(left_out == 0 && len <= PX_CLUSTER_EVENT_MAX);
    check(topo_share_parse(out, len, MAX_LINKS, MAX_HOSTS, &back, &why) == 0);
    check(same_snap(&snap, &back));
    check(topo_share_encode(&back, PX_CLUSTER_EVENT_MAX, &again, &len2,
                            &left_out) == 0);
    check(len2 == len && !memcmp(out, again, len));
    free(out);
    free(again);
    topo_share_snap_clear(&back);

    /* Into a store of two origins, and a view beside a graph. */
    topo_remote_init(&r, 2, 48, 48);
    copy_snap(&snap, &copy);
    check(topo_remote_update(&r, "b", &copy, 50.0, NULL) == 0);
    check(topo_remote_update(&r, "a", &snap, 60.0, NULL) == 0);
    check(topo_remote_update(&r, "c", &copy, 60.0, NULL) == ENOSPC);
    check(r.n_links <= 48 && r.n_hosts <= 48);
    for (i = 0; i < r.n_origins; i++) {
        n_links += r.origins[i].n_links;
        n_hosts += r.origins[i].n_hosts;
    }
    check(n_links == r.n_links && n_hosts == r.n_hosts);
    memset(ports, 0, sizeof ports);
    ports[0].port_no = 1;
    ports[1].port_no = 2;
    topo_graph_init(&g, 8, 8, &cb);
    check(topo_switch_up(&g, 1, PX_OF_VERSION_13, ports, 2) == 0);
    check(topo_switch_up(&g, 2, PX_OF_VERSION_13, ports, 2) == 0);
    check(topo_link_seen(&g, (struct px_topo_port){1, 1},
                         (struct px_topo_port){2, 1}, 55.0) == 0);
    check(topo_host_seen(&g, mac, (struct px_topo_port){1, 2}, 0, NULL,
                         55.0) == 0);
    check(topo_view_build(&g, &r, &v) == 0);
    check(v.n_links >= 1 && v.n_links <= 1 + r.n_links);
    check(v.n_hosts <= 1 + r.n_hosts);
    check_view(&v);
    topo_view_destroy(&v);
    check(topo_remote_expire(&r, 1000.0, 10.0, NULL, NULL) == 2);
    check(r.n_links == 0 && r.n_hosts == 0);
    topo_remote_destroy(&r);
    topo_graph_destroy(&g);
    return 0;
}
