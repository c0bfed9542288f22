/*
 * The cluster's mastership logic: who masters which switch, decided over a
 * key-value bucket with compare-and-set writes and timed on this
 * instance's own monotonic clock.  Pure: no NATS, no OpenFlow, no clock of
 * its own.  The plugin feeds it what the bucket says (entries in revision
 * order, results of its writes), what openflow says (switches up and down)
 * and the time; it answers with writes to make and role requests to send,
 * through the callbacks in struct cl_state_ops.  The unit tests drive
 * several of these against a fake bucket and a fake clock.
 *
 * The protocol, in short (README, "Running a cluster", says it for users):
 *
 *  - Each instance heartbeats its record "member.<id>" every lease/3 by a
 *    compare-and-set on the revision of its own last write.  It may act as
 *    master only until  t_sent + lease - margin,  where t_sent is when it
 *    sent its latest acknowledged heartbeat.
 *  - Another instance that has seen the same revision of member.X for a
 *    whole lease on its own clock (and whose own heartbeats succeed) fences
 *    X: a compare-and-set of member.X, from that revision, to "dead".  If X
 *    wrote in between, the fence fails.  If it succeeds, X's last
 *    acknowledged heartbeat was sent no later than the revision the fencer
 *    saw, so X's deadline has passed: two instances never both believe
 *    they master a switch.  X learns it was fenced when its next heartbeat
 *    fails, and joins again as a new incarnation.
 *  - Each switch has a record "sw.<dpid>" naming its holder (id and
 *    incarnation).  The revision of the write that made an instance holder
 *    is that tenure's OpenFlow generation id: revisions of a bucket only
 *    grow, so a later master always asks with a larger one.  A switch is
 *    free when it has no record, its record names nobody (released), or its
 *    holder is dead, gone or another incarnation.  Free switches are
 *    claimed by compare-and-set; a lost race is just a failed write.
 *  - Preferences: a switch that a live member asked for (cluster.prefer,
 *    told in its record) is released by its holder and claimed by that
 *    member, whatever the aims.
 *  - Balance: the live members, sorted by id, each aim at
 *    floor(n/k) + (rank < n mod k) of the n switches.  A member below its
 *    aim claims free switches; one above it (once membership has been
 *    stable for half a lease) releases its excess while some member is
 *    below its aim.  A switch free for a whole lease is claimed by anyone
 *    connected to it, whatever the aims.
 *  - While this instance cannot write (NATS unreachable, JetStream electing
 *    a leader) it keeps acting until its deadline, then stops (SLAVE) and
 *    reports "no cluster".  It also stops judging others: its clock of how
 *    long it has seen each revision restarts, so a NATS outage does not
 *    make it fence everybody.  When writes succeed again it resumes with the
 *    same records and the same generation ids, unless it was fenced.
 */
#ifndef CL_STATE_H
#define CL_STATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_value.h"

struct cl_state;
struct px_buf;

/* Why a write is made. */
enum cl_write_kind {
    CL_W_JOIN = 1,  /* member.<self>: a new incarnation. */
    CL_W_HEARTBEAT, /* member.<self>: still alive. */
    CL_W_FENCE,     /* member.<other>: dead. */
    CL_W_CLAIM,     /* sw.<dpid>: mine. */
    CL_W_RELEASE,   /* sw.<dpid>: nobody's (rebalancing). */
    CL_W_LEAVE,     /* member.<self>: left in order. */
};

/* A compare-and-set write: 'key' := 'value' if the key's last revision is
 * 'last' (0: if the key has no value).  The state owns it; it is valid
 * during the 'write' callback only. */
struct cl_write {
    uint64_t id; /* Echoed in cl_state_write_done. */
    enum cl_write_kind kind;
    char key[80];
    uint64_t last;
    char value[CL_VALUE_MAX];
    size_t len;
    uint64_t dpid; /* CLAIM, RELEASE. */
};

/* Results of a write. */
#define CL_WRITE_OK 0
#define CL_WRITE_CONFLICT                                                     \
    ESTALE                     /* The key's last revision was not 'last'.     \
                                */
#define CL_WRITE_FAILED EAGAIN /* Not done: NATS unreachable, timeout... */

/* Severity of a cl_state_ops.log message (the SDK's levels). */
enum cl_log_level {
    CL_LOG_DEBUG = 0,
    CL_LOG_INFO = 1,
    CL_LOG_WARN = 2,
    CL_LOG_ERROR = 3
};

struct cl_state_ops {
    /* Make the write; every write must end in exactly one
     * cl_state_write_done, later (never from inside this call). */
    void (*write)(void *arg, const struct cl_write *w);
    /* Send a ROLE_REQUEST (PX_OF_ROLE_MASTER or _SLAVE) to a switch
     * connected to this instance; the answer goes to cl_state_role_done. */
    void (*role)(void *arg, uint64_t dpid, uint32_t role, uint64_t gen);
    /* Something an operator should see in the log. */
    void (*log)(void *arg, enum cl_log_level level, const char *msg);
    /* A fresh random incarnation number. */
    uint64_t (*random)(void *arg);
};

