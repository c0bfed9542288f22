/*
 * libFuzzer target for the packet library (sdk/lib/packet.c): the parser
 * reads every frame a switch sends in a packet-in, which anyone on its
 * ports can shape, so no input may make it crash, read past the frame or
 * hit undefined behaviour; and what it parses, the builders must be able
 * to write back.
 *
 * The input is one Ethernet frame, copied into a heap buffer of exactly
 * its size so that ASan sees a read one byte past it.  It is parsed, and
 * then, with abort() (which libFuzzer reports as a crash) on failure:
 *  - the result is EINVAL exactly for frames under 14 bytes, and
 *    px_pkt_is_lldp agrees with the ethertype parsed;
 *  - every pointer of the parse lies in the frame, each layer inside the
 *    one that carries it, and the layer bits are consistent (one L3, at
 *    most one L4, each over the L3 it needs);
 *  - the LLDP iterator stays in the frame and ends, and its TLVs written
 *    with px_pkt_put_lldp_tlv are the LLDPDU's bytes;
 *  - the frame is written back from its parse (Ethernet, ARP, IPv4 or
 *    IPv6 with the extension headers copied, ICMP, ICMPv6 or ND, TCP,
 *    UDP, or raw bytes for what is not parsed; LLDP through
 *    px_pkt_build_lldp): the bytes are the frame's but for checksums and
 *    the lengths of a truncated frame, the checksums of what was written
 *    verify, and parsing it gives the same layers and fields.  The same
 *    writing into a buffer of a size taken from the input (exact-size)
 *    must stop at ENOSPC, never past the buffer;
 *  - an ICMP error about an IPv4 packet quotes its header and 8 bytes and
 *    verifies;
 *  - checksums of the input in two even pieces equal the one-piece sum;
 *    addresses formatted into a small exact-size buffer are terminated;
 *  - the one-line summary is printable ASCII, terminated, of the length
 *    returned, whole in PX_PKT_SUMMARY_LEN bytes unless LLDP or IPv6, and
 *    in an exact-size buffer of a size taken from the input, a prefix of
 *    the whole one of at most that size - 1.
 *
 * Build: clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Isdk/include \
 *            -fsanitize=fuzzer,address,undefined -o build/fuzz/fuzz_packet \
 *            tests/fuzz/fuzz_packet.c sdk/lib/packet.c
 * Run:   build/fuzz/fuzz_packet -max_total_time=60 -max_len=4096 \
 *            build/fuzz/work-fuzz_packet tests/fuzz/corpus/packet
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzcheck.h"
#include "plexus/byteorder.h"
#include "plexus/packet.h"

static bool
within(const struct px_pkt *pkt, const uint8_t *p, size_t len)
{
    return p && p >= pkt->frame && p <= pkt->frame + pkt->len &&
           len <= (size_t)(pkt->frame + pkt->len - p);
}

static int
n_bits(unsigned int v)
{
    return __builtin_popcount(v);
}

static void
check_parse(const struct px_pkt *pkt)
{
    unsigned int l = pkt->layers;

    check(within(pkt, pkt->l3, pkt->l3_len));
    check(pkt->l3 >= pkt->frame + PX_ETH_HDR_LEN);
    check(pkt->l3 ==
          pkt->frame + PX_ETH_HDR_LEN + pkt->eth.n_vlans * PX_VLAN_HDR_LEN);
    check(pkt->eth.n_vlans <= PX_PKT_MAX_VLANS);
    if (pkt->l4) {
        check(pkt->l4 >= pkt->l3 &&
              pkt->l4 + pkt->l4_len <= pkt->l3 + pkt->l3_len);
    }
    if (pkt->payload) {
        check(pkt->l4 && pkt->payload >= pkt->l4 &&
              pkt->payload + pkt->payload_len <= pkt->l4 + pkt->l4_len);
    }
    check(!pkt->ipv4.options ||
          within(pkt, pkt->ipv4.options, pkt->ipv4.options_len));
    check(!pkt->tcp.options ||
          within(pkt, pkt->tcp.options, pkt->tcp.options_len));
    check(!pkt->nd.sll || within(pkt, pkt->nd.sll, 6));
    check(!pkt->nd.tll || within(pkt, pkt->nd.tll, 6));
    check(!pkt->lldp.sys_name ||
          within(pkt, pkt->lldp.sys_name, pkt->lldp.sys_name_len));

    /* One L3, at most one L4, each over what it needs. */
    check(n_bits(l & (PX_PKT_ARP | PX_PKT_IPV4 | PX_PKT_IPV6 | PX_PKT_LLDP)) <=
          1);
    check(n_bits(l & (PX_PKT_ICMP | PX_PKT_ICMPV6 | PX_PKT_TCP |
                      PX_PKT_UDP)) <= 1);
    check(!(l & PX_PKT_ICMP) || l & PX_PKT_IPV4);
    check(!(l & (PX_PKT_ICMPV6 | PX_PKT_ND)) || l & PX_PKT_IPV6);
    check(!(l & PX_PKT_ND) || l & PX_PKT_ICMPV6);
    check(!(l &
            (PX_PKT_TCP | PX_PKT_UDP | PX_PKT_FRAGMENT | PX_PKT_TRUNCATED)) ||
          l & (PX_PKT_IPV4 | PX_PKT_IPV6));
    check(!(l & (PX_PKT_ICMP | PX_PKT_ICMPV6 | PX_PKT_TCP | PX_PKT_UDP)) ||
          (pkt->l4 && pkt->payload));
    check(!pkt->l4 || l & (PX_PKT_IPV4 | PX_PKT_IPV6));
    if (l & PX_PKT_ARP) {
        check(pkt->eth.type == PX_ETH_TYPE_ARP && pkt->l3_len >= 28);
    }
    if (l & PX_PKT_IPV4) {
        check(pkt->eth.type == PX_ETH_TYPE_IPV4 && pkt->l3[0] >> 4 == 4);
        check(pkt->ipv4.hdr_len >= 20 && pkt->ipv4.hdr_len <= pkt->l3_len);
        check(pkt->ipv4.hdr_len <= pkt->ipv4.total_len);
        check(pkt->ipv4.options_len == pkt->ipv4.hdr_len - 20u);
        check(!!(l & PX_PKT_TRUNCATED) == (pkt->ipv4.total_len > pkt->l3_len));
    }
    if (l & PX_PKT_IPV6) {
        check(pkt->eth.type == PX_ETH_TYPE_IPV6 && pkt->l3[0] >> 4 == 6);
        check(pkt->l3_len >= 40 && pkt->ipv6.n_ext <= PX_IPV6_MAX_EXT);
        check(!!(l & PX_PKT_TRUNCATED) ==
              (pkt->ipv6.payload_len + 40u > pkt->l3_len));
    }
    if (l & PX_PKT_TCP) {
        check(pkt->tcp.hdr_len >= 20 && pkt->tcp.hdr_len <= pkt->l4_len);
        check(pkt->payload == pkt->l4 + pkt->tcp.hdr_len);
    }
    if (l & PX_PKT_UDP) {
        check(pkt->udp.len >= 8);
        check(pkt->udp.len <= pkt->l4_len || l & PX_PKT_TRUNCATED);
    }
    if (l & PX_PKT_LLDP) {
        check(pkt->eth.type == PX_ETH_TYPE_LLDP);
        check(within(pkt, pkt->lldp.chassis_id, pkt->lldp.chassis_id_len));
        check(within(pkt, pkt->lldp.port_id, pkt->lldp.port_id_len));
        check(pkt->lldp.chassis_id_len >= 1 &&
              pkt->lldp.chassis_id_len <= 255);
        check(pkt->lldp.port_id_len >= 1 && pkt->lldp.port_id_len <= 255);
    }
}

