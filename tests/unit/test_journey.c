/*
 * Unit tests of the console plugin's frame journeys
 * (plugins/console/journey.c): the lab's traffic as the console would see
 * it, hop by hop (a packet-in, the frame vns_server hands router/sr, what
 * the router sends, the packet-out), and the journeys the hops are
 * correlated into: a ping through the router and its answer, a ping of
 * the router, ARP, the router's own ARP request, ICMP errors, TCP, two
 * routers, the bounds (journeys, hops, the window, the snaplen) and their
 * counters, the JSON and the pcap file, read back with libpcap.
 *
 * The frames are built with the packet library's builders, as router/sr
 * writes them: forwarded packets keep their IP id and lose one TTL, with
 * the router's MAC as source; answers come from the router's interface
 * address with IP id 0.
 */
#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "journey.h"
#include "plexus/packet.h"

/* The lab: client 10.0.1.100 on switch 1 port 3, the router's eth3
 * 10.0.1.1; server1 192.168.2.2 on port 1, eth1 192.168.2.1. */
#define DPID       1
#define ROUTER     7
#define CLIENT_IP  0x0a000164u
#define ETH3_IP    0x0a000101u
#define SERVER1_IP 0xc0a80202u
#define ETH1_IP    0xc0a80201u
#define NOWHERE_IP 0xc0a80209u /* 192.168.2.9: nobody answers ARP. */
static const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x64};
static const uint8_t eth3_mac[6] = {0x02, 0, 0, 0, 0x01, 0x03};
static const uint8_t server1_mac[6] = {0x02, 0, 0, 0, 0x02, 0x02};
static const uint8_t eth1_mac[6] = {0x02, 0, 0, 0, 0x01, 0x01};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero_mac[6];

struct frame {
    uint8_t data[1600];
    size_t len;
};

static void
put_eth(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    struct px_pkt_eth eth;

    memset(&eth, 0, sizeof eth);
    memcpy(eth.dst, dst, 6);
    memcpy(eth.src, src, 6);
    eth.type = type;
    assert_int_equal(px_pkt_put_eth(f->data, sizeof f->data, &eth, &f->len),
                     0);
}

/* An IPv4 header in front of the 'l4_len' bytes already after it. */
static void
put_ipv4(struct frame *f, uint32_t src, uint32_t dst, uint8_t proto,
         uint16_t id, uint8_t ttl, size_t l4_len)
{
    struct px_pkt_ipv4 ip;
    size_t n;

    memset(&ip, 0, sizeof ip);
    ip.src = src;
    ip.dst = dst;
    ip.proto = proto;
    ip.id = id;
    ip.ttl = ttl;
    assert_int_equal(px_pkt_put_ipv4(f->data + PX_ETH_HDR_LEN,
                                     sizeof f->data - PX_ETH_HDR_LEN, &ip,
                                     l4_len, &n),
                     0);
    assert_int_equal(n, PX_IPV4_HDR_LEN);
    f->len = PX_ETH_HDR_LEN + PX_IPV4_HDR_LEN + l4_len;
}

#define L4(F)      ((F)->data + PX_ETH_HDR_LEN + PX_IPV4_HDR_LEN)
#define L4_ROOM(F) (sizeof(F)->data - PX_ETH_HDR_LEN - PX_IPV4_HDR_LEN)

static struct frame
icmp_echo(const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t src,
          uint32_t dst, uint8_t type, uint16_t ip_id, uint8_t ttl,
          uint16_t seq, size_t data_len)
{
    struct px_pkt_icmp icmp = {.type = type, .id = 4711, .seq = seq};
    uint8_t data[1400];
    struct frame f;
    size_t n, i;

    assert_true(data_len <= sizeof data);
    for (i = 0; i < data_len; i++) {
        data[i] = (uint8_t)i;
    }
    put_eth(&f, dst_mac, src_mac, PX_ETH_TYPE_IPV4);
    assert_int_equal(
        px_pkt_put_icmp(L4(&f), L4_ROOM(&f), &icmp, data, data_len, &n), 0);
    put_ipv4(&f, src, dst, PX_IP_PROTO_ICMP, ip_id, ttl, n);
    return f;
}

/* The client's echo request to 'dst' as the switch punts it. */
static struct frame
client_echo(uint32_t dst, uint16_t seq)
{
    return icmp_echo(eth3_mac, client_mac, CLIENT_IP, dst,
                     PX_ICMP_ECHO_REQUEST, 0x1000 + seq, 64, seq, 56);
}

/* 'f' as router/sr forwards it out of eth1 to server1: MACs rewritten,
 * TTL one less, checksum fixed. */
