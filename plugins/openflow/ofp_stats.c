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

#include <string.h>

#include "ofp_common.h"
#include "ofp_match.h"

static int
fail(const char **why, const char *reason)
{
    if (why) {
        *why = reason;
    }
    return EPROTO;
}

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
    case PX_OF_STATS_PORT_DESC:
        return true;
    }
    return false;
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
    } else if (!v13 && rq->type == PX_OF_STATS_PORT_DESC) {
        refuse(&w, EOPNOTSUPP,
               "OpenFlow 1.0 has no port description request (its ports "
               "are in openflow.inventory)");
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
    default:
        break; /* DESC, TABLE, PORT_DESC: no body. */
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
        return fail(why, "message shorter than a header");
    }
    head = msg[0] == PX_OF_VERSION_13 ? sizeof(struct ofp13_multipart_reply)
                                      : sizeof(struct ofp10_stats_msg);
    want =
        msg[0] == PX_OF_VERSION_13 ? OF_MULTIPART_REPLY_13 : OF_STATS_REPLY_10;
    if (msg[1] != want) {
        return fail(why, "not a statistics reply");
    }
    if (len < head) {
        return fail(why, "truncated statistics reply");
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
    case PX_OF_STATS_PORT_DESC:
        return sizeof(struct px_of_port);
    }
    return 0;
}

/* The wire size of one fixed-size entry of 'type', 0 for FLOW (entries
 * of their own length), or SIZE_MAX for a kind 'version' does not have. */
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
    case PX_OF_STATS_PORT_DESC:
        return v13 ? sizeof(struct ofp13_port) : SIZE_MAX;
    }
    return SIZE_MAX;
}

/* One flow of a FLOW reply at 'p' ('left' bytes of the body from there):
 * its length, its match decoded into 'fields' (room for PX_OF_F_COUNT)
 * and their number into '*n_fields', and where its instructions (or 1.0
 * actions) start, from 'p'.  EPROTO, with 'why', when it is not whole. */
static int
walk_flow(uint8_t version, const uint8_t *p, size_t left, size_t *flow_len,
          struct px_of_field *fields, size_t *n_fields, size_t *insts,
          const char **why)
{
    size_t len, fixed = version == PX_OF_VERSION_13
                            ? sizeof(struct ofp13_flow_stats)
                            : sizeof(struct ofp10_flow_stats);

    if (left < fixed) {
        return fail(why, "truncated flow statistics");
    }
    len = px_get_be16(p);
    if (len < fixed || len > left || len % 8) {
        return fail(why, "flow statistics of a bad length");
    }
    if (version == PX_OF_VERSION_13) {
        size_t match_size = 0;
        int error = of_decode_match13(p + fixed, len - fixed, fields, n_fields,
                                      &match_size, why);

        if (error) {
            return error;
        }
        *insts = fixed + match_size;
    } else {
        of_decode_match10(&((const struct ofp10_flow_stats *)p)->match, fields,
                          n_fields);
        *insts = fixed;
    }
    *flow_len = len;
    return 0;
}

int
of_stats_count(uint8_t version, uint32_t type, const uint8_t *body, size_t len,
               size_t *n, size_t *n_fields, const char **why)
{
    size_t size = wire_size(version, type);

    *n = *n_fields = 0;
    if (size == SIZE_MAX) {
        return fail(why, "a kind of statistics we do not read");
    }
    if (type == PX_OF_STATS_FLOW) {
        struct px_of_field fields[PX_OF_F_COUNT];
        size_t ofs = 0;

        while (ofs < len) {
            size_t flow_len = 0, nf = 0, insts = 0;
            int error = walk_flow(version, body + ofs, len - ofs, &flow_len,
                                  fields, &nf, &insts, why);

            if (error) {
                return error;
            }
            ofs += flow_len;
            *n_fields += nf;
            (*n)++;
        }
        return 0;
    }
    if (type == PX_OF_STATS_DESC || type == PX_OF_STATS_AGGREGATE) {
        if (len != size) {
            return fail(why, "statistics reply of the wrong length");
        }
        *n = 1;
        return 0;
    }
    if (len % size) {
        return fail(why, "statistics reply not a whole number of entries");
    }
    *n = len / size;
    return 0;
}

