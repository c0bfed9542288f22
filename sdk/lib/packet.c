/*
 * The packet library (<plexus/packet.h>): parsers and builders of
 * Ethernet, ARP, IPv4, IPv6, ICMP, ICMPv6, TCP, UDP and LLDP, and their
 * checksums.
 *
 * The parser reads frames a switch sends, which anyone on its ports can
 * shape, so each step checks the bytes it needs are there before reading
 * them: every read below is preceded by a comparison with what is left
 * (l3_len, l4_len, 'left'), never with what a header claims.
 */
#include "plexus/packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plexus/byteorder.h"

/* Parsing. */

static void
parse_icmp(struct px_pkt *pkt)
{
    const uint8_t *l = pkt->l4;

    pkt->icmp.type = l[0];
    pkt->icmp.code = l[1];
    pkt->icmp.csum = px_get_be16(l + 2);
    pkt->icmp.id = px_get_be16(l + 4);
    pkt->icmp.seq = px_get_be16(l + 6);
    pkt->payload = l + PX_ICMP_HDR_LEN;
    pkt->payload_len = pkt->l4_len - PX_ICMP_HDR_LEN;
}

/* An NS or NA: its target and link-layer address options.  RFC 4861 has
 * a receiver drop ND messages with an option of length 0, so such a
 * message is not marked; an option cut by the end of a truncated frame
 * only ends the walk, since the frame, not the message, is short. */
static void
parse_nd(struct px_pkt *pkt)
{
    const uint8_t *l = pkt->l4;
    size_t n = pkt->l4_len, ofs = PX_ND_LEN;
    struct px_pkt_nd nd;

    if ((l[0] != PX_ICMPV6_ND_NS && l[0] != PX_ICMPV6_ND_NA) || l[1] != 0 ||
        n < PX_ND_LEN) {
        return;
    }
    memset(&nd, 0, sizeof nd);
    memcpy(nd.target, l + 8, sizeof nd.target);
    nd.flags = l[0] == PX_ICMPV6_ND_NA ? l[4] : 0;
    while (ofs < n) {
        size_t opt_len;

        if (n - ofs < 2) {
            break;
        }
        opt_len = (size_t)l[ofs + 1] * 8;
        if (!opt_len) {
            return;
        }
        if (opt_len > n - ofs) {
            break;
        }
        if (opt_len == 8 && l[ofs] == PX_ND_OPT_SLL && !nd.sll) {
            nd.sll = l + ofs + 2;
        } else if (opt_len == 8 && l[ofs] == PX_ND_OPT_TLL && !nd.tll) {
            nd.tll = l + ofs + 2;
        }
        ofs += opt_len;
    }
    if (ofs < n && !(pkt->layers & PX_PKT_TRUNCATED)) {
        return; /* An option runs past the end of the message. */
    }
    pkt->nd = nd;
    pkt->layers |= PX_PKT_ND;
}

static void
parse_tcp(struct px_pkt *pkt)
{
    const uint8_t *l = pkt->l4;
    size_t hdr_len;

    if (pkt->l4_len < PX_TCP_HDR_LEN) {
        return;
    }
    hdr_len = (size_t)(l[12] >> 4) * 4;
    if (hdr_len < PX_TCP_HDR_LEN || hdr_len > pkt->l4_len) {
        return;
    }
    pkt->tcp.sport = px_get_be16(l);
    pkt->tcp.dport = px_get_be16(l + 2);
    pkt->tcp.seq = px_get_be32(l + 4);
    pkt->tcp.ack = px_get_be32(l + 8);
    pkt->tcp.hdr_len = (uint8_t)hdr_len;
    pkt->tcp.flags = px_get_be16(l + 12) & 0x0fff;
    pkt->tcp.window = px_get_be16(l + 14);
    pkt->tcp.csum = px_get_be16(l + 16);
    pkt->tcp.urg = px_get_be16(l + 18);
    if (hdr_len > PX_TCP_HDR_LEN) {
        pkt->tcp.options = l + PX_TCP_HDR_LEN;
        pkt->tcp.options_len = hdr_len - PX_TCP_HDR_LEN;
    }
    pkt->layers |= PX_PKT_TCP;
    pkt->payload = l + hdr_len;
    pkt->payload_len = pkt->l4_len - hdr_len;
}

/* A UDP length past the IP payload is malformed, unless the frame was
 * cut: then the payload is what there is. */
static void
parse_udp(struct px_pkt *pkt)
{
    const uint8_t *l = pkt->l4;
    size_t udp_len;

    if (pkt->l4_len < PX_UDP_HDR_LEN) {
        return;
    }
    udp_len = px_get_be16(l + 4);
    if (udp_len < PX_UDP_HDR_LEN) {
        return;
    }
    if (udp_len > pkt->l4_len) {
        if (!(pkt->layers & PX_PKT_TRUNCATED)) {
            return;
        }
        udp_len = pkt->l4_len;
    }
    pkt->udp.sport = px_get_be16(l);
    pkt->udp.dport = px_get_be16(l + 2);
    pkt->udp.len = px_get_be16(l + 4);
    pkt->udp.csum = px_get_be16(l + 6);
    pkt->layers |= PX_PKT_UDP;
    pkt->payload = l + PX_UDP_HDR_LEN;
    pkt->payload_len = udp_len - PX_UDP_HDR_LEN;
}

static void
parse_l4(struct px_pkt *pkt)
{
    switch (pkt->ip_proto) {
    case PX_IP_PROTO_ICMP:
        if (pkt->layers & PX_PKT_IPV4 && pkt->l4_len >= PX_ICMP_HDR_LEN) {
            parse_icmp(pkt);
            pkt->layers |= PX_PKT_ICMP;
        }
        break;
    case PX_IP_PROTO_ICMPV6:
        if (pkt->layers & PX_PKT_IPV6 && pkt->l4_len >= PX_ICMP_HDR_LEN) {
            parse_icmp(pkt);
            pkt->layers |= PX_PKT_ICMPV6;
            parse_nd(pkt);
        }
        break;
    case PX_IP_PROTO_TCP:
        parse_tcp(pkt);
        break;
    case PX_IP_PROTO_UDP:
        parse_udp(pkt);
        break;
    }
}

static void
parse_arp(struct px_pkt *pkt)
{
    const uint8_t *a = pkt->l3;

    if (pkt->l3_len < PX_ARP_LEN || px_get_be16(a) != 1 ||
        px_get_be16(a + 2) != PX_ETH_TYPE_IPV4 || a[4] != PX_ETH_ADDR_LEN ||
        a[5] != 4) {
        return;
    }
    pkt->arp.op = px_get_be16(a + 6);
    memcpy(pkt->arp.sha, a + 8, PX_ETH_ADDR_LEN);
    pkt->arp.spa = px_get_be32(a + 14);
    memcpy(pkt->arp.tha, a + 18, PX_ETH_ADDR_LEN);
    pkt->arp.tpa = px_get_be32(a + 24);
    pkt->layers |= PX_PKT_ARP;
}

