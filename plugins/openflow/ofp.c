/*
 * The OpenFlow codec (see ofp.h): the messages the openflow plugin sends
 * and receives, in OpenFlow 1.0 (wire version 0x01) and 1.3 (0x04), turned
 * into and out of the version-neutral structs of plexus/topics/openflow.h.
 *
 * Everything here is a pure function over byte buffers: no I/O, no
 * allocation, no state.  The layouts are the wire structs of ofp_wire.h,
 * laid over the buffer: their fields are byte arrays (alignment 1, so a
 * message may start anywhere in a stream buffer), read and written with
 * the byte-order helpers of <plexus/byteorder.h>, which compile to single
 * loads and stores.
 *
 * Decoders check the message's length against the struct they lay over it
 * before reading a field of it, and every variable part (ports, hello
 * elements, OXM fields, frames) against what is left; every failure is
 * EPROTO with a static reason.  The fixed-size encoders check the room
 * once and fill in their struct.  The request encoders (packet_out,
 * flow_mod, and the table-miss flow_mod) write through a 'struct writer'
 * that appends structs and variable parts, stops writing at 'cap' but
 * keeps measuring, and remembers the first reason the message cannot be
 * sent: it does not fit (ENOBUFS), it would be longer than an OpenFlow
 * length field can say (EMSGSIZE), the request is malformed (EINVAL: an
 * unknown action, a NULL action list, a VLAN id over 12 bits), or it
 * cannot be expressed in the version (EOPNOTSUPP: a port number 1.0 has no
 * room for, a 1.3 match whose OXM prerequisites are missing, which the
 * switch would only reject).  A request that is wrong is wrong whatever
 * the room, so every other reason takes precedence over ENOBUFS: the
 * caller counts each cause apart.
 *
 * Conventions of the neutral structs that the wire forces on us:
 *  - port numbers are 32 bits; 1.0's reserved ports 0xff00..0xffff map to
 *    0xffffff00..0xffffffff (OFPP_NONE 0xffff is PX_OF_PORT_ANY), which is
 *    also how Open vSwitch converts them;
 *  - px_of_port.curr uses 1.3's bit layout: 1.0's speed bits 0..6 are the
 *    same, its medium/autoneg/pause bits 7..11 move up to 11..15;
 *  - px_of_match.dl_vlan is a VLAN id 0..4095, or 0xffff for "no VLAN tag"
 *    (1.0's OFP_VLAN_NONE, 1.3's OFPVID_NONE).
 */
#include "ofp.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ofp_wire.h"
#include "ofp_actions.h"
#include "ofp_common.h"
#include "ofp_match.h"
#include "plexus/byteorder.h"

_Static_assert(OF_HEADER_LEN == sizeof(struct ofp_header),
               "OF_HEADER_LEN is the header's size");
_Static_assert(OF_ERROR_MAX_DATA ==
                   OF_MAX_MESSAGE - sizeof(struct ofp_error_msg),
               "OF_ERROR_MAX_DATA fills a message");

/* Wire constants, named as in the specifications. */
#define OFPHET_VERSIONBITMAP 1

#define OFPMP_PORT_DESC     13
#define OFPMPF_REPLY_MORE   0x0001
#define OFPIT_APPLY_ACTIONS 4

#define OFPFC_DELETE        3
#define OFPFC_DELETE_STRICT 4
#define OFPTT_ALL           0xff

/* OXM: class OPENFLOW_BASIC and the fields we use. */
#define OFPXMT_IN_PORT  0
#define OFPXMT_ETH_DST  3
#define OFPXMT_ETH_SRC  4
#define OFPXMT_ETH_TYPE 5
#define OFPXMT_VLAN_VID 6
#define OFPXMT_IP_PROTO 10
#define OFPXMT_IPV4_SRC 11
#define OFPXMT_IPV4_DST 12
#define OFPXMT_TCP_SRC  13
#define OFPXMT_TCP_DST  14
#define OFPXMT_UDP_SRC  15
#define OFPXMT_UDP_DST  16

#define ETH_TYPE_IP   0x0800
#define ETH_TYPE_IPV6 0x86dd
#define IP_PROTO_TCP  6
#define IP_PROTO_UDP  17

/* The versions we speak, as a HELLO bitmap, and the highest of them. */
#define OUR_VERSIONS    (1u << PX_OF_VERSION_10 | 1u << PX_OF_VERSION_13)
#define OUR_MAX_VERSION PX_OF_VERSION_13

/* Where a 1.3 match's OXM fields start, from the start of the match. */
#define OFP13_MATCH_HEADER_LEN offsetof(struct ofp13_match, oxm_fields)

static bool
version_ok(uint8_t version)
{
    return version == PX_OF_VERSION_10 || version == PX_OF_VERSION_13;
}

/* Reading. */

/* Checks what every decoder needs of 'msg': a whole message ('len' equal to
 * the header's length) of 'type' in a version we speak.  The decoder then
 * checks 'len' against its own struct. */
static int
check_msg(const uint8_t *msg, size_t len, uint8_t type, const char **why)
{
    const struct ofp_header *oh = (const struct ofp_header *)msg;

    if (!msg || len < sizeof *oh) {
        return of_fail(why, "message shorter than a header");
    }
    if (px_get_be16(oh->length) != len) {
        return of_fail(why, "header length is not the message length");
    }
    if (!version_ok(oh->version)) {
        return of_fail(why, "unsupported version");
    }
    if (oh->type != type) {
        return of_fail(why, "unexpected message type");
    }
    return 0;
}

/* Copies a fixed 16-byte port name; the spec wants it NUL-terminated, but a
 * name that fills all 16 bytes is cut to 15 rather than overrun. */
static void
decode_port10(const struct ofp10_phy_port *opp, struct px_of_port *port)
{
    uint32_t curr = px_get_be32(opp->curr);

    memset(port, 0, sizeof *port);
    port->port_no = port_from_ofp10(px_get_be16(opp->port_no));
    memcpy(port->hw_addr, opp->hw_addr, OFP_ETH_ALEN);
    of_copy_string(port->name, opp->name, sizeof port->name);
    port->config = px_get_be32(opp->config);
    port->state = px_get_be32(opp->state);
    port->curr = (curr & 0x7f) | ((curr >> 7) & 0x1f) << 11;
}

void
of_decode_port13(const struct ofp13_port *op, struct px_of_port *port)
{
    memset(port, 0, sizeof *port);
    port->port_no = px_get_be32(op->port_no);
    memcpy(port->hw_addr, op->hw_addr, OFP_ETH_ALEN);
    of_copy_string(port->name, op->name, sizeof port->name);
    port->config = px_get_be32(op->config);
    port->state = px_get_be32(op->state);
    port->curr = px_get_be32(op->curr);
}

