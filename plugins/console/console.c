/*
 * console: the web console, at the root of the controller's HTTP listener
 * (http://127.0.0.1:9330/ with the default conf.d).
 *
 * It is a plugin like any other: it answers http.request for its pages,
 * its JSON API and its WebSockets (<plexus/topics/http.h>), reads what
 * other plugins show operators through their control-socket commands
 * (px_command_call: status, plugins, switches, ports, routers, topology),
 * and listens to the event table for what changes.  Nothing here calls
 * another plugin, so any of them may be missing or reloaded: the console
 * shows what there is.
 *
 * Pieces, each in its own file:
 *  - con_static.c: the pages and Debian's browser libraries;
 *  - con_live.c: the live WebSocket, its ring and its bounded clients;
 *  - con_events.c: one line per event for the event stream;
 *  - journey.c: the frame journeys of the router lab, and their pcap;
 *  - con_switch.c: a watched switch's ports, flows, groups and meters;
 *  - con_term.c and term.c: the terminal panes.
 *
 * Cost to the controller: the event stream subscribes to every topic only
 * while a browser asks for it, and even then only until it has formatted
 * its event_rate lines of the current tenth of a second (then it
 * unsubscribes until the next tenth); journeys listen to packet-ins and
 * packet-outs only while a VNS router is connected.  Without a browser on
 * the event stream and without a router, the console costs nothing per
 * packet.
 *
 * Security: read-only routes answer anyone who reaches the listener (on
 * loopback by default); everything that changes the controller and every
 * terminal needs the console token, which the HTTP listener checks and
 * reports in each request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "con_events.h"
#include "con_live.h"
#include "con_static.h"
#include "con_switch.h"
#include "con_term.h"
#include "journey.h"
#include "plexus/of_text.h"
#include "plexus/packet.h"
#include "plexus/plugin.h"
#include "plexus/topics/host.h"
#include "plexus/topics/http.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"
#include "plexus/topics/topology.h"
#include "plexus/topics/vns.h"

#define CONSOLE_VERSION "1.0.0"

/* WebSocket tags: which of the console's sockets an upgrade is for, in
 * the low two bits.  The request's arguments are gone by the time the
 * socket comes (http.websocket carries the path only), so the live
 * socket's ?since= rides in the rest of its tag, plus one (0: none). */
#define TAG_LIVE      1
#define TAG_TERM      2
#define TAG_KIND(TAG) ((TAG)&3)

static const struct px_config_key console_keys[] = {
    {.key = "www",
     .type = PX_CONFIG_STRING,
     .default_value = "../plugins/console/www",
     .help = "the console's pages (relative to the configuration "
             "directory)"},
    {.key = "max_clients",
     .type = PX_CONFIG_INT,
     .default_value = "32",
     .min = 1,
     .max = 1024,
     .help = "browsers with the console open at once; more are refused"},
    {.key = "client_queue",
     .type = PX_CONFIG_INT,
     .default_value = "262144",
     .min = 4096,
     .max = 16777216,
     .help = "bytes queued per browser; a browser behind loses what does "
             "not fit (counted)"},
    {.key = "event_rate",
     .type = PX_CONFIG_INT,
     .default_value = "200",
     .min = 1,
     .max = 100000,
     .help = "event-stream lines formatted per second at most; the rest "
             "are counted"},
    {.key = "journeys",
     .type = PX_CONFIG_INT,
     .default_value = "256",
     .min = 1,
     .max = 65536,
     .help = "frame journeys kept"},
    {.key = "snaplen",
     .type = PX_CONFIG_INT,
     .default_value = "256",
     .min = 64,
     .max = 65535,
     .help = "bytes of each frame kept for journeys and their pcap"},
    {.key = "stats_interval",
     .type = PX_CONFIG_DURATION,
     .default_value = "2",
     .min = 0.2,
     .max = 3600,
     .help = "seconds between updates of counters and switch tables"},
    {.key = "terminal",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "command line of the terminal pane (empty: no terminal)"},
    {.key = "terminal_name",
     .type = PX_CONFIG_STRING,
     .default_value = "lab",
     .help = "the terminal pane's name"},
    {.key = "log_pane",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "command line of a read-only pane (e.g. tail -F of a log)"},
    {.key = "log_pane_name",
     .type = PX_CONFIG_STRING,
     .default_value = "router",
     .help = "the read-only pane's name"},
    {.key = "max_terminals",
     .type = PX_CONFIG_INT,
     .default_value = "4",
     .min = 1,
     .max = 64,
     .help = "terminal sessions open at once"},
    {.key = NULL},
};

struct console {
    struct px_plugin *p;
    struct con_static *files;
    struct con_live *live;
    struct con_terms *terms;
    struct jny_table *journeys;
    struct con_switch *switches;
    struct px_topic *t_route;
    struct px_topic *t_stats;

    /* The event stream. */
    struct px_sub *all_events; /* While a browser wants events. */
    unsigned int event_rate;
    unsigned int event_budget; /* Lines left in this tenth of a second. */
    uint64_t events_seen;      /* Formatted and streamed. */
    uint64_t stream_pauses;    /* Tenths of a second whose lines ran out. */
    struct px_timer *budget_timer;

