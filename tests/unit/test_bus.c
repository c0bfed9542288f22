/*
 * Unit tests for the event table (host/bus.c): topic name validation,
 * declarations and their versions, exact, prefix and "*" subscriptions,
 * priority order, min_version filtering, halting, per-topic statistics,
 * changes to the subscription set from inside callbacks, the nesting limit,
 * releasing an owner, and the thread-safe queue, including a run with four
 * producer threads.
 *
 * The bus only stores and passes back the struct px_plugin pointer, so a
 * zeroed one stands in for a real instance.  Run these under ASan: several
 * tests exist to catch a subscription or a cached array being freed while a
 * publish still iterates over it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus.h"

/* Stand-ins for plugin instances: the bus compares owners by address
 * and hands 'p' back to callbacks untouched. */
static struct px_plugin plugin_a;
static struct px_plugin plugin_b;
static const void *const owner_a = &plugin_a;
static const void *const owner_b = &plugin_b;
/* An owner that never subscribes: only its address matters. */
static const int owner_c_tag;
static const void *const owner_c = &owner_c_tag;

/* ---------------------------------------------------------------------- */
/* A trace of which subscribers ran, in order, as space-separated labels.  */

struct trace {
    char text[1024];
    size_t len;
};

static void
trace_add(struct trace *t, const char *label)
{
    int n = snprintf(t->text + t->len, sizeof t->text - t->len, "%s%s",
                     t->len ? " " : "", label);

    assert_true(n > 0 && (size_t)n < sizeof t->text - t->len);
    t->len += (size_t)n;
}

static void
trace_reset(struct trace *t)
{
    t->text[0] = '\0';
    t->len = 0;
}

/* A subscriber that records its label and what it was handed, then returns
 * 'ret'. */
struct probe {
    struct trace *trace;
    const char *label;
    int ret;
    unsigned int calls;
    struct px_plugin *last_p;
    uint32_t last_version;
    const char *last_publisher;
    const void *last_payload;
    size_t last_len;
};

static int
probe_cb(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct probe *pr = arg;

    trace_add(pr->trace, pr->label);
    pr->calls++;
    pr->last_p = p;
    pr->last_version = ev->version;
    pr->last_publisher = ev->publisher;
    pr->last_payload = ev->payload;
    pr->last_len = ev->len;
    return pr->ret;
}

static struct px_bus *
new_bus(size_t capacity)
{
    struct px_bus *bus = NULL;

    assert_int_equal(px_bus_create(capacity, NULL, NULL, &bus), 0);
    assert_non_null(bus);
    return bus;
}

static struct px_topic *
declare(struct px_bus *bus, const void *owner, const char *name,
        uint32_t version)
{
    struct px_topic *t = NULL;

    assert_int_equal(px_bus_declare(bus, owner, name, version, &t), 0);
    assert_non_null(t);
    return t;
}

static struct px_sub *
subscribe(struct px_bus *bus, const void *owner, const char *pattern,
          uint32_t min_version, int priority, struct probe *pr)
{
    struct px_sub *sub = NULL;

    assert_int_equal(px_bus_subscribe(bus, owner, &plugin_a, pattern,
                                      min_version, priority, probe_cb, pr,
                                      &sub),
                     0);
    assert_non_null(sub);
    return sub;
}

/* Publishes with no payload and checks that the publish itself succeeded;
 * returns whether a subscriber halted it. */
static int
publish(struct px_bus *bus, struct px_topic *t)
{
    int halted = -1;

    assert_int_equal(px_bus_publish(bus, t, "test", NULL, 0, &halted), 0);
    assert_true(halted == 0 || halted == 1);
    return halted;
}

/* Finds one topic's statistics through px_bus_foreach_topic, the only way
 * they are exposed. */
struct topic_query {
    const char *name;
    struct px_bus_topic_stats stats;
    unsigned int matches;
    unsigned int visited;
};

static void
topic_query_cb(const struct px_bus_topic_stats *s, void *aux)
{
    struct topic_query *q = aux;

    q->visited++;
    if (!strcmp(s->name, q->name)) {
        q->stats = *s;
        q->matches++;
    }
}

static struct px_bus_topic_stats
topic_stats(struct px_bus *bus, const char *name)
{
    struct topic_query q = {.name = name};

    px_bus_foreach_topic(bus, topic_query_cb, &q);
    assert_int_equal(q.matches, 1);
    return q.stats;
}

static struct px_bus_stats
bus_stats(struct px_bus *bus)
{
    struct px_bus_stats s;

    px_bus_get_stats(bus, &s);
    return s;
}

/* ---------------------------------------------------------------------- */
/* Names.                                                                 */

static void
test_name_valid(void **state)
{
    char long_name[200];

    (void)state;

    /* Topic names: dotted words of lowercase letters, digits, '_', '-'. */
    assert_true(px_bus_name_valid("a", 0));
    assert_true(px_bus_name_valid("a.b", 0));
    assert_true(px_bus_name_valid("openflow.packet_in", 0));
    assert_true(px_bus_name_valid("host.instance-up.v2", 0));
    assert_false(px_bus_name_valid("", 0));
    assert_false(px_bus_name_valid(".a", 0));
    assert_false(px_bus_name_valid("a.", 0));
    assert_false(px_bus_name_valid("a..b", 0));
    assert_false(px_bus_name_valid("A.b", 0));
    assert_false(px_bus_name_valid("a b", 0));
    assert_false(px_bus_name_valid("a/b", 0));

    /* Wildcards are patterns, never topic names. */
    assert_false(px_bus_name_valid("*", 0));
    assert_false(px_bus_name_valid("a.*", 0));

    /* Patterns: a name, "*", or a name followed by ".*", and nothing
     * else. */
    assert_true(px_bus_name_valid("*", 1));
    assert_true(px_bus_name_valid("a.*", 1));
    assert_true(px_bus_name_valid("a.b.*", 1));
    assert_true(px_bus_name_valid("a.b", 1));
    assert_false(px_bus_name_valid("", 1));
    assert_false(px_bus_name_valid(".a", 1));
    assert_false(px_bus_name_valid("a..b", 1));
    assert_false(px_bus_name_valid("A.b", 1));
    assert_false(px_bus_name_valid("a.*.b", 1));
    assert_false(px_bus_name_valid("*.a", 1));
    assert_false(px_bus_name_valid(".*", 1));
    assert_false(px_bus_name_valid("a*", 1));
    assert_false(px_bus_name_valid("a.**", 1));
    assert_false(px_bus_name_valid("a..*", 1));

    /* Names are capped at 127 characters; the ".*" of a pattern does not
     * count against the cap. */
    memset(long_name, 'a', 127);
    long_name[127] = '\0';
    assert_true(px_bus_name_valid(long_name, 0));
    strcpy(long_name + 127, ".*");
    assert_true(px_bus_name_valid(long_name, 1));
    memset(long_name, 'a', 128);
    long_name[128] = '\0';
    assert_false(px_bus_name_valid(long_name, 0));
}

