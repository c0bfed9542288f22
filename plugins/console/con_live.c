/*
 * The console's live WebSocket (con_live.h).
 */
#include "con_live.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plexus/of_text.h"
#include "plexus/plugin.h"
#include "plexus/ws.h"

/* One message kept for clients that reconnect. */
struct ring_entry {
    uint64_t seq;
    enum con_live_kind kind;
    char *key;
    char *text;
    size_t len;
};

struct client {
    struct client *prev, *next;
    struct con_live *live;
    struct px_ws *ws;
    char *events;      /* Topic prefix of the events wanted; NULL: none. */
    uint64_t watching; /* Datapath id watched; 0: none. */
    int has_watch;
    uint64_t skipped; /* Lost since the client last heard about it. */
};

struct con_live {
    struct px_plugin *p;
    struct con_live_config cfg;
    struct con_live_hooks hooks;
    struct client *clients;
    size_t n_clients;
    size_t n_event_clients;
    uint64_t seq; /* Of the latest message. */

    struct ring_entry *ring; /* cfg.ring_msgs slots, oldest at 'head'. */
    size_t head, count, bytes;

    struct con_live_stats stats;
    struct px_ratelimit rl;
};

double
con_wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nonzero if 'c' wants a message of this kind and key. */
static int
wants(const struct client *c, enum con_live_kind kind, const char *key)
{
    uint64_t dpid;

    switch (kind) {
    case CON_LIVE_ALL:
        return 1;
    case CON_LIVE_EVENT:
        return c->events && key && !strncmp(key, c->events, strlen(c->events));
    case CON_LIVE_SWITCH:
        return c->has_watch && key && !px_of_dpid_parse(key, &dpid) &&
               dpid == c->watching;
    }
    return 0;
}

/* Sends one text to 'c'.  A client that is behind loses it: the count is
 * what it hears about once it drains. */
static void
send_text(struct client *c, const char *text, size_t len)
{
    if (c->skipped) {
        /* Skipping ahead until the queue drains: nothing goes out of
         * order with the "skipped" notice. */
        c->skipped++;
        c->live->stats.skipped++;
        return;
    }
    if (px_ws_send(c->ws, 0, text, len) == ENOBUFS) {
        c->skipped = 1;
        c->live->stats.skipped++;
    }
}

static void
send_json(struct client *c, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);

    if (text) {
        send_text(c, text, strlen(text));
        free(text);
    }
}

static void
set_events(struct client *c, const char *prefix)
{
    struct con_live *live = c->live;
    int had = c->events != NULL;

    free(c->events);
    c->events = prefix ? strdup(prefix) : NULL;
    if (had != (c->events != NULL)) {
        live->n_event_clients += c->events ? 1 : (size_t)-1;
        if (live->hooks.events_wanted) {
            live->hooks.events_wanted(live->hooks.arg, live->n_event_clients);
        }
    }
}

static void
set_watch(struct client *c, int on, uint64_t dpid)
{
    struct con_live *live = c->live;

    if (c->has_watch && live->hooks.watch) {
        live->hooks.watch(live->hooks.arg, c->watching, 0);
    }
    c->has_watch = on;
    c->watching = on ? dpid : 0;
    if (on && live->hooks.watch) {
        live->hooks.watch(live->hooks.arg, dpid, 1);
    }
}

static void
client_free(struct client *c)
{
    struct con_live *live = c->live;

    set_events(c, NULL);
    set_watch(c, 0, 0);
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        live->clients = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    live->n_clients--;
    px_ws_destroy(c->ws);
    free(c);
}

static void
on_message(struct px_ws *ws, int binary, const uint8_t *data, size_t len,
           void *c_)
{
    struct client *c = c_;
    json_error_t jerr;
    json_t *msg, *v;
    const char *op;
    uint64_t dpid;

    (void)ws;
    msg = binary ? NULL : json_loadb((const char *)data, len, 0, &jerr);
    op = msg ? json_string_value(json_object_get(msg, "op")) : NULL;
    if (op && !strcmp(op, "events")) {
        v = json_object_get(msg, "prefix");
        if (json_is_string(v) && json_string_length(v) <= 128) {
            set_events(c, json_string_value(v));
        } else if (json_is_null(v) || !v) {
            set_events(c, NULL);
        } else {
            op = NULL;
        }
    } else if (op && !strcmp(op, "watch")) {
        v = json_object_get(msg, "dpid");
        if (json_is_string(v) &&
            !px_of_dpid_parse(json_string_value(v), &dpid)) {
            set_watch(c, 1, dpid);
        } else if (json_is_null(v) || !v) {
            set_watch(c, 0, 0);
        } else {
            op = NULL;
        }
    } else {
        op = NULL;
    }
    if (!op) {
        c->live->stats.bad_requests++;
        px_log_rl(c->live->p, &c->live->rl, PX_LOG_INFO,
                  "a console client sent a message that is not a known "
                  "request: ignored");
    }
    json_decref(msg);
}

static void
on_drain(struct px_ws *ws, void *c_)
{
    struct client *c = c_;
    uint64_t skipped = c->skipped;
    json_t *msg;

    (void)ws;
    if (!skipped) {
        return;
    }
    c->skipped = 0;
    msg = json_pack("{s:s,s:I,s:I,s:f}", "type", "skipped", "count",
                    (json_int_t)skipped, "seq", (json_int_t)c->live->seq, "t",
                    con_wall_now());
    if (msg) {
        send_json(c, msg);
    }
    json_decref(msg);
}

static void
on_close(struct px_ws *ws, enum px_ws_close_reason reason, void *c_)
{
    struct client *c = c_;

    (void)ws;
    px_debug(c->live->p, "console client gone: %s",
             px_ws_close_reason_name(reason));
    client_free(c);
}