    /* Journeys: packet-ins and packet-outs are listened to only while a
     * router is connected, so that a controller without the lab pays
     * nothing per packet for them. */
    size_t routers;
    struct px_sub *sub_packet_in, *sub_packet_out;

    /* Topology changes, told to browsers at most 4 times a second. */
    int topology_dirty;
    struct px_timer *topology_timer;

    struct px_timer *stats_timer;
    uint64_t api_calls, api_refused;
    struct px_ratelimit rl;
};

/* ---------------------------------------------------------------------- */
/* Commands of other plugins, as JSON.                                    */

/* Runs a control-socket command; returns its "data" (new reference) or
 * NULL when the command is missing or failed. */
static json_t *
command_data(struct console *c, int argc, const char *const *argv)
{
    json_error_t jerr;
    json_t *doc, *data = NULL;
    char *text = NULL;
    int error = px_command_call(c->p, argc, argv, &text);

    c->api_calls++;
    doc = text ? json_loads(text, 0, &jerr) : NULL;
    free(text);
    if (!error && doc) {
        data = json_incref(json_object_get(doc, "data"));
    }
    json_decref(doc);
    return json_is_null(data) ? (json_decref(data), NULL) : data;
}

static json_t *
command0(struct console *c, const char *name)
{
    const char *argv[] = {name};

    return command_data(c, 1, argv);
}

/* Answers 'r' with 'doc' (reference taken). */
static void
reply_json_doc(const struct px_http_request *r, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

    json_decref(doc);
    if (!text) {
        px_http_reply_error(r, 500, "out of memory");
        return;
    }
    px_http_reply_take(r, 200, "application/json", text, strlen(text));
}

/* Re-keys datapath ids from the commands' 16 hex digits to the
 * console's colon form. */
static json_t *
dpid_json(const char *hex)
{
    uint64_t dpid;
    char buf[24];

    if (!hex || px_of_dpid_parse(hex, &dpid)) {
        return json_string(hex ? hex : "");
    }
    return json_string(px_of_dpid_text(dpid, buf, sizeof buf));
}

static void
rekey_dpid(json_t *obj, const char *from, const char *to)
{
    json_t *v = json_object_get(obj, from);

    if (json_is_string(v)) {
        json_object_set_new(obj, to, dpid_json(json_string_value(v)));
    }
}

/* /api/switches: the "switches" command, each with "dpid". */
static json_t *
switches_doc(struct console *c)
{
    json_t *data = command0(c, "switches"), *list, *sw;
    size_t i;

    if (!data) {
        return json_pack("{s:[]}", "switches");
    }
    list = json_object_get(data, "switches");
    json_array_foreach(list, i, sw)
    {
        rekey_dpid(sw, "switch", "dpid");
    }
    return data;
}

/* The "ports DPID" command's ports, with "up". */
static json_t *
ports_of(struct console *c, const char *dpid_hex)
{
    const char *argv[] = {"ports", dpid_hex};
    json_t *data = command_data(c, 2, argv), *ports, *pt;
    size_t i;

    ports = json_incref(json_object_get(data, "ports"));
    json_decref(data);
    if (!ports) {
        return json_array();
    }
    json_array_foreach(ports, i, pt)
    {
        const char *state = json_string_value(json_object_get(pt, "state"));

        json_object_set_new(pt, "up",
                            json_boolean(state && !strstr(state, "down")));
        json_object_set(pt, "hw_addr", json_object_get(pt, "mac"));
    }
    return ports;
}

/* /api/routers: the "routers" command with the interface map, dpids in
 * the console's form. */
static json_t *
routers_doc(struct console *c)
{
    json_t *data = command0(c, "routers"), *server, *ifaces, *f, *rt;
    json_t *routers;
    size_t i;

    if (!data) {
        return json_pack("{s:[],s:[]}", "routers", "interfaces");
    }
    server = json_object_get(data, "vns_server");
    ifaces = json_object_get(server, "interfaces");
    json_array_foreach(ifaces, i, f)
    {
        json_object_set_new(
            f, "dpid",
            dpid_json(json_string_value(json_object_get(server, "dpid"))));
    }
    routers = json_object_get(data, "routers");
    json_array_foreach(routers, i, rt)
    {
        json_object_set(rt, "id", json_object_get(rt, "router"));
        json_object_set(rt, "interfaces", ifaces);
        json_object_set(rt, "frames_to_router",
                        json_object_get(rt, "frames_tx"));
        json_object_set(rt, "frames_from_router",
                        json_object_get(rt, "frames_rx"));
        json_object_set(rt, "drops", json_object_get(rt, "frames_dropped"));
    }
    json_object_set_new(data, "interfaces",
                        ifaces ? json_incref(ifaces) : json_array());
    return data;
}

/* /api/topology: switches with their ports; links and hosts from the
 * topology plugin when it runs; the routers. */
