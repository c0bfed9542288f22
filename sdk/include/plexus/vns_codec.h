/*
 * The VNS protocol codec, shared by the router (router/sr) and the
 * vns_server plugin: pure functions over byte buffers for every message of
 * the Stanford "simple router" lab's protocol.  No I/O, no allocation
 * (but libcrypto's own, inside vns_auth_digest).
 *
 * Wire format (README.md, "The VNS protocol"): all integers big-endian;
 * each message is u32 length (the whole message, header included), u32
 * type, body.  Fixed-size text fields are NUL-padded and need no NUL when
 * full; decoders copy them out NUL-terminated.  The layouts are the
 * struct vns_wire_* below, whose sizes are checked at compile time.
 *
 * Decoders take one complete message (as delimited by vns_frame), check
 * every length before using it, and return EPROTO with a short static
 * reason in '*why' on malformed input.  Pointers they store point into the
 * caller's buffer.
 *
 * Encoders write one message into 'buf' of 'cap' bytes, store its length
 * in '*len' and return 0; on failure they write nothing into 'buf', store
 * 0 in '*len' and say why:
 *   ENOBUFS   the message is well-formed but 'cap' is too small for it (a
 *             NULL 'buf' has no room);
 *   EMSGSIZE  it cannot be expressed: a name longer than its field (an
 *             interface name over VNS_IFACE_LEN bytes, an Open name over
 *             VNS_NAME_LEN), or a message over VNS_MAX_MESSAGE (a long
 *             frame, salt, user name or text, too many interfaces);
 *   EINVAL    an argument the message cannot carry: NULL where the message
 *             needs data, an empty salt, a frame shorter than an Ethernet
 *             header, or a NULL 'buf' with a nonzero 'cap'.
 * What cannot be expressed is reported as such whatever the room, so that
 * a caller can tell a full output buffer (try later, count a drop) from a
 * message that no buffer would take.  Names are never cut, since a prefix
 * would name something else; display text (a Close reason, a Banner) is
 * cut to its 256-byte field, as the lab's server does.  Encoders never
 * produce what the decoders would refuse.
 */
#ifndef VNS_CODEC_H
#define VNS_CODEC_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vns_type {
    VNS_OPEN = 1,
    VNS_CLOSE = 2,
    VNS_PACKET = 4,
    VNS_BANNER = 8,
    VNS_HWINFO = 16,
    VNS_RTABLE = 32,
    VNS_OPEN_TEMPLATE = 64,
    VNS_AUTH_REQUEST = 128,
    VNS_AUTH_REPLY = 256,
    VNS_AUTH_STATUS = 512,
};

#define VNS_HEADER_LEN 8
/* The lab's client refuses messages over 10000 bytes; so do we. */
#define VNS_MAX_MESSAGE   10000
#define VNS_IFACE_LEN     16 /* Interface names, NUL-padded on the wire. */
#define VNS_NAME_LEN      32 /* Host, user, password fields. */
#define VNS_CLOSE_LEN     256
#define VNS_BANNER_LEN    256
#define VNS_SALT_LEN      20 /* What the lab's server sends. */
#define VNS_SHA1_LEN      20
#define VNS_OPEN_MSG_LEN  108
#define VNS_CLOSE_MSG_LEN 264

/* HWInfo keys. */
#define VNS_HW_INTERFACE 1
#define VNS_HW_SPEED     2
#define VNS_HW_SUBNET    4
#define VNS_HW_IN_USE    8
#define VNS_HW_FIXED_IP  16
#define VNS_HW_ETHER     32
#define VNS_HW_ETH_IP    64
#define VNS_HW_MASK      128
#define VNS_HW_ENTRY_LEN 36 /* u32 key + 32-byte value. */

/* Most interfaces a HWInfo may describe. */
#define VNS_MAX_IFACES 32

/* Wire layouts.  Every field is a byte array, so that each struct has an
 * alignment of 1 and may lie over a message anywhere in a buffer; integers
 * are read and written with plexus/byteorder.h.  Variable parts (a frame,
 * a salt, HWInfo's entries, a user name, text) follow the fixed part. */
