/*
 * The console's terminals (con_term.h).
 */
#include "con_term.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plexus/plugin.h"
#include "plexus/ws.h"
#include "term.h"

#define MAX_PANES 4

struct pane {
    char *name;
    char *command;
    char **argv;
    int writable;
};

struct session {
    struct session *prev, *next;
    struct con_terms *terms;
    const struct pane *pane;
    struct px_ws *ws;
    struct term *term;
    struct px_io *out_io; /* The master: output. */
    struct px_io *pid_io; /* The pidfd: the end. */
    int paused;           /* Not reading: the browser is behind. */
};

struct con_terms {
    struct px_plugin *p;
    struct pane panes[MAX_PANES];
    size_t n_panes;
    struct session *sessions;
    size_t n_sessions, max_sessions, queue_bytes;
    struct con_terms_stats stats;
    struct px_ratelimit rl;
};

static void
session_free(struct session *s)
{
    struct con_terms *t = s->terms;

    if (s->prev) {
        s->prev->next = s->next;
    } else {
        t->sessions = s->next;
    }
    if (s->next) {
        s->next->prev = s->prev;
    }
    t->n_sessions--;
    /* The watchers go before the descriptors they watch. */
    if (s->out_io) {
        px_io_stop(t->p, s->out_io);
    }
    if (s->pid_io) {
        px_io_stop(t->p, s->pid_io);
    }
    term_destroy(s->term);
    px_ws_destroy(s->ws);
    free(s);
}

/* Reads what the pty has while the browser's queue has room. */
static void
pump(struct session *s)
{
    struct con_terms *t = s->terms;
    char buf[16384];
    size_t n;
    int error;

    for (;;) {
        if (px_ws_queued(s->ws) > t->queue_bytes / 2) {
            if (!s->paused) {
                s->paused = 1;
                px_io_modify(t->p, s->out_io, 0);
            }
            return;
        }
        error = term_read(s->term, buf, sizeof buf, &n);
        if (error == EAGAIN) {
            return;
        }
        if (error) {
            /* The end of the output (EPIPE) or a failed pty: the pidfd
             * says when the process is gone; stop reading. */
            px_io_modify(t->p, s->out_io, 0);
            s->paused = 1;
            return;
        }
        if (px_ws_send(s->ws, 1, buf, n)) {
            return;
        }
    }
}

static void
on_output(struct px_plugin *p, struct px_io *io, int fd, int revents, void *s_)
{
    (void)p;
    (void)io;
    (void)fd;
    (void)revents;
    pump(s_);
}

