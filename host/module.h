/*
 * Plugin shared objects: finding them, opening them through libltdl,
 * checking their descriptor, and closing them.
 *
 * Every load opens a private copy of the file (under the run directory)
 * rather than the file itself.  glibc and libltdl both return the object
 * they already have for a path they have seen, so loading a rebuilt plugin
 * from its usual path would silently run the old code; and a build that
 * rewrites the file in place would corrupt pages the running copy has
 * mapped.  A fresh path per load avoids both.
 */
#ifndef PX_MODULE_H
#define PX_MODULE_H 1

#include <stddef.h>
#include <stdint.h>

#include "plexus/plugin.h"
#include "host_util.h"

struct px_module {
    char *name;      /* Module name, as configured. */
    char *src_path;  /* The file it was loaded from. */
    char *load_path; /* The path handed to libltdl (a copy, or src). */
    int is_copy;     /* load_path is ours to unlink. */
    uint64_t hash;   /* Of the file's contents, to notice rebuilds. */
    void *handle;    /* lt_dlhandle */
    const struct px_plugin_descriptor *desc;
    char *version; /* Copied: the descriptor's strings live in the
                    * object, which is unmapped on close. */
    char *description;
};

/* Initialises and tears down libltdl; call once per process. */
int px_module_init(void);
void px_module_exit(void);

/* Finds 'module': at 'file' when it is non-NULL (a "module = PATH.so"
 * configuration), else in each of 'dirs' in turn as "module.so" or
 * "module/module.so".  Stores a path the caller frees in '*path'; ENOENT
 * with one message naming every place it looked in 'errors'. */
int px_module_find(char *const *dirs, size_t n_dirs, const char *module,
                   const char *file, char **path, struct px_errors *errors);

/* Reads the file at 'path' and hashes it. */
int px_module_hash_file(const char *path, uint64_t *hash);

/* Checks a descriptor for ABI, size and mandatory fields, and that its name
 * matches 'module'.  Pure; on failure writes the reason to 'why'. */
int px_module_check_descriptor(const struct px_plugin_descriptor *d,
                               const char *module, char *why, size_t why_size);

/* Opens 'module' from 'src_path'.  With 'copy_path' non-NULL the file is
 * first copied there and the copy is opened (and unlinked on close).  On
 * failure adds the exact reason (dlerror's text, the ABI numbers, the
 * missing symbol) to 'errors'.  The caller owns '*out'. */
int px_module_open(const char *module, const char *src_path,
                   const char *copy_path, struct px_module **out,
                   struct px_errors *errors);

/* Closes the object and frees 'm'.  Returns nonzero if the object is
 * still mapped afterwards (something kept it resident).  Accepts NULL. */
int px_module_close(struct px_module *m);

/* Returns nonzero if 'path' appears in this process's memory map. */
int px_module_is_mapped(const char *path);

#endif /* PX_MODULE_H */
