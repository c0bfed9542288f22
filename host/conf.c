/*
 * The configuration snapshot; see conf.h.  inih does the INI syntax; this
 * file counts lines itself (its reader hands inih one line at a time) so that
 * every message names the line, and turns sections into host options and
 * plugin instances.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/ether.h>

/* Longest INI line we accept.  inih's own default is 200 bytes, too short
 * for a list of paths or a banner; Debian's libinih takes its line buffer
 * size at run time (ini_max_line, on the heap), so any sane line fits and
 * a longer one is refused with its line number.  64 KiB bounds the memory
 * one line can take. */
#define PX_CONF_MAX_LINE 65536
#define PX_CONF_MAX_FILE (1024 * 1024)

/* One raw key = value as read, before interpretation. */
struct raw_entry {
    char *section;
    char *key;
    char *value;
    int line;
};

struct parse_state {
    const char *file;
    const char *pos; /* Reader cursor. */
    const char *end;
    int lineno;   /* Lines handed to inih so far. */
    int too_long; /* Line number of an over-long line, or 0. */
    int bad_nul;
    struct raw_entry *entries;
    size_t n_entries;
    size_t cap;
    int plugin_line;  /* Line of the first [plugin] header, or 0. */
    int after_key;    /* A key was read since the last section header. */
    int continuation; /* Line of the first continuation line, or 0. */
    struct px_errors *errors;
};

/* Classifies a line the way inih will (BOM on line 1, comments, then
 * continuation, section or key), because inih reports keys but not section
 * headers: without this an empty [plugin] section would go unnoticed and
 * the header's line would be unknown.  Continuation lines (leading
 * whitespace after a key) are refused: inih would hand them over as
 * repeated keys. */
static void
classify(struct parse_state *st, const char *line)
{
    const char *s = line;

    if (st->lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3)) {
        s += 3;
    }
    s += strspn(s, " \t\r\n\v\f");
    if (*s == ';' || *s == '#') {
        return;
    }
    if (st->after_key && *s && s > line) {
        if (!st->continuation) {
            st->continuation = st->lineno;
        }
    } else if (*s == '[') {
        st->after_key = 0;
        if (!st->plugin_line && !strncmp(s, "[plugin]", 8)) {
            st->plugin_line = st->lineno;
        }
    } else if (*s) {
        st->after_key = 1;
    }
}

static char *
reader(char *str, int num, void *stream)
{
    struct parse_state *st = stream;
    size_t n = 0;

    if (st->pos >= st->end || st->too_long || st->bad_nul) {
        return NULL;
    }
    while (st->pos + n < st->end && st->pos[n] != '\n') {
        if (!st->pos[n]) {
            st->bad_nul = st->lineno + 1;
            return NULL;
        }
        n++;
    }
    if (n + 2 > (size_t)num) {
        st->too_long = st->lineno + 1;
        return NULL;
    }
    memcpy(str, st->pos, n);
    if (st->pos + n < st->end) {
        str[n++] = '\n';
    }
    str[n] = '\0';
    st->pos += n;
    st->lineno++;
    classify(st, str);
    return str;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    struct raw_entry *e;

    if (st->n_entries == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        struct raw_entry *ne = realloc(st->entries, cap * sizeof *ne);

        if (!ne) {
            return 0;
        }
        st->entries = ne;
        st->cap = cap;
    }
    e = &st->entries[st->n_entries];
    e->section = strdup(section);
    e->key = strdup(name);
    e->value = strdup(value);
    e->line = st->lineno;
    if (!e->section || !e->key || !e->value) {
        free(e->section);
        free(e->key);
        free(e->value);
        return 0;
    }
    st->n_entries++;
    return 1;
}

static void
free_plugin_path(struct px_conf_host *h)
{
    size_t i;

    for (i = 0; i < h->n_plugin_path; i++) {
        free(h->plugin_path[i]);
    }
    free(h->plugin_path);
    h->plugin_path = NULL;
    h->n_plugin_path = 0;
}

/* Splits a colon-separated list of directories; empty elements are
 * skipped.  EINVAL (and the old list kept) when none is left. */
static int
set_plugin_path(struct px_conf_host *h, const char *list)
{
    struct px_conf_host next = {0};
    const char *s = list;

    while (*s) {
        size_t n = strcspn(s, ":");

        if (n) {
            char **np = realloc(next.plugin_path,
                                (next.n_plugin_path + 1) * sizeof *np);

            if (!np) {
                free_plugin_path(&next);
                return ENOMEM;
            }
            next.plugin_path = np;
            np[next.n_plugin_path] = strndup(s, n);
            if (!np[next.n_plugin_path]) {
                free_plugin_path(&next);
                return ENOMEM;
            }
            next.n_plugin_path++;
        }
        s += n + (s[n] == ':');
    }
    if (!next.n_plugin_path) {
        return EINVAL;
    }
    free_plugin_path(h);
    h->plugin_path = next.plugin_path;
    h->n_plugin_path = next.n_plugin_path;
    return 0;
}

