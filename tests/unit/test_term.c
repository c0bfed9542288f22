/*
 * Unit tests of the console's terminal (plugins/console/term.c): real
 * commands on a real pty, driven with poll() and deadlines as the plugin's
 * loop would.  Output, exit status, window size, the child's descriptors,
 * signals, session and environment, killing the whole process group (also
 * one that ignores SIGHUP and SIGTERM, and what an exited leader left), a
 * child reaped behind the module's back, a program that is not there,
 * input that does not fit, and the command-line parser.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "term.h"

/* How long any one expected thing may take, generous for ASan on a busy
 * machine: only a failing test ever waits that long. */
#define DEADLINE_MS 10000

struct output {
    char data[16384];
    size_t len;
    bool end; /* term_read() said EPIPE. */
};

static long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Polls 'fd' for input until the deadline; fails the test at the
 * deadline.  'what' names the wait in the failure. */
static void
poll_in(int fd, long deadline, const char *what)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        long left = deadline - now_ms();
        int r;

        if (left <= 0) {
            fail_msg("timed out waiting for %s", what);
        }
        r = poll(&pfd, 1, (int)left);
        if (r > 0) {
            return;
        }
        if (r < 0 && errno != EINTR) {
            fail_msg("poll: %s", strerror(errno));
        }
    }
}

/* Reads output into 'o' until 'want' appears in it or, with 'want' NULL,
 * until its end.  Fails the test at the deadline, or at the end of the
 * output before 'want'. */
static void
read_until(struct term *t, struct output *o, const char *want)
{
    long deadline = now_ms() + DEADLINE_MS;

    for (;;) {
        size_t n;
        int error;

        if (want && strstr(o->data, want)) {
            return;
        }
        if (o->end) {
            if (want) {
                fail_msg("output ended before '%s'; got '%s'", want, o->data);
            }
            return;
        }
        if (o->len + 1 >= sizeof o->data) {
            fail_msg("too much output: '%s'", o->data);
        }
        poll_in(term_master_fd(t), deadline, want ? want : "the end");
        error =
            term_read(t, o->data + o->len, sizeof o->data - o->len - 1, &n);
        if (!error) {
            assert_true(n > 0);
            o->len += n;
            o->data[o->len] = '\0';
        } else if (error == EPIPE) {
            o->end = true;
        } else if (error != EAGAIN) {
            fail_msg("term_read: %s", strerror(error));
        }
    }
}

/* Waits for the child to exit and returns its status. */
static int
wait_status(struct term *t)
{
    int status = -1;

    poll_in(term_pidfd(t), now_ms() + DEADLINE_MS, "the child to exit");
    assert_int_equal(term_reap(t, &status), 0);
    return status;
}

/* Parses 'line' and starts it at 'rows' x 'cols'. */
static struct term *
spawn(const char *line, unsigned short rows, unsigned short cols)
{
    struct term *t = NULL;
    char why[256];
    char **argv;
    int error;

    error = term_argv_parse(line, &argv, why, sizeof why);
    if (error) {
        fail_msg("'%s': %s", line, why);
    }
    error = term_spawn(argv, rows, cols, &t);
    term_argv_free(argv);
    if (error) {
        fail_msg("term_spawn '%s': %s", line, strerror(error));
    }
    assert_non_null(t);
    return t;
}

/* Runs 'line' to its end: its output in 'o', its status returned. */
static int
run(const char *line, struct output *o)
{
    struct term *t = spawn(line, 24, 80);
    int status;

    memset(o, 0, sizeof *o);
    read_until(t, o, NULL);
    status = wait_status(t);
    term_destroy(t);
    return status;
}

static unsigned int
count(const char *haystack, const char *needle)
{
    unsigned int n = 0;
    const char *s;

    for (s = strstr(haystack, needle); s; s = strstr(s + 1, needle)) {
        n++;
    }
    return n;
}

static void
test_echo_hello(void **state)
{
    struct term *t = spawn("/bin/echo hello", 24, 80);
    struct term_stats stats;
    struct output o;
    char buf[16];
    size_t n = 1;
    int status, again;

    (void)state;
    memset(&o, 0, sizeof o);
    read_until(t, &o, NULL);
    /* ONLCR: the terminal's newline is CR LF. */
    assert_string_equal(o.data, "hello\r\n");
    /* The end stays the end. */
    assert_int_equal(term_read(t, buf, sizeof buf, &n), EPIPE);
    assert_int_equal(n, 0);
    status = wait_status(t);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(term_reap(t, &again), 0);
    assert_int_equal(again, status);
    term_get_stats(t, &stats);
    assert_int_equal(stats.bytes_out, o.len);
    assert_int_equal(stats.bytes_in, 0);
    term_destroy(t);
}

