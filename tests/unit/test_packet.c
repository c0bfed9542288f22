/*
 * Unit tests of the SDK's packet library (libplexus.a: plexus/packet.h):
 * each parser on frames of each kind, every truncation of every frame
 * (each prefix in an allocation of exactly its size, so that ASan catches
 * a read past it), the builders writing those frames byte for byte,
 * their ENOSPC and EINVAL refusals, malformed headers, the IPv6
 * extension-header limit, checksums (RFC 1071's example, a known IPv4
 * header, every fixture's), addresses as text and one-line summaries.
 *
 * The fixtures were built byte by byte (IPv4 addresses from 192.0.2.0/24
 * and 198.51.100.0/24, IPv6 from 2001:db8::/32, MACs from 00:00:5e:00:53:xx,
 * all documentation ranges) and checked with an independent decoder:
 * written to a pcap and read by tshark 4.0.17 with IP, TCP and UDP checksum
 * validation on, which decodes each as its name says and reports every
 * IPv4, TCP, UDP, ICMP and ICMPv6 checksum good.  The FIX_LAB_* frames
 * were captured in the Mininet router lab instead, and each is checked
 * field by field against tshark's decoding of it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hexfix.h"
#include "plexus/byteorder.h"
#include "plexus/packet.h"

/* Addresses of the fixtures. */
static const uint8_t mac_a[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x01};
static const uint8_t mac_b[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0x02};
static const uint8_t mac_r[6] = {0x00, 0x00, 0x5e, 0x00, 0x53, 0xfe};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define IP_A 0xc0000201u /* 192.0.2.1 */
#define IP_B 0xc0000202u
#define IP_R 0xc00002feu
#define IP_C 0xc6336407u /* 198.51.100.7 */
static const uint8_t ip6_a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                  0,    0,    0,    0,    0, 0, 0, 1};
static const uint8_t ip6_b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                  0,    0,    0,    0,    0, 0, 0, 2};
/* ff02::1:ff00:2, the solicited-node group of 2001:db8::2. */
static const uint8_t ip6_sn[16] = {0xff, 0x02, 0, 0, 0,    0, 0, 0,
                                   0,    0,    0, 1, 0xff, 0, 0, 2};

/* The fixtures, as tshark summarises them:
 *   ARP_REQUEST        who has 192.0.2.2? tell 192.0.2.1 (padded to 60)
 *   ARP_REPLY          192.0.2.2 is at 00:00:5e:00:53:02 (42 bytes)
 *   IPV4_TCP_OPTIONS   IPv4 with Router Alert; TCP 49152 > 80 SYN, MSS
 *                      1460, SACK_PERM, TSval 123456, NOP, WS 128
 *   IPV4_UDP_DNS       DNS query A example.com, 192.0.2.1 > 198.51.100.7
 *   IPV4_UDP_PADDED    UDP 40000 > 9, "ping", padded to 60
 *   ICMP_ECHO_*        ping id 0x0b1d seq 1, 32 bytes, and its reply
 *   ICMP_PORT_UNREACHABLE  about IPV4_UDP_PADDED (header + 8 bytes)
 *   ICMP_TIME_EXCEEDED     from 192.0.2.254, about ICMP_ECHO_REQUEST
 *   IPV4_FRAG_FIRST    UDP, MF set, offset 0; IPV4_FRAG_LATER offset 40
 *   IPV6_HBH_FRAG_TCP  hop-by-hop (PadN), fragment header (offset 0, M
 *                      clear, id 0xdeadbeef), TCP 49153 > 443 PSH ACK
 *                      "hello\n"
 *   IPV6_FRAG_LATER    fragment offset 1480, UDP
 *   IPV6_UDP_DNS       the DNS query over IPv6
 *   ICMPV6_NS          NS for 2001:db8::2 from 00:00:5e:00:53:01 (SLL)
 *   ICMPV6_NA          NA 2001:db8::2 (sol, ovr) is at 00:00:5e:00:53:02
 *   ICMPV6_ECHO_REQUEST  id 0x1d2e seq 7; ICMPV6_RS router solicitation
 *   VLAN_UDP           802.1Q PCP 5 VID 100, the IPv4 DNS query
 *   QINQ_ARP           802.1ad VID 200, 802.1Q VID 100, ARP request
 *   LLDP               chassis MAC 00:00:5e:00:53:01, port ifname eth0,
 *                      TTL 120, port description, system name switch1
 *   LLDP_BUILT         LLDP without the port description or padding
 */
#define FIX_ARP_REQUEST                                                       \
    "ffffffff ffff0000 5e005301 08060001 08000604 00010000 5e005301 "         \
    "c0000201 "                                                               \
    "00000000 0000c000 02020000 00000000 00000000 00000000 00000000"
#define FIX_ARP_REPLY                                                         \
    "00005e00 53010000 5e005302 08060001 08000604 00020000 5e005302 "         \
    "c0000202 "                                                               \
    "00005e00 5301c000 0201"
#define FIX_IPV4_TCP_OPTIONS                                                  \
    "00005e00 53020000 5e005301 08004600 00401c46 40004006 056ac000 "         \
    "0201c000 "                                                               \
    "02029404 0000c000 00501234 56780000 0000a002 faf0bdcc 00000204 "         \
    "05b40402 "                                                               \
    "080a0001 e2400000 00000103 0307"
#define FIX_IPV4_UDP_DNS                                                      \
    "00005e00 53020000 5e005301 08004500 00392a2a 00004011 644ec000 "         \
    "0201c633 "                                                               \
    "6407cf08 00350025 62881234 01000001 00000000 00000765 78616d70 "         \
    "6c650363 "                                                               \
    "6f6d0000 010001"
#define FIX_IPV4_UDP_PADDED                                                   \
    "00005e00 53020000 5e005301 08004500 00200102 00004011 f5c7c000 "         \
    "0201c000 "                                                               \
    "02029c40 0009000c 00b87069 6e670000 00000000 00000000 00000000"
#define FIX_ICMP_ECHO_REQUEST                                                 \
    "00005e00 53020000 5e005301 08004500 003c0001 00004001 f6bcc000 "         \
    "0201c000 "                                                               \
    "02020800 423e0b1d 00016162 63646566 6768696a 6b6c6d6e 6f707172 "         \
    "73747576 "                                                               \
    "77616263 64656667 6869"
#define FIX_ICMP_ECHO_REPLY                                                   \
    "00005e00 53010000 5e005302 08004500 003c0002 00004001 f6bbc000 "         \
    "0202c000 "                                                               \
    "02010000 4a3e0b1d 00016162 63646566 6768696a 6b6c6d6e 6f707172 "         \
    "73747576 "                                                               \
    "77616263 64656667 6869"
#define FIX_ICMP_PORT_UNREACHABLE                                             \
    "00005e00 53010000 5e005302 08004500 00380003 00004001 f6bec000 "         \
    "0202c000 "                                                               \
    "02010303 5fef0000 00004500 00200102 00004011 f5c7c000 0201c000 "         \
    "02029c40 "                                                               \
    "0009000c 00b8"
#define FIX_ICMP_TIME_EXCEEDED                                                \
    "00005e00 53010000 5e0053fe 08004500 00380004 00004001 f5c1c000 "         \
    "02fec000 "                                                               \
    "02010b00 9fa30000 00004500 003c0001 00004001 f6bcc000 0201c000 "         \
    "02020800 "                                                               \
    "423e0b1d 0001"
#define FIX_IPV4_FRAG_FIRST                                                   \
    "00005e00 53020000 5e005301 08004500 003c5555 20004011 8158c000 "         \
    "0201c000 "                                                               \
    "02029c41 00070028 ee500001 02030405 06070809 0a0b0c0d 0e0f1011 "         \
    "12131415 "                                                               \
    "16171819 1a1b1c1d 1e1f"
#define FIX_IPV4_FRAG_LATER                                                   \
    "00005e00 53020000 5e005301 08004500 00245555 00054011 a16bc000 "         \
    "0201c000 "                                                               \
    "02022021 22232425 26272829 2a2b2c2d 2e2f"
#define FIX_IPV6_HBH_FRAG_TCP                                                 \
    "00005e00 53020000 5e005301 86dd6000 0000002a 00402001 0db80000 "         \
    "00000000 "                                                               \
    "00000000 00012001 0db80000 00000000 00000000 00022c00 01040000 "         \
    "00000600 "                                                               \
    "0000dead beefc001 01bb0000 00010000 00015018 01f64cc1 00006865 6c6c6f0a"
#define FIX_IPV6_FRAG_LATER                                                   \
    "00005e00 53020000 5e005301 86dd6000 00000018 2c402001 0db80000 "         \
    "00000000 "                                                               \
    "00000000 00012001 0db80000 00000000 00000000 00021100 05c8dead "         \
    "beef0001 "                                                               \
    "02030405 06070809 0a0b0c0d 0e0f"
#define FIX_IPV6_UDP_DNS                                                      \
    "00005e00 53020000 5e005301 86dd6000 00000025 11402001 0db80000 "         \
    "00000000 "                                                               \
    "00000000 00012001 0db80000 00000000 00000000 0002cf09 00350025 "         \
    "f34e1234 "                                                               \
    "01000001 00000000 00000765 78616d70 6c650363 6f6d0000 010001"
#define FIX_ICMPV6_NS                                                         \
    "3333ff00 00020000 5e005301 86dd6000 00000020 3aff2001 0db80000 "         \
    "00000000 "                                                               \
    "00000000 0001ff02 00000000 00000000 0001ff00 00028700 6d260000 "         \
    "00002001 "                                                               \
    "0db80000 00000000 00000000 00020101 00005e00 5301"
#define FIX_ICMPV6_NA                                                         \
    "00005e00 53010000 5e005302 86dd6000 00000020 3aff2001 0db80000 "         \
    "00000000 "                                                               \
    "00000000 00022001 0db80000 00000000 00000000 00018800 db706000 "         \
    "00002001 "                                                               \
    "0db80000 00000000 00000000 00020201 00005e00 5302"
#define FIX_ICMPV6_ECHO_REQUEST                                               \
    "00005e00 53020000 5e005301 86dd6000 00000010 3a402001 0db80000 "         \
    "00000000 "                                                               \
    "00000000 00012001 0db80000 00000000 00000000 00028000 fafa1d2e "         \
    "00070001 "                                                               \
    "02030405 0607"
#define FIX_ICMPV6_RS                                                         \
    "33330000 00020000 5e005301 86dd6000 00000010 3afffe80 00000000 "         \
    "00000200 "                                                               \
    "5efffe00 5301ff02 00000000 00000000 00000000 00028500 192b0000 "         \
    "00000101 "                                                               \
    "00005e00 5301"
#define FIX_VLAN_UDP                                                          \
    "00005e00 53020000 5e005301 8100a064 08004500 00392a2b 00004011 "         \
    "644dc000 "                                                               \
    "0201c633 6407cf08 00350025 62881234 01000001 00000000 00000765 "         \
    "78616d70 "                                                               \
    "6c650363 6f6d0000 010001"
#define FIX_QINQ_ARP                                                          \
    "ffffffff ffff0000 5e005301 88a800c8 81000064 08060001 08000604 "         \
    "00010000 "                                                               \
    "5e005301 c0000201 00000000 0000c000 02020000 00000000 00000000 00000000"
#define FIX_LLDP                                                              \
    "0180c200 000e0000 5e005301 88cc0207 0400005e 00530104 05056574 "         \
    "68300602 "                                                               \
    "00780806 75706c69 6e6b0a07 73776974 63683100 00000000 00000000"
#define FIX_LLDP_BUILT                                                        \
    "0180c200 000e0000 5e005301 88cc0207 0400005e 00530104 05056574 "         \
    "68300602 "                                                               \
    "00780a07 73776974 63683100 00"

/* Frames captured in the router lab (tests/e2e/lab.py: Mininet and Open
 * vSwitch, plexusd with openflow, vns_server and logger, router/sr doing
 * the routing) by the logger's pcap of every packet-in and packet-out,
 * while the client pinged, ran traceroute (UDP) and fetched a page over
 * HTTP: as the switch punted them or router/sr sent them.  Each was read
 * by tshark 4.0.17 -V with IPv4, TCP and UDP checksum validation on; the
 * comment above each summarises what it printed, and the test_lab_*
 * tests assert the same of px_pkt_parse (and of px_pkt_parse_ip for the
 * datagrams ICMP errors quote).  The lab's veths have random MACs: the
 * client 10.0.1.100 is 1e:27:54:07:82:d7 and the router's eth3 10.0.1.1
 * (its switch port) ba:c1:3f:4e:f9:62. */

/* tshark: Ethernet II, Src 1e:27:54:07:82:d7, Dst Broadcast, Type ARP;
 * ARP request: hardware Ethernet (1), protocol IPv4, sizes 6 and 4,
 * opcode 1, sender 1e:27:54:07:82:d7 10.0.1.100, target
 * 00:00:00:00:00:00 10.0.1.1 (the client asks for its gateway; 42 bytes,
 * no padding on the veth). */
#define FIX_LAB_ARP_REQUEST                                                   \
    "ffffffff ffff1e27 540782d7 08060001 08000604 00011e27 540782d7 "         \
    "0a000164 00000000 00000a00 0101"
/* tshark: Src ba:c1:3f:4e:f9:62, Dst 1e:27:54:07:82:d7, ARP reply
 * (opcode 2): 10.0.1.1 is at ba:c1:3f:4e:f9:62, to 1e:27:54:07:82:d7
 * 10.0.1.100 (router/sr's answer, sent as a packet-out). */
#define FIX_LAB_ARP_REPLY                                                     \
    "1e275407 82d7bac1 3f4ef962 08060001 08000604 0002bac1 3f4ef962 "         \
    "0a000101 1e275407 82d70a00 0164"
/* tshark: IPv4 10.0.1.100 > 192.168.2.2, header 20 bytes, DSCP 0, total
 * length 84, id 0x7494, flags 0x2 (DF), offset 0, TTL 64, protocol ICMP,
 * header checksum 0xf806 [correct]; ICMP type 8 code 0, checksum 0xd5df
 * [correct], identifier (BE) 0x7467, sequence (BE) 1, an 8-byte timestamp
 * and 48 data bytes (56 after the ICMP header). */
#define FIX_LAB_ECHO_REQUEST                                                  \
    "bac13f4e f9621e27 540782d7 08004500 00547494 40004001 f8060a00 "         \
    "0164c0a8 02020800 d5df7467 0001e705 146b0000 0000e673 0d000000 "         \
    "00001011 12131415 16171819 1a1b1c1d 1e1f2021 22232425 26272829 "         \
    "2a2b2c2d 2e2f3031 32333435 3637"
/* tshark: IPv4 192.168.2.2 > 10.0.1.100, total length 84, id 0x61af,
 * flags 0x0, TTL 63 (forwarded by router/sr), checksum 0x4bec [correct];
 * ICMP type 0 code 0, checksum 0xdddf [correct], identifier 0x7467,
 * sequence 1, the request's 56 bytes echoed. */
#define FIX_LAB_ECHO_REPLY                                                    \
    "1e275407 82d7bac1 3f4ef962 08004500 005461af 00003f01 4becc0a8 "         \
    "02020a00 01640000 dddf7467 0001e705 146b0000 0000e673 0d000000 "         \
    "00001011 12131415 16171819 1a1b1c1d 1e1f2021 22232425 26272829 "         \
    "2a2b2c2d 2e2f3031 32333435 3637"
/* tshark: traceroute's first probe: IPv4 10.0.1.100 > 172.64.3.10, total
 * length 60, id 0xe4dd, flags 0x0, TTL 1, protocol UDP, checksum 0x1a26
 * [correct]; UDP 35899 > 33434, length 40, checksum 0x4115 [correct],
 * 32 payload bytes "@ABC...^_". */
#define FIX_LAB_UDP_PROBE                                                     \
    "bac13f4e f9621e27 540782d7 08004500 003ce4dd 00000111 1a260a00 "         \
    "0164ac40 030a8c3b 829a0028 41154041 42434445 46474849 4a4b4c4d "         \
    "4e4f5051 52535455 56575859 5a5b5c5d 5e5f"
/* tshark: IPv4 10.0.1.1 > 10.0.1.100, total length 56, id 0, flags 0x0,
 * TTL 64, checksum 0x6461 [correct]; ICMP type 11 (time-to-live exceeded)
 * code 0, checksum 0xa4ec [correct], unused 0; quoting LAB_UDP_PROBE's
 * IPv4 header (total length 60, id 0xe4dd, TTL 1, checksum 0x1a26
 * [correct]) and UDP header (35899 > 33434, length 40, checksum 0x4115
 * [unverified]: only 8 of its 40 bytes are quoted).  router/sr's. */
#define FIX_LAB_TIME_EXCEEDED                                                 \
    "1e275407 82d7bac1 3f4ef962 08004500 00380000 00004001 64610a00 "         \
    "01010a00 01640b00 a4ec0000 00004500 003ce4dd 00000111 1a260a00 "         \
    "0164ac40 030a8c3b 829a0028 4115"
