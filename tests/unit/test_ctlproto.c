/*
 * Unit tests of the control socket's protocol (host/ctl_proto.c): request
 * lines well-formed and not (every way one can be refused, and the id kept
 * for the error reply), responses encoded and parsed back (text that is
 * not UTF-8, line breaks that must not break the one-line framing, data,
 * errors), command names, the filter that keeps daemon text off a
 * terminal's escape sequences, and the text of a reload's outcome.
 *
 * Printed output is captured with open_memstream and compared whole, so a
 * change of layout shows up as a readable diff.
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

#include "ctl_proto.h"
#include "plexus/topics/host.h"

/* Parses 'text' (without its NUL: the parser must not need one). */
static int
parse_request(const char *text, size_t len, struct px_ctl_request *req,
              char *why, size_t why_size)
{
    char *copy = malloc(len ? len : 1);
    int error;

    assert_non_null(copy);
    memcpy(copy, text, len);
    error = px_ctl_request_parse(copy, len, req, why, why_size);
    free(copy);
    return error;
}

static void
test_request_valid(void **state)
{
    static const char line[] =
        "{\"id\":1,\"method\":\"ports\",\"params\":[\"1\",\"x y\"],"
        "\"json\":true}";
    struct px_ctl_request req;
    char why[256];

    (void)state;
    assert_int_equal(
        parse_request(line, sizeof line - 1, &req, why, sizeof why), 0);
    assert_string_equal(req.method, "ports");
    assert_int_equal(req.argc, 3);
    assert_string_equal(req.argv[0], "ports");
    assert_string_equal(req.argv[1], "1");
    assert_string_equal(req.argv[2], "x y");
    assert_null(req.argv[3]);
    assert_true(req.want_json);
    assert_true(json_is_integer(req.id));
    assert_int_equal(json_integer_value(req.id), 1);
    px_ctl_request_clear(&req);
    assert_null(req.argv);

    /* params and json are optional; an id may be any value but null; a
     * blank and a CR around the object are JSON whitespace. */
    {
        static const char bare[] = " {\"method\":\"status\",\"id\":\"a\"}\r";

        assert_int_equal(
            parse_request(bare, sizeof bare - 1, &req, why, sizeof why), 0);
        assert_int_equal(req.argc, 1);
        assert_false(req.want_json);
        assert_string_equal(json_string_value(req.id), "a");
        px_ctl_request_clear(&req);
    }
    {
        static const char nulls[] =
            "{\"id\":[1],\"method\":\"a-b.c_9\",\"params\":null,\"x\":{}}";

        assert_int_equal(
            parse_request(nulls, sizeof nulls - 1, &req, why, sizeof why), 0);
        assert_true(json_is_array(req.id));
        px_ctl_request_clear(&req);
    }
    px_ctl_request_clear(NULL);
}

