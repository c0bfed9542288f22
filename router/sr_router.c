/*
 * The software router's frame handler (see sr_router.h).
 *
 * Received frames are never modified: a forwarded datagram is copied
 * before its TTL and addresses change, and ICMP messages are built into
 * fresh buffers.  Frames are trimmed to the IP total length, so Ethernet
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
    uint8_t mac[SR_ETH_ALEN];
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

static const uint8_t bcast_mac[SR_ETH_ALEN] = {0xff, 0xff, 0xff,
                                               0xff, 0xff, 0xff};

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
                    const uint8_t mac[SR_ETH_ALEN], uint32_t ip, uint32_t mask)
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
    memcpy(iface->mac, mac, SR_ETH_ALEN);
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
 * Sends IP datagram 'ip' ('len' bytes, checksummed, TTL already set) to its
 * destination: route lookup, then ARP.  'in_iface' is where it arrived
 * ("" if the router built it), for host unreachable should ARP fail.
 * Returns false when there is no usable route; the caller counts that.
 */
static bool
route_out(struct sr_router *r, const char *in_iface, const uint8_t *ip,
          size_t len, uint64_t now)
{
    struct sr_rt_entry route;
    struct sr_iface *out;
    uint32_t dst = sr_get32(ip + SR_IP_DST);
    uint32_t next_hop;
    uint8_t mac[SR_ETH_ALEN];
    uint8_t *frame;

    if (sr_rt_lookup(r->rt, dst, &route)) {
        return false;
    }
    out = find_iface(r, route.iface);
    if (!out) {
        r->stats.drop_bad_route++;
        return true;
    }
    next_hop = route.gw ? route.gw : dst;

    frame = malloc(SR_ETH_HDR_LEN + len);
    if (!frame) {
        r->stats.drop_nomem++;
        return true;
    }
    memset(frame + SR_ETH_DST, 0, SR_ETH_ALEN);
    memcpy(frame + SR_ETH_SRC, out->mac, SR_ETH_ALEN);
    sr_put16(frame + SR_ETH_TYPE, SR_ETHERTYPE_IP);
    memcpy(frame + SR_ETH_HDR_LEN, ip, len);
    if (!sr_arp_lookup(r->arp, next_hop, now, mac)) {
        memcpy(frame + SR_ETH_DST, mac, SR_ETH_ALEN);
        output(r, out->name, frame, SR_ETH_HDR_LEN + len);
    } else if (sr_arp_queue(r->arp, next_hop, out->name, out->mac, out->ip,
                            in_iface, frame, SR_ETH_HDR_LEN + len, now)) {
        r->stats.drop_arp_queue++;
    }
    free(frame);
    return true;
}

/* Sends ICMP error 'type'/'code' about valid datagram 'orig' ('len' bytes,
 * its total length) that arrived on 'in'. */
