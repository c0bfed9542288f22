/*
 * The software router's ARP cache and request queue (see sr_arp.h).
 *
 * Both are linked lists: the cache holds at most SR_ARP_CACHE_MAX entries
 * and the queue at most SR_ARP_MAX_QUEUED packets, and the lab's networks
 * have a few hosts, so linear search costs nothing worth a hash table.
 */
#include "sr_arp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sr_arp_entry {
    struct sr_arp_entry *next;
    uint32_t ip;
    uint8_t mac[PX_ETH_ADDR_LEN];
    uint64_t added; /* When learnt; valid for SR_ARP_CACHE_TTL_MS. */
};

struct sr_arp_packet {
    struct sr_arp_packet *next;
    char in_iface[SR_IFNAME_LEN];
    size_t len;
    uint8_t frame[]; /* 'len' bytes. */
};

/* The packets waiting for one next hop, and the requests sent for it. */
struct sr_arp_req {
    struct sr_arp_req *next;
    uint32_t ip;
    char out_iface[SR_IFNAME_LEN];
    uint8_t out_mac[PX_ETH_ADDR_LEN];
    uint32_t out_ip;
    uint64_t sent;                         /* When the last request left. */
    unsigned int times_sent;               /* Requests sent so far. */
    struct sr_arp_packet *packets, **tail; /* In arrival order. */
    size_t n_packets;
};

struct sr_arp {
    sr_arp_send_fn send;
    sr_arp_unreachable_fn unreachable;
    void *aux;
    struct sr_arp_entry *cache;
    size_t n_cache;
    struct sr_arp_req *reqs;
    size_t n_queued;
    struct sr_arp_stats stats;
};

struct sr_arp *
sr_arp_create(sr_arp_send_fn send, sr_arp_unreachable_fn unreachable,
              void *aux)
{
    struct sr_arp *arp = calloc(1, sizeof *arp);

    if (arp) {
        arp->send = send;
        arp->unreachable = unreachable;
        arp->aux = aux;
    }
    return arp;
}

static void
free_req(struct sr_arp_req *req)
{
    struct sr_arp_packet *p, *next;

    for (p = req->packets; p; p = next) {
        next = p->next;
        free(p);
    }
    free(req);
}

void
sr_arp_destroy(struct sr_arp *arp)
{
    struct sr_arp_entry *e, *enext;
    struct sr_arp_req *r, *rnext;

    if (!arp) {
        return;
    }
    for (e = arp->cache; e; e = enext) {
        enext = e->next;
        free(e);
    }
    for (r = arp->reqs; r; r = rnext) {
        rnext = r->next;
        free_req(r);
    }
    free(arp);
}

static bool
entry_valid(const struct sr_arp_entry *e, uint64_t now)
{
    /* A clock that went backwards leaves the entry valid rather than
     * wrapping the subtraction into a huge age. */
    return now < e->added || now - e->added < SR_ARP_CACHE_TTL_MS;
}

int
sr_arp_lookup(const struct sr_arp *arp, uint32_t ip, uint64_t now,
              uint8_t mac[PX_ETH_ADDR_LEN])
{
    const struct sr_arp_entry *e;

    for (e = arp->cache; e; e = e->next) {
        if (e->ip == ip && entry_valid(e, now)) {
            memcpy(mac, e->mac, PX_ETH_ADDR_LEN);
            return 0;
        }
    }
    return ENOENT;
}

void
sr_arp_build(uint8_t frame[SR_ARP_FRAME_LEN], uint16_t op,
             const uint8_t sha[PX_ETH_ADDR_LEN], uint32_t spa,
             const uint8_t tha[PX_ETH_ADDR_LEN], uint32_t tpa)
{
    bool request = op == PX_ARP_REQUEST;
    struct px_pkt_eth eth = {.type = PX_ETH_TYPE_ARP};
    struct px_pkt_arp arp = {.op = op, .spa = spa, .tpa = tpa};
    size_t n;

    if (request) {
        memset(eth.dst, 0xff, PX_ETH_ADDR_LEN);
    } else {
        memcpy(eth.dst, tha, PX_ETH_ADDR_LEN);
        memcpy(arp.tha, tha, PX_ETH_ADDR_LEN);
    }
    memcpy(eth.src, sha, PX_ETH_ADDR_LEN);
    memcpy(arp.sha, sha, PX_ETH_ADDR_LEN);
    /* Both fit in SR_ARP_FRAME_LEN bytes, so neither can fail. */
    px_pkt_put_eth(frame, SR_ARP_FRAME_LEN, &eth, &n);
    px_pkt_put_arp(frame + n, SR_ARP_FRAME_LEN - n, &arp, &n);
}

static void
send_request(struct sr_arp *arp, struct sr_arp_req *req, uint64_t now)
{
    uint8_t frame[SR_ARP_FRAME_LEN];

    sr_arp_build(frame, PX_ARP_REQUEST, req->out_mac, req->out_ip, NULL,
                 req->ip);
    req->sent = now;
    req->times_sent++;
    arp->stats.requests_sent++;
    arp->send(arp->aux, req->out_iface, frame, sizeof frame);
}

/* Unlinks and returns the request for 'ip', or NULL. */
static struct sr_arp_req *
take_req(struct sr_arp *arp, uint32_t ip)
{
    struct sr_arp_req **rp;

    for (rp = &arp->reqs; *rp; rp = &(*rp)->next) {
        struct sr_arp_req *req = *rp;

        if (req->ip == ip) {
            *rp = req->next;
            req->next = NULL;
            arp->n_queued -= req->n_packets;
            return req;
        }
    }
    return NULL;
}

