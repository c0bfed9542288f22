/* The host's stats.report answers; see host_stats.h. */
#include "host_stats.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "daemon.h"
#include "instance.h"
#include "plexus/topics/host.h"
#include "plexus/topics/stats.h"

static void
publish(struct px_host *host, uint64_t id, const char *entity,
        const struct px_stats_label *keys, size_t n_keys,
        const struct px_stats_field *fields, size_t n_fields)
{
    struct px_stats_report r = {
        .collect_id = id,
        .entity = entity,
        .n_keys = n_keys,
        .keys = keys,
        .n_fields = n_fields,
        .fields = fields,
    };

    px_bus_publish(host->bus, host->t_stats_report, "host", &r, sizeof r,
                   NULL);
}

static void
report_host(struct px_host *host, uint64_t id)
{
    static const char *const outcomes[] = {"ok", "partial", "refused"};
    const char *help = "Reloads (the initial load included), by outcome";
    struct px_ctl_stats cs;
    struct px_stats_field f[11 + PX_CTL_N_DROPS] = {
        PX_STATS_TEXT_FIELD("version", NULL, PX_VERSION),
        PX_STATS_GAUGE_FIELD("pid", "Process id of plexusd", getpid()),
        PX_STATS_GAUGE_FIELD("start_time_seconds",
                             "When plexusd started, seconds since the epoch",
                             host->start_time),
        PX_STATS_LABELLED_COUNTER("reloads", help, "outcome", outcomes[0],
                                  host->reloads[PX_RELOAD_OK]),
        PX_STATS_LABELLED_COUNTER("reloads", help, "outcome", outcomes[1],
                                  host->reloads[PX_RELOAD_PARTIAL]),
        PX_STATS_LABELLED_COUNTER("reloads", help, "outcome", outcomes[2],
                                  host->reloads[PX_RELOAD_REFUSED]),
    };
    size_t n = 6, i;

    f[0].help = "Attributes of the plexusd process";
    px_ctl_get_stats(host->ctl, &cs);
    f[n++] = (struct px_stats_field)PX_STATS_GAUGE_FIELD(
        "ctl_clients", "Clients connected to the control socket", cs.clients);
    f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "ctl_connections", "Connections accepted on the control socket",
        cs.connections);
    f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "ctl_requests", "Requests answered on the control socket",
        cs.requests);
    f[n++] = (struct px_stats_field)PX_STATS_COUNTER_FIELD(
        "ctl_errors", "Control socket requests answered with an error",
        cs.errors);
    for (i = 0; i < PX_CTL_N_DROPS; i++) {
        f[n++] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "ctl_drops", "Control socket clients dropped, by reason", "reason",
            px_ctl_drop_name(i), cs.drops[i]);
    }
    publish(host, id, "host", NULL, 0, f, n);
}

static void
report_event_table(struct px_host *host, uint64_t id)
{
    struct px_bus_stats s;

    px_bus_get_stats(host->bus, &s);
    {
        const struct px_stats_field f[] = {
            PX_STATS_GAUGE_FIELD("topics", "Topics known to the event table",
                                 s.topics),
            PX_STATS_GAUGE_FIELD("subscriptions", "Live subscriptions",
                                 s.subscriptions),
            PX_STATS_GAUGE_FIELD("queue_depth",
                                 "Events from other threads waiting for "
                                 "the loop",
                                 s.async_depth),
            PX_STATS_GAUGE_FIELD("queue_capacity",
                                 "Bound of the thread-safe event queue",
                                 s.async_capacity),
            PX_STATS_COUNTER_FIELD("queue_events",
                                   "Events accepted by the thread-safe queue",
                                   s.async_queued),
            PX_STATS_COUNTER_FIELD("queue_drops",
                                   "Events refused because the thread-safe "
                                   "queue was full",
                                   s.async_drops),
            PX_STATS_COUNTER_FIELD("nesting_drops",
                                   "Publishes refused for nesting too deep",
                                   s.depth_drops),
        };

        publish(host, id, "event_table", NULL, 0, f, sizeof f / sizeof *f);
    }
}

struct topic_list {
    struct px_bus_topic_stats *v;
    size_t n, cap;
    struct px_bus *bus;
    char **copies; /* Names the list owns (of never-declared topics). */
    size_t n_copies;
};

