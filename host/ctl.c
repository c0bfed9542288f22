/*
 * The control socket's server and the command registry; see ctl.h.
 *
 * A client is a small record with a bounded input buffer (one request
 * line) and a bounded output buffer (replies it has not read yet).  Its
 * watcher reads, answers every complete line at once, and writes what it
 * can; the rest waits for the socket to become writable.  Handlers run
 * synchronously inside that callback, so a "reload" request unloads and
 * loads plugins right there: nothing the reload does touches clients,
 * and a command's record is never used after its handler returns (the
 * reload may have unregistered it).
 */
#include "ctl.h"

#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "daemon.h"
#include "instance.h"
#include "list.h"
#include "log.h"
#include "plexus/topics/host.h"

/* How long accepting pauses when the process is out of descriptors: the
 * listening socket stays readable, so retrying at once would spin. */
#define PX_CTL_ACCEPT_PAUSE 0.5

/* Connection messages per second before they are suppressed (and
 * counted): a misbehaving client could otherwise flood the log. */
#define PX_CTL_LOG_BURST 5

/* Requests of one client answered per loop pass.  A client may send many
 * at once; the rest wait for the next pass (an idle watcher, which runs
 * when nothing else is pending), so switches and other clients are served
 * in between. */
#define PX_CTL_MAX_PER_PASS 16

struct px_command {
    struct px_list node; /* In ctl->commands, by name. */
    char *name;
    char *usage;
    char *help;
    int min_args;
    int max_args;
    px_command_fn fn;
    void *arg;
    struct px_instance *owner; /* NULL: the host. */
};

struct ctl_client {
    struct px_list node; /* In ctl->clients. */
    struct px_ctl *ctl;
    unsigned int id;
    ev_io w;
    ev_idle more_w; /* Active while complete lines wait for a pass. */
    char in[PX_CTL_MAX_LINE + 1];
    size_t in_len;
    struct px_buf out; /* Replies queued for the client. */
    size_t out_off;    /* Bytes of 'out' already sent. */
    int closing;       /* Close once the output is sent; read no more. */
    int eof;           /* The client sent all it will. */
};

struct px_ctl {
    struct px_host *host;
    struct px_list commands;
    struct px_list clients;
    size_t n_clients;
    unsigned int next_id;

    char *path; /* NULL: no socket. */
    int fd;
    dev_t dev; /* Of the socket file we made, to remove only that one. */
    ino_t ino;
    ev_io accept_w;
    ev_timer pause_w;

    struct px_ctl_reload last_reload;
    struct px_ctl_stats stats;
    double log_window;
    unsigned int log_count;
    unsigned int log_suppressed;
};

/* A request's params are a command's arguments. */
_Static_assert(PX_CTL_MAX_PARAMS == PX_COMMAND_MAX_ARGS,
               "requests and commands disagree on the most arguments");

/* Names the host keeps for itself besides the built-ins: plexusctl runs
 * "metrics" locally, so a command of that name could never be reached. */
static const char *const reserved_names[] = {"metrics"};

/* ------------------------------------------------------------------------
 * Logging. */

static int
log_allowed(struct px_ctl *ctl)
{
    double now = ev_now(ctl->host->loop);

    if (now - ctl->log_window >= 1.0) {
        if (ctl->log_suppressed) {
            PX_HLOG(PX_LOG_INFO,
                    "control socket: %u similar messages suppressed",
                    ctl->log_suppressed);
        }
        ctl->log_window = now;
        ctl->log_count = 0;
        ctl->log_suppressed = 0;
    }
    if (ctl->log_count < PX_CTL_LOG_BURST) {
        ctl->log_count++;
        return 1;
    }
    ctl->log_suppressed++;
    return 0;
}

#define CTL_LOG_RL(CTL, LEVEL, ...)                                           \
    do {                                                                      \
        if ((LEVEL) <= px_log_get_level() && log_allowed(CTL)) {              \
            px_log_emit((LEVEL), "host", __VA_ARGS__);                        \
        }                                                                     \
    } while (0)

