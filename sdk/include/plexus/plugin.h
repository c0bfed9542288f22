/*
 * The Plexus plugin SDK: the only header a plugin needs.
 *
 * A plugin is a shared object that exports exactly one symbol, the const
 * descriptor declared with PX_PLUGIN_DEFINE.  Everything a plugin does with
 * the outside world (events, timers, file descriptor watchers, deferred calls,
 * threads, configuration, logging, handoff across reloads, commands on the
 * control socket) goes through the
 * host function table that arrives with its instance handle; the static
 * inline px_* functions below wrap that table so that plugin code reads like
 * ordinary calls.
 *
 * Why a table and not linked symbols: a plugin built against this header has
 * no undefined references into the host, so it can be linked with
 * -Wl,--no-undefined and -Wl,-z,now and fails at load, never at first call;
 * and a unit test can hand a plugin a fake table.
 *
 * Ownership rules, stated once here for every call below:
 *  - Every handle the host returns (struct px_topic, px_sub, px_timer,
 *    px_io, px_thread, px_command) is owned by the host.  The plugin may
 *    release it early (px_unsubscribe, px_timer_stop, px_io_stop,
 *    px_thread_join, px_command_unregister); whatever it has not released
 *    when its instance is unloaded the host releases, so a forgetful fini
 *    never leaves a callback into unmapped code.
 *  - A struct px_reply belongs to the host and lives for the one call of
 *    the command handler it is given to.
 *  - Strings and payloads passed to the host are copied or used only during
 *    the call, unless a function says otherwise.
 *  - Pointers inside an event (topic, publisher, payload and anything the
 *    payload points to) are borrowed for the duration of the callback.
 *  - File descriptors stay the plugin's unless it passes PX_IO_OWN_FD or hands
 *    them off with px_handoff_put_fd.
 *
 * Threads: every call belongs on the loop thread (in init, fini or a
 * callback) except px_publish_async, px_thread_stopping and the logging
 * calls.  A record logged from another thread goes to the host's console
 * only, not out on host.log.
 *
 * Every function that can fail returns 0 or a positive errno value.
 */
#ifndef PLEXUS_PLUGIN_H
#define PLEXUS_PLUGIN_H 1

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The plugin ABI.  The major number changes when an existing field or
 * function changes meaning; the host refuses a plugin whose major differs.
 * The minor number grows when fields or functions are appended; the host
 * refuses a plugin built against a newer minor than its own. */
#define PX_ABI_MAJOR 1
#define PX_ABI_MINOR 3

/* The name of the one symbol a plugin exports. */
#define PX_PLUGIN_SYMBOL "px_plugin_descriptor"

struct px_plugin;
struct px_host_api;
struct px_topic;
struct px_sub;
struct px_timer;
struct px_io;
struct px_thread;
struct px_command;
struct px_reply;

/* ---------------------------------------------------------------------- */
/* Configuration schema.                                                  */

/* Value types.  The host checks a value against its type (and range, and
 * choices) before the plugin runs, so "plexusd --check" refuses
 * "address = 10.0.0.999" with file and line.  Each type is read with one
 * getter: the text types (STRING, IPV4, IPV6, PREFIX, MAC, ENUM_LIST) with
 * px_config_string, INT and PORT with px_config_int, DOUBLE and DURATION
 * with px_config_double, BOOL with px_config_bool. */
enum px_config_type {
    PX_CONFIG_STRING = 1,
    PX_CONFIG_INT,
    PX_CONFIG_BOOL,
    PX_CONFIG_DOUBLE,
    /* Since ABI 1.1. */
    PX_CONFIG_IPV4,      /* Dotted quad, "10.0.0.1". */
    PX_CONFIG_IPV6,      /* "2001:db8::1" (any form inet_pton takes). */
    PX_CONFIG_PREFIX,    /* IPv4 or IPv6 "ADDRESS/LENGTH"; a bare address
                          * is a host prefix. */
    PX_CONFIG_MAC,       /* "02:00:00:00:00:01". */
    PX_CONFIG_PORT,      /* A TCP/UDP port, 0-65535 (min/max narrow it). */
    PX_CONFIG_DURATION,  /* Seconds: "10", "2.5s", "500ms", "5m", "1h";
                          * read as a double of seconds. */
    PX_CONFIG_ENUM_LIST, /* Comma-separated values, each one of
                          * 'choices'; may be empty. */
};

