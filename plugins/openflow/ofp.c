/*
 * The OpenFlow codec (see ofp.h): the messages the openflow plugin sends
 * and receives, in OpenFlow 1.0 (wire version 0x01) and 1.3 (0x04), turned
 * into and out of the version-neutral structs of plexus/topics/openflow.h.
 *
 * Everything here is a pure function over byte buffers: no I/O, no
 * allocation, no state.  The wire is big-endian and buffers have no
 * alignment, so every multi-byte field goes through memcpy and
 * ntohs/ntohl (a cast would be undefined behaviour that UBSan reports).
 *
 * Decoders read through a 'struct reader' that cannot hand out a byte past
 * the message: each pull either returns all the bytes asked for or fails,
 * and every failure becomes EPROTO with a static reason.  Encoders write
 * through a 'struct writer' that stops writing at 'cap' but keeps
 * measuring, and that remembers the first reason the message cannot be
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

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Wire constants, named as in the specifications. */
#define OFPHET_VERSIONBITMAP 1

#define OFP10_PHY_PORT_LEN  48
#define OFP13_PORT_LEN      64
#define OFP_FEATURES_LEN    32 /* Both versions; 1.0's ports follow. */
#define OFP10_PACKET_IN_LEN 18 /* Data starts here, not at sizeof = 20. */
#define OFP13_PACKET_IN_LEN 24 /* Up to the match. */
#define OFP_MULTIPART_LEN   16 /* Header, type, flags, pad. */
#define OFP_PORT_STATUS_LEN 16 /* Header, reason, pad: the port follows. */
#define OFP_ERROR_LEN       12

#define OFPP10_MAX  0xff00
#define OFPP10_NONE 0xffff
/* A 1.3 reserved port less the same 1.0 one. */
#define OFPP10_OFFSET    0xffff0000u
#define OFPG_ANY         0xffffffffu
#define OFPCML_NO_BUFFER 0xffff
#define OFP_VLAN_NONE    0xffff /* 1.0; also our "no tag" in px_of_match. */
#define OFPVID_PRESENT   0x1000

#define OFPMT_OXM           1
#define OFPMP_PORT_DESC     13
#define OFPMPF_REPLY_MORE   0x0001
#define OFPIT_APPLY_ACTIONS 4

#define OFPAT_OUTPUT       0
#define OFPAT10_SET_DL_SRC 4
#define OFPAT10_SET_DL_DST 5
#define OFPAT13_SET_FIELD  25

#define OFPFC_DELETE        3
#define OFPFC_DELETE_STRICT 4

/* 1.0 match wildcards. */
#define OFPFW10_IN_PORT      (1u << 0)
#define OFPFW10_DL_VLAN      (1u << 1)
#define OFPFW10_DL_SRC       (1u << 2)
#define OFPFW10_DL_DST       (1u << 3)
#define OFPFW10_DL_TYPE      (1u << 4)
#define OFPFW10_NW_PROTO     (1u << 5)
#define OFPFW10_TP_SRC       (1u << 6)
#define OFPFW10_TP_DST       (1u << 7)
#define OFPFW10_NW_SRC_SHIFT 8
#define OFPFW10_NW_DST_SHIFT 14
#define OFPFW10_NW_MASK      0x3fu /* Per address: wildcarded low bits. */
#define OFPFW10_DL_VLAN_PCP  (1u << 20)
#define OFPFW10_NW_TOS       (1u << 21)
/* Everything wildcarded, addresses as /0 (32 bits), as OVS writes it. */
#define OFPFW10_ALL                                                           \
    (0xffu | 32u << OFPFW10_NW_SRC_SHIFT | 32u << OFPFW10_NW_DST_SHIFT |      \
     OFPFW10_DL_VLAN_PCP | OFPFW10_NW_TOS)

/* OXM: class OPENFLOW_BASIC and the fields we use. */
#define OFPXMC_OPENFLOW_BASIC 0x8000
#define OFPXMT_IN_PORT        0
#define OFPXMT_ETH_DST        3
#define OFPXMT_ETH_SRC        4
#define OFPXMT_ETH_TYPE       5
#define OFPXMT_VLAN_VID       6
#define OFPXMT_IP_PROTO       10
#define OFPXMT_IPV4_SRC       11
#define OFPXMT_IPV4_DST       12
#define OFPXMT_TCP_SRC        13
#define OFPXMT_TCP_DST        14
#define OFPXMT_UDP_SRC        15
#define OFPXMT_UDP_DST        16

#define ETH_TYPE_IP   0x0800
#define ETH_TYPE_IPV6 0x86dd
#define IP_PROTO_TCP  6
#define IP_PROTO_UDP  17

/* The versions we speak, as a HELLO bitmap, and the highest of them. */
#define OUR_VERSIONS    (1u << PX_OF_VERSION_10 | 1u << PX_OF_VERSION_13)
#define OUR_MAX_VERSION PX_OF_VERSION_13

