/*
 * The cluster's side of NATS: one connection to a NATS cluster (libnats),
 * the JetStream key-value bucket that holds members and masters, and
 * core-NATS subjects for cluster-wide events.
 *
 * libnats runs threads of its own whatever one does (its timers, message
 * delivery, reconnection), and every JetStream key-value call blocks for a
 * round trip.  So none of it happens on the plugin's loop: a worker thread
 * connects, binds or creates the bucket and makes the writes one at a
 * time; a watcher thread follows the bucket; libnats's threads deliver
 * messages and connection news.  Everything they learn comes back to the
 * loop as struct cl_nats_event on a bounded queue, signalled on an eventfd
 * that the plugin watches.  The only calls the loop makes into libnats are
 * non-blocking publishes.
 */
#ifndef CL_NATS_H
#define CL_NATS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_state.h"

struct cl_nats;

struct cl_nats_config {
    const char *urls;     /* "nats://h:p,nats://h:p" */
    const char *bucket;   /* Key-value bucket name. */
    int replicas;         /* Of the bucket, when this creates it. */
    double timeout;       /* Seconds a write may take. */
    const char *name;     /* Connection name (seen by nats-server). */
    const char *subjects; /* Subscribe to these (wildcards allowed),
                           * or NULL. */
    size_t max_events;    /* Bound of the queue to the loop. */
    size_t max_writes;    /* Bound of the queue to the worker. */
};

enum cl_nats_event_type {
    CL_NATS_ENTRY = 1, /* A bucket entry: key, rev, data (NULL: deleted). */
    CL_NATS_SYNCED,    /* The watcher has given every initial value. */
    CL_NATS_WRITTEN,   /* A write's end: write_id, result, rev. */
    CL_NATS_UP,        /* Connected and the bucket bound. */
    CL_NATS_DOWN,      /* Disconnected (libnats reconnects by itself). */
    CL_NATS_MESSAGE,   /* A message on a subscribed subject: key is the
                        * subject, data the payload. */
    CL_NATS_NOTICE,    /* Something to log: data is the text. */
};

/* An event.  The receiver frees it with cl_nats_event_free. */
struct cl_nats_event {
    struct cl_nats_event *next;
    enum cl_nats_event_type type;
    char key[256];
    uint64_t rev;
    uint64_t write_id;
    int result; /* CL_WRITE_OK, CL_WRITE_CONFLICT or CL_WRITE_FAILED. */
    bool warn;  /* CL_NATS_NOTICE: a warning rather than information. */
    size_t len;
    uint8_t *data; /* 'len' bytes, '\0'-terminated, or NULL. */
};

/* Counters. */
struct cl_nats_counters {
    uint64_t events_dropped; /* Queue to the loop full. */
    uint64_t writes_dropped; /* Queue to the worker full. */
    uint64_t watch_restarts;
    uint64_t disconnects, reconnects;
    uint64_t published, publish_failures;
    uint64_t messages;
};

/* Starts the threads; the connection is made in the background (a NATS
 * cluster that is not up yet is waited for).  Strings in 'config' are
 * copied. */
int cl_nats_start(const struct cl_nats_config *config, struct cl_nats **out);
/* Stops the threads and closes the connection (and libnats).  Accepts
 * NULL. */
void cl_nats_stop(struct cl_nats *n);

/* The eventfd to watch for readability. */
int cl_nats_fd(const struct cl_nats *n);
/* The next event, or NULL; the caller owns it. */
struct cl_nats_event *cl_nats_next(struct cl_nats *n);
void cl_nats_event_free(struct cl_nats_event *e);
/* Waits up to 'timeout' seconds for an event to be queued. */
void cl_nats_wait(struct cl_nats *n, double timeout);

/* Queues a write for the worker.  Its end always comes back as a
 * CL_NATS_WRITTEN event, CL_WRITE_FAILED at once if the queue is full. */
void cl_nats_write(struct cl_nats *n, const struct cl_write *w);

/* Publishes on a core-NATS subject; ENOTCONN before the first connection,
 * EAGAIN if libnats refused (its buffer is full while reconnecting). */
int cl_nats_publish(struct cl_nats *n, const char *subject, const void *data,
                    size_t len);

void cl_nats_counters(struct cl_nats *n, struct cl_nats_counters *out);

#endif