int
of_decode_hello(const uint8_t *msg, size_t len, uint32_t *bitmap,
                const char **why)
{
    const struct ofp_header *oh = (const struct ofp_header *)msg;
    const uint8_t *p;
    bool found = false;
    uint32_t versions = 0;
    size_t left;

    if (!msg || len < sizeof *oh) {
        return of_fail(why, "message shorter than a header");
    }
    if (px_get_be16(oh->length) != len) {
        return of_fail(why, "header length is not the message length");
    }
    if (oh->type != OF_HELLO) {
        return of_fail(why, "unexpected message type");
    }
    p = msg + sizeof *oh;
    left = len - sizeof *oh;

    /* Hello elements came with 1.3.1; before that the body must be
     * ignored (1.0 says so, for forward compatibility). */
    while (oh->version >= PX_OF_VERSION_13 && left) {
        const struct ofp_hello_elem_header *oheh =
            (const struct ofp_hello_elem_header *)p;
        uint16_t elen;
        size_t skip;

        if (left < sizeof *oheh) {
            return of_fail(why, "truncated hello element");
        }
        elen = px_get_be16(oheh->length);
        if (elen < sizeof *oheh) {
            /* Zero would loop forever in a naive parser. */
            return of_fail(why, "hello element length below 4");
        }
        if (elen > left) {
            return of_fail(why, "hello element overruns the message");
        }
        if (px_get_be16(oheh->type) == OFPHET_VERSIONBITMAP) {
            const struct ofp_hello_elem_versionbitmap *ohev =
                (const struct ofp_hello_elem_versionbitmap *)p;
            size_t bits_len = elen - sizeof *ohev;

            if (!bits_len || bits_len % 4) {
                return of_fail(why, "bad version bitmap length");
            }
            /* The last one counts, as in OVS.  Only the first word
             * matters (versions 0..31); bit 0 is no version. */
            versions = px_get_be32(ohev->bitmaps) & ~1u;
            found = true;
        }
        /* Elements are padded to 8 bytes; tolerate a last one that is
         * not. */
        skip = PAD8(elen) < left ? PAD8(elen) : left;
        p += skip;
        left -= skip;
    }

    /* Without a bitmap the spec negotiates the smaller of the two header
     * versions, so a peer announcing more than we speak (Open vSwitch 3.1
     * sends a bare 1.5 HELLO by default) gets our highest. */
    *bitmap = found ? versions
                    : 1u << (oh->version < OUR_MAX_VERSION ? oh->version
                                                           : OUR_MAX_VERSION);
    return 0;
}

uint8_t
of_negotiate(uint32_t theirs)
{
    uint32_t common = theirs & OUR_VERSIONS;

    if (common & 1u << PX_OF_VERSION_13) {
        return PX_OF_VERSION_13;
    } else if (common & 1u << PX_OF_VERSION_10) {
        return PX_OF_VERSION_10;
    }
    return 0;
}

int
of_decode_features_reply(const uint8_t *msg, size_t len, struct of_features *f,
                         struct px_of_port *ports, size_t max_ports,
                         size_t *n_ports, const char **why)
{
    size_t n = 0, i;
    int error;

    error = check_msg(msg, len, OF_FEATURES_REPLY, why);
    if (error) {
        return error;
    }
    /* Both versions' fixed parts are 32 bytes. */
    if (len < sizeof(struct ofp10_switch_features)) {
        return of_fail(why, "truncated features reply");
    }
    if (msg[0] == PX_OF_VERSION_13) {
        const struct ofp13_switch_features *osf =
            (const struct ofp13_switch_features *)msg;

        if (len > sizeof *osf) {
            return of_fail(why, "1.3 features reply longer than 32 bytes");
        }
        memset(f, 0, sizeof *f);
        f->dpid = px_get_be64(osf->datapath_id);
        f->n_buffers = px_get_be32(osf->n_buffers);
        f->n_tables = osf->n_tables;
        f->capabilities = px_get_be32(osf->capabilities);
    } else {
        const struct ofp10_switch_features *osf =
            (const struct ofp10_switch_features *)msg;
        size_t ports_len = len - sizeof *osf;

        if (ports_len % sizeof osf->ports[0]) {
            return of_fail(why, "features reply ports not 48 bytes each");
        }
        n = ports_len / sizeof osf->ports[0];
        if (n > max_ports) {
            return of_fail(why, "more ports than max_ports");
        }
        memset(f, 0, sizeof *f);
        f->dpid = px_get_be64(osf->datapath_id);
        f->n_buffers = px_get_be32(osf->n_buffers);
        f->n_tables = osf->n_tables;
        f->capabilities = px_get_be32(osf->capabilities);
        for (i = 0; i < n; i++) {
            decode_port10(&osf->ports[i], &ports[i]);
        }
    }
    *n_ports = n;
    return 0;
}

int
of_decode_port_desc_reply(const uint8_t *msg, size_t len,
                          struct px_of_port *ports, size_t max_ports,
                          size_t *n_ports, int *more, const char **why)
{
    const struct ofp13_multipart_reply *omr =
        (const struct ofp13_multipart_reply *)msg;
    const struct ofp13_port *op;
    size_t body_len, n, i;
    int error;

    error = check_msg(msg, len, OF_MULTIPART_REPLY_13, why);
    if (error) {
        return error;
    }
    if (msg[0] != PX_OF_VERSION_13) {
        return of_fail(why, "port description reply is 1.3 only");
    }
    if (len < sizeof *omr) {
        return of_fail(why, "truncated multipart reply");
    }
    if (px_get_be16(omr->type) != OFPMP_PORT_DESC) {
        return of_fail(why, "multipart reply is not a port description");
    }
    body_len = len - sizeof *omr;
    if (body_len % sizeof *op) {
        return of_fail(why, "port description not 64 bytes per port");
    }
    n = body_len / sizeof *op;
    if (*n_ports > max_ports || n > max_ports - *n_ports) {
        return of_fail(why, "more ports than max_ports");
    }
    op = (const struct ofp13_port *)omr->body;
    for (i = 0; i < n; i++) {
        of_decode_port13(&op[i], &ports[*n_ports + i]);
    }
    *n_ports += n;
    *more = (px_get_be16(omr->flags) & OFPMPF_REPLY_MORE) != 0;
    return 0;
}

/* The in_port of a 1.3 packet-in's decoded match, which must have it (a
 * context field the spec requires there); like OVS, an all-ones mask on
 * it, which it does not take, counts as none. */
static int
fields_in_port(struct px_of_field *f, size_t n, uint32_t *in_port,
               const char **why)
{
    static const uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff};
    size_t i;

    for (i = 0; i < n; i++) {
        if (f[i].id != PX_OF_F_IN_PORT) {
            continue;
        }
        if (f[i].has_mask) {
            if (memcmp(f[i].mask, ones, sizeof ones)) {
                return of_fail(why, "bad OXM in_port");
            }
            f[i].has_mask = 0;
            memset(f[i].mask, 0, sizeof ones);
        }
        *in_port = px_get_be32(f[i].value);
        return 0;
    }
    return of_fail(why, "packet-in match without in_port");
}

/* A 1.3 packet-in, whose header check_msg passed.  Out of line: decoding
 * its match needs registers and stack that the 1.0 packet-in, the other
 * case of of_decode_packet_in, would otherwise save and set up too. */
