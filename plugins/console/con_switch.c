/*
 * The console's switch statistics: rounds of openflow.stats requests for
 * the switches browsers watch, each round's replies put together as one
 * switch_stats message; see con_switch.h.
 *
 * A round asks every kind at once and keeps what each reply says as the
 * JSON of its part ('parts'); when the last reply is in, the parts become
 * the message (groups' descriptions joined with their statistics, meters'
 * statistics with their configurations, both by id).  Request ids carry
 * a round number that grows across all switches, so that a reply of a
 * round that was given up, or of a switch watched before, is never taken
 * for one of the round in progress.
 */
#include "con_switch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/buf.h"
#include "plexus/of_text.h"
#include "plexus/plugin.h"
#include "plexus/topics/openflow.h"

/* Request ids: a round number above the kind, in the low 4 bits; the
 * inventory's kind is one no round uses. */
#define CON_REQ_KIND_BITS 4
#define CON_REQ_KIND_MASK 0xfu
#define CON_REQ_INVENTORY 0xfu
#define CON_REQ_ID(ROUND, KIND)                                               \
    ((uint64_t)(ROUND) << CON_REQ_KIND_BITS | (uint64_t)(KIND))

#define CON_BIT(KIND) (1u << (KIND))
/* What a 1.0 switch can be asked; a 1.3 switch is asked every kind. */
#define CON_KINDS_10 (CON_BIT(CON_SWITCH_PORT) | CON_BIT(CON_SWITCH_FLOW))
#define CON_KINDS_13 (CON_BIT(CON_SWITCH_N_KINDS) - 1)

static const uint32_t con_kind_types[CON_SWITCH_N_KINDS] = {
    [CON_SWITCH_PORT] = PX_OF_STATS_PORT,
    [CON_SWITCH_FLOW] = PX_OF_STATS_FLOW,
    [CON_SWITCH_GROUP_DESC] = PX_OF_STATS_GROUP_DESC,
    [CON_SWITCH_GROUP] = PX_OF_STATS_GROUP,
    [CON_SWITCH_METER] = PX_OF_STATS_METER,
    [CON_SWITCH_METER_CONFIG] = PX_OF_STATS_METER_CONFIG,
};

/* A port's name, as the switch last told it. */
struct con_port_name {
    uint32_t port_no;
    char name[16];
};

/* A port's counters at the previous round, for its rates. */
struct con_port_prev {
    uint32_t port_no;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
};

/* One watched switch. */
struct con_sw {
    uint64_t dpid;
    char dpid_text[PX_OF_DPID_TEXT_SIZE];
    unsigned int watchers;
    int connected;
    uint8_t version;
    unsigned int refused;        /* Kinds the switch refused (CON_BIT). */
    struct con_port_name *names; /* Sorted by port number. */
    size_t n_names;
    /* The round in progress, if 'pending'. */
    uint64_t round;
    unsigned int pending;  /* Kinds whose final reply is still out. */
    unsigned int answered; /* Kinds whose statistics came. */
    int asking;            /* Inside start_round()'s publishes. */
    double started;
    json_t *parts[CON_SWITCH_N_KINDS]; /* Arrays, sorted by number. */
    size_t omitted[CON_SWITCH_N_KINDS];
    /* The previous round's port counters, sorted by port number. */
    struct con_port_prev *prev;
    size_t n_prev;
    double prev_at;
    int have_prev;
    json_t *last; /* The last message. */
};

struct con_switch {
    struct px_plugin *p;
    double interval;
    con_switch_fn fn;
    void *arg;
    char reply_to[128];
    struct px_topic *t_stats;
    struct px_topic *t_inventory;
    struct px_sub *subs[4];
    struct px_timer *timer;
    struct con_sw *sws[CON_SWITCH_MAX_WATCHED];
    size_t n;
    uint64_t next_round;
    struct con_switch_stats stats;
    struct px_ratelimit rl;
    struct px_buf text; /* Scratch for a match's or actions' text. */
};

const char *
con_switch_kind_name(enum con_switch_kind kind)
{
    static const char *const names[CON_SWITCH_N_KINDS] = {
        "port", "flow", "group_desc", "group", "meter", "meter_config",
    };

    return (unsigned int)kind < CON_SWITCH_N_KINDS ? names[kind] : "?";
}

static struct con_sw *
find_sw(const struct con_switch *cs, uint64_t dpid)
{
    size_t i;

    for (i = 0; i < cs->n; i++) {
        if (cs->sws[i]->dpid == dpid) {
            return cs->sws[i];
        }
    }
    return NULL;
}

/* Drops the round in progress: what its replies said, and the replies
 * still to come (they will find the kind no longer pending). */
static void
cancel_round(struct con_sw *sw)
{
    size_t k;

    for (k = 0; k < CON_SWITCH_N_KINDS; k++) {
        json_decref(sw->parts[k]);
        sw->parts[k] = NULL;
        sw->omitted[k] = 0;
    }
    sw->pending = sw->answered = 0;
}

static void
free_sw(struct con_sw *sw)
{
    if (sw) {
        cancel_round(sw);
        json_decref(sw->last);
        free(sw->names);
        free(sw->prev);
        free(sw);
    }
}