static uint16_t
get_be16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof v);
    return ntohs(v);
}

static uint32_t
get_be32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof v);
    return ntohl(v);
}

static uint64_t
get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void
set_be16(uint8_t *p, uint16_t v)
{
    v = htons(v);
    memcpy(p, &v, sizeof v);
}

static void
set_be32(uint8_t *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, sizeof v);
}

static int
fail(const char **why, const char *reason)
{
    if (why) {
        *why = reason;
    }
    return EPROTO;
}

/* Port numbers. */

static uint32_t
port_from_ofp10(uint16_t port)
{
    return port >= OFPP10_MAX ? port + OFPP10_OFFSET : port;
}

/* 1.0 has 16 bits: ordinary ports below 0xff00 and the reserved ones. */
static bool
port_to_ofp10(uint32_t port, uint16_t *port10)
{
    if (port < OFPP10_MAX) {
        *port10 = port;
        return true;
    } else if (port >= PX_OF_PORT_MAX) {
        *port10 = port - OFPP10_OFFSET;
        return true;
    }
    return false;
}

/* Reading. */

struct reader {
    const uint8_t *p;
    size_t left;
};

/* Returns the next 'n' bytes, or NULL (consuming nothing) if there are
 * fewer left. */
static const uint8_t *
pull(struct reader *r, size_t n)
{
    const uint8_t *p = r->p;

    if (n > r->left) {
        return NULL;
    }
    r->p += n;
    r->left -= n;
    return p;
}

/* Checks what every decoder needs of 'msg': a whole message ('len' equal to
 * the header's length) of 'type' in a version we speak.  Leaves 'r' on the
 * body. */
static int
start(const uint8_t *msg, size_t len, uint8_t type, struct reader *r,
      const char **why)
{
    if (!msg || len < OF_HEADER_LEN) {
        return fail(why, "message shorter than a header");
    }
    if (get_be16(msg + 2) != len) {
        return fail(why, "header length is not the message length");
    }
    if (msg[0] != PX_OF_VERSION_10 && msg[0] != PX_OF_VERSION_13) {
        return fail(why, "unsupported version");
    }
    if (msg[1] != type) {
        return fail(why, "unexpected message type");
    }
    r->p = msg + OF_HEADER_LEN;
    r->left = len - OF_HEADER_LEN;
    return 0;
}

/* Copies a fixed 16-byte port name; the spec wants it NUL-terminated, but a
 * name that fills all 16 bytes is cut to 15 rather than overrun. */
static void
copy_name(char name[16], const uint8_t *wire)
{
    const uint8_t *nul = memchr(wire, '\0', 16);
    size_t n = nul ? (size_t)(nul - wire) : 15;

    memcpy(name, wire, n);
    name[n] = '\0';
}

static void
decode_port10(const uint8_t *p, struct px_of_port *port)
{
    uint32_t curr = get_be32(p + 32);

    memset(port, 0, sizeof *port);
    port->port_no = port_from_ofp10(get_be16(p));
    memcpy(port->hw_addr, p + 2, 6);
    copy_name(port->name, p + 8);
    port->config = get_be32(p + 24);
    port->state = get_be32(p + 28);
    port->curr = (curr & 0x7f) | ((curr >> 7) & 0x1f) << 11;
}

static void
decode_port13(const uint8_t *p, struct px_of_port *port)
{
    memset(port, 0, sizeof *port);
    port->port_no = get_be32(p);
    memcpy(port->hw_addr, p + 8, 6);
    copy_name(port->name, p + 16);
    port->config = get_be32(p + 32);
    port->state = get_be32(p + 36);
    port->curr = get_be32(p + 40);
}

int
of_frame(const uint8_t *buf, size_t len, struct of_header *h, const char **why)
{
    if (!buf || len < OF_HEADER_LEN) {
        return EAGAIN;
    }
    h->version = buf[0];
    h->type = buf[1];
    h->length = get_be16(buf + 2);
    h->xid = get_be32(buf + 4);
    if (h->length < OF_HEADER_LEN) {
        /* No way to find the next message: the stream is lost. */
        return fail(why, "header length below 8");
    }
    return len < h->length ? EAGAIN : 0;
}

