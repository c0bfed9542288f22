/*
 * plexusctl: the command-line client of a running plexusd, in the spirit of
 * ovs-appctl.  It reads the daemon's configuration directory to find the
 * pid file and the stats plugin's HTTP endpoint, shows the counters of
 * /stats.json as tables, prints /metrics, and drives a reload: SIGHUP, then
 * wait for the daemon to report how it went.
 *
 * The HTTP parsing and the layout helpers are pure and live in ctl_http.c
 * (unit-tested and fuzzed); this file holds the sockets, the JSON (jansson)
 * and the commands.  Everything read from the daemon is treated as
 * untrusted: any member may be missing or of another type, and prints as
 * "-" then.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "ctl_http.h"
#include "plexus/topics/stats.h"
#include "util.h"

#ifndef PX_DEFAULT_CONF_DIR
#define PX_DEFAULT_CONF_DIR "/etc/plexus/conf.d"
#endif
#ifndef PX_VERSION
#define PX_VERSION "unknown"
#endif

/* Exit statuses, documented in usage(). */
enum {
    CTL_EXIT_OK = 0,      /* Success; for reload, "done". */
    CTL_EXIT_OUTCOME = 1, /* Reload partial or refused. */
    CTL_EXIT_USAGE = 2,   /* Usage or configuration error. */
    CTL_EXIT_DOWN = 3,    /* Daemon not running, endpoint unreachable. */
    CTL_EXIT_BAD = 4,     /* Bad response or timeout. */
};

#define CTL_DEFAULT_TIMEOUT 10.0
/* How often reload looks for the outcome. */
#define CTL_POLL_INTERVAL 0.05

struct ctl {
    const char *conf_dir;
    const char *url_arg;      /* -u, or NULL. */
    const char *pid_file_arg; /* -p, or NULL. */
    double deadline;          /* CLOCK_MONOTONIC seconds. */
    double timeout;

    struct px_conf *conf; /* NULL when not read. */
    const char *pid_file; /* -p or [host] pid_file; may be NULL. */
    int stats_in_conf;    /* The configuration enables a stats instance. */

    char host[256]; /* The endpoint. */
    int port;
    char url[300]; /* "http://HOST:PORT", for messages. */
};

/* A fetched resource. */
struct fetch {
    char *raw; /* The whole response; 'resp' points into it. */
    size_t raw_len;
    struct ctl_http_response resp;
};

static void
fetch_clear(struct fetch *f)
{
    ctl_http_response_clear(&f->resp);
    free(f->raw);
    f->raw = NULL;
    f->raw_len = 0;
}

static double
now_monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Milliseconds left before the deadline, at least 1 while any is left, 0
 * once it has passed. */
static int
ms_left(const struct ctl *ctl)
{
    double left = ctl->deadline - now_monotonic();

    if (left <= 0) {
        return 0;
    }
    return left > INT_MAX / 1000 ? INT_MAX : (int)ceil(left * 1000);
}

static void
usage(FILE *f)
{
    fprintf(
        f,
        "Usage: plexusctl [OPTIONS] COMMAND\n"
        "Command-line client of a running plexusd: shows the counters of "
        "its stats\n"
        "plugin and asks it to reload.\n"
        "\n"
        "Commands:\n"
        "  status     daemon, plugins, switches, routers and event table "
        "at a glance\n"
        "  switches   OpenFlow switches with their counters, then their "
        "ports\n"
        "  routers    routers connected to vns_server\n"
        "  plugins    plugin instances: module, version, generation, "
        "reloads\n"
        "  metrics    the Prometheus text of /metrics, as served\n"
        "  reload     send SIGHUP to plexusd, wait for the reload and "
        "print its outcome\n"
        "\n"
        "Options:\n"
        "  -c, --conf DIR         plexusd's configuration directory "
        "(default\n"
        "                         %s): gives the pid file\n"
        "                         and the stats endpoint\n"
        "  -u, --url URL          stats endpoint http://HOST:PORT "
        "(default: the enabled\n"
        "                         stats instance's address and port in "
        "DIR, else\n"
        "                         http://%s:%d)\n"
        "  -p, --pid-file FILE    plexusd's pid file (default: [host] "
        "pid_file in DIR)\n"
        "  -t, --timeout SECONDS  give up after this long (default %g)\n"
        "  -h, --help             show this help and exit\n"
        "  -V, --version          show the version and exit\n"
        "With both -u and -p, DIR is not needed.\n"
        "\n"
        "Exit status:\n"
        "  0  success (reload: done)\n"
        "  1  reload partial, or refused with nothing changed\n"
        "  2  usage or configuration error (no pid file configured, "
        "endpoint of\n"
        "     another daemon, not allowed to signal plexusd)\n"
        "  3  plexusd not running (no pid file, stale pid) or the stats "
        "endpoint\n"
        "     unreachable, also when it goes away during a reload\n"
        "  4  bad response (HTTP status not 200, invalid JSON) or timeout, "
        "also\n"
        "     when no reload outcome appears before the deadline\n",
        PX_DEFAULT_CONF_DIR, PX_STATS_DEFAULT_ADDRESS, PX_STATS_DEFAULT_PORT,
        CTL_DEFAULT_TIMEOUT);
}

/* ------------------------------------------------------------------------
 * Configuration and pid file. */

/* Finds the stats endpoint in 'conf' into 'ctl': the address and port of
 * the first enabled stats instance, else those of the first disabled one
 * (the configuration may disable a stats plugin that still runs until the
 * next reload), else the defaults.  Returns 0, or EINVAL with a message
 * printed for a bad port. */
