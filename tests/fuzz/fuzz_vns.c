/*
 * libFuzzer target for the VNS protocol codec (sdk/lib/vns_codec.c): the code
 * that reads every byte the VNS server (or, in the vns_server plugin, a
 * router) sends, so it must refuse anything malformed with EPROTO, never
 * crash, over-read or hit undefined behaviour.
 *
 * The input is a byte stream from a peer.  vns_frame cuts it into messages
 * as the connection code will; each message is copied into a heap buffer
 * of exactly its length (libFuzzer's buffer goes on past it, so without
 * the copy ASan could not see a decoder reading into the next message) and
 * handed to:
 *  - every decoder, whatever the message's type: the one that applies does
 *    the real work, the others must refuse it;
 *  - every decoder again on a copy retyped to the decoder's own type, so
 *    that each decoder's body sees every input rather than the few that
 *    happen to carry its type;
 *  - the text decoders once more with a destination of a size taken from
 *    the input, in an exact-size heap buffer, so that cutting text to fit
 *    is checked by ASan too;
 *  - the encoders, fed with what was decoded: the result must be the
 *    message itself, up to what the wire format leaves free (the Open pad,
 *    bytes after a text field's NUL, AuthStatus's nonzero "ok" byte);
 *    HWInfo, which has many spellings of one meaning, must decode back to
 *    what it was encoded from.  The message's bytes also fill every
 *    encoder's arguments directly, and the encoders must then produce a
 *    message that decodes back to them, or say why not: ENOBUFS when only
 *    the room is short, EMSGSIZE or EINVAL (whatever the room) when no
 *    VNS message can carry them.
 * The incomplete tail of the stream goes to the decoders as well, which
 * must refuse it.
 *
 * Invariants are checked with abort(), which libFuzzer reports as a crash:
 * results are 0 or EPROTO (with a reason), decoded pointers and lengths
 * stay inside the message, text comes out NUL-terminated, and every
 * encoder's output is one well-framed message of the length it returned,
 * or nothing.
 *
 * Build: clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Isdk/include \
 *            -fsanitize=fuzzer,address,undefined -o build/fuzz/fuzz_vns \
 *            tests/fuzz/fuzz_vns.c sdk/lib/vns_codec.c -lcrypto
 * Run:   build/fuzz/fuzz_vns -max_total_time=60 -max_len=4096 \
 *            build/fuzz/work-fuzz_vns tests/fuzz/corpus/vns
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzcheck.h"
#include "plexus/vns_codec.h"

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* 'buf' of 'n' bytes is nothing (n == 0) or one whole message of 'type'. */
static void
check_encoded(const uint8_t *buf, size_t n, uint32_t type)
{
    struct vns_header h;

    if (!n) {
        return;
    }
    check(vns_frame(buf, n, &h, NULL) == 0);
    check(h.length == n && h.type == type);
}

/* An encoder's result, given what it should say of the message whatever
 * the room ('bad': EMSGSIZE, EINVAL, or 0 when the message can be
 * expressed), the message's length 'need' and the capacity 'cap': 'bad',
 * else ENOBUFS when it does not fit, else 0; and the length 'n' is 0 on
 * any failure. */
static void
check_encoder_result(int error, size_t n, int bad, size_t need, size_t cap)
{
    check(error == (bad ? bad : need > cap ? ENOBUFS : 0));
    check(n == (error ? 0 : need));
}

/* A string decoded into 'size' bytes: terminated within them. */
static void
check_text(const char *s, size_t size)
{
    check(memchr(s, '\0', size) != NULL);
}

/* Zeroes what follows the first NUL in the text field at 'p' of 'len'
 * bytes: what a decoder ignores and an encoder writes as zeros. */
static void
canon_text(uint8_t *p, size_t len)
{
    uint8_t *nul = memchr(p, '\0', len);

    if (nul) {
        memset(nul, 0, len - (size_t)(nul - p));
    }
}

/* 'out' of 'n' bytes is 'msg' of 'len' bytes with the text fields
 * [ofs[i], ofs[i] + lens[i]) made canonical. */
