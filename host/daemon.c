/*
 * The host process's life: setting up the loop and the event table, the
 * private run directory, signals and readiness notification, and tearing it
 * all down in reverse.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <systemd/sd-daemon.h>

#include "ctl.h"
#include "instance.h"
#include "log.h"
#include "module.h"
#include "plexus/topics/host.h"
#include "reload.h"
#include "host_stats.h"
#include "host_util.h"

const char px_host_owner_tag = 0;

/* Async events handled per loop pass before yielding to I/O. */
#define PX_ASYNC_BATCH 1024

static void
wake_loop(void *aux)
{
    struct px_host *host = aux;

    ev_async_send(host->loop, &host->async_wake);
}

static void
async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    struct px_host *host = w->data;

    (void)revents;
    if (px_bus_drain_async(host->bus, PX_ASYNC_BATCH)) {
        ev_async_send(loop, w); /* More left: come back next pass. */
    }
}

/* Deferred calls run in a prepare watcher: after every callback of this
 * loop pass and before the loop blocks again.  (A check watcher would run
 * them only after the next poll: one wasted system call and a later reply
 * for every deferred flush.)  Calls deferred by these calls keep the idle
 * watcher on, so the next poll does not block before they run. */
static void
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct px_host *host = w->data;

    (void)revents;
    px_instance_run_deferred(host);
    if (px_list_is_empty(&host->deferred)) {
        ev_idle_stop(loop, &host->defer_idle);
    } else {
        ev_idle_start(loop, &host->defer_idle);
    }
}

static void
idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

static void
sighup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct px_host *host = w->data;

    (void)loop;
    (void)revents;
    PX_HLOG(PX_LOG_INFO, "SIGHUP: reloading %s", host->conf_dir);
    px_reload_from_dir(host);
}

static void
reload_soon_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct px_host *host = w->data;

    (void)loop;
    (void)revents;
    PX_HLOG(PX_LOG_INFO, "a plugin asked for a reload: reloading %s",
            host->conf_dir);
    px_reload_from_dir(host);
}

void
px_host_request_reload(struct px_host *host, unsigned int *id)
{
    /* A timer, not a deferred call: the reload runs on its own loop pass,
     * after the callback that asked has returned. */
    if (!ev_is_active(&host->reload_soon)) {
        ev_timer_set(&host->reload_soon, 0.0, 0.0);
        ev_timer_start(host->loop, &host->reload_soon);
    }
    if (id) {
        *id = host->reload_id + 1;
    }
}

static void
sigterm_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    struct px_host *host = w->data;

    PX_HLOG(PX_LOG_INFO, "signal %d: shutting down", w->signum);
    host->stopping = 1;
    ev_break(loop, EVBREAK_ALL);
}

/* The log sink: records go out on host.log; a subscriber that halts the
 * event (the logger) keeps them off the console. */
static int
log_sink(int level, double time, const char *instance, const char *message,
         void *aux)
{
    struct px_host *host = aux;
    struct px_host_log ev = {
        .level = (uint32_t)level,
        .time = time,
        .instance = instance,
        .message = message,
    };
    int halted = 0;

    px_bus_publish(host->bus, host->t_log, "host", &ev, sizeof ev, &halted);
    return halted;
}

/* The private run directory: RUN_DIR/plexusd.XXXXXX, made by mkdtemp so
 * that its name cannot be guessed and pre-created by another user in a
 * shared directory such as /tmp, with mode 0700 so that nobody else can
 * swap the plugin copies plexusd maps from it.  A base directory that any
 * user may write without the sticky bit is refused: anyone could rename
 * the private directory away from under us. */
static int
make_run_dir(struct px_host *host, const char *base)
{
    size_t len = strlen(base) + 32;
    struct stat st;

    if (stat(base, &st)) {
        int error = errno;

        PX_HLOG(PX_LOG_ERROR, "run_dir %s: %s", base, strerror(error));
        return error;
    }
    if (!S_ISDIR(st.st_mode)) {
        PX_HLOG(PX_LOG_ERROR, "run_dir %s: not a directory", base);
        return ENOTDIR;
    }
    if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        PX_HLOG(PX_LOG_ERROR,
                "run_dir %s is writable by every user and not sticky: "
                "refusing to keep plugin copies there",
                base);
        return EPERM;
    }
    host->run_dir = malloc(len);
    if (!host->run_dir) {
        return ENOMEM;
    }
    snprintf(host->run_dir, len, "%s/plexusd.XXXXXX", base);
    if (!mkdtemp(host->run_dir)) {
        int error = errno;

        PX_HLOG(PX_LOG_ERROR, "cannot create a run directory in %s: %s", base,
                strerror(error));
        free(host->run_dir);
        host->run_dir = NULL;
        return error;
    }
    return 0;
}

