/*
 * Unit tests of the SDK's text forms of what a switch reports
 * (<plexus/of_text.h>, sdk/lib/of_text.c): the match of each kind of
 * field, masked and not, the empty match and port labels in flowmon's
 * style (PX_OF_TEXT_OXM, its /metrics labels) and in ovs-ofctl's
 * (PX_OF_TEXT_OVS, the console's), and actions and instructions as
 * ovs-ofctl writes them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plexus/of_text.h"

/* Formats 'n' fields in flowmon's style and checks the text. */
static void
check_match(const struct px_of_field *f, size_t n, const char *want)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

    assert_int_equal(px_of_match_format(&b, f, n, PX_OF_TEXT_OXM), 0);
    assert_string_equal(px_buf_cstr(&b), want);
    px_buf_destroy(&b);
}

static void
test_empty(void **state)
{
    (void)state;
    check_match(NULL, 0, "any");
}

/* What l2_learning's flows look like. */
static void
test_l2_flow(void **state)
{
    static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
    static const uint8_t dst[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    struct px_of_field f[3];

    (void)state;
    f[0] = px_of_field_u64(PX_OF_F_IN_PORT, 1);
    f[1] = px_of_field_bytes(PX_OF_F_ETH_SRC, src, NULL);
    f[2] = px_of_field_bytes(PX_OF_F_ETH_DST, dst, NULL);
    check_match(f, 3,
                "in_port=1,eth_src=02:00:00:00:00:01,"
                "eth_dst=aa:bb:cc:dd:ee:ff");
}

/* What the firewall's flows look like. */
static void
test_ipv4_flow(void **state)
{
    struct px_of_field f[5];

    (void)state;
    f[0] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800);
    f[1] = px_of_field_u64(PX_OF_F_IP_PROTO, 6);
    f[2] = px_of_field_u64(PX_OF_F_IPV4_SRC, 0x0a000001);
    f[3] = px_of_field_u64_masked(PX_OF_F_IPV4_DST, 0x0a000000, 0xff000000);
    f[4] = px_of_field_u64(PX_OF_F_TCP_DST, 80);
    check_match(f, 5,
                "eth_type=0x0800,ip_proto=6,ipv4_src=10.0.0.1,"
                "ipv4_dst=10.0.0.0/8,tcp_dst=80");
    /* A mask that is not a prefix is written whole. */
    f[0] = px_of_field_u64_masked(PX_OF_F_IPV4_SRC, 0x0a000001, 0xff00ff00);
    check_match(f, 1, "ipv4_src=10.0.0.1/255.0.255.0");
    /* A full mask is /32. */
    f[0] = px_of_field_u64_masked(PX_OF_F_ARP_TPA, 0x0a000001, 0xffffffff);
    check_match(f, 1, "arp_tpa=10.0.0.1/32");
}

static void
test_ipv6_and_masks(void **state)
{
    static const uint8_t net[16] = {0x20, 0x01, 0x0d, 0xb8};
    static const uint8_t mask64[16] = {0xff, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff};
    static const uint8_t oui[6] = {0x02, 0x11, 0x22};
    static const uint8_t oui_mask[6] = {0xff, 0xff, 0xff};
    struct px_of_field f[4];

    (void)state;
    f[0] = px_of_field_bytes(PX_OF_F_IPV6_SRC, net, mask64);
    f[1] = px_of_field_bytes(PX_OF_F_ETH_DST, oui, oui_mask);
    f[2] = px_of_field_u64_masked(PX_OF_F_METADATA, 0x10, 0xf0);
    f[3] = px_of_field_u64_masked(PX_OF_F_TCP_DST, 0x1000, 0xf000);
    check_match(f, 4,
                "ipv6_src=2001:db8::/64,eth_dst=02:11:22:00:00:00/"
                "ff:ff:ff:00:00:00,metadata=0x10/0xf0,tcp_dst=0x1000/0xf000");
    f[0] = px_of_field_bytes(PX_OF_F_IPV6_ND_TARGET, net, NULL);
    f[1] = px_of_field_u64(PX_OF_F_TUNNEL_ID, 0x77);
    f[2] = px_of_field_u64(PX_OF_F_ICMPV6_TYPE, 135);
    check_match(f, 3,
                "ipv6_nd_target=2001:db8::,tunnel_id=0x77,"
                "icmpv6_type=135");
}

