/*
 * Unit tests of the cluster plugin's mastership logic
 * (plugins/cluster/cl_state.c) and of its bucket values (cl_value.c).
 *
 * The mastership tests drive several cl_states in a small simulation: a
 * fake key-value bucket with compare-and-set writes and one revision
 * counter (as a JetStream stream's sequence), a fake clock stepping 10 ms
 * at a time, a watcher per instance that delivers committed entries after
 * a delay of its own, and switches that judge role requests by Open
 * vSwitch's rule (one generation id per switch; a MASTER or SLAVE request
 * with an older one is refused; a new MASTER demotes the old).  Instances
 * can be paused (SIGSTOP: nothing of them runs, their inputs queue up and
 * arrive together on resume, in an order the test chooses), cut off from
 * NATS, killed and started again, reloaded (cl_state_save, then
 * cl_state_restore into a fresh state), or leave in order.
 *
 * What the simulation assumes of NATS and OpenFlow: each instance's
 * connections keep their order (writes, answers, role requests and replies
 * are FIFO per instance, whatever the latencies); a write cut off before it
 * reached the bucket is answered CL_WRITE_FAILED after a timeout and was
 * not done; an answer already on its way is delivered, except in the "lost
 * acks" runs, where a write done in the bucket may still be answered
 * CL_WRITE_FAILED (a NATS request that timed out may have been done).
 *
 * After every event delivered and every run, the invariant is checked: for
 * each switch at most one instance's cl_state_is_master is true (all share
 * the clock, so this is exact), and a new master's generation id is larger
 * than its predecessor's.  A failure prints the simulation's trace (the
 * writes, commits, role requests and the states' own log); so does
 * CL_TEST_VERBOSE=1 for every test, as it goes.
 *
 * The tests marked "Once a fault" reproduce two-master faults this
 * simulation found in cl_state.c, now fixed; the randomised runs reload
 * with releases out and lose the answers of every kind of write.
 * CL_TEST_SEEDS=n runs n
 * seeds of each randomised test (40 by default), CL_TEST_SEED=i replays
 * the i-th alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <plexus/buf.h>
#include <plexus/byteorder.h>
#include <plexus/topics/openflow.h>

#include "blobcheck.h"
#include "cl_state.h"
#include "cl_value.h"

#define MAX_INST    8
#define MAX_SW      16
#define MAX_KEYS    64
#define STEP        0.01
#define LEASE       2.0
#define MARGIN      0.2
#define TRACE_LINES 3000
#define TRACE_LEN   200

/* ---------------------------------------------------------------------- */
/* The simulation. */

/* The order in which a resumed instance takes what queued up while it was
 * stopped. */
enum order {
    ORDER_ENTRIES_FIRST, /* Watcher entries, then write results, then run. */
    ORDER_RESULTS_FIRST, /* Write results, then watcher entries, then run. */
    ORDER_RUN_FIRST,     /* Run, then entries, then results, then run. */
};

enum ev_kind {
    EV_APPLY,      /* A write reaches the bucket. */
    EV_RESULT,     /* A write's result reaches its instance. */
    EV_ENTRY,      /* A committed entry reaches an instance's watcher. */
    EV_SYNCED,     /* The watcher's initial values are all given. */
    EV_ROLE,       /* A role request reaches a switch. */
    EV_ROLE_REPLY, /* Its answer reaches the instance. */
    EV_NATS,       /* NATS connection up or down, as the client tells. */
    EV_SWITCH,     /* A switch connection up or down, as openflow tells. */
};

struct ev {
    double t;
    uint64_t seq;
    enum ev_kind kind;
    int inst; /* Whose (the writer, the requester, the receiver). */
    int proc; /* That instance's process when the event was made. */
    uint64_t wid;
    double sent;
    int result;
    uint64_t rev;
    char key[80];
    uint64_t last;
    char value[CL_VALUE_MAX];
    size_t len;
    uint64_t dpid;
    uint32_t role;
    uint64_t gen;
    bool ok, up;
    enum cl_write_kind wkind; /* APPLY, RESULT. */
};

struct kv {
    char key[80];
    uint64_t rev;
    char value[CL_VALUE_MAX];
    size_t len;
};

struct sim;

struct inst {
    struct sim *sim;
    int idx;
    char id[CL_ID_MAX];
    struct cl_state *st; /* NULL: not running (killed or never started). */
    int proc;            /* Bumped at each start: older events are void. */
    bool paused, partitioned;
    double watch_delay;  /* Watcher delay from commit. */
    double watch_due;    /* Last watcher delivery time, to keep the order. */
    double nats_delay;   /* How late the client tells that NATS went away. */
    double result_extra; /* Added to the bucket's answer latency for it. */
    /* Its connections (to NATS, to the switches) keep their order: the
     * last times something of it was due on each. */
    double fifo[4];
    double next_run;
    bool poke;             /* Had input: runs at once. */
    uint32_t role[MAX_SW]; /* Its role as each switch sees it. */
    /* Scheduled by the tests (< 0: nothing). */
    double resume_at, heal_at, restart_at, exit_at, cut_at, reload_at;
    int releases_out; /* RELEASE writes not answered yet. */
    enum order resume_order;
};

struct sw {
    uint64_t dpid;
    bool up;
    bool conn[MAX_INST];
    bool gen_defined;
    uint64_t gen;
    int master; /* As the switch sees it; -1: none. */
    /* The invariant's memory: the last master seen by cl_state_is_master. */
    int last_master;
    uint64_t last_gen;
    /* Mastership gaps: since when no instance masters it (< 0: one does),
     * and the longest gap since the last sim_reset_gaps. */
    double masterless_since, max_gap;
    double up_at; /* Randomised test: when to bring it back (< 0: none). */
};

struct sim {
    long steps;
    double now;
    double lease, margin;
    size_t max_members;
    double write_lat, result_lat, role_lat, timeout;
    bool lose_acks; /* A result in flight when cut off is lost (timeout)... */
    unsigned lose_kinds; /* ...for writes of these kinds (1 << kind). */
    /* A test's hook: when instance 'hook_inst' makes a write of kind
     * 'hook_kind' (for the 'hook_nth' time), it is cut off NATS or reloaded
     * 'hook_delay' later.  hook_inst -1: any instance with no heartbeat out
     * (set to the one it was). */
    int hook_inst, hook_nth;
    enum cl_write_kind hook_kind;
    bool hook_reload;
    double hook_delay;
    uint64_t hook_dpid; /* The switch of the write that set it off. */
    /* The randomised test: the chance that an instance is stopped right
     * after it makes a write (of one of the kinds in the mask, 1 << kind),
     * between the write and its answer. */
    double pause_on_write;
    unsigned pause_kinds;
    uint64_t stats[8]; /* Summed counters of processes gone. */
    uint64_t next_rev;
    struct kv keys[MAX_KEYS];
    int nkeys;
    struct inst in[MAX_INST];
    int n;
    struct sw sw[MAX_SW];
    int nsw;
    struct ev **ev;
    size_t nev, capev;
    uint64_t seq;
    uint64_t rnd;  /* Incarnations. */
    uint64_t prng; /* The randomised test's generator. */
    char (*trace)[TRACE_LEN];
    size_t ntrace;
    bool verbose;
    bool failed;
};

static struct sim *cur_sim; /* Freed by the teardown, even on failure. */

