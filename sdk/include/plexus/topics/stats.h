/*
 * Payloads of the stats.* topics: how counters that a plugin (or the host)
 * owns reach the stats plugin without anybody calling into anybody.
 *
 * The stats plugin publishes stats.collect when it needs fresh figures (on
 * every HTTP request).  Whoever keeps counters subscribes to stats.collect
 * and, inside its callback, publishes one stats.report per entity it knows:
 * one per switch, one per port, one per router connection, one for itself.
 * Both publishes are synchronous, so the pointers in a report only need to
 * live until px_publish returns, and a collection is complete when the
 * stats.collect publish returns.  A plugin that is not loaded simply does
 * not answer.
 *
 * A report is generic (an entity kind, the labels that identify it, and
 * named fields), so the stats plugin knows nothing about OpenFlow or VNS and
 * a new plugin exposes counters without changing stats.  The stats plugin
 * renders a field as:
 *   counter  plexus_<entity>_<name>_total{keys...[,label="value"]} value
 *   gauge    plexus_<entity>_<name>{keys...[,label="value"]} value
 *   text     a label of plexus_<entity>_info{keys...,<name>="text"} 1
 * and in /stats.json as a member of the entity's object ("<name>": value,
 * or for a field with a label "<name>": {"<label value>": value, ...}).
 *
 * Append-only, like every topic header.  Every pointer is borrowed for the
 * duration of the publish.
 */
#ifndef PLEXUS_TOPICS_STATS_H
#define PLEXUS_TOPICS_STATS_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/plugin.h"

#define PX_TOPIC_STATS_COLLECT "stats.collect"
#define PX_TOPIC_STATS_REPORT  "stats.report"
#define PX_TOPIC_STATS_VERSION 1

/* Where the stats plugin listens unless configured otherwise; plexusctl
 * uses the same defaults. */
#define PX_STATS_DEFAULT_ADDRESS "127.0.0.1"
#define PX_STATS_DEFAULT_PORT    9330

/* stats.collect. */
struct px_stats_collect {
    uint64_t id; /* Copy it into every report of this collection. */
    double now;  /* px_now() of the collector. */
};

enum px_stats_type {
    PX_STATS_COUNTER = 1, /* Only grows while its entity exists. */
    PX_STATS_GAUGE,       /* Goes up and down. */
    PX_STATS_TEXT,        /* An attribute: version, peer address... */
};

/* A name and value; names are [a-z_][a-z0-9_]*. */
struct px_stats_label {
    const char *name;
    const char *value;
};

struct px_stats_field {
    const char *name; /* [a-z_][a-z0-9_]*, without "_total". */
    uint32_t type;    /* enum px_stats_type */
    uint32_t reserved;
    const char *help; /* One line for "# HELP"; the first report wins. */
    double value;     /* PX_STATS_COUNTER and PX_STATS_GAUGE. */
    const char *text; /* PX_STATS_TEXT. */
    /* A counter or gauge broken down by one more label (disconnects by
     * reason): several fields with the same name and different
     * 'label_value's.  Both NULL for a plain field. */
    const char *label;
    const char *label_value;
};

/* stats.report. */
struct px_stats_report {
    uint64_t collect_id;
    const char *entity; /* [a-z_][a-z0-9_]*: "switch", "port", "router"... */
    size_t n_keys;      /* Labels that identify the entity; may be 0. */
    const struct px_stats_label *keys;
    size_t n_fields;
    const struct px_stats_field *fields;
};

/* Publishes one report on 'topic' (the plugin's declaration of
 * stats.report), in answer to the collection 'collect_id'. */
static inline int
px_stats_publish(struct px_plugin *p, struct px_topic *topic,
                 uint64_t collect_id, const char *entity,
                 const struct px_stats_label *keys, size_t n_keys,
                 const struct px_stats_field *fields, size_t n_fields)
{
    /* In order rather than designated: this header compiles as C++ before
     * C++20 too. */
    const struct px_stats_report r = {collect_id, entity,   n_keys,
                                      keys,       n_fields, fields};

    return px_publish(p, topic, &r, sizeof r);
}

/* Helpers for building a field list.  Every member is given, in order,
 * so that they serve C and C++ of any version alike. */
#define PX_STATS_FIELD_(NAME, TYPE, HELP, VALUE, TEXT, LABEL, LVALUE)         \
    {                                                                         \
        (NAME), (TYPE), 0, (HELP), (VALUE), (TEXT), (LABEL), (LVALUE)         \
    }
#define PX_STATS_COUNTER_FIELD(NAME, HELP, VALUE)                             \
    PX_STATS_FIELD_(NAME, PX_STATS_COUNTER, HELP, (double)(VALUE), NULL,      \
                    NULL, NULL)
#define PX_STATS_GAUGE_FIELD(NAME, HELP, VALUE)                               \
    PX_STATS_FIELD_(NAME, PX_STATS_GAUGE, HELP, (double)(VALUE), NULL, NULL,  \
                    NULL)
#define PX_STATS_TEXT_FIELD(NAME, HELP, TEXT)                                 \
    PX_STATS_FIELD_(NAME, PX_STATS_TEXT, HELP, 0.0, TEXT, NULL, NULL)
#define PX_STATS_LABELLED_COUNTER(NAME, HELP, LABEL, LVALUE, VALUE)           \
    PX_STATS_FIELD_(NAME, PX_STATS_COUNTER, HELP, (double)(VALUE), NULL,      \
                    LABEL, LVALUE)

#endif /* PLEXUS_TOPICS_STATS_H */
