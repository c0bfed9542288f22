/*
 * The stats plugin's side of <plexus/topics/http.h>: every request its
 * HTTP server does not answer itself goes out on http.request, every
 * WebSocket a route took goes out on http.websocket, and GET /api/routes
 * lists the routes every plugin reports on an http.routes collect.  It
 * also keeps the console token (token.h) and the "console" command that
 * prints the console's URL with it.
 *
 * Ownership: the caller owns the struct stats_routes (stats_routes_create,
 * stats_routes_destroy); the token string it returns is the struct's.
 */
#ifndef STATS_ROUTES_H
#define STATS_ROUTES_H 1

#include <stddef.h>
#include <stdint.h>

struct px_plugin;
struct px_http_request;
struct stats_routes;

/* Declares the topics, subscribes to route reports, takes the previous
 * generation's token or makes one and writes it to the run directory.
 * 'url' is the server's base URL ("http://127.0.0.1:9330/"), copied. */
int stats_routes_create(struct px_plugin *p, const char *url,
                        struct stats_routes **out);
/* Hands the token to the next generation (in fini) and frees.  Accepts
 * NULL. */
void stats_routes_destroy(struct stats_routes *r, int handoff);

const char *stats_routes_token(const struct stats_routes *r);

/* The callbacks of struct stats_http_config; 'aux' is the struct
 * stats_routes. */
void stats_routes_route(void *aux, struct px_http_request *req);
void stats_routes_upgraded(void *aux, uint64_t tag, const char *path,
                           int authorized, int fd, const void *early,
                           size_t early_len);

#endif /* STATS_ROUTES_H */
