/*
 * Byte-level fixtures for the codec and router unit tests: hex text to
 * bytes and back, exact-size heap copies (so ASan catches a read one byte
 * past a message), and an assertion that prints both sides in hex.  Shared
 * by test_ofp, test_vns and test_sr; include after <cmocka.h>.
 *
 * Also the checks every codec test runs: an encoder writes exactly its
 * fixture and nothing when the buffer is too small; a decoder refuses
 * every truncation of a message with EPROTO and a reason.
 */
#ifndef PX_TEST_HEXFIX_H
#define PX_TEST_HEXFIX_H 1

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest fixture, in bytes. */
#define HEXFIX_MAX 4096

/* Decodes hex, blanks ignored, into 'buf'; returns the length. */
static inline size_t
unhex(const char *hex, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    int nib = -1;

    for (; *hex; hex++) {
        int v;

        if (*hex == ' ') {
            continue;
        }
        v = *hex <= '9' ? *hex - '0' : (*hex | 0x20) - 'a' + 10;
        assert_true(v >= 0 && v < 16);
        if (nib < 0) {
            nib = v;
        } else {
            assert_true(n < cap);
            buf[n++] = (uint8_t)(nib << 4 | v);
            nib = -1;
        }
    }
    assert_int_equal(nib, -1);
    return n;
}

/* Writes 'buf' as hex in 4-byte words, like the fixtures. */
static inline void
tohex(const uint8_t *buf, size_t len, char *out, size_t cap)
{
    size_t i, n = 0;

    out[0] = '\0';
    for (i = 0; i < len && n + 4 < cap; i++) {
        n += (size_t)snprintf(out + n, cap - n, "%02x%s", buf[i],
                              i % 4 == 3 ? " " : "");
    }
}

/* A heap copy of exactly 'len' bytes, so that ASan catches a read past
 * the message. */
static inline uint8_t *
copy_exact(const uint8_t *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);

    assert_non_null(p);
    if (len) {
        memcpy(p, data, len);
    }
    return p;
}

struct msg {
    uint8_t *data;
    size_t len;
};

/* A fixture in an exact-size heap buffer; free with msg_free(). */
static inline struct msg
load(const char *hex)
{
    uint8_t buf[HEXFIX_MAX];
    size_t len = unhex(hex, buf, sizeof buf);

    return (struct msg){copy_exact(buf, len), len};
}

static inline void
msg_free(struct msg *m)
{
    free(m->data);
    m->data = NULL;
}

/* Fails, at the caller's line, unless 'buf' holds exactly the bytes of
 * 'hex'. */
#define assert_hex(BUF, LEN, HEX)                                             \
    assert_hex_((BUF), (LEN), (HEX), __FILE__, __LINE__)

static inline void
assert_hex_(const uint8_t *buf, size_t len, const char *hex, const char *file,
            int line)
{
    uint8_t want[HEXFIX_MAX];
    size_t n = unhex(hex, want, sizeof want);

    if (len != n || memcmp(buf, want, n)) {
        static char got_text[3 * HEXFIX_MAX + 8];
        static char want_text[3 * HEXFIX_MAX + 8];

        tohex(buf, len, got_text, sizeof got_text);
        tohex(want, n, want_text, sizeof want_text);
        print_error("got  %zu bytes: %s\nwant %zu bytes: %s\n", len, got_text,
                    n, want_text);
        _fail(file, line);
    }
}

/* Encoders and decoders under test, behind one signature each. */
typedef size_t encode_fn(uint8_t *buf, size_t cap, const void *arg);
typedef int decode_fn(const uint8_t *msg, size_t len, const char **why);

/* Checks that 'encode' writes exactly the bytes of 'hex' and nothing past
 * them, into a buffer of exactly that size too, and returns 0 for every
 * smaller capacity (each an exact-size heap buffer, for ASan) and for a
 * NULL buffer. */
static inline void
check_encoder(encode_fn *encode, const void *arg, const char *hex)
{
    uint8_t want[HEXFIX_MAX], buf[HEXFIX_MAX + 64];
    size_t n = unhex(hex, want, sizeof want), cap, i;

    memset(buf, 0xa5, sizeof buf);
    assert_hex(buf, encode(buf, sizeof buf, arg), hex);
    for (i = n; i < sizeof buf; i++) {
        assert_int_equal(buf[i], 0xa5);
    }
    for (cap = 0; cap <= n; cap++) {
        uint8_t *b = malloc(cap ? cap : 1);

        assert_non_null(b);
        if (cap < n) {
            assert_int_equal(encode(b, cap, arg), 0);
        } else {
            assert_hex(b, encode(b, cap, arg), hex);
        }
        free(b);
    }
    assert_int_equal(encode(NULL, 0, arg), 0);
}

/* Fails, at the caller's line, unless CALL returned EPROTO with a
 * reason in WHY. */
#define assert_eproto(CALL, WHY)                                              \
    do {                                                                      \
        int error_ = (CALL);                                                  \
        assert_eproto_(error_, (WHY), __FILE__, __LINE__);                    \
    } while (0)

static inline void
assert_eproto_(int error, const char *why, const char *file, int line)
{
    if (error != EPROTO || !why || !why[0]) {
        print_error("expected EPROTO with a reason, got %d (%s)\n", error,
                    why ? why : "no reason");
        _fail(file, line);
    }
}

/* Feeds 'decode' every proper prefix of the fixture 'hex', each in an
 * exact-size buffer, first as it is (the header's length then says more
 * than there is) and then with the header's length patched to the prefix's
 * length by 'set_length' (for prefixes of 4 bytes and more).  All must be
 * refused with EPROTO, except that, patched, the lengths in 'valid' (ending
 * with 0) and every length from 'tail_from' on are well-formed messages in
 * their own right and must decode. */
static inline void
check_truncations_(decode_fn *decode, const char *hex, size_t tail_from,
                   const size_t *valid,
                   void (*set_length)(uint8_t *msg, size_t len))
{
    uint8_t full[HEXFIX_MAX];
    size_t len = unhex(hex, full, sizeof full), i;

    for (i = 0; i < len; i++) {
        uint8_t *m = copy_exact(full, i);
        const char *why = NULL;
        bool ok = i >= tail_from;
        const size_t *v;
        int error;

        for (v = valid; v && *v; v++) {
            ok |= *v == i;
        }

        assert_eproto(decode(m, i, &why), why);
        if (i >= 4) {
            set_length(m, i);
        }
        why = NULL;
        error = decode(m, i, &why);
        if (ok && error) {
            print_error("prefix of %zu bytes: %d (%s)\n", i, error, why);
        } else if (!ok && error != EPROTO) {
            print_error("prefix of %zu bytes accepted\n", i);
        }
        if (ok) {
            assert_int_equal(error, 0);
        } else {
            assert_eproto(error, why);
        }
        free(m);
    }
}

#endif /* PX_TEST_HEXFIX_H */
