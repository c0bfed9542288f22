/*
 * The cluster's mastership logic (see cl_state.h for the protocol).
 */
#include "cl_state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plexus/buf.h>
#include <plexus/hash.h>
#include <plexus/hmap.h>
#include <plexus/topics/openflow.h>

/* What this instance is, as a member. */
enum self_phase {
    SELF_OUT,     /* Not a member (start, or found fenced): must join. */
    SELF_IN,      /* Joined; acts while its deadline lasts. */
    SELF_LEAVING, /* Its "left" write is out. */
    SELF_LEFT,    /* Done. */
};

struct cl_member {
    struct px_hmap_node node;
    char id[CL_ID_MAX];
    uint64_t rev; /* Latest revision of member.<id> seen. */
    double seen;  /* When this instance first saw that revision (or stopped
                   * being able to judge, whichever is later). */
    struct cl_member_value v;
    bool fencing; /* A fence write is out. */
};

struct cl_switch {
    struct px_hmap_node node;
    uint64_t dpid;
    uint64_t rev; /* Revision of sw.<dpid>; 0: no record. */
    struct cl_switch_value v;
    bool connected;
    enum cl_write_kind writing; /* CLAIM or RELEASE out, or 0. */
    const char *pinned_to;      /* The live member that asked for it (balance's
                                 * run only). */
    bool was_mine;              /* Held when cl_state_leave was called. */
    double free_since;          /* < 0: not free. */
    uint32_t role_sent;         /* What the switch was last asked: role... */
    uint64_t gen_sent;          /* ...and generation id. */
    bool master_believed; /* cl_state_run's last verdict, to log changes. */
};

/* A write that is out. */
struct pending {
    struct px_hmap_node node;
    uint64_t id;
    enum cl_write_kind kind;
    double sent;
    uint64_t dpid;
    uint64_t inc;           /* Our incarnation when it was made. */
    char member[CL_ID_MAX]; /* FENCE: whom. */
};

struct cl_state {
    char self[CL_ID_MAX];
    char endpoint[128];
    int64_t pid;
    double lease, margin, interval;
    size_t max_switches, max_members;
    const struct cl_state_ops *ops;
    void *arg;

    struct px_hmap members;  /* struct cl_member, by id hash. */
    struct px_hmap switches; /* struct cl_switch, by dpid hash. */
    struct px_hmap pending;  /* struct pending, by id. */
    uint64_t next_id;
    uint64_t self_hash;

    bool synced;
    bool nats_up;
    enum self_phase phase;
    uint64_t inc;        /* Incarnation while IN. */
    uint64_t rev;        /* Revision of our latest acknowledged write. */
    double deadline;     /* May act as master until then. */
    bool in_cluster;     /* cl_state_run's last verdict, to log changes. */
    bool hb_out;         /* A join, heartbeat or leave write is out. */
    double hb_next;      /* When the next heartbeat is due. */
    double stable_since; /* Live membership unchanged since. */
    char live_sig[CL_ID_MAX * 4]; /* Digest of the live set, to see that. */
    uint64_t live_hash;
    bool leave_done;
    bool recovering; /* A heartbeat failed (or NATS came and went) since
                      * the last that worked. */
    uint64_t prefer[CL_PREFER_MAX]; /* cluster.prefer, told to the others
                                     * in our record. */
    size_t n_prefer;

    struct cl_state_counters c;
};

static void say(struct cl_state *st, enum cl_log_level level, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));

static void
say(struct cl_state *st, enum cl_log_level level, const char *fmt, ...)
{
    char msg[256];
    va_list args;

    va_start(args, fmt);
    vsnprintf(msg, sizeof msg, fmt, args);
    va_end(args);
    st->ops->log(st->arg, level, msg);
}

static uint64_t
id_hash(const char *id)
{
    return px_hash_bytes(id, strlen(id), 0);
}

static struct cl_member *
member_find(const struct cl_state *st, const char *id)
{
    struct cl_member *m;

    PX_HMAP_FOR_EACH_WITH_HASH (m, node, id_hash(id), &st->members) {
        if (!strcmp(m->id, id)) {
            return m;
        }
    }
    return NULL;
}

static struct cl_switch *
switch_find(const struct cl_state *st, uint64_t dpid)
{
    struct cl_switch *s;

    PX_HMAP_FOR_EACH_WITH_HASH (s, node, px_hash_u64(dpid), &st->switches) {
        if (s->dpid == dpid) {
            return s;
        }
    }
    return NULL;
}

static struct cl_switch *
switch_get(struct cl_state *st, uint64_t dpid)
{
    struct cl_switch *s = switch_find(st, dpid);

    if (s) {
        return s;
    }
    if (px_hmap_count(&st->switches) >= st->max_switches) {
        st->c.records_dropped++;
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        st->c.records_dropped++;
        return NULL;
    }
    s->dpid = dpid;
    s->free_since = -1;
    px_hmap_insert(&st->switches, &s->node, px_hash_u64(dpid));
    return s;
}

int
cl_state_create(const struct cl_state_config *config,
                const struct cl_state_ops *ops, void *arg,
                struct cl_state **out)
{
    struct cl_state *st;

