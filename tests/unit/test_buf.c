/*
 * Unit tests of the SDK's growable buffer and its cursor (libplexus.a:
 * plexus/buf.h): appends of bytes, big-endian integers, strings and text;
 * the limit, whose ENOBUFS is sticky and keeps what was appended before
 * it; pull, steal and clear; and a serialized record read back whole,
 * from every truncation of it (each prefix in an allocation of exactly
 * its size, so a read past the end is caught by ASan, not just by the
 * checks), with trailing bytes, and with the corrupt strings a cursor
 * must refuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plexus/buf.h"

static void
test_empty(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    size_t len = 99;

    (void)state;
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(px_buf_error(&b), 0);
    assert_string_equal(px_buf_cstr(&b), "");
    assert_null(px_buf_steal(&b, &len));
    assert_int_equal(len, 0);
    px_buf_pull(&b, 3);
    px_buf_clear(&b);
    assert_string_equal(px_buf_cstr(&b), "");
    /* Nothing at all is an append, even from NULL. */
    assert_int_equal(px_buf_put(&b, NULL, 0), 0);
    assert_int_equal(b.len, 0);
    assert_string_equal(px_buf_cstr(&b), "");
    px_buf_destroy(&b);
    px_buf_destroy(NULL);
}

static void
test_put(void **state)
{
    static const uint8_t want[] = {
        'a',  'b',  0x7f, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01,
        0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00,
        0x03, 'x',  'y',  'z',  0x00, 0x00, 0x00, 0x00,
    };
    struct px_buf b;

    (void)state;
    px_buf_init(&b, SIZE_MAX);
    assert_int_equal(px_buf_put(&b, "ab", 2), 0);
    assert_int_equal(px_buf_put_u8(&b, 0x7f), 0);
    assert_int_equal(px_buf_put_be16(&b, 0x1234), 0);
    assert_int_equal(px_buf_put_be32(&b, 0xdeadbeef), 0);
    assert_int_equal(px_buf_put_be64(&b, 0x0102030405060708ull), 0);
    assert_int_equal(px_buf_put_str(&b, "xyz"), 0);
    assert_int_equal(px_buf_put_str(&b, ""), 0);
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    /* Binary data is NUL-terminated too. */
    assert_int_equal(b.data[b.len], 0);
    px_buf_destroy(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

/* Many appends of every size grow the buffer past its first allocation;
 * what was appended is all there, in order. */
static void
test_growth(void **state)
{
    struct px_buf b;
    size_t i, off = 0;
    char piece[600];

    (void)state;
    px_buf_init(&b, SIZE_MAX);
    for (i = 0; i < 600; i++) {
        memset(piece, 'a' + (int)(i % 26), i);
        assert_int_equal(px_buf_put(&b, piece, i), 0);
    }
    assert_int_equal(b.len, 600 * 599 / 2);
    assert_true(b.cap > b.len);
    assert_int_equal(strlen(px_buf_cstr(&b)), b.len);
    for (i = 0; i < 600; i++) {
        size_t j;

        for (j = 0; j < i; j++) {
            if (b.data[off + j] != 'a' + (int)(i % 26)) {
                fail_msg("byte %zu of piece %zu is '%c'", j, i,
                         b.data[off + j]);
            }
        }
        off += i;
    }
    px_buf_destroy(&b);
}

static void
test_reserve_commit(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(16);
    char *p;

    (void)state;
    p = px_buf_reserve(&b, 10);
    assert_non_null(p);
    /* Reserved but not committed: not part of the contents. */
    assert_string_equal(px_buf_cstr(&b), "");
    memcpy(p, "hello", 5);
    px_buf_commit(&b, 5);
    assert_string_equal(px_buf_cstr(&b), "hello");
    assert_non_null(px_buf_reserve(&b, 11));
    assert_null(px_buf_reserve(&b, 12));
    assert_int_equal(px_buf_error(&b), ENOBUFS);
    px_buf_destroy(&b);

    /* Without a limit, a length the NUL would overflow is refused without
     * asking the allocator. */
    px_buf_init(&b, SIZE_MAX);
    assert_null(px_buf_reserve(&b, SIZE_MAX));
    assert_int_equal(px_buf_error(&b), ENOMEM);
    px_buf_clear(&b);
    assert_int_equal(px_buf_put(&b, "ab", 2), 0);
    assert_null(px_buf_reserve(&b, SIZE_MAX - 2));
    assert_int_equal(px_buf_error(&b), ENOMEM);
    assert_string_equal(px_buf_cstr(&b), "ab");
    px_buf_destroy(&b);
}

/* The limit: appends up to it succeed, the first one past it fails with
 * ENOBUFS, and every append after that fails too, whatever its size,
 * leaving what was appended before the failure. */
static void
test_limit(void **state)
{
    struct px_buf b;

    (void)state;
    px_buf_init(&b, 10);
    assert_int_equal(px_buf_put(&b, "12345678", 8), 0);
    assert_int_equal(px_buf_put(&b, "abc", 3), ENOBUFS);
    assert_int_equal(px_buf_error(&b), ENOBUFS);
    assert_int_equal(px_buf_put(&b, "a", 1), ENOBUFS);
    assert_int_equal(px_buf_put(&b, NULL, 0), ENOBUFS);
    assert_int_equal(px_buf_put_u8(&b, 1), ENOBUFS);
    assert_int_equal(px_buf_put_be16(&b, 1), ENOBUFS);
    assert_int_equal(px_buf_put_be32(&b, 1), ENOBUFS);
    assert_int_equal(px_buf_put_be64(&b, 1), ENOBUFS);
    assert_int_equal(px_buf_put_str(&b, ""), ENOBUFS);
    assert_int_equal(px_buf_printf(&b, "%s", ""), ENOBUFS);
    assert_null(px_buf_reserve(&b, 0));
    assert_int_equal(b.len, 8);
    assert_string_equal(px_buf_cstr(&b), "12345678");

    /* Clearing forgets the error and the contents; the limit stays. */
    px_buf_clear(&b);
    assert_int_equal(px_buf_error(&b), 0);
    assert_int_equal(px_buf_put(&b, "0123456789", 10), 0);
    assert_int_equal(px_buf_put(&b, NULL, 0), 0);
    assert_string_equal(px_buf_cstr(&b), "0123456789");
    assert_int_equal(px_buf_put_u8(&b, 'x'), ENOBUFS);
    assert_string_equal(px_buf_cstr(&b), "0123456789");
    px_buf_destroy(&b);

    /* A limit of 0 holds nothing. */
    px_buf_init(&b, 0);
    assert_int_equal(px_buf_put(&b, "", 0), 0);
    assert_int_equal(px_buf_put_u8(&b, 0), ENOBUFS);
    assert_int_equal(b.len, 0);
    px_buf_destroy(&b);
}

static void
test_printf(void **state)
{
    struct px_buf b;
    char *big;
    int i;

    (void)state;
    px_buf_init(&b, SIZE_MAX);
    assert_int_equal(px_buf_printf(&b, "%s=%d", "x", 42), 0);
    assert_int_equal(px_buf_printf(&b, "%s", ""), 0);
    assert_int_equal(px_buf_printf(&b, ",%05.1f", 2.25), 0);
    assert_string_equal(px_buf_cstr(&b), "x=42,002.2");
    assert_int_equal(b.len, strlen("x=42,002.2"));

    /* Longer than the room the buffer has: measured, grown, written. */
    big = malloc(5000);
    assert_non_null(big);
    memset(big, 'q', 4999);
    big[4999] = '\0';
    assert_int_equal(px_buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 10 + 5001);
    assert_int_equal(b.data[10], '[');
    assert_int_equal(b.data[5010], ']');
    assert_int_equal(b.data[5011], '\0');
    px_buf_clear(&b);

    /* Many short pieces, each appended where the last one ended. */
    for (i = 0; i < 1000; i++) {
        assert_int_equal(px_buf_printf(&b, "%d,", i % 10), 0);
    }
    assert_int_equal(b.len, 2000);
    assert_memory_equal(b.data + 1980, "0,1,2,3,4,5,6,7,8,9,", 20);
    px_buf_destroy(&b);

    /* Past the limit, when the text fits the allocation (formatted in
     * place, then refused) and when it does not: either way nothing of it
     * is kept and the contents stay a C string. */
    px_buf_init(&b, 10);
    assert_int_equal(px_buf_printf(&b, "%s", "12345678"), 0);
    assert_true(b.cap - b.len > 3);
    assert_int_equal(px_buf_printf(&b, "%d", 123), ENOBUFS);
    assert_string_equal(px_buf_cstr(&b), "12345678");
    assert_int_equal(b.len, 8);
    px_buf_clear(&b);
    assert_int_equal(px_buf_printf(&b, "%s", "1234567890"), 0);
    assert_int_equal(px_buf_printf(&b, "%s", ""), 0);
    assert_int_equal(px_buf_printf(&b, "%s", big), ENOBUFS);
    assert_string_equal(px_buf_cstr(&b), "1234567890");
    px_buf_destroy(&b);
    free(big);
}

static int __attribute__((format(printf, 2, 3)))
via_va_list(struct px_buf *b, const char *fmt, ...)
{
    va_list args;
    int error;

    va_start(args, fmt);
    error = px_buf_vprintf(b, fmt, args);
    va_end(args);
    return error;
}

static void
test_vprintf(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    char big[1000];

    (void)state;
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(via_va_list(&b, "%s-%u", "a", 7u), 0);
    /* The va_list is used twice when the text outgrows the room. */
    assert_int_equal(via_va_list(&b, "%s%s", big, "!"), 0);
    assert_int_equal(b.len, 3 + 999 + 1);
    assert_memory_equal(b.data, "a-7zz", 5);
    assert_string_equal(px_buf_cstr(&b) + b.len - 2, "z!");
    px_buf_destroy(&b);
}

static void
test_pull(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

    (void)state;
    assert_int_equal(px_buf_put(&b, "abcdef", 6), 0);
    px_buf_pull(&b, 2);
    assert_int_equal(b.len, 4);
    assert_string_equal(px_buf_cstr(&b), "cdef");
    px_buf_pull(&b, 0);
    assert_string_equal(px_buf_cstr(&b), "cdef");
    assert_int_equal(px_buf_put(&b, "gh", 2), 0);
    assert_string_equal(px_buf_cstr(&b), "cdefgh");
    px_buf_pull(&b, 6);
    assert_int_equal(b.len, 0);
    assert_string_equal(px_buf_cstr(&b), "");
    assert_int_equal(px_buf_put(&b, "xy", 2), 0);
    px_buf_pull(&b, 100);
    assert_int_equal(b.len, 0);
    assert_string_equal(px_buf_cstr(&b), "");
    px_buf_destroy(&b);
}

/* Pulling makes room again under the limit. */
static void
test_pull_limit(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(4);

    (void)state;
    assert_int_equal(px_buf_put(&b, "abcd", 4), 0);
    px_buf_pull(&b, 3);
    assert_int_equal(px_buf_put(&b, "efg", 3), 0);
    assert_string_equal(px_buf_cstr(&b), "defg");
    px_buf_destroy(&b);
}

static void
test_steal(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    uint8_t *data;
    size_t len;

    (void)state;
    assert_int_equal(px_buf_printf(&b, "hello %d", 7), 0);
    data = px_buf_steal(&b, &len);
    assert_non_null(data);
    assert_int_equal(len, 7);
    assert_string_equal((char *)data, "hello 7");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_string_equal(px_buf_cstr(&b), "");
    /* The buffer is usable again, with its limit. */
    assert_int_equal(b.limit, SIZE_MAX);
    assert_int_equal(px_buf_put(&b, "x", 1), 0);
    assert_string_equal(px_buf_cstr(&b), "x");
    assert_ptr_not_equal(b.data, data);
    free(data);
    px_buf_destroy(&b);

    /* Stealing forgets an error as well. */
    px_buf_init(&b, 2);
    assert_int_equal(px_buf_put(&b, "abc", 3), ENOBUFS);
    data = px_buf_steal(&b, &len);
    assert_int_equal(px_buf_error(&b), 0);
    free(data);
    px_buf_destroy(&b);
}

static void
test_clear(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    uint8_t *data;
    size_t cap;

    (void)state;
    assert_int_equal(px_buf_put(&b, "abc", 3), 0);
    data = b.data;
    cap = b.cap;
    px_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(px_buf_cstr(&b), "");
    /* The allocation is kept for the next use. */
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_int_equal(px_buf_put(&b, "de", 2), 0);
    assert_string_equal(px_buf_cstr(&b), "de");
    px_buf_destroy(&b);
    /* Destroyed, it can be used again. */
    assert_int_equal(px_buf_put(&b, "f", 1), 0);
    assert_string_equal(px_buf_cstr(&b), "f");
    px_buf_destroy(&b);
}

/* ------------------------------------------------------------------------
 * The cursor. */

/* The record every cursor test reads: one field of each kind. */
#define STR1 "switch-01"
#define STR2 ""
static const uint8_t raw3[3] = {0xaa, 0x00, 0xbb};

/* Offsets where each field ends, filled by write_record. */
enum { F_U8, F_BE16, F_BE32, F_BE64, F_STR1, F_BYTES, F_STR2, N_FIELDS };

static uint8_t *
write_record(size_t *len, size_t ends[N_FIELDS])
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

    px_buf_put_u8(&b, 0xfe);
    ends[F_U8] = b.len;
    px_buf_put_be16(&b, 0xbeef);
    ends[F_BE16] = b.len;
    px_buf_put_be32(&b, 0x89abcdef);
    ends[F_BE32] = b.len;
    px_buf_put_be64(&b, 0xfedcba9876543210ull);
    ends[F_BE64] = b.len;
    px_buf_put_str(&b, STR1);
    ends[F_STR1] = b.len;
    px_buf_put(&b, raw3, sizeof raw3);
    ends[F_BYTES] = b.len;
    px_buf_put_str(&b, STR2);
    ends[F_STR2] = b.len;
    assert_int_equal(px_buf_error(&b), 0);
    return px_buf_steal(&b, len);
}

/* Reads the record from 'data' and checks each field that 'len' bytes
 * hold whole: its value when it is there, a zero value for it and every
 * field after it once one is cut. */
static void
read_record(const uint8_t *data, size_t len, const size_t ends[N_FIELDS])
{
    struct px_cursor c;
    char s1[32], s2[32];
    const uint8_t *bytes;
    uint64_t v64;
    uint32_t v32;
    uint16_t v16;
    uint8_t v8;

    px_cursor_init(&c, data, len);
    v8 = px_cursor_u8(&c);
    v16 = px_cursor_be16(&c);
    v32 = px_cursor_be32(&c);
    v64 = px_cursor_be64(&c);
    px_cursor_str(&c, s1, sizeof s1);
    bytes = px_cursor_bytes(&c, sizeof raw3);
    px_cursor_str(&c, s2, sizeof s2);

    assert_int_equal(v8, len >= ends[F_U8] ? 0xfe : 0);
    assert_int_equal(v16, len >= ends[F_BE16] ? 0xbeef : 0);
    assert_int_equal(v32, len >= ends[F_BE32] ? 0x89abcdef : 0);
    assert_true(v64 == (len >= ends[F_BE64] ? 0xfedcba9876543210ull : 0));
    assert_string_equal(s1, len >= ends[F_STR1] ? STR1 : "");
    if (len >= ends[F_BYTES]) {
        assert_non_null(bytes);
        assert_memory_equal(bytes, raw3, sizeof raw3);
        assert_ptr_equal(bytes, data + ends[F_STR1]);
    } else {
        assert_null(bytes);
    }
    assert_string_equal(s2, STR2);
    if (len < ends[F_STR2]) {
        assert_int_equal(c.error, EPROTO);
        assert_int_equal(c.left, 0);
        assert_int_equal(px_cursor_finish(&c), EPROTO);
    } else {
        assert_int_equal(c.error, 0);
        assert_int_equal(c.left, len - ends[F_STR2]);
        assert_int_equal(px_cursor_finish(&c),
                         len == ends[F_STR2] ? 0 : EPROTO);
    }
}

static void
test_cursor_whole(void **state)
{
    size_t ends[N_FIELDS], len;
    uint8_t *data = write_record(&len, ends);

    (void)state;
    assert_int_equal(len, 1 + 2 + 4 + 8 + 4 + strlen(STR1) + 3 + 4);
    read_record(data, len, ends);
    free(data);
}

/* Every prefix of the record, each in an allocation of exactly its size:
 * the cursor fails with EPROTO and never reads past the end. */
static void
test_cursor_truncated(void **state)
{
    size_t ends[N_FIELDS], len, n;
    uint8_t *data = write_record(&len, ends);

    (void)state;
    for (n = 0; n < len; n++) {
        uint8_t *prefix = malloc(n ? n : 1);

        assert_non_null(prefix);
        memcpy(prefix, data, n);
        read_record(prefix, n, ends);
        free(prefix);
    }
    /* No bytes at all, and no buffer. */
    read_record(NULL, 0, ends);
    free(data);
}

/* Bytes left over after the last field: each read succeeds, but the
 * record as a whole is refused. */
static void
test_cursor_trailing(void **state)
{
    size_t ends[N_FIELDS], len;
    uint8_t *data = write_record(&len, ends);
    uint8_t *longer = malloc(len + 1);

    (void)state;
    assert_non_null(longer);
    memcpy(longer, data, len);
    longer[len] = 0;
    read_record(longer, len + 1, ends);
    free(longer);
    free(data);
}

/* Once a read failed, every read fails, even one the remaining bytes
 * would have satisfied. */
static void
test_cursor_sticky(void **state)
{
    static const uint8_t four[4] = {1, 2, 3, 4};
    struct px_cursor c;
    char s[8] = "junk";

    (void)state;
    px_cursor_init(&c, four, sizeof four);
    assert_int_equal(px_cursor_be16(&c), 0x0102);
    assert_true(px_cursor_be64(&c) == 0);
    assert_int_equal(c.error, EPROTO);
    assert_int_equal(px_cursor_u8(&c), 0);
    assert_int_equal(px_cursor_be16(&c), 0);
    assert_int_equal(px_cursor_be32(&c), 0);
    assert_null(px_cursor_bytes(&c, 1));
    assert_null(px_cursor_bytes(&c, 0));
    px_cursor_str(&c, s, sizeof s);
    assert_string_equal(s, "");
    assert_int_equal(px_cursor_finish(&c), EPROTO);

    /* Zero bytes are always there while nothing failed. */
    px_cursor_init(&c, four, sizeof four);
    assert_ptr_equal(px_cursor_bytes(&c, 0), four);
    assert_int_equal(px_cursor_be32(&c), 0x01020304);
    assert_non_null(px_cursor_bytes(&c, 0));
    assert_int_equal(px_cursor_finish(&c), 0);
}

/* Reads one string from 'len' bytes at 'data' (copied to an allocation of
 * exactly that size) into a 'size'-byte buffer; returns the cursor's
 * error and leaves the string in 'out'. */
static int
read_str(const void *data, size_t len, size_t size, char *out)
{
    uint8_t *copy = malloc(len ? len : 1);
    struct px_cursor c;
    char *dst = malloc(size ? size : 1);
    int error;

    assert_non_null(copy);
    assert_non_null(dst);
    memcpy(copy, data, len);
    memset(dst, 'J', size ? size : 1);
    px_cursor_init(&c, copy, len);
    px_cursor_str(&c, dst, size);
    error = px_cursor_finish(&c);
    if (size) {
        /* Whatever happened, 'dst' is a C string within 'size'. */
        assert_non_null(memchr(dst, '\0', size));
        strcpy(out, dst);
    } else {
        assert_int_equal(dst[0], 'J');
        out[0] = '\0';
    }
    free(dst);
    free(copy);
    return error;
}

static void
test_cursor_str(void **state)
{
    static const char huge[] = {'\xff', '\xff', '\xff', '\xff', 'a', 'b'};
    char out[64];

    (void)state;
    /* Well-formed, at the bound and one past it: longer than the
     * destination is corrupt, not cut short. */
    assert_int_equal(read_str("\0\0\0\3abc", 7, 4, out), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(read_str("\0\0\0\4abcd", 8, 4, out), EPROTO);
    assert_string_equal(out, "");
    assert_int_equal(read_str("\0\0\0\0", 4, 1, out), 0);
    assert_string_equal(out, "");
    assert_int_equal(read_str("\0\0\0\0", 4, 0, out), EPROTO);
    /* A NUL inside the string, first or last. */
    assert_int_equal(read_str("\0\0\0\3a\0c", 7, 8, out), EPROTO);
    assert_string_equal(out, "");
    assert_int_equal(read_str("\0\0\0\3\0bc", 7, 8, out), EPROTO);
    assert_int_equal(read_str("\0\0\0\3ab\0", 7, 8, out), EPROTO);
    /* A NUL in the part that is there, and the rest cut off. */
    assert_int_equal(read_str("\0\0\0\5a\0", 6, 8, out), EPROTO);
    /* A length past the data: small, and the largest there is. */
    assert_int_equal(read_str("\0\0\0\5abc", 7, 8, out), EPROTO);
    assert_string_equal(out, "");
    assert_int_equal(read_str(huge, sizeof huge, 8, out), EPROTO);
    /* The length itself cut short. */
    assert_int_equal(read_str("\0\0\0", 3, 8, out), EPROTO);
    assert_int_equal(read_str("", 0, 8, out), EPROTO);
    /* Followed by more: the string is read, the rest left over. */
    assert_int_equal(read_str("\0\0\0\1xy", 6, 8, out), EPROTO);
    assert_string_equal(out, "x");
}

/* A string written by px_buf_put_str reads back as it was, however long. */
static void
test_str_round_trip(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    char text[300], back[301];
    struct px_cursor c;
    size_t n;

    (void)state;
    for (n = 0; n < sizeof text; n++) {
        memset(text, 'a' + (int)(n % 26), n);
        text[n] = '\0';
        px_buf_clear(&b);
        assert_int_equal(px_buf_put_str(&b, text), 0);
        px_cursor_init(&c, b.data, b.len);
        px_cursor_str(&c, back, n + 1);
        assert_int_equal(px_cursor_finish(&c), 0);
        assert_string_equal(back, text);
    }
    px_buf_destroy(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_put),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_reserve_commit),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_vprintf),
        cmocka_unit_test(test_pull),
        cmocka_unit_test(test_pull_limit),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_cursor_whole),
        cmocka_unit_test(test_cursor_truncated),
        cmocka_unit_test(test_cursor_trailing),
        cmocka_unit_test(test_cursor_sticky),
        cmocka_unit_test(test_cursor_str),
        cmocka_unit_test(test_str_round_trip),
    };

    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