int
px_conf_create(const char *dir, struct px_conf **out)
{
    struct px_conf *conf = calloc(1, sizeof *conf);

    if (!conf) {
        return ENOMEM;
    }
    conf->dir = strdup(dir);
    conf->host.run_dir = strdup("/tmp");
    conf->host.log_level = PX_LOG_INFO;
    conf->host.async_queue = 4096;
    if (!conf->dir || !conf->host.run_dir ||
        set_plugin_path(&conf->host, "plugins")) {
        px_conf_destroy(conf);
        return ENOMEM;
    }
    *out = conf;
    return 0;
}

static void
instance_clear(struct px_conf_instance *inst)
{
    size_t i;

    free(inst->name);
    free(inst->module);
    free(inst->path);
    free(inst->stray_section);
    free(inst->file);
    for (i = 0; i < inst->n_kvs; i++) {
        free(inst->kvs[i].key);
        free(inst->kvs[i].value);
    }
    free(inst->kvs);
}

void
px_conf_destroy(struct px_conf *conf)
{
    size_t i;

    if (!conf) {
        return;
    }
    for (i = 0; i < conf->n_instances; i++) {
        instance_clear(&conf->instances[i]);
    }
    free(conf->instances);
    free_plugin_path(&conf->host);
    free(conf->host.run_dir);
    free(conf->host.pid_file);
    free(conf->host.ctl_socket);
    free(conf->host.host_file);
    free(conf->dir);
    free(conf);
}

static int
replace_string(char **dst, const char *src)
{
    char *s = strdup(src);

    if (!s) {
        return ENOMEM;
    }
    free(*dst);
    *dst = s;
    return 0;
}

