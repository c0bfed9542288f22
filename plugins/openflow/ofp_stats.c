/*
 * Statistics on the wire (see ofp_stats.h).
 *
 * 1.0 and 1.3 share the kinds' numbers and most bodies' meaning; their
 * layouts differ (16-bit ports and a fixed match in 1.0, 32-bit ports,
 * OXM matches and durations in 1.3).  A reply's body is a run of
 * fixed-size entries (tables, ports, queues, port descriptions), one
 * struct (DESC, AGGREGATE), or entries that carry their own length
 * (flows).  Counting and decoding are two passes over the same walk, so
 * that the caller allocates exactly what the decoding needs.
 */
#include "ofp_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ofp_actions.h"
#include "ofp_common.h"
#include "ofp_match.h"

static bool
kind_known(uint32_t type)
{
    switch (type) {
    case PX_OF_STATS_DESC:
    case PX_OF_STATS_FLOW:
    case PX_OF_STATS_AGGREGATE:
    case PX_OF_STATS_TABLE:
    case PX_OF_STATS_PORT:
    case PX_OF_STATS_QUEUE:
    case PX_OF_STATS_GROUP:
    case PX_OF_STATS_GROUP_DESC:
    case PX_OF_STATS_METER:
    case PX_OF_STATS_METER_CONFIG:
    case PX_OF_STATS_PORT_DESC:
        return true;
    }
    return false;
}

/* Kinds 1.0 has no request for. */
static bool
kind_13(uint32_t type)
{
    return type == PX_OF_STATS_PORT_DESC || type == PX_OF_STATS_GROUP ||
           type == PX_OF_STATS_GROUP_DESC || type == PX_OF_STATS_METER ||
           type == PX_OF_STATS_METER_CONFIG;
}

/* The body of a 1.0 FLOW or AGGREGATE request. */
static void
put_flow_request10(struct writer *w, const struct px_of_stats_request *rq)
{
    struct ofp10_flow_stats_request *ofr = put(w, sizeof *ofr);
    uint16_t out_port = OFPP10_NONE;

    if (rq->cookie_mask) {
        refuse(w, EOPNOTSUPP, "OpenFlow 1.0 has no cookie mask");
    }
    if (rq->filters & PX_OF_FILTER_OUT_GROUP) {
        refuse(w, EOPNOTSUPP, "OpenFlow 1.0 has no groups");
    }
    if ((rq->filters & PX_OF_FILTER_OUT_PORT) &&
        !port_to_ofp10(rq->out_port, &out_port)) {
        refuse(w, EOPNOTSUPP, "out_port has no OpenFlow 1.0 number");
    }
    of_put_fields10(w, rq->fields, rq->n_fields, ofr ? &ofr->match : NULL);
    if (ofr) {
        ofr->table_id = rq->table_id;
        px_put_be16(ofr->out_port, out_port);
    }
}

/* The body of a 1.3 FLOW or AGGREGATE request. */
static void
put_flow_request13(struct writer *w, const struct px_of_stats_request *rq)
{
    struct ofp13_flow_stats_request *ofr = put(w, sizeof *ofr);

    if (ofr) {
        ofr->table_id = rq->table_id;
        px_put_be32(ofr->out_port, rq->filters & PX_OF_FILTER_OUT_PORT
                                       ? rq->out_port
                                       : PX_OF_PORT_ANY);
        px_put_be32(ofr->out_group, rq->filters & PX_OF_FILTER_OUT_GROUP
                                        ? rq->out_group
                                        : OFPG_ANY);
        px_put_be64(ofr->cookie, rq->cookie);
        px_put_be64(ofr->cookie_mask, rq->cookie_mask);
    }
    of_put_fields13(w, rq->fields, rq->n_fields);
}

