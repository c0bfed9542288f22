/*
 * Host logging.  Every record, from the host or from a plugin instance, goes
 * through px_log_emit: it is offered to the sink (the host publishes it on
 * host.log) and, unless the sink consumed it, written to the console (stderr
 * or syslog).  So logs never vanish when no logger plugin is loaded, and
 * appear once when one is.
 */
#ifndef PX_LOG_H
#define PX_LOG_H 1

#include <stdarg.h>

#include "plexus/plugin.h"

/* Returns nonzero if the record was consumed and must not reach the
 * console. */
typedef int (*px_log_sink_fn)(int level, double time, const char *instance,
                              const char *message, void *aux);

void px_log_set_level(int level);
int px_log_get_level(void);
/* 'use_syslog' switches the console from stderr to syslog. */
void px_log_set_console(int use_syslog);
/* Installs (or, with NULL, removes) the sink.  The calling thread becomes
 * the only one whose records reach the sink. */
void px_log_set_sink(px_log_sink_fn fn, void *aux);

/* Emits one record; filtering by level is the caller's job.  'instance' is
 * borrowed for the call. */
void px_log_vemit(int level, const char *instance, const char *fmt,
                  va_list args);
__attribute__((format(printf, 3, 4))) void
px_log_emit(int level, const char *instance, const char *fmt, ...);

/* Host messages, filtered by the host's level. */
#define PX_HLOG(LEVEL, ...)                                                   \
    do {                                                                      \
        if ((LEVEL) <= px_log_get_level()) {                                  \
            px_log_emit((LEVEL), "host", __VA_ARGS__);                        \
        }                                                                     \
    } while (0)

#endif /* PX_LOG_H */