static int
endpoint_from_conf(struct ctl *ctl, const struct px_conf *conf)
{
    const struct px_conf_instance *found = NULL;
    const char *address = PX_STATS_DEFAULT_ADDRESS;
    long long port = PX_STATS_DEFAULT_PORT;
    size_t i;

    for (i = 0; i < conf->n_instances; i++) {
        const struct px_conf_instance *inst = &conf->instances[i];

        if (!strcmp(inst->module, "stats") &&
            (!found || (inst->enabled && !found->enabled))) {
            found = inst;
        }
    }
    ctl->stats_in_conf = found && found->enabled;
    for (i = 0; found && i < found->n_kvs; i++) {
        const struct px_conf_kv *kv = &found->kvs[i];

        if (!strcmp(kv->key, "address") && kv->value[0]) {
            address = kv->value;
        } else if (!strcmp(kv->key, "port") &&
                   (px_parse_int(kv->value, &port) || port < 1 ||
                    port > 65535)) {
            fprintf(stderr,
                    "plexusctl: %s:%d: port '%s' of stats instance '%s' is "
                    "not a port number\n",
                    found->file, kv->line, kv->value, found->name);
            return EINVAL;
        }
    }
    /* A wildcard listen address is reached through loopback. */
    if (!strcmp(address, "0.0.0.0") || !strcmp(address, "*")) {
        address = "127.0.0.1";
    } else if (!strcmp(address, "::") || !strcmp(address, "[::]")) {
        address = "::1";
    }
    if (strlen(address) >= sizeof ctl->host) {
        fprintf(stderr, "plexusctl: stats address '%.40s...' is too long\n",
                address);
        return EINVAL;
    }
    snprintf(ctl->host, sizeof ctl->host, "%s", address);
    ctl->port = (int)port;
    return 0;
}

static void
format_url(struct ctl *ctl)
{
    int v6 = strchr(ctl->host, ':') != NULL;

    snprintf(ctl->url, sizeof ctl->url, "http://%s%s%s:%d", v6 ? "[" : "",
             ctl->host, v6 ? "]" : "", ctl->port);
}

/* Reads the configuration and works out the endpoint and pid file.
 * 'need_pid' says whether the command needs the pid file. */
static int
setup(struct ctl *ctl, int need_pid)
{
    struct px_errors errors = {0};
    int need_conf = !ctl->url_arg || (need_pid && !ctl->pid_file_arg);
    char why[256];

    /* Tolerant: an operator runs "plexusctl reload" right after editing,
     * and a mistake in one file must not hide the pid file and endpoint
     * the others name; plexusd itself will refuse that reload and say
     * why. */
    if (px_conf_load_dir_tolerant(ctl->conf_dir, &ctl->conf, &errors)) {
        ctl->conf = NULL;
        if (need_conf) {
            fputs(px_errors_text(&errors), stderr);
            fprintf(stderr,
                    "plexusctl: cannot read the configuration in %s (-c DIR "
                    "names another; -u URL%s work without it)\n",
                    ctl->conf_dir, need_pid ? " and -p FILE" : "");
            px_errors_clear(&errors);
            return CTL_EXIT_USAGE;
        }
        /* -u and -p say everything the configuration would. */
        px_errors_clear(&errors);
    } else if (errors.count) {
        fprintf(stderr,
                "plexusctl: note: %s has %u error%s (plexusd refuses to "
                "reload it until fixed); using the settings that parse\n",
                ctl->conf_dir, errors.count, errors.count == 1 ? "" : "s");
        px_errors_clear(&errors);
    }
    if (ctl->url_arg) {
        if (ctl_http_parse_url(ctl->url_arg, PX_STATS_DEFAULT_PORT, ctl->host,
                               sizeof ctl->host, &ctl->port, why,
                               sizeof why)) {
            fprintf(stderr, "plexusctl: -u %s\n", why);
            return CTL_EXIT_USAGE;
        }
        ctl->stats_in_conf = 1;
    } else if (endpoint_from_conf(ctl, ctl->conf)) {
        return CTL_EXIT_USAGE;
    }
    format_url(ctl);
    ctl->pid_file = ctl->pid_file_arg ? ctl->pid_file_arg
                    : ctl->conf       ? ctl->conf->host.pid_file
                                      : NULL;
    return 0;
}

enum pid_state {
    PID_ALIVE,
    PID_NO_FILE,   /* The file does not exist. */
    PID_BAD_FILE,  /* Unreadable or not a pid. */
    PID_STALE,     /* No such process. */
    PID_FORBIDDEN, /* Alive, but not ours to signal. */
};

/* Reads the pid file and checks the process.  Writes what went wrong to
 * 'why' (the message's parenthesis). */
static enum pid_state
read_pid(const char *path, pid_t *pid, char *why, size_t why_size)
{
    char *data, *end;
    size_t len;
    long v;
    int error;

    error = px_file_read(path, 64, &data, &len);
    if (error == ENOENT) {
        snprintf(why, why_size, "no pid file %s", path);
        return PID_NO_FILE;
    } else if (error) {
        snprintf(why, why_size, "cannot read %s: %s", path, strerror(error));
        return PID_BAD_FILE;
    }
    errno = 0;
    v = strtol(data, &end, 10);
    while (end != data && (*end == '\n' || *end == ' ' || *end == '\r')) {
        end++;
    }
    if (end == data || *end || errno || v <= 0 || v > INT_MAX) {
        snprintf(why, why_size, "%s holds no pid", path);
        free(data);
        return PID_BAD_FILE;
    }
    free(data);
    *pid = (pid_t)v;
    if (kill(*pid, 0) < 0) {
        if (errno == EPERM) {
            snprintf(why, why_size,
                     "process %ld from %s belongs to another "
                     "user",
                     v, path);
            return PID_FORBIDDEN;
        }
        snprintf(why, why_size, "no process %ld from %s", v, path);
        return PID_STALE;
    }
    return PID_ALIVE;
}

/* Explains why the endpoint could not be reached: the daemon is down, or it
 * runs without a stats plugin.  Returns the exit status. */
static int
report_unreachable(const struct ctl *ctl, const char *why)
{
    if (ctl->pid_file) {
        char pwhy[PATH_MAX + 64];
        pid_t pid;
        enum pid_state s = read_pid(ctl->pid_file, &pid, pwhy, sizeof pwhy);

        if (s == PID_NO_FILE || s == PID_STALE) {
            fprintf(stderr, "plexusctl: plexusd is not running (%s)\n", pwhy);
            return CTL_EXIT_DOWN;
        }
    }
    fprintf(stderr,
            "plexusctl: cannot reach the stats endpoint %s (%s): is the "
            "stats plugin enabled?\n",
            ctl->url, why);
    if (!ctl->stats_in_conf) {
        fprintf(stderr,
                "plexusctl: %s enables no instance of module 'stats'; "
                "enable one and reload, or give -u URL\n",
                ctl->conf_dir);
    }
    return CTL_EXIT_DOWN;
}

