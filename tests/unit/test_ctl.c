/*
 * Unit tests for plexusctl's HTTP client parts (host/plexusctl/ctl_http.c),
 * which "plexusctl metrics" uses: the HTTP/1.x response parser (well-formed
 * answers, bodies shorter or longer than their Content-Length, missing header
 * terminators, garbage status lines, huge numbers, chunked bodies and the
 * codings it refuses), URL parsing and request formatting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plexusctl/ctl_http.h"

/* Parses 'text' (without its NUL: the parser must not need one) and
 * returns the error. */
static int
parse(const char *text, struct ctl_http_response *resp, char *why,
      size_t why_size)
{
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    int error;

    assert_non_null(copy);
    memcpy(copy, text, len);
    error = ctl_http_parse_response(copy, len, resp, why, why_size);
    if (!error && !resp->decoded) {
        /* The body points into 'copy': keep it readable for the test by
         * re-pointing it at the same offset of 'text'. */
        resp->body = text + (resp->body - copy);
    }
    free(copy);
    return error;
}

#define assert_body(RESP, TEXT)                                               \
    do {                                                                      \
        assert_int_equal((RESP)->body_len, strlen(TEXT));                     \
        assert_memory_equal((RESP)->body, (TEXT), strlen(TEXT));              \
    } while (0)

#define assert_contains(HAYSTACK, NEEDLE)                                     \
    do {                                                                      \
        if (!strstr((HAYSTACK), (NEEDLE))) {                                  \
            print_error("'%s' not found in '%s'\n", (NEEDLE), (HAYSTACK));    \
            fail();                                                           \
        }                                                                     \
    } while (0)

/* Expects a refusal whose message mentions 'needle'. */
static void
expect_invalid(const char *text, const char *needle)
{
    struct ctl_http_response resp;
    char why[256] = "";

    assert_int_equal(parse(text, &resp, why, sizeof why), EINVAL);
    assert_null(resp.decoded);
    assert_contains(why, needle);
}

static void
test_parse_valid(void **state)
{
    struct ctl_http_response resp;
    char why[256];

    (void)state;
    assert_int_equal(parse("HTTP/1.1 200 OK\r\n"
                           "Content-Type: application/json\r\n"
                           "Content-Length: 12\r\n"
                           "\r\n"
                           "{\"a\": [1,2]}",
                           &resp, why, sizeof why),
                     0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.minor_version, 1);
    assert_string_equal(resp.reason, "OK");
    assert_int_equal(resp.content_length, 12);
    assert_false(resp.chunked);
    assert_int_equal(resp.extra, 0);
    assert_body(&resp, "{\"a\": [1,2]}");
    ctl_http_response_clear(&resp);

    /* HTTP/1.0 without Content-Length: the body runs to EOF. */
    assert_int_equal(parse("HTTP/1.0 404 Not Found\r\n\r\nno such page\n",
                           &resp, why, sizeof why),
                     0);
    assert_int_equal(resp.status, 404);
    assert_int_equal(resp.minor_version, 0);
    assert_string_equal(resp.reason, "Not Found");
    assert_int_equal(resp.content_length, -1);
    assert_body(&resp, "no such page\n");

    /* No reason phrase; bare LF line ends; an empty body. */
    assert_int_equal(
        parse("HTTP/1.1 200\nServer: x\n\n", &resp, why, sizeof why), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.reason, "");
    assert_int_equal(resp.body_len, 0);

    /* Header names are case-insensitive; spaces around the value. */
    assert_int_equal(parse("HTTP/1.1 200 OK\r\ncontent-LENGTH:\t 3 \r\n\r\n"
                           "abc",
                           &resp, why, sizeof why),
                     0);
    assert_body(&resp, "abc");

    /* The same Content-Length twice is harmless. */
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                           "Content-Length: 2\r\n\r\nab",
                           &resp, why, sizeof why),
                     0);
    assert_body(&resp, "ab");
}

