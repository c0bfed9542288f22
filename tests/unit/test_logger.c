/*
 * Unit tests of the logger plugin (plugins/logger/logger.c), run against a
 * fake host function table instead of plexusd.
 *
 * The plugin is linked into this program, so the tests reach it the way the
 * host does: through its exported px_plugin_descriptor.  The fake table
 * records subscriptions, serves configuration from a per-test key/value
 * table (falling back to the schema's defaults, as the host does), returns
 * a fixed time, captures the plugin's own log messages, and keeps a handoff
 * store that outlives one fake instance so that a second generation can be
 * started from what the first left behind.  The handoff rules mirror
 * host/instance.c: items may only be put in fini and read in init, a taken
 * descriptor is a dup() of the stored one, and the store is emptied once an
 * init succeeds.
 *
 * Every test runs in its own mkdtemp() directory, and the teardown checks
 * that the number of open file descriptors is what it was before the test:
 * ASan finds leaked memory but not leaked descriptors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plexus/plugin.h"
#include "plexus/topics/host.h"
#include "plexus/topics/openflow.h"

extern const struct px_plugin_descriptor px_plugin_descriptor;

/* Fixed clock of the fake host, and the time of the host.log records the
 * tests publish; both are chosen to format to round, checkable strings. */
#define FAKE_NOW     1767225661.25 /* 2026-01-01T00:01:01.250Z */
#define FAKE_NOW_STR "2026-01-01T00:01:01.250Z"
/* A host record is stamped when it is logged, after the loop's cached time
 * of the same pass. */
#define RECORD_TIME     1767225662.5 /* 2026-01-01T00:01:02.500Z */
#define RECORD_TIME_STR "2026-01-01T00:01:02.500Z"

#define FAKE_MAX_SUBS  8
#define FAKE_MAX_KVS   8
#define FAKE_MAX_ITEMS 8
#define FAKE_MAX_LOGS  16

/* ---------------------------------------------------------------------- */
/* The fake host.                                                         */

/* One handoff item: a blob (fd < 0) or a descriptor. */
struct handoff_item {
    char *name;
    int fd;
    uint32_t version;
    void *data;
    size_t len;
};

/* The host keeps handoff items in the instance record, which survives a
 * generation; here the store belongs to the test fixture for the same
 * reason. */
struct handoff_store {
    struct handoff_item items[FAKE_MAX_ITEMS];
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
    struct px_plugin plugin; /* What the plugin is handed. */
    const char *dir;         /* Where relative config paths resolve. */
    const char *keys[FAKE_MAX_KVS];
    const char *values[FAKE_MAX_KVS];
    size_t n_kvs;
    struct handoff_store *handoff;
    int in_init;
    int in_fini;
    struct fake_sub subs[FAKE_MAX_SUBS];
    size_t n_subs;
    int subscribe_error; /* Nonzero: px_subscribe fails with this. */
    struct fake_log logs[FAKE_MAX_LOGS];
    size_t n_logs;
    unsigned int generation;
};

/* Calls the logger has no business making (timers, threads, publishing,
 * non-string getters...).  Counted rather than crashing, and checked by
 * every teardown. */
static unsigned int unexpected_calls;

/* The fake instances of the running test.  They are static, not on the
 * test's stack, so that the teardown can stop whatever a failed assertion
 * left running (cmocka leaves the test body by longjmp) and report the
 * failure rather than leaks as well. */
static struct fake_host instances[4];
static size_t n_instances;

static struct fake_host *
fake_from_plugin(struct px_plugin *p)
{
    return (struct fake_host *)(void *)((char *)p -
                                        offsetof(struct fake_host, plugin));
}

