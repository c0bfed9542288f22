/*
 * Unit tests for the software router's modules (router/sr_*.c): the
 * internet checksum, the rtable parser and longest-prefix match, the ARP
 * cache and request queue on a fake clock, the ICMP builders, the frame
 * handler end to end, byte for byte, and the parser of -s server lists.
 *
 * The network is the lab's: eth1 192.168.2.1 towards server1 192.168.2.2,
 * eth2 172.64.3.1 towards server2 172.64.3.10, eth3 10.0.1.1 towards the
 * client 10.0.1.100, with the lab's /32 host routes.
 *
 * Fixtures are whole Ethernet frames in hex, 4-byte words.  They were
 * built by an independent Python encoder and checked with tshark 4.0.17
 * (ip.check_checksum on): every IP and ICMP checksum in them reads
 * "good" except UDP_BAD_CKSUM's, on purpose; the comment above each is
 * what tshark printed, abbreviated.  Frames handed to the router are
 * exact-size heap copies, so ASan reports a read past their end.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_arp.h"
#include "sr_icmp.h"
#include "sr_proto.h"
#include "sr_router.h"
#include "sr_rt.h"
#include "sr_servers.h"
#include "hexfix.h"

#define MAX_FRAME 2048
#define MAX_SENT  64

/* tshark: Who has 10.0.1.1? Tell 10.0.1.100 (from the client, on eth3). */
static const char ARP_REQ_CL[] =
    "ffffffff ffff0a00 00000064 08060001 08000604 00010a00 "
    "00000064 0a000164 00000000 00000a00 0101";

/* tshark: 10.0.1.1 is at 02:00:00:00:03:03 (our answer, out eth3). */
static const char ARP_REPLY_TO_CL[] =
    "0a000000 00640200 00000303 08060001 08000604 00020200 "
    "00000303 0a000101 0a000000 00640a00 0164";

/* tshark: Who has 192.168.2.2? Tell 192.168.2.1 (ours, out eth1). */
static const char ARP_REQ_S1[] =
    "ffffffff ffff0200 00000101 08060001 08000604 00010200 "
    "00000101 c0a80201 00000000 0000c0a8 0202";

/* tshark: 192.168.2.2 is at 0a:00:00:00:00:02 (server1, on eth1). */
static const char ARP_REPLY_S1[] =
    "02000000 01010a00 00000002 08060001 08000604 00020a00 "
    "00000002 c0a80202 02000000 0101c0a8 0201";

/* tshark: 10.0.1.100 is at 0a:00:00:00:00:64 (client, on eth3). */
static const char ARP_REPLY_CL[] =
    "02000000 03030a00 00000064 08060001 08000604 00020a00 "
    "00000064 0a000164 02000000 03030a00 0101";

/* tshark: 172.64.3.10 is at 0a:00:00:00:00:0a (server2, on eth2). */
static const char ARP_REPLY_S2[] =
    "02000000 02020a00 0000000a 08060001 08000604 00020a00 "
    "0000000a ac40030a 02000000 0202ac40 0301";

/* tshark: 10.0.1.100 -> 192.168.2.2 UDP 5000 -> 9 Len=12, TTL 64. */
static const char UDP_CL_S1[] =
    "02000000 03030a00 00000064 08004500 00281234 00004011 "
    "9a830a00 0164c0a8 02021388 00090014 00006865 6c6c6f20 "
    "776f726c 6421";

/* The same forwarded out eth1: TTL 63, to server1's MAC. */
static const char UDP_CL_S1_FWD[] =
    "0a000000 00020200 00000101 08004500 00281234 00003f11 "
    "9b830a00 0164c0a8 02021388 00090014 00006865 6c6c6f20 "
    "776f726c 6421";

/* tshark: 172.64.3.10 -> 192.168.2.2 UDP 6000 -> 80 Len=3, TTL 10. */
static const char UDP_S2_S1[] =
    "02000000 02020a00 0000000a 08004500 001f0007 00000a11 "
    "3ed3ac40 030ac0a8 02021770 0050000b 00007879 7a";

/* tshark: 10.0.1.1 -> 10.0.1.100 Destination unreachable (Host
 * unreachable), quoting UDP_CL_S1_FWD's header (TTL 63) + 8 bytes. */
static const char HOST_UNREACH_CL[] =
    "0a000000 00640200 00000303 08004500 00380000 00004001 "
    "64610a00 01010a00 01640301 e9590000 00004500 00281234 "
    "00003f11 9b830a00 0164c0a8 02021388 00090014 0000";

/* tshark: 172.64.3.1 -> 172.64.3.10 Destination unreachable (Host
 * unreachable), quoting UDP_S2_S1 as forwarded (TTL 9). */
static const char HOST_UNREACH_S2[] =
    "0a000000 000a0200 00000202 08004500 00380000 00004001 "
    "1c3aac40 0301ac40 030a0301 e5330000 00004500 001f0007 "
    "00000911 3fd3ac40 030ac0a8 02021770 0050000b 0000";

/* UDP_CL_S1 with TTL 1. */
static const char UDP_TTL1[] =
    "02000000 03030a00 00000064 08004500 00281234 00000111 "
    "d9830a00 0164c0a8 02021388 00090014 00006865 6c6c6f20 "
    "776f726c 6421";

/* tshark: 10.0.1.1 -> 10.0.1.100 Time-to-live exceeded in transit. */
static const char TIME_EXCEEDED_CL[] =
    "0a000000 00640200 00000303 08004500 00380000 00004001 "
    "64610a00 01010a00 01640b00 e15a0000 00004500 00281234 "
    "00000111 d9830a00 0164c0a8 02021388 00090014 0000";

/* tshark: 10.0.1.100 -> 8.8.8.8 UDP 5000 -> 9 Len=12. */
static const char UDP_NO_ROUTE[] =
    "02000000 03030a00 00000064 08004500 00281234 00004011 "
    "4d1e0a00 01640808 08081388 00090014 00006865 6c6c6f20 "
    "776f726c 6421";

/* tshark: 10.0.1.1 -> 10.0.1.100 Destination unreachable (Network
 * unreachable). */
static const char NET_UNREACH_CL[] =
    "0a000000 00640200 00000303 08004500 00380000 00004001 "
    "64610a00 01010a00 01640300 e95a0000 00004500 00281234 "
    "00004011 4d1e0a00 01640808 08081388 00090014 0000";

/* tshark: 10.0.1.100 -> 192.168.2.1 UDP 5000 -> 9 Len=12 (a router
 * address, but not that of eth3, where it arrives). */
static const char UDP_TO_ROUTER[] =
    "02000000 03030a00 00000064 08004500 00281234 00004011 "
    "9a840a00 0164c0a8 02011388 00090014 00006865 6c6c6f20 "
    "776f726c 6421";

/* tshark: 10.0.1.1 -> 10.0.1.100 Destination unreachable (Port
 * unreachable). */
static const char PORT_UNREACH_CL[] =
    "0a000000 00640200 00000303 08004500 00380000 00004001 "
    "64610a00 01010a00 01640303 e9570000 00004500 00281234 "
    "00004011 9a840a00 0164c0a8 02011388 00090014 0000";

/* tshark: 10.0.1.100 -> 10.0.1.1 TCP 40000 -> 22 [SYN], IP options
 * NOP NOP NOP EOL (IHL 6). */
static const char TCP_OPTS_TO_ROUTER[] =
    "02000000 03030a00 00000064 08004600 002c0009 00004006 "
    "615e0a00 01640a00 01010101 01009c40 00160000 00010000 "
    "00005002 20000000 0000";

/* tshark: 10.0.1.1 -> 10.0.1.100 Destination unreachable (Port
 * unreachable), quoting all 24 header bytes + 8. */
static const char PORT_UNREACH_TCP[] =
    "0a000000 00640200 00000303 08004500 003c0000 00004001 "
    "645d0a00 01010a00 01640303 60a50000 00004600 002c0009 "
    "00004006 615e0a00 01640a00 01010101 01009c40 00160000 "
    "0001";

/* tshark: Echo (ping) request id=0x0042, seq=1, 56 data bytes. */
static const char PING_EVEN[] =
    "02000000 03030a00 00000064 08004500 00540077 00004001 "
    "63ce0a00 01640a00 01010800 00aa0042 00010001 02030405 "
    "06070809 0a0b0c0d 0e0f1011 12131415 16171819 1a1b1c1d "
    "1e1f2021 22232425 26272829 2a2b2c2d 2e2f3031 32333435 "
    "3637";

/* tshark: Echo (ping) reply id=0x0042, seq=1. */
static const char PONG_EVEN[] =
    "0a000000 00640200 00000303 08004500 00540000 00004001 "
    "64450a00 01010a00 01640000 08aa0042 00010001 02030405 "
    "06070809 0a0b0c0d 0e0f1011 12131415 16171819 1a1b1c1d "
    "1e1f2021 22232425 26272829 2a2b2c2d 2e2f3031 32333435 "
    "3637";

/* tshark: Echo (ping) request id=0x0042, seq=2, 3 data bytes "abc". */
static const char PING_ODD[] =
    "02000000 03030a00 00000064 08004500 001f0077 00004001 "
    "64030a00 01640a00 01010800 33590042 00026162 63";