static void tracef(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tracef(struct sim *s, const char *fmt, ...)
{
    char *line = s->trace[s->ntrace++ % TRACE_LINES];
    va_list args;
    int n;

    n = snprintf(line, TRACE_LEN, "%8.3f ", s->now);
    va_start(args, fmt);
    vsnprintf(line + n, TRACE_LEN - (size_t)n, fmt, args);
    va_end(args);
    if (s->verbose) {
        printf("%s\n", line);
    }
}

static void
sim_dump(struct sim *s)
{
    size_t first = s->ntrace > TRACE_LINES ? s->ntrace - TRACE_LINES : 0;

    if (s->verbose) {
        return; /* Already printed. */
    }
    printf("---- simulation trace (last %zu lines) ----\n", s->ntrace - first);
    for (size_t i = first; i < s->ntrace; i++) {
        printf("%s\n", s->trace[i % TRACE_LINES]);
    }
    printf("---- end of trace ----\n");
}

/* Asserts 'cond'; on failure prints the trace first. */
#define SIM_CHECK(S, COND, ...)                                               \
    do {                                                                      \
        if (!(COND)) {                                                        \
            tracef((S), __VA_ARGS__);                                         \
            sim_dump(S);                                                      \
            (S)->failed = true;                                               \
            fail_msg(__VA_ARGS__);                                            \
        }                                                                     \
    } while (0)

static const char *
kind_name(enum cl_write_kind k)
{
    switch (k) {
    case CL_W_JOIN:
        return "JOIN";
    case CL_W_HEARTBEAT:
        return "HEARTBEAT";
    case CL_W_FENCE:
        return "FENCE";
    case CL_W_CLAIM:
        return "CLAIM";
    case CL_W_RELEASE:
        return "RELEASE";
    case CL_W_LEAVE:
        return "LEAVE";
    }
    return "?";
}

static const char *
role_name(uint32_t role)
{
    return role == PX_OF_ROLE_MASTER  ? "MASTER"
           : role == PX_OF_ROLE_SLAVE ? "SLAVE"
           : role == PX_OF_ROLE_EQUAL ? "EQUAL"
                                      : "none";
}

static const char *
result_name(int result)
{
    return result == CL_WRITE_OK         ? "ok"
           : result == CL_WRITE_CONFLICT ? "conflict"
           : result == CL_WRITE_FAILED   ? "failed"
                                         : "?";
}

static struct ev *
ev_push(struct sim *s, enum ev_kind kind, double t, int inst)
{
    struct ev *e = calloc(1, sizeof *e);

    assert_non_null(e);
    if (s->nev == s->capev) {
        s->capev = s->capev ? 2 * s->capev : 64;
        s->ev = realloc(s->ev, s->capev * sizeof *s->ev);
        assert_non_null(s->ev);
    }
    e->kind = kind;
    e->t = t < s->now ? s->now : t;
    e->seq = s->seq++;
    e->inst = inst;
    e->proc = inst >= 0 ? s->in[inst].proc : 0;
    s->ev[s->nev++] = e;
    return e;
}

static struct ev *
ev_take(struct sim *s, size_t i)
{
    struct ev *e = s->ev[i];

    s->ev[i] = s->ev[--s->nev];
    return e;
}

/* What goes over one of an instance's connections is delivered in the
 * order it was sent, whatever the latencies: 't', or later. */
enum fifo { FIFO_WRITE, FIFO_RESULT, FIFO_ROLE, FIFO_REPLY };

static double
fifo_time(struct sim *s, int inst, enum fifo f, double t)
{
    struct inst *in = &s->in[inst];

    if (t < in->fifo[f]) {
        t = in->fifo[f];
    }
    in->fifo[f] = t;
    return t;
}

static bool
ev_before(const struct ev *a, const struct ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static bool
ev_for_instance(enum ev_kind kind)
{
    return kind != EV_APPLY && kind != EV_ROLE;
}

/* Whether 'e' can be delivered now (a stopped instance takes nothing, one
 * cut off from NATS gets no watcher entries). */
static bool
deliverable(const struct sim *s, const struct ev *e)
{
    const struct inst *in;

    if (!ev_for_instance(e->kind)) {
        return true;
    }
    in = &s->in[e->inst];
    if (!in->st || e->proc != in->proc) {
        return true; /* Dropped on delivery. */
    }
    if (in->paused) {
        return false;
    }
    return !(in->partitioned && (e->kind == EV_ENTRY || e->kind == EV_SYNCED));
}

static struct sw *
sw_find(struct sim *s, uint64_t dpid, int *k)
{
    for (int i = 0; i < s->nsw; i++) {
        if (s->sw[i].dpid == dpid) {
            *k = i;
            return &s->sw[i];
        }
    }
    return NULL;
}

/* The instance that masters switch 'k' now by its own belief, or -1. */
static int
master_of(const struct sim *s, int k, uint64_t *gen)
{
    int m = -1;

    for (int i = 0; i < s->n; i++) {
        uint64_t g;

        if (s->in[i].st &&
            cl_state_is_master(s->in[i].st, s->now, s->sw[k].dpid, &g)) {
            m = i;
            if (gen) {
                *gen = g;
            }
        }
    }
    return m;
}

static void
check_invariant(struct sim *s)
{
    for (int k = 0; k < s->nsw; k++) {
        struct sw *w = &s->sw[k];
        int m = -1;
        uint64_t g = 0;

        for (int i = 0; i < s->n; i++) {
            uint64_t gen = 0;

            if (!s->in[i].st ||
                !cl_state_is_master(s->in[i].st, s->now, w->dpid, &gen)) {
                continue;
            }
            SIM_CHECK(s, m < 0,
                      "INVARIANT: switch %" PRIx64 " has two masters: %s "
                      "(generation %" PRIu64 ") and %s (generation %" PRIu64
                      ")",
                      w->dpid, s->in[m < 0 ? 0 : m].id, g, s->in[i].id, gen);
            m = i;
            g = gen;
        }
        if (m >= 0) {
            if (m != w->last_master || g != w->last_gen) {
                SIM_CHECK(s, w->last_master < 0 || g > w->last_gen,
                          "INVARIANT: switch %" PRIx64 ": new master %s with "
                          "generation %" PRIu64 ", not above %s's %" PRIu64,
                          w->dpid, s->in[m].id, g, s->in[w->last_master].id,
                          w->last_gen);
                tracef(s,
                       "** switch %" PRIx64
                       ": %s masters it, generation %" PRIu64,
                       w->dpid, s->in[m].id, g);
                w->last_master = m;
                w->last_gen = g;
            }
            if (w->masterless_since >= 0) {
                double gap = s->now - w->masterless_since;

                if (gap > w->max_gap) {
                    w->max_gap = gap;
                }
                w->masterless_since = -1;
            }
        } else if (w->masterless_since < 0) {
            w->masterless_since = s->now;
            if (w->last_master >= 0) {
                tracef(s, "** switch %" PRIx64 ": no master", w->dpid);
            }
        }
    }
}

static void
sim_reset_gaps(struct sim *s)
{
    for (int k = 0; k < s->nsw; k++) {
        s->sw[k].max_gap = 0;
        s->sw[k].masterless_since = master_of(s, k, NULL) < 0 ? s->now : -1.0;
    }
}

static double
sim_max_gap(struct sim *s)
{
    double max = 0;

    for (int k = 0; k < s->nsw; k++) {
        double gap = s->sw[k].max_gap;

        if (s->sw[k].masterless_since >= 0 &&
            s->now - s->sw[k].masterless_since > gap) {
            gap = s->now - s->sw[k].masterless_since;
        }
        if (gap > max) {
            max = gap;
        }
    }
    return max;
}

static uint64_t prng_next(struct sim *s);
static double uniform(struct sim *s, double lo, double hi);
static int pick(struct sim *s, int n);

/* True if 'in' has a heartbeat on its way to the bucket or back. */
static bool
heartbeat_out(const struct sim *s, const struct inst *in)
{
    for (size_t i = 0; i < s->nev; i++) {
        const struct ev *e = s->ev[i];

        if ((e->kind == EV_APPLY || e->kind == EV_RESULT) &&
            e->inst == in->idx && e->proc == in->proc &&
            e->wkind == CL_W_HEARTBEAT) {
            return true;
        }
    }
    return false;
}

/* Callbacks of the states. */

static void
op_write(void *arg, const struct cl_write *w)
{
    struct inst *in = arg;
    struct sim *s = in->sim;
    struct ev *e;

    if (in->partitioned) {
        e = ev_push(s, EV_RESULT, s->now + s->timeout, in->idx);
        e->result = CL_WRITE_FAILED;
    } else {
        e = ev_push(s, EV_APPLY,
                    fifo_time(s, in->idx, FIFO_WRITE, s->now + s->write_lat),
                    in->idx);
    }
    e->wid = w->id;
    e->wkind = w->kind;
    e->sent = s->now;
    in->releases_out += w->kind == CL_W_RELEASE;
    if (s->hook_nth > 0 && s->hook_inst < 0 && w->kind == s->hook_kind &&
        !heartbeat_out(s, in)) {
        s->hook_inst = in->idx;
    }
    if (s->hook_nth > 0 && in->idx == s->hook_inst &&
        w->kind == s->hook_kind && !--s->hook_nth) {
        s->hook_dpid = w->dpid;
        if (s->hook_reload) {
            in->reload_at = s->now + s->hook_delay;
        } else {
            in->cut_at = s->now + s->hook_delay;
        }
    }
    snprintf(e->key, sizeof e->key, "%s", w->key);
    e->last = w->last;
    assert_true(w->len < sizeof e->value);
    memcpy(e->value, w->value, w->len);
    e->len = w->len;
    tracef(s, "%s: %s %s (last %" PRIu64 ", write %" PRIu64 ")%s", in->id,
           kind_name(w->kind), w->key, w->last, w->id,
           in->partitioned ? " [cut off]" : "");
    if (s->pause_on_write > 0 && !in->paused &&
        (s->pause_kinds & (1u << w->kind)) &&
        uniform(s, 0, 1) < s->pause_on_write) {
        /* SIGSTOP just after this write left: the rest of this run is
         * what the process did before the signal landed. */
        tracef(s, "== %s stopped (SIGSTOP) after its %s", in->id,
               kind_name(w->kind));
        in->paused = true;
        in->resume_at = s->now + uniform(s, 0.01, 4.0);
        in->resume_order = (enum order)pick(s, 3);
    }
}

static void
op_role(void *arg, uint64_t dpid, uint32_t role, uint64_t gen)
{
    struct inst *in = arg;
    struct sim *s = in->sim;
    struct ev *e = ev_push(
        s, EV_ROLE, fifo_time(s, in->idx, FIFO_ROLE, s->now + s->role_lat),
        in->idx);

    e->dpid = dpid;
    e->role = role;
    e->gen = gen;
}

static void
op_log(void *arg, enum cl_log_level level, const char *msg)
{
    struct inst *in = arg;

    tracef(in->sim, "%s [%d] %s", in->id, (int)level, msg);
}

static uint64_t
op_random(void *arg)
{
    struct inst *in = arg;

    /* Distinct and never 0: an odd constant times a counter. */
    return ++in->sim->rnd * UINT64_C(0x9e3779b97f4a7c15);
}

static const struct cl_state_ops ops = {op_write, op_role, op_log, op_random};

static struct kv *
kv_find(struct sim *s, const char *key)
{
    for (int i = 0; i < s->nkeys; i++) {
        if (!strcmp(s->keys[i].key, key)) {
            return &s->keys[i];
        }
    }
    return NULL;
}

static void
queue_entry(struct sim *s, int j, const struct kv *kv)
{
    struct inst *in = &s->in[j];
    double t = s->now + in->watch_delay;
    struct ev *e;

    if (t < in->watch_due) {
        t = in->watch_due; /* A watcher delivers in order. */
    }
    in->watch_due = t;
    e = ev_push(s, EV_ENTRY, t, j);
    snprintf(e->key, sizeof e->key, "%s", kv->key);
    e->rev = kv->rev;
    memcpy(e->value, kv->value, kv->len);
    e->len = kv->len;
}

/* A write reaches the bucket. */
static void
apply(struct sim *s, struct ev *e)
{
    struct inst *in = &s->in[e->inst];
    struct kv *kv;
    uint64_t cur;
    struct ev *r;

    if (in->partitioned) {
        r = ev_push(s, EV_RESULT, e->sent + s->timeout, e->inst);
        r->proc = e->proc;
        r->wid = e->wid;
        r->wkind = e->wkind;
        r->result = CL_WRITE_FAILED;
        tracef(s, "bucket: %s's write %" PRIu64 " to %s lost (cut off)",
               in->id, e->wid, e->key);
        return;
    }
    kv = kv_find(s, e->key);
    cur = kv ? kv->rev : 0;
    r = ev_push(s, EV_RESULT,
                fifo_time(s, e->inst, FIFO_RESULT,
                          s->now + s->result_lat + in->result_extra),
                e->inst);
    r->proc = e->proc;
    r->wid = e->wid;
    r->wkind = e->wkind;
    r->sent = e->sent;
    if (cur != e->last) {
        r->result = CL_WRITE_CONFLICT;
        tracef(s,
               "bucket: %s's write %" PRIu64 " to %s conflicts (last %" PRIu64
               ", is %" PRIu64 ")",
               in->id, e->wid, e->key, e->last, cur);
        return;
    }
    if (!kv) {
        assert_true(s->nkeys < MAX_KEYS);
        kv = &s->keys[s->nkeys++];
        snprintf(kv->key, sizeof kv->key, "%s", e->key);
    }
    kv->rev = s->next_rev++;
    memcpy(kv->value, e->value, e->len);
    kv->value[e->len] = '\0';
    kv->len = e->len;
    r->result = CL_WRITE_OK;
    r->rev = kv->rev;
    tracef(s, "bucket: %s = %s, revision %" PRIu64 " (%s's write %" PRIu64 ")",
           kv->key, kv->value, kv->rev, in->id, e->wid);
    for (int j = 0; j < s->n; j++) {
        if (s->in[j].st) {
            queue_entry(s, j, kv);
        }
    }
}

/* A role request reaches a switch, which judges it as Open vSwitch does. */
static void
at_switch(struct sim *s, struct ev *e)
{
    struct inst *in = &s->in[e->inst];
    int k = -1;
    struct sw *w = sw_find(s, e->dpid, &k);
    bool ok = true;
    struct ev *r;

    if (!in->st || e->proc != in->proc) {
        return; /* The connection closed with the process. */
    }
    if (!w || !w->up || !w->conn[e->inst]) {
        ok = false;
    } else if (e->role == PX_OF_ROLE_MASTER || e->role == PX_OF_ROLE_SLAVE) {
        if (w->gen_defined && (int64_t)(e->gen - w->gen) < 0) {
            ok = false;
        } else {
            w->gen_defined = true;
            w->gen = e->gen;
            if (e->role == PX_OF_ROLE_MASTER) {
                if (w->master >= 0 && w->master != e->inst) {
                    s->in[w->master].role[k] = PX_OF_ROLE_SLAVE;
                }
                w->master = e->inst;
            } else if (w->master == e->inst) {
                w->master = -1;
            }
            in->role[k] = e->role;
        }
    }
    tracef(s,
           "switch %" PRIx64 ": %s asks %s, generation %" PRIu64 ": %s "
           "(master: %s, generation %" PRIu64 ")",
           e->dpid, in->id, role_name(e->role), e->gen,
           ok ? "accepted" : "REFUSED",
           w && w->master >= 0 ? s->in[w->master].id : "none", w ? w->gen : 0);
    r = ev_push(s, EV_ROLE_REPLY,
                fifo_time(s, e->inst, FIFO_REPLY, s->now + s->role_lat),
                e->inst);
    r->proc = e->proc;
    r->dpid = e->dpid;
    r->role = e->role;
    r->gen = e->gen;
    r->ok = ok;
}

static void
deliver(struct sim *s, struct ev *e)
{
    struct inst *in = ev_for_instance(e->kind) ? &s->in[e->inst] : NULL;
    bool live = in && in->st && e->proc == in->proc;
    struct ev *r;

    switch (e->kind) {
    case EV_APPLY:
        apply(s, e);
        return;
    case EV_ROLE:
        at_switch(s, e);
        return;
    default:
        break;
    }
    if (!live) {
        return;
    }
    in->poke = true;
    switch (e->kind) {
    case EV_RESULT:
        if (s->lose_acks && in->partitioned && e->result != CL_WRITE_FAILED &&
            (s->lose_kinds & (1u << e->wkind))) {
            /* Done in the bucket, but the answer is lost: the client
             * times out. */
            r = ev_push(s, EV_RESULT, e->sent + s->timeout, e->inst);
            r->proc = e->proc;
            r->wid = e->wid;
            r->wkind = e->wkind;
            r->result = CL_WRITE_FAILED;
            tracef(s, "%s: answer to write %" PRIu64 " (%s) lost", in->id,
                   e->wid, result_name(e->result));
            break;
        }
        tracef(s, "%s: write %" PRIu64 " %s (revision %" PRIu64 ")", in->id,
               e->wid, result_name(e->result), e->rev);
        in->releases_out -= e->wkind == CL_W_RELEASE;
        cl_state_write_done(in->st, s->now, e->wid, e->result, e->rev);
        break;
    case EV_ENTRY:
        cl_state_entry(in->st, s->now, e->key, e->rev, e->value, e->len);
        break;
    case EV_SYNCED:
        cl_state_synced(in->st, s->now);
        break;
    case EV_ROLE_REPLY:
        cl_state_role_done(in->st, s->now, e->dpid, e->role, e->gen, e->ok);
        break;
    case EV_NATS:
        tracef(s, "%s: told NATS is %s", in->id, e->up ? "up" : "down");
        cl_state_nats(in->st, s->now, e->up);
        break;
    case EV_SWITCH:
        if (e->up) {
            cl_state_switch_up(in->st, s->now, e->dpid);
        } else {
            cl_state_switch_down(in->st, s->now, e->dpid);
        }
        break;
    default:
        break;
    }
}

/* Delivers every due event, checking the invariant after each. */
static void
drain(struct sim *s)
{
    for (;;) {
        size_t best = SIZE_MAX;

        for (size_t i = 0; i < s->nev; i++) {
            struct ev *e = s->ev[i];

            if (e->t <= s->now + 1e-9 && deliverable(s, e) &&
                (best == SIZE_MAX || ev_before(e, s->ev[best]))) {
                best = i;
            }
        }
        if (best == SIZE_MAX) {
            return;
        }
        struct ev *e = ev_take(s, best);

        deliver(s, e);
        free(e);
        check_invariant(s);
    }
}

static void
run_inst(struct sim *s, struct inst *in)
{
    in->next_run = cl_state_run(in->st, s->now);
    in->poke = false;
    check_invariant(s);
}

/* Delivers what is due, then runs every instance that had input or whose
 * time has come. */
static void
settle(struct sim *s)
{
    drain(s);
    for (int i = 0; i < s->n; i++) {
        struct inst *in = &s->in[i];

        if (in->st && !in->paused &&
            (in->poke || s->now >= in->next_run - 1e-9)) {
            run_inst(s, in);
        }
    }
    drain(s);
}

static void sim_partition(struct sim *s, int i, bool on);
static void sim_reload(struct sim *s, int i);

static void
sim_step(struct sim *s)
{
    s->steps++;
    s->now = s->steps * STEP;
    settle(s);
    for (int i = 0; i < s->n; i++) {
        struct inst *in = &s->in[i];

        if (in->cut_at >= 0 && s->now >= in->cut_at - 1e-9) {
            in->cut_at = -1;
            sim_partition(s, i, true);
        }
        if (in->reload_at >= 0 && s->now >= in->reload_at - 1e-9) {
            in->reload_at = -1;
            if (in->st && !in->paused) {
                sim_reload(s, i);
            }
        }
    }
}

static struct sim *
sim_new(int n, int nsw)
{
    struct sim *s = calloc(1, sizeof *s);

    assert_non_null(s);
    assert_true(n <= MAX_INST && nsw <= MAX_SW);
    s->trace = calloc(TRACE_LINES, TRACE_LEN);
    assert_non_null(s->trace);
    s->verbose = getenv("CL_TEST_VERBOSE") != NULL;
    s->lease = LEASE;
    s->margin = MARGIN;
    s->max_members = 16;
    s->write_lat = 0.01;
    s->result_lat = 0.01;
    s->role_lat = 0.005;
    s->timeout = 0.5;
    s->next_rev = 1;
    s->lose_kinds = ~0u;
    s->n = n;
    s->nsw = nsw;
    for (int i = 0; i < MAX_INST; i++) {
        struct inst *in = &s->in[i];

        in->sim = s;
        in->idx = i;
        snprintf(in->id, sizeof in->id, "%c", 'a' + i);
        in->watch_delay = 0.02;
        in->resume_at = in->heal_at = in->restart_at = in->exit_at = -1;
        in->cut_at = in->reload_at = -1;
    }
    for (int k = 0; k < MAX_SW; k++) {
        struct sw *w = &s->sw[k];

        w->dpid = UINT64_C(0x1000) + (uint64_t)k;
        w->up = true;
        w->master = -1;
        w->last_master = -1;
        w->masterless_since = -1;
        w->up_at = -1;
    }
    cur_sim = s;
    return s;
}

static void
sim_free(struct sim *s)
{
    if (!s) {
        return;
    }
    for (int i = 0; i < MAX_INST; i++) {
        cl_state_destroy(s->in[i].st);
    }
    for (size_t i = 0; i < s->nev; i++) {
        free(s->ev[i]);
    }
    free(s->ev);
    free(s->trace);
    free(s);
    if (cur_sim == s) {
        cur_sim = NULL;
    }
}

static int
sim_teardown(void **state)
{
    (void)state;
    sim_free(cur_sim);
    return 0;
}

static struct cl_state *
new_state(struct sim *s, struct inst *in)
{
    char endpoint[32];
    struct cl_state_config c = {
        .self = in->id,
        .endpoint = endpoint,
        .pid = 1000 + 10 * in->idx + in->proc,
        .lease = s->lease,
        .margin = s->margin,
        .max_switches = 64,
        .max_members = s->max_members,
    };
    struct cl_state *st;

    snprintf(endpoint, sizeof endpoint, "tcp:127.0.0.1:%d", 6653 + in->idx);
    assert_int_equal(cl_state_create(&c, &ops, in, &st), 0);
    return st;
}

/* Queues the watcher's initial values (the bucket's last value per key, in
 * revision order) and the end of them. */
static void
start_watcher(struct sim *s, struct inst *in)
{
    uint64_t after = 0;
    struct ev *e;

    in->watch_due = s->now;
    for (;;) {
        struct kv *next = NULL;

        for (int i = 0; i < s->nkeys; i++) {
            if (s->keys[i].rev > after &&
                (!next || s->keys[i].rev < next->rev)) {
                next = &s->keys[i];
            }
        }
        if (!next) {
            break;
        }
        queue_entry(s, in->idx, next);
        after = next->rev;
    }
    e = ev_push(s, EV_SYNCED,
                s->now + in->watch_delay > in->watch_due
                    ? s->now + in->watch_delay
                    : in->watch_due,
                in->idx);
    in->watch_due = e->t;
}

/* Starts instance 'i' (again: same id, a new process). */
static void
sim_start(struct sim *s, int i)
{
    struct inst *in = &s->in[i];

    assert_null(in->st);
    in->proc++;
    in->st = new_state(s, in);
    in->releases_out = 0;
    in->paused = false;
    in->restart_at = in->exit_at = in->resume_at = -1;
    tracef(s, "== %s starts (process %d)", in->id, in->proc);
    start_watcher(s, in);
    if (!in->partitioned) {
        cl_state_nats(in->st, s->now, true);
    }
    for (int k = 0; k < s->nsw; k++) {
        in->role[k] = 0;
        s->sw[k].conn[i] = s->sw[k].up;
        if (s->sw[k].up) {
            cl_state_switch_up(in->st, s->now, s->sw[k].dpid);
        }
    }
    in->next_run = s->now;
    in->poke = true;
    settle(s);
}

static void
sim_start_all(struct sim *s)
{
    for (int i = 0; i < s->n; i++) {
        sim_start(s, i);
    }
}

/* Adds the counters of instance 'i' to the simulation's sums. */
static void
sum_counters(struct sim *s, int i)
{
    const struct cl_state_counters *c = cl_state_counters(s->in[i].st);

    s->stats[0] += c->fences;
    s->stats[1] += c->fenced;
    s->stats[2] += c->fence_conflicts;
    s->stats[3] += c->claims;
    s->stats[4] += c->claim_conflicts;
    s->stats[5] += c->releases;
    s->stats[6] += c->roles_refused;
    s->stats[7] += c->lapses;
}

/* kill -9: the process and its connections are gone. */
static void
sim_kill(struct sim *s, int i)
{
    struct inst *in = &s->in[i];

    tracef(s, "== %s killed", in->id);
    sum_counters(s, i);
    cl_state_destroy(in->st);
    in->st = NULL;
    in->paused = false;
    for (int k = 0; k < s->nsw; k++) {
        s->sw[k].conn[i] = false;
        if (s->sw[k].master == i) {
            s->sw[k].master = -1;
        }
        in->role[k] = 0;
    }
    check_invariant(s);
}

static void
sim_pause(struct sim *s, int i)
{
    tracef(s, "== %s stopped (SIGSTOP)", s->in[i].id);
    s->in[i].paused = true;
}

static bool
is_entry(enum ev_kind k)
{
    return k == EV_ENTRY || k == EV_SYNCED || k == EV_NATS || k == EV_SWITCH;
}

/* Delivers to 'in' the due events of one group, in their order. */
static void
deliver_group(struct sim *s, struct inst *in, bool entries)
{
    for (;;) {
        size_t best = SIZE_MAX;

        for (size_t j = 0; j < s->nev; j++) {
            struct ev *e = s->ev[j];

            if (ev_for_instance(e->kind) && e->inst == in->idx &&
                e->t <= s->now + 1e-9 && is_entry(e->kind) == entries &&
                deliverable(s, e) &&
                (best == SIZE_MAX || ev_before(e, s->ev[best]))) {
                best = j;
            }
        }
        if (best == SIZE_MAX) {
            return;
        }
        struct ev *e = ev_take(s, best);

        deliver(s, e);
        free(e);
        check_invariant(s);
    }
}

/* SIGCONT: everything that queued up arrives at once, in 'order'. */
static void
sim_resume(struct sim *s, int i, enum order order)
{
    struct inst *in = &s->in[i];

    tracef(s, "== %s resumed (SIGCONT), %s", in->id,
           order == ORDER_ENTRIES_FIRST   ? "entries first"
           : order == ORDER_RESULTS_FIRST ? "results first"
                                          : "run first");
    in->paused = false;
    in->resume_at = -1;
    if (!in->st) {
        return;
    }
    switch (order) {
    case ORDER_ENTRIES_FIRST:
        deliver_group(s, in, true);
        deliver_group(s, in, false);
        break;
    case ORDER_RESULTS_FIRST:
        deliver_group(s, in, false);
        deliver_group(s, in, true);
        break;
    case ORDER_RUN_FIRST:
        run_inst(s, in);
        deliver_group(s, in, true);
        deliver_group(s, in, false);
        break;
    }
    run_inst(s, in);
    settle(s);
}

/* Cuts instance 'i' off NATS (or heals it). */
static void
sim_partition(struct sim *s, int i, bool on)
{
    struct inst *in = &s->in[i];
    struct ev *e;

    tracef(s, "== %s %s NATS", in->id, on ? "cut off from" : "back on");
    in->partitioned = on;
    in->heal_at = -1;
    /* A change not yet told is void. */
    for (size_t j = 0; j < s->nev;) {
        if (s->ev[j]->kind == EV_NATS && s->ev[j]->inst == i) {
            free(ev_take(s, j));
        } else {
            j++;
        }
    }
    if (!in->st) {
        return;
    }
    if (!on) {
        /* The watcher catches up from where it was. */
        for (size_t j = 0; j < s->nev; j++) {
            e = s->ev[j];
            if ((e->kind == EV_ENTRY || e->kind == EV_SYNCED) &&
                e->inst == i && e->t < s->now + in->watch_delay) {
                e->t = s->now + in->watch_delay;
            }
        }
        if (in->watch_due < s->now + in->watch_delay) {
            in->watch_due = s->now + in->watch_delay;
        }
    }
    e = ev_push(s, EV_NATS, s->now + (on ? in->nats_delay : 0), i);
    e->up = !on;
    settle(s);
}

static void
sim_switch(struct sim *s, int k, bool up)
{
    struct sw *w = &s->sw[k];

    tracef(s, "== switch %" PRIx64 " %s", w->dpid, up ? "up" : "down");
    w->up = up;
    w->up_at = -1;
    if (!up) {
        w->master = -1;
    }
    for (int i = 0; i < s->n; i++) {
        struct inst *in = &s->in[i];
        struct ev *e;

        if (!in->st) {
            continue;
        }
        w->conn[i] = up;
        in->role[k] = 0;
        e = ev_push(s, EV_SWITCH, s->now, i);
        e->dpid = w->dpid;
        e->up = up;
    }
    settle(s);
}

/* Steps until 'until'. */
static void
sim_run(struct sim *s, double until)
{
    while (s->now < until - 1e-9) {
        sim_step(s);
    }
}

/* Steps until pred(s) holds or 'until'; returns when it held, or -1. */
static double
sim_run_until(struct sim *s, double until, bool (*pred)(struct sim *))
{
    if (pred(s)) {
        return s->now;
    }
    while (s->now < until - 1e-9) {
        sim_step(s);
        if (pred(s)) {
            return s->now;
        }
    }
    return -1;
}

/* Queries. */

static int
count_of(const struct sim *s, int i)
{
    int n = 0;

    for (int k = 0; k < s->nsw; k++) {
        n += s->in[i].st &&
             cl_state_is_master(s->in[i].st, s->now, s->sw[k].dpid, NULL);
    }
    return n;
}

static bool
all_mastered(struct sim *s)
{
    for (int k = 0; k < s->nsw; k++) {
        if (s->sw[k].up && master_of(s, k, NULL) < 0) {
            return false;
        }
    }
    return true;
}

/* Every switch's own view agrees with the instances'. */
static bool
view_matches(struct sim *s)
{
    for (int k = 0; k < s->nsw; k++) {
        if (s->sw[k].up && s->sw[k].master != master_of(s, k, NULL)) {
            return false;
        }
    }
    return true;
}

/* Each instance in the cluster masters its aim: floor(n/k), one more for
 * the first n mod k by id. */
static bool
balanced(struct sim *s)
{
    int ids[MAX_INST], k = 0, n = 0;

    for (int j = 0; j < s->nsw; j++) {
        n += s->sw[j].up;
    }
    for (int i = 0; i < s->n; i++) {
        if (s->in[i].st && cl_state_in_cluster(s->in[i].st, s->now)) {
            ids[k++] = i;
        }
    }
    if (!k) {
        return false;
    }
    for (int r = 0; r < k; r++) {
        if (count_of(s, ids[r]) != n / k + (r < n % k)) {
            return false;
        }
    }
    return true;
}

static bool
converged(struct sim *s)
{
    return all_mastered(s) && view_matches(s) && balanced(s);
}

/* Converged, with every running instance in the cluster. */
static bool
converged_all(struct sim *s)
{
    for (int i = 0; i < s->n; i++) {
        if (s->in[i].st && !cl_state_in_cluster(s->in[i].st, s->now)) {
            return false;
        }
    }
    return converged(s);
}

static bool
settled(struct sim *s)
{
    return all_mastered(s) && view_matches(s);
}

static const struct cl_state_counters *
ctr(const struct sim *s, int i)
{
    return cl_state_counters(s->in[i].st);
}

static int
most_loaded(const struct sim *s)
{
    int best = -1;

    for (int i = 0; i < s->n; i++) {
        if (s->in[i].st && (best < 0 || count_of(s, i) > count_of(s, best))) {
            best = i;
        }
    }
    return best;
}

/* What cl_state_members reports, as strings. */
struct members_seen {
    int n;
    char id[MAX_INST][CL_ID_MAX];
    char state[MAX_INST][16];
    size_t masters[MAX_INST];
    int64_t pid[MAX_INST];
    char endpoint[MAX_INST][64];
};

static void
on_member(void *arg, const struct cl_member_info *m)
{
    struct members_seen *ms = arg;

    assert_true(ms->n < MAX_INST);
    snprintf(ms->id[ms->n], CL_ID_MAX, "%s", m->id);
    snprintf(ms->state[ms->n], 16, "%s", m->state);
    snprintf(ms->endpoint[ms->n], 64, "%s", m->endpoint ? m->endpoint : "");
    ms->masters[ms->n] = m->masters;
    ms->pid[ms->n] = m->pid;
    ms->n++;
}

static const char *
member_state(struct sim *s, int viewer, int of, size_t *masters)
{
    static struct members_seen ms;

    memset(&ms, 0, sizeof ms);
    cl_state_members(s->in[viewer].st, s->now, on_member, &ms);
    for (int j = 0; j < ms.n; j++) {
        if (!strcmp(ms.id[j], s->in[of].id)) {
            if (masters) {
                *masters = ms.masters[j];
            }
            return ms.state[j];
        }
    }
    return "(absent)";
}

static void
on_switch_info(void *arg, const struct cl_switch_info *si)
{
    struct inst *in = arg;

    tracef(in->sim,
           "   %s sees switch %" PRIx64 ": holder '%s' generation %" PRIu64
           "%s%s role sent %s",
           in->id, si->dpid, si->holder, si->gen,
           si->connected ? " connected" : "", si->master ? " MASTER" : "",
           role_name(si->role_sent));
}

/* Traces what every instance, switch and the bucket say now. */
static void
trace_state(struct sim *s)
{
    tracef(s, "== state:");
    for (int i = 0; i < s->n; i++) {
        struct inst *in = &s->in[i];
        struct members_seen ms;

        if (!in->st) {
            tracef(s, "   %s: not running", in->id);
            continue;
        }
        memset(&ms, 0, sizeof ms);
        cl_state_members(in->st, s->now, on_member, &ms);
        tracef(s, "   %s: %s%s%s, masters %d", in->id,
               cl_state_in_cluster(in->st, s->now) ? "in" : "out",
               in->paused ? " paused" : "", in->partitioned ? " cut off" : "",
               count_of(s, i));
        for (int j = 0; j < ms.n; j++) {
            tracef(s, "   %s sees member %s: %s, %zu masters", in->id,
                   ms.id[j], ms.state[j], ms.masters[j]);
        }
        cl_state_switches(in->st, s->now, on_switch_info, in);
    }
    for (int k = 0; k < s->nsw; k++) {
        tracef(s,
               "   switch %" PRIx64 ": %s, master %s at the switch, by "
               "the instances %d",
               s->sw[k].dpid, s->sw[k].up ? "up" : "down",
               s->sw[k].master >= 0 ? s->in[s->sw[k].master].id : "none",
               master_of(s, k, NULL));
    }
    for (int j = 0; j < s->nkeys; j++) {
        tracef(s, "   bucket %s = %s (revision %" PRIu64 ")", s->keys[j].key,
               s->keys[j].value, s->keys[j].rev);
    }
}

/* A cluster of 'n' instances and 'nsw' switches, converged. */
static struct sim *
converged_cluster(int n, int nsw)
{
    struct sim *s = sim_new(n, nsw);
    double t;

    sim_start_all(s);
    t = sim_run_until(s, 15.0, converged_all);
    SIM_CHECK(s, t >= 0, "no convergence in 15 s");
    /* Let the last releases and roles settle. */
    sim_run(s, s->now + 1.0);
    SIM_CHECK(s, converged(s), "convergence did not last");
    return s;
}

/* ---------------------------------------------------------------------- */
/* 1. Three instances, seven switches. */

static void
test_converge(void **state)
{
    struct sim *s;
    struct cl_state_counters before[3];

    (void)state;
    s = converged_cluster(3, 7);
    assert_int_equal(count_of(s, 0), 3);
    assert_int_equal(count_of(s, 1), 2);
    assert_int_equal(count_of(s, 2), 2);
    for (int i = 0; i < 3; i++) {
        assert_true(cl_state_in_cluster(s->in[i].st, s->now));
        for (int j = 0; j < 3; j++) {
            size_t masters = 99;

            assert_string_equal(member_state(s, i, j, &masters), "alive");
            assert_int_equal(masters, (size_t)count_of(s, j));
        }
        before[i] = *ctr(s, i);
        assert_int_equal(before[i].fences, 0);
        assert_int_equal(before[i].fenced, 0);
        assert_int_equal(before[i].lapses, 0);
    }
    /* Each switch's own view names the master, with its generation. */
    for (int k = 0; k < 7; k++) {
        uint64_t gen;
        int m = master_of(s, k, &gen);

        assert_int_equal(s->sw[k].master, m);
        assert_true(s->sw[k].gen_defined);
        assert_int_equal(s->sw[k].gen, gen);
    }
    /* Stable: ten more seconds change nothing but heartbeats. */
    sim_run(s, s->now + 10.0);
    assert_true(converged(s));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ctr(s, i)->claims, before[i].claims);
        assert_int_equal(ctr(s, i)->releases, before[i].releases);
        assert_int_equal(ctr(s, i)->heartbeat_failures, 0);
        assert_true(ctr(s, i)->heartbeats >= before[i].heartbeats + 14);
    }
}