static void
parse_ipv4(struct px_pkt *pkt)
{
    const uint8_t *h = pkt->l3;
    struct px_pkt_ipv4 *ip = &pkt->ipv4;
    size_t hdr_len, total_len;

    if (pkt->l3_len < PX_IPV4_HDR_LEN || h[0] >> 4 != 4) {
        return;
    }
    hdr_len = (size_t)(h[0] & 0xf) * 4;
    total_len = px_get_be16(h + 2);
    if (hdr_len < PX_IPV4_HDR_LEN || hdr_len > pkt->l3_len ||
        total_len < hdr_len) {
        return;
    }
    ip->hdr_len = (uint8_t)hdr_len;
    ip->tos = h[1];
    ip->total_len = (uint16_t)total_len;
    ip->id = px_get_be16(h + 4);
    ip->frag = px_get_be16(h + 6);
    ip->ttl = h[8];
    ip->proto = h[9];
    ip->csum = px_get_be16(h + 10);
    ip->src = px_get_be32(h + 12);
    ip->dst = px_get_be32(h + 16);
    if (hdr_len > PX_IPV4_HDR_LEN) {
        ip->options = h + PX_IPV4_HDR_LEN;
        ip->options_len = hdr_len - PX_IPV4_HDR_LEN;
    }
    pkt->layers |= PX_PKT_IPV4;
    pkt->ip_proto = ip->proto;
    if (total_len > pkt->l3_len) {
        pkt->layers |= PX_PKT_TRUNCATED;
    } else {
        pkt->l3_len = total_len; /* Ethernet padding is not the packet's. */
    }
    if (ip->frag & (PX_IPV4_MF | PX_IPV4_OFFMASK)) {
        pkt->layers |= PX_PKT_FRAGMENT;
    }
    if (ip->frag & PX_IPV4_OFFMASK) {
        return; /* The L4 header is in the first fragment. */
    }
    pkt->l4 = h + hdr_len;
    pkt->l4_len = pkt->l3_len - hdr_len;
    parse_l4(pkt);
}

static bool
is_ipv6_ext(uint8_t nh)
{
    return nh == PX_IP_PROTO_HOPOPTS || nh == PX_IP_PROTO_ROUTING ||
           nh == PX_IP_PROTO_FRAGMENT || nh == PX_IP_PROTO_DSTOPTS ||
           nh == PX_IP_PROTO_AH;
}

/* Skips the extension headers, each of which must lie wholly within the
 * packet; the walk gives up (no L4) at a header that does not, at a
 * hop-by-hop header anywhere but first (RFC 8200, 4.3), after
 * PX_IPV6_MAX_EXT headers, and at a non-first fragment. */
static void
parse_ipv6(struct px_pkt *pkt)
{
    const uint8_t *h = pkt->l3;
    struct px_pkt_ipv6 *ip = &pkt->ipv6;
    size_t payload_len, ofs = PX_IPV6_HDR_LEN;
    uint32_t word;
    uint8_t nh;

    if (pkt->l3_len < PX_IPV6_HDR_LEN || h[0] >> 4 != 6) {
        return;
    }
    word = px_get_be32(h);
    ip->tclass = (uint8_t)(word >> 20);
    ip->flow_label = word & 0xfffff;
    ip->payload_len = px_get_be16(h + 4);
    ip->next_header = h[6];
    ip->hop_limit = h[7];
    memcpy(ip->src, h + 8, PX_IPV6_ADDR_LEN);
    memcpy(ip->dst, h + 24, PX_IPV6_ADDR_LEN);
    pkt->layers |= PX_PKT_IPV6;
    payload_len = ip->payload_len;
    if (payload_len > pkt->l3_len - PX_IPV6_HDR_LEN) {
        pkt->layers |= PX_PKT_TRUNCATED;
    } else {
        pkt->l3_len = PX_IPV6_HDR_LEN + payload_len;
    }

    nh = ip->next_header;
    pkt->ip_proto = nh;
    while (is_ipv6_ext(nh)) {
        const uint8_t *e = h + ofs;
        size_t ext_len;

        if (ip->n_ext == PX_IPV6_MAX_EXT ||
            (nh == PX_IP_PROTO_HOPOPTS && ip->n_ext) ||
            pkt->l3_len - ofs < 8) {
            return;
        }
        if (nh == PX_IP_PROTO_FRAGMENT) {
            ext_len = 8;
        } else if (nh == PX_IP_PROTO_AH) {
            ext_len = ((size_t)e[1] + 2) * 4; /* RFC 4302: 32-bit words. */
        } else {
            ext_len = ((size_t)e[1] + 1) * 8;
        }
        if (ext_len > pkt->l3_len - ofs) {
            return;
        }
        if (nh == PX_IP_PROTO_FRAGMENT) {
            ip->frag_off = px_get_be16(e + 2) >> 3;
            ip->frag_more = e[3] & 1;
            ip->frag_id = px_get_be32(e + 4);
            if (ip->frag_off || ip->frag_more) {
                pkt->layers |= PX_PKT_FRAGMENT;
            }
        }
        nh = e[0];
        pkt->ip_proto = nh;
        ip->n_ext++;
        ofs += ext_len;
        if (ip->frag_off) {
            return; /* The L4 header is in the first fragment. */
        }
    }
    pkt->l4 = h + ofs;
    pkt->l4_len = pkt->l3_len - ofs;
    parse_l4(pkt);
}

/* Reads the TLV header at 'p' with 'left' bytes: false when the TLV is
 * not wholly there. */
static bool
lldp_tlv(const uint8_t *p, size_t left, struct px_pkt_lldp_tlv *tlv)
{
    uint16_t hdr;

    if (left < 2) {
        return false;
    }
    hdr = px_get_be16(p);
    tlv->type = (uint8_t)(hdr >> 9);
    tlv->len = hdr & 0x1ff;
    tlv->value = p + 2;
    return tlv->len <= left - 2;
}

/* A chassis or port id TLV of 'type': a subtype and 1 to 255 bytes. */
static bool
lldp_id(const struct px_pkt_lldp_tlv *tlv, uint8_t type)
{
    return tlv->type == type && tlv->len >= 2 &&
           tlv->len <= PX_LLDP_MAX_ID + 1;
}

static void
parse_lldp(struct px_pkt *pkt)
{
    const uint8_t *p = pkt->l3;
    size_t left = pkt->l3_len;
    struct px_pkt_lldp_tlv chassis, port, ttl, tlv;
    struct px_pkt_lldp *lldp = &pkt->lldp;

    if (!lldp_tlv(p, left, &chassis) ||
        !lldp_id(&chassis, PX_LLDP_TLV_CHASSIS)) {
        return;
    }
    p += 2 + chassis.len;
    left -= 2 + chassis.len;
    if (!lldp_tlv(p, left, &port) || !lldp_id(&port, PX_LLDP_TLV_PORT)) {
        return;
    }
    p += 2 + port.len;
    left -= 2 + port.len;
    if (!lldp_tlv(p, left, &ttl) || ttl.type != PX_LLDP_TLV_TTL ||
        ttl.len < 2) {
        return;
    }
    p += 2 + ttl.len;
    left -= 2 + ttl.len;

    lldp->chassis_subtype = chassis.value[0];
    lldp->chassis_id = chassis.value + 1;
    lldp->chassis_id_len = chassis.len - 1u;
    lldp->port_subtype = port.value[0];
    lldp->port_id = port.value + 1;
    lldp->port_id_len = port.len - 1u;
    lldp->ttl = px_get_be16(ttl.value);
    pkt->layers |= PX_PKT_LLDP;

    while (lldp_tlv(p, left, &tlv) && tlv.type != PX_LLDP_TLV_END) {
        if (tlv.type == PX_LLDP_TLV_SYS_NAME && tlv.len <= PX_LLDP_MAX_ID) {
            lldp->sys_name = tlv.value;
            lldp->sys_name_len = tlv.len;
            break;
        }
        p += 2 + tlv.len;
        left -= 2 + tlv.len;
    }
}

