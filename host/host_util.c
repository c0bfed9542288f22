/* Helpers shared by the host modules; see host_util.h. */
#include "host_util.h"

#include "plexus/plugin.h"
#include "plexus/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

void
px_errors_add(struct px_errors *e, const char *fmt, ...)
{
    va_list args;

    if (!e->text.limit) {
        /* Zero-initialised: no limit, as a validation reports everything
         * it finds. */
        px_buf_init(&e->text, SIZE_MAX);
    }
    va_start(args, fmt);
    px_buf_vprintf(&e->text, fmt, args);
    va_end(args);
    px_buf_put(&e->text, "\n", 1);
    e->count++;
}

void
px_errors_clear(struct px_errors *e)
{
    if (!e) {
        return;
    }
    px_buf_destroy(&e->text);
    memset(e, 0, sizeof *e);
}

const char *
px_errors_text(const struct px_errors *e)
{
    return px_buf_cstr(&e->text);
}

void
px_set_why(char *why, size_t size, const char *fmt, ...)
{
    va_list args;

    if (!why || !size) {
        return;
    }
    va_start(args, fmt);
    vsnprintf(why, size, fmt, args);
    va_end(args);
    for (; *why; why++) {
        unsigned char c = (unsigned char)*why;

        if (c < 0x20 || c >= 0x7f) {
            *why = '?';
        }
    }
}

char *
px_path_resolve(const char *base, const char *path)
{
    size_t bl, pl;
    char *s;

    if (path[0] == '/' || !base || !base[0]) {
        return strdup(path);
    }
    bl = strlen(base);
    pl = strlen(path);
    s = malloc(bl + pl + 2);
    if (!s) {
        return NULL;
    }
    memcpy(s, base, bl);
    s[bl] = '/';
    memcpy(s + bl + 1, path, pl + 1);
    return s;
}

int
px_file_read(const char *path, size_t max, char **data, size_t *len)
{
    struct stat st;
    char *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return errno;
    }
    if (fstat(fd, &st) < 0) {
        int error = errno;

        close(fd);
        return error;
    }
    if ((size_t)st.st_size > max) {
        close(fd);
        return EFBIG;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return ENOMEM;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int error = n < 0 ? errno : EIO;

            free(buf);
            close(fd);
            return error;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

int
px_file_write(const char *path, const void *data, size_t len)
{
    const char *p = data;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0) {
        return errno;
    }
    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int error = errno;

            close(fd);
            return error;
        }
        p += n;
        len -= (size_t)n;
    }
    return close(fd) < 0 ? errno : 0;
}

double
px_wall_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int
px_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    size_t i;

    for (i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return EINVAL;
}

int
px_parse_int(const char *s, long long *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 0);
    if (end == s || *end) {
        return EINVAL;
    }
    if (errno == ERANGE) {
        return ERANGE;
    }
    *out = v;
    return 0;
}

int
px_parse_double(const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) {
        return EINVAL;
    }
    if (errno == ERANGE) {
        return ERANGE;
    }
    *out = v;
    return 0;
}

int
px_parse_log_level(const char *s, int *out)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (!strcasecmp(s, px_log_level_str(i))) {
            *out = i;
            return 0;
        }
    }
    if (!strcasecmp(s, "warning")) {
        *out = PX_LOG_WARN;
        return 0;
    }
    return EINVAL;
}

void
px_trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) {
        (*len)--;
    }
}
