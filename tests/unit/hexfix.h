/*
 * Byte-level fixtures for the codec and router unit tests: hex text to
 * bytes and back, exact-size heap copies (so ASan catches a read one byte
 * past a message), and an assertion that prints both sides in hex.  Shared
 * by test_ofp, test_vns and test_sr; include after <cmocka.h>.
 */
#ifndef PX_TEST_HEXFIX_H
#define PX_TEST_HEXFIX_H 1

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

#endif /* PX_TEST_HEXFIX_H */