    if (!cl_id_valid(config->self) || !(config->lease > 0) ||
        !(config->margin >= 0) || config->margin >= config->lease / 3 ||
        !config->max_switches || !config->max_members) {
        return EINVAL;
    }
    st = calloc(1, sizeof *st);
    if (!st) {
        return ENOMEM;
    }
    snprintf(st->self, sizeof st->self, "%s", config->self);
    snprintf(st->endpoint, sizeof st->endpoint, "%s",
             config->endpoint ? config->endpoint : "");
    st->pid = config->pid;
    st->lease = config->lease;
    st->margin = config->margin;
    st->interval = config->lease / 3;
    st->max_switches = config->max_switches;
    st->max_members = config->max_members;
    st->ops = ops;
    st->arg = arg;
    px_hmap_init(&st->members);
    px_hmap_init(&st->switches);
    px_hmap_init(&st->pending);
    st->next_id = 1;
    st->self_hash = id_hash(st->self);
    st->phase = SELF_OUT;
    *out = st;
    return 0;
}

void
cl_state_destroy(struct cl_state *st)
{
    struct cl_member *m;
    struct cl_switch *s;
    struct pending *w;

    if (!st) {
        return;
    }
    PX_HMAP_FOR_EACH_SAFE (m, node, &st->members) {
        free(m);
    }
    PX_HMAP_FOR_EACH_SAFE (s, node, &st->switches) {
        free(s);
    }
    PX_HMAP_FOR_EACH_SAFE (w, node, &st->pending) {
        free(w);
    }
    px_hmap_destroy(&st->members);
    px_hmap_destroy(&st->switches);
    px_hmap_destroy(&st->pending);
    free(st);
}

/* ---------------------------------------------------------------------- */
/* Judgements. */

static bool
self_valid(const struct cl_state *st, double now)
{
    return st->phase == SELF_IN && now < st->deadline;
}

static bool
member_live(const struct cl_state *st, const struct cl_member *m, double now)
{
    return m->v.state == CL_MEMBER_ALIVE && now - m->seen < st->lease;
}

/* True if 'v' names a holder that still holds: this instance's current
 * incarnation, or another member alive (even if silent: only a fence ends
 * its tenure) in the incarnation the record names. */
static bool
holder_valid(const struct cl_state *st, const struct cl_switch_value *v)
{
    const struct cl_member *m;

    if (!v->holder[0]) {
        return false;
    }
    if (!strcmp(v->holder, st->self)) {
        return (st->phase == SELF_IN) && v->inc == st->inc;
    }
    m = member_find(st, v->holder);
    /* A holder we have no record of (max_members dropped it) is taken as
     * holding: claiming over an instance we cannot see is how two masters
     * would happen. */
    return !m || (m->v.state == CL_MEMBER_ALIVE && m->v.inc == v->inc);
}

static bool
held_by_self(const struct cl_state *st, const struct cl_switch *s)
{
    return s->rev && !strcmp(s->v.holder, st->self) && st->phase == SELF_IN &&
           s->v.inc == st->inc;
}

static bool
switch_free(const struct cl_state *st, const struct cl_switch *s)
{
    return !s->rev || !holder_valid(st, &s->v);
}

bool
cl_state_is_master(const struct cl_state *st, double now, uint64_t dpid,
                   uint64_t *gen)
{
    const struct cl_switch *s = switch_find(st, dpid);

    if (!s || !self_valid(st, now) || !held_by_self(st, s) || s->writing) {
        return false;
    }
    if (gen) {
        *gen = s->rev;
    }
    return true;
}

int
cl_state_prefer(struct cl_state *st, double now, uint64_t dpid, bool on)
{
    for (size_t i = 0; i < st->n_prefer; i++) {
        if (st->prefer[i] == dpid) {
            if (!on) {
                st->prefer[i] = st->prefer[--st->n_prefer];
                st->hb_next = now; /* Tell the others soon. */
            }
            return 0;
        }
    }
    if (!on) {
        return 0;
    }
    if (st->n_prefer >= CL_PREFER_MAX) {
        return ENOSPC;
    }
    st->prefer[st->n_prefer++] = dpid;
    st->hb_next = now;
    return 0;
}

bool
cl_state_in_cluster(const struct cl_state *st, double now)
{
    return self_valid(st, now);
}

bool
cl_state_left(const struct cl_state *st)
{
    return st->leave_done;
}

bool
cl_state_handed_over(const struct cl_state *st, double now)
{
    const struct cl_switch *s;
    const struct cl_member *m;
    bool others = false;

    /* With no other live member there is nobody to wait for. */
    PX_HMAP_FOR_EACH (m, node, &st->members) {
        others |= strcmp(m->id, st->self) && member_live(st, m, now);
    }
    if (!others) {
        return true;
    }
    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        if (s->was_mine && s->connected &&
            (!s->rev || !strcmp(s->v.holder, st->self) ||
             !holder_valid(st, &s->v))) {
            return false;
        }
    }
    return true;
}

const struct cl_state_counters *
cl_state_counters(const struct cl_state *st)
{
    return &st->c;
}

/* ---------------------------------------------------------------------- */
/* Writes. */