/* tshark: Echo (ping) reply id=0x0042, seq=2. */
static const char PONG_ODD[] =
    "0a000000 00640200 00000303 08004500 001f0000 00004001 "
    "647a0a00 01010a00 01640000 3b590042 00026162 63";

/* tshark: Echo (ping) request seq=3, 9 data bytes, IP option record
 * route (one slot) + NOP (IHL 7). */
static const char PING_OPTS[] =
    "02000000 03030a00 00000064 08004700 002d0077 00004001 "
    "56ed0a00 01640a00 01010707 04000000 00010800 10510042 "
    "00036f70 74696f6e 732121";

/* tshark: Echo (ping) reply seq=3 (options not reflected). */
static const char PONG_OPTS[] =
    "0a000000 00640200 00000303 08004500 00250000 00004001 "
    "64740a00 01010a00 01640000 18510042 00036f70 74696f6e "
    "732121";

/* tshark: Echo (ping) request to 172.64.3.1 seq=4, arriving on eth3. */
static const char PING_OTHER_IFACE[] =
    "02000000 03030a00 00000064 08004500 001e0077 00004001 "
    "bfc30a00 0164ac40 03010800 7f400042 00047879";

/* tshark: Echo (ping) reply from 172.64.3.1 seq=4. */
static const char PONG_OTHER_IFACE[] =
    "0a000000 00640200 00000303 08004500 001e0000 00004001 "
    "c03aac40 03010a00 01640000 87400042 00047879";

/* UDP_CL_S1 with its IP checksum off by one bit (tshark: Bad
 * checksum [should be 0x9a83]). */
static const char UDP_BAD_CKSUM[] =
    "02000000 03030a00 00000064 08004500 00281234 00004011 "
    "9a820a00 0164c0a8 02021388 00090014 00006865 6c6c6f20 "
    "776f726c 6421";

/* tshark: 10.0.1.100 -> 192.168.2.2 proto UDP, TTL 1, only 4 payload
 * bytes. */
static const char SHORT_TTL1[] =
    "02000000 03030a00 00000064 08004500 00180005 00000111 "
    "ebc20a00 0164c0a8 02021388 0009";

/* tshark: Time-to-live exceeded quoting SHORT_TTL1 whole (20 + 4). */
static const char TIME_EXCEEDED_SHORT[] =
    "0a000000 00640200 00000303 08004500 00340000 00004001 "
    "64650a00 01010a00 01640b00 e16e0000 00004500 00180005 "
    "00000111 ebc20a00 0164c0a8 02021388 0009";

static const uint8_t ETH1_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};
static const uint8_t ETH2_MAC[6] = {0x02, 0, 0, 0, 0x02, 0x02};
static const uint8_t ETH3_MAC[6] = {0x02, 0, 0, 0, 0x03, 0x03};
static const uint8_t S1_MAC[6] = {0x0a, 0, 0, 0, 0, 0x02};

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const char LAB_RTABLE[] =
    "192.168.2.2 192.168.2.2 255.255.255.255 eth1\n"
    "172.64.3.10 172.64.3.10 255.255.255.255 eth2\n"
    "10.0.1.100 10.0.1.100 255.255.255.255 eth3\n";

/* Frames the code under test sent, in order. */
struct sent {
    char iface[SR_IFNAME_LEN];
    uint8_t frame[MAX_FRAME];
    size_t len;
};
static struct sent sent[MAX_SENT];
static size_t n_sent;   /* Recorded in 'sent'. */
static size_t n_output; /* All, recorded or not (for the fuzz test). */

static void
record(void *aux, const char *iface, const uint8_t *frame, size_t len)
{
    (void)aux;
    /* Every frame sent must be at least an Ethernet header. */
    assert_true(len >= SR_ETH_HDR_LEN);
    n_output++;
    if (n_sent < MAX_SENT) {
        assert_true(len <= MAX_FRAME);
        snprintf(sent[n_sent].iface, sizeof sent[n_sent].iface, "%s", iface);
        memcpy(sent[n_sent].frame, frame, len);
        sent[n_sent].len = len;
        n_sent++;
    }
}

static void
clear_sent(void)
{
    n_sent = 0;
    n_output = 0;
}

static void
print_hex(const char *what, const uint8_t *p, size_t len)
{
    size_t i;

    fprintf(stderr, "%s:", what);
    for (i = 0; i < len; i++) {
        fprintf(stderr, "%s%02x", i % 4 ? "" : " ", p[i]);
    }
    fprintf(stderr, "\n");
}

static void
assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want,
             size_t want_len)
{
    if (got_len != want_len || memcmp(got, want, want_len)) {
        print_hex("got ", got, got_len);
        print_hex("want", want, want_len);
        fail_msg("bytes differ");
    }
}

/* Frame number 'i' went out of 'iface' and is 'hex'. */
static void
assert_sent(size_t i, const char *iface, const char *hex)
{
    uint8_t want[MAX_FRAME];
    size_t len = unhex(hex, want, sizeof want);

    assert_true(i < n_sent);
    assert_string_equal(sent[i].iface, iface);
    assert_bytes(sent[i].frame, sent[i].len, want, len);
}

/* Hands the router an exact-size heap copy of 'len' bytes of 'frame'. */
static void
feed_bytes(struct sr_router *r, const char *iface, const uint8_t *frame,
           size_t len, uint64_t now)
{
    uint8_t *copy = malloc(len ? len : 1);

    assert_non_null(copy);
    memcpy(copy, frame, len);
    sr_router_handle(r, iface, copy, len, now);
    free(copy);
}

static void
feed(struct sr_router *r, const char *iface, const char *hex, uint64_t now)
{
    uint8_t buf[MAX_FRAME];
    size_t len = unhex(hex, buf, sizeof buf);

    feed_bytes(r, iface, buf, len, now);
}

/* The lab's router, with no ARP entries. */
static struct sr_router *
lab_router(void)
{
    struct sr_router *r = sr_router_create(record, NULL);
    struct sr_rt *rt;
    unsigned int line;

    assert_non_null(r);
    assert_int_equal(sr_router_add_iface(r, "eth1", ETH1_MAC,
                                         IP(192, 168, 2, 1),
                                         IP(255, 255, 255, 0)),
                     0);
    assert_int_equal(sr_router_add_iface(r, "eth2", ETH2_MAC,
                                         IP(172, 64, 3, 1),
                                         IP(255, 255, 255, 0)),
                     0);
    assert_int_equal(sr_router_add_iface(r, "eth3", ETH3_MAC, IP(10, 0, 1, 1),
                                         IP(255, 255, 255, 0)),
                     0);
    assert_int_equal(sr_rt_parse(LAB_RTABLE, strlen(LAB_RTABLE), &rt, &line),
                     0);
    sr_router_set_rt(r, rt);
    clear_sent();
    return r;
}

/* The lab's router with every host in its ARP cache, learnt at 'now'. */
static struct sr_router *
lab_router_arp(uint64_t now)
{
    struct sr_router *r = lab_router();

    feed(r, "eth1", ARP_REPLY_S1, now);
    feed(r, "eth2", ARP_REPLY_S2, now);
    feed(r, "eth3", ARP_REPLY_CL, now);
    assert_int_equal(n_sent, 0);
    assert_int_equal(sr_router_stats(r)->arp_replies_received, 3);
    return r;
}

/* Rewrites the IPv4 header checksum of the frame in 'f'. */
static void
fix_ip_cksum(uint8_t *f)
{
    uint8_t *ip = f + SR_ETH_HDR_LEN;

    sr_put16(ip + SR_IP_SUM, 0);
    sr_put16(ip + SR_IP_SUM, sr_cksum(ip, sr_ip_hlen(ip)));
}

/* --- Checksum. --- */

static void
test_cksum(void **state)
{
    /* RFC 1071 section 3's example: the sum is 0xddf2. */
    static const uint8_t rfc1071[] = {0x00, 0x01, 0xf2, 0x03,
                                      0xf4, 0xf5, 0xf6, 0xf7};
    /* A classic IPv4 header whose checksum is 0xb861. */
    uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
                       0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
                       0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    static const uint8_t odd[] = {0x01, 0x02, 0x03};
    static const uint8_t zeros[4];
    uint8_t buf[4];

    (void)state;
    assert_int_equal(sr_cksum(rfc1071, sizeof rfc1071), 0x220d);
    assert_int_equal(sr_cksum(hdr, sizeof hdr), 0xb861);
    sr_put16(hdr + SR_IP_SUM, 0xb861);
    assert_int_equal(hdr[10], 0xb8);
    assert_int_equal(sr_cksum(hdr, sizeof hdr), 0);
    /* An odd last byte counts as the high half of a word: 0x0102 + 0x0300
     * = 0x0402. */
    assert_int_equal(sr_cksum(odd, sizeof odd), 0xfbfd);
    assert_int_equal(sr_cksum(zeros, sizeof zeros), 0xffff);
    assert_int_equal(sr_cksum(zeros, 0), 0xffff);
    /* Carries wrap around: 0xffff + 0x0001 = 0x0001 after folding. */
    buf[0] = 0xff;
    buf[1] = 0xff;
    buf[2] = 0x00;
    buf[3] = 0x01;
    assert_int_equal(sr_cksum(buf, 4), 0xfffe);

    sr_put32(buf, 0xc0a80201);
    assert_int_equal(buf[0], 0xc0);
    assert_int_equal(buf[3], 0x01);
    assert_int_equal(sr_get32(buf), 0xc0a80201);
    assert_int_equal(sr_get16(buf + 1), 0xa802);
}