/* ------------------------------------------------------------------------
 * HTTP over a socket, with the deadline. */

/* Waits for 'events' on 'fd' until the deadline.  Returns 0 or
 * ETIMEDOUT. */
static int
wait_fd(const struct ctl *ctl, int fd, short events)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int ms = ms_left(ctl);
        int n;

        if (!ms) {
            return ETIMEDOUT;
        }
        n = poll(&pfd, 1, ms);
        if (n > 0) {
            return 0;
        }
        if (n < 0 && errno != EINTR) {
            return errno;
        }
    }
}

/* Connects to the endpoint.  Returns a socket, or -1 with the errno of the
 * last address tried in '*error'. */
static int
connect_endpoint(const struct ctl *ctl, int *error)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res, *ai;
    char port[16];
    int rc;

    snprintf(port, sizeof port, "%d", ctl->port);
    rc = getaddrinfo(ctl->host, port, &hints, &res);
    if (rc) {
        *error = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
        return -1;
    }
    *error = ECONNREFUSED;
    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family,
                        ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
        socklen_t len = sizeof *error;

        if (fd < 0) {
            *error = errno;
            continue;
        }
        if (!connect(fd, ai->ai_addr, ai->ai_addrlen)) {
            freeaddrinfo(res);
            return fd;
        }
        *error = errno;
        if (*error == EINPROGRESS) {
            *error = wait_fd(ctl, fd, POLLOUT);
            if (!*error &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, error, &len) < 0) {
                *error = errno;
            }
            if (!*error) {
                freeaddrinfo(res);
                return fd;
            }
        }
        close(fd);
        if (*error == ETIMEDOUT) {
            break;
        }
    }
    freeaddrinfo(res);
    return -1;
}

static int
send_all(const struct ctl *ctl, int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            int error = wait_fd(ctl, fd, POLLOUT);

            if (error) {
                return error;
            }
        } else {
            return n < 0 ? errno : EPIPE;
        }
    }
    return 0;
}

/* Reads until EOF, at most CTL_HTTP_MAX_RESPONSE bytes. */
static int
recv_all(const struct ctl *ctl, int fd, char **out, size_t *out_len)
{
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);

    if (!buf) {
        return ENOMEM;
    }
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *bigger;

            if (cap >= CTL_HTTP_MAX_RESPONSE + 1) {
                free(buf);
                return EFBIG;
            }
            cap = cap * 2 > CTL_HTTP_MAX_RESPONSE + 1
                      ? CTL_HTTP_MAX_RESPONSE + 1
                      : cap * 2;
            bigger = realloc(buf, cap);
            if (!bigger) {
                free(buf);
                return ENOMEM;
            }
            buf = bigger;
        }
        n = recv(fd, buf + len, cap - len, 0);
        if (n > 0) {
            len += (size_t)n;
        } else if (!n) {
            break;
        } else if (errno == EAGAIN || errno == EINTR) {
            int error = wait_fd(ctl, fd, POLLIN);

            if (error) {
                free(buf);
                return error;
            }
        } else {
            int error = errno;

            free(buf);
            return error;
        }
    }
    *out = buf;
    *out_len = len;
    return 0;
}

/* GETs 'path'.  On failure returns an errno and a message in 'why'; sets
 * '*unreachable' when no connection could be made, since that is a
 * different story (the daemon or its stats plugin is not there) from a bad
 * answer. */
static int
http_get(const struct ctl *ctl, const char *path, struct fetch *f,
         int *unreachable, char *why, size_t why_size)
{
    char request[1024];
    size_t len;
    int error, fd;

    memset(f, 0, sizeof *f);
    *unreachable = 0;
    if (ctl_http_format_request(path, ctl->host, ctl->port,
                                "plexusctl/" PX_VERSION, request,
                                sizeof request, &len)) {
        snprintf(why, why_size, "cannot build a request for %s", path);
        return EINVAL;
    }
    fd = connect_endpoint(ctl, &error);
    if (fd < 0) {
        *unreachable = 1;
        snprintf(why, why_size, "%s",
                 error == ETIMEDOUT      ? "connection timed out"
                 : error == ECONNREFUSED ? "connection refused"
                                         : strerror(error));
        return error;
    }
    error = send_all(ctl, fd, request, len);
    if (!error) {
        error = recv_all(ctl, fd, &f->raw, &f->raw_len);
    }
    close(fd);
    if (error) {
        snprintf(why, why_size, "GET %s from %s: %s", path, ctl->url,
                 error == ETIMEDOUT ? "no complete answer before the "
                                      "deadline"
                 : error == EFBIG   ? "response larger than 64 MiB"
                                    : strerror(error));
        return error;
    }
    {
        char pwhy[256];

        error = ctl_http_parse_response(f->raw, f->raw_len, &f->resp, pwhy,
                                        sizeof pwhy);
        if (error) {
            snprintf(why, why_size, "GET %s from %s: bad HTTP response: %s",
                     path, ctl->url, pwhy);
            fetch_clear(f);
            return error;
        }
    }
    if (f->resp.status != 200) {
        snprintf(why, why_size, "GET %s from %s: HTTP %d %s", path, ctl->url,
                 f->resp.status, f->resp.reason);
        fetch_clear(f);
        return EPROTO;
    }
    return 0;
}

/* GETs /stats.json and parses it.  Returns the root object, or NULL with
 * the exit status in '*exit_code' and a message printed, unless 'quiet' (for
 * polling), when the message is left in 'why'. */
static json_t *
get_stats(const struct ctl *ctl, int quiet, int *exit_code, int *unreachable,
          char *why, size_t why_size)
{
    struct fetch f;
    json_error_t jerr;
    json_t *root;

    if (http_get(ctl, "/stats.json", &f, unreachable, why, why_size)) {
        if (*unreachable) {
            *exit_code = quiet ? CTL_EXIT_DOWN : report_unreachable(ctl, why);
        } else {
            *exit_code = CTL_EXIT_BAD;
            if (!quiet) {
                fprintf(stderr, "plexusctl: %s\n", why);
            }
        }
        return NULL;
    }
    /* Integers as reals: a counter beyond 2^63 is still a number. */
    root = json_loadb(f.resp.body, f.resp.body_len, JSON_DECODE_INT_AS_REAL,
                      &jerr);
    fetch_clear(&f);
    if (!root || !json_is_object(root)) {
        if (root) {
            snprintf(why, why_size, "%s/stats.json is not a JSON object",
                     ctl->url);
        } else {
            snprintf(why, why_size,
                     "%s/stats.json: invalid JSON at line %d column %d: %s",
                     ctl->url, jerr.line, jerr.column, jerr.text);
        }
        json_decref(root);
        for (char *c = why; *c; c++) {
            /* jansson quotes the offending bytes. */
            *c = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
        }
        *exit_code = CTL_EXIT_BAD;
        if (!quiet) {
            fprintf(stderr, "plexusctl: %s\n", why);
        }
        return NULL;
    }
    return root;
}

