/*
 * Unit tests of the console's switch statistics (plugins/console/
 * con_switch.c) against a fake host of its own: the fake records every
 * openflow.stats request (and tells the outcome a test chose), answers
 * openflow.inventory from a table of switches, keeps the timer for the
 * test to fire, and lets the test set the clock and deliver replies,
 * switch_up, switch_down and port_status.  Checked: the kinds a round
 * asks of 1.0 and 1.3 switches, the message built from replies that come
 * in any order (ports in order with their names, flows in the order a
 * switch applies them with ovs-ofctl's text, groups and meters joined by
 * id), rates, kinds a switch refused not asked again until it
 * reconnects, rounds skipped and given up, stale replies ignored, the
 * flow bound, reference-counted watches and their bound, and a callback
 * that stops watching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>

#include "con_switch.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"

/* ---------------------------------------------------------------------- */
/* The fake host.                                                         */

#define MAX_SUBS     16
#define MAX_TOPICS   8
#define MAX_REQUESTS 256
#define MAX_SWITCHES 4

struct px_topic {
    char name[128];
};

struct px_sub {
    char pattern[128];
    px_event_fn fn;
    void *arg;
    int live;
};

struct px_timer {
    px_timer_fn fn;
    void *arg;
    double repeat;
    int live;
};

struct request {
    uint64_t dpid;
    uint32_t type;
    uint64_t request_id;
    char reply_to[128];
};

static struct {
    struct px_topic topics[MAX_TOPICS];
    size_t n_topics;
    struct px_sub subs[MAX_SUBS];
    size_t n_subs;
    struct px_timer timer;
    double now;
    struct request requests[MAX_REQUESTS];
    size_t n_requests;
    /* What openflow answers a stats request of each type (0: taken). */
    int outcome[16];
    /* The switches openflow.inventory tells. */
    struct px_of_switch switches[MAX_SWITCHES];
    size_t n_switches;
    char log[4096];
    /* Messages handed to the callback: copies, and how many. */
    json_t *messages;
    /* Set: the next callback stops watching this switch. */
    uint64_t unwatch_in_callback;
    /* Set: a stats request is answered (empty) before its publish
     * returns. */
    int answer_in_publish;
} fh;

static struct con_switch *cs_under_test;

static int
api_topic_declare(struct px_plugin *p, const char *topic, uint32_t version,
                  struct px_topic **out)
{
    size_t i;

    (void)p;
    (void)version;
    for (i = 0; i < fh.n_topics; i++) {
        if (!strcmp(fh.topics[i].name, topic)) {
            *out = &fh.topics[i];
            return 0;
        }
    }
    assert_true(fh.n_topics < MAX_TOPICS);
    snprintf(fh.topics[fh.n_topics].name, sizeof fh.topics[0].name, "%s",
             topic);
    *out = &fh.topics[fh.n_topics++];
    return 0;
}

static int
api_subscribe(struct px_plugin *p, const char *pattern, uint32_t min_version,
              int priority, px_event_fn fn, void *arg, struct px_sub **out)
{
    struct px_sub *s;

    (void)p;
    (void)min_version;
    (void)priority;
    assert_true(fh.n_subs < MAX_SUBS);
    s = &fh.subs[fh.n_subs++];
    snprintf(s->pattern, sizeof s->pattern, "%s", pattern);
    s->fn = fn;
    s->arg = arg;
    s->live = 1;
    if (out) {
        *out = s;
    }
    return 0;
}

static void
api_unsubscribe(struct px_plugin *p, struct px_sub *sub)
{
    (void)p;
    sub->live = 0;
}

static struct px_plugin plugin;

/* Delivers an event of 'topic' to the live subscriptions to it. */
static void
deliver(const char *topic, const void *payload, size_t len)
{
    struct px_event ev = {.topic = topic,
                          .publisher = "openflow",
                          .version = PX_TOPIC_OF_VERSION,
                          .payload = payload,
                          .len = len};
    size_t i;

    for (i = 0; i < fh.n_subs; i++) {
        if (fh.subs[i].live && !strcmp(fh.subs[i].pattern, topic)) {
            fh.subs[i].fn(&plugin, &ev, fh.subs[i].arg);
        }
    }
}