/* One key of a plugin's own INI section.  The host checks every key of the
 * section against this list (unknown key, wrong type, out of range) before the
 * plugin runs, which is how "plexusd --check" validates plugin keys without
 * executing plugin code.  Integer and double ranges are inclusive; min == max
 * == 0 means unbounded. */
struct px_config_key {
    const char *key;
    enum px_config_type type;
    const char *default_value; /* As it would be written in the INI file. */
    double min;
    double max;
    /* For strings: the allowed values separated by '|' ("stderr|file"), or
     * NULL for any string.  For ENUM_LIST: the values each element may
     * take. */
    const char *choices;
    const char *help;
};

/* ---------------------------------------------------------------------- */
/* The descriptor.                                                        */

struct px_plugin_descriptor {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t size; /* sizeof(struct px_plugin_descriptor) at build time. */
    uint32_t reserved0;
    const char *name;        /* Module name, e.g. "logger". */
    const char *version;     /* Free-form, e.g. "1.0.0". */
    const char *description; /* One line. */
    /* Keys of the plugin's own section, terminated by an entry whose key is
     * NULL.  May be NULL for a plugin that takes no keys. */
    const struct px_config_key *config_keys;
    /* Creates the instance's state (px_set_data) and its subscriptions,
     * timers and watchers.  Returns 0 or a positive errno; on failure the host
     * releases whatever the instance created. */
    int (*init)(struct px_plugin *p);
    /* Releases the instance.  May leave handoff items for the next
     * generation.  May be NULL. */
    void (*fini)(struct px_plugin *p);
    /* Applies a changed configuration in place (the getters already return
     * the new values).  Optional: without it the host restarts the instance
     * (fini with handoff, then init).  Returning an error keeps the old
     * configuration. */
    int (*reconfigure)(struct px_plugin *p);
    void (*reserved[8])(void);
};

/* How the descriptor is declared: exported whatever -fvisibility says,
 * and in C++ with C linkage, which also gives the const object external
 * linkage (at namespace scope C++ would keep it to its file) and its plain
 * C name, the one the host looks up. */
#ifdef __cplusplus
#define PX_PLUGIN_EXPORT_ extern "C" __attribute__((visibility("default")))
/* g++ before 13 warns (-Wextra) of every field a C++20 designated
 * initialiser leaves out, which C compilers, clang and later g++ take as
 * meant: zero.  The descriptor's reserved fields are always left out. */
#define PX_PLUGIN_DESIGNATED_BEGIN_                                           \
    _Pragma("GCC diagnostic push")                                            \
        _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")
#define PX_PLUGIN_DESIGNATED_END_ _Pragma("GCC diagnostic pop")
#else
#define PX_PLUGIN_EXPORT_ __attribute__((visibility("default")))
#define PX_PLUGIN_DESIGNATED_BEGIN_
#define PX_PLUGIN_DESIGNATED_END_
#endif

/* Defines the descriptor.  Use once per plugin, at file scope:
 *     PX_PLUGIN_DEFINE(.name = "hello", .version = "1.0", ...,
 *                      .init = hello_init, .fini = hello_fini);
 * The designated initialisers after the ABI fields are the plugin's.  In
 * C++ they need C++20 and must follow the struct's order: name, version,
 * description, config_keys, init, fini, reconfigure (any may be left
 * out).  PX_PLUGIN_DEFINE_POSITIONAL works in C and in any C++.  (The
 * macro ends in a declaration of the struct's tag, which takes the
 * caller's semicolon, so that the pragma closing the definition can come
 * after it.) */