int
sr_arp_insert(struct sr_arp *arp, uint32_t ip,
              const uint8_t mac[PX_ETH_ADDR_LEN], uint64_t now)
{
    struct sr_arp_entry **ep, *e = NULL, *oldest = NULL;
    struct sr_arp_req *req;
    struct sr_arp_packet *p;
    int error = 0;

    for (ep = &arp->cache; *ep; ep = &(*ep)->next) {
        if ((*ep)->ip == ip) {
            e = *ep;
            break;
        }
    }
    if (!e && arp->n_cache >= SR_ARP_CACHE_MAX) {
        /* Full: reuse the entry learnt longest ago, expired or not. */
        for (e = arp->cache; e; e = e->next) {
            if (!oldest || e->added < oldest->added) {
                oldest = e;
            }
        }
        e = oldest;
        if (entry_valid(e, now)) {
            arp->stats.cache_evicted++;
        }
    }
    if (!e) {
        e = calloc(1, sizeof *e);
        if (e) {
            e->next = arp->cache;
            arp->cache = e;
            arp->n_cache++;
        } else {
            error = ENOMEM;
        }
    }
    if (e) {
        e->ip = ip;
        memcpy(e->mac, mac, PX_ETH_ADDR_LEN);
        e->added = now;
    }

    /* Unlinked before sending, so nothing the send callback does can
     * touch the list we walk. */
    req = take_req(arp, ip);
    if (req) {
        for (p = req->packets; p; p = p->next) {
            /* The destination is the Ethernet header's first field. */
            memcpy(p->frame, mac, PX_ETH_ADDR_LEN);
            arp->stats.released++;
            arp->send(arp->aux, req->out_iface, p->frame, p->len);
        }
        free_req(req);
    }
    return error;
}

static void
copy_name(char dst[SR_IFNAME_LEN], const char *src)
{
    size_t n = src ? strnlen(src, SR_IFNAME_LEN - 1) : 0;

    if (n) {
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

int
sr_arp_queue(struct sr_arp *arp, uint32_t next_hop, const char *out_iface,
             const uint8_t out_mac[PX_ETH_ADDR_LEN], uint32_t out_ip,
             const char *in_iface, const uint8_t *frame, size_t len,
             uint64_t now)
{
    struct sr_arp_req *req;
    struct sr_arp_packet *p;
    bool new_req = false;

    for (req = arp->reqs; req; req = req->next) {
        if (req->ip == next_hop) {
            break;
        }
    }
    if (req && req->n_packets >= SR_ARP_MAX_PER_REQ) {
        arp->stats.drop_req_full++;
        return ENOBUFS;
    }
    if (arp->n_queued >= SR_ARP_MAX_QUEUED) {
        arp->stats.drop_queue_full++;
        return ENOBUFS;
    }
    p = malloc(sizeof *p + len);
    if (!p) {
        return ENOMEM;
    }
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req) {
            free(p);
            return ENOMEM;
        }
        req->ip = next_hop;
        copy_name(req->out_iface, out_iface);
        memcpy(req->out_mac, out_mac, PX_ETH_ADDR_LEN);
        req->out_ip = out_ip;
        req->tail = &req->packets;
        req->next = arp->reqs;
        arp->reqs = req;
        new_req = true;
    }
    p->next = NULL;
    copy_name(p->in_iface, in_iface);
    p->len = len;
    memcpy(p->frame, frame, len);
    *req->tail = p;
    req->tail = &p->next;
    req->n_packets++;
    arp->n_queued++;
    arp->stats.queued++;
    if (new_req) {
        send_request(arp, req, now);
    }
    return 0;
}

void
sr_arp_tick(struct sr_arp *arp, uint64_t now)
{
    struct sr_arp_entry **ep;
    struct sr_arp_req **rp, *failed = NULL, *req;

    for (ep = &arp->cache; *ep;) {
        struct sr_arp_entry *e = *ep;

        if (entry_valid(e, now)) {
            ep = &e->next;
        } else {
            *ep = e->next;
            arp->n_cache--;
            free(e);
        }
    }

    /* Requests given up on move to 'failed' first: the unreachable
     * callback sends ICMP, which may queue packets on new requests. */
    for (rp = &arp->reqs; *rp;) {
        req = *rp;
        if (now >= req->sent && now - req->sent < SR_ARP_RETRY_MS) {
            rp = &req->next;
        } else if (req->times_sent >= SR_ARP_MAX_TRIES) {
            *rp = req->next;
            arp->n_queued -= req->n_packets;
            req->next = failed;
            failed = req;
        } else {
            send_request(arp, req, now);
            rp = &req->next;
        }
    }
    while (failed) {
        struct sr_arp_packet *p;

        req = failed;
        failed = req->next;
        for (p = req->packets; p; p = p->next) {
            arp->stats.drop_unanswered++;
            if (arp->unreachable) {
                arp->unreachable(arp->aux, p->in_iface, p->frame, p->len, now);
            }
        }
        free_req(req);
    }
}

size_t
sr_arp_pending(const struct sr_arp *arp)
{
    return arp->n_queued;
}

const struct sr_arp_stats *
sr_arp_stats(const struct sr_arp *arp)
{
    return &arp->stats;
}
