/*
 * plexusctl: the command-line client of a running plexusd, in the spirit
 * of ovs-appctl.  "plexusctl COMMAND ARGS..." sends the command over the
 * daemon's control socket and prints the reply: the text the daemon wrote
 * for people, or with --json its structured part.  Every command the
 * daemon has (its built-ins and those its plugins registered) works the
 * same way; plexusctl knows none of them but "reload" (whose outcome sets
 * the exit status) and "help" (to which it adds its own commands).  The
 * one command of its own is "metrics", an HTTP fetch of the stats
 * plugin's /metrics.
 *
 * It reads the daemon's configuration directory to find the socket
 * ([host] ctl_socket) and the stats endpoint.  The protocol is in
 * ctl_proto.c, pure and unit-tested, and the HTTP client in ctl_fetch.c,
 * libcurl with plexusctl's rules around it; this file holds the control
 * socket and the command line.
 * Everything read from the daemon is treated as untrusted: a malformed
 * reply is an error, and text goes to the terminal with control
 * characters replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "conf.h"
#include "ctl_fetch.h"
#include "ctl_proto.h"
#include "plexus/topics/stats.h"
#include "host_util.h"

#ifndef PX_DEFAULT_CONF_DIR
#define PX_DEFAULT_CONF_DIR "/etc/plexus/conf.d"
#endif
#ifndef PX_VERSION
#define PX_VERSION "unknown"
#endif

/* Exit statuses, documented in usage(). */
enum {
    CTL_EXIT_OK = 0,      /* Success; for reload, "done". */
    CTL_EXIT_OUTCOME = 1, /* An error reply; a reload partial or refused. */
    CTL_EXIT_USAGE = 2,   /* Usage or configuration error. */
    CTL_EXIT_DOWN = 3,    /* Daemon not running, endpoint unreachable. */
    CTL_EXIT_BAD = 4,     /* Bad response or timeout. */
};

#define CTL_DEFAULT_TIMEOUT 10.0

/* The id of plexusctl's one request per connection. */
#define CTL_REQUEST_ID 1

struct ctl {
    const char *conf_dir;
    const char *socket_arg; /* -s, or NULL. */
    const char *url_arg;    /* -u, or NULL. */
    int json;               /* --json */
    double deadline;        /* CLOCK_MONOTONIC seconds. */
    double timeout;

    struct px_conf *conf; /* NULL when not read. */
    const char *socket;   /* -s or [host] ctl_socket; NULL: none. */
    int stats_in_conf;    /* The configuration enables a stats instance. */

    char host[256]; /* The stats endpoint, for metrics. */
    int port;
    char url[300]; /* "http://HOST:PORT", for messages. */
};

static double
now_monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    fprintf(f,
            "Usage: plexusctl [OPTIONS] COMMAND [ARGUMENT...]\n"
            "Runs COMMAND in a running plexusd through its control socket and "
            "prints the\n"
            "reply.  \"plexusctl help\" lists every command the daemon has: "
            "its own\n"
            "(status, plugins, reload, log-level [[INSTANCE] LEVEL], version, "
            "help) and\n"
            "those of its plugins (openflow: switches, ports DPID, disconnect "
            "DPID;\n"
            "vns_server: routers).\n"
            "\n"
            "plexusctl's own command:\n"
            "  metrics    the Prometheus text of the stats plugin's /metrics, "
            "as served\n"
            "\n"
            "Options:\n"
            "  -c, --conf DIR         plexusd's configuration directory "
            "(default\n"
            "                         %s): gives the control\n"
            "                         socket ([host] ctl_socket) and the "
            "stats endpoint\n"
            "  -s, --socket PATH      the control socket (default: from DIR)\n"
            "  -u, --url URL          stats endpoint http://HOST:PORT for "
            "metrics (default:\n"
            "                         the enabled stats instance's in DIR, "
            "else\n"
            "                         http://%s:%d)\n"
            "  -j, --json             print the reply's JSON instead of its "
            "text\n"
            "  -t, --timeout SECONDS  give up after this long (default %g)\n"
            "  -h, --help             show this help and exit\n"
            "  -V, --version          show the version and exit\n"
            "Give \"--\" before arguments that begin with '-'.\n"
            "\n"
            "Exit status:\n"
            "  0  success (reload: done)\n"
            "  1  the daemon answered with an error (unknown command, bad "
            "arguments...),\n"
            "     or the reload was partial or refused with nothing changed\n"
            "  2  usage or configuration error (no control socket configured, "
            "not\n"
            "     allowed to use it)\n"
            "  3  plexusd not running (no socket, nobody answering on it, the "
            "connection\n"
            "     closed without an answer), or the stats endpoint "
            "unreachable\n"
            "  4  bad response, or no answer before the deadline\n",
            PX_DEFAULT_CONF_DIR, PX_STATS_DEFAULT_ADDRESS,
            PX_STATS_DEFAULT_PORT, CTL_DEFAULT_TIMEOUT);
}

