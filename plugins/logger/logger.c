/*
 * logger: the human-readable log of a running controller.
 *
 * Subscribes to every topic and writes one line per event, at a level that
 * depends on the event: a host.log record at its own level, plugin and
 * reload events at info, everything else at 'event_level'.  Lines at or
 * above 'level' go to stderr, a file, or syslog.  It is the sink of
 * host.log: it halts those events, so while it runs the host does not print
 * them a second time.
 *
 * Across a reload the log file's descriptor is handed to the next
 * generation, so no line is lost and the file is not reopened; the path it
 * was opened by and the line count go beside it in the explicit
 * serialization of logger_handoff.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "logger_handoff.h"
#include "plexus/plugin.h"
#include "plexus/topics/host.h"
#include "plexus/topics/openflow.h"
#include "plexus/util.h"

#define LOGGER_VERSION "1.0.0"

enum logger_target { TARGET_STDERR, TARGET_FILE, TARGET_SYSLOG };

struct logger {
    int level;       /* Lines above this are not written. */
    int event_level; /* Level of events that are not host.* */
    enum logger_target target;
    int fd;                     /* For stderr and file targets. */
    char path[LOGGER_PATH_LEN]; /* For the file target. */
    unsigned long long lines;
    double last_time; /* Of the last line written. */
    /* The "*" subscription, held only while some event outside host.*
     * can be written (event_level within level) or a pcap file is open:
     * otherwise the per-packet topics do not even reach the logger. */
    struct px_sub *all_sub;
    /* Frames of packet_in and packet_out, for tcpdump and Wireshark. */
    pcap_t *pcap;
    pcap_dumper_t *dumper;
    unsigned long long frames;
};

static const struct px_config_key logger_keys[] = {
    {.key = "level",
     .type = PX_CONFIG_STRING,
     .default_value = "info",
     .choices = "error|warn|info|debug",
     .help = "lines less severe than this are not written"},
    {.key = "event_level",
     .type = PX_CONFIG_STRING,
     .default_value = "debug",
     .choices = "error|warn|info|debug",
     .help = "level of one line per event on topics other than host.*"},
    {.key = "target",
     .type = PX_CONFIG_STRING,
     .default_value = "stderr",
     .choices = "stderr|file|syslog",
     .help = "where lines go"},
    {.key = "file",
     .type = PX_CONFIG_STRING,
     .default_value = "plexus.log",
     .help = "log file for target = file (relative to the config dir)"},
    {.key = "pcap",
     .type = PX_CONFIG_STRING,
     .default_value = "",
     .help = "write every packet_in and packet_out frame to this pcap file "
             "(empty: off)"},
    {.key = NULL},
};

static int
level_from(const char *s)
{
    int i;

    for (i = PX_LOG_ERROR; i <= PX_LOG_DEBUG; i++) {
        if (!strcmp(s, px_log_level_str(i))) {
            return i;
        }
    }
    return PX_LOG_INFO; /* The schema's choices make this unreachable. */
}

static void
emit(struct logger *lg, int level, double time, const char *text)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    char line[2048];
    char ts[48];
    size_t n;

    char one[1536];

    if (level > lg->level) {
        return;
    }
    lg->lines++;
    px_one_line(one, sizeof one, text);
    if (lg->target == TARGET_SYSLOG) {
        syslog(LOG_DAEMON | prio[level & 3], "%s", one);
        return;
    }
    /* Events carry the loop's cached time, host records the time they were
     * logged: a record can be a little older than the event line before
     * it.  Stamps in one file never go backwards. */
    if (time < lg->last_time) {
        time = lg->last_time;
    }
    lg->last_time = time;
    px_format_time(time, ts, sizeof ts);
    snprintf(line, sizeof line, "%s %-5s %s\n", ts, px_log_level_str(level),
             one);
    n = strlen(line);
    if (line[n - 1] != '\n') {
        line[n - 1] = '\n'; /* Truncated: keep one record per line. */
    }
    /* One write per line keeps lines whole when several processes share
     * the file or the terminal. */
    while (write(lg->fd, line, n) < 0 && errno == EINTR) {
        continue;
    }
}

