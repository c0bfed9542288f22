/*
 * Unit tests for the configuration snapshot (host/conf.c): the [host]
 * section and path resolution, plugin files and their own sections, every
 * error a user can make in an INI file (each must name the file and the
 * line), duplicate instance names across files, reading a conf.d directory
 * all-or-nothing and in byte-wise order, and the schema helpers plugins'
 * keys go through (check, lookup, convert), plus instance compare and clone.
 *
 * Most tests parse strings with px_conf_parse_buffer, the same entry point
 * the fuzzer uses; the directory tests work in a fresh mkdtemp directory
 * that the teardown removes.
 */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "tmpdir.h"

/* The longest line conf.c accepts: inih's buffer less the newline and the
 * terminating NUL. */
#define MAX_LINE_CHARS (65536 - 2)

/* The directory px_conf_create is given in the buffer tests. */
#define CONF_DIR "/etc/plexus/conf.d"

/* Fails the test, at the caller's line, unless 'needle' occurs in
 * 'haystack'. */
#define assert_contains(HAYSTACK, NEEDLE)                                     \
    assert_contains_((HAYSTACK), (NEEDLE), __FILE__, __LINE__)

static void
assert_contains_(const char *haystack, const char *needle, const char *file,
                 int line)
{
    if (!strstr(haystack, needle)) {
        print_error("'%s' not found in '%s'\n", needle, haystack);
        _fail(file, line);
    }
}

/* Fails unless 'text' begins with 'prefix'.  Messages start with
 * "file:line: ", so this pins both. */
#define assert_prefix(TEXT, PREFIX)                                           \
    assert_prefix_((TEXT), (PREFIX), __FILE__, __LINE__)

static void
assert_prefix_(const char *text, const char *prefix, const char *file,
               int line)
{
    if (strncmp(text, prefix, strlen(prefix))) {
        print_error("'%s' does not start with '%s'\n", text, prefix);
        _fail(file, line);
    }
}

/* Parses one buffer named 'file' into a fresh snapshot rooted at CONF_DIR.
 * Returns px_conf_parse_buffer's result. */
static int
parse_len(const char *file, const char *text, size_t len,
          struct px_conf **conf, struct px_errors *errors)
{
    *conf = NULL;
    assert_int_equal(px_conf_create(CONF_DIR, conf), 0);
    assert_non_null(*conf);
    return px_conf_parse_buffer(*conf, file, text, len, errors);
}

static int
parse(const char *file, const char *text, struct px_conf **conf,
      struct px_errors *errors)
{
    return parse_len(file, text, strlen(text), conf, errors);
}

/* Parses 'text' that must be accepted with no message, and finishes the
 * snapshot. */
static struct px_conf *
parse_ok(const char *file, const char *text)
{
    struct px_errors errors = {.count = 0};
    struct px_conf *conf;

    if (parse(file, text, &conf, &errors) || px_conf_finish(conf, &errors)) {
        print_error("unexpected errors: %s", px_errors_text(&errors));
    }
    assert_int_equal(errors.count, 0);
    px_errors_clear(&errors);
    return conf;
}

/* Parses 'text' (of 'len' bytes) named "f.ini", which must fail with
 * exactly one message that starts with 'where' and contains 'what' and, if
 * not NULL, 'what2'.  A rejected file must not leave an instance behind
 * when it has no usable [plugin] section. */
static void
expect_one_error_len(const char *text, size_t len, const char *where,
                     const char *what, const char *what2)
{
    struct px_errors errors = {.count = 0};
    struct px_conf *conf;

    assert_int_equal(parse_len("f.ini", text, len, &conf, &errors), EINVAL);
    assert_int_equal(errors.count, 1);
    assert_prefix(px_errors_text(&errors), where);
    assert_contains(px_errors_text(&errors), what);
    if (what2) {
        assert_contains(px_errors_text(&errors), what2);
    }
    px_errors_clear(&errors);
    px_conf_destroy(conf);
}

static void
expect_one_error(const char *text, const char *where, const char *what,
                 const char *what2)
{
    expect_one_error_len(text, strlen(text), where, what, what2);
}

/* ---------------------------------------------------------------------- */
/* Temporary directories.                                                 */

static void
write_file(const char *dir, const char *name, const char *text)
{
    char *path;
    FILE *f;

    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    free(path);
}

static char *
join(const char *dir, const char *name)
{
    char *path;

    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    return path;
}

/* ---------------------------------------------------------------------- */
/* Valid files.                                                           */

static void
test_host_defaults(void **state)
{
    struct px_conf *conf = parse_ok("00-host.ini", "");

    (void)state;

    assert_string_equal(conf->dir, CONF_DIR);
    assert_string_equal(conf->host.plugin_path[0], CONF_DIR "/plugins");
    assert_string_equal(conf->host.run_dir, "/tmp");
    /* The pid file (locked: one daemon per run directory) and the control
     * socket beside it. */
    assert_string_equal(conf->host.pid_file, "/tmp/plexusd.pid");
    assert_string_equal(conf->host.ctl_socket, "/tmp/plexusd.ctl");
    assert_int_equal(conf->host.partial_start, 0);
    assert_int_equal(conf->host.log_level, PX_LOG_INFO);
    assert_int_equal(conf->host.log_syslog, 0);
    assert_int_equal(conf->host.async_queue, 4096);
    assert_int_equal(conf->n_instances, 0);
    px_conf_destroy(conf);

    /* Destroying nothing is a no-op. */
    px_conf_destroy(NULL);
}

static void
test_host_section(void **state)
{
    struct px_conf *conf;

    (void)state;

    /* Relative paths resolve against the directory given to
     * px_conf_create, not the current directory. */
    conf = parse_ok("00-host.ini", "; Host options.\n"
                                   "[host]\n"
                                   "plugin_dir = lib/plugins\n"
                                   "run_dir = run\n"
                                   "pid_file = plexusd.pid\n"
                                   "log_level = debug\n"
                                   "log_target = syslog\n"
                                   "async_queue = 16\n");
    assert_string_equal(conf->host.plugin_path[0], CONF_DIR "/lib/plugins");
    assert_string_equal(conf->host.run_dir, CONF_DIR "/run");
    assert_string_equal(conf->host.pid_file, CONF_DIR "/plexusd.pid");
    assert_int_equal(conf->host.log_level, PX_LOG_DEBUG);
    assert_int_equal(conf->host.log_syslog, 1);
    assert_int_equal(conf->host.async_queue, 16);
    assert_int_equal(conf->n_instances, 0);
    px_conf_destroy(conf);

    /* Absolute paths stay as written; the largest queue is accepted; an
     * empty pid_file means none; "warning" is an alias of "warn". */
    conf = parse_ok("00-host.ini", "[host]\n"
                                   "plugin_dir = /usr/lib/plexus/plugins\n"
                                   "run_dir = /run/plexus\n"
                                   "pid_file =\n"
                                   "log_level = warning\n"
                                   "log_target = stderr\n"
                                   "async_queue = 1048576\n");
    assert_string_equal(conf->host.plugin_path[0], "/usr/lib/plexus/plugins");
    assert_string_equal(conf->host.run_dir, "/run/plexus");
    assert_null(conf->host.pid_file);
    /* Without a pid file the control socket goes in the run directory. */
    assert_string_equal(conf->host.ctl_socket, "/run/plexus/plexusd.ctl");
    assert_int_equal(conf->host.log_level, PX_LOG_WARN);
    assert_int_equal(conf->host.log_syslog, 0);
    assert_int_equal(conf->host.async_queue, 1048576);
    px_conf_destroy(conf);
}

