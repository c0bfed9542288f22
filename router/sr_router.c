/*
 * The software router's frame handler (see sr_router.h).
 *
 * Each frame is read once, by the SDK's packet library (px_pkt_parse),
 * and every check below is on the fields it parsed.  Received frames are
 * never modified: a forwarded datagram is written anew, its header with
 * the TTL one less and a new checksum and the rest copied, and ICMP
 * messages are built into fresh buffers.  Whatever the router sends is
 * built behind PX_ETH_HDR_LEN bytes left free for the Ethernet header,
 * which route_out writes once it knows the interface.  Datagrams are
 * trimmed to the IP total length (px_pkt_parse does it), so Ethernet
 * padding of short frames is not forwarded as payload.
 */
#include "sr_router.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sr_icmp.h"

struct sr_iface {
    char name[SR_IFNAME_LEN];
    uint8_t mac[PX_ETH_ADDR_LEN];
    uint32_t ip;
    uint32_t mask;
};

struct sr_router {
    sr_send_fn send;
    void *aux;
    struct sr_iface ifaces[SR_MAX_IFACES];
    size_t n_ifaces;
    struct sr_rt *rt;
    struct sr_arp *arp;
    struct sr_router_stats stats;
};

/* Every frame leaves through here, ARP's too, so 'tx' counts them all. */
static void
output(void *r_, const char *iface, const uint8_t *frame, size_t len)
{
    struct sr_router *r = r_;

    r->stats.tx++;
    r->send(r->aux, iface, frame, len);
}

static void arp_unreachable(void *r_, const char *in_iface,
                            const uint8_t *frame, size_t len, uint64_t now);

struct sr_router *
sr_router_create(sr_send_fn send, void *aux)
{
    struct sr_router *r = calloc(1, sizeof *r);

    if (!r) {
        return NULL;
    }
    r->send = send;
    r->aux = aux;
    r->arp = sr_arp_create(output, arp_unreachable, r);
    if (!r->arp) {
        free(r);
        return NULL;
    }
    return r;
}

void
sr_router_destroy(struct sr_router *r)
{
    if (r) {
        sr_arp_destroy(r->arp);
        sr_rt_destroy(r->rt);
        free(r);
    }
}

static struct sr_iface *
find_iface(struct sr_router *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->n_ifaces; i++) {
        if (!strcmp(r->ifaces[i].name, name)) {
            return &r->ifaces[i];
        }
    }
    return NULL;
}

/* The interface whose address is 'ip', or NULL. */
static struct sr_iface *
find_iface_by_ip(struct sr_router *r, uint32_t ip)
{
    size_t i;

    for (i = 0; i < r->n_ifaces; i++) {
        if (r->ifaces[i].ip == ip) {
            return &r->ifaces[i];
        }
    }
    return NULL;
}

int
sr_router_add_iface(struct sr_router *r, const char *name,
                    const uint8_t mac[PX_ETH_ADDR_LEN], uint32_t ip,
                    uint32_t mask)
{
    struct sr_iface *iface;
    size_t len = strlen(name);

    if (len == 0 || len >= SR_IFNAME_LEN || find_iface(r, name)) {
        return EINVAL;
    }
    if (r->n_ifaces >= SR_MAX_IFACES) {
        return ENOSPC;
    }
    iface = &r->ifaces[r->n_ifaces++];
    memcpy(iface->name, name, len + 1);
    memcpy(iface->mac, mac, PX_ETH_ADDR_LEN);
    iface->ip = ip;
    iface->mask = mask;
    return 0;
}

void
sr_router_set_rt(struct sr_router *r, struct sr_rt *rt)
{
    sr_rt_destroy(r->rt);
    r->rt = rt;
}

/*
 * Sends the IP datagram behind the first PX_ETH_HDR_LEN bytes of 'frame'
 * ('len' bytes in all; checksummed, TTL already set) to 'dst': route
 * lookup, then ARP, with the Ethernet header written in front.  'in_iface'
 * is where it arrived ("" if the router built it), for host unreachable
 * should ARP fail.  Returns false when there is no usable route; the
 * caller counts that.
 */