/* The ethertype after up to two tags, and their length, of a frame of at
 * least PX_ETH_HDR_LEN bytes. */
static uint16_t
eth_type(const uint8_t *p, size_t len, struct px_pkt_eth *eth, size_t *ofs)
{
    uint16_t type = px_get_be16(p + 12);
    size_t o = PX_ETH_HDR_LEN;
    uint8_t n = 0;

    while ((type == PX_ETH_TYPE_VLAN || type == PX_ETH_TYPE_QINQ) &&
           n < PX_PKT_MAX_VLANS && len - o >= PX_VLAN_HDR_LEN) {
        if (eth) {
            eth->vlans[n].tpid = type;
            eth->vlans[n].tci = px_get_be16(p + o);
        }
        type = px_get_be16(p + o + 2);
        o += PX_VLAN_HDR_LEN;
        n++;
    }
    if (eth) {
        eth->n_vlans = n;
        eth->type = type;
    }
    *ofs = o;
    return type;
}

int
px_pkt_parse(const void *frame, size_t len, struct px_pkt *pkt)
{
    const uint8_t *p = frame;
    size_t ofs;

    memset(pkt, 0, sizeof *pkt);
    if (!frame || len < PX_ETH_HDR_LEN) {
        return EINVAL;
    }
    pkt->frame = p;
    pkt->len = len;
    memcpy(pkt->eth.dst, p, PX_ETH_ADDR_LEN);
    memcpy(pkt->eth.src, p + 6, PX_ETH_ADDR_LEN);
    eth_type(p, len, &pkt->eth, &ofs);
    pkt->l3 = p + ofs;
    pkt->l3_len = len - ofs;

    switch (pkt->eth.type) {
    case PX_ETH_TYPE_ARP:
        parse_arp(pkt);
        break;
    case PX_ETH_TYPE_IPV4:
        parse_ipv4(pkt);
        break;
    case PX_ETH_TYPE_IPV6:
        parse_ipv6(pkt);
        break;
    case PX_ETH_TYPE_LLDP:
        parse_lldp(pkt);
        break;
    }
    return 0;
}

int
px_pkt_parse_ip(const void *packet, size_t len, struct px_pkt *pkt)
{
    const uint8_t *p = packet;

    memset(pkt, 0, sizeof *pkt);
    if (!packet || !len) {
        return EINVAL;
    }
    pkt->frame = p;
    pkt->len = len;
    pkt->l3 = p;
    pkt->l3_len = len;
    switch (p[0] >> 4) {
    case 4:
        parse_ipv4(pkt);
        break;
    case 6:
        parse_ipv6(pkt);
        break;
    }
    return 0;
}

bool
px_pkt_is_lldp(const void *frame, size_t len)
{
    size_t ofs;

    return frame && len >= PX_ETH_HDR_LEN &&
           eth_type(frame, len, NULL, &ofs) == PX_ETH_TYPE_LLDP;
}

void
px_pkt_lldp_iter_init(struct px_pkt_lldp_iter *it, const struct px_pkt *pkt)
{
    it->p = pkt->layers & PX_PKT_LLDP ? pkt->l3 : NULL;
    it->left = pkt->layers & PX_PKT_LLDP ? pkt->l3_len : 0;
}

bool
px_pkt_lldp_next(struct px_pkt_lldp_iter *it, struct px_pkt_lldp_tlv *tlv)
{
    if (!lldp_tlv(it->p, it->left, tlv) || tlv->type == PX_LLDP_TLV_END) {
        it->left = 0;
        return false;
    }
    it->p += 2 + tlv->len;
    it->left -= 2 + tlv->len;
    return true;
}

/* Checksums. */

uint32_t
px_pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t acc = sum;
    size_t i;

    /* A 64-bit accumulator cannot overflow on any buffer that fits in
     * memory; folding once at the end is enough. */
    for (i = 0; i + 1 < len; i += 2) {
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        acc += (uint32_t)p[len - 1] << 8;
    }
    while (acc >> 32) {
        acc = (acc & 0xffffffff) + (acc >> 32);
    }
    return (uint32_t)acc;
}

uint16_t
px_pkt_csum_finish(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

uint16_t
px_pkt_csum(const void *data, size_t len)
{
    return px_pkt_csum_finish(px_pkt_csum_add(0, data, len));
}

uint32_t
px_pkt_pseudo_ipv4(uint32_t src, uint32_t dst)
{
    return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);
}

uint32_t
px_pkt_pseudo_ipv6(const uint8_t *src, const uint8_t *dst)
{
    return px_pkt_csum_add(px_pkt_csum_add(0, src, PX_IPV6_ADDR_LEN), dst,
                           PX_IPV6_ADDR_LEN);
}

/* The rest of a pseudo-header: IPv4's zero, protocol and 16-bit length
 * and IPv6's 32-bit length, zeros and next header come to the same sum.
 * Folded, so that no 'pseudo' a caller passes can overflow. */
static uint32_t
pseudo_finish(uint32_t pseudo, uint8_t proto, size_t len)
{
    uint64_t sum = (uint64_t)pseudo + proto + ((uint64_t)len >> 16 & 0xffff) +
                   (len & 0xffff);

    return (uint32_t)((sum & 0xffff) + (sum >> 16));
}

static uint32_t
pkt_pseudo(const struct px_pkt *pkt)
{
    return pkt->layers & PX_PKT_IPV4
               ? px_pkt_pseudo_ipv4(pkt->ipv4.src, pkt->ipv4.dst)
               : px_pkt_pseudo_ipv6(pkt->ipv6.src, pkt->ipv6.dst);
}

bool
px_pkt_ipv4_csum_ok(const struct px_pkt *pkt)
{
    return pkt->layers & PX_PKT_IPV4 &&
           px_pkt_csum(pkt->l3, pkt->ipv4.hdr_len) == 0;
}