static __attribute__((noinline)) int
decode_packet_in13(const uint8_t *msg, size_t len, struct px_of_packet_in *pi,
                   struct px_of_field *fields, const char **why)
{
    const struct ofp13_packet_in *opi = (const struct ofp13_packet_in *)msg;
    size_t match_size = 0, frame_ofs, n_fields = 0;
    uint32_t in_port = 0;
    int error;

    if (len < offsetof(struct ofp13_packet_in, match)) {
        return of_fail(why, "truncated packet-in");
    }
    error = of_decode_match13(msg + offsetof(struct ofp13_packet_in, match),
                              len - offsetof(struct ofp13_packet_in, match),
                              fields, &n_fields, &match_size, why);
    if (error || (error = fields_in_port(fields, n_fields, &in_port, why))) {
        return error;
    }
    /* The match is padded to 8 bytes, then come 2 bytes of pad. */
    frame_ofs = offsetof(struct ofp13_packet_in, match) + match_size + 2;
    if (frame_ofs > len) {
        return of_fail(why, "packet-in match overruns the message");
    }
    memset(pi, 0, sizeof *pi);
    pi->version = PX_OF_VERSION_13;
    pi->buffer_id = px_get_be32(opi->buffer_id);
    pi->total_len = px_get_be16(opi->total_len);
    pi->in_port = in_port;
    pi->reason = opi->reason;
    pi->table_id = opi->table_id;
    pi->cookie = px_get_be64(opi->cookie);
    pi->frame = msg + frame_ofs;
    pi->frame_len = len - frame_ofs;
    pi->n_match = n_fields;
    pi->match = fields;
    return 0;
}

int
of_decode_packet_in(const uint8_t *msg, size_t len, struct px_of_packet_in *pi,
                    struct px_of_field *fields, const char **why)
{
    const struct ofp10_packet_in *opi = (const struct ofp10_packet_in *)msg;
    int error;

    error = check_msg(msg, len, OF_PACKET_IN, why);
    if (error) {
        return error;
    }
    if (msg[0] != PX_OF_VERSION_10) {
        return decode_packet_in13(msg, len, pi, fields, why);
    }
    if (len < sizeof *opi) {
        return of_fail(why, "truncated packet-in");
    }
    memset(pi, 0, sizeof *pi);
    pi->version = PX_OF_VERSION_10;
    pi->buffer_id = px_get_be32(opi->buffer_id);
    pi->total_len = px_get_be16(opi->total_len);
    pi->in_port = port_from_ofp10(px_get_be16(opi->in_port));
    pi->reason = opi->reason;
    /* The frame may be shorter than total_len (a switch that buffered
     * the packet sends max_len or miss_send_len bytes of it); OVS, which
     * has no buffers, sends it whole. */
    pi->frame = opi->data;
    pi->frame_len = len - sizeof *opi;
    return 0;
}

int
of_decode_port_status(const uint8_t *msg, size_t len,
                      struct px_of_port_status *ps, const char **why)
{
    int error;

    error = check_msg(msg, len, OF_PORT_STATUS, why);
    if (error) {
        return error;
    }
    if (msg[0] == PX_OF_VERSION_10) {
        const struct ofp10_port_status *ops =
            (const struct ofp10_port_status *)msg;

        if (len != sizeof *ops) {
            return of_fail(why, "bad port status length");
        }
        if (ops->reason > PX_OF_PORT_MODIFY) {
            return of_fail(why, "bad port status reason");
        }
        memset(ps, 0, sizeof *ps);
        ps->reason = ops->reason;
        decode_port10(&ops->desc, &ps->port);
    } else {
        const struct ofp13_port_status *ops =
            (const struct ofp13_port_status *)msg;

        if (len != sizeof *ops) {
            return of_fail(why, "bad port status length");
        }
        if (ops->reason > PX_OF_PORT_MODIFY) {
            return of_fail(why, "bad port status reason");
        }
        memset(ps, 0, sizeof *ps);
        ps->reason = ops->reason;
        of_decode_port13(&ops->desc, &ps->port);
    }
    return 0;
}

int
of_decode_error(const uint8_t *msg, size_t len, struct px_of_error *e,
                const char **why)
{
    const struct ofp_error_msg *oem = (const struct ofp_error_msg *)msg;
    int error;

    error = check_msg(msg, len, OF_ERROR, why);
    if (error) {
        return error;
    }
    if (len < sizeof *oem) {
        return of_fail(why, "truncated error");
    }
    memset(e, 0, sizeof *e);
    /* A 1.3 experimenter error (type 0xffff) has exp_type here and the
     * experimenter id as the first 4 bytes of 'data'. */
    e->type = px_get_be16(oem->type);
    e->code = px_get_be16(oem->code);
    e->data = oem->data;
    e->data_len = len - sizeof *oem;
    return 0;
}

int
of_decode_flow_removed(const uint8_t *msg, size_t len,
                       struct px_of_flow_removed *fr,
                       struct px_of_field *fields, const char **why)
{
    int error = check_msg(msg, len, OF_FLOW_REMOVED, why);

    if (error) {
        return error;
    }
    memset(fr, 0, sizeof *fr);
    fr->version = msg[0];
    fr->match = fields;
    if (msg[0] == PX_OF_VERSION_10) {
        const struct ofp10_flow_removed *ofr =
            (const struct ofp10_flow_removed *)msg;

        if (len != sizeof *ofr) {
            return of_fail(why, "flow_removed of the wrong length");
        }
        of_decode_match10(&ofr->match, fields, &fr->n_match);
        fr->cookie = px_get_be64(ofr->cookie);
        fr->priority = px_get_be16(ofr->priority);
        fr->reason = ofr->reason;
        fr->duration_sec = px_get_be32(ofr->duration_sec);
        fr->duration_nsec = px_get_be32(ofr->duration_nsec);
        fr->idle_timeout = px_get_be16(ofr->idle_timeout);
        fr->packet_count = px_get_be64(ofr->packet_count);
        fr->byte_count = px_get_be64(ofr->byte_count);
    } else {
        const struct ofp13_flow_removed *ofr =
            (const struct ofp13_flow_removed *)msg;
        size_t size = 0;

        if (len < offsetof(struct ofp13_flow_removed, match)) {
            return of_fail(why, "truncated flow_removed");
        }
        error =
            of_decode_match13(msg + offsetof(struct ofp13_flow_removed, match),
                              len - offsetof(struct ofp13_flow_removed, match),
                              fields, &fr->n_match, &size, why);
        if (error) {
            return error;
        }
        if (offsetof(struct ofp13_flow_removed, match) + size != len) {
            return of_fail(why, "bytes after a flow_removed's match");
        }
        fr->cookie = px_get_be64(ofr->cookie);
        fr->priority = px_get_be16(ofr->priority);
        fr->reason = ofr->reason;
        fr->table_id = ofr->table_id;
        fr->duration_sec = px_get_be32(ofr->duration_sec);
        fr->duration_nsec = px_get_be32(ofr->duration_nsec);
        fr->idle_timeout = px_get_be16(ofr->idle_timeout);
        fr->hard_timeout = px_get_be16(ofr->hard_timeout);
        fr->packet_count = px_get_be64(ofr->packet_count);
        fr->byte_count = px_get_be64(ofr->byte_count);
    }
    return 0;
}