static void
test_request_invalid(void **state)
{
    static const struct {
        const char *line;
        const char *why; /* A part of the reason. */
        int has_id;      /* The error reply can carry the id (1). */
    } cases[] = {
        {"", "invalid JSON", 0},
        {"garbage", "invalid JSON", 0},
        {"{\"id\":1,\"method\":\"x\"", "invalid JSON", 0},
        {"{\"id\":1,\"method\":\"x\"} {}", "invalid JSON", 0},
        {"[1,2]", "a request is a JSON object", 0},
        {"\"status\"", "invalid JSON", 0},
        {"{\"method\":\"x\"}", "no \"id\"", 0},
        {"{\"id\":null,\"method\":\"x\"}", "no \"id\"", 0},
        {"{\"id\":1}", "\"method\" is not a command name", 1},
        {"{\"id\":1,\"method\":\"\"}", "\"method\" is not", 1},
        {"{\"id\":1,\"method\":5}", "\"method\" is not", 1},
        {"{\"id\":1,\"method\":\"a\\u0000b\"}", "invalid JSON", 0},
        {"{\"id\":1,\"method\":\"x\",\"params\":\"a\"}",
         "\"params\" is not an array", 1},
        {"{\"id\":1,\"method\":\"x\",\"params\":{}}", "\"params\" is not", 1},
        {"{\"id\":1,\"method\":\"x\",\"params\":[\"a\",2]}",
         "param 2 is not a string", 1},
        {"{\"id\":1,\"method\":\"x\",\"params\":[null]}", "param 1 is not", 1},
        {"{\"id\":1,\"method\":\"x\",\"params\":[\"a\\u0000\"]}",
         "invalid JSON", 0},
        {"{\"id\":1,\"method\":\"x\",\"json\":1}", "\"json\" is not", 1},
        {"{\"id\":1,\"id\":2,\"method\":\"x\"}", "invalid JSON", 0},
        {"{\"id\":1,\"method\":\"x\\ud800\"}", "invalid JSON", 0},
        {"{\"id\":1,\"method\":\"\xff\"}", "invalid JSON", 0},
    };
    static const char nul[] = "{\"id\":2\0,\"method\":\"ports\"}";
    struct px_ctl_request req;
    char why[256], big[200];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        why[0] = '\0';
        assert_int_equal(parse_request(cases[i].line, strlen(cases[i].line),
                                       &req, why, sizeof why),
                         EINVAL);
        if (!strstr(why, cases[i].why)) {
            fail_msg("case %zu (%s): reason '%s' lacks '%s'", i, cases[i].line,
                     why, cases[i].why);
        }
        /* Reasons go to logs: printable ASCII only. */
        for (char *c = why; *c; c++) {
            assert_true(*c >= 0x20 && *c < 0x7f);
        }
        assert_int_equal(req.id != NULL, cases[i].has_id);
        if (req.id) {
            assert_int_equal(json_integer_value(req.id), 1);
        }
        assert_null(req.argv);
        px_ctl_request_clear(&req);
    }

    /* A NUL byte between tokens, which jansson would skip. */
    assert_int_equal(parse_request(nul, sizeof nul - 1, &req, why, sizeof why),
                     EINVAL);
    assert_string_equal(why, "a NUL byte in the request");
    px_ctl_request_clear(&req);

    /* A method of PX_CTL_MAX_METHOD characters is a name; one more is
     * not. */
    memset(big, 'a', sizeof big);
    for (i = PX_CTL_MAX_METHOD; i <= PX_CTL_MAX_METHOD + 1; i++) {
        char line[300];
        int n = snprintf(line, sizeof line, "{\"id\":1,\"method\":\"%.*s\"}",
                         (int)i, big);

        assert_int_equal(parse_request(line, (size_t)n, &req, why, sizeof why),
                         i == PX_CTL_MAX_METHOD ? 0 : EINVAL);
        px_ctl_request_clear(&req);
    }

    /* More than PX_CTL_MAX_PARAMS params. */
    {
        struct px_buf s = PX_BUF_INITIALIZER(SIZE_MAX);

        px_buf_printf(&s, "{\"id\":1,\"method\":\"x\",\"params\":[");
        for (i = 0; i <= PX_CTL_MAX_PARAMS; i++) {
            px_buf_printf(&s, "%s\"p\"", i ? "," : "");
        }
        px_buf_printf(&s, "]}");
        assert_int_equal(px_buf_error(&s), 0);
        assert_int_equal(
            parse_request(px_buf_cstr(&s), s.len, &req, why, sizeof why),
            EINVAL);
        assert_non_null(strstr(why, "more than 64 params"));
        px_ctl_request_clear(&req);
        px_buf_destroy(&s);
    }

    /* Too long a line, and nesting deeper than the parser goes. */
    {
        size_t len = PX_CTL_MAX_LINE + 1;
        char *line = malloc(len);

        assert_non_null(line);
        memset(line, '[', len);
        assert_int_equal(parse_request(line, len, &req, why, sizeof why),
                         EINVAL);
        assert_non_null(strstr(why, "longer than"));
        assert_int_equal(
            parse_request(line, PX_CTL_MAX_LINE, &req, why, sizeof why),
            EINVAL);
        assert_non_null(strstr(why, "invalid JSON"));
        free(line);
    }
}