static void
test_parse_content_length_mismatch(void **state)
{
    struct ctl_http_response resp;
    char why[256];

    (void)state;
    /* Shorter than the body: the rest is ignored and counted. */
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
                           "abcdef",
                           &resp, why, sizeof why),
                     0);
    assert_body(&resp, "abc");
    assert_int_equal(resp.extra, 3);

    /* Longer than the body: a truncated response. */
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                   "truncated body (Content-Length 10, 3 bytes received)");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n",
                   "truncated body");

    /* 204 and 304 have no body whatever the headers say. */
    assert_int_equal(parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n"
                           "\r\nxy",
                           &resp, why, sizeof why),
                     0);
    assert_int_equal(resp.body_len, 0);
    assert_int_equal(resp.extra, 2);
}

static void
test_parse_bad_content_length(void **state)
{
    (void)state;
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999"
                   "9999\r\n\r\n",
                   "too large a Content-Length");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387905"
                   "\r\n\r\n",
                   "too large a Content-Length");
    /* 2^62 itself parses; the body is then simply too short. */
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387904"
                   "\r\n\r\nabc",
                   "truncated body");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                   "invalid Content-Length '-1'");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nabcde",
                   "invalid Content-Length");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nabcde",
                   "invalid Content-Length");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
                   "invalid Content-Length");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
                   "invalid Content-Length");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                   "Content-Length: 2\r\n\r\nab",
                   "conflicting Content-Length");
}

static void
test_parse_missing_end_of_headers(void **state)
{
    (void)state;
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", "truncated "
                                                               "headers");
    expect_invalid("HTTP/1.1 200 OK\r\nContent-Length: 2", "truncated");
    expect_invalid("HTTP/1.1 200 OK", "truncated status line");
    expect_invalid("", "empty response");
}

static void
test_parse_garbage_status(void **state)
{
    struct ctl_http_response resp;
    char why[256];

    (void)state;
    expect_invalid("garbage\r\n\r\n", "not an HTTP/1.x status line");
    expect_invalid("HTTP/2 200 OK\r\n\r\n", "not an HTTP/1.x status line");
    expect_invalid("HTTP/1.1 2000 OK\r\n\r\n", "bad status code");
    expect_invalid("HTTP/1.1 099 Low\r\n\r\n", "bad status code");
    expect_invalid("HTTP/1.1 600 High\r\n\r\n", "bad status code");
    expect_invalid("HTTP/1.1 20x OK\r\n\r\n", "bad status code");
    expect_invalid("HTTP/1.1  200 OK\r\n\r\n", "bad status code");
    expect_invalid("HTTP/1.x 200 OK\r\n\r\n", "not an HTTP/1.x");
    expect_invalid("SSH-2.0-OpenSSH_9.2\r\n", "not an HTTP/1.x");

    /* A hostile reason phrase is kept, filtered and cut. */
    assert_int_equal(parse("HTTP/1.1 500 \x1b[31mred\x7f\xff and a reason "
                           "phrase far longer than anyone needs to read on "
                           "a terminal\r\n\r\n",
                           &resp, why, sizeof why),
                     0);
    assert_int_equal(resp.status, 500);
    assert_int_equal(strlen(resp.reason), sizeof resp.reason - 1);
    assert_memory_equal(resp.reason, "?[31mred?? and", 14);
}

static void
test_parse_bad_headers(void **state)
{
    char *big;
    size_t i;

    (void)state;
    expect_invalid("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
                   "malformed header line");
    expect_invalid("HTTP/1.1 200 OK\r\n: value\r\n\r\n",
                   "malformed header line");
    expect_invalid("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
                   "folded header line");
    expect_invalid("HTTP/1.1 200 OK\r\nContent Length: 1\r\n\r\nx",
                   "bad character in header name");
    expect_invalid("HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n",
                   "control character in header");
    expect_invalid("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
                   "control character in header");

    /* A header section beyond the bound is refused, even when it ends. */
    big = malloc(CTL_HTTP_MAX_HEADERS + 100);
    assert_non_null(big);
    strcpy(big, "HTTP/1.1 200 OK\r\nX: ");
    for (i = strlen(big); i < CTL_HTTP_MAX_HEADERS + 50; i++) {
        big[i] = 'a';
    }
    strcpy(big + i, "\r\n\r\n");
    expect_invalid(big, "headers longer than 65536 bytes");
    /* ... and so is an endless one. */
    big[i] = '\0';
    expect_invalid(big, "headers longer than 65536 bytes");
    free(big);
}

