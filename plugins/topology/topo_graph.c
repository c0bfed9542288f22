/*
 * The topology plugin's graph (see topo_graph.h).
 *
 * Links are keyed by both ends, so that a port on a shared segment (a hub,
 * or a switch this controller does not manage between two that it does)
 * can have a link to each port its probes reach.  Each port counts the
 * links that start or end at it ('ends'), which is how host learning
 * tells an edge port from one between switches in constant time.
 */
#include "topo_graph.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/hash.h"

static uint64_t
hash_port(struct px_topo_port p)
{
    return px_hash_u64(p.dpid * 0x9e3779b97f4a7c15ull ^ p.port_no);
}

static uint64_t
hash_link(struct px_topo_port src, struct px_topo_port dst)
{
    return hash_port(src) * 31 + hash_port(dst);
}

static bool
same_port(struct px_topo_port a, struct px_topo_port b)
{
    return a.dpid == b.dpid && a.port_no == b.port_no;
}

void
topo_graph_init(struct topo_graph *g, size_t max_links, size_t max_hosts,
                const struct topo_graph_cb *cb)
{
    memset(g, 0, sizeof *g);
    px_hmap_init(&g->switches);
    px_hmap_init(&g->links);
    px_hmap_init(&g->hosts);
    g->max_links = max_links;
    g->max_hosts = max_hosts;
    g->cb = *cb;
}

void
topo_graph_destroy(struct topo_graph *g)
{
    struct topo_switch *sw;
    struct topo_link *l;
    struct topo_host *h;

    if (!g) {
        return;
    }
    PX_HMAP_FOR_EACH_SAFE (sw, node, &g->switches) {
        free(sw->ports);
        free(sw);
    }
    PX_HMAP_FOR_EACH_SAFE (l, node, &g->links) {
        free(l);
    }
    PX_HMAP_FOR_EACH_SAFE (h, node, &g->hosts) {
        free(h);
    }
    px_hmap_destroy(&g->switches);
    px_hmap_destroy(&g->links);
    px_hmap_destroy(&g->hosts);
}

struct topo_switch *
topo_switch_find(const struct topo_graph *g, uint64_t dpid)
{
    struct topo_switch *sw;

    PX_HMAP_FOR_EACH_WITH_HASH (sw, node, px_hash_u64(dpid), &g->switches) {
        if (sw->dpid == dpid) {
            return sw;
        }
    }
    return NULL;
}

