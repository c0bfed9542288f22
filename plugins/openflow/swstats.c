/*
 * Per-switch counters of the openflow plugin; see swstats.h.
 *
 * The set keeps its records in an array in order of creation (what a
 * report walks) and indexes them by datapath id in a px_hmap, so finding a
 * switch's record does not grow with the number of switches.  Each record
 * keeps its ports' counters in a second px_hmap, keyed by port number.
 */
#include "swstats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/hash.h"

/* Hard limit on records, whatever 'max' says, so that sizes computed from
 * it cannot overflow. */
#define RECORDS_LIMIT (1u << 24)

/* ---------------------------------------------------------------------- */
/* Records and their port tables.                                         */

static void
record_free(struct of_switch_stats *sw)
{
    struct of_port_stats *ps;

    if (sw) {
        PX_HMAP_FOR_EACH_SAFE (ps, node, &sw->ports) {
            free(ps);
        }
        px_hmap_destroy(&sw->ports);
        free(sw);
    }
}

static struct of_switch_stats *
record_alloc(uint64_t dpid)
{
    struct of_switch_stats *sw = calloc(1, sizeof *sw);

    if (sw) {
        sw->dpid = dpid;
        px_hmap_init(&sw->ports);
    }
    return sw;
}

/* The counters of 'port_no' in 'sw', or NULL. */
static struct of_port_stats *
port_find(const struct of_switch_stats *sw, uint32_t port_no)
{
    struct of_port_stats *ps;

    PX_HMAP_FOR_EACH_WITH_HASH (ps, node, px_hash_u64(port_no), &sw->ports) {
        if (ps->port_no == port_no) {
            break;
        }
    }
    return ps;
}

/* Adds 'port_no', which is not in the map, with zero counts.  Returns NULL
 * at the bound or when memory is short. */
static struct of_port_stats *
port_add(struct of_switch_stats *sw, uint32_t port_no)
{
    struct of_port_stats *ps;

    if (sw->n_ports >= OF_STATS_MAX_PORTS) {
        return NULL;
    }
    ps = calloc(1, sizeof *ps);
    if (!ps) {
        return NULL;
    }
    ps->port_no = port_no;
    px_hmap_insert(&sw->ports, &ps->node, px_hash_u64(port_no));
    sw->n_ports++;
    return ps;
}

struct of_port_stats *
of_stats_port(struct of_switch_stats *sw, uint32_t port_no)
{
    struct of_port_stats *ps = port_find(sw, port_no);

    if (!ps) {
        ps = port_add(sw, port_no);
        if (!ps) {
            sw->ports_untracked++;
        }
    }
    return ps;
}

int
of_stats_port_register(struct of_switch_stats *sw, uint32_t port_no,
                       const char *name)
{
    struct of_port_stats *ps = port_find(sw, port_no);

    if (!ps) {
        ps = port_add(sw, port_no);
    }
    if (!ps) {
        return ENOSPC;
    }
    if (name) {
        snprintf(ps->name, sizeof ps->name, "%.*s", (int)sizeof ps->name - 1,
                 name);
    }
    return 0;
}

static int
compare_ports(const void *a_, const void *b_)
{
    const struct of_port_stats *a = a_;
    const struct of_port_stats *b = b_;

    return a->port_no < b->port_no ? -1 : a->port_no > b->port_no;
}

void
of_stats_ports_sorted(const struct of_switch_stats *sw,
                      struct of_port_stats *out)
{
    const struct of_port_stats *ps;
    uint32_t n = 0;

    PX_HMAP_FOR_EACH (ps, node, &sw->ports) {
        out[n++] = *ps;
    }
    if (n) {
        qsort(out, n, sizeof *out, compare_ports);
    }
}

void
of_stats_connected(struct of_switch_stats *sw, uint8_t version,
                   const char *peer, double since)
{
    sw->version = version;
    sw->connected = 1;
    sw->connected_since = since;
    memset(sw->peer, 0, sizeof sw->peer);
    strncpy(sw->peer, peer ? peer : "", sizeof sw->peer - 1);
}

void
of_stats_disconnected(struct of_stats *s, struct of_switch_stats *sw,
                      enum of_disconnect why)
{
    if ((unsigned int)why >= OF_N_DISCONNECTS) {
        why = OF_DISC_OTHER;
    }
    sw->disconnects[why]++;
    if (sw->connected) {
        sw->connected = 0;
        sw->disconnect_seq = ++s->disconnect_seq;
    }
}

