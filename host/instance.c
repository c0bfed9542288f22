/*
 * Plugin instances and the host function table; see instance.h.
 *
 * Every resource a plugin creates is a small record that points back at its
 * instance and sits on one of the instance's lists, so release is a walk of
 * those lists.  Watchers are freed in their own callbacks only through the
 * "firing" flag, never while libev or the wrapper still uses them.
 */
#include "instance.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

struct px_timer {
    ev_timer w;
    struct px_list node;
    struct px_instance *inst;
    px_timer_fn fn;
    void *arg;
    int firing;
    int stopped;
};

struct px_io {
    ev_io w;
    struct px_list node;
    struct px_instance *inst;
    px_io_fn fn;
    void *arg;
    int flags;
    int firing;
    int stopped;
};

struct px_deferred {
    struct px_list node; /* In host->deferred. */
    struct px_instance *inst;
    px_defer_fn fn;
    void *arg;
};

struct px_thread {
    struct px_list node;
    struct px_instance *inst;
    pthread_t tid;
    px_thread_fn fn;
    void *arg;
    atomic_int stop;
};

/* ---------------------------------------------------------------------- */
/* Records.                                                               */

int
px_instance_create(struct px_host *host, const struct px_conf_instance *conf,
                   struct px_instance **out)
{
    struct px_instance *inst = calloc(1, sizeof *inst);

    if (!inst) {
        return ENOMEM;
    }
    inst->plugin.api = &px_host_api_v1;
    inst->host = host;
    inst->name = strdup(conf->name);
    inst->conf = px_conf_instance_clone(conf);
    if (!inst->name || !inst->conf) {
        px_instance_destroy(inst);
        return ENOMEM;
    }
    inst->log_level = conf->log_level;
    px_list_init(&inst->node);
    px_list_init(&inst->timers);
    px_list_init(&inst->ios);
    px_list_init(&inst->threads);
    px_list_init(&inst->handoff);
    *out = inst;
    return 0;
}

void
px_instance_destroy(struct px_instance *inst)
{
    if (!inst) {
        return;
    }
    px_instance_clear_handoff(inst);
    px_conf_instance_free(inst->conf);
    free(inst->name);
    free(inst);
}

struct px_instance *
px_instance_find(struct px_host *host, const char *name)
{
    struct px_instance *inst;

    PX_LIST_FOR_EACH (inst, node, &host->instances) {
        if (!strcmp(inst->name, name)) {
            return inst;
        }
    }
    return NULL;
}