static void
check_same_canon(const uint8_t *out, size_t n, const uint8_t *msg, size_t len,
                 const size_t *ofs, const size_t *lens, size_t n_fields)
{
    uint8_t *copy;
    size_t i;

    check(n == len);
    copy = malloc(len);
    check(copy != NULL);
    memcpy(copy, msg, len);
    for (i = 0; i < n_fields; i++) {
        canon_text(copy + ofs[i], lens[i]);
    }
    check(!memcmp(out, copy, len));
    free(copy);
}

/* Decodes the text message 'msg' again into a destination of exactly
 * 'size' bytes taken from the input: the text must be cut, not overrun. */
static void
decode_text_tight(const uint8_t *msg, size_t len, const char *full,
                  size_t size,
                  int (*decode)(const uint8_t *, size_t, char *, size_t,
                                const char **))
{
    char *tight = malloc(size ? size : 1);
    const char *why = NULL;

    check(tight != NULL);
    check(decode(msg, len, size ? tight : NULL, size, &why) == 0);
    if (size) {
        check_text(tight, size);
        check(!strncmp(tight, full, size - 1));
        check(strlen(tight) ==
              (strlen(full) < size ? strlen(full) : size - 1));
    }
    free(tight);
}

/* vns_decode_auth_status as a text decoder. */
static int
decode_status_text(const uint8_t *msg, size_t len, char *text, size_t size,
                   const char **why)
{
    int ok;

    return vns_decode_auth_status(msg, len, &ok, text, size, why);
}

/* Re-walks an accepted HWInfo the simple way: whole entries, a name
 * before any known attribute, as many names as interfaces decoded. */
static void
check_hwinfo(const uint8_t *msg, size_t len, size_t n)
{
    size_t ofs, names = 0;

    check((len - 8) % 36 == 0);
    for (ofs = 8; ofs < len; ofs += 36) {
        uint32_t key = get32(msg + ofs);

        if (key == VNS_HW_INTERFACE) {
            names++;
        } else if (key && key <= VNS_HW_MASK && !(key & (key - 1))) {
            check(names > 0);
        }
    }
    check(names == n);
}

static void
check_same_ifaces(const struct vns_iface *a, const struct vns_iface *b,
                  size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        check(!strcmp(a[i].name, b[i].name));
        check(!memcmp(a[i].mac, b[i].mac, sizeof a[i].mac));
        check(a[i].ip == b[i].ip && a[i].mask == b[i].mask);
        check(a[i].speed == b[i].speed);
    }
}

/* Runs every decoder on 'msg' of 'len' bytes (an exact-size buffer) and
 * checks what they return; 'out' of 'cap' bytes takes re-encodings.
 * Returns how many accepted the message. */
