/* The poll()-based test host; see loophost.h. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loophost.h"

/* Watchers, timers and deferred calls are records in singly linked lists.
 * A record released while the lists are being walked is only marked dead
 * and unlinked at the end of the pass, so that no walk meets freed
 * memory. */
struct px_io {
    struct px_io *next;
    int fd;
    int events; /* PX_IO_READ | PX_IO_WRITE. */
    int own_fd;
    int dead;
    int firing;
    px_io_fn fn;
    void *arg;
};

struct px_timer {
    struct px_timer *next;
    double at;
    double repeat;
    int dead;
    int firing;
    px_timer_fn fn;
    void *arg;
};

struct lh_defer {
    struct lh_defer *next;
    px_defer_fn fn;
    void *arg;
};

struct loophost {
    struct px_plugin plugin; /* First: the api's 'p' is the host. */
    struct px_host_api api;
    struct px_io *ios;
    struct px_timer *timers;
    struct lh_defer *defers, **defers_tail;
    unsigned int unexpected;
    unsigned int logs;
    int verbose;
};

static struct loophost *
lh_from(struct px_plugin *p)
{
    return (struct loophost *)(void *)p;
}

double
loophost_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------------- */
/* What the host serves.                                                  */

static int
lh_timer_start(struct px_plugin *p, double after, double repeat,
               px_timer_fn fn, void *arg, struct px_timer **out)
{
    struct loophost *lh = lh_from(p);
    struct px_timer *t;

    if (!fn || !(after >= 0) || !(repeat >= 0)) {
        return EINVAL;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        return ENOMEM;
    }
    t->at = loophost_now() + after;
    t->repeat = repeat;
    t->fn = fn;
    t->arg = arg;
    t->next = lh->timers;
    lh->timers = t;
    if (out) {
        *out = t;
    }
    return 0;
}

static void
lh_timer_stop(struct px_plugin *p, struct px_timer *t)
{
    (void)p;
    if (t) {
        t->dead = 1;
    }
}

static int
lh_io_start(struct px_plugin *p, int fd, int events, px_io_fn fn, void *arg,
            struct px_io **out)
{
    struct loophost *lh = lh_from(p);
    struct px_io *io;

    if (!fn || fd < 0 ||
        (events & ~(PX_IO_READ | PX_IO_WRITE | PX_IO_OWN_FD))) {
        return EINVAL;
    }
    io = calloc(1, sizeof *io);
    if (!io) {
        return ENOMEM;
    }
    io->fd = fd;
    io->events = events & (PX_IO_READ | PX_IO_WRITE);
    io->own_fd = !!(events & PX_IO_OWN_FD);
    io->fn = fn;
    io->arg = arg;
    io->next = lh->ios;
    lh->ios = io;
    if (out) {
        *out = io;
    }
    return 0;
}

static int
lh_io_modify(struct px_plugin *p, struct px_io *io, int events)
{
    (void)p;
    if (!io || io->dead || (events & ~(PX_IO_READ | PX_IO_WRITE))) {
        return EINVAL;
    }
    io->events = events;
    return 0;
}

static void
lh_io_stop(struct px_plugin *p, struct px_io *io)
{
    (void)p;
    if (!io || io->dead) {
        return;
    }
    io->dead = 1;
    /* The host closes an owned descriptor when it frees the watcher,
     * which for a firing one is after its callback: the same here. */
    if (io->own_fd && !io->firing) {
        close(io->fd);
        io->fd = -1;
    }
}

static int
lh_defer(struct px_plugin *p, px_defer_fn fn, void *arg)
{
    struct loophost *lh = lh_from(p);
    struct lh_defer *d;

    if (!fn) {
        return EINVAL;
    }
    d = calloc(1, sizeof *d);
    if (!d) {
        return ENOMEM;
    }
    d->fn = fn;
    d->arg = arg;
    *lh->defers_tail = d;
    lh->defers_tail = &d->next;
    return 0;
}

static double
lh_now(struct px_plugin *p)
{
    (void)p;
    return loophost_now();
}

static int
lh_log_enabled(struct px_plugin *p, enum px_log_level level)
{
    (void)p;
    (void)level;
    return 1;
}

static void
lh_vlog(struct px_plugin *p, enum px_log_level level, const char *fmt,
        va_list args)
{
    struct loophost *lh = lh_from(p);

    lh->logs++;
    if (lh->verbose) {
        fprintf(stderr, "loophost: log %d: ", (int)level);
        vfprintf(stderr, fmt, args);
        fputc('\n', stderr);
    }
}

