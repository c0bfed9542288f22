/*
 * The topology plugin's snapshots, remote store and view (topo_share.h).
 *
 * Snapshots come from the network (any NATS client of the cluster can
 * publish one), so the parser trusts nothing: every entry is checked, and
 * one bad entry refuses the whole snapshot rather than keeping part of a
 * view that was never whole.
 */
#include "topo_share.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plexus/topics/cluster.h"
#include "plexus/topics/openflow.h"

/* The longest age or idle time a snapshot may give: ten years. */
#define MAX_AGE_MS 315360000000LL

/* ---------------------------------------------------------------------- */
/* Snapshots. */

void
topo_share_snap_clear(struct topo_share_snap *snap)
{
    if (!snap) {
        return;
    }
    free(snap->links);
    free(snap->hosts);
    memset(snap, 0, sizeof *snap);
}

int
topo_share_snap_from_graph(const struct topo_graph *g, double now, bool ask,
                           struct topo_share_snap *snap)
{
    const struct topo_link *l;
    const struct topo_host *h;
    size_t n;

    memset(snap, 0, sizeof *snap);
    snap->ask = ask;
    snap->links = calloc(px_hmap_count(&g->links) + 1, sizeof *snap->links);
    snap->hosts = calloc(px_hmap_count(&g->hosts) + 1, sizeof *snap->hosts);
    if (!snap->links || !snap->hosts) {
        topo_share_snap_clear(snap);
        return ENOMEM;
    }
    n = 0;
    PX_HMAP_FOR_EACH (l, node, &g->links) {
        struct px_topo_link *k = &snap->links[n++];

        *k = l->link;
        k->since -= now;
        k->last_seen = 0;
        k->reason = NULL;
    }
    snap->n_links = n;
    n = 0;
    PX_HMAP_FOR_EACH (h, node, &g->hosts) {
        struct px_topo_host *x = &snap->hosts[n++];

        *x = h->host;
        x->first_seen = x->last_seen = x->last_seen - now;
        memset(&x->from, 0, sizeof x->from);
        x->reason = NULL;
    }
    snap->n_hosts = n;
    return 0;
}

/* A time before the snapshot (a negative number of seconds) as the
 * snapshot's whole milliseconds ago, within the bounds the parser
 * accepts. */
static json_int_t
ago_ms(double t)
{
    double ms = -t * 1000.0;

    if (!(ms > 0)) {
        return 0; /* Also NaN. */
    }
    return ms >= (double)MAX_AGE_MS ? MAX_AGE_MS : (json_int_t)(ms + 0.5);
}

static json_t *
dpid_json(uint64_t dpid)
{
    char hex[17];

    snprintf(hex, sizeof hex, "%" PRIx64, dpid);
    return json_string(hex);
}

static json_t *
link_json(const struct px_topo_link *k)
{
    return json_pack("[o,I,o,I,I]", dpid_json(k->src.dpid),
                     (json_int_t)k->src.port_no, dpid_json(k->dst.dpid),
                     (json_int_t)k->dst.port_no, ago_ms(k->since));
}

static json_t *
host_json(const struct px_topo_host *h)
{
    char mac[18];
    json_t *ips = json_array();
    size_t i;

    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", h->mac[0],
             h->mac[1], h->mac[2], h->mac[3], h->mac[4], h->mac[5]);
    for (i = 0; ips && i < h->n_ipv4 && i < PX_TOPO_HOST_MAX_IPS; i++) {
        char addr[INET_ADDRSTRLEN];
        uint32_t be = htonl(h->ipv4[i]);

        inet_ntop(AF_INET, &be, addr, sizeof addr);
        json_array_append_new(ips, json_string(addr));
    }
    for (i = 0; ips && i < h->n_ipv6 && i < PX_TOPO_HOST_MAX_IPS; i++) {
        char addr[INET6_ADDRSTRLEN];

        inet_ntop(AF_INET6, h->ipv6[i], addr, sizeof addr);
        json_array_append_new(ips, json_string(addr));
    }
    return json_pack("[s,o,I,I,o]", mac, dpid_json(h->at.dpid),
                     (json_int_t)h->at.port_no, ago_ms(h->last_seen), ips);
}