bool
px_pkt_l4_csum_ok(const struct px_pkt *pkt)
{
    size_t len = pkt->l4_len;
    uint32_t sum;

    /* A fragment's checksum covers the whole datagram. */
    if (pkt->layers & (PX_PKT_TRUNCATED | PX_PKT_FRAGMENT)) {
        return false;
    }
    if (pkt->layers & PX_PKT_ICMP) {
        return px_pkt_csum(pkt->l4, len) == 0;
    }
    if (pkt->layers & PX_PKT_UDP) {
        if (pkt->udp.csum == 0 && pkt->layers & PX_PKT_IPV4) {
            return true;
        }
        len = pkt->udp.len; /* What the checksum covers. */
    } else if (!(pkt->layers & (PX_PKT_TCP | PX_PKT_ICMPV6))) {
        return false;
    }
    sum = pseudo_finish(pkt_pseudo(pkt), pkt->ip_proto, len);
    return px_pkt_csum_finish(px_pkt_csum_add(sum, pkt->l4, len)) == 0;
}

/* Building. */

/* The checks every builder starts with: EINVAL for a NULL 'buf' with room,
 * ENOSPC when 'need' bytes do not fit.  '*len' is 0 until success. */
static int
room(const void *buf, size_t cap, size_t need, size_t *len)
{
    *len = 0;
    if (!buf && cap) {
        return EINVAL;
    }
    return need > cap ? ENOSPC : 0;
}

/* 'data' to 'dst', which may be where it already is or overlap it. */
static void
put_data(uint8_t *dst, const void *data, size_t len)
{
    if (len && dst != data) {
        memmove(dst, data, len);
    }
}

int
px_pkt_put_eth(void *buf, size_t cap, const struct px_pkt_eth *eth,
               size_t *len)
{
    uint8_t *p = buf;
    size_t need = PX_ETH_HDR_LEN + (size_t)eth->n_vlans * PX_VLAN_HDR_LEN;
    size_t ofs = 12, i;
    int error;

    *len = 0;
    if (eth->n_vlans > PX_PKT_MAX_VLANS) {
        return EINVAL;
    }
    error = room(buf, cap, need, len);
    if (error) {
        return error;
    }
    memmove(p, eth->dst, PX_ETH_ADDR_LEN);
    memmove(p + 6, eth->src, PX_ETH_ADDR_LEN);
    for (i = 0; i < eth->n_vlans; i++) {
        uint16_t tpid = eth->vlans[i].tpid;

        px_put_be16(p + ofs, tpid ? tpid : PX_ETH_TYPE_VLAN);
        px_put_be16(p + ofs + 2, eth->vlans[i].tci);
        ofs += PX_VLAN_HDR_LEN;
    }
    px_put_be16(p + ofs, eth->type);
    *len = need;
    return 0;
}

int
px_pkt_put_arp(void *buf, size_t cap, const struct px_pkt_arp *arp,
               size_t *len)
{
    uint8_t *p = buf;
    int error = room(buf, cap, PX_ARP_LEN, len);

    if (error) {
        return error;
    }
    px_put_be16(p, 1);
    px_put_be16(p + 2, PX_ETH_TYPE_IPV4);
    p[4] = PX_ETH_ADDR_LEN;
    p[5] = 4;
    px_put_be16(p + 6, arp->op);
    memmove(p + 8, arp->sha, PX_ETH_ADDR_LEN);
    px_put_be32(p + 14, arp->spa);
    memmove(p + 18, arp->tha, PX_ETH_ADDR_LEN);
    px_put_be32(p + 24, arp->tpa);
    *len = PX_ARP_LEN;
    return 0;
}

/* Options of 'len' bytes, as IPv4 and TCP take them. */
static bool
options_ok(const uint8_t *options, size_t len, size_t max)
{
    return len % 4 == 0 && len <= max && (options || !len);
}

int
px_pkt_put_ipv4(void *buf, size_t cap, const struct px_pkt_ipv4 *ip,
                size_t payload_len, size_t *len)
{
    uint8_t *p = buf;
    size_t hdr_len = PX_IPV4_HDR_LEN + ip->options_len;
    int error;

    *len = 0;
    if (!options_ok(ip->options, ip->options_len, PX_IPV4_MAX_OPTIONS) ||
        payload_len > 0xffff - hdr_len) {
        return EINVAL;
    }
    error = room(buf, cap, hdr_len, len);
    if (error) {
        return error;
    }
    put_data(p + PX_IPV4_HDR_LEN, ip->options, ip->options_len);
    p[0] = (uint8_t)(0x40 | hdr_len / 4);
    p[1] = ip->tos;
    px_put_be16(p + 2, (uint16_t)(hdr_len + payload_len));
    px_put_be16(p + 4, ip->id);
    px_put_be16(p + 6, ip->frag);
    p[8] = ip->ttl;
    p[9] = ip->proto;
    px_put_be16(p + 10, 0);
    px_put_be32(p + 12, ip->src);
    px_put_be32(p + 16, ip->dst);
    px_put_be16(p + 10, px_pkt_csum(p, hdr_len));
    *len = hdr_len;
    return 0;
}

int
px_pkt_put_ipv6(void *buf, size_t cap, const struct px_pkt_ipv6 *ip,
                size_t payload_len, size_t *len)
{
    uint8_t *p = buf;
    int error;

    *len = 0;
    if (ip->flow_label > 0xfffff || payload_len > 0xffff) {
        return EINVAL;
    }
    error = room(buf, cap, PX_IPV6_HDR_LEN, len);
    if (error) {
        return error;
    }
    px_put_be32(p, 6u << 28 | (uint32_t)ip->tclass << 20 | ip->flow_label);
    px_put_be16(p + 4, (uint16_t)payload_len);
    p[6] = ip->next_header;
    p[7] = ip->hop_limit;
    memmove(p + 8, ip->src, PX_IPV6_ADDR_LEN);
    memmove(p + 24, ip->dst, PX_IPV6_ADDR_LEN);
    *len = PX_IPV6_HDR_LEN;
    return 0;
}

/* An ICMP or ICMPv6 message, with 'pseudo' added to the checksum for
 * ICMPv6 (nothing for ICMP). */
static int
put_icmp(void *buf, size_t cap, const struct px_pkt_icmp *icmp,
         const void *data, size_t data_len, bool v6, uint32_t pseudo,
         size_t *len)
{
    uint8_t *p = buf;
    uint32_t sum = 0;
    int error;

    *len = 0;
    if (data_len && !data) {
        return EINVAL;
    }
    error = room(buf, cap, PX_ICMP_HDR_LEN, len);
    if (error || data_len > cap - PX_ICMP_HDR_LEN) {
        return error ? error : ENOSPC;
    }
    put_data(p + PX_ICMP_HDR_LEN, data, data_len);
    p[0] = icmp->type;
    p[1] = icmp->code;
    px_put_be16(p + 2, 0);
    px_put_be16(p + 4, icmp->id);
    px_put_be16(p + 6, icmp->seq);
    if (v6) {
        sum = pseudo_finish(pseudo, PX_IP_PROTO_ICMPV6,
                            PX_ICMP_HDR_LEN + data_len);
    }
    sum = px_pkt_csum_add(sum, p, PX_ICMP_HDR_LEN + data_len);
    px_put_be16(p + 2, px_pkt_csum_finish(sum));
    *len = PX_ICMP_HDR_LEN + data_len;
    return 0;
}

int
px_pkt_put_icmp(void *buf, size_t cap, const struct px_pkt_icmp *icmp,
                const void *data, size_t data_len, size_t *len)
{
    return put_icmp(buf, cap, icmp, data, data_len, false, 0, len);
}

