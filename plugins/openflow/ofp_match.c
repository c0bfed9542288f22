/*
 * Match fields on the wire (see ofp_match.h).
 *
 * A px_of_field list is OXM in all but framing: the ids are 1.3's field
 * numbers and the values are in network byte order in each field's width.
 * So 1.3 needs only the framing, in field order: the spec wants every
 * prerequisite before the fields that need it, and the numbering already
 * puts ETH_TYPE before the IP fields, IP_PROTO before the ports and
 * ICMPV6_TYPE before the neighbour-discovery fields.  1.0 has a fixed
 * struct with wildcard bits; Open vSwitch reads ARP's addresses and opcode
 * from nw_src, nw_dst and nw_proto, and ICMP's type and code from the
 * transport ports, and so do we both ways.
 */
#include "ofp_match.h"

#include <stdbool.h>
#include <string.h>

#define ETH_TYPE_IP         0x0800
#define ETH_TYPE_ARP        0x0806
#define ETH_TYPE_IPV6       0x86dd
#define ETH_TYPE_MPLS       0x8847
#define ETH_TYPE_MPLS_MCAST 0x8848
#define ETH_TYPE_PBB        0x88e7
#define IP_PROTO_ICMP       1
#define IP_PROTO_TCP        6
#define IP_PROTO_UDP        17
#define IP_PROTO_ICMPV6     58
#define IP_PROTO_SCTP       132
#define ND_SOLICIT          135
#define ND_ADVERT           136

/* What a field needs before it (1.3 7.2.3.8, table 12). */
enum prereq {
    P_NONE,
    P_IN_PORT, /* IN_PHY_PORT */
    P_VLAN,    /* A VLAN tag: VLAN_VID with PX_OF_VID_PRESENT. */
    P_IP,      /* ETH_TYPE IPv4 or IPv6. */
    P_IPV4,
    P_IPV6,
    P_ARP,
    P_TCP, /* IP_PROTO 6 (and P_IP). */
    P_UDP,
    P_SCTP,
    P_ICMPV4,    /* IP_PROTO 1 and ETH_TYPE IPv4. */
    P_ICMPV6,    /* IP_PROTO 58 and ETH_TYPE IPv6. */
    P_ND_TARGET, /* ICMPV6_TYPE 135 or 136. */
    P_ND_SLL,    /* ICMPV6_TYPE 135. */
    P_ND_TLL,    /* ICMPV6_TYPE 136. */
    P_MPLS,
    P_PBB,
};

struct field_info {
    bool maskable;  /* 1.3 table 11. */
    uint8_t prereq; /* enum prereq. */
    uint32_t max;   /* Largest value of a field narrower than its width,
                     * or 0. */
};

