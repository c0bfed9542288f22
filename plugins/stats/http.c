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
 *
 * Over HTTPS (tls_relay.c) MHD has no listening socket: the relay accepts,
 * runs the TLS handshake and hands MHD one end of a socketpair per client
 * (stats_http_add_connection).  Everything here then works on that end as
 * it would on a TCP socket, the WebSocket takeover included.
 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include <openssl/crypto.h>

#include "plexus/plugin.h"
#include "plexus/topics/http.h"
#include "plexus/ws.h"

/* A connection, from accept to close (MHD's socket context). */
struct conn {
    struct conn *prev, *next;
    int fd;        /* MHD's. */
    double start;  /* When the current request's headers began. */
    int in_header; /* The access handler has not seen this request yet. */
    int shut;      /* Shut down by the deadline. */
};

/* One request, from its first header to its answer (MHD's request
 * context). */
struct request {
    struct stats_http *h;
    char *body; /* What arrived of it, at most PX_HTTP_MAX_BODY. */
    size_t body_len;
    int too_big;
    /* After a route took a WebSocket upgrade. */
    uint64_t ws_tag;
    char *ws_path;
    int authorized;
};

struct stats_http {
    struct px_plugin *p;
    struct MHD_Daemon *mhd;
    struct px_io *io;           /* MHD's epoll descriptor. */
    struct px_timer *run_timer; /* One-shot, from MHD_get_timeout(). */
    struct px_timer *deadline;  /* Every second. */
    struct stats_http_counters *counters;
    stats_http_render_fn render;
    stats_http_route_fn route;
    stats_http_upgraded_fn upgraded;
    const char *token;
    const char *scheme; /* Of this server's origin: "http", "https". */
    int added;          /* No listening socket: connections are added. */
    void *aux, *aux_routes;
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
    if (h->added && (!strncmp(msg, "Setting TCP_", 12) ||
                     !strncmp(msg, "Failed to push the data", 23))) {
        /* A connection added by the HTTPS relay is a Unix socket, which
         * has neither TCP_NODELAY nor TCP_CORK (and sends at once):
         * libmicrohttpd tries them on every connection it did not
         * accept. */
        px_debug(h->p, "libmicrohttpd: %s", msg);
        return;
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
    struct request *rq = *req_cls;

    (void)toe;
    if (rq) {
        free(rq->body);
        free(rq->ws_path);
        free(rq);
    }
    *req_cls = NULL;
    if (c) {
        /* The next request on this connection gets a deadline of its
         * own. */
        c->start = px_now(h->p);
        c->in_header = 1;
    }
}

/* Headers on every answer: the console's pages may load scripts, styles
 * and images only from this server, open WebSockets only to it, and be
 * framed by no one. */
#define CSP                                                                   \
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "            \
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "           \
    "form-action 'self'"

static int
add_common_headers(struct MHD_Response *r)
{
    return MHD_add_response_header(r, "Content-Security-Policy", CSP) ==
               MHD_YES &&
           MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") ==
               MHD_YES &&
           MHD_add_response_header(r, "Referrer-Policy", "no-referrer") ==
               MHD_YES &&
           MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                                   "no-store") == MHD_YES;
}

