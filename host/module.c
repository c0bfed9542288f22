/* Plugin shared objects; see module.h. */
#include "module.h"

#include <dlfcn.h>
#include <errno.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "plexus/hash.h"

/* A plugin larger than this is refused rather than copied. */
#define PX_MODULE_MAX_SIZE (256 * 1024 * 1024)

int
px_module_init(void)
{
    return lt_dlinit() ? EIO : 0;
}

void
px_module_exit(void)
{
    lt_dlexit();
}

int
px_module_find(char *const *dirs, size_t n_dirs, const char *module,
               const char *file, char **path, struct px_errors *errors)
{
    struct px_buf looked = PX_BUF_INITIALIZER(SIZE_MAX);
    size_t i, k;

    if (file) {
        if (access(file, R_OK)) {
            px_errors_add(errors, "module '%s': cannot read %s: %s", module,
                          file, strerror(errno));
            return ENOENT;
        }
        *path = strdup(file);
        return *path ? 0 : ENOMEM;
    }
    for (i = 0; i < n_dirs; i++) {
        for (k = 0; k < 2; k++) {
            size_t len = strlen(dirs[i]) + 2 * strlen(module) + 16;
            char *p = malloc(len);

            if (!p) {
                px_buf_destroy(&looked);
                return ENOMEM;
            }
            if (k == 0) {
                snprintf(p, len, "%s/%s.so", dirs[i], module);
            } else {
                snprintf(p, len, "%s/%s/%s.so", dirs[i], module, module);
            }
            if (!access(p, R_OK)) {
                px_buf_destroy(&looked);
                *path = p;
                return 0;
            }
            px_buf_printf(&looked, "%s%s", looked.len ? ", " : "", p);
            free(p);
        }
    }
    px_errors_add(errors,
                  "module '%s': no such module on the plugin path (looked "
                  "for %s)",
                  module, px_buf_cstr(&looked));
    px_buf_destroy(&looked);
    return ENOENT;
}

int
px_module_hash_file(const char *path, uint64_t *hash)
{
    char *data;
    size_t len;
    int error = px_file_read(path, PX_MODULE_MAX_SIZE, &data, &len);

    if (!error) {
        *hash = px_hash_bytes(data, len, 0);
        free(data);
    }
    return error;
}

int
px_module_check_descriptor(const struct px_plugin_descriptor *d,
                           const char *module, char *why, size_t why_size)
{
    if (d->abi_major != PX_ABI_MAJOR) {
        snprintf(why, why_size,
                 "built for plugin ABI %u.%u, this host speaks ABI %d.%d "
                 "(major versions must match)",
                 d->abi_major, d->abi_minor, PX_ABI_MAJOR, PX_ABI_MINOR);
        return EPROTO;
    }
    if (d->abi_minor > PX_ABI_MINOR) {
        snprintf(why, why_size,
                 "built for plugin ABI %u.%u, newer than this host's %d.%d",
                 d->abi_major, d->abi_minor, PX_ABI_MAJOR, PX_ABI_MINOR);
        return EPROTO;
    }
    if (d->size < sizeof(struct px_plugin_descriptor)) {
        snprintf(why, why_size,
                 "descriptor size %u is smaller than ABI %d.%d's %zu", d->size,
                 PX_ABI_MAJOR, PX_ABI_MINOR,
                 sizeof(struct px_plugin_descriptor));
        return EPROTO;
    }
    if (!d->name || !d->version || !d->description) {
        snprintf(why, why_size,
                 "descriptor lacks its name, version or description");
        return EINVAL;
    }
    if (strcmp(d->name, module)) {
        snprintf(why, why_size,
                 "descriptor names module '%.64s', configured as '%.64s'",
                 d->name, module);
        return EINVAL;
    }
    if (!d->init) {
        snprintf(why, why_size, "descriptor has no init function");
        return EINVAL;
    }
    return 0;
}

static int
copy_file(const char *src, const char *dst)
{
    char *data;
    size_t len;
    int error = px_file_read(src, PX_MODULE_MAX_SIZE, &data, &len);

    if (!error) {
        error = px_file_write(dst, data, len);
        free(data);
    }
    return error;
}

int
px_module_open(const char *module, const char *src_path, const char *copy_path,
               struct px_module **out, struct px_errors *errors)
{
    const struct px_plugin_descriptor *d;
    struct px_module *m;
    lt_dladvise advise;
    void *bound;
    char why[512];
    int error;

