/*
 * The configuration snapshot: everything in conf.d, parsed all-or-nothing.
 *
 * conf.d holds INI files read in byte-wise lexical order.  A [host] section
 * (by convention in 00-host.ini) sets host options; every other file
 * describes one plugin instance with a [plugin] section (module, enabled,
 * name, log_level) and the plugin's own section, named after its module.
 * A snapshot is immutable once built; reload builds a new one and diffs.
 *
 * Validation of a plugin's own keys against its schema lives here too, as
 * pure functions, so that "--check", reload and the typed getters share one
 * implementation.
 */
#ifndef PX_CONF_H
#define PX_CONF_H 1

#include <stddef.h>

#include "plexus/plugin.h"
#include "host_util.h"

struct px_conf_kv {
    char *key;
    char *value;
    int line;
};

struct px_conf_instance {
    char *name; /* Instance name: [plugin] name, else the module. */
    char *module;
    /* With "module = PATH.so": that file, resolved against the config
     * directory; NULL: the module is searched on the plugin path. */
    char *path;
    /* The first section other than [plugin] and the module's own, kept
     * for px_conf_check_keys to report; NULL when none. */
    char *stray_section;
    int stray_line;
    char *file; /* Path of the file, as named to the user. */
    int line;   /* Line of its [plugin] header. */
    int enabled;
    int enabled_line;       /* Of 'enabled =' in [plugin]; 0: none. */
    int log_level;          /* -1: the host's. */
    struct px_conf_kv *kvs; /* The module's own section. */
    size_t n_kvs;
};

struct px_conf_host {
    /* Directories searched in order for plugins ([host] plugin_path, a
     * colon-separated list, or plugin_dir, one directory); each resolved
     * against the config directory. */
    char **plugin_path;
    size_t n_plugin_path;
    char *run_dir;
    /* The daemon's pid file, locked while it runs: RUN_DIR/plexusd.pid
     * unless set; NULL when set empty (no pid file). */
    char *pid_file;
    /* The control socket: beside the pid file (DIR/plexusd.ctl) unless
     * set; NULL when set empty (no control socket). */
    char *ctl_socket;
    int log_level;
    int log_syslog;    /* 0: stderr. */
    int partial_start; /* Start even if some plugins are refused. */
    long long async_queue;
    /* Lines where keys were set, for messages about their values (0:
     * default). */
    int run_dir_line, pid_file_line, ctl_socket_line;
    char *host_file; /* The file that holds [host], or NULL. */
};

struct px_conf {
    char *dir; /* The configuration directory, as given. */
    struct px_conf_host host;
    struct px_conf_instance *instances; /* In file order. */
    size_t n_instances;
};

/* Creates an empty snapshot with host defaults, rooted at 'dir' (used to
 * resolve relative paths).  The caller owns '*out'. */
int px_conf_create(const char *dir, struct px_conf **out);
/* Frees a snapshot.  Accepts NULL. */
void px_conf_destroy(struct px_conf *conf);

/* Parses one INI file's text into 'conf'.  'file' names it in messages.
 * Every problem is added to 'errors' as "file:line: message"; returns EINVAL
 * if there was any.  This is the fuzzing entry point. */
int px_conf_parse_buffer(struct px_conf *conf, const char *file,
                         const char *text, size_t len,
                         struct px_errors *errors);
/* Checks what only the whole directory can tell (duplicate instance names)
 * and resolves paths.  Call after the last px_conf_parse_buffer. */
int px_conf_finish(struct px_conf *conf, struct px_errors *errors);
/* Reads 'dir'/''*.ini' in lexical order into a new snapshot.  On any error
 * returns EINVAL, fills 'errors' and stores nothing. */
int px_conf_load_dir(const char *dir, struct px_conf **out,
                     struct px_errors *errors);

/* Like px_conf_load_dir, but keeps what parsed when some files have errors
 * (which still go to 'errors'): for tools such as plexusctl that need a
 * few settings of a running daemon whose directory an operator may be
 * halfway through editing.  EINVAL only when the directory cannot be
 * read at all. */
