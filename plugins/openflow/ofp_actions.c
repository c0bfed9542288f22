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

/* Whether 'len' bytes at 'data' are one whole action or instruction: a
 * header, and its length equal to 'len', a multiple of 8.  Both start with
 * a 16-bit type and length, in both versions. */
static bool
whole(const uint8_t *data, size_t len)
{
    return data && len >= sizeof(struct ofp13_action_header) && !(len % 8) &&
           px_get_be16(data + 2) == len;
}

/* An EXPERIMENTER (1.3) or VENDOR (1.0) action, or a RAW one: the
 * plugin's bytes, once they are seen to be one whole action. */
static void
put_experimenter(struct writer *w, const struct px_of_action *a)
{
    if (!whole(a->data, a->data_len) ||
        (a->type == PX_OF_ACTION_EXPERIMENTER &&
         px_get_be16(a->data) != OFPAT13_EXPERIMENTER)) {
        refuse(w, EINVAL,
               a->type == PX_OF_ACTION_RAW
                   ? "RAW action bytes are not one action (its length, a "
                     "multiple of 8)"
                   : "EXPERIMENTER action bytes are not one action (type "
                     "0xffff, its length, a multiple of 8)");
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
    case PX_OF_ACTION_RAW:
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
    case PX_OF_ACTION_RAW:
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
    case PX_OF_INSTR_RAW:
        if (!whole(x->data, x->data_len)) {
            refuse(w, EINVAL,
                   "RAW instruction bytes are not one instruction (its "
                   "length, a multiple of 8)");
            return;
        }
        put_bytes(w, x->data, x->data_len);
        return;
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

        if (t > PX_OF_INSTR_METER) {
            refuse(w, EINVAL, "unknown instruction type");
            return;
        }
        /* RAW ones are experimenters', which may come more than once. */
        if (t != PX_OF_INSTR_RAW && (seen & (1u << t))) {
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

/* ---------------------------------------------------------------------- */
/* Decoding: a switch's actions and instructions (in flow statistics and
 * group descriptions) back into the lists a plugin writes. */

/* The next action of 'l', of 'type' and otherwise zero, or NULL when 'l'
 * only counts. */
static struct px_of_action *
new_action(struct of_action_lists *l, enum px_of_action_type type)
{
    struct px_of_action *a = l->actions ? &l->actions[l->n_actions] : NULL;

    l->n_actions++;
    if (a) {
        memset(a, 0, sizeof *a);
        a->type = type;
    }
    return a;
}

/* A SET_FIELD of 'f', which is copied into 'l''s fields. */
static void
new_set_field(struct of_action_lists *l, const struct px_of_field *f)
{
    struct px_of_action *a = new_action(l, PX_OF_ACTION_SET_FIELD);

    if (a) {
        l->fields[l->n_fields] = *f;
        a->field = &l->fields[l->n_fields];
    }
    l->n_fields++;
}

/* An action handed over as the switch wrote it: 'len' bytes at 'p'. */
static void
new_raw(struct of_action_lists *l, enum px_of_action_type type,
        const uint8_t *p, size_t len)
{
    struct px_of_action *a = new_action(l, type);

    if (a) {
        a->data = p;
        a->data_len = len;
    }
}

/* Whether an action of 'type' and 'len' bytes has the length its type
 * has ('want', or at least 'want' when 'at_least'). */
static int
check_len(size_t len, size_t want, bool at_least, const char **why)
{
    if (at_least ? len < want : len != want) {
        return of_fail(why, "action of the wrong length for its type");
    }
    return 0;
}

/* One 1.0 action ('len' bytes at 'p', framing checked).  'ip_proto' says
 * whose ports SET_TP_SRC and SET_TP_DST set: UDP's for 17, TCP's
 * otherwise. */
static int
decode_action10(struct of_action_lists *l, const uint8_t *p, size_t len,
                uint8_t ip_proto, const char **why)
{
    uint16_t type = px_get_be16(p);
    struct px_of_field f;
    struct px_of_action *a;

    switch (type) {
    case OFPAT_OUTPUT:
        if (check_len(len, sizeof(struct ofp10_action_output), false, why)) {
            return EPROTO;
        }
        a = new_action(l, PX_OF_ACTION_OUTPUT);
        if (a) {
            const struct ofp10_action_output *o = (const void *)p;

            a->port = port_from_ofp10(px_get_be16(o->port));
            a->max_len = px_get_be16(o->max_len);
        }
        return 0;
    case OFPAT10_SET_VLAN_VID:
    case OFPAT10_SET_VLAN_PCP:
    case OFPAT10_SET_NW_SRC:
    case OFPAT10_SET_NW_DST:
    case OFPAT10_SET_NW_TOS:
    case OFPAT10_SET_TP_SRC:
    case OFPAT10_SET_TP_DST:
        /* Each of these is 8 bytes, its argument after the header. */
        if (check_len(len, 8, false, why)) {
            return EPROTO;
        }
        if (type == OFPAT10_SET_VLAN_VID) {
            f = px_of_field_u64(PX_OF_F_VLAN_VID,
                                PX_OF_VID_PRESENT |
                                    (px_get_be16(p + 4) & 0xfff));
        } else if (type == OFPAT10_SET_VLAN_PCP) {
            f = px_of_field_u64(PX_OF_F_VLAN_PCP, p[4] & 7);
        } else if (type == OFPAT10_SET_NW_SRC || type == OFPAT10_SET_NW_DST) {
            f = px_of_field_bytes(type == OFPAT10_SET_NW_SRC
                                      ? PX_OF_F_IPV4_SRC
                                      : PX_OF_F_IPV4_DST,
                                  p + 4, NULL);
        } else if (type == OFPAT10_SET_NW_TOS) {
            f = px_of_field_u64(PX_OF_F_IP_DSCP, p[4] >> 2);
        } else {
            bool src = type == OFPAT10_SET_TP_SRC, udp = ip_proto == 17;

            f = px_of_field_u64(
                udp ? (src ? PX_OF_F_UDP_SRC : PX_OF_F_UDP_DST)
                    : (src ? PX_OF_F_TCP_SRC : PX_OF_F_TCP_DST),
                px_get_be16(p + 4));
        }
        new_set_field(l, &f);
        return 0;
    case OFPAT10_STRIP_VLAN:
        if (check_len(len, 8, false, why)) {
            return EPROTO;
        }
        new_action(l, PX_OF_ACTION_POP_VLAN);
        return 0;
    case OFPAT10_SET_DL_SRC:
    case OFPAT10_SET_DL_DST:
        if (check_len(len, sizeof(struct ofp10_action_dl_addr), false, why)) {
            return EPROTO;
        }
        f = px_of_field_bytes(type == OFPAT10_SET_DL_SRC ? PX_OF_F_ETH_SRC
                                                         : PX_OF_F_ETH_DST,
                              p + 4, NULL);
        new_set_field(l, &f);
        return 0;
    case OFPAT10_ENQUEUE: {
        const struct ofp10_action_enqueue *o = (const void *)p;

        if (check_len(len, sizeof *o, false, why)) {
            return EPROTO;
        }
        /* What of_put_actions writes as ENQUEUE: SET_QUEUE, OUTPUT. */
        a = new_action(l, PX_OF_ACTION_SET_QUEUE);
        if (a) {
            a->arg = px_get_be32(o->queue_id);
        }
        a = new_action(l, PX_OF_ACTION_OUTPUT);
        if (a) {
            a->port = port_from_ofp10(px_get_be16(o->port));
        }
        return 0;
    }
    case OFPAT13_EXPERIMENTER: /* 1.0's VENDOR. */
        new_raw(l, PX_OF_ACTION_EXPERIMENTER, p, len);
        return 0;
    }
    new_raw(l, PX_OF_ACTION_RAW, p, len);
    return 0;
}

/* The field of a 1.3 SET_FIELD ('len' bytes at 'p'): 1 with it in '*f',
 * 0 for one the SDK has no name for (another class, a field we do not
 * know, a mask), or EPROTO (negated) for one that overruns its action. */
static int
set_field13(const uint8_t *p, size_t len, struct px_of_field *f,
            const char **why)
{
    const uint8_t *oxm = p + offsetof(struct ofp13_action_set_field, field);
    size_t flen, n = 0;

    flen = sizeof(struct ofp13_oxm_header) +
           ((const struct ofp13_oxm_header *)oxm)->length;
    if (flen > len - offsetof(struct ofp13_action_set_field, field)) {
        of_fail(why, "SET_FIELD overruns its action");
        return -EPROTO;
    }
    if (of_decode_oxm(oxm, flen, f, &n, why)) {
        return -EPROTO;
    }
    return n == 1 && !f->has_mask;
}

/* One 1.3 action ('len' bytes at 'p', framing checked). */
static int
decode_action13(struct of_action_lists *l, const uint8_t *p, size_t len,
                const char **why)
{
    uint16_t type = px_get_be16(p);
    enum px_of_action_type t;
    struct px_of_action *a;

    switch (type) {
    case OFPAT_OUTPUT:
        if (check_len(len, sizeof(struct ofp13_action_output), false, why)) {
            return EPROTO;
        }
        a = new_action(l, PX_OF_ACTION_OUTPUT);
        if (a) {
            const struct ofp13_action_output *o = (const void *)p;

            a->port = px_get_be32(o->port);
            a->max_len = px_get_be16(o->max_len);
        }
        return 0;
    case OFPAT13_SET_FIELD: {
        struct px_of_field f;
        int known;

        if (check_len(len, sizeof(struct ofp13_action_set_field), true, why)) {
            return EPROTO;
        }
        known = set_field13(p, len, &f, why);
        if (known < 0) {
            return -known;
        }
        if (known) {
            new_set_field(l, &f);
        } else {
            new_raw(l, PX_OF_ACTION_RAW, p, len);
        }
        return 0;
    }
    case OFPAT13_EXPERIMENTER:
        new_raw(l, PX_OF_ACTION_EXPERIMENTER, p, len);
        return 0;
    case OFPAT13_GROUP:
    case OFPAT13_SET_QUEUE:
    case OFPAT13_SET_NW_TTL:
    case OFPAT13_SET_MPLS_TTL:
    case OFPAT13_PUSH_VLAN:
    case OFPAT13_PUSH_MPLS:
    case OFPAT13_POP_MPLS:
    case OFPAT13_POP_VLAN:
    case OFPAT13_DEC_NW_TTL:
    case OFPAT13_DEC_MPLS_TTL:
    case OFPAT13_COPY_TTL_OUT:
    case OFPAT13_COPY_TTL_IN:
        /* Each of these is 8 bytes, its argument after the header. */
        if (check_len(len, 8, false, why)) {
            return EPROTO;
        }
        t = type == OFPAT13_GROUP          ? PX_OF_ACTION_GROUP
            : type == OFPAT13_SET_QUEUE    ? PX_OF_ACTION_SET_QUEUE
            : type == OFPAT13_SET_NW_TTL   ? PX_OF_ACTION_SET_NW_TTL
            : type == OFPAT13_SET_MPLS_TTL ? PX_OF_ACTION_SET_MPLS_TTL
            : type == OFPAT13_PUSH_VLAN    ? PX_OF_ACTION_PUSH_VLAN
            : type == OFPAT13_PUSH_MPLS    ? PX_OF_ACTION_PUSH_MPLS
            : type == OFPAT13_POP_MPLS     ? PX_OF_ACTION_POP_MPLS
            : type == OFPAT13_POP_VLAN     ? PX_OF_ACTION_POP_VLAN
            : type == OFPAT13_DEC_NW_TTL   ? PX_OF_ACTION_DEC_NW_TTL
            : type == OFPAT13_DEC_MPLS_TTL ? PX_OF_ACTION_DEC_MPLS_TTL
            : type == OFPAT13_COPY_TTL_OUT ? PX_OF_ACTION_COPY_TTL_OUT
                                           : PX_OF_ACTION_COPY_TTL_IN;
        a = new_action(l, t);
        if (!a) {
            return 0;
        }
        if (t == PX_OF_ACTION_GROUP || t == PX_OF_ACTION_SET_QUEUE) {
            a->arg = px_get_be32(p + 4);
        } else if (t == PX_OF_ACTION_SET_NW_TTL ||
                   t == PX_OF_ACTION_SET_MPLS_TTL) {
            a->arg = p[4];
        } else if (t == PX_OF_ACTION_PUSH_VLAN ||
                   t == PX_OF_ACTION_PUSH_MPLS || t == PX_OF_ACTION_POP_MPLS) {
            a->ethertype = px_get_be16(p + 4);
        }
        return 0;
    }
    new_raw(l, PX_OF_ACTION_RAW, p, len);
    return 0;
}

/* The length of the action or instruction at 'p', 'left' bytes from
 * there: at least a header, a multiple of 8, within 'left'; or 0. */
static size_t
tlv_len(const uint8_t *p, size_t left)
{
    size_t len;

    if (left < sizeof(struct ofp13_action_header)) {
        return 0;
    }
    len = px_get_be16(p + 2);
    return len >= sizeof(struct ofp13_action_header) && len <= left &&
                   !(len % 8)
               ? len
               : 0;
}

int
of_decode_actions(uint8_t version, const uint8_t *p, size_t len,
                  uint8_t ip_proto, struct of_action_lists *l,
                  const struct px_of_action **first, size_t *n,
                  const char **why)
{
    size_t start = l->n_actions, ofs = 0;

    while (ofs < len) {
        size_t alen = tlv_len(p + ofs, len - ofs);
        int error;

        if (!alen) {
            return of_fail(why, "action of a bad length");
        }
        error = version == PX_OF_VERSION_13
                    ? decode_action13(l, p + ofs, alen, why)
                    : decode_action10(l, p + ofs, alen, ip_proto, why);
        if (error) {
            return error;
        }
        ofs += alen;
    }
    *first = l->actions ? &l->actions[start] : NULL;
    *n = l->n_actions - start;
    return 0;
}

/* One 1.3 instruction ('len' bytes at 'p', framing checked). */
static int
decode_instruction13(struct of_action_lists *l, const uint8_t *p, size_t len,
                     const char **why)
{
    struct px_of_instruction *in =
        l->instructions ? &l->instructions[l->n_instructions] : NULL;
    struct px_of_instruction x;
    uint16_t type = px_get_be16(p);
    size_t want = 8;

    memset(&x, 0, sizeof x);
    x.type = (enum px_of_instruction_type)type;
    switch (type) {
    case PX_OF_INSTR_GOTO_TABLE:
        x.table_id =
            ((const struct ofp13_instruction_goto_table *)p)->table_id;
        break;
    case PX_OF_INSTR_WRITE_METADATA: {
        const struct ofp13_instruction_write_metadata *o = (const void *)p;

        want = sizeof *o;
        if (len == want) {
            x.metadata = px_get_be64(o->metadata);
            x.metadata_mask = px_get_be64(o->metadata_mask);
        }
        break;
    }
    case PX_OF_INSTR_WRITE_ACTIONS:
    case PX_OF_INSTR_APPLY_ACTIONS: {
        size_t hdr = sizeof(struct ofp13_instruction_actions);
        int error = of_decode_actions(PX_OF_VERSION_13, p + hdr, len - hdr, 0,
                                      l, &x.actions, &x.n_actions, why);

        if (error) {
            return error;
        }
        want = len;
        break;
    }
    case PX_OF_INSTR_CLEAR_ACTIONS:
        break;
    case PX_OF_INSTR_METER:
        x.meter_id =
            px_get_be32(((const struct ofp13_instruction_meter *)p)->meter_id);
        break;
    default:
        x.type = PX_OF_INSTR_RAW;
        x.data = p;
        x.data_len = want = len;
        break;
    }
    if (len != want) {
        return of_fail(why, "instruction of the wrong length for its type");
    }
    if (in) {
        *in = x;
    }
    l->n_instructions++;
    return 0;
}

int
of_decode_instructions(uint8_t version, const uint8_t *p, size_t len,
                       uint8_t ip_proto, struct of_action_lists *l,
                       const struct px_of_instruction **first, size_t *n,
                       const char **why)
{
    size_t start = l->n_instructions, ofs = 0;

    if (version != PX_OF_VERSION_13) {
        struct px_of_instruction x;
        int error;

        /* 1.0's actions are its one list: an APPLY_ACTIONS, unless there
         * are none (a flow that drops, as in 1.3 without instructions). */
        memset(&x, 0, sizeof x);
        x.type = PX_OF_INSTR_APPLY_ACTIONS;
        error = of_decode_actions(version, p, len, ip_proto, l, &x.actions,
                                  &x.n_actions, why);
        if (error) {
            return error;
        }
        if (x.n_actions) {
            if (l->instructions) {
                l->instructions[l->n_instructions] = x;
            }
            l->n_instructions++;
        }
    }
    while (version == PX_OF_VERSION_13 && ofs < len) {
        size_t ilen = tlv_len(p + ofs, len - ofs);
        int error;

        if (!ilen) {
            return of_fail(why, "instruction of a bad length");
        }
        error = decode_instruction13(l, p + ofs, ilen, why);
        if (error) {
            return error;
        }
        ofs += ilen;
    }
    *first = l->instructions ? &l->instructions[start] : NULL;
    *n = l->n_instructions - start;
    return 0;
}

int
of_decode_buckets(const uint8_t *p, size_t len, struct of_action_lists *l,
                  const struct px_of_bucket **first, size_t *n,
                  const char **why)
{
    size_t start = l->n_buckets, ofs = 0;

    while (ofs < len) {
        const struct ofp13_bucket *o = (const void *)(p + ofs);
        struct px_of_bucket b;
        size_t blen = 0;
        int error;

        if (len - ofs >= sizeof *o) {
            blen = px_get_be16(o->len);
        }
        if (blen < sizeof *o || blen > len - ofs || blen % 8) {
            return of_fail(why, "group bucket of a bad length");
        }
        memset(&b, 0, sizeof b);
        b.weight = px_get_be16(o->weight);
        b.watch_port = px_get_be32(o->watch_port);
        b.watch_group = px_get_be32(o->watch_group);
        error = of_decode_actions(PX_OF_VERSION_13, p + ofs + sizeof *o,
                                  blen - sizeof *o, 0, l, &b.actions,
                                  &b.n_actions, why);
        if (error) {
            return error;
        }
        if (l->buckets) {
            l->buckets[l->n_buckets] = b;
        }
        l->n_buckets++;
        ofs += blen;
    }
    *first = l->buckets ? &l->buckets[start] : NULL;
    *n = l->n_buckets - start;
    return 0;
}