/* tshark: IPv4 172.64.3.10 > 10.0.1.100, DSCP CS6 (0xc0), total length
 * 88, id 0xdaa6, flags 0x0, TTL 63, checksum 0xe590 [correct]; ICMP type
 * 3 code 3 (port unreachable), checksum 0xb7e4 [correct]; quoting all of
 * a probe (Linux quotes more than 8 bytes): IPv4 10.0.1.100 >
 * 172.64.3.10, total length 60, id 0x5607, TTL 1, checksum 0xa8fc
 * [correct], UDP 47710 > 33435, length 40, checksum 0x12f1 [correct]. */
#define FIX_LAB_PORT_UNREACHABLE                                              \
    "1e275407 82d7bac1 3f4ef962 080045c0 0058daa6 00003f01 e590ac40 "         \
    "030a0a00 01640303 b7e40000 00004500 003c5607 00000111 a8fc0a00 "         \
    "0164ac40 030aba5e 829b0028 12f14041 42434445 46474849 4a4b4c4d "         \
    "4e4f5051 52535455 56575859 5a5b5c5d 5e5f"
/* tshark: IPv4 10.0.1.100 > 192.168.2.2, total length 60, id 0x6186, DF,
 * TTL 64, checksum 0x0b28 [correct]; TCP 46656 > 80, sequence number
 * (raw) 516505471, acknowledgment 0, header 40 bytes, flags 0x002 (SYN),
 * window 42340, checksum 0x9588 [correct], urgent 0; options MSS 1460,
 * SACK permitted, timestamps 1388435304/0, NOP, window scale 9. */
#define FIX_LAB_TCP_SYN                                                       \
    "bac13f4e f9621e27 540782d7 08004500 003c6186 40004006 0b280a00 "         \
    "0164c0a8 0202b640 00501ec9 3f7f0000 0000a002 a5649588 00000204 "         \
    "05b40402 080a52c1 d7680000 00000103 0309"
/* tshark: IPv4 10.0.1.100 > 192.168.2.2, total length 188, id 0x6188,
 * DF, TTL 64, checksum 0x0aa6 [correct]; TCP 46656 > 80, sequence (raw)
 * 516505472, acknowledgment (raw) 2669961264, header 32 bytes, flags
 * 0x018 (PSH, ACK), window 83, checksum 0x6e64 [correct], options NOP,
 * NOP, timestamps; 136 payload bytes, HTTP "GET /index.html HTTP/1.1",
 * "Host: 192.168.2.2". */
#define FIX_LAB_HTTP_GET                                                      \
    "bac13f4e f9621e27 540782d7 08004500 00bc6188 40004006 0aa60a00 "         \
    "0164c0a8 0202b640 00501ec9 3f809f24 60308018 00536e64 00000101 "         \
    "080a52c1 d76ad092 339e4745 54202f69 6e646578 2e68746d 6c204854 "         \
    "54502f31 2e310d0a 486f7374 3a203139 322e3136 382e322e 320d0a55 "         \
    "7365722d 4167656e 743a2057 6765742f 312e3231 2e330d0a 41636365 "         \
    "70743a20 2a2f2a0d 0a416363 6570742d 456e636f 64696e67 3a206964 "         \
    "656e7469 74790d0a 436f6e6e 65637469 6f6e3a20 4b656570 2d416c69 "         \
    "76650d0a 0d0a"

/* Appends a layer with the builder FN(out + n, room, ..., &k) to the
 * caller's 'out' and 'n'. */
#define APPEND(FN, ...)                                                       \
    do {                                                                      \
        size_t k_ = 99;                                                       \
        assert_int_equal(FN(out + n, sizeof out - n, __VA_ARGS__, &k_), 0);   \
        n += k_;                                                              \
    } while (0)

static void
assert_within(const struct px_pkt *pkt, const uint8_t *p, size_t len)
{
    assert_non_null(p);
    assert_true(p >= pkt->frame && p <= pkt->frame + pkt->len);
    assert_true(len <= (size_t)(pkt->frame + pkt->len - p));
}

/* Every pointer of a parsed frame is inside it, each layer inside the one
 * that carries it. */
static void
check_bounds(const struct px_pkt *pkt)
{
    assert_within(pkt, pkt->l3, pkt->l3_len);
    assert_true(pkt->l3 >= pkt->frame + PX_ETH_HDR_LEN);
    if (pkt->l4) {
        assert_true(pkt->l4 >= pkt->l3);
        assert_true(pkt->l4 + pkt->l4_len <= pkt->l3 + pkt->l3_len);
    }
    if (pkt->payload) {
        assert_non_null(pkt->l4);
        assert_true(pkt->payload >= pkt->l4);
        assert_true(pkt->payload + pkt->payload_len <= pkt->l4 + pkt->l4_len);
    }
    if (pkt->ipv4.options) {
        assert_within(pkt, pkt->ipv4.options, pkt->ipv4.options_len);
    }
    if (pkt->tcp.options) {
        assert_within(pkt, pkt->tcp.options, pkt->tcp.options_len);
    }
    if (pkt->nd.sll) {
        assert_within(pkt, pkt->nd.sll, PX_ETH_ADDR_LEN);
    }
    if (pkt->nd.tll) {
        assert_within(pkt, pkt->nd.tll, PX_ETH_ADDR_LEN);
    }
    if (pkt->layers & PX_PKT_LLDP) {
        assert_within(pkt, pkt->lldp.chassis_id, pkt->lldp.chassis_id_len);
        assert_within(pkt, pkt->lldp.port_id, pkt->lldp.port_id_len);
    }
    if (pkt->lldp.sys_name) {
        assert_within(pkt, pkt->lldp.sys_name, pkt->lldp.sys_name_len);
    }
}

/* Parses the fixture 'hex' from an exact-size heap copy in '*m'. */
static void
parse_fix(const char *hex, struct msg *m, struct px_pkt *pkt)
{
    *m = load(hex);
    assert_int_equal(px_pkt_parse(m->data, m->len, pkt), 0);
    assert_ptr_equal(pkt->frame, m->data);
    assert_int_equal(pkt->len, m->len);
    check_bounds(pkt);
}

static void
eth_init(struct px_pkt_eth *eth, const uint8_t *dst, const uint8_t *src,
         uint16_t type)
{
    memset(eth, 0, sizeof *eth);
    memcpy(eth->dst, dst, PX_ETH_ADDR_LEN);
    memcpy(eth->src, src, PX_ETH_ADDR_LEN);
    eth->type = type;
}

static void
ipv4_init(struct px_pkt_ipv4 *ip, uint16_t id, uint8_t proto, uint32_t src,
          uint32_t dst)
{
    memset(ip, 0, sizeof *ip);
    ip->id = id;
    ip->ttl = 64;
    ip->proto = proto;
    ip->src = src;
    ip->dst = dst;
}

static void
ipv6_init(struct px_pkt_ipv6 *ip, uint8_t nh, uint8_t hop_limit,
          const uint8_t *src, const uint8_t *dst)
{
    memset(ip, 0, sizeof *ip);
    ip->next_header = nh;
    ip->hop_limit = hop_limit;
    memcpy(ip->src, src, PX_IPV6_ADDR_LEN);
    memcpy(ip->dst, dst, PX_IPV6_ADDR_LEN);
}

/* Frames shorter than an Ethernet header are refused; 14 bytes are a
 * frame with nothing above Ethernet. */
static void
test_short(void **state)
{
    uint8_t bytes[PX_ETH_HDR_LEN];
    struct px_pkt pkt;
    size_t len;

    (void)state;
    memset(bytes, 0, sizeof bytes);
    assert_int_equal(px_pkt_parse(NULL, 60, &pkt), EINVAL);
    for (len = 0; len < PX_ETH_HDR_LEN; len++) {
        uint8_t *p = copy_exact(bytes, len);

        memset(&pkt, 0xa5, sizeof pkt);
        assert_int_equal(px_pkt_parse(p, len, &pkt), EINVAL);
        assert_int_equal(pkt.layers, 0);
        assert_null(pkt.frame);
        assert_null(pkt.l3);
        assert_false(px_pkt_is_lldp(p, len));
        free(p);
    }
    assert_int_equal(px_pkt_parse(bytes, sizeof bytes, &pkt), 0);
    assert_int_equal(pkt.layers, 0);
    assert_int_equal(pkt.eth.type, 0);
    assert_ptr_equal(pkt.l3, bytes + sizeof bytes);
    assert_int_equal(pkt.l3_len, 0);
    assert_null(pkt.l4);
    assert_null(pkt.payload);
    assert_false(px_pkt_is_lldp(NULL, 60));
}

/* RFC 1071, 3: the example's sum is 0x2ddf0, folded 0xddf2, whose
 * complement is the checksum; in pieces of even length it is the same. */
static void
test_csum_rfc1071(void **state)
{
    static const uint8_t ex[8] = {0x00, 0x01, 0xf2, 0x03,
                                  0xf4, 0xf5, 0xf6, 0xf7};
    static const uint8_t odd[3] = {0x01, 0x02, 0x03};
    uint8_t with[10], *big;
    size_t i;

    (void)state;
    assert_int_equal(px_pkt_csum_add(0, ex, sizeof ex), 0x2ddf0);
    assert_int_equal(px_pkt_csum_finish(0x2ddf0), 0x220d);
    assert_int_equal(px_pkt_csum(ex, sizeof ex), 0x220d);
    for (i = 0; i <= sizeof ex; i += 2) {
        uint32_t sum =
            px_pkt_csum_add(px_pkt_csum_add(0, ex, i), ex + i, sizeof ex - i);

        assert_int_equal(px_pkt_csum_finish(sum), 0x220d);
    }
    /* An odd last byte is the high half of a word. */
    assert_int_equal(px_pkt_csum_add(0, odd, 3), 0x0402);
    assert_int_equal(px_pkt_csum(NULL, 0), 0xffff);
    /* Data followed by its checksum sums to zero. */
    memcpy(with, ex, sizeof ex);
    px_put_be16(with + 8, 0x220d);
    assert_int_equal(px_pkt_csum(with, sizeof with), 0);
    /* A megabyte of 0xff: many carries, no overflow. */
    big = malloc(1 << 20);
    assert_non_null(big);
    memset(big, 0xff, 1 << 20);
    assert_int_equal(px_pkt_csum(big, 1 << 20), 0);
    big[0] = 0xfe;
    assert_int_equal(px_pkt_csum(big, 1 << 20), 0x0100);
    free(big);
}

/* A captured IPv4 header (192.168.0.1 to 192.168.0.199, UDP) with its
 * checksum 0xb861. */
static void
test_csum_ipv4_header(void **state)
{
    uint8_t h[20];

    (void)state;
    assert_int_equal(
        unhex("45000073 00004000 4011b861 c0a80001 c0a800c7", h, sizeof h),
        20);
    assert_int_equal(px_pkt_csum(h, sizeof h), 0);
    h[10] = h[11] = 0;
    assert_int_equal(px_pkt_csum(h, sizeof h), 0xb861);
}

static void
test_arp(void **state)
{
    struct px_pkt_eth eth;
    struct px_pkt_arp arp;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_ARP_REQUEST, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_ARP);
    assert_memory_equal(pkt.eth.dst, mac_bcast, 6);
    assert_memory_equal(pkt.eth.src, mac_a, 6);
    assert_int_equal(pkt.eth.type, PX_ETH_TYPE_ARP);
    assert_int_equal(pkt.eth.n_vlans, 0);
    assert_ptr_equal(pkt.l3, m.data + 14);
    assert_int_equal(pkt.l3_len, 46);
    assert_int_equal(pkt.arp.op, PX_ARP_REQUEST);
    assert_memory_equal(pkt.arp.sha, mac_a, 6);
    assert_int_equal(pkt.arp.spa, IP_A);
    assert_memory_equal(pkt.arp.tha, "\0\0\0\0\0\0", 6);
    assert_int_equal(pkt.arp.tpa, IP_B);
    assert_null(pkt.l4);
    assert_null(pkt.payload);
    assert_false(px_pkt_ipv4_csum_ok(&pkt));
    assert_false(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);

    /* The request as a plugin would write it, padded. */
    eth_init(&eth, mac_bcast, mac_a, PX_ETH_TYPE_ARP);
    memset(&arp, 0, sizeof arp);
    arp.op = PX_ARP_REQUEST;
    memcpy(arp.sha, mac_a, 6);
    arp.spa = IP_A;
    arp.tpa = IP_B;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_arp, &arp);
    assert_int_equal(n, 42);
    assert_int_equal(px_pkt_pad(out, sizeof out, &n), 0);
    assert_hex(out, n, FIX_ARP_REQUEST);
    /* Padding a frame long enough does nothing. */
    assert_int_equal(px_pkt_pad(out, 0, &n), 0);
    assert_int_equal(n, 60);

    /* The reply to it. */
    parse_fix(FIX_ARP_REPLY, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_ARP);
    assert_int_equal(pkt.arp.op, PX_ARP_REPLY);
    assert_memory_equal(pkt.arp.sha, mac_b, 6);
    assert_int_equal(pkt.arp.spa, IP_B);
    assert_memory_equal(pkt.arp.tha, mac_a, 6);
    assert_int_equal(pkt.arp.tpa, IP_A);
    msg_free(&m);
    n = 0;
    eth_init(&eth, mac_a, mac_b, PX_ETH_TYPE_ARP);
    arp.op = PX_ARP_REPLY;
    memcpy(arp.sha, mac_b, 6);
    arp.spa = IP_B;
    memcpy(arp.tha, mac_a, 6);
    arp.tpa = IP_A;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_arp, &arp);
    assert_hex(out, n, FIX_ARP_REPLY);
}

/* IPv4 with a Router Alert option carrying a SYN with MSS, SACK
 * permitted, timestamps, NOP and window scale options. */
static void
test_ipv4_tcp(void **state)
{
    static const uint8_t ra[4] = {0x94, 0x04, 0x00, 0x00};
    static const uint8_t tcp_opts[20] = {
        0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01,
        0xe2, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
    };
    struct px_pkt_ipv4 ip;
    struct px_pkt_tcp tcp;
    struct px_pkt_eth eth;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_IPV4_TCP_OPTIONS, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_TCP);
    assert_int_equal(pkt.ipv4.hdr_len, 24);
    assert_int_equal(pkt.ipv4.tos, 0);
    assert_int_equal(pkt.ipv4.total_len, 64);
    assert_int_equal(pkt.ipv4.id, 0x1c46);
    assert_int_equal(pkt.ipv4.frag, PX_IPV4_DF);
    assert_int_equal(pkt.ipv4.ttl, 64);
    assert_int_equal(pkt.ipv4.proto, PX_IP_PROTO_TCP);
    assert_int_equal(pkt.ipv4.csum, 0x056a);
    assert_int_equal(pkt.ipv4.src, IP_A);
    assert_int_equal(pkt.ipv4.dst, IP_B);
    assert_ptr_equal(pkt.ipv4.options, m.data + 34);
    assert_int_equal(pkt.ipv4.options_len, 4);
    assert_int_equal(pkt.ip_proto, PX_IP_PROTO_TCP);
    assert_int_equal(pkt.l3_len, 64);
    assert_ptr_equal(pkt.l4, m.data + 38);
    assert_int_equal(pkt.l4_len, 40);
    assert_int_equal(pkt.tcp.sport, 49152);
    assert_int_equal(pkt.tcp.dport, 80);
    assert_int_equal(pkt.tcp.seq, 0x12345678);
    assert_int_equal(pkt.tcp.ack, 0);
    assert_int_equal(pkt.tcp.hdr_len, 40);
    assert_int_equal(pkt.tcp.flags, PX_TCP_SYN);
    assert_int_equal(pkt.tcp.window, 64240);
    assert_int_equal(pkt.tcp.csum, 0xbdcc);
    assert_int_equal(pkt.tcp.urg, 0);
    assert_int_equal(pkt.tcp.options_len, 20);
    assert_memory_equal(pkt.tcp.options, tcp_opts, 20);
    assert_ptr_equal(pkt.payload, m.data + m.len);
    assert_int_equal(pkt.payload_len, 0);
    assert_true(px_pkt_ipv4_csum_ok(&pkt));
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);

    eth_init(&eth, mac_b, mac_a, PX_ETH_TYPE_IPV4);
    ipv4_init(&ip, 0x1c46, PX_IP_PROTO_TCP, IP_A, IP_B);
    ip.frag = PX_IPV4_DF;
    ip.options = ra;
    ip.options_len = sizeof ra;
    memset(&tcp, 0, sizeof tcp);
    tcp.sport = 49152;
    tcp.dport = 80;
    tcp.seq = 0x12345678;
    tcp.flags = PX_TCP_SYN;
    tcp.window = 64240;
    tcp.options = tcp_opts;
    tcp.options_len = sizeof tcp_opts;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv4, &ip, (size_t)40);
    APPEND(px_pkt_put_tcp, &tcp, NULL, 0, px_pkt_pseudo_ipv4(IP_A, IP_B));
    assert_hex(out, n, FIX_IPV4_TCP_OPTIONS);
}