/* Appends 'e' (taken) to 'array' of the document if it fits in 'max' with
 * the '*used' bytes so far; else counts it in '*left_out'.  ENOMEM when
 * 'e' could not be made. */
static int
append_fitting(json_t *array, json_t *e, size_t max, size_t *used,
               size_t *left_out)
{
    size_t n;

    if (!e) {
        return ENOMEM;
    }
    n = json_dumpb(e, NULL, 0, JSON_COMPACT) + (json_array_size(array) != 0);
    if (n > max || *used > max - n) {
        json_decref(e);
        ++*left_out;
        return 0;
    }
    if (json_array_append_new(array, e)) {
        return ENOMEM;
    }
    *used += n;
    return 0;
}

int
topo_share_encode(const struct topo_share_snap *snap, size_t max, char **out,
                  size_t *len, size_t *left_out)
{
    json_t *links = json_array(), *hosts = json_array();
    json_t *doc = NULL;
    size_t used, i;
    int error = ENOMEM;

    *out = NULL;
    *len = 0;
    *left_out = 0;
    if (links && hosts) {
        doc = snap->ask
                  ? json_pack("{s:i,s:b,s:O,s:O}", "v", TOPO_SHARE_FORMAT,
                              "ask", 1, "links", links, "hosts", hosts)
                  : json_pack("{s:i,s:O,s:O}", "v", TOPO_SHARE_FORMAT, "links",
                              links, "hosts", hosts);
    }
    if (!doc) {
        goto out;
    }
    /* The arrays are the document's: what is appended to them below is
     * in it, so the document's size is the envelope's plus theirs. */
    used = json_dumpb(doc, NULL, 0, JSON_COMPACT);
    for (i = 0; i < snap->n_links; i++) {
        if ((error = append_fitting(links, link_json(&snap->links[i]), max,
                                    &used, left_out))) {
            goto out;
        }
    }
    for (i = 0; i < snap->n_hosts; i++) {
        if ((error = append_fitting(hosts, host_json(&snap->hosts[i]), max,
                                    &used, left_out))) {
            goto out;
        }
    }
    *out = json_dumps(doc, JSON_COMPACT);
    error = *out ? 0 : ENOMEM;
    if (*out) {
        *len = strlen(*out);
    }
out:
    json_decref(doc);
    json_decref(links);
    json_decref(hosts);
    return error;
}

/* The value of hex digit 'c', or 16 for another character. */
static unsigned int
hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? (unsigned int)(c - '0')
           : c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10)
           : c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10)
                                  : 16;
}

/* A datapath id as the encoder writes it: 1 to 16 hex digits. */
static bool
parse_dpid(const json_t *j, uint64_t *dpid)
{
    const char *s = json_string_value(j);
    size_t n = s ? strlen(s) : 0;
    uint64_t v = 0;
    size_t i;

    if (n < 1 || n > 16 || json_string_length(j) != n) {
        return false;
    }
    for (i = 0; i < n; i++) {
        unsigned int d = hex_digit(s[i]);

        if (d == 16) {
            return false;
        }
        v = v << 4 | d;
    }
    *dpid = v;
    return true;
}

static bool
parse_port(const json_t *j, uint32_t *port)
{
    json_int_t v = json_integer_value(j);

    if (!json_is_integer(j) || v < 1 || v > (json_int_t)PX_OF_PORT_MAX) {
        return false;
    }
    *port = (uint32_t)v;
    return true;
}

/* Whole milliseconds ago, as seconds relative to the snapshot. */
static bool
parse_ago(const json_t *j, double *t)
{
    json_int_t v = json_integer_value(j);

    if (!json_is_integer(j) || v < 0 || v > MAX_AGE_MS) {
        return false;
    }
    *t = -(double)v / 1000.0;
    return true;
}

