/*
 * plexusctl's HTTP client parts: the HTTP/1.x response parser, URL parsing
 * and request formatting.  No sockets here, so that the unit tests and the
 * fuzzer reach all of it; see ctl_http.h.
 */
#include "ctl_http.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host_util.h"

/* ------------------------------------------------------------------------
 * Response parsing. */

/* A cursor over the received bytes. */
struct cursor {
    const char *p;
    const char *end;
};

/* Takes the next line, without its LF and an optional CR before it, from
 * 'c', looking at most 'limit' bytes ahead.  Returns 0, or ENOENT when no
 * line feed follows within the limit. */
static int
next_line(struct cursor *c, size_t limit, const char **line, size_t *len)
{
    size_t avail = (size_t)(c->end - c->p);
    const char *nl = memchr(c->p, '\n', avail < limit ? avail : limit);

    if (!nl) {
        return ENOENT;
    }
    *line = c->p;
    *len = (size_t)(nl - c->p);
    if (*len && nl[-1] == '\r') {
        (*len)--;
    }
    c->p = nl + 1;
    return 0;
}

static int
is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static int
is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int
token_equals(const char *s, size_t len, const char *token)
{
    return strlen(token) == len && !strncasecmp(s, token, len);
}

/* Copies up to 40 bytes of 's' for a message, NULs and all (px_set_why
 * replaces what cannot be shown). */
static const char *
snippet(const char *s, size_t len, char *buf, size_t size)
{
    size_t i, n = len < 40 ? len : 40;

    n = n < size - 1 ? n : size - 1;
    for (i = 0; i < n; i++) {
        buf[i] = s[i] ? s[i] : '?';
    }
    buf[n] = '\0';
    return buf;
}