/* Writing: the fixed-size messages. */

/* Fills in the header of a message of 'len' bytes at 'buf', if 'cap'
 * bytes hold it, and returns 'buf' for the caller to fill in the rest;
 * otherwise NULL. */
static void *
start_fixed(uint8_t *buf, size_t cap, size_t len, uint8_t version,
            uint8_t type, uint32_t xid)
{
    struct ofp_header *oh = (struct ofp_header *)buf;

    if (!buf || len > cap) {
        return NULL;
    }
    oh->version = version;
    oh->type = type;
    px_put_be16(oh->length, len);
    px_put_be32(oh->xid, xid);
    return oh;
}

size_t
of_encode_hello(uint8_t *buf, size_t cap, uint32_t xid)
{
    /* The header, then one element: a bitmap of one 32-bit word. */
    enum { ELEM_LEN = sizeof(struct ofp_hello_elem_versionbitmap) + 4 };
    struct ofp_hello_elem_versionbitmap *ohev;
    uint8_t *hello;

    hello = start_fixed(buf, cap, sizeof(struct ofp_header) + ELEM_LEN,
                        OUR_MAX_VERSION, OF_HELLO, xid);
    if (!hello) {
        return 0;
    }
    ohev = (struct ofp_hello_elem_versionbitmap *)(hello +
                                                   sizeof(struct ofp_header));
    px_put_be16(ohev->type, OFPHET_VERSIONBITMAP);
    px_put_be16(ohev->length, ELEM_LEN);
    px_put_be32(ohev->bitmaps, OUR_VERSIONS);
    return sizeof(struct ofp_header) + ELEM_LEN;
}

size_t
of_encode_error(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                uint16_t type, uint16_t code, const void *data,
                size_t data_len)
{
    struct ofp_error_msg *oem;

    if (!version_ok(version) || (data_len && !data) ||
        data_len > OF_ERROR_MAX_DATA) {
        return 0;
    }
    oem =
        start_fixed(buf, cap, sizeof *oem + data_len, version, OF_ERROR, xid);
    if (!oem) {
        return 0;
    }
    px_put_be16(oem->type, type);
    px_put_be16(oem->code, code);
    if (data_len) {
        memcpy(oem->data, data, data_len);
    }
    return sizeof *oem + data_len;
}

/* A message that is a header alone. */
static size_t
encode_header_only(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
                   uint32_t xid)
{
    if (!version_ok(version) ||
        !start_fixed(buf, cap, sizeof(struct ofp_header), version, type,
                     xid)) {
        return 0;
    }
    return sizeof(struct ofp_header);
}

size_t
of_encode_echo_request(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid)
{
    return encode_header_only(buf, cap, version, OF_ECHO_REQUEST, xid);
}

size_t
of_encode_echo_reply(uint8_t *buf, size_t cap, const uint8_t *request,
                     size_t request_len)
{
    const struct ofp_header *oh = (const struct ofp_header *)request;

    if (!buf || !request || request_len < sizeof *oh || request_len > cap ||
        px_get_be16(oh->length) != request_len ||
        oh->type != OF_ECHO_REQUEST) {
        return 0;
    }
    /* memmove: replying in place, over the request, is allowed. */
    memmove(buf, request, request_len);
    ((struct ofp_header *)buf)->type = OF_ECHO_REPLY;
    return request_len;
}

size_t
of_encode_features_request(uint8_t *buf, size_t cap, uint8_t version,
                           uint32_t xid)
{
    return encode_header_only(buf, cap, version, OF_FEATURES_REQUEST, xid);
}

size_t
of_encode_set_config(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid)
{
    struct ofp_switch_config *osc;

    if (!version_ok(version)) {
        return 0;
    }
    osc = start_fixed(buf, cap, sizeof *osc, version, OF_SET_CONFIG, xid);
    if (!osc) {
        return 0;
    }
    px_put_be16(osc->flags, 0);              /* OFPC_FRAG_NORMAL. */
    px_put_be16(osc->miss_send_len, 0xffff); /* Whole frames. */
    return sizeof *osc;
}

size_t
of_encode_port_desc_request(uint8_t *buf, size_t cap, uint32_t xid)
{
    struct ofp13_multipart_request *omr;

    omr = start_fixed(buf, cap, sizeof *omr, PX_OF_VERSION_13,
                      OF_MULTIPART_REQUEST_13, xid);
    if (!omr) {
        return 0;
    }
    px_put_be16(omr->type, OFPMP_PORT_DESC);
    px_put_be16(omr->flags, 0);
    memset(omr->pad, 0, sizeof omr->pad);
    return sizeof *omr;
}

size_t
of_encode_barrier_request(uint8_t *buf, size_t cap, uint8_t version,
                          uint32_t xid)
{
    return encode_header_only(buf, cap, version,
                              version == PX_OF_VERSION_10
                                  ? OF_BARRIER_REQUEST_10
                                  : OF_BARRIER_REQUEST_13,
                              xid);
}

size_t
of_encode_role_request(uint8_t *buf, size_t cap, uint32_t xid, uint32_t role,
                       uint64_t generation_id)
{
    struct ofp13_role_request *orr = start_fixed(
        buf, cap, sizeof *orr, PX_OF_VERSION_13, OF_ROLE_REQUEST_13, xid);

    if (!orr) {
        return 0;
    }
    px_put_be32(orr->role, role);
    memset(orr->pad, 0, sizeof orr->pad);
    px_put_be64(orr->generation_id, generation_id);
    return sizeof *orr;
}

size_t
of_encode_async(uint8_t *buf, size_t cap, uint32_t xid,
                const struct px_of_async_config *config)
{
    struct ofp13_async_config *oac;
    size_t i;

    if (!config) {
        return encode_header_only(buf, cap, PX_OF_VERSION_13,
                                  OF_GET_ASYNC_REQUEST_13, xid);
    }
    oac = start_fixed(buf, cap, sizeof *oac, PX_OF_VERSION_13, OF_SET_ASYNC_13,
                      xid);
    if (!oac) {
        return 0;
    }
    for (i = 0; i < 2; i++) {
        px_put_be32(oac->packet_in_mask[i], config->packet_in_mask[i]);
        px_put_be32(oac->port_status_mask[i], config->port_status_mask[i]);
        px_put_be32(oac->flow_removed_mask[i], config->flow_removed_mask[i]);
    }
    return sizeof *oac;
}

int
of_decode_async_reply(const uint8_t *msg, size_t len,
                      struct px_of_async_config *config, const char **why)
{
    const struct ofp13_async_config *oac =
        (const struct ofp13_async_config *)msg;
    int error = check_msg(msg, len, OF_GET_ASYNC_REPLY_13, why);
    size_t i;

    if (error) {
        return error;
    }
    if (msg[0] != PX_OF_VERSION_13 || len != sizeof *oac) {
        return of_fail(why, "GET_ASYNC_REPLY of the wrong version or length");
    }
    for (i = 0; i < 2; i++) {
        config->packet_in_mask[i] = px_get_be32(oac->packet_in_mask[i]);
        config->port_status_mask[i] = px_get_be32(oac->port_status_mask[i]);
        config->flow_removed_mask[i] = px_get_be32(oac->flow_removed_mask[i]);
    }
    return 0;
}

