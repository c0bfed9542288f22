/*
 * Unit tests for the plugin loader's checks (host/module.c): descriptor
 * validation as a pure function on hand-built descriptors, finding a module
 * in the plugin directory, hashing its file, telling whether a path is
 * mapped, and the error reports of px_module_open for files that cannot be
 * plugins.
 *
 * No test plugin is built for these tests: a file of garbage stands in for
 * a broken object, and the C library, which is a real shared object but
 * has no descriptor, stands in for a foreign one.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "module.h"
#include "plexus/hash.h"
#include "tmpdir.h"

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

static char *
join(const char *dir, const char *name)
{
    char *path;

    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    return path;
}

/* ---------------------------------------------------------------------- */
/* Descriptors.                                                           */

static int
dummy_init(struct px_plugin *p)
{
    (void)p;
    return 0;
}

/* A descriptor as PX_PLUGIN_DEFINE would build it for "logger". */
static struct px_plugin_descriptor
good_descriptor(void)
{
    struct px_plugin_descriptor d = {
        .abi_major = PX_ABI_MAJOR,
        .abi_minor = PX_ABI_MINOR,
        .size = sizeof d,
        .name = "logger",
        .version = "1.0",
        .description = "Logs events.",
        .init = dummy_init,
    };

    return d;
}

/* The host's ABI as the messages print it, e.g. "1.0". */
static const char *
host_abi(void)
{
    static char abi[32];

    snprintf(abi, sizeof abi, "%d.%d", PX_ABI_MAJOR, PX_ABI_MINOR);
    return abi;
}

static void
test_descriptor_valid(void **state)
{
    struct px_plugin_descriptor d = good_descriptor();
    char why[256] = "";

    (void)state;

    /* fini, reconfigure and config_keys are optional. */
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     0);
}

static void
test_descriptor_abi(void **state)
{
    struct px_plugin_descriptor d = good_descriptor();
    char why[256];
    char expect[32];

    (void)state;

    d.abi_major = 99;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EPROTO);
    snprintf(expect, sizeof expect, "99.%d", PX_ABI_MINOR);
    assert_contains(why, expect);
    assert_contains(why, host_abi());

    /* Older majors are as foreign as newer ones. */
    d.abi_major = PX_ABI_MAJOR - 1;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EPROTO);

    /* A newer minor may use functions this host lacks. */
    d = good_descriptor();
    d.abi_minor = PX_ABI_MINOR + 1;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EPROTO);
    snprintf(expect, sizeof expect, "%d.%d", PX_ABI_MAJOR, PX_ABI_MINOR + 1);
    assert_contains(why, expect);
    assert_contains(why, host_abi());
    assert_contains(why, "newer");

    /* With a foreign major nothing past the ABI fields can be trusted, so
     * the ABI is reported before any field is read. */
    d = good_descriptor();
    d.abi_major = 99;
    d.name = NULL;
    d.init = NULL;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EPROTO);
    assert_contains(why, "ABI 99.");
}

static void
test_descriptor_size(void **state)
{
    struct px_plugin_descriptor d = good_descriptor();
    char why[256];
    char expect[64];

    (void)state;

    d.size = sizeof d - 8;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EPROTO);
    snprintf(expect, sizeof expect, "size %zu", sizeof d - 8);
    assert_contains(why, expect);
    snprintf(expect, sizeof expect, "%zu", sizeof d);
    assert_contains(why, expect);

    d.size = 0;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EPROTO);
    assert_contains(why, "size 0");
}

static void
test_descriptor_fields(void **state)
{
    struct px_plugin_descriptor d;
    char why[256];

    (void)state;

    d = good_descriptor();
    d.name = NULL;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EINVAL);
    assert_contains(why, "lacks its name, version or description");

    d = good_descriptor();
    d.version = NULL;
    strcpy(why, "");
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EINVAL);
    assert_contains(why, "lacks its name, version or description");

    d = good_descriptor();
    d.description = NULL;
    strcpy(why, "");
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EINVAL);
    assert_contains(why, "lacks its name, version or description");

    /* A file renamed to another module's name is not that module. */
    d = good_descriptor();
    assert_int_equal(
        px_module_check_descriptor(&d, "counter", why, sizeof why), EINVAL);
    assert_contains(why, "'logger'");
    assert_contains(why, "'counter'");

    d = good_descriptor();
    d.init = NULL;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EINVAL);
    assert_contains(why, "no init function");
}