static const struct px_config_key *
schema_key(const char *key)
{
    const struct px_config_key *k;

    for (k = px_plugin_descriptor.config_keys; k && k->key; k++) {
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
    const struct px_config_key *spec = schema_key(key);
    size_t i;

    if (!spec || spec->type != PX_CONFIG_STRING) {
        unexpected_calls++;
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

static struct handoff_item *
handoff_find(struct handoff_store *st, const char *name)
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
    struct handoff_store *st = fh->handoff;
    struct handoff_item *it;

    if (!fh->in_fini) {
        unexpected_calls++;
        return EPERM;
    }
    if (handoff_find(st, name)) {
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
    struct handoff_item *it;

    if (!fh->in_init) {
        unexpected_calls++;
        return EPERM;
    }
    it = handoff_find(fh->handoff, name);
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
    struct handoff_item *it;
    int copy;

    if (!fh->in_init) {
        unexpected_calls++;
        return EPERM;
    }
    it = handoff_find(fh->handoff, name);
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
    (void)p;
    return "logger";
}

static unsigned int
fake_generation(struct px_plugin *p)
{
    return fake_from_plugin(p)->generation;
}

/* The calls below are not part of what the logger needs. */
static int
bad_topic_declare(struct px_plugin *p, const char *topic, uint32_t version,
                  struct px_topic **out)
{
    (void)p, (void)topic, (void)version, (void)out;
    unexpected_calls++;
    return ENOSYS;
}

static int
bad_publish(struct px_plugin *p, struct px_topic *topic, const void *payload,
            size_t len)
{
    (void)p, (void)topic, (void)payload, (void)len;
    unexpected_calls++;
    return ENOSYS;
}

static int
bad_timer_start(struct px_plugin *p, double after, double repeat,
                px_timer_fn fn, void *arg, struct px_timer **out)
{
    (void)p, (void)after, (void)repeat, (void)fn, (void)arg, (void)out;
    unexpected_calls++;
    return ENOSYS;
}

static void
bad_timer_stop(struct px_plugin *p, struct px_timer *t)
{
    (void)p, (void)t;
    unexpected_calls++;
}

static int
bad_io_start(struct px_plugin *p, int fd, int events, px_io_fn fn, void *arg,
             struct px_io **out)
{
    (void)p, (void)fd, (void)events, (void)fn, (void)arg, (void)out;
    unexpected_calls++;
    return ENOSYS;
}

static int
bad_io_modify(struct px_plugin *p, struct px_io *io, int events)
{
    (void)p, (void)io, (void)events;
    unexpected_calls++;
    return ENOSYS;
}

static void
bad_io_stop(struct px_plugin *p, struct px_io *io)
{
    (void)p, (void)io;
    unexpected_calls++;
}

static int
bad_defer(struct px_plugin *p, px_defer_fn fn, void *arg)
{
    (void)p, (void)fn, (void)arg;
    unexpected_calls++;
    return ENOSYS;
}

static int
bad_thread_start(struct px_plugin *p, px_thread_fn fn, void *arg,
                 struct px_thread **out)
{
    (void)p, (void)fn, (void)arg, (void)out;
    unexpected_calls++;
    return ENOSYS;
}

static int
bad_thread_stopping(const struct px_thread *t)
{
    (void)t;
    unexpected_calls++;
    return 1;
}

static void
bad_thread_join(struct px_plugin *p, struct px_thread *t)
{
    (void)p, (void)t;
    unexpected_calls++;
}

static int
bad_config_int(struct px_plugin *p, const char *key, long long *out)
{
    (void)p, (void)key, (void)out;
    unexpected_calls++;
    return ENOENT;
}

static int
bad_config_bool(struct px_plugin *p, const char *key, int *out)
{
    (void)p, (void)key, (void)out;
    unexpected_calls++;
    return ENOENT;
}

static int
bad_config_double(struct px_plugin *p, const char *key, double *out)
{
    (void)p, (void)key, (void)out;
    unexpected_calls++;
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

static void
store_clear(struct handoff_store *st)
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

static struct fake_host *
fake_host_new(const char *dir, struct handoff_store *store,
              unsigned int generation)
{
    struct fake_host *fh;

    assert_true(n_instances < sizeof instances / sizeof *instances);
    fh = &instances[n_instances++];
    memset(fh, 0, sizeof *fh);
    fh->plugin.api = &fake_api;
    fh->dir = dir;
    fh->handoff = store;
    fh->generation = generation;
    return fh;
}

/* Sets a key of the logger's section; the strings must outlive 'fh'. */
static void
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

static void
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
static int
fake_start(struct fake_host *fh)
{
    int error;

    fh->plugin.data = NULL;
    fh->in_init = 1;
    error = px_plugin_descriptor.init(&fh->plugin);
    fh->in_init = 0;
    if (error) {
        fake_drop_subs(fh);
    } else {
        store_clear(fh->handoff);
    }
    return error;
}

/* Runs fini as px_instance_stop does, then releases the subscriptions the
 * plugin left (the logger never unsubscribes itself). */
static void
fake_stop(struct fake_host *fh)
{
    store_clear(fh->handoff);
    fh->in_fini = 1;
    px_plugin_descriptor.fini(&fh->plugin);
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
 * PX_EVENT_HALT if one halted it.  The tests check there is exactly one
 * subscription, so ordering does not matter here. */
static int
deliver(struct fake_host *fh, const char *topic, const char *publisher,
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

static int
deliver_log(struct fake_host *fh, enum px_log_level level,
            const char *instance, const char *message)
{
    struct px_host_log rec = {
        .level = level,
        .time = RECORD_TIME,
        .instance = instance,
        .message = message,
    };

    return deliver(fh, PX_TOPIC_HOST_LOG, "host", PX_TOPIC_HOST_LOG_VERSION,
                   &rec, sizeof rec);
}

static int
logged(const struct fake_host *fh, const char *needle)
{
    size_t i;

    for (i = 0; i < fh->n_logs; i++) {
        if (strstr(fh->logs[i].text, needle)) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Files.                                                                 */

struct fixture {
    char dir[64];
    int fds_before;
    struct handoff_store store;
};

static void
join_path(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);

    assert_true(n > 0 && (size_t)n < size);
}

/* Buffers of the running test, freed by the teardown whether or not the
 * test got to its end. */
static void *scratch[16];
static size_t n_scratch;

static void *
scratch_alloc(size_t size)
{
    void *p;

    assert_true(n_scratch < sizeof scratch / sizeof *scratch);
    p = calloc(1, size);
    assert_non_null(p);
    scratch[n_scratch++] = p;
    return p;
}

/* Returns the whole file, NUL-terminated, or NULL if it does not exist. */
static char *
slurp(const char *dir, const char *name)
{
    char path[256];
    struct stat st;
    char *buf;
    FILE *f;
    size_t n;

    join_path(path, sizeof path, dir, name);
    f = fopen(path, "r");
    if (!f) {
        assert_int_equal(errno, ENOENT);
        return NULL;
    }
    assert_int_equal(fstat(fileno(f), &st), 0);
    buf = scratch_alloc((size_t)st.st_size + 1);
    n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    assert_int_equal(n, (size_t)st.st_size);
    return buf;
}

static size_t
count_lines(const char *s)
{
    size_t n = 0;

    for (; s && *s; s++) {
        n += *s == '\n';
    }
    return n;
}

static off_t
file_size(const char *dir, const char *name)
{
    char path[256];
    struct stat st;

    join_path(path, sizeof path, dir, name);
    return stat(path, &st) ? -1 : st.st_size;
}

/* Counts this process's open descriptors.  The directory stream's own
 * descriptor is counted every time, so two counts compare fairly. */
static int
count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d))) {
        n += de->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_logger.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->fds_before = count_fds();
    unexpected_calls = 0;
    n_instances = 0;
    n_scratch = 0;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    int fds_before, fds_after;
    struct dirent *de;
    DIR *d;

    while (n_instances) {
        struct fake_host *fh = &instances[--n_instances];

        if (fh->plugin.data) {
            fake_stop(fh);
        }
        fake_drop_subs(fh);
    }
    store_clear(&fx->store);
    while (n_scratch) {
        free(scratch[--n_scratch]);
    }
    fds_after = count_fds();
    d = opendir(fx->dir);
    assert_non_null(d);
    while ((de = readdir(d))) {
        char path[256];

        if (de->d_name[0] != '.') {
            join_path(path, sizeof path, fx->dir, de->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(fx->dir);
    fds_before = fx->fds_before;
    free(fx);
    assert_int_equal(fds_after, fds_before);
    assert_int_equal(unexpected_calls, 0);
    return 0;
}

/* Starts an instance writing to 'dir'/'file' at 'level'. */
static struct fake_host *
start_file_logger(struct fixture *fx, const char *file, const char *level,
                  const char *event_level)
{
    struct fake_host *fh = fake_host_new(fx->dir, &fx->store, 1);

    fake_set(fh, "target", "file");
    fake_set(fh, "file", file);
    fake_set(fh, "level", level);
    fake_set(fh, "event_level", event_level);
    assert_int_equal(fake_start(fh), 0);
    assert_true(fh->n_subs >= 1);
    assert_string_equal(fh->subs[0].pattern, "host.*");
    return fh;
}

/* ---------------------------------------------------------------------- */
/* Tests.                                                                 */

static void
test_descriptor(void **state)
{
    const struct px_plugin_descriptor *d = &px_plugin_descriptor;
    static const char *const keys[] = {"level", "event_level", "target",
                                       "file"};
    static const char *const defaults[] = {"info", "debug", "stderr",
                                           "plexus.log"};
    size_t i;

    (void)state;
    assert_int_equal(d->abi_major, PX_ABI_MAJOR);
    assert_int_equal(d->abi_minor, PX_ABI_MINOR);
    assert_int_equal(d->size, sizeof(struct px_plugin_descriptor));
    assert_string_equal(d->name, "logger");
    assert_non_null(d->version);
    assert_non_null(d->description);
    assert_non_null(d->init);
    assert_non_null(d->fini);
    assert_non_null(d->reconfigure);
    for (i = 0; i < sizeof keys / sizeof *keys; i++) {
        const struct px_config_key *k = schema_key(keys[i]);

        assert_non_null(k);
        assert_int_equal(k->type, PX_CONFIG_STRING);
        assert_string_equal(k->default_value, defaults[i]);
        assert_non_null(k->help);
    }
    assert_string_equal(schema_key("level")->choices, "error|warn|info|debug");
    assert_string_equal(schema_key("target")->choices, "stderr|file|syslog");
    assert_null(schema_key("file")->choices);
}

/* The logger must see every topic, and after every other subscriber, so
 * that halting host.log does not hide records from anybody. */
static void
test_init_subscribes_last(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;
    int saved, stderr_open;

    fh = fake_host_new(fx->dir, &fx->store, 1);
    assert_int_equal(fake_start(fh), 0);
    assert_non_null(fh->plugin.data);
    /* At the default levels no event outside host.* is written, so the
     * per-packet topics do not reach the logger at all. */
    assert_int_equal(fh->n_subs, 1);
    assert_string_equal(fh->subs[0].pattern, "host.*");
    assert_int_equal(fh->subs[0].priority, PX_PRIO_LAST);
    assert_int_equal(fh->subs[0].min_version, 0);
    assert_non_null(fh->subs[0].fn);
    assert_true(logged(fh, "writing to stderr at level info"));

    /* With the default stderr target there is no file to hand off, and
     * stderr itself must survive fini.  A copy of stderr is kept so that,
     * should fini close it, the failure can still be reported there. */
    saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    assert_true(saved >= 0);
    fake_stop(fh);
    stderr_open = fcntl(STDERR_FILENO, F_GETFD) >= 0;
    if (!stderr_open) {
        dup2(saved, STDERR_FILENO);
    }
    close(saved);
    assert_true(stderr_open);
    assert_null(fh->plugin.data);
    assert_non_null(handoff_find(&fx->store, "state"));
    assert_null(handoff_find(&fx->store, "file"));
}

static void
test_host_log_written_and_halted(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "debug");
    assert_true(logged(fh, "writing to a file at level info: "));
    assert_true(logged(fh, fx->dir));

    assert_int_equal(deliver_log(fh, PX_LOG_INFO, "host", "hello"),
                     PX_EVENT_HALT);
    text = slurp(fx->dir, "log.txt");
    assert_non_null(text);
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, "info"));
    assert_non_null(strstr(text, "host: hello"));
    assert_int_equal(text[strlen(text) - 1], '\n');
    /* The record's own time, not the host's clock, dates the line. */
    assert_string_equal(text, RECORD_TIME_STR " info  host: hello\n");

    fake_stop(fh);
}

static void
test_host_log_below_level_not_written(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "debug");

    /* Still halted: the logger is the sink, so a record it filters out
     * must not reappear on the host's console either. */
    assert_int_equal(deliver_log(fh, PX_LOG_DEBUG, "host", "noise"),
                     PX_EVENT_HALT);
    assert_int_equal(file_size(fx->dir, "log.txt"), 0);

    assert_int_equal(deliver_log(fh, PX_LOG_WARN, "of1", "careful"),
                     PX_EVENT_HALT);
    assert_int_equal(deliver_log(fh, PX_LOG_ERROR, "of1", "broken"),
                     PX_EVENT_HALT);
    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 2);
    assert_non_null(strstr(text, " warn  of1: careful\n"));
    assert_non_null(strstr(text, " error of1: broken\n"));
    assert_null(strstr(text, "noise"));

    fake_stop(fh);
}

static void
test_event_written_at_event_level(void **state)
{
    struct fixture *fx = *state;
    unsigned char frame[60] = {0};
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "info");
    assert_int_equal(deliver(fh, "test.event", "of1", 2, frame, sizeof frame),
                     PX_EVENT_CONTINUE);
    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, "test.event"));
    assert_non_null(strstr(text, "60 bytes"));
    /* Events without a time of their own are dated by the host's clock. */
    assert_string_equal(text,
                        FAKE_NOW_STR " info  of1: test.event v2, 60 bytes\n");

    fake_stop(fh);
}

