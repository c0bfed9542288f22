/*
 * Payloads of the vns.* topics, published by the vns_server plugin when a
 * software router comes and goes.  Append-only; every pointer is borrowed
 * for the duration of the callback.
 */
#ifndef PLEXUS_TOPICS_VNS_H
#define PLEXUS_TOPICS_VNS_H 1

#include <stddef.h>
#include <stdint.h>

#define PX_TOPIC_VNS_ROUTER_UP   "vns.router_up"
#define PX_TOPIC_VNS_ROUTER_DOWN "vns.router_down"
#define PX_TOPIC_VNS_VERSION     1

struct px_vns_router {
    uint32_t id;       /* Per connection, unique in the process. */
    const char *peer;  /* "address:port" of the router. */
    const char *vhost; /* From its Open. */
    const char *user;
    size_t n_ifaces;    /* Interfaces the switch gives it. */
    const char *reason; /* router_down only: why it was dropped. */
};

/* A frame on its way to or from a router: what the web console's frame
 * journey is made of.  Published once per router a packet-in goes to
 * (to_router 1, just after it was queued) and once per frame a router
 * sends (to_router 0, before it becomes a packet-out).  Lab traffic only,
 * so its cost is a publish per frame in the lab. */
#define PX_TOPIC_VNS_FRAME         "vns.frame"
#define PX_TOPIC_VNS_FRAME_VERSION 1

struct px_vns_frame {
    uint32_t router;    /* As in struct px_vns_router. */
    uint32_t to_router; /* 1: to the router; 0: from it. */
    const char *iface;  /* The router's interface: "eth1". */
    uint64_t dpid;      /* The switch and port the interface maps to. */
    uint32_t port;
    uint32_t reserved;
    const uint8_t *frame;
    size_t frame_len;
};

#endif /* PLEXUS_TOPICS_VNS_H */
