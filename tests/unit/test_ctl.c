/*
 * Unit tests for plexusctl's pure helpers (host/ctl_http.c): the HTTP/1.x
 * response parser (well-formed answers, bodies shorter or longer than their
 * Content-Length, missing header terminators, garbage status lines, huge
 * numbers, chunked bodies and the codings it refuses), URL parsing, request
 * formatting, and the layout of what plexusctl prints: ages, numbers,
 * tables and reload outcomes.
 *
 * Printed output is captured with open_memstream and compared whole, so a
 * change of layout shows up as a readable diff.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_http.h"

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

static void
test_format_age(void **state)
{
    static const struct {
        double seconds;
        const char *text;
    } cases[] = {
        {0, "0s"},
        {12.9, "12s"},
        {59.99, "59s"},
        {60, "1m00s"},
        {247, "4m07s"},
        {3599, "59m59s"},
        {3600, "1h00m"},
        {7500, "2h05m"},
        {86399, "23h59m"},
        {86400, "1d00h"},
        {3 * 86400 + 4 * 3600 + 59, "3d04h"},
        {400 * 86400.0, "400d00h"},
        {-1, "-"},
        {-0.001, "-"},
        {1e300, "-"},
    };
    char buf[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(
            ctl_http_format_age(cases[i].seconds, buf, sizeof buf),
            cases[i].text);
    }
    assert_string_equal(ctl_http_format_age(NAN, buf, sizeof buf), "-");
    assert_string_equal(ctl_http_format_age(INFINITY, buf, sizeof buf), "-");
    /* A small buffer is cut, not overrun. */
    assert_string_equal(ctl_http_format_age(7500, buf, 3), "2h");
}

static void
test_format_number(void **state)
{
    char buf[64];

    (void)state;
    assert_string_equal(ctl_http_format_number(0, buf, sizeof buf), "0");
    assert_string_equal(ctl_http_format_number(-0.0, buf, sizeof buf), "0");
    assert_string_equal(ctl_http_format_number(100, buf, sizeof buf), "100");
    assert_string_equal(ctl_http_format_number(-3, buf, sizeof buf), "-3");
    assert_string_equal(
        ctl_http_format_number(9007199254740993.0, buf, sizeof buf),
        "9007199254740992");
    assert_string_equal(ctl_http_format_number(1.5, buf, sizeof buf), "1.5");
    assert_string_equal(ctl_http_format_number(1e20, buf, sizeof buf),
                        "1e+20");
    assert_string_equal(ctl_http_format_number(NAN, buf, sizeof buf), "-");
    assert_string_equal(ctl_http_format_number(-INFINITY, buf, sizeof buf),
                        "-");
}

/* Runs 'print' into a string the caller frees. */
static char *
capture_table(const struct ctl_http_table *t, const char *indent, int *error)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);

    assert_non_null(f);
    *error = ctl_http_table_print(t, f, indent);
    fclose(f);
    return text;
}

static void
test_table_layout(void **state)
{
    struct ctl_http_table *t = ctl_http_table_create();
    char *text;
    int error;

    (void)state;
    assert_non_null(t);
    ctl_http_table_add_column(t, "NAME", CTL_HTTP_LEFT);
    ctl_http_table_add_column(t, "PKT_IN", CTL_HTTP_RIGHT);
    ctl_http_table_add_column(t, "PEER", CTL_HTTP_LEFT);

    ctl_http_table_add_row(t);
    ctl_http_table_set(t, 0, "s1-eth1");
    ctl_http_table_setf(t, 1, "%d", 1234567);
    ctl_http_table_set(t, 2, "10.0.0.1:6653");
    ctl_http_table_add_row(t);
    ctl_http_table_set(t, 0, "p");
    ctl_http_table_set(t, 1, "5");
    /* Missing, empty and NULL cells print as "-". */
    ctl_http_table_set(t, 2, "");
    ctl_http_table_add_row(t);
    ctl_http_table_set(t, 1, NULL);
    /* Beyond the last column: ignored. */
    ctl_http_table_set(t, 3, "ignored");
    assert_int_equal(ctl_http_table_n_rows(t), 3);

    text = capture_table(t, "  ", &error);
    assert_int_equal(error, 0);
    assert_string_equal(text, "  NAME      PKT_IN  PEER\n"
                              "  s1-eth1  1234567  10.0.0.1:6653\n"
                              "  p              5  -\n"
                              "  -              -  -\n");
    free(text);

    /* A column after the first row is a caller's bug, reported. */
    ctl_http_table_add_column(t, "LATE", CTL_HTTP_LEFT);
    text = capture_table(t, NULL, &error);
    assert_int_equal(error, EINVAL);
    assert_string_equal(text, "");
    free(text);
    ctl_http_table_destroy(t);
    ctl_http_table_destroy(NULL);
}