const char *
px_ctl_drop_name(enum px_ctl_drop drop)
{
    static const char *const names[PX_CTL_N_DROPS] = {
        [PX_CTL_DROP_MAX_CLIENTS] = "max_clients",
        [PX_CTL_DROP_BAD_REQUEST] = "bad_request",
        [PX_CTL_DROP_LONG_LINE] = "line_too_long",
        [PX_CTL_DROP_OUTPUT_FULL] = "output_full",
    };

    return (unsigned int)drop < PX_CTL_N_DROPS ? names[drop] : "other";
}

/* ------------------------------------------------------------------------
 * The registry. */

static struct px_command *
find_command(struct px_ctl *ctl, const char *name)
{
    struct px_command *c;

    PX_LIST_FOR_EACH (c, node, &ctl->commands) {
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

static void
command_free(struct px_command *c)
{
    px_list_remove(&c->node);
    free(c->name);
    free(c->usage);
    free(c->help);
    free(c);
}

static const char *
owner_name(const struct px_instance *owner)
{
    return owner ? owner->name : "host";
}

int
px_ctl_command_register(struct px_ctl *ctl, struct px_instance *owner,
                        const char *name, const char *usage, const char *help,
                        int min_args, int max_args, px_command_fn fn,
                        void *arg, struct px_command **out)
{
    struct px_command *c, *at;
    size_t i;

    if (!fn || !name || !px_ctl_name_valid(name) || min_args < 0 ||
        max_args < min_args || max_args > PX_COMMAND_MAX_ARGS) {
        PX_HLOG(PX_LOG_ERROR,
                "%s: cannot register command '%s': invalid name (want "
                "[a-z0-9][a-z0-9_.-]*, at most %d characters) or argument "
                "counts (%d to %d, at most %d)",
                owner_name(owner), name ? name : "(null)", PX_CTL_MAX_METHOD,
                min_args, max_args, PX_COMMAND_MAX_ARGS);
        return EINVAL;
    }
    for (i = 0; i < sizeof reserved_names / sizeof *reserved_names; i++) {
        if (!strcmp(name, reserved_names[i])) {
            PX_HLOG(PX_LOG_ERROR,
                    "%s: cannot register command '%s': the name is "
                    "reserved (plexusctl runs it itself)",
                    owner_name(owner), name);
            return EEXIST;
        }
    }
    c = find_command(ctl, name);
    if (c) {
        PX_HLOG(PX_LOG_ERROR,
                "%s: cannot register command '%s': %s has it already",
                owner_name(owner), name,
                c->owner ? c->owner->name : "the host (built-in)");
        return EEXIST;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        return ENOMEM;
    }
    c->name = strdup(name);
    c->usage = strdup(usage ? usage : "");
    c->help = strdup(help ? help : "");
    if (!c->name || !c->usage || !c->help) {
        free(c->name);
        free(c->usage);
        free(c->help);
        free(c);
        return ENOMEM;
    }
    c->min_args = min_args;
    c->max_args = max_args;
    c->fn = fn;
    c->arg = arg;
    c->owner = owner;
    /* Kept in name order, which is the order help lists them in. */
    PX_LIST_FOR_EACH (at, node, &ctl->commands) {
        if (strcmp(at->name, name) > 0) {
            break;
        }
    }
    px_list_insert(&at->node, &c->node);
    if (owner) {
        PX_HLOG(PX_LOG_DEBUG, "%s: registered command '%s'", owner->name,
                name);
    }
    if (out) {
        *out = c;
    }
    return 0;
}

void
px_ctl_command_unregister(struct px_ctl *ctl, struct px_command *c)
{
    (void)ctl;
    if (c) {
        command_free(c);
    }
}

size_t
px_ctl_release_owner(struct px_ctl *ctl, const void *owner)
{
    struct px_command *c, *next;
    size_t n = 0;

    if (!ctl) {
        return 0;
    }
    PX_LIST_FOR_EACH_SAFE (c, next, node, &ctl->commands) {
        if (c->owner && (const void *)c->owner == owner) {
            command_free(c);
            n++;
        }
    }
    return n;
}

void
px_ctl_foreach_command(struct px_ctl *ctl,
                       void (*fn)(const char *name, const char *usage,
                                  const char *help, const char *owner,
                                  void *aux),
                       void *aux)
{
    struct px_command *c;

    PX_LIST_FOR_EACH (c, node, &ctl->commands) {
        fn(c->name, c->usage, c->help, owner_name(c->owner), aux);
    }
}

void
px_ctl_get_stats(const struct px_ctl *ctl, struct px_ctl_stats *stats)
{
    if (!ctl) {
        memset(stats, 0, sizeof *stats);
        return;
    }
    *stats = ctl->stats;
    stats->path = ctl->path;
    stats->clients = ctl->n_clients;
}

/* ------------------------------------------------------------------------
 * Reload outcomes. */

static void
reload_clear(struct px_ctl_reload *r)
{
    free(r->added);
    free(r->removed);
    free(r->reloaded);
    free(r->reconfigured);
    free(r->refused);
    free(r->error);
    memset(r, 0, sizeof *r);
}

void
px_ctl_note_reload(struct px_ctl *ctl, const struct px_host_reload_done *ev)
{
    struct px_ctl_reload *r;

    if (!ctl) {
        return;
    }
    r = &ctl->last_reload;
    reload_clear(r);
    r->id = ev->reload_id;
    r->outcome = (int)ev->outcome;
    r->time = px_wall_now();
    /* Out of memory, a list reads as empty: the outcome and id stay. */
    r->added = strdup(ev->added ? ev->added : "");
    r->removed = strdup(ev->removed ? ev->removed : "");
    r->reloaded = strdup(ev->reloaded ? ev->reloaded : "");
    r->reconfigured = strdup(ev->reconfigured ? ev->reconfigured : "");
    r->refused = strdup(ev->refused ? ev->refused : "");
    r->error = strdup(ev->error ? ev->error : "");
}

const struct px_ctl_reload *
px_ctl_last_reload(const struct px_ctl *ctl)
{
    return &ctl->last_reload;
}

/* ------------------------------------------------------------------------
 * Replies. */

static struct px_ctl_reply *
reply_of(struct px_reply *r)
{
    return PX_CONTAINER_OF(r, struct px_ctl_reply, base);
}

void
px_ctl_reply_vprintf(struct px_reply *r, const char *fmt, va_list args)
{
    struct px_ctl_reply *reply = reply_of(r);

    if (reply->overflow) {
        return;
    }
    if (px_buf_vprintf(&reply->text, fmt, args) == ENOBUFS) {
        /* What would not reach the client anyway is not kept either. */
        reply->overflow = 1;
        px_buf_destroy(&reply->text);
    }
}

int
px_ctl_reply_json(struct px_reply *r, const char *json_text)
{
    json_error_t jerr;
    json_t *data;

    data = json_text
               ? json_loads(json_text,
                            JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr)
               : NULL;
    if (!data) {
        PX_HLOG(PX_LOG_WARN,
                "a command's structured reply is not valid JSON (line %d "
                "column %d: %s): left out",
                json_text ? jerr.line : 0, json_text ? jerr.column : 0,
                json_text ? jerr.text : "no text");
        return EINVAL;
    }
    px_ctl_reply_set_data(r, data);
    return 0;
}

void
px_ctl_reply_verror(struct px_reply *r, const char *fmt, va_list args)
{
    struct px_ctl_reply *reply = reply_of(r);
    char *s;

    if (vasprintf(&s, fmt, args) < 0) {
        s = NULL;
    }
    free(reply->error);
    /* Without memory the reply is still an error, just a terse one. */
    reply->error = s ? s : strdup("error");
}

void
px_ctl_reply_set_data(struct px_reply *r, json_t *data)
{
    struct px_ctl_reply *reply = reply_of(r);

    json_decref(reply->data);
    reply->data = data;
}

static void
reply_init(struct px_ctl_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->base.api = &px_host_api_v1;
    px_buf_init(&reply->text, PX_CTL_MAX_REPLY);
}

static void
reply_clear(struct px_ctl_reply *reply)
{
    px_buf_destroy(&reply->text);
    json_decref(reply->data);
    free(reply->error);
}

int
px_ctl_call(struct px_ctl *ctl, int argc, const char *const *argv,
            char **result)
{
    struct px_command *cmd =
        ctl && argc > 0 ? find_command(ctl, argv[0]) : NULL;
    struct px_ctl_reply reply;
    json_t *out;
    int rc, error = 0;

    *result = NULL;
    if (!cmd) {
        out = json_pack("{s:s}", "error", "unknown command");
        error = ENOENT;
    } else if (!strcmp(cmd->name, "reload")) {
        out = json_pack("{s:s}", "error",
                        "a plugin asks for a reload with px_reload_request");
        error = EDEADLK;
    } else if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
        out = json_pack("{s:s,s:s}", "error", "wrong number of arguments",
                        "usage", cmd->usage);
        error = EINVAL;
    } else {
        reply_init(&reply);
        rc = cmd->fn(cmd->owner ? &cmd->owner->plugin : NULL, argc, argv,
                     &reply.base, cmd->arg);
        if (reply.overflow || reply.error || rc || px_buf_error(&reply.text)) {
            out = json_pack("{s:s}", "error",
                            reply.overflow ? "the reply is too long"
                            : reply.error  ? reply.error
                            : rc           ? strerror(rc > 0 ? rc : EINVAL)
                                           : "out of memory");
            error = EIO;
        } else {
            out = json_pack("{s:s%,s:O?}", "text", px_buf_cstr(&reply.text),
                            reply.text.len, "data", reply.data);
        }
        reply_clear(&reply);
    }
    *result = out ? json_dumps(out, JSON_COMPACT) : NULL;
    json_decref(out);
    return *result ? error : ENOMEM;
}

/* ------------------------------------------------------------------------
 * Clients. */

static void
client_free(struct ctl_client *c)
{
    struct px_ctl *ctl = c->ctl;

    ev_io_stop(ctl->host->loop, &c->w);
    ev_idle_stop(ctl->host->loop, &c->more_w);
    close(c->w.fd);
    px_list_remove(&c->node);
    ctl->n_clients--;
    px_buf_destroy(&c->out);
    free(c);
}

static void
client_drop(struct ctl_client *c, enum px_ctl_drop why, const char *detail)
{
    c->ctl->stats.drops[why]++;
    CTL_LOG_RL(c->ctl, PX_LOG_INFO, "control socket: client %u dropped: %s",
               c->id, detail);
    client_free(c);
}

/* Sends what is queued.  Returns 0, or an errno when the client is gone
 * (and freed). */
static int
client_flush(struct ctl_client *c)
{
    struct ev_loop *loop = c->ctl->host->loop;

    while (c->out_off < c->out.len) {
        ssize_t n = send(c->w.fd, c->out.data + c->out_off,
                         c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            int error = n < 0 ? errno : EPIPE;

            PX_HLOG(PX_LOG_DEBUG, "control socket: client %u: send: %s", c->id,
                    strerror(error));
            client_free(c);
            return error;
        }
    }
    if (c->out_off == c->out.len) {
        c->out_off = 0;
        px_buf_clear(&c->out);
        if (c->closing) {
            PX_HLOG(PX_LOG_DEBUG, "control socket: client %u closed", c->id);
            client_free(c);
            return ECONNRESET;
        }
    }
    {
        /* No reading while lines wait for their turn: the input buffer
         * holds them, and a client that sends faster than it is answered
         * is simply not read. */
        int want =
            (c->closing || c->eof || ev_is_active(&c->more_w) ? 0 : EV_READ) |
            (c->out_off < c->out.len ? EV_WRITE : 0);

        if ((c->w.events & (EV_READ | EV_WRITE)) != want) {
            ev_io_stop(loop, &c->w);
            ev_io_set(&c->w, c->w.fd, want);
            if (want) {
                ev_io_start(loop, &c->w);
            }
        }
    }
    return 0;
}

/* Queues one encoded line.  Returns 0, or ENOBUFS when the client has
 * left too much unread (it is then dropped and freed). */
static int
client_queue(struct ctl_client *c, const char *line, size_t len)
{
    size_t pending = c->out.len - c->out_off;

    /* A reply of any size (up to PX_CTL_MAX_REPLY) goes to a client that
     * has read everything before it; a client that keeps asking without
     * reading is dropped once its backlog passes the bound. */
    if (pending && pending + len > PX_CTL_MAX_OUTPUT) {
        char detail[128];

        snprintf(detail, sizeof detail,
                 "more than %u bytes of replies left unread",
                 PX_CTL_MAX_OUTPUT);
        client_drop(c, PX_CTL_DROP_OUTPUT_FULL, detail);
        return ENOBUFS;
    }
    /* What was sent goes only now, in one move, rather than after each
     * partial send. */
    px_buf_pull(&c->out, c->out_off);
    c->out_off = 0;
    if (px_buf_put(&c->out, line, len)) {
        client_drop(c, PX_CTL_DROP_OUTPUT_FULL, "out of memory");
        return ENOBUFS;
    }
    return 0;
}

/* Queues an error line with 'id' (may be NULL). */
static int
client_error(struct ctl_client *c, const json_t *id, const char *message)
{
    char *line;
    size_t len;
    int error;

    c->ctl->stats.errors++;
    if (px_ctl_encode_error(id, message, &line, &len)) {
        return 0; /* Out of memory: the client sees no answer. */
    }
    error = client_queue(c, line, len);
    free(line);
    return error;
}

/* Runs a parsed request and queues its reply. */
static int
run_request(struct ctl_client *c, const struct px_ctl_request *req)
{
    struct px_ctl *ctl = c->ctl;
    struct px_command *cmd = find_command(ctl, req->method);
    struct px_ctl_reply reply;
    char msg[256], *line = NULL;
    size_t len = 0, n_args = req->argc - 1;
    int rc, error;

    if (!cmd) {
        snprintf(msg, sizeof msg,
                 "unknown command '%s' (\"help\" lists the commands)",
                 req->method);
        return client_error(c, req->id, msg);
    }
    if (n_args < (size_t)cmd->min_args || n_args > (size_t)cmd->max_args) {
        snprintf(msg, sizeof msg, "usage: %s%s%s (%zu argument%s given)",
                 cmd->name, cmd->usage[0] ? " " : "", cmd->usage, n_args,
                 n_args == 1 ? "" : "s");
        return client_error(c, req->id, msg);
    }
    PX_HLOG(PX_LOG_DEBUG, "control socket: client %u runs '%s' (%s)", c->id,
            cmd->name, owner_name(cmd->owner));
    reply_init(&reply);
    /* 'cmd' may be gone after this call: a reload unregisters plugins'
     * commands, and a handler may unregister its own.  argv[0] is the
     * request's copy of the name, not the command's. */
    rc = cmd->fn(cmd->owner ? &cmd->owner->plugin : NULL, (int)req->argc,
                 (const char *const *)req->argv, &reply.base, cmd->arg);
    if (reply.overflow) {
        snprintf(msg, sizeof msg, "the reply is longer than %u bytes",
                 PX_CTL_MAX_REPLY);
        error = client_error(c, req->id, msg);
    } else if (reply.error || rc) {
        struct px_buf m = PX_BUF_INITIALIZER(SIZE_MAX);
        const char *text = reply.error      ? reply.error
                           : reply.text.len ? px_buf_cstr(&reply.text)
                                            : strerror(rc > 0 ? rc : EINVAL);
        size_t n = strlen(text);

        /* An error is a message, not lines of text. */
        while (n && text[n - 1] == '\n') {
            n--;
        }
        px_buf_put(&m, text, n);
        error = client_error(c, req->id, px_buf_cstr(&m));
        px_buf_destroy(&m);
    } else if (px_buf_error(&reply.text)) {
        /* Out of memory while the command wrote: the text is not whole. */
        error = client_error(c, req->id, "out of memory");
    } else if (px_ctl_encode_result(
                   req->id, px_buf_cstr(&reply.text), reply.text.len,
                   req->want_json ? reply.data : NULL, &line, &len)) {
        error = client_error(c, req->id, "out of memory");
    } else if (len > PX_CTL_MAX_REPLY) {
        snprintf(msg, sizeof msg, "the reply is longer than %u bytes",
                 PX_CTL_MAX_REPLY);
        error = client_error(c, req->id, msg);
    } else {
        error = client_queue(c, line, len);
    }
    free(line);
    reply_clear(&reply);
    return error;
}

/* Handles one line.  Returns 0, or ENOBUFS when the client was dropped. */
static int
handle_line(struct ctl_client *c, const char *line, size_t len)
{
    struct px_ctl_request req;
    char why[256], msg[300];
    size_t i;
    int error;

    for (i = 0;
         i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r');
         i++) {
        continue;
    }
    if (i == len) {
        return 0; /* A blank line, as a person with socat might type. */
    }
    c->ctl->stats.requests++;
    if (px_ctl_request_parse(line, len, &req, why, sizeof why)) {
        snprintf(msg, sizeof msg, "bad request: %s", why);
        c->ctl->stats.drops[PX_CTL_DROP_BAD_REQUEST]++;
        CTL_LOG_RL(c->ctl, PX_LOG_INFO,
                   "control socket: client %u sent a bad request (%s): "
                   "closing",
                   c->id, why);
        c->closing = 1;
        error = client_error(c, req.id, msg);
        px_ctl_request_clear(&req);
        return error;
    }
    error = run_request(c, &req);
    px_ctl_request_clear(&req);
    return error;
}

/* Answers up to PX_CTL_MAX_PER_PASS lines of the input buffer (at the end
 * of input, the last one even without its newline), and leaves the idle
 * watcher on when more are waiting.  Returns 0, or ENOBUFS when the client
 * was dropped (and freed). */
static int
handle_input(struct ctl_client *c)
{
    struct ev_loop *loop = c->ctl->host->loop;
    size_t start = 0;
    int budget = PX_CTL_MAX_PER_PASS, error;

    while (!c->closing && start < c->in_len && budget) {
        char *nl = memchr(c->in + start, '\n', c->in_len - start);
        size_t end = nl ? (size_t)(nl - c->in) : c->in_len;

        if (!nl && !c->eof) {
            break;
        }
        budget--;
        error = handle_line(c, c->in + start, end - start);
        if (error) {
            return error;
        }
        start = nl ? end + 1 : end;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    if (c->closing) {
        c->in_len = 0;
    } else if (c->in_len && (c->eof || memchr(c->in, '\n', c->in_len))) {
        ev_idle_start(loop, &c->more_w);
        return 0;
    } else if (c->eof) {
        c->closing = 1; /* Everything it sent has been answered. */
    } else if (c->in_len > PX_CTL_MAX_LINE) {
        char msg[128];

        snprintf(msg, sizeof msg, "request line longer than %u bytes",
                 PX_CTL_MAX_LINE);
        c->ctl->stats.drops[PX_CTL_DROP_LONG_LINE]++;
        CTL_LOG_RL(c->ctl, PX_LOG_INFO,
                   "control socket: client %u: %s: closing", c->id, msg);
        c->closing = 1;
        c->in_len = 0;
        error = client_error(c, NULL, msg);
        if (error) {
            return error;
        }
    }
    ev_idle_stop(loop, &c->more_w);
    return 0;
}

static void
client_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct ctl_client *c = PX_CONTAINER_OF(w, struct ctl_client, w);

    (void)loop;
    if (revents & EV_READ) {
        ssize_t n = recv(w->fd, c->in + c->in_len, sizeof c->in - c->in_len,
                         MSG_DONTWAIT);

        if (n < 0 &&
            (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            /* Nothing after all. */
        } else if (n < 0) {
            PX_HLOG(PX_LOG_DEBUG, "control socket: client %u: %s", c->id,
                    strerror(errno));
            client_free(c);
            return;
        } else {
            /* At the end of input, a last line without its newline still
             * counts, as "echo -n ... | socat" sends it. */
            c->eof = !n;
            c->in_len += (size_t)n;
            if (handle_input(c)) {
                return;
            }
        }
    }
    client_flush(c);
}

static void
more_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
    struct ctl_client *c = PX_CONTAINER_OF(w, struct ctl_client, more_w);

    (void)loop;
    (void)revents;
    if (!handle_input(c)) {
        client_flush(c);
    }
}

static void
client_add(struct px_ctl *ctl, int fd)
{
    struct ctl_client *c;

    ctl->stats.connections++;
    if (ctl->n_clients >= PX_CTL_MAX_CLIENTS) {
        char msg[128], *line;
        size_t len;

        snprintf(msg, sizeof msg, "too many clients (%d connected): try again",
                 PX_CTL_MAX_CLIENTS);
        /* One best-effort write into an empty socket buffer: the line is
         * short, so it fits, and nothing waits on this client. */
        if (!px_ctl_encode_error(NULL, msg, &line, &len)) {
            if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                PX_HLOG(PX_LOG_DEBUG, "control socket: send: %s",
                        strerror(errno));
            }
            free(line);
        }
        close(fd);
        ctl->stats.drops[PX_CTL_DROP_MAX_CLIENTS]++;
        CTL_LOG_RL(ctl, PX_LOG_INFO,
                   "control socket: connection refused: %d clients are "
                   "connected",
                   PX_CTL_MAX_CLIENTS);
        return;
    }
    c = malloc(sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->ctl = ctl;
    c->id = ++ctl->next_id;
    c->in_len = 0;
    /* The bound is client_queue's; the buffer's own limit is none. */
    px_buf_init(&c->out, SIZE_MAX);
    c->out_off = 0;
    c->closing = 0;
    c->eof = 0;
    ev_io_init(&c->w, client_cb, fd, EV_READ);
    ev_idle_init(&c->more_w, more_cb);
    ev_io_start(ctl->host->loop, &c->w);
    px_list_push_back(&ctl->clients, &c->node);
    ctl->n_clients++;
    PX_HLOG(PX_LOG_DEBUG, "control socket: client %u connected", c->id);
}

static void
pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct px_ctl *ctl = w->data;

    (void)revents;
    ev_io_start(loop, &ctl->accept_w);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct px_ctl *ctl = w->data;

    (void)revents;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        int error = fd < 0 ? errno : 0;

        if (fd >= 0) {
            client_add(ctl, fd);
        } else if (error == EINTR || error == ECONNABORTED) {
            continue;
        } else if (error == EMFILE || error == ENFILE || error == ENOBUFS ||
                   error == ENOMEM) {
            CTL_LOG_RL(ctl, PX_LOG_WARN,
                       "control socket: accept: %s: pausing for %g s",
                       strerror(error), PX_CTL_ACCEPT_PAUSE);
            ev_io_stop(loop, w);
            ev_timer_set(&ctl->pause_w, PX_CTL_ACCEPT_PAUSE, 0);
            ev_timer_start(loop, &ctl->pause_w);
            return;
        } else {
            if (error != EAGAIN && error != EWOULDBLOCK) {
                CTL_LOG_RL(ctl, PX_LOG_WARN, "control socket: accept: %s",
                           strerror(error));
            }
            return;
        }
    }
}

