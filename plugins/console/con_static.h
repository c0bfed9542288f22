/*
 * The console's files: its own pages (the 'www' directory of conf.d's
 * [console] section) and the browser libraries it uses, read from where
 * Debian installs them (node-d3, node-xterm); nothing of either is copied
 * into the repository or the plugin.
 *
 * Debian's xterm 3.8 ships as CommonJS modules (its "browser bundle" is a
 * wrapper that still calls require()), so /lib/xterm.js is made, once, by
 * concatenating those modules inside a small require() registry: the
 * files are Debian's, byte for byte, each wrapped in a function.
 *
 * Ownership: the caller owns the struct con_static; answers are copied
 * into the response.
 */
#ifndef CON_STATIC_H
#define CON_STATIC_H 1

#include <stddef.h>

struct px_http_request;
struct con_static;

/* Where Debian's packages put the libraries. */
#define CON_D3_JS     "/usr/share/nodejs/d3/dist/d3.min.js"
#define CON_XTERM_LIB "/usr/share/nodejs/xterm/lib"
#define CON_XTERM_CSS "/usr/share/javascript/xterm/xterm.css"

/* Files larger than this are not served (the pages are small; d3 is
 * 260 KB, the xterm bundle about 400 KB). */
#define CON_STATIC_MAX_FILE (4u * 1024 * 1024)

int con_static_create(const char *www, struct con_static **out);
void con_static_destroy(struct con_static *s);

/* Answers GET of /, /static/NAME, /favicon.ico and /lib/...; returns 0
 * if the path is not one of those (the request is left unanswered). */
int con_static_serve(struct con_static *s, const struct px_http_request *r);

/* Builds the xterm bundle in 'out' (malloc()ed): 0, or an errno value
 * when Debian's xterm files cannot be read.  For tests. */
int con_static_xterm_bundle(const char *lib_dir, char **out, size_t *len);

#endif /* CON_STATIC_H */
