/*
 * Builders of the ICMP messages the software router originates (see
 * sr_icmp.h).  Pure functions over byte buffers.
 */
#include "sr_icmp.h"

#include <string.h>

bool
sr_icmp_ip_valid(const uint8_t *ip, size_t len)
{
    size_t hlen, tot;

    if (len < SR_IP_HDR_LEN || ip[SR_IP_VHL] >> 4 != 4) {
        return false;
    }
    hlen = sr_ip_hlen(ip);
    tot = sr_get16(ip + SR_IP_LEN);
    return hlen >= SR_IP_HDR_LEN && tot >= hlen && tot <= len &&
           sr_cksum(ip, hlen) == 0;
}

/* Writes a 20-byte IPv4 header for 'payload_len' bytes of ICMP. */
static void
put_ip_header(uint8_t *ip, size_t payload_len, uint32_t src, uint32_t dst)
{
    memset(ip, 0, SR_IP_HDR_LEN);
    ip[SR_IP_VHL] = 0x45;
    sr_put16(ip + SR_IP_LEN, (uint16_t)(SR_IP_HDR_LEN + payload_len));
    ip[SR_IP_TTL] = SR_IP_DEFAULT_TTL;
    ip[SR_IP_PROTO] = SR_IPPROTO_ICMP;
    sr_put32(ip + SR_IP_SRC, src);
    sr_put32(ip + SR_IP_DST, dst);
    sr_put16(ip + SR_IP_SUM, sr_cksum(ip, SR_IP_HDR_LEN));
}

size_t
sr_icmp_echo_reply(const uint8_t *req, size_t len, uint8_t *buf, size_t cap)
{
    size_t hlen, icmp_len;
    uint8_t *icmp = buf + SR_IP_HDR_LEN;

    if (len < SR_IP_HDR_LEN) {
        return 0;
    }
    hlen = sr_ip_hlen(req);
    if (hlen < SR_IP_HDR_LEN || len < hlen + SR_ICMP_HDR_LEN ||
        len - hlen > 0xffff - SR_IP_HDR_LEN) {
        return 0;
    }
    icmp_len = len - hlen;
    if (cap < SR_IP_HDR_LEN + icmp_len) {
        return 0;
    }
    memcpy(icmp, req + hlen, icmp_len);
    icmp[SR_ICMP_TYPE] = SR_ICMP_ECHO_REPLY;
    icmp[SR_ICMP_CODE] = 0;
    sr_put16(icmp + SR_ICMP_SUM, 0);
    sr_put16(icmp + SR_ICMP_SUM, sr_cksum(icmp, icmp_len));
    put_ip_header(buf, icmp_len, sr_get32(req + SR_IP_DST),
                  sr_get32(req + SR_IP_SRC));
    return SR_IP_HDR_LEN + icmp_len;
}

size_t
sr_icmp_error(uint8_t type, uint8_t code, uint32_t src, const uint8_t *orig,
              size_t len, uint8_t *buf, size_t cap)
{
    size_t hlen, quote, icmp_len;
    uint8_t *icmp = buf + SR_IP_HDR_LEN;

    if (len < SR_IP_HDR_LEN) {
        return 0;
    }
    hlen = sr_ip_hlen(orig);
    if (hlen < SR_IP_HDR_LEN || hlen > len) {
        return 0;
    }
    quote = hlen +
            (len - hlen < SR_ICMP_QUOTE_LEN ? len - hlen : SR_ICMP_QUOTE_LEN);
    icmp_len = SR_ICMP_HDR_LEN + quote;
    if (cap < SR_IP_HDR_LEN + icmp_len) {
        return 0;
    }
    /* The 4 bytes after the checksum are unused for these types and must
     * be zero (RFC 792); 3/4's next-hop MTU would go there. */
    memset(icmp, 0, SR_ICMP_HDR_LEN);
    icmp[SR_ICMP_TYPE] = type;
    icmp[SR_ICMP_CODE] = code;
    memcpy(icmp + SR_ICMP_HDR_LEN, orig, quote);
    sr_put16(icmp + SR_ICMP_SUM, sr_cksum(icmp, icmp_len));
    put_ip_header(buf, icmp_len, src, sr_get32(orig + SR_IP_SRC));
    return SR_IP_HDR_LEN + icmp_len;
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
    size_t hlen = sr_ip_hlen(orig);
    uint32_t dst = sr_get32(orig + SR_IP_DST);

    if (!unicast_source(sr_get32(orig + SR_IP_SRC)) || dst == 0xffffffff ||
        dst >> 28 == 0xe) {
        return false;
    }
    if (sr_get16(orig + SR_IP_OFF) & SR_IP_OFFMASK) {
        return false;
    }
    if (orig[SR_IP_PROTO] == SR_IPPROTO_ICMP) {
        uint8_t type;

        /* Without the type we cannot tell; err on the side of silence. */
        if (len < hlen + 1) {
            return false;
        }
        type = orig[hlen + SR_ICMP_TYPE];
        /* Errors are the types that are not queries (RFC 1122 3.2.2);
         * redirect (5) and source quench (4) count as errors. */
        return type == SR_ICMP_ECHO_REQUEST || type == SR_ICMP_ECHO_REPLY ||
               type == 13 || type == 14 || type == 15 || type == 16 ||
               type == 17 || type == 18;
    }
    return true;
}
