/*
 * The control socket's protocol: request and response lines parsed and
 * encoded with jansson, and the text helpers both ends share; see
 * ctl_proto.h.  No sockets here.
 */
#include "ctl_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/topics/host.h"
#include "plexus/util.h"

int
px_ctl_name_valid(const char *name)
{
    size_t i;

    if (!name || !((name[0] >= 'a' && name[0] <= 'z') ||
                   (name[0] >= '0' && name[0] <= '9'))) {
        return 0;
    }
    for (i = 0; name[i]; i++) {
        char c = name[i];

        if (i >= PX_CTL_MAX_METHOD ||
            !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------------------
 * Requests. */

void
px_ctl_request_clear(struct px_ctl_request *req)
{
    size_t i;

    if (!req) {
        return;
    }
    json_decref(req->id);
    for (i = 0; req->argv && i < req->argc; i++) {
        free(req->argv[i]);
    }
    free(req->argv); /* 'method' is argv[0], freed above. */
    memset(req, 0, sizeof *req);
}

/* Checks a request once it parsed as an object; see px_ctl_request_parse. */
static int
check_request(json_t *root, struct px_ctl_request *req, char *why,
              size_t why_size)
{
    json_t *id = json_object_get(root, "id");
    json_t *method = json_object_get(root, "method");
    json_t *params = json_object_get(root, "params");
    json_t *want = json_object_get(root, "json");
    json_t *p;
    size_t i, n;

    if (id && !json_is_null(id)) {
        req->id = json_incref(id);
    } else {
        px_set_why(why, why_size, "no \"id\" (notifications are not served)");
        return EINVAL;
    }
    /* jansson refuses "\u0000" (without JSON_ALLOW_NUL), so every string
     * here is a C string of its full length. */
    if (!json_is_string(method) || !json_string_length(method) ||
        json_string_length(method) > PX_CTL_MAX_METHOD) {
        px_set_why(why, why_size, "\"method\" is not a command name");
        return EINVAL;
    }
    if (params && !json_is_null(params) && !json_is_array(params)) {
        px_set_why(why, why_size, "\"params\" is not an array");
        return EINVAL;
    }
    n = json_array_size(params);
    if (n > PX_CTL_MAX_PARAMS) {
        px_set_why(why, why_size, "more than %u params", PX_CTL_MAX_PARAMS);
        return EINVAL;
    }
    if (want && !json_is_boolean(want)) {
        px_set_why(why, why_size, "\"json\" is not true or false");
        return EINVAL;
    }
    json_array_foreach(params, i, p)
    {
        if (!json_is_string(p)) {
            px_set_why(why, why_size, "param %zu is not a string", i + 1);
            return EINVAL;
        }
    }

    req->argv = calloc(n + 2, sizeof *req->argv);
    if (!req->argv) {
        px_set_why(why, why_size, "out of memory");
        return ENOMEM;
    }
    req->argv[0] = strdup(json_string_value(method));
    req->argc = 1;
    if (!req->argv[0]) {
        px_set_why(why, why_size, "out of memory");
        return ENOMEM;
    }
    req->method = req->argv[0];
    json_array_foreach(params, i, p)
    {
        req->argv[req->argc] = strdup(json_string_value(p));
        if (!req->argv[req->argc]) {
            px_set_why(why, why_size, "out of memory");
            return ENOMEM;
        }
        req->argc++;
    }
    req->want_json = json_is_true(want);
    return 0;
}

int
px_ctl_request_parse(const char *line, size_t len, struct px_ctl_request *req,
                     char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *root;
    int error;

    memset(req, 0, sizeof *req);
    if (len > PX_CTL_MAX_LINE) {
        px_set_why(why, why_size, "request longer than %u bytes",
                   PX_CTL_MAX_LINE);
        return EINVAL;
    }
    /* jansson would take a NUL between tokens for blank space; a line
     * holding one is garbage. */
    if (memchr(line, '\0', len)) {
        px_set_why(why, why_size, "a NUL byte in the request");
        return EINVAL;
    }
    root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        px_set_why(why, why_size, "invalid JSON at column %d: %s", jerr.column,
                   jerr.text);
        return EINVAL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        px_set_why(why, why_size, "a request is a JSON object");
        return EINVAL;
    }
    error = check_request(root, req, why, why_size);
    json_decref(root);
    return error ? EINVAL : 0;
}

/* ------------------------------------------------------------------------
 * Encoding. */

/* A JSON string of 'len' bytes of 's' in which every byte that is not part
 * of valid UTF-8, and every NUL, became U+FFFD: text comes from printf
 * calls over names a switch sent, JSON holds only Unicode, and a NUL
 * (\u0000) is refused by many JSON parsers, jansson's by default. */
static json_t *
clean_string(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    char *copy;
    json_t *j;
    size_t i, n = 0;

    if (!memchr(s, '\0', len)) {
        j = json_stringn(s, len);
        if (j) {
            return j;
        }
    }
    copy = malloc(3 * len + 1);
    if (!copy) {
        return NULL;
    }
    for (i = 0; i < len;) {
        size_t k = u[i] ? px_utf8_len(u + i, len - i) : 0;

        if (k) {
            memcpy(copy + n, s + i, k);
            n += k;
            i += k;
        } else {
            memcpy(copy + n, "\xef\xbf\xbd", 3);
            n += 3;
            i++;
        }
    }
    j = json_stringn(copy, n);
    free(copy);
    return j;
}

/* Dumps 'root' (reference taken) as one line ending in "\n". */
static int
dump_line(json_t *root, char **out, size_t *len)
{
    char *s;
    size_t n;

    if (!root) {
        return ENOMEM;
    }
    s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!s) {
        return ENOMEM;
    }
    n = strlen(s);
    /* jansson allocates with malloc by default: a realloc for the line
     * end keeps one allocation. */
    {
        char *line = realloc(s, n + 2);

        if (!line) {
            free(s);
            return ENOMEM;
        }
        line[n] = '\n';
        line[n + 1] = '\0';
        *out = line;
        *len = n + 1;
    }
    return 0;
}

static json_t *
id_copy(const json_t *id)
{
    return id ? json_deep_copy(id) : json_null();
}

int
px_ctl_encode_request(long long id, const char *method,
                      const char *const *params, size_t n_params,
                      int want_json, char **out, size_t *len)
{
    json_t *array = json_array();
    json_t *name = json_string(method);
    json_t *root;
    size_t i;

    if (!array || !name) {
        json_decref(array);
        json_decref(name);
        return array ? EINVAL : ENOMEM;
    }
    for (i = 0; i < n_params; i++) {
        json_t *p = json_string(params[i]);

        if (!p || json_array_append_new(array, p)) {
            json_decref(array);
            json_decref(name);
            return p ? ENOMEM : EINVAL;
        }
    }
    root = json_pack("{s:I,s:o,s:o,s:b}", "id", (json_int_t)id, "method", name,
                     "params", array, "json", want_json);
    return dump_line(root, out, len);
}

int
px_ctl_encode_result(const json_t *id, const char *text, size_t text_len,
                     const json_t *data, char **out, size_t *len)
{
    json_t *t = clean_string(text ? text : "", text ? text_len : 0);
    json_t *d = data ? json_deep_copy(data) : json_null();
    json_t *root;

    if (!t || !d) {
        json_decref(t);
        json_decref(d);
        return ENOMEM;
    }
    root = json_pack("{s:o,s:{s:o,s:o},s:n}", "id", id_copy(id), "result",
                     "text", t, "data", d, "error");
    return dump_line(root, out, len);
}

int
px_ctl_encode_error(const json_t *id, const char *message, char **out,
                    size_t *len)
{
    json_t *m = clean_string(message, strlen(message));
    json_t *root;

    if (!m) {
        return ENOMEM;
    }
    root = json_pack("{s:o,s:n,s:o}", "id", id_copy(id), "result", "error", m);
    return dump_line(root, out, len);
}

/* ------------------------------------------------------------------------
 * Responses. */

void
px_ctl_response_clear(struct px_ctl_response *resp)
{
    if (!resp) {
        return;
    }
    json_decref(resp->id);
    json_decref(resp->data);
    free(resp->text);
    free(resp->error);
    memset(resp, 0, sizeof *resp);
}

static char *
copy_bytes(const char *s, size_t len)
{
    char *c = malloc(len + 1);

    if (c) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

int
px_ctl_response_parse(const char *line, size_t len,
                      struct px_ctl_response *resp, char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *root, *id, *result, *error, *text, *data;

    memset(resp, 0, sizeof *resp);
    if (memchr(line, '\0', len)) {
        px_set_why(why, why_size, "a NUL byte in the answer");
        return EINVAL;
    }
    root = json_loadb(line, len, 0, &jerr);
    if (!root) {
        px_set_why(why, why_size, "invalid JSON at column %d: %s", jerr.column,
                   jerr.text);
        return EINVAL;
    }
    id = json_object_get(root, "id");
    result = json_object_get(root, "result");
    error = json_object_get(root, "error");
    if (!json_is_object(root) || !id || !result || !error) {
        px_set_why(why, why_size,
                   "not a JSON-RPC response (id, result, error)");
        goto fail;
    }
    if (!json_is_null(id)) {
        resp->id = json_incref(id);
    }
    if (!json_is_null(error)) {
        if (!json_is_null(result)) {
            px_set_why(why, why_size, "both a result and an error");
            goto fail;
        }
        if (json_is_string(error)) {
            resp->error = copy_bytes(json_string_value(error),
                                     json_string_length(error));
        } else {
            /* JSON-RPC 1.0 allows any value: show it as JSON. */
            resp->error = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
        }
        if (!resp->error) {
            px_set_why(why, why_size, "out of memory");
            goto fail;
        }
        json_decref(root);
        return 0;
    }
    text = json_is_object(result) ? json_object_get(result, "text") : NULL;
    data = json_is_object(result) ? json_object_get(result, "data") : NULL;
    if (!json_is_string(text)) {
        px_set_why(why, why_size, "a result without \"text\"");
        goto fail;
    }
    resp->text_len = json_string_length(text);
    resp->text = copy_bytes(json_string_value(text), resp->text_len);
    if (!resp->text) {
        px_set_why(why, why_size, "out of memory");
        goto fail;
    }
    if (data && !json_is_null(data)) {
        resp->data = json_incref(data);
    }
    json_decref(root);
    return 0;

fail:
    json_decref(root);
    px_ctl_response_clear(resp);
    return EINVAL;
}

/* ------------------------------------------------------------------------
 * Text. */

void
px_ctl_put_text(FILE *out, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\t') {
            c = ' ';
        } else if ((c < 0x20 && c != '\n') || c == 0x7f) {
            c = '?';
        }
        putc(c, out);
    }
}