static void
issue(struct cl_state *st, double now, enum cl_write_kind kind,
      const char *key, uint64_t last, const char *value, size_t len,
      uint64_t dpid, const char *member)
{
    struct pending *p = calloc(1, sizeof *p);
    struct cl_write w;

    if (!p) {
        return; /* Retried at the next run. */
    }
    memset(&w, 0, sizeof w);
    p->id = st->next_id++;
    p->kind = kind;
    p->sent = now;
    p->dpid = dpid;
    p->inc = st->inc;
    if (member) {
        snprintf(p->member, sizeof p->member, "%s", member);
    }
    px_hmap_insert(&st->pending, &p->node, px_hash_u64(p->id));
    w.id = p->id;
    w.kind = kind;
    snprintf(w.key, sizeof w.key, "%s", key);
    w.last = last;
    memcpy(w.value, value, len);
    w.len = len;
    w.dpid = dpid;
    st->ops->write(st->arg, &w);
}

static void
write_member(struct cl_state *st, double now, enum cl_write_kind kind,
             enum cl_member_state state, uint64_t inc, uint64_t last)
{
    struct cl_member_value v = {.state = state, .inc = inc, .pid = st->pid};
    char key[80], value[CL_VALUE_MAX];
    size_t len;

    snprintf(v.endpoint, sizeof v.endpoint, "%s", st->endpoint);
    if (state == CL_MEMBER_ALIVE) {
        memcpy(v.prefer, st->prefer, st->n_prefer * sizeof *st->prefer);
        v.n_prefer = st->n_prefer;
    }
    if (cl_member_encode(&v, value, sizeof value, &len)) {
        return;
    }
    cl_key_member(st->self, key, sizeof key);
    st->hb_out = true;
    issue(st, now, kind, key, last, value, len, 0, NULL);
}

/* Our own record's latest revision as the bucket has it, for a join. */
static uint64_t
self_record_rev(const struct cl_state *st)
{
    const struct cl_member *m = member_find(st, st->self);

    return m ? m->rev : 0;
}

static void
join(struct cl_state *st, double now)
{
    uint64_t inc = st->ops->random(st->arg);

    st->inc = inc ? inc : 1;
    write_member(st, now, CL_W_JOIN, CL_MEMBER_ALIVE, st->inc,
                 self_record_rev(st));
}

static void
fence(struct cl_state *st, double now, struct cl_member *m)
{
    struct cl_member_value v = m->v;
    char key[80], value[CL_VALUE_MAX];
    size_t len;

    v.state = CL_MEMBER_DEAD;
    snprintf(v.by, sizeof v.by, "%s", st->self);
    if (cl_member_encode(&v, value, sizeof value, &len)) {
        return;
    }
    cl_key_member(m->id, key, sizeof key);
    m->fencing = true;
    say(st, CL_LOG_WARN,
        "member %s silent for %.2fs (revision %" PRIu64 "): fencing it", m->id,
        now - m->seen, m->rev);
    issue(st, now, CL_W_FENCE, key, m->rev, value, len, 0, m->id);
}

static void
switch_write(struct cl_state *st, double now, struct cl_switch *s,
             enum cl_write_kind kind)
{
    struct cl_switch_value v;
    char key[80], value[CL_VALUE_MAX];
    size_t len;

    memset(&v, 0, sizeof v);
    if (kind == CL_W_CLAIM) {
        snprintf(v.holder, sizeof v.holder, "%s", st->self);
        v.inc = st->inc;
    }
    if (cl_switch_encode(&v, value, sizeof value, &len)) {
        return;
    }
    cl_key_switch(s->dpid, key, sizeof key);
    s->writing = kind;
    issue(st, now, kind, key, s->rev, value, len, s->dpid, NULL);
}

/* ---------------------------------------------------------------------- */
/* Inputs. */

/* This instance cannot tell whether the others are silent or it cannot
 * hear them: restart every member's silence. */
static void
stop_judging(struct cl_state *st, double now)
{
    struct cl_member *m;

    st->recovering = true;
    PX_HMAP_FOR_EACH (m, node, &st->members) {
        m->seen = now;
    }
}

/* Someone else wrote our record: we were fenced (or another process runs
 * with our id). */
static void
fenced(struct cl_state *st, const char *why)
{
    if (st->phase != SELF_IN) {
        return;
    }
    st->c.fenced++;
    say(st, CL_LOG_ERROR,
        "this instance was declared out of the cluster (%s): it stops "
        "mastering and joins again",
        why);
    st->phase = SELF_OUT;
    st->deadline = 0;
}