static void
test_descriptor_short_buffer(void **state)
{
    struct px_plugin_descriptor d = good_descriptor();
    char why[8];

    (void)state;

    /* The reason is cut to the buffer, never written past it. */
    d.init = NULL;
    assert_int_equal(px_module_check_descriptor(&d, "logger", why, sizeof why),
                     EINVAL);
    assert_string_equal(why, "descrip");
}

/* ---------------------------------------------------------------------- */
/* Files.                                                                 */

/* Tests that open objects also need libltdl. */
static int
loader_setup(void **state)
{
    if (tmpdir_setup(state)) {
        return -1;
    }
    return px_module_init() ? -1 : 0;
}

static int
loader_teardown(void **state)
{
    px_module_exit();
    return tmpdir_teardown(state);
}

static char *
write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = join(dir, name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void
make_dir(const char *dir, const char *name)
{
    char *path = join(dir, name);

    assert_int_equal(mkdir(path, 0755), 0);
    free(path);
}

static void
test_find(void **state)
{
    const char *dir = *state;
    char *dirs[1] = {(char *)dir};
    struct px_errors errors = {.count = 0};
    char *sentinel = (char *)&errors;
    char *path = NULL;
    char *expect;

    free(write_file(dir, "alpha.so", "x", 1));
    make_dir(dir, "beta");
    free(write_file(dir, "beta/beta.so", "x", 1));
    free(write_file(dir, "gamma.so", "x", 1));
    make_dir(dir, "gamma");
    free(write_file(dir, "gamma/gamma.so", "x", 1));

    assert_int_equal(px_module_find(dirs, 1, "alpha", NULL, &path, &errors),
                     0);
    expect = join(dir, "alpha.so");
    assert_string_equal(path, expect);
    free(expect);
    free(path);

    assert_int_equal(px_module_find(dirs, 1, "beta", NULL, &path, &errors), 0);
    expect = join(dir, "beta/beta.so");
    assert_string_equal(path, expect);
    free(expect);
    free(path);

    /* With both layouts present, the flat one wins. */
    assert_int_equal(px_module_find(dirs, 1, "gamma", NULL, &path, &errors),
                     0);
    expect = join(dir, "gamma.so");
    assert_string_equal(path, expect);
    free(expect);
    free(path);
    assert_int_equal(errors.count, 0);

    /* Not found: both candidates are named, so the user can see where the
     * host looked. */
    path = sentinel;
    assert_int_equal(px_module_find(dirs, 1, "delta", NULL, &path, &errors),
                     ENOENT);
    assert_ptr_equal(path, sentinel);
    assert_int_equal(errors.count, 1);
    assert_contains(px_errors_text(&errors), "module 'delta'");
    expect = join(dir, "delta.so");
    assert_contains(px_errors_text(&errors), expect);
    free(expect);
    expect = join(dir, "delta/delta.so");
    assert_contains(px_errors_text(&errors), expect);
    free(expect);
    px_errors_clear(&errors);
}

/* Several directories are searched in order, and the one message for a
 * missing module names every place looked at; an explicit file is taken
 * as it is. */
static void
test_find_path(void **state)
{
    const char *dir = *state;
    char *first = join(dir, "first"), *second = join(dir, "second");
    char *dirs[2] = {first, second};
    struct px_errors errors = {.count = 0};
    char *path = NULL, *expect, *file;

    make_dir(dir, "first");
    make_dir(dir, "second");
    free(write_file(dir, "second/alpha.so", "x", 1));
    free(write_file(dir, "first/beta.so", "x", 1));
    free(write_file(dir, "second/beta.so", "x", 1));

    assert_int_equal(px_module_find(dirs, 2, "alpha", NULL, &path, &errors),
                     0);
    expect = join(dir, "second/alpha.so");
    assert_string_equal(path, expect);
    free(expect);
    free(path);
    assert_int_equal(px_module_find(dirs, 2, "beta", NULL, &path, &errors), 0);
    expect = join(dir, "first/beta.so");
    assert_string_equal(path, expect);
    free(path);

    file = expect;
    assert_int_equal(px_module_find(dirs, 2, "x", file, &path, &errors), 0);
    assert_string_equal(path, file);
    free(path);
    free(file);
    assert_int_equal(errors.count, 0);

    assert_int_equal(px_module_find(dirs, 2, "gamma", NULL, &path, &errors),
                     ENOENT);
    assert_int_equal(errors.count, 1);
    assert_contains(px_errors_text(&errors),
                    "no such module on the plugin path");
    expect = join(dir, "second/gamma/gamma.so");
    assert_contains(px_errors_text(&errors), expect);
    free(expect);
    px_errors_clear(&errors);
    free(first);
    free(second);
}

static void
test_hash_file(void **state)
{
    const char *dir = *state;
    char *a = write_file(dir, "a.so", "same bytes", 10);
    char *b = write_file(dir, "b.so", "same bytes", 10);
    char *c = write_file(dir, "c.so", "same bytez", 10);
    char *e = write_file(dir, "e.so", "", 0);
    char *missing = join(dir, "missing.so");
    uint64_t ha = 1, hb = 2, hc = 3, he = 4, hm = 5;

    assert_int_equal(px_module_hash_file(a, &ha), 0);
    assert_int_equal(px_module_hash_file(b, &hb), 0);
    assert_int_equal(px_module_hash_file(c, &hc), 0);
    assert_true(ha == hb);
    assert_true(ha != hc);

    /* The hash is the SDK's over the contents: an empty file hashes as
     * no bytes do. */
    assert_int_equal(px_module_hash_file(e, &he), 0);
    assert_true(he == px_hash_bytes("", 0, 0));
    assert_true(he != ha);

    assert_int_equal(px_module_hash_file(missing, &hm), ENOENT);
    assert_true(hm == 5);
    free(a);
    free(b);
    free(c);
    free(e);
    free(missing);
}

/* Returns the path of the C library as this process has it mapped. */
static char *
mapped_libc(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    char *found = NULL;

    assert_non_null(f);
    while (!found && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        char *base;

        if (!path) {
            continue;
        }
        path[strcspn(path, "\n")] = '\0';
        base = strrchr(path, '/') + 1;
        if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5)) {
            found = strdup(path);
        }
    }
    fclose(f);
    assert_non_null(found);
    return found;
}

