/*
 * The checks every handoff serialization's unit tests make of a valid
 * blob: each truncation refused, each single byte flipped either refused
 * or read without harm, and targeted corruptions refused.  A test passes
 * its own reader, which reads a copy of exactly the length given (so that
 * ASan sees any read past the end) and asserts that a refused blob left
 * nothing behind; it returns 0 or EPROTO.
 *
 * Include after <cmocka.h>.
 */
#ifndef TESTS_UNIT_BLOBCHECK_H
#define TESTS_UNIT_BLOBCHECK_H 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int (*blob_reader)(const uint8_t *data, size_t len);

/* Every proper prefix of 'data' is refused; the whole is read. */
static inline void
blob_check_truncations(const uint8_t *data, size_t len, blob_reader read)
{
    size_t i;

    for (i = 0; i < len; i++) {
        assert_int_equal(read(data, i), EPROTO);
    }
    assert_int_equal(read(data, len), 0);
}

/* Every byte of 'data' flipped in turn: refused or read without harm, and
 * at least one refused (a reader that refuses nothing checks nothing). */
static inline void
blob_check_flips(const uint8_t *data, size_t len, blob_reader read)
{
    uint8_t *bad = malloc(len ? len : 1);
    size_t i, refused = 0;

    assert_non_null(bad);
    for (i = 0; i < len; i++) {
        int error;

        memcpy(bad, data, len);
        bad[i] ^= 0xff;
        error = read(bad, len);
        assert_true(error == 0 || error == EPROTO);
        refused += error != 0;
    }
    assert_true(refused > 0);
    free(bad);
}

/* 'data' with PUT(bad + OFF, VALUE) applied (PUT is px_put_be16/32/64 or
 * BLOB_PUT_U8) must be refused; 'bad' is a scratch buffer of 'len'
 * bytes. */
#define BLOB_EXPECT_REFUSED(READ, DATA, BAD, LEN, OFF, PUT, VALUE)            \
    do {                                                                      \
        memcpy((BAD), (DATA), (LEN));                                         \
        PUT((BAD) + (OFF), (VALUE));                                          \
        assert_int_equal(READ((BAD), (LEN)), EPROTO);                         \
    } while (0)
#define BLOB_PUT_U8(P, V) (*(P) = (uint8_t)(V))

#endif /* TESTS_UNIT_BLOBCHECK_H */
