/*
 * The OpenFlow codec: pure functions over byte buffers for the messages the
 * openflow plugin uses, in OpenFlow 1.0 (wire version 0x01) and 1.3 (0x04).
 * No I/O, no allocation, no policy.
 *
 * Decoders take one complete message (as delimited by of_frame) and check
 * every length before using it; on malformed input they return EPROTO and
 * write a short reason to 'why' when it is not NULL.  Pointers they store
 * point into the caller's buffer.
 *
 * Encoders write one message into 'buf' of 'cap' bytes.  The ones that
 * encode the controller's own messages (HELLO, ERROR, ECHO, FEATURES,
 * SET_CONFIG, PORT_DESC, the table-miss flow, BARRIER) return its length,
 * or 0, which means one thing: the message does not fit in 'cap' bytes
 * (nothing useful is written then).  Their content is fixed and both
 * versions express it, so a call within their contract (a version of 1.0
 * or 1.3, data that is there and at most OF_ERROR_MAX_DATA bytes, an
 * ECHO_REQUEST to reply to) fails for want of room alone; a call outside
 * it also gets 0, and is a bug in the caller.  The two that encode other
 * plugins' requests (packet_out, flow_mod) return 0 or the reason
 * instead, in distinct errors (see below), so that each cause can be
 * counted and told to the requester.
 *
 * The wire layouts are the structs of ofp_wire.h.
 */
#ifndef OF_OFP_H
#define OF_OFP_H 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "ofp_wire.h"
#include "plexus/byteorder.h"
#include "plexus/topics/openflow.h"

/* Message types we use.  Up to PORT_STATUS, PACKET_OUT and FLOW_MOD the
 * numbers are the same in 1.0 and 1.3; after them they differ (suffix). */
enum of_type {
    OF_HELLO = 0,
    OF_ERROR = 1,
    OF_ECHO_REQUEST = 2,
    OF_ECHO_REPLY = 3,
    OF_FEATURES_REQUEST = 5,
    OF_FEATURES_REPLY = 6,
    OF_SET_CONFIG = 9,
    OF_PACKET_IN = 10,
    OF_FLOW_REMOVED = 11,
    OF_PORT_STATUS = 12,
    OF_PACKET_OUT = 13,
    OF_FLOW_MOD = 14,
    OF_GROUP_MOD_13 = 15,
    OF_PORT_MOD_13 = 16,
    OF_TABLE_MOD_13 = 17,
    OF_STATS_REQUEST_10 = 16,
    OF_STATS_REPLY_10 = 17,
    OF_MULTIPART_REQUEST_13 = 18,
    OF_MULTIPART_REPLY_13 = 19,
    OF_BARRIER_REQUEST_10 = 18,
    OF_BARRIER_REQUEST_13 = 20,
    OF_BARRIER_REPLY_10 = 19,
    OF_BARRIER_REPLY_13 = 21,
    OF_ROLE_REQUEST_13 = 24,
    OF_ROLE_REPLY_13 = 25,
    OF_GET_ASYNC_REQUEST_13 = 26,
    OF_GET_ASYNC_REPLY_13 = 27,
    OF_SET_ASYNC_13 = 28,
    OF_METER_MOD_13 = 29,
};

#define OF_HEADER_LEN 8
/* Largest message we accept; OpenFlow's length field allows 65535. */
#define OF_MAX_MESSAGE 65535

/* Error types and codes we send. */
#define OF_ERROR_HELLO_FAILED        0
#define OF_HELLO_FAILED_INCOMPATIBLE 0

struct of_header {
    uint8_t version;
    uint8_t type;
    uint16_t length;
    uint32_t xid;
};

/* Looks at the start of 'buf'.  Returns 0 and fills 'h' when a complete
 * message of h->length bytes is there; EAGAIN when more bytes are needed;
 * EPROTO (with 'why') when the header's length is below 8.  Inline: it
 * runs for every message a switch sends, and inline it costs half the
 * instructions of the call, which passed 'h' and the checks' results
 * through memory. */
static inline int
of_frame(const uint8_t *buf, size_t len, struct of_header *h, const char **why)
{
    const struct ofp_header *oh = (const struct ofp_header *)buf;

    if (!buf || len < sizeof *oh) {
        return EAGAIN;
    }
    h->version = oh->version;
    h->type = oh->type;
    h->length = px_get_be16(oh->length);
    h->xid = px_get_be32(oh->xid);
    if (h->length < sizeof *oh) {
        /* No way to find the next message: the stream is lost. */
        if (why) {
            *why = "header length below 8";
        }
        return EPROTO;
    }
    return len < h->length ? EAGAIN : 0;
}