/* --- Routing table. --- */

static void
test_rt_parse_good(void **state)
{
    static const char text[] =
        "# The lab's routes, and a default.\n"
        "\n"
        "192.168.2.2 192.168.2.2 255.255.255.255 eth1\r\n"
        "  \t# An indented comment.\n"
        "   \n"
        "172.64.3.10\t172.64.3.10  255.255.255.255   eth2\n"
        "0.0.0.0 10.0.1.100 0.0.0.0 eth3"; /* No final newline. */
    const struct sr_rt_entry *e;
    struct sr_rt *rt;
    unsigned int line = 99;

    (void)state;
    assert_int_equal(sr_rt_parse(text, strlen(text), &rt, &line), 0);
    assert_int_equal(line, 0);
    assert_int_equal(sr_rt_count(rt), 3);
    e = sr_rt_get(rt, 0);
    assert_int_equal(e->dest, IP(192, 168, 2, 2));
    assert_int_equal(e->gw, IP(192, 168, 2, 2));
    assert_int_equal(e->mask, 0xffffffff);
    assert_string_equal(e->iface, "eth1");
    e = sr_rt_get(rt, 1);
    assert_int_equal(e->dest, IP(172, 64, 3, 10));
    assert_string_equal(e->iface, "eth2");
    e = sr_rt_get(rt, 2);
    assert_int_equal(e->dest, 0);
    assert_int_equal(e->gw, IP(10, 0, 1, 100));
    assert_int_equal(e->mask, 0);
    assert_string_equal(e->iface, "eth3");
    assert_null(sr_rt_get(rt, 3));
    sr_rt_destroy(rt);

    /* Nothing but comments is an empty table, not an error. */
    assert_int_equal(sr_rt_parse("# x\n\n", 5, &rt, NULL), 0);
    assert_int_equal(sr_rt_count(rt), 0);
    sr_rt_destroy(rt);
    sr_rt_destroy(NULL);

    /* The file shipped with the router: the lab's /32 host routes.  The
     * tests run from the top of the tree. */
    assert_int_equal(sr_rt_load("router/rtable", &rt, &line), 0);
    assert_int_equal(sr_rt_count(rt), 3);
    e = sr_rt_get(rt, 0);
    assert_int_equal(e->dest, IP(192, 168, 2, 2));
    assert_int_equal(e->gw, IP(192, 168, 2, 2));
    assert_int_equal(e->mask, 0xffffffff);
    assert_string_equal(e->iface, "eth1");
    e = sr_rt_get(rt, 1);
    assert_int_equal(e->dest, IP(172, 64, 3, 10));
    assert_int_equal(e->gw, IP(172, 64, 3, 10));
    assert_string_equal(e->iface, "eth2");
    e = sr_rt_get(rt, 2);
    assert_int_equal(e->dest, IP(10, 0, 1, 100));
    assert_int_equal(e->gw, IP(10, 0, 1, 100));
    assert_int_equal(e->mask, 0xffffffff);
    assert_string_equal(e->iface, "eth3");
    sr_rt_destroy(rt);
}

static void
test_rt_parse_errors(void **state)
{
    static const struct {
        const char *text;
        unsigned int line;
    } cases[] = {
        {"1.2.3.4 0.0.0.0 255.0.0.0\n", 1}, /* Three fields. */
        {"\n# c\n1.2.3.4 0.0.0.0 255.0.0.0 eth1 extra\n", 3},
        {"1.2.3.4 0.0.0.0 255.0.0.0 eth1\n256.2.3.4 0.0.0.0 255.0.0.0 e\n", 2},
        {"1.2.3 0.0.0.0 255.0.0.0 eth1", 1},
        {"1.2.3.4 0.0.0.0x 255.0.0.0 eth1", 1},
        {"1.2.3.4 0.0.0.0 255.0.255.0 eth1", 1}, /* Not contiguous. */
        {"1.2.3.4 0.0.0.0 255.255.255.253 eth1", 1},
        {"1.2.3.4 0.0.0.0 255.0.0.0 "
         "an_interface_name_of_32_chars_xx",
         1},
        {"1.2.3.4 0.0.0.0 255.0.0.0 eth1\n\n\n1..2.3 0.0.0.0 0.0.0.0 e\n", 4},
        {"1.2.3.4 0.0.0.0 255.0.0.0 eth1\nfoo\n", 2},
        {"0001.2.3.4 0.0.0.0 255.0.0.0 eth1", 1},
        {"-1.2.3.4 0.0.0.0 255.0.0.0 eth1", 1},
        {"1.2.3.4. 0.0.0.0 255.0.0.0 eth1", 1},
        {"1.2.3.4 0.0.0.0 255.0.0.0 eth1 # trailing comment", 1},
    };
    static const char nul[] = "1.2.3.4 0.0.0.0 255.0.0.0 eth1\n1.2\0.3.4\n";
    struct sr_rt *rt = (struct sr_rt *)&rt;
    unsigned int line;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        line = 0;
        rt = (struct sr_rt *)&rt;
        if (sr_rt_parse(cases[i].text, strlen(cases[i].text), &rt, &line) !=
                EINVAL ||
            line != cases[i].line) {
            fail_msg("case %zu: '%s': line %u", i, cases[i].text, line);
        }
        assert_null(rt);
    }
    assert_int_equal(sr_rt_parse(nul, sizeof nul - 1, &rt, &line), EINVAL);
    assert_int_equal(line, 2);
    assert_null(rt);

    line = 7;
    assert_int_equal(sr_rt_load("/nonexistent/rtable", &rt, &line), ENOENT);
    assert_int_equal(line, 0);
    assert_null(rt);
}

static void
assert_route(const struct sr_rt *rt, uint32_t dst, const char *iface,
             uint32_t gw)
{
    struct sr_rt_entry e;

    assert_int_equal(sr_rt_lookup(rt, dst, &e), 0);
    assert_string_equal(e.iface, iface);
    assert_int_equal(e.gw, gw);
}

static void
test_rt_lookup(void **state)
{
    struct sr_rt *rt = sr_rt_create();
    struct sr_rt_entry e;

    (void)state;
    assert_non_null(rt);
    assert_int_equal(sr_rt_add(rt, IP(10, 0, 0, 0), IP(1, 1, 1, 1),
                               IP(255, 0, 0, 0), "eth1"),
                     0);
    assert_int_equal(sr_rt_add(rt, IP(10, 0, 1, 0), IP(2, 2, 2, 2),
                               IP(255, 255, 255, 0), "eth2"),
                     0);
    assert_int_equal(
        sr_rt_add(rt, IP(10, 0, 1, 100), 0, IP(255, 255, 255, 255), "eth3"),
        0);
    /* Same prefix again: the first in the table wins a tie. */
    assert_int_equal(sr_rt_add(rt, IP(10, 0, 1, 0), IP(3, 3, 3, 3),
                               IP(255, 255, 255, 0), "eth1"),
                     0);
    /* Host bits in 'dest' do not stop a match. */
    assert_int_equal(
        sr_rt_add(rt, IP(172, 16, 5, 5), 0, IP(255, 255, 0, 0), "eth2"), 0);
    assert_int_equal(sr_rt_add(rt, 0, 0, IP(255, 0, 255, 0), "eth1"), EINVAL);
    assert_int_equal(sr_rt_add(rt, 0, 0, 0, ""), EINVAL);

    assert_route(rt, IP(10, 0, 1, 100), "eth3", 0);
    assert_route(rt, IP(10, 0, 1, 101), "eth2", IP(2, 2, 2, 2));
    assert_route(rt, IP(10, 0, 2, 1), "eth1", IP(1, 1, 1, 1));
    assert_route(rt, IP(10, 255, 255, 255), "eth1", IP(1, 1, 1, 1));
    assert_route(rt, IP(172, 16, 200, 1), "eth2", 0);
    assert_int_equal(sr_rt_lookup(rt, IP(11, 0, 0, 1), &e), ENOENT);
    assert_int_equal(sr_rt_lookup(rt, IP(9, 255, 255, 255), &e), ENOENT);

    /* A default route catches the rest, and only the rest. */
    assert_int_equal(sr_rt_add(rt, 0, IP(172, 64, 3, 10), 0, "eth2"), 0);
    assert_route(rt, IP(11, 0, 0, 1), "eth2", IP(172, 64, 3, 10));
    assert_route(rt, IP(255, 255, 255, 255), "eth2", IP(172, 64, 3, 10));
    assert_route(rt, IP(10, 0, 1, 100), "eth3", 0);
    sr_rt_destroy(rt);

    assert_int_equal(sr_rt_lookup(NULL, IP(10, 0, 1, 100), &e), ENOENT);
}

/* --- ARP. --- */

