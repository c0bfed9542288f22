/*
 * The growable buffer and its cursor (<plexus/buf.h>).
 */
#include "plexus/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/byteorder.h"

void
px_buf_init(struct px_buf *b, size_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit;
}

void
px_buf_destroy(struct px_buf *b)
{
    if (b) {
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
        b->error = 0;
    }
}

void *
px_buf_reserve(struct px_buf *b, size_t n)
{
    size_t need, cap;
    uint8_t *data;

    if (b->error) {
        return NULL;
    }
    if (n > b->limit || b->len > b->limit - n) {
        b->error = ENOBUFS;
        return NULL;
    }
    if (n >= SIZE_MAX - b->len) {
        /* No room for the NUL: without a limit, nothing stopped it. */
        b->error = ENOMEM;
        return NULL;
    }
    need = b->len + n + 1; /* Room for a NUL after the data. */
    if (need > b->cap) {
        cap = b->cap ? b->cap : 256;
        while (cap < need) {
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        }
        data = realloc(b->data, cap);
        if (!data) {
            b->error = ENOMEM;
            return NULL;
        }
        if (!b->data) {
            data[0] = '\0'; /* px_buf_cstr reads it before a commit. */
        }
        b->data = data;
        b->cap = cap;
    }
    return b->data + b->len;
}

void
px_buf_commit(struct px_buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

int
px_buf_put(struct px_buf *b, const void *data, size_t n)
{
    void *dst = px_buf_reserve(b, n);

    if (dst) {
        if (n) {
            memcpy(dst, data, n); /* 'data' may be NULL when 'n' is 0. */
        }
        px_buf_commit(b, n);
    }
    return b->error;
}

int
px_buf_put_u8(struct px_buf *b, uint8_t v)
{
    return px_buf_put(b, &v, 1);
}

int
px_buf_put_be16(struct px_buf *b, uint16_t v)
{
    uint8_t raw[2];

    px_put_be16(raw, v);
    return px_buf_put(b, raw, sizeof raw);
}

int
px_buf_put_be32(struct px_buf *b, uint32_t v)
{
    uint8_t raw[4];

    px_put_be32(raw, v);
    return px_buf_put(b, raw, sizeof raw);
}

int
px_buf_put_be64(struct px_buf *b, uint64_t v)
{
    uint8_t raw[8];

    px_put_be64(raw, v);
    return px_buf_put(b, raw, sizeof raw);
}

int
px_buf_put_double(struct px_buf *b, double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof u);
    return px_buf_put_be64(b, u);
}

int
px_buf_put_str(struct px_buf *b, const char *s)
{
    size_t n = strlen(s);

    if (n > UINT32_MAX) {
        b->error = b->error ? b->error : EOVERFLOW;
        return b->error;
    }
    px_buf_put_be32(b, (uint32_t)n);
    return px_buf_put(b, s, n);
}

int
px_buf_vprintf(struct px_buf *b, const char *fmt, va_list args)
{
    size_t room;
    va_list copy;
    char *dst;
    int n;

    if (b->error) {
        return b->error;
    }
    /* Most text fits in the room the buffer already has, so it is
     * formatted there at once; only text that does not is measured first
     * and formatted again once the room is made.  Renderers print many
     * short pieces, and formatting each twice would double their cost. */
    room = b->data ? b->cap - b->len : 0;
    va_copy(copy, args);
    n = vsnprintf(room ? (char *)b->data + b->len : NULL, room, fmt, copy);
    va_end(copy);
    if (n < 0) {
        if (room) {
            b->data[b->len] = '\0';
        }
        b->error = EINVAL;
        return b->error;
    }
    if ((size_t)n < room) {
        if ((size_t)n > b->limit - b->len) {
            b->data[b->len] = '\0'; /* What was written is not kept. */
            b->error = ENOBUFS;
        } else {
            b->len += (size_t)n;
        }
        return b->error;
    }
    if (room) {
        b->data[b->len] = '\0';
    }
    dst = px_buf_reserve(b, (size_t)n);
    if (dst) {
        vsnprintf(dst, (size_t)n + 1, fmt, args);
        px_buf_commit(b, (size_t)n);
    }
    return b->error;
}

int
px_buf_printf(struct px_buf *b, const char *fmt, ...)
{
    va_list args;
    int error;

    va_start(args, fmt);
    error = px_buf_vprintf(b, fmt, args);
    va_end(args);
    return error;
}

const char *
px_buf_cstr(const struct px_buf *b)
{
    return b->data ? (const char *)b->data : "";
}

void
px_buf_pull(struct px_buf *b, size_t n)
{
    if (!n) {
        return;
    }
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data) {
        b->data[b->len] = '\0';
    }
}

void
px_buf_clear(struct px_buf *b)
{
    b->len = 0;
    b->error = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

uint8_t *
px_buf_steal(struct px_buf *b, size_t *len)
{
    uint8_t *data = b->data;

    *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    b->error = 0;
    return data;
}

static const uint8_t *
cursor_take(struct px_cursor *c, size_t n)
{
    const uint8_t *p;

    if (c->error || n > c->left) {
        c->error = EPROTO;
        c->left = 0;
        return NULL;
    }
    p = c->p;
    c->p += n;
    c->left -= n;
    return p;
}

uint8_t
px_cursor_u8(struct px_cursor *c)
{
    const uint8_t *p = cursor_take(c, 1);

    return p ? p[0] : 0;
}

uint16_t
px_cursor_be16(struct px_cursor *c)
{
    const uint8_t *p = cursor_take(c, 2);

    return p ? px_get_be16(p) : 0;
}

uint32_t
px_cursor_be32(struct px_cursor *c)
{
    const uint8_t *p = cursor_take(c, 4);

    return p ? px_get_be32(p) : 0;
}

uint64_t
px_cursor_be64(struct px_cursor *c)
{
    const uint8_t *p = cursor_take(c, 8);

    return p ? px_get_be64(p) : 0;
}

double
px_cursor_double(struct px_cursor *c)
{
    uint64_t u = px_cursor_be64(c);
    double v;

    memcpy(&v, &u, sizeof v);
    return v;
}

const void *
px_cursor_bytes(struct px_cursor *c, size_t n)
{
    return cursor_take(c, n);
}

void
px_cursor_str(struct px_cursor *c, char *dst, size_t size)
{
    uint32_t n = px_cursor_be32(c);
    const uint8_t *p;

    if (size) {
        dst[0] = '\0';
    }
    if (c->error) {
        return;
    }
    if (n >= size ||
        (n && c->left && memchr(c->p, '\0', n < c->left ? n : c->left))) {
        c->error = EPROTO;
        c->left = 0;
        return;
    }
    p = cursor_take(c, n);
    if (p) {
        memcpy(dst, p, n);
        dst[n] = '\0';
    }
}

int
px_cursor_finish(const struct px_cursor *c)
{
    return c->error || c->left ? EPROTO : 0;
}
