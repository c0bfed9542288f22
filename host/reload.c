/*
 * Reload: bring the running set of plugin instances in line with a new
 * configuration snapshot.  Start-up is the same operation from an empty set,
 * so there is one code path for both.
 *
 * Two phases.  Prepare touches nothing that runs: it opens every new or
 * rebuilt module from a fresh copy, validates descriptors and every
 * plugin's keys.  A configuration error refuses the whole reload; a module
 * that cannot be loaded refuses only its own instance.  Commit then unloads,
 * restarts and loads, rolling an instance back to its old code (still
 * mapped) when the new init fails.
 */
#include "reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "ctl.h"
#include "instance.h"
#include "log.h"
#include "plexus/topics/host.h"

enum action {
    ACT_KEEP,
    ACT_LEVEL,       /* Only [plugin] log_level changed. */
    ACT_RECONFIGURE, /* Own keys changed; the plugin applies them. */
    ACT_RESTART,     /* New code, or new keys without reconfigure. */
    ACT_ADD,
};

struct plan_item {
    const struct px_conf_instance *conf; /* In the new snapshot. */
    struct px_instance *inst;            /* Running, or NULL. */
    struct px_module *module;            /* Prepared new code, or NULL. */
    enum action action;
};

struct report {
    struct px_buf added;
    struct px_buf removed;
    struct px_buf reloaded;
    struct px_buf reconfigured;
    struct px_buf refused;
};

static void
report_init(struct report *r)
{
    px_buf_init(&r->added, SIZE_MAX);
    px_buf_init(&r->removed, SIZE_MAX);
    px_buf_init(&r->reloaded, SIZE_MAX);
    px_buf_init(&r->reconfigured, SIZE_MAX);
    px_buf_init(&r->refused, SIZE_MAX);
}

static void
list_add(struct px_buf *s, const char *name)
{
    px_buf_printf(s, "%s%s", s->len ? "," : "", name);
}

/* Records that 'name' was refused; 'inst' is the running instance, if
 * any, whose refusal counter grows. */
static void
refuse(struct report *r, const char *name, struct px_instance *inst,
       const char *why)
{
    if (inst) {
        inst->reloads_refused++;
    }
    px_buf_printf(&r->refused, "%s%s: %s", r->refused.len ? "; " : "", name,
                  why);
    PX_HLOG(PX_LOG_ERROR, "%s: refused: %s", name, why);
}

static void
publish_plugin(struct px_host *host, struct px_topic *topic,
               const struct px_instance *inst, const char *version,
               const char *reason)
{
    struct px_host_plugin ev = {
        .instance = inst->name,
        .module = inst->conf->module,
        .version = version,
        .generation = inst->generation,
        .reason = reason,
    };

    px_bus_publish(host->bus, topic, "host", &ev, sizeof ev, NULL);
}

/* Closes a module and checks that its code is really gone. */
static void
close_module(struct px_module *m, const char *instance)
{
    char *path;

    if (!m) {
        return;
    }
    path = strdup(m->load_path);
    if (px_module_close(m)) {
        PX_HLOG(PX_LOG_WARN, "%s: %s is still mapped after close", instance,
                path ? path : "module");
    } else if (path) {
        PX_HLOG(PX_LOG_DEBUG, "%s: %s unmapped", instance, path);
    }
    free(path);
}

static void
unload(struct px_host *host, struct px_instance *inst, const char *reason)
{
    char *version = strdup(inst->module ? inst->module->version : "");

    px_instance_stop(inst);
    px_instance_clear_handoff(inst);
    close_module(inst->module, inst->name);
    inst->module = NULL;
    px_list_remove(&inst->node);
    PX_HLOG(PX_LOG_INFO, "%s: unloaded (%s)", inst->name, reason);
    publish_plugin(host, host->t_unloaded, inst, version ? version : "",
                   reason);
    free(version);
    px_instance_destroy(inst);
}

static char *
copy_path(struct px_host *host, const char *instance)
{
    size_t len = strlen(host->run_dir) + strlen(instance) + 32;
    char *s = malloc(len);

    if (s) {
        snprintf(s, len, "%s/%s.%u.so", host->run_dir, instance,
                 host->next_copy++);
    }
    return s;
}

/* Opens a fresh copy of 'conf''s module.  On failure stores the reason in
 * 'why'. */
static int
prepare_module(struct px_host *host, const struct px_conf *next,
               const struct px_conf_instance *conf, struct px_module **out,
               struct px_errors *why)
{
    char *src = NULL, *dst;
    int error;