int
of_encode_stats_request(uint8_t *buf, size_t cap, uint8_t version,
                        uint32_t xid, const struct px_of_stats_request *rq,
                        size_t *len, const char **why)
{
    struct writer w = writer_init(buf, cap);
    uint8_t *head;
    bool v13 = version == PX_OF_VERSION_13;

    if (version != PX_OF_VERSION_10 && !v13) {
        refuse(&w, EINVAL, "version is neither 1.0 nor 1.3");
    } else if (!rq || !kind_known(rq->type)) {
        refuse(&w, EINVAL, "no request, or an unknown kind of statistics");
    } else if (!v13 && kind_13(rq->type)) {
        refuse(&w, EOPNOTSUPP,
               "OpenFlow 1.0 has no such statistics (its ports are in "
               "openflow.inventory; groups and meters are 1.3's)");
    }
    if (w.error) {
        return finish_request(&w, len, why);
    }
    /* The headers differ in length: 1.3's pads its body to 8 bytes. */
    head = put_msg(&w,
                   v13 ? sizeof(struct ofp13_multipart_request)
                       : sizeof(struct ofp10_stats_msg),
                   version,
                   v13 ? OF_MULTIPART_REQUEST_13 : OF_STATS_REQUEST_10, xid);
    if (head) {
        px_put_be16(head + sizeof(struct ofp_header), rq->type);
    }
    switch (rq->type) {
    case PX_OF_STATS_FLOW:
    case PX_OF_STATS_AGGREGATE:
        if (v13) {
            put_flow_request13(&w, rq);
        } else {
            put_flow_request10(&w, rq);
        }
        break;
    case PX_OF_STATS_PORT:
    case PX_OF_STATS_QUEUE: {
        uint32_t queue =
            rq->type == PX_OF_STATS_QUEUE ? rq->queue_id : 0; /* pad */

        if (v13) {
            struct ofp13_port_queue_stats_request *opr = put(&w, sizeof *opr);

            if (opr) {
                px_put_be32(opr->port_no, rq->port_no);
                px_put_be32(opr->queue_id, queue);
            }
        } else {
            struct ofp10_port_queue_stats_request *opr = put(&w, sizeof *opr);
            uint16_t port10 = 0;

            if (!port_to_ofp10(rq->port_no, &port10)) {
                refuse(&w, EOPNOTSUPP, "port has no OpenFlow 1.0 number");
            }
            if (opr) {
                px_put_be16(opr->port_no, port10);
                px_put_be32(opr->queue_id, queue);
            }
        }
        break;
    }
    case PX_OF_STATS_GROUP:
    case PX_OF_STATS_METER:
    case PX_OF_STATS_METER_CONFIG: {
        struct ofp13_id_stats_request *oir = put(&w, sizeof *oir);

        if (oir) {
            px_put_be32(oir->id, rq->type == PX_OF_STATS_GROUP ? rq->group_id
                                                               : rq->meter_id);
        }
        break;
    }
    default:
        break; /* DESC, TABLE, PORT_DESC, GROUP_DESC: no body. */
    }
    return finish_request(&w, len, why);
}

int
of_stats_part(const uint8_t *msg, size_t len, uint16_t *type, int *more,
              const uint8_t **body, size_t *body_len, const char **why)
{
    size_t head;
    uint8_t want;

    if (len < sizeof(struct ofp_header)) {
        return of_fail(why, "message shorter than a header");
    }
    head = msg[0] == PX_OF_VERSION_13 ? sizeof(struct ofp13_multipart_reply)
                                      : sizeof(struct ofp10_stats_msg);
    want =
        msg[0] == PX_OF_VERSION_13 ? OF_MULTIPART_REPLY_13 : OF_STATS_REPLY_10;
    if (msg[1] != want) {
        return of_fail(why, "not a statistics reply");
    }
    if (len < head) {
        return of_fail(why, "truncated statistics reply");
    }
    *type = px_get_be16(msg + sizeof(struct ofp_header));
    *more = (px_get_be16(msg + sizeof(struct ofp_header) + 2) & 1) != 0;
    *body = msg + head;
    *body_len = len - head;
    return 0;
}

