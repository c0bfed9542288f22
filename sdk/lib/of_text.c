/*
 * Text forms of matches, actions, instructions and ports; see
 * <plexus/of_text.h>.  The match writer began as flowmon's (fm_match.c),
 * whose labels PX_OF_TEXT_OXM keeps byte for byte.
 */
#include "plexus/of_text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* How a field's value is written. */
enum of_text_kind {
    K_UINT = 0, /* Decimal; masked: 0xV/0xM. */
    K_HEX,      /* 0x...; masked: 0xV/0xM. */
    K_PORT,     /* A port number, special ones by name. */
    K_MAC,
    K_IPV4,
    K_IPV6,
    K_VID,
    K_DSCP, /* Decimal; ovs-ofctl's match has it as nw_tos, shifted. */
};

struct of_text_field {
    const char *oxm;     /* PX_OF_TEXT_OXM's name. */
    const char *ovs;     /* ovs-ofctl's name in a match. */
    const char *ovs_set; /* ovs-ofctl's name in set_field:V->NAME. */
    enum of_text_kind kind;
};

static const struct of_text_field of_text_fields[PX_OF_F_COUNT] = {
    [PX_OF_F_IN_PORT] = {"in_port", "in_port", "in_port", K_PORT},
    [PX_OF_F_IN_PHY_PORT] = {"in_phy_port", "in_phy_port", "in_phy_port",
                             K_PORT},
    [PX_OF_F_METADATA] = {"metadata", "metadata", "metadata", K_HEX},
    [PX_OF_F_ETH_DST] = {"eth_dst", "dl_dst", "eth_dst", K_MAC},
    [PX_OF_F_ETH_SRC] = {"eth_src", "dl_src", "eth_src", K_MAC},
    [PX_OF_F_ETH_TYPE] = {"eth_type", "dl_type", "eth_type", K_HEX},
    [PX_OF_F_VLAN_VID] = {"vlan_vid", "dl_vlan", "vlan_vid", K_VID},
    [PX_OF_F_VLAN_PCP] = {"vlan_pcp", "dl_vlan_pcp", "vlan_pcp", K_UINT},
    [PX_OF_F_IP_DSCP] = {"ip_dscp", "nw_tos", "ip_dscp", K_DSCP},
    [PX_OF_F_IP_ECN] = {"ip_ecn", "nw_ecn", "nw_ecn", K_UINT},
    [PX_OF_F_IP_PROTO] = {"ip_proto", "nw_proto", "nw_proto", K_UINT},
    [PX_OF_F_IPV4_SRC] = {"ipv4_src", "nw_src", "ip_src", K_IPV4},
    [PX_OF_F_IPV4_DST] = {"ipv4_dst", "nw_dst", "ip_dst", K_IPV4},
    [PX_OF_F_TCP_SRC] = {"tcp_src", "tp_src", "tcp_src", K_UINT},
    [PX_OF_F_TCP_DST] = {"tcp_dst", "tp_dst", "tcp_dst", K_UINT},
    [PX_OF_F_UDP_SRC] = {"udp_src", "tp_src", "udp_src", K_UINT},
    [PX_OF_F_UDP_DST] = {"udp_dst", "tp_dst", "udp_dst", K_UINT},
    [PX_OF_F_SCTP_SRC] = {"sctp_src", "tp_src", "sctp_src", K_UINT},
    [PX_OF_F_SCTP_DST] = {"sctp_dst", "tp_dst", "sctp_dst", K_UINT},
    [PX_OF_F_ICMPV4_TYPE] = {"icmpv4_type", "icmp_type", "icmp_type", K_UINT},
    [PX_OF_F_ICMPV4_CODE] = {"icmpv4_code", "icmp_code", "icmp_code", K_UINT},
    [PX_OF_F_ARP_OP] = {"arp_op", "arp_op", "arp_op", K_UINT},
    [PX_OF_F_ARP_SPA] = {"arp_spa", "arp_spa", "arp_spa", K_IPV4},
    [PX_OF_F_ARP_TPA] = {"arp_tpa", "arp_tpa", "arp_tpa", K_IPV4},
    [PX_OF_F_ARP_SHA] = {"arp_sha", "arp_sha", "arp_sha", K_MAC},
    [PX_OF_F_ARP_THA] = {"arp_tha", "arp_tha", "arp_tha", K_MAC},
    [PX_OF_F_IPV6_SRC] = {"ipv6_src", "ipv6_src", "ipv6_src", K_IPV6},
    [PX_OF_F_IPV6_DST] = {"ipv6_dst", "ipv6_dst", "ipv6_dst", K_IPV6},
    [PX_OF_F_IPV6_FLABEL] = {"ipv6_flabel", "ipv6_label", "ipv6_label", K_HEX},
    [PX_OF_F_ICMPV6_TYPE] = {"icmpv6_type", "icmp_type", "icmpv6_type",
                             K_UINT},
    [PX_OF_F_ICMPV6_CODE] = {"icmpv6_code", "icmp_code", "icmpv6_code",
                             K_UINT},
    [PX_OF_F_IPV6_ND_TARGET] = {"ipv6_nd_target", "nd_target", "nd_target",
                                K_IPV6},
    [PX_OF_F_IPV6_ND_SLL] = {"ipv6_nd_sll", "nd_sll", "nd_sll", K_MAC},
    [PX_OF_F_IPV6_ND_TLL] = {"ipv6_nd_tll", "nd_tll", "nd_tll", K_MAC},
    [PX_OF_F_MPLS_LABEL] = {"mpls_label", "mpls_label", "mpls_label", K_UINT},
    [PX_OF_F_MPLS_TC] = {"mpls_tc", "mpls_tc", "mpls_tc", K_UINT},
    [PX_OF_F_MPLS_BOS] = {"mpls_bos", "mpls_bos", "mpls_bos", K_UINT},
    [PX_OF_F_PBB_ISID] = {"pbb_isid", "pbb_isid", "pbb_isid", K_UINT},
    [PX_OF_F_TUNNEL_ID] = {"tunnel_id", "tun_id", "tun_id", K_HEX},
    [PX_OF_F_IPV6_EXTHDR] = {"ipv6_exthdr", "ipv6_exthdr", "ipv6_exthdr",
                             K_HEX},
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

const char *
px_of_port_text(uint32_t port_no, enum px_of_text_style style, char *buf,
                size_t size)
{
    static const char *const oxm[] = {
        "in_port", "table",      "normal", "flood",
        "all",     "controller", "local",  "any",
    };
    static const char *const ovs[] = {
        "IN_PORT", "TABLE",      "NORMAL", "FLOOD",
        "ALL",     "CONTROLLER", "LOCAL",  "ANY",
    };

    if (port_no >= PX_OF_PORT_IN_PORT) {
        snprintf(buf, size, "%s",
                 (style == PX_OF_TEXT_OVS
                      ? ovs
                      : oxm)[port_no - PX_OF_PORT_IN_PORT]);
    } else {
        snprintf(buf, size, "%u", port_no);
    }
    return buf;
}

/* Appends the value of 'f' (and its mask) as a match writes it; 'in_set'
 * for a set_field's value, which has no mask and whose VLAN_VID and
 * IP_DSCP are the number in the field. */
static void
put_value(struct px_buf *b, const struct px_of_field *f,
          const struct of_text_field *info, enum px_of_text_style style,
          int in_set)
{
    unsigned int w = px_of_field_width(f->id);
    int has_mask = f->has_mask && !in_set;
    uint64_t v = get_uint(f->value, w);
    char port[16];
    int len;

    switch (info->kind) {
    case K_MAC:
        put_mac(b, f->value);
        if (has_mask) {
            px_buf_printf(b, "/");
            put_mac(b, f->mask);
        }
        return;
    case K_IPV4:
    case K_IPV6:
        put_addr(b, info->kind == K_IPV4 ? AF_INET : AF_INET6, f->value);
        if (has_mask) {
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
        if (in_set) {
            px_buf_printf(b, "%llu", (unsigned long long)v);
            return;
        }
        if (!has_mask) {
            if (v & PX_OF_VID_PRESENT) {
                px_buf_printf(b, "%u", (unsigned int)(v & 0xfff));
            } else {
                px_buf_printf(b, "none");
            }
            return;
        }
        break;
    case K_PORT:
        if (!has_mask) {
            px_buf_printf(
                b, "%s",
                px_of_port_text((uint32_t)v, style, port, sizeof port));
            return;
        }
        break;
    case K_DSCP:
        if (!has_mask) {
            /* ovs-ofctl's match has the DSCP as nw_tos, the whole ToS
             * byte's upper six bits; its set_field has the DSCP. */
            if (style == PX_OF_TEXT_OVS && !in_set) {
                v <<= 2;
            }
            px_buf_printf(b, "%llu", (unsigned long long)v);
            return;
        }
        break;
    case K_UINT:
        if (!has_mask) {
            px_buf_printf(b, "%llu", (unsigned long long)v);
            return;
        }
        break;
    case K_HEX:
        if (!has_mask) {
            px_buf_printf(b, f->id == PX_OF_F_ETH_TYPE ? "0x%04llx" : "0x%llx",
                          (unsigned long long)v);
            return;
        }
        break;
    }
    px_buf_printf(b, "0x%llx/0x%llx", (unsigned long long)v,
                  (unsigned long long)get_uint(f->mask, w));
}

static void
put_field(struct px_buf *b, const struct px_of_field *f,
          enum px_of_text_style style)
{
    const struct of_text_field *info =
        px_of_field_width(f->id) ? &of_text_fields[f->id] : NULL;

    if (!info) {
        /* An id the SDK has no width for cannot come from its decoder;
         * named by number all the same. */
        px_buf_printf(b, "field%u=?", f->id);
        return;
    }
    if (style == PX_OF_TEXT_OVS && f->id == PX_OF_F_VLAN_VID) {
        uint64_t v = get_uint(f->value, 2);

        /* ovs-ofctl writes "no tag" and "any tag" as the TCI. */
        if (!f->has_mask && !(v & PX_OF_VID_PRESENT)) {
            px_buf_printf(b, "vlan_tci=0x0000");
            return;
        }
        if (f->has_mask && v == PX_OF_VID_PRESENT &&
            get_uint(f->mask, 2) == PX_OF_VID_PRESENT) {
            px_buf_printf(b, "vlan_tci=0x1000/0x1000");
            return;
        }
        if (f->has_mask) {
            px_buf_printf(b, "vlan_vid=");
            put_value(b, f, info, style, 0);
            return;
        }
    }
    px_buf_printf(b, "%s=", style == PX_OF_TEXT_OVS ? info->ovs : info->oxm);
    put_value(b, f, info, style, 0);
}

int
px_of_match_format(struct px_buf *b, const struct px_of_field *fields,
                   size_t n, enum px_of_text_style style)
{
    size_t i;

    if (!n && style != PX_OF_TEXT_OVS) {
        px_buf_printf(b, "any");
    }
    for (i = 0; i < n; i++) {
        if (i) {
            px_buf_printf(b, ",");
        }
        put_field(b, &fields[i], style);
    }
    return px_buf_error(b);
}

/* The type in the header of a raw action or instruction, or 0. */
static unsigned int
raw_type(const uint8_t *data, size_t len)
{
    return data && len >= 2 ? (unsigned int)(data[0] << 8 | data[1]) : 0;
}

static void
put_action(struct px_buf *b, const struct px_of_action *a)
{
    const struct of_text_field *info;
    char port[16];

    switch (a->type) {
    case PX_OF_ACTION_OUTPUT:
        if (a->port == PX_OF_PORT_CONTROLLER) {
            px_buf_printf(b, "CONTROLLER:%u", a->max_len);
        } else if (a->port >= PX_OF_PORT_IN_PORT) {
            px_buf_printf(
                b, "%s",
                px_of_port_text(a->port, PX_OF_TEXT_OVS, port, sizeof port));
        } else {
            px_buf_printf(b, "output:%u", a->port);
        }
        return;
    case PX_OF_ACTION_SET_DL_SRC:
    case PX_OF_ACTION_SET_DL_DST:
        px_buf_printf(b, "mod_dl_%s:",
                      a->type == PX_OF_ACTION_SET_DL_SRC ? "src" : "dst");
        put_mac(b, a->mac);
        return;
    case PX_OF_ACTION_GROUP:
        px_buf_printf(b, "group:%u", a->arg);
        return;
    case PX_OF_ACTION_SET_QUEUE:
        px_buf_printf(b, "set_queue:%u", a->arg);
        return;
    case PX_OF_ACTION_SET_FIELD:
        info = a->field && px_of_field_width(a->field->id)
                   ? &of_text_fields[a->field->id]
                   : NULL;
        if (!info) {
            px_buf_printf(b, "set_field:?");
            return;
        }
        px_buf_printf(b, "set_field:");
        put_value(b, a->field, info, PX_OF_TEXT_OVS, 1);
        px_buf_printf(b, "->%s", info->ovs_set);
        return;
    case PX_OF_ACTION_PUSH_VLAN:
        px_buf_printf(b, "push_vlan:0x%04x", a->ethertype);
        return;
    case PX_OF_ACTION_POP_VLAN:
        px_buf_printf(b, "pop_vlan");
        return;
    case PX_OF_ACTION_PUSH_MPLS:
        px_buf_printf(b, "push_mpls:0x%04x", a->ethertype);
        return;
    case PX_OF_ACTION_POP_MPLS:
        px_buf_printf(b, "pop_mpls:0x%04x", a->ethertype);
        return;
    case PX_OF_ACTION_DEC_NW_TTL:
        px_buf_printf(b, "dec_ttl");
        return;
    case PX_OF_ACTION_SET_NW_TTL:
        px_buf_printf(b, "mod_nw_ttl:%u", a->arg);
        return;
    case PX_OF_ACTION_DEC_MPLS_TTL:
        px_buf_printf(b, "dec_mpls_ttl");
        return;
    case PX_OF_ACTION_SET_MPLS_TTL:
        px_buf_printf(b, "set_mpls_ttl(%u)", a->arg);
        return;
    case PX_OF_ACTION_COPY_TTL_OUT:
        px_buf_printf(b, "copy_ttl_out");
        return;
    case PX_OF_ACTION_COPY_TTL_IN:
        px_buf_printf(b, "copy_ttl_in");
        return;
    case PX_OF_ACTION_EXPERIMENTER:
        if (a->data && a->data_len >= 8) {
            px_buf_printf(b, "experimenter:0x%08x",
                          (unsigned int)get_uint(a->data + 4, 4));
        } else {
            px_buf_printf(b, "experimenter");
        }
        return;
    case PX_OF_ACTION_RAW:
        break;
    }
    px_buf_printf(b, "action(type=0x%04x,len=%zu)",
                  raw_type(a->data, a->data_len), a->data_len);
}

int
px_of_actions_format(struct px_buf *b, const struct px_of_action *actions,
                     size_t n)
{
    size_t i;

    if (!n) {
        px_buf_printf(b, "drop");
    }
    for (i = 0; i < n; i++) {
        if (i) {
            px_buf_printf(b, ",");
        }
        put_action(b, &actions[i]);
    }
    return px_buf_error(b);
}

int
px_of_instructions_format(struct px_buf *b,
                          const struct px_of_instruction *instructions,
                          size_t n)
{
    size_t i;
    int any = 0;

    for (i = 0; i < n; i++) {
        const struct px_of_instruction *in = &instructions[i];

        /* An APPLY_ACTIONS without actions writes nothing, so the
         * separator goes before each instruction that writes. */
        if (in->type == PX_OF_INSTR_APPLY_ACTIONS && !in->n_actions) {
            continue;
        }
        if (any) {
            px_buf_printf(b, ",");
        }
        any = 1;
        switch (in->type) {
        case PX_OF_INSTR_APPLY_ACTIONS:
            px_of_actions_format(b, in->actions, in->n_actions);
            break;
        case PX_OF_INSTR_WRITE_ACTIONS:
            px_buf_printf(b, "write_actions(");
            if (in->n_actions) {
                px_of_actions_format(b, in->actions, in->n_actions);
            }
            px_buf_printf(b, ")");
            break;
        case PX_OF_INSTR_CLEAR_ACTIONS:
            px_buf_printf(b, "clear_actions");
            break;
        case PX_OF_INSTR_WRITE_METADATA:
            px_buf_printf(b, "write_metadata:0x%llx",
                          (unsigned long long)in->metadata);
            if (in->metadata_mask != UINT64_MAX) {
                px_buf_printf(b, "/0x%llx",
                              (unsigned long long)in->metadata_mask);
            }
            break;
        case PX_OF_INSTR_GOTO_TABLE:
            px_buf_printf(b, "goto_table:%u", in->table_id);
            break;
        case PX_OF_INSTR_METER:
            px_buf_printf(b, "meter:%u", in->meter_id);
            break;
        case PX_OF_INSTR_RAW:
        default:
            px_buf_printf(b, "instruction(type=0x%04x,len=%zu)",
                          raw_type(in->data, in->data_len), in->data_len);
            break;
        }
    }
    if (!any) {
        px_buf_printf(b, "drop");
    }
    return px_buf_error(b);
}

const char *
px_of_dpid_text(uint64_t dpid, char *buf, size_t size)
{
    snprintf(
        buf, size, "%02x:%02x:%02x:%02x:%02x:%02x:%02x:%02x",
        (unsigned int)(dpid >> 56 & 0xff), (unsigned int)(dpid >> 48 & 0xff),
        (unsigned int)(dpid >> 40 & 0xff), (unsigned int)(dpid >> 32 & 0xff),
        (unsigned int)(dpid >> 24 & 0xff), (unsigned int)(dpid >> 16 & 0xff),
        (unsigned int)(dpid >> 8 & 0xff), (unsigned int)(dpid & 0xff));
    return buf;
}

int
px_of_dpid_parse(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    int digits = 0;

    if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
        s += 2;
    }
    for (; *s; s++) {
        int d;

        if (*s == ':' && digits && s[1] && s[1] != ':') {
            continue;
        } else if (*s >= '0' && *s <= '9') {
            d = *s - '0';
        } else if (*s >= 'a' && *s <= 'f') {
            d = *s - 'a' + 10;
        } else if (*s >= 'A' && *s <= 'F') {
            d = *s - 'A' + 10;
        } else {
            return EINVAL;
        }
        if (++digits > 16) {
            return EINVAL;
        }
        v = v << 4 | (uint64_t)d;
    }
    if (!digits) {
        return EINVAL;
    }
    *out = v;
    return 0;
}