    error = px_module_find(next->host.plugin_path, next->host.n_plugin_path,
                           conf->module, conf->path, &src, why);
    if (error) {
        return error;
    }
    dst = copy_path(host, conf->name);
    if (!dst) {
        free(src);
        return ENOMEM;
    }
    error = px_module_open(conf->module, src, dst, out, why);
    free(src);
    free(dst);
    return error;
}

static void
first_line(const struct px_errors *e, char *buf, size_t size)
{
    const char *t = px_errors_text(e);

    snprintf(buf, size, "%.*s", (int)strcspn(t, "\n"), t);
}

/* Decides what to do with one enabled instance of the new snapshot. */
static void
plan_one(struct px_host *host, const struct px_conf *next,
         struct plan_item *item, struct px_errors *conf_errors,
         struct report *r)
{
    const struct px_conf_instance *c = item->conf;
    struct px_instance *inst = item->inst;
    const struct px_plugin_descriptor *desc;
    struct px_errors why = {0};
    char msg[1024];
    uint64_t hash = 0;
    char *src = NULL;

    if (!inst) {
        if (prepare_module(host, next, c, &item->module, &why)) {
            first_line(&why, msg, sizeof msg);
            refuse(r, c->name, NULL, msg);
            px_errors_clear(&why);
            item->action = ACT_KEEP; /* Nothing to do: refused. */
            item->conf = NULL;
            return;
        }
        item->action = ACT_ADD;
        px_conf_check_keys(c, item->module->desc->config_keys, conf_errors);
        return;
    }

    /* A running instance: has its code been rebuilt? */
    if (!px_module_find(next->host.plugin_path, next->host.n_plugin_path,
                        c->module, c->path, &src, &why) &&
        !px_module_hash_file(src, &hash) && hash != inst->module->hash) {
        if (prepare_module(host, next, c, &item->module, &why)) {
            first_line(&why, msg, sizeof msg);
            refuse(r, c->name, inst, msg);
        }
    }
    free(src);
    px_errors_clear(&why);

    desc = item->module ? item->module->desc : inst->module->desc;
    px_conf_check_keys(c, desc->config_keys, conf_errors);

    if (item->module) {
        item->action = ACT_RESTART;
        return;
    }
    switch (px_conf_compare(inst->conf, c)) {
    case PX_CONF_SAME:
        item->action = ACT_KEEP;
        break;
    case PX_CONF_LOG_LEVEL:
        item->action = ACT_LEVEL;
        break;
    case PX_CONF_KEYS:
    case PX_CONF_MODULE: /* Not here: the caller treats it as remove+add. */
        item->action = desc->reconfigure ? ACT_RECONFIGURE : ACT_RESTART;
        break;
    }
}

/* Restarts 'inst' with 'module' (new code, or NULL for its own) and the
 * configuration 'c'; rolls back to the old code and configuration if the
 * new init fails. */
static void
restart(struct px_host *host, struct plan_item *item, struct report *r)
{
    struct px_instance *inst = item->inst;
    struct px_module *old = inst->module;
    struct px_module *mod = item->module ? item->module : old;
    struct px_conf_instance *old_conf = px_conf_instance_clone(inst->conf);
    char *old_version = strdup(old->version);
    char msg[512];
    int error;

    if (!old_conf || !old_version) {
        refuse(r, inst->name, inst, "out of memory");
        goto out;
    }
    px_instance_stop(inst);
    publish_plugin(host, host->t_unloaded, inst, old_version, "reload");
    inst->module = NULL;
    error = px_instance_set_conf(inst, item->conf);
    if (!error) {
        error = px_instance_start(inst, mod);
    }
    if (!error) {
        PX_HLOG(PX_LOG_INFO, "%s: reloaded: %s %s -> %s (generation %u)",
                inst->name, inst->conf->module, old_version, mod->version,
                inst->generation);
        list_add(&r->reloaded, inst->name);
        inst->reloads++;
        publish_plugin(host, host->t_loaded, inst, mod->version, "reload");
        if (mod != old) {
            close_module(old, inst->name);
        }
        item->module = NULL;
        goto out;
    }

    snprintf(msg, sizeof msg,
             "init of %s %s failed: %s; rolled back to version %s",
             inst->conf->module, mod->version, strerror(error), old_version);
    refuse(r, inst->name, inst, msg);
    if (mod != old) {
        close_module(mod, inst->name);
        item->module = NULL;
    }
    px_instance_set_conf(inst, old_conf);
    error = px_instance_start(inst, old);
    if (error) {
        PX_HLOG(PX_LOG_ERROR,
                "%s: rollback failed too (%s): instance unloaded", inst->name,
                strerror(error));
        inst->module = old;
        unload(host, inst, "rollback failed");
        item->inst = NULL;
    } else {
        publish_plugin(host, host->t_loaded, inst, old->version, "rollback");
    }
out:
    px_conf_instance_free(old_conf);
    free(old_version);
}