/* ---------------------------------------------------------------------- */
/* Port names.                                                            */

static int
compare_names(const void *a_, const void *b_)
{
    const struct con_port_name *a = a_, *b = b_;

    return a->port_no < b->port_no ? -1 : a->port_no > b->port_no;
}

static struct con_port_name *
find_name(const struct con_sw *sw, uint32_t port_no)
{
    struct con_port_name key = {.port_no = port_no};

    return sw->n_names ? bsearch(&key, sw->names, sw->n_names,
                                 sizeof *sw->names, compare_names)
                       : NULL;
}

/* Copies the switch's name of a port, keeping it printable ASCII: the
 * switch may send any bytes, and JSON strings must be UTF-8. */
static void
copy_name(char *dst, const char *src)
{
    size_t i;

    for (i = 0; i < 15 && src[i]; i++) {
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    }
    dst[i] = '\0';
}

/* Replaces the names of 'sw' with those of 'ports'. */
static void
set_names(struct con_sw *sw, const struct px_of_port *ports, size_t n)
{
    struct con_port_name *names;
    size_t i;

    if (n > CON_SWITCH_MAX_PORTS) {
        n = CON_SWITCH_MAX_PORTS;
    }
    names = n ? calloc(n, sizeof *names) : NULL;
    if (n && !names) {
        return; /* The old names stay. */
    }
    for (i = 0; i < n; i++) {
        names[i].port_no = ports[i].port_no;
        copy_name(names[i].name, ports[i].name);
    }
    if (n > 1) {
        qsort(names, n, sizeof *names, compare_names);
    }
    free(sw->names);
    sw->names = names;
    sw->n_names = n;
}

/* A port came, changed or went. */
static void
update_name(struct con_sw *sw, uint8_t reason, const struct px_of_port *port)
{
    struct con_port_name *name = find_name(sw, port->port_no), *names;

    if (reason == PX_OF_PORT_DELETE) {
        if (name) {
            size_t i = (size_t)(name - sw->names);

            memmove(name, name + 1, (sw->n_names - i - 1) * sizeof *name);
            sw->n_names--;
        }
    } else if (name) {
        copy_name(name->name, port->name);
    } else if (sw->n_names < CON_SWITCH_MAX_PORTS) {
        names = realloc(sw->names, (sw->n_names + 1) * sizeof *names);
        if (!names) {
            return;
        }
        sw->names = names;
        names[sw->n_names].port_no = port->port_no;
        copy_name(names[sw->n_names].name, port->name);
        sw->n_names++;
        qsort(names, sw->n_names, sizeof *names, compare_names);
    }
}

/* The switch is connected (switch_up, or the inventory's answer): its
 * session starts afresh, with its version's kinds and its counters. */
static void
switch_up(struct con_sw *sw, const struct px_of_switch *s)
{
    cancel_round(sw);
    sw->connected = 1;
    sw->version = s->version;
    sw->refused = 0;
    sw->have_prev = 0;
    set_names(sw, s->ports, s->ports ? s->n_ports : 0);
}

static void
switch_down(struct con_sw *sw)
{
    cancel_round(sw);
    sw->connected = 0;
    sw->have_prev = 0;
}

/* ---------------------------------------------------------------------- */
/* What each reply says, as JSON.                                         */

/* A counter, or null where the switch keeps none (UINT64_MAX) or JSON's
 * integers could not hold it. */
static json_t *
counter(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? json_null() : json_integer((json_int_t)v);
}

/* Growth per second of a counter from 'prev' to 'cur' over 'dt'. */
static double
rate(uint64_t cur, uint64_t prev, double dt)
{
    if (cur == UINT64_MAX || prev == UINT64_MAX || cur < prev || dt <= 0) {
        return 0;
    }
    return (double)(cur - prev) / dt;
}

/* The scratch buffer's text as a JSON string ("?" if it could not be
 * written), and the buffer emptied. */
static json_t *
take_text(struct con_switch *cs)
{
    json_t *s =
        json_string(px_buf_error(&cs->text) ? "?" : px_buf_cstr(&cs->text));

    px_buf_clear(&cs->text);
    return s;
}

static int
compare_port_stats(const void *a_, const void *b_)
{
    const struct px_of_port_stats *const *a = a_, *const *b = b_;

    return (*a)->port_no < (*b)->port_no ? -1 : (*a)->port_no > (*b)->port_no;
}

static int
compare_prev(const void *a_, const void *b_)
{
    const struct con_port_prev *a = a_, *b = b_;

    return a->port_no < b->port_no ? -1 : a->port_no > b->port_no;
}

static const struct con_port_prev *
find_prev(const struct con_sw *sw, uint32_t port_no)
{
    struct con_port_prev key = {.port_no = port_no};

    return sw->have_prev && sw->n_prev
               ? bsearch(&key, sw->prev, sw->n_prev, sizeof *sw->prev,
                         compare_prev)
               : NULL;
}

