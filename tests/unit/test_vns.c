/*
 * Unit tests for the VNS protocol codec (sdk/lib/vns_codec.c): every encoder,
 * byte for byte, and why each fails (no room, or not expressible); every
 * decoder on the messages of the Stanford "simple
 * router" lab, on round trips and on malformed input; framing; the SHA-1
 * behind authentication, on the FIPS 180-1 test vectors.  The SHA-1 is
 * libcrypto's, so those vectors check how it is called: salt before key,
 * any split between them, empty and NULL parts, the whole 20 bytes out.
 *
 * Fixtures are hex in 4-byte words.  They were made independently of the
 * codec, with Python's struct.pack, laid out as the lab's protocol has it
 * (README.md, "The VNS protocol"): Open as '>II HH32s32s32s', Close and
 * Banner as '>II 256s', HWInfo per interface as the entries name, speed,
 * MAC, IP, subnet, mask, as the lab's server sends them.  The digest in
 * AUTH_REPLY was computed by `sha1sum` over the salt of AUTH_REQUEST followed
 * by the key of auth_key().
 *
 * Decoders always get an exact-size heap copy of the message, so ASan
 * reports a read past its end.  Malformed input is checked for EPROTO and
 * a reason; every proper prefix of each fixture, with the header length
 * patched to match, must be refused too, except the prefixes that are
 * well-formed messages themselves (a shorter frame, salt or text, fewer
 * HWInfo entries).
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plexus/vns_codec.h"
#include "hexfix.h"

#define MAX_MSG 2048
#define NONE    SIZE_MAX /* No tail of a fixture is optional. */

/* Open: topology 314, host vrhost, user student, no password */
static const char OPEN[] = "0000006c 00000001 013a0000 7672686f "
                           "73740000 00000000 00000000 00000000 "
                           "00000000 00000000 00000000 73747564 "
                           "656e7400 00000000 00000000 00000000 "
                           "00000000 00000000 00000000 00000000 "
                           "00000000 00000000 00000000 00000000 "
                           "00000000 00000000 00000000";

/* Open: topology 65534, every name 32 bytes without a NUL */
static const char OPEN_FULL[] = "0000006c 00000001 fffe0000 56565656 "
                                "56565656 56565656 56565656 56565656 "
                                "56565656 56565656 56565656 55555555 "
                                "55555555 55555555 55555555 55555555 "
                                "55555555 55555555 55555555 50505050 "
                                "50505050 50505050 50505050 50505050 "
                                "50505050 50505050 50505050";

/* Close: the reason, NUL-padded to 256 bytes */
static const char CLOSE[] = "00000108 00000002 546f706f 6c6f6779 "
                            "20333134 20697320 696e2075 73652062 "
                            "7920616e 6f746865 72207573 65720000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000 00000000 00000000 "
                            "00000000 00000000";

/* Banner: the text, NUL-padded to 256 bytes */
static const char BANNER[] = "00000108 00000008 57656c63 6f6d6520 "
                             "746f2056 4e532c20 746f706f 6c6f6779 "
                             "20333134 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000";

/* Packet on eth3: ARP who-has 10.0.1.1 tell 10.0.1.100 (42 bytes) */
static const char PACKET[] = "00000042 00000004 65746833 00000000 "
                             "00000000 00000000 ffffffff ffff0000 "
                             "00000064 08060001 08000604 00010000 "
                             "00000064 0a000164 00000000 00000a00 "
                             "0101";

/* HWInfo for the lab: eth1 192.168.2.1, eth2 172.64.3.1, eth3 10.0.1.1 */
static const char HWINFO[] = "00000290 00000010 00000001 65746831 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000002 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000020 0e7a3c00 01010000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000040 c0a80201 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000004 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000080 "
                             "ffffff00 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000001 65746832 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000002 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000020 0e7a3c00 "
                             "01020000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000040 "
                             "ac400301 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000004 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000080 ffffff00 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000001 65746833 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000002 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000020 0e7a3c00 01030000 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000040 0a000101 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000004 00000000 "
                             "00000000 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000080 "
                             "ffffff00 00000000 00000000 00000000 "
                             "00000000 00000000 00000000 00000000";

/* AuthRequest with a 20-byte salt */
static const char AUTH_REQUEST[] = "0000001c 00000080 8f1c2a4b 6d0e3f5a "
                                   "7c9b1d2e 4f6a8b0c 1d3e5f70";

/* AuthReply: user student, SHA-1 of AUTH_REQUEST's salt and auth_key() */
static const char AUTH_REPLY[] = "00000027 00000100 00000007 73747564 "
                                 "656e74f0 cebd9c77 b920fd05 aefaf61f "
                                 "5a560e32 e3cf97";

/* AuthStatus: ok */
static const char AUTH_STATUS[] = "00000021 00000200 01617574 68656e74 "
                                  "69636174 65642061 73207374 7564656e "
                                  "74";

/* AuthStatus: refused */
static const char AUTH_STATUS_FAIL[] = "0000001e 00000200 00417574 68656e74 "
                                       "69636174 696f6e20 6661696c 6564";

/* The 64-byte key behind AUTH_REPLY: 0x41 ("A"), 0x42, ... 0x80. */
static void
auth_key(uint8_t key[64])
{
    size_t i;

    for (i = 0; i < 64; i++) {
        key[i] = 0x41 + i;
    }
}

/* Helpers. */

/* The length an encoder wrote, or 0 when it failed: the encoders return
 * why they failed (test_encode_errors checks that) and put the length in
 * their last argument, which must then be 0. */
#define ENC_LEN(ENCODE, ...)                                                  \
    ({                                                                        \
        size_t len_ = SIZE_MAX;                                               \
        int error_ = ENCODE(__VA_ARGS__, &len_);                              \
                                                                              \
        assert_true(error_ == 0 || error_ == ENOBUFS || error_ == EMSGSIZE || \
                    error_ == EINVAL);                                        \
        assert_true(error_ ? len_ == 0 : len_ >= VNS_HEADER_LEN);             \
        error_ ? (size_t)0 : len_;                                            \
    })

static void
set_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* Encoders under test, behind one signature. */
static size_t
enc_open(uint8_t *buf, size_t cap, const void *arg)
{
    return ENC_LEN(vns_encode_open, buf, cap, arg);
}

static size_t
enc_close(uint8_t *buf, size_t cap, const void *arg)
{
    return ENC_LEN(vns_encode_close, buf, cap, arg);
}

static size_t
enc_banner(uint8_t *buf, size_t cap, const void *arg)
{
    return ENC_LEN(vns_encode_banner, buf, cap, arg);
}

/* The frame of PACKET, on eth3. */
static size_t
enc_packet(uint8_t *buf, size_t cap, const void *arg)
{
    const struct msg *frame = arg;

    return ENC_LEN(vns_encode_packet, buf, cap, "eth3", frame->data,
                   frame->len);
}

/* The lab's three interfaces. */
static const struct vns_iface lab_ifaces[3] = {
    {"eth1", {0x0e, 0x7a, 0x3c, 0x00, 0x01, 0x01}, 0, 0, 0},
    {"eth2", {0x0e, 0x7a, 0x3c, 0x00, 0x01, 0x02}, 0, 0, 0},
    {"eth3", {0x0e, 0x7a, 0x3c, 0x00, 0x01, 0x03}, 0, 0, 0},
};

