/*
 * plexusctl's HTTP client: libcurl, and plexusctl's policy around it (see
 * ctl_fetch.h).
 */
#include "ctl_fetch.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "host_util.h"

/* ------------------------------------------------------------------------
 * URLs. */

/* The parts of a parsed URL that -u must not have, each with what to say
 * when it is there. */
static const struct {
    CURLUPart part;
    const char *what;
} refused_parts[] = {
    {CURLUPART_USER, "give no user name or password"},
    {CURLUPART_PASSWORD, "give no user name or password"},
    {CURLUPART_OPTIONS, "give no user name or password"},
    {CURLUPART_ZONEID, "an IPv6 zone id is not supported"},
    {CURLUPART_QUERY, "give only http://HOST:PORT (no path or query)"},
    {CURLUPART_FRAGMENT, "give only http://HOST:PORT (no path or query)"},
};

/* Checks what libcurl made of 'url' against what -u allows. */
static int
check_url(CURLU *u, const char *url, int default_port, char *host,
          size_t host_size, int *port, char *why, size_t why_size)
{
    char *scheme = NULL, *h = NULL, *p = NULL, *path = NULL;
    const char *name;
    size_t i, len;
    int error = EINVAL;

    for (i = 0; i < sizeof refused_parts / sizeof *refused_parts; i++) {
        char *part = NULL;

        if (!curl_url_get(u, refused_parts[i].part, &part, 0)) {
            curl_free(part);
            px_set_why(why, why_size, "'%s': %s", url, refused_parts[i].what);
            return EINVAL;
        }
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
        strcasecmp(scheme, "http")) {
        px_set_why(why, why_size, "'%s': only http:// URLs are supported",
                   url);
    } else if (curl_url_get(u, CURLUPART_PATH, &path, 0) ||
               strcmp(path, "/")) {
        px_set_why(why, why_size,
                   "'%s': give only http://HOST:PORT (no path or query)", url);
    } else if (curl_url_get(u, CURLUPART_HOST, &h, 0) || !h[0]) {
        px_set_why(why, why_size, "'%s': no host name", url);
    } else {
        /* An IPv6 literal comes back in brackets. */
        name = h;
        len = strlen(h);
        if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
            name++;
            len -= 2;
        }
        if (len >= host_size) {
            px_set_why(why, why_size, "'%s': too long a host name", url);
        } else if (curl_url_get(u, CURLUPART_PORT, &p, 0)) {
            *port = default_port;
            error = 0;
        } else {
            long v = strtol(p, NULL, 10);

            if (v < 1 || v > 65535) {
                px_set_why(why, why_size, "'%s': bad port", url);
            } else {
                *port = (int)v;
                error = 0;
            }
        }
        if (!error) {
            memcpy(host, name, len);
            host[len] = '\0';
        }
    }
    curl_free(scheme);
    curl_free(path);
    curl_free(h);
    curl_free(p);
    return error;
}

int
ctl_fetch_parse_url(const char *url, int default_port, char *host,
                    size_t host_size, int *port, char *why, size_t why_size)
{
    CURLU *u = curl_url();
    char *full = NULL;
    CURLUcode rc;
    int error;

    if (!u) {
        return ENOMEM;
    }
    /* libcurl decodes a percent-encoded host after it has normalised
     * numeric ones, so "%33" would come back as "3" and then as "0.0.0.3":
     * no address plexusctl needs is written that way. */
    if (strchr(url, '%')) {
        curl_url_cleanup(u);
        px_set_why(why, why_size,
                   "'%s': percent-encoding (or an IPv6 zone id) is not "
                   "supported",
                   url);
        return EINVAL;
    }
    /* "HOST:PORT" alone means http://HOST:PORT. */
    if (!strstr(url, "://") && asprintf(&full, "http://%s", url) < 0) {
        curl_url_cleanup(u);
        return ENOMEM;
    }
    rc = curl_url_set(u, CURLUPART_URL, full ? full : url,
                      CURLU_NON_SUPPORT_SCHEME);
    free(full);
    if (rc == CURLUE_OUT_OF_MEMORY) {
        error = ENOMEM;
    } else if (rc == CURLUE_NO_HOST) {
        px_set_why(why, why_size, "'%s': no host name", url);
        error = EINVAL;
    } else if (rc == CURLUE_BAD_PORT_NUMBER) {
        px_set_why(why, why_size, "'%s': bad port", url);
        error = EINVAL;
    } else if (rc) {
        px_set_why(why, why_size, "'%s': %s", url, curl_url_strerror(rc));
        error = EINVAL;
    } else {
        error = check_url(u, url, default_port, host, host_size, port, why,
                          why_size);
    }
    curl_url_cleanup(u);
    return error;
}

int
ctl_fetch_format_url(const char *host, int port, char *buf, size_t size)
{
    int v6 = strchr(host, ':') != NULL;
    int n = snprintf(buf, size, "http://%s%s%s:%d", v6 ? "[" : "", host,
                     v6 ? "]" : "", port);

    return n < 0 || (size_t)n >= size ? ENOSPC : 0;
}

