/*
 * The control socket's built-in commands: help, version, status, plugins,
 * reload and log-level.  Each writes text for a person (tables laid out
 * with plexus/table.h, like plugins' commands) and the same facts as JSON
 * for scripts and the web console.
 *
 * They run on the loop thread inside the control socket's read callback;
 * "reload" runs a whole reload there, synchronously, and answers with the
 * outcome the reload code recorded for that very reload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_proto.h"
#include "daemon.h"
#include "instance.h"
#include "log.h"
#include "plexus/table.h"
#include "plexus/topics/host.h"
#include "plexus/util.h"
#include "reload.h"

#ifndef PX_VERSION
#define PX_VERSION "unknown"
#endif

static const char *const outcome_names[] = {
    [PX_RELOAD_OK] = "ok",
    [PX_RELOAD_PARTIAL] = "partial",
    [PX_RELOAD_REFUSED] = "refused",
};

static const char *
outcome_name(int outcome)
{
    return outcome >= 0 && outcome <= PX_RELOAD_REFUSED
               ? outcome_names[outcome]
               : "unknown";
}

/* ------------------------------------------------------------------------
 * help */

struct help_ctx {
    struct px_table t;
    json_t *list;
};

static void
help_one(const char *name, const char *usage, const char *help,
         const char *owner, void *aux)
{
    struct help_ctx *h = aux;

    px_table_row(&h->t);
    px_table_set(&h->t, 0, name);
    px_table_set(&h->t, 1, usage);
    px_table_set(&h->t, 2, owner);
    px_table_set(&h->t, 3, help);
    json_array_append_new(h->list,
                          json_pack("{s:s,s:s,s:s,s:s}", "name", name, "usage",
                                    usage, "help", help, "owner", owner));
}

static int
cmd_help(struct px_plugin *p, int argc, const char *const *argv,
         struct px_reply *r, void *arg)
{
    struct px_host *host = arg;
    struct help_ctx h;

    (void)p;
    (void)argc;
    (void)argv;
    px_table_init(&h.t);
    px_table_column(&h.t, "COMMAND", PX_TABLE_LEFT);
    px_table_column(&h.t, "ARGUMENTS", PX_TABLE_LEFT);
    px_table_column(&h.t, "OWNER", PX_TABLE_LEFT);
    px_table_column(&h.t, "DESCRIPTION", PX_TABLE_LEFT);
    h.list = json_array();
    px_ctl_foreach_command(host->ctl, help_one, &h);
    px_reply_table(r, &h.t, NULL);
    px_ctl_reply_set_data(r, json_pack("{s:o}", "commands", h.list));
    return 0;
}

/* ------------------------------------------------------------------------
 * version */

static int
cmd_version(struct px_plugin *p, int argc, const char *const *argv,
            struct px_reply *r, void *arg)
{
    (void)p;
    (void)argc;
    (void)argv;
    (void)arg;
    px_reply_printf(r, "plexusd %s (plugin ABI %d.%d)\n", PX_VERSION,
                    PX_ABI_MAJOR, PX_ABI_MINOR);
    px_ctl_reply_set_data(r, json_pack("{s:s,s:{s:i,s:i}}", "version",
                                       PX_VERSION, "abi", "major",
                                       PX_ABI_MAJOR, "minor", PX_ABI_MINOR));
    return 0;
}

/* ------------------------------------------------------------------------
 * plugins */

static const char *
level_name(int level)
{
    return px_log_level_str(level >= 0 ? level : px_log_get_level());
}

/* The plugin table and its JSON, shared by "plugins" and "status". */
static const struct px_instance *
instance_named(struct px_host *host, const char *name)
{
    struct px_instance *inst;

    PX_LIST_FOR_EACH (inst, node, &host->instances) {
        if (!strcmp(inst->name, name)) {
            return inst;
        }
    }
    return NULL;
}