static void
reconfigure(struct plan_item *item, struct report *r)
{
    struct px_instance *inst = item->inst;
    struct px_conf_instance *old_conf = px_conf_instance_clone(inst->conf);
    char msg[256];
    int error;

    if (!old_conf || px_instance_set_conf(inst, item->conf)) {
        px_conf_instance_free(old_conf);
        refuse(r, inst->name, inst, "out of memory");
        return;
    }
    error = inst->module->desc->reconfigure(&inst->plugin);
    if (error) {
        snprintf(msg, sizeof msg,
                 "reconfigure failed: %s; keeping the old configuration",
                 strerror(error));
        refuse(r, inst->name, inst, msg);
        px_instance_set_conf(inst, old_conf);
    } else {
        PX_HLOG(PX_LOG_INFO, "%s: reconfigured", inst->name);
        list_add(&r->reconfigured, inst->name);
        inst->reloads++;
    }
    px_conf_instance_free(old_conf);
}

static void
add(struct px_host *host, struct plan_item *item, struct report *r)
{
    struct px_instance *inst;
    char msg[512];
    int error;

    error = px_instance_create(host, item->conf, &inst);
    if (!error) {
        error = px_instance_start(inst, item->module);
        if (error) {
            snprintf(msg, sizeof msg, "init of %s %s failed: %s",
                     item->conf->module, item->module->version,
                     strerror(error));
            refuse(r, item->conf->name, NULL, msg);
            px_instance_destroy(inst);
            close_module(item->module, item->conf->name);
            item->module = NULL;
            return;
        }
    } else {
        refuse(r, item->conf->name, NULL, strerror(error));
        close_module(item->module, item->conf->name);
        item->module = NULL;
        return;
    }
    px_list_push_back(&host->instances, &inst->node);
    item->inst = inst;
    item->module = NULL;
    PX_HLOG(PX_LOG_INFO, "%s: loaded %s %s (%s)", inst->name,
            inst->conf->module, inst->module->version,
            inst->module->description);
    list_add(&r->added, inst->name);
    publish_plugin(host, host->t_loaded, inst, inst->module->version, "load");
}

/* Tells systemd how the last reload ended, for "systemctl status": the
 * first line of a refusal's reason, which names the file and line.  Does
 * nothing when not run by systemd (no NOTIFY_SOCKET). */
static void
notify_status(const struct px_host_reload_done *ev)
{
    if (ev->outcome == PX_RELOAD_REFUSED) {
        int n = (int)strcspn(ev->error, "\n");

        sd_notifyf(0, "STATUS=reload %u refused, nothing changed: %.*s",
                   ev->reload_id, n, ev->error);
    } else {
        sd_notifyf(
            0, "STATUS=reload %u %s; refused plugins: [%s]", ev->reload_id,
            ev->outcome == PX_RELOAD_OK ? "done" : "partial", ev->refused);
    }
}

static void
publish_report(struct px_host *host, const struct report *r, const char *error)
{
    struct px_host_reload_done ev = {
        .reload_id = host->reload_id,
        .outcome = error            ? PX_RELOAD_REFUSED
                   : r->refused.len ? PX_RELOAD_PARTIAL
                                    : PX_RELOAD_OK,
        .added = px_buf_cstr(&r->added),
        .removed = px_buf_cstr(&r->removed),
        .reloaded = px_buf_cstr(&r->reloaded),
        .reconfigured = px_buf_cstr(&r->reconfigured),
        .refused = px_buf_cstr(&r->refused),
        .error = error ? error : "",
    };

    host->reloads[ev.outcome]++;
    px_ctl_note_reload(host->ctl, &ev);
    notify_status(&ev);
    if (error) {
        PX_HLOG(PX_LOG_ERROR, "reload %u refused, nothing changed: %s",
                host->reload_id, error);
    } else {
        PX_HLOG(PX_LOG_INFO,
                "reload %u %s: added [%s] removed [%s] reloaded [%s] "
                "reconfigured [%s] refused [%s]",
                host->reload_id, r->refused.len ? "partial" : "done", ev.added,
                ev.removed, ev.reloaded, ev.reconfigured, ev.refused);
    }
    px_bus_publish(host->bus, host->t_reload_done, "host", &ev, sizeof ev,
                   NULL);
}

