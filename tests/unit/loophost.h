/*
 * A tiny host with a real loop, for tests of code that runs on a plugin's
 * loop (px_io watchers, px_timer timers, px_defer) without plexusd: a
 * px_host_api table over poll() and CLOCK_MONOTONIC.  It mirrors the
 * host's rules (host/instance.c) where code may depend on them: watchers
 * are level-triggered and report only the events they are armed for; a
 * one-shot timer is released once it has fired; a watcher or timer may be
 * stopped inside its own callback; PX_IO_OWN_FD closes the descriptor when
 * the watcher is released.
 *
 * Calls outside that set (events, threads, configuration, handoff,
 * commands) are not served: each is counted in loophost_unexpected(),
 * which a test checks is 0.  Logging goes to stderr when the environment
 * has LOOPHOST_VERBOSE, and is counted either way.  No cmocka here, so
 * that fuzz targets can use it too.
 */
#ifndef LOOPHOST_H
#define LOOPHOST_H 1

#include <stddef.h>

#include "plexus/plugin.h"

struct loophost;

/* A new host, or NULL when out of memory. */
struct loophost *loophost_new(void);

/* Releases whatever watchers, timers and deferred calls are left (closing
 * PX_IO_OWN_FD descriptors) and frees the host; 'lh' may be NULL. */
void loophost_free(struct loophost *lh);

/* The instance handle to pass to the code under test. */
struct px_plugin *loophost_plugin(struct loophost *lh);

/* One pass: waits up to 'max_wait' seconds (0: just polls) for a watcher
 * or a timer, then runs what is ready, due timers and deferred calls.
 * Returns how many callbacks ran. */
int loophost_run_once(struct loophost *lh, double max_wait);

/* Runs passes until done(arg) is nonzero (checked before each pass) or
 * 'timeout' seconds have passed.  0, or ETIMEDOUT. */
int loophost_run_until(struct loophost *lh, int (*done)(void *arg), void *arg,
                       double timeout);

/* Runs passes that do not wait until one runs no callback, at most
 * 'max_passes'; returns the passes run. */
int loophost_run_quiet(struct loophost *lh, int max_passes);

/* Runs passes for 'seconds', whatever happens. */
void loophost_run_for(struct loophost *lh, double seconds);

/* Live watchers and timers: what code under test has not released. */
size_t loophost_ios(const struct loophost *lh);
size_t loophost_timers(const struct loophost *lh);

/* Calls the host does not serve, and log records. */
unsigned int loophost_unexpected(const struct loophost *lh);
unsigned int loophost_logs(const struct loophost *lh);

/* The host's clock (CLOCK_MONOTONIC, seconds). */
double loophost_now(void);

#endif /* LOOPHOST_H */
