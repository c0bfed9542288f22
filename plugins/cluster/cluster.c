/*
 * The cluster plugin: several plexusd instances, each connected to every
 * switch, share the switches' mastership over NATS (README, "Running a
 * cluster").
 *
 * This file wires three parts together on the plugin's loop:
 *  - cl_state (cl_state.h), the pure mastership logic: members and leases,
 *    fences, claims, balance, which role each switch should give us;
 *  - cl_nats (cl_nats.h), the NATS connection and the JetStream key-value
 *    bucket, whose threads report back through an eventfd;
 *  - openflow, through the event table only: switch_up and switch_down say
 *    which switches are connected here, openflow.role asks a switch for
 *    MASTER or SLAVE with a generation id.
 *
 * Requests from other plugins to a switch this instance does not master
 * are refused by openflow itself, with a cause ("slave"), since the switch
 * holds this controller as SLAVE: refusing is the design, not forwarding
 * through NATS.  The apps run on every instance and each acts for the
 * switches it masters, which a switch's packet-ins (sent to its master
 * only) make happen by themselves.
 *
 * Other plugins know nothing of NATS; "plexusctl cluster" and the stats
 * counters are how operators see it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "plexus/buf.h"
#include "plexus/plugin.h"
#include "plexus/table.h"
#include "plexus/topics/cluster.h"
#include "plexus/topics/openflow.h"
#include "plexus/topics/stats.h"

#include "cl_nats.h"
#include "cl_state.h"

#define BLOB_NAME "cluster.state"

/* Topics other plugins made cluster-wide (cluster.share). */
#define MAX_SHARED 32
#define TOPIC_MAX  200

struct shared {
    char topic[TOPIC_MAX + 1];
    struct px_topic *t;
};

struct cluster {
    struct px_plugin *p;
    char name[CL_ID_MAX];
    char self[CL_ID_MAX];
    char bucket[80];
    double lease;
    struct cl_state *st;
    struct cl_nats *nats;
    struct px_io *io;
    struct px_timer *timer;
    double next_run;
    bool nats_up;

    struct px_topic *t_role, *t_inventory, *t_stats_report, *t_started;
    struct shared shared[MAX_SHARED];
    size_t n_shared;
    char subject_prefix[96]; /* "plexus.NAME.ev." */
    char subjects[100];
    uint64_t shared_out, shared_in, shared_dropped, prefers_refused;
    char reply_to[96];
    uint64_t next_request;
    uint64_t roles_unsupported; /* OpenFlow 1.0 switches: no roles. */
};

static const struct px_config_key cluster_keys[] = {
    {.key = "name",
     .type = PX_CONFIG_STRING,
     .default_value = "plexus",
     .help = "The cluster's name: instances with the same name and NATS "
             "share switches (letters, digits, _ and -)"},
    {.key = "instance",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "This instance's id, unique in the cluster (letters, digits, _ "
             "and -); empty: the host name"},
    {.key = "nats",
     .type = PX_CONFIG_STRING,
     .default_value = "nats://127.0.0.1:4222",
     .help = "NATS servers, comma-separated URLs"},
    {.key = "lease",
     .type = PX_CONFIG_DURATION,
     .default_value = "2s",
     .min = 0.3,
     .max = 600,
     .help = "How long a silent instance keeps its switches"},
    {.key = "margin",
     .type = PX_CONFIG_DURATION,
     .default_value = "200ms",
     .min = 0,
     .max = 60,
     .help = "How much sooner than its lease an instance stops acting "
             "(clock and latency slack; below a third of the lease)"},
    {.key = "replicas",
     .type = PX_CONFIG_INT,
     .default_value = "3",
     .min = 1,
     .max = 5,
     .help = "Copies of the bucket JetStream keeps (when this instance "
             "creates it): at most the number of nats-servers"},
    {.key = "timeout",
     .type = PX_CONFIG_DURATION,
     .default_value = "500ms",
     .min = 0.05,
     .max = 60,
     .help = "How long a write to the bucket may take"},
    {.key = "endpoint",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "Where switches reach this instance (\"tcp:10.0.0.1:6653\"), "
             "shown to operators"},
    {.key = "max_switches",
     .type = PX_CONFIG_INT,
     .default_value = "65536",
     .min = 1,
     .max = 1048576,
     .help = "Switch records kept; more are counted and ignored"},
    {.key = NULL},
};

