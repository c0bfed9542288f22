/*
 * The pure parts of plexusctl, kept apart from its sockets and JSON so that
 * they can be unit-tested and fuzzed: parsing an HTTP/1.x response held in
 * a buffer, parsing the endpoint URL, formatting the request, and the
 * helpers that lay out what plexusctl prints (ages, numbers, tables and a
 * reload's outcome).
 *
 * Everything here works on bytes that come from the network or from the
 * daemon's counters, so every length is checked and every malformed input
 * is refused with a message, never trusted.  Text that ends up on the
 * terminal goes through a filter that replaces control characters, so a
 * switch cannot put escape sequences on an operator's screen through a port
 * name.
 *
 * Ownership: a parsed response points into the caller's buffer (which must
 * outlive it) except for a chunked body, which the response owns until
 * ctl_http_response_clear.  A table owns copies of its cells.
 */
#ifndef PX_CTL_HTTP_H
#define PX_CTL_HTTP_H 1

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* The largest response plexusctl reads, and the largest header section the
 * parser accepts (one /stats.json of a large network is a few MiB). */
#define CTL_HTTP_MAX_RESPONSE (64u * 1024 * 1024)
#define CTL_HTTP_MAX_HEADERS  (64u * 1024)

/* Interim (1xx) responses skipped before the final one. */
#define CTL_HTTP_MAX_INTERIM 8

struct ctl_http_response {
    int minor_version;        /* The x of HTTP/1.x. */
    int status;               /* 100 to 599. */
    char reason[64];          /* Reason phrase, filtered and truncated. */
    long long content_length; /* -1 when absent. */
    int chunked;              /* Transfer-Encoding: chunked. */
    const char *body;         /* Not NUL-terminated. */
    size_t body_len;
    size_t extra;  /* Bytes after the body that were ignored. */
    char *decoded; /* Owned: the de-chunked body, or NULL. */
};

/* Parses the complete response in 'buf' (everything read up to EOF).
 * Returns 0, EINVAL for a malformed or truncated response (with a reason in
 * 'why', at least 128 bytes), or ENOMEM.  On error '*resp' owns nothing. */
int ctl_http_parse_response(const char *buf, size_t len,
                            struct ctl_http_response *resp, char *why,
                            size_t why_size);
/* Frees what 'resp' owns.  Accepts NULL. */
void ctl_http_response_clear(struct ctl_http_response *resp);

/* Parses "http://HOST[:PORT][/]", or the same without "http://", into
 * 'host' (brackets of an IPv6 literal removed) and '*port' ('default_port'
 * when absent).  Returns 0 or EINVAL with a reason in 'why'. */
int ctl_http_parse_url(const char *url, int default_port, char *host,
                       size_t host_size, int *port, char *why,
                       size_t why_size);

/* Writes "GET 'path' HTTP/1.0" with a Host header for 'host' and 'port'
 * into 'buf'.  HTTP/1.0 so that the server closes the connection after the
 * response and never sends chunks.  Stores the length in '*len'.  Returns 0,
 * EINVAL if 'path' does not start with '/' or either string holds a space or
 * control character, or ENOSPC. */
int ctl_http_format_request(const char *path, const char *host, int port,
                            const char *user_agent, char *buf, size_t size,
                            size_t *len);

/* Formats a duration as "12s", "4m07s", "2h05m" or "3d04h"; "-" for a
 * negative or non-finite one.  Returns 'buf'. */
const char *ctl_http_format_age(double seconds, char *buf, size_t size);
/* Formats a counter or gauge: integers without a fraction, others with six
 * significant digits, "-" for a non-finite value.  Returns 'buf'. */
const char *ctl_http_format_number(double value, char *buf, size_t size);

/* Writes 'len' bytes of 's' on one line: every control character,
 * newlines included, is replaced by '?' (a tab by a space). */
void ctl_http_put_clean(FILE *out, const char *s, size_t len);

/* A table printed with computed column widths, two spaces apart.  A missing
 * or empty cell prints as "-".  Cells longer than CTL_HTTP_CELL_MAX
 * characters are cut (and counted in 'truncated'). */
#define CTL_HTTP_CELL_MAX 96

enum ctl_http_align {
    CTL_HTTP_LEFT,  /* Text. */
    CTL_HTTP_RIGHT, /* Numbers. */
};

struct ctl_http_table;

/* Returns a new empty table, or NULL when out of memory. */
struct ctl_http_table *ctl_http_table_create(void);
/* Frees 't' and its cells.  Accepts NULL. */
void ctl_http_table_destroy(struct ctl_http_table *t);
/* Columns are added before the first row. */
void ctl_http_table_add_column(struct ctl_http_table *t, const char *title,
                               enum ctl_http_align align);
/* Starts a row whose cells are all missing. */
void ctl_http_table_add_row(struct ctl_http_table *t);
/* Sets a cell of the last row (NULL: missing).  Ignored without a row or
 * beyond the last column. */
void ctl_http_table_set(struct ctl_http_table *t, size_t column,
                        const char *text);
__attribute__((format(printf, 3, 4))) void
ctl_http_table_setf(struct ctl_http_table *t, size_t column, const char *fmt,
                    ...);
size_t ctl_http_table_n_rows(const struct ctl_http_table *t);
/* Cells cut to CTL_HTTP_CELL_MAX so far. */
size_t ctl_http_table_truncated(const struct ctl_http_table *t);
/* Prints the header and the rows, each line prefixed with 'indent'.
 * Returns 0, or ENOMEM (and prints nothing) if an earlier call on 't' ran
 * out of memory, or EINVAL if a column was added after a row. */
int ctl_http_table_print(const struct ctl_http_table *t, FILE *out,
                         const char *indent);

/* One entry of /stats.json "reloads"; every string may be NULL. */
struct ctl_http_reload {
    long long id;
    const char *outcome; /* "ok", "partial" or "refused". */
    const char *added;   /* Comma-separated instance names. */
    const char *removed;
    const char *reloaded;
    const char *reconfigured;
    const char *refused; /* "name: why" entries separated by "; ". */
    const char *error;   /* May span lines. */
};

/* Prints "reload N: done" (or "partial", "refused, nothing changed"), then a
 * line per non-empty list, one per refused entry, and the error with its
 * continuation lines indented under its first. */
void ctl_http_print_reload(FILE *out, const struct ctl_http_reload *r);

#endif /* PX_CTL_HTTP_H */