/* ---------------------------------------------------------------------- */
/* What it does not: counted.                                             */

static unsigned int *lh_unexpected_sink;

#define LH_UNEXPECTED()                                                       \
    do {                                                                      \
        if (lh_unexpected_sink) {                                             \
            (*lh_unexpected_sink)++;                                          \
        }                                                                     \
    } while (0)

static int
lh_topic_declare(struct px_plugin *p, const char *topic, uint32_t version,
                 struct px_topic **out)
{
    (void)topic;
    (void)version;
    (void)out;
    lh_from(p)->unexpected++;
    return ENOSYS;
}

static int
lh_subscribe(struct px_plugin *p, const char *pattern, uint32_t min_version,
             int priority, px_event_fn fn, void *arg, struct px_sub **out)
{
    (void)pattern;
    (void)min_version;
    (void)priority;
    (void)fn;
    (void)arg;
    (void)out;
    lh_from(p)->unexpected++;
    return ENOSYS;
}

static void
lh_unsubscribe(struct px_plugin *p, struct px_sub *sub)
{
    (void)sub;
    lh_from(p)->unexpected++;
}

static int
lh_publish(struct px_plugin *p, struct px_topic *topic, const void *payload,
           size_t len)
{
    (void)topic;
    (void)payload;
    (void)len;
    lh_from(p)->unexpected++;
    return ENOSYS;
}

static int
lh_thread_start(struct px_plugin *p, px_thread_fn fn, void *arg,
                struct px_thread **out)
{
    (void)fn;
    (void)arg;
    (void)out;
    lh_from(p)->unexpected++;
    return ENOSYS;
}

static int
lh_thread_stopping(const struct px_thread *t)
{
    (void)t;
    LH_UNEXPECTED();
    return 1;
}

static void
lh_thread_join(struct px_plugin *p, struct px_thread *t)
{
    (void)t;
    lh_from(p)->unexpected++;
}

static int
lh_config_string(struct px_plugin *p, const char *key, const char **out)
{
    (void)key;
    (void)out;
    lh_from(p)->unexpected++;
    return ENOENT;
}

static int
lh_config_int(struct px_plugin *p, const char *key, long long *out)
{
    (void)key;
    (void)out;
    lh_from(p)->unexpected++;
    return ENOENT;
}

static int
lh_config_bool(struct px_plugin *p, const char *key, int *out)
{
    (void)key;
    (void)out;
    lh_from(p)->unexpected++;
    return ENOENT;
}

static int
lh_config_double(struct px_plugin *p, const char *key, double *out)
{
    (void)key;
    (void)out;
    lh_from(p)->unexpected++;
    return ENOENT;
}

static int
lh_config_path(struct px_plugin *p, const char *key, char *buf, size_t size)
{
    (void)key;
    (void)buf;
    (void)size;
    lh_from(p)->unexpected++;
    return ENOENT;
}

static int
lh_handoff_put_blob(struct px_plugin *p, const char *name, uint32_t version,
                    const void *data, size_t len)
{
    (void)name;
    (void)version;
    (void)data;
    (void)len;
    lh_from(p)->unexpected++;
    return ENOSYS;
}

static int
lh_handoff_get_blob(struct px_plugin *p, const char *name, uint32_t *version,
                    const void **data, size_t *len)
{
    (void)name;
    (void)version;
    (void)data;
    (void)len;
    lh_from(p)->unexpected++;
    return ENOENT;
}

static int
lh_handoff_put_fd(struct px_plugin *p, const char *name, int fd)
{
    (void)name;
    (void)fd;
    lh_from(p)->unexpected++;
    return ENOSYS;
}

static int
lh_handoff_take_fd(struct px_plugin *p, const char *name, int *fd)
{
    (void)name;
    (void)fd;
    lh_from(p)->unexpected++;
    return ENOENT;
}

static const char *
lh_instance_name(struct px_plugin *p)
{
    lh_from(p)->unexpected++;
    return "loophost";
}

static unsigned int
lh_generation(struct px_plugin *p)
{
    lh_from(p)->unexpected++;
    return 1;
}

