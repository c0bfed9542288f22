/*
 * plexusd's command line: run the controller, or validate a configuration
 * directory ("--check", like nginx -t) without running anything.
 */
#include <errno.h>
#include <libgen.h>
#include <getopt.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "keys.h"
#include "log.h"
#include "module.h"

#ifndef PX_DEFAULT_CONF_DIR
#define PX_DEFAULT_CONF_DIR "/etc/plexus/conf.d"
#endif

static void
usage(FILE *f)
{
    fprintf(
        f,
        "Usage: plexusd [-c DIR] [--check]\n"
        "       plexusd [-c DIR] --keys [PLUGIN_DIR...]\n"
        "Plexus OpenFlow controller host: loads the plugins that DIR/*.ini "
        "enable.\n"
        "\n"
        "  -c, --conf DIR   configuration directory (default %s)\n"
        "  -t, --check      validate the configuration (files, plugins, "
        "plugin keys)\n"
        "                   and exit: 0 if valid, 1 with every problem "
        "otherwise\n"
        "  -k, --keys       print every configuration key of the host and of "
        "the\n"
        "                   plugins in PLUGIN_DIRs (default: DIR's "
        "plugin_path) as JSON\n"
        "  -h, --help       show this help and exit\n"
        "  -V, --version    show the version and exit\n"
        "\n"
        "Signals: SIGHUP reloads the configuration and changed plugins;\n"
        "SIGINT and SIGTERM shut down, unloading plugins in reverse "
        "order.\n",
        PX_DEFAULT_CONF_DIR);
}

/* Where a [host] key was set, for messages: "FILE:LINE: KEY" or "[host]
 * KEY (default)". */
static void
where(const struct px_conf *conf, const char *key, int line, char *buf,
      size_t size)
{
    if (line && conf->host.host_file) {
        snprintf(buf, size, "%s:%d: %s", conf->host.host_file, line, key);
    } else {
        snprintf(buf, size, "[host] %s (default)", key);
    }
}

/* Checks that a directory exists and that plexusd may create files in it. */
static void
check_dir(const char *dir, const char *what, const char *at,
          struct px_errors *errors)
{
    struct stat st;