/* ------------------------------------------------------------------------
 * Configuration. */

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

    for (i = 0; conf && i < conf->n_instances; i++) {
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

/* Reads the configuration when it is needed: for the control socket
 * unless -s gives it, for the stats endpoint ('metrics') unless -u gives
 * it.  Returns 0 or an exit status, with a message printed. */
static int
setup(struct ctl *ctl, int metrics)
{
    struct px_errors errors = {0};
    int need_conf = metrics ? !ctl->url_arg : !ctl->socket_arg;
    char why[256];

    /* Tolerant: an operator runs "plexusctl reload" right after editing,
     * and a mistake in one file must not hide the socket the others
     * name; plexusd itself refuses that reload and says why. */
    if (need_conf) {
        if (px_conf_load_dir_tolerant(ctl->conf_dir, &ctl->conf, &errors)) {
            ctl->conf = NULL;
            fputs(px_errors_text(&errors), stderr);
            fprintf(stderr,
                    "plexusctl: cannot read the configuration in %s (-c DIR "
                    "names another; %s works without it)\n",
                    ctl->conf_dir, metrics ? "-u URL" : "-s PATH");
            px_errors_clear(&errors);
            return CTL_EXIT_USAGE;
        }
        if (errors.count) {
            fprintf(stderr,
                    "plexusctl: note: %s has %u error%s (plexusd refuses to "
                    "reload it until fixed); using the settings that "
                    "parse\n",
                    ctl->conf_dir, errors.count, errors.count == 1 ? "" : "s");
        }
        px_errors_clear(&errors);
    }
    if (metrics) {
        if (ctl->url_arg) {
            int error = ctl_fetch_parse_url(
                ctl->url_arg, PX_STATS_DEFAULT_PORT, ctl->host,
                sizeof ctl->host, &ctl->port, why, sizeof why);

            if (error) {
                fprintf(stderr, "plexusctl: -u %s\n",
                        error == EINVAL ? why : strerror(error));
                return CTL_EXIT_USAGE;
            }
            ctl->stats_in_conf = 1;
        } else if (endpoint_from_conf(ctl, ctl->conf)) {
            return CTL_EXIT_USAGE;
        }
        /* The host fits: 'url' has room for it and the rest. */
        ctl_fetch_format_url(ctl->host, ctl->port, ctl->url, sizeof ctl->url);
        return 0;
    }
    ctl->socket =
        ctl->socket_arg ? ctl->socket_arg : ctl->conf->host.ctl_socket;
    if (!ctl->socket) {
        fprintf(stderr,
                "plexusctl: %s configures no control socket ([host] "
                "ctl_socket is empty): give -s PATH\n",
                ctl->conf_dir);
        return CTL_EXIT_USAGE;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Sockets, with the deadline. */

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

/* Reads into 'in' until a line feed arrives or the peer closes, at most
 * in->limit bytes (ENOBUFS beyond). */
static int
recv_line(const struct ctl *ctl, int fd, struct px_buf *in)
{
    for (;;) {
        size_t room = in->limit - in->len;
        size_t want = room > 65536 ? 65536 : room ? room : 1;
        uint8_t *dst = px_buf_reserve(in, want);
        ssize_t n;

        if (!dst) {
            return px_buf_error(in);
        }
        n = recv(fd, dst, want, 0);
        if (n > 0) {
            px_buf_commit(in, (size_t)n);
            if (memchr(dst, '\n', (size_t)n)) {
                return 0;
            }
        } else if (!n) {
            return 0;
        } else if (errno == EAGAIN || errno == EINTR) {
            int error = wait_fd(ctl, fd, POLLIN);

            if (error) {
                return error;
            }
        } else {
            return errno;
        }
    }
}

/* ------------------------------------------------------------------------
 * The control socket. */

/* Connects to the control socket.  Returns a socket, or -1 with the exit
 * status in '*code' and a message printed. */
static int
connect_socket(const struct ctl *ctl, int *code)
{
    struct sockaddr_un sun;
    int fd, error;

    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(ctl->socket) >= sizeof sun.sun_path) {
        fprintf(stderr, "plexusctl: control socket path %s is too long\n",
                ctl->socket);
        *code = CTL_EXIT_USAGE;
        return -1;
    }
    memcpy(sun.sun_path, ctl->socket, strlen(ctl->socket));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "plexusctl: socket: %s\n", strerror(errno));
        *code = CTL_EXIT_BAD;
        return -1;
    }
    /* A Unix socket's connect waits for room in a full backlog, as long
     * as the send timeout allows: the time left.  (Non-blocking, it would
     * fail at once instead of waiting.) */
    {
        int ms = ms_left(ctl);
        struct timeval tv = {.tv_sec = ms / 1000,
                             .tv_usec = (ms % 1000) * 1000};

        error = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) ||
                        connect(fd, (struct sockaddr *)&sun, sizeof sun)
                    ? errno
                    : 0;
    }
    if (error == EAGAIN || error == EINPROGRESS) {
        error = ETIMEDOUT;
    }
    if (!error && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
        error = errno;
    }
    if (!error) {
        return fd;
    }
    close(fd);
    switch (error) {
    case ENOENT:
        fprintf(stderr,
                "plexusctl: plexusd is not running (no control socket %s)\n",
                ctl->socket);
        *code = CTL_EXIT_DOWN;
        break;
    case ECONNREFUSED:
        fprintf(stderr,
                "plexusctl: plexusd is not running (nobody answers on %s)\n",
                ctl->socket);
        *code = CTL_EXIT_DOWN;
        break;
    case EACCES:
    case EPERM:
        fprintf(stderr,
                "plexusctl: not allowed to use the control socket %s (it is "
                "its owner's alone: run plexusctl as the user plexusd runs "
                "as)\n",
                ctl->socket);
        *code = CTL_EXIT_USAGE;
        break;
    case ETIMEDOUT:
        fprintf(stderr,
                "plexusctl: %s did not accept the connection within %gs\n",
                ctl->socket, ctl->timeout);
        *code = CTL_EXIT_BAD;
        break;
    default:
        fprintf(stderr, "plexusctl: cannot connect to %s: %s\n", ctl->socket,
                strerror(error));
        *code = error == ENOTSOCK ? CTL_EXIT_USAGE : CTL_EXIT_DOWN;
        break;
    }
    return -1;
}