/* The logger knows the openflow payloads and says what is in them. */
static void
test_packet_in_summary(void **state)
{
    struct fixture *fx = *state;
    static const uint8_t frame[60] = {0x02, 0, 0, 0, 0, 0x02,  /* dst */
                                      0x02, 0, 0, 0, 0, 0x01}; /* src */
    struct px_of_packet_in pi = {.dpid = 0x2a,
                                 .in_port = 3,
                                 .buffer_id = PX_OF_NO_BUFFER,
                                 .frame = frame,
                                 .frame_len = sizeof frame};
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "info");
    deliver(fh, "openflow.packet_in", "openflow", 1, &pi, sizeof pi);
    text = slurp(fx->dir, "log.txt");
    assert_string_equal(text, FAKE_NOW_STR
                        " info  openflow: openflow.packet_in "
                        "dpid=000000000000002a in_port=3 len=60 "
                        "02:00:00:00:00:01 > 02:00:00:00:00:02\n");
    fake_stop(fh);
}

static void
test_event_below_level_not_written(void **state)
{
    struct fixture *fx = *state;
    unsigned char frame[60] = {0};
    struct fake_host *fh;

    fh = start_file_logger(fx, "log.txt", "info", "debug");
    assert_int_equal(
        deliver(fh, "openflow.packet_in", "of1", 1, frame, sizeof frame),
        PX_EVENT_CONTINUE);
    assert_int_equal(file_size(fx->dir, "log.txt"), 0);
    fake_stop(fh);
}

