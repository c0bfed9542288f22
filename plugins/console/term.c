/*
 * The console's terminal: a command on a pseudo-terminal, driven through
 * its file descriptors; see term.h.
 */
#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

/* The child's stack while it runs term_child_main() (the child has a copy
 * of the parent's memory): room for a few system calls. */
#define TERM_CHILD_STACK (256 * 1024)

/* The child's TERM: the browser side is xterm.js. */
#define TERM_ENV "TERM=xterm-256color"

struct term {
    int master;
    int pidfd;
    pid_t pid;
    bool exited; /* 'status' holds the child's exit status. */
    int status;
    struct term_stats stats;
};

/* Everything the child needs, prepared by the parent, so that the child
 * makes only async-signal-safe calls: it is a copy of a process that may
 * have other threads, which could hold the malloc or stdio locks. */
struct term_child {
    int slave;
    char *const *argv;
    char **envp;
    const char *path; /* NULL: not found in PATH. */
    int max_fd;       /* Where close_range()'s fallback stops. */
    struct sigaction dfl;
    sigset_t empty;
};

int
term_argv_parse(const char *line, char ***argvp, char *why, size_t why_size)
{
    wordexp_t we;
    char **argv;
    size_t i;
    int r;

    *argvp = NULL;
    if (why_size) {
        why[0] = '\0';
    }
    r = wordexp(line, &we, WRDE_NOCMD | WRDE_UNDEF);
    if (r) {
        const char *what;

        switch (r) {
        case WRDE_BADCHAR:
            what = "an unquoted | & ; < > ( ) { } or newline (the command is "
                   "not run by a shell: quote it, or use sh -c '...')";
            break;
        case WRDE_BADVAL:
            what = "an undefined environment variable";
            break;
        case WRDE_CMDSUB:
            what = "command substitution ($(...) or `...`), which is not "
                   "allowed";
            break;
        case WRDE_SYNTAX:
            what = "a syntax error (an unbalanced quote?)";
            break;
        case WRDE_NOSPACE:
            /* glibc may have allocated part of the words. */
            wordfree(&we);
            return ENOMEM;
        default:
            what = "something wordexp(3) refuses";
            break;
        }
        snprintf(why, why_size, "command line has %s", what);
        return EINVAL;
    }
    if (we.we_wordc == 0) {
        wordfree(&we);
        snprintf(why, why_size, "command line is empty");
        return EINVAL;
    }

    /* A copy, so that the caller frees it without knowing of wordexp_t. */
    argv = calloc(we.we_wordc + 1, sizeof *argv);
    if (!argv) {
        wordfree(&we);
        return ENOMEM;
    }
    for (i = 0; i < we.we_wordc; i++) {
        argv[i] = strdup(we.we_wordv[i]);
        if (!argv[i]) {
            term_argv_free(argv);
            wordfree(&we);
            return ENOMEM;
        }
    }
    wordfree(&we);
    *argvp = argv;
    return 0;
}

void
term_argv_free(char **argv)
{
    size_t i;

    if (!argv) {
        return;
    }
    for (i = 0; argv[i]; i++) {
        free(argv[i]);
    }
    free(argv);
}

/* Finds 'name' as execvp() would, but in the parent: a name with a '/'
 * is taken as is, else the first executable regular file of that name in
 * $PATH (or glibc's default path).  Sets '*path' to a malloc'd string, or
 * to NULL if there is none.  Returns 0 or ENOMEM. */
static int
term_find_program(const char *name, char **path)
{
    const char *dirs = getenv("PATH");
    size_t name_len = strlen(name);
    const char *s;

    *path = NULL;
    if (!name_len) {
        return 0;
    }
    if (strchr(name, '/')) {
        *path = strdup(name);
        return *path ? 0 : ENOMEM;
    }
    if (!dirs) {
        dirs = "/bin:/usr/bin";
    }
    for (s = dirs;; s++) {
        const char *end = strchrnul(s, ':');
        size_t dir_len = (size_t)(end - s);
        struct stat st;
        char *cand;

        /* An empty entry means the working directory, as in execvp(). */
        cand = malloc((dir_len ? dir_len : 1) + 1 + name_len + 1);
        if (!cand) {
            return ENOMEM;
        }
        if (dir_len) {
            memcpy(cand, s, dir_len);
        } else {
            cand[0] = '.';
            dir_len = 1;
        }
        cand[dir_len] = '/';
        memcpy(cand + dir_len + 1, name, name_len + 1);
        if (!access(cand, X_OK) && !stat(cand, &st) && S_ISREG(st.st_mode)) {
            *path = cand;
            return 0;
        }
        free(cand);
        if (!*end) {
            return 0;
        }
        s = end;
    }
}

/* The daemon's environment with TERM replaced.  Only the array is
 * allocated; the strings stay the environment's. */