static void
check_lldp_iter(const struct px_pkt *pkt)
{
    struct px_pkt_lldp_iter it;
    struct px_pkt_lldp_tlv tlv;
    size_t n = 0;

    px_pkt_lldp_iter_init(&it, pkt);
    while (px_pkt_lldp_next(&it, &tlv)) {
        check(within(pkt, tlv.value, tlv.len));
        check(tlv.type != PX_LLDP_TLV_END && tlv.type <= 127);
        check(n < 3 || tlv.type != 0);
        if (n == 0) {
            check(tlv.type == PX_LLDP_TLV_CHASSIS);
        }
        n++;
        check(n <= pkt->len / 2);
    }
    check(!(pkt->layers & PX_PKT_LLDP) || n >= 3);
    check(!px_pkt_lldp_next(&it, &tlv));
}

/* A buffer being written: the builders' results must be 0, or ENOSPC
 * with nothing stored when the room is short ('tight'); the first ENOSPC
 * stops the writing. */
struct out {
    uint8_t *buf;
    size_t cap;
    size_t n;
    bool tight;
    bool full;
};

static bool
step(struct out *o, int error, size_t k)
{
    if (o->full) {
        return false;
    }
    if (error == ENOSPC && o->tight) {
        check(k == 0);
        o->full = true;
        return false;
    }
    check(error == 0 && k <= o->cap - o->n);
    o->n += k;
    return true;
}