/* "  label: a, b" for a comma-separated list, skipping empty items;
 * nothing when the list is empty. */
static void
format_list(struct px_buf *out, const char *label, const char *list)
{
    const char *s = list;
    int n = 0;

    while (s && *s) {
        size_t len = strcspn(s, ",");
        const char *item = s;
        size_t item_len = len;

        px_trim(&item, &item_len);
        if (item_len && n++) {
            px_buf_printf(out, ", %.*s", (int)item_len, item);
        } else if (item_len) {
            px_buf_printf(out, "  %s: %.*s", label, (int)item_len, item);
        }
        s += len + (s[len] == ',');
    }
    if (n) {
        px_buf_put(out, "\n", 1);
    }
}

/* One "  refused: name: why" line per entry; entries are separated by
 * "; " (a why may hold a ';' of its own, but not followed by a space). */
static void
format_refused(struct px_buf *out, const char *refused)
{
    const char *s = refused;

    while (s && *s) {
        const char *sep = strstr(s, "; ");
        size_t len = sep ? (size_t)(sep - s) : strlen(s);
        const char *item = s;
        size_t item_len = len;

        px_trim(&item, &item_len);
        if (item_len) {
            px_buf_printf(out, "  refused: %.*s\n", (int)item_len, item);
        }
        s += len + (sep ? 2 : 0);
    }
}