int
of_decode_hello(const uint8_t *msg, size_t len, uint32_t *bitmap,
                const char **why)
{
    struct reader r;
    bool found = false;
    uint32_t versions = 0;
    uint8_t version;

    if (!msg || len < OF_HEADER_LEN) {
        return fail(why, "message shorter than a header");
    }
    if (get_be16(msg + 2) != len) {
        return fail(why, "header length is not the message length");
    }
    if (msg[1] != OF_HELLO) {
        return fail(why, "unexpected message type");
    }
    version = msg[0];
    r.p = msg + OF_HEADER_LEN;
    r.left = len - OF_HEADER_LEN;

    /* Hello elements came with 1.3.1; before that the body must be
     * ignored (1.0 says so, for forward compatibility). */
    while (version >= PX_OF_VERSION_13 && r.left) {
        const uint8_t *elem = r.p;
        uint16_t type, elen;
        size_t padded;

        if (r.left < 4) {
            return fail(why, "truncated hello element");
        }
        type = get_be16(elem);
        elen = get_be16(elem + 2);
        if (elen < 4) {
            /* Zero would loop forever in a naive parser. */
            return fail(why, "hello element length below 4");
        }
        if (elen > r.left) {
            return fail(why, "hello element overruns the message");
        }
        if (type == OFPHET_VERSIONBITMAP) {
            size_t bits_len = elen - 4;

            if (!bits_len || bits_len % 4) {
                return fail(why, "bad version bitmap length");
            }
            /* The last one counts, as in OVS.  Only the first word
             * matters (versions 0..31); bit 0 is no version. */
            versions = get_be32(elem + 4) & ~1u;
            found = true;
        }
        /* Elements are padded to 8 bytes; tolerate a last one that is
         * not. */
        padded = (elen + 7u) & ~(size_t)7;
        pull(&r, padded < r.left ? padded : r.left);
    }

    /* Without a bitmap the spec negotiates the smaller of the two header
     * versions, so a peer announcing more than we speak (Open vSwitch 3.1
     * sends a bare 1.5 HELLO by default) gets our highest. */
    *bitmap =
        found ? versions
              : 1u << (version < OUR_MAX_VERSION ? version : OUR_MAX_VERSION);
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
    const uint8_t *p;
    struct reader r;
    size_t n, i;
    int error;

    error = start(msg, len, OF_FEATURES_REPLY, &r, why);
    if (error) {
        return error;
    }
    p = pull(&r, OFP_FEATURES_LEN - OF_HEADER_LEN);
    if (!p) {
        return fail(why, "truncated features reply");
    }
    if (msg[0] == PX_OF_VERSION_13) {
        if (r.left) {
            return fail(why, "1.3 features reply longer than 32 bytes");
        }
        n = 0;
    } else {
        if (r.left % OFP10_PHY_PORT_LEN) {
            return fail(why, "features reply ports not 48 bytes each");
        }
        n = r.left / OFP10_PHY_PORT_LEN;
        if (n > max_ports) {
            return fail(why, "more ports than max_ports");
        }
    }

    memset(f, 0, sizeof *f);
    f->dpid = get_be64(p);
    f->n_buffers = get_be32(p + 8);
    f->n_tables = p[12];
    /* 1.0: pad[3]; 1.3: auxiliary_id, pad[2].  Capabilities follow. */
    f->capabilities = get_be32(p + 16);
    for (i = 0; i < n; i++) {
        decode_port10(pull(&r, OFP10_PHY_PORT_LEN), &ports[i]);
    }
    *n_ports = n;
    return 0;
}

int
of_decode_port_desc_reply(const uint8_t *msg, size_t len,
                          struct px_of_port *ports, size_t max_ports,
                          size_t *n_ports, int *more, const char **why)
{
    const uint8_t *p;
    struct reader r;
    size_t n, i;
    int error;

    error = start(msg, len, OF_MULTIPART_REPLY_13, &r, why);
    if (error) {
        return error;
    }
    if (msg[0] != PX_OF_VERSION_13) {
        return fail(why, "port description reply is 1.3 only");
    }
    p = pull(&r, OFP_MULTIPART_LEN - OF_HEADER_LEN);
    if (!p) {
        return fail(why, "truncated multipart reply");
    }
    if (get_be16(p) != OFPMP_PORT_DESC) {
        return fail(why, "multipart reply is not a port description");
    }
    if (r.left % OFP13_PORT_LEN) {
        return fail(why, "port description not 64 bytes per port");
    }
    n = r.left / OFP13_PORT_LEN;
    if (*n_ports > max_ports || n > max_ports - *n_ports) {
        return fail(why, "more ports than max_ports");
    }
    for (i = 0; i < n; i++) {
        decode_port13(pull(&r, OFP13_PORT_LEN), &ports[*n_ports + i]);
    }
    *n_ports += n;
    *more = (get_be16(p + 2) & OFPMPF_REPLY_MORE) != 0;
    return 0;
}

/* Finds the in_port of a 1.3 packet-in in the OXM fields 'oxm' of 'len'
 * bytes (the match without its type, length and padding). */
static int
oxm_in_port(const uint8_t *oxm, size_t len, uint32_t *in_port,
            const char **why)
{
    struct reader r = {oxm, len};
    bool found = false;

    while (r.left) {
        const uint8_t *h = pull(&r, 4), *value;
        uint32_t header;

        if (!h) {
            return fail(why, "truncated OXM header");
        }
        header = get_be32(h);
        value = pull(&r, header & 0xff);
        if (!value) {
            return fail(why, "OXM field overruns the match");
        }
        if (header >> 16 == OFPXMC_OPENFLOW_BASIC &&
            (header >> 9 & 0x7f) == OFPXMT_IN_PORT) {
            if (found) {
                return fail(why, "duplicate OXM in_port");
            }
            /* In_port is not maskable; like OVS, take an all-ones mask as
             * no mask. */
            if ((header & 0x1ff) != 4 &&
                ((header & 0x1ff) != 0x108 || get_be32(value + 4) != ~0u)) {
                return fail(why, "bad OXM in_port");
            }
            *in_port = get_be32(value);
            found = true;
        }
    }
    /* In_port is a context field: the spec requires it in a packet-in. */
    return found ? 0 : fail(why, "packet-in match without in_port");
}

