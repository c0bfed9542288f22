/*
 * The logger's handoff blob (logger_handoff.h).
 *
 * The layout, integers big-endian, the string as a u32 length and its
 * bytes (px_buf_put_str):
 *
 *   u32 magic "LOGR", u32 version (LOGGER_HANDOFF_VERSION)
 *   str path (shorter than LOGGER_PATH_LEN; empty for stderr and syslog)
 *   u64 lines
 *
 * Version 1 was struct logger_handoff copied as it was in memory, and is
 * not read.
 */
#include "logger_handoff.h"

#include <errno.h>
#include <string.h>

#define LOGGER_HANDOFF_MAGIC 0x4c4f4752u /* "LOGR" */

int
logger_handoff_write(const struct logger_saved *s, struct px_buf *b)
{
    if (!memchr(s->path, '\0', sizeof s->path)) {
        return EINVAL;
    }
    px_buf_put_be32(b, LOGGER_HANDOFF_MAGIC);
    px_buf_put_be32(b, LOGGER_HANDOFF_VERSION);
    px_buf_put_str(b, s->path);
    px_buf_put_be64(b, s->lines);
    return px_buf_error(b);
}

int
logger_handoff_read(const void *data, size_t len, struct logger_saved *s)
{
    struct px_cursor c;

    memset(s, 0, sizeof *s);
    if (!data) {
        return EPROTO;
    }
    px_cursor_init(&c, data, len);
    if (px_cursor_be32(&c) != LOGGER_HANDOFF_MAGIC ||
        px_cursor_be32(&c) != LOGGER_HANDOFF_VERSION) {
        return EPROTO;
    }
    px_cursor_str(&c, s->path, sizeof s->path);
    s->lines = px_cursor_be64(&c);
    if (px_cursor_finish(&c)) {
        memset(s, 0, sizeof *s);
        return EPROTO;
    }
    return 0;
}
