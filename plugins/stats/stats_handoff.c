/*
 * The stats plugin's handoff blob (stats_handoff.h).
 *
 * The layout, all integers big-endian, strings as a u32 length and their
 * bytes (px_buf_put_str):
 *
 *   u32 magic "STAT", u32 version (STATS_HANDOFF_VERSION)
 *   u64 collections, u64 reports_dropped, u64 next_id
 *   u64 http connections, u64 http timeouts, u64 other codes
 *   u32 codes (at most STATS_HTTP_MAX_CODES), then each:
 *       u32 code (100-999, each once), u64 requests answered with it
 *   u32 reloads (at most STATS_MAX_RELOADS), oldest first, then each:
 *       u32 id, u32 outcome (enum px_reload_outcome),
 *       u64 time (the bits of a double), str added, str removed,
 *       str reloaded, str reconfigured, str refused, str error (each
 *       shorter than STATS_RELOAD_TEXT)
 *   u64 TLS connections accepted, u64 TLS handshake failures,
 *   u32 TLS close reasons (at most STATS_TLS_N_CLOSES: a blob of an older
 *       build may know fewer), then u64 closes for each, in the order of
 *       enum stats_tls_close
 *
 * Version 2 ended after the reloads; it is read, the TLS counters zero.
 * Version 1 was struct stats_blob copied as it was in memory, and is not
 * read.
 */
#include "stats_handoff.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "plexus/topics/host.h"

#define STATS_HANDOFF_MAGIC 0x53544154u /* "STAT" */

/* A double as the 64 bits that represent it, and back. */
static uint64_t
double_bits(double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof u);
    return u;
}

static double
bits_double(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof d);
    return d;
}

static void
put_reload(struct px_buf *b, const struct stats_reload *r)
{
    px_buf_put_be32(b, r->id);
    px_buf_put_be32(b, r->outcome);
    px_buf_put_be64(b, double_bits(r->time));
    px_buf_put_str(b, r->added);
    px_buf_put_str(b, r->removed);
    px_buf_put_str(b, r->reloaded);
    px_buf_put_str(b, r->reconfigured);
    px_buf_put_str(b, r->refused);
    px_buf_put_str(b, r->error);
}

int
stats_handoff_write(const struct stats_state *s, struct px_buf *b)
{
    const struct stats_http_counters *k = &s->http;
    uint32_t i;

    if (k->n_codes > STATS_HTTP_MAX_CODES ||
        s->n_reloads > STATS_MAX_RELOADS) {
        return EINVAL;
    }
    px_buf_put_be32(b, STATS_HANDOFF_MAGIC);
    px_buf_put_be32(b, STATS_HANDOFF_VERSION);
    px_buf_put_be64(b, s->collections);
    px_buf_put_be64(b, s->reports_dropped);
    px_buf_put_be64(b, s->next_id);
    px_buf_put_be64(b, k->connections);
    px_buf_put_be64(b, k->timeouts);
    px_buf_put_be64(b, k->other_codes);
    px_buf_put_be32(b, k->n_codes);
    for (i = 0; i < k->n_codes; i++) {
        px_buf_put_be32(b, k->requests[i].code);
        px_buf_put_be64(b, k->requests[i].count);
    }
    px_buf_put_be32(b, s->n_reloads);
    for (i = 0; i < s->n_reloads; i++) {
        put_reload(b, &s->reloads[i]);
    }
    px_buf_put_be64(b, s->tls.accepted);
    px_buf_put_be64(b, s->tls.handshake_failures);
    px_buf_put_be32(b, STATS_TLS_N_CLOSES);
    for (i = 0; i < STATS_TLS_N_CLOSES; i++) {
        px_buf_put_be64(b, s->tls.closes[i]);
    }
    return px_buf_error(b);
}

static int
get_reload(struct px_cursor *c, struct stats_reload *r)
{
    r->id = px_cursor_be32(c);
    r->outcome = px_cursor_be32(c);
    r->time = bits_double(px_cursor_be64(c));
    if (c->error || r->outcome > PX_RELOAD_REFUSED || !isfinite(r->time) ||
        r->time < 0) {
        return EPROTO;
    }
    px_cursor_str(c, r->added, sizeof r->added);
    px_cursor_str(c, r->removed, sizeof r->removed);
    px_cursor_str(c, r->reloaded, sizeof r->reloaded);
    px_cursor_str(c, r->reconfigured, sizeof r->reconfigured);
    px_cursor_str(c, r->refused, sizeof r->refused);
    px_cursor_str(c, r->error, sizeof r->error);
    return c->error;
}

static int
read_state(struct px_cursor *c, struct stats_state *s)
{
    struct stats_http_counters *k = &s->http;
    uint32_t version, n, i, j;

    if (px_cursor_be32(c) != STATS_HANDOFF_MAGIC) {
        return EPROTO;
    }
    version = px_cursor_be32(c);
    if (version < STATS_HANDOFF_MIN_VERSION ||
        version > STATS_HANDOFF_VERSION) {
        return EPROTO;
    }
    s->collections = px_cursor_be64(c);
    s->reports_dropped = px_cursor_be64(c);
    s->next_id = px_cursor_be64(c);
    k->connections = px_cursor_be64(c);
    k->timeouts = px_cursor_be64(c);
    k->other_codes = px_cursor_be64(c);
    n = px_cursor_be32(c);
    if (c->error || n > STATS_HTTP_MAX_CODES) {
        return EPROTO;
    }
    for (i = 0; i < n; i++) {
        uint32_t code = px_cursor_be32(c);

        /* Each code is one label value of one family: a second would
         * make the plugin's own report a duplicate, refused whole. */
        if (code < 100 || code > 999) {
            return EPROTO;
        }
        for (j = 0; j < i; j++) {
            if (k->requests[j].code == code) {
                return EPROTO;
            }
        }
        k->requests[i].code = code;
        k->requests[i].count = px_cursor_be64(c);
    }
    k->n_codes = n;
    n = px_cursor_be32(c);
    if (c->error || n > STATS_MAX_RELOADS) {
        return EPROTO;
    }
    for (i = 0; i < n; i++) {
        if (get_reload(c, &s->reloads[i])) {
            return EPROTO;
        }
    }
    s->n_reloads = n;
    if (version >= 3) {
        s->tls.accepted = px_cursor_be64(c);
        s->tls.handshake_failures = px_cursor_be64(c);
        n = px_cursor_be32(c);
        if (c->error || n > STATS_TLS_N_CLOSES) {
            return EPROTO;
        }
        for (i = 0; i < n; i++) {
            s->tls.closes[i] = px_cursor_be64(c);
        }
    }
    return px_cursor_finish(c);
}

int
stats_handoff_read(const void *data, size_t len, struct stats_state *s)
{
    struct px_cursor c;
    int error;

    memset(s, 0, sizeof *s);
    px_cursor_init(&c, data, len);
    error = data ? read_state(&c, s) : EPROTO;
    if (error) {
        memset(s, 0, sizeof *s);
        return EPROTO;
    }
    return 0;
}