/* "  error: first line", further lines aligned under the first. */
static void
format_error(struct px_buf *out, const char *error)
{
    static const char prefix[] = "  error: ";
    const char *s = error;
    size_t len = error ? strlen(error) : 0;
    int first = 1;

    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) {
        len--;
    }
    while (len) {
        const char *nl = memchr(s, '\n', len);
        size_t n = nl ? (size_t)(nl - s) : len;
        size_t shown = n;

        if (shown && s[shown - 1] == '\r') {
            shown--;
        }
        px_buf_printf(out, "%*s%.*s\n", first ? 0 : (int)(sizeof prefix - 1),
                      first ? prefix : "", (int)shown, s);
        first = 0;
        s += n + (nl != NULL);
        len -= n + (nl != NULL);
    }
}

void
px_ctl_format_reload(struct px_buf *s, const struct px_ctl_reload_text *r)
{
    static const char *const outcomes[] = {
        [PX_RELOAD_OK] = "done",
        [PX_RELOAD_PARTIAL] = "partial",
        [PX_RELOAD_REFUSED] = "refused, nothing changed",
    };

    px_buf_printf(s, "reload %u: %s\n", r->id,
                  r->outcome >= 0 && r->outcome <= PX_RELOAD_REFUSED
                      ? outcomes[r->outcome]
                      : "unknown outcome");
    format_list(s, "added", r->added);
    format_list(s, "removed", r->removed);
    format_list(s, "reloaded", r->reloaded);
    format_list(s, "reconfigured", r->reconfigured);
    format_refused(s, r->refused);
    format_error(s, r->error);
}