int
px_pkt_put_icmpv6(void *buf, size_t cap, const struct px_pkt_icmp *icmp,
                  const void *data, size_t data_len, uint32_t pseudo,
                  size_t *len)
{
    return put_icmp(buf, cap, icmp, data, data_len, true, pseudo, len);
}

int
px_pkt_put_icmp_error(void *buf, size_t cap, uint8_t type, uint8_t code,
                      uint32_t rest, const void *orig, size_t orig_len,
                      size_t *len)
{
    const uint8_t *o = orig;
    struct px_pkt_icmp icmp;
    size_t hdr_len, quote;

    *len = 0;
    if (!o || orig_len < PX_IPV4_HDR_LEN || o[0] >> 4 != 4) {
        return EINVAL;
    }
    hdr_len = (size_t)(o[0] & 0xf) * 4;
    if (hdr_len < PX_IPV4_HDR_LEN || hdr_len > orig_len ||
        px_get_be16(o + 2) < hdr_len) {
        return EINVAL;
    }
    /* The header and 8 bytes, but not past the packet nor the bytes at
     * hand (Ethernet padding is no part of the packet). */
    quote = hdr_len + 8;
    if (quote > px_get_be16(o + 2)) {
        quote = px_get_be16(o + 2);
    }
    if (quote > orig_len) {
        quote = orig_len;
    }
    icmp.type = type;
    icmp.code = code;
    icmp.csum = 0;
    icmp.id = (uint16_t)(rest >> 16);
    icmp.seq = (uint16_t)rest;
    return put_icmp(buf, cap, &icmp, orig, quote, false, 0, len);
}

int
px_pkt_put_nd(void *buf, size_t cap, uint8_t type, const struct px_pkt_nd *nd,
              uint32_t pseudo, size_t *len)
{
    uint8_t *p = buf;
    size_t need = PX_ND_LEN + (nd->sll ? 8 : 0) + (nd->tll ? 8 : 0);
    size_t ofs = PX_ND_LEN;
    uint32_t sum;
    int error;

    *len = 0;
    if (type != PX_ICMPV6_ND_NS && type != PX_ICMPV6_ND_NA) {
        return EINVAL;
    }
    error = room(buf, cap, need, len);
    if (error) {
        return error;
    }
    /* Options first, in case the caller's addresses are where the header
     * goes. */
    if (nd->tll) {
        memmove(p + need - 6, nd->tll, PX_ETH_ADDR_LEN);
        p[need - 8] = PX_ND_OPT_TLL;
        p[need - 7] = 1;
    }
    if (nd->sll) {
        memmove(p + ofs + 2, nd->sll, PX_ETH_ADDR_LEN);
        p[ofs] = PX_ND_OPT_SLL;
        p[ofs + 1] = 1;
    }
    memmove(p + 8, nd->target, PX_IPV6_ADDR_LEN);
    p[0] = type;
    p[1] = 0;
    px_put_be16(p + 2, 0);
    p[4] = type == PX_ICMPV6_ND_NA ? nd->flags : 0;
    p[5] = p[6] = p[7] = 0;
    sum = pseudo_finish(pseudo, PX_IP_PROTO_ICMPV6, need);
    px_put_be16(p + 2, px_pkt_csum_finish(px_pkt_csum_add(sum, p, need)));
    *len = need;
    return 0;
}

int
px_pkt_put_tcp(void *buf, size_t cap, const struct px_pkt_tcp *tcp,
               const void *data, size_t data_len, uint32_t pseudo, size_t *len)
{
    uint8_t *p = buf;
    size_t hdr_len = PX_TCP_HDR_LEN + tcp->options_len;
    uint32_t sum;
    int error;

    *len = 0;
    if (!options_ok(tcp->options, tcp->options_len, PX_TCP_MAX_OPTIONS) ||
        tcp->flags > 0x0fff || (data_len && !data)) {
        return EINVAL;
    }
    error = room(buf, cap, hdr_len, len);
    if (error || data_len > cap - hdr_len) {
        return error ? error : ENOSPC;
    }
    put_data(p + hdr_len, data, data_len);
    put_data(p + PX_TCP_HDR_LEN, tcp->options, tcp->options_len);
    px_put_be16(p, tcp->sport);
    px_put_be16(p + 2, tcp->dport);
    px_put_be32(p + 4, tcp->seq);
    px_put_be32(p + 8, tcp->ack);
    px_put_be16(p + 12, (uint16_t)(hdr_len / 4 << 12 | tcp->flags));
    px_put_be16(p + 14, tcp->window);
    px_put_be16(p + 16, 0);
    px_put_be16(p + 18, tcp->urg);
    sum = pseudo_finish(pseudo, PX_IP_PROTO_TCP, hdr_len + data_len);
    sum = px_pkt_csum_add(sum, p, hdr_len + data_len);
    px_put_be16(p + 16, px_pkt_csum_finish(sum));
    *len = hdr_len + data_len;
    return 0;
}

int
px_pkt_put_udp(void *buf, size_t cap, const struct px_pkt_udp *udp,
               const void *data, size_t data_len, uint32_t pseudo, size_t *len)
{
    uint8_t *p = buf;
    size_t n = PX_UDP_HDR_LEN + data_len;
    uint16_t csum;
    int error;

    *len = 0;
    if (data_len > 0xffff - PX_UDP_HDR_LEN || (data_len && !data)) {
        return EINVAL;
    }
    error = room(buf, cap, n, len);
    if (error) {
        return error;
    }
    put_data(p + PX_UDP_HDR_LEN, data, data_len);
    px_put_be16(p, udp->sport);
    px_put_be16(p + 2, udp->dport);
    px_put_be16(p + 4, (uint16_t)n);
    px_put_be16(p + 6, 0);
    csum = px_pkt_csum_finish(
        px_pkt_csum_add(pseudo_finish(pseudo, PX_IP_PROTO_UDP, n), p, n));
    px_put_be16(p + 6, csum ? csum : 0xffff);
    *len = n;
    return 0;
}

/* A TLV whose value is 'prefix' (when 'has_prefix') then 'value'. */
static void
put_tlv(uint8_t *p, uint8_t type, bool has_prefix, uint8_t prefix,
        const void *value, size_t value_len)
{
    size_t n = value_len + has_prefix;

    put_data(p + 2 + has_prefix, value, value_len);
    px_put_be16(p, (uint16_t)(type << 9 | n));
    if (has_prefix) {
        p[2] = prefix;
    }
}

int
px_pkt_put_lldp_tlv(void *buf, size_t cap, uint8_t type, const void *value,
                    size_t value_len, size_t *len)
{
    int error;

    *len = 0;
    if (type > 127 || value_len > 0x1ff || (value_len && !value)) {
        return EINVAL;
    }
    error = room(buf, cap, 2 + value_len, len);
    if (error) {
        return error;
    }
    put_tlv(buf, type, false, 0, value, value_len);
    *len = 2 + value_len;
    return 0;
}