/* Checks that 'line' is one line: its only line feed is its last byte. */
static void
assert_one_line(const char *line, size_t len)
{
    assert_true(len > 0);
    assert_int_equal(line[len - 1], '\n');
    assert_null(memchr(line, '\n', len - 1));
    assert_int_equal(strlen(line), len);
}

static void
test_result_round_trip(void **state)
{
    static const char text[] = "SWITCH  PORTS\n"
                               "\t0000000000000001  3\r\n"
                               "evil \x1b[2J name\n";
    struct px_ctl_response resp;
    json_t *id = json_integer(7);
    json_t *data = json_pack("{s:[i,i],s:s}", "ports", 1, 2, "name", "s1");
    char *line, why[256];
    size_t len;

    (void)state;
    assert_int_equal(
        px_ctl_encode_result(id, text, sizeof text - 1, data, &line, &len), 0);
    assert_one_line(line, len);
    assert_int_equal(
        px_ctl_response_parse(line, len - 1, &resp, why, sizeof why), 0);
    assert_int_equal(json_integer_value(resp.id), 7);
    assert_null(resp.error);
    assert_int_equal(resp.text_len, sizeof text - 1);
    assert_memory_equal(resp.text, text, sizeof text - 1);
    assert_true(json_equal(resp.data, data));
    px_ctl_response_clear(&resp);
    free(line);

    /* No data is null; no id is null; empty text stays empty. */
    assert_int_equal(px_ctl_encode_result(NULL, NULL, 0, NULL, &line, &len),
                     0);
    assert_string_equal(
        line, "{\"id\":null,\"result\":{\"text\":\"\",\"data\":null},"
              "\"error\":null}\n");
    assert_int_equal(
        px_ctl_response_parse(line, len - 1, &resp, why, sizeof why), 0);
    assert_null(resp.id);
    assert_null(resp.data);
    assert_string_equal(resp.text, "");
    px_ctl_response_clear(&resp);
    free(line);
    json_decref(id);
    json_decref(data);
}

static void
test_result_not_utf8(void **state)
{
    /* A lone continuation byte, a truncated sequence at the end, an
     * overlong '/', a surrogate, a code point past U+10FFFF and a NUL each
     * become U+FFFD; valid UTF-8 stays. */
    static const char text[] = "a\x80"
                               "b\xc0\xaf"
                               "c\xed\xa0\x80"
                               "d\xf4\x90\x80\x80"
                               "\xc3\xa9\0z\xe2\x82";
    static const char want[] = "a\xef\xbf\xbd"
                               "b\xef\xbf\xbd\xef\xbf\xbd"
                               "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                               "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                               "\xef\xbf\xbd"
                               "\xc3\xa9\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd";
    struct px_ctl_response resp;
    char *line, why[256];
    size_t len;

    (void)state;
    assert_int_equal(
        px_ctl_encode_result(NULL, text, sizeof text - 1, NULL, &line, &len),
        0);
    assert_one_line(line, len);
    assert_int_equal(
        px_ctl_response_parse(line, len - 1, &resp, why, sizeof why), 0);
    free(line);
    assert_int_equal(resp.text_len, sizeof want - 1);
    assert_memory_equal(resp.text, want, sizeof want - 1);
    px_ctl_response_clear(&resp);
}

static void
test_error_round_trip(void **state)
{
    struct px_ctl_response resp;
    json_t *id = json_string("req-1");
    char *line, why[256];
    size_t len;

    (void)state;
    assert_int_equal(px_ctl_encode_error(id, "no switch\n0000000000000009\xff",
                                         &line, &len),
                     0);
    assert_one_line(line, len);
    assert_int_equal(
        px_ctl_response_parse(line, len - 1, &resp, why, sizeof why), 0);
    assert_string_equal(json_string_value(resp.id), "req-1");
    assert_null(resp.text);
    assert_string_equal(resp.error, "no switch\n0000000000000009\xef\xbf\xbd");
    px_ctl_response_clear(&resp);
    free(line);
    json_decref(id);
}