static void
raw(struct out *o, const void *p, size_t len)
{
    if (o->full) {
        return;
    }
    if (len > o->cap - o->n) {
        check(o->tight);
        o->full = true;
        return;
    }
    if (len) {
        memcpy(o->buf + o->n, p, len);
    }
    o->n += len;
}

#define AT(O) ((O)->buf + (O)->n), ((O)->cap - (O)->n)

/* The length of the ND message px_pkt_put_nd writes for 'pkt'. */
static size_t
nd_len(const struct px_pkt *pkt)
{
    return PX_ND_LEN + (pkt->nd.sll ? 8 : 0) + (pkt->nd.tll ? 8 : 0);
}

/* Writes the frame of 'pkt' back into 'o'.  Returns the length it has
 * when written whole: the original's up to the end of its L3 (of its ARP
 * body), but for an NS or NA, whose options are rewritten. */
static size_t
rebuild(const struct px_pkt *pkt, struct out *o)
{
    unsigned int l = pkt->layers;
    size_t k = 99, l3_ofs = (size_t)(pkt->l3 - pkt->frame);
    size_t l3_len = pkt->l3_len;
    uint32_t pseudo = 0;
    const uint8_t *rest;

    step(o, px_pkt_put_eth(AT(o), &pkt->eth, &k), k);
    if (l & PX_PKT_ARP) {
        step(o, px_pkt_put_arp(AT(o), &pkt->arp, &k), k);
        return l3_ofs + PX_ARP_LEN;
    }
    if (l & PX_PKT_IPV4) {
        step(o,
             px_pkt_put_ipv4(AT(o), &pkt->ipv4,
                             pkt->l3_len - pkt->ipv4.hdr_len, &k),
             k);
        pseudo = px_pkt_pseudo_ipv4(pkt->ipv4.src, pkt->ipv4.dst);
        rest = pkt->l3 + pkt->ipv4.hdr_len;
    } else if (l & PX_PKT_IPV6) {
        const uint8_t *end = pkt->l4 ? pkt->l4 : pkt->l3 + pkt->l3_len;

        if (l & PX_PKT_ND) {
            l3_len = (size_t)(pkt->l4 - pkt->l3) + nd_len(pkt);
        }
        step(o, px_pkt_put_ipv6(AT(o), &pkt->ipv6, l3_len - 40, &k), k);
        raw(o, pkt->l3 + 40, (size_t)(end - pkt->l3 - 40));
        pseudo = px_pkt_pseudo_ipv6(pkt->ipv6.src, pkt->ipv6.dst);
        rest = end;
    } else {
        raw(o, pkt->l3, pkt->l3_len);
        return l3_ofs + pkt->l3_len;
    }

    if (l & PX_PKT_ND) {
        step(o, px_pkt_put_nd(AT(o), pkt->icmp.type, &pkt->nd, pseudo, &k), k);
    } else if (l & PX_PKT_ICMPV6) {
        step(o,
             px_pkt_put_icmpv6(AT(o), &pkt->icmp, pkt->payload,
                               pkt->payload_len, pseudo, &k),
             k);
    } else if (l & PX_PKT_ICMP) {
        step(o,
             px_pkt_put_icmp(AT(o), &pkt->icmp, pkt->payload, pkt->payload_len,
                             &k),
             k);
    } else if (l & PX_PKT_TCP) {
        step(o,
             px_pkt_put_tcp(AT(o), &pkt->tcp, pkt->payload, pkt->payload_len,
                            pseudo, &k),
             k);
    } else if (l & PX_PKT_UDP) {
        step(o,
             px_pkt_put_udp(AT(o), &pkt->udp, pkt->payload, pkt->payload_len,
                            pseudo, &k),
             k);
        /* Bytes after the UDP length, as they are. */
        raw(o, pkt->payload + pkt->payload_len,
            (size_t)(pkt->l4 + pkt->l4_len - pkt->payload - pkt->payload_len));
    } else {
        raw(o, rest, (size_t)(pkt->l3 + pkt->l3_len - rest));
    }
    return l3_ofs + l3_len;
}

