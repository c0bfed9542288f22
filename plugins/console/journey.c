/*
 * Frame journeys (journey.h): the hops of each frame through the router
 * lab, found by correlating what the console plugin observes, and their
 * JSON and pcap.
 *
 * How hops are correlated.  In the lab a frame goes switch -> openflow
 * (packet-in) -> vns_server -> router (VNS) -> vns_server -> openflow
 * (packet-out) -> switch, and the console sees four kinds of hop, none of
 * which names the others, so each is matched on what it carries:
 *
 *  - SWITCH_IN (a packet-in) starts a journey.
 *  - ROUTER_IN: vns_server hands a router the packet-in's frame unchanged,
 *    so it joins the journey whose SWITCH_IN carried exactly the same
 *    bytes within 'window' (default 2 s): the most recent such one that
 *    has no ROUTER_IN for this router yet (vns_server sends each frame to
 *    every connected router: one journey then has a ROUTER_IN per router),
 *    else the most recent.  No match: counted unmatched, not recorded.
 *  - ROUTER_OUT, tried in this order, each within 'long_window' (default
 *    10 s: a router holds a packet while it resolves the next hop, up to 5
 *    ARP requests a second apart) and on a ROUTER_IN of the same router:
 *    (a) a forwarded IPv4 packet keeps its source, destination, protocol
 *        and IP id (its TTL is one less, its MACs rewritten): it joins the
 *        journey whose ROUTER_IN had those four;
 *    (b) an answer the router wrote joins the journey of what it answers:
 *        an ICMP echo reply, the echo request of the same id and sequence
 *        with the addresses swapped; an ICMP error (unreachable, time
 *        exceeded, redirect, parameter problem, source quench), the
 *        datagram it quotes (source, destination, protocol, IP id); an
 *        ARP reply, the ARP request whose sender is the reply's target
 *        and whose target is the reply's sender;
 *    (c) anything else (the router's own ARP request for a next hop)
 *        starts a journey of its own.
 *    (a) comes first so that a reply the router forwards (an echo reply
 *    from a server) joins the reply's own journey, not the request's.
 *  - SWITCH_OUT: vns_server turns a router's frame into the packet-out
 *    unchanged, so it joins the journey whose ROUTER_OUT carried exactly
 *    the same bytes within 'window'; failing that, the journey whose
 *    SWITCH_IN did (a switching plugin sending a punted frame back out).
 *    No match (a packet-out of another plugin, an LLDP probe): counted
 *    unmatched, not recorded.
 * Among several candidates, one that nothing of the same kind has joined
 * through yet is preferred, then the most recent; except for (a), which
 * prefers the oldest such one, since a router sends packets held for one
 * next hop in the order it received them.  Candidates collide only on
 * identical frames (ARP requests repeated) or IP ids (hosts that send id
 * 0), so these rules decide little in practice.
 *
 * "Exactly the same bytes": the frames' lengths and 64-bit hashes (XXH3)
 * are equal, and so are the bytes kept (the snaplen's worth).
 *
 * Lookups go through one hash map of the hops' keys (<plexus/hmap.h>):
 * a hop is put there under what a later hop will look for (a SWITCH_IN
 * and a ROUTER_OUT under their bytes; a ROUTER_IN under its IPv4 four,
 * its echo request's or its ARP request's addresses), so that jny_add
 * costs the same whether the table holds 10 journeys or 60,000, at
 * flood-ping rates too.  Every entry belongs to a hop of a journey held,
 * and goes when its journey is evicted: the map is bounded by the
 * journeys.
 */
#include "journey.h"

#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/hash.h"
#include "plexus/hmap.h"
#include "plexus/of_text.h"
#include "plexus/packet.h"

/* What a hop is looked up by.  Built by key_init (zeroed, so that the
 * struct, which has no implicit padding, hashes and compares as bytes). */