static void
on_child_exit(struct px_plugin *p, struct px_io *io, int fd, int revents,
              void *s_)
{
    struct session *s = s_;
    char line[96];
    int status = 0;
    int error;

    (void)p;
    (void)fd;
    (void)revents;
    error = term_reap(s->term, &status);

    if (error == EAGAIN) {
        return;
    }
    px_io_stop(s->terms->p, io);
    s->pid_io = NULL;
    /* What the process wrote last, then why it ended. */
    if (!s->paused) {
        pump(s);
    }
    if (error) {
        /* Reaped by someone else: the status is not known. */
        snprintf(line, sizeof line, "\r\n[exited]\r\n");
    } else {
        snprintf(line, sizeof line, "\r\n[%s %d]\r\n",
                 WIFEXITED(status) ? "exited with status" : "killed by signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    px_ws_send(s->ws, 1, line, strlen(line));
    px_ws_close(s->ws, 1000, "the command ended");
}

static void
on_message(struct px_ws *ws, int binary, const uint8_t *data, size_t len,
           void *s_)
{
    struct session *s = s_;
    json_error_t jerr;
    json_t *msg =
        binary ? NULL : json_loadb((const char *)data, len, 0, &jerr);
    const char *op = json_string_value(json_object_get(msg, "op"));
    size_t written;

    (void)ws;
    if (op && !strcmp(op, "input") && s->pane->writable) {
        json_t *d = json_object_get(msg, "data");

        if (json_is_string(d)) {
            term_write(s->term, json_string_value(d), json_string_length(d),
                       &written);
        }
    } else if (op && !strcmp(op, "resize")) {
        json_int_t cols = json_integer_value(json_object_get(msg, "cols"));
        json_int_t rows = json_integer_value(json_object_get(msg, "rows"));

        if (cols > 0 && cols <= 1000 && rows > 0 && rows <= 1000) {
            term_resize(s->term, (unsigned short)rows, (unsigned short)cols);
        }
    }
    json_decref(msg);
}

static void
on_drain(struct px_ws *ws, void *s_)
{
    struct session *s = s_;

    (void)ws;
    if (s->paused && s->pid_io) {
        s->paused = 0;
        px_io_modify(s->terms->p, s->out_io, PX_IO_READ);
        pump(s);
    }
}

static void
on_close(struct px_ws *ws, enum px_ws_close_reason reason, void *s_)
{
    struct session *s = s_;

    (void)ws;
    px_info(s->terms->p, "terminal '%s' (pid %d) closed: %s", s->pane->name,
            (int)term_pid(s->term), px_ws_close_reason_name(reason));
    session_free(s);
}

static const struct px_ws_callbacks callbacks = {
    .on_message = on_message,
    .on_drain = on_drain,
    .on_close = on_close,
};

static const struct pane *
find_pane(const struct con_terms *t, const char *name)
{
    size_t i;

    for (i = 0; i < t->n_panes; i++) {
        if (!strcmp(t->panes[i].name, name)) {
            return &t->panes[i];
        }
    }
    return NULL;
}

int
con_terms_has(const struct con_terms *t, const char *name)
{
    return find_pane(t, name) != NULL;
}

void
con_terms_accept(struct con_terms *t, const char *name, int fd,
                 const void *early, size_t early_len)
{
    struct px_ws_config wcfg = {
        .max_message = 16384,
        .max_queued = t->queue_bytes,
        .ping_interval = 20,
        .idle_timeout = 60,
    };
    const struct pane *pane = find_pane(t, name);
    struct session *s;
    int error;

    if (!pane || t->n_sessions >= t->max_sessions) {
        t->stats.refused++;
        px_log_rl(t->p, &t->rl, PX_LOG_WARN, "terminal '%s' refused: %s", name,
                  pane ? "max_terminals sessions open" : "no such pane");
        close(fd);
        return;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return;
    }
    s->terms = t;
    s->pane = pane;
    error =
        px_ws_start(t->p, fd, early, early_len, &wcfg, &callbacks, s, &s->ws);
    if (error) {
        free(s);
        return;
    }
    s->next = t->sessions;
    if (t->sessions) {
        t->sessions->prev = s;
    }
    t->sessions = s;
    t->n_sessions++;
    if ((error = term_spawn(pane->argv, 24, 80, &s->term)) ||
        (error = px_io_start(t->p, term_master_fd(s->term), PX_IO_READ,
                             on_output, s, &s->out_io)) ||
        (error = px_io_start(t->p, term_pidfd(s->term), PX_IO_READ,
                             on_child_exit, s, &s->pid_io))) {
        t->stats.refused++;
        px_warn(t->p, "terminal '%s': cannot start '%s': %s", name,
                pane->command, strerror(error));
        px_ws_close(s->ws, 1011, "cannot start the command");
        return;
    }
    t->stats.sessions++;
    px_info(t->p, "terminal '%s' started: pid %d runs %s", name,
            (int)term_pid(s->term), pane->command);
}

int
con_terms_add(struct con_terms *t, const char *name, const char *command,
              int writable, char *why, size_t why_size)
{
    struct pane *pane;
    int error;

    if (t->n_panes == MAX_PANES || find_pane(t, name)) {
        snprintf(why, why_size, "%s",
                 t->n_panes == MAX_PANES ? "too many terminal panes"
                                         : "two panes with one name");
        return EINVAL;
    }
    pane = &t->panes[t->n_panes];
    if ((error = term_argv_parse(command, &pane->argv, why, why_size))) {
        return error;
    }
    pane->name = strdup(name);
    pane->command = strdup(command);
    pane->writable = writable;
    t->n_panes++;
    if (!pane->name || !pane->command) {
        snprintf(why, why_size, "out of memory");
        return ENOMEM;
    }
    return 0;
}

json_t *
con_terms_json(const struct con_terms *t)
{
    json_t *list = json_array();
    size_t i;

    for (i = 0; list && i < t->n_panes; i++) {
        json_array_append_new(list, json_pack("{s:s,s:s,s:b}", "name",
                                              t->panes[i].name, "command",
                                              t->panes[i].command, "writable",
                                              t->panes[i].writable));
    }
    return json_pack("{s:o}", "terminals", list);
}

int
con_terms_create(struct px_plugin *p, size_t max_sessions, size_t queue_bytes,
                 struct con_terms **out)
{
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct con_terms *t = calloc(1, sizeof *t);

    if (!t) {
        return ENOMEM;
    }
    t->p = p;
    t->max_sessions = max_sessions;
    t->queue_bytes = queue_bytes;
    t->rl = rl;
    *out = t;
    return 0;
}

void
con_terms_destroy(struct con_terms *t)
{
    size_t i;

    if (!t) {
        return;
    }
    while (t->sessions) {
        session_free(t->sessions);
    }
    for (i = 0; i < t->n_panes; i++) {
        free(t->panes[i].name);
        free(t->panes[i].command);
        term_argv_free(t->panes[i].argv);
    }
    free(t);
}

void
con_terms_get_stats(const struct con_terms *t, struct con_terms_stats *stats)
{
    *stats = t->stats;
    stats->open = t->n_sessions;
}