static struct frame
forwarded(const struct frame *f)
{
    struct frame out = *f;
    uint8_t *ip = out.data + PX_ETH_HDR_LEN;

    memcpy(out.data, server1_mac, 6);
    memcpy(out.data + 6, eth1_mac, 6);
    ip[8]--;
    ip[10] = ip[11] = 0;
    ip[10] = (uint8_t)(px_pkt_csum(ip, PX_IPV4_HDR_LEN) >> 8);
    ip[11] = (uint8_t)px_pkt_csum(ip, PX_IPV4_HDR_LEN);
    return out;
}

static struct frame
arp(uint16_t op, const uint8_t *dst_mac, const uint8_t *sha, uint32_t spa,
    const uint8_t *tha, uint32_t tpa)
{
    struct px_pkt_arp a;
    struct frame f;
    size_t n;

    memset(&a, 0, sizeof a);
    a.op = op;
    memcpy(a.sha, sha, 6);
    a.spa = spa;
    memcpy(a.tha, tha, 6);
    a.tpa = tpa;
    put_eth(&f, dst_mac, sha, PX_ETH_TYPE_ARP);
    assert_int_equal(
        px_pkt_put_arp(f.data + f.len, sizeof f.data - f.len, &a, &n), 0);
    f.len += n;
    return f;
}

/* The router's ICMP error about 'orig' (a frame it received), from
 * eth3's address back to the client. */
static struct frame
icmp_error(uint8_t type, uint8_t code, const struct frame *orig)
{
    struct frame f;
    size_t n;

    put_eth(&f, client_mac, eth3_mac, PX_ETH_TYPE_IPV4);
    assert_int_equal(px_pkt_put_icmp_error(L4(&f), L4_ROOM(&f), type, code, 0,
                                           orig->data + PX_ETH_HDR_LEN,
                                           orig->len - PX_ETH_HDR_LEN, &n),
                     0);
    put_ipv4(&f, ETH3_IP, CLIENT_IP, PX_IP_PROTO_ICMP, 0, 64, n);
    return f;
}

static struct frame
udp_probe(uint8_t ttl)
{
    struct px_pkt_udp udp = {.sport = 35899, .dport = 33434};
    uint8_t data[32] = {0x40};
    struct frame f;
    size_t n;

    put_eth(&f, eth3_mac, client_mac, PX_ETH_TYPE_IPV4);
    assert_int_equal(
        px_pkt_put_udp(L4(&f), L4_ROOM(&f), &udp, data, sizeof data,
                       px_pkt_pseudo_ipv4(CLIENT_IP, SERVER1_IP), &n),
        0);
    put_ipv4(&f, CLIENT_IP, SERVER1_IP, PX_IP_PROTO_UDP, 0xe4dd, ttl, n);
    return f;
}

static struct frame
tcp_syn(void)
{
    struct px_pkt_tcp tcp = {.sport = 40000,
                             .dport = 80,
                             .seq = 1000,
                             .flags = PX_TCP_SYN,
                             .window = 64240};
    struct frame f;
    size_t n;

    put_eth(&f, eth3_mac, client_mac, PX_ETH_TYPE_IPV4);
    assert_int_equal(px_pkt_put_tcp(L4(&f), L4_ROOM(&f), &tcp, NULL, 0,
                                    px_pkt_pseudo_ipv4(CLIENT_IP, SERVER1_IP),
                                    &n),
                     0);
    put_ipv4(&f, CLIENT_IP, SERVER1_IP, PX_IP_PROTO_TCP, 0x6186, 64, n);
    return f;
}

/* Hops. */

static const struct jny_journey *
add(struct jny_table *t, enum jny_hop_kind kind, double time, uint32_t where,
    const char *iface, const struct frame *f)
{
    struct jny_hop_in in = {.kind = kind,
                            .t = time,
                            .dpid = DPID,
                            .port = where,
                            .router = where,
                            .iface = iface,
                            .frame = f->data,
                            .len = f->len};

    return jny_add(t, &in);
}

#define SW_IN(T, TIME, PORT, F)  add(T, JNY_SWITCH_IN, TIME, PORT, NULL, F)
#define SW_OUT(T, TIME, PORT, F) add(T, JNY_SWITCH_OUT, TIME, PORT, NULL, F)
#define R_IN(T, TIME, IFACE, F)  add(T, JNY_ROUTER_IN, TIME, ROUTER, IFACE, F)
#define R_OUT(T, TIME, IFACE, F) add(T, JNY_ROUTER_OUT, TIME, ROUTER, IFACE, F)