/* Zeroes the 2 bytes at 'ofs' of both copies when within 'n' and 'yes'. */
static void
mask(uint8_t *a, uint8_t *b, size_t n, size_t ofs, bool yes)
{
    if (yes && ofs + 2 <= n) {
        a[ofs] = a[ofs + 1] = b[ofs] = b[ofs + 1] = 0;
    }
}

/* The rebuilt frame 'out' of 'n' bytes is the original's first 'n'
 * bytes, but for checksums and the lengths truncation changed (ND aside:
 * its options are rewritten). */
static void
check_same_bytes(const struct px_pkt *pkt, const uint8_t *out, size_t n)
{
    unsigned int l = pkt->layers;
    size_t l3 = (size_t)(pkt->l3 - pkt->frame);
    size_t l4 = pkt->l4 ? (size_t)(pkt->l4 - pkt->frame) : 0;
    bool cut = l & PX_PKT_TRUNCATED;
    uint8_t *a, *b;

    if (l & PX_PKT_ND) {
        n = l4; /* The message is compared by parsing. */
    }
    check(n <= pkt->len);
    a = malloc(n ? n : 1);
    b = malloc(n ? n : 1);
    check(a && b);
    memcpy(a, out, n);
    memcpy(b, pkt->frame, n);
    mask(a, b, n, l3 + 10, l & PX_PKT_IPV4);
    mask(a, b, n, l3 + 2, l & PX_PKT_IPV4 && cut);
    mask(a, b, n, l3 + 4, l & PX_PKT_IPV6 && (cut || l & PX_PKT_ND));
    mask(a, b, n, l4 + 2, l & (PX_PKT_ICMP | PX_PKT_ICMPV6));
    mask(a, b, n, l4 + 16, l & PX_PKT_TCP);
    mask(a, b, n, l4 + 4, l & PX_PKT_UDP && cut);
    mask(a, b, n, l4 + 6, l & PX_PKT_UDP);
    check(!memcmp(a, b, n));
    free(a);
    free(b);
}

/* The parse 'again' of a rebuilt frame has the layers and fields of
 * 'pkt', and its checksums verify. */
