/*
 * Reload (SIGHUP) and start-up: applying a configuration snapshot to the
 * running set of plugin instances.  See reload.c for the algorithm.
 */
#ifndef PX_RELOAD_H
#define PX_RELOAD_H 1

#include "conf.h"
#include "daemon.h"

/* Applies 'next' (ownership taken) and publishes host.reload_done.  On a
 * configuration error nothing that runs is touched and EINVAL is returned;
 * an instance refused on its own (bad module, failed init) does not make
 * the reload fail. */
int px_reload_apply(struct px_host *host, struct px_conf *next);
/* Parses the configuration directory and applies it. */
void px_reload_from_dir(struct px_host *host);
/* Unloads every instance, newest first (shutdown). */
void px_reload_unload_all(struct px_host *host);

#endif /* PX_RELOAD_H */
