/*
 * The console's terminal: a pseudo-terminal running a command the operator
 * configured, at the level of file descriptors.  The plugin watches the
 * master fd (output to read, room for input) and the pidfd (the child
 * exited) with its own loop; this module makes no event-loop calls, so
 * tests/unit/test_term.c drives it with poll().
 *
 * The child is created by clone() with CLONE_PIDFD rather than forkpty()
 * and pidfd_open(): the pidfd then refers to this very child with no
 * window for its pid to be reaped and reused, both pty fds are
 * close-on-exec from the start (forkpty()'s are not, so another thread's
 * fork could inherit them), and no fork handlers run in a copy of a
 * multi-threaded daemon.
 *
 * Reaping: the status is read with waitid(P_PIDFD, WNOWAIT), which leaves
 * the zombie in place, so the child's pid, which is also its process
 * group id, cannot be reused before term_destroy() has signalled the group
 * and reaped it.  Anything else in the process that reaps children with
 * waitpid(-1) defeats this: libev's default loop does so on SIGCHLD, as
 * does an ignored SIGCHLD.  The module then stays safe (term_reap()
 * returns ECHILD, the status being lost, and term_destroy() signals no
 * group whose leader it no longer holds) but cannot report the status
 * nor kill what the leader left behind; a loop from ev_loop_new(), which
 * leaves children alone, avoids that.
 *
 * The child is a session leader with the pty as its controlling terminal,
 * its process group is its pid, it inherits no descriptor but 0-2 (the
 * pty), all signals are at their default disposition and unblocked, and
 * its environment is the daemon's with TERM=xterm-256color (the browser
 * side is xterm.js).
 *
 * Ownership: term_argv_parse() returns an argv the caller frees with
 * term_argv_free().  term_spawn() keeps no pointer into its argv.  A struct
 * term owns its master fd, its pidfd and its child: term_destroy() kills the
 * child's process group, reaps the child and closes both fds.  The fds
 * returned by term_master_fd() and term_pidfd() stay owned by the struct term;
 * stop watching them before term_destroy().
 */
#ifndef TERM_H
#define TERM_H 1

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long term_destroy() gives the process group between SIGHUP+SIGTERM
 * and SIGKILL. */
#define TERM_KILL_GRACE_MS 200

/*
 * Splits an operator's configured command line into a NULL-terminated
 * argv with wordexp(3), the shell's own word rules, so that 'single',
 * "double" quotes and backslashes work as an operator expects.  Command
 * substitution ($(...), `...`) is refused (WRDE_NOCMD), as is an unquoted
 * | & ; < > ( ) { } or newline: the line is not run by a shell, so write
 * "sh -c '...'" for a pipeline.  An undefined $VARIABLE is refused
 * (WRDE_UNDEF) rather than silently dropped.  Note that, as in a shell,
 * $VARIABLE, ~ and unquoted glob patterns are expanded now, with the
 * daemon's environment and working directory; quote them to keep them
 * literal.
 *
 * Returns 0 and '*argv', or EINVAL with a message in 'why' (an empty or
 * refused line), or ENOMEM.  '*argv' is NULL on error.
 */
int term_argv_parse(const char *line, char ***argv, char *why,
                    size_t why_size);
/* Frees an argv from term_argv_parse().  Accepts NULL. */
void term_argv_free(char **argv);

struct term;

/*
 * Starts 'argv' (argv[0] is looked up in PATH as execvp() does, but in the
 * parent, so that only async-signal-safe calls run in the child) on a new
 * pty of 'rows' x 'cols'.  A program that cannot be found or executed is
 * not an error here: the child exits with status 127, as in a shell.
 *
 * Returns 0 and '*out', or EINVAL (no argv[0], 0 rows or cols) or the
 * errno of the pty, clone or allocation that failed ('*out' NULL).
 */
int term_spawn(char *const *argv, unsigned short rows, unsigned short cols,
               struct term **out);

/* Non-blocking and close-on-exec.  Readable: output (or the end of it);
 * writable: room for input. */
int term_master_fd(const struct term *);
/* Close-on-exec.  Readable once the child exited; then call term_reap(). */
int term_pidfd(const struct term *);
pid_t term_pid(const struct term *);

/*
 * Reads up to 'cap' bytes of output: 0 and '*n' > 0; EAGAIN when there is
 * none yet; EPIPE at the end of the output (no process holds the pty any
 * more, which the master reports as EIO); another errno on error.
 */
int term_read(struct term *, void *buf, size_t cap, size_t *n);

/*
 * Writes input without blocking: 0 and '*written' (what the pty took).
 * Keyboard input is small, so what does not fit is dropped and counted in
 * input_dropped rather than queued.  EPIPE once nothing holds the pty.
 */
int term_write(struct term *, const void *data, size_t len, size_t *written);

/* Sets the window size (the foreground process group gets SIGWINCH).
 * EINVAL for 0 rows or cols. */
int term_resize(struct term *, unsigned short rows, unsigned short cols);

/*
 * Once the pidfd is readable: 0 and '*status' (as from waitpid(), for
 * WIFEXITED() and friends), or EAGAIN if the child is still running, or
 * ECHILD if it exited but something else reaped it (see above): its
 * status is unknown.  The status is read without reaping: the zombie
 * keeps the pid and process group id from reuse until term_destroy() has
 * signalled the group.  May be called again; it returns the same status.
 */
int term_reap(struct term *, int *status);

/*
 * Ends the terminal: sends SIGHUP and SIGTERM to the child's process group
 * (a closed terminal is a hangup; an interactive shell ignores SIGTERM),
 * waits up to TERM_KILL_GRACE_MS for the child to exit, sends SIGKILL to
 * what is left of the group, reaps the child and closes the fds.  Blocks
 * for at most about TERM_KILL_GRACE_MS.  Signals no group whose leader
 * something else reaped, its id being free for reuse.  A process that left
 * the group (setsid(), setpgid()) escapes.  Accepts NULL.
 */
void term_destroy(struct term *);

struct term_stats {
    uint64_t bytes_out;     /* Output read from the pty. */
    uint64_t bytes_in;      /* Input the pty took. */
    uint64_t input_dropped; /* Input bytes dropped: no room in the pty. */
};
void term_get_stats(const struct term *, struct term_stats *);

#endif /* TERM_H */
