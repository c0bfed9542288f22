/*
 * Editing conf.d from the running daemon: the 'enabled =' line of one
 * instance (conf.h, px_conf_set_enabled).  The enable and disable
 * commands, and through them the web console's buttons, use it, so that
 * conf.d stays the one place that says what runs: a reload after the edit
 * does the rest, and an operator reading the directory sees what the
 * daemon will do.
 *
 * The line is found by the same parser that reads the directory for a
 * reload (conf.c records the line of every 'enabled' key), never by a
 * second scanner here; this file only splices one line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "host_util.h"

/* A configuration file larger than this is not edited. */
#define PX_CONF_EDIT_MAX (1024u * 1024)

/* Writes 'text' to 'path' through a temporary file in the same directory
 * (its name does not end in .ini, so a reload in between never reads
 * it), with 'mode', then renames it over 'path'. */
static int
replace_file(const char *path, const char *text, size_t len, mode_t mode)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    const char *base;
    FILE *f;
    int error = 0;

    if (!tmp) {
        return ENOMEM;
    }
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(tmp, n, "%.*s.%s.tmp", (int)(base - path), path, base);
    f = fopen(tmp, "wxe");
    if (!f) {
        error = errno;
        free(tmp);
        return error;
    }
    if (fchmod(fileno(f), mode & 07777) || fwrite(text, 1, len, f) != len ||
        fflush(f) || fsync(fileno(f))) {
        error = errno ? errno : EIO;
    }
    if (fclose(f) && !error) {
        error = errno;
    }
    if (!error && rename(tmp, path)) {
        error = errno;
    }
    if (error) {
        unlink(tmp);
    }
    free(tmp);
    return error;
}

/* Offset of the start of line 'line' (1-based) in 'text', or 'len' past
 * the end. */
static size_t
line_start(const char *text, size_t len, int line)
{
    size_t off = 0;
    int at = 1;

    while (at < line && off < len) {
        const char *nl = memchr(text + off, '\n', len - off);

        if (!nl) {
            return len;
        }
        off = (size_t)(nl - text) + 1;
        at++;
    }
    return off;
}

int
px_conf_set_enabled(const char *dir, const char *name, int enabled,
                    char **file, int *line, struct px_errors *errors)
{
    const struct px_conf_instance *inst;
    struct px_conf *conf;
    char *text = NULL, *out = NULL;
    const char *value = enabled ? "true" : "false";
    size_t len, start, end, out_len;
    struct stat st;
    int error, at;

    if (px_conf_load_dir(dir, &conf, errors)) {
        return EINVAL;
    }
    inst = px_conf_find(conf, name);
    if (!inst) {
        px_errors_add(errors, "%s: no plugin instance named '%s'", dir, name);
        px_conf_destroy(conf);
        return ENOENT;
    }
    if ((error = px_file_read(inst->file, PX_CONF_EDIT_MAX, &text, &len)) ||
        stat(inst->file, &st)) {
        error = error ? error : errno;
        px_errors_add(errors, "%s: %s", inst->file, strerror(error));
        goto out;
    }
    if (inst->enabled_line) {
        /* Replace the line. */
        at = inst->enabled_line;
        start = line_start(text, len, at);
        end = line_start(text, len, at + 1);
    } else {
        /* Add one after the [plugin] header. */
        at = inst->line + 1;
        start = end = line_start(text, len, at);
    }
    {
        int newline_first = start && text[start - 1] != '\n';
        char mid[32];
        int mid_len = snprintf(mid, sizeof mid, "%senabled = %s\n",
                               newline_first ? "\n" : "", value);

        out_len = start + (size_t)mid_len + (len - end);
        out = malloc(out_len);
        if (!out) {
            error = ENOMEM;
            goto out;
        }
        memcpy(out, text, start);
        memcpy(out + start, mid, (size_t)mid_len);
        memcpy(out + start + mid_len, text + end, len - end);
    }
    if ((error = replace_file(inst->file, out, out_len, st.st_mode))) {
        px_errors_add(errors, "%s: cannot write: %s", inst->file,
                      strerror(error));
        goto out;
    }
    *file = strdup(inst->file);
    *line = at;
    if (!*file) {
        error = ENOMEM;
    }
out:
    free(text);
    free(out);
    px_conf_destroy(conf);
    return error;
}