static void
member_entry(struct cl_state *st, double now, const char *id, uint64_t rev,
             const void *value, size_t len)
{
    struct cl_member *m = member_find(st, id);
    struct cl_member_value v;
    bool self = !strcmp(id, st->self);

    if (m && rev <= m->rev) {
        return;
    }
    if (!value) {
        memset(&v, 0, sizeof v);
        v.state = CL_MEMBER_LEFT;
    } else if (cl_member_decode(value, len, &v)) {
        st->c.bad_records++;
        say(st, CL_LOG_WARN,
            "member.%s revision %" PRIu64 ": not a member "
            "record, taken as gone",
            id, rev);
        memset(&v, 0, sizeof v);
        v.state = CL_MEMBER_DEAD;
    }
    if (!m) {
        if (px_hmap_count(&st->members) >= st->max_members) {
            st->c.records_dropped++;
            return;
        }
        m = calloc(1, sizeof *m);
        if (!m) {
            st->c.records_dropped++;
            return;
        }
        snprintf(m->id, sizeof m->id, "%s", id);
        px_hmap_insert(&st->members, &m->node, id_hash(id));
    } else if (m->v.state != v.state && !self) {
        say(st, v.state == CL_MEMBER_ALIVE ? CL_LOG_INFO : CL_LOG_WARN,
            "member %s: %s%s%s%s", id, cl_member_state_name(v.state),
            v.by[0] ? " (declared by " : "", v.by, v.by[0] ? ")" : "");
    }
    m->rev = rev;
    m->seen = now;
    m->v = v;
    if (self && st->phase == SELF_IN && v.state == CL_MEMBER_ALIVE &&
        v.inc == st->inc && rev > st->rev) {
        /* Our own heartbeat whose answer we have not had (or lost, as
         * over a reload): the next one must start from it.  The deadline
         * stays where the last answer put it. */
        st->rev = rev;
    }
    if (self && st->phase == SELF_IN &&
        (v.state != CL_MEMBER_ALIVE || v.inc != st->inc)) {
        fenced(st, v.state == CL_MEMBER_DEAD && v.by[0] ? "fenced by a peer"
                                                        : "record rewritten");
    }
}

static void
switch_entry(struct cl_state *st, double now, uint64_t dpid, uint64_t rev,
             const void *value, size_t len)
{
    struct cl_switch *s = switch_find(st, dpid);
    struct cl_switch_value v;

    (void)now;
    if (s && rev <= s->rev) {
        return;
    }
    memset(&v, 0, sizeof v);
    if (value && cl_switch_decode(value, len, &v)) {
        st->c.bad_records++;
        say(st, CL_LOG_WARN,
            "sw.%016" PRIx64 " revision %" PRIu64 ": not a switch record, "
            "taken as free",
            dpid, rev);
        memset(&v, 0, sizeof v);
    }
    if (!s) {
        s = switch_get(st, dpid);
        if (!s) {
            return;
        }
    }
    if (held_by_self(st, s) && strcmp(v.holder, st->self) &&
        s->writing != CL_W_RELEASE) {
        st->c.lost++;
        say(st, CL_LOG_WARN,
            "switch %016" PRIx64 ": now held by %s (generation %" PRIu64 ")",
            dpid, v.holder[0] ? v.holder : "nobody", rev);
    }
    s->rev = rev;
    s->v = v;
}

void
cl_state_entry(struct cl_state *st, double now, const char *key, uint64_t rev,
               const void *value, size_t len)
{
    char id[CL_ID_MAX];
    uint64_t dpid;

    switch (cl_key_parse(key, id, &dpid)) {
    case 'M':
        member_entry(st, now, id, rev, value, len);
        break;
    case 'S':
        switch_entry(st, now, dpid, rev, value, len);
        break;
    default:
        break; /* Not ours: another tool's key, left alone. */
    }
}

void
cl_state_synced(struct cl_state *st, double now)
{
    if (!st->synced) {
        st->synced = true;
        stop_judging(st, now);
    }
}

void
cl_state_nats(struct cl_state *st, double now, bool up)
{
    if (st->nats_up != up) {
        st->nats_up = up;
        stop_judging(st, now);
    }
}

void
cl_state_switch_up(struct cl_state *st, double now, uint64_t dpid)
{
    struct cl_switch *s = switch_get(st, dpid);

    (void)now;
    if (s) {
        s->connected = true;
        /* A new connection starts EQUAL: ask again. */
        s->role_sent = 0;
        s->gen_sent = 0;
    }
}

void
cl_state_switch_down(struct cl_state *st, double now, uint64_t dpid)
{
    struct cl_switch *s = switch_find(st, dpid);

    (void)now;
    if (s) {
        s->connected = false;
        s->role_sent = 0;
        s->gen_sent = 0;
    }
}

void
cl_state_role_done(struct cl_state *st, double now, uint64_t dpid,
                   uint32_t role, uint64_t gen, bool ok)
{
    (void)now;
    if (!ok) {
        st->c.roles_refused++;
        say(st, CL_LOG_WARN,
            "switch %016" PRIx64 " refused role %s with generation %" PRIu64,
            dpid, role == PX_OF_ROLE_MASTER ? "master" : "slave", gen);
    }
}