static int
api_publish(struct px_plugin *p, struct px_topic *topic, const void *payload,
            size_t len)
{
    (void)p;
    if (!strcmp(topic->name, PX_TOPIC_OF_STATS)) {
        const struct px_of_stats_request *rq = payload;
        struct request *r;

        assert_int_equal(len, sizeof *rq);
        assert_true(fh.n_requests < MAX_REQUESTS);
        assert_int_equal(rq->table_id, PX_OF_TABLE_ALL);
        assert_int_equal(rq->port_no, PX_OF_PORT_ANY);
        assert_int_equal(rq->n_fields, 0);
        r = &fh.requests[fh.n_requests++];
        r->dpid = rq->dpid;
        r->type = rq->type;
        r->request_id = rq->request_id;
        snprintf(r->reply_to, sizeof r->reply_to, "%s", rq->reply_to);
        rq->outcome->code = fh.outcome[rq->type];
        rq->outcome->cause = fh.outcome[rq->type] ? "refused" : NULL;
        if (fh.answer_in_publish && !rq->outcome->code) {
            struct px_of_stats st = {.type = rq->type};
            struct px_of_reply rp = {.request_id = rq->request_id,
                                     .dpid = rq->dpid,
                                     .type = PX_OF_REPLY_STATS,
                                     .stats = &st};

            deliver(rq->reply_to, &rp, sizeof rp);
        }
        return 0;
    }
    if (!strcmp(topic->name, PX_TOPIC_OF_INVENTORY)) {
        const struct px_of_inventory *rq = payload;
        struct px_of_reply r;
        size_t i;

        for (i = 0; i < fh.n_switches; i++) {
            memset(&r, 0, sizeof r);
            r.request_id = rq->request_id;
            r.dpid = fh.switches[i].dpid;
            r.type = PX_OF_REPLY_SWITCH;
            r.sw = &fh.switches[i];
            deliver(rq->reply_to, &r, sizeof r);
        }
        memset(&r, 0, sizeof r);
        r.request_id = rq->request_id;
        r.type = PX_OF_REPLY_DONE;
        r.count = (uint32_t)fh.n_switches;
        deliver(rq->reply_to, &r, sizeof r);
        rq->outcome->code = 0;
        return 0;
    }
    fail_msg("publish on %s", topic->name);
    return 0;
}

static int
api_timer_start(struct px_plugin *p, double after, double repeat,
                px_timer_fn fn, void *arg, struct px_timer **out)
{
    (void)p;
    (void)after;
    assert_false(fh.timer.live);
    fh.timer.fn = fn;
    fh.timer.arg = arg;
    fh.timer.repeat = repeat;
    fh.timer.live = 1;
    *out = &fh.timer;
    return 0;
}

static void
api_timer_stop(struct px_plugin *p, struct px_timer *t)
{
    (void)p;
    t->live = 0;
}

static double
api_now(struct px_plugin *p)
{
    (void)p;
    return fh.now;
}

static int
api_log_enabled(struct px_plugin *p, enum px_log_level level)
{
    (void)p;
    (void)level;
    return 1;
}

static void
api_vlog(struct px_plugin *p, enum px_log_level level, const char *fmt,
         va_list args)
{
    size_t len = strlen(fh.log);

    (void)p;
    (void)level;
    if (len + 2 < sizeof fh.log) {
        vsnprintf(fh.log + len, sizeof fh.log - len - 1, fmt, args);
        strcat(fh.log, "\n");
    }
}

static const char *
api_instance_name(struct px_plugin *p)
{
    (void)p;
    return "console";
}

static const struct px_host_api api = {
    .abi_major = PX_ABI_MAJOR,
    .abi_minor = PX_ABI_MINOR,
    .size = sizeof(struct px_host_api),
    .topic_declare = api_topic_declare,
    .subscribe = api_subscribe,
    .unsubscribe = api_unsubscribe,
    .publish = api_publish,
    .timer_start = api_timer_start,
    .timer_stop = api_timer_stop,
    .now = api_now,
    .log_enabled = api_log_enabled,
    .vlog = api_vlog,
    .instance_name = api_instance_name,
};

static void
on_message(void *arg, json_t *msg)
{
    assert_ptr_equal(arg, &fh);
    /* The callback may add members, as the console adds its sequence. */
    json_object_set_new(msg, "seq", json_integer(1));
    json_array_append_new(fh.messages, json_deep_copy(msg));
    if (fh.unwatch_in_callback) {
        assert_int_equal(
            con_switch_watch(cs_under_test, fh.unwatch_in_callback, 0), 0);
        fh.unwatch_in_callback = 0;
    }
}

static int
setup(void **state)
{
    (void)state;
    memset(&fh, 0, sizeof fh);
    fh.now = 1000.0;
    fh.messages = json_array();
    plugin.api = &api;
    plugin.data = NULL;
    assert_int_equal(
        con_switch_create(&plugin, 2.0, on_message, &fh, &cs_under_test), 0);
    assert_true(fh.timer.live);
    assert_true(fh.timer.repeat == 2.0);
    return 0;
}