static void
test_reload_done_summary(void **state)
{
    struct fixture *fx = *state;
    struct px_host_reload_done ok = {
        .reload_id = 7,
        .outcome = PX_RELOAD_OK,
        .added = "a,b",
        .removed = "",
        .reloaded = "c",
        .reconfigured = "logger",
        .refused = "",
        .error = "",
    };
    struct px_host_reload_done partial = {
        .reload_id = 8,
        .outcome = PX_RELOAD_PARTIAL,
        .added = "",
        .removed = "",
        .reloaded = "",
        .reconfigured = "",
        .refused = "x: init failed",
        .error = "",
    };
    struct px_host_reload_done refused = {
        .reload_id = 9,
        .outcome = PX_RELOAD_REFUSED,
        .added = "",
        .removed = "",
        .reloaded = "",
        .reconfigured = "",
        .refused = "",
        .error = "conf.d/20-x.ini:3: syntax error",
    };
    struct fake_host *fh;
    char *text, *line2, *line3;

    fh = start_file_logger(fx, "log.txt", "info", "debug");
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_RELOAD_DONE, "host",
                             PX_TOPIC_HOST_RELOAD_DONE_VERSION, &ok,
                             sizeof ok),
                     PX_EVENT_CONTINUE);
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_RELOAD_DONE, "host",
                             PX_TOPIC_HOST_RELOAD_DONE_VERSION, &partial,
                             sizeof partial),
                     PX_EVENT_CONTINUE);
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_RELOAD_DONE, "host",
                             PX_TOPIC_HOST_RELOAD_DONE_VERSION, &refused,
                             sizeof refused),
                     PX_EVENT_CONTINUE);

    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 3);
    line2 = strchr(text, '\n') + 1;
    line3 = strchr(line2, '\n') + 1;
    line2[-1] = line3[-1] = '\0';

    /* A reload that did everything is news; one that did not, a warning. */
    assert_non_null(strstr(text, " info  host: host.reload_done id=7 "));
    assert_non_null(strstr(text, "outcome=ok"));
    assert_non_null(strstr(text, "added=[a,b]"));
    assert_non_null(strstr(text, "removed=[]"));
    assert_non_null(strstr(text, "reloaded=[c]"));
    assert_non_null(strstr(text, "reconfigured=[logger]"));
    assert_null(strstr(text, "error="));

    assert_non_null(strstr(line2, " warn  host: host.reload_done id=8 "));
    assert_non_null(strstr(line2, "outcome=partial"));
    assert_non_null(strstr(line2, "refused=[x: init failed]"));
    assert_null(strstr(line2, "error="));

    assert_non_null(strstr(line3, " warn  "));
    assert_non_null(strstr(line3, "outcome=refused"));
    assert_non_null(strstr(line3, "error=conf.d/20-x.ini:3: syntax error"));

    fake_stop(fh);
}

