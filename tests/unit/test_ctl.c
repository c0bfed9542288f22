/*
 * Unit tests for plexusctl's HTTP client (host/plexusctl/ctl_fetch.c),
 * which "plexusctl metrics" uses: the URLs -u accepts and the ones it
 * refuses, and GETs against canned answers of a one-shot server on
 * loopback (a forked child): whole bodies by Content-Length, chunked and
 * up to the close; interim answers; other statuses and their reasons,
 * redirects not followed; bodies cut short, garbage and empty answers;
 * bodies past the bound, announced or not; a refused connection and a
 * server that never answers.  Each failure must come out as the status
 * plexusctl turns into its exit code, with a message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "plexusctl/ctl_fetch.h"

#define assert_contains(HAYSTACK, NEEDLE)                                     \
    do {                                                                      \
        if (!strstr((HAYSTACK), (NEEDLE))) {                                  \
            print_error("'%s' not found in '%s'\n", (NEEDLE), (HAYSTACK));    \
            fail();                                                           \
        }                                                                     \
    } while (0)

/* ------------------------------------------------------------------------
 * URLs. */

static void
test_parse_url(void **state)
{
    char host[64], why[256];
    int port;

    (void)state;
    assert_int_equal(ctl_fetch_parse_url("http://127.0.0.1:9330", 1, host,
                                         sizeof host, &port, why, sizeof why),
                     0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9330);

    assert_int_equal(ctl_fetch_parse_url("HTTP://localhost/", 9330, host,
                                         sizeof host, &port, why, sizeof why),
                     0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 9330);

    assert_int_equal(ctl_fetch_parse_url("[::1]:80", 1, host, sizeof host,
                                         &port, why, sizeof why),
                     0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 80);

    assert_int_equal(ctl_fetch_parse_url("example.org:65535/", 1, host,
                                         sizeof host, &port, why, sizeof why),
                     0);
    assert_string_equal(host, "example.org");
    assert_int_equal(port, 65535);

#define BAD_URL(URL, NEEDLE)                                                  \
    do {                                                                      \
        why[0] = '\0';                                                        \
        assert_int_equal(ctl_fetch_parse_url((URL), 1, host, sizeof host,     \
                                             &port, why, sizeof why),         \
                         EINVAL);                                             \
        assert_contains(why, (NEEDLE));                                       \
    } while (0)
    BAD_URL("https://x", "only http://");
    BAD_URL("ftp://x:21", "only http://");
    BAD_URL("http://", "no host name");
    BAD_URL("http://:80", "no host name");
    BAD_URL("http://x:0", "bad port");
    BAD_URL("http://x:65536", "bad port");
    BAD_URL("http://x:1234567", "bad port");
    BAD_URL("http://x:80x", "bad port");
    BAD_URL("http://x:80/metrics", "no path or query");
    BAD_URL("http://x/?", "no path or query");
    BAD_URL("http://x?a=b", "no path or query");
    BAD_URL("http://x#f", "no path or query");
    BAD_URL("http://user@x", "no user name");
    BAD_URL("http://u:p@x:80", "no user name");
    BAD_URL("http://[fe80::1%25eth0]:9", "zone id");
    /* libcurl would decode it to "3", then normalise that to "0.0.0.3". */
    BAD_URL("%33", "percent-encoding");
    /* What libcurl refuses is refused with its words, and the URL. */
    BAD_URL("http://[::1", "'http://[::1'");
    BAD_URL("http://a b", "'http://a b'");
    BAD_URL("http://x\ny", "'http://x?y'");
    BAD_URL(
        "http://"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "too long a host name");
#undef BAD_URL
}

static void
test_format_url(void **state)
{
    char buf[32];

    (void)state;
    assert_int_equal(ctl_fetch_format_url("127.0.0.1", 9330, buf, sizeof buf),
                     0);
    assert_string_equal(buf, "http://127.0.0.1:9330");
    assert_int_equal(ctl_fetch_format_url("::1", 80, buf, sizeof buf), 0);
    assert_string_equal(buf, "http://[::1]:80");
    assert_int_equal(ctl_fetch_format_url("a-very-long-host-name.example",
                                          65535, buf, sizeof buf),
                     ENOSPC);
}

/* ------------------------------------------------------------------------
 * A one-shot server. */

struct server {
    pid_t pid;
    int port;
    char url[64];
};

/* Reads the request's header in the child; returns nonzero if it is the
 * GET plexusctl sends. */
static int
read_request(int fd)
{
    char req[4096];
    size_t len = 0;

    while (len < sizeof req - 1) {
        ssize_t n = recv(fd, req + len, sizeof req - 1 - len, 0);

        if (n <= 0) {
            return 0;
        }
        len += (size_t)n;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n")) {
            return !strncmp(req, "GET /metrics HTTP/1.1\r\n", 23) &&
                   strstr(req, "\r\nUser-Agent: test/1\r\n") != NULL;
        }
    }
    return 0;
}