    m = calloc(1, sizeof *m);
    if (!m) {
        return ENOMEM;
    }
    m->name = strdup(module);
    m->src_path = strdup(src_path);
    m->load_path = strdup(copy_path ? copy_path : src_path);
    if (!m->name || !m->src_path || !m->load_path) {
        px_module_close(m);
        return ENOMEM;
    }
    error = px_module_hash_file(src_path, &m->hash);
    if (!error && copy_path) {
        error = copy_file(src_path, copy_path);
        if (error) {
            unlink(copy_path); /* A partial copy is of no use. */
        }
        m->is_copy = !error;
    }
    if (error) {
        px_errors_add(errors, "module '%s': cannot read %s: %s", module,
                      src_path, strerror(error));
        px_module_close(m);
        return error;
    }

    /* Bind every symbol before any of the plugin's code runs.  A plugin
     * linked without -z now (plain "cc -shared") would otherwise be bound
     * lazily, and a function no library provides would kill the whole
     * daemon at its first call instead of refusing this one plugin.
     * libltdl cannot ask for RTLD_NOW, so the dynamic loader maps and
     * relocates the object first; libltdl's open below then finds it
     * already loaded and fully bound.  This also yields the loader's real
     * reason (the missing symbol, a wrong architecture), where libltdl
     * reports only "file not found". */
    bound = dlopen(m->load_path, RTLD_NOW | RTLD_LOCAL);
    if (!bound) {
        const char *why_dl = dlerror();

        px_errors_add(errors, "module '%s' (%s): cannot load: %s", module,
                      src_path, why_dl ? why_dl : "unknown error");
        px_module_close(m);
        return ENOEXEC;
    }
    /* RTLD_LOCAL keeps each plugin's symbols to itself: two plugins (or two
     * generations of one) may define the same names. */
    lt_dladvise_init(&advise);
    lt_dladvise_local(&advise);
    m->handle = lt_dlopenadvise(m->load_path, advise);
    lt_dladvise_destroy(&advise);
    dlclose(bound); /* libltdl's handle keeps the object now. */
    if (!m->handle) {
        const char *why_lt = lt_dlerror();

        px_errors_add(errors, "module '%s' (%s): cannot load: %s", module,
                      src_path, why_lt ? why_lt : "unknown error");
        px_module_close(m);
        return ENOEXEC;
    }
    d = lt_dlsym(m->handle, PX_PLUGIN_SYMBOL);
    if (!d) {
        px_errors_add(errors,
                      "module '%s' (%s): no '%s' symbol: %s (is it a Plexus "
                      "plugin built with PX_PLUGIN_DEFINE?)",
                      module, src_path, PX_PLUGIN_SYMBOL, lt_dlerror());
        px_module_close(m);
        return ENOEXEC;
    }
    error = px_module_check_descriptor(d, module, why, sizeof why);
    if (error) {
        px_errors_add(errors, "module '%s' (%s): %s", module, src_path, why);
        px_module_close(m);
        return error;
    }
    /* A default that does not parse as its own type would fail every
     * instance's init, or worse be read as something else: refuse the
     * plugin at load, naming the key. */
    error = px_conf_check_schema(d->config_keys, module, errors);
    if (error) {
        px_module_close(m);
        return error;
    }
    m->desc = d;
    m->version = strdup(d->version);
    m->description = strdup(d->description);
    if (!m->version || !m->description) {
        px_module_close(m);
        return ENOMEM;
    }
    *out = m;
    return 0;
}

int
px_module_is_mapped(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char line[4096];
    size_t plen = strlen(path);
    int found = 0;

    if (!f) {
        return 0;
    }
    while (!found && fgets(line, sizeof line, f)) {
        char *p = strchr(line, '/');
        size_t len;

        if (!p) {
            continue;
        }
        len = strcspn(p, "\n");
        /* A deleted file shows as "path (deleted)". */
        found = len >= plen && !strncmp(p, path, plen) &&
                (len == plen || p[plen] == ' ');
    }
    fclose(f);
    return found;
}

int
px_module_close(struct px_module *m)
{
    int still = 0;

    if (!m) {
        return 0;
    }
    if (m->handle) {
        lt_dlclose(m->handle);
        still = px_module_is_mapped(m->load_path);
    }
    if (m->is_copy) {
        unlink(m->load_path);
    }
    free(m->name);
    free(m->src_path);
    free(m->load_path);
    free(m->version);
    free(m->description);
    free(m);
    return still;
}