/* Sends one request and reads its response into 'resp'.  Returns 0 or an
 * exit status, with a message printed. */
static int
call(const struct ctl *ctl, const char *method, const char *const *params,
     size_t n_params, int want_json, struct px_ctl_response *resp)
{
    struct px_buf reply = PX_BUF_INITIALIZER(PX_CTL_MAX_REPLY);
    char *request, why[256];
    size_t request_len;
    const char *nl;
    int fd, code, error;

    memset(resp, 0, sizeof *resp);
    if (px_ctl_encode_request(CTL_REQUEST_ID, method, params, n_params,
                              want_json, &request, &request_len)) {
        fprintf(stderr,
                "plexusctl: the command or an argument is not UTF-8 text\n");
        return CTL_EXIT_USAGE;
    }
    fd = connect_socket(ctl, &code);
    if (fd < 0) {
        free(request);
        return code;
    }
    error = send_all(ctl, fd, request, request_len);
    free(request);
    if (!error) {
        error = recv_line(ctl, fd, &reply);
    }
    close(fd);
    if (error) {
        px_buf_destroy(&reply);
    }
    if (error == ETIMEDOUT) {
        fprintf(stderr, "plexusctl: no answer from %s within %gs\n",
                ctl->socket, ctl->timeout);
        return CTL_EXIT_BAD;
    } else if (error == ENOBUFS) {
        fprintf(stderr, "plexusctl: an answer longer than %u bytes\n",
                PX_CTL_MAX_REPLY);
        return CTL_EXIT_BAD;
    } else if (error == EPIPE || error == ECONNRESET) {
        fprintf(stderr, "plexusctl: plexusd closed the connection without an "
                        "answer (did it exit?)\n");
        return CTL_EXIT_DOWN;
    } else if (error) {
        fprintf(stderr, "plexusctl: %s: %s\n", ctl->socket, strerror(error));
        return CTL_EXIT_BAD;
    }
    nl = memchr(px_buf_cstr(&reply), '\n', reply.len);
    if (!nl) {
        fprintf(stderr,
                "plexusctl: plexusd closed the connection without %s "
                "(did it exit?)\n",
                reply.len ? "finishing its answer" : "an answer");
        px_buf_destroy(&reply);
        return CTL_EXIT_DOWN;
    }
    error = px_ctl_response_parse(px_buf_cstr(&reply),
                                  (size_t)(nl - px_buf_cstr(&reply)), resp,
                                  why, sizeof why);
    px_buf_destroy(&reply);
    if (error) {
        fprintf(stderr, "plexusctl: bad answer from %s: %s\n", ctl->socket,
                why);
        return CTL_EXIT_BAD;
    }
    /* An error without an id comes before any request was read (too many
     * clients); any other id is not the answer to this request. */
    if (resp->id ? !json_is_integer(resp->id) ||
                       json_integer_value(resp->id) != CTL_REQUEST_ID
                 : !resp->error) {
        fprintf(stderr, "plexusctl: bad answer from %s: id mismatch\n",
                ctl->socket);
        px_ctl_response_clear(resp);
        return CTL_EXIT_BAD;
    }
    return 0;
}

