/*
 * The host's own state: the loop, the event table, the running snapshot and
 * the plugin instances.  One struct px_host per process; every host module
 * takes it explicitly rather than reaching for a global.
 */
#ifndef PX_DAEMON_H
#define PX_DAEMON_H 1

#include <ev.h>
#include <stdint.h>

#include "bus.h"
#include "conf.h"
#include "list.h"

struct px_instance;
struct px_ctl;

struct px_host {
    struct ev_loop *loop;
    struct px_bus *bus;
    struct px_ctl *ctl;   /* Control socket and commands (ctl.h). */
    struct px_conf *conf; /* The running snapshot (host options). */
    char *conf_dir;
    char *run_dir;            /* Private: <run_dir>/plexusd.XXXXXX. */
    int pid_fd;               /* The locked pid file, or -1. */
    char *pid_path;           /* Its path (the lock file's without one). */
    struct px_list instances; /* struct px_instance, in load order. */
    unsigned int next_copy;   /* Names per-load copies of modules. */
    unsigned int reload_id;
    double start_time;   /* Wall clock. */
    int stopping;        /* SIGTERM or SIGINT came: px_host_stopping. */
    uint64_t reloads[3]; /* By enum px_reload_outcome. */

    struct px_topic *t_log;
    struct px_topic *t_loaded;
    struct px_topic *t_unloaded;
    struct px_topic *t_reload_done;
    struct px_topic *t_stats_report;

    struct px_list deferred; /* struct px_deferred, in call order. */
    ev_prepare defer_prepare;
    ev_idle defer_idle;
    ev_timer reload_soon; /* A reload a plugin asked for (0 s). */
    ev_async async_wake;
    ev_signal sig_hup;
    ev_signal sig_int;
    ev_signal sig_term;
};

/* The owner tag the host uses for its own topic declarations. */
#define PX_HOST_OWNER ((const void *)&px_host_owner_tag)
extern const char px_host_owner_tag;

/* Creates the host for the configuration directory 'conf_dir' and the
 * already-parsed 'conf' (ownership taken): loop, event table, private run
 * directory, signal watchers; then loads the configured plugins.  Errors are
 * logged.  The caller owns '*out'. */
int px_host_create(const char *conf_dir, struct px_conf *conf,
                   struct px_host **out);
/* Schedules a reload of conf.d on the next loop pass (a plugin's
 * px_reload_request); '*id' (may be NULL) is the id it will carry. */
void px_host_request_reload(struct px_host *host, unsigned int *id);
/* Runs the loop until SIGINT or SIGTERM. */
void px_host_run(struct px_host *host);
/* Unloads every plugin, newest first, and frees the host.  Accepts NULL. */
void px_host_destroy(struct px_host *host);
#endif /* PX_DAEMON_H */