static void
test_parse_interim(void **state)
{
    struct ctl_http_response resp;
    char why[256];
    char text[1024] = "";
    int i;

    (void)state;
    assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\n"
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                           &resp, why, sizeof why),
                     0);
    assert_int_equal(resp.status, 200);
    assert_body(&resp, "ok");

    for (i = 0; i <= CTL_HTTP_MAX_INTERIM; i++) {
        strcat(text, "HTTP/1.1 102 Processing\r\n\r\n");
    }
    strcat(text, "HTTP/1.1 200 OK\r\n\r\n");
    expect_invalid(text, "more than 8 interim responses");
}

static void
test_parse_chunked(void **state)
{
    struct ctl_http_response resp;
    char why[256];

    (void)state;
    assert_int_equal(parse("HTTP/1.1 200 OK\r\n"
                           "Transfer-Encoding: chunked\r\n"
                           "\r\n"
                           "5\r\nhello\r\n"
                           "1;name=value\r\n,\r\n"
                           "A \r\n wonderful\r\n"
                           "0\r\n"
                           "X-Trailer: yes\r\n"
                           "\r\n",
                           &resp, why, sizeof why),
                     0);
    assert_true(resp.chunked);
    assert_non_null(resp.decoded);
    assert_body(&resp, "hello, wonderful");
    assert_int_equal(resp.body[resp.body_len], '\0');
    ctl_http_response_clear(&resp);
    assert_null(resp.decoded);

    /* Transfer-Encoding wins over Content-Length; codings are
     * case-insensitive; identity is no coding. */
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
                           "Transfer-Encoding: identity, CHUNKED\r\n\r\n"
                           "3\r\nabc\r\n0\r\n\r\nextra",
                           &resp, why, sizeof why),
                     0);
    assert_body(&resp, "abc");
    assert_int_equal(resp.content_length, -1);
    assert_int_equal(resp.extra, 5);
    ctl_http_response_clear(&resp);

    /* An empty chunked body. */
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                           "\r\n0\r\n\r\n",
                           &resp, why, sizeof why),
                     0);
    assert_int_equal(resp.body_len, 0);
    ctl_http_response_clear(&resp);

    /* Clearing twice, and clearing NULL, are harmless. */
    ctl_http_response_clear(&resp);
    ctl_http_response_clear(NULL);
}

static void
test_parse_chunked_errors(void **state)
{
    (void)state;
#define CHUNKED "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    expect_invalid(CHUNKED "5\r\nhel", "truncated chunk (5 bytes announced, "
                                       "3 received)");
    expect_invalid(CHUNKED "5\r\nhello", "no line end after a chunk");
    expect_invalid(CHUNKED "5\r\nhelloXY0\r\n\r\n",
                   "no line end after a chunk");
    expect_invalid(CHUNKED "5\r\nhello\r\n", "truncated chunked body");
    expect_invalid(CHUNKED "0\r\n", "no final line");
    expect_invalid(CHUNKED "0\r\nX: y\r\n", "no final line");
    expect_invalid(CHUNKED "\r\n", "invalid chunk size ''");
    expect_invalid(CHUNKED "zz\r\n", "invalid chunk size 'zz'");
    expect_invalid(CHUNKED "-1\r\n", "invalid chunk size");
    expect_invalid(CHUNKED "5 x\r\nhello\r\n0\r\n\r\n", "invalid chunk size");
    expect_invalid(CHUNKED "fffffffffffffffff\r\n", "too large a chunk size");
    expect_invalid(CHUNKED "ffffffffffffffff\r\nabc\r\n0\r\n\r\n",
                   "truncated chunk");
    expect_invalid(CHUNKED, "truncated chunked body");