static void
check_reparse(const struct px_pkt *pkt, const struct px_pkt *again)
{
    unsigned int l = pkt->layers & ~(unsigned int)PX_PKT_TRUNCATED;

    check(again->layers == l);
    check(again->eth.type == pkt->eth.type);
    check(again->ip_proto == pkt->ip_proto);
    check((again->l4 == NULL) == (pkt->l4 == NULL));
    /* ARP's L3 is the rest of the frame, padding included. */
    if (!(l & (PX_PKT_ND | PX_PKT_ARP))) {
        check(again->l3_len == pkt->l3_len);
        check(again->l4_len == pkt->l4_len);
        check(again->payload_len == pkt->payload_len);
    }
    if (l & PX_PKT_IPV4) {
        check(px_pkt_ipv4_csum_ok(again));
        check(again->ipv4.src == pkt->ipv4.src &&
              again->ipv4.frag == pkt->ipv4.frag &&
              again->ipv4.hdr_len == pkt->ipv4.hdr_len);
    }
    if (l & PX_PKT_IPV6) {
        check(!memcmp(again->ipv6.dst, pkt->ipv6.dst, 16) &&
              again->ipv6.n_ext == pkt->ipv6.n_ext &&
              again->ipv6.frag_off == pkt->ipv6.frag_off);
    }
    if (l & (PX_PKT_ICMP | PX_PKT_ICMPV6 | PX_PKT_TCP | PX_PKT_UDP) &&
        !(l & PX_PKT_FRAGMENT)) {
        check(px_pkt_l4_csum_ok(again));
    }
    if (l & PX_PKT_TCP) {
        check(again->tcp.sport == pkt->tcp.sport &&
              again->tcp.seq == pkt->tcp.seq &&
              again->tcp.flags == pkt->tcp.flags &&
              again->tcp.options_len == pkt->tcp.options_len);
    }
    if (l & PX_PKT_UDP) {
        check(again->udp.dport == pkt->udp.dport);
    }
    if (l & (PX_PKT_ICMP | PX_PKT_ICMPV6)) {
        check(again->icmp.type == pkt->icmp.type &&
              again->icmp.code == pkt->icmp.code);
        /* An NS or NA's second word is its flags, the rest reserved and
         * written as zeros. */
        check(l & PX_PKT_ND || (again->icmp.id == pkt->icmp.id &&
                                again->icmp.seq == pkt->icmp.seq));
    }
    if (l & PX_PKT_ND) {
        check(!memcmp(again->nd.target, pkt->nd.target, 16));
        check(again->nd.flags ==
              (pkt->icmp.type == PX_ICMPV6_ND_NA ? pkt->nd.flags : 0));
        check(!again->nd.sll == !pkt->nd.sll);
        check(!again->nd.tll == !pkt->nd.tll);
        check(!pkt->nd.sll || !memcmp(again->nd.sll, pkt->nd.sll, 6));
        check(!pkt->nd.tll || !memcmp(again->nd.tll, pkt->nd.tll, 6));
    }
}

/* An LLDP frame parsed: px_pkt_build_lldp writes its values back. */
static void
check_lldp_rebuild(const struct px_pkt *pkt, uint8_t *buf, size_t cap)
{
    struct px_pkt_lldp_iter it;
    struct px_pkt_lldp_tlv tlv;
    struct px_pkt again;
    size_t n, k;

    check(px_pkt_build_lldp(buf, cap, pkt->eth.src, &pkt->lldp, &n) == 0);
    check(px_pkt_parse(buf, n, &again) == 0);
    check(again.layers == PX_PKT_LLDP);
    check(again.lldp.chassis_subtype == pkt->lldp.chassis_subtype &&
          again.lldp.chassis_id_len == pkt->lldp.chassis_id_len &&
          !memcmp(again.lldp.chassis_id, pkt->lldp.chassis_id,
                  pkt->lldp.chassis_id_len));
    check(
        again.lldp.port_subtype == pkt->lldp.port_subtype &&
        again.lldp.port_id_len == pkt->lldp.port_id_len &&
        !memcmp(again.lldp.port_id, pkt->lldp.port_id, pkt->lldp.port_id_len));
    check(again.lldp.ttl == pkt->lldp.ttl);
    check(!again.lldp.sys_name == !pkt->lldp.sys_name);
    check(again.lldp.sys_name_len == pkt->lldp.sys_name_len);
    check(!pkt->lldp.sys_name ||
          !memcmp(again.lldp.sys_name, pkt->lldp.sys_name,
                  pkt->lldp.sys_name_len));

    /* TLV by TLV, the LLDPDU is its bytes again. */
    px_pkt_lldp_iter_init(&it, pkt);
    n = 0;
    while (px_pkt_lldp_next(&it, &tlv)) {
        check(px_pkt_put_lldp_tlv(buf + n, cap - n, tlv.type, tlv.value,
                                  tlv.len, &k) == 0);
        check(k == 2u + tlv.len);
        n += k;
    }
    check(n <= pkt->l3_len && !memcmp(buf, pkt->l3, n));
}

