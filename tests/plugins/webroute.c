/*
 * webroute: a test plugin that offers HTTP routes on the controller's
 * listener the way a third-party plugin would (a REST endpoint, as a Ryu
 * app offers through WSGI), only through <plexus/topics/http.h>:
 *   GET  /webroute/hello  -> "hello from webroute VERSION generation G"
 *   POST /webroute/echo   -> the request body (needs the console token)
 *   GET  /webroute/arg    -> the 'name' query argument and X-Test header
 * and reports them on http.routes.  Built twice (1.0 and, as the
 * "rebuild", 2.0) so the tests can see a reload change what a route
 * answers, and a disabled plugin's routes answer 404.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"
#include "plexus/topics/http.h"

#ifndef WEBROUTE_VERSION
#define WEBROUTE_VERSION "1.0"
#endif

struct webroute {
    struct px_topic *t_route;
};

static int
on_request(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_http_request *r = ev->payload;
    char text[256];

    (void)arg;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    if (!strcmp(r->path, "/webroute/hello")) {
        snprintf(text, sizeof text, "hello from webroute %s generation %u\n",
                 WEBROUTE_VERSION, px_generation(p));
        px_http_reply(r, 200, "text/plain; charset=utf-8", text, strlen(text));
    } else if (!strcmp(r->path, "/webroute/echo")) {
        if (strcmp(r->method, "POST")) {
            r->response->allow = "POST";
            px_http_reply_error(r, 405, "method not allowed");
        } else if (!r->authorized) {
            px_http_reply_error(r, 401, "token needed");
        } else {
            px_http_reply(r, 200, "application/octet-stream", r->body,
                          r->body_len);
        }
    } else if (!strcmp(r->path, "/webroute/arg")) {
        const char *name = r->arg(r, "name");
        const char *hdr = r->header(r, "x-test");

        snprintf(text, sizeof text, "name=%s header=%s\n",
                 name ? name : "(none)", hdr ? hdr : "(none)");
        px_http_reply(r, 200, "text/plain; charset=utf-8", text, strlen(text));
    } else {
        return PX_EVENT_CONTINUE;
    }
    return PX_EVENT_HALT;
}

static int
on_routes(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_http_routes_collect *rc = ev->payload;
    struct webroute *w = arg;

    if (ev->len >= sizeof *rc) {
        px_http_route_publish(p, w->t_route, rc->id, "GET", "/webroute/hello",
                              "a greeting", 0);
        px_http_route_publish(p, w->t_route, rc->id, "POST", "/webroute/echo",
                              "the body, back", 1);
        px_http_route_publish(p, w->t_route, rc->id, "GET", "/webroute/arg",
                              "a query argument and a header", 0);
    }
    return PX_EVENT_CONTINUE;
}

static int
webroute_init(struct px_plugin *p)
{
    struct webroute *w = calloc(1, sizeof *w);
    int error;

    if (!w) {
        return ENOMEM;
    }
    px_set_data(p, w);
    if ((error = px_topic_declare(p, PX_TOPIC_HTTP_ROUTE,
                                  PX_TOPIC_HTTP_VERSION, &w->t_route)) ||
        (error = px_subscribe(p, PX_TOPIC_HTTP_REQUEST, PX_TOPIC_HTTP_VERSION,
                              PX_PRIO_DEFAULT, on_request, w, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_HTTP_ROUTES, PX_TOPIC_HTTP_VERSION,
                              PX_PRIO_DEFAULT, on_routes, w, NULL))) {
        free(w);
        px_set_data(p, NULL);
        return error;
    }
    px_info(p, "webroute %s generation %u", WEBROUTE_VERSION,
            px_generation(p));
    return 0;
}

static void
webroute_fini(struct px_plugin *p)
{
    free(px_get_data(p));
}

PX_PLUGIN_DEFINE(.name = "webroute", .version = WEBROUTE_VERSION,
                 .description = "test: HTTP routes through the event table",
                 .init = webroute_init, .fini = webroute_fini);