static json_t *
topology_doc(struct console *c)
{
    json_t *sws = switches_doc(c), *topo = command0(c, "topology");
    json_t *switches = json_array(), *links = json_array(),
           *hosts = json_array(), *sw, *l, *h, *routers, *doc;
    size_t i;

    json_array_foreach(json_object_get(sws, "switches"), i, sw)
    {
        const char *hex = json_string_value(json_object_get(sw, "switch"));

        if (!json_is_true(json_object_get(sw, "connected"))) {
            continue;
        }
        json_array_append_new(switches,
                              json_pack("{s:O,s:o,s:O}", "dpid",
                                        json_object_get(sw, "dpid"), "ports",
                                        ports_of(c, hex), "version",
                                        json_object_get(sw, "version")));
    }
    json_array_foreach(json_object_get(topo, "links"), i, l)
    {
        json_array_append_new(
            links,
            json_pack(
                "{s:{s:o,s:O},s:{s:o,s:O}}", "src", "dpid",
                dpid_json(json_string_value(json_object_get(l, "src_dpid"))),
                "port", json_object_get(l, "src_port"), "dst", "dpid",
                dpid_json(json_string_value(json_object_get(l, "dst_dpid"))),
                "port", json_object_get(l, "dst_port")));
    }
    json_array_foreach(json_object_get(topo, "hosts"), i, h)
    {
        json_array_append_new(
            hosts,
            json_pack("{s:O,s:O,s:o,s:O}", "mac", json_object_get(h, "mac"),
                      "ips", json_object_get(h, "ips"), "dpid",
                      dpid_json(json_string_value(json_object_get(h, "dpid"))),
                      "port", json_object_get(h, "port")));
    }
    routers = routers_doc(c);
    json_decref(sws);
    json_decref(topo);
    doc = json_pack("{s:o,s:o,s:o,s:O,s:O,s:b}", "switches", switches, "links",
                    links, "hosts", hosts, "routers",
                    json_object_get(routers, "routers"), "interfaces",
                    json_object_get(routers, "interfaces"), "topology_plugin",
                    topo != NULL);
    json_decref(routers);
    return doc;
}

/* ---------------------------------------------------------------------- */
/* HTTP routes.                                                           */

static const struct {
    const char *method, *path, *help;
    int auth;
} routes[] = {
    {"GET", "/", "the web console", 0},
    {"GET", "/api/status", "the daemon: version, uptime, reloads, events", 0},
    {"GET", "/api/plugins", "every instance of conf.d, running or not", 0},
    {"POST", "/api/plugins/*/enable", "enable an instance and reload", 1},
    {"POST", "/api/plugins/*/disable", "disable an instance and reload", 1},
    {"POST", "/api/reload", "reload conf.d", 1},
    {"GET", "/api/switches", "connected switches", 0},
    {"GET", "/api/switches/*/ports", "a switch's ports", 0},
    {"GET", "/api/topology", "switches, links, hosts and routers", 0},
    {"GET", "/api/routers", "VNS routers and their interfaces", 0},
    {"GET", "/api/journeys", "recent frame journeys through the lab", 0},
    {"GET", "/api/journeys.pcap", "the journeys' frames as pcap", 0},
    {"GET", "/api/terminals", "the terminal panes", 0},
    {"WS", "/ws", "live updates (?since=SEQ resumes)", 0},
    {"WS", "/ws/term/*", "a terminal pane", 1},
};

static int
on_routes(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_http_routes_collect *rc = ev->payload;
    struct console *c = c_;
    size_t i;

    if (ev->len < sizeof *rc) {
        return PX_EVENT_CONTINUE;
    }
    for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        px_http_route_publish(p, c->t_route, rc->id, routes[i].method,
                              routes[i].path, routes[i].help, routes[i].auth);
    }
    return PX_EVENT_CONTINUE;
}

/* POST /api/plugins/NAME/enable|disable: edits conf.d, then reloads. */
static void
set_enabled(struct console *c, const struct px_http_request *r,
            const char *rest)
{
    const char *slash = strchr(rest, '/');
    char name[128], *text = NULL;
    const char *argv[2];
    unsigned int id = 0;
    json_error_t jerr;
    json_t *doc;
    int error;

    if (!slash || (size_t)(slash - rest) >= sizeof name ||
        (strcmp(slash + 1, "enable") && strcmp(slash + 1, "disable"))) {
        px_http_reply_error(r, 404, "not found");
        return;
    }
    memcpy(name, rest, (size_t)(slash - rest));
    name[slash - rest] = '\0';
    argv[0] = slash + 1;
    argv[1] = name;
    error = px_command_call(c->p, 2, argv, &text);
    doc = text ? json_loads(text, 0, &jerr) : NULL;
    free(text);
    if (error) {
        json_t *e = json_object_get(doc, "error");

        reply_json_doc(r, json_pack("{s:O?}", "error", e));
        r->response->status = error == EINVAL || error == EIO ? 409 : 404;
        json_decref(doc);
        return;
    }
    px_reload_request(c->p, &id);
    px_info(c->p, "console: %s %s, reload %u", argv[0], name, id);
    reply_json_doc(r, json_pack("{s:I,s:O?}", "reload_id", (json_int_t)id,
                                "edit", json_object_get(doc, "data")));
    json_decref(doc);
}

static int
require_token(const struct px_http_request *r)
{
    if (r->authorized) {
        return 1;
    }
    px_http_reply_error(r, 401,
                        "this needs the console token (plexusctl console)");
    return 0;
}