/* lab_ifaces with their addresses, which are in network byte order and so
 * cannot be constants. */
static void
lab_setup(struct vns_iface ifs[3])
{
    static const uint8_t ips[3][4] = {
        {192, 168, 2, 1}, {172, 64, 3, 1}, {10, 0, 1, 1}};
    static const uint8_t mask[4] = {255, 255, 255, 0};
    size_t i;

    memcpy(ifs, lab_ifaces, sizeof lab_ifaces);
    for (i = 0; i < 3; i++) {
        memcpy(&ifs[i].ip, ips[i], 4);
        memcpy(&ifs[i].mask, mask, 4);
    }
}

static size_t
enc_hwinfo(uint8_t *buf, size_t cap, const void *arg)
{
    return ENC_LEN(vns_encode_hwinfo, buf, cap, arg, 3);
}

static size_t
enc_auth_request(uint8_t *buf, size_t cap, const void *arg)
{
    const struct msg *salt = arg;

    return ENC_LEN(vns_encode_auth_request, buf, cap, salt->data, salt->len);
}

static size_t
enc_auth_reply(uint8_t *buf, size_t cap, const void *arg)
{
    return ENC_LEN(vns_encode_auth_reply, buf, cap, "student", arg);
}

static size_t
enc_auth_status_ok(uint8_t *buf, size_t cap, const void *arg)
{
    return ENC_LEN(vns_encode_auth_status, buf, cap, 1, arg);
}

static size_t
enc_auth_status_fail(uint8_t *buf, size_t cap, const void *arg)
{
    return ENC_LEN(vns_encode_auth_status, buf, cap, 0, arg);
}

static int
dec_open(const uint8_t *msg, size_t len, const char **why)
{
    struct vns_open o;

    return vns_decode_open(msg, len, &o, why);
}

static int
dec_close(const uint8_t *msg, size_t len, const char **why)
{
    char reason[VNS_CLOSE_LEN + 1];

    return vns_decode_close(msg, len, reason, sizeof reason, why);
}

static int
dec_packet(const uint8_t *msg, size_t len, const char **why)
{
    char iface[VNS_IFACE_LEN + 1];
    const uint8_t *frame;
    size_t frame_len;

    return vns_decode_packet(msg, len, iface, &frame, &frame_len, why);
}

static int
dec_banner(const uint8_t *msg, size_t len, const char **why)
{
    char text[VNS_BANNER_LEN + 1];

    return vns_decode_banner(msg, len, text, sizeof text, why);
}

static int
dec_hwinfo(const uint8_t *msg, size_t len, const char **why)
{
    struct vns_iface ifs[VNS_MAX_IFACES];
    size_t n;

    return vns_decode_hwinfo(msg, len, ifs, VNS_MAX_IFACES, &n, why);
}

static int
dec_auth_request(const uint8_t *msg, size_t len, const char **why)
{
    const uint8_t *salt;
    size_t salt_len;

    return vns_decode_auth_request(msg, len, &salt, &salt_len, why);
}

static int
dec_auth_reply(const uint8_t *msg, size_t len, const char **why)
{
    uint8_t sha1[VNS_SHA1_LEN];
    char user[VNS_NAME_LEN + 1];

    return vns_decode_auth_reply(msg, len, user, sizeof user, sha1, why);
}

static int
dec_auth_status(const uint8_t *msg, size_t len, const char **why)
{
    char text[64];
    int ok;

    return vns_decode_auth_status(msg, len, &ok, text, sizeof text, why);
}

/* Fails unless 'CALL' returns EPROTO and leaves a reason in 'WHY' (read
 * after the call, whatever the order of argument evaluation). */
/* Decodes 'len' bytes of 'data' (copied to an exact-size buffer) with
 * 'decode', which must refuse them, with and without a place for the
 * reason. */
#define assert_refused(DECODE, DATA, LEN)                                     \
    assert_refused_((DECODE), (DATA), (LEN), __FILE__, __LINE__)

static void
assert_refused_(decode_fn *decode, const uint8_t *data, size_t len,
                const char *file, int line)
{
    uint8_t *m = copy_exact(data, len);
    const char *why = NULL;
    int error = decode(m, len, &why);

    assert_eproto_(error, why, file, line);
    if (decode(m, len, NULL) != EPROTO) {
        _fail(file, line);
    }
    free(m);
}

/* VNS's length: 32 bits at offset 0. */
static void
set_vns_length(uint8_t *m, size_t len)
{
    set_be32(m, (uint32_t)len);
}

static void
check_truncations(decode_fn *decode, const char *hex, size_t tail_from,
                  const size_t *valid)
{
    check_truncations_(decode, hex, tail_from, valid, set_vns_length);
}

/* Framing. */

static void
test_frame(void **state)
{
    uint8_t buf[64], *big;
    struct vns_header h;
    const char *why;
    size_t n, i;

    (void)state;
    /* A whole AuthStatus and the first 2 bytes of the next message. */
    n = unhex("00000009 00000200 01 0000", buf, sizeof buf);
    for (i = 0; i < 9; i++) {
        assert_int_equal(vns_frame(buf, i, &h, &why), EAGAIN);
    }
    for (i = 9; i <= n; i++) {
        memset(&h, 0, sizeof h);
        assert_int_equal(vns_frame(buf, i, &h, &why), 0);
        assert_int_equal(h.length, 9);
        assert_int_equal(h.type, VNS_AUTH_STATUS);
    }
    assert_int_equal(vns_frame(buf + 9, 2, &h, &why), EAGAIN);
    assert_int_equal(vns_frame(NULL, 0, &h, &why), EAGAIN);

    /* A header alone is a whole message. */
    n = unhex("00000008 00000080", buf, sizeof buf);
    assert_int_equal(vns_frame(buf, n, &h, &why), 0);
    assert_int_equal(h.length, 8);
    assert_int_equal(h.type, VNS_AUTH_REQUEST);

    /* Lengths 0 and 7 leave no way to the next message. */
    why = NULL;
    n = unhex("00000000 00000001", buf, sizeof buf);
    assert_eproto(vns_frame(buf, n, &h, &why), why);
    assert_int_equal(h.length, 0);
    why = NULL;
    n = unhex("00000007 00000001 00", buf, sizeof buf);
    assert_eproto(vns_frame(buf, n, &h, &why), why);
    assert_int_equal(vns_frame(buf, n, &h, NULL), EPROTO);

    /* 10000 is the most; anything over is refused before it arrives. */
    big = calloc(1, VNS_MAX_MESSAGE + 1);
    assert_non_null(big);
    set_be32(big, VNS_MAX_MESSAGE);
    set_be32(big + 4, VNS_PACKET);
    for (i = 0; i <= VNS_MAX_MESSAGE; i += i < 16 ? 1 : 997) {
        assert_int_equal(vns_frame(big, i, &h, &why), EAGAIN);
    }
    assert_int_equal(vns_frame(big, VNS_MAX_MESSAGE - 1, &h, &why), EAGAIN);
    assert_int_equal(vns_frame(big, VNS_MAX_MESSAGE, &h, &why), 0);
    assert_int_equal(h.length, VNS_MAX_MESSAGE);
    assert_int_equal(h.type, VNS_PACKET);
    assert_int_equal(vns_frame(big, VNS_MAX_MESSAGE + 1, &h, &why), 0);

    set_be32(big, VNS_MAX_MESSAGE + 1);
    for (i = 8; i <= VNS_MAX_MESSAGE + 1; i += 4993) {
        why = NULL;
        assert_eproto(vns_frame(big, i, &h, &why), why);
    }
    set_be32(big, UINT32_MAX);
    why = NULL;
    assert_eproto(vns_frame(big, 8, &h, &why), why);
    free(big);
}

