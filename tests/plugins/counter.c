/*
 * counter: a test plugin whose state must survive reloads.
 *
 * It counts timer ticks and "test.ping" events, and keeps an open file
 * descriptor.  Both go through the handoff: the count as a versioned blob,
 * the descriptor by name.  Every init logs one line the integration tests
 * parse:
 *   counter VERSION generation G: count=C inode=I inherited=yes|no
 * so a test can see that a rebuilt .so runs (VERSION), that state survived
 * (C does not go back) and that the descriptor is the same file (I).
 *
 * Built three ways by the Makefile: as 1.0, as 2.0 (the "rebuild"), and as
 * a broken 3.0 whose init fails after taking the handoff (the rollback).
 *
 * It also registers a command on the control socket ("counter-get" unless
 * the 'command' key names another), answering with its count, version and
 * generation, so the tests can watch a plugin's command come and go with
 * the plugin; and it can subscribe to one more topic ('extra_topic'),
 * which the tests name wrong on purpose.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plexus/plugin.h"

#ifndef COUNTER_VERSION
#define COUNTER_VERSION "1.0"
#endif

struct counter {
    unsigned long long count;
    unsigned long long pings;
    int fd;
    struct px_timer *timer;
};

struct counter_blob {
    unsigned long long count;
    unsigned long long pings;
};

static const struct px_config_key counter_keys[] = {
    {.key = "tick",
     .type = PX_CONFIG_DOUBLE,
     .default_value = "0.05",
     .min = 0.001,
     .max = 10,
     .help = "seconds between ticks"},
    {.key = "file",
     .type = PX_CONFIG_STRING,
     .default_value = "counter.out",
     .help = "file kept open across reloads"},
    {.key = "note",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "free text; changing it restarts the instance"},
    {.key = "command",
     .type = PX_CONFIG_STRING,
     .default_value = "counter-get",
     .help = "name of the command that reports the count (empty: none)"},
    {.key = "extra_topic",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "one more topic to subscribe to (empty: none)"},
    {.key = NULL},
};

static void
on_tick(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct counter *c = px_get_data(p);

    (void)t;
    (void)arg;
    c->count++;
    /* Logged at debug so tests can wait for progress without flooding. */
    px_debug(p, "tick count=%llu", c->count);
}

static int
on_ping(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct counter *c = px_get_data(p);

    (void)ev;
    (void)arg;
    c->pings++;
    px_info(p, "pong %llu", c->pings);
    return PX_EVENT_CONTINUE;
}

/* "counter-get [FIELD]": every field, or the one named. */
static int
on_get(struct px_plugin *p, int argc, const char *const *argv,
       struct px_reply *r, void *arg)
{
    struct counter *c = px_get_data(p);
    char json[256];

    (void)arg;
    if (argc == 2 && strcmp(argv[1], "count") && strcmp(argv[1], "pings")) {
        px_reply_error(r, "no field '%s' (count, pings)", argv[1]);
        return EINVAL;
    }
    if (argc == 2) {
        px_reply_printf(r, "%llu\n",
                        !strcmp(argv[1], "count") ? c->count : c->pings);
    } else {
        px_reply_printf(r, "counter %s generation %u: count=%llu pings=%llu\n",
                        COUNTER_VERSION, px_generation(p), c->count, c->pings);
    }
    snprintf(json, sizeof json,
             "{\"version\":\"%s\",\"generation\":%u,\"count\":%llu,"
             "\"pings\":%llu}",
             COUNTER_VERSION, px_generation(p), c->count, c->pings);
    return px_reply_json(r, json);
}

static int
counter_init(struct px_plugin *p)
{
    struct counter *c = calloc(1, sizeof *c);
    const void *data;
    uint32_t version;
    size_t len;
    struct stat st;
    char path[4096];
    const char *command, *extra;
    double tick;
    int inherited = 0, error;

    if (!c) {
        return ENOMEM;
    }
    c->fd = -1;
    if (!px_handoff_get_blob(p, "state", &version, &data, &len) &&
        version == 1 && len == sizeof(struct counter_blob)) {
        const struct counter_blob *b = data;

        c->count = b->count;
        c->pings = b->pings;
    }
    if (!px_handoff_take_fd(p, "file", &c->fd)) {
        inherited = 1;
    } else {
        error = px_config_path(p, "file", path, sizeof path);
        if (error) {
            free(c);
            return error;
        }
        c->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (c->fd < 0) {
            error = errno;
            free(c);
            return error;
        }
    }
    if ((error = px_config_double(p, "tick", &tick)) ||
        (error = px_config_string(p, "command", &command)) ||
        (error = px_config_string(p, "extra_topic", &extra)) ||
        (error = px_timer_start(p, tick, tick, on_tick, NULL, &c->timer)) ||
        (error = px_subscribe(p, "test.ping", 0, 0, on_ping, NULL, NULL)) ||
        (extra[0] &&
         (error = px_subscribe(p, extra, 0, 0, on_ping, NULL, NULL)))) {
        close(c->fd);
        free(c);
        return error;
    }
    /* A name that is taken is logged by the host; the count is still
     * kept. */
    if (command[0] && px_command_register(p, command, "[FIELD]",
                                          "the test counter's count and pings",
                                          0, 1, on_get, NULL, NULL)) {
        px_warn(p, "command '%s' not registered", command);
    }
#ifdef COUNTER_INIT_FAILS
    /* The broken build: fail after taking the handoff and creating
     * resources, the worst case for a rollback. */
    close(c->fd);
    free(c);
    px_error(p, "counter %s: init fails on purpose", COUNTER_VERSION);
    return EIO;
#endif
    fstat(c->fd, &st);
    px_set_data(p, c);
    px_info(p, "counter %s generation %u: count=%llu inode=%llu inherited=%s",
            COUNTER_VERSION, px_generation(p), c->count,
            (unsigned long long)st.st_ino, inherited ? "yes" : "no");
    return 0;
}

static void
counter_fini(struct px_plugin *p)
{
    struct counter *c = px_get_data(p);
    struct counter_blob b = {c->count, c->pings};

    px_timer_stop(p, c->timer);
    px_handoff_put_blob(p, "state", 1, &b, sizeof b);
    if (px_handoff_put_fd(p, "file", c->fd)) {
        close(c->fd);
    }
    px_info(p, "counter %s fini: count=%llu", COUNTER_VERSION, c->count);
    free(c);
}

PX_PLUGIN_DEFINE(.name = "counter", .version = COUNTER_VERSION,
                 .description = "test plugin: state across reloads",
                 .config_keys = counter_keys, .init = counter_init,
                 .fini = counter_fini);
