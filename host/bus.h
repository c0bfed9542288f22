/*
 * The event table: topics, subscriptions and synchronous dispatch.
 *
 * Topics are interned once and live as long as the bus, so a struct px_topic
 * pointer handed to a plugin never dangles.  Each topic caches the array of
 * subscriptions that match it, sorted by priority; subscribing or
 * unsubscribing only marks the caches stale, and the next publish on a topic
 * rebuilds its array.  That keeps a delivery down to one indirect call.
 *
 * The bus knows nothing of the event loop: the thread-safe queue calls a
 * wake function supplied by the host, and the host calls px_bus_drain_async
 * on the loop thread.
 */
#ifndef PX_BUS_H
#define PX_BUS_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/plugin.h"

struct px_bus;

struct px_bus_stats {
    uint64_t depth_drops;  /* Publishes refused for nesting too deep. */
    uint64_t async_queued; /* Events accepted by px_bus_publish_async. */
    uint64_t async_drops;  /* Events refused because the queue was full. */
    size_t async_depth;    /* Events waiting now. */
    size_t async_capacity; /* The bound. */
    size_t topics;
    size_t subscriptions;
};

struct px_bus_topic_stats {
    const char *name; /* Borrowed from the bus. */
    uint32_t version;
    uint64_t published;
    uint64_t delivered;
    uint64_t halted;
    int declared; /* Some owner declares it now. */
};

/* Creates a bus whose thread-safe queue holds 'async_capacity' events.
 * 'wake' is called (from any thread) when the queue goes from empty to
 * non-empty.  On success stores a bus the caller owns in '*out'. */
int px_bus_create(size_t async_capacity, void (*wake)(void *aux), void *aux,
                  struct px_bus **out);
/* Frees the bus, its topics and subscriptions.  Accepts NULL. */
void px_bus_destroy(struct px_bus *bus);

/* Returns nonzero if 'name' is a valid topic name (dotted lowercase words)
 * or, with 'pattern', also "*" or "prefix.*". */
int px_bus_name_valid(const char *name, int pattern);

/* Declares 'name' with payload 'version' on behalf of 'owner' (again:
 * changes the owner's version).  Several owners may declare a topic, with
 * the same version or not: payloads are append-only, so the topic's
 * version, what events carry and what subscriptions' min_version is
 * matched against, is the lowest declared, a promise that holds for every
 * publisher; it rises again when the owner of the lowest goes.  The topic
 * stays owned by the bus; '*out' is valid for the bus's life. */
int px_bus_declare(struct px_bus *bus, const void *owner, const char *name,
                   uint32_t version, struct px_topic **out);
/* Finds a topic by name, declared or not; NULL if never seen. */
struct px_topic *px_bus_find(struct px_bus *bus, const char *name);
/* Returns nonzero if some owner declares the topic 'name' now. */
int px_bus_declared(struct px_bus *bus, const char *name);

/* Subscribes 'fn' (called with 'p' and 'arg') to 'pattern'.  '*out' (may be
 * NULL) is owned by the bus and stays valid until unsubscribed or released
 * with its owner. */
int px_bus_subscribe(struct px_bus *bus, const void *owner,
                     struct px_plugin *p, const char *pattern,
                     uint32_t min_version, int priority, px_event_fn fn,
                     void *arg, struct px_sub **out);
/* Safe inside a callback, including for the subscription being called. */
void px_bus_unsubscribe(struct px_bus *bus, struct px_sub *sub);
/* Drops every subscription and declaration of 'owner'; returns how many
 * subscriptions were still live. */
size_t px_bus_release_owner(struct px_bus *bus, const void *owner);

/* Delivers an event synchronously, highest priority first.  'publisher' is
 * borrowed for the call.  Stores in '*halted' (may be NULL) whether a
 * subscriber halted it.  Returns ELOOP past PX_PUBLISH_MAX_DEPTH. */
int px_bus_publish(struct px_bus *bus, struct px_topic *topic,
                   const char *publisher, const void *payload, size_t len,
                   int *halted);
/* Thread-safe: copies the event into the bounded queue.  ENOBUFS when full
 * (counted), EMSGSIZE for a payload over 64 KiB. */
int px_bus_publish_async(struct px_bus *bus, struct px_topic *topic,
                         const char *publisher, const void *payload,
                         size_t len);
/* On the loop thread: delivers up to 'max' queued events; returns how many
 * are still queued. */
size_t px_bus_drain_async(struct px_bus *bus, size_t max);

void px_bus_get_stats(struct px_bus *bus, struct px_bus_stats *stats);
/* Calls 'fn' for every topic name that live exact subscriptions name but
 * that no owner declares (a misspelt topic, or the topic of a plugin that
 * is not loaded), in name order, with how many subscriptions name it.  The
 * name is borrowed for the call; 'fn' must not subscribe or unsubscribe.
 * Returns 0, or ENOMEM (and calls nothing). */
int px_bus_foreach_unpublished(struct px_bus *bus,
                               void (*fn)(const char *name, size_t n_subs,
                                          void *aux),
                               void *aux);
/* Calls 'fn' for every topic, in no particular order. */
void px_bus_foreach_topic(struct px_bus *bus,
                          void (*fn)(const struct px_bus_topic_stats *,
                                     void *aux),
                          void *aux);

#endif /* PX_BUS_H */
