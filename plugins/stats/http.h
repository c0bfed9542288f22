/*
 * The stats plugin's HTTP server: libmicrohttpd in "external polling"
 * mode, driven by the host loop (its epoll descriptor watched with
 * px_io_start, its timeouts with a px timer), so the controller never has
 * a thread or a blocking call for a client.  It routes GET and HEAD of /,
 * /metrics and /stats.json to a render callback, answers everything else
 * itself, and counts requests by status code, connections, and
 * connections closed because their request headers did not arrive within
 * the deadline.
 *
 * Without a listening socket (listen_fd -1) the server takes the
 * connections it is given (stats_http_add_connection): the HTTPS relay's
 * (tls_relay.h), whose clients' origin is "https://" + Host.
 *
 * Ownership: the listening socket stays the caller's (the server works on
 * a duplicate), so the caller can hand it to its next generation; the
 * counters are the caller's and must outlive the server.
 */
#ifndef STATS_HTTP_H
#define STATS_HTTP_H 1

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

struct px_plugin;
struct stats_http;

/* Distinct status codes counted; codes beyond are counted as 'other'. */
#define STATS_HTTP_MAX_CODES 16

/* Handed across a reload in stats_handoff.c's serialization, which names
 * every field: a field added here must be added there too. */
struct stats_http_counters {
    uint64_t connections;
    uint64_t timeouts;
    uint64_t other_codes;
    uint32_t n_codes;
    struct {
        uint32_t code;
        uint64_t count;
    } requests[STATS_HTTP_MAX_CODES];
};

enum stats_http_route {
    STATS_ROUTE_METRICS,
    STATS_ROUTE_JSON,
};

/* Renders the body of 'route'.  Returns 0 and a malloc()ed body (the
 * server frees it), or an errno value for a 500 answer. */
typedef int (*stats_http_render_fn)(void *aux, enum stats_http_route route,
                                    char **body, size_t *len);

struct px_http_request;

/* Answers a request the server does not serve itself (anything but
 * /metrics and /stats.json): fills in req->response, or leaves its status
 * 0 for a 404 (the server's own index for "/"). */
typedef void (*stats_http_route_fn)(void *aux, struct px_http_request *req);

/* Hands over an upgraded WebSocket: 'fd' is the caller's to close, 'early'
 * is borrowed for the call. */
typedef void (*stats_http_upgraded_fn)(void *aux, uint64_t tag,
                                       const char *path, int authorized,
                                       int fd, const void *early,
                                       size_t early_len);

struct stats_http_config {
    int listen_fd;                /* Listening, non-blocking; -1 for none:
                                   * connections are added. */
    const char *scheme;           /* Of the server's origin, as browsers
                                   * send it in Origin: "http" (NULL) or
                                   * "https".  Static. */
    unsigned int max_connections; /* Beyond this, clients wait in the
                                   * backlog. */
    unsigned int idle_timeout;    /* Seconds without traffic. */
    double request_timeout;       /* Seconds for a request's headers. */
    size_t max_header;            /* Per-connection memory bound. */
    /* The console token (hex); a request that carries it is
     * 'authorized'.  Borrowed: it must outlive the server. */
    const char *token;
    stats_http_route_fn route;       /* May be NULL: 404 for the rest. */
    stats_http_upgraded_fn upgraded; /* Needed with 'route'. */
    void *aux_routes;                /* Their argument. */
};

int stats_http_start(struct px_plugin *p, const struct stats_http_config *,
                     struct stats_http_counters *, stats_http_render_fn,
                     void *aux, struct stats_http **out);
/* Closes every connection and releases the server; the listening socket
 * stays open.  Accepts NULL. */
void stats_http_stop(struct stats_http *);

/* Number of open connections. */
size_t stats_http_connections(const struct stats_http *);

/* Serves the connected socket 'fd' (the server's from now on: closed also
 * on failure), whose client is at 'addr'.  Returns 0, or an errno when
 * libmicrohttpd refused it. */
int stats_http_add_connection(struct stats_http *, int fd,
                              const struct sockaddr *addr, socklen_t addr_len);

#endif /* STATS_HTTP_H */