/* ------------------------------------------------------------------------
 * The socket. */

/* Returns nonzero if a process accepts connections on 'sun'. */
static int
socket_served(const struct sockaddr_un *sun)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int served;

    if (fd < 0) {
        return 0;
    }
    served = !connect(fd, (const struct sockaddr *)sun, sizeof *sun);
    close(fd);
    return served;
}

/* Makes room at 'path': nothing there, or a stale socket of ours (a
 * daemon that crashed left it) which is removed.  The pid file's lock
 * keeps a second daemon of the same configuration from starting, but
 * another configuration may name the same socket, so a socket that
 * answers is never taken over. */
static int
clear_path(const char *path, const struct sockaddr_un *sun)
{
    struct stat st;

    if (lstat(path, &st)) {
        int error = errno;

        if (error == ENOENT) {
            return 0;
        }
        PX_HLOG(PX_LOG_ERROR, "control socket %s: %s", path, strerror(error));
        return error;
    }
    if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
        PX_HLOG(PX_LOG_ERROR,
                "control socket %s: the path exists and is not a socket of "
                "uid %ld: refusing to replace it (remove it, or set [host] "
                "ctl_socket to another path)",
                path, (long)geteuid());
        return EEXIST;
    }
    if (socket_served(sun)) {
        PX_HLOG(PX_LOG_ERROR,
                "control socket %s: another process serves it (another "
                "plexusd?): not starting",
                path);
        return EADDRINUSE;
    }
    if (unlink(path)) {
        int error = errno;

        PX_HLOG(PX_LOG_ERROR,
                "control socket %s: cannot remove the stale "
                "socket: %s",
                path, strerror(error));
        return error;
    }
    PX_HLOG(PX_LOG_INFO, "control socket %s: removed a stale socket", path);
    return 0;
}