#undef CHUNKED
    expect_invalid("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                   "unsupported Transfer-Encoding 'gzip'");
    expect_invalid("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked"
                   "\r\n\r\n0\r\n\r\n",
                   "unsupported Transfer-Encoding 'gzip'");
    expect_invalid("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip"
                   "\r\n\r\n",
                   "chunked is not the last coding");
}

static void
test_parse_url(void **state)
{
    char host[64], why[256];
    int port;

    (void)state;
    assert_int_equal(ctl_http_parse_url("http://127.0.0.1:9330", 1, host,
                                        sizeof host, &port, why, sizeof why),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9330);

    assert_int_equal(ctl_http_parse_url("HTTP://localhost/", 9330, host,
                                        sizeof host, &port, why, sizeof why),
                     0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 9330);

    assert_int_equal(ctl_http_parse_url("[::1]:80", 1, host, sizeof host,
                                        &port, why, sizeof why),
                     0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 80);

    assert_int_equal(ctl_http_parse_url("example.org:65535/", 1, host,
                                        sizeof host, &port, why, sizeof why),
                     0);
    assert_int_equal(port, 65535);

#define BAD_URL(URL, NEEDLE)                                                  \
    do {                                                                      \
        assert_int_equal(ctl_http_parse_url((URL), 1, host, sizeof host,      \
                                            &port, why, sizeof why),          \
                         EINVAL);                                             \
        assert_contains(why, (NEEDLE));                                       \
    } while (0)
    BAD_URL("https://x", "only http://");
    BAD_URL("http://", "no host name");
    BAD_URL("http://:80", "no host name");
    BAD_URL("http://x:0", "bad port");
    BAD_URL("http://x:65536", "bad port");
    BAD_URL("http://x:1234567", "bad port");
    BAD_URL("http://x:", "bad port");
    BAD_URL("http://x:80/metrics", "no path or query");
    BAD_URL("http://x:80x", "no path or query");
    BAD_URL("http://[::1", "unterminated");
    BAD_URL("http://user@x", "bad character");
    BAD_URL("http://a b", "bad character");
    BAD_URL(
        "http://"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "too long a host name");
#undef BAD_URL
}

static void
test_format_request(void **state)
{
    char buf[256];
    size_t len;

    (void)state;
    assert_int_equal(ctl_http_format_request("/stats.json", "127.0.0.1", 9330,
                                             "plexusctl/1", buf, sizeof buf,
                                             &len),
                     0);
    assert_string_equal(buf, "GET /stats.json HTTP/1.0\r\n"
                             "Host: 127.0.0.1:9330\r\n"
                             "User-Agent: plexusctl/1\r\n"
                             "Accept: */*\r\n"
                             "\r\n");
    assert_int_equal(len, strlen(buf));

    assert_int_equal(
        ctl_http_format_request("/", "::1", 80, "u", buf, sizeof buf, &len),
        0);
    assert_contains(buf, "Host: [::1]:80\r\n");

    assert_int_equal(
        ctl_http_format_request("x", "h", 1, "u", buf, sizeof buf, &len),
        EINVAL);
    assert_int_equal(ctl_http_format_request("/a\r\nX: y", "h", 1, "u", buf,
                                             sizeof buf, &len),
                     EINVAL);
    assert_int_equal(
        ctl_http_format_request("/a b", "h", 1, "u", buf, sizeof buf, &len),
        EINVAL);
    assert_int_equal(
        ctl_http_format_request("/", "h\n", 1, "u", buf, sizeof buf, &len),
        EINVAL);
    assert_int_equal(
        ctl_http_format_request("/", "", 1, "u", buf, sizeof buf, &len),
        EINVAL);
    assert_int_equal(ctl_http_format_request("/", "h", 1, "u", buf, 20, &len),
                     ENOSPC);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_content_length_mismatch),
        cmocka_unit_test(test_parse_bad_content_length),
        cmocka_unit_test(test_parse_missing_end_of_headers),
        cmocka_unit_test(test_parse_garbage_status),
        cmocka_unit_test(test_parse_bad_headers),
        cmocka_unit_test(test_parse_interim),
        cmocka_unit_test(test_parse_chunked),
        cmocka_unit_test(test_parse_chunked_errors),
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_format_request),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