/* "xx:xx:xx:xx:xx:xx", a unicast address other than zero. */
static bool
parse_mac(const json_t *j, uint8_t mac[6])
{
    const char *s = json_string_value(j);
    size_t i;

    if (!s || strlen(s) != 17 || json_string_length(j) != 17) {
        return false;
    }
    for (i = 0; i < 6; i++) {
        const char *x = s + 3 * i;

        if (hex_digit(x[0]) == 16 || hex_digit(x[1]) == 16 ||
            (i < 5 && x[2] != ':')) {
            return false;
        }
        mac[i] = (uint8_t)(hex_digit(x[0]) << 4 | hex_digit(x[1]));
    }
    return !(mac[0] & 1) &&
           (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0;
}

static const char *
parse_link(const json_t *e, struct px_topo_link *k)
{
    memset(k, 0, sizeof *k);
    if (!json_is_array(e) || json_array_size(e) != 5) {
        return "a link is not an array of 5";
    }
    if (!parse_dpid(json_array_get(e, 0), &k->src.dpid) ||
        !parse_dpid(json_array_get(e, 2), &k->dst.dpid)) {
        return "a link's datapath id is not 1 to 16 hex digits";
    }
    if (!parse_port(json_array_get(e, 1), &k->src.port_no) ||
        !parse_port(json_array_get(e, 3), &k->dst.port_no)) {
        return "a link's port is not a switch port";
    }
    if (k->src.dpid == k->dst.dpid && k->src.port_no == k->dst.port_no) {
        return "a link loops a port to itself";
    }
    if (!parse_ago(json_array_get(e, 4), &k->since)) {
        return "a link's age is not 0 to ten years in milliseconds";
    }
    return NULL;
}

static const char *
parse_host(const json_t *e, struct px_topo_host *h)
{
    const json_t *ips, *ip;
    size_t i;

    memset(h, 0, sizeof *h);
    if (!json_is_array(e) || json_array_size(e) != 5) {
        return "a host is not an array of 5";
    }
    if (!parse_mac(json_array_get(e, 0), h->mac)) {
        return "a host's MAC is not a unicast xx:xx:xx:xx:xx:xx";
    }
    if (!parse_dpid(json_array_get(e, 1), &h->at.dpid)) {
        return "a host's datapath id is not 1 to 16 hex digits";
    }
    if (!parse_port(json_array_get(e, 2), &h->at.port_no)) {
        return "a host's port is not a switch port";
    }
    if (!parse_ago(json_array_get(e, 3), &h->last_seen)) {
        return "a host's idle time is not 0 to ten years in milliseconds";
    }
    h->first_seen = h->last_seen;
    ips = json_array_get(e, 4);
    if (!json_is_array(ips)) {
        return "a host's addresses are not an array";
    }
    json_array_foreach(ips, i, ip)
    {
        const char *s = json_string_value(ip);
        struct in_addr v4;
        uint8_t v6[16];

        if (!s || strlen(s) != json_string_length(ip)) {
            return "a host's address is not a string";
        }
        if (inet_pton(AF_INET, s, &v4) == 1) {
            if (h->n_ipv4 == PX_TOPO_HOST_MAX_IPS) {
                return "a host has too many IPv4 addresses";
            }
            h->ipv4[h->n_ipv4++] = ntohl(v4.s_addr);
        } else if (inet_pton(AF_INET6, s, v6) == 1) {
            if (h->n_ipv6 == PX_TOPO_HOST_MAX_IPS) {
                return "a host has too many IPv6 addresses";
            }
            memcpy(h->ipv6[h->n_ipv6++], v6, 16);
        } else {
            return "a host's address is neither IPv4 nor IPv6";
        }
    }
    return NULL;
}

int
topo_share_parse(const void *data, size_t len, size_t max_links,
                 size_t max_hosts, struct topo_share_snap *snap,
                 const char **why)
{
    const json_t *links, *hosts, *v, *ask, *e;
    json_error_t jerr;
    json_t *doc = NULL;
    size_t i, n;

    memset(snap, 0, sizeof *snap);
    *why = NULL;
    if (len > PX_CLUSTER_EVENT_MAX) {
        *why = "longer than a shared event";
        return EPROTO;
    }
    doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc)) {
        *why = doc ? "not a JSON object" : "not JSON";
        goto bad;
    }
    v = json_object_get(doc, "v");
    ask = json_object_get(doc, "ask");
    links = json_object_get(doc, "links");
    hosts = json_object_get(doc, "hosts");
    if (!json_is_integer(v) || json_integer_value(v) != TOPO_SHARE_FORMAT) {
        *why = "not a snapshot of format 1 (\"v\")";
        goto bad;
    }
    if (ask && !json_is_boolean(ask)) {
        *why = "\"ask\" is not true or false";
        goto bad;
    }
    if (!json_is_array(links) || !json_is_array(hosts)) {
        *why = "\"links\" or \"hosts\" is not an array";
        goto bad;
    }
    snap->ask = json_is_true(ask);
    n = json_array_size(links);
    snap->links =
        calloc((n < max_links ? n : max_links) + 1, sizeof *snap->links);
    n = json_array_size(hosts);
    snap->hosts =
        calloc((n < max_hosts ? n : max_hosts) + 1, sizeof *snap->hosts);
    if (!snap->links || !snap->hosts) {
        json_decref(doc);
        topo_share_snap_clear(snap);
        return ENOMEM;
    }
    json_array_foreach(links, i, e)
    {
        struct px_topo_link k;

        if ((*why = parse_link(e, &k))) {
            goto bad;
        }
        if (snap->n_links < max_links) {
            snap->links[snap->n_links++] = k;
        } else {
            snap->left_out++;
        }
    }
    json_array_foreach(hosts, i, e)
    {
        struct px_topo_host h;

        if ((*why = parse_host(e, &h))) {
            goto bad;
        }
        if (snap->n_hosts < max_hosts) {
            snap->hosts[snap->n_hosts++] = h;
        } else {
            snap->left_out++;
        }
    }
    json_decref(doc);
    return 0;

