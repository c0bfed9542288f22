/*
 * The VNS protocol codec (see vns_codec.h): the messages between the software
 * router and the VNS server of the Stanford "simple router" lab, byte for
 * byte as the lab's C client and Python server write them.
 *
 * Everything here is a pure function over byte buffers: no I/O, no
 * allocation of ours, no state (libcrypto allocates, and frees, a digest
 * context inside vns_auth_digest).  The wire is big-endian and buffers
 * have no alignment, so every multi-byte field goes through memcpy and
 * ntohl/htonl (a cast would be undefined behaviour that UBSan reports).
 *
 * Decoders first check that the message is whole (its header's length is
 * 'len'), of their type and within VNS_MAX_MESSAGE, then check every
 * length they use against what is left; every failure is EPROTO with a
 * static reason.  Encoders compute the message's length first and write
 * nothing unless it fits in 'cap'; they also return 0 for what the
 * decoders would refuse (an over-long interface name, an empty salt, a
 * message over VNS_MAX_MESSAGE), so that we never send what we would not
 * accept.
 *
 * Fixed-size text fields: encoders write the string NUL-padded, cut to the
 * field's size (a NUL is not needed when the text fills the field, as in
 * Python's struct.pack('256s'), which the lab's server uses); decoders copy
 * up to the first NUL or the field's end, cut to the destination's size,
 * and always NUL-terminate.
 */
#include "plexus/vns_codec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

#define OPEN_TOPO_OFS  8
#define OPEN_VHOST_OFS 12
#define OPEN_USER_OFS  (OPEN_VHOST_OFS + VNS_NAME_LEN)
#define OPEN_PASS_OFS  (OPEN_USER_OFS + VNS_NAME_LEN)

#define PACKET_FRAME_OFS (VNS_HEADER_LEN + VNS_IFACE_LEN)
/* The lab's client drops a Packet without a whole Ethernet header. */
#define ETH_HEADER_LEN 14

#define HW_VALUE_LEN (VNS_HW_ENTRY_LEN - 4)
/* What vns_encode_hwinfo writes per interface: name, speed, MAC, IP,
 * subnet, mask. */
#define HW_ENTRIES_PER_IFACE 6

#define AUTH_REPLY_MIN  (VNS_HEADER_LEN + 4 + VNS_SHA1_LEN)
#define AUTH_STATUS_MIN (VNS_HEADER_LEN + 1)

static uint32_t
get_be32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof v);
    return ntohl(v);
}

static uint16_t
get_be16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof v);
    return ntohs(v);
}

static void
set_be32(uint8_t *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, sizeof v);
}