enum key_kind {
    KEY_SWITCH_IN_BYTES = 1, /* A SWITCH_IN's frame: 'bytes'. */
    KEY_ROUTER_OUT_BYTES,    /* A ROUTER_OUT's frame: 'bytes'. */
    KEY_IP,   /* A ROUTER_IN's IPv4: router, src, dst, proto, id. */
    KEY_ECHO, /* A ROUTER_IN's echo request: router, src, dst, id, seq. */
    KEY_ARP,  /* A ROUTER_IN's ARP request: router, src (spa), dst (tpa). */
};

struct key {
    uint8_t kind;
    uint8_t proto;
    uint16_t id;
    uint16_t seq;
    uint16_t pad0;
    uint32_t router;
    uint32_t src;
    uint32_t dst;
    uint32_t pad1;
    uint64_t bytes; /* The frame's hash. */
};

struct hop;

struct entry {
    struct px_hmap_node node;
    struct key key;
    struct hop *hop;
};

struct hop {
    enum jny_hop_kind kind;
    double t;
    uint64_t seq; /* Order of recording in the table. */
    uint64_t dpid;
    uint32_t port;
    uint32_t router;
    char iface[JNY_IFACE_LEN];
    uint8_t *frame; /* 'caplen' bytes of the 'len' the frame had. */
    size_t caplen;
    size_t len;
    uint64_t hash; /* Of all 'len' bytes. */
    char *summary;
    struct jny_journey *journey;
    const struct hop *via; /* The hop it joined through, or NULL. */
    bool same_frame;       /* 'via' carried this very frame. */
    struct entry entries[2];
    size_t n_entries;
};

struct jny_journey {
    uint64_t id;
    const char *kind;
    uint64_t hops_dropped;
    size_t n_hops;
    struct hop *hops[]; /* max_hops of them. */
};

struct jny_table {
    struct jny_config config;
    struct px_hmap index; /* struct entry, by key_hash. */
    /* The journeys, oldest first from 'head', 'n' of them. */
    struct jny_journey **ring;
    size_t head;
    size_t n;
    uint64_t next_id;
    uint64_t next_seq;
    struct jny_stats stats;
};

/* Configuration. */

static bool
window_ok(double w)
{
    return w >= 0 && w <= JNY_MAX_WINDOW; /* NaN fails both. */
}

int
jny_create(const struct jny_config *config, struct jny_table **tablep)
{
    struct jny_config c = {0};
    struct jny_table *t;

    *tablep = NULL;
    if (config) {
        c = *config;
    }
    if (c.max_journeys > JNY_MAX_JOURNEYS || c.max_hops > JNY_MAX_HOPS ||
        (c.snaplen &&
         (c.snaplen < JNY_MIN_SNAPLEN || c.snaplen > JNY_MAX_SNAPLEN)) ||
        !window_ok(c.window) || !window_ok(c.long_window)) {
        return EINVAL;
    }
    c.max_journeys =
        c.max_journeys ? c.max_journeys : JNY_DEFAULT_MAX_JOURNEYS;
    c.max_hops = c.max_hops ? c.max_hops : JNY_DEFAULT_MAX_HOPS;
    c.snaplen = c.snaplen ? c.snaplen : JNY_DEFAULT_SNAPLEN;
    c.window = c.window > 0 ? c.window : JNY_DEFAULT_WINDOW;
    c.long_window =
        c.long_window > 0 ? c.long_window : JNY_DEFAULT_LONG_WINDOW;

    t = calloc(1, sizeof *t);
    if (!t) {
        return ENOMEM;
    }
    t->ring = calloc(c.max_journeys, sizeof *t->ring);
    if (!t->ring) {
        free(t);
        return ENOMEM;
    }
    t->config = c;
    px_hmap_init(&t->index);
    t->next_id = 1;
    *tablep = t;
    return 0;
}