static void
test_create_destroy(void **state)
{
    struct px_bus *bus = (struct px_bus *)&bus;
    struct px_bus_stats s;

    (void)state;

    /* Destroying nothing is a no-op, so error paths need no checks. */
    px_bus_destroy(NULL);

    /* A queue that can hold nothing would drop every async event. */
    assert_int_equal(px_bus_create(0, NULL, NULL, &bus), EINVAL);
    assert_ptr_equal(bus, (struct px_bus *)&bus);

    bus = new_bus(8);
    s = bus_stats(bus);
    assert_int_equal(s.topics, 0);
    assert_int_equal(s.subscriptions, 0);
    assert_int_equal(s.async_capacity, 8);
    assert_int_equal(s.async_depth, 0);
    px_bus_destroy(bus);
}

/* ---------------------------------------------------------------------- */
/* Declarations.                                                          */

static void
test_declare_versions(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct px_topic *t, *t2 = NULL, *out = NULL;

    (void)state;

    assert_null(px_bus_find(bus, "switch.up"));
    assert_int_equal(px_bus_declare(bus, owner_a, "Switch.Up", 1, &out),
                     EINVAL);
    assert_null(out);

    /* Two owners agree on version 1: one topic, shared. */
    t = declare(bus, owner_a, "switch.up", 1);
    t2 = declare(bus, owner_b, "switch.up", 1);
    assert_ptr_equal(t, t2);
    assert_ptr_equal(px_bus_find(bus, "switch.up"), t);
    assert_int_equal(bus_stats(bus).topics, 1);

    /* Payloads are append-only, so owners may declare different
     * versions: the topic carries the lowest, the one every publisher's
     * payload meets, and moves with the declarations. */
    t2 = declare(bus, owner_b, "switch.up", 2);
    assert_ptr_equal(t2, t);
    assert_int_equal(topic_stats(bus, "switch.up").version, 1);
    declare(bus, owner_a, "switch.up", 3);
    assert_int_equal(topic_stats(bus, "switch.up").version, 2);
    declare(bus, owner_a, "switch.up", 1);
    assert_int_equal(topic_stats(bus, "switch.up").version, 1);

    /* When the owner of the lowest goes, the topic rises to the lowest
     * left; a sole owner moves it either way. */
    assert_int_equal(px_bus_release_owner(bus, owner_a), 0);
    assert_int_equal(topic_stats(bus, "switch.up").version, 2);
    t2 = declare(bus, owner_b, "switch.up", 3);
    assert_ptr_equal(t2, t);
    assert_int_equal(topic_stats(bus, "switch.up").version, 3);
    declare(bus, owner_b, "switch.up", 2);
    assert_int_equal(topic_stats(bus, "switch.up").version, 2);
    assert_int_equal(px_bus_release_owner(bus, owner_b), 0);
    /* Declared by nobody, it keeps its version. */
    assert_int_equal(topic_stats(bus, "switch.up").version, 2);

    /* The topic outlives its declarations, so handles never dangle. */
    assert_int_equal(px_bus_release_owner(bus, owner_a), 0);
    assert_ptr_equal(px_bus_find(bus, "switch.up"), t);

    /* Declaring without asking for the handle is allowed. */
    assert_int_equal(px_bus_declare(bus, owner_b, "switch.down", 1, NULL), 0);
    assert_int_equal(bus_stats(bus).topics, 2);
    px_bus_destroy(bus);
}

/* Many topics force the hash table to grow; every handle must still be
 * found by name afterwards. */
static void
test_declare_many(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct px_topic *topics[300];
    char name[32];
    size_t i;

    (void)state;

    for (i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "bulk.t%zu", i);
        topics[i] = declare(bus, owner_a, name, 1);
    }
    assert_int_equal(bus_stats(bus).topics, 300);
    for (i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "bulk.t%zu", i);
        assert_ptr_equal(px_bus_find(bus, name), topics[i]);
    }
    px_bus_destroy(bus);
}

/* ---------------------------------------------------------------------- */
/* Matching, order, filtering, halting.                                   */