static int
teardown(void **state)
{
    size_t i;

    (void)state;
    con_switch_destroy(cs_under_test);
    cs_under_test = NULL;
    assert_false(fh.timer.live);
    for (i = 0; i < fh.n_subs; i++) {
        assert_false(fh.subs[i].live);
    }
    json_decref(fh.messages);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Helpers.                                                               */

static const struct px_of_port ports1[] = {
    {.port_no = 2, .name = "s1-eth2"},
    {.port_no = PX_OF_PORT_LOCAL, .name = "s1"},
    {.port_no = 1, .name = "s1-eth1"},
};

/* Adds a switch to what openflow.inventory tells. */
static const struct px_of_switch *
add_switch(uint64_t dpid, uint8_t version)
{
    struct px_of_switch *s = &fh.switches[fh.n_switches++];

    memset(s, 0, sizeof *s);
    s->dpid = dpid;
    s->version = version;
    s->ports = ports1;
    s->n_ports = sizeof ports1 / sizeof ports1[0];
    return s;
}

static void
tick(void)
{
    fh.timer.fn(&plugin, &fh.timer, fh.timer.arg);
}

/* The request of 'type' for 'dpid' among those from 'from' on, or NULL. */
static const struct request *
find_request(size_t from, uint64_t dpid, uint32_t type)
{
    size_t i;

    for (i = from; i < fh.n_requests; i++) {
        if (fh.requests[i].dpid == dpid && fh.requests[i].type == type) {
            return &fh.requests[i];
        }
    }
    return NULL;
}

/* The types asked from 'from' on, as a bit set. */
static unsigned int
types_asked(size_t from)
{
    unsigned int bits = 0;
    size_t i;

    for (i = from; i < fh.n_requests; i++) {
        bits |= 1u << fh.requests[i].type;
    }
    return bits;
}

#define T(X) (1u << PX_OF_STATS_##X)
#define ALL_13                                                                \
    (T(PORT) | T(FLOW) | T(GROUP_DESC) | T(GROUP) | T(METER) | T(METER_CONFIG))
#define ONLY_10 (T(PORT) | T(FLOW))

static void
reply(const struct request *rq, uint32_t type, const struct px_of_stats *st,
      const struct px_of_error *error)
{
    struct px_of_reply r;

    assert_non_null(rq);
    memset(&r, 0, sizeof r);
    r.request_id = rq->request_id;
    r.dpid = rq->dpid;
    r.type = type;
    r.stats = st;
    r.error = error;
    r.cause = type == PX_OF_REPLY_GONE ? "connection closed" : NULL;
    deliver(rq->reply_to, &r, sizeof r);
}

static void
reply_stats(const struct request *rq, const struct px_of_stats *st)
{
    reply(rq, PX_OF_REPLY_STATS, st, NULL);
}

static void
reply_error(const struct request *rq)
{
    static const struct px_of_error error = {.type = 1, .code = 2};

    reply(rq, PX_OF_REPLY_ERROR, NULL, &error);
}

/* Port statistics: each port 'k' times (port number) packets... */
static void
reply_ports(const struct request *rq, uint64_t k)
{
    struct px_of_port_stats ps[3];
    struct px_of_stats st = {.type = PX_OF_STATS_PORT, .n = 3, .ports = ps};
    size_t i;

    memset(ps, 0, sizeof ps);
    ps[0].port_no = PX_OF_PORT_LOCAL;
    ps[1].port_no = 2;
    ps[2].port_no = 1;
    for (i = 0; i < 3; i++) {
        uint64_t n = ps[i].port_no == PX_OF_PORT_LOCAL ? 7 : ps[i].port_no;

        ps[i].rx_packets = k * n;
        ps[i].tx_packets = 2 * k * n;
        ps[i].rx_bytes = 100 * k * n;
        ps[i].tx_bytes = 200 * k * n;
        ps[i].rx_dropped = 0;
        ps[i].tx_dropped = UINT64_MAX;
        ps[i].rx_errors = 1;
        ps[i].tx_errors = 2;
    }
    reply_stats(rq, &st);
}

/* Answers requests 'from' to 'to' - 1 with empty statistics. */
static void
reply_empty(size_t from, size_t to)
{
    size_t i;

    for (i = from; i < to; i++) {
        struct px_of_stats st = {.type = fh.requests[i].type};

        reply_stats(&fh.requests[i], &st);
    }
}

/* Answers every request from 'from' on with empty statistics. */
static void
reply_all_empty(size_t from)
{
    reply_empty(from, fh.n_requests);
}

static json_t *
last_message(void)
{
    size_t n = json_array_size(fh.messages);

    assert_true(n > 0);
    return json_array_get(fh.messages, n - 1);
}

static json_int_t
int_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static double
real_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_true(json_is_real(v));
    return json_real_value(v);
}

static const char *
str_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_true(json_is_string(v));
    return json_string_value(v);
}

/* ---------------------------------------------------------------------- */
/* Tests.                                                                 */

/* A 1.3 switch watched: one round at once, of every kind; its replies in
 * any order make one message. */