void
of_stats_add(struct of_switch_stats *sw, const struct of_counts *c)
{
    size_t i;

    sw->total.packet_ins += c->packet_ins;
    sw->total.packet_outs += c->packet_outs;
    sw->total.flow_mods += c->flow_mods;
    sw->total.rx_bytes += c->rx_bytes;
    sw->total.tx_bytes += c->tx_bytes;
    sw->total.out_drops += c->out_drops;
    for (i = 0; i < OF_N_REFUSALS; i++) {
        sw->total.refused[i] += c->refused[i];
    }
}

/* ---------------------------------------------------------------------- */
/* Reasons.                                                               */

static bool
starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

enum of_disconnect
of_stats_classify(const char *reason)
{
    /* The words are conn.c's: of_conn_tick says "echo timeout", process()
     * prefixes a decoding error with "malformed message: " and says
     * "duplicate datapath id" bare, conn_read says "peer closed" (maybe
     * followed by " mid-message ..." or " mid-header ...").  Socket errors
     * (strerror), "no HELLO" and the like are "other". */
    if (!reason) {
        return OF_DISC_OTHER;
    }
    if (!strcmp(reason, "echo timeout")) {
        return OF_DISC_ECHO_TIMEOUT;
    }
    if (starts_with(reason, "malformed message")) {
        return OF_DISC_MALFORMED;
    }
    if (!strcmp(reason, "duplicate datapath id")) {
        return OF_DISC_DUPLICATE_DPID;
    }
    if (starts_with(reason, "peer closed")) {
        return OF_DISC_PEER_CLOSED;
    }
    return OF_DISC_OTHER;
}

const char *
of_stats_disconnect_name(enum of_disconnect why)
{
    static const char *const names[OF_N_DISCONNECTS] = {
        [OF_DISC_ECHO_TIMEOUT] = "echo_timeout",
        [OF_DISC_MALFORMED] = "malformed_message",
        [OF_DISC_DUPLICATE_DPID] = "duplicate_dpid",
        [OF_DISC_PEER_CLOSED] = "peer_closed",
        [OF_DISC_OTHER] = "other",
    };

    return (unsigned int)why < OF_N_DISCONNECTS ? names[why] : "other";
}

const char *
of_stats_refusal_name(enum of_refusal why)
{
    static const char *const names[OF_N_REFUSALS] = {
        [OF_REFUSED_MALFORMED] = "malformed",
        [OF_REFUSED_UNSUPPORTED] = "unsupported",
        [OF_REFUSED_OUTPUT_FULL] = "output_full",
    };

    return (unsigned int)why < OF_N_REFUSALS ? names[why] : "other";
}

/* ---------------------------------------------------------------------- */
/* The set and its index by datapath id.                                  */

/* Makes room for 'room' records: the array, and buckets in the index so
 * that inserting them does not resize it. */
static int
reserve(struct of_stats *s, size_t room)
{
    struct of_switch_stats **records;

    if (room <= s->room) {
        return 0;
    }
    if (room > RECORDS_LIMIT) {
        return ENOMEM;
    }
    records = realloc(s->records, room * sizeof *records);
    if (!records) {
        return ENOMEM;
    }
    s->records = records;
    if (px_hmap_reserve(&s->index, room)) {
        return ENOMEM;
    }
    s->room = room;
    return 0;
}

static void
index_insert(struct of_stats *s, struct of_switch_stats *sw)
{
    px_hmap_insert(&s->index, &sw->node, px_hash_u64(sw->dpid));
}

struct of_stats *
of_stats_create(size_t max)
{
    struct of_stats *s = calloc(1, sizeof *s);

    if (!s) {
        return NULL;
    }
    px_hmap_init(&s->index);
    s->max = max ? max : 1;
    if (reserve(s, s->max)) {
        of_stats_destroy(s);
        return NULL;
    }
    return s;
}

void
of_stats_destroy(struct of_stats *s)
{
    size_t i;

    if (!s) {
        return;
    }
    for (i = 0; i < s->n; i++) {
        record_free(s->records[i]);
    }
    free(s->records);
    px_hmap_destroy(&s->index);
    free(s);
}

struct of_switch_stats *
of_stats_find(const struct of_stats *s, uint64_t dpid)
{
    struct of_switch_stats *sw;

    PX_HMAP_FOR_EACH_WITH_HASH (sw, node, px_hash_u64(dpid), &s->index) {
        if (sw->dpid == dpid) {
            break;
        }
    }
    return sw;
}