int
px_instance_set_conf(struct px_instance *inst,
                     const struct px_conf_instance *conf)
{
    struct px_conf_instance *c = px_conf_instance_clone(conf);

    if (!c) {
        return ENOMEM;
    }
    px_conf_instance_free(inst->conf);
    inst->conf = c;
    inst->log_level = conf->log_level;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Releasing.                                                             */

static void
timer_free(struct px_timer *t)
{
    ev_timer_stop(t->inst->host->loop, &t->w);
    px_list_remove(&t->node);
    free(t);
}

static void
io_free(struct px_io *io)
{
    ev_io_stop(io->inst->host->loop, &io->w);
    px_list_remove(&io->node);
    if (io->flags & PX_IO_OWN_FD) {
        close(io->w.fd);
    }
    free(io);
}

static void
thread_join(struct px_thread *t)
{
    atomic_store(&t->stop, 1);
    pthread_join(t->tid, NULL);
    px_list_remove(&t->node);
    free(t);
}

/* Releases everything the instance still holds; returns how many resources
 * there were. */
static size_t
release(struct px_instance *inst)
{
    struct px_host *host = inst->host;
    struct px_thread *th, *thn;
    struct px_timer *t, *tn;
    struct px_io *io, *ion;
    struct px_deferred *d, *dn;
    size_t n = 0;

    /* Threads first: once joined, no plugin code runs anywhere but in the
     * callbacks removed below. */
    PX_LIST_FOR_EACH_SAFE (th, thn, node, &inst->threads) {
        thread_join(th);
        n++;
    }
    n += px_bus_release_owner(host->bus, inst);
    n += px_ctl_release_owner(host->ctl, inst);
    PX_LIST_FOR_EACH_SAFE (t, tn, node, &inst->timers) {
        timer_free(t);
        n++;
    }
    PX_LIST_FOR_EACH_SAFE (io, ion, node, &inst->ios) {
        io_free(io);
        n++;
    }
    PX_LIST_FOR_EACH_SAFE (d, dn, node, &host->deferred) {
        if (d->inst == inst) {
            px_list_remove(&d->node);
            free(d);
            n++;
        }
    }
    return n;
}

void
px_instance_clear_handoff(struct px_instance *inst)
{
    struct px_handoff_item *it, *next;

    PX_LIST_FOR_EACH_SAFE (it, next, node, &inst->handoff) {
        px_list_remove(&it->node);
        if (it->fd >= 0) {
            close(it->fd);
        }
        free(it->name);
        free(it->data);
        free(it);
    }
}

int
px_instance_start(struct px_instance *inst, struct px_module *module)
{
    struct px_handoff_item *it;
    int error;

    /* After a failed try, the items are offered afresh to the next. */
    PX_LIST_FOR_EACH (it, node, &inst->handoff) {
        it->taken = 0;
    }
    inst->module = module;
    inst->generation++;
    inst->plugin.data = NULL;
    inst->in_init = 1;
    error = module->desc->init(&inst->plugin);
    inst->in_init = 0;
    if (error) {
        size_t left = release(inst);

        if (left) {
            PX_HLOG(PX_LOG_WARN,
                    "%s: released %zu resources left by its failed init",
                    inst->name, left);
        }
        inst->module = NULL;
        return error;
    }
    inst->running = 1;
    inst->loaded_since = px_wall_now();
    PX_LIST_FOR_EACH (it, node, &inst->handoff) {
        if (!it->taken) {
            PX_HLOG(PX_LOG_DEBUG, "%s: handoff item '%s' not taken",
                    inst->name, it->name);
        }
    }
    /* The new generation has its copies (fds are dup()ed on take). */
    px_instance_clear_handoff(inst);
    return 0;
}

size_t
px_instance_stop(struct px_instance *inst)
{
    size_t left;

    if (!inst->running) {
        return 0;
    }
    /* Items from an earlier generation that nobody took are stale. */
    px_instance_clear_handoff(inst);
    if (inst->module->desc->fini) {
        inst->in_fini = 1;
        inst->module->desc->fini(&inst->plugin);
        inst->in_fini = 0;
    }
    inst->running = 0;
    left = release(inst);
    if (left) {
        PX_HLOG(PX_LOG_DEBUG,
                "%s: released %zu resources its fini left behind", inst->name,
                left);
    }
    return left;
}

/* ---------------------------------------------------------------------- */
/* Deferred calls.                                                        */

void
px_instance_run_deferred(struct px_host *host)
{
    struct px_list batch;
    struct px_deferred *d;

    /* Calls deferred by these callbacks run on the next loop pass, so a
     * plugin that keeps deferring cannot starve I/O. */
    px_list_move(&batch, &host->deferred);
    while (!px_list_is_empty(&batch)) {
        d = PX_CONTAINER_OF(batch.next, struct px_deferred, node);
        px_list_remove(&d->node);
        d->fn(&d->inst->plugin, d->arg);
        free(d);
        /* An unload inside d->fn cannot happen (reload runs from the signal
         * watcher, not from plugin code), so the rest of the batch is
         * valid. */
    }
}

static int
api_defer(struct px_plugin *p, px_defer_fn fn, void *arg)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    struct px_host *host = inst->host;
    struct px_deferred *d;

    if (!fn) {
        return EINVAL;
    }
    d = calloc(1, sizeof *d);
    if (!d) {
        return ENOMEM;
    }
    d->inst = inst;
    d->fn = fn;
    d->arg = arg;
    /* The host's prepare watcher runs it at the end of this loop pass. */
    px_list_push_back(&host->deferred, &d->node);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Events.                                                                */

static int
api_topic_declare(struct px_plugin *p, const char *topic, uint32_t version,
                  struct px_topic **out)
{
    struct px_instance *inst = px_instance_from_plugin(p);

    return px_bus_declare(inst->host->bus, inst, topic, version, out);
}

static int
api_subscribe(struct px_plugin *p, const char *pattern, uint32_t min_version,
              int priority, px_event_fn fn, void *arg, struct px_sub **out)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    int error = px_bus_subscribe(inst->host->bus, inst, p, pattern,
                                 min_version, priority, fn, arg, out);

    /* A misspelt topic ("openflow.packet_inn") would otherwise just never
     * deliver; the control socket's "status" lists such topics too. */
    if (!error && !strchr(pattern, '*') &&
        !px_bus_declared(inst->host->bus, pattern)) {
        PX_HLOG(PX_LOG_DEBUG,
                "%s: subscribed to '%s': no publisher has declared topic "
                "'%s' (yet)",
                inst->name, pattern, pattern);
    }
    return error;
}