static void
remove_run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d) {
        return;
    }
    while ((de = readdir(d))) {
        char *p;

        if (de->d_name[0] == '.') {
            continue;
        }
        p = px_path_resolve(dir, de->d_name);
        if (p) {
            unlink(p);
            free(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* Takes the pid file: one running daemon per pid file, as nginx and OVS
 * have it.  The file is opened without following a link (someone else's
 * link in /tmp must not make root write through it), must be a regular
 * file of ours, and is locked for the life of the process; a second daemon
 * finds it locked and refuses to start, naming the first.  Only the owner
 * of the lock ever removes the file. */
static int
take_pid_file(struct px_host *host, const char *path)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    char buf[32];
    struct stat st;
    int fd, n;

    fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int error = errno;

        PX_HLOG(PX_LOG_ERROR, "cannot open pid file %s: %s", path,
                error == ELOOP ? "it is a symbolic link" : strerror(error));
        return error;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        PX_HLOG(PX_LOG_ERROR,
                "pid file %s is not a regular file owned by uid %ld: "
                "refusing to use it",
                path, (long)geteuid());
        close(fd);
        return EPERM;
    }
    if (fcntl(fd, F_SETLK, &fl)) {
        int error = errno;

        if (error == EAGAIN || error == EACCES) {
            fl.l_type = F_WRLCK;
            if (!fcntl(fd, F_GETLK, &fl) && fl.l_type != F_UNLCK) {
                PX_HLOG(PX_LOG_ERROR,
                        "another plexusd (pid %ld) is running with pid file "
                        "%s: not starting",
                        (long)fl.l_pid, path);
            } else {
                PX_HLOG(PX_LOG_ERROR,
                        "another plexusd is running with pid file %s: not "
                        "starting",
                        path);
            }
            error = EADDRINUSE;
        } else {
            PX_HLOG(PX_LOG_ERROR, "cannot lock pid file %s: %s", path,
                    strerror(error));
        }
        close(fd);
        return error;
    }
    n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
        int error = errno ? errno : EIO;

        PX_HLOG(PX_LOG_ERROR, "cannot write pid file %s: %s", path,
                strerror(error));
        close(fd);
        return error;
    }
    host->pid_fd = fd;
    host->pid_path = strdup(path);
    return host->pid_path ? 0 : ENOMEM;
}

/* Removes the pid file if it is still the one we locked (not a file an
 * operator put in its place), then releases the lock. */
static void
release_pid_file(struct px_host *host)
{
    struct stat a, b;

    if (host->pid_fd < 0) {
        return;
    }
    if (host->pid_path && !fstat(host->pid_fd, &a) &&
        !lstat(host->pid_path, &b) && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        unlink(host->pid_path);
    }
    close(host->pid_fd);
    host->pid_fd = -1;
}

static void
signal_init(struct px_host *host, ev_signal *w,
            void (*cb)(struct ev_loop *, ev_signal *, int), int signum)
{
    ev_signal_init(w, cb, signum);
    w->data = host;
    ev_signal_start(host->loop, w);
}

/* Every switch, router and HTTP client costs a descriptor, and the
 * distribution's default soft limit (1024) is below what one controller
 * serves; like nginx and OVS we take what the hard limit allows. */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rlim_t old = rl.rlim_cur;

        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl)) {
            PX_HLOG(PX_LOG_WARN, "cannot raise the descriptor limit: %s",
                    strerror(errno));
        } else {
            PX_HLOG(PX_LOG_DEBUG, "descriptor limit raised from %llu to %llu",
                    (unsigned long long)old, (unsigned long long)rl.rlim_cur);
        }
    }
}

int
px_host_create(const char *conf_dir, struct px_conf *conf,
               struct px_host **out)
{
    struct px_host *host;
    int error;

    host = calloc(1, sizeof *host);
    if (!host) {
        px_conf_destroy(conf);
        return ENOMEM;
    }
    host->start_time = px_wall_now();
    host->pid_fd = -1;
    px_list_init(&host->instances);
    px_list_init(&host->deferred);
    host->conf_dir = strdup(conf_dir);
    px_log_set_level(conf->host.log_level);
    px_log_set_console(conf->host.log_syslog);

