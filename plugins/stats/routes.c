/*
 * HTTP routes through the event table, and the console token (routes.h).
 */
#include "routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "plexus/plugin.h"
#include "plexus/topics/http.h"
#include "token.h"

#define TOKEN_BLOB         "console_token"
#define TOKEN_BLOB_VERSION 1

/* Routes kept per listing; more are dropped (and said in the answer). */
#define MAX_ROUTES 1024

struct stats_routes {
    struct px_plugin *p;
    struct px_topic *t_request;
    struct px_topic *t_websocket;
    struct px_topic *t_routes;
    char token[STATS_TOKEN_SIZE];
    char *url;
    char token_path[4096];

    /* The listing being filled while http.routes is published. */
    json_t *listing;
    uint64_t listing_id;
    uint64_t next_id;
    uint64_t routes_dropped;
    struct px_ratelimit rl;
};

/* The routes the stats plugin serves itself. */
static const struct {
    const char *path, *help;
} own_routes[] = {
    {"/metrics", "every counter, Prometheus text format 0.0.4"},
    {"/stats.json", "the same figures as JSON, with the reload history"},
    {"/api/routes", "every HTTP route the plugins offer"},
};

static int
on_route(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_http_route *r = ev->payload;
    struct stats_routes *sr = arg;

    (void)p;
    if (!sr->listing || ev->len < sizeof *r ||
        r->collect_id != sr->listing_id) {
        return PX_EVENT_CONTINUE;
    }
    if (json_array_size(sr->listing) >= MAX_ROUTES || !r->method || !r->path) {
        sr->routes_dropped++;
        return PX_EVENT_CONTINUE;
    }
    json_array_append_new(
        sr->listing, json_pack("{s:s,s:s,s:s,s:s,s:b}", "method", r->method,
                               "path", r->path, "help", r->help ? r->help : "",
                               "owner", ev->publisher, "auth", r->auth != 0));
    return PX_EVENT_CONTINUE;
}

static void
answer_routes(struct stats_routes *sr, struct px_http_request *req)
{
    struct px_http_routes_collect collect;
    json_t *listing = json_array(), *doc;
    char *text;
    size_t i;

    if (!listing) {
        return;
    }
    for (i = 0; i < sizeof own_routes / sizeof own_routes[0]; i++) {
        json_array_append_new(listing,
                              json_pack("{s:s,s:s,s:s,s:s,s:b}", "method",
                                        "GET", "path", own_routes[i].path,
                                        "help", own_routes[i].help, "owner",
                                        px_instance_name(sr->p), "auth", 0));
    }
    sr->listing = listing;
    sr->listing_id = collect.id = ++sr->next_id;
    px_publish(sr->p, sr->t_routes, &collect, sizeof collect);
    sr->listing = NULL;
    doc = json_pack("{s:o,s:I}", "routes", listing, "dropped",
                    (json_int_t)sr->routes_dropped);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (text) {
        px_http_reply_take(req, 200, "application/json", text, strlen(text));
    }
}

void
stats_routes_route(void *aux, struct px_http_request *req)
{
    struct stats_routes *sr = aux;
    int error;

    if (!strcmp(req->path, "/api/routes")) {
        if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
            req->response->allow = "GET, HEAD";
            px_http_reply_error(req, 405, "method not allowed");
            return;
        }
        answer_routes(sr, req);
        return;
    }
    error = px_publish(sr->p, sr->t_request, req, sizeof *req);
    if (error) {
        px_log_rl(sr->p, &sr->rl, PX_LOG_WARN, "cannot publish %s: %s",
                  PX_TOPIC_HTTP_REQUEST, strerror(error));
    }
}

