/*
 * The configuration snapshot; see conf.h.  inih does the INI syntax; this
 * file counts lines itself (its reader hands inih one line at a time) so that
 * every message names the line, and turns sections into host options and
 * plugin instances.
 */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest INI line we accept; inih's default buffer is this size. */
#define PX_CONF_MAX_LINE INI_MAX_LINE
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

int
px_conf_create(const char *dir, struct px_conf **out)
{
    struct px_conf *conf = calloc(1, sizeof *conf);

    if (!conf) {
        return ENOMEM;
    }
    conf->dir = strdup(dir);
    conf->host.plugin_dir = strdup("plugins");
    conf->host.run_dir = strdup("/tmp");
    conf->host.log_level = PX_LOG_INFO;
    conf->host.async_queue = 4096;
    if (!conf->dir || !conf->host.plugin_dir || !conf->host.run_dir) {
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
    free(conf->host.plugin_dir);
    free(conf->host.run_dir);
    free(conf->host.pid_file);
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

static void
apply_host_key(struct px_conf *conf, const char *file,
               const struct raw_entry *e, struct px_errors *errors)
{
    struct px_conf_host *h = &conf->host;
    long long v;
    int level;

    if (!strcmp(e->key, "plugin_dir")) {
        replace_string(&h->plugin_dir, e->value);
    } else if (!strcmp(e->key, "run_dir")) {
        replace_string(&h->run_dir, e->value);
    } else if (!strcmp(e->key, "pid_file")) {
        if (e->value[0]) {
            replace_string(&h->pid_file, e->value);
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
        px_errors_add(errors,
                      "%s:%d: unknown key '%s' in [host] (known: plugin_dir, "
                      "run_dir, pid_file, log_level, log_target, "
                      "async_queue)",
                      file, e->line, e->key);
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

            if (!strcmp(e->key, "module")) {
                replace_string(&inst.module, e->value);
                module_line = e->line;
            } else if (!strcmp(e->key, "name")) {
                replace_string(&inst.name, e->value);
                name_line = e->line;
            } else if (!strcmp(e->key, "enabled")) {
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
                px_errors_add(errors,
                              "%s:%d: unknown key '%s' in [plugin] (known: "
                              "module, enabled, name, log_level)",
                              st->file, e->line, e->key);
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
            px_errors_add(errors,
                          "%s:%d: section [%s] in a file for module '%s' "
                          "(its own section is [%s])",
                          st->file, e->line, e->section, inst.module,
                          inst.module);
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

int
px_conf_finish(struct px_conf *conf, struct px_errors *errors)
{
    unsigned int before = errors->count;
    size_t i, j;
    char *s;

    for (i = 0; i < conf->n_instances; i++) {
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
    s = px_path_resolve(conf->dir, conf->host.plugin_dir);
    if (s) {
        free(conf->host.plugin_dir);
        conf->host.plugin_dir = s;
    }
    s = px_path_resolve(conf->dir, conf->host.run_dir);
    if (s) {
        free(conf->host.run_dir);
        conf->host.run_dir = s;
    }
    if (conf->host.pid_file) {
        s = px_path_resolve(conf->dir, conf->host.pid_file);
        if (s) {
            free(conf->host.pid_file);
            conf->host.pid_file = s;
        }
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
    c->file = strdup(src->file);
    c->kvs = calloc(src->n_kvs ? src->n_kvs : 1, sizeof *c->kvs);
    c->n_kvs = 0;
    if (!c->name || !c->module || !c->file || !c->kvs) {
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
    if (strcmp(running->module, next->module)) {
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
    default:
        return "of an unknown type";
    }
}

int
px_conf_convert(const struct px_config_key *spec, const char *value,
                long long *i, double *d, int *b, char *why, size_t why_size)
{
    int ranged = spec->min != 0 || spec->max != 0;
    double v;

    switch (spec->type) {
    case PX_CONFIG_STRING:
        if (spec->choices) {
            const char *p = spec->choices;
            size_t len = strlen(value);

            for (;;) {
                size_t n = strcspn(p, "|");

                if (n == len && !strncmp(p, value, len)) {
                    return 0;
                }
                if (!p[n]) {
                    break;
                }
                p += n + 1;
            }
            snprintf(why, why_size, "'%s' is not one of %s", value,
                     spec->choices);
            return EINVAL;
        }
        return 0;
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
    const struct px_config_key *k;

    for (k = keys; k && k->key; k++) {
        if (!strcmp(k->key, key)) {
            const char *v = kv_find(inst, key, line);

            if (!v) {
                v = k->default_value ? k->default_value : "";
                *line = 0;
            }
            *spec = k;
            *value = v;
            return 0;
        }
    }
    return ENOENT;
}

int
px_conf_check_keys(const struct px_conf_instance *inst,
                   const struct px_config_key *keys, struct px_errors *errors)
{
    unsigned int before = errors->count;
    const struct px_config_key *k;
    size_t i;

    for (i = 0; i < inst->n_kvs; i++) {
        const struct px_conf_kv *kv = &inst->kvs[i];

        for (k = keys; k && k->key; k++) {
            if (!strcmp(k->key, kv->key)) {
                break;
            }
        }
        if (!k || !k->key) {
            struct px_str known = {0};

            for (k = keys; k && k->key; k++) {
                px_str_printf(&known, "%s%s", known.len ? ", " : "", k->key);
            }
            px_errors_add(errors,
                          "%s:%d: unknown key '%s' for module '%s' (known: "
                          "%s)",
                          inst->file, kv->line, kv->key, inst->module,
                          known.len ? px_str_get(&known) : "none");
            free(known.buf);
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