/* ---------------------------------------------------------------------- */
/* 2. kill -9 of the instance with the most switches. */

static void
test_kill(void **state)
{
    struct sim *s;
    uint64_t gen_before[MAX_SW];
    int victim;
    double t0, t;

    (void)state;
    s = converged_cluster(3, 7);
    victim = most_loaded(s);
    assert_int_equal(count_of(s, victim), 3);
    for (int k = 0; k < s->nsw; k++) {
        gen_before[k] = 0;
        master_of(s, k, &gen_before[k]);
    }
    t0 = s->now;
    sim_kill(s, victim);
    t = sim_run_until(s, t0 + s->lease + 1.0, all_mastered);
    SIM_CHECK(s, t >= 0, "switches without a master %.1f s after the kill",
              s->lease + 1.0);
    printf("# kill: every switch has a master again %.2f s after the kill\n",
           t - t0);
    for (int k = 0; k < s->nsw; k++) {
        uint64_t gen = 0;

        assert_true(master_of(s, k, &gen) != victim);
        assert_true(gen >= gen_before[k]);
    }
    t = sim_run_until(s, t0 + 10.0, converged);
    SIM_CHECK(s, t >= 0, "no balance after the kill");
    assert_int_equal(count_of(s, victim == 0 ? 1 : 0), 4);
    assert_int_equal(count_of(s, victim == 2 ? 1 : 2), 3);
    for (int i = 0; i < 3; i++) {
        if (i != victim) {
            assert_string_equal(member_state(s, i, victim, NULL), "dead");
        }
    }
    assert_int_equal(ctr(s, victim == 0 ? 1 : 0)->fences +
                         ctr(s, victim == 2 ? 1 : 2)->fences,
                     1);
}

