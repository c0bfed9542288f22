/*
 * Builders of the ICMP messages the software router originates (see
 * sr_icmp.h).  Pure functions over byte buffers: the datagram answered is
 * read with px_pkt_parse_ip and the answer written with the packet
 * library's builders, ICMP first (its length is the IP header's to know)
 * and its IP header in front of it.
 */
#include "sr_icmp.h"

#include <string.h>

bool
sr_icmp_ip_valid(const uint8_t *ip, size_t len)
{
    struct px_pkt pkt;

    return !px_pkt_parse_ip(ip, len, &pkt) && pkt.layers & PX_PKT_IPV4 &&
           !(pkt.layers & PX_PKT_TRUNCATED) && px_pkt_ipv4_csum_ok(&pkt);
}

/* Writes, in front of the 'icmp_len' bytes of ICMP already at 'buf' +
 * PX_IPV4_HDR_LEN, the 20-byte IPv4 header that carries them; returns the
 * datagram's length, or 0 if it is too long for IPv4. */
static size_t
put_ip_header(uint8_t *buf, size_t cap, size_t icmp_len, uint32_t src,
              uint32_t dst)
{
    struct px_pkt_ipv4 ip = {
        .ttl = SR_ICMP_TTL,
        .proto = PX_IP_PROTO_ICMP,
        .src = src,
        .dst = dst,
    };
    size_t n;

    return px_pkt_put_ipv4(buf, cap, &ip, icmp_len, &n) ? 0 : n + icmp_len;
}

size_t
sr_icmp_echo_reply(const uint8_t *req, size_t len, uint8_t *buf, size_t cap)
{
    struct px_pkt pkt;
    struct px_pkt_icmp icmp = {.type = PX_ICMP_ECHO_REPLY};
    size_t n;

    if (px_pkt_parse_ip(req, len, &pkt) || !(pkt.layers & PX_PKT_ICMP) ||
        cap < PX_IPV4_HDR_LEN) {
        return 0;
    }
    icmp.id = pkt.icmp.id;
    icmp.seq = pkt.icmp.seq;
    if (px_pkt_put_icmp(buf + PX_IPV4_HDR_LEN, cap - PX_IPV4_HDR_LEN, &icmp,
                        pkt.payload, pkt.payload_len, &n)) {
        return 0;
    }
    return put_ip_header(buf, cap, n, pkt.ipv4.dst, pkt.ipv4.src);
}

size_t
sr_icmp_error(uint8_t type, uint8_t code, uint32_t src, const uint8_t *orig,
              size_t len, uint8_t *buf, size_t cap)
{
    struct px_pkt pkt;
    size_t n;

    if (px_pkt_parse_ip(orig, len, &pkt) || !(pkt.layers & PX_PKT_IPV4) ||
        cap < PX_IPV4_HDR_LEN) {
        return 0;
    }
    /* The 4 bytes after the checksum are unused for these types and must
     * be zero (RFC 792); 3/4's next-hop MTU would go there. */
    if (px_pkt_put_icmp_error(buf + PX_IPV4_HDR_LEN, cap - PX_IPV4_HDR_LEN,
                              type, code, 0, orig, len, &n)) {
        return 0;
    }
    return put_ip_header(buf, cap, n, src, pkt.ipv4.src);
}

/* Whether 'a' names a single host that can be sent an error. */
static bool
unicast_source(uint32_t a)
{
    return a != 0 && a >> 24 != 127 && a >> 28 < 0xe;
}

bool
sr_icmp_error_allowed(const uint8_t *orig, size_t len)
{
    struct px_pkt pkt;
    uint32_t dst;

    if (px_pkt_parse_ip(orig, len, &pkt) || !(pkt.layers & PX_PKT_IPV4)) {
        return false;
    }
    dst = pkt.ipv4.dst;
    if (!unicast_source(pkt.ipv4.src) || dst == 0xffffffff ||
        dst >> 28 == 0xe) {
        return false;
    }
    if (pkt.ipv4.frag & PX_IPV4_OFFMASK) {
        return false;
    }
    if (pkt.ipv4.proto == PX_IP_PROTO_ICMP) {
        uint8_t type;

        /* Without the type we cannot tell; err on the side of silence.
         * The type is the message's first byte: one too short for the
         * rest of an ICMP header, which px_pkt_parse_ip does not mark as
         * ICMP, still has one, and it decides. */
        if (!pkt.l4_len) {
            return false;
        }
        type = pkt.l4[0];
        /* Errors are the types that are not queries (RFC 1122 3.2.2);
         * redirect (5) and source quench (4) count as errors. */
        return type == PX_ICMP_ECHO_REQUEST || type == PX_ICMP_ECHO_REPLY ||
               type == 13 || type == 14 || type == 15 || type == 16 ||
               type == 17 || type == 18;
    }
    return true;
}
