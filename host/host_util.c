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

static void
str_vprintf(char **buf, size_t *len, size_t *cap, const char *fmt,
            va_list args)
{
    va_list copy;
    int n;

    va_copy(copy, args);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        return;
    }
    if (*len + (size_t)n + 1 > *cap) {
        size_t c = (*len + (size_t)n + 1) * 2;
        char *b = realloc(*buf, c);

        if (!b) {
            return; /* Out of memory: the message is lost, nothing else. */
        }
        *buf = b;
        *cap = c;
    }
    vsnprintf(*buf + *len, (size_t)n + 1, fmt, args);
    *len += (size_t)n;
}

void
px_str_printf(struct px_str *s, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    str_vprintf(&s->buf, &s->len, &s->cap, fmt, args);
    va_end(args);
}

void
px_str_vprintf(struct px_str *s, const char *fmt, va_list args)
{
    str_vprintf(&s->buf, &s->len, &s->cap, fmt, args);
}

const char *
px_str_get(const struct px_str *s)
{
    return s->buf ? s->buf : "";
}

void
px_errors_add(struct px_errors *e, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    str_vprintf(&e->text.buf, &e->text.len, &e->text.cap, fmt, args);
    va_end(args);
    px_str_printf(&e->text, "\n");
    e->count++;
}

void
px_errors_clear(struct px_errors *e)
{
    if (!e) {
        return;
    }
    free(e->text.buf);
    memset(e, 0, sizeof *e);
}

const char *
px_errors_text(const struct px_errors *e)
{
    return px_str_get(&e->text);
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