/* ------------------------------------------------------------------------
 * GET. */

static size_t
on_body(char *data, size_t size, size_t n, void *body)
{
    (void)size; /* Always 1. */
    /* Anything but 'n' makes libcurl stop with CURLE_WRITE_ERROR. */
    return px_buf_put(body, data, n) ? 0 : n;
}

/* Keeps the reason phrase of each status line: of interim (1xx) answers
 * too, so the last one kept is the final answer's. */
static size_t
on_header(char *data, size_t size, size_t n, void *res_)
{
    struct ctl_fetch_result *res = res_;
    size_t i, k = 0;

    (void)size;
    /* "HTTP/1.1 200 OK\r\n": the reason follows the code's space. */
    if (n < 13 || memcmp(data, "HTTP/", 5)) {
        return n;
    }
    i = 5;
    while (i < n && data[i] != ' ') {
        i++;
    }
    i += 5; /* " 200 " */
    for (; i < n && data[i] != '\r' && data[i] != '\n' &&
           k + 1 < sizeof res->reason;
         i++) {
        unsigned char c = (unsigned char)data[i];

        res->reason[k++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
    }
    res->reason[k] = '\0';
    return n;
}

/* Sets the options of one GET; returns the first that failed. */
static CURLcode
setup(CURL *h, const char *url, double timeout, const char *user_agent,
      struct px_buf *body, struct ctl_fetch_result *res, char *errbuf)
{
    long ms = timeout * 1000 < 1 ? 1 : (long)ceil(timeout * 1000);
    size_t room = body->limit - body->len;
    CURLcode rc;

#define SET(OPT, VALUE)                                                       \
    if ((rc = curl_easy_setopt(h, OPT, VALUE))) {                             \
        return rc;                                                            \
    }
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_URL, url);
    /* The stats endpoint is plain HTTP on this host or a trusted network:
     * nothing else is spoken, nothing is followed, and no proxy from the
     * environment stands in between. */
    SET(CURLOPT_PROTOCOLS_STR, "http");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_USERAGENT, user_agent);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, ms);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, body);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, res);
    /* A Content-Length past the bound fails before the body is read. */
    if (room < (size_t)INT64_MAX) {
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)room);
    }
#undef SET
    return CURLE_OK;
}

enum ctl_fetch_status
ctl_fetch(const char *url, double timeout, const char *user_agent,
          struct px_buf *body, struct ctl_fetch_result *res)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_off_t connect_us = 0;
    long os_errno = 0;
    CURLcode rc;
    CURL *h;

    memset(res, 0, sizeof *res);
    h = curl_easy_init();
    if (!h) {
        snprintf(res->why, sizeof res->why, "cannot start libcurl");
        return res->status = CTL_FETCH_BAD;
    }
    rc = setup(h, url, timeout, user_agent, body, res, errbuf);
    if (!rc) {
        rc = curl_easy_perform(h);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->code);
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_cleanup(h);

    if (!errbuf[0]) {
        snprintf(errbuf, sizeof errbuf, "%s", curl_easy_strerror(rc));
    }
    switch (rc) {
    case CURLE_OK:
        if (res->code == 200) {
            return res->status = CTL_FETCH_OK;
        }
        px_set_why(res->why, sizeof res->why, "HTTP %ld%s%s", res->code,
                   res->reason[0] ? " " : "", res->reason);
        return res->status = CTL_FETCH_STATUS;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        px_set_why(res->why, sizeof res->why, "%s",
                   os_errno ? strerror((int)os_errno) : errbuf);
        return res->status = CTL_FETCH_UNREACHABLE;
    case CURLE_OPERATION_TIMEDOUT:
        if (!connect_us) {
            snprintf(res->why, sizeof res->why, "connection timed out");
            return res->status = CTL_FETCH_UNREACHABLE;
        }
        snprintf(res->why, sizeof res->why,
                 "no complete answer before the deadline");
        return res->status = CTL_FETCH_TIMEOUT;
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_WRITE_ERROR:
        if (rc == CURLE_FILESIZE_EXCEEDED || px_buf_error(body) == ENOBUFS) {
            if (body->limit % (1u << 20)) {
                snprintf(res->why, sizeof res->why,
                         "response larger than %zu bytes", body->limit);
            } else {
                snprintf(res->why, sizeof res->why,
                         "response larger than %zu MiB", body->limit >> 20);
            }
            return res->status = CTL_FETCH_TOO_BIG;
        }
        snprintf(res->why, sizeof res->why, "%s",
                 px_buf_error(body) ? strerror(px_buf_error(body)) : errbuf);
        return res->status = CTL_FETCH_BAD;
    default:
        px_set_why(res->why, sizeof res->why, "bad HTTP response: %s", errbuf);
        return res->status = CTL_FETCH_BAD;
    }
}