/* plugin_path: several directories, in order, each resolved; the control
 * socket beside an explicit pid file or where it is set; partial_start. */
static void
test_host_paths(void **state)
{
    struct px_conf *conf;

    (void)state;

    conf = parse_ok("00-host.ini", "[host]\n"
                                   "plugin_path = lib:/opt/px/plugins::x\n"
                                   "pid_file = /run/px/plexusd.pid\n"
                                   "partial_start = on\n");
    assert_int_equal(conf->host.n_plugin_path, 3);
    assert_string_equal(conf->host.plugin_path[0], CONF_DIR "/lib");
    assert_string_equal(conf->host.plugin_path[1], "/opt/px/plugins");
    assert_string_equal(conf->host.plugin_path[2], CONF_DIR "/x");
    assert_string_equal(conf->host.ctl_socket, "/run/px/plexusd.ctl");
    assert_int_equal(conf->host.partial_start, 1);
    px_conf_destroy(conf);

    conf = parse_ok("00-host.ini", "[host]\nctl_socket = ctl.sock\n");
    assert_string_equal(conf->host.ctl_socket, CONF_DIR "/ctl.sock");
    px_conf_destroy(conf);
    conf = parse_ok("00-host.ini", "[host]\nctl_socket =\n");
    assert_null(conf->host.ctl_socket);
    px_conf_destroy(conf);

    expect_one_error("[host]\nplugin_path = ::\n",
                     "f.ini:2: ", "plugin_path: no directory in '::'", NULL);
    expect_one_error("[host]\npartial_start = maybe\n",
                     "f.ini:2: ", "partial_start: 'maybe' is not a boolean",
                     NULL);
}

/* "module = PATH.so" names a file: the module is the file's name less
 * ".so", the path resolves against the configuration directory, and a
 * change of path is a change of module. */
static void
test_module_by_path(void **state)
{
    struct px_conf *a, *b;

    (void)state;

    a = parse_ok("10-x.ini", "[plugin]\nmodule = /opt/px/hello.so\n");
    assert_string_equal(a->instances[0].module, "hello");
    assert_string_equal(a->instances[0].name, "hello");
    assert_string_equal(a->instances[0].path, "/opt/px/hello.so");
    b = parse_ok("10-x.ini", "[plugin]\nmodule = ./build/hello.so\n");
    assert_string_equal(b->instances[0].path, CONF_DIR "/./build/hello.so");
    assert_int_equal(px_conf_compare(&a->instances[0], &b->instances[0]),
                     PX_CONF_MODULE);
    px_conf_destroy(b);
    b = parse_ok("10-x.ini", "[plugin]\nmodule = hello\n");
    assert_null(b->instances[0].path);
    assert_int_equal(px_conf_compare(&a->instances[0], &b->instances[0]),
                     PX_CONF_MODULE);
    px_conf_destroy(a);
    px_conf_destroy(b);
    expect_one_error("[plugin]\nmodule = /opt/px/hello\n",
                     "f.ini:2: ", "a path must name a .so file", NULL);
}

static const char plugin_file[] = "; A second logger, quiet for now.\n" /* 1 */
                                  "[plugin]\n"                          /* 2 */
                                  "module = logger\n"                   /* 3 */
                                  "enabled = no\n"                      /* 4 */
                                  "name = audit\n"                      /* 5 */
                                  "log_level = warn\n"                  /* 6 */
                                  "\n"                                  /* 7 */
                                  "[logger]\n"                          /* 8 */
                                  "target = file ; inline comment\n"    /* 9 */
                                  "path = /var/log/audit.log\n"; /* 10 */

static void
check_plugin_file(const struct px_conf *conf, const char *file)
{
    const struct px_conf_instance *inst;

    assert_int_equal(conf->n_instances, 1);
    inst = &conf->instances[0];
    assert_string_equal(inst->name, "audit");
    assert_string_equal(inst->module, "logger");
    assert_string_equal(inst->file, file);
    assert_int_equal(inst->enabled, 0);
    assert_int_equal(inst->log_level, PX_LOG_WARN);
    assert_int_equal(inst->n_kvs, 2);
    assert_string_equal(inst->kvs[0].key, "target");
    assert_string_equal(inst->kvs[0].value, "file");
    assert_int_equal(inst->kvs[0].line, 9);
    assert_string_equal(inst->kvs[1].key, "path");
    assert_string_equal(inst->kvs[1].value, "/var/log/audit.log");
    assert_int_equal(inst->kvs[1].line, 10);

    /* Instances are found by instance name, not module. */
    assert_ptr_equal(px_conf_find(conf, "audit"), inst);
    assert_null(px_conf_find(conf, "logger"));
}

static void
test_plugin_file(void **state)
{
    struct px_conf *conf = parse_ok("50-audit.ini", plugin_file);
    char crlf[sizeof plugin_file * 2];
    size_t i, n = 0;

    (void)state;

    check_plugin_file(conf, "50-audit.ini");
    /* A plugin file does not touch the host options. */
    assert_string_equal(conf->host.plugin_path[0], CONF_DIR "/plugins");
    px_conf_destroy(conf);

    /* The same file with DOS line endings reads the same, line numbers
     * included. */
    for (i = 0; plugin_file[i]; i++) {
        if (plugin_file[i] == '\n') {
            crlf[n++] = '\r';
        }
        crlf[n++] = plugin_file[i];
    }
    crlf[n] = '\0';
    conf = parse_ok("50-audit.ini", crlf);
    check_plugin_file(conf, "50-audit.ini");
    px_conf_destroy(conf);
}

static void
test_default_instance_name(void **state)
{
    struct px_conf *conf = parse_ok("10-logger.ini", "[plugin]\n"
                                                     "module = logger\n");
    const struct px_conf_instance *inst;

    (void)state;

    assert_int_equal(conf->n_instances, 1);
    inst = &conf->instances[0];
    assert_string_equal(inst->name, "logger");
    assert_string_equal(inst->module, "logger");
    assert_int_equal(inst->enabled, 1);
    assert_int_equal(inst->log_level, -1);
    assert_int_equal(inst->n_kvs, 0);
    assert_ptr_equal(px_conf_find(conf, "logger"), inst);
    px_conf_destroy(conf);
}

/* A UTF-8 byte order mark (as some editors write) changes nothing: the
 * [plugin] header behind it is seen, with its line. */
static void
test_bom(void **state)
{
    struct px_conf *conf = parse_ok("10-logger.ini", "\xEF\xBB\xBF[plugin]\n"
                                                     "module = logger\n"
                                                     "[logger]\n"
                                                     "level = debug\n");

    (void)state;
    assert_int_equal(conf->n_instances, 1);
    assert_string_equal(conf->instances[0].module, "logger");
    assert_int_equal(conf->instances[0].line, 1);
    assert_int_equal(conf->instances[0].n_kvs, 1);
    px_conf_destroy(conf);
}

/* inih would hand a continuation line over as the same key again; it is
 * refused with its line instead.  Indented keys after a section header are
 * not continuations, and neither is an indented section header that opens
 * a file. */