static int
ctl_listen(struct px_ctl *ctl, const char *path)
{
    struct sockaddr_un sun;
    struct stat st;
    mode_t old;
    int fd, error;

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path) {
        PX_HLOG(PX_LOG_ERROR,
                "control socket %s: the path is longer than the %zu bytes "
                "a Unix socket may have",
                path, sizeof sun.sun_path - 1);
        return ENAMETOOLONG;
    }
    memcpy(sun.sun_path, path, strlen(path));
    error = clear_path(path, &sun);
    if (error) {
        return error;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        PX_HLOG(PX_LOG_ERROR, "control socket: %s", strerror(error));
        return error;
    }
    /* The socket file is created with the umask's mode: 0600 from the
     * start, so that no other user ever gets a window to connect. */
    old = umask(0177);
    error = bind(fd, (struct sockaddr *)&sun, sizeof sun) ? errno : 0;
    umask(old);
    if (error) {
        PX_HLOG(PX_LOG_ERROR, "control socket %s: bind: %s", path,
                strerror(error));
        close(fd);
        return error;
    }
    if (lstat(path, &st) || !S_ISSOCK(st.st_mode) ||
        (st.st_mode & 07777) != 0600 || st.st_uid != geteuid()) {
        PX_HLOG(PX_LOG_ERROR,
                "control socket %s is not a socket of mode 0600 owned by "
                "uid %ld after bind: refusing to serve it",
                path, (long)geteuid());
        close(fd);
        return EPERM;
    }
    if (listen(fd, 64)) {
        error = errno;
        PX_HLOG(PX_LOG_ERROR, "control socket %s: listen: %s", path,
                strerror(error));
        close(fd);
        unlink(path);
        return error;
    }
    ctl->path = strdup(path);
    if (!ctl->path) {
        close(fd);
        unlink(path);
        return ENOMEM;
    }
    ctl->fd = fd;
    ctl->dev = st.st_dev;
    ctl->ino = st.st_ino;
    ev_io_init(&ctl->accept_w, accept_cb, fd, EV_READ);
    ctl->accept_w.data = ctl;
    ev_io_start(ctl->host->loop, &ctl->accept_w);
    ev_timer_init(&ctl->pause_w, pause_cb, PX_CTL_ACCEPT_PAUSE, 0);
    ctl->pause_w.data = ctl;
    PX_HLOG(PX_LOG_INFO, "control socket %s", path);
    return 0;
}

