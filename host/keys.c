/*
 * "plexusd --keys" (keys.h): the configuration schemas of the host and of
 * the plugin modules in a set of directories, as JSON.
 */
#include "keys.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "module.h"

/* The name of each type in the JSON, as a configuration author would call
 * it. */
static const char *
type_id(enum px_config_type type)
{
    static const char *const names[] = {
        [PX_CONFIG_STRING] = "string",       [PX_CONFIG_INT] = "int",
        [PX_CONFIG_BOOL] = "bool",           [PX_CONFIG_DOUBLE] = "double",
        [PX_CONFIG_IPV4] = "ipv4",           [PX_CONFIG_IPV6] = "ipv6",
        [PX_CONFIG_PREFIX] = "prefix",       [PX_CONFIG_MAC] = "mac",
        [PX_CONFIG_PORT] = "port",           [PX_CONFIG_DURATION] = "duration",
        [PX_CONFIG_ENUM_LIST] = "enum_list",
    };

    return (size_t)type < sizeof names / sizeof names[0] && names[type]
               ? names[type]
               : "unknown";
}

static json_t *
keys_json(const struct px_config_key *keys)
{
    json_t *a = json_array();

    for (; keys && keys->key; keys++) {
        int ranged = keys->min != 0 || keys->max != 0;

        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s?, s:o, s:o, s:s?, s:s?}", "key",
                         keys->key, "type", type_id(keys->type), "default",
                         keys->default_value, "min",
                         ranged ? json_real(keys->min) : json_null(), "max",
                         ranged ? json_real(keys->max) : json_null(),
                         "choices", keys->choices, "help", keys->help));
    }
    return a;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the module names in 'dir' to 'names' (sorted later). */
static void
scan_dir(const char *dir, char ***names, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        return;
    }
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        char *name = NULL;

        if (e->d_name[0] == '.') {
            continue;
        }
        if (len > 3 && !strcmp(e->d_name + len - 3, ".so")) {
            name = strndup(e->d_name, len - 3);
        } else {
            char path[4096];
            struct stat st;

            snprintf(path, sizeof path, "%s/%s/%s.so", dir, e->d_name,
                     e->d_name);
            if (!stat(path, &st) && S_ISREG(st.st_mode)) {
                name = strdup(e->d_name);
            }
        }
        if (name) {
            char **grown = realloc(*names, (*n + 1) * sizeof *grown);

            if (!grown) {
                free(name);
                break;
            }
            *names = grown;
            (*names)[(*n)++] = name;
        }
    }
    closedir(d);
}

int
px_keys_dump(char *const *dirs, size_t n_dirs, FILE *out)
{
    struct px_errors errors = {0};
    json_t *root, *modules;
    char **names = NULL;
    size_t n = 0, i;
    int error = 0, inited;

    for (i = 0; i < n_dirs; i++) {
        scan_dir(dirs[i], &names, &n);
    }
    qsort(names, n, sizeof *names, compare_names);
    inited = !px_module_init();
    if (!inited) {
        fprintf(stderr, "plexusd: cannot initialise libltdl\n");
        error = EIO;
    }
    modules = json_array();
    for (i = 0; inited && i < n; i++) {
        struct px_module *m;
        char *path;

        if (i && !strcmp(names[i], names[i - 1])) {
            continue; /* Found again further down the path. */
        }
        if (px_module_find(dirs, n_dirs, names[i], NULL, &path, &errors)) {
            continue;
        }
        if (px_module_open(names[i], path, NULL, &m, &errors)) {
            error = ENOEXEC;
            free(path);
            continue;
        }
        json_array_append_new(
            modules, json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", m->name,
                               "file", path, "version", m->version,
                               "description", m->description, "keys",
                               keys_json(m->desc->config_keys)));
        px_module_close(m);
        free(path);
    }
    if (inited) {
        px_module_exit();
    }
    if (errors.count) {
        fprintf(stderr, "plexusd: %s\n", px_errors_text(&errors));
        error = error ? error : ENOEXEC;
    }
    px_errors_clear(&errors);
    root = json_pack("{s:o, s:o, s:o}", "host", keys_json(px_conf_host_keys),
                     "plugin", keys_json(px_conf_plugin_keys), "modules",
                     modules);
    if (!root || json_dumpf(root, out, JSON_INDENT(2)) ||
        fputc('\n', out) < 0) {
        error = error ? error : EIO;
    }
    json_decref(root);
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return error;
}