bad:
    json_decref(doc);
    topo_share_snap_clear(snap);
    return EPROTO;
}

/* ---------------------------------------------------------------------- */
/* The remote store. */

static int
cmp_port(struct px_topo_port a, struct px_topo_port b)
{
    if (a.dpid != b.dpid) {
        return a.dpid < b.dpid ? -1 : 1;
    }
    return a.port_no < b.port_no ? -1 : a.port_no > b.port_no;
}

/* By source, then destination. */
static int
cmp_link_ends(const void *a_, const void *b_)
{
    const struct px_topo_link *a = a_, *b = b_;
    int c = cmp_port(a->src, b->src);

    return c ? c : cmp_port(a->dst, b->dst);
}

/* Tells r->on_link of the links in 'old' that are not in 'now' (down) and
 * of those in 'now' not in 'old' (up), both sorted by cmp_link_ends. */
static void
tell_changes(const struct topo_remote *r, const char *origin,
             const struct px_topo_link *old, size_t n_old,
             const struct px_topo_link *now, size_t n_now)
{
    size_t i = 0, j = 0;

    while (r->on_link && (i < n_old || j < n_now)) {
        int c = i == n_old   ? 1
                : j == n_now ? -1
                             : cmp_link_ends(&old[i], &now[j]);

        if (c < 0) {
            r->on_link(r->cb_arg, origin, false, &old[i++]);
        } else if (c > 0) {
            r->on_link(r->cb_arg, origin, true, &now[j++]);
        } else {
            i++;
            j++;
        }
    }
}

void
topo_remote_init(struct topo_remote *r, size_t max_origins, size_t max_links,
                 size_t max_hosts)
{
    memset(r, 0, sizeof *r);
    r->max_origins = max_origins;
    r->max_links = max_links;
    r->max_hosts = max_hosts;
}

void
topo_remote_destroy(struct topo_remote *r)
{
    size_t i;

    if (!r) {
        return;
    }
    for (i = 0; i < r->n_origins; i++) {
        free(r->origins[i].links);
        free(r->origins[i].hosts);
    }
    free(r->origins);
    r->origins = NULL;
    r->n_origins = r->n_links = r->n_hosts = 0;
}

bool
topo_origin_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    return n >= 1 && n <= TOPO_ORIGIN_MAX &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789_-.") == n;
}

/* The origin named 'id', or NULL with '*pos' where it would go. */
static struct topo_origin *
origin_find(const struct topo_remote *r, const char *id, size_t *pos)
{
    size_t lo = 0, hi = r->n_origins;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->origins[mid].id, id);

        if (!c) {
            *pos = mid;
            return &r->origins[mid];
        } else if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *pos = lo;
    return NULL;
}