/* ---------------------------------------------------------------------- */
/* 3. SIGSTOP of a master for twice the lease, then SIGCONT. */

static void
pause_case(enum order order)
{
    struct sim *s;
    bool taken[MAX_SW];
    int victim;
    double t0, t;

    s = converged_cluster(3, 7);
    victim = most_loaded(s);
    for (int k = 0; k < s->nsw; k++) {
        taken[k] = master_of(s, k, NULL) == victim;
    }
    t0 = s->now;
    sim_pause(s, victim);
    t = sim_run_until(s, t0 + s->lease + 1.0, all_mastered);
    SIM_CHECK(s, t >= 0, "no takeover while %s is stopped", s->in[victim].id);
    sim_run(s, t0 + 2 * s->lease);
    /* The switch's own view: the new masters' requests demoted it. */
    for (int k = 0; k < s->nsw; k++) {
        SIM_CHECK(s, s->sw[k].master >= 0 && s->sw[k].master != victim,
                  "switch %d: master at the switch is %d", k, s->sw[k].master);
    }
    sim_resume(s, victim, order);
    for (int k = 0; k < s->nsw; k++) {
        if (taken[k]) {
            assert_false(cl_state_is_master(s->in[victim].st, s->now,
                                            s->sw[k].dpid, NULL));
        }
    }
    /* It has no say at the switches for what was taken: its stale role is
     * refused or never sent. */
    for (double end = s->now + 1.0; s->now < end;) {
        sim_step(s);
        for (int k = 0; k < s->nsw; k++) {
            if (taken[k]) {
                SIM_CHECK(s, s->sw[k].master != victim,
                          "switch %d: the woken instance is master again", k);
                SIM_CHECK(s, s->sw[k].master == master_of(s, k, NULL),
                          "switch %d: the switch's master is not the holder",
                          k);
            }
        }
    }
    /* It found itself fenced and joined again. */
    assert_int_equal(ctr(s, victim)->fenced, 1);
    t = sim_run_until(s, s->now + 15.0, converged_all);
    SIM_CHECK(s, t >= 0, "no balance after the woken instance rejoined");
    assert_int_equal(ctr(s, victim)->joins, 2);
    assert_true(count_of(s, victim) >= 2);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(member_state(s, i, victim, NULL), "alive");
    }
}

static void
test_pause_entries_first(void **state)
{
    (void)state;
    pause_case(ORDER_ENTRIES_FIRST);
}

static void
test_pause_results_first(void **state)
{
    (void)state;
    pause_case(ORDER_RESULTS_FIRST);
}

static void
test_pause_run_first(void **state)
{
    (void)state;
    pause_case(ORDER_RUN_FIRST);
}

/* Stopped at every phase of the heartbeat cycle, for a little more and a
 * little less than the lease, each order. */
static void
test_pause_phases(void **state)
{
    (void)state;
    for (int o = 0; o < 3; o++) {
        for (int p = 0; p < 7; p++) {
            for (int d = 0; d < 4; d++) {
                static const double durations[] = {1.5, 1.9, 2.1, 2.5};
                struct sim *s = converged_cluster(3, 7);
                int victim = most_loaded(s);

                sim_run(s, s->now + 0.1 * p);
                sim_pause(s, victim);
                sim_run(s, s->now + durations[d]);
                sim_resume(s, victim, (enum order)o);
                SIM_CHECK(s,
                          sim_run_until(s, s->now + 15.0, converged_all) >= 0,
                          "no convergence after a pause");
                sim_free(s);
            }
        }
    }
}

/* ---------------------------------------------------------------------- */
/* 4. One instance cut off NATS for twice the lease. */