static void
test_request_round_trip(void **state)
{
    static const char *const params[] = {"counter", "debug", "\"quoted\"\n"};
    struct px_ctl_request req;
    char *line, why[256];
    size_t len;

    (void)state;
    assert_int_equal(
        px_ctl_encode_request(42, "log-level", params, 3, 1, &line, &len), 0);
    assert_one_line(line, len);
    assert_int_equal(
        px_ctl_request_parse(line, len - 1, &req, why, sizeof why), 0);
    assert_int_equal(json_integer_value(req.id), 42);
    assert_string_equal(req.method, "log-level");
    assert_int_equal(req.argc, 4);
    assert_string_equal(req.argv[3], "\"quoted\"\n");
    assert_true(req.want_json);
    px_ctl_request_clear(&req);
    free(line);

    assert_int_equal(px_ctl_encode_request(1, "help", NULL, 0, 0, &line, &len),
                     0);
    assert_string_equal(
        line, "{\"id\":1,\"method\":\"help\",\"params\":[],\"json\":false}\n");
    free(line);

    /* Arguments that are not UTF-8 cannot be sent. */
    {
        static const char *const bad[] = {"\xff"};

        assert_int_equal(
            px_ctl_encode_request(1, "ports", bad, 1, 0, &line, &len), EINVAL);
        assert_int_equal(
            px_ctl_encode_request(1, "\xfe", NULL, 0, 0, &line, &len), EINVAL);
    }
}

static void
test_response_invalid(void **state)
{
    static const struct {
        const char *line;
        const char *why;
    } cases[] = {
        {"", "invalid JSON"},
        {"HTTP/1.0 200 OK", "invalid JSON"},
        {"[]", "not a JSON-RPC response"},
        {"{\"id\":1,\"result\":null}", "not a JSON-RPC response"},
        {"{\"id\":1,\"error\":null}", "not a JSON-RPC response"},
        {"{\"result\":null,\"error\":\"x\"}", "not a JSON-RPC response"},
        {"{\"id\":1,\"result\":{},\"error\":\"x\"}", "both"},
        {"{\"id\":1,\"result\":null,\"error\":null}", "without \"text\""},
        {"{\"id\":1,\"result\":{\"text\":5},\"error\":null}", "without"},
        {"{\"id\":1,\"result\":\"text\",\"error\":null}", "without"},
    };
    struct px_ctl_response resp;
    char why[256];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        why[0] = '\0';
        assert_int_equal(px_ctl_response_parse(cases[i].line,
                                               strlen(cases[i].line), &resp,
                                               why, sizeof why),
                         EINVAL);
        if (!strstr(why, cases[i].why)) {
            fail_msg("case %zu (%s): reason '%s' lacks '%s'", i, cases[i].line,
                     why, cases[i].why);
        }
        assert_null(resp.id);
        assert_null(resp.text);
        assert_null(resp.error);
        assert_null(resp.data);
    }

    /* JSON-RPC 1.0 lets an error be any value: shown as JSON. */
    {
        static const char line[] =
            "{\"id\":1,\"result\":null,\"error\":{\"code\":3}}";

        assert_int_equal(px_ctl_response_parse(line, sizeof line - 1, &resp,
                                               why, sizeof why),
                         0);
        assert_string_equal(resp.error, "{\"code\":3}");
        px_ctl_response_clear(&resp);
        px_ctl_response_clear(NULL);
    }
}

