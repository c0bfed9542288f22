/*
 * libFuzzer target for the configuration parser (host/conf.c on top of
 * inih): the code that reads every file an operator drops into conf.d, so it
 * must reject anything malformed with a message, never crash or over-read.
 *
 * Each input is used twice:
 *  - whole, as one file.  libFuzzer hands over a heap buffer of exactly
 *    'size' bytes with no terminating NUL, so ASan reports any read past
 *    'len' by px_conf_parse_buffer;
 *  - split at NUL bytes into up to four files of one snapshot, each copied
 *    into its own exact-size buffer, so that what only a whole directory can
 *    get wrong (two files naming the same instance) is reached too.
 *
 * After px_conf_finish every instance goes through clone, equal, free,
 * lookup and px_conf_check_keys against a small schema with one key of each
 * type, and invariants are checked with abort(), which libFuzzer reports as
 * a crash: every function reports errors exactly when it fails, and in a
 * snapshot without errors (the only kind the host keeps and diffs on
 * reload) an instance equals its clone.  A snapshot with errors may hold an
 * instance with a repeated key, which px_conf_compare does not treat
 * as equal to itself; the host discards such snapshots, so that is not
 * checked.
 *
 * One more invariant catches what no crash shows, configuration that goes
 * missing: inih skips a UTF-8 byte order mark at the start of a file, so an
 * input with and without a BOM in front must give the same snapshot and the
 * same messages.  (An input whose first line would grow too long behind a
 * BOM is not compared.)  Setting FUZZ_CONF_NO_BOM_CHECK in the environment
 * turns this comparison off, to fuzz everything else while a known failure
 * of it is being fixed.
 *
 * Build: make build/fuzz/fuzz_conf
 * Run:   build/fuzz/fuzz_conf -max_total_time=60 -max_len=4096 \
 *            build/fuzz/work-fuzz_conf tests/fuzz/corpus/conf
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "fuzzcheck.h"
#include "conf.h"
#include "host_util.h"
#include "plexus/hash.h"

#define MAX_FILES 4

/* A schema like a real plugin's, with one key of every type and both kinds
 * of range, so that every branch of px_conf_convert can be reached. */
static const struct px_config_key schema[] = {
    {.key = "level",
     .type = PX_CONFIG_STRING,
     .default_value = "info",
     .choices = "error|warn|info|debug"},
    {.key = "file", .type = PX_CONFIG_STRING, .default_value = "plexus.log"},
    {.key = "port",
     .type = PX_CONFIG_INT,
     .default_value = "6653",
     .min = 1,
     .max = 65535},
    {.key = "count", .type = PX_CONFIG_INT, .default_value = "0"},
    {.key = "enabled", .type = PX_CONFIG_BOOL, .default_value = "true"},
    {.key = "ratio",
     .type = PX_CONFIG_DOUBLE,
     .default_value = "0.5",
     .min = 0,
     .max = 1},
    {.key = "nodefault", .type = PX_CONFIG_STRING},
    {.key = "ip", .type = PX_CONFIG_IPV4, .default_value = "10.0.0.1"},
    {.key = "ip6", .type = PX_CONFIG_IPV6, .default_value = "::1"},
    {.key = "net", .type = PX_CONFIG_PREFIX, .default_value = "10.0.0.0/8"},
    {.key = "mac",
     .type = PX_CONFIG_MAC,
     .default_value = "02:00:00:00:00:01"},
    {.key = "every", .type = PX_CONFIG_DURATION, .default_value = "5s"},
    {.key = "tables",
     .type = PX_CONFIG_ENUM_LIST,
     .default_value = "flows",
     .choices = "flows|ports"},
    {.key = NULL},
};

