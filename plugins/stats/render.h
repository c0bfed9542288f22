/*
 * The pure half of the stats plugin: a collection of stats.report payloads
 * copied out of their publishes, and the two renderers, Prometheus text
 * format 0.0.4 for /metrics and the JSON of /stats.json.  No SDK calls, so
 * tests/unit/test_stats.c exercises it without a host.
 *
 * Ownership: a collection owns copies of everything added to it (reports
 * are borrowed only for the duration of stats_collection_add).  A
 * struct stats_buf owns its 'data' until stats_buf_steal hands it to the
 * caller, who then frees it with free().
 */
#ifndef STATS_RENDER_H
#define STATS_RENDER_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/topics/stats.h"

/* Bound on one rendered document: a runaway reporter gets an error page,
 * not a process that grows without limit. */
#define STATS_RENDER_LIMIT (64u << 20)

/* Bound on the bytes one collection copies (strings, fields, indexes). */
#define STATS_COLLECTION_LIMIT (64u << 20)

/* Bounds on one report.  Longer names or more keys or fields than this
 * make the report invalid (dropped and counted by the caller). */
#define STATS_MAX_NAME   128
#define STATS_MAX_KEYS   16
#define STATS_MAX_FIELDS 4096

/* The reload history kept for /stats.json. */
#define STATS_MAX_RELOADS 16
#define STATS_RELOAD_TEXT 1024 /* Bytes kept of each list or message. */

/* One host.reload_done outcome.  Plain data, so the history can be handed
 * across a reload of the stats plugin as it is. */
struct stats_reload {
    uint32_t id;
    uint32_t outcome; /* enum px_reload_outcome */
    double time;      /* Seconds since the epoch. */
    char added[STATS_RELOAD_TEXT];
    char removed[STATS_RELOAD_TEXT];
    char reloaded[STATS_RELOAD_TEXT];
    char reconfigured[STATS_RELOAD_TEXT];
    char refused[STATS_RELOAD_TEXT];
    char error[STATS_RELOAD_TEXT];
};

/* A growing output buffer with a bound.  Once an append would pass 'limit'
 * (or memory runs out) 'error' is set to EFBIG (or ENOMEM) and further
 * appends do nothing. */
struct stats_buf {
    char *data; /* NUL-terminated while 'error' is 0. */
    size_t len;
    size_t cap;
    size_t limit;
    int error;
};

void stats_buf_init(struct stats_buf *, size_t limit);
void stats_buf_free(struct stats_buf *);
void stats_buf_append(struct stats_buf *, const char *s, size_t n);
void stats_buf_puts(struct stats_buf *, const char *s);
void stats_buf_printf(struct stats_buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns the data (the caller's, to free()) and its length, and leaves
 * 'b' empty. */
char *stats_buf_steal(struct stats_buf *b, size_t *len);

struct stats_collection;

/* Creates an empty collection that keeps at most 'max_entities' reports
 * and copies at most 'max_bytes'.  NULL if out of memory. */
struct stats_collection *stats_collection_create(size_t max_entities,
                                                 size_t max_bytes);
void stats_collection_destroy(struct stats_collection *);

/* Copies 'r' into 'c'.  Returns 0, or without keeping anything:
 *   EINVAL  an invalid name, type or shape ('*why' says which),
 *   EEXIST  a second report for the same entity (same kind and keys),
 *   ENOSPC  the collection is full (entities or bytes),
 *   ENOMEM.
 * A report is also refused when one of its metric names is already used
 * by another entity kind or with another type, so that what renders is
 * always one consistent family per name. */
int stats_collection_add(struct stats_collection *c,
                         const struct px_stats_report *r, const char **why);

size_t stats_collection_count(const struct stats_collection *);

/* Renders 'c' in Prometheus text format 0.0.4 into 'out' (appending).
 * Returns 0 or out->error. */
int stats_render_prometheus(const struct stats_collection *c,
                            struct stats_buf *out);

/* Renders the /stats.json document: 'c', 'collected_at' (seconds since
 * the epoch) and 'n_reloads' reload outcomes, oldest first.  Returns 0 or
 * out->error. */
int stats_render_json(const struct stats_collection *c, double collected_at,
                      const struct stats_reload *reloads, size_t n_reloads,
                      struct stats_buf *out);

/* Formats a sample value: integral values without fraction or exponent,
 * others in the shortest form that reads back exactly.  Non-finite values
 * are "NaN", "+Inf" and "-Inf" in Prometheus and null in JSON. */
void stats_format_number(double v, int json, char *buf, size_t size);

/* Returns nonzero if 's' is a valid name: [a-z_][a-z0-9_]*, at most
 * STATS_MAX_NAME bytes. */
int stats_name_valid(const char *s);

#endif /* STATS_RENDER_H */
