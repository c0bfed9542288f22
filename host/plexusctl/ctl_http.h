/*
 * plexusctl's HTTP client parts, kept apart from its sockets so that they
 * can be unit-tested and fuzzed: parsing an HTTP/1.x response held in a
 * buffer, parsing the stats endpoint's URL and formatting the request.
 * plexusctl uses them for one command, "metrics", which fetches the stats
 * plugin's /metrics; everything else goes over the control socket
 * (ctl_proto.h).
 *
 * Everything here works on bytes that come from the network, so every
 * length is checked and every malformed input is refused with a message,
 * never trusted.
 *
 * Ownership: a parsed response points into the caller's buffer (which must
 * outlive it) except for a chunked body, which the response owns until
 * ctl_http_response_clear.
 */
#ifndef PX_CTL_HTTP_H
#define PX_CTL_HTTP_H 1

#include <stddef.h>

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

#endif /* PX_CTL_HTTP_H */