int
px_pkt_build_lldp(void *buf, size_t cap, const uint8_t *src,
                  const struct px_pkt_lldp *lldp, size_t *len)
{
    static const uint8_t dst[PX_ETH_ADDR_LEN] = PX_LLDP_DST;
    uint8_t *p = buf;
    size_t need, ofs;
    uint8_t ttl[2];
    int error;

    *len = 0;
    if (!lldp->chassis_id || !lldp->chassis_id_len ||
        lldp->chassis_id_len > PX_LLDP_MAX_ID || !lldp->port_id ||
        !lldp->port_id_len || lldp->port_id_len > PX_LLDP_MAX_ID ||
        (lldp->sys_name && lldp->sys_name_len > PX_LLDP_MAX_ID)) {
        return EINVAL;
    }
    need = PX_ETH_HDR_LEN + 3 + lldp->chassis_id_len + 3 + lldp->port_id_len +
           4 + (lldp->sys_name ? 2 + lldp->sys_name_len : 0) + 2;
    error = room(buf, cap, need, len);
    if (error) {
        return error;
    }
    /* Back to front, so that values the caller took from this buffer are
     * read before anything is written over them. */
    ofs = need - 2;
    px_put_be16(p + ofs, 0); /* End. */
    if (lldp->sys_name) {
        ofs -= 2 + lldp->sys_name_len;
        put_tlv(p + ofs, PX_LLDP_TLV_SYS_NAME, false, 0, lldp->sys_name,
                lldp->sys_name_len);
    }
    ofs -= 4;
    px_put_be16(ttl, lldp->ttl);
    put_tlv(p + ofs, PX_LLDP_TLV_TTL, false, 0, ttl, 2);
    ofs -= 3 + lldp->port_id_len;
    put_tlv(p + ofs, PX_LLDP_TLV_PORT, true, lldp->port_subtype, lldp->port_id,
            lldp->port_id_len);
    ofs -= 3 + lldp->chassis_id_len;
    put_tlv(p + ofs, PX_LLDP_TLV_CHASSIS, true, lldp->chassis_subtype,
            lldp->chassis_id, lldp->chassis_id_len);
    memmove(p + 6, src, PX_ETH_ADDR_LEN);
    memcpy(p, dst, PX_ETH_ADDR_LEN);
    px_put_be16(p + 12, PX_ETH_TYPE_LLDP);
    *len = need;
    return 0;
}

int
px_pkt_pad(void *buf, size_t cap, size_t *len)
{
    if (*len >= PX_ETH_MIN_LEN) {
        return 0;
    }
    if (!buf || cap < PX_ETH_MIN_LEN) {
        return ENOSPC;
    }
    memset((uint8_t *)buf + *len, 0, PX_ETH_MIN_LEN - *len);
    *len = PX_ETH_MIN_LEN;
    return 0;
}

/* Text. */

char *
px_pkt_format_mac(const uint8_t *mac, char *buf, size_t size)
{
    if (size) {
        snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                 mac[2], mac[3], mac[4], mac[5]);
    }
    return buf;
}

char *
px_pkt_format_ipv4(uint32_t addr, char *buf, size_t size)
{
    if (size) {
        snprintf(buf, size, "%u.%u.%u.%u", addr >> 24, addr >> 16 & 0xff,
                 addr >> 8 & 0xff, addr & 0xff);
    }
    return buf;
}

char *
px_pkt_format_ipv6(const uint8_t *addr, char *buf, size_t size)
{
    char text[PX_PKT_IPV6_STRLEN];

    if (size) {
        /* inet_ntop refuses a short buffer outright; cut instead, as the
         * other formatters do. */
        if (!inet_ntop(AF_INET6, addr, text, sizeof text)) {
            text[0] = '\0';
        }
        snprintf(buf, size, "%s", text);
    }
    return buf;
}

/* Summaries. */

/* Text being appended to a buffer of 'size' bytes: 'n' is what it holds,
 * at most size - 1, and it stays terminated (when 'size' is not 0) however
 * much is appended. */
struct summary {
    char *buf;
    size_t size;
    size_t n;
};

static void __attribute__((format(printf, 2, 3)))
say(struct summary *s, const char *fmt, ...)
{
    va_list args;
    int k;

    if (s->n + 1 >= s->size) {
        return;
    }
    va_start(args, fmt);
    k = vsnprintf(s->buf + s->n, s->size - s->n, fmt, args);
    va_end(args);
    if (k > 0) {
        s->n += (size_t)k < s->size - s->n ? (size_t)k : s->size - s->n - 1;
    }
}

/* 'len' bytes of a name from the wire (an LLDP id or system name): as
 * text when every byte is printable ASCII, else in hex, so that a summary
 * is always printable ASCII (valid UTF-8 and JSON-safe as it is). */
static void
say_name(struct summary *s, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len && p[i] >= 0x20 && p[i] < 0x7f; i++) {
        continue;
    }
    if (i == len && len) {
        say(s, "%.*s", (int)len, (const char *)p);
        return;
    }
    say(s, "0x");
    for (i = 0; i < len && s->n + 1 < s->size; i++) {
        say(s, "%02x", p[i]);
    }
}

/* An address, and a port when 'port' is not negative: IPv6 addresses in
 * brackets before a port, as in URLs. */
static void
say_addr(struct summary *s, const struct px_pkt *pkt, bool src, long port)
{
    char text[PX_PKT_IPV6_STRLEN];

    bool v4 = pkt->layers & PX_PKT_IPV4;

    if (v4) {
        px_pkt_format_ipv4(src ? pkt->ipv4.src : pkt->ipv4.dst, text,
                           sizeof text);
    } else {
        px_pkt_format_ipv6(src ? pkt->ipv6.src : pkt->ipv6.dst, text,
                           sizeof text);
    }
    if (port < 0) {
        say(s, "%s", text);
    } else if (v4) {
        say(s, "%s:%ld", text, port);
    } else {
        say(s, "[%s]:%ld", text, port);
    }
}

/* "src > dst", with ports when 'sport' is not negative. */
static void
say_addrs(struct summary *s, const struct px_pkt *pkt, long sport, long dport)
{
    say_addr(s, pkt, true, sport);
    say(s, " > ");
    say_addr(s, pkt, false, dport);
}

/* Flags as tcpdump prints them: F S R P, '.' for ACK, U E W, and "none"
 * when there is none. */
static void
say_tcp_flags(struct summary *s, uint16_t flags)
{
    static const struct {
        uint16_t bit;
        char c;
    } names[] = {{PX_TCP_FIN, 'F'}, {PX_TCP_SYN, 'S'}, {PX_TCP_RST, 'R'},
                 {PX_TCP_PSH, 'P'}, {PX_TCP_ACK, '.'}, {PX_TCP_URG, 'U'},
                 {PX_TCP_ECE, 'E'}, {PX_TCP_CWR, 'W'}, {PX_TCP_NS, 'N'}};
    char text[sizeof names / sizeof names[0] + 1];
    size_t i, n = 0;

    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (flags & names[i].bit) {
            text[n++] = names[i].c;
        }
    }
    text[n] = '\0';
    say(s, " [%s]", n ? text : "none");
}