static int
lh_command_register(struct px_plugin *p, const char *name, const char *usage,
                    const char *help, int min_args, int max_args,
                    px_command_fn fn, void *arg, struct px_command **out)
{
    (void)name;
    (void)usage;
    (void)help;
    (void)min_args;
    (void)max_args;
    (void)fn;
    (void)arg;
    (void)out;
    lh_from(p)->unexpected++;
    return ENOSYS;
}

static void
lh_command_unregister(struct px_plugin *p, struct px_command *c)
{
    (void)c;
    lh_from(p)->unexpected++;
}

static void
lh_reply_vprintf(struct px_reply *r, const char *fmt, va_list args)
{
    (void)r;
    (void)fmt;
    (void)args;
    LH_UNEXPECTED();
}

static int
lh_reply_json(struct px_reply *r, const char *json_text)
{
    (void)r;
    (void)json_text;
    LH_UNEXPECTED();
    return ENOSYS;
}

static void
lh_reply_verror(struct px_reply *r, const char *fmt, va_list args)
{
    (void)r;
    (void)fmt;
    (void)args;
    LH_UNEXPECTED();
}

/* ---------------------------------------------------------------------- */
/* The loop.                                                              */

struct loophost *
loophost_new(void)
{
    struct loophost *lh = calloc(1, sizeof *lh);

    if (!lh) {
        return NULL;
    }
    lh->api.abi_major = PX_ABI_MAJOR;
    lh->api.abi_minor = PX_ABI_MINOR;
    lh->api.size = sizeof lh->api;
    lh->api.topic_declare = lh_topic_declare;
    lh->api.subscribe = lh_subscribe;
    lh->api.unsubscribe = lh_unsubscribe;
    lh->api.publish = lh_publish;
    lh->api.publish_async = lh_publish;
    lh->api.timer_start = lh_timer_start;
    lh->api.timer_stop = lh_timer_stop;
    lh->api.io_start = lh_io_start;
    lh->api.io_modify = lh_io_modify;
    lh->api.io_stop = lh_io_stop;
    lh->api.defer = lh_defer;
    lh->api.thread_start = lh_thread_start;
    lh->api.thread_stopping = lh_thread_stopping;
    lh->api.thread_join = lh_thread_join;
    lh->api.now = lh_now;
    lh->api.config_string = lh_config_string;
    lh->api.config_int = lh_config_int;
    lh->api.config_bool = lh_config_bool;
    lh->api.config_double = lh_config_double;
    lh->api.config_path = lh_config_path;
    lh->api.log_enabled = lh_log_enabled;
    lh->api.vlog = lh_vlog;
    lh->api.handoff_put_blob = lh_handoff_put_blob;
    lh->api.handoff_get_blob = lh_handoff_get_blob;
    lh->api.handoff_put_fd = lh_handoff_put_fd;
    lh->api.handoff_take_fd = lh_handoff_take_fd;
    lh->api.instance_name = lh_instance_name;
    lh->api.generation = lh_generation;
    lh->api.command_register = lh_command_register;
    lh->api.command_unregister = lh_command_unregister;
    lh->api.reply_vprintf = lh_reply_vprintf;
    lh->api.reply_json = lh_reply_json;
    lh->api.reply_verror = lh_reply_verror;
    lh->plugin.api = &lh->api;
    lh->defers_tail = &lh->defers;
    lh->verbose = getenv("LOOPHOST_VERBOSE") != NULL;
    /* The few calls that get no instance handle count here. */
    lh_unexpected_sink = &lh->unexpected;
    return lh;
}

/* Frees the records marked dead. */
static void
lh_sweep(struct loophost *lh)
{
    struct px_io **iop = &lh->ios;
    struct px_timer **tp = &lh->timers;

    while (*iop) {
        struct px_io *io = *iop;

        if (io->dead && !io->firing) {
            *iop = io->next;
            if (io->own_fd && io->fd >= 0) {
                close(io->fd);
            }
            free(io);
        } else {
            iop = &io->next;
        }
    }
    while (*tp) {
        struct px_timer *t = *tp;

        if (t->dead && !t->firing) {
            *tp = t->next;
            free(t);
        } else {
            tp = &t->next;
        }
    }
}

void
loophost_free(struct loophost *lh)
{
    struct px_io *io;
    struct px_timer *t;

    if (!lh) {
        return;
    }
    for (io = lh->ios; io; io = io->next) {
        if (!io->dead && io->own_fd) {
            close(io->fd);
        }
        io->dead = 1;
        io->fd = -1;
    }
    for (t = lh->timers; t; t = t->next) {
        t->dead = 1;
    }
    lh_sweep(lh);
    while (lh->defers) {
        struct lh_defer *d = lh->defers;

        lh->defers = d->next;
        free(d);
    }
    if (lh_unexpected_sink == &lh->unexpected) {
        lh_unexpected_sink = NULL;
    }
    free(lh);
}

