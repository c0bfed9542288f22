/*
 * Unit tests for the stats plugin's collection and renderers
 * (plugins/stats/render.c): the exact Prometheus text and the exact JSON
 * content (parsed with jansson: members, their order and values, integers
 * apart from reals) of a small collection, families grouped across
 * interleaved reports, escaping and invalid UTF-8, number formatting,
 * refused reports (invalid names, duplicates, clashing metric names) and
 * the bounds.  And the plugin's handoff blob (plugins/stats/stats_handoff.c):
 * a round trip (a sample, every bound at once, the empty state), and every
 * truncation and single-byte corruption of a valid blob, which must be
 * refused with EPROTO or read without a memory error (run under ASan),
 * plus targeted corruptions of the counts, lengths and values, each of
 * which must be refused.
 *
 * When promtool (Debian package prometheus) and python3 are installed,
 * the rendered documents are also checked by `promtool check metrics` and
 * by Python's json module; without them those checks are skipped.
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
#include <unistd.h>

#include <cmocka.h>

#include "blobcheck.h"
#include <jansson.h>

#include "plexus/byteorder.h"
#include "plexus/topics/host.h"
#include "render.h"
#include "stats_handoff.h"

/* The rendered text, the caller's to free(): "" when nothing was. */
static char *
steal_text(struct px_buf *b)
{
    size_t len;
    char *text = b->len ? (char *)px_buf_steal(b, &len) : strdup("");

    assert_non_null(text);
    px_buf_destroy(b);
    return text;
}

static char *
prometheus(const struct stats_collection *c)
{
    struct px_buf b = PX_BUF_INITIALIZER(STATS_RENDER_LIMIT);

    assert_int_equal(stats_render_prometheus(c, &b), 0);
    return steal_text(&b);
}

static char *
json(const struct stats_collection *c, const struct stats_reload *reloads,
     size_t n_reloads)
{
    struct px_buf b = PX_BUF_INITIALIZER(STATS_RENDER_LIMIT);

    assert_int_equal(
        stats_render_json(c, 1700000000.5, reloads, n_reloads, &b), 0);
    return steal_text(&b);
}

static json_t *
parse_json(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);

    if (!j) {
        fail_msg("not JSON (line %d column %d: %s):\n%s", err.line, err.column,
                 err.text, text);
    }
    return j;
}

/* Checks that 'text' is one line of JSON with the content of 'want': the
 * same members in the same order, the same values, integers where 'want'
 * has integers. */
static void
assert_json(const char *text, const char *want)
{
    json_t *got = parse_json(text);
    json_t *expected = parse_json(want);
    char *a = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *b = json_dumps(expected, JSON_COMPACT | JSON_PRESERVE_ORDER);

    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    assert_true(json_equal(got, expected));
    assert_non_null(strchr(text, '\n'));
    assert_string_equal(strchr(text, '\n'), "\n");
    free(a);
    free(b);
    json_decref(got);
    json_decref(expected);
}

static void
add_ok(struct stats_collection *c, const char *entity, size_t n_keys,
       const struct px_stats_label *keys, size_t n_fields,
       const struct px_stats_field *fields)
{
    struct px_stats_report r = {7, entity, n_keys, keys, n_fields, fields};
    const char *why;

    assert_int_equal(stats_collection_add(c, &r, &why), 0);
}

static int
add_err(struct stats_collection *c, const char *entity, size_t n_keys,
        const struct px_stats_label *keys, size_t n_fields,
        const struct px_stats_field *fields)
{
    struct px_stats_report r = {7, entity, n_keys, keys, n_fields, fields};
    const char *why = NULL;
    int error = stats_collection_add(c, &r, &why);

    assert_non_null(why);
    return error;
}

/* Runs 'cmd' with 'text' on its standard input; returns its exit status,
 * or -1 if the program is not installed. */
static int
pipe_to(const char *program, const char *cmd, const char *text)
{
    FILE *f;

    if (access(program, X_OK)) {
        return -1;
    }
    f = popen(cmd, "w");
    assert_non_null(f);
    fputs(text, f);
    return pclose(f);
}

static void
promtool_check(const char *text)
{
    int status =
        pipe_to("/usr/bin/promtool", "/usr/bin/promtool check metrics", text);

    if (status != -1) {
        assert_int_equal(status, 0);
    }
}

static void
json_check(const char *text)
{
    int status = pipe_to("/usr/bin/python3",
                         "/usr/bin/python3 -c 'import json,sys; "
                         "json.load(sys.stdin)'",
                         text);

    if (status != -1) {
        assert_int_equal(status, 0);
    }
}

/* The small collection of the exact-text tests: a keyless entity, two
 * switches with a labelled counter, and a port between them. */
static struct stats_collection *
small_collection(void)
{
    static const struct px_stats_field host[] = {
        PX_STATS_TEXT_FIELD("version", "Version", "0.1.0"),
        PX_STATS_GAUGE_FIELD("pid", "Process id", 42),
    };
    static const struct px_stats_label sw1[] = {{"switch", "01"}};
    static const struct px_stats_label sw2[] = {{"switch", "02"}};
    static const struct px_stats_label port[] = {{"switch", "01"},
                                                 {"port", "3"}};
    static const struct px_stats_field sw1f[] = {
        PX_STATS_COUNTER_FIELD("packet_ins", "Packet-ins", 10),
        PX_STATS_LABELLED_COUNTER("disconnects", "Disconnects", "reason",
                                  "echo_timeout", 1),
        PX_STATS_TEXT_FIELD("peer", "Peer", "1.2.3.4:5"),
        PX_STATS_GAUGE_FIELD("connected", "Connected", 1),
        PX_STATS_LABELLED_COUNTER("disconnects", "Disconnects", "reason",
                                  "other", 2),
    };
    static const struct px_stats_field sw2f[] = {
        PX_STATS_COUNTER_FIELD("packet_ins", "Ignored: first wins", 20),
        PX_STATS_LABELLED_COUNTER("disconnects", "Disconnects", "reason",
                                  "echo_timeout", 0),
        PX_STATS_LABELLED_COUNTER("disconnects", "Disconnects", "reason",
                                  "other", 0),
        PX_STATS_TEXT_FIELD("peer", "Peer", ""),
        PX_STATS_GAUGE_FIELD("connected", "Connected", 0),
    };
    static const struct px_stats_field portf[] = {
        PX_STATS_COUNTER_FIELD("packet_ins", "Port packet-ins", 5),
    };
    struct stats_collection *c = stats_collection_create(100, 1 << 20);

    assert_non_null(c);
    add_ok(c, "host", 0, NULL, 2, host);
    add_ok(c, "switch", 1, sw1, 5, sw1f);
    add_ok(c, "port", 2, port, 1, portf);
    add_ok(c, "switch", 1, sw2, 5, sw2f);
    assert_int_equal(stats_collection_count(c), 4);
    return c;
}