static const char *
mac_str(const uint8_t *m, char *buf, size_t size)
{
    snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
             m[3], m[4], m[5]);
    return buf;
}

/* Summaries of the openflow.* payloads; returns 0 for other topics. */
static int
describe_openflow(const struct px_event *ev, char *buf, size_t size)
{
    static const char *const reasons[] = {"add", "delete", "modify"};
    char a[18], b[18];

    if ((!strcmp(ev->topic, PX_TOPIC_OF_SWITCH_UP) ||
         !strcmp(ev->topic, PX_TOPIC_OF_SWITCH_DOWN)) &&
        ev->len >= sizeof(struct px_of_switch)) {
        const struct px_of_switch *s = ev->payload;

        snprintf(buf, size,
                 "%s: %s dpid=%016llx version=0x%02x ports=%zu "
                 "peer=%s%s%s",
                 ev->publisher, ev->topic, (unsigned long long)s->dpid,
                 s->version, s->n_ports, s->peer ? s->peer : "",
                 s->reason ? " reason=" : "", s->reason ? s->reason : "");
    } else if (!strcmp(ev->topic, PX_TOPIC_OF_PORT_STATUS) &&
               ev->len >= sizeof(struct px_of_port_status)) {
        const struct px_of_port_status *ps = ev->payload;

        snprintf(buf, size,
                 "%s: %s dpid=%016llx reason=%s port=%u name=%.16s "
                 "mac=%s link=%s",
                 ev->publisher, ev->topic, (unsigned long long)ps->dpid,
                 ps->reason < 3 ? reasons[ps->reason] : "?", ps->port.port_no,
                 ps->port.name, mac_str(ps->port.hw_addr, a, sizeof a),
                 ps->port.state & PX_OF_PORT_STATE_LINK_DOWN ? "down" : "up");
    } else if (!strcmp(ev->topic, PX_TOPIC_OF_PACKET_IN) &&
               ev->len >= sizeof(struct px_of_packet_in)) {
        const struct px_of_packet_in *pi = ev->payload;

        snprintf(buf, size, "%s: %s dpid=%016llx in_port=%u len=%zu %s > %s",
                 ev->publisher, ev->topic, (unsigned long long)pi->dpid,
                 pi->in_port, pi->frame_len,
                 pi->frame_len >= 12 ? mac_str(pi->frame + 6, a, sizeof a)
                                     : "?",
                 pi->frame_len >= 12 ? mac_str(pi->frame, b, sizeof b) : "?");
    } else if (!strcmp(ev->topic, PX_TOPIC_OF_ERROR) &&
               ev->len >= sizeof(struct px_of_error)) {
        const struct px_of_error *e = ev->payload;

        snprintf(buf, size, "%s: %s dpid=%016llx type=%u code=%u",
                 ev->publisher, ev->topic, (unsigned long long)e->dpid,
                 e->type, e->code);
    } else {
        return 0;
    }
    return 1;
}

/* Writes the line for one event; returns its level.  Sets '*time' for
 * events that carry their own. */
