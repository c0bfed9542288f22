/*
 * The SDK's packet library: parse and build the frames a controller sees
 * in a packet-in and sends in a packet-out.  Ethernet with up to two
 * 802.1Q / 802.1ad tags, ARP, IPv4 with options, IPv6 with its extension
 * headers skipped, ICMP, ICMPv6 with neighbor discovery, TCP, UDP and
 * LLDP; the Internet checksum and the pseudo-headers of TCP, UDP and
 * ICMPv6; MAC and IP addresses as text.
 *
 * Every function is pure: no allocation, no I/O, no global state.  The
 * functions live in libplexus.a.
 *
 * Parsing.  px_pkt_parse fills a struct px_pkt, a view of one frame: its
 * pointers (l3, l4, payload, options, LLDP values, ND link-layer
 * addresses) point into the caller's frame and are valid as long as it
 * is; nothing is copied but fixed-size fields.  The frame comes from a
 * switch, so it may be hostile: every length is checked before a byte is
 * read.  A frame shorter than an Ethernet header is EINVAL; anything
 * longer parses (returns 0), and each layer above Ethernet is marked in
 * 'layers' only when its whole header is in the frame and well-formed.  So
 * a frame cut short (a packet-in truncated to the switch's miss_send_len)
 * stops quietly at the last whole layer, and a layer that is not marked
 * has all-zero fields.
 *
 * Integers are in host byte order, IPv4 addresses included (0xc0000201
 * is 192.0.2.1); MAC and IPv6 addresses are byte arrays in wire order.
 *
 * Building.  The px_pkt_put_* functions write one layer at 'buf' of 'cap'
 * bytes and store its length in '*len'; a frame is built by calling them
 * in order, outermost first, each at the end of the last.  They return 0,
 * or, having written nothing and stored 0 in '*len':
 *   EINVAL  the arguments cannot be expressed on the wire (an option
 *           length that is not a multiple of 4, a length over 65535, a
 *           name over 255 bytes, a NULL 'buf' with a nonzero 'cap'), so
 *           no buffer would do;
 *   ENOSPC  the layer is well-formed but does not fit in 'cap'.
 * They take the parsed structs as input, so a parsed layer can be written
 * back; fields that are computed (lengths, checksums) are ignored on
 * input.  Data arguments may already be where the builder puts them
 * (then they are not copied) and may be NULL when their length is 0.
 * Checksums are computed as each layer is written, over the data it
 * carries: the TCP, UDP and ICMPv6 builders take the sum of their IP
 * addresses (px_pkt_pseudo_ipv4 or px_pkt_pseudo_ipv6) for the
 * pseudo-header.  A layer whose length is known only once it is written
 * (an ICMP error's quote) can be written first, past the room its
 * headers take, and the headers after it.
 */
#ifndef PLEXUS_PACKET_H
#define PLEXUS_PACKET_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ethernet. */
#define PX_ETH_ADDR_LEN  6
#define PX_ETH_HDR_LEN   14 /* Without tags. */
#define PX_ETH_MIN_LEN   60 /* Shortest frame on the wire, FCS excluded. */
#define PX_VLAN_HDR_LEN  4
#define PX_PKT_MAX_VLANS 2

/* Ethertypes. */
#define PX_ETH_TYPE_IPV4 0x0800
#define PX_ETH_TYPE_ARP  0x0806
#define PX_ETH_TYPE_VLAN 0x8100 /* 802.1Q customer tag. */
#define PX_ETH_TYPE_QINQ 0x88a8 /* 802.1ad service tag. */
#define PX_ETH_TYPE_IPV6 0x86dd
#define PX_ETH_TYPE_LLDP 0x88cc

/* A tag's TCI: priority, drop eligibility, VLAN id. */
#define PX_VLAN_VID_MASK  0x0fff
#define PX_VLAN_DEI       0x1000
#define PX_VLAN_PCP_SHIFT 13