static void
test_arp_answer_request(void **state)
{
    struct sr_router *r = lab_router();
    uint8_t f[MAX_FRAME];
    size_t len;

    (void)state;
    feed(r, "eth3", ARP_REQ_CL, 0);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth3", ARP_REPLY_TO_CL);
    assert_int_equal(sr_router_stats(r)->arp_replies_sent, 1);
    /* Requests teach the cache nothing: only replies do. */
    assert_int_equal(sr_arp_lookup(sr_router_arp(r), IP(10, 0, 1, 100), 0, f),
                     ENOENT);

    /* The same request on eth1, whose address it does not ask for. */
    clear_sent();
    feed(r, "eth1", ARP_REQ_CL, 0);
    assert_int_equal(n_sent, 0);
    assert_int_equal(sr_router_stats(r)->drop_arp_not_for_us, 1);

    /* Not IPv4 over Ethernet: hardware type 6. */
    len = unhex(ARP_REQ_CL, f, sizeof f);
    f[SR_ETH_HDR_LEN + SR_ARP_HTYPE + 1] = 6;
    feed_bytes(r, "eth3", f, len, 0);
    assert_int_equal(n_sent, 0);
    assert_int_equal(sr_router_stats(r)->drop_arp_malformed, 1);

    /* An unknown operation. */
    len = unhex(ARP_REQ_CL, f, sizeof f);
    f[SR_ETH_HDR_LEN + SR_ARP_OP + 1] = 9;
    feed_bytes(r, "eth3", f, len, 0);
    assert_int_equal(n_sent, 0);
    assert_int_equal(sr_router_stats(r)->drop_arp_op, 1);

    /* Trailing Ethernet padding is fine. */
    len = unhex(ARP_REQ_CL, f, sizeof f);
    memset(f + len, 0, 18);
    feed_bytes(r, "eth3", f, len + 18, 0);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth3", ARP_REPLY_TO_CL);
    sr_router_destroy(r);
}

static void
ignore_send(void *aux, const char *iface, const uint8_t *frame, size_t len)
{
    (void)aux;
    (void)iface;
    (void)frame;
    (void)len;
}

static void
test_arp_cache_expiry(void **state)
{
    struct sr_arp *arp = sr_arp_create(ignore_send, NULL, NULL);
    uint8_t mac[6];
    struct sr_router *r;

    (void)state;
    assert_non_null(arp);
    assert_int_equal(sr_arp_lookup(arp, IP(1, 2, 3, 4), 0, mac), ENOENT);
    assert_int_equal(sr_arp_insert(arp, IP(1, 2, 3, 4), S1_MAC, 1000), 0);
    memset(mac, 0, sizeof mac);
    assert_int_equal(sr_arp_lookup(arp, IP(1, 2, 3, 4), 1000, mac), 0);
    assert_memory_equal(mac, S1_MAC, 6);
    assert_int_equal(sr_arp_lookup(arp, IP(1, 2, 3, 4), 15999, mac), 0);
    assert_int_equal(sr_arp_lookup(arp, IP(1, 2, 3, 4), 16000, mac), ENOENT);
    assert_int_equal(sr_arp_lookup(arp, IP(1, 2, 3, 5), 1000, mac), ENOENT);

    /* A new reply restarts the 15 seconds. */
    assert_int_equal(sr_arp_insert(arp, IP(1, 2, 3, 4), ETH1_MAC, 10000), 0);
    assert_int_equal(sr_arp_lookup(arp, IP(1, 2, 3, 4), 24999, mac), 0);
    assert_memory_equal(mac, ETH1_MAC, 6);
    sr_arp_tick(arp, 24999);
    assert_int_equal(sr_arp_lookup(arp, IP(1, 2, 3, 4), 24999, mac), 0);
    sr_arp_tick(arp, 25000);
    assert_int_equal(sr_arp_lookup(arp, IP(1, 2, 3, 4), 25000, mac), ENOENT);
    sr_arp_destroy(arp);
    sr_arp_destroy(NULL);

    /* Through the router: at 14.999 s the entry still serves, at 15 s the
     * router asks again. */
    r = lab_router_arp(0);
    feed(r, "eth3", UDP_CL_S1, 14999);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth1", UDP_CL_S1_FWD);
    feed(r, "eth3", UDP_CL_S1, 15000);
    assert_int_equal(n_sent, 2);
    assert_sent(1, "eth1", ARP_REQ_S1);
    sr_router_destroy(r);
}

static void
test_arp_miss_retries_unreachable(void **state)
{
    struct sr_router *r = lab_router();
    const struct sr_router_stats *st = sr_router_stats(r);
    const struct sr_arp_stats *ast = sr_arp_stats(sr_router_arp(r));
    uint64_t t;

    (void)state;
    /* The senders are known; server1 is not. */
    feed(r, "eth2", ARP_REPLY_S2, 0);
    feed(r, "eth3", ARP_REPLY_CL, 0);

    /* A miss queues the packet and asks at once. */
    feed(r, "eth3", UDP_CL_S1, 0);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth1", ARP_REQ_S1);
    assert_int_equal(sr_arp_pending(sr_router_arp(r)), 1);

    /* A second packet for the same next hop waits without a new request. */
    feed(r, "eth2", UDP_S2_S1, 300);
    assert_int_equal(n_sent, 1);
    assert_int_equal(sr_arp_pending(sr_router_arp(r)), 2);

    /* Then once a second, driven by the clock alone. */
    for (t = 1000; t <= 4000; t += 1000) {
        sr_router_tick(r, t - 1);
        assert_int_equal(n_sent, t / 1000);
        sr_router_tick(r, t);
        assert_int_equal(n_sent, t / 1000 + 1);
        assert_sent(n_sent - 1, "eth1", ARP_REQ_S1);
        sr_router_tick(r, t + 500);
        assert_int_equal(n_sent, t / 1000 + 1);
    }
    assert_int_equal(ast->requests_sent, 5);

    /* Five unanswered: host unreachable to each sender, in queue order,
     * from the interface its packet arrived on. */
    clear_sent();
    sr_router_tick(r, 4999);
    assert_int_equal(n_sent, 0);
    sr_router_tick(r, 5000);
    assert_int_equal(n_sent, 2);
    assert_sent(0, "eth3", HOST_UNREACH_CL);
    assert_sent(1, "eth2", HOST_UNREACH_S2);
    assert_int_equal(sr_arp_pending(sr_router_arp(r)), 0);
    assert_int_equal(ast->drop_unanswered, 2);
    assert_int_equal(st->drop_unanswered, 2);
    assert_int_equal(st->icmp_errors_sent, 2);

    /* The request is gone: no more frames. */
    sr_router_tick(r, 6000);
    sr_router_tick(r, 60000);
    assert_int_equal(n_sent, 2);
    assert_int_equal(ast->requests_sent, 5);
    sr_router_destroy(r);
}

static void
test_arp_retry_irregular_ticks(void **state)
{
    static const char rtable[] =
        "192.168.2.0 0.0.0.0 255.255.255.0 eth1\n"
        "10.0.1.100 10.0.1.100 255.255.255.255 eth3\n";
    struct sr_router *r = lab_router();
    struct sr_rt *rt;
    uint8_t mac[6];

    (void)state;
    /* Server1 on the link (gateway 0.0.0.0): the next hop is the
     * destination itself. */
    assert_int_equal(sr_rt_parse(rtable, strlen(rtable), &rt, NULL), 0);
    sr_router_set_rt(r, rt);
    feed(r, "eth3", ARP_REPLY_CL, 0);
    feed(r, "eth3", UDP_CL_S1, 0);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth1", ARP_REQ_S1);

    /* A second counts from the last request, whenever the tick comes; a
     * late tick sends one request, not one per second missed. */
    sr_router_tick(r, 700);
    assert_int_equal(n_sent, 1);
    sr_router_tick(r, 1300);
    assert_int_equal(n_sent, 2);
    sr_router_tick(r, 2200);
    assert_int_equal(n_sent, 2);
    sr_router_tick(r, 2300);
    assert_int_equal(n_sent, 3);
    sr_router_tick(r, 5000);
    assert_int_equal(n_sent, 4);
    sr_router_tick(r, 5999);
    assert_int_equal(n_sent, 4);
    sr_router_tick(r, 6000);
    assert_int_equal(n_sent, 5);
    assert_sent(4, "eth1", ARP_REQ_S1);
    sr_router_tick(r, 7000);
    assert_int_equal(n_sent, 6);
    assert_string_equal(sent[5].iface, "eth3");
    assert_int_equal(sent[5].frame[SR_ETH_HDR_LEN + SR_IP_HDR_LEN], 3);
    assert_int_equal(sent[5].frame[SR_ETH_HDR_LEN + SR_IP_HDR_LEN + 1], 1);

    /* A late reply only fills the cache. */
    feed(r, "eth1", ARP_REPLY_S1, 7100);
    assert_int_equal(n_sent, 6);
    assert_int_equal(
        sr_arp_lookup(sr_router_arp(r), IP(192, 168, 2, 2), 7100, mac), 0);
    assert_memory_equal(mac, S1_MAC, 6);
    sr_router_destroy(r);
}

static void
test_arp_reply_releases(void **state)
{
    struct sr_router *r = lab_router();
    const struct sr_arp_stats *ast = sr_arp_stats(sr_router_arp(r));

    (void)state;
    feed(r, "eth3", UDP_CL_S1, 0);
    feed(r, "eth3", UDP_CL_S1, 10);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth1", ARP_REQ_S1);

    clear_sent();
    feed(r, "eth1", ARP_REPLY_S1, 100);
    assert_int_equal(n_sent, 2);
    assert_sent(0, "eth1", UDP_CL_S1_FWD);
    assert_sent(1, "eth1", UDP_CL_S1_FWD);
    assert_int_equal(ast->released, 2);
    assert_int_equal(sr_arp_pending(sr_router_arp(r)), 0);

    /* Now cached: straight out.  And no retries follow. */
    clear_sent();
    feed(r, "eth3", UDP_CL_S1, 200);
    sr_router_tick(r, 1000);
    sr_router_tick(r, 5000);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth1", UDP_CL_S1_FWD);
    assert_int_equal(ast->requests_sent, 1);
    sr_router_destroy(r);
}