static void
hop_free(struct jny_table *t, struct hop *h)
{
    size_t i;

    for (i = 0; i < h->n_entries; i++) {
        px_hmap_remove(&t->index, &h->entries[i].node);
    }
    free(h->frame);
    free(h->summary);
    free(h);
}

static void
journey_free(struct jny_table *t, struct jny_journey *j)
{
    size_t i;

    for (i = 0; i < j->n_hops; i++) {
        hop_free(t, j->hops[i]);
    }
    t->stats.live_hops -= j->n_hops;
    free(j);
}

void
jny_destroy(struct jny_table *t)
{
    size_t i;

    if (!t) {
        return;
    }
    for (i = 0; i < t->n; i++) {
        journey_free(t, t->ring[(t->head + i) % t->config.max_journeys]);
    }
    px_hmap_destroy(&t->index);
    free(t->ring);
    free(t);
}

/* Keys and lookups. */

static void
key_init(struct key *k, enum key_kind kind, uint32_t router)
{
    memset(k, 0, sizeof *k);
    k->kind = kind;
    k->router = router;
}

static uint64_t
key_hash(const struct key *k)
{
    return px_hash_bytes(k, sizeof *k, 0);
}

static bool
is_bytes_key(const struct key *k)
{
    return k->kind == KEY_SWITCH_IN_BYTES || k->kind == KEY_ROUTER_OUT_BYTES;
}

/* Whether a hop of 'kind' (of 'router', for a ROUTER_IN) has joined 'h''s
 * journey through 'h' already. */
static bool
joined_through(const struct hop *h, enum jny_hop_kind kind, uint32_t router)
{
    const struct jny_journey *j = h->journey;
    size_t i;

    for (i = 0; i < j->n_hops; i++) {
        const struct hop *o = j->hops[i];

        if (o->via == h && o->kind == kind &&
            (kind != JNY_ROUTER_IN || o->router == router)) {
            return true;
        }
    }
    return false;
}

/* The hop under 'key' that 'in' (whose frame hashes to 'hash') joins,
 * within 'window' seconds before it: one nothing of its kind joined
 * through yet rather than one something did, then the most recent, or the
 * oldest when 'oldest'. */
static struct hop *
find(const struct jny_table *t, const struct key *key,
     const struct jny_hop_in *in, uint64_t hash, double window, bool oldest)
{
    struct hop *best = NULL;
    bool best_free = false;
    struct entry *e;

    PX_HMAP_FOR_EACH_WITH_HASH (e, node, key_hash(key), &t->index) {
        struct hop *h = e->hop;
        bool free_, better;

        if (memcmp(&e->key, key, sizeof *key) || in->t - h->t > window) {
            continue;
        }
        if (is_bytes_key(key) && (h->len != in->len || h->hash != hash ||
                                  memcmp(h->frame, in->frame, h->caplen))) {
            continue;
        }
        free_ = !joined_through(h, in->kind, in->router);
        if (!best || free_ != best_free) {
            better = !best || free_;
        } else {
            better = oldest && free_ ? h->seq < best->seq : h->seq > best->seq;
        }
        if (better) {
            best = h;
            best_free = free_;
        }
    }
    return best;
}

static struct hop *
find_bytes(const struct jny_table *t, enum key_kind kind,
           const struct jny_hop_in *in, uint64_t hash)
{
    struct key k;

    key_init(&k, kind, 0);
    k.bytes = hash;
    return find(t, &k, in, hash, t->config.window, false);
}

/* The IPv4 four of 'ip' as a KEY_IP of 'router'. */
static void
ip_key(struct key *k, uint32_t router, const struct px_pkt_ipv4 *ip)
{
    key_init(k, KEY_IP, router);
    k->src = ip->src;
    k->dst = ip->dst;
    k->proto = ip->proto;
    k->id = ip->id;
}

static bool
is_icmp_error(uint8_t type)
{
    return type == PX_ICMP_DEST_UNREACH || type == PX_ICMP_TIME_EXCEEDED ||
           type == 4 /* Source quench. */ || type == 5 /* Redirect. */ ||
           type == 12 /* Parameter problem. */;
}