static void
test_plugin_loaded_summary(void **state)
{
    struct fixture *fx = *state;
    struct px_host_plugin ev = {
        .instance = "of1",
        .module = "openflow",
        .version = "2.0",
        .generation = 3,
        .reason = "added",
    };
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "error");
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_PLUGIN_LOADED, "host",
                             PX_TOPIC_HOST_PLUGIN_VERSION, &ev, sizeof ev),
                     PX_EVENT_CONTINUE);
    ev.reason = "removed";
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_PLUGIN_UNLOADED, "host",
                             PX_TOPIC_HOST_PLUGIN_VERSION, &ev, sizeof ev),
                     PX_EVENT_CONTINUE);

    /* Plugin events are info whatever event_level says. */
    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 2);
    assert_non_null(strstr(text, " info  host: host.plugin_loaded "
                                 "instance=of1 module=openflow version=2.0 "
                                 "generation=3 reason=added\n"));
    assert_non_null(strstr(text, " info  host: host.plugin_unloaded "
                                 "instance=of1 "));
    assert_non_null(strstr(text, "reason=removed\n"));

    fake_stop(fh);
}

/* A host.* payload shorter than its struct must not be read as one: the
 * payload is heap-allocated at its exact size so that ASan sees any
 * over-read. */
static void
test_short_host_payload(void **state)
{
    struct fixture *fx = *state;
    unsigned char *p = scratch_alloc(4);
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "info");
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_LOG, "host", 1, p, 4),
                     PX_EVENT_HALT);
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_RELOAD_DONE, "host", 1, p, 4),
                     PX_EVENT_CONTINUE);
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_PLUGIN_LOADED, "host", 1, p, 4),
                     PX_EVENT_CONTINUE);
    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 3);
    assert_non_null(strstr(text, "host: host.log v1, 4 bytes\n"));
    assert_non_null(strstr(text, "host: host.reload_done v1, 4 bytes\n"));

    fake_stop(fh);
}