int
of_decode_packet_in(const uint8_t *msg, size_t len, struct px_of_packet_in *pi,
                    const char **why)
{
    const uint8_t *p, *match;
    uint32_t in_port = 0;
    struct reader r;
    int error;

    error = start(msg, len, OF_PACKET_IN, &r, why);
    if (error) {
        return error;
    }
    if (msg[0] == PX_OF_VERSION_10) {
        p = pull(&r, OFP10_PACKET_IN_LEN - OF_HEADER_LEN);
        if (!p) {
            return fail(why, "truncated packet-in");
        }
        in_port = port_from_ofp10(get_be16(p + 6));
    } else {
        uint16_t match_len;

        p = pull(&r, OFP13_PACKET_IN_LEN - OF_HEADER_LEN);
        match = pull(&r, 4);
        if (!p || !match) {
            return fail(why, "truncated packet-in");
        }
        if (get_be16(match) != OFPMT_OXM) {
            return fail(why, "packet-in match is not OXM");
        }
        match_len = get_be16(match + 2);
        if (match_len < 4) {
            return fail(why, "packet-in match length below 4");
        }
        /* The match is padded to 8 bytes, then come 2 bytes of pad. */
        if (!pull(&r, ((match_len + 7u) & ~7u) - 4 + 2)) {
            return fail(why, "packet-in match overruns the message");
        }
        error = oxm_in_port(match + 4, match_len - 4, &in_port, why);
        if (error) {
            return error;
        }
    }

    memset(pi, 0, sizeof *pi);
    pi->version = msg[0];
    pi->buffer_id = get_be32(p);
    pi->total_len = get_be16(p + 4);
    pi->in_port = in_port;
    if (msg[0] == PX_OF_VERSION_10) {
        pi->reason = p[8];
    } else {
        pi->reason = p[6];
        pi->table_id = p[7];
        pi->cookie = get_be64(p + 8);
    }
    /* The frame may be shorter than total_len (a switch that buffered
     * the packet sends max_len or miss_send_len bytes of it); OVS, which
     * has no buffers, sends it whole. */
    pi->frame = r.p;
    pi->frame_len = r.left;
    return 0;
}

int
of_decode_port_status(const uint8_t *msg, size_t len,
                      struct px_of_port_status *ps, const char **why)
{
    size_t port_len;
    const uint8_t *p;
    struct reader r;
    int error;

    error = start(msg, len, OF_PORT_STATUS, &r, why);
    if (error) {
        return error;
    }
    port_len =
        msg[0] == PX_OF_VERSION_10 ? OFP10_PHY_PORT_LEN : OFP13_PORT_LEN;
    if (r.left != OFP_PORT_STATUS_LEN - OF_HEADER_LEN + port_len) {
        return fail(why, "bad port status length");
    }
    p = pull(&r, r.left);
    if (p[0] > PX_OF_PORT_MODIFY) {
        return fail(why, "bad port status reason");
    }
    memset(ps, 0, sizeof *ps);
    ps->reason = p[0];
    if (msg[0] == PX_OF_VERSION_10) {
        decode_port10(p + 8, &ps->port);
    } else {
        decode_port13(p + 8, &ps->port);
    }
    return 0;
}

int
of_decode_error(const uint8_t *msg, size_t len, struct px_of_error *e,
                const char **why)
{
    const uint8_t *p;
    struct reader r;
    int error;

    error = start(msg, len, OF_ERROR, &r, why);
    if (error) {
        return error;
    }
    p = pull(&r, OFP_ERROR_LEN - OF_HEADER_LEN);
    if (!p) {
        return fail(why, "truncated error");
    }
    memset(e, 0, sizeof *e);
    /* A 1.3 experimenter error (type 0xffff) has exp_type here and the
     * experimenter id as the first 4 bytes of 'data'. */
    e->type = get_be16(p);
    e->code = get_be16(p + 2);
    e->data = r.p;
    e->data_len = r.left;
    return 0;
}

/* Writing. */

struct writer {
    uint8_t *buf;
    size_t cap;
    /* Bytes the message needs so far; past 'cap' once out of room, so
     * that a message too long for OpenFlow is told from one too long for
     * the buffer. */
    size_t len;
    int error;       /* 0, or why the message cannot be sent. */
    const char *why; /* Static text for 'error'. */
};