/* "HTTP/1.x SSS[ reason]". */
static int
parse_status_line(const char *line, size_t len, struct ctl_http_response *resp,
                  char *why, size_t why_size)
{
    char quoted[48];
    size_t i, n;

    if (len < 12 || memcmp(line, "HTTP/1.", 7) || !is_digit(line[7]) ||
        line[8] != ' ') {
        px_set_why(why, why_size, "not an HTTP/1.x status line: '%s'",
                   snippet(line, len, quoted, sizeof quoted));
        return EINVAL;
    }
    if (line[9] < '1' || line[9] > '5' || !is_digit(line[10]) ||
        !is_digit(line[11]) || (len > 12 && line[12] != ' ')) {
        px_set_why(why, why_size, "bad status code in '%s'",
                   snippet(line, len, quoted, sizeof quoted));
        return EINVAL;
    }
    resp->minor_version = line[7] - '0';
    resp->status =
        (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');

    /* The reason phrase is only for messages: keep a filtered prefix. */
    n = 0;
    for (i = 13; i < len && n + 1 < sizeof resp->reason; i++) {
        unsigned char c = line[i];

        resp->reason[n++] = is_ctl(c) || c >= 0x80 ? '?' : (char)c;
    }
    resp->reason[n] = '\0';
    return 0;
}

/* Parses a Content-Length value: digits only, at most 2^62, since a list
 * ("5, 5") or a sign would let two parties disagree on the body. */
static int
parse_content_length(const char *s, size_t len, long long *out)
{
    unsigned long long v = 0;
    size_t i;

    if (!len) {
        return EINVAL;
    }
    for (i = 0; i < len; i++) {
        if (!is_digit(s[i])) {
            return EINVAL;
        }
        v = v * 10 + (unsigned long long)(s[i] - '0');
        if (v > (1ULL << 62)) {
            return ERANGE;
        }
    }
    *out = (long long)v;
    return 0;
}

/* Transfer-Encoding: only "chunked" (possibly after "identity") is
 * understood; any other coding would hand the JSON parser compressed
 * bytes. */
static int
parse_transfer_encoding(const char *s, size_t len, int *chunked, char *why,
                        size_t why_size)
{
    while (len) {
        const char *comma = memchr(s, ',', len);
        size_t n = comma ? (size_t)(comma - s) : len;
        const char *tok = s;
        size_t tok_len = n;

        px_trim(&tok, &tok_len);
        if (token_equals(tok, tok_len, "chunked")) {
            if (comma) {
                px_set_why(
                    why, why_size,
                    "Transfer-Encoding: chunked is not the last coding");
                return EINVAL;
            }
            *chunked = 1;
        } else if (tok_len && !token_equals(tok, tok_len, "identity")) {
            px_set_why(why, why_size, "unsupported Transfer-Encoding '%.*s'",
                       (int)(tok_len < 40 ? tok_len : 40), tok);
            return EINVAL;
        }
        if (!comma) {
            break;
        }
        s = comma + 1;
        len -= n + 1;
    }
    return 0;
}

static int
parse_header(const char *line, size_t len, struct ctl_http_response *resp,
             char *why, size_t why_size)
{
    const char *colon = memchr(line, ':', len);
    const char *value;
    size_t name_len, value_len, i;

    if (line[0] == ' ' || line[0] == '\t') {
        px_set_why(why, why_size, "folded header line");
        return EINVAL;
    }
    if (!colon || colon == line) {
        px_set_why(why, why_size, "malformed header line '%.*s'",
                   (int)(len < 40 ? len : 40), line);
        return EINVAL;
    }
    name_len = (size_t)(colon - line);
    for (i = 0; i < name_len; i++) {
        if (!is_tchar(line[i])) {
            px_set_why(why, why_size, "bad character in header name '%.*s'",
                       (int)(name_len < 40 ? name_len : 40), line);
            return EINVAL;
        }
    }
    value = colon + 1;
    value_len = len - name_len - 1;
    for (i = 0; i < value_len; i++) {
        if (is_ctl(value[i]) && value[i] != '\t') {
            px_set_why(why, why_size, "control character in header '%.*s'",
                       (int)(name_len < 40 ? name_len : 40), line);
            return EINVAL;
        }
    }
    px_trim(&value, &value_len);

    if (token_equals(line, name_len, "Content-Length")) {
        long long cl;
        int error = parse_content_length(value, value_len, &cl);

        if (error) {
            px_set_why(why, why_size, "%s Content-Length '%.*s'",
                       error == ERANGE ? "too large a" : "invalid",
                       (int)(value_len < 40 ? value_len : 40), value);
            return EINVAL;
        }
        if (resp->content_length >= 0 && resp->content_length != cl) {
            px_set_why(why, why_size, "conflicting Content-Length headers");
            return EINVAL;
        }
        resp->content_length = cl;
    } else if (token_equals(line, name_len, "Transfer-Encoding")) {
        return parse_transfer_encoding(value, value_len, &resp->chunked, why,
                                       why_size);
    }
    return 0;
}

/* Parses the status line and headers at 'c', leaving 'c' at the body. */
static int
parse_head(struct cursor *c, struct ctl_http_response *resp, char *why,
           size_t why_size)
{
    const char *start = c->p;
    const char *line;
    size_t len;
    int error;

    if (c->p == c->end) {
        px_set_why(why, why_size, "empty response");
        return EINVAL;
    }
    resp->content_length = -1;
    resp->chunked = 0;
    if (next_line(c, CTL_HTTP_MAX_HEADERS, &line, &len)) {
        px_set_why(why, why_size, "truncated status line");
        return EINVAL;
    }
    error = parse_status_line(line, len, resp, why, why_size);
    if (error) {
        return error;
    }
    for (;;) {
        size_t used = (size_t)(c->p - start);

        if (used >= CTL_HTTP_MAX_HEADERS ||
            next_line(c, CTL_HTTP_MAX_HEADERS - used, &line, &len)) {
            if (used >= CTL_HTTP_MAX_HEADERS ||
                (size_t)(c->end - c->p) >= CTL_HTTP_MAX_HEADERS - used) {
                px_set_why(why, why_size, "headers longer than %u bytes",
                           CTL_HTTP_MAX_HEADERS);
            } else {
                px_set_why(why, why_size,
                           "truncated headers (no empty line after them)");
            }
            return EINVAL;
        }
        if (!len) {
            return 0;
        }
        error = parse_header(line, len, resp, why, why_size);
        if (error) {
            return error;
        }
    }
}

/* Parses one chunk-size line: hex digits, optional spaces, an optional
 * extension after ';'. */
static int
parse_chunk_size(const char *line, size_t len, size_t *size)
{
    size_t v = 0, i = 0;

    for (; i < len; i++) {
        unsigned char ch = line[i];
        int d;

        if (is_digit(ch)) {
            d = ch - '0';
        } else if (ch >= 'a' && ch <= 'f') {
            d = ch - 'a' + 10;
        } else if (ch >= 'A' && ch <= 'F') {
            d = ch - 'A' + 10;
        } else {
            break;
        }
        if (v > (SIZE_MAX >> 4)) {
            return ERANGE;
        }
        v = (v << 4) | (size_t)d;
    }
    if (!i) {
        return EINVAL;
    }
    while (i < len && (line[i] == ' ' || line[i] == '\t')) {
        i++;
    }
    if (i < len && line[i] != ';') {
        return EINVAL;
    }
    *size = v;
    return 0;
}

/* Decodes a chunked body at 'c' into a new buffer: never longer than the
 * input, which bounds it. */
static int
decode_chunked(struct cursor *c, struct ctl_http_response *resp, char *why,
               size_t why_size)
{
    size_t avail = (size_t)(c->end - c->p);
    char *out = malloc(avail + 1);
    size_t n = 0;

    if (!out) {
        px_set_why(why, why_size, "out of memory");
        return ENOMEM;
    }
    for (;;) {
        const char *line;
        size_t len, size;
        int error;

        if (next_line(c, 1024, &line, &len)) {
            px_set_why(why, why_size, "truncated chunked body");
            goto error;
        }
        error = parse_chunk_size(line, len, &size);
        if (error) {
            px_set_why(why, why_size, "%s chunk size '%.*s'",
                       error == ERANGE ? "too large a" : "invalid",
                       (int)(len < 40 ? len : 40), line);
            goto error;
        }
        if (!size) {
            break;
        }
        if (size > (size_t)(c->end - c->p)) {
            px_set_why(why, why_size,
                       "truncated chunk (%zu bytes announced, %zu received)",
                       size, (size_t)(c->end - c->p));
            goto error;
        }
        memcpy(out + n, c->p, size);
        n += size;
        c->p += size;
        if (next_line(c, 2, &line, &len) || len) {
            px_set_why(why, why_size, "no line end after a chunk");
            goto error;
        }
    }
    /* Trailer fields, which nobody needs, up to the final empty line. */
    for (;;) {
        const char *line;
        size_t len;

        if (next_line(c, CTL_HTTP_MAX_HEADERS, &line, &len)) {
            px_set_why(why, why_size,
                       "truncated chunked body (no final line)");
            goto error;
        }
        if (!len) {
            break;
        }
    }
    out[n] = '\0';
    resp->decoded = out;
    resp->body = out;
    resp->body_len = n;
    resp->extra = (size_t)(c->end - c->p);
    return 0;

error:
    free(out);
    return EINVAL;
}

int
ctl_http_parse_response(const char *buf, size_t len,
                        struct ctl_http_response *resp, char *why,
                        size_t why_size)
{
    struct cursor c = {buf, buf + len};
    size_t rest;
    int interim, error;

    memset(resp, 0, sizeof *resp);
    resp->content_length = -1;
    if (!buf) {
        px_set_why(why, why_size, "empty response");
        return EINVAL;
    }
    for (interim = 0;; interim++) {
        error = parse_head(&c, resp, why, why_size);
        if (error) {
            return error;
        }
        if (resp->status >= 200) {
            break;
        }
        if (interim >= CTL_HTTP_MAX_INTERIM) {
            px_set_why(why, why_size, "more than %d interim responses",
                       CTL_HTTP_MAX_INTERIM);
            return EINVAL;
        }
    }

    rest = (size_t)(c.end - c.p);
    if (resp->status == 204 || resp->status == 304) {
        resp->body = c.p;
        resp->extra = rest;
        return 0;
    }
    if (resp->chunked) {
        /* Transfer-Encoding overrides Content-Length (RFC 9112 6.3). */
        resp->content_length = -1;
        return decode_chunked(&c, resp, why, why_size);
    }
    resp->body = c.p;
    if (resp->content_length < 0) {
        /* Delimited by the end of the connection. */
        resp->body_len = rest;
    } else if ((unsigned long long)resp->content_length > rest) {
        px_set_why(why, why_size,
                   "truncated body (Content-Length %lld, %zu bytes received)",
                   resp->content_length, rest);
        return EINVAL;
    } else {
        resp->body_len = (size_t)resp->content_length;
        resp->extra = rest - resp->body_len;
    }
    return 0;
}

void
ctl_http_response_clear(struct ctl_http_response *resp)
{
    if (resp) {
        free(resp->decoded);
        resp->decoded = NULL;
        resp->body = NULL;
        resp->body_len = 0;
    }
}

/* ------------------------------------------------------------------------
 * URL and request. */

int
ctl_http_parse_url(const char *url, int default_port, char *host,
                   size_t host_size, int *port, char *why, size_t why_size)
{
    const char *s = url, *h, *end;
    size_t h_len;

    if (!strncasecmp(s, "http://", 7)) {
        s += 7;
    } else if (strstr(s, "://")) {
        px_set_why(why, why_size, "'%s': only http:// URLs are supported",
                   url);
        return EINVAL;
    }
    if (*s == '[') {
        h = s + 1;
        end = strchr(h, ']');
        if (!end) {
            px_set_why(why, why_size, "'%s': unterminated '['", url);
            return EINVAL;
        }
        h_len = (size_t)(end - h);
        s = end + 1;
    } else {
        h = s;
        h_len = strcspn(s, ":/");
        s += h_len;
    }
    if (!h_len || h_len >= host_size) {
        px_set_why(why, why_size, "'%s': %s host name", url,
                   h_len ? "too long a" : "no");
        return EINVAL;
    }
    for (size_t i = 0; i < h_len; i++) {
        unsigned char c = h[i];

        if (is_ctl(c) || c == ' ' || c == '@' || c == '[' || c == ']' ||
            c == '/' || c == '?' || c == '#' || c >= 0x80) {
            px_set_why(why, why_size, "'%s': bad character in the host name",
                       url);
            return EINVAL;
        }
    }
    *port = default_port;
    if (*s == ':') {
        long v = 0;
        int digits = 0;

        for (s++; is_digit(*s) && digits < 6; s++, digits++) {
            v = v * 10 + (*s - '0');
        }
        if (!digits || is_digit(*s) || v < 1 || v > 65535) {
            px_set_why(why, why_size, "'%s': bad port", url);
            return EINVAL;
        }
        *port = (int)v;
    }
    if (*s && strcmp(s, "/")) {
        px_set_why(why, why_size,
                   "'%s': give only http://HOST:PORT (no path or query)", url);
        return EINVAL;
    }
    memcpy(host, h, h_len);
    host[h_len] = '\0';
    return 0;
}

static int
is_clean_token(const char *s)
{
    for (; *s; s++) {
        if (is_ctl((unsigned char)*s) || *s == ' ') {
            return 0;
        }
    }
    return 1;
}

int
ctl_http_format_request(const char *path, const char *host, int port,
                        const char *user_agent, char *buf, size_t size,
                        size_t *len)
{
    int n;

    if (path[0] != '/' || !is_clean_token(path) || !host[0] ||
        !is_clean_token(host) || !is_clean_token(user_agent)) {
        return EINVAL;
    }
    n = snprintf(buf, size,
                 "GET %s HTTP/1.0\r\n"
                 "Host: %s%s%s:%d\r\n"
                 "User-Agent: %s\r\n"
                 "Accept: */*\r\n"
                 "\r\n",
                 path, strchr(host, ':') ? "[" : "", host,
                 strchr(host, ':') ? "]" : "", port, user_agent);
    if (n < 0 || (size_t)n >= size) {
        return ENOSPC;
    }
    *len = (size_t)n;
    return 0;
}