static void
test_prometheus_exact(void **state)
{
    struct stats_collection *c = small_collection();
    char *text = prometheus(c);

    (void)state;
    assert_string_equal(
        text,
        "# HELP plexus_host_info Text attributes of each host.\n"
        "# TYPE plexus_host_info gauge\n"
        "plexus_host_info{version=\"0.1.0\"} 1\n"
        "# HELP plexus_host_pid Process id\n"
        "# TYPE plexus_host_pid gauge\n"
        "plexus_host_pid 42\n"
        "# HELP plexus_switch_packet_ins_total Packet-ins\n"
        "# TYPE plexus_switch_packet_ins_total counter\n"
        "plexus_switch_packet_ins_total{switch=\"01\"} 10\n"
        "plexus_switch_packet_ins_total{switch=\"02\"} 20\n"
        "# HELP plexus_switch_disconnects_total Disconnects\n"
        "# TYPE plexus_switch_disconnects_total counter\n"
        "plexus_switch_disconnects_total{switch=\"01\",reason="
        "\"echo_timeout\"} 1\n"
        "plexus_switch_disconnects_total{switch=\"01\",reason=\"other\"} 2\n"
        "plexus_switch_disconnects_total{switch=\"02\",reason="
        "\"echo_timeout\"} 0\n"
        "plexus_switch_disconnects_total{switch=\"02\",reason=\"other\"} 0\n"
        "# HELP plexus_switch_info Text attributes of each switch.\n"
        "# TYPE plexus_switch_info gauge\n"
        "plexus_switch_info{switch=\"01\",peer=\"1.2.3.4:5\"} 1\n"
        "plexus_switch_info{switch=\"02\",peer=\"\"} 1\n"
        "# HELP plexus_switch_connected Connected\n"
        "# TYPE plexus_switch_connected gauge\n"
        "plexus_switch_connected{switch=\"01\"} 1\n"
        "plexus_switch_connected{switch=\"02\"} 0\n"
        "# HELP plexus_port_packet_ins_total Port packet-ins\n"
        "# TYPE plexus_port_packet_ins_total counter\n"
        "plexus_port_packet_ins_total{switch=\"01\",port=\"3\"} 5\n");
    promtool_check(text);
    free(text);
    stats_collection_destroy(c);
}

static void
test_json_exact(void **state)
{
    struct stats_collection *c = small_collection();
    struct stats_reload reloads[2];
    char *text;

    (void)state;
    memset(reloads, 0, sizeof reloads);
    reloads[0].id = 1;
    reloads[0].time = 1700000000;
    snprintf(reloads[0].added, sizeof reloads[0].added, "logger,stats");
    reloads[1].id = 2;
    reloads[1].outcome = 1;
    reloads[1].time = 1700000001.25;
    snprintf(reloads[1].refused, sizeof reloads[1].refused,
             "x: init failed; y: \"bad\"");
    text = json(c, reloads, 2);
    assert_json(
        text,
        "{\"collected_at\":1700000000.5,\"entities\":{\n"
        "\"host\":[\n"
        "{\"version\":\"0.1.0\",\"pid\":42}],\n"
        "\"switch\":[\n"
        "{\"switch\":\"01\",\"packet_ins\":10,\"disconnects\":"
        "{\"echo_timeout\":1,\"other\":2},\"peer\":\"1.2.3.4:5\","
        "\"connected\":1},\n"
        "{\"switch\":\"02\",\"packet_ins\":20,\"disconnects\":"
        "{\"echo_timeout\":0,\"other\":0},\"peer\":\"\",\"connected\":0}],\n"
        "\"port\":[\n"
        "{\"switch\":\"01\",\"port\":\"3\",\"packet_ins\":5}]},\n"
        "\"reloads\":[\n"
        "{\"id\":1,\"time\":1700000000,\"outcome\":\"ok\",\"added\":"
        "\"logger,stats\",\"removed\":\"\",\"reloaded\":\"\","
        "\"reconfigured\":\"\",\"refused\":\"\",\"error\":\"\"},\n"
        "{\"id\":2,\"time\":1700000001.25,\"outcome\":\"partial\","
        "\"added\":\"\",\"removed\":\"\",\"reloaded\":\"\","
        "\"reconfigured\":\"\",\"refused\":\"x: init failed; y: \\\"bad\\\""
        "\",\"error\":\"\"}]}\n");
    json_check(text);
    free(text);
    stats_collection_destroy(c);
}

static void
test_empty(void **state)
{
    struct stats_collection *c = stats_collection_create(10, 1 << 20);
    char *text;

    (void)state;
    text = prometheus(c);
    assert_string_equal(text, "");
    free(text);
    text = json(c, NULL, 0);
    assert_json(text, "{\"collected_at\":1700000000.5,\"entities\":"
                      "{},\n\"reloads\":[]}\n");
    json_check(text);
    free(text);
    stats_collection_destroy(c);
}