static void
test_arp_bounds(void **state)
{
    struct sr_arp *arp = sr_arp_create(record, NULL, NULL);
    const struct sr_arp_stats *st = sr_arp_stats(arp);
    uint8_t frame[60] = {0};
    uint32_t ip;
    size_t i, n_ips = 1;

    (void)state;
    clear_sent();
    for (i = 0; i < SR_ARP_MAX_PER_REQ; i++) {
        assert_int_equal(sr_arp_queue(arp, IP(10, 0, 0, 1), "eth1", ETH1_MAC,
                                      IP(10, 0, 0, 254), "eth2", frame,
                                      sizeof frame, 0),
                         0);
    }
    assert_int_equal(sr_arp_queue(arp, IP(10, 0, 0, 1), "eth1", ETH1_MAC,
                                  IP(10, 0, 0, 254), "eth2", frame,
                                  sizeof frame, 0),
                     ENOBUFS);
    assert_int_equal(st->drop_req_full, 1);
    assert_int_equal(sr_arp_pending(arp), SR_ARP_MAX_PER_REQ);

    /* Fill the whole queue with one packet per next hop. */
    for (ip = IP(10, 1, 0, 0); sr_arp_pending(arp) < SR_ARP_MAX_QUEUED; ip++) {
        assert_int_equal(sr_arp_queue(arp, ip, "eth1", ETH1_MAC,
                                      IP(10, 0, 0, 254), "eth2", frame,
                                      sizeof frame, 0),
                         0);
        n_ips++;
    }
    assert_int_equal(sr_arp_queue(arp, ip, "eth1", ETH1_MAC, IP(10, 0, 0, 254),
                                  "eth2", frame, sizeof frame, 0),
                     ENOBUFS);
    assert_int_equal(st->drop_queue_full, 1);
    assert_int_equal(st->queued, SR_ARP_MAX_QUEUED);
    assert_int_equal(st->requests_sent, n_ips);
    assert_int_equal(n_output, n_ips);

    /* A reply frees room. */
    assert_int_equal(sr_arp_insert(arp, IP(10, 0, 0, 1), S1_MAC, 1), 0);
    assert_int_equal(sr_arp_pending(arp),
                     SR_ARP_MAX_QUEUED - SR_ARP_MAX_PER_REQ);
    assert_int_equal(sr_arp_queue(arp, ip, "eth1", ETH1_MAC, IP(10, 0, 0, 254),
                                  "eth2", frame, sizeof frame, 0),
                     0);
    /* Destroying with packets queued frees them (LeakSanitizer checks). */
    sr_arp_destroy(arp);

    /* The cache is bounded too: the oldest entry makes room. */
    arp = sr_arp_create(record, NULL, NULL);
    for (i = 0; i <= SR_ARP_CACHE_MAX; i++) {
        assert_int_equal(
            sr_arp_insert(arp, IP(10, 2, 0, 0) + (uint32_t)i, S1_MAC, i), 0);
    }
    assert_int_equal(sr_arp_stats(arp)->cache_evicted, 1);
    assert_int_equal(sr_arp_lookup(arp, IP(10, 2, 0, 0), 300, frame), ENOENT);
    assert_int_equal(sr_arp_lookup(arp, IP(10, 2, 0, 1), 300, frame), 0);
    assert_int_equal(
        sr_arp_lookup(arp, IP(10, 2, 0, 0) + SR_ARP_CACHE_MAX, 300, frame), 0);
    sr_arp_destroy(arp);
}

/* --- ICMP builders. --- */

/* 'len' bytes at 'ip' are a datagram whose IP and ICMP checksums hold. */
static void
assert_icmp_checksums(const uint8_t *ip, size_t len)
{
    size_t hlen = sr_ip_hlen(ip);

    assert_true(sr_icmp_ip_valid(ip, len));
    assert_int_equal(sr_get16(ip + SR_IP_LEN), len);
    assert_int_equal(ip[SR_IP_TTL], 64);
    assert_int_equal(ip[SR_IP_PROTO], SR_IPPROTO_ICMP);
    assert_int_equal(sr_cksum(ip + hlen, len - hlen), 0);
}

static void
test_icmp_echo_reply(void **state)
{
    static const struct {
        const char *req, *reply;
    } cases[] = {
        {PING_EVEN, PONG_EVEN},
        {PING_ODD, PONG_ODD},
        {PING_OPTS, PONG_OPTS},
        {PING_OTHER_IFACE, PONG_OTHER_IFACE},
    };
    uint8_t req[MAX_FRAME], want[MAX_FRAME], buf[MAX_FRAME];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t req_len = unhex(cases[i].req, req, sizeof req);
        size_t want_len = unhex(cases[i].reply, want, sizeof want);
        const uint8_t *ip = req + SR_ETH_HDR_LEN;
        size_t ip_len = req_len - SR_ETH_HDR_LEN;
        size_t n;

        assert_true(sr_icmp_ip_valid(ip, ip_len));
        n = sr_icmp_echo_reply(ip, ip_len, buf, sizeof buf);
        assert_bytes(buf, n, want + SR_ETH_HDR_LEN, want_len - SR_ETH_HDR_LEN);
        assert_icmp_checksums(buf, n);
        assert_int_equal(buf[SR_IP_HDR_LEN + SR_ICMP_TYPE], 0);
        /* One byte short of room. */
        assert_int_equal(sr_icmp_echo_reply(ip, ip_len, buf, n - 1), 0);
    }
    /* The odd case really is odd. */
    assert_int_equal(
        unhex(PONG_ODD, buf, sizeof buf) - SR_ETH_HDR_LEN - SR_IP_HDR_LEN, 11);
    /* Too short to hold an ICMP header. */
    unhex(PING_EVEN, req, sizeof req);
    assert_int_equal(
        sr_icmp_echo_reply(req + SR_ETH_HDR_LEN, 27, buf, sizeof buf), 0);
    assert_int_equal(
        sr_icmp_echo_reply(req + SR_ETH_HDR_LEN, 19, buf, sizeof buf), 0);
}

static void
test_icmp_errors(void **state)
{
    static const struct {
        const char *orig, *err;
        uint8_t type, code;
        uint32_t src;
        size_t quote;
    } cases[] = {
        {UDP_TTL1, TIME_EXCEEDED_CL, 11, 0, IP(10, 0, 1, 1), 28},
        {UDP_NO_ROUTE, NET_UNREACH_CL, 3, 0, IP(10, 0, 1, 1), 28},
        {UDP_CL_S1_FWD, HOST_UNREACH_CL, 3, 1, IP(10, 0, 1, 1), 28},
        {UDP_TO_ROUTER, PORT_UNREACH_CL, 3, 3, IP(10, 0, 1, 1), 28},
        /* IP options are quoted too. */
        {TCP_OPTS_TO_ROUTER, PORT_UNREACH_TCP, 3, 3, IP(10, 0, 1, 1), 32},
        /* Fewer than 8 payload bytes: all of them. */
        {SHORT_TTL1, TIME_EXCEEDED_SHORT, 11, 0, IP(10, 0, 1, 1), 24},
    };
    uint8_t orig[MAX_FRAME], want[MAX_FRAME], buf[SR_ICMP_ERROR_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t orig_len = unhex(cases[i].orig, orig, sizeof orig);
        size_t want_len = unhex(cases[i].err, want, sizeof want);
        const uint8_t *ip = orig + SR_ETH_HDR_LEN;
        size_t ip_len = orig_len - SR_ETH_HDR_LEN;
        const uint8_t *icmp = buf + SR_IP_HDR_LEN;
        size_t n;

        n = sr_icmp_error(cases[i].type, cases[i].code, cases[i].src, ip,
                          ip_len, buf, sizeof buf);
        assert_bytes(buf, n, want + SR_ETH_HDR_LEN, want_len - SR_ETH_HDR_LEN);
        assert_icmp_checksums(buf, n);
        assert_int_equal(icmp[SR_ICMP_TYPE], cases[i].type);
        assert_int_equal(icmp[SR_ICMP_CODE], cases[i].code);
        assert_int_equal(sr_get32(icmp + 4), 0);
        assert_int_equal(n, SR_IP_HDR_LEN + SR_ICMP_HDR_LEN + cases[i].quote);
        assert_memory_equal(icmp + SR_ICMP_HDR_LEN, ip, cases[i].quote);
        assert_int_equal(sr_get32(buf + SR_IP_SRC), cases[i].src);
        assert_int_equal(sr_get32(buf + SR_IP_DST), sr_get32(ip + SR_IP_SRC));
        assert_int_equal(sr_icmp_error(cases[i].type, cases[i].code,
                                       cases[i].src, ip, ip_len, buf, n - 1),
                         0);
    }
}