static json_t *
port_json(const struct con_sw *sw, const struct px_of_port_stats *ps,
          const struct con_port_prev *old, double dt)
{
    const struct con_port_name *name = find_name(sw, ps->port_no);
    double rx_pps = 0, tx_pps = 0, rx_bps = 0, tx_bps = 0;

    if (old) {
        rx_pps = rate(ps->rx_packets, old->rx_packets, dt);
        tx_pps = rate(ps->tx_packets, old->tx_packets, dt);
        rx_bps = 8 * rate(ps->rx_bytes, old->rx_bytes, dt);
        tx_bps = 8 * rate(ps->tx_bytes, old->tx_bytes, dt);
    }
    return json_pack(
        "{s:I,s:s,s:o,s:o,s:o,s:o,s:f,s:f,s:f,s:f,s:o,s:o,s:o,"
        "s:o}",
        "port_no", (json_int_t)ps->port_no, "name", name ? name->name : "",
        "rx_packets", counter(ps->rx_packets), "tx_packets",
        counter(ps->tx_packets), "rx_bytes", counter(ps->rx_bytes), "tx_bytes",
        counter(ps->tx_bytes), "rx_pps", rx_pps, "tx_pps", tx_pps, "rx_bps",
        rx_bps, "tx_bps", tx_bps, "rx_dropped", counter(ps->rx_dropped),
        "tx_dropped", counter(ps->tx_dropped), "rx_errors",
        counter(ps->rx_errors), "tx_errors", counter(ps->tx_errors));
}

/* A PORT reply: the ports, their rates against the previous reply, and
 * their counters kept for the next. */
static json_t *
take_ports(struct con_switch *cs, struct con_sw *sw,
           const struct px_of_stats *st)
{
    size_t i, n = st->n,
              listed = n < CON_SWITCH_MAX_PORTS ? n : CON_SWITCH_MAX_PORTS;
    const struct px_of_port_stats **ix = n ? malloc(n * sizeof *ix) : NULL;
    struct con_port_prev *prev = listed ? malloc(listed * sizeof *prev) : NULL;
    double now = px_now(cs->p), dt = now - sw->prev_at;
    json_t *list = json_array();

    if ((n && !ix) || (listed && !prev) || !list) {
        free(ix);
        free(prev);
        json_decref(list);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        ix[i] = &st->ports[i];
    }
    if (n > 1) {
        qsort(ix, n, sizeof *ix, compare_port_stats);
    }
    for (i = 0; i < listed; i++) {
        const struct px_of_port_stats *ps = ix[i];

        json_array_append_new(
            list, port_json(sw, ps, find_prev(sw, ps->port_no), dt));
        prev[i] = (struct con_port_prev){
            .port_no = ps->port_no,
            .rx_packets = ps->rx_packets,
            .tx_packets = ps->tx_packets,
            .rx_bytes = ps->rx_bytes,
            .tx_bytes = ps->tx_bytes,
        };
    }
    free(ix);
    free(sw->prev);
    sw->prev = prev;
    sw->n_prev = listed;
    sw->prev_at = now;
    sw->have_prev = 1;
    sw->omitted[CON_SWITCH_PORT] = n - listed;
    return list;
}

/* Flows as a switch applies them: by table, then by falling priority;
 * in the order the switch listed them otherwise (the pointers are into
 * one array, so their order is that). */
static int
compare_flows(const void *a_, const void *b_)
{
    const struct px_of_flow_stats *a =
        *(const struct px_of_flow_stats *const *)a_;
    const struct px_of_flow_stats *b =
        *(const struct px_of_flow_stats *const *)b_;

    if (a->table_id != b->table_id) {
        return a->table_id < b->table_id ? -1 : 1;
    }
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    return a < b ? -1 : a > b;
}

static json_t *
flow_json(struct con_switch *cs, const struct px_of_flow_stats *f)
{
    /* In whole milliseconds, so that the JSON reads 1.809, not the sum
     * 1.8090000000000002. */
    double age = (double)((uint64_t)f->duration_sec * 1000 +
                          f->duration_nsec / 1000000) /
                 1000;
    char cookie[24];
    json_t *match, *actions;

    px_of_match_format(&cs->text, f->match, f->n_match, PX_OF_TEXT_OVS);
    match = take_text(cs);
    px_of_instructions_format(&cs->text, f->instructions, f->n_instructions);
    actions = take_text(cs);
    snprintf(cookie, sizeof cookie, "%#" PRIx64, f->cookie);
    return json_pack("{s:i,s:i,s:o,s:o,s:o,s:o,s:f,s:i,s:i,s:s}", "table_id",
                     f->table_id, "priority", f->priority, "match", match,
                     "actions", actions, "packets", counter(f->packet_count),
                     "bytes", counter(f->byte_count), "age", age,
                     "idle_timeout", f->idle_timeout, "hard_timeout",
                     f->hard_timeout, "cookie", f->cookie ? cookie : "0x0");
}

/* A FLOW reply: the first CON_SWITCH_MAX_FLOWS flows in the switch's
 * order of application. */
static json_t *
take_flows(struct con_switch *cs, struct con_sw *sw,
           const struct px_of_stats *st)
{
    size_t i, n = st->n,
              listed = n < CON_SWITCH_MAX_FLOWS ? n : CON_SWITCH_MAX_FLOWS;
    const struct px_of_flow_stats **ix = n ? malloc(n * sizeof *ix) : NULL;
    json_t *list = json_array();

    if ((n && !ix) || !list) {
        free(ix);
        json_decref(list);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        ix[i] = &st->flows[i];
    }
    if (n > 1) {
        qsort(ix, n, sizeof *ix, compare_flows);
    }
    for (i = 0; i < listed; i++) {
        json_array_append_new(list, flow_json(cs, ix[i]));
    }
    free(ix);
    sw->omitted[CON_SWITCH_FLOW] = n - listed;
    return list;
}