/* ------------------------------------------------------------------------
 * Reading /stats.json: every member optional, any type tolerated. */

/* The array of entities of 'kind', or NULL. */
static json_t *
entities(json_t *root, const char *kind)
{
    json_t *all = json_object_get(root, "entities");
    json_t *list = json_is_object(all) ? json_object_get(all, kind) : NULL;

    return json_is_array(list) ? list : NULL;
}

/* The first entity of 'kind' that is an object, or NULL (for the keyless
 * kinds: host, event_table...). */
static json_t *
first_entity(json_t *root, const char *kind)
{
    json_t *list = entities(root, kind);
    json_t *e = list ? json_array_get(list, 0) : NULL;

    return json_is_object(e) ? e : NULL;
}

/* A number member; a labelled one (an object of numbers) sums up. */
static int
get_number(json_t *obj, const char *name, double *out)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;

    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_object(v)) {
        const char *label;
        json_t *item;
        int found = 0;

        *out = 0;
        json_object_foreach(v, label, item)
        {
            if (json_is_number(item)) {
                *out += json_number_value(item);
                found = 1;
            }
        }
        return found ? 0 : ENOENT;
    }
    return ENOENT;
}

/* The member as text: a string as it is, a number formatted, else NULL.
 * 'buf' holds a formatted number. */
static const char *
get_text(json_t *obj, const char *name, char *buf, size_t size)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;

    if (json_is_string(v)) {
        return json_string_value(v);
    }
    if (json_is_number(v)) {
        return ctl_http_format_number(json_number_value(v), buf, size);
    }
    return NULL;
}

/* "reason=n reason=n" for the non-zero members of a labelled counter. */
static void
format_breakdown(json_t *obj, const char *name, struct px_str *s)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;
    const char *label;
    json_t *item;

    if (!json_is_object(v)) {
        return;
    }
    json_object_foreach(v, label, item)
    {
        char num[64];

        if (json_is_number(item) && json_number_value(item) != 0) {
            px_str_printf(s, "%s%s=%s", s->len ? " " : "", label,
                          ctl_http_format_number(json_number_value(item), num,
                                                 sizeof num));
        }
    }
}

static void
set_text(struct ctl_http_table *t, size_t col, json_t *obj, const char *name)
{
    char buf[64];

    ctl_http_table_set(t, col, get_text(obj, name, buf, sizeof buf));
}

static void
set_number(struct ctl_http_table *t, size_t col, json_t *obj, const char *name)
{
    char buf[64];
    double v;

    if (!get_number(obj, name, &v)) {
        ctl_http_table_set(t, col, ctl_http_format_number(v, buf, sizeof buf));
    }
}

/* The age of the epoch time in member 'name', at 'now'. */
static void
set_age(struct ctl_http_table *t, size_t col, json_t *obj, const char *name,
        double now)
{
    char buf[64];
    double since;

    if (!get_number(obj, name, &since) && since > 0) {
        ctl_http_table_set(t, col,
                           ctl_http_format_age(now - since, buf, sizeof buf));
    }
}

/* When the figures were taken: the daemon's clock, else ours. */
static double
collected_at(json_t *root)
{
    json_t *v = json_object_get(root, "collected_at");

    return json_is_number(v) ? json_number_value(v) : (double)time(NULL);
}

/* Prints a finished table, or 'empty' when it has no rows. */
static int
print_table(struct ctl_http_table *t, const char *empty, const char *indent)
{
    int error = 0;

    if (!ctl_http_table_n_rows(t)) {
        printf("%s%s\n", indent, empty);
    } else {
        error = ctl_http_table_print(t, stdout, indent);
        if (error) {
            fprintf(stderr, "plexusctl: %s\n", strerror(error));
        }
    }
    ctl_http_table_destroy(t);
    return error;
}

/* ------------------------------------------------------------------------
 * Tables. */

/* How a table column shows a member of an entity. */
enum column_kind {
    COL_TEXT,    /* The string as it is. */
    COL_NUMBER,  /* A number (a breakdown by label: its sum). */
    COL_UPTIME,  /* The age of an epoch time, while "connected" is not 0. */
    COL_STATE,   /* "up" or "down" from "connected". */
    COL_REASONS, /* The nonzero entries of a breakdown, "reason=n ...". */
};

struct column {
    const char *title;
    enum ctl_http_align align;
    enum column_kind kind;
    const char *member;
};

/* Prints the entities of 'list' (a JSON array), one row each, with the
 * first 'n' of 'cols'; 'empty' when there are none. */
static int
entity_table(json_t *list, const struct column *cols, size_t n, double now,
             const char *empty, const char *indent)
{
    struct ctl_http_table *t = ctl_http_table_create();
    json_t *e;
    size_t i, c;

    if (!t) {
        fprintf(stderr, "plexusctl: out of memory\n");
        exit(CTL_EXIT_BAD);
    }
    for (c = 0; c < n; c++) {
        ctl_http_table_add_column(t, cols[c].title, cols[c].align);
    }
    json_array_foreach(list, i, e)
    {
        double up;
        int has_state;

        if (!json_is_object(e)) {
            continue; /* Not an entity: nothing to show. */
        }
        has_state = !get_number(e, "connected", &up);
        ctl_http_table_add_row(t);
        for (c = 0; c < n; c++) {
            const char *m = cols[c].member;
            struct px_str reasons = {0};

            switch (cols[c].kind) {
            case COL_TEXT:
                set_text(t, c, e, m);
                break;
            case COL_NUMBER:
                set_number(t, c, e, m);
                break;
            case COL_UPTIME:
                if (!has_state || up) {
                    set_age(t, c, e, m, now);
                }
                break;
            case COL_STATE:
                ctl_http_table_set(t, c,
                                   !has_state ? NULL
                                   : up       ? "up"
                                              : "down");
                break;
            case COL_REASONS:
                format_breakdown(e, m, &reasons);
                ctl_http_table_set(t, c, px_str_get(&reasons));
                free(reasons.buf);
                break;
            }
        }
    }
    return print_table(t, empty, indent);
}

