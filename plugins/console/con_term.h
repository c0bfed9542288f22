/*
 * The console's terminals: each configured pane (a name and a command
 * line the operator wrote in conf.d, never one a client sends) runs in a
 * pseudo-terminal (term.h) for as long as one browser's WebSocket on
 * /ws/term/NAME is open, and dies with it.  Output goes to the browser as
 * binary messages; when the browser's queue is half full the pty is not
 * read until it drains, so a command that writes faster than the browser
 * reads is slowed down, never buffered without bound.  Input (keystrokes)
 * and window sizes come as JSON text messages; a read-only pane ignores
 * input.
 *
 * Ownership: the caller owns the struct con_terms; the panes' strings are
 * copied.
 */
#ifndef CON_TERM_H
#define CON_TERM_H 1

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct px_plugin;
struct con_terms;

struct con_terms_stats {
    uint64_t sessions;
    uint64_t refused; /* Over max_sessions, or a pane that cannot start. */
    size_t open;
};

int con_terms_create(struct px_plugin *p, size_t max_sessions,
                     size_t queue_bytes, struct con_terms **out);
/* Ends every session (the processes are killed).  Accepts NULL. */
void con_terms_destroy(struct con_terms *t);

/* Adds pane 'name' running 'command' (a command line, as term.h's
 * term_argv_parse reads it).  EINVAL with 'why' for a bad line. */
int con_terms_add(struct con_terms *t, const char *name, const char *command,
                  int writable, char *why, size_t why_size);

/* Nonzero if 'name' is a pane. */
int con_terms_has(const struct con_terms *t, const char *name);

/* {"terminals": [{"name", "command", "writable"}...]}, new reference. */
json_t *con_terms_json(const struct con_terms *t);

/* Starts a session of pane 'name' on an upgraded socket (ownership
 * passes). */
void con_terms_accept(struct con_terms *t, const char *name, int fd,
                      const void *early, size_t early_len);

void con_terms_get_stats(const struct con_terms *t,
                         struct con_terms_stats *stats);

#endif /* CON_TERM_H */