static void
test_vlan_and_ports(void **state)
{
    struct px_of_field f[3];

    (void)state;
    f[0] = px_of_field_u64(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 10);
    f[1] = px_of_field_u64(PX_OF_F_IN_PORT, PX_OF_PORT_LOCAL);
    f[2] = px_of_field_u64(PX_OF_F_VLAN_PCP, 3);
    check_match(f, 3, "vlan_vid=10,in_port=local,vlan_pcp=3");
    f[0] = px_of_field_u64(PX_OF_F_VLAN_VID, 0);
    check_match(f, 1, "vlan_vid=none");
    f[0] = px_of_field_u64_masked(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT,
                                  PX_OF_VID_PRESENT);
    check_match(f, 1, "vlan_vid=0x1000/0x1000");
}

/* An id past the known ones (which the decoder never gives) is named by
 * number, not read past the table. */
static void
test_unknown_field(void **state)
{
    struct px_of_field f = px_of_field_zero(PX_OF_F_IN_PORT);

    (void)state;
    f.id = 200;
    check_match(&f, 1, "field200=?");
}

/* Appends after what the buffer holds, as flowmon's snapshot does. */
static void
test_appends(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    struct px_of_field f = px_of_field_u64(PX_OF_F_IN_PORT, 2);
    size_t second;

    (void)state;
    px_of_match_format(&b, &f, 1, PX_OF_TEXT_OXM);
    px_buf_put_u8(&b, 0);
    second = b.len;
    px_of_match_format(&b, NULL, 0, PX_OF_TEXT_OXM);
    px_buf_put_u8(&b, 0);
    assert_string_equal((const char *)b.data, "in_port=2");
    assert_string_equal((const char *)b.data + second, "any");
    px_buf_destroy(&b);
}

static void
port_oxm(uint32_t port_no, char *buf, size_t size)
{
    assert_ptr_equal(px_of_port_text(port_no, PX_OF_TEXT_OXM, buf, size), buf);
}

static void
test_port_names(void **state)
{
    char buf[16];

    (void)state;
    port_oxm(1, buf, sizeof buf);
    assert_string_equal(buf, "1");
    port_oxm(PX_OF_PORT_MAX, buf, sizeof buf);
    assert_string_equal(buf, "4294967040");
    port_oxm(PX_OF_PORT_LOCAL, buf, sizeof buf);
    assert_string_equal(buf, "local");
    port_oxm(PX_OF_PORT_CONTROLLER, buf, sizeof buf);
    assert_string_equal(buf, "controller");
    port_oxm(PX_OF_PORT_IN_PORT, buf, sizeof buf);
    assert_string_equal(buf, "in_port");
    port_oxm(PX_OF_PORT_ANY, buf, sizeof buf);
    assert_string_equal(buf, "any");
}

/* Formats 'n' fields in ovs-ofctl's style and checks the text. */
static void
check_ovs(const struct px_of_field *f, size_t n, const char *want)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

    assert_int_equal(px_of_match_format(&b, f, n, PX_OF_TEXT_OVS), 0);
    assert_string_equal(px_buf_cstr(&b), want);
    px_buf_destroy(&b);
}

/* ovs-ofctl's names, as its dump-flows writes a learned flow, a routed
 * prefix, ARP, IPv6 neighbour discovery and a tunnel; the empty match is
 * empty, as in "priority=0 actions=...". */
static void
test_ovs_match(void **state)
{
    static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
    static const uint8_t dst[6] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    static const uint8_t net[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
    struct px_of_field f[6];

    (void)state;
    check_ovs(NULL, 0, "");
    f[0] = px_of_field_u64(PX_OF_F_IN_PORT, 3);
    f[1] = px_of_field_bytes(PX_OF_F_ETH_SRC, src, NULL);
    f[2] = px_of_field_bytes(PX_OF_F_ETH_DST, dst, NULL);
    check_ovs(f, 3,
              "in_port=3,dl_src=02:00:00:00:00:01,dl_dst=aa:bb:cc:dd:ee:ff");
    f[0] = px_of_field_u64(PX_OF_F_IN_PORT, 3);
    f[1] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0800);
    f[2] = px_of_field_u64_masked(PX_OF_F_IPV4_DST, 0x0a000100, 0xffffff00);
    f[3] = px_of_field_u64(PX_OF_F_IP_PROTO, 17);
    f[4] = px_of_field_u64(PX_OF_F_UDP_DST, 53);
    f[5] = px_of_field_u64(PX_OF_F_IP_DSCP, 46);
    check_ovs(f, 6,
              "in_port=3,dl_type=0x0800,nw_dst=10.0.1.0/24,nw_proto=17,"
              "tp_dst=53,nw_tos=184");
    f[0] = px_of_field_u64(PX_OF_F_ETH_TYPE, 0x0806);
    f[1] = px_of_field_u64(PX_OF_F_ARP_OP, 1);
    f[2] = px_of_field_u64_masked(PX_OF_F_ARP_TPA, 0x0a000100, 0xffffff00);
    check_ovs(f, 3, "dl_type=0x0806,arp_op=1,arp_tpa=10.0.1.0/24");
    f[0] = px_of_field_u64(PX_OF_F_ICMPV6_TYPE, 135);
    f[1] = px_of_field_bytes(PX_OF_F_IPV6_ND_TARGET, net, NULL);
    f[2] = px_of_field_bytes(PX_OF_F_IPV6_ND_SLL, src, NULL);
    f[3] = px_of_field_u64(PX_OF_F_TUNNEL_ID, 0x77);
    f[4] = px_of_field_u64_masked(PX_OF_F_METADATA, 0x10, 0xf0);
    f[5] = px_of_field_u64(PX_OF_F_IN_PORT, PX_OF_PORT_LOCAL);
    check_ovs(f, 6,
              "icmp_type=135,nd_target=2001:db8::9,"
              "nd_sll=02:00:00:00:00:01,tun_id=0x77,metadata=0x10/0xf0,"
              "in_port=LOCAL");
}

