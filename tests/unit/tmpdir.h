/*
 * Temporary directories for cmocka tests: a setup that makes a fresh
 * mkdtemp() directory and passes its path as the test's state, and a
 * teardown that removes the tree again and fails the test if anything
 * could not be removed.  Shared by the unit tests that touch files.
 */
#ifndef PX_TEST_TMPDIR_H
#define PX_TEST_TMPDIR_H 1

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
tmpdir_setup(void **state)
{
    const char *base = getenv("TMPDIR");
    char *dir;

    if (!base || !base[0]) {
        base = "/tmp";
    }
    if (asprintf(&dir, "%s/plexus-unit-XXXXXX", base) < 0) {
        return -1;
    }
    if (!mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

/* Removes 'dir' and everything below it; -1 if anything is left. */
static int
tmpdir_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;

    if (!d) {
        return -1;
    }
    while ((de = readdir(d))) {
        struct stat st;
        char *path;

        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
            continue;
        }
        if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
            rc = -1;
            continue;
        }
        if (!lstat(path, &st) && S_ISDIR(st.st_mode)) {
            rc |= tmpdir_remove_tree(path);
        } else if (unlink(path)) {
            rc = -1;
        }
        free(path);
    }
    closedir(d);
    return rmdir(dir) ? -1 : rc;
}

static int
tmpdir_teardown(void **state)
{
    char *dir = *state;
    int rc = tmpdir_remove_tree(dir);

    free(dir);
    return rc;
}

#endif /* PX_TEST_TMPDIR_H */