/* Versions a HELLO offers, as a bitmap (bit N = wire version N): from the
 * version-bitmap element if there is one, else the header's version capped
 * at 1.3 (the spec's smaller-of-the-two rule: OVS 3.1 by default sends a
 * bare 1.5 HELLO and settles on 1.3).
 * EPROTO for a malformed element list (an element length of 0 or one that
 * overruns the message, CVE-2024-28732's twin). */
int of_decode_hello(const uint8_t *msg, size_t len, uint32_t *bitmap,
                    const char **why);
/* The highest version in both bitmaps (1.0 and 1.3 are ours), or 0. */
uint8_t of_negotiate(uint32_t theirs);

struct of_features {
    uint64_t dpid;
    uint32_t n_buffers;
    uint8_t n_tables;
    uint32_t capabilities;
};

/* FEATURES_REPLY.  For 1.0 the ports follow the fixed part: up to
 * 'max_ports' are stored in 'ports' and their number in '*n_ports' (more
 * than max_ports is EPROTO).  For 1.3 '*n_ports' is 0. */
int of_decode_features_reply(const uint8_t *msg, size_t len,
                             struct of_features *f, struct px_of_port *ports,
                             size_t max_ports, size_t *n_ports,
                             const char **why);
/* A 1.3 MULTIPART_REPLY of type PORT_DESC: appends its ports to
 * ports[*n_ports...] (at most max_ports in all) and sets '*more' from the
 * REPLY_MORE flag.  EPROTO for another multipart type too. */
int of_decode_port_desc_reply(const uint8_t *msg, size_t len,
                              struct px_of_port *ports, size_t max_ports,
                              size_t *n_ports, int *more, const char **why);
/* PACKET_IN.  pi->dpid is left for the caller; pi->version is set.  For
 * 1.3 the match is decoded into 'fields' (room for PX_OF_F_COUNT), which
 * pi->match then points to, and the in_port comes from it; 1.0 leaves
 * 'fields' alone. */
int of_decode_packet_in(const uint8_t *msg, size_t len,
                        struct px_of_packet_in *pi, struct px_of_field *fields,
                        const char **why);
int of_decode_port_status(const uint8_t *msg, size_t len,
                          struct px_of_port_status *ps, const char **why);
int of_decode_error(const uint8_t *msg, size_t len, struct px_of_error *e,
                    const char **why);
/* FLOW_REMOVED.  fr->dpid is left for the caller.  The match is decoded
 * into 'fields' (room for PX_OF_F_COUNT), which fr->match then points
 * to. */
int of_decode_flow_removed(const uint8_t *msg, size_t len,
                           struct px_of_flow_removed *fr,
                           struct px_of_field *fields, const char **why);

/* Encoders.  'version' is the negotiated wire version. */
/* A HELLO with a version-bitmap element offering 1.0 and 1.3 (header
 * version 0x04). */
size_t of_encode_hello(uint8_t *buf, size_t cap, uint32_t xid);
/* An error reply, e.g. HELLO_FAILED/INCOMPATIBLE with an ASCII reason.
 * 'data' is at most OF_ERROR_MAX_DATA bytes, which fill a message. */
#define OF_ERROR_MAX_DATA (OF_MAX_MESSAGE - 12)
size_t of_encode_error(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                       uint16_t type, uint16_t code, const void *data,
                       size_t data_len);
size_t of_encode_echo_request(uint8_t *buf, size_t cap, uint8_t version,
                              uint32_t xid);
/* The reply to 'request' (a whole ECHO_REQUEST): same xid and payload. */
size_t of_encode_echo_reply(uint8_t *buf, size_t cap, const uint8_t *request,
                            size_t request_len);
size_t of_encode_features_request(uint8_t *buf, size_t cap, uint8_t version,
                                  uint32_t xid);
/* SET_CONFIG: no fragment flags, miss_send_len 0xffff (whole frames). */
size_t of_encode_set_config(uint8_t *buf, size_t cap, uint8_t version,
                            uint32_t xid);
/* 1.3 MULTIPART_REQUEST of type PORT_DESC. */
size_t of_encode_port_desc_request(uint8_t *buf, size_t cap, uint32_t xid);
/* 1.3: the table-miss flow (table 0, priority 0, empty match) sending
 * whole frames to the controller. */
size_t of_encode_table_miss(uint8_t *buf, size_t cap, uint32_t xid);
size_t of_encode_barrier_request(uint8_t *buf, size_t cap, uint8_t version,
                                 uint32_t xid);
