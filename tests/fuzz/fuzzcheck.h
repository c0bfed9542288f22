/*
 * The invariant checks every fuzz target uses.  A failed check aborts,
 * which libFuzzer reports as a crash with the input that caused it.
 */
#ifndef PX_FUZZCHECK_H
#define PX_FUZZCHECK_H 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void
check(int ok)
{
    if (!ok) {
        abort();
    }
}

/* A decoder's result: 0, or EPROTO with a reason. */
static inline void
check_result(int error, const char *why)
{
    check(error == 0 || (error == EPROTO && why && why[0]));
}

/* The input in an allocation of exactly its size, with no NUL after it,
 * for parsers that write into their buffer: ASan then catches a read past
 * the end as it would in libFuzzer's own buffer.  The caller frees it. */
static inline char *
copy_input(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);

    check(copy != NULL);
    if (size) {
        memcpy(copy, data, size);
    }
    return copy;
}

#endif /* PX_FUZZCHECK_H */