static void
test_match_kinds(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct probe exact = {.trace = &tr, .label = "exact"};
    struct probe prefix = {.trace = &tr, .label = "prefix"};
    struct probe all = {.trace = &tr, .label = "all"};
    struct px_topic *packet_in, *lookalike, *bare, *deep;
    struct px_sub *sub = (struct px_sub *)&sub;

    (void)state;

    packet_in = declare(bus, owner_a, "openflow.packet_in", 1);
    lookalike = declare(bus, owner_a, "openflowx.a", 1);
    bare = declare(bus, owner_a, "openflow", 1);
    deep = declare(bus, owner_a, "openflow.port.status", 1);

    subscribe(bus, owner_b, "openflow.packet_in", 0, 0, &exact);
    subscribe(bus, owner_b, "openflow.*", 0, 0, &prefix);
    subscribe(bus, owner_b, "*", 0, 0, &all);

    publish(bus, packet_in);
    assert_string_equal(tr.text, "exact prefix all");

    /* "openflow.*" is "openflow." followed by something: it does not
     * match a longer first word, nor the bare prefix itself. */
    trace_reset(&tr);
    publish(bus, lookalike);
    assert_string_equal(tr.text, "all");

    trace_reset(&tr);
    publish(bus, bare);
    assert_string_equal(tr.text, "all");

    /* A prefix matches at any depth below it. */
    trace_reset(&tr);
    publish(bus, deep);
    assert_string_equal(tr.text, "prefix all");

    /* Invalid patterns and a missing callback are refused outright. */
    assert_int_equal(px_bus_subscribe(bus, owner_b, &plugin_a, "a.*.b", 0, 0,
                                      probe_cb, &all, &sub),
                     EINVAL);
    assert_int_equal(px_bus_subscribe(bus, owner_b, &plugin_a, "a.b", 0, 0,
                                      NULL, &all, &sub),
                     EINVAL);
    assert_ptr_equal(sub, (struct px_sub *)&sub);
    assert_int_equal(bus_stats(bus).subscriptions, 3);

    /* A subscription taken before its topic exists still matches; ties
     * keep subscription order, so the older "*" runs first. */
    trace_reset(&tr);
    subscribe(bus, owner_b, "late.topic", 0, 0, &exact);
    publish(bus, declare(bus, owner_a, "late.topic", 1));
    assert_string_equal(tr.text, "all exact");
    px_bus_destroy(bus);
}

static void
test_event_fields(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct probe pr = {.trace = &tr, .label = "p"};
    struct px_topic *t = declare(bus, owner_a, "fields.t", 7);
    static const char payload[] = "payload";
    int halted = -1;

    (void)state;

    subscribe(bus, owner_b, "fields.t", 0, 0, &pr);
    assert_int_equal(px_bus_publish(bus, t, "switch-agent", payload,
                                    sizeof payload, &halted),
                     0);
    assert_int_equal(halted, 0);
    assert_int_equal(pr.calls, 1);
    assert_ptr_equal(pr.last_p, &plugin_a);
    assert_int_equal(pr.last_version, 7);
    assert_string_equal(pr.last_publisher, "switch-agent");
    /* Synchronous delivery lends the caller's buffer, it does not copy. */
    assert_ptr_equal(pr.last_payload, payload);
    assert_int_equal(pr.last_len, sizeof payload);

    /* 'halted' is optional. */
    assert_int_equal(px_bus_publish(bus, t, "x", NULL, 0, NULL), 0);
    assert_int_equal(pr.calls, 2);
    px_bus_destroy(bus);
}

static void
test_priority_order(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct probe p[7];
    static const char *const labels[] = {"zero1", "ten1", "minus5", "ten2",
                                         "first", "last", "zero2"};
    static const int prios[] = {0, 10, -5, 10, PX_PRIO_FIRST, PX_PRIO_LAST, 0};
    struct px_topic *t = declare(bus, owner_a, "order.t", 1);
    size_t i;

    (void)state;

    /* Subscribe in a scrambled order, and mix owners: ties must follow
     * subscription order whoever subscribed. */
    for (i = 0; i < 7; i++) {
        p[i] = (struct probe){.trace = &tr, .label = labels[i]};
        subscribe(bus, i % 2 ? owner_a : owner_b, i == 3 ? "*" : "order.t", 0,
                  prios[i], &p[i]);
    }
    publish(bus, t);
    assert_string_equal(tr.text, "first ten1 ten2 zero1 zero2 minus5 last");

    /* The cached order survives a second publish unchanged. */
    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "first ten1 ten2 zero1 zero2 minus5 last");
    px_bus_destroy(bus);
}

static void
test_min_version(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct probe v0 = {.trace = &tr, .label = "v0"};
    struct probe v2 = {.trace = &tr, .label = "v2"};
    struct probe v3 = {.trace = &tr, .label = "v3"};
    struct probe any3 = {.trace = &tr, .label = "any3"};
    struct px_topic *t = declare(bus, owner_a, "ver.t", 2);

    (void)state;

    subscribe(bus, owner_b, "ver.t", 0, 0, &v0);
    subscribe(bus, owner_b, "ver.t", 2, 0, &v2);
    subscribe(bus, owner_b, "ver.t", 3, 0, &v3);
    subscribe(bus, owner_b, "ver.*", 3, 0, &any3);

    publish(bus, t);
    assert_string_equal(tr.text, "v0 v2");
    assert_int_equal(v2.last_version, 2);
    assert_int_equal(topic_stats(bus, "ver.t").delivered, 2);

    /* The sole owner moves the topic to version 3: the cached subscriber
     * array must be rebuilt so that the version-3 subscribers now run. */
    declare(bus, owner_a, "ver.t", 3);
    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "v0 v2 v3 any3");
    assert_int_equal(v3.last_version, 3);

    /* Another publisher built against version 2 declares it: no version-3
     * subscriber may see its shorter payloads, so they stop until it
     * goes. */
    declare(bus, owner_c, "ver.t", 2);
    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "v0 v2");
    assert_int_equal(v2.last_version, 2);
    assert_int_equal(px_bus_release_owner(bus, owner_c), 0);
    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "v0 v2 v3 any3");
    px_bus_destroy(bus);
}

