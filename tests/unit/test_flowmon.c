/*
 * Unit tests of flowmon's text forms (plugins/flowmon/fm_match.c): the
 * match label of each kind of field, masked and not, the empty match, and
 * port labels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fm_match.h"

/* Formats 'n' fields and checks the text. */
static void
check_match(const struct px_of_field *f, size_t n, const char *want)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

    assert_int_equal(fm_match_format(&b, f, n), 0);
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
    fm_match_format(&b, &f, 1);
    px_buf_put_u8(&b, 0);
    second = b.len;
    fm_match_format(&b, NULL, 0);
    px_buf_put_u8(&b, 0);
    assert_string_equal((const char *)b.data, "in_port=2");
    assert_string_equal((const char *)b.data + second, "any");
    px_buf_destroy(&b);
}

static void
test_port_names(void **state)
{
    char buf[16];

    (void)state;
    fm_port_name(1, buf, sizeof buf);
    assert_string_equal(buf, "1");
    fm_port_name(PX_OF_PORT_MAX, buf, sizeof buf);
    assert_string_equal(buf, "4294967040");
    fm_port_name(PX_OF_PORT_LOCAL, buf, sizeof buf);
    assert_string_equal(buf, "local");
    fm_port_name(PX_OF_PORT_CONTROLLER, buf, sizeof buf);
    assert_string_equal(buf, "controller");
    fm_port_name(PX_OF_PORT_IN_PORT, buf, sizeof buf);
    assert_string_equal(buf, "in_port");
    fm_port_name(PX_OF_PORT_ANY, buf, sizeof buf);
    assert_string_equal(buf, "any");
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
    };

    return cmocka_run_group_tests_name("flowmon", tests, NULL, NULL);
}