/* Forgets the disconnected record that disconnected longest ago.  Returns
 * 0, or ENOSPC when every record is connected. */
static int
evict_one(struct of_stats *s)
{
    size_t i, oldest = SIZE_MAX;

    for (i = 0; i < s->n; i++) {
        const struct of_switch_stats *sw = s->records[i];

        if (!sw->connected &&
            (oldest == SIZE_MAX ||
             sw->disconnect_seq < s->records[oldest]->disconnect_seq)) {
            oldest = i;
        }
    }
    if (oldest == SIZE_MAX) {
        return ENOSPC;
    }
    px_hmap_remove(&s->index, &s->records[oldest]->node);
    px_hmap_shrink(&s->index);
    record_free(s->records[oldest]);
    memmove(&s->records[oldest], &s->records[oldest + 1],
            (s->n - oldest - 1) * sizeof *s->records);
    s->n--;
    s->switches_forgotten++;
    return 0;
}

int
of_stats_set_max(struct of_stats *s, size_t max)
{
    int error;

    s->max = max ? max : 1;
    error = reserve(s, s->max);
    if (error) {
        return error;
    }
    while (s->n > s->max && !evict_one(s)) {
        continue;
    }
    return 0;
}

/* Appends a new record for 'dpid' (which has none), assuming room. */
static struct of_switch_stats *
append(struct of_stats *s, uint64_t dpid)
{
    struct of_switch_stats *sw = record_alloc(dpid);

    if (sw) {
        s->records[s->n++] = sw;
        index_insert(s, sw);
    }
    return sw;
}

