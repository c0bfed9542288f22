/*
 * The event table.  See bus.h for the model; this file keeps three things
 * straight:
 *  - a subscription removed during dispatch is only marked dead, and freed
 *    when the outermost publish returns, so the array being iterated never
 *    points at freed memory;
 *  - a topic's cached array rebuilt during dispatch is retired, not freed,
 *    for the same reason;
 *  - the async queue is the only state touched by other threads, and only
 *    under its mutex.
 */
#include "bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "plexus/hash.h"
#include "plexus/hmap.h"

#define PX_BUS_ASYNC_MAX_PAYLOAD (64 * 1024)

enum px_sub_kind {
    PX_SUB_EXACT,
    PX_SUB_PREFIX, /* "a.b.*": matches "a.b.c" and deeper. */
    PX_SUB_ALL,    /* "*" */
};

struct px_sub {
    struct px_list node;      /* In bus->subs. */
    struct px_list dead_node; /* In bus->dead_subs once dead. */
    const void *owner;
    struct px_plugin *p;
    px_event_fn fn;
    void *arg;
    char *pattern; /* For PREFIX, without the trailing '*'. */
    size_t prefix_len;
    enum px_sub_kind kind;
    uint32_t min_version;
    int priority;
    uint64_t seq; /* Subscription order, for stable priority ties. */
    int dead;
};

struct px_topic_decl {
    const void *owner;
    struct px_topic_decl *next;
    uint32_t version; /* The payload version this owner publishes. */
};

struct px_topic {
    struct px_hmap_node node; /* In bus->topics, by topic_hash(name). */
    char *name;
    uint32_t version;            /* The lowest of the declarations'. */
    struct px_topic_decl *decls; /* Owners that declared the topic. */
    struct px_sub **subs;        /* Matching live subs, by priority. */
    size_t n_subs;
    uint64_t cache_gen; /* bus->sub_gen the array was built for. */
    uint64_t published;
    uint64_t delivered;
    uint64_t halted;
};

struct px_async_event {
    struct px_topic *topic;
    char *publisher;
    size_t len;
    unsigned char payload[];
};

struct px_bus {
    /* Every topic ever declared, by name; topics are never removed, and
     * the bus owns them.  Only declaring and looking a topic up by name
     * use the map: delivery goes through the topic's cached array. */
    struct px_hmap topics;

    struct px_list subs;
    struct px_list dead_subs;
    size_t n_subs;
    uint64_t next_seq;
    uint64_t sub_gen;

    unsigned int depth;
    /* Something is in dead_subs or retired, for the outermost publish to
     * free: one flag for the publish path to test, not two. */
    int garbage;
    uint64_t depth_drops;
    struct px_sub ***retired; /* Arrays replaced during dispatch. */
    size_t n_retired;
    size_t retired_cap;

    /* The thread-safe queue: a ring of event pointers. */
    pthread_mutex_t mutex;
    struct px_async_event **ring;
    size_t ring_cap;
    size_t ring_head;
    size_t ring_len;
    uint64_t async_queued;
    uint64_t async_drops;
    void (*wake)(void *aux);
    void *wake_aux;
};

static uint64_t
topic_hash(const char *name)
{
    return px_hash_bytes(name, strlen(name), 0);
}

int
px_bus_create(size_t async_capacity, void (*wake)(void *aux), void *aux,
              struct px_bus **out)
{
    struct px_bus *bus;

    if (!async_capacity) {
        return EINVAL;
    }
    bus = calloc(1, sizeof *bus);
    if (!bus) {
        return ENOMEM;
    }
    px_hmap_init(&bus->topics);
    bus->ring = calloc(async_capacity, sizeof *bus->ring);
    if (!bus->ring) {
        free(bus);
        return ENOMEM;
    }
    bus->ring_cap = async_capacity;
    px_list_init(&bus->subs);
    px_list_init(&bus->dead_subs);
    pthread_mutex_init(&bus->mutex, NULL);
    bus->wake = wake;
    bus->wake_aux = aux;
    *out = bus;
    return 0;
}

