/*
 * The console's files (con_static.h).
 */
#include "con_static.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plexus/buf.h"
#include "plexus/topics/http.h"

struct con_static {
    char *www;
    char *xterm; /* The bundle, made on first request. */
    size_t xterm_len;
};

/* Reads a regular file of at most CON_STATIC_MAX_FILE bytes. */
static int
read_file(const char *path, char **data, size_t *len)
{
    struct stat st;
    char *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), error = 0;

    if (fd < 0) {
        return errno;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size > CON_STATIC_MAX_FILE) {
        error = errno ? errno : EINVAL;
        close(fd);
        return error ? error : EINVAL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return ENOMEM;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

        if (n <= 0) {
            error = n ? errno : EIO;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (error) {
        free(buf);
        return error;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

static const char *
content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
    };
    const char *dot = strrchr(name, '.');
    size_t i;

    for (i = 0; dot && i < sizeof types / sizeof types[0]; i++) {
        if (!strcmp(dot, types[i].ext)) {
            return types[i].type;
        }
    }
    return "application/octet-stream";
}

static void
serve_file(const struct px_http_request *r, const char *path, const char *type)
{
    char *data;
    size_t len;
    int error = read_file(path, &data, &len);

    if (error == ENOENT) {
        px_http_reply_error(r, 404, "not found");
    } else if (error) {
        px_http_reply_error(r, 500, "cannot read the file");
    } else {
        px_http_reply_take(r, 200, type, data, len);
    }
}

/* A name under /static/: letters, digits, '.', '-', '_', not starting
 * with a dot, so that no path leaves the directory. */
static int
safe_name(const char *name)
{
    return *name && *name != '.' &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789._-") == strlen(name);
}

/* The xterm bundle, built by walking Debian's lib directory. */
struct walk {
    char **paths;
    size_t n, cap;
};

static struct walk *walk_state; /* nftw has no argument for its callback. */

static int
collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    size_t n = strlen(path);

    (void)st;
    (void)ftw;
    if (flag != FTW_F || n < 3 || strcmp(path + n - 3, ".js") ||
        (n >= 8 && !strcmp(path + n - 8, ".test.js"))) {
        return 0;
    }
    if (walk_state->n == walk_state->cap) {
        size_t cap = walk_state->cap ? 2 * walk_state->cap : 64;
        char **grown = realloc(walk_state->paths, cap * sizeof *grown);

        if (!grown) {
            return ENOMEM;
        }
        walk_state->paths = grown;
        walk_state->cap = cap;
    }
    walk_state->paths[walk_state->n] = strdup(path);
    return walk_state->paths[walk_state->n++] ? 0 : ENOMEM;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The registry: modules by their path under lib/, require() resolved
 * relative to the requiring module, ".js" added as Node does. */
static const char PRELUDE[] =
    "/* xterm.js 3.8 from Debian's node-xterm, its CommonJS modules in a\n"
    " * require() registry made by plexusd's console plugin. */\n"
    "(function(){var defs={},cache={};\n"
    "function norm(base,p){var parts=base.split('/');parts.pop();\n"
    "p.split('/').forEach(function(s){if(s==='..')parts.pop();\n"
    "else if(s!=='.')parts.push(s);});var n=parts.join('/');\n"
    "return n.slice(-3)==='.js'?n:n+'.js';}\n"
    "function req(name){if(cache[name])return cache[name].exports;\n"
    "var m=cache[name]={exports:{}};if(!defs[name])\n"
    "throw new Error('xterm module '+name+' missing');\n"
    "defs[name].call(m.exports,m.exports,function(p){return req(norm(name,p));"
    "},m);return m.exports;}\n";
static const char POSTLUDE[] =
    "window.Terminal=req('public/Terminal.js').Terminal;\n"
    "window.xtermFit=req('addons/fit/fit.js');})();\n";

int
con_static_xterm_bundle(const char *lib_dir, char **out, size_t *len)
{
    struct walk w = {0};
    struct px_buf b = PX_BUF_INITIALIZER(CON_STATIC_MAX_FILE);
    size_t base = strlen(lib_dir) + 1, i;
    int error;

    walk_state = &w;
    /* Symbolic links are followed: Debian's lib/addons is one. */
    error = nftw(lib_dir, collect, 16, 0);
    walk_state = NULL;
    if (error < 0) {
        error = errno;
    }
    if (!error && !w.n) {
        error = ENOENT;
    }
    if (!error) {
        qsort(w.paths, w.n, sizeof *w.paths, cmp_str);
        px_buf_put(&b, PRELUDE, sizeof PRELUDE - 1);
        for (i = 0; !error && i < w.n; i++) {
            char *src;
            size_t n;

            error = read_file(w.paths[i], &src, &n);
            if (error) {
                break;
            }
            /* Source map comments would make the browser ask for the
             * .map files, which are not served. */
            for (char *m = src; (m = strstr(m, "//# sourceMappingURL"));) {
                memcpy(m, "//  sourceMappingURL", 20);
            }
            px_buf_printf(&b, "defs['%s']=function(exports,require,module){\n",
                          w.paths[i] + base);
            px_buf_put(&b, src, n);
            px_buf_printf(&b, "\n};\n");
            free(src);
        }
        px_buf_put(&b, POSTLUDE, sizeof POSTLUDE - 1);
        if (!error && px_buf_error(&b)) {
            error = px_buf_error(&b);
        }
    }
    for (i = 0; i < w.n; i++) {
        free(w.paths[i]);
    }
    free(w.paths);
    if (error) {
        px_buf_destroy(&b);
        return error;
    }
    *out = (char *)px_buf_steal(&b, len);
    return 0;
}

int
con_static_serve(struct con_static *s, const struct px_http_request *r)
{
    const char *rest;
    char path[4096];

    if (!strcmp(r->path, "/")) {
        snprintf(path, sizeof path, "%s/index.html", s->www);
        serve_file(r, path, "text/html; charset=utf-8");
    } else if (!strcmp(r->path, "/favicon.ico")) {
        snprintf(path, sizeof path, "%s/favicon.svg", s->www);
        serve_file(r, path, "image/svg+xml");
    } else if (px_http_path_under(r, "/static", &rest) && *rest) {
        if (!safe_name(rest)) {
            px_http_reply_error(r, 404, "not found");
            return 1;
        }
        snprintf(path, sizeof path, "%s/%s", s->www, rest);
        serve_file(r, path, content_type(rest));
    } else if (!strcmp(r->path, "/lib/d3.js")) {
        serve_file(r, CON_D3_JS, "text/javascript; charset=utf-8");
    } else if (!strcmp(r->path, "/lib/xterm.css")) {
        serve_file(r, CON_XTERM_CSS, "text/css; charset=utf-8");
    } else if (!strcmp(r->path, "/lib/xterm.js")) {
        if (!s->xterm &&
            con_static_xterm_bundle(CON_XTERM_LIB, &s->xterm, &s->xterm_len)) {
            px_http_reply_error(r, 500,
                                "cannot read xterm (Debian's node-xterm)");
            return 1;
        }
        px_http_reply(r, 200, "text/javascript; charset=utf-8", s->xterm,
                      s->xterm_len);
    } else {
        return 0;
    }
    return 1;
}

int
con_static_create(const char *www, struct con_static **out)
{
    struct con_static *s = calloc(1, sizeof *s);

    if (!s || !(s->www = strdup(www))) {
        free(s);
        return ENOMEM;
    }
    *out = s;
    return 0;
}

void
con_static_destroy(struct con_static *s)
{
    if (s) {
        free(s->www);
        free(s->xterm);
        free(s);
    }
}