static bool
route_out(struct sr_router *r, const char *in_iface, uint32_t dst,
          uint8_t *frame, size_t len, uint64_t now)
{
    struct px_pkt_eth eth = {.type = PX_ETH_TYPE_IPV4};
    struct sr_rt_entry route;
    struct sr_iface *out;
    uint32_t next_hop;
    bool cached;
    size_t n;

    if (sr_rt_lookup(r->rt, dst, &route)) {
        return false;
    }
    out = find_iface(r, route.iface);
    if (!out) {
        r->stats.drop_bad_route++;
        return true;
    }
    next_hop = route.gw ? route.gw : dst;

    /* Without a cache entry the destination stays zero until the ARP
     * reply fills it in. */
    memcpy(eth.src, out->mac, PX_ETH_ADDR_LEN);
    cached = !sr_arp_lookup(r->arp, next_hop, now, eth.dst);
    px_pkt_put_eth(frame, PX_ETH_HDR_LEN, &eth, &n);
    if (cached) {
        output(r, out->name, frame, len);
    } else if (sr_arp_queue(r->arp, next_hop, out->name, out->mac, out->ip,
                            in_iface, frame, len, now)) {
        r->stats.drop_arp_queue++;
    }
    return true;
}

/* Sends ICMP error 'type'/'code' about 'orig', a valid datagram that
 * arrived on 'in'. */
static void
send_icmp_error(struct sr_router *r, const struct sr_iface *in, uint8_t type,
                uint8_t code, const struct px_pkt *orig, uint64_t now)
{
    uint8_t buf[PX_ETH_HDR_LEN + SR_ICMP_ERROR_MAX];
    size_t n;

    if (!sr_icmp_error_allowed(orig->l3, orig->l3_len)) {
        r->stats.icmp_suppressed++;
        return;
    }
    n = sr_icmp_error(type, code, in->ip, orig->l3, orig->l3_len,
                      buf + PX_ETH_HDR_LEN, sizeof buf - PX_ETH_HDR_LEN);
    /* Errors about our own errors are impossible (suppressed above), and
     * one that fails ARP must not produce another: hence "" for in. */
    if (n && route_out(r, "", orig->ipv4.src, buf, PX_ETH_HDR_LEN + n, now)) {
        r->stats.icmp_errors_sent++;
    } else {
        r->stats.icmp_no_route_back++;
    }
}

static void
arp_unreachable(void *r_, const char *in_iface, const uint8_t *frame,
                size_t len, uint64_t now)
{
    struct sr_router *r = r_;
    struct sr_iface *in = find_iface(r, in_iface);
    struct px_pkt pkt;

    r->stats.drop_unanswered++;
    /* Packets the router built itself have no sender to tell. */
    if (in && !px_pkt_parse(frame, len, &pkt) && pkt.layers & PX_PKT_IPV4) {
        send_icmp_error(r, in, PX_ICMP_DEST_UNREACH, SR_ICMP_UNREACH_HOST,
                        &pkt, now);
    }
}

static void
handle_arp(struct sr_router *r, const struct sr_iface *in,
           const struct px_pkt *pkt, uint64_t now)
{
    const struct px_pkt_arp *arp = &pkt->arp;
    uint8_t reply[SR_ARP_FRAME_LEN];

    if (!(pkt->layers & PX_PKT_ARP)) {
        r->stats.drop_arp_malformed++;
        return;
    }
    if (arp->tpa != in->ip) {
        r->stats.drop_arp_not_for_us++;
        return;
    }
    switch (arp->op) {
    case PX_ARP_REQUEST:
        sr_arp_build(reply, PX_ARP_REPLY, in->mac, in->ip, arp->sha, arp->spa);
        r->stats.arp_replies_sent++;
        output(r, in->name, reply, sizeof reply);
        break;
    case PX_ARP_REPLY:
        r->stats.arp_replies_received++;
        if (sr_arp_insert(r->arp, arp->spa, arp->sha, now)) {
            r->stats.drop_nomem++;
        }
        break;
    default:
        r->stats.drop_arp_op++;
        break;
    }
}

/* 'pkt' is a valid datagram for one of our addresses. */
static void
handle_local(struct sr_router *r, const struct sr_iface *in,
             const struct px_pkt *pkt, uint64_t now)
{
    uint8_t *buf;
    size_t n;

    switch (pkt->ipv4.proto) {
    case PX_IP_PROTO_ICMP:
        /* The checksum over the ICMP bytes the datagram holds, not
         * px_pkt_l4_csum_ok, which refuses any fragment: this router has
         * always answered a first fragment whose bytes sum right, and
         * keeps doing so.  A later fragment has no ICMP header at all. */
        if (!(pkt->layers & PX_PKT_ICMP) ||
            px_pkt_csum(pkt->l4, pkt->l4_len) != 0) {
            r->stats.drop_icmp_malformed++;
            return;
        }
        if (pkt->icmp.type != PX_ICMP_ECHO_REQUEST) {
            r->stats.drop_icmp_type++;
            return;
        }
        /* A reply to a broadcast or bogus source would go nowhere. */
        if (!sr_icmp_error_allowed(pkt->l3, pkt->l3_len)) {
            r->stats.icmp_suppressed++;
            return;
        }
        /* The reply is no longer than the request: its IP header has no
         * options. */
        buf = malloc(PX_ETH_HDR_LEN + pkt->l3_len);
        if (!buf) {
            r->stats.drop_nomem++;
            return;
        }
        n = sr_icmp_echo_reply(pkt->l3, pkt->l3_len, buf + PX_ETH_HDR_LEN,
                               pkt->l3_len);
        if (n &&
            route_out(r, "", pkt->ipv4.src, buf, PX_ETH_HDR_LEN + n, now)) {
            r->stats.echo_replies_sent++;
        } else {
            r->stats.icmp_no_route_back++;
        }
        free(buf);
        break;
    case PX_IP_PROTO_TCP:
    case PX_IP_PROTO_UDP:
        send_icmp_error(r, in, PX_ICMP_DEST_UNREACH, SR_ICMP_UNREACH_PORT, pkt,
                        now);
        break;
    default:
        r->stats.drop_proto++;
        break;
    }
}