static void
test_continuation_refused(void **state)
{
    struct px_conf *conf;

    (void)state;
    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "\n"
                     "   [logger]\n",
                     "f.ini:4: ", "continuation line", NULL);
    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "[logger]\n"
                     "file = a\n"
                     "  b\n",
                     "f.ini:5: ", "continuation line", NULL);
    conf = parse_ok("f.ini", "  [plugin]\n"
                             "  module = logger\n"
                             "[logger]\n"
                             "  level = info\n");
    assert_int_equal(conf->n_instances, 1);
    assert_int_equal(conf->instances[0].n_kvs, 1);
    px_conf_destroy(conf);
}

/* conf.h documents px_conf_instance.line as the line of the [plugin]
 * header, which is what "already used by FILE:LINE" should point at. */
static void
test_instance_line_is_plugin_header(void **state)
{
    struct px_conf *conf = parse_ok("10-logger.ini", "; Logger.\n"
                                                     "[plugin]\n"
                                                     "; The module.\n"
                                                     "module = logger\n");

    (void)state;

    assert_int_equal(conf->n_instances, 1);
    assert_int_equal(conf->instances[0].line, 2);
    px_conf_destroy(conf);
}

/* ---------------------------------------------------------------------- */
/* Errors in one file.                                                    */

static void
test_syntax_errors(void **state)
{
    (void)state;

    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "key without equals\n",
                     "f.ini:3: ", "syntax error", NULL);
    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "[unclosed\n"
                     "x = 1\n",
                     "f.ini:3: ", "syntax error", NULL);
}

/* A value of 'k''s type that it accepts: its default, else a sample. */
static const char *
sample_value(const struct px_config_key *k)
{
    if (k->default_value) {
        return k->default_value;
    }
    return k->type == PX_CONFIG_BOOL ? "true" : k->choices ? "info" : "x";
}

/* Every key of the [host] and [plugin] tables (which plexus.conf.d(5) is
 * made from) is accepted by the parser; the parser refusing any key outside
 * the tables is test_unknown_keys'. */
static void
test_host_and_plugin_key_tables(void **state)
{
    struct px_errors errors = {.count = 0};
    const struct px_config_key *k;
    size_t n = 0;

    (void)state;
    /* [plugin]'s log_level defaults to the host's, which no literal
     * says, so only [host]'s defaults are checked. */
    assert_int_equal(px_conf_check_schema(px_conf_host_keys, "host", &errors),
                     0);
    for (k = px_conf_host_keys; k->key; k++, n++) {
        char text[256];
        struct px_conf *conf;

        snprintf(text, sizeof text, "[host]\n%s = %s\n", k->key,
                 !strcmp(k->key, "plugin_dir") ? "plugins" : sample_value(k));
        conf = parse_ok("h.ini", text);
        px_conf_destroy(conf);
    }
    assert_int_equal(n, 9);
    for (k = px_conf_plugin_keys, n = 0; k->key; k++, n++) {
        char text[256];
        struct px_conf *conf;

        if (!strcmp(k->key, "module")) {
            snprintf(text, sizeof text, "[plugin]\nmodule = demo\n");
        } else {
            snprintf(text, sizeof text, "[plugin]\nmodule = demo\n%s = %s\n",
                     k->key, sample_value(k));
        }
        conf = parse_ok("p.ini", text);
        px_conf_destroy(conf);
    }
    assert_int_equal(n, 4);
}

static void
test_unknown_keys(void **state)
{
    (void)state;

    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "colour = blue\n",
                     "f.ini:3: ", "unknown key 'colour' in [plugin]",
                     "(known: module, enabled, name, log_level)");
    expect_one_error("[host]\n"
                     "log_level = info\n"
                     "threads = 4\n",
                     "f.ini:3: ", "unknown key 'threads' in [host]",
                     "(known: plugin_path, plugin_dir, run_dir, pid_file, "
                     "ctl_socket, partial_start, log_level, log_target, "
                     "async_queue)");
}

static void
test_bad_values(void **state)
{
    (void)state;

    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "enabled = maybe\n",
                     "f.ini:3: ", "enabled: 'maybe' is not a boolean", NULL);
    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "log_level = loud\n",
                     "f.ini:3: ", "log_level: 'loud' is not one of",
                     "error, warn, info, debug");
    expect_one_error("[host]\n"
                     "log_level = verbose\n",
                     "f.ini:2: ", "log_level: 'verbose' is not one of", NULL);
    expect_one_error("[host]\n"
                     "log_target = journal\n",
                     "f.ini:2: ", "log_target: 'journal'", NULL);
    expect_one_error("[host]\n"
                     "async_queue = 15\n",
                     "f.ini:2: ", "async_queue: '15'", "16 to 1048576");
    expect_one_error("[host]\n"
                     "async_queue = 1048577\n",
                     "f.ini:2: ", "async_queue: '1048577'", "16 to 1048576");
    expect_one_error("[host]\n"
                     "async_queue = lots\n",
                     "f.ini:2: ", "async_queue: 'lots'", NULL);
}

static void
test_duplicate_key(void **state)
{
    (void)state;

    expect_one_error(
        "[plugin]\n"
        "module = logger\n"
        "[logger]\n"
        "level = info\n"
        "; Oops, again:\n"
        "level = debug\n",
        "f.ini:6: ", "key 'level' in [logger] already set on line 4", NULL);

    /* A section opened twice is still one section. */
    expect_one_error("[host]\n"
                     "run_dir = /run\n"
                     "[plugin]\n"
                     "module = logger\n"
                     "[host]\n"
                     "run_dir = /var/run\n",
                     "f.ini:6: ",
                     "key 'run_dir' in [host] already set on "
                     "line 2",
                     NULL);
}

static void
test_structure_errors(void **state)
{
    (void)state;

    expect_one_error("stray = 1\n"
                     "[plugin]\n"
                     "module = logger\n",
                     "f.ini:1: ", "key 'stray' outside any section", NULL);

    expect_one_error("; Settings without a [plugin] section.\n"
                     "[logger]\n"
                     "level = info\n",
                     "f.ini:3: ", "section [logger] but no [plugin] section",
                     NULL);

    expect_one_error("[plugin]\n"
                     "module = a/x\n",
                     "f.ini:2: ", "module 'a/x' is not a valid module name",
                     NULL);
    expect_one_error("[plugin]\n"
                     "module = ../x\n",
                     "f.ini:2: ", "module '../x': a path must name a .so file",
                     NULL);

    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "name = a/b\n",
                     "f.ini:", "name 'a/b' is not a valid instance name",
                     NULL);
}

static void
test_missing_module(void **state)
{
    struct px_errors errors = {.count = 0};
    struct px_conf *conf;
    const char *text;

    (void)state;

    assert_int_equal(parse("f.ini",
                           "[plugin]\n"
                           "; No module.\n"
                           "enabled = yes\n"
                           "name = x\n",
                           &conf, &errors),
                     EINVAL);
    assert_int_equal(errors.count, 1);
    assert_int_equal(conf->n_instances, 0);
    text = px_errors_text(&errors);
    assert_contains(text, "[plugin] has no 'module' key");

    /* Either the [plugin] header (line 1) or its first key (line 3)
     * identifies the section; any other line would mislead. */
    if (strncmp(text, "f.ini:1: ", 9) && strncmp(text, "f.ini:3: ", 9)) {
        fail_msg("wrong line in '%s'", text);
    }
    px_errors_clear(&errors);
    px_conf_destroy(conf);
}

/* A [plugin] section whose module line was deleted or commented out must
 * be reported, not silently skipped: otherwise "plexusd --check" passes
 * and the plugin just does not run. */
