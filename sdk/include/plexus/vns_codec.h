/*
 * The VNS protocol codec, shared by the router (router/sr) and the
 * vns_server plugin: pure functions over byte buffers for every message of
 * the Stanford "simple router" lab's protocol.  No I/O, no allocation
 * (but libcrypto's own, inside vns_auth_digest).
 *
 * Wire format: all integers big-endian; each message is u32 length (the
 * whole message, header included), u32 type, body.  Fixed-size text fields
 * are NUL-padded; decoders copy them out NUL-terminated.
 *
 * Decoders take one complete message (as delimited by vns_frame), check
 * every length before using it, and return EPROTO with a short static
 * reason in '*why' on malformed input.  Pointers they store point into the
 * caller's buffer.  Encoders write into 'buf' of 'cap' bytes and return the
 * message length, or 0 when it does not fit.
 */
#ifndef VNS_CODEC_H
#define VNS_CODEC_H 1

#include <stddef.h>
#include <stdint.h>

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

size_t vns_encode_open(uint8_t *buf, size_t cap, const struct vns_open *o);
size_t vns_encode_close(uint8_t *buf, size_t cap, const char *reason);
/* A Packet: the header is written in front of 'frame'. */
size_t vns_encode_packet(uint8_t *buf, size_t cap, const char *iface,
                         const uint8_t *frame, size_t frame_len);
size_t vns_encode_banner(uint8_t *buf, size_t cap, const char *text);
/* HWInfo as the lab's server sends it: per interface, name, speed, MAC,
 * IP, subnet (0), mask. */
size_t vns_encode_hwinfo(uint8_t *buf, size_t cap, const struct vns_iface *ifs,
                         size_t n);
size_t vns_encode_auth_request(uint8_t *buf, size_t cap, const uint8_t *salt,
                               size_t salt_len);
size_t vns_encode_auth_reply(uint8_t *buf, size_t cap, const char *user,
                             const uint8_t sha1[VNS_SHA1_LEN]);
size_t vns_encode_auth_status(uint8_t *buf, size_t cap, int ok,
                              const char *text);

/* SHA-1 of (salt followed by key), as AuthReply carries it, computed by
 * OpenSSL's libcrypto (so whatever links vns_codec.c links -lcrypto).  0, or
 * EIO when libcrypto fails (out of memory, or SHA-1 unavailable in its
 * configuration); 'out' is then all zeros, and must not be sent or
 * compared, since a zero digest would match a peer that sends zeros. */
int vns_auth_digest(const uint8_t *salt, size_t salt_len, const uint8_t *key,
                    size_t key_len, uint8_t out[VNS_SHA1_LEN]);

#endif /* VNS_CODEC_H */
