/*
 * switchwatch: a test plugin for the console's switch statistics
 * (plugins/console/con_switch.c, compiled in here), for the tests that
 * compare its switch_stats messages with what ovs-ofctl reports.
 *
 * It watches every switch it learns of (openflow.inventory in init, then
 * openflow.switch_up), once each, with a round every 'interval' seconds,
 * keeps how many messages each switch had and logs one line per message
 * (DPID as 16 hex digits):
 *   switchwatch: DPID message N: P ports, F flows, G groups, M meters
 * The control command "switchwatch" answers, as JSON:
 *   {"switches": [{"dpid": DPID, "messages": N, "last": MESSAGE}...],
 *    "stats": {"watched", "requests", "requests_by_kind": {KIND: N...},
 *              "replies", "refused", "gone", "kinds_disabled", "rounds",
 *              "rounds_skipped", "rounds_abandoned", "watch_refused",
 *              "flows_omitted"}}
 * and "switchwatch unwatch DPID" stops watching a switch (16 hex digits).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../plugins/console/con_switch.c"

#define SW_MAX CON_SWITCH_MAX_WATCHED

struct switchwatch {
    struct px_plugin *p;
    struct con_switch *cs;
    char reply_to[128];
    struct px_topic *t_inventory;
    uint64_t dpids[SW_MAX]; /* Switches watched, and their messages. */
    uint64_t messages[SW_MAX];
    size_t n;
};

static const struct px_config_key switchwatch_keys[] = {
    {.key = "interval",
     .type = PX_CONFIG_DURATION,
     .default_value = "2",
     .min = 0.01,
     .max = 3600,
     .help = "seconds between rounds of statistics requests"},
    {.key = NULL},
};

static void
watch(struct switchwatch *w, uint64_t dpid)
{
    size_t i;

    for (i = 0; i < w->n; i++) {
        if (w->dpids[i] == dpid) {
            return;
        }
    }
    if (w->n < SW_MAX && !con_switch_watch(w->cs, dpid, 1)) {
        w->dpids[w->n] = dpid;
        w->messages[w->n++] = 0;
    }
}

static void
on_message(void *w_, json_t *msg)
{
    struct switchwatch *w = w_;
    const char *text = json_string_value(json_object_get(msg, "dpid"));
    uint64_t dpid = 0;
    unsigned int b[8];
    size_t i;

    if (text && sscanf(text, "%x:%x:%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2],
                       &b[3], &b[4], &b[5], &b[6], &b[7]) == 8) {
        for (i = 0; i < 8; i++) {
            dpid = dpid << 8 | (b[i] & 0xff);
        }
    }
    for (i = 0; i < w->n; i++) {
        if (w->dpids[i] == dpid) {
            w->messages[i]++;
            px_info(w->p,
                    "%016" PRIx64 " message %" PRIu64
                    ": %zu ports, %zu flows, %zu groups, %zu meters",
                    dpid, w->messages[i],
                    json_array_size(json_object_get(msg, "ports")),
                    json_array_size(json_object_get(msg, "flows")),
                    json_array_size(json_object_get(msg, "groups")),
                    json_array_size(json_object_get(msg, "meters")));
        }
    }
}

static json_t *
stats_json(const struct con_switch *cs)
{
    struct con_switch_stats st;
    json_t *kinds = json_object();
    int k;

    con_switch_get_stats(cs, &st);
    for (k = 0; k < CON_SWITCH_N_KINDS; k++) {
        json_object_set_new(kinds,
                            con_switch_kind_name((enum con_switch_kind)k),
                            json_integer((json_int_t)st.requests_by_kind[k]));
    }
    return json_pack(
        "{s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "watched",
        (json_int_t)st.watched, "requests", (json_int_t)st.requests,
        "requests_by_kind", kinds, "replies", (json_int_t)st.replies,
        "refused", (json_int_t)st.refused, "gone", (json_int_t)st.gone,
        "kinds_disabled", (json_int_t)st.kinds_disabled, "rounds",
        (json_int_t)st.rounds, "rounds_skipped", (json_int_t)st.rounds_skipped,
        "rounds_abandoned", (json_int_t)st.rounds_abandoned, "watch_refused",
        (json_int_t)st.watch_refused, "flows_omitted",
        (json_int_t)st.flows_omitted);
}