static char **
term_make_envp(void)
{
    size_t n = 0, i, j = 0;
    char **envp;

    while (environ && environ[n]) {
        n++;
    }
    envp = calloc(n + 2, sizeof *envp);
    if (!envp) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (strncmp(environ[i], "TERM=", 5)) {
            envp[j++] = environ[i];
        }
    }
    envp[j++] = (char *)TERM_ENV;
    envp[j] = NULL;
    return envp;
}

/* The child, between clone() and execve(): async-signal-safe calls only.
 * Not instrumented by ASan, which would otherwise complain of this
 * function's stack being another than the thread's it knows when _exit()
 * is called. */
__attribute__((no_sanitize_address)) static int
term_child_main(void *arg)
{
    const struct term_child *c = arg;
    int fd, sig;

    /* A new session whose controlling terminal is the pty, which becomes
     * 0, 1 and 2 (dup2() onto itself would keep close-on-exec: clear it
     * explicitly). */
    if (setsid() < 0 || ioctl(c->slave, TIOCSCTTY, 0) < 0) {
        _exit(127);
    }
    for (fd = 0; fd < 3; fd++) {
        if (dup2(c->slave, fd) < 0 || fcntl(fd, F_SETFD, 0) < 0) {
            _exit(127);
        }
    }
    /* Every other descriptor, close-on-exec or not: the daemon's sockets
     * (switches, HTTP, control) must not leak to an operator's shell. */
    if (close_range(3, ~0U, 0) < 0) {
        for (fd = 3; fd < c->max_fd; fd++) {
            close(fd);
        }
    }
    /* Caught signals revert to their defaults at execve(), but ignored ones
     * (the daemon ignores SIGPIPE) and the mask would be inherited. */
    for (sig = 1; sig < NSIG; sig++) {
        sigaction(sig, &c->dfl, NULL);
    }
    sigprocmask(SIG_SETMASK, &c->empty, NULL);
    if (c->path) {
        execve(c->path, c->argv, c->envp);
    }
    _exit(127);
}

/* Opens a pty pair, both ends close-on-exec from the start (forkpty()'s
 * are not, and another thread's fork could inherit them), the master
 * non-blocking, with the window size set. */
static int
term_open_pty(unsigned short rows, unsigned short cols, int *masterp,
              int *slavep)
{
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    int master, slave, flags, error;

    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) {
        return errno;
    }
    if (grantpt(master) || unlockpt(master)) {
        error = errno;
        close(master);
        return error;
    }
    /* TIOCGPTPEER (Linux 4.13) opens the very slave of this master, with
     * no path lookup in /dev/pts. */
    slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        error = errno;
        close(master);
        return error;
    }
    flags = fcntl(master, F_GETFL);
    if (flags < 0 || fcntl(master, F_SETFL, flags | O_NONBLOCK) < 0 ||
        ioctl(master, TIOCSWINSZ, &ws) < 0) {
        error = errno;
        close(slave);
        close(master);
        return error;
    }
    *masterp = master;
    *slavep = slave;
    return 0;
}

int
term_spawn(char *const *argv, unsigned short rows, unsigned short cols,
           struct term **out)
{
    struct term_child c;
    struct term *t = NULL;
    char *path = NULL;
    char **envp = NULL;
    void *stack = MAP_FAILED;
    struct rlimit rl;
    sigset_t all, old;
    int master = -1, slave = -1, pidfd = -1;
    long page = sysconf(_SC_PAGESIZE);
    pid_t pid;
    int error;

    *out = NULL;
    if (!argv || !argv[0] || !rows || !cols) {
        return EINVAL;
    }

    /* Everything that can fail is done before clone(), so that once the
     * child exists nothing is left to fail. */
    t = calloc(1, sizeof *t);
    envp = term_make_envp();
    if (!t || !envp) {
        error = ENOMEM;
        goto fail;
    }
    error = term_find_program(argv[0], &path);
    if (error) {
        goto fail;
    }
    stack = mmap(NULL, TERM_CHILD_STACK, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    /* A guard page below the stack, so that an overflow faults. */
    if (stack == MAP_FAILED ||
        mprotect(stack, page > 0 ? (size_t)page : 4096, PROT_NONE)) {
        error = errno;
        goto fail;
    }
    error = term_open_pty(rows, cols, &master, &slave);
    if (error) {
        goto fail;
    }

    memset(&c, 0, sizeof c);
    c.slave = slave;
    c.argv = argv;
    c.envp = envp;
    c.path = path;
    c.max_fd = 1024;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < 1024 * 1024) {
        c.max_fd = (int)rl.rlim_cur;
    }
    c.dfl.sa_handler = SIG_DFL;
    sigemptyset(&c.dfl.sa_mask);
    sigemptyset(&c.empty);