static void
api_unsubscribe(struct px_plugin *p, struct px_sub *sub)
{
    px_bus_unsubscribe(px_instance_from_plugin(p)->host->bus, sub);
}

static int
api_publish(struct px_plugin *p, struct px_topic *topic, const void *payload,
            size_t len)
{
    struct px_instance *inst = px_instance_from_plugin(p);

    return px_bus_publish(inst->host->bus, topic, inst->name, payload, len,
                          NULL);
}

static int
api_publish_async(struct px_plugin *p, struct px_topic *topic,
                  const void *payload, size_t len)
{
    struct px_instance *inst = px_instance_from_plugin(p);

    return px_bus_publish_async(inst->host->bus, topic, inst->name, payload,
                                len);
}

/* ---------------------------------------------------------------------- */
/* Timers and I/O.                                                        */

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct px_timer *t = PX_CONTAINER_OF(w, struct px_timer, w);

    (void)loop;
    (void)revents;
    t->firing = 1;
    t->fn(&t->inst->plugin, t, t->arg);
    t->firing = 0;
    /* A one-shot timer is done once it has fired. */
    if (t->stopped || !ev_is_active(&t->w)) {
        timer_free(t);
    }
}

static int
api_timer_start(struct px_plugin *p, double after, double repeat,
                px_timer_fn fn, void *arg, struct px_timer **out)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    struct px_timer *t;

    if (!fn || after < 0 || repeat < 0) {
        return EINVAL;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        return ENOMEM;
    }
    t->inst = inst;
    t->fn = fn;
    t->arg = arg;
    ev_timer_init(&t->w, timer_cb, after, repeat);
    ev_timer_start(inst->host->loop, &t->w);
    px_list_push_back(&inst->timers, &t->node);
    if (out) {
        *out = t;
    }
    return 0;
}

static void
api_timer_stop(struct px_plugin *p, struct px_timer *t)
{
    (void)p;
    if (!t) {
        return;
    }
    if (t->firing) {
        t->stopped = 1;
        ev_timer_stop(t->inst->host->loop, &t->w);
    } else {
        timer_free(t);
    }
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct px_io *io = PX_CONTAINER_OF(w, struct px_io, w);
    int events = (revents & EV_READ ? PX_IO_READ : 0) |
                 (revents & EV_WRITE ? PX_IO_WRITE : 0);

    (void)loop;
    io->firing = 1;
    io->fn(&io->inst->plugin, io, io->w.fd, events, io->arg);
    io->firing = 0;
    if (io->stopped) {
        io_free(io);
    }
}

static int
ev_events(int events)
{
    return (events & PX_IO_READ ? EV_READ : 0) |
           (events & PX_IO_WRITE ? EV_WRITE : 0);
}