static void
test_partition(void **state)
{
    struct sim *s;
    bool taken[MAX_SW];
    int victim, others;
    double t0, stopped = -1, takeover = -1, t;
    uint64_t fences = 0;

    (void)state;
    s = converged_cluster(3, 7);
    victim = most_loaded(s);
    for (int k = 0; k < s->nsw; k++) {
        taken[k] = master_of(s, k, NULL) == victim;
    }
    t0 = s->now;
    sim_partition(s, victim, true);
    while (s->now < t0 + 2 * s->lease - 1e-9) {
        int held = 0, by_others = 0;

        sim_step(s);
        for (int k = 0; k < s->nsw; k++) {
            int m = master_of(s, k, NULL);

            held += m == victim;
            by_others += taken[k] && m >= 0 && m != victim;
        }
        if (!held && stopped < 0) {
            stopped = s->now;
        }
        if (by_others && takeover < 0) {
            takeover = s->now;
        }
    }
    printf("# partition: stopped mastering after %.2f s, first takeover "
           "after %.2f s\n",
           stopped - t0, takeover - t0);
    assert_true(stopped > t0 + 1.0);
    assert_true(stopped <= t0 + s->lease - s->margin + 1e-9);
    assert_true(takeover > stopped);
    assert_false(cl_state_in_cluster(s->in[victim].st, s->now));
    assert_string_equal(member_state(s, victim, victim, NULL), "no cluster");
    assert_true(ctr(s, victim)->lapses == 1);
    assert_true(all_mastered(s));
    others = 0;
    for (int i = 0; i < 3; i++) {
        if (i != victim) {
            fences += ctr(s, i)->fences;
            others += count_of(s, i);
            assert_string_equal(member_state(s, i, victim, NULL), "dead");
        }
    }
    assert_int_equal(fences, 1);
    assert_int_equal(others, 7);
    /* It never fenced anyone (it could not judge, nor write). */
    assert_int_equal(ctr(s, victim)->fences, 0);

    sim_partition(s, victim, false);
    t = sim_run_until(s, s->now + 15.0, converged_all);
    SIM_CHECK(s, t >= 0, "no balance after the partition healed");
    assert_int_equal(ctr(s, victim)->fenced, 1);
    assert_int_equal(ctr(s, victim)->joins, 2);
    assert_true(cl_state_in_cluster(s->in[victim].st, s->now));
}

/* ---------------------------------------------------------------------- */
/* 5. Every instance cut off NATS for twice the lease. */

struct snapshot {
    int master[MAX_SW];
    uint64_t gen[MAX_SW];
    uint64_t fences, fenced, claims, joins, releases;
};

static void
snapshot(struct sim *s, struct snapshot *sn)
{
    memset(sn, 0, sizeof *sn);
    for (int k = 0; k < s->nsw; k++) {
        sn->master[k] = master_of(s, k, &sn->gen[k]);
    }
    for (int i = 0; i < s->n; i++) {
        if (s->in[i].st) {
            sn->fences += ctr(s, i)->fences;
            sn->fenced += ctr(s, i)->fenced;
            sn->claims += ctr(s, i)->claims;
            sn->joins += ctr(s, i)->joins;
            sn->releases += ctr(s, i)->releases;
        }
    }
}

static bool
same_masters(struct sim *s, const struct snapshot *a)
{
    struct snapshot b;

    snapshot(s, &b);
    for (int k = 0; k < s->nsw; k++) {
        if (a->master[k] != b.master[k] || a->gen[k] != b.gen[k]) {
            return false;
        }
    }
    return true;
}

/* All NATS down at 'offset' into a converged cluster, for 'duration';
 * back for one instance after another, 'stagger' apart. */
static void
outage_case(double offset, double duration, bool expect_continuity,
            double stagger)
{
    struct sim *s = converged_cluster(3, 7);
    struct snapshot before, after;
    double t0, t;

    sim_run(s, s->now + offset);
    snapshot(s, &before);
    t0 = s->now;
    for (int i = 0; i < 3; i++) {
        sim_partition(s, i, true);
    }
    while (s->now < t0 + duration - 1e-9) {
        sim_step(s);
        if (expect_continuity) {
            SIM_CHECK(s, same_masters(s, &before),
                      "a master lost its switch during a %.1f s outage",
                      duration);
        } else if (s->now <= t0 + s->lease / 2) {
            /* Deadlines are at least 2/3 lease - margin away. */
            SIM_CHECK(s, same_masters(s, &before),
                      "a master stopped before its deadline");
        } else if (s->now >= t0 + s->lease) {
            SIM_CHECK(s, count_of(s, 0) + count_of(s, 1) + count_of(s, 2) == 0,
                      "a master acts past its deadline");
            for (int i = 0; i < 3; i++) {
                assert_false(cl_state_in_cluster(s->in[i].st, s->now));
            }
        }
    }
    if (!expect_continuity) {
        /* The switches heard the fail-safe SLAVE requests. */
        for (int k = 0; k < s->nsw; k++) {
            SIM_CHECK(s, s->sw[k].master < 0,
                      "switch %d still has a master at the switch", k);
        }
    }
    for (int i = 0; i < 3; i++) {
        if (i) {
            sim_run(s, s->now + stagger);
        }
        sim_partition(s, i, false);
    }
    t = sim_run_until(s, s->now + 3.0, settled);
    SIM_CHECK(s, t >= 0, "masters not back after the outage");
    sim_run(s, s->now + 5.0);
    /* The same masters with the same generation ids: nobody fenced, nobody
     * claimed. */
    SIM_CHECK(s, same_masters(s, &before),
              "masters or generations changed over the outage");
    SIM_CHECK(s, view_matches(s), "the switches' view differs");
    snapshot(s, &after);
    assert_int_equal(after.fences, before.fences);
    assert_int_equal(after.fenced, before.fenced);
    assert_int_equal(after.claims, before.claims);
    assert_int_equal(after.joins, before.joins);
    assert_int_equal(after.releases, before.releases);
    sim_free(s);
}

static void
test_all_nats_down(void **state)
{
    (void)state;
    /* At several phases of the heartbeat cycle. */
    for (int p = 0; p < 7; p++) {
        outage_case(0.1 * p, 2 * LEASE, false, 0);
        /* NATS servers and clients come back one after another. */
        outage_case(0.1 * p, 2 * LEASE, false, 0.4);
        outage_case(0.1 * p, 2 * LEASE, false, 0.8);
    }
}

/* ---------------------------------------------------------------------- */
/* 6. NATS down for less than the lease. */

static void
test_short_outage(void **state)
{
    (void)state;
    for (int p = 0; p < 14; p++) {
        outage_case(0.05 * p, 1.0, true, 0);
    }
}

/* ---------------------------------------------------------------------- */
/* 7. Orderly leave. */

static void
test_leave(void **state)
{
    struct sim *s;
    int leaver = 1;
    double t0, t;

    (void)state;
    s = converged_cluster(3, 7);
    assert_int_equal(count_of(s, leaver), 2);
    t0 = s->now;
    tracef(s, "== %s leaves", s->in[leaver].id);
    cl_state_leave(s->in[leaver].st, s->now);
    s->in[leaver].poke = true;
    assert_int_equal(count_of(s, leaver), 0);
    assert_false(cl_state_handed_over(s->in[leaver].st, s->now));
    settle(s);
    t = sim_run_until(s, t0 + s->lease, all_mastered);
    SIM_CHECK(s, t >= 0 && t - t0 < 0.5, "switches not taken at once");
    printf("# leave: every switch has a master again %.2f s after the "
           "leave\n",
           t - t0);
    sim_run(s, s->now + 0.1);
    assert_true(cl_state_left(s->in[leaver].st));
    assert_true(cl_state_handed_over(s->in[leaver].st, s->now));
    assert_string_equal(member_state(s, 0, leaver, NULL), "left");
    sim_kill(s, leaver);
    t = sim_run_until(s, s->now + 5.0, converged);
    SIM_CHECK(s, t >= 0, "no balance after the leave");
    assert_int_equal(count_of(s, 0), 4);
    assert_int_equal(count_of(s, 2), 3);
    assert_int_equal(ctr(s, 0)->fences + ctr(s, 2)->fences, 0);
}

/* ---------------------------------------------------------------------- */
/* Preferences (cluster.prefer, what vns_server asks for the switch its
 * router is on): the preferring instance ends up master of the switch,
 * whoever held it, without two masters at any step; the switch stays
 * with it once the preference ends; and a preferring instance's death
 * leaves the switch to the others as usual. */

static void
test_prefer(void **state)
{
    struct sim *s;
    int k = 0, holder, want;
    uint64_t gen0, gen1;
    double t;

    (void)state;
    s = converged_cluster(3, 7);
    holder = master_of(s, k, &gen0);
    assert_true(holder >= 0);
    want = (holder + 1) % 3;
    tracef(s, "== %s prefers switch %d", s->in[want].id, k);
    assert_int_equal(
        cl_state_prefer(s->in[want].st, s->now, s->sw[k].dpid, true), 0);
    s->in[want].poke = true;
    t = sim_run_until(s, s->now + 5.0, converged_all);
    SIM_CHECK(s, t >= 0, "no convergence after the preference");
    t = s->now;
    while (master_of(s, k, NULL) != want && s->now < t + 5.0) {
        sim_run(s, s->now + 0.05);
    }
    SIM_CHECK(s, master_of(s, k, &gen1) == want,
              "the preferring instance does not master the switch");
    assert_true(gen1 > gen0);
    /* It stays there, and the rest rebalances around it. */
    sim_run(s, s->now + 5.0);
    SIM_CHECK(s, master_of(s, k, NULL) == want && converged(s),
              "the preferred switch moved or the rest is unbalanced");
    /* The preference ends: nothing has to move. */
    assert_int_equal(
        cl_state_prefer(s->in[want].st, s->now, s->sw[k].dpid, false), 0);
    s->in[want].poke = true;
    sim_run(s, s->now + 3.0);
    assert_int_equal(master_of(s, k, NULL), want);
    /* Preferred again, then dead: a survivor takes the switch. */
    assert_int_equal(
        cl_state_prefer(s->in[want].st, s->now, s->sw[k].dpid, true), 0);
    s->in[want].poke = true;
    sim_run(s, s->now + 1.0);
    sim_kill(s, want);
    t = sim_run_until(s, s->now + s->lease + 2.0, all_mastered);
    SIM_CHECK(s, t >= 0,
              "the dead preferring instance's switch kept no "
              "master");
    /* Too many preferences are refused. */
    for (int i = 0; i < CL_PREFER_MAX; i++) {
        assert_int_equal(
            cl_state_prefer(s->in[holder == want ? (want + 1) % 3 : holder].st,
                            s->now, UINT64_C(0x9000) + i, true),
            0);
    }
    assert_int_equal(
        cl_state_prefer(s->in[holder == want ? (want + 1) % 3 : holder].st,
                        s->now, UINT64_C(0x9999), true),
        ENOSPC);
}

/* The lab's case: one switch, two instances, the one the balance did not
 * choose prefers it.  It must end there and stay, with one claim and one
 * release, not flap (a release for balance used to undo each claim). */
static void
test_prefer_single_switch(void **state)
{
    struct sim *s;
    int holder, want;
    uint64_t claims, releases;

    (void)state;
    s = converged_cluster(2, 1);
    holder = master_of(s, 0, NULL);
    assert_true(holder >= 0);
    want = 1 - holder;
    claims = ctr(s, want)->claims;
    releases = ctr(s, holder)->releases + ctr(s, want)->releases;
    assert_int_equal(
        cl_state_prefer(s->in[want].st, s->now, s->sw[0].dpid, true), 0);
    s->in[want].poke = true;
    sim_run(s, s->now + 10.0);
    SIM_CHECK(s, master_of(s, 0, NULL) == want,
              "the preferring instance does not master the switch");
    claims = ctr(s, want)->claims - claims;
    releases = ctr(s, holder)->releases + ctr(s, want)->releases - releases;
    printf("# one switch preferred by the other instance: claims %" PRIu64
           ", releases %" PRIu64 "\n",
           claims, releases);
    SIM_CHECK(s, claims == 1 && releases == 1,
              "mastership flaps between claims and releases");
}

/* ---------------------------------------------------------------------- */
/* 8. A fourth instance joins. */

static void
test_join(void **state)
{
    struct sim *s;
    struct snapshot before, after;
    double t;

    (void)state;
    s = converged_cluster(3, 8);
    assert_int_equal(count_of(s, 0), 3);
    assert_int_equal(count_of(s, 1), 3);
    assert_int_equal(count_of(s, 2), 2);
    snapshot(s, &before);
    s->n = 4;
    sim_reset_gaps(s);
    sim_start(s, 3);
    t = sim_run_until(s, s->now + 10.0, converged);
    SIM_CHECK(s, t >= 0, "the new instance did not get its share");
    sim_run(s, s->now + 2.0);
    assert_true(converged(s));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(count_of(s, i), 2);
    }
    snapshot(s, &after);
    assert_int_equal(after.fences, 0);
    assert_true(after.releases - before.releases >= 2);
    /* A release leaves a switch without a master from the release's
     * write to the claim's answer: the release's write latency, the
     * claimant's watcher delay, a step until it runs, the claim's write and
     * answer latencies, and a step of rounding: 0.07 s here. */
    printf("# join: longest time a switch had no master: %.2f s\n",
           sim_max_gap(s));
    SIM_CHECK(s, sim_max_gap(s) < 0.2,
              "a switch was without a master for "
              "%.2f s",
              sim_max_gap(s));
}