static void
test_table_hostile_cells(void **state)
{
    struct ctl_http_table *t = ctl_http_table_create();
    char long_cell[300];
    char *text, *line;
    int error;

    (void)state;
    ctl_http_table_add_column(t, "NAME", CTL_HTTP_LEFT);
    ctl_http_table_add_column(t, "N", CTL_HTTP_RIGHT);

    /* Escape sequences and newlines never reach the terminal. */
    ctl_http_table_add_row(t);
    ctl_http_table_set(t, 0, "evil\x1b[2J\nname\x7f");
    ctl_http_table_set(t, 1, "1");
    /* UTF-8 takes one column per character. */
    ctl_http_table_add_row(t);
    ctl_http_table_set(t, 0, "caf\xc3\xa9");
    ctl_http_table_set(t, 1, "22");
    text = capture_table(t, "", &error);
    assert_int_equal(error, 0);
    assert_string_equal(text, "NAME             N\n"
                              "evil?[2J?name?   1\n"
                              "caf\xc3\xa9            22\n");
    free(text);

    /* Long cells are cut at CTL_HTTP_CELL_MAX characters. */
    memset(long_cell, 'x', sizeof long_cell - 1);
    long_cell[sizeof long_cell - 1] = '\0';
    ctl_http_table_add_row(t);
    ctl_http_table_set(t, 0, long_cell);
    assert_int_equal(ctl_http_table_truncated(t), 1);
    text = capture_table(t, "", &error);
    assert_int_equal(error, 0);
    line = strrchr(text, '\n');
    assert_non_null(line);
    *line = '\0';
    line = strrchr(text, '\n') + 1;
    assert_int_equal(strlen(line), CTL_HTTP_CELL_MAX + 4);
    assert_int_equal(strspn(line, "x"), CTL_HTTP_CELL_MAX - 3);
    assert_string_equal(line + CTL_HTTP_CELL_MAX - 3, "...   -");
    free(text);

    /* An exactly CTL_HTTP_CELL_MAX long cell is kept whole. */
    long_cell[CTL_HTTP_CELL_MAX] = '\0';
    ctl_http_table_set(t, 0, long_cell);
    assert_int_equal(ctl_http_table_truncated(t), 1);
    ctl_http_table_destroy(t);
}

/* Prints 'r' into a string the caller frees. */
static char *
capture_reload(const struct ctl_http_reload *r)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);

    assert_non_null(f);
    ctl_http_print_reload(f, r);
    fclose(f);
    return text;
}

static void
test_print_reload(void **state)
{
    struct ctl_http_reload r = {
        .id = 7,
        .outcome = "ok",
        .added = "stats,vns_server",
        .removed = "",
        .reloaded = " openflow , ,logger,",
        .reconfigured = NULL,
        .refused = "",
        .error = "",
    };
    char *text;

    (void)state;
    text = capture_reload(&r);
    assert_string_equal(text, "reload 7: done\n"
                              "  added: stats, vns_server\n"
                              "  reloaded: openflow, logger\n");
    free(text);

    r.outcome = "partial";
    r.added = r.reloaded = NULL;
    r.removed = "l2_learning";
    r.reconfigured = "openflow";
    /* A ';' without a space does not separate entries. */
    r.refused = "vns_server: bind: Address already in use; "
                "stats: a;b; ";
    r.error = "vns_server: bind: Address already in use\n"
              "stats: port 9330\r\n"
              "\x1b[31mred\n\n";
    text = capture_reload(&r);
    assert_string_equal(text,
                        "reload 7: partial\n"
                        "  removed: l2_learning\n"
                        "  reconfigured: openflow\n"
                        "  refused: vns_server: bind: Address already in use\n"
                        "  refused: stats: a;b\n"
                        "  error: vns_server: bind: Address already in use\n"
                        "         stats: port 9330\n"
                        "         ?[31mred\n");
    free(text);

    memset(&r, 0, sizeof r);
    r.id = 8;
    r.outcome = "refused";
    r.error = "conf.d/20-openflow.ini:7: port: out of range";
    text = capture_reload(&r);
    assert_string_equal(text,
                        "reload 8: refused, nothing changed\n"
                        "  error: conf.d/20-openflow.ini:7: port: out of "
                        "range\n");
    free(text);

    /* Unknown or missing outcomes are shown, never trusted. */
    memset(&r, 0, sizeof r);
    r.outcome = "weird\nthing";
    text = capture_reload(&r);
    assert_string_equal(text, "reload 0: unknown outcome 'weird?thing'\n");
    free(text);
    r.outcome = NULL;
    text = capture_reload(&r);
    assert_string_equal(text, "reload 0: unknown outcome\n");
    free(text);
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
        cmocka_unit_test(test_format_age),
        cmocka_unit_test(test_format_number),
        cmocka_unit_test(test_table_layout),
        cmocka_unit_test(test_table_hostile_cells),
        cmocka_unit_test(test_print_reload),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