static void
test_round_13(void **state)
{
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x09};
    struct px_of_field m1[2], m2[1], set_dst;
    struct px_of_action out1 = {.type = PX_OF_ACTION_OUTPUT, .port = 1};
    struct px_of_action acts[2];
    struct px_of_instruction in1[2], in_miss[1];
    struct px_of_flow_stats flows[4];
    struct px_of_bucket buckets[2];
    struct px_of_group_desc gd[2];
    struct px_of_counter counts[1] = {{.packet_count = 4, .byte_count = 40}};
    struct px_of_group_stats gs[2];
    struct px_of_meter_stats ms[1];
    struct px_of_meter_band band = {
        .type = PX_OF_BAND_DROP, .rate = 1000, .burst_size = 100};
    struct px_of_meter_config mc[1];
    struct px_of_stats st;
    json_t *msg, *list, *e;

    (void)state;
    add_switch(1, PX_OF_VERSION_13);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    assert_int_equal(types_asked(0), ALL_13);
    assert_int_equal(fh.n_requests, 6);
    assert_string_equal(fh.requests[0].reply_to, "console.con_switch");

    /* Meter configuration, flows, ports, group statistics, meters, group
     * descriptions: the message comes with the last. */
    memset(mc, 0, sizeof mc);
    mc[0].meter_id = 3;
    mc[0].flags = PX_OF_METER_KBPS | PX_OF_METER_BURST;
    mc[0].n_bands = 1;
    mc[0].bands = &band;
    st = (struct px_of_stats){
        .type = PX_OF_STATS_METER_CONFIG, .n = 1, .meter_configs = mc};
    reply_stats(find_request(0, 1, PX_OF_STATS_METER_CONFIG), &st);

    memset(flows, 0, sizeof flows);
    m1[0] = px_of_field_u64(PX_OF_F_IN_PORT, 3);
    m1[1] = px_of_field_bytes(PX_OF_F_ETH_DST, mac, NULL);
    m2[0] = px_of_field_u64_masked(PX_OF_F_IPV4_DST, 0x0a000100, 0xffffff00);
    set_dst = px_of_field_bytes(PX_OF_F_ETH_DST, mac, NULL);
    memset(acts, 0, sizeof acts);
    acts[0].type = PX_OF_ACTION_SET_FIELD;
    acts[0].field = &set_dst;
    acts[1].type = PX_OF_ACTION_GROUP;
    acts[1].arg = 5;
    memset(in1, 0, sizeof in1);
    in1[0].type = PX_OF_INSTR_APPLY_ACTIONS;
    in1[0].n_actions = 2;
    in1[0].actions = acts;
    in1[1].type = PX_OF_INSTR_GOTO_TABLE;
    in1[1].table_id = 1;
    memset(in_miss, 0, sizeof in_miss);
    in_miss[0].type = PX_OF_INSTR_APPLY_ACTIONS;
    in_miss[0].n_actions = 1;
    in_miss[0].actions = &out1;
    /* Table 1 first, then the table-miss, then two of priority 100. */
    flows[0].table_id = 1;
    flows[0].priority = 5;
    flows[1].priority = 0;
    flows[1].n_instructions = 1;
    flows[1].instructions = in_miss;
    flows[2].priority = 100;
    flows[2].cookie = 0x13;
    flows[2].n_match = 2;
    flows[2].match = m1;
    flows[2].n_instructions = 2;
    flows[2].instructions = in1;
    flows[2].packet_count = 12;
    flows[2].byte_count = 1200;
    flows[2].duration_sec = 3;
    flows[2].duration_nsec = 500000000;
    flows[2].idle_timeout = 60;
    flows[2].hard_timeout = 600;
    flows[3].priority = 100;
    flows[3].n_match = 1;
    flows[3].match = m2;
    flows[3].packet_count = UINT64_MAX;
    st =
        (struct px_of_stats){.type = PX_OF_STATS_FLOW, .n = 4, .flows = flows};
    reply_stats(find_request(0, 1, PX_OF_STATS_FLOW), &st);

    reply_ports(find_request(0, 1, PX_OF_STATS_PORT), 10);

    memset(gs, 0, sizeof gs);
    gs[0].group_id = 9; /* Statistics without a description. */
    gs[0].packet_count = 1;
    gs[0].byte_count = 2;
    gs[1].group_id = 5;
    gs[1].packet_count = 4;
    gs[1].byte_count = 40;
    gs[1].n_buckets = 1;
    gs[1].buckets = counts;
    st = (struct px_of_stats){.type = PX_OF_STATS_GROUP, .n = 2, .groups = gs};
    reply_stats(find_request(0, 1, PX_OF_STATS_GROUP), &st);

    memset(ms, 0, sizeof ms);
    ms[0].meter_id = 3;
    ms[0].flow_count = 2;
    ms[0].packet_in_count = 30;
    ms[0].byte_in_count = 3000;
    ms[0].n_bands = 1;
    ms[0].bands = counts;
    st = (struct px_of_stats){.type = PX_OF_STATS_METER, .n = 1, .meters = ms};
    reply_stats(find_request(0, 1, PX_OF_STATS_METER), &st);
    assert_int_equal(json_array_size(fh.messages), 0);

    memset(buckets, 0, sizeof buckets);
    buckets[0].n_actions = 1;
    buckets[0].actions = &out1;
    buckets[1].n_actions = 2;
    buckets[1].actions = acts;
    memset(gd, 0, sizeof gd);
    gd[0].group_id = 7; /* A description without statistics. */
    gd[0].type = PX_OF_GROUP_INDIRECT;
    gd[0].n_buckets = 1;
    gd[0].buckets = buckets;
    gd[1].group_id = 5;
    gd[1].type = PX_OF_GROUP_ALL;
    gd[1].n_buckets = 2;
    gd[1].buckets = buckets;
    st = (struct px_of_stats){
        .type = PX_OF_STATS_GROUP_DESC, .n = 2, .group_descs = gd};
    reply_stats(find_request(0, 1, PX_OF_STATS_GROUP_DESC), &st);
    assert_int_equal(json_array_size(fh.messages), 1);

    msg = last_message();
    assert_string_equal(str_at(msg, "type"), "switch_stats");
    assert_string_equal(str_at(msg, "dpid"), "00:00:00:00:00:00:00:01");
    assert_int_equal(int_at(msg, "flows_omitted"), 0);
    assert_null(json_object_get(msg, "ports_omitted"));

    /* Ports in number order, named, with nulls and first-round rates. */
    list = json_object_get(msg, "ports");
    assert_int_equal(json_array_size(list), 3);
    e = json_array_get(list, 0);
    assert_int_equal(int_at(e, "port_no"), 1);
    assert_string_equal(str_at(e, "name"), "s1-eth1");
    assert_int_equal(int_at(e, "rx_packets"), 10);
    assert_int_equal(int_at(e, "tx_bytes"), 2000);
    assert_int_equal(int_at(e, "rx_errors"), 1);
    assert_true(json_is_null(json_object_get(e, "tx_dropped")));
    assert_true(real_at(e, "rx_pps") == 0 && real_at(e, "tx_bps") == 0);
    assert_string_equal(str_at(json_array_get(list, 1), "name"), "s1-eth2");
    e = json_array_get(list, 2);
    assert_int_equal(int_at(e, "port_no"), PX_OF_PORT_LOCAL);
    assert_string_equal(str_at(e, "name"), "s1");

    /* Flows: table 0 by falling priority, in the switch's order within a
     * priority, then table 1. */
    list = json_object_get(msg, "flows");
    assert_int_equal(json_array_size(list), 4);
    e = json_array_get(list, 0);
    assert_int_equal(int_at(e, "table_id"), 0);
    assert_int_equal(int_at(e, "priority"), 100);
    assert_string_equal(str_at(e, "match"),
                        "in_port=3,dl_dst=02:00:00:00:00:09");
    assert_string_equal(str_at(e, "actions"),
                        "set_field:02:00:00:00:00:09->eth_dst,group:5,"
                        "goto_table:1");
    assert_string_equal(str_at(e, "cookie"), "0x13");
    assert_int_equal(int_at(e, "packets"), 12);
    assert_int_equal(int_at(e, "bytes"), 1200);
    assert_true(real_at(e, "age") == 3.5);
    assert_int_equal(int_at(e, "idle_timeout"), 60);
    assert_int_equal(int_at(e, "hard_timeout"), 600);
    e = json_array_get(list, 1);
    assert_string_equal(str_at(e, "match"), "nw_dst=10.0.1.0/24");
    assert_string_equal(str_at(e, "actions"), "drop");
    assert_string_equal(str_at(e, "cookie"), "0x0");
    assert_true(json_is_null(json_object_get(e, "packets")));
    e = json_array_get(list, 2);
    assert_int_equal(int_at(e, "priority"), 0);
    assert_string_equal(str_at(e, "match"), "");
    assert_string_equal(str_at(e, "actions"), "output:1");
    assert_int_equal(int_at(json_array_get(list, 3), "table_id"), 1);

    /* Groups by id: 5 with both, 7 without statistics, 9 without a
     * description. */
    list = json_object_get(msg, "groups");
    assert_int_equal(json_array_size(list), 3);
    e = json_array_get(list, 0);
    assert_int_equal(int_at(e, "group_id"), 5);
    assert_string_equal(str_at(e, "type"), "all");
    assert_int_equal(json_array_size(json_object_get(e, "buckets")), 2);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(e, "buckets"), 0)),
        "output:1");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(e, "buckets"), 1)),
        "set_field:02:00:00:00:00:09->eth_dst,group:5");
    assert_int_equal(int_at(e, "packets"), 4);
    assert_int_equal(int_at(e, "bytes"), 40);
    e = json_array_get(list, 1);
    assert_int_equal(int_at(e, "group_id"), 7);
    assert_string_equal(str_at(e, "type"), "indirect");
    assert_true(json_is_null(json_object_get(e, "packets")));
    e = json_array_get(list, 2);
    assert_int_equal(int_at(e, "group_id"), 9);
    assert_true(json_is_null(json_object_get(e, "type")));
    assert_int_equal(int_at(e, "bytes"), 2);

    /* The meter, its statistics and its configuration band by band. */
    list = json_object_get(msg, "meters");
    assert_int_equal(json_array_size(list), 1);
    e = json_array_get(list, 0);
    assert_int_equal(int_at(e, "meter_id"), 3);
    assert_int_equal(int_at(e, "flow_count"), 2);
    assert_int_equal(int_at(e, "packets"), 30);
    assert_int_equal(int_at(e, "bytes"), 3000);
    assert_string_equal(str_at(e, "unit"), "kbps");
    e = json_array_get(json_object_get(e, "bands"), 0);
    assert_string_equal(str_at(e, "type"), "drop");
    assert_int_equal(int_at(e, "rate"), 1000);
    assert_int_equal(int_at(e, "burst_size"), 100);
    assert_int_equal(int_at(e, "packets"), 4);
    assert_int_equal(int_at(e, "bytes"), 40);

    /* The last message is kept, with what the callback added. */
    assert_int_equal(int_at(con_switch_last(cs_under_test, 1), "seq"), 1);
    assert_null(con_switch_last(cs_under_test, 2));
    {
        struct con_switch_stats s;

        con_switch_get_stats(cs_under_test, &s);
        assert_int_equal(s.watched, 1);
        assert_int_equal(s.requests, 6);
        assert_int_equal(s.requests_by_kind[CON_SWITCH_METER_CONFIG], 1);
        assert_int_equal(s.replies, 6);
        assert_int_equal(s.rounds, 1);
        assert_int_equal(s.refused, 0);
    }
}

