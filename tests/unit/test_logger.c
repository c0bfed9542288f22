/*
 * Unit tests of the logger plugin (plugins/logger/logger.c), run against the
 * fake host of fakehost.h instead of plexusd.
 *
 * The plugin is linked into this program, so the tests reach it the way the
 * host does: through its exported px_plugin_descriptor.
 *
 * Every test runs in its own mkdtemp() directory, and the teardown checks
 * that the number of open file descriptors is what it was before the test:
 * ASan finds leaked memory but not leaked descriptors.
 *
 * The handoff blob (plugins/logger/logger_handoff.c) is tested on its own
 * too: a round trip, and every truncation and single-byte corruption of a
 * valid blob, which must be refused with EPROTO or read without a memory
 * error (run under ASan), plus targeted corruptions of its length and
 * values; and through the plugin, a blob the next generation cannot read
 * is logged and the file opened again by its name.
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

#include "blobcheck.h"

#include "logger_handoff.h"
#include "plexus/byteorder.h"
#include "plexus/plugin.h"
#include "plexus/topics/host.h"
#include "plexus/topics/openflow.h"

#include "fakehost.h"

extern const struct px_plugin_descriptor px_plugin_descriptor;

/* The time of the host.log records the tests publish, chosen, like the
 * fake host's clock (FAKE_NOW), to format to a round, checkable string.  A
 * host record is stamped when it is logged, after the loop's cached time
 * of the same pass. */
#define RECORD_TIME     1767225662.5 /* 2026-01-01T00:01:02.500Z */
#define RECORD_TIME_STR "2026-01-01T00:01:02.500Z"

/* The logger's schema entry for 'key', or NULL. */
static const struct px_config_key *
schema_key(const char *key)
{
    return fake_schema_key(&px_plugin_descriptor, key);
}

/* A fake instance of the logger, named as the shipped conf.d names it. */
static struct fake_host *
logger_new(const char *dir, struct fake_handoff_store *store,
           unsigned int generation)
{
    return fake_host_new(&px_plugin_descriptor, "logger", dir, store,
                         generation);
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

    return fake_deliver(fh, PX_TOPIC_HOST_LOG, "host",
                        PX_TOPIC_HOST_LOG_VERSION, &rec, sizeof rec);
}

/* ---------------------------------------------------------------------- */
/* Files.                                                                 */

struct fixture {
    char dir[64];
    int fds_before;
    struct fake_handoff_store store;
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
    fake_unexpected_calls = 0;
    fake_n_instances = 0;
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

    while (fake_n_instances) {
        struct fake_host *fh = &fake_instances[--fake_n_instances];

        if (fh->plugin.data) {
            fake_stop(fh);
        }
        fake_drop_subs(fh);
    }
    fake_store_clear(&fx->store);
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
    assert_int_equal(fake_unexpected_calls, 0);
    return 0;
}

/* Starts an instance writing to 'dir'/'file' at 'level'. */
static struct fake_host *
start_file_logger(struct fixture *fx, const char *file, const char *level,
                  const char *event_level)
{
    struct fake_host *fh = logger_new(fx->dir, &fx->store, 1);

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

    fh = logger_new(fx->dir, &fx->store, 1);
    assert_int_equal(fake_start(fh), 0);
    assert_non_null(fh->plugin.data);
    /* At the default levels no event outside host.* is written, so the
     * per-packet topics do not reach the logger at all. */
    assert_int_equal(fh->n_subs, 1);
    assert_string_equal(fh->subs[0].pattern, "host.*");
    assert_int_equal(fh->subs[0].priority, PX_PRIO_LAST);
    assert_int_equal(fh->subs[0].min_version, 0);
    assert_non_null(fh->subs[0].fn);
    assert_true(fake_logged(fh, "writing to stderr at level info"));

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
    assert_non_null(fake_handoff_find(&fx->store, "state"));
    assert_null(fake_handoff_find(&fx->store, "file"));
}