static enum MHD_Result
respond_ex(struct stats_http *h, struct MHD_Connection *mc, unsigned int code,
           const char *type, void *body, size_t len,
           enum MHD_ResponseMemoryMode mode, const char *allow,
           const char *attachment)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    enum MHD_Result ret;
    char disp[160];

    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE) {
            free(body);
        }
        return MHD_NO;
    }
    if (attachment) {
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", attachment);
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) !=
            MHD_YES ||
        !add_common_headers(r) ||
        (allow && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow) !=
                      MHD_YES) ||
        (attachment &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
                                 disp) != MHD_YES) ||
        (code == MHD_HTTP_UPGRADE_REQUIRED &&
         MHD_add_response_header(r, "Sec-WebSocket-Version", "13") !=
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

static enum MHD_Result
respond(struct stats_http *h, struct MHD_Connection *mc, unsigned int code,
        const char *type, void *body, size_t len,
        enum MHD_ResponseMemoryMode mode)
{
    return respond_ex(h, mc, code, type, body, len, mode,
                      code == MHD_HTTP_METHOD_NOT_ALLOWED ? "GET, HEAD" : NULL,
                      NULL);
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

/* Answers with a fixed text. */
#define RESPOND_TEXT(H, MC, CODE, TEXT)                                       \
    respond((H), (MC), (CODE), TEXT_PLAIN, (void *)(TEXT), sizeof(TEXT) - 1,  \
            MHD_RESPMEM_PERSISTENT)

/* The request as route callbacks see it: the public part first. */
struct route_request {
    struct px_http_request pub;
    struct MHD_Connection *mc;
};

static const char *
req_arg(const struct px_http_request *r, const char *name)
{
    const struct route_request *rr = (const struct route_request *)r;

    return MHD_lookup_connection_value(rr->mc, MHD_GET_ARGUMENT_KIND, name);
}

static const char *
req_header(const struct px_http_request *r, const char *name)
{
    const struct route_request *rr = (const struct route_request *)r;

    return MHD_lookup_connection_value(rr->mc, MHD_HEADER_KIND, name);
}

/* Nonzero if 'given' is the token, compared in constant time. */
static int
token_matches(const char *token, const char *given)
{
    size_t n = strlen(token);

    return given && *token && strlen(given) == n &&
           !CRYPTO_memcmp(token, given, n);
}

/* Nonzero if the request carries the console token: as a Bearer
 * credential, or (for WebSockets and links, which cannot set headers) as
 * the 'token' query argument. */
static int
authorized(struct stats_http *h, struct MHD_Connection *mc)
{
    const char *auth = MHD_lookup_connection_value(
        mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

    if (!h->token || !*h->token) {
        return 0;
    }
    if (auth && !strncasecmp(auth, "Bearer ", 7) &&
        token_matches(h->token, auth + 7)) {
        return 1;
    }
    return token_matches(h->token, MHD_lookup_connection_value(
                                       mc, MHD_GET_ARGUMENT_KIND, "token"));
}

/* Nonzero if the request has no Origin (not a browser's cross-site
 * request) or the Origin is this server as the client named it in Host,
 * with this server's scheme: a page of another site (or of the same host
 * and port over the other scheme) may neither change state here nor open
 * a WebSocket. */
static int
same_origin(const struct stats_http *h, struct MHD_Connection *mc)
{
    const char *origin =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Origin");
    const char *host =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    size_t n = strlen(h->scheme);

    if (!origin) {
        return 1;
    }
    return host && !strncasecmp(origin, h->scheme, n) &&
           !strncmp(origin + n, "://", 3) && !strcasecmp(origin + n + 3, host);
}

static void
on_upgraded(void *cls, struct MHD_Connection *mc, void *req_cls,
            const char *extra_in, size_t extra_in_size, MHD_socket sock,
            struct MHD_UpgradeResponseHandle *urh)
{
    struct request *rq = req_cls;
    struct stats_http *h = cls;
    char *early = NULL;
    int fd;

    (void)mc;
    /* The socket leaves MHD's hands: a duplicate is ours, and MHD closes
     * its own descriptor (it never shuts the socket down), so the
     * WebSocket no longer counts against MHD's connection limit or lives
     * and dies with the daemon. */
    fd = fcntl(sock, F_DUPFD_CLOEXEC, 0);
    if (extra_in_size && fd >= 0) {
        early = malloc(extra_in_size);
        if (early) {
            memcpy(early, extra_in, extra_in_size);
        } else {
            close(fd);
            fd = -1;
        }
    }
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    if (fd < 0) {
        px_log_rl(h->p, &h->rl, PX_LOG_WARN,
                  "cannot take over a WebSocket: %s", strerror(errno));
        free(early);
        return;
    }
    h->upgraded(h->aux_routes, rq->ws_tag, rq->ws_path ? rq->ws_path : "",
                rq->authorized, fd, early, early ? extra_in_size : 0);
    free(early);
}

/* Answers a route's WebSocket acceptance with 101. */
static enum MHD_Result
respond_upgrade(struct stats_http *h, struct MHD_Connection *mc,
                struct request *rq, const char *path, uint64_t tag)
{
    const char *key =
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    struct MHD_Response *r;
    enum MHD_Result ret;
    char accept[29];

    if (px_ws_accept_key(key, accept) || !(rq->ws_path = strdup(path))) {
        return RESPOND_TEXT(h, mc, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "cannot accept the WebSocket\n");
    }
    rq->ws_tag = tag;
    r = MHD_create_response_for_upgrade(on_upgraded, h);
    if (!r) {
        return MHD_NO;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket") !=
            MHD_YES ||
        MHD_add_response_header(r, "Sec-WebSocket-Accept", accept) !=
            MHD_YES ||
        !add_common_headers(r)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(mc, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    if (ret == MHD_YES) {
        count_code(h, MHD_HTTP_SWITCHING_PROTOCOLS);
    }
    return ret;
}

/* Checks a WebSocket handshake.  Returns 0 if it is one (valid), -1 if
 * the request asks for no upgrade, or the status to refuse it with. */
static int
websocket_check(const struct stats_http *h, struct MHD_Connection *mc,
                const char *method)
{
    const char *upgrade = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_UPGRADE);
    int error;

    if (!upgrade) {
        return -1;
    }
    error = px_ws_handshake_check(
        method, upgrade,
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_CONNECTION),
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                    "Sec-WebSocket-Version"),
        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Sec-WebSocket-Key"));
    if (error == EPROTONOSUPPORT) {
        return MHD_HTTP_UPGRADE_REQUIRED;
    }
    if (error) {
        return MHD_HTTP_BAD_REQUEST;
    }
    return same_origin(h, mc) ? 0 : MHD_HTTP_FORBIDDEN;
}

/* Hands a request to the route callback and sends its answer. */
static enum MHD_Result
route(struct stats_http *h, struct MHD_Connection *mc, struct request *rq,
      const char *url, const char *method)
{
    static char failed[] = "the route failed to answer\n";
    struct px_http_response resp = {0};
    struct route_request rr = {.mc = mc};
    int ws = websocket_check(h, mc, method);
    enum MHD_Result ret;

    if (ws == MHD_HTTP_FORBIDDEN) {
        return RESPOND_TEXT(h, mc, MHD_HTTP_FORBIDDEN,
                            "cross-origin WebSocket refused\n");
    }
    if (ws == MHD_HTTP_UPGRADE_REQUIRED) {
        /* RFC 6455 4.4: name the version this server speaks. */
        return respond_ex(h, mc, MHD_HTTP_UPGRADE_REQUIRED, TEXT_PLAIN,
                          (void *)"WebSocket version 13 only\n", 26,
                          MHD_RESPMEM_PERSISTENT, NULL, NULL);
    }
    if (ws > 0) {
        return RESPOND_TEXT(h, mc, (unsigned int)ws,
                            "bad WebSocket handshake\n");
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) && !same_origin(h, mc)) {
        return RESPOND_TEXT(h, mc, MHD_HTTP_FORBIDDEN,
                            "cross-origin request refused\n");
    }
    rq->authorized = authorized(h, mc);
    rr.pub.method = method;
    rr.pub.path = url;
    rr.pub.body = (const uint8_t *)rq->body;
    rr.pub.body_len = rq->body_len;
    rr.pub.authorized = (uint32_t)rq->authorized;
    rr.pub.websocket = ws == 0;
    rr.pub.arg = req_arg;
    rr.pub.header = req_header;
    rr.pub.response = &resp;
    if (h->route) {
        h->route(h->aux_routes, &rr.pub);
    }
    if (resp.ws_accept) {
        free(resp.body);
        if (ws != 0) {
            return RESPOND_TEXT(h, mc, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                "the route took a WebSocket not asked for\n");
        }
        return respond_upgrade(h, mc, rq, url, resp.ws_tag);
    }
    if (!resp.status && !strcmp(url, "/")) {
        free(resp.body);
        return respond(h, mc, MHD_HTTP_OK, TEXT_PLAIN, (void *)INDEX,
                       sizeof INDEX - 1, MHD_RESPMEM_PERSISTENT);
    }
    if (!resp.status) {
        free(resp.body);
        return RESPOND_TEXT(h, mc, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    if (resp.status < 200 || resp.status > 599 || !resp.content_type ||
        (!resp.body && resp.body_len)) {
        px_log_rl(h->p, &h->rl, PX_LOG_WARN,
                  "%s %s: a route answered %u without a body or type", method,
                  url, resp.status);
        free(resp.body);
        return respond(h, mc, MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT_PLAIN,
                       failed, sizeof failed - 1, MHD_RESPMEM_PERSISTENT);
    }
    if (!resp.body) {
        resp.body = malloc(1);
        if (!resp.body) {
            return MHD_NO;
        }
    }
    ret = respond_ex(h, mc, resp.status, resp.content_type, resp.body,
                     resp.body_len, MHD_RESPMEM_MUST_FREE, resp.allow,
                     resp.attachment);
    return ret;
}

static enum MHD_Result
on_request(void *h_, struct MHD_Connection *mc, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **req_cls)
{
    static char not_allowed[] = "method not allowed\n";
    static char failed[] = "cannot render the statistics\n";
    struct stats_http *h = h_;
    struct conn *c = conn_of(mc);
    struct request *rq = *req_cls;
    enum stats_http_route which = STATS_ROUTE_METRICS;
    const char *type = TEXT_PLAIN;
    char *body;
    size_t len;
    int error;

    (void)version;
    if (c) {
        c->in_header = 0;
    }
    if (!rq) {
        const char *clen = MHD_lookup_connection_value(
            mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

        rq = calloc(1, sizeof *rq);
        if (!rq) {
            return MHD_NO;
        }
        rq->h = h;
        *req_cls = rq;
        if (clen && strtoull(clen, NULL, 10) > PX_HTTP_MAX_BODY) {
            /* Answered before the body is read: MHD then discards it and
             * closes the connection, so an upload cannot hold it. */
            return RESPOND_TEXT(h, mc, MHD_HTTP_CONTENT_TOO_LARGE,
                                "request body too large\n");
        }
        /* Answer on a later call, once MHD has the whole request: a
         * response queued earlier makes MHD close the connection, and
         * scrapers reuse theirs. */
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;

        if (rq->body_len + n > PX_HTTP_MAX_BODY) {
            rq->too_big = 1;
        } else {
            char *grown = realloc(rq->body, rq->body_len + n + 1);

            if (!grown) {
                return MHD_NO;
            }
            memcpy(grown + rq->body_len, upload_data, n);
            rq->body = grown;
            rq->body_len += n;
            rq->body[rq->body_len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->too_big) {
        return RESPOND_TEXT(h, mc, MHD_HTTP_CONTENT_TOO_LARGE,
                            "request body too large\n");
    }

    if (!strcmp(url, "/metrics")) {
        which = STATS_ROUTE_METRICS;
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (!strcmp(url, "/stats.json")) {
        which = STATS_ROUTE_JSON;
        type = "application/json";
    } else {
        return route(h, mc, rq, url, method);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) &&
        strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        return respond(h, mc, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT_PLAIN,
                       not_allowed, sizeof not_allowed - 1,
                       MHD_RESPMEM_PERSISTENT);
    }
    error = h->render(h->aux, which, &body, &len);
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
    struct MHD_OptionItem listen_opt[] = {
        {MHD_OPTION_LISTEN_SOCKET, -1, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE;
    unsigned int limit = cfg->max_connections;
    const union MHD_DaemonInfo *di;
    struct stat st;
    int fd = -1, error;

    if (!h) {
        return ENOMEM;
    }
    h->p = p;
    h->counters = counters;
    h->render = render;
    h->route = cfg->route;
    h->upgraded = cfg->upgraded;
    h->token = cfg->token;
    h->scheme = cfg->scheme ? cfg->scheme : "http";
    h->added = cfg->listen_fd < 0;
    h->aux = aux;
    h->aux_routes = cfg->aux_routes;
    h->request_timeout = cfg->request_timeout;
    h->max_connections = cfg->max_connections;
    h->rl = rl;

    if (cfg->listen_fd < 0) {
        /* Connections arrive through stats_http_add_connection.  The
         * caller keeps to max_connections; the rest of the limit is for
         * connections it has closed and MHD has not yet seen close. */
        flags |= MHD_USE_NO_LISTEN_SOCKET;
        listen_opt[0].option = MHD_OPTION_END;
        limit = cfg->max_connections * 2;
    } else if (fstat(cfg->listen_fd, &st) ||
               (fd = fcntl(cfg->listen_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        /* MHD closes the socket it is given when it stops; it gets a
         * duplicate so that ours survives for the next generation. */
        error = errno;
        free(h);
        return error;
    } else {
        listen_opt[0].value = fd;
    }
    h->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
        (MHD_LogCallback)on_mhd_log, h, MHD_OPTION_ARRAY, listen_opt,
        MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->idle_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header,
        MHD_OPTION_NOTIFY_CONNECTION,
        (MHD_NotifyConnectionCallback)on_connection, h,
        MHD_OPTION_NOTIFY_COMPLETED,
        (MHD_RequestCompletedCallback)on_completed, h, MHD_OPTION_END);
    if (!h->mhd) {
        px_error(p, "cannot start libmicrohttpd");
        if (fd >= 0) {
            close_if_same(fd, &st);
        }
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

int
stats_http_add_connection(struct stats_http *h, int fd,
                          const struct sockaddr *addr, socklen_t addr_len)
{
    int error = 0;

    /* MHD closes 'fd' also when it refuses it. */
    errno = 0;
    if (MHD_add_connection(h->mhd, fd, addr, addr_len) != MHD_YES) {
        error = errno ? errno : EIO;
    }
    /* The connection gets its first turn now, not at the next event. */
    run(h);
    return error;
}