    /* Not libev's default loop: that one reaps every child of the
     * process on SIGCHLD (waitpid(-1)), which would take the exit status
     * of a plugin's child (the console's terminal) from the plugin that
     * watches it with a pidfd, and free its pid for reuse while the
     * plugin may still signal its process group.  Signal watchers work
     * in any loop. */
    host->loop = ev_loop_new(EVFLAG_AUTO);
    if (!host->loop || !host->conf_dir) {
        px_conf_destroy(conf);
        px_host_destroy(host);
        return ENOMEM;
    }
    error = px_bus_create((size_t)conf->host.async_queue, wake_loop, host,
                          &host->bus);
    if (!error) {
        error = px_bus_declare(host->bus, PX_HOST_OWNER, PX_TOPIC_HOST_LOG,
                               PX_TOPIC_HOST_LOG_VERSION, &host->t_log);
    }
    if (!error) {
        error = px_bus_declare(host->bus, PX_HOST_OWNER,
                               PX_TOPIC_HOST_PLUGIN_LOADED,
                               PX_TOPIC_HOST_PLUGIN_VERSION, &host->t_loaded);
    }
    if (!error) {
        error = px_bus_declare(
            host->bus, PX_HOST_OWNER, PX_TOPIC_HOST_PLUGIN_UNLOADED,
            PX_TOPIC_HOST_PLUGIN_VERSION, &host->t_unloaded);
    }
    if (!error) {
        error = px_bus_declare(
            host->bus, PX_HOST_OWNER, PX_TOPIC_HOST_RELOAD_DONE,
            PX_TOPIC_HOST_RELOAD_DONE_VERSION, &host->t_reload_done);
    }
    if (!error) {
        error = px_stats_init(host);
    }
    if (!error) {
        error = px_module_init();
    }
    if (!error) {
        /* Without a pid file the lock still keeps one daemon per run
         * directory. */
        char *lock = conf->host.pid_file
                         ? NULL
                         : px_path_resolve(conf->host.run_dir, "plexusd.lock");

        error = take_pid_file(host, lock ? lock : conf->host.pid_file);
        free(lock);
    }
    if (!error) {
        error = make_run_dir(host, conf->host.run_dir);
    }
    if (!error) {
        /* Before plugins load: they register their commands in init. */
        error = px_ctl_create(host, conf->host.ctl_socket, &host->ctl);
    }
    if (error) {
        px_conf_destroy(conf);
        px_host_destroy(host);
        return error;
    }
    px_log_set_sink(log_sink, host);

    ev_async_init(&host->async_wake, async_cb);
    host->async_wake.data = host;
    ev_async_start(host->loop, &host->async_wake);
    ev_prepare_init(&host->defer_prepare, prepare_cb);
    host->defer_prepare.data = host;
    ev_prepare_start(host->loop, &host->defer_prepare);
    ev_idle_init(&host->defer_idle, idle_cb);
    ev_timer_init(&host->reload_soon, reload_soon_cb, 0.0, 0.0);
    host->reload_soon.data = host;
    signal_init(host, &host->sig_hup, sighup_cb, SIGHUP);
    signal_init(host, &host->sig_int, sigterm_cb, SIGINT);
    signal_init(host, &host->sig_term, sigterm_cb, SIGTERM);
    signal(SIGPIPE, SIG_IGN);

    raise_fd_limit();
    PX_HLOG(PX_LOG_INFO, "plexusd %s starting: config %s, plugins %s",
            PX_VERSION, conf_dir, conf->host.plugin_path[0]);
    /* The loop's clock was read when the loop was made; plugins stamp
     * what they log at start-up with it, after the lines above. */
    ev_now_update(host->loop);
    error = px_reload_apply(host, conf);
    if (!error && host->reloads[PX_RELOAD_PARTIAL] &&
        !host->conf->host.partial_start) {
        /* Like nginx with a bad configuration: an operator who starts a
         * controller expects all of it or a clear failure, not a daemon
         * that says "ready" without its switches' plugin. */
        PX_HLOG(PX_LOG_ERROR,
                "not starting: a plugin was refused (see above); set "
                "partial_start = true in [host] to start without it");
        error = ENOEXEC;
    }
    if (error) {
        px_host_destroy(host);
        return error;
    }
    *out = host;
    return 0;
}

void
px_host_run(struct px_host *host)
{
    PX_HLOG(PX_LOG_INFO, "ready (pid %ld)", (long)getpid());
    /* Under systemd (Type=notify) start-up ends here; without
     * NOTIFY_SOCKET this does nothing. */
    sd_notify(0, "READY=1");
    ev_run(host->loop, 0);
}

void
px_host_destroy(struct px_host *host)
{
    if (!host) {
        return;
    }
    if (host->loop) {
        ev_timer_stop(host->loop, &host->reload_soon);
    }
    px_reload_unload_all(host);
    /* After the plugins, whose commands it holds; before the pid file,
     * whose lock keeps another daemon off the socket's path. */
    px_ctl_destroy(host->ctl);
    host->ctl = NULL;
    px_log_set_sink(NULL, NULL);
    if (host->run_dir) {
        remove_run_dir(host->run_dir);
    }
    release_pid_file(host);
    /* Events still queued by threads of unloaded plugins go with the bus. */
    px_bus_destroy(host->bus);
    px_conf_destroy(host->conf);
    px_module_exit();
    if (host->loop) {
        ev_loop_destroy(host->loop);
    }
    free(host->run_dir);
    free(host->pid_path);
    free(host->conf_dir);
    free(host);
}