static void
test_halt_and_stats(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct probe high = {.trace = &tr, .label = "high"};
    struct probe stopper = {
        .trace = &tr, .label = "stopper", .ret = PX_EVENT_HALT};
    struct probe low = {.trace = &tr, .label = "low"};
    struct probe other = {.trace = &tr, .label = "other"};
    struct px_topic *t = declare(bus, owner_a, "halt.t", 4);
    struct px_topic *quiet = declare(bus, owner_a, "halt.quiet", 1);
    struct px_topic *passing = declare(bus, owner_a, "halt.passing", 1);
    struct px_bus_topic_stats s;
    struct topic_query q = {.name = ""};

    (void)state;

    subscribe(bus, owner_b, "halt.t", 0, 10, &high);
    subscribe(bus, owner_b, "halt.t", 0, 5, &stopper);
    subscribe(bus, owner_b, "halt.t", 0, 0, &low);
    subscribe(bus, owner_b, "halt.passing", 0, 0, &other);

    assert_int_equal(publish(bus, t), 1);
    assert_string_equal(tr.text, "high stopper");
    assert_int_equal(low.calls, 0);
    assert_int_equal(publish(bus, t), 1);

    trace_reset(&tr);
    assert_int_equal(publish(bus, passing), 0);
    assert_string_equal(tr.text, "other");
    assert_int_equal(publish(bus, quiet), 0);

    /* Two publishes on halt.t, each delivered to two subscribers (the
     * halting one counts as delivered) and halted. */
    s = topic_stats(bus, "halt.t");
    assert_int_equal(s.version, 4);
    assert_int_equal(s.published, 2);
    assert_int_equal(s.delivered, 4);
    assert_int_equal(s.halted, 2);

    s = topic_stats(bus, "halt.passing");
    assert_int_equal(s.published, 1);
    assert_int_equal(s.delivered, 1);
    assert_int_equal(s.halted, 0);

    /* A publish nobody hears still counts as published. */
    s = topic_stats(bus, "halt.quiet");
    assert_int_equal(s.published, 1);
    assert_int_equal(s.delivered, 0);
    assert_int_equal(s.halted, 0);

    /* The walk visits each topic exactly once. */
    px_bus_foreach_topic(bus, topic_query_cb, &q);
    assert_int_equal(q.visited, 3);
    px_bus_destroy(bus);
}

/* ---------------------------------------------------------------------- */
/* Changing subscriptions during dispatch.                                */

/* A subscriber that, when called, unsubscribes 'victim' (which may be
 * itself), or subscribes 'spawn' once, or publishes 'republish' once. */
struct actor {
    struct probe probe;
    struct px_bus *bus;
    struct px_sub *victim;
    struct probe *spawn;
    const char *spawn_pattern;
    struct px_sub *spawned;
    struct px_topic *republish;
    int republish_rc;
    const void *release;
    size_t released;
};

static int
actor_cb(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct actor *a = arg;

    probe_cb(p, ev, &a->probe);
    if (a->victim) {
        struct px_sub *victim = a->victim;

        a->victim = NULL;
        px_bus_unsubscribe(a->bus, victim);
    }
    if (a->spawn) {
        struct probe *spawn = a->spawn;

        a->spawn = NULL;
        assert_int_equal(px_bus_subscribe(a->bus, owner_b, &plugin_b,
                                          a->spawn_pattern, 0, 0, probe_cb,
                                          spawn, &a->spawned),
                         0);
    }
    if (a->republish) {
        struct px_topic *t = a->republish;

        a->republish = NULL;
        a->republish_rc = px_bus_publish(a->bus, t, "nested", NULL, 0, NULL);
    }
    if (a->release) {
        const void *owner = a->release;

        a->release = NULL;
        a->released = px_bus_release_owner(a->bus, owner);
    }
    return PX_EVENT_CONTINUE;
}

static struct px_sub *
subscribe_actor(struct px_bus *bus, const void *owner, const char *pattern,
                int priority, struct actor *a)
{
    struct px_sub *sub = NULL;

    a->bus = bus;
    assert_int_equal(px_bus_subscribe(bus, owner, &plugin_a, pattern, 0,
                                      priority, actor_cb, a, &sub),
                     0);
    return sub;
}

static void
test_unsubscribe_self(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct actor once = {.probe = {.trace = &tr, .label = "once"}};
    struct probe after = {.trace = &tr, .label = "after"};
    struct px_topic *t = declare(bus, owner_a, "self.t", 1);

    (void)state;

    once.victim = subscribe_actor(bus, owner_b, "self.t", 10, &once);
    subscribe(bus, owner_b, "self.t", 0, 0, &after);
    assert_int_equal(bus_stats(bus).subscriptions, 2);

    /* The subscription is freed after the publish unwinds, not while the
     * loop still holds it; ASan reports it otherwise. */
    publish(bus, t);
    assert_string_equal(tr.text, "once after");
    assert_int_equal(bus_stats(bus).subscriptions, 1);

    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "after");
    assert_int_equal(once.probe.calls, 1);
    assert_int_equal(topic_stats(bus, "self.t").delivered, 3);
    px_bus_destroy(bus);
}

static void
test_unsubscribe_later(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct actor killer = {.probe = {.trace = &tr, .label = "killer"}};
    struct probe victim = {.trace = &tr, .label = "victim"};
    struct probe bystander = {.trace = &tr, .label = "bystander"};
    struct px_topic *t = declare(bus, owner_a, "later.t", 1);

    (void)state;

    subscribe_actor(bus, owner_b, "later.t", 10, &killer);
    killer.victim = subscribe(bus, owner_b, "later.t", 0, 5, &victim);
    subscribe(bus, owner_b, "later.*", 0, 0, &bystander);

    /* The victim is still in the array being iterated; it must be skipped,
     * not called, and not freed until the publish returns. */
    publish(bus, t);
    assert_string_equal(tr.text, "killer bystander");
    assert_int_equal(victim.calls, 0);
    assert_int_equal(bus_stats(bus).subscriptions, 2);
    assert_int_equal(topic_stats(bus, "later.t").delivered, 2);

    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "killer bystander");
    px_bus_destroy(bus);
}

static void
test_subscribe_in_callback(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct actor parent = {.probe = {.trace = &tr, .label = "parent"}};
    struct probe child = {.trace = &tr, .label = "child"};
    struct probe tail = {.trace = &tr, .label = "tail"};
    struct px_topic *t = declare(bus, owner_a, "spawn.t", 1);

    (void)state;

    subscribe_actor(bus, owner_a, "spawn.t", 10, &parent);
    subscribe(bus, owner_a, "spawn.t", 0, -10, &tail);
    parent.spawn = &child;
    parent.spawn_pattern = "spawn.*";

    /* The new subscriber sorts between parent and tail, but it did not
     * exist when this event started, so it waits for the next one. */
    publish(bus, t);
    assert_string_equal(tr.text, "parent tail");
    assert_non_null(parent.spawned);
    assert_int_equal(bus_stats(bus).subscriptions, 3);

    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "parent child tail");
    assert_ptr_equal(child.last_p, &plugin_b);
    px_bus_destroy(bus);
}