static int
describe(struct logger *lg, const struct px_event *ev, char *buf, size_t size,
         double *time)
{
    if (!strcmp(ev->topic, PX_TOPIC_HOST_LOG) &&
        ev->len >= sizeof(struct px_host_log)) {
        const struct px_host_log *r = ev->payload;

        snprintf(buf, size, "%s: %s", r->instance, r->message);
        *time = r->time;
        return (int)r->level;
    }
    if ((!strcmp(ev->topic, PX_TOPIC_HOST_PLUGIN_LOADED) ||
         !strcmp(ev->topic, PX_TOPIC_HOST_PLUGIN_UNLOADED)) &&
        ev->len >= sizeof(struct px_host_plugin)) {
        const struct px_host_plugin *e = ev->payload;

        snprintf(buf, size,
                 "%s: %s instance=%s module=%s version=%s generation=%u "
                 "reason=%s",
                 ev->publisher, ev->topic, e->instance, e->module, e->version,
                 e->generation, e->reason);
        return PX_LOG_INFO;
    }
    if (!strcmp(ev->topic, PX_TOPIC_HOST_RELOAD_DONE) &&
        ev->len >= sizeof(struct px_host_reload_done)) {
        static const char *const outcomes[] = {"ok", "partial", "refused"};
        const struct px_host_reload_done *e = ev->payload;

        snprintf(buf, size,
                 "%s: %s id=%u outcome=%s added=[%s] removed=[%s] "
                 "reloaded=[%s] reconfigured=[%s] refused=[%s]%s%s",
                 ev->publisher, ev->topic, e->reload_id,
                 e->outcome < 3 ? outcomes[e->outcome] : "?", e->added,
                 e->removed, e->reloaded, e->reconfigured, e->refused,
                 e->error[0] ? " error=" : "", e->error);
        return e->outcome == PX_RELOAD_OK ? PX_LOG_INFO : PX_LOG_WARN;
    }
    if (describe_openflow(ev, buf, size)) {
        return lg->event_level;
    }
    snprintf(buf, size, "%s: %s v%u, %zu bytes", ev->publisher, ev->topic,
             ev->version, ev->len);
    return lg->event_level;
}

/* Writes the frame an openflow.packet_in or packet_out carries, if any. */
static void
write_frame(struct logger *lg, const struct px_event *ev, double now)
{
    struct pcap_pkthdr h;
    const uint8_t *frame = NULL;
    size_t len = 0;

    if (!strcmp(ev->topic, PX_TOPIC_OF_PACKET_IN) &&
        ev->len >= sizeof(struct px_of_packet_in)) {
        const struct px_of_packet_in *pi = ev->payload;

        frame = pi->frame;
        len = pi->frame_len;
    } else if (!strcmp(ev->topic, PX_TOPIC_OF_PACKET_OUT) &&
               ev->len >= PX_OF_PACKET_OUT_V1_LEN) {
        /* Publishers built before 'outcome' send the shorter struct. */
        const struct px_of_packet_out *po = ev->payload;

        frame = po->frame;
        len = po->frame_len;
    }
    if (!frame || !len) {
        return;
    }
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)now;
    h.ts.tv_usec = (suseconds_t)((now - (double)h.ts.tv_sec) * 1e6);
    h.caplen = h.len = (bpf_u_int32)(len > 65535 ? 65535 : len);
    pcap_dump((u_char *)lg->dumper, &h, frame);
    /* Flushed per frame so the file is readable while plexusd runs. */
    pcap_dump_flush(lg->dumper);
    lg->frames++;
}

/* host.*: the host's records (the logger is their sink), plugin loads and
 * reloads. */
static int
on_host(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct logger *lg = px_get_data(p);
    char text[1536];
    double time;
    int level;

    (void)arg;
    if (!lg) {
        return PX_EVENT_CONTINUE;
    }
    time = px_now(p);
    level = describe(lg, ev, text, sizeof text, &time);
    emit(lg, level, time, text);
    /* Halting host.log is what makes the logger its sink; it is subscribed
     * last, so every other subscriber has already seen the record. */
    return !strcmp(ev->topic, PX_TOPIC_HOST_LOG) ? PX_EVENT_HALT
                                                 : PX_EVENT_CONTINUE;
}

/* Every other topic, while the logger has something to do with it. */
static int
on_other(struct px_plugin *p, const struct px_event *ev, void *arg)
{
    struct logger *lg = px_get_data(p);
    char text[1536];
    double time;

    (void)arg;
    if (!lg || !strncmp(ev->topic, "host.", 5)) {
        return PX_EVENT_CONTINUE; /* on_host has it. */
    }
    if (lg->dumper) {
        write_frame(lg, ev, px_now(p));
    }
    if (lg->event_level <= lg->level) {
        time = px_now(p);
        emit(lg, describe(lg, ev, text, sizeof text, &time), time, text);
    }
    return PX_EVENT_CONTINUE;
}