struct vns_wire_header {
    uint8_t length[4]; /* The whole message, these 8 bytes included. */
    uint8_t type[4];   /* enum vns_type. */
};

/* Open (router to server): 108 bytes. */
struct vns_wire_open {
    struct vns_wire_header h;
    uint8_t topo_id[2];
    uint8_t pad[2]; /* Written as zeros, ignored when read. */
    char vhost[VNS_NAME_LEN];
    char user[VNS_NAME_LEN];
    char pass[VNS_NAME_LEN];
};

/* Close (either way): 264 bytes. */
struct vns_wire_close {
    struct vns_wire_header h;
    char reason[VNS_CLOSE_LEN];
};

/* Packet (either way): 24 bytes, then an Ethernet frame. */
struct vns_wire_packet {
    struct vns_wire_header h;
    char iface[VNS_IFACE_LEN];
};

/* Banner (server to router): 264 bytes. */
struct vns_wire_banner {
    struct vns_wire_header h;
    char text[VNS_BANNER_LEN];
};

/* HWInfo (server to router) is a header and then entries, each a key
 * (VNS_HW_*) and a value; a number in a value is big-endian, an address
 * in network order, either at the value's start. */
struct vns_wire_hw_entry {
    uint8_t key[4];
    uint8_t value[VNS_HW_ENTRY_LEN - 4];
};

/* AuthRequest (server to router) is a header and the salt. */

/* AuthReply (router to server): 12 bytes, then the user name (no NUL) and
 * the VNS_SHA1_LEN bytes of SHA-1(salt, key). */
struct vns_wire_auth_reply {
    struct vns_wire_header h;
    uint8_t user_len[4];
};

/* AuthStatus (server to router): 9 bytes, then text to the end. */
struct vns_wire_auth_status {
    struct vns_wire_header h;
    uint8_t ok; /* Nonzero is success. */
};

/* The layouts against the protocol's sizes.  (C++ has its own spelling of
 * these; the codec, in C, checks them for everyone.) */
#ifndef __cplusplus
_Static_assert(sizeof(struct vns_wire_header) == VNS_HEADER_LEN,
               "VNS header is not 8 bytes");
_Static_assert(sizeof(struct vns_wire_open) == VNS_OPEN_MSG_LEN,
               "VNS Open is not 108 bytes");
_Static_assert(sizeof(struct vns_wire_close) == VNS_CLOSE_MSG_LEN,
               "VNS Close is not 264 bytes");
_Static_assert(sizeof(struct vns_wire_packet) == 24,
               "VNS Packet's fixed part is not 24 bytes");
_Static_assert(sizeof(struct vns_wire_banner) == 264,
               "VNS Banner is not 264 bytes");
_Static_assert(sizeof(struct vns_wire_hw_entry) == VNS_HW_ENTRY_LEN,
               "VNS HWInfo entry is not 36 bytes");
_Static_assert(sizeof(struct vns_wire_auth_reply) == 12,
               "VNS AuthReply's fixed part is not 12 bytes");
_Static_assert(sizeof(struct vns_wire_auth_status) == 9,
               "VNS AuthStatus's fixed part is not 9 bytes");
#endif

struct vns_header {
    uint32_t length;
    uint32_t type;
};

/* Looks at the start of 'buf'.  0 with 'h' filled when a whole message of
 * h->length bytes is there; EAGAIN when more bytes are needed; EPROTO (with
 * 'why') when the length is under 8 or over VNS_MAX_MESSAGE. */
int vns_frame(const uint8_t *buf, size_t len, struct vns_header *h,
              const char **why);

struct vns_open {
    uint16_t topo_id;
    char vhost[VNS_NAME_LEN + 1];
    char user[VNS_NAME_LEN + 1];
    char pass[VNS_NAME_LEN + 1];
};

/* One router interface, as HWInfo carries it.  Addresses are in network
 * byte order as on the wire (they are only compared and copied). */