static void
set_be16(uint8_t *p, uint16_t v)
{
    v = htons(v);
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

/* Checks what every decoder needs of 'msg': a whole message ('len' equal to
 * the header's length) of 'type', no longer than the protocol allows. */
static int
start(const uint8_t *msg, size_t len, uint32_t type, const char **why)
{
    if (!msg || len < VNS_HEADER_LEN) {
        return fail(why, "message shorter than a header");
    }
    if (len > VNS_MAX_MESSAGE) {
        return fail(why, "message over 10000 bytes");
    }
    if (get_be32(msg) != len) {
        return fail(why, "header length is not the message length");
    }
    if (get_be32(msg + 4) != type) {
        return fail(why, "unexpected message type");
    }
    return 0;
}

/* Copies the text of 'wire' (up to its first NUL, at most 'wire_len'
 * bytes) into 'dst' of 'size' bytes, cut to fit and NUL-terminated.  Text
 * from the wire need not be terminated, so it is never used as a C string
 * before this. */
static void
copy_text(char *dst, size_t size, const uint8_t *wire, size_t wire_len)
{
    const uint8_t *nul = memchr(wire, '\0', wire_len);
    size_t n = nul ? (size_t)(nul - wire) : wire_len;

    if (!dst || !size) {
        return;
    }
    if (n > size - 1) {
        n = size - 1;
    }
    memcpy(dst, wire, n);
    dst[n] = '\0';
}

/* Writes 'text', cut to 'field_len' bytes, into the zeroed field at 'p'. */
static void
put_text(uint8_t *p, size_t field_len, const char *text)
{
    if (text) {
        memcpy(p, text, strnlen(text, field_len));
    }
}

/* Starts a message of 'type' and 'len' bytes in 'buf': false, and nothing
 * written, unless it fits.  The body is zeroed, which pads every text
 * field. */
static bool
start_msg(uint8_t *buf, size_t cap, uint32_t type, size_t len)
{
    if (!buf || len > cap || len > VNS_MAX_MESSAGE) {
        return false;
    }
    memset(buf, 0, len);
    set_be32(buf, len);
    set_be32(buf + 4, type);
    return true;
}

int
vns_frame(const uint8_t *buf, size_t len, struct vns_header *h,
          const char **why)
{
    if (!buf || len < VNS_HEADER_LEN) {
        return EAGAIN;
    }
    h->length = get_be32(buf);
    h->type = get_be32(buf + 4);
    if (h->length < VNS_HEADER_LEN) {
        /* No way to find the next message: the stream is lost. */
        return fail(why, "header length below 8");
    }
    if (h->length > VNS_MAX_MESSAGE) {
        /* The lab's client refuses these too; waiting for up to 4 GB
         * would let a peer make us buffer without bound. */
        return fail(why, "header length over 10000");
    }
    return len < h->length ? EAGAIN : 0;
}

int
vns_decode_open(const uint8_t *msg, size_t len, struct vns_open *o,
                const char **why)
{
    int error = start(msg, len, VNS_OPEN, why);

    if (error) {
        return error;
    }
    if (len != VNS_OPEN_MSG_LEN) {
        return fail(why, "open message is not 108 bytes");
    }
    /* The pad is ignored, as the lab's server does. */
    o->topo_id = get_be16(msg + OPEN_TOPO_OFS);
    copy_text(o->vhost, sizeof o->vhost, msg + OPEN_VHOST_OFS, VNS_NAME_LEN);
    copy_text(o->user, sizeof o->user, msg + OPEN_USER_OFS, VNS_NAME_LEN);
    copy_text(o->pass, sizeof o->pass, msg + OPEN_PASS_OFS, VNS_NAME_LEN);
    return 0;
}

int
vns_decode_close(const uint8_t *msg, size_t len, char *reason, size_t size,
                 const char **why)
{
    int error = start(msg, len, VNS_CLOSE, why);

    if (error) {
        return error;
    }
    if (len != VNS_CLOSE_MSG_LEN) {
        return fail(why, "close message is not 264 bytes");
    }
    copy_text(reason, size, msg + VNS_HEADER_LEN, VNS_CLOSE_LEN);
    return 0;
}

int
vns_decode_packet(const uint8_t *msg, size_t len,
                  char iface[VNS_IFACE_LEN + 1], const uint8_t **frame,
                  size_t *frame_len, const char **why)
{
    int error = start(msg, len, VNS_PACKET, why);

    if (error) {
        return error;
    }
    if (len < PACKET_FRAME_OFS + ETH_HEADER_LEN) {
        return fail(why, "packet shorter than an Ethernet header");
    }
    copy_text(iface, VNS_IFACE_LEN + 1, msg + VNS_HEADER_LEN, VNS_IFACE_LEN);
    *frame = msg + PACKET_FRAME_OFS;
    *frame_len = len - PACKET_FRAME_OFS;
    return 0;
}

int
vns_decode_banner(const uint8_t *msg, size_t len, char *text, size_t size,
                  const char **why)
{
    int error = start(msg, len, VNS_BANNER, why);

    if (error) {
        return error;
    }
    if (len != VNS_HEADER_LEN + VNS_BANNER_LEN) {
        return fail(why, "banner message is not 264 bytes");
    }
    copy_text(text, size, msg + VNS_HEADER_LEN, VNS_BANNER_LEN);
    return 0;
}

int
vns_decode_hwinfo(const uint8_t *msg, size_t len, struct vns_iface *ifs,
                  size_t max, size_t *n, const char **why)
{
    struct vns_iface *cur = NULL;
    size_t n_ifs = 0, ofs;
    int error = start(msg, len, VNS_HWINFO, why);

    if (error) {
        return error;
    }
    if ((len - VNS_HEADER_LEN) % VNS_HW_ENTRY_LEN) {
        /* The lab's client would silently drop a partial entry; a
         * partial entry means the sender and we disagree on the format,
         * so nothing else in it can be trusted either. */
        return fail(why, "hwinfo is not a whole number of entries");
    }
    for (ofs = VNS_HEADER_LEN; ofs < len; ofs += VNS_HW_ENTRY_LEN) {
        uint32_t key = get_be32(msg + ofs);
        const uint8_t *value = msg + ofs + 4;

        switch (key) {
        case VNS_HW_INTERFACE:
            if (n_ifs >= max) {
                return fail(why, "too many interfaces in hwinfo");
            }
            cur = &ifs[n_ifs++];
            memset(cur, 0, sizeof *cur);
            /* The value has room for 32 bytes, but a Packet names the
             * interface in 16, so that is all a name can usefully be. */
            copy_text(cur->name, sizeof cur->name, value, HW_VALUE_LEN);
            continue;
        case VNS_HW_SPEED:
        case VNS_HW_SUBNET:
        case VNS_HW_IN_USE:
        case VNS_HW_FIXED_IP:
        case VNS_HW_ETHER:
        case VNS_HW_ETH_IP:
        case VNS_HW_MASK:
            break;
        default:
            /* Unknown keys are skipped, for what a newer server adds. */
            continue;
        }

        /* An attribute: it belongs to the last interface named. */
        if (!cur) {
            return fail(why, "hwinfo attribute before an interface name");
        }
        switch (key) {
        case VNS_HW_SPEED:
            cur->speed = get_be32(value);
            break;
        case VNS_HW_ETHER:
            memcpy(cur->mac, value, sizeof cur->mac);
            break;
        case VNS_HW_ETH_IP:
            memcpy(&cur->ip, value, sizeof cur->ip);
            break;
        case VNS_HW_MASK:
            memcpy(&cur->mask, value, sizeof cur->mask);
            break;
        default:
            /* Subnet, in-use and fixed IP: nothing the router uses. */
            break;
        }
    }
    *n = n_ifs;
    return 0;
}

int
vns_decode_auth_request(const uint8_t *msg, size_t len, const uint8_t **salt,
                        size_t *salt_len, const char **why)
{
    int error = start(msg, len, VNS_AUTH_REQUEST, why);

    if (error) {
        return error;
    }
    if (len == VNS_HEADER_LEN) {
        /* A digest without salt could be replayed from any session. */
        return fail(why, "auth request without salt");
    }
    *salt = msg + VNS_HEADER_LEN;
    *salt_len = len - VNS_HEADER_LEN;
    return 0;
}

int
vns_decode_auth_reply(const uint8_t *msg, size_t len, char *user,
                      size_t user_size, uint8_t sha1[VNS_SHA1_LEN],
                      const char **why)
{
    const uint8_t *name;
    uint32_t user_len;
    int error = start(msg, len, VNS_AUTH_REPLY, why);

    if (error) {
        return error;
    }
    if (len < AUTH_REPLY_MIN) {
        return fail(why, "auth reply too short");
    }
    user_len = get_be32(msg + VNS_HEADER_LEN);
    name = msg + VNS_HEADER_LEN + 4;
    if (user_len != len - AUTH_REPLY_MIN) {
        return fail(why, "auth reply user length does not match");
    }
    /* Unlike display text, a user name is not cut: a prefix of it would
     * name another user.  A NUL inside would do the same. */
    if (user_len >= user_size) {
        return fail(why, "auth reply user name too long");
    }
    if (memchr(name, '\0', user_len)) {
        return fail(why, "NUL in auth reply user name");
    }
    memcpy(user, name, user_len);
    user[user_len] = '\0';
    memcpy(sha1, name + user_len, VNS_SHA1_LEN);
    return 0;
}

int
vns_decode_auth_status(const uint8_t *msg, size_t len, int *ok, char *text,
                       size_t size, const char **why)
{
    int error = start(msg, len, VNS_AUTH_STATUS, why);

    if (error) {
        return error;
    }
    if (len < AUTH_STATUS_MIN) {
        return fail(why, "auth status too short");
    }
    /* The lab's client takes any nonzero byte as success. */
    *ok = msg[VNS_HEADER_LEN] != 0;
    copy_text(text, size, msg + AUTH_STATUS_MIN, len - AUTH_STATUS_MIN);
    return 0;
}

size_t
vns_encode_open(uint8_t *buf, size_t cap, const struct vns_open *o)
{
    if (!o || !start_msg(buf, cap, VNS_OPEN, VNS_OPEN_MSG_LEN)) {
        return 0;
    }
    set_be16(buf + OPEN_TOPO_OFS, o->topo_id);
    put_text(buf + OPEN_VHOST_OFS, VNS_NAME_LEN, o->vhost);
    put_text(buf + OPEN_USER_OFS, VNS_NAME_LEN, o->user);
    put_text(buf + OPEN_PASS_OFS, VNS_NAME_LEN, o->pass);
    return VNS_OPEN_MSG_LEN;
}

size_t
vns_encode_close(uint8_t *buf, size_t cap, const char *reason)
{
    if (!start_msg(buf, cap, VNS_CLOSE, VNS_CLOSE_MSG_LEN)) {
        return 0;
    }
    put_text(buf + VNS_HEADER_LEN, VNS_CLOSE_LEN, reason);
    return VNS_CLOSE_MSG_LEN;
}

size_t
vns_encode_packet(uint8_t *buf, size_t cap, const char *iface,
                  const uint8_t *frame, size_t frame_len)
{
    size_t len = PACKET_FRAME_OFS + frame_len;

    /* A longer name would be cut to another interface's; a frame without
     * an Ethernet header would be dropped by the other side.  The test of
     * 'frame_len' also keeps 'len' from wrapping. */
    if (!buf || !iface || strnlen(iface, VNS_IFACE_LEN + 1) > VNS_IFACE_LEN ||
        !frame || frame_len < ETH_HEADER_LEN || frame_len > VNS_MAX_MESSAGE ||
        len > cap || len > VNS_MAX_MESSAGE) {
        return 0;
    }
    /* The frame first, with memmove: the caller may have built it in
     * 'buf' already, right after where the header goes. */
    memmove(buf + PACKET_FRAME_OFS, frame, frame_len);
    memset(buf, 0, PACKET_FRAME_OFS);
    set_be32(buf, len);
    set_be32(buf + 4, VNS_PACKET);
    put_text(buf + VNS_HEADER_LEN, VNS_IFACE_LEN, iface);
    return len;
}

size_t
vns_encode_banner(uint8_t *buf, size_t cap, const char *text)
{
    size_t len = VNS_HEADER_LEN + VNS_BANNER_LEN;

    if (!start_msg(buf, cap, VNS_BANNER, len)) {
        return 0;
    }
    put_text(buf + VNS_HEADER_LEN, VNS_BANNER_LEN, text);
    return len;
}

/* Writes one HWInfo entry at 'p' (zeroed): 'key', then 'value_len' bytes
 * of 'value'. */
static uint8_t *
put_hw_entry(uint8_t *p, uint32_t key, const void *value, size_t value_len)
{
    set_be32(p, key);
    memcpy(p + 4, value, value_len);
    return p + VNS_HW_ENTRY_LEN;
}

size_t
vns_encode_hwinfo(uint8_t *buf, size_t cap, const struct vns_iface *ifs,
                  size_t n)
{
    const size_t per_iface = HW_ENTRIES_PER_IFACE * VNS_HW_ENTRY_LEN;
    static const uint8_t zero[4];
    uint8_t *p;
    size_t len, i;

    /* Checked before multiplying, so that 'len' cannot wrap. */
    if ((n && !ifs) || n > VNS_MAX_MESSAGE / per_iface) {
        return 0;
    }
    len = VNS_HEADER_LEN + n * per_iface;
    if (!start_msg(buf, cap, VNS_HWINFO, len)) {
        return 0;
    }
    p = buf + VNS_HEADER_LEN;
    for (i = 0; i < n; i++) {
        const struct vns_iface *f = &ifs[i];
        uint8_t speed[4];

        set_be32(speed, f->speed);
        set_be32(p, VNS_HW_INTERFACE);
        put_text(p + 4, VNS_IFACE_LEN, f->name);
        p += VNS_HW_ENTRY_LEN;
        p = put_hw_entry(p, VNS_HW_SPEED, speed, sizeof speed);
        p = put_hw_entry(p, VNS_HW_ETHER, f->mac, sizeof f->mac);
        p = put_hw_entry(p, VNS_HW_ETH_IP, &f->ip, sizeof f->ip);
        p = put_hw_entry(p, VNS_HW_SUBNET, zero, sizeof zero);
        p = put_hw_entry(p, VNS_HW_MASK, &f->mask, sizeof f->mask);
    }
    return len;
}

size_t
vns_encode_auth_request(uint8_t *buf, size_t cap, const uint8_t *salt,
                        size_t salt_len)
{
    /* The first test keeps the sum from wrapping. */
    if (!salt || !salt_len || salt_len > VNS_MAX_MESSAGE ||
        !start_msg(buf, cap, VNS_AUTH_REQUEST, VNS_HEADER_LEN + salt_len)) {
        return 0;
    }
    memcpy(buf + VNS_HEADER_LEN, salt, salt_len);
    return VNS_HEADER_LEN + salt_len;
}

size_t
vns_encode_auth_reply(uint8_t *buf, size_t cap, const char *user,
                      const uint8_t sha1[VNS_SHA1_LEN])
{
    size_t user_len, len;

    if (!user || !sha1) {
        return 0;
    }
    user_len = strnlen(user, VNS_MAX_MESSAGE + 1);
    len = AUTH_REPLY_MIN + user_len;
    if (!start_msg(buf, cap, VNS_AUTH_REPLY, len)) {
        return 0;
    }
    /* The user name is counted, not NUL-terminated, as the lab's client
     * sends it. */
    set_be32(buf + VNS_HEADER_LEN, user_len);
    memcpy(buf + VNS_HEADER_LEN + 4, user, user_len);
    memcpy(buf + VNS_HEADER_LEN + 4 + user_len, sha1, VNS_SHA1_LEN);
    return len;
}

size_t
vns_encode_auth_status(uint8_t *buf, size_t cap, int ok, const char *text)
{
    size_t text_len = text ? strnlen(text, VNS_MAX_MESSAGE + 1) : 0;
    size_t len = AUTH_STATUS_MIN + text_len;

    if (!start_msg(buf, cap, VNS_AUTH_STATUS, len)) {
        return 0;
    }
    buf[VNS_HEADER_LEN] = ok != 0;
    if (text_len) {
        memcpy(buf + AUTH_STATUS_MIN, text, text_len);
    }
    return len;
}

/* SHA-1 comes from OpenSSL's libcrypto, the project's TLS library: a
 * well-kept, widely reviewed implementation is less to trust than one of
 * our own.  The EVP interface is used because OpenSSL 3 deprecates the
 * low-level SHA1_* calls.  The salt and key go in as two updates, so the
 * caller need not join them in a buffer of its own. */
int
vns_auth_digest(const uint8_t *salt, size_t salt_len, const uint8_t *key,
                size_t key_len, uint8_t out[VNS_SHA1_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int out_len = 0;
    int ok;

    ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
         (!salt || !salt_len || EVP_DigestUpdate(ctx, salt, salt_len)) &&
         (!key || !key_len || EVP_DigestUpdate(ctx, key, key_len)) &&
         EVP_DigestFinal_ex(ctx, out, &out_len) && out_len == VNS_SHA1_LEN;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        /* Zero the output so that no caller can compare a half-written
         * digest by mistake, and clear OpenSSL's error queue so that a
         * later, unrelated OpenSSL call (TLS) does not report our
         * failure as its own. */
        memset(out, 0, VNS_SHA1_LEN);
        ERR_clear_error();
        return EIO;
    }
    return 0;
}