const struct px_config_key px_conf_host_keys[] = {
    {"plugin_path", PX_CONFIG_STRING, "plugins", 0, 0, NULL,
     "Directories searched in turn for a plugin (NAME.so or NAME/NAME.so), "
     "colon-separated, each relative to the configuration directory unless "
     "absolute."},
    {"plugin_dir", PX_CONFIG_STRING, NULL, 0, 0, NULL,
     "One directory: plugin_path with a single entry (the older name)."},
    {"run_dir", PX_CONFIG_STRING, "/tmp", 0, 0, NULL,
     "Where plexusd makes its private directory (plexusd.XXXXXX, which "
     "holds the copies of the loaded plugins), and where the pid file and "
     "control socket go unless set."},
    {"pid_file", PX_CONFIG_STRING, NULL, 0, 0, NULL,
     "The pid file, locked while plexusd runs, so that a second plexusd on "
     "the same configuration refuses to start; empty: none.  Default: "
     "RUN_DIR/plexusd.pid."},
    {"ctl_socket", PX_CONFIG_STRING, NULL, 0, 0, NULL,
     "The Unix socket plexusctl talks to; empty: none.  Default: "
     "plexusd.ctl beside the pid file."},
    {"partial_start", PX_CONFIG_BOOL, "false", 0, 0, NULL,
     "Start even when a plugin is refused at start-up; otherwise plexusd "
     "exits, naming it."},
    {"log_level", PX_CONFIG_STRING, "info", 0, 0, "error|warn|info|debug",
     "The least severe message the host writes, and the plugins' unless "
     "their [plugin] log_level says otherwise."},
    {"log_target", PX_CONFIG_STRING, "stderr", 0, 0, "stderr|syslog",
     "Where the host writes its messages before the logger plugin takes "
     "them, and when none is loaded."},
    {"async_queue", PX_CONFIG_INT, "4096", 16, 1048576, NULL,
     "Bound of the queue of events published from other threads "
     "(px_publish_async); an event that does not fit is dropped and "
     "counted."},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const struct px_config_key px_conf_plugin_keys[] = {
    {"module", PX_CONFIG_STRING, NULL, 0, 0, NULL,
     "The plugin: a module name searched on plugin_path, or the path of a "
     "shared object (\"module = ../my/hello.so\", relative to the "
     "configuration directory).  Required."},
    {"enabled", PX_CONFIG_BOOL, "true", 0, 0, NULL,
     "Whether the instance runs.  A reload loads or unloads it when this "
     "changes."},
    {"name", PX_CONFIG_STRING, NULL, 0, 0, NULL,
     "The instance's name, for running one module more than once; the "
     "module's name by default."},
    {"log_level", PX_CONFIG_STRING, NULL, 0, 0, "error|warn|info|debug",
     "The least severe message this instance writes; the host's log_level "
     "by default."},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static const struct px_config_key *
find_key(const struct px_config_key *keys, const char *key)
{
    for (; keys && keys->key; keys++) {
        if (!strcmp(keys->key, key)) {
            return keys;
        }
    }
    return NULL;
}

/* Adds "FILE:LINE: unknown key 'KEY' WHERE (known: ...)", the known
 * keys taken from 'keys', so that the message cannot list other keys than
 * the ones accepted. */
static void
unknown_key(struct px_errors *errors, const char *file, int line,
            const char *key, const char *where,
            const struct px_config_key *keys)
{
    struct px_buf known = PX_BUF_INITIALIZER(SIZE_MAX);

    for (; keys && keys->key; keys++) {
        px_buf_printf(&known, "%s%s", known.len ? ", " : "", keys->key);
    }
    px_errors_add(errors, "%s:%d: unknown key '%s' %s (known: %s)", file, line,
                  key, where, known.len ? px_buf_cstr(&known) : "none");
    px_buf_destroy(&known);
}

static void
apply_host_key(struct px_conf *conf, const char *file,
               const struct raw_entry *e, struct px_errors *errors)
{
    struct px_conf_host *h = &conf->host;
    long long v;
    int level;

    if (!h->host_file) {
        replace_string(&h->host_file, file);
    }
    /* The table is checked first, and a key it names that no branch below
     * handles ends in the same message, so the table (and the manual page
     * made from it) and this function cannot disagree unnoticed. */
    if (!find_key(px_conf_host_keys, e->key)) {
        unknown_key(errors, file, e->line, e->key, "in [host]",
                    px_conf_host_keys);
    } else if (!strcmp(e->key, "plugin_dir") ||
               !strcmp(e->key, "plugin_path")) {
        if (set_plugin_path(h, e->value)) {
            px_errors_add(errors, "%s:%d: %s: no directory in '%s'", file,
                          e->line, e->key, e->value);
        }
    } else if (!strcmp(e->key, "run_dir")) {
        if (!e->value[0]) {
            px_errors_add(errors, "%s:%d: run_dir: empty", file, e->line);
        } else {
            replace_string(&h->run_dir, e->value);
            h->run_dir_line = e->line;
        }
    } else if (!strcmp(e->key, "pid_file")) {
        /* Empty means "no pid file"; remember that it was set. */
        replace_string(&h->pid_file, e->value);
        h->pid_file_line = e->line;
    } else if (!strcmp(e->key, "ctl_socket")) {
        replace_string(&h->ctl_socket, e->value);
        h->ctl_socket_line = e->line;
    } else if (!strcmp(e->key, "partial_start")) {
        if (px_parse_bool(e->value, &h->partial_start)) {
            px_errors_add(errors,
                          "%s:%d: partial_start: '%s' is not a boolean "
                          "(true/false, yes/no, on/off, 1/0)",
                          file, e->line, e->value);
        }
    } else if (!strcmp(e->key, "log_level")) {
        if (px_parse_log_level(e->value, &level)) {
            px_errors_add(errors,
                          "%s:%d: log_level: '%s' is not one of error, "
                          "warn, info, debug",
                          file, e->line, e->value);
        } else {
            h->log_level = level;
        }
    } else if (!strcmp(e->key, "log_target")) {
        if (!strcmp(e->value, "stderr") || !strcmp(e->value, "syslog")) {
            h->log_syslog = !strcmp(e->value, "syslog");
        } else {
            px_errors_add(errors,
                          "%s:%d: log_target: '%s' is not stderr or syslog",
                          file, e->line, e->value);
        }
    } else if (!strcmp(e->key, "async_queue")) {
        if (px_parse_int(e->value, &v) || v < 16 || v > 1048576) {
            px_errors_add(errors,
                          "%s:%d: async_queue: '%s' is not an integer from "
                          "16 to 1048576",
                          file, e->line, e->value);
        } else {
            h->async_queue = v;
        }
    } else {
        unknown_key(errors, file, e->line, e->key, "in [host]",
                    px_conf_host_keys);
    }
}

static int
add_kv(struct px_conf_instance *inst, const struct raw_entry *e)
{
    struct px_conf_kv *kvs =
        realloc(inst->kvs, (inst->n_kvs + 1) * sizeof *kvs);

    if (!kvs) {
        return ENOMEM;
    }
    inst->kvs = kvs;
    kvs[inst->n_kvs].key = strdup(e->key);
    kvs[inst->n_kvs].value = strdup(e->value);
    kvs[inst->n_kvs].line = e->line;
    if (!kvs[inst->n_kvs].key || !kvs[inst->n_kvs].value) {
        free(kvs[inst->n_kvs].key);
        free(kvs[inst->n_kvs].value);
        return ENOMEM;
    }
    inst->n_kvs++;
    return 0;
}

/* Module and instance names become file names and log prefixes: keep them
 * to characters that are safe in both. */
static int
name_ok(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return 0;
        }
    }
    return n > 0 && n <= 64;
}

/* Turns one file's raw entries into host options and at most one
 * instance. */
