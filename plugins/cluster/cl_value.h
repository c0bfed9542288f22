/*
 * The values the cluster keeps in its JetStream key-value bucket: what a
 * member record ("member.<id>") and a switch record ("sw.<dpid>") say, and
 * their encoding as JSON.  Pure functions over byte buffers; the bucket's
 * revisions, which order everything, are not part of the values.
 *
 * The encoding is JSON (jansson) so that an operator reading the bucket
 * with any NATS tool sees what it says, and so that a later version can add
 * fields an older one ignores.  Every value carries "v": 1; a record of a
 * later major version is refused (EPROTO) rather than half understood.
 */
#ifndef CL_VALUE_H
#define CL_VALUE_H 1

#include <stddef.h>
#include <stdint.h>

/* An instance id: 1 to 63 of [A-Za-z0-9_-], so that it is a key token of
 * the bucket and a NATS subject token. */
#define CL_ID_MAX 64

/* Longest encoded value (bytes). */
#define CL_VALUE_MAX 2048

/* Switches one member may prefer to master (cluster.prefer). */
#define CL_PREFER_MAX 64

enum cl_member_state {
    CL_MEMBER_ALIVE = 1, /* Heartbeating. */
    CL_MEMBER_LEFT,      /* Shut down in order: its switches are free. */
    CL_MEMBER_DEAD,      /* Its lease ran out and another member said so. */
};

/* member.<id> */
struct cl_member_value {
    enum cl_member_state state;
    /* A random number drawn each time the instance joins: a switch record
     * names its holder by id and incarnation, so that an instance started
     * again under the same id does not inherit what its predecessor held
     * without claiming it. */
    uint64_t inc;
    char by[CL_ID_MAX]; /* DEAD: who declared it. */
    char endpoint[128]; /* Where its switches connect ("tcp:..."). */
    int64_t pid;        /* Its process, for an operator. */
    /* Switches it asks to master (a router of its vns_server is on
     * them). */
    uint64_t prefer[CL_PREFER_MAX];
    size_t n_prefer;
};

/* sw.<dpid>: the switch's master.  'holder' is empty for a switch released
 * on purpose (rebalancing); the record's revision is the generation id of
 * the holder's tenure. */
struct cl_switch_value {
    char holder[CL_ID_MAX];
    uint64_t inc;
};

/* True if 'id' is a valid instance id. */
int cl_id_valid(const char *id);

/* Encodes 'v' into 'out' (size bytes), '\0'-terminated; *len is the length
 * without the terminator.  ENOSPC if it does not fit. */
int cl_member_encode(const struct cl_member_value *v, char *out, size_t size,
                     size_t *len);
int cl_switch_encode(const struct cl_switch_value *v, char *out, size_t size,
                     size_t *len);

/* Decodes 'len' bytes at 'data'.  EINVAL for anything that is not such a
 * value (not JSON, a field of the wrong type, an invalid id, an unknown
 * state), EPROTO for a later major version. */
int cl_member_decode(const void *data, size_t len, struct cl_member_value *v);
int cl_switch_decode(const void *data, size_t len, struct cl_switch_value *v);

/* Bucket keys.  cl_key_switch writes "sw.<16 hex digits>"; cl_key_parse
 * tells which record a key is: 'M' (member, id copied to 'id'), 'S' (switch,
 * *dpid set) or 0 for a key of neither form. */
void cl_key_member(const char *id, char *out, size_t size);
void cl_key_switch(uint64_t dpid, char *out, size_t size);
int cl_key_parse(const char *key, char id[CL_ID_MAX], uint64_t *dpid);

const char *cl_member_state_name(enum cl_member_state s);

#endif