/* What libev's default loop does on SIGCHLD: reap any child with
 * waitpid(-1).  The status is then lost, and term_destroy() must signal
 * no group (there is none left to check here: it must just not fail). */
static void
test_reaped_elsewhere(void **state)
{
    struct term *t = spawn("sh -c 'exit 3'", 24, 80);
    int status;

    (void)state;
    poll_in(term_pidfd(t), now_ms() + DEADLINE_MS, "the child to exit");
    assert_int_equal(waitpid(-1, &status, WNOHANG), term_pid(t));
    assert_int_equal(WEXITSTATUS(status), 3);
    assert_int_equal(term_reap(t, &status), ECHILD);
    term_destroy(t);
}

static void
test_cat_echoes_input(void **state)
{
    struct term *t = spawn("/bin/cat", 24, 80);
    struct term_stats stats;
    struct output o;
    size_t written;
    int status;

    (void)state;
    memset(&o, 0, sizeof o);
    assert_int_equal(term_reap(t, &status), EAGAIN);
    assert_int_equal(term_write(t, "abc\n", 4, &written), 0);
    assert_int_equal(written, 4);
    /* The line discipline's echo, then cat's copy. */
    read_until(t, &o, "abc\r\nabc\r\n");
    /* ^D: end of file for cat, which exits. */
    assert_int_equal(term_write(t, "\x04", 1, &written), 0);
    assert_int_equal(written, 1);
    read_until(t, &o, NULL);
    assert_int_equal(count(o.data, "abc"), 2);
    status = wait_status(t);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    term_get_stats(t, &stats);
    assert_int_equal(stats.bytes_in, 5);
    assert_int_equal(stats.input_dropped, 0);
    assert_int_equal(stats.bytes_out, o.len);
    term_destroy(t);
}

static void
test_resize(void **state)
{
    struct term *t = spawn("sh -c 'stty size; read x; stty size'", 24, 80);
    struct output o;
    size_t written;

    (void)state;
    memset(&o, 0, sizeof o);
    read_until(t, &o, "24 80\r\n");
    assert_int_equal(term_resize(t, 0, 100), EINVAL);
    assert_int_equal(term_resize(t, 30, 0), EINVAL);
    assert_int_equal(term_resize(t, 30, 100), 0);
    assert_int_equal(term_write(t, "\n", 1, &written), 0);
    read_until(t, &o, "30 100\r\n");
    read_until(t, &o, NULL);
    assert_int_equal(WEXITSTATUS(wait_status(t)), 0);
    term_destroy(t);
}

/* The child inherits 0-2 (the pty) and nothing else, not even a
 * descriptor without close-on-exec. */
static void
test_no_inherited_fds(void **state)
{
    static const char *const want[] = {"0", "1", "2", "3"};
    struct output o;
    char *tok, *save = NULL;
    size_t n = 0;
    int p[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(run("ls /proc/self/fd", &o), 0);
    close(p[0]);
    close(p[1]);
    /* ls's own 3 is the directory it lists. */
    for (tok = strtok_r(o.data, " \t\r\n", &save); tok;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        if (n >= 4) {
            fail_msg("unexpected descriptor %s", tok);
        }
        assert_string_equal(tok, want[n]);
        n++;
    }
    assert_int_equal(n, 4);
}

/* Signals the daemon ignores or blocks are not the child's; TERM is
 * xterm-256color, once; the child leads a session on the pty. */
static void
test_child_environment(void **state)
{
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigset_t usr1, old_mask;
    struct output o;
    struct term *t;
    int pid, ppid, pgrp, session, tty_nr;
    char st;
    const char *s;

    (void)state;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    assert_int_equal(sigaction(SIGPIPE, &ign, &old_pipe), 0);
    assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, &old_mask), 0);
    assert_int_equal(setenv("TERM", "dumb", 1), 0);

    assert_int_equal(run("grep -E '^Sig(Blk|Ign):' /proc/self/status", &o), 0);
    assert_non_null(strstr(o.data, "SigBlk:\t0000000000000000"));
    /* Signals 32 and 33 are glibc's own (its threads and cancellation):
     * sigaction() refuses them, so a child inherits whatever its parent
     * had for them (GNU make starts its commands with both ignored). */
    s = strstr(o.data, "SigIgn:\t");
    assert_non_null(s);
    assert_int_equal(strtoull(s + 8, NULL, 16) & ~0x180000000ull, 0);

    assert_int_equal(run("sh -c 'env | grep -c ^TERM=; echo \"T=$TERM\"'", &o),
                     0);
    assert_string_equal(o.data, "1\r\nT=xterm-256color\r\n");

    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    unsetenv("TERM");

    /* cat is the child itself: pid, parent, group, session, tty. */
    t = spawn("cat /proc/self/stat", 24, 80);
    memset(&o, 0, sizeof o);
    read_until(t, &o, NULL);
    s = strrchr(o.data, ')');
    assert_non_null(s);
    assert_int_equal(sscanf(o.data, "%d", &pid), 1);
    assert_int_equal(
        sscanf(s + 1, " %c %d %d %d %d", &st, &ppid, &pgrp, &session, &tty_nr),
        5);
    assert_int_equal(pid, term_pid(t));
    assert_int_equal(ppid, getpid());
    assert_int_equal(pgrp, pid);
    assert_int_equal(session, pid);
    assert_int_not_equal(tty_nr, 0);
    assert_int_equal(WEXITSTATUS(wait_status(t)), 0);
    term_destroy(t);
}

