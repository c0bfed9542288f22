/*
 * What the software router (router/sr) shares with its tests about the
 * wire: the interface name length, and the field offsets and accessors
 * that tests/unit/test_sr.c and tests/fuzz/fuzz_sr.c write and check
 * frames with.
 *
 * The router itself reads frames only through the SDK's packet library
 * (<plexus/packet.h>: px_pkt_parse, px_pkt_parse_ip), writes them with its
 * builders (px_pkt_put_*) and sums them with its checksum (px_pkt_csum):
 * nothing in router/sr_*.c reads or writes a header field at an offset.
 * The offsets below stay for the tests, which predate the library and
 * build their frames by hand; each is defined from the library's
 * constants where it has one, and the accessors are the SDK's, so that
 * the router and its tests agree on one definition of the wire.
 * Addresses are in host byte order everywhere outside the wire: an IPv4
 * address is a uint32_t such as 0xc0a80201 for 192.168.2.1, a MAC address
 * is 6 bytes.
 */
#ifndef SR_PROTO_H
#define SR_PROTO_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/byteorder.h"
#include "plexus/packet.h"

/* Longest interface name, NUL included (VNS names have 16 bytes). */
#define SR_IFNAME_LEN 32

#define SR_ETH_ALEN      PX_ETH_ADDR_LEN
#define SR_ETH_HDR_LEN   PX_ETH_HDR_LEN
#define SR_ETHERTYPE_IP  PX_ETH_TYPE_IPV4
#define SR_ETHERTYPE_ARP PX_ETH_TYPE_ARP

/* Field offsets, for the tests (see above).  Ethernet II: */
#define SR_ETH_DST  0
#define SR_ETH_SRC  6
#define SR_ETH_TYPE 12

/* ARP for IPv4 over Ethernet (RFC 826), after the Ethernet header. */
#define SR_ARP_HTYPE       0
#define SR_ARP_PTYPE       2
#define SR_ARP_HLEN        4
#define SR_ARP_PLEN        5
#define SR_ARP_OP          6
#define SR_ARP_SHA         8
#define SR_ARP_TPA         24
#define SR_ARP_LEN         PX_ARP_LEN
#define SR_ARP_HTYPE_ETHER 1

/* IPv4 (RFC 791); options, if any, follow the 20 fixed bytes. */
#define SR_IP_VHL       0
#define SR_IP_LEN       2
#define SR_IP_OFF       6
#define SR_IP_TTL       8
#define SR_IP_PROTO     9
#define SR_IP_SUM       10
#define SR_IP_SRC       12
#define SR_IP_DST       16
#define SR_IP_HDR_LEN   PX_IPV4_HDR_LEN
#define SR_IP_MF        PX_IPV4_MF
#define SR_IPPROTO_ICMP PX_IP_PROTO_ICMP

/* ICMP (RFC 792). */
#define SR_ICMP_TYPE    0
#define SR_ICMP_CODE    1
#define SR_ICMP_HDR_LEN PX_ICMP_HDR_LEN

/* Big-endian fields at any alignment, and the internet checksum (0 over
 * data that holds a correct one): the SDK's, under the names the tests
 * use. */
#define sr_get16(p)         px_get_be16(p)
#define sr_get32(p)         px_get_be32(p)
#define sr_put16(p, v)      px_put_be16(p, v)
#define sr_put32(p, v)      px_put_be32(p, v)
#define sr_cksum(data, len) px_pkt_csum(data, len)

/* The IPv4 header's length in bytes, from its IHL field. */
static inline size_t
sr_ip_hlen(const uint8_t *ip)
{
    return (size_t)(ip[SR_IP_VHL] & 0x0f) * 4;
}

#endif /* sr_proto.h */