size_t
of_stats_entry_size(uint32_t type)
{
    switch (type) {
    case PX_OF_STATS_DESC:
        return sizeof(struct px_of_desc);
    case PX_OF_STATS_FLOW:
        return sizeof(struct px_of_flow_stats);
    case PX_OF_STATS_AGGREGATE:
        return sizeof(struct px_of_aggregate_stats);
    case PX_OF_STATS_TABLE:
        return sizeof(struct px_of_table_stats);
    case PX_OF_STATS_PORT:
        return sizeof(struct px_of_port_stats);
    case PX_OF_STATS_QUEUE:
        return sizeof(struct px_of_queue_stats);
    case PX_OF_STATS_GROUP:
        return sizeof(struct px_of_group_stats);
    case PX_OF_STATS_GROUP_DESC:
        return sizeof(struct px_of_group_desc);
    case PX_OF_STATS_METER:
        return sizeof(struct px_of_meter_stats);
    case PX_OF_STATS_METER_CONFIG:
        return sizeof(struct px_of_meter_config);
    case PX_OF_STATS_PORT_DESC:
        return sizeof(struct px_of_port);
    }
    return 0;
}

/* The wire size of one fixed-size entry of 'type', 0 for the kinds whose
 * entries carry their own length, or SIZE_MAX for a kind 'version' does
 * not have. */
static size_t
wire_size(uint8_t version, uint32_t type)
{
    bool v13 = version == PX_OF_VERSION_13;

    switch (type) {
    case PX_OF_STATS_DESC:
        return sizeof(struct ofp_desc);
    case PX_OF_STATS_FLOW:
        return 0;
    case PX_OF_STATS_AGGREGATE:
        return sizeof(struct ofp_aggregate_stats_reply);
    case PX_OF_STATS_TABLE:
        return v13 ? sizeof(struct ofp13_table_stats)
                   : sizeof(struct ofp10_table_stats);
    case PX_OF_STATS_PORT:
        return v13 ? sizeof(struct ofp13_port_stats)
                   : sizeof(struct ofp10_port_stats);
    case PX_OF_STATS_QUEUE:
        return v13 ? sizeof(struct ofp13_queue_stats)
                   : sizeof(struct ofp10_queue_stats);
    case PX_OF_STATS_GROUP:
    case PX_OF_STATS_GROUP_DESC:
    case PX_OF_STATS_METER:
    case PX_OF_STATS_METER_CONFIG:
        return v13 ? 0 : SIZE_MAX;
    case PX_OF_STATS_PORT_DESC:
        return v13 ? sizeof(struct ofp13_port) : SIZE_MAX;
    }
    return SIZE_MAX;
}

/* A variable-length entry at 'p' ('left' bytes of the body from there)
 * whose 16-bit length is at 'len_ofs': that length, checked to hold its
 * 'fixed' part, to be within 'left' and a multiple of 8, or 0. */
static size_t
entry_len(const uint8_t *p, size_t left, size_t len_ofs, size_t fixed)
{
    size_t len;

    if (left < fixed) {
        return 0;
    }
    len = px_get_be16(p + len_ofs);
    return len >= fixed && len <= left && !(len % 8) ? len : 0;
}

/* The walk over a reply's body that both counts (when 'mem' is NULL:
 * what of_stats_count does) and decodes (what of_stats_decode does, over
 * a body the count accepted).  One walk, so that the two cannot
 * disagree. */
struct walk {
    uint8_t version;
    struct of_stats_room room;      /* Counted, or used so far. */
    const struct of_stats_mem *mem; /* NULL: count only. */
};

/* The action decoders' lists at the walk's place: into 'mem' when it
 * decodes, counting only when it counts. */