int
px_ctl_create(struct px_host *host, const char *path, struct px_ctl **out)
{
    struct px_ctl *ctl = calloc(1, sizeof *ctl);
    int error;

    if (!ctl) {
        return ENOMEM;
    }
    ctl->host = host;
    ctl->fd = -1;
    ctl->log_window = -1e300;
    px_list_init(&ctl->commands);
    px_list_init(&ctl->clients);
    error = px_ctl_builtins_register(ctl, host);
    if (!error && path) {
        error = ctl_listen(ctl, path);
    }
    if (error) {
        px_ctl_destroy(ctl);
        return error;
    }
    *out = ctl;
    return 0;
}

void
px_ctl_destroy(struct px_ctl *ctl)
{
    struct px_command *c, *cn;
    struct ctl_client *cl, *cln;

    if (!ctl) {
        return;
    }
    PX_LIST_FOR_EACH_SAFE (cl, cln, node, &ctl->clients) {
        client_free(cl);
    }
    if (ctl->fd >= 0) {
        struct stat st;

        ev_io_stop(ctl->host->loop, &ctl->accept_w);
        ev_timer_stop(ctl->host->loop, &ctl->pause_w);
        close(ctl->fd);
        /* Only the file we made: an operator may have put another
         * there, or another daemon taken the path over. */
        if (!lstat(ctl->path, &st) && st.st_dev == ctl->dev &&
            st.st_ino == ctl->ino) {
            unlink(ctl->path);
        }
    }
    PX_LIST_FOR_EACH_SAFE (c, cn, node, &ctl->commands) {
        command_free(c);
    }
    reload_clear(&ctl->last_reload);
    free(ctl->path);
    free(ctl);
}
