/* The fake host for plugin unit tests; see fakehost.h. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakehost.h"

unsigned int fake_unexpected_calls;
struct fake_host fake_instances[FAKE_MAX_INSTANCES];
size_t fake_n_instances;

static struct fake_host *
fake_from_plugin(struct px_plugin *p)
{
    return (struct fake_host *)(void *)((char *)p -
                                        offsetof(struct fake_host, plugin));
}

const struct px_config_key *
fake_schema_key(const struct px_plugin_descriptor *desc, const char *key)
{
    const struct px_config_key *k;

    for (k = desc->config_keys; k && k->key; k++) {
        if (!strcmp(k->key, key)) {
            return k;
        }
    }
    return NULL;
}

static int
fake_subscribe(struct px_plugin *p, const char *pattern, uint32_t min_version,
               int priority, px_event_fn fn, void *arg, struct px_sub **out)
{
    struct fake_host *fh = fake_from_plugin(p);
    struct fake_sub *s;

    if (!pattern || !fn) {
        return EINVAL;
    }
    if (fh->subscribe_error) {
        return fh->subscribe_error;
    }
    if (fh->n_subs == FAKE_MAX_SUBS) {
        return ENOMEM;
    }
    s = &fh->subs[fh->n_subs++];
    s->pattern = strdup(pattern);
    assert_non_null(s->pattern);
    s->min_version = min_version;
    s->priority = priority;
    s->fn = fn;
    s->arg = arg;
    s->live = 1;
    if (out) {
        *out = (struct px_sub *)(void *)s;
    }
    return 0;
}

static void
fake_unsubscribe(struct px_plugin *p, struct px_sub *sub)
{
    struct fake_sub *s = (struct fake_sub *)(void *)sub;

    (void)p;
    if (s) {
        s->live = 0;
    }
}

static double
fake_now(struct px_plugin *p)
{
    (void)p;
    return FAKE_NOW;
}

/* Like the host: a key must be in the schema; absent from the section, it
 * takes the schema's default. */
static int
fake_config_string(struct px_plugin *p, const char *key, const char **out)
{
    struct fake_host *fh = fake_from_plugin(p);
    const struct px_config_key *spec = fake_schema_key(fh->desc, key);
    size_t i;

    if (!spec || spec->type != PX_CONFIG_STRING) {
        fake_unexpected_calls++;
        return ENOENT;
    }
    for (i = 0; i < fh->n_kvs; i++) {
        if (!strcmp(fh->keys[i], key)) {
            *out = fh->values[i];
            return 0;
        }
    }
    *out = spec->default_value ? spec->default_value : "";
    return 0;
}

static int
fake_config_path(struct px_plugin *p, const char *key, char *buf, size_t size)
{
    struct fake_host *fh = fake_from_plugin(p);
    const char *value;
    int error = fake_config_string(p, key, &value);
    int n;

    if (error) {
        return error;
    }
    n = value[0] == '/' ? snprintf(buf, size, "%s", value)
                        : snprintf(buf, size, "%s/%s", fh->dir, value);
    return n < 0 || (size_t)n >= size ? ENAMETOOLONG : 0;
}

static int
fake_log_enabled(struct px_plugin *p, enum px_log_level level)
{
    (void)p;
    (void)level;
    return 1; /* Capture everything; the tests decide what matters. */
}

static void
fake_vlog(struct px_plugin *p, enum px_log_level level, const char *fmt,
          va_list args)
{
    struct fake_host *fh = fake_from_plugin(p);
    struct fake_log *l;

    if (fh->n_logs == FAKE_MAX_LOGS) {
        return;
    }
    l = &fh->logs[fh->n_logs++];
    l->level = level;
    vsnprintf(l->text, sizeof l->text, fmt, args);
}

struct fake_handoff_item *
fake_handoff_find(struct fake_handoff_store *st, const char *name)
{
    size_t i;

    for (i = 0; i < st->n; i++) {
        if (!strcmp(st->items[i].name, name)) {
            return &st->items[i];
        }
    }
    return NULL;
}

static int
handoff_put(struct fake_host *fh, const char *name, int fd, uint32_t version,
            const void *data, size_t len)
{
    struct fake_handoff_store *st = fh->handoff;
    struct fake_handoff_item *it;

    if (!fh->in_fini) {
        fake_unexpected_calls++;
        return EPERM;
    }
    if (fake_handoff_find(st, name)) {
        return EEXIST;
    }
    if (st->n == FAKE_MAX_ITEMS) {
        return ENOMEM;
    }
    it = &st->items[st->n++];
    it->name = strdup(name);
    assert_non_null(it->name);
    it->fd = fd;
    it->version = version;
    it->data = NULL;
    it->len = len;
    if (len) {
        it->data = malloc(len);
        assert_non_null(it->data);
        memcpy(it->data, data, len);
    }
    return 0;
}

static int
fake_handoff_put_blob(struct px_plugin *p, const char *name, uint32_t version,
                      const void *data, size_t len)
{
    return handoff_put(fake_from_plugin(p), name, -1, version, data, len);
}

