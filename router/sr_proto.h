/*
 * Wire formats of the software router (router/sr): Ethernet, ARP, IPv4 and
 * ICMP, as field offsets rather than structs, plus the internet checksum.
 *
 * Frames arrive in buffers with no alignment guarantee, so a struct cast
 * would be undefined behaviour (UBSan reports it).  Every multi-byte field
 * therefore goes through the big-endian accessors below, which move one
 * byte at a time and so need neither alignment nor ntohs/ntohl.
 * Addresses are handled in host byte order everywhere outside the wire:
 * an IPv4 address is a uint32_t such as 0xc0a80201 for 192.168.2.1, a MAC
 * address is 6 bytes.
 */
#ifndef SR_PROTO_H
#define SR_PROTO_H 1

#include <stddef.h>
#include <stdint.h>

#define SR_ETH_ALEN 6
/* Longest interface name, NUL included (VNS names have 16 bytes). */
#define SR_IFNAME_LEN 32

/* Ethernet II header. */
#define SR_ETH_DST       0
#define SR_ETH_SRC       6
#define SR_ETH_TYPE      12
#define SR_ETH_HDR_LEN   14
#define SR_ETHERTYPE_IP  0x0800
#define SR_ETHERTYPE_ARP 0x0806

/* ARP for IPv4 over Ethernet (RFC 826), after the Ethernet header. */
#define SR_ARP_HTYPE       0
#define SR_ARP_PTYPE       2
#define SR_ARP_HLEN        4
#define SR_ARP_PLEN        5
#define SR_ARP_OP          6
#define SR_ARP_SHA         8
#define SR_ARP_SPA         14
#define SR_ARP_THA         18
#define SR_ARP_TPA         24
#define SR_ARP_LEN         28
#define SR_ARP_HTYPE_ETHER 1
#define SR_ARP_OP_REQUEST  1
#define SR_ARP_OP_REPLY    2

/* IPv4 header (RFC 791); options, if any, follow the 20 fixed bytes. */
#define SR_IP_VHL         0
#define SR_IP_TOS         1
#define SR_IP_LEN         2
#define SR_IP_ID          4
#define SR_IP_OFF         6
#define SR_IP_TTL         8
#define SR_IP_PROTO       9
#define SR_IP_SUM         10
#define SR_IP_SRC         12
#define SR_IP_DST         16
#define SR_IP_HDR_LEN     20 /* Without options. */
#define SR_IP_MF          0x2000
#define SR_IP_OFFMASK     0x1fff
#define SR_IP_DEFAULT_TTL 64
#define SR_IPPROTO_ICMP   1
#define SR_IPPROTO_TCP    6
#define SR_IPPROTO_UDP    17

/* ICMP (RFC 792). */
#define SR_ICMP_TYPE          0
#define SR_ICMP_CODE          1
#define SR_ICMP_SUM           2
#define SR_ICMP_HDR_LEN       8 /* Type, code, checksum and 4 more bytes. */
#define SR_ICMP_ECHO_REPLY    0
#define SR_ICMP_UNREACH       3
#define SR_ICMP_ECHO_REQUEST  8
#define SR_ICMP_TIME_EXCEEDED 11
#define SR_ICMP_UNREACH_NET   0
#define SR_ICMP_UNREACH_HOST  1
#define SR_ICMP_UNREACH_PORT  3
/* How much of the offending datagram's payload an ICMP error quotes. */
#define SR_ICMP_QUOTE_LEN 8

static inline uint16_t
sr_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
sr_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static inline void
sr_put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

static inline void
sr_put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = (v >> 16) & 0xff;
    p[2] = (v >> 8) & 0xff;
    p[3] = v & 0xff;
}

/* The IPv4 header's length in bytes, from its IHL field. */
static inline size_t
sr_ip_hlen(const uint8_t *ip)
{
    return (size_t)(ip[SR_IP_VHL] & 0x0f) * 4;
}

/*
 * The internet checksum (RFC 1071) of 'len' bytes: the one's complement of
 * the one's complement sum of the data as big-endian 16-bit words, an odd
 * last byte padded with a zero.  Store it with sr_put16().  Over data that
 * already holds a correct checksum it yields 0, which is how to verify.
 */
static inline uint16_t
sr_cksum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t sum = 0;
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += sr_get16(p + i);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

#endif /* sr_proto.h */