int
of_decode_role_reply(const uint8_t *msg, size_t len, uint32_t *role,
                     uint64_t *generation_id, const char **why)
{
    const struct ofp13_role_request *orr =
        (const struct ofp13_role_request *)msg;
    int error = check_msg(msg, len, OF_ROLE_REPLY_13, why);

    if (error) {
        return error;
    }
    if (orr->header.version != PX_OF_VERSION_13) {
        return of_fail(why, "ROLE_REPLY is 1.3's");
    }
    if (len != sizeof *orr) {
        return of_fail(why, "ROLE_REPLY of the wrong length");
    }
    *role = px_get_be32(orr->role);
    *generation_id = px_get_be64(orr->generation_id);
    return 0;
}

/* Writing: the requests, which have variable parts (ofp_common.h). */

static bool
vlan_ok(uint16_t vlan)
{
    return vlan <= 0xfff || vlan == OFP_VLAN_NONE;
}

/* Fills in the 1.0 match 'om' (zeros; NULL when there was no room for it)
 * from 'm'.  What 1.0 cannot take is refused whether or not there was
 * room.  Wildcarded fields stay zeros, as OVS writes them. */
static void
encode_match10(struct writer *w, const struct px_of_match *m,
               struct ofp10_match *om)
{
    /* The 1.0 wildcard bits each PX_OF_MATCH_* field clears, by the
     * field's bit number; an exact address clears its whole mask. */
#define BIT(FIELD) __builtin_ctz(PX_OF_MATCH_##FIELD)
    static const uint32_t exact[] = {
        [BIT(IN_PORT)] = OFPFW10_IN_PORT,
        [BIT(DL_SRC)] = OFPFW10_DL_SRC,
        [BIT(DL_DST)] = OFPFW10_DL_DST,
        [BIT(DL_VLAN)] = OFPFW10_DL_VLAN,
        [BIT(DL_TYPE)] = OFPFW10_DL_TYPE,
        [BIT(NW_PROTO)] = OFPFW10_NW_PROTO,
        [BIT(NW_SRC)] = OFPFW10_NW_MASK << OFPFW10_NW_SRC_SHIFT,
        [BIT(NW_DST)] = OFPFW10_NW_MASK << OFPFW10_NW_DST_SHIFT,
        [BIT(TP_SRC)] = OFPFW10_TP_SRC,
        [BIT(TP_DST)] = OFPFW10_TP_DST,
    };
#undef BIT
    uint32_t f = m->fields;
    uint32_t wc = OFPFW10_ALL, bits;
    uint16_t in_port = 0;

    /* One step per field present rather than a test per field known: a
     * flow_mod's match usually has few. */
    for (bits = f & ((1u << sizeof exact / sizeof *exact) - 1); bits;
         bits &= bits - 1) {
        wc &= ~exact[__builtin_ctz(bits)];
    }
    if ((f & PX_OF_MATCH_IN_PORT) && !port_to_ofp10(m->in_port, &in_port)) {
        refuse(w, EOPNOTSUPP, "match in_port has no OpenFlow 1.0 number");
    }
    if ((f & PX_OF_MATCH_DL_VLAN) && !vlan_ok(m->dl_vlan)) {
        refuse(w, EINVAL, "match VLAN id over 12 bits");
    }
    if (!om) {
        return;
    }

    px_put_be32(om->wildcards, wc);
    px_put_be16(om->in_port, in_port);
    if (f & PX_OF_MATCH_DL_SRC) {
        memcpy(om->dl_src, m->dl_src, OFP_ETH_ALEN);
    }
    if (f & PX_OF_MATCH_DL_DST) {
        memcpy(om->dl_dst, m->dl_dst, OFP_ETH_ALEN);
    }
    /* put() zeroed the match: a learning switch's (in_port and the two
     * MACs) needs nothing more. */
    if (!(f &
          ~(PX_OF_MATCH_IN_PORT | PX_OF_MATCH_DL_SRC | PX_OF_MATCH_DL_DST))) {
        return;
    }
    px_put_be16(om->dl_vlan, f & PX_OF_MATCH_DL_VLAN ? m->dl_vlan : 0);
    px_put_be16(om->dl_type, f & PX_OF_MATCH_DL_TYPE ? m->dl_type : 0);
    om->nw_proto = f & PX_OF_MATCH_NW_PROTO ? m->nw_proto : 0;
    px_put_be32(om->nw_src, f & PX_OF_MATCH_NW_SRC ? m->nw_src : 0);
    px_put_be32(om->nw_dst, f & PX_OF_MATCH_NW_DST ? m->nw_dst : 0);
    px_put_be16(om->tp_src, f & PX_OF_MATCH_TP_SRC ? m->tp_src : 0);
    px_put_be16(om->tp_dst, f & PX_OF_MATCH_TP_DST ? m->tp_dst : 0);
}

/* An OXM match.  Fields go in OXM field order, which puts every
 * prerequisite (ETH_TYPE, IP_PROTO) before the fields needing it; a field
 * whose prerequisite is missing cannot be expressed in 1.3 (EOPNOTSUPP),
 * as the switch would refuse it (OFPBMC_BAD_PREREQ), whereas 1.0 takes
 * it. */
static void
put_match13(struct writer *w, const struct px_of_match *m)
{
    uint32_t f = m->fields;
    size_t start = w->len;
    bool ip = (f & PX_OF_MATCH_DL_TYPE) && m->dl_type == ETH_TYPE_IP;
    bool ip_any =
        ip || ((f & PX_OF_MATCH_DL_TYPE) && m->dl_type == ETH_TYPE_IPV6);
    bool tcp = (f & PX_OF_MATCH_NW_PROTO) && m->nw_proto == IP_PROTO_TCP;
    bool udp = (f & PX_OF_MATCH_NW_PROTO) && m->nw_proto == IP_PROTO_UDP;
    struct ofp13_match *om;

    /* The match's type and length; its OXM fields follow. */
    om = put(w, OFP13_MATCH_HEADER_LEN);
    if (om) {
        px_put_be16(om->type, OFPMT_OXM);
    }
    if (f & PX_OF_MATCH_IN_PORT) {
        put_oxm_be32(w, OFPXMT_IN_PORT, m->in_port);
    }
    if (f & PX_OF_MATCH_DL_DST) {
        put_oxm(w, OFPXMT_ETH_DST, m->dl_dst, OFP_ETH_ALEN);
    }
    if (f & PX_OF_MATCH_DL_SRC) {
        put_oxm(w, OFPXMT_ETH_SRC, m->dl_src, OFP_ETH_ALEN);
    }
    if (f & PX_OF_MATCH_DL_TYPE) {
        put_oxm_be16(w, OFPXMT_ETH_TYPE, m->dl_type);
    }
    if (f & PX_OF_MATCH_DL_VLAN) {
        if (!vlan_ok(m->dl_vlan)) {
            refuse(w, EINVAL, "match VLAN id over 12 bits");
        }
        put_oxm_be16(w, OFPXMT_VLAN_VID,
                     m->dl_vlan == OFP_VLAN_NONE
                         ? 0
                         : (uint16_t)(m->dl_vlan | OFPVID_PRESENT));
    }
    if (f & PX_OF_MATCH_NW_PROTO) {
        if (!ip_any) {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.3 match: nw_proto without an IP dl_type");
        }
        put_oxm(w, OFPXMT_IP_PROTO, &m->nw_proto, 1);
    }
    if (f & PX_OF_MATCH_NW_SRC) {
        if (!ip) {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.3 match: nw_src without dl_type IPv4");
        }
        put_oxm_be32(w, OFPXMT_IPV4_SRC, m->nw_src);
    }
    if (f & PX_OF_MATCH_NW_DST) {
        if (!ip) {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.3 match: nw_dst without dl_type IPv4");
        }
        put_oxm_be32(w, OFPXMT_IPV4_DST, m->nw_dst);
    }
    if (f & (PX_OF_MATCH_TP_SRC | PX_OF_MATCH_TP_DST) &&
        (!ip_any || (!tcp && !udp))) {
        refuse(w, EOPNOTSUPP,
               "OpenFlow 1.3 match: TCP/UDP port without nw_proto TCP or UDP");
    }
    if (f & PX_OF_MATCH_TP_SRC) {
        put_oxm_be16(w, tcp ? OFPXMT_TCP_SRC : OFPXMT_UDP_SRC, m->tp_src);
    }
    if (f & PX_OF_MATCH_TP_DST) {
        put_oxm_be16(w, tcp ? OFPXMT_TCP_DST : OFPXMT_UDP_DST, m->tp_dst);
    }
    patch_len(w, start + offsetof(struct ofp13_match, length), start);
    put_pad8(w, start);
}