static void
test_empty_plugin_section(void **state)
{
    (void)state;

    expect_one_error("[plugin]\n"
                     "; module = logger\n",
                     "f.ini:1: ", "[plugin] has no 'module' key", NULL);
    expect_one_error("[plugin]\n"
                     "; module = logger\n"
                     "[logger]\n"
                     "level = info\n",
                     "f.ini:1: ", "[plugin] has no 'module' key", NULL);
}

/* A bad module or instance name is reported on the line that holds it,
 * not on whichever [plugin] key came first. */
static void
test_bad_name_line(void **state)
{
    (void)state;

    expect_one_error("[plugin]\n"
                     "enabled = yes\n"
                     "module = a/x\n",
                     "f.ini:3: ", "module 'a/x' is not a valid module name",
                     NULL);
    expect_one_error("[plugin]\n"
                     "module = logger\n"
                     "enabled = yes\n"
                     "name = a/b\n",
                     "f.ini:4: ", "name 'a/b' is not a valid instance name",
                     NULL);
}

static void
test_line_too_long(void **state)
{
    char *text = malloc(MAX_LINE_CHARS * 2);
    char where[32];
    struct px_conf *conf;
    const char *head = "[plugin]\nmodule = logger\n[logger]\n";
    size_t head_len = strlen(head);
    size_t body;

    (void)state;

    /* A line of exactly the limit is accepted, with or without its
     * newline. */
    memcpy(text, head, head_len);
    memcpy(text + head_len, "k = ", 4);
    body = MAX_LINE_CHARS - 4;
    memset(text + head_len + 4, 'x', body);
    strcpy(text + head_len + MAX_LINE_CHARS, "\n");
    conf = parse_ok("f.ini", text);
    assert_int_equal(conf->instances[0].n_kvs, 1);
    assert_int_equal(strlen(conf->instances[0].kvs[0].value), body);
    px_conf_destroy(conf);
    text[head_len + MAX_LINE_CHARS] = '\0';
    conf = parse_ok("f.ini", text);
    assert_int_equal(strlen(conf->instances[0].kvs[0].value), body);
    px_conf_destroy(conf);

    /* One more character is refused, with the line and the limit. */
    snprintf(where, sizeof where, "longer than %d characters", MAX_LINE_CHARS);
    memset(text + head_len + 4, 'x', body + 1);
    strcpy(text + head_len + MAX_LINE_CHARS + 1, "\nother = 1\n");
    expect_one_error(text, "f.ini:4: ", where, NULL);
    text[head_len + MAX_LINE_CHARS + 1] = '\0';
    expect_one_error(text, "f.ini:4: ", where, NULL);
    free(text);
}

static void
test_nul_byte(void **state)
{
    static const char text[] = "[plugin]\nmodule = log\0ger\n[logger]\n";

    (void)state;

    expect_one_error_len(text, sizeof text - 1, "f.ini:2: ", "NUL byte", NULL);
}

/* Every problem of a file is reported, not just the first. */
static void
test_all_problems_reported(void **state)
{
    struct px_errors errors = {.count = 0};
    struct px_conf *conf;
    const char *text;

    (void)state;

    assert_int_equal(parse("f.ini",
                           "[host]\n"
                           "async_queue = 1\n"
                           "[plugin]\n"
                           "module = logger\n"
                           "enabled = perhaps\n"
                           "shape = round\n"
                           "[other]\n"
                           "x = 1\n",
                           &conf, &errors),
                     EINVAL);
    text = px_errors_text(&errors);
    assert_int_equal(errors.count, 3);
    assert_contains(text, "f.ini:2: async_queue");
    assert_contains(text, "f.ini:5: enabled");
    assert_contains(text, "f.ini:6: unknown key 'shape'");
    px_errors_clear(&errors);
    px_conf_destroy(conf);
}

/* ---------------------------------------------------------------------- */
/* Across files.                                                          */

static void
test_duplicate_instance_names(void **state)
{
    static const char b_text[] = "; Same module, same name.\n"
                                 "[plugin]\n"
                                 "module = logger\n";
    static const char c_text[] = "[plugin]\n"
                                 "module = logger\n"
                                 "name = logger2\n";
    struct px_errors errors = {.count = 0};
    struct px_conf *conf;
    char expect[256];

    (void)state;

    assert_int_equal(
        parse("a.ini", "[plugin]\nmodule = logger\n", &conf, &errors), 0);
    assert_int_equal(
        px_conf_parse_buffer(conf, "b.ini", b_text, strlen(b_text), &errors),
        0);
    assert_int_equal(
        px_conf_parse_buffer(conf, "c.ini", c_text, strlen(c_text), &errors),
        0);
    assert_int_equal(errors.count, 0);
    assert_int_equal(conf->n_instances, 3);

    /* Each file is fine on its own; only the whole directory can tell. */
    assert_int_equal(px_conf_finish(conf, &errors), EINVAL);
    assert_int_equal(errors.count, 1);
    snprintf(expect, sizeof expect,
             "b.ini:%d: instance name 'logger' already used by a.ini:%d",
             conf->instances[1].line, conf->instances[0].line);
    assert_prefix(px_errors_text(&errors), expect);
    assert_contains(px_errors_text(&errors), "set 'name' in [plugin]");
    px_errors_clear(&errors);
    px_conf_destroy(conf);
}

/* The whole of 'dir'/'name', malloc()ed. */
static char *
slurp(const char *dir, const char *name)
{
    char *path = join(dir, name), *text = NULL;
    size_t size = 0;
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    assert_int_not_equal(getdelim(&text, &size, '\0', f), -1);
    fclose(f);
    free(path);
    return text;
}

/* px_conf_set_enabled: the 'enabled =' line replaced where it is, or
 * added after [plugin]; every other byte, comments included, kept; the
 * mode kept; the file's line named; refusals for an unknown instance and
 * a directory that does not parse, with the file and line. */
static void
test_set_enabled(void **state)
{
    const char *dir = *state;
    struct px_errors errors = {.count = 0};
    char *file = NULL, *text, *path;
    struct stat st;
    int line = 0;

    write_file(dir, "10-a.ini",
               "; comment\n[plugin]\nmodule = amod\nenabled = true ; on\n"
               "\n[amod]\nkey = 1\n");
    write_file(dir, "20-b.ini", "[plugin]\nmodule = bmod\n\n[bmod]\nx = y");
    path = join(dir, "20-b.ini");
    assert_int_equal(chmod(path, 0640), 0);

    assert_int_equal(
        px_conf_set_enabled(dir, "amod", 0, &file, &line, &errors), 0);
    assert_int_equal(line, 4);
    text = slurp(dir, "10-a.ini");
    assert_string_equal(text, "; comment\n[plugin]\nmodule = amod\n"
                              "enabled = false\n\n[amod]\nkey = 1\n");
    free(text);
    free(file);

    assert_int_equal(
        px_conf_set_enabled(dir, "bmod", 0, &file, &line, &errors), 0);
    assert_string_equal(file, path);
    assert_int_equal(line, 2);
    text = slurp(dir, "20-b.ini");
    assert_string_equal(text, "[plugin]\nenabled = false\nmodule = bmod\n"
                              "\n[bmod]\nx = y");
    free(text);
    free(file);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    free(path);

    /* Read back by the loader as disabled, then enabled again. */
    assert_int_equal(
        px_conf_set_enabled(dir, "bmod", 1, &file, &line, &errors), 0);
    free(file);
    {
        struct px_conf *conf = NULL;

        assert_int_equal(px_conf_load_dir(dir, &conf, &errors), 0);
        assert_int_equal(conf->instances[0].enabled, 0);
        assert_int_equal(conf->instances[1].enabled, 1);
        assert_int_equal(conf->instances[1].enabled_line, 2);
        px_conf_destroy(conf);
    }

    assert_int_equal(
        px_conf_set_enabled(dir, "nobody", 1, &file, &line, &errors), ENOENT);
    assert_non_null(strstr(px_errors_text(&errors), "nobody"));
    px_errors_clear(&errors);

    write_file(dir, "30-c.ini", "[plugin]\nmodule = cmod\nbogus = 1\n");
    assert_int_equal(
        px_conf_set_enabled(dir, "amod", 1, &file, &line, &errors), EINVAL);
    assert_non_null(strstr(px_errors_text(&errors), "30-c.ini:3"));
    px_errors_clear(&errors);
    text = slurp(dir, "10-a.ini");
    assert_non_null(strstr(text, "enabled = false\n"));
    free(text);
}

