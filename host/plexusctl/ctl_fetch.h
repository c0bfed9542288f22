/*
 * plexusctl's HTTP client, for its one command that does not go over the
 * control socket: "metrics", the stats plugin's /metrics.  libcurl does
 * the HTTP (connection, request, response parsing, chunked bodies, the
 * deadline); this module holds plexusctl's policy around it: which URLs
 * -u accepts, the bound on a response, and how each failure is told
 * apart, so that plexusctl can say what went wrong and exit with the
 * status its usage promises.  Kept apart from the command line so that the
 * unit tests (tests/unit/test_ctl.c) and the fuzzer reach all of it.
 *
 * The caller initialises libcurl once (curl_global_init) before
 * ctl_fetch and cleans it up at exit.
 *
 * Ownership: a result owns nothing; the body goes to the caller's buffer.
 */
#ifndef PX_CTL_FETCH_H
#define PX_CTL_FETCH_H 1

#include <stddef.h>

#include "plexus/buf.h"

/* The largest response plexusctl reads (one /metrics of a large network
 * is a few MiB). */
#define CTL_FETCH_MAX_RESPONSE (64u * 1024 * 1024)

/* Parses "http://HOST[:PORT][/]", or the same without "http://", into
 * 'host' (brackets of an IPv6 literal removed) and '*port' ('default_port'
 * when absent).  Anything else a URL may carry (a user, a path, a query)
 * is refused: -u names an endpoint, not a document.  Returns 0 or EINVAL
 * with a reason in 'why', or ENOMEM. */
int ctl_fetch_parse_url(const char *url, int default_port, char *host,
                        size_t host_size, int *port, char *why,
                        size_t why_size);

/* Writes "http://HOST:PORT" (brackets around an IPv6 literal) into 'buf'.
 * Returns 0, or ENOSPC when it does not fit. */
int ctl_fetch_format_url(const char *host, int port, char *buf, size_t size);

enum ctl_fetch_status {
    CTL_FETCH_OK,          /* A 200 answer; its body is in the buffer. */
    CTL_FETCH_UNREACHABLE, /* No connection (name, refused, timed out). */
    CTL_FETCH_TIMEOUT,     /* Connected, but no whole answer in time. */
    CTL_FETCH_TOO_BIG,     /* A body past the buffer's limit. */
    CTL_FETCH_BAD,         /* Not a well-formed HTTP answer, or cut short. */
    CTL_FETCH_STATUS,      /* An answer whose status is not 200. */
};

struct ctl_fetch_result {
    enum ctl_fetch_status status;
    long code;       /* The HTTP status, 0 without an answer. */
    char reason[64]; /* Its reason phrase, control characters replaced. */
    char why[256];   /* For people: what failed, without the URL. */
};

/* GETs 'url' (http:// only, no redirects, no proxy, whatever the
 * environment says) within 'timeout' seconds, with 'user_agent', and
 * appends the body to 'body', whose limit bounds it.  Returns the status
 * (also in 'res'). */
enum ctl_fetch_status ctl_fetch(const char *url, double timeout,
                                const char *user_agent, struct px_buf *body,
                                struct ctl_fetch_result *res);

#endif /* PX_CTL_FETCH_H */