/* ---------------------------------------------------------------------- */
/* 9. A slow watcher. */

static void
test_slow_watcher(void **state)
{
    struct sim *s;
    double t;
    int slow = 2;

    (void)state;
    s = sim_new(3, 7);
    s->in[slow].watch_delay = 1.0;
    sim_start_all(s);
    t = sim_run_until(s, 20.0, converged);
    SIM_CHECK(s, t >= 0, "no convergence with a slow watcher");
    sim_run(s, s->now + 2.0);
    assert_int_equal(ctr(s, slow)->fences, 0);
    /* Kill the first: the other fast one fences it; the slow one, a lease
     * after it saw the last heartbeat, tries too, from the revision it saw,
     * and loses. */
    sim_kill(s, 0);
    t = sim_run_until(s, s->now + 10.0, converged);
    SIM_CHECK(s, t >= 0, "no balance after a kill with a slow watcher");
    sim_run(s, s->now + 3.0);
    assert_int_equal(ctr(s, 1)->fences, 1);
    assert_int_equal(ctr(s, slow)->fences, 0);
    assert_true(ctr(s, slow)->fence_conflicts >= 1);
    assert_int_equal(count_of(s, 1) + count_of(s, slow), 7);
    printf("# slow watcher: claim conflicts %" PRIu64
           ", fence conflicts %" PRIu64 "\n",
           ctr(s, slow)->claim_conflicts, ctr(s, slow)->fence_conflicts);
    /* Its watcher gets slower still, then fast again. */
    s->in[slow].watch_delay = 1.9;
    sim_run(s, s->now + 10.0);
    s->in[slow].watch_delay = 0.02;
    SIM_CHECK(s, sim_run_until(s, s->now + 10.0, converged) >= 0,
              "no balance after the watcher caught up");
}

/* ---------------------------------------------------------------------- */
/* 10. Randomised. */

