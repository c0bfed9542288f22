/*
 * The VNS protocol codec (see vns_codec.h): the messages between the software
 * router and the VNS server of the Stanford "simple router" lab, byte for
 * byte as the lab's C client and Python server write them.
 *
 * Everything here is a pure function over byte buffers: no I/O, no
 * allocation of ours, no state (libcrypto allocates, and frees, a digest
 * context inside vns_auth_digest).  Messages are read and written through
 * the wire structs of vns_codec.h, whose fields are byte arrays (alignment
 * 1, so they lie over a buffer anywhere), and integers through
 * plexus/byteorder.h.
 *
 * Decoders first check that the message is whole (its header's length is
 * 'len'), of their type and within VNS_MAX_MESSAGE, then check every
 * length they use against what is left; every failure is EPROTO with a
 * static reason.  Encoders first check that the message can be expressed
 * at all (EMSGSIZE, EINVAL), then that it fits in 'cap' (ENOBUFS), and
 * write nothing unless both hold; what they refuse is what the decoders
 * would refuse (an over-long interface name, an empty salt, a message over
 * VNS_MAX_MESSAGE), so that we never send what we would not accept.
 *
 * Fixed-size text fields: encoders write the string NUL-padded (a NUL is
 * not needed when the text fills the field, as in Python's
 * struct.pack('256s'), which the lab's server uses); names longer than
 * their field are refused, display text is cut to it.  Decoders copy up to
 * the first NUL or the field's end, cut to the destination's size, and
 * always NUL-terminate.
 */
#include "plexus/vns_codec.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

#include "plexus/byteorder.h"

/* The lab's client drops a Packet without a whole Ethernet header. */
#define ETH_HEADER_LEN 14

/* What vns_encode_hwinfo writes per interface: name, speed, MAC, IP,
 * subnet, mask. */
#define HW_ENTRIES_PER_IFACE 6

#define AUTH_REPLY_MIN (sizeof(struct vns_wire_auth_reply) + VNS_SHA1_LEN)

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
    const struct vns_wire_header *h = (const void *)msg;

    if (!msg || len < sizeof *h) {
        return fail(why, "message shorter than a header");
    }
    if (len > VNS_MAX_MESSAGE) {
        return fail(why, "message over 10000 bytes");
    }
    if (px_get_be32(h->length) != len) {
        return fail(why, "header length is not the message length");
    }
    if (px_get_be32(h->type) != type) {
        return fail(why, "unexpected message type");
    }
    return 0;
}

/* Copies the text of 'wire' (up to its first NUL, at most 'wire_len'
 * bytes) into 'dst' of 'size' bytes, cut to fit and NUL-terminated.  Text
 * from the wire need not be terminated, so it is never used as a C string
 * before this. */
