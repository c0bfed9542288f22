/*
 * The SDK's growable byte buffer, and a cursor that reads one back.
 *
 * A struct px_buf is what every table dump, JSON document, log line and
 * handoff serialization is built in: bytes appended at the end, with a
 * limit beyond which it refuses to grow.  Errors are sticky, as in
 * Open vSwitch's ds and ofpbuf users: a sequence of appends needs one check
 * at the end (px_buf_error), and an append after a failure does nothing, so
 * a truncated result is never mistaken for a whole one.
 *
 * A struct px_cursor reads what a px_buf (or a peer) wrote: big-endian
 * integers and byte runs from the front, with a sticky EPROTO when the data
 * runs out, so a decoder checks once at the end whether the input was whole.
 *
 * Ownership: a buffer owns its data array, freed by px_buf_destroy (or
 * handed to the caller by px_buf_steal).  A cursor owns nothing; the bytes
 * it reads must outlive it.  The functions live in libplexus.a.
 */
#ifndef PLEXUS_BUF_H
#define PLEXUS_BUF_H 1

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct px_buf {
    uint8_t *data; /* NULL until the first append. */
    size_t len;    /* Bytes appended and not pulled. */
    size_t cap;    /* Bytes allocated. */
    size_t limit;  /* Most bytes the buffer may hold. */
    int error;     /* First failure (ENOBUFS past 'limit', ENOMEM), sticky. */
};

/* A buffer that holds at most 'limit' bytes; SIZE_MAX for no limit. */
#define PX_BUF_INITIALIZER(LIMIT)                                             \
    {                                                                         \
        NULL, 0, 0, (LIMIT), 0                                                \
    }

void px_buf_init(struct px_buf *b, size_t limit);
/* Frees the data; 'b' may be NULL.  The buffer may be initialized again. */
void px_buf_destroy(struct px_buf *b);

/* Makes room for 'n' more bytes (plus a NUL that text appends keep after
 * the data) and returns where they go, or NULL with b->error set.  The
 * caller writes at most 'n' bytes there, then calls px_buf_commit. */
void *px_buf_reserve(struct px_buf *b, size_t n);
void px_buf_commit(struct px_buf *b, size_t n);

/* Appends; each returns b->error (0 when the buffer is whole). */
int px_buf_put(struct px_buf *b, const void *data, size_t n);
int px_buf_put_u8(struct px_buf *b, uint8_t v);
int px_buf_put_be16(struct px_buf *b, uint16_t v);
int px_buf_put_be32(struct px_buf *b, uint32_t v);
int px_buf_put_be64(struct px_buf *b, uint64_t v);
/* A double as the 64 bits that represent it (IEEE 754, big-endian). */
int px_buf_put_double(struct px_buf *b, double v);
/* A string as a 32-bit length and its bytes (no NUL), for serializations. */
int px_buf_put_str(struct px_buf *b, const char *s);
/* Text; the data stays NUL-terminated after 'len' (px_buf_cstr). */
int px_buf_printf(struct px_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int px_buf_vprintf(struct px_buf *b, const char *fmt, va_list args)
    __attribute__((format(printf, 2, 0)));

/* The contents as a C string: "" when empty; valid until the next append. */
const char *px_buf_cstr(const struct px_buf *b);
/* Drops the first 'n' bytes (at most len) and moves the rest to the front. */
void px_buf_pull(struct px_buf *b, size_t n);
/* Empties the buffer and forgets its error; keeps the allocation. */
void px_buf_clear(struct px_buf *b);
/* Hands the data (the caller's, to free()) and its length to the caller and
 * leaves 'b' empty.  NULL when nothing was appended. */
uint8_t *px_buf_steal(struct px_buf *b, size_t *len);
static inline int
px_buf_error(const struct px_buf *b)
{
    return b->error;
}

struct px_cursor {
    const uint8_t *p;
    size_t left;
    int error; /* EPROTO once a read ran past the end, sticky. */
};

static inline void
px_cursor_init(struct px_cursor *c, const void *data, size_t len)
{
    c->p = (const uint8_t *)data;
    c->left = len;
    c->error = 0;
}

/* Each read returns 0 (and sets c->error) when the data runs out. */
uint8_t px_cursor_u8(struct px_cursor *c);
uint16_t px_cursor_be16(struct px_cursor *c);
uint32_t px_cursor_be32(struct px_cursor *c);
uint64_t px_cursor_be64(struct px_cursor *c);
/* A double written by px_buf_put_double. */
double px_cursor_double(struct px_cursor *c);
/* The next 'n' bytes in place, or NULL. */
const void *px_cursor_bytes(struct px_cursor *c, size_t n);
/* A string written by px_buf_put_str, copied NUL-terminated into 'dst'.
 * Longer than 'size' - 1 counts as corrupt (EPROTO), not truncated. */
void px_cursor_str(struct px_cursor *c, char *dst, size_t size);
/* 0 if every read was satisfied and nothing is left over, else EPROTO. */
int px_cursor_finish(const struct px_cursor *c);

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_BUF_H */