#define PX_PLUGIN_DEFINE(...)                                                 \
    PX_PLUGIN_DESIGNATED_BEGIN_                                               \
    PX_PLUGIN_EXPORT_ const struct px_plugin_descriptor                       \
        px_plugin_descriptor = {.abi_major = PX_ABI_MAJOR,                    \
                                .abi_minor = PX_ABI_MINOR,                    \
                                .size = sizeof(struct px_plugin_descriptor),  \
                                .reserved0 = 0,                               \
                                __VA_ARGS__};                                 \
    PX_PLUGIN_DESIGNATED_END_                                                 \
    struct px_plugin_descriptor

/* The descriptor with every field of the plugin's given, in order:
 *     PX_PLUGIN_DEFINE_POSITIONAL("hello", "1.0", "example plugin",
 *                                 hello_keys, hello_init, hello_fini, NULL);
 * KEYS, FINI and RECONFIGURE may be NULL.  For C++ before C++20, which has
 * no designated initialisers. */
#define PX_PLUGIN_DEFINE_POSITIONAL(NAME, VERSION, DESCRIPTION, KEYS, INIT,   \
                                    FINI, RECONFIGURE)                        \
    PX_PLUGIN_EXPORT_ const struct px_plugin_descriptor                       \
        px_plugin_descriptor = {PX_ABI_MAJOR,                                 \
                                PX_ABI_MINOR,                                 \
                                sizeof(struct px_plugin_descriptor),          \
                                0,                                            \
                                (NAME),                                       \
                                (VERSION),                                    \
                                (DESCRIPTION),                                \
                                (KEYS),                                       \
                                (INIT),                                       \
                                (FINI),                                       \
                                (RECONFIGURE),                                \
                                {NULL}}

/* ---------------------------------------------------------------------- */
/* Events.                                                                */

/* An event as a subscriber sees it.  Everything it points to is borrowed for
 * the duration of the callback. */
struct px_event {
    const char *topic;
    const char *publisher; /* Instance name of the publisher ("host"...). */
    uint32_t version;      /* Payload version the topic was declared with. */
    uint32_t reserved;
    const void *payload;
    size_t len;
};

/* Return values of an event callback. */
#define PX_EVENT_CONTINUE 0
#define PX_EVENT_HALT     1

typedef int (*px_event_fn)(struct px_plugin *p, const struct px_event *ev,
                           void *arg);

/* Subscription priorities: higher runs first; equal priorities run in the
 * order they subscribed. */
#define PX_PRIO_FIRST   1000
#define PX_PRIO_DEFAULT 0
#define PX_PRIO_LAST    (-1000)

/* Nested publishing (publishing from inside a callback) is allowed this deep;
 * deeper publishes fail with ELOOP and are counted. */
#define PX_PUBLISH_MAX_DEPTH 16

/* ---------------------------------------------------------------------- */
/* Timers, I/O, deferred calls, threads.                                  */

typedef void (*px_timer_fn)(struct px_plugin *p, struct px_timer *t,
                            void *arg);

#define PX_IO_READ  0x1
#define PX_IO_WRITE 0x2
#define PX_IO_OWN_FD                                                          \
    0x100 /* The host closes the fd when it releases the                      \
           * watcher (px_io_stop or unload). */

typedef void (*px_io_fn)(struct px_plugin *p, struct px_io *io, int fd,
                         int revents, void *arg);
typedef void (*px_defer_fn)(struct px_plugin *p, void *arg);
/* A plugin thread.  It must return soon after px_thread_stopping() becomes
 * true: the host joins it when the instance is unloaded. */
typedef void (*px_thread_fn)(struct px_thread *t, void *arg);

/* ---------------------------------------------------------------------- */
/* Commands on the control socket (since ABI 1.1).                        */

/* A command an operator runs with "plexusctl NAME ARGS..." (or any client
 * of the daemon's control socket).  'argv[0]' is the command's name and
 * 'argv[1]' to 'argv[argc - 1]' its arguments, as many as the registration
 * allows; all of them are borrowed for the call.  The handler writes human
 * text with px_reply_printf and, for scripts and the web console, the same
 * facts as JSON with px_reply_json.  It fails with px_reply_error, or by
 * returning a positive errno: then the text it wrote, or else the errno's
 * message, is the error.  Handlers run on the loop thread, between other
 * callbacks, so they must not block. */