/* IP protocols and IPv6 next headers. */
#define PX_IP_PROTO_HOPOPTS  0
#define PX_IP_PROTO_ICMP     1
#define PX_IP_PROTO_TCP      6
#define PX_IP_PROTO_UDP      17
#define PX_IP_PROTO_ROUTING  43
#define PX_IP_PROTO_FRAGMENT 44
#define PX_IP_PROTO_ESP      50
#define PX_IP_PROTO_AH       51
#define PX_IP_PROTO_ICMPV6   58
#define PX_IP_PROTO_NONE     59
#define PX_IP_PROTO_DSTOPTS  60

/* IPv4. */
#define PX_IPV4_HDR_LEN     20 /* Without options. */
#define PX_IPV4_MAX_OPTIONS 40
#define PX_IPV4_DF          0x4000 /* In px_pkt_ipv4.frag. */
#define PX_IPV4_MF          0x2000
#define PX_IPV4_OFFMASK     0x1fff /* Fragment offset, in 8-byte units. */

/* IPv6.  Extension headers are skipped up to this many; a packet with
 * more has no L4 as far as this library is concerned. */
#define PX_IPV6_HDR_LEN  40
#define PX_IPV6_ADDR_LEN 16
#define PX_IPV6_MAX_EXT  8

/* ARP (Ethernet and IPv4 only). */
#define PX_ARP_LEN     28
#define PX_ARP_REQUEST 1
#define PX_ARP_REPLY   2

/* ICMP types. */
#define PX_ICMP_ECHO_REPLY    0
#define PX_ICMP_DEST_UNREACH  3
#define PX_ICMP_ECHO_REQUEST  8
#define PX_ICMP_TIME_EXCEEDED 11
#define PX_ICMP_HDR_LEN       8 /* Type, code, checksum and one word. */

/* ICMPv6 types. */
#define PX_ICMPV6_DEST_UNREACH   1
#define PX_ICMPV6_PACKET_TOO_BIG 2
#define PX_ICMPV6_TIME_EXCEEDED  3
#define PX_ICMPV6_ECHO_REQUEST   128
#define PX_ICMPV6_ECHO_REPLY     129
#define PX_ICMPV6_ND_RS          133
#define PX_ICMPV6_ND_RA          134
#define PX_ICMPV6_ND_NS          135
#define PX_ICMPV6_ND_NA          136
#define PX_ICMPV6_ND_REDIRECT    137

/* Neighbor advertisement flags (px_pkt_nd.flags) and ND options. */
#define PX_ND_ROUTER    0x80
#define PX_ND_SOLICITED 0x40
#define PX_ND_OVERRIDE  0x20
#define PX_ND_OPT_SLL   1  /* Source link-layer address. */
#define PX_ND_OPT_TLL   2  /* Target link-layer address. */
#define PX_ND_LEN       24 /* An NS or NA without options. */

/* TCP flags (px_pkt_tcp.flags). */
#define PX_TCP_FIN         0x001
#define PX_TCP_SYN         0x002
#define PX_TCP_RST         0x004
#define PX_TCP_PSH         0x008
#define PX_TCP_ACK         0x010
#define PX_TCP_URG         0x020
#define PX_TCP_ECE         0x040
#define PX_TCP_CWR         0x080
#define PX_TCP_NS          0x100
#define PX_TCP_HDR_LEN     20 /* Without options. */
#define PX_TCP_MAX_OPTIONS 40

#define PX_UDP_HDR_LEN 8

/* LLDP TLV types, and the nearest-bridge address frames go to. */
#define PX_LLDP_TLV_END       0
#define PX_LLDP_TLV_CHASSIS   1
#define PX_LLDP_TLV_PORT      2
#define PX_LLDP_TLV_TTL       3
#define PX_LLDP_TLV_PORT_DESC 4
#define PX_LLDP_TLV_SYS_NAME  5
#define PX_LLDP_TLV_ORG       127
#define PX_LLDP_MAX_ID        255 /* Longest chassis or port id, name. */
#define PX_LLDP_DST                                                           \
    {                                                                         \
        0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e                                    \
    }