/* The ROUTER_IN a ROUTER_OUT 'in' (parsed in 'pkt') forwards or answers,
 * by rules (a) and (b) of the header comment; NULL for (c). */
static struct hop *
find_router_in(const struct jny_table *t, const struct jny_hop_in *in,
               const struct px_pkt *pkt)
{
    double w = t->config.long_window;
    struct hop *h;
    struct key k;

    if (pkt->layers & PX_PKT_IPV4) {
        ip_key(&k, in->router, &pkt->ipv4);
        h = find(t, &k, in, 0, w, true);
        if (h) {
            return h;
        }
    }
    if (pkt->layers & PX_PKT_ICMP && pkt->icmp.type == PX_ICMP_ECHO_REPLY) {
        key_init(&k, KEY_ECHO, in->router);
        k.src = pkt->ipv4.dst;
        k.dst = pkt->ipv4.src;
        k.id = pkt->icmp.id;
        k.seq = pkt->icmp.seq;
        return find(t, &k, in, 0, w, false);
    }
    if (pkt->layers & PX_PKT_ICMP && is_icmp_error(pkt->icmp.type)) {
        struct px_pkt quote;

        if (px_pkt_parse_ip(pkt->payload, pkt->payload_len, &quote) ||
            !(quote.layers & PX_PKT_IPV4)) {
            return NULL;
        }
        ip_key(&k, in->router, &quote.ipv4);
        return find(t, &k, in, 0, w, false);
    }
    if (pkt->layers & PX_PKT_ARP && pkt->arp.op == PX_ARP_REPLY) {
        key_init(&k, KEY_ARP, in->router);
        k.src = pkt->arp.tpa;
        k.dst = pkt->arp.spa;
        return find(t, &k, in, 0, w, false);
    }
    return NULL;
}

/* What a later hop will look 'h' (parsed in 'pkt') up by. */
static void
index_hop(struct jny_table *t, struct hop *h, const struct px_pkt *pkt)
{
    struct key keys[2];
    size_t n = 0, i;

    switch (h->kind) {
    case JNY_SWITCH_IN:
    case JNY_ROUTER_OUT:
        key_init(&keys[n],
                 h->kind == JNY_SWITCH_IN ? KEY_SWITCH_IN_BYTES
                                          : KEY_ROUTER_OUT_BYTES,
                 0);
        keys[n++].bytes = h->hash;
        break;
    case JNY_ROUTER_IN:
        if (pkt->layers & PX_PKT_IPV4) {
            ip_key(&keys[n++], h->router, &pkt->ipv4);
        }
        if (pkt->layers & PX_PKT_ICMP &&
            pkt->icmp.type == PX_ICMP_ECHO_REQUEST) {
            key_init(&keys[n], KEY_ECHO, h->router);
            keys[n].src = pkt->ipv4.src;
            keys[n].dst = pkt->ipv4.dst;
            keys[n].id = pkt->icmp.id;
            keys[n++].seq = pkt->icmp.seq;
        }
        if (pkt->layers & PX_PKT_ARP && pkt->arp.op == PX_ARP_REQUEST) {
            key_init(&keys[n], KEY_ARP, h->router);
            keys[n].src = pkt->arp.spa;
            keys[n++].dst = pkt->arp.tpa;
        }
        break;
    case JNY_SWITCH_OUT:
        break;
    }
    for (i = 0; i < n; i++) {
        h->entries[i].key = keys[i];
        h->entries[i].hop = h;
        px_hmap_insert(&t->index, &h->entries[i].node, key_hash(&keys[i]));
    }
    h->n_entries = n;
}

/* Hops and journeys. */