/* An over-long message is cut, but still makes one whole line; and the
 * message is data, not a format. */
static void
test_long_message_one_line(void **state)
{
    struct fixture *fx = *state;
    char *msg = scratch_alloc(5001);
    struct fake_host *fh;
    char *text;

    memset(msg, 'x', 5000);
    memcpy(msg, "%s%n%d", 6);
    msg[5000] = '\0';
    fh = start_file_logger(fx, "log.txt", "info", "debug");
    assert_int_equal(deliver_log(fh, PX_LOG_ERROR, "of1", msg), PX_EVENT_HALT);
    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 1);
    assert_int_equal(text[strlen(text) - 1], '\n');
    assert_true(strlen(text) < 2048);
    assert_non_null(strstr(text, "of1: %s%n%dxxx"));

    fake_stop(fh);
}

/* A record whose text spans lines is written as one line ("; " between
 * its lines, control characters as spaces), and a record stamped earlier
 * than the line before it does not make the file's time go backwards. */
static void
test_one_line_in_order(void **state)
{
    struct fixture *fx = *state;
    struct px_host_log rec = {
        .level = PX_LOG_ERROR,
        .time = RECORD_TIME - 30,
        .instance = "host",
        .message = "reload 2 refused:\na.ini:1: bad\tkey\nb.ini:2: worse\n",
    };
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "debug");
    assert_int_equal(deliver_log(fh, PX_LOG_INFO, "host", "first"),
                     PX_EVENT_HALT);
    assert_int_equal(deliver(fh, PX_TOPIC_HOST_LOG, "host",
                             PX_TOPIC_HOST_LOG_VERSION, &rec, sizeof rec),
                     PX_EVENT_HALT);
    text = slurp(fx->dir, "log.txt");
    assert_string_equal(text,
                        RECORD_TIME_STR " info  host: first\n" RECORD_TIME_STR
                                        " error host: reload 2 refused:; "
                                        "a.ini:1: bad key; b.ini:2: worse\n");
    fake_stop(fh);
}

/* Across a reload the next generation keeps writing through the same open
 * file.  The file is renamed between the generations: had the second
 * generation reopened it by name, its line would land in a new file. */
static void
test_handoff_keeps_file(void **state)
{
    struct fixture *fx = *state;
    struct handoff_item *state_item, *file_item;
    struct fake_host *gen1, *gen2;
    char old_path[256], new_path[256];
    struct stat st_handed, st_file;
    char *text;

    gen1 = start_file_logger(fx, "log.txt", "info", "debug");
    deliver_log(gen1, PX_LOG_INFO, "host", "from generation 1");
    fake_stop(gen1);

    state_item = handoff_find(&fx->store, "state");
    assert_non_null(state_item);
    assert_true(state_item->fd < 0);
    assert_int_equal(state_item->version, 1);
    assert_true(state_item->len > 0);
    file_item = handoff_find(&fx->store, "file");
    assert_non_null(file_item);
    assert_true(file_item->fd >= 0);
    assert_int_equal(fstat(file_item->fd, &st_handed), 0);

    join_path(old_path, sizeof old_path, fx->dir, "log.txt");
    join_path(new_path, sizeof new_path, fx->dir, "rotated.txt");
    assert_int_equal(stat(old_path, &st_file), 0);
    assert_true(st_handed.st_ino == st_file.st_ino);
    assert_true(st_handed.st_dev == st_file.st_dev);
    assert_int_equal(rename(old_path, new_path), 0);

    gen2 = fake_host_new(fx->dir, &fx->store, 2);
    fake_set(gen2, "target", "file");
    fake_set(gen2, "file", "log.txt");
    assert_int_equal(fake_start(gen2), 0);
    deliver_log(gen2, PX_LOG_INFO, "host", "from generation 2");

    assert_null(slurp(fx->dir, "log.txt"));
    text = slurp(fx->dir, "rotated.txt");
    assert_int_equal(count_lines(text), 2);
    assert_non_null(strstr(text, "from generation 1\n"));
    assert_true(strstr(text, "from generation 1") <
                strstr(text, "from generation 2"));

    fake_stop(gen2);
}