/* Records why the message cannot be sent.  The first reason wins, except
 * that any reason replaces ENOBUFS: lack of room says nothing about the
 * request, and a request that cannot be encoded must be reported as
 * such whatever the room. */
static void
refuse(struct writer *w, int error, const char *why)
{
    if (!w->error || w->error == ENOBUFS) {
        w->error = error;
        w->why = why;
    }
}

/* put's rare cases, out of line so that put itself inlines into every
 * field writer (and memset of a constant size into plain stores): the
 * encoders call it once per field of every flow_mod and packet_out. */
static __attribute__((noinline)) uint8_t *
put_slow(struct writer *w, size_t n)
{
    if (w->error && w->error != ENOBUFS) {
        return NULL;
    }
    if (n > OF_MAX_MESSAGE - w->len) {
        refuse(w, EMSGSIZE, "longer than an OpenFlow message can be");
        return NULL;
    }
    /* Out of room: the bytes are still counted. */
    refuse(w, ENOBUFS, "no room in the buffer");
    w->len += n;
    return NULL;
}

/* Appends 'n' zero bytes and returns them, or NULL once anything failed;
 * out of room, it still counts them.  While nothing failed, len <= cap
 * and cap is below OF_MAX_MESSAGE's reach only through put_slow. */
static inline uint8_t *
put(struct writer *w, size_t n)
{
    if (__builtin_expect(!w->error && n <= w->cap - w->len &&
                             n <= OF_MAX_MESSAGE - w->len,
                         1)) {
        uint8_t *p = w->buf + w->len;

        memset(p, 0, n);
        w->len += n;
        return p;
    }
    return put_slow(w, n);
}

static inline void
put_u8(struct writer *w, uint8_t v)
{
    uint8_t *p = put(w, 1);

    if (p) {
        *p = v;
    }
}

static inline void
put_be16(struct writer *w, uint16_t v)
{
    uint8_t *p = put(w, 2);

    if (p) {
        set_be16(p, v);
    }
}

static inline void
put_be32(struct writer *w, uint32_t v)
{
    uint8_t *p = put(w, 4);

    if (p) {
        set_be32(p, v);
    }
}

static inline void
put_be64(struct writer *w, uint64_t v)
{
    put_be32(w, v >> 32);
    put_be32(w, (uint32_t)v);
}

static inline void
put_bytes(struct writer *w, const void *data, size_t n)
{
    uint8_t *p = put(w, n);

    if (p && n) {
        memcpy(p, data, n);
    }
}

/* Pads with zeros up to a multiple of 8 bytes from 'start'. */
static void
put_pad8(struct writer *w, size_t start)
{
    put(w, (8 - (w->len - start) % 8) % 8);
}

/* Writes at 'ofs' the length from there to the end, for the 16-bit
 * length fields of matches, instructions and action lists. */
static void
patch_len(struct writer *w, size_t ofs, size_t from)
{
    if (w->len - from > UINT16_MAX) {
        refuse(w, EMSGSIZE, "longer than an OpenFlow message can be");
    } else if (!w->error) {
        set_be16(w->buf + ofs, w->len - from);
    }
}

static struct writer
start_msg(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
          uint32_t xid)
{
    struct writer w = {buf, buf ? cap : 0, 0, 0, NULL};

    put_u8(&w, version);
    put_u8(&w, type);
    put_be16(&w, 0); /* Length: see finish(). */
    put_be32(&w, xid);
    return w;
}

/* Sets the header's length and returns it, or 0 if anything failed. */
static size_t
finish(struct writer *w)
{
    patch_len(w, 2, 0);
    return w->error ? 0 : w->len;
}

/* finish() for the request encoders, which say why they failed. */
static int
finish_request(struct writer *w, size_t *len, const char **why)
{
    *len = finish(w);
    if (why) {
        *why = w->error ? w->why : NULL;
    }
    return w->error;
}

static bool
version_ok(uint8_t version)
{
    return version == PX_OF_VERSION_10 || version == PX_OF_VERSION_13;
}

static void
put_oxm_header(struct writer *w, uint8_t field, uint8_t len)
{
    put_be32(w, (uint32_t)OFPXMC_OPENFLOW_BASIC << 16 | field << 9 | len);
}