/* A byte stream of every fixture is cut back into them. */
static void
test_frame_stream(void **state)
{
    static const char *const parts[] = {
        AUTH_REQUEST, AUTH_REPLY, AUTH_STATUS, OPEN,      HWINFO,
        BANNER,       PACKET,     CLOSE,       OPEN_FULL,
    };
    enum { N = sizeof parts / sizeof parts[0] };
    uint8_t stream[MAX_MSG * N];
    size_t lens[N], n = 0, ofs = 0, i;
    struct vns_header h;

    (void)state;
    for (i = 0; i < N; i++) {
        lens[i] = unhex(parts[i], stream + n, sizeof stream - n);
        n += lens[i];
    }
    for (i = 0; i < N; i++) {
        assert_int_equal(vns_frame(stream + ofs, n - ofs, &h, NULL), 0);
        assert_int_equal(h.length, lens[i]);
        ofs += h.length;
    }
    assert_int_equal(ofs, n);
    assert_int_equal(vns_frame(stream + ofs, 0, &h, NULL), EAGAIN);
}

/* Open. */

static void
test_open(void **state)
{
    struct vns_open o = {.topo_id = 314}, full, d;
    struct msg m = load(OPEN);
    uint8_t buf[MAX_MSG];
    const char *why = NULL;

    (void)state;
    strcpy(o.vhost, "vrhost");
    strcpy(o.user, "student");
    check_encoder(enc_open, &o, OPEN);

    memset(&d, 0xa5, sizeof d);
    assert_int_equal(vns_decode_open(m.data, m.len, &d, &why), 0);
    assert_int_equal(d.topo_id, 314);
    assert_string_equal(d.vhost, "vrhost");
    assert_string_equal(d.user, "student");
    assert_string_equal(d.pass, "");

    /* Names filling their 32 bytes go without a NUL, and come back. */
    memset(&full, 0, sizeof full);
    full.topo_id = 0xfffe;
    memset(full.vhost, 'V', VNS_NAME_LEN);
    memset(full.user, 'U', VNS_NAME_LEN);
    memset(full.pass, 'P', VNS_NAME_LEN);
    check_encoder(enc_open, &full, OPEN_FULL);
    msg_free(&m);
    m = load(OPEN_FULL);
    memset(&d, 0xa5, sizeof d);
    assert_int_equal(vns_decode_open(m.data, m.len, &d, &why), 0);
    assert_int_equal(d.topo_id, 0xfffe);
    assert_string_equal(d.vhost, full.vhost);
    assert_string_equal(d.user, full.user);
    assert_string_equal(d.pass, full.pass);
    assert_int_equal(ENC_LEN(vns_encode_open, buf, sizeof buf, &d),
                     VNS_OPEN_MSG_LEN);
    assert_hex(buf, VNS_OPEN_MSG_LEN, OPEN_FULL);

    /* The pad, and whatever follows a name's NUL, are ignored. */
    m.data[10] = 0xff;
    m.data[12 + VNS_NAME_LEN] = '\0';
    assert_int_equal(vns_decode_open(m.data, m.len, &d, &why), 0);
    assert_string_equal(d.user, "");
    assert_int_equal(strlen(d.vhost), VNS_NAME_LEN);
    msg_free(&m);

    /* Longer than 108 bytes. */
    m = load(OPEN);
    memcpy(buf, m.data, m.len);
    buf[m.len] = 0;
    set_be32(buf, m.len + 1);
    assert_refused(dec_open, buf, m.len + 1);
    msg_free(&m);

    check_truncations(dec_open, OPEN, NONE, NULL);
    assert_int_equal(ENC_LEN(vns_encode_open, buf, sizeof buf, NULL), 0);
}

/* Close and Banner: 256 bytes of text. */

typedef int decode_text_fn(const uint8_t *msg, size_t len, char *text,
                           size_t size, const char **why);

static void
check_text_message(const char *hex, encode_fn *encode, decode_text_fn *decode,
                   decode_fn *dec, const char *text)
{
    struct msg m = load(hex);
    char out[VNS_CLOSE_LEN + 1], small[8], big[VNS_CLOSE_LEN + 8];
    uint8_t buf[MAX_MSG];
    const char *why = NULL;
    size_t n;

    check_encoder(encode, text, hex);
    memset(out, 0xa5, sizeof out);
    assert_int_equal(decode(m.data, m.len, out, sizeof out, &why), 0);
    assert_string_equal(out, text);

    /* Cut to the destination's size, and nothing written past it. */
    memset(small, 0xa5, sizeof small);
    assert_int_equal(decode(m.data, m.len, small, 5, &why), 0);
    assert_int_equal(strlen(small), 4);
    assert_memory_equal(small, text, 4);
    assert_int_equal((uint8_t)small[5], 0xa5);
    assert_int_equal(decode(m.data, m.len, NULL, 0, &why), 0);
    assert_int_equal(decode(m.data, m.len, small, 1, &why), 0);
    assert_string_equal(small, "");

    /* 256 bytes of text, without a NUL: all of it, terminated. */
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = '\0';
    n = encode(buf, sizeof buf, big);
    assert_int_equal(n, VNS_HEADER_LEN + 256);
    assert_int_equal(buf[n - 1], 'x');
    memset(out, 0xa5, sizeof out);
    assert_int_equal(decode(buf, n, out, sizeof out, &why), 0);
    assert_int_equal(strlen(out), 256);
    assert_int_equal(out[0], 'x');

    /* No text at all. */
    assert_int_equal(encode(buf, sizeof buf, NULL), n);
    assert_int_equal(decode(buf, n, out, sizeof out, &why), 0);
    assert_string_equal(out, "");

    /* One byte too many. */
    n = unhex(hex, buf, sizeof buf);
    buf[n] = 0;
    set_be32(buf, n + 1);
    assert_refused(dec, buf, n + 1);

    check_truncations(dec, hex, NONE, NULL);
    msg_free(&m);
}

static void
test_close(void **state)
{
    (void)state;
    check_text_message(CLOSE, enc_close, vns_decode_close, dec_close,
                       "Topology 314 is in use by another user");
}

static void
test_banner(void **state)
{
    (void)state;
    check_text_message(BANNER, enc_banner, vns_decode_banner, dec_banner,
                       "Welcome to VNS, topology 314");
}

/* Packet. */