int
of_encode_packet_out(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                     const struct px_of_packet_out *po, size_t po_len,
                     size_t *len, const char **why)
{
    struct writer w = writer_init(buf, cap);
    size_t actions_len_ofs, actions_start;

    if (!version_ok(version)) {
        refuse(&w, EINVAL, "version is neither 1.0 nor 1.3");
    } else if (!po || po_len < PX_OF_PACKET_OUT_V1_LEN) {
        refuse(&w, EINVAL, "no request, or one shorter than a packet_out");
    } else if (po->frame_len && !po->frame) {
        refuse(&w, EINVAL, "frame missing (NULL with frame_len > 0)");
    }
    if (w.error) {
        return finish_request(&w, len, why);
    }
    if (version == PX_OF_VERSION_10) {
        struct ofp10_packet_out *opo;
        uint16_t in_port = 0;

        if (!port_to_ofp10(po->in_port, &in_port)) {
            refuse(&w, EOPNOTSUPP, "in_port has no OpenFlow 1.0 number");
        }
        opo = put_msg(&w, sizeof *opo, version, OF_PACKET_OUT, xid);
        if (opo) {
            px_put_be32(opo->buffer_id, po->buffer_id);
            px_put_be16(opo->in_port, in_port);
        }
        actions_len_ofs = offsetof(struct ofp10_packet_out, actions_len);
    } else {
        struct ofp13_packet_out *opo =
            put_msg(&w, sizeof *opo, version, OF_PACKET_OUT, xid);

        if (opo) {
            px_put_be32(opo->buffer_id, po->buffer_id);
            px_put_be32(opo->in_port, po->in_port);
        }
        actions_len_ofs = offsetof(struct ofp13_packet_out, actions_len);
    }
    actions_start = w.len;
    of_put_actions(&w, version, po->actions, po->n_actions,
                   po_len >= sizeof *po ? sizeof *po->actions
                                        : PX_OF_ACTION_V3_LEN);
    patch_len(&w, actions_len_ofs, actions_start);
    /* A buffered packet is already at the switch. */
    if (po->buffer_id == PX_OF_NO_BUFFER) {
        put_bytes(&w, po->frame, po->frame_len);
    }
    return finish_request(&w, len, why);
}

static bool
is_delete(uint8_t command)
{
    return command == OFPFC_DELETE || command == OFPFC_DELETE_STRICT;
}

/* The 1.3 flow_mod, shared with the table-miss flow: the writer, for the
 * caller to finish.  'stride' is the size of fm->actions' elements (see
 * of_put_actions). */
static struct writer
encode_flow_mod13(uint8_t *buf, size_t cap, uint32_t xid,
                  const struct px_of_flow_mod *fm, size_t stride)
{
    struct writer w = writer_init(buf, cap);
    struct ofp13_flow_mod *ofm;

    /* The fixed part, up to the match, which the match's writer writes. */
    ofm = put_msg(&w, offsetof(struct ofp13_flow_mod, match), PX_OF_VERSION_13,
                  OF_FLOW_MOD, xid);
    if (ofm) {
        px_put_be64(ofm->cookie, fm->cookie);
        px_put_be64(ofm->cookie_mask, fm->cookie_mask);
        ofm->table_id = fm->table_id;
        ofm->command = fm->command;
        px_put_be16(ofm->idle_timeout, fm->idle_timeout);
        px_put_be16(ofm->hard_timeout, fm->hard_timeout);
        px_put_be16(ofm->priority, fm->priority);
        px_put_be32(ofm->buffer_id, fm->buffer_id);
        px_put_be32(ofm->out_port, fm->filters & PX_OF_FILTER_OUT_PORT
                                       ? fm->out_port
                                       : PX_OF_PORT_ANY);
        px_put_be32(ofm->out_group, fm->filters & PX_OF_FILTER_OUT_GROUP
                                        ? fm->out_group
                                        : OFPG_ANY);
        px_put_be16(ofm->flags, fm->flags);
    }
    if (fm->n_fields) {
        of_put_fields13(&w, fm->fields, fm->n_fields);
    } else {
        put_match13(&w, &fm->match);
    }
    /* No instruction means drop; a delete takes none. */
    if (is_delete(fm->command)) {
        return w;
    }
    if (fm->n_instructions) {
        of_put_instructions(&w, PX_OF_VERSION_13, fm->instructions,
                            fm->n_instructions);
    } else if (fm->n_actions) {
        size_t start = w.len;
        struct ofp13_instruction_actions *oia = put(&w, sizeof *oia);

        if (oia) {
            px_put_be16(oia->type, OFPIT_APPLY_ACTIONS);
        }
        of_put_actions(&w, PX_OF_VERSION_13, fm->actions, fm->n_actions,
                       stride);
        patch_len(&w, start + offsetof(struct ofp13_instruction_actions, len),
                  start);
    }
    return w;
}

size_t
of_encode_table_miss(uint8_t *buf, size_t cap, uint32_t xid)
{
    static const struct px_of_action to_controller = {
        .type = PX_OF_ACTION_OUTPUT,
        .port = PX_OF_PORT_CONTROLLER,
        .max_len = OFPCML_NO_BUFFER,
    };
    struct px_of_flow_mod fm = {
        .command = PX_OF_FLOW_ADD,
        .table_id = 0,
        .priority = 0,
        .buffer_id = PX_OF_NO_BUFFER,
        .n_actions = 1,
        .actions = &to_controller,
    };

    struct writer w =
        encode_flow_mod13(buf, cap, xid, &fm, sizeof fm.actions[0]);

    return finish(&w);
}