int px_conf_load_dir_tolerant(const char *dir, struct px_conf **out,
                              struct px_errors *errors);

const struct px_conf_instance *px_conf_find(const struct px_conf *conf,
                                            const char *name);

/* Sets the 'enabled =' line of instance 'name' in the directory 'dir'
 * (conf_edit.c): the directory is read afresh, so that the line is found
 * in the file as it is now, the line is replaced (or added after the
 * [plugin] header) and the file written to a temporary name and renamed
 * over the old, keeping its mode.  Nothing else in the file changes.
 * Returns 0 with the file ('*file', malloc()ed, the caller frees it) and
 * the line written; or ENOENT (no such instance), EINVAL (the directory
 * does not parse: 'errors' says where) or an errno of the I/O, with
 * 'errors' saying why. */
int px_conf_set_enabled(const char *dir, const char *name, int enabled,
                        char **file, int *line, struct px_errors *errors);
/* Returns a deep copy the caller frees with px_conf_instance_free, or NULL
 * when out of memory. */
struct px_conf_instance *
px_conf_instance_clone(const struct px_conf_instance *src);
/* Frees a copy made by px_conf_instance_clone.  Accepts NULL. */
void px_conf_instance_free(struct px_conf_instance *inst);

/* How a running instance's configuration differs from the next one: the
 * diff that decides what a reload does with it.  Lines and file names do
 * not count; a change of module outranks everything else. */
enum px_conf_change {
    PX_CONF_SAME,      /* Nothing to do. */
    PX_CONF_LOG_LEVEL, /* Only [plugin] log_level differs. */
    PX_CONF_KEYS,      /* The module's own keys differ. */
    PX_CONF_MODULE,    /* Another module: remove, then add. */
};
enum px_conf_change px_conf_compare(const struct px_conf_instance *running,
                                    const struct px_conf_instance *next);

/* Checks 'inst''s own keys against 'keys' (NULL-terminated, may be NULL):
 * unknown keys, values of the wrong type or out of range.  Adds each problem
 * with file and line to 'errors'; returns EINVAL if there was any. */
int px_conf_check_keys(const struct px_conf_instance *inst,
                       const struct px_config_key *keys,
                       struct px_errors *errors);
/* Finds 'key' in the schema and its value in 'inst' (or the schema's
 * default).  Stores the text in '*value' and, when it comes from the file,
 * its line in '*line' (0 for a default).  ENOENT if the schema lacks it. */
int px_conf_lookup(const struct px_conf_instance *inst,
                   const struct px_config_key *keys, const char *key,
                   const struct px_config_key **spec, const char **value,
                   int *line);
/* The type whose getter reads a key of 'type': the text types read as
 * PX_CONFIG_STRING, PORT as INT, DURATION as DOUBLE. */
enum px_config_type px_conf_getter_type(enum px_config_type type);
/* The keys of [host] and of [plugin], as a plugin declares its own: what
 * the parser accepts (it refuses any other) and what plexus.conf.d(5) and
 * "plexusd --keys" list.  Defaults that derive from other keys are NULL
 * and said in the help. */
extern const struct px_config_key px_conf_host_keys[];
extern const struct px_config_key px_conf_plugin_keys[];
/* Checks a plugin's schema itself: every key's declared default must be
 * valid for its own type, range and choices, and every type known.  Adds
 * one message per bad key, naming 'module' and the key (the plugin's bug,
 * not the operator's), to 'errors'; returns EINVAL if there was any. */
int px_conf_check_schema(const struct px_config_key *keys, const char *module,
                         struct px_errors *errors);
/* Parses 'value' as 'spec' says and checks its range.  Integers (INT,
 * PORT) go to '*i', numbers (DOUBLE, DURATION, in seconds) to '*d',
 * booleans to '*b'.  Stores a message in 'why' (at least 128 bytes) on
 * failure. */
int px_conf_convert(const struct px_config_key *spec, const char *value,
                    long long *i, double *d, int *b, char *why,
                    size_t why_size);

#endif /* PX_CONF_H */