void
stats_routes_upgraded(void *aux, uint64_t tag, const char *path,
                      int authorized, int fd, const void *early,
                      size_t early_len)
{
    struct stats_routes *sr = aux;
    int taken = 0;
    struct px_http_websocket ws = {
        .tag = tag,
        .path = path,
        .fd = fd,
        .authorized = (uint32_t)authorized,
        .early = early,
        .early_len = early_len,
        .taken = &taken,
    };

    px_publish(sr->p, sr->t_websocket, &ws, sizeof ws);
    if (!taken) {
        /* Its route's plugin went away between the 101 and now. */
        px_log_rl(sr->p, &sr->rl, PX_LOG_INFO,
                  "nobody took the WebSocket of %s: closed", path);
        close(fd);
    }
}

static int
cmd_console(struct px_plugin *p, int argc, const char *const *argv,
            struct px_reply *r, void *arg)
{
    struct stats_routes *sr = arg;
    json_t *doc;
    char *text;

    (void)p;
    (void)argc;
    (void)argv;
    px_reply_printf(r, "%s?token=%s\n", sr->url, sr->token);
    doc = json_pack("{s:s,s:s,s:s++,s:s}", "url", sr->url, "token", sr->token,
                    "login_url", sr->url, "?token=", sr->token, "token_file",
                    sr->token_path);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (text) {
        px_reply_json(r, text);
    }
    free(text);
    json_decref(doc);
    return 0;
}

static void
take_token(struct stats_routes *sr)
{
    const void *data;
    uint32_t version;
    size_t len;

    if (!px_handoff_get_blob(sr->p, TOKEN_BLOB, &version, &data, &len) &&
        version == TOKEN_BLOB_VERSION && stats_token_valid(data, len)) {
        memcpy(sr->token, data, len);
        sr->token[len] = '\0';
    }
}

int
stats_routes_create(struct px_plugin *p, const char *url,
                    struct stats_routes **out)
{
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct stats_routes *sr = calloc(1, sizeof *sr);
    int error;

    if (!sr) {
        return ENOMEM;
    }
    sr->p = p;
    sr->rl = rl;
    sr->url = strdup(url);
    if (!sr->url) {
        error = ENOMEM;
        goto fail;
    }
    take_token(sr);
    if (!sr->token[0] && (error = stats_token_generate(sr->token))) {
        px_error(p, "cannot make the console token");
        goto fail;
    }
    snprintf(sr->token_path, sizeof sr->token_path, "%s/%s", px_run_dir(p),
             STATS_TOKEN_FILE);
    if ((error = stats_token_write(sr->token_path, sr->token))) {
        px_error(p, "cannot write the console token to %s: %s", sr->token_path,
                 strerror(error));
        goto fail;
    }
    if ((error = px_topic_declare(p, PX_TOPIC_HTTP_REQUEST,
                                  PX_TOPIC_HTTP_VERSION, &sr->t_request)) ||
        (error = px_topic_declare(p, PX_TOPIC_HTTP_WEBSOCKET,
                                  PX_TOPIC_HTTP_VERSION, &sr->t_websocket)) ||
        (error = px_topic_declare(p, PX_TOPIC_HTTP_ROUTES,
                                  PX_TOPIC_HTTP_VERSION, &sr->t_routes)) ||
        (error = px_subscribe(p, PX_TOPIC_HTTP_ROUTE, PX_TOPIC_HTTP_VERSION,
                              PX_PRIO_DEFAULT, on_route, sr, NULL)) ||
        (error = px_command_register(p, "console", "",
                                     "the web console's URL, with its token",
                                     0, 0, cmd_console, sr, NULL))) {
        goto fail;
    }
    *out = sr;
    return 0;

fail:
    stats_routes_destroy(sr, 0);
    return error;
}

void
stats_routes_destroy(struct stats_routes *sr, int handoff)
{
    if (!sr) {
        return;
    }
    if (handoff && sr->token[0]) {
        px_handoff_put_blob(sr->p, TOKEN_BLOB, TOKEN_BLOB_VERSION, sr->token,
                            STATS_TOKEN_LEN);
    }
    free(sr->url);
    free(sr);
}

const char *
stats_routes_token(const struct stats_routes *sr)
{
    return sr->token;
}