static void
test_ipv4_udp(void **state)
{
    struct px_pkt_ipv4 ip;
    struct px_pkt_udp udp;
    struct px_pkt_eth eth;
    struct px_pkt pkt;
    uint8_t out[128], dns[29];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_IPV4_UDP_DNS, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_UDP);
    assert_int_equal(pkt.ipv4.hdr_len, 20);
    assert_null(pkt.ipv4.options);
    assert_int_equal(pkt.ipv4.options_len, 0);
    assert_int_equal(pkt.ipv4.dst, IP_C);
    assert_int_equal(pkt.udp.sport, 53000);
    assert_int_equal(pkt.udp.dport, 53);
    assert_int_equal(pkt.udp.len, 37);
    assert_int_equal(pkt.udp.csum, 0x6288);
    assert_ptr_equal(pkt.payload, m.data + 42);
    assert_int_equal(pkt.payload_len, 29);
    assert_memory_equal(pkt.payload + 13, "example\3com", 11);
    assert_true(px_pkt_ipv4_csum_ok(&pkt));
    assert_true(px_pkt_l4_csum_ok(&pkt));
    memcpy(dns, pkt.payload, sizeof dns);
    msg_free(&m);

    eth_init(&eth, mac_b, mac_a, PX_ETH_TYPE_IPV4);
    ipv4_init(&ip, 0x2a2a, PX_IP_PROTO_UDP, IP_A, IP_C);
    memset(&udp, 0, sizeof udp);
    udp.sport = 53000;
    udp.dport = 53;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv4, &ip, 8 + sizeof dns);
    APPEND(px_pkt_put_udp, &udp, dns, sizeof dns,
           px_pkt_pseudo_ipv4(IP_A, IP_C));
    assert_hex(out, n, FIX_IPV4_UDP_DNS);

    /* A short datagram in a padded frame: the padding is not the
     * packet's. */
    parse_fix(FIX_IPV4_UDP_PADDED, &m, &pkt);
    assert_int_equal(m.len, 60);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_UDP);
    assert_int_equal(pkt.l3_len, 32);
    assert_int_equal(pkt.l4_len, 12);
    assert_int_equal(pkt.payload_len, 4);
    assert_memory_equal(pkt.payload, "ping", 4);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);
    n = 0;
    ipv4_init(&ip, 0x0102, PX_IP_PROTO_UDP, IP_A, IP_B);
    udp.sport = 40000;
    udp.dport = 9;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv4, &ip, (size_t)12);
    /* The data already in place. */
    memcpy(out + n + 8, "ping", 4);
    APPEND(px_pkt_put_udp, &udp, out + n + 8, 4,
           px_pkt_pseudo_ipv4(IP_A, IP_B));
    assert_int_equal(px_pkt_pad(out, sizeof out, &n), 0);
    assert_hex(out, n, FIX_IPV4_UDP_PADDED);
}

/* A ping and the answer a plugin writes from the parsed request. */
static void
test_icmp_echo(void **state)
{
    static const char data[] = "abcdefghijklmnopqrstuvwabcdefghi";
    struct px_pkt_icmp icmp;
    struct px_pkt_ipv4 ip;
    struct px_pkt_eth eth;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_ICMP_ECHO_REQUEST, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_ICMP);
    assert_int_equal(pkt.icmp.type, PX_ICMP_ECHO_REQUEST);
    assert_int_equal(pkt.icmp.code, 0);
    assert_int_equal(pkt.icmp.csum, 0x423e);
    assert_int_equal(pkt.icmp.id, 0x0b1d);
    assert_int_equal(pkt.icmp.seq, 1);
    assert_int_equal(pkt.payload_len, 32);
    assert_memory_equal(pkt.payload, data, 32);
    assert_true(px_pkt_ipv4_csum_ok(&pkt));
    assert_true(px_pkt_l4_csum_ok(&pkt));

    eth_init(&eth, pkt.eth.src, pkt.eth.dst, PX_ETH_TYPE_IPV4);
    ipv4_init(&ip, 2, PX_IP_PROTO_ICMP, pkt.ipv4.dst, pkt.ipv4.src);
    icmp = pkt.icmp;
    icmp.type = PX_ICMP_ECHO_REPLY;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv4, &ip, pkt.l4_len);
    APPEND(px_pkt_put_icmp, &icmp, pkt.payload, pkt.payload_len);
    assert_hex(out, n, FIX_ICMP_ECHO_REPLY);
    msg_free(&m);

    n = 0;
    eth_init(&eth, mac_b, mac_a, PX_ETH_TYPE_IPV4);
    ipv4_init(&ip, 1, PX_IP_PROTO_ICMP, IP_A, IP_B);
    memset(&icmp, 0, sizeof icmp);
    icmp.type = PX_ICMP_ECHO_REQUEST;
    icmp.id = 0x0b1d;
    icmp.seq = 1;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv4, &ip, 8 + strlen(data));
    APPEND(px_pkt_put_icmp, &icmp, data, strlen(data));
    assert_hex(out, n, FIX_ICMP_ECHO_REQUEST);
}

/* Errors as a router sends them: written after their headers, which are
 * written once the quote's length is known. */
static size_t
icmp_error_frame(uint8_t *out, size_t cap, const uint8_t *dst_mac,
                 const uint8_t *src_mac, uint16_t id, uint32_t src,
                 uint32_t dst, uint8_t type, uint8_t code, const uint8_t *orig,
                 size_t orig_len)
{
    struct px_pkt_ipv4 ip;
    struct px_pkt_eth eth;
    size_t k, n;

    eth_init(&eth, dst_mac, src_mac, PX_ETH_TYPE_IPV4);
    ipv4_init(&ip, id, PX_IP_PROTO_ICMP, src, dst);
    assert_int_equal(px_pkt_put_icmp_error(out + 34, cap - 34, type, code, 0,
                                           orig, orig_len, &n),
                     0);
    assert_int_equal(px_pkt_put_eth(out, cap, &eth, &k), 0);
    assert_int_equal(k, 14);
    assert_int_equal(px_pkt_put_ipv4(out + 14, cap - 14, &ip, n, &k), 0);
    assert_int_equal(k, 20);
    return 34 + n;
}

static void
test_icmp_error(void **state)
{
    uint8_t out[256], orig[64];
    struct px_pkt pkt;
    struct msg m;
    size_t n;

    (void)state;
    /* Port unreachable for the padded datagram, given all 46 bytes after
     * its Ethernet header: the quote stops at its header and 8 bytes. */
    m = load(FIX_IPV4_UDP_PADDED);
    n = icmp_error_frame(out, sizeof out, mac_a, mac_b, 3, IP_B, IP_A,
                         PX_ICMP_DEST_UNREACH, 3, m.data + 14, m.len - 14);
    assert_hex(out, n, FIX_ICMP_PORT_UNREACHABLE);
    msg_free(&m);
    parse_fix(FIX_ICMP_PORT_UNREACHABLE, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_ICMP);
    assert_int_equal(pkt.icmp.type, PX_ICMP_DEST_UNREACH);
    assert_int_equal(pkt.icmp.code, 3);
    assert_int_equal(pkt.payload_len, 28);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);

    m = load(FIX_ICMP_ECHO_REQUEST);
    n = icmp_error_frame(out, sizeof out, mac_a, mac_r, 4, IP_R, IP_A,
                         PX_ICMP_TIME_EXCEEDED, 0, m.data + 14, m.len - 14);
    assert_hex(out, n, FIX_ICMP_TIME_EXCEEDED);

    /* The quote stops at the original's total length... */
    memcpy(orig, m.data + 14, 28);
    px_put_be16(orig + 2, 24);
    assert_int_equal(
        px_pkt_put_icmp_error(out, sizeof out, 3, 1, 0, orig, 28, &n), 0);
    assert_int_equal(n, 8 + 24);
    /* ...and at the bytes at hand; the second word is 'rest'. */
    px_put_be16(orig + 2, 60);
    assert_int_equal(
        px_pkt_put_icmp_error(out, sizeof out, 3, 4, 1400, orig, 21, &n), 0);
    assert_int_equal(n, 8 + 21);
    assert_int_equal(px_get_be32(out + 4), 1400);
    assert_int_equal(px_pkt_csum(out, n), 0);
    /* Options are quoted with the header. */
    m.data[14] = 0x46;
    assert_int_equal(px_pkt_put_icmp_error(out, sizeof out, 11, 0, 0,
                                           m.data + 14, m.len - 14, &n),
                     0);
    assert_int_equal(n, 8 + 24 + 8);

    /* No whole IPv4 header, no error. */
    assert_int_equal(
        px_pkt_put_icmp_error(out, sizeof out, 3, 1, 0, NULL, 0, &n), EINVAL);
    assert_int_equal(
        px_pkt_put_icmp_error(out, sizeof out, 3, 1, 0, orig, 19, &n), EINVAL);
    orig[0] = 0x65;
    assert_int_equal(
        px_pkt_put_icmp_error(out, sizeof out, 3, 1, 0, orig, 28, &n), EINVAL);
    orig[0] = 0x44;
    assert_int_equal(
        px_pkt_put_icmp_error(out, sizeof out, 3, 1, 0, orig, 28, &n), EINVAL);
    orig[0] = 0x48; /* 32 bytes of header, 28 at hand. */
    assert_int_equal(
        px_pkt_put_icmp_error(out, sizeof out, 3, 1, 0, orig, 28, &n), EINVAL);
    orig[0] = 0x45;
    px_put_be16(orig + 2, 19);
    assert_int_equal(
        px_pkt_put_icmp_error(out, sizeof out, 3, 1, 0, orig, 28, &n), EINVAL);
    assert_int_equal(n, 0);
    msg_free(&m);
}

/* The first fragment has the L4 header, a later one none. */
static void
test_ipv4_fragments(void **state)
{
    struct px_pkt pkt;
    struct msg m;

    (void)state;
    parse_fix(FIX_IPV4_FRAG_FIRST, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_UDP | PX_PKT_FRAGMENT);
    assert_int_equal(pkt.ipv4.frag, PX_IPV4_MF);
    assert_int_equal(pkt.udp.sport, 40001);
    assert_int_equal(pkt.udp.dport, 7);
    msg_free(&m);

    parse_fix(FIX_IPV4_FRAG_LATER, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_FRAGMENT);
    assert_int_equal(pkt.ipv4.frag, 5);
    assert_int_equal(pkt.ip_proto, PX_IP_PROTO_UDP);
    assert_null(pkt.l4);
    assert_int_equal(pkt.l4_len, 0);
    assert_null(pkt.payload);
    assert_true(px_pkt_ipv4_csum_ok(&pkt));
    assert_false(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);
}

/* Hop-by-hop options, then an atomic fragment header (offset 0, M clear:
 * not a fragment), then TCP with data. */
static void
test_ipv6_tcp(void **state)
{
    struct px_pkt_ipv6 ip;
    struct px_pkt_tcp tcp;
    struct px_pkt_eth eth;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_IPV6_HBH_FRAG_TCP, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_TCP);
    assert_int_equal(pkt.ipv6.tclass, 0);
    assert_int_equal(pkt.ipv6.flow_label, 0);
    assert_int_equal(pkt.ipv6.payload_len, 42);
    assert_int_equal(pkt.ipv6.next_header, PX_IP_PROTO_HOPOPTS);
    assert_int_equal(pkt.ipv6.hop_limit, 64);
    assert_memory_equal(pkt.ipv6.src, ip6_a, 16);
    assert_memory_equal(pkt.ipv6.dst, ip6_b, 16);
    assert_int_equal(pkt.ipv6.n_ext, 2);
    assert_int_equal(pkt.ipv6.frag_off, 0);
    assert_false(pkt.ipv6.frag_more);
    assert_int_equal(pkt.ipv6.frag_id, 0xdeadbeef);
    assert_int_equal(pkt.ip_proto, PX_IP_PROTO_TCP);
    assert_int_equal(pkt.l3_len, 82);
    assert_ptr_equal(pkt.l4, m.data + 14 + 40 + 16);
    assert_int_equal(pkt.l4_len, 26);
    assert_int_equal(pkt.tcp.sport, 49153);
    assert_int_equal(pkt.tcp.dport, 443);
    assert_int_equal(pkt.tcp.seq, 1);
    assert_int_equal(pkt.tcp.ack, 1);
    assert_int_equal(pkt.tcp.flags, PX_TCP_PSH | PX_TCP_ACK);
    assert_int_equal(pkt.tcp.window, 502);
    assert_null(pkt.tcp.options);
    assert_int_equal(pkt.payload_len, 6);
    assert_memory_equal(pkt.payload, "hello\n", 6);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    assert_false(px_pkt_ipv4_csum_ok(&pkt));

    /* The headers written again, the extension headers copied. */
    eth_init(&eth, mac_b, mac_a, PX_ETH_TYPE_IPV6);
    ipv6_init(&ip, PX_IP_PROTO_HOPOPTS, 64, ip6_a, ip6_b);
    memset(&tcp, 0, sizeof tcp);
    tcp.sport = 49153;
    tcp.dport = 443;
    tcp.seq = tcp.ack = 1;
    tcp.flags = PX_TCP_PSH | PX_TCP_ACK;
    tcp.window = 502;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv6, &ip, (size_t)42);
    memcpy(out + n, m.data + n, 16);
    n += 16;
    APPEND(px_pkt_put_tcp, &tcp, "hello\n", 6,
           px_pkt_pseudo_ipv6(ip6_a, ip6_b));
    assert_hex(out, n, FIX_IPV6_HBH_FRAG_TCP);
    msg_free(&m);
}

static void
test_ipv6_fragment(void **state)
{
    struct px_pkt pkt;
    struct msg m;

    (void)state;
    parse_fix(FIX_IPV6_FRAG_LATER, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_FRAGMENT);
    assert_int_equal(pkt.ipv6.next_header, PX_IP_PROTO_FRAGMENT);
    assert_int_equal(pkt.ipv6.n_ext, 1);
    assert_int_equal(pkt.ipv6.frag_off, 185);
    assert_false(pkt.ipv6.frag_more);
    assert_int_equal(pkt.ipv6.frag_id, 0xdeadbeef);
    assert_int_equal(pkt.ip_proto, PX_IP_PROTO_UDP);
    assert_null(pkt.l4);
    assert_null(pkt.payload);
    msg_free(&m);

    /* The first fragment of the same packet has its L4. */
    m = load(FIX_IPV6_FRAG_LATER);
    px_put_be16(m.data + 54 + 2, 1); /* Offset 0, M set. */
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_FRAGMENT);
    assert_true(pkt.ipv6.frag_more);
    assert_ptr_equal(pkt.l4, m.data + 62);
    assert_int_equal(pkt.l4_len, 16);
    assert_int_equal(pkt.ip_proto, PX_IP_PROTO_UDP);
    msg_free(&m);
}

static void
test_ipv6_udp(void **state)
{
    struct px_pkt_ipv6 ip;
    struct px_pkt_udp udp;
    struct px_pkt_eth eth;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_IPV6_UDP_DNS, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_UDP);
    assert_int_equal(pkt.ipv6.n_ext, 0);
    assert_int_equal(pkt.udp.sport, 53001);
    assert_int_equal(pkt.udp.len, 37);
    assert_int_equal(pkt.payload_len, 29);
    assert_true(px_pkt_l4_csum_ok(&pkt));

    eth_init(&eth, mac_b, mac_a, PX_ETH_TYPE_IPV6);
    ipv6_init(&ip, PX_IP_PROTO_UDP, 64, ip6_a, ip6_b);
    memset(&udp, 0, sizeof udp);
    udp.sport = 53001;
    udp.dport = 53;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv6, &ip, 8 + pkt.payload_len);
    APPEND(px_pkt_put_udp, &udp, pkt.payload, pkt.payload_len,
           px_pkt_pseudo_ipv6(ip6_a, ip6_b));
    assert_hex(out, n, FIX_IPV6_UDP_DNS);
    msg_free(&m);

    /* Over IPv6 a UDP checksum is required: 0 does not verify. */
    m = load(FIX_IPV6_UDP_DNS);
    m.data[60] = m.data[61] = 0;
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    assert_false(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);
    /* Over IPv4 it means none. */
    m = load(FIX_IPV4_UDP_DNS);
    m.data[40] = m.data[41] = 0;
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);
}

/* Neighbor solicitation to the solicited-node group, and the solicited
 * advertisement that answers it. */