static int
fake_handoff_put_fd(struct px_plugin *p, const char *name, int fd)
{
    if (fd < 0) {
        return EBADF;
    }
    return handoff_put(fake_from_plugin(p), name, fd, 0, NULL, 0);
}

static int
fake_handoff_get_blob(struct px_plugin *p, const char *name, uint32_t *version,
                      const void **data, size_t *len)
{
    struct fake_host *fh = fake_from_plugin(p);
    struct fake_handoff_item *it;

    if (!fh->in_init) {
        fake_unexpected_calls++;
        return EPERM;
    }
    it = fake_handoff_find(fh->handoff, name);
    if (!it || it->fd >= 0) {
        return ENOENT;
    }
    *version = it->version;
    *data = it->data;
    *len = it->len;
    return 0;
}

/* A duplicate, as in the host: the original stays in the store (for a
 * rollback should init fail) until the store is cleared. */
static int
fake_handoff_take_fd(struct px_plugin *p, const char *name, int *fd)
{
    struct fake_host *fh = fake_from_plugin(p);
    struct fake_handoff_item *it;
    int copy;

    if (!fh->in_init) {
        fake_unexpected_calls++;
        return EPERM;
    }
    it = fake_handoff_find(fh->handoff, name);
    if (!it || it->fd < 0) {
        return ENOENT;
    }
    copy = fcntl(it->fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        return errno;
    }
    *fd = copy;
    return 0;
}

static const char *
fake_instance_name(struct px_plugin *p)
{
    return fake_from_plugin(p)->name;
}

static unsigned int
fake_generation(struct px_plugin *p)
{
    return fake_from_plugin(p)->generation;
}

/* The calls below are not served: the plugins tested against this fake
 * so far have no business making them, so each is counted in
 * fake_unexpected_calls (which teardowns check) rather than crashing. */
static int
bad_topic_declare(struct px_plugin *p, const char *topic, uint32_t version,
                  struct px_topic **out)
{
    (void)p, (void)topic, (void)version, (void)out;
    fake_unexpected_calls++;
    return ENOSYS;
}

static int
bad_publish(struct px_plugin *p, struct px_topic *topic, const void *payload,
            size_t len)
{
    (void)p, (void)topic, (void)payload, (void)len;
    fake_unexpected_calls++;
    return ENOSYS;
}

static int
bad_timer_start(struct px_plugin *p, double after, double repeat,
                px_timer_fn fn, void *arg, struct px_timer **out)
{
    (void)p, (void)after, (void)repeat, (void)fn, (void)arg, (void)out;
    fake_unexpected_calls++;
    return ENOSYS;
}

static void
bad_timer_stop(struct px_plugin *p, struct px_timer *t)
{
    (void)p, (void)t;
    fake_unexpected_calls++;
}

static int
bad_io_start(struct px_plugin *p, int fd, int events, px_io_fn fn, void *arg,
             struct px_io **out)
{
    (void)p, (void)fd, (void)events, (void)fn, (void)arg, (void)out;
    fake_unexpected_calls++;
    return ENOSYS;
}

static int
bad_io_modify(struct px_plugin *p, struct px_io *io, int events)
{
    (void)p, (void)io, (void)events;
    fake_unexpected_calls++;
    return ENOSYS;
}

static void
bad_io_stop(struct px_plugin *p, struct px_io *io)
{
    (void)p, (void)io;
    fake_unexpected_calls++;
}

static int
bad_defer(struct px_plugin *p, px_defer_fn fn, void *arg)
{
    (void)p, (void)fn, (void)arg;
    fake_unexpected_calls++;
    return ENOSYS;
}

static int
bad_thread_start(struct px_plugin *p, px_thread_fn fn, void *arg,
                 struct px_thread **out)
{
    (void)p, (void)fn, (void)arg, (void)out;
    fake_unexpected_calls++;
    return ENOSYS;
}

static int
bad_thread_stopping(const struct px_thread *t)
{
    (void)t;
    fake_unexpected_calls++;
    return 1;
}

static void
bad_thread_join(struct px_plugin *p, struct px_thread *t)
{
    (void)p, (void)t;
    fake_unexpected_calls++;
}

static int
bad_config_int(struct px_plugin *p, const char *key, long long *out)
{
    (void)p, (void)key, (void)out;
    fake_unexpected_calls++;
    return ENOENT;
}

static int
bad_config_bool(struct px_plugin *p, const char *key, int *out)
{
    (void)p, (void)key, (void)out;
    fake_unexpected_calls++;
    return ENOENT;
}

static int
bad_config_double(struct px_plugin *p, const char *key, double *out)
{
    (void)p, (void)key, (void)out;
    fake_unexpected_calls++;
    return ENOENT;
}