int
topo_remote_update(struct topo_remote *r, const char *origin,
                   struct topo_share_snap *snap, double now, bool *is_new)
{
    struct topo_origin *o;
    size_t pos, room, i;

    if (is_new) {
        *is_new = false;
    }
    if (!topo_origin_valid(origin)) {
        topo_share_snap_clear(snap);
        return EINVAL;
    }
    o = origin_find(r, origin, &pos);
    if (!o) {
        struct topo_origin *grown;

        if (r->n_origins >= r->max_origins) {
            r->refused++;
            topo_share_snap_clear(snap);
            return ENOSPC;
        }
        grown = realloc(r->origins, (r->n_origins + 1) * sizeof *grown);
        if (!grown) {
            topo_share_snap_clear(snap);
            return ENOMEM;
        }
        r->origins = grown;
        memmove(&r->origins[pos + 1], &r->origins[pos],
                (r->n_origins - pos) * sizeof *grown);
        r->n_origins++;
        o = &r->origins[pos];
        memset(o, 0, sizeof *o);
        snprintf(o->id, sizeof o->id, "%s", origin);
        if (is_new) {
            *is_new = true;
        }
    }
    /* What it said before goes whole, then the new snapshot comes in as
     * far as the room the other origins leave. */
    r->n_links -= o->n_links;
    r->n_hosts -= o->n_hosts;
    room = r->max_links > r->n_links ? r->max_links - r->n_links : 0;
    if (snap->n_links > room) {
        r->links_dropped += snap->n_links - room;
        snap->n_links = room;
    }
    room = r->max_hosts > r->n_hosts ? r->max_hosts - r->n_hosts : 0;
    if (snap->n_hosts > room) {
        r->hosts_dropped += snap->n_hosts - room;
        snap->n_hosts = room;
    }
    for (i = 0; i < snap->n_links; i++) {
        snap->links[i].since += now;
        snap->links[i].last_seen += now;
        snap->links[i].reason = NULL;
    }
    for (i = 0; i < snap->n_hosts; i++) {
        snap->hosts[i].first_seen += now;
        snap->hosts[i].last_seen += now;
        memset(&snap->hosts[i].from, 0, sizeof snap->hosts[i].from);
        snap->hosts[i].reason = NULL;
    }
    qsort(snap->links, snap->n_links, sizeof *snap->links, cmp_link_ends);
    tell_changes(r, o->id, o->links, o->n_links, snap->links, snap->n_links);
    free(o->links);
    free(o->hosts);
    o->received = now;
    o->links = snap->links;
    o->n_links = snap->n_links;
    o->hosts = snap->hosts;
    o->n_hosts = snap->n_hosts;
    r->n_links += o->n_links;
    r->n_hosts += o->n_hosts;
    memset(snap, 0, sizeof *snap);
    return 0;
}

