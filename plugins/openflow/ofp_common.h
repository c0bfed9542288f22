/*
 * What the OpenFlow codec's files (ofp.c, ofp_match.c, ofp_actions.c)
 * share: the wire constants more than one of them uses, port-number
 * conversions between 1.0 and the neutral structs, and the writer.
 *
 * The request encoders append a message's structs and variable parts
 * with the writer ('struct writer').  It
 * stops writing at the buffer's end but keeps measuring, and remembers the
 * first reason the message cannot be sent (see ofp.c's comment): a
 * request that is wrong is wrong whatever the room, so every reason
 * takes precedence over ENOBUFS.
 *
 * Private to the codec; everything here is static inline, so that put()
 * inlines into every caller and memset of a constant size becomes plain
 * stores.
 */
#ifndef OF_OFP_COMMON_H
#define OF_OFP_COMMON_H 1

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ofp.h"
#include "ofp_wire.h"
#include "plexus/byteorder.h"

/* OXM class OPENFLOW_BASIC. */
#define OFPXMC_OPENFLOW_BASIC 0x8000

/* Matches, actions and instructions are padded to multiples of 8. */
#define PAD8(N) (((N) + 7u) & ~(size_t)7)

#define OFPP10_MAX  0xff00
#define OFPP10_NONE 0xffff
/* A 1.3 reserved port less the same 1.0 one. */
#define OFPP10_OFFSET        0xffff0000u
#define OFPG_ANY             0xffffffffu
#define OFPCML_NO_BUFFER     0xffff
#define OFP_VLAN_NONE        0xffff /* 1.0; also our "no tag" in px_of_match. */
#define OFPVID_PRESENT       0x1000
#define OFPMT_OXM            1
#define OFPAT_OUTPUT         0
#define OFPAT10_VENDOR       0xffff
#define OFPAT13_EXPERIMENTER 0xffff

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

/* Port numbers. */

static inline uint32_t
port_from_ofp10(uint16_t port)
{
    return port >= OFPP10_MAX ? port + OFPP10_OFFSET : port;
}

/* 1.0 has 16 bits: ordinary ports below 0xff00 and the reserved ones. */
static inline bool
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

static inline struct writer
writer_init(uint8_t *buf, size_t cap)
{
    return (struct writer){buf, buf ? cap : 0, 0, 0, NULL};
}

/* Records why the message cannot be sent.  The first reason wins, except
 * that any reason replaces ENOBUFS: lack of room says nothing about the
 * request, and a request that cannot be encoded must be reported as
 * such whatever the room. */
static inline void
refuse(struct writer *w, int error, const char *why)
{
    if (!w->error || w->error == ENOBUFS) {
        w->error = error;
        w->why = why;
    }
}

/* put's rare cases, out of line so that put itself inlines into every
 * caller (and memset of a constant size into plain stores): the encoders
 * call it for each struct and field of every flow_mod and packet_out. */
static __attribute__((noinline, unused)) void *
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

/* Appends 'n' zero bytes and returns them, for the caller to lay a wire
 * struct over, or NULL once anything failed; out of room, it still counts
 * them. */
static inline void *
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
put_bytes(struct writer *w, const void *data, size_t n)
{
    uint8_t *p = put(w, n);

    if (p && n) {
        memcpy(p, data, n);
    }
}

/* Pads with zeros up to a multiple of 8 bytes from 'start'. */
static inline void
put_pad8(struct writer *w, size_t start)
{
    put(w, PAD8(w->len - start) - (w->len - start));
}

/* Writes at 'ofs' the length from 'from' to the end, for the 16-bit
 * length fields of the header, matches, instructions and action lists. */
static inline void
patch_len(struct writer *w, size_t ofs, size_t from)
{
    if (w->len - from > UINT16_MAX) {
        refuse(w, EMSGSIZE, "longer than an OpenFlow message can be");
    } else if (!w->error) {
        px_put_be16(w->buf + ofs, w->len - from);
    }
}

/* Appends the fixed part of a message, 'size' bytes from its header on,
 * with the header filled in but for the length (see finish()). */
static inline void *
put_msg(struct writer *w, size_t size, uint8_t version, uint8_t type,
        uint32_t xid)
{
    struct ofp_header *oh = put(w, size);

    if (oh) {
        oh->version = version;
        oh->type = type;
        px_put_be32(oh->xid, xid);
    }
    return oh;
}

/* Sets the header's length and returns it, or 0 if anything failed. */
static inline size_t
finish(struct writer *w)
{
    patch_len(w, offsetof(struct ofp_header, length), 0);
    return w->error ? 0 : w->len;
}

/* finish() for the request encoders, which say why they failed. */
static inline int
finish_request(struct writer *w, size_t *len, const char **why)
{
    *len = finish(w);
    if (why) {
        *why = w->error ? w->why : NULL;
    }
    return w->error;
}

static inline void
set_oxm_header(struct ofp13_oxm_header *oxh, uint8_t field, uint8_t len)
{
    px_put_be16(oxh->oxm_class, OFPXMC_OPENFLOW_BASIC);
    oxh->field_hasmask = field << 1; /* No mask. */
    oxh->length = len;
}

/* Appends an OXM field of class OPENFLOW_BASIC, its header and the 'len'
 * bytes of 'value'. */
static inline void
put_oxm(struct writer *w, uint8_t field, const void *value, uint8_t len)
{
    struct ofp13_oxm_header *oxh = put(w, sizeof *oxh + len);

    if (oxh) {
        set_oxm_header(oxh, field, len);
        memcpy((uint8_t *)oxh + sizeof *oxh, value, len);
    }
}

static inline void
put_oxm_be16(struct writer *w, uint8_t field, uint16_t value)
{
    uint8_t be[2];

    px_put_be16(be, value);
    put_oxm(w, field, be, sizeof be);
}

static inline void
put_oxm_be32(struct writer *w, uint8_t field, uint32_t value)
{
    uint8_t be[4];

    px_put_be32(be, value);
    put_oxm(w, field, be, sizeof be);
}

/* EPROTO, with 'reason' (static) in '*why' unless 'why' is NULL: how every
 * decoder of the codec refuses a message. */
static inline int
of_fail(const char **why, const char *reason)
{
    if (why) {
        *why = reason;
    }
    return EPROTO;
}

/* A NUL-terminated copy in 'to' of the 'size'-byte wire string 'from',
 * which need not be terminated (cut to 'size' - 1 bytes then). */
static inline void
of_copy_string(char *to, const char *from, size_t size)
{
    const char *nul = memchr(from, '\0', size);
    size_t n = nul ? (size_t)(nul - from) : size - 1;

    memcpy(to, from, n);
    to[n] = '\0';
}

/* A 1.3 port as the neutral struct (ofp.c; the port description in a
 * features handshake and in a PORT_DESC stats reply). */
void of_decode_port13(const struct ofp13_port *op, struct px_of_port *port);

#endif /* OF_OFP_COMMON_H */