/* Starts 'line', which prints "pids BG SELF end", and returns pidfds of
 * both processes. */
static struct term *
spawn_pair(const char *line, int *bg_fd, int *self_fd)
{
    struct term *t = spawn(line, 24, 80);
    struct output o;
    const char *s;
    int bg, self;

    memset(&o, 0, sizeof o);
    read_until(t, &o, " end");
    s = strstr(o.data, "pids ");
    assert_non_null(s);
    assert_int_equal(sscanf(s, "pids %d %d", &bg, &self), 2);
    assert_int_equal(self, term_pid(t));
    *bg_fd = pidfd_open(bg, 0);
    *self_fd = pidfd_open(self, 0);
    assert_true(*bg_fd >= 0);
    assert_true(*self_fd >= 0);
    return t;
}

/* Both processes are gone (a pidfd is readable once its process exited). */
static void
assert_gone(int bg_fd, int self_fd)
{
    long deadline = now_ms() + DEADLINE_MS;

    poll_in(bg_fd, deadline, "the background process to die");
    poll_in(self_fd, deadline, "the child to die");
    close(bg_fd);
    close(self_fd);
}

static void
test_destroy_kills_group(void **state)
{
    struct term *t;
    int bg_fd, self_fd;

    (void)state;
    t = spawn_pair("sh -c 'sleep 1000 & echo \"pids $! $$ end\"; "
                   "exec sleep 1000'",
                   &bg_fd, &self_fd);
    term_destroy(t);
    assert_gone(bg_fd, self_fd);
}

/* What ignores SIGHUP and SIGTERM gets SIGKILL after the grace. */
static void
test_destroy_kills_stubborn_group(void **state)
{
    struct term *t;
    long start;
    int bg_fd, self_fd;

    (void)state;
    t = spawn_pair("sh -c 'trap \"\" HUP TERM; sleep 1000 & "
                   "echo \"pids $! $$ end\"; exec sleep 1000'",
                   &bg_fd, &self_fd);
    start = now_ms();
    term_destroy(t);
    /* Bounded: the grace and a little. */
    assert_true(now_ms() - start < TERM_KILL_GRACE_MS + 2000);
    assert_gone(bg_fd, self_fd);
}

/* The leader exited by itself, leaving a process that ignores the
 * hangup: term_destroy() still kills it, the zombie holding the group. */
static void
test_destroy_after_exit_kills_leftovers(void **state)
{
    struct term *t;
    int bg_fd, self_fd, status;

    (void)state;
    t = spawn_pair("sh -c 'trap \"\" HUP; sleep 1000 & "
                   "echo \"pids $! $$ end\"; exit 7'",
                   &bg_fd, &self_fd);
    status = wait_status(t);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7);
    /* Still there after the leader's exit and the kernel's hangup. */
    {
        struct pollfd pfd = {.fd = bg_fd, .events = POLLIN};

        assert_int_equal(poll(&pfd, 1, 0), 0);
    }
    term_destroy(t);
    assert_gone(bg_fd, self_fd);
}

static void
test_missing_program(void **state)
{
    struct output o;
    int status;

    (void)state;
    status = run("/nonexistent/plexus-no-such-program", &o);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 127);
    assert_string_equal(o.data, "");

    status = run("plexus-no-such-program-in-path --flag", &o);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 127);
    assert_string_equal(o.data, "");
}