/* Reports of different kinds interleave, and an entity's labelled group is
 * split around other fields: every metric name still appears under one
 * HELP/TYPE, its samples in report order. */
static void
test_grouping(void **state)
{
    static const struct px_stats_field a[] = {
        PX_STATS_LABELLED_COUNTER("drops", "Drops", "why", "x", 1),
        PX_STATS_GAUGE_FIELD("up", NULL, 1),
        PX_STATS_LABELLED_COUNTER("drops", "Drops", "why", "y", 2),
    };
    static const struct px_stats_field b[] = {
        PX_STATS_GAUGE_FIELD("level", "Level", 3),
    };
    struct stats_collection *c = stats_collection_create(100, 1 << 20);
    char id[3][4] = {"1", "2", "3"};
    char *text;
    int i;

    (void)state;
    for (i = 0; i < 3; i++) {
        struct px_stats_label ka = {"n", id[i]};

        add_ok(c, "aa", 1, &ka, 3, a);
        add_ok(c, "bb", 1, &ka, 1, b);
    }
    text = prometheus(c);
    assert_string_equal(text, "# HELP plexus_aa_drops_total Drops\n"
                              "# TYPE plexus_aa_drops_total counter\n"
                              "plexus_aa_drops_total{n=\"1\",why=\"x\"} 1\n"
                              "plexus_aa_drops_total{n=\"1\",why=\"y\"} 2\n"
                              "plexus_aa_drops_total{n=\"2\",why=\"x\"} 1\n"
                              "plexus_aa_drops_total{n=\"2\",why=\"y\"} 2\n"
                              "plexus_aa_drops_total{n=\"3\",why=\"x\"} 1\n"
                              "plexus_aa_drops_total{n=\"3\",why=\"y\"} 2\n"
                              "# HELP plexus_aa_up aa up.\n"
                              "# TYPE plexus_aa_up gauge\n"
                              "plexus_aa_up{n=\"1\"} 1\n"
                              "plexus_aa_up{n=\"2\"} 1\n"
                              "plexus_aa_up{n=\"3\"} 1\n"
                              "# HELP plexus_bb_level Level\n"
                              "# TYPE plexus_bb_level gauge\n"
                              "plexus_bb_level{n=\"1\"} 3\n"
                              "plexus_bb_level{n=\"2\"} 3\n"
                              "plexus_bb_level{n=\"3\"} 3\n");
    promtool_check(text);
    free(text);
    text = json(c, NULL, 0);
    assert_json(text, "{\"collected_at\":1700000000.5,\"entities\":{\n"
                      "\"aa\":[\n"
                      "{\"n\":\"1\",\"drops\":{\"x\":1,\"y\":2},\"up\":1},\n"
                      "{\"n\":\"2\",\"drops\":{\"x\":1,\"y\":2},\"up\":1},\n"
                      "{\"n\":\"3\",\"drops\":{\"x\":1,\"y\":2},\"up\":1}],\n"
                      "\"bb\":[\n"
                      "{\"n\":\"1\",\"level\":3},\n"
                      "{\"n\":\"2\",\"level\":3},\n"
                      "{\"n\":\"3\",\"level\":3}]},\n"
                      "\"reloads\":[]}\n");
    free(text);
    stats_collection_destroy(c);
}

static void
test_escaping(void **state)
{
    static const struct px_stats_label key = {"k", "a\\b\"c\nd"};
    static const struct px_stats_field f[] = {
        PX_STATS_TEXT_FIELD("t", "unused",
                            "tab\there \x01 \xc3\xa9 \xff"
                            "\xe2\x82 \xed\xa0\x80 end"),
        PX_STATS_GAUGE_FIELD("g", "Help with \\ and\nnewline \"q\"", 1),
    };
    struct stats_collection *c = stats_collection_create(10, 1 << 20);
    char *text;

    (void)state;
    add_ok(c, "e", 1, &key, 2, f);
    text = prometheus(c);
    assert_string_equal(
        text,
        "# HELP plexus_e_info Text attributes of each e.\n"
        "# TYPE plexus_e_info gauge\n"
        "plexus_e_info{k=\"a\\\\b\\\"c\\nd\",t=\"tab\there \x01 \xc3\xa9 "
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd"
        "\xef\xbf\xbd end\"} 1\n"
        "# HELP plexus_e_g Help with \\\\ and\\nnewline \"q\"\n"
        "# TYPE plexus_e_g gauge\n"
        "plexus_e_g{k=\"a\\\\b\\\"c\\nd\"} 1\n");
    promtool_check(text);
    free(text);
    text = json(c, NULL, 0);
    assert_json(text,
                "{\"collected_at\":1700000000.5,\"entities\":{\n"
                "\"e\":[\n"
                "{\"k\":\"a\\\\b\\\"c\\nd\",\"t\":\"tab\\there \\u0001 "
                "\xc3\xa9 \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd end\","
                "\"g\":1}]},\n"
                "\"reloads\":[]}\n");
    json_check(text);
    free(text);
    stats_collection_destroy(c);
}

/* A label value that is not UTF-8 becomes a key of the JSON document all
 * the same, with U+FFFD for each bad byte, as in Prometheus. */
static void
test_json_label_utf8(void **state)
{
    static const struct px_stats_field f[] = {
        PX_STATS_LABELLED_COUNTER("c", "C", "why", "ok", 1),
        PX_STATS_LABELLED_COUNTER("c", "C", "why", "bad\xff", 2),
    };
    struct stats_collection *c = stats_collection_create(10, 1 << 20);
    char *text;

    (void)state;
    add_ok(c, "e", 0, NULL, 2, f);
    text = prometheus(c);
    assert_non_null(
        strstr(text, "plexus_e_c_total{why=\"bad\xef\xbf\xbd\"} 2\n"));
    free(text);
    text = json(c, NULL, 0);
    assert_json(text, "{\"collected_at\":1700000000.5,\"entities\":{"
                      "\"e\":[{\"c\":{\"ok\":1,\"bad\\ufffd\":2}}]},"
                      "\"reloads\":[]}");
    json_check(text);
    free(text);
    stats_collection_destroy(c);
}