/* Room for an address as text, NUL included. */
#define PX_PKT_MAC_STRLEN  18 /* "00:00:5e:00:53:01" */
#define PX_PKT_IPV4_STRLEN 16 /* "255.255.255.255" */
#define PX_PKT_IPV6_STRLEN 46 /* INET6_ADDRSTRLEN */

/* What px_pkt_parse recognised, in px_pkt.layers.  Ethernet always is. */
enum px_pkt_layer {
    PX_PKT_ARP = 1 << 0,    /* Ethernet/IPv4 ARP: 'arp'. */
    PX_PKT_IPV4 = 1 << 1,   /* 'ipv4'. */
    PX_PKT_IPV6 = 1 << 2,   /* 'ipv6'. */
    PX_PKT_LLDP = 1 << 3,   /* Its three mandatory TLVs: 'lldp'. */
    PX_PKT_ICMP = 1 << 4,   /* ICMP in IPv4: 'icmp'. */
    PX_PKT_ICMPV6 = 1 << 5, /* ICMPv6 in IPv6: 'icmp'. */
    PX_PKT_TCP = 1 << 6,    /* 'tcp', options included. */
    PX_PKT_UDP = 1 << 7,    /* 'udp'. */
    PX_PKT_ND = 1 << 8,     /* An ICMPv6 NS or NA: 'nd'. */
    /* An IPv4 or IPv6 fragment: MF set or a nonzero offset.  Only the
     * first fragment (offset 0) has an L4. */
    PX_PKT_FRAGMENT = 1 << 9,
    /* The IP header claims more bytes than the frame holds: its L4 is
     * there in part, and its checksum cannot be verified. */
    PX_PKT_TRUNCATED = 1 << 10,
};

struct px_pkt_vlan {
    uint16_t tpid; /* PX_ETH_TYPE_VLAN or _QINQ; 0 is written as _VLAN. */
    uint16_t tci;
};

struct px_pkt_eth {
    uint8_t dst[PX_ETH_ADDR_LEN];
    uint8_t src[PX_ETH_ADDR_LEN];
    /* Tags, outermost first.  A third tag is not parsed: 'type' is then
     * its TPID, and nothing above is. */
    struct px_pkt_vlan vlans[PX_PKT_MAX_VLANS];
    uint8_t n_vlans;
    /* The ethertype after the tags; below 0x0600, an 802.3 length. */
    uint16_t type;
};

struct px_pkt_arp {
    uint16_t op; /* PX_ARP_REQUEST, PX_ARP_REPLY. */
    uint8_t sha[PX_ETH_ADDR_LEN];
    uint32_t spa;
    uint8_t tha[PX_ETH_ADDR_LEN];
    uint32_t tpa;
};

struct px_pkt_ipv4 {
    uint8_t hdr_len; /* Bytes, options included (computed). */
    uint8_t tos;
    uint16_t total_len; /* As the header says (computed). */
    uint16_t id;
    uint16_t frag; /* PX_IPV4_DF, _MF and the offset, as on the wire. */
    uint8_t ttl;
    uint8_t proto;
    uint16_t csum; /* As the header says (computed). */
    uint32_t src;
    uint32_t dst;
    const uint8_t *options; /* NULL when there are none. */
    size_t options_len;     /* A multiple of 4, at most 40. */
};

struct px_pkt_ipv6 {
    uint8_t tclass;
    uint32_t flow_label;  /* 20 bits. */
    uint16_t payload_len; /* As the header says (computed). */
    /* The fixed header's: the first extension header, or the L4. */
    uint8_t next_header;
    uint8_t hop_limit;
    uint8_t src[PX_IPV6_ADDR_LEN];
    uint8_t dst[PX_IPV6_ADDR_LEN];
    /* Parsed only: extension headers skipped, and the fragment header's
     * offset (8-byte units), M flag and identification, when there is
     * one. */
    uint8_t n_ext;
    uint16_t frag_off;
    bool frag_more;
    uint32_t frag_id;
};

