/*
 * Actions and instructions on the wire (see ofp_actions.h).
 *
 * 1.3 has an action for everything px_of_action can say.  1.0 has fewer,
 * and spells some differently: SET_FIELD is a SET_* action per field,
 * POP_VLAN is STRIP_VLAN, a SET_QUEUE and the OUTPUT after it are one
 * ENQUEUE, and its IP TOS action carries the DSCP in the high six bits.
 * What 1.0 cannot say is refused with EOPNOTSUPP rather than dropped, so
 * that a plugin never believes a switch does what it was not told.
 */
#include "ofp_actions.h"

#include <string.h>

#include "ofp_match.h"

/* 1.0 action types (1.0 5.2.4). */
#define OFPAT10_SET_VLAN_VID 1
#define OFPAT10_SET_VLAN_PCP 2
#define OFPAT10_STRIP_VLAN   3
#define OFPAT10_SET_DL_SRC   4
#define OFPAT10_SET_DL_DST   5
#define OFPAT10_SET_NW_SRC   6
#define OFPAT10_SET_NW_DST   7
#define OFPAT10_SET_NW_TOS   8
#define OFPAT10_SET_TP_SRC   9
#define OFPAT10_SET_TP_DST   10
#define OFPAT10_ENQUEUE      11

/* 1.3 action types (1.3 7.2.5). */
#define OFPAT13_COPY_TTL_OUT 11
#define OFPAT13_COPY_TTL_IN  12
#define OFPAT13_SET_MPLS_TTL 15
#define OFPAT13_DEC_MPLS_TTL 16
#define OFPAT13_PUSH_VLAN    17
#define OFPAT13_POP_VLAN     18
#define OFPAT13_PUSH_MPLS    19
#define OFPAT13_POP_MPLS     20
#define OFPAT13_SET_QUEUE    21
#define OFPAT13_GROUP        22
#define OFPAT13_SET_NW_TTL   23
#define OFPAT13_DEC_NW_TTL   24
#define OFPAT13_SET_FIELD    25

static const char no_such_10[] = "OpenFlow 1.0 has no such action";

/* The i-th action of a list whose elements are 'stride' bytes apart. */
static const struct px_of_action *
nth(const struct px_of_action *a, size_t i, size_t stride)
{
    return (const struct px_of_action *)((const uint8_t *)a + i * stride);
}

/* Appends an action or an instruction (both start with a 16-bit type and
 * length) of 'size' bytes with its type and length set. */
static void *
put_action(struct writer *w, size_t size, uint16_t type)
{
    struct ofp13_action_header *oah = put(w, size);

    if (oah) {
        px_put_be16(oah->type, type);
        px_put_be16(oah->len, size);
    }
    return oah;
}

/* An EXPERIMENTER (1.3) or VENDOR (1.0) action: the plugin's bytes, once
 * they are seen to be one whole action. */
static void
put_experimenter(struct writer *w, const struct px_of_action *a)
{
    if (!a->data || a->data_len < sizeof(struct ofp13_action_header) ||
        a->data_len % 8 || px_get_be16(a->data) != OFPAT13_EXPERIMENTER ||
        px_get_be16(a->data + 2) != a->data_len) {
        refuse(w, EINVAL,
               "EXPERIMENTER action bytes are not one action (type 0xffff, "
               "its length, a multiple of 8)");
        return;
    }
    put_bytes(w, a->data, a->data_len);
}

static void
put_output10(struct writer *w, uint32_t port, uint16_t max_len)
{
    struct ofp10_action_output *oao;
    uint16_t port10 = 0;

    if (!port_to_ofp10(port, &port10)) {
        refuse(w, EOPNOTSUPP, "output port has no OpenFlow 1.0 number");
    }
    oao = put_action(w, sizeof *oao, OFPAT_OUTPUT);
    if (oao) {
        px_put_be16(oao->port, port10);
        px_put_be16(oao->max_len, max_len);
    }
}

static void
put_dl_addr10(struct writer *w, uint16_t type, const uint8_t *mac)
{
    struct ofp10_action_dl_addr *oad = put_action(w, sizeof *oad, type);

    if (oad) {
        memcpy(oad->dl_addr, mac, OFP_ETH_ALEN);
    }
}

