/*
 * The control socket: a Unix-domain socket that plexusd itself serves, in
 * the spirit of Open vSwitch's unixctl, and the commands it answers.
 * plexusctl is its client, and scripts and the web console speak the same
 * protocol (ctl_proto.h).
 *
 * Commands are a registry of names: the host's built-ins (ctl_builtin.c)
 * and those plugins register through the SDK (px_command_register).  A
 * plugin's commands are resources of its instance, like its timers:
 * px_ctl_release_owner drops them when the instance is unloaded, so no
 * command can call into unmapped code.  The registry exists whether or
 * not a socket is configured, so plugins register the same way in both
 * cases.
 *
 * The server runs on the host's loop and never blocks: every socket is
 * non-blocking, and what a client can make it hold is bounded (clients,
 * the length of a request line, the bytes of replies waiting for a client
 * that does not read); a client past a bound is answered with an error
 * when possible, dropped and counted.
 *
 * Ownership: the host owns the struct px_ctl (px_ctl_create,
 * px_ctl_destroy); the registry owns every struct px_command and copies of
 * their strings.  A struct px_ctl_reply lives for one command call.
 */
#ifndef PX_CTL_H
#define PX_CTL_H 1

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "plexus/plugin.h"
#include "host_util.h"

struct px_host;
struct px_instance;
struct px_ctl;

/* Bounds of the server. */
#define PX_CTL_MAX_CLIENTS 64
/* Reply bytes queued for a client that has not read the ones before. */
#define PX_CTL_MAX_OUTPUT (1024u * 1024)

/* Why the server closed a connection it did not want to keep; the stats
 * report counts each. */
enum px_ctl_drop {
    PX_CTL_DROP_MAX_CLIENTS, /* PX_CTL_MAX_CLIENTS were connected. */
    PX_CTL_DROP_BAD_REQUEST, /* Not a well-formed request. */
    PX_CTL_DROP_LONG_LINE,   /* A line longer than PX_CTL_MAX_LINE. */
    PX_CTL_DROP_OUTPUT_FULL, /* Replies over PX_CTL_MAX_OUTPUT unread. */
    PX_CTL_N_DROPS
};

struct px_ctl_stats {
    const char *path;     /* The socket, or NULL without one; borrowed. */
    size_t clients;       /* Connected now. */
    uint64_t connections; /* Accepted (also those refused at once). */
    uint64_t requests;    /* Requests answered. */
    uint64_t errors;      /* ...of which with an error. */
    uint64_t drops[PX_CTL_N_DROPS];
};

/* The reply a command writes: the SDK's handle first, then the text, the
 * structured part and the error. */
struct px_ctl_reply {
    struct px_reply base;
    struct px_buf text; /* Bounded by PX_CTL_MAX_REPLY. */
    json_t *data;       /* Owned; NULL: none. */
    char *error;        /* Owned; NULL: not an error. */
    int overflow;       /* The text outgrew PX_CTL_MAX_REPLY. */
};

/* Creates the registry with the built-in commands and, when 'path' is
 * non-NULL, the socket at 'path' (mode 0600).  A stale socket of this user
 * is replaced; anything else at the path (a file, another user's socket, a
 * socket another process serves) is refused with an error naming the
 * path.  Errors are logged.  The caller owns '*out'. */
int px_ctl_create(struct px_host *host, const char *path, struct px_ctl **out);
/* Closes every client and the socket, removes the socket file if it is
 * still the one this process made, and frees the registry.  Accepts
 * NULL. */
void px_ctl_destroy(struct px_ctl *ctl);

/* Registers a command; see px_command_register in plexus/plugin.h.
 * 'owner' is the instance (NULL: the host).  Refusals are logged. */
int px_ctl_command_register(struct px_ctl *ctl, struct px_instance *owner,
                            const char *name, const char *usage,
                            const char *help, int min_args, int max_args,
                            px_command_fn fn, void *arg,
                            struct px_command **out);
/* Unregisters a command.  Accepts NULL. */
void px_ctl_command_unregister(struct px_ctl *ctl, struct px_command *c);
/* Unregisters every command of 'owner'; returns how many there were. */
size_t px_ctl_release_owner(struct px_ctl *ctl, const void *owner);

/* Calls 'fn' for every command, in name order; 'owner' is the instance's
 * name or "host".  Every string is borrowed for the call. */
void px_ctl_foreach_command(struct px_ctl *ctl,
                            void (*fn)(const char *name, const char *usage,
                                       const char *help, const char *owner,
                                       void *aux),
                            void *aux);

/* Runs the command argv[0] for a plugin, as the socket would run it for a
 * client, and returns its reply as one malloc()ed JSON text in
 * '*result' (the caller frees it): {"text": ..., "data": ...} on success
 * (data null when the command gave none), {"error": ...} on failure.
 * Returns 0, ENOENT (no such command), EINVAL (wrong argument count),
 * EDEADLK ("reload", which would unload the caller under its own feet:
 * plugins ask with px_reload_request), EIO (the command failed) or
 * ENOMEM; '*result' is set in every case but ENOMEM. */
int px_ctl_call(struct px_ctl *ctl, int argc, const char *const *argv,
                char **result);

/* The counters; all zero for a NULL 'ctl' (not created yet). */
void px_ctl_get_stats(const struct px_ctl *ctl, struct px_ctl_stats *stats);
/* The snake_case name of a drop reason ("max_clients"...). */
const char *px_ctl_drop_name(enum px_ctl_drop drop);

/* The reply functions of the host table (plexus/plugin.h). */
void px_ctl_reply_vprintf(struct px_reply *r, const char *fmt, va_list args);
int px_ctl_reply_json(struct px_reply *r, const char *json_text);
void px_ctl_reply_verror(struct px_reply *r, const char *fmt, va_list args);
/* Sets the structured part to 'data' (reference taken; NULL: none). */
void px_ctl_reply_set_data(struct px_reply *r, json_t *data);

/* The latest reload's outcome, as host.reload_done told it: what the
 * "reload" command answers with, for that very reload rather than
 * whichever one a listener sees next.  Strings owned by the record. */
struct px_ctl_reload {
    unsigned int id; /* 0: none yet. */
    int outcome;     /* enum px_reload_outcome */
    double time;     /* Wall clock. */
    char *added;     /* As in struct px_host_reload_done. */
    char *removed;
    char *reloaded;
    char *reconfigured;
    char *refused;
    char *error;
};

/* Records a reload's outcome ('ev' is a struct px_host_reload_done); the
 * reload code calls it where it publishes host.reload_done.  Accepts a
 * NULL 'ctl' (before the socket exists). */
struct px_host_reload_done;
void px_ctl_note_reload(struct px_ctl *ctl,
                        const struct px_host_reload_done *ev);
/* The latest reload's record; borrowed until the next reload. */
const struct px_ctl_reload *px_ctl_last_reload(const struct px_ctl *ctl);

/* Registers the built-in commands (ctl_builtin.c). */
int px_ctl_builtins_register(struct px_ctl *ctl, struct px_host *host);

#endif /* PX_CTL_H */