static void
sub_free(struct px_sub *sub)
{
    free(sub->pattern);
    free(sub);
}

static __attribute__((noinline)) void
collect_garbage(struct px_bus *bus)
{
    struct px_sub *sub, *next;
    size_t i;

    PX_LIST_FOR_EACH_SAFE (sub, next, dead_node, &bus->dead_subs) {
        px_list_remove(&sub->dead_node);
        sub_free(sub);
    }
    for (i = 0; i < bus->n_retired; i++) {
        free(bus->retired[i]);
    }
    bus->n_retired = 0;
    bus->garbage = 0;
}

void
px_bus_destroy(struct px_bus *bus)
{
    struct px_sub *sub, *next;
    struct px_topic *t;
    size_t i;

    if (!bus) {
        return;
    }
    collect_garbage(bus);
    PX_LIST_FOR_EACH_SAFE (sub, next, node, &bus->subs) {
        px_list_remove(&sub->node);
        sub_free(sub);
    }
    PX_HMAP_FOR_EACH_SAFE (t, node, &bus->topics) {
        while (t->decls) {
            struct px_topic_decl *d = t->decls;

            t->decls = d->next;
            free(d);
        }
        free(t->subs);
        free(t->name);
        free(t);
    }
    px_hmap_destroy(&bus->topics);
    for (i = 0; i < bus->ring_len; i++) {
        struct px_async_event *e =
            bus->ring[(bus->ring_head + i) % bus->ring_cap];

        free(e->publisher);
        free(e);
    }
    free(bus->retired);
    free(bus->ring);
    pthread_mutex_destroy(&bus->mutex);
    free(bus);
}

int
px_bus_name_valid(const char *name, int pattern)
{
    size_t len = strlen(name);
    size_t i;
    int seg_len = 0;

    if (pattern) {
        if (!strcmp(name, "*")) {
            return 1;
        }
        if (len > 2 && !strcmp(name + len - 2, ".*")) {
            len -= 2;
        }
    }
    if (!len || len > 127) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = name[i];

        if (c == '.') {
            if (!seg_len) {
                return 0;
            }
            seg_len = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-') {
            seg_len++;
        } else {
            return 0;
        }
    }
    return seg_len > 0;
}

struct px_topic *
px_bus_find(struct px_bus *bus, const char *name)
{
    struct px_topic *t;

    PX_HMAP_FOR_EACH_WITH_HASH (t, node, topic_hash(name), &bus->topics) {
        if (!strcmp(t->name, name)) {
            break;
        }
    }
    return t;
}

/* Sets the topic's version to the lowest its declarations publish, so a
 * subscriber's min_version is a promise about every payload on the topic.
 * A topic nobody declares keeps the version it had. */
static void
settle_version(struct px_bus *bus, struct px_topic *t)
{
    const struct px_topic_decl *d;
    uint32_t version;

    if (!t->decls) {
        return;
    }
    version = t->decls->version;
    for (d = t->decls->next; d; d = d->next) {
        if (d->version < version) {
            version = d->version;
        }
    }
    if (version != t->version) {
        t->version = version;
        bus->sub_gen++; /* Who matches by min_version changes. */
    }
}

int
px_bus_declared(struct px_bus *bus, const char *name)
{
    struct px_topic *t = px_bus_find(bus, name);

    return t && t->decls;
}

int
px_bus_declare(struct px_bus *bus, const void *owner, const char *name,
               uint32_t version, struct px_topic **out)
{
    struct px_topic *t;
    struct px_topic_decl *d;

    if (!px_bus_name_valid(name, 0)) {
        return EINVAL;
    }
    t = px_bus_find(bus, name);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t || !(t->name = strdup(name))) {
            free(t);
            return ENOMEM;
        }
        t->version = version;
        t->cache_gen = UINT64_MAX; /* Never equal to sub_gen at first. */
        px_hmap_insert(&bus->topics, &t->node, topic_hash(name));
    }
    for (d = t->decls; d; d = d->next) {
        if (d->owner == owner) {
            break;
        }
    }
    if (!d) {
        d = calloc(1, sizeof *d);
        if (!d) {
            return ENOMEM;
        }
        d->owner = owner;
        d->next = t->decls;
        t->decls = d;
    }
    d->version = version;
    settle_version(bus, t);
    if (out) {
        *out = t;
    }
    return 0;
}