static int
decode_all(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    static const size_t open_ofs[] = {12, 44, 76}, open_lens[] = {32, 32, 32};
    static const size_t text_ofs[] = {8}, text_lens[] = {256};
    static const size_t iface_ofs[] = {8}, iface_lens[] = {16};
    struct vns_iface ifs[VNS_MAX_IFACES], again[VNS_MAX_IFACES];
    char text[VNS_MAX_MESSAGE + 1], iface[VNS_IFACE_LEN + 1];
    uint8_t sha1[VNS_SHA1_LEN];
    size_t tight = len ? msg[len - 1] % 48 : 0;
    const uint8_t *p;
    struct vns_open o;
    const char *why;
    size_t n, n_ifs, p_len;
    int error, ok, accepted = 0;

    why = NULL;
    error = vns_decode_open(msg, len, &o, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        uint8_t *copy = malloc(len);

        check(len == VNS_OPEN_MSG_LEN);
        check_text(o.vhost, sizeof o.vhost);
        check_text(o.user, sizeof o.user);
        check_text(o.pass, sizeof o.pass);
        check(vns_encode_open(out, cap, &o, &n) == 0);
        /* The pad is written as zeros. */
        check(copy != NULL);
        memcpy(copy, msg, len);
        copy[10] = copy[11] = 0;
        check_same_canon(out, n, copy, len, open_ofs, open_lens, 3);
        free(copy);
    }

    why = NULL;
    error = vns_decode_close(msg, len, text, sizeof text, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        check(len == VNS_CLOSE_MSG_LEN && strlen(text) <= VNS_CLOSE_LEN);
        check(vns_encode_close(out, cap, text, &n) == 0);
        check_same_canon(out, n, msg, len, text_ofs, text_lens, 1);
        decode_text_tight(msg, len, text, tight, vns_decode_close);
    }

    why = NULL;
    error = vns_decode_banner(msg, len, text, sizeof text, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        check(len == 8 + VNS_BANNER_LEN && strlen(text) <= VNS_BANNER_LEN);
        check(vns_encode_banner(out, cap, text, &n) == 0);
        check_same_canon(out, n, msg, len, text_ofs, text_lens, 1);
        decode_text_tight(msg, len, text, tight, vns_decode_banner);
    }

    why = NULL;
    error = vns_decode_packet(msg, len, iface, &p, &p_len, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        check_text(iface, sizeof iface);
        check(p == msg + 24 && p_len == len - 24 && p_len >= 14);
        check(vns_encode_packet(out, cap, iface, p, p_len, &n) == 0);
        check_same_canon(out, n, msg, len, iface_ofs, iface_lens, 1);
    }

    why = NULL;
    error = vns_decode_hwinfo(msg, len, ifs, VNS_MAX_IFACES, &n_ifs, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        size_t i;

        check(n_ifs <= VNS_MAX_IFACES);
        check_hwinfo(msg, len, n_ifs);
        for (i = 0; i < n_ifs; i++) {
            check_text(ifs[i].name, sizeof ifs[i].name);
        }
        /* Re-encoded, it means the same. */
        check(vns_encode_hwinfo(out, cap, ifs, n_ifs, &n) == 0);
        check(n == 8 + 6 * 36 * n_ifs);
        check_encoded(out, n, VNS_HWINFO);
        check(vns_decode_hwinfo(out, n, again, VNS_MAX_IFACES, &i, NULL) == 0);
        check(i == n_ifs);
        check_same_ifaces(ifs, again, n_ifs);
        /* With room for one fewer, it is refused. */
        if (n_ifs) {
            why = NULL;
            error = vns_decode_hwinfo(msg, len, again, n_ifs - 1, &i, &why);
            check(error == EPROTO && why);
        }
    }

    why = NULL;
    error = vns_decode_auth_request(msg, len, &p, &p_len, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        check(p == msg + 8 && p_len == len - 8 && p_len >= 1);
        check(vns_encode_auth_request(out, cap, p, p_len, &n) == 0);
        check(n == len && !memcmp(out, msg, len));
        check(vns_auth_digest(p, p_len, msg, len, sha1) == 0);
    }

    why = NULL;
    error = vns_decode_auth_reply(msg, len, text, sizeof text, sha1, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        char user[VNS_NAME_LEN + 1];

        check(len == 32 + strlen(text) && get32(msg + 8) == strlen(text));
        check(!memcmp(sha1, msg + len - 20, 20));
        check(vns_encode_auth_reply(out, cap, text, sha1, &n) == 0);
        check(n == len && !memcmp(out, msg, len));
        /* A name too long for the destination is refused, not cut. */
        why = NULL;
        error = vns_decode_auth_reply(msg, len, user, sizeof user, sha1, &why);
        check(strlen(text) < sizeof user ? error == 0 && !strcmp(user, text)
                                         : error == EPROTO && why);
    }

    why = NULL;
    error = vns_decode_auth_status(msg, len, &ok, text, sizeof text, &why);
    check_result(error, why);
    accepted += !error;
    if (!error) {
        size_t text_len = strlen(text);

        check(len >= 9 && ok == (msg[8] != 0));
        /* The text is the message's, up to its end or a NUL. */
        check(text_len <= len - 9 && !memcmp(text, msg + 9, text_len));
        check(text_len == len - 9 || msg[9 + text_len] == '\0');
        check(vns_encode_auth_status(out, cap, ok, text, &n) == 0);
        check_encoded(out, n, VNS_AUTH_STATUS);
        check(n == 9 + text_len && out[8] == ok);
        check(!memcmp(out + 9, text, text_len));
        decode_text_tight(msg, len, text, tight, decode_status_text);
    }
    return accepted;
}

