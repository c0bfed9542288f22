/*
 * HTTP routes on the controller's one HTTP listener, through the event
 * table.
 *
 * One plugin owns the listener (the stock `stats` plugin, on
 * 127.0.0.1:9330).  Every request it does not serve itself it publishes on
 * http.request; a plugin that offers routes subscribes, looks at the method
 * and path, and answers inside that publish by filling in the request's
 * response (px_http_reply and friends below), then halts the event.  When
 * px_publish returns the answer is complete.  Nothing is registered and no
 * callback is stored: a plugin that is unloaded has no subscription left,
 * so its routes answer 404 at once, and a rebuilt one answers with its new
 * code.  This is the same request-within-a-publish shape as stats.collect.
 *
 * WebSocket: a request that asks for an upgrade (its handshake already
 * checked by the listener, and its Origin, when it has one, the
 * listener's own) has 'websocket' set.  A route that takes it answers with
 * px_http_accept_websocket and a tag of its choosing; the listener sends
 * 101 and publishes http.websocket with the same tag and the connected,
 * non-blocking socket.  The subscriber whose tag it is takes the socket
 * (sets '*taken' and owns the descriptor from then on; see <plexus/ws.h>).
 * If none does, for instance because its plugin was unloaded between the
 * two events, the listener closes it.
 *
 * Route listing: the console's index and GET /api/routes come from
 * http.routes: the listener publishes a collect, and every route owner
 * answers inside it with one http.route report per route, like
 * stats.collect and stats.report.
 *
 * Ownership: everything the request points to is borrowed for the
 * callback.  A response body is malloc()ed by the route and freed by the
 * listener; 'content_type' and 'allow' must be string literals (or
 * otherwise outlive the plugin's generation).
 */
#ifndef PLEXUS_TOPICS_HTTP_H
#define PLEXUS_TOPICS_HTTP_H 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"

#define PX_TOPIC_HTTP_REQUEST   "http.request"
#define PX_TOPIC_HTTP_WEBSOCKET "http.websocket"
#define PX_TOPIC_HTTP_ROUTES    "http.routes"
#define PX_TOPIC_HTTP_ROUTE     "http.route"
#define PX_TOPIC_HTTP_VERSION   1

/* The largest request body the listener reads; larger ones get 413. */
#define PX_HTTP_MAX_BODY (64u * 1024)

struct px_http_response {
    uint32_t status;    /* 0: not answered (yet). */
    uint32_t ws_accept; /* Nonzero: take the WebSocket upgrade, 'ws_tag'. */
    uint64_t ws_tag;
    const char *content_type; /* A literal. */
    char *body;               /* malloc()ed; the listener frees it. */
    size_t body_len;
    const char *allow; /* For 405: "GET, POST"; a literal. */
    /* Non-NULL: sent as an attachment with this file name (copied by the
     * listener when it answers; must be a literal or live until
     * px_publish returns). */
    const char *attachment;
};

struct px_http_request {
    const char *method;  /* "GET", "HEAD", "POST"... */
    const char *path;    /* Decoded, without the query: "/api/plugins". */
    const uint8_t *body; /* May be NULL when 'body_len' is 0. */
    size_t body_len;
    /* The request carried the console token (Authorization: Bearer, or a
     * 'token' query argument).  State-changing routes refuse requests
     * without it (px_http_reply_status 401). */
    uint32_t authorized;
    /* The client asks for a WebSocket (a valid RFC 6455 handshake whose
     * Origin, if any, is the listener's own). */
    uint32_t websocket;
    /* A query argument or request header by name (headers: any case);
     * NULL when absent.  Borrowed for the callback. */
    const char *(*arg)(const struct px_http_request *r, const char *name);
    const char *(*header)(const struct px_http_request *r, const char *name);
    void *impl; /* The listener's. */
    struct px_http_response *response;
};

struct px_http_websocket {
    uint64_t tag;
    const char *path;
    int fd;               /* Non-blocking, connected, after the 101. */
    uint32_t authorized;  /* As in the request. */
    const uint8_t *early; /* Bytes the client sent after its headers. */
    size_t early_len;
    int *taken; /* Set to 1 to take 'fd' (then yours to close). */
};

struct px_http_routes_collect {
    uint64_t id; /* Copy it into every report of this collection. */
};

struct px_http_route {
    uint64_t collect_id;
    const char *method; /* "GET", "POST", "WS" (a WebSocket). */
    const char *path;   /* A '*' at its end makes it a prefix. */
    const char *help;   /* One line. */
    uint32_t auth;      /* Needs the token. */
    uint32_t reserved;
};

/* Answers 'r' with a copy of 'body' (may be NULL when 'len' is 0).
 * Returns 0 or ENOMEM (then the listener answers 500). */
static inline int
px_http_reply(const struct px_http_request *r, unsigned int status,
              const char *content_type, const void *body, size_t len)
{
    struct px_http_response *resp = r->response;
    char *copy = (char *)malloc(len ? len : 1);

    if (!copy) {
        return ENOMEM;
    }
    if (len) {
        memcpy(copy, body, len);
    }
    free(resp->body);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = copy;
    resp->body_len = len;
    return 0;
}

/* Answers 'r' with 'body', which the listener takes (malloc()ed). */
static inline void
px_http_reply_take(const struct px_http_request *r, unsigned int status,
                   const char *content_type, char *body, size_t len)
{
    struct px_http_response *resp = r->response;

    free(resp->body);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
    resp->body_len = len;
}

/* Answers 'r' with a JSON text (copied). */
static inline int
px_http_reply_json(const struct px_http_request *r, unsigned int status,
                   const char *json)
{
    return px_http_reply(r, status, "application/json", json, strlen(json));
}

/* Answers 'r' with a one-line JSON error: {"error": MESSAGE}.  'message'
 * must not need JSON escaping (no quotes, backslashes or controls). */
static inline int
px_http_reply_error(const struct px_http_request *r, unsigned int status,
                    const char *message)
{
    size_t n = strlen(message) + 16;
    char *body = (char *)malloc(n);
    int len;

    if (!body) {
        return ENOMEM;
    }
    len = snprintf(body, n, "{\"error\":\"%s\"}", message);
    px_http_reply_take(r, status, "application/json", body, (size_t)len);
    return 0;
}

/* Takes the WebSocket upgrade of 'r' (r->websocket must be set): the
 * socket comes on http.websocket with 'tag'. */
static inline void
px_http_accept_websocket(const struct px_http_request *r, uint64_t tag)
{
    r->response->status = 101;
    r->response->ws_accept = 1;
    r->response->ws_tag = tag;
}

/* Nonzero when the request's path is 'prefix' followed by nothing or by
 * '/' and more; '*rest' (may be NULL) then points past the prefix and
 * its slash. */
static inline int
px_http_path_under(const struct px_http_request *r, const char *prefix,
                   const char **rest)
{
    size_t n = strlen(prefix);

    if (strncmp(r->path, prefix, n) ||
        (r->path[n] != '\0' && r->path[n] != '/')) {
        return 0;
    }
    if (rest) {
        *rest = r->path + n + (r->path[n] == '/');
    }
    return 1;
}

/* Reports one route in answer to an http.routes collect. */
static inline int
px_http_route_publish(struct px_plugin *p, struct px_topic *topic,
                      uint64_t collect_id, const char *method,
                      const char *path, const char *help, int auth)
{
    const struct px_http_route route = {
        collect_id, method, path, help, (uint32_t)(auth != 0), 0};

    return px_publish(p, topic, &route, sizeof route);
}

#endif /* PLEXUS_TOPICS_HTTP_H */