static json_t *
plugins_table(struct px_host *host, struct px_reply *r, double now)
{
    size_t i;
    struct px_instance *inst;
    struct px_table t;
    json_t *list = json_array();

    px_table_init(&t);
    px_table_column(&t, "PLUGIN", PX_TABLE_LEFT);
    px_table_column(&t, "MODULE", PX_TABLE_LEFT);
    px_table_column(&t, "VERSION", PX_TABLE_LEFT);
    px_table_column(&t, "GEN", PX_TABLE_RIGHT);
    px_table_column(&t, "LOADED", PX_TABLE_RIGHT);
    px_table_column(&t, "RELOADS", PX_TABLE_RIGHT);
    px_table_column(&t, "REFUSED", PX_TABLE_RIGHT);
    px_table_column(&t, "LOG", PX_TABLE_LEFT);
    PX_LIST_FOR_EACH (inst, node, &host->instances) {
        const char *version = inst->module ? inst->module->version : "";
        char age[32];

        px_table_row(&t);
        px_table_set(&t, 0, inst->name);
        px_table_set(&t, 1, inst->conf->module);
        px_table_set(&t, 2, version);
        px_table_setf(&t, 3, "%u", inst->generation);
        px_table_set(&t, 4,
                     px_table_age(now - inst->loaded_since, age, sizeof age));
        px_table_setf(&t, 5, "%llu", (unsigned long long)inst->reloads);
        px_table_setf(&t, 6, "%llu",
                      (unsigned long long)inst->reloads_refused);
        px_table_set(&t, 7, level_name(inst->log_level));
        json_array_append_new(
            list,
            json_pack("{s:s,s:s,s:s,s:I,s:f,s:I,s:I,s:s,s:s,s:i,s:b,s:b}",
                      "plugin", inst->name, "module", inst->conf->module,
                      "version", version, "generation",
                      (json_int_t)inst->generation, "loaded_since",
                      inst->loaded_since, "reloads", (json_int_t)inst->reloads,
                      "reloads_refused", (json_int_t)inst->reloads_refused,
                      "log_level", level_name(inst->log_level), "file",
                      inst->conf->file, "line", inst->conf->line, "enabled", 1,
                      "loaded", 1));
    }
    /* Instances of conf.d that do not run (disabled, or refused at their
     * last load): the console offers to enable them.  The text table
     * keeps to what runs, as before. */
    for (i = 0; host->conf && i < host->conf->n_instances; i++) {
        const struct px_conf_instance *c = &host->conf->instances[i];

        if (!instance_named(host, c->name)) {
            json_array_append_new(
                list,
                json_pack("{s:s,s:s,s:s,s:s,s:i,s:b,s:b}", "plugin", c->name,
                          "module", c->module, "log_level",
                          level_name(c->log_level), "file", c->file, "line",
                          c->line, "enabled", c->enabled, "loaded", 0));
        }
    }
    px_reply_table(r, &t, "plugins: none");
    return list;
}

/* ------------------------------------------------------------------------
 * enable, disable */

static int
set_enabled(struct px_host *host, struct px_reply *r, const char *name,
            int enabled)
{
    struct px_errors errors = {0};
    char *file = NULL;
    int line = 0, error;

    error = px_conf_set_enabled(host->conf_dir, name, enabled, &file, &line,
                                &errors);
    if (error) {
        px_reply_error(r, "%s", px_errors_text(&errors));
        px_errors_clear(&errors);
        return error;
    }
    px_reply_printf(r, "%s:%d: enabled = %s (\"reload\" applies it)\n", file,
                    line, enabled ? "true" : "false");
    px_ctl_reply_set_data(r, json_pack("{s:s,s:s,s:i,s:b}", "plugin", name,
                                       "file", file, "line", line, "enabled",
                                       enabled));
    free(file);
    return 0;
}

static int
cmd_enable(struct px_plugin *p, int argc, const char *const *argv,
           struct px_reply *r, void *arg)
{
    (void)p;
    (void)argc;
    return set_enabled(arg, r, argv[1], !strcmp(argv[0], "enable"));
}

static int
cmd_plugins(struct px_plugin *p, int argc, const char *const *argv,
            struct px_reply *r, void *arg)
{
    struct px_host *host = arg;
    json_t *list;

    (void)p;
    (void)argc;
    (void)argv;
    list = plugins_table(host, r, px_wall_now());
    px_ctl_reply_set_data(r, json_pack("{s:o}", "plugins", list));
    return 0;
}

/* ------------------------------------------------------------------------
 * reload */

/* A comma-separated list as a JSON array of its non-empty items. */
static json_t *
split_list(const char *list)
{
    json_t *a = json_array();
    const char *s = list;

    while (a && s && *s) {
        size_t n = strcspn(s, ",");

        if (n) {
            json_array_append_new(a, json_stringn(s, n));
        }
        s += n + (s[n] == ',');
    }
    return a;
}