/* ---------------------------------------------------------------------- */
/* cl_state's callbacks. */

static void
st_write(void *arg, const struct cl_write *w)
{
    struct cluster *c = arg;

    cl_nats_write(c->nats, w);
}

static void
st_role(void *arg, uint64_t dpid, uint32_t role, uint64_t gen)
{
    struct cluster *c = arg;
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_role r = {
        .dpid = dpid,
        .role = role,
        .generation_id = gen,
        .reply_to = c->reply_to,
        .request_id = ++c->next_request,
        .outcome = &outcome,
    };

    px_publish(c->p, c->t_role, &r, sizeof r);
    if (outcome.code == EOPNOTSUPP) {
        c->roles_unsupported++;
    } else if (outcome.code != 0) {
        px_debug(c->p, "role request to %016" PRIx64 " not sent: %s", dpid,
                 outcome.cause ? outcome.cause : "no openflow plugin");
    }
}

static void
st_log(void *arg, enum cl_log_level level, const char *msg)
{
    struct cluster *c = arg;
    static const enum px_log_level map[] = {
        [CL_LOG_DEBUG] = PX_LOG_DEBUG,
        [CL_LOG_INFO] = PX_LOG_INFO,
        [CL_LOG_WARN] = PX_LOG_WARN,
        [CL_LOG_ERROR] = PX_LOG_ERROR,
    };

    px_log(c->p, map[level], "%s", msg);
}

static uint64_t
st_random(void *arg)
{
    uint64_t v = 0;

    (void)arg;
    if (getrandom(&v, sizeof v, 0) != sizeof v) {
        v = (uint64_t)getpid() ^ (uint64_t)time(NULL) << 20;
    }
    return v;
}

static const struct cl_state_ops state_ops = {st_write, st_role, st_log,
                                              st_random};

/* ---------------------------------------------------------------------- */
/* The loop. */

/* Leases are timed on the monotonic clock, which neither NTP steps nor a
 * SIGSTOP (the clock runs on) can fool, and which every process on a
 * machine shares; px_now is the wall clock. */
static double
mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(struct cluster *c);

/* ---------------------------------------------------------------------- */
/* Shared topics: an event published here goes out on NATS as
 * "ORIGIN\nDATA" on the subject plexus.NAME.ev.TOPIC; one that comes in
 * from another instance is published here with its origin. */

static struct shared *
shared_find(struct cluster *c, const char *topic)
{
    for (size_t i = 0; i < c->n_shared; i++) {
        if (!strcmp(c->shared[i].topic, topic)) {
            return &c->shared[i];
        }
    }
    return NULL;
}

static void
shared_message(struct cluster *c, const struct cl_nats_event *e)
{
    size_t plen = strlen(c->subject_prefix);
    const uint8_t *nl;
    char origin[CL_ID_MAX];
    struct shared *sh;
    struct px_cluster_event ev;

    nl = e->data
             ? memchr(e->data, '\n', e->len < CL_ID_MAX ? e->len : CL_ID_MAX)
             : NULL;
    if (strncmp(e->key, c->subject_prefix, plen) || !nl) {
        c->shared_dropped++;
        return;
    }
    memcpy(origin, e->data, (size_t)(nl - e->data));
    origin[nl - e->data] = '\0';
    if (!cl_id_valid(origin)) {
        c->shared_dropped++;
        return;
    }
    if (!strcmp(origin, c->self)) {
        return; /* Our own, back from NATS. */
    }
    sh = shared_find(c, e->key + plen);
    if (!sh) {
        c->shared_dropped++; /* Nobody here shares that topic. */
        return;
    }
    ev.origin = origin;
    ev.data = nl + 1;
    ev.len = e->len - (size_t)(nl + 1 - e->data);
    c->shared_in++;
    px_publish(c->p, sh->t, &ev, sizeof ev);
}