static struct of_action_lists
lists_at(const struct walk *wk)
{
    const struct of_stats_mem *m = wk->mem;

    return (struct of_action_lists){
        .instructions = m ? m->instructions : NULL,
        .actions = m ? m->actions : NULL,
        .fields = m ? m->fields : NULL,
        .buckets = m ? m->buckets : NULL,
        .n_instructions = wk->room.n_instructions,
        .n_actions = wk->room.n_actions,
        .n_fields = wk->room.n_fields,
        .n_buckets = wk->room.n_buckets,
    };
}

/* What the action decoders used, taken back into the walk's room. */
static void
lists_done(struct walk *wk, const struct of_action_lists *l)
{
    wk->room.n_instructions = l->n_instructions;
    wk->room.n_actions = l->n_actions;
    wk->room.n_fields = l->n_fields;
    wk->room.n_buckets = l->n_buckets;
}

/* The IP protocol a decoded match names, or 0. */
static uint8_t
match_ip_proto(const struct px_of_field *f, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (f[i].id == PX_OF_F_IP_PROTO) {
            return f[i].value[0];
        }
    }
    return 0;
}

/* One flow of a FLOW reply. */
static int
walk_flow(struct walk *wk, const uint8_t *p, size_t left, size_t *used,
          const char **why)
{
    bool v13 = wk->version == PX_OF_VERSION_13;
    size_t fixed = v13 ? sizeof(struct ofp13_flow_stats)
                       : sizeof(struct ofp10_flow_stats);
    size_t len = entry_len(p, left, 0, fixed), nf = 0, insts;
    struct px_of_field scratch[PX_OF_F_COUNT];
    struct px_of_field *fields =
        wk->mem ? wk->mem->fields + wk->room.n_fields : scratch;
    const struct px_of_instruction *in;
    struct of_action_lists lists;
    struct px_of_flow_stats *f;
    size_t n_in;
    int error;

    if (!len) {
        return of_fail(why, "flow statistics of a bad length");
    }
    if (v13) {
        size_t match_size = 0;

        error = of_decode_match13(p + fixed, len - fixed, fields, &nf,
                                  &match_size, why);

        if (error) {
            return error;
        }
        insts = fixed + match_size;
    } else {
        of_decode_match10(&((const struct ofp10_flow_stats *)p)->match, fields,
                          &nf);
        insts = fixed;
    }
    *used = len;
    wk->room.n_fields += nf;
    lists = lists_at(wk);
    error = of_decode_instructions(wk->version, p + insts, len - insts,
                                   match_ip_proto(fields, nf), &lists, &in,
                                   &n_in, why);
    if (error) {
        return error;
    }
    lists_done(wk, &lists);
    if (!wk->mem) {
        return 0;
    }
    f = (struct px_of_flow_stats *)wk->mem->entries + wk->room.n;
    memset(f, 0, sizeof *f);
    f->match = fields;
    f->n_match = nf;
    f->n_instructions = n_in;
    f->instructions = in;
    f->raw_instructions = p + insts;
    f->raw_instructions_len = len - insts;
    if (v13) {
        const struct ofp13_flow_stats *o = (const void *)p;

        f->table_id = o->table_id;
        f->duration_sec = px_get_be32(o->duration_sec);
        f->duration_nsec = px_get_be32(o->duration_nsec);
        f->priority = px_get_be16(o->priority);
        f->idle_timeout = px_get_be16(o->idle_timeout);
        f->hard_timeout = px_get_be16(o->hard_timeout);
        f->flags = px_get_be16(o->flags);
        f->cookie = px_get_be64(o->cookie);
        f->packet_count = px_get_be64(o->packet_count);
        f->byte_count = px_get_be64(o->byte_count);
    } else {
        const struct ofp10_flow_stats *o = (const void *)p;

        f->table_id = o->table_id;
        f->duration_sec = px_get_be32(o->duration_sec);
        f->duration_nsec = px_get_be32(o->duration_nsec);
        f->priority = px_get_be16(o->priority);
        f->idle_timeout = px_get_be16(o->idle_timeout);
        f->hard_timeout = px_get_be16(o->hard_timeout);
        f->cookie = px_get_be64(o->cookie);
        f->packet_count = px_get_be64(o->packet_count);
        f->byte_count = px_get_be64(o->byte_count);
    }
    return 0;
}