static void
answer_api(struct console *c, const struct px_http_request *r,
           const char *rest)
{
    int get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
    int post = !strcmp(r->method, "POST");
    const char *sub;

    if (post) {
        if (!require_token(r)) {
            c->api_refused++;
        } else if (!strcmp(rest, "reload")) {
            unsigned int id = 0;

            px_reload_request(c->p, &id);
            reply_json_doc(r, json_pack("{s:I}", "reload_id", (json_int_t)id));
        } else if (!strncmp(rest, "plugins/", 8)) {
            set_enabled(c, r, rest + 8);
        } else {
            px_http_reply_error(r, 404, "not found");
        }
        return;
    }
    if (!get) {
        r->response->allow = "GET, HEAD, POST";
        px_http_reply_error(r, 405, "method not allowed");
        return;
    }
    if (!strcmp(rest, "status")) {
        json_t *d = command0(c, "status");

        reply_json_doc(r, d ? d : json_object());
    } else if (!strcmp(rest, "plugins")) {
        json_t *d = command0(c, "plugins");

        reply_json_doc(r, d ? d : json_pack("{s:[]}", "plugins"));
    } else if (!strcmp(rest, "switches")) {
        reply_json_doc(r, switches_doc(c));
    } else if (!strncmp(rest, "switches/", 9) &&
               (sub = strchr(rest + 9, '/')) && !strcmp(sub, "/ports")) {
        char text[32], hex[17];
        uint64_t dpid;
        size_t n = (size_t)(sub - (rest + 9));

        snprintf(text, sizeof text, "%.*s", (int)n, rest + 9);
        if (n >= sizeof text || px_of_dpid_parse(text, &dpid)) {
            px_http_reply_error(r, 404, "no such switch");
            return;
        }
        snprintf(hex, sizeof hex, "%016" PRIx64, dpid);
        reply_json_doc(r, json_pack("{s:s,s:o}", "dpid", text, "ports",
                                    ports_of(c, hex)));
    } else if (!strcmp(rest, "topology")) {
        reply_json_doc(r, topology_doc(c));
    } else if (!strcmp(rest, "routers")) {
        reply_json_doc(r, routers_doc(c));
    } else if (!strcmp(rest, "journeys")) {
        reply_json_doc(r, jny_list_json(c->journeys));
    } else if (!strcmp(rest, "journeys.pcap")) {
        char *data;
        size_t len;

        if (jny_pcap(c->journeys, &data, &len)) {
            px_http_reply_error(r, 500, "cannot write the pcap");
            return;
        }
        px_http_reply_take(r, 200, "application/vnd.tcpdump.pcap", data, len);
        r->response->attachment = "plexus-journeys.pcap";
    } else if (!strcmp(rest, "terminals")) {
        reply_json_doc(r, con_terms_json(c->terms));
    } else {
        px_http_reply_error(r, 404, "not found");
    }
}