typedef int (*px_command_fn)(struct px_plugin *p, int argc,
                             const char *const *argv, struct px_reply *reply,
                             void *arg);

/* The most arguments a command may take. */
#define PX_COMMAND_MAX_ARGS 64

/* The reply a handler writes into.  The host embeds it in its own record;
 * 'api' is the table the px_reply_* wrappers call through. */
struct px_reply {
    const struct px_host_api *api;
};

/* ---------------------------------------------------------------------- */
/* Logging.                                                               */

enum px_log_level {
    PX_LOG_ERROR = 0,
    PX_LOG_WARN,
    PX_LOG_INFO,
    PX_LOG_DEBUG,
};

/* State of one rate limit: at most 'burst' messages per 'interval' seconds.
 * Initialise with PX_RATELIMIT_INIT; keep it in the plugin's state. */
struct px_ratelimit {
    double interval;
    unsigned int burst;
    unsigned int count;
    unsigned int suppressed;
    double window_start;
};
#define PX_RATELIMIT_INIT(INTERVAL, BURST)                                    \
    {                                                                         \
        (INTERVAL), (BURST), 0, 0, -1e300                                     \
    }

/* ---------------------------------------------------------------------- */
/* The host function table.  Append only; 'size' tells what a host has.   */

struct px_host_api {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t size;
    uint32_t reserved0;

    /* Events. */
    int (*topic_declare)(struct px_plugin *p, const char *topic,
                         uint32_t version, struct px_topic **out);
    int (*subscribe)(struct px_plugin *p, const char *pattern,
                     uint32_t min_version, int priority, px_event_fn fn,
                     void *arg, struct px_sub **out);
    void (*unsubscribe)(struct px_plugin *p, struct px_sub *sub);
    int (*publish)(struct px_plugin *p, struct px_topic *topic,
                   const void *payload, size_t len);
    int (*publish_async)(struct px_plugin *p, struct px_topic *topic,
                         const void *payload, size_t len);

    /* Timers, I/O, deferred calls, threads. */
    int (*timer_start)(struct px_plugin *p, double after, double repeat,
                       px_timer_fn fn, void *arg, struct px_timer **out);
    void (*timer_stop)(struct px_plugin *p, struct px_timer *t);
    int (*io_start)(struct px_plugin *p, int fd, int events, px_io_fn fn,
                    void *arg, struct px_io **out);
    int (*io_modify)(struct px_plugin *p, struct px_io *io, int events);
    void (*io_stop)(struct px_plugin *p, struct px_io *io);
    int (*defer)(struct px_plugin *p, px_defer_fn fn, void *arg);
    int (*thread_start)(struct px_plugin *p, px_thread_fn fn, void *arg,
                        struct px_thread **out);
    int (*thread_stopping)(const struct px_thread *t);
    void (*thread_join)(struct px_plugin *p, struct px_thread *t);
    double (*now)(struct px_plugin *p);

    /* Configuration of the instance's own section. */
    int (*config_string)(struct px_plugin *p, const char *key,
                         const char **out);
    int (*config_int)(struct px_plugin *p, const char *key, long long *out);
    int (*config_bool)(struct px_plugin *p, const char *key, int *out);
    int (*config_double)(struct px_plugin *p, const char *key, double *out);
    /* Resolves a path value against the configuration directory.  Writes
     * into 'buf'; returns ENAMETOOLONG if it does not fit. */
    int (*config_path)(struct px_plugin *p, const char *key, char *buf,
                       size_t size);

    /* Logging. */
    int (*log_enabled)(struct px_plugin *p, enum px_log_level level);
    void (*vlog)(struct px_plugin *p, enum px_log_level level, const char *fmt,
                 va_list args);

    /* Handoff across a reload.  A blob or fd put during fini is offered to
     * the next generation's init.  Blobs and fds are named separately: one
     * name may be used for both.  get_blob returns a pointer valid until
     * init returns.  take_fd returns a descriptor the caller then owns. */
    int (*handoff_put_blob)(struct px_plugin *p, const char *name,
                            uint32_t version, const void *data, size_t len);
    int (*handoff_get_blob)(struct px_plugin *p, const char *name,
                            uint32_t *version, const void **data, size_t *len);
    int (*handoff_put_fd)(struct px_plugin *p, const char *name, int fd);
    int (*handoff_take_fd)(struct px_plugin *p, const char *name, int *fd);