struct cl_state_config {
    const char *self;     /* This instance's id (cl_id_valid). */
    const char *endpoint; /* Told to the others, for operators. */
    int64_t pid;
    double lease;        /* Seconds. */
    double margin;       /* Seconds (< lease/3): clock and latency slack. */
    size_t max_switches; /* Records kept; more are counted, not kept. */
    size_t max_members;
};

/* Counters (plexus_cluster_*). */
struct cl_state_counters {
    uint64_t joins, join_conflicts;
    uint64_t heartbeats, heartbeat_failures;
    uint64_t fenced; /* Times this instance found itself fenced. */
    uint64_t fences; /* Members this instance declared dead. */
    uint64_t fence_conflicts;
    uint64_t claims, claim_conflicts, claim_failures;
    uint64_t releases;
    uint64_t lapses; /* Times its deadline passed unrenewed. */
    uint64_t lost;   /* Masterships taken by others while held. */
    uint64_t roles_sent, roles_refused;
    uint64_t records_dropped; /* Past max_switches / max_members. */
    uint64_t bad_records;     /* Values that did not decode. */
};

/* Takes nothing from 'config' past the call (strings are copied).  'ops'
 * and 'arg' must outlive the state. */
int cl_state_create(const struct cl_state_config *config,
                    const struct cl_state_ops *ops, void *arg,
                    struct cl_state **out);
void cl_state_destroy(struct cl_state *st);

/* Inputs. */

/* A bucket entry, in revision order per key ('value' NULL for a delete or
 * purge).  Entries older than what the state knows are ignored. */
void cl_state_entry(struct cl_state *st, double now, const char *key,
                    uint64_t rev, const void *value, size_t len);
/* The bucket's initial values have all been given. */
void cl_state_synced(struct cl_state *st, double now);
/* NATS connection up or down. */
void cl_state_nats(struct cl_state *st, double now, bool up);
void cl_state_write_done(struct cl_state *st, double now, uint64_t id,
                         int result, uint64_t rev);
void cl_state_switch_up(struct cl_state *st, double now, uint64_t dpid);
void cl_state_switch_down(struct cl_state *st, double now, uint64_t dpid);
/* A role request's answer: 'ok' false for an error (a stale generation id)
 * or a closed connection. */
void cl_state_role_done(struct cl_state *st, double now, uint64_t dpid,
                        uint32_t role, uint64_t gen, bool ok);
/* This instance asks to master 'dpid' ('on') or no longer: told to the
 * others with its next heartbeat (made at once); the switch is then
 * released by whoever holds it and claimed here.  ENOSPC past
 * CL_PREFER_MAX switches. */
int cl_state_prefer(struct cl_state *st, double now, uint64_t dpid, bool on);
/* Stop: write member.<self> "left" and stop acting; the others take the
 * switches at once.  cl_state_left() tells when that write is done. */
void cl_state_leave(struct cl_state *st, double now);

/* Does what is due at 'now': heartbeats, fences, claims, releases, role
 * requests.  Returns when it next needs to run at the latest. */
double cl_state_run(struct cl_state *st, double now);

/* Queries. */

/* True if this instance masters 'dpid' at 'now'; *gen is the generation
 * id. */
bool cl_state_is_master(const struct cl_state *st, double now, uint64_t dpid,
                        uint64_t *gen);
/* True while this instance is a live member that may act ("in the
 * cluster"); false means "no cluster". */
bool cl_state_in_cluster(const struct cl_state *st, double now);
/* True once cl_state_leave's write is done (or failed for good). */
bool cl_state_left(const struct cl_state *st);
/* True when every switch this instance held before cl_state_leave has
 * another live holder, or no other member is alive to take them. */
bool cl_state_handed_over(const struct cl_state *st, double now);
const struct cl_state_counters *cl_state_counters(const struct cl_state *st);

/* One member as cl_state_members reports it. */
struct cl_member_info {
    const char *id;
    bool self;
    const char *state; /* "alive", "expired", "left", "dead", "joining",
                        * "no cluster". */
    double silent;     /* Seconds since its record last changed. */
    uint64_t rev, inc;
    const char *endpoint;
    int64_t pid;
    size_t masters; /* Switches it holds. */
};
void cl_state_members(const struct cl_state *st, double now,
                      void (*fn)(void *arg, const struct cl_member_info *m),
                      void *arg);

struct cl_switch_info {
    uint64_t dpid;
    const char *holder; /* "" for none. */
    uint64_t gen;       /* The holder's generation id (0: no record). */
    bool connected;     /* To this instance. */
    bool master;        /* This instance masters it now. */
    uint32_t role_sent; /* Last role asked of the switch (0: none). */
};
void cl_state_switches(const struct cl_state *st, double now,
                       void (*fn)(void *arg, const struct cl_switch_info *s),
                       void *arg);

/* Handoff across a reload of the plugin: this instance's incarnation,
 * heartbeat revision and deadline, and the switch records it holds (not
 * those being released).  cl_state_restore on a fresh state (before any
 * input) takes them back, or returns EINVAL for a blob that is cut or
 * corrupt and takes nothing.  The blob's version (CL_STATE_BLOB_VERSION)
 * travels beside it, in the host's handoff item. */
int cl_state_save(const struct cl_state *st, struct px_buf *out);
int cl_state_restore(struct cl_state *st, const void *blob, size_t len);
#define CL_STATE_BLOB_VERSION 1

#endif