static void
interpret(struct px_conf *conf, struct parse_state *st)
{
    struct px_errors *errors = st->errors;
    struct px_conf_instance inst;
    int have_plugin = st->plugin_line != 0, other_line = 0;
    int module_line = st->plugin_line, name_line = st->plugin_line;
    const char *other_section = NULL;
    size_t i, j;

    memset(&inst, 0, sizeof inst);
    inst.enabled = 1;
    inst.log_level = -1;

    /* Duplicate keys in a section are a mistake inih lets through. */
    for (i = 0; i < st->n_entries; i++) {
        for (j = 0; j < i; j++) {
            if (!strcmp(st->entries[i].section, st->entries[j].section) &&
                !strcmp(st->entries[i].key, st->entries[j].key)) {
                px_errors_add(errors,
                              "%s:%d: key '%s' in [%s] already set on line "
                              "%d",
                              st->file, st->entries[i].line,
                              st->entries[i].key, st->entries[i].section,
                              st->entries[j].line);
                break;
            }
        }
    }

    for (i = 0; i < st->n_entries; i++) {
        const struct raw_entry *e = &st->entries[i];

        if (!e->section[0]) {
            px_errors_add(errors, "%s:%d: key '%s' outside any section",
                          st->file, e->line, e->key);
        } else if (!strcmp(e->section, "host")) {
            apply_host_key(conf, st->file, e, errors);
        } else if (!strcmp(e->section, "plugin")) {
            int level;

            if (!find_key(px_conf_plugin_keys, e->key)) {
                unknown_key(errors, st->file, e->line, e->key, "in [plugin]",
                            px_conf_plugin_keys);
            } else if (!strcmp(e->key, "module")) {
                replace_string(&inst.module, e->value);
                module_line = e->line;
            } else if (!strcmp(e->key, "name")) {
                replace_string(&inst.name, e->value);
                name_line = e->line;
            } else if (!strcmp(e->key, "enabled")) {
                inst.enabled_line = e->line;
                if (px_parse_bool(e->value, &inst.enabled)) {
                    px_errors_add(errors,
                                  "%s:%d: enabled: '%s' is not a boolean "
                                  "(true/false, yes/no, on/off, 1/0)",
                                  st->file, e->line, e->value);
                }
            } else if (!strcmp(e->key, "log_level")) {
                if (px_parse_log_level(e->value, &level)) {
                    px_errors_add(errors,
                                  "%s:%d: log_level: '%s' is not one of "
                                  "error, warn, info, debug",
                                  st->file, e->line, e->value);
                } else {
                    inst.log_level = level;
                }
            } else {
                unknown_key(errors, st->file, e->line, e->key, "in [plugin]",
                            px_conf_plugin_keys);
            }
        } else if (!other_section) {
            other_section = e->section;
            other_line = e->line;
        }
    }

    if (!have_plugin) {
        if (other_section) {
            px_errors_add(errors,
                          "%s:%d: section [%s] but no [plugin] section in "
                          "this file",
                          st->file, other_line, other_section);
        }
        goto out;
    }
    if (!inst.module || !inst.module[0]) {
        px_errors_add(errors, "%s:%d: [plugin] has no 'module' key", st->file,
                      st->plugin_line);
        goto out;
    }
    if (inst.module[0] == '/' || !strncmp(inst.module, "./", 2) ||
        !strncmp(inst.module, "../", 3)) {
        /* A path: the module's name is the file's, less ".so".  Relative
         * paths resolve against the configuration directory. */
        const char *base = strrchr(inst.module, '/') + 1;
        size_t n = strlen(base);

        if (n <= 3 || strcmp(base + n - 3, ".so")) {
            px_errors_add(errors,
                          "%s:%d: module '%s': a path must name a .so file",
                          st->file, module_line, inst.module);
            goto out;
        }
        inst.path = inst.module;
        inst.module = strndup(base, n - 3);
        if (!inst.module) {
            px_errors_add(errors, "%s: out of memory", st->file);
            goto out;
        }
    }
    if (!name_ok(inst.module)) {
        px_errors_add(errors,
                      "%s:%d: module '%s' is not a valid module name "
                      "(letters, digits, '_' and '-')",
                      st->file, module_line, inst.module);
        goto out;
    }
    if (!inst.name) {
        replace_string(&inst.name, inst.module);
    } else if (!name_ok(inst.name)) {
        px_errors_add(errors,
                      "%s:%d: name '%s' is not a valid instance name "
                      "(letters, digits, '_' and '-')",
                      st->file, name_line, inst.name);
        goto out;
    }
    for (i = 0; i < st->n_entries; i++) {
        const struct raw_entry *e = &st->entries[i];

        if (!strcmp(e->section, "host") || !strcmp(e->section, "plugin") ||
            !e->section[0]) {
            continue;
        }
        if (strcmp(e->section, inst.module)) {
            /* Reported by px_conf_check_keys, once the module is known to
             * exist: with "module = typo" the one useful message is that
             * there is no such module, not one line per key here. */
            if (!inst.stray_section) {
                replace_string(&inst.stray_section, e->section);
                inst.stray_line = e->line;
            }
            continue;
        }
        add_kv(&inst, e);
    }
    inst.file = strdup(st->file);
    inst.line = st->plugin_line;
    {
        struct px_conf_instance *ni =
            realloc(conf->instances, (conf->n_instances + 1) * sizeof *ni);

        if (ni && inst.file && inst.name) {
            conf->instances = ni;
            ni[conf->n_instances++] = inst;
            return;
        }
        if (ni) {
            conf->instances = ni;
        }
        px_errors_add(errors, "%s: out of memory", st->file);
    }
out:
    instance_clear(&inst);
}