static int
on_shared_event(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct cluster *c = px_get_data(p);
    const struct px_cluster_event *ce = ev->payload;
    char subject[TOPIC_MAX + 100];
    char *buf;
    size_t n;

    (void)arg;
    if (ev->len < sizeof *ce || ce->origin) {
        return PX_EVENT_CONTINUE; /* Not published here. */
    }
    if (ce->len > PX_CLUSTER_EVENT_MAX || (ce->len && !ce->data)) {
        c->shared_dropped++;
        return PX_EVENT_CONTINUE;
    }
    n = strlen(c->self);
    buf = malloc(n + 1 + ce->len);
    if (!buf) {
        c->shared_dropped++;
        return PX_EVENT_CONTINUE;
    }
    memcpy(buf, c->self, n);
    buf[n] = '\n';
    if (ce->len) {
        memcpy(buf + n + 1, ce->data, ce->len);
    }
    snprintf(subject, sizeof subject, "%s%s", c->subject_prefix, ev->topic);
    if (cl_nats_publish(c->nats, subject, buf, n + 1 + ce->len)) {
        c->shared_dropped++;
    } else {
        c->shared_out++;
    }
    free(buf);
    return PX_EVENT_CONTINUE;
}

static bool
topic_valid(const char *t)
{
    size_t n = strlen(t);

    return n > 0 && n <= TOPIC_MAX &&
           strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.-") == n &&
           t[0] != '.' && t[n - 1] != '.' && !strstr(t, "..");
}

static int
on_share(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct cluster *c = px_get_data(p);
    const struct px_cluster_share *sh = ev->payload;
    struct shared *x;
    int error;

    (void)arg;
    if (ev->len < sizeof *sh || !sh->topic) {
        return PX_EVENT_CONTINUE;
    }
    if (!topic_valid(sh->topic) || !strncmp(sh->topic, "cluster.", 8)) {
        px_warn(p,
                "%s asked to share topic \"%.*s\": not a topic name "
                "that can be shared",
                ev->publisher, TOPIC_MAX, sh->topic);
        return PX_EVENT_CONTINUE;
    }
    if (shared_find(c, sh->topic)) {
        if (sh->carried) {
            *sh->carried = 1;
        }
        return PX_EVENT_CONTINUE;
    }
    if (c->n_shared == MAX_SHARED) {
        px_warn(p, "cannot share %s: %d topics are shared already", sh->topic,
                MAX_SHARED);
        return PX_EVENT_CONTINUE;
    }
    x = &c->shared[c->n_shared];
    snprintf(x->topic, sizeof x->topic, "%s", sh->topic);
    if ((error =
             px_topic_declare(p, x->topic, PX_TOPIC_CLUSTER_VERSION, &x->t)) ||
        (error = px_subscribe(p, x->topic, PX_TOPIC_CLUSTER_VERSION,
                              PX_PRIO_DEFAULT, on_shared_event, NULL, NULL))) {
        px_warn(p, "cannot share %s: %s", x->topic, strerror(error));
        return PX_EVENT_CONTINUE;
    }
    c->n_shared++;
    if (sh->carried) {
        *sh->carried = 1;
    }
    px_info(p, "topic %s shared with the cluster (for %s)", x->topic,
            ev->publisher);
    return PX_EVENT_CONTINUE;
}

static int
on_prefer(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct cluster *c = px_get_data(p);
    const struct px_cluster_prefer *pr = ev->payload;

    (void)arg;
    if (ev->len < sizeof *pr) {
        return PX_EVENT_CONTINUE;
    }
    if (cl_state_prefer(c->st, mono(), pr->dpid, pr->prefer != 0)) {
        c->prefers_refused++;
        px_warn(p, "%s prefers switch %016" PRIx64 ": already %d preferred",
                ev->publisher, pr->dpid, CL_PREFER_MAX);
    } else {
        px_info(p, "%s %s switch %016" PRIx64 " mastered here", ev->publisher,
                pr->prefer ? "prefers" : "no longer prefers", pr->dpid);
    }
    run(c);
    return PX_EVENT_CONTINUE;
}