static void
send_icmp_error(struct sr_router *r, const struct sr_iface *in, uint8_t type,
                uint8_t code, const uint8_t *orig, size_t len, uint64_t now)
{
    uint8_t buf[SR_ICMP_ERROR_MAX];
    size_t n;

    if (!sr_icmp_error_allowed(orig, len)) {
        r->stats.icmp_suppressed++;
        return;
    }
    n = sr_icmp_error(type, code, in->ip, orig, len, buf, sizeof buf);
    /* Errors about our own errors are impossible (suppressed above), and
     * one that fails ARP must not produce another: hence "" for in. */
    if (n && route_out(r, "", buf, n, now)) {
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

    r->stats.drop_unanswered++;
    /* Packets the router built itself have no sender to tell. */
    if (in && len > SR_ETH_HDR_LEN) {
        send_icmp_error(r, in, SR_ICMP_UNREACH, SR_ICMP_UNREACH_HOST,
                        frame + SR_ETH_HDR_LEN, len - SR_ETH_HDR_LEN, now);
    }
}

static void
handle_arp(struct sr_router *r, const struct sr_iface *in,
           const uint8_t *frame, size_t len, uint64_t now)
{
    const uint8_t *arp = frame + SR_ETH_HDR_LEN;
    uint8_t reply[SR_ETH_HDR_LEN + SR_ARP_LEN];
    uint8_t sha[SR_ETH_ALEN];
    uint32_t spa, tpa;

    if (len < SR_ETH_HDR_LEN + SR_ARP_LEN ||
        sr_get16(arp + SR_ARP_HTYPE) != SR_ARP_HTYPE_ETHER ||
        sr_get16(arp + SR_ARP_PTYPE) != SR_ETHERTYPE_IP ||
        arp[SR_ARP_HLEN] != SR_ETH_ALEN || arp[SR_ARP_PLEN] != 4) {
        r->stats.drop_arp_malformed++;
        return;
    }
    memcpy(sha, arp + SR_ARP_SHA, SR_ETH_ALEN);
    spa = sr_get32(arp + SR_ARP_SPA);
    tpa = sr_get32(arp + SR_ARP_TPA);
    if (tpa != in->ip) {
        r->stats.drop_arp_not_for_us++;
        return;
    }
    switch (sr_get16(arp + SR_ARP_OP)) {
    case SR_ARP_OP_REQUEST:
        sr_arp_build(reply, SR_ARP_OP_REPLY, in->mac, in->ip, sha, spa);
        r->stats.arp_replies_sent++;
        output(r, in->name, reply, sizeof reply);
        break;
    case SR_ARP_OP_REPLY:
        r->stats.arp_replies_received++;
        if (sr_arp_insert(r->arp, spa, sha, now)) {
            r->stats.drop_nomem++;
        }
        break;
    default:
        r->stats.drop_arp_op++;
        break;
    }
}

/* Datagram 'ip' of 'len' bytes (its total length) is for one of our
 * addresses. */
static void
handle_local(struct sr_router *r, const struct sr_iface *in, const uint8_t *ip,
             size_t len, uint64_t now)
{
    size_t hlen = sr_ip_hlen(ip);
    uint8_t *buf;
    size_t n;

    switch (ip[SR_IP_PROTO]) {
    case SR_IPPROTO_ICMP:
        if (len < hlen + SR_ICMP_HDR_LEN ||
            sr_cksum(ip + hlen, len - hlen) != 0) {
            r->stats.drop_icmp_malformed++;
            return;
        }
        if (ip[hlen + SR_ICMP_TYPE] != SR_ICMP_ECHO_REQUEST) {
            r->stats.drop_icmp_type++;
            return;
        }
        /* A reply to a broadcast or bogus source would go nowhere. */
        if (!sr_icmp_error_allowed(ip, len)) {
            r->stats.icmp_suppressed++;
            return;
        }
        buf = malloc(len);
        if (!buf) {
            r->stats.drop_nomem++;
            return;
        }
        n = sr_icmp_echo_reply(ip, len, buf, len);
        if (n && route_out(r, "", buf, n, now)) {
            r->stats.echo_replies_sent++;
        } else {
            r->stats.icmp_no_route_back++;
        }
        free(buf);
        break;
    case SR_IPPROTO_TCP:
    case SR_IPPROTO_UDP:
        send_icmp_error(r, in, SR_ICMP_UNREACH, SR_ICMP_UNREACH_PORT, ip, len,
                        now);
        break;
    default:
        r->stats.drop_proto++;
        break;
    }
}

static void
forward(struct sr_router *r, const struct sr_iface *in, const uint8_t *ip,
        size_t len, uint64_t now)
{
    size_t hlen = sr_ip_hlen(ip);
    uint8_t *copy;

    if (ip[SR_IP_TTL] <= 1) {
        r->stats.drop_ttl++;
        send_icmp_error(r, in, SR_ICMP_TIME_EXCEEDED, 0, ip, len, now);
        return;
    }
    copy = malloc(len);
    if (!copy) {
        r->stats.drop_nomem++;
        return;
    }
    memcpy(copy, ip, len);
    copy[SR_IP_TTL]--;
    sr_put16(copy + SR_IP_SUM, 0);
    sr_put16(copy + SR_IP_SUM, sr_cksum(copy, hlen));
    if (route_out(r, in->name, copy, len, now)) {
        r->stats.forwarded++;
    } else {
        r->stats.drop_no_route++;
        send_icmp_error(r, in, SR_ICMP_UNREACH, SR_ICMP_UNREACH_NET, ip, len,
                        now);
    }
    free(copy);
}

static void
handle_ip(struct sr_router *r, const struct sr_iface *in, const uint8_t *frame,
          size_t len, uint64_t now)
{
    const uint8_t *ip = frame + SR_ETH_HDR_LEN;
    size_t ip_len = len - SR_ETH_HDR_LEN;
    size_t hlen, tot;

    if (ip_len < SR_IP_HDR_LEN || ip[SR_IP_VHL] >> 4 != 4) {
        r->stats.drop_ip_malformed++;
        return;
    }
    hlen = sr_ip_hlen(ip);
    tot = sr_get16(ip + SR_IP_LEN);
    if (hlen < SR_IP_HDR_LEN || tot < hlen || tot > ip_len) {
        r->stats.drop_ip_malformed++;
        return;
    }
    if (sr_cksum(ip, hlen) != 0) {
        r->stats.drop_ip_cksum++;
        return;
    }
    if (find_iface_by_ip(r, sr_get32(ip + SR_IP_DST))) {
        handle_local(r, in, ip, tot, now);
    } else {
        forward(r, in, ip, tot, now);
    }
}

void
sr_router_handle(struct sr_router *r, const char *iface, const uint8_t *frame,
                 size_t len, uint64_t now)
{
    const struct sr_iface *in = find_iface(r, iface);

    r->stats.rx++;
    if (!in) {
        r->stats.drop_unknown_iface++;
        return;
    }
    if (len < SR_ETH_HDR_LEN) {
        r->stats.drop_runt++;
        return;
    }
    if (memcmp(frame + SR_ETH_DST, in->mac, SR_ETH_ALEN) &&
        memcmp(frame + SR_ETH_DST, bcast_mac, SR_ETH_ALEN)) {
        r->stats.drop_not_for_us++;
        return;
    }
    switch (sr_get16(frame + SR_ETH_TYPE)) {
    case SR_ETHERTYPE_ARP:
        handle_arp(r, in, frame, len, now);
        break;
    case SR_ETHERTYPE_IP:
        handle_ip(r, in, frame, len, now);
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