static void
test_host_log_written_and_halted(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;
    char *text;

    fh = start_file_logger(fx, "log.txt", "info", "debug");
    assert_true(fake_logged(fh, "writing to a file at level info: "));
    assert_true(fake_logged(fh, fx->dir));

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
    assert_int_equal(
        fake_deliver(fh, "test.event", "of1", 2, frame, sizeof frame),
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
    fake_deliver(fh, "openflow.packet_in", "openflow", 1, &pi, sizeof pi);
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
        fake_deliver(fh, "openflow.packet_in", "of1", 1, frame, sizeof frame),
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
    assert_int_equal(fake_deliver(fh, PX_TOPIC_HOST_RELOAD_DONE, "host",
                                  PX_TOPIC_HOST_RELOAD_DONE_VERSION, &ok,
                                  sizeof ok),
                     PX_EVENT_CONTINUE);
    assert_int_equal(fake_deliver(fh, PX_TOPIC_HOST_RELOAD_DONE, "host",
                                  PX_TOPIC_HOST_RELOAD_DONE_VERSION, &partial,
                                  sizeof partial),
                     PX_EVENT_CONTINUE);
    assert_int_equal(fake_deliver(fh, PX_TOPIC_HOST_RELOAD_DONE, "host",
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
    assert_int_equal(fake_deliver(fh, PX_TOPIC_HOST_PLUGIN_LOADED, "host",
                                  PX_TOPIC_HOST_PLUGIN_VERSION, &ev,
                                  sizeof ev),
                     PX_EVENT_CONTINUE);
    ev.reason = "removed";
    assert_int_equal(fake_deliver(fh, PX_TOPIC_HOST_PLUGIN_UNLOADED, "host",
                                  PX_TOPIC_HOST_PLUGIN_VERSION, &ev,
                                  sizeof ev),
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
    assert_int_equal(fake_deliver(fh, PX_TOPIC_HOST_LOG, "host", 1, p, 4),
                     PX_EVENT_HALT);
    assert_int_equal(
        fake_deliver(fh, PX_TOPIC_HOST_RELOAD_DONE, "host", 1, p, 4),
        PX_EVENT_CONTINUE);
    assert_int_equal(
        fake_deliver(fh, PX_TOPIC_HOST_PLUGIN_LOADED, "host", 1, p, 4),
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
    assert_int_equal(fake_deliver(fh, PX_TOPIC_HOST_LOG, "host",
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
    struct fake_handoff_item *state_item, *file_item;
    struct fake_host *gen1, *gen2;
    char old_path[256], new_path[256];
    struct stat st_handed, st_file;
    char *text;

    gen1 = start_file_logger(fx, "log.txt", "info", "debug");
    deliver_log(gen1, PX_LOG_INFO, "host", "from generation 1");
    fake_stop(gen1);

    state_item = fake_handoff_find(&fx->store, "state");
    assert_non_null(state_item);
    assert_true(state_item->fd < 0);
    assert_int_equal(state_item->version, LOGGER_HANDOFF_VERSION);
    assert_true(state_item->len > 0);
    file_item = fake_handoff_find(&fx->store, "file");
    assert_non_null(file_item);
    assert_true(file_item->fd >= 0);
    assert_int_equal(fstat(file_item->fd, &st_handed), 0);

    join_path(old_path, sizeof old_path, fx->dir, "log.txt");
    join_path(new_path, sizeof new_path, fx->dir, "rotated.txt");
    assert_int_equal(stat(old_path, &st_file), 0);
    assert_true(st_handed.st_ino == st_file.st_ino);
    assert_true(st_handed.st_dev == st_file.st_dev);
    assert_int_equal(rename(old_path, new_path), 0);

    gen2 = logger_new(fx->dir, &fx->store, 2);
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

    gen2 = logger_new(fx->dir, &fx->store, 2);
    fake_set(gen2, "target", "file");
    fake_set(gen2, "file", "two.txt");
    assert_int_equal(fake_start(gen2), 0);
    deliver_log(gen2, PX_LOG_INFO, "host", "to two");
    fake_stop(gen2);
    assert_non_null(fake_handoff_find(&fx->store, "file"));

    gen3 = logger_new(fx->dir, &fx->store, 3);
    fake_set(gen3, "target", "stderr");
    assert_int_equal(fake_start(gen3), 0);
    fake_stop(gen3);
    assert_null(fake_handoff_find(&fx->store, "file"));

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
    assert_non_null(fake_handoff_find(&fx->store, "file"));
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
        fake_deliver(fh, "openflow.packet_in", "openflow", 1, &pi, sizeof pi),
        PX_EVENT_CONTINUE);
    assert_int_equal(file_size(fx->dir, "log.txt"), 0);

    fake_set(fh, "event_level", "info");
    assert_int_equal(px_plugin_descriptor.reconfigure(&fh->plugin), 0);
    assert_int_equal(fh->n_subs, 2);
    assert_string_equal(fh->subs[1].pattern, "*");
    assert_int_equal(fh->subs[1].priority, PX_PRIO_LAST);
    fake_deliver(fh, "openflow.packet_in", "openflow", 1, &pi, sizeof pi);
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
    fake_deliver(fh, "openflow.packet_in", "openflow", 1, &pi, sizeof pi);
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
    assert_null(fake_handoff_find(&fx->store, "file"));
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
    assert_true(fake_logged(fh, "cannot open log file"));

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

    fh = logger_new(fx->dir, &fx->store, 1);
    fake_set(fh, "target", "file");
    fake_set(fh, "file", "missing-dir/log.txt");
    assert_int_equal(fake_start(fh), ENOENT);
    assert_null(fh->plugin.data);
    assert_int_equal(fh->n_subs, 0);
    assert_true(fake_logged(fh, "cannot open log file"));
    assert_true(fake_logged(fh, "missing-dir/log.txt"));
}

/* An init that fails after opening its file must close it again (the
 * teardown counts descriptors). */
static void
test_init_subscribe_failure(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *fh;

    fh = logger_new(fx->dir, &fx->store, 1);
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

    gen2 = logger_new(fx->dir, &fx->store, 2);
    fake_set(gen2, "target", "file");
    fake_set(gen2, "file", "missing-dir/log.txt");
    assert_int_equal(fake_start(gen2), ENOENT);
    assert_non_null(fake_handoff_find(&fx->store, "file"));

    /* The rollback: the old configuration with the same handoff. */
    again = logger_new(fx->dir, &fx->store, 3);
    fake_set(again, "target", "file");
    fake_set(again, "file", "log.txt");
    assert_int_equal(fake_start(again), 0);
    deliver_log(again, PX_LOG_INFO, "host", "rolled back");
    text = slurp(fx->dir, "log.txt");
    assert_non_null(strstr(text, "rolled back"));
    fake_stop(again);
}

/* ---------------------------------------------------------------------- */
/* The handoff blob.                                                      */

/* The blob of a logger that wrote 'lines' lines to 'path', malloc'd. */
static uint8_t *
saved_blob(const char *path, uint64_t lines, size_t *len)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    struct logger_saved s;
    uint8_t *data;

    memset(&s, 0, sizeof s);
    snprintf(s.path, sizeof s.path, "%s", path);
    s.lines = lines;
    assert_int_equal(logger_handoff_write(&s, &b), 0);
    data = px_buf_steal(&b, len);
    assert_non_null(data);
    return data;
}

/* Reads 'len' bytes of 'data' from an exact-size copy, so that ASan sees
 * any read past them; returns what logger_handoff_read did, after checking
 * that a refusal leaves nothing behind. */
static int
saved_read_copy(const uint8_t *data, size_t len)
{
    static const struct logger_saved zero;
    uint8_t *copy = malloc(len ? len : 1);
    struct logger_saved s;
    int error;

    assert_non_null(copy);
    memcpy(copy, data, len);
    memset(&s, 0xa5, sizeof s);
    error = logger_handoff_read(copy, len, &s);
    if (error) {
        assert_memory_equal(&s, &zero, sizeof s);
    }
    free(copy);
    return error;
}

/* What the generation that stopped last left in the store. */
static void
stored_state(struct fixture *fx, struct logger_saved *out)
{
    struct fake_handoff_item *it =
        fake_handoff_find(&fx->store, LOGGER_HANDOFF_BLOB);

    assert_non_null(it);
    assert_true(it->fd < 0);
    assert_int_equal(it->version, LOGGER_HANDOFF_VERSION);
    assert_int_equal(logger_handoff_read(it->data, it->len, out), 0);
}

static void
test_handoff_blob_roundtrip(void **state)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    struct logger_saved s, r;
    uint8_t *data;
    size_t len;

    (void)state;
    data = saved_blob("/var/log/plexus.log", 0x0102030405060708ull, &len);
    assert_int_equal(logger_handoff_read(data, len, &r), 0);
    assert_string_equal(r.path, "/var/log/plexus.log");
    assert_int_equal(r.lines, 0x0102030405060708ull);
    free(data);

    /* No file (stderr, syslog), and the longest path. */
    data = saved_blob("", UINT64_MAX, &len);
    assert_int_equal(logger_handoff_read(data, len, &r), 0);
    assert_string_equal(r.path, "");
    assert_int_equal(r.lines, UINT64_MAX);
    free(data);
    memset(&s, 'p', sizeof s.path - 1);
    s.path[sizeof s.path - 1] = '\0';
    s.lines = 1;
    assert_int_equal(logger_handoff_write(&s, &b), 0);
    assert_int_equal(logger_handoff_read(b.data, b.len, &r), 0);
    assert_memory_equal(r.path, s.path, sizeof s.path);

    /* What cannot be written is refused, not cut short. */
    memset(s.path, 'p', sizeof s.path);
    assert_int_equal(logger_handoff_write(&s, &b), EINVAL);
    px_buf_destroy(&b);
    px_buf_init(&b, 10);
    s.path[0] = '\0';
    assert_int_equal(logger_handoff_write(&s, &b), ENOBUFS);
    px_buf_destroy(&b);
}

static void
test_handoff_blob_truncated(void **state)
{
    size_t len;
    uint8_t *data = saved_blob("/tmp/log.txt", 42, &len);
    struct logger_saved r;

    (void)state;
    blob_check_truncations(data, len, saved_read_copy);
    memset(&r, 0xa5, sizeof r);
    assert_int_equal(logger_handoff_read(NULL, 0, &r), EPROTO);
    assert_string_equal(r.path, "");
    free(data);
}

/* Where the sample blob's fields are (logger_handoff.c has the layout). */
#define LH_MAGIC    0
#define LH_VERSION  4
#define LH_PATH     8
#define LH_PATH_LEN 12 /* "/tmp/log.txt" */
#define LH_LINES    (LH_PATH + 4 + LH_PATH_LEN)

static void
test_handoff_blob_corrupt(void **state)
{
    size_t len;
    uint8_t *data = saved_blob("/tmp/log.txt", 42, &len), *bad;

    (void)state;
    bad = malloc(len + 1);
    assert_non_null(bad);
    /* The offsets above hold what the sample put there. */
    assert_int_equal(len, LH_LINES + 8);
    assert_int_equal(px_get_be32(data + LH_VERSION), LOGGER_HANDOFF_VERSION);
    assert_int_equal(px_get_be32(data + LH_PATH), LH_PATH_LEN);
    assert_int_equal(px_get_be64(data + LH_LINES), 42);

    blob_check_flips(data, len, saved_read_copy);

#define EXPECT_REFUSED(OFF, PUT, VALUE)                                       \
    BLOB_EXPECT_REFUSED(saved_read_copy, data, bad, len, OFF, PUT, VALUE)
#define PUT_U8 BLOB_PUT_U8

    EXPECT_REFUSED(LH_MAGIC, px_put_be32, 0x12345678);
    EXPECT_REFUSED(LH_VERSION, px_put_be32, 1); /* The copy of a struct. */
    EXPECT_REFUSED(LH_VERSION, px_put_be32, LOGGER_HANDOFF_VERSION + 1);
    /* A path as long as its field (no room for the NUL), past the end, one
     * byte short or long, or with a NUL in it. */
    EXPECT_REFUSED(LH_PATH, px_put_be32, LOGGER_PATH_LEN);
    EXPECT_REFUSED(LH_PATH, px_put_be32, UINT32_MAX);
    EXPECT_REFUSED(LH_PATH, px_put_be32, LH_PATH_LEN - 1);
    EXPECT_REFUSED(LH_PATH, px_put_be32, LH_PATH_LEN + 1);
    EXPECT_REFUSED(LH_PATH + 4 + 4, PUT_U8, 0);
#undef EXPECT_REFUSED
#undef PUT_U8

    /* One byte too many. */
    memcpy(bad, data, len);
    bad[len] = 0;
    assert_int_equal(saved_read_copy(bad, len + 1), EPROTO);
    free(bad);
    free(data);
}

/* The line count goes on across generations with the file. */
static void
test_handoff_carries_line_count(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *gen1, *gen2;
    struct logger_saved saved;
    char path[256];

    join_path(path, sizeof path, fx->dir, "log.txt");
    gen1 = start_file_logger(fx, "log.txt", "info", "debug");
    deliver_log(gen1, PX_LOG_INFO, "host", "one");
    deliver_log(gen1, PX_LOG_DEBUG, "host", "not written");
    deliver_log(gen1, PX_LOG_WARN, "host", "two");
    fake_stop(gen1);
    stored_state(fx, &saved);
    assert_string_equal(saved.path, path);
    assert_int_equal(saved.lines, 2);

    gen2 = logger_new(fx->dir, &fx->store, 2);
    fake_set(gen2, "target", "file");
    fake_set(gen2, "file", "log.txt");
    assert_int_equal(fake_start(gen2), 0);
    assert_int_equal(gen2->n_logs, 1); /* Only its "writing" line. */
    deliver_log(gen2, PX_LOG_INFO, "host", "three");
    fake_stop(gen2);
    stored_state(fx, &saved);
    assert_string_equal(saved.path, path);
    assert_int_equal(saved.lines, 3);
    assert_int_equal(count_lines(slurp(fx->dir, "log.txt")), 3);
}

/* Starts generation 'gen' on log.txt after the state blob in the store was
 * damaged by 'damage'; checks that it said so ('needle'), did not take
 * the handed descriptor (the file was renamed, so a descriptor would write
 * to the old one) and started its line count afresh. */
static void
start_after_damage(struct fixture *fx, unsigned int gen,
                   void (*damage)(struct fake_handoff_item *),
                   const char *needle)
{
    struct fake_handoff_item *it;
    struct logger_saved saved;
    char old_path[256], new_path[256], line[64];
    struct fake_host *fh;
    char *text;

    it = fake_handoff_find(&fx->store, LOGGER_HANDOFF_BLOB);
    assert_non_null(it);
    damage(it);
    assert_non_null(fake_handoff_find(&fx->store, "file"));
    join_path(old_path, sizeof old_path, fx->dir, "log.txt");
    join_path(new_path, sizeof new_path, fx->dir, "rotated.txt");
    assert_int_equal(rename(old_path, new_path), 0);

    fh = logger_new(fx->dir, &fx->store, gen);
    fake_set(fh, "target", "file");
    fake_set(fh, "file", "log.txt");
    assert_int_equal(fake_start(fh), 0);
    assert_true(fake_logged(fh, needle));
    assert_true(fake_logged(fh, "the log file is opened again"));
    snprintf(line, sizeof line, "generation %u after the damage", gen);
    deliver_log(fh, PX_LOG_INFO, "host", line);
    text = slurp(fx->dir, "log.txt");
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, line));
    assert_null(strstr(slurp(fx->dir, "rotated.txt"), line));
    assert_int_equal(unlink(new_path), 0);
    fake_stop(fh);
    stored_state(fx, &saved);
    assert_int_equal(saved.lines, 1);
}

static void
flip_magic(struct fake_handoff_item *it)
{
    ((uint8_t *)it->data)[LH_MAGIC] ^= 0xff;
}

static void
cut_short(struct fake_handoff_item *it)
{
    it->len -= 1;
}

static void
older_version(struct fake_handoff_item *it)
{
    it->version = 1;
}

/* A state blob the next generation cannot read is logged, and the file is
 * opened again by its name: the generation starts, writes, and leaks
 * nothing (the teardown counts descriptors). */
static void
test_handoff_unreadable_blob(void **state)
{
    struct fixture *fx = *state;
    struct fake_host *gen1;

    gen1 = start_file_logger(fx, "log.txt", "info", "debug");
    deliver_log(gen1, PX_LOG_INFO, "host", "from generation 1");
    fake_stop(gen1);
    start_after_damage(fx, 2, flip_magic, "handoff refused");
    start_after_damage(fx, 3, cut_short, "handoff refused");
    start_after_damage(fx, 4, older_version, "handoff of version 1, not 2");
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
        T(test_handoff_carries_line_count),
        T(test_handoff_unreadable_blob),
#undef T
        cmocka_unit_test(test_handoff_blob_roundtrip),
        cmocka_unit_test(test_handoff_blob_truncated),
        cmocka_unit_test(test_handoff_blob_corrupt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