/* A callback that subscribes and then publishes the same topic forces the
 * topic's array to be rebuilt while the outer publish still iterates the
 * old one.  The old array must be retired, not freed, and the outer loop
 * must carry on with the subscribers it started with. */
static void
test_rebuild_during_dispatch(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct actor outer = {.probe = {.trace = &tr, .label = "a"}};
    struct actor middle = {.probe = {.trace = &tr, .label = "b"}};
    struct probe newcomer = {.trace = &tr, .label = "new"};
    struct probe last = {.trace = &tr, .label = "c"};
    struct px_topic *t = declare(bus, owner_a, "rebuild.t", 1);

    (void)state;

    subscribe_actor(bus, owner_a, "rebuild.t", 10, &outer);
    subscribe_actor(bus, owner_a, "rebuild.t", 5, &middle);
    middle.victim = subscribe(bus, owner_a, "rebuild.t", 0, 0, &last);
    outer.spawn = &newcomer;
    outer.spawn_pattern = "rebuild.t";
    outer.republish = t;

    /* Outer event: a subscribes "new" and publishes again.  Nested event
     * (new array): a, b (which unsubscribes c), new; c is dead by then.
     * Back in the outer event: b runs, c is skipped as dead, and "new" is
     * not in the outer array. */
    publish(bus, t);
    assert_int_equal(outer.republish_rc, 0);
    assert_string_equal(tr.text, "a a b new b");
    assert_int_equal(last.calls, 0);
    assert_int_equal(bus_stats(bus).subscriptions, 3);

    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "a b new");
    px_bus_destroy(bus);
}

/* A callback that publishes its own topic recurses until the depth limit
 * refuses a publish. */
struct recurser {
    struct px_bus *bus;
    struct px_topic *topic;
    unsigned int calls;
    int rcs[PX_PUBLISH_MAX_DEPTH + 4];
};

static int
recurse_cb(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct recurser *r = arg;
    unsigned int level = r->calls++;

    (void)p;
    (void)ev;
    if (level < PX_PUBLISH_MAX_DEPTH + 4) {
        r->rcs[level] =
            px_bus_publish(r->bus, r->topic, "deep", NULL, 0, NULL);
    }
    return PX_EVENT_CONTINUE;
}

static void
test_depth_limit(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct recurser r = {.bus = bus};
    struct px_bus_topic_stats s;
    unsigned int i;

    (void)state;

    r.topic = declare(bus, owner_a, "deep.t", 1);
    assert_int_equal(px_bus_subscribe(bus, owner_a, &plugin_a, "deep.t", 0, 0,
                                      recurse_cb, &r, NULL),
                     0);

    /* The outermost publish runs at depth 0; the callback at depth 16
     * tries a 17th level, which is refused. */
    assert_int_equal(px_bus_publish(bus, r.topic, "top", NULL, 0, NULL), 0);
    assert_int_equal(r.calls, PX_PUBLISH_MAX_DEPTH);
    for (i = 0; i < PX_PUBLISH_MAX_DEPTH - 1; i++) {
        assert_int_equal(r.rcs[i], 0);
    }
    assert_int_equal(r.rcs[PX_PUBLISH_MAX_DEPTH - 1], ELOOP);
    assert_int_equal(bus_stats(bus).depth_drops, 1);

    /* A refused publish is neither published nor delivered. */
    s = topic_stats(bus, "deep.t");
    assert_int_equal(s.published, PX_PUBLISH_MAX_DEPTH);
    assert_int_equal(s.delivered, PX_PUBLISH_MAX_DEPTH);

    /* The depth unwound completely: the next top-level publish gets the
     * full budget again. */
    r.calls = 0;
    memset(r.rcs, 0xff, sizeof r.rcs);
    assert_int_equal(px_bus_publish(bus, r.topic, "top", NULL, 0, NULL), 0);
    assert_int_equal(r.calls, PX_PUBLISH_MAX_DEPTH);
    assert_int_equal(r.rcs[PX_PUBLISH_MAX_DEPTH - 1], ELOOP);
    assert_int_equal(bus_stats(bus).depth_drops, 2);
    px_bus_destroy(bus);
}

static void
test_release_owner(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct probe a1 = {.trace = &tr, .label = "a1"};
    struct probe a2 = {.trace = &tr, .label = "a2"};
    struct probe a3 = {.trace = &tr, .label = "a3"};
    struct probe b1 = {.trace = &tr, .label = "b1"};
    struct probe b2 = {.trace = &tr, .label = "b2"};
    struct px_topic *t = declare(bus, owner_a, "rel.t", 1);
    struct px_sub *gone;

    (void)state;

    declare(bus, owner_b, "rel.t", 1);
    subscribe(bus, owner_a, "rel.t", 0, 0, &a1);
    subscribe(bus, owner_b, "rel.t", 0, 0, &b1);
    subscribe(bus, owner_a, "rel.*", 0, 0, &a2);
    subscribe(bus, owner_a, "*", 0, 0, &a3);
    subscribe(bus, owner_b, "*", 0, 0, &b2);
    gone = subscribe(bus, owner_a, "rel.t", 0, 0, &a1);

    /* A subscription already unsubscribed is not counted again. */
    px_bus_unsubscribe(bus, gone);
    assert_int_equal(bus_stats(bus).subscriptions, 5);

    publish(bus, t);
    assert_string_equal(tr.text, "a1 b1 a2 a3 b2");

    assert_int_equal(px_bus_release_owner(bus, owner_a), 3);
    assert_int_equal(bus_stats(bus).subscriptions, 2);
    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "b1 b2");

    /* a's declaration went too: b alone may now change the version. */
    assert_int_equal(px_bus_declare(bus, owner_b, "rel.t", 2, NULL), 0);
    assert_int_equal(topic_stats(bus, "rel.t").version, 2);

    assert_int_equal(px_bus_release_owner(bus, owner_a), 0);
    assert_int_equal(px_bus_release_owner(bus, owner_b), 2);
    assert_int_equal(bus_stats(bus).subscriptions, 0);
    px_bus_destroy(bus);
}

