/*
 * What one generation of the logger leaves the next on a reload: the path
 * of the file it was writing and its line count, in a blob written field
 * by field with px_buf and read back with px_cursor (logger_handoff.c), so
 * that the blob's bytes depend on that file alone and never on the layout
 * of a struct.  Pure: no I/O and no host calls, so tests/unit/test_logger.c
 * feeds it every truncation and corruption.
 *
 * The file's descriptor goes beside the blob (handoff item "file"), not in
 * it.
 */
#ifndef LOGGER_HANDOFF_H
#define LOGGER_HANDOFF_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/buf.h"

/* Bytes of a log file's path, with its NUL. */
#define LOGGER_PATH_LEN 4096

struct logger_saved {
    char path[LOGGER_PATH_LEN]; /* Of the file target; "" for others. */
    uint64_t lines;             /* Lines written so far. */
};

#define LOGGER_HANDOFF_BLOB    "state"
#define LOGGER_HANDOFF_VERSION 2 /* 1 was a copy of a struct. */

/* Appends 's' to 'out'.  Returns px_buf_error(out), or EINVAL for a path
 * without its NUL. */
int logger_handoff_write(const struct logger_saved *s, struct px_buf *out);

/* Reads a blob written by logger_handoff_write into 's'.  EPROTO, with 's'
 * zeroed, for anything truncated, left over or inconsistent: a wrong magic
 * or version, a path too long for its field or with a NUL in it. */
int logger_handoff_read(const void *data, size_t len, struct logger_saved *s);

#endif /* LOGGER_HANDOFF_H */