#define L             CTL_HTTP_LEFT
#define R             CTL_HTTP_RIGHT
#define ARRAY_SIZE(A) (sizeof(A) / sizeof(A)[0])

static int
plugins_table(json_t *root, double now)
{
    static const struct column cols[] = {
        {"PLUGIN", L, COL_TEXT, "plugin"},
        {"MODULE", L, COL_TEXT, "module"},
        {"VERSION", L, COL_TEXT, "version"},
        {"GEN", R, COL_NUMBER, "generation"},
        {"LOADED", R, COL_UPTIME, "loaded_since_seconds"},
        {"RELOADS", R, COL_NUMBER, "reloads"},
        {"REFUSED", R, COL_NUMBER, "reloads_refused"},
    };

    return entity_table(entities(root, "plugin"), cols, ARRAY_SIZE(cols), now,
                        "plugins: none", "");
}

/* The switch table; 'full' adds the byte counters and disconnects. */
static int
switches_table(json_t *root, double now, int full)
{
    static const struct column cols[] = {
        {"SWITCH", L, COL_TEXT, "switch"},
        {"VERSION", L, COL_TEXT, "version"},
        {"PEER", L, COL_TEXT, "peer"},
        {"STATE", L, COL_STATE, NULL},
        {"UPTIME", R, COL_UPTIME, "connected_since_seconds"},
        {"PKT_IN", R, COL_NUMBER, "packet_ins"},
        {"PKT_OUT", R, COL_NUMBER, "packet_outs"},
        {"FLOW_MOD", R, COL_NUMBER, "flow_mods"},
        {"DROPS", R, COL_NUMBER, "output_drops"},
        /* Only with 'full'. */
        {"RX_BYTES", R, COL_NUMBER, "rx_bytes"},
        {"TX_BYTES", R, COL_NUMBER, "tx_bytes"},
        {"DISCONNECTS", R, COL_NUMBER, "disconnects"},
        {"REASONS", L, COL_REASONS, "disconnects"},
    };

    return entity_table(entities(root, "switch"), cols,
                        full ? ARRAY_SIZE(cols) : 9, now, "switches: none",
                        "");
}

/* Prints one port table for the ports in 'ports'. */
static int
ports_table(json_t *ports)
{
    static const struct column cols[] = {
        {"PORT", L, COL_TEXT, "port"},
        {"NAME", L, COL_TEXT, "name"},
        {"PKT_IN", R, COL_NUMBER, "packet_ins"},
        {"PKT_OUT", R, COL_NUMBER, "packet_outs"},
    };

    return entity_table(ports, cols, ARRAY_SIZE(cols), 0, "no ports", "    ");
}

/* The ports, grouped under their switches in the order of the switch
 * table; ports of a switch without a switch entity come last. */
static int
switch_ports(json_t *root)
{
    json_t *groups = json_object();
    json_t *list = entities(root, "port");
    json_t *switches = entities(root, "switch");
    json_t *e, *group;
    const char *dpid;
    size_t i;
    int error = 0;

    if (!groups) {
        return ENOMEM;
    }
    json_array_foreach(list, i, e)
    {
        json_t *sw = json_object_get(e, "switch");
        const char *key = json_is_string(sw) ? json_string_value(sw) : "-";

        if (!json_is_object(e)) {
            continue; /* Not an entity: nothing to show. */
        }

        group = json_object_get(groups, key);
        if (!group) {
            group = json_array();
            if (json_object_set_new(groups, key, group)) {
                error = ENOMEM;
                break;
            }
        }
        json_array_append(group, e);
    }
    json_array_foreach(switches, i, e)
    {
        json_t *sw = json_is_object(e) ? json_object_get(e, "switch") : NULL;
        double untracked;

        if (!json_is_string(sw)) {
            continue;
        }
        dpid = json_string_value(sw);
        group = json_object_get(groups, dpid);
        printf("\nswitch ");
        ctl_http_put_clean(stdout, dpid, strlen(dpid));
        printf(":\n");
        if (!get_number(e, "ports_untracked", &untracked) && untracked > 0) {
            char num[64];

            printf("    (%s port counts not kept: over the per-switch port "
                   "bound)\n",
                   ctl_http_format_number(untracked, num, sizeof num));
        }
        if (group) {
            error |= ports_table(group);
            json_object_del(groups, dpid);
        } else {
            printf("    no ports\n");
        }
    }
    json_object_foreach(groups, dpid, group)
    {
        printf("\nswitch ");
        ctl_http_put_clean(stdout, dpid, strlen(dpid));
        printf(" (not in the switch list):\n");
        error |= ports_table(group);
    }
    json_decref(groups);
    return error;
}

static int
routers_table(json_t *root, double now)
{
    static const struct column cols[] = {
        {"ROUTER", R, COL_TEXT, "router"},
        {"PEER", L, COL_TEXT, "peer"},
        {"VHOST", L, COL_TEXT, "vhost"},
        {"USER", L, COL_TEXT, "user"},
        {"UPTIME", R, COL_UPTIME, "connected_since_seconds"},
        {"IFACES", R, COL_NUMBER, "interfaces"},
        {"FRAMES_RX", R, COL_NUMBER, "frames_rx"},
        {"FRAMES_TX", R, COL_NUMBER, "frames_tx"},
        {"DROPPED", R, COL_NUMBER, "frames_dropped"},
    };

    return entity_table(entities(root, "router"), cols, ARRAY_SIZE(cols), now,
                        "routers: none", "");
}

/* Appends ", <n> <what>" for member 'name' when present. */
static void
append_number(struct px_str *s, json_t *obj, const char *name,
              const char *what)
{
    char num[64];
    double v;

    if (!get_number(obj, name, &v)) {
        px_str_printf(s, "%s%s %s", s->len ? ", " : "",
                      ctl_http_format_number(v, num, sizeof num), what);
    }
}