/* Counters (ofp13_counter) from 'p' to 'p + len', appended to the
 * walk's; their start and number. */
static const struct px_of_counter *
walk_counters(struct walk *wk, const uint8_t *p, size_t len, size_t *n)
{
    const struct ofp13_counter *oc = (const void *)p;
    struct px_of_counter *c =
        wk->mem ? wk->mem->counters + wk->room.n_counters : NULL;
    size_t i;

    *n = len / sizeof *oc;
    for (i = 0; c && i < *n; i++) {
        c[i].packet_count = px_get_be64(oc[i].packet_count);
        c[i].byte_count = px_get_be64(oc[i].byte_count);
    }
    wk->room.n_counters += *n;
    return c;
}

/* One group of a GROUP reply. */
static int
walk_group(struct walk *wk, const uint8_t *p, size_t left, size_t *used,
           const char **why)
{
    const struct ofp13_group_stats *o = (const void *)p;
    size_t len = entry_len(p, left, 0, sizeof *o), n;
    const struct px_of_counter *c;
    struct px_of_group_stats *g;

    if (!len || (len - sizeof *o) % sizeof(struct ofp13_counter)) {
        return of_fail(why, "group statistics of a bad length");
    }
    *used = len;
    c = walk_counters(wk, p + sizeof *o, len - sizeof *o, &n);
    if (!wk->mem) {
        return 0;
    }
    g = (struct px_of_group_stats *)wk->mem->entries + wk->room.n;
    g->group_id = px_get_be32(o->group_id);
    g->ref_count = px_get_be32(o->ref_count);
    g->packet_count = px_get_be64(o->packet_count);
    g->byte_count = px_get_be64(o->byte_count);
    g->duration_sec = px_get_be32(o->duration_sec);
    g->duration_nsec = px_get_be32(o->duration_nsec);
    g->n_buckets = n;
    g->buckets = c;
    return 0;
}

/* One group of a GROUP_DESC reply, its buckets decoded. */
static int
walk_group_desc(struct walk *wk, const uint8_t *p, size_t left, size_t *used,
                const char **why)
{
    const struct ofp13_group_desc *o = (const void *)p;
    size_t len = entry_len(p, left, 0, sizeof *o), n = 0;
    struct of_action_lists lists = lists_at(wk);
    const struct px_of_bucket *buckets;
    struct px_of_group_desc *g;
    int error;

    if (!len) {
        return of_fail(why, "group description of a bad length");
    }
    error = of_decode_buckets(p + sizeof *o, len - sizeof *o, &lists, &buckets,
                              &n, why);
    if (error) {
        return error;
    }
    lists_done(wk, &lists);
    *used = len;
    if (!wk->mem) {
        return 0;
    }
    g = (struct px_of_group_desc *)wk->mem->entries + wk->room.n;
    g->type = o->type;
    g->group_id = px_get_be32(o->group_id);
    g->n_buckets = n;
    g->buckets = buckets;
    g->raw_buckets = p + sizeof *o;
    g->raw_buckets_len = len - sizeof *o;
    return 0;
}