int
px_conf_parse_buffer(struct px_conf *conf, const char *file, const char *text,
                     size_t len, struct px_errors *errors)
{
    struct parse_state st;
    unsigned int before = errors->count;
    size_t i;
    int rc;

    memset(&st, 0, sizeof st);
    st.file = file;
    st.pos = text;
    st.end = text + len;
    st.errors = errors;

    ini_use_stack = false;
    ini_max_line = PX_CONF_MAX_LINE;
    ini_initial_alloc = PX_CONF_MAX_LINE;
    rc = ini_parse_stream(reader, &st, handler, &st);
    if (st.too_long) {
        px_errors_add(errors, "%s:%d: line longer than %d characters", file,
                      st.too_long, PX_CONF_MAX_LINE - 2);
    } else if (st.continuation) {
        px_errors_add(errors,
                      "%s:%d: continuation line (leading whitespace after a "
                      "key): write each value on one line",
                      file, st.continuation);
    } else if (st.bad_nul) {
        px_errors_add(errors, "%s:%d: NUL byte in a text file", file,
                      st.bad_nul);
    } else if (rc > 0) {
        px_errors_add(errors,
                      "%s:%d: syntax error (expected [section], key = value, "
                      "or a ; comment)",
                      file, rc);
    } else if (rc < 0) {
        px_errors_add(errors, "%s: out of memory", file);
    } else {
        interpret(conf, &st);
    }
    for (i = 0; i < st.n_entries; i++) {
        free(st.entries[i].section);
        free(st.entries[i].key);
        free(st.entries[i].value);
    }
    free(st.entries);
    return errors->count > before ? EINVAL : 0;
}

/* Resolves '*path' against the configuration directory in place; an
 * empty value stays empty. */
static void
resolve(const struct px_conf *conf, char **path)
{
    char *s;

    if (!*path || !(*path)[0]) {
        return;
    }
    s = px_path_resolve(conf->dir, *path);
    if (s) {
        free(*path);
        *path = s;
    }
}

/* Returns NAME in the directory of 'file' (or in 'file' itself when 'dir'
 * is non-NULL: then 'file' is a directory), as a string the caller frees. */
static char *
beside(const char *file, const char *dir, const char *name)
{
    const char *slash = dir ? NULL : strrchr(file, '/');
    size_t n = dir ? strlen(file) : slash ? (size_t)(slash - file) : 0;
    size_t len = n + strlen(name) + 2;
    char *s = malloc(len);

    if (s) {
        if (!n && !dir && !slash) {
            snprintf(s, len, "%s", name);
        } else {
            snprintf(s, len, "%.*s/%s", (int)n, file, name);
        }
    }
    return s;
}

int
px_conf_finish(struct px_conf *conf, struct px_errors *errors)
{
    unsigned int before = errors->count;
    size_t i, j;

    for (i = 0; i < conf->n_instances; i++) {
        resolve(conf, &conf->instances[i].path);
        for (j = 0; j < i; j++) {
            if (!strcmp(conf->instances[i].name, conf->instances[j].name)) {
                px_errors_add(errors,
                              "%s:%d: instance name '%s' already used by "
                              "%s:%d (set 'name' in [plugin])",
                              conf->instances[i].file, conf->instances[i].line,
                              conf->instances[i].name, conf->instances[j].file,
                              conf->instances[j].line);
                break;
            }
        }
    }
    for (i = 0; i < conf->host.n_plugin_path; i++) {
        resolve(conf, &conf->host.plugin_path[i]);
    }
    /* Values set in the file resolve against the configuration directory;
     * defaults derive from values already resolved. */
    resolve(conf, &conf->host.run_dir);
    resolve(conf, &conf->host.pid_file);
    resolve(conf, &conf->host.ctl_socket);
    if (!conf->host.pid_file) {
        conf->host.pid_file =
            px_path_resolve(conf->host.run_dir, "plexusd.pid");
    }
    if (!conf->host.ctl_socket && conf->host.pid_file) {
        conf->host.ctl_socket = beside(
            conf->host.pid_file[0] ? conf->host.pid_file : conf->host.run_dir,
            conf->host.pid_file[0] ? NULL : "", "plexusd.ctl");
    }
    /* Empty values mean "none" from here on. */
    if (conf->host.pid_file && !conf->host.pid_file[0]) {
        free(conf->host.pid_file);
        conf->host.pid_file = NULL;
    }
    if (conf->host.ctl_socket && !conf->host.ctl_socket[0]) {
        free(conf->host.ctl_socket);
        conf->host.ctl_socket = NULL;
    }
    if (!conf->host.run_dir || !conf->host.plugin_path ||
        (!conf->host.pid_file && conf->host.pid_file_line == 0)) {
        px_errors_add(errors, "%s: out of memory", conf->dir);
    }
    return errors->count > before ? EINVAL : 0;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every file of 'dir' into a new snapshot, whatever errors some
 * files have (they go to 'errors').  Returns EINVAL only when there is no
 * snapshot at all. */
static int
load_dir(const char *dir, struct px_conf **out, struct px_errors *errors)
{
    struct px_conf *conf;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, i;
    DIR *d;
    int error;

    d = opendir(dir);
    if (!d) {
        px_errors_add(errors, "%s: cannot open configuration directory: %s",
                      dir, strerror(errno));
        return EINVAL;
    }
    error = px_conf_create(dir, &conf);
    if (error) {
        closedir(d);
        px_errors_add(errors, "%s: %s", dir, strerror(error));
        return EINVAL;
    }
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        char **nn;

        if (de->d_name[0] == '.' || len < 5 ||
            strcmp(de->d_name + len - 4, ".ini")) {
            continue;
        }
        nn = realloc(names, (n + 1) * sizeof *nn);
        if (!nn || !(nn[n] = strdup(de->d_name))) {
            names = nn ? nn : names;
            px_errors_add(errors, "%s: out of memory", dir);
            break;
        }
        names = nn;
        n++;
    }
    closedir(d);
    /* Byte-wise order, whatever the locale, so "00-host.ini" comes first. */
    if (n) {
        qsort(names, n, sizeof *names, cmp_names);
    }

    for (i = 0; i < n; i++) {
        char *path = px_path_resolve(dir, names[i]);
        char *text;
        size_t len;

        if (!path) {
            px_errors_add(errors, "%s: out of memory", dir);
            continue;
        }
        error = px_file_read(path, PX_CONF_MAX_FILE, &text, &len);
        if (error) {
            px_errors_add(errors, "%s: cannot read: %s", path,
                          error == EFBIG ? "larger than 1 MiB"
                                         : strerror(error));
        } else {
            px_conf_parse_buffer(conf, path, text, len, errors);
            free(text);
        }
        free(path);
        free(names[i]);
    }
    free(names);
    px_conf_finish(conf, errors);
    *out = conf;
    return 0;
}