static void
test_packet(void **state)
{
    struct msg m = load(PACKET), frame;
    char iface[VNS_IFACE_LEN + 1];
    const uint8_t *f;
    uint8_t buf[MAX_MSG];
    const char *why = NULL;
    size_t f_len, n;

    (void)state;
    frame.data = m.data + 24;
    frame.len = m.len - 24;
    check_encoder(enc_packet, &frame, PACKET);

    assert_int_equal(vns_decode_packet(m.data, m.len, iface, &f, &f_len, &why),
                     0);
    assert_string_equal(iface, "eth3");
    assert_ptr_equal(f, m.data + 24);
    assert_int_equal(f_len, 42);

    /* Encoding in place, over a frame already behind the header's room. */
    memset(buf, 0xa5, 24);
    memcpy(buf + 24, frame.data, frame.len);
    n = ENC_LEN(vns_encode_packet, buf, sizeof buf, "eth3", buf + 24,
                frame.len);
    assert_hex(buf, n, PACKET);

    /* A name of 16 bytes, without a NUL, and one too long to send. */
    n = ENC_LEN(vns_encode_packet, buf, sizeof buf, "sw0-eth1-abcdefg",
                frame.data, frame.len);
    assert_int_equal(n, 24 + 42);
    assert_memory_equal(buf + 8, "sw0-eth1-abcdefg", 16);
    assert_int_equal(vns_decode_packet(buf, n, iface, &f, &f_len, &why), 0);
    assert_string_equal(iface, "sw0-eth1-abcdefg");
    assert_int_equal(ENC_LEN(vns_encode_packet, buf, sizeof buf,
                             "sw0-eth1-abcdefgh", frame.data, frame.len),
                     0);
    assert_int_equal(ENC_LEN(vns_encode_packet, buf, sizeof buf, NULL,
                             frame.data, frame.len),
                     0);

    /* Frames: an Ethernet header at least, and within the limit. */
    assert_int_equal(
        ENC_LEN(vns_encode_packet, buf, sizeof buf, "eth3", frame.data, 14),
        38);
    assert_int_equal(
        ENC_LEN(vns_encode_packet, buf, sizeof buf, "eth3", frame.data, 13),
        0);
    assert_int_equal(
        ENC_LEN(vns_encode_packet, buf, sizeof buf, "eth3", NULL, 42), 0);
    {
        uint8_t *big = calloc(1, VNS_MAX_MESSAGE + 1);

        assert_non_null(big);
        assert_int_equal(ENC_LEN(vns_encode_packet, big, VNS_MAX_MESSAGE + 1,
                                 "eth1", big + 24, VNS_MAX_MESSAGE - 24),
                         VNS_MAX_MESSAGE);
        assert_int_equal(ENC_LEN(vns_encode_packet, big, VNS_MAX_MESSAGE + 1,
                                 "eth1", big, VNS_MAX_MESSAGE - 23),
                         0);
        assert_int_equal(ENC_LEN(vns_encode_packet, big, VNS_MAX_MESSAGE + 1,
                                 "eth1", big, SIZE_MAX - 10),
                         0);
        /* Decoders hold to the limit too, whatever framed the message. */
        assert_int_equal(ENC_LEN(vns_encode_packet, big, VNS_MAX_MESSAGE + 1,
                                 "eth1", big + 24, VNS_MAX_MESSAGE - 24),
                         VNS_MAX_MESSAGE);
        assert_int_equal(dec_packet(big, VNS_MAX_MESSAGE, NULL), 0);
        set_be32(big, VNS_MAX_MESSAGE + 1);
        assert_refused(dec_packet, big, VNS_MAX_MESSAGE + 1);
        set_be32(big + 4, VNS_AUTH_REQUEST);
        assert_refused(dec_auth_request, big, VNS_MAX_MESSAGE + 1);
        free(big);
    }

    check_truncations(dec_packet, PACKET, 24 + 14, NULL);
    msg_free(&m);
}

/* HWInfo. */

/* Appends an entry to the HWInfo in 'buf' of '*len' bytes: 'key' and
 * 'vlen' bytes of 'value', zero-padded; the header's length follows. */
static void
add_entry(uint8_t *buf, size_t *len, uint32_t key, const void *value,
          size_t vlen)
{
    if (*len == 0) {
        set_be32(buf + 4, VNS_HWINFO);
        *len = VNS_HEADER_LEN;
    }
    assert_true(*len + VNS_HW_ENTRY_LEN <= MAX_MSG && vlen <= 32);
    set_be32(buf + *len, key);
    memset(buf + *len + 4, 0, 32);
    memcpy(buf + *len + 4, value, vlen);
    *len += VNS_HW_ENTRY_LEN;
    set_be32(buf, *len);
}