static struct jny_table *
table(size_t max_journeys, size_t max_hops, size_t snaplen)
{
    struct jny_config c = {.max_journeys = max_journeys,
                           .max_hops = max_hops,
                           .snaplen = snaplen};
    struct jny_table *t = NULL;

    assert_int_equal(jny_create(&c, &t), 0);
    assert_non_null(t);
    return t;
}

static struct jny_stats
stats(const struct jny_table *t)
{
    struct jny_stats s;

    jny_get_stats(t, &s);
    return s;
}

/* JSON. */

static json_t *
hops_of(json_t *journey)
{
    json_t *hops = json_object_get(journey, "hops");

    assert_true(json_is_array(hops));
    return hops;
}

static const char *
str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_true(json_is_string(v));
    return json_string_value(v);
}

static json_int_t
num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static double
real(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_true(json_is_real(v));
    return json_real_value(v);
}

/* Hop 'i' of 'journey' is at the switch, 'dir', on 'port'. */
static void
assert_switch_hop(json_t *journey, size_t i, const char *dir, uint32_t port)
{
    json_t *hop = json_array_get(hops_of(journey), i);

    assert_non_null(hop);
    assert_string_equal(str(hop, "at"), "switch");
    assert_string_equal(str(hop, "dpid"), "00:00:00:00:00:00:00:01");
    assert_int_equal(num(hop, "port"), port);
    assert_string_equal(str(hop, "dir"), dir);
    assert_null(json_object_get(hop, "router"));
}

static void
assert_router_hop(json_t *journey, size_t i, const char *dir,
                  const char *iface)
{
    json_t *hop = json_array_get(hops_of(journey), i);

    assert_non_null(hop);
    assert_string_equal(str(hop, "at"), "router");
    assert_int_equal(num(hop, "router"), ROUTER);
    assert_string_equal(str(hop, "iface"), iface);
    assert_string_equal(str(hop, "dir"), dir);
    assert_null(json_object_get(hop, "dpid"));
}

static const char *
hop_summary(json_t *journey, size_t i)
{
    return str(json_array_get(hops_of(journey), i), "summary");
}

/* The JSON of the journey with 'id' in the table's list; the caller
 * json_decref()s '*list'. */
static json_t *
journey_json(const struct jny_table *t, uint64_t id, json_t **list)
{
    json_t *journeys, *j;
    size_t i;

    *list = jny_list_json(t);
    assert_non_null(*list);
    journeys = json_object_get(*list, "journeys");
    assert_true(json_is_array(journeys));
    json_array_foreach(journeys, i, j)
    {
        if ((uint64_t)num(j, "id") == id) {
            return j;
        }
    }
    fail_msg("no journey %llu", (unsigned long long)id);
    return NULL;
}

/* A ping from the client to server1 through the router: the four hops
 * of the request in one journey, in order, dt growing; server1's reply
 * is a journey of its own, which the router's forwarded reply joins (not
 * the request's, though it answers it). */