    /* Identity. */
    const char *(*instance_name)(struct px_plugin *p);
    unsigned int (*generation)(struct px_plugin *p);

    /* Commands on the control socket (since ABI 1.1). */
    int (*command_register)(struct px_plugin *p, const char *name,
                            const char *usage, const char *help, int min_args,
                            int max_args, px_command_fn fn, void *arg,
                            struct px_command **out);
    void (*command_unregister)(struct px_plugin *p, struct px_command *c);
    void (*reply_vprintf)(struct px_reply *r, const char *fmt, va_list args);
    int (*reply_json)(struct px_reply *r, const char *json_text);
    void (*reply_verror)(struct px_reply *r, const char *fmt, va_list args);

    /* Since ABI 1.2. */
    const char *(*run_dir)(struct px_plugin *p);
    int (*command_call)(struct px_plugin *p, int argc, const char *const *argv,
                        char **result);
    int (*reload_request)(struct px_plugin *p, unsigned int *reload_id);

    /* Since ABI 1.3. */
    int (*stopping)(struct px_plugin *p);

    void (*reserved[8])(void);
};

/* The instance handle.  The host embeds it in its own instance record and
 * never moves it; 'data' is the plugin's. */
struct px_plugin {
    const struct px_host_api *api;
    void *data;
};

/* ---------------------------------------------------------------------- */
/* Wrappers.                                                              */

static inline void *
px_get_data(struct px_plugin *p)
{
    return p->data;
}

static inline void
px_set_data(struct px_plugin *p, void *data)
{
    p->data = data;
}

static inline int
px_topic_declare(struct px_plugin *p, const char *topic, uint32_t version,
                 struct px_topic **out)
{
    return p->api->topic_declare(p, topic, version, out);
}

static inline int
px_subscribe(struct px_plugin *p, const char *pattern, uint32_t min_version,
             int priority, px_event_fn fn, void *arg, struct px_sub **out)
{
    return p->api->subscribe(p, pattern, min_version, priority, fn, arg, out);
}

static inline void
px_unsubscribe(struct px_plugin *p, struct px_sub *sub)
{
    p->api->unsubscribe(p, sub);
}

static inline int
px_publish(struct px_plugin *p, struct px_topic *topic, const void *payload,
           size_t len)
{
    return p->api->publish(p, topic, payload, len);
}

/* The one call that is safe from any thread: the payload is copied into a
 * bounded queue and delivered on the loop thread.  Returns ENOBUFS (and the
 * host counts a drop) when the queue is full.  The payload must not contain
 * pointers. */
static inline int
px_publish_async(struct px_plugin *p, struct px_topic *topic,
                 const void *payload, size_t len)
{
    return p->api->publish_async(p, topic, payload, len);
}

static inline int
px_timer_start(struct px_plugin *p, double after, double repeat,
               px_timer_fn fn, void *arg, struct px_timer **out)
{
    return p->api->timer_start(p, after, repeat, fn, arg, out);
}

static inline void
px_timer_stop(struct px_plugin *p, struct px_timer *t)
{
    p->api->timer_stop(p, t);
}

static inline int
px_io_start(struct px_plugin *p, int fd, int events, px_io_fn fn, void *arg,
            struct px_io **out)
{
    return p->api->io_start(p, fd, events, fn, arg, out);
}

static inline int
px_io_modify(struct px_plugin *p, struct px_io *io, int events)
{
    return p->api->io_modify(p, io, events);
}

static inline void
px_io_stop(struct px_plugin *p, struct px_io *io)
{
    p->api->io_stop(p, io);
}

static inline int
px_defer(struct px_plugin *p, px_defer_fn fn, void *arg)
{
    return p->api->defer(p, fn, arg);
}