static void
test_hwinfo(void **state)
{
    struct vns_iface lab[3], ifs[VNS_MAX_IFACES + 1];
    static const uint8_t speed[4] = {0, 0, 0x27, 0x10};
    static const uint8_t ip[4] = {10, 0, 1, 1};
    struct msg m = load(HWINFO);
    size_t valid[3 * 6 + 2], n, len, i;
    uint8_t buf[MAX_MSG];
    const char *why = NULL;

    (void)state;
    lab_setup(lab);
    check_encoder(enc_hwinfo, lab, HWINFO);

    memset(ifs, 0xa5, sizeof ifs);
    assert_int_equal(
        vns_decode_hwinfo(m.data, m.len, ifs, VNS_MAX_IFACES, &n, &why), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(ifs, lab, sizeof lab);
    assert_memory_equal(&ifs[0].ip, "\xc0\xa8\x02\x01", 4);
    assert_memory_equal(&ifs[1].ip, "\xac\x40\x03\x01", 4);
    assert_memory_equal(&ifs[2].mask, "\xff\xff\xff\x00", 4);

    /* Room for exactly 3, and for 2. */
    assert_int_equal(vns_decode_hwinfo(m.data, m.len, ifs, 3, &n, &why), 0);
    assert_int_equal(n, 3);
    why = NULL;
    assert_eproto(vns_decode_hwinfo(m.data, m.len, ifs, 2, &n, &why), why);
    why = NULL;
    assert_eproto(vns_decode_hwinfo(m.data, m.len, NULL, 0, &n, &why), why);

    /* Round trip, with a speed. */
    lab[1].speed = 10000;
    n = ENC_LEN(vns_encode_hwinfo, buf, sizeof buf, lab, 3);
    assert_int_equal(n, m.len);
    assert_memory_equal(buf + 8 + 6 * 36 + 36 + 4, speed, 4);
    assert_int_equal(vns_decode_hwinfo(buf, n, ifs, 3, &len, &why), 0);
    assert_memory_equal(ifs, lab, sizeof lab);

    /* No interfaces at all. */
    assert_int_equal(ENC_LEN(vns_encode_hwinfo, buf, sizeof buf, NULL, 0), 8);
    assert_hex(buf, 8, "00000008 00000010");
    assert_int_equal(vns_decode_hwinfo(buf, 8, ifs, 3, &n, &why), 0);
    assert_int_equal(n, 0);

    /* An attribute before any name, even behind an unknown key. */
    len = 0;
    add_entry(buf, &len, 0x100, "x", 1);
    add_entry(buf, &len, VNS_HW_ETH_IP, ip, 4);
    add_entry(buf, &len, VNS_HW_INTERFACE, "eth1", 4);
    assert_refused(dec_hwinfo, buf, len);
    for (i = 1; i <= VNS_HW_MASK; i *= 2) {
        len = 0;
        add_entry(buf, &len, (uint32_t)i, ip, 4);
        if (i == VNS_HW_INTERFACE) {
            assert_int_equal(vns_decode_hwinfo(buf, len, ifs, 3, &n, &why), 0);
        } else {
            assert_refused(dec_hwinfo, buf, len);
        }
    }

    /* Unknown keys are skipped, before a name or among attributes; so are
     * the attributes the router has no use for. */
    len = 0;
    add_entry(buf, &len, 0, "zero", 4);
    add_entry(buf, &len, 0xffffffff, "\xff\xff", 2);
    add_entry(buf, &len, VNS_HW_INTERFACE, "eth3", 4);
    add_entry(buf, &len, 3, "\x01\x02\x03\x04", 4);
    add_entry(buf, &len, VNS_HW_ETH_IP, ip, 4);
    add_entry(buf, &len, VNS_HW_IN_USE, "\x01", 1);
    add_entry(buf, &len, VNS_HW_FIXED_IP, "\x09\x09\x09\x09", 4);
    add_entry(buf, &len, VNS_HW_SUBNET, "\x0a\x00\x01\x00", 4);
    add_entry(buf, &len, 256, "\x08\x08\x08\x08", 4);
    {
        uint8_t *exact = copy_exact(buf, len);

        memset(ifs, 0xa5, sizeof ifs);
        assert_int_equal(vns_decode_hwinfo(exact, len, ifs, 3, &n, &why), 0);
        free(exact);
    }
    assert_int_equal(n, 1);
    assert_string_equal(ifs[0].name, "eth3");
    assert_memory_equal(&ifs[0].ip, ip, 4);
    assert_int_equal(ifs[0].mask, 0);
    assert_int_equal(ifs[0].speed, 0);
    assert_memory_equal(ifs[0].mac, "\0\0\0\0\0\0", 6);

    /* A name filling its 32 bytes: cut to what a Packet can carry. */
    len = 0;
    add_entry(buf, &len, VNS_HW_INTERFACE, "0123456789abcdef0123456789abcdef",
              32);
    assert_int_equal(vns_decode_hwinfo(buf, len, ifs, 3, &n, &why), 0);
    assert_string_equal(ifs[0].name, "0123456789abcdef");

    /* Attributes go to the last name; a later one overrides. */
    len = 0;
    add_entry(buf, &len, VNS_HW_INTERFACE, "a", 1);
    add_entry(buf, &len, VNS_HW_INTERFACE, "b", 1);
    add_entry(buf, &len, VNS_HW_SPEED, speed, 4);
    add_entry(buf, &len, VNS_HW_SPEED, "\0\0\0\x01", 4);
    assert_int_equal(vns_decode_hwinfo(buf, len, ifs, 3, &n, &why), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ifs[0].speed, 0);
    assert_int_equal(ifs[1].speed, 1);

    /* More than the most interfaces. */
    len = 0;
    for (i = 0; i <= VNS_MAX_IFACES; i++) {
        char name[8];

        snprintf(name, sizeof name, "eth%zu", i);
        add_entry(buf, &len, VNS_HW_INTERFACE, name, strlen(name));
    }
    assert_refused(dec_hwinfo, buf, len);
    assert_int_equal(
        vns_decode_hwinfo(buf, len, ifs, VNS_MAX_IFACES + 1, &n, &why), 0);
    assert_int_equal(n, VNS_MAX_IFACES + 1);
    assert_string_equal(ifs[VNS_MAX_IFACES].name, "eth32");

    /* Not a whole number of entries: every extra length of 1..35. */
    len = 0;
    add_entry(buf, &len, VNS_HW_INTERFACE, "eth1", 4);
    memset(buf + len, 0, 35);
    for (i = 1; i < 36; i++) {
        set_be32(buf, len + i);
        assert_refused(dec_hwinfo, buf, len + i);
    }

    /* What cannot be sent. */
    assert_int_equal(ENC_LEN(vns_encode_hwinfo, buf, sizeof buf, NULL, 1), 0);
    {
        struct vns_iface many[47];
        uint8_t *big = malloc(VNS_MAX_MESSAGE + 1);

        assert_non_null(big);
        memset(many, 0, sizeof many);
        /* 46 interfaces, 6 entries each, are 9944 bytes; 47 are over. */
        assert_int_equal(
            ENC_LEN(vns_encode_hwinfo, big, VNS_MAX_MESSAGE + 1, many, 46),
            9944);
        assert_int_equal(
            ENC_LEN(vns_encode_hwinfo, big, VNS_MAX_MESSAGE + 1, many, 47), 0);
        assert_int_equal(ENC_LEN(vns_encode_hwinfo, big, VNS_MAX_MESSAGE + 1,
                                 many, SIZE_MAX),
                         0);
        free(big);
    }

    /* Prefixes of whole entries are HWInfos, attributes still after their
     * name. */
    for (i = 0; i <= 3 * 6; i++) {
        valid[i] = 8 + 36 * i;
    }
    valid[i] = 0;
    check_truncations(dec_hwinfo, HWINFO, NONE, valid);
    msg_free(&m);
}

/* Authentication. */

static void
test_auth_request(void **state)
{
    struct msg m = load(AUTH_REQUEST), salt;
    const uint8_t *s;
    uint8_t buf[MAX_MSG];
    const char *why = NULL;
    size_t s_len;

    (void)state;
    salt.data = m.data + 8;
    salt.len = 20;
    check_encoder(enc_auth_request, &salt, AUTH_REQUEST);
    assert_int_equal(vns_decode_auth_request(m.data, m.len, &s, &s_len, &why),
                     0);
    assert_ptr_equal(s, m.data + 8);
    assert_int_equal(s_len, VNS_SALT_LEN);

    /* Any salt of a byte or more; none is refused both ways. */
    assert_int_equal(
        ENC_LEN(vns_encode_auth_request, buf, sizeof buf, salt.data, 1), 9);
    assert_int_equal(vns_decode_auth_request(buf, 9, &s, &s_len, &why), 0);
    assert_int_equal(s_len, 1);
    assert_int_equal(
        ENC_LEN(vns_encode_auth_request, buf, sizeof buf, salt.data, 0), 0);
    assert_int_equal(
        ENC_LEN(vns_encode_auth_request, buf, sizeof buf, NULL, 20), 0);
    assert_int_equal(
        ENC_LEN(vns_encode_auth_request, buf, sizeof buf, salt.data, SIZE_MAX),
        0);
    assert_refused(dec_auth_request, (const uint8_t *)"\0\0\0\x08\0\0\0\x80",
                   8);

    check_truncations(dec_auth_request, AUTH_REQUEST, 9, NULL);
    msg_free(&m);
}

static void
test_auth_reply(void **state)
{
    struct msg req = load(AUTH_REQUEST), m = load(AUTH_REPLY);
    uint8_t key[64], digest[VNS_SHA1_LEN], sha1[VNS_SHA1_LEN], buf[MAX_MSG];
    char user[VNS_NAME_LEN + 1], tiny[7];
    const char *why = NULL;
    size_t n;

    (void)state;
    auth_key(key);
    assert_int_equal(
        vns_auth_digest(req.data + 8, req.len - 8, key, sizeof key, digest),
        0);
    check_encoder(enc_auth_reply, digest, AUTH_REPLY);

    memset(user, 0xa5, sizeof user);
    assert_int_equal(
        vns_decode_auth_reply(m.data, m.len, user, sizeof user, sha1, &why),
        0);
    assert_string_equal(user, "student");
    assert_memory_equal(sha1, digest, VNS_SHA1_LEN);

    /* A user name that does not fit is refused, not cut: a prefix would be
     * another user.  Exactly fitting is fine. */
    why = NULL;
    assert_eproto(
        vns_decode_auth_reply(m.data, m.len, tiny, sizeof tiny, sha1, &why),
        why);
    assert_int_equal(vns_decode_auth_reply(m.data, m.len, user, 8, sha1, &why),
                     0);
    why = NULL;
    assert_eproto(vns_decode_auth_reply(m.data, m.len, NULL, 0, sha1, &why),
                  why);

    /* An empty user name, and one with a NUL in it. */
    n = ENC_LEN(vns_encode_auth_reply, buf, sizeof buf, "", digest);
    assert_int_equal(n, 32);
    assert_int_equal(
        vns_decode_auth_reply(buf, n, user, sizeof user, sha1, &why), 0);
    assert_string_equal(user, "");
    memcpy(buf, m.data, m.len);
    buf[14] = '\0';
    assert_refused(dec_auth_reply, buf, m.len);

    /* A user length that is not what is left for it. */
    memcpy(buf, m.data, m.len);
    set_be32(buf + 8, 6);
    assert_refused(dec_auth_reply, buf, m.len);
    set_be32(buf + 8, 8);
    assert_refused(dec_auth_reply, buf, m.len);
    set_be32(buf + 8, UINT32_MAX - 20);
    assert_refused(dec_auth_reply, buf, m.len);

    assert_int_equal(
        ENC_LEN(vns_encode_auth_reply, buf, sizeof buf, NULL, digest), 0);
    assert_int_equal(
        ENC_LEN(vns_encode_auth_reply, buf, sizeof buf, "x", NULL), 0);

    check_truncations(dec_auth_reply, AUTH_REPLY, NONE, NULL);
    msg_free(&m);
    msg_free(&req);
}

static void
test_auth_status(void **state)
{
    struct msg m = load(AUTH_STATUS), f = load(AUTH_STATUS_FAIL);
    char text[64], small[6];
    uint8_t buf[MAX_MSG];
    const char *why = NULL;
    int ok;

    (void)state;
    check_encoder(enc_auth_status_ok, "authenticated as student", AUTH_STATUS);
    check_encoder(enc_auth_status_fail, "Authentication failed",
                  AUTH_STATUS_FAIL);

    ok = -1;
    assert_int_equal(
        vns_decode_auth_status(m.data, m.len, &ok, text, sizeof text, &why),
        0);
    assert_int_equal(ok, 1);
    assert_string_equal(text, "authenticated as student");
    assert_int_equal(
        vns_decode_auth_status(f.data, f.len, &ok, text, sizeof text, &why),
        0);
    assert_int_equal(ok, 0);
    assert_string_equal(text, "Authentication failed");

    /* Any nonzero byte is success; the text is cut to fit. */
    memcpy(buf, m.data, m.len);
    buf[8] = 0x80;
    memset(small, 0xa5, sizeof small);
    assert_int_equal(vns_decode_auth_status(buf, m.len, &ok, small, 5, &why),
                     0);
    assert_int_equal(ok, 1);
    assert_string_equal(small, "auth");
    assert_int_equal((uint8_t)small[5], 0xa5);
    assert_int_equal(vns_decode_auth_status(buf, m.len, &ok, NULL, 0, &why),
                     0);

    /* No text; a NUL ends it. */
    assert_int_equal(ENC_LEN(vns_encode_auth_status, buf, sizeof buf, 7, NULL),
                     9);
    assert_hex(buf, 9, "00000009 00000200 01");
    assert_int_equal(
        vns_decode_auth_status(buf, 9, &ok, text, sizeof text, &why), 0);
    assert_string_equal(text, "");
    memcpy(buf, m.data, m.len);
    buf[13] = '\0';
    assert_int_equal(
        vns_decode_auth_status(buf, m.len, &ok, text, sizeof text, &why), 0);
    assert_string_equal(text, "auth");

    check_truncations(dec_auth_status, AUTH_STATUS, 9, NULL);
    msg_free(&m);
    msg_free(&f);
}

/* SHA-1 against the FIPS 180-1 vectors, with the message split between
 * salt and key at every point (a split must not change the digest).  The
 * output starts as a pattern no vector has, so a call that wrote nothing,
 * or only part of the digest, fails the comparison. */
static void
assert_sha1(const void *data, size_t len, const char *hex)
{
    uint8_t out[VNS_SHA1_LEN];
    size_t split;

    for (split = 0; split <= len; split += len < 200 ? 1 : len / 7) {
        memset(out, 0xa5, sizeof out);
        assert_int_equal(vns_auth_digest(data, split,
                                         (const uint8_t *)data + split,
                                         len - split, out),
                         0);
        assert_hex(out, sizeof out, hex);
    }
    memset(out, 0xa5, sizeof out);
    assert_int_equal(vns_auth_digest(data, len, NULL, 0, out), 0);
    assert_hex(out, sizeof out, hex);
}

static void
test_sha1(void **state)
{
    uint8_t *a;
    uint8_t key[64], out[VNS_SHA1_LEN];
    struct msg salt = load(AUTH_REQUEST);
    size_t len;

    (void)state;
    assert_sha1("", 0, "da39a3ee 5e6b4b0d 3255bfef 95601890 afd80709");
    assert_int_equal(vns_auth_digest(NULL, 0, NULL, 0, out), 0);
    assert_hex(out, sizeof out,
               "da39a3ee 5e6b4b0d 3255bfef 95601890 afd80709");
    assert_sha1("abc", 3, "a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d");
    assert_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
                "84983e44 1c3bd26e baae4aa1 f95129e5 e54670f1");

    /* Lengths around a block's end, where the padding changes; digests
     * from `sha1sum`. */
    a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    assert_sha1(a, 55, "c1c8bbdc 22796e28 c0e15163 d20899b6 5621d65a");
    assert_sha1(a, 56, "c2db330f 6083854c 99d4b5bf b6e8f29f 201be699");
    assert_sha1(a, 63, "03f09f5b 158a7a8c dad920bd dc29b81c 18a551f5");
    assert_sha1(a, 64, "0098ba82 4b5c1642 7bd7a112 2a5a442a 25ec644d");
    assert_sha1(a, 65, "11655326 c708d703 19be2610 e8a57d9a 5b959d3b");
    assert_sha1(a, 1000000, "34aa973c d4c4daa4 f61eeb2b dbad2731 6534016f");
    free(a);

    /* A salt and key as the lab uses them (`sha1sum` agrees; see the
     * header comment). */
    auth_key(key);
    len = salt.len - 8;
    assert_int_equal(vns_auth_digest(salt.data + 8, len, key, sizeof key, out),
                     0);
    assert_hex(out, sizeof out,
               "f0cebd9c 77b920fd 05aefaf6 1f5a560e 32e3cf97");
    /* Key before salt is another digest: the order is the protocol's. */
    assert_int_equal(vns_auth_digest(key, sizeof key, salt.data + 8, len, out),
                     0);
    assert_memory_not_equal(out,
                            "\xf0\xce\xbd\x9c\x77\xb9\x20\xfd\x05\xae"
                            "\xfa\xf6\x1f\x5a\x56\x0e\x32\xe3\xcf\x97",
                            VNS_SHA1_LEN);
    msg_free(&salt);
}

