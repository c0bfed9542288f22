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

#include "plexus/buf.h"
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

    if (port_no < OF_STATS_LOW_PORTS) {
        return sw->low_ports[port_no];
    }
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
    if (port_no < OF_STATS_LOW_PORTS) {
        sw->low_ports[port_no] = ps;
    }
    sw->n_ports++;
    return ps;
}

struct of_port_stats *
of_stats_port_slow(struct of_switch_stats *sw, uint32_t port_no)
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
                      enum px_conn_reason why)
{
    if ((unsigned int)why >= OF_N_DISCONNECTS || why == PX_CONN_OPEN) {
        why = PX_CONN_OTHER;
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

const char *
of_stats_refusal_name(enum of_refusal why)
{
    static const char *const names[OF_N_REFUSALS] = {
        [OF_REFUSED_MALFORMED] = "malformed",
        [OF_REFUSED_UNSUPPORTED] = "unsupported",
        [OF_REFUSED_OUTPUT_FULL] = "output_full",
        [OF_REFUSED_ROLE] = "role",
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
 * machine), version 4:
 *   header: magic, version (u32 each); n_records, disconnect_seq,
 *           switches_forgotten, connections_accepted, connections_refused,
 *           handshake_failures, requests_unknown_dpid, requests_malformed,
 *           tls_failures (u64 each)
 *   each record: dpid (u64); version, connected (u8); 0 (u16);
 *           n_ports (u32); connected_since (double); disconnect_seq (u64);
 *           peer (64 bytes, NUL-terminated); packet_ins, packet_outs,
 *           flow_mods, rx_bytes, tx_bytes, out_drops, the disconnects by
 *           close reason (enum px_conn_reason's order, PX_CONN_OPEN's
 *           always 0), ports_untracked, the four refusal counts (u64
 *           each)
 *   each port: port_no, 0 (u32 each); packet_ins, packet_outs (u64 each);
 *           name (16 bytes, NUL-terminated)
 * Versions 1 and 2 counted disconnects by five reasons of the plugin's
 * own, and had no tls_failures; 2 added the refusal counts; version 3,
 * which is still read, had three of them (no 'role').
 *
 * It is built in a px_buf and read with a px_cursor, whose sticky errors
 * let a whole record be read before one check.  The fields go in and out
 * as the bytes of the value (px_buf_put, px_cursor_bytes), in host order
 * as versions 1 and 2 had them, rather than through the big-endian
 * helpers: the layout stays the one the unit tests take apart.
 */
#define BLOB_MAGIC 0x5453464fu /* "OFST" */
#define HEADER_LEN (2 * 4 + 9 * 8)
#define PEER_LEN   64
/* A record's fixed part in 'version' (3 or 4): 3 or 4 refusal counts. */
#define RECORD_LEN_V(VERSION)                                                 \
    (8 + 1 + 1 + 2 + 4 + 8 + 8 + PEER_LEN +                                   \
     (6 + OF_N_DISCONNECTS + 1 + refusals_in(VERSION)) * 8)
#define PORT_LEN (4 + 4 + 8 + 8 + 16)
_Static_assert(OF_N_DISCONNECTS == 12,
               "the blob's version 3 has 12 close reasons: a new one is a "
               "new version");
_Static_assert(OF_N_REFUSALS == 4, "the blob's version 4 has 4 refusals");
_Static_assert(OF_STATS_BLOB_MIN_VERSION == 3 && OF_STATS_BLOB_VERSION == 4,
               "of_stats_restore reads versions 3 and 4");

/* The refusal counts a record of 'version' has. */
static size_t
refusals_in(uint32_t version)
{
    return version >= 4 ? OF_N_REFUSALS : OF_REFUSED_ROLE;
}
_Static_assert(sizeof(((struct of_switch_stats *)0)->peer) == PEER_LEN,
               "the blob's peer is the record's");

static void
put_u16(struct px_buf *b, uint16_t v)
{
    px_buf_put(b, &v, sizeof v);
}

static void
put_u32(struct px_buf *b, uint32_t v)
{
    px_buf_put(b, &v, sizeof v);
}

static void
put_u64(struct px_buf *b, uint64_t v)
{
    px_buf_put(b, &v, sizeof v);
}

static void
put_double(struct px_buf *b, double v)
{
    px_buf_put(b, &v, sizeof v);
}

int
of_stats_serialise(const struct of_stats *s, void **data, size_t *len)
{
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    size_t n = HEADER_LEN, i, j;
    int error;

    /* One allocation: reserve the whole blob up front. */
    for (i = 0; i < s->n; i++) {
        n += RECORD_LEN_V(OF_STATS_BLOB_VERSION) +
             (size_t)s->records[i]->n_ports * PORT_LEN;
    }
    px_buf_reserve(&b, n);

    put_u32(&b, BLOB_MAGIC);
    put_u32(&b, OF_STATS_BLOB_VERSION);
    put_u64(&b, s->n);
    put_u64(&b, s->disconnect_seq);
    put_u64(&b, s->switches_forgotten);
    put_u64(&b, s->connections_accepted);
    put_u64(&b, s->connections_refused);
    put_u64(&b, s->handshake_failures);
    put_u64(&b, s->requests_unknown_dpid);
    put_u64(&b, s->requests_malformed);
    put_u64(&b, s->tls_failures);
    for (i = 0; i < s->n; i++) {
        const struct of_switch_stats *sw = s->records[i];
        const struct of_port_stats *ps;
        char peer[PEER_LEN];

        put_u64(&b, sw->dpid);
        px_buf_put_u8(&b, sw->version);
        px_buf_put_u8(&b, sw->connected ? 1 : 0);
        put_u16(&b, 0);
        put_u32(&b, sw->n_ports);
        put_double(&b, sw->connected_since);
        put_u64(&b, sw->disconnect_seq);
        memset(peer, 0, sizeof peer);
        memcpy(peer, sw->peer, sizeof peer - 1);
        px_buf_put(&b, peer, sizeof peer);
        put_u64(&b, sw->total.packet_ins);
        put_u64(&b, sw->total.packet_outs);
        put_u64(&b, sw->total.flow_mods);
        put_u64(&b, sw->total.rx_bytes);
        put_u64(&b, sw->total.tx_bytes);
        put_u64(&b, sw->total.out_drops);
        for (j = 0; j < OF_N_DISCONNECTS; j++) {
            put_u64(&b, sw->disconnects[j]);
        }
        put_u64(&b, sw->ports_untracked);
        for (j = 0; j < OF_N_REFUSALS; j++) {
            put_u64(&b, sw->total.refused[j]);
        }
        PX_HMAP_FOR_EACH (ps, node, &sw->ports) {
            put_u32(&b, ps->port_no);
            put_u32(&b, 0);
            put_u64(&b, ps->packet_ins);
            put_u64(&b, ps->packet_outs);
            px_buf_put(&b, ps->name, sizeof ps->name);
        }
    }
    error = px_buf_error(&b);
    if (error) {
        px_buf_destroy(&b);
        return error;
    }
    *data = px_buf_steal(&b, len);
    return 0;
}

/* Reads 'n' bytes of the blob into 'v', or zeros once it ran out (the
 * cursor's error says so). */
static void
get(struct px_cursor *c, void *v, size_t n)
{
    const void *p = px_cursor_bytes(c, n);

    if (p) {
        memcpy(v, p, n);
    } else {
        memset(v, 0, n);
    }
}

static uint16_t
get_u16(struct px_cursor *c)
{
    uint16_t v;

    get(c, &v, sizeof v);
    return v;
}

static uint32_t
get_u32(struct px_cursor *c)
{
    uint32_t v;

    get(c, &v, sizeof v);
    return v;
}

static uint64_t
get_u64(struct px_cursor *c)
{
    uint64_t v;

    get(c, &v, sizeof v);
    return v;
}

static double
get_double(struct px_cursor *c)
{
    double v;

    get(c, &v, sizeof v);
    return v;
}

/* Reads one record's ports into 'sw'.  False on a short blob, a nonzero
 * pad or a port that appears twice. */
static bool
read_ports(struct px_cursor *c, struct of_switch_stats *sw, uint32_t n_ports)
{
    uint32_t i;

    for (i = 0; i < n_ports; i++) {
        struct of_port_stats *ps;
        uint32_t port_no = get_u32(c);
        uint32_t pad = get_u32(c);
        uint64_t ins = get_u64(c);
        uint64_t outs = get_u64(c);
        const char *name = px_cursor_bytes(c, sizeof ps->name);

        if (c->error || pad || !memchr(name, '\0', sizeof ps->name)) {
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

/* Reads one record and its ports.  Returns NULL (and sets '*error') on
 * malformed input or a failed allocation. */
static struct of_switch_stats *
read_record(struct px_cursor *c, uint32_t version, uint64_t set_seq,
            int *error)
{
    struct of_switch_stats *sw;
    uint8_t of_version, connected;
    uint16_t pad;
    uint32_t n_ports;
    uint64_t dpid;
    size_t i;

    *error = EPROTO;
    dpid = get_u64(c);
    if (c->error) {
        return NULL;
    }
    sw = record_alloc(dpid);
    if (!sw) {
        *error = ENOMEM;
        return NULL;
    }
    of_version = px_cursor_u8(c);
    connected = px_cursor_u8(c);
    pad = get_u16(c);
    n_ports = get_u32(c);
    sw->connected_since = get_double(c);
    sw->disconnect_seq = get_u64(c);
    get(c, sw->peer, sizeof sw->peer);
    sw->total.packet_ins = get_u64(c);
    sw->total.packet_outs = get_u64(c);
    sw->total.flow_mods = get_u64(c);
    sw->total.rx_bytes = get_u64(c);
    sw->total.tx_bytes = get_u64(c);
    sw->total.out_drops = get_u64(c);
    for (i = 0; i < OF_N_DISCONNECTS; i++) {
        sw->disconnects[i] = get_u64(c);
    }
    sw->ports_untracked = get_u64(c);
    for (i = 0; i < refusals_in(version); i++) {
        sw->total.refused[i] = get_u64(c);
    }
    if (c->error || connected > 1 || pad || sw->disconnects[PX_CONN_OPEN] ||
        n_ports > OF_STATS_MAX_PORTS ||
        (uint64_t)n_ports * PORT_LEN > c->left ||
        !memchr(sw->peer, '\0', sizeof sw->peer) ||
        !isfinite(sw->connected_since) || sw->disconnect_seq > set_seq) {
        goto fail;
    }
    sw->version = of_version;
    sw->connected = connected;
    if (!read_ports(c, sw, n_ports)) {
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
    struct of_stats *s = NULL;
    struct px_cursor c;
    uint32_t magic, version;
    uint64_t n, seq, i;
    int error = EPROTO;

    *out = NULL;
    if (!data) {
        return EPROTO;
    }
    px_cursor_init(&c, data, len);
    magic = get_u32(&c);
    version = get_u32(&c);
    n = get_u64(&c);
    seq = get_u64(&c);
    if (c.error || magic != BLOB_MAGIC ||
        version < OF_STATS_BLOB_MIN_VERSION ||
        version > OF_STATS_BLOB_VERSION ||
        n > c.left / RECORD_LEN_V(version) || n > RECORDS_LIMIT) {
        return EPROTO;
    }
    s = of_stats_create(max);
    if (!s) {
        return ENOMEM;
    }
    s->disconnect_seq = seq;
    s->switches_forgotten = get_u64(&c);
    s->connections_accepted = get_u64(&c);
    s->connections_refused = get_u64(&c);
    s->handshake_failures = get_u64(&c);
    s->requests_unknown_dpid = get_u64(&c);
    s->requests_malformed = get_u64(&c);
    s->tls_failures = get_u64(&c);
    if (c.error) {
        goto fail;
    }
    /* The previous generation may have had a larger bound: keep all of its
     * records for now, then trim to this one's. */
    error = reserve(s, n > s->max ? (size_t)n : s->max);
    if (error) {
        goto fail;
    }
    for (i = 0; i < n; i++) {
        struct of_switch_stats *sw = read_record(&c, version, seq, &error);

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
    /* Nothing may be left over. */
    error = px_cursor_finish(&c);
    if (error) {
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