static const char *
icmp_unreach_name(uint8_t code)
{
    static const char *const names[] = {"net",
                                        "host",
                                        "protocol",
                                        "port",
                                        NULL,
                                        "source route",
                                        "net unknown",
                                        "host unknown",
                                        "isolated",
                                        "net prohibited",
                                        "host prohibited",
                                        "net tos",
                                        "host tos",
                                        "prohibited",
                                        "precedence violation",
                                        "precedence cutoff"};

    return code < sizeof names / sizeof names[0] ? names[code] : NULL;
}

/* An ICMP or ICMPv6 error's quoted datagram, briefly: its protocol,
 * addresses and ports (the quote's 8 bytes of L4 hold TCP's ports, too
 * few for px_pkt_parse_ip to mark TCP), or its echo's id and sequence. */
static void
say_quote(struct summary *s, const struct px_pkt *pkt)
{
    struct px_pkt q;

    if (!pkt->payload_len ||
        px_pkt_parse_ip(pkt->payload, pkt->payload_len, &q) ||
        !(q.layers & (PX_PKT_IPV4 | PX_PKT_IPV6))) {
        return;
    }
    say(s, " [");
    if ((q.ip_proto == PX_IP_PROTO_TCP || q.ip_proto == PX_IP_PROTO_UDP) &&
        q.l4 && q.l4_len >= 4) {
        say(s, q.ip_proto == PX_IP_PROTO_TCP ? "TCP " : "UDP ");
        say_addrs(s, &q, px_get_be16(q.l4), px_get_be16(q.l4 + 2));
    } else if (q.layers & (PX_PKT_ICMP | PX_PKT_ICMPV6)) {
        say(s, q.layers & PX_PKT_ICMP ? "ICMP " : "ICMPv6 ");
        say_addrs(s, &q, -1, -1);
        if (q.icmp.type == (q.layers & PX_PKT_ICMP ? PX_ICMP_ECHO_REQUEST
                                                   : PX_ICMPV6_ECHO_REQUEST)) {
            say(s, " echo request id %u seq %u", q.icmp.id, q.icmp.seq);
        } else {
            say(s, " type %u", q.icmp.type);
        }
    } else {
        say(s, "%s ", q.layers & PX_PKT_IPV4 ? "IPv4" : "IPv6");
        say_addrs(s, &q, -1, -1);
        say(s, " proto %u", q.ip_proto);
    }
    say(s, "]");
}

static void
say_icmp(struct summary *s, const struct px_pkt *pkt)
{
    const struct px_pkt_icmp *i = &pkt->icmp;
    const char *name;

    switch (i->type) {
    case PX_ICMP_ECHO_REQUEST:
    case PX_ICMP_ECHO_REPLY:
        say(s, " echo %s id %u seq %u",
            i->type == PX_ICMP_ECHO_REQUEST ? "request" : "reply", i->id,
            i->seq);
        return;
    case PX_ICMP_DEST_UNREACH:
        name = icmp_unreach_name(i->code);
        if (i->code == 4) {
            say(s, " destination unreachable (fragmentation needed, mtu %u)",
                i->seq);
        } else if (name) {
            say(s, " destination unreachable (%s)", name);
        } else {
            say(s, " destination unreachable (code %u)", i->code);
        }
        break;
    case PX_ICMP_TIME_EXCEEDED:
        if (i->code > 1) {
            say(s, " time exceeded (code %u)", i->code);
        } else {
            say(s, " time exceeded%s", i->code ? " (reassembly)" : "");
        }
        break;
    case 4:
        say(s, " source quench");
        break;
    case 5:
        say(s, " redirect (code %u)", i->code);
        break;
    case 12:
        say(s, " parameter problem (code %u)", i->code);
        break;
    case 13:
    case 14:
        say(s, " timestamp %s", i->type == 13 ? "request" : "reply");
        return;
    default:
        say(s, " type %u code %u", i->type, i->code);
        return;
    }
    say_quote(s, pkt);
}

static void
say_icmpv6(struct summary *s, const struct px_pkt *pkt)
{
    static const char *const unreach[] = {
        "no route", "prohibited", "beyond scope", "address",
        "port",     "policy",     "reject route"};
    const struct px_pkt_icmp *i = &pkt->icmp;
    char text[PX_PKT_IPV6_STRLEN], mac[PX_PKT_MAC_STRLEN];

    if (pkt->layers & PX_PKT_ND) {
        px_pkt_format_ipv6(pkt->nd.target, text, sizeof text);
        if (i->type == PX_ICMPV6_ND_NS) {
            say(s, " neighbor solicitation who-has %s", text);
            return;
        }
        say(s, " neighbor advertisement %s", text);
        if (pkt->nd.tll) {
            say(s, " is-at %s",
                px_pkt_format_mac(pkt->nd.tll, mac, sizeof mac));
        }
        if (pkt->nd.flags &
            (PX_ND_ROUTER | PX_ND_SOLICITED | PX_ND_OVERRIDE)) {
            say(s, " [%s%s%s]", pkt->nd.flags & PX_ND_ROUTER ? "R" : "",
                pkt->nd.flags & PX_ND_SOLICITED ? "S" : "",
                pkt->nd.flags & PX_ND_OVERRIDE ? "O" : "");
        }
        return;
    }
    switch (i->type) {
    case PX_ICMPV6_ECHO_REQUEST:
    case PX_ICMPV6_ECHO_REPLY:
        say(s, " echo %s id %u seq %u",
            i->type == PX_ICMPV6_ECHO_REQUEST ? "request" : "reply", i->id,
            i->seq);
        return;
    case PX_ICMPV6_DEST_UNREACH:
        if (i->code < sizeof unreach / sizeof unreach[0]) {
            say(s, " destination unreachable (%s)", unreach[i->code]);
        } else {
            say(s, " destination unreachable (code %u)", i->code);
        }
        break;
    case PX_ICMPV6_PACKET_TOO_BIG:
        say(s, " packet too big (mtu %u)", (unsigned int)i->id << 16 | i->seq);
        break;
    case PX_ICMPV6_TIME_EXCEEDED:
        say(s, " time exceeded%s", i->code == 1 ? " (reassembly)" : "");
        break;
    case PX_ICMPV6_ND_RS:
        say(s, " router solicitation");
        return;
    case PX_ICMPV6_ND_RA:
        say(s, " router advertisement");
        return;
    case PX_ICMPV6_ND_REDIRECT:
        say(s, " redirect");
        return;
    default:
        say(s, " type %u code %u", i->type, i->code);
        return;
    }
    say_quote(s, pkt);
}

/* IPv4 or IPv6: the L4's name, the addresses (and ports), what the L4
 * says, the TTL or hop limit, then fragmentation and truncation. */