static void
test_nd(void **state)
{
    static const uint8_t mac_sn[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x02};
    struct px_pkt_ipv6 ip;
    struct px_pkt_eth eth;
    struct px_pkt_nd nd;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_ICMPV6_NS, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6 | PX_PKT_ND);
    assert_int_equal(pkt.ipv6.hop_limit, 255);
    assert_int_equal(pkt.icmp.type, PX_ICMPV6_ND_NS);
    assert_int_equal(pkt.icmp.code, 0);
    assert_memory_equal(pkt.nd.target, ip6_b, 16);
    assert_int_equal(pkt.nd.flags, 0);
    assert_ptr_equal(pkt.nd.sll, m.data + 14 + 40 + 26);
    assert_memory_equal(pkt.nd.sll, mac_a, 6);
    assert_null(pkt.nd.tll);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);

    eth_init(&eth, mac_sn, mac_a, PX_ETH_TYPE_IPV6);
    ipv6_init(&ip, PX_IP_PROTO_ICMPV6, 255, ip6_a, ip6_sn);
    memset(&nd, 0, sizeof nd);
    memcpy(nd.target, ip6_b, 16);
    nd.sll = mac_a;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv6, &ip, (size_t)32);
    APPEND(px_pkt_put_nd, PX_ICMPV6_ND_NS, &nd,
           px_pkt_pseudo_ipv6(ip6_a, ip6_sn));
    assert_hex(out, n, FIX_ICMPV6_NS);

    parse_fix(FIX_ICMPV6_NA, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6 | PX_PKT_ND);
    assert_int_equal(pkt.icmp.type, PX_ICMPV6_ND_NA);
    assert_memory_equal(pkt.nd.target, ip6_b, 16);
    assert_int_equal(pkt.nd.flags, PX_ND_SOLICITED | PX_ND_OVERRIDE);
    assert_null(pkt.nd.sll);
    assert_memory_equal(pkt.nd.tll, mac_b, 6);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);

    n = 0;
    eth_init(&eth, mac_a, mac_b, PX_ETH_TYPE_IPV6);
    ipv6_init(&ip, PX_IP_PROTO_ICMPV6, 255, ip6_b, ip6_a);
    memset(&nd, 0, sizeof nd);
    memcpy(nd.target, ip6_b, 16);
    nd.flags = PX_ND_SOLICITED | PX_ND_OVERRIDE;
    nd.tll = mac_b;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv6, &ip, (size_t)32);
    APPEND(px_pkt_put_nd, PX_ICMPV6_ND_NA, &nd,
           px_pkt_pseudo_ipv6(ip6_b, ip6_a));
    assert_hex(out, n, FIX_ICMPV6_NA);

    /* Both options, and flags an NS does not carry. */
    nd.sll = mac_a;
    assert_int_equal(
        px_pkt_put_nd(out, sizeof out, PX_ICMPV6_ND_NS, &nd, 0, &n), 0);
    assert_int_equal(n, 40);
    assert_int_equal(out[4], 0);
    assert_memory_equal(out + 24, "\1\1", 2);
    assert_memory_equal(out + 26, mac_a, 6);
    assert_memory_equal(out + 32, "\2\1", 2);
    assert_memory_equal(out + 34, mac_b, 6);
    assert_int_equal(
        px_pkt_put_nd(out, sizeof out, PX_ICMPV6_ND_RA, &nd, 0, &n), EINVAL);
}

static void
test_icmpv6(void **state)
{
    static const uint8_t data[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    struct px_pkt_icmp icmp;
    struct px_pkt_ipv6 ip;
    struct px_pkt_eth eth;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_ICMPV6_ECHO_REQUEST, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6);
    assert_int_equal(pkt.icmp.type, PX_ICMPV6_ECHO_REQUEST);
    assert_int_equal(pkt.icmp.id, 0x1d2e);
    assert_int_equal(pkt.icmp.seq, 7);
    assert_int_equal(pkt.payload_len, 8);
    assert_memory_equal(pkt.payload, data, 8);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);

    eth_init(&eth, mac_b, mac_a, PX_ETH_TYPE_IPV6);
    ipv6_init(&ip, PX_IP_PROTO_ICMPV6, 64, ip6_a, ip6_b);
    memset(&icmp, 0, sizeof icmp);
    icmp.type = PX_ICMPV6_ECHO_REQUEST;
    icmp.id = 0x1d2e;
    icmp.seq = 7;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_ipv6, &ip, 8 + sizeof data);
    APPEND(px_pkt_put_icmpv6, &icmp, data, sizeof data,
           px_pkt_pseudo_ipv6(ip6_a, ip6_b));
    assert_hex(out, n, FIX_ICMPV6_ECHO_REQUEST);

    /* A router solicitation is ICMPv6, not an NS or NA. */
    parse_fix(FIX_ICMPV6_RS, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6);
    assert_int_equal(pkt.icmp.type, PX_ICMPV6_ND_RS);
    assert_null(pkt.nd.sll);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);
}

static void
test_vlan(void **state)
{
    struct px_pkt_eth eth;
    struct px_pkt_arp arp;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0;

    (void)state;
    parse_fix(FIX_VLAN_UDP, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_UDP);
    assert_int_equal(pkt.eth.n_vlans, 1);
    assert_int_equal(pkt.eth.vlans[0].tpid, PX_ETH_TYPE_VLAN);
    assert_int_equal(pkt.eth.vlans[0].tci, 0xa064);
    assert_int_equal(pkt.eth.vlans[0].tci & PX_VLAN_VID_MASK, 100);
    assert_int_equal(pkt.eth.vlans[0].tci >> PX_VLAN_PCP_SHIFT, 5);
    assert_int_equal(pkt.eth.type, PX_ETH_TYPE_IPV4);
    assert_ptr_equal(pkt.l3, m.data + 18);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    APPEND(px_pkt_put_eth, &pkt.eth);
    assert_int_equal(n, 18);
    assert_memory_equal(out, m.data, 18);
    msg_free(&m);

    /* 802.1ad outside 802.1Q; the inner TPID left 0 is written 0x8100. */
    parse_fix(FIX_QINQ_ARP, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_ARP);
    assert_int_equal(pkt.eth.n_vlans, 2);
    assert_int_equal(pkt.eth.vlans[0].tpid, PX_ETH_TYPE_QINQ);
    assert_int_equal(pkt.eth.vlans[0].tci, 200);
    assert_int_equal(pkt.eth.vlans[1].tpid, PX_ETH_TYPE_VLAN);
    assert_int_equal(pkt.eth.vlans[1].tci, 100);
    assert_ptr_equal(pkt.l3, m.data + 22);
    assert_int_equal(pkt.arp.tpa, IP_B);
    n = 0;
    eth_init(&eth, mac_bcast, mac_a, PX_ETH_TYPE_ARP);
    eth.n_vlans = 2;
    eth.vlans[0].tpid = PX_ETH_TYPE_QINQ;
    eth.vlans[0].tci = 200;
    eth.vlans[1].tci = 100;
    arp = pkt.arp;
    APPEND(px_pkt_put_eth, &eth);
    APPEND(px_pkt_put_arp, &arp);
    assert_int_equal(px_pkt_pad(out, sizeof out, &n), 0);
    assert_int_equal(n, 60);
    assert_memory_equal(out, m.data, 60);
    msg_free(&m);

    /* A third tag is not parsed: its TPID is the ethertype. */
    m = load("00005e00 53020000 5e005301 81000001 81000002 81000003 "
             "08004500 00140000 00004011 00000000 00000000 0000");
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    assert_int_equal(pkt.layers, 0);
    assert_int_equal(pkt.eth.n_vlans, 2);
    assert_int_equal(pkt.eth.type, PX_ETH_TYPE_VLAN);
    assert_ptr_equal(pkt.l3, m.data + 22);
    msg_free(&m);
    /* Nor is a tag cut by the end of the frame. */
    m = load("00005e00 53020000 5e005301 81000064 08");
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    assert_int_equal(pkt.eth.n_vlans, 0);
    assert_int_equal(pkt.eth.type, PX_ETH_TYPE_VLAN);
    assert_int_equal(pkt.l3_len, 3);
    msg_free(&m);
    /* An 802.3 length is the ethertype, with nothing above. */
    m = load("0180c200 00000000 5e005301 0026 4242 03000000 00");
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    assert_int_equal(pkt.layers, 0);
    assert_int_equal(pkt.eth.type, 0x26);
    msg_free(&m);

    /* Tags: at most two. */
    eth.n_vlans = 3;
    assert_int_equal(px_pkt_put_eth(out, sizeof out, &eth, &n), EINVAL);
    assert_int_equal(n, 0);
}

static void
test_lldp(void **state)
{
    static const uint8_t want_types[] = {1, 2, 3, 4, 5};
    struct px_pkt_lldp_tlv tlv;
    struct px_pkt_lldp_iter it;
    struct px_pkt_eth eth;
    struct px_pkt pkt;
    uint8_t out[128];
    struct msg m;
    size_t n = 0, i = 0;

    (void)state;
    parse_fix(FIX_LLDP, &m, &pkt);
    assert_true(px_pkt_is_lldp(m.data, m.len));
    assert_int_equal(pkt.layers, PX_PKT_LLDP);
    assert_int_equal(pkt.eth.type, PX_ETH_TYPE_LLDP);
    assert_int_equal(pkt.lldp.chassis_subtype, 4);
    assert_int_equal(pkt.lldp.chassis_id_len, 6);
    assert_memory_equal(pkt.lldp.chassis_id, mac_a, 6);
    assert_int_equal(pkt.lldp.port_subtype, 5);
    assert_int_equal(pkt.lldp.port_id_len, 4);
    assert_memory_equal(pkt.lldp.port_id, "eth0", 4);
    assert_int_equal(pkt.lldp.ttl, 120);
    assert_int_equal(pkt.lldp.sys_name_len, 7);
    assert_memory_equal(pkt.lldp.sys_name, "switch1", 7);
    assert_null(pkt.l4);

    px_pkt_lldp_iter_init(&it, &pkt);
    while (px_pkt_lldp_next(&it, &tlv)) {
        assert_true(i < sizeof want_types);
        assert_int_equal(tlv.type, want_types[i]);
        assert_within(&pkt, tlv.value, tlv.len);
        i++;
    }
    assert_int_equal(i, sizeof want_types);
    assert_false(px_pkt_lldp_next(&it, &tlv));

    /* The standard frame, then the fixture TLV by TLV. */
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &pkt.lldp, &n),
                     0);
    assert_hex(out, n, FIX_LLDP_BUILT);
    n = 0;
    eth_init(&eth, pkt.eth.dst, mac_a, PX_ETH_TYPE_LLDP);
    APPEND(px_pkt_put_eth, &eth);
    px_pkt_lldp_iter_init(&it, &pkt);
    while (px_pkt_lldp_next(&it, &tlv)) {
        APPEND(px_pkt_put_lldp_tlv, tlv.type, tlv.value, (size_t)tlv.len);
    }
    APPEND(px_pkt_put_lldp_tlv, PX_LLDP_TLV_END, NULL, (size_t)0);
    assert_int_equal(px_pkt_pad(out, sizeof out, &n), 0);
    assert_hex(out, n, FIX_LLDP);

    /* Without a system name. */
    pkt.lldp.sys_name = NULL;
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &pkt.lldp, &n),
                     0);
    assert_int_equal(n, 14 + 9 + 7 + 4 + 2);
    msg_free(&m);
    assert_int_equal(px_pkt_parse(out, n, &pkt), 0);
    assert_int_equal(pkt.layers, PX_PKT_LLDP);
    assert_null(pkt.lldp.sys_name);

    /* Under a tag. */
    m = load("0180c200 000e0000 5e005301 81000005 88cc0207 0400005e "
             "00530104 05056574 68300602 00780000");
    assert_true(px_pkt_is_lldp(m.data, m.len));
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    assert_int_equal(pkt.layers, PX_PKT_LLDP);
    assert_int_equal(pkt.lldp.ttl, 120);
    msg_free(&m);
    m = load(FIX_ARP_REQUEST);
    assert_false(px_pkt_is_lldp(m.data, m.len));
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    px_pkt_lldp_iter_init(&it, &pkt);
    assert_false(px_pkt_lldp_next(&it, &tlv));
    msg_free(&m);
}

/* Parses 'm' with byte 'ofs' set to 'v'. */
static void
parse_patched(const char *hex, size_t ofs, uint8_t v, struct msg *m,
              struct px_pkt *pkt)
{
    *m = load(hex);
    assert_true(ofs < m->len);
    m->data[ofs] = v;
    assert_int_equal(px_pkt_parse(m->data, m->len, pkt), 0);
    check_bounds(pkt);
}