static void
add_topic(const struct px_bus_topic_stats *t, void *aux)
{
    struct topic_list *l = aux;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        struct px_bus_topic_stats *v = realloc(l->v, cap * sizeof *v);

        if (!v) {
            return; /* Reported partially: better than not at all. */
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *t;
}

/* A topic that subscriptions name and nobody ever declared is no topic of
 * the event table yet; it is reported anyway (declared 0), since a
 * misspelt name is what an operator looks for. */
static void
add_unpublished(const char *name, size_t n_subs, void *aux)
{
    struct topic_list *l = aux;
    struct px_bus_topic_stats t = {.name = NULL};
    char **copies;
    char *copy;

    (void)n_subs;
    if (px_bus_find(l->bus, name)) {
        return; /* Declared once, and reported with its counters. */
    }
    /* The name is the subscription's: copied, since reports go out after
     * the walk and a subscriber could unsubscribe meanwhile. */
    copies = realloc(l->copies, (l->n_copies + 1) * sizeof *copies);
    if (!copies) {
        return;
    }
    l->copies = copies;
    copy = strdup(name);
    if (!copy) {
        return;
    }
    l->copies[l->n_copies++] = copy;
    t.name = copy;
    add_topic(&t, l);
}

static int
compare_topics(const void *a_, const void *b_)
{
    const struct px_bus_topic_stats *a = a_, *b = b_;

    return strcmp(a->name, b->name);
}

static void
report_topics(struct px_host *host, uint64_t id)
{
    struct topic_list l = {.bus = host->bus};
    size_t i;

    /* Copy first: publishing while the bus walks its own table would be
     * asking for trouble if a subscriber ever declared a topic. */
    px_bus_foreach_topic(host->bus, add_topic, &l);
    px_bus_foreach_unpublished(host->bus, add_unpublished, &l);
    /* In name order, so a person reading /metrics finds them. */
    qsort(l.v, l.n, sizeof *l.v, compare_topics);
    for (i = 0; i < l.n; i++) {
        const struct px_stats_label k[] = {{"topic", l.v[i].name}};
        const struct px_stats_field f[] = {
            PX_STATS_COUNTER_FIELD("published", "Events published on a topic",
                                   l.v[i].published),
            PX_STATS_COUNTER_FIELD("delivered",
                                   "Deliveries of a topic's events to "
                                   "subscribers",
                                   l.v[i].delivered),
            PX_STATS_COUNTER_FIELD("halted",
                                   "A topic's events halted by a subscriber",
                                   l.v[i].halted),
            PX_STATS_GAUGE_FIELD("declared",
                                 "1 if a publisher declares the topic, 0 if "
                                 "only subscriptions name it",
                                 l.v[i].declared ? 1 : 0),
        };

        publish(host, id, "topic", k, 1, f, sizeof f / sizeof *f);
    }
    for (i = 0; i < l.n_copies; i++) {
        free(l.copies[i]);
    }
    free(l.copies);
    free(l.v);
}

static void
report_plugins(struct px_host *host, uint64_t id)
{
    struct px_instance *inst;

    PX_LIST_FOR_EACH (inst, node, &host->instances) {
        const struct px_stats_label k[] = {{"plugin", inst->name}};
        const struct px_stats_field f[] = {
            PX_STATS_TEXT_FIELD("module", "Attributes of each plugin instance",
                                inst->conf->module),
            PX_STATS_TEXT_FIELD("version", NULL,
                                inst->module ? inst->module->version : ""),
            PX_STATS_GAUGE_FIELD("generation",
                                 "Times the instance has been initialised",
                                 inst->generation),
            PX_STATS_GAUGE_FIELD("loaded_since_seconds",
                                 "When the running generation started, "
                                 "seconds since the epoch",
                                 inst->loaded_since),
            PX_STATS_COUNTER_FIELD("reloads",
                                   "Reloads that restarted or reconfigured "
                                   "the instance",
                                   inst->reloads),
            PX_STATS_COUNTER_FIELD("reloads_refused",
                                   "Reloads of the instance that were "
                                   "refused",
                                   inst->reloads_refused),
        };

        publish(host, id, "plugin", k, 1, f, sizeof f / sizeof *f);
    }
}

static int
on_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_stats_collect *c = ev->payload;
    struct px_host *host = arg;

    (void)p;
    if (ev->len >= sizeof *c) {
        report_host(host, c->id);
        report_event_table(host, c->id);
        report_topics(host, c->id);
        report_plugins(host, c->id);
    }
    return PX_EVENT_CONTINUE;
}

int
px_stats_init(struct px_host *host)
{
    int error = px_bus_declare(host->bus, PX_HOST_OWNER, PX_TOPIC_STATS_REPORT,
                               PX_TOPIC_STATS_VERSION, &host->t_stats_report);

    if (!error) {
        error = px_bus_subscribe(
            host->bus, PX_HOST_OWNER, NULL, PX_TOPIC_STATS_COLLECT,
            PX_TOPIC_STATS_VERSION, PX_PRIO_DEFAULT, on_collect, host, NULL);
    }
    return error;
}