static void
say_ip(struct summary *s, const struct px_pkt *pkt)
{
    bool v4 = pkt->layers & PX_PKT_IPV4;
    unsigned int l = pkt->layers;

    if (l & PX_PKT_TCP) {
        say(s, "TCP ");
        say_addrs(s, pkt, pkt->tcp.sport, pkt->tcp.dport);
        say_tcp_flags(s, pkt->tcp.flags);
        say(s, " seq %u", pkt->tcp.seq);
        if (pkt->tcp.flags & PX_TCP_ACK) {
            say(s, " ack %u", pkt->tcp.ack);
        }
        say(s, " len %zu", pkt->payload_len);
    } else if (l & PX_PKT_UDP) {
        say(s, "UDP ");
        say_addrs(s, pkt, pkt->udp.sport, pkt->udp.dport);
        say(s, " len %zu", pkt->payload_len);
    } else if (l & (PX_PKT_ICMP | PX_PKT_ICMPV6)) {
        say(s, l & PX_PKT_ICMP ? "ICMP " : "ICMPv6 ");
        say_addrs(s, pkt, -1, -1);
        if (l & PX_PKT_ICMP) {
            say_icmp(s, pkt);
        } else {
            say_icmpv6(s, pkt);
        }
    } else {
        say(s, v4 ? "IPv4 " : "IPv6 ");
        say_addrs(s, pkt, -1, -1);
        say(s, " proto %u", pkt->ip_proto);
        if (pkt->l4 && !(l & PX_PKT_TRUNCATED) &&
            (pkt->ip_proto == PX_IP_PROTO_TCP ||
             pkt->ip_proto == PX_IP_PROTO_UDP ||
             pkt->ip_proto == (v4 ? PX_IP_PROTO_ICMP : PX_IP_PROTO_ICMPV6))) {
            /* An L4 the parser knows was all there, and did not parse. */
            say(s, " malformed");
        }
    }
    if (v4) {
        say(s, " ttl %u", pkt->ipv4.ttl);
    } else {
        say(s, " hlim %u", pkt->ipv6.hop_limit);
    }
    if (l & PX_PKT_FRAGMENT) {
        unsigned int off =
            v4 ? (unsigned int)(pkt->ipv4.frag & PX_IPV4_OFFMASK)
               : pkt->ipv6.frag_off;

        say(s, " frag id %lu offset %u%s",
            v4 ? (unsigned long)pkt->ipv4.id
               : (unsigned long)pkt->ipv6.frag_id,
            off * 8,
            (v4 ? pkt->ipv4.frag & PX_IPV4_MF : pkt->ipv6.frag_more) ? " MF"
                                                                     : "");
    }
    if (l & PX_PKT_TRUNCATED) {
        say(s, " truncated (%zu of %lu bytes)", pkt->l3_len,
            v4 ? (unsigned long)pkt->ipv4.total_len
               : PX_IPV6_HDR_LEN + (unsigned long)pkt->ipv6.payload_len);
    }
}

static void
say_arp(struct summary *s, const struct px_pkt *pkt)
{
    char a[PX_PKT_IPV4_STRLEN], b[PX_PKT_IPV4_STRLEN];
    char mac[PX_PKT_MAC_STRLEN];

    px_pkt_format_ipv4(pkt->arp.spa, a, sizeof a);
    px_pkt_format_ipv4(pkt->arp.tpa, b, sizeof b);
    if (pkt->arp.op == PX_ARP_REQUEST) {
        say(s, "ARP who-has %s tell %s", b, a);
    } else if (pkt->arp.op == PX_ARP_REPLY) {
        say(s, "ARP %s is-at %s", a,
            px_pkt_format_mac(pkt->arp.sha, mac, sizeof mac));
    } else {
        say(s, "ARP op %u %s > %s", pkt->arp.op, a, b);
    }
}

static void
say_lldp(struct summary *s, const struct px_pkt *pkt)
{
    const struct px_pkt_lldp *l = &pkt->lldp;
    char mac[PX_PKT_MAC_STRLEN];

    say(s, "LLDP chassis ");
    if (l->chassis_subtype == 4 && l->chassis_id_len == PX_ETH_ADDR_LEN) {
        say(s, "%s", px_pkt_format_mac(l->chassis_id, mac, sizeof mac));
    } else {
        say_name(s, l->chassis_id, l->chassis_id_len);
    }
    say(s, " port ");
    if (l->port_subtype == 3 && l->port_id_len == PX_ETH_ADDR_LEN) {
        say(s, "%s", px_pkt_format_mac(l->port_id, mac, sizeof mac));
    } else {
        say_name(s, l->port_id, l->port_id_len);
    }
    say(s, " ttl %u", l->ttl);
    if (l->sys_name) {
        say(s, " system ");
        say_name(s, l->sys_name, l->sys_name_len);
    }
}

size_t
px_pkt_summary(const struct px_pkt *pkt, char *buf, size_t size)
{
    struct summary s = {buf, size, 0};
    const struct px_pkt_eth *eth = &pkt->eth;
    size_t i;

    if (!size) {
        return 0;
    }
    buf[0] = '\0';
    if (!pkt->frame) {
        say(&s, "truncated frame (shorter than an Ethernet header)");
        return s.n;
    }
    for (i = 0; i < eth->n_vlans; i++) {
        uint16_t tci = eth->vlans[i].tci;

        say(&s, "%s %u ",
            eth->vlans[i].tpid == PX_ETH_TYPE_QINQ ? "qinq" : "vlan",
            tci & PX_VLAN_VID_MASK);
        if (tci >> PX_VLAN_PCP_SHIFT) {
            say(&s, "p %u ", tci >> PX_VLAN_PCP_SHIFT);
        }
    }
    if (pkt->layers & (PX_PKT_IPV4 | PX_PKT_IPV6)) {
        say_ip(&s, pkt);
    } else if (pkt->layers & PX_PKT_ARP) {
        say_arp(&s, pkt);
    } else if (pkt->layers & PX_PKT_LLDP) {
        say_lldp(&s, pkt);
    } else if ((eth->type == PX_ETH_TYPE_VLAN ||
                eth->type == PX_ETH_TYPE_QINQ) &&
               eth->n_vlans < PX_PKT_MAX_VLANS) {
        say(&s, "truncated vlan tag (%zu bytes)", pkt->len);
    } else if (eth->type < 0x0600) {
        say(&s, "802.3 len %u", eth->type);
    } else if (eth->type == PX_ETH_TYPE_ARP || eth->type == PX_ETH_TYPE_IPV4 ||
               eth->type == PX_ETH_TYPE_IPV6 ||
               eth->type == PX_ETH_TYPE_LLDP) {
        /* Of a type the parser knows, yet not marked. */
        say(&s, "%s %s (%zu bytes)",
            eth->type == PX_ETH_TYPE_ARP    ? "ARP"
            : eth->type == PX_ETH_TYPE_IPV4 ? "IPv4"
            : eth->type == PX_ETH_TYPE_IPV6 ? "IPv6"
                                            : "LLDP",
            pkt->l3_len < (eth->type == PX_ETH_TYPE_ARP    ? PX_ARP_LEN
                           : eth->type == PX_ETH_TYPE_IPV4 ? PX_IPV4_HDR_LEN
                           : eth->type == PX_ETH_TYPE_IPV6 ? PX_IPV6_HDR_LEN
                                                           : 2)
                ? "truncated"
                : "malformed",
            pkt->l3_len);
    } else {
        say(&s, "ethertype 0x%04x len %zu", eth->type, pkt->len);
    }
    return s.n;
}