static uint64_t
prng_next(struct sim *s)
{
    uint64_t z = (s->prng += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double
uniform(struct sim *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(prng_next(s) >> 11) / 9007199254740992.0;
}

static int
pick(struct sim *s, int n)
{
    return (int)(prng_next(s) % (uint64_t)n);
}

/* Carries out what the randomised test scheduled. */
static void
random_due(struct sim *s)
{
    for (int i = 0; i < s->n; i++) {
        struct inst *in = &s->in[i];

        if (in->resume_at >= 0 && s->now >= in->resume_at) {
            sim_resume(s, i, in->resume_order);
        }
        if (in->heal_at >= 0 && s->now >= in->heal_at) {
            sim_partition(s, i, false);
        }
        if (in->exit_at >= 0 && s->now >= in->exit_at && in->st) {
            in->exit_at = -1;
            sim_kill(s, i);
        }
        if (in->restart_at >= 0 && s->now >= in->restart_at && !in->st) {
            sim_start(s, i);
        }
    }
    for (int k = 0; k < s->nsw; k++) {
        if (s->sw[k].up_at >= 0 && s->now >= s->sw[k].up_at) {
            sim_switch(s, k, true);
        }
    }
}

static void
random_latencies(struct sim *s)
{
    s->write_lat = uniform(s, 0.001, 0.1);
    s->result_lat = uniform(s, 0.001, 0.1);
    s->role_lat = uniform(s, 0.001, 0.05);
    for (int i = 0; i < s->n; i++) {
        s->in[i].watch_delay =
            pick(s, 4) ? uniform(s, 0.001, 0.2) : uniform(s, 0.2, 1.5);
        s->in[i].result_extra = pick(s, 4) ? 0 : uniform(s, 0, 0.5);
    }
}

/* A reload of the plugin: its state saved, a fresh one restored from it,
 * a new watcher. */
static void
sim_reload(struct sim *s, int i)
{
    struct inst *in = &s->in[i];
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);

    tracef(s, "== %s reloads", in->id);
    assert_int_equal(cl_state_save(in->st, &b), 0);
    sum_counters(s, i);
    cl_state_destroy(in->st);
    in->proc++; /* Results and entries on their way to the old are lost. */
    in->releases_out = 0;
    in->st = new_state(s, in);
    assert_int_equal(cl_state_restore(in->st, b.data, b.len), 0);
    px_buf_destroy(&b);
    start_watcher(s, in);
    if (!in->partitioned) {
        cl_state_nats(in->st, s->now, true);
    }
    for (int k = 0; k < s->nsw; k++) {
        if (s->sw[k].conn[i]) {
            cl_state_switch_up(in->st, s->now, s->sw[k].dpid);
        }
    }
    in->poke = true;
    check_invariant(s);
    settle(s);
}

static void
random_action(struct sim *s, bool reloads)
{
    int i = pick(s, s->n);
    struct inst *in = &s->in[i];

    switch (pick(s, reloads ? 9 : 8)) {
    case 0:
    case 1: /* SIGSTOP. */
        if (in->st && !in->paused && in->exit_at < 0) {
            sim_pause(s, i);
            in->resume_at = s->now + uniform(s, 0.05, 5.0);
            in->resume_order = (enum order)pick(s, 3);
        }
        break;
    case 2: /* Cut off NATS. */
        if (!in->partitioned) {
            in->nats_delay = pick(s, 2) ? 0 : uniform(s, 0, 1.0);
            sim_partition(s, i, true);
            in->heal_at = s->now + uniform(s, 0.05, 5.0);
        }
        break;
    case 3: /* kill -9, started again later. */
        if (in->st) {
            sim_kill(s, i);
            in->restart_at = s->now + uniform(s, 0.1, 4.0);
        }
        break;
    case 4: { /* A switch goes away for a while. */
        int k = pick(s, s->nsw);

        if (s->sw[k].up) {
            sim_switch(s, k, false);
            s->sw[k].up_at = s->now + uniform(s, 0.1, 4.0);
        }
        break;
    }
    case 5:
        random_latencies(s);
        break;
    case 6: { /* Every NATS server down for a while. */
        double heal = s->now + uniform(s, 0.1, 4.0);

        for (int j = 0; j < s->n; j++) {
            if (!s->in[j].partitioned) {
                s->in[j].nats_delay = 0;
                sim_partition(s, j, true);
                s->in[j].heal_at = heal;
            }
        }
        break;
    }
    case 7: /* SIGTERM: leaves in order, exits, is started again. */
        if (in->st && !in->paused && in->exit_at < 0) {
            tracef(s, "== %s leaves", in->id);
            cl_state_leave(in->st, s->now);
            in->poke = true;
            in->exit_at = s->now + uniform(s, 0.05, 1.0);
            in->restart_at = in->exit_at + uniform(s, 0.1, 3.0);
        }
        break;
    case 8: /* Reload. */
        if (in->st && !in->paused && in->exit_at < 0) {
            sim_reload(s, i);
        }
        break;
    }
}

static void
random_case(uint64_t seed, bool lose_acks, bool reloads, double length,
            uint64_t sums[8])
{
    struct sim *s = sim_new(3, 4);
    double t;

    s->prng = seed;
    s->pause_on_write = 0.03;
    s->pause_kinds = ~0u;
    s->n = 3 + pick(s, 3);
    s->nsw = 3 + pick(s, 8);
    s->lose_acks = lose_acks;
    tracef(s, "== seed %" PRIu64 ": %d instances, %d switches", seed, s->n,
           s->nsw);
    sim_start_all(s);
    sim_run(s, 3.0);
    while (s->now < length) {
        double next = s->now + uniform(s, 0.05, 1.2);

        while (s->now < next - 1e-9) {
            sim_step(s);
            random_due(s);
        }
        random_action(s, reloads);
    }
    /* Heal everything.  Slow answers (result_extra) stay: they are no
     * fault, and the cluster must settle with them too. */
    tracef(s, "== healing everything");
    s->pause_on_write = 0;
    s->write_lat = s->result_lat = 0.01;
    s->role_lat = 0.005;
    for (int i = 0; i < s->n; i++) {
        struct inst *in = &s->in[i];

        in->watch_delay = 0.02;
        if (in->paused) {
            sim_resume(s, i, in->resume_order);
        }
        if (in->partitioned) {
            sim_partition(s, i, false);
        }
        if (in->exit_at >= 0 && in->st) {
            in->exit_at = -1;
            sim_kill(s, i);
        }
        if (!in->st) {
            sim_start(s, i);
        }
    }
    for (int k = 0; k < s->nsw; k++) {
        if (!s->sw[k].up) {
            sim_switch(s, k, true);
        }
    }
    t = sim_run_until(s, s->now + 20.0, converged_all);
    if (t < 0) {
        trace_state(s);
    }
    SIM_CHECK(s, t >= 0,
              "seed %" PRIu64 ": no single master per switch after healing",
              seed);
    for (int i = 0; i < s->n; i++) {
        sum_counters(s, i);
    }
    for (int j = 0; j < 8; j++) {
        sums[j] += s->stats[j];
    }
    sim_free(s);
}

/* CL_TEST_SEEDS=n runs n seeds (40 by default); CL_TEST_SEED=i runs only
 * the i-th, to replay a failure. */
static int
random_seeds(int *first)
{
    const char *one = getenv("CL_TEST_SEED");
    const char *env = getenv("CL_TEST_SEEDS");

    *first = one ? atoi(one) : 0;
    return one ? 1 : env ? atoi(env) : 40;
}

static void
print_sums(const char *what, int n, clock_t c0, const uint64_t sums[8])
{
    printf("# %s: %d seeds, %.1f s of CPU; fences %" PRIu64 ", fenced %" PRIu64
           ", fence conflicts %" PRIu64 ", claims %" PRIu64
           ", claim conflicts %" PRIu64 ", releases %" PRIu64
           ", roles refused %" PRIu64 ", lapses %" PRIu64 "\n",
           what, n, (double)(clock() - c0) / CLOCKS_PER_SEC, sums[0], sums[1],
           sums[2], sums[3], sums[4], sums[5], sums[6], sums[7]);
}

static void
test_random(void **state)
{
    int first, n = random_seeds(&first);
    clock_t c0 = clock();
    uint64_t sums[8] = {0};

    (void)state;
    for (int i = first; i < first + n; i++) {
        random_case(UINT64_C(1000) + (uint64_t)i, false, false, 60.0, sums);
    }
    print_sums("random", n, c0, sums);
}

static void
test_random_reloads(void **state)
{
    int first, n = random_seeds(&first);
    clock_t c0 = clock();
    uint64_t sums[8] = {0};

    (void)state;
    for (int i = first; i < first + n; i++) {
        random_case(UINT64_C(2000) + (uint64_t)i, false, true, 60.0, sums);
    }
    print_sums("random with reloads", n, c0, sums);
}

static void
test_random_lost_acks(void **state)
{
    int first, n = random_seeds(&first);
    clock_t c0 = clock();
    uint64_t sums[8] = {0};

    (void)state;
    for (int i = first; i < first + n; i++) {
        random_case(UINT64_C(3000) + (uint64_t)i, true, false, 60.0, sums);
    }
    print_sums("random with lost acks", n, c0, sums);
}

/* Another tool writes 'value' at 'key' (no compare-and-set). */
static void
sim_put(struct sim *s, const char *key, const char *value)
{
    struct kv *kv = kv_find(s, key);

    if (!kv) {
        assert_true(s->nkeys < MAX_KEYS);
        kv = &s->keys[s->nkeys++];
        snprintf(kv->key, sizeof kv->key, "%s", key);
    }
    kv->rev = s->next_rev++;
    kv->len = strlen(value);
    memcpy(kv->value, value, kv->len + 1);
    tracef(s, "bucket: %s = %s, revision %" PRIu64 " (another tool)", key,
           value, kv->rev);
    for (int j = 0; j < s->n; j++) {
        if (s->in[j].st) {
            queue_entry(s, j, kv);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Faults this simulation found. */

/* Answers slower than the watcher: an instance sees its own claim's entry
 * before the claim's answer.  It must not count that switch twice: it would
 * think itself above its aim, release a switch, claim one again when the
 * answer comes, and so on for ever (two instances doing so keep each other
 * going).  Two of three instances stay away for longer than the lease, so
 * that the third takes everything, then come back together. */
static void
test_slow_answers(void **state)
{
    static const struct {
        int nsw;
        double extra[3]; /* Each instance's answers, after its watcher. */
    } cases[] = {
        {9, {0.1, 0.1, 0.1}}, {9, {0.1, 0.1, 0}},    {9, {0.1, 0, 0.3}},
        {8, {0.3, 0.1, 0.1}}, {8, {0.2, 0.2, 0.3}},  {7, {0.5, 0.2, 0}},
        {7, {0.3, 0.3, 0.3}}, {10, {0.2, 0.2, 0.2}},
    };

    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        struct sim *s = sim_new(3, cases[c].nsw);
        struct snapshot a, b;

        for (int i = 0; i < 3; i++) {
            s->in[i].result_extra = cases[c].extra[i];
        }
        sim_start_all(s);
        SIM_CHECK(s, sim_run_until(s, 30.0, converged_all) >= 0,
                  "case %zu: no convergence", c);
        sim_kill(s, 0);
        sim_kill(s, 2);
        sim_run(s, s->now + 2 * s->lease);
        sim_start(s, 0);
        sim_start(s, 2);
        SIM_CHECK(s, sim_run_until(s, s->now + 20.0, converged_all) >= 0,
                  "case %zu: no convergence after the restarts", c);
        sim_run(s, s->now + 2.0);
        snapshot(s, &a);
        sim_run(s, s->now + 10.0);
        snapshot(s, &b);
        SIM_CHECK(s,
                  b.claims == a.claims && b.releases == a.releases &&
                      converged(s),
                  "case %zu: masterships keep moving: claims %" PRIu64
                  " -> %" PRIu64 ", releases %" PRIu64 " -> %" PRIu64,
                  c, a.claims, b.claims, a.releases, b.releases);
        sim_free(s);
    }
}

/* Once a fault: a RELEASE done in the bucket whose answer is lost (the
 * client times out: CL_WRITE_FAILED) leaves the instance believing it still
 * holds the switch while another claims it.  NATS cannot promise that a
 * request that timed out was not done. */
static void
test_release_answer_lost(void **state)
{
    struct sim *s;

    (void)state;
    s = converged_cluster(3, 8);
    s->lose_acks = true;
    s->in[0].result_extra = 0.1;
    /* Cut a off just after its first RELEASE reached the bucket. */
    s->hook_inst = 0;
    s->hook_kind = CL_W_RELEASE;
    s->hook_nth = 1;
    s->hook_delay = s->write_lat + 0.005;
    s->n = 4;
    sim_start(s, 3);
    sim_run(s, s->now + 6.0);
    assert_int_equal(s->hook_nth, 0);
    sim_partition(s, 0, false);
    SIM_CHECK(s, sim_run_until(s, s->now + 15.0, converged_all) >= 0,
              "no convergence");
}

/* Once a fault: reloaded while a RELEASE is out, the new state restores the
 * switch as held (cl_state_save keeps every switch held_by_self, release
 * or not) and masters it until its new watcher tells it otherwise, while
 * another instance claims it. */
static void
test_reload_release_out(void **state)
{
    struct sim *s;

    (void)state;
    /* Started apart, so that heartbeats and releases are not all in the
     * same runs: the hook takes the first release made with no heartbeat
     * out (a heartbeat lost over the reload costs the instance all it
     * holds, which would hide this fault). */
    s = sim_new(3, 8);
    for (int i = 0; i < 3; i++) {
        s->in[i].watch_delay = 0.3;
        sim_start(s, i);
        sim_run(s, s->now + 0.25);
    }
    SIM_CHECK(s, sim_run_until(s, 15.0, converged_all) >= 0, "no convergence");
    sim_run(s, s->now + 1.0);
    s->hook_inst = -1;
    s->hook_kind = CL_W_RELEASE;
    s->hook_nth = 1;
    s->hook_reload = true;
    s->hook_delay = 0.001;
    s->n = 4;
    sim_start(s, 3);
    sim_run(s, s->now + 6.0);
    assert_int_equal(s->hook_nth, 0);
    assert_int_equal(ctr(s, s->hook_inst)->fenced, 0);
    SIM_CHECK(s, sim_run_until(s, s->now + 15.0, converged_all) >= 0,
              "no convergence");
}

/* Reloaded while a heartbeat is out: its answer goes to the old state, so
 * the new one does not know the revision it made. */
static void
test_reload_heartbeat_out(void **state)
{
    struct sim *s;
    struct snapshot before;

    (void)state;
    s = converged_cluster(3, 7);
    snapshot(s, &before);
    s->hook_inst = 0;
    s->hook_kind = CL_W_HEARTBEAT;
    s->hook_nth = 1;
    s->hook_reload = true;
    s->hook_delay = 0.001;
    sim_run(s, s->now + 10.0);
    assert_int_equal(s->hook_nth, 0);
    printf("# reload with a heartbeat out: fenced %" PRIu64
           ", heartbeat failures %" PRIu64 ", joins %" PRIu64 "\n",
           ctr(s, 0)->fenced, ctr(s, 0)->heartbeat_failures, ctr(s, 0)->joins);
    SIM_CHECK(s, same_masters(s, &before),
              "masters changed over a reload with a heartbeat out");
    assert_int_equal(ctr(s, 0)->fenced, 0);
}

/* True if instance 'i' has a CLAIM on its way to the bucket. */
static bool
claim_out(const struct sim *s, int i)
{
    for (size_t j = 0; j < s->nev; j++) {
        if (s->ev[j]->kind == EV_APPLY && s->ev[j]->inst == i &&
            s->ev[j]->wkind == CL_W_CLAIM) {
            return true;
        }
    }
    return false;
}

/* Once a fault: a claim made in one incarnation and answered after the
 * instance joined again (here: its heartbeat refused after a reload with a
 * heartbeat out) is recorded under the new incarnation (write_done takes
 * st->inc, not the one written), so the instance believes it holds a
 * switch whose record names its dead incarnation: the others take it as
 * free and claim it. */
static void
test_claim_answer_after_rejoin(void **state)
{
    struct sim *s;

    (void)state;
    s = converged_cluster(3, 7);
    /* Its answers come after a while. */
    s->in[0].result_extra = 0.2;
    sim_run(s, s->now + 1.0);
    s->hook_inst = 0;
    s->hook_kind = CL_W_HEARTBEAT;
    s->hook_nth = 1;
    s->hook_reload = true;
    s->hook_delay = 0.001;
    while (s->hook_nth) {
        sim_step(s);
    }
    /* b leaves as a reloads: a claims b's switches while the refusal of
     * its heartbeat is on its way. */
    tracef(s, "== %s leaves", s->in[1].id);
    cl_state_leave(s->in[1].st, s->now);
    s->in[1].poke = true;
    while (!claim_out(s, 0)) {
        sim_step(s);
    }
    /* The claim's own entry comes after its answer (an entry first would
     * put the right incarnation in the record). */
    s->in[0].watch_delay = 0.5;
    sim_run(s, s->now + 1.0);
    sim_kill(s, 1);
    sim_run(s, s->now + 5.0);
    s->in[0].watch_delay = 0.02;
    SIM_CHECK(s, sim_run_until(s, s->now + 15.0, converged_all) >= 0,
              "no convergence");
}

/* Once a fault: a member record this instance could not keep (past
 * max_members) makes the switches that member holds look free (holder_valid
 * finds no such member), so it claims them over a live holder.  Member
 * records are never deleted: a bucket that saw many instance ids over time
 * fills max_members with dead ones. */
static void
test_max_members(void **state)
{
    struct sim *s;

    (void)state;
    s = sim_new(3, 8);
    s->max_members = 4;
    for (int i = 0; i < 3; i++) {
        char key[32];

        snprintf(key, sizeof key, "member.old%d", i);
        sim_put(s, key,
                "{\"v\":1,\"state\":\"dead\",\"inc\":\"0000000000000001\"}");
    }
    /* b alone takes every switch; a and c, started later, each keep the
     * three dead records and b's, and so know neither themselves nor each
     * other; b dies: both claim what it held, and each finds the other's
     * records naming a member it does not know. */
    sim_start(s, 1);
    sim_run(s, 1.0);
    sim_start(s, 0);
    sim_start(s, 2);
    sim_run(s, 3.0);
    sim_kill(s, 1);
    sim_run(s, 10.0);
    printf("# max_members: records dropped %" PRIu64 ", %" PRIu64 "\n",
           ctr(s, 0)->records_dropped, ctr(s, 2)->records_dropped);
}

/* ---------------------------------------------------------------------- */
/* 11. Handoff across a reload. */

static void
test_handoff(void **state)
{
    struct sim *s;
    struct snapshot before;
    int who = 0;
    uint64_t gens[MAX_SW];
    const struct cl_state_counters *c;

    (void)state;
    s = converged_cluster(3, 7);
    /* Just after a heartbeat was acknowledged, so none is out. */
    {
        uint64_t hb = ctr(s, who)->heartbeats;

        while (ctr(s, who)->heartbeats == hb) {
            sim_step(s);
        }
    }
    snapshot(s, &before);
    for (int k = 0; k < s->nsw; k++) {
        gens[k] = before.gen[k];
    }
    sim_reload(s, who);
    /* Master again at once, with the same generation ids. */
    for (int k = 0; k < s->nsw; k++) {
        uint64_t gen = 0;

        if (before.master[k] == who) {
            assert_true(cl_state_is_master(s->in[who].st, s->now,
                                           s->sw[k].dpid, &gen));
            assert_int_equal(gen, gens[k]);
        }
    }
    assert_true(cl_state_in_cluster(s->in[who].st, s->now));
    sim_run(s, s->now + 10.0);
    SIM_CHECK(s, same_masters(s, &before), "masters changed over a reload");
    assert_true(converged(s));
    c = ctr(s, who);
    assert_int_equal(c->fenced, 0);
    assert_int_equal(c->heartbeat_failures, 0);
    assert_int_equal(c->joins, 0);
    assert_int_equal(c->claims, 0);
    assert_true(c->heartbeats >= 14);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ctr(s, i)->fences, 0);
    }
}

/* blob_reader: restores into a fresh state; a refused blob must leave it
 * out of the cluster and master of nothing. */
static int
read_state_blob(const uint8_t *data, size_t len)
{
    struct sim *s = cur_sim;
    uint8_t *copy = malloc(len ? len : 1);
    struct cl_state *st;
    int error;

    assert_non_null(copy);
    memcpy(copy, data, len);
    st = new_state(s, &s->in[7]);
    error = cl_state_restore(st, copy, len);
    assert_true(error == 0 || error == EINVAL || error == EPROTO);
    if (error) {
        assert_false(cl_state_in_cluster(st, s->now));
        for (int k = 0; k < MAX_SW; k++) {
            assert_false(cl_state_is_master(st, s->now, s->sw[k].dpid, NULL));
        }
    }
    cl_state_destroy(st);
    free(copy);
    return error ? EPROTO : 0;
}

static void
test_handoff_blob(void **state)
{
    struct sim *s;
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    uint8_t *bad;

    (void)state;
    s = converged_cluster(3, 7);
    assert_int_equal(cl_state_save(s->in[0].st, &b), 0);
    /* Header (37 bytes) and three switches of 37. */
    assert_int_equal(b.len, 37 + 3 * 37);
    blob_check_truncations(b.data, b.len, read_state_blob);
    blob_check_flips(b.data, b.len, read_state_blob);
    bad = malloc(b.len);
    assert_non_null(bad);
    /* Not a flag. */
    BLOB_EXPECT_REFUSED(read_state_blob, b.data, bad, b.len, 32, BLOB_PUT_U8,
                        2);
    /* More switches than the blob holds, or one fewer. */
    BLOB_EXPECT_REFUSED(read_state_blob, b.data, bad, b.len, 33, px_put_be32,
                        4);
    BLOB_EXPECT_REFUSED(read_state_blob, b.data, bad, b.len, 33, px_put_be32,
                        2);
    BLOB_EXPECT_REFUSED(read_state_blob, b.data, bad, b.len, 33, px_put_be32,
                        UINT32_MAX);
    /* A switch's "releasing" flag that is not a flag. */
    BLOB_EXPECT_REFUSED(read_state_blob, b.data, bad, b.len, 37 + 36,
                        BLOB_PUT_U8, 2);
    free(bad);
    /* A state with nothing to hand over. */
    px_buf_destroy(&b);
    {
        struct cl_state *st = new_state(s, &s->in[7]);
        struct px_buf e = PX_BUF_INITIALIZER(SIZE_MAX);

        assert_int_equal(cl_state_save(st, &e), 0);
        assert_int_equal(e.len, 37);
        assert_int_equal(read_state_blob(e.data, e.len), 0);
        px_buf_destroy(&e);
        cl_state_destroy(st);
    }
}

/* ---------------------------------------------------------------------- */
/* 12. Bucket values. */

static void
test_values(void **state)
{
    struct cl_member_value m = {.state = CL_MEMBER_ALIVE,
                                .inc = UINT64_C(0xfedcba9876543210),
                                .pid = 4242},
                           m2;
    struct cl_switch_value sv = {.inc = 7}, sv2;
    char buf[CL_VALUE_MAX], id[CL_ID_MAX], long_id[80];
    size_t len;
    uint64_t dpid;

    (void)state;
    snprintf(m.endpoint, sizeof m.endpoint, "tcp:192.0.2.1:6653");
    assert_int_equal(cl_member_encode(&m, buf, sizeof buf, &len), 0);
    assert_int_equal(strlen(buf), len);
    assert_int_equal(cl_member_decode(buf, len, &m2), 0);
    assert_int_equal(m2.state, CL_MEMBER_ALIVE);
    assert_true(m2.inc == m.inc);
    assert_int_equal(m2.pid, 4242);
    assert_string_equal(m2.endpoint, m.endpoint);
    assert_string_equal(m2.by, "");
    /* 64-bit numbers as 16 hex digits, not JSON numbers. */
    assert_non_null(strstr(buf, "\"fedcba9876543210\""));

    m.state = CL_MEMBER_DEAD;
    snprintf(m.by, sizeof m.by, "node-2_b");
    assert_int_equal(cl_member_encode(&m, buf, sizeof buf, &len), 0);
    assert_int_equal(cl_member_decode(buf, len, &m2), 0);
    assert_int_equal(m2.state, CL_MEMBER_DEAD);
    assert_string_equal(m2.by, "node-2_b");
    m.state = CL_MEMBER_LEFT;
    assert_int_equal(cl_member_encode(&m, buf, sizeof buf, &len), 0);
    assert_int_equal(cl_member_decode(buf, len, &m2), 0);
    assert_int_equal(m2.state, CL_MEMBER_LEFT);
    assert_int_equal(cl_member_encode(&m, buf, 20, &len), ENOSPC);

    snprintf(sv.holder, sizeof sv.holder, "a");
    assert_int_equal(cl_switch_encode(&sv, buf, sizeof buf, &len), 0);
    assert_int_equal(cl_switch_decode(buf, len, &sv2), 0);
    assert_string_equal(sv2.holder, "a");
    assert_true(sv2.inc == 7);
    sv.holder[0] = '\0'; /* Released. */
    assert_int_equal(cl_switch_encode(&sv, buf, sizeof buf, &len), 0);
    assert_int_equal(cl_switch_decode(buf, len, &sv2), 0);
    assert_string_equal(sv2.holder, "");
    assert_int_equal(cl_switch_encode(&sv, buf, 10, &len), ENOSPC);

    /* Fields a later minor change may add are ignored. */
#define MEMBER_OK(J) assert_int_equal(cl_member_decode(J, strlen(J), &m2), 0)
#define MEMBER_IS(J, E)                                                       \
    assert_int_equal(cl_member_decode(J, strlen(J), &m2), (E))
#define SWITCH_IS(J, E)                                                       \
    assert_int_equal(cl_switch_decode(J, strlen(J), &sv2), (E))
    MEMBER_OK("{\"v\":1,\"state\":\"alive\",\"inc\":\"0000000000000001\","
              "\"zone\":\"x\"}");
    assert_int_equal(m2.pid, 0);
    MEMBER_IS("", EINVAL);
    MEMBER_IS("not json", EINVAL);
    MEMBER_IS("[1]", EINVAL);
    MEMBER_IS("{}", EINVAL);
    MEMBER_IS("{\"v\":\"1\",\"state\":\"alive\",\"inc\":\"0000000000000001\"}",
              EINVAL);
    MEMBER_IS("{\"v\":0,\"state\":\"alive\",\"inc\":\"0000000000000001\"}",
              EINVAL);
    MEMBER_IS("{\"v\":2,\"state\":\"alive\",\"inc\":\"0000000000000001\"}",
              EPROTO);
    MEMBER_IS("{\"v\":2}", EPROTO);
    MEMBER_IS("{\"v\":1,\"state\":\"zombie\",\"inc\":\"0000000000000001\"}",
              EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":1,\"inc\":\"0000000000000001\"}", EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\"}", EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\",\"inc\":1}", EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\",\"inc\":\"1\"}", EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\",\"inc\":\"000000000000000g\"}",
              EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\",\"inc\":\"-000000000000001\"}",
              EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\",\"inc\":\"0000000000000001\","
              "\"by\":\"a b\"}",
              EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\",\"inc\":\"0000000000000001\","
              "\"by\":5}",
              EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\",\"inc\":\"0000000000000001\","
              "\"pid\":\"5\"}",
              EINVAL);
    MEMBER_IS("{\"v\":1,\"state\":\"alive\",\"inc\":\"0000000000000001\","
              "\"by\":\"a\\u0000b\"}",
              EINVAL);
    MEMBER_IS("{\"v\":1,\"v\":1,\"state\":\"alive\","
              "\"inc\":\"0000000000000001\"}",
              EINVAL);
    {
        char j[400];

        snprintf(j, sizeof j,
                 "{\"v\":1,\"state\":\"alive\",\"inc\":\"0000000000000001\","
                 "\"endpoint\":\"%0128d\"}",
                 0);
        MEMBER_IS(j, EINVAL);
    }
    SWITCH_IS("{\"v\":1,\"holder\":\"b\",\"inc\":\"00000000000000ff\"}", 0);
    assert_true(sv2.inc == 255);
    SWITCH_IS("{\"v\":1,\"inc\":\"00000000000000ff\"}", EINVAL);
    SWITCH_IS("{\"v\":1,\"holder\":null,\"inc\":\"00000000000000ff\"}",
              EINVAL);
    SWITCH_IS("{\"v\":1,\"holder\":\"x.y\",\"inc\":\"00000000000000ff\"}",
              EINVAL);
    SWITCH_IS("{\"v\":1,\"holder\":\"b\"}", EINVAL);
    SWITCH_IS("{\"v\":2,\"holder\":\"b\",\"inc\":\"00000000000000ff\"}",
              EPROTO);
    SWITCH_IS("{\"v\":1,\"holder\":\"b\",\"inc\":\"00000000000000ff\"",
              EINVAL);
    SWITCH_IS("\"b\"", EINVAL);

    /* Ids and keys. */
    assert_true(cl_id_valid("a"));
    assert_true(cl_id_valid("Node_1-x"));
    assert_false(cl_id_valid(""));
    assert_false(cl_id_valid("a.b"));
    assert_false(cl_id_valid("a b"));
    assert_false(cl_id_valid("a*"));
    memset(long_id, 'x', sizeof long_id);
    long_id[63] = '\0';
    assert_true(cl_id_valid(long_id));
    long_id[63] = 'x';
    long_id[64] = '\0';
    assert_false(cl_id_valid(long_id));

    cl_key_member("node-1", buf, sizeof buf);
    assert_string_equal(buf, "member.node-1");
    assert_int_equal(cl_key_parse(buf, id, &dpid), 'M');
    assert_string_equal(id, "node-1");
    cl_key_switch(UINT64_C(0x00000000deadbeef), buf, sizeof buf);
    assert_string_equal(buf, "sw.00000000deadbeef");
    dpid = 0;
    assert_int_equal(cl_key_parse(buf, id, &dpid), 'S');
    assert_true(dpid == UINT64_C(0xdeadbeef));
    cl_key_switch(UINT64_MAX, buf, sizeof buf);
    assert_int_equal(cl_key_parse(buf, id, &dpid), 'S');
    assert_true(dpid == UINT64_MAX);
    assert_int_equal(cl_key_parse("member.", id, &dpid), 0);
    assert_int_equal(cl_key_parse("member.a.b", id, &dpid), 0);
    assert_int_equal(cl_key_parse("member.a b", id, &dpid), 0);
    assert_int_equal(cl_key_parse("members.a", id, &dpid), 0);
    snprintf(buf, sizeof buf, "member.%s", long_id); /* 64 characters. */
    assert_int_equal(cl_key_parse(buf, id, &dpid), 0);
    assert_int_equal(cl_key_parse("sw.", id, &dpid), 0);
    assert_int_equal(cl_key_parse("sw.123", id, &dpid), 0);
    assert_int_equal(cl_key_parse("sw.00000000deadbeef0", id, &dpid), 0);
    assert_int_equal(cl_key_parse("sw.00000000DEADBEEF", id, &dpid), 0);
    assert_int_equal(cl_key_parse("sw.00000000deadbeeg", id, &dpid), 0);
    assert_int_equal(cl_key_parse("sw.-0000000deadbeef", id, &dpid), 0);
    assert_int_equal(cl_key_parse("other", id, &dpid), 0);
    assert_int_equal(cl_key_parse("", id, &dpid), 0);

    assert_string_equal(cl_member_state_name(CL_MEMBER_ALIVE), "alive");
    assert_string_equal(cl_member_state_name(CL_MEMBER_DEAD), "dead");
    assert_string_equal(cl_member_state_name((enum cl_member_state)0),
                        "unknown");
    assert_string_equal(cl_member_state_name((enum cl_member_state)9),
                        "unknown");
}

/* A record that does not decode: a member's is taken as dead, a switch's as
 * free, both counted; keys of other tools are left alone. */
static void
test_bad_records(void **state)
{
    struct sim *s;
    struct members_seen ms;
    bool seen = false;

    (void)state;
    s = sim_new(1, 1);
    sim_put(s, "member.zz", "{\"v\":1,\"state\":\"zombie\"}");
    sim_put(s, "sw.0000000000001000", "{\"v\":2}");
    sim_put(s, "config.x", "not ours");
    sim_start(s, 0);
    assert_string_equal(member_state(s, 0, 0, NULL), "joining");
    /* The switch is free: claimed once the instance is in. */
    assert_true(sim_run_until(s, 5.0, converged) >= 0);
    assert_int_equal(count_of(s, 0), 1);
    assert_int_equal(ctr(s, 0)->bad_records, 2);
    memset(&ms, 0, sizeof ms);
    cl_state_members(s->in[0].st, s->now, on_member, &ms);
    for (int j = 0; j < ms.n; j++) {
        if (!strcmp(ms.id[j], "zz")) {
            assert_string_equal(ms.state[j], "dead");
            seen = true;
        } else {
            assert_string_equal(ms.id[j], "a");
            assert_string_equal(ms.state[j], "alive");
            assert_int_equal(ms.masters[j], 1);
            assert_string_equal(ms.endpoint[j], "tcp:127.0.0.1:6653");
        }
    }
    assert_true(seen);
    /* A later garbage write over the instance's own record: it stops at
     * once and joins again. */
    sim_put(s, "member.a", "garbage");
    sim_run(s, s->now + 0.1);
    assert_int_equal(ctr(s, 0)->fenced, 1);
    assert_true(sim_run_until(s, s->now + 5.0, converged) >= 0);
    assert_int_equal(ctr(s, 0)->joins, 2);
}

/* ---------------------------------------------------------------------- */

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_values, sim_teardown),
        cmocka_unit_test_teardown(test_bad_records, sim_teardown),
        cmocka_unit_test_teardown(test_converge, sim_teardown),
        cmocka_unit_test_teardown(test_kill, sim_teardown),
        cmocka_unit_test_teardown(test_pause_entries_first, sim_teardown),
        cmocka_unit_test_teardown(test_pause_results_first, sim_teardown),
        cmocka_unit_test_teardown(test_pause_run_first, sim_teardown),
        cmocka_unit_test_teardown(test_pause_phases, sim_teardown),
        cmocka_unit_test_teardown(test_partition, sim_teardown),
        cmocka_unit_test_teardown(test_all_nats_down, sim_teardown),
        cmocka_unit_test_teardown(test_short_outage, sim_teardown),
        cmocka_unit_test_teardown(test_leave, sim_teardown),
        cmocka_unit_test_teardown(test_prefer, sim_teardown),
        cmocka_unit_test_teardown(test_prefer_single_switch, sim_teardown),
        cmocka_unit_test_teardown(test_join, sim_teardown),
        cmocka_unit_test_teardown(test_slow_watcher, sim_teardown),
        cmocka_unit_test_teardown(test_handoff, sim_teardown),
        cmocka_unit_test_teardown(test_handoff_blob, sim_teardown),
        cmocka_unit_test_teardown(test_slow_answers, sim_teardown),
        cmocka_unit_test_teardown(test_release_answer_lost, sim_teardown),
        cmocka_unit_test_teardown(test_reload_release_out, sim_teardown),
        cmocka_unit_test_teardown(test_reload_heartbeat_out, sim_teardown),
        cmocka_unit_test_teardown(test_claim_answer_after_rejoin,
                                  sim_teardown),
        cmocka_unit_test_teardown(test_max_members, sim_teardown),
        cmocka_unit_test_teardown(test_random, sim_teardown),
        cmocka_unit_test_teardown(test_random_reloads, sim_teardown),
        cmocka_unit_test_teardown(test_random_lost_acks, sim_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