struct vns_iface {
    char name[VNS_IFACE_LEN + 1];
    uint8_t mac[6];
    uint32_t ip;
    uint32_t mask;
    uint32_t speed;
};

int vns_decode_open(const uint8_t *msg, size_t len, struct vns_open *o,
                    const char **why);
/* 'reason' gets at most VNS_CLOSE_LEN characters, NUL-terminated. */
int vns_decode_close(const uint8_t *msg, size_t len, char *reason, size_t size,
                     const char **why);
/* A Packet: the interface name and the Ethernet frame (pointer into
 * 'msg'). */
int vns_decode_packet(const uint8_t *msg, size_t len,
                      char iface[VNS_IFACE_LEN + 1], const uint8_t **frame,
                      size_t *frame_len, const char **why);
int vns_decode_banner(const uint8_t *msg, size_t len, char *text, size_t size,
                      const char **why);
/* HWInfo: entries in order; an attribute before any interface name is
 * EPROTO; more than 'max' interfaces is EPROTO. */
int vns_decode_hwinfo(const uint8_t *msg, size_t len, struct vns_iface *ifs,
                      size_t max, size_t *n, const char **why);
/* AuthRequest: the salt (pointer into 'msg', 1..VNS_MAX_MESSAGE bytes). */
int vns_decode_auth_request(const uint8_t *msg, size_t len,
                            const uint8_t **salt, size_t *salt_len,
                            const char **why);
/* AuthReply: u32 user length, user, 20-byte SHA-1. */
int vns_decode_auth_reply(const uint8_t *msg, size_t len, char *user,
                          size_t user_size, uint8_t sha1[VNS_SHA1_LEN],
                          const char **why);
/* AuthStatus: u8 ok, then message text. */
int vns_decode_auth_status(const uint8_t *msg, size_t len, int *ok, char *text,
                           size_t size, const char **why);

/* Encoders: 0, ENOBUFS, EMSGSIZE or EINVAL, as the comment at the top of
 * this file says; the message's length in '*len'. */
int vns_encode_open(uint8_t *buf, size_t cap, const struct vns_open *o,
                    size_t *len);
/* 'reason' (NULL: none) is cut to VNS_CLOSE_LEN bytes. */
int vns_encode_close(uint8_t *buf, size_t cap, const char *reason,
                     size_t *len);
/* A Packet: the header is written in front of 'frame', which may already
 * lie in 'buf' right where the frame goes (buf + 24). */
int vns_encode_packet(uint8_t *buf, size_t cap, const char *iface,
                      const uint8_t *frame, size_t frame_len, size_t *len);
/* 'text' (NULL: none) is cut to VNS_BANNER_LEN bytes. */
int vns_encode_banner(uint8_t *buf, size_t cap, const char *text, size_t *len);
/* HWInfo as the lab's server sends it: per interface, name, speed, MAC,
 * IP, subnet (0), mask. */
int vns_encode_hwinfo(uint8_t *buf, size_t cap, const struct vns_iface *ifs,
                      size_t n, size_t *len);
int vns_encode_auth_request(uint8_t *buf, size_t cap, const uint8_t *salt,
                            size_t salt_len, size_t *len);
int vns_encode_auth_reply(uint8_t *buf, size_t cap, const char *user,
                          const uint8_t sha1[VNS_SHA1_LEN], size_t *len);
/* 'text' may be NULL (none). */
int vns_encode_auth_status(uint8_t *buf, size_t cap, int ok, const char *text,
                           size_t *len);

/* SHA-1 of (salt followed by key), as AuthReply carries it, computed by
 * OpenSSL's libcrypto (so whatever links vns_codec.c links -lcrypto).  0, or
 * EIO when libcrypto fails (out of memory, or SHA-1 unavailable in its
 * configuration); 'out' is then all zeros, and must not be sent or
 * compared, since a zero digest would match a peer that sends zeros. */
int vns_auth_digest(const uint8_t *salt, size_t salt_len, const uint8_t *key,
                    size_t key_len, uint8_t out[VNS_SHA1_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* VNS_CODEC_H */