/* "name: why; name: why" as [{"instance": name, "reason": why}...]. */
static json_t *
split_refused(const char *refused)
{
    json_t *a = json_array();
    const char *s = refused;

    while (a && s && *s) {
        const char *sep = strstr(s, "; ");
        size_t n = sep ? (size_t)(sep - s) : strlen(s);
        const char *colon = memchr(s, ':', n);
        size_t name_len = colon ? (size_t)(colon - s) : n;
        const char *why = colon ? colon + 1 : "";
        size_t why_len = colon ? n - name_len - 1 : 0;

        while (why_len && *why == ' ') {
            why++;
            why_len--;
        }
        if (n) {
            json_array_append_new(a,
                                  json_pack("{s:s%,s:s%}", "instance", s,
                                            name_len, "reason", why, why_len));
        }
        s += n + (sep ? 2 : 0);
    }
    return a;
}

static json_t *
reload_json(const struct px_ctl_reload *rec)
{
    if (!rec->id) {
        return json_null();
    }
    return json_pack(
        "{s:I,s:s,s:f,s:o,s:o,s:o,s:o,s:o,s:s}", "id", (json_int_t)rec->id,
        "outcome", outcome_name(rec->outcome), "time", rec->time, "added",
        split_list(rec->added), "removed", split_list(rec->removed),
        "reloaded", split_list(rec->reloaded), "reconfigured",
        split_list(rec->reconfigured), "refused", split_refused(rec->refused),
        "error", rec->error ? rec->error : "");
}

static int
cmd_reload(struct px_plugin *p, int argc, const char *const *argv,
           struct px_reply *r, void *arg)
{
    struct px_host *host = arg;
    const struct px_ctl_reload *rec;
    unsigned int before = host->reload_id;
    struct px_buf text = PX_BUF_INITIALIZER(SIZE_MAX);

    (void)p;
    (void)argc;
    (void)argv;
    PX_HLOG(PX_LOG_INFO, "control socket: reloading %s", host->conf_dir);
    px_reload_from_dir(host);
    rec = px_ctl_last_reload(host->ctl);
    if (rec->id == before || rec->id != host->reload_id) {
        px_reply_error(r, "the reload recorded no outcome (see the log)");
        return EIO;
    }
    {
        const struct px_ctl_reload_text t = {
            .id = rec->id,
            .outcome = rec->outcome,
            .added = rec->added,
            .removed = rec->removed,
            .reloaded = rec->reloaded,
            .reconfigured = rec->reconfigured,
            .refused = rec->refused,
            .error = rec->error,
        };

        px_ctl_format_reload(&text, &t);
    }
    px_reply_printf(r, "%s", px_buf_cstr(&text));
    px_buf_destroy(&text);
    px_ctl_reply_set_data(r, reload_json(rec));
    return 0;
}

/* ------------------------------------------------------------------------
 * status */

struct unpublished {
    struct px_buf text;
    json_t *list;
};

static void
add_unpublished(const char *name, size_t n_subs, void *aux)
{
    struct unpublished *u = aux;

    px_buf_printf(&u->text, "%s%s (%zu subscription%s)",
                  u->text.len ? ", " : "", name, n_subs,
                  n_subs == 1 ? "" : "s");
    json_array_append_new(u->list,
                          json_pack("{s:s,s:I}", "topic", name,
                                    "subscriptions", (json_int_t)n_subs));
}

static int
cmd_status(struct px_plugin *p, int argc, const char *const *argv,
           struct px_reply *r, void *arg)
{
    struct px_host *host = arg;
    const struct px_ctl_reload *last = px_ctl_last_reload(host->ctl);
    struct unpublished u = {PX_BUF_INITIALIZER(SIZE_MAX), json_array()};
    struct px_bus_stats bs;
    struct px_ctl_stats cs;
    json_t *plugins, *drops = json_object();
    double now = px_wall_now();
    uint64_t dropped = 0;
    char age[32];
    size_t i;

    (void)p;
    (void)argc;
    (void)argv;
    px_bus_get_stats(host->bus, &bs);
    px_ctl_get_stats(host->ctl, &cs);
    px_bus_foreach_unpublished(host->bus, add_unpublished, &u);