static const char *
pkt_kind(const struct px_pkt *pkt)
{
    unsigned int l = pkt->layers;

    return l & PX_PKT_ARP      ? "ARP"
           : l & PX_PKT_ICMP   ? "ICMP"
           : l & PX_PKT_ICMPV6 ? "ICMPv6"
           : l & PX_PKT_TCP    ? "TCP"
           : l & PX_PKT_UDP    ? "UDP"
           : l & PX_PKT_IPV4   ? "IPv4"
           : l & PX_PKT_IPV6   ? "IPv6"
           : l & PX_PKT_LLDP   ? "LLDP"
                               : "Ethernet";
}

/* A copy of 'in' as a hop, or NULL when out of memory. */
static struct hop *
hop_create(struct jny_table *t, const struct jny_hop_in *in,
           const struct px_pkt *pkt, uint64_t hash)
{
    char summary[PX_PKT_SUMMARY_LEN];
    struct hop *h = calloc(1, sizeof *h);
    size_t i;

    if (!h) {
        return NULL;
    }
    h->caplen = in->len < t->config.snaplen ? in->len : t->config.snaplen;
    h->frame = malloc(h->caplen);
    px_pkt_summary(pkt, summary, sizeof summary);
    if (!pkt->frame) {
        /* px_pkt_parse refused it, and so knows not its length. */
        snprintf(summary, sizeof summary,
                 "truncated frame (%zu bytes, shorter than Ethernet's 14)",
                 in->len);
    }
    h->summary = strdup(summary);
    if (!h->frame || !h->summary) {
        free(h->frame);
        free(h->summary);
        free(h);
        return NULL;
    }
    memcpy(h->frame, in->frame, h->caplen);
    h->len = in->len;
    h->hash = hash;
    h->kind = in->kind;
    h->t = in->t;
    h->seq = t->next_seq++;
    if (in->kind == JNY_SWITCH_IN || in->kind == JNY_SWITCH_OUT) {
        h->dpid = in->dpid;
        h->port = in->port;
    } else {
        h->router = in->router;
        /* A name from a router's HWInfo: printable ASCII only, so that
         * the JSON of it is valid UTF-8 whatever the router sent. */
        for (i = 0; in->iface && in->iface[i] && i + 1 < sizeof h->iface;
             i++) {
            char c = in->iface[i];

            h->iface[i] = c >= 0x20 && c < 0x7f ? c : '?';
        }
    }
    return h;
}

/* Makes room for a journey, evicting the oldest when the table is full,
 * and starts one; NULL when out of memory. */
static struct jny_journey *
journey_start(struct jny_table *t, const struct px_pkt *pkt)
{
    size_t cap = t->config.max_journeys;
    struct jny_journey *j;

    j = calloc(1, sizeof *j + t->config.max_hops * sizeof j->hops[0]);
    if (!j) {
        return NULL;
    }
    if (t->n == cap) {
        journey_free(t, t->ring[t->head]);
        t->ring[t->head] = NULL;
        t->head = (t->head + 1) % cap;
        t->n--;
        t->stats.evicted++;
    }
    j->id = t->next_id++;
    j->kind = pkt_kind(pkt);
    t->ring[(t->head + t->n) % cap] = j;
    t->n++;
    t->stats.journeys++;
    return j;
}