/* Sample values in JSON: integral ones are integers, others reals that
 * read back as the same double, non-finite ones null. */
static void
test_json_numbers(void **state)
{
    static const struct px_stats_field f[] = {
        PX_STATS_GAUGE_FIELD("zero", "", -0.0),
        PX_STATS_GAUGE_FIELD("neg", "", -17),
        PX_STATS_GAUGE_FIELD("max", "", 9007199254740992.0),
        PX_STATS_GAUGE_FIELD("u64", "", 18446744073709551615.0),
        PX_STATS_GAUGE_FIELD("tenth", "", 0.1),
        PX_STATS_GAUGE_FIELD("third", "", 1.0 / 3),
        PX_STATS_GAUGE_FIELD("nan", "", NAN),
        PX_STATS_GAUGE_FIELD("inf", "", -INFINITY),
    };
    struct stats_collection *c = stats_collection_create(10, 1 << 20);
    json_t *doc, *e;
    char *text;

    (void)state;
    add_ok(c, "e", 0, NULL, sizeof f / sizeof *f, f);
    text = json(c, NULL, 0);
    json_check(text);
    doc = parse_json(text);
    e = json_array_get(json_object_get(json_object_get(doc, "entities"), "e"),
                       0);
    assert_true(json_is_integer(json_object_get(e, "zero")));
    assert_int_equal(json_integer_value(json_object_get(e, "zero")), 0);
    assert_int_equal(json_integer_value(json_object_get(e, "neg")), -17);
    assert_true(json_integer_value(json_object_get(e, "max")) ==
                9007199254740992LL);
    /* Beyond json_int_t: a real, the same double. */
    assert_true(json_is_real(json_object_get(e, "u64")));
    assert_true(json_real_value(json_object_get(e, "u64")) ==
                18446744073709551615.0);
    assert_true(json_real_value(json_object_get(e, "tenth")) == 0.1);
    assert_true(json_real_value(json_object_get(e, "third")) == 1.0 / 3);
    assert_true(json_is_null(json_object_get(e, "nan")));
    assert_true(json_is_null(json_object_get(e, "inf")));
    assert_true(json_is_real(json_object_get(doc, "collected_at")));
    assert_true(json_real_value(json_object_get(doc, "collected_at")) ==
                1700000000.5);
    json_decref(doc);
    free(text);
    stats_collection_destroy(c);
}

static void
test_numbers(void **state)
{
    static const struct {
        double v;
        const char *prom;
        const char *json;
    } cases[] = {
        {0, "0", "0"},
        {-0.0, "0", "0"},
        {1, "1", "1"},
        {-17, "-17", "-17"},
        {100, "100", "100"},
        {1700000000, "1700000000", "1700000000"},
        {18446744073709551615.0, "18446744073709551616",
         "18446744073709551616"},
        {9007199254740993.0, "9007199254740992", "9007199254740992"},
        {1e21, "1e+21", "1e+21"},
        {0.5, "0.5", "0.5"},
        {0.1, "0.1", "0.1"},
        {1.0 / 3, "0.3333333333333333", "0.3333333333333333"},
        {1700000000.25, "1700000000.25", "1700000000.25"},
        {-1.25e-7, "-1.25e-07", "-1.25e-07"},
        {NAN, "NaN", "null"},
        {INFINITY, "+Inf", "null"},
        {-INFINITY, "-Inf", "null"},
    };
    char buf[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        stats_format_number(cases[i].v, 0, buf, sizeof buf);
        assert_string_equal(buf, cases[i].prom);
        stats_format_number(cases[i].v, 1, buf, sizeof buf);
        assert_string_equal(buf, cases[i].json);
    }
}

static void
test_names(void **state)
{
    char long_name[STATS_MAX_NAME + 2];

    (void)state;
    assert_true(stats_name_valid("a"));
    assert_true(stats_name_valid("_x9_"));
    assert_true(stats_name_valid("switch"));
    assert_false(stats_name_valid(NULL));
    assert_false(stats_name_valid(""));
    assert_false(stats_name_valid("9a"));
    assert_false(stats_name_valid("A"));
    assert_false(stats_name_valid("a-b"));
    assert_false(stats_name_valid("a.b"));
    assert_false(stats_name_valid("a b"));
    assert_false(stats_name_valid("\xc3\xa9"));
    memset(long_name, 'a', sizeof long_name);
    long_name[STATS_MAX_NAME] = '\0';
    assert_true(stats_name_valid(long_name));
    long_name[STATS_MAX_NAME] = 'a';
    long_name[STATS_MAX_NAME + 1] = '\0';
    assert_false(stats_name_valid(long_name));
}