static const char *
group_type_name(uint8_t type)
{
    switch (type) {
    case PX_OF_GROUP_ALL:
        return "all";
    case PX_OF_GROUP_SELECT:
        return "select";
    case PX_OF_GROUP_INDIRECT:
        return "indirect";
    case PX_OF_GROUP_FF:
        return "ff";
    }
    return "?";
}

static const char *
band_type_name(uint16_t type)
{
    switch (type) {
    case PX_OF_BAND_DROP:
        return "drop";
    case PX_OF_BAND_DSCP_REMARK:
        return "dscp_remark";
    case 0xffff:
        return "experimenter";
    }
    return "?";
}

/* The 'id_key' member of an entry of a part. */
static json_int_t
entry_id(json_t *entry, const char *id_key)
{
    return json_integer_value(json_object_get(entry, id_key));
}

static int
compare_entries_by_group_id(const void *a_, const void *b_)
{
    json_int_t a = entry_id(*(json_t *const *)a_, "group_id");
    json_int_t b = entry_id(*(json_t *const *)b_, "group_id");

    return a < b ? -1 : a > b;
}

static int
compare_entries_by_meter_id(const void *a_, const void *b_)
{
    json_int_t a = entry_id(*(json_t *const *)a_, "meter_id");
    json_int_t b = entry_id(*(json_t *const *)b_, "meter_id");

    return a < b ? -1 : a > b;
}

/* Sorts the entries of 'list' by id with 'cmp' and keeps the first 'max'
 * of them; '*omitted' counts the rest.  Returns the new list (the old one
 * is consumed), or NULL. */
static json_t *
sort_entries(json_t *list, int (*cmp)(const void *, const void *), size_t max,
             size_t *omitted)
{
    size_t i, n = json_array_size(list);
    json_t **v = n ? malloc(n * sizeof *v) : NULL;
    json_t *out = json_array();

    if (!list || (n && !v) || !out) {
        free(v);
        json_decref(list);
        json_decref(out);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        v[i] = json_array_get(list, i);
    }
    if (n > 1) {
        qsort(v, n, sizeof *v, cmp);
    }
    for (i = 0; i < n && i < max; i++) {
        json_array_append(out, v[i]);
    }
    *omitted = n > max ? n - max : 0;
    free(v);
    json_decref(list);
    return out;
}

static json_t *
take_group_descs(struct con_switch *cs, struct con_sw *sw,
                 const struct px_of_stats *st)
{
    json_t *list = json_array();
    size_t i, j;

    for (i = 0; list && i < st->n; i++) {
        const struct px_of_group_desc *g = &st->group_descs[i];
        json_t *buckets = json_array();

        for (j = 0; buckets && j < g->n_buckets; j++) {
            px_of_actions_format(&cs->text, g->buckets[j].actions,
                                 g->buckets[j].n_actions);
            json_array_append_new(buckets, take_text(cs));
        }
        json_array_append_new(list, json_pack("{s:I,s:s,s:o}", "group_id",
                                              (json_int_t)g->group_id, "type",
                                              group_type_name(g->type),
                                              "buckets", buckets));
    }
    return sort_entries(list, compare_entries_by_group_id,
                        CON_SWITCH_MAX_GROUPS,
                        &sw->omitted[CON_SWITCH_GROUP_DESC]);
}

static json_t *
take_groups(struct con_sw *sw, const struct px_of_stats *st)
{
    json_t *list = json_array();
    size_t i;

    for (i = 0; list && i < st->n; i++) {
        const struct px_of_group_stats *g = &st->groups[i];

        json_array_append_new(list,
                              json_pack("{s:I,s:o,s:o}", "group_id",
                                        (json_int_t)g->group_id, "packets",
                                        counter(g->packet_count), "bytes",
                                        counter(g->byte_count)));
    }
    return sort_entries(list, compare_entries_by_group_id,
                        CON_SWITCH_MAX_GROUPS, &sw->omitted[CON_SWITCH_GROUP]);
}

static json_t *
take_meters(struct con_sw *sw, const struct px_of_stats *st)
{
    json_t *list = json_array();
    size_t i, j;

    for (i = 0; list && i < st->n; i++) {
        const struct px_of_meter_stats *m = &st->meters[i];
        json_t *bands = json_array();

        for (j = 0; bands && j < m->n_bands; j++) {
            json_array_append_new(
                bands, json_pack("{s:o,s:o}", "packets",
                                 counter(m->bands[j].packet_count), "bytes",
                                 counter(m->bands[j].byte_count)));
        }
        json_array_append_new(
            list, json_pack("{s:I,s:I,s:o,s:o,s:o}", "meter_id",
                            (json_int_t)m->meter_id, "flow_count",
                            (json_int_t)m->flow_count, "packets",
                            counter(m->packet_in_count), "bytes",
                            counter(m->byte_in_count), "bands", bands));
    }
    return sort_entries(list, compare_entries_by_meter_id,
                        CON_SWITCH_MAX_METERS, &sw->omitted[CON_SWITCH_METER]);
}