/* Rates: the counters' growth over the time between two port replies. */
static void
test_rates(void **state)
{
    size_t from;
    json_t *e;

    (void)state;
    add_switch(1, PX_OF_VERSION_10);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    assert_int_equal(types_asked(0), ONLY_10);
    reply_ports(find_request(0, 1, PX_OF_STATS_PORT), 10);
    reply_all_empty(1);
    assert_int_equal(json_array_size(fh.messages), 1);
    /* Not asked again before the next tick. */
    assert_int_equal(fh.n_requests, 2);

    fh.now += 2.0;
    from = fh.n_requests;
    tick();
    assert_int_equal(types_asked(from), ONLY_10);
    reply_ports(find_request(from, 1, PX_OF_STATS_PORT), 30);
    reply_all_empty(from + 1);
    assert_int_equal(json_array_size(fh.messages), 2);
    /* Port 2: rx_packets 20 -> 60 in 2 s is 20/s, tx 80 -> 240 bytes... */
    e = json_array_get(json_object_get(last_message(), "ports"), 1);
    assert_int_equal(int_at(e, "port_no"), 2);
    assert_true(real_at(e, "rx_pps") == 20.0);
    assert_true(real_at(e, "tx_pps") == 40.0);
    assert_true(real_at(e, "rx_bps") == 8 * 2000.0);
    assert_true(real_at(e, "tx_bps") == 8 * 4000.0);
    /* 1.0: no groups, no meters; an empty flow table. */
    assert_int_equal(
        json_array_size(json_object_get(last_message(), "groups")), 0);
    assert_int_equal(
        json_array_size(json_object_get(last_message(), "meters")), 0);
    assert_int_equal(json_array_size(json_object_get(last_message(), "flows")),
                     0);

    /* Counters that went backwards (the port was recreated): 0, not a
     * negative rate. */
    fh.now += 2.0;
    from = fh.n_requests;
    tick();
    reply_ports(find_request(from, 1, PX_OF_STATS_PORT), 5);
    reply_all_empty(from + 1);
    e = json_array_get(json_object_get(last_message(), "ports"), 1);
    assert_true(real_at(e, "rx_pps") == 0);

    /* After the switch reconnects, the first round has no rates. */
    deliver(PX_TOPIC_OF_SWITCH_DOWN, &fh.switches[0], sizeof fh.switches[0]);
    deliver(PX_TOPIC_OF_SWITCH_UP, &fh.switches[0], sizeof fh.switches[0]);
    fh.now += 2.0;
    from = fh.n_requests;
    tick();
    reply_ports(find_request(from, 1, PX_OF_STATS_PORT), 50);
    reply_all_empty(from + 1);
    e = json_array_get(json_object_get(last_message(), "ports"), 1);
    assert_true(real_at(e, "rx_pps") == 0);
}