/* Every way a report can be refused; none leaves anything behind. */
static void
test_refused(void **state)
{
    static const struct px_stats_field ok = PX_STATS_GAUGE_FIELD("g", "G", 1);
    static const struct px_stats_label key = {"k", "v"};
    struct stats_collection *c = stats_collection_create(100, 1 << 20);
    struct px_stats_field f[3];
    struct px_stats_label k[2];
    char *text;

    (void)state;
    /* Entity names. */
    assert_int_equal(add_err(c, "Bad", 0, NULL, 1, &ok), EINVAL);
    assert_int_equal(add_err(c, "", 0, NULL, 1, &ok), EINVAL);
    assert_int_equal(add_err(c, NULL, 0, NULL, 1, &ok), EINVAL);
    /* Key names and values. */
    k[0] = (struct px_stats_label){"a-b", "v"};
    assert_int_equal(add_err(c, "e", 1, k, 1, &ok), EINVAL);
    k[0] = (struct px_stats_label){"__a", "v"};
    assert_int_equal(add_err(c, "e", 1, k, 1, &ok), EINVAL);
    k[0] = (struct px_stats_label){"a", NULL};
    assert_int_equal(add_err(c, "e", 1, k, 1, &ok), EINVAL);
    k[0] = k[1] = (struct px_stats_label){"a", "v"};
    assert_int_equal(add_err(c, "e", 2, k, 1, &ok), EINVAL);
    assert_int_equal(add_err(c, "e", 1, NULL, 1, &ok), EINVAL);
    /* Field names, types and shapes. */
    f[0] = (struct px_stats_field)PX_STATS_GAUGE_FIELD("G", "", 1);
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    f[0] = (struct px_stats_field)PX_STATS_COUNTER_FIELD("x_total", "", 1);
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    f[0] = (struct px_stats_field)PX_STATS_GAUGE_FIELD("info", "", 1);
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    f[0] = (struct px_stats_field)PX_STATS_GAUGE_FIELD("g", "", 1);
    f[0].type = 9;
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    f[0] = (struct px_stats_field)PX_STATS_TEXT_FIELD("__t", "", "x");
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    f[0] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER("c", "", "r", NULL,
                                                            1);
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    f[0] =
        (struct px_stats_field)PX_STATS_LABELLED_COUNTER("c", "", "R", "x", 1);
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    f[0] =
        (struct px_stats_field)PX_STATS_LABELLED_COUNTER("c", "", "k", "x", 1);
    assert_int_equal(add_err(c, "e", 1, &key, 1, f), EINVAL);
    f[0] = (struct px_stats_field)PX_STATS_TEXT_FIELD("t", "", "x");
    f[0].label = "r";
    f[0].label_value = "x";
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    /* Duplicate members. */
    f[0] = f[1] = (struct px_stats_field)PX_STATS_GAUGE_FIELD("g", "", 1);
    assert_int_equal(add_err(c, "e", 0, NULL, 2, f), EINVAL);
    f[0] = (struct px_stats_field)PX_STATS_GAUGE_FIELD("k", "", 1);
    assert_int_equal(add_err(c, "e", 1, &key, 1, f), EINVAL);
    f[0] = (struct px_stats_field)PX_STATS_TEXT_FIELD("k", "", "x");
    assert_int_equal(add_err(c, "e", 1, &key, 1, f), EINVAL);
    f[0] =
        (struct px_stats_field)PX_STATS_LABELLED_COUNTER("c", "", "r", "x", 1);
    f[1] = (struct px_stats_field)PX_STATS_COUNTER_FIELD("c", "", 1);
    assert_int_equal(add_err(c, "e", 0, NULL, 2, f), EINVAL);
    f[1] = f[0];
    assert_int_equal(add_err(c, "e", 0, NULL, 2, f), EINVAL);
    f[1].label = "s";
    f[1].label_value = "y";
    assert_int_equal(add_err(c, "e", 0, NULL, 2, f), EINVAL);
    f[1] = f[0];
    f[1].type = PX_STATS_GAUGE;
    f[1].label_value = "y";
    assert_int_equal(add_err(c, "e", 0, NULL, 2, f), EINVAL);
    assert_int_equal(stats_collection_count(c), 0);

    /* Second report for one entity. */
    add_ok(c, "e", 1, &key, 1, &ok);
    assert_int_equal(add_err(c, "e", 1, &key, 1, &ok), EEXIST);
    /* A metric name used by another kind (plexus_e_x_g) or type. */
    add_ok(c, "e_x", 0, NULL, 1, &ok);
    f[0] = (struct px_stats_field)PX_STATS_GAUGE_FIELD("x_g", "", 1);
    assert_int_equal(add_err(c, "e", 0, NULL, 1, f), EINVAL);
    k[0] = (struct px_stats_label){"k", "w"};
    f[0] = (struct px_stats_field)PX_STATS_TEXT_FIELD("t", "", "x");
    add_ok(c, "f", 1, k, 1, f);
    assert_int_equal(stats_collection_count(c), 3);
    text = prometheus(c);
    assert_string_equal(text, "# HELP plexus_e_g G\n"
                              "# TYPE plexus_e_g gauge\n"
                              "plexus_e_g{k=\"v\"} 1\n"
                              "# HELP plexus_e_x_g G\n"
                              "# TYPE plexus_e_x_g gauge\n"
                              "plexus_e_x_g 1\n"
                              "# HELP plexus_f_info Text attributes of "
                              "each f.\n"
                              "# TYPE plexus_f_info gauge\n"
                              "plexus_f_info{k=\"w\",t=\"x\"} 1\n");
    free(text);
    stats_collection_destroy(c);
}