static void
test_echo_through_router(void **state)
{
    struct frame req = client_echo(SERVER1_IP, 1), fwd = forwarded(&req);
    struct frame reply =
        icmp_echo(eth1_mac, server1_mac, SERVER1_IP, CLIENT_IP,
                  PX_ICMP_ECHO_REPLY, 0x7777, 64, 1, 56);
    struct frame reply_fwd = reply;
    const struct jny_journey *j, *j2;
    struct jny_table *t = table(0, 0, 0);
    json_t *list, *o, *hops;
    double last = -1;
    size_t i;
    char *text;

    (void)state;
    j = SW_IN(t, 100.0, 3, &req);
    assert_non_null(j);
    assert_int_equal(jny_journey_id(j), 1);
    assert_ptr_equal(R_IN(t, 100.000041, "eth3", &req), j);
    assert_ptr_equal(R_OUT(t, 100.000310, "eth1", &fwd), j);
    assert_ptr_equal(SW_OUT(t, 100.000355, 1, &fwd), j);

    o = jny_journey_json(j);
    assert_non_null(o);
    assert_int_equal(num(o, "id"), 1);
    assert_true(real(o, "t") == 100.0);
    assert_string_equal(str(o, "kind"), "ICMP");
    assert_string_equal(str(o, "summary"),
                        "ICMP 10.0.1.100 > 192.168.2.2 echo request id 4711 "
                        "seq 1 ttl 64");
    assert_null(json_object_get(o, "hops_dropped"));
    hops = hops_of(o);
    assert_int_equal(json_array_size(hops), 4);
    assert_switch_hop(o, 0, "in", 3);
    assert_router_hop(o, 1, "in", "eth3");
    assert_router_hop(o, 2, "out", "eth1");
    assert_switch_hop(o, 3, "out", 1);
    for (i = 0; i < 4; i++) {
        json_t *hop = json_array_get(hops, i);
        double dt = real(hop, "dt");

        assert_true(dt > last);
        last = dt;
        assert_int_equal(num(hop, "len"), req.len);
    }
    assert_true(real(json_array_get(hops, 0), "dt") == 0.0);
    assert_true(fabs(real(json_array_get(hops, 1), "dt") - 0.000041) < 1e-9);
    assert_true(fabs(real(json_array_get(hops, 3), "dt") - 0.000355) < 1e-9);
    assert_string_equal(hop_summary(o, 0), hop_summary(o, 1));
    assert_string_equal(hop_summary(o, 2),
                        "ICMP 10.0.1.100 > 192.168.2.2 "
                        "echo request id 4711 seq 1 ttl 63");
    assert_string_equal(hop_summary(o, 3), hop_summary(o, 2));
    /* It dumps as JSON text. */
    text = json_dumps(o, JSON_COMPACT);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"dpid\":\"00:00:00:00:00:00:00:01\""));
    free(text);
    json_decref(o);

    /* The reply: server1 -> router -> client. */
    memcpy(reply_fwd.data, client_mac, 6);
    memcpy(reply_fwd.data + 6, eth3_mac, 6);
    reply_fwd.data[PX_ETH_HDR_LEN + 8]--;
    j2 = SW_IN(t, 100.0005, 1, &reply);
    assert_non_null(j2);
    assert_int_equal(jny_journey_id(j2), 2);
    assert_ptr_equal(R_IN(t, 100.0006, "eth1", &reply), j2);
    assert_ptr_equal(R_OUT(t, 100.0007, "eth3", &reply_fwd), j2);
    assert_ptr_equal(SW_OUT(t, 100.0008, 3, &reply_fwd), j2);
    o = journey_json(t, 2, &list);
    assert_int_equal(json_array_size(hops_of(o)), 4);
    assert_switch_hop(o, 0, "in", 1);
    assert_switch_hop(o, 3, "out", 3);
    /* The list: oldest first. */
    assert_int_equal(json_array_size(json_object_get(list, "journeys")), 2);
    assert_int_equal(
        num(json_array_get(json_object_get(list, "journeys"), 0), "id"), 1);
    json_decref(list);

    assert_int_equal(stats(t).journeys, 2);
    assert_int_equal(stats(t).hops, 8);
    assert_int_equal(stats(t).live, 2);
    assert_int_equal(stats(t).live_hops, 8);
    assert_int_equal(stats(t).unmatched, 0);
    jny_destroy(t);
}

/* The client pings the router's own address: the router's echo reply
 * (from 10.0.1.1, IP id 0) joins the request's journey. */
static void
test_echo_to_router(void **state)
{
    struct frame req = client_echo(ETH3_IP, 2);
    struct frame reply = icmp_echo(client_mac, eth3_mac, ETH3_IP, CLIENT_IP,
                                   PX_ICMP_ECHO_REPLY, 0, 64, 2, 56);
    struct frame other = icmp_echo(client_mac, eth3_mac, ETH3_IP, CLIENT_IP,
                                   PX_ICMP_ECHO_REPLY, 0, 64, 3, 56);
    struct jny_table *t = table(0, 0, 0);
    const struct jny_journey *j;
    json_t *o;

    (void)state;
    j = SW_IN(t, 5.0, 3, &req);
    assert_ptr_equal(R_IN(t, 5.001, "eth3", &req), j);
    assert_ptr_equal(R_OUT(t, 5.002, "eth3", &reply), j);
    assert_ptr_equal(SW_OUT(t, 5.003, 3, &reply), j);
    o = jny_journey_json(j);
    assert_int_equal(json_array_size(hops_of(o)), 4);
    assert_router_hop(o, 2, "out", "eth3");
    assert_switch_hop(o, 3, "out", 3);
    assert_string_equal(hop_summary(o, 2), "ICMP 10.0.1.1 > 10.0.1.100 echo "
                                           "reply id 4711 seq 2 ttl 64");
    json_decref(o);

    /* A reply to a sequence number nobody asked for is the router's own
     * doing: a journey of its own. */
    j = R_OUT(t, 5.004, "eth3", &other);
    assert_non_null(j);
    assert_int_equal(jny_journey_id(j), 2);
    assert_int_equal(stats(t).journeys, 2);
    jny_destroy(t);
}

/* ARP who-has the router's address and its reply: one journey; the
 * client asking again later is a second one, and the second reply joins
 * it, not the first. */