static void
test_ovs_vlan(void **state)
{
    struct px_of_field f[2];

    (void)state;
    f[0] = px_of_field_u64(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 10);
    f[1] = px_of_field_u64(PX_OF_F_VLAN_PCP, 3);
    check_ovs(f, 2, "dl_vlan=10,dl_vlan_pcp=3");
    f[0] = px_of_field_u64(PX_OF_F_VLAN_VID, 0);
    check_ovs(f, 1, "vlan_tci=0x0000");
    f[0] = px_of_field_u64_masked(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT,
                                  PX_OF_VID_PRESENT);
    check_ovs(f, 1, "vlan_tci=0x1000/0x1000");
    f[0] = px_of_field_u64_masked(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 8,
                                  PX_OF_VID_PRESENT | 0xff8);
    check_ovs(f, 1, "vlan_vid=0x1008/0x1ff8");
}

/* Formats 'n' actions and checks the text. */
static void
check_actions(const struct px_of_action *a, size_t n, const char *want)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

    assert_int_equal(px_of_actions_format(&b, a, n), 0);
    assert_string_equal(px_buf_cstr(&b), want);
    px_buf_destroy(&b);
}

static void
test_actions(void **state)
{
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x07};
    /* A Nicira experimenter action: type 0xffff, length 16, id 0x2320. */
    static const uint8_t nx[16] = {0xff, 0xff, 0, 16, 0, 0, 0x23, 0x20};
    /* PUSH_PBB (type 26), which the SDK has no name for. */
    static const uint8_t pbb[8] = {0, 26, 0, 8, 0x88, 0xe7};
    struct px_of_action a[8];

    (void)state;
    check_actions(NULL, 0, "drop");
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_OUTPUT;
    a[0].port = 1;
    a[1].type = PX_OF_ACTION_OUTPUT;
    a[1].port = PX_OF_PORT_CONTROLLER;
    a[1].max_len = 65535;
    a[2].type = PX_OF_ACTION_OUTPUT;
    a[2].port = PX_OF_PORT_LOCAL;
    a[3].type = PX_OF_ACTION_OUTPUT;
    a[3].port = PX_OF_PORT_IN_PORT;
    a[4].type = PX_OF_ACTION_OUTPUT;
    a[4].port = PX_OF_PORT_NORMAL;
    a[5].type = PX_OF_ACTION_OUTPUT;
    a[5].port = PX_OF_PORT_FLOOD;
    a[6].type = PX_OF_ACTION_GROUP;
    a[6].arg = 5;
    a[7].type = PX_OF_ACTION_SET_QUEUE;
    a[7].arg = 7;
    check_actions(a, 8,
                  "output:1,CONTROLLER:65535,LOCAL,IN_PORT,NORMAL,FLOOD,"
                  "group:5,set_queue:7");
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_PUSH_VLAN;
    a[0].ethertype = 0x8100;
    a[1].type = PX_OF_ACTION_POP_VLAN;
    a[2].type = PX_OF_ACTION_PUSH_MPLS;
    a[2].ethertype = 0x8847;
    a[3].type = PX_OF_ACTION_POP_MPLS;
    a[3].ethertype = 0x0800;
    a[4].type = PX_OF_ACTION_DEC_NW_TTL;
    a[5].type = PX_OF_ACTION_SET_NW_TTL;
    a[5].arg = 9;
    a[6].type = PX_OF_ACTION_DEC_MPLS_TTL;
    a[7].type = PX_OF_ACTION_SET_MPLS_TTL;
    a[7].arg = 8;
    check_actions(a, 8,
                  "push_vlan:0x8100,pop_vlan,push_mpls:0x8847,"
                  "pop_mpls:0x0800,dec_ttl,mod_nw_ttl:9,dec_mpls_ttl,"
                  "set_mpls_ttl(8)");
    memset(a, 0, sizeof a);
    a[0].type = PX_OF_ACTION_COPY_TTL_OUT;
    a[1].type = PX_OF_ACTION_COPY_TTL_IN;
    a[2].type = PX_OF_ACTION_SET_DL_SRC;
    memcpy(a[2].mac, mac, 6);
    a[3].type = PX_OF_ACTION_SET_DL_DST;
    memcpy(a[3].mac, mac, 6);
    a[4].type = PX_OF_ACTION_EXPERIMENTER;
    a[4].data = nx;
    a[4].data_len = sizeof nx;
    a[5].type = PX_OF_ACTION_RAW;
    a[5].data = pbb;
    a[5].data_len = sizeof pbb;
    check_actions(a, 6,
                  "copy_ttl_out,copy_ttl_in,mod_dl_src:02:00:00:00:00:07,"
                  "mod_dl_dst:02:00:00:00:00:07,experimenter:0x00002320,"
                  "action(type=0x001a,len=8)");
}