static void
test_load_dir_order(void **state)
{
    const char *dir = *state;
    struct px_errors errors = {.count = 0};
    struct px_conf *conf = NULL;
    char *path;

    /* Byte-wise order puts "9-" after "20-" and "Z" after digits: a
     * numeric or locale-aware sort would not. */
    write_file(dir, "20-b.ini", "[plugin]\nmodule = bmod\n");
    write_file(dir, "10-a.ini", "[plugin]\nmodule = amod\n");
    write_file(dir, "9-c.ini", "[plugin]\nmodule = cmod\n");
    write_file(dir, "Z-d.ini", "[plugin]\nmodule = dmod\n");
    write_file(dir, "00-host.ini", "[host]\nplugin_dir = lib\n");
    /* None of these is read: each would be an error if it were. */
    write_file(dir, "README", "This directory holds Plexus configuration.\n");
    write_file(dir, ".hidden.ini", "not ini at all\n");
    write_file(dir, "old.ini.bak", "not ini at all\n");
    write_file(dir, "upper.INI", "not ini at all\n");
    write_file(dir, ".ini", "not ini at all\n");

    assert_int_equal(px_conf_load_dir(dir, &conf, &errors), 0);
    assert_int_equal(errors.count, 0);
    assert_non_null(conf);
    assert_string_equal(conf->dir, dir);
    path = join(dir, "lib");
    assert_string_equal(conf->host.plugin_path[0], path);
    free(path);

    assert_int_equal(conf->n_instances, 4);
    assert_string_equal(conf->instances[0].module, "amod");
    assert_string_equal(conf->instances[1].module, "bmod");
    assert_string_equal(conf->instances[2].module, "cmod");
    assert_string_equal(conf->instances[3].module, "dmod");
    path = join(dir, "10-a.ini");
    assert_string_equal(conf->instances[0].file, path);
    free(path);
    px_conf_destroy(conf);
}

static void
test_load_dir_errors(void **state)
{
    const char *dir = *state;
    struct px_errors errors = {.count = 0};
    struct px_conf *sentinel = (struct px_conf *)&errors;
    struct px_conf *conf = sentinel;
    const char *text;
    char *host, *a, *bad, *syn, *dup, *expect;

    write_file(dir, "00-host.ini", "[host]\nasync_queue = 8\n");
    write_file(dir, "10-a.ini", "[plugin]\nmodule = amod\n");
    write_file(dir, "20-bad.ini",
               "[plugin]\n"
               "module = bmod\n"
               "colour = red\n"
               "enabled = perhaps\n");
    write_file(dir, "30-syntax.ini", "[plugin]\nmodule = cmod\n[oops\n");
    write_file(dir, "40-dup.ini", "[plugin]\nmodule = amod\n");
    write_file(dir, "50-good.ini", "[plugin]\nmodule = emod\n");

    /* Good files around the bad ones change nothing: no snapshot, and every
     * problem in every file is in the report. */
    assert_int_equal(px_conf_load_dir(dir, &conf, &errors), EINVAL);
    assert_ptr_equal(conf, sentinel);
    assert_int_equal(errors.count, 5);

    text = px_errors_text(&errors);
    host = join(dir, "00-host.ini:2: async_queue: '8'");
    bad = join(dir, "20-bad.ini:3: unknown key 'colour'");
    syn = join(dir, "30-syntax.ini:3: syntax error");
    dup = join(dir, "40-dup.ini:");
    a = join(dir, "10-a.ini:");
    assert_contains(text, host);
    assert_contains(text, bad);
    free(bad);
    bad = join(dir, "20-bad.ini:4: enabled: 'perhaps'");
    assert_contains(text, bad);
    assert_contains(text, syn);
    assert_true(asprintf(&expect, "%s%s",
                         "instance name 'amod' already used "
                         "by ",
                         a) > 0);
    assert_contains(text, dup);
    assert_contains(text, expect);
    free(host);
    free(bad);
    free(syn);
    free(dup);
    free(a);
    free(expect);
    px_errors_clear(&errors);
}

static void
test_load_dir_missing(void **state)
{
    const char *dir = *state;
    struct px_errors errors = {.count = 0};
    struct px_conf *conf = NULL;
    char *missing = join(dir, "nope");

    assert_int_equal(px_conf_load_dir(missing, &conf, &errors), EINVAL);
    assert_null(conf);
    assert_int_equal(errors.count, 1);
    assert_prefix(px_errors_text(&errors), missing);
    assert_contains(px_errors_text(&errors),
                    "cannot open configuration directory");
    px_errors_clear(&errors);
    free(missing);
}

/* A directory without any *.ini file is a valid, empty configuration.
 * Registered last: with no names to sort, a NULL array reaches qsort, which
 * UBSan turns into an abort of the whole run. */
static void
test_load_dir_empty(void **state)
{
    const char *dir = *state;
    struct px_errors errors = {.count = 0};
    struct px_conf *conf = NULL;

    write_file(dir, "README", "Nothing to load here.\n");
    assert_int_equal(px_conf_load_dir(dir, &conf, &errors), 0);
    assert_int_equal(errors.count, 0);
    assert_non_null(conf);
    assert_int_equal(conf->n_instances, 0);
    px_conf_destroy(conf);
}

/* ---------------------------------------------------------------------- */
/* Instances: compare and clone.                                          */

static const struct px_conf_instance *
only_instance(const struct px_conf *conf)
{
    assert_int_equal(conf->n_instances, 1);
    return &conf->instances[0];
}