static int
cmd_switchwatch(struct px_plugin *p, int argc, const char *const *argv,
                struct px_reply *r, void *arg)
{
    struct switchwatch *w = arg;
    json_t *list = json_array(), *data;
    char *text;
    size_t i;
    int error;

    (void)p;
    if (argc == 3 && !strcmp(argv[1], "unwatch")) {
        uint64_t dpid = strtoull(argv[2], NULL, 16);

        for (i = 0; i < w->n; i++) {
            if (w->dpids[i] == dpid) {
                w->dpids[i] = w->dpids[--w->n];
                w->messages[i] = w->messages[w->n];
                break;
            }
        }
        error = con_switch_watch(w->cs, dpid, 0);
        px_reply_printf(r, "unwatch %016" PRIx64 ": %s\n", dpid,
                        strerror(error));
        json_decref(list);
        return error;
    }
    if (argc != 1) {
        px_reply_error(r, "usage: switchwatch [unwatch DPID]");
        json_decref(list);
        return EINVAL;
    }
    for (i = 0; i < w->n; i++) {
        json_t *last = con_switch_last(w->cs, w->dpids[i]);
        char dpid[17];

        snprintf(dpid, sizeof dpid, "%016" PRIx64, w->dpids[i]);
        json_array_append_new(
            list, json_pack("{s:s,s:I,s:O?}", "dpid", dpid, "messages",
                            (json_int_t)w->messages[i], "last", last));
        px_reply_printf(r, "%s: %" PRIu64 " messages\n", dpid, w->messages[i]);
    }
    data =
        json_pack("{s:o,s:o}", "switches", list, "stats", stats_json(w->cs));
    text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!text) {
        return ENOMEM;
    }
    error = px_reply_json(r, text);
    free(text);
    return error;
}

/* The inventory's replies, during init's publish. */
static int
on_inventory_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_reply *r = ev->payload;

    (void)p;
    if (ev->len >= sizeof *r && r->type == PX_OF_REPLY_SWITCH) {
        watch(arg, r->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_of_switch *sw = ev->payload;

    (void)p;
    if (ev->len >= sizeof *sw) {
        watch(arg, sw->dpid);
    }
    return PX_EVENT_CONTINUE;
}

static void
switchwatch_free(struct switchwatch *w)
{
    if (w) {
        con_switch_destroy(w->cs);
        free(w);
    }
}

static int
switchwatch_init(struct px_plugin *p)
{
    struct switchwatch *w = calloc(1, sizeof *w);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_inventory req;
    struct px_sub *collector = NULL;
    double interval;
    int error;

    if (!w) {
        return ENOMEM;
    }
    w->p = p;
    px_set_data(p, w);
    snprintf(w->reply_to, sizeof w->reply_to, "%s.openflow",
             px_instance_name(p));
    if ((error = px_config_double(p, "interval", &interval)) ||
        (error = con_switch_create(p, interval, on_message, w, &w->cs)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_up, w, NULL)) ||
        (error =
             px_subscribe(p, w->reply_to, PX_TOPIC_OF_VERSION, PX_PRIO_DEFAULT,
                          on_inventory_reply, w, &collector)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &w->t_inventory)) ||
        (error = px_command_register(
             p, "switchwatch", "[unwatch DPID]",
             "the last switch_stats message of every switch", 0, 2,
             cmd_switchwatch, w, NULL))) {
        px_set_data(p, NULL);
        switchwatch_free(w);
        return error;
    }
    req = (struct px_of_inventory){
        .reply_to = w->reply_to, .request_id = 1, .outcome = &outcome};
    px_publish(p, w->t_inventory, &req, sizeof req);
    px_unsubscribe(p, collector);
    px_info(p, "watching %zu switches, a round every %.3g s", w->n, interval);
    return 0;
}

static void
switchwatch_fini(struct px_plugin *p)
{
    switchwatch_free(px_get_data(p));
}

PX_PLUGIN_DEFINE(.name = "switchwatch", .version = "1.0",
                 .description = "test: the console's switch_stats messages "
                                "for every switch",
                 .config_keys = switchwatch_keys, .init = switchwatch_init,
                 .fini = switchwatch_fini);