/* An ICMP error about the IPv4 packet: its header and 8 bytes. */
static void
check_icmp_error(const struct px_pkt *pkt, uint8_t *buf, size_t cap)
{
    size_t n, quote = pkt->ipv4.hdr_len + 8u;

    if (quote > pkt->l3_len) {
        quote = pkt->l3_len;
    }
    check(px_pkt_put_icmp_error(buf, cap, PX_ICMP_TIME_EXCEEDED, 0, 0, pkt->l3,
                                pkt->l3_len, &n) == 0);
    check(n == 8 + quote && !memcmp(buf + 8, pkt->l3, quote));
    check(px_pkt_csum(buf, n) == 0);
}

static void
check_format(const uint8_t *data, size_t size)
{
    uint8_t addr[16] = {0};
    size_t room = size ? data[size - 1] % 48 : 0;
    char *text = malloc(room ? room : 1);

    check(text != NULL);
    memcpy(addr, data, size < 16 ? size : 16);
    px_pkt_format_mac(addr, text, room);
    check(!room || memchr(text, '\0', room));
    px_pkt_format_ipv4(px_get_be32(addr), text, room);
    check(!room || memchr(text, '\0', room));
    px_pkt_format_ipv6(addr, text, room);
    check(!room || memchr(text, '\0', room));
    free(text);
}