/* set_field names and values as ovs-ofctl writes them (its e2e catalog:
 * set_field:4116->vlan_vid, set_field:46->ip_dscp,
 * set_field:5353->udp_src, set_field:100->mpls_label). */
static void
test_set_fields(void **state)
{
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x07};
    struct px_of_field f[7];
    struct px_of_action a[7];
    size_t i;

    (void)state;
    f[0] = px_of_field_bytes(PX_OF_F_ETH_DST, mac, NULL);
    f[1] = px_of_field_u64(PX_OF_F_VLAN_VID, PX_OF_VID_PRESENT | 20);
    f[2] = px_of_field_u64(PX_OF_F_IP_DSCP, 46);
    f[3] = px_of_field_u64(PX_OF_F_UDP_SRC, 5353);
    f[4] = px_of_field_u64(PX_OF_F_MPLS_LABEL, 100);
    f[5] = px_of_field_u64(PX_OF_F_IPV4_SRC, 0x0a000001);
    f[6] = px_of_field_u64(PX_OF_F_TUNNEL_ID, 0x77);
    memset(a, 0, sizeof a);
    for (i = 0; i < 7; i++) {
        a[i].type = PX_OF_ACTION_SET_FIELD;
        a[i].field = &f[i];
    }
    check_actions(a, 7,
                  "set_field:02:00:00:00:00:07->eth_dst,"
                  "set_field:4116->vlan_vid,set_field:46->ip_dscp,"
                  "set_field:5353->udp_src,set_field:100->mpls_label,"
                  "set_field:10.0.0.1->ip_src,set_field:0x77->tun_id");
    /* No field, or one the SDK does not know: said, not read. */
    a[0].field = NULL;
    check_actions(a, 1, "set_field:?");
}

/* Formats 'n' instructions and checks the text. */
static void
check_instructions(const struct px_of_instruction *in, size_t n,
                   const char *want)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

    assert_int_equal(px_of_instructions_format(&b, in, n), 0);
    assert_string_equal(px_buf_cstr(&b), want);
    px_buf_destroy(&b);
}