/* A kind the switch refuses (its ERROR, or openflow's EOPNOTSUPP) is not
 * asked again until the switch reconnects. */
static void
test_refused_kinds(void **state)
{
    struct con_switch_stats s;
    size_t from;

    (void)state;
    add_switch(1, PX_OF_VERSION_13);
    fh.outcome[PX_OF_STATS_GROUP] = EOPNOTSUPP;
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    assert_int_equal(types_asked(0), ALL_13);
    reply_error(find_request(0, 1, PX_OF_STATS_METER));
    reply_error(find_request(0, 1, PX_OF_STATS_METER_CONFIG));
    reply_ports(find_request(0, 1, PX_OF_STATS_PORT), 1);
    reply_all_empty(1); /* Flows, group descriptions. */
    /* The ERROR replies above were final: the ones given again here are
     * stale, and ignored. */
    assert_int_equal(json_array_size(fh.messages), 1);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.kinds_disabled, 3);
    assert_int_equal(s.refused, 3);
    assert_int_equal(s.requests, 5);
    assert_true(strstr(fh.log, "refused meter statistics (error type 1 "
                               "code 2): not asked again"));

    fh.now += 2;
    from = fh.n_requests;
    tick();
    assert_int_equal(types_asked(from), T(PORT) | T(FLOW) | T(GROUP_DESC));
    reply_all_empty(from);
    assert_int_equal(json_array_size(fh.messages), 2);

    /* Reconnected: asked everything again. */
    fh.outcome[PX_OF_STATS_GROUP] = 0;
    deliver(PX_TOPIC_OF_SWITCH_DOWN, &fh.switches[0], sizeof fh.switches[0]);
    deliver(PX_TOPIC_OF_SWITCH_UP, &fh.switches[0], sizeof fh.switches[0]);
    fh.now += 2;
    from = fh.n_requests;
    tick();
    assert_int_equal(types_asked(from), ALL_13);
}