/* 1.3 ROLE_REQUEST for 'role' (PX_OF_ROLE_*) and 'generation_id'. */
size_t of_encode_role_request(uint8_t *buf, size_t cap, uint32_t xid,
                              uint32_t role, uint64_t generation_id);
/* 1.3 SET_ASYNC with 'config', or GET_ASYNC_REQUEST when 'config' is
 * NULL. */
size_t of_encode_async(uint8_t *buf, size_t cap, uint32_t xid,
                       const struct px_of_async_config *config);
/* A 1.3 GET_ASYNC_REPLY, or EPROTO with 'why'. */
int of_decode_async_reply(const uint8_t *msg, size_t len,
                          struct px_of_async_config *config, const char **why);
/* A 1.3 ROLE_REPLY: its role and generation id, or EPROTO with 'why'. */
int of_decode_role_reply(const uint8_t *msg, size_t len, uint32_t *role,
                         uint64_t *generation_id, const char **why);
/* The requests.  Store the message's length in '*len' and return 0, or
 * store 0 and return why the request cannot be sent, with a static reason
 * in '*why' when 'why' is not NULL:
 *   EINVAL      the request is malformed: NULL actions or frame with a
 *               count above 0, an unknown action type or flow_mod
 *               command, a VLAN id over 12 bits, a version other than
 *               1.0 and 1.3;
 *   EOPNOTSUPP  the request is valid but 'version' cannot express it: a
 *               port number 1.0 has no 16-bit number for, a 1.3 match
 *               field without its OXM prerequisite (nw_src without
 *               dl_type IPv4...);
 *   EMSGSIZE    it would be longer than an OpenFlow message can be
 *               (OF_MAX_MESSAGE), e.g. a frame of 65000 bytes;
 *   ENOBUFS     it is fine but does not fit in 'cap' bytes.
 * Any of the first three is reported in preference to ENOBUFS, whatever
 * 'cap' is. */
/* 'po_len' and 'fm_len' are the lengths of the requests' payloads: the
 * fields of later topic versions than a payload's are read as zeros, and
 * the actions of a payload of version 3 or less as the shorter actions of
 * those versions (PX_OF_ACTION_V3_LEN). */
int of_encode_packet_out(uint8_t *buf, size_t cap, uint8_t version,
                         uint32_t xid, const struct px_of_packet_out *po,
                         size_t po_len, size_t *len, const char **why);
/* of_encode_flow_mod's short path (ofp.c says which flow_mods it takes):
 * the message's length, or 0 when it does not take 'fm' (then bytes of
 * 'buf' may have been written). */
size_t of_encode_flow_mod10_simple(uint8_t *buf, size_t cap, uint32_t xid,
                                   const struct px_of_flow_mod *fm);
/* of_encode_flow_mod for every request, the short path's included. */
int of_encode_flow_mod_any(uint8_t *buf, size_t cap, uint8_t version,
                           uint32_t xid, const struct px_of_flow_mod *fm,
                           size_t fm_len, size_t *len, const char **why);

/* Inline, so that on the packet path the short path's result stays in
 * registers: as a call, with eight arguments (two on the stack) and its
 * results through memory, the call itself cost about a tenth of what the
 * encoding does. */
static inline int
of_encode_flow_mod(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                   const struct px_of_flow_mod *fm, size_t fm_len, size_t *len,
                   const char **why)
{
    /* The short path takes requests of the current topic version, as a
     * learning switch built with this SDK sends them. */
    if (version == PX_OF_VERSION_10 && fm && fm_len == sizeof *fm &&
        (*len = of_encode_flow_mod10_simple(buf, cap, xid, fm))) {
        if (why) {
            *why = NULL;
        }
        return 0;
    }
    return of_encode_flow_mod_any(buf, cap, version, xid, fm, fm_len, len,
                                  why);
}
/* 1.3's GROUP_MOD and METER_MOD: EOPNOTSUPP for 1.0; EINVAL for an
 * unknown command, type or band, NULL buckets or bands with a count, a
 * group or meter id out of range. */
int of_encode_group_mod(uint8_t *buf, size_t cap, uint8_t version,
                        uint32_t xid, const struct px_of_group_mod *gm,
                        size_t *len, const char **why);
int of_encode_meter_mod(uint8_t *buf, size_t cap, uint8_t version,
                        uint32_t xid, const struct px_of_meter_mod *mm,
                        size_t *len, const char **why);

#endif /* OF_OFP_H */