static const struct field_info fields[PX_OF_F_COUNT] = {
    [PX_OF_F_IN_PORT] = {false, P_NONE, 0},
    [PX_OF_F_IN_PHY_PORT] = {false, P_IN_PORT, 0},
    [PX_OF_F_METADATA] = {true, P_NONE, 0},
    [PX_OF_F_ETH_DST] = {true, P_NONE, 0},
    [PX_OF_F_ETH_SRC] = {true, P_NONE, 0},
    [PX_OF_F_ETH_TYPE] = {false, P_NONE, 0},
    [PX_OF_F_VLAN_VID] = {true, P_NONE, 0x1fff},
    [PX_OF_F_VLAN_PCP] = {false, P_VLAN, 7},
    [PX_OF_F_IP_DSCP] = {false, P_IP, 63},
    [PX_OF_F_IP_ECN] = {false, P_IP, 3},
    [PX_OF_F_IP_PROTO] = {false, P_IP, 0},
    [PX_OF_F_IPV4_SRC] = {true, P_IPV4, 0},
    [PX_OF_F_IPV4_DST] = {true, P_IPV4, 0},
    [PX_OF_F_TCP_SRC] = {false, P_TCP, 0},
    [PX_OF_F_TCP_DST] = {false, P_TCP, 0},
    [PX_OF_F_UDP_SRC] = {false, P_UDP, 0},
    [PX_OF_F_UDP_DST] = {false, P_UDP, 0},
    [PX_OF_F_SCTP_SRC] = {false, P_SCTP, 0},
    [PX_OF_F_SCTP_DST] = {false, P_SCTP, 0},
    [PX_OF_F_ICMPV4_TYPE] = {false, P_ICMPV4, 0},
    [PX_OF_F_ICMPV4_CODE] = {false, P_ICMPV4, 0},
    [PX_OF_F_ARP_OP] = {false, P_ARP, 0},
    [PX_OF_F_ARP_SPA] = {true, P_ARP, 0},
    [PX_OF_F_ARP_TPA] = {true, P_ARP, 0},
    [PX_OF_F_ARP_SHA] = {true, P_ARP, 0},
    [PX_OF_F_ARP_THA] = {true, P_ARP, 0},
    [PX_OF_F_IPV6_SRC] = {true, P_IPV6, 0},
    [PX_OF_F_IPV6_DST] = {true, P_IPV6, 0},
    [PX_OF_F_IPV6_FLABEL] = {true, P_IPV6, 0xfffff},
    [PX_OF_F_ICMPV6_TYPE] = {false, P_ICMPV6, 0},
    [PX_OF_F_ICMPV6_CODE] = {false, P_ICMPV6, 0},
    [PX_OF_F_IPV6_ND_TARGET] = {false, P_ND_TARGET, 0},
    [PX_OF_F_IPV6_ND_SLL] = {false, P_ND_SLL, 0},
    [PX_OF_F_IPV6_ND_TLL] = {false, P_ND_TLL, 0},
    [PX_OF_F_MPLS_LABEL] = {false, P_MPLS, 0xfffff},
    [PX_OF_F_MPLS_TC] = {false, P_MPLS, 7},
    [PX_OF_F_MPLS_BOS] = {false, P_MPLS, 1},
    [PX_OF_F_PBB_ISID] = {true, P_PBB, 0},
    [PX_OF_F_TUNNEL_ID] = {true, P_NONE, 0},
    [PX_OF_F_IPV6_EXTHDR] = {true, P_IPV6, 0x1ff},
};