/* Holds the "*" subscription exactly while it can produce output. */
static int
update_subscription(struct px_plugin *p, struct logger *lg)
{
    int wanted = lg->event_level <= lg->level || lg->dumper;

    if (wanted && !lg->all_sub) {
        return px_subscribe(p, "*", 0, PX_PRIO_LAST, on_other, NULL,
                            &lg->all_sub);
    }
    if (!wanted && lg->all_sub) {
        px_unsubscribe(p, lg->all_sub);
        lg->all_sub = NULL;
    }
    return 0;
}

static void
close_pcap(struct logger *lg)
{
    if (lg->dumper) {
        pcap_dump_close(lg->dumper);
        lg->dumper = NULL;
    }
    if (lg->pcap) {
        pcap_close(lg->pcap);
        lg->pcap = NULL;
    }
}

/* Opens the pcap file, appending when it exists (a reload must not lose
 * what the previous generation wrote). */
static int
open_pcap(struct px_plugin *p, struct logger *lg, const char *path)
{
    lg->pcap = pcap_open_dead(DLT_EN10MB, 65535);
    if (!lg->pcap) {
        return ENOMEM;
    }
    lg->dumper = pcap_dump_open_append(lg->pcap, path);
    if (!lg->dumper) {
        px_error(p, "cannot open pcap file %s: %s", path,
                 pcap_geterr(lg->pcap));
        close_pcap(lg);
        return EIO;
    }
    return 0;
}

static void
close_target(struct logger *lg)
{
    close_pcap(lg);
    if (lg->target == TARGET_FILE && lg->fd >= 0) {
        close(lg->fd);
    }
    lg->fd = -1;
}

/* Reads the configuration into 'lg' and opens its target.  'inherited' is
 * a file descriptor from the previous generation, or -1. */
static int
configure(struct px_plugin *p, struct logger *lg, int inherited)
{
    const char *level, *event_level, *target, *pcap;
    char path[sizeof lg->path];
    int error;

    if ((error = px_config_string(p, "level", &level)) ||
        (error = px_config_string(p, "event_level", &event_level)) ||
        (error = px_config_string(p, "target", &target)) ||
        (error = px_config_string(p, "pcap", &pcap)) ||
        (error = px_config_path(p, "file", path, sizeof path))) {
        if (inherited >= 0) {
            close(inherited);
        }
        return error;
    }
    lg->pcap = NULL;
    lg->dumper = NULL;
    if (pcap[0]) {
        char pcap_path[4096];

        if ((error = px_config_path(p, "pcap", pcap_path, sizeof pcap_path)) ||
            (error = open_pcap(p, lg, pcap_path))) {
            if (inherited >= 0) {
                close(inherited);
            }
            return error;
        }
    }
    lg->level = level_from(level);
    lg->event_level = level_from(event_level);
    if (!strcmp(target, "file")) {
        if (inherited >= 0 && !strcmp(path, lg->path)) {
            lg->fd = inherited; /* Same file: keep the descriptor. */
        } else {
            if (inherited >= 0) {
                close(inherited);
            }
            lg->fd =
                open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (lg->fd < 0) {
                error = errno;
                px_error(p, "cannot open log file %s: %s", path,
                         strerror(error));
                close_pcap(lg);
                return error;
            }
        }
        lg->target = TARGET_FILE;
        snprintf(lg->path, sizeof lg->path, "%s", path);
    } else {
        if (inherited >= 0) {
            close(inherited);
        }
        lg->target = !strcmp(target, "syslog") ? TARGET_SYSLOG : TARGET_STDERR;
        lg->fd = STDERR_FILENO;
    }
    return 0;
}

/* Takes the previous generation's path and line count into 'lg', and
 * returns the descriptor of its file, or -1.  The descriptor is taken only
 * with a state that says which file it is; a state that cannot be read is
 * said in the log, and the file is opened again by its name (no line is
 * lost: each went out in one write). */