static int
api_io_start(struct px_plugin *p, int fd, int events, px_io_fn fn, void *arg,
             struct px_io **out)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    struct px_io *io;

    if (!fn || fd < 0 ||
        (events & ~(PX_IO_READ | PX_IO_WRITE | PX_IO_OWN_FD))) {
        return EINVAL;
    }
    io = calloc(1, sizeof *io);
    if (!io) {
        return ENOMEM;
    }
    io->inst = inst;
    io->fn = fn;
    io->arg = arg;
    io->flags = events & PX_IO_OWN_FD;
    ev_io_init(&io->w, io_cb, fd, ev_events(events));
    if (ev_events(events)) {
        ev_io_start(inst->host->loop, &io->w);
    }
    px_list_push_back(&inst->ios, &io->node);
    if (out) {
        *out = io;
    }
    return 0;
}

static int
api_io_modify(struct px_plugin *p, struct px_io *io, int events)
{
    struct ev_loop *loop = px_instance_from_plugin(p)->host->loop;

    if (!io || io->stopped || (events & ~(PX_IO_READ | PX_IO_WRITE))) {
        return EINVAL;
    }
    if ((io->w.events & (EV_READ | EV_WRITE)) == ev_events(events) &&
        (ev_is_active(&io->w) || !events)) {
        return 0;
    }
    ev_io_stop(loop, &io->w);
    ev_io_set(&io->w, io->w.fd, ev_events(events));
    if (events) {
        ev_io_start(loop, &io->w);
    }
    return 0;
}

static void
api_io_stop(struct px_plugin *p, struct px_io *io)
{
    (void)p;
    if (!io || io->stopped) {
        return;
    }
    if (io->firing) {
        io->stopped = 1;
        ev_io_stop(io->inst->host->loop, &io->w);
    } else {
        io_free(io);
    }
}

/* ---------------------------------------------------------------------- */
/* Threads.                                                               */

static void *
thread_main(void *arg)
{
    struct px_thread *t = arg;

    t->fn(t, t->arg);
    return NULL;
}

static int
api_thread_start(struct px_plugin *p, px_thread_fn fn, void *arg,
                 struct px_thread **out)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    struct px_thread *t;
    int error;

    if (!fn) {
        return EINVAL;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        return ENOMEM;
    }
    t->inst = inst;
    t->fn = fn;
    t->arg = arg;
    atomic_init(&t->stop, 0);
    error = pthread_create(&t->tid, NULL, thread_main, t);
    if (error) {
        free(t);
        return error;
    }
    px_list_push_back(&inst->threads, &t->node);
    if (out) {
        *out = t;
    }
    return 0;
}

static int
api_thread_stopping(const struct px_thread *t)
{
    return atomic_load(&((struct px_thread *)t)->stop);
}

static void
api_thread_join(struct px_plugin *p, struct px_thread *t)
{
    (void)p;
    if (t) {
        thread_join(t);
    }
}

static double
api_now(struct px_plugin *p)
{
    return ev_now(px_instance_from_plugin(p)->host->loop);
}

/* ---------------------------------------------------------------------- */
/* Configuration.                                                         */

/* Looks 'key' up and converts it.  Problems are logged with file and line,
 * because a getter's caller usually just fails its init. */
static int
config_get(struct px_plugin *p, const char *key, enum px_config_type type,
           const char **s, long long *i, double *d, int *b)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    const struct px_config_key *spec;
    const char *value;
    char why[256];
    int line = 0, error;

    error = px_conf_lookup(inst->conf, inst->module->desc->config_keys, key,
                           &spec, &value, &line);
    if (error) {
        PX_HLOG(PX_LOG_ERROR,
                "%s: asked for key '%s', which module '%s' does not declare",
                inst->name, key, inst->conf->module);
        return error;
    }
    if (px_conf_getter_type(spec->type) != type) {
        PX_HLOG(PX_LOG_ERROR,
                "%s: key '%s' is declared with another type than asked",
                inst->name, key);
        return EINVAL;
    }
    error = px_conf_convert(spec, value, i, d, b, why, sizeof why);
    if (error) {
        if (line) {
            PX_HLOG(PX_LOG_ERROR, "%s:%d: %s: %s", inst->conf->file, line, key,
                    why);
        } else {
            PX_HLOG(PX_LOG_ERROR, "%s: default of '%s': %s", inst->name, key,
                    why);
        }
        return error;
    }
    if (s) {
        *s = value;
    }
    return 0;
}