static void
test_lldp_malformed(void **state)
{
    struct px_pkt_lldp_tlv tlv;
    struct px_pkt_lldp_iter it;
    struct px_pkt pkt;
    struct msg m;
    size_t i = 0;

    (void)state;
    /* The first TLV is not a chassis id. */
    parse_patched(FIX_LLDP, 14, 0x04, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    assert_true(px_pkt_is_lldp(m.data, m.len));
    msg_free(&m);
    /* A chassis id of a subtype and nothing. */
    parse_patched(FIX_LLDP, 15, 0x01, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    /* A port id that runs past the frame. */
    parse_patched(FIX_LLDP, 24, 0xff, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    /* A TTL of one byte. */
    parse_patched(FIX_LLDP, 31, 0x01, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    /* A port description that runs past the frame hides the name. */
    parse_patched(FIX_LLDP, 35, 0xff, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_LLDP);
    assert_null(pkt.lldp.sys_name);
    px_pkt_lldp_iter_init(&it, &pkt);
    while (px_pkt_lldp_next(&it, &tlv)) {
        i++;
    }
    assert_int_equal(i, 3);
    msg_free(&m);
    /* So does an End before it. */
    m = load(FIX_LLDP);
    m.data[34] = m.data[35] = 0;
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    assert_int_equal(pkt.layers, PX_PKT_LLDP);
    assert_null(pkt.lldp.sys_name);
    msg_free(&m);
}

/* A frame of IPv6, 'n_ext' extension headers of type 'ext' (8 bytes of
 * PadN each, or 12 for AH) and UDP with 4 bytes of data, into 'out'. */
static size_t
ipv6_chain(uint8_t *out, size_t cap, uint8_t first, const uint8_t *types,
           size_t n_ext)
{
    struct px_pkt_ipv6 ip;
    struct px_pkt_udp udp;
    struct px_pkt_eth eth;
    size_t n, k, ext_len = 0, i;

    for (i = 0; i < n_ext; i++) {
        ext_len += types[i] == PX_IP_PROTO_AH ? 12 : 8;
    }
    eth_init(&eth, mac_b, mac_a, PX_ETH_TYPE_IPV6);
    ipv6_init(&ip, n_ext ? types[0] : first, 64, ip6_a, ip6_b);
    assert_int_equal(px_pkt_put_eth(out, cap, &eth, &n), 0);
    assert_int_equal(px_pkt_put_ipv6(out + n, cap - n, &ip, ext_len + 12, &k),
                     0);
    n += k;
    for (i = 0; i < n_ext; i++) {
        uint8_t next = i + 1 < n_ext ? types[i + 1] : PX_IP_PROTO_UDP;

        if (types[i] == PX_IP_PROTO_AH) {
            /* Length 1: (1 + 2) 32-bit words. */
            assert_int_equal(
                unhex("0001 0000 00001000 00000001", out + n, cap - n), 12);
            out[n] = next;
            n += 12;
        } else {
            assert_int_equal(unhex("0000 0104 00000000", out + n, cap - n), 8);
            out[n] = next;
            n += 8;
        }
    }
    memset(&udp, 0, sizeof udp);
    udp.sport = 1;
    udp.dport = 2;
    assert_int_equal(px_pkt_put_udp(out + n, cap - n, &udp, "data", 4,
                                    px_pkt_pseudo_ipv6(ip6_a, ip6_b), &k),
                     0);
    return n + k;
}

/* Up to PX_IPV6_MAX_EXT extension headers are skipped; one more and the
 * L4 is out of reach. */
static void
test_ipv6_ext_limit(void **state)
{
    uint8_t types[PX_IPV6_MAX_EXT + 1], out[256];
    struct px_pkt pkt;
    uint8_t *frame;
    size_t i, len;

    (void)state;
    memset(types, PX_IP_PROTO_DSTOPTS, sizeof types);
    for (i = 0; i <= PX_IPV6_MAX_EXT + 1; i++) {
        len = ipv6_chain(out, sizeof out, PX_IP_PROTO_UDP, types, i);
        frame = copy_exact(out, len);
        assert_int_equal(px_pkt_parse(frame, len, &pkt), 0);
        check_bounds(&pkt);
        if (i <= PX_IPV6_MAX_EXT) {
            assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_UDP);
            assert_int_equal(pkt.ipv6.n_ext, i);
            assert_int_equal(pkt.payload_len, 4);
            assert_true(px_pkt_l4_csum_ok(&pkt));
        } else {
            assert_int_equal(pkt.layers, PX_PKT_IPV6);
            assert_int_equal(pkt.ipv6.n_ext, PX_IPV6_MAX_EXT);
            assert_int_equal(pkt.ip_proto, PX_IP_PROTO_DSTOPTS);
            assert_null(pkt.l4);
        }
        free(frame);
    }

    /* Hop-by-hop, routing, AH and destination options. */
    types[0] = PX_IP_PROTO_HOPOPTS;
    types[1] = PX_IP_PROTO_ROUTING;
    types[2] = PX_IP_PROTO_AH;
    types[3] = PX_IP_PROTO_DSTOPTS;
    len = ipv6_chain(out, sizeof out, 0, types, 4);
    assert_int_equal(px_pkt_parse(out, len, &pkt), 0);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_UDP);
    assert_int_equal(pkt.ipv6.n_ext, 4);
    assert_ptr_equal(pkt.l4, out + 14 + 40 + 8 + 8 + 12 + 8);

    /* Hop-by-hop anywhere but first stops the walk. */
    types[0] = PX_IP_PROTO_DSTOPTS;
    types[1] = PX_IP_PROTO_HOPOPTS;
    len = ipv6_chain(out, sizeof out, 0, types, 2);
    assert_int_equal(px_pkt_parse(out, len, &pkt), 0);
    assert_int_equal(pkt.layers, PX_PKT_IPV6);
    assert_int_equal(pkt.ip_proto, PX_IP_PROTO_HOPOPTS);
    assert_int_equal(pkt.ipv6.n_ext, 1);
    assert_null(pkt.l4);

    /* So does a header longer than the packet. */
    types[1] = PX_IP_PROTO_DSTOPTS;
    len = ipv6_chain(out, sizeof out, 0, types, 2);
    out[14 + 40 + 8 + 1] = 2; /* 24 bytes, 20 left. */
    assert_int_equal(px_pkt_parse(out, len, &pkt), 0);
    assert_int_equal(pkt.layers, PX_PKT_IPV6);
    assert_int_equal(pkt.ipv6.n_ext, 1);
    assert_null(pkt.l4);
    /* No next header: an empty L4. */
    len = ipv6_chain(out, sizeof out, PX_IP_PROTO_NONE, types, 0);
    assert_int_equal(px_pkt_parse(out, len, &pkt), 0);
    assert_int_equal(pkt.layers, PX_PKT_IPV6);
    assert_int_equal(pkt.ip_proto, PX_IP_PROTO_NONE);
    assert_non_null(pkt.l4);
}

/* Every fixture, for the tests that take them all. */
static const char *const all_fixtures[] = {
    FIX_ARP_REQUEST,
    FIX_ARP_REPLY,
    FIX_IPV4_TCP_OPTIONS,
    FIX_IPV4_UDP_DNS,
    FIX_IPV4_UDP_PADDED,
    FIX_ICMP_ECHO_REQUEST,
    FIX_ICMP_ECHO_REPLY,
    FIX_ICMP_PORT_UNREACHABLE,
    FIX_ICMP_TIME_EXCEEDED,
    FIX_IPV4_FRAG_FIRST,
    FIX_IPV4_FRAG_LATER,
    FIX_IPV6_HBH_FRAG_TCP,
    FIX_IPV6_FRAG_LATER,
    FIX_IPV6_UDP_DNS,
    FIX_ICMPV6_NS,
    FIX_ICMPV6_NA,
    FIX_ICMPV6_ECHO_REQUEST,
    FIX_ICMPV6_RS,
    FIX_VLAN_UDP,
    FIX_QINQ_ARP,
    FIX_LLDP,
};
#define N_FIXTURES (sizeof all_fixtures / sizeof all_fixtures[0])

/* The offset of 'p' in the frame of 'pkt', or -1 for NULL. */
static long
off(const struct px_pkt *pkt, const uint8_t *p)
{
    return p ? (long)(p - pkt->frame) : -1;
}

/* The length a prefix of the frame of 'full' needs for layer 'bit' to be
 * marked: the end of its header.  (The fixtures' IPv6 fragment headers
 * come first.) */
static size_t
layer_end(const struct px_pkt *full, unsigned int bit)
{
    size_t l3 = (size_t)off(full, full->l3);
    size_t l4 = full->l4 ? (size_t)off(full, full->l4) : 0;

    switch (bit) {
    case PX_PKT_ARP:
        return l3 + PX_ARP_LEN;
    case PX_PKT_IPV4:
        return l3 + full->ipv4.hdr_len;
    case PX_PKT_IPV6:
        return l3 + PX_IPV6_HDR_LEN;
    case PX_PKT_LLDP:
        return (size_t)off(full, full->lldp.port_id) + full->lldp.port_id_len +
               4;
    case PX_PKT_ICMP:
    case PX_PKT_ICMPV6:
    case PX_PKT_UDP:
        return l4 + 8;
    case PX_PKT_ND:
        return l4 + PX_ND_LEN;
    case PX_PKT_TCP:
        return l4 + full->tcp.hdr_len;
    case PX_PKT_FRAGMENT:
        return full->layers & PX_PKT_IPV4 ? l3 + full->ipv4.hdr_len
                                          : l3 + PX_IPV6_HDR_LEN + 8;
    }
    fail();
    return 0;
}

/* What 'part', a parse of a prefix, marked is what 'full' says. */
static void
check_same(const struct px_pkt *full, const struct px_pkt *part)
{
    unsigned int l = part->layers;
    size_t i;

    assert_memory_equal(part->eth.dst, full->eth.dst, 6);
    assert_memory_equal(part->eth.src, full->eth.src, 6);
    /* A tag cut by the end of the frame is not counted. */
    if (part->len >= (size_t)off(full, full->l3)) {
        assert_int_equal(off(part, part->l3), off(full, full->l3));
        assert_int_equal(part->eth.type, full->eth.type);
        assert_int_equal(part->eth.n_vlans, full->eth.n_vlans);
        for (i = 0; i < part->eth.n_vlans; i++) {
            assert_int_equal(part->eth.vlans[i].tpid, full->eth.vlans[i].tpid);
            assert_int_equal(part->eth.vlans[i].tci, full->eth.vlans[i].tci);
        }
    }
    if (l & PX_PKT_ARP) {
        assert_int_equal(part->arp.op, full->arp.op);
        assert_int_equal(part->arp.spa, full->arp.spa);
        assert_int_equal(part->arp.tpa, full->arp.tpa);
        assert_memory_equal(part->arp.sha, full->arp.sha, 6);
        assert_memory_equal(part->arp.tha, full->arp.tha, 6);
    }
    if (l & PX_PKT_IPV4) {
        assert_int_equal(part->ipv4.hdr_len, full->ipv4.hdr_len);
        assert_int_equal(part->ipv4.total_len, full->ipv4.total_len);
        assert_int_equal(part->ipv4.id, full->ipv4.id);
        assert_int_equal(part->ipv4.frag, full->ipv4.frag);
        assert_int_equal(part->ipv4.ttl, full->ipv4.ttl);
        assert_int_equal(part->ipv4.proto, full->ipv4.proto);
        assert_int_equal(part->ipv4.csum, full->ipv4.csum);
        assert_int_equal(part->ipv4.src, full->ipv4.src);
        assert_int_equal(part->ipv4.dst, full->ipv4.dst);
        assert_int_equal(off(part, part->ipv4.options),
                         off(full, full->ipv4.options));
        assert_true(px_pkt_ipv4_csum_ok(part));
    }
    if (l & PX_PKT_IPV6) {
        assert_int_equal(part->ipv6.flow_label, full->ipv6.flow_label);
        assert_int_equal(part->ipv6.payload_len, full->ipv6.payload_len);
        assert_int_equal(part->ipv6.next_header, full->ipv6.next_header);
        assert_int_equal(part->ipv6.hop_limit, full->ipv6.hop_limit);
        assert_memory_equal(part->ipv6.src, full->ipv6.src, 16);
        assert_memory_equal(part->ipv6.dst, full->ipv6.dst, 16);
        assert_true(part->ipv6.n_ext <= full->ipv6.n_ext);
    }
    if (part->l4) {
        assert_int_equal(off(part, part->l4), off(full, full->l4));
        assert_int_equal(part->ip_proto, full->ip_proto);
        assert_true(part->l4_len <= full->l4_len);
        assert_int_equal(part->ipv6.n_ext, full->ipv6.n_ext);
    }
    if (l & (PX_PKT_ICMP | PX_PKT_ICMPV6)) {
        assert_int_equal(part->icmp.type, full->icmp.type);
        assert_int_equal(part->icmp.code, full->icmp.code);
        assert_int_equal(part->icmp.csum, full->icmp.csum);
        assert_int_equal(part->icmp.id, full->icmp.id);
        assert_int_equal(part->icmp.seq, full->icmp.seq);
    }
    if (l & PX_PKT_ND) {
        assert_memory_equal(part->nd.target, full->nd.target, 16);
        assert_int_equal(part->nd.flags, full->nd.flags);
        if (part->nd.sll) {
            assert_int_equal(off(part, part->nd.sll), off(full, full->nd.sll));
        }
        if (part->nd.tll) {
            assert_int_equal(off(part, part->nd.tll), off(full, full->nd.tll));
        }
    }
    if (l & PX_PKT_TCP) {
        assert_int_equal(part->tcp.sport, full->tcp.sport);
        assert_int_equal(part->tcp.dport, full->tcp.dport);
        assert_int_equal(part->tcp.seq, full->tcp.seq);
        assert_int_equal(part->tcp.ack, full->tcp.ack);
        assert_int_equal(part->tcp.hdr_len, full->tcp.hdr_len);
        assert_int_equal(part->tcp.flags, full->tcp.flags);
        assert_int_equal(part->tcp.window, full->tcp.window);
        assert_int_equal(part->tcp.csum, full->tcp.csum);
        assert_int_equal(off(part, part->tcp.options),
                         off(full, full->tcp.options));
    }
    if (l & PX_PKT_UDP) {
        assert_int_equal(part->udp.sport, full->udp.sport);
        assert_int_equal(part->udp.dport, full->udp.dport);
        assert_int_equal(part->udp.len, full->udp.len);
        assert_int_equal(part->udp.csum, full->udp.csum);
    }
    if (part->payload) {
        assert_int_equal(off(part, part->payload), off(full, full->payload));
        assert_true(part->payload_len <= full->payload_len);
    }
    if (l & PX_PKT_LLDP) {
        assert_int_equal(part->lldp.chassis_subtype,
                         full->lldp.chassis_subtype);
        assert_int_equal(off(part, part->lldp.chassis_id),
                         off(full, full->lldp.chassis_id));
        assert_int_equal(part->lldp.chassis_id_len, full->lldp.chassis_id_len);
        assert_int_equal(part->lldp.port_subtype, full->lldp.port_subtype);
        assert_int_equal(off(part, part->lldp.port_id),
                         off(full, full->lldp.port_id));
        assert_int_equal(part->lldp.port_id_len, full->lldp.port_id_len);
        assert_int_equal(part->lldp.ttl, full->lldp.ttl);
        if (part->lldp.sys_name) {
            assert_int_equal(off(part, part->lldp.sys_name),
                             off(full, full->lldp.sys_name));
        }
    }
}

/* Every prefix of every fixture, in a buffer of exactly its size: under
 * 14 bytes refused, else parsed, each layer marked exactly when its
 * header is whole, with the fields of the whole frame, and the IP layer
 * marked truncated when its length says more than the prefix holds. */
static void
test_truncations(void **state)
{
    static const unsigned int bits[] = {
        PX_PKT_ARP,    PX_PKT_IPV4, PX_PKT_IPV6, PX_PKT_LLDP, PX_PKT_ICMP,
        PX_PKT_ICMPV6, PX_PKT_TCP,  PX_PKT_UDP,  PX_PKT_ND,   PX_PKT_FRAGMENT,
    };
    size_t f, len, b;

    (void)state;
    for (f = 0; f < N_FIXTURES; f++) {
        struct px_pkt full;
        struct msg m;

        parse_fix(all_fixtures[f], &m, &full);
        assert_false(full.layers & PX_PKT_TRUNCATED);
        for (len = 0; len <= m.len; len++) {
            uint8_t *p = copy_exact(m.data, len);
            struct px_pkt part;
            int error = px_pkt_parse(p, len, &part);
            size_t ip_end;

            if (len < PX_ETH_HDR_LEN) {
                assert_int_equal(error, EINVAL);
                free(p);
                continue;
            }
            assert_int_equal(error, 0);
            check_bounds(&part);
            for (b = 0; b < sizeof bits / sizeof bits[0]; b++) {
                if (full.layers & bits[b]) {
                    assert_int_equal(!!(part.layers & bits[b]),
                                     len >= layer_end(&full, bits[b]));
                } else {
                    assert_false(part.layers & bits[b]);
                }
            }
            ip_end = (size_t)off(&full, full.l3) + full.l3_len;
            assert_int_equal(!!(part.layers & PX_PKT_TRUNCATED),
                             part.layers & (PX_PKT_IPV4 | PX_PKT_IPV6) &&
                                 len < ip_end);
            if (part.layers & PX_PKT_TRUNCATED) {
                assert_false(px_pkt_l4_csum_ok(&part));
            }
            if (full.nd.sll) {
                assert_int_equal(!!part.nd.sll,
                                 len >= (size_t)off(&full, full.nd.sll) + 6);
            }
            if (full.nd.tll) {
                assert_int_equal(!!part.nd.tll,
                                 len >= (size_t)off(&full, full.nd.tll) + 6);
            }
            if (full.lldp.sys_name) {
                assert_int_equal(!!part.lldp.sys_name,
                                 len >=
                                     (size_t)off(&full, full.lldp.sys_name) +
                                         full.lldp.sys_name_len);
            }
            check_same(&full, &part);
            if (len == m.len) {
                assert_int_equal(part.layers, full.layers);
            }
            free(p);
        }
        msg_free(&m);
    }
}

/* Writes 'pkt' back from its parsed fields: the frame up to the end of
 * its L3, padding excluded.  IPv6 without extension headers. */
static size_t
rebuild(const struct px_pkt *pkt, uint8_t *out, size_t cap)
{
    unsigned int l = pkt->layers;
    uint32_t pseudo = 0;
    size_t n, k = 0;

    assert_int_equal(px_pkt_put_eth(out, cap, &pkt->eth, &n), 0);
    if (l & PX_PKT_ARP) {
        assert_int_equal(px_pkt_put_arp(out + n, cap - n, &pkt->arp, &k), 0);
        return n + k;
    }
    if (l & PX_PKT_IPV4) {
        assert_int_equal(
            px_pkt_put_ipv4(out + n, cap - n, &pkt->ipv4,
                            pkt->ipv4.total_len - pkt->ipv4.hdr_len, &k),
            0);
        pseudo = px_pkt_pseudo_ipv4(pkt->ipv4.src, pkt->ipv4.dst);
    } else {
        assert_true(l & PX_PKT_IPV6);
        assert_int_equal(pkt->ipv6.n_ext, 0);
        assert_int_equal(px_pkt_put_ipv6(out + n, cap - n, &pkt->ipv6,
                                         pkt->ipv6.payload_len, &k),
                         0);
        pseudo = px_pkt_pseudo_ipv6(pkt->ipv6.src, pkt->ipv6.dst);
    }
    n += k;
    if (l & PX_PKT_ND) {
        assert_int_equal(px_pkt_put_nd(out + n, cap - n, pkt->icmp.type,
                                       &pkt->nd, pseudo, &k),
                         0);
    } else if (l & PX_PKT_ICMPV6) {
        assert_int_equal(px_pkt_put_icmpv6(out + n, cap - n, &pkt->icmp,
                                           pkt->payload, pkt->payload_len,
                                           pseudo, &k),
                         0);
    } else if (l & PX_PKT_ICMP) {
        assert_int_equal(px_pkt_put_icmp(out + n, cap - n, &pkt->icmp,
                                         pkt->payload, pkt->payload_len, &k),
                         0);
    } else if (l & PX_PKT_TCP) {
        assert_int_equal(px_pkt_put_tcp(out + n, cap - n, &pkt->tcp,
                                        pkt->payload, pkt->payload_len, pseudo,
                                        &k),
                         0);
    } else if (l & PX_PKT_UDP) {
        assert_int_equal(px_pkt_put_udp(out + n, cap - n, &pkt->udp,
                                        pkt->payload, pkt->payload_len, pseudo,
                                        &k),
                         0);
    } else {
        /* A later fragment: its data as it is. */
        k = pkt->l3_len - pkt->ipv4.hdr_len;
        memcpy(out + n, pkt->l3 + pkt->ipv4.hdr_len, k);
    }
    return n + k;
}

/* Every fixture without IPv6 extension headers and but LLDP (whose port
 * description TLV the LLDP builder does not write) written back from its
 * parse is the fixture, padding aside. */
static void
test_rebuild(void **state)
{
    size_t f, n, want, count = 0;
    uint8_t out[256];

    (void)state;
    for (f = 0; f < N_FIXTURES; f++) {
        struct px_pkt pkt;
        struct msg m;

        parse_fix(all_fixtures[f], &m, &pkt);
        if (!(pkt.layers & PX_PKT_LLDP) && !pkt.ipv6.n_ext) {
            n = rebuild(&pkt, out, sizeof out);
            want = (size_t)off(&pkt, pkt.l3) +
                   (pkt.layers & PX_PKT_ARP ? PX_ARP_LEN : pkt.l3_len);
            assert_int_equal(n, want);
            assert_memory_equal(out, m.data, n);
            count++;
        }
        msg_free(&m);
    }
    assert_int_equal(count, N_FIXTURES - 3);
}

/* Checksums verify on every fixture that has them, and stop verifying
 * when any byte they cover changes. */
static void
test_csum_fixtures(void **state)
{
    size_t f, i, count = 0;

    (void)state;
    for (f = 0; f < N_FIXTURES; f++) {
        struct px_pkt pkt, again;
        struct msg m;

        parse_fix(all_fixtures[f], &m, &pkt);
        if (pkt.layers & PX_PKT_IPV4) {
            size_t l3 = (size_t)off(&pkt, pkt.l3);

            assert_true(px_pkt_ipv4_csum_ok(&pkt));
            m.data[l3 + 8] ^= 1; /* TTL. */
            assert_false(px_pkt_ipv4_csum_ok(&pkt));
            m.data[l3 + 8] ^= 1;
        }
        if (!(pkt.layers &
              (PX_PKT_TCP | PX_PKT_UDP | PX_PKT_ICMP | PX_PKT_ICMPV6)) ||
            pkt.layers & PX_PKT_FRAGMENT) {
            assert_false(px_pkt_l4_csum_ok(&pkt));
            msg_free(&m);
            continue;
        }
        count++;
        assert_true(px_pkt_l4_csum_ok(&pkt));
        for (i = 0; i < pkt.l4_len; i++) {
            uint8_t *p = (uint8_t *)pkt.l4 + i;

            *p ^= 1;
            assert_int_equal(px_pkt_parse(m.data, m.len, &again), 0);
            assert_false(px_pkt_l4_csum_ok(&again));
            *p ^= 1;
        }
        /* The pseudo-header's source address, which ICMP does not
         * have. */
        m.data[(size_t)off(&pkt, pkt.l3) +
               (pkt.layers & PX_PKT_IPV4 ? 15 : 23)] ^= 1;
        assert_int_equal(px_pkt_parse(m.data, m.len, &again), 0);
        assert_int_equal(px_pkt_l4_csum_ok(&again),
                         !!(pkt.layers & PX_PKT_ICMP));
        msg_free(&m);
    }
    assert_int_equal(count, 14);
}

/* Builders behind one signature, with fixed arguments, for the ENOSPC
 * test. */
typedef int build_fn(void *buf, size_t cap, size_t *len);

static int
b_eth(void *buf, size_t cap, size_t *len)
{
    struct px_pkt_eth eth;

    eth_init(&eth, mac_a, mac_b, PX_ETH_TYPE_IPV4);
    eth.n_vlans = 2;
    eth.vlans[0].tci = 1;
    eth.vlans[1].tci = 2;
    return px_pkt_put_eth(buf, cap, &eth, len);
}

static int
b_arp(void *buf, size_t cap, size_t *len)
{
    struct px_pkt_arp arp;

    memset(&arp, 0, sizeof arp);
    arp.op = PX_ARP_REPLY;
    return px_pkt_put_arp(buf, cap, &arp, len);
}

static int
b_ipv4(void *buf, size_t cap, size_t *len)
{
    static const uint8_t opts[8] = {0x01, 0x01, 0x01, 0x00};
    struct px_pkt_ipv4 ip;

    ipv4_init(&ip, 7, PX_IP_PROTO_UDP, IP_A, IP_B);
    ip.options = opts;
    ip.options_len = sizeof opts;
    return px_pkt_put_ipv4(buf, cap, &ip, 100, len);
}

static int
b_ipv6(void *buf, size_t cap, size_t *len)
{
    struct px_pkt_ipv6 ip;

    ipv6_init(&ip, PX_IP_PROTO_TCP, 64, ip6_a, ip6_b);
    ip.flow_label = 0xfffff;
    return px_pkt_put_ipv6(buf, cap, &ip, 100, len);
}

static int
b_icmp(void *buf, size_t cap, size_t *len)
{
    struct px_pkt_icmp icmp;

    memset(&icmp, 0, sizeof icmp);
    icmp.type = PX_ICMP_ECHO_REQUEST;
    return px_pkt_put_icmp(buf, cap, &icmp, "12345", 5, len);
}

static int
b_icmp_error(void *buf, size_t cap, size_t *len)
{
    uint8_t orig[60];

    assert_int_equal(
        unhex("45000030 00010000 40010000 c0000201 c0000202 08000000 00000000 "
              "00000000 00000000 00000000 00000000 00000000",
              orig, sizeof orig),
        48);
    return px_pkt_put_icmp_error(buf, cap, 3, 1, 0, orig, 48, len);
}

static int
b_icmpv6(void *buf, size_t cap, size_t *len)
{
    struct px_pkt_icmp icmp;

    memset(&icmp, 0, sizeof icmp);
    icmp.type = PX_ICMPV6_ECHO_REPLY;
    return px_pkt_put_icmpv6(buf, cap, &icmp, "123", 3, 0xffffffff, len);
}

static int
b_nd(void *buf, size_t cap, size_t *len)
{
    struct px_pkt_nd nd;

    memset(&nd, 0, sizeof nd);
    nd.sll = mac_a;
    nd.tll = mac_b;
    return px_pkt_put_nd(buf, cap, PX_ICMPV6_ND_NA, &nd, 0, len);
}

static int
b_tcp(void *buf, size_t cap, size_t *len)
{
    static const uint8_t opts[4] = {0x01, 0x01, 0x01, 0x00};
    struct px_pkt_tcp tcp;

    memset(&tcp, 0, sizeof tcp);
    tcp.options = opts;
    tcp.options_len = sizeof opts;
    return px_pkt_put_tcp(buf, cap, &tcp, "data", 4, 0, len);
}

static int
b_udp(void *buf, size_t cap, size_t *len)
{
    struct px_pkt_udp udp;

    memset(&udp, 0, sizeof udp);
    return px_pkt_put_udp(buf, cap, &udp, "data", 4, 0, len);
}

static int
b_lldp_tlv(void *buf, size_t cap, size_t *len)
{
    return px_pkt_put_lldp_tlv(buf, cap, PX_LLDP_TLV_PORT_DESC, "uplink", 6,
                               len);
}

static int
b_lldp(void *buf, size_t cap, size_t *len)
{
    struct px_pkt_lldp lldp;

    memset(&lldp, 0, sizeof lldp);
    lldp.chassis_subtype = 7;
    lldp.chassis_id = (const uint8_t *)"dpid:0000000000000001";
    lldp.chassis_id_len = 21;
    lldp.port_subtype = 7;
    lldp.port_id = (const uint8_t *)"1";
    lldp.port_id_len = 1;
    lldp.ttl = 120;
    lldp.sys_name = (const uint8_t *)"";
    return px_pkt_build_lldp(buf, cap, mac_a, &lldp, len);
}

/* Each builder, at every capacity short of what it needs (in a buffer of
 * exactly that size), says ENOSPC, stores 0 and writes nothing; at the
 * exact size it writes what it writes with room to spare. */
static void
test_enospc(void **state)
{
    static build_fn *const builders[] = {
        b_eth,    b_arp, b_ipv4, b_ipv6, b_icmp,     b_icmp_error,
        b_icmpv6, b_nd,  b_tcp,  b_udp,  b_lldp_tlv, b_lldp,
    };
    size_t b, cap, i, n, k;
    uint8_t big[600];

    (void)state;
    for (b = 0; b < sizeof builders / sizeof builders[0]; b++) {
        uint8_t *exact;

        memset(big, 0xa5, sizeof big);
        assert_int_equal(builders[b](big, sizeof big, &n), 0);
        assert_true(n > 0 && n < sizeof big);
        for (i = n; i < sizeof big; i++) {
            assert_int_equal(big[i], 0xa5);
        }
        for (cap = 0; cap < n; cap++) {
            uint8_t *p = malloc(cap ? cap : 1);

            assert_non_null(p);
            memset(p, 0xa5, cap);
            k = 99;
            assert_int_equal(builders[b](p, cap, &k), ENOSPC);
            assert_int_equal(k, 0);
            for (i = 0; i < cap; i++) {
                assert_int_equal(p[i], 0xa5);
            }
            free(p);
        }
        exact = malloc(n);
        assert_non_null(exact);
        assert_int_equal(builders[b](exact, n, &k), 0);
        assert_int_equal(k, n);
        assert_memory_equal(exact, big, n);
        free(exact);
        /* No buffer: no room; a capacity without a buffer is a bug. */
        k = 99;
        assert_int_equal(builders[b](NULL, 0, &k), ENOSPC);
        assert_int_equal(k, 0);
        k = 99;
        assert_int_equal(builders[b](NULL, 1, &k), EINVAL);
        assert_int_equal(k, 0);
    }

    /* Padding needs PX_ETH_MIN_LEN bytes. */
    n = 42;
    assert_int_equal(px_pkt_pad(big, 59, &n), ENOSPC);
    assert_int_equal(n, 42);
    assert_int_equal(px_pkt_pad(NULL, 0, &n), ENOSPC);
    assert_int_equal(px_pkt_pad(big, 60, &n), 0);
    assert_int_equal(n, 60);
}

/* What the wire cannot carry is EINVAL, whatever the room. */
static void
test_einval(void **state)
{
    static const uint8_t opts[44];
    static const uint8_t name[256];
    struct px_pkt_icmp icmp;
    struct px_pkt_ipv4 ip4;
    struct px_pkt_ipv6 ip6;
    struct px_pkt_lldp lldp;
    struct px_pkt_tcp tcp;
    struct px_pkt_udp udp;
    uint8_t out[1024];
    size_t n;

    (void)state;
    ipv4_init(&ip4, 1, PX_IP_PROTO_UDP, IP_A, IP_B);
    assert_int_equal(px_pkt_put_ipv4(out, sizeof out, &ip4, 65515, &n), 0);
    assert_int_equal(px_pkt_put_ipv4(out, sizeof out, &ip4, 65516, &n),
                     EINVAL);
    ip4.options = opts;
    ip4.options_len = 3;
    assert_int_equal(px_pkt_put_ipv4(out, sizeof out, &ip4, 0, &n), EINVAL);
    ip4.options_len = 44;
    assert_int_equal(px_pkt_put_ipv4(out, sizeof out, &ip4, 0, &n), EINVAL);
    ip4.options_len = 40;
    assert_int_equal(px_pkt_put_ipv4(out, sizeof out, &ip4, 0, &n), 0);
    assert_int_equal(n, 60);
    assert_int_equal(out[0], 0x4f);
    ip4.options = NULL;
    assert_int_equal(px_pkt_put_ipv4(out, sizeof out, &ip4, 0, &n), EINVAL);
    assert_int_equal(n, 0);

    ipv6_init(&ip6, PX_IP_PROTO_UDP, 1, ip6_a, ip6_b);
    ip6.flow_label = 0x100000;
    assert_int_equal(px_pkt_put_ipv6(out, sizeof out, &ip6, 0, &n), EINVAL);
    ip6.flow_label = 0;
    ip6.tclass = 0xff;
    assert_int_equal(px_pkt_put_ipv6(out, sizeof out, &ip6, 65536, &n),
                     EINVAL);
    assert_int_equal(px_pkt_put_ipv6(out, sizeof out, &ip6, 65535, &n), 0);
    assert_int_equal(px_get_be32(out), 0x6ff00000);

    memset(&tcp, 0, sizeof tcp);
    tcp.options = opts;
    tcp.options_len = 5;
    assert_int_equal(px_pkt_put_tcp(out, sizeof out, &tcp, NULL, 0, 0, &n),
                     EINVAL);
    tcp.options_len = 44;
    assert_int_equal(px_pkt_put_tcp(out, sizeof out, &tcp, NULL, 0, 0, &n),
                     EINVAL);
    tcp.options_len = 0;
    tcp.flags = 0x1000;
    assert_int_equal(px_pkt_put_tcp(out, sizeof out, &tcp, NULL, 0, 0, &n),
                     EINVAL);
    tcp.flags = 0x0fff;
    assert_int_equal(px_pkt_put_tcp(out, sizeof out, &tcp, NULL, 1, 0, &n),
                     EINVAL);
    assert_int_equal(px_pkt_put_tcp(out, sizeof out, &tcp, NULL, 0, 0, &n), 0);
    assert_int_equal(px_get_be16(out + 12), 0x5fff);

    memset(&udp, 0, sizeof udp);
    assert_int_equal(px_pkt_put_udp(out, sizeof out, &udp, out, 65528, 0, &n),
                     EINVAL);
    assert_int_equal(px_pkt_put_udp(out, sizeof out, &udp, NULL, 1, 0, &n),
                     EINVAL);
    memset(&icmp, 0, sizeof icmp);
    assert_int_equal(px_pkt_put_icmp(out, sizeof out, &icmp, NULL, 1, &n),
                     EINVAL);
    assert_int_equal(px_pkt_put_icmpv6(out, sizeof out, &icmp, NULL, 1, 0, &n),
                     EINVAL);

    assert_int_equal(px_pkt_put_lldp_tlv(out, sizeof out, 128, NULL, 0, &n),
                     EINVAL);
    assert_int_equal(px_pkt_put_lldp_tlv(out, sizeof out, 127, out, 512, &n),
                     EINVAL);
    assert_int_equal(px_pkt_put_lldp_tlv(out, sizeof out, 1, NULL, 1, &n),
                     EINVAL);
    assert_int_equal(px_pkt_put_lldp_tlv(out, sizeof out, 127, out, 511, &n),
                     0);
    assert_int_equal(px_get_be16(out), 0xffff);

    memset(&lldp, 0, sizeof lldp);
    lldp.chassis_id = name;
    lldp.chassis_id_len = 255;
    lldp.port_id = name;
    lldp.port_id_len = 255;
    lldp.sys_name = name;
    lldp.sys_name_len = 255;
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &lldp, &n), 0);
    lldp.sys_name_len = 256;
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &lldp, &n),
                     EINVAL);
    lldp.sys_name = NULL; /* Then its length does not matter. */
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &lldp, &n), 0);
    lldp.port_id_len = 256;
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &lldp, &n),
                     EINVAL);
    lldp.port_id_len = 0;
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &lldp, &n),
                     EINVAL);
    lldp.port_id_len = 1;
    lldp.chassis_id = NULL;
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &lldp, &n),
                     EINVAL);
    assert_int_equal(n, 0);
}

