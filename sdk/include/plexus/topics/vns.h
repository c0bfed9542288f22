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

#endif /* PLEXUS_TOPICS_VNS_H */