static void
print_summary(const char *label, struct px_str *s)
{
    printf("%s: ", label);
    ctl_http_put_clean(stdout, s->len ? s->buf : "-", s->len ? s->len : 1);
    putchar('\n');
    free(s->buf);
    memset(s, 0, sizeof *s);
}

static void
events_line(json_t *root)
{
    json_t *e = first_entity(root, "event_table");
    struct px_str s = {0};
    char a[64], b[64];
    double depth, capacity;
    int has_depth = !get_number(e, "queue_depth", &depth);
    int has_capacity = !get_number(e, "queue_capacity", &capacity);

    if (has_depth || has_capacity) {
        px_str_printf(
            &s, "queue %s/%s",
            has_depth ? ctl_http_format_number(depth, a, sizeof a) : "-",
            has_capacity ? ctl_http_format_number(capacity, b, sizeof b)
                         : "-");
    }
    append_number(&s, e, "queue_drops", "drops");
    append_number(&s, e, "nesting_drops", "nesting drops");
    append_number(&s, e, "topics", "topics");
    append_number(&s, e, "subscriptions", "subscriptions");
    print_summary("events", &s);
}

static void
openflow_line(json_t *root)
{
    json_t *e = first_entity(root, "openflow");
    struct px_str s = {0};

    if (!e) {
        return;
    }
    append_number(&s, e, "switches_connected", "connected");
    append_number(&s, e, "connections_accepted", "accepted");
    append_number(&s, e, "connections_refused", "refused (max_switches)");
    append_number(&s, e, "handshake_failures", "handshake failures");
    append_number(&s, e, "switches_forgotten", "forgotten");
    print_summary("openflow", &s);
}

static void
vns_line(json_t *root)
{
    json_t *e = first_entity(root, "vns_server");
    struct px_str s = {0}, reasons = {0};

    if (!e) {
        return;
    }
    append_number(&s, e, "routers_connected", "connected");
    append_number(&s, e, "routers_accepted", "accepted");
    append_number(&s, e, "router_disconnects", "disconnects");
    format_breakdown(e, "router_disconnects", &reasons);
    if (reasons.len) {
        px_str_printf(&s, " (%s)", reasons.buf);
    }
    free(reasons.buf);
    append_number(&s, e, "unmapped_packet_ins", "unmapped packet-ins");
    print_summary("vns_server", &s);
}

/* ------------------------------------------------------------------------
 * Reloads in /stats.json. */

/* Reads entry 'e' of "reloads"; strings stay owned by the JSON. */
static int
parse_reload(json_t *e, struct ctl_http_reload *r)
{
    json_t *id = json_is_object(e) ? json_object_get(e, "id") : NULL;

    if (!json_is_number(id) || !(json_number_value(id) >= 0) ||
        json_number_value(id) > 1e18) {
        return EINVAL;
    }
    memset(r, 0, sizeof *r);
    r->id = (long long)json_number_value(id);
    r->outcome = json_string_value(json_object_get(e, "outcome"));
    r->added = json_string_value(json_object_get(e, "added"));
    r->removed = json_string_value(json_object_get(e, "removed"));
    r->reloaded = json_string_value(json_object_get(e, "reloaded"));
    r->reconfigured = json_string_value(json_object_get(e, "reconfigured"));
    r->refused = json_string_value(json_object_get(e, "refused"));
    r->error = json_string_value(json_object_get(e, "error"));
    return 0;
}

/* The entry with the highest id above 'after', or ENOENT. */
static int
newest_reload(json_t *root, long long after, struct ctl_http_reload *out)
{
    json_t *list = json_object_get(root, "reloads");
    json_t *e;
    size_t i;
    int found = 0;

    json_array_foreach(list, i, e)
    {
        struct ctl_http_reload r;

        if (!parse_reload(e, &r) && r.id > after) {
            *out = r;
            after = r.id;
            found = 1;
        }
    }
    return found ? 0 : ENOENT;
}

/* ------------------------------------------------------------------------
 * Commands. */

/* Fetches /stats.json and prints it with 'show', which returns nonzero if
 * something in it could not be shown. */
static int
show_stats(struct ctl *ctl, int (*show)(struct ctl *, json_t *root))
{
    char why[1024];
    json_t *root;
    int code, unreachable, error;

    root = get_stats(ctl, 0, &code, &unreachable, why, sizeof why);
    if (!root) {
        return code;
    }
    error = show(ctl, root);
    json_decref(root);
    return error ? CTL_EXIT_BAD : CTL_EXIT_OK;
}

static int
show_status(struct ctl *ctl, json_t *root)
{
    json_t *host;
    struct ctl_http_reload last;
    struct px_str s = {0};
    char buf[64];
    double now, v;
    int error = 0;

    now = collected_at(root);
    host = first_entity(root, "host");

    {
        const char *version = get_text(host, "version", buf, sizeof buf);

        px_str_printf(&s, "plexusd %s", version ? version : "-");
    }
    if (!get_number(host, "pid", &v)) {
        px_str_printf(&s, ", pid %s",
                      ctl_http_format_number(v, buf, sizeof buf));
    }
    if (!get_number(host, "start_time_seconds", &v) && v > 0) {
        px_str_printf(&s, ", up %s",
                      ctl_http_format_age(now - v, buf, sizeof buf));
    }
    px_str_printf(&s, ", stats at %s", ctl->url);
    ctl_http_put_clean(stdout, s.buf, s.len);
    putchar('\n');
    free(s.buf);
    memset(&s, 0, sizeof s);

    {
        json_t *r =
            json_is_object(host) ? json_object_get(host, "reloads") : NULL;
        static const char *const outcomes[] = {"ok", "partial", "refused"};
        size_t i;

        for (i = 0; json_is_object(r) && i < ARRAY_SIZE(outcomes); i++) {
            json_t *n = json_object_get(r, outcomes[i]);

            px_str_printf(&s, "%s%s %s", i ? ", " : "",
                          json_is_number(n)
                              ? ctl_http_format_number(json_number_value(n),
                                                       buf, sizeof buf)
                              : "-",
                          outcomes[i]);
        }
        if (!newest_reload(root, -1, &last)) {
            json_t *e = NULL, *t;
            json_t *list = json_object_get(root, "reloads");
            size_t j;

            json_array_foreach(list, j, e)
            {
                t = json_object_get(e, "id");
                if (json_is_number(t) && json_number_value(t) == last.id) {
                    break;
                }
            }
            px_str_printf(&s, "%slast reload %lld: %s", s.len ? "; " : "",
                          last.id, last.outcome ? last.outcome : "-");
            t = json_is_object(e) ? json_object_get(e, "time") : NULL;
            if (json_is_number(t)) {
                px_str_printf(&s, ", %s ago",
                              ctl_http_format_age(now - json_number_value(t),
                                                  buf, sizeof buf));
            }
        }
        print_summary("reloads", &s);
    }

    putchar('\n');
    error |= plugins_table(root, now);
    putchar('\n');
    error |= switches_table(root, now, 0);
    putchar('\n');
    error |= routers_table(root, now);
    putchar('\n');
    events_line(root);
    return error;
}