static void
put_actions(struct writer *w, uint8_t version, const struct px_of_action *a,
            size_t n)
{
    size_t i;

    if (n && !a) {
        refuse(w, EINVAL, "actions missing (NULL with n_actions > 0)");
        return;
    }
    for (i = 0; i < n; i++, a++) {
        uint16_t port10 = 0;

        switch (a->type) {
        case PX_OF_ACTION_OUTPUT:
            if (version == PX_OF_VERSION_10) {
                if (!port_to_ofp10(a->port, &port10)) {
                    refuse(w, EOPNOTSUPP,
                           "output port has no OpenFlow 1.0 number");
                }
                put_be16(w, OFPAT_OUTPUT);
                put_be16(w, 8);
                put_be16(w, port10);
                put_be16(w, a->max_len);
            } else {
                put_be16(w, OFPAT_OUTPUT);
                put_be16(w, 16);
                put_be32(w, a->port);
                put_be16(w, a->max_len);
                put(w, 6);
            }
            break;
        case PX_OF_ACTION_SET_DL_SRC:
        case PX_OF_ACTION_SET_DL_DST:
            if (version == PX_OF_VERSION_10) {
                put_be16(w, a->type == PX_OF_ACTION_SET_DL_SRC
                                ? OFPAT10_SET_DL_SRC
                                : OFPAT10_SET_DL_DST);
                put_be16(w, 16);
                put_bytes(w, a->mac, 6);
                put(w, 6);
            } else {
                /* Type, length, OXM header, MAC: 14, padded to 16. */
                put_be16(w, OFPAT13_SET_FIELD);
                put_be16(w, 16);
                put_oxm_header(w,
                               a->type == PX_OF_ACTION_SET_DL_SRC
                                   ? OFPXMT_ETH_SRC
                                   : OFPXMT_ETH_DST,
                               6);
                put_bytes(w, a->mac, 6);
                put(w, 2);
            }
            break;
        default:
            refuse(w, EINVAL, "unknown action type");
            break;
        }
    }
}

static bool
vlan_ok(uint16_t vlan)
{
    return vlan <= 0xfff || vlan == OFP_VLAN_NONE;
}

static void
put_match10(struct writer *w, const struct px_of_match *m)
{
    uint32_t wc = OFPFW10_ALL;
    uint16_t in_port = 0;

    if (m->fields & PX_OF_MATCH_IN_PORT) {
        wc &= ~OFPFW10_IN_PORT;
        if (!port_to_ofp10(m->in_port, &in_port)) {
            refuse(w, EOPNOTSUPP, "match in_port has no OpenFlow 1.0 number");
        }
    }
    if (m->fields & PX_OF_MATCH_DL_SRC) {
        wc &= ~OFPFW10_DL_SRC;
    }
    if (m->fields & PX_OF_MATCH_DL_DST) {
        wc &= ~OFPFW10_DL_DST;
    }
    if (m->fields & PX_OF_MATCH_DL_VLAN) {
        wc &= ~OFPFW10_DL_VLAN;
        if (!vlan_ok(m->dl_vlan)) {
            refuse(w, EINVAL, "match VLAN id over 12 bits");
        }
    }
    if (m->fields & PX_OF_MATCH_DL_TYPE) {
        wc &= ~OFPFW10_DL_TYPE;
    }
    if (m->fields & PX_OF_MATCH_NW_PROTO) {
        wc &= ~OFPFW10_NW_PROTO;
    }
    if (m->fields & PX_OF_MATCH_NW_SRC) {
        wc &= ~(OFPFW10_NW_MASK << OFPFW10_NW_SRC_SHIFT); /* Exact. */
    }
    if (m->fields & PX_OF_MATCH_NW_DST) {
        wc &= ~(OFPFW10_NW_MASK << OFPFW10_NW_DST_SHIFT);
    }
    if (m->fields & PX_OF_MATCH_TP_SRC) {
        wc &= ~OFPFW10_TP_SRC;
    }
    if (m->fields & PX_OF_MATCH_TP_DST) {
        wc &= ~OFPFW10_TP_DST;
    }

    /* Wildcarded fields are written as zeros, as OVS does. */
    put_be32(w, wc);
    put_be16(w, in_port);
    if (m->fields & PX_OF_MATCH_DL_SRC) {
        put_bytes(w, m->dl_src, 6);
    } else {
        put(w, 6);
    }
    if (m->fields & PX_OF_MATCH_DL_DST) {
        put_bytes(w, m->dl_dst, 6);
    } else {
        put(w, 6);
    }
    put_be16(w, m->fields & PX_OF_MATCH_DL_VLAN ? m->dl_vlan : 0);
    put(w, 2); /* dl_vlan_pcp, pad1. */
    put_be16(w, m->fields & PX_OF_MATCH_DL_TYPE ? m->dl_type : 0);
    put_u8(w, 0); /* nw_tos. */
    put_u8(w, m->fields & PX_OF_MATCH_NW_PROTO ? m->nw_proto : 0);
    put(w, 2);
    put_be32(w, m->fields & PX_OF_MATCH_NW_SRC ? m->nw_src : 0);
    put_be32(w, m->fields & PX_OF_MATCH_NW_DST ? m->nw_dst : 0);
    put_be16(w, m->fields & PX_OF_MATCH_TP_SRC ? m->tp_src : 0);
    put_be16(w, m->fields & PX_OF_MATCH_TP_DST ? m->tp_dst : 0);
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

    put_be16(w, OFPMT_OXM);
    put_be16(w, 0); /* Length: patched below. */
    if (f & PX_OF_MATCH_IN_PORT) {
        put_oxm_header(w, OFPXMT_IN_PORT, 4);
        put_be32(w, m->in_port);
    }
    if (f & PX_OF_MATCH_DL_DST) {
        put_oxm_header(w, OFPXMT_ETH_DST, 6);
        put_bytes(w, m->dl_dst, 6);
    }
    if (f & PX_OF_MATCH_DL_SRC) {
        put_oxm_header(w, OFPXMT_ETH_SRC, 6);
        put_bytes(w, m->dl_src, 6);
    }
    if (f & PX_OF_MATCH_DL_TYPE) {
        put_oxm_header(w, OFPXMT_ETH_TYPE, 2);
        put_be16(w, m->dl_type);
    }
    if (f & PX_OF_MATCH_DL_VLAN) {
        if (!vlan_ok(m->dl_vlan)) {
            refuse(w, EINVAL, "match VLAN id over 12 bits");
        }
        put_oxm_header(w, OFPXMT_VLAN_VID, 2);
        put_be16(w, m->dl_vlan == OFP_VLAN_NONE
                        ? 0
                        : (uint16_t)(m->dl_vlan | OFPVID_PRESENT));
    }
    if (f & PX_OF_MATCH_NW_PROTO) {
        if (!ip_any) {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.3 match: nw_proto without an IP dl_type");
        }
        put_oxm_header(w, OFPXMT_IP_PROTO, 1);
        put_u8(w, m->nw_proto);
    }
    if (f & PX_OF_MATCH_NW_SRC) {
        if (!ip) {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.3 match: nw_src without dl_type IPv4");
        }
        put_oxm_header(w, OFPXMT_IPV4_SRC, 4);
        put_be32(w, m->nw_src);
    }
    if (f & PX_OF_MATCH_NW_DST) {
        if (!ip) {
            refuse(w, EOPNOTSUPP,
                   "OpenFlow 1.3 match: nw_dst without dl_type IPv4");
        }
        put_oxm_header(w, OFPXMT_IPV4_DST, 4);
        put_be32(w, m->nw_dst);
    }
    if (f & (PX_OF_MATCH_TP_SRC | PX_OF_MATCH_TP_DST) &&
        (!ip_any || (!tcp && !udp))) {
        refuse(w, EOPNOTSUPP,
               "OpenFlow 1.3 match: TCP/UDP port without nw_proto TCP or UDP");
    }
    if (f & PX_OF_MATCH_TP_SRC) {
        put_oxm_header(w, tcp ? OFPXMT_TCP_SRC : OFPXMT_UDP_SRC, 2);
        put_be16(w, m->tp_src);
    }
    if (f & PX_OF_MATCH_TP_DST) {
        put_oxm_header(w, tcp ? OFPXMT_TCP_DST : OFPXMT_UDP_DST, 2);
        put_be16(w, m->tp_dst);
    }
    patch_len(w, start + 2, start);
    put_pad8(w, start);
}