static int
print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);

    if (!s) {
        fprintf(stderr, "plexusctl: out of memory\n");
        return CTL_EXIT_BAD;
    }
    /* JSON escapes every control character: nothing to filter. */
    fputs(s, stdout);
    putchar('\n');
    free(s);
    return 0;
}

/* Prints a successful reply: its text, or its data with --json (a reply
 * without data as {"text": ...}). */
static int
print_reply(const struct ctl *ctl, const struct px_ctl_response *resp)
{
    if (ctl->json) {
        json_t *j = resp->data ? json_incref(resp->data)
                               : json_pack("{s:s%}", "text", resp->text,
                                           resp->text_len);
        int code = j ? print_json(j) : CTL_EXIT_BAD;

        json_decref(j);
        return code;
    }
    px_ctl_put_text(stdout, resp->text, resp->text_len);
    return 0;
}

/* Prints the daemon's error message on one line. */
static void
print_error(const char *command, const char *message)
{
    fprintf(stderr, "plexusctl: %s: ", command);
    for (; *message; message++) {
        unsigned char c = (unsigned char)*message;

        putc(c < 0x20 || c == 0x7f ? '?' : c, stderr);
    }
    putc('\n', stderr);
}

/* Runs any command of the daemon. */
static int
run_command(struct ctl *ctl, const char *command, const char *const *params,
            size_t n_params)
{
    struct px_ctl_response resp;
    int reload = !strcmp(command, "reload");
    int code;

    /* A reload's exit status comes from its outcome, in the data. */
    code = call(ctl, command, params, n_params, ctl->json || reload, &resp);
    if (code) {
        return code;
    }
    if (resp.error) {
        print_error(command, resp.error);
        px_ctl_response_clear(&resp);
        return CTL_EXIT_OUTCOME;
    }
    code = print_reply(ctl, &resp);
    if (!code && reload) {
        json_t *outcome = json_object_get(resp.data, "outcome");

        if (!json_is_string(outcome)) {
            fprintf(stderr, "plexusctl: the reload's answer has no outcome\n");
            code = CTL_EXIT_BAD;
        } else if (strcmp(json_string_value(outcome), "ok")) {
            code = CTL_EXIT_OUTCOME;
        }
    }
    px_ctl_response_clear(&resp);
    return code;
}

