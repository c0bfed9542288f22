/*
 * Small helpers shared by the host modules: an error collector that keeps
 * every message of a failed validation (so one run of "plexusd --check"
 * reports all problems, not the first), path and file helpers, and string
 * parsing of the value types INI files carry.  Text is built in the SDK's
 * struct px_buf (plexus/buf.h).
 */
#ifndef PX_HOST_UTIL_H
#define PX_HOST_UTIL_H 1

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "plexus/buf.h"

/* Collected error messages, one per line.  Zero-initialise to use: the
 * first message gives the text its (absent) limit.  A message that cannot
 * be kept for lack of memory is still counted. */
struct px_errors {
    struct px_buf text;
    unsigned int count;
};

__attribute__((format(printf, 2, 3))) void px_errors_add(struct px_errors *e,
                                                         const char *fmt, ...);
/* Frees the text; the struct can be reused.  Accepts NULL. */
void px_errors_clear(struct px_errors *e);
/* The text, or "" when empty; borrowed from 'e'. */
const char *px_errors_text(const struct px_errors *e);

/* Formats a message into 'why' (nothing when 'why' is NULL or 'size' is
 * 0) and replaces every byte that is not printable ASCII with '?'.  The
 * parsers' messages quote received bytes, and they end up in logs and on
 * terminals. */
__attribute__((format(printf, 3, 4))) void px_set_why(char *why, size_t size,
                                                      const char *fmt, ...);

/* Joins 'base' and 'path' unless 'path' is absolute.  Returns a string the
 * caller frees, or NULL when out of memory. */
char *px_path_resolve(const char *base, const char *path);

/* Reads a whole file of at most 'max' bytes into a NUL-terminated buffer the
 * caller frees.  Returns 0, EFBIG, or the errno of open/read. */
int px_file_read(const char *path, size_t max, char **data, size_t *len);
/* Writes 'len' bytes to a new file at 'path' (mode 0644), replacing it. */
int px_file_write(const char *path, const void *data, size_t len);

/* Wall-clock time in seconds since the epoch, for timestamps people read
 * (the loop's clock is for timers). */
double px_wall_now(void);

/* Value parsers.  Return 0 or EINVAL (bad syntax) or ERANGE. */
int px_parse_bool(const char *s, int *out);
int px_parse_int(const char *s, long long *out);
int px_parse_double(const char *s, double *out);
/* "error", "warn", "info", "debug" into enum px_log_level. */
int px_parse_log_level(const char *s, int *out);

/* Narrows the 'len' bytes at '*s' to exclude spaces and tabs on both
 * sides (HTTP's optional whitespace, a command line's padding). */
void px_trim(const char **s, size_t *len);

#endif /* PX_HOST_UTIL_H */