size_t
of_encode_hello(uint8_t *buf, size_t cap, uint32_t xid)
{
    struct writer w = start_msg(buf, cap, OUR_MAX_VERSION, OF_HELLO, xid);

    put_be16(&w, OFPHET_VERSIONBITMAP);
    put_be16(&w, 8);
    put_be32(&w, OUR_VERSIONS);
    return finish(&w);
}

size_t
of_encode_error(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                uint16_t type, uint16_t code, const void *data,
                size_t data_len)
{
    struct writer w = start_msg(buf, cap, version, OF_ERROR, xid);

    if (!version_ok(version) || (data_len && !data)) {
        return 0;
    }
    put_be16(&w, type);
    put_be16(&w, code);
    put_bytes(&w, data, data_len);
    return finish(&w);
}

/* A message that is a header alone. */
static size_t
encode_header_only(uint8_t *buf, size_t cap, uint8_t version, uint8_t type,
                   uint32_t xid)
{
    struct writer w = start_msg(buf, cap, version, type, xid);

    return version_ok(version) ? finish(&w) : 0;
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
    if (!buf || !request || request_len < OF_HEADER_LEN || request_len > cap ||
        get_be16(request + 2) != request_len ||
        request[1] != OF_ECHO_REQUEST) {
        return 0;
    }
    /* memmove: replying in place, over the request, is allowed. */
    memmove(buf, request, request_len);
    buf[1] = OF_ECHO_REPLY;
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
    struct writer w = start_msg(buf, cap, version, OF_SET_CONFIG, xid);

    if (!version_ok(version)) {
        return 0;
    }
    put_be16(&w, 0);      /* Flags: OFPC_FRAG_NORMAL. */
    put_be16(&w, 0xffff); /* miss_send_len: whole frames. */
    return finish(&w);
}