/* Applies one event from the NATS side to the state. */
static void
apply(struct cluster *c, struct cl_nats_event *e, double now)
{
    switch (e->type) {
    case CL_NATS_ENTRY:
        cl_state_entry(c->st, now, e->key, e->rev, e->data, e->len);
        break;
    case CL_NATS_SYNCED:
        cl_state_synced(c->st, now);
        break;
    case CL_NATS_WRITTEN:
        if (e->result == CL_WRITE_FAILED && e->key[0]) {
            px_debug(c->p, "bucket write failed: %s", e->key);
        }
        cl_state_write_done(c->st, now, e->write_id, e->result, e->rev);
        break;
    case CL_NATS_UP:
        if (!c->nats_up) {
            c->nats_up = true;
        }
        cl_state_nats(c->st, now, true);
        break;
    case CL_NATS_DOWN:
        if (c->nats_up) {
            c->nats_up = false;
            px_warn(c->p, "lost NATS; reconnecting");
        }
        cl_state_nats(c->st, now, false);
        break;
    case CL_NATS_MESSAGE:
        shared_message(c, e);
        break;
    case CL_NATS_NOTICE:
        px_log(c->p, e->warn ? PX_LOG_WARN : PX_LOG_INFO, "%s",
               (const char *)e->data);
        break;
    }
}

static void
drain(struct cluster *c, double now)
{
    struct cl_nats_event *e;

    while ((e = cl_nats_next(c->nats))) {
        apply(c, e, now);
        cl_nats_event_free(e);
    }
}

static void
run(struct cluster *c)
{
    double now = mono();

    c->next_run = cl_state_run(c->st, now);
}

static void
on_nats(struct px_plugin *p, struct px_io *io, int fd, int events, void *arg)
{
    struct cluster *c = arg;

    (void)p, (void)io, (void)fd, (void)events;
    drain(c, mono());
    run(c);
}

static void
on_timer(struct px_plugin *p, struct px_timer *t, void *arg)
{
    struct cluster *c = arg;

    (void)p, (void)t;
    if (mono() >= c->next_run) {
        run(c);
    }
}

/* ---------------------------------------------------------------------- */
/* openflow. */