int
px_conf_load_dir(const char *dir, struct px_conf **out,
                 struct px_errors *errors)
{
    unsigned int before = errors->count;
    struct px_conf *conf;

    if (load_dir(dir, &conf, errors)) {
        return EINVAL;
    }
    if (errors->count > before) {
        px_conf_destroy(conf);
        return EINVAL;
    }
    *out = conf;
    return 0;
}

int
px_conf_load_dir_tolerant(const char *dir, struct px_conf **out,
                          struct px_errors *errors)
{
    return load_dir(dir, out, errors);
}

const struct px_conf_instance *
px_conf_find(const struct px_conf *conf, const char *name)
{
    size_t i;

    for (i = 0; i < conf->n_instances; i++) {
        if (!strcmp(conf->instances[i].name, name)) {
            return &conf->instances[i];
        }
    }
    return NULL;
}

static const char *
kv_find(const struct px_conf_instance *inst, const char *key, int *line)
{
    size_t i;

    for (i = 0; i < inst->n_kvs; i++) {
        if (!strcmp(inst->kvs[i].key, key)) {
            if (line) {
                *line = inst->kvs[i].line;
            }
            return inst->kvs[i].value;
        }
    }
    return NULL;
}

struct px_conf_instance *
px_conf_instance_clone(const struct px_conf_instance *src)
{
    struct px_conf_instance *c = calloc(1, sizeof *c);
    size_t i;

    if (!c) {
        return NULL;
    }
    *c = *src;
    c->name = strdup(src->name);
    c->module = strdup(src->module);
    c->path = src->path ? strdup(src->path) : NULL;
    c->stray_section = src->stray_section ? strdup(src->stray_section) : NULL;
    c->file = strdup(src->file);
    c->kvs = calloc(src->n_kvs ? src->n_kvs : 1, sizeof *c->kvs);
    c->n_kvs = 0;
    if (!c->name || !c->module || !c->file || !c->kvs ||
        (src->path && !c->path) || (src->stray_section && !c->stray_section)) {
        px_conf_instance_free(c);
        return NULL;
    }
    for (i = 0; i < src->n_kvs; i++) {
        c->kvs[i].key = strdup(src->kvs[i].key);
        c->kvs[i].value = strdup(src->kvs[i].value);
        c->kvs[i].line = src->kvs[i].line;
        c->n_kvs++;
        if (!c->kvs[i].key || !c->kvs[i].value) {
            px_conf_instance_free(c);
            return NULL;
        }
    }
    return c;
}

void
px_conf_instance_free(struct px_conf_instance *inst)
{
    if (inst) {
        instance_clear(inst);
        free(inst);
    }
}

static int
same_keys(const struct px_conf_instance *a, const struct px_conf_instance *b)
{
    size_t i;

    if (a->n_kvs != b->n_kvs) {
        return 0;
    }
    for (i = 0; i < a->n_kvs; i++) {
        const char *v = kv_find(b, a->kvs[i].key, NULL);

        if (!v || strcmp(v, a->kvs[i].value)) {
            return 0;
        }
    }
    return 1;
}

enum px_conf_change
px_conf_compare(const struct px_conf_instance *running,
                const struct px_conf_instance *next)
{
    if (strcmp(running->module, next->module) ||
        strcmp(running->path ? running->path : "",
               next->path ? next->path : "")) {
        return PX_CONF_MODULE;
    }
    if (!same_keys(running, next)) {
        return PX_CONF_KEYS;
    }
    return running->log_level != next->log_level ? PX_CONF_LOG_LEVEL
                                                 : PX_CONF_SAME;
}