static void
test_icmp_rules(void **state)
{
    uint8_t f[MAX_FRAME];
    uint8_t *ip = f + SR_ETH_HDR_LEN;
    size_t len;

    (void)state;
    len = unhex(UDP_CL_S1, f, sizeof f) - SR_ETH_HDR_LEN;
    assert_true(sr_icmp_ip_valid(ip, len));
    assert_true(sr_icmp_error_allowed(ip, len));
    assert_false(sr_icmp_ip_valid(ip, len - 1)); /* Total length > len. */
    assert_false(sr_icmp_ip_valid(ip, 19));
    ip[SR_IP_SUM] ^= 1;
    assert_false(sr_icmp_ip_valid(ip, len));
    ip[SR_IP_SUM] ^= 1;
    ip[SR_IP_VHL] = 0x44; /* IHL below 5. */
    assert_false(sr_icmp_ip_valid(ip, len));
    ip[SR_IP_VHL] = 0x65; /* Version 6. */
    assert_false(sr_icmp_ip_valid(ip, len));
    ip[SR_IP_VHL] = 0x45;

    /* Not about a fragment other than the first. */
    sr_put16(ip + SR_IP_OFF, SR_IP_MF);
    assert_true(sr_icmp_error_allowed(ip, len));
    sr_put16(ip + SR_IP_OFF, 1);
    assert_false(sr_icmp_error_allowed(ip, len));
    sr_put16(ip + SR_IP_OFF, 0);

    /* Not to a source that names no single host, nor about broadcasts. */
    sr_put32(ip + SR_IP_SRC, 0);
    assert_false(sr_icmp_error_allowed(ip, len));
    sr_put32(ip + SR_IP_SRC, IP(224, 0, 0, 5));
    assert_false(sr_icmp_error_allowed(ip, len));
    sr_put32(ip + SR_IP_SRC, IP(127, 0, 0, 1));
    assert_false(sr_icmp_error_allowed(ip, len));
    sr_put32(ip + SR_IP_SRC, IP(10, 0, 1, 100));
    sr_put32(ip + SR_IP_DST, IP(255, 255, 255, 255));
    assert_false(sr_icmp_error_allowed(ip, len));
    sr_put32(ip + SR_IP_DST, IP(239, 1, 1, 1));
    assert_false(sr_icmp_error_allowed(ip, len));

    /* Not about ICMP errors; about queries, yes. */
    len = unhex(HOST_UNREACH_CL, f, sizeof f) - SR_ETH_HDR_LEN;
    sr_put32(ip + SR_IP_SRC, IP(10, 0, 1, 100));
    assert_false(sr_icmp_error_allowed(ip, len));
    assert_false(sr_icmp_error_allowed(ip, SR_IP_HDR_LEN)); /* No type. */
    len = unhex(PING_OPTS, f, sizeof f) - SR_ETH_HDR_LEN;
    assert_true(sr_icmp_error_allowed(ip, len));
}

/* --- The frame handler. --- */

static void
test_router_forward(void **state)
{
    struct sr_router *r = lab_router_arp(0);
    const struct sr_router_stats *st = sr_router_stats(r);
    uint8_t f[MAX_FRAME];
    const uint8_t *ip = sent[0].frame + SR_ETH_HDR_LEN;
    size_t len;

    (void)state;
    feed(r, "eth3", UDP_CL_S1, 1);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth1", UDP_CL_S1_FWD);
    assert_memory_equal(sent[0].frame + SR_ETH_DST, S1_MAC, 6);
    assert_memory_equal(sent[0].frame + SR_ETH_SRC, ETH1_MAC, 6);
    assert_int_equal(ip[SR_IP_TTL], 63);
    assert_true(sr_icmp_ip_valid(ip, sent[0].len - SR_ETH_HDR_LEN));
    assert_int_equal(st->forwarded, 1);

    /* Ethernet padding is not forwarded as payload. */
    clear_sent();
    len = unhex(UDP_CL_S1, f, sizeof f);
    memset(f + len, 0xee, 10);
    feed_bytes(r, "eth3", f, len + 10, 2);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth1", UDP_CL_S1_FWD);

    /* Broadcast Ethernet is accepted; someone else's unicast is not. */
    clear_sent();
    len = unhex(UDP_CL_S1, f, sizeof f);
    memset(f + SR_ETH_DST, 0xff, 6);
    feed_bytes(r, "eth3", f, len, 3);
    assert_int_equal(n_sent, 1);
    f[SR_ETH_DST] = 0x0a;
    feed_bytes(r, "eth3", f, len, 3);
    assert_int_equal(n_sent, 1);
    assert_int_equal(st->drop_not_for_us, 1);

    /* TTL 2 still goes through, leaving with 1. */
    clear_sent();
    len = unhex(UDP_CL_S1, f, sizeof f);
    f[SR_ETH_HDR_LEN + SR_IP_TTL] = 2;
    fix_ip_cksum(f);
    feed_bytes(r, "eth3", f, len, 4);
    assert_int_equal(n_sent, 1);
    assert_int_equal(sent[0].frame[SR_ETH_HDR_LEN + SR_IP_TTL], 1);
    assert_true(sr_icmp_ip_valid(sent[0].frame + SR_ETH_HDR_LEN,
                                 sent[0].len - SR_ETH_HDR_LEN));

    /* Via a gateway: the next hop's MAC, not the destination's. */
    clear_sent();
    {
        struct sr_rt *rt = sr_rt_create();

        assert_int_equal(sr_rt_add(rt, 0, IP(192, 168, 2, 2), 0, "eth1"), 0);
        assert_int_equal(
            sr_rt_add(rt, IP(10, 0, 1, 0), 0, IP(255, 255, 255, 0), "eth3"),
            0);
        sr_router_set_rt(r, rt);
    }
    len = unhex(UDP_NO_ROUTE, f, sizeof f);
    feed_bytes(r, "eth3", f, len, 5);
    assert_int_equal(n_sent, 1);
    assert_string_equal(sent[0].iface, "eth1");
    assert_memory_equal(sent[0].frame + SR_ETH_DST, S1_MAC, 6);
    assert_memory_equal(sent[0].frame + SR_ETH_SRC, ETH1_MAC, 6);
    assert_int_equal(sent[0].frame[SR_ETH_HDR_LEN + SR_IP_TTL], 63);
    assert_true(sr_icmp_ip_valid(sent[0].frame + SR_ETH_HDR_LEN,
                                 sent[0].len - SR_ETH_HDR_LEN));
    assert_memory_equal(sent[0].frame + SR_ETH_HDR_LEN + SR_IP_SRC,
                        f + SR_ETH_HDR_LEN + SR_IP_SRC, 8);
    sr_router_destroy(r);
}

static void
test_router_icmp_errors(void **state)
{
    struct sr_router *r = lab_router_arp(0);
    const struct sr_router_stats *st = sr_router_stats(r);
    uint8_t f[MAX_FRAME];
    size_t len;

    (void)state;
    feed(r, "eth3", UDP_TTL1, 1);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth3", TIME_EXCEEDED_CL);
    assert_int_equal(st->drop_ttl, 1);

    /* TTL 0 as well. */
    clear_sent();
    len = unhex(UDP_TTL1, f, sizeof f);
    f[SR_ETH_HDR_LEN + SR_IP_TTL] = 0;
    fix_ip_cksum(f);
    feed_bytes(r, "eth3", f, len, 1);
    assert_int_equal(n_sent, 1);
    assert_int_equal(sent[0].frame[SR_ETH_HDR_LEN + SR_IP_HDR_LEN], 11);

    clear_sent();
    feed(r, "eth3", UDP_NO_ROUTE, 2);
    assert_int_equal(n_sent, 1);
    assert_sent(0, "eth3", NET_UNREACH_CL);
    assert_int_equal(st->drop_no_route, 1);

    clear_sent();
    feed(r, "eth3", UDP_TO_ROUTER, 3);
    feed(r, "eth3", TCP_OPTS_TO_ROUTER, 3);
    assert_int_equal(n_sent, 2);
    assert_sent(0, "eth3", PORT_UNREACH_CL);
    assert_sent(1, "eth3", PORT_UNREACH_TCP);
    assert_int_equal(st->icmp_errors_sent, 5);

    /* Other protocols to us are dropped (counted), not answered. */
    clear_sent();
    len = unhex(UDP_TO_ROUTER, f, sizeof f);
    f[SR_ETH_HDR_LEN + SR_IP_PROTO] = 47;
    fix_ip_cksum(f);
    feed_bytes(r, "eth3", f, len, 4);
    assert_int_equal(n_sent, 0);
    assert_int_equal(st->drop_proto, 1);

    /* No error about an ICMP error whose TTL ran out. */
    len = unhex(PING_EVEN, f, sizeof f);
    f[SR_ETH_HDR_LEN + SR_IP_HDR_LEN + SR_ICMP_TYPE] = 3;
    sr_put32(f + SR_ETH_HDR_LEN + SR_IP_DST, IP(192, 168, 2, 2));
    f[SR_ETH_HDR_LEN + SR_IP_TTL] = 1;
    fix_ip_cksum(f);
    feed_bytes(r, "eth3", f, len, 5);
    assert_int_equal(n_sent, 0);
    assert_int_equal(st->icmp_suppressed, 1);
    sr_router_destroy(r);
}