static int
api_config_string(struct px_plugin *p, const char *key, const char **out)
{
    return config_get(p, key, PX_CONFIG_STRING, out, NULL, NULL, NULL);
}

static int
api_config_int(struct px_plugin *p, const char *key, long long *out)
{
    return config_get(p, key, PX_CONFIG_INT, NULL, out, NULL, NULL);
}

static int
api_config_bool(struct px_plugin *p, const char *key, int *out)
{
    return config_get(p, key, PX_CONFIG_BOOL, NULL, NULL, NULL, out);
}

static int
api_config_double(struct px_plugin *p, const char *key, double *out)
{
    return config_get(p, key, PX_CONFIG_DOUBLE, NULL, NULL, out, NULL);
}

static int
api_config_path(struct px_plugin *p, const char *key, char *buf, size_t size)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    const char *value;
    char *path;
    int error = api_config_string(p, key, &value);

    if (error) {
        return error;
    }
    path = px_path_resolve(inst->host->conf_dir, value);
    if (!path) {
        return ENOMEM;
    }
    if (strlen(path) >= size) {
        free(path);
        return ENAMETOOLONG;
    }
    strcpy(buf, path);
    free(path);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Logging.                                                               */

static int
api_log_enabled(struct px_plugin *p, enum px_log_level level)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    int max = inst->log_level >= 0 ? inst->log_level : px_log_get_level();

    return (int)level <= max;
}

static void
api_vlog(struct px_plugin *p, enum px_log_level level, const char *fmt,
         va_list args)
{
    px_log_vemit(level, px_instance_from_plugin(p)->name, fmt, args);
}

/* ---------------------------------------------------------------------- */
/* Handoff.                                                               */

/* Blobs and descriptors have a namespace each, so a plugin can hand off
 * "conn.3" as both its state and its socket. */
static struct px_handoff_item *
handoff_find(struct px_instance *inst, const char *name, int is_fd)
{
    struct px_handoff_item *it;

    PX_LIST_FOR_EACH (it, node, &inst->handoff) {
        if ((it->fd >= 0) == is_fd && !strcmp(it->name, name)) {
            return it;
        }
    }
    return NULL;
}

static int
handoff_put(struct px_instance *inst, const char *name, int fd,
            uint32_t version, const void *data, size_t len)
{
    struct px_handoff_item *it;

    if (!inst->in_fini) {
        PX_HLOG(PX_LOG_ERROR, "%s: handoff items can only be left in fini",
                inst->name);
        return EPERM;
    }
    if (handoff_find(inst, name, fd >= 0)) {
        return EEXIST;
    }
    it = calloc(1, sizeof *it);
    if (!it || !(it->name = strdup(name))) {
        free(it);
        return ENOMEM;
    }
    it->fd = fd;
    it->version = version;
    if (len) {
        it->data = malloc(len);
        if (!it->data) {
            free(it->name);
            free(it);
            return ENOMEM;
        }
        memcpy(it->data, data, len);
    }
    it->len = len;
    px_list_push_back(&inst->handoff, &it->node);
    return 0;
}

static int
api_handoff_put_blob(struct px_plugin *p, const char *name, uint32_t version,
                     const void *data, size_t len)
{
    return handoff_put(px_instance_from_plugin(p), name, -1, version, data,
                       len);
}

static int
api_handoff_put_fd(struct px_plugin *p, const char *name, int fd)
{
    if (fd < 0) {
        return EBADF;
    }
    /* The host now owns 'fd': it closes it if no generation takes it. */
    return handoff_put(px_instance_from_plugin(p), name, fd, 0, NULL, 0);
}

static int
api_handoff_get_blob(struct px_plugin *p, const char *name, uint32_t *version,
                     const void **data, size_t *len)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    struct px_handoff_item *it;

    if (!inst->in_init) {
        return EPERM;
    }
    it = handoff_find(inst, name, 0);
    if (!it) {
        return ENOENT;
    }
    *version = it->version;
    *data = it->data;
    *len = it->len;
    it->taken = 1;
    return 0;
}