/* SET_FIELD in 1.0, one SET_* action per field it has one for. */
static void
put_set_field10(struct writer *w, const struct px_of_field *f)
{
    uint64_t v = of_field_value(f);

    switch (f->id) {
    case PX_OF_F_ETH_SRC:
    case PX_OF_F_ETH_DST:
        put_dl_addr10(w,
                      f->id == PX_OF_F_ETH_SRC ? OFPAT10_SET_DL_SRC
                                               : OFPAT10_SET_DL_DST,
                      f->value);
        break;
    case PX_OF_F_VLAN_VID: {
        struct ofp10_action_vlan_vid *av;

        if (!(v & PX_OF_VID_PRESENT)) {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.0 sets a VLAN id only with a tag present "
                   "(PX_OF_VID_PRESENT); POP_VLAN removes the tag");
            return;
        }
        av = put_action(w, sizeof *av, OFPAT10_SET_VLAN_VID);
        if (av) {
            px_put_be16(av->vlan_vid, v & 0xfff);
        }
        break;
    }
    case PX_OF_F_VLAN_PCP: {
        struct ofp10_action_vlan_pcp *ap =
            put_action(w, sizeof *ap, OFPAT10_SET_VLAN_PCP);

        if (ap) {
            ap->vlan_pcp = (uint8_t)v;
        }
        break;
    }
    case PX_OF_F_IPV4_SRC:
    case PX_OF_F_IPV4_DST: {
        struct ofp10_action_nw_addr *an =
            put_action(w, sizeof *an,
                       f->id == PX_OF_F_IPV4_SRC ? OFPAT10_SET_NW_SRC
                                                 : OFPAT10_SET_NW_DST);

        if (an) {
            memcpy(an->nw_addr, f->value, 4);
        }
        break;
    }
    case PX_OF_F_IP_DSCP: {
        struct ofp10_action_nw_tos *at =
            put_action(w, sizeof *at, OFPAT10_SET_NW_TOS);

        if (at) {
            at->nw_tos = (uint8_t)(v << 2);
        }
        break;
    }
    case PX_OF_F_TCP_SRC:
    case PX_OF_F_UDP_SRC:
    case PX_OF_F_TCP_DST:
    case PX_OF_F_UDP_DST: {
        bool src = f->id == PX_OF_F_TCP_SRC || f->id == PX_OF_F_UDP_SRC;
        struct ofp10_action_tp_port *ap = put_action(
            w, sizeof *ap, src ? OFPAT10_SET_TP_SRC : OFPAT10_SET_TP_DST);

        if (ap) {
            px_put_be16(ap->tp_port, (uint16_t)v);
        }
        break;
    }
    default:
        refuse(w, EOPNOTSUPP, "OpenFlow 1.0 cannot set that field");
        break;
    }
}

/* Appends action i of 'a' for 1.0; returns how many actions it took (an
 * ENQUEUE takes a SET_QUEUE and the OUTPUT after it). */
static size_t
put_action10(struct writer *w, const struct px_of_action *a, size_t i,
             size_t n, size_t stride)
{
    const struct px_of_action *x = nth(a, i, stride);

    switch (x->type) {
    case PX_OF_ACTION_OUTPUT:
        put_output10(w, x->port, x->max_len);
        return 1;
    case PX_OF_ACTION_SET_DL_SRC:
        put_dl_addr10(w, OFPAT10_SET_DL_SRC, x->mac);
        return 1;
    case PX_OF_ACTION_SET_DL_DST:
        put_dl_addr10(w, OFPAT10_SET_DL_DST, x->mac);
        return 1;
    case PX_OF_ACTION_SET_FIELD:
        put_set_field10(w, x->field);
        return 1;
    case PX_OF_ACTION_POP_VLAN:
        put_action(w, sizeof(struct ofp10_action_header), OFPAT10_STRIP_VLAN);
        return 1;
    case PX_OF_ACTION_SET_QUEUE: {
        const struct px_of_action *out =
            i + 1 < n ? nth(a, i + 1, stride) : NULL;
        struct ofp10_action_enqueue *ae;
        uint16_t port10 = 0;

        if (!out || out->type != PX_OF_ACTION_OUTPUT) {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.0 sets a queue only for the OUTPUT right "
                   "after it (ENQUEUE)");
            return 1;
        }
        if (!port_to_ofp10(out->port, &port10)) {
            refuse(w, EOPNOTSUPP, "output port has no OpenFlow 1.0 number");
        }
        ae = put_action(w, sizeof *ae, OFPAT10_ENQUEUE);
        if (ae) {
            px_put_be16(ae->port, port10);
            px_put_be32(ae->queue_id, x->arg);
        }
        return 2;
    }
    case PX_OF_ACTION_EXPERIMENTER:
        put_experimenter(w, x);
        return 1;
    case PX_OF_ACTION_GROUP:
    case PX_OF_ACTION_PUSH_VLAN:
    case PX_OF_ACTION_PUSH_MPLS:
    case PX_OF_ACTION_POP_MPLS:
    case PX_OF_ACTION_DEC_NW_TTL:
    case PX_OF_ACTION_SET_NW_TTL:
    case PX_OF_ACTION_DEC_MPLS_TTL:
    case PX_OF_ACTION_SET_MPLS_TTL:
    case PX_OF_ACTION_COPY_TTL_OUT:
    case PX_OF_ACTION_COPY_TTL_IN:
        refuse(w, EOPNOTSUPP, no_such_10);
        return 1;
    }
    refuse(w, EINVAL, "unknown action type");
    return 1;
}