static void
self_write_done(struct cl_state *st, double now, const struct pending *p,
                int result, uint64_t rev)
{
    struct cl_member *m;

    st->hb_out = false;
    if (p->kind == CL_W_LEAVE) {
        st->phase = SELF_LEFT;
        st->leave_done = true;
        return;
    }
    if (st->phase != (p->kind == CL_W_JOIN ? SELF_OUT : SELF_IN)) {
        return; /* Overtaken (fenced, leaving). */
    }
    if (result == CL_WRITE_OK) {
        if (p->kind == CL_W_JOIN) {
            st->phase = SELF_IN;
            st->c.joins++;
            say(st, CL_LOG_INFO,
                "joined the cluster as %s (incarnation %016" PRIx64 ")",
                st->self, st->inc);
        } else {
            st->c.heartbeats++;
        }
        st->rev = rev;
        st->deadline = p->sent + st->lease - st->margin;
        st->hb_next = p->sent + st->interval;
        if (st->recovering) {
            /* Our writes work again: the others get a whole lease from
             * now to show theirs do too (after an outage of every
             * nats-server, JetStream comes back to some before others),
             * rather than being fenced for a silence we could not hear. */
            stop_judging(st, now);
            st->recovering = false;
        }
        /* Our own record, so that a join knows its revision and a peer's
         * write over it is seen as such. */
        m = member_find(st, st->self);
        if (m && rev > m->rev) {
            m->rev = rev;
            m->seen = now;
            m->v.state = CL_MEMBER_ALIVE;
            m->v.inc = st->inc;
        }
        return;
    }
    if (p->kind == CL_W_JOIN) {
        st->c.join_conflicts += result == CL_WRITE_CONFLICT;
        st->hb_next = now + st->interval / 2;
        return;
    }
    if (result == CL_WRITE_CONFLICT) {
        fenced(st, "heartbeat refused");
        return;
    }
    st->c.heartbeat_failures++;
    stop_judging(st, now);
    st->hb_next = now + st->interval / 2;
}

void
cl_state_write_done(struct cl_state *st, double now, uint64_t id, int result,
                    uint64_t rev)
{
    struct pending *p = NULL, *q;
    struct cl_switch *s;
    struct cl_member *m;

    PX_HMAP_FOR_EACH_WITH_HASH (q, node, px_hash_u64(id), &st->pending) {
        if (q->id == id) {
            p = q;
            break;
        }
    }
    if (!p) {
        return;
    }
    px_hmap_remove(&st->pending, &p->node);
    switch (p->kind) {
    case CL_W_JOIN:
    case CL_W_HEARTBEAT:
    case CL_W_LEAVE:
        self_write_done(st, now, p, result, rev);
        break;
    case CL_W_FENCE:
        m = member_find(st, p->member);
        if (m) {
            m->fencing = false;
        }
        if (result == CL_WRITE_OK) {
            st->c.fences++;
            if (m && rev > m->rev) {
                m->rev = rev;
                m->seen = now;
                m->v.state = CL_MEMBER_DEAD;
                snprintf(m->v.by, sizeof m->v.by, "%s", st->self);
            }
            say(st, CL_LOG_WARN, "member %s declared dead", p->member);
        } else if (result == CL_WRITE_CONFLICT) {
            /* It wrote since the revision we saw: it is alive, whatever
             * our watcher has not told us yet.  Give it a lease from
             * now rather than fence it again at every run. */
            st->c.fence_conflicts++;
            if (m) {
                m->seen = now;
            }
        }
        break;
    case CL_W_CLAIM:
    case CL_W_RELEASE:
        s = switch_find(st, p->dpid);
        if (s) {
            s->writing = 0;
        }
        if (result == CL_WRITE_OK && s && rev > s->rev) {
            s->rev = rev;
            memset(&s->v, 0, sizeof s->v);
            if (p->kind == CL_W_CLAIM) {
                /* The incarnation the record names: ours when we wrote
                 * it, which a rejoin since has made another. */
                snprintf(s->v.holder, sizeof s->v.holder, "%s", st->self);
                s->v.inc = p->inc;
            }
        }
        if (p->kind == CL_W_RELEASE && result == CL_WRITE_FAILED && s &&
            held_by_self(st, s)) {
            /* A request that timed out may still have been done: stop
             * believing we hold the switch.  If the release did not
             * happen, our claim from the same revision will succeed. */
            s->v.holder[0] = '\0';
        }
        if (p->kind == CL_W_CLAIM) {
            if (result == CL_WRITE_OK) {
                st->c.claims++;
                say(st, CL_LOG_INFO,
                    "switch %016" PRIx64 ": master, generation %" PRIu64,
                    p->dpid, rev);
            } else if (result == CL_WRITE_CONFLICT) {
                st->c.claim_conflicts++;
            } else {
                st->c.claim_failures++;
            }
        } else if (result == CL_WRITE_OK) {
            st->c.releases++;
            say(st, CL_LOG_INFO,
                "switch %016" PRIx64 ": released (balance, or another "
                "instance asked for it)",
                p->dpid);
        }
        break;
    }
    free(p);
}

void
cl_state_leave(struct cl_state *st, double now)
{
    struct cl_switch *s;

    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        s->was_mine = held_by_self(st, s);
    }
    if (st->phase != SELF_IN) {
        st->phase = SELF_LEFT;
        st->leave_done = true;
        return;
    }
    st->phase = SELF_LEAVING;
    write_member(st, now, CL_W_LEAVE, CL_MEMBER_LEFT, st->inc, st->rev);
}

