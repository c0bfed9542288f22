/*
 * Text forms of matches and ports for flowmon's labels; see fm_match.h.
 */
#include "fm_match.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* How a field's value is written. */
enum fm_kind {
    K_UINT = 0, /* Decimal; masked: 0xV/0xM. */
    K_HEX,      /* 0x...; masked: 0xV/0xM. */
    K_PORT,     /* A port number, special ones by name. */
    K_MAC,
    K_IPV4,
    K_IPV6,
    K_VID,
};

struct fm_field_info {
    const char *name;
    enum fm_kind kind;
};

static const struct fm_field_info fm_fields[PX_OF_F_COUNT] = {
    [PX_OF_F_IN_PORT] = {"in_port", K_PORT},
    [PX_OF_F_IN_PHY_PORT] = {"in_phy_port", K_PORT},
    [PX_OF_F_METADATA] = {"metadata", K_HEX},
    [PX_OF_F_ETH_DST] = {"eth_dst", K_MAC},
    [PX_OF_F_ETH_SRC] = {"eth_src", K_MAC},
    [PX_OF_F_ETH_TYPE] = {"eth_type", K_HEX},
    [PX_OF_F_VLAN_VID] = {"vlan_vid", K_VID},
    [PX_OF_F_VLAN_PCP] = {"vlan_pcp", K_UINT},
    [PX_OF_F_IP_DSCP] = {"ip_dscp", K_UINT},
    [PX_OF_F_IP_ECN] = {"ip_ecn", K_UINT},
    [PX_OF_F_IP_PROTO] = {"ip_proto", K_UINT},
    [PX_OF_F_IPV4_SRC] = {"ipv4_src", K_IPV4},
    [PX_OF_F_IPV4_DST] = {"ipv4_dst", K_IPV4},
    [PX_OF_F_TCP_SRC] = {"tcp_src", K_UINT},
    [PX_OF_F_TCP_DST] = {"tcp_dst", K_UINT},
    [PX_OF_F_UDP_SRC] = {"udp_src", K_UINT},
    [PX_OF_F_UDP_DST] = {"udp_dst", K_UINT},
    [PX_OF_F_SCTP_SRC] = {"sctp_src", K_UINT},
    [PX_OF_F_SCTP_DST] = {"sctp_dst", K_UINT},
    [PX_OF_F_ICMPV4_TYPE] = {"icmpv4_type", K_UINT},
    [PX_OF_F_ICMPV4_CODE] = {"icmpv4_code", K_UINT},
    [PX_OF_F_ARP_OP] = {"arp_op", K_UINT},
    [PX_OF_F_ARP_SPA] = {"arp_spa", K_IPV4},
    [PX_OF_F_ARP_TPA] = {"arp_tpa", K_IPV4},
    [PX_OF_F_ARP_SHA] = {"arp_sha", K_MAC},
    [PX_OF_F_ARP_THA] = {"arp_tha", K_MAC},
    [PX_OF_F_IPV6_SRC] = {"ipv6_src", K_IPV6},
    [PX_OF_F_IPV6_DST] = {"ipv6_dst", K_IPV6},
    [PX_OF_F_IPV6_FLABEL] = {"ipv6_flabel", K_HEX},
    [PX_OF_F_ICMPV6_TYPE] = {"icmpv6_type", K_UINT},
    [PX_OF_F_ICMPV6_CODE] = {"icmpv6_code", K_UINT},
    [PX_OF_F_IPV6_ND_TARGET] = {"ipv6_nd_target", K_IPV6},
    [PX_OF_F_IPV6_ND_SLL] = {"ipv6_nd_sll", K_MAC},
    [PX_OF_F_IPV6_ND_TLL] = {"ipv6_nd_tll", K_MAC},
    [PX_OF_F_MPLS_LABEL] = {"mpls_label", K_UINT},
    [PX_OF_F_MPLS_TC] = {"mpls_tc", K_UINT},
    [PX_OF_F_MPLS_BOS] = {"mpls_bos", K_UINT},
    [PX_OF_F_PBB_ISID] = {"pbb_isid", K_UINT},
    [PX_OF_F_TUNNEL_ID] = {"tunnel_id", K_HEX},
    [PX_OF_F_IPV6_EXTHDR] = {"ipv6_exthdr", K_HEX},
};