static int
on_request(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_http_request *r = ev->payload;
    struct console *c = c_;
    const char *rest;

    (void)p;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    if (r->websocket) {
        if (!strcmp(r->path, "/ws")) {
            const char *since = r->arg(r, "since");
            uint64_t tag = TAG_LIVE;
            char *end;

            if (since && *since) {
                unsigned long long v = strtoull(since, &end, 10);

                if (!*end && v < (1ull << 61)) {
                    tag |= (uint64_t)(v + 1) << 2;
                }
            }
            px_http_accept_websocket(r, tag);
        } else if (px_http_path_under(r, "/ws/term", &rest)) {
            if (!con_terms_has(c->terms, rest)) {
                px_http_reply_error(r, 404, "no such terminal");
            } else if (require_token(r)) {
                px_http_accept_websocket(r, TAG_TERM);
            }
        } else {
            return PX_EVENT_CONTINUE;
        }
        return PX_EVENT_HALT;
    }
    if (px_http_path_under(r, "/api", &rest) && strcmp(rest, "routes")) {
        answer_api(c, r, rest);
        return PX_EVENT_HALT;
    }
    if ((!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")) &&
        con_static_serve(c->files, r)) {
        return PX_EVENT_HALT;
    }
    return PX_EVENT_CONTINUE;
}

static int
on_websocket(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_http_websocket *ws = ev->payload;
    struct console *c = c_;
    const char *rest;

    (void)p;
    if (ev->len < sizeof *ws) {
        return PX_EVENT_CONTINUE;
    }
    if (TAG_KIND(ws->tag) == TAG_LIVE && !strcmp(ws->path, "/ws")) {
        char since[24] = "";

        if (ws->tag >> 2) {
            snprintf(since, sizeof since, "%" PRIu64, (ws->tag >> 2) - 1);
        }
        *ws->taken = 1;
        con_live_accept(c->live, ws->fd, ws->early, ws->early_len, since);
        return PX_EVENT_HALT;
    }
    if (ws->tag == TAG_TERM && ws->authorized) {
        rest = ws->path + strlen("/ws/term/");
        if (!strncmp(ws->path, "/ws/term/", 9) &&
            con_terms_has(c->terms, rest)) {
            *ws->taken = 1;
            con_terms_accept(c->terms, rest, ws->fd, ws->early, ws->early_len);
            return PX_EVENT_HALT;
        }
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* What browsers are told.                                                */

static int
on_reload_done(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_host_reload_done *e = ev->payload;
    struct console *c = c_;
    json_t *status, *last, *msg;

    (void)p;
    if (ev->len < sizeof *e) {
        return PX_EVENT_CONTINUE;
    }
    /* The host records a reload before it publishes it, and "status"
     * gives that record with its lists already split (added, refused
     * with reasons...): the one place that parses them. */
    status = command0(c, "status");
    last = json_object_get(status, "last_reload");
    if (!json_is_object(last) ||
        json_integer_value(json_object_get(last, "id")) != e->reload_id) {
        last = NULL;
    }
    msg = last ? json_pack("{s:s,s:O}", "type", "reload", "reload", last)
               : json_pack("{s:s,s:{s:I,s:s,s:s}}", "type", "reload", "reload",
                           "id", (json_int_t)e->reload_id, "outcome",
                           e->outcome == PX_RELOAD_OK        ? "ok"
                           : e->outcome == PX_RELOAD_PARTIAL ? "partial"
                                                             : "refused",
                           "error", e->error ? e->error : "");
    if (msg) {
        con_live_broadcast(c->live, CON_LIVE_ALL, NULL, msg);
    }
    json_decref(msg);
    json_decref(status);
    return PX_EVENT_CONTINUE;
}

static int
on_plugin(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_host_plugin *hp = ev->payload;
    struct console *c = c_;
    json_t *msg;

    (void)p;
    if (ev->len < sizeof *hp) {
        return PX_EVENT_CONTINUE;
    }
    msg = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "type", "plugin", "change",
                    strcmp(ev->topic, PX_TOPIC_HOST_PLUGIN_LOADED) ? "unloaded"
                                                                   : "loaded",
                    "plugin", hp->instance, "module", hp->module, "version",
                    hp->version ? hp->version : "", "generation",
                    (json_int_t)hp->generation);
    if (msg) {
        con_live_broadcast(c->live, CON_LIVE_ALL, NULL, msg);
    }
    json_decref(msg);
    return PX_EVENT_CONTINUE;
}

static void
on_topology_timer(struct px_plugin *p, struct px_timer *t, void *c_)
{
    struct console *c = c_;
    json_t *msg;

    (void)p;
    (void)t;
    if (!c->topology_dirty) {
        return;
    }
    c->topology_dirty = 0;
    msg = json_pack("{s:s}", "type", "topology");
    if (msg) {
        con_live_broadcast(c->live, CON_LIVE_ALL, NULL, msg);
    }
    json_decref(msg);
}

static void journeys_track(struct console *c);

static int
on_topology_change(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    struct console *c = c_;

    (void)p;
    if (!strcmp(ev->topic, PX_TOPIC_VNS_ROUTER_UP)) {
        c->routers++;
        journeys_track(c);
    } else if (!strcmp(ev->topic, PX_TOPIC_VNS_ROUTER_DOWN) && c->routers) {
        c->routers--;
        journeys_track(c);
    }
    c->topology_dirty = 1;
    return PX_EVENT_CONTINUE;
}

static void
on_stats_timer(struct px_plugin *p, struct px_timer *t, void *c_)
{
    struct console *c = c_;
    struct con_live_stats ls;
    json_t *status, *msg;

    (void)p;
    (void)t;
    con_live_get_stats(c->live, &ls);
    if (!ls.clients) {
        return;
    }
    status = command0(c, "status");
    msg = json_pack("{s:s,s:o?}", "type", "stats", "status", status);
    if (msg) {
        con_live_broadcast(c->live, CON_LIVE_ALL, NULL, msg);
    }
    json_decref(msg);
}

static void
on_switch_stats(void *c_, json_t *msg)
{
    struct console *c = c_;
    const char *dpid = json_string_value(json_object_get(msg, "dpid"));

    con_live_broadcast(c->live, CON_LIVE_SWITCH, dpid, msg);
}

/* ---------------------------------------------------------------------- */
/* The event stream.                                                      */

static int on_any_event(struct px_plugin *p, const struct px_event *ev,
                        void *c_);

/* Subscribes to every topic, last, so that it sees what other
 * subscribers let through and never delays them. */
static void
stream_subscribe(struct console *c)
{
    int error = px_subscribe(c->p, "*", 0, PX_PRIO_LAST, on_any_event, c,
                             &c->all_events);

    if (error) {
        c->all_events = NULL;
        px_log_rl(c->p, &c->rl, PX_LOG_WARN,
                  "cannot subscribe the event stream: %s", strerror(error));
    }
}

static int
on_any_event(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    struct console *c = c_;
    char line[512];
    json_t *msg;

    (void)p;
    c->events_seen++;
    con_event_summary(ev, line, sizeof line);
    msg = json_pack("{s:s,s:s,s:s,s:s}", "type", "event", "topic", ev->topic,
                    "publisher", ev->publisher, "summary", line);
    if (msg) {
        con_live_broadcast(c->live, CON_LIVE_EVENT, ev->topic, msg);
    }
    json_decref(msg);
    if (!--c->event_budget) {
        /* The tenth of a second's lines are spent: the subscription goes
         * until the next tenth, so that a flood of packet-ins costs the
         * controller nothing more than the lines it shows (unsubscribing
         * inside the callback is safe). */
        px_unsubscribe(c->p, c->all_events);
        c->all_events = NULL;
        c->stream_pauses++;
    }
    return PX_EVENT_CONTINUE;
}

static void
on_budget_timer(struct px_plugin *p, struct px_timer *t, void *c_)
{
    struct console *c = c_;

    (void)p;
    (void)t;
    c->event_budget = c->event_rate / 10 ? c->event_rate / 10 : 1;
    if (!c->all_events) {
        stream_subscribe(c);
    }
}

static void
events_wanted(void *c_, size_t clients)
{
    struct console *c = c_;
    int error;

    if (clients && !c->budget_timer) {
        error = px_timer_start(c->p, 0.1, 0.1, on_budget_timer, c,
                               &c->budget_timer);
        if (error) {
            c->budget_timer = NULL;
            px_warn(c->p, "cannot start the event stream: %s",
                    strerror(error));
            return;
        }
        on_budget_timer(c->p, NULL, c);
    } else if (!clients && c->budget_timer) {
        if (c->all_events) {
            px_unsubscribe(c->p, c->all_events);
            c->all_events = NULL;
        }
        px_timer_stop(c->p, c->budget_timer);
        c->budget_timer = NULL;
    }
}

static void
watch(void *c_, uint64_t dpid, int on)
{
    struct console *c = c_;
    json_t *last;
    char text[24];

    con_switch_watch(c->switches, dpid, on);
    /* A second browser on a switch gets what the first already has,
     * rather than a blank table until the next round. */
    last = on ? con_switch_last(c->switches, dpid) : NULL;
    if (last) {
        json_t *copy = json_deep_copy(last);

        if (copy) {
            con_live_broadcast(c->live, CON_LIVE_SWITCH,
                               px_of_dpid_text(dpid, text, sizeof text), copy);
        }
        json_decref(copy);
    }
}

/* ---------------------------------------------------------------------- */
/* Journeys.                                                              */

static void
journey_hop(struct console *c, const struct jny_hop_in *in)
{
    const struct jny_journey *j = jny_add(c->journeys, in);
    json_t *msg;

    if (!j) {
        return;
    }
    msg = json_pack("{s:s,s:o}", "type", "journey", "journey",
                    jny_journey_json(j));
    if (msg) {
        con_live_broadcast(c->live, CON_LIVE_ALL, NULL, msg);
    }
    json_decref(msg);
}

static int
on_packet_in(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_of_packet_in *pi = ev->payload;
    struct console *c = c_;
    struct jny_hop_in in = {0};

    (void)p;
    /* LLDP probes coming back are the topology plugin's, not lab
     * traffic: they would push the frames people watch out of the
     * table. */
    if (ev->len < sizeof *pi || px_pkt_is_lldp(pi->frame, pi->frame_len)) {
        return PX_EVENT_CONTINUE;
    }
    in.kind = JNY_SWITCH_IN;
    in.t = con_wall_now();
    in.dpid = pi->dpid;
    in.port = pi->in_port;
    in.frame = pi->frame;
    in.len = pi->frame_len;
    journey_hop(c, &in);
    return PX_EVENT_CONTINUE;
}

static int
on_packet_out(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_of_packet_out *po = ev->payload;
    struct console *c = c_;
    struct jny_hop_in in = {0};
    size_t i;

    (void)p;
    if (ev->len < PX_OF_PACKET_OUT_V1_LEN || !po->frame) {
        return PX_EVENT_CONTINUE;
    }
    in.kind = JNY_SWITCH_OUT;
    in.t = con_wall_now();
    in.dpid = po->dpid;
    in.port = PX_OF_PORT_ANY;
    for (i = 0; po->actions && i < po->n_actions; i++) {
        if (po->actions[i].type == PX_OF_ACTION_OUTPUT) {
            in.port = po->actions[i].port;
            break;
        }
    }
    in.frame = po->frame;
    in.len = po->frame_len;
    journey_hop(c, &in);
    return PX_EVENT_CONTINUE;
}

static int
on_vns_frame(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_vns_frame *f = ev->payload;
    struct console *c = c_;
    struct jny_hop_in in = {0};

    (void)p;
    if (ev->len < sizeof *f) {
        return PX_EVENT_CONTINUE;
    }
    in.kind = f->to_router ? JNY_ROUTER_IN : JNY_ROUTER_OUT;
    in.t = con_wall_now();
    in.dpid = f->dpid;
    in.port = f->port;
    in.router = f->router;
    in.iface = f->iface;
    in.frame = f->frame;
    in.len = f->frame_len;
    journey_hop(c, &in);
    return PX_EVENT_CONTINUE;
}

/* Listens to packet-ins and packet-outs while a router is connected. */
static void
journeys_track(struct console *c)
{
    int error = 0;

    if (c->routers && !c->sub_packet_in) {
        /* First, so that a subscriber ahead that halts (the topology
         * plugin stops LLDP) cannot hide a frame of the lab. */
        error = px_subscribe(c->p, PX_TOPIC_OF_PACKET_IN, PX_TOPIC_OF_VERSION,
                             PX_PRIO_FIRST - 1, on_packet_in, c,
                             &c->sub_packet_in);
        if (!error) {
            error =
                px_subscribe(c->p, PX_TOPIC_OF_PACKET_OUT, 1, PX_PRIO_FIRST,
                             on_packet_out, c, &c->sub_packet_out);
        }
        if (error) {
            px_warn(c->p, "cannot record frame journeys: %s", strerror(error));
        }
    } else if (!c->routers && c->sub_packet_in) {
        px_unsubscribe(c->p, c->sub_packet_in);
        c->sub_packet_in = NULL;
        if (c->sub_packet_out) {
            px_unsubscribe(c->p, c->sub_packet_out);
            c->sub_packet_out = NULL;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Counters on /metrics.                                                  */

static int
on_collect(struct px_plugin *p, const struct px_event *ev, void *c_)
{
    const struct px_stats_collect *sc = ev->payload;
    struct console *c = c_;
    struct con_live_stats ls;
    struct con_terms_stats ts;
    struct jny_stats js;

    if (ev->len < sizeof *sc) {
        return PX_EVENT_CONTINUE;
    }
    con_live_get_stats(c->live, &ls);
    con_terms_get_stats(c->terms, &ts);
    jny_get_stats(c->journeys, &js);
    {
        const struct px_stats_field f[] = {
            PX_STATS_GAUGE_FIELD("clients", "Browsers with the console open.",
                                 ls.clients),
            PX_STATS_COUNTER_FIELD("clients_accepted",
                                   "Live WebSockets accepted.",
                                   ls.clients_accepted),
            PX_STATS_COUNTER_FIELD("clients_refused",
                                   "Live WebSockets refused: max_clients.",
                                   ls.clients_refused),
            PX_STATS_COUNTER_FIELD("messages", "Live messages broadcast.",
                                   ls.messages),
            PX_STATS_COUNTER_FIELD(
                "messages_skipped",
                "Live messages a slow browser lost (its queue was full).",
                ls.skipped),
            PX_STATS_COUNTER_FIELD(
                "resumed", "Reconnects served from the ring.", ls.resumed),
            PX_STATS_COUNTER_FIELD("bad_requests",
                                   "Browser messages that made no sense.",
                                   ls.bad_requests),
            PX_STATS_COUNTER_FIELD("events_streamed",
                                   "Events the event stream formatted and "
                                   "sent.",
                                   c->events_seen),
            PX_STATS_COUNTER_FIELD(
                "event_stream_pauses",
                "Tenths of a second in which the event stream reached "
                "event_rate and stopped listening until the next.",
                c->stream_pauses),
            PX_STATS_COUNTER_FIELD("journeys", "Frame journeys started.",
                                   js.journeys),
            PX_STATS_COUNTER_FIELD("journey_hops", "Frame journey hops.",
                                   js.hops),
            PX_STATS_GAUGE_FIELD("terminals", "Terminal sessions open.",
                                 ts.open),
            PX_STATS_COUNTER_FIELD("terminal_sessions",
                                   "Terminal sessions started.", ts.sessions),
            PX_STATS_COUNTER_FIELD("api_refused",
                                   "State-changing requests without the "
                                   "token.",
                                   c->api_refused),
        };

        px_stats_publish(p, c->t_stats, sc->id, "console", NULL, 0, f,
                         sizeof f / sizeof f[0]);
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* The plugin.                                                            */

static void
console_free(struct console *c)
{
    if (!c) {
        return;
    }
    con_live_destroy(c->live);
    con_terms_destroy(c->terms);
    con_switch_destroy(c->switches);
    jny_destroy(c->journeys);
    con_static_destroy(c->files);
    free(c);
}

static int
add_pane(struct console *c, const char *cmd_key, const char *name_key,
         int writable)
{
    const char *cmd, *name;
    char why[256];
    int error;

    if ((error = px_config_string(c->p, cmd_key, &cmd)) ||
        (error = px_config_string(c->p, name_key, &name))) {
        return error;
    }
    if (!*cmd) {
        return 0;
    }
    if (!*name || strchr(name, '/')) {
        px_error(c->p, "%s: '%s' is not a pane name", name_key, name);
        return EINVAL;
    }
    error = con_terms_add(c->terms, name, cmd, writable, why, sizeof why);
    if (error) {
        px_error(c->p, "%s: %s", cmd_key, why);
    }
    return error;
}

static int
console_init(struct px_plugin *p)
{
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct console *c = calloc(1, sizeof *c);
    long long max_clients, queue, rate, journeys, snaplen, max_terms;
    char www[4096];
    double interval;
    int error;

    if (!c) {
        return ENOMEM;
    }
    c->p = p;
    c->rl = rl;
    if ((error = px_config_path(p, "www", www, sizeof www)) ||
        (error = px_config_int(p, "max_clients", &max_clients)) ||
        (error = px_config_int(p, "client_queue", &queue)) ||
        (error = px_config_int(p, "event_rate", &rate)) ||
        (error = px_config_int(p, "journeys", &journeys)) ||
        (error = px_config_int(p, "snaplen", &snaplen)) ||
        (error = px_config_int(p, "max_terminals", &max_terms)) ||
        (error = px_config_double(p, "stats_interval", &interval))) {
        goto fail;
    }
    if (access(www, R_OK)) {
        px_warn(p, "www %s: %s: the console's pages will answer 404", www,
                strerror(errno));
    }
    c->event_rate = (unsigned int)rate;
    {
        const struct con_live_config lc = {
            .max_clients = (size_t)max_clients,
            .ring_msgs = 2048,
            .ring_bytes = 4u * 1024 * 1024,
            .client_queue = (size_t)queue,
            .ping_interval = 15,
            .idle_timeout = 45,
        };
        const struct con_live_hooks hooks = {
            .events_wanted = events_wanted,
            .watch = watch,
            .arg = c,
        };
        const struct jny_config jc = {
            .max_journeys = (size_t)journeys,
            .max_hops = JNY_DEFAULT_MAX_HOPS,
            .snaplen = (size_t)snaplen,
            .window = JNY_DEFAULT_WINDOW,
            .long_window = JNY_DEFAULT_LONG_WINDOW,
        };

        if ((error = con_static_create(www, &c->files)) ||
            (error = con_live_create(p, &lc, &hooks, &c->live)) ||
            (error = con_terms_create(p, (size_t)max_terms, (size_t)queue,
                                      &c->terms)) ||
            (error = jny_create(&jc, &c->journeys)) ||
            (error = con_switch_create(p, interval, on_switch_stats, c,
                                       &c->switches))) {
            goto fail;
        }
    }
    if ((error = add_pane(c, "terminal", "terminal_name", 1)) ||
        (error = add_pane(c, "log_pane", "log_pane_name", 0))) {
        goto fail;
    }
    if ((error = px_topic_declare(p, PX_TOPIC_HTTP_ROUTE,
                                  PX_TOPIC_HTTP_VERSION, &c->t_route)) ||
        (error = px_topic_declare(p, PX_TOPIC_STATS_REPORT,
                                  PX_TOPIC_STATS_VERSION, &c->t_stats)) ||
        (error = px_subscribe(p, PX_TOPIC_HTTP_REQUEST, PX_TOPIC_HTTP_VERSION,
                              PX_PRIO_DEFAULT, on_request, c, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_HTTP_WEBSOCKET, PX_TOPIC_HTTP_VERSION,
                          PX_PRIO_DEFAULT, on_websocket, c, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_HTTP_ROUTES, PX_TOPIC_HTTP_VERSION,
                              PX_PRIO_DEFAULT, on_routes, c, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_collect, c, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_HOST_RELOAD_DONE,
                              PX_TOPIC_HOST_RELOAD_DONE_VERSION,
                              PX_PRIO_DEFAULT, on_reload_done, c, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_HOST_PLUGIN_LOADED,
                              PX_TOPIC_HOST_PLUGIN_VERSION, PX_PRIO_DEFAULT,
                              on_plugin, c, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_HOST_PLUGIN_UNLOADED,
                              PX_TOPIC_HOST_PLUGIN_VERSION, PX_PRIO_DEFAULT,
                              on_plugin, c, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_topology_change, c, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_topology_change, c, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_PORT_STATUS, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_topology_change, c, NULL)) ||
        (error = px_subscribe(p, "topology.*", PX_TOPIC_TOPO_VERSION,
                              PX_PRIO_DEFAULT, on_topology_change, c, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_VNS_ROUTER_UP, PX_TOPIC_VNS_VERSION,
                              PX_PRIO_DEFAULT, on_topology_change, c, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_VNS_ROUTER_DOWN, PX_TOPIC_VNS_VERSION,
                          PX_PRIO_DEFAULT, on_topology_change, c, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_VNS_FRAME, PX_TOPIC_VNS_FRAME_VERSION,
                          PX_PRIO_DEFAULT, on_vns_frame, c, NULL)) ||

        (error = px_timer_start(p, 0.25, 0.25, on_topology_timer, c,
                                &c->topology_timer)) ||
        (error = px_timer_start(p, interval, interval, on_stats_timer, c,
                                &c->stats_timer))) {
        goto fail;
    }
    {
        /* Routers already connected when the console loads. */
        json_t *r = command0(c, "routers");

        json_t *rt;
        size_t i;

        /* Those vns.router_up has told of: open ones. */
        json_array_foreach(json_object_get(r, "routers"), i, rt)
        {
            const char *state =
                json_string_value(json_object_get(rt, "state"));

            c->routers += state && !strcmp(state, "open");
        }
        json_decref(r);
        journeys_track(c);
    }
    px_set_data(p, c);
    px_info(p, "the web console answers at the HTTP listener's root");
    return 0;

fail:
    console_free(c);
    return error;
}

static void
console_fini(struct px_plugin *p)
{
    console_free(px_get_data(p));
    px_set_data(p, NULL);
}

PX_PLUGIN_DEFINE(.name = "console", .version = CONSOLE_VERSION,
                 .description = "the web console: pages, live updates, "
                                "frame journeys, terminal",
                 .config_keys = console_keys, .init = console_init,
                 .fini = console_fini);