/* A round still out at the next tick is not asked again; one out too long
 * is given up, and its late replies are ignored. */
static void
test_skipped_and_abandoned(void **state)
{
    struct con_switch_stats s;
    size_t from;

    (void)state;
    add_switch(1, PX_OF_VERSION_10);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    fh.now += 2;
    tick();
    assert_int_equal(fh.n_requests, 2);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.rounds_skipped, 1);

    fh.now += CON_SWITCH_ROUND_TIMEOUT;
    tick();
    assert_int_equal(fh.n_requests, 4);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.rounds_abandoned, 1);
    /* The first round's replies: ignored. */
    reply_empty(0, 2);
    assert_int_equal(json_array_size(fh.messages), 0);
    /* The new round's: a message. */
    from = 2;
    reply_all_empty(from);
    assert_int_equal(json_array_size(fh.messages), 1);

    /* A switch that went down: its round is dropped, its replies ignored,
     * and it is not asked until it is up again. */
    fh.now += 2;
    from = fh.n_requests;
    tick();
    assert_int_equal(fh.n_requests, from + 2);
    deliver(PX_TOPIC_OF_SWITCH_DOWN, &fh.switches[0], sizeof fh.switches[0]);
    reply_all_empty(from);
    assert_int_equal(json_array_size(fh.messages), 1);
    fh.now += 2;
    tick();
    assert_int_equal(fh.n_requests, from + 2);
    deliver(PX_TOPIC_OF_SWITCH_UP, &fh.switches[0], sizeof fh.switches[0]);
    tick();
    assert_int_equal(fh.n_requests, from + 4);
}

/* GONE for a request: the round ends without that part; a round whose
 * every request ended so makes no message. */
static void
test_gone(void **state)
{
    struct con_switch_stats s;
    size_t from;

    (void)state;
    add_switch(1, PX_OF_VERSION_10);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    reply(find_request(0, 1, PX_OF_STATS_FLOW), PX_OF_REPLY_GONE, NULL, NULL);
    reply_ports(find_request(0, 1, PX_OF_STATS_PORT), 1);
    assert_int_equal(json_array_size(fh.messages), 1);
    assert_int_equal(json_array_size(json_object_get(last_message(), "ports")),
                     3);
    assert_int_equal(json_array_size(json_object_get(last_message(), "flows")),
                     0);

    fh.now += 2;
    from = fh.n_requests;
    tick();
    reply(find_request(from, 1, PX_OF_STATS_FLOW), PX_OF_REPLY_GONE, NULL,
          NULL);
    reply(find_request(from, 1, PX_OF_STATS_PORT), PX_OF_REPLY_GONE, NULL,
          NULL);
    assert_int_equal(json_array_size(fh.messages), 1);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.gone, 3);
    assert_int_equal(s.rounds, 1);
    assert_int_equal(s.kinds_disabled, 0);
}

/* At most CON_SWITCH_MAX_FLOWS flows, the highest priorities; the rest
 * counted. */
static void
test_flow_bound(void **state)
{
    size_t n = CON_SWITCH_MAX_FLOWS + 5, i;
    struct px_of_flow_stats *flows = calloc(n, sizeof *flows);
    struct px_of_stats st = {.type = PX_OF_STATS_FLOW, .n = n, .flows = flows};
    struct con_switch_stats s;
    json_t *list;

    (void)state;
    assert_non_null(flows);
    for (i = 0; i < n; i++) {
        flows[i].priority = (uint16_t)i;
    }
    add_switch(1, PX_OF_VERSION_10);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    reply_stats(find_request(0, 1, PX_OF_STATS_FLOW), &st);
    reply_ports(find_request(0, 1, PX_OF_STATS_PORT), 1);
    free(flows);
    list = json_object_get(last_message(), "flows");
    assert_int_equal(json_array_size(list), CON_SWITCH_MAX_FLOWS);
    assert_int_equal(int_at(json_array_get(list, 0), "priority"), n - 1);
    assert_int_equal(
        int_at(json_array_get(list, CON_SWITCH_MAX_FLOWS - 1), "priority"), 5);
    assert_int_equal(int_at(last_message(), "flows_omitted"), 5);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.flows_omitted, 5);
}