static inline int
px_thread_start(struct px_plugin *p, px_thread_fn fn, void *arg,
                struct px_thread **out)
{
    return p->api->thread_start(p, fn, arg, out);
}

/* Called from the plugin's thread; 'p' is the instance that started it. */
static inline int
px_thread_stopping(struct px_plugin *p, const struct px_thread *t)
{
    return p->api->thread_stopping(t);
}

static inline void
px_thread_join(struct px_plugin *p, struct px_thread *t)
{
    p->api->thread_join(p, t);
}

static inline double
px_now(struct px_plugin *p)
{
    return p->api->now(p);
}

static inline int
px_config_string(struct px_plugin *p, const char *key, const char **out)
{
    return p->api->config_string(p, key, out);
}

static inline int
px_config_int(struct px_plugin *p, const char *key, long long *out)
{
    return p->api->config_int(p, key, out);
}

static inline int
px_config_bool(struct px_plugin *p, const char *key, int *out)
{
    return p->api->config_bool(p, key, out);
}

static inline int
px_config_double(struct px_plugin *p, const char *key, double *out)
{
    return p->api->config_double(p, key, out);
}

static inline int
px_config_path(struct px_plugin *p, const char *key, char *buf, size_t size)
{
    return p->api->config_path(p, key, buf, size);
}

static inline int
px_log_enabled(struct px_plugin *p, enum px_log_level level)
{
    return p->api->log_enabled(p, level);
}

__attribute__((format(printf, 3, 4))) static inline void
px_log(struct px_plugin *p, enum px_log_level level, const char *fmt, ...)
{
    va_list args;

    if (!p->api->log_enabled(p, level)) {
        return;
    }
    va_start(args, fmt);
    p->api->vlog(p, level, fmt, args);
    va_end(args);
}

/* Returns nonzero if a message may be logged now under 'rl'.  When a window
 * opens after suppressed messages, logs how many were suppressed. */
static inline int
px_ratelimit_allow(struct px_plugin *p, enum px_log_level level,
                   struct px_ratelimit *rl)
{
    double now = p->api->now(p);

    if (now - rl->window_start >= rl->interval) {
        if (rl->suppressed) {
            px_log(p, level, "%u similar messages suppressed", rl->suppressed);
        }
        rl->window_start = now;
        rl->count = 0;
        rl->suppressed = 0;
    }
    if (rl->count < rl->burst) {
        rl->count++;
        return 1;
    }
    rl->suppressed++;
    return 0;
}

/* Logs at most rl->burst messages per rl->interval seconds; for per-packet
 * messages. */
#define px_log_rl(P, RL, LEVEL, ...)                                          \
    do {                                                                      \
        if (px_log_enabled((P), (LEVEL)) &&                                   \
            px_ratelimit_allow((P), (LEVEL), (RL))) {                         \
            px_log((P), (LEVEL), __VA_ARGS__);                                \
        }                                                                     \
    } while (0)

#define px_error(P, ...) px_log((P), PX_LOG_ERROR, __VA_ARGS__)
#define px_warn(P, ...)  px_log((P), PX_LOG_WARN, __VA_ARGS__)
#define px_info(P, ...)  px_log((P), PX_LOG_INFO, __VA_ARGS__)
#define px_debug(P, ...) px_log((P), PX_LOG_DEBUG, __VA_ARGS__)

static inline int
px_handoff_put_blob(struct px_plugin *p, const char *name, uint32_t version,
                    const void *data, size_t len)
{
    return p->api->handoff_put_blob(p, name, version, data, len);
}

static inline int
px_handoff_get_blob(struct px_plugin *p, const char *name, uint32_t *version,
                    const void **data, size_t *len)
{
    return p->api->handoff_get_blob(p, name, version, data, len);
}

static inline int
px_handoff_put_fd(struct px_plugin *p, const char *name, int fd)
{
    return p->api->handoff_put_fd(p, name, fd);
}

static inline int
px_handoff_take_fd(struct px_plugin *p, const char *name, int *fd)
{
    return p->api->handoff_take_fd(p, name, fd);
}

static inline const char *
px_instance_name(struct px_plugin *p)
{
    return p->api->instance_name(p);
}