static void
test_arp_to_router(void **state)
{
    struct frame req =
        arp(PX_ARP_REQUEST, bcast, client_mac, CLIENT_IP, zero_mac, ETH3_IP);
    struct frame reply = arp(PX_ARP_REPLY, client_mac, eth3_mac, ETH3_IP,
                             client_mac, CLIENT_IP);
    struct jny_table *t = table(0, 0, 0);
    const struct jny_journey *j1, *j2;
    json_t *o;

    (void)state;
    j1 = SW_IN(t, 1.0, 3, &req);
    assert_ptr_equal(R_IN(t, 1.0001, "eth3", &req), j1);
    assert_ptr_equal(R_OUT(t, 1.0002, "eth3", &reply), j1);
    assert_ptr_equal(SW_OUT(t, 1.0003, 3, &reply), j1);
    o = jny_journey_json(j1);
    assert_string_equal(str(o, "kind"), "ARP");
    assert_string_equal(str(o, "summary"),
                        "ARP who-has 10.0.1.1 tell 10.0.1.100");
    assert_string_equal(hop_summary(o, 2),
                        "ARP 10.0.1.1 is-at 02:00:00:00:01:03");
    assert_int_equal(json_array_size(hops_of(o)), 4);
    json_decref(o);

    /* The same bytes again, a second later. */
    j2 = SW_IN(t, 2.0, 3, &req);
    assert_int_equal(jny_journey_id(j2), 2);
    assert_ptr_equal(R_IN(t, 2.0001, "eth3", &req), j2);
    assert_ptr_equal(R_OUT(t, 2.0002, "eth3", &reply), j2);
    assert_ptr_equal(SW_OUT(t, 2.0003, 3, &reply), j2);
    o = jny_journey_json(j2);
    assert_int_equal(json_array_size(hops_of(o)), 4);
    json_decref(o);
    assert_int_equal(stats(t).journeys, 2);
    assert_int_equal(stats(t).hops, 8);
    jny_destroy(t);
}

/* The router must resolve server1 before it forwards: its ARP request
 * starts a journey of its own (first hop: the router's), server1's reply
 * another, and the echo request, sent half a second later, joins the
 * ping's journey still. */
static void
test_router_arp_request(void **state)
{
    struct frame req = client_echo(SERVER1_IP, 1), fwd = forwarded(&req);
    struct frame who =
        arp(PX_ARP_REQUEST, bcast, eth1_mac, ETH1_IP, zero_mac, SERVER1_IP);
    struct frame is_at = arp(PX_ARP_REPLY, eth1_mac, server1_mac, SERVER1_IP,
                             eth1_mac, ETH1_IP);
    const struct jny_journey *ping, *j;
    struct jny_table *t = table(0, 0, 0);
    json_t *o;

    (void)state;
    ping = SW_IN(t, 10.0, 3, &req);
    assert_ptr_equal(R_IN(t, 10.0001, "eth3", &req), ping);

    j = R_OUT(t, 10.0002, "eth1", &who);
    assert_non_null(j);
    assert_int_equal(jny_journey_id(j), 2);
    assert_ptr_equal(SW_OUT(t, 10.0003, 1, &who), j);
    o = jny_journey_json(j);
    assert_string_equal(str(o, "kind"), "ARP");
    assert_string_equal(str(o, "summary"),
                        "ARP who-has 192.168.2.2 tell 192.168.2.1");
    assert_int_equal(json_array_size(hops_of(o)), 2);
    assert_router_hop(o, 0, "out", "eth1");
    assert_switch_hop(o, 1, "out", 1);
    assert_true(real(o, "t") == 10.0002);
    json_decref(o);

    j = SW_IN(t, 10.4, 1, &is_at);
    assert_int_equal(jny_journey_id(j), 3);
    assert_ptr_equal(R_IN(t, 10.4001, "eth1", &is_at), j);

    assert_ptr_equal(R_OUT(t, 10.5, "eth1", &fwd), ping);
    assert_ptr_equal(SW_OUT(t, 10.5001, 1, &fwd), ping);
    o = jny_journey_json(ping);
    assert_int_equal(json_array_size(hops_of(o)), 4);
    assert_true(fabs(real(json_array_get(hops_of(o), 2), "dt") - 0.5) < 1e-9);
    json_decref(o);
    assert_int_equal(stats(t).journeys, 3);
    jny_destroy(t);
}

/* ICMP errors join the journey of the datagram they quote: time exceeded
 * for a traceroute probe of TTL 1; host unreachable for a ping of a host
 * that never answers the router's 5 ARP requests (each a journey of its
 * own, each packet-out joining its own), sent 5 s later. */