static json_t *
take_meter_configs(struct con_sw *sw, const struct px_of_stats *st)
{
    json_t *list = json_array();
    size_t i, j;

    for (i = 0; list && i < st->n; i++) {
        const struct px_of_meter_config *m = &st->meter_configs[i];
        json_t *bands = json_array();

        for (j = 0; bands && j < m->n_bands; j++) {
            const struct px_of_meter_band *b = &m->bands[j];

            json_array_append_new(bands,
                                  json_pack("{s:s,s:I,s:I}", "type",
                                            band_type_name(b->type), "rate",
                                            (json_int_t)b->rate, "burst_size",
                                            (json_int_t)b->burst_size));
        }
        json_array_append_new(
            list,
            json_pack("{s:I,s:s,s:o}", "meter_id", (json_int_t)m->meter_id,
                      "unit", m->flags & PX_OF_METER_PKTPS ? "pktps" : "kbps",
                      "bands", bands));
    }
    return sort_entries(list, compare_entries_by_meter_id,
                        CON_SWITCH_MAX_METERS,
                        &sw->omitted[CON_SWITCH_METER_CONFIG]);
}

/* ---------------------------------------------------------------------- */
/* The message.                                                           */

/* Part 'kind' of the round, now the caller's: an empty array if none
 * came. */
static json_t *
take_part(struct con_sw *sw, enum con_switch_kind kind)
{
    json_t *part = sw->parts[kind];

    sw->parts[kind] = NULL;
    return part ? part : json_array();
}

/* Sets each of the NULL-terminated 'keys' that 'obj' lacks to null. */
static void
fill_nulls(json_t *obj, const char *const *keys)
{
    for (; *keys; keys++) {
        if (!json_object_get(obj, *keys)) {
            json_object_set_new(obj, *keys, json_null());
        }
    }
}

/* Joins two lists sorted by 'id_key' into one, in id order: an entry of
 * 'a' with the members of the entry of 'b' with its id, and the entries
 * of either without one in the other; every entry gets each of 'keys'
 * (null if neither told it).  'merge' (or NULL) is called for each entry
 * with its partner (NULL if none) first, for members that need more than
 * a copy (the bands of a meter).  Consumes 'a' and 'b'. */
static json_t *
join(json_t *a, json_t *b, const char *id_key, const char *const *keys,
     void (*merge)(json_t *into, json_t *from))
{
    size_t i = 0, j = 0, na = json_array_size(a), nb = json_array_size(b);
    json_t *out = json_array();

    while (out && (i < na || j < nb)) {
        json_t *x = i < na ? json_array_get(a, i) : NULL;
        json_t *y = j < nb ? json_array_get(b, j) : NULL;
        json_t *entry, *other = NULL;

        if (x && y && entry_id(x, id_key) == entry_id(y, id_key)) {
            entry = x;
            other = y;
            i++, j++;
        } else if (x && (!y || entry_id(x, id_key) < entry_id(y, id_key))) {
            entry = x;
            i++;
        } else {
            entry = y;
            j++;
        }
        if (merge) {
            merge(entry, other);
        }
        if (other) {
            json_object_update_missing(entry, other);
        }
        fill_nulls(entry, keys);
        json_array_append(out, entry);
    }
    json_decref(a);
    json_decref(b);
    return out;
}

/* A meter's bands: its statistics' counts with its configuration's
 * rates, band by band ('from' may be NULL: each band then gets nulls for
 * what only the other would have told). */
static void
merge_bands(json_t *into, json_t *from)
{
    static const char *const keys[] = {"type",    "rate",  "burst_size",
                                       "packets", "bytes", NULL};
    json_t *a = json_object_get(into, "bands"),
           *b = json_object_get(from, "bands");
    size_t i, n = json_array_size(a) > json_array_size(b) ? json_array_size(a)
                                                          : json_array_size(b);
    json_t *bands = json_array();

    for (i = 0; bands && i < n; i++) {
        json_t *band = json_object();

        json_object_update(band, json_array_get(a, i));
        json_object_update(band, json_array_get(b, i));
        fill_nulls(band, keys);
        json_array_append_new(bands, band);
    }
    json_object_set_new(into, "bands", bands);
}

