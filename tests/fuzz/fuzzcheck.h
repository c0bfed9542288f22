/*
 * The invariant checks every fuzz target uses.  A failed check aborts,
 * which libFuzzer reports as a crash with the input that caused it.
 */
#ifndef PX_FUZZCHECK_H
#define PX_FUZZCHECK_H 1

#include <errno.h>
#include <stdlib.h>

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

#endif /* PX_FUZZCHECK_H */