static int
take_handoff(struct px_plugin *p, struct logger *lg)
{
    struct logger_saved *saved;
    const void *data;
    uint32_t version;
    size_t len;
    int fd, error;

    if (px_handoff_get_blob(p, LOGGER_HANDOFF_BLOB, &version, &data, &len)) {
        return -1;
    }
    if (version != LOGGER_HANDOFF_VERSION) {
        px_warn(p,
                "handoff of version %u, not %d: the log file is opened "
                "again and the line count starts afresh",
                version, LOGGER_HANDOFF_VERSION);
        return -1;
    }
    saved = malloc(sizeof *saved);
    if (!saved) {
        px_warn(p, "out of memory: the log file is opened again and the "
                   "line count starts afresh");
        return -1;
    }
    error = logger_handoff_read(data, len, saved);
    if (error) {
        px_warn(p,
                "handoff refused (%s): the log file is opened again and the "
                "line count starts afresh",
                strerror(error));
        free(saved);
        return -1;
    }
    snprintf(lg->path, sizeof lg->path, "%s", saved->path);
    lg->lines = saved->lines;
    free(saved);
    if (px_handoff_take_fd(p, "file", &fd)) {
        return -1;
    }
    return fd;
}

static int
logger_init(struct px_plugin *p)
{
    struct logger *lg = calloc(1, sizeof *lg);
    int fd, error;

    if (!lg) {
        return ENOMEM;
    }
    lg->fd = -1;
    lg->last_time = px_now(p);
    fd = take_handoff(p, lg);
    error = configure(p, lg, fd);
    if (!error) {
        error =
            px_subscribe(p, "host.*", 0, PX_PRIO_LAST, on_host, NULL, NULL);
    }
    if (!error) {
        error = update_subscription(p, lg);
    }
    if (error) {
        close_target(lg);
        free(lg);
        return error;
    }
    px_set_data(p, lg);
    px_info(p, "logger %s writing %s at level %s%s%s", LOGGER_VERSION,
            lg->target == TARGET_FILE     ? "to a file"
            : lg->target == TARGET_SYSLOG ? "to syslog"
                                          : "to stderr",
            px_log_level_str(lg->level), lg->target == TARGET_FILE ? ": " : "",
            lg->target == TARGET_FILE ? lg->path : "");
    return 0;
}

static void
logger_fini(struct px_plugin *p)
{
    struct logger *lg = px_get_data(p);
    struct px_buf blob = PX_BUF_INITIALIZER(SIZE_MAX);
    struct logger_saved saved;

    if (!lg) {
        return;
    }
    memset(&saved, 0, sizeof saved);
    snprintf(saved.path, sizeof saved.path, "%s", lg->path);
    saved.lines = lg->lines;
    if (logger_handoff_write(&saved, &blob) ||
        px_handoff_put_blob(p, LOGGER_HANDOFF_BLOB, LOGGER_HANDOFF_VERSION,
                            blob.data, blob.len)) {
        px_warn(p, "the handoff could not be written: the next generation "
                   "opens the log file again");
    } else if (lg->target == TARGET_FILE &&
               !px_handoff_put_fd(p, "file", lg->fd)) {
        lg->fd = -1; /* The host owns it now. */
    }
    px_buf_destroy(&blob);
    close_target(lg);
    free(lg);
    px_set_data(p, NULL);
}

static int
logger_reconfigure(struct px_plugin *p)
{
    struct logger *lg = px_get_data(p);
    struct logger next = *lg;
    int fd = lg->target == TARGET_FILE ? lg->fd : -1;
    int error;

    /* Configure a copy, handing it the current file: on failure the copy's
     * error path may close it, so take a duplicate. */
    if (fd >= 0) {
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    }
    error = configure(p, &next, fd);
    if (error) {
        return error;
    }
    close_target(lg);
    *lg = next;
    return update_subscription(p, lg);
}

PX_PLUGIN_DEFINE(.name = "logger", .version = LOGGER_VERSION,
                 .description = "one human-readable line per event; the "
                                "sink of host.log",
                 .config_keys = logger_keys, .init = logger_init,
                 .fini = logger_fini, .reconfigure = logger_reconfigure);
