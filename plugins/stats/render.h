/*
 * The pure half of the stats plugin: a collection of stats.report payloads
 * copied out of their publishes, and the two renderers, Prometheus text
 * format 0.0.4 for /metrics (written straight into a px_buf, since it is
 * what a busy Prometheus scrapes ten times a second) and the JSON of
 * /stats.json (a jansson document, the JSON library plexusctl reads with,
 * dumped into a px_buf).  No SDK calls, so tests/unit/test_stats.c
 * exercises it without a host.
 *
 * Ownership: a collection owns copies of everything added to it (reports
 * are borrowed only for the duration of stats_collection_add).  The
 * renderers append to a buffer the caller owns.
 */
#ifndef STATS_RENDER_H
#define STATS_RENDER_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/buf.h"
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

/* One host.reload_done outcome.  The history is handed across a reload of
 * the stats plugin in stats_handoff.c's serialization, which names every
 * field: a field added here must be added there too. */
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
 * Returns 0 or out's error (ENOBUFS past its limit). */
int stats_render_prometheus(const struct stats_collection *c,
                            struct px_buf *out);

/* Renders the /stats.json document, one line of compact JSON and a
 * newline: 'c', 'collected_at' (seconds since the epoch) and 'n_reloads'
 * reload outcomes, oldest first.  Returns 0, out's error (ENOBUFS past its
 * limit), or ENOMEM when the document cannot be built. */
int stats_render_json(const struct stats_collection *c, double collected_at,
                      const struct stats_reload *reloads, size_t n_reloads,
                      struct px_buf *out);

/* Formats a sample value: integral values without fraction or exponent,
 * others in the shortest form that reads back exactly.  Non-finite values
 * are "NaN", "+Inf" and "-Inf" in Prometheus and null in JSON. */
void stats_format_number(double v, int json, char *buf, size_t size);

/* Returns nonzero if 's' is a valid name: [a-z_][a-z0-9_]*, at most
 * STATS_MAX_NAME bytes. */
int stats_name_valid(const char *s);

#endif /* STATS_RENDER_H */