struct px_plugin *
loophost_plugin(struct loophost *lh)
{
    return &lh->plugin;
}

int
loophost_run_once(struct loophost *lh, double max_wait)
{
    struct pollfd fds[256];
    struct px_io *ios[256];
    struct px_io *io;
    struct px_timer *t;
    double now = loophost_now(), wait = max_wait;
    size_t n = 0, i;
    int ran = 0, timeout_ms;

    for (t = lh->timers; t; t = t->next) {
        if (!t->dead && t->at - now < wait) {
            wait = t->at - now;
        }
    }
    if (lh->defers || wait < 0) {
        wait = 0;
    }
    for (io = lh->ios; io && n < 256; io = io->next) {
        if (!io->dead && io->events) {
            fds[n].fd = io->fd;
            fds[n].events = (short)((io->events & PX_IO_READ ? POLLIN : 0) |
                                    (io->events & PX_IO_WRITE ? POLLOUT : 0));
            fds[n].revents = 0;
            ios[n++] = io;
        }
    }
    /* Round up, so that a timer due in 0.4 ms does not make a busy loop
     * of zero-timeout polls. */
    timeout_ms = (int)(wait * 1000.0 + 0.999);
    if (poll(fds, n, timeout_ms) < 0 && errno != EINTR) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        int revents = 0;

        io = ios[i];
        if (io->dead || !fds[i].revents) {
            continue;
        }
        /* Like libev: an error or hang-up wakes whatever the watcher is
         * armed for, and only that. */
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
            revents |= PX_IO_READ;
        }
        if (fds[i].revents & (POLLOUT | POLLHUP | POLLERR)) {
            revents |= PX_IO_WRITE;
        }
        revents &= io->events;
        if (!revents) {
            continue;
        }
        io->firing = 1;
        io->fn(&lh->plugin, io, io->fd, revents, io->arg);
        io->firing = 0;
        ran++;
    }
    now = loophost_now();
    for (t = lh->timers; t; t = t->next) {
        if (t->dead || t->at > now) {
            continue;
        }
        t->firing = 1;
        t->fn(&lh->plugin, t, t->arg);
        t->firing = 0;
        ran++;
        if (t->repeat > 0 && !t->dead) {
            t->at = now + t->repeat;
        } else {
            t->dead = 1;
        }
    }
    while (lh->defers) {
        struct lh_defer *d = lh->defers;

        lh->defers = d->next;
        if (!lh->defers) {
            lh->defers_tail = &lh->defers;
        }
        d->fn(&lh->plugin, d->arg);
        free(d);
        ran++;
    }
    lh_sweep(lh);
    return ran;
}

int
loophost_run_until(struct loophost *lh, int (*done)(void *arg), void *arg,
                   double timeout)
{
    double end = loophost_now() + timeout;

    while (!done(arg)) {
        double left = end - loophost_now();

        if (left <= 0) {
            return ETIMEDOUT;
        }
        loophost_run_once(lh, left < 0.05 ? left : 0.05);
    }
    return 0;
}

int
loophost_run_quiet(struct loophost *lh, int max_passes)
{
    int passes = 0;

    while (passes < max_passes) {
        passes++;
        if (!loophost_run_once(lh, 0)) {
            break;
        }
    }
    return passes;
}

void
loophost_run_for(struct loophost *lh, double seconds)
{
    double end = loophost_now() + seconds;
    double left;

    while ((left = end - loophost_now()) > 0) {
        loophost_run_once(lh, left);
    }
}

size_t
loophost_ios(const struct loophost *lh)
{
    const struct px_io *io;
    size_t n = 0;

    for (io = lh->ios; io; io = io->next) {
        n += !io->dead;
    }
    return n;
}

size_t
loophost_timers(const struct loophost *lh)
{
    const struct px_timer *t;
    size_t n = 0;

    for (t = lh->timers; t; t = t->next) {
        n += !t->dead;
    }
    return n;
}

unsigned int
loophost_unexpected(const struct loophost *lh)
{
    return lh->unexpected;
}

unsigned int
loophost_logs(const struct loophost *lh)
{
    return lh->logs;
}