/* Headers that are there but wrong are not marked; the layer below is. */
static void
test_malformed(void **state)
{
    struct px_pkt pkt;
    struct msg m;

    (void)state;
    /* IPv4: version, header length, total length. */
    parse_patched(FIX_IPV4_UDP_DNS, 14, 0x55, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    assert_null(pkt.l4);
    msg_free(&m);
    parse_patched(FIX_IPV4_UDP_DNS, 14, 0x44, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    parse_patched(FIX_IPV4_UDP_DNS, 14, 0x4f, &m, &pkt); /* 60 > 57. */
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    parse_patched(FIX_IPV4_UDP_DNS, 17, 19, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    /* A total length of just the header: no room for UDP. */
    parse_patched(FIX_IPV4_UDP_DNS, 17, 20, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4);
    assert_int_equal(pkt.l4_len, 0);
    msg_free(&m);

    /* TCP: a data offset under 5 words, or past the segment. */
    parse_patched(FIX_IPV4_TCP_OPTIONS, 38 + 12, 0x40, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4);
    assert_non_null(pkt.l4);
    assert_null(pkt.payload);
    msg_free(&m);
    parse_patched(FIX_IPV4_TCP_OPTIONS, 38 + 12, 0xb0, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4);
    msg_free(&m);

    /* UDP: a length under 8 or past the packet; under the packet is
     * fine, and bounds the payload. */
    parse_patched(FIX_IPV4_UDP_DNS, 34 + 5, 7, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4);
    msg_free(&m);
    parse_patched(FIX_IPV4_UDP_DNS, 34 + 5, 38, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4);
    msg_free(&m);
    parse_patched(FIX_IPV4_UDP_DNS, 34 + 5, 30, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_UDP);
    assert_int_equal(pkt.payload_len, 22);
    msg_free(&m);

    /* ND: an option of length 0 or past the message, a code not 0; an
     * option of another type is skipped. */
    parse_patched(FIX_ICMPV6_NS, 54 + 25, 0, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6);
    assert_null(pkt.nd.sll);
    msg_free(&m);
    parse_patched(FIX_ICMPV6_NS, 54 + 25, 2, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6);
    msg_free(&m);
    parse_patched(FIX_ICMPV6_NS, 54 + 1, 1, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6);
    msg_free(&m);
    parse_patched(FIX_ICMPV6_NS, 54 + 24, 14, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6 | PX_PKT_ND);
    assert_null(pkt.nd.sll);
    assert_null(pkt.nd.tll);
    msg_free(&m);
    /* An NS cut to its 24 bytes by its payload length has no options. */
    parse_patched(FIX_ICMPV6_NS, 19, 24, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6 | PX_PKT_ND);
    assert_null(pkt.nd.sll);
    msg_free(&m);
    /* Or to 23: no ND. */
    parse_patched(FIX_ICMPV6_NS, 19, 23, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6 | PX_PKT_ICMPV6);
    msg_free(&m);

    /* ARP of other hardware or protocol addresses. */
    parse_patched(FIX_ARP_REQUEST, 15, 6, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    parse_patched(FIX_ARP_REQUEST, 19, 16, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    m = load(FIX_ARP_REPLY);
    assert_int_equal(px_pkt_parse(m.data, m.len - 1, &pkt), 0);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);

    /* IPv6 of version 4, ICMP in IPv6, ICMPv6 in IPv4. */
    parse_patched(FIX_IPV6_UDP_DNS, 14, 0x40, &m, &pkt);
    assert_int_equal(pkt.layers, 0);
    msg_free(&m);
    parse_patched(FIX_ICMPV6_ECHO_REQUEST, 20, PX_IP_PROTO_ICMP, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV6);
    assert_int_equal(pkt.ip_proto, PX_IP_PROTO_ICMP);
    assert_non_null(pkt.l4);
    msg_free(&m);
    parse_patched(FIX_ICMP_ECHO_REQUEST, 23, PX_IP_PROTO_ICMPV6, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4);
    msg_free(&m);
}

static void
test_format(void **state)
{
    char buf[PX_PKT_IPV6_STRLEN];

    (void)state;
    assert_string_equal(px_pkt_format_mac(mac_a, buf, PX_PKT_MAC_STRLEN),
                        "00:00:5e:00:53:01");
    assert_string_equal(px_pkt_format_mac(mac_bcast, buf, sizeof buf),
                        "ff:ff:ff:ff:ff:ff");
    assert_string_equal(px_pkt_format_mac(mac_a, buf, 6), "00:00");
    assert_string_equal(px_pkt_format_ipv4(IP_C, buf, sizeof buf),
                        "198.51.100.7");
    assert_string_equal(
        px_pkt_format_ipv4(0xffffffff, buf, PX_PKT_IPV4_STRLEN),
        "255.255.255.255");
    assert_string_equal(px_pkt_format_ipv4(0, buf, 4), "0.0");
    assert_string_equal(px_pkt_format_ipv6(ip6_a, buf, sizeof buf),
                        "2001:db8::1");
    assert_string_equal(px_pkt_format_ipv6(ip6_sn, buf, sizeof buf),
                        "ff02::1:ff00:2");
    assert_string_equal(px_pkt_format_ipv6(ip6_sn, buf, 5), "ff02");
    buf[0] = 'x';
    assert_ptr_equal(px_pkt_format_ipv6(ip6_a, buf, 0), buf);
    assert_ptr_equal(px_pkt_format_mac(mac_a, buf, 0), buf);
    assert_ptr_equal(px_pkt_format_ipv4(IP_A, buf, 0), buf);
    assert_int_equal(buf[0], 'x');

    assert_true(px_pkt_mac_is_multicast(mac_bcast));
    assert_true(px_pkt_mac_is_broadcast(mac_bcast));
    assert_false(px_pkt_mac_is_multicast(mac_a));
    assert_false(px_pkt_mac_is_broadcast(mac_a));
}

/* The lab's hosts (see FIX_LAB_ARP_REQUEST). */
static const uint8_t lab_client_mac[6] = {0x1e, 0x27, 0x54, 0x07, 0x82, 0xd7};
static const uint8_t lab_router_mac[6] = {0xba, 0xc1, 0x3f, 0x4e, 0xf9, 0x62};

/* The lab's frames, for the tests that take them all. */
static const char *const lab_fixtures[] = {
    FIX_LAB_ARP_REQUEST,      FIX_LAB_ARP_REPLY, FIX_LAB_ECHO_REQUEST,
    FIX_LAB_ECHO_REPLY,       FIX_LAB_UDP_PROBE, FIX_LAB_TIME_EXCEEDED,
    FIX_LAB_PORT_UNREACHABLE, FIX_LAB_TCP_SYN,   FIX_LAB_HTTP_GET,
};
#define N_LAB_FIXTURES (sizeof lab_fixtures / sizeof lab_fixtures[0])

/* 'mac' and 'addr' as text are what tshark printed. */
static void
assert_mac_text(const uint8_t *mac, const char *text)
{
    char buf[PX_PKT_MAC_STRLEN];

    assert_string_equal(px_pkt_format_mac(mac, buf, sizeof buf), text);
}

static void
assert_ipv4_text(uint32_t addr, const char *text)
{
    char buf[PX_PKT_IPV4_STRLEN];

    assert_string_equal(px_pkt_format_ipv4(addr, buf, sizeof buf), text);
}

/* An IPv4 header of 20 bytes with the fields tshark printed, its
 * checksum "[correct]". */
static void
assert_lab_ipv4(const struct px_pkt *pkt, uint8_t tos, uint16_t total_len,
                uint16_t id, uint16_t frag, uint8_t ttl, uint8_t proto,
                uint16_t csum, const char *src, const char *dst)
{
    assert_true(pkt->layers & PX_PKT_IPV4);
    assert_int_equal(pkt->ipv4.hdr_len, 20);
    assert_null(pkt->ipv4.options);
    assert_int_equal(pkt->ipv4.tos, tos);
    assert_int_equal(pkt->ipv4.total_len, total_len);
    assert_int_equal(pkt->ipv4.id, id);
    assert_int_equal(pkt->ipv4.frag, frag);
    assert_int_equal(pkt->ipv4.ttl, ttl);
    assert_int_equal(pkt->ipv4.proto, proto);
    assert_int_equal(pkt->ip_proto, proto);
    assert_int_equal(pkt->ipv4.csum, csum);
    assert_true(px_pkt_ipv4_csum_ok(pkt));
    assert_ipv4_text(pkt->ipv4.src, src);
    assert_ipv4_text(pkt->ipv4.dst, dst);
}

/* Ethernet as tshark printed it, and px_pkt_eth_addrs agreeing. */
static void
assert_lab_eth(const struct px_pkt *pkt, const char *dst, const char *src,
               uint16_t type)
{
    const uint8_t *d = NULL, *s = NULL;

    assert_mac_text(pkt->eth.dst, dst);
    assert_mac_text(pkt->eth.src, src);
    assert_int_equal(pkt->eth.n_vlans, 0);
    assert_int_equal(pkt->eth.type, type);
    assert_true(px_pkt_eth_addrs(pkt->frame, pkt->len, &d, &s));
    assert_ptr_equal(d, pkt->frame);
    assert_ptr_equal(s, pkt->frame + PX_ETH_ADDR_LEN);
    assert_memory_equal(d, pkt->eth.dst, PX_ETH_ADDR_LEN);
    assert_memory_equal(s, pkt->eth.src, PX_ETH_ADDR_LEN);
}

/* ARP, ping through the router, and its answer. */
static void
test_lab_arp_ping(void **state)
{
    struct px_pkt pkt, req;
    struct msg m, m_req;

    (void)state;
    parse_fix(FIX_LAB_ARP_REQUEST, &m, &pkt);
    assert_int_equal(m.len, 42);
    assert_int_equal(pkt.layers, PX_PKT_ARP);
    assert_lab_eth(&pkt, "ff:ff:ff:ff:ff:ff", "1e:27:54:07:82:d7",
                   PX_ETH_TYPE_ARP);
    assert_true(px_pkt_mac_is_broadcast(pkt.eth.dst));
    assert_int_equal(pkt.arp.op, PX_ARP_REQUEST);
    assert_mac_text(pkt.arp.sha, "1e:27:54:07:82:d7");
    assert_ipv4_text(pkt.arp.spa, "10.0.1.100");
    assert_mac_text(pkt.arp.tha, "00:00:00:00:00:00");
    assert_ipv4_text(pkt.arp.tpa, "10.0.1.1");
    assert_false(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);

    parse_fix(FIX_LAB_ARP_REPLY, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_ARP);
    assert_lab_eth(&pkt, "1e:27:54:07:82:d7", "ba:c1:3f:4e:f9:62",
                   PX_ETH_TYPE_ARP);
    assert_int_equal(pkt.arp.op, PX_ARP_REPLY);
    assert_memory_equal(pkt.arp.sha, lab_router_mac, 6);
    assert_ipv4_text(pkt.arp.spa, "10.0.1.1");
    assert_memory_equal(pkt.arp.tha, lab_client_mac, 6);
    assert_ipv4_text(pkt.arp.tpa, "10.0.1.100");
    msg_free(&m);

    parse_fix(FIX_LAB_ECHO_REQUEST, &m_req, &req);
    assert_int_equal(req.layers, PX_PKT_IPV4 | PX_PKT_ICMP);
    assert_lab_eth(&req, "ba:c1:3f:4e:f9:62", "1e:27:54:07:82:d7",
                   PX_ETH_TYPE_IPV4);
    assert_lab_ipv4(&req, 0, 84, 0x7494, PX_IPV4_DF, 64, PX_IP_PROTO_ICMP,
                    0xf806, "10.0.1.100", "192.168.2.2");
    assert_int_equal(req.icmp.type, PX_ICMP_ECHO_REQUEST);
    assert_int_equal(req.icmp.code, 0);
    assert_int_equal(req.icmp.csum, 0xd5df);
    assert_int_equal(req.icmp.id, 0x7467);
    assert_int_equal(req.icmp.seq, 1);
    assert_int_equal(req.payload_len, 8 + 48);
    assert_true(px_pkt_l4_csum_ok(&req));

    parse_fix(FIX_LAB_ECHO_REPLY, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_ICMP);
    assert_lab_eth(&pkt, "1e:27:54:07:82:d7", "ba:c1:3f:4e:f9:62",
                   PX_ETH_TYPE_IPV4);
    assert_lab_ipv4(&pkt, 0, 84, 0x61af, 0, 63, PX_IP_PROTO_ICMP, 0x4bec,
                    "192.168.2.2", "10.0.1.100");
    assert_int_equal(pkt.icmp.type, PX_ICMP_ECHO_REPLY);
    assert_int_equal(pkt.icmp.code, 0);
    assert_int_equal(pkt.icmp.csum, 0xdddf);
    assert_int_equal(pkt.icmp.id, req.icmp.id);
    assert_int_equal(pkt.icmp.seq, req.icmp.seq);
    assert_int_equal(pkt.payload_len, req.payload_len);
    assert_memory_equal(pkt.payload, req.payload, req.payload_len);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    msg_free(&m);
    msg_free(&m_req);
}

/* traceroute's probe, the router's time exceeded about it, a server's
 * port unreachable about another: the quoted datagrams parsed with
 * px_pkt_parse_ip. */
static void
test_lab_traceroute(void **state)
{
    struct px_pkt pkt, probe, quote;
    struct msg m, m_probe;

    (void)state;
    parse_fix(FIX_LAB_UDP_PROBE, &m_probe, &probe);
    assert_int_equal(probe.layers, PX_PKT_IPV4 | PX_PKT_UDP);
    assert_lab_eth(&probe, "ba:c1:3f:4e:f9:62", "1e:27:54:07:82:d7",
                   PX_ETH_TYPE_IPV4);
    assert_lab_ipv4(&probe, 0, 60, 0xe4dd, 0, 1, PX_IP_PROTO_UDP, 0x1a26,
                    "10.0.1.100", "172.64.3.10");
    assert_int_equal(probe.udp.sport, 35899);
    assert_int_equal(probe.udp.dport, 33434);
    assert_int_equal(probe.udp.len, 40);
    assert_int_equal(probe.udp.csum, 0x4115);
    assert_true(px_pkt_l4_csum_ok(&probe));
    assert_int_equal(probe.payload_len, 32);
    assert_int_equal(probe.payload[0], '@');
    assert_int_equal(probe.payload[31], '_');

    parse_fix(FIX_LAB_TIME_EXCEEDED, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_ICMP);
    assert_lab_eth(&pkt, "1e:27:54:07:82:d7", "ba:c1:3f:4e:f9:62",
                   PX_ETH_TYPE_IPV4);
    assert_lab_ipv4(&pkt, 0, 56, 0, 0, 64, PX_IP_PROTO_ICMP, 0x6461,
                    "10.0.1.1", "10.0.1.100");
    assert_int_equal(pkt.icmp.type, PX_ICMP_TIME_EXCEEDED);
    assert_int_equal(pkt.icmp.code, 0);
    assert_int_equal(pkt.icmp.csum, 0xa4ec);
    assert_int_equal(pkt.icmp.id, 0);
    assert_int_equal(pkt.icmp.seq, 0);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    /* The probe's header and 8 bytes, as router/sr quotes. */
    assert_int_equal(pkt.payload_len, 28);
    assert_memory_equal(pkt.payload, probe.l3, 28);
    assert_int_equal(px_pkt_parse_ip(pkt.payload, pkt.payload_len, &quote), 0);
    assert_int_equal(quote.layers,
                     PX_PKT_IPV4 | PX_PKT_UDP | PX_PKT_TRUNCATED);
    assert_lab_ipv4(&quote, 0, 60, 0xe4dd, 0, 1, PX_IP_PROTO_UDP, 0x1a26,
                    "10.0.1.100", "172.64.3.10");
    assert_int_equal(quote.udp.sport, 35899);
    assert_int_equal(quote.udp.dport, 33434);
    assert_int_equal(quote.udp.len, 40);
    assert_int_equal(quote.udp.csum, 0x4115);
    assert_false(px_pkt_l4_csum_ok(&quote)); /* tshark: [unverified]. */
    msg_free(&m);
    msg_free(&m_probe);

    parse_fix(FIX_LAB_PORT_UNREACHABLE, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_ICMP);
    assert_lab_eth(&pkt, "1e:27:54:07:82:d7", "ba:c1:3f:4e:f9:62",
                   PX_ETH_TYPE_IPV4);
    assert_lab_ipv4(&pkt, 0xc0, 88, 0xdaa6, 0, 63, PX_IP_PROTO_ICMP, 0xe590,
                    "172.64.3.10", "10.0.1.100");
    assert_int_equal(pkt.icmp.type, PX_ICMP_DEST_UNREACH);
    assert_int_equal(pkt.icmp.code, 3);
    assert_int_equal(pkt.icmp.csum, 0xb7e4);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    assert_int_equal(pkt.payload_len, 60);
    assert_int_equal(px_pkt_parse_ip(pkt.payload, pkt.payload_len, &quote), 0);
    assert_int_equal(quote.layers, PX_PKT_IPV4 | PX_PKT_UDP);
    assert_lab_ipv4(&quote, 0, 60, 0x5607, 0, 1, PX_IP_PROTO_UDP, 0xa8fc,
                    "10.0.1.100", "172.64.3.10");
    assert_int_equal(quote.udp.sport, 47710);
    assert_int_equal(quote.udp.dport, 33435);
    assert_int_equal(quote.udp.len, 40);
    assert_int_equal(quote.udp.csum, 0x12f1);
    assert_true(px_pkt_l4_csum_ok(&quote)); /* tshark: [correct]. */
    msg_free(&m);
}

/* The HTTP fetch: SYN with its options, then the request. */
static void
test_lab_tcp(void **state)
{
    static const char get[] = "GET /index.html HTTP/1.1\r\n"
                              "Host: 192.168.2.2\r\n";
    struct px_pkt pkt;
    struct msg m;
    const uint8_t *o;

    (void)state;
    parse_fix(FIX_LAB_TCP_SYN, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_TCP);
    assert_lab_eth(&pkt, "ba:c1:3f:4e:f9:62", "1e:27:54:07:82:d7",
                   PX_ETH_TYPE_IPV4);
    assert_lab_ipv4(&pkt, 0, 60, 0x6186, PX_IPV4_DF, 64, PX_IP_PROTO_TCP,
                    0x0b28, "10.0.1.100", "192.168.2.2");
    assert_int_equal(pkt.tcp.sport, 46656);
    assert_int_equal(pkt.tcp.dport, 80);
    assert_int_equal(pkt.tcp.seq, 516505471);
    assert_int_equal(pkt.tcp.ack, 0);
    assert_int_equal(pkt.tcp.hdr_len, 40);
    assert_int_equal(pkt.tcp.flags, PX_TCP_SYN);
    assert_int_equal(pkt.tcp.window, 42340);
    assert_int_equal(pkt.tcp.csum, 0x9588);
    assert_int_equal(pkt.tcp.urg, 0);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    assert_int_equal(pkt.payload_len, 0);
    /* MSS 1460, SACK permitted, timestamps, NOP, window scale 9. */
    o = pkt.tcp.options;
    assert_int_equal(pkt.tcp.options_len, 20);
    assert_int_equal(o[0], 2);
    assert_int_equal(o[1], 4);
    assert_int_equal(px_get_be16(o + 2), 1460);
    assert_int_equal(o[4], 4);
    assert_int_equal(o[6], 8);
    assert_int_equal(px_get_be32(o + 8), 1388435304);
    assert_int_equal(px_get_be32(o + 12), 0);
    assert_int_equal(o[16], 1);
    assert_int_equal(o[17], 3);
    assert_int_equal(o[19], 9);
    msg_free(&m);

    parse_fix(FIX_LAB_HTTP_GET, &m, &pkt);
    assert_int_equal(pkt.layers, PX_PKT_IPV4 | PX_PKT_TCP);
    assert_lab_ipv4(&pkt, 0, 188, 0x6188, PX_IPV4_DF, 64, PX_IP_PROTO_TCP,
                    0x0aa6, "10.0.1.100", "192.168.2.2");
    assert_int_equal(pkt.tcp.sport, 46656);
    assert_int_equal(pkt.tcp.dport, 80);
    assert_int_equal(pkt.tcp.seq, 516505472);
    assert_int_equal(pkt.tcp.ack, 2669961264u);
    assert_int_equal(pkt.tcp.hdr_len, 32);
    assert_int_equal(pkt.tcp.flags, PX_TCP_PSH | PX_TCP_ACK);
    assert_int_equal(pkt.tcp.window, 83);
    assert_int_equal(pkt.tcp.csum, 0x6e64);
    assert_true(px_pkt_l4_csum_ok(&pkt));
    assert_int_equal(pkt.tcp.options_len, 12);
    assert_int_equal(px_get_be32(pkt.tcp.options + 4), 1388435306);
    assert_int_equal(px_get_be32(pkt.tcp.options + 8), 3499242398u);
    assert_int_equal(pkt.payload_len, 136);
    assert_memory_equal(pkt.payload, get, sizeof get - 1);
    msg_free(&m);
}

/* What the tests over all_fixtures check, over the lab's frames: every
 * prefix parses as the whole frame says (test_truncations), the parse
 * writes the frame back (test_rebuild), and a checksum stops verifying
 * when a byte it covers changes (test_csum_fixtures). */
static void
test_lab_fixtures(void **state)
{
    size_t f, len, i, n;
    uint8_t out[256];

    (void)state;
    for (f = 0; f < N_LAB_FIXTURES; f++) {
        struct px_pkt full, part;
        struct msg m;

        parse_fix(lab_fixtures[f], &m, &full);
        for (len = PX_ETH_HDR_LEN; len <= m.len; len++) {
            uint8_t *p = copy_exact(m.data, len);

            assert_int_equal(px_pkt_parse(p, len, &part), 0);
            check_bounds(&part);
            check_same(&full, &part);
            if (full.layers & PX_PKT_IPV4) {
                assert_int_equal(!!(part.layers & PX_PKT_IPV4),
                                 len >= layer_end(&full, PX_PKT_IPV4));
            }
            assert_int_equal(!!(part.layers & PX_PKT_TRUNCATED),
                             part.layers & PX_PKT_IPV4 &&
                                 len < (size_t)off(&full, full.l3) +
                                           full.l3_len);
            free(p);
        }
        n = rebuild(&full, out, sizeof out);
        assert_int_equal(n, m.len);
        assert_memory_equal(out, m.data, n);
        for (i = 0; full.l4 && i < full.l4_len; i++) {
            m.data[off(&full, full.l4) + i] ^= 0x10;
            assert_int_equal(px_pkt_parse(m.data, m.len, &part), 0);
            assert_false(px_pkt_l4_csum_ok(&part));
            m.data[off(&full, full.l4) + i] ^= 0x10;
        }
        msg_free(&m);
    }
}

/* px_pkt_parse_ip on the L3 of each lab frame finds what px_pkt_parse
 * found in the frame, with no Ethernet; every prefix of it, in a buffer
 * of exactly its size, parses; NULL and nothing are refused. */
static void
test_parse_ip(void **state)
{
    static const uint8_t zero_eth[sizeof(struct px_pkt_eth)];
    struct px_pkt full, ip;
    size_t f, len;
    struct msg m;

    (void)state;
    memset(&ip, 0xa5, sizeof ip);
    assert_int_equal(px_pkt_parse_ip(NULL, 20, &ip), EINVAL);
    assert_int_equal(ip.layers, 0);
    assert_null(ip.l3);
    assert_int_equal(px_pkt_parse_ip(zero_eth, 0, &ip), EINVAL);

    for (f = 0; f < N_LAB_FIXTURES; f++) {
        parse_fix(lab_fixtures[f], &m, &full);
        if (!(full.layers & PX_PKT_IPV4)) {
            msg_free(&m);
            continue;
        }
        assert_int_equal(px_pkt_parse_ip(full.l3, full.l3_len, &ip), 0);
        assert_int_equal(ip.layers, full.layers);
        assert_memory_equal(&ip.eth, zero_eth, sizeof ip.eth);
        assert_ptr_equal(ip.frame, full.l3);
        assert_int_equal(ip.len, full.l3_len);
        assert_ptr_equal(ip.l3, full.l3);
        assert_int_equal(ip.l3_len, full.l3_len);
        assert_ptr_equal(ip.l4, full.l4);
        assert_int_equal(ip.l4_len, full.l4_len);
        assert_ptr_equal(ip.payload, full.payload);
        assert_int_equal(ip.payload_len, full.payload_len);
        assert_int_equal(ip.ipv4.id, full.ipv4.id);
        assert_int_equal(ip.ipv4.csum, full.ipv4.csum);
        assert_int_equal(ip.ipv4.src, full.ipv4.src);
        assert_int_equal(ip.icmp.csum, full.icmp.csum);
        assert_int_equal(ip.tcp.seq, full.tcp.seq);
        assert_int_equal(ip.udp.csum, full.udp.csum);
        assert_true(px_pkt_ipv4_csum_ok(&ip));
        assert_true(px_pkt_l4_csum_ok(&ip));
        for (len = 0; len < full.l3_len; len++) {
            uint8_t *p = copy_exact(full.l3, len);

            assert_int_equal(px_pkt_parse_ip(p, len, &ip), len ? 0 : EINVAL);
            assert_int_equal(!!(ip.layers & PX_PKT_IPV4),
                             len >= full.ipv4.hdr_len);
            assert_int_equal(!!(ip.layers & PX_PKT_TRUNCATED),
                             len >= full.ipv4.hdr_len);
            free(p);
        }
        msg_free(&m);
    }

    /* IPv6 by its version, and a version that is neither. */
    parse_fix(FIX_IPV6_UDP_DNS, &m, &full);
    assert_int_equal(px_pkt_parse_ip(full.l3, full.l3_len, &ip), 0);
    assert_int_equal(ip.layers, PX_PKT_IPV6 | PX_PKT_UDP);
    assert_int_equal(ip.udp.sport, 53001);
    assert_true(px_pkt_l4_csum_ok(&ip));
    m.data[PX_ETH_HDR_LEN] = 0x55;
    assert_int_equal(px_pkt_parse_ip(full.l3, full.l3_len, &ip), 0);
    assert_int_equal(ip.layers, 0);
    assert_null(ip.l4);
    msg_free(&m);
}

/* The L2-only accessor: the addresses where they are, nothing for a
 * frame shorter than an Ethernet header. */
static void
test_eth_addrs(void **state)
{
    const uint8_t *dst = NULL, *src = NULL;
    size_t len;
    struct msg m;

    (void)state;
    m = load(FIX_LAB_ARP_REQUEST);
    for (len = 0; len < PX_ETH_HDR_LEN; len++) {
        uint8_t *p = copy_exact(m.data, len);

        assert_false(px_pkt_eth_addrs(p, len, &dst, &src));
        assert_null(dst);
        assert_null(src);
        free(p);
    }
    assert_false(px_pkt_eth_addrs(NULL, 0, &dst, &src));
    assert_true(px_pkt_eth_addrs(m.data, PX_ETH_HDR_LEN, &dst, &src));
    assert_ptr_equal(dst, m.data);
    assert_ptr_equal(src, m.data + 6);
    assert_true(px_pkt_mac_is_broadcast(dst));
    assert_memory_equal(src, lab_client_mac, 6);
    msg_free(&m);
}

/* The summary of the frame 'hex' (its first 'len' bytes, or all when 0)
 * is 'want'. */
static void
assert_summary(const char *hex, size_t len, const char *want)
{
    char text[PX_PKT_SUMMARY_LEN];
    struct px_pkt pkt;
    struct msg m;
    uint8_t *p;

    m = load(hex);
    if (!len) {
        len = m.len;
    }
    assert_true(len <= m.len);
    p = copy_exact(m.data, len);
    px_pkt_parse(p, len, &pkt);
    assert_int_equal(px_pkt_summary(&pkt, text, sizeof text), strlen(want));
    assert_string_equal(text, want);
    free(p);
    msg_free(&m);
}

/* One line per frame, as the header documents; cut to any size. */
static void
test_summary(void **state)
{
    static const struct {
        const char *hex;
        const char *text;
    } cases[] = {
        {FIX_LAB_ARP_REQUEST, "ARP who-has 10.0.1.1 tell 10.0.1.100"},
        {FIX_LAB_ARP_REPLY, "ARP 10.0.1.1 is-at ba:c1:3f:4e:f9:62"},
        {FIX_LAB_ECHO_REQUEST, "ICMP 10.0.1.100 > 192.168.2.2 echo request "
                               "id 29799 seq 1 ttl 64"},
        {FIX_LAB_ECHO_REPLY, "ICMP 192.168.2.2 > 10.0.1.100 echo reply id "
                             "29799 seq 1 ttl 63"},
        {FIX_LAB_UDP_PROBE,
         "UDP 10.0.1.100:35899 > 172.64.3.10:33434 len 32 ttl 1"},
        {FIX_LAB_TIME_EXCEEDED,
         "ICMP 10.0.1.1 > 10.0.1.100 time exceeded [UDP 10.0.1.100:35899 > "
         "172.64.3.10:33434] ttl 64"},
        {FIX_LAB_PORT_UNREACHABLE,
         "ICMP 172.64.3.10 > 10.0.1.100 destination unreachable (port) [UDP "
         "10.0.1.100:47710 > 172.64.3.10:33435] ttl 63"},
        {FIX_ICMP_TIME_EXCEEDED,
         "ICMP 192.0.2.254 > 192.0.2.1 time exceeded [ICMP 192.0.2.1 > "
         "192.0.2.2 echo request id 2845 seq 1] ttl 64"},
        {FIX_LAB_TCP_SYN, "TCP 10.0.1.100:46656 > 192.168.2.2:80 [S] seq "
                          "516505471 len 0 ttl 64"},
        {FIX_LAB_HTTP_GET,
         "TCP 10.0.1.100:46656 > 192.168.2.2:80 [P.] seq 516505472 ack "
         "2669961264 len 136 ttl 64"},
        {FIX_IPV4_FRAG_FIRST, "UDP 192.0.2.1:40001 > 192.0.2.2:7 len 32 ttl "
                              "64 frag id 21845 offset 0 MF"},
        {FIX_IPV4_FRAG_LATER,
         "IPv4 192.0.2.1 > 192.0.2.2 proto 17 ttl 64 frag id 21845 offset 40"},
        {FIX_IPV6_HBH_FRAG_TCP, "TCP [2001:db8::1]:49153 > [2001:db8::2]:443 "
                                "[P.] seq 1 ack 1 len 6 hlim 64"},
        {FIX_ICMPV6_NS, "ICMPv6 2001:db8::1 > ff02::1:ff00:2 neighbor "
                        "solicitation who-has 2001:db8::2 hlim 255"},
        {FIX_ICMPV6_NA, "ICMPv6 2001:db8::2 > 2001:db8::1 neighbor "
                        "advertisement 2001:db8::2 is-at 00:00:5e:00:53:02 "
                        "[SO] hlim 255"},
        {FIX_ICMPV6_ECHO_REQUEST, "ICMPv6 2001:db8::1 > 2001:db8::2 echo "
                                  "request id 7470 seq 7 hlim 64"},
        {FIX_VLAN_UDP, "vlan 100 p 5 UDP 192.0.2.1:53000 > 198.51.100.7:53 "
                       "len 29 ttl 64"},
        {FIX_QINQ_ARP, "qinq 200 vlan 100 ARP who-has 192.0.2.2 tell "
                       "192.0.2.1"},
        {FIX_LLDP, "LLDP chassis 00:00:5e:00:53:01 port eth0 ttl 120 system "
                   "switch1"},
    };
    static const uint8_t port_no[4] = {0, 0, 0, 3};
    char full[PX_PKT_SUMMARY_LEN], *cut;
    struct px_pkt_lldp lldp;
    struct px_pkt pkt;
    size_t i, n, size;
    uint8_t out[128];
    struct msg m;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_summary(cases[i].hex, 0, cases[i].text);
    }

    /* Truncated and malformed frames say so. */
    assert_summary(FIX_LAB_ECHO_REQUEST, 42,
                   "ICMP 10.0.1.100 > 192.168.2.2 echo request id 29799 seq 1 "
                   "ttl 64 truncated (28 of 84 bytes)");
    assert_summary(FIX_LAB_ECHO_REQUEST, 40,
                   "IPv4 10.0.1.100 > 192.168.2.2 proto 1 ttl 64 truncated "
                   "(26 of 84 bytes)");
    assert_summary(FIX_LAB_ECHO_REQUEST, 30, "IPv4 truncated (16 bytes)");
    assert_summary(FIX_LAB_TCP_SYN, 40,
                   "IPv4 10.0.1.100 > 192.168.2.2 proto 6 ttl 64 truncated "
                   "(26 of 60 bytes)");
    assert_summary(FIX_LAB_ARP_REQUEST, 30, "ARP truncated (16 bytes)");
    assert_summary(FIX_LAB_ARP_REQUEST, 13,
                   "truncated frame (shorter than an Ethernet header)");
    assert_summary(FIX_VLAN_UDP, 16, "truncated vlan tag (16 bytes)");
    parse_patched(FIX_IPV4_TCP_OPTIONS, 38 + 12, 0x40, &m, &pkt);
    px_pkt_summary(&pkt, full, sizeof full);
    assert_string_equal(full,
                        "IPv4 192.0.2.1 > 192.0.2.2 proto 6 malformed ttl 64");
    msg_free(&m);
    parse_patched(FIX_LAB_ARP_REQUEST, 12, 0x88, &m, &pkt);
    m.data[13] = 0xb5;
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    px_pkt_summary(&pkt, full, sizeof full);
    assert_string_equal(full, "ethertype 0x88b5 len 42");
    msg_free(&m);

    /* Names from the wire that are not printable are written in hex:
     * the topology plugin's port ids are 4 bytes of port number. */
    memset(&lldp, 0, sizeof lldp);
    lldp.chassis_subtype = 7;
    lldp.chassis_id = (const uint8_t *)"dpid:1";
    lldp.chassis_id_len = 6;
    lldp.port_subtype = 2;
    lldp.port_id = port_no;
    lldp.port_id_len = sizeof port_no;
    lldp.ttl = 120;
    lldp.sys_name = (const uint8_t *)"sw\n\xc3";
    lldp.sys_name_len = 4;
    assert_int_equal(px_pkt_build_lldp(out, sizeof out, mac_a, &lldp, &n), 0);
    assert_int_equal(px_pkt_parse(out, n, &pkt), 0);
    px_pkt_summary(&pkt, full, sizeof full);
    assert_string_equal(
        full, "LLDP chassis dpid:1 port 0x00000003 ttl 120 system 0x73770ac3");

    /* Cut to every size, each buffer of exactly that size: a terminated
     * prefix of the whole, and its length returned. */
    m = load(FIX_LAB_PORT_UNREACHABLE);
    assert_int_equal(px_pkt_parse(m.data, m.len, &pkt), 0);
    n = px_pkt_summary(&pkt, full, sizeof full);
    assert_int_equal(n, strlen(full));
    assert_int_equal(px_pkt_summary(&pkt, NULL, 0), 0);
    for (size = 1; size <= n + 2; size++) {
        size_t k;

        cut = malloc(size);
        assert_non_null(cut);
        k = px_pkt_summary(&pkt, cut, size);
        assert_int_equal(k, size - 1 < n ? size - 1 : n);
        assert_int_equal(strlen(cut), k);
        assert_memory_equal(cut, full, k);
        free(cut);
    }
    msg_free(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short),
        cmocka_unit_test(test_csum_rfc1071),
        cmocka_unit_test(test_csum_ipv4_header),
        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_ipv4_tcp),
        cmocka_unit_test(test_ipv4_udp),
        cmocka_unit_test(test_icmp_echo),
        cmocka_unit_test(test_icmp_error),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ipv6_tcp),
        cmocka_unit_test(test_ipv6_fragment),
        cmocka_unit_test(test_ipv6_udp),
        cmocka_unit_test(test_nd),
        cmocka_unit_test(test_icmpv6),
        cmocka_unit_test(test_vlan),
        cmocka_unit_test(test_lldp),
        cmocka_unit_test(test_lldp_malformed),
        cmocka_unit_test(test_ipv6_ext_limit),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_rebuild),
        cmocka_unit_test(test_csum_fixtures),
        cmocka_unit_test(test_enospc),
        cmocka_unit_test(test_einval),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_lab_arp_ping),
        cmocka_unit_test(test_lab_traceroute),
        cmocka_unit_test(test_lab_tcp),
        cmocka_unit_test(test_lab_fixtures),
        cmocka_unit_test(test_parse_ip),
        cmocka_unit_test(test_eth_addrs),
        cmocka_unit_test(test_summary),
    };

    return cmocka_run_group_tests_name("packet", tests, NULL, NULL);
}