static const char *
type_name(enum px_config_type type)
{
    switch (type) {
    case PX_CONFIG_STRING:
        return "a string";
    case PX_CONFIG_INT:
        return "an integer";
    case PX_CONFIG_BOOL:
        return "a boolean (true/false, yes/no, on/off, 1/0)";
    case PX_CONFIG_DOUBLE:
        return "a number";
    case PX_CONFIG_IPV4:
        return "an IPv4 address";
    case PX_CONFIG_IPV6:
        return "an IPv6 address";
    case PX_CONFIG_PREFIX:
        return "an IPv4 or IPv6 prefix (ADDRESS/LENGTH)";
    case PX_CONFIG_MAC:
        return "a MAC address (xx:xx:xx:xx:xx:xx)";
    case PX_CONFIG_PORT:
        return "a port number (0-65535)";
    case PX_CONFIG_DURATION:
        return "a duration (seconds, or a number with ms, s, m or h)";
    case PX_CONFIG_ENUM_LIST:
        return "a comma-separated list";
    default:
        return "of an unknown type";
    }
}

enum px_config_type
px_conf_getter_type(enum px_config_type type)
{
    switch (type) {
    case PX_CONFIG_IPV4:
    case PX_CONFIG_IPV6:
    case PX_CONFIG_PREFIX:
    case PX_CONFIG_MAC:
    case PX_CONFIG_ENUM_LIST:
        return PX_CONFIG_STRING;
    case PX_CONFIG_PORT:
        return PX_CONFIG_INT;
    case PX_CONFIG_DURATION:
        return PX_CONFIG_DOUBLE;
    default:
        return type;
    }
}

/* Nonzero if the 'len' bytes at 'value' are one of 'choices' ("a|b|c"). */
static int
is_choice(const char *choices, const char *value, size_t len)
{
    const char *p = choices;

    for (;;) {
        size_t n = strcspn(p, "|");

        if (n == len && !strncmp(p, value, len)) {
            return 1;
        }
        if (!p[n]) {
            return 0;
        }
        p += n + 1;
    }
}

/* "ADDRESS/LENGTH" or a bare address, IPv4 or IPv6. */
static int
parse_prefix(const char *value)
{
    const char *slash = strchr(value, '/');
    size_t alen = slash ? (size_t)(slash - value) : strlen(value);
    unsigned char buf[16];
    char addr[INET6_ADDRSTRLEN + 1];
    long long len = -1;
    int max;

    if (alen >= sizeof addr) {
        return EINVAL;
    }
    memcpy(addr, value, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET, addr, buf) == 1) {
        max = 32;
    } else if (inet_pton(AF_INET6, addr, buf) == 1) {
        max = 128;
    } else {
        return EINVAL;
    }
    if (slash && (px_parse_int(slash + 1, &len) || len < 0 || len > max ||
                  !isdigit((unsigned char)slash[1]))) {
        return EINVAL;
    }
    return 0;
}