static void
test_bounds(void **state)
{
    static const struct px_stats_field ok = PX_STATS_GAUGE_FIELD("g", "G", 1);
    struct stats_collection *c = stats_collection_create(3, 1 << 20);
    struct px_stats_field *many;
    struct px_stats_label k;
    struct px_buf b;
    char v[16], *big;
    int i;

    (void)state;
    /* Entities. */
    for (i = 0; i < 4; i++) {
        snprintf(v, sizeof v, "%d", i);
        k = (struct px_stats_label){"n", v};
        if (i < 3) {
            add_ok(c, "e", 1, &k, 1, &ok);
        } else {
            assert_int_equal(add_err(c, "e", 1, &k, 1, &ok), ENOSPC);
        }
    }
    stats_collection_destroy(c);

    /* Fields per report. */
    c = stats_collection_create(3, 64 << 20);
    many = calloc(STATS_MAX_FIELDS + 1, sizeof *many);
    for (i = 0; i <= STATS_MAX_FIELDS; i++) {
        many[i] = (struct px_stats_field)PX_STATS_LABELLED_COUNTER(
            "c", "", "i", NULL, i);
        many[i].label_value = malloc(sizeof v);
        snprintf((char *)many[i].label_value, sizeof v, "%d", i);
    }
    assert_int_equal(add_err(c, "e", 0, NULL, STATS_MAX_FIELDS + 1, many),
                     EINVAL);
    add_ok(c, "e", 0, NULL, STATS_MAX_FIELDS, many);
    for (i = 0; i <= STATS_MAX_FIELDS; i++) {
        free((char *)many[i].label_value);
    }
    free(many);
    stats_collection_destroy(c);

    /* Bytes per collection. */
    c = stats_collection_create(1000, 100 << 10);
    big = malloc(40000);
    memset(big, 'x', 39999);
    big[39999] = '\0';
    k = (struct px_stats_label){"n", big};
    add_ok(c, "e", 1, &k, 1, &ok);
    big[0] = 'y';
    assert_int_equal(add_err(c, "e", 1, &k, 1, &ok), ENOSPC);
    assert_int_equal(stats_collection_count(c), 1);

    /* Rendered size: past the buffer's limit, ENOBUFS. */
    px_buf_init(&b, 1000);
    assert_int_equal(stats_render_prometheus(c, &b), ENOBUFS);
    px_buf_destroy(&b);
    px_buf_init(&b, 1000);
    assert_int_equal(stats_render_json(c, 0, NULL, 0, &b), ENOBUFS);
    px_buf_destroy(&b);
    px_buf_init(&b, 100000);
    assert_int_equal(stats_render_prometheus(c, &b), 0);
    assert_int_equal(b.len, strlen(px_buf_cstr(&b)));
    px_buf_destroy(&b);
    free(big);
    stats_collection_destroy(c);
}

/* ---------------------------------------------------------------------- */
/* The handoff blob (stats_handoff.c). */

/* A state with every field set to something distinct: three codes, two
 * reloads.  Heap-allocated (the history is about 100 kB); the caller frees
 * it. */
static struct stats_state *
handoff_sample(void)
{
    static const uint32_t codes[] = {200, 404, 431};
    struct stats_state *s = calloc(1, sizeof *s);
    size_t i;

    assert_non_null(s);
    s->collections = 0x0102030405060708ull;
    s->reports_dropped = 2;
    s->next_id = 3;
    s->http.connections = 4;
    s->http.timeouts = 5;
    s->http.other_codes = 6;
    for (i = 0; i < 3; i++) {
        s->http.requests[i].code = codes[i];
        s->http.requests[i].count = 7 + i;
    }
    s->http.n_codes = 3;
    s->reloads[0].id = 1;
    s->reloads[0].outcome = PX_RELOAD_OK;
    s->reloads[0].time = 1767225661.25;
    strcpy(s->reloads[0].added, "logger,stats");
    s->reloads[1].id = 2;
    s->reloads[1].outcome = PX_RELOAD_REFUSED;
    s->reloads[1].time = 1767225662.5;
    strcpy(s->reloads[1].refused, "x");
    strcpy(s->reloads[1].error, "a.ini:1: bad key");
    s->n_reloads = 2;
    s->tls.accepted = 11;
    s->tls.handshake_failures = 12;
    for (i = 0; i < STATS_TLS_N_CLOSES; i++) {
        s->tls.closes[i] = 13 + i;
    }
    return s;
}

/* The sample's blob, malloc'd. */
static uint8_t *
handoff_blob(size_t *len)
{
    struct stats_state *s = handoff_sample();
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    uint8_t *data;

    assert_int_equal(stats_handoff_write(s, &b), 0);
    data = px_buf_steal(&b, len);
    assert_non_null(data);
    free(s);
    return data;
}

/* Reads 'len' bytes of 'data' from an exact-size copy, so that ASan sees
 * any read past them; returns what stats_handoff_read did, after checking
 * that a refusal leaves nothing behind. */
static int
handoff_read_copy(const uint8_t *data, size_t len)
{
    struct stats_state *s = malloc(sizeof *s), *zero = calloc(1, sizeof *s);
    uint8_t *copy = malloc(len ? len : 1);
    int error;

    assert_non_null(s);
    assert_non_null(zero);
    assert_non_null(copy);
    memcpy(copy, data, len);
    memset(s, 0xa5, sizeof *s);
    error = stats_handoff_read(copy, len, s);
    if (error) {
        assert_memory_equal(s, zero, sizeof *s);
    }
    free(copy);
    free(zero);
    free(s);
    return error;
}

static void
assert_same_state(const struct stats_state *a, const struct stats_state *b)
{
    uint32_t i;

    assert_int_equal(a->collections, b->collections);
    assert_int_equal(a->reports_dropped, b->reports_dropped);
    assert_int_equal(a->next_id, b->next_id);
    assert_int_equal(a->http.connections, b->http.connections);
    assert_int_equal(a->http.timeouts, b->http.timeouts);
    assert_int_equal(a->http.other_codes, b->http.other_codes);
    assert_int_equal(a->http.n_codes, b->http.n_codes);
    for (i = 0; i < a->http.n_codes; i++) {
        assert_int_equal(a->http.requests[i].code, b->http.requests[i].code);
        assert_int_equal(a->http.requests[i].count, b->http.requests[i].count);
    }
    assert_int_equal(a->n_reloads, b->n_reloads);
    for (i = 0; i < a->n_reloads; i++) {
        const struct stats_reload *x = &a->reloads[i], *y = &b->reloads[i];

        assert_int_equal(x->id, y->id);
        assert_int_equal(x->outcome, y->outcome);
        assert_true(x->time == y->time);
        assert_string_equal(x->added, y->added);
        assert_string_equal(x->removed, y->removed);
        assert_string_equal(x->reloaded, y->reloaded);
        assert_string_equal(x->reconfigured, y->reconfigured);
        assert_string_equal(x->refused, y->refused);
        assert_string_equal(x->error, y->error);
    }
    assert_int_equal(a->tls.accepted, b->tls.accepted);
    assert_int_equal(a->tls.handshake_failures, b->tls.handshake_failures);
    for (i = 0; i < STATS_TLS_N_CLOSES; i++) {
        assert_int_equal(a->tls.closes[i], b->tls.closes[i]);
    }
}