/* ICMP and ICMPv6 alike. */
struct px_pkt_icmp {
    uint8_t type;
    uint8_t code;
    uint16_t csum; /* As the message says (computed). */
    /* The header's second word: an echo's identifier and sequence
     * number; other messages put other things there ("fragmentation
     * needed" its next-hop MTU in 'seq'). */
    uint16_t id;
    uint16_t seq;
};

/* An ICMPv6 neighbor solicitation or advertisement (RFC 4861).  The
 * parser does not check the hop limit of 255 that RFC 4861 requires of
 * them: see px_pkt_ipv6.hop_limit. */
struct px_pkt_nd {
    uint8_t target[PX_IPV6_ADDR_LEN];
    uint8_t flags; /* NA: PX_ND_ROUTER, _SOLICITED, _OVERRIDE.  NS: 0. */
    /* The first Ethernet source and target link-layer address options
     * (6 bytes each), or NULL. */
    const uint8_t *sll;
    const uint8_t *tll;
};

struct px_pkt_tcp {
    uint16_t sport;
    uint16_t dport;
    uint32_t seq;
    uint32_t ack;
    uint8_t hdr_len; /* Bytes, options included (computed). */
    /* The 12 bits after the data offset: PX_TCP_* and 3 reserved. */
    uint16_t flags;
    uint16_t window;
    uint16_t csum; /* As the segment says (computed). */
    uint16_t urg;
    const uint8_t *options; /* NULL when there are none. */
    size_t options_len;     /* A multiple of 4, at most 40. */
};

struct px_pkt_udp {
    uint16_t sport;
    uint16_t dport;
    uint16_t len;  /* As the header says, header included (computed). */
    uint16_t csum; /* As the header says (computed). */
};

/* The LLDPDU's mandatory TLVs and its system name (IEEE 802.1AB).  Ids
 * are 1 to 255 bytes; their meaning depends on the subtype (4: a MAC
 * address, 7: locally assigned text...). */
struct px_pkt_lldp {
    uint8_t chassis_subtype;
    const uint8_t *chassis_id;
    size_t chassis_id_len;
    uint8_t port_subtype;
    const uint8_t *port_id;
    size_t port_id_len;
    uint16_t ttl; /* Seconds. */
    /* The first system name TLV, or NULL (it may be empty). */
    const uint8_t *sys_name;
    size_t sys_name_len;
};

/* A parsed frame.  Each protocol's fields are valid when its bit is set
 * in 'layers' and zero otherwise. */
struct px_pkt {
    unsigned int layers; /* enum px_pkt_layer bits. */
    const uint8_t *frame;
    size_t len;
    struct px_pkt_eth eth;

    /* Where the L3 starts (after the tags) and its length: for IPv4 and
     * IPv6 what the header gives, Ethernet padding excluded, or less when
     * the frame is truncated; otherwise the rest of the frame. */
    const uint8_t *l3;
    size_t l3_len;
    /* Where the IP payload starts (after IPv6 extension headers) and its
     * length within l3_len; NULL for a non-IP frame, a non-first fragment,
     * and IPv6 whose extension headers could not all be skipped. */
    const uint8_t *l4;
    size_t l4_len;
    /* IPv4's protocol, or IPv6's last next header reached: the L4's
     * protocol when 'l4' is set, else the header where skipping stopped. */
    uint8_t ip_proto;
    /* After the TCP header (options included), the UDP header (up to its
     * length) or ICMP's 8 bytes; NULL without one of them. */
    const uint8_t *payload;
    size_t payload_len;

    struct px_pkt_arp arp;
    struct px_pkt_ipv4 ipv4;
    struct px_pkt_ipv6 ipv6;
    struct px_pkt_icmp icmp;
    struct px_pkt_nd nd;
    struct px_pkt_tcp tcp;
    struct px_pkt_udp udp;
    struct px_pkt_lldp lldp;
};