size_t
of_encode_port_desc_request(uint8_t *buf, size_t cap, uint32_t xid)
{
    struct writer w =
        start_msg(buf, cap, PX_OF_VERSION_13, OF_MULTIPART_REQUEST_13, xid);

    put_be16(&w, OFPMP_PORT_DESC);
    put_be16(&w, 0); /* Flags. */
    put(&w, 4);
    return finish(&w);
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

int
of_encode_packet_out(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                     const struct px_of_packet_out *po, size_t *len,
                     const char **why)
{
    struct writer w = start_msg(buf, cap, version, OF_PACKET_OUT, xid);
    size_t actions_len_ofs, actions_start;

    if (!version_ok(version)) {
        refuse(&w, EINVAL, "version is neither 1.0 nor 1.3");
    } else if (!po) {
        refuse(&w, EINVAL, "no request");
    } else if (po->frame_len && !po->frame) {
        refuse(&w, EINVAL, "frame missing (NULL with frame_len > 0)");
    }
    if (w.error && w.error != ENOBUFS) {
        return finish_request(&w, len, why);
    }
    put_be32(&w, po->buffer_id);
    if (version == PX_OF_VERSION_10) {
        uint16_t in_port = 0;

        if (!port_to_ofp10(po->in_port, &in_port)) {
            refuse(&w, EOPNOTSUPP, "in_port has no OpenFlow 1.0 number");
        }
        put_be16(&w, in_port);
        actions_len_ofs = w.len;
        put_be16(&w, 0);
    } else {
        put_be32(&w, po->in_port);
        actions_len_ofs = w.len;
        put_be16(&w, 0);
        put(&w, 6);
    }
    actions_start = w.len;
    put_actions(&w, version, po->actions, po->n_actions);
    patch_len(&w, actions_len_ofs, actions_start);
    /* A buffered packet is already at the switch. */
    if (po->buffer_id == PX_OF_NO_BUFFER) {
        put_bytes(&w, po->frame, po->frame_len);
    }
    return finish_request(&w, len, why);
}

/* The 1.3 flow_mod, shared with the table-miss flow: the writer, for the
 * caller to finish. */
static struct writer
encode_flow_mod13(uint8_t *buf, size_t cap, uint32_t xid,
                  const struct px_of_flow_mod *fm)
{
    struct writer w = start_msg(buf, cap, PX_OF_VERSION_13, OF_FLOW_MOD, xid);

    put_be64(&w, fm->cookie);
    put_be64(&w, 0); /* cookie_mask: any cookie, for MODIFY/DELETE. */
    put_u8(&w, fm->table_id);
    put_u8(&w, fm->command);
    put_be16(&w, fm->idle_timeout);
    put_be16(&w, fm->hard_timeout);
    put_be16(&w, fm->priority);
    put_be32(&w, fm->buffer_id);
    put_be32(&w, PX_OF_PORT_ANY); /* out_port, out_group: no filter. */
    put_be32(&w, OFPG_ANY);
    put_be16(&w, 0); /* Flags. */
    put(&w, 2);
    put_match13(&w, &fm->match);
    /* No instruction means drop; a delete takes none. */
    if (fm->n_actions && fm->command != OFPFC_DELETE &&
        fm->command != OFPFC_DELETE_STRICT) {
        size_t start = w.len;

        put_be16(&w, OFPIT_APPLY_ACTIONS);
        put_be16(&w, 0); /* Length: patched below. */
        put(&w, 4);
        put_actions(&w, PX_OF_VERSION_13, fm->actions, fm->n_actions);
        patch_len(&w, start + 2, start);
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

    struct writer w = encode_flow_mod13(buf, cap, xid, &fm);

    return finish(&w);
}

int
of_encode_flow_mod(uint8_t *buf, size_t cap, uint8_t version, uint32_t xid,
                   const struct px_of_flow_mod *fm, size_t *len,
                   const char **why)
{
    struct writer w = start_msg(buf, cap, version, OF_FLOW_MOD, xid);

    if (!version_ok(version)) {
        refuse(&w, EINVAL, "version is neither 1.0 nor 1.3");
    } else if (!fm) {
        refuse(&w, EINVAL, "no request");
    } else if (fm->command > OFPFC_DELETE_STRICT) {
        refuse(&w, EINVAL, "unknown flow_mod command");
    }
    if (w.error && w.error != ENOBUFS) {
        return finish_request(&w, len, why);
    }
    if (version == PX_OF_VERSION_13) {
        w = encode_flow_mod13(buf, cap, xid, fm);
        return finish_request(&w, len, why);
    }
    put_match10(&w, &fm->match);
    put_be64(&w, fm->cookie);
    put_be16(&w, fm->command);
    put_be16(&w, fm->idle_timeout);
    put_be16(&w, fm->hard_timeout);
    put_be16(&w, fm->priority);
    put_be32(&w, fm->buffer_id);
    put_be16(&w, OFPP10_NONE); /* out_port: no filter. */
    put_be16(&w, 0);           /* Flags. */
    if (fm->command != OFPFC_DELETE && fm->command != OFPFC_DELETE_STRICT) {
        put_actions(&w, version, fm->actions, fm->n_actions);
    }
    return finish_request(&w, len, why);
}