/* The handshake as the server and the router run it. */
static void
test_auth_round_trip(void **state)
{
    static const uint8_t server_salt[VNS_SALT_LEN] = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    uint8_t key[64], buf[MAX_MSG], mine[VNS_SHA1_LEN], got[VNS_SHA1_LEN],
        expect[VNS_SHA1_LEN];
    char user[VNS_NAME_LEN + 1];
    const uint8_t *salt;
    const char *why = NULL;
    size_t n, salt_len;

    (void)state;
    auth_key(key);

    /* Server: AuthRequest.  Router: the digest, in an AuthReply. */
    n = ENC_LEN(vns_encode_auth_request, buf, sizeof buf, server_salt,
                sizeof server_salt);
    assert_int_equal(n, 28);
    assert_int_equal(vns_decode_auth_request(buf, n, &salt, &salt_len, &why),
                     0);
    assert_int_equal(vns_auth_digest(salt, salt_len, key, sizeof key, mine),
                     0);
    n = ENC_LEN(vns_encode_auth_reply, buf, sizeof buf, "student", mine);
    assert_int_equal(n, 8 + 4 + 7 + 20);

    /* Server: the user's key gives the same digest; another does not. */
    assert_int_equal(
        vns_decode_auth_reply(buf, n, user, sizeof user, got, &why), 0);
    assert_string_equal(user, "student");
    assert_int_equal(vns_auth_digest(server_salt, sizeof server_salt, key,
                                     sizeof key, expect),
                     0);
    assert_memory_equal(got, expect, VNS_SHA1_LEN);
    key[63] ^= 1;
    assert_int_equal(vns_auth_digest(server_salt, sizeof server_salt, key,
                                     sizeof key, expect),
                     0);
    assert_memory_not_equal(got, expect, VNS_SHA1_LEN);
}