static void
test_router_echo(void **state)
{
    struct sr_router *r = lab_router_arp(0);
    const struct sr_router_stats *st = sr_router_stats(r);
    uint8_t f[MAX_FRAME];
    size_t len;

    (void)state;
    feed(r, "eth3", PING_EVEN, 1);
    feed(r, "eth3", PING_ODD, 1);
    feed(r, "eth3", PING_OPTS, 1);
    feed(r, "eth3", PING_OTHER_IFACE, 1);
    assert_int_equal(n_sent, 4);
    assert_sent(0, "eth3", PONG_EVEN);
    assert_sent(1, "eth3", PONG_ODD);
    assert_sent(2, "eth3", PONG_OPTS);
    assert_sent(3, "eth3", PONG_OTHER_IFACE);
    assert_int_equal(st->echo_replies_sent, 4);

    /* A bad ICMP checksum, and an echo reply to us: dropped. */
    clear_sent();
    len = unhex(PING_ODD, f, sizeof f);
    f[len - 1] ^= 0x40;
    feed_bytes(r, "eth3", f, len, 2);
    assert_int_equal(st->drop_icmp_malformed, 1);
    len = unhex(PONG_OTHER_IFACE, f, sizeof f);
    memcpy(f + SR_ETH_DST, ETH3_MAC, 6);
    sr_put32(f + SR_ETH_HDR_LEN + SR_IP_DST, IP(10, 0, 1, 1));
    fix_ip_cksum(f);
    feed_bytes(r, "eth3", f, len, 2);
    assert_int_equal(st->drop_icmp_type, 1);
    assert_int_equal(n_sent, 0);
    sr_router_destroy(r);

    /* Without the client in the cache, the reply waits for ARP. */
    r = lab_router();
    feed(r, "eth3", PING_EVEN, 0);
    assert_int_equal(n_sent, 1);
    assert_string_equal(sent[0].iface, "eth3");
    assert_int_equal(sr_get16(sent[0].frame + SR_ETH_TYPE), SR_ETHERTYPE_ARP);
    assert_int_equal(sr_get32(sent[0].frame + SR_ETH_HDR_LEN + SR_ARP_TPA),
                     IP(10, 0, 1, 100));
    feed(r, "eth3", ARP_REPLY_CL, 100);
    assert_int_equal(n_sent, 2);
    assert_sent(1, "eth3", PONG_EVEN);

    sr_router_destroy(r);

    /* A reply whose destination never answers ARP is dropped without an
     * error about it: the router does not report to itself. */
    r = lab_router();
    feed(r, "eth3", PING_EVEN, 0);
    sr_router_tick(r, 1000);
    sr_router_tick(r, 2000);
    sr_router_tick(r, 3000);
    sr_router_tick(r, 4000);
    assert_int_equal(n_sent, 5);
    sr_router_tick(r, 5000);
    assert_int_equal(n_sent, 5);
    assert_int_equal(sr_router_stats(r)->drop_unanswered, 1);
    assert_int_equal(sr_arp_pending(sr_router_arp(r)), 0);
    sr_router_destroy(r);
}

static void
test_router_drops(void **state)
{
    struct sr_router *r = lab_router_arp(0);
    const struct sr_router_stats *st = sr_router_stats(r);
    uint8_t f[MAX_FRAME];
    size_t len;

    (void)state;
    feed(r, "eth3", UDP_BAD_CKSUM, 1);
    assert_int_equal(n_sent, 0);
    assert_int_equal(st->drop_ip_cksum, 1);

    feed(r, "eth9", UDP_CL_S1, 1);
    assert_int_equal(st->drop_unknown_iface, 1);

    len = unhex(UDP_CL_S1, f, sizeof f);
    sr_put16(f + SR_ETH_TYPE, 0x86dd);
    feed_bytes(r, "eth3", f, len, 1);
    assert_int_equal(st->drop_ethertype, 1);

    /* Total length past the frame, below the header, version 6. */
    len = unhex(UDP_CL_S1, f, sizeof f);
    sr_put16(f + SR_ETH_HDR_LEN + SR_IP_LEN, (uint16_t)(len - 13));
    fix_ip_cksum(f);
    feed_bytes(r, "eth3", f, len, 1);
    sr_put16(f + SR_ETH_HDR_LEN + SR_IP_LEN, 19);
    fix_ip_cksum(f);
    feed_bytes(r, "eth3", f, len, 1);
    f[SR_ETH_HDR_LEN] = 0x65;
    feed_bytes(r, "eth3", f, len, 1);
    assert_int_equal(st->drop_ip_malformed, 3);

    /* A route naming an interface we lack. */
    {
        struct sr_rt *rt = sr_rt_create();

        assert_int_equal(sr_rt_add(rt, 0, 0, 0, "eth7"), 0);
        sr_router_set_rt(r, rt);
    }
    feed(r, "eth3", UDP_CL_S1, 1);
    assert_int_equal(st->drop_bad_route, 1);
    assert_int_equal(n_sent, 0);

    /* No route back for the error: dropped and counted, no crash. */
    {
        struct sr_rt *rt = sr_rt_create();

        assert_int_equal(
            sr_rt_add(rt, IP(192, 168, 2, 2), 0, 0xffffffff, "eth1"), 0);
        sr_router_set_rt(r, rt);
    }
    feed(r, "eth3", UDP_TTL1, 1);
    feed(r, "eth3", UDP_NO_ROUTE, 1);
    feed(r, "eth3", UDP_TO_ROUTER, 1);
    feed(r, "eth3", PING_EVEN, 1);
    assert_int_equal(n_sent, 0);
    assert_int_equal(st->icmp_no_route_back, 4);
    sr_router_set_rt(r, NULL);
    feed(r, "eth3", UDP_CL_S1, 1);
    assert_int_equal(n_sent, 0);
    assert_int_equal(st->icmp_no_route_back, 5);
    sr_router_destroy(r);
    sr_router_destroy(NULL);
}

static void
test_router_ifaces(void **state)
{
    struct sr_router *r = sr_router_create(record, NULL);
    char name[16];
    int i;

    (void)state;
    assert_int_equal(sr_router_add_iface(r, "eth1", ETH1_MAC, 1, 0), 0);
    assert_int_equal(sr_router_add_iface(r, "eth1", ETH2_MAC, 2, 0), EINVAL);
    assert_int_equal(sr_router_add_iface(r, "", ETH2_MAC, 2, 0), EINVAL);
    assert_int_equal(sr_router_add_iface(r, "a_name_of_32_characters_xxxxxxxx",
                                         ETH2_MAC, 2, 0),
                     EINVAL);
    for (i = 1; i < SR_MAX_IFACES; i++) {
        snprintf(name, sizeof name, "x%d", i);
        assert_int_equal(sr_router_add_iface(r, name, ETH2_MAC, 2, 0), 0);
    }
    assert_int_equal(sr_router_add_iface(r, "one_more", ETH2_MAC, 2, 0),
                     ENOSPC);
    sr_router_destroy(r);
}

/* Every proper prefix of every input fixture is dropped, without output
 * and without a read past its end; and each datagram with its total
 * length patched down to every shorter value is handled without one. */
static void
test_router_truncated(void **state)
{
    static const struct {
        const char *hex, *iface;
    } inputs[] = {
        {ARP_REQ_CL, "eth3"},         {ARP_REPLY_S1, "eth1"},
        {UDP_CL_S1, "eth3"},          {UDP_TTL1, "eth3"},
        {UDP_NO_ROUTE, "eth3"},       {UDP_TO_ROUTER, "eth3"},
        {TCP_OPTS_TO_ROUTER, "eth3"}, {PING_EVEN, "eth3"},
        {PING_ODD, "eth3"},           {PING_OPTS, "eth3"},
        {SHORT_TTL1, "eth3"},
    };
    struct sr_router *r = lab_router_arp(0);
    uint8_t f[MAX_FRAME];
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        size_t len = unhex(inputs[i].hex, f, sizeof f);

        for (k = 0; k < len; k++) {
            /* ARP frames may have trailing bytes dropped up to 42. */
            if (k >= SR_ETH_HDR_LEN + SR_ARP_LEN &&
                sr_get16(f + SR_ETH_TYPE) == SR_ETHERTYPE_ARP) {
                break;
            }
            clear_sent();
            feed_bytes(r, inputs[i].iface, f, k, 1);
            if (n_sent) {
                fail_msg("fixture %zu: %zu-byte prefix answered", i, k);
            }
        }
        if (sr_get16(f + SR_ETH_TYPE) != SR_ETHERTYPE_IP) {
            continue;
        }
        for (k = SR_ETH_HDR_LEN; k < len; k++) {
            unhex(inputs[i].hex, f, sizeof f);
            sr_put16(f + SR_ETH_HDR_LEN + SR_IP_LEN,
                     (uint16_t)(k - SR_ETH_HDR_LEN));
            fix_ip_cksum(f);
            feed_bytes(r, inputs[i].iface, f, k, 1);
        }
    }
    sr_router_destroy(r);
}

/* Random corruption of valid frames, with the clock running: the router
 * must survive it (ASan and UBSan watch) and whatever it sends must be a
 * well-formed frame. */