const struct jny_journey *
jny_add(struct jny_table *t, const struct jny_hop_in *in)
{
    struct jny_journey *j = NULL;
    struct hop *via = NULL, *h;
    bool same_frame = false;
    struct px_pkt pkt;
    uint64_t hash;

    if (!in || !in->frame || !in->len || !isfinite(in->t) ||
        (in->kind != JNY_SWITCH_IN && in->kind != JNY_ROUTER_IN &&
         in->kind != JNY_ROUTER_OUT && in->kind != JNY_SWITCH_OUT)) {
        t->stats.invalid++;
        return NULL;
    }
    px_pkt_parse(in->frame, in->len, &pkt);
    hash = px_hash_bytes(in->frame, in->len, 0);

    switch (in->kind) {
    case JNY_SWITCH_IN:
        break;
    case JNY_ROUTER_IN:
        via = find_bytes(t, KEY_SWITCH_IN_BYTES, in, hash);
        same_frame = true;
        break;
    case JNY_ROUTER_OUT:
        via = find_router_in(t, in, &pkt);
        break;
    case JNY_SWITCH_OUT:
        via = find_bytes(t, KEY_ROUTER_OUT_BYTES, in, hash);
        if (!via) {
            via = find_bytes(t, KEY_SWITCH_IN_BYTES, in, hash);
        }
        same_frame = true;
        break;
    }
    if (!via && (in->kind == JNY_ROUTER_IN || in->kind == JNY_SWITCH_OUT)) {
        t->stats.unmatched++;
        return NULL;
    }
    if (via) {
        j = via->journey;
        if (j->n_hops == t->config.max_hops) {
            j->hops_dropped++;
            t->stats.hops_dropped++;
            return NULL;
        }
    }

    h = hop_create(t, in, &pkt, hash);
    if (h && !j) {
        j = journey_start(t, &pkt);
        if (!j) {
            hop_free(t, h);
            h = NULL;
        }
    }
    if (!h) {
        t->stats.nomem++;
        return NULL;
    }
    h->journey = j;
    h->via = via;
    h->same_frame = via && same_frame;
    j->hops[j->n_hops++] = h;
    index_hop(t, h, &pkt);
    t->stats.hops++;
    t->stats.live_hops++;
    t->stats.truncated += h->caplen < h->len;
    return j;
}

uint64_t
jny_journey_id(const struct jny_journey *j)
{
    return j->id;
}

/* JSON. */

/* Sets 'key' of 'obj' to 'value' (a new reference, which may be NULL);
 * false when either failed, so that a caller chains them with &&. */
static bool
set(json_t *obj, const char *key, json_t *value)
{
    return value && !json_object_set_new(obj, key, value);
}

