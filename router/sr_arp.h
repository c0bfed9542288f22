/*
 * The software router's ARP cache and request queue.
 *
 * The cache maps next-hop IPv4 addresses to MAC addresses learnt from ARP
 * replies; an entry is valid for SR_ARP_CACHE_TTL_MS after it was learnt.
 *
 * A packet whose next hop is not in the cache is queued on the request for
 * that next hop.  The first packet sends an ARP request at once; then
 * sr_arp_tick(), which the caller's timer calls every second (or sooner),
 * repeats it once a second.  When SR_ARP_MAX_TRIES requests went
 * unanswered, the 'unreachable' callback gets every queued packet (so the
 * router can send ICMP host unreachable to its sender) and the packets are
 * dropped.  An ARP reply (sr_arp_insert) fills the cache and sends every
 * packet queued for that address, with its destination MAC filled in.
 *
 * Time is an injected monotonic clock in milliseconds: nothing here reads
 * a clock or arms a timer, so timing works the same with or without
 * traffic and tests drive it with a fake clock.  Queues are bounded, per
 * request and overall; what they refuse is counted.
 */
#ifndef SR_ARP_H
#define SR_ARP_H 1

#include <stddef.h>
#include <stdint.h>

#include "sr_proto.h"

#define SR_ARP_CACHE_TTL_MS 15000
#define SR_ARP_RETRY_MS     1000
#define SR_ARP_MAX_TRIES    5
#define SR_ARP_MAX_PER_REQ  32  /* Packets queued for one next hop. */
#define SR_ARP_MAX_QUEUED   512 /* Packets queued in all. */
#define SR_ARP_CACHE_MAX    256 /* Cache entries; the oldest goes first. */

/* Sends 'frame' (a whole Ethernet frame) out of interface 'iface'. */
typedef void (*sr_arp_send_fn)(void *aux, const char *iface,
                               const uint8_t *frame, size_t len);

/*
 * Called for each packet dropped because its next hop did not answer:
 * 'frame' is the queued Ethernet frame and 'in_iface' the interface the
 * packet arrived on, or "" for a packet the router originated.
 */
typedef void (*sr_arp_unreachable_fn)(void *aux, const char *in_iface,
                                      const uint8_t *frame, size_t len,
                                      uint64_t now);

struct sr_arp_stats {
    uint64_t requests_sent;
    uint64_t queued;          /* Packets accepted into the queue. */
    uint64_t released;        /* Packets sent on a reply. */
    uint64_t drop_req_full;   /* Refused: SR_ARP_MAX_PER_REQ reached. */
    uint64_t drop_queue_full; /* Refused: SR_ARP_MAX_QUEUED reached. */
    uint64_t drop_unanswered; /* Dropped after SR_ARP_MAX_TRIES requests. */
    uint64_t cache_evicted;   /* Valid entries pushed out by a full cache. */
};

struct sr_arp;

/* NULL when out of memory.  'unreachable' may be NULL. */
struct sr_arp *sr_arp_create(sr_arp_send_fn send,
                             sr_arp_unreachable_fn unreachable, void *aux);
/* Frees the cache and every queued packet, without calling back. */
void sr_arp_destroy(struct sr_arp *);

/* Copies the MAC of 'ip' into 'mac' and returns 0 when the cache holds a
 * valid entry for it, otherwise ENOENT. */
int sr_arp_lookup(const struct sr_arp *, uint32_t ip, uint64_t now,
                  uint8_t mac[PX_ETH_ADDR_LEN]);

/*
 * Records that 'ip' is at 'mac' (from an ARP reply), valid from 'now', and
 * sends the packets queued for 'ip', if any.  Returns 0 or ENOMEM (the
 * queued packets are sent either way).
 */
int sr_arp_insert(struct sr_arp *, uint32_t ip,
                  const uint8_t mac[PX_ETH_ADDR_LEN], uint64_t now);

/*
 * Queues Ethernet frame 'frame' until 'next_hop' resolves.  It will leave
 * through interface 'out_iface', whose addresses 'out_mac' and 'out_ip' the
 * ARP requests carry; its destination MAC is filled in on release, the
 * rest is sent as given.  'in_iface' is where the packet arrived ("" if the
 * router originated it).  The first packet for a next hop sends a request
 * at once.  Returns 0, ENOBUFS when a bound is reached (counted), or
 * ENOMEM; the caller keeps ownership of 'frame' either way.
 */
int sr_arp_queue(struct sr_arp *, uint32_t next_hop, const char *out_iface,
                 const uint8_t out_mac[PX_ETH_ADDR_LEN], uint32_t out_ip,
                 const char *in_iface, const uint8_t *frame, size_t len,
                 uint64_t now);

/*
 * Time passes: drops expired cache entries, repeats requests unanswered
 * for SR_ARP_RETRY_MS, and gives up on those already sent
 * SR_ARP_MAX_TRIES times.  Call it at least once a second.
 */
void sr_arp_tick(struct sr_arp *, uint64_t now);

/* An ARP frame: Ethernet header and body. */
#define SR_ARP_FRAME_LEN (PX_ETH_HDR_LEN + PX_ARP_LEN)

/* Writes an ARP frame into 'frame': a broadcast request when 'op' is
 * PX_ARP_REQUEST (target hardware address zero, 'tha' unused), otherwise
 * a reply to 'tha'. */
void sr_arp_build(uint8_t frame[SR_ARP_FRAME_LEN], uint16_t op,
                  const uint8_t sha[PX_ETH_ADDR_LEN], uint32_t spa,
                  const uint8_t tha[PX_ETH_ADDR_LEN], uint32_t tpa);

size_t sr_arp_pending(const struct sr_arp *); /* Packets queued. */
const struct sr_arp_stats *sr_arp_stats(const struct sr_arp *);

#endif /* sr_arp.h */