int
px_bus_subscribe(struct px_bus *bus, const void *owner, struct px_plugin *p,
                 const char *pattern, uint32_t min_version, int priority,
                 px_event_fn fn, void *arg, struct px_sub **out)
{
    struct px_sub *sub;
    size_t len;

    if (!fn || !px_bus_name_valid(pattern, 1)) {
        return EINVAL;
    }
    sub = calloc(1, sizeof *sub);
    if (!sub || !(sub->pattern = strdup(pattern))) {
        free(sub);
        return ENOMEM;
    }
    len = strlen(pattern);
    if (!strcmp(pattern, "*")) {
        sub->kind = PX_SUB_ALL;
    } else if (len > 2 && !strcmp(pattern + len - 2, ".*")) {
        sub->kind = PX_SUB_PREFIX;
        sub->pattern[len - 1] = '\0'; /* Keep the dot: "a.b." */
        sub->prefix_len = len - 1;
    } else {
        sub->kind = PX_SUB_EXACT;
    }
    sub->owner = owner;
    sub->p = p;
    sub->fn = fn;
    sub->arg = arg;
    sub->min_version = min_version;
    sub->priority = priority;
    sub->seq = bus->next_seq++;
    px_list_init(&sub->dead_node);
    px_list_push_back(&bus->subs, &sub->node);
    bus->n_subs++;
    bus->sub_gen++;
    if (out) {
        *out = sub;
    }
    return 0;
}

void
px_bus_unsubscribe(struct px_bus *bus, struct px_sub *sub)
{
    if (!sub || sub->dead) {
        return;
    }
    sub->dead = 1;
    px_list_remove(&sub->node);
    bus->n_subs--;
    bus->sub_gen++;
    if (bus->depth) {
        px_list_push_back(&bus->dead_subs, &sub->dead_node);
        bus->garbage = 1;
    } else {
        sub_free(sub);
    }
}

size_t
px_bus_release_owner(struct px_bus *bus, const void *owner)
{
    struct px_sub *sub, *next;
    struct px_topic *t;
    size_t n = 0;

    PX_LIST_FOR_EACH_SAFE (sub, next, node, &bus->subs) {
        if (sub->owner == owner) {
            px_bus_unsubscribe(bus, sub);
            n++;
        }
    }
    PX_HMAP_FOR_EACH (t, node, &bus->topics) {
        struct px_topic_decl **dp = &t->decls;

        while (*dp) {
            if ((*dp)->owner == owner) {
                struct px_topic_decl *d = *dp;

                *dp = d->next;
                free(d);
            } else {
                dp = &(*dp)->next;
            }
        }
        settle_version(bus, t);
    }
    return n;
}

static int
sub_matches(const struct px_sub *sub, const struct px_topic *t)
{
    if (sub->min_version > t->version) {
        return 0;
    }
    switch (sub->kind) {
    case PX_SUB_ALL:
        return 1;
    case PX_SUB_PREFIX:
        return !strncmp(t->name, sub->pattern, sub->prefix_len);
    case PX_SUB_EXACT:
    default:
        return !strcmp(t->name, sub->pattern);
    }
}

static int
sub_before(const struct px_sub *a, const struct px_sub *b)
{
    return a->priority != b->priority ? a->priority > b->priority
                                      : a->seq < b->seq;
}

/* Out of line, like collect_garbage: px_bus_publish runs for every event
 * and these only after a subscription changed, so that inlined they would
 * only cost the common case registers and stack. */