static void
test_handoff_roundtrip(void **state)
{
    struct stats_state *s = handoff_sample(), *r = malloc(sizeof *r);
    struct px_buf b = PX_BUF_INITIALIZER(SIZE_MAX);
    size_t i;

    (void)state;
    assert_non_null(r);
    assert_int_equal(stats_handoff_write(s, &b), 0);
    memset(r, 0xa5, sizeof *r);
    assert_int_equal(stats_handoff_read(b.data, b.len, r), 0);
    assert_same_state(s, r);

    /* Every bound at once: all codes, all reloads, the longest texts. */
    for (i = 0; i < STATS_HTTP_MAX_CODES; i++) {
        s->http.requests[i].code = 100 + (uint32_t)i * 50;
        s->http.requests[i].count = UINT64_MAX - i;
    }
    s->http.n_codes = STATS_HTTP_MAX_CODES;
    for (i = 0; i < STATS_MAX_RELOADS; i++) {
        struct stats_reload *x = &s->reloads[i];

        x->id = (uint32_t)i + 1;
        x->outcome = (uint32_t)i % 3;
        x->time = 1767225661.0 + (double)i / 3;
        memset(x->added, 'a', sizeof x->added - 1);
        memset(x->removed, 'r', sizeof x->removed - 1);
        memset(x->reloaded, 'l', sizeof x->reloaded - 1);
        memset(x->reconfigured, 'c', sizeof x->reconfigured - 1);
        memset(x->refused, 'f', sizeof x->refused - 1);
        memset(x->error, 'e', sizeof x->error - 1);
    }
    s->n_reloads = STATS_MAX_RELOADS;
    px_buf_clear(&b);
    assert_int_equal(stats_handoff_write(s, &b), 0);
    assert_int_equal(stats_handoff_read(b.data, b.len, r), 0);
    assert_same_state(s, r);

    /* And the empty state. */
    memset(s, 0, sizeof *s);
    px_buf_clear(&b);
    assert_int_equal(stats_handoff_write(s, &b), 0);
    assert_int_equal(stats_handoff_read(b.data, b.len, r), 0);
    assert_same_state(s, r);

    /* What cannot be written is refused, not cut short. */
    s->http.n_codes = STATS_HTTP_MAX_CODES + 1;
    assert_int_equal(stats_handoff_write(s, &b), EINVAL);
    s->http.n_codes = 0;
    s->n_reloads = STATS_MAX_RELOADS + 1;
    assert_int_equal(stats_handoff_write(s, &b), EINVAL);
    s->n_reloads = 0;
    px_buf_destroy(&b);
    px_buf_init(&b, 10);
    assert_int_equal(stats_handoff_write(s, &b), ENOBUFS);
    px_buf_destroy(&b);
    free(r);
    free(s);
}

static void
test_handoff_truncated(void **state)
{
    size_t len;
    uint8_t *data = handoff_blob(&len);
    struct stats_state *r = malloc(sizeof *r);

    (void)state;
    assert_non_null(r);
    blob_check_truncations(data, len, handoff_read_copy);
    memset(r, 0xa5, sizeof *r);
    assert_int_equal(stats_handoff_read(NULL, 0, r), EPROTO);
    assert_int_equal(r->n_reloads, 0);
    assert_int_equal(r->http.n_codes, 0);
    free(r);
    free(data);
}

/* Where the sample blob's fields are (stats_handoff.c has the layout). */
#define SH_MAGIC     0
#define SH_VERSION   4
#define SH_N_CODES   56
#define SH_CODE0     60
#define SH_CODE_LEN  12
#define SH_N_RELOADS (SH_CODE0 + 3 * SH_CODE_LEN)
#define SH_RELOAD0   (SH_N_RELOADS + 4)
#define SR_OUTCOME   4
#define SR_TIME      8
#define SR_ADDED     16
#define SR_REMOVED   (SR_ADDED + 4 + 12) /* After "logger,stats". */
#define SH_RELOAD1   (SH_RELOAD0 + SR_REMOVED + 4 * 5)
#define SR_REFUSED   32
#define SR_ERROR     (SR_REFUSED + 4 + 1) /* After "x". */
#define SH_TLS       (SH_RELOAD1 + SR_ERROR + 4 + 16)
#define SH_TLS_N     (SH_TLS + 16)
#define SH_LEN       (SH_TLS_N + 4 + 8 * STATS_TLS_N_CLOSES)