struct topo_port *
topo_port_find(const struct topo_switch *sw, uint32_t port_no)
{
    size_t lo = 0, hi = sw ? sw->n_ports : 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (sw->ports[mid].port_no == port_no) {
            return &sw->ports[mid];
        } else if (sw->ports[mid].port_no < port_no) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

static struct topo_port *
port_of(const struct topo_graph *g, struct px_topo_port p)
{
    return topo_port_find(topo_switch_find(g, p.dpid), p.port_no);
}

static void
remove_link(struct topo_graph *g, struct topo_link *l, const char *reason)
{
    struct topo_port *a = port_of(g, l->link.src);
    struct topo_port *b = port_of(g, l->link.dst);

    l->link.reason = reason;
    if (g->cb.link) {
        g->cb.link(g->cb.arg, TOPO_LINK_DOWN, &l->link);
    }
    if (a && a->ends) {
        a->ends--;
    }
    if (b && b->ends) {
        b->ends--;
    }
    px_hmap_remove(&g->links, &l->node);
    free(l);
}

static void
remove_host(struct topo_graph *g, struct topo_host *h, const char *reason)
{
    h->host.reason = reason;
    if (g->cb.host) {
        g->cb.host(g->cb.arg, TOPO_HOST_DELETE, &h->host);
    }
    px_hmap_remove(&g->hosts, &h->node);
    free(h);
}

/* Removes every link with an end at 'dpid' (and at 'port_no', unless it
 * is PX_OF_PORT_ANY), and every host attached there. */
static void
remove_at(struct topo_graph *g, uint64_t dpid, uint32_t port_no,
          const char *reason)
{
    struct topo_link *l;
    struct topo_host *h;

    PX_HMAP_FOR_EACH_SAFE (l, node, &g->links) {
        const struct px_topo_link *k = &l->link;

        if ((k->src.dpid == dpid &&
             (port_no == PX_OF_PORT_ANY || k->src.port_no == port_no)) ||
            (k->dst.dpid == dpid &&
             (port_no == PX_OF_PORT_ANY || k->dst.port_no == port_no))) {
            remove_link(g, l, reason);
        }
    }
    PX_HMAP_FOR_EACH_SAFE (h, node, &g->hosts) {
        if (h->host.at.dpid == dpid &&
            (port_no == PX_OF_PORT_ANY || h->host.at.port_no == port_no)) {
            remove_host(g, h, reason);
        }
    }
}

static bool
port_up(const struct px_of_port *p)
{
    return !(p->config & PX_OF_PORT_CONFIG_DOWN) &&
           !(p->state & PX_OF_PORT_STATE_LINK_DOWN);
}

static int
cmp_port(const void *a, const void *b)
{
    const struct topo_port *x = a, *y = b;

    return x->port_no < y->port_no ? -1 : x->port_no > y->port_no;
}

int
topo_switch_up(struct topo_graph *g, uint64_t dpid, uint8_t version,
               const struct px_of_port *ports, size_t n_ports)
{
    struct topo_switch *sw = topo_switch_find(g, dpid);
    struct topo_port *np = calloc(n_ports ? n_ports : 1, sizeof *np);
    size_t i, n = 0;

    if (!np) {
        return ENOMEM;
    }
    for (i = 0; i < n_ports; i++) {
        if (ports[i].port_no == 0 || ports[i].port_no > PX_OF_PORT_MAX) {
            continue; /* LOCAL and the other special ports. */
        }
        np[n].port_no = ports[i].port_no;
        memcpy(np[n].hw_addr, ports[i].hw_addr, 6);
        np[n].up = port_up(&ports[i]);
        n++;
    }
    qsort(np, n, sizeof *np, cmp_port);
    if (!sw) {
        sw = calloc(1, sizeof *sw);
        if (!sw) {
            free(np);
            return ENOMEM;
        }
        sw->dpid = dpid;
        px_hmap_insert(&g->switches, &sw->node, px_hash_u64(dpid));
    } else {
        struct topo_switch fresh = {.ports = np, .n_ports = n};

        /* Links and hosts at ports it no longer has, or has down, go;
         * then the others keep their counts in the new port array (after
         * every removal, which may count down a port of this switch). */
        for (i = 0; i < sw->n_ports; i++) {
            struct topo_port *now =
                topo_port_find(&fresh, sw->ports[i].port_no);

            if (!now || !now->up) {
                remove_at(g, dpid, sw->ports[i].port_no,
                          now ? "port down" : "port deleted");
            }
        }
        for (i = 0; i < sw->n_ports; i++) {
            struct topo_port *now =
                topo_port_find(&fresh, sw->ports[i].port_no);

            if (now && now->up) {
                now->ends = sw->ports[i].ends;
                now->next_probe = sw->ports[i].next_probe;
            }
        }
        free(sw->ports);
    }
    sw->version = version;
    sw->ports = np;
    sw->n_ports = n;
    return 0;
}

void
topo_switch_down(struct topo_graph *g, uint64_t dpid)
{
    struct topo_switch *sw = topo_switch_find(g, dpid);

    remove_at(g, dpid, PX_OF_PORT_ANY, "switch down");
    if (sw) {
        px_hmap_remove(&g->switches, &sw->node);
        free(sw->ports);
        free(sw);
    }
}

int
topo_port_status(struct topo_graph *g, uint64_t dpid, uint8_t reason,
                 const struct px_of_port *port)
{
    struct topo_switch *sw = topo_switch_find(g, dpid);
    struct topo_port *tp = topo_port_find(sw, port->port_no);

    if (!sw || port->port_no == 0 || port->port_no > PX_OF_PORT_MAX) {
        return 0;
    }
    if (reason == PX_OF_PORT_DELETE) {
        if (tp) {
            remove_at(g, dpid, port->port_no, "port deleted");
            /* Ports stay sorted: close the gap. */
            memmove(tp, tp + 1,
                    (size_t)(sw->ports + sw->n_ports - (tp + 1)) * sizeof *tp);
            sw->n_ports--;
        }
        return 0;
    }
    if (!tp) {
        struct topo_port *np =
            realloc(sw->ports, (sw->n_ports + 1) * sizeof *np);

        if (!np) {
            return ENOMEM;
        }
        sw->ports = np;
        tp = &sw->ports[sw->n_ports++];
        memset(tp, 0, sizeof *tp);
        tp->port_no = port->port_no;
        qsort(sw->ports, sw->n_ports, sizeof *sw->ports, cmp_port);
        tp = topo_port_find(sw, port->port_no);
    }
    memcpy(tp->hw_addr, port->hw_addr, 6);
    tp->up = port_up(port);
    if (!tp->up) {
        remove_at(g, dpid, port->port_no, "port down");
    }
    return 0;
}

int
topo_link_seen(struct topo_graph *g, struct px_topo_port src,
               struct px_topo_port dst, double now)
{
    uint64_t hash = hash_link(src, dst);
    struct topo_port *a = port_of(g, src), *b = port_of(g, dst);
    struct topo_link *l;
    struct topo_host *h;

    if (!a || !b) {
        return ENOENT;
    }
    if (same_port(src, dst)) {
        return EINVAL;
    }
    PX_HMAP_FOR_EACH_WITH_HASH (l, node, hash, &g->links) {
        if (same_port(l->link.src, src) && same_port(l->link.dst, dst)) {
            l->link.last_seen = now;
            return 0;
        }
    }
    if (px_hmap_count(&g->links) >= g->max_links) {
        g->links_dropped++;
        return ENOSPC;
    }
    l = calloc(1, sizeof *l);
    if (!l) {
        g->links_dropped++;
        return ENOSPC;
    }
    l->link.src = src;
    l->link.dst = dst;
    l->link.since = l->link.last_seen = now;
    px_hmap_insert(&g->links, &l->node, hash);
    a->ends++;
    b->ends++;
    /* A port between switches has no hosts: what was learned there came
     * through another switch before the link was known. */
    PX_HMAP_FOR_EACH_SAFE (h, node, &g->hosts) {
        if (same_port(h->host.at, src) || same_port(h->host.at, dst)) {
            remove_host(g, h, "link port");
        }
    }
    if (g->cb.link) {
        g->cb.link(g->cb.arg, TOPO_LINK_UP, &l->link);
    }
    return 0;
}

static struct topo_host *
host_find(const struct topo_graph *g, const uint8_t mac[6])
{
    struct topo_host *h;

    PX_HMAP_FOR_EACH_WITH_HASH (h, node, px_hash_mac(mac), &g->hosts) {
        if (!memcmp(h->host.mac, mac, 6)) {
            return h;
        }
    }
    return NULL;
}

/* Adds 'ipv4' (not 0) to the host's addresses unless it has it, the
 * oldest making room; returns whether it was new. */
static bool
add_ipv4(struct px_topo_host *h, uint32_t ipv4)
{
    size_t i;

    for (i = 0; i < h->n_ipv4; i++) {
        if (h->ipv4[i] == ipv4) {
            return false;
        }
    }
    if (h->n_ipv4 == PX_TOPO_HOST_MAX_IPS) {
        memmove(h->ipv4, h->ipv4 + 1, (PX_TOPO_HOST_MAX_IPS - 1) * 4);
        h->n_ipv4--;
    }
    h->ipv4[h->n_ipv4++] = ipv4;
    return true;
}

static bool
add_ipv6(struct px_topo_host *h, const uint8_t *ipv6)
{
    size_t i;

    for (i = 0; i < h->n_ipv6; i++) {
        if (!memcmp(h->ipv6[i], ipv6, 16)) {
            return false;
        }
    }
    if (h->n_ipv6 == PX_TOPO_HOST_MAX_IPS) {
        memmove(h->ipv6, h->ipv6 + 1, (PX_TOPO_HOST_MAX_IPS - 1) * 16);
        h->n_ipv6--;
    }
    memcpy(h->ipv6[h->n_ipv6++], ipv6, 16);
    return true;
}

static bool
is_zero(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

int
topo_host_seen(struct topo_graph *g, const uint8_t mac[6],
               struct px_topo_port at, uint32_t ipv4, const uint8_t *ipv6,
               double now)
{
    struct topo_port *tp = port_of(g, at);
    struct topo_host *h;
    bool new_ip = false;

    /* Multicast and broadcast sources are not hosts; neither is the all
     * zeros address, nor whatever comes in between switches. */
    if (!tp || tp->ends || (mac[0] & 1) || is_zero(mac, 6)) {
        return EINVAL;
    }
    if (ipv6 && is_zero(ipv6, 16)) {
        ipv6 = NULL; /* The unspecified address of DAD. */
    }
    h = host_find(g, mac);
    if (!h) {
        if (px_hmap_count(&g->hosts) >= g->max_hosts ||
            !(h = calloc(1, sizeof *h))) {
            g->hosts_dropped++;
            return ENOSPC;
        }
        memcpy(h->host.mac, mac, 6);
        h->host.at = at;
        h->host.first_seen = h->host.last_seen = now;
        if (ipv4) {
            add_ipv4(&h->host, ipv4);
        }
        if (ipv6) {
            add_ipv6(&h->host, ipv6);
        }
        px_hmap_insert(&g->hosts, &h->node, px_hash_mac(mac));
        if (g->cb.host) {
            g->cb.host(g->cb.arg, TOPO_HOST_ADD, &h->host);
        }
        return 0;
    }
    h->host.last_seen = now;
    if (!same_port(h->host.at, at)) {
        h->host.from = h->host.at;
        h->host.at = at;
        if (g->cb.host) {
            g->cb.host(g->cb.arg, TOPO_HOST_MOVE, &h->host);
        }
        memset(&h->host.from, 0, sizeof h->host.from);
    }
    new_ip |= ipv4 && add_ipv4(&h->host, ipv4);
    new_ip |= ipv6 && add_ipv6(&h->host, ipv6);
    if (new_ip && g->cb.host) {
        g->cb.host(g->cb.arg, TOPO_HOST_IP, &h->host);
    }
    return 0;
}

void
topo_expire(struct topo_graph *g, double now, double link_timeout,
            double host_timeout)
{
    struct topo_link *l;
    struct topo_host *h;

    PX_HMAP_FOR_EACH_SAFE (l, node, &g->links) {
        if (now - l->link.last_seen > link_timeout) {
            remove_link(g, l, "timeout");
        }
    }
    if (host_timeout > 0) {
        PX_HMAP_FOR_EACH_SAFE (h, node, &g->hosts) {
            if (now - h->host.last_seen > host_timeout) {
                remove_host(g, h, "timeout");
            }
        }
    }
}

void
topo_graph_save(const struct topo_graph *g, struct px_buf *b)
{
    const struct topo_link *l;
    const struct topo_host *h;

    px_buf_put_be32(b, (uint32_t)px_hmap_count(&g->links));
    PX_HMAP_FOR_EACH (l, node, &g->links) {
        px_buf_put_be64(b, l->link.src.dpid);
        px_buf_put_be32(b, l->link.src.port_no);
        px_buf_put_be64(b, l->link.dst.dpid);
        px_buf_put_be32(b, l->link.dst.port_no);
        px_buf_put_double(b, l->link.since);
        px_buf_put_double(b, l->link.last_seen);
    }
    px_buf_put_be32(b, (uint32_t)px_hmap_count(&g->hosts));
    PX_HMAP_FOR_EACH (h, node, &g->hosts) {
        size_t i;

        px_buf_put(b, h->host.mac, 6);
        px_buf_put_be64(b, h->host.at.dpid);
        px_buf_put_be32(b, h->host.at.port_no);
        px_buf_put_double(b, h->host.first_seen);
        px_buf_put_double(b, h->host.last_seen);
        px_buf_put_u8(b, (uint8_t)h->host.n_ipv4);
        for (i = 0; i < h->host.n_ipv4; i++) {
            px_buf_put_be32(b, h->host.ipv4[i]);
        }
        px_buf_put_u8(b, (uint8_t)h->host.n_ipv6);
        for (i = 0; i < h->host.n_ipv6; i++) {
            px_buf_put(b, h->host.ipv6[i], 16);
        }
    }
}

/* One pass over a blob: 'apply' false only reads it (to see it whole),
 * true also restores.  Returns the cursor's verdict. */
static int
restore_pass(struct topo_graph *g, const void *data, size_t len, bool apply)
{
    struct px_cursor c;
    uint32_t n, i;

    px_cursor_init(&c, data, len);
    n = px_cursor_be32(&c);
    for (i = 0; i < n && !c.error; i++) {
        struct px_topo_port src, dst;
        double since, seen;

        src.dpid = px_cursor_be64(&c);
        src.port_no = px_cursor_be32(&c);
        dst.dpid = px_cursor_be64(&c);
        dst.port_no = px_cursor_be32(&c);
        since = px_cursor_double(&c);
        seen = px_cursor_double(&c);
        if (apply && !c.error && !topo_link_seen(g, src, dst, seen)) {
            struct topo_link *l;

            PX_HMAP_FOR_EACH_WITH_HASH (l, node, hash_link(src, dst),
                                        &g->links) {
                if (same_port(l->link.src, src) &&
                    same_port(l->link.dst, dst)) {
                    l->link.since = since;
                }
            }
        }
    }
    n = c.error ? 0 : px_cursor_be32(&c);
    for (i = 0; i < n && !c.error; i++) {
        const uint8_t *mac = px_cursor_bytes(&c, 6);
        const uint8_t *v6[PX_TOPO_HOST_MAX_IPS];
        uint32_t v4[PX_TOPO_HOST_MAX_IPS];
        struct px_topo_port at;
        double first, last;
        unsigned int n4, n6 = 0, k;
        struct topo_host *h;

        at.dpid = px_cursor_be64(&c);
        at.port_no = px_cursor_be32(&c);
        first = px_cursor_double(&c);
        last = px_cursor_double(&c);
        n4 = px_cursor_u8(&c);
        for (k = 0; k < n4 && k < PX_TOPO_HOST_MAX_IPS; k++) {
            v4[k] = px_cursor_be32(&c);
        }
        if (n4 <= PX_TOPO_HOST_MAX_IPS) {
            n6 = px_cursor_u8(&c);
        }
        for (k = 0; k < n6 && k < PX_TOPO_HOST_MAX_IPS; k++) {
            v6[k] = px_cursor_bytes(&c, 16);
        }
        if (n4 > PX_TOPO_HOST_MAX_IPS || n6 > PX_TOPO_HOST_MAX_IPS) {
            return EPROTO;
        }
        if (!apply || c.error || topo_host_seen(g, mac, at, 0, NULL, last)) {
            continue;
        }
        /* Learned again as last seen, then dated as it was. */
        for (k = 0; k < n4; k++) {
            topo_host_seen(g, mac, at, v4[k], NULL, last);
        }
        for (k = 0; k < n6; k++) {
            topo_host_seen(g, mac, at, 0, v6[k], last);
        }
        h = host_find(g, mac);
        if (h) {
            h->host.first_seen = first;
        }
    }
    return px_cursor_finish(&c);
}

int
topo_graph_restore(struct topo_graph *g, const void *data, size_t len)
{
    struct topo_graph_cb cb = g->cb;
    int error = restore_pass(g, data, len, false);

    if (!error) {
        g->cb = (struct topo_graph_cb){NULL, NULL, NULL};
        restore_pass(g, data, len, true);
        g->cb = cb;
    }
    return error;
}