static inline unsigned int
px_generation(struct px_plugin *p)
{
    return p->api->generation(p);
}

/* Registers the command 'name' ([a-z0-9][a-z0-9_.-]*, at most 63
 * characters) for 'fn', which is called with 'arg'.  'usage' names its
 * arguments ("DPID", "[INSTANCE] LEVEL"; "" for none) and 'help' says in
 * one line what it does; both are copied.  It takes 'min_args' to
 * 'max_args' arguments (at most PX_COMMAND_MAX_ARGS); the host refuses
 * other counts with the usage before the handler runs.  Names are unique
 * across the daemon: EEXIST when another instance or the host (the
 * built-in commands) has it.  '*out' (may be NULL) stays valid until
 * px_command_unregister or the instance's unload, which unregisters every
 * command the instance still has. */
static inline int
px_command_register(struct px_plugin *p, const char *name, const char *usage,
                    const char *help, int min_args, int max_args,
                    px_command_fn fn, void *arg, struct px_command **out)
{
    return p->api->command_register(p, name, usage, help, min_args, max_args,
                                    fn, arg, out);
}

static inline void
px_command_unregister(struct px_plugin *p, struct px_command *c)
{
    p->api->command_unregister(p, c);
}

/* Appends to the reply's human text. */
__attribute__((format(printf, 2, 3))) static inline void
px_reply_printf(struct px_reply *r, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    r->api->reply_vprintf(r, fmt, args);
    va_end(args);
}

/* Sets the reply's structured part: 'json_text' is one JSON value (an
 * object, usually), checked by the host, which keeps a copy.  EINVAL (and
 * nothing set) when it is not valid JSON.  A plugin that builds its JSON
 * with a library (jansson...) links that library itself. */
static inline int
px_reply_json(struct px_reply *r, const char *json_text)
{
    return r->api->reply_json(r, json_text);
}

/* Makes the reply an error with this message, whatever the handler
 * returns; the text written so far is not sent. */
__attribute__((format(printf, 2, 3))) static inline void
px_reply_error(struct px_reply *r, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    r->api->reply_verror(r, fmt, args);
    va_end(args);
}

/* The daemon's private run directory (mode 0700, made at start, removed
 * at exit): where a plugin keeps files only this daemon's user may read.
 * Since ABI 1.2. */
static inline const char *
px_run_dir(struct px_plugin *p)
{
    return p->api->run_dir(p);
}

/* Runs the control-socket command argv[0] with its arguments, as
 * "plexusctl --json" would, and returns its reply in '*result', a
 * malloc()ed JSON text the caller frees: {"text": TEXT, "data": JSON or
 * null}, or {"error": MESSAGE}.  Returns 0; ENOENT for an unknown
 * command, EINVAL for a wrong argument count, EIO when the command
 * failed, EDEADLK for "reload" (use px_reload_request); '*result' is set
 * in those cases too.  ENOMEM leaves it NULL.  This is how a plugin
 * reads what other plugins show operators (switches, routers...)
 * without calling them.  Since ABI 1.2. */
static inline int
px_command_call(struct px_plugin *p, int argc, const char *const *argv,
                char **result)
{
    return p->api->command_call(p, argc, argv, result);
}

/* Asks the host to reload conf.d and changed plugins, as SIGHUP does, on
 * its next loop pass (never inside the caller's callback, which the
 * reload may unload).  '*reload_id' (may be NULL) is the id that reload's
 * host.reload_done will carry; requests made before it starts share it.
 * Since ABI 1.2. */
static inline int
px_reload_request(struct px_plugin *p, unsigned int *reload_id)
{
    return p->api->reload_request(p, reload_id);
}

/* True once the daemon is shutting down (SIGTERM, SIGINT): a fini that
 * sees it is the instance's last, not a reload's, and may do what an
 * orderly exit needs (hand work over to a peer) instead of leaving
 * handoff items nobody will take.  Since ABI 1.3. */
static inline int
px_host_stopping(struct px_plugin *p)
{
    return p->api->stopping(p);
}

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_PLUGIN_H */