static void
test_compare(void **state)
{
    static const char base[] = "[plugin]\n"
                               "module = logger\n"
                               "log_level = debug\n"
                               "[logger]\n"
                               "target = stderr\n"
                               "level = info\n";
    struct px_conf *a = parse_ok("a.ini", base);
    struct px_conf *moved, *value, *key, *level, *extra, *module;
    const struct px_conf_instance *ia = only_instance(a);

    (void)state;

    /* Same content on other lines, keys in another order, another file:
     * nothing to reconfigure. */
    moved = parse_ok("b.ini", "; Moved down.\n"
                              "\n"
                              "[plugin]\n"
                              "log_level = debug\n"
                              "module = logger\n"
                              "[logger]\n"
                              "level = info\n"
                              "target = stderr\n");
    assert_int_not_equal(only_instance(moved)->kvs[0].line, ia->kvs[0].line);
    assert_int_equal(px_conf_compare(ia, only_instance(moved)), PX_CONF_SAME);
    assert_int_equal(px_conf_compare(only_instance(moved), ia), PX_CONF_SAME);
    assert_int_equal(px_conf_compare(ia, ia), PX_CONF_SAME);

    value = parse_ok("a.ini", "[plugin]\nmodule = logger\nlog_level = debug\n"
                              "[logger]\ntarget = stderr\nlevel = debug\n");
    key = parse_ok("a.ini", "[plugin]\nmodule = logger\nlog_level = debug\n"
                            "[logger]\ntarget = stderr\nlvl = info\n");
    level = parse_ok("a.ini", "[plugin]\nmodule = logger\nlog_level = info\n"
                              "[logger]\ntarget = stderr\nlevel = info\n");
    extra = parse_ok("a.ini", "[plugin]\nmodule = logger\nlog_level = debug\n"
                              "[logger]\ntarget = stderr\nlevel = info\n"
                              "rotate = yes\n");
    module = parse_ok("a.ini", "[plugin]\nmodule = logger2\nname = logger\n"
                               "log_level = debug\n[logger2]\n"
                               "target = stderr\nlevel = info\n");
    /* Each kind of difference maps to what a reload does about it. */
    assert_int_equal(px_conf_compare(ia, only_instance(value)), PX_CONF_KEYS);
    assert_int_equal(px_conf_compare(ia, only_instance(key)), PX_CONF_KEYS);
    assert_int_equal(px_conf_compare(ia, only_instance(level)),
                     PX_CONF_LOG_LEVEL);
    assert_int_equal(px_conf_compare(ia, only_instance(extra)), PX_CONF_KEYS);
    assert_int_equal(px_conf_compare(only_instance(extra), ia), PX_CONF_KEYS);
    assert_int_equal(px_conf_compare(ia, only_instance(module)),
                     PX_CONF_MODULE);

    px_conf_destroy(a);
    px_conf_destroy(moved);
    px_conf_destroy(value);
    px_conf_destroy(key);
    px_conf_destroy(level);
    px_conf_destroy(extra);
    px_conf_destroy(module);
}

static void
test_instance_clone(void **state)
{
    struct px_conf *conf = parse_ok("50-audit.ini", plugin_file);
    const struct px_conf_instance *src = only_instance(conf);
    struct px_conf_instance *c = px_conf_instance_clone(src);
    struct px_conf_instance *bare;
    struct px_conf *empty;

    (void)state;

    assert_non_null(c);
    assert_int_equal(px_conf_compare(src, c), PX_CONF_SAME);
    /* A deep copy: no string is shared with the snapshot. */
    assert_ptr_not_equal(c->name, src->name);
    assert_ptr_not_equal(c->kvs, src->kvs);
    assert_ptr_not_equal(c->kvs[0].value, src->kvs[0].value);

    /* The clone outlives the snapshot; ASan checks nothing dangles. */
    px_conf_destroy(conf);
    assert_string_equal(c->name, "audit");
    assert_string_equal(c->module, "logger");
    assert_string_equal(c->file, "50-audit.ini");
    assert_int_equal(c->enabled, 0);
    assert_int_equal(c->log_level, PX_LOG_WARN);
    assert_int_equal(c->n_kvs, 2);
    assert_string_equal(c->kvs[1].key, "path");
    assert_string_equal(c->kvs[1].value, "/var/log/audit.log");
    assert_int_equal(c->kvs[1].line, 10);
    px_conf_instance_free(c);

    /* An instance without keys clones too. */
    empty = parse_ok("x.ini", "[plugin]\nmodule = x\n");
    bare = px_conf_instance_clone(only_instance(empty));
    assert_non_null(bare);
    assert_int_equal(bare->n_kvs, 0);
    assert_int_equal(px_conf_compare(bare, only_instance(empty)),
                     PX_CONF_SAME);
    px_conf_destroy(empty);
    px_conf_instance_free(bare);

    px_conf_instance_free(NULL);
}

/* ---------------------------------------------------------------------- */
/* Plugin schemas.                                                        */

static const struct px_config_key demo_keys[] = {
    {.key = "mode",
     .type = PX_CONFIG_STRING,
     .default_value = "a",
     .choices = "a|b"},
    {.key = "count",
     .type = PX_CONFIG_INT,
     .default_value = "4",
     .min = 1,
     .max = 8},
    {.key = "verbose", .type = PX_CONFIG_BOOL, .default_value = "no"},
    {.key = "ratio",
     .type = PX_CONFIG_DOUBLE,
     .default_value = "0.5",
     .min = 0,
     .max = 1},
    {.key = "label", .type = PX_CONFIG_STRING},
    {.key = NULL},
};

static void
test_check_keys_valid(void **state)
{
    struct px_errors errors = {.count = 0};
    struct px_conf *conf = parse_ok("f.ini", "[plugin]\n"
                                             "module = demo\n"
                                             "[demo]\n"
                                             "mode = b\n"
                                             "count = 8\n"
                                             "verbose = on\n"
                                             "ratio = 1.0\n"
                                             "label = anything at all\n");

    (void)state;

    assert_int_equal(
        px_conf_check_keys(only_instance(conf), demo_keys, &errors), 0);
    assert_int_equal(errors.count, 0);
    assert_string_equal(px_errors_text(&errors), "");
    px_conf_destroy(conf);
}

static void
test_check_keys_errors(void **state)
{
    struct px_errors errors = {.count = 0};
    struct px_conf *conf = parse_ok("f.ini", "[plugin]\n"            /* 1 */
                                             "module = demo\n"       /* 2 */
                                             "[demo]\n"              /* 3 */
                                             "mode = c\n"            /* 4 */
                                             "count = 9\n"           /* 5 */
                                             "verbose = sometimes\n" /* 6 */
                                             "ratio = lots\n"        /* 7 */
                                             "colour = red\n"        /* 8 */
                                             "label = fine\n");      /* 9 */

    (void)state;

    /* One message per bad key, in file order, each with file and line. */
    assert_int_equal(
        px_conf_check_keys(only_instance(conf), demo_keys, &errors), EINVAL);
    assert_int_equal(errors.count, 5);
    assert_string_equal(
        px_errors_text(&errors),
        "f.ini:4: mode: 'c' is not one of a|b\n"
        "f.ini:5: count: 9 is out of range [1, 8]\n"
        "f.ini:6: verbose: 'sometimes' is not a boolean (true/false, yes/no, "
        "on/off, 1/0)\n"
        "f.ini:7: ratio: 'lots' is not a number\n"
        "f.ini:8: unknown key 'colour' for module 'demo' (known: mode, "
        "count, verbose, ratio, label)\n");
    px_errors_clear(&errors);

    /* A plugin without a schema takes no keys at all. */
    assert_int_equal(px_conf_check_keys(only_instance(conf), NULL, &errors),
                     EINVAL);
    assert_int_equal(errors.count, 6);
    assert_contains(px_errors_text(&errors),
                    "f.ini:9: unknown key 'label' for module 'demo' (known: "
                    "none)");
    px_errors_clear(&errors);
    px_conf_destroy(conf);

    /* A wrong type for an integer and a double below its range. */
    conf = parse_ok("g.ini", "[plugin]\nmodule = demo\n[demo]\n"
                             "count = four\nratio = -0.1\n");
    assert_int_equal(
        px_conf_check_keys(only_instance(conf), demo_keys, &errors), EINVAL);
    assert_string_equal(px_errors_text(&errors),
                        "g.ini:4: count: 'four' is not an integer\n"
                        "g.ini:5: ratio: -0.1 is out of range [0, 1]\n");
    px_errors_clear(&errors);
    px_conf_destroy(conf);
}