static void
test_icmp_errors(void **state)
{
    struct frame probe = udp_probe(1);
    struct frame exceeded = icmp_error(PX_ICMP_TIME_EXCEEDED, 0, &probe);
    struct frame lost = client_echo(NOWHERE_IP, 9);
    struct frame unreach = icmp_error(PX_ICMP_DEST_UNREACH, 1, &lost);
    struct frame who =
        arp(PX_ARP_REQUEST, bcast, eth1_mac, ETH1_IP, zero_mac, NOWHERE_IP);
    const struct jny_journey *j, *ping, *asked;
    struct jny_table *t = table(0, 0, 0);
    json_t *o;
    int i;

    (void)state;
    j = SW_IN(t, 20.0, 3, &probe);
    assert_ptr_equal(R_IN(t, 20.0001, "eth3", &probe), j);
    assert_ptr_equal(R_OUT(t, 20.0002, "eth3", &exceeded), j);
    assert_ptr_equal(SW_OUT(t, 20.0003, 3, &exceeded), j);
    o = jny_journey_json(j);
    assert_string_equal(str(o, "kind"), "UDP");
    assert_string_equal(str(o, "summary"), "UDP 10.0.1.100:35899 > "
                                           "192.168.2.2:33434 len 32 ttl 1");
    assert_string_equal(hop_summary(o, 2),
                        "ICMP 10.0.1.1 > 10.0.1.100 time exceeded [UDP "
                        "10.0.1.100:35899 > 192.168.2.2:33434] ttl 64");
    assert_int_equal(json_array_size(hops_of(o)), 4);
    json_decref(o);

    ping = SW_IN(t, 30.0, 3, &lost);
    assert_ptr_equal(R_IN(t, 30.0001, "eth3", &lost), ping);
    for (i = 0; i < 5; i++) {
        asked = R_OUT(t, 30.0002 + i, "eth1", &who);
        assert_non_null(asked);
        assert_ptr_not_equal(asked, ping);
        assert_int_equal(jny_journey_id(asked), 3 + i);
        assert_ptr_equal(SW_OUT(t, 30.0003 + i, 1, &who), asked);
        o = jny_journey_json(asked);
        assert_int_equal(json_array_size(hops_of(o)), 2);
        json_decref(o);
    }
    assert_ptr_equal(R_OUT(t, 35.0002, "eth3", &unreach), ping);
    assert_ptr_equal(SW_OUT(t, 35.0003, 3, &unreach), ping);
    o = jny_journey_json(ping);
    assert_int_equal(json_array_size(hops_of(o)), 4);
    assert_string_equal(hop_summary(o, 2),
                        "ICMP 10.0.1.1 > 10.0.1.100 destination unreachable "
                        "(host) [ICMP 10.0.1.100 > 192.168.2.9 echo request "
                        "id 4711 seq 9] ttl 64");
    json_decref(o);
    assert_int_equal(stats(t).journeys, 7);
    assert_int_equal(stats(t).unmatched, 0);
    jny_destroy(t);
}

/* A TCP SYN forwarded; and with two routers connected, each gets the
 * frame and forwards it, all in the one journey. */
static void
test_tcp_two_routers(void **state)
{
    struct frame syn = tcp_syn(), fwd = forwarded(&syn);
    struct jny_table *t = table(0, 0, 0);
    struct jny_hop_in in = {.kind = JNY_ROUTER_IN,
                            .t = 40.0002,
                            .router = 8,
                            .iface = "eth3",
                            .frame = syn.data,
                            .len = syn.len};
    const struct jny_journey *j;
    json_t *o;

    (void)state;
    j = SW_IN(t, 40.0, 3, &syn);
    assert_ptr_equal(R_IN(t, 40.0001, "eth3", &syn), j);
    assert_ptr_equal(jny_add(t, &in), j);
    assert_ptr_equal(R_OUT(t, 40.0003, "eth1", &fwd), j);
    in.kind = JNY_ROUTER_OUT;
    in.t = 40.0004;
    in.iface = "eth1";
    in.frame = fwd.data;
    in.len = fwd.len;
    assert_ptr_equal(jny_add(t, &in), j);
    o = jny_journey_json(j);
    assert_string_equal(str(o, "kind"), "TCP");
    assert_string_equal(str(o, "summary"), "TCP 10.0.1.100:40000 > "
                                           "192.168.2.2:80 [S] seq 1000 len 0 "
                                           "ttl 64");
    assert_int_equal(json_array_size(hops_of(o)), 5);
    assert_int_equal(num(json_array_get(hops_of(o), 2), "router"), 8);
    assert_string_equal(hop_summary(o, 3), "TCP 10.0.1.100:40000 > "
                                           "192.168.2.2:80 [S] seq 1000 len 0 "
                                           "ttl 63");
    json_decref(o);
    jny_destroy(t);
}