/* A round is over: its message, kept as the last and handed over. */
static void
finish_round(struct con_switch *cs, struct con_sw *sw)
{
    static const char *const group_keys[] = {"group_id", "type",  "buckets",
                                             "packets",  "bytes", NULL};
    static const char *const meter_keys[] = {
        "meter_id", "flow_count", "packets", "bytes", "unit", "bands", NULL};
    size_t omitted[CON_SWITCH_N_KINDS];
    json_t *msg, *groups, *meters;
    size_t k;

    if (!sw->answered) {
        cancel_round(sw);
        return;
    }
    memcpy(omitted, sw->omitted, sizeof omitted);
    groups =
        join(take_part(sw, CON_SWITCH_GROUP_DESC),
             take_part(sw, CON_SWITCH_GROUP), "group_id", group_keys, NULL);
    meters = join(take_part(sw, CON_SWITCH_METER),
                  take_part(sw, CON_SWITCH_METER_CONFIG), "meter_id",
                  meter_keys, merge_bands);
    msg = json_pack("{s:s,s:s,s:o,s:o,s:I,s:o,s:o}", "type", "switch_stats",
                    "dpid", sw->dpid_text, "ports",
                    take_part(sw, CON_SWITCH_PORT), "flows",
                    take_part(sw, CON_SWITCH_FLOW), "flows_omitted",
                    (json_int_t)omitted[CON_SWITCH_FLOW], "groups", groups,
                    "meters", meters);
    cancel_round(sw);
    if (!msg) {
        return;
    }
    if (omitted[CON_SWITCH_PORT]) {
        json_object_set_new(
            msg, "ports_omitted",
            json_integer((json_int_t)omitted[CON_SWITCH_PORT]));
    }
    k = omitted[CON_SWITCH_GROUP_DESC] > omitted[CON_SWITCH_GROUP]
            ? omitted[CON_SWITCH_GROUP_DESC]
            : omitted[CON_SWITCH_GROUP];
    if (k) {
        json_object_set_new(msg, "groups_omitted",
                            json_integer((json_int_t)k));
    }
    k = omitted[CON_SWITCH_METER] > omitted[CON_SWITCH_METER_CONFIG]
            ? omitted[CON_SWITCH_METER]
            : omitted[CON_SWITCH_METER_CONFIG];
    if (k) {
        json_object_set_new(msg, "meters_omitted",
                            json_integer((json_int_t)k));
    }
    cs->stats.rounds++;
    cs->stats.flows_omitted += omitted[CON_SWITCH_FLOW];
    json_decref(sw->last);
    sw->last = json_incref(msg);
    /* The callback may stop watching this switch, which frees it and its
     * 'last': the message keeps a reference of its own for the call, and
     * 'sw' is not used after it. */
    cs->fn(cs->arg, msg);
    json_decref(msg);
}

/* ---------------------------------------------------------------------- */
/* Rounds.                                                                */

/* Switch 'sw' refused kind 'kind': it is not asked again until it
 * connects again. */
static void
refuse_kind(struct con_switch *cs, struct con_sw *sw,
            enum con_switch_kind kind, const char *why)
{
    if (sw->refused & CON_BIT(kind)) {
        return;
    }
    sw->refused |= CON_BIT(kind);
    cs->stats.kinds_disabled++;
    px_log_rl(cs->p, &cs->rl, PX_LOG_INFO,
              "switch %s refused %s statistics (%s): not asked again "
              "while it is connected",
              sw->dpid_text, con_switch_kind_name(kind), why);
}

static void
ask(struct con_switch *cs, struct con_sw *sw, enum con_switch_kind kind)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_stats_request rq;

    memset(&rq, 0, sizeof rq);
    rq.dpid = sw->dpid;
    rq.type = con_kind_types[kind];
    rq.table_id = PX_OF_TABLE_ALL;
    rq.out_port = PX_OF_PORT_ANY;
    rq.out_group = PX_OF_GROUP_ANY;
    rq.port_no = PX_OF_PORT_ANY;
    rq.queue_id = PX_OF_QUEUE_ALL;
    rq.group_id = PX_OF_GROUP_ALL_GROUPS;
    rq.meter_id = PX_OF_METER_ALL;
    rq.reply_to = cs->reply_to;
    rq.request_id = CON_REQ_ID(sw->round, kind);
    rq.outcome = &outcome;
    px_publish(cs->p, cs->t_stats, &rq, sizeof rq);
    if (!outcome.code) {
        cs->stats.requests++;
        cs->stats.requests_by_kind[kind]++;
        return;
    }
    sw->pending &= ~CON_BIT(kind);
    cs->stats.refused++;
    if (outcome.code == EOPNOTSUPP) {
        refuse_kind(cs, sw, kind, outcome.cause);
    } else {
        px_log_rl(cs->p, &cs->rl, PX_LOG_WARN,
                  "%s statistics request for switch %s not sent: %s",
                  con_switch_kind_name(kind), sw->dpid_text, outcome.cause);
    }
}

static void
start_round(struct con_switch *cs, struct con_sw *sw)
{
    double now = px_now(cs->p);
    double timeout = 5 * cs->interval > CON_SWITCH_ROUND_TIMEOUT
                         ? 5 * cs->interval
                         : CON_SWITCH_ROUND_TIMEOUT;
    unsigned int kinds;
    int k;

    if (!sw->connected) {
        return;
    }
    if (sw->pending) {
        if (now - sw->started < timeout) {
            cs->stats.rounds_skipped++;
            return;
        }
        cs->stats.rounds_abandoned++;
        px_log_rl(cs->p, &cs->rl, PX_LOG_WARN,
                  "switch %s: statistics round given up after %.0f s "
                  "without every reply",
                  sw->dpid_text, now - sw->started);
        cancel_round(sw);
    }
    kinds = (sw->version == PX_OF_VERSION_13 ? CON_KINDS_13 : CON_KINDS_10) &
            ~sw->refused;
    if (!kinds) {
        return;
    }
    cancel_round(sw);
    sw->round = ++cs->next_round;
    sw->started = now;
    sw->pending = kinds;
    /* Pending first, so that a reply during a publish finds its kind; the
     * round is finished here, not in such a reply, once every kind was
     * asked. */
    sw->asking = 1;
    for (k = 0; k < CON_SWITCH_N_KINDS; k++) {
        if (kinds & CON_BIT(k)) {
            ask(cs, sw, (enum con_switch_kind)k);
        }
    }
    sw->asking = 0;
    if (!sw->pending) {
        finish_round(cs, sw);
    }
}