static void
exercise_instance(const struct px_conf *conf,
                  const struct px_conf_instance *inst, int clean)
{
    const struct px_config_key *k;
    struct px_conf_instance *copy;
    struct px_errors errors = {0};
    unsigned int before;
    int error;

    /* The snapshot's invariants: every instance has a name, module and
     * file, and can be found by its name. */
    check(inst->name && inst->module && inst->file);
    check(px_conf_find(conf, inst->name) != NULL);

    copy = px_conf_instance_clone(inst);
    check(copy != NULL);
    check(px_conf_compare(inst, copy) == px_conf_compare(copy, inst));
    check(!clean || px_conf_compare(inst, copy) == PX_CONF_SAME);
    check(!strcmp(copy->name, inst->name) && copy->n_kvs == inst->n_kvs);

    before = errors.count;
    error = px_conf_check_keys(copy, schema, &errors);
    check(error == 0 || error == EINVAL);
    check((error != 0) == (errors.count > before));
    error = px_conf_check_keys(copy, NULL, &errors);
    check((error != 0) == (copy->n_kvs > 0 || copy->stray_section != NULL));

    for (k = schema; k->key; k++) {
        const struct px_config_key *spec;
        const char *value;
        long long i;
        double d;
        int b, line = -1;
        char why[256];

        check(!px_conf_lookup(copy, schema, k->key, &spec, &value, &line));
        check(spec == k && value != NULL && line >= 0);
        px_conf_convert(spec, value, &i, &d, &b, why, sizeof why);
    }
    px_conf_instance_free(copy);
    px_errors_clear(&errors);
}

/* What a parse produced, reduced to numbers that two parses can be
 * compared by. */
struct outcome {
    unsigned int errors;
    size_t n_instances;
    uint64_t digest; /* Of the messages, host options and instances. */
};

static void
mix(uint64_t *h, const void *data, size_t len)
{
    *h = px_hash_bytes(data, len, *h);
}

static void
mix_str(uint64_t *h, const char *s)
{
    mix(h, s ? s : "(null)", s ? strlen(s) + 1 : 7);
}

static uint64_t
digest(const struct px_conf *conf, const struct px_errors *errors)
{
    const struct px_conf_host *host = &conf->host;
    uint64_t h = 0;
    size_t i, j;

    mix_str(&h, px_errors_text(errors));
    mix_str(&h, host->plugin_path[0]);
    mix_str(&h, host->run_dir);
    mix_str(&h, host->pid_file);
    mix_str(&h, host->ctl_socket);
    mix(&h, &host->partial_start, sizeof host->partial_start);
    mix(&h, &host->n_plugin_path, sizeof host->n_plugin_path);
    mix(&h, &host->log_level, sizeof host->log_level);
    mix(&h, &host->log_syslog, sizeof host->log_syslog);
    mix(&h, &host->async_queue, sizeof host->async_queue);
    for (i = 0; i < conf->n_instances; i++) {
        const struct px_conf_instance *inst = &conf->instances[i];

        mix_str(&h, inst->name);
        mix_str(&h, inst->module);
        mix_str(&h, inst->path);
        mix_str(&h, inst->stray_section);
        mix(&h, &inst->line, sizeof inst->line);
        mix(&h, &inst->enabled, sizeof inst->enabled);
        mix(&h, &inst->log_level, sizeof inst->log_level);
        for (j = 0; j < inst->n_kvs; j++) {
            mix_str(&h, inst->kvs[j].key);
            mix_str(&h, inst->kvs[j].value);
            mix(&h, &inst->kvs[j].line, sizeof inst->kvs[j].line);
        }
    }
    return h;
}

