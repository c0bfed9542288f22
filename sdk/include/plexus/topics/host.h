/*
 * Payloads of the topics the host publishes.  Append-only: a new field goes
 * at the end of its struct and the topic's version grows, so a subscriber
 * built against an older header keeps working.  Every pointer is borrowed for
 * the duration of the callback.
 */
#ifndef PLEXUS_TOPICS_HOST_H
#define PLEXUS_TOPICS_HOST_H 1

#include <stdint.h>

#define PX_TOPIC_HOST_LOG         "host.log"
#define PX_TOPIC_HOST_LOG_VERSION 1

/* One log record, from the host or from a plugin instance.  The host writes
 * a record to its own console (stderr or syslog) unless a subscriber halts
 * the event, which is how the logger plugin becomes the sink of host.log. */
struct px_host_log {
    uint32_t level; /* enum px_log_level */
    uint32_t reserved;
    double time;          /* Seconds since the epoch. */
    const char *instance; /* "host" or the instance name. */
    const char *message;
};

#define PX_TOPIC_HOST_PLUGIN_LOADED   "host.plugin_loaded"
#define PX_TOPIC_HOST_PLUGIN_UNLOADED "host.plugin_unloaded"
#define PX_TOPIC_HOST_PLUGIN_VERSION  1

struct px_host_plugin {
    const char *instance;
    const char *module;
    const char *version;
    uint32_t generation;
    uint32_t reserved;
    const char *reason; /* Why it was loaded or unloaded. */
};

#define PX_TOPIC_HOST_RELOAD_DONE         "host.reload_done"
#define PX_TOPIC_HOST_RELOAD_DONE_VERSION 1

enum px_reload_outcome {
    PX_RELOAD_OK = 0,      /* Everything asked for was done. */
    PX_RELOAD_PARTIAL = 1, /* Some instances were refused; see 'refused'. */
    PX_RELOAD_REFUSED = 2, /* Nothing changed; see 'error'. */
};

/* Instance lists are comma-separated names; "" when empty.  'refused' holds
 * "name: reason" entries separated by "; ". */
struct px_host_reload_done {
    uint32_t reload_id;
    uint32_t outcome; /* enum px_reload_outcome */
    const char *added;
    const char *removed;
    const char *reloaded;     /* New code or restarted with new config. */
    const char *reconfigured; /* Changed in place by reconfigure. */
    const char *refused;
    const char *error; /* Why the whole reload was refused, or "". */
};

#endif /* PLEXUS_TOPICS_HOST_H */