    px_reply_printf(r, "plexusd %s, pid %ld, up %s\n", PX_VERSION,
                    (long)getpid(),
                    px_table_age(now - host->start_time, age, sizeof age));
    px_reply_printf(r, "reloads: %llu ok, %llu partial, %llu refused",
                    (unsigned long long)host->reloads[PX_RELOAD_OK],
                    (unsigned long long)host->reloads[PX_RELOAD_PARTIAL],
                    (unsigned long long)host->reloads[PX_RELOAD_REFUSED]);
    if (last->id) {
        px_reply_printf(r, "; last reload %u: %s, %s ago", last->id,
                        outcome_name(last->outcome),
                        px_table_age(now - last->time, age, sizeof age));
    }
    px_reply_printf(r, "\nlog level: %s\n", level_name(-1));
    px_reply_printf(
        r,
        "events: queue %zu/%zu, %llu drops, %llu nesting drops, "
        "%zu topics, %zu subscriptions\n",
        bs.async_depth, bs.async_capacity, (unsigned long long)bs.async_drops,
        (unsigned long long)bs.depth_drops, bs.topics, bs.subscriptions);
    for (i = 0; i < PX_CTL_N_DROPS; i++) {
        dropped += cs.drops[i];
        json_object_set_new(drops, px_ctl_drop_name(i),
                            json_integer((json_int_t)cs.drops[i]));
    }
    px_reply_printf(
        r,
        "control socket: %s, %zu client%s, %llu requests, %llu "
        "errors, %llu clients dropped\n",
        cs.path ? cs.path : "none", cs.clients, cs.clients == 1 ? "" : "s",
        (unsigned long long)cs.requests, (unsigned long long)cs.errors,
        (unsigned long long)dropped);
    px_reply_printf(r, "topics with subscribers but no publisher: %s\n\n",
                    u.text.len ? px_buf_cstr(&u.text) : "none");
    px_buf_destroy(&u.text);
    plugins = plugins_table(host, r, now);

    px_ctl_reply_set_data(
        r, json_pack("{s:s,s:I,s:f,s:f,s:s,s:{s:I,s:I,s:I},s:o,"
                     "s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
                     "s:{s:s?,s:I,s:I,s:I,s:I,s:o},s:o,s:o}",
                     "version", PX_VERSION, "pid", (json_int_t)getpid(),
                     "start_time", host->start_time, "uptime",
                     now - host->start_time, "log_level", level_name(-1),
                     "reloads", "ok", (json_int_t)host->reloads[PX_RELOAD_OK],
                     "partial", (json_int_t)host->reloads[PX_RELOAD_PARTIAL],
                     "refused", (json_int_t)host->reloads[PX_RELOAD_REFUSED],
                     "last_reload", reload_json(last), "event_table", "topics",
                     (json_int_t)bs.topics, "subscriptions",
                     (json_int_t)bs.subscriptions, "queue_depth",
                     (json_int_t)bs.async_depth, "queue_capacity",
                     (json_int_t)bs.async_capacity, "queue_events",
                     (json_int_t)bs.async_queued, "queue_drops",
                     (json_int_t)bs.async_drops, "nesting_drops",
                     (json_int_t)bs.depth_drops, "control_socket", "path",
                     cs.path, "clients", (json_int_t)cs.clients, "connections",
                     (json_int_t)cs.connections, "requests",
                     (json_int_t)cs.requests, "errors", (json_int_t)cs.errors,
                     "drops", drops, "plugins", plugins, "unpublished_topics",
                     u.list));
    return 0;
}

/* ------------------------------------------------------------------------
 * log-level */

/* Every level, as JSON. */
static json_t *
levels_json(struct px_host *host)
{
    struct px_instance *inst;
    json_t *list = json_array();

    PX_LIST_FOR_EACH (inst, node, &host->instances) {
        json_array_append_new(
            list, json_pack("{s:s,s:s,s:b}", "instance", inst->name, "level",
                            level_name(inst->log_level), "inherited",
                            inst->log_level < 0));
    }
    return json_pack("{s:s,s:o}", "host", level_name(-1), "instances", list);
}