/* A section named after another module is reported once, with its line,
 * when the keys are checked (after the module is known to exist), not
 * once per key while parsing. */
static void
test_check_keys_stray_section(void **state)
{
    struct px_errors errors = {.count = 0};
    struct px_conf *conf;

    (void)state;

    conf = parse_ok("f.ini", "[plugin]\n"
                             "module = logger\n"
                             "[counter]\n"
                             "tick = 1\n"
                             "tock = 2\n"
                             "[other]\n"
                             "x = 1\n");
    assert_int_equal(only_instance(conf)->n_kvs, 0);
    assert_int_equal(
        px_conf_check_keys(only_instance(conf), demo_keys, &errors), EINVAL);
    assert_int_equal(errors.count, 1);
    assert_prefix(px_errors_text(&errors), "f.ini:4: ");
    assert_contains(px_errors_text(&errors),
                    "section [counter] in a file for module 'logger' (its "
                    "own section is [logger])");
    px_errors_clear(&errors);
    px_conf_destroy(conf);
}

/* The typed values of ABI 1.1, and the getter type each is read with. */
static void
test_convert_typed(void **state)
{
    static const struct {
        enum px_config_type type;
        const char *value;
        int ok;
    } cases[] = {
        {PX_CONFIG_IPV4, "10.0.0.1", 1},
        {PX_CONFIG_IPV4, "10.0.0.999", 0},
        {PX_CONFIG_IPV4, "10.0.0", 0},
        {PX_CONFIG_IPV4, "::1", 0},
        {PX_CONFIG_IPV6, "2001:db8::1", 1},
        {PX_CONFIG_IPV6, "::ffff:10.0.0.1", 1},
        {PX_CONFIG_IPV6, "2001:db8::g", 0},
        {PX_CONFIG_IPV6, "10.0.0.1", 0},
        {PX_CONFIG_PREFIX, "10.0.0.0/8", 1},
        {PX_CONFIG_PREFIX, "10.0.0.1", 1},
        {PX_CONFIG_PREFIX, "2001:db8::/32", 1},
        {PX_CONFIG_PREFIX, "10.0.0.0/33", 0},
        {PX_CONFIG_PREFIX, "2001:db8::/129", 0},
        {PX_CONFIG_PREFIX, "10.0.0.0/", 0},
        {PX_CONFIG_PREFIX, "10.0.0.0/-1", 0},
        {PX_CONFIG_PREFIX, "10.0.0.0/+8", 0},
        {PX_CONFIG_MAC, "02:00:00:00:00:01", 1},
        {PX_CONFIG_MAC, "0A:1b:2C:3d:4E:5f", 1},
        {PX_CONFIG_MAC, "2:0:0:0:0:1", 0},
        {PX_CONFIG_MAC, "02:00:00:00:00", 0},
        {PX_CONFIG_MAC, "02:00:00:00:00:0g", 0},
        {PX_CONFIG_PORT, "0", 1},
        {PX_CONFIG_PORT, "65535", 1},
        {PX_CONFIG_PORT, "65536", 0},
        {PX_CONFIG_PORT, "-1", 0},
        {PX_CONFIG_PORT, "http", 0},
        {PX_CONFIG_DURATION, "10", 1},
        {PX_CONFIG_DURATION, "2.5s", 1},
        {PX_CONFIG_DURATION, "500ms", 1},
        {PX_CONFIG_DURATION, "5m", 1},
        {PX_CONFIG_DURATION, "1h", 1},
        {PX_CONFIG_DURATION, "-1s", 0},
        {PX_CONFIG_DURATION, "ms", 0},
        {PX_CONFIG_DURATION, "5 parsecs", 0},
        {PX_CONFIG_DURATION, "5d", 0},
        {PX_CONFIG_ENUM_LIST, "", 1},
        {PX_CONFIG_ENUM_LIST, "flows", 1},
        {PX_CONFIG_ENUM_LIST, "flows, ports,groups", 1},
        {PX_CONFIG_ENUM_LIST, "flows,tables", 0},
        {PX_CONFIG_ENUM_LIST, "flows,,ports", 0},
    };
    char why[256];
    long long i = 0;
    double d = 0;
    int b = 0;
    size_t k;

    (void)state;

    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct px_config_key spec = {.key = "k",
                                     .type = cases[k].type,
                                     .choices = "flows|ports|groups"};
        int error = px_conf_convert(&spec, cases[k].value, &i, &d, &b, why,
                                    sizeof why);

        if ((error == 0) != cases[k].ok) {
            fail_msg("type %d value '%s': %s", (int)cases[k].type,
                     cases[k].value, error ? why : "accepted");
        }
    }
    {
        struct px_config_key spec = {.key = "k", .type = PX_CONFIG_DURATION};

        assert_int_equal(
            px_conf_convert(&spec, "250ms", &i, &d, &b, why, sizeof why), 0);
        assert_true(d == 0.25);
        assert_int_equal(
            px_conf_convert(&spec, "2m", &i, &d, &b, why, sizeof why), 0);
        assert_true(d == 120);
        spec.type = PX_CONFIG_PORT;
        spec.min = 1;
        spec.max = 1023;
        assert_int_equal(
            px_conf_convert(&spec, "6653", &i, &d, &b, why, sizeof why),
            ERANGE);
        assert_int_equal(
            px_conf_convert(&spec, "22", &i, &d, &b, why, sizeof why), 0);
        assert_int_equal(i, 22);
    }
    assert_int_equal(px_conf_getter_type(PX_CONFIG_MAC), PX_CONFIG_STRING);
    assert_int_equal(px_conf_getter_type(PX_CONFIG_PORT), PX_CONFIG_INT);
    assert_int_equal(px_conf_getter_type(PX_CONFIG_DURATION),
                     PX_CONFIG_DOUBLE);
    assert_int_equal(px_conf_getter_type(PX_CONFIG_BOOL), PX_CONFIG_BOOL);
}

/* A plugin's own defaults must be valid for their types: the plugin's
 * bug, named by module and key. */
static void
test_check_schema(void **state)
{
    static const struct px_config_key bad[] = {
        {.key = "retries", .type = PX_CONFIG_INT, .default_value = "ten"},
        {.key = "mode",
         .type = PX_CONFIG_STRING,
         .default_value = "c",
         .choices = "a|b"},
        {.key = "port",
         .type = PX_CONFIG_PORT,
         .default_value = "6653",
         .min = 1,
         .max = 1023},
        {.key = "fine",
         .type = PX_CONFIG_MAC,
         .default_value = "02:00:00:00:00:01"},
        {.key = NULL},
    };
    struct px_errors errors = {.count = 0};

    (void)state;

    assert_int_equal(px_conf_check_schema(demo_keys, "demo", &errors), 0);
    assert_int_equal(px_conf_check_schema(NULL, "demo", &errors), 0);
    assert_int_equal(px_conf_check_schema(bad, "demo", &errors), EINVAL);
    assert_int_equal(errors.count, 3);
    assert_contains(px_errors_text(&errors),
                    "module 'demo': key 'retries': its declared default is "
                    "invalid: 'ten' is not an integer (a bug in the plugin)");
    assert_contains(px_errors_text(&errors), "key 'mode'");
    assert_contains(px_errors_text(&errors), "key 'port'");
    px_errors_clear(&errors);
}