/* Starts a child that accepts one connection on loopback, reads the
 * request and answers 'len' bytes of 'answer', then closes; with 'answer'
 * NULL it says nothing and waits for the client to close.  The child
 * exits 0 if the request was the expected GET. */
static void
serve(struct server *s, const char *answer, size_t len)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t sin_len = sizeof sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sin_len), 0);
    s->port = ntohs(sin.sin_port);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/metrics", s->port);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (!s->pid) {
        int c = accept(fd, NULL, NULL);
        int ok = c >= 0 && read_request(c);
        char sink[256];

        if (c >= 0 && answer) {
            size_t off = 0;

            while (off < len) {
                ssize_t n = send(c, answer + off, len - off, MSG_NOSIGNAL);

                if (n <= 0) {
                    break;
                }
                off += (size_t)n;
            }
        } else if (c >= 0) {
            /* Silent until the client gives up. */
            while (recv(c, sink, sizeof sink, 0) > 0) {
            }
        }
        _exit(ok ? 0 : 1);
    }
    close(fd);
}

/* Waits for the server; it must have seen the expected request. */
static void
server_done(struct server *s)
{
    int status;

    assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* GETs from a server answering 'answer' into a buffer of 'limit' bytes
 * at most; returns the status, the body in 'body' (the caller destroys
 * it). */
static enum ctl_fetch_status
fetch_answer(const char *answer, size_t limit, double timeout,
             struct px_buf *body, struct ctl_fetch_result *res)
{
    struct server s;
    enum ctl_fetch_status st;

    serve(&s, answer, answer ? strlen(answer) : 0);
    px_buf_init(body, limit);
    st = ctl_fetch(s.url, timeout, "test/1", body, res);
    assert_int_equal(res->status, st);
    server_done(&s);
    return st;
}

#define assert_body(BODY, TEXT)                                               \
    do {                                                                      \
        assert_int_equal((BODY)->len, strlen(TEXT));                          \
        assert_memory_equal(px_buf_cstr(BODY), (TEXT), strlen(TEXT));         \
    } while (0)

/* ------------------------------------------------------------------------
 * Answers. */

static void
test_fetch_ok(void **state)
{
    struct ctl_fetch_result res;
    struct px_buf body;

    (void)state;
    assert_int_equal(fetch_answer("HTTP/1.1 200 OK\r\n"
                                  "Content-Type: text/plain\r\n"
                                  "Content-Length: 12\r\n\r\n"
                                  "a 1\nb 2\nc 3\n",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_OK);
    assert_int_equal(res.code, 200);
    assert_string_equal(res.reason, "OK");
    assert_body(&body, "a 1\nb 2\nc 3\n");
    px_buf_destroy(&body);

    /* Chunked, with a chunk extension and a trailer. */
    assert_int_equal(fetch_answer("HTTP/1.1 200 OK\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n"
                                  "4;x=y\r\nabcd\r\n3\r\nefg\r\n0\r\n"
                                  "X-Trailer: 1\r\n\r\n",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_OK);
    assert_body(&body, "abcdefg");
    px_buf_destroy(&body);

    /* HTTP/1.0 without a length: the body ends with the connection. */
    assert_int_equal(fetch_answer("HTTP/1.0 200 Fine\r\n\r\nup to the close",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_OK);
    assert_string_equal(res.reason, "Fine");
    assert_body(&body, "up to the close");
    px_buf_destroy(&body);

    /* An interim answer first. */
    assert_int_equal(fetch_answer("HTTP/1.1 100 Continue\r\n\r\n"
                                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                  "\r\nhi",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_OK);
    assert_string_equal(res.reason, "OK");
    assert_body(&body, "hi");
    px_buf_destroy(&body);

    /* An empty body is a body. */
    assert_int_equal(fetch_answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                                  "\r\n",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_OK);
    assert_int_equal(body.len, 0);
    px_buf_destroy(&body);
}

static void
test_fetch_status(void **state)
{
    struct ctl_fetch_result res;
    struct px_buf body;

    (void)state;
    assert_int_equal(fetch_answer("HTTP/1.1 404 Not Found\r\n"
                                  "Content-Length: 9\r\n\r\nnot found",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_STATUS);
    assert_int_equal(res.code, 404);
    assert_string_equal(res.why, "HTTP 404 Not Found");
    px_buf_destroy(&body);

    /* A redirect is not followed. */
    assert_int_equal(fetch_answer("HTTP/1.1 301 Moved\r\n"
                                  "Location: http://127.0.0.1:1/\r\n"
                                  "Content-Length: 0\r\n\r\n",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_STATUS);
    assert_int_equal(res.code, 301);
    px_buf_destroy(&body);

    /* The reason phrase reaches a terminal: control bytes are replaced. */
    assert_int_equal(fetch_answer("HTTP/1.1 500 Bad\x1b[2J\x01Thing\r\n"
                                  "Content-Length: 0\r\n\r\n",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_STATUS);
    assert_string_equal(res.reason, "Bad?[2J?Thing");
    assert_string_equal(res.why, "HTTP 500 Bad?[2J?Thing");
    px_buf_destroy(&body);

    /* No reason at all. */
    assert_int_equal(fetch_answer("HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n",
                                  1 << 20, 10, &body, &res),
                     CTL_FETCH_STATUS);
    assert_string_equal(res.why, "HTTP 503");
    px_buf_destroy(&body);
}

static void
test_fetch_bad(void **state)
{
    static const char *const answers[] = {
        /* Cut short of its Content-Length. */
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
        /* A chunk cut short, and a bad chunk size. */
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
        /* Headers never finished. */
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n",
        /* Not HTTP. */
        "hello\r\n\r\n",
        "HTTP/9.9 200 OK\r\n\r\n",
        /* Nothing. */
        "",
    };
    struct ctl_fetch_result res;
    struct px_buf body;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof answers / sizeof *answers; i++) {
        enum ctl_fetch_status st =
            fetch_answer(answers[i], 1 << 20, 10, &body, &res);

        if (st != CTL_FETCH_BAD) {
            fail_msg("answer %zu: status %d (%s), not CTL_FETCH_BAD", i, st,
                     res.why);
        }
        assert_true(res.why[0] != '\0');
        px_buf_destroy(&body);
    }
}

static void
test_fetch_too_big(void **state)
{
    struct ctl_fetch_result res;
    struct px_buf body;

    (void)state;
    /* Announced by its Content-Length. */
    assert_int_equal(fetch_answer("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n"
                                  "\r\n01234567890123456789",
                                  10, 10, &body, &res),
                     CTL_FETCH_TOO_BIG);
    assert_string_equal(res.why, "response larger than 10 bytes");
    px_buf_destroy(&body);

    /* Found out while reading. */
    assert_int_equal(fetch_answer("HTTP/1.1 200 OK\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n"
                                  "14\r\n01234567890123456789\r\n0\r\n\r\n",
                                  10, 10, &body, &res),
                     CTL_FETCH_TOO_BIG);
    px_buf_destroy(&body);
    assert_int_equal(fetch_answer("HTTP/1.0 200 OK\r\n\r\n"
                                  "01234567890123456789",
                                  16, 10, &body, &res),
                     CTL_FETCH_TOO_BIG);
    px_buf_destroy(&body);

    /* Exactly at the bound is whole. */
    assert_int_equal(fetch_answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
                                  "\r\n0123456789",
                                  10, 10, &body, &res),
                     CTL_FETCH_OK);
    assert_body(&body, "0123456789");
    px_buf_destroy(&body);
}

static void
test_fetch_unreachable(void **state)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t sin_len = sizeof sin;
    struct ctl_fetch_result res;
    struct px_buf body = PX_BUF_INITIALIZER(1 << 20);
    char url[64];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    (void)state;
    /* A port that was just free and has no listener. */
    assert_true(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sin_len), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics",
             ntohs(sin.sin_port));
    assert_int_equal(ctl_fetch(url, 10, "test/1", &body, &res),
                     CTL_FETCH_UNREACHABLE);
    assert_string_equal(res.why, strerror(ECONNREFUSED));
    assert_int_equal(res.code, 0);
    close(fd);
    px_buf_destroy(&body);
}

/* A server that accepts and never answers: the deadline ends it. */
static void
test_fetch_timeout(void **state)
{
    struct ctl_fetch_result res;
    struct px_buf body;

    (void)state;
    assert_int_equal(fetch_answer(NULL, 1 << 20, 0.2, &body, &res),
                     CTL_FETCH_TIMEOUT);
    assert_contains(res.why, "deadline");
    px_buf_destroy(&body);
}

static int
global_setup(void **state)
{
    (void)state;
    return curl_global_init(CURL_GLOBAL_DEFAULT) ? -1 : 0;
}

static int
global_teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_format_url),
        cmocka_unit_test(test_fetch_ok),
        cmocka_unit_test(test_fetch_status),
        cmocka_unit_test(test_fetch_bad),
        cmocka_unit_test(test_fetch_too_big),
        cmocka_unit_test(test_fetch_unreachable),
        cmocka_unit_test(test_fetch_timeout),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests_name("ctl_fetch", tests, global_setup,
                                       global_teardown);
}