/* Input a program does not read fills the pty: the rest is dropped and
 * counted, never queued. */
static void
test_input_dropped(void **state)
{
    struct term *t = spawn("sleep 1000", 24, 80);
    struct term_stats stats;
    char chunk[4096];
    uint64_t total = 0;
    size_t written = 0;
    int i;

    (void)state;
    memset(chunk, 'x', sizeof chunk);
    for (i = 0; i < 1024; i++) {
        assert_int_equal(term_write(t, chunk, sizeof chunk, &written), 0);
        total += sizeof chunk;
        if (written < sizeof chunk) {
            break;
        }
    }
    assert_true(written < sizeof chunk);
    term_get_stats(t, &stats);
    assert_true(stats.input_dropped > 0);
    assert_int_equal(stats.bytes_in + stats.input_dropped, total);
    term_destroy(t);
}

/* Parses 'line', expecting 'n' words equal to 'want'. */
static void
parse_ok(const char *line, const char *const *want, size_t n)
{
    char why[256];
    char **argv;
    size_t i;
    int error = term_argv_parse(line, &argv, why, sizeof why);

    if (error) {
        fail_msg("'%s': %s (%d)", line, why, error);
    }
    for (i = 0; i < n; i++) {
        assert_non_null(argv[i]);
        assert_string_equal(argv[i], want[i]);
    }
    assert_null(argv[n]);
    term_argv_free(argv);
}

/* Parses 'line', expecting EINVAL with 'want' in the message. */
static void
parse_bad(const char *line, const char *want)
{
    char why[256];
    char **argv = (char **)1;
    int error = term_argv_parse(line, &argv, why, sizeof why);

    if (error != EINVAL || !strstr(why, want)) {
        fail_msg("'%s': got %d '%s', want EINVAL with '%s'", line, error, why,
                 want);
    }
    assert_null(argv);
}

static void
test_argv_parse(void **state)
{
    static const char *const quoted[] = {"ssh", "-t",  "a b",
                                         "c d", "e f", "$(id)"};
    static const char *const one[] = {"/bin/sh"};
    static const char *const var[] = {"echo", "42"};

    (void)state;
    parse_ok("ssh -t 'a b' \"c d\" e\\ f '$(id)'", quoted, 6);
    parse_ok("  /bin/sh  ", one, 1);
    assert_int_equal(setenv("PLEXUS_TERM_TEST_VAR", "42", 1), 0);
    parse_ok("echo $PLEXUS_TERM_TEST_VAR", var, 2);
    unsetenv("PLEXUS_TERM_TEST_VAR");

    parse_bad("$(id)", "command substitution");
    parse_bad("echo `id`", "command substitution");
    parse_bad("echo \"$(id)\"", "command substitution");
    parse_bad("", "empty");
    parse_bad(" \t ", "empty");
    parse_bad("ls | wc", "unquoted");
    parse_bad("ls; id", "unquoted");
    parse_bad("ls > /tmp/x", "unquoted");
    parse_bad("echo $PLEXUS_TERM_TEST_VAR", "undefined");
    parse_bad("echo 'unbalanced", "syntax");
    term_argv_free(NULL);
}

static void
test_bad_arguments(void **state)
{
    char *argv[] = {"/bin/true", NULL};
    char *empty[] = {NULL};
    struct term *t = (struct term *)1;

    (void)state;
    assert_int_equal(term_spawn(NULL, 24, 80, &t), EINVAL);
    assert_null(t);
    assert_int_equal(term_spawn(empty, 24, 80, &t), EINVAL);
    assert_int_equal(term_spawn(argv, 0, 80, &t), EINVAL);
    assert_int_equal(term_spawn(argv, 24, 0, &t), EINVAL);
    assert_null(t);
    term_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_hello),
        cmocka_unit_test(test_reaped_elsewhere),
        cmocka_unit_test(test_cat_echoes_input),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_no_inherited_fds),
        cmocka_unit_test(test_child_environment),
        cmocka_unit_test(test_destroy_kills_group),
        cmocka_unit_test(test_destroy_kills_stubborn_group),
        cmocka_unit_test(test_destroy_after_exit_kills_leftovers),
        cmocka_unit_test(test_missing_program),
        cmocka_unit_test(test_input_dropped),
        cmocka_unit_test(test_argv_parse),
        cmocka_unit_test(test_bad_arguments),
    };

    return cmocka_run_group_tests_name("term", tests, NULL, NULL);
}