static int
show_switches(struct ctl *ctl, json_t *root)
{
    int error;

    (void)ctl;
    error = switches_table(root, collected_at(root), 1);
    error |= switch_ports(root);
    if (first_entity(root, "openflow")) {
        putchar('\n');
        openflow_line(root);
    }
    return error;
}

static int
show_routers(struct ctl *ctl, json_t *root)
{
    int error;

    (void)ctl;
    error = routers_table(root, collected_at(root));
    if (first_entity(root, "vns_server")) {
        putchar('\n');
        vns_line(root);
    }
    return error;
}

static int
show_plugins(struct ctl *ctl, json_t *root)
{
    (void)ctl;
    return plugins_table(root, collected_at(root));
}

static int
cmd_status(struct ctl *ctl)
{
    return show_stats(ctl, show_status);
}

static int
cmd_switches(struct ctl *ctl)
{
    return show_stats(ctl, show_switches);
}

static int
cmd_routers(struct ctl *ctl)
{
    return show_stats(ctl, show_routers);
}

static int
cmd_plugins(struct ctl *ctl)
{
    return show_stats(ctl, show_plugins);
}

static int
cmd_metrics(struct ctl *ctl)
{
    struct fetch f;
    char why[1024];
    int unreachable;

    if (http_get(ctl, "/metrics", &f, &unreachable, why, sizeof why)) {
        if (unreachable) {
            return report_unreachable(ctl, why);
        }
        fprintf(stderr, "plexusctl: %s\n", why);
        return CTL_EXIT_BAD;
    }
    fwrite(f.resp.body, 1, f.resp.body_len, stdout);
    fetch_clear(&f);
    return fflush(stdout) ? CTL_EXIT_BAD : CTL_EXIT_OK;
}

/* Waits about CTL_POLL_INTERVAL, never past the deadline. */
static void
pause_poll(const struct ctl *ctl)
{
    int ms = ms_left(ctl);

    ms = ms < CTL_POLL_INTERVAL * 1000 ? ms : (int)(CTL_POLL_INTERVAL * 1000);
    if (ms > 0) {
        poll(NULL, 0, ms);
    }
}

/* After SIGHUP the endpoint went away: the reload may have disabled or
 * moved the stats plugin.  Re-reads the configuration to tell.  Returns 1
 * if the stats plugin is gone for good (message printed), 0 to keep
 * polling (perhaps at a new address). */
static int
endpoint_gone(struct ctl *ctl)
{
    struct px_errors errors = {0};
    struct px_conf *conf;
    struct ctl next;

    /* Even with -u: the endpoint after the reload is the one the
     * configuration names. */
    if (!ctl->conf ||
        px_conf_load_dir_tolerant(ctl->conf_dir, &conf, &errors)) {
        px_errors_clear(&errors);
        return 0;
    }
    px_errors_clear(&errors);
    next = *ctl;
    if (endpoint_from_conf(&next, conf)) {
        px_conf_destroy(conf);
        return 0;
    }
    px_conf_destroy(conf);
    if (!next.stats_in_conf) {
        fprintf(stderr,
                "plexusctl: the stats endpoint %s went away during the "
                "reload: the configuration in %s no longer enables the "
                "stats plugin, so the outcome cannot be read (see "
                "plexusd's log)\n",
                ctl->url, ctl->conf_dir);
        return 1;
    }
    if (strcmp(next.host, ctl->host) || next.port != ctl->port) {
        format_url(&next);
        fprintf(stderr, "plexusctl: the stats endpoint moved to %s\n",
                next.url);
        snprintf(ctl->host, sizeof ctl->host, "%s", next.host);
        ctl->port = next.port;
        format_url(ctl);
    }
    return 0;
}