/* The fields of a 1.0 flow_mod between its match and its actions;
 * 'out_port' is the filter's port, already a 1.0 number. */
static inline void
put_flow_mod10_fields(struct ofp10_flow_mod *ofm,
                      const struct px_of_flow_mod *fm, uint16_t out_port)
{
    px_put_be64(ofm->cookie, fm->cookie);
    px_put_be16(ofm->command, fm->command);
    px_put_be16(ofm->idle_timeout, fm->idle_timeout);
    px_put_be16(ofm->hard_timeout, fm->hard_timeout);
    px_put_be16(ofm->priority, fm->priority);
    px_put_be32(ofm->buffer_id, fm->buffer_id);
    px_put_be16(ofm->out_port, out_port);
    px_put_be16(ofm->flags, fm->flags);
}

/* The flow_mod a learning switch sends for nearly every packet-in: 1.0,
 * a match on no more than in_port and the two MACs, outputs only, none of
 * version 4's fields, a payload of the current topic version (so actions
 * of the current layout), room for it all.  Written straight into 'buf',
 * since for these nothing can fail once the ports are known to have 1.0
 * numbers: the writer's checks at every step were a fifth of the
 * controller's instructions per packet-in.  Returns the length, or 0 when
 * 'fm' is not such a flow_mod (the general encoder then writes it, or says
 * why it cannot); both give the same bytes (tests/unit/test_ofp.c). */
/* Zeroes a 1.0 flow_mod's fixed part with nine 8-byte stores.  memset
 * would be shorter to read, but GCC trims it to the bytes not written
 * after it and writes the odd size left with 'rep stos', which costs the
 * short path a third more time. */
static inline void
zero_flow_mod10(struct ofp10_flow_mod *ofm)
{
    static const uint64_t zero = 0;
    uint8_t *p = (uint8_t *)ofm;

    _Static_assert(sizeof *ofm == 9 * sizeof zero, "72 bytes");
    memcpy(p, &zero, 8);
    memcpy(p + 8, &zero, 8);
    memcpy(p + 16, &zero, 8);
    memcpy(p + 24, &zero, 8);
    memcpy(p + 32, &zero, 8);
    memcpy(p + 40, &zero, 8);
    memcpy(p + 48, &zero, 8);
    memcpy(p + 56, &zero, 8);
    memcpy(p + 64, &zero, 8);
}

size_t
of_encode_flow_mod10_simple(uint8_t *buf, size_t cap, uint32_t xid,
                            const struct px_of_flow_mod *fm)
{
    enum { MAX_OUTPUTS = 4 };
    const uint32_t simple =
        PX_OF_MATCH_IN_PORT | PX_OF_MATCH_DL_SRC | PX_OF_MATCH_DL_DST;
    const struct px_of_match *m = &fm->match;
    uint16_t in_port = 0;
    struct ofp10_flow_mod *ofm;
    uint32_t wc = OFPFW10_ALL;
    size_t i, n = fm->n_actions, total;

    if ((m->fields & ~simple) || n > MAX_OUTPUTS || (n && !fm->actions) ||
        fm->command > OFPFC_DELETE_STRICT || is_delete(fm->command) ||
        (fm->table_id | fm->cookie_mask | fm->flags | fm->filters |
         fm->n_fields | fm->n_instructions)) {
        return 0;
    }
    total = sizeof *ofm + n * sizeof(struct ofp10_action_output);
    if (!buf || cap < total) {
        return 0;
    }
    if (m->fields & PX_OF_MATCH_IN_PORT) {
        if (!port_to_ofp10(m->in_port, &in_port)) {
            return 0;
        }
        wc &= ~OFPFW10_IN_PORT;
    }
    ofm = (struct ofp10_flow_mod *)buf;
    /* The actions are checked as they are written, in one pass rather
     * than a pass to check and one to write: an action the short path
     * cannot write returns 0 with bytes of 'buf' written, which is
     * allowed (the caller commits nothing, and the general encoder writes
     * from the start of 'buf'). */
    for (i = 0; i < n; i++) {
        struct ofp10_action_output *oao =
            (struct ofp10_action_output *)(ofm->actions + i * sizeof *oao);
        uint16_t port;

        if (fm->actions[i].type != PX_OF_ACTION_OUTPUT ||
            !port_to_ofp10(fm->actions[i].port, &port)) {
            return 0;
        }
        px_put_be16(oao->type, OFPAT_OUTPUT);
        px_put_be16(oao->len, sizeof *oao);
        px_put_be16(oao->port, port);
        px_put_be16(oao->max_len, fm->actions[i].max_len);
    }
    zero_flow_mod10(ofm);
    ofm->header.version = PX_OF_VERSION_10;
    ofm->header.type = OF_FLOW_MOD;
    px_put_be16(ofm->header.length, total);
    px_put_be32(ofm->header.xid, xid);
    if (m->fields & PX_OF_MATCH_DL_SRC) {
        wc &= ~OFPFW10_DL_SRC;
        memcpy(ofm->match.dl_src, m->dl_src, OFP_ETH_ALEN);
    }
    if (m->fields & PX_OF_MATCH_DL_DST) {
        wc &= ~OFPFW10_DL_DST;
        memcpy(ofm->match.dl_dst, m->dl_dst, OFP_ETH_ALEN);
    }
    px_put_be32(ofm->match.wildcards, wc);
    px_put_be16(ofm->match.in_port, in_port);
    put_flow_mod10_fields(ofm, fm, OFPP10_NONE);
    return total;
}

/* What 1.0 cannot say of a flow_mod's fixed part, refused through 'w';
 * the 1.0 number of its out_port filter into '*out_port'. */
static void
check_flow_mod10(struct writer *w, const struct px_of_flow_mod *fm,
                 uint16_t *out_port)
{
    *out_port = OFPP10_NONE;
    /* 1.0 has one table; a delete from all (OFPTT_ALL) deletes from it. */
    if (fm->table_id &&
        !(fm->table_id == OFPTT_ALL && is_delete(fm->command))) {
        refuse(w, EOPNOTSUPP, "OpenFlow 1.0 has one table (table_id 0)");
    }
    if (fm->cookie_mask) {
        refuse(w, EOPNOTSUPP, "OpenFlow 1.0 has no cookie mask");
    }
    if (fm->flags & ~(PX_OF_FF_SEND_FLOW_REM | PX_OF_FF_CHECK_OVERLAP)) {
        refuse(w, EOPNOTSUPP,
               "OpenFlow 1.0 has no RESET_COUNTS or NO_*_COUNTS flag");
    }
    if (fm->filters & PX_OF_FILTER_OUT_GROUP) {
        refuse(w, EOPNOTSUPP, "OpenFlow 1.0 has no groups");
    }
    if ((fm->filters & PX_OF_FILTER_OUT_PORT) &&
        !port_to_ofp10(fm->out_port, out_port)) {
        refuse(w, EOPNOTSUPP, "out_port has no OpenFlow 1.0 number");
    }
}

