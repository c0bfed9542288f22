/*
 * Unit tests of the SDK's own inline helpers (plexus/plugin.h,
 * plexus/util.h and plexus/table.h): the rate-limited logging that
 * per-packet code relies on, the shared time format, the command and reply
 * wrappers, and the text tables commands print.  The host table is a fake
 * that controls the clock and records what is logged and replied.
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

#include "plexus/plugin.h"
#include "plexus/table.h"
#include "plexus/util.h"

static double fake_now;
static int fake_level = PX_LOG_DEBUG;
static char logged[16][256];
static int n_logged;

static double
now(struct px_plugin *p)
{
    (void)p;
    return fake_now;
}

static int
log_enabled(struct px_plugin *p, enum px_log_level level)
{
    (void)p;
    return (int)level <= fake_level;
}

static void
vlog(struct px_plugin *p, enum px_log_level level, const char *fmt,
     va_list args)
{
    (void)p;
    (void)level;
    if (n_logged < 16) {
        vsnprintf(logged[n_logged++], sizeof logged[0], fmt, args);
    }
}

/* What the reply wrappers handed the fake host. */
static char replied[256];
static char reply_error[256];
static const char *reply_json_text;
static struct {
    const char *name, *usage, *help;
    int min_args, max_args;
    px_command_fn fn;
    void *arg;
} registered;

static void
reply_vprintf(struct px_reply *r, const char *fmt, va_list args)
{
    size_t n = strlen(replied);

    (void)r;
    vsnprintf(replied + n, sizeof replied - n, fmt, args);
}

static int
reply_json(struct px_reply *r, const char *json_text)
{
    (void)r;
    reply_json_text = json_text;
    return json_text[0] == '{' ? 0 : EINVAL;
}

static void
reply_verror(struct px_reply *r, const char *fmt, va_list args)
{
    (void)r;
    vsnprintf(reply_error, sizeof reply_error, fmt, args);
}

static int
command_register(struct px_plugin *p, const char *name, const char *usage,
                 const char *help, int min_args, int max_args,
                 px_command_fn fn, void *arg, struct px_command **out)
{
    (void)p;
    registered.name = name;
    registered.usage = usage;
    registered.help = help;
    registered.min_args = min_args;
    registered.max_args = max_args;
    registered.fn = fn;
    registered.arg = arg;
    if (out) {
        *out = NULL;
    }
    return 0;
}

static struct px_host_api api = {
    .now = now,
    .log_enabled = log_enabled,
    .vlog = vlog,
    .command_register = command_register,
    .reply_vprintf = reply_vprintf,
    .reply_json = reply_json,
    .reply_verror = reply_verror,
};

static int
setup(void **state)
{
    (void)state;
    fake_now = 1000.0;
    fake_level = PX_LOG_DEBUG;
    n_logged = 0;
    memset(logged, 0, sizeof logged);
    return 0;
}

/* Three messages per second pass; the rest of the second is suppressed and
 * counted, and the count is reported when the next window opens. */
static void
test_ratelimit_burst_and_report(void **state)
{
    struct px_plugin p = {&api, NULL};
    struct px_ratelimit rl = PX_RATELIMIT_INIT(1.0, 3);
    int i;

    (void)state;
    for (i = 0; i < 10; i++) {
        px_log_rl(&p, &rl, PX_LOG_WARN, "packet %d", i);
    }
    assert_int_equal(n_logged, 3);
    assert_string_equal(logged[0], "packet 0");
    assert_string_equal(logged[2], "packet 2");
    assert_int_equal(rl.suppressed, 7);

    fake_now += 0.5; /* Same window: still suppressed. */
    px_log_rl(&p, &rl, PX_LOG_WARN, "packet %d", 10);
    assert_int_equal(n_logged, 3);

    fake_now += 0.6; /* New window: the report, then the message. */
    px_log_rl(&p, &rl, PX_LOG_WARN, "packet %d", 11);
    assert_int_equal(n_logged, 5);
    assert_string_equal(logged[3], "8 similar messages suppressed");
    assert_string_equal(logged[4], "packet 11");
    assert_int_equal(rl.suppressed, 0);
}

