/*
 * Plugin instances: one loaded plugin with its configuration, its module
 * (the mapped code) and every resource it created through the host table.
 *
 * The host owns those resources.  px_instance_release stops and frees
 * whatever the plugin left behind, in an order that guarantees no callback
 * into the plugin's code can run afterwards: threads are told to stop and
 * joined first, then subscriptions, commands (ctl.h), timers, fd watchers
 * and deferred calls go.  Only then may the module be closed.
 */
#ifndef PX_INSTANCE_H
#define PX_INSTANCE_H 1

#include "conf.h"
#include "daemon.h"
#include "list.h"
#include "module.h"

/* One handed-off item: a blob or a file descriptor. */
struct px_handoff_item {
    struct px_list node;
    char *name;
    int fd;    /* -1 for a blob. */
    int taken; /* The new generation got or took it. */
    uint32_t version;
    void *data;
    size_t len;
};

struct px_instance {
    struct px_plugin plugin; /* Handed to the plugin; must stay first. */
    struct px_host *host;
    struct px_list node; /* In host->instances. */
    char *name;
    struct px_conf_instance *conf; /* Owned copy. */
    struct px_module *module;
    unsigned int generation; /* Counts inits, from 1. */
    int log_level;
    int running;              /* init succeeded and fini not yet called. */
    int in_fini;              /* Handoff puts are accepted. */
    int in_init;              /* Handoff gets are accepted. */
    double loaded_since;      /* Wall clock, when this generation started. */
    uint64_t reloads;         /* Restarts and reconfigures that took. */
    uint64_t reloads_refused; /* Reloads of this instance that were refused. */

    struct px_list timers;
    struct px_list ios;
    struct px_list threads;
    struct px_list handoff; /* Items from the previous generation. */
};

/* Creates an instance record for 'conf' (copied) without running any plugin
 * code.  The caller owns '*out'. */
int px_instance_create(struct px_host *host,
                       const struct px_conf_instance *conf,
                       struct px_instance **out);
/* Frees the record; the instance must be stopped (not running), its module
 * already closed or detached.  Accepts NULL. */
void px_instance_destroy(struct px_instance *inst);
/* The running instance called 'name', or NULL. */
struct px_instance *px_instance_find(struct px_host *host, const char *name);
/* Replaces the instance's configuration copy. */
int px_instance_set_conf(struct px_instance *inst,
                         const struct px_conf_instance *conf);

/* Runs the module's init with 'module' attached.  On failure releases what
 * init created and detaches the module (still open: the caller decides).
 * Handed-off items stay available for another try; on success the ones not
 * taken are discarded. */
int px_instance_start(struct px_instance *inst, struct px_module *module);
/* Runs fini (handoff puts accepted) and releases everything left.  The
 * module stays attached.  Returns the number of resources fini left. */
size_t px_instance_stop(struct px_instance *inst);
/* Discards handed-off items (closing fds). */
void px_instance_clear_handoff(struct px_instance *inst);

/* Runs deferred calls; called by the host loop. */
void px_instance_run_deferred(struct px_host *host);

/* The table every instance gets. */
extern const struct px_host_api px_host_api_v1;

static inline struct px_instance *
px_instance_from_plugin(struct px_plugin *p)
{
    return (struct px_instance *)(void *)p;
}

#endif /* PX_INSTANCE_H */
