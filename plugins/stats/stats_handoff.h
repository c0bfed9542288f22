/*
 * The stats plugin's state, and the blob in which one generation hands it
 * to the next on a reload: written field by field with px_buf and read
 * back with px_cursor (stats_handoff.c), so that the blob's bytes depend
 * on that file alone and never on the layout of the structs below or of
 * the ones they embed from http.h and render.h.  Pure: no I/O and no host
 * calls, so tests/unit/test_stats.c feeds it every truncation and
 * corruption.
 *
 * The listening socket goes beside the blob as a descriptor (its own
 * handoff item), not in it.
 */
#ifndef STATS_HANDOFF_H
#define STATS_HANDOFF_H 1

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "plexus/buf.h"
#include "render.h"
#include "tls_relay.h"

/* Everything a generation hands the next. */
struct stats_state {
    struct stats_http_counters http;
    struct stats_tls_counters tls;
    uint64_t collections;
    uint64_t reports_dropped;
    uint64_t next_id;
    uint32_t n_reloads;
    struct stats_reload reloads[STATS_MAX_RELOADS]; /* Oldest first. */
};

#define STATS_HANDOFF_BLOB "state"

/* The blob's versions: 1 was a copy of structs; 2 had no TLS counters,
 * and is still read (as zeros). */
#define STATS_HANDOFF_VERSION     3
#define STATS_HANDOFF_MIN_VERSION 2

/* Appends 's' to 'out'.  Returns px_buf_error(out), or EINVAL for a state
 * with more codes or reloads than it has room for. */
int stats_handoff_write(const struct stats_state *s, struct px_buf *out);

/* Reads a blob written by stats_handoff_write into 's'.  EPROTO, with 's'
 * zeroed, for anything truncated, left over or inconsistent: a wrong
 * magic or version, a count beyond its bound, a status code that is not
 * three digits or appears twice, a reload outcome or time that cannot be,
 * a string too long for its field or with a NUL in it, more TLS close
 * reasons than this build knows. */
int stats_handoff_read(const void *data, size_t len, struct stats_state *s);

#endif /* STATS_HANDOFF_H */