/* 'pkt' is a valid datagram for someone else. */
static void
forward(struct sr_router *r, const struct sr_iface *in,
        const struct px_pkt *pkt, uint64_t now)
{
    struct px_pkt_ipv4 hdr = pkt->ipv4;
    size_t len = pkt->l3_len; /* Its total length. */
    uint8_t *frame;
    size_t n;

    if (hdr.ttl <= 1) {
        r->stats.drop_ttl++;
        send_icmp_error(r, in, PX_ICMP_TIME_EXCEEDED, 0, pkt, now);
        return;
    }
    frame = malloc(PX_ETH_HDR_LEN + len);
    if (!frame) {
        r->stats.drop_nomem++;
        return;
    }
    /* The same header, options included, but for the TTL and so the
     * checksum, which px_pkt_put_ipv4 computes; then the payload as it
     * came. */
    hdr.ttl--;
    px_pkt_put_ipv4(frame + PX_ETH_HDR_LEN, len, &hdr, len - hdr.hdr_len, &n);
    memcpy(frame + PX_ETH_HDR_LEN + n, pkt->l3 + n, len - n);
    if (route_out(r, in->name, hdr.dst, frame, PX_ETH_HDR_LEN + len, now)) {
        r->stats.forwarded++;
    } else {
        r->stats.drop_no_route++;
        send_icmp_error(r, in, PX_ICMP_DEST_UNREACH, SR_ICMP_UNREACH_NET, pkt,
                        now);
    }
    free(frame);
}

static void
handle_ip(struct sr_router *r, const struct sr_iface *in,
          const struct px_pkt *pkt, uint64_t now)
{
    /* Not marked IPv4: a bad version, header length or total length
     * below it; truncated: a total length past the frame. */
    if (!(pkt->layers & PX_PKT_IPV4) || pkt->layers & PX_PKT_TRUNCATED) {
        r->stats.drop_ip_malformed++;
        return;
    }
    if (!px_pkt_ipv4_csum_ok(pkt)) {
        r->stats.drop_ip_cksum++;
        return;
    }
    if (find_iface_by_ip(r, pkt->ipv4.dst)) {
        handle_local(r, in, pkt, now);
    } else {
        forward(r, in, pkt, now);
    }
}

void
sr_router_handle(struct sr_router *r, const char *iface, const uint8_t *frame,
                 size_t len, uint64_t now)
{
    const struct sr_iface *in = find_iface(r, iface);
    struct px_pkt pkt;

    r->stats.rx++;
    if (!in) {
        r->stats.drop_unknown_iface++;
        return;
    }
    if (px_pkt_parse(frame, len, &pkt)) {
        r->stats.drop_runt++;
        return;
    }
    if (memcmp(pkt.eth.dst, in->mac, PX_ETH_ADDR_LEN) &&
        !px_pkt_mac_is_broadcast(pkt.eth.dst)) {
        r->stats.drop_not_for_us++;
        return;
    }
    /* The lab's links carry no VLAN tags: a tagged frame is one of an
     * ethertype the router does not handle. */
    if (pkt.eth.n_vlans) {
        r->stats.drop_ethertype++;
        return;
    }
    switch (pkt.eth.type) {
    case PX_ETH_TYPE_ARP:
        handle_arp(r, in, &pkt, now);
        break;
    case PX_ETH_TYPE_IPV4:
        handle_ip(r, in, &pkt, now);
        break;
    default:
        r->stats.drop_ethertype++;
        break;
    }
}

void
sr_router_tick(struct sr_router *r, uint64_t now)
{
    sr_arp_tick(r->arp, now);
}

const struct sr_router_stats *
sr_router_stats(const struct sr_router *r)
{
    return &r->stats;
}

struct sr_arp *
sr_router_arp(struct sr_router *r)
{
    return r->arp;
}