/* Why encoders fail.  Every fixture's encoder, into every capacity short
 * of its message, says ENOBUFS and writes nothing; what cannot be
 * expressed says EMSGSIZE (too long for its field or for the protocol) or
 * EINVAL (an argument the message cannot carry), whatever the room, since
 * no buffer would take it; and the length is 0 on every failure. */

/* Fails unless 'CALL' (an encoder whose last argument is &len) returns
 * 'ERROR', stores 0 in 'len' and leaves 'buf' as it was. */
#define assert_encode_error(ERROR, CALL)                                      \
    do {                                                                      \
        memset(buf, 0xa5, sizeof buf);                                        \
        len = SIZE_MAX;                                                       \
        assert_int_equal((CALL), (ERROR));                                    \
        assert_int_equal(len, 0);                                             \
        assert_true(untouched(buf, sizeof buf));                              \
    } while (0)

static bool
untouched(const uint8_t *buf, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (buf[i] != 0xa5) {
            return false;
        }
    }
    return true;
}

static void
test_encode_errors(void **state)
{
    static const uint8_t salt[VNS_SALT_LEN] = {1, 2, 3};
    static const uint8_t sha1[VNS_SHA1_LEN] = {4, 5, 6};
    struct vns_iface lab[3], ifs[VNS_MAX_IFACES];
    struct vns_open o = {.topo_id = 1};
    uint8_t frame[64] = {0}, buf[MAX_MSG];
    size_t len, cap, n;
    char *big, name17[VNS_IFACE_LEN + 2];

    (void)state;
    lab_setup(lab);
    strcpy(o.vhost, "vrhost");
    memset(name17, 'n', sizeof name17 - 1);
    name17[sizeof name17 - 1] = '\0';
    big = malloc(VNS_MAX_MESSAGE + 2);
    assert_non_null(big);
    memset(big, 't', VNS_MAX_MESSAGE + 1);
    big[VNS_MAX_MESSAGE + 1] = '\0';

    /* No room: ENOBUFS at every capacity short of the message, a NULL
     * buffer included; a NULL buffer that claims room is EINVAL. */
    for (cap = 0; cap < VNS_OPEN_MSG_LEN; cap++) {
        assert_encode_error(ENOBUFS, vns_encode_open(buf, cap, &o, &len));
        assert_encode_error(ENOBUFS, vns_encode_packet(buf, cap % 66, "eth3",
                                                       frame, 42, &len));
        assert_encode_error(
            ENOBUFS, vns_encode_auth_request(buf, cap % 28, salt, 20, &len));
        assert_encode_error(
            ENOBUFS,
            vns_encode_auth_reply(buf, cap % 39, "student", sha1, &len));
        assert_encode_error(
            ENOBUFS, vns_encode_auth_status(buf, cap % 9, 1, NULL, &len));
        assert_encode_error(ENOBUFS,
                            vns_encode_hwinfo(buf, cap, lab, 1, &len));
    }
    for (cap = 0; cap < VNS_CLOSE_MSG_LEN; cap += 7) {
        assert_encode_error(ENOBUFS, vns_encode_close(buf, cap, "bye", &len));
        assert_encode_error(ENOBUFS, vns_encode_banner(buf, cap, "hi", &len));
    }
    assert_encode_error(ENOBUFS, vns_encode_open(NULL, 0, &o, &len));
    assert_encode_error(ENOBUFS, vns_encode_hwinfo(NULL, 0, NULL, 0, &len));
    assert_encode_error(EINVAL, vns_encode_open(NULL, 200, &o, &len));
    assert_encode_error(EINVAL, vns_encode_close(NULL, 300, "x", &len));
    assert_int_equal(vns_encode_hwinfo(buf, 8, NULL, 0, &len), 0);
    assert_int_equal(len, 8);

    /* Open: a name over 32 bytes (the struct's field left unterminated)
     * is too long for its field, even where there is no room at all. */
    assert_encode_error(EINVAL, vns_encode_open(buf, sizeof buf, NULL, &len));
    memset(o.user, 'u', sizeof o.user);
    assert_encode_error(EMSGSIZE, vns_encode_open(buf, sizeof buf, &o, &len));
    assert_encode_error(EMSGSIZE, vns_encode_open(buf, 0, &o, &len));
    o.user[VNS_NAME_LEN] = '\0';
    assert_int_equal(vns_encode_open(buf, sizeof buf, &o, &len), 0);
    assert_int_equal(len, VNS_OPEN_MSG_LEN);

    /* Close and Banner: display text is cut to its field, not refused. */
    assert_int_equal(vns_encode_close(buf, sizeof buf, big, &len), 0);
    assert_int_equal(len, VNS_CLOSE_MSG_LEN);
    assert_int_equal(vns_encode_banner(buf, sizeof buf, big, &len), 0);
    assert_int_equal(len, VNS_HEADER_LEN + VNS_BANNER_LEN);

    /* Packet. */
    assert_encode_error(
        EMSGSIZE, vns_encode_packet(buf, sizeof buf, name17, frame, 42, &len));
    assert_encode_error(EMSGSIZE,
                        vns_encode_packet(buf, 0, name17, frame, 42, &len));
    assert_encode_error(
        EINVAL, vns_encode_packet(buf, sizeof buf, NULL, frame, 42, &len));
    assert_encode_error(
        EINVAL, vns_encode_packet(buf, sizeof buf, "eth1", NULL, 42, &len));
    assert_encode_error(
        EINVAL, vns_encode_packet(buf, sizeof buf, "eth1", frame, 13, &len));
    assert_encode_error(EINVAL,
                        vns_encode_packet(buf, 0, "eth1", frame, 0, &len));
    assert_encode_error(EMSGSIZE,
                        vns_encode_packet(buf, sizeof buf, "eth1",
                                          (const uint8_t *)big,
                                          VNS_MAX_MESSAGE - 23, &len));
    assert_encode_error(EMSGSIZE, vns_encode_packet(buf, sizeof buf, "eth1",
                                                    (const uint8_t *)big,
                                                    SIZE_MAX - 10, &len));
    name17[VNS_IFACE_LEN] = '\0';
    assert_int_equal(
        vns_encode_packet(buf, sizeof buf, name17, frame, 42, &len), 0);
    assert_int_equal(len, 24 + 42);

    /* HWInfo: 46 interfaces at most, each named in 16 bytes. */
    assert_encode_error(EINVAL,
                        vns_encode_hwinfo(buf, sizeof buf, NULL, 1, &len));
    memset(ifs, 0, sizeof ifs);
    assert_encode_error(EMSGSIZE,
                        vns_encode_hwinfo(buf, sizeof buf, ifs, 47, &len));
    assert_encode_error(EMSGSIZE,
                        vns_encode_hwinfo(buf, 0, ifs, SIZE_MAX, &len));
    memset(lab[2].name, 'x', sizeof lab[2].name);
    assert_encode_error(EMSGSIZE,
                        vns_encode_hwinfo(buf, sizeof buf, lab, 3, &len));
    assert_int_equal(vns_encode_hwinfo(buf, sizeof buf, lab, 2, &len), 0);
    assert_int_equal(len, 8 + 2 * 6 * 36);

    /* AuthRequest: a salt of 1 to 9992 bytes. */
    assert_encode_error(
        EINVAL, vns_encode_auth_request(buf, sizeof buf, salt, 0, &len));
    assert_encode_error(
        EINVAL, vns_encode_auth_request(buf, sizeof buf, NULL, 20, &len));
    assert_encode_error(EMSGSIZE, vns_encode_auth_request(
                                      buf, sizeof buf, (const uint8_t *)big,
                                      VNS_MAX_MESSAGE - 7, &len));
    assert_encode_error(EMSGSIZE,
                        vns_encode_auth_request(buf, 0, salt, SIZE_MAX, &len));
    assert_encode_error(
        ENOBUFS, vns_encode_auth_request(buf, sizeof buf, (const uint8_t *)big,
                                         VNS_MAX_MESSAGE - 8, &len));

    /* AuthReply: a user of up to 9968 bytes; AuthStatus: text of up to
     * 9991. */
    assert_encode_error(
        EINVAL, vns_encode_auth_reply(buf, sizeof buf, NULL, sha1, &len));
    assert_encode_error(
        EINVAL, vns_encode_auth_reply(buf, sizeof buf, "x", NULL, &len));
    big[VNS_MAX_MESSAGE - 31] = '\0';
    assert_encode_error(
        EMSGSIZE, vns_encode_auth_reply(buf, sizeof buf, big, sha1, &len));
    big[VNS_MAX_MESSAGE - 32] = '\0';
    assert_encode_error(
        ENOBUFS, vns_encode_auth_reply(buf, sizeof buf, big, sha1, &len));
    memset(big, 't', VNS_MAX_MESSAGE + 1);
    big[VNS_MAX_MESSAGE - 8] = '\0';
    assert_encode_error(EMSGSIZE,
                        vns_encode_auth_status(buf, sizeof buf, 1, big, &len));
    {
        uint8_t *room = malloc(VNS_MAX_MESSAGE);

        assert_non_null(room);
        big[VNS_MAX_MESSAGE - 9] = '\0';
        assert_int_equal(
            vns_encode_auth_status(room, VNS_MAX_MESSAGE, 1, big, &n), 0);
        assert_int_equal(n, VNS_MAX_MESSAGE);
        memset(big, 'u', VNS_MAX_MESSAGE - 32);
        big[VNS_MAX_MESSAGE - 32] = '\0';
        assert_int_equal(
            vns_encode_auth_reply(room, VNS_MAX_MESSAGE, big, sha1, &n), 0);
        assert_int_equal(n, VNS_MAX_MESSAGE);
        assert_int_equal(vns_encode_auth_request(room, VNS_MAX_MESSAGE,
                                                 (const uint8_t *)big,
                                                 VNS_MAX_MESSAGE - 8, &n),
                         0);
        assert_int_equal(n, VNS_MAX_MESSAGE);
        free(room);
    }
    free(big);
}
#undef assert_encode_error