/* A field's value (or mask) of at most 8 bytes, as a number. */
static uint64_t
bytes_u64(const uint8_t *p, unsigned int width)
{
    uint64_t v = 0;
    unsigned int i;

    for (i = 0; i < width && i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

uint64_t
of_field_value(const struct px_of_field *f)
{
    return bytes_u64(f->value, px_of_field_width(f->id));
}

/* Where each field is in the list: its index, or -1. */
struct field_index {
    int8_t at[PX_OF_F_COUNT];
};

/* The value of field 'id' when the list has it unmasked, else -1. */
static int64_t
exact(const struct px_of_field *f, const struct field_index *ix,
      unsigned int id)
{
    int i = ix->at[id];

    if (i < 0 || f[i].has_mask) {
        return -1;
    }
    return (int64_t)bytes_u64(f[i].value, px_of_field_width(id));
}

static bool
prereq_ok(const struct px_of_field *f, const struct field_index *ix,
          enum prereq p)
{
    int64_t eth = exact(f, ix, PX_OF_F_ETH_TYPE);
    int64_t proto = exact(f, ix, PX_OF_F_IP_PROTO);
    int64_t icmp6 = exact(f, ix, PX_OF_F_ICMPV6_TYPE);
    bool ip = eth == ETH_TYPE_IP || eth == ETH_TYPE_IPV6;

    switch (p) {
    case P_NONE:
        return true;
    case P_IN_PORT:
        return ix->at[PX_OF_F_IN_PORT] >= 0;
    case P_VLAN: {
        int i = ix->at[PX_OF_F_VLAN_VID];

        return i >= 0 && (f[i].value[0] << 8 & PX_OF_VID_PRESENT) &&
               (!f[i].has_mask || (f[i].mask[0] << 8 & PX_OF_VID_PRESENT));
    }
    case P_IP:
        return ip;
    case P_IPV4:
        return eth == ETH_TYPE_IP;
    case P_IPV6:
        return eth == ETH_TYPE_IPV6;
    case P_ARP:
        return eth == ETH_TYPE_ARP;
    case P_TCP:
        return ip && proto == IP_PROTO_TCP;
    case P_UDP:
        return ip && proto == IP_PROTO_UDP;
    case P_SCTP:
        return ip && proto == IP_PROTO_SCTP;
    case P_ICMPV4:
        return eth == ETH_TYPE_IP && proto == IP_PROTO_ICMP;
    case P_ICMPV6:
        return eth == ETH_TYPE_IPV6 && proto == IP_PROTO_ICMPV6;
    case P_ND_TARGET:
        return prereq_ok(f, ix, P_ICMPV6) &&
               (icmp6 == ND_SOLICIT || icmp6 == ND_ADVERT);
    case P_ND_SLL:
        return prereq_ok(f, ix, P_ICMPV6) && icmp6 == ND_SOLICIT;
    case P_ND_TLL:
        return prereq_ok(f, ix, P_ICMPV6) && icmp6 == ND_ADVERT;
    case P_MPLS:
        return eth == ETH_TYPE_MPLS || eth == ETH_TYPE_MPLS_MCAST;
    case P_PBB:
        return eth == ETH_TYPE_PBB;
    }
    return false;
}

/* The checks of one field that do not depend on the others. */
static int
field_ok(const struct px_of_field *x, const char **why)
{
    unsigned int id = x->id, w = px_of_field_width(id), j;

    if (!w) {
        *why = "unknown match field";
        return EINVAL;
    }
    if (x->has_mask && !fields[id].maskable) {
        *why = "a mask on a match field that takes none";
        return EINVAL;
    }
    for (j = 0; x->has_mask && j < w; j++) {
        if (x->value[j] & ~x->mask[j]) {
            *why = "a match value with bits outside its mask";
            return EINVAL;
        }
    }
    if (fields[id].max && bytes_u64(x->value, w) > fields[id].max) {
        *why = "a field value too large for its field";
        return EINVAL;
    }
    return 0;
}

int
of_field_check_set(const struct px_of_field *x, const char **why)
{
    const char *reason = NULL;
    int error = 0;

    if (x->has_mask) {
        reason = "a SET_FIELD with a mask";
        error = EINVAL;
    } else {
        error = field_ok(x, &reason);
    }
    if (why) {
        *why = reason;
    }
    return error;
}

/* of_fields_check, also building the index of the list. */
static int
check(const struct px_of_field *f, size_t n, struct field_index *ix,
      const char **why)
{
    size_t i;

    memset(ix->at, -1, sizeof ix->at);
    if (n && !f) {
        *why = "match fields missing (NULL with n_fields > 0)";
        return EINVAL;
    }
    for (i = 0; i < n; i++) {
        int error = field_ok(&f[i], why);

        if (error) {
            return error;
        }
        if (ix->at[f[i].id] >= 0) {
            *why = "a match field twice";
            return EINVAL;
        }
        ix->at[f[i].id] = (int8_t)i;
    }
    for (i = 0; i < n; i++) {
        if (!prereq_ok(f, ix, fields[f[i].id].prereq)) {
            *why = "a match field without its prerequisite (OpenFlow 1.3 "
                   "7.2.3.8: e.g. IPV4_SRC needs ETH_TYPE 0x0800)";
            return EOPNOTSUPP;
        }
    }
    return 0;
}

int
of_fields_check(const struct px_of_field *f, size_t n, const char **why)
{
    struct field_index ix;
    const char *reason = NULL;
    int error = check(f, n, &ix, &reason);

    if (why) {
        *why = reason;
    }
    return error;
}

void
of_put_fields13(struct writer *w, const struct px_of_field *f, size_t n)
{
    struct field_index ix;
    const char *why = NULL;
    struct ofp13_match *om;
    size_t start = w->len;
    unsigned int id;
    int error = check(f, n, &ix, &why);

    if (error) {
        refuse(w, error, why);
        return;
    }
    om = put(w, offsetof(struct ofp13_match, oxm_fields));
    if (om) {
        px_put_be16(om->type, OFPMT_OXM);
    }
    for (id = 0; id < PX_OF_F_COUNT; id++) {
        const struct px_of_field *x;
        unsigned int width = px_of_field_width(id);
        struct ofp13_oxm_header *oxh;

        if (ix.at[id] < 0) {
            continue;
        }
        x = &f[ix.at[id]];
        oxh = put(w, sizeof *oxh + width * (x->has_mask ? 2 : 1));
        if (oxh) {
            uint8_t *p = (uint8_t *)(oxh + 1);

            px_put_be16(oxh->oxm_class, OFPXMC_OPENFLOW_BASIC);
            oxh->field_hasmask = (uint8_t)(id << 1 | (x->has_mask ? 1 : 0));
            oxh->length = (uint8_t)(width * (x->has_mask ? 2 : 1));
            memcpy(p, x->value, width);
            if (x->has_mask) {
                memcpy(p + width, x->mask, width);
            }
        }
    }
    patch_len(w, start + offsetof(struct ofp13_match, length), start);
    put_pad8(w, start);
}

/* The number of low bits an IPv4 mask leaves free when it is a prefix
 * (0 for /32, 32 for /0), or -1. */
static int
prefix_free_bits(const struct px_of_field *x)
{
    uint32_t mask;
    int free_bits;

    if (!x->has_mask) {
        return 0;
    }
    mask = (uint32_t)bytes_u64(x->mask, 4);
    free_bits = mask ? __builtin_ctz(mask) : 32;
    if (free_bits < 32 && (uint32_t)(~mask >> free_bits)) {
        return -1; /* Ones after a zero: not a prefix. */
    }
    return free_bits;
}

/* Whether 'x' is exact: no mask, or one of all ones. */
static bool
unmasked(const struct px_of_field *x)
{
    unsigned int i, w = px_of_field_width(x->id);

    for (i = 0; x->has_mask && i < w; i++) {
        if (x->mask[i] != 0xff) {
            return false;
        }
    }
    return true;
}

void
of_put_fields10(struct writer *w, const struct px_of_field *f, size_t n,
                struct ofp10_match *om)
{
    static const char no_field[] = "OpenFlow 1.0 cannot match on that field";
    static const char no_mask[] =
        "OpenFlow 1.0 cannot match that field under a mask";
    struct ofp10_match m;
    struct field_index ix;
    uint32_t wc = OFPFW10_ALL;
    const char *why = NULL;
    int error = check(f, n, &ix, &why);
    size_t i;

    if (error) {
        refuse(w, error, why);
        return;
    }
    memset(&m, 0, sizeof m);
    for (i = 0; i < n; i++) {
        const struct px_of_field *x = &f[i];
        uint64_t v = of_field_value(x);
        int free_bits;

        if (x->id != PX_OF_F_IPV4_SRC && x->id != PX_OF_F_IPV4_DST &&
            x->id != PX_OF_F_ARP_SPA && x->id != PX_OF_F_ARP_TPA &&
            !unmasked(x)) {
            refuse(w, EOPNOTSUPP, no_mask);
            return;
        }
        switch (x->id) {
        case PX_OF_F_IN_PORT: {
            uint16_t port10;

            if (!port_to_ofp10((uint32_t)v, &port10)) {
                refuse(w, EOPNOTSUPP,
                       "match in_port has no OpenFlow 1.0 number");
                return;
            }
            px_put_be16(m.in_port, port10);
            wc &= ~OFPFW10_IN_PORT;
            break;
        }
        case PX_OF_F_ETH_SRC:
            memcpy(m.dl_src, x->value, OFP_ETH_ALEN);
            wc &= ~OFPFW10_DL_SRC;
            break;
        case PX_OF_F_ETH_DST:
            memcpy(m.dl_dst, x->value, OFP_ETH_ALEN);
            wc &= ~OFPFW10_DL_DST;
            break;
        case PX_OF_F_ETH_TYPE:
            px_put_be16(m.dl_type, (uint16_t)v);
            wc &= ~OFPFW10_DL_TYPE;
            break;
        case PX_OF_F_VLAN_VID:
            px_put_be16(m.dl_vlan, v & PX_OF_VID_PRESENT
                                       ? (uint16_t)(v & 0xfff)
                                       : OFP_VLAN_NONE);
            wc &= ~OFPFW10_DL_VLAN;
            break;
        case PX_OF_F_VLAN_PCP:
            m.dl_vlan_pcp = (uint8_t)v;
            wc &= ~OFPFW10_DL_VLAN_PCP;
            break;
        case PX_OF_F_IP_DSCP:
            m.nw_tos = (uint8_t)(v << 2);
            wc &= ~OFPFW10_NW_TOS;
            break;
        case PX_OF_F_IP_PROTO:
            m.nw_proto = (uint8_t)v;
            wc &= ~OFPFW10_NW_PROTO;
            break;
        case PX_OF_F_ARP_OP:
            if (v > 0xff) {
                refuse(w, EOPNOTSUPP,
                       "OpenFlow 1.0 has 8 bits for an ARP opcode");
                return;
            }
            m.nw_proto = (uint8_t)v;
            wc &= ~OFPFW10_NW_PROTO;
            break;
        case PX_OF_F_IPV4_SRC:
        case PX_OF_F_ARP_SPA:
            if ((free_bits = prefix_free_bits(x)) < 0) {
                refuse(w, EOPNOTSUPP, "OpenFlow 1.0 takes IPv4 prefixes only");
                return;
            }
            memcpy(m.nw_src, x->value, 4);
            wc = (wc & ~(OFPFW10_NW_MASK << OFPFW10_NW_SRC_SHIFT)) |
                 (uint32_t)free_bits << OFPFW10_NW_SRC_SHIFT;
            break;
        case PX_OF_F_IPV4_DST:
        case PX_OF_F_ARP_TPA:
            if ((free_bits = prefix_free_bits(x)) < 0) {
                refuse(w, EOPNOTSUPP, "OpenFlow 1.0 takes IPv4 prefixes only");
                return;
            }
            memcpy(m.nw_dst, x->value, 4);
            wc = (wc & ~(OFPFW10_NW_MASK << OFPFW10_NW_DST_SHIFT)) |
                 (uint32_t)free_bits << OFPFW10_NW_DST_SHIFT;
            break;
        case PX_OF_F_TCP_SRC:
        case PX_OF_F_UDP_SRC:
        case PX_OF_F_SCTP_SRC:
        case PX_OF_F_ICMPV4_TYPE:
            px_put_be16(m.tp_src, (uint16_t)v);
            wc &= ~OFPFW10_TP_SRC;
            break;
        case PX_OF_F_TCP_DST:
        case PX_OF_F_UDP_DST:
        case PX_OF_F_SCTP_DST:
        case PX_OF_F_ICMPV4_CODE:
            px_put_be16(m.tp_dst, (uint16_t)v);
            wc &= ~OFPFW10_TP_DST;
            break;
        default:
            refuse(w, EOPNOTSUPP, no_field);
            return;
        }
    }
    px_put_be32(m.wildcards, wc);
    if (om) {
        memcpy(om, &m, sizeof m);
    }
}

int
of_decode_oxm(const uint8_t *oxm, size_t len, struct px_of_field *out,
              size_t *n, const char **why)
{
    uint64_t seen = 0;
    size_t ofs = 0, k = 0;

    *n = 0;
    while (ofs < len) {
        const struct ofp13_oxm_header *oxh;
        unsigned int id, w, has_mask, flen;

        if (len - ofs < sizeof *oxh) {
            goto bad_len;
        }
        oxh = (const struct ofp13_oxm_header *)(oxm + ofs);
        flen = oxh->length;
        if (len - ofs - sizeof *oxh < flen) {
            goto bad_len;
        }
        ofs += sizeof *oxh;
        id = oxh->field_hasmask >> 1;
        has_mask = oxh->field_hasmask & 1;
        w = px_of_field_width(id);
        if (px_get_be16(oxh->oxm_class) != OFPXMC_OPENFLOW_BASIC || !w) {
            ofs += flen; /* Another class's, or a field we do not know. */
            continue;
        }
        if (flen != w * (has_mask ? 2 : 1)) {
            return of_fail(why, "OXM field of the wrong length");
        }
        if (seen & (1ull << id)) {
            return of_fail(why, "OXM field twice in a match");
        }
        seen |= 1ull << id;
        memset(&out[k], 0, sizeof out[k]);
        out[k].id = (uint8_t)id;
        out[k].has_mask = (uint8_t)has_mask;
        memcpy(out[k].value, oxm + ofs, w);
        if (has_mask) {
            memcpy(out[k].mask, oxm + ofs + w, w);
        }
        k++;
        ofs += flen;
    }
    *n = k;
    return 0;

bad_len:
    return of_fail(why, "OXM field overruns its match");
}

int
of_decode_match13(const uint8_t *match, size_t avail, struct px_of_field *out,
                  size_t *n, size_t *size, const char **why)
{
    const struct ofp13_match *om = (const struct ofp13_match *)match;
    size_t len;

    *n = 0;
    if (avail < offsetof(struct ofp13_match, oxm_fields)) {
        return of_fail(why, "truncated match");
    }
    if (px_get_be16(om->type) != OFPMT_OXM) {
        return of_fail(why, "match is not OXM");
    }
    len = px_get_be16(om->length);
    if (len < offsetof(struct ofp13_match, oxm_fields)) {
        return of_fail(why, "match length below 4");
    }
    if (PAD8(len) > avail) {
        return of_fail(why, "match overruns the message");
    }
    *size = PAD8(len);
    return of_decode_oxm(om->oxm_fields,
                         len - offsetof(struct ofp13_match, oxm_fields), out,
                         n, why);
}

/* Appends field 'id' with the low bytes of 'v' (and 'mask' unless 0) to
 * out[*n]. */
static void
add(struct px_of_field *out, size_t *n, unsigned int id, uint64_t v,
    uint64_t mask)
{
    out[(*n)++] =
        mask ? px_of_field_u64_masked(id, v, mask) : px_of_field_u64(id, v);
}

/* A 1.0 address's mask from its wildcard bits: 0 when it is exact, the
 * prefix otherwise (a /0 is not added at all). */
static uint64_t
mask10(unsigned int free_bits)
{
    return free_bits ? (uint32_t)(0xffffffffu << free_bits) : 0;
}

void
of_decode_match10(const struct ofp10_match *om, struct px_of_field *out,
                  size_t *n)
{
    uint32_t wc = px_get_be32(om->wildcards);
    uint16_t dl_type = px_get_be16(om->dl_type);
    bool has_type = !(wc & OFPFW10_DL_TYPE);
    bool arp = has_type && dl_type == ETH_TYPE_ARP;
    bool ip = has_type && dl_type == ETH_TYPE_IP;
    unsigned int src_free = (wc >> OFPFW10_NW_SRC_SHIFT) & OFPFW10_NW_MASK;
    unsigned int dst_free = (wc >> OFPFW10_NW_DST_SHIFT) & OFPFW10_NW_MASK;
    unsigned int tp_src = PX_OF_F_TCP_SRC, tp_dst = PX_OF_F_TCP_DST;
    bool tp = false;

    *n = 0;
    if (!(wc & OFPFW10_IN_PORT)) {
        add(out, n, PX_OF_F_IN_PORT, port_from_ofp10(px_get_be16(om->in_port)),
            0);
    }
    if (!(wc & OFPFW10_DL_DST)) {
        out[(*n)++] = px_of_field_bytes(PX_OF_F_ETH_DST, om->dl_dst, NULL);
    }
    if (!(wc & OFPFW10_DL_SRC)) {
        out[(*n)++] = px_of_field_bytes(PX_OF_F_ETH_SRC, om->dl_src, NULL);
    }
    if (has_type) {
        add(out, n, PX_OF_F_ETH_TYPE, dl_type, 0);
    }
    if (!(wc & OFPFW10_DL_VLAN)) {
        uint16_t vlan = px_get_be16(om->dl_vlan);

        add(out, n, PX_OF_F_VLAN_VID,
            vlan == OFP_VLAN_NONE ? 0 : (vlan & 0xfff) | PX_OF_VID_PRESENT, 0);
        if (!(wc & OFPFW10_DL_VLAN_PCP) && vlan != OFP_VLAN_NONE) {
            add(out, n, PX_OF_F_VLAN_PCP, om->dl_vlan_pcp & 7, 0);
        }
    }
    if (ip && !(wc & OFPFW10_NW_TOS)) {
        add(out, n, PX_OF_F_IP_DSCP, om->nw_tos >> 2, 0);
    }
    if (!(wc & OFPFW10_NW_PROTO) && (ip || arp)) {
        add(out, n, arp ? PX_OF_F_ARP_OP : PX_OF_F_IP_PROTO, om->nw_proto, 0);
    }
    if ((ip || arp) && src_free < 32) {
        add(out, n, arp ? PX_OF_F_ARP_SPA : PX_OF_F_IPV4_SRC,
            px_get_be32(om->nw_src) & (uint32_t)(0xffffffffu << src_free),
            mask10(src_free));
    }
    if ((ip || arp) && dst_free < 32) {
        add(out, n, arp ? PX_OF_F_ARP_TPA : PX_OF_F_IPV4_DST,
            px_get_be32(om->nw_dst) & (uint32_t)(0xffffffffu << dst_free),
            mask10(dst_free));
    }
    if (ip && !(wc & OFPFW10_NW_PROTO)) {
        tp = true;
        switch (om->nw_proto) {
        case IP_PROTO_TCP:
            break;
        case IP_PROTO_UDP:
            tp_src = PX_OF_F_UDP_SRC;
            tp_dst = PX_OF_F_UDP_DST;
            break;
        case IP_PROTO_SCTP:
            tp_src = PX_OF_F_SCTP_SRC;
            tp_dst = PX_OF_F_SCTP_DST;
            break;
        case IP_PROTO_ICMP:
            tp_src = PX_OF_F_ICMPV4_TYPE;
            tp_dst = PX_OF_F_ICMPV4_CODE;
            break;
        default:
            tp = false;
        }
    }
    if (tp && !(wc & OFPFW10_TP_SRC)) {
        uint16_t v = px_get_be16(om->tp_src);

        add(out, n, tp_src, tp_src == PX_OF_F_ICMPV4_TYPE ? v & 0xff : v, 0);
    }
    if (tp && !(wc & OFPFW10_TP_DST)) {
        uint16_t v = px_get_be16(om->tp_dst);

        add(out, n, tp_dst, tp_dst == PX_OF_F_ICMPV4_CODE ? v & 0xff : v, 0);
    }
}