int
of_stats_get(struct of_stats *s, uint64_t dpid, struct of_switch_stats **out)
{
    struct of_switch_stats *sw = of_stats_find(s, dpid);

    if (!sw) {
        /* After a restore the set may be over the bound (connected records
         * are kept), so this may take more than one eviction. */
        while (s->n >= s->max) {
            if (evict_one(s)) {
                return ENOSPC;
            }
        }
        sw = append(s, dpid);
        if (!sw) {
            return ENOMEM;
        }
    }
    *out = sw;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Serialisation.                                                         */

/* The blob, in host byte order (it only crosses a reload, never a
 * machine):
 *   header: magic, version (u32 each); n_records, disconnect_seq,
 *           switches_forgotten, connections_accepted, connections_refused,
 *           handshake_failures, and from version 2 requests_unknown_dpid,
 *           requests_malformed (u64 each)
 *   each record: dpid (u64); version, connected (u8); 0 (u16);
 *           n_ports (u32); connected_since (double); disconnect_seq (u64);
 *           peer (64 bytes, NUL-terminated); packet_ins, packet_outs,
 *           flow_mods, rx_bytes, tx_bytes, out_drops, the five disconnects,
 *           ports_untracked, and from version 2 the three refusal counts
 *           (u64 each)
 *   each port: port_no, 0 (u32 each); packet_ins, packet_outs (u64 each);
 *           name (16 bytes, NUL-terminated)
 */
#define BLOB_MAGIC    0x5453464fu /* "OFST" */
#define HEADER_LEN_V1 (2 * 4 + 6 * 8)
#define HEADER_LEN    (HEADER_LEN_V1 + 2 * 8)
#define PEER_LEN      64
#define RECORD_LEN_V1 (8 + 1 + 1 + 2 + 4 + 8 + 8 + PEER_LEN + 12 * 8)
#define RECORD_LEN    (RECORD_LEN_V1 + OF_N_REFUSALS * 8)
#define PORT_LEN      (4 + 4 + 8 + 8 + 16)
_Static_assert(OF_N_REFUSALS == 3, "the blob's version 2 has 3 refusals");

struct writer {
    uint8_t *p;
};

static void
put(struct writer *w, const void *v, size_t n)
{
    memcpy(w->p, v, n);
    w->p += n;
}

static void
put_u8(struct writer *w, uint8_t v)
{
    put(w, &v, sizeof v);
}

static void
put_u16(struct writer *w, uint16_t v)
{
    put(w, &v, sizeof v);
}

static void
put_u32(struct writer *w, uint32_t v)
{
    put(w, &v, sizeof v);
}

static void
put_u64(struct writer *w, uint64_t v)
{
    put(w, &v, sizeof v);
}

static void
put_double(struct writer *w, double v)
{
    put(w, &v, sizeof v);
}

int
of_stats_serialise(const struct of_stats *s, void **data, size_t *len)
{
    struct writer w;
    size_t n = HEADER_LEN, i, j;
    uint8_t *buf;

    for (i = 0; i < s->n; i++) {
        n += RECORD_LEN + (size_t)s->records[i]->n_ports * PORT_LEN;
    }
    buf = malloc(n);
    if (!buf) {
        return ENOMEM;
    }
    w.p = buf;
    put_u32(&w, BLOB_MAGIC);
    put_u32(&w, OF_STATS_BLOB_VERSION);
    put_u64(&w, s->n);
    put_u64(&w, s->disconnect_seq);
    put_u64(&w, s->switches_forgotten);
    put_u64(&w, s->connections_accepted);
    put_u64(&w, s->connections_refused);
    put_u64(&w, s->handshake_failures);
    put_u64(&w, s->requests_unknown_dpid);
    put_u64(&w, s->requests_malformed);
    for (i = 0; i < s->n; i++) {
        const struct of_switch_stats *sw = s->records[i];
        const struct of_port_stats *ps;
        char peer[PEER_LEN];

        put_u64(&w, sw->dpid);
        put_u8(&w, sw->version);
        put_u8(&w, sw->connected ? 1 : 0);
        put_u16(&w, 0);
        put_u32(&w, sw->n_ports);
        put_double(&w, sw->connected_since);
        put_u64(&w, sw->disconnect_seq);
        memset(peer, 0, sizeof peer);
        memcpy(peer, sw->peer, sizeof peer - 1);
        put(&w, peer, sizeof peer);
        put_u64(&w, sw->total.packet_ins);
        put_u64(&w, sw->total.packet_outs);
        put_u64(&w, sw->total.flow_mods);
        put_u64(&w, sw->total.rx_bytes);
        put_u64(&w, sw->total.tx_bytes);
        put_u64(&w, sw->total.out_drops);
        for (j = 0; j < OF_N_DISCONNECTS; j++) {
            put_u64(&w, sw->disconnects[j]);
        }
        put_u64(&w, sw->ports_untracked);
        for (j = 0; j < OF_N_REFUSALS; j++) {
            put_u64(&w, sw->total.refused[j]);
        }
        PX_HMAP_FOR_EACH (ps, node, &sw->ports) {
            put_u32(&w, ps->port_no);
            put_u32(&w, 0);
            put_u64(&w, ps->packet_ins);
            put_u64(&w, ps->packet_outs);
            put(&w, ps->name, sizeof ps->name);
        }
    }
    *data = buf;
    *len = (size_t)(w.p - buf);
    return 0;
}

/* Reads from a blob; every get checks the length left first. */
struct reader {
    const uint8_t *p;
    size_t left;
};

static bool
get(struct reader *r, void *v, size_t n)
{
    if (r->left < n) {
        return false;
    }
    memcpy(v, r->p, n);
    r->p += n;
    r->left -= n;
    return true;
}

static bool
get_u8(struct reader *r, uint8_t *v)
{
    return get(r, v, sizeof *v);
}

static bool
get_u16(struct reader *r, uint16_t *v)
{
    return get(r, v, sizeof *v);
}

static bool
get_u32(struct reader *r, uint32_t *v)
{
    return get(r, v, sizeof *v);
}

static bool
get_u64(struct reader *r, uint64_t *v)
{
    return get(r, v, sizeof *v);
}

static bool
get_double(struct reader *r, double *v)
{
    return get(r, v, sizeof *v);
}

/* Reads one record's ports into 'sw'.  False on a short blob, a nonzero
 * pad or a port that appears twice. */
static bool
read_ports(struct reader *r, struct of_switch_stats *sw, uint32_t n_ports)
{
    uint32_t i;

    for (i = 0; i < n_ports; i++) {
        uint32_t port_no, pad;
        uint64_t ins, outs;
        struct of_port_stats *ps;
        char name[sizeof ps->name];

        if (!get_u32(r, &port_no) || !get_u32(r, &pad) || pad ||
            !get_u64(r, &ins) || !get_u64(r, &outs) ||
            !get(r, name, sizeof name) || !memchr(name, '\0', sizeof name)) {
            return false;
        }
        if (port_find(sw, port_no)) {
            return false;
        }
        ps = port_add(sw, port_no);
        if (!ps) {
            return false;
        }
        ps->packet_ins = ins;
        ps->packet_outs = outs;
        memcpy(ps->name, name, sizeof ps->name);
    }
    return true;
}

/* Reads one record of a blob of 'version', and its ports.  Returns NULL
 * (and sets '*error') on malformed input or a failed allocation. */
static struct of_switch_stats *
read_record(struct reader *r, uint32_t version, uint64_t set_seq, int *error)
{
    struct of_switch_stats *sw;
    uint8_t of_version, connected;
    uint16_t pad;
    uint32_t n_ports;
    uint64_t dpid, ports_untracked;
    size_t i;

    *error = EPROTO;
    if (!get_u64(r, &dpid)) {
        return NULL;
    }
    sw = record_alloc(dpid);
    if (!sw) {
        *error = ENOMEM;
        return NULL;
    }
    if (!get_u8(r, &of_version) || !get_u8(r, &connected) ||
        !get_u16(r, &pad) || !get_u32(r, &n_ports) ||
        !get_double(r, &sw->connected_since) ||
        !get_u64(r, &sw->disconnect_seq) ||
        !get(r, sw->peer, sizeof sw->peer) ||
        !get_u64(r, &sw->total.packet_ins) ||
        !get_u64(r, &sw->total.packet_outs) ||
        !get_u64(r, &sw->total.flow_mods) ||
        !get_u64(r, &sw->total.rx_bytes) || !get_u64(r, &sw->total.tx_bytes) ||
        !get_u64(r, &sw->total.out_drops)) {
        goto fail;
    }
    for (i = 0; i < OF_N_DISCONNECTS; i++) {
        if (!get_u64(r, &sw->disconnects[i])) {
            goto fail;
        }
    }
    if (!get_u64(r, &ports_untracked)) {
        goto fail;
    }
    for (i = 0; version >= 2 && i < OF_N_REFUSALS; i++) {
        if (!get_u64(r, &sw->total.refused[i])) {
            goto fail;
        }
    }
    if (connected > 1 || pad || n_ports > OF_STATS_MAX_PORTS ||
        (uint64_t)n_ports * PORT_LEN > r->left ||
        !memchr(sw->peer, '\0', sizeof sw->peer) ||
        !isfinite(sw->connected_since) || sw->disconnect_seq > set_seq) {
        goto fail;
    }
    sw->version = of_version;
    sw->connected = connected;
    sw->ports_untracked = ports_untracked;
    if (!read_ports(r, sw, n_ports)) {
        /* port_add fails only at the bound (checked above) or for want of
         * memory; call a short or repeated port list malformed. */
        goto fail;
    }
    return sw;

fail:
    record_free(sw);
    return NULL;
}

int
of_stats_restore(const void *data, size_t len, size_t max,
                 struct of_stats **out)
{
    struct reader r = {.p = data, .left = len};
    struct of_stats *s = NULL;
    uint32_t magic, version;
    uint64_t n, seq, i;
    int error = EPROTO;

    *out = NULL;
    if (!data || !get_u32(&r, &magic) || !get_u32(&r, &version) ||
        magic != BLOB_MAGIC || version < OF_STATS_BLOB_MIN_VERSION ||
        version > OF_STATS_BLOB_VERSION || !get_u64(&r, &n) ||
        !get_u64(&r, &seq) ||
        n > r.left / (version >= 2 ? RECORD_LEN : RECORD_LEN_V1) ||
        n > RECORDS_LIMIT) {
        return EPROTO;
    }
    s = of_stats_create(max);
    if (!s) {
        return ENOMEM;
    }
    s->disconnect_seq = seq;
    if (!get_u64(&r, &s->switches_forgotten) ||
        !get_u64(&r, &s->connections_accepted) ||
        !get_u64(&r, &s->connections_refused) ||
        !get_u64(&r, &s->handshake_failures) ||
        (version >= 2 && (!get_u64(&r, &s->requests_unknown_dpid) ||
                          !get_u64(&r, &s->requests_malformed)))) {
        goto fail;
    }
    /* The previous generation may have had a larger bound: keep all of its
     * records for now, then trim to this one's. */
    error = reserve(s, n > s->max ? (size_t)n : s->max);
    if (error) {
        goto fail;
    }
    for (i = 0; i < n; i++) {
        struct of_switch_stats *sw = read_record(&r, version, seq, &error);

        if (!sw) {
            goto fail;
        }
        if (of_stats_find(s, sw->dpid)) {
            record_free(sw);
            error = EPROTO;
            goto fail;
        }
        s->records[s->n++] = sw;
        index_insert(s, sw);
    }
    if (r.left) {
        error = EPROTO;
        goto fail;
    }
    while (s->n > s->max && !evict_one(s)) {
        continue;
    }
    *out = s;
    return 0;

fail:
    of_stats_destroy(s);
    return error;
}