static json_t *
hop_json(const struct hop *h, double t0)
{
    bool sw = h->kind == JNY_SWITCH_IN || h->kind == JNY_SWITCH_OUT;
    bool in = h->kind == JNY_SWITCH_IN || h->kind == JNY_ROUTER_IN;
    json_t *o = json_object();
    bool ok;

    if (!o) {
        return NULL;
    }
    if (sw) {
        char dpid[PX_OF_DPID_TEXT_SIZE];

        px_of_dpid_text(h->dpid, dpid, sizeof dpid);
        ok = set(o, "at", json_string("switch")) &&
             set(o, "dpid", json_string(dpid)) &&
             set(o, "port", json_integer(h->port));
    } else {
        ok = set(o, "at", json_string("router")) &&
             set(o, "router", json_integer(h->router)) &&
             set(o, "iface", json_string(h->iface));
    }
    ok = ok && set(o, "dir", json_string(in ? "in" : "out")) &&
         set(o, "dt", json_real(h->t - t0)) &&
         set(o, "len", json_integer((json_int_t)h->len)) &&
         set(o, "summary", json_string(h->summary));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *
jny_journey_json(const struct jny_journey *j)
{
    const struct hop *first = j->hops[0];
    json_t *o = json_object(), *hops = json_array();
    size_t i;

    if (!o || !hops || !set(o, "id", json_integer((json_int_t)j->id)) ||
        !set(o, "t", json_real(first->t)) ||
        !set(o, "kind", json_string(j->kind)) ||
        !set(o, "summary", json_string(first->summary))) {
        goto error;
    }
    for (i = 0; i < j->n_hops; i++) {
        if (json_array_append_new(hops, hop_json(j->hops[i], first->t))) {
            goto error;
        }
    }
    if (j->hops_dropped &&
        !set(o, "hops_dropped", json_integer((json_int_t)j->hops_dropped))) {
        goto error;
    }
    if (!set(o, "hops", hops)) {
        hops = NULL; /* json_object_set_new took it. */
        goto error;
    }
    return o;

error:
    json_decref(hops);
    json_decref(o);
    return NULL;
}

json_t *
jny_list_json(const struct jny_table *t)
{
    json_t *o = json_object(), *list = json_array();
    size_t i;

    if (!o || !list) {
        goto error;
    }
    for (i = 0; i < t->n; i++) {
        const struct jny_journey *j =
            t->ring[(t->head + i) % t->config.max_journeys];

        if (json_array_append_new(list, jny_journey_json(j))) {
            goto error;
        }
    }
    if (!set(o, "journeys", list)) {
        list = NULL;
        goto error;
    }
    return o;

error:
    json_decref(list);
    json_decref(o);
    return NULL;
}

/* pcap. */

static int
hop_cmp(const void *a_, const void *b_)
{
    const struct hop *a = *(const struct hop *const *)a_;
    const struct hop *b = *(const struct hop *const *)b_;

    if (a->t != b->t) {
        return a->t < b->t ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* 't' as a pcap record's time, to the nearest microsecond: its file has
 * 32-bit seconds. */
static void
pcap_time(double t, struct timeval *tv)
{
    uint64_t us;

    if (!(t > 0)) {
        t = 0;
    } else if (t > (double)UINT32_MAX) {
        t = (double)UINT32_MAX;
    }
    us = (uint64_t)(t * 1e6 + 0.5);
    tv->tv_sec = (time_t)(us / 1000000);
    tv->tv_usec = (suseconds_t)(us % 1000000);
}

int
jny_pcap(const struct jny_table *t, char **data, size_t *len)
{
    const struct hop **hops = NULL;
    pcap_dumper_t *dumper = NULL;
    pcap_t *pcap = NULL;
    char *buf = NULL;
    size_t n = 0, i, k, buf_len = 0;
    FILE *f = NULL;
    int error = ENOMEM;

    *data = NULL;
    *len = 0;
    if (t->stats.live_hops) {
        hops = malloc(t->stats.live_hops * sizeof *hops);
        if (!hops) {
            return ENOMEM;
        }
    }
    for (i = 0; i < t->n; i++) {
        const struct jny_journey *j =
            t->ring[(t->head + i) % t->config.max_journeys];

        for (k = 0; k < j->n_hops; k++) {
            if (!j->hops[k]->same_frame) {
                hops[n++] = j->hops[k];
            }
        }
    }
    if (n) {
        qsort(hops, n, sizeof *hops, hop_cmp);
    }

    pcap = pcap_open_dead(DLT_EN10MB, (int)t->config.snaplen);
    f = open_memstream(&buf, &buf_len);
    if (!pcap || !f) {
        goto out;
    }
    dumper = pcap_dump_fopen(pcap, f);
    if (!dumper) {
        error = EIO;
        goto out;
    }
    f = NULL; /* The dumper's now, closed with it. */
    for (i = 0; i < n; i++) {
        struct pcap_pkthdr hdr;

        memset(&hdr, 0, sizeof hdr);
        pcap_time(hops[i]->t, &hdr.ts);
        hdr.caplen = (bpf_u_int32)hops[i]->caplen;
        hdr.len = (bpf_u_int32)hops[i]->len;
        pcap_dump((u_char *)dumper, &hdr, hops[i]->frame);
    }
    error = pcap_dump_flush(dumper) ? EIO : 0;

out:
    if (dumper) {
        pcap_dump_close(dumper); /* Closes the stream: 'buf' is final. */
    }
    if (f) {
        fclose(f);
    }
    if (pcap) {
        pcap_close(pcap);
    }
    free(hops);
    if (error || !buf) {
        free(buf);
        return error ? error : ENOMEM;
    }
    *data = buf;
    *len = buf_len;
    return 0;
}

void
jny_get_stats(const struct jny_table *t, struct jny_stats *stats)
{
    *stats = t->stats;
    stats->live = t->n;
}