/* The 'w' bytes at 'p' as a number (w <= 8). */
static uint64_t
get_uint(const uint8_t *p, unsigned int w)
{
    uint64_t v = 0;
    unsigned int i;

    for (i = 0; i < w && i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* The length of the prefix 'mask' of 'w' bytes is, or -1 if it is not a
 * prefix (its 1-bits not all leading). */
static int
prefix_len(const uint8_t *mask, unsigned int w)
{
    unsigned int i, bits = 0;
    int ended = 0;

    for (i = 0; i < w * 8; i++) {
        int bit = mask[i / 8] >> (7 - i % 8) & 1;

        if (bit && ended) {
            return -1;
        }
        if (bit) {
            bits++;
        } else {
            ended = 1;
        }
    }
    return (int)bits;
}

static void
put_mac(struct px_buf *b, const uint8_t *m)
{
    px_buf_printf(b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
                  m[4], m[5]);
}

static void
put_addr(struct px_buf *b, int af, const uint8_t *a)
{
    char text[INET6_ADDRSTRLEN];

    if (inet_ntop(af, a, text, sizeof text)) {
        px_buf_printf(b, "%s", text);
    }
}

void
fm_port_name(uint32_t port_no, char *buf, size_t size)
{
    static const char *const names[] = {
        "in_port", "table",      "normal", "flood",
        "all",     "controller", "local",  "any",
    };

    if (port_no >= PX_OF_PORT_IN_PORT) {
        snprintf(buf, size, "%s", names[port_no - PX_OF_PORT_IN_PORT]);
    } else {
        snprintf(buf, size, "%u", port_no);
    }
}

static void
put_field(struct px_buf *b, const struct px_of_field *f)
{
    unsigned int w = px_of_field_width(f->id);
    const struct fm_field_info *info = w ? &fm_fields[f->id] : NULL;
    char port[16];
    int len;

    if (!info) {
        /* An id the SDK has no width for cannot come from its decoder;
         * named by number all the same. */
        px_buf_printf(b, "field%u=?", f->id);
        return;
    }
    px_buf_printf(b, "%s=", info->name);
    switch (info->kind) {
    case K_MAC:
        put_mac(b, f->value);
        if (f->has_mask) {
            px_buf_printf(b, "/");
            put_mac(b, f->mask);
        }
        return;
    case K_IPV4:
    case K_IPV6:
        put_addr(b, info->kind == K_IPV4 ? AF_INET : AF_INET6, f->value);
        if (f->has_mask) {
            len = prefix_len(f->mask, w);
            if (len >= 0) {
                px_buf_printf(b, "/%d", len);
            } else {
                px_buf_printf(b, "/");
                put_addr(b, info->kind == K_IPV4 ? AF_INET : AF_INET6,
                         f->mask);
            }
        }
        return;
    case K_VID:
        if (!f->has_mask) {
            uint64_t v = get_uint(f->value, w);

            if (v & PX_OF_VID_PRESENT) {
                px_buf_printf(b, "%u", (unsigned int)(v & 0xfff));
            } else {
                px_buf_printf(b, "none");
            }
            return;
        }
        break;
    case K_PORT:
        if (!f->has_mask) {
            fm_port_name((uint32_t)get_uint(f->value, w), port, sizeof port);
            px_buf_printf(b, "%s", port);
            return;
        }
        break;
    case K_UINT:
        if (!f->has_mask) {
            px_buf_printf(b, "%llu",
                          (unsigned long long)get_uint(f->value, w));
            return;
        }
        break;
    case K_HEX:
        if (!f->has_mask) {
            if (f->id == PX_OF_F_ETH_TYPE) {
                px_buf_printf(b, "0x%04llx",
                              (unsigned long long)get_uint(f->value, w));
            } else {
                px_buf_printf(b, "0x%llx",
                              (unsigned long long)get_uint(f->value, w));
            }
            return;
        }
        break;
    }
    px_buf_printf(b, "0x%llx/0x%llx",
                  (unsigned long long)get_uint(f->value, w),
                  (unsigned long long)get_uint(f->mask, w));
}

int
fm_match_format(struct px_buf *b, const struct px_of_field *fields, size_t n)
{
    size_t i;

    if (!n) {
        px_buf_printf(b, "any");
    }
    for (i = 0; i < n; i++) {
        if (i) {
            px_buf_printf(b, ",");
        }
        put_field(b, &fields[i]);
    }
    return px_buf_error(b);
}
