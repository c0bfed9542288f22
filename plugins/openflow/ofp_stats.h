/*
 * Statistics on the wire: 1.0's STATS_REQUEST/STATS_REPLY and 1.3's
 * MULTIPART_REQUEST/MULTIPART_REPLY for the kinds of enum
 * px_of_stats_type.  Pure functions over byte buffers, private to the
 * openflow plugin and its tests; the caller (of_request.c) assembles a
 * reply's parts and owns the arrays the decoder fills.
 */
#ifndef OF_OFP_STATS_H
#define OF_OFP_STATS_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/topics/openflow.h"

/* The request.  Returns 0 and its length in '*len', or the reason as the
 * other request encoders do (ofp.h): EINVAL for an unknown kind or NULL
 * fields with a count; EOPNOTSUPP for what the version cannot ask
 * (PORT_DESC, an out_group filter or a cookie mask in 1.0; match fields
 * 1.0 has no place for); ENOBUFS for want of room. */
int of_encode_stats_request(uint8_t *buf, size_t cap, uint8_t version,
                            uint32_t xid, const struct px_of_stats_request *rq,
                            size_t *len, const char **why);

/* One part of a reply (a whole STATS_REPLY or MULTIPART_REPLY of
 * 'len' bytes): its kind, whether more parts follow, and its body, which
 * points into 'msg'.  EPROTO, with 'why', for one shorter than its
 * header or of another message type. */
int of_stats_part(const uint8_t *msg, size_t len, uint16_t *type, int *more,
                  const uint8_t **body, size_t *body_len, const char **why);

/* The size of one decoded entry of kind 'type' (struct px_of_flow_stats
 * for FLOW...), or 0 for a kind we do not decode. */
size_t of_stats_entry_size(uint32_t type);

/* What a decoded reply needs room for. */
struct of_stats_room {
    size_t n;              /* Entries, of of_stats_entry_size(type) bytes. */
    size_t n_fields;       /* FLOW: match and SET_FIELD fields in all;
                            * GROUP_DESC: SET_FIELD fields. */
    size_t n_counters;     /* GROUP, METER: the buckets' or bands' counters. */
    size_t n_bands;        /* METER_CONFIG: the meters' bands in all. */
    size_t n_instructions; /* FLOW. */
    size_t n_actions;      /* FLOW, GROUP_DESC. */
    size_t n_buckets;      /* GROUP_DESC. */
};

/* Where the decoder writes: room for what of_stats_count counted.  The
 * caller owns it all. */
struct of_stats_mem {
    void *entries;
    struct px_of_field *fields;
    struct px_of_counter *counters;
    struct px_of_meter_band *bands;
    struct px_of_instruction *instructions;
    struct px_of_action *actions;
    struct px_of_bucket *buckets;
};

/* Allocates in 'mem' exactly the room 'room' counts for a reply of kind
 * 'type' (at least one element of each array, so that none is NULL).
 * Returns 0, or ENOMEM with nothing allocated.  of_stats_mem_free frees
 * it (and accepts a 'mem' of NULL arrays). */
int of_stats_mem_alloc(uint32_t type, const struct of_stats_room *room,
                       struct of_stats_mem *mem);
void of_stats_mem_free(struct of_stats_mem *mem);

/* Checks the assembled body of a reply of kind 'type' ('len' bytes, the
 * parts' bodies one after the other) and counts what of_stats_decode
 * needs room for.  EPROTO, with 'why', for a body that is not whole
 * entries, or a kind 'version' does not have. */
int of_stats_count(uint8_t version, uint32_t type, const uint8_t *body,
                   size_t len, struct of_stats_room *room, const char **why);

/* Decodes a body that of_stats_count accepted into 'mem' and points 'st'
 * at it.  Flows' raw instructions, groups' raw buckets and RAW actions
 * point into 'body', which must outlive 'st'. */
void of_stats_decode(uint8_t version, uint32_t type, const uint8_t *body,
                     size_t len, struct px_of_stats *st,
                     const struct of_stats_mem *mem);

#endif /* OF_OFP_STATS_H */