static __attribute__((noinline)) int
rebuild(struct px_bus *bus, struct px_topic *t)
{
    struct px_sub **subs = NULL;
    struct px_sub *sub;
    size_t n = 0, cap = 0;

    PX_LIST_FOR_EACH (sub, node, &bus->subs) {
        size_t i;

        if (!sub_matches(sub, t)) {
            continue;
        }
        if (n == cap) {
            struct px_sub **s;

            cap = cap ? cap * 2 : 4;
            s = realloc(subs, cap * sizeof *s);
            if (!s) {
                free(subs);
                return ENOMEM;
            }
            subs = s;
        }
        /* Insertion sort: subscriber lists are short. */
        for (i = n; i > 0 && sub_before(sub, subs[i - 1]); i--) {
            subs[i] = subs[i - 1];
        }
        subs[i] = sub;
        n++;
    }
    if (bus->depth && t->subs) {
        if (bus->n_retired == bus->retired_cap) {
            size_t c = bus->retired_cap ? bus->retired_cap * 2 : 8;
            struct px_sub ***r = realloc(bus->retired, c * sizeof *r);

            if (!r) {
                free(subs);
                return ENOMEM;
            }
            bus->retired = r;
            bus->retired_cap = c;
        }
        bus->retired[bus->n_retired++] = t->subs;
        bus->garbage = 1;
    } else {
        free(t->subs);
    }
    t->subs = subs;
    t->n_subs = n;
    t->cache_gen = bus->sub_gen;
    return 0;
}

/* What px_bus_publish checks before it delivers, out of line (like
 * rebuild) since it only does something after a subscription changed or
 * when publishes nest too deep. */
static __attribute__((noinline)) int
publish_prepare(struct px_bus *bus, struct px_topic *t)
{
    if (bus->depth >= PX_PUBLISH_MAX_DEPTH) {
        bus->depth_drops++;
        return ELOOP;
    }
    return t->cache_gen != bus->sub_gen ? rebuild(bus, t) : 0;
}

/* Runs for every event, twice per packet-in on a learning switch (the
 * packet-in, then the flow_mod answering it), so the common case (cache
 * valid, not too deep) is kept to one test before the loop, the loop walks
 * pointers, and what the loop adds up goes straight to the topic's
 * counters: as first written, with a local count, an index and both tests
 * apart, a publish to one subscriber cost 78 instructions here, 70 since,
 * a third of them saving and restoring what the callback may clobber. */
int
px_bus_publish(struct px_bus *bus, struct px_topic *t, const char *publisher,
               const void *payload, size_t len, int *halted)
{
    struct px_event ev;
    struct px_sub **subs, **end;
    int halt = 0;

    if (__builtin_expect(bus->depth >= PX_PUBLISH_MAX_DEPTH ||
                             t->cache_gen != bus->sub_gen,
                         0)) {
        int error = publish_prepare(bus, t);

        if (error) {
            if (halted) {
                *halted = 0;
            }
            return error;
        }
    }
    ev.topic = t->name;
    ev.publisher = publisher;
    ev.version = t->version;
    ev.reserved = 0;
    ev.payload = payload;
    ev.len = len;

    /* Iterate a local copy of the array pointer: a callback that subscribes
     * or unsubscribes may rebuild t->subs, but the old array is retired, not
     * freed, until the outermost publish returns. */
    subs = t->subs;
    end = subs + t->n_subs;
    bus->depth++;
    t->published++;
    for (; subs != end; subs++) {
        struct px_sub *sub = *subs;

        if (sub->dead) {
            continue;
        }
        t->delivered++;
        if (sub->fn(sub->p, &ev, sub->arg) == PX_EVENT_HALT) {
            halt = 1;
            t->halted++;
            break;
        }
    }
    if (!--bus->depth && bus->garbage) {
        collect_garbage(bus);
    }
    if (halted) {
        *halted = halt;
    }
    return 0;
}