static void
copy_text(char *dst, size_t size, const void *wire, size_t wire_len)
{
    const char *nul = memchr(wire, '\0', wire_len);
    size_t n = nul ? (size_t)(nul - (const char *)wire) : wire_len;

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
put_text(char *p, size_t field_len, const char *text)
{
    if (text) {
        memcpy(p, text, strnlen(text, field_len));
    }
}

/* Nonzero when 'name' is longer than a field of 'field_len' bytes: a name
 * is never cut, since a prefix of it would name something else. */
static int
name_too_long(const char *name, size_t field_len)
{
    return strnlen(name, field_len + 1) > field_len;
}

/* Checks that a message of 'len' bytes can be sent and fits 'buf' of 'cap'
 * bytes: 0, EMSGSIZE, EINVAL or ENOBUFS (vns_codec.h). */
static int
check_room(const uint8_t *buf, size_t cap, size_t len)
{
    if (len > VNS_MAX_MESSAGE) {
        return EMSGSIZE;
    }
    if (!buf && cap) {
        return EINVAL;
    }
    return len > cap ? ENOBUFS : 0;
}

/* Writes the header of a message of 'type' and 'len' bytes, which fit, at
 * the start of 'buf' and zeroes the first 'zero' bytes of the body, which
 * pads every text field there. */
static void
put_header(uint8_t *buf, uint32_t type, size_t len, size_t zero)
{
    struct vns_wire_header *h = (void *)buf;

    memset(buf + sizeof *h, 0, zero);
    px_put_be32(h->length, (uint32_t)len);
    px_put_be32(h->type, type);
}

/* The result of an encoder: 'error', or 0 with the length 'n'. */
static int
done(int error, size_t n, size_t *len)
{
    if (len) {
        *len = error ? 0 : n;
    }
    return error;
}

int
vns_frame(const uint8_t *buf, size_t len, struct vns_header *h,
          const char **why)
{
    const struct vns_wire_header *w = (const void *)buf;

    if (!buf || len < sizeof *w) {
        return EAGAIN;
    }
    h->length = px_get_be32(w->length);
    h->type = px_get_be32(w->type);
    if (h->length < sizeof *w) {
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
    const struct vns_wire_open *w = (const void *)msg;
    int error = start(msg, len, VNS_OPEN, why);

    if (error) {
        return error;
    }
    if (len != sizeof *w) {
        return fail(why, "open message is not 108 bytes");
    }
    /* The pad is ignored, as the lab's server does. */
    o->topo_id = px_get_be16(w->topo_id);
    copy_text(o->vhost, sizeof o->vhost, w->vhost, sizeof w->vhost);
    copy_text(o->user, sizeof o->user, w->user, sizeof w->user);
    copy_text(o->pass, sizeof o->pass, w->pass, sizeof w->pass);
    return 0;
}

int
vns_decode_close(const uint8_t *msg, size_t len, char *reason, size_t size,
                 const char **why)
{
    const struct vns_wire_close *w = (const void *)msg;
    int error = start(msg, len, VNS_CLOSE, why);

    if (error) {
        return error;
    }
    if (len != sizeof *w) {
        return fail(why, "close message is not 264 bytes");
    }
    copy_text(reason, size, w->reason, sizeof w->reason);
    return 0;
}

int
vns_decode_packet(const uint8_t *msg, size_t len,
                  char iface[VNS_IFACE_LEN + 1], const uint8_t **frame,
                  size_t *frame_len, const char **why)
{
    const struct vns_wire_packet *w = (const void *)msg;
    int error = start(msg, len, VNS_PACKET, why);

    if (error) {
        return error;
    }
    if (len < sizeof *w + ETH_HEADER_LEN) {
        return fail(why, "packet shorter than an Ethernet header");
    }
    copy_text(iface, VNS_IFACE_LEN + 1, w->iface, sizeof w->iface);
    *frame = msg + sizeof *w;
    *frame_len = len - sizeof *w;
    return 0;
}

int
vns_decode_banner(const uint8_t *msg, size_t len, char *text, size_t size,
                  const char **why)
{
    const struct vns_wire_banner *w = (const void *)msg;
    int error = start(msg, len, VNS_BANNER, why);

    if (error) {
        return error;
    }
    if (len != sizeof *w) {
        return fail(why, "banner message is not 264 bytes");
    }
    copy_text(text, size, w->text, sizeof w->text);
    return 0;
}

int
vns_decode_hwinfo(const uint8_t *msg, size_t len, struct vns_iface *ifs,
                  size_t max, size_t *n, const char **why)
{
    const struct vns_wire_hw_entry *e;
    struct vns_iface *cur = NULL;
    size_t n_ifs = 0, n_entries, i;
    int error = start(msg, len, VNS_HWINFO, why);

    if (error) {
        return error;
    }
    if ((len - sizeof(struct vns_wire_header)) % sizeof *e) {
        /* The lab's client would silently drop a partial entry; a
         * partial entry means the sender and we disagree on the format,
         * so nothing else in it can be trusted either. */
        return fail(why, "hwinfo is not a whole number of entries");
    }
    n_entries = (len - sizeof(struct vns_wire_header)) / sizeof *e;
    e = (const void *)(msg + sizeof(struct vns_wire_header));
    for (i = 0; i < n_entries; i++, e++) {
        uint32_t key = px_get_be32(e->key);

        switch (key) {
        case VNS_HW_INTERFACE:
            if (n_ifs >= max) {
                return fail(why, "too many interfaces in hwinfo");
            }
            cur = &ifs[n_ifs++];
            memset(cur, 0, sizeof *cur);
            /* The value has room for 32 bytes, but a Packet names the
             * interface in 16, so that is all a name can usefully be. */
            copy_text(cur->name, sizeof cur->name, e->value, sizeof e->value);
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
            cur->speed = px_get_be32(e->value);
            break;
        case VNS_HW_ETHER:
            memcpy(cur->mac, e->value, sizeof cur->mac);
            break;
        case VNS_HW_ETH_IP:
            memcpy(&cur->ip, e->value, sizeof cur->ip);
            break;
        case VNS_HW_MASK:
            memcpy(&cur->mask, e->value, sizeof cur->mask);
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
    if (len == sizeof(struct vns_wire_header)) {
        /* A digest without salt could be replayed from any session. */
        return fail(why, "auth request without salt");
    }
    *salt = msg + sizeof(struct vns_wire_header);
    *salt_len = len - sizeof(struct vns_wire_header);
    return 0;
}

int
vns_decode_auth_reply(const uint8_t *msg, size_t len, char *user,
                      size_t user_size, uint8_t sha1[VNS_SHA1_LEN],
                      const char **why)
{
    const struct vns_wire_auth_reply *w = (const void *)msg;
    const uint8_t *name;
    uint32_t user_len;
    int error = start(msg, len, VNS_AUTH_REPLY, why);

    if (error) {
        return error;
    }
    if (len < AUTH_REPLY_MIN) {
        return fail(why, "auth reply too short");
    }
    user_len = px_get_be32(w->user_len);
    name = msg + sizeof *w;
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
    const struct vns_wire_auth_status *w = (const void *)msg;
    int error = start(msg, len, VNS_AUTH_STATUS, why);

    if (error) {
        return error;
    }
    if (len < sizeof *w) {
        return fail(why, "auth status too short");
    }
    /* The lab's client takes any nonzero byte as success. */
    *ok = w->ok != 0;
    copy_text(text, size, msg + sizeof *w, len - sizeof *w);
    return 0;
}

int
vns_encode_open(uint8_t *buf, size_t cap, const struct vns_open *o,
                size_t *len)
{
    struct vns_wire_open *w = (void *)buf;
    int error;

    if (!o) {
        return done(EINVAL, 0, len);
    }
    if (name_too_long(o->vhost, sizeof w->vhost) ||
        name_too_long(o->user, sizeof w->user) ||
        name_too_long(o->pass, sizeof w->pass)) {
        return done(EMSGSIZE, 0, len);
    }
    error = check_room(buf, cap, sizeof *w);
    if (error) {
        return done(error, 0, len);
    }
    put_header(buf, VNS_OPEN, sizeof *w, sizeof *w - sizeof w->h);
    px_put_be16(w->topo_id, o->topo_id);
    put_text(w->vhost, sizeof w->vhost, o->vhost);
    put_text(w->user, sizeof w->user, o->user);
    put_text(w->pass, sizeof w->pass, o->pass);
    return done(0, sizeof *w, len);
}

int
vns_encode_close(uint8_t *buf, size_t cap, const char *reason, size_t *len)
{
    struct vns_wire_close *w = (void *)buf;
    int error = check_room(buf, cap, sizeof *w);

    if (error) {
        return done(error, 0, len);
    }
    put_header(buf, VNS_CLOSE, sizeof *w, sizeof w->reason);
    put_text(w->reason, sizeof w->reason, reason);
    return done(0, sizeof *w, len);
}

int
vns_encode_packet(uint8_t *buf, size_t cap, const char *iface,
                  const uint8_t *frame, size_t frame_len, size_t *len)
{
    struct vns_wire_packet *w = (void *)buf;
    size_t n;
    int error;

    /* A longer name would be cut to another interface's; a frame without
     * an Ethernet header would be dropped by the other side.  The test of
     * 'frame_len' against the most also keeps 'n' from wrapping. */
    if (!iface || !frame || frame_len < ETH_HEADER_LEN) {
        return done(EINVAL, 0, len);
    }
    if (name_too_long(iface, sizeof w->iface) ||
        frame_len > VNS_MAX_MESSAGE - sizeof *w) {
        return done(EMSGSIZE, 0, len);
    }
    n = sizeof *w + frame_len;
    error = check_room(buf, cap, n);
    if (error) {
        return done(error, 0, len);
    }
    /* The frame first, with memmove: the caller may have built it in
     * 'buf' already, right after where the header goes. */
    memmove(buf + sizeof *w, frame, frame_len);
    put_header(buf, VNS_PACKET, n, sizeof w->iface);
    put_text(w->iface, sizeof w->iface, iface);
    return done(0, n, len);
}

int
vns_encode_banner(uint8_t *buf, size_t cap, const char *text, size_t *len)
{
    struct vns_wire_banner *w = (void *)buf;
    int error = check_room(buf, cap, sizeof *w);

    if (error) {
        return done(error, 0, len);
    }
    put_header(buf, VNS_BANNER, sizeof *w, sizeof w->text);
    put_text(w->text, sizeof w->text, text);
    return done(0, sizeof *w, len);
}

/* Fills the zeroed entry 'e' with 'key' and 'value_len' bytes of 'value';
 * returns the next entry. */
static struct vns_wire_hw_entry *
put_hw_entry(struct vns_wire_hw_entry *e, uint32_t key, const void *value,
             size_t value_len)
{
    px_put_be32(e->key, key);
    memcpy(e->value, value, value_len);
    return e + 1;
}

int
vns_encode_hwinfo(uint8_t *buf, size_t cap, const struct vns_iface *ifs,
                  size_t n, size_t *len)
{
    const size_t per_iface =
        HW_ENTRIES_PER_IFACE * sizeof(struct vns_wire_hw_entry);
    const size_t most =
        (VNS_MAX_MESSAGE - sizeof(struct vns_wire_header)) / per_iface;
    struct vns_wire_hw_entry *e;
    static const uint8_t zero[4];
    size_t msg_len, i;
    int error;

    if (n && !ifs) {
        return done(EINVAL, 0, len);
    }
    /* Checked before multiplying, so that 'msg_len' cannot wrap. */
    if (n > most) {
        return done(EMSGSIZE, 0, len);
    }
    for (i = 0; i < n; i++) {
        if (name_too_long(ifs[i].name, VNS_IFACE_LEN)) {
            return done(EMSGSIZE, 0, len);
        }
    }
    msg_len = sizeof(struct vns_wire_header) + n * per_iface;
    error = check_room(buf, cap, msg_len);
    if (error) {
        return done(error, 0, len);
    }
    put_header(buf, VNS_HWINFO, msg_len,
               msg_len - sizeof(struct vns_wire_header));
    e = (void *)(buf + sizeof(struct vns_wire_header));
    for (i = 0; i < n; i++) {
        const struct vns_iface *f = &ifs[i];
        uint8_t speed[4];

        px_put_be32(speed, f->speed);
        e = put_hw_entry(e, VNS_HW_INTERFACE, f->name,
                         strnlen(f->name, VNS_IFACE_LEN));
        e = put_hw_entry(e, VNS_HW_SPEED, speed, sizeof speed);
        e = put_hw_entry(e, VNS_HW_ETHER, f->mac, sizeof f->mac);
        e = put_hw_entry(e, VNS_HW_ETH_IP, &f->ip, sizeof f->ip);
        e = put_hw_entry(e, VNS_HW_SUBNET, zero, sizeof zero);
        e = put_hw_entry(e, VNS_HW_MASK, &f->mask, sizeof f->mask);
    }
    return done(0, msg_len, len);
}

int
vns_encode_auth_request(uint8_t *buf, size_t cap, const uint8_t *salt,
                        size_t salt_len, size_t *len)
{
    size_t n;
    int error;

    if (!salt || !salt_len) {
        return done(EINVAL, 0, len);
    }
    /* Checked before adding, so that 'n' cannot wrap. */
    if (salt_len > VNS_MAX_MESSAGE - sizeof(struct vns_wire_header)) {
        return done(EMSGSIZE, 0, len);
    }
    n = sizeof(struct vns_wire_header) + salt_len;
    error = check_room(buf, cap, n);
    if (error) {
        return done(error, 0, len);
    }
    put_header(buf, VNS_AUTH_REQUEST, n, 0);
    memcpy(buf + sizeof(struct vns_wire_header), salt, salt_len);
    return done(0, n, len);
}

int
vns_encode_auth_reply(uint8_t *buf, size_t cap, const char *user,
                      const uint8_t sha1[VNS_SHA1_LEN], size_t *len)
{
    struct vns_wire_auth_reply *w = (void *)buf;
    size_t user_len, n;
    int error;

    if (!user || !sha1) {
        return done(EINVAL, 0, len);
    }
    user_len = strnlen(user, VNS_MAX_MESSAGE + 1);
    n = AUTH_REPLY_MIN + user_len;
    error = check_room(buf, cap, n);
    if (error) {
        return done(error, 0, len);
    }
    /* The user name is counted, not NUL-terminated, as the lab's client
     * sends it. */
    put_header(buf, VNS_AUTH_REPLY, n, 0);
    px_put_be32(w->user_len, (uint32_t)user_len);
    memcpy(buf + sizeof *w, user, user_len);
    memcpy(buf + sizeof *w + user_len, sha1, VNS_SHA1_LEN);
    return done(0, n, len);
}

int
vns_encode_auth_status(uint8_t *buf, size_t cap, int ok, const char *text,
                       size_t *len)
{
    struct vns_wire_auth_status *w = (void *)buf;
    size_t text_len = text ? strnlen(text, VNS_MAX_MESSAGE + 1) : 0;
    size_t n = sizeof *w + text_len;
    int error = check_room(buf, cap, n);

    if (error) {
        return done(error, 0, len);
    }
    put_header(buf, VNS_AUTH_STATUS, n, 0);
    w->ok = ok != 0;
    if (text_len) {
        memcpy(buf + sizeof *w, text, text_len);
    }
    return done(0, n, len);
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