/* A disabled level costs nothing: not even a rate-limit slot. */
static void
test_ratelimit_disabled_level(void **state)
{
    struct px_plugin p = {&api, NULL};
    struct px_ratelimit rl = PX_RATELIMIT_INIT(1.0, 1);

    (void)state;
    fake_level = PX_LOG_INFO;
    px_log_rl(&p, &rl, PX_LOG_DEBUG, "hidden");
    assert_int_equal(n_logged, 0);
    assert_int_equal(rl.count, 0);
    px_log_rl(&p, &rl, PX_LOG_INFO, "shown");
    assert_int_equal(n_logged, 1);
    assert_string_equal(logged[0], "shown");
}

static void
test_format_time(void **state)
{
    char buf[48];

    (void)state;
    px_format_time(1795568523.456, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-25T01:02:03.456Z");
    px_format_time(0.0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    assert_string_equal(px_log_level_str(PX_LOG_WARN), "warn");
    assert_string_equal(px_log_level_str(7), "?");
}

/* The host table keeps the struct's size: the command functions took
 * reserved slots. */
static void
test_api_size(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct px_host_api),
                     4 * sizeof(uint32_t) + 45 * sizeof(void (*)(void)));
}

static int
handler(struct px_plugin *p, int argc, const char *const *argv,
        struct px_reply *r, void *arg)
{
    (void)p;
    (void)arg;
    if (argc > 1) {
        px_reply_error(r, "no field '%s'", argv[1]);
        return EINVAL;
    }
    px_reply_printf(r, "count=%d\n", 42);
    px_reply_printf(r, "pings=%s\n", "7");
    return px_reply_json(r, "{\"count\":42}");
}

/* The command wrappers pass everything through, and a handler writes its
 * reply through the table the reply carries. */
static void
test_command_wrappers(void **state)
{
    struct px_plugin p = {&api, NULL};
    struct px_reply r = {&api};
    const char *argv[] = {"counter-get", "bogus", NULL};
    int marker;

    (void)state;
    replied[0] = reply_error[0] = '\0';
    assert_int_equal(px_command_register(&p, "counter-get", "[FIELD]",
                                         "the count", 0, 1, handler, &marker,
                                         NULL),
                     0);
    assert_string_equal(registered.name, "counter-get");
    assert_string_equal(registered.usage, "[FIELD]");
    assert_string_equal(registered.help, "the count");
    assert_int_equal(registered.min_args, 0);
    assert_int_equal(registered.max_args, 1);
    assert_ptr_equal(registered.arg, &marker);

    assert_int_equal(registered.fn(&p, 1, argv, &r, NULL), 0);
    assert_string_equal(replied, "count=42\npings=7\n");
    assert_string_equal(reply_json_text, "{\"count\":42}");
    assert_int_equal(registered.fn(&p, 2, argv, &r, NULL), EINVAL);
    assert_string_equal(reply_error, "no field 'bogus'");
}

/* Lays 't' out into a string the caller frees. */
static char *
render(const struct px_table *t, const char *indent, int *error)
{
    char *text = NULL;

    *error = px_table_render(t, indent, &text);
    return text;
}

static void
test_table_layout(void **state)
{
    struct px_table t;
    char *text;
    int error;

    (void)state;
    px_table_init(&t);
    px_table_column(&t, "NAME", PX_TABLE_LEFT);
    px_table_column(&t, "PKT_IN", PX_TABLE_RIGHT);
    px_table_column(&t, "PEER", PX_TABLE_LEFT);

    px_table_row(&t);
    px_table_set(&t, 0, "s1-eth1");
    px_table_setf(&t, 1, "%d", 1234567);
    px_table_set(&t, 2, "10.0.0.1:6653");
    px_table_row(&t);
    px_table_set(&t, 0, "p");
    px_table_set(&t, 1, "5");
    /* Missing, empty and NULL cells show as "-". */
    px_table_set(&t, 2, "");
    px_table_row(&t);
    px_table_set(&t, 1, NULL);
    /* Beyond the last column: ignored. */
    px_table_set(&t, 3, "ignored");
    assert_int_equal(t.n_rows, 3);

    text = render(&t, "  ", &error);
    assert_int_equal(error, 0);
    assert_string_equal(text, "  NAME      PKT_IN  PEER\n"
                              "  s1-eth1  1234567  10.0.0.1:6653\n"
                              "  p              5  -\n"
                              "  -              -  -\n");
    free(text);

    /* A long formatted cell takes the slow path of px_table_setf. */
    px_table_row(&t);
    px_table_setf(&t, 2, "%0100d", 7);
    text = render(&t, NULL, &error);
    assert_int_equal(error, 0);
    assert_int_equal(t.truncated, 1);
    free(text);

    /* A column after the first row is a caller's bug, reported. */
    px_table_column(&t, "LATE", PX_TABLE_LEFT);
    text = render(&t, NULL, &error);
    assert_int_equal(error, EINVAL);
    assert_null(text);
    px_table_clear(&t);
    px_table_clear(NULL);

    /* Without columns there is no row to add. */
    px_table_row(&t);
    assert_int_equal(t.error, EINVAL);
    px_table_clear(&t);
}