/* Parses the 'len' bytes of 'frame' into 'pkt'.  Returns 0, or EINVAL
 * (with 'pkt' zeroed) when 'frame' is NULL or shorter than 14 bytes.
 * What is recognised:
 *  - up to two tags, of TPID 0x8100 or 0x88a8 in either place; a tag cut
 *    off by the end of the frame is not counted (its TPID is 'type');
 *  - ARP of Ethernet and IPv4 addresses (28 bytes);
 *  - IPv4 of version 4 with a header length of 20 to 60 bytes, within
 *    the frame and the total length;
 *  - IPv6 of version 6; hop-by-hop (first only), routing, fragment,
 *    destination options and AH headers are skipped, up to
 *    PX_IPV6_MAX_EXT of them, each wholly in the packet;
 *  - ICMP and ICMPv6 of at least 8 bytes, in IPv4 and IPv6 respectively;
 *    an NS or NA of code 0 and 24 bytes or more whose options all have a
 *    nonzero length and end within the message (within the frame when it
 *    is truncated);
 *  - TCP whose header length is 20 bytes or more, all in the frame;
 *  - UDP with a length of 8 or more, within the IP payload (unless the
 *    frame is truncated);
 *  - LLDP whose first TLVs are a chassis id, a port id and a TTL; a TLV
 *    after them that runs past the frame ends the search for the system
 *    name, and so does the End TLV.
 * Checksums are not checked: see px_pkt_ipv4_csum_ok, px_pkt_l4_csum_ok. */
int px_pkt_parse(const void *frame, size_t len, struct px_pkt *pkt);

/* Parses the 'len' bytes of an IPv4 or IPv6 packet that has no Ethernet
 * header (one quoted in an ICMP error, one a router passes between its
 * modules) into 'pkt', as px_pkt_parse parses what follows an Ethernet
 * header: the version picks the protocol, and 'frame' and 'l3' are
 * 'packet'.  'eth' stays zero.  Returns 0, or EINVAL (with 'pkt' zeroed)
 * when 'packet' is NULL or 'len' is 0. */
int px_pkt_parse_ip(const void *packet, size_t len, struct px_pkt *pkt);

/* The destination and source addresses of the Ethernet frame of 'len'
 * bytes at 'frame', for a caller that reads nothing else on a hot path (a
 * learning switch): neither a copy nor a parse, and not even a test of
 * 'frame' against NULL (it may be NULL only when 'len' is 0).  Returns
 * false, storing nothing, when the frame is shorter than an Ethernet
 * header. */
static inline bool
px_pkt_eth_addrs(const void *frame, size_t len, const uint8_t **dst,
                 const uint8_t **src)
{
    if (len < PX_ETH_HDR_LEN) {
        return false;
    }
    *dst = (const uint8_t *)frame;
    *src = (const uint8_t *)frame + PX_ETH_ADDR_LEN;
    return true;
}

/* Whether the frame's ethertype, after up to two tags, is LLDP's: a cheap
 * test before a full parse, true also for LLDP that px_pkt_parse would not
 * mark. */
bool px_pkt_is_lldp(const void *frame, size_t len);

/* The TLVs of a parsed LLDPDU, in order, from the chassis id to the End
 * TLV (not returned) or the last TLV wholly in the frame. */
struct px_pkt_lldp_iter {
    const uint8_t *p;
    size_t left;
};

struct px_pkt_lldp_tlv {
    uint8_t type;         /* 7 bits. */
    uint16_t len;         /* 9 bits. */
    const uint8_t *value; /* In the frame. */
};

/* Starts an iteration; over nothing unless 'pkt' has PX_PKT_LLDP. */
void px_pkt_lldp_iter_init(struct px_pkt_lldp_iter *it,
                           const struct px_pkt *pkt);
/* Stores the next TLV in '*tlv' and returns true, or returns false at the
 * end. */
bool px_pkt_lldp_next(struct px_pkt_lldp_iter *it,
                      struct px_pkt_lldp_tlv *tlv);

/* Builders: see the header comment for what they return. */

/* The Ethernet header, with eth->n_vlans (at most 2) tags: 14 to 22
 * bytes. */
