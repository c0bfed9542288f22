/*
 * initfail: a test plugin whose init creates resources and then fails.
 * The host must refuse it with the error, release the timer and the
 * subscription it left, and keep everything else running.
 */
#include <errno.h>

#include "plexus/plugin.h"

static void
on_timer(struct px_plugin *p, struct px_timer *t, void *arg)
{
    (void)t;
    (void)arg;
    px_error(p, "initfail timer fired after a failed init");
}

static int
on_any(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    (void)ev;
    (void)arg;
    px_error(p, "initfail subscriber called after a failed init");
    return PX_EVENT_CONTINUE;
}

static int
initfail_init(struct px_plugin *p)
{
    px_timer_start(p, 0.001, 0.001, on_timer, NULL, NULL);
    px_subscribe(p, "*", 0, 0, on_any, NULL, NULL);
    return EIO;
}

PX_PLUGIN_DEFINE(.name = "initfail", .version = "1.0",
                 .description = "test plugin: init fails",
                 .init = initfail_init);