int
px_bus_publish_async(struct px_bus *bus, struct px_topic *topic,
                     const char *publisher, const void *payload, size_t len)
{
    struct px_async_event *e;
    int was_empty = 0, full = 0;

    if (len > PX_BUS_ASYNC_MAX_PAYLOAD) {
        return EMSGSIZE;
    }
    e = malloc(sizeof *e + len);
    if (!e || !(e->publisher = strdup(publisher))) {
        free(e);
        pthread_mutex_lock(&bus->mutex);
        bus->async_drops++;
        pthread_mutex_unlock(&bus->mutex);
        return ENOMEM;
    }
    e->topic = topic;
    e->len = len;
    if (len) {
        memcpy(e->payload, payload, len);
    }

    pthread_mutex_lock(&bus->mutex);
    if (bus->ring_len == bus->ring_cap) {
        bus->async_drops++;
        full = 1;
    } else {
        was_empty = !bus->ring_len;
        bus->ring[(bus->ring_head + bus->ring_len) % bus->ring_cap] = e;
        bus->ring_len++;
        bus->async_queued++;
    }
    pthread_mutex_unlock(&bus->mutex);

    if (full) {
        free(e->publisher);
        free(e);
        return ENOBUFS;
    }
    if (was_empty && bus->wake) {
        bus->wake(bus->wake_aux);
    }
    return 0;
}

size_t
px_bus_drain_async(struct px_bus *bus, size_t max)
{
    size_t done, left;

    for (done = 0; done < max; done++) {
        struct px_async_event *e = NULL;

        pthread_mutex_lock(&bus->mutex);
        if (bus->ring_len) {
            e = bus->ring[bus->ring_head];
            bus->ring_head = (bus->ring_head + 1) % bus->ring_cap;
            bus->ring_len--;
        }
        pthread_mutex_unlock(&bus->mutex);
        if (!e) {
            break;
        }
        px_bus_publish(bus, e->topic, e->publisher, e->payload, e->len, NULL);
        free(e->publisher);
        free(e);
    }
    pthread_mutex_lock(&bus->mutex);
    left = bus->ring_len;
    pthread_mutex_unlock(&bus->mutex);
    return left;
}

void
px_bus_get_stats(struct px_bus *bus, struct px_bus_stats *s)
{
    memset(s, 0, sizeof *s);
    s->depth_drops = bus->depth_drops;
    s->topics = px_hmap_count(&bus->topics);
    s->subscriptions = bus->n_subs;
    pthread_mutex_lock(&bus->mutex);
    s->async_queued = bus->async_queued;
    s->async_drops = bus->async_drops;
    s->async_depth = bus->ring_len;
    s->async_capacity = bus->ring_cap;
    pthread_mutex_unlock(&bus->mutex);
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
px_bus_foreach_unpublished(struct px_bus *bus,
                           void (*fn)(const char *name, size_t n_subs,
                                      void *aux),
                           void *aux)
{
    const char **names;
    struct px_sub *sub;
    size_t n = 0, i, j;

    names = malloc((bus->n_subs ? bus->n_subs : 1) * sizeof *names);
    if (!names) {
        return ENOMEM;
    }
    PX_LIST_FOR_EACH (sub, node, &bus->subs) {
        if (sub->kind == PX_SUB_EXACT && !px_bus_declared(bus, sub->pattern)) {
            names[n++] = sub->pattern;
        }
    }
    qsort(names, n, sizeof *names, compare_names);
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && !strcmp(names[i], names[j]); j++) {
            continue;
        }
        fn(names[i], j - i, aux);
    }
    free(names);
    return 0;
}

void
px_bus_foreach_topic(struct px_bus *bus,
                     void (*fn)(const struct px_bus_topic_stats *, void *aux),
                     void *aux)
{
    const struct px_topic *t;

    PX_HMAP_FOR_EACH (t, node, &bus->topics) {
        struct px_bus_topic_stats s = {
            .name = t->name,
            .version = t->version,
            .published = t->published,
            .delivered = t->delivered,
            .halted = t->halted,
            .declared = t->decls != NULL,
        };

        fn(&s, aux);
    }
}