static struct outcome
run(const char *const *texts, const size_t *lens, size_t n_files)
{
    struct px_errors errors = {0};
    struct outcome out;
    struct px_conf *conf;
    size_t i;

    check(!px_conf_create("/etc/plexus/conf.d", &conf));
    check(!px_conf_check_schema(schema, "fuzz", &errors));
    for (i = 0; i < n_files; i++) {
        static const char *const names[MAX_FILES] = {
            "00-fuzz.ini", "10-fuzz.ini", "20-fuzz.ini", "30-fuzz.ini"};
        unsigned int before = errors.count;
        int error;

        error =
            px_conf_parse_buffer(conf, n_files == 1 ? "fuzz.ini" : names[i],
                                 texts[i], lens[i], &errors);
        check((error != 0) == (errors.count > before));
    }
    px_conf_finish(conf, &errors);
    check(!errors.count == !errors.text.len);
    check(conf->host.plugin_path[0] && conf->host.run_dir);
    check(conf->host.plugin_path[0][0] == '/' && conf->host.run_dir[0] == '/');

    for (i = 0; i < conf->n_instances; i++) {
        exercise_instance(conf, &conf->instances[i], !errors.count);
    }
    out.errors = errors.count;
    out.n_instances = conf->n_instances;
    out.digest = digest(conf, &errors);
    px_errors_clear(&errors);
    check(errors.count == 0 && !strcmp(px_errors_text(&errors), ""));
    px_conf_destroy(conf);
    return out;
}

/* Parses 'text' again with a UTF-8 BOM added in front, or removed if it
 * has one, and checks that nothing changed.  A second BOM is text, not a
 * BOM (inih skips one), so inputs that start with two are left alone. */
static void
check_bom(const char *text, size_t size, const struct outcome *plain)
{
    static const char bom[3] = {'\xef', '\xbb', '\xbf'};
    static int disabled = -1;
    const char *nl = memchr(text, '\n', size);
    size_t first_line = nl ? (size_t)(nl - text) : size;
    struct outcome other;
    size_t len;
    char *buf;

    if (disabled < 0) {
        disabled = getenv("FUZZ_CONF_NO_BOM_CHECK") != NULL;
    }
    if (disabled || !ini_allow_bom) {
        return;
    }
    if (size >= 6 && !memcmp(text, bom, 3) && !memcmp(text + 3, bom, 3)) {
        return;
    }
    if (size >= 3 && !memcmp(text, bom, 3)) {
        /* inih's line buffer holds the BOM too: a first line that only
         * fits without it legitimately parses differently. */
        if (first_line + 2 > (size_t)ini_max_line) {
            return;
        }
        len = size - 3;
        buf = malloc(len ? len : 1);
        check(buf != NULL);
        if (len) {
            memcpy(buf, text + 3, len);
        }
    } else {
        /* Only where the longer first line still fits inih's buffer. */
        if (first_line + 3 + 2 > (size_t)ini_max_line) {
            return;
        }
        len = size + 3;
        buf = malloc(len);
        check(buf != NULL);
        memcpy(buf, bom, 3);
        if (size) {
            memcpy(buf + 3, text, size);
        }
    }
    other = run((const char *const *)&buf, &len, 1);
    free(buf);
    check(other.errors == plain->errors);
    check(other.n_instances == plain->n_instances);
    check(other.digest == plain->digest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char *copies[MAX_FILES];
    const char *texts[MAX_FILES];
    size_t lens[MAX_FILES];
    struct outcome whole;
    size_t n = 0, start = 0, i;

    whole = run(&text, &size, 1);
    check_bom(text, size, &whole);

    /* Up to MAX_FILES pieces, the last one taking the rest (NULs and
     * all). */
    while (n < MAX_FILES) {
        const char *nul = n + 1 < MAX_FILES && start < size
                              ? memchr(text + start, '\0', size - start)
                              : NULL;
        size_t end = nul ? (size_t)(nul - text) : size;

        lens[n] = end - start;
        copies[n] = malloc(lens[n] ? lens[n] : 1);
        check(copies[n] != NULL);
        if (lens[n]) {
            memcpy(copies[n], text + start, lens[n]);
        }
        texts[n] = copies[n];
        n++;
        if (!nul) {
            break;
        }
        start = end + 1;
    }
    if (n > 1) {
        run(texts, lens, n);
    }
    for (i = 0; i < n; i++) {
        free(copies[i]);
    }
    return 0;
}