/* An instance that fails inside its own callback is released there: its
 * later subscribers must not run and nothing may be freed under the
 * loop. */
static void
test_release_owner_in_callback(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct actor crasher = {.probe = {.trace = &tr, .label = "crasher"}};
    struct probe a_later = {.trace = &tr, .label = "a_later"};
    struct probe b_later = {.trace = &tr, .label = "b_later"};
    struct px_topic *t = declare(bus, owner_a, "crash.t", 1);

    (void)state;

    subscribe_actor(bus, owner_a, "crash.t", 10, &crasher);
    subscribe(bus, owner_a, "crash.t", 0, 5, &a_later);
    subscribe(bus, owner_b, "crash.t", 0, 0, &b_later);
    crasher.release = owner_a;

    publish(bus, t);
    assert_int_equal(crasher.released, 2);
    assert_string_equal(tr.text, "crasher b_later");
    assert_int_equal(bus_stats(bus).subscriptions, 1);

    trace_reset(&tr);
    publish(bus, t);
    assert_string_equal(tr.text, "b_later");
    px_bus_destroy(bus);
}

/* ---------------------------------------------------------------------- */
/* The thread-safe queue.                                                 */

struct waker {
    atomic_uint calls;
    void *last_aux;
};

static void
wake_cb(void *aux)
{
    struct waker *w = aux;

    atomic_fetch_add(&w->calls, 1);
    w->last_aux = aux;
}

/* Records each delivered payload as a string, in order. */
struct collector {
    struct trace trace;
    unsigned int calls;
    char publisher[32];
    size_t last_len;
};

static int
collect_cb(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct collector *c = arg;
    char text[64];

    (void)p;
    assert_true(ev->len < sizeof text);
    memcpy(text, ev->payload, ev->len);
    text[ev->len] = '\0';
    trace_add(&c->trace, text);
    snprintf(c->publisher, sizeof c->publisher, "%s", ev->publisher);
    c->last_len = ev->len;
    c->calls++;
    return PX_EVENT_CONTINUE;
}

static void
test_async_copies_payload(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct collector c = {.calls = 0};
    struct px_topic *t = declare(bus, owner_a, "async.copy", 1);
    char buf[16] = "original";
    char publisher[16] = "pub-a";

    (void)state;

    assert_int_equal(px_bus_subscribe(bus, owner_b, &plugin_b, "async.copy", 0,
                                      0, collect_cb, &c, NULL),
                     0);
    assert_int_equal(px_bus_publish_async(bus, t, publisher, buf, strlen(buf)),
                     0);

    /* Nothing is delivered before the drain, and the queue owns copies of
     * both the payload and the publisher's name. */
    assert_int_equal(c.calls, 0);
    memcpy(buf, "CLOBBERED", 10);
    memcpy(publisher, "pub-XX", 7);

    assert_int_equal(px_bus_drain_async(bus, SIZE_MAX), 0);
    assert_int_equal(c.calls, 1);
    assert_string_equal(c.trace.text, "original");
    assert_int_equal(c.last_len, 8);
    assert_string_equal(c.publisher, "pub-a");

    /* An empty payload is fine; one over 64 KiB is refused up front and is
     * not a queue drop. */
    assert_int_equal(px_bus_publish_async(bus, t, "p", NULL, 0), 0);
    {
        size_t big = 64 * 1024 + 1;
        char *data = calloc(1, big);

        assert_non_null(data);
        assert_int_equal(px_bus_publish_async(bus, t, "p", data, big),
                         EMSGSIZE);
        free(data);
    }
    assert_int_equal(bus_stats(bus).async_drops, 0);
    assert_int_equal(bus_stats(bus).async_queued, 2);
    assert_int_equal(px_bus_drain_async(bus, SIZE_MAX), 0);
    assert_int_equal(c.calls, 2);
    assert_int_equal(c.last_len, 0);
    px_bus_destroy(bus);
}

static void
test_async_wake(void **state)
{
    struct waker w = {.last_aux = NULL};
    struct px_bus *bus = NULL;
    struct collector c = {.calls = 0};
    struct px_topic *t;

    (void)state;

    atomic_init(&w.calls, 0);
    assert_int_equal(px_bus_create(8, wake_cb, &w, &bus), 0);
    t = declare(bus, owner_a, "async.wake", 1);
    assert_int_equal(px_bus_subscribe(bus, owner_b, &plugin_b, "async.wake", 0,
                                      0, collect_cb, &c, NULL),
                     0);

    /* Only the first of several events into an empty queue wakes. */
    assert_int_equal(px_bus_publish_async(bus, t, "p", "e1", 2), 0);
    assert_int_equal(atomic_load(&w.calls), 1);
    assert_ptr_equal(w.last_aux, &w);
    assert_int_equal(px_bus_publish_async(bus, t, "p", "e2", 2), 0);
    assert_int_equal(px_bus_publish_async(bus, t, "p", "e3", 2), 0);
    assert_int_equal(atomic_load(&w.calls), 1);

    /* A partial drain leaves the queue non-empty: no wake for the next
     * event either. */
    assert_int_equal(px_bus_drain_async(bus, 1), 2);
    assert_int_equal(px_bus_publish_async(bus, t, "p", "e4", 2), 0);
    assert_int_equal(atomic_load(&w.calls), 1);

    /* Emptied, the queue wakes again on the next event. */
    assert_int_equal(px_bus_drain_async(bus, SIZE_MAX), 0);
    assert_int_equal(px_bus_drain_async(bus, SIZE_MAX), 0);
    assert_int_equal(atomic_load(&w.calls), 1);
    assert_int_equal(px_bus_publish_async(bus, t, "p", "e5", 2), 0);
    assert_int_equal(atomic_load(&w.calls), 2);
    assert_int_equal(px_bus_drain_async(bus, SIZE_MAX), 0);
    assert_string_equal(c.trace.text, "e1 e2 e3 e4 e5");
    px_bus_destroy(bus);
}