/* Hops nobody waits for are counted, not recorded: a packet-out of
 * another plugin, a router-in too late for its packet-in, a router-in of
 * a frame no switch punted; and bad input. */
static void
test_unmatched_invalid(void **state)
{
    struct frame req = client_echo(SERVER1_IP, 1), other = udp_probe(5);
    struct jny_table *t = table(0, 0, 0);
    struct jny_hop_in bad = {.kind = JNY_SWITCH_IN, .t = 1.0};
    struct jny_table *u = NULL;
    struct jny_config c;

    (void)state;
    assert_non_null(SW_IN(t, 1.0, 3, &req));
    assert_null(SW_OUT(t, 1.1, 2, &other));
    assert_null(R_IN(t, 1.2, "eth3", &other));
    assert_null(R_IN(t, 3.1, "eth3", &req)); /* Past the 2 s window. */
    assert_int_equal(stats(t).unmatched, 3);
    assert_null(jny_add(t, &bad)); /* No frame. */
    bad.frame = req.data;
    assert_null(jny_add(t, &bad)); /* Empty. */
    bad.len = req.len;
    bad.t = NAN;
    assert_null(jny_add(t, &bad));
    bad.t = 1.0;
    bad.kind = (enum jny_hop_kind)9;
    assert_null(jny_add(t, &bad));
    assert_null(jny_add(t, NULL));
    assert_int_equal(stats(t).invalid, 5);
    assert_int_equal(stats(t).hops, 1);
    jny_destroy(t);
    jny_destroy(NULL);

    /* Configurations out of bounds. */
    memset(&c, 0, sizeof c);
    c.max_journeys = JNY_MAX_JOURNEYS + 1;
    assert_int_equal(jny_create(&c, &u), EINVAL);
    assert_null(u);
    memset(&c, 0, sizeof c);
    c.max_hops = JNY_MAX_HOPS + 1;
    assert_int_equal(jny_create(&c, &u), EINVAL);
    memset(&c, 0, sizeof c);
    c.snaplen = JNY_MIN_SNAPLEN - 1;
    assert_int_equal(jny_create(&c, &u), EINVAL);
    memset(&c, 0, sizeof c);
    c.window = -1;
    assert_int_equal(jny_create(&c, &u), EINVAL);
    c.window = NAN;
    assert_int_equal(jny_create(&c, &u), EINVAL);
    memset(&c, 0, sizeof c);
    c.long_window = JNY_MAX_WINDOW * 2;
    assert_int_equal(jny_create(&c, &u), EINVAL);
    assert_int_equal(jny_create(NULL, &u), 0);
    jny_destroy(u);
}

/* At most 'max_journeys': the oldest go, counted, and what comes for
 * them finds nothing. */
static void
test_eviction(void **state)
{
    struct jny_table *t = table(4, 0, 0);
    struct frame f[10];
    json_t *list, *journeys;
    size_t i;

    (void)state;
    for (i = 0; i < 10; i++) {
        f[i] = client_echo(SERVER1_IP, (uint16_t)i);
        assert_int_equal(jny_journey_id(SW_IN(t, 1.0 + 0.01 * i, 3, &f[i])),
                         i + 1);
    }
    assert_int_equal(stats(t).journeys, 10);
    assert_int_equal(stats(t).evicted, 6);
    assert_int_equal(stats(t).live, 4);
    assert_int_equal(stats(t).live_hops, 4);
    list = jny_list_json(t);
    journeys = json_object_get(list, "journeys");
    assert_int_equal(json_array_size(journeys), 4);
    for (i = 0; i < 4; i++) {
        assert_int_equal(num(json_array_get(journeys, i), "id"), 7 + i);
    }
    json_decref(list);
    assert_null(R_IN(t, 1.2, "eth3", &f[0]));
    assert_int_equal(stats(t).unmatched, 1);
    assert_non_null(R_IN(t, 1.2, "eth3", &f[9]));
    jny_destroy(t);
}

/* At most 'max_hops' a journey: more are counted, in the stats and in the
 * journey's JSON. */