int
of_encode_flow_mod_any(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                       const struct px_of_flow_mod *fm, size_t fm_len,
                       size_t *len, const char **why)
{
    struct px_of_flow_mod older;
    size_t stride = sizeof(struct px_of_action);
    struct ofp10_flow_mod *ofm;
    struct writer w;
    uint16_t out_port;

    /* A request of topic version 3 or less: what it does not have reads
     * as zeros, and its actions are the shorter ones. */
    if (fm && fm_len < sizeof *fm && fm_len >= PX_OF_FLOW_MOD_V1_LEN) {
        memset(&older, 0, sizeof older);
        memcpy(&older, fm, fm_len);
        fm = &older;
        stride = PX_OF_ACTION_V3_LEN;
    }
    w = writer_init(buf, cap);
    if (!version_ok(version)) {
        refuse(&w, EINVAL, "version is neither 1.0 nor 1.3");
    } else if (!fm || fm_len < PX_OF_FLOW_MOD_V1_LEN) {
        refuse(&w, EINVAL, "no request, or one shorter than a flow_mod");
    } else if (fm->command > OFPFC_DELETE_STRICT) {
        refuse(&w, EINVAL, "unknown flow_mod command");
    } else if (fm->n_fields && fm->match.fields) {
        refuse(&w, EINVAL, "both a match and match fields");
    } else if (fm->n_instructions && fm->n_actions) {
        refuse(&w, EINVAL, "both actions and instructions");
    }
    if (w.error) {
        return finish_request(&w, len, why);
    }
    if (version == PX_OF_VERSION_13) {
        w = encode_flow_mod13(buf, cap, xid, fm, stride);
        return finish_request(&w, len, why);
    }
    check_flow_mod10(&w, fm, &out_port);
    ofm = put_msg(&w, sizeof *ofm, version, OF_FLOW_MOD, xid);
    if (fm->n_fields) {
        of_put_fields10(&w, fm->fields, fm->n_fields,
                        ofm ? &ofm->match : NULL);
    } else {
        encode_match10(&w, &fm->match, ofm ? &ofm->match : NULL);
    }
    if (ofm) {
        put_flow_mod10_fields(ofm, fm, out_port);
    }
    if (is_delete(fm->command)) {
        /* A delete takes no actions. */
    } else if (fm->n_instructions) {
        of_put_instructions(&w, version, fm->instructions, fm->n_instructions);
    } else {
        of_put_actions(&w, version, fm->actions, fm->n_actions, stride);
    }
    return finish_request(&w, len, why);
}

/* A 1.3-only request's start: the version checked and the request there;
 * nonzero if the writer took a refusal. */
static int
refuse_request13(struct writer *w, uint8_t version, const void *req,
                 const char *what)
{
    if (!version_ok(version)) {
        refuse(w, EINVAL, "version is neither 1.0 nor 1.3");
    } else if (!req) {
        refuse(w, EINVAL, "no request");
    } else if (version != PX_OF_VERSION_13) {
        refuse(w, EOPNOTSUPP, what);
    }
    return w->error;
}

int
of_encode_group_mod(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                    const struct px_of_group_mod *gm, size_t *len,
                    const char **why)
{
    struct writer w = writer_init(buf, cap);
    struct ofp13_group_mod *ogm;
    size_t i;

    if (refuse_request13(&w, version, gm, "OpenFlow 1.0 has no groups")) {
        return finish_request(&w, len, why);
    }
    if (gm->command > PX_OF_GROUP_DELETE || gm->type > PX_OF_GROUP_FF) {
        refuse(&w, EINVAL, "unknown group_mod command or group type");
    } else if (gm->group_id > PX_OF_GROUP_MAX &&
               !(gm->command == PX_OF_GROUP_DELETE &&
                 gm->group_id == PX_OF_GROUP_ALL_GROUPS)) {
        refuse(&w, EINVAL, "group id out of range");
    } else if (gm->n_buckets && !gm->buckets) {
        refuse(&w, EINVAL, "buckets missing (NULL with n_buckets > 0)");
    }
    ogm = put_msg(&w, sizeof *ogm, version, OF_GROUP_MOD_13, xid);
    if (ogm) {
        px_put_be16(ogm->command, gm->command);
        ogm->type = gm->type;
        px_put_be32(ogm->group_id, gm->group_id);
    }
    /* A delete names the group alone. */
    for (i = 0;
         gm->command != PX_OF_GROUP_DELETE && i < gm->n_buckets && gm->buckets;
         i++) {
        const struct px_of_bucket *b = &gm->buckets[i];
        size_t start = w.len;
        struct ofp13_bucket *ob = put(&w, sizeof *ob);

        if (ob) {
            px_put_be16(ob->weight, b->weight);
            px_put_be32(ob->watch_port, b->watch_port);
            px_put_be32(ob->watch_group, b->watch_group);
        }
        of_put_actions(&w, version, b->actions, b->n_actions,
                       sizeof *b->actions);
        patch_len(&w, start + offsetof(struct ofp13_bucket, len), start);
    }
    return finish_request(&w, len, why);
}

int
of_encode_meter_mod(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                    const struct px_of_meter_mod *mm, size_t *len,
                    const char **why)
{
    struct writer w = writer_init(buf, cap);
    struct ofp13_meter_mod *omm;
    size_t i;

    if (refuse_request13(&w, version, mm, "OpenFlow 1.0 has no meters")) {
        return finish_request(&w, len, why);
    }
    if (mm->command > PX_OF_METER_DELETE) {
        refuse(&w, EINVAL, "unknown meter_mod command");
    } else if (!mm->meter_id || (mm->meter_id > PX_OF_METER_MAX &&
                                 !(mm->command == PX_OF_METER_DELETE &&
                                   mm->meter_id == PX_OF_METER_ALL))) {
        refuse(&w, EINVAL, "meter id out of range");
    } else if (mm->n_bands && !mm->bands) {
        refuse(&w, EINVAL, "bands missing (NULL with n_bands > 0)");
    }
    omm = put_msg(&w, sizeof *omm, version, OF_METER_MOD_13, xid);
    if (omm) {
        px_put_be16(omm->command, mm->command);
        px_put_be16(omm->flags, mm->flags);
        px_put_be32(omm->meter_id, mm->meter_id);
    }
    for (i = 0;
         mm->command != PX_OF_METER_DELETE && i < mm->n_bands && mm->bands;
         i++) {
        const struct px_of_meter_band *b = &mm->bands[i];
        struct ofp13_meter_band *ob;

        if (b->type != PX_OF_BAND_DROP && b->type != PX_OF_BAND_DSCP_REMARK) {
            refuse(&w, EINVAL, "unknown meter band type");
            break;
        }
        ob = put(&w, sizeof *ob);
        if (ob) {
            px_put_be16(ob->type, b->type);
            px_put_be16(ob->len, sizeof *ob);
            px_put_be32(ob->rate, b->rate);
            px_put_be32(ob->burst_size, b->burst_size);
            ob->prec_level =
                b->type == PX_OF_BAND_DSCP_REMARK ? b->prec_level : 0;
        }
    }
    return finish_request(&w, len, why);
}