static void
on_tick(struct px_plugin *p, struct px_timer *t, void *cs_)
{
    struct con_switch *cs = cs_;
    uint64_t dpids[CON_SWITCH_MAX_WATCHED];
    size_t i, n = cs->n;

    (void)p;
    (void)t;
    /* By datapath id, looked up again each time: a round finished here
     * calls back, and the callback may stop watching any switch. */
    for (i = 0; i < n; i++) {
        dpids[i] = cs->sws[i]->dpid;
    }
    for (i = 0; i < n; i++) {
        struct con_sw *sw = find_sw(cs, dpids[i]);

        if (sw) {
            start_round(cs, sw);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Events.                                                                */

static void
take_stats(struct con_switch *cs, struct con_sw *sw, enum con_switch_kind kind,
           const struct px_of_stats *st)
{
    json_t *part = NULL;

    switch (kind) {
    case CON_SWITCH_PORT:
        part = take_ports(cs, sw, st);
        break;
    case CON_SWITCH_FLOW:
        part = take_flows(cs, sw, st);
        break;
    case CON_SWITCH_GROUP_DESC:
        part = take_group_descs(cs, sw, st);
        break;
    case CON_SWITCH_GROUP:
        part = take_groups(sw, st);
        break;
    case CON_SWITCH_METER:
        part = take_meters(sw, st);
        break;
    case CON_SWITCH_METER_CONFIG:
        part = take_meter_configs(sw, st);
        break;
    case CON_SWITCH_N_KINDS:
        break;
    }
    json_decref(sw->parts[kind]);
    sw->parts[kind] = part;
    sw->answered |= CON_BIT(kind);
}

static int
on_reply(struct px_plugin *p, const struct px_event *ev, void *cs_)
{
    struct con_switch *cs = cs_;
    const struct px_of_reply *r = ev->payload;
    enum con_switch_kind kind;
    struct con_sw *sw;
    char why[64];

    (void)p;
    if (ev->len < sizeof *r) {
        return PX_EVENT_CONTINUE;
    }
    sw = find_sw(cs, r->dpid);
    if ((r->request_id & CON_REQ_KIND_MASK) == CON_REQ_INVENTORY) {
        /* Every connected switch is told: only those not known to be
         * connected are new here (switch_up and switch_down keep the
         * others current, and their rounds go on). */
        if (sw && !sw->connected && r->type == PX_OF_REPLY_SWITCH && r->sw) {
            switch_up(sw, r->sw);
        }
        return PX_EVENT_CONTINUE;
    }
    kind = (enum con_switch_kind)(r->request_id & CON_REQ_KIND_MASK);
    if (!sw || kind >= CON_SWITCH_N_KINDS ||
        r->request_id >> CON_REQ_KIND_BITS != sw->round ||
        !(sw->pending & CON_BIT(kind))) {
        return PX_EVENT_CONTINUE; /* Of a round given up, or a switch
                                   * no longer watched. */
    }
    switch (r->type) {
    case PX_OF_REPLY_STATS:
        cs->stats.replies++;
        if (r->stats && r->stats->type == con_kind_types[kind]) {
            take_stats(cs, sw, kind, r->stats);
        }
        break;
    case PX_OF_REPLY_ERROR:
        cs->stats.refused++;
        snprintf(why, sizeof why, "error type %u code %u",
                 r->error ? r->error->type : 0, r->error ? r->error->code : 0);
        refuse_kind(cs, sw, kind, why);
        break;
    case PX_OF_REPLY_GONE:
        cs->stats.gone++;
        break;
    default:
        return PX_EVENT_CONTINUE; /* Not a final reply to a request. */
    }
    sw->pending &= ~CON_BIT(kind);
    if (!sw->pending && !sw->asking) {
        finish_round(cs, sw);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_up(struct px_plugin *p, const struct px_event *ev, void *cs_)
{
    const struct px_of_switch *s = ev->payload;
    struct con_sw *sw;

    (void)p;
    if (ev->len >= sizeof *s && (sw = find_sw(cs_, s->dpid))) {
        switch_up(sw, s);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_switch_down(struct px_plugin *p, const struct px_event *ev, void *cs_)
{
    const struct px_of_switch *s = ev->payload;
    struct con_sw *sw;

    (void)p;
    if (ev->len >= sizeof *s && (sw = find_sw(cs_, s->dpid))) {
        switch_down(sw);
    }
    return PX_EVENT_CONTINUE;
}

static int
on_port_status(struct px_plugin *p, const struct px_event *ev, void *cs_)
{
    const struct px_of_port_status *ps = ev->payload;
    struct con_sw *sw;

    (void)p;
    if (ev->len >= sizeof *ps && (sw = find_sw(cs_, ps->dpid))) {
        update_name(sw, ps->reason, &ps->port);
    }
    return PX_EVENT_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* The interface.                                                         */

int
con_switch_create(struct px_plugin *p, double interval, con_switch_fn fn,
                  void *arg, struct con_switch **out)
{
    struct px_ratelimit rl = PX_RATELIMIT_INIT(10.0, 5);
    struct con_switch *cs;
    int error;

    *out = NULL;
    if (!(interval > 0) || !fn) {
        return EINVAL;
    }
    cs = calloc(1, sizeof *cs);
    if (!cs) {
        return ENOMEM;
    }
    cs->p = p;
    cs->interval = interval;
    cs->fn = fn;
    cs->arg = arg;
    cs->rl = rl;
    px_buf_init(&cs->text, SIZE_MAX);
    snprintf(cs->reply_to, sizeof cs->reply_to, "%s.con_switch",
             px_instance_name(p));
    if ((error = px_topic_declare(p, PX_TOPIC_OF_STATS, PX_TOPIC_OF_VERSION,
                                  &cs->t_stats)) ||
        (error = px_topic_declare(p, PX_TOPIC_OF_INVENTORY,
                                  PX_TOPIC_OF_VERSION, &cs->t_inventory)) ||
        (error = px_subscribe(p, cs->reply_to, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_reply, cs, &cs->subs[0])) ||
        (error =
             px_subscribe(p, PX_TOPIC_OF_SWITCH_UP, PX_TOPIC_OF_VERSION,
                          PX_PRIO_DEFAULT, on_switch_up, cs, &cs->subs[1])) ||
        (error = px_subscribe(p, PX_TOPIC_OF_SWITCH_DOWN, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_switch_down, cs,
                              &cs->subs[2])) ||
        (error = px_subscribe(p, PX_TOPIC_OF_PORT_STATUS, PX_TOPIC_OF_VERSION,
                              PX_PRIO_DEFAULT, on_port_status, cs,
                              &cs->subs[3])) ||
        (error =
             px_timer_start(p, interval, interval, on_tick, cs, &cs->timer))) {
        con_switch_destroy(cs);
        return error;
    }
    *out = cs;
    return 0;
}

void
con_switch_destroy(struct con_switch *cs)
{
    size_t i;

    if (!cs) {
        return;
    }
    if (cs->timer) {
        px_timer_stop(cs->p, cs->timer);
    }
    for (i = 0; i < sizeof cs->subs / sizeof cs->subs[0]; i++) {
        if (cs->subs[i]) {
            px_unsubscribe(cs->p, cs->subs[i]);
        }
    }
    for (i = 0; i < cs->n; i++) {
        free_sw(cs->sws[i]);
    }
    px_buf_destroy(&cs->text);
    free(cs);
}

/* Asks openflow for the switches connected now; the answer for 'sw'
 * (switch_up()) comes before the publish returns. */
static void
look_up(struct con_switch *cs)
{
    struct px_of_outcome outcome = PX_OF_OUTCOME_INIT;
    struct px_of_inventory rq = {
        .reply_to = cs->reply_to,
        .request_id = CON_REQ_ID(0, CON_REQ_INVENTORY),
        .outcome = &outcome,
    };

    px_publish(cs->p, cs->t_inventory, &rq, sizeof rq);
    if (outcome.code) {
        px_log_rl(cs->p, &cs->rl, PX_LOG_WARN,
                  "openflow.inventory not answered: %s; a watched switch "
                  "is polled once it comes up",
                  outcome.cause);
    }
}

int
con_switch_watch(struct con_switch *cs, uint64_t dpid, int on)
{
    struct con_sw *sw = find_sw(cs, dpid);
    size_t i;

    if (!on) {
        if (!sw) {
            return ENOENT;
        }
        if (--sw->watchers) {
            return 0;
        }
        for (i = 0; cs->sws[i] != sw; i++) {
            continue;
        }
        cs->sws[i] = cs->sws[--cs->n];
        cs->stats.watched = cs->n;
        free_sw(sw);
        return 0;
    }
    if (sw) {
        sw->watchers++;
        return 0;
    }
    if (cs->n >= CON_SWITCH_MAX_WATCHED) {
        cs->stats.watch_refused++;
        px_log_rl(cs->p, &cs->rl, PX_LOG_WARN,
                  "switch %016" PRIx64 " not watched: %d switches are "
                  "already",
                  dpid, CON_SWITCH_MAX_WATCHED);
        return ENOSPC;
    }
    sw = calloc(1, sizeof *sw);
    if (!sw) {
        return ENOMEM;
    }
    sw->dpid = dpid;
    px_of_dpid_text(dpid, sw->dpid_text, sizeof sw->dpid_text);
    sw->watchers = 1;
    cs->sws[cs->n++] = sw;
    cs->stats.watched = cs->n;
    look_up(cs);
    /* Last: a round finished at once calls back, which may stop watching
     * this very switch. */
    start_round(cs, sw);
    return 0;
}

json_t *
con_switch_last(const struct con_switch *cs, uint64_t dpid)
{
    const struct con_sw *sw = find_sw(cs, dpid);

    return sw ? sw->last : NULL;
}

void
con_switch_get_stats(const struct con_switch *cs,
                     struct con_switch_stats *stats)
{
    *stats = cs->stats;
}