/* "help": the daemon's commands, then plexusctl's own. */
static int
run_help(struct ctl *ctl)
{
    static const char metrics_help[] =
        "the Prometheus text of the stats plugin's /metrics";
    struct px_ctl_response resp;
    int code = call(ctl, "help", NULL, 0, ctl->json, &resp);

    if (!code && resp.error) {
        print_error("help", resp.error);
        code = CTL_EXIT_OUTCOME;
    } else if (!code && ctl->json) {
        json_t *list = json_object_get(resp.data, "commands");

        if (!json_is_array(list)) {
            fprintf(stderr, "plexusctl: the help answer has no commands\n");
            code = CTL_EXIT_BAD;
        } else {
            json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s}", "name",
                                                  "metrics", "usage", "",
                                                  "help", metrics_help,
                                                  "owner", "plexusctl"));
            code = print_json(resp.data);
        }
    } else if (!code) {
        px_ctl_put_text(stdout, resp.text, resp.text_len);
        printf("\nplexusctl's own commands:\n  metrics  %s\n", metrics_help);
    } else {
        /* Without the daemon, what plexusctl alone can do. */
        printf("plexusctl's own commands:\n  metrics  %s\n", metrics_help);
    }
    px_ctl_response_clear(&resp);
    return code;
}

/* ------------------------------------------------------------------------
 * metrics: HTTP to the stats plugin. */

static int
run_metrics(struct ctl *ctl)
{
    struct px_buf body = PX_BUF_INITIALIZER(CTL_FETCH_MAX_RESPONSE);
    struct ctl_fetch_result res;
    char url[sizeof ctl->url + sizeof "/metrics"];
    int code = 0;

    snprintf(url, sizeof url, "%s/metrics", ctl->url);
    switch (ctl_fetch(url, (double)ms_left(ctl) / 1000,
                      "plexusctl/" PX_VERSION, &body, &res)) {
    case CTL_FETCH_OK:
        fwrite(body.data, 1, body.len, stdout);
        break;
    case CTL_FETCH_UNREACHABLE:
        fprintf(stderr,
                "plexusctl: cannot reach the stats endpoint %s (%s): is the "
                "stats plugin enabled?\n",
                ctl->url, res.why);
        if (!ctl->stats_in_conf) {
            fprintf(stderr,
                    "plexusctl: %s enables no instance of module 'stats'; "
                    "enable one and reload, or give -u URL\n",
                    ctl->conf_dir);
        }
        code = CTL_EXIT_DOWN;
        break;
    default:
        fprintf(stderr, "plexusctl: GET /metrics from %s: %s\n", ctl->url,
                res.why);
        code = CTL_EXIT_BAD;
        break;
    }
    px_buf_destroy(&body);
    return code;
}

/* ------------------------------------------------------------------------
 * Main. */

int
main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"conf", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'},
        {"url", required_argument, NULL, 'u'},
        {"json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct ctl ctl = {.conf_dir = PX_DEFAULT_CONF_DIR,
                      .timeout = CTL_DEFAULT_TIMEOUT};
    const char *command;
    int opt, code, metrics;

    while ((opt = getopt_long(argc, argv, "c:s:u:jt:hV", options, NULL)) !=
           -1) {
        switch (opt) {
        case 'c':
            ctl.conf_dir = optarg;
            break;
        case 's':
            ctl.socket_arg = optarg;
            break;
        case 'u':
            ctl.url_arg = optarg;
            break;
        case 'j':
            ctl.json = 1;
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
    command = argv[optind];
    metrics = !strcmp(command, "metrics");
    if (metrics && optind + 1 < argc) {
        fprintf(stderr, "plexusctl: metrics takes no argument\n");
        return CTL_EXIT_USAGE;
    }
    if (!metrics && !px_ctl_name_valid(command)) {
        fprintf(stderr,
                "plexusctl: '%s' is not a command name (\"plexusctl help\" "
                "lists them)\n",
                command);
        return CTL_EXIT_USAGE;
    }

    ctl.deadline = now_monotonic() + ctl.timeout;
    code = setup(&ctl, metrics);
    if (!code) {
        if (metrics) {
            if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
                fprintf(stderr, "plexusctl: cannot initialise libcurl\n");
                code = CTL_EXIT_BAD;
            } else {
                code = run_metrics(&ctl);
                curl_global_cleanup();
            }
        } else if (!strcmp(command, "help") && optind + 1 == argc) {
            code = run_help(&ctl);
        } else {
            code = run_command(&ctl, command,
                               (const char *const *)argv + optind + 1,
                               (size_t)(argc - optind - 1));
        }
    }
    if (fflush(stdout) && !code) {
        fprintf(stderr, "plexusctl: cannot write the output: %s\n",
                strerror(errno));
        code = CTL_EXIT_BAD;
    }
    px_conf_destroy(ctl.conf);
    return code;
}