static void
test_instructions(void **state)
{
    static const uint8_t exp[8] = {0xff, 0xff, 0, 8};
    struct px_of_action out[2];
    struct px_of_instruction in[7];

    (void)state;
    memset(out, 0, sizeof out);
    memset(in, 0, sizeof in);
    out[0].type = PX_OF_ACTION_OUTPUT;
    out[0].port = 1;
    out[1].type = PX_OF_ACTION_GROUP;
    out[1].arg = 5;
    check_instructions(NULL, 0, "drop");
    /* 1.0's drop: one APPLY_ACTIONS without actions. */
    in[0].type = PX_OF_INSTR_APPLY_ACTIONS;
    check_instructions(in, 1, "drop");
    in[0].type = PX_OF_INSTR_METER;
    in[0].meter_id = 9;
    in[1].type = PX_OF_INSTR_APPLY_ACTIONS;
    in[1].n_actions = 2;
    in[1].actions = out;
    in[2].type = PX_OF_INSTR_CLEAR_ACTIONS;
    in[3].type = PX_OF_INSTR_WRITE_ACTIONS;
    in[3].n_actions = 1;
    in[3].actions = out;
    in[4].type = PX_OF_INSTR_WRITE_METADATA;
    in[4].metadata = 0x100;
    in[4].metadata_mask = 0xf00;
    in[5].type = PX_OF_INSTR_GOTO_TABLE;
    in[5].table_id = 1;
    in[6].type = PX_OF_INSTR_RAW;
    in[6].data = exp;
    in[6].data_len = sizeof exp;
    check_instructions(in, 7,
                       "meter:9,output:1,group:5,clear_actions,"
                       "write_actions(output:1),"
                       "write_metadata:0x100/0xf00,goto_table:1,"
                       "instruction(type=0xffff,len=8)");
    /* An empty APPLY_ACTIONS before a goto writes nothing; a full
     * metadata mask is left out. */
    in[0].type = PX_OF_INSTR_APPLY_ACTIONS;
    in[0].n_actions = 0;
    in[1].type = PX_OF_INSTR_WRITE_METADATA;
    in[1].metadata = 0x1;
    in[1].metadata_mask = UINT64_MAX;
    in[2].type = PX_OF_INSTR_GOTO_TABLE;
    in[2].table_id = 3;
    check_instructions(in, 3, "write_metadata:0x1,goto_table:3");
    in[0].type = PX_OF_INSTR_WRITE_ACTIONS;
    check_instructions(in, 1, "write_actions()");
}

/* A buffer with a limit: the error is told, and sticky. */
static void
test_buffer_limit(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(8);
    struct px_of_field f = px_of_field_u64(PX_OF_F_IPV4_SRC, 0x0a000001);
    struct px_of_action a;

    (void)state;
    memset(&a, 0, sizeof a);
    assert_int_equal(px_of_match_format(&b, &f, 1, PX_OF_TEXT_OVS), ENOBUFS);
    assert_int_equal(px_of_actions_format(&b, &a, 1), ENOBUFS);
    assert_int_equal(px_of_instructions_format(&b, NULL, 0), ENOBUFS);
    px_buf_destroy(&b);
}

/* Datapath ids: ovs-ofctl's form out; every form operators write in. */
static void
test_dpid(void **state)
{
    char buf[PX_OF_DPID_TEXT_SIZE];
    uint64_t d = 0;

    (void)state;
    assert_string_equal(px_of_dpid_text(0x100, buf, sizeof buf),
                        "00:00:00:00:00:00:01:00");
    assert_string_equal(px_of_dpid_text(UINT64_MAX, buf, sizeof buf),
                        "ff:ff:ff:ff:ff:ff:ff:ff");
    assert_int_equal(px_of_dpid_parse("00:00:00:00:00:00:01:00", &d), 0);
    assert_true(d == 0x100);
    assert_int_equal(px_of_dpid_parse("0000000000000001", &d), 0);
    assert_true(d == 1);
    assert_int_equal(px_of_dpid_parse("0xABCdef", &d), 0);
    assert_true(d == 0xabcdef);
    assert_int_equal(px_of_dpid_parse("ffffffffffffffff", &d), 0);
    assert_true(d == UINT64_MAX);
    assert_int_equal(px_of_dpid_parse("", &d), EINVAL);
    assert_int_equal(px_of_dpid_parse("0x", &d), EINVAL);
    assert_int_equal(px_of_dpid_parse("1ffffffffffffffff", &d), EINVAL);
    assert_int_equal(px_of_dpid_parse(":01", &d), EINVAL);
    assert_int_equal(px_of_dpid_parse("01::02", &d), EINVAL);
    assert_int_equal(px_of_dpid_parse("01:", &d), EINVAL);
    assert_int_equal(px_of_dpid_parse("0g", &d), EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_l2_flow),
        cmocka_unit_test(test_ipv4_flow),
        cmocka_unit_test(test_ipv6_and_masks),
        cmocka_unit_test(test_vlan_and_ports),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_appends),
        cmocka_unit_test(test_port_names),
        cmocka_unit_test(test_ovs_match),
        cmocka_unit_test(test_ovs_vlan),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_set_fields),
        cmocka_unit_test(test_instructions),
        cmocka_unit_test(test_buffer_limit),
        cmocka_unit_test(test_dpid),
    };

    return cmocka_run_group_tests_name("of_text", tests, NULL, NULL);
}