int px_pkt_put_eth(void *buf, size_t cap, const struct px_pkt_eth *eth,
                   size_t *len);
/* An Ethernet/IPv4 ARP body: 28 bytes. */
int px_pkt_put_arp(void *buf, size_t cap, const struct px_pkt_arp *arp,
                   size_t *len);
/* An IPv4 header and its options, for 'payload_len' bytes that follow;
 * the header's checksum is computed. */
int px_pkt_put_ipv4(void *buf, size_t cap, const struct px_pkt_ipv4 *ip,
                    size_t payload_len, size_t *len);
/* An IPv6 header (40 bytes), for 'payload_len' bytes that follow. */
int px_pkt_put_ipv6(void *buf, size_t cap, const struct px_pkt_ipv6 *ip,
                    size_t payload_len, size_t *len);
/* An ICMP message: the 8-byte header from 'icmp' and 'data' (an echo's
 * data, say). */
int px_pkt_put_icmp(void *buf, size_t cap, const struct px_pkt_icmp *icmp,
                    const void *data, size_t data_len, size_t *len);
/* An ICMP error about the IPv4 packet 'orig' of which 'orig_len' bytes
 * are at hand (from its header on): 'type' and 'code' (destination
 * unreachable, time exceeded...), 'rest' as the second word (0, or the
 * next-hop MTU for "fragmentation needed"), and, as RFC 792 asks, the
 * original's header and its first 8 bytes of data, or what there is of
 * them within its total length.  'orig' must start with a whole IPv4
 * header, or EINVAL. */
int px_pkt_put_icmp_error(void *buf, size_t cap, uint8_t type, uint8_t code,
                          uint32_t rest, const void *orig, size_t orig_len,
                          size_t *len);
/* An ICMPv6 message: as px_pkt_put_icmp, with the checksum over the
 * pseudo-header of 'pseudo' (px_pkt_pseudo_ipv6). */
int px_pkt_put_icmpv6(void *buf, size_t cap, const struct px_pkt_icmp *icmp,
                      const void *data, size_t data_len, uint32_t pseudo,
                      size_t *len);
/* A neighbor solicitation or advertisement ('type' PX_ICMPV6_ND_NS or
 * _NA, else EINVAL): nd->flags (for an NA), the target, then a source
 * link-layer address option when nd->sll is set and a target one when
 * nd->tll is. */
int px_pkt_put_nd(void *buf, size_t cap, uint8_t type,
                  const struct px_pkt_nd *nd, uint32_t pseudo, size_t *len);
/* A TCP header, its options and 'data'; the checksum over the
 * pseudo-header of 'pseudo'. */
int px_pkt_put_tcp(void *buf, size_t cap, const struct px_pkt_tcp *tcp,
                   const void *data, size_t data_len, uint32_t pseudo,
                   size_t *len);
/* A UDP header and 'data'; the checksum over the pseudo-header of
 * 'pseudo' (a computed 0 is sent as 0xffff, since 0 means none). */
int px_pkt_put_udp(void *buf, size_t cap, const struct px_pkt_udp *udp,
                   const void *data, size_t data_len, uint32_t pseudo,
                   size_t *len);
/* One LLDP TLV: 'type' up to 127, 'value_len' up to 511. */
int px_pkt_put_lldp_tlv(void *buf, size_t cap, uint8_t type, const void *value,
                        size_t value_len, size_t *len);
/* A whole LLDP frame from 'src' to PX_LLDP_DST: chassis id, port id, TTL,
 * system name when lldp->sys_name is set, End.  Ids must be 1 to 255
 * bytes, the name at most 255. */
int px_pkt_build_lldp(void *buf, size_t cap, const uint8_t *src,
                      const struct px_pkt_lldp *lldp, size_t *len);
/* Pads the frame of '*len' bytes in 'buf' with zeros to PX_ETH_MIN_LEN,
 * if shorter, and updates '*len'; ENOSPC (nothing done) when 'cap' is
 * less. */