static const struct px_ws_callbacks callbacks = {
    .on_message = on_message,
    .on_drain = on_drain,
    .on_close = on_close,
};

static struct ring_entry *
ring_at(struct con_live *live, size_t i)
{
    return &live->ring[(live->head + i) % live->cfg.ring_msgs];
}

static void
ring_drop_oldest(struct con_live *live)
{
    struct ring_entry *e = ring_at(live, 0);

    live->bytes -= e->len;
    free(e->key);
    free(e->text);
    memset(e, 0, sizeof *e);
    live->head = (live->head + 1) % live->cfg.ring_msgs;
    live->count--;
    live->stats.ring_evicted++;
}

static void
ring_push(struct con_live *live, enum con_live_kind kind, const char *key,
          char *text, size_t len)
{
    struct ring_entry *e;

    while (live->count && (live->count == live->cfg.ring_msgs ||
                           live->bytes + len > live->cfg.ring_bytes)) {
        ring_drop_oldest(live);
    }
    if (len > live->cfg.ring_bytes) {
        free(text);
        return;
    }
    e = ring_at(live, live->count);
    e->seq = live->seq;
    e->kind = kind;
    e->key = key ? strdup(key) : NULL;
    e->text = text;
    e->len = len;
    live->bytes += len;
    live->count++;
}

void
con_live_accept(struct con_live *live, int fd, const void *early,
                size_t early_len, const char *query_since)
{
    struct px_ws_config wcfg = {
        .max_message = 4096,
        .max_queued = live->cfg.client_queue,
        .ping_interval = live->cfg.ping_interval,
        .idle_timeout = live->cfg.idle_timeout,
    };
    struct client *c;
    uint64_t since = 0;
    int resumed = 0, error;
    json_t *hello;
    size_t i;

    if (live->n_clients >= live->cfg.max_clients) {
        live->stats.clients_refused++;
        px_log_rl(live->p, &live->rl, PX_LOG_WARN,
                  "console: %zu clients already: one more refused",
                  live->n_clients);
        /* A session only to say why: 1013, try again later. */
        c = NULL;
        close(fd);
        return;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->live = live;
    error = px_ws_start(live->p, fd, early, early_len, &wcfg, &callbacks, c,
                        &c->ws);
    if (error) {
        px_log_rl(live->p, &live->rl, PX_LOG_WARN,
                  "console: cannot start a WebSocket: %s", strerror(error));
        free(c);
        return;
    }
    c->next = live->clients;
    if (live->clients) {
        live->clients->prev = c;
    }
    live->clients = c;
    live->n_clients++;
    live->stats.clients_accepted++;

    if (query_since && *query_since) {
        char *end;

        since = strtoull(query_since, &end, 10);
        /* Resumable when every message after 'since' is still in the
         * ring (or there is none). */
        resumed = !*end && since <= live->seq &&
                  (since == live->seq ||
                   (live->count && ring_at(live, 0)->seq <= since + 1));
    }
    live->stats.resumed += resumed;
    live->stats.resets += query_since && *query_since && !resumed;
    hello = json_pack("{s:s,s:I,s:f,s:b}", "type", "hello", "seq",
                      (json_int_t)live->seq, "t", con_wall_now(), "resumed",
                      resumed);
    if (hello) {
        send_json(c, hello);
    }
    json_decref(hello);
    for (i = 0; resumed && i < live->count; i++) {
        struct ring_entry *e = ring_at(live, i);

        if (e->seq > since && wants(c, e->kind, e->key)) {
            send_text(c, e->text, e->len);
        }
    }
}

void
con_live_broadcast(struct con_live *live, enum con_live_kind kind,
                   const char *key, json_t *msg)
{
    struct client *c, *next;
    char *text;
    size_t len;

    live->seq++;
    json_object_set_new(msg, "seq", json_integer((json_int_t)live->seq));
    json_object_set_new(msg, "t", json_real(con_wall_now()));
    text = json_dumps(msg, JSON_COMPACT);
    if (!text) {
        return;
    }
    len = strlen(text);
    live->stats.messages++;
    for (c = live->clients; c; c = next) {
        next = c->next;
        if (wants(c, kind, key)) {
            send_text(c, text, len);
        }
    }
    /* Event summaries are a sample of a stream, not state: a client that
     * reconnects asks for the stream again rather than replaying it. */
    if (kind == CON_LIVE_EVENT) {
        free(text);
        return;
    }
    ring_push(live, kind, key, text, len);
}

int
con_live_create(struct px_plugin *p, const struct con_live_config *cfg,
                const struct con_live_hooks *hooks, struct con_live **out)
{
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct con_live *live = calloc(1, sizeof *live);

    if (!live || !cfg->ring_msgs) {
        free(live);
        return live ? EINVAL : ENOMEM;
    }
    live->p = p;
    live->cfg = *cfg;
    live->hooks = *hooks;
    live->rl = rl;
    live->ring = calloc(cfg->ring_msgs, sizeof *live->ring);
    if (!live->ring) {
        free(live);
        return ENOMEM;
    }
    *out = live;
    return 0;
}

void
con_live_destroy(struct con_live *live)
{
    if (!live) {
        return;
    }
    /* The hooks are the console's, which is going too. */
    memset(&live->hooks, 0, sizeof live->hooks);
    while (live->clients) {
        client_free(live->clients);
    }
    while (live->count) {
        ring_drop_oldest(live);
    }
    free(live->ring);
    free(live);
}

void
con_live_get_stats(const struct con_live *live, struct con_live_stats *stats)
{
    *stats = live->stats;
    stats->clients = live->n_clients;
}