static void
put_set_field13(struct writer *w, const struct px_of_field *f)
{
    unsigned int width = px_of_field_width(f->id);
    size_t len = PAD8(sizeof(struct ofp13_action_set_field) + width);
    struct ofp13_action_set_field *oasf =
        put_action(w, len, OFPAT13_SET_FIELD);

    if (oasf) {
        struct ofp13_oxm_header *oxh = (struct ofp13_oxm_header *)oasf->field;

        px_put_be16(oxh->oxm_class, OFPXMC_OPENFLOW_BASIC);
        oxh->field_hasmask = (uint8_t)(f->id << 1);
        oxh->length = (uint8_t)width;
        memcpy(oasf + 1, f->value, width);
    }
}

static void
put_mac13(struct writer *w, unsigned int id, const uint8_t *mac)
{
    struct px_of_field f = px_of_field_bytes(id, mac, NULL);

    put_set_field13(w, &f);
}

static void
put_arg13(struct writer *w, uint16_t type, uint32_t arg)
{
    struct ofp13_action_group *oag = put_action(w, sizeof *oag, type);

    /* GROUP and SET_QUEUE share this shape: a 32-bit argument. */
    if (oag) {
        px_put_be32(oag->group_id, arg);
    }
}

static void
put_ttl13(struct writer *w, uint16_t type, uint32_t ttl)
{
    struct ofp13_action_ttl *oat;

    if (ttl > 0xff) {
        refuse(w, EINVAL, "a TTL over 255");
        return;
    }
    oat = put_action(w, sizeof *oat, type);
    if (oat) {
        oat->ttl = (uint8_t)ttl;
    }
}

static void
put_push13(struct writer *w, uint16_t type, uint16_t ethertype)
{
    struct ofp13_action_push *oap = put_action(w, sizeof *oap, type);

    if (oap) {
        px_put_be16(oap->ethertype, ethertype);
    }
}

static void
put_action13(struct writer *w, const struct px_of_action *x)
{
    switch (x->type) {
    case PX_OF_ACTION_OUTPUT: {
        struct ofp13_action_output *oao =
            put_action(w, sizeof *oao, OFPAT_OUTPUT);

        if (oao) {
            px_put_be32(oao->port, x->port);
            px_put_be16(oao->max_len, x->max_len);
        }
        return;
    }
    case PX_OF_ACTION_SET_DL_SRC:
        put_mac13(w, PX_OF_F_ETH_SRC, x->mac);
        return;
    case PX_OF_ACTION_SET_DL_DST:
        put_mac13(w, PX_OF_F_ETH_DST, x->mac);
        return;
    case PX_OF_ACTION_SET_FIELD:
        put_set_field13(w, x->field);
        return;
    case PX_OF_ACTION_GROUP:
        put_arg13(w, OFPAT13_GROUP, x->arg);
        return;
    case PX_OF_ACTION_SET_QUEUE:
        put_arg13(w, OFPAT13_SET_QUEUE, x->arg);
        return;
    case PX_OF_ACTION_PUSH_VLAN:
        put_push13(w, OFPAT13_PUSH_VLAN, x->ethertype);
        return;
    case PX_OF_ACTION_PUSH_MPLS:
        put_push13(w, OFPAT13_PUSH_MPLS, x->ethertype);
        return;
    case PX_OF_ACTION_POP_MPLS:
        put_push13(w, OFPAT13_POP_MPLS, x->ethertype);
        return;
    case PX_OF_ACTION_POP_VLAN:
        put_action(w, sizeof(struct ofp13_action_header), OFPAT13_POP_VLAN);
        return;
    case PX_OF_ACTION_DEC_NW_TTL:
        put_action(w, sizeof(struct ofp13_action_header), OFPAT13_DEC_NW_TTL);
        return;
    case PX_OF_ACTION_DEC_MPLS_TTL:
        put_action(w, sizeof(struct ofp13_action_header),
                   OFPAT13_DEC_MPLS_TTL);
        return;
    case PX_OF_ACTION_COPY_TTL_OUT:
        put_action(w, sizeof(struct ofp13_action_header),
                   OFPAT13_COPY_TTL_OUT);
        return;
    case PX_OF_ACTION_COPY_TTL_IN:
        put_action(w, sizeof(struct ofp13_action_header), OFPAT13_COPY_TTL_IN);
        return;
    case PX_OF_ACTION_SET_NW_TTL:
        put_ttl13(w, OFPAT13_SET_NW_TTL, x->arg);
        return;
    case PX_OF_ACTION_SET_MPLS_TTL:
        put_ttl13(w, OFPAT13_SET_MPLS_TTL, x->arg);
        return;
    case PX_OF_ACTION_EXPERIMENTER:
        put_experimenter(w, x);
        return;
    }
    refuse(w, EINVAL, "unknown action type");
}

