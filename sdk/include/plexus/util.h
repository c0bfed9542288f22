/*
 * Small helpers shared by the host and plugins that format for humans, so
 * that every log line Plexus writes reads the same.
 */
#ifndef PLEXUS_UTIL_H
#define PLEXUS_UTIL_H 1

#include <stddef.h>
#include <stdio.h>
#include <string.h>
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

/* Copies 'src' into 'dst' as one line of text, whatever it holds: line
 * breaks (a list of configuration errors, say) become "; " and other
 * control characters spaces, so that every reader of a log, grep included,
 * sees one record per line.  Trailing breaks are dropped; the result is
 * cut to fit 'size'. */
static inline void
px_one_line(char *dst, size_t size, const char *src)
{
    size_t n = 0;

    if (!size) {
        return;
    }
    for (; *src && n + 3 < size; src++) {
        unsigned char c = (unsigned char)*src;

        if (c == '\n') {
            if (src[1] && n) {
                memcpy(dst + n, "; ", 2);
                n += 2;
            }
        } else {
            dst[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
        }
    }
    dst[n] = '\0';
}

/* The length of the well-formed UTF-8 sequence at 's', of which 'n' bytes
 * may be read, or 0 when the bytes there do not start one (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF).  A sequence is
 * read only up to its first bad byte, so a NUL-terminated string may pass
 * (size_t)-1: NUL is never a continuation byte. */
static inline size_t
px_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len, i;

    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80; /* No overlong forms... */
        hi = c == 0xed ? 0x9f : 0xbf; /* ...and no surrogates. */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf; /* Nothing above U+10FFFF. */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    return len;
}

#endif /* PLEXUS_UTIL_H */