/* Runs the decoders on a copy of 'msg' retyped to each one's type. */
static void
decode_retyped(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    static const uint32_t types[] = {
        VNS_OPEN,   VNS_CLOSE,        VNS_PACKET,     VNS_BANNER,
        VNS_HWINFO, VNS_AUTH_REQUEST, VNS_AUTH_REPLY, VNS_AUTH_STATUS,
    };
    uint8_t *copy;
    size_t i;

    if (len < VNS_HEADER_LEN) {
        return;
    }
    copy = malloc(len);
    check(copy != NULL);
    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (types[i] != get32(msg + 4)) {
            memcpy(copy, msg, len);
            put32(copy + 4, types[i]);
            /* Only the decoder of that type may accept it. */
            check(decode_all(copy, len, out, cap) <= 1);
        }
    }
    free(copy);
}

/* Every encoder, with arguments from the message's bytes; what each
 * writes must fit 'cap' and decode back to its arguments. */
static void
encode_from_bytes(const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    uint8_t raw[sizeof(struct vns_iface) * 4 + sizeof(struct vns_open)];
    struct vns_iface ifs[4], back[4];
    char *text, iface[VNS_IFACE_LEN + 2], got[VNS_MAX_MESSAGE + 1];
    uint8_t sha1[VNS_SHA1_LEN];
    const uint8_t *p;
    struct vns_open o, ob;
    size_t n, i, p_len, n_ifs;
    int ok, error;

    memset(raw, 0, sizeof raw);
    memcpy(raw, msg, len < sizeof raw ? len : sizeof raw);
    /* The message as a string: up to its first NUL. */
    text = malloc(len + 1);
    check(text != NULL);
    memcpy(text, msg, len);
    text[len] = '\0';

    memcpy(&o, raw, sizeof o);
    o.vhost[VNS_NAME_LEN] = o.user[VNS_NAME_LEN] = o.pass[VNS_NAME_LEN] = 0;
    error = vns_encode_open(out, cap, &o, &n);
    check_encoder_result(error, n, 0, VNS_OPEN_MSG_LEN, cap);
    if (n) {
        check(vns_decode_open(out, n, &ob, NULL) == 0);
        check(ob.topo_id == o.topo_id && !strcmp(ob.vhost, o.vhost) &&
              !strcmp(ob.user, o.user) && !strcmp(ob.pass, o.pass));
    }

    error = vns_encode_close(out, cap, text, &n);
    check_encoder_result(error, n, 0, VNS_CLOSE_MSG_LEN, cap);
    if (n) {
        check(vns_decode_close(out, n, got, sizeof got, NULL) == 0);
        check(!strncmp(got, text, VNS_CLOSE_LEN) && strlen(got) <= 256);
    }
    error = vns_encode_banner(out, cap, text, &n);
    check_encoder_result(error, n, 0, 8 + VNS_BANNER_LEN, cap);
    if (n) {
        check(vns_decode_banner(out, n, got, sizeof got, NULL) == 0);
        check(!strncmp(got, text, VNS_BANNER_LEN) && strlen(got) <= 256);
    }

    /* An interface name of 0 to 17 bytes, the message as the frame. */
    memcpy(iface, raw, sizeof iface);
    iface[raw[0] % sizeof iface] = '\0';
    iface[sizeof iface - 1] = '\0';
    /* Too short a frame is EINVAL; a name over 16 bytes or a message over
     * the most, EMSGSIZE; either way, whatever the room. */
    error = vns_encode_packet(out, cap, iface, msg, len, &n);
    check_encoder_result(error, n,
                         len < 14 ? EINVAL
                         : strlen(iface) > 16 || 24 + len > VNS_MAX_MESSAGE
                             ? EMSGSIZE
                             : 0,
                         24 + len, cap);
    if (n) {
        check(vns_decode_packet(out, n, got, &p, &p_len, NULL) == 0);
        check(!strcmp(got, iface) && p == out + 24 && p_len == len);
        check(!memcmp(p, msg, len));
    }

    memcpy(ifs, raw, sizeof ifs);
    n_ifs = raw[1] % 5;
    for (i = 0; i < n_ifs; i++) {
        ifs[i].name[VNS_IFACE_LEN] = '\0';
    }
    error = vns_encode_hwinfo(out, cap, ifs, n_ifs, &n);
    check_encoder_result(error, n, 0, 8 + 216 * n_ifs, cap);
    if (n) {
        check(vns_decode_hwinfo(out, n, back, 4, &i, NULL) == 0);
        check(i == n_ifs);
        check_same_ifaces(ifs, back, n_ifs);
    }

    error = vns_encode_auth_request(out, cap, msg, len, &n);
    check_encoder_result(error, n,
                         !len                        ? EINVAL
                         : 8 + len > VNS_MAX_MESSAGE ? EMSGSIZE
                                                     : 0,
                         8 + len, cap);
    if (n) {
        check(vns_decode_auth_request(out, n, &p, &p_len, NULL) == 0);
        check(p_len == len && !memcmp(p, msg, len));
    }

    check(vns_auth_digest(msg, len / 2, msg + len / 2, len - len / 2, sha1) ==
          0);
    error = vns_encode_auth_reply(out, cap, text, sha1, &n);
    check_encoder_result(error, n, 32 + strlen(text) > 10000 ? EMSGSIZE : 0,
                         32 + strlen(text), cap);
    if (n) {
        uint8_t sha1b[VNS_SHA1_LEN];

        check(vns_decode_auth_reply(out, n, got, sizeof got, sha1b, NULL) ==
              0);
        check(!strcmp(got, text) && !memcmp(sha1, sha1b, sizeof sha1));
    }

    error = vns_encode_auth_status(out, cap, raw[2] - 1, text, &n);
    check_encoder_result(error, n, 9 + strlen(text) > 10000 ? EMSGSIZE : 0,
                         9 + strlen(text), cap);
    if (n) {
        check(vns_decode_auth_status(out, n, &ok, got, sizeof got, NULL) == 0);
        check(ok == (raw[2] != 1) && !strcmp(got, text));
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t ofs = 0, cap = VNS_MAX_MESSAGE + 64;
    uint8_t *out = malloc(cap);

    check(out != NULL);
    while (ofs <= size) {
        size_t left = size - ofs;
        const char *why = NULL;
        struct vns_header h;
        uint8_t *msg;
        int error, accepted;

        error = vns_frame(data + ofs, left, &h, &why);
        if (error == EPROTO) {
            check(why &&
                  (h.length < VNS_HEADER_LEN || h.length > VNS_MAX_MESSAGE));
            break;
        }
        check(error == 0 || error == EAGAIN);
        if (error == EAGAIN) {
            check(left < VNS_HEADER_LEN || left < h.length);
        } else {
            check(h.length >= VNS_HEADER_LEN && h.length <= left);
            check(h.length <= VNS_MAX_MESSAGE);
        }

        /* The message, or the incomplete tail, in an exact-size buffer. */
        if (!error) {
            left = h.length;
        }
        msg = malloc(left ? left : 1);
        check(msg != NULL);
        if (left) {
            memcpy(msg, data + ofs, left);
        }
        /* An incomplete message is refused by all; a whole one is
         * accepted by at most its own type's decoder. */
        accepted = decode_all(msg, left, out, cap);
        check(accepted <= (error ? 0 : 1));
        decode_retyped(msg, left, out, cap);
        if (left) {
            size_t small = msg[left - 1] * 3u;
            uint8_t *tight = malloc(small ? small : 1);

            encode_from_bytes(msg, left, out, cap);
            /* Again into a buffer that may be too small, of exactly the
             * capacity given: the encoders must stop at it. */
            check(tight != NULL);
            encode_from_bytes(msg, left, tight, small);
            free(tight);
        }
        free(msg);
        if (error) {
            break;
        }
        ofs += h.length;
    }
    free(out);
    return 0;
}