static void
switch_seen(struct cluster *c, const struct px_of_switch *sw)
{
    if (sw->version != PX_OF_VERSION_13) {
        px_warn(c->p,
                "switch %016" PRIx64 " speaks OpenFlow 1.0, which has no "
                "roles: every instance acts on it",
                sw->dpid);
        return;
    }
    cl_state_switch_up(c->st, mono(), sw->dpid);
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct cluster *c = px_get_data(p);

    (void)arg;
    if (ev->len >= sizeof(struct px_of_switch)) {
        switch_seen(c, ev->payload);
        run(c);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_down(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct cluster *c = px_get_data(p);
    const struct px_of_switch *sw = ev->payload;

    (void)arg;
    if (ev->len >= sizeof *sw) {
        cl_state_switch_down(c->st, mono(), sw->dpid);
        run(c);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct cluster *c = px_get_data(p);
    const struct px_of_reply *r = ev->payload;

    (void)arg;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    switch (r->type) {
    case PX_OF_REPLY_SWITCH:
        if (r->sw) {
            switch_seen(c, r->sw);
        }
        break;
    case PX_OF_REPLY_ROLE:
        cl_state_role_done(c->st, mono(), r->dpid, r->role, r->generation_id,
                           true);
        break;
    case PX_OF_REPLY_ERROR:
        cl_state_role_done(c->st, mono(), r->dpid, 0, 0, false);
        break;
    default:
        break;
    }
    return PX_EVENT_HALT;
}

/* ---------------------------------------------------------------------- */
/* plexusctl cluster. */

struct report {
    struct px_table t;
    json_t *list;
};

static void
member_row(void *arg, const struct cl_member_info *m)
{
    struct report *r = arg;
    char silent[32], inc[17];

    snprintf(inc, sizeof inc, "%016" PRIx64, m->inc);
    px_table_row(&r->t);
    px_table_setf(&r->t, 0, "%s%s", m->id, m->self ? " *" : "");
    px_table_set(&r->t, 1, m->state);
    px_table_setf(&r->t, 2, "%zu", m->masters);
    px_table_set(&r->t, 3, px_table_age(m->silent, silent, sizeof silent));
    px_table_set(&r->t, 4, m->endpoint);
    px_table_setf(&r->t, 5, "%" PRId64, m->pid);
    json_array_append_new(
        r->list,
        json_pack("{s:s,s:b,s:s,s:I,s:f,s:I,s:s,s:s,s:I}", "id", m->id, "self",
                  m->self, "state", m->state, "masters",
                  (json_int_t)m->masters, "silent", m->silent, "revision",
                  (json_int_t)m->rev, "incarnation", inc, "endpoint",
                  m->endpoint, "pid", (json_int_t)m->pid));
}

static const char *
role_name(uint32_t role)
{
    return role == PX_OF_ROLE_MASTER  ? "master"
           : role == PX_OF_ROLE_SLAVE ? "slave"
                                      : "-";
}

static void
switch_row(void *arg, const struct cl_switch_info *s)
{
    struct report *r = arg;
    char dpid[17];

    snprintf(dpid, sizeof dpid, "%016" PRIx64, s->dpid);
    px_table_row(&r->t);
    px_table_set(&r->t, 0, dpid);
    px_table_set(&r->t, 1, s->holder[0] ? s->holder : "-");
    px_table_setf(&r->t, 2, "%" PRIu64, s->gen);
    px_table_set(&r->t, 3, s->connected ? "yes" : "no");
    px_table_set(&r->t, 4, s->master ? "master" : role_name(s->role_sent));
    json_array_append_new(
        r->list,
        json_pack("{s:s,s:s?,s:I,s:b,s:b,s:s}", "dpid", dpid, "master",
                  s->holder[0] ? s->holder : NULL, "generation",
                  (json_int_t)s->gen, "connected", s->connected, "mastered",
                  s->master, "role", role_name(s->role_sent)));
}

static int
cmd_cluster(struct px_plugin *p, int argc, const char *const *argv,
            struct px_reply *reply, void *arg)
{
    struct cluster *c = arg;
    double now = mono();
    struct report m = {.list = json_array()}, s = {.list = json_array()};
    bool in = cl_state_in_cluster(c->st, now);
    json_t *doc;
    char *text;

    (void)p, (void)argc, (void)argv;
    if (!m.list || !s.list) {
        json_decref(m.list);
        json_decref(s.list);
        return ENOMEM;
    }
    px_table_init(&m.t);
    px_table_column(&m.t, "INSTANCE", PX_TABLE_LEFT);
    px_table_column(&m.t, "STATE", PX_TABLE_LEFT);
    px_table_column(&m.t, "MASTERS", PX_TABLE_RIGHT);
    px_table_column(&m.t, "SILENT", PX_TABLE_RIGHT);
    px_table_column(&m.t, "ENDPOINT", PX_TABLE_LEFT);
    px_table_column(&m.t, "PID", PX_TABLE_RIGHT);
    cl_state_members(c->st, now, member_row, &m);
    px_table_init(&s.t);
    px_table_column(&s.t, "SWITCH", PX_TABLE_LEFT);
    px_table_column(&s.t, "MASTER", PX_TABLE_LEFT);
    px_table_column(&s.t, "GENERATION", PX_TABLE_RIGHT);
    px_table_column(&s.t, "HERE", PX_TABLE_LEFT);
    px_table_column(&s.t, "ROLE", PX_TABLE_LEFT);
    cl_state_switches(c->st, now, switch_row, &s);
    px_reply_printf(reply, "cluster %s, instance %s: %s\n\n", c->name, c->self,
                    in ? "in the cluster" : "no cluster");
    px_reply_table(reply, &m.t, "members: none");
    px_reply_printf(reply, "\n");
    px_reply_table(reply, &s.t, "switches: none");
    px_table_clear(&m.t);
    px_table_clear(&s.t);
    doc = json_pack("{s:s,s:s,s:b,s:s,s:o,s:o}", "cluster", c->name, "self",
                    c->self, "in_cluster", in, "bucket", c->bucket, "members",
                    m.list, "switches", s.list);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        return ENOMEM;
    }
    px_reply_json(reply, text);
    free(text);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Counters. */

static int
on_stats_collect(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    const struct px_stats_collect *sc = ev->payload;
    struct cluster *c = px_get_data(p);
    const struct cl_state_counters *k = cl_state_counters(c->st);
    struct cl_nats_counters n;
    double now = mono();

    (void)arg;
    if (ev->len < sizeof *sc) {
        return PX_EVENT_CONTINUE;
    }
    cl_nats_counters(c->nats, &n);
    {
        struct px_stats_field fields[] = {
            PX_STATS_GAUGE_FIELD("in_cluster",
                                 "1 while this instance may master switches",
                                 cl_state_in_cluster(c->st, now)),
            PX_STATS_COUNTER_FIELD("joins", "Times this instance joined",
                                   k->joins),
            PX_STATS_COUNTER_FIELD("heartbeats", "Heartbeats written",
                                   k->heartbeats),
            PX_STATS_COUNTER_FIELD("heartbeat_failures",
                                   "Heartbeats NATS did not take",
                                   k->heartbeat_failures),
            PX_STATS_COUNTER_FIELD("lapses",
                                   "Times the lease ran out unrenewed (no "
                                   "cluster)",
                                   k->lapses),
            PX_STATS_COUNTER_FIELD("fenced",
                                   "Times a peer declared this instance dead",
                                   k->fenced),
            PX_STATS_COUNTER_FIELD("fences", "Peers declared dead", k->fences),
            PX_STATS_COUNTER_FIELD("claims", "Masterships taken", k->claims),
            PX_STATS_COUNTER_FIELD("claim_conflicts",
                                   "Claims another instance won",
                                   k->claim_conflicts),
            PX_STATS_COUNTER_FIELD(
                "releases", "Masterships given up for balance", k->releases),
            PX_STATS_COUNTER_FIELD("lost", "Masterships taken by a peer",
                                   k->lost),
            PX_STATS_COUNTER_FIELD("roles_sent", "Role requests sent",
                                   k->roles_sent),
            PX_STATS_COUNTER_FIELD("roles_refused",
                                   "Role requests a switch refused",
                                   k->roles_refused),
            PX_STATS_COUNTER_FIELD("records_dropped",
                                   "Records not kept (max_switches)",
                                   k->records_dropped),
            PX_STATS_COUNTER_FIELD("bad_records",
                                   "Bucket values that did not decode",
                                   k->bad_records),
            PX_STATS_COUNTER_FIELD("events_dropped",
                                   "NATS events the loop's queue dropped",
                                   n.events_dropped),
            PX_STATS_COUNTER_FIELD("writes_dropped",
                                   "Writes the worker's queue dropped",
                                   n.writes_dropped),
            PX_STATS_COUNTER_FIELD("disconnects", "NATS disconnections",
                                   n.disconnects),
            PX_STATS_COUNTER_FIELD("shared_out",
                                   "Events of shared topics sent to the "
                                   "cluster",
                                   c->shared_out),
            PX_STATS_COUNTER_FIELD("shared_in",
                                   "Events of shared topics from other "
                                   "instances",
                                   c->shared_in),
            PX_STATS_COUNTER_FIELD("shared_dropped",
                                   "Events of shared topics not carried "
                                   "(malformed, unshared, NATS refused)",
                                   c->shared_dropped),
            PX_STATS_COUNTER_FIELD("reconnects", "NATS reconnections",
                                   n.reconnects),
        };

        px_stats_publish(p, c->t_stats_report, sc->id, "cluster", NULL, 0,
                         fields, sizeof fields / sizeof fields[0]);
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Life cycle. */

static void
cluster_free(struct cluster *c)
{
    if (c) {
        cl_nats_stop(c->nats);
        cl_state_destroy(c->st);
        free(c);
    }
}

static int
read_config(struct px_plugin *p, struct cluster *c, struct cl_state_config *sc,
            struct cl_nats_config *nc, const char **nats)
{
    const char *name, *instance, *endpoint;
    long long replicas, max_switches;
    double margin, timeout;
    int error;

    if ((error = px_config_string(p, "name", &name)) ||
        (error = px_config_string(p, "instance", &instance)) ||
        (error = px_config_string(p, "nats", nats)) ||
        (error = px_config_double(p, "lease", &c->lease)) ||
        (error = px_config_double(p, "margin", &margin)) ||
        (error = px_config_int(p, "replicas", &replicas)) ||
        (error = px_config_double(p, "timeout", &timeout)) ||
        (error = px_config_string(p, "endpoint", &endpoint)) ||
        (error = px_config_int(p, "max_switches", &max_switches))) {
        return error;
    }
    if (!cl_id_valid(name) || strlen(name) > 40) {
        px_error(p, "name = \"%s\": use 1 to 40 letters, digits, _ and -",
                 name);
        return EINVAL;
    }
    if (!*instance) {
        char host[CL_ID_MAX];

        if (gethostname(host, sizeof host)) {
            host[0] = '\0';
        }
        host[sizeof host - 1] = '\0';
        host[strcspn(host, ".")] = '\0';
        instance = host;
        snprintf(c->self, sizeof c->self, "%s", host);
        instance = c->self;
    }
    if (!cl_id_valid(instance)) {
        px_error(p, "instance = \"%s\": use 1 to 63 letters, digits, _ and -",
                 instance);
        return EINVAL;
    }
    if (margin >= c->lease / 3) {
        px_error(p,
                 "margin (%gs) must be below a third of lease (%gs): an "
                 "instance would stop acting before its next heartbeat",
                 margin, c->lease);
        return EINVAL;
    }
    if (timeout >= c->lease / 3) {
        px_error(p,
                 "timeout (%gs) must be below a third of lease (%gs): one "
                 "slow write would cost the lease",
                 timeout, c->lease);
        return EINVAL;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->self, sizeof c->self, "%s", instance);
    snprintf(c->bucket, sizeof c->bucket, "plexus-%s", name);
    sc->self = c->self;
    sc->endpoint = endpoint;
    sc->pid = getpid();
    sc->lease = c->lease;
    sc->margin = margin;
    sc->max_switches = (size_t)max_switches;
    sc->max_members = 256;
    nc->urls = *nats;
    nc->bucket = c->bucket;
    nc->replicas = (int)replicas;
    nc->timeout = timeout;
    nc->name = c->self;
    snprintf(c->subject_prefix, sizeof c->subject_prefix, "plexus.%s.ev.",
             name);
    snprintf(c->subjects, sizeof c->subjects, "%s>", c->subject_prefix);
    nc->subjects = c->subjects;
    nc->max_events = 65536;
    nc->max_writes = (size_t)max_switches + 1024;
    return 0;
}

static void
take_handoff(struct cluster *c)
{
    uint32_t version;
    const void *data;
    size_t len;
    int error;

    if (px_handoff_get_blob(c->p, BLOB_NAME, &version, &data, &len)) {
        return;
    }
    error = version != CL_STATE_BLOB_VERSION
                ? EPROTO
                : cl_state_restore(c->st, data, len);
    if (error) {
        px_warn(c->p,
                "the state handed over (version %u) could not be read (%s): "
                "joining as a new incarnation",
                version, strerror(error));
        return;
    }
    px_info(c->p, "mastership handed over from the last generation");
}

static int
cluster_init(struct px_plugin *p)
{
    struct cluster *c = calloc(1, sizeof *c);
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_inventory inv;
    struct cl_state_config sc;
    struct cl_nats_config nc;
    const char *nats;
    int error;

    if (!c) {
        return ENOMEM;
    }
    c->p = p;
    px_set_data(p, c);
    memset(&sc, 0, sizeof sc);
    memset(&nc, 0, sizeof nc);
    error = read_config(p, c, &sc, &nc, &nats);
    if (!error) {
        error = cl_state_create(&sc, &state_ops, c, &c->st);
    }
    if (error) {
        goto fail;
    }
    snprintf(c->reply_to, sizeof c->reply_to, "%s.role", px_instance_name(p));
    if ((error = px_topic_declare(p, PX_TOPIC_OF_ROLE, PX_TOPIC_OF_VERSION,
                                  &c->t_role)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &c->t_inventory)) ||
        (error =
             px_topic_declare(p, PX_TOPIC_STATS_REPORT, PX_TOPIC_STATS_VERSION,
                              &c->t_stats_report)) ||
        (error = px_subscribe(p, c->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_up, NULL, NULL)) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, NULL, NULL)) ||
        (error = px_topic_declare(p, PX_TOPIC_CLUSTER_STARTED,
                                  PX_TOPIC_CLUSTER_VERSION, &c->t_started)) ||
        (error =
             px_subscribe(p, PX_TOPIC_CLUSTER_SHARE, PX_TOPIC_CLUSTER_VERSION,
                          PX_PRIO_DEFAULT, on_share, NULL, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_CLUSTER_PREFER, PX_TOPIC_CLUSTER_VERSION,
                          PX_PRIO_DEFAULT, on_prefer, NULL, NULL)) ||
        (error =
             px_subscribe(p, PX_TOPIC_STATS_COLLECT, PX_TOPIC_STATS_VERSION,
                          PX_PRIO_DEFAULT, on_stats_collect, NULL, NULL)) ||
        (error = px_command_register(
             p, "cluster", "",
             "Cluster members, their state and the switches each masters", 0,
             0, cmd_cluster, c, NULL))) {
        goto fail;
    }
    take_handoff(c);
    error = cl_nats_start(&nc, &c->nats);
    if (error) {
        px_error(p, "cannot start the NATS client: %s", strerror(error));
        goto fail;
    }
    if ((error = px_io_start(p, cl_nats_fd(c->nats), PX_IO_READ, on_nats, c,
                             &c->io)) ||
        (error = px_timer_start(p, c->lease / 20, c->lease / 20, on_timer, c,
                                &c->timer))) {
        goto fail;
    }
    memset(&inv, 0, sizeof inv);
    inv.reply_to = c->reply_to;
    inv.outcome = &outcome;
    px_publish(p, c->t_inventory, &inv, sizeof inv);
    {
        /* Plugins loaded before us share their topics and tell their
         * preferences again. */
        struct px_cluster_started started = {.instance = c->self};

        px_publish(p, c->t_started, &started, sizeof started);
    }
    px_info(p, "instance %s of cluster %s: NATS %s, bucket %s, lease %gs",
            c->self, c->name, nats, c->bucket, c->lease);
    return 0;

fail:
    cluster_free(c);
    px_set_data(p, NULL);
    return error;
}

/* Shutting down: say "left" and wait (at most a lease) until the others
 * hold what this instance held, so that each switch goes straight from
 * this master to the next. */
static void
leave(struct cluster *c)
{
    double start = mono(), now = start;

    cl_state_leave(c->st, now);
    while (now - start < c->lease &&
           !(cl_state_left(c->st) && cl_state_handed_over(c->st, now))) {
        cl_nats_wait(c->nats, 0.05);
        now = mono();
        drain(c, now);
        cl_state_run(c->st, now);
    }
    px_info(c->p, "left the cluster%s",
            cl_state_handed_over(c->st, now) ? ", switches handed over" : "");
}

static void
cluster_fini(struct px_plugin *p)
{
    struct cluster *c = px_get_data(p);
    struct px_buf b;

    if (!c) {
        return;
    }
    if (px_host_stopping(p)) {
        leave(c);
    } else {
        /* A reload: the next generation goes on with our incarnation, our
         * heartbeat revision and our switches. */
        px_buf_init(&b, SIZE_MAX);
        cl_state_save(c->st, &b);
        if (px_buf_error(&b) ||
            px_handoff_put_blob(p, BLOB_NAME, CL_STATE_BLOB_VERSION, b.data,
                                b.len)) {
            px_warn(p, "could not hand the mastership over; the next "
                       "generation joins afresh");
        }
        px_buf_destroy(&b);
    }
    if (c->io) {
        px_io_stop(p, c->io);
    }
    cluster_free(c);
    px_set_data(p, NULL);
}

PX_PLUGIN_DEFINE(.name = "cluster", .version = "1.0.0",
                 .description = "Several plexusd share switches' mastership "
                                "over NATS",
                 .config_keys = cluster_keys, .init = cluster_init,
                 .fini = cluster_fini);