/* A next generation configured for another file or target lets the old
 * descriptor go (the teardown's descriptor count checks it is closed). */
static void
test_handoff_other_target(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *gen1, *gen2, *gen3;
    char *text;

    gen1 = start_file_logger(fx, "one.txt", "info", "debug");
    deliver_log(gen1, PX_LOG_INFO, "host", "to one");
    fake_stop(gen1);

    gen2 = fake_host_new(fx->dir, &fx->store, 2);
    fake_set(gen2, "target", "file");
    fake_set(gen2, "file", "two.txt");
    assert_int_equal(fake_start(gen2), 0);
    deliver_log(gen2, PX_LOG_INFO, "host", "to two");
    fake_stop(gen2);
    assert_non_null(handoff_find(&fx->store, "file"));

    gen3 = fake_host_new(fx->dir, &fx->store, 3);
    fake_set(gen3, "target", "stderr");
    assert_int_equal(fake_start(gen3), 0);
    fake_stop(gen3);
    assert_null(handoff_find(&fx->store, "file"));

    text = slurp(fx->dir, "one.txt");
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, "to one"));
    text = slurp(fx->dir, "two.txt");
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, "to two"));
}

static void
test_reconfigure_level(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "debug");
    deliver_log(fh, PX_LOG_DEBUG, "host", "debug before");
    assert_int_equal(file_size(fx->dir, "log.txt"), 0);

    fake_set(fh, "level", "debug");
    assert_int_equal(px_plugin_descriptor.reconfigure(&fh->plugin), 0);
    deliver_log(fh, PX_LOG_DEBUG, "host", "debug after");
    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, " debug host: debug after\n"));

    fake_stop(fh);
    /* The file survives reconfigure, so it is still the one handed off. */
    assert_non_null(handoff_find(&fx->store, "file"));
}

/* The logger does no work for events its level discards: it holds its
 * "*" subscription only while event lines are written or a pcap file is
 * open, and takes it or lets it go when reconfigured. */
static void
test_per_packet_topics_only_when_written(void **state)
{
    struct fixture *fx = *state;
    struct px_of_packet_in pi = {.dpid = 0x2a, .in_port = 3};
    struct fake_host *fh;
    size_t i, live;

    fh = start_file_logger(fx, "log.txt", "info", "debug");
    assert_int_equal(fh->n_subs, 1);
    assert_int_equal(
        deliver(fh, "openflow.packet_in", "openflow", 1, &pi, sizeof pi),
        PX_EVENT_CONTINUE);
    assert_int_equal(file_size(fx->dir, "log.txt"), 0);

    fake_set(fh, "event_level", "info");
    assert_int_equal(px_plugin_descriptor.reconfigure(&fh->plugin), 0);
    assert_int_equal(fh->n_subs, 2);
    assert_string_equal(fh->subs[1].pattern, "*");
    assert_int_equal(fh->subs[1].priority, PX_PRIO_LAST);
    deliver(fh, "openflow.packet_in", "openflow", 1, &pi, sizeof pi);
    assert_int_equal(count_lines(slurp(fx->dir, "log.txt")), 1);
    /* host.* events still arrive once, through their own subscription. */
    deliver_log(fh, PX_LOG_INFO, "host", "once");
    assert_int_equal(count_lines(slurp(fx->dir, "log.txt")), 2);

    fake_set(fh, "event_level", "debug");
    assert_int_equal(px_plugin_descriptor.reconfigure(&fh->plugin), 0);
    for (i = live = 0; i < fh->n_subs; i++) {
        live += fh->subs[i].live;
    }
    assert_int_equal(live, 1);
    deliver(fh, "openflow.packet_in", "openflow", 1, &pi, sizeof pi);
    assert_int_equal(count_lines(slurp(fx->dir, "log.txt")), 2);
    fake_stop(fh);
}