static void
test_async_full_and_fifo(void **state)
{
    struct waker w = {.last_aux = NULL};
    struct px_bus *bus = NULL;
    struct collector c = {.calls = 0};
    struct px_bus_stats s;
    struct px_topic *t;
    char text[8];
    int i;

    (void)state;

    atomic_init(&w.calls, 0);
    assert_int_equal(px_bus_create(4, wake_cb, &w, &bus), 0);
    t = declare(bus, owner_a, "async.full", 1);
    assert_int_equal(px_bus_subscribe(bus, owner_b, &plugin_b, "async.full", 0,
                                      0, collect_cb, &c, NULL),
                     0);

    for (i = 0; i < 4; i++) {
        snprintf(text, sizeof text, "m%d", i);
        assert_int_equal(px_bus_publish_async(bus, t, "p", text, strlen(text)),
                         0);
    }
    assert_int_equal(px_bus_publish_async(bus, t, "p", "x", 1), ENOBUFS);
    assert_int_equal(px_bus_publish_async(bus, t, "p", "y", 1), ENOBUFS);

    s = bus_stats(bus);
    assert_int_equal(s.async_queued, 4);
    assert_int_equal(s.async_drops, 2);
    assert_int_equal(s.async_depth, 4);
    assert_int_equal(s.async_capacity, 4);
    assert_int_equal(atomic_load(&w.calls), 1);

    /* Drain in pieces; the ring wraps when refilled in between. */
    assert_int_equal(px_bus_drain_async(bus, 3), 1);
    assert_string_equal(c.trace.text, "m0 m1 m2");
    for (i = 4; i < 7; i++) {
        snprintf(text, sizeof text, "m%d", i);
        assert_int_equal(px_bus_publish_async(bus, t, "p", text, strlen(text)),
                         0);
    }
    assert_int_equal(px_bus_publish_async(bus, t, "p", "z", 1), ENOBUFS);
    assert_int_equal(px_bus_drain_async(bus, 0), 4);
    assert_int_equal(px_bus_drain_async(bus, SIZE_MAX), 0);
    assert_string_equal(c.trace.text, "m0 m1 m2 m3 m4 m5 m6");

    s = bus_stats(bus);
    assert_int_equal(s.async_queued, 7);
    assert_int_equal(s.async_drops, 3);
    assert_int_equal(s.async_depth, 0);
    assert_int_equal(topic_stats(bus, "async.full").published, 7);

    /* Events still queued at destruction are freed with the bus (the leak
     * checker would say otherwise). */
    assert_int_equal(px_bus_publish_async(bus, t, "p", "left", 4), 0);
    assert_int_equal(px_bus_publish_async(bus, t, "p", "over", 4), 0);
    px_bus_destroy(bus);
}

/* Four producers publish into a small queue while the main thread drains.
 * Drops are allowed; losing or double-counting an event is not. */
#define MT_PRODUCERS 4
#define MT_EVENTS    10000
#define MT_CAPACITY  1024

struct mt_payload {
    uint32_t producer;
    uint32_t seq;
};

struct mt_producer {
    struct px_bus *bus;
    struct px_topic *topic;
    atomic_uint *done;
    uint32_t id;
    unsigned int accepted;
    unsigned int refused;
    unsigned int other_errors;
};

struct mt_consumer {
    pthread_t loop_thread;
    unsigned int delivered;
    unsigned int wrong_thread;
    unsigned int bad_payload;
    unsigned int out_of_order;
    long long last_seq[MT_PRODUCERS];
};

static void *
mt_producer_main(void *arg)
{
    struct mt_producer *pr = arg;
    uint32_t seq;

    /* No cmocka assertions here: they are not thread-safe.  The main
     * thread checks the counts after joining. */
    for (seq = 0; seq < MT_EVENTS; seq++) {
        struct mt_payload pl = {.producer = pr->id, .seq = seq};
        int error = px_bus_publish_async(pr->bus, pr->topic, "producer", &pl,
                                         sizeof pl);

        if (!error) {
            pr->accepted++;
        } else if (error == ENOBUFS) {
            pr->refused++;
        } else {
            pr->other_errors++;
        }
    }
    atomic_fetch_add(pr->done, 1);
    return NULL;
}

static int
mt_consumer_cb(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct mt_consumer *c = arg;
    struct mt_payload pl;

    (void)p;
    if (!pthread_equal(pthread_self(), c->loop_thread)) {
        c->wrong_thread++;
    }
    if (ev->len != sizeof pl) {
        c->bad_payload++;
        return PX_EVENT_CONTINUE;
    }
    memcpy(&pl, ev->payload, sizeof pl);
    if (pl.producer >= MT_PRODUCERS || pl.seq >= MT_EVENTS) {
        c->bad_payload++;
        return PX_EVENT_CONTINUE;
    }
    /* The queue is FIFO, so each producer's accepted events arrive in the
     * order it published them. */
    if ((long long)pl.seq <= c->last_seq[pl.producer]) {
        c->out_of_order++;
    }
    c->last_seq[pl.producer] = pl.seq;
    c->delivered++;
    return PX_EVENT_CONTINUE;
}