/* A number of seconds, or a number followed by ms, s, m or h. */
static int
parse_duration(const char *value, double *out)
{
    static const struct {
        const char *unit;
        double scale;
    } units[] = {{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
    size_t n = strlen(value), u, k;
    char num[64];

    for (u = 0; u < sizeof units / sizeof units[0]; u++) {
        k = strlen(units[u].unit);
        if (n > k && !strcmp(value + n - k, units[u].unit) &&
            isdigit((unsigned char)value[n - k - 1])) {
            break;
        }
    }
    k = u < sizeof units / sizeof units[0] ? strlen(units[u].unit) : 0;
    if (n - k >= sizeof num) {
        return EINVAL;
    }
    memcpy(num, value, n - k);
    num[n - k] = '\0';
    if (px_parse_double(num, out) || *out < 0) {
        return EINVAL;
    }
    *out *= k ? units[u].scale : 1;
    return 0;
}

/* Checks the text types, which the plugin reads as strings. */
static int
check_text(const struct px_config_key *spec, const char *value, char *why,
           size_t why_size)
{
    unsigned char buf[16];
    struct ether_addr ea;
    const char *p;

    switch (spec->type) {
    case PX_CONFIG_IPV4:
        if (inet_pton(AF_INET, value, buf) == 1) {
            return 0;
        }
        break;
    case PX_CONFIG_IPV6:
        if (inet_pton(AF_INET6, value, buf) == 1) {
            return 0;
        }
        break;
    case PX_CONFIG_PREFIX:
        if (!parse_prefix(value)) {
            return 0;
        }
        break;
    case PX_CONFIG_MAC:
        /* ether_aton_r also takes single-digit groups; insist on the
         * 17-character form people write and read. */
        if (strlen(value) == 17 && ether_aton_r(value, &ea)) {
            return 0;
        }
        break;
    case PX_CONFIG_ENUM_LIST:
        for (p = value; *p;) {
            size_t n = strcspn(p, ","), a = 0, b = n;

            while (a < b && isspace((unsigned char)p[a])) {
                a++;
            }
            while (b > a && isspace((unsigned char)p[b - 1])) {
                b--;
            }
            if (!spec->choices || !is_choice(spec->choices, p + a, b - a)) {
                snprintf(why, why_size, "'%.*s' is not one of %s",
                         (int)(b - a), p + a,
                         spec->choices ? spec->choices : "(none)");
                return EINVAL;
            }
            p += n + (p[n] == ',');
        }
        return 0;
    default:
        return 0;
    }
    snprintf(why, why_size, "'%s' is not %s", value, type_name(spec->type));
    return EINVAL;
}

int
px_conf_convert(const struct px_config_key *spec, const char *value,
                long long *i, double *d, int *b, char *why, size_t why_size)
{
    int ranged = spec->min != 0 || spec->max != 0;
    double v;

    switch (spec->type) {
    case PX_CONFIG_STRING:
        if (spec->choices && !is_choice(spec->choices, value, strlen(value))) {
            snprintf(why, why_size, "'%s' is not one of %s", value,
                     spec->choices);
            return EINVAL;
        }
        return 0;
    case PX_CONFIG_IPV4:
    case PX_CONFIG_IPV6:
    case PX_CONFIG_PREFIX:
    case PX_CONFIG_MAC:
    case PX_CONFIG_ENUM_LIST:
        return check_text(spec, value, why, why_size);
    case PX_CONFIG_PORT:
        if (px_parse_int(value, i) || *i < 0 || *i > 65535) {
            snprintf(why, why_size, "'%s' is not %s", value,
                     type_name(spec->type));
            return EINVAL;
        }
        v = (double)*i;
        break;
    case PX_CONFIG_DURATION:
        if (parse_duration(value, d)) {
            snprintf(why, why_size, "'%s' is not %s", value,
                     type_name(spec->type));
            return EINVAL;
        }
        v = *d;
        break;
    case PX_CONFIG_BOOL:
        if (px_parse_bool(value, b)) {
            snprintf(why, why_size, "'%s' is not %s", value,
                     type_name(spec->type));
            return EINVAL;
        }
        return 0;
    case PX_CONFIG_INT:
        if (px_parse_int(value, i)) {
            snprintf(why, why_size, "'%s' is not %s", value,
                     type_name(spec->type));
            return EINVAL;
        }
        v = (double)*i;
        break;
    case PX_CONFIG_DOUBLE:
        if (px_parse_double(value, d)) {
            snprintf(why, why_size, "'%s' is not %s", value,
                     type_name(spec->type));
            return EINVAL;
        }
        v = *d;
        break;
    default:
        snprintf(why, why_size, "the plugin declares an unknown type %d",
                 (int)spec->type);
        return EINVAL;
    }
    if (ranged && (v < spec->min || v > spec->max)) {
        snprintf(why, why_size, "%s is out of range [%g, %g]", value,
                 spec->min, spec->max);
        return ERANGE;
    }
    return 0;
}

int
px_conf_lookup(const struct px_conf_instance *inst,
               const struct px_config_key *keys, const char *key,
               const struct px_config_key **spec, const char **value,
               int *line)
{
    const struct px_config_key *k = find_key(keys, key);
    const char *v;

    if (!k) {
        return ENOENT;
    }
    v = kv_find(inst, key, line);
    if (!v) {
        v = k->default_value ? k->default_value : "";
        *line = 0;
    }
    *spec = k;
    *value = v;
    return 0;
}

int
px_conf_check_keys(const struct px_conf_instance *inst,
                   const struct px_config_key *keys, struct px_errors *errors)
{
    unsigned int before = errors->count;
    const struct px_config_key *k;
    size_t i;

    if (inst->stray_section) {
        px_errors_add(errors,
                      "%s:%d: section [%s] in a file for module '%s' (its "
                      "own section is [%s])",
                      inst->file, inst->stray_line, inst->stray_section,
                      inst->module, inst->module);
    }
    for (i = 0; i < inst->n_kvs; i++) {
        const struct px_conf_kv *kv = &inst->kvs[i];

        k = find_key(keys, kv->key);
        if (!k) {
            char where[128];

            snprintf(where, sizeof where, "for module '%s'", inst->module);
            unknown_key(errors, inst->file, kv->line, kv->key, where, keys);
            continue;
        }
        {
            char why[256];
            long long iv;
            double dv;
            int bv;

            if (px_conf_convert(k, kv->value, &iv, &dv, &bv, why,
                                sizeof why)) {
                px_errors_add(errors, "%s:%d: %s: %s", inst->file, kv->line,
                              kv->key, why);
            }
        }
    }
    return errors->count > before ? EINVAL : 0;
}

int
px_conf_check_schema(const struct px_config_key *keys, const char *module,
                     struct px_errors *errors)
{
    unsigned int before = errors->count;
    const struct px_config_key *k;

    for (k = keys; k && k->key; k++) {
        char why[256];
        long long iv;
        double dv;
        int bv;

        if (px_conf_convert(k, k->default_value ? k->default_value : "", &iv,
                            &dv, &bv, why, sizeof why)) {
            px_errors_add(errors,
                          "module '%s': key '%s': its declared default is "
                          "invalid: %s (a bug in the plugin)",
                          module, k->key, why);
        }
    }
    return errors->count > before ? EINVAL : 0;
}