int px_pkt_pad(void *buf, size_t cap, size_t *len);

/* Checksums (RFC 1071).  px_pkt_csum_add adds 'len' bytes to a partial
 * sum, as 16-bit big-endian words (an odd last byte padded with zero), so
 * each piece but the last must have an even length.  px_pkt_csum_finish
 * folds a sum and complements it: the value to store in a header. */
uint32_t px_pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t px_pkt_csum_finish(uint32_t sum);
/* The checksum of 'len' bytes; 0 when they include a correct checksum. */
uint16_t px_pkt_csum(const void *data, size_t len);
/* The partial sums of a pseudo-header's addresses; the builders and
 * verifiers add the protocol and the length. */
uint32_t px_pkt_pseudo_ipv4(uint32_t src, uint32_t dst);
uint32_t px_pkt_pseudo_ipv6(const uint8_t *src, const uint8_t *dst);
/* Whether 'pkt' is IPv4 with a correct header checksum. */
bool px_pkt_ipv4_csum_ok(const struct px_pkt *pkt);
/* Whether 'pkt' has TCP, UDP, ICMP or ICMPv6, neither truncated nor a
 * fragment, with a correct checksum (UDP in IPv4 may have none: 0).  IPv6 with
 * a routing header is checked against its destination field, not its final
 * destination. */
bool px_pkt_l4_csum_ok(const struct px_pkt *pkt);

/* Addresses as text in 'buf' of 'size' bytes (cut to fit, always
 * terminated when 'size' is not 0); each returns 'buf'. */
char *px_pkt_format_mac(const uint8_t *mac, char *buf, size_t size);
char *px_pkt_format_ipv4(uint32_t addr, char *buf, size_t size);
char *px_pkt_format_ipv6(const uint8_t *addr, char *buf, size_t size);

/* Room for a summary: any frame's but LLDP with long names and IPv6 with
 * long addresses fits whole. */
#define PX_PKT_SUMMARY_LEN 256

/* A one-line, tcpdump-like summary of the frame 'pkt' parsed (for a log,
 * a console), in 'buf' of 'size' bytes: cut to fit, always terminated
 * when 'size' is not 0, printable ASCII only (names from the wire are
 * written in hex unless printable).  Returns its length, at most 'size'
 * - 1.  The most specific layer is named first, then addresses, what the
 * layer says, and for IP the TTL or hop limit, fragmentation and
 * truncation:
 *   ARP who-has 10.0.1.1 tell 10.0.1.100
 *   ARP 10.0.1.1 is-at ba:c1:3f:4e:f9:62
 *   ICMP 10.0.1.100 > 192.168.2.2 echo request id 29799 seq 1 ttl 64
 *   ICMP 10.0.1.1 > 10.0.1.100 time exceeded
 *       [UDP 10.0.1.100:35899 > 172.64.3.10:33434] ttl 64  (the quote)
 *   TCP 10.0.1.100:46656 > 192.168.2.2:80 [S] seq 516505471 len 0 ttl 64
 *       (flags as tcpdump's: F S R P, '.' for ACK, U E W)
 *   UDP 10.0.1.100:35899 > 172.64.3.10:33434 len 32 ttl 1
 *   ICMPv6 2001:db8::1 > ff02::1:ff00:2 neighbor solicitation who-has
 *       2001:db8::2 hlim 255
 *   LLDP chassis 00:00:5e:00:53:01 port eth0 ttl 120 system switch1
 *   vlan 100 p 5 UDP ... / ethertype 0x88b5 len 60 / IPv4 truncated (8 bytes)
 * A frame refused by px_pkt_parse (shorter than 14 bytes) is "truncated
 * frame". */
size_t px_pkt_summary(const struct px_pkt *pkt, char *buf, size_t size);

static inline bool
px_pkt_mac_is_multicast(const uint8_t *mac)
{
    return mac[0] & 1; /* Broadcast included. */
}

static inline bool
px_pkt_mac_is_broadcast(const uint8_t *mac)
{
    return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_PACKET_H */