void
of_put_actions(struct writer *w, uint8_t version, const struct px_of_action *a,
               size_t n, size_t stride)
{
    size_t i = 0;

    if (n && !a) {
        refuse(w, EINVAL, "actions missing (NULL with n_actions > 0)");
        return;
    }
    while (i < n) {
        const struct px_of_action *x = nth(a, i, stride);

        /* A request of topic version 3 has the older, shorter actions,
         * whose types stop at SET_DL_DST: the fields of the others are
         * not there to read. */
        if (stride < sizeof *x && x->type > PX_OF_ACTION_SET_DL_DST) {
            refuse(w, EINVAL, "unknown action type");
            return;
        }
        if (x->type == PX_OF_ACTION_SET_FIELD) {
            const char *why = "SET_FIELD without a field (NULL)";
            int error = x->field ? of_field_check_set(x->field, &why) : EINVAL;

            if (error) {
                refuse(w, error, why);
                return;
            }
        }
        if (version == PX_OF_VERSION_10) {
            i += put_action10(w, a, i, n, stride);
        } else {
            put_action13(w, x);
            i++;
        }
    }
}

static void
put_instruction13(struct writer *w, const struct px_of_instruction *x)
{
    switch (x->type) {
    case PX_OF_INSTR_GOTO_TABLE: {
        struct ofp13_instruction_goto_table *ogt =
            put_action(w, sizeof *ogt, x->type);

        if (ogt) {
            ogt->table_id = x->table_id;
        }
        return;
    }
    case PX_OF_INSTR_WRITE_METADATA: {
        struct ofp13_instruction_write_metadata *owm =
            put_action(w, sizeof *owm, x->type);

        if (owm) {
            px_put_be64(owm->metadata, x->metadata);
            px_put_be64(owm->metadata_mask, x->metadata_mask);
        }
        return;
    }
    case PX_OF_INSTR_WRITE_ACTIONS:
    case PX_OF_INSTR_APPLY_ACTIONS: {
        size_t start = w->len;

        put_action(w, sizeof(struct ofp13_instruction_actions), x->type);
        of_put_actions(w, PX_OF_VERSION_13, x->actions, x->n_actions,
                       sizeof *x->actions);
        patch_len(w, start + offsetof(struct ofp13_instruction_actions, len),
                  start);
        return;
    }
    case PX_OF_INSTR_CLEAR_ACTIONS:
        put_action(w, sizeof(struct ofp13_instruction_actions), x->type);
        return;
    case PX_OF_INSTR_METER: {
        struct ofp13_instruction_meter *oim =
            put_action(w, sizeof *oim, x->type);

        if (oim) {
            px_put_be32(oim->meter_id, x->meter_id);
        }
        return;
    }
    }
    refuse(w, EINVAL, "unknown instruction type");
}

void
of_put_instructions(struct writer *w, uint8_t version,
                    const struct px_of_instruction *in, size_t n)
{
    unsigned int seen = 0;
    size_t i;

    if (n && !in) {
        refuse(w, EINVAL, "instructions missing (NULL with n > 0)");
        return;
    }
    for (i = 0; i < n; i++) {
        unsigned int t = in[i].type;

        if (t < PX_OF_INSTR_GOTO_TABLE || t > PX_OF_INSTR_METER) {
            refuse(w, EINVAL, "unknown instruction type");
            return;
        }
        if (seen & (1u << t)) {
            refuse(w, EINVAL, "an instruction type twice");
            return;
        }
        seen |= 1u << t;
        if (version == PX_OF_VERSION_13) {
            put_instruction13(w, &in[i]);
        } else if (t == PX_OF_INSTR_APPLY_ACTIONS) {
            of_put_actions(w, version, in[i].actions, in[i].n_actions,
                           sizeof *in[i].actions);
        } else {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.0 has no instruction but APPLY_ACTIONS");
            return;
        }
    }
}
