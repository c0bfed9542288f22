/*
 * The software router's frame handler: what router/sr does with each
 * Ethernet frame that arrives on one of its interfaces, as "Behaviour"
 * below spells out (README.md, "The router: router/sr", is the user's
 * view).
 *
 * No I/O, no clock, no event loop: the caller hands in each frame with the
 * name of the interface it arrived on and the time, and the router sends
 * frames through the output callback given at creation.  Time is a
 * monotonic clock in milliseconds; the caller's timer must call
 * sr_router_tick() every second so ARP requests are repeated and given up
 * on without new traffic.
 *
 * Behaviour: ARP requests for the receiving interface's address are
 * answered and ARP replies fill the cache.  IPv4 datagrams with a bad
 * length or header checksum are dropped; those to one of the router's
 * addresses get an echo reply (ICMP echo requests) or port unreachable
 * (TCP, UDP); others are forwarded: time exceeded when the TTL would run
 * out, net unreachable without a route, otherwise TTL decremented, next hop
 * resolved through ARP, Ethernet source set to the egress interface's MAC
 * and destination to the next hop's.  ICMP errors come from the address of
 * the interface the offending datagram arrived on, as the lab expects.
 * Every dropped frame is counted under its reason.
 */
#ifndef SR_ROUTER_H
#define SR_ROUTER_H 1

#include <stddef.h>
#include <stdint.h>

#include "sr_arp.h"
#include "sr_proto.h"
#include "sr_rt.h"

#define SR_MAX_IFACES 32

/* Sends 'frame', a whole Ethernet frame, out of interface 'iface'. */
typedef void (*sr_send_fn)(void *aux, const char *iface, const uint8_t *frame,
                           size_t len);

struct sr_router_stats {
    uint64_t rx;        /* Frames handed to sr_router_handle. */
    uint64_t tx;        /* Frames sent, ARP's included. */
    uint64_t forwarded; /* Datagrams sent or queued towards a next hop. */
    uint64_t arp_replies_sent;
    uint64_t arp_replies_received;
    uint64_t echo_replies_sent;
    uint64_t icmp_errors_sent; /* Of any type, sent or queued for ARP. */

    /* Drops, by reason. */
    uint64_t drop_unknown_iface;  /* Arrived on an interface we lack. */
    uint64_t drop_runt;           /* Shorter than an Ethernet header. */
    uint64_t drop_not_for_us;     /* Ethernet destination not ours. */
    uint64_t drop_ethertype;      /* Neither ARP nor IPv4. */
    uint64_t drop_arp_malformed;  /* Short, or not IPv4 over Ethernet. */
    uint64_t drop_arp_not_for_us; /* Target address not ours. */
    uint64_t drop_arp_op;         /* Neither request nor reply. */
    uint64_t drop_ip_malformed;   /* Bad version, header or total length. */
    uint64_t drop_ip_cksum;       /* Bad header checksum. */
    uint64_t drop_icmp_malformed; /* To us: short, or bad ICMP checksum. */
    uint64_t drop_icmp_type;      /* To us: ICMP other than echo request. */
    uint64_t drop_proto;          /* To us: neither ICMP, TCP nor UDP. */
    uint64_t drop_ttl;            /* TTL ran out (time exceeded sent). */
    uint64_t drop_no_route;       /* No route (net unreachable sent). */
    uint64_t drop_bad_route;      /* Route names an interface we lack. */
    uint64_t drop_arp_queue;      /* ARP queue full, or out of memory. */
    uint64_t drop_unanswered;     /* Next hop never answered ARP. */
    uint64_t drop_nomem;
    uint64_t icmp_suppressed;    /* Error not allowed (RFC 1122/1812). */
    uint64_t icmp_no_route_back; /* Error or reply had no route back. */
};

struct sr_router;

/* A router with no interfaces and no routes; NULL when out of memory. */
struct sr_router *sr_router_create(sr_send_fn send, void *aux);
void sr_router_destroy(struct sr_router *);

/* Adds an interface.  EINVAL for a bad or duplicate name, ENOSPC beyond
 * SR_MAX_IFACES. */
int sr_router_add_iface(struct sr_router *, const char *name,
                        const uint8_t mac[PX_ETH_ADDR_LEN], uint32_t ip,
                        uint32_t mask);

/* Replaces the routing table with 'rt' (NULL for none), taking ownership;
 * the previous one is destroyed. */
void sr_router_set_rt(struct sr_router *, struct sr_rt *rt);

/* Handles 'len' bytes of Ethernet frame that arrived on 'iface' at 'now'.
 * The router does not keep 'frame'. */
void sr_router_handle(struct sr_router *, const char *iface,
                      const uint8_t *frame, size_t len, uint64_t now);

/* Drives ARP timing (see sr_arp_tick); call it every second. */
void sr_router_tick(struct sr_router *, uint64_t now);

const struct sr_router_stats *sr_router_stats(const struct sr_router *);
struct sr_arp *sr_router_arp(struct sr_router *);

#endif /* sr_router.h */