static const struct px_host_api fake_api = {
    .abi_major = PX_ABI_MAJOR,
    .abi_minor = PX_ABI_MINOR,
    .size = sizeof(struct px_host_api),
    .topic_declare = bad_topic_declare,
    .subscribe = fake_subscribe,
    .unsubscribe = fake_unsubscribe,
    .publish = bad_publish,
    .publish_async = bad_publish,
    .timer_start = bad_timer_start,
    .timer_stop = bad_timer_stop,
    .io_start = bad_io_start,
    .io_modify = bad_io_modify,
    .io_stop = bad_io_stop,
    .defer = bad_defer,
    .thread_start = bad_thread_start,
    .thread_stopping = bad_thread_stopping,
    .thread_join = bad_thread_join,
    .now = fake_now,
    .config_string = fake_config_string,
    .config_int = bad_config_int,
    .config_bool = bad_config_bool,
    .config_double = bad_config_double,
    .config_path = fake_config_path,
    .log_enabled = fake_log_enabled,
    .vlog = fake_vlog,
    .handoff_put_blob = fake_handoff_put_blob,
    .handoff_get_blob = fake_handoff_get_blob,
    .handoff_put_fd = fake_handoff_put_fd,
    .handoff_take_fd = fake_handoff_take_fd,
    .instance_name = fake_instance_name,
    .generation = fake_generation,
};

void
fake_store_clear(struct fake_handoff_store *st)
{
    size_t i;

    for (i = 0; i < st->n; i++) {
        if (st->items[i].fd >= 0) {
            close(st->items[i].fd);
        }
        free(st->items[i].name);
        free(st->items[i].data);
    }
    memset(st, 0, sizeof *st);
}

struct fake_host *
fake_host_new(const struct px_plugin_descriptor *desc, const char *name,
              const char *dir, struct fake_handoff_store *store,
              unsigned int generation)
{
    struct fake_host *fh;

    assert_true(fake_n_instances < FAKE_MAX_INSTANCES);
    fh = &fake_instances[fake_n_instances++];
    memset(fh, 0, sizeof *fh);
    fh->plugin.api = &fake_api;
    fh->desc = desc;
    fh->name = name;
    fh->dir = dir;
    fh->handoff = store;
    fh->generation = generation;
    return fh;
}

/* Sets a key of the plugin's section; the strings must outlive 'fh'. */
void
fake_set(struct fake_host *fh, const char *key, const char *value)
{
    size_t i;

    for (i = 0; i < fh->n_kvs; i++) {
        if (!strcmp(fh->keys[i], key)) {
            fh->values[i] = value;
            return;
        }
    }
    assert_true(fh->n_kvs < FAKE_MAX_KVS);
    fh->keys[fh->n_kvs] = key;
    fh->values[fh->n_kvs] = value;
    fh->n_kvs++;
}

void
fake_drop_subs(struct fake_host *fh)
{
    size_t i;

    for (i = 0; i < fh->n_subs; i++) {
        free(fh->subs[i].pattern);
    }
    fh->n_subs = 0;
}

/* Runs init as px_instance_start does: on failure the host releases what
 * the instance subscribed and keeps the handoff for a rollback; on success
 * it discards the handoff items, whose descriptors the new generation holds
 * duplicates of. */
int
fake_start(struct fake_host *fh)
{
    int error;

    fh->plugin.data = NULL;
    fh->in_init = 1;
    error = fh->desc->init(&fh->plugin);
    fh->in_init = 0;
    if (error) {
        fake_drop_subs(fh);
    } else {
        fake_store_clear(fh->handoff);
    }
    return error;
}

/* Runs fini as px_instance_stop does, then releases the subscriptions the
 * plugin left (a plugin need not unsubscribe itself). */
void
fake_stop(struct fake_host *fh)
{
    fake_store_clear(fh->handoff);
    fh->in_fini = 1;
    fh->desc->fini(&fh->plugin);
    fh->in_fini = 0;
    fake_drop_subs(fh);
}

static int
pattern_matches(const char *pattern, const char *topic)
{
    size_t len = strlen(pattern);

    if (!strcmp(pattern, "*")) {
        return 1;
    }
    if (len > 2 && !strcmp(pattern + len - 2, ".*")) {
        return !strncmp(topic, pattern, len - 1);
    }
    return !strcmp(pattern, topic);
}

/* Publishes one event to the instance's matching subscriptions; returns
 * PX_EVENT_HALT if one halted it.  Priorities are not honoured: the tests
 * so far check there is exactly one subscription, so order does not
 * matter to them. */
int
fake_deliver(struct fake_host *fh, const char *topic, const char *publisher,
             uint32_t version, const void *payload, size_t len)
{
    struct px_event ev = {
        .topic = topic,
        .publisher = publisher,
        .version = version,
        .payload = payload,
        .len = len,
    };
    size_t i;

    for (i = 0; i < fh->n_subs; i++) {
        struct fake_sub *s = &fh->subs[i];

        if (s->live && s->min_version <= version &&
            pattern_matches(s->pattern, topic) &&
            s->fn(&fh->plugin, &ev, s->arg) == PX_EVENT_HALT) {
            return PX_EVENT_HALT;
        }
    }
    return PX_EVENT_CONTINUE;
}

int
fake_logged(const struct fake_host *fh, const char *needle)
{
    size_t i;

    for (i = 0; i < fh->n_logs; i++) {
        if (strstr(fh->logs[i].text, needle)) {
            return 1;
        }
    }
    return 0;
}