static void
report_free(struct report *r)
{
    px_buf_destroy(&r->added);
    px_buf_destroy(&r->removed);
    px_buf_destroy(&r->reloaded);
    px_buf_destroy(&r->reconfigured);
    px_buf_destroy(&r->refused);
}

int
px_reload_apply(struct px_host *host, struct px_conf *next)
{
    struct px_errors conf_errors = {0};
    struct report r;
    struct plan_item *plan;
    struct px_instance *inst, *tmp;
    struct px_list order;
    size_t n = 0, i;

    report_init(&r);
    host->reload_id++;
    plan = calloc(next->n_instances + 1, sizeof *plan);
    if (!plan) {
        publish_report(host, &r, "out of memory");
        px_conf_destroy(next);
        return ENOMEM;
    }

    /* Prepare: nothing running is touched. */
    for (i = 0; i < next->n_instances; i++) {
        const struct px_conf_instance *c = &next->instances[i];
        struct plan_item *item;

        if (!c->enabled) {
            continue;
        }
        item = &plan[n++];
        item->conf = c;
        item->inst = px_instance_find(host, c->name);
        if (item->inst &&
            px_conf_compare(item->inst->conf, c) == PX_CONF_MODULE) {
            item->inst = NULL; /* Another module: remove, then add. */
        }
        plan_one(host, next, item, &conf_errors, &r);
    }
    if (conf_errors.count) {
        for (i = 0; i < n; i++) {
            close_module(plan[i].module,
                         plan[i].conf ? plan[i].conf->name : "");
        }
        publish_report(host, &r, px_errors_text(&conf_errors));
        px_errors_clear(&conf_errors);
        report_free(&r);
        free(plan);
        px_conf_destroy(next);
        return EINVAL;
    }

    /* Commit.  Unload what the new snapshot no longer has, newest first. */
    for (inst =
             PX_CONTAINER_OF(host->instances.prev, struct px_instance, node);
         &inst->node != &host->instances; inst = tmp) {
        int kept = 0;

        tmp = PX_CONTAINER_OF(inst->node.prev, struct px_instance, node);
        for (i = 0; i < n; i++) {
            kept |= plan[i].inst == inst;
        }
        if (!kept) {
            list_add(&r.removed, inst->name);
            unload(host, inst, "removed");
        }
    }
    for (i = 0; i < n; i++) {
        struct plan_item *item = &plan[i];

        switch (item->action) {
        case ACT_KEEP:
            break;
        case ACT_LEVEL:
            px_instance_set_conf(item->inst, item->conf);
            break;
        case ACT_RECONFIGURE:
            reconfigure(item, &r);
            break;
        case ACT_RESTART:
            restart(host, item, &r);
            break;
        case ACT_ADD:
            add(host, item, &r);
            break;
        }
    }

    /* Keep the running list in configuration order, so shutdown unloads in
     * reverse load order. */
    px_list_init(&order);
    for (i = 0; i < n; i++) {
        if (plan[i].inst && !px_list_is_empty(&plan[i].inst->node)) {
            px_list_remove(&plan[i].inst->node);
            px_list_push_back(&order, &plan[i].inst->node);
        }
    }
    while (!px_list_is_empty(&host->instances)) {
        struct px_list *e = host->instances.next;

        px_list_remove(e);
        px_list_push_back(&order, e);
    }
    px_list_move(&host->instances, &order);

    px_log_set_level(next->host.log_level);
    px_log_set_console(next->host.log_syslog);
    px_conf_destroy(host->conf);
    host->conf = next;
    publish_report(host, &r, NULL);
    report_free(&r);
    free(plan);
    return 0;
}

void
px_reload_from_dir(struct px_host *host)
{
    struct px_errors errors = {0};
    struct px_conf *next;
    struct timespec now;

    /* systemd shows "reloading" until READY=1, and (from version 253) may
     * time the reload by MONOTONIC_USEC. */
    clock_gettime(CLOCK_MONOTONIC, &now);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               (unsigned long long)now.tv_sec * 1000000ULL +
                   (unsigned long long)now.tv_nsec / 1000ULL);
    if (px_conf_load_dir(host->conf_dir, &next, &errors)) {
        struct report r;

        report_init(&r);
        host->reload_id++;
        publish_report(host, &r, px_errors_text(&errors));
        px_errors_clear(&errors);
    } else {
        px_reload_apply(host, next);
    }
    sd_notify(0, "READY=1");
}

void
px_reload_unload_all(struct px_host *host)
{
    while (!px_list_is_empty(&host->instances)) {
        struct px_instance *inst =
            PX_CONTAINER_OF(host->instances.prev, struct px_instance, node);

        unload(host, inst, "shutdown");
    }
}