    /* With every signal blocked across clone(), no handler of the daemon
     * runs in the child before it resets them (libev's, for one, would
     * write to the daemon's loop through a descriptor still shared).  The
     * exit signal is SIGCHLD, as for fork(): execve() would make it so
     * anyway. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = clone(term_child_main, (char *)stack + TERM_CHILD_STACK,
                CLONE_PIDFD | SIGCHLD, &c, &pidfd);
    error = pid < 0 ? errno : 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (error) {
        goto fail;
    }

    /* The child has its own copies of the stack, path and envp. */
    munmap(stack, TERM_CHILD_STACK);
    close(slave);
    free(path);
    free(envp);
    t->master = master;
    t->pidfd = pidfd;
    t->pid = pid;
    *out = t;
    return 0;

fail:
    if (stack != MAP_FAILED) {
        munmap(stack, TERM_CHILD_STACK);
    }
    if (slave >= 0) {
        close(slave);
    }
    if (master >= 0) {
        close(master);
    }
    free(path);
    free(envp);
    free(t);
    return error;
}

int
term_master_fd(const struct term *t)
{
    return t->master;
}

int
term_pidfd(const struct term *t)
{
    return t->pidfd;
}

pid_t
term_pid(const struct term *t)
{
    return t->pid;
}

int
term_read(struct term *t, void *buf, size_t cap, size_t *n)
{
    *n = 0;
    if (!cap) {
        return EINVAL;
    }
    for (;;) {
        ssize_t r = read(t->master, buf, cap);

        if (r > 0) {
            *n = (size_t)r;
            t->stats.bytes_out += (uint64_t)r;
            return 0;
        }
        if (r == 0) {
            return EPIPE;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return EAGAIN;
        }
        /* Linux's master reports EIO, not 0, once no process holds the
         * slave open: the end of the output. */
        return errno == EIO ? EPIPE : errno;
    }
}

int
term_write(struct term *t, const void *data, size_t len, size_t *written)
{
    size_t off = 0;

    *written = 0;
    while (off < len) {
        ssize_t r = write(t->master, (const char *)data + off, len - off);

        if (r > 0) {
            off += (size_t)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
            t->stats.input_dropped += len - off;
            break;
        } else {
            int error = errno == EIO ? EPIPE : errno;

            *written = off;
            t->stats.bytes_in += off;
            return error;
        }
    }
    *written = off;
    t->stats.bytes_in += off;
    return 0;
}

int
term_resize(struct term *t, unsigned short rows, unsigned short cols)
{
    struct winsize ws = {.ws_row = rows, .ws_col = cols};

    if (!rows || !cols) {
        return EINVAL;
    }
    return ioctl(t->master, TIOCSWINSZ, &ws) < 0 ? errno : 0;
}

/* Looks at the child without reaping it: 0 and 'si' (si_pid 0 while it
 * runs), or ECHILD once something else reaped it. */
static int
term_peek(const struct term *t, siginfo_t *si)
{
    memset(si, 0, sizeof *si);
    while (waitid(P_PIDFD, (id_t)t->pidfd, si, WEXITED | WNOHANG | WNOWAIT) <
           0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

int
term_reap(struct term *t, int *status)
{
    siginfo_t si;
    int error;

    if (!t->exited) {
        error = term_peek(t, &si);
        if (error) {
            return error;
        }
        if (si.si_pid == 0) {
            return EAGAIN;
        }
        switch (si.si_code) {
        case CLD_EXITED:
            t->status = W_EXITCODE(si.si_status, 0);
            break;
        case CLD_KILLED:
            t->status = W_EXITCODE(0, si.si_status);
            break;
        case CLD_DUMPED:
            t->status = W_EXITCODE(0, si.si_status) | WCOREFLAG;
            break;
        default:
            return EAGAIN;
        }
        t->exited = true;
    }
    *status = t->status;
    return 0;
}

/* Waits up to 'ms' for the pidfd to become readable. */
static void
term_wait_exit(const struct term *t, int ms)
{
    struct timespec now, end;

    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    for (;;) {
        struct pollfd pfd = {.fd = t->pidfd, .events = POLLIN};
        long left;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &now);
        left = (end.tv_sec - now.tv_sec) * 1000L +
               (end.tv_nsec - now.tv_nsec) / 1000000L;
        if (left <= 0) {
            return;
        }
        r = poll(&pfd, 1, (int)left);
        if (r > 0 || (r < 0 && errno != EINTR)) {
            return;
        }
    }
}

void
term_destroy(struct term *t)
{
    siginfo_t si;

    if (!t) {
        return;
    }
    /* Until the child is reaped, here, its pid, the group's id, cannot
     * have been reused; if something else reaped it, leave the group be. */
    if (!term_peek(t, &si)) {
        kill(-t->pid, SIGHUP);
        kill(-t->pid, SIGTERM);
        /* A stopped job acts on neither until continued. */
        kill(-t->pid, SIGCONT);
        if (si.si_pid == 0) {
            term_wait_exit(t, TERM_KILL_GRACE_MS);
        }
        if (!term_peek(t, &si)) {
            kill(-t->pid, SIGKILL);
            while (waitid(P_PIDFD, (id_t)t->pidfd, &si, WEXITED) < 0 &&
                   errno == EINTR) {
                continue;
            }
        }
    }
    close(t->master);
    close(t->pidfd);
    free(t);
}

void
term_get_stats(const struct term *t, struct term_stats *stats)
{
    *stats = t->stats;
}
