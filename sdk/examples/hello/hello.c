/*
 * hello: the example Plexus plugin, built out of tree against the installed
 * SDK (see Makefile beside it and "Writing a plugin" in README.md).
 *
 * It shows the five things most plugins do:
 *  - read its own configuration keys (declared in hello_keys, so that
 *    "plexusd --check" validates them without running this code);
 *  - use a timer (a repeating greeting);
 *  - subscribe to events (it counts every plugin the host loads and every
 *    reload, and publishes its own "hello.greeting" topic);
 *  - expose its counters: it answers stats.collect, so the stats plugin
 *    serves them as plexus_hello_greetings_total and so on;
 *  - keep a table with the SDK's library (libplexus.a: <plexus/hmap.h>,
 *    <plexus/hash.h>): how many times it saw each instance loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plexus/hash.h>
#include <plexus/hmap.h>
#include <plexus/plugin.h>
#include <plexus/topics/host.h>
#include <plexus/topics/stats.h>

/* The payload of "hello.greeting".  A real plugin would put this in a
 * topics header of its own so that subscribers can include it. */
struct hello_greeting {
    unsigned long long count;
    char text[64];
};

/* One instance name seen in host.plugin_loaded. */
struct hello_seen {
    struct px_hmap_node node; /* In hello.seen, by px_hash_bytes(name). */
    unsigned long long loads;
    char name[]; /* NUL-terminated. */
};

struct hello {
    char greeting[64];
    long long limit;
    unsigned long long sent;
    unsigned long long loads_seen;
    struct px_topic *topic;
    struct px_topic *t_report;
    struct px_timer *timer;
    struct px_hmap seen; /* Owns its struct hello_seen. */
};

static const struct px_config_key hello_keys[] = {
    {.key = "greeting",
     .type = PX_CONFIG_STRING,
     .default_value = "hello",
     .help = "what to say"},
    {.key = "interval",
     .type = PX_CONFIG_DOUBLE,
     .default_value = "1.0",
     .min = 0.01,
     .max = 3600,
     .help = "seconds between greetings"},
    {.key = "limit",
     .type = PX_CONFIG_INT,
     .default_value = "3",
     .min = 0,
     .max = 1000000,
     .help = "greetings to send (0: no limit)"},
    {.key = NULL},
};

static void
on_timer(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct hello *h = px_get_data(p);
    struct hello_greeting g;

    (void)arg;
    memset(&g, 0, sizeof g);
    g.count = ++h->sent;
    memcpy(g.text, h->greeting, sizeof g.text);
    px_publish(p, h->topic, &g, sizeof g);
    px_info(p, "timer: %s #%llu", h->greeting, h->sent);
    if (h->limit && h->sent >= (unsigned long long)h->limit) {
        px_timer_stop(p, t);
        h->timer = NULL;
    }
}

static int
on_plugin_loaded(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct hello *h = px_get_data(p);
    const struct px_host_plugin *e = ev->payload;

    size_t len = strlen(e->instance);
    uint64_t hash = px_hash_bytes(e->instance, len, 0);
    struct hello_seen *s;

    (void)arg;
    h->loads_seen++;
    PX_HMAP_FOR_EACH_WITH_HASH (s, node, hash, &h->seen) {
        if (!strcmp(s->name, e->instance)) {
            break;
        }
    }
    if (!s && (s = calloc(1, sizeof *s + len + 1))) {
        memcpy(s->name, e->instance, len + 1);
        px_hmap_insert(&h->seen, &s->node, hash);
    }
    px_info(p, "event: %s instance=%s version=%s (loads seen: %llu)",
            ev->topic, e->instance, e->version, s ? ++s->loads : 0ULL);
    return PX_EVENT_CONTINUE;
}

/* The stats plugin asks; one report answers for the whole plugin.  A
 * plugin with many things to count (switches, ports) sends one report for
 * each, with the labels that tell them apart as 'keys'. */
static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct hello *h = px_get_data(p);
    const struct px_stats_collect *c = ev->payload;
    const struct px_stats_field f[] = {
        PX_STATS_COUNTER_FIELD("greetings", "Greetings sent", h->sent),
        PX_STATS_COUNTER_FIELD(
            "plugins_seen", "host.plugin_loaded events seen", h->loads_seen),
    };

    (void)arg;
    if (ev->len >= sizeof *c) {
        px_stats_publish(p, h->t_report, c->id, "hello", NULL, 0, f,
                         sizeof f / sizeof f[0]);
    }
    return PX_EVENT_CONTINUE;
}

static void
hello_free(struct hello *h)
{
    struct hello_seen *s;

    PX_HMAP_FOR_EACH_SAFE (s, node, &h->seen) {
        free(s);
    }
    px_hmap_destroy(&h->seen);
    free(h);
}

static int
hello_init(struct px_plugin *p)
{
    struct hello *h = calloc(1, sizeof *h);
    const char *greeting;
    double interval;
    int error;

    if (!h) {
        return ENOMEM;
    }
    px_hmap_init(&h->seen);
    px_set_data(p, h);
    if ((error = px_config_string(p, "greeting", &greeting)) ||
        (error = px_config_double(p, "interval", &interval)) ||
        (error = px_config_int(p, "limit", &h->limit))) {
        hello_free(h);
        return error;
    }
    snprintf(h->greeting, sizeof h->greeting, "%s", greeting);
    if ((error = px_topic_declare(p, "hello.greeting", 1, &h->topic)) ||
        (error = px_subscribe(p, PX_TOPIC_HOST_PLUGIN_LOADED,
                              PX_TOPIC_HOST_PLUGIN_VERSION, PX_PRIO_DEFAULT,
                              on_plugin_loaded, NULL, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_STATS_REPORT,
                                  PX_TOPIC_STATS_VERSION, &h->t_report)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL)) ||
        (error = px_timer_start(p, interval, interval, on_timer, NULL,
                                &h->timer))) {
        hello_free(h);
        return error;
    }
    px_info(p, "config: greeting='%s' interval=%g limit=%lld", h->greeting,
            interval, h->limit);
    return 0;
}

static void
hello_fini(struct px_plugin *p)
{
    /* Subscriptions and timers are the host's to release; only our own
     * memory is ours to free. */
    hello_free(px_get_data(p));
}

PX_PLUGIN_DEFINE(.name = "hello", .version = "1.0",
                 .description = "example plugin: config, timer, events, "
                                "stats, a table",
                 .config_keys = hello_keys, .init = hello_init,
                 .fini = hello_fini);