static void
test_reconfigure_new_file(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "one.txt", "info", "debug");
    deliver_log(fh, PX_LOG_INFO, "host", "first");
    fake_set(fh, "file", "two.txt");
    assert_int_equal(px_plugin_descriptor.reconfigure(&fh->plugin), 0);
    deliver_log(fh, PX_LOG_INFO, "host", "second");

    text = slurp(fx->dir, "one.txt");
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, "first"));
    text = slurp(fx->dir, "two.txt");
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, "second"));

    /* And back to stderr: the file is closed, nothing is handed off. */
    fake_set(fh, "target", "stderr");
    assert_int_equal(px_plugin_descriptor.reconfigure(&fh->plugin), 0);
    fake_stop(fh);
    assert_null(handoff_find(&fx->store, "file"));
}

/* A configuration that cannot be applied leaves the old one running. */
static void
test_reconfigure_failure_keeps_old(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;
    char *long_name;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "debug");

    fake_set(fh, "level", "debug");
    fake_set(fh, "file", "missing-dir/log.txt");
    assert_int_equal(px_plugin_descriptor.reconfigure(&fh->plugin), ENOENT);
    assert_true(logged(fh, "cannot open log file"));

    long_name = scratch_alloc(5000);
    memset(long_name, 'n', 4999);
    long_name[4999] = '\0';
    fake_set(fh, "file", long_name);
    assert_int_equal(px_plugin_descriptor.reconfigure(&fh->plugin),
                     ENAMETOOLONG);

    deliver_log(fh, PX_LOG_DEBUG, "host", "still filtered");
    deliver_log(fh, PX_LOG_INFO, "host", "still here");
    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, "still here"));

    fake_stop(fh);
}

static void
test_init_failure(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;

    fh = fake_host_new(fx->dir, &fx->store, 1);
    fake_set(fh, "target", "file");
    fake_set(fh, "file", "missing-dir/log.txt");
    assert_int_equal(fake_start(fh), ENOENT);
    assert_null(fh->plugin.data);
    assert_int_equal(fh->n_subs, 0);
    assert_true(logged(fh, "cannot open log file"));
    assert_true(logged(fh, "missing-dir/log.txt"));
}

/* An init that fails after opening its file must close it again (the
 * teardown counts descriptors). */
static void
test_init_subscribe_failure(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;

    fh = fake_host_new(fx->dir, &fx->store, 1);
    fake_set(fh, "target", "file");
    fake_set(fh, "file", "log.txt");
    fh->subscribe_error = ENOMEM;
    assert_int_equal(fake_start(fh), ENOMEM);
    assert_null(fh->plugin.data);
    assert_int_equal(fh->n_subs, 0);
}

/* A failed init of a next generation must not keep the descriptor it took;
 * the host still holds the original for the rollback. */
static void
test_handoff_init_failure(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *gen1, *gen2, *again;
    char *text;

    gen1 = start_file_logger(fx, "log.txt", "info", "debug");
    fake_stop(gen1);

    gen2 = fake_host_new(fx->dir, &fx->store, 2);
    fake_set(gen2, "target", "file");
    fake_set(gen2, "file", "missing-dir/log.txt");
    assert_int_equal(fake_start(gen2), ENOENT);
    assert_non_null(handoff_find(&fx->store, "file"));

    /* The rollback: the old configuration with the same handoff. */
    again = fake_host_new(fx->dir, &fx->store, 3);
    fake_set(again, "target", "file");
    fake_set(again, "file", "log.txt");
    assert_int_equal(fake_start(again), 0);
    deliver_log(again, PX_LOG_INFO, "host", "rolled back");
    text = slurp(fx->dir, "log.txt");
    assert_non_null(strstr(text, "rolled back"));
    fake_stop(again);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
#define T(NAME) cmocka_unit_test_setup_teardown(NAME, setup, teardown)
        T(test_init_subscribes_last),
        T(test_host_log_written_and_halted),
        T(test_host_log_below_level_not_written),
        T(test_event_written_at_event_level),
        T(test_packet_in_summary),
        T(test_event_below_level_not_written),
        T(test_reload_done_summary),
        T(test_plugin_loaded_summary),
        T(test_short_host_payload),
        T(test_long_message_one_line),
        T(test_one_line_in_order),
        T(test_handoff_keeps_file),
        T(test_handoff_other_target),
        T(test_reconfigure_level),
        T(test_per_packet_topics_only_when_written),
        T(test_reconfigure_new_file),
        T(test_reconfigure_failure_keeps_old),
        T(test_init_failure),
        T(test_init_subscribe_failure),
        T(test_handoff_init_failure),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