/* One meter of a METER reply. */
static int
walk_meter(struct walk *wk, const uint8_t *p, size_t left, size_t *used,
           const char **why)
{
    const struct ofp13_meter_stats *o = (const void *)p;
    size_t len = entry_len(p, left, offsetof(struct ofp13_meter_stats, len),
                           sizeof *o),
           n;
    const struct px_of_counter *c;
    struct px_of_meter_stats *m;

    if (!len || (len - sizeof *o) % sizeof(struct ofp13_counter)) {
        return of_fail(why, "meter statistics of a bad length");
    }
    *used = len;
    c = walk_counters(wk, p + sizeof *o, len - sizeof *o, &n);
    if (!wk->mem) {
        return 0;
    }
    m = (struct px_of_meter_stats *)wk->mem->entries + wk->room.n;
    m->meter_id = px_get_be32(o->meter_id);
    m->flow_count = px_get_be32(o->flow_count);
    m->packet_in_count = px_get_be64(o->packet_in_count);
    m->byte_in_count = px_get_be64(o->byte_in_count);
    m->duration_sec = px_get_be32(o->duration_sec);
    m->duration_nsec = px_get_be32(o->duration_nsec);
    m->n_bands = n;
    m->bands = c;
    return 0;
}

/* One meter of a METER_CONFIG reply. */
static int
walk_meter_config(struct walk *wk, const uint8_t *p, size_t left, size_t *used,
                  const char **why)
{
    const struct ofp13_meter_config *o = (const void *)p;
    size_t len = entry_len(p, left, 0, sizeof *o), ofs, n = 0;
    struct px_of_meter_band *bands =
        wk->mem ? wk->mem->bands + wk->room.n_bands : NULL;
    struct px_of_meter_config *m;

    if (!len) {
        return of_fail(why, "meter configuration of a bad length");
    }
    for (ofs = sizeof *o; ofs < len; n++) {
        const struct ofp13_meter_band *ob = (const void *)(p + ofs);
        size_t blen =
            entry_len(p + ofs, len - ofs,
                      offsetof(struct ofp13_meter_band, len), sizeof *ob);

        if (!blen) {
            return of_fail(why, "meter band of a bad length");
        }
        if (bands) {
            bands[n].type = px_get_be16(ob->type);
            bands[n].rate = px_get_be32(ob->rate);
            bands[n].burst_size = px_get_be32(ob->burst_size);
            bands[n].prec_level =
                bands[n].type == PX_OF_BAND_DSCP_REMARK ? ob->prec_level : 0;
        }
        ofs += blen;
    }
    *used = len;
    wk->room.n_bands += n;
    if (!wk->mem) {
        return 0;
    }
    m = (struct px_of_meter_config *)wk->mem->entries + wk->room.n;
    m->flags = px_get_be16(o->flags);
    m->meter_id = px_get_be32(o->meter_id);
    m->n_bands = n;
    m->bands = bands;
    return 0;
}

/* A port's twelve counters, in the order both versions give them. */
static void
port_counters(const uint8_t c[12][8], struct px_of_port_stats *ps)
{
    uint64_t *to[12] = {
        &ps->rx_packets,   &ps->tx_packets,  &ps->rx_bytes,   &ps->tx_bytes,
        &ps->rx_dropped,   &ps->tx_dropped,  &ps->rx_errors,  &ps->tx_errors,
        &ps->rx_frame_err, &ps->rx_over_err, &ps->rx_crc_err, &ps->collisions,
    };
    size_t i;

    for (i = 0; i < 12; i++) {
        *to[i] = px_get_be64(c[i]);
    }
}