/* ---------------------------------------------------------------------- */
/* The run. */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The live members (this one included when it may act), sorted by id. */
static size_t
live_members(const struct cl_state *st, double now, const char **ids,
             size_t max)
{
    const struct cl_member *m;
    size_t n = 0;
    bool self_listed = false;

    PX_HMAP_FOR_EACH (m, node, &st->members) {
        bool self = !strcmp(m->id, st->self);

        if (n < max &&
            (self ? self_valid(st, now) : member_live(st, m, now))) {
            ids[n++] = m->id;
            self_listed |= self;
        }
    }
    if (!self_listed && self_valid(st, now) && n < max) {
        ids[n++] = st->self;
    }
    qsort(ids, n, sizeof *ids, cmp_str);
    return n;
}

/* Aim of the member at 'rank' of 'k' for 'n' switches. */
static size_t
aim(size_t n, size_t k, size_t rank)
{
    return n / k + (rank < n % k);
}

/* The order in which this instance considers switches to claim or
 * release: its own, so that several claimants do not race for the same
 * switch first. */
struct cand {
    uint64_t key;
    struct cl_switch *s;
};

static int
cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;

    return x->key < y->key ? -1 : x->key > y->key;
}

static bool
prefers(const uint64_t *list, size_t n, uint64_t dpid)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] == dpid) {
            return true;
        }
    }
    return false;
}

/* The live member (of 'ids', sorted) that asked to master 'dpid', the
 * first by id if several did, or NULL. */
static const char *
wanted_by(const struct cl_state *st, const char **ids, size_t k, uint64_t dpid)
{
    for (size_t i = 0; i < k; i++) {
        const struct cl_member *m;

        if (!strcmp(ids[i], st->self)) {
            if (prefers(st->prefer, st->n_prefer, dpid)) {
                return ids[i];
            }
        } else if ((m = member_find(st, ids[i])) &&
                   prefers(m->v.prefer, m->v.n_prefer, dpid)) {
            return ids[i];
        }
    }
    return NULL;
}

static void
balance(struct cl_state *st, double now)
{
    const char *ids[256];
    size_t k = live_members(st, now, ids, 256);
    size_t n = 0, held = 0, rank = k, nc = 0, below = 0;
    size_t counts[256];
    struct cand *cands;
    struct cl_switch *s;
    uint64_t h = 0;

    /* Membership changes restart the clock of stability that releases
     * wait for. */
    for (size_t i = 0; i < k; i++) {
        h = px_hash_bytes(ids[i], strlen(ids[i]), h + 1);
    }
    if (h != st->live_hash || !st->stable_since) {
        st->live_hash = h;
        st->stable_since = now;
    }
    if (!self_valid(st, now) || !k) {
        return;
    }
    memset(counts, 0, sizeof counts);
    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        bool valid = s->rev && holder_valid(st, &s->v);

        /* A switch a live member asked for is pinned to it: outside the
         * shares, which balance the rest. */
        s->pinned_to = wanted_by(st, ids, k, s->dpid);
        if (s->pinned_to) {
            continue;
        }
        if (valid || s->connected) {
            n++;
        }
        if (valid) {
            for (size_t i = 0; i < k; i++) {
                if (!strcmp(ids[i], s->v.holder)) {
                    counts[i]++;
                }
            }
        }
        /* A claim that is out counts as held (unless its entry came
         * before its answer: then 'counts' has it already), a release as
         * gone. */
        held += s->writing == CL_W_CLAIM &&
                !(valid && !strcmp(s->v.holder, st->self));
        held -= s->writing == CL_W_RELEASE && valid;
    }
    for (size_t i = 0; i < k; i++) {
        if (!strcmp(ids[i], st->self)) {
            rank = i;
        } else if (counts[i] < aim(n, k, i)) {
            below++;
        }
    }
    if (rank == k) {
        return;
    }
    held += counts[rank];
    cands = calloc(px_hmap_count(&st->switches) + 1, sizeof *cands);
    if (!cands) {
        return;
    }
    /* Claims. */
    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        if (s->connected && !s->writing && switch_free(st, s)) {
            if (s->free_since < 0) {
                s->free_since = now;
            }
            cands[nc].key = px_hash_u64(s->dpid ^ st->self_hash);
            cands[nc++].s = s;
        } else if (!switch_free(st, s)) {
            s->free_since = -1;
        }
    }
    qsort(cands, nc, sizeof *cands, cmp_cand);
    for (size_t i = 0; i < nc; i++) {
        const char *w;

        s = cands[i].s;
        w = s->pinned_to;
        /* A switch another live member asked for is left to it, unless
         * it has been free for a lease (that member cannot reach it). */
        if ((w && !strcmp(w, st->self)) || (!w && held < aim(n, k, rank)) ||
            now - s->free_since >= st->lease) {
            switch_write(st, now, s, CL_W_CLAIM);
            held++;
        }
    }
    /* Switches another live member asked for: released at once. */
    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        if (held_by_self(st, s) && !s->writing && s->pinned_to &&
            strcmp(s->pinned_to, st->self)) {
            switch_write(st, now, s, CL_W_RELEASE);
        }
    }
    /* Releases, once membership has settled and someone wants more. */
    nc = 0;
    if (held > aim(n, k, rank) && below &&
        now - st->stable_since >= st->lease / 2) {
        PX_HMAP_FOR_EACH (s, node, &st->switches) {
            if (held_by_self(st, s) && !s->writing && !s->pinned_to) {
                cands[nc].key = px_hash_u64(s->dpid ^ st->self_hash);
                cands[nc++].s = s;
            }
        }
        qsort(cands, nc, sizeof *cands, cmp_cand);
        for (size_t i = 0; i < nc && held > aim(n, k, rank) && below;
             i++, held--, below--) {
            switch_write(st, now, cands[i].s, CL_W_RELEASE);
        }
    }
    free(cands);
}