static void
copy_string(char *to, const char *from, size_t size)
{
    const char *nul = memchr(from, '\0', size);
    size_t n = nul ? (size_t)(nul - from) : size - 1;

    memcpy(to, from, n);
    to[n] = '\0';
}

static void
decode_flows(uint8_t version, const uint8_t *body, size_t len,
             struct px_of_flow_stats *out, struct px_of_field *fields,
             size_t *n)
{
    size_t ofs = 0;

    *n = 0;
    while (ofs < len) {
        struct px_of_flow_stats *f = &out[(*n)++];
        size_t flow_len = 0, nf = 0, insts = 0;
        const uint8_t *p = body + ofs;

        /* of_stats_count walked the same bytes: it cannot fail now. */
        walk_flow(version, p, len - ofs, &flow_len, fields, &nf, &insts, NULL);
        memset(f, 0, sizeof *f);
        f->match = fields;
        f->n_match = nf;
        fields += nf;
        f->instructions = p + insts;
        f->instructions_len = flow_len - insts;
        if (version == PX_OF_VERSION_13) {
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
        ofs += flow_len;
    }
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

void
of_stats_decode(uint8_t version, uint32_t type, const uint8_t *body,
                size_t len, struct px_of_stats *st, void *entries,
                struct px_of_field *fields)
{
    bool v13 = version == PX_OF_VERSION_13;
    size_t size = wire_size(version, type), i, n = 0;

    memset(st, 0, sizeof *st);
    st->type = type;
    if (type == PX_OF_STATS_FLOW) {
        decode_flows(version, body, len, entries, fields, &n);
        st->flows = entries;
        st->n = n;
        return;
    }
    n = size && size != SIZE_MAX ? len / size : 0;
    st->n = n;
    for (i = 0; i < n; i++) {
        const uint8_t *p = body + i * size;

        switch (type) {
        case PX_OF_STATS_DESC: {
            const struct ofp_desc *o = (const void *)p;
            struct px_of_desc *d = entries;

            copy_string(d->mfr_desc, o->mfr_desc, sizeof d->mfr_desc);
            copy_string(d->hw_desc, o->hw_desc, sizeof d->hw_desc);
            copy_string(d->sw_desc, o->sw_desc, sizeof d->sw_desc);
            copy_string(d->serial_num, o->serial_num, sizeof d->serial_num);
            copy_string(d->dp_desc, o->dp_desc, sizeof d->dp_desc);
            st->desc = d;
            break;
        }
        case PX_OF_STATS_AGGREGATE: {
            const struct ofp_aggregate_stats_reply *o = (const void *)p;
            struct px_of_aggregate_stats *a = entries;

            a->packet_count = px_get_be64(o->packet_count);
            a->byte_count = px_get_be64(o->byte_count);
            a->flow_count = px_get_be32(o->flow_count);
            st->aggregate = a;
            break;
        }
        case PX_OF_STATS_TABLE: {
            struct px_of_table_stats *t =
                (struct px_of_table_stats *)entries + i;

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
            st->tables = entries;
            break;
        }
        case PX_OF_STATS_PORT: {
            struct px_of_port_stats *ps =
                (struct px_of_port_stats *)entries + i;

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
            st->ports = entries;
            break;
        }
        case PX_OF_STATS_QUEUE: {
            struct px_of_queue_stats *q =
                (struct px_of_queue_stats *)entries + i;

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
            st->queues = entries;
            break;
        }
        case PX_OF_STATS_PORT_DESC:
            of_decode_port13((const struct ofp13_port *)p,
                             (struct px_of_port *)entries + i);
            st->port_descs = entries;
            break;
        }
    }
}