/* One entry of a fixed-size kind at 'p', decoded into entries[i]. */
static void
decode_fixed(uint8_t version, uint32_t type, const uint8_t *p, void *entries,
             size_t i)
{
    bool v13 = version == PX_OF_VERSION_13;

    switch (type) {
    case PX_OF_STATS_DESC: {
        const struct ofp_desc *o = (const void *)p;
        struct px_of_desc *d = entries;

        of_copy_string(d->mfr_desc, o->mfr_desc, sizeof d->mfr_desc);
        of_copy_string(d->hw_desc, o->hw_desc, sizeof d->hw_desc);
        of_copy_string(d->sw_desc, o->sw_desc, sizeof d->sw_desc);
        of_copy_string(d->serial_num, o->serial_num, sizeof d->serial_num);
        of_copy_string(d->dp_desc, o->dp_desc, sizeof d->dp_desc);
        break;
    }
    case PX_OF_STATS_AGGREGATE: {
        const struct ofp_aggregate_stats_reply *o = (const void *)p;
        struct px_of_aggregate_stats *a = entries;

        a->packet_count = px_get_be64(o->packet_count);
        a->byte_count = px_get_be64(o->byte_count);
        a->flow_count = px_get_be32(o->flow_count);
        break;
    }
    case PX_OF_STATS_TABLE: {
        struct px_of_table_stats *t = (struct px_of_table_stats *)entries + i;

        if (v13) {
            const struct ofp13_table_stats *o = (const void *)p;

            t->table_id = o->table_id;
            t->active_count = px_get_be32(o->active_count);
            t->lookup_count = px_get_be64(o->lookup_count);
            t->matched_count = px_get_be64(o->matched_count);
        } else {
            const struct ofp10_table_stats *o = (const void *)p;

            t->table_id = o->table_id;
            t->active_count = px_get_be32(o->active_count);
            t->lookup_count = px_get_be64(o->lookup_count);
            t->matched_count = px_get_be64(o->matched_count);
        }
        break;
    }
    case PX_OF_STATS_PORT: {
        struct px_of_port_stats *ps = (struct px_of_port_stats *)entries + i;

        memset(ps, 0, sizeof *ps);
        if (v13) {
            const struct ofp13_port_stats *o = (const void *)p;

            ps->port_no = px_get_be32(o->port_no);
            port_counters(o->counters, ps);
            ps->duration_sec = px_get_be32(o->duration_sec);
            ps->duration_nsec = px_get_be32(o->duration_nsec);
        } else {
            const struct ofp10_port_stats *o = (const void *)p;

            ps->port_no = port_from_ofp10(px_get_be16(o->port_no));
            port_counters(o->counters, ps);
        }
        break;
    }
    case PX_OF_STATS_QUEUE: {
        struct px_of_queue_stats *q = (struct px_of_queue_stats *)entries + i;

        memset(q, 0, sizeof *q);
        if (v13) {
            const struct ofp13_queue_stats *o = (const void *)p;

            q->port_no = px_get_be32(o->port_no);
            q->queue_id = px_get_be32(o->queue_id);
            q->tx_bytes = px_get_be64(o->tx_bytes);
            q->tx_packets = px_get_be64(o->tx_packets);
            q->tx_errors = px_get_be64(o->tx_errors);
            q->duration_sec = px_get_be32(o->duration_sec);
            q->duration_nsec = px_get_be32(o->duration_nsec);
        } else {
            const struct ofp10_queue_stats *o = (const void *)p;

            q->port_no = port_from_ofp10(px_get_be16(o->port_no));
            q->queue_id = px_get_be32(o->queue_id);
            q->tx_bytes = px_get_be64(o->tx_bytes);
            q->tx_packets = px_get_be64(o->tx_packets);
            q->tx_errors = px_get_be64(o->tx_errors);
        }
        break;
    }
    case PX_OF_STATS_PORT_DESC:
        of_decode_port13((const struct ofp13_port *)p,
                         (struct px_of_port *)entries + i);
        break;
    }
}

static int
walk(struct walk *wk, uint32_t type, const uint8_t *body, size_t len,
     const char **why)
{
    size_t size = wire_size(wk->version, type), ofs = 0;

    if (size == SIZE_MAX) {
        return of_fail(why, "a kind of statistics we do not read");
    }
    if (size) {
        bool one = type == PX_OF_STATS_DESC || type == PX_OF_STATS_AGGREGATE;

        if (one ? len != size : len % size) {
            return of_fail(why, "statistics reply of the wrong length");
        }
        for (ofs = 0; ofs < len; ofs += size) {
            if (wk->mem) {
                decode_fixed(wk->version, type, body + ofs, wk->mem->entries,
                             wk->room.n);
            }
            wk->room.n++;
        }
        return 0;
    }
    while (ofs < len) {
        size_t used = 0;
        int error;

        switch (type) {
        case PX_OF_STATS_FLOW:
            error = walk_flow(wk, body + ofs, len - ofs, &used, why);
            break;
        case PX_OF_STATS_GROUP:
            error = walk_group(wk, body + ofs, len - ofs, &used, why);
            break;
        case PX_OF_STATS_GROUP_DESC:
            error = walk_group_desc(wk, body + ofs, len - ofs, &used, why);
            break;
        case PX_OF_STATS_METER:
            error = walk_meter(wk, body + ofs, len - ofs, &used, why);
            break;
        default: /* PX_OF_STATS_METER_CONFIG */
            error = walk_meter_config(wk, body + ofs, len - ofs, &used, why);
            break;
        }
        if (error) {
            return error;
        }
        ofs += used;
        wk->room.n++;
    }
    return 0;
}