/* Every decoder refuses every other message type, and nothing at all. */
static void
test_wrong_type(void **state)
{
    static const struct {
        decode_fn *decode;
        const char *hex;
    } decoders[] = {
        {dec_open, OPEN},
        {dec_close, CLOSE},
        {dec_packet, PACKET},
        {dec_banner, BANNER},
        {dec_hwinfo, HWINFO},
        {dec_auth_request, AUTH_REQUEST},
        {dec_auth_reply, AUTH_REPLY},
        {dec_auth_status, AUTH_STATUS},
    };
    enum { N = sizeof decoders / sizeof decoders[0] };
    size_t i, j;

    (void)state;
    for (i = 0; i < N; i++) {
        for (j = 0; j < N; j++) {
            struct msg m = load(decoders[j].hex);
            const char *why = NULL;

            if (i == j) {
                assert_int_equal(decoders[i].decode(m.data, m.len, &why), 0);
            } else {
                assert_eproto(decoders[i].decode(m.data, m.len, &why), why);
            }
            msg_free(&m);
        }
        {
            const char *why = NULL;

            assert_eproto(decoders[i].decode(NULL, 0, &why), why);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_frame_stream),
        cmocka_unit_test(test_open),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_banner),
        cmocka_unit_test(test_packet),
        cmocka_unit_test(test_hwinfo),
        cmocka_unit_test(test_auth_request),
        cmocka_unit_test(test_auth_reply),
        cmocka_unit_test(test_auth_status),
        cmocka_unit_test(test_sha1),
        cmocka_unit_test(test_auth_round_trip),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_encode_errors),
    };

    return cmocka_run_group_tests_name("vns", tests, NULL, NULL);
}