/* Ask each connected switch for the role this instance should have:
 * MASTER with its tenure's generation id, SLAVE under another holder's (or,
 * out of the cluster, under the last one known), nothing while a switch
 * is between holders (so that the last master stays master at the switch
 * until the next one asks). */
static void
roles(struct cl_state *st, double now)
{
    struct cl_switch *s;

    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        uint32_t role = 0;
        uint64_t gen = s->rev;
        bool master = cl_state_is_master(st, now, s->dpid, NULL);

        if (master != s->master_believed) {
            s->master_believed = master;
            if (!master && held_by_self(st, s) && !self_valid(st, now)) {
                say(st, CL_LOG_WARN,
                    "switch %016" PRIx64 ": no longer master (lease not "
                    "renewed)",
                    s->dpid);
            }
        }
        if (!s->connected || !s->rev) {
            continue;
        }
        if (master) {
            role = PX_OF_ROLE_MASTER;
        } else if (holder_valid(st, &s->v) && strcmp(s->v.holder, st->self)) {
            role = PX_OF_ROLE_SLAVE;
        } else if (!self_valid(st, now) && s->role_sent == PX_OF_ROLE_MASTER &&
                   (st->phase == SELF_IN || st->phase == SELF_OUT)) {
            /* Fail safe: stop acting.  (Leaving, the next master's
             * request demotes this one, with no gap between.) */
            role = PX_OF_ROLE_SLAVE;
        }
        if (role && (role != s->role_sent || gen != s->gen_sent)) {
            s->role_sent = role;
            s->gen_sent = gen;
            st->c.roles_sent++;
            st->ops->role(st->arg, s->dpid, role, gen);
        }
    }
}

double
cl_state_run(struct cl_state *st, double now)
{
    double next = now + st->interval / 2;
    bool in;
    struct cl_member *m;

    /* Our own membership. */
    if (st->phase == SELF_IN && now >= st->deadline && st->deadline > 0 &&
        st->in_cluster) {
        st->c.lapses++;
        say(st, CL_LOG_ERROR,
            "no cluster: lease not renewed for %.2fs; this instance stops "
            "mastering until NATS answers again",
            now - (st->deadline - st->lease + st->margin));
    }
    if (!st->hb_out && st->nats_up) {
        if (st->phase == SELF_OUT && st->synced) {
            join(st, now);
        } else if (st->phase == SELF_IN && now >= st->hb_next && st->synced) {
            /* (Synced: a state handed over by a reload may have had a
             * heartbeat out whose revision only the bucket knows.) */
            write_member(st, now, CL_W_HEARTBEAT, CL_MEMBER_ALIVE, st->inc,
                         st->rev);
        }
    }
    in = self_valid(st, now);
    if (in != st->in_cluster) {
        st->in_cluster = in;
        if (in) {
            say(st, CL_LOG_INFO, "in the cluster");
        }
    }
    /* The others. */
    PX_HMAP_FOR_EACH (m, node, &st->members) {
        if (!strcmp(m->id, st->self) || m->v.state != CL_MEMBER_ALIVE) {
            continue;
        }
        if (in && st->synced && !m->fencing && now - m->seen >= st->lease) {
            fence(st, now, m);
        } else if (!m->fencing && m->seen + st->lease < next) {
            next = m->seen + st->lease;
        }
    }
    if (st->synced) {
        balance(st, now);
    }
    roles(st, now);
    if (st->phase == SELF_IN && st->deadline > now && st->deadline < next) {
        next = st->deadline;
    }
    return next > now ? next : now;
}

/* ---------------------------------------------------------------------- */
/* Reports. */

void
cl_state_members(const struct cl_state *st, double now,
                 void (*fn)(void *arg, const struct cl_member_info *m),
                 void *arg)
{
    const struct cl_member *m;
    const struct cl_switch *s;
    bool self_seen = false;

    PX_HMAP_FOR_EACH (m, node, &st->members) {
        struct cl_member_info info = {
            .id = m->id,
            .self = !strcmp(m->id, st->self),
            .silent = now - m->seen,
            .rev = m->rev,
            .inc = m->v.inc,
            .endpoint = m->v.endpoint,
            .pid = m->v.pid,
        };

        if (info.self) {
            self_seen = true;
            info.state = self_valid(st, now)     ? "alive"
                         : st->phase == SELF_OUT ? "joining"
                         : st->phase == SELF_IN  ? "no cluster"
                                                 : "left";
            info.inc = st->inc;
        } else if (m->v.state == CL_MEMBER_ALIVE) {
            info.state = member_live(st, m, now) ? "alive" : "expired";
        } else {
            info.state = cl_member_state_name(m->v.state);
        }
        PX_HMAP_FOR_EACH (s, node, &st->switches) {
            if (s->rev && !strcmp(s->v.holder, m->id) &&
                (info.self ? held_by_self(st, s) && self_valid(st, now)
                           : holder_valid(st, &s->v))) {
                info.masters++;
            }
        }
        fn(arg, &info);
    }
    if (!self_seen) {
        struct cl_member_info info = {
            .id = st->self,
            .self = true,
            .state = st->phase == SELF_IN ? "no cluster" : "joining",
            .endpoint = st->endpoint,
            .pid = st->pid,
        };

        fn(arg, &info);
    }
}