/* Shows the host's level and every instance's. */
static void
show_levels(struct px_host *host, struct px_reply *r)
{
    struct px_instance *inst;
    struct px_table t;

    px_table_init(&t);
    px_table_column(&t, "LOGGER", PX_TABLE_LEFT);
    px_table_column(&t, "LEVEL", PX_TABLE_LEFT);
    px_table_row(&t);
    px_table_set(&t, 0, "host");
    px_table_set(&t, 1, level_name(-1));
    PX_LIST_FOR_EACH (inst, node, &host->instances) {
        px_table_row(&t);
        px_table_set(&t, 0, inst->name);
        px_table_setf(&t, 1, "%s%s", level_name(inst->log_level),
                      inst->log_level < 0 ? " (the host's)" : "");
    }
    px_reply_table(r, &t, NULL);
    px_ctl_reply_set_data(r, levels_json(host));
}

static int
cmd_log_level(struct px_plugin *p, int argc, const char *const *argv,
              struct px_reply *r, void *arg)
{
    struct px_host *host = arg;
    struct px_instance *inst = NULL;
    const char *level_arg = argv[argc - 1];
    int level, old;

    (void)p;
    if (argc == 1) {
        show_levels(host, r);
        return 0;
    }
    if (argc == 3) {
        inst = px_instance_find(host, argv[1]);
        if (!inst) {
            px_reply_error(r,
                           "no plugin instance '%s' (\"plugins\" lists "
                           "them)",
                           argv[1]);
            return ENOENT;
        }
    }
    if (inst && !strcmp(level_arg, "default")) {
        level = -1;
    } else if (px_parse_log_level(level_arg, &level)) {
        px_reply_error(r,
                       "'%s' is not a log level (error, warn, info, "
                       "debug%s)",
                       level_arg, inst ? ", or default for the host's" : "");
        return EINVAL;
    }
    if (inst) {
        old = inst->log_level;
        inst->log_level = level;
        PX_HLOG(PX_LOG_INFO, "control socket: %s's log level is now %s%s",
                inst->name, level_name(level),
                level < 0 ? " (the host's)" : "");
        px_reply_printf(r, "%s: log level %s%s (was %s%s)\n", inst->name,
                        level_name(level), level < 0 ? " (the host's)" : "",
                        level_name(old), old < 0 ? ", the host's" : "");
    } else {
        old = px_log_get_level();
        px_log_set_level(level);
        PX_HLOG(PX_LOG_INFO, "control socket: the host's log level is now %s",
                level_name(level));
        px_reply_printf(r, "host: log level %s (was %s)\n", level_name(level),
                        level_name(old));
    }
    /* The data: every level after the change, as "log-level" shows. */
    px_ctl_reply_set_data(r, levels_json(host));
    return 0;
}

/* ------------------------------------------------------------------------
 * Registration. */

int
px_ctl_builtins_register(struct px_ctl *ctl, struct px_host *host)
{
    static const struct {
        const char *name;
        const char *usage;
        const char *help;
        int min_args, max_args;
        px_command_fn fn;
    } builtins[] = {
        {"help", "", "list the commands", 0, 0, cmd_help},
        {"version", "", "the daemon's version and plugin ABI", 0, 0,
         cmd_version},
        {"status", "", "the daemon at a glance: reloads, events, plugins", 0,
         0, cmd_status},
        {"plugins", "", "plugin instances: module, version, generation", 0, 0,
         cmd_plugins},
        {"reload", "", "reload conf.d and rebuilt plugins; print the outcome",
         0, 0, cmd_reload},
        {"enable", "INSTANCE",
         "set 'enabled = true' in the instance's conf.d file (then reload)", 1,
         1, cmd_enable},
        {"disable", "INSTANCE",
         "set 'enabled = false' in the instance's conf.d file (then reload)",
         1, 1, cmd_enable},
        {"log-level", "[[INSTANCE] LEVEL]",
         "show log levels, or set the host's or an instance's", 0, 2,
         cmd_log_level},
    };
    size_t i;
    int error;

    for (i = 0; i < sizeof builtins / sizeof *builtins; i++) {
        error = px_ctl_command_register(
            ctl, NULL, builtins[i].name, builtins[i].usage, builtins[i].help,
            builtins[i].min_args, builtins[i].max_args, builtins[i].fn, host,
            NULL);
        if (error) {
            return error;
        }
    }
    return 0;
}