static void
test_async_threads(void **state)
{
    struct mt_producer producers[MT_PRODUCERS];
    pthread_t threads[MT_PRODUCERS];
    struct mt_consumer c;
    struct waker w = {.last_aux = NULL};
    struct px_bus *bus = NULL;
    struct px_topic *t;
    struct px_bus_stats s;
    atomic_uint done;
    unsigned int accepted = 0, refused = 0, other = 0;
    size_t i;

    (void)state;

    atomic_init(&done, 0);
    atomic_init(&w.calls, 0);
    memset(&c, 0, sizeof c);
    c.loop_thread = pthread_self();
    for (i = 0; i < MT_PRODUCERS; i++) {
        c.last_seq[i] = -1;
    }
    assert_int_equal(px_bus_create(MT_CAPACITY, wake_cb, &w, &bus), 0);
    t = declare(bus, owner_a, "mt.events", 1);
    assert_int_equal(px_bus_subscribe(bus, owner_b, &plugin_b, "mt.events", 0,
                                      0, mt_consumer_cb, &c, NULL),
                     0);

    for (i = 0; i < MT_PRODUCERS; i++) {
        producers[i] = (struct mt_producer){
            .bus = bus, .topic = t, .done = &done, .id = (uint32_t)i};
        assert_int_equal(
            pthread_create(&threads[i], NULL, mt_producer_main, &producers[i]),
            0);
    }

    /* Drain concurrently until every producer has finished, then once more
     * for what they queued after the last drain. */
    while (atomic_load(&done) < MT_PRODUCERS) {
        px_bus_drain_async(bus, 64);
    }
    for (i = 0; i < MT_PRODUCERS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        accepted += producers[i].accepted;
        refused += producers[i].refused;
        other += producers[i].other_errors;
    }
    assert_int_equal(px_bus_drain_async(bus, SIZE_MAX), 0);

    s = bus_stats(bus);
    assert_int_equal(other, 0);
    assert_int_equal(accepted + refused, MT_PRODUCERS * MT_EVENTS);
    assert_int_equal(c.delivered + s.async_drops, MT_PRODUCERS * MT_EVENTS);
    assert_int_equal(c.delivered, accepted);
    assert_int_equal(s.async_drops, refused);
    assert_int_equal(s.async_queued, accepted);
    assert_int_equal(s.async_depth, 0);
    assert_int_equal(c.wrong_thread, 0);
    assert_int_equal(c.bad_payload, 0);
    assert_int_equal(c.out_of_order, 0);
    assert_int_equal(topic_stats(bus, "mt.events").published, accepted);
    assert_int_equal(topic_stats(bus, "mt.events").delivered, accepted);

    /* Every wake follows an empty-to-non-empty transition, and each of
     * those needs an accepted event. */
    assert_true(atomic_load(&w.calls) >= 1);
    assert_true(atomic_load(&w.calls) <= accepted);
    px_bus_destroy(bus);
}

/* Topics that subscriptions name and nobody declares: listed in name
 * order with how many subscriptions name each, declared or not shown in
 * the topic statistics, and gone once declared or unsubscribed. */
struct unpublished {
    char text[256];
    size_t len;
};

static void
unpublished_cb(const char *name, size_t n_subs, void *aux)
{
    struct unpublished *u = aux;
    int n = snprintf(u->text + u->len, sizeof u->text - u->len, "%s%s=%zu",
                     u->len ? " " : "", name, n_subs);

    assert_true(n > 0 && (size_t)n < sizeof u->text - u->len);
    u->len += (size_t)n;
}

static const char *
unpublished(struct px_bus *bus, struct unpublished *u)
{
    u->text[0] = '\0';
    u->len = 0;
    assert_int_equal(px_bus_foreach_unpublished(bus, unpublished_cb, u), 0);
    return u->text;
}

static void
test_unpublished(void **state)
{
    struct px_bus *bus = new_bus(8);
    struct trace tr = {.len = 0};
    struct probe pr = {.trace = &tr, .label = "p"};
    struct unpublished u;
    struct px_sub *typo;

    (void)state;
    assert_string_equal(unpublished(bus, &u), "");
    declare(bus, owner_a, "openflow.packet_in", 1);
    subscribe(bus, owner_b, "openflow.packet_in", 0, 0, &pr);
    typo = subscribe(bus, owner_b, "openflow.packet_inn", 0, 0, &pr);
    subscribe(bus, owner_c, "openflow.packet_inn", 0, 0, &pr);
    subscribe(bus, owner_b, "a.later", 0, 0, &pr);
    /* Patterns are no topic: never listed. */
    subscribe(bus, owner_b, "nobody.*", 0, 0, &pr);
    subscribe(bus, owner_b, "*", 0, 0, &pr);
    assert_true(px_bus_declared(bus, "openflow.packet_in"));
    assert_false(px_bus_declared(bus, "openflow.packet_inn"));
    assert_false(px_bus_declared(bus, "never.seen"));
    assert_string_equal(unpublished(bus, &u),
                        "a.later=1 openflow.packet_inn=2");
    assert_true(topic_stats(bus, "openflow.packet_in").declared);

    /* Declared later: no longer listed. */
    declare(bus, owner_a, "a.later", 1);
    assert_string_equal(unpublished(bus, &u), "openflow.packet_inn=2");
    px_bus_unsubscribe(bus, typo);
    assert_string_equal(unpublished(bus, &u), "openflow.packet_inn=1");

    /* A publisher that goes leaves its topic undeclared, and listed. */
    px_bus_release_owner(bus, owner_a);
    assert_false(px_bus_declared(bus, "openflow.packet_in"));
    assert_false(topic_stats(bus, "openflow.packet_in").declared);
    assert_string_equal(unpublished(bus, &u), "a.later=1 openflow.packet_in=1 "
                                              "openflow.packet_inn=1");
    px_bus_release_owner(bus, owner_b);
    px_bus_release_owner(bus, owner_c);
    assert_string_equal(unpublished(bus, &u), "");
    px_bus_destroy(bus);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_create_destroy),
        cmocka_unit_test(test_declare_versions),
        cmocka_unit_test(test_declare_many),
        cmocka_unit_test(test_match_kinds),
        cmocka_unit_test(test_event_fields),
        cmocka_unit_test(test_priority_order),
        cmocka_unit_test(test_min_version),
        cmocka_unit_test(test_halt_and_stats),
        cmocka_unit_test(test_unsubscribe_self),
        cmocka_unit_test(test_unsubscribe_later),
        cmocka_unit_test(test_subscribe_in_callback),
        cmocka_unit_test(test_rebuild_during_dispatch),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_release_owner),
        cmocka_unit_test(test_release_owner_in_callback),
        cmocka_unit_test(test_unpublished),
        cmocka_unit_test(test_async_copies_payload),
        cmocka_unit_test(test_async_wake),
        cmocka_unit_test(test_async_full_and_fifo),
        cmocka_unit_test(test_async_threads),
    };

    return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
