/*
 * The stats plugin's HTTP server (see http.h): libmicrohttpd without a
 * thread of its own.
 *
 * MHD runs in epoll mode with no internal polling thread.  Its epoll
 * descriptor is readable whenever a socket of MHD's has something to do,
 * so the host loop watches that one descriptor and calls MHD_run() when
 * it fires; after every MHD_run() a one-shot timer is re-armed from
 * MHD_get_timeout(), which is how MHD's own timeouts (and work it left
 * for the next pass) get their turn.
 *
 * MHD's inactivity timeout restarts with every byte, so a client sending
 * one header byte every few seconds would hold a connection for ever.
 * Each connection is therefore tracked from accept (or from the end of
 * its previous request) until the access handler sees its headers, and a
 * 1 s timer shuts down (never closes: the descriptor is MHD's) those past
 * the deadline; MHD then sees the end of the stream and closes them.
 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "plexus/plugin.h"

/* A connection, from accept to close (MHD's socket context). */
struct conn {
    struct conn *prev, *next;
    int fd;        /* MHD's. */
    double start;  /* When the current request's headers began. */
    int in_header; /* The access handler has not seen this request yet. */
    int shut;      /* Shut down by the deadline. */
};

struct stats_http {
    struct px_plugin *p;
    struct MHD_Daemon *mhd;
    struct px_io *io;           /* MHD's epoll descriptor. */
    struct px_timer *run_timer; /* One-shot, from MHD_get_timeout(). */
    struct px_timer *deadline;  /* Every second. */
    struct stats_http_counters *counters;
    stats_http_render_fn render;
    void *aux;
    double request_timeout;
    size_t max_connections;
    struct conn *conns;
    size_t n_conns;
    struct px_ratelimit rl;
};

static const char INDEX[] =
    "Plexus statistics\n"
    "\n"
    "/metrics     Prometheus text format 0.0.4\n"
    "/stats.json  the same figures as JSON, with the reload history\n";

static void run(struct stats_http *);

static void
count_code(struct stats_http *h, unsigned int code)
{
    struct stats_http_counters *k = h->counters;
    uint32_t i;

    for (i = 0; i < k->n_codes; i++) {
        if (k->requests[i].code == code) {
            k->requests[i].count++;
            return;
        }
    }
    if (k->n_codes < STATS_HTTP_MAX_CODES) {
        k->requests[k->n_codes].code = code;
        k->requests[k->n_codes].count = 1;
        k->n_codes++;
    } else {
        k->other_codes++;
    }
}

/* MHD answers some requests itself (headers too large, bad version...)
 * without the access handler, and 0.9.75 offers no hook that sees the
 * status code, except the line it logs; that line counts the code. */
#define MHD_ERROR_REPLY "Error processing request (HTTP response code is %u"

static void
on_mhd_log(void *h_, const char *fmt, va_list args)
{
    struct stats_http *h = h_;
    char msg[512];
    size_t n;

    if (!strncmp(fmt, MHD_ERROR_REPLY, strlen(MHD_ERROR_REPLY))) {
        va_list copy;
        unsigned int code;

        va_copy(copy, args);
        code = va_arg(copy, unsigned int);
        va_end(copy);
        count_code(h, code);
        px_log_rl(h->p, &h->rl, PX_LOG_DEBUG,
                  "libmicrohttpd answered a request with %u", code);
        return;
    }
    vsnprintf(msg, sizeof msg, fmt, args);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
        msg[--n] = '\0';
    }
    /* Mostly about what clients did (closed early, sent garbage). */
    px_log_rl(h->p, &h->rl, PX_LOG_INFO, "libmicrohttpd: %s", msg);
}

static struct conn *
conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

static void
on_connection(void *h_, struct MHD_Connection *mc, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    struct stats_http *h = h_;
    struct conn *c = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);

        h->counters->connections++;
        c = calloc(1, sizeof *c);
        if (!c || !ci) {
            /* Untracked, it would escape the header deadline: refuse. */
            px_log_rl(h->p, &h->rl, PX_LOG_WARN,
                      "out of memory: dropping a connection");
            if (ci) {
                shutdown(ci->connect_fd, SHUT_RDWR);
            }
            free(c);
            return;
        }
        c->fd = ci->connect_fd;
        c->start = px_now(h->p);
        c->in_header = 1;
        c->next = h->conns;
        if (h->conns) {
            h->conns->prev = c;
        }
        h->conns = c;
        h->n_conns++;
        *socket_context = c;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && c) {
        if (c->prev) {
            c->prev->next = c->next;
        } else {
            h->conns = c->next;
        }
        if (c->next) {
            c->next->prev = c->prev;
        }
        h->n_conns--;
        free(c);
        *socket_context = NULL;
    }
}