static void
test_name_valid(void **state)
{
    static const char *const good[] = {
        "help", "log-level", "counter-get", "vns.routers", "a_b", "9lives"};
    static const char *const bad[] = {"",    "-x",  "_x",       ".x", "Help",
                                      "a b", "a/b", "\xc3\xa9", NULL};
    char longest[PX_CTL_MAX_METHOD + 2];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(px_ctl_name_valid(good[i]));
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(px_ctl_name_valid(bad[i]));
    }
    memset(longest, 'x', sizeof longest);
    longest[PX_CTL_MAX_METHOD] = '\0';
    assert_true(px_ctl_name_valid(longest));
    longest[PX_CTL_MAX_METHOD] = 'x';
    longest[PX_CTL_MAX_METHOD + 1] = '\0';
    assert_false(px_ctl_name_valid(longest));
}

static void
test_put_text(void **state)
{
    static const char text[] = "a\tb\n\x1b[2J\r\x7f\0\xc3\xa9\n";
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);

    (void)state;
    assert_non_null(f);
    px_ctl_put_text(f, text, sizeof text - 1);
    fclose(f);
    assert_int_equal(size, sizeof text - 1);
    assert_memory_equal(out, "a b\n?[2J???\xc3\xa9\n", size);
    free(out);
}

/* Formats 'r' into a string the caller frees. */
static char *
format_reload(const struct px_ctl_reload_text *r)
{
    struct px_buf s = PX_BUF_INITIALIZER(SIZE_MAX);
    size_t len;
    char *text;

    px_ctl_format_reload(&s, r);
    assert_int_equal(px_buf_error(&s), 0);
    text = (char *)px_buf_steal(&s, &len);
    return text ? text : strdup("");
}

static void
test_format_reload(void **state)
{
    struct px_ctl_reload_text r = {
        .id = 7,
        .outcome = PX_RELOAD_OK,
        .added = "stats,vns_server",
        .removed = "",
        .reloaded = " openflow , ,logger,",
        .reconfigured = NULL,
        .refused = "",
        .error = "",
    };
    char *text;

    (void)state;
    text = format_reload(&r);
    assert_string_equal(text, "reload 7: done\n"
                              "  added: stats, vns_server\n"
                              "  reloaded: openflow, logger\n");
    free(text);

    r.outcome = PX_RELOAD_PARTIAL;
    r.added = r.reloaded = NULL;
    r.removed = "l2_learning";
    r.reconfigured = "openflow";
    /* A ';' without a space does not separate entries. */
    r.refused = "vns_server: bind: Address already in use; "
                "stats: a;b; ";
    r.error = "vns_server: bind: Address already in use\n"
              "stats: port 9330\r\n"
              "last\n\n";
    text = format_reload(&r);
    assert_string_equal(text,
                        "reload 7: partial\n"
                        "  removed: l2_learning\n"
                        "  reconfigured: openflow\n"
                        "  refused: vns_server: bind: Address already in use\n"
                        "  refused: stats: a;b\n"
                        "  error: vns_server: bind: Address already in use\n"
                        "         stats: port 9330\n"
                        "         last\n");
    free(text);

    memset(&r, 0, sizeof r);
    r.id = 8;
    r.outcome = PX_RELOAD_REFUSED;
    r.error = "conf.d/20-openflow.ini:7: port: out of range";
    text = format_reload(&r);
    assert_string_equal(text,
                        "reload 8: refused, nothing changed\n"
                        "  error: conf.d/20-openflow.ini:7: port: out of "
                        "range\n");
    free(text);

    memset(&r, 0, sizeof r);
    r.outcome = 9;
    text = format_reload(&r);
    assert_string_equal(text, "reload 0: unknown outcome\n");
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_valid),
        cmocka_unit_test(test_request_invalid),
        cmocka_unit_test(test_result_round_trip),
        cmocka_unit_test(test_result_not_utf8),
        cmocka_unit_test(test_error_round_trip),
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_response_invalid),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_put_text),
        cmocka_unit_test(test_format_reload),
    };

    return cmocka_run_group_tests_name("ctlproto", tests, NULL, NULL);
}