int
of_stats_count(uint8_t version, uint32_t type, const uint8_t *body, size_t len,
               struct of_stats_room *room, const char **why)
{
    struct walk wk = {.version = version};
    int error = walk(&wk, type, body, len, why);

    *room = error ? (struct of_stats_room){0} : wk.room;
    return error;
}

void
of_stats_decode(uint8_t version, uint32_t type, const uint8_t *body,
                size_t len, struct px_of_stats *st,
                const struct of_stats_mem *mem)
{
    struct walk wk = {.version = version, .mem = mem};
    void *e = mem->entries;

    /* of_stats_count walked the same bytes: it cannot fail now. */
    walk(&wk, type, body, len, NULL);
    memset(st, 0, sizeof *st);
    st->type = type;
    st->n = wk.room.n;
    switch (type) {
    case PX_OF_STATS_DESC:
        st->desc = e;
        break;
    case PX_OF_STATS_FLOW:
        st->flows = e;
        break;
    case PX_OF_STATS_AGGREGATE:
        st->aggregate = e;
        break;
    case PX_OF_STATS_TABLE:
        st->tables = e;
        break;
    case PX_OF_STATS_PORT:
        st->ports = e;
        break;
    case PX_OF_STATS_QUEUE:
        st->queues = e;
        break;
    case PX_OF_STATS_GROUP:
        st->groups = e;
        break;
    case PX_OF_STATS_GROUP_DESC:
        st->group_descs = e;
        break;
    case PX_OF_STATS_METER:
        st->meters = e;
        break;
    case PX_OF_STATS_METER_CONFIG:
        st->meter_configs = e;
        break;
    case PX_OF_STATS_PORT_DESC:
        st->port_descs = e;
        break;
    }
}

/* 'n' elements of 'size' bytes, at least one. */
static void *
alloc_n(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

int
of_stats_mem_alloc(uint32_t type, const struct of_stats_room *room,
                   struct of_stats_mem *mem)
{
    *mem = (struct of_stats_mem){
        .entries = alloc_n(room->n, of_stats_entry_size(type)),
        .fields = alloc_n(room->n_fields, sizeof *mem->fields),
        .counters = alloc_n(room->n_counters, sizeof *mem->counters),
        .bands = alloc_n(room->n_bands, sizeof *mem->bands),
        .instructions =
            alloc_n(room->n_instructions, sizeof *mem->instructions),
        .actions = alloc_n(room->n_actions, sizeof *mem->actions),
        .buckets = alloc_n(room->n_buckets, sizeof *mem->buckets),
    };
    if (!mem->entries || !mem->fields || !mem->counters || !mem->bands ||
        !mem->instructions || !mem->actions || !mem->buckets) {
        of_stats_mem_free(mem);
        return ENOMEM;
    }
    return 0;
}

void
of_stats_mem_free(struct of_stats_mem *mem)
{
    free(mem->entries);
    free(mem->fields);
    free(mem->counters);
    free(mem->bands);
    free(mem->instructions);
    free(mem->actions);
    free(mem->buckets);
    *mem = (struct of_stats_mem){NULL};
}