static void
test_handoff_corrupt(void **state)
{
    size_t len, i;
    uint8_t *data = handoff_blob(&len), *bad = malloc(len + 1);

    (void)state;
    assert_non_null(bad);
    /* The offsets above hold what the sample put there. */
    assert_int_equal(len, SH_LEN);
    assert_int_equal(px_get_be32(data + SH_VERSION), STATS_HANDOFF_VERSION);
    assert_int_equal(px_get_be64(data + 8), 0x0102030405060708ull);
    assert_int_equal(px_get_be32(data + SH_N_CODES), 3);
    assert_int_equal(px_get_be32(data + SH_CODE0), 200);
    assert_int_equal(px_get_be32(data + SH_CODE0 + SH_CODE_LEN), 404);
    assert_int_equal(px_get_be32(data + SH_N_RELOADS), 2);
    assert_int_equal(px_get_be32(data + SH_RELOAD0), 1);
    assert_int_equal(px_get_be32(data + SH_RELOAD0 + SR_ADDED), 12);
    assert_int_equal(px_get_be32(data + SH_RELOAD0 + SR_REMOVED), 0);
    assert_int_equal(px_get_be32(data + SH_RELOAD1), 2);
    assert_int_equal(px_get_be32(data + SH_RELOAD1 + SR_REFUSED), 1);
    assert_int_equal(px_get_be32(data + SH_RELOAD1 + SR_ERROR), 16);
    assert_int_equal(px_get_be64(data + SH_TLS), 11);
    assert_int_equal(px_get_be32(data + SH_TLS_N), STATS_TLS_N_CLOSES);

    blob_check_flips(data, len, handoff_read_copy);

#define EXPECT_REFUSED(OFF, PUT, VALUE)                                       \
    BLOB_EXPECT_REFUSED(handoff_read_copy, data, bad, len, OFF, PUT, VALUE)
#define PUT_U8 BLOB_PUT_U8

    EXPECT_REFUSED(SH_MAGIC, px_put_be32, 0x12345678);
    EXPECT_REFUSED(SH_VERSION, px_put_be32, 1); /* The copy of structs. */
    EXPECT_REFUSED(SH_VERSION, px_put_be32, STATS_HANDOFF_VERSION + 1);
    /* Counts beyond their bound, swallowing the rest, or leaving some. */
    EXPECT_REFUSED(SH_N_CODES, px_put_be32, STATS_HTTP_MAX_CODES + 1);
    EXPECT_REFUSED(SH_N_CODES, px_put_be32, UINT32_MAX);
    EXPECT_REFUSED(SH_N_CODES, px_put_be32, 4);
    EXPECT_REFUSED(SH_N_CODES, px_put_be32, 2);
    /* Codes that are not three digits, and one counted twice. */
    EXPECT_REFUSED(SH_CODE0, px_put_be32, 99);
    EXPECT_REFUSED(SH_CODE0, px_put_be32, 1000);
    EXPECT_REFUSED(SH_CODE0 + SH_CODE_LEN, px_put_be32, 200);
    EXPECT_REFUSED(SH_N_RELOADS, px_put_be32, STATS_MAX_RELOADS + 1);
    EXPECT_REFUSED(SH_N_RELOADS, px_put_be32, UINT32_MAX);
    EXPECT_REFUSED(SH_N_RELOADS, px_put_be32, 3);
    EXPECT_REFUSED(SH_N_RELOADS, px_put_be32, 1);
    EXPECT_REFUSED(SH_RELOAD0 + SR_OUTCOME, px_put_be32,
                   PX_RELOAD_REFUSED + 1);
    {
        static const double times[] = {NAN, INFINITY, -1.0};
        uint64_t bits;

        for (i = 0; i < sizeof times / sizeof times[0]; i++) {
            memcpy(&bits, &times[i], sizeof bits);
            EXPECT_REFUSED(SH_RELOAD0 + SR_TIME, px_put_be64, bits);
        }
    }
    /* A text as long as its field (no room for the NUL), longer, past the
     * end, one byte short or long, or with a NUL in it. */
    EXPECT_REFUSED(SH_RELOAD0 + SR_ADDED, px_put_be32, STATS_RELOAD_TEXT);
    EXPECT_REFUSED(SH_RELOAD0 + SR_ADDED, px_put_be32, UINT32_MAX);
    EXPECT_REFUSED(SH_RELOAD0 + SR_ADDED, px_put_be32, 11);
    EXPECT_REFUSED(SH_RELOAD0 + SR_ADDED, px_put_be32, 13);
    EXPECT_REFUSED(SH_RELOAD0 + SR_ADDED + 4 + 3, PUT_U8, 0);
    EXPECT_REFUSED(SH_RELOAD0 + SR_REMOVED, px_put_be32, 1);
    EXPECT_REFUSED(SH_RELOAD1 + SR_ERROR, px_put_be32, 17);
    EXPECT_REFUSED(SH_RELOAD1 + SR_ERROR, px_put_be32, 15);
    EXPECT_REFUSED(SH_RELOAD1 + SR_ERROR, px_put_be32, STATS_RELOAD_TEXT);
    /* More TLS close reasons than this build knows, or a count that
     * leaves some out. */
    EXPECT_REFUSED(SH_TLS_N, px_put_be32, STATS_TLS_N_CLOSES + 1);
    EXPECT_REFUSED(SH_TLS_N, px_put_be32, STATS_TLS_N_CLOSES - 1);
#undef EXPECT_REFUSED
#undef PUT_U8

    /* One byte too many. */
    memcpy(bad, data, len);
    bad[len] = 0;
    assert_int_equal(handoff_read_copy(bad, len + 1), EPROTO);
    free(bad);
    free(data);
}

/* A blob of version 2 (the last before the TLS counters) is read, the TLS
 * counters zero; one of an older build with fewer close reasons reads the
 * ones it has. */
static void
test_handoff_older_versions(void **state)
{
    size_t len;
    uint8_t *data = handoff_blob(&len);
    struct stats_state *s = handoff_sample(), *r = malloc(sizeof *r);
    size_t i;

    (void)state;
    assert_non_null(r);
    px_put_be32(data + SH_VERSION, 2);
    assert_int_equal(stats_handoff_read(data, SH_TLS, r), 0);
    memset(&s->tls, 0, sizeof s->tls);
    assert_same_state(s, r);
    /* Version 2 with the TLS counters after it: one field too many. */
    assert_int_equal(stats_handoff_read(data, len, r), EPROTO);

    /* Version 3 with two reasons fewer. */
    free(s);
    s = handoff_sample();
    px_put_be32(data + SH_VERSION, STATS_HANDOFF_VERSION);
    px_put_be32(data + SH_TLS_N, STATS_TLS_N_CLOSES - 2);
    assert_int_equal(stats_handoff_read(data, len - 16, r), 0);
    for (i = STATS_TLS_N_CLOSES - 2; i < STATS_TLS_N_CLOSES; i++) {
        s->tls.closes[i] = 0;
    }
    assert_same_state(s, r);
    free(r);
    free(s);
    free(data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prometheus_exact),
        cmocka_unit_test(test_json_exact),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_json_label_utf8),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_handoff_roundtrip),
        cmocka_unit_test(test_handoff_truncated),
        cmocka_unit_test(test_handoff_corrupt),
        cmocka_unit_test(test_handoff_older_versions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