/* The summary of 'pkt' (parsed or refused), whole and cut. */
static void
check_summary(const struct px_pkt *pkt, const uint8_t *data, size_t size)
{
    char full[PX_PKT_SUMMARY_LEN], *cut;
    size_t n, k, room, i;

    n = px_pkt_summary(pkt, full, sizeof full);
    check(n < sizeof full && strlen(full) == n && n > 0);
    for (i = 0; i < n; i++) {
        check(full[i] >= 0x20 && full[i] < 0x7f);
    }
    check(n + 1 < sizeof full || pkt->layers & (PX_PKT_LLDP | PX_PKT_IPV6));
    check(px_pkt_summary(pkt, NULL, 0) == 0);
    room = size ? 1 + data[size / 2] % (n + 2) : 1;
    cut = malloc(room);
    check(cut != NULL);
    k = px_pkt_summary(pkt, cut, room);
    check(k == (n < room - 1 ? n : room - 1));
    check(strlen(cut) == k && !memcmp(cut, full, k));
    free(cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The IP packet of a frame, read again without its Ethernet header by
 * px_pkt_parse_ip (a copy of exactly the bytes after the tags, so that
 * ASan sees a read past them): the same layers, lengths and fields. */
static void
check_parse_ip(const struct px_pkt *pkt)
{
    size_t rest = pkt->len - (size_t)(pkt->l3 - pkt->frame);
    uint8_t *ip = (uint8_t *)copy_input(pkt->l3, rest);
    struct px_pkt q;

    check(px_pkt_parse_ip(ip, rest, &q) == 0);
    check(q.frame == ip && q.l3 == ip && q.len == rest);
    check(q.layers == pkt->layers && q.ip_proto == pkt->ip_proto);
    check(q.l3_len == pkt->l3_len && q.l4_len == pkt->l4_len &&
          q.payload_len == pkt->payload_len);
    check(!q.l4 == !pkt->l4 && (!q.l4 || q.l4 - q.l3 == pkt->l4 - pkt->l3));
    check(q.ipv4.src == pkt->ipv4.src && q.ipv4.dst == pkt->ipv4.dst &&
          q.ipv4.ttl == pkt->ipv4.ttl && q.ipv4.hdr_len == pkt->ipv4.hdr_len &&
          q.ipv4.total_len == pkt->ipv4.total_len);
    check(!memcmp(q.ipv6.src, pkt->ipv6.src, sizeof q.ipv6.src) &&
          !memcmp(q.ipv6.dst, pkt->ipv6.dst, sizeof q.ipv6.dst) &&
          q.ipv6.n_ext == pkt->ipv6.n_ext &&
          q.ipv6.payload_len == pkt->ipv6.payload_len);
    check(q.tcp.sport == pkt->tcp.sport && q.tcp.dport == pkt->tcp.dport &&
          q.udp.sport == pkt->udp.sport && q.udp.dport == pkt->udp.dport &&
          q.icmp.type == pkt->icmp.type && q.icmp.code == pkt->icmp.code);
    free(ip);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *frame = (uint8_t *)copy_input(data, size);
    size_t cap = size + 64, tight_cap, want, half;
    struct px_pkt pkt, again;
    struct out o;
    int error;

    error = px_pkt_parse(frame, size, &pkt);
    check(error == (size < PX_ETH_HDR_LEN ? EINVAL : 0));
    check_format(data, size);
    check_summary(&pkt, data, size);
    half = size ? 2 * (data[0] % (size / 2 + 1)) : 0;
    check(px_pkt_csum(frame, size) ==
          px_pkt_csum_finish(px_pkt_csum_add(px_pkt_csum_add(0, frame, half),
                                             frame + half, size - half)));
    if (error) {
        check(pkt.layers == 0 && !pkt.frame);
        check(!px_pkt_is_lldp(frame, size));
        free(frame);
        return 0;
    }
    check(px_pkt_is_lldp(frame, size) == (pkt.eth.type == PX_ETH_TYPE_LLDP));
    check_parse(&pkt);
    check_lldp_iter(&pkt);
    if (pkt.layers & (PX_PKT_IPV4 | PX_PKT_IPV6)) {
        check_parse_ip(&pkt);
    }

    /* Written back into room enough. */
    memset(&o, 0, sizeof o);
    o.cap = cap;
    o.buf = malloc(cap);
    check(o.buf != NULL);
    if (pkt.layers & PX_PKT_LLDP) {
        check_lldp_rebuild(&pkt, o.buf, cap);
    } else {
        want = rebuild(&pkt, &o);
        check(!o.full && o.n == want);
        check_same_bytes(&pkt, o.buf, o.n);
        check(px_pkt_parse(o.buf, o.n, &again) == 0);
        check_reparse(&pkt, &again);
    }
    if (pkt.layers & PX_PKT_IPV4) {
        check_icmp_error(&pkt, o.buf, cap);
    }
    free(o.buf);

    /* And into a buffer that may be too small, of exactly that size. */
    tight_cap = data[size - 1] * 2u % (size + 8);
    memset(&o, 0, sizeof o);
    o.cap = tight_cap;
    o.tight = true;
    o.buf = malloc(tight_cap ? tight_cap : 1);
    check(o.buf != NULL);
    if (!(pkt.layers & PX_PKT_LLDP)) {
        rebuild(&pkt, &o);
        check(o.n <= tight_cap);
    }
    free(o.buf);
    free(frame);
    return 0;
}