static void
test_table_hostile_cells(void **state)
{
    struct px_table t;
    char long_cell[300];
    char *text, *line;
    int error;

    (void)state;
    px_table_init(&t);
    px_table_column(&t, "NAME", PX_TABLE_LEFT);
    px_table_column(&t, "N", PX_TABLE_RIGHT);

    /* Escape sequences and newlines never reach the terminal. */
    px_table_row(&t);
    px_table_set(&t, 0, "evil\x1b[2J\nname\x7f");
    px_table_set(&t, 1, "1");
    /* UTF-8 takes one column per character. */
    px_table_row(&t);
    px_table_set(&t, 0, "caf\xc3\xa9");
    px_table_set(&t, 1, "22");
    text = render(&t, "", &error);
    assert_int_equal(error, 0);
    assert_string_equal(text, "NAME             N\n"
                              "evil?[2J?name?   1\n"
                              "caf\xc3\xa9            22\n");
    free(text);

    /* Long cells are cut at PX_TABLE_CELL_MAX characters. */
    memset(long_cell, 'x', sizeof long_cell - 1);
    long_cell[sizeof long_cell - 1] = '\0';
    px_table_row(&t);
    px_table_set(&t, 0, long_cell);
    assert_int_equal(t.truncated, 1);
    text = render(&t, "", &error);
    assert_int_equal(error, 0);
    line = strrchr(text, '\n');
    assert_non_null(line);
    *line = '\0';
    line = strrchr(text, '\n') + 1;
    assert_int_equal(strlen(line), PX_TABLE_CELL_MAX + 4);
    assert_int_equal(strspn(line, "x"), PX_TABLE_CELL_MAX - 3);
    assert_string_equal(line + PX_TABLE_CELL_MAX - 3, "...   -");
    free(text);

    /* An exactly PX_TABLE_CELL_MAX long cell is kept whole. */
    long_cell[PX_TABLE_CELL_MAX] = '\0';
    px_table_set(&t, 0, long_cell);
    assert_int_equal(t.truncated, 1);
    px_table_clear(&t);
}

static void
test_table_age(void **state)
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
        assert_string_equal(px_table_age(cases[i].seconds, buf, sizeof buf),
                            cases[i].text);
    }
    assert_string_equal(px_table_age(NAN, buf, sizeof buf), "-");
    assert_string_equal(px_table_age(INFINITY, buf, sizeof buf), "-");
    /* A small buffer is cut, not overrun (a size the compiler cannot see,
     * or it warns about the truncation this checks). */
    {
        volatile size_t small = 3;

        assert_string_equal(px_table_age(7500, buf, small), "2h");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ratelimit_burst_and_report, setup),
        cmocka_unit_test_setup(test_ratelimit_disabled_level, setup),
        cmocka_unit_test_setup(test_format_time, setup),
        cmocka_unit_test(test_api_size),
        cmocka_unit_test(test_command_wrappers),
        cmocka_unit_test(test_table_layout),
        cmocka_unit_test(test_table_hostile_cells),
        cmocka_unit_test(test_table_age),
    };

    return cmocka_run_group_tests_name("sdk", tests, NULL, NULL);
}