size_t
topo_remote_expire(struct topo_remote *r, double now, double timeout,
                   void (*gone)(void *arg, const struct topo_origin *o),
                   void *arg)
{
    size_t i = 0, n = 0;

    while (i < r->n_origins) {
        struct topo_origin *o = &r->origins[i];

        if (!(now - o->received > timeout)) {
            i++;
            continue;
        }
        if (gone) {
            gone(arg, o);
        }
        r->n_links -= o->n_links;
        r->n_hosts -= o->n_hosts;
        free(o->links);
        free(o->hosts);
        memmove(o, o + 1, (r->n_origins - i - 1) * sizeof *o);
        r->n_origins--;
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------------- */
/* The view. */

static int
cmp_port_p(const void *a, const void *b)
{
    return cmp_port(*(const struct px_topo_port *)a,
                    *(const struct px_topo_port *)b);
}

/* This instance first, then the origins by id. */
static int
cmp_found_by(const char *a, const char *b)
{
    if (!a || !b) {
        return !b - !a;
    }
    return strcmp(a, b);
}

static int
cmp_view_link(const void *a_, const void *b_)
{
    const struct topo_view_link *a = a_, *b = b_;
    int c = cmp_port(a->link.src, b->link.src);

    if (!c) {
        c = cmp_port(a->link.dst, b->link.dst);
    }
    return c ? c : cmp_found_by(a->found_by, b->found_by);
}

/* By MAC, then the latest seen first, then this instance first. */
static int
cmp_view_host(const void *a_, const void *b_)
{
    const struct topo_view_host *a = a_, *b = b_;
    int c = memcmp(a->host.mac, b->host.mac, 6);

    if (c) {
        return c;
    }
    if (a->host.last_seen != b->host.last_seen) {
        return a->host.last_seen > b->host.last_seen ? -1 : 1;
    }
    return cmp_found_by(a->found_by, b->found_by);
}

void
topo_view_destroy(struct topo_view *v)
{
    if (!v) {
        return;
    }
    free(v->links);
    free(v->hosts);
    memset(v, 0, sizeof *v);
}

int
topo_view_build(const struct topo_graph *g, const struct topo_remote *r,
                struct topo_view *v)
{
    size_t n_l = (g ? px_hmap_count(&g->links) : 0) + (r ? r->n_links : 0);
    size_t n_h = (g ? px_hmap_count(&g->hosts) : 0) + (r ? r->n_hosts : 0);
    struct px_topo_port *ends = NULL;
    size_t i, j, n;

    memset(v, 0, sizeof *v);
    v->links = calloc(n_l + 1, sizeof *v->links);
    v->hosts = calloc(n_h + 1, sizeof *v->hosts);
    ends = calloc(2 * n_l + 1, sizeof *ends);
    if (!v->links || !v->hosts || !ends) {
        free(ends);
        topo_view_destroy(v);
        return ENOMEM;
    }
    n = 0;
    if (g) {
        const struct topo_link *l;
        const struct topo_host *h;

        PX_HMAP_FOR_EACH (l, node, &g->links) {
            v->links[n++].link = l->link;
        }
        v->n_links = n;
        n = 0;
        PX_HMAP_FOR_EACH (h, node, &g->hosts) {
            v->hosts[n++].host = h->host;
        }
        v->n_hosts = n;
    }
    for (i = 0; r && i < r->n_origins; i++) {
        const struct topo_origin *o = &r->origins[i];

        for (j = 0; j < o->n_links; j++) {
            v->links[v->n_links].link = o->links[j];
            v->links[v->n_links++].found_by = o->id;
        }
        for (j = 0; j < o->n_hosts; j++) {
            v->hosts[v->n_hosts].host = o->hosts[j];
            v->hosts[v->n_hosts++].found_by = o->id;
        }
    }

    /* Links: each once, the first of its kind in the order of
     * cmp_view_link. */
    qsort(v->links, v->n_links, sizeof *v->links, cmp_view_link);
    for (i = n = 0; i < v->n_links; i++) {
        if (n && !cmp_port(v->links[n - 1].link.src, v->links[i].link.src) &&
            !cmp_port(v->links[n - 1].link.dst, v->links[i].link.dst)) {
            continue;
        }
        if (n != i) {
            v->links[n] = v->links[i];
        }
        n++;
    }
    v->n_links = n;
    for (i = 0; i < v->n_links; i++) {
        ends[2 * i] = v->links[i].link.src;
        ends[2 * i + 1] = v->links[i].link.dst;
    }
    qsort(ends, 2 * v->n_links, sizeof *ends, cmp_port_p);

    /* Hosts: each once, where it was seen last, and none at a link's
     * end. */
    qsort(v->hosts, v->n_hosts, sizeof *v->hosts, cmp_view_host);
    for (i = n = 0; i < v->n_hosts; i++) {
        const struct topo_view_host *h = &v->hosts[i];

        if (i && !memcmp(v->hosts[i - 1].host.mac, h->host.mac, 6)) {
            continue; /* Seen later elsewhere. */
        }
        if (bsearch(&h->host.at, ends, 2 * v->n_links, sizeof *ends,
                    cmp_port_p)) {
            continue;
        }
        if (n != i) {
            v->hosts[n] = *h;
        }
        n++;
    }
    v->n_hosts = n;
    free(ends);
    return 0;
}