    if (stat(dir, &st)) {
        px_errors_add(errors, "%s: %s %s: %s", at, what, dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        px_errors_add(errors, "%s: %s %s is not a directory", at, what, dir);
    } else if (access(dir, W_OK | X_OK)) {
        px_errors_add(errors, "%s: %s %s is not writable: %s", at, what, dir,
                      strerror(errno));
    }
}

/* What start-up needs of [host] beyond its syntax: the run directory, and
 * the directories of the pid file and the control socket. */
static void
check_host(const struct px_conf *conf, struct px_errors *errors)
{
    const struct px_conf_host *h = &conf->host;
    struct sockaddr_un sun;
    char at[512], *dir;
    struct stat st;

    where(conf, "run_dir", h->run_dir_line, at, sizeof at);
    check_dir(h->run_dir, "directory", at, errors);
    if (!stat(h->run_dir, &st) && S_ISDIR(st.st_mode) &&
        (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        px_errors_add(errors,
                      "%s: %s is writable by every user and not sticky: "
                      "plexusd refuses to keep plugin copies there",
                      at, h->run_dir);
    }
    if (h->pid_file) {
        where(conf, "pid_file", h->pid_file_line, at, sizeof at);
        dir = strdup(h->pid_file);
        if (dir) {
            check_dir(dirname(dir), "directory of", at, errors);
            free(dir);
        }
    }
    if (h->ctl_socket) {
        where(conf, "ctl_socket", h->ctl_socket_line, at, sizeof at);
        if (strlen(h->ctl_socket) >= sizeof sun.sun_path) {
            px_errors_add(errors,
                          "%s: %s is longer than a Unix socket path may be "
                          "(%zu bytes)",
                          at, h->ctl_socket, sizeof sun.sun_path - 1);
        }
        dir = strdup(h->ctl_socket);
        if (dir) {
            check_dir(dirname(dir), "directory of", at, errors);
            free(dir);
        }
    }
}

static void
print_problems(const char *dir, const struct px_errors *errors)
{
    fputs(px_errors_text(errors), stderr);
    fprintf(stderr, "%s: %u problem%s\n", dir, errors->count,
            errors->count == 1 ? "" : "s");
}

/* Validates everything a start would: the files, the directories [host]
 * names, then every enabled plugin's module (loadable, bound, valid
 * descriptor and schema) and its own keys. */
static int
check(const char *dir)
{
    struct px_errors errors = {0};
    struct px_conf *conf;
    size_t i, enabled = 0;
    int rc = 0;

    /* OpenSSL is loaded by plexusd itself, not only by the plugins that use
     * TLS, so that it stays mapped for the life of the process: a TLS
     * session handed from one plugin generation to the next lives in
     * OpenSSL's memory and must outlive the unloading of the generation
     * that made it. */
    OPENSSL_init_ssl(0, NULL);
    if (px_conf_load_dir(dir, &conf, &errors)) {
        print_problems(dir, &errors);
        px_errors_clear(&errors);
        return 1;
    }
    check_host(conf, &errors);
    if (px_module_init()) {
        fprintf(stderr, "plexusd: cannot initialise libltdl\n");
        px_conf_destroy(conf);
        return 1;
    }
    for (i = 0; i < conf->n_instances; i++) {
        const struct px_conf_instance *c = &conf->instances[i];
        struct px_module *m;
        char *path;

        if (!c->enabled) {
            continue;
        }
        enabled++;
        if (px_module_find(conf->host.plugin_path, conf->host.n_plugin_path,
                           c->module, c->path, &path, &errors)) {
            continue;
        }
        if (!px_module_open(c->module, path, NULL, &m, &errors)) {
            px_conf_check_keys(c, m->desc->config_keys, &errors);
            px_module_close(m);
        }
        free(path);
    }
    px_module_exit();
    if (errors.count) {
        print_problems(dir, &errors);
        rc = 1;
    } else {
        printf("%s: configuration OK (%zu plugin instance%s enabled)\n", dir,
               enabled, enabled == 1 ? "" : "s");
    }
    px_errors_clear(&errors);
    px_conf_destroy(conf);
    return rc;
}

/* plexusd --keys: the schemas of the host and of the modules in 'dirs', or
 * in DIR's plugin_path when none is given. */
static int
keys(const char *dir, char *const *dirs, size_t n_dirs)
{
    struct px_errors errors = {0};
    struct px_conf *conf = NULL;
    int error;

    if (!n_dirs) {
        if (px_conf_load_dir(dir, &conf, &errors)) {
            print_problems(dir, &errors);
            px_errors_clear(&errors);
            return 1;
        }
        dirs = conf->host.plugin_path;
        n_dirs = conf->host.n_plugin_path;
    }
    error = px_keys_dump(dirs, n_dirs, stdout);
    px_conf_destroy(conf);
    return error ? 1 : 0;
}

int
main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"conf", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 't'},
        {"keys", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = PX_DEFAULT_CONF_DIR;
    struct px_errors errors = {0};
    struct px_conf *conf;
    struct px_host *host;
    int do_check = 0, do_keys = 0, opt;

    while ((opt = getopt_long(argc, argv, "c:tkhV", options, NULL)) != -1) {
        switch (opt) {
        case 'c':
            dir = optarg;
            break;
        case 't':
            do_check = 1;
            break;
        case 'k':
            do_keys = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("plexusd %s (plugin ABI %d.%d)\n", PX_VERSION, PX_ABI_MAJOR,
                   PX_ABI_MINOR);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (do_keys) {
        return keys(dir, argv + optind, (size_t)(argc - optind));
    }
    if (optind < argc) {
        fprintf(stderr, "plexusd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (do_check) {
        return check(dir);
    }
    if (px_conf_load_dir(dir, &conf, &errors)) {
        print_problems(dir, &errors);
        fprintf(stderr, "plexusd: configuration refused, not starting\n");
        px_errors_clear(&errors);
        return 1;
    }
    if (px_host_create(dir, conf, &host)) {
        fprintf(stderr, "plexusd: start-up failed\n");
        return 1;
    }
    px_host_run(host);
    px_host_destroy(host);
    return 0;
}