static void
test_hop_bound(void **state)
{
    struct frame req = client_echo(SERVER1_IP, 1), fwd = forwarded(&req);
    struct jny_table *t = table(0, 3, 0);
    const struct jny_journey *j;
    json_t *o;

    (void)state;
    j = SW_IN(t, 1.0, 3, &req);
    assert_ptr_equal(R_IN(t, 1.1, "eth3", &req), j);
    assert_ptr_equal(R_OUT(t, 1.2, "eth1", &fwd), j);
    assert_null(SW_OUT(t, 1.3, 1, &fwd));
    assert_null(R_IN(t, 1.4, "eth3", &req));
    assert_int_equal(stats(t).hops_dropped, 2);
    assert_int_equal(stats(t).hops, 3);
    o = jny_journey_json(j);
    assert_int_equal(json_array_size(hops_of(o)), 3);
    assert_int_equal(num(o, "hops_dropped"), 2);
    json_decref(o);
    jny_destroy(t);
}

/* The pcap file, read back by libpcap: each frame once (a router-in and
 * a packet-out of the same bytes are not repeated), in time order across
 * journeys, cut to the snaplen with the real length kept. */
static void
test_pcap(void **state)
{
    struct frame big = icmp_echo(eth3_mac, client_mac, CLIENT_IP, SERVER1_IP,
                                 PX_ICMP_ECHO_REQUEST, 0x2000, 64, 1, 200);
    struct frame big_fwd = forwarded(&big);
    struct frame who =
        arp(PX_ARP_REQUEST, bcast, client_mac, CLIENT_IP, zero_mac, ETH3_IP);
    struct frame is_at = arp(PX_ARP_REPLY, client_mac, eth3_mac, ETH3_IP,
                             client_mac, CLIENT_IP);
    const struct frame *want[] = {&big, &who, &big_fwd, &is_at};
    const double times[] = {50.25, 50.5, 50.75, 51.000001};
    char errbuf[PCAP_ERRBUF_SIZE];
    struct jny_table *t = table(0, 0, 64);
    struct pcap_pkthdr *hdr;
    const u_char *bytes;
    size_t len, i;
    char *data;
    pcap_t *p;
    FILE *f;

    (void)state;
    /* Empty: just the file header. */
    assert_int_equal(jny_pcap(t, &data, &len), 0);
    assert_int_equal(len, 24);
    free(data);

    assert_non_null(SW_IN(t, 50.25, 3, &big));
    assert_non_null(R_IN(t, 50.3, "eth3", &big));
    assert_non_null(SW_IN(t, 50.5, 3, &who));
    assert_non_null(R_IN(t, 50.6, "eth3", &who));
    assert_non_null(R_OUT(t, 50.75, "eth1", &big_fwd));
    assert_non_null(SW_OUT(t, 50.8, 1, &big_fwd));
    assert_non_null(R_OUT(t, 51.000001, "eth3", &is_at));
    assert_non_null(SW_OUT(t, 51.1, 3, &is_at));
    assert_int_equal(stats(t).live, 2);
    assert_int_equal(stats(t).truncated, 4); /* The echo's four hops. */

    assert_int_equal(jny_pcap(t, &data, &len), 0);
    f = fmemopen(data, len, "r");
    assert_non_null(f);
    p = pcap_fopen_offline(f, errbuf);
    assert_non_null(p);
    assert_int_equal(pcap_datalink(p), DLT_EN10MB);
    assert_int_equal(pcap_snapshot(p), 64);
    for (i = 0; i < 4; i++) {
        size_t caplen = want[i]->len < 64 ? want[i]->len : 64;

        assert_int_equal(pcap_next_ex(p, &hdr, &bytes), 1);
        assert_int_equal(hdr->len, want[i]->len);
        assert_int_equal(hdr->caplen, caplen);
        assert_memory_equal(bytes, want[i]->data, caplen);
        assert_int_equal(hdr->ts.tv_sec, (long)times[i]);
        assert_int_equal(hdr->ts.tv_usec,
                         (long)round((times[i] - (long)times[i]) * 1e6));
    }
    assert_int_equal(big.len, 242);
    assert_int_equal(pcap_next_ex(p, &hdr, &bytes), PCAP_ERROR_BREAK);
    pcap_close(p); /* Closes 'f'. */
    free(data);
    jny_destroy(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_through_router),
        cmocka_unit_test(test_echo_to_router),
        cmocka_unit_test(test_arp_to_router),
        cmocka_unit_test(test_router_arp_request),
        cmocka_unit_test(test_icmp_errors),
        cmocka_unit_test(test_tcp_two_routers),
        cmocka_unit_test(test_unmatched_invalid),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_hop_bound),
        cmocka_unit_test(test_pcap),
    };

    return cmocka_run_group_tests_name("journey", tests, NULL, NULL);
}