static void
test_lookup(void **state)
{
    struct px_conf *conf = parse_ok("f.ini", "[plugin]\n"
                                             "module = demo\n"
                                             "[demo]\n"
                                             "\n"
                                             "count = 8\n"
                                             "colour = red\n");
    const struct px_conf_instance *inst = only_instance(conf);
    const struct px_config_key *spec = NULL;
    const char *value = NULL;
    int line = -1;

    (void)state;

    assert_int_equal(
        px_conf_lookup(inst, demo_keys, "count", &spec, &value, &line), 0);
    assert_ptr_equal(spec, &demo_keys[1]);
    assert_string_equal(value, "8");
    assert_int_equal(line, 5);

    /* Absent from the file: the schema's default, from no line. */
    line = -1;
    assert_int_equal(
        px_conf_lookup(inst, demo_keys, "verbose", &spec, &value, &line), 0);
    assert_ptr_equal(spec, &demo_keys[2]);
    assert_string_equal(value, "no");
    assert_int_equal(line, 0);

    /* No default either: the empty string. */
    line = -1;
    assert_int_equal(
        px_conf_lookup(inst, demo_keys, "label", &spec, &value, &line), 0);
    assert_string_equal(value, "");
    assert_int_equal(line, 0);

    /* In the file but not in the schema: the plugin cannot read it. */
    spec = NULL;
    value = NULL;
    assert_int_equal(
        px_conf_lookup(inst, demo_keys, "colour", &spec, &value, &line),
        ENOENT);
    assert_int_equal(px_conf_lookup(inst, NULL, "count", &spec, &value, &line),
                     ENOENT);
    assert_null(spec);
    assert_null(value);
    px_conf_destroy(conf);
}

static void
test_convert(void **state)
{
    const struct px_config_key unbounded = {.key = "n", .type = PX_CONFIG_INT};
    const struct px_config_key any = {.key = "s", .type = PX_CONFIG_STRING};
    const struct px_config_key weird = {.key = "w",
                                        .type = (enum px_config_type)99};
    const struct px_config_key *mode = &demo_keys[0];
    const struct px_config_key *count = &demo_keys[1];
    const struct px_config_key *verbose = &demo_keys[2];
    const struct px_config_key *ratio = &demo_keys[3];
    char why[128];
    char small[10];
    long long i = 0;
    double d = 0;
    int b = -1;

    (void)state;

    /* Integers: any base strtoll accepts, range inclusive. */
    assert_int_equal(px_conf_convert(count, "1", &i, &d, &b, why, sizeof why),
                     0);
    assert_int_equal(i, 1);
    assert_int_equal(
        px_conf_convert(count, "0x8", &i, &d, &b, why, sizeof why), 0);
    assert_int_equal(i, 8);
    assert_int_equal(px_conf_convert(count, "0", &i, &d, &b, why, sizeof why),
                     ERANGE);
    assert_string_equal(why, "0 is out of range [1, 8]");
    assert_int_equal(
        px_conf_convert(count, "12abc", &i, &d, &b, why, sizeof why), EINVAL);
    assert_string_equal(why, "'12abc' is not an integer");
    assert_int_equal(px_conf_convert(count, "99999999999999999999", &i, &d, &b,
                                     why, sizeof why),
                     EINVAL);
    assert_contains(why, "is not an integer");

    /* min == max == 0 means no bounds. */
    assert_int_equal(px_conf_convert(&unbounded, "-123456789012", &i, &d, &b,
                                     why, sizeof why),
                     0);
    assert_int_equal(i, -123456789012LL);

    /* Doubles. */
    assert_int_equal(
        px_conf_convert(ratio, "0.25", &i, &d, &b, why, sizeof why), 0);
    assert_true(d == 0.25);
    assert_int_equal(
        px_conf_convert(ratio, "1e0", &i, &d, &b, why, sizeof why), 0);
    assert_true(d == 1.0);
    assert_int_equal(
        px_conf_convert(ratio, "1.5", &i, &d, &b, why, sizeof why), ERANGE);
    assert_string_equal(why, "1.5 is out of range [0, 1]");
    assert_int_equal(
        px_conf_convert(ratio, "nan", &i, &d, &b, why, sizeof why), EINVAL);
    assert_string_equal(why, "'nan' is not a number");
    assert_int_equal(
        px_conf_convert(ratio, "inf", &i, &d, &b, why, sizeof why), EINVAL);

    /* Booleans, in any case. */
    assert_int_equal(
        px_conf_convert(verbose, "YES", &i, &d, &b, why, sizeof why), 0);
    assert_int_equal(b, 1);
    assert_int_equal(
        px_conf_convert(verbose, "Off", &i, &d, &b, why, sizeof why), 0);
    assert_int_equal(b, 0);
    assert_int_equal(
        px_conf_convert(verbose, "2", &i, &d, &b, why, sizeof why), EINVAL);
    assert_prefix(why, "'2' is not a boolean");

    /* Strings with choices match whole alternatives only. */
    assert_int_equal(px_conf_convert(mode, "a", &i, &d, &b, why, sizeof why),
                     0);
    assert_int_equal(px_conf_convert(mode, "b", &i, &d, &b, why, sizeof why),
                     0);
    assert_int_equal(px_conf_convert(mode, "ab", &i, &d, &b, why, sizeof why),
                     EINVAL);
    assert_string_equal(why, "'ab' is not one of a|b");
    assert_int_equal(px_conf_convert(mode, "", &i, &d, &b, why, sizeof why),
                     EINVAL);
    assert_int_equal(px_conf_convert(mode, "a|b", &i, &d, &b, why, sizeof why),
                     EINVAL);
    assert_int_equal(px_conf_convert(&any, "", &i, &d, &b, why, sizeof why),
                     0);

    /* A schema with a type this host does not know is the plugin's bug,
     * reported rather than trusted. */
    assert_int_equal(px_conf_convert(&weird, "x", &i, &d, &b, why, sizeof why),
                     EINVAL);
    assert_contains(why, "unknown type 99");

    /* A short buffer truncates the message but stays terminated. */
    assert_int_equal(
        px_conf_convert(count, "0", &i, &d, &b, small, sizeof small), ERANGE);
    assert_string_equal(small, "0 is out ");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_defaults),
        cmocka_unit_test(test_host_section),
        cmocka_unit_test(test_plugin_file),
        cmocka_unit_test(test_default_instance_name),
        cmocka_unit_test(test_instance_line_is_plugin_header),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_continuation_refused),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_host_paths),
        cmocka_unit_test(test_module_by_path),
        cmocka_unit_test(test_check_keys_stray_section),
        cmocka_unit_test(test_convert_typed),
        cmocka_unit_test(test_check_schema),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_host_and_plugin_key_tables),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_missing_module),
        cmocka_unit_test(test_empty_plugin_section),
        cmocka_unit_test(test_bad_name_line),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_all_problems_reported),
        cmocka_unit_test(test_duplicate_instance_names),
        cmocka_unit_test_setup_teardown(test_load_dir_order, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_load_dir_errors, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_load_dir_missing, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_instance_clone),
        cmocka_unit_test(test_check_keys_valid),
        cmocka_unit_test(test_check_keys_errors),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_convert),
        cmocka_unit_test_setup_teardown(test_load_dir_empty, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_set_enabled, tmpdir_setup,
                                        tmpdir_teardown),
    };

    return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
