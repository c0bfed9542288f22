/*
 * The host's answer to stats.collect: its own counters (the process and
 * its control socket, the event table, every topic, those that only
 * subscriptions name included, every plugin instance) reported on the event
 * table like any plugin's, so the stats plugin needs no host-only API and
 * shows nothing the host would not publish.
 */
#ifndef PX_HOST_STATS_H
#define PX_HOST_STATS_H 1

struct px_host;

/* Declares stats.report and subscribes to stats.collect on behalf of the
 * host.  Both belong to the bus (owner PX_HOST_OWNER) and go with it. */
int px_stats_init(struct px_host *host);

#endif /* PX_HOST_STATS_H */