static void
test_is_mapped(void **state)
{
    const char *dir = *state;
    char *libc = mapped_libc();
    char *longer;
    size_t len = strlen(libc);
    char last;
    char *path;
    void *map;
    int fd;

    assert_int_equal(px_module_is_mapped("/nonexistent"), 0);
    assert_int_equal(px_module_is_mapped(libc), 1);

    /* Whole paths only: neither a prefix nor an extension of a mapped path
     * is mapped. */
    last = libc[len - 1];
    libc[len - 1] = '\0';
    assert_int_equal(px_module_is_mapped(libc), 0);
    libc[len - 1] = last;
    assert_true(asprintf(&longer, "%sx", libc) > 0);
    assert_int_equal(px_module_is_mapped(longer), 0);
    free(longer);
    free(libc);

    /* A file unlinked while mapped shows as "path (deleted)" and still
     * counts: that is how a closed plugin copy that stayed resident looks. */
    path = write_file(dir, "resident.so", "resident bytes", 14);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    map = mmap(NULL, 14, PROT_READ, MAP_PRIVATE, fd, 0);
    assert_true(map != MAP_FAILED);
    close(fd);
    assert_int_equal(px_module_is_mapped(path), 1);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(px_module_is_mapped(path), 1);
    assert_int_equal(munmap(map, 14), 0);
    assert_int_equal(px_module_is_mapped(path), 0);
    free(path);
}

/* The dynamic loader's own complaint about 'path', without the path. */
static char *
loader_reason(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    const char *err, *reason;

    assert_null(h);
    err = dlerror();
    assert_non_null(err);
    reason = strstr(err, ": ");
    return strdup(reason ? reason + 2 : err);
}

