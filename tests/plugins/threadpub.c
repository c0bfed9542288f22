/*
 * threadpub: a test plugin for the thread-safe publish path.
 *
 * A thread publishes 'count' events on "test.async" as fast as it can; the
 * plugin's own subscriber counts what the loop delivers.  When every event
 * is accounted for (delivered + refused == count) it logs one line:
 *   threadpub done: sent=N delivered=D refused=R
 * which the integration test checks, with a small queue bound so that
 * refusals really happen.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "plexus/plugin.h"

struct threadpub {
    struct px_topic *topic;
    long long count;
    atomic_llong refused;
    atomic_int finished;
    long long delivered;
    long long last_seq;
    int order_ok;
    struct px_timer *check;
    struct px_thread *thread;
};

static const struct px_config_key threadpub_keys[] = {
    {.key = "count",
     .type = PX_CONFIG_INT,
     .default_value = "100000",
     .min = 1,
     .max = 100000000,
     .help = "events the thread publishes"},
    {.key = NULL},
};

static void
thread_main(struct px_thread *t, void *arg)
{
    struct px_plugin *p = arg;
    struct threadpub *tp = px_get_data(p);
    long long i;

    /* Logging from a thread is allowed; it reaches the console only. */
    px_info(p, "threadpub thread publishing %lld events", tp->count);
    for (i = 1; i <= tp->count && !px_thread_stopping(p, t); i++) {
        if (px_publish_async(p, tp->topic, &i, sizeof i)) {
            atomic_fetch_add(&tp->refused, 1);
        }
    }
    atomic_store(&tp->finished, 1);
}

static int
on_async(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct threadpub *tp = px_get_data(p);
    long long seq = *(const long long *)ev->payload;

    (void)arg;
    /* Sequence numbers must rise: the queue is FIFO. */
    if (seq <= tp->last_seq) {
        tp->order_ok = 0;
    }
    tp->last_seq = seq;
    tp->delivered++;
    return PX_EVENT_CONTINUE;
}

static void
on_check(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct threadpub *tp = px_get_data(p);
    long long refused = atomic_load(&tp->refused);

    (void)arg;
    if (atomic_load(&tp->finished) && tp->delivered + refused == tp->count) {
        px_info(p,
                "threadpub done: sent=%lld delivered=%lld refused=%lld "
                "order=%s",
                tp->count, tp->delivered, refused,
                tp->order_ok ? "fifo" : "broken");
        px_timer_stop(p, t);
        tp->check = NULL;
    }
}

static int
threadpub_init(struct px_plugin *p)
{
    struct threadpub *tp = calloc(1, sizeof *tp);
    int error;

    if (!tp) {
        return ENOMEM;
    }
    tp->order_ok = 1;
    px_set_data(p, tp);
    if ((error = px_config_int(p, "count", &tp->count)) ||
        (error = px_topic_declare(p, "test.async", 1, &tp->topic)) ||
        (error = px_subscribe(p, "test.async", 1, 0, on_async, NULL, NULL)) ||
        (error = px_timer_start(p, 0.01, 0.01, on_check, NULL, &tp->check)) ||
        (error = px_thread_start(p, thread_main, p, &tp->thread))) {
        free(tp);
        px_set_data(p, NULL);
        return error;
    }
    return 0;
}

static void
threadpub_fini(struct px_plugin *p)
{
    struct threadpub *tp = px_get_data(p);

    /* The thread reads 'tp': join it before freeing.  (The host would join
     * it after fini, which is too late for state fini frees.) */
    px_thread_join(p, tp->thread);
    free(tp);
}

PX_PLUGIN_DEFINE(.name = "threadpub", .version = "1.0",
                 .description = "test plugin: publishes from a thread",
                 .config_keys = threadpub_keys, .init = threadpub_init,
                 .fini = threadpub_fini);
