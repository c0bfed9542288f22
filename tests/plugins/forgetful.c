/*
 * forgetful: a test plugin whose fini releases nothing.
 *
 * init creates one of every resource the host hands out: a subscription to
 * every topic, a fast repeating timer, an fd watcher on each end of a pipe
 * (host-owned fds), a deferred call that re-arms itself, and a thread that
 * publishes from outside the loop until told to stop.  fini does nothing.
 * After an unload, any callback the host failed to release would jump into
 * unmapped code and crash plexusd; the integration test checks that it
 * keeps running and that the object is gone from its memory map.
 */
#include <errno.h>
#include <unistd.h>

#include "plexus/plugin.h"

static struct px_topic *tick_topic;

static int
on_any(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    (void)p;
    (void)ev;
    (void)arg;
    return PX_EVENT_CONTINUE;
}

static void
on_timer(struct px_plugin *p, struct px_timer *t, void *arg)
{
    static unsigned long n;

    (void)t;
    (void)arg;
    if (++n % 100 == 1) {
        px_info(p, "forgetful timer %lu", n);
    }
}

static void
on_io(struct px_plugin *p, struct px_io *io, int fd, int revents, void *arg)
{
    char buf[64];

    (void)p;
    (void)io;
    (void)revents;
    (void)arg;
    while (read(fd, buf, sizeof buf) > 0) {
        continue;
    }
}

static void
on_defer(struct px_plugin *p, void *arg)
{
    static unsigned long n;

    (void)arg;
    /* Re-arm at a modest rate (every 100th pass through the timer would be
     * better, but a chain of deferred calls is the resource under test). */
    if (++n < 1000000) {
        px_defer(p, on_defer, NULL);
    }
}

static void
thread_main(struct px_thread *t, void *arg)
{
    struct px_plugin *p = arg;
    unsigned long n = 0;

    while (!px_thread_stopping(p, t)) {
        n++;
        px_publish_async(p, tick_topic, &n, sizeof n);
        usleep(1000);
    }
}

static int
forgetful_init(struct px_plugin *p)
{
    int fds[2], error;

    if (pipe(fds)) {
        return errno;
    }
    if ((error = px_topic_declare(p, "test.forgetful", 1, &tick_topic)) ||
        (error = px_subscribe(p, "*", 0, 0, on_any, NULL, NULL)) ||
        (error = px_timer_start(p, 0.001, 0.001, on_timer, NULL, NULL)) ||
        (error = px_io_start(p, fds[0], PX_IO_READ | PX_IO_OWN_FD, on_io, NULL,
                             NULL))) {
        close(fds[0]);
        close(fds[1]);
        return error;
    }
    if ((error = px_io_start(p, fds[1], PX_IO_OWN_FD, on_io, NULL, NULL))) {
        close(fds[1]);
        return error;
    }
    if ((error = px_defer(p, on_defer, NULL)) ||
        (error = px_thread_start(p, thread_main, p, NULL))) {
        return error;
    }
    px_info(p, "forgetful armed: subscription, timer, 2 fd watchers, "
               "deferred call, thread");
    return 0;
}

static void
forgetful_fini(struct px_plugin *p)
{
    /* Deliberately nothing: the host must clean up. */
    px_info(p, "forgetful fini: leaving everything to the host");
}

PX_PLUGIN_DEFINE(.name = "forgetful", .version = "1.0",
                 .description = "test plugin: fini forgets everything",
                 .init = forgetful_init, .fini = forgetful_fini);
