/*
 * Unit tests of the SDK's own inline helpers (plexus/plugin.h and
 * plexus/util.h): the rate-limited logging that per-packet code relies on,
 * and the shared time format.  The host table is a fake that controls the
 * clock and records what is logged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plexus/plugin.h"
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

static struct px_host_api api = {
    .now = now,
    .log_enabled = log_enabled,
    .vlog = vlog,
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ratelimit_burst_and_report, setup),
        cmocka_unit_test_setup(test_ratelimit_disabled_level, setup),
        cmocka_unit_test_setup(test_format_time, setup),
    };

    return cmocka_run_group_tests_name("sdk", tests, NULL, NULL);
}