static void
test_open_garbage(void **state)
{
    const char *dir = *state;
    static const char garbage[] =
        "This is not an ELF object; it is long enough for the loader to "
        "read a whole header and then reject it.\n";
    struct px_errors errors = {.count = 0};
    struct px_module *sentinel = (struct px_module *)&errors;
    struct px_module *m = sentinel;
    char *path = write_file(dir, "x.so", garbage, sizeof garbage - 1);
    char *copy = join(dir, "x-copy.so");
    char *reason = loader_reason(path);
    const char *text;

    /* The loader's reason ("invalid ELF header" from glibc), not libltdl's
     * generic "file not found": the file is there. */
    assert_int_not_equal(px_module_open("x", path, NULL, &m, &errors), 0);
    assert_ptr_equal(m, sentinel);
    assert_int_equal(errors.count, 1);
    text = px_errors_text(&errors);
    assert_contains(text, "module 'x'");
    assert_contains(text, path);
    assert_contains(text, reason);
    px_errors_clear(&errors);

    /* Through a private copy: same report, and the copy is removed. */
    assert_int_not_equal(px_module_open("x", path, copy, &m, &errors), 0);
    assert_ptr_equal(m, sentinel);
    assert_int_equal(errors.count, 1);
    text = px_errors_text(&errors);
    assert_contains(text, "module 'x'");
    assert_contains(text, reason);
    assert_int_equal(access(copy, F_OK), -1);
    assert_int_equal(errno, ENOENT);
    px_errors_clear(&errors);

    free(reason);
    free(copy);
    free(path);
}

static void
test_open_short_file(void **state)
{
    const char *dir = *state;
    struct px_errors errors = {.count = 0};
    struct px_module *m = NULL;
    char *path = write_file(dir, "tiny.so", "tiny\n", 5);
    char *reason = loader_reason(path);

    assert_int_not_equal(px_module_open("tiny", path, NULL, &m, &errors), 0);
    assert_null(m);
    assert_int_equal(errors.count, 1);
    assert_contains(px_errors_text(&errors), "module 'tiny'");
    assert_contains(px_errors_text(&errors), reason);
    px_errors_clear(&errors);
    free(reason);
    free(path);
}

static void
test_open_missing(void **state)
{
    const char *dir = *state;
    struct px_errors errors = {.count = 0};
    struct px_module *m = NULL;
    char *path = join(dir, "none.so");

    assert_int_equal(px_module_open("none", path, NULL, &m, &errors), ENOENT);
    assert_null(m);
    assert_int_equal(errors.count, 1);
    assert_contains(px_errors_text(&errors), "module 'none'");
    assert_contains(px_errors_text(&errors), path);
    assert_contains(px_errors_text(&errors), strerror(ENOENT));
    px_errors_clear(&errors);
    free(path);
}

/* A real shared object without a descriptor: the report names the missing
 * symbol. */
static void
test_open_without_descriptor(void **state)
{
    struct px_errors errors = {.count = 0};
    struct px_module *m = NULL;
    char *libc = mapped_libc();

    (void)state;

    assert_int_equal(px_module_open("libc", libc, NULL, &m, &errors), ENOEXEC);
    assert_null(m);
    assert_int_equal(errors.count, 1);
    assert_contains(px_errors_text(&errors), "module 'libc'");
    assert_contains(px_errors_text(&errors), "no '" PX_PLUGIN_SYMBOL "'");
    px_errors_clear(&errors);

    /* Closing the failed load did not unmap what the process uses. */
    assert_int_equal(px_module_is_mapped(libc), 1);
    free(libc);
}

static void
test_close_null(void **state)
{
    (void)state;

    assert_int_equal(px_module_close(NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor_valid),
        cmocka_unit_test(test_descriptor_abi),
        cmocka_unit_test(test_descriptor_size),
        cmocka_unit_test(test_descriptor_fields),
        cmocka_unit_test(test_descriptor_short_buffer),
        cmocka_unit_test_setup_teardown(test_find_path, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_find, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_hash_file, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_is_mapped, tmpdir_setup,
                                        tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_open_garbage, loader_setup,
                                        loader_teardown),
        cmocka_unit_test_setup_teardown(test_open_short_file, loader_setup,
                                        loader_teardown),
        cmocka_unit_test_setup_teardown(test_open_missing, loader_setup,
                                        loader_teardown),
        cmocka_unit_test_setup_teardown(test_open_without_descriptor,
                                        loader_setup, loader_teardown),
        cmocka_unit_test(test_close_null),
    };

    return cmocka_run_group_tests_name("module", tests, NULL, NULL);
}