static int
api_handoff_take_fd(struct px_plugin *p, const char *name, int *fd)
{
    struct px_instance *inst = px_instance_from_plugin(p);
    struct px_handoff_item *it;
    int copy;

    if (!inst->in_init) {
        return EPERM;
    }
    it = handoff_find(inst, name, 1);
    if (!it) {
        return ENOENT;
    }
    /* A duplicate, so that the original survives for a rollback if this
     * init fails; the host closes the original once init succeeds. */
    copy = fcntl(it->fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        return errno;
    }
    *fd = copy;
    it->taken = 1;
    return 0;
}

static const char *
api_instance_name(struct px_plugin *p)
{
    return px_instance_from_plugin(p)->name;
}

static unsigned int
api_generation(struct px_plugin *p)
{
    return px_instance_from_plugin(p)->generation;
}

/* ---------------------------------------------------------------------- */
/* Commands on the control socket (ctl.c).                                */

static int
api_command_register(struct px_plugin *p, const char *name, const char *usage,
                     const char *help, int min_args, int max_args,
                     px_command_fn fn, void *arg, struct px_command **out)
{
    struct px_instance *inst = px_instance_from_plugin(p);

    return px_ctl_command_register(inst->host->ctl, inst, name, usage, help,
                                   min_args, max_args, fn, arg, out);
}

static void
api_command_unregister(struct px_plugin *p, struct px_command *c)
{
    px_ctl_command_unregister(px_instance_from_plugin(p)->host->ctl, c);
}

static const char *
api_run_dir(struct px_plugin *p)
{
    return px_instance_from_plugin(p)->host->run_dir;
}

static int
api_command_call(struct px_plugin *p, int argc, const char *const *argv,
                 char **result)
{
    return px_ctl_call(px_instance_from_plugin(p)->host->ctl, argc, argv,
                       result);
}

static int
api_reload_request(struct px_plugin *p, unsigned int *reload_id)
{
    px_host_request_reload(px_instance_from_plugin(p)->host, reload_id);
    return 0;
}

static int
api_stopping(struct px_plugin *p)
{
    return px_instance_from_plugin(p)->host->stopping;
}

const struct px_host_api px_host_api_v1 = {
    .abi_major = PX_ABI_MAJOR,
    .abi_minor = PX_ABI_MINOR,
    .size = sizeof(struct px_host_api),
    .topic_declare = api_topic_declare,
    .subscribe = api_subscribe,
    .unsubscribe = api_unsubscribe,
    .publish = api_publish,
    .publish_async = api_publish_async,
    .timer_start = api_timer_start,
    .timer_stop = api_timer_stop,
    .io_start = api_io_start,
    .io_modify = api_io_modify,
    .io_stop = api_io_stop,
    .defer = api_defer,
    .thread_start = api_thread_start,
    .thread_stopping = api_thread_stopping,
    .thread_join = api_thread_join,
    .now = api_now,
    .config_string = api_config_string,
    .config_int = api_config_int,
    .config_bool = api_config_bool,
    .config_double = api_config_double,
    .config_path = api_config_path,
    .log_enabled = api_log_enabled,
    .vlog = api_vlog,
    .handoff_put_blob = api_handoff_put_blob,
    .handoff_get_blob = api_handoff_get_blob,
    .handoff_put_fd = api_handoff_put_fd,
    .handoff_take_fd = api_handoff_take_fd,
    .instance_name = api_instance_name,
    .generation = api_generation,
    .command_register = api_command_register,
    .command_unregister = api_command_unregister,
    .reply_vprintf = px_ctl_reply_vprintf,
    .reply_json = px_ctl_reply_json,
    .reply_verror = px_ctl_reply_verror,
    .run_dir = api_run_dir,
    .command_call = api_command_call,
    .reload_request = api_reload_request,
    .stopping = api_stopping,
};