/* Watches are counted per switch, and bounded. */
static void
test_watches(void **state)
{
    struct con_switch_stats s;
    uint64_t d;

    (void)state;
    /* Not connected: watched, not asked. */
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    assert_int_equal(fh.n_requests, 0);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 0), 0);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.watched, 1);
    /* It comes up: asked at the next tick. */
    add_switch(1, PX_OF_VERSION_10);
    deliver(PX_TOPIC_OF_SWITCH_UP, &fh.switches[0], sizeof fh.switches[0]);
    tick();
    assert_int_equal(fh.n_requests, 2);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 0), 0);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.watched, 0);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 0), ENOENT);
    /* Its replies, now that nobody watches it: ignored. */
    reply_all_empty(0);
    assert_int_equal(json_array_size(fh.messages), 0);
    /* Watched again: a new round, whose replies the old ones are not. */
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    assert_int_equal(fh.n_requests, 4);
    reply_empty(0, 2);
    assert_int_equal(json_array_size(fh.messages), 0);
    reply_all_empty(2);
    assert_int_equal(json_array_size(fh.messages), 1);

    for (d = 2; d <= CON_SWITCH_MAX_WATCHED; d++) {
        assert_int_equal(con_switch_watch(cs_under_test, d, 1), 0);
    }
    assert_int_equal(con_switch_watch(cs_under_test, 1000, 1), ENOSPC);
    assert_int_equal(con_switch_watch(cs_under_test, 5, 1), 0);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.watched, CON_SWITCH_MAX_WATCHED);
    assert_int_equal(s.watch_refused, 1);
}

/* The callback may stop watching the switch whose message it has. */
static void
test_unwatch_in_callback(void **state)
{
    struct con_switch_stats s;

    (void)state;
    add_switch(1, PX_OF_VERSION_10);
    add_switch(2, PX_OF_VERSION_10);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    assert_int_equal(con_switch_watch(cs_under_test, 2, 1), 0);
    assert_int_equal(fh.n_requests, 4);
    fh.unwatch_in_callback = 1;
    reply_all_empty(0);
    assert_int_equal(json_array_size(fh.messages), 2);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.watched, 1);
    assert_null(con_switch_last(cs_under_test, 1));
    assert_non_null(con_switch_last(cs_under_test, 2));
    /* Only the other switch is asked at the next tick. */
    fh.now += 2;
    tick();
    assert_int_equal(fh.n_requests, 6);
    assert_non_null(find_request(4, 2, PX_OF_STATS_PORT));
    reply_all_empty(4);
    assert_int_equal(json_array_size(fh.messages), 3);

    /* Rounds that end inside the tick (answered during the publish): the
     * callback for switch 2 stops watching switch 3, which the tick has
     * not reached yet. */
    add_switch(3, PX_OF_VERSION_10);
    fh.answer_in_publish = 1;
    assert_int_equal(con_switch_watch(cs_under_test, 3, 1), 0);
    assert_int_equal(json_array_size(fh.messages), 4);
    fh.unwatch_in_callback = 3;
    fh.now += 2;
    tick();
    assert_int_equal(json_array_size(fh.messages), 5);
    assert_int_equal(fh.n_requests, 10);
    con_switch_get_stats(cs_under_test, &s);
    assert_int_equal(s.watched, 1);
    assert_int_equal(s.rounds, 5);
}

/* Names follow port_status. */
static void
test_port_names(void **state)
{
    struct px_of_port_status ps;
    json_t *list;

    (void)state;
    add_switch(1, PX_OF_VERSION_10);
    assert_int_equal(con_switch_watch(cs_under_test, 1, 1), 0);
    memset(&ps, 0, sizeof ps);
    ps.dpid = 1;
    ps.reason = PX_OF_PORT_MODIFY;
    ps.port.port_no = 1;
    snprintf(ps.port.name, sizeof ps.port.name, "renamed\x01");
    deliver(PX_TOPIC_OF_PORT_STATUS, &ps, sizeof ps);
    ps.reason = PX_OF_PORT_DELETE;
    ps.port.port_no = 2;
    deliver(PX_TOPIC_OF_PORT_STATUS, &ps, sizeof ps);
    reply_ports(find_request(0, 1, PX_OF_STATS_PORT), 1);
    reply_all_empty(1);
    list = json_object_get(last_message(), "ports");
    assert_string_equal(str_at(json_array_get(list, 0), "name"), "renamed?");
    assert_string_equal(str_at(json_array_get(list, 1), "name"), "");
    assert_string_equal(str_at(json_array_get(list, 2), "name"), "s1");
    ps.reason = PX_OF_PORT_ADD;
    snprintf(ps.port.name, sizeof ps.port.name, "s1-eth2");
    deliver(PX_TOPIC_OF_PORT_STATUS, &ps, sizeof ps);
    fh.now += 2;
    tick();
    reply_ports(find_request(2, 1, PX_OF_STATS_PORT), 1);
    reply_all_empty(3);
    list = json_object_get(last_message(), "ports");
    assert_string_equal(str_at(json_array_get(list, 1), "name"), "s1-eth2");
}

static void
test_bad_create(void **state)
{
    struct con_switch *cs = (struct con_switch *)&fh;

    (void)state;
    assert_int_equal(con_switch_create(&plugin, 0, on_message, &fh, &cs),
                     EINVAL);
    assert_null(cs);
    con_switch_destroy(NULL);
    assert_string_equal(con_switch_kind_name(CON_SWITCH_GROUP_DESC),
                        "group_desc");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_13, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skipped_and_abandoned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwatch_in_callback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_port_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_create, setup, teardown),
    };

    return cmocka_run_group_tests_name("con_switch", tests, NULL, NULL);
}