static void
on_completed(void *h_, struct MHD_Connection *mc, void **req_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct stats_http *h = h_;
    struct conn *c = conn_of(mc);

    (void)toe;
    *req_cls = NULL;
    if (c) {
        /* The next request on this connection gets a deadline of its
         * own. */
        c->start = px_now(h->p);
        c->in_header = 1;
    }
}

static enum MHD_Result
respond(struct stats_http *h, struct MHD_Connection *mc, unsigned int code,
        const char *type, void *body, size_t len,
        enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    enum MHD_Result ret;

    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE) {
            free(body);
        }
        return MHD_NO;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) !=
            MHD_YES ||
        (code == MHD_HTTP_METHOD_NOT_ALLOWED &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") !=
             MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(mc, code, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES) {
        count_code(h, code);
    }
    return ret;
}

/* Returns nonzero if the request announces a body. */
static int
has_body(struct MHD_Connection *mc)
{
    const char *len = MHD_lookup_connection_value(
        mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

    return (len && strcmp(len, "0")) ||
           MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                       MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

static enum MHD_Result
on_request(void *h_, struct MHD_Connection *mc, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **req_cls)
{
    static char not_found[] = "not found\n";
    static char not_allowed[] = "method not allowed\n";
    static char failed[] = "cannot render the statistics\n";
    struct stats_http *h = h_;
    struct conn *c = conn_of(mc);
    enum stats_http_route route = STATS_ROUTE_METRICS;
    const char *type = TEXT_PLAIN;
    int is_index = 0;
    char *body;
    size_t len;
    int error;

    (void)version;
    (void)upload_data;
    if (c) {
        c->in_header = 0;
    }
    if (!*req_cls) {
        *req_cls = h;
        if (!has_body(mc)) {
            /* Answer on the next call, once MHD has the whole request:
             * a response queued earlier makes MHD close the connection,
             * and scrapers reuse theirs. */
            return MHD_YES;
        }
        /* A body (only ever a mistake here) is not read: answering now
         * makes MHD discard it and close the connection, so an upload
         * cannot hold the connection. */
    } else if (*upload_data_size) {
        *upload_data_size = 0; /* Not reached: see above. */
        return MHD_YES;
    }

    if (!strcmp(url, "/metrics")) {
        route = STATS_ROUTE_METRICS;
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (!strcmp(url, "/stats.json")) {
        route = STATS_ROUTE_JSON;
        type = "application/json";
    } else if (!strcmp(url, "/")) {
        is_index = 1;
    } else {
        return respond(h, mc, MHD_HTTP_NOT_FOUND, TEXT_PLAIN, not_found,
                       sizeof not_found - 1, MHD_RESPMEM_PERSISTENT);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) &&
        strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        return respond(h, mc, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT_PLAIN,
                       not_allowed, sizeof not_allowed - 1,
                       MHD_RESPMEM_PERSISTENT);
    }
    if (is_index) {
        return respond(h, mc, MHD_HTTP_OK, type, (void *)INDEX,
                       sizeof INDEX - 1, MHD_RESPMEM_PERSISTENT);
    }
    error = h->render(h->aux, route, &body, &len);
    if (error) {
        px_log_rl(h->p, &h->rl, PX_LOG_WARN, "cannot render %s: %s", url,
                  strerror(error));
        return respond(h, mc, MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT_PLAIN,
                       failed, sizeof failed - 1, MHD_RESPMEM_PERSISTENT);
    }
    return respond(h, mc, MHD_HTTP_OK, type, body, len, MHD_RESPMEM_MUST_FREE);
}

static void
on_run_timer(struct px_plugin *p, struct px_timer *t, void *h_)
{
    struct stats_http *h = h_;

    (void)p;
    (void)t;
    h->run_timer = NULL; /* A one-shot timer is released once it fired. */
    run(h);
}

static size_t
connections(const struct stats_http *h)
{
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

    return di ? di->num_connections : 0;
}

/* Lets MHD do what is due, then schedules its next timeout. */
static void
run(struct stats_http *h)
{
    MHD_UNSIGNED_LONG_LONG ms;
    size_t before = connections(h);
    int error;

    MHD_run(h->mhd);
    if (before >= h->max_connections && connections(h) < before) {
        /* At the limit MHD takes the listening socket out of its epoll
         * set and puts it back only at the start of a run: without this
         * second run, clients waiting in the backlog would wait for
         * whatever runs MHD next. */
        MHD_run(h->mhd);
    }
    if (h->run_timer) {
        px_timer_stop(h->p, h->run_timer);
        h->run_timer = NULL;
    }
    if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
        /* 0: MHD has work left and wants the next loop pass. */
        error = px_timer_start(h->p, (double)ms / 1000.0, 0, on_run_timer, h,
                               &h->run_timer);
        if (error) {
            px_log_rl(h->p, &h->rl, PX_LOG_ERROR, "cannot start a timer: %s",
                      strerror(error));
        }
    }
}

static void
on_io(struct px_plugin *p, struct px_io *io, int fd, int revents, void *h_)
{
    (void)p;
    (void)io;
    (void)fd;
    (void)revents;
    run(h_);
}

static void
on_deadline(struct px_plugin *p, struct px_timer *t, void *h_)
{
    struct stats_http *h = h_;
    double now = px_now(p);
    struct conn *c;
    int shut = 0;

    (void)t;
    for (c = h->conns; c; c = c->next) {
        if (c->in_header && !c->shut && now - c->start >= h->request_timeout) {
            shutdown(c->fd, SHUT_RDWR);
            c->shut = 1;
            h->counters->timeouts++;
            shut++;
        }
    }
    if (shut) {
        px_debug(p, "closed %d connection%s past the %.0f s header deadline",
                 shut, shut == 1 ? "" : "s", h->request_timeout);
    }
    /* Also a safety net: whatever MHD left for a later run gets it within
     * a second even if no descriptor or timeout says so. */
    run(h);
}

/* Closes 'fd' unless MHD did already: it documents no rule for a listen
 * socket it was given when MHD_start_daemon fails. */
static void
close_if_same(int fd, const struct stat *orig)
{
    struct stat st;

    if (!fstat(fd, &st) && st.st_dev == orig->st_dev &&
        st.st_ino == orig->st_ino) {
        close(fd);
    }
}

int
stats_http_start(struct px_plugin *p, const struct stats_http_config *cfg,
                 struct stats_http_counters *counters,
                 stats_http_render_fn render, void *aux,
                 struct stats_http **out)
{
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct stats_http *h = calloc(1, sizeof *h);
    const union MHD_DaemonInfo *di;
    struct stat st;
    int fd, error;

    if (!h) {
        return ENOMEM;
    }
    h->p = p;
    h->counters = counters;
    h->render = render;
    h->aux = aux;
    h->request_timeout = cfg->request_timeout;
    h->max_connections = cfg->max_connections;
    h->rl = rl;

    /* MHD closes the socket it is given when it stops; it gets a
     * duplicate so that ours survives for the next generation. */
    if (fstat(cfg->listen_fd, &st) ||
        (fd = fcntl(cfg->listen_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        error = errno;
        free(h);
        return error;
    }
    h->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, (MHD_LogCallback)on_mhd_log, h,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header,
        MHD_OPTION_NOTIFY_CONNECTION,
        (MHD_NotifyConnectionCallback)on_connection, h,
        MHD_OPTION_NOTIFY_COMPLETED,
        (MHD_RequestCompletedCallback)on_completed, h, MHD_OPTION_END);
    if (!h->mhd) {
        px_error(p, "cannot start libmicrohttpd");
        close_if_same(fd, &st);
        free(h);
        return EIO;
    }
    di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    if (!di) {
        px_error(p, "libmicrohttpd has no epoll descriptor");
        error = EIO;
        goto fail;
    }
    if ((error = px_io_start(p, di->epoll_fd, PX_IO_READ, on_io, h, &h->io)) ||
        (error = px_timer_start(p, 1.0, 1.0, on_deadline, h, &h->deadline))) {
        goto fail;
    }
    run(h);
    *out = h;
    return 0;

fail:
    stats_http_stop(h);
    return error;
}

void
stats_http_stop(struct stats_http *h)
{
    if (!h) {
        return;
    }
    /* The watcher goes first: MHD closes the epoll descriptor. */
    px_io_stop(h->p, h->io);
    px_timer_stop(h->p, h->run_timer);
    px_timer_stop(h->p, h->deadline);
    if (h->mhd) {
        /* Closes every connection, each through on_connection(). */
        MHD_stop_daemon(h->mhd);
    }
    free(h);
}

size_t
stats_http_connections(const struct stats_http *h)
{
    return h->n_conns;
}