void
cl_state_switches(const struct cl_state *st, double now,
                  void (*fn)(void *arg, const struct cl_switch_info *s),
                  void *arg)
{
    const struct cl_switch *s;

    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        struct cl_switch_info info = {
            .dpid = s->dpid,
            .holder = s->rev && holder_valid(st, &s->v) ? s->v.holder : "",
            .gen = s->rev,
            .connected = s->connected,
            .master = cl_state_is_master(st, now, s->dpid, NULL),
            .role_sent = s->role_sent,
        };

        fn(arg, &info);
    }
}

/* ---------------------------------------------------------------------- */
/* Handoff: version 1 is
 *   be64 inc, be64 rev, double deadline, double hb_next, u8 phase,
 *   be32 count, then per switch: be64 dpid, be64 rev, be64 inc,
 *   be32 role_sent, be64 gen_sent, u8 releasing.
 * Only switches this instance holds go in: the rest comes back from the
 * bucket.  One with a release out goes in as 'releasing': the release may
 * land after the reload, so the next generation must not take the
 * bucket's record of it, still naming us, as a mastership; it holds it
 * as free at that revision instead (a claim from there succeeds only if
 * the release never landed). */
#define SWITCH_BLOB_LEN 37

static bool
saved(const struct cl_state *st, const struct cl_switch *s)
{
    return held_by_self(st, s);
}

int
cl_state_save(const struct cl_state *st, struct px_buf *out)
{
    const struct cl_switch *s;
    uint32_t n = 0;

    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        n += saved(st, s);
    }
    px_buf_put_be64(out, st->inc);
    px_buf_put_be64(out, st->rev);
    px_buf_put_double(out, st->deadline);
    px_buf_put_double(out, st->hb_next);
    px_buf_put_u8(out, st->phase == SELF_IN);
    px_buf_put_be32(out, n);
    PX_HMAP_FOR_EACH (s, node, &st->switches) {
        if (saved(st, s)) {
            px_buf_put_be64(out, s->dpid);
            px_buf_put_be64(out, s->rev);
            px_buf_put_be64(out, s->v.inc);
            px_buf_put_be32(out, s->role_sent);
            px_buf_put_be64(out, s->gen_sent);
            px_buf_put_u8(out, s->writing == CL_W_RELEASE);
        }
    }
    return px_buf_error(out);
}

int
cl_state_restore(struct cl_state *st, const void *blob, size_t len)
{
    struct px_cursor c;
    uint64_t inc, rev;
    double deadline, hb_next;
    uint32_t n;
    uint8_t in;

    /* Two passes: the whole blob is checked before anything is taken, so
     * a refused one leaves the state as it was. */
    for (int apply = 0; apply < 2; apply++) {
        px_cursor_init(&c, blob, len);
        inc = px_cursor_be64(&c);
        rev = px_cursor_be64(&c);
        deadline = px_cursor_double(&c);
        hb_next = px_cursor_double(&c);
        in = px_cursor_u8(&c);
        n = px_cursor_be32(&c);
        if (c.error || in > 1 || (size_t)n > len / SWITCH_BLOB_LEN ||
            n > st->max_switches - px_hmap_count(&st->switches)) {
            return EINVAL;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint64_t dpid = px_cursor_be64(&c);
            uint64_t srev = px_cursor_be64(&c);
            uint64_t sinc = px_cursor_be64(&c);
            uint32_t role = px_cursor_be32(&c);
            uint64_t gen = px_cursor_be64(&c);
            uint8_t releasing = px_cursor_u8(&c);
            struct cl_switch *s;

            if (releasing > 1) {
                return EINVAL;
            }
            if (!apply) {
                continue;
            }
            s = switch_get(st, dpid);
            if (!s) {
                return ENOMEM;
            }
            s->rev = srev;
            if (releasing) {
                memset(&s->v, 0, sizeof s->v);
            } else {
                snprintf(s->v.holder, sizeof s->v.holder, "%s", st->self);
                s->v.inc = sinc;
            }
            s->role_sent = role;
            s->gen_sent = gen;
        }
        if (px_cursor_finish(&c)) {
            return EINVAL;
        }
    }
    if (in) {
        st->phase = SELF_IN;
        st->inc = inc;
        st->rev = rev;
        st->deadline = deadline;
        st->hb_next = hb_next;
    }
    return 0;
}