static int
cmd_reload(struct ctl *ctl)
{
    struct ctl_http_reload before, r;
    long long last_id = -1;
    char why[1024], pwhy[PATH_MAX + 64], failure[1024] = "";
    json_t *root, *host;
    enum pid_state ps;
    double stats_pid;
    pid_t pid = 0;
    int code, unreachable, gone = 0, answered = 0;

    if (!ctl->pid_file) {
        fprintf(stderr,
                "plexusctl: no pid file to find plexusd by: set [host] "
                "pid_file in %s or give -p FILE\n",
                ctl->conf_dir);
        return CTL_EXIT_USAGE;
    }

    /* What has been reloaded so far, and whose endpoint this is. */
    root = get_stats(ctl, 0, &code, &unreachable, why, sizeof why);
    if (!root) {
        if (unreachable && !ctl->url_arg && ctl->stats_in_conf) {
            /* The endpoint comes from the files, which may already hold
             * the edit this reload is for. */
            fprintf(stderr,
                    "plexusctl: if %s was edited to move the stats "
                    "endpoint, give the one plexusd listens on now with "
                    "-u URL\n",
                    ctl->conf_dir);
        }
        return code;
    }
    if (!newest_reload(root, -1, &before)) {
        last_id = before.id;
    }
    host = first_entity(root, "host");
    if (get_number(host, "pid", &stats_pid)) {
        stats_pid = -1;
    }
    json_decref(root);

    ps = read_pid(ctl->pid_file, &pid, pwhy, sizeof pwhy);
    switch (ps) {
    case PID_ALIVE:
        break;
    case PID_FORBIDDEN:
        fprintf(stderr, "plexusctl: not allowed to signal plexusd (%s)\n",
                pwhy);
        return CTL_EXIT_USAGE;
    case PID_NO_FILE:
    case PID_STALE:
    case PID_BAD_FILE:
    default:
        fprintf(stderr, "plexusctl: plexusd is not running (%s)\n", pwhy);
        return CTL_EXIT_DOWN;
    }
    if (stats_pid < 0) {
        fprintf(stderr,
                "plexusctl: %s/stats.json gives no host pid, so it cannot "
                "be matched with process %ld from %s: not sending "
                "SIGHUP\n",
                ctl->url, (long)pid, ctl->pid_file);
        return CTL_EXIT_BAD;
    }
    if (stats_pid != (double)pid) {
        char num[64];

        fprintf(stderr,
                "plexusctl: the stats endpoint %s belongs to another "
                "plexusd (pid %s), not to process %ld from %s: not sending "
                "SIGHUP (check -c, -u and -p)\n",
                ctl->url, ctl_http_format_number(stats_pid, num, sizeof num),
                (long)pid, ctl->pid_file);
        return CTL_EXIT_USAGE;
    }

    if (kill(pid, SIGHUP) < 0) {
        fprintf(stderr, "plexusctl: cannot signal process %ld: %s\n",
                (long)pid, strerror(errno));
        return errno == EPERM ? CTL_EXIT_USAGE : CTL_EXIT_DOWN;
    }

    /* Poll for an entry newer than any seen before the signal. */
    for (;;) {
        root = get_stats(ctl, 1, &code, &unreachable, why, sizeof why);
        answered = root != NULL;
        if (!root && ms_left(ctl)) {
            /* What to tell if it lasts; a try that the deadline cut short
             * says nothing. */
            snprintf(failure, sizeof failure, "%s", why);
        } else if (!root) {
            unreachable = 0;
        }
        if (root) {
            gone = 0;
            failure[0] = '\0';
            if (!newest_reload(root, last_id, &r)) {
                ctl_http_print_reload(stdout, &r);
                code = r.outcome && !strcmp(r.outcome, "ok")
                           ? CTL_EXIT_OK
                           : CTL_EXIT_OUTCOME;
                json_decref(root);
                return code;
            }
            json_decref(root);
        } else if (unreachable && failure[0]) {
            /* (Not when the deadline cut the connection attempt short.) */
            gone = 1;
            if (kill(pid, 0) < 0 && errno == ESRCH) {
                fprintf(stderr,
                        "plexusctl: plexusd (pid %ld) exited during the "
                        "reload\n",
                        (long)pid);
                return CTL_EXIT_DOWN;
            }
            if (endpoint_gone(ctl)) {
                return CTL_EXIT_DOWN;
            }
        }
        if (!ms_left(ctl)) {
            break;
        }
        pause_poll(ctl);
    }
    if (gone) {
        fprintf(stderr,
                "plexusctl: the stats endpoint %s went away after SIGHUP "
                "(%s) and did not come back within %gs: did the reload "
                "disable the stats plugin?  The outcome is unknown (see "
                "plexusd's log)\n",
                ctl->url, failure, ctl->timeout);
        return CTL_EXIT_DOWN;
    }
    fprintf(stderr,
            "plexusctl: sent SIGHUP to plexusd (pid %ld) but no reload "
            "outcome appeared in %s/stats.json within %gs%s%s\n",
            (long)pid, ctl->url, ctl->timeout,
            answered || !failure[0] ? "" : "; last try: ",
            answered ? "" : failure);
    return CTL_EXIT_BAD;
}

/* ------------------------------------------------------------------------
 * Main. */

struct command {
    const char *name;
    int (*run)(struct ctl *);
    int need_pid; /* Needs the pid file, not only to explain a failure. */
};

static const struct command commands[] = {
    {"status", cmd_status, 0},   {"switches", cmd_switches, 0},
    {"routers", cmd_routers, 0}, {"plugins", cmd_plugins, 0},
    {"metrics", cmd_metrics, 0}, {"reload", cmd_reload, 1},
};

int
main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"conf", required_argument, NULL, 'c'},
        {"url", required_argument, NULL, 'u'},
        {"pid-file", required_argument, NULL, 'p'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct ctl ctl = {.conf_dir = PX_DEFAULT_CONF_DIR,
                      .timeout = CTL_DEFAULT_TIMEOUT};
    const struct command *cmd = NULL;
    size_t i;
    int opt, code;

    while ((opt = getopt_long(argc, argv, "c:u:p:t:hV", options, NULL)) !=
           -1) {
        switch (opt) {
        case 'c':
            ctl.conf_dir = optarg;
            break;
        case 'u':
            ctl.url_arg = optarg;
            break;
        case 'p':
            ctl.pid_file_arg = optarg;
            break;
        case 't':
            if (px_parse_double(optarg, &ctl.timeout) || ctl.timeout <= 0 ||
                ctl.timeout > 86400) {
                fprintf(stderr,
                        "plexusctl: -t '%s' is not a number of seconds "
                        "(more than 0, at most 86400)\n",
                        optarg);
                return CTL_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return CTL_EXIT_OK;
        case 'V':
            printf("plexusctl %s\n", PX_VERSION);
            return CTL_EXIT_OK;
        default:
            usage(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "plexusctl: no command given\n");
        usage(stderr);
        return CTL_EXIT_USAGE;
    }
    for (i = 0; i < ARRAY_SIZE(commands); i++) {
        if (!strcmp(argv[optind], commands[i].name)) {
            cmd = &commands[i];
        }
    }
    if (!cmd) {
        fprintf(stderr,
                "plexusctl: unknown command '%s' (status, switches, "
                "routers, plugins, metrics, reload)\n",
                argv[optind]);
        return CTL_EXIT_USAGE;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "plexusctl: unexpected argument '%s'\n",
                argv[optind + 1]);
        return CTL_EXIT_USAGE;
    }

    ctl.deadline = now_monotonic() + ctl.timeout;
    code = setup(&ctl, cmd->need_pid);
    if (!code) {
        code = cmd->run(&ctl);
    }
    if (fflush(stdout) && !code) {
        fprintf(stderr, "plexusctl: cannot write the output: %s\n",
                strerror(errno));
        code = CTL_EXIT_BAD;
    }
    px_conf_destroy(ctl.conf);
    return code;
}
