/*
 * A fake host for plugin unit tests: a px_host_api table that runs one
 * plugin, linked into the test program, without plexusd.  It records
 * subscriptions and delivers events to them, serves configuration from a
 * per-test key/value table (falling back to the schema's defaults, as the
 * host does), returns a fixed time, captures the plugin's own log messages,
 * and keeps a handoff store that outlives one fake instance so that a
 * second generation can be started from what the first left behind.  The
 * handoff rules mirror host/instance.c: items may only be put in fini and
 * read in init, a taken descriptor is a dup() of the stored one, and the
 * store is emptied once an init succeeds.
 *
 * Calls a plugin under test has no business making (timers, threads,
 * publishing, non-string configuration getters) are not served: they are
 * counted in fake_unexpected_calls, which a test's teardown checks is 0.
 * Failures inside the fake are cmocka assertions, so include <cmocka.h>
 * (after <setjmp.h>, <stdarg.h> and <stddef.h>) before this header.
 */
#ifndef FAKEHOST_H
#define FAKEHOST_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/plugin.h"

/* Fixed clock of the fake host, chosen to format to a round, checkable
 * string. */
#define FAKE_NOW     1767225661.25 /* 2026-01-01T00:01:01.250Z */
#define FAKE_NOW_STR "2026-01-01T00:01:01.250Z"

#define FAKE_MAX_SUBS      8
#define FAKE_MAX_KVS       8
#define FAKE_MAX_ITEMS     8
#define FAKE_MAX_LOGS      16
#define FAKE_MAX_INSTANCES 4

/* One handoff item: a blob (fd < 0) or a descriptor. */
struct fake_handoff_item {
    char *name;
    int fd;
    uint32_t version;
    void *data;
    size_t len;
};

/* The host keeps handoff items in the instance record, which survives a
 * generation; here the store belongs to the test fixture for the same
 * reason. */
struct fake_handoff_store {
    struct fake_handoff_item items[FAKE_MAX_ITEMS];
    size_t n;
};

struct fake_sub {
    char *pattern;
    uint32_t min_version;
    int priority;
    px_event_fn fn;
    void *arg;
    int live;
};

struct fake_log {
    enum px_log_level level;
    char text[512];
};

struct fake_host {
    struct px_plugin plugin;                 /* What the plugin is handed. */
    const struct px_plugin_descriptor *desc; /* The plugin under test. */
    const char *name;                        /* Its instance name. */
    const char *dir; /* Where relative config paths resolve. */
    const char *keys[FAKE_MAX_KVS];
    const char *values[FAKE_MAX_KVS];
    size_t n_kvs;
    struct fake_handoff_store *handoff;
    int in_init;
    int in_fini;
    struct fake_sub subs[FAKE_MAX_SUBS];
    size_t n_subs;
    int subscribe_error; /* Nonzero: px_subscribe fails with this. */
    struct fake_log logs[FAKE_MAX_LOGS];
    size_t n_logs;
    unsigned int generation;
};

/* Calls the plugin has no business making, counted rather than crashing;
 * a teardown resets it with its setup and checks it is 0. */
extern unsigned int fake_unexpected_calls;

/* The fake instances of the running test.  They are static, not on the
 * test's stack, so that the teardown can stop whatever a failed assertion
 * left running (cmocka leaves the test body by longjmp) and report the
 * failure rather than leaks as well: a teardown stops and drops each of
 * fake_instances[0 .. fake_n_instances - 1] and sets fake_n_instances to
 * 0. */
extern struct fake_host fake_instances[FAKE_MAX_INSTANCES];
extern size_t fake_n_instances;

/* The schema entry of 'key' in 'desc', or NULL. */
const struct px_config_key *
fake_schema_key(const struct px_plugin_descriptor *desc, const char *key);

/* A new instance of the plugin 'desc', named 'name', whose relative paths
 * resolve against 'dir' and whose handoff items go to 'store' (owned by
 * the test, so that it outlives one generation). */
struct fake_host *fake_host_new(const struct px_plugin_descriptor *desc,
                                const char *name, const char *dir,
                                struct fake_handoff_store *store,
                                unsigned int generation);

/* Sets a key of the plugin's section; the strings must outlive 'fh'. */
void fake_set(struct fake_host *fh, const char *key, const char *value);

/* Runs init as px_instance_start does: on failure the host releases what
 * the instance subscribed and keeps the handoff for a rollback; on success
 * it discards the handoff items, whose descriptors the new generation
 * holds duplicates of. */
int fake_start(struct fake_host *fh);

/* Runs fini as px_instance_stop does, then releases the subscriptions the
 * plugin left. */
void fake_stop(struct fake_host *fh);

/* Releases the instance's subscriptions. */
void fake_drop_subs(struct fake_host *fh);

/* The handoff item 'name' of 'st', or NULL: what a test looks at to check
 * what a generation left behind. */
struct fake_handoff_item *fake_handoff_find(struct fake_handoff_store *st,
                                            const char *name);

/* Closes and frees every handoff item of 'st'. */
void fake_store_clear(struct fake_handoff_store *st);

/* Publishes one event to the instance's matching subscriptions, in the
 * order they were made (priorities are not honoured); returns
 * PX_EVENT_HALT if one halted it. */
int fake_deliver(struct fake_host *fh, const char *topic,
                 const char *publisher, uint32_t version, const void *payload,
                 size_t len);

/* Nonzero if one of the plugin's log messages contains 'needle'. */
int fake_logged(const struct fake_host *fh, const char *needle);

#endif /* FAKEHOST_H */
