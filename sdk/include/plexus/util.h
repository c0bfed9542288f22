/*
 * Small helpers shared by the host and plugins that format for humans, so
 * that every log line Plexus writes reads the same.
 */
#ifndef PLEXUS_UTIL_H
#define PLEXUS_UTIL_H 1

#include <stdio.h>
#include <time.h>

/* Formats 'time' (seconds since the epoch) as UTC ISO 8601 with
 * milliseconds, e.g. "2026-11-25T01:02:03.456Z", into 'buf'. */
static inline void
px_format_time(double time, char *buf, size_t size)
{
    time_t secs = (time_t)time;
    int ms = (int)((time - (double)secs) * 1000.0);
    struct tm tm;
    char date[32];

    gmtime_r(&secs, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03dZ", date, ms < 0 ? 0 : ms % 1000);
}

/* The name of a log level, as configuration files spell it. */
static inline const char *
px_log_level_str(int level)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};

    return level >= 0 && level < 4 ? names[level] : "?";
}

#endif /* PLEXUS_UTIL_H */