static void
test_router_mutations(void **state)
{
    static const char *const inputs[] = {
        ARP_REQ_CL, ARP_REPLY_S1,       UDP_CL_S1, UDP_TTL1,   UDP_NO_ROUTE,
        PING_OPTS,  TCP_OPTS_TO_ROUTER, PING_ODD,  SHORT_TTL1,
    };
    static const char *const ifaces[] = {"eth1", "eth2", "eth3"};
    struct sr_router *r = lab_router();
    uint32_t seed = 12345;
    uint8_t f[MAX_FRAME];
    int iter;

    (void)state;
    for (iter = 0; iter < 20000; iter++) {
        size_t len, n, j;

        seed = seed * 1103515245 + 12345;
        len = unhex(inputs[(seed >> 16) % 9], f, sizeof f);
        n = 1 + (seed >> 8) % 4;
        for (j = 0; j < n; j++) {
            seed = seed * 1103515245 + 12345;
            f[(seed >> 16) % len] ^= (uint8_t)(1 + (seed >> 8) % 255);
        }
        if (seed & 1) {
            fix_ip_cksum(f);
        }
        seed = seed * 1103515245 + 12345;
        if ((seed >> 16) % 4 == 0) {
            len = (seed >> 4) % (len + 1);
        }
        clear_sent();
        feed_bytes(r, ifaces[(seed >> 24) % 3], f, len, (uint64_t)iter * 10);
        sr_router_tick(r, (uint64_t)iter * 10);
    }
    sr_router_destroy(r);
}

/* One -s value's servers, as "label label ...", or the refusal as
 * "error: why"; the list is fresh unless 'keep' says to add to it. */
static const char *
servers_of(struct sr_servers *s, int keep, const char *value, const char *port)
{
    static char out[2048];
    char why[512];
    size_t used = 0, i;
    int error;

    if (!keep) {
        memset(s, 0, sizeof *s);
    }
    error = sr_servers_add(s, value, port, why, sizeof why);
    if (error) {
        snprintf(out, sizeof out, "%s: %s", strerror(error), why);
        return out;
    }
    out[0] = '\0';
    for (i = 0; i < s->n; i++) {
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%s",
                                 i ? " " : "", s->list[i].label);
    }
    return out;
}

static void
test_servers_good(void **state)
{
    struct sr_servers s;

    (void)state;
    assert_string_equal(servers_of(&s, 0, "localhost", "8888"),
                        "localhost:8888");
    assert_string_equal(s.list[0].host, "localhost");
    assert_string_equal(s.list[0].port, "8888");
    /* -p applies to entries without a port only. */
    assert_string_equal(
        servers_of(&s, 0, "10.0.0.1:7000,ctl-b,ctl_c.lab:1", "9999"),
        "10.0.0.1:7000 ctl-b:9999 ctl_c.lab:1");
    assert_string_equal(s.list[1].host, "ctl-b");
    assert_string_equal(s.list[1].port, "9999");
    /* IPv6: in brackets with or without a port; bare without one (as
     * "-s ::1" always was), with a zone. */
    assert_string_equal(servers_of(&s, 0,
                                   "[::1]:6000,[fe80::1%eth0],::1,"
                                   "2001:db8::7%lo",
                                   "8888"),
                        "[::1]:6000 [fe80::1%eth0]:8888 [::1]:8888 "
                        "[2001:db8::7%lo]:8888");
    assert_string_equal(s.list[0].host, "::1");
    assert_string_equal(s.list[0].port, "6000");
    assert_string_equal(s.list[1].host, "fe80::1%eth0");
    /* Blanks around entries; the port's bounds. */
    assert_string_equal(servers_of(&s, 0, " a:1 ,\tb:65535 ", "8888"),
                        "a:1 b:65535");
    /* Repeated -s: each value adds to the list, in order. */
    assert_string_equal(servers_of(&s, 0, "a", "1"), "a:1");
    assert_string_equal(servers_of(&s, 1, "b:2,c", "1"), "a:1 b:2 c:1");
    /* Exactly SR_SERVERS_MAX, over several values. */
    servers_of(&s, 0, "h1,h2,h3,h4,h5,h6,h7,h8", "1");
    assert_string_equal(
        servers_of(&s, 1, "h9,h10,h11,h12,h13,h14,h15,h16", "1"),
        "h1:1 h2:1 h3:1 h4:1 h5:1 h6:1 h7:1 h8:1 h9:1 h10:1 "
        "h11:1 h12:1 h13:1 h14:1 h15:1 h16:1");
    assert_int_equal(s.n, SR_SERVERS_MAX);
}

static void
test_servers_bad(void **state)
{
    static const struct {
        const char *value, *port, *want;
    } cases[] = {
        {"", "8888", "-s '': empty server name (a comma too many?)"},
        {"a,,b", "8888", "-s 'a,,b': empty server name (a comma too many?)"},
        {"a,", "8888", "-s 'a,': empty server name (a comma too many?)"},
        {" , a", "8888", "-s ' , a': empty server name (a comma too many?)"},
        {":80", "8888", "-s ':80': empty host name"},
        {"a:", "8888", "-s 'a:': bad port '' (1 to 65535)"},
        {"a:0", "8888", "-s 'a:0': bad port '0' (1 to 65535)"},
        {"a:65536", "8888", "-s 'a:65536': bad port '65536' (1 to 65535)"},
        {"a:+80", "8888", "-s 'a:+80': bad port '+80' (1 to 65535)"},
        {"a:80x", "8888", "-s 'a:80x': bad port '80x' (1 to 65535)"},
        {"b,a:1234567", "8888",
         "-s 'b,a:1234567': 'a:1234567': bad port '1234567' (1 to 65535)"},
        {"ok:1,h st", "8888",
         "-s 'ok:1,h st': 'h st': bad character ' ' in the host name"},
        {"a/b", "8888", "-s 'a/b': bad character '/' in the host name"},
        {"a%b", "8888", "-s 'a%b': bad character '%' in the host name"},
        {"[::1", "8888", "-s '[::1': expected [IPV6] or [IPV6]:PORT"},
        {"[::1]80", "8888", "-s '[::1]80': expected [IPV6] or [IPV6]:PORT"},
        {"[::1]:", "8888", "-s '[::1]:': bad port '' (1 to 65535)"},
        {"[]:80", "8888", "-s '[]:80': brackets hold an IPv6 address"},
        {"[10.0.0.1]:80", "8888",
         "-s '[10.0.0.1]:80': brackets hold an IPv6 address"},
        {"[::g]:80", "8888",
         "-s '[::g]:80': not an IPv6 address in the brackets"},
        {"fe80::1:x:y", "8888",
         "-s 'fe80::1:x:y': not an IPv6 address (HOST:PORT has one colon; "
         "an IPv6 address with a port goes in brackets)"},
        {"a", "0", "-p '0': bad port (1 to 65535)"},
    };
    struct sr_servers s;
    char host[SR_SERVER_HOST_MAX + 2];
    char want[600];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[600];

        snprintf(got, sizeof got, "%s",
                 servers_of(&s, 0, cases[i].value, cases[i].port));
        snprintf(want, sizeof want, "%s: %s", strerror(EINVAL), cases[i].want);
        assert_string_equal(got, want);
        assert_int_equal(s.n, 0);
    }
    /* A DNS name's length is fine, one byte more is not. */
    memset(host, 'h', SR_SERVER_HOST_MAX);
    host[SR_SERVER_HOST_MAX] = '\0';
    servers_of(&s, 0, host, "1");
    assert_int_equal(s.n, 1);
    assert_string_equal(s.list[0].host, host);
    host[SR_SERVER_HOST_MAX] = 'h';
    host[SR_SERVER_HOST_MAX + 1] = '\0';
    assert_non_null(strstr(servers_of(&s, 0, host, "1"),
                           "host name longer than 255 bytes"));
    assert_int_equal(s.n, 0);

    /* The bound, over several values; a refused value leaves the list as
     * it was. */
    servers_of(&s, 0, "h1,h2,h3,h4,h5,h6,h7,h8,h9,h10", "1");
    assert_string_equal(servers_of(&s, 1, "h11,h12,h13,h14,h15,h16,h17", "1"),
                        "No space left on device: -s: more than 16 VNS "
                        "servers");
    assert_int_equal(s.n, 10);
    assert_string_equal(servers_of(&s, 1, "h11,bad:0", "1"),
                        "Invalid argument: -s 'h11,bad:0': 'bad:0': bad port "
                        "'0' (1 to 65535)");
    assert_int_equal(s.n, 10);
    assert_string_equal(s.list[9].label, "h10:1");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cksum),
        cmocka_unit_test(test_rt_parse_good),
        cmocka_unit_test(test_rt_parse_errors),
        cmocka_unit_test(test_rt_lookup),
        cmocka_unit_test(test_arp_answer_request),
        cmocka_unit_test(test_arp_cache_expiry),
        cmocka_unit_test(test_arp_miss_retries_unreachable),
        cmocka_unit_test(test_arp_retry_irregular_ticks),
        cmocka_unit_test(test_arp_reply_releases),
        cmocka_unit_test(test_arp_bounds),
        cmocka_unit_test(test_icmp_echo_reply),
        cmocka_unit_test(test_icmp_errors),
        cmocka_unit_test(test_icmp_rules),
        cmocka_unit_test(test_router_forward),
        cmocka_unit_test(test_router_icmp_errors),
        cmocka_unit_test(test_router_echo),
        cmocka_unit_test(test_router_drops),
        cmocka_unit_test(test_router_ifaces),
        cmocka_unit_test(test_router_truncated),
        cmocka_unit_test(test_router_mutations),
        cmocka_unit_test(test_servers_good),
        cmocka_unit_test(test_servers_bad),
    };

    return cmocka_run_group_tests_name("sr", tests, NULL, NULL);
}
